//! The one way in: [`Database`] says which driver and where, [`open`]
//! opens it, and [`Stores`] hands every aggregate's store out as a trait
//! object, so that nothing above this crate names a driver.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::{
    AccountStore, AuditStore, HistoryStore, ReviewStore, SanctionStore, SqliteStore, StoreError,
};

/// Which database to open: the driver, and where its data is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Database {
    /// An SQLite file, created with its folder when missing.
    Sqlite {
        /// The file; a relative path is taken from the working directory.
        path: PathBuf,
    },
    /// A PostgreSQL server. Refused with [`StoreError::DriverNotBuilt`]
    /// until that driver exists.
    Postgres {
        /// The connection URL, which may hold a password: never logged.
        url: String,
    },
}

/// What a log line may say of a database: the SQLite file, or only that it
/// is PostgreSQL (its URL may hold a password).
impl fmt::Display for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Database::Sqlite { path } => write!(f, "SQLite file {}", path.display()),
            Database::Postgres { .. } => f.write_str("PostgreSQL database"),
        }
    }
}

/// Every store of one open database, as the traits the hub uses.
///
/// Cheap to clone: clones share the driver's connections, and
/// [`Stores::close`] on any of them closes them all.
#[derive(Clone)]
pub struct Stores {
    /// Room history.
    pub history: Arc<dyn HistoryStore>,
    /// Member accounts and their recovery codes.
    pub accounts: Arc<dyn AccountStore>,
    /// Site-wide sanctions.
    pub sanctions: Arc<dyn SanctionStore>,
    /// The staff audit log.
    pub audit: Arc<dyn AuditStore>,
    /// The review queue.
    pub reviews: Arc<dyn ReviewStore>,
    /// The driver itself, to close it.
    driver: Driver,
}

/// The drivers, for what the traits do not cover: closing.
#[derive(Clone)]
enum Driver {
    Sqlite(SqliteStore),
}

impl Stores {
    /// Every store of an SQLite database.
    fn sqlite(store: SqliteStore) -> Stores {
        let shared = Arc::new(store.clone());
        Stores {
            history: shared.clone(),
            accounts: shared.clone(),
            sanctions: shared.clone(),
            audit: shared.clone(),
            reviews: shared,
            driver: Driver::Sqlite(store),
        }
    }

    /// Closes the database, waiting for queries in progress to finish.
    /// Later calls on any of the stores fail.
    pub async fn close(&self) {
        match &self.driver {
            Driver::Sqlite(store) => store.close().await,
        }
    }
}

/// Opens a database, creating and migrating its schema as needed, and
/// returns its stores.
pub async fn open(database: &Database) -> Result<Stores, StoreError> {
    match database {
        Database::Sqlite { path } => Ok(Stores::sqlite(SqliteStore::open_file(path).await?)),
        Database::Postgres { .. } => Err(StoreError::DriverNotBuilt {
            driver: "PostgreSQL",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AuditEntry, DATABASE_FILE_NAME};

    #[tokio::test]
    async fn an_sqlite_database_opens_as_every_store_over_one_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join(DATABASE_FILE_NAME);
        let stores = open(&Database::Sqlite { path: path.clone() })
            .await
            .unwrap();
        assert!(path.is_file());
        let entry = AuditEntry {
            at_ms: 1,
            actor: "Modo".into(),
            action: "sanction.ban".into(),
            subject: "Troll".into(),
            detail: String::new(),
        };
        stores.audit.append_audit(&entry).await.unwrap();
        stores.clone().close().await;
        // Closing one handle closed them all.
        assert!(stores.history.max_message_id().await.is_err());

        let store = SqliteStore::open_file(&path).await.unwrap();
        assert_eq!(store.verify_audit().await.unwrap(), 1);
        store.close().await;
    }

    #[tokio::test]
    async fn postgresql_is_refused_until_its_driver_is_built() {
        let database = Database::Postgres {
            url: "postgres://tchatche:secret@db.example/tchatche".into(),
        };
        let Err(error) = open(&database).await else {
            panic!("PostgreSQL opened");
        };
        assert!(
            matches!(
                error,
                StoreError::DriverNotBuilt {
                    driver: "PostgreSQL"
                }
            ),
            "{error:?}"
        );
        assert_eq!(error.to_string(), "the PostgreSQL driver is not built yet");
        assert_eq!(database.to_string(), "PostgreSQL database");
    }
}
