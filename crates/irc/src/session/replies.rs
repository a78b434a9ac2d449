//! The lines every family writes with (numerics addressed to the client,
//! lines from the server, notices, the closing ERROR), and the refusals that
//! several families give, each rendered in one place so that every command
//! says them alike.

use tchatche_protocol::{ErrorCode, ErrorEvent};

use crate::codec::Message;
use crate::numeric::*;

use super::Session;

impl Session {
    /// Appends a numeric reply addressed to the client.
    pub(super) fn numeric(&mut self, code: &str, params: &[&str]) {
        let nick = self.nick().to_owned();
        let mut all = Vec::with_capacity(params.len() + 1);
        all.push(nick.as_str());
        all.extend_from_slice(params);
        Message::new(Some(self.settings.server_name.as_str()), code, &all).write(&mut self.out);
    }

    /// Appends a line with this source.
    pub(super) fn line(&mut self, source: Option<&str>, command: &str, params: &[&str]) {
        Message::new(source, command, params).write(&mut self.out);
    }

    /// Appends a line from the server.
    pub(super) fn server_line(&mut self, command: &str, params: &[&str]) {
        Message::new(Some(self.settings.server_name.as_str()), command, params)
            .write(&mut self.out);
    }

    /// A NOTICE from the server to the client.
    pub(super) fn notice(&mut self, text: &str) {
        let nick = self.nick().to_owned();
        self.server_line("NOTICE", &[&nick, text]);
    }

    /// Says why the link closes, and closes it once that is sent.
    pub(super) fn close_link(&mut self, why: &str) {
        self.line(None, "ERROR", &[&format!("Closing link: {why}")]);
        self.quit = true;
    }

    /// 461: a command without the parameters it needs.
    pub(super) fn need_more_params(&mut self, command: &str) {
        self.numeric(ERR_NEEDMOREPARAMS, &[command, "Not enough parameters"]);
    }

    /// 401: nobody by that name (or nobody the client may see: the hub's
    /// refusals about the other band read the same).
    pub(super) fn no_such_nick(&mut self, nick: &str) {
        self.numeric(ERR_NOSUCHNICK, &[nick, "No such nick/channel"]);
    }

    /// 403: not a channel, or one that cannot be used, with the reason.
    pub(super) fn no_such_channel(&mut self, channel: &str, text: &str) {
        self.numeric(ERR_NOSUCHCHANNEL, &[channel, text]);
    }

    /// 442: the client is not in the channel (the hub's `not_in_room`).
    pub(super) fn not_on_channel(&mut self, channel: &str) {
        self.numeric(ERR_NOTONCHANNEL, &[channel, "You're not on that channel"]);
    }

    /// 482: the command needs a channel operator (the hub's `not_operator`).
    pub(super) fn not_channel_operator(&mut self, channel: &str) {
        self.numeric(
            ERR_CHANOPRIVSNEEDED,
            &[channel, "You're not channel operator"],
        );
    }

    /// 441: the person named is not in the channel.
    pub(super) fn they_are_not_on_channel(&mut self, nick: &str, channel: &str) {
        self.numeric(
            ERR_USERNOTINCHANNEL,
            &[nick, channel, "They aren't on that channel"],
        );
    }

    /// 400: a refusal IRC has no numeric for, with the hub's reason.
    pub(super) fn unknown_error(&mut self, subject: &str, text: &str) {
        self.numeric(ERR_UNKNOWNERROR, &[subject, text]);
    }

    /// A change of a room's topic or flags refused: the hub's `set_room`,
    /// `op` and `voice` refuse alike.
    pub(super) fn room_change_refused(&mut self, error: &ErrorEvent, channel: &str) {
        match error.code {
            ErrorCode::NotOperator => self.not_channel_operator(channel),
            ErrorCode::NotInRoom => self.not_on_channel(channel),
            ErrorCode::RoomNotFound => self.no_such_channel(channel, "No such channel"),
            _ => self.unknown_error(channel, &error.message_en),
        }
    }
}
