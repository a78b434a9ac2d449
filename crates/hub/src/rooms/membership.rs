//! Being in rooms: the directory, joining (and creating a room that does
//! not exist, in the same step), leaving, member lists, and a room going
//! away when its last member leaves, if a member created it.

use tchatche_bus::Subject;
use tchatche_protocol::{
    Band, ErrorCode, Event, RoomFlags, RoomMember, RoomRole, UserId, UserSummary,
};
use tchatche_safety::names::mask_matches;
use tokio::time::Instant;

use super::{Member, Room};
use crate::effects::{Effect, Recipients};
use crate::outbox::{OutboxSender, Outgoing};
use crate::speech::Speech;
use crate::state::{Hub, Outcome, refuse};

/// How someone leaves a room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Leaving {
    /// This room only (`leave`, `kick`): the room is told with `member_left`.
    Room,
    /// The site: the session's end told everyone once with `member_quit`.
    Site,
}

impl Hub {
    pub(crate) fn list_rooms(&mut self, id: UserId, req: Option<u32>) -> Outcome {
        let band = self.person(id, req)?.band;
        let rooms = self.band(band).directory();
        self.send(id, Event::RoomList { req, rooms });
        Ok(())
    }

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
        let Some(outbox) = self.sessions.get(&id).map(|session| session.outbox.clone()) else {
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
        self.add_member(
            band,
            slug,
            NewMember {
                id,
                role,
                summary,
                outbox,
            },
            req,
        );
        Ok(())
    }

    /// Puts a person in a room: `joined` to them, `member_joined` to the others.
    fn add_member(&mut self, band: Band, slug: &str, new: NewMember, req: Option<u32>) {
        let now = Instant::now().into_std();
        let NewMember {
            id,
            role,
            summary,
            outbox,
        } = new;
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
        self.effects.deliver(
            Recipients::Room {
                band,
                slug: slug.to_owned(),
                except: Some(id),
            },
            Outgoing::new(Event::MemberJoined {
                room: slug.to_owned(),
                member: RoomMember {
                    user: summary,
                    role,
                },
            }),
        );
        let state = self.band_mut(band);
        if let Some(room) = state.rooms.get_mut(slug) {
            room.members.insert(id, Member { role, outbox });
            state.changed_counts.insert(slug.to_owned());
        }
        if first_local_member {
            self.effects.push(Effect::Subscribe(Subject::Room {
                band,
                slug: slug.to_owned(),
            }));
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
        let nick = person.nick.clone();
        self.send(
            id,
            Event::Left {
                req,
                room: slug.to_owned(),
            },
        );
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
        let state = self.band_mut(band);
        let Some(room) = state.rooms.get_mut(slug) else {
            return;
        };
        if room.members.remove(&id).is_none() {
            return;
        }
        room.last_spoke.remove(&id);
        let emptied = room.members.is_empty();
        let user_created = room.user_created;
        let creator = room.creator;
        if leaving == Leaving::Room {
            self.effects.deliver(
                Recipients::Room {
                    band,
                    slug: slug.to_owned(),
                    except: None,
                },
                Outgoing::new(Event::MemberLeft {
                    room: slug.to_owned(),
                    user: id,
                    nick: nick.to_owned(),
                }),
            );
        }
        let state = self.band_mut(band);
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
            self.effects.deliver(
                Recipients::Band(band),
                Outgoing::new(Event::RoomRemoved {
                    room: slug.to_owned(),
                }),
            );
            if let Some(creator) = creator
                && let Some(count) = self.created_rooms.get_mut(&creator)
            {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    self.created_rooms.remove(&creator);
                }
            }
        } else {
            state.changed_counts.insert(slug.to_owned());
        }
        self.effects.push(Effect::Unsubscribe(Subject::Room {
            band,
            slug: slug.to_owned(),
        }));
    }

    pub(crate) fn create_room(
        &mut self,
        id: UserId,
        req: Option<u32>,
        name: &str,
        topic: Option<String>,
    ) -> Outcome {
        let max_rooms = self.settings.max_rooms_per_user;
        let max_created = self.settings.max_created_rooms_per_user;
        let now = Instant::now().into_std();
        let person = self.person(id, req)?;
        let band = person.band;
        let summary = person.summary(id, now);
        let created = self.created_rooms.get(&id).copied().unwrap_or(0);
        let in_rooms = person.rooms.len();
        // A muted person hears that first, before any rule about rooms.
        self.may_signal(id, req, &Speech::RoomName)?;
        if created >= max_created || in_rooms >= max_rooms {
            return Err(refuse(req, ErrorCode::TooManyRooms));
        }
        tchatche_safety::names::room_slug(name).map_err(|refusal| {
            refuse(req, ErrorCode::RoomNameInvalid).with_detail(refusal.to_string())
        })?;
        // A room's name is said to the whole band.
        let name = self
            .speak(id, req, &Speech::RoomName, name.trim().to_owned())?
            .text;
        let slug = tchatche_safety::names::room_slug(&name).map_err(|refusal| {
            refuse(req, ErrorCode::RoomNameInvalid).with_detail(refusal.to_string())
        })?;
        let topic = match topic.filter(|topic| !topic.is_empty()) {
            Some(topic) => {
                self.speak(id, req, &Speech::Topic { room: &slug }, topic)?
                    .text
            }
            None => String::new(),
        };
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
            &name,
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
        self.effects.deliver(Recipients::Band(band), added);
        *self.created_rooms.entry(id).or_default() += 1;
        self.add_member(
            band,
            &slug,
            NewMember {
                id,
                role: RoomRole::Operator,
                summary,
                outbox,
            },
            req,
        );
        Ok(())
    }

    /// Every member of `room`, with their standing, as clients see them.
    pub(super) fn member_list<'a>(
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
    pub(super) fn room_i_am_in(
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
}

/// Someone about to be added to a room.
struct NewMember {
    id: UserId,
    role: RoomRole,
    summary: UserSummary,
    outbox: OutboxSender,
}
