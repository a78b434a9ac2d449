//! What a room's operators do: the topic and the room's flags and key,
//! voice and operator standing, kicks, ban and invite-exception masks, and
//! invitations.

use tchatche_protocol::{Band, ErrorCode, Event, RoomAdminCommand, RoomRole, SetRoom, UserId};
use tchatche_safety::may_see;

use super::Leaving;
use crate::effects::Recipients;
use crate::ids::now_ms;
use crate::outbox::Outgoing;
use crate::speech::Speech;
use crate::state::{Hub, Outcome, refuse};

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

impl Hub {
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
        let mut change = change;
        // A new topic is said to the room; an empty one clears it, which
        // a muted operator may not do either.
        if let Some(topic) = change.topic.take() {
            let room = change.room.clone();
            let speech = Speech::Topic { room: &room };
            change.topic = Some(if topic.is_empty() {
                self.may_signal(id, req, &speech)?;
                topic
            } else {
                self.speak(id, req, &speech, topic)?.text
            });
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
            self.effects.deliver(
                Recipients::Band(band),
                Outgoing::new(Event::RoomUpdated { room: updated }),
            );
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
        let Some(room) = self.band_mut(band).rooms.get_mut(slug) else {
            return Ok(());
        };
        let Some(member) = room.members.get_mut(&user) else {
            return Err(refuse(req, ErrorCode::UserNotFound));
        };
        // An unchanged role announces nothing.
        if member.role != keep && member.role != role {
            let previous = member.role;
            member.role = role;
            self.effects.deliver(
                Recipients::Room {
                    band,
                    slug: slug.to_owned(),
                    except: None,
                },
                Outgoing::new(Event::MemberRole {
                    room: slug.to_owned(),
                    user,
                    nick,
                    previous,
                    role,
                }),
            );
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
        // The room hears it, the one kicked included.
        self.effects.deliver(
            Recipients::RoomAnd {
                band,
                slug: slug.to_owned(),
                also: user,
            },
            frame,
        );
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
        if let Some(room) = self.band_mut(band).rooms.get_mut(slug) {
            room.invited.insert(user);
        }
        // The room hears it, and the one invited.
        self.effects.deliver(
            Recipients::RoomAnd {
                band,
                slug: slug.to_owned(),
                also: user,
            },
            frame,
        );
        self.send(id, Event::Ok { req });
        Ok(())
    }
}

impl Hub {
    /// The commands of this family, each to its handler.
    pub(crate) fn room_admin_command(
        &mut self,
        id: UserId,
        req: Option<u32>,
        command: RoomAdminCommand,
    ) -> Outcome {
        match command {
            RoomAdminCommand::SetRoom(change) => self.set_room(id, req, change),
            RoomAdminCommand::Voice { room, user, on } => self.voice(id, req, &room, user, on),
            RoomAdminCommand::Op { room, user, on } => self.op(id, req, &room, user, on),
            RoomAdminCommand::Kick { room, user, reason } => {
                self.kick(id, req, &room, user, reason)
            }
            RoomAdminCommand::Ban { room, mask, on } => {
                self.set_mask(id, req, &room, crate::rooms::MaskList::Bans, mask, on)
            }
            RoomAdminCommand::InviteException { room, mask, on } => self.set_mask(
                id,
                req,
                &room,
                crate::rooms::MaskList::InviteExceptions,
                mask,
                on,
            ),
            RoomAdminCommand::RoomMasks { room } => self.room_masks(id, req, &room),
            RoomAdminCommand::Invite { room, user } => self.invite(id, req, &room, user),
        }
    }
}
