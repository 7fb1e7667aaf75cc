-- Sign-in: the built-in ledger's clients, cabinet accounts, consents, SMS codes and their
-- limits, the SMS evidence, login failure counters and sessions. Times are Unix seconds (UTC).

-- The built-in ledger: the accounting system of small cooperatives and of the demo.
CREATE TABLE ledger_clients (
    id           TEXT    PRIMARY KEY,
    last_name    TEXT    NOT NULL,
    first_name   TEXT    NOT NULL,
    middle_name  TEXT    NOT NULL DEFAULT '',
    -- Full name folded for matching (lower case, ё→е, single spaces).
    name_key     TEXT    NOT NULL,
    phone        TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL
);
CREATE INDEX ledger_clients_phone ON ledger_clients (phone);

-- One cabinet account per accounting client; the phone is the login.
CREATE TABLE cabinet_users (
    id                   TEXT    PRIMARY KEY,
    client_id            TEXT    NOT NULL UNIQUE,
    phone                TEXT    NOT NULL UNIQUE,
    password_hash        TEXT    NOT NULL,
    created_at           BIGINT  NOT NULL,
    password_changed_at  BIGINT  NOT NULL
);

-- Acceptances of versioned documents (the 152-ФЗ consent), kept as given.
CREATE TABLE consents (
    id           BIGSERIAL PRIMARY KEY,
    user_id      TEXT    NOT NULL REFERENCES cabinet_users (id),
    document     TEXT    NOT NULL,
    version      TEXT    NOT NULL,
    accepted_at  BIGINT  NOT NULL,
    ip           TEXT    NOT NULL
);

-- SMS codes: only a keyed hash is stored; bound to purpose and phone; counted attempts.
CREATE TABLE sms_codes (
    id           BIGSERIAL PRIMARY KEY,
    purpose      TEXT    NOT NULL,
    phone        TEXT    NOT NULL,
    code_hash    TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL,
    attempts     BIGINT  NOT NULL DEFAULT 0,
    used_at      BIGINT,
    -- The pending step's data as JSON (e.g. the registration's password hash); never the code.
    payload      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX sms_codes_lookup ON sms_codes (phone, purpose, id);

-- Every request for a code, counted for the send limits whether or not an SMS left.
CREATE TABLE sms_requests (
    id       BIGSERIAL PRIMARY KEY,
    phone    TEXT    NOT NULL,
    ip_net   TEXT    NOT NULL,
    prefix   TEXT    NOT NULL,
    at       BIGINT  NOT NULL
);
CREATE INDEX sms_requests_phone ON sms_requests (phone, at);
CREATE INDEX sms_requests_ip ON sms_requests (ip_net, at);
CREATE INDEX sms_requests_prefix ON sms_requests (prefix, at);
CREATE INDEX sms_requests_at ON sms_requests (at);

-- Evidence of every SMS handed to a provider: its message id and the raw answer.
CREATE TABLE sms_messages (
    id            BIGSERIAL PRIMARY KEY,
    provider      TEXT    NOT NULL,
    message_id    TEXT    NOT NULL DEFAULT '',
    phone         TEXT    NOT NULL,
    purpose       TEXT    NOT NULL,
    -- HMAC-SHA-256 of the exact text under auth.code_secret: a plain hash of a known
    -- template with six digits would give the code back.
    text_hmac     TEXT    NOT NULL,
    sent_at       BIGINT  NOT NULL,
    raw_response  TEXT    NOT NULL DEFAULT '',
    error         TEXT    NOT NULL DEFAULT ''
);

-- Consecutive failed password checks per phone, known or not (so the delay tells nothing).
-- An attempt is counted before the password is checked, and only while blocked_until has
-- passed, so parallel guesses cannot slip past the delay.
CREATE TABLE login_failures (
    phone            TEXT    PRIMARY KEY,
    failures         BIGINT  NOT NULL,
    last_failure_at  BIGINT  NOT NULL,
    blocked_until    BIGINT  NOT NULL DEFAULT 0
);

-- Sessions: only the SHA-256 of the cookie's token is stored; uid is the public id the
-- journal and signatures quote.
CREATE TABLE sessions (
    id_hash       TEXT    PRIMARY KEY,
    uid           TEXT    NOT NULL UNIQUE,
    user_id       TEXT    NOT NULL REFERENCES cabinet_users (id),
    created_at    BIGINT  NOT NULL,
    last_seen_at  BIGINT  NOT NULL,
    expires_at    BIGINT  NOT NULL,
    revoked_at    BIGINT,
    ip            TEXT    NOT NULL DEFAULT '',
    user_agent    TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);
