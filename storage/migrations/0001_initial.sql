-- Money columns are INTEGER micro-units (1/1,000,000 of the panel currency). Times are unix seconds.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,              -- Telegram user id
    username      TEXT,
    full_name     TEXT    NOT NULL DEFAULT '',
    language      TEXT    NOT NULL DEFAULT 'en',
    balance       INTEGER NOT NULL DEFAULT 0 CHECK (balance >= 0),
    banned        INTEGER NOT NULL DEFAULT 0,
    blocked_bot   INTEGER NOT NULL DEFAULT 0,       -- the person blocked the bot (403)
    created_at    INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER)),
    last_seen_at  INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER))
);
CREATE INDEX users_username ON users (username COLLATE NOCASE);

-- Append-only: a balance changes only together with one row here.
CREATE TABLE ledger (
    id             INTEGER PRIMARY KEY,
    user_id        INTEGER NOT NULL REFERENCES users (id),
    amount         INTEGER NOT NULL CHECK (amount <> 0),   -- signed
    balance_after  INTEGER NOT NULL CHECK (balance_after >= 0),
    kind           TEXT    NOT NULL,                       -- credit, debit, order, refund, ...
    reference      TEXT    NOT NULL,                       -- what it is about, unique per kind
    note           TEXT    NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER)),
    UNIQUE (kind, reference)
);
CREATE INDEX ledger_user ON ledger (user_id, id);

CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
BEGIN
    SELECT RAISE(ABORT, 'the ledger is append-only');
END;

CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
BEGIN
    SELECT RAISE(ABORT, 'the ledger is append-only');
END;

-- The panel's catalog as last synced, plus our own flags.
CREATE TABLE categories (
    id        INTEGER PRIMARY KEY,
    name      TEXT    NOT NULL UNIQUE,
    hidden    INTEGER NOT NULL DEFAULT 0,           -- hidden by an admin
    position  INTEGER NOT NULL DEFAULT 0            -- the panel's order, for listing
);

CREATE TABLE services (
    id            INTEGER PRIMARY KEY,              -- the panel's service id
    category_id   INTEGER NOT NULL REFERENCES categories (id),
    name          TEXT    NOT NULL,
    type          TEXT    NOT NULL,
    rate          INTEGER NOT NULL CHECK (rate >= 0),   -- per 1000 (Package: per package)
    min_quantity  INTEGER NOT NULL,
    max_quantity  INTEGER NOT NULL,
    refill        INTEGER NOT NULL DEFAULT 0,
    cancel        INTEGER NOT NULL DEFAULT 0,
    description   TEXT    NOT NULL DEFAULT '',
    hidden        INTEGER NOT NULL DEFAULT 0,       -- hidden by an admin
    active        INTEGER NOT NULL DEFAULT 1,       -- present in the panel's last answer
    position      INTEGER NOT NULL DEFAULT 0,       -- the panel's order, for listing
    updated_at    INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER))
);
CREATE INDEX services_listing ON services (category_id, active, hidden, position);

-- Digital products (subscriptions, accounts), priced per unit.
CREATE TABLE product_categories (
    id        INTEGER PRIMARY KEY,
    name      TEXT    NOT NULL UNIQUE,
    position  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE products (
    id            INTEGER PRIMARY KEY,              -- the panel's product id
    category_id   INTEGER NOT NULL REFERENCES product_categories (id),
    name          TEXT    NOT NULL,
    require       TEXT    NOT NULL DEFAULT '',      -- what the buyer must give, e.g. an account
    rate          INTEGER NOT NULL CHECK (rate >= 0),   -- per unit
    min_quantity  INTEGER NOT NULL,
    max_quantity  INTEGER NOT NULL,
    stock_status  TEXT    NOT NULL DEFAULT '',
    inventory     INTEGER,                          -- NULL: the panel does not say
    type          TEXT    NOT NULL DEFAULT '',      -- Auto / Service
    hidden        INTEGER NOT NULL DEFAULT 0,
    active        INTEGER NOT NULL DEFAULT 1,
    position      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX products_listing ON products (category_id, active, hidden, position);

-- Orders of services and of products (kind). For a product, service_* describe the product.
CREATE TABLE orders (
    id              INTEGER PRIMARY KEY,
    kind            TEXT    NOT NULL DEFAULT 'service' CHECK (kind IN ('service', 'product')),
    user_id         INTEGER NOT NULL REFERENCES users (id),
    service_id      INTEGER NOT NULL,
    service_name    TEXT    NOT NULL,
    service_type    TEXT    NOT NULL,
    link            TEXT    NOT NULL,
    quantity        INTEGER NOT NULL CHECK (quantity > 0),
    comments        TEXT,                             -- Custom Comments
    list            TEXT,                             -- Special (1DG)
    suggest         TEXT,                             -- Special 1 (1DG)
    search          TEXT,                             -- Special 1 (1DG)
    require_text    TEXT,                             -- product: what the buyer gave
    result          TEXT,                             -- product: what the panel delivered
    note            TEXT,                             -- product: the panel's note (Canceled)
    price           INTEGER NOT NULL CHECK (price >= 0),   -- what the user paid
    charge          INTEGER,                          -- what the panel charged us
    status          TEXT    NOT NULL,                 -- submitting, unconfirmed, failed, pending, ...
    panel_order_id  INTEGER,                          -- products have their own id space
    start_count     INTEGER,
    remains         INTEGER,
    refunded        INTEGER NOT NULL DEFAULT 0,       -- micro-units given back so far
    error           TEXT,
    last_answer     TEXT,                             -- the panel's last raw answer, for admins
    draft_key       TEXT    UNIQUE,                   -- the confirm button's draft: one order per draft
    refill_allowed  INTEGER NOT NULL DEFAULT 0,       -- the service offered refill when ordered
    missing_answers INTEGER NOT NULL DEFAULT 0,       -- "Incorrect order ID" answers in a row
    missing_reported INTEGER NOT NULL DEFAULT 0,      -- admins were told the panel lost it
    stuck_reported  INTEGER NOT NULL DEFAULT 0,       -- admins were told it makes no progress
    created_at      INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER)),
    updated_at      INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER))
);
CREATE UNIQUE INDEX orders_panel_id ON orders (kind, panel_order_id);
CREATE INDEX orders_user ON orders (user_id, id);
CREATE INDEX orders_open ON orders (status)
    WHERE status NOT IN ('completed', 'partial', 'canceled', 'failed', 'refunded');

CREATE TABLE refills (
    id               INTEGER PRIMARY KEY,
    order_id         INTEGER NOT NULL REFERENCES orders (id),
    panel_refill_id  INTEGER NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'pending',  -- pending, in_progress, completed, rejected
    created_at       INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER)),
    updated_at       INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER))
);
CREATE INDEX refills_order ON refills (order_id);
CREATE INDEX refills_open ON refills (status) WHERE status IN ('pending', 'in_progress');

CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

-- Messages to send, written in the same transaction as the change they announce; the notifier
-- delivers them within Telegram's limits.
CREATE TABLE notifications (
    id          INTEGER PRIMARY KEY,
    chat_id     INTEGER NOT NULL,
    text        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER)),
    attempts    INTEGER NOT NULL DEFAULT 0,
    not_before  REAL    NOT NULL DEFAULT 0,         -- retry time (monotonic-free: unix seconds)
    sent_at     INTEGER,
    dropped     TEXT                                -- why it was given up (e.g. bot blocked)
);
CREATE INDEX notifications_pending ON notifications (id)
    WHERE sent_at IS NULL AND dropped IS NULL;
