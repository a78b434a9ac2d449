//! Durable storage behind one set of traits, with one driver per database.
//!
//! Today: room history, member accounts, sanctions and the staff audit log
//! in SQLite (embedded, WAL). The hub never waits on the store on a
//! message's path: history writes go through [`HistoryWriter`], which
//! batches them in transactions on its own task; account reads and writes
//! run in the hub's credential jobs, on their own tasks; sanctions and
//! audit entries go through the hub's staff writer task. Reports and
//! connection records will be further traits here, and a PostgreSQL driver
//! will implement the same traits with the same tests.

mod accounts;
#[cfg(test)]
mod conformance;
mod error;
mod history;
mod moderation;
mod sqlite;
mod writer;

pub use accounts::{AccountStore, NewAccount, StoredAccount, StoredRecoveryCode};
pub use error::StoreError;
pub use history::{HistoryStore, StoredMessage};
pub use moderation::{
    AUDIT_CHAIN_SEED, AuditEntry, AuditStore, ReviewStore, SanctionStore, StoredAuditEntry,
    StoredContextLine, StoredReview, StoredSanction, audit_hash, check_audit_chain,
};
pub use sqlite::{DATABASE_FILE_NAME, SqliteStore};
pub use writer::{
    Dropped, HistoryWriter, MIN_PRUNE_PERIOD, Receipt, Receipts, WriterConfig, WriterTask,
    spawn_pruner,
};
