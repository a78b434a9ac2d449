//! Speaking in rooms: messages (through the speech pipeline), replies and
//! mentions, scrollback and `history`, and typing.

use std::collections::VecDeque;

use tchatche_bus::{BusMessage, Subject};
use tchatche_protocol::{Band, ErrorCode, Event, MessageId, ReplyRef, RoomMessage, Say, UserId};
use tchatche_store::StoredMessage;
use tokio::time::Instant;

use super::Room;
use crate::effects::{Effect, Recipients};
use crate::outbox::Outgoing;
use crate::speech::Speech;
use crate::state::{Hub, Outcome, refuse};

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

impl Hub {
    pub(crate) fn say(&mut self, id: UserId, req: Option<u32>, say: Say) -> Outcome {
        let now = Instant::now().into_std();
        let scrollback = self.settings.scrollback;
        let band = self.person(id, req)?.band;
        let room = self.room_i_am_in(id, req, &say.room)?;
        // A reply quotes a message the room still has; checked before the
        // message is said, so that nothing is held or flagged for a reply
        // that cannot be.
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
        let spoken = self.speak(id, req, &Speech::RoomMessage { room: &say.room }, say.body)?;
        let author = self.person(id, req)?.author(id);
        let mentions = self.mentions(band, &spoken.text);
        let message = RoomMessage {
            room: say.room.clone(),
            id: spoken.id,
            author,
            body: spoken.text,
            at: spoken.at,
            reply,
            mentions,
        };
        // The room has the message (its author too) before the author
        // hears `sent`, which for a stored room waits until it is stored.
        self.effects.deliver(
            Recipients::Room {
                band,
                slug: say.room.clone(),
                except: None,
            },
            Outgoing::new(Event::Message(message.clone())),
        );
        self.spoke(id, band, &say.room, now);
        let Some(room) = self.band_mut(band).rooms.get_mut(&say.room) else {
            return Ok(());
        };
        let persistent = room.persistent();
        // Named people elsewhere in the band get a `mention`; those in the
        // room already have the message.
        let elsewhere: Vec<UserId> = message
            .mentions
            .iter()
            .copied()
            .filter(|mentioned| !room.members.contains_key(mentioned))
            .collect();
        remember(room, message.clone(), scrollback);
        if !elsewhere.is_empty() {
            self.effects.deliver(
                Recipients::People {
                    band,
                    ids: elsewhere,
                },
                Outgoing::new(Event::Mention {
                    message: message.clone(),
                }),
            );
        }
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
        self.effects.push(Effect::Publish {
            subject: Subject::Room {
                band,
                slug: message.room.clone(),
            },
            message: BusMessage::Room { band, message },
        });
        Ok(())
    }

    /// The people of `band` named with `@nick` in `body`.
    fn mentions(&self, band: Band, body: &str) -> Vec<UserId> {
        let mut found = Vec::new();
        for nick in tchatche_safety::names::mentioned_nicks(body) {
            let key = tchatche_safety::nickname::nickname_key(nick);
            let Some(&mentioned) = self.sessions.nicknames.get(&key) else {
                continue;
            };
            // Same band only: a mention is a way to reach someone.
            if self.band(band).people.contains_key(&mentioned) && !found.contains(&mentioned) {
                found.push(mentioned);
            }
        }
        found
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
        let limit = self.settings.typing_max_room_members;
        let room = self.room_i_am_in(id, req, slug)?;
        let small = room.members.len() <= limit;
        self.may_signal(id, req, &Speech::RoomMessage { room: slug })?;
        let person = self.person(id, req)?;
        if small {
            let band = person.band;
            let user = person.author(id);
            self.effects.deliver(
                Recipients::Room {
                    band,
                    slug: slug.to_owned(),
                    except: Some(id),
                },
                Outgoing::new(Event::RoomTyping {
                    room: slug.to_owned(),
                    user,
                }),
            );
        }
        self.acknowledge(id, req);
        Ok(())
    }
}
