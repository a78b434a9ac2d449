//! One IRC client's session, with no IO: IRC lines in, hub commands and IRC
//! lines out; hub events in, IRC lines out.
//!
//! Handlers never touch the socket. They append replies to [`Session::out`]
//! (the response buffer) and hub commands to [`Session::requests`]; the
//! connection task sends both. Each hub request carries a `req` number and a
//! `Pending` entry saying how to render its reply, so the asynchronous hub
//! answer becomes the numerics the IRC client expects.
//!
//! This module is the core: the session's state, the requests under way,
//! labeled responses and batches, the order of answers, and the dispatch of
//! lines and events to the command families, one module each:
//!
//! - `capabilities`: CAP and the IRCv3 capabilities a client enabled.
//! - `registration`: NICK, USER, PASS, SASL `AUTHENTICATE`, and entry.
//! - `server`: the welcome burst with ISUPPORT, MOTD, VERSION, LINKS, PING.
//! - `channels`: JOIN, PART, TOPIC, NAMES, LIST, KICK, INVITE, and the
//!   channels the client is in.
//! - `modes`: MODE: user modes, channel flags, bans and invite exceptions,
//!   +o and +v.
//! - `messages`: PRIVMSG and NOTICE, private messages and their echoes.
//! - `people`: WHO, WHOIS, WHOWAS, AWAY, LUSERS, and news of people.
//! - `history`: CHATHISTORY.
//! - `staff`: KILL, WALLOPS, statements of reasons, staff titles.
//! - `replies`: the numerics and lines every family writes with, and the
//!   refusals several of them share.
//!
//! A family owns its commands from end to end: the hub request it builds,
//! its own `Pending` entry (a variant of `Pending`), the rendering of the
//! answer and the numerics of its refusals. A new family is a new module, a
//! new variant, and its lines in the dispatch here; no other family changes.

mod capabilities;
mod channels;
mod history;
mod messages;
mod modes;
mod people;
mod registration;
mod replies;
mod server;
mod staff;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::sync::Arc;

use tchatche_protocol::{Command, ErrorEvent, Event, RoomMessage, UserId};

use crate::codec::{LineError, Message};
use crate::numeric::*;
use crate::render;

pub use capabilities::{CAPABILITIES, Caps};
use channels::Channels;
use registration::{Registering, Stage};

/// Settings shared by every IRC session.
#[derive(Clone, Debug)]
pub struct IrcSettings {
    /// Server name shown to clients.
    pub server_name: String,
    /// Message of the day.
    pub motd: Vec<String>,
    /// Profile for guests who give none (`age gender département`); empty: none.
    pub default_guest_profile: String,
    /// Messages a room keeps for `CHATHISTORY` (the hub's scrollback).
    pub history_limit: u32,
}

/// What to do with the hub's answer to a request: each family keeps its own
/// entries, so that one family's requests are none of another's business.
#[derive(Clone, Debug)]
pub(crate) enum Pending {
    Registration(registration::Pending),
    Channels(channels::Pending),
    Modes(modes::Pending),
    Messages(messages::Pending),
    People(people::Pending),
    History(history::Pending),
    Staff(staff::Pending),
}

/// Lets a family hand its own entry to [`Session::request`].
macro_rules! pending_of_family {
    ($($family:ident => $variant:ident),* $(,)?) => {
        $(impl From<$family::Pending> for Pending {
            fn from(pending: $family::Pending) -> Pending {
                Pending::$variant(pending)
            }
        })*
    };
}

pending_of_family! {
    registration => Registration,
    channels => Channels,
    modes => Modes,
    messages => Messages,
    people => People,
    history => History,
    staff => Staff,
}

/// Commands and replies under way: nothing at rest, so kept apart and
/// dropped when empty (see [`Session::release_idle_buffers`]).
#[derive(Default)]
struct InFlight {
    /// Requests the hub has not answered yet, with their labels; a few at
    /// most, so a list.
    pending: Vec<(u32, Pending, Option<String>)>,
    /// The label of the line being handled (labeled-response), until a hub
    /// request takes it or the immediate reply is wrapped with it.
    label: Option<String>,
    /// Labels for the echoes of labeled messages, by message id.
    echo_labels: Vec<(u64, String)>,
    /// Lines received while the hub had not answered an earlier command,
    /// handled in order once it has. The connection hands the session a
    /// line only when it [wants one](Session::wants_lines), and otherwise
    /// stops reading the socket, so this stays empty there; it keeps the
    /// order for callers that hand over lines regardless.
    deferred: VecDeque<Message>,
}

impl InFlight {
    fn is_empty(&self) -> bool {
        self.pending.is_empty()
            && self.label.is_none()
            && self.echo_labels.is_empty()
            && self.deferred.is_empty()
    }
}

/// One IRC client's state.
pub struct Session {
    settings: Arc<IrcSettings>,
    /// Lines to send to the client (the response buffer).
    pub out: String,
    /// Commands to send to the hub, with their request numbers.
    pub requests: Vec<(Option<u32>, Command)>,
    /// Set when the connection must close after `out` is sent.
    pub quit: bool,
    pub(crate) caps: Caps,
    /// Between CAP LS or REQ and CAP END: registration waits for the end.
    negotiating: bool,
    /// Site staff (user mode +o).
    staff: bool,
    nick: Option<String>,
    /// Until entry: the real name, password and SASL exchange.
    registering: Option<Box<Registering>>,
    /// My account (my nickname) once SASL succeeded or I entered as a member.
    account: Option<String>,
    /// My profile as others see it in real names, once entered.
    profile: String,
    stage: Stage,
    pub(crate) me: Option<UserId>,
    next_req: u32,
    /// What is under way; `None` at rest.
    in_flight: Option<Box<InFlight>>,
    next_batch: u32,
    pub(crate) channels: Channels,
}

/// `#slug` for a room slug.
pub fn channel_name(slug: &str) -> String {
    format!("#{slug}")
}

/// The room slug of a channel name, if it is one.
pub fn slug_of(channel: &str) -> Option<String> {
    let slug = channel.strip_prefix('#')?;
    (!slug.is_empty()).then(|| slug.to_lowercase())
}

/// The `label=` tag that marks a labeled response, escaped.
fn label_tag(label: &str) -> String {
    let mut tag = String::from("label=");
    crate::codec::escape_tag_value(label, &mut tag);
    tag
}

impl Session {
    /// A new session, before registration.
    pub fn new(settings: Arc<IrcSettings>) -> Session {
        Session {
            settings,
            out: String::new(),
            requests: Vec::new(),
            quit: false,
            staff: false,
            caps: Caps::default(),
            negotiating: false,
            nick: None,
            registering: None,
            account: None,
            profile: String::new(),
            stage: Stage::Registering,
            me: None,
            next_req: 1,
            in_flight: None,
            next_batch: 1,
            channels: Channels::default(),
        }
    }

    /// Frees the buffers kept from the last burst of work, once it is done:
    /// most sessions are idle most of the time, and a fresh allocation costs
    /// far less than the socket write that comes with the next burst.
    pub fn release_idle_buffers(&mut self) {
        if self.out.is_empty() {
            self.out = String::new();
        }
        if self.requests.is_empty() {
            self.requests = Vec::new();
        }
        if self.in_flight.as_deref().is_some_and(InFlight::is_empty) {
            self.in_flight = None;
        }
    }

    /// The client's nickname, or `*` before it has one.
    pub fn nick(&self) -> &str {
        self.nick.as_deref().unwrap_or("*")
    }

    /// Whether entry succeeded.
    pub fn registered(&self) -> bool {
        self.stage == Stage::Registered
    }

    fn server(&self) -> &str {
        &self.settings.server_name
    }

    /// Sends `command` to the hub and remembers, under its request number,
    /// how to render the answer, with the label of the line that asked.
    fn request(&mut self, command: Command, pending: impl Into<Pending>) {
        let req = self.next_req;
        self.next_req = self.next_req.wrapping_add(1).max(1);
        let in_flight = self.in_flight();
        let label = in_flight.label.take();
        in_flight.pending.push((req, pending.into(), label));
        self.requests.push((Some(req), command));
    }

    /// A fresh batch reference.
    fn batch_ref(&mut self) -> String {
        self.next_batch = self.next_batch.wrapping_add(1);
        format!("b{}", self.next_batch)
    }

    /// Opens a batch of `kind` about `target`; returns its reference.
    fn open_batch(&mut self, kind: &str, target: &str) -> String {
        let reference = self.batch_ref();
        self.server_line("BATCH", &[&format!("+{reference}"), kind, target]);
        reference
    }

    fn close_batch(&mut self, reference: &str) {
        self.server_line("BATCH", &[&format!("-{reference}")]);
    }

    /// Wraps what was written to `out` since `start` as the labeled response
    /// to a command: an ACK when nothing was, the label on a single line, or
    /// a `labeled-response` batch.
    fn wrap_labeled(&mut self, start: usize, label: &str) {
        let produced = self.out.split_off(start);
        let lines: Vec<&str> = produced.split_inclusive("\r\n").collect();
        let tag = label_tag(label);
        match lines.len() {
            0 => {
                let server = self.server().to_owned();
                self.out.push_str(&format!("@{tag} :{server} ACK\r\n"));
            }
            1 => self.out.push_str(&render::with_tag(lines[0], &tag)),
            _ if self.caps.batch => {
                let reference = self.batch_ref();
                let server = self.server().to_owned();
                self.out.push_str(&format!(
                    "@{tag} :{server} BATCH +{reference} labeled-response\r\n"
                ));
                for line in lines {
                    self.out
                        .push_str(&render::with_tag(line, &format!("batch={reference}")));
                }
                self.out
                    .push_str(&format!(":{server} BATCH -{reference}\r\n"));
            }
            _ => {
                self.out.push_str(&render::with_tag(lines[0], &tag));
                for line in &lines[1..] {
                    self.out.push_str(line);
                }
            }
        }
    }

    /// Handles a line that could not be read.
    pub fn on_bad_line(&mut self, error: LineError) {
        let (code, text) = match error {
            LineError::TooLong => {
                return self.numeric(ERR_INPUTTOOLONG, &["Input line was too long"]);
            }
            LineError::InvalidUtf8 => (
                "INVALID_UTF8",
                "Input line is not UTF-8; the line was ignored",
            ),
            LineError::Nul => (
                "INVALID_MESSAGE",
                "Input line contains a NUL byte; the line was ignored",
            ),
            LineError::NoCommand => (
                "INVALID_MESSAGE",
                "Input line has no command; the line was ignored",
            ),
            LineError::BadTags => (
                "INVALID_MESSAGE",
                "Input line has unreadable tags; the line was ignored",
            ),
        };
        // FAIL is the IRCv3 standard reply for what has no numeric; the
        // command is unknown, hence `*`.
        self.server_line("FAIL", &["*", code, text]);
    }

    /// Handles one line from the client.
    pub fn on_line(&mut self, line: &str) {
        let message = match Message::parse(line) {
            Ok(message) => message,
            Err(error) => return self.on_bad_line(error),
        };
        // Replies must come in the order of the commands: while the hub has
        // not answered an earlier one, later lines wait their turn. (QUIT
        // never waits.)
        if !self.wants_lines() && !self.quit && message.command != "QUIT" {
            self.in_flight().deferred.push_back(message);
            return;
        }
        self.process(message);
    }

    /// Whether a line handed over now would be handled now: nothing waits
    /// for the hub. While it is false the connection reads no more from
    /// the socket, so a client that pipelines is slowed down to the pace
    /// of the answers (the kernel's buffers fill, then its writes wait),
    /// and its commands are handled in order however many it sends.
    pub fn wants_lines(&self) -> bool {
        self.in_flight
            .as_deref()
            .is_none_or(|in_flight| in_flight.pending.is_empty() && in_flight.deferred.is_empty())
    }

    /// The author's own copy of their room message: the hub delivers a
    /// message to its room, the author included, before it answers `sent`
    /// (which for a stored room waits until it is stored), so this is what
    /// answers the oldest PRIVMSG still waiting for that channel. Returns
    /// the label for the echo when the line was labeled and the client
    /// wants echoes; a labeled line without echoes is acknowledged here.
    pub fn own_room_message(&mut self, message: &RoomMessage) -> Option<String> {
        let channel = channel_name(&message.room);
        let in_flight = self.in_flight.as_deref_mut()?;
        let index = in_flight.pending.iter().position(|(_, pending, _)| {
            matches!(pending, Pending::Messages(said) if said.is_said_to(&channel))
        })?;
        let (_, _, label) = in_flight.pending.remove(index);
        let label = label?;
        if self.caps.echo_message {
            return Some(label);
        }
        let start = self.out.len();
        self.wrap_labeled(start, &label);
        None
    }

    /// Handles the lines that waited, now that the hub may have answered
    /// what they waited for.
    pub fn resume(&mut self) {
        self.drain_deferred();
    }

    /// Handles one line now, wrapping its reply with its label if it has one.
    fn process(&mut self, message: Message) {
        let label = message
            .tag("label")
            .filter(|_| self.caps.labeled_response)
            .map(str::to_owned);
        self.set_label(label);
        let start = self.out.len();
        self.handle(&message);
        // A hub request took the label; otherwise the reply is here.
        if let Some(label) = self.take_label() {
            self.wrap_labeled(start, &label);
        }
    }

    /// Handles the lines that waited, until one of them waits for the hub.
    fn drain_deferred(&mut self) {
        while !self.quit {
            let Some(in_flight) = self.in_flight.as_deref_mut() else {
                return;
            };
            if !in_flight.pending.is_empty() {
                return;
            }
            let Some(message) = in_flight.deferred.pop_front() else {
                return;
            };
            self.process(message);
        }
    }

    /// What is under way, made when something is.
    fn in_flight(&mut self) -> &mut InFlight {
        self.in_flight.get_or_insert_default()
    }

    /// The label of the line or reply being handled.
    fn set_label(&mut self, label: Option<String>) {
        match label {
            Some(label) => self.in_flight().label = Some(label),
            None => {
                if let Some(in_flight) = self.in_flight.as_deref_mut() {
                    in_flight.label = None;
                }
            }
        }
    }

    /// Takes the label of the line or reply being handled, if it has one.
    fn take_label(&mut self) -> Option<String> {
        self.in_flight.as_deref_mut()?.label.take()
    }

    /// Hands a command to its family.
    fn handle(&mut self, message: &Message) {
        let command = message.command.as_str();
        // What a client may say before it has registered.
        match command {
            "CAP" => return self.cap(message),
            "NICK" => return self.nick_command(message),
            "USER" => return self.user_command(message),
            "PASS" => return self.pass_command(message),
            "AUTHENTICATE" => return self.authenticate(message),
            "PING" => return self.ping(message),
            "PONG" => return,
            "QUIT" => return self.close_link("quit"),
            _ => {}
        }
        if !self.registered() {
            return self.numeric(ERR_NOTREGISTERED, &["You have not registered"]);
        }
        match command {
            "JOIN" => self.join(message),
            "PART" => self.part(message),
            "PRIVMSG" | "NOTICE" => self.privmsg(message, command == "NOTICE"),
            "TOPIC" => self.topic(message),
            "NAMES" => self.names(message),
            "LIST" => self.list(message),
            "WHO" => self.who(message),
            "WHOIS" => self.whois(message),
            "WHOWAS" => self.whowas(message),
            "MODE" => self.mode(message),
            "MOTD" => self.motd(),
            "LUSERS" => self.lusers(),
            "VERSION" => self.version(),
            "LINKS" => self.links(),
            "AWAY" => self.away(message),
            "KICK" => self.kick(message),
            "INVITE" => self.invite(message),
            "CHATHISTORY" => self.chathistory(message),
            "WALLOPS" => self.wallops(message),
            "KILL" => self.kill(message),
            other => {
                let other = other.to_owned();
                self.numeric(ERR_UNKNOWNCOMMAND, &[&other, "Unknown command"]);
            }
        }
    }

    /// Handles one event from the hub. Room messages are not rendered here:
    /// the connection writes their shared encoding (see [`crate::render`]).
    pub fn on_event(&mut self, event: &Event) {
        let req = event.req();
        let answered = req
            .zip(self.in_flight.as_deref_mut())
            .and_then(|(req, in_flight)| {
                let index = in_flight.pending.iter().position(|(r, ..)| *r == req)?;
                Some(in_flight.pending.swap_remove(index))
            });
        let (pending, label) = match answered {
            Some((_, pending, label)) => (Some(pending), label),
            None => (None, None),
        };
        // A reply to a labeled command is wrapped with its label, unless the
        // rendering passes the label on (to a follow-up request or an echo).
        self.set_label(label);
        let start = self.out.len();
        let rendered = match (event, pending) {
            (Event::Error(error), Some(pending)) => {
                self.on_refusal(error, pending);
                true
            }
            (event, Some(pending)) => self.on_answer(event, pending),
            (_, None) => false,
        };
        if !rendered {
            self.on_news(event);
        }
        if let Some(label) = self.take_label() {
            self.wrap_labeled(start, &label);
        }
        self.drain_deferred();
    }

    /// Renders the answer to a request, in the family that asked; false
    /// when `event` is not the answer that family waits for, which is then
    /// rendered as news.
    fn on_answer(&mut self, event: &Event, pending: Pending) -> bool {
        match pending {
            // Entry's answers read the same whether or not they were awaited.
            Pending::Registration(_) => false,
            Pending::Channels(pending) => self.channels_answer(event, pending),
            Pending::Modes(pending) => self.modes_answer(event, pending),
            Pending::Messages(pending) => self.messages_answer(event, pending),
            Pending::People(pending) => self.people_answer(event, pending),
            Pending::History(pending) => self.history_answer(event, pending),
            Pending::Staff(pending) => self.staff_answer(event, pending),
        }
    }

    /// Turns a hub refusal into the numeric the IRC client expects, in the
    /// family that asked.
    fn on_refusal(&mut self, error: &ErrorEvent, pending: Pending) {
        match pending {
            Pending::Registration(pending) => self.registration_refused(error, pending),
            Pending::Channels(pending) => self.channels_refused(error, pending),
            Pending::Modes(pending) => self.modes_refused(error, pending),
            Pending::Messages(pending) => self.messages_refused(error, pending),
            Pending::People(pending) => self.people_refused(error, pending),
            Pending::History(pending) => self.history_refused(error, pending),
            Pending::Staff(pending) => self.staff_refused(error, pending),
        }
    }

    /// Renders an event that answers nothing the session waits for: news of
    /// rooms and people, and the answers whose rendering needs no memory of
    /// the request.
    fn on_news(&mut self, event: &Event) {
        match event {
            Event::Error(error) => {
                let text = error.message_en.clone();
                self.notice(&text);
            }
            Event::Entered { you, .. } => self.entered(you),
            Event::Authenticated { account, .. } => self.logged_in(account),
            Event::Joined { room, members, .. } => self.joined(room, members),
            Event::Left { room, .. } => self.left(room),
            Event::MemberJoined { room, member } => self.member_joined(room, member),
            Event::MemberLeft { room, nick, .. } => self.member_left(room, nick),
            Event::Kicked {
                room,
                user,
                by,
                reason,
            } => self.kicked(room, user, by, reason),
            Event::Invited { room, user, by } => self.invited(room, user, by),
            Event::RoomUpdated { room } => self.room_updated(room),
            Event::MemberRole {
                room,
                nick,
                previous,
                role,
                ..
            } => self.member_role(room, nick, *previous, *role),
            Event::Dm(message) => self.dm(message),
            Event::MemberQuit { nick, .. } => self.member_quit(nick),
            Event::AccountChanged { user, member } => self.account_changed(user, *member),
            Event::Away { user, message } => self.away_changed(user, message.as_deref()),
            Event::WhowasList { nick, entries, .. } => self.whowas_list(nick, entries),
            Event::Sanctioned(notice) => self.sanctioned(notice),
            Event::Wallops { from, text } => self.wallops_received(from, text),
            Event::Closing { message_en, .. } => self.close_link(message_en),
            // Acknowledgements, directory counts and web-only signals say
            // nothing to an IRC client.
            _ => {}
        }
    }
}
