//! Durable storage behind one set of traits, with one driver per database.
//!
//! Today: room history in SQLite (embedded, WAL). The hub never waits on the
//! store on a message's path: history writes go through [`HistoryWriter`],
//! which batches them in transactions on its own task. Accounts, reports,
//! sanctions, audit and connection records will be further traits here, and
//! a PostgreSQL driver will implement the same traits with the same tests.

mod error;
mod history;
mod sqlite;
mod writer;

pub use error::StoreError;
pub use history::{HistoryStore, StoredMessage};
pub use sqlite::{DATABASE_FILE_NAME, SqliteStore};
pub use writer::{
    Dropped, HistoryWriter, MIN_PRUNE_PERIOD, WriterConfig, WriterTask, spawn_pruner,
};
