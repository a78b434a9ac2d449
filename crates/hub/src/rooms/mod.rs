//! Rooms: the rooms of each band and who is in them. A band's world
//! ([`BandState`]) holds its people and its rooms, so a handler finds a
//! room only through the sender's band and a room of the other band cannot
//! even be named. `membership` is joining, leaving and creating rooms;
//! `messages` is speaking in them, scrollback and typing; `admin` is what
//! room operators do (topic and flags, voice, kick, masks, invitations).

mod admin;
mod membership;
mod messages;

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Instant;

use tchatche_protocol::{RoomCommand, RoomFlags, RoomMessage, RoomRole, RoomSummary, UserId};

use crate::state::{Hub, Outcome};

use crate::outbox::OutboxSender;

pub(crate) use admin::MaskList;
pub(crate) use membership::Leaving;
pub(crate) use messages::{remember, scrollback_from_store};

/// A room member: their standing, and their queue so fan-out needs no lookup.
pub(crate) struct Member {
    pub role: RoomRole,
    pub outbox: OutboxSender,
}

pub(crate) struct Room {
    pub slug: String,
    pub key: String,
    pub name: String,
    pub category: String,
    pub topic: String,
    pub flags: RoomFlags,
    pub user_created: bool,
    pub creator: Option<UserId>,
    pub members: HashMap<UserId, Member>,
    pub scrollback: VecDeque<RoomMessage>,
    pub last_spoke: HashMap<UserId, Instant>,
    pub created_at: u64,
    pub topic_at: u64,
    /// Ban masks (nickname patterns).
    pub bans: Vec<String>,
    /// Masks that may join an invite-only room uninvited.
    pub invite_exceptions: Vec<String>,
    /// People invited and not yet joined.
    pub invited: HashSet<UserId>,
    /// The key needed to join, if any.
    pub join_key: Option<String>,
}

impl Room {
    /// A room; user-created when it has a creator.
    pub fn new(
        slug: &str,
        name: &str,
        category: &str,
        topic: &str,
        flags: RoomFlags,
        creator: Option<UserId>,
    ) -> Room {
        Room {
            slug: slug.to_owned(),
            key: tchatche_safety::names::room_key(slug),
            name: name.to_owned(),
            category: category.to_owned(),
            topic: topic.to_owned(),
            flags,
            user_created: creator.is_some(),
            creator,
            members: HashMap::new(),
            scrollback: VecDeque::new(),
            last_spoke: HashMap::new(),
            created_at: crate::ids::now_ms(),
            topic_at: 0,
            bans: Vec::new(),
            invite_exceptions: Vec::new(),
            invited: HashSet::new(),
            join_key: None,
        }
    }

    pub fn summary(&self) -> RoomSummary {
        let mut flags = self.flags.clone();
        flags.has_key = self.join_key.is_some();
        RoomSummary {
            slug: self.slug.clone(),
            name: self.name.clone(),
            category: self.category.clone(),
            topic: self.topic.clone(),
            members: u32::try_from(self.members.len()).unwrap_or(u32::MAX),
            flags,
            user_created: self.user_created,
            created_at: self.created_at,
            topic_at: self.topic_at,
        }
    }

    /// Every member's id and queue, for fan-out.
    pub fn member_queues(&self) -> impl Iterator<Item = (&UserId, &OutboxSender)> {
        self.members.iter().map(|(id, member)| (id, &member.outbox))
    }

    /// Whether the history of this room is stored (seeded rooms) or lives and
    /// dies with the room (user-created rooms).
    pub fn persistent(&self) -> bool {
        !self.user_created
    }
}

/// One band's world: its people and its rooms.
pub(crate) struct BandState {
    /// Everyone entered in this band, with their queue for band-wide events.
    pub people: HashMap<UserId, OutboxSender>,
    /// Those who asked for presence events.
    pub watchers: HashMap<UserId, OutboxSender>,
    /// Those who asked for live room counts (the directory is on their screen).
    pub directory_watchers: HashMap<UserId, OutboxSender>,
    pub rooms: HashMap<String, Room>,
    /// Folded room names, so lookalike names collide.
    pub room_keys: HashMap<String, String>,
    /// Slugs in directory order.
    pub directory: Vec<String>,
    /// Rooms whose member count changed since the last directory update.
    pub changed_counts: HashSet<String>,
    /// Who left recently, most recent last, for `whowas`.
    pub departures: VecDeque<tchatche_protocol::Departure>,
}

impl BandState {
    pub fn new() -> BandState {
        BandState {
            people: HashMap::new(),
            watchers: HashMap::new(),
            directory_watchers: HashMap::new(),
            rooms: HashMap::new(),
            room_keys: HashMap::new(),
            directory: Vec::new(),
            changed_counts: HashSet::new(),
            departures: VecDeque::new(),
        }
    }

    pub fn directory(&self) -> Vec<RoomSummary> {
        self.directory
            .iter()
            .filter_map(|slug| self.rooms.get(slug))
            .map(Room::summary)
            .collect()
    }
}

impl Hub {
    /// The commands of this family, each to its handler.
    pub(crate) fn room_command(
        &mut self,
        id: UserId,
        req: Option<u32>,
        command: RoomCommand,
    ) -> Outcome {
        match command {
            RoomCommand::ListRooms {} => self.list_rooms(id, req),
            RoomCommand::Join { room, key, create } => {
                self.join(id, req, &room, key.as_deref(), create == Some(true))
            }
            RoomCommand::Leave { room } => self.leave(id, req, &room),
            RoomCommand::Say(say) => self.say(id, req, say),
            RoomCommand::CreateRoom { name, topic } => self.create_room(id, req, &name, topic),
            RoomCommand::WatchDirectory { on } => self.watch_directory(id, req, on),
            RoomCommand::RoomTyping { room } => self.room_typing(id, req, &room),
            RoomCommand::RoomMembers { room } => self.room_members(id, req, &room),
            RoomCommand::History {
                room,
                before,
                limit,
            } => self.history(id, req, &room, before, limit),
        }
    }
}
