-- Site-wide sanctions and the staff audit log.
--
-- A sanction names whom it binds by the folded nickname (a member's
-- nickname is their account, a guest's is what they entered with) and,
-- when staff asked for it, by the address the person was connected from.
-- `expires_at_ms` is NULL for a ban for good; `lifted_at_ms` is set when
-- staff ends it early. Rows are kept after they end: they are the
-- person's history of sanctions. Ids come from the hub (as message ids
-- do), so the hub never waits for the database to answer staff.
CREATE TABLE sanctions (
    id            INTEGER PRIMARY KEY,
    kind          TEXT    NOT NULL,
    nick          TEXT    NOT NULL,
    nick_key      TEXT    NOT NULL,
    address       TEXT,
    reason        TEXT    NOT NULL,
    by_nick       TEXT    NOT NULL,
    created_at_ms BIGINT  NOT NULL,
    expires_at_ms BIGINT,
    lifted_at_ms  BIGINT
);

-- Every staff action, append-only and hash-chained: each row's `hash` is
-- SHA-256 over the previous row's hash and this row's fields, so editing
-- or deleting a row breaks every hash after it (see
-- `AuditStore::verify_audit`). Nothing updates or deletes this table.
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at_ms     BIGINT  NOT NULL,
    actor     TEXT    NOT NULL,
    action    TEXT    NOT NULL,
    subject   TEXT    NOT NULL,
    detail    TEXT    NOT NULL,
    prev_hash TEXT    NOT NULL,
    hash      TEXT    NOT NULL
);
