//! The `server.database` setting: which database the server keeps its data
//! in, written as a URL and parsed here, so a mistyped one is refused at
//! load with the file, line and key (or the variable) named.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::Deserialize;

/// Where the server keeps its data (`server.database`, `TCHATCHE_DATABASE`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum DatabaseUrl {
    /// Written `""`: the SQLite file `tchatche.sqlite3` in `server.data_dir`.
    #[default]
    InDataDir,
    /// `sqlite://<path>`: an SQLite file, created when missing. A relative
    /// path is taken from the working directory (`sqlite://data/chat.db`),
    /// an absolute one has a third slash (`sqlite:///var/lib/chat.db`).
    Sqlite(PathBuf),
    /// `postgres://…` or `postgresql://…`, kept as written. Accepted here so
    /// that the server can say at start that its driver is not built yet.
    Postgres(String),
}

const SQLITE: &str = "sqlite://";
const POSTGRES: [&str; 2] = ["postgres://", "postgresql://"];

/// What every refusal ends with: the forms that are accepted.
const ACCEPTED: &str = "expected sqlite://<path> (relative to the working directory), \
     sqlite:///<absolute path>, or \"\" for tchatche.sqlite3 in server.data_dir";

impl FromStr for DatabaseUrl {
    type Err = String;

    fn from_str(url: &str) -> Result<DatabaseUrl, String> {
        if url.is_empty() {
            return Ok(DatabaseUrl::InDataDir);
        }
        if let Some(path) = url.strip_prefix(SQLITE) {
            if path.is_empty() {
                return Err(format!("the sqlite:// URL names no file; {ACCEPTED}"));
            }
            // A file name may hold a `?`, but here it would most likely be
            // meant as connection options, which the driver sets itself.
            if path.contains('?') {
                return Err(format!(
                    "an sqlite:// URL takes no options (`?…`); {ACCEPTED}"
                ));
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        if POSTGRES.iter().any(|scheme| url.starts_with(scheme)) {
            return Ok(DatabaseUrl::Postgres(url.to_owned()));
        }
        // Only the scheme is repeated: the rest may hold a password.
        Err(match url.split_once("://") {
            Some((scheme, _)) => {
                format!("`{scheme}://` is not a database tchatche can use; {ACCEPTED}")
            }
            None => format!("not a database URL; {ACCEPTED}"),
        })
    }
}

impl TryFrom<String> for DatabaseUrl {
    type Error = String;

    fn try_from(url: String) -> Result<DatabaseUrl, String> {
        url.parse()
    }
}

/// The setting as it would be written in the file.
impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::InDataDir => Ok(()),
            DatabaseUrl::Sqlite(path) => write!(f, "{SQLITE}{}", path.display()),
            DatabaseUrl::Postgres(url) => f.write_str(url),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_forms() {
        let cases = [
            ("", DatabaseUrl::InDataDir),
            (
                "sqlite://data/chat.sqlite3",
                DatabaseUrl::Sqlite(PathBuf::from("data/chat.sqlite3")),
            ),
            (
                "sqlite://chat.db",
                DatabaseUrl::Sqlite(PathBuf::from("chat.db")),
            ),
            (
                "sqlite:///var/lib/tchatche/chat.db",
                DatabaseUrl::Sqlite(PathBuf::from("/var/lib/tchatche/chat.db")),
            ),
            (
                "postgres://tchatche@localhost/tchatche",
                DatabaseUrl::Postgres("postgres://tchatche@localhost/tchatche".into()),
            ),
            (
                "postgresql://db.example/tchatche",
                DatabaseUrl::Postgres("postgresql://db.example/tchatche".into()),
            ),
        ];
        for (text, expected) in cases {
            let parsed: DatabaseUrl = text.parse().unwrap();
            assert_eq!(parsed, expected, "{text:?}");
            assert_eq!(parsed.to_string(), text, "written back");
        }
    }

    #[test]
    fn refused_forms_say_what_is_accepted_and_never_repeat_a_password() {
        // (text, what the message must say)
        let cases = [
            ("sqlite://", "names no file"),
            ("sqlite://chat.db?mode=ro", "no options"),
            ("sqlite:chat.db", "not a database URL"),
            ("sqlite::memory:", "not a database URL"),
            ("data/tchatche.sqlite3", "not a database URL"),
            ("SQLITE://chat.db", "`SQLITE://`"),
            ("mysql://root:hunter2@db/chat", "`mysql://`"),
            ("postgress://tchatche:hunter2@db/chat", "`postgress://`"),
        ];
        for (text, needle) in cases {
            let message = text.parse::<DatabaseUrl>().unwrap_err();
            assert!(message.contains(needle), "{text:?}: {message}");
            assert!(
                message.contains("expected sqlite://"),
                "{text:?}: {message}"
            );
            assert!(!message.contains("hunter2"), "{text:?}: {message}");
        }
    }
}
