//! Plain values shared by commands and events: profiles, rooms, messages.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{Department, MessageId, SanctionId, UserId};

/// The two age bands. A person belongs to exactly one, and the bands never meet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Band {
    /// From the instance minimum age (default 15) to 17.
    Teen,
    /// 18 and over.
    Adult,
}

impl Band {
    /// The band an age belongs to. Refusing ages below the instance minimum
    /// is the entry check's job, not this function's.
    pub fn for_age(age: u32) -> Band {
        if age >= 18 { Band::Adult } else { Band::Teen }
    }

    /// The stable lower-case name used in storage and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Band::Teen => "teen",
            Band::Adult => "adult",
        }
    }
}

/// Gender as given at entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Gender {
    /// Homme.
    Homme,
    /// Femme.
    Femme,
    /// Autre.
    Autre,
}

/// What another person of the band may see of someone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct UserSummary {
    /// Session id.
    pub id: UserId,
    /// Nickname as typed at entry.
    pub nick: String,
    /// Age in years.
    pub age: u32,
    /// Gender.
    pub gender: Gender,
    /// Département code.
    pub department: Department,
    /// Registered member (true) or guest (false).
    pub member: bool,
    /// Seconds since this person last sent something, at the time of the event.
    pub idle_secs: u32,
    /// Away message, when this person said they are away.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub away: Option<String>,
    /// Site staff: shown so that people can tell real moderators from
    /// impersonators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub staff: Option<StaffRole>,
}

/// A member's place in the site's staff.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum StaffRole {
    /// Site-wide safety staff: sanctions anyone but other staff.
    Moderator,
    /// Runs the instance: everything a moderator does, moderators included.
    Administrator,
}

/// What a site-wide sanction does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SanctionKind {
    /// A statement only.
    Warning,
    /// No room message or private message until it ends.
    Mute,
    /// Out of the site now; may come back at once.
    Kick,
    /// Out of the site, and no entry until it ends (or for good).
    Ban,
}

impl SanctionKind {
    /// The stable lower-case name used in storage and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            SanctionKind::Warning => "warning",
            SanctionKind::Mute => "mute",
            SanctionKind::Kick => "kick",
            SanctionKind::Ban => "ban",
        }
    }

    /// The kind with this stored name.
    pub fn parse(name: &str) -> Option<SanctionKind> {
        [
            SanctionKind::Warning,
            SanctionKind::Mute,
            SanctionKind::Kick,
            SanctionKind::Ban,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == name)
    }
}

/// The statement of reasons a sanctioned person receives: what, why, how
/// long, and how to appeal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SanctionNotice {
    /// Sanction id, to quote in an appeal.
    pub id: SanctionId,
    /// What it does.
    pub kind: SanctionKind,
    /// Why, in the moderator's words (the rule broken and the facts);
    /// empty when `address` is true.
    pub reason: String,
    /// When it ends, in milliseconds since the Unix epoch; absent for a
    /// warning, a kick or a ban for good.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub until: Option<u64>,
    /// True when the sanction binds me only because I connect from the
    /// address of someone sanctioned (a shared household, school or mobile
    /// carrier): my connection's address is restricted. Such a statement
    /// names neither that person nor the reason given for them.
    #[serde(default)]
    pub address: bool,
    /// How to appeal (the instance's contact), once per sanction.
    pub appeal: String,
}

/// Someone who left, as `whowas` remembers them for a while.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Departure {
    /// Nickname they had.
    pub nick: String,
    /// Age.
    pub age: u32,
    /// Gender.
    pub gender: Gender,
    /// Département code.
    pub department: Department,
    /// When they left, in milliseconds since the Unix epoch.
    #[ts(type = "number")]
    pub left_at: u64,
}

/// A compact reference to the author of a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Author {
    /// Session id of the author.
    pub id: UserId,
    /// Nickname at the time of sending.
    pub nick: String,
    /// A registered member (their account name is their nickname).
    #[serde(default)]
    pub member: bool,
}

/// Flags that change who may enter or speak in a room.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RoomFlags {
    /// Only registered members may join.
    pub registered_only: bool,
    /// Only operators and voiced members may speak.
    pub moderated: bool,
    /// Minimum seconds between two messages of one person (0: off).
    pub slow_mode_secs: u32,
    /// Maximum number of members, if any.
    pub capacity: Option<u32>,
    /// Only invited people (and invite exceptions) may join.
    #[serde(default)]
    pub invite_only: bool,
    /// Joining needs a key (the key itself is never shown).
    #[serde(default)]
    pub has_key: bool,
}

/// A room as the directory shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RoomSummary {
    /// Unique name within the band (`paris`, `30-40-ans`); the IRC channel is `#slug`.
    pub slug: String,
    /// Display name ("Paris").
    pub name: String,
    /// Directory category ("Régions").
    pub category: String,
    /// Topic line.
    pub topic: String,
    /// Current member count.
    pub members: u32,
    /// Entry and speaking rules.
    pub flags: RoomFlags,
    /// Created by a user; disappears when its last member leaves.
    pub user_created: bool,
    /// When the room was created (or the server started, for seeded rooms),
    /// in milliseconds since the Unix epoch.
    #[serde(default)]
    #[ts(type = "number")]
    pub created_at: u64,
    /// When the topic was last set (0: never changed), in milliseconds.
    #[serde(default)]
    #[ts(type = "number")]
    pub topic_at: u64,
}

/// A member's standing in one room.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum RoomRole {
    /// May change the room's topic and flags and give voice.
    Operator,
    /// May speak in a moderated room.
    Voiced,
    /// Ordinary member.
    Member,
}

/// One member in a room's member list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RoomMember {
    /// Who.
    pub user: UserSummary,
    /// Standing in this room.
    pub role: RoomRole,
}

/// The message a reply points to, quoted briefly.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ReplyRef {
    /// The message replied to.
    pub id: MessageId,
    /// Its author's nickname.
    pub nick: String,
    /// Its first characters.
    pub excerpt: String,
}

/// A message said in a room.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RoomMessage {
    /// Room slug.
    pub room: String,
    /// Message id.
    pub id: MessageId,
    /// Who said it.
    pub author: Author,
    /// Text, never HTML.
    pub body: String,
    /// Milliseconds since the Unix epoch.
    #[ts(type = "number")]
    pub at: u64,
    /// The message this one replies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub reply: Option<ReplyRef>,
    /// People of the band named with `@nick` in the body.
    #[serde(default)]
    pub mentions: Vec<UserId>,
}

/// A private message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DirectMessage {
    /// Message id.
    pub id: MessageId,
    /// Sender.
    pub from: Author,
    /// Recipient.
    pub to: Author,
    /// Text, never HTML.
    pub body: String,
    /// Milliseconds since the Unix epoch.
    #[ts(type = "number")]
    pub at: u64,
}

/// Who may open a private conversation with me.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum DmAcceptance {
    /// Anyone of my band.
    Everyone,
    /// No one.
    Nobody,
}

/// Live member count of one room.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RoomCount {
    /// Room slug.
    pub room: String,
    /// Member count.
    pub members: u32,
}

/// Limits the client should respect; sent in `welcome`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Limits {
    /// Maximum characters in a message body.
    pub max_body_chars: u32,
    /// Maximum bytes in one client frame.
    pub max_frame_bytes: u32,
    /// Minimum age for entry.
    pub min_age: u32,
    /// Whether the teen band is open on this instance.
    pub teen_band: bool,
}
