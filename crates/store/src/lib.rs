//! Durable storage behind one trait per aggregate, with one driver per
//! database.
//!
//! Today: room history, member accounts, sanctions, the staff audit log
//! and the review queue, in SQLite (embedded, WAL). [`open`] is the way in:
//! it opens the [`Database`] the configuration names and returns its
//! [`Stores`], trait objects that name no driver. Every driver passes the
//! same conformance suite (`src/conformance/`, run on the driver that
//! `TCHATCHE_TEST_DATABASE` names), so a PostgreSQL driver only has to pass
//! it.
//!
//! The hub never waits on the store on a message's path: history writes go
//! through [`HistoryWriter`], which batches them in transactions on its own
//! task; account reads and writes run in the hub's credential jobs, on
//! their own tasks; sanctions and audit entries go through the hub's staff
//! writer task. Reports and connection records will be further traits here.

mod accounts;
#[cfg(test)]
mod conformance;
mod database;
mod error;
mod history;
mod moderation;
mod sqlite;
mod writer;

pub use accounts::{AccountStore, NewAccount, StoredAccount, StoredRecoveryCode};
pub use database::{Database, Stores, open};
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
