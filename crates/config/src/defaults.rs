//! The built-in defaults: what the server runs with when there is no
//! configuration file, and what every key missing from a file falls back to.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use crate::{
    AccountsConfig, Config, DatabaseUrl, EntryConfig, HistoryConfig, IrcConfig, LimitsConfig,
    ServerConfig, StaffConfig, default_rooms,
};

/// Nickname roots reserved for staff and the service (lower-case ASCII; the
/// safety crate also refuses their variants).
const RESERVED_NICKNAMES: &[&str] = &[
    "admin",
    "administrateur",
    "administrator",
    "modo",
    "moderateur",
    "moderatrice",
    "moderator",
    "staff",
    "system",
    "systeme",
    "tchatche",
    "root",
    "sysop",
    "support",
    "operateur",
    "operator",
    "police",
    "gendarmerie",
    "officiel",
    "official",
    "bot",
    "serveur",
    "server",
    "nickserv",
    "chanserv",
];

/// Words refused anywhere in a nickname (lower-case ASCII, after folding).
///
/// Kept short on purpose: every entry is matched as a substring, so short or
/// ambiguous words (`pd`, `con`, `pute`) would refuse innocent nicknames
/// (`computer`, `constance`). Operators extend it in the file; run-time
/// filters catch the rest.
const OFFENSIVE_NICKNAMES: &[&str] = &[
    // Homophobic and transphobic slurs: the ambushes this product exists to fight.
    "pede",
    "tapette",
    "tarlouze",
    "tafiole",
    "fiotte",
    "gouine",
    "travelo",
    "faggot",
    "tranny",
    // Racist and antisemitic slurs.
    "bougnoule",
    "negre",
    "bicot",
    "youpin",
    "chinetoque",
    "nigger",
    "nigga",
    "kike",
    // Insults.
    "salope",
    "encule",
    "connard",
    "connasse",
    "filsdepute",
    "whore",
    "slut",
    "cunt",
    // Child abuse.
    "pedophil",
];

fn owned(words: &[&str]) -> Vec<String> {
    words.iter().map(|word| (*word).to_owned()).collect()
}

impl Default for Config {
    fn default() -> Self {
        Config {
            server: ServerConfig::default(),
            entry: EntryConfig::default(),
            limits: LimitsConfig::default(),
            history: HistoryConfig::default(),
            irc: IrcConfig::default(),
            accounts: AccountsConfig::default(),
            staff: StaffConfig::default(),
            rooms: default_rooms(),
        }
    }
}

impl Default for IrcConfig {
    fn default() -> Self {
        IrcConfig {
            enabled: true,
            addr: SocketAddr::from((Ipv4Addr::UNSPECIFIED, 6667)),
            tls_addr: SocketAddr::from((Ipv4Addr::UNSPECIFIED, 6697)),
            tls_cert: String::new(),
            tls_key: String::new(),
            server_name: "tchatche".to_owned(),
            motd: vec![
                "Bienvenue sur tchatche : soyez respectueux, les règles s'appliquent ici aussi."
                    .to_owned(),
                "Signaler un contenu illégal : https://www.internet-signalement.gouv.fr (Pharos)."
                    .to_owned(),
                "Jeunes, harcèlement : appelez le 3018 (gratuit, anonyme).".to_owned(),
            ],
            default_guest_profile: String::new(),
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            http_addr: SocketAddr::from((Ipv4Addr::UNSPECIFIED, 8080)),
            data_dir: PathBuf::from("data"),
            database: DatabaseUrl::InDataDir,
            max_connections: 19_000,
            shutdown_grace_secs: 5,
        }
    }
}

impl Default for EntryConfig {
    fn default() -> Self {
        EntryConfig {
            min_age: 15,
            reserved_nicknames: owned(RESERVED_NICKNAMES),
            offensive_nicknames: owned(OFFENSIVE_NICKNAMES),
        }
    }
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_body_chars: 2000,
            max_frame_bytes: 16_384,
            max_bad_frames: 20,
            outbound_queue: 1024,
            max_rooms_per_user: 20,
            max_created_rooms_per_user: 3,
            typing_max_room_members: 50,
            idle_timeout_secs: 150,
        }
    }
}

impl Default for AccountsConfig {
    fn default() -> Self {
        AccountsConfig {
            min_password_chars: 10,
            argon2_memory_kib: 19_456,
            argon2_iterations: 2,
            hashing_threads: 2,
            recovery_codes: 8,
            max_failed_logins_per_nickname: 5,
            max_failed_logins_per_nickname_anywhere: 50,
            max_failed_logins_per_ip: 20,
            failed_login_window_secs: 900,
        }
    }
}

impl Default for StaffConfig {
    fn default() -> Self {
        StaffConfig {
            administrators: Vec::new(),
            moderators: Vec::new(),
            appeal: "Pour contester, écrivez à la modération en citant le numéro de la sanction. \
                     To appeal, write to the moderators quoting the sanction number."
                .to_owned(),
        }
    }
}

impl Default for HistoryConfig {
    fn default() -> Self {
        HistoryConfig {
            scrollback: 50,
            retention_days: 30,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_defaults() {
        let server = ServerConfig::default();
        assert_eq!(server.http_addr.to_string(), "0.0.0.0:8080");
        assert_eq!(server.data_dir, PathBuf::from("data"));
        assert_eq!(server.database, DatabaseUrl::InDataDir);
        assert_eq!(server.max_connections, 19_000);
        assert_eq!(server.shutdown_grace_secs, 5);
    }

    #[test]
    fn nickname_lists_are_lower_case_ascii_and_unique() {
        for list in [RESERVED_NICKNAMES, OFFENSIVE_NICKNAMES] {
            let mut seen = std::collections::HashSet::new();
            for word in list {
                assert!(!word.is_empty());
                assert!(word.bytes().all(|b| b.is_ascii_lowercase()), "{word:?}");
                assert!(seen.insert(word), "duplicate {word:?}");
            }
        }
    }

    #[test]
    fn config_default_seeds_the_default_rooms() {
        let config = Config::default();
        assert_eq!(config.rooms, default_rooms());
        assert!(!config.rooms.is_empty());
    }
}
