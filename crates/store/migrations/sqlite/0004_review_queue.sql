-- The review queue: what the safety decision held back or flagged (a room
-- message, a private message, a topic, an away message, a room name, a
-- bio…), waiting for staff, with the evidence: the message and what was
-- said around it, as it was then.
--
-- Ids come from the hub, as for sanctions. `place` is the room's slug, or
-- '' for speech outside any room. A review is pending while
-- `decided_at_ms` is NULL; staff decide it once, setting `decision` and
-- `decided_at_ms` together. The tables and the index run unchanged on
-- PostgreSQL except the rowid spelling (see 0001); the triggers are
-- SQLite's, and the PostgreSQL migration of this version spells them as
-- trigger functions.
CREATE TABLE reviews (
    id            INTEGER PRIMARY KEY,
    verdict       TEXT    NOT NULL,
    speech        TEXT    NOT NULL,
    band          TEXT    NOT NULL,
    place         TEXT    NOT NULL,
    author_id     BIGINT  NOT NULL,
    author_nick   TEXT    NOT NULL,
    text          TEXT    NOT NULL,
    rule          TEXT    NOT NULL,
    at_ms         BIGINT  NOT NULL,
    decided_at_ms BIGINT,
    decision      TEXT,
    CHECK ((decided_at_ms IS NULL) = (decision IS NULL))
);

-- "The oldest pending reviews": only pending rows are indexed, so the
-- queue's read stays small however many reviews were decided.
CREATE INDEX reviews_pending ON reviews (at_ms, id) WHERE decided_at_ms IS NULL;

-- A review's evidence, one row per line, in the order recorded.
CREATE TABLE review_context (
    review_id   BIGINT  NOT NULL REFERENCES reviews (id),
    position    INTEGER NOT NULL,
    message_id  BIGINT  NOT NULL,
    author_id   BIGINT  NOT NULL,
    author_nick TEXT    NOT NULL,
    text        TEXT    NOT NULL,
    at_ms       BIGINT  NOT NULL,
    PRIMARY KEY (review_id, position)
);

-- Evidence is immutable once recorded: no line is ever edited, and a
-- review changes only once, when it is decided. (Deleting whole reviews is
-- left to the retention purge that will come with its own rules.)
CREATE TRIGGER review_context_is_immutable
BEFORE UPDATE ON review_context
BEGIN
    SELECT RAISE(ABORT, 'review evidence is immutable');
END;

CREATE TRIGGER reviews_are_decided_once
BEFORE UPDATE ON reviews
WHEN OLD.decided_at_ms IS NOT NULL
    OR NEW.id IS NOT OLD.id
    OR NEW.verdict IS NOT OLD.verdict
    OR NEW.speech IS NOT OLD.speech
    OR NEW.band IS NOT OLD.band
    OR NEW.place IS NOT OLD.place
    OR NEW.author_id IS NOT OLD.author_id
    OR NEW.author_nick IS NOT OLD.author_nick
    OR NEW.text IS NOT OLD.text
    OR NEW.rule IS NOT OLD.rule
    OR NEW.at_ms IS NOT OLD.at_ms
BEGIN
    SELECT RAISE(ABORT, 'a review is decided once, and its evidence is immutable');
END;
