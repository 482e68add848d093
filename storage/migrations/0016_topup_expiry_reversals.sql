-- Issue 21: bank and card top-up requests expire, and admins reverse top-ups (/reverse).

-- The message that offered to pay a bank or card request (the QR code, the card instructions),
-- in the person's chat: retired (deleted or edited) once the request has expired. NULL when
-- none was remembered, or once it is retired. `expires_at` (0010) is now set for every method.
ALTER TABLE payments ADD COLUMN offer_message_id INTEGER;
CREATE INDEX payments_expiring ON payments (expires_at) WHERE status = 'pending';
CREATE INDEX payments_offers ON payments (id) WHERE offer_message_id IS NOT NULL
    AND status = 'expired';

-- Why a transfer that names a request waits for an admin instead of being credited (its
-- request had expired, it is far above it: shop/bank_topups.py); NULL for the others.
ALTER TABLE bank_transfers ADD COLUMN held_because TEXT;

-- Every top-up credit an admin reversed with /reverse, with who did it. Once per credit: the
-- ledger's ("topup_reversed", `reference`) row is written in the same transaction, and this
-- `reference` is unique too. A reversal of a request paid by several transfers writes a row
-- per transfer.
CREATE TABLE topup_reversals (
    id              INTEGER PRIMARY KEY,
    reference       TEXT    NOT NULL UNIQUE,           -- "<credit's ledger kind>:<its reference>"
    named           TEXT    NOT NULL,                  -- what the admin named: PAY..., #5, ...
    user_id         INTEGER NOT NULL REFERENCES users (id),
    amount          INTEGER NOT NULL CHECK (amount > 0),   -- debited, shop currency
    referral_taken  INTEGER NOT NULL DEFAULT 0,        -- taken back from the inviter
    admin_id        INTEGER NOT NULL,
    admin_name      TEXT    NOT NULL,
    reason          TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER))
);
CREATE INDEX topup_reversals_user ON topup_reversals (user_id, id);
