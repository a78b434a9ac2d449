-- Room history: one row per room message, written in batches by the
-- history writer and read back newest first when someone joins a room.
--
-- Integers are 64-bit signed in both SQLite and PostgreSQL; the store
-- converts its u64 values with checked conversions (ids stay below 2^63).
-- `id` is spelled INTEGER PRIMARY KEY because only that exact spelling makes
-- it SQLite's rowid (no second b-tree); the PostgreSQL migration of the same
-- version spells it BIGINT PRIMARY KEY. Every other statement here runs
-- unchanged on PostgreSQL.
CREATE TABLE room_messages (
    id          INTEGER PRIMARY KEY,
    band        TEXT    NOT NULL,
    room        TEXT    NOT NULL,
    author_id   BIGINT  NOT NULL,
    author_nick TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    at_ms       BIGINT  NOT NULL,
    reply_to    BIGINT,
    -- Mentioned session ids, comma-separated, '' when none.
    mentions    TEXT    NOT NULL DEFAULT ''
);

-- "The last N messages of this room": an index range scan read backwards.
CREATE INDEX room_messages_band_room_id ON room_messages (band, room, id);

-- Retention: pruning deletes by age.
CREATE INDEX room_messages_at_ms ON room_messages (at_ms);
