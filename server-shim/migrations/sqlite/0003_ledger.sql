-- The built-in ledger's contracts: products, loans, savings, contributions, applications, and
-- the events posted to them. Balances and schedules are never stored: they are derived from a
-- contract's terms and its events, so any past day can be recomputed exactly. Money is integer
-- kopecks, rates basis points per year, days 'YYYY-MM-DD' text, times Unix seconds (UTC).

CREATE TABLE ledger_products (
    id                  TEXT    PRIMARY KEY,
    -- 'loan' or 'savings'
    kind                TEXT    NOT NULL,
    name                TEXT    NOT NULL,
    rate_bp             INTEGER NOT NULL,
    min_amount          BIGINT  NOT NULL,
    max_amount          BIGINT  NOT NULL,
    min_term_months     INTEGER NOT NULL,
    max_term_months     INTEGER NOT NULL,
    -- loans: 'annuity' or 'differentiated'; savings: ''
    repayment           TEXT    NOT NULL DEFAULT '',
    penalty_rate_bp     INTEGER NOT NULL DEFAULT 0,
    capitalisation      INTEGER NOT NULL DEFAULT 0,
    top_up_allowed      INTEGER NOT NULL DEFAULT 0,
    withdrawal_allowed  INTEGER NOT NULL DEFAULT 0,
    min_balance         BIGINT  NOT NULL DEFAULT 0,
    early_rate_bp       INTEGER NOT NULL DEFAULT 0,
    created_at          BIGINT  NOT NULL
);

-- A loan's terms are copied from its product when signed: a later product change does not
-- touch contracts already made.
CREATE TABLE ledger_loans (
    id               TEXT    PRIMARY KEY,
    client_id        TEXT    NOT NULL REFERENCES ledger_clients (id),
    number           TEXT    NOT NULL UNIQUE,
    product          TEXT    NOT NULL,
    issued_on        TEXT    NOT NULL,
    amount           BIGINT  NOT NULL,
    rate_bp          INTEGER NOT NULL,
    term_months      INTEGER NOT NULL,
    repayment        TEXT    NOT NULL,
    penalty_rate_bp  INTEGER NOT NULL,
    created_at       BIGINT  NOT NULL
);
CREATE INDEX ledger_loans_client ON ledger_loans (client_id);

-- Payments and early repayments, in the order posted.
CREATE TABLE ledger_loan_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    loan_id     TEXT    NOT NULL REFERENCES ledger_loans (id),
    -- 'payment', 'early_shorter_term', 'early_smaller_installment'
    kind        TEXT    NOT NULL,
    event_on    TEXT    NOT NULL,
    amount      BIGINT  NOT NULL,
    created_at  BIGINT  NOT NULL
);
CREATE INDEX ledger_loan_events_loan ON ledger_loan_events (loan_id, event_on, id);

CREATE TABLE ledger_savings (
    id                  TEXT    PRIMARY KEY,
    client_id           TEXT    NOT NULL REFERENCES ledger_clients (id),
    number              TEXT    NOT NULL UNIQUE,
    product             TEXT    NOT NULL,
    opened_on           TEXT    NOT NULL,
    amount              BIGINT  NOT NULL,
    rate_bp             INTEGER NOT NULL,
    term_months         INTEGER NOT NULL,
    capitalisation      INTEGER NOT NULL,
    top_up_allowed      INTEGER NOT NULL,
    withdrawal_allowed  INTEGER NOT NULL,
    min_balance         BIGINT  NOT NULL,
    early_rate_bp       INTEGER NOT NULL,
    created_at          BIGINT  NOT NULL
);
CREATE INDEX ledger_savings_client ON ledger_savings (client_id);

CREATE TABLE ledger_savings_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    savings_id  TEXT    NOT NULL REFERENCES ledger_savings (id),
    -- 'top_up', 'withdrawal', 'early_termination'
    kind        TEXT    NOT NULL,
    event_on    TEXT    NOT NULL,
    amount      BIGINT  NOT NULL,
    created_at  BIGINT  NOT NULL
);
CREATE INDEX ledger_savings_events_savings ON ledger_savings_events (savings_id, event_on, id);

-- Contributions: positive = paid in by the client, negative = returned or charged.
CREATE TABLE ledger_contributions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id    TEXT    NOT NULL REFERENCES ledger_clients (id),
    -- 'returnable' (паевой) or 'membership' (членский)
    kind         TEXT    NOT NULL,
    op_on        TEXT    NOT NULL,
    amount       BIGINT  NOT NULL,
    description  TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL
);
CREATE INDEX ledger_contributions_client ON ledger_contributions (client_id, op_on, id);

CREATE TABLE ledger_applications (
    id           TEXT    PRIMARY KEY,
    client_id    TEXT    NOT NULL REFERENCES ledger_clients (id),
    -- 'loan' or 'savings'
    kind         TEXT    NOT NULL,
    number       TEXT    NOT NULL UNIQUE,
    made_on      TEXT    NOT NULL,
    product      TEXT    NOT NULL,
    amount       BIGINT  NOT NULL,
    term_months  INTEGER NOT NULL,
    -- 'new', 'under_review', 'approved', 'declined'
    status       TEXT    NOT NULL,
    comment      TEXT,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL
);
CREATE INDEX ledger_applications_client ON ledger_applications (client_id, kind);
