//! The part of the configuration the hub applies, prepared once at start.

use std::collections::HashMap;
use std::time::Duration;

use tchatche_config::{Config, RoomConfig, StaffConfig};
use tchatche_protocol::{Limits, PROTOCOL_VERSION, StaffRole};
use tchatche_safety::nickname::{NicknamePolicy, nickname_key};

/// The staff lists by folded nickname; an administrator listed as a
/// moderator too keeps the higher role.
fn staff_roles(config: &StaffConfig) -> HashMap<String, StaffRole> {
    let mut roles = HashMap::new();
    for (names, role) in [
        (&config.moderators, StaffRole::Moderator),
        (&config.administrators, StaffRole::Administrator),
    ] {
        for name in names {
            roles.insert(nickname_key(name.trim()), role);
        }
    }
    roles
}

/// Settings of one hub.
#[derive(Clone, Debug)]
pub struct HubSettings {
    /// Youngest age allowed in; at 18 the teen band is closed.
    pub min_age: u32,
    /// Longest message body, in characters.
    pub max_body_chars: u32,
    /// Largest client frame, in bytes (told to clients, enforced by transports).
    pub max_frame_bytes: u32,
    /// Messages kept per room for scrollback and replies.
    pub scrollback: usize,
    /// Rooms one person may be in at once.
    pub max_rooms_per_user: usize,
    /// User-created rooms one person may keep at once.
    pub max_created_rooms_per_user: u32,
    /// Rooms up to this size relay typing indicators.
    pub typing_max_room_members: usize,
    /// Frames queued per connection before it is closed as too slow.
    pub outbound_queue: usize,
    /// How often changed room member counts are sent to the directory (and
    /// silent WebSocket clients looked for).
    pub directory_interval: Duration,
    /// Silence after which a WebSocket client is closed; `None`: never.
    pub idle_timeout: Option<Duration>,
    /// Reserved and offensive nickname rules.
    pub nicknames: NicknamePolicy,
    /// The seeded rooms.
    pub rooms: Vec<RoomConfig>,
    /// Member accounts.
    pub accounts: AccountSettings,
    /// Site staff by folded nickname: only members entering with that
    /// nickname get the role, and no guest may take it.
    pub staff: HashMap<String, StaffRole>,
    /// How to appeal a sanction, quoted in every statement of reasons.
    pub appeal: String,
}

/// The member-account part of the settings.
#[derive(Clone, Debug)]
pub struct AccountSettings {
    /// Fewest characters in a password.
    pub min_password_chars: usize,
    /// Argon2id memory cost in KiB.
    pub argon2_memory_kib: u32,
    /// Argon2id passes.
    pub argon2_iterations: u32,
    /// Password hashes computed at once.
    pub hashing_threads: usize,
    /// Recovery codes given at registration.
    pub recovery_codes: usize,
    /// Wrong passwords per nickname from one address within the window
    /// before that address is locked out of it.
    pub max_failed_logins_per_nickname: u32,
    /// Wrong passwords per nickname from all addresses within the window
    /// before a lock.
    pub max_failed_logins_per_nickname_anywhere: u32,
    /// Wrong passwords per IP address within the window before a lock.
    pub max_failed_logins_per_ip: u32,
    /// The failed-login window.
    pub failed_login_window: Duration,
}

impl AccountSettings {
    /// Takes the account settings from the instance configuration.
    pub fn from_config(config: &tchatche_config::AccountsConfig) -> AccountSettings {
        AccountSettings {
            min_password_chars: config.min_password_chars as usize,
            argon2_memory_kib: config.argon2_memory_kib,
            argon2_iterations: config.argon2_iterations,
            hashing_threads: config.hashing_threads as usize,
            recovery_codes: config.recovery_codes as usize,
            max_failed_logins_per_nickname: config.max_failed_logins_per_nickname,
            max_failed_logins_per_nickname_anywhere: config.max_failed_logins_per_nickname_anywhere,
            max_failed_logins_per_ip: config.max_failed_logins_per_ip,
            failed_login_window: Duration::from_secs(u64::from(config.failed_login_window_secs)),
        }
    }
}

impl HubSettings {
    /// Takes the hub's settings from the instance configuration.
    pub fn from_config(config: &Config) -> HubSettings {
        HubSettings {
            min_age: config.entry.min_age,
            max_body_chars: config.limits.max_body_chars,
            max_frame_bytes: config.limits.max_frame_bytes,
            scrollback: config.history.scrollback as usize,
            max_rooms_per_user: config.limits.max_rooms_per_user as usize,
            max_created_rooms_per_user: config.limits.max_created_rooms_per_user,
            typing_max_room_members: config.limits.typing_max_room_members as usize,
            outbound_queue: config.limits.outbound_queue as usize,
            directory_interval: Duration::from_secs(1),
            idle_timeout: (config.limits.idle_timeout_secs > 0)
                .then(|| Duration::from_secs(u64::from(config.limits.idle_timeout_secs))),
            nicknames: NicknamePolicy::new(
                &config.entry.reserved_nicknames,
                &config.entry.offensive_nicknames,
            ),
            rooms: config.rooms.clone(),
            accounts: AccountSettings::from_config(&config.accounts),
            staff: staff_roles(&config.staff),
            appeal: config.staff.appeal.trim().to_owned(),
        }
    }

    /// The limits announced to clients in `welcome`.
    pub fn limits(&self) -> Limits {
        Limits {
            max_body_chars: self.max_body_chars,
            max_frame_bytes: self.max_frame_bytes,
            min_age: self.min_age,
            teen_band: self.min_age < 18,
        }
    }

    /// The protocol version (for symmetry with [`HubSettings::limits`]).
    pub fn protocol(&self) -> u32 {
        PROTOCOL_VERSION
    }
}
