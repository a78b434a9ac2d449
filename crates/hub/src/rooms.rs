//! Rooms: join, leave, speak, create, change, voice, typing, and scrollback.

use std::collections::VecDeque;

use tchatche_bus::Subject;
use tchatche_protocol::{
    Band, ErrorCode, Event, MessageId, ReplyRef, RoomFlags, RoomMember, RoomMessage, RoomRole, Say,
    SetRoom, UserId,
};
use tchatche_safety::names::mask_matches;
use tchatche_safety::{RoomMessageFacts, Verdict, assess_room_message, may_see};
use tchatche_store::StoredMessage;
use tokio::time::Instant;

use crate::ids::now_ms;
use crate::outbox::Outgoing;
use crate::state::{Hub, Member, Outcome, Room, fan_out, refuse, refuse_verdict};

/// Longest topic, in characters.
const MAX_TOPIC_CHARS: usize = 200;
/// Longest room key.
const MAX_KEY_CHARS: usize = 50;
/// Longest kick reason, in characters (longer ones are cut).
const MAX_REASON_CHARS: usize = 200;
/// Most ban or exception masks per room.
const MAX_MASKS: usize = 100;

/// Which mask list of a room.
#[derive(Clone, Copy, Debug)]
pub(crate) enum MaskList {
    Bans,
    InviteExceptions,
}

/// Characters of a replied-to message quoted in a reply.
const REPLY_EXCERPT_CHARS: usize = 80;

/// Turns stored messages (oldest first) into scrollback, re-quoting replies
/// whose original is among them.
pub(crate) fn scrollback_from_store(
    room: &str,
    stored: Vec<StoredMessage>,
) -> VecDeque<RoomMessage> {
    let mut scrollback: VecDeque<RoomMessage> = VecDeque::with_capacity(stored.len());
    for message in stored {
        let reply = message.reply_to.and_then(|reply_id| {
            scrollback
                .iter()
                .find(|earlier| earlier.id.0 == reply_id)
                .map(reply_ref)
        });
        scrollback.push_back(RoomMessage {
            room: room.to_owned(),
            id: MessageId(message.id),
            author: tchatche_protocol::Author {
                id: UserId(message.author_id),
                nick: message.author_nick,
                // Stored history does not keep whether the author was a member.
                member: false,
            },
            body: message.body,
            at: message.at_ms,
            reply,
            mentions: message.mentions.into_iter().map(UserId).collect(),
        });
    }
    scrollback
}

fn reply_ref(message: &RoomMessage) -> ReplyRef {
    ReplyRef {
        id: message.id,
        nick: message.author.nick.clone(),
        excerpt: message.body.chars().take(REPLY_EXCERPT_CHARS).collect(),
    }
}

/// Adds a message to a room's scrollback, forgetting the oldest beyond `keep`.
pub(crate) fn remember(room: &mut Room, message: RoomMessage, keep: usize) {
    if keep == 0 {
        return;
    }
    while room.scrollback.len() >= keep {
        room.scrollback.pop_front();
    }
    room.scrollback.push_back(message);
}

/// How someone leaves a room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Leaving {
    /// This room only (`leave`, `kick`): the room is told with `member_left`.
    Room,
    /// The site: the session's end told everyone once with `member_quit`.
    Site,
}

impl Hub {
    /// `join`; with `create`, a room that does not exist is created first,
    /// in the same step (see [`Hub::create_room`]).
    pub(crate) fn join(
        &mut self,
        id: UserId,
        req: Option<u32>,
        slug: &str,
        key: Option<&str>,
        create: bool,
    ) -> Outcome {
        let now = Instant::now().into_std();
        let max_rooms = self.settings.max_rooms_per_user;
        let person = self.person(id, req)?;
        let band = person.band;
        if create && !self.band(band).rooms.contains_key(slug) {
            // The name may fold to the slug of a room that exists (case,
            // accents, lookalikes): that room is the one meant.
            let folded = tchatche_safety::names::room_slug(slug).map_err(|refusal| {
                refuse(req, ErrorCode::RoomNameInvalid).with_detail(refusal.to_string())
            })?;
            if self.band(band).rooms.contains_key(&folded) {
                return self.join(id, req, &folded, key, false);
            }
            return self.create_room(id, req, slug, None);
        }
        if person.rooms.iter().any(|joined| joined == slug) {
            return Err(refuse(req, ErrorCode::AlreadyInRoom));
        }
        if person.rooms.len() >= max_rooms {
            return Err(refuse(req, ErrorCode::TooManyRooms));
        }
        let summary = person.summary(id, now);
        let outbox = self.sessions.get(&id).map(|session| session.outbox.clone());
        let Some(outbox) = outbox else {
            return Ok(());
        };
        let room = self
            .band(band)
            .rooms
            .get(slug)
            .ok_or_else(|| refuse(req, ErrorCode::RoomNotFound))?;
        if room.flags.registered_only && person.account.is_none() {
            return Err(refuse(req, ErrorCode::RoomRegisteredOnly));
        }
        let nick = &summary.nick;
        let is_creator = room.creator == Some(id);
        if !is_creator && room.bans.iter().any(|mask| mask_matches(mask, nick)) {
            return Err(refuse(req, ErrorCode::BannedFromRoom));
        }
        let invited = room.invited.contains(&id);
        if room.flags.invite_only
            && !is_creator
            && !invited
            && !room
                .invite_exceptions
                .iter()
                .any(|mask| mask_matches(mask, nick))
        {
            return Err(refuse(req, ErrorCode::InviteOnly));
        }
        if room
            .join_key
            .as_deref()
            .is_some_and(|expected| Some(expected) != key)
            && !invited
            && !is_creator
        {
            return Err(refuse(req, ErrorCode::BadRoomKey));
        }
        if room
            .flags
            .capacity
            .is_some_and(|capacity| room.members.len() >= capacity as usize)
        {
            return Err(refuse(req, ErrorCode::RoomFull));
        }
        let role = if is_creator {
            RoomRole::Operator
        } else {
            RoomRole::Member
        };
        if let Some(room) = self.band_mut(band).rooms.get_mut(slug) {
            room.invited.remove(&id);
        }
        self.add_member(band, slug, id, role, summary, outbox, req);
        Ok(())
    }

    /// Puts a person in a room: `joined` to them, `member_joined` to the others.
    #[allow(clippy::too_many_arguments)]
    fn add_member(
        &mut self,
        band: Band,
        slug: &str,
        id: UserId,
        role: RoomRole,
        summary: tchatche_protocol::UserSummary,
        outbox: crate::outbox::OutboxSender,
        req: Option<u32>,
    ) {
        let now = Instant::now().into_std();
        let first_local_member;
        let joined = {
            let Some(room) = self.band(band).rooms.get(slug) else {
                return;
            };
            first_local_member = room.members.is_empty();
            let members: Vec<RoomMember> = self
                .member_list(room, now)
                .chain(std::iter::once(RoomMember {
                    user: summary.clone(),
                    role,
                }))
                .collect();
            let mut room_summary = room.summary();
            room_summary.members += 1;
            Event::Joined {
                req,
                room: room_summary,
                members,
                history: room.scrollback.iter().cloned().collect(),
                role,
            }
        };
        let frame = Outgoing::new(Event::MemberJoined {
            room: slug.to_owned(),
            member: RoomMember {
                user: summary,
                role,
            },
        });
        let (state, to_close) = self.band_split(band);
        if let Some(room) = state.rooms.get_mut(slug) {
            fan_out(room.member_queues(), &frame, to_close);
            room.members.insert(id, Member { role, outbox });
            state.changed_counts.insert(slug.to_owned());
        }
        if first_local_member {
            self.bus.subscribe(Subject::Room {
                band,
                slug: slug.to_owned(),
            });
        }
        if let Ok(person) = self.person_mut(id, req) {
            person.rooms.push(slug.to_owned());
        }
        self.send(id, joined);
    }

    pub(crate) fn leave(&mut self, id: UserId, req: Option<u32>, slug: &str) -> Outcome {
        let person = self.person_mut(id, req)?;
        let band = person.band;
        let Some(position) = person.rooms.iter().position(|joined| joined == slug) else {
            return Err(refuse(req, ErrorCode::NotInRoom));
        };
        person.rooms.swap_remove(position);
        self.send(
            id,
            Event::Left {
                req,
                room: slug.to_owned(),
            },
        );
        let nick = self.person(id, req)?.nick.clone();
        self.remove_member(band, slug, id, &nick, Leaving::Room);
        Ok(())
    }

    /// Takes a person out of a room's member list (their own room list is the
    /// caller's business), telling the others with `member_left` unless they
    /// quit (the caller told them with `member_quit`); an emptied user room
    /// goes away.
    pub(crate) fn remove_member(
        &mut self,
        band: Band,
        slug: &str,
        id: UserId,
        nick: &str,
        leaving: Leaving,
    ) {
        let (state, to_close) = self.band_split(band);
        let Some(room) = state.rooms.get_mut(slug) else {
            return;
        };
        if room.members.remove(&id).is_none() {
            return;
        }
        room.last_spoke.remove(&id);
        if leaving == Leaving::Room {
            let frame = Outgoing::new(Event::MemberLeft {
                room: slug.to_owned(),
                user: id,
                nick: nick.to_owned(),
            });
            fan_out(room.member_queues(), &frame, to_close);
        }
        let emptied = room.members.is_empty();
        let user_created = room.user_created;
        let creator = room.creator;
        if !emptied {
            state.changed_counts.insert(slug.to_owned());
            return;
        }
        if user_created {
            if let Some(room) = state.rooms.remove(slug) {
                state.room_keys.remove(&room.key);
            }
            state.directory.retain(|listed| listed != slug);
            state.changed_counts.remove(slug);
            let frame = Outgoing::new(Event::RoomRemoved {
                room: slug.to_owned(),
            });
            fan_out(state.people.iter(), &frame, to_close);
            if let Some(person) = creator
                .and_then(|creator| self.sessions.get_mut(&creator))
                .and_then(|session| session.person.as_mut())
            {
                person.created_rooms = person.created_rooms.saturating_sub(1);
            }
        } else {
            state.changed_counts.insert(slug.to_owned());
        }
        self.bus.unsubscribe(&Subject::Room {
            band,
            slug: slug.to_owned(),
        });
    }

    pub(crate) fn say(&mut self, id: UserId, req: Option<u32>, say: Say) -> Outcome {
        let now = Instant::now().into_std();
        let max_body_chars = self.settings.max_body_chars;
        let scrollback = self.settings.scrollback;
        let person = self.person(id, req)?;
        let band = person.band;
        let author = person.author(id);
        let room = self
            .band(band)
            .rooms
            .get(&say.room)
            .ok_or_else(|| refuse(req, ErrorCode::RoomNotFound))?;
        let Some(member) = room.members.get(&id) else {
            return Err(refuse(req, ErrorCode::NotInRoom));
        };
        let verdict = assess_room_message(&RoomMessageFacts {
            body: &say.body,
            max_body_chars,
            sender_muted: person.muted(),
            room_moderated: room.flags.moderated,
            sender_may_speak_when_moderated: member.role != RoomRole::Member,
            slow_mode: std::time::Duration::from_secs(u64::from(room.flags.slow_mode_secs)),
            sender_last_spoke: room.last_spoke.get(&id).copied(),
            now,
        });
        let body = match verdict {
            Verdict::Deliver | Verdict::Flag => say.body,
            Verdict::Mask(masked) => masked,
            Verdict::Hold => return Err(refuse(req, ErrorCode::MessageHeld)),
            Verdict::Refuse { code, retry_after } => {
                return Err(refuse_verdict(req, code, retry_after));
            }
        };
        let reply = match say.reply_to {
            None => None,
            Some(reply_to) => Some(
                room.scrollback
                    .iter()
                    .find(|earlier| earlier.id == reply_to)
                    .map(reply_ref)
                    .ok_or_else(|| refuse(req, ErrorCode::ReplyNotFound))?,
            ),
        };
        let mentions = self.mentions(band, &body);
        let at = now_ms();
        let message = RoomMessage {
            room: say.room.clone(),
            id: MessageId(self.ids.next(at)),
            author,
            body,
            at,
            reply,
            mentions,
        };
        let frame = Outgoing::new(Event::Message(message.clone()));
        let persistent;
        let mention_frame;
        {
            let (state, to_close) = self.band_split(band);
            let Some(room) = state.rooms.get_mut(&say.room) else {
                return Ok(());
            };
            fan_out(room.member_queues(), &frame, to_close);
            room.last_spoke.insert(id, now);
            persistent = room.persistent();
            // Named people elsewhere in the band get a `mention`; those in the room
            // already have the message.
            let elsewhere: Vec<UserId> = message
                .mentions
                .iter()
                .copied()
                .filter(|mentioned| !room.members.contains_key(mentioned))
                .collect();
            mention_frame = (!elsewhere.is_empty()).then(|| {
                (
                    elsewhere,
                    Outgoing::new(Event::Mention {
                        message: message.clone(),
                    }),
                )
            });
            remember(room, message.clone(), scrollback);
            if let Some((elsewhere, mention)) = &mention_frame {
                for mentioned in elsewhere {
                    if let Some(outbox) = state.people.get(mentioned) {
                        crate::state::deliver(*mentioned, outbox, mention, to_close);
                    }
                }
            }
        }
        if let Ok(person) = self.person_mut(id, req) {
            person.last_active = now;
        }
        // The room has the message (its author too) before the author
        // hears `sent`, which for a stored room waits until it is stored.
        if persistent {
            self.store_message(band, &message, req);
        } else {
            self.send(
                id,
                Event::Sent {
                    req,
                    id: message.id,
                },
            );
        }
        self.publish_room(band, &message);
        Ok(())
    }

    /// The people of `band` named with `@nick` in `body`.
    fn mentions(&self, band: Band, body: &str) -> Vec<UserId> {
        let mut found = Vec::new();
        for nick in tchatche_safety::names::mentioned_nicks(body) {
            let key = tchatche_safety::nickname::nickname_key(nick);
            let Some(&mentioned) = self.nicknames.get(&key) else {
                continue;
            };
            // Same band only: a mention is a way to reach someone.
            if self.band(band).people.contains_key(&mentioned) && !found.contains(&mentioned) {
                found.push(mentioned);
            }
        }
        found
    }

    pub(crate) fn create_room(
        &mut self,
        id: UserId,
        req: Option<u32>,
        name: &str,
        topic: Option<String>,
    ) -> Outcome {
        self.may_express(id, req)?;
        let max_rooms = self.settings.max_rooms_per_user;
        let max_created = self.settings.max_created_rooms_per_user;
        let now = Instant::now().into_std();
        let person = self.person(id, req)?;
        let band = person.band;
        let summary = person.summary(id, now);
        if person.created_rooms >= max_created || person.rooms.len() >= max_rooms {
            return Err(refuse(req, ErrorCode::TooManyRooms));
        }
        let slug = tchatche_safety::names::room_slug(name).map_err(|refusal| {
            refuse(req, ErrorCode::RoomNameInvalid).with_detail(refusal.to_string())
        })?;
        let topic = topic.unwrap_or_default();
        if topic.chars().count() > MAX_TOPIC_CHARS {
            return Err(refuse(req, ErrorCode::TopicTooLong));
        }
        let key = tchatche_safety::names::room_key(&slug);
        let state = self.band(band);
        if state.rooms.contains_key(&slug) || state.room_keys.contains_key(&key) {
            return Err(refuse(req, ErrorCode::RoomNameTaken));
        }
        let Some(outbox) = self.sessions.get(&id).map(|session| session.outbox.clone()) else {
            return Ok(());
        };
        let mut room = Room::new(
            &slug,
            name.trim(),
            "Salons des membres",
            &topic,
            RoomFlags::default(),
            Some(id),
        );
        if !topic.is_empty() {
            room.topic_at = room.created_at;
        }
        let added = Outgoing::new(Event::RoomAdded {
            room: room.summary(),
        });
        self.insert_room(band, room);
        self.broadcast_band(band, &added);
        if let Ok(person) = self.person_mut(id, req) {
            person.created_rooms += 1;
        }
        self.add_member(band, &slug, id, RoomRole::Operator, summary, outbox, req);
        Ok(())
    }

    /// Every member of `room`, with their standing, as clients see them.
    fn member_list<'a>(
        &'a self,
        room: &'a Room,
        now: std::time::Instant,
    ) -> impl Iterator<Item = RoomMember> + 'a {
        room.members.iter().filter_map(move |(member_id, member)| {
            let person = self.sessions.get(member_id)?.person.as_ref()?;
            Some(RoomMember {
                user: person.summary(*member_id, now),
                role: member.role,
            })
        })
    }

    /// The room `slug` of the sender's band, if the sender is in it.
    fn room_i_am_in(
        &self,
        id: UserId,
        req: Option<u32>,
        slug: &str,
    ) -> Result<&Room, tchatche_protocol::ErrorEvent> {
        let band = self.person(id, req)?.band;
        let room = self
            .band(band)
            .rooms
            .get(slug)
            .ok_or_else(|| refuse(req, ErrorCode::RoomNotFound))?;
        if !room.members.contains_key(&id) {
            return Err(refuse(req, ErrorCode::NotInRoom));
        }
        Ok(room)
    }

    /// The room, if the sender is one of its operators.
    fn operated_room(
        &self,
        id: UserId,
        req: Option<u32>,
        slug: &str,
    ) -> Result<Band, tchatche_protocol::ErrorEvent> {
        let room = self.room_i_am_in(id, req, slug)?;
        match room.members.get(&id) {
            Some(member) if member.role == RoomRole::Operator => Ok(self.person(id, req)?.band),
            _ => Err(refuse(req, ErrorCode::NotOperator)),
        }
    }

    pub(crate) fn set_room(&mut self, id: UserId, req: Option<u32>, change: SetRoom) -> Outcome {
        let band = self.operated_room(id, req, &change.room)?;
        if change.topic.is_some() {
            self.may_express(id, req)?;
        }
        if change
            .topic
            .as_ref()
            .is_some_and(|topic| topic.chars().count() > MAX_TOPIC_CHARS)
        {
            return Err(refuse(req, ErrorCode::TopicTooLong));
        }
        if change.key.as_ref().is_some_and(|key| {
            key.chars().count() > MAX_KEY_CHARS || key.contains(char::is_whitespace)
        }) {
            return Err(refuse(req, ErrorCode::InvalidField)
                .with_detail("key: at most 50 characters, no spaces"));
        }
        let updated = {
            let Some(room) = self.band_mut(band).rooms.get_mut(&change.room) else {
                return Ok(());
            };
            let before = room.summary();
            if let Some(topic) = change.topic.filter(|topic| *topic != room.topic) {
                room.topic = topic;
                room.topic_at = now_ms();
            }
            if let Some(invite_only) = change.invite_only {
                room.flags.invite_only = invite_only;
            }
            if let Some(key) = change.key {
                room.join_key = (!key.is_empty()).then_some(key);
            }
            if let Some(moderated) = change.moderated {
                room.flags.moderated = moderated;
            }
            if let Some(slow_mode_secs) = change.slow_mode_secs {
                room.flags.slow_mode_secs = slow_mode_secs;
            }
            if let Some(capacity) = change.capacity {
                room.flags.capacity = (capacity > 0).then_some(capacity);
            }
            let after = room.summary();
            (after != before).then_some(after)
        };
        self.send(id, Event::Ok { req });
        if let Some(updated) = updated {
            self.broadcast_band(band, &Outgoing::new(Event::RoomUpdated { room: updated }));
        }
        Ok(())
    }

    pub(crate) fn voice(
        &mut self,
        id: UserId,
        req: Option<u32>,
        slug: &str,
        user: UserId,
        on: bool,
    ) -> Outcome {
        let role = if on {
            RoomRole::Voiced
        } else {
            RoomRole::Member
        };
        self.set_member_role(id, req, slug, user, role, RoomRole::Operator)
    }

    pub(crate) fn op(
        &mut self,
        id: UserId,
        req: Option<u32>,
        slug: &str,
        user: UserId,
        on: bool,
    ) -> Outcome {
        let role = if on {
            RoomRole::Operator
        } else {
            RoomRole::Member
        };
        // Taking operator away leaves an ordinary member; giving it overrides voice.
        self.set_member_role(
            id,
            req,
            slug,
            user,
            role,
            if on {
                RoomRole::Operator
            } else {
                RoomRole::Voiced
            },
        )
    }

    /// Changes a member's standing, unless it is `keep` (voice never
    /// demotes an operator; de-op never touches a voiced member).
    fn set_member_role(
        &mut self,
        id: UserId,
        req: Option<u32>,
        slug: &str,
        user: UserId,
        role: RoomRole,
        keep: RoomRole,
    ) -> Outcome {
        let band = self.operated_room(id, req, slug)?;
        let nick = self
            .sessions
            .get(&user)
            .and_then(|session| session.person.as_ref())
            .map(|person| person.nick.clone())
            .unwrap_or_default();
        let (state, to_close) = self.band_split(band);
        let Some(room) = state.rooms.get_mut(slug) else {
            return Ok(());
        };
        let Some(member) = room.members.get_mut(&user) else {
            return Err(refuse(req, ErrorCode::UserNotFound));
        };
        // An unchanged role announces nothing.
        if member.role != keep && member.role != role {
            let previous = member.role;
            member.role = role;
            let frame = Outgoing::new(Event::MemberRole {
                room: slug.to_owned(),
                user,
                nick,
                previous,
                role,
            });
            fan_out(room.member_queues(), &frame, to_close);
        }
        self.send(id, Event::Ok { req });
        Ok(())
    }

    pub(crate) fn kick(
        &mut self,
        id: UserId,
        req: Option<u32>,
        slug: &str,
        user: UserId,
        reason: Option<String>,
    ) -> Outcome {
        let band = self.operated_room(id, req, slug)?;
        let by = self.person(id, req)?.author(id);
        let in_room = self
            .band(band)
            .rooms
            .get(slug)
            .is_some_and(|room| room.members.contains_key(&user));
        let Some(kicked) = self
            .sessions
            .get(&user)
            .and_then(|s| s.person.as_ref())
            .filter(|_| in_room)
        else {
            return Err(refuse(req, ErrorCode::UserNotFound));
        };
        let kicked_author = kicked.author(user);
        let reason: String = reason
            .unwrap_or_default()
            .chars()
            .take(MAX_REASON_CHARS)
            .collect();
        let frame = Outgoing::new(Event::Kicked {
            room: slug.to_owned(),
            user: kicked_author,
            by,
            reason,
        });
        {
            let (state, to_close) = self.band_split(band);
            if let Some(room) = state.rooms.get(slug) {
                fan_out(room.member_queues(), &frame, to_close);
            }
        }
        let mut nick = String::new();
        if let Some(person) = self.sessions.get_mut(&user).and_then(|s| s.person.as_mut()) {
            person.rooms.retain(|joined| joined != slug);
            nick.clone_from(&person.nick);
        }
        self.remove_member(band, slug, user, &nick, Leaving::Room);
        self.send(id, Event::Ok { req });
        Ok(())
    }

    pub(crate) fn set_mask(
        &mut self,
        id: UserId,
        req: Option<u32>,
        slug: &str,
        list: MaskList,
        mask: String,
        on: bool,
    ) -> Outcome {
        let band = self.operated_room(id, req, slug)?;
        let mask = mask.trim().to_owned();
        if mask.is_empty() || mask.chars().count() > 64 || mask.contains(char::is_whitespace) {
            return Err(refuse(req, ErrorCode::InvalidField)
                .with_detail("mask: 1 to 64 characters, no spaces"));
        }
        let Some(room) = self.band_mut(band).rooms.get_mut(slug) else {
            return Ok(());
        };
        let masks = match list {
            MaskList::Bans => &mut room.bans,
            MaskList::InviteExceptions => &mut room.invite_exceptions,
        };
        let listed = masks
            .iter()
            .any(|existing| existing.eq_ignore_ascii_case(&mask));
        if on && !listed {
            if masks.len() >= MAX_MASKS {
                return Err(refuse(req, ErrorCode::InvalidField).with_detail("too many masks"));
            }
            masks.push(mask);
        } else if !on {
            masks.retain(|existing| !existing.eq_ignore_ascii_case(&mask));
        }
        self.send(id, Event::Ok { req });
        Ok(())
    }

    pub(crate) fn room_members(&mut self, id: UserId, req: Option<u32>, slug: &str) -> Outcome {
        let now = Instant::now().into_std();
        let room = self.room_i_am_in(id, req, slug)?;
        let members = self.member_list(room, now).collect();
        let event = Event::RoomMembers {
            req,
            room: slug.to_owned(),
            members,
        };
        self.send(id, event);
        Ok(())
    }

    pub(crate) fn room_masks(&mut self, id: UserId, req: Option<u32>, slug: &str) -> Outcome {
        let room = self.room_i_am_in(id, req, slug)?;
        let event = Event::RoomMasks {
            req,
            room: slug.to_owned(),
            bans: room.bans.clone(),
            invite_exceptions: room.invite_exceptions.clone(),
        };
        self.send(id, event);
        Ok(())
    }

    pub(crate) fn invite(
        &mut self,
        id: UserId,
        req: Option<u32>,
        slug: &str,
        user: UserId,
    ) -> Outcome {
        let inviter = self.person(id, req)?;
        let band = inviter.band;
        let by = inviter.author(id);
        let invitee = self
            .sessions
            .get(&user)
            .and_then(|s| s.person.as_ref())
            .filter(|person| may_see(band, person.band))
            .ok_or_else(|| refuse(req, ErrorCode::UserNotFound))?;
        let invitee_author = invitee.author(user);
        let room = self
            .band(band)
            .rooms
            .get(slug)
            .ok_or_else(|| refuse(req, ErrorCode::RoomNotFound))?;
        match room.members.get(&id) {
            None => return Err(refuse(req, ErrorCode::NotInRoom)),
            // An invitation passes invite-only and the key: only operators give
            // one in a room that has either.
            Some(member)
                if (room.flags.invite_only || room.join_key.is_some())
                    && member.role != RoomRole::Operator =>
            {
                return Err(refuse(req, ErrorCode::NotOperator));
            }
            Some(_) => {}
        }
        if room.members.contains_key(&user) {
            return Err(refuse(req, ErrorCode::AlreadyInRoom));
        }
        let frame = Outgoing::new(Event::Invited {
            room: slug.to_owned(),
            user: invitee_author,
            by,
        });
        let (state, to_close) = self.band_split(band);
        if let Some(room) = state.rooms.get_mut(slug) {
            room.invited.insert(user);
            fan_out(room.member_queues(), &frame, to_close);
        }
        if let Some(outbox) = state.people.get(&user) {
            crate::state::deliver(user, outbox, &frame, to_close);
        }
        self.send(id, Event::Ok { req });
        Ok(())
    }

    pub(crate) fn history(
        &mut self,
        id: UserId,
        req: Option<u32>,
        slug: &str,
        before: Option<MessageId>,
        limit: Option<u32>,
    ) -> Outcome {
        let room = self.room_i_am_in(id, req, slug)?;
        let limit = limit.map_or(self.settings.scrollback, |limit| {
            (limit as usize).min(self.settings.scrollback)
        });
        let older: Vec<&RoomMessage> = room
            .scrollback
            .iter()
            .filter(|message| before.is_none_or(|before| message.id < before))
            .collect();
        let messages = older[older.len().saturating_sub(limit)..]
            .iter()
            .map(|m| (*m).clone())
            .collect();
        self.send(
            id,
            Event::History {
                req,
                room: slug.to_owned(),
                messages,
            },
        );
        Ok(())
    }

    pub(crate) fn room_typing(&mut self, id: UserId, req: Option<u32>, slug: &str) -> Outcome {
        self.may_express(id, req)?;
        let limit = self.settings.typing_max_room_members;
        let person = self.person(id, req)?;
        let band = person.band;
        let author = person.author(id);
        let (state, to_close) = self.band_split(band);
        let room = state
            .rooms
            .get(slug)
            .ok_or_else(|| refuse(req, ErrorCode::RoomNotFound))?;
        if !room.members.contains_key(&id) {
            return Err(refuse(req, ErrorCode::NotInRoom));
        }
        if room.members.len() <= limit {
            let frame = Outgoing::new(Event::RoomTyping {
                room: slug.to_owned(),
                user: author,
            });
            fan_out(
                room.member_queues().filter(|(member, _)| **member != id),
                &frame,
                to_close,
            );
        }
        self.acknowledge(id, req);
        Ok(())
    }
}
