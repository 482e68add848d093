-- Issue 7: top-ups in Telegram Stars, promo codes, referrals.
-- Money columns are INTEGER micro-units; times are unix seconds (as in 0001).

-- A top-up is written before its invoice is sent; the invoice payload names its id.
CREATE TABLE topups (
    id               INTEGER PRIMARY KEY,
    user_id          INTEGER NOT NULL REFERENCES users (id),
    amount           INTEGER NOT NULL CHECK (amount > 0),      -- credited to the balance
    stars            INTEGER NOT NULL CHECK (stars > 0),       -- the invoice total in XTR
    status           TEXT    NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'paid', 'refunding', 'refunded')),
    charge_id        TEXT    UNIQUE,                           -- telegram_payment_charge_id
    refund_attempts  INTEGER NOT NULL DEFAULT 0,               -- refund debits made so far
    created_at       INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER)),
    paid_at          INTEGER,
    refunded_at      INTEGER
);
CREATE INDEX topups_user ON topups (user_id, id);

-- Codes are stored upper-case: people type them in any case.
CREATE TABLE promo_codes (
    code        TEXT    PRIMARY KEY,
    amount      INTEGER NOT NULL CHECK (amount > 0),
    max_uses    INTEGER NOT NULL CHECK (max_uses > 0),
    expires_at  INTEGER,                                       -- NULL: never
    active      INTEGER NOT NULL DEFAULT 1,
    created_by  INTEGER,
    created_at  INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER))
);

CREATE TABLE promo_redemptions (
    id          INTEGER PRIMARY KEY,
    code        TEXT    NOT NULL REFERENCES promo_codes (code),
    user_id     INTEGER NOT NULL REFERENCES users (id),
    amount      INTEGER NOT NULL CHECK (amount > 0),
    created_at  INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER)),
    UNIQUE (code, user_id)
);

-- One row per person whose referrer is decided: written at their first /start (referrer_id
-- NULL when they came without a valid invitation), never changed afterwards.
CREATE TABLE referrals (
    user_id      INTEGER PRIMARY KEY REFERENCES users (id),
    referrer_id  INTEGER REFERENCES users (id),
    created_at   INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER)),
    CHECK (referrer_id IS NULL OR referrer_id <> user_id)
);
CREATE INDEX referrals_referrer ON referrals (referrer_id) WHERE referrer_id IS NOT NULL;

-- People who used the bot before referrals existed are not new: nobody can claim them now.
INSERT INTO referrals (user_id, referrer_id) SELECT id, NULL FROM users;
