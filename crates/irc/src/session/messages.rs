//! PRIVMSG and NOTICE: to a channel (the hub's `say`) or to a nickname (a
//! private message), the rendering of private messages, echoes of one's own
//! (echo-message), and the refusals of both. Room messages themselves are
//! written by the connection from their shared encoding; this module says
//! which ones this client takes.

use tchatche_protocol::{Command, DirectMessage, ErrorCode, ErrorEvent, Event, RoomMessage, Say};

use crate::codec::Message;
use crate::numeric::*;
use crate::render;

use super::{Session, channel_name, label_tag, slug_of};
use tchatche_protocol::{PrivateCommand, RoomCommand};

/// Messages' requests to the hub. A NOTICE is never answered with an error
/// (RFC 2812), hence `notice`.
#[derive(Clone, Debug)]
pub(crate) enum Pending {
    /// To a channel: answered by the author's own copy of the message.
    Say { channel: String, notice: bool },
    /// To a nickname.
    Dm { nick: String, notice: bool },
}

impl Pending {
    /// Whether this is a message to `channel` waiting for its own copy.
    pub(super) fn is_said_to(&self, channel: &str) -> bool {
        matches!(self, Pending::Say { channel: said, .. } if said == channel)
    }
}

impl Session {
    pub(super) fn privmsg(&mut self, message: &Message, notice: bool) {
        let command = if notice { "NOTICE" } else { "PRIVMSG" };
        let Some(targets) = message.param(0).filter(|t| !t.is_empty()) else {
            if !notice {
                self.numeric(
                    ERR_NORECIPIENT,
                    &[&format!("No recipient given ({command})")],
                );
            }
            return;
        };
        let Some(text) = message.param(1).filter(|t| !t.is_empty()) else {
            if !notice {
                self.numeric(ERR_NOTEXTTOSEND, &["No text to send"]);
            }
            return;
        };
        for target in targets.split(',').filter(|t| !t.is_empty()) {
            if let Some(slug) = slug_of(target) {
                self.request(
                    Command::Room(RoomCommand::Say(Say {
                        room: slug.clone(),
                        body: text.to_owned(),
                        reply_to: None,
                    })),
                    Pending::Say {
                        channel: channel_name(&slug),
                        notice,
                    },
                );
            } else {
                self.request(
                    Command::Private(PrivateCommand::DmNick {
                        nick: target.to_owned(),
                        body: text.to_owned(),
                    }),
                    Pending::Dm {
                        nick: target.to_owned(),
                        notice,
                    },
                );
            }
        }
    }

    /// A private message to or from this client. The hub's private message
    /// does not say whether it was sent as a NOTICE, so it reads as a
    /// PRIVMSG.
    pub(super) fn dm(&mut self, message: &DirectMessage) {
        let from_me = Some(message.from.id) == self.me;
        if from_me && !self.caps.echo_message {
            return;
        }
        let lines = render::dm_lines(message, "PRIVMSG", self.caps.tagged());
        match self.take_echo_label(message.id.0).filter(|_| from_me) {
            Some(label) => {
                let tag = label_tag(&label);
                for line in lines.split_inclusive("\r\n") {
                    self.out.push_str(&render::with_tag(line, &tag));
                }
            }
            None => self.out.push_str(&lines),
        }
    }

    /// The label for the echo of one's own private message, if it was
    /// labeled (noted when `sent` came, which comes before the echo).
    fn take_echo_label(&mut self, message_id: u64) -> Option<String> {
        let echo_labels = &mut self.in_flight.as_mut()?.echo_labels;
        let index = echo_labels.iter().position(|(id, _)| *id == message_id)?;
        Some(echo_labels.swap_remove(index).1)
    }

    /// Whether a room message should be written to this client: everything
    /// except its own messages, unless it asked for echo-message.
    pub fn wants_room_message(&self, message: &RoomMessage) -> bool {
        Some(message.author.id) != self.me || self.caps.echo_message
    }

    pub(super) fn messages_answer(&mut self, event: &Event, pending: Pending) -> bool {
        match (event, pending) {
            (Event::Sent { id, .. }, Pending::Dm { .. }) => {
                // With echo-message the echo is the labeled response.
                if self.caps.echo_message
                    && let Some(label) = self.take_label()
                {
                    self.in_flight().echo_labels.push((id.0, label));
                }
                true
            }
            _ => false,
        }
    }

    pub(super) fn messages_refused(&mut self, error: &ErrorEvent, pending: Pending) {
        let text = &error.message_en;
        match pending {
            Pending::Say { notice: true, .. } | Pending::Dm { notice: true, .. } => {}
            Pending::Say { channel, .. } => match error.code {
                ErrorCode::RoomNotFound => self.no_such_channel(&channel, text),
                ErrorCode::MessageTooLong => self.numeric(ERR_INPUTTOOLONG, &[text]),
                _ => self.numeric(ERR_CANNOTSENDTOCHAN, &[&channel, text]),
            },
            Pending::Dm { nick, .. } => match error.code {
                ErrorCode::UserNotFound => self.no_such_nick(&nick),
                ErrorCode::DmRefused => self.numeric(ERR_TARGUMODEG, &[&nick, text]),
                _ => self.numeric(ERR_CANNOTSENDTOCHAN, &[&nick, text]),
            },
        }
    }
}
