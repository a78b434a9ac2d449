-- Member accounts: a reserved nickname with an Argon2id password hash and
-- the profile given at registration (the band comes from the stored age,
-- so a member cannot change band by lying at login), and the single-use
-- recovery codes, stored as Argon2id hashes too.
--
-- `nick_key` is the folded nickname (case and lookalikes), unique: `Alice`
-- and `ALlCE` are one account. Deleting an account deletes its codes
-- (GDPR erasure): the store also deletes them explicitly, so a database
-- without foreign-key enforcement loses nothing either. Like 0001, every
-- statement except the rowid spelling runs unchanged on PostgreSQL.
CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    nick          TEXT    NOT NULL,
    nick_key      TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    email         TEXT,
    age           INTEGER NOT NULL,
    gender        TEXT    NOT NULL,
    department    TEXT    NOT NULL,
    created_at_ms BIGINT  NOT NULL,
    last_login_ms BIGINT
);

CREATE TABLE recovery_codes (
    id          INTEGER PRIMARY KEY,
    account_id  BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    code_hash   TEXT    NOT NULL,
    -- When the code was used; NULL while it is still valid.
    used_at_ms  BIGINT
);

CREATE INDEX recovery_codes_account ON recovery_codes (account_id);
