-- Documents issued to clients as PDF: what was issued, to whom, when, and the SHA-256 of the
-- exact bytes handed out. The PDF itself is not kept; the public verify page finds a row by
-- its code and shows only the title, the time and the hash. Times are Unix seconds (UTC).
CREATE TABLE documents (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    -- 12 Crockford base32 characters, upper case, no dashes.
    code        TEXT    NOT NULL UNIQUE,
    client_id   TEXT    NOT NULL,
    -- The DocumentKind slug: 'schedule', 'act', 'debt-certificate', ...
    kind        TEXT    NOT NULL,
    -- The contract's id in accounting.
    subject_id  TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    file_name   TEXT    NOT NULL,
    -- Lower-case hex.
    sha256      TEXT    NOT NULL,
    size        BIGINT  NOT NULL,
    issued_at   BIGINT  NOT NULL
);
CREATE INDEX documents_client ON documents (client_id, issued_at);
