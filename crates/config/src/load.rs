//! Loading the configuration: find the file, parse it strictly, apply the
//! `TCHATCHE_*` environment overrides, then check that the values make sense.
//!
//! Every refusal names where the bad value came from (file, line, column and
//! key; environment variable and value; or the setting's key and the room's
//! slug), because a typo that silently fell back to a default would be worse
//! than not starting.

use std::collections::HashMap;
use std::fmt::Display;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use toml::de::{DeTable, DeValue};

use tchatche_safety::names::MAX_ROOM_SLUG_BYTES;

use crate::{Config, RoomBands, default_rooms};

/// The environment variable naming the configuration file when no path is given.
const CONFIG_VARIABLE: &str = "TCHATCHE_CONFIG";

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The named file could not be read (missing, unreadable, not UTF-8).
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file, as given.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The file is not valid TOML, or has an unknown key or a value of the
    /// wrong type.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Parse {
        /// The file, as given.
        path: PathBuf,
        /// Line of the offending text, from 1.
        line: usize,
        /// Column (in characters) of the offending text, from 1.
        column: usize,
        /// The dotted key when it is known (`server.max_connections`,
        /// `rooms[2].capacity`), then the TOML parser's description.
        message: String,
    },
    /// An environment override has a value that cannot be used.
    #[error("environment variable {variable}={value:?}: {message}")]
    Env {
        /// The variable, such as `TCHATCHE_MIN_AGE`.
        variable: String,
        /// Its value, as found, except a URL's user and password, shown
        /// as `…` since errors reach logs.
        value: String,
        /// What is wrong with it, naming the setting it overrides.
        message: String,
    },
    /// A setting is well-formed but not acceptable (out of range, duplicate
    /// room slug…), whether it came from the file or the environment.
    #[error("invalid setting `{key}`: {message}")]
    Invalid {
        /// The dotted key, such as `entry.min_age`; rooms are `rooms[i]`,
        /// counted from 0 in file order.
        key: String,
        /// What is wrong, naming the room's slug for room settings.
        message: String,
    },
}

/// Loads the configuration.
///
/// The file is `path` when given, else the one named by `TCHATCHE_CONFIG`,
/// else there is none and the defaults are used. A file that was named but
/// cannot be read is an error. Unknown keys are refused. Keys missing from
/// the file keep their default; rooms are all or nothing: when the file lists
/// `[[rooms]]`, they replace [`default_rooms`] entirely, and when it lists
/// none, the default directory is used.
///
/// Then the environment overrides are applied (`TCHATCHE_HTTP_ADDR`,
/// `TCHATCHE_DATA_DIR`, `TCHATCHE_DATABASE`, `TCHATCHE_MAX_CONNECTIONS`,
/// `TCHATCHE_SHUTDOWN_GRACE_SECS`, `TCHATCHE_MIN_AGE`,
/// `TCHATCHE_MAX_BODY_CHARS`, `TCHATCHE_MAX_FRAME_BYTES`,
/// `TCHATCHE_IDLE_TIMEOUT_SECS`,
/// `TCHATCHE_SCROLLBACK`, `TCHATCHE_HISTORY_RETENTION_DAYS`, the IRC and
/// account settings listed in the README), and the result
/// is checked as a whole.
///
/// `env` reads one environment variable: the binary passes the process
/// environment, tests pass a table.
///
/// ```no_run
/// # fn main() -> Result<(), tchatche_config::ConfigError> {
/// let config = tchatche_config::load(None, &|name| std::env::var(name).ok())?;
/// println!("listening on {}", config.server.http_addr);
/// # Ok(())
/// # }
/// ```
pub fn load(
    path: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigError> {
    let path = match path {
        Some(path) => Some(path.to_path_buf()),
        None => config_path_from_env(env)?,
    };
    let mut config = match path {
        Some(path) => read_file(&path)?,
        None => Config::default(),
    };
    apply_env_overrides(&mut config, env)?;
    validate(&config)?;
    Ok(config)
}

/// The file named by `TCHATCHE_CONFIG`, if any. An empty value is refused
/// rather than read as "no file", since it is most likely a deployment mistake.
fn config_path_from_env(
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<PathBuf>, ConfigError> {
    match env(CONFIG_VARIABLE) {
        None => Ok(None),
        Some(value) if value.is_empty() => Err(ConfigError::Env {
            variable: CONFIG_VARIABLE.to_owned(),
            value,
            message: "the configuration file path is empty".to_owned(),
        }),
        Some(value) => Ok(Some(PathBuf::from(value))),
    }
}

fn read_file(path: &Path) -> Result<Config, ConfigError> {
    let source = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(path, &source)
}

/// Parses the text of a configuration file; `path` is only used in errors.
fn parse(path: &Path, source: &str) -> Result<Config, ConfigError> {
    let mut config: Config =
        toml::from_str(source).map_err(|error| parse_error(path, source, &error))?;
    // A missing `rooms` already defaults to the directory; `rooms = []` too.
    if config.rooms.is_empty() {
        config.rooms = default_rooms();
    }
    Ok(config)
}

fn parse_error(path: &Path, source: &str, error: &toml::de::Error) -> ConfigError {
    let span = error.span();
    // toml gives a span for every syntax and type error; without one, point at
    // the start of the file rather than invent a position.
    let (line, column) = span
        .as_ref()
        .map_or((1, 1), |span| line_and_column(source, span.start));
    let toml_message = error.message().trim_end();
    let message = match span.and_then(|span| key_at(source, &span)) {
        Some(key) => format!("`{key}`: {toml_message}"),
        None => toml_message.to_owned(),
    };
    ConfigError::Parse {
        path: path.to_path_buf(),
        line,
        column,
        message,
    }
}

/// The 1-based line and character column of a byte offset.
fn line_and_column(source: &str, offset: usize) -> (usize, usize) {
    let before = source.get(..offset).unwrap_or(source);
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    let line = before.matches('\n').count() + 1;
    let column = before
        .get(line_start..)
        .map_or(0, |text| text.chars().count())
        + 1;
    (line, column)
}

/// The dotted key (`server.http_addr`, `rooms[2].capacity`) whose key or value
/// holds the error span, found by re-reading the file with spans.
///
/// toml's message names an unknown key but not the key of a value of the
/// wrong type, hence this.
fn key_at(source: &str, error_span: &Range<usize>) -> Option<String> {
    let document = DeTable::parse(source).ok()?;
    let segments = key_in_table(document.get_ref(), error_span.start)?;
    Some(segments.concat())
}

/// The path segments leading to `offset` in a table, deepest match first.
fn key_in_table(table: &DeTable<'_>, offset: usize) -> Option<Vec<String>> {
    for (key, value) in table.iter() {
        let segment = key_segment(key.get_ref());
        if let Some(mut inner) = key_in_value(value.get_ref(), offset) {
            inner.insert(0, segment);
            return Some(inner);
        }
        if key.span().contains(&offset) || value.span().contains(&offset) {
            return Some(vec![segment]);
        }
    }
    None
}

fn key_in_value(value: &DeValue<'_>, offset: usize) -> Option<Vec<String>> {
    match value {
        DeValue::Table(table) => {
            // Nested keys are joined with dots; the first segment has none.
            key_in_table(table, offset).map(|mut segments| {
                if let Some(first) = segments.first_mut() {
                    first.insert(0, '.');
                }
                segments
            })
        }
        DeValue::Array(array) => {
            for (index, item) in array.iter().enumerate() {
                let segment = format!("[{index}]");
                if let Some(mut inner) = key_in_value(item.get_ref(), offset) {
                    inner.insert(0, segment);
                    return Some(inner);
                }
                if item.span().contains(&offset) {
                    return Some(vec![segment]);
                }
            }
            None
        }
        _ => None,
    }
}

/// A key as written in a dotted path: bare when it can be, quoted otherwise.
fn key_segment(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        key.to_owned()
    } else {
        format!("{key:?}")
    }
}

/// Sets one setting from the text of an environment variable.
type ApplyOverride = fn(&mut Config, &str) -> Result<(), String>;

/// The environment overrides: variable, the key it overrides, how it is set.
// One line per variable; rustfmt would spread them over five.
#[rustfmt::skip]
const ENV_OVERRIDES: &[(&str, &str, ApplyOverride)] = &[
    ("TCHATCHE_HTTP_ADDR",              "server.http_addr",           |c, v| set(&mut c.server.http_addr, v)),
    ("TCHATCHE_DATA_DIR",               "server.data_dir",            |c, v| set_path(&mut c.server.data_dir, v)),
    ("TCHATCHE_DATABASE",               "server.database",            |c, v| set(&mut c.server.database, v)),
    ("TCHATCHE_MAX_CONNECTIONS",        "server.max_connections",     |c, v| set(&mut c.server.max_connections, v)),
    ("TCHATCHE_SHUTDOWN_GRACE_SECS",    "server.shutdown_grace_secs", |c, v| set(&mut c.server.shutdown_grace_secs, v)),
    ("TCHATCHE_MIN_AGE",                "entry.min_age",              |c, v| set(&mut c.entry.min_age, v)),
    ("TCHATCHE_MAX_BODY_CHARS",         "limits.max_body_chars",      |c, v| set(&mut c.limits.max_body_chars, v)),
    ("TCHATCHE_MAX_FRAME_BYTES",        "limits.max_frame_bytes",     |c, v| set(&mut c.limits.max_frame_bytes, v)),
    ("TCHATCHE_IDLE_TIMEOUT_SECS",      "limits.idle_timeout_secs",   |c, v| set(&mut c.limits.idle_timeout_secs, v)),
    ("TCHATCHE_SCROLLBACK",             "history.scrollback",         |c, v| set(&mut c.history.scrollback, v)),
    ("TCHATCHE_HISTORY_RETENTION_DAYS", "history.retention_days",     |c, v| set(&mut c.history.retention_days, v)),
    ("TCHATCHE_IRC_ADDR",               "irc.addr",                   |c, v| set(&mut c.irc.addr, v)),
    ("TCHATCHE_IRC_TLS_ADDR",           "irc.tls_addr",               |c, v| set(&mut c.irc.tls_addr, v)),
    ("TCHATCHE_IRC_TLS_CERT",           "irc.tls_cert",               |c, v| set(&mut c.irc.tls_cert, v)),
    ("TCHATCHE_IRC_TLS_KEY",            "irc.tls_key",                |c, v| set(&mut c.irc.tls_key, v)),
    ("TCHATCHE_MIN_PASSWORD_CHARS",     "accounts.min_password_chars", |c, v| set(&mut c.accounts.min_password_chars, v)),
    ("TCHATCHE_ARGON2_MEMORY_KIB",      "accounts.argon2_memory_kib", |c, v| set(&mut c.accounts.argon2_memory_kib, v)),
];

fn set<T>(setting: &mut T, value: &str) -> Result<(), String>
where
    T: FromStr,
    T::Err: Display,
{
    *setting = value.parse().map_err(|error: T::Err| error.to_string())?;
    Ok(())
}

fn set_path(setting: &mut PathBuf, value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err("the path is empty".to_owned());
    }
    *setting = PathBuf::from(value);
    Ok(())
}

fn apply_env_overrides(
    config: &mut Config,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), ConfigError> {
    for (variable, key, apply) in ENV_OVERRIDES {
        let Some(value) = env(variable) else {
            continue;
        };
        apply(config, &value).map_err(|message| ConfigError::Env {
            variable: (*variable).to_owned(),
            message: format!("cannot set `{key}`: {message}"),
            value: without_credentials(&value),
        })?;
    }
    Ok(())
}

/// A value as an error may show it: a URL's user and password
/// (`postgres://user:password@host/db`) become `…`, since errors reach
/// logs; anything else is shown as found.
fn without_credentials(value: &str) -> String {
    let Some((scheme, rest)) = value.split_once("://") else {
        return value.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://…{}", &rest[at..]),
        None => value.to_owned(),
    }
}

fn invalid(key: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.into(),
        message: message.into(),
    }
}

/// Refuses values that parse but make no sense, or would weaken safety.
fn validate(config: &Config) -> Result<(), ConfigError> {
    let irc = &config.irc;
    if irc.tls_cert.is_empty() != irc.tls_key.is_empty() {
        return Err(invalid(
            "irc.tls_key",
            "irc.tls_cert and irc.tls_key go together: set both or neither",
        ));
    }
    if irc.server_name.is_empty() || irc.server_name.contains(char::is_whitespace) {
        return Err(invalid("irc.server_name", "must be one word"));
    }
    let server = &config.server;
    if server.max_connections == 0 {
        return Err(invalid("server.max_connections", "must be at least 1"));
    }
    if server.data_dir.as_os_str().is_empty() {
        return Err(invalid("server.data_dir", "the path is empty"));
    }

    let entry = &config.entry;
    if !(13..=18).contains(&entry.min_age) {
        return Err(invalid(
            "entry.min_age",
            format!(
                "must be between 13 and 18 (18 closes the teen band), got {}",
                entry.min_age
            ),
        ));
    }
    // An empty word would match every nickname as a substring.
    for (key, words) in [
        ("entry.reserved_nicknames", &entry.reserved_nicknames),
        ("entry.offensive_nicknames", &entry.offensive_nicknames),
    ] {
        if let Some(index) = words.iter().position(|word| word.trim().is_empty()) {
            return Err(invalid(format!("{key}[{index}]"), "the word is empty"));
        }
    }

    let limits = &config.limits;
    if !(1024..=1_048_576).contains(&limits.max_frame_bytes) {
        return Err(invalid(
            "limits.max_frame_bytes",
            format!(
                "must be between 1024 and 1048576, got {}",
                limits.max_frame_bytes
            ),
        ));
    }
    if !(1..=limits.max_frame_bytes).contains(&limits.max_body_chars) {
        return Err(invalid(
            "limits.max_body_chars",
            format!(
                "must be between 1 and limits.max_frame_bytes ({}), got {}",
                limits.max_frame_bytes, limits.max_body_chars
            ),
        ));
    }
    if limits.max_bad_frames == 0 {
        return Err(invalid("limits.max_bad_frames", "must be at least 1"));
    }
    // The web client pings every 25 s, and a hidden tab's timers may run
    // only once a minute: less than that would drop people who are there.
    if limits.idle_timeout_secs != 0 && limits.idle_timeout_secs < 75 {
        return Err(invalid(
            "limits.idle_timeout_secs",
            format!(
                "must be 0 (never) or at least 75, got {}",
                limits.idle_timeout_secs
            ),
        ));
    }
    if limits.outbound_queue < 16 {
        return Err(invalid(
            "limits.outbound_queue",
            format!("must be at least 16, got {}", limits.outbound_queue),
        ));
    }
    if limits.max_rooms_per_user == 0 {
        return Err(invalid("limits.max_rooms_per_user", "must be at least 1"));
    }

    let accounts = &config.accounts;
    if !(8..=64).contains(&accounts.min_password_chars) {
        return Err(invalid(
            "accounts.min_password_chars",
            format!(
                "must be between 8 and 64, got {}",
                accounts.min_password_chars
            ),
        ));
    }
    // Argon2's own floor is 8 KiB per lane; below a few MiB it no longer
    // slows down a guessing attacker.
    if !(1024..=1_048_576).contains(&accounts.argon2_memory_kib) {
        return Err(invalid(
            "accounts.argon2_memory_kib",
            format!(
                "must be between 1024 and 1048576, got {}",
                accounts.argon2_memory_kib
            ),
        ));
    }
    for (key, value) in [
        ("accounts.argon2_iterations", accounts.argon2_iterations),
        ("accounts.hashing_threads", accounts.hashing_threads),
        (
            "accounts.max_failed_logins_per_nickname",
            accounts.max_failed_logins_per_nickname,
        ),
        (
            "accounts.max_failed_logins_per_nickname_anywhere",
            accounts.max_failed_logins_per_nickname_anywhere,
        ),
        (
            "accounts.max_failed_logins_per_ip",
            accounts.max_failed_logins_per_ip,
        ),
        (
            "accounts.failed_login_window_secs",
            accounts.failed_login_window_secs,
        ),
    ] {
        if value == 0 {
            return Err(invalid(key, "must be at least 1"));
        }
    }
    if !(1..=20).contains(&accounts.recovery_codes) {
        return Err(invalid(
            "accounts.recovery_codes",
            format!("must be between 1 and 20, got {}", accounts.recovery_codes),
        ));
    }

    let staff = &config.staff;
    for (list, names) in [
        ("staff.administrators", &staff.administrators),
        ("staff.moderators", &staff.moderators),
    ] {
        if let Some(name) = names.iter().find(|name| name.trim().is_empty()) {
            return Err(invalid(
                list,
                format!("{name:?}: a nickname cannot be empty"),
            ));
        }
    }
    if let Some(name) = staff
        .moderators
        .iter()
        .find(|name| staff.administrators.contains(name))
    {
        return Err(invalid(
            "staff.moderators",
            format!("{name:?} is already an administrator"),
        ));
    }
    if staff.appeal.trim().is_empty() {
        return Err(invalid("staff.appeal", "must say how to appeal a sanction"));
    }

    if config.history.scrollback > 500 {
        return Err(invalid(
            "history.scrollback",
            format!("must be at most 500, got {}", config.history.scrollback),
        ));
    }

    validate_rooms(config)
}

fn validate_rooms(config: &Config) -> Result<(), ConfigError> {
    // (band, slug) → index of the room that took it.
    let mut taken: HashMap<(&str, &str), usize> = HashMap::new();
    for (index, room) in config.rooms.iter().enumerate() {
        let key = |field: &str| format!("rooms[{index}].{field}");
        let slug = room.slug.as_str();
        if !tchatche_safety::names::is_room_slug(slug) {
            return Err(invalid(
                key("slug"),
                format!(
                    "room {slug:?}: a slug is 1 to {MAX_ROOM_SLUG_BYTES} lower-case letters and digits, \
                     in words joined by single dashes (it is also the IRC channel name)"
                ),
            ));
        }
        if room.name.trim().is_empty() {
            return Err(invalid(
                key("name"),
                format!("room `{slug}`: the name is empty"),
            ));
        }
        if room.category.trim().is_empty() {
            return Err(invalid(
                key("category"),
                format!("room `{slug}`: the category is empty"),
            ));
        }
        if let Some(capacity) = room.capacity
            && capacity < 2
        {
            return Err(invalid(
                key("capacity"),
                format!("room `{slug}`: capacity must be at least 2, got {capacity}"),
            ));
        }
        let bands: &[&'static str] = match room.bands {
            RoomBands::Adult => &["adult"],
            RoomBands::Teen => &["teen"],
            RoomBands::Both => &["adult", "teen"],
        };
        for band in bands {
            if let Some(first) = taken.insert((band, slug), index) {
                return Err(invalid(
                    key("slug"),
                    format!(
                        "room `{slug}`: the slug is already used in the {band} band by rooms[{first}]"
                    ),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::io::Write;

    use serde::Deserialize;

    use super::*;
    use crate::{
        AccountsConfig, DatabaseUrl, EntryConfig, HistoryConfig, IrcConfig, LimitsConfig,
        RoomConfig, ServerConfig, StaffConfig,
    };

    fn no_env(_: &str) -> Option<String> {
        None
    }

    /// An environment holding exactly `pairs`.
    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(variable, _)| variable == name)
                .map(|(_, value)| value.clone())
        }
    }

    /// A configuration file on disk, removed when dropped.
    fn file_with(source: &str) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(source.as_bytes()).unwrap();
        file
    }

    /// Loads `source` as the file `tchatche.toml`, with no environment.
    fn load_source(source: &str) -> Result<Config, ConfigError> {
        let config = parse(Path::new("tchatche.toml"), source)?;
        validate(&config)?;
        Ok(config)
    }

    fn example_path() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tchatche.example.toml")
    }

    #[test]
    fn no_file_gives_the_defaults() {
        assert_eq!(load(None, &no_env).unwrap(), Config::default());
    }

    #[test]
    fn the_defaults_are_valid() {
        validate(&Config::default()).unwrap();
    }

    #[test]
    fn a_named_missing_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("absent.toml");
        let error = load(Some(&missing), &no_env).unwrap_err();
        assert!(matches!(&error, ConfigError::Read { path, .. } if *path == missing));
        assert!(error.to_string().contains("absent.toml"), "{error}");

        // Named through the environment, it is just as much an error.
        let missing_text = missing.to_str().unwrap();
        let error = load(None, &env_of(&[("TCHATCHE_CONFIG", missing_text)])).unwrap_err();
        assert!(matches!(&error, ConfigError::Read { path, .. } if *path == missing));
    }

    #[test]
    fn the_file_comes_from_the_argument_then_the_environment() {
        let from_argument = file_with("[entry]\nmin_age = 16\n");
        let from_env = file_with("[entry]\nmin_age = 17\n");
        let env = env_of(&[("TCHATCHE_CONFIG", from_env.path().to_str().unwrap())]);

        let config = load(Some(from_argument.path()), &env).unwrap();
        assert_eq!(config.entry.min_age, 16);
        let config = load(None, &env).unwrap();
        assert_eq!(config.entry.min_age, 17);
    }

    #[test]
    fn an_empty_config_variable_is_refused() {
        let error = load(None, &env_of(&[("TCHATCHE_CONFIG", "")])).unwrap_err();
        assert!(
            matches!(&error, ConfigError::Env { variable, .. } if variable == "TCHATCHE_CONFIG")
        );
    }

    #[test]
    fn missing_keys_keep_their_defaults() {
        let config = load_source("[server]\nmax_connections = 100\n").unwrap();
        let expected = Config {
            server: ServerConfig {
                max_connections: 100,
                ..ServerConfig::default()
            },
            ..Config::default()
        };
        assert_eq!(config, expected);
    }

    #[test]
    fn listed_rooms_replace_the_default_directory() {
        let config = load_source(
            "[[rooms]]\nslug = \"accueil\"\nname = \"Accueil\"\ncategory = \"Discussion\"\nbands = \"both\"\n",
        )
        .unwrap();
        let expected = RoomConfig {
            slug: "accueil".to_owned(),
            name: "Accueil".to_owned(),
            category: "Discussion".to_owned(),
            topic: String::new(),
            bands: RoomBands::Both,
            registered_only: false,
            moderated: false,
            slow_mode_secs: 0,
            capacity: None,
        };
        assert_eq!(config.rooms, vec![expected]);
    }

    #[test]
    fn an_empty_room_list_means_the_default_directory() {
        assert_eq!(load_source("rooms = []\n").unwrap().rooms, default_rooms());
        assert_eq!(load_source("").unwrap().rooms, default_rooms());
    }

    #[test]
    fn parse_errors_name_the_line_column_and_key() {
        // (source, line, column, texts the message must contain)
        let cases: &[(&str, usize, usize, &[&str])] = &[
            (
                "[server]\nhttp_addr = \"0.0.0.0:8080\"\nhttp_port = 80\n",
                3,
                1,
                &[
                    "`server.http_port`",
                    "unknown field `http_port`",
                    "expected",
                ],
            ),
            (
                "# comment\n[serveur]\nport = 1\n",
                2,
                2,
                &["`serveur`", "unknown field `serveur`"],
            ),
            (
                "[limits]\n\nmax_body_chars = \"lots\"\n",
                3,
                18,
                &["`limits.max_body_chars`", "invalid type"],
            ),
            ("[entry]\nmin_age = -1\n", 2, 11, &["`entry.min_age`"]),
            (
                "[server]\nhttp_addr = \"localhost\"\n",
                2,
                13,
                &["`server.http_addr`"],
            ),
            (
                "[entry]\nreserved_nicknames = [\"admin\", 3]\n",
                2,
                32,
                &["`entry.reserved_nicknames[1]`"],
            ),
            (
                "[[rooms]]\nslug = \"a\"\nname = \"A\"\ncategory = \"C\"\nbands = \"both\"\n\n\
                 [[rooms]]\nslug = \"b\"\nname = \"B\"\ncategory = \"C\"\nbands = \"both\"\ncapacity = \"big\"\n",
                12,
                12,
                &["`rooms[1].capacity`", "invalid type"],
            ),
            (
                "[[rooms]]\nslug = \"a\"\nname = \"A\"\ncategory = \"C\"\nbands = \"everyone\"\n",
                5,
                9,
                &["`rooms[0].bands`", "unknown variant `everyone`"],
            ),
            // Columns count characters, not bytes.
            (
                "rooms = [{ slug = \"été\", name = \"Été\", category = \"Été\", bands = 7 }]\n",
                1,
                66,
                &["`rooms[0].bands`"],
            ),
            (
                "[server]\ndatabase = \"mysql://chat\"\n",
                2,
                12,
                &["`server.database`", "`mysql://`", "expected sqlite://"],
            ),
            ("[server\n", 1, 8, &[]),
        ];
        for (source, line, column, needles) in cases {
            let error = load_source(source).unwrap_err();
            let ConfigError::Parse {
                path,
                line: error_line,
                column: error_column,
                message,
            } = &error
            else {
                panic!("{source:?}: expected a parse error, got {error}");
            };
            assert_eq!(path, Path::new("tchatche.toml"));
            assert_eq!(
                (*error_line, *error_column),
                (*line, *column),
                "{source:?}: {error}"
            );
            for needle in *needles {
                assert!(
                    message.contains(needle),
                    "{source:?}: {message:?} lacks {needle:?}"
                );
            }
            let prefix = format!("tchatche.toml:{line}:{column}: ");
            assert!(error.to_string().starts_with(&prefix), "{error}");
        }
    }

    #[test]
    fn a_missing_room_field_names_the_room() {
        let error =
            load_source("[[rooms]]\nslug = \"a\"\nname = \"A\"\ncategory = \"C\"\n").unwrap_err();
        let ConfigError::Parse { message, .. } = &error else {
            panic!("expected a parse error, got {error}");
        };
        assert!(message.contains("bands"), "{message}");
    }

    #[test]
    fn env_overrides_are_applied() {
        let env = env_of(&[
            ("TCHATCHE_HTTP_ADDR", "127.0.0.1:9000"),
            ("TCHATCHE_DATA_DIR", "/var/lib/tchatche"),
            ("TCHATCHE_DATABASE", "sqlite:///srv/tchatche/chat.sqlite3"),
            ("TCHATCHE_MAX_CONNECTIONS", "500"),
            ("TCHATCHE_SHUTDOWN_GRACE_SECS", "30"),
            ("TCHATCHE_MIN_AGE", "18"),
            ("TCHATCHE_MAX_BODY_CHARS", "500"),
            ("TCHATCHE_MAX_FRAME_BYTES", "4096"),
            ("TCHATCHE_IDLE_TIMEOUT_SECS", "300"),
            ("TCHATCHE_SCROLLBACK", "100"),
            ("TCHATCHE_HISTORY_RETENTION_DAYS", "7"),
            ("TCHATCHE_IRC_ADDR", "127.0.0.1:6668"),
            ("TCHATCHE_MIN_PASSWORD_CHARS", "12"),
            ("TCHATCHE_ARGON2_MEMORY_KIB", "65536"),
        ]);
        let config = load(None, &env).unwrap();
        let expected = Config {
            server: ServerConfig {
                http_addr: "127.0.0.1:9000".parse().unwrap(),
                data_dir: PathBuf::from("/var/lib/tchatche"),
                database: DatabaseUrl::Sqlite(PathBuf::from("/srv/tchatche/chat.sqlite3")),
                max_connections: 500,
                shutdown_grace_secs: 30,
            },
            entry: EntryConfig {
                min_age: 18,
                ..EntryConfig::default()
            },
            limits: LimitsConfig {
                max_body_chars: 500,
                max_frame_bytes: 4096,
                idle_timeout_secs: 300,
                ..LimitsConfig::default()
            },
            history: HistoryConfig {
                scrollback: 100,
                retention_days: 7,
            },
            irc: IrcConfig {
                addr: "127.0.0.1:6668".parse().unwrap(),
                ..IrcConfig::default()
            },
            accounts: AccountsConfig {
                min_password_chars: 12,
                argon2_memory_kib: 65_536,
                ..AccountsConfig::default()
            },
            staff: StaffConfig::default(),
            rooms: default_rooms(),
        };
        assert_eq!(config, expected);
    }

    #[test]
    fn env_overrides_win_over_the_file() {
        let file = file_with("[entry]\nmin_age = 16\n");
        let config = load(Some(file.path()), &env_of(&[("TCHATCHE_MIN_AGE", "17")])).unwrap();
        assert_eq!(config.entry.min_age, 17);
    }

    #[test]
    fn bad_env_values_name_the_variable_and_value() {
        let cases = [
            ("TCHATCHE_HTTP_ADDR", "localhost"),
            ("TCHATCHE_DATA_DIR", ""),
            ("TCHATCHE_DATABASE", "data/tchatche.sqlite3"),
            ("TCHATCHE_DATABASE", "sqlite://"),
            ("TCHATCHE_MAX_CONNECTIONS", "lots"),
            ("TCHATCHE_SHUTDOWN_GRACE_SECS", "-1"),
            ("TCHATCHE_MIN_AGE", "quinze"),
            ("TCHATCHE_MAX_BODY_CHARS", "2k"),
            ("TCHATCHE_MAX_FRAME_BYTES", "16 384"),
            ("TCHATCHE_SCROLLBACK", ""),
            ("TCHATCHE_HISTORY_RETENTION_DAYS", "30d"),
        ];
        for (bad_variable, bad_value) in cases {
            let error = load(None, &env_of(&[(bad_variable, bad_value)])).unwrap_err();
            let ConfigError::Env {
                variable, value, ..
            } = &error
            else {
                panic!("{bad_variable}: expected an env error, got {error}");
            };
            assert_eq!(
                (variable.as_str(), value.as_str()),
                (bad_variable, bad_value)
            );
            let text = error.to_string();
            assert!(
                text.contains(bad_variable) && text.contains(&format!("{bad_value:?}")),
                "{text}"
            );
        }
    }

    #[test]
    fn the_database_is_a_url_from_the_file_or_the_environment() {
        let file = file_with("[server]\ndatabase = \"sqlite://chat.db\"\n");
        let config = load(Some(file.path()), &no_env).unwrap();
        assert_eq!(
            config.server.database,
            DatabaseUrl::Sqlite(PathBuf::from("chat.db"))
        );
        let env = env_of(&[("TCHATCHE_DATABASE", "postgres://db.example/tchatche")]);
        let config = load(Some(file.path()), &env).unwrap();
        assert_eq!(
            config.server.database,
            DatabaseUrl::Postgres("postgres://db.example/tchatche".into())
        );
    }

    #[test]
    fn env_errors_never_show_a_urls_password() {
        let env = env_of(&[("TCHATCHE_DATABASE", "mysql://root:hunter2@db.example/chat")]);
        let error = load(None, &env).unwrap_err();
        let text = error.to_string();
        assert!(
            text.contains("TCHATCHE_DATABASE=\"mysql://…@db.example/chat\""),
            "{text}"
        );
        assert!(text.contains("`server.database`"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[test]
    fn credentials_are_cut_from_urls_only() {
        let cases = [
            ("postgres://u:p@host/db", "postgres://…@host/db"),
            ("postgres://u@host", "postgres://…@host"),
            ("postgres://host/db@x", "postgres://host/db@x"),
            ("sqlite://data/chat.db", "sqlite://data/chat.db"),
            ("a@b", "a@b"),
            ("0.0.0.0:8080", "0.0.0.0:8080"),
        ];
        for (value, shown) in cases {
            assert_eq!(without_credentials(value), shown, "{value:?}");
        }
    }

    #[test]
    fn every_env_override_is_tested_and_documented() {
        let example = std::fs::read_to_string(example_path()).unwrap();
        for (variable, key, _) in ENV_OVERRIDES {
            assert!(
                example.contains(variable),
                "{variable} missing from the example file"
            );
            assert!(example.contains(key), "{key} missing from the example file");
        }
    }

    #[test]
    fn semantic_errors_name_the_key() {
        let room = |slug: &str, bands: &str, extra: &str| {
            format!(
                "[[rooms]]\nslug = \"{slug}\"\nname = \"Salon\"\ncategory = \"Discussion\"\nbands = \"{bands}\"\n{extra}\n"
            )
        };
        // (source, key, text the message must contain)
        let cases: Vec<(String, &str, &str)> = vec![
            (
                "[server]\nmax_connections = 0".into(),
                "server.max_connections",
                "at least 1",
            ),
            (
                "[server]\ndata_dir = \"\"".into(),
                "server.data_dir",
                "empty",
            ),
            ("[entry]\nmin_age = 12".into(), "entry.min_age", "got 12"),
            (
                "[irc]\ntls_cert = \"cert.pem\"".into(),
                "irc.tls_key",
                "set both or neither",
            ),
            (
                "[irc]\nserver_name = \"two words\"".into(),
                "irc.server_name",
                "one word",
            ),
            ("[entry]\nmin_age = 19".into(), "entry.min_age", "got 19"),
            (
                "[entry]\noffensive_nicknames = [\"salope\", \" \"]".into(),
                "entry.offensive_nicknames[1]",
                "empty",
            ),
            (
                "[entry]\nreserved_nicknames = [\"\"]".into(),
                "entry.reserved_nicknames[0]",
                "empty",
            ),
            (
                "[limits]\nmax_body_chars = 0".into(),
                "limits.max_body_chars",
                "got 0",
            ),
            (
                "[limits]\nmax_body_chars = 16385".into(),
                "limits.max_body_chars",
                "(16384)",
            ),
            (
                "[limits]\nmax_frame_bytes = 1023".into(),
                "limits.max_frame_bytes",
                "got 1023",
            ),
            (
                "[limits]\nmax_frame_bytes = 1048577".into(),
                "limits.max_frame_bytes",
                "got 1048577",
            ),
            (
                "[limits]\nmax_bad_frames = 0".into(),
                "limits.max_bad_frames",
                "at least 1",
            ),
            (
                "[limits]\nidle_timeout_secs = 30".into(),
                "limits.idle_timeout_secs",
                "got 30",
            ),
            (
                "[limits]\noutbound_queue = 15".into(),
                "limits.outbound_queue",
                "got 15",
            ),
            (
                "[limits]\nmax_rooms_per_user = 0".into(),
                "limits.max_rooms_per_user",
                "at least 1",
            ),
            (
                "[history]\nscrollback = 501".into(),
                "history.scrollback",
                "got 501",
            ),
            (
                "[staff]\nmoderators = [\"Zoe\", \" \"]".into(),
                "staff.moderators",
                "cannot be empty",
            ),
            (
                "[staff]\nadministrators = [\"Zoe\"]\nmoderators = [\"Zoe\"]".into(),
                "staff.moderators",
                "\"Zoe\" is already an administrator",
            ),
            (
                "[staff]\nappeal = \"  \"".into(),
                "staff.appeal",
                "how to appeal",
            ),
            (room("Paris", "both", ""), "rooms[0].slug", "\"Paris\""),
            (
                room("paris nord", "both", ""),
                "rooms[0].slug",
                "\"paris nord\"",
            ),
            (room("-paris", "both", ""), "rooms[0].slug", "\"-paris\""),
            (
                room("paris--nord", "both", ""),
                "rooms[0].slug",
                "\"paris--nord\"",
            ),
            (room("", "both", ""), "rooms[0].slug", "\"\""),
            (room(&"a".repeat(50), "both", ""), "rooms[0].slug", "aaaa"),
            (
                room("paris", "adult", "capacity = 1"),
                "rooms[0].capacity",
                "room `paris`",
            ),
            (
                room("paris", "adult", "name = \" \"").replace("name = \"Salon\"\n", ""),
                "rooms[0].name",
                "room `paris`",
            ),
            (
                room("paris", "adult", "category = \"\"")
                    .replace("category = \"Discussion\"\n", ""),
                "rooms[0].category",
                "room `paris`",
            ),
            (
                room("paris", "adult", "") + room("paris", "adult", "").as_str(),
                "rooms[1].slug",
                "adult band by rooms[0]",
            ),
            (
                room("paris", "teen", "") + room("paris", "both", "").as_str(),
                "rooms[1].slug",
                "teen band by rooms[0]",
            ),
            (
                room("paris", "both", "") + room("paris", "adult", "").as_str(),
                "rooms[1].slug",
                "adult band by rooms[0]",
            ),
        ];
        for (source, expected_key, needle) in &cases {
            let error = load_source(source).unwrap_err();
            let ConfigError::Invalid { key, message } = &error else {
                panic!("{source:?}: expected an invalid setting, got {error}");
            };
            assert_eq!(key, expected_key, "{source:?}: {error}");
            assert!(
                message.contains(needle),
                "{source:?}: {message:?} lacks {needle:?}"
            );
            assert!(error.to_string().contains(expected_key), "{error}");
        }
    }

    #[test]
    fn limit_values_are_accepted() {
        let room = |slug: &str, bands: &str| {
            format!(
                "[[rooms]]\nslug = \"{slug}\"\nname = \"Salon\"\ncategory = \"Discussion\"\nbands = \"{bands}\"\ncapacity = 2\n"
            )
        };
        let cases = [
            "[entry]\nmin_age = 13".to_owned(),
            "[entry]\nmin_age = 18".to_owned(),
            "[limits]\nmax_frame_bytes = 1024\nmax_body_chars = 1024".to_owned(),
            "[limits]\nmax_frame_bytes = 1048576\nmax_body_chars = 1".to_owned(),
            "[limits]\noutbound_queue = 16\nmax_created_rooms_per_user = 0\ntyping_max_room_members = 0".to_owned(),
            "[limits]\nidle_timeout_secs = 0".to_owned(),
            "[limits]\nidle_timeout_secs = 75".to_owned(),
            "[history]\nscrollback = 500\nretention_days = 0".to_owned(),
            // The same slug in each band is two distinct rooms.
            room("paris", "adult") + room("paris", "teen").as_str(),
            room("18-25-ans", "adult") + room(&"a".repeat(MAX_ROOM_SLUG_BYTES), "teen").as_str(),
        ];
        for source in &cases {
            if let Err(error) = load_source(source) {
                panic!("{source:?}: {error}");
            }
        }
    }

    #[test]
    fn env_values_are_validated_too() {
        let error = load(None, &env_of(&[("TCHATCHE_MIN_AGE", "12")])).unwrap_err();
        assert!(
            matches!(&error, ConfigError::Invalid { key, .. } if key == "entry.min_age"),
            "{error}"
        );
    }

    #[test]
    fn the_example_file_is_the_defaults() {
        assert_eq!(
            load(Some(&example_path()), &no_env).unwrap(),
            Config::default()
        );
    }

    /// The field names serde expects for `T`, captured from `deserialize_struct`.
    fn fields_of<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
        match T::deserialize(FieldCapture) {
            Err(Captured(fields)) => fields,
            Ok(_) => &[],
        }
    }

    struct FieldCapture;

    #[derive(Debug)]
    struct Captured(&'static [&'static str]);

    impl Display for Captured {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "fields {:?}", self.0)
        }
    }

    impl std::error::Error for Captured {}

    impl serde::de::Error for Captured {
        fn custom<T: Display>(_: T) -> Self {
            Captured(&[])
        }
    }

    impl<'de> serde::Deserializer<'de> for FieldCapture {
        type Error = Captured;

        fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Captured> {
            Err(Captured(&[]))
        }

        fn deserialize_struct<V: serde::de::Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Captured> {
            Err(Captured(fields))
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct newtype_struct seq tuple
            tuple_struct map enum identifier ignored_any
        }
    }

    #[test]
    fn the_example_file_lists_every_setting() {
        let source = std::fs::read_to_string(example_path()).unwrap();
        let example: toml::Table = toml::from_str(&source).unwrap();
        let sections = [
            ("server", fields_of::<ServerConfig>()),
            ("entry", fields_of::<EntryConfig>()),
            ("limits", fields_of::<LimitsConfig>()),
            ("history", fields_of::<HistoryConfig>()),
            ("irc", fields_of::<IrcConfig>()),
            ("accounts", fields_of::<AccountsConfig>()),
            ("staff", fields_of::<StaffConfig>()),
        ];
        let top_level = fields_of::<Config>();
        assert_eq!(
            top_level.len(),
            sections.len() + 1,
            "a section is missing from this test"
        );
        for (section, fields) in sections {
            assert!(top_level.contains(&section));
            assert!(!fields.is_empty());
            let table = example[section].as_table().unwrap();
            for field in fields {
                assert!(
                    table.contains_key(*field),
                    "{section}.{field} missing from the example file"
                );
            }
        }
        // Rooms are only shown commented out, so that the defaults apply.
        assert!(!example.contains_key("rooms"));
        for field in fields_of::<RoomConfig>() {
            assert!(
                source.contains(&format!("# {field} = ")),
                "rooms.{field} missing from the example file"
            );
        }
    }

    #[test]
    fn lines_and_columns_count_from_one_in_characters() {
        let source = "ab\nçé = 1\n";
        assert_eq!(line_and_column(source, 0), (1, 1));
        assert_eq!(line_and_column(source, 3), (2, 1));
        assert_eq!(line_and_column(source, "ab\nçé".len()), (2, 3));
        assert_eq!(line_and_column(source, source.len()), (3, 1));
        assert_eq!(line_and_column(source, 1000), (3, 1));
    }
}
