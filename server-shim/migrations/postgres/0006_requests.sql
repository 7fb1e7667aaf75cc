-- Applications and messages sent from the cabinet (the built-in ledger's side), and the
-- idempotency keys that make a retried or doubled request create nothing twice (the shim's
-- side, A28). Times are Unix seconds (UTC).

-- Applications gain the two kinds about an existing contract ('early_repayment',
-- 'early_withdrawal'), the request as the client sent it, and the key it was sent with: a
-- retried call with the same key returns the application already made.
ALTER TABLE ledger_applications ADD COLUMN contract_id TEXT;
ALTER TABLE ledger_applications ADD COLUMN contract_number TEXT;
ALTER TABLE ledger_applications ADD COLUMN details TEXT;
ALTER TABLE ledger_applications ADD COLUMN request_json TEXT;
ALTER TABLE ledger_applications ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX ledger_applications_idempotency ON ledger_applications (client_id, idempotency_key);

-- The conversation between a client and the organisation.
CREATE TABLE ledger_messages (
    id               TEXT    PRIMARY KEY,
    client_id        TEXT    NOT NULL REFERENCES ledger_clients (id),
    -- 'from_client' or 'from_organisation'
    direction        TEXT    NOT NULL,
    sent_at          BIGINT  NOT NULL,
    body             TEXT    NOT NULL,
    -- From the organisation: who answered, as shown to the client.
    author           TEXT,
    in_reply_to      TEXT,
    -- When the other side first opened it.
    read_at          BIGINT,
    idempotency_key  TEXT
);
CREATE INDEX ledger_messages_client ON ledger_messages (client_id, sent_at);
CREATE UNIQUE INDEX ledger_messages_idempotency ON ledger_messages (client_id, idempotency_key);

-- Files of a message. The id is generated and is the only storage name: the sender's file
-- name is kept for display and never used as a path.
CREATE TABLE ledger_attachments (
    id            TEXT    PRIMARY KEY,
    message_id    TEXT    NOT NULL REFERENCES ledger_messages (id),
    client_id     TEXT    NOT NULL REFERENCES ledger_clients (id),
    position      INTEGER NOT NULL,
    file_name     TEXT    NOT NULL,
    content_type  TEXT    NOT NULL,
    size          BIGINT  NOT NULL,
    sha256        TEXT    NOT NULL,
    data          BYTEA   NOT NULL
);
CREATE INDEX ledger_attachments_message ON ledger_attachments (message_id, position);
CREATE INDEX ledger_attachments_client ON ledger_attachments (client_id);

-- One row per (client, Idempotency-Key): claimed before the work starts, completed with the
-- answer, which a repeat of the same request gets again; a different request with the same
-- key is refused. Kept 24 hours.
CREATE TABLE idempotency_keys (
    client_id    TEXT    NOT NULL,
    idem_key     TEXT    NOT NULL,
    -- SHA-256 of the request's route and content.
    fingerprint  TEXT    NOT NULL,
    -- Random, per claim: only the request holding the claim may complete or release it, even
    -- after another took over a claim that looked abandoned.
    token        TEXT    NOT NULL,
    -- NULL while the first request is in flight.
    status       INTEGER,
    response     TEXT,
    created_at   BIGINT  NOT NULL,
    PRIMARY KEY (client_id, idem_key)
);
