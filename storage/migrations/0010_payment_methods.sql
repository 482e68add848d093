-- Issue 17: top-ups by Crypto Pay, by bank transfer (VietQR + SePay) and by transfers an admin
-- approves. Money columns are INTEGER micro-units; times are unix seconds (as in 0001).

-- A person's top-up by one of these methods: written before anything is asked from outside
-- (the Crypto Pay invoice, the QR code, the instructions). `code` is the reference the person
-- sees (and writes in a bank transfer's description).
CREATE TABLE payments (
    id               INTEGER PRIMARY KEY,
    method           TEXT    NOT NULL CHECK (method IN ('crypto', 'bank', 'manual')),
    user_id          INTEGER NOT NULL REFERENCES users (id),
    amount           INTEGER NOT NULL CHECK (amount > 0),      -- asked, in the shop's currency
    currency         TEXT    NOT NULL,                         -- the shop's currency then
    pay_amount       INTEGER NOT NULL CHECK (pay_amount > 0),  -- asked from the payer ...
    pay_currency     TEXT    NOT NULL,                         -- ... in this (USD, VND, ...)
    code             TEXT    NOT NULL UNIQUE,
    status           TEXT    NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'review', 'paid', 'expired', 'rejected',
                                       'failed')),
    provider_id      TEXT,                                     -- the Crypto Pay invoice id
    pay_url          TEXT,
    credited         INTEGER NOT NULL DEFAULT 0,               -- credited so far, shop currency
    proof_kind       TEXT,                                     -- manual: photo, document, text
    proof            TEXT,                                     -- a Telegram file id, or text
    decided_by       INTEGER,                                  -- the admin who decided
    decided_by_name  TEXT,
    note             TEXT,                                     -- a rejection's reason
    announced        INTEGER NOT NULL DEFAULT 0,               -- review cards sent to admins
    expires_at       INTEGER,
    created_at       INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER)),
    paid_at          INTEGER,
    decided_at       INTEGER,
    UNIQUE (method, provider_id)
);
CREATE INDEX payments_open ON payments (method, status);
CREATE INDEX payments_user ON payments (user_id, id);

-- Every incoming transfer SePay reported, once per SePay transaction id, matched or not.
CREATE TABLE bank_transfers (
    id               INTEGER PRIMARY KEY,
    sepay_id         TEXT    NOT NULL UNIQUE,
    payment_id       INTEGER REFERENCES payments (id),         -- the request its code named
    user_id          INTEGER REFERENCES users (id),            -- whom it was credited to
    amount           INTEGER NOT NULL CHECK (amount > 0),      -- transferred, in VND
    credited         INTEGER,                                  -- shop currency
    content          TEXT    NOT NULL,
    gateway          TEXT    NOT NULL DEFAULT '',
    bank_reference   TEXT    NOT NULL DEFAULT '',
    status           TEXT    NOT NULL
                     CHECK (status IN ('credited', 'unmatched', 'ignored')),
    decided_by       INTEGER,
    decided_by_name  TEXT,
    announced        INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER)),
    decided_at       INTEGER
);
CREATE INDEX bank_transfers_status ON bank_transfers (status);

-- The admins' messages about one thing to decide ('payment:12', 'transfer:5'): all of them are
-- edited to show the decision, whoever made it.
CREATE TABLE review_messages (
    subject     TEXT    NOT NULL,
    chat_id     INTEGER NOT NULL,
    message_id  INTEGER NOT NULL,
    PRIMARY KEY (subject, chat_id, message_id)
);
