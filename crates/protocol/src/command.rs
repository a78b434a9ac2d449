//! Commands: what a client asks of the server.
//!
//! On the wire each command is one JSON object whose `type` names it, with an
//! optional `req` number that the server copies into the reply (or the error)
//! so the client can match them.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{DmAcceptance, Gender, MessageId, SanctionId, SanctionKind, UserId};

/// A command with its optional request number.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Request {
    /// Copied into the reply so the client can match them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub req: Option<u32>,
    /// The command itself.
    #[serde(flatten)]
    pub command: Command,
}

/// Every command a client may send, by family: each family is handled by
/// one part of the server, so adding a command touches its family only. On
/// the wire a command is still one object whose `type` names it (the
/// families do not show): `{"type": "join", "room": "paris"}`.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
#[serde(untagged)]
#[ts(export)]
pub enum Command {
    /// Entry and member accounts: entering, logging in, registering, the password, deleting the account.
    Account(AccountCommand),
    /// Rooms: the directory, joining, leaving, creating, speaking, history, typing, member lists.
    Room(RoomCommand),
    /// What a room's operators do: topic and flags, voice and operator, kicks, masks, invitations.
    RoomAdmin(RoomAdminCommand),
    /// People of my band: the user list, presence, `whois`, `whowas`, away.
    People(PeopleCommand),
    /// Private conversations: messages, typing, "seen", who may write to me.
    Private(PrivateCommand),
    /// Site staff: sanctions and messages between staff.
    Staff(StaffCommand),
    /// The connection itself.
    Link(LinkCommand),
}

/// Entry and member accounts: entering, logging in, registering, the password, deleting the account.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
#[ts(export)]
pub enum AccountCommand {
    /// Enter as a guest, or as a member with a password or a recovery code.
    /// Must come first (after `authenticate`, if used); everything else
    /// needs a session.
    Enter(Enter),
    /// Check a member's password before entering (what IRC's SASL does):
    /// a later `enter` with that nickname needs no password.
    Authenticate {
        /// The member's nickname.
        account: String,
        /// Their password.
        password: String,
    },
    /// Reserve my current nickname as a member account with a password.
    Register {
        /// The password (Argon2id-hashed by the server, never stored).
        password: String,
        /// An e-mail address, kept for later use (no mail is sent today).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        email: Option<String>,
    },
    /// Change my member password.
    ChangePassword {
        /// The current password; may be left out right after entering with
        /// a recovery code.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        current: Option<String>,
        /// The new password.
        new_password: String,
    },
    /// Delete my member account and its recovery codes for good; I stay
    /// connected as a guest.
    DeleteAccount {
        /// My password, as confirmation.
        password: String,
    },
}

impl AccountCommand {
    /// The `type` of each command of this family.
    pub const TYPES: &'static [&'static str] = &[
        "enter",
        "authenticate",
        "register",
        "change_password",
        "delete_account",
    ];
}

impl From<AccountCommand> for Command {
    fn from(command: AccountCommand) -> Command {
        Command::Account(command)
    }
}

/// Rooms: the directory, joining, leaving, creating, speaking, history, typing, member lists.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
#[ts(export)]
pub enum RoomCommand {
    /// Ask for the room directory of my band.
    ListRooms {},
    /// Receive (or stop receiving) `room_counts` for my band's directory.
    WatchDirectory {
        /// On or off.
        on: bool,
    },
    /// Join a room of my band.
    Join {
        /// Room slug.
        room: String,
        /// The room's key, when it has one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        key: Option<String>,
        /// When no room of my band has this name: create it (as
        /// `create_room` would, with `room` as its name) and join it, in
        /// one step, so that people joining a new room at once all end up
        /// in it. Default false: `room_not_found`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        create: Option<bool>,
    },
    /// Leave a room.
    Leave {
        /// Room slug.
        room: String,
    },
    /// Say something in a room I am in.
    Say(Say),
    /// Create a room in my band; I become its operator and first member.
    CreateRoom {
        /// Display name; its slug is derived from it.
        name: String,
        /// Topic line.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        topic: Option<String>,
    },
    /// Earlier messages of a room I am in, from its recent scrollback.
    History {
        /// Room slug.
        room: String,
        /// Only messages older than this one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        before: Option<MessageId>,
        /// At most this many (default and maximum: the scrollback size).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        limit: Option<u32>,
    },
    /// I am typing in a room.
    RoomTyping {
        /// Room slug.
        room: String,
    },
    /// Every member of a room I am in, with their standing.
    RoomMembers {
        /// Room slug.
        room: String,
    },
}

impl RoomCommand {
    /// The `type` of each command of this family.
    pub const TYPES: &'static [&'static str] = &[
        "list_rooms",
        "watch_directory",
        "join",
        "leave",
        "say",
        "create_room",
        "history",
        "room_typing",
        "room_members",
    ];
}

impl From<RoomCommand> for Command {
    fn from(command: RoomCommand) -> Command {
        Command::Room(command)
    }
}

/// What a room's operators do: topic and flags, voice and operator, kicks, masks, invitations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
#[ts(export)]
pub enum RoomAdminCommand {
    /// Change a room's topic or flags (operators only).
    SetRoom(SetRoom),
    /// Give or take voice in a room (operators only).
    Voice {
        /// Room slug.
        room: String,
        /// Who.
        user: UserId,
        /// Give (true) or take (false).
        on: bool,
    },
    /// Make someone an operator of a room, or take it back (operators only).
    Op {
        /// Room slug.
        room: String,
        /// Who.
        user: UserId,
        /// Give (true) or take (false).
        on: bool,
    },
    /// Put someone out of a room (operators only).
    Kick {
        /// Room slug.
        room: String,
        /// Who.
        user: UserId,
        /// Why, shown to the room.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        reason: Option<String>,
    },
    /// Add or remove a ban mask (`nick` or `ni*`) on a room (operators only).
    Ban {
        /// Room slug.
        room: String,
        /// Nickname or nickname pattern with `*` and `?`.
        mask: String,
        /// Add (true) or remove (false).
        on: bool,
    },
    /// Add or remove an invite exception mask on a room (operators only):
    /// matching people may join an invite-only room without an invitation.
    InviteException {
        /// Room slug.
        room: String,
        /// Nickname or nickname pattern.
        mask: String,
        /// Add (true) or remove (false).
        on: bool,
    },
    /// The ban and invite-exception masks of a room I am in.
    RoomMasks {
        /// Room slug.
        room: String,
    },
    /// Invite someone into a room I am in (operators only when invite-only).
    Invite {
        /// Room slug.
        room: String,
        /// Who.
        user: UserId,
    },
}

impl RoomAdminCommand {
    /// The `type` of each command of this family.
    pub const TYPES: &'static [&'static str] = &[
        "set_room",
        "voice",
        "op",
        "kick",
        "ban",
        "invite_exception",
        "room_masks",
        "invite",
    ];
}

impl From<RoomAdminCommand> for Command {
    fn from(command: RoomAdminCommand) -> Command {
        Command::RoomAdmin(command)
    }
}

/// People of my band: the user list, presence, `whois`, `whowas`, away.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
#[ts(export)]
pub enum PeopleCommand {
    /// List the people of my band.
    Users(UserQuery),
    /// Receive (or stop receiving) presence events for my band.
    WatchPresence {
        /// On or off.
        on: bool,
    },
    /// Look someone of my band up by nickname (case and lookalikes folded).
    Whois {
        /// The nickname.
        nick: String,
    },
    /// Who recently left with this nickname.
    Whowas {
        /// The nickname.
        nick: String,
    },
    /// Say I am away (with a message) or back (without).
    SetAway {
        /// Away message; absent or empty: back.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        message: Option<String>,
    },
}

impl PeopleCommand {
    /// The `type` of each command of this family.
    pub const TYPES: &'static [&'static str] =
        &["users", "watch_presence", "whois", "whowas", "set_away"];
}

impl From<PeopleCommand> for Command {
    fn from(command: PeopleCommand) -> Command {
        Command::People(command)
    }
}

/// Private conversations: messages, typing, "seen", who may write to me.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
#[ts(export)]
pub enum PrivateCommand {
    /// Send a private message.
    Dm {
        /// Recipient.
        to: UserId,
        /// Text.
        body: String,
    },
    /// Send a private message to a nickname (IRC's `PRIVMSG nick`).
    DmNick {
        /// Recipient's nickname (case and confusables folded).
        nick: String,
        /// Text.
        body: String,
    },
    /// I am typing to someone.
    DmTyping {
        /// Recipient.
        to: UserId,
    },
    /// I have read a conversation up to a message.
    DmSeen {
        /// The other person.
        with: UserId,
        /// Last message read.
        up_to: MessageId,
    },
    /// Who may open a conversation with me.
    SetDmPrivacy {
        /// Everyone of my band, or nobody.
        accept: DmAcceptance,
    },
}

impl PrivateCommand {
    /// The `type` of each command of this family.
    pub const TYPES: &'static [&'static str] =
        &["dm", "dm_nick", "dm_typing", "dm_seen", "set_dm_privacy"];
}

impl From<PrivateCommand> for Command {
    fn from(command: PrivateCommand) -> Command {
        Command::Private(command)
    }
}

/// Site staff: sanctions and messages between staff.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
#[ts(export)]
pub enum StaffCommand {
    /// Sanction someone site-wide (staff only): answered with
    /// `sanction_recorded`; the person gets a `sanctioned` statement.
    Sanction(Sanction),
    /// End a mute or a ban before its time (staff only).
    LiftSanction {
        /// The sanction's id.
        id: SanctionId,
    },
    /// A message to every member of staff online (staff only; IRC's
    /// `WALLOPS`).
    Wallops {
        /// Text.
        text: String,
    },
}

impl StaffCommand {
    /// The `type` of each command of this family.
    pub const TYPES: &'static [&'static str] = &["sanction", "lift_sanction", "wallops"];
}

impl From<StaffCommand> for Command {
    fn from(command: StaffCommand) -> Command {
        Command::Staff(command)
    }
}

/// The connection itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
#[ts(export)]
pub enum LinkCommand {
    /// Keep-alive; answered with `pong`.
    Ping {},
}

impl LinkCommand {
    /// The `type` of each command of this family.
    pub const TYPES: &'static [&'static str] = &["ping"];
}

impl From<LinkCommand> for Command {
    fn from(command: LinkCommand) -> Command {
        Command::Link(command)
    }
}

impl Command {
    /// Every `type` value a command may have, family by family, for telling
    /// an unknown command from a malformed known one.
    pub const FAMILIES: &'static [&'static [&'static str]] = &[
        AccountCommand::TYPES,
        RoomCommand::TYPES,
        RoomAdminCommand::TYPES,
        PeopleCommand::TYPES,
        PrivateCommand::TYPES,
        StaffCommand::TYPES,
        LinkCommand::TYPES,
    ];

    /// Every `type` value a command may have.
    pub fn types() -> impl Iterator<Item = &'static str> {
        Command::FAMILIES
            .iter()
            .flat_map(|family| family.iter().copied())
    }

    /// Whether `kind` is the `type` of a command.
    pub fn is_type(kind: &str) -> bool {
        Command::types().any(|known| known == kind)
    }
}

/// Reads a command by its `type`: the family it belongs to reads the rest,
/// so errors name the field that is wrong, as for a flat enum.
impl<'de> Deserialize<'de> for Command {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Command, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        let kind = match value.get("type") {
            Some(serde_json::Value::String(kind)) => kind.clone(),
            Some(_) => return Err(serde::de::Error::custom("type: expected a string")),
            None => return Err(serde::de::Error::missing_field("type")),
        };
        let kind = kind.as_str();
        if AccountCommand::TYPES.contains(&kind) {
            return AccountCommand::deserialize(value)
                .map(Command::Account)
                .map_err(serde::de::Error::custom);
        }
        if RoomCommand::TYPES.contains(&kind) {
            return RoomCommand::deserialize(value)
                .map(Command::Room)
                .map_err(serde::de::Error::custom);
        }
        if RoomAdminCommand::TYPES.contains(&kind) {
            return RoomAdminCommand::deserialize(value)
                .map(Command::RoomAdmin)
                .map_err(serde::de::Error::custom);
        }
        if PeopleCommand::TYPES.contains(&kind) {
            return PeopleCommand::deserialize(value)
                .map(Command::People)
                .map_err(serde::de::Error::custom);
        }
        if PrivateCommand::TYPES.contains(&kind) {
            return PrivateCommand::deserialize(value)
                .map(Command::Private)
                .map_err(serde::de::Error::custom);
        }
        if StaffCommand::TYPES.contains(&kind) {
            return StaffCommand::deserialize(value)
                .map(Command::Staff)
                .map_err(serde::de::Error::custom);
        }
        if LinkCommand::TYPES.contains(&kind) {
            return LinkCommand::deserialize(value)
                .map(Command::Link)
                .map_err(serde::de::Error::custom);
        }
        Err(serde::de::Error::unknown_variant(kind, &[]))
    }
}

/// Entry: a guest gives a profile; a member gives a password (or a recovery
/// code) and the profile stored at registration is used instead.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Enter {
    /// Protocol version the client speaks; must equal [`crate::PROTOCOL_VERSION`].
    pub protocol: u32,
    /// Wanted nickname.
    pub nickname: String,
    /// Age in years (guests: required; members: ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub age: Option<u32>,
    /// Gender (guests: required; members: ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub gender: Option<Gender>,
    /// Département code (`75`, `2A`, `971`, `etranger`) (guests: required;
    /// members: ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub department: Option<String>,
    /// The member's password, when the nickname is a member's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub password: Option<String>,
    /// One of the member's recovery codes instead of the password; it is
    /// used up, and the session may then set a new password without the old.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub recovery_code: Option<String>,
    /// `Some(false)`: `entered` comes without the room directory (a client
    /// that lists rooms only when asked, like the IRC gateway). Left out or
    /// `true`: with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub directory: Option<bool>,
}

/// A room message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Say {
    /// Room slug.
    pub room: String,
    /// Text.
    pub body: String,
    /// The message this one answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub reply_to: Option<MessageId>,
}

/// A site-wide sanction, as staff asks for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Sanction {
    /// Who: a nickname, online or not (case and lookalikes folded). A
    /// warning or a kick needs the person online.
    pub nick: String,
    /// What.
    pub kind: SanctionKind,
    /// How long, for a mute (required) or a ban (absent: for good).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub duration_secs: Option<u32>,
    /// Why: the rule broken and the facts; shown to the person.
    pub reason: String,
    /// Also sanction the address the person is connected from (mute and
    /// ban of someone online).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub address: Option<bool>,
}

/// Topic and flag changes; absent fields stay as they are.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SetRoom {
    /// Room slug.
    pub room: String,
    /// New topic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub topic: Option<String>,
    /// Moderated on or off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub moderated: Option<bool>,
    /// Slow mode in seconds (0: off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub slow_mode_secs: Option<u32>,
    /// Capacity (0: no limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub capacity: Option<u32>,
    /// Invite-only on or off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub invite_only: Option<bool>,
    /// Key needed to join (empty: no key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub key: Option<String>,
}

/// Filters and page for the user list. Every filter is optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct UserQuery {
    /// Minimum age, inclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub age_min: Option<u32>,
    /// Maximum age, inclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub age_max: Option<u32>,
    /// Only this gender.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub gender: Option<Gender>,
    /// Only this département code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub department: Option<String>,
    /// Only members of this room.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub room: Option<String>,
    /// Nicknames containing this text (case and confusables folded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub search: Option<String>,
    /// Page number from 0 (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub page: Option<u32>,
    /// Page size (default 50, at most 200).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub page_size: Option<u32>,
}
