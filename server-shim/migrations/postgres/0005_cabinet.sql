-- Reads of the «Информация» block counted per session and minute, for the read limit (A22):
-- a session that reads more objects a minute than a person could is a script walking ids.
CREATE TABLE read_counts (
    session_uid  TEXT    NOT NULL,
    -- Unix minute (seconds / 60).
    minute       BIGINT  NOT NULL,
    reads        BIGINT  NOT NULL,
    PRIMARY KEY (session_uid, minute)
);
