//! The safety decision: one function, [`assess`], for everything a person
//! says to others (a room message, a private message, a topic, an away
//! message, a room's name, later a bio, a report's text, a game chat line)
//! and for the signals that reach someone without text (typing).
//!
//! The hub gathers the facts ([`SpeechFacts`]) and acts on the [`Verdict`]
//! the same way for every kind of speech: deliver, deliver masked, hold
//! for review, deliver and flag, or refuse with a reason. Today's rules: a
//! moderator's mute, the length of the text, moderated rooms, slow mode,
//! band isolation and the recipient's DM acceptance; word filters, contact
//! details and rate limits will be further rules in this same function.
//! Microseconds each: it runs on every message.

use std::time::{Duration, Instant};

use tchatche_protocol::{Band, DmAcceptance, ErrorCode};

use crate::may_see;

/// What to do with what someone says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Deliver as said.
    Deliver,
    /// Deliver this text instead of the original; the author sees it too.
    Mask(String),
    /// Deliver to nobody until a moderator decides.
    Hold,
    /// Deliver, and record it for moderators.
    Flag,
    /// Refuse; the author gets this error.
    Refuse {
        /// Why.
        code: ErrorCode,
        /// When to try again, for time-based refusals.
        retry_after: Option<Duration>,
    },
}

impl Verdict {
    fn refuse(code: ErrorCode) -> Verdict {
        Verdict::Refuse {
            code,
            retry_after: None,
        }
    }
}

/// A moderator's mute on the person who speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mute {
    /// How long it still lasts.
    pub left: Duration,
    /// It binds only the address the person connects from (a mute of
    /// someone else there): the refusal then says the address is
    /// restricted, never that the person was muted.
    pub by_address: bool,
}

/// Where something is said, with what the rules of that place need.
#[derive(Clone, Debug)]
pub enum Place {
    /// In a room, to its members.
    Room {
        /// The room is moderated.
        moderated: bool,
        /// The speaker is an operator or voiced in this room.
        may_speak_when_moderated: bool,
        /// The room's slow mode (zero: off).
        slow_mode: Duration,
        /// When the speaker last spoke in this room.
        last_spoke: Option<Instant>,
        /// Now.
        now: Instant,
    },
    /// To one person, privately.
    Private {
        /// The speaker's band.
        sender_band: Band,
        /// The recipient's band.
        recipient_band: Band,
        /// The recipient's acceptance setting.
        recipient_accepts: DmAcceptance,
    },
    /// Where everyone around the speaker reads it: a room's topic or name,
    /// an away message, a profile.
    Public,
}

/// What the hub knows when someone says something.
#[derive(Clone, Debug)]
pub struct SpeechFacts<'a> {
    /// The text; `None` for a signal that carries none (typing), which the
    /// rules about people and places still judge.
    pub text: Option<&'a str>,
    /// The longest text allowed here, in characters.
    pub max_chars: usize,
    /// The refusal of a longer one (`message_too_long`, `topic_too_long`…).
    pub too_long: ErrorCode,
    /// The moderators' mute on the speaker, if any.
    pub sender_muted: Option<Mute>,
    /// Where it is said.
    pub place: Place,
}

/// The decision for something said (or a signal sent).
pub fn assess(facts: &SpeechFacts<'_>) -> Verdict {
    // First: a muted speaker learns nothing about the place or the
    // recipient.
    if let Some(refusal) = muted(facts.sender_muted) {
        return refusal;
    }
    if let Place::Private {
        sender_band,
        recipient_band,
        recipient_accepts,
    } = &facts.place
    {
        // A person of the other band does not exist for the speaker: the
        // refusal must not differ from "not online", and comes before the
        // recipient's setting.
        if !may_see(*sender_band, *recipient_band) {
            return Verdict::refuse(ErrorCode::UserNotFound);
        }
        if *recipient_accepts == DmAcceptance::Nobody {
            return Verdict::refuse(ErrorCode::DmRefused);
        }
    }
    if let Some(text) = facts.text
        && let Some(refusal) = text_refusal(text, facts.max_chars, facts.too_long)
    {
        return refusal;
    }
    if let Place::Room {
        moderated,
        may_speak_when_moderated,
        slow_mode,
        last_spoke,
        now,
    } = &facts.place
        && facts.text.is_some()
    {
        if *moderated && !*may_speak_when_moderated {
            return Verdict::refuse(ErrorCode::RoomModerated);
        }
        if let Some(last) = last_spoke.filter(|_| !slow_mode.is_zero()) {
            let elapsed = now.saturating_duration_since(last);
            if elapsed < *slow_mode {
                return Verdict::Refuse {
                    code: ErrorCode::SlowMode,
                    retry_after: Some(*slow_mode - elapsed),
                };
            }
        }
    }
    Verdict::Deliver
}

fn muted(mute: Option<Mute>) -> Option<Verdict> {
    mute.filter(|mute| !mute.left.is_zero())
        .map(|mute| Verdict::Refuse {
            code: if mute.by_address {
                ErrorCode::AddressMuted
            } else {
                ErrorCode::Muted
            },
            retry_after: Some(mute.left),
        })
}

fn text_refusal(text: &str, max_chars: usize, too_long: ErrorCode) -> Option<Verdict> {
    if text.trim().is_empty() {
        return Some(Verdict::refuse(ErrorCode::MessageEmpty));
    }
    // Counting stops one past the limit, so a huge text costs no more than a legal one.
    if text.len() > max_chars && text.chars().take(max_chars + 1).count() > max_chars {
        return Some(Verdict::refuse(too_long));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mute(secs: u64, by_address: bool) -> Mute {
        Mute {
            left: Duration::from_secs(secs),
            by_address,
        }
    }

    fn refused(code: ErrorCode) -> Verdict {
        Verdict::Refuse {
            code,
            retry_after: None,
        }
    }

    fn in_room(now: Instant) -> Place {
        Place::Room {
            moderated: false,
            may_speak_when_moderated: false,
            slow_mode: Duration::ZERO,
            last_spoke: None,
            now,
        }
    }

    fn said<'a>(text: &'a str, place: Place) -> SpeechFacts<'a> {
        SpeechFacts {
            text: Some(text),
            max_chars: 10,
            too_long: ErrorCode::MessageTooLong,
            sender_muted: None,
            place,
        }
    }

    #[test]
    fn room_message_rules() {
        let now = Instant::now();
        let earlier = now.checked_sub(Duration::from_secs(3)).unwrap_or(now);
        let room = |moderated, voiced, slow_secs, last_spoke| Place::Room {
            moderated,
            may_speak_when_moderated: voiced,
            slow_mode: Duration::from_secs(slow_secs),
            last_spoke,
            now,
        };
        let cases: Vec<(&str, SpeechFacts<'_>, Verdict)> = vec![
            ("plain", said("salut", in_room(now)), Verdict::Deliver),
            (
                "empty",
                said("", in_room(now)),
                refused(ErrorCode::MessageEmpty),
            ),
            (
                "blank",
                said("  \n ", in_room(now)),
                refused(ErrorCode::MessageEmpty),
            ),
            (
                "at limit",
                said("éééééééééé", in_room(now)),
                Verdict::Deliver,
            ),
            (
                "over limit",
                said("ééééééééééé", in_room(now)),
                refused(ErrorCode::MessageTooLong),
            ),
            (
                "moderated, not voiced",
                said("salut", room(true, false, 0, None)),
                refused(ErrorCode::RoomModerated),
            ),
            (
                "moderated, voiced",
                said("salut", room(true, true, 0, None)),
                Verdict::Deliver,
            ),
            (
                "slow mode, first message",
                said("salut", room(false, false, 10, None)),
                Verdict::Deliver,
            ),
            (
                "slow mode, too soon",
                said("salut", room(false, false, 10, Some(earlier))),
                Verdict::Refuse {
                    code: ErrorCode::SlowMode,
                    retry_after: Some(Duration::from_secs(7)),
                },
            ),
            (
                "slow mode, waited",
                said("salut", room(false, false, 2, Some(earlier))),
                Verdict::Deliver,
            ),
            (
                "muted, before everything else",
                SpeechFacts {
                    sender_muted: Some(mute(60, false)),
                    ..said("", room(true, false, 0, None))
                },
                Verdict::Refuse {
                    code: ErrorCode::Muted,
                    retry_after: Some(Duration::from_secs(60)),
                },
            ),
            (
                "mute over",
                SpeechFacts {
                    sender_muted: Some(mute(0, false)),
                    ..said("salut", in_room(now))
                },
                Verdict::Deliver,
            ),
            (
                "typing in a moderated room is no message",
                SpeechFacts {
                    text: None,
                    ..said("", room(true, false, 10, Some(earlier)))
                },
                Verdict::Deliver,
            ),
        ];
        for (name, facts, expected) in cases {
            assert_eq!(assess(&facts), expected, "{name}");
        }
    }

    #[test]
    fn public_text_is_refused_only_while_muted_or_out_of_bounds() {
        let topic = |text| SpeechFacts {
            too_long: ErrorCode::TopicTooLong,
            ..said(text, Place::Public)
        };
        assert_eq!(assess(&topic("Bienvenue")), Verdict::Deliver);
        assert_eq!(
            assess(&topic("un sujet bien trop long")),
            refused(ErrorCode::TopicTooLong)
        );
        let muted = |secs, by_address| SpeechFacts {
            sender_muted: Some(mute(secs, by_address)),
            ..topic("Bienvenue")
        };
        assert_eq!(assess(&muted(0, false)), Verdict::Deliver);
        assert_eq!(
            assess(&muted(9, false)),
            Verdict::Refuse {
                code: ErrorCode::Muted,
                retry_after: Some(Duration::from_secs(9)),
            }
        );
        // Someone muted only through their address hears that, not "muted".
        assert_eq!(
            assess(&muted(9, true)),
            Verdict::Refuse {
                code: ErrorCode::AddressMuted,
                retry_after: Some(Duration::from_secs(9)),
            }
        );
    }

    #[test]
    fn private_message_rules() {
        let dm = |sender_band, recipient_band, recipient_accepts, text| {
            said(
                text,
                Place::Private {
                    sender_band,
                    recipient_band,
                    recipient_accepts,
                },
            )
        };
        use Band::{Adult, Teen};
        use DmAcceptance::{Everyone, Nobody};
        let cases = [
            (dm(Adult, Adult, Everyone, "salut"), Verdict::Deliver),
            (dm(Teen, Teen, Everyone, "salut"), Verdict::Deliver),
            (
                dm(Adult, Teen, Everyone, "salut"),
                refused(ErrorCode::UserNotFound),
            ),
            (
                dm(Teen, Adult, Everyone, "salut"),
                refused(ErrorCode::UserNotFound),
            ),
            // Band isolation comes before the recipient's setting and the
            // text, so nothing about a person of the other band leaks
            // through a different error.
            (
                dm(Adult, Teen, Nobody, "salut"),
                refused(ErrorCode::UserNotFound),
            ),
            (
                dm(Adult, Teen, Nobody, ""),
                refused(ErrorCode::UserNotFound),
            ),
            (
                dm(Adult, Adult, Nobody, "salut"),
                refused(ErrorCode::DmRefused),
            ),
            (
                dm(Adult, Adult, Everyone, ""),
                refused(ErrorCode::MessageEmpty),
            ),
            (
                dm(Adult, Adult, Everyone, "01234567890"),
                refused(ErrorCode::MessageTooLong),
            ),
        ];
        for (facts, expected) in cases {
            assert_eq!(assess(&facts), expected, "{facts:?}");
        }
        // Typing reveals as much as a message: the same rules, no text.
        let typing = SpeechFacts {
            text: None,
            ..dm(Adult, Teen, Everyone, "")
        };
        assert_eq!(assess(&typing), refused(ErrorCode::UserNotFound));
        // A muted sender hears "muted", even about someone of the other band.
        let muted = SpeechFacts {
            sender_muted: Some(mute(5, false)),
            ..dm(Adult, Teen, Everyone, "salut")
        };
        assert_eq!(
            assess(&muted),
            Verdict::Refuse {
                code: ErrorCode::Muted,
                retry_after: Some(Duration::from_secs(5)),
            }
        );
    }
}
