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

use crate::{
    AccountStore, AuditStore, DATABASE_FILE_NAME, Database, HistoryStore, ReviewStore,
    SanctionStore, Stores,
};

pub(crate) mod accounts;
pub(crate) mod history;
pub(crate) mod moderation;

/// The environment variable that chooses the driver under test.
const DRIVER_VARIABLE: &str = "TCHATCHE_TEST_DATABASE";

/// The drivers the suite can run on, as `TCHATCHE_TEST_DATABASE` names them.
const DRIVERS: &[&str] = &["sqlite"];

/// One empty database on the driver under test, for one test, opened
/// through [`crate::open`] as the server opens its own.
pub(crate) struct TestDatabase {
    database: Database,
    stores: Stores,
    /// Where the driver keeps the data, removed when the test ends.
    _place: Place,
}

/// What a test's database lives in, per driver.
enum Place {
    /// A temporary folder holding the SQLite file.
    Sqlite { _dir: tempfile::TempDir },
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
        let (database, place) = match chosen.as_deref() {
            Err(std::env::VarError::NotPresent) | Ok("sqlite") => {
                let dir = tempfile::tempdir().unwrap();
                let path = dir.path().join(DATABASE_FILE_NAME);
                (Database::Sqlite { path }, Place::Sqlite { _dir: dir })
            }
            Ok(other) => panic!(
                "{DRIVER_VARIABLE}={other:?} names no driver; the drivers are: {} \
                 (unset means sqlite)",
                DRIVERS.join(", ")
            ),
            Err(error) => panic!("{DRIVER_VARIABLE}: {error}"),
        };
        let stores = crate::open(&database).await.unwrap();
        TestDatabase {
            database,
            stores,
            _place: place,
        }
    }

    /// Closes the database and opens it again, as a restart does.
    pub(crate) async fn reopen(mut self) -> TestDatabase {
        self.stores.close().await;
        self.stores = crate::open(&self.database).await.unwrap();
        self
    }

    /// Closes the database (its data goes when `self` is dropped).
    pub(crate) async fn close(self) {
        self.stores.close().await;
    }

    /// Room history.
    pub(crate) fn history(&self) -> &dyn HistoryStore {
        &*self.stores.history
    }

    /// Member accounts.
    pub(crate) fn accounts(&self) -> &dyn AccountStore {
        &*self.stores.accounts
    }

    /// Sanctions.
    pub(crate) fn sanctions(&self) -> &dyn SanctionStore {
        &*self.stores.sanctions
    }

    /// The audit log.
    pub(crate) fn audit(&self) -> &dyn AuditStore {
        &*self.stores.audit
    }

    /// The review queue.
    pub(crate) fn reviews(&self) -> &dyn ReviewStore {
        &*self.stores.reviews
    }

    /// Changes an audit row's subject with the database's own tools, as
    /// someone with access to it could: no store method may do this.
    pub(crate) async fn tamper_with_audit_subject(&self, id: u64, subject: &str) {
        let id = i64::try_from(id).unwrap();
        match &self.database {
            Database::Sqlite { path } => {
                let mut connection = raw_sqlite_connection(path).await;
                let changed = sqlx::query("UPDATE audit_log SET subject = ? WHERE id = ?")
                    .bind(subject)
                    .bind(id)
                    .execute(&mut connection)
                    .await
                    .unwrap();
                assert_eq!(changed.rows_affected(), 1, "no audit row {id}");
                connection.close().await.unwrap();
            }
            Database::Postgres { .. } => unreachable!("no PostgreSQL driver to test"),
        }
    }
}

/// A connection of its own to an SQLite file, outside every store.
async fn raw_sqlite_connection(path: &Path) -> SqliteConnection {
    SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(path))
        .await
        .unwrap()
}
