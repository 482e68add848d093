-- Loose ends of issue 21: unclear cancels, removed panels, products from any panel.

-- A cancel request the panel gave no clear answer to (a timeout, a 5xx, an answer without the
-- order): noted once, with the admins' alert in the same transaction (shop/cancels.py).
ALTER TABLE orders ADD COLUMN cancel_unclear_at INTEGER;

-- Panels removed with /panel remove: their currency and rate then, so that the charges of their
-- past orders still count on the dashboard (storage/stats.py). An order belongs to the first
-- removal of its panel's name at or after it was made; later orders, to the panel of that name.
CREATE TABLE removed_panels (
    name        TEXT    NOT NULL,
    currency    TEXT    NOT NULL,
    rate        TEXT,                               -- one unit of its currency in the shop's
    removed_at  INTEGER NOT NULL,
    PRIMARY KEY (name, removed_at)
) WITHOUT ROWID;

-- Products from any panel (storage/products.py), as services have been since 0008: each
-- panel's products as it last listed them, and the routes from the shop's products to them.
CREATE TABLE panel_products (
    panel         TEXT    NOT NULL REFERENCES panels (name) ON DELETE CASCADE,
    product_id    INTEGER NOT NULL,                 -- the panel's id
    name          TEXT    NOT NULL,
    require       TEXT    NOT NULL DEFAULT '',
    category      TEXT    NOT NULL,
    rate          INTEGER NOT NULL CHECK (rate >= 0),   -- per unit, in the panel's currency
    min_quantity  INTEGER NOT NULL,
    max_quantity  INTEGER NOT NULL,
    stock_status  TEXT    NOT NULL DEFAULT '',
    inventory     INTEGER,
    type          TEXT    NOT NULL DEFAULT '',
    position      INTEGER NOT NULL DEFAULT 0,
    active        INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (panel, product_id)
) WITHOUT ROWID;

-- A shop product is sold through its routes, tried in `position` order (or cheapest first).
CREATE TABLE product_routes (
    product_id        INTEGER NOT NULL REFERENCES products (id),
    panel             TEXT    NOT NULL REFERENCES panels (name),
    panel_product_id  INTEGER NOT NULL,
    position          INTEGER NOT NULL,
    PRIMARY KEY (product_id, panel, panel_product_id)
) WITHOUT ROWID;
CREATE INDEX product_routes_panel ON product_routes (panel, panel_product_id);

-- The shop's own category for a product (/import product ... CATEGORY) and how it is routed.
ALTER TABLE products ADD COLUMN own_category TEXT;
ALTER TABLE products ADD COLUMN routing TEXT NOT NULL DEFAULT 'ordered'
    CHECK (routing IN ('ordered', 'cheapest'));

-- Until now every product was the main panel's under its own id: that is its one route.
INSERT INTO panel_products (panel, product_id, name, require, category, rate, min_quantity,
        max_quantity, stock_status, inventory, type, position, active)
    SELECT 'main', p.id, p.name, p.require, c.name, p.rate, p.min_quantity, p.max_quantity,
           p.stock_status, p.inventory, p.type, p.position, p.active
    FROM products p JOIN product_categories c ON c.id = p.category_id;
INSERT INTO product_routes (product_id, panel, panel_product_id, position)
    SELECT id, 'main', id, 0 FROM products;
UPDATE orders SET panel_service_id = service_id WHERE kind = 'product' AND panel = 'main'
    AND panel_service_id IS NULL;
