-- The owner's console: per-category and per-service markup, alert throttling, broadcasts,
-- and indexes for the dashboard's time-window queries.

CREATE TABLE markup_rules (
    scope    TEXT    NOT NULL CHECK (scope IN ('category', 'service')),
    target   INTEGER NOT NULL,                      -- a category id or a service id
    percent  TEXT    NOT NULL,                      -- a Decimal, e.g. '45.5'
    PRIMARY KEY (scope, target)
);

-- When an alert of each kind last went to the admins (at most one an hour per kind).
CREATE TABLE alerts_sent (
    kind     TEXT    PRIMARY KEY,
    sent_at  INTEGER NOT NULL
);

CREATE TABLE broadcasts (
    id                   INTEGER PRIMARY KEY,
    admin_id             INTEGER NOT NULL,
    text                 TEXT    NOT NULL,
    status               TEXT    NOT NULL DEFAULT 'running',  -- running, done, canceled
    total                INTEGER NOT NULL DEFAULT 0,
    progress_chat_id     INTEGER,
    progress_message_id  INTEGER,
    created_at           INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER)),
    finished_at          INTEGER
);

-- A broadcast is one outbox row per person: sent by the notifier, once, resumable.
ALTER TABLE notifications ADD COLUMN broadcast_id INTEGER REFERENCES broadcasts (id);
CREATE UNIQUE INDEX notifications_broadcast ON notifications (broadcast_id, chat_id)
    WHERE broadcast_id IS NOT NULL;
DROP INDEX notifications_pending;
CREATE INDEX notifications_pending_personal ON notifications (chat_id, id)
    WHERE sent_at IS NULL AND dropped IS NULL AND broadcast_id IS NULL;
CREATE INDEX notifications_pending_broadcast ON notifications (id)
    WHERE sent_at IS NULL AND dropped IS NULL AND broadcast_id IS NOT NULL;

CREATE INDEX orders_created ON orders (created_at);
CREATE INDEX users_created ON users (created_at);
CREATE INDEX users_last_seen ON users (last_seen_at);
CREATE INDEX ledger_kind_created ON ledger (kind, created_at);
