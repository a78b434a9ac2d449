//! The SQLite driver: [`SqliteStore`] owns one database file, opened in WAL
//! mode and migrated on open from `crates/store/migrations/sqlite`.
//!
//! This file holds what every aggregate shares: opening (the folder, the
//! pragmas, the pool, the migrations), closing, and the conversions between
//! the store's `u64`s and SQLite's signed integers. Each aggregate's trait
//! is implemented in its own file (`history.rs`, `accounts.rs`,
//! `moderation.rs`), with runtime-checked queries. The behaviour every
//! driver shares is tested by the conformance suite (`crate::conformance`);
//! the tests here are about SQLite itself.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::query_builder::Separated;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteRow, SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::StoreError;

mod accounts;
mod history;
mod moderation;

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

/// SQLite refuses statements with more bound parameters than
/// `SQLITE_MAX_VARIABLE_NUMBER`: 32766 since 3.32 (the bundled build), but
/// 999 in older builds a distribution might link. Staying under 999 works
/// everywhere and costs little: a batch of 1000 messages is 10 statements.
const MAX_BOUND_PARAMETERS: usize = 999;

/// The schema, embedded at compile time. The files of versions already
/// released must never change: sqlx refuses to open a database whose
/// applied migrations' checksums differ from these (see the test
/// `released_migrations_are_unchanged`).
static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// Storage in one SQLite file, by default `tchatche.sqlite3` in the data
/// folder.
///
/// Cheap to clone: clones share one connection pool.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
    path: PathBuf,
}

impl SqliteStore {
    /// Opens (creating if needed) the data folder and
    /// [`DATABASE_FILE_NAME`] in it; see [`SqliteStore::open_file`].
    pub async fn open(data_dir: &Path) -> Result<SqliteStore, StoreError> {
        SqliteStore::open_file(&data_dir.join(DATABASE_FILE_NAME)).await
    }

    /// Opens (creating if needed) the database file and the folder that
    /// holds it, then applies any pending migrations.
    ///
    /// The database runs in WAL mode with `synchronous = NORMAL`: a commit
    /// survives a crash of the process, and at worst the last commits before
    /// a power loss are lost, never the file's integrity.
    pub async fn open_file(path: &Path) -> Result<SqliteStore, StoreError> {
        if let Some(folder) = path.parent() {
            // Blocking, but once at startup and only a few system calls.
            std::fs::create_dir_all(folder).map_err(|source| StoreError::CreateDir {
                path: folder.to_path_buf(),
                source,
            })?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
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
                path: path.to_path_buf(),
                source,
            })?;
        if let Err(error) = MIGRATOR.run(&pool).await {
            pool.close().await;
            return Err(StoreError::Migrate(error));
        }
        Ok(SqliteStore {
            pool,
            path: path.to_path_buf(),
        })
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

/// Rows of `columns` values that fit one statement.
const fn rows_per_insert(columns: usize) -> usize {
    MAX_BOUND_PARAMETERS / columns
}

/// Inserts `rows` with as few multi-row statements as the bound-parameter
/// limit allows. `insert` is the statement up to `VALUES`; `bind` binds
/// one row's `columns` values. Run it in a transaction: a failing
/// statement leaves the earlier ones' rows behind otherwise.
async fn insert_rows<T>(
    connection: &mut SqliteConnection,
    insert: &'static str,
    columns: usize,
    rows: &[T],
    mut bind: impl FnMut(Separated<'_, Sqlite, &'static str>, &T),
    operation: &'static str,
) -> Result<(), StoreError> {
    let mut statement = QueryBuilder::<Sqlite>::new(insert);
    for chunk in rows.chunks(rows_per_insert(columns)) {
        statement.reset();
        statement.push_values(chunk, &mut bind);
        statement
            .build()
            .execute(&mut *connection)
            .await
            .map_err(query_failed(operation))?;
    }
    Ok(())
}

/// Converts a value to store, refusing what does not fit a signed column.
fn to_i64(field: &'static str, value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::OutOfRange { field, value })
}

/// [`to_i64`] for a nullable column.
fn optional_i64(field: &'static str, value: Option<u64>) -> Result<Option<i64>, StoreError> {
    value.map(|value| to_i64(field, value)).transpose()
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

/// [`query_failed`] for an insert that may break a uniqueness rule, which
/// is [`StoreError::Duplicate`] of `what`.
fn insert_failed(
    operation: &'static str,
    what: &'static str,
) -> impl Fn(sqlx::Error) -> StoreError {
    move |source| match source {
        sqlx::Error::Database(error) if error.is_unique_violation() => {
            StoreError::Duplicate { what }
        }
        source => StoreError::Query { operation, source },
    }
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
impl SqliteStore {
    /// A store in a fresh temporary folder, removed when the folder is
    /// dropped: for this driver's own tests.
    pub(crate) async fn temporary() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        (dir, store)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AccountStore, HistoryStore};

    #[tokio::test]
    async fn open_creates_the_folder_and_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("nested").join("data");
        let store = SqliteStore::open(&data_dir).await.unwrap();
        assert_eq!(store.path(), data_dir.join(DATABASE_FILE_NAME));
        assert!(store.path().is_file());
        assert_eq!(store.max_message_id().await.unwrap(), None);
        store.close().await;

        let file = dir.path().join("elsewhere").join("chat.db");
        let store = SqliteStore::open_file(&file).await.unwrap();
        assert_eq!(store.path(), file);
        assert!(file.is_file());
        store.close().await;
    }

    #[tokio::test]
    async fn open_uses_wal_mode() {
        let (_dir, store) = SqliteStore::temporary().await;
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        store.close().await;
    }

    /// What sqlx recorded for each migration released before the drivers
    /// had a folder each: version, description and SHA-384 of the file,
    /// as read from a database the previous layout created.
    const RELEASED_MIGRATIONS: [(i64, &str, &str); 3] = [
        (
            1,
            "room messages",
            "388cde9fa4f03b1e644981bcbdc1c479150ecf84ab2585837229a3c020b7c2aa99b91504921f06480a87955ed1055164",
        ),
        (
            2,
            "accounts",
            "33a569c533ec604cc6591cd85cfefb53858b3b26d70a900903524f612795200a426af9b80ab5e401f4fd79f49f1e0163",
        ),
        (
            3,
            "sanctions and audit",
            "5ec443dd6b01adcc9bacdae892ae2a9be66b2a715306a5428e1b6173f8ea5c5bfd951f8340bdb3f899c482afbb7b0e6b",
        ),
    ];

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|byte| format!("{byte:02x}")).collect()
    }

    /// sqlx refuses a database when an applied migration's checksum differs
    /// from the embedded file's (`VersionMismatch`), so an existing
    /// database opens only while these files stay byte for byte the same.
    #[test]
    fn released_migrations_are_unchanged() {
        let embedded: Vec<_> = MIGRATOR
            .iter()
            .take(RELEASED_MIGRATIONS.len())
            .map(|migration| {
                (
                    migration.version,
                    migration.description.to_string(),
                    hex(&migration.checksum),
                )
            })
            .collect();
        let released: Vec<_> = RELEASED_MIGRATIONS
            .iter()
            .map(|(version, description, checksum)| {
                (*version, (*description).to_owned(), (*checksum).to_owned())
            })
            .collect();
        assert_eq!(embedded, released);
    }

    #[tokio::test]
    async fn a_database_at_a_released_version_opens_and_keeps_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DATABASE_FILE_NAME);
        // A database as the last release left it: its migrations only.
        {
            let options = SqliteConnectOptions::new()
                .filename(&path)
                .create_if_missing(true);
            let pool = SqlitePool::connect_with(options).await.unwrap();
            let last_released = RELEASED_MIGRATIONS[RELEASED_MIGRATIONS.len() - 1].0;
            MIGRATOR.run_to(last_released, &pool).await.unwrap();
            sqlx::query(
                "INSERT INTO accounts (nick, nick_key, password_hash, age, gender, department, \
                 created_at_ms) VALUES ('Alice', 'alice', 'hash', 30, 'femme', '75', 1)",
            )
            .execute(&pool)
            .await
            .unwrap();
            pool.close().await;
        }
        let store = SqliteStore::open_file(&path).await.unwrap();
        let account = store.account_by_nick_key("alice").await.unwrap().unwrap();
        assert_eq!(account.nick, "Alice");
        let applied: i64 = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        let latest = MIGRATOR.iter().map(|migration| migration.version).max();
        assert_eq!(Some(applied), latest);
        store.close().await;
    }

    #[tokio::test]
    async fn a_changed_released_migration_is_refused() {
        let (dir, store) = SqliteStore::temporary().await;
        sqlx::query("UPDATE _sqlx_migrations SET checksum = X'00' WHERE version = 2")
            .execute(&store.pool)
            .await
            .unwrap();
        store.close().await;
        let error = SqliteStore::open(dir.path()).await.unwrap_err();
        assert!(
            matches!(
                error,
                StoreError::Migrate(sqlx::migrate::MigrateError::VersionMismatch(2))
            ),
            "{error:?}"
        );
    }
}
