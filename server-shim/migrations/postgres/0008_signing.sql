-- Simple electronic signature (ПЭП) by SMS code: the agreement's acceptances, documents sent
-- for signature with their fixed bytes, their signing, and the SMS delivery status polls kept
-- as evidence. Times are Unix seconds (UTC).

-- Acceptances of the agreement on using the ПЭП (A30): the version, the SHA-256 and the text
-- exactly as shown, when, from where and in which session.
CREATE TABLE signature_agreements (
    id           BIGSERIAL PRIMARY KEY,
    user_id      TEXT    NOT NULL,
    client_id    TEXT    NOT NULL,
    version      TEXT    NOT NULL,
    sha256       TEXT    NOT NULL,
    text         TEXT    NOT NULL,
    accepted_at  BIGINT  NOT NULL,
    ip           TEXT    NOT NULL,
    session_uid  TEXT    NOT NULL,
    UNIQUE (user_id, version)
);

-- Documents the organisation sent a client to sign. The original's bytes and SHA-256 are
-- fixed when sent (A31); signing adds the stamped copy, its verification code and the
-- evidence record in one update.
CREATE TABLE signature_requests (
    id              TEXT    PRIMARY KEY,
    client_id       TEXT    NOT NULL,
    template        TEXT    NOT NULL,
    title           TEXT    NOT NULL,
    number          TEXT    NOT NULL UNIQUE,
    file_name       TEXT    NOT NULL,
    original        BYTEA   NOT NULL,
    sha256          TEXT    NOT NULL,
    size            BIGINT  NOT NULL,
    -- The original's own verification code (a row in documents).
    original_code   TEXT    NOT NULL,
    sent_at         BIGINT  NOT NULL,
    sent_by         TEXT    NOT NULL,
    opened_at       BIGINT,
    -- 'awaiting', 'signed' or 'withdrawn'.
    status          TEXT    NOT NULL DEFAULT 'awaiting',
    withdrawn_at    BIGINT,
    signed_at       BIGINT,
    stamped         BYTEA,
    stamped_sha256  TEXT,
    stamped_code    TEXT,
    signed_file_name TEXT,
    -- 1 once the «… подписано» journal row is written; a crash in between leaves 0 and the
    -- next start writes it.
    signed_journaled BIGINT  NOT NULL DEFAULT 0,
    -- The signature's evidence record as JSON: doc_sha256, sms ids, code_hash, phone, ip,
    -- session_uid, agreement version and hash, t_sent and t_entered (UTC).
    evidence        TEXT
);
CREATE INDEX signature_requests_client ON signature_requests (client_id, sent_at);

-- Each poll of an SMS's delivery status at its provider, with the raw answer as received.
CREATE TABLE sms_status_polls (
    id              BIGSERIAL PRIMARY KEY,
    sms_message_id  BIGINT  NOT NULL,
    state           TEXT    NOT NULL,
    code            BIGINT  NOT NULL,
    raw_response    TEXT    NOT NULL DEFAULT '',
    error           TEXT    NOT NULL DEFAULT '',
    polled_at       BIGINT  NOT NULL
);
CREATE INDEX sms_status_polls_message ON sms_status_polls (sms_message_id, id);
