-- Reads of the «Информация» block counted per session and second, for the read limit (A22):
-- the reads of the last 60 seconds are summed, so no minute, wherever it starts, holds more
-- than the limit. A session that reads more than a person could is a script walking ids.
CREATE TABLE read_counts (
    session_uid  TEXT    NOT NULL,
    -- Unix second of the reads.
    second       BIGINT  NOT NULL,
    reads        BIGINT  NOT NULL,
    PRIMARY KEY (session_uid, second)
);
