//! The one speech pipeline: everything a person says to others — a room
//! message, a private message, a topic, an away message, a room's name
//! (later a bio, a report's text, a game chat line) — goes through
//! [`Hub::speak`], which gathers the facts, asks the safety decision
//! ([`tchatche_safety::assess`]) and applies its verdict the same way for
//! every kind of speech:
//!
//! - deliver: the text goes on as said;
//! - mask: the masked text goes on instead, and the author sees what others
//!   see;
//! - hold: the text waits in the review queue with its context, the author
//!   hears `message_held`, and nothing is delivered;
//! - flag: the text goes on, and waits in the review queue for a look;
//! - refuse: the author gets the reason.
//!
//! Signals that carry no text but reach someone (typing) go through
//! [`Hub::may_signal`]: the same facts and rules, without the text.

use std::time::{Duration, Instant};

use tchatche_protocol::{Band, ErrorCode, ErrorEvent, MessageId, RoomMessage, RoomRole, UserId};
use tchatche_safety::{Place, SpeechFacts, Verdict, assess};

use crate::ids::now_ms;
use crate::review::{Context, Verdict as Review};
use crate::state::{Hub, Outcome, refuse, refuse_verdict};

/// What is said, and where.
#[derive(Clone, Debug)]
pub(crate) enum Speech<'a> {
    /// A message in a room of the speaker's band.
    RoomMessage { room: &'a str },
    /// A private message, or typing, to someone.
    Private { to: UserId },
    /// A room's new topic.
    Topic { room: &'a str },
    /// An away message.
    Away,
    /// The name of a room being created.
    RoomName,
}

impl Speech<'_> {
    /// The name the review queue and the store know this kind of speech by.
    pub fn kind(&self) -> &'static str {
        match self {
            Speech::RoomMessage { .. } => "room_message",
            Speech::Private { .. } => "dm",
            Speech::Topic { .. } => "topic",
            Speech::Away => "away",
            Speech::RoomName => "room_name",
        }
    }
}

/// Longest topic, in characters.
pub(crate) const MAX_TOPIC_CHARS: usize = 200;
/// Longest away message, in characters.
pub(crate) const MAX_AWAY_CHARS: usize = 200;
/// Messages of a room's scrollback kept as the context of a held or
/// flagged message.
const CONTEXT_MESSAGES: usize = 20;

/// What the pipeline let through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Spoken {
    /// The text to deliver: as said, or masked.
    pub text: String,
    /// The id of the message (a fresh one, for whatever the speech is).
    pub id: MessageId,
    /// When it was said, in milliseconds since the Unix epoch.
    pub at: u64,
}

impl Hub {
    /// Judges `text`, said by `id` as `speech`, and applies the verdict.
    /// `Ok`: deliver what it returns (and nothing else); `Err`: tell the
    /// author this, and deliver nothing.
    pub(crate) fn speak(
        &mut self,
        id: UserId,
        req: Option<u32>,
        speech: &Speech<'_>,
        text: String,
    ) -> Result<Spoken, ErrorEvent> {
        let verdict = {
            let facts = self.speech_facts(id, req, speech, Some(&text))?;
            assess(&facts)
        };
        #[cfg(test)]
        let verdict = match (verdict, self.test_rule) {
            (Verdict::Deliver, Some(rule)) => rule(&text).unwrap_or(Verdict::Deliver),
            (verdict, _) => verdict,
        };
        let at = now_ms();
        let message = MessageId(self.ids.next(at));
        let (text, review) = match verdict {
            Verdict::Deliver => (text, None),
            Verdict::Mask(masked) => (masked, None),
            Verdict::Flag => (text, Some(Review::Flagged)),
            Verdict::Hold => (text, Some(Review::Held)),
            Verdict::Refuse { code, retry_after } => {
                return Err(refuse_verdict(req, code, retry_after));
            }
        };
        if let Some(verdict) = review {
            let context = self.context_of(id, speech);
            let (band, place) = self.place_of(id, speech);
            let author = self.person(id, req)?.author(id);
            self.review.record(crate::review::Item {
                message,
                verdict,
                speech: speech.kind(),
                band,
                place,
                author,
                text: text.clone(),
                at,
                context,
            });
            if verdict == Review::Held {
                return Err(refuse(req, ErrorCode::MessageHeld));
            }
        }
        Ok(Spoken {
            text,
            id: message,
            at,
        })
    }

    /// Whether `id` may send a signal without text (typing) as `speech`:
    /// the same decision, which refuses or lets it through.
    pub(crate) fn may_signal(&self, id: UserId, req: Option<u32>, speech: &Speech<'_>) -> Outcome {
        let facts = self.speech_facts(id, req, speech, None)?;
        match assess(&facts) {
            Verdict::Refuse { code, retry_after } => Err(refuse_verdict(req, code, retry_after)),
            _ => Ok(()),
        }
    }

    /// What the safety decision needs to know. The caller has found the
    /// place (the room the speaker is in, the recipient); a place that is
    /// gone meanwhile is refused as not found.
    fn speech_facts<'a>(
        &self,
        id: UserId,
        req: Option<u32>,
        speech: &Speech<'_>,
        text: Option<&'a str>,
    ) -> Result<SpeechFacts<'a>, ErrorEvent> {
        let speaker = self.person(id, req)?;
        let sender_muted = self.sanctions.mute_of(id);
        let (max_chars, too_long, place) = match speech {
            Speech::RoomMessage { room } => {
                let room = self
                    .band(speaker.band)
                    .rooms
                    .get(*room)
                    .ok_or_else(|| refuse(req, ErrorCode::RoomNotFound))?;
                let member = room
                    .members
                    .get(&id)
                    .ok_or_else(|| refuse(req, ErrorCode::NotInRoom))?;
                (
                    self.settings.max_body_chars as usize,
                    ErrorCode::MessageTooLong,
                    Place::Room {
                        moderated: room.flags.moderated,
                        may_speak_when_moderated: member.role != RoomRole::Member,
                        slow_mode: Duration::from_secs(u64::from(room.flags.slow_mode_secs)),
                        last_spoke: room.last_spoke.get(&id).copied(),
                        now: tokio::time::Instant::now().into_std(),
                    },
                )
            }
            Speech::Private { to } => {
                let recipient = self
                    .sessions
                    .get(to)
                    .and_then(|session| session.person.as_ref())
                    .ok_or_else(|| refuse(req, ErrorCode::UserNotFound))?;
                (
                    self.settings.max_body_chars as usize,
                    ErrorCode::MessageTooLong,
                    Place::Private {
                        sender_band: speaker.band,
                        recipient_band: recipient.band,
                        recipient_accepts: recipient.accepts,
                    },
                )
            }
            Speech::Topic { .. } => (MAX_TOPIC_CHARS, ErrorCode::TopicTooLong, Place::Public),
            Speech::Away => (MAX_AWAY_CHARS, ErrorCode::AwayTooLong, Place::Public),
            Speech::RoomName => (
                tchatche_safety::names::MAX_ROOM_NAME_CHARS,
                ErrorCode::RoomNameInvalid,
                Place::Public,
            ),
        };
        Ok(SpeechFacts {
            text,
            max_chars,
            too_long,
            sender_muted,
            place,
        })
    }

    /// The band and the place (a room's slug, or empty) of a speech, as
    /// the review queue records it.
    fn place_of(&self, id: UserId, speech: &Speech<'_>) -> (Band, String) {
        let band = self
            .person(id, None)
            .map_or(Band::Adult, |person| person.band);
        let place = match speech {
            Speech::RoomMessage { room } | Speech::Topic { room } => (*room).to_owned(),
            Speech::Private { .. } | Speech::Away | Speech::RoomName => String::new(),
        };
        (band, place)
    }

    /// What a moderator needs around a held or flagged text: for a room,
    /// its recent messages; elsewhere, nothing kept yet.
    fn context_of(&self, id: UserId, speech: &Speech<'_>) -> Vec<Context> {
        let (Speech::RoomMessage { room } | Speech::Topic { room }) = speech else {
            return Vec::new();
        };
        let Ok(person) = self.person(id, None) else {
            return Vec::new();
        };
        let Some(room) = self.band(person.band).rooms.get(*room) else {
            return Vec::new();
        };
        let skip = room.scrollback.len().saturating_sub(CONTEXT_MESSAGES);
        room.scrollback
            .iter()
            .skip(skip)
            .map(|message: &RoomMessage| Context {
                message: message.id,
                author: message.author.clone(),
                text: message.body.clone(),
                at: message.at,
            })
            .collect()
    }

    /// Notes that `id` just spoke in a room (for its slow mode) and is
    /// active.
    pub(crate) fn spoke(&mut self, id: UserId, band: Band, room: &str, now: Instant) {
        if let Some(room) = self.band_mut(band).rooms.get_mut(room) {
            room.last_spoke.insert(id, now);
        }
        if let Ok(person) = self.person_mut(id, None) {
            person.last_active = now;
        }
    }
}
