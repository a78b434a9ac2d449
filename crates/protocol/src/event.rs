//! Events: everything the server sends to a client.
//!
//! Replies to a request carry its `req`; events that happen to the client
//! (a message in a room, someone typing) carry none.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{
    Author, Band, Departure, DirectMessage, ErrorCode, Limits, MessageId, RoomCount, RoomMember,
    RoomMessage, RoomRole, RoomSummary, SanctionId, SanctionNotice, UserId, UserSummary,
};

/// Every event the server may send.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
#[ts(export)]
pub enum Event {
    /// First frame on every connection.
    Welcome {
        /// Protocol version the server speaks.
        protocol: u32,
        /// Server name and version.
        server: String,
        /// Limits to respect.
        limits: Limits,
    },
    /// Entry accepted.
    Entered {
        /// Request number.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        req: Option<u32>,
        /// My own profile as others see it.
        you: UserSummary,
        /// My band.
        band: Band,
        /// The room directory of my band.
        rooms: Vec<RoomSummary>,
    },
    /// Answer to `authenticate`: the password is right; `enter` with this
    /// nickname enters as the member.
    Authenticated {
        /// Request number.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        req: Option<u32>,
        /// The member's nickname, as registered.
        account: String,
    },
    /// Answer to `register`: I am a member now. The recovery codes are shown
    /// this once and never again (the server keeps only their hashes).
    Registered {
        /// Request number.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        req: Option<u32>,
        /// My profile, now with `member: true`.
        you: UserSummary,
        /// Single-use codes that replace the password to log in once.
        recovery_codes: Vec<String>,
    },
    /// Someone who shares a room with me (or whom I watch, with
    /// `watch_presence`) became a member or stopped being one.
    AccountChanged {
        /// Who, with their new standing.
        user: Author,
        /// Member now (true) or guest now (false).
        member: bool,
    },
    /// The room directory.
    RoomList {
        /// Request number.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        req: Option<u32>,
        /// Rooms of my band.
        rooms: Vec<RoomSummary>,
    },
    /// Member counts that changed since the last such event (needs
    /// `watch_directory`).
    RoomCounts {
        /// Changed counts.
        counts: Vec<RoomCount>,
    },
    /// A room appeared in my band's directory.
    RoomAdded {
        /// The room.
        room: RoomSummary,
    },
    /// A room of my band changed its topic or flags.
    RoomUpdated {
        /// The room.
        room: RoomSummary,
    },
    /// A room left my band's directory.
    RoomRemoved {
        /// Room slug.
        room: String,
    },
    /// I joined a room (also sent after `create_room`).
    Joined {
        /// Request number.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        req: Option<u32>,
        /// The room.
        room: RoomSummary,
        /// Everyone in it, me included.
        members: Vec<RoomMember>,
        /// The last messages, oldest first.
        history: Vec<RoomMessage>,
        /// My standing.
        role: RoomRole,
    },
    /// I left a room.
    Left {
        /// Request number.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        req: Option<u32>,
        /// Room slug.
        room: String,
    },
    /// Someone joined a room I am in.
    MemberJoined {
        /// Room slug.
        room: String,
        /// Who, and their standing.
        member: RoomMember,
    },
    /// Someone left a room I am in (`leave`, or put out by a `kick`).
    MemberLeft {
        /// Room slug.
        room: String,
        /// Who.
        user: UserId,
        /// Their nickname (so that a client needs no member list to say who).
        nick: String,
    },
    /// Someone who shared rooms with me left the site (closed the chat,
    /// lost their connection, or was put out): they are gone from every
    /// room we shared. Sent once, instead of `member_left` in each room.
    MemberQuit {
        /// Who.
        user: UserId,
        /// Their nickname.
        nick: String,
    },
    /// Someone's standing changed in a room I am in.
    MemberRole {
        /// Room slug.
        room: String,
        /// Who.
        user: UserId,
        /// Their nickname.
        nick: String,
        /// Standing before the change.
        previous: RoomRole,
        /// New standing.
        role: RoomRole,
    },
    /// A message in a room I am in.
    Message(RoomMessage),
    /// My message or DM was accepted, with its id.
    Sent {
        /// Request number.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        req: Option<u32>,
        /// Id of the message.
        id: MessageId,
    },
    /// I was named in a room I am not in.
    Mention {
        /// The message naming me.
        message: RoomMessage,
    },
    /// A page of the user list.
    UserList {
        /// Request number.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        req: Option<u32>,
        /// People on this page.
        users: Vec<UserSummary>,
        /// People matching the filters, over all pages.
        total: u32,
        /// This page number.
        page: u32,
        /// Page size used.
        page_size: u32,
    },
    /// Answer to `whois`.
    UserInfo {
        /// Request number.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        req: Option<u32>,
        /// Who.
        user: UserSummary,
        /// The rooms they are in.
        rooms: Vec<String>,
    },
    /// Someone was put out of a room I am in (maybe me).
    Kicked {
        /// Room slug.
        room: String,
        /// Who was put out.
        user: Author,
        /// By whom.
        by: Author,
        /// Why.
        reason: String,
    },
    /// Someone was invited into a room: sent to the invitee and the room.
    Invited {
        /// Room slug.
        room: String,
        /// Who is invited.
        user: Author,
        /// By whom.
        by: Author,
    },
    /// Someone who shares a room with me went away or came back.
    Away {
        /// Who.
        user: Author,
        /// Away message; absent: back.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        message: Option<String>,
    },
    /// Answer to `room_members`.
    RoomMembers {
        /// Request number.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        req: Option<u32>,
        /// Room slug.
        room: String,
        /// Every member, with their standing.
        members: Vec<RoomMember>,
    },
    /// Answer to `room_masks`.
    RoomMasks {
        /// Request number.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        req: Option<u32>,
        /// Room slug.
        room: String,
        /// Ban masks.
        bans: Vec<String>,
        /// Invite-exception masks.
        invite_exceptions: Vec<String>,
    },
    /// Answer to `whowas`, most recent first.
    WhowasList {
        /// Request number.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        req: Option<u32>,
        /// The nickname asked about.
        nick: String,
        /// Who left with it.
        entries: Vec<Departure>,
    },
    /// Answer to `history`, oldest first.
    History {
        /// Request number.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        req: Option<u32>,
        /// Room slug.
        room: String,
        /// The messages.
        messages: Vec<RoomMessage>,
    },
    /// Someone of my band arrived (needs `watch_presence`).
    UserOnline {
        /// Who.
        user: UserSummary,
    },
    /// Someone of my band left (needs `watch_presence`).
    UserOffline {
        /// Who.
        user: UserId,
    },
    /// A private message to or from me.
    Dm(DirectMessage),
    /// Someone is typing in a room I am in.
    RoomTyping {
        /// Room slug.
        room: String,
        /// Who.
        user: Author,
    },
    /// Someone is typing a private message to me.
    DmTyping {
        /// Who.
        user: Author,
    },
    /// The other person read our conversation up to a message.
    DmSeen {
        /// Who read.
        by: UserId,
        /// Last message read.
        up_to: MessageId,
    },
    /// A request succeeded and has nothing else to say.
    Ok {
        /// Request number.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        req: Option<u32>,
    },
    /// Answer to `ping`.
    Pong {
        /// Request number.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        req: Option<u32>,
    },
    /// A request was refused, or a frame could not be understood.
    Error(ErrorEvent),
    /// A site-wide sanction on me: the statement of reasons. A kick or a
    /// ban is followed by `closing`.
    Sanctioned(SanctionNotice),
    /// Answer to `sanction`: recorded and applied.
    SanctionRecorded {
        /// Request number.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        req: Option<u32>,
        /// The sanction's id (for `lift_sanction`).
        id: SanctionId,
        /// Whether the person was online and told at once.
        online: bool,
    },
    /// A message from a member of staff to all staff (`wallops`).
    Wallops {
        /// Who.
        from: Author,
        /// Text.
        text: String,
    },
    /// The server is about to close this connection.
    Closing {
        /// Why.
        reason: ErrorCode,
        /// French explanation.
        message_fr: String,
        /// English explanation.
        message_en: String,
    },
}

/// A refusal, with a stable code and text in both languages.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ErrorEvent {
    /// Request number, when the frame carried one that could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub req: Option<u32>,
    /// Stable code.
    pub code: ErrorCode,
    /// French explanation.
    pub message_fr: String,
    /// English explanation.
    pub message_en: String,
    /// The field, value or parse position concerned, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub detail: Option<String>,
    /// When to try again, for rate and slow-mode refusals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[ts(type = "number")]
    pub retry_after_ms: Option<u64>,
}

impl ErrorEvent {
    /// An error with the code's standard texts.
    pub fn new(req: Option<u32>, code: ErrorCode) -> ErrorEvent {
        ErrorEvent {
            req,
            code,
            message_fr: code.message_fr().to_owned(),
            message_en: code.message_en().to_owned(),
            detail: None,
            retry_after_ms: None,
        }
    }

    /// Adds the field, value or position concerned.
    pub fn with_detail(mut self, detail: impl Into<String>) -> ErrorEvent {
        self.detail = Some(detail.into());
        self
    }

    /// Adds when to try again.
    pub fn with_retry_after_ms(mut self, retry_after_ms: u64) -> ErrorEvent {
        self.retry_after_ms = Some(retry_after_ms);
        self
    }
}

impl Event {
    /// The request number this event answers, if it is a reply. The match
    /// names every variant, so a new reply cannot be forgotten here.
    pub fn req(&self) -> Option<u32> {
        match self {
            Event::Entered { req, .. }
            | Event::Authenticated { req, .. }
            | Event::Registered { req, .. }
            | Event::RoomList { req, .. }
            | Event::Joined { req, .. }
            | Event::Left { req, .. }
            | Event::Sent { req, .. }
            | Event::UserList { req, .. }
            | Event::UserInfo { req, .. }
            | Event::RoomMembers { req, .. }
            | Event::RoomMasks { req, .. }
            | Event::WhowasList { req, .. }
            | Event::History { req, .. }
            | Event::SanctionRecorded { req, .. }
            | Event::Ok { req }
            | Event::Pong { req } => *req,
            Event::Error(error) => error.req,
            Event::Welcome { .. }
            | Event::RoomCounts { .. }
            | Event::RoomAdded { .. }
            | Event::RoomUpdated { .. }
            | Event::RoomRemoved { .. }
            | Event::MemberJoined { .. }
            | Event::MemberLeft { .. }
            | Event::MemberQuit { .. }
            | Event::MemberRole { .. }
            | Event::Message(_)
            | Event::Mention { .. }
            | Event::Kicked { .. }
            | Event::Invited { .. }
            | Event::Away { .. }
            | Event::AccountChanged { .. }
            | Event::UserOnline { .. }
            | Event::UserOffline { .. }
            | Event::Dm(_)
            | Event::RoomTyping { .. }
            | Event::DmTyping { .. }
            | Event::DmSeen { .. }
            | Event::Sanctioned(_)
            | Event::Wallops { .. }
            | Event::Closing { .. } => None,
        }
    }

    /// A `closing` event with the code's standard texts.
    pub fn closing(reason: ErrorCode) -> Event {
        Event::Closing {
            reason,
            message_fr: reason.message_fr().to_owned(),
            message_en: reason.message_en().to_owned(),
        }
    }
}
