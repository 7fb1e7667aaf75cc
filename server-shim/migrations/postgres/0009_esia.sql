-- Sign-in through ESIA (Госуслуги): the passport accounting matches on, the trips to ESIA in
-- progress, and the links between cabinet accounts and ESIA identities. Times are Unix
-- seconds (UTC).

-- The built-in ledger's passport of a client: series and number as ten digits, '' unknown.
ALTER TABLE ledger_clients ADD COLUMN passport TEXT NOT NULL DEFAULT '';
CREATE INDEX ledger_clients_passport ON ledger_clients (passport);

-- One trip to ESIA. `state` is the UUID sent to ESIA; the flow cookie's token is kept only as
-- its SHA-256 (binding_hash), and only the browser holding that cookie learns the outcome.
-- ESIA's answer is taken once (answered_at); the outcome is used once (finished_at).
CREATE TABLE esia_flows (
    state          TEXT    PRIMARY KEY,
    binding_hash   TEXT    NOT NULL UNIQUE,
    -- Sent to ESIA with the trip: the OpenID nonce (checked in the id_token when ESIA echoes
    -- it) and the PKCE code_verifier (its S256 challenge went to v2/ac, the verifier goes with
    -- the code to v3/te), so a code is of use only to the trip it was issued for.
    nonce          TEXT    NOT NULL,
    code_verifier  TEXT    NOT NULL,
    return_to      TEXT    NOT NULL,
    ip             TEXT    NOT NULL,
    created_at     BIGINT  NOT NULL,
    expires_at     BIGINT  NOT NULL,
    answered_at    BIGINT,
    -- '' until ESIA answers; then matched | no_match | failed
    outcome        TEXT    NOT NULL DEFAULT '',
    -- failed: the kabinet error code shown to the client
    error_code     TEXT    NOT NULL DEFAULT '',
    -- From ESIA's verified data: the OID and the full name; matched: the accounting client.
    subject        TEXT    NOT NULL DEFAULT '',
    full_name      TEXT    NOT NULL DEFAULT '',
    client_id      TEXT    NOT NULL DEFAULT '',
    finished_at    BIGINT,
    -- 1 once a replay of this trip's answer has been journaled (once is enough)
    replay_seen    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX esia_flows_expires ON esia_flows (expires_at);

-- A cabinet account linked to an external identity (ESIA: the OID). One identity per account
-- and one account per identity.
CREATE TABLE identity_links (
    provider    TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    user_id     TEXT    NOT NULL REFERENCES cabinet_users (id),
    linked_at   BIGINT  NOT NULL,
    ip          TEXT    NOT NULL,
    PRIMARY KEY (provider, subject),
    UNIQUE (provider, user_id)
);
