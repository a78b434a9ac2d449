//! The conformance suite: what every driver must do, written against the
//! store traits alone, and run on the driver `TCHATCHE_TEST_DATABASE`
//! names (unset or `sqlite`: a temporary SQLite file per test).
//!
//! A new driver is done when
//! `TCHATCHE_TEST_DATABASE=<driver> cargo nextest run -p tchatche-store conformance`
//! passes; its own peculiarities (pragmas, statement sizes) are tested
//! beside it. Each test gets a [`TestDatabase`] of its own, so tests never
//! see each other's rows.

use std::path::Path;

use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};

use crate::{AccountStore, AuditStore, HistoryStore, ReviewStore, SanctionStore, SqliteStore};

pub(crate) mod accounts;
pub(crate) mod history;
pub(crate) mod moderation;

/// The environment variable that chooses the driver under test.
const DRIVER_VARIABLE: &str = "TCHATCHE_TEST_DATABASE";

/// The drivers the suite can run on, as `TCHATCHE_TEST_DATABASE` names them.
const DRIVERS: &[&str] = &["sqlite"];

/// One empty database on the driver under test, for one test.
pub(crate) struct TestDatabase {
    /// Removed, with the file in it, when the test ends.
    dir: tempfile::TempDir,
    store: SqliteStore,
}

impl TestDatabase {
    /// A new, empty database on the driver `TCHATCHE_TEST_DATABASE` names.
    ///
    /// # Panics
    ///
    /// When the variable names no driver: the test fails saying which
    /// drivers exist, rather than quietly testing another one.
    pub(crate) async fn open() -> TestDatabase {
        let chosen = std::env::var(DRIVER_VARIABLE);
        match chosen.as_deref() {
            Err(std::env::VarError::NotPresent) | Ok("sqlite") => {}
            Ok(other) => panic!(
                "{DRIVER_VARIABLE}={other:?} names no driver; the drivers are: {} \
                 (unset means sqlite)",
                DRIVERS.join(", ")
            ),
            Err(error) => panic!("{DRIVER_VARIABLE}: {error}"),
        }
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        TestDatabase { dir, store }
    }

    /// Closes the database and opens it again, as a restart does.
    pub(crate) async fn reopen(self) -> TestDatabase {
        self.store.close().await;
        let store = SqliteStore::open(self.dir.path()).await.unwrap();
        TestDatabase {
            dir: self.dir,
            store,
        }
    }

    /// Closes the database (the data is removed when `self` is dropped).
    pub(crate) async fn close(self) {
        self.store.close().await;
    }

    /// Room history.
    pub(crate) fn history(&self) -> &dyn HistoryStore {
        &self.store
    }

    /// Member accounts.
    pub(crate) fn accounts(&self) -> &dyn AccountStore {
        &self.store
    }

    /// Sanctions.
    pub(crate) fn sanctions(&self) -> &dyn SanctionStore {
        &self.store
    }

    /// The audit log.
    pub(crate) fn audit(&self) -> &dyn AuditStore {
        &self.store
    }

    /// The review queue.
    pub(crate) fn reviews(&self) -> &dyn ReviewStore {
        &self.store
    }

    /// Changes an audit row's subject with the database's own tools, as
    /// someone with access to it could: no store method may do this.
    pub(crate) async fn tamper_with_audit_subject(&self, id: u64, subject: &str) {
        let mut connection = raw_sqlite_connection(self.store.path()).await;
        let changed = sqlx::query("UPDATE audit_log SET subject = ? WHERE id = ?")
            .bind(subject)
            .bind(i64::try_from(id).unwrap())
            .execute(&mut connection)
            .await
            .unwrap();
        assert_eq!(changed.rows_affected(), 1, "no audit row {id}");
        connection.close().await.unwrap();
    }
}

/// A connection of its own to an SQLite file, outside every store.
async fn raw_sqlite_connection(path: &Path) -> SqliteConnection {
    SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(path))
        .await
        .unwrap()
}
