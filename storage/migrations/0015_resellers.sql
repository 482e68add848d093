-- Issue 24: the shop as a panel. People who buy through the reseller API v2 (reseller_api/):
-- their key (stored as a hash), the admin's grant, their discount, where status callbacks go.
-- Times are unix seconds.

CREATE TABLE resellers (
    user_id          INTEGER PRIMARY KEY REFERENCES users (id),
    granted          INTEGER NOT NULL DEFAULT 0,      -- /api_grant (RESELLER_API=approved)
    discount         TEXT,                            -- /reseller ID PERCENT, Decimal text
    key_hash         TEXT    UNIQUE,                  -- SHA-256 of the key (hex); NULL: no key
    key_hint         TEXT,                            -- its first and last characters
    callback_secret  TEXT,                            -- signs status callbacks (HMAC-SHA256)
    callback_url     TEXT,                            -- https; NULL: no callbacks
    notify           INTEGER NOT NULL DEFAULT 0,      -- API orders told in the chat too
    key_created_at   INTEGER,
    last_used_at     INTEGER
);

-- An order placed through the API: its key's owner follows it there (status, callbacks).
ALTER TABLE orders ADD COLUMN via_api INTEGER NOT NULL DEFAULT 0;
-- "You have active order with this link": a reseller's open API orders by service and link.
CREATE INDEX orders_api_open_link ON orders (user_id, service_id, link)
    WHERE via_api = 1 AND status IN ('submitting', 'unconfirmed', 'pending', 'processing',
                                     'in_progress');
-- /resellers: this month's spend per reseller.
CREATE INDEX orders_user_created ON orders (user_id, created_at);

-- The outbox carries status callbacks too (channel 'callback': `text` is the JSON body, the
-- URL and the signing secret are the reseller's at delivery). Chat messages keep their index.
ALTER TABLE notifications ADD COLUMN channel TEXT NOT NULL DEFAULT 'telegram'
    CHECK (channel IN ('telegram', 'callback'));
DROP INDEX notifications_pending_personal;
CREATE INDEX notifications_pending_personal ON notifications (chat_id, id)
    WHERE sent_at IS NULL AND dropped IS NULL AND broadcast_id IS NULL AND channel = 'telegram';
CREATE INDEX notifications_pending_callbacks ON notifications (chat_id, id)
    WHERE sent_at IS NULL AND dropped IS NULL AND channel = 'callback';
