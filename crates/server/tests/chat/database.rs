//! The `database` setting: an `sqlite://` URL is where the data goes, and
//! a PostgreSQL URL is refused at start until its driver is built.

use tchatche::Server;
use tchatche_config::{Config, DatabaseUrl};
use tchatche_store::{DATABASE_FILE_NAME, HistoryStore, SqliteStore};

use crate::support::TestServer;

#[tokio::test]
async fn an_sqlite_url_puts_the_data_in_that_file() {
    let elsewhere = tempfile::tempdir().unwrap();
    let file = elsewhere.path().join("nested").join("chat.sqlite3");
    let database = DatabaseUrl::Sqlite(file.clone());
    let server = TestServer::start_with(move |config| config.server.database = database).await;
    let mut alice = server.guest("Alice", 25).await;
    alice.join("lille").await;
    alice.say("lille", "rangé ailleurs").await;
    drop(alice);
    let data_dir = server.shutdown_keeping_data().await;
    assert!(!data_dir.path().join(DATABASE_FILE_NAME).exists());

    let store = SqliteStore::open_file(&file).await.unwrap();
    let stored = store.recent("adult", "lille", 10).await.unwrap();
    let bodies: Vec<_> = stored.iter().map(|message| message.body.as_str()).collect();
    assert_eq!(bodies, ["rangé ailleurs"]);
    store.close().await;
}

#[tokio::test]
async fn a_postgresql_url_is_refused_at_start() {
    let data_dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.server.http_addr = "127.0.0.1:0".parse().unwrap();
    config.irc.addr = "127.0.0.1:0".parse().unwrap();
    config.server.data_dir = data_dir.path().to_owned();
    config.server.database =
        DatabaseUrl::Postgres("postgres://tchatche:hunter2@db.example/tchatche".into());
    let Err(error) = Server::start(config).await else {
        panic!("the server started on PostgreSQL");
    };
    let text = format!("{error:#}");
    assert!(
        text.contains("the PostgreSQL driver is not built yet"),
        "{text}"
    );
    assert!(!text.contains("hunter2"), "{text}");
    assert!(!data_dir.path().join(DATABASE_FILE_NAME).exists());
}
