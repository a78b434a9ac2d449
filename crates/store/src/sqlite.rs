//! The SQLite driver: [`SqliteStore`] owns one database file in the data
//! folder, opened in WAL mode and migrated on open, and implements every
//! store trait with runtime-checked queries.

use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, Sqlite};

mod moderation;

use crate::{
    AccountStore, HistoryStore, NewAccount, StoreError, StoredAccount, StoredMessage,
    StoredRecoveryCode,
};

/// The database file's name inside the data folder.
pub const DATABASE_FILE_NAME: &str = "tchatche.sqlite3";

/// How long a statement waits for another connection's write lock before
/// failing with `SQLITE_BUSY`. Writes are short batches, so a few seconds
/// only runs out when something is badly wrong.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections in the pool. SQLite has a single writer, but in WAL mode
/// readers (`recent`) do not wait for it, so a few connections let history
/// reads proceed while the writer task commits.
const MAX_CONNECTIONS: u32 = 4;

/// Values bound per row by `append`.
const COLUMNS_PER_ROW: usize = 9;

/// SQLite refuses statements with more bound parameters than
/// `SQLITE_MAX_VARIABLE_NUMBER`: 32766 since 3.32 (the bundled build), but
/// 999 in older builds a distribution might link. Staying under 999 works
/// everywhere and costs little: a batch of 1000 messages is 10 statements.
const MAX_BOUND_PARAMETERS: usize = 999;

/// Rows per multi-row `INSERT`.
const ROWS_PER_INSERT: usize = MAX_BOUND_PARAMETERS / COLUMNS_PER_ROW;

/// Rows deleted per `DELETE` when pruning. Deleting in slices keeps each
/// write lock short, so the history writer's batches slip in between.
const ROWS_PER_PRUNE: i64 = 10_000;

const INSERT_ROOM_MESSAGES: &str = "INSERT INTO room_messages \
     (id, band, room, author_id, author_nick, body, at_ms, reply_to, mentions) ";

const SELECT_RECENT: &str = "SELECT id, band, room, author_id, author_nick, body, at_ms, reply_to, mentions \
     FROM room_messages WHERE band = ? AND room = ? ORDER BY id DESC LIMIT ?";

const DELETE_OLDER_THAN: &str = "DELETE FROM room_messages WHERE id IN \
     (SELECT id FROM room_messages WHERE at_ms < ? LIMIT ?)";

const SELECT_MAX_ID: &str = "SELECT MAX(id) FROM room_messages";

/// The schema, embedded at compile time from `crates/store/migrations`.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Storage in one SQLite file, `tchatche.sqlite3` in the data folder.
///
/// Cheap to clone: clones share one connection pool.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
    path: PathBuf,
}

impl SqliteStore {
    /// Opens (creating if needed) the data folder and the database in it,
    /// then applies any pending migrations.
    ///
    /// The database runs in WAL mode with `synchronous = NORMAL`: a commit
    /// survives a crash of the process, and at worst the last commits before
    /// a power loss are lost, never the file's integrity.
    pub async fn open(data_dir: &Path) -> Result<SqliteStore, StoreError> {
        // Blocking, but once at startup and only a few system calls.
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::CreateDir {
            path: data_dir.to_path_buf(),
            source,
        })?;
        let path = data_dir.join(DATABASE_FILE_NAME);
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open {
                path: path.clone(),
                source,
            })?;
        if let Err(error) = MIGRATOR.run(&pool).await {
            pool.close().await;
            return Err(StoreError::Migrate(error));
        }
        Ok(SqliteStore { pool, path })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Closes every connection, waiting for queries in progress to finish.
    /// Later calls on this store (or its clones) fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

#[async_trait]
impl HistoryStore for SqliteStore {
    async fn append(&self, messages: &[StoredMessage]) -> Result<(), StoreError> {
        if messages.is_empty() {
            return Ok(());
        }
        // Convert everything first, so a value out of range fails the call
        // before a transaction is even opened.
        let rows = messages
            .iter()
            .map(MessageRow::new)
            .collect::<Result<Vec<_>, _>>()?;
        let mut transaction = self.pool.begin().await.map_err(query_failed(
            "beginning a transaction to append room messages",
        ))?;
        let mut insert = QueryBuilder::<Sqlite>::new(INSERT_ROOM_MESSAGES);
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            insert.reset();
            insert.push_values(chunk, |mut values, row| {
                values
                    .push_bind(row.id)
                    .push_bind(row.band)
                    .push_bind(row.room)
                    .push_bind(row.author_id)
                    .push_bind(row.author_nick)
                    .push_bind(row.body)
                    .push_bind(row.at_ms)
                    .push_bind(row.reply_to)
                    .push_bind(row.mentions.as_str());
            });
            insert
                .build()
                .execute(&mut *transaction)
                .await
                .map_err(query_failed("appending room messages"))?;
        }
        // Dropping the transaction on an error above rolls it back: all or none.
        transaction
            .commit()
            .await
            .map_err(query_failed("committing appended room messages"))
    }

    async fn recent(
        &self,
        band: &str,
        room: &str,
        limit: u32,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(SELECT_RECENT)
            .bind(band)
            .bind(room)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(query_failed("reading recent room messages"))?;
        // Newest first from the index, oldest first for the caller.
        rows.iter().rev().map(read_message).collect()
    }

    async fn prune(&self, before_ms: u64) -> Result<u64, StoreError> {
        // Every stored `at_ms` is at most i64::MAX, so a larger cutoff means
        // "everything", which i64::MAX says just as well.
        let before_ms = i64::try_from(before_ms).unwrap_or(i64::MAX);
        let mut deleted = 0;
        loop {
            let result = sqlx::query(DELETE_OLDER_THAN)
                .bind(before_ms)
                .bind(ROWS_PER_PRUNE)
                .execute(&self.pool)
                .await
                .map_err(query_failed("pruning old room messages"))?;
            deleted += result.rows_affected();
            if result.rows_affected() < ROWS_PER_PRUNE.unsigned_abs() {
                return Ok(deleted);
            }
        }
    }

    async fn max_message_id(&self) -> Result<Option<u64>, StoreError> {
        let max_id: Option<i64> = sqlx::query_scalar(SELECT_MAX_ID)
            .fetch_one(&self.pool)
            .await
            .map_err(query_failed("reading the highest message id"))?;
        max_id.map(|id| stored_u64("id", id)).transpose()
    }
}

const SELECT_ACCOUNT: &str = "SELECT id, nick, nick_key, password_hash, email, age, gender, \
     department, created_at_ms, last_login_ms FROM accounts WHERE nick_key = ?";

#[async_trait]
impl AccountStore for SqliteStore {
    async fn create_account(
        &self,
        account: &NewAccount,
        recovery_code_hashes: &[String],
    ) -> Result<u64, StoreError> {
        let created_at_ms = to_i64("created_at_ms", account.created_at_ms)?;
        let mut transaction = self
            .pool
            .begin()
            .await
            .map_err(query_failed("beginning a transaction to create an account"))?;
        let inserted = sqlx::query(
            "INSERT INTO accounts (nick, nick_key, password_hash, email, age, gender, department, created_at_ms) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&account.nick)
        .bind(&account.nick_key)
        .bind(&account.password_hash)
        .bind(account.email.as_deref())
        .bind(i64::from(account.age))
        .bind(&account.gender)
        .bind(&account.department)
        .bind(created_at_ms)
        .execute(&mut *transaction)
        .await;
        let account_id = match inserted {
            Ok(result) => result.last_insert_rowid(),
            Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
                return Err(StoreError::Duplicate {
                    what: "an account with this nickname",
                });
            }
            Err(source) => {
                return Err(StoreError::Query {
                    operation: "creating an account",
                    source,
                });
            }
        };
        for hash in recovery_code_hashes {
            sqlx::query("INSERT INTO recovery_codes (account_id, code_hash) VALUES (?, ?)")
                .bind(account_id)
                .bind(hash)
                .execute(&mut *transaction)
                .await
                .map_err(query_failed("storing recovery codes"))?;
        }
        transaction
            .commit()
            .await
            .map_err(query_failed("committing a new account"))?;
        stored_u64("id", account_id)
    }

    async fn account_by_nick_key(
        &self,
        nick_key: &str,
    ) -> Result<Option<StoredAccount>, StoreError> {
        let row = sqlx::query(SELECT_ACCOUNT)
            .bind(nick_key)
            .fetch_optional(&self.pool)
            .await
            .map_err(query_failed("reading an account"))?;
        row.as_ref().map(read_account).transpose()
    }

    async fn account_nick_keys(&self) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar("SELECT nick_key FROM accounts")
            .fetch_all(&self.pool)
            .await
            .map_err(query_failed("listing account nicknames"))
    }

    async fn set_password_hash(&self, account_id: u64, hash: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE accounts SET password_hash = ? WHERE id = ?")
            .bind(hash)
            .bind(to_i64("account_id", account_id)?)
            .execute(&self.pool)
            .await
            .map_err(query_failed("changing a password"))?;
        Ok(())
    }

    async fn record_login(&self, account_id: u64, at_ms: u64) -> Result<(), StoreError> {
        sqlx::query("UPDATE accounts SET last_login_ms = ? WHERE id = ?")
            .bind(to_i64("at_ms", at_ms)?)
            .bind(to_i64("account_id", account_id)?)
            .execute(&self.pool)
            .await
            .map_err(query_failed("recording a login"))?;
        Ok(())
    }

    async fn unused_recovery_codes(
        &self,
        account_id: u64,
    ) -> Result<Vec<StoredRecoveryCode>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, code_hash FROM recovery_codes \
             WHERE account_id = ? AND used_at_ms IS NULL ORDER BY id",
        )
        .bind(to_i64("account_id", account_id)?)
        .fetch_all(&self.pool)
        .await
        .map_err(query_failed("reading recovery codes"))?;
        rows.iter()
            .map(|row| {
                let id: i64 = row
                    .try_get("id")
                    .map_err(query_failed("decoding a recovery code"))?;
                Ok(StoredRecoveryCode {
                    id: stored_u64("id", id)?,
                    code_hash: row
                        .try_get("code_hash")
                        .map_err(query_failed("decoding a recovery code"))?,
                })
            })
            .collect()
    }

    async fn use_recovery_code(&self, code_id: u64, at_ms: u64) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "UPDATE recovery_codes SET used_at_ms = ? WHERE id = ? AND used_at_ms IS NULL",
        )
        .bind(to_i64("at_ms", at_ms)?)
        .bind(to_i64("code_id", code_id)?)
        .execute(&self.pool)
        .await
        .map_err(query_failed("using a recovery code"))?;
        Ok(result.rows_affected() == 1)
    }

    async fn delete_account(&self, account_id: u64) -> Result<bool, StoreError> {
        let account_id = to_i64("account_id", account_id)?;
        let mut transaction = self
            .pool
            .begin()
            .await
            .map_err(query_failed("beginning a transaction to delete an account"))?;
        sqlx::query("DELETE FROM recovery_codes WHERE account_id = ?")
            .bind(account_id)
            .execute(&mut *transaction)
            .await
            .map_err(query_failed("deleting recovery codes"))?;
        let deleted = sqlx::query("DELETE FROM accounts WHERE id = ?")
            .bind(account_id)
            .execute(&mut *transaction)
            .await
            .map_err(query_failed("deleting an account"))?;
        transaction
            .commit()
            .await
            .map_err(query_failed("committing an account deletion"))?;
        Ok(deleted.rows_affected() == 1)
    }
}

/// Reads one `accounts` row selected with [`SELECT_ACCOUNT`].
fn read_account(row: &SqliteRow) -> Result<StoredAccount, StoreError> {
    let columns = Columns::of(row, "decoding an account");
    let age: i64 = columns.get("age")?;
    Ok(StoredAccount {
        id: columns.unsigned("id")?,
        nick: columns.get("nick")?,
        nick_key: columns.get("nick_key")?,
        password_hash: columns.get("password_hash")?,
        email: columns.get("email")?,
        age: u32::try_from(age).map_err(|_| StoreError::Corrupt {
            field: "age",
            value: age.to_string(),
        })?,
        gender: columns.get("gender")?,
        department: columns.get("department")?,
        created_at_ms: columns.unsigned("created_at_ms")?,
        last_login_ms: columns.optional_unsigned("last_login_ms")?,
    })
}

/// A [`StoredMessage`] converted to the database's types, borrowing its text.
struct MessageRow<'a> {
    id: i64,
    band: &'a str,
    room: &'a str,
    author_id: i64,
    author_nick: &'a str,
    body: &'a str,
    at_ms: i64,
    reply_to: Option<i64>,
    mentions: String,
}

impl<'a> MessageRow<'a> {
    fn new(message: &'a StoredMessage) -> Result<Self, StoreError> {
        Ok(MessageRow {
            id: to_i64("id", message.id)?,
            band: &message.band,
            room: &message.room,
            author_id: to_i64("author_id", message.author_id)?,
            author_nick: &message.author_nick,
            body: &message.body,
            at_ms: to_i64("at_ms", message.at_ms)?,
            reply_to: message
                .reply_to
                .map(|id| to_i64("reply_to", id))
                .transpose()?,
            mentions: encode_mentions(&message.mentions)?,
        })
    }
}

/// Reads one `room_messages` row selected with the columns in table order.
fn read_message(row: &SqliteRow) -> Result<StoredMessage, StoreError> {
    let columns = Columns::of(row, "decoding a room message");
    Ok(StoredMessage {
        id: columns.unsigned("id")?,
        band: columns.get("band")?,
        room: columns.get("room")?,
        author_id: columns.unsigned("author_id")?,
        author_nick: columns.get("author_nick")?,
        body: columns.get("body")?,
        at_ms: columns.unsigned("at_ms")?,
        reply_to: columns.optional_unsigned("reply_to")?,
        mentions: decode_mentions(&columns.get::<String>("mentions")?)?,
    })
}

/// Mentioned ids as stored: decimal, comma-separated, `""` for none.
fn encode_mentions(mentions: &[u64]) -> Result<String, StoreError> {
    let mut encoded = String::new();
    for &id in mentions {
        // Checked like every other id, so the column stays readable by a
        // PostgreSQL driver that parses it into BIGINTs.
        to_i64("mentions", id)?;
        if !encoded.is_empty() {
            encoded.push(',');
        }
        encoded.push_str(&id.to_string());
    }
    Ok(encoded)
}

/// The inverse of [`encode_mentions`].
fn decode_mentions(encoded: &str) -> Result<Vec<u64>, StoreError> {
    if encoded.is_empty() {
        return Ok(Vec::new());
    }
    encoded
        .split(',')
        .map(|id| {
            id.parse().map_err(|_| StoreError::Corrupt {
                field: "mentions",
                value: encoded.to_owned(),
            })
        })
        .collect()
}

/// Converts a value to store, refusing what does not fit a signed column.
fn to_i64(field: &'static str, value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::OutOfRange { field, value })
}

/// Converts a value read back, refusing negatives (never written by us).
fn stored_u64(field: &'static str, value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt {
        field,
        value: value.to_string(),
    })
}

/// Wraps a driver error with what the store was doing.
fn query_failed(operation: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |source| StoreError::Query { operation, source }
}

/// The columns of one row read back, with what the store was decoding
/// named in any error.
struct Columns<'r> {
    row: &'r SqliteRow,
    decoding: &'static str,
}

impl<'r> Columns<'r> {
    fn of(row: &'r SqliteRow, decoding: &'static str) -> Columns<'r> {
        Columns { row, decoding }
    }

    /// A column as stored.
    fn get<T>(&self, name: &'static str) -> Result<T, StoreError>
    where
        T: sqlx::Decode<'r, Sqlite> + sqlx::Type<Sqlite>,
    {
        self.row.try_get(name).map_err(query_failed(self.decoding))
    }

    /// An id or a time, refusing negatives (never written by us).
    fn unsigned(&self, name: &'static str) -> Result<u64, StoreError> {
        stored_u64(name, self.get(name)?)
    }

    /// [`Columns::unsigned`] for a nullable column.
    fn optional_unsigned(&self, name: &'static str) -> Result<Option<u64>, StoreError> {
        self.get::<Option<i64>>(name)?
            .map(|value| stored_u64(name, value))
            .transpose()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// A message in `band`/`room`, sent at `at_ms`, with everything else
    /// derived from `id`.
    fn message(id: u64, band: &str, room: &str, at_ms: u64) -> StoredMessage {
        StoredMessage {
            id,
            band: band.to_owned(),
            room: room.to_owned(),
            author_id: 1000 + id % 7,
            author_nick: format!("nick{}", id % 7),
            body: format!("message {id}"),
            at_ms,
            reply_to: None,
            mentions: Vec::new(),
        }
    }

    fn ids(messages: &[StoredMessage]) -> Vec<u64> {
        messages.iter().map(|message| message.id).collect()
    }

    fn new_account(nick: &str) -> NewAccount {
        NewAccount {
            nick: nick.to_owned(),
            nick_key: nick.to_lowercase(),
            password_hash: format!("hash-of-{nick}"),
            email: None,
            age: 30,
            gender: "femme".to_owned(),
            department: "75".to_owned(),
            created_at_ms: 1_000,
        }
    }

    #[tokio::test]
    async fn accounts_are_created_read_changed_and_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        let codes = vec!["c1".to_owned(), "c2".to_owned()];
        let id = store
            .create_account(
                &NewAccount {
                    email: Some("alice@example.org".into()),
                    ..new_account("Alice")
                },
                &codes,
            )
            .await
            .unwrap();
        let account = store.account_by_nick_key("alice").await.unwrap().unwrap();
        assert_eq!(account.id, id);
        assert_eq!(account.nick, "Alice");
        assert_eq!(account.email.as_deref(), Some("alice@example.org"));
        assert_eq!((account.age, account.gender.as_str()), (30, "femme"));
        assert_eq!(account.last_login_ms, None);
        assert_eq!(store.account_by_nick_key("bob").await.unwrap(), None);
        assert_eq!(store.account_nick_keys().await.unwrap(), ["alice"]);

        store.set_password_hash(id, "new-hash").await.unwrap();
        store.record_login(id, 2_000).await.unwrap();
        let account = store.account_by_nick_key("alice").await.unwrap().unwrap();
        assert_eq!(account.password_hash, "new-hash");
        assert_eq!(account.last_login_ms, Some(2_000));

        assert!(store.delete_account(id).await.unwrap());
        assert!(!store.delete_account(id).await.unwrap());
        assert_eq!(store.account_by_nick_key("alice").await.unwrap(), None);
        assert!(store.unused_recovery_codes(id).await.unwrap().is_empty());
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM recovery_codes")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        assert_eq!(left, 0, "deleting an account deletes its codes");
        store.close().await;
    }

    #[tokio::test]
    async fn a_second_account_with_the_same_key_is_a_duplicate() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        store
            .create_account(&new_account("Alice"), &[])
            .await
            .unwrap();
        let error = store
            .create_account(&new_account("ALICE"), &["c".to_owned()])
            .await
            .unwrap_err();
        assert!(matches!(error, StoreError::Duplicate { .. }), "{error:?}");
        store.close().await;
    }

    #[tokio::test]
    async fn a_recovery_code_is_used_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        let codes = vec!["c1".to_owned(), "c2".to_owned(), "c3".to_owned()];
        let id = store
            .create_account(&new_account("Alice"), &codes)
            .await
            .unwrap();
        let unused = store.unused_recovery_codes(id).await.unwrap();
        let hashes: Vec<_> = unused.iter().map(|code| code.code_hash.as_str()).collect();
        assert_eq!(hashes, ["c1", "c2", "c3"]);
        assert!(store.use_recovery_code(unused[1].id, 5).await.unwrap());
        assert!(!store.use_recovery_code(unused[1].id, 6).await.unwrap());
        let unused = store.unused_recovery_codes(id).await.unwrap();
        let hashes: Vec<_> = unused.iter().map(|code| code.code_hash.as_str()).collect();
        assert_eq!(hashes, ["c1", "c3"]);
        store.close().await;
    }

    #[tokio::test]
    async fn accounts_survive_close_and_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = SqliteStore::open(dir.path()).await.unwrap();
            store
                .create_account(&new_account("Alice"), &[])
                .await
                .unwrap();
            store.close().await;
        }
        let store = SqliteStore::open(dir.path()).await.unwrap();
        assert!(store.account_by_nick_key("alice").await.unwrap().is_some());
        store.close().await;
    }

    #[tokio::test]
    async fn open_creates_the_folder_and_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("nested").join("data");
        let store = SqliteStore::open(&data_dir).await.unwrap();
        assert_eq!(store.path(), data_dir.join(DATABASE_FILE_NAME));
        assert!(store.path().is_file());
        assert_eq!(store.max_message_id().await.unwrap(), None);
        store.close().await;
    }

    #[tokio::test]
    async fn open_uses_wal_mode() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        store.close().await;
    }

    #[tokio::test]
    async fn recent_returns_the_last_messages_oldest_first() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        let messages: Vec<_> = (1..=10)
            .map(|id| message(id, "teen", "lobby", id))
            .collect();
        store.append(&messages).await.unwrap();

        let recent = store.recent("teen", "lobby", 3).await.unwrap();
        assert_eq!(ids(&recent), [8, 9, 10]);
        assert_eq!(recent[0], messages[7]);

        let all = store.recent("teen", "lobby", 100).await.unwrap();
        assert_eq!(all, messages);
        assert!(store.recent("teen", "lobby", 0).await.unwrap().is_empty());
        assert!(
            store
                .recent("teen", "elsewhere", 10)
                .await
                .unwrap()
                .is_empty()
        );
        store.close().await;
    }

    #[tokio::test]
    async fn append_spans_several_insert_statements() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        let count = ROWS_PER_INSERT as u64 * 3 + 5;
        let messages: Vec<_> = (1..=count)
            .map(|id| message(id, "adult", "lobby", id))
            .collect();
        store.append(&messages).await.unwrap();
        let stored = store.recent("adult", "lobby", u32::MAX).await.unwrap();
        assert_eq!(stored, messages);
        assert_eq!(store.max_message_id().await.unwrap(), Some(count));
        store.close().await;
    }

    #[tokio::test]
    async fn bands_never_share_a_room() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        store
            .append(&[
                message(1, "teen", "lobby", 1),
                message(2, "adult", "lobby", 2),
                message(3, "teen", "lobby", 3),
                message(4, "adult", "lobby", 4),
            ])
            .await
            .unwrap();
        let teen = store.recent("teen", "lobby", 10).await.unwrap();
        let adult = store.recent("adult", "lobby", 10).await.unwrap();
        assert_eq!(ids(&teen), [1, 3]);
        assert_eq!(ids(&adult), [2, 4]);
        assert!(teen.iter().all(|message| message.band == "teen"));
        assert!(adult.iter().all(|message| message.band == "adult"));
        store.close().await;
    }

    #[tokio::test]
    async fn history_survives_close_and_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let messages: Vec<_> = (1..=5).map(|id| message(id, "teen", "lobby", id)).collect();
        {
            let store = SqliteStore::open(dir.path()).await.unwrap();
            store.append(&messages).await.unwrap();
            store.close().await;
        }
        let store = SqliteStore::open(dir.path()).await.unwrap();
        assert_eq!(store.max_message_id().await.unwrap(), Some(5));
        assert_eq!(store.recent("teen", "lobby", 10).await.unwrap(), messages);
        store.close().await;
    }

    #[tokio::test]
    async fn prune_removes_only_older_messages() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        let messages: Vec<_> = (1..=6)
            .map(|id| message(id, "teen", "lobby", id * 100))
            .collect();
        store.append(&messages).await.unwrap();

        // Strictly older: the message at exactly 300 stays.
        assert_eq!(store.prune(300).await.unwrap(), 2);
        assert_eq!(
            ids(&store.recent("teen", "lobby", 10).await.unwrap()),
            [3, 4, 5, 6]
        );
        assert_eq!(store.prune(300).await.unwrap(), 0);
        assert_eq!(store.prune(u64::MAX).await.unwrap(), 4);
        assert!(store.recent("teen", "lobby", 10).await.unwrap().is_empty());
        store.close().await;
    }

    #[tokio::test]
    async fn prune_deletes_more_than_one_slice() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        let old = ROWS_PER_PRUNE.unsigned_abs() * 2 + 3;
        let messages: Vec<_> = (1..=old + 2)
            .map(|id| message(id, "teen", "lobby", id))
            .collect();
        store.append(&messages).await.unwrap();
        assert_eq!(store.prune(old + 1).await.unwrap(), old);
        assert_eq!(
            ids(&store.recent("teen", "lobby", 10).await.unwrap()),
            [old + 1, old + 2]
        );
        store.close().await;
    }

    #[tokio::test]
    async fn mentions_and_reply_to_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        let original = message(1, "teen", "lobby", 1);
        let reply = StoredMessage {
            reply_to: Some(1),
            mentions: vec![1000, 7, i64::MAX.unsigned_abs()],
            ..message(2, "teen", "lobby", 2)
        };
        let single = StoredMessage {
            mentions: vec![42],
            ..message(3, "teen", "lobby", 3)
        };
        let messages = vec![original, reply, single];
        store.append(&messages).await.unwrap();
        assert_eq!(store.recent("teen", "lobby", 10).await.unwrap(), messages);
        store.close().await;
    }

    #[tokio::test]
    async fn append_refuses_values_beyond_i64_and_stores_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        let too_large = 1 << 63;
        let batch = [
            message(1, "teen", "lobby", 1),
            StoredMessage {
                mentions: vec![too_large],
                ..message(2, "teen", "lobby", 2)
            },
        ];
        let error = store.append(&batch).await.unwrap_err();
        assert!(
            matches!(error, StoreError::OutOfRange { field: "mentions", value } if value == too_large),
            "{error:?}"
        );
        assert_eq!(store.max_message_id().await.unwrap(), None);
        store.close().await;
    }

    #[tokio::test]
    async fn a_failing_batch_is_rolled_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        store
            .append(&[message(5, "teen", "lobby", 5)])
            .await
            .unwrap();
        // Ids 6..=300 span three statements; the duplicate id 5 fails the
        // last one, after the first two have inserted their rows.
        let mut batch: Vec<_> = (6..=300)
            .map(|id| message(id, "teen", "lobby", id))
            .collect();
        batch.push(message(5, "teen", "lobby", 5));
        let error = store.append(&batch).await.unwrap_err();
        assert!(matches!(error, StoreError::Query { .. }), "{error:?}");
        assert_eq!(
            ids(&store.recent("teen", "lobby", 1000).await.unwrap()),
            [5]
        );
        store.close().await;
    }
}
