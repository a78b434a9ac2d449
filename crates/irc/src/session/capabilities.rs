//! IRCv3 capabilities: the ones this gateway offers, the ones a client
//! enabled, and their negotiation with CAP (LS, LIST, REQ, END), during which
//! registration waits.

use crate::codec::Message;
use crate::numeric::*;

use super::Session;

/// The capabilities this gateway offers (IRCv3).
pub const CAPABILITIES: &[&str] = &[
    "account-notify",
    "account-tag",
    "away-notify",
    "batch",
    "cap-notify",
    "draft/chathistory",
    "echo-message",
    "extended-join",
    "invite-notify",
    "labeled-response",
    "message-tags",
    "multi-prefix",
    "sasl",
    "server-time",
    "userhost-in-names",
];

/// The capabilities a client enabled.
#[derive(Clone, Copy, Debug, Default)]
pub struct Caps {
    pub(crate) account_notify: bool,
    pub(crate) account_tag: bool,
    pub(crate) sasl: bool,
    pub(crate) away_notify: bool,
    pub(crate) batch: bool,
    pub(crate) chathistory: bool,
    pub(crate) invite_notify: bool,
    pub(crate) labeled_response: bool,
    pub(crate) echo_message: bool,
    pub(crate) extended_join: bool,
    pub(crate) message_tags: bool,
    pub(crate) multi_prefix: bool,
    pub(crate) server_time: bool,
    pub(crate) userhost_in_names: bool,
    pub(crate) cap_notify: bool,
}

impl Caps {
    fn slot(&mut self, name: &str) -> Option<&mut bool> {
        Some(match name {
            "account-notify" => &mut self.account_notify,
            "account-tag" => &mut self.account_tag,
            "sasl" => &mut self.sasl,
            "away-notify" => &mut self.away_notify,
            "batch" => &mut self.batch,
            "draft/chathistory" => &mut self.chathistory,
            "invite-notify" => &mut self.invite_notify,
            "labeled-response" => &mut self.labeled_response,
            "cap-notify" => &mut self.cap_notify,
            "echo-message" => &mut self.echo_message,
            "extended-join" => &mut self.extended_join,
            "message-tags" => &mut self.message_tags,
            "multi-prefix" => &mut self.multi_prefix,
            "server-time" => &mut self.server_time,
            "userhost-in-names" => &mut self.userhost_in_names,
            _ => return None,
        })
    }

    /// Turns a capability on or off; false if it is not one of ours.
    fn set(&mut self, name: &str, on: bool) -> bool {
        self.slot(name).map(|slot| *slot = on).is_some()
    }

    fn enabled(&self) -> Vec<&'static str> {
        let mut copy = *self;
        CAPABILITIES
            .iter()
            .copied()
            .filter(|name| copy.slot(name).is_some_and(|on| *on))
            .collect()
    }

    /// Whether messages should carry tags (time, msgid, account). Room
    /// messages are encoded once for every tagged client, so a client that
    /// asked for one of these tags gets the others too, as IRCv3 allows.
    pub fn tagged(&self) -> bool {
        self.message_tags || self.server_time || self.account_tag
    }
}

impl Session {
    pub(super) fn cap(&mut self, message: &Message) {
        let sub = message.param(0).unwrap_or("").to_ascii_uppercase();
        let nick = self.nick().to_owned();
        match sub.as_str() {
            "LS" => {
                if !self.registered() {
                    self.negotiating = true;
                }
                let version_302 = message
                    .param(1)
                    .and_then(|v| v.parse::<u32>().ok())
                    .is_some_and(|v| v >= 302);
                // CAP LS 302 implies cap-notify.
                if version_302 {
                    self.caps.cap_notify = true;
                }
                let list: Vec<String> = CAPABILITIES
                    .iter()
                    .map(|&cap| match cap {
                        "sasl" if version_302 => format!("sasl={}", crate::sasl::MECHANISMS),
                        cap => cap.to_owned(),
                    })
                    .collect();
                self.server_line("CAP", &[&nick, "LS", &list.join(" ")]);
            }
            "LIST" => {
                let list = self.caps.enabled().join(" ");
                self.server_line("CAP", &[&nick, "LIST", &list]);
            }
            "REQ" => {
                if !self.registered() {
                    self.negotiating = true;
                }
                let wanted = message.param(1).unwrap_or("").to_owned();
                // All or nothing: one unknown name refuses the whole request.
                let mut trial = self.caps;
                let all_known = wanted.split_whitespace().all(|cap| {
                    let (name, on) = match cap.strip_prefix('-') {
                        Some(name) => (name, false),
                        None => (cap, true),
                    };
                    trial.set(name, on)
                });
                if all_known && !wanted.trim().is_empty() {
                    self.caps = trial;
                    self.server_line("CAP", &[&nick, "ACK", &wanted]);
                } else {
                    self.server_line("CAP", &[&nick, "NAK", &wanted]);
                }
            }
            "END" => {
                self.negotiating = false;
                self.try_register();
            }
            _ => self.numeric(ERR_INVALIDCAPCMD, &[&sub, "Invalid CAP command"]),
        }
    }
}
