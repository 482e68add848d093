-- Several panels (issue 15): the panels, each one's catalog, and the routes from the shop's own
-- services to the panels' services. Money columns are INTEGER micro-units of the panel's own
-- currency (panel_services.rate, panels.balance); rates between currencies are Decimal text.

CREATE TABLE panels (
    name            TEXT    PRIMARY KEY,            -- lower case: main, backup, vnd
    url             TEXT    NOT NULL,               -- '' for main: it comes from PROVIDER_URL
    api_key         TEXT    NOT NULL,               -- '' for main: it comes from PROVIDER_KEY
    mode            TEXT    NOT NULL DEFAULT 'picked' CHECK (mode IN ('all', 'picked')),
    enabled         INTEGER NOT NULL DEFAULT 1,
    currency        TEXT    NOT NULL DEFAULT '',    -- from its `balance` answer
    rate            TEXT,                           -- one unit of its currency in the shop's
    balance         INTEGER,                        -- its last `balance` answer
    position        INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER))
);
INSERT INTO panels (name, url, api_key, mode, position) VALUES ('main', '', '', 'all', 0);

-- Each panel's services as it last listed them; `active` 0 once it stops listing one.
CREATE TABLE panel_services (
    panel         TEXT    NOT NULL REFERENCES panels (name) ON DELETE CASCADE,
    service_id    INTEGER NOT NULL,                 -- the panel's id
    name          TEXT    NOT NULL,
    type          TEXT    NOT NULL,
    category      TEXT    NOT NULL,
    rate          INTEGER NOT NULL CHECK (rate >= 0),   -- per 1000 (Package: per package)
    min_quantity  INTEGER NOT NULL,
    max_quantity  INTEGER NOT NULL,
    refill        INTEGER NOT NULL DEFAULT 0,
    cancel        INTEGER NOT NULL DEFAULT 0,
    dripfeed      INTEGER NOT NULL DEFAULT 0,
    description   TEXT    NOT NULL DEFAULT '',
    position      INTEGER NOT NULL DEFAULT 0,
    active        INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (panel, service_id)
) WITHOUT ROWID;

-- A shop service is sold through its routes, tried in `position` order (or cheapest first).
CREATE TABLE routes (
    service_id        INTEGER NOT NULL REFERENCES services (id),
    panel             TEXT    NOT NULL REFERENCES panels (name),
    panel_service_id  INTEGER NOT NULL,
    position          INTEGER NOT NULL,
    PRIMARY KEY (service_id, panel, panel_service_id)
) WITHOUT ROWID;
CREATE INDEX routes_panel ON routes (panel, panel_service_id);

-- The shop's own words for a service win over the panel's (/rename, /describe, /import CATEGORY);
-- `routing` is 'ordered' (the routes in order) or 'cheapest' (at each order).
ALTER TABLE services ADD COLUMN own_name TEXT;
ALTER TABLE services ADD COLUMN own_description TEXT;
ALTER TABLE services ADD COLUMN own_category TEXT;
ALTER TABLE services ADD COLUMN routing TEXT NOT NULL DEFAULT 'ordered'
    CHECK (routing IN ('ordered', 'cheapest'));
ALTER TABLE services ADD COLUMN dripfeed INTEGER NOT NULL DEFAULT 0;

-- Until now every service was the main panel's under its own id: that is its one route.
INSERT INTO panel_services (panel, service_id, name, type, category, rate, min_quantity,
        max_quantity, refill, cancel, description, position, active)
    SELECT 'main', s.id, s.name, s.type, c.name, s.rate, s.min_quantity, s.max_quantity,
           s.refill, s.cancel, s.description, s.position, s.active
    FROM services s JOIN categories c ON c.id = s.category_id;
INSERT INTO routes (service_id, panel, panel_service_id, position)
    SELECT id, 'main', id, 0 FROM services;

-- An order records the panel that holds it (tried last while unconfirmed), the panel's service,
-- drip-feed runs and interval, and a cancel request.
ALTER TABLE orders ADD COLUMN panel TEXT NOT NULL DEFAULT 'main';
ALTER TABLE orders ADD COLUMN panel_service_id INTEGER;
ALTER TABLE orders ADD COLUMN runs INTEGER;
ALTER TABLE orders ADD COLUMN interval INTEGER;
ALTER TABLE orders ADD COLUMN cancel_allowed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN cancel_requested_at INTEGER;
ALTER TABLE orders ADD COLUMN cancel_error TEXT;
UPDATE orders SET panel_service_id = service_id WHERE kind = 'service';

-- Two panels may use the same order ids.
DROP INDEX orders_panel_id;
CREATE UNIQUE INDEX orders_panel_id ON orders (kind, panel, panel_order_id);
