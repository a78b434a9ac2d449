//! CHATHISTORY (IRCv3 draft/chathistory): LATEST and BEFORE for a channel,
//! answered from the hub's scrollback in a `chathistory` batch, and FAIL
//! for what cannot be answered. Private messages are not stored, so their
//! history is an empty batch.

use tchatche_protocol::{Command, ErrorCode, ErrorEvent, Event, MessageId, RoomMessage};

use crate::codec::Message;
use crate::render;

use super::{Session, channel_name, slug_of};
use tchatche_protocol::RoomCommand;

/// A CHATHISTORY request: what to keep of the hub's answer.
#[derive(Clone, Debug)]
pub(crate) struct Pending {
    channel: String,
    /// LATEST from a message id: only what came after it (the hub answers
    /// with the latest messages, which the session filters).
    after: Option<u64>,
    limit: usize,
}

impl Session {
    fn history_fail(&mut self, params: &[&str]) {
        let mut all = vec!["CHATHISTORY"];
        all.extend_from_slice(params);
        self.server_line("FAIL", &all);
    }

    pub(super) fn chathistory(&mut self, message: &Message) {
        let sub = message.param(0).unwrap_or("").to_ascii_uppercase();
        let (Some(target), Some(reference), Some(limit)) =
            (message.param(1), message.param(2), message.param(3))
        else {
            return self.history_fail(&[
                "INVALID_PARAMS",
                "Usage: CHATHISTORY LATEST|BEFORE <channel> <*|msgid=id> <limit>",
            ]);
        };
        let Ok(limit) = limit.parse::<usize>() else {
            return self.history_fail(&["INVALID_PARAMS", "The limit must be a number"]);
        };
        let limit = limit.min(self.settings.history_limit as usize);
        let Some(slug) = slug_of(target) else {
            // Private messages are not stored: their history is empty.
            let reference = self.open_batch("chathistory", target);
            return self.close_batch(&reference);
        };
        let msgid = reference
            .strip_prefix("msgid=")
            .and_then(|id| id.parse::<u64>().ok());
        let (before, after) = match (sub.as_str(), reference, msgid) {
            ("LATEST", "*", _) => (None, None),
            ("LATEST", _, Some(id)) => (None, Some(id)),
            ("BEFORE", _, Some(id)) => (Some(MessageId(id)), None),
            _ => {
                return self.history_fail(&[
                    "INVALID_PARAMS",
                    "Supported: LATEST with * or msgid=, BEFORE with msgid=",
                ]);
            }
        };
        let channel = channel_name(&slug);
        // After a message, the hub's whole scrollback is needed to find it.
        let hub_limit = if after.is_some() {
            None
        } else {
            Some(limit as u32)
        };
        self.request(
            Command::Room(RoomCommand::History {
                room: slug,
                before,
                limit: hub_limit,
            }),
            Pending {
                channel,
                after,
                limit,
            },
        );
    }

    pub(super) fn history_answer(&mut self, event: &Event, pending: Pending) -> bool {
        let Event::History { messages, .. } = event else {
            return false;
        };
        let Pending {
            channel,
            after,
            limit,
        } = pending;
        let chosen: Vec<&RoomMessage> = messages
            .iter()
            .filter(|message| after.is_none_or(|after| message.id.0 > after))
            .collect();
        let chosen = &chosen[chosen.len().saturating_sub(limit)..];
        let reference = self.open_batch("chathistory", &channel);
        let batch_tag = format!("batch={reference}");
        for message in chosen {
            let lines = render::room_message_lines(message, true);
            for line in lines.split_inclusive("\r\n") {
                self.out.push_str(&render::with_tag(line, &batch_tag));
            }
        }
        self.close_batch(&reference);
        true
    }

    pub(super) fn history_refused(&mut self, error: &ErrorEvent, pending: Pending) {
        let code = match error.code {
            ErrorCode::NotInRoom | ErrorCode::RoomNotFound => "INVALID_TARGET",
            _ => "MESSAGE_ERROR",
        };
        self.history_fail(&[code, &pending.channel, &error.message_en]);
    }
}
