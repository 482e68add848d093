-- The tracker's selection of the orders it follows, without reading the whole table.
CREATE INDEX orders_tracked ON orders (kind, id)
    WHERE status IN ('pending', 'processing', 'in_progress') AND panel_order_id IS NOT NULL;
