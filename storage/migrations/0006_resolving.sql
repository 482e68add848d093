-- Settling unconfirmed orders (issue 13): who settled an order, and batches settled at once.

-- The admin who resolved an unconfirmed order (attached it to a panel order or refunded it).
ALTER TABLE orders ADD COLUMN resolved_by INTEGER;

-- A batch of settlements an admin previewed; applied once, by the first press of Apply.
CREATE TABLE resolve_batches (
    id          INTEGER PRIMARY KEY,
    admin_id    INTEGER NOT NULL,
    items       TEXT    NOT NULL,                  -- JSON: [[order_id, panel_order_id|null], ...]
    status      TEXT    NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'applied', 'canceled')),
    decided_by  INTEGER,
    created_at  INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER)),
    decided_at  INTEGER
);
