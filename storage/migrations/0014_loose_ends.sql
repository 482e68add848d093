-- Loose ends of issue 21.

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
