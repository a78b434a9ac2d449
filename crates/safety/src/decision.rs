//! The safety decision for room messages and private messages.
//!
//! The hub calls [`assess_room_message`] or [`assess_dm`] once per message,
//! and [`assess_expression`] for the rest people read (room names, topics,
//! away messages, typing), before any delivery, with the facts it holds. The verdict is one of the
//! actions the moderation work builds on: deliver, deliver masked, hold for
//! review, deliver and flag, or refuse with a reason. Today's rules: a
//! moderator's mute, body length, moderated rooms, slow mode, band
//! isolation and the recipient's DM acceptance; word filters and rate
//! limits will be further rules in these same functions.

use std::time::{Duration, Instant};

use tchatche_protocol::{Band, DmAcceptance, ErrorCode};

use crate::may_see;

/// What to do with a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Deliver as sent.
    Deliver,
    /// Deliver this text instead of the original.
    Mask(String),
    /// Deliver to nobody until a moderator decides.
    Hold,
    /// Deliver, and record it for moderators.
    Flag,
    /// Refuse; the sender gets this error.
    Refuse {
        /// Why.
        code: ErrorCode,
        /// When to try again, for time-based refusals.
        retry_after: Option<Duration>,
    },
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

impl Verdict {
    fn refuse(code: ErrorCode) -> Verdict {
        Verdict::Refuse {
            code,
            retry_after: None,
        }
    }
}

/// What the hub knows when someone speaks in a room.
#[derive(Clone, Debug)]
pub struct RoomMessageFacts<'a> {
    /// The text.
    pub body: &'a str,
    /// The instance's body limit in characters.
    pub max_body_chars: u32,
    /// The moderators' mute on the sender, if any.
    pub sender_muted: Option<Mute>,
    /// The room is moderated.
    pub room_moderated: bool,
    /// The sender is an operator or voiced in this room.
    pub sender_may_speak_when_moderated: bool,
    /// The room's slow mode (zero: off).
    pub slow_mode: Duration,
    /// When the sender last spoke in this room.
    pub sender_last_spoke: Option<Instant>,
    /// Now.
    pub now: Instant,
}

/// What the hub knows when someone writes privately to someone.
#[derive(Clone, Debug)]
pub struct DmFacts<'a> {
    /// The text.
    pub body: &'a str,
    /// The instance's body limit in characters.
    pub max_body_chars: u32,
    /// The moderators' mute on the sender, if any.
    pub sender_muted: Option<Mute>,
    /// Sender's band.
    pub sender_band: Band,
    /// Recipient's band.
    pub recipient_band: Band,
    /// Recipient's acceptance setting.
    pub recipient_accepts: DmAcceptance,
}

/// The decision for a room message.
pub fn assess_room_message(facts: &RoomMessageFacts<'_>) -> Verdict {
    if let Some(refusal) = muted(facts.sender_muted) {
        return refusal;
    }
    if let Some(refusal) = body_refusal(facts.body, facts.max_body_chars) {
        return refusal;
    }
    if facts.room_moderated && !facts.sender_may_speak_when_moderated {
        return Verdict::refuse(ErrorCode::RoomModerated);
    }
    if let Some(last) = facts
        .sender_last_spoke
        .filter(|_| !facts.slow_mode.is_zero())
    {
        let elapsed = facts.now.saturating_duration_since(last);
        if elapsed < facts.slow_mode {
            return Verdict::Refuse {
                code: ErrorCode::SlowMode,
                retry_after: Some(facts.slow_mode - elapsed),
            };
        }
    }
    Verdict::Deliver
}

/// The decision for a private message (and for typing and "seen" signals,
/// which reveal as much as a message does).
pub fn assess_dm(facts: &DmFacts<'_>) -> Verdict {
    // First: a muted sender learns nothing about the recipient.
    if let Some(refusal) = muted(facts.sender_muted) {
        return refusal;
    }
    // A person of the other band does not exist for the sender: the refusal
    // must not differ from "not online".
    if !may_see(facts.sender_band, facts.recipient_band) {
        return Verdict::refuse(ErrorCode::UserNotFound);
    }
    if facts.recipient_accepts == DmAcceptance::Nobody {
        return Verdict::refuse(ErrorCode::DmRefused);
    }
    if let Some(refusal) = body_refusal(facts.body, facts.max_body_chars) {
        return refusal;
    }
    Verdict::Deliver
}

/// The decision for what else others read from someone: the name of a
/// new room, a topic, an away message, a typing signal in a room. Today
/// only a moderator's mute refuses it; filters will be further rules here.
pub fn assess_expression(sender_muted: Option<Mute>) -> Verdict {
    muted(sender_muted).unwrap_or(Verdict::Deliver)
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

fn body_refusal(body: &str, max_body_chars: u32) -> Option<Verdict> {
    if body.trim().is_empty() {
        return Some(Verdict::refuse(ErrorCode::MessageEmpty));
    }
    // Counting stops one past the limit, so a huge body costs no more than a legal one.
    let limit = max_body_chars as usize;
    if body.len() > limit && body.chars().take(limit + 1).count() > limit {
        return Some(Verdict::refuse(ErrorCode::MessageTooLong));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room<'a>(body: &'a str, now: Instant) -> RoomMessageFacts<'a> {
        RoomMessageFacts {
            body,
            max_body_chars: 10,
            sender_muted: None,
            room_moderated: false,
            sender_may_speak_when_moderated: false,
            slow_mode: Duration::ZERO,
            sender_last_spoke: None,
            now,
        }
    }

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

    #[test]
    fn room_message_rules() {
        let now = Instant::now();
        let earlier = now.checked_sub(Duration::from_secs(3)).unwrap_or(now);
        let cases: Vec<(&str, RoomMessageFacts<'_>, Verdict)> = vec![
            ("plain", room("salut", now), Verdict::Deliver),
            ("empty", room("", now), refused(ErrorCode::MessageEmpty)),
            (
                "blank",
                room("  \n ", now),
                refused(ErrorCode::MessageEmpty),
            ),
            ("at limit", room("éééééééééé", now), Verdict::Deliver),
            (
                "over limit",
                room("ééééééééééé", now),
                refused(ErrorCode::MessageTooLong),
            ),
            (
                "moderated, not voiced",
                RoomMessageFacts {
                    room_moderated: true,
                    ..room("salut", now)
                },
                refused(ErrorCode::RoomModerated),
            ),
            (
                "moderated, voiced",
                RoomMessageFacts {
                    room_moderated: true,
                    sender_may_speak_when_moderated: true,
                    ..room("salut", now)
                },
                Verdict::Deliver,
            ),
            (
                "slow mode, first message",
                RoomMessageFacts {
                    slow_mode: Duration::from_secs(10),
                    ..room("salut", now)
                },
                Verdict::Deliver,
            ),
            (
                "slow mode, too soon",
                RoomMessageFacts {
                    slow_mode: Duration::from_secs(10),
                    sender_last_spoke: Some(earlier),
                    ..room("salut", now)
                },
                Verdict::Refuse {
                    code: ErrorCode::SlowMode,
                    retry_after: Some(Duration::from_secs(7)),
                },
            ),
            (
                "muted, before everything else",
                RoomMessageFacts {
                    sender_muted: Some(mute(60, false)),
                    room_moderated: true,
                    ..room("", now)
                },
                Verdict::Refuse {
                    code: ErrorCode::Muted,
                    retry_after: Some(Duration::from_secs(60)),
                },
            ),
            (
                "mute over",
                RoomMessageFacts {
                    sender_muted: Some(mute(0, false)),
                    ..room("salut", now)
                },
                Verdict::Deliver,
            ),
            (
                "slow mode, waited",
                RoomMessageFacts {
                    slow_mode: Duration::from_secs(2),
                    sender_last_spoke: Some(earlier),
                    ..room("salut", now)
                },
                Verdict::Deliver,
            ),
        ];
        for (name, facts, expected) in cases {
            assert_eq!(assess_room_message(&facts), expected, "{name}");
        }
    }

    #[test]
    fn expression_is_refused_only_while_muted() {
        assert_eq!(assess_expression(None), Verdict::Deliver);
        assert_eq!(assess_expression(Some(mute(0, false))), Verdict::Deliver);
        assert_eq!(
            assess_expression(Some(mute(9, false))),
            Verdict::Refuse {
                code: ErrorCode::Muted,
                retry_after: Some(Duration::from_secs(9)),
            }
        );
        // Someone muted only through their address hears that, not "muted".
        assert_eq!(
            assess_expression(Some(mute(9, true))),
            Verdict::Refuse {
                code: ErrorCode::AddressMuted,
                retry_after: Some(Duration::from_secs(9)),
            }
        );
    }

    #[test]
    fn dm_rules() {
        let dm = |sender_band, recipient_band, recipient_accepts, body| DmFacts {
            body,
            max_body_chars: 10,
            sender_muted: None,
            sender_band,
            recipient_band,
            recipient_accepts,
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
            // Band isolation comes before the recipient's setting, so nothing about
            // a person of the other band leaks through a different error.
            (
                dm(Adult, Teen, Nobody, "salut"),
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
            assert_eq!(assess_dm(&facts), expected, "{facts:?}");
        }
        // A muted sender hears "muted", even about someone of the other band.
        let muted = DmFacts {
            sender_muted: Some(mute(5, false)),
            ..dm(Adult, Teen, Everyone, "salut")
        };
        assert_eq!(
            assess_dm(&muted),
            Verdict::Refuse {
                code: ErrorCode::Muted,
                retry_after: Some(Duration::from_secs(5)),
            }
        );
    }
}
