//! The instance configuration: one TOML file, `TCHATCHE_*` environment
//! overrides, and defaults good enough to run with no file at all.
//!
//! Every setting of the server lives in [`Config`]. Loading refuses unknown
//! keys and bad values with the file, line and key named, so a typo never
//! silently falls back to a default.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

mod database;
mod defaults;
mod load;
mod rooms;

pub use database::DatabaseUrl;
pub use load::{ConfigError, load};
pub use rooms::default_rooms;

/// The whole configuration.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Listening addresses, data folder and database.
    pub server: ServerConfig,
    /// Entry rules.
    pub entry: EntryConfig,
    /// Message and connection limits.
    pub limits: LimitsConfig,
    /// Room history.
    pub history: HistoryConfig,
    /// The IRC gateway.
    pub irc: IrcConfig,
    /// Member accounts: passwords, recovery codes, failed-login throttle.
    pub accounts: AccountsConfig,
    /// Site staff and sanctions.
    pub staff: StaffConfig,
    /// The seeded rooms. When the file has no `[[rooms]]`, [`default_rooms`] is used.
    pub rooms: Vec<RoomConfig>,
}

/// Listening addresses, data folder and database.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// HTTP and WebSocket address (`TCHATCHE_HTTP_ADDR`), default `0.0.0.0:8080`.
    pub http_addr: SocketAddr,
    /// Folder for the server's data (`TCHATCHE_DATA_DIR`), default `data`;
    /// the default database is the SQLite file `tchatche.sqlite3` in it.
    pub data_dir: PathBuf,
    /// The database (`TCHATCHE_DATABASE`), as a URL; default empty, the
    /// SQLite file in `data_dir`.
    pub database: DatabaseUrl,
    /// Most simultaneous connections; further ones are refused with `server_full`.
    pub max_connections: u32,
    /// Seconds given to clients and pending writes on shutdown.
    pub shutdown_grace_secs: u32,
}

/// Entry rules.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct EntryConfig {
    /// Minimum age (`TCHATCHE_MIN_AGE`), default 15. At 18 or more the teen band is closed.
    pub min_age: u32,
    /// Nickname roots reserved for staff and the service; variants
    /// (case, lookalike letters, digits and separators around) are refused too.
    pub reserved_nicknames: Vec<String>,
    /// Words refused anywhere in a nickname (after folding).
    pub offensive_nicknames: Vec<String>,
}

/// Message and connection limits.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Most characters in a message body, default 2000.
    pub max_body_chars: u32,
    /// Most bytes in one client frame, default 16384.
    pub max_frame_bytes: u32,
    /// Unreadable frames in a row before the connection is closed, default 20.
    pub max_bad_frames: u32,
    /// Frames queued for one connection before it is closed as too slow, default 1024.
    pub outbound_queue: u32,
    /// Rooms one person may be in at once, default 20.
    pub max_rooms_per_user: u32,
    /// Rooms one person may create and keep at once, default 3.
    pub max_created_rooms_per_user: u32,
    /// Members up to which typing indicators are relayed in a room, default 50.
    pub typing_max_room_members: u32,
    /// Seconds a WebSocket client may stay silent (no command at all, `ping`
    /// included) before it is closed as `idle_timeout`, default 150; 0: never.
    pub idle_timeout_secs: u32,
}

/// Room history.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct HistoryConfig {
    /// Messages sent on join, default 50.
    pub scrollback: u32,
    /// Days room messages are kept, default 30.
    pub retention_days: u32,
}

/// The IRC gateway.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct IrcConfig {
    /// Whether the gateway listens at all, default true.
    pub enabled: bool,
    /// Plain-text IRC address (`TCHATCHE_IRC_ADDR`), default `0.0.0.0:6667`.
    pub addr: SocketAddr,
    /// TLS IRC address (`TCHATCHE_IRC_TLS_ADDR`), default `0.0.0.0:6697`;
    /// used only when a certificate is configured.
    pub tls_addr: SocketAddr,
    /// PEM certificate chain for TLS (`TCHATCHE_IRC_TLS_CERT`); empty: no TLS.
    pub tls_cert: String,
    /// PEM private key for TLS (`TCHATCHE_IRC_TLS_KEY`).
    pub tls_key: String,
    /// The server name shown to IRC clients, default `tchatche`.
    pub server_name: String,
    /// Message of the day, one entry per line.
    pub motd: Vec<String>,
    /// A profile (`age gender département`, as in the USER real name) given
    /// to IRC guests who send none. Off by default: without a profile,
    /// registration is refused with an explanation. For adults-only or
    /// private instances and for conformance suites. Empty: off.
    pub default_guest_profile: String,
}

/// Member accounts: password rules, the cost of password hashing, recovery
/// codes and the failed-login throttle.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AccountsConfig {
    /// Fewest characters in a password (`TCHATCHE_MIN_PASSWORD_CHARS`), default 10.
    pub min_password_chars: u32,
    /// Argon2id memory cost in KiB (`TCHATCHE_ARGON2_MEMORY_KIB`), default
    /// 19456 (19 MiB, OWASP's minimum for Argon2id with 2 passes).
    pub argon2_memory_kib: u32,
    /// Argon2id passes over memory, default 2.
    pub argon2_iterations: u32,
    /// Password hashes computed at once, each on its own blocking thread,
    /// default 2. Bounds the CPU and memory a wave of logins can take.
    pub hashing_threads: u32,
    /// Recovery codes given at registration, default 8.
    pub recovery_codes: u32,
    /// Wrong passwords for one nickname from one IP address before that
    /// address is locked out of it for the rest of the window, default 5.
    /// Per address, so that nobody can lock a member out from elsewhere.
    pub max_failed_logins_per_nickname: u32,
    /// Wrong passwords for one nickname from all addresses together before
    /// it is locked for the rest of the window, default 50: the slower
    /// limit on guessing from many addresses.
    pub max_failed_logins_per_nickname_anywhere: u32,
    /// Wrong passwords from one IP address before it is locked for the rest
    /// of the window, default 20.
    pub max_failed_logins_per_ip: u32,
    /// The failed-login window in seconds, default 900 (15 minutes).
    pub failed_login_window_secs: u32,
}

/// Site staff: who holds a role, and how sanctioned people appeal.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct StaffConfig {
    /// Member nicknames of the administrators.
    pub administrators: Vec<String>,
    /// Member nicknames of the moderators.
    pub moderators: Vec<String>,
    /// How to appeal a sanction, shown in every statement of reasons.
    pub appeal: String,
}

/// Which band(s) a seeded room exists in.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RoomBands {
    /// Adult band only.
    Adult,
    /// Teen band only.
    Teen,
    /// One room in each band (two separate rooms with the same slug).
    Both,
}

/// One seeded room.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RoomConfig {
    /// Unique per band: lower-case letters, digits and `-`.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Directory category.
    pub category: String,
    /// Topic line.
    #[serde(default)]
    pub topic: String,
    /// Band(s).
    pub bands: RoomBands,
    /// Only registered members may join.
    #[serde(default)]
    pub registered_only: bool,
    /// Only operators and voiced members may speak.
    #[serde(default)]
    pub moderated: bool,
    /// Seconds between two messages of one person (0: off).
    #[serde(default)]
    pub slow_mode_secs: u32,
    /// Most members (none: no limit).
    #[serde(default)]
    pub capacity: Option<u32>,
}
