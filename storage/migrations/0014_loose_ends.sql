-- Loose ends of issue 21.

-- A cancel request the panel gave no clear answer to (a timeout, a 5xx, an answer without the
-- order): noted once, with the admins' alert in the same transaction (shop/cancels.py).
ALTER TABLE orders ADD COLUMN cancel_unclear_at INTEGER;
