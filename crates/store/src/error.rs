//! The store's error type: every way a driver or the history writer can fail.

use std::path::PathBuf;

/// Why a store operation failed.
///
/// Each variant names the operation, so a log line says what failed without
/// a backtrace; the underlying driver error is kept as the `source`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The data folder could not be created.
    #[error("cannot create data folder {}", path.display())]
    CreateDir {
        /// The folder that was to hold the database.
        path: PathBuf,
        /// What the file system said.
        #[source]
        source: std::io::Error,
    },
    /// The database names a driver that this build does not have yet.
    #[error("the {driver} driver is not built yet")]
    DriverNotBuilt {
        /// The driver, e.g. `PostgreSQL`.
        driver: &'static str,
    },
    /// The database file could not be opened or created.
    #[error("cannot open database {}", path.display())]
    Open {
        /// The database file.
        path: PathBuf,
        /// What the driver said.
        #[source]
        source: sqlx::Error,
    },
    /// The schema migrations could not be applied.
    #[error("cannot apply database migrations")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    /// A statement failed.
    #[error("database query failed while {operation}")]
    Query {
        /// What the store was doing, e.g. `appending room messages`.
        operation: &'static str,
        /// What the driver said.
        #[source]
        source: sqlx::Error,
    },
    /// A value to store does not fit the database's signed 64-bit integers.
    #[error("{field} {value} is too large to store (the limit is 2^63 - 1)")]
    OutOfRange {
        /// The field, e.g. `id` or `author_id`.
        field: &'static str,
        /// The value refused.
        value: u64,
    },
    /// A row would break a uniqueness rule, e.g. a second account with
    /// the same folded nickname.
    #[error("{what} already exists")]
    Duplicate {
        /// What was duplicated, e.g. `an account with this nickname`.
        what: &'static str,
    },
    /// A stored row holds a value this code cannot read back.
    #[error("stored row has an invalid {field}: {value:?}")]
    Corrupt {
        /// The column, e.g. `mentions`.
        field: &'static str,
        /// The offending value, as text.
        value: String,
    },
    /// The history writer task panicked or was cancelled, so the messages
    /// still queued were lost.
    #[error("history writer task ended abnormally")]
    WriterTask(#[source] tokio::task::JoinError),
    /// The audit log's hash chain does not hold from this row on: a row was
    /// edited, inserted or removed outside the store.
    #[error("the audit log's hash chain is broken at row {id}")]
    AuditChainBroken {
        /// The first row that does not fit the chain.
        id: u64,
    },
}
