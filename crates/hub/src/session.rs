//! Sessions: each connection the hub knows, and the person behind it once
//! they entered. Only what every session needs lives here; what a feature
//! keeps about someone lives in that feature's own table, keyed by the
//! session's id (conversations, mutes, logins in progress, created rooms),
//! so a feature never grows every connection's memory.

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use tchatche_protocol::{
    Author, Band, Department, DmAcceptance, ErrorCode, ErrorEvent, Gender, StaffRole, UserId,
    UserSummary,
};

use crate::handle::{ConnectionInfo, Request};
use crate::outbox::OutboxSender;
use crate::state::refuse;

/// A connected client, entered or not.
pub(crate) struct Session {
    pub outbox: OutboxSender,
    /// Where the connection comes from (for sanctions by address, and the
    /// failed-login throttle; never logged).
    pub info: ConnectionInfo,
    pub person: Option<Person>,
    /// The session waits (for a credential job, or for room in the history
    /// writer): its requests wait in `parked`.
    pub busy: bool,
    /// Requests that arrived while `busy`, handled in order once it is not.
    pub parked: VecDeque<Request>,
    /// When a command last came from this connection, in seconds since the
    /// hub started (see `Hub::sweep_sessions`).
    pub last_heard: u32,
    /// `enter` asked for no room directory in `entered`.
    pub no_directory: bool,
}

impl Session {
    /// A session that has not entered yet.
    pub fn new(outbox: OutboxSender, info: ConnectionInfo, last_heard: u32) -> Session {
        Session {
            outbox,
            info,
            person: None,
            busy: false,
            parked: VecDeque::new(),
            last_heard,
            no_directory: false,
        }
    }
}

/// What entry needs to know of a person, guest or member.
pub(crate) struct Admission {
    pub nick: String,
    pub nick_key: String,
    pub age: u32,
    pub gender: Gender,
    pub department: Department,
    /// The account id of a member.
    pub account: Option<u64>,
}

/// An entered person.
pub(crate) struct Person {
    pub nick: String,
    pub nick_key: String,
    pub age: u32,
    pub gender: Gender,
    pub department: Department,
    pub band: Band,
    /// The rooms they are in, in the order they joined.
    pub rooms: Vec<String>,
    pub accepts: DmAcceptance,
    pub last_active: Instant,
    /// Away message, if away.
    pub away: Option<String>,
    /// The member account, for a member.
    pub account: Option<u64>,
    /// Site staff role (adult members listed in the configuration).
    pub staff: Option<StaffRole>,
}

impl Person {
    pub fn summary(&self, id: UserId, now: Instant) -> UserSummary {
        UserSummary {
            id,
            nick: self.nick.clone(),
            age: self.age,
            gender: self.gender,
            department: self.department,
            member: self.account.is_some(),
            idle_secs: u32::try_from(now.saturating_duration_since(self.last_active).as_secs())
                .unwrap_or(u32::MAX),
            away: self.away.clone(),
            staff: self.staff,
        }
    }

    pub fn author(&self, id: UserId) -> Author {
        Author {
            id,
            nick: self.nick.clone(),
            member: self.account.is_some(),
        }
    }
}

/// Every session, and the folded nicknames of those entered.
#[derive(Default)]
pub(crate) struct Sessions {
    /// Boxed: a map sized for tens of thousands of sessions keeps empty
    /// slots, each as large as its value; a pointer wastes little there.
    pub by_id: HashMap<UserId, Box<Session>>,
    /// Folded nickname to session, for server-wide uniqueness and mentions.
    pub nicknames: HashMap<String, UserId>,
}

impl Sessions {
    /// The session behind `id`.
    pub fn get(&self, id: &UserId) -> Option<&Session> {
        self.by_id.get(id).map(Box::as_ref)
    }

    /// The session behind `id`, to change.
    pub fn get_mut(&mut self, id: &UserId) -> Option<&mut Session> {
        self.by_id.get_mut(id).map(Box::as_mut)
    }

    /// The entered person behind a session, or `not_entered`.
    pub fn person(&self, id: UserId, req: Option<u32>) -> Result<&Person, ErrorEvent> {
        self.by_id
            .get(&id)
            .and_then(|session| session.person.as_ref())
            .ok_or_else(|| refuse(req, ErrorCode::NotEntered))
    }

    /// The entered person behind a session, to change, or `not_entered`.
    pub fn person_mut(&mut self, id: UserId, req: Option<u32>) -> Result<&mut Person, ErrorEvent> {
        self.by_id
            .get_mut(&id)
            .and_then(|session| session.person.as_mut())
            .ok_or_else(|| refuse(req, ErrorCode::NotEntered))
    }

    /// The person online with this folded nickname.
    pub fn by_nick_key(&self, nick_key: &str) -> Option<(UserId, &Person)> {
        let id = *self.nicknames.get(nick_key)?;
        Some((id, self.get(&id)?.person.as_ref()?))
    }
}
