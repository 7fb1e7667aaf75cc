-- Card payments through the acquirer (Sber or Payler), their outbox to accounting, every
-- callback as received, and the built-in ledger's record of postings it took. Times are Unix
-- seconds (UTC), money integer kopecks.

-- One row per payment the client started. The bank knows it by (gateway, order_number), ours,
-- and by (gateway, gateway_order_id), its own: each is unique, so a callback or a status can
-- name exactly one payment, and one order can never be credited to two.
CREATE TABLE payments (
    id                TEXT    PRIMARY KEY,
    client_id         TEXT    NOT NULL,
    client_name       TEXT    NOT NULL,
    session_id        TEXT    NOT NULL,
    gateway           TEXT    NOT NULL,
    order_number      TEXT    NOT NULL,
    gateway_order_id  TEXT,
    contract_kind     TEXT    NOT NULL,
    contract_id       TEXT    NOT NULL,
    contract_number   TEXT    NOT NULL,
    purpose           TEXT    NOT NULL,
    amount            BIGINT  NOT NULL,
    penalty           BIGINT  NOT NULL,
    interest          BIGINT  NOT NULL,
    principal         BIGINT  NOT NULL,
    advance           BIGINT  NOT NULL,
    description       TEXT    NOT NULL,
    -- 'new' (not registered with the bank yet), 'pending', 'paid', 'declined', 'refunded', and
    -- 'failed' (the bank never registered it: not shown to the client)
    status            TEXT    NOT NULL,
    payment_url       TEXT,
    -- The bank's last status answer, kept as evidence.
    bank_status       TEXT,
    created_at        BIGINT  NOT NULL,
    updated_at        BIGINT  NOT NULL,
    paid_at           BIGINT,
    posted_at         BIGINT,
    -- The reconciler's schedule: when to ask the bank next and how often it has asked.
    next_check_at     BIGINT  NOT NULL,
    checks            INTEGER NOT NULL DEFAULT 0,
    UNIQUE (gateway, order_number)
);
CREATE UNIQUE INDEX payments_gateway_order ON payments (gateway, gateway_order_id);
CREATE INDEX payments_client ON payments (client_id, created_at);
CREATE INDEX payments_pending ON payments (status, next_check_at);

-- Postings to accounting still to make: written in the same transaction that marks a payment
-- paid, so a crash after the confirmation leaves the posting to do, never lost and never two.
CREATE TABLE payment_outbox (
    payment_id       TEXT    PRIMARY KEY REFERENCES payments (id),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT  NOT NULL,
    -- Another instance working on this row until then.
    lease_until      BIGINT  NOT NULL DEFAULT 0,
    last_error       TEXT,
    created_at       BIGINT  NOT NULL,
    done_at          BIGINT,
    -- Accounting refused the posting for good: a person must look.
    failed_at        BIGINT,
    -- When the confirmation was journaled. The journal is its own chain, outside this
    -- transaction: a crash right after the commit leaves it NULL, and the posting journals
    -- the confirmation first.
    confirm_journaled BIGINT
);
CREATE INDEX payment_outbox_due ON payment_outbox (done_at, next_attempt_at);

-- Every callback as it arrived, believed or not (A27: raw body logged).
CREATE TABLE payment_callbacks (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    gateway      TEXT    NOT NULL,
    received_at  BIGINT  NOT NULL,
    ip           TEXT    NOT NULL,
    raw          TEXT    NOT NULL,
    -- 'accepted', 'bad_signature', 'unknown_order', 'amount_mismatch', ...
    verdict      TEXT    NOT NULL,
    payment_id   TEXT
);

-- The built-in ledger's side of posting: one row per card payment it took, in the same
-- transaction as the event, so a repeated posting writes nothing.
CREATE TABLE ledger_card_postings (
    payment_id     TEXT    PRIMARY KEY,
    contract_kind  TEXT    NOT NULL,
    contract_id    TEXT    NOT NULL,
    amount         BIGINT  NOT NULL,
    paid_on        TEXT    NOT NULL,
    gateway        TEXT    NOT NULL,
    order_number   TEXT    NOT NULL,
    created_at     BIGINT  NOT NULL
);
