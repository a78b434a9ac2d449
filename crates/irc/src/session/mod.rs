//! One IRC client's session, with no IO: IRC lines in, hub commands and IRC
//! lines out; hub events in, IRC lines out.
//!
//! Handlers never touch the socket. They append replies to [`Session::out`]
//! (the response buffer) and hub commands to [`Session::requests`]; the
//! connection task sends both. Each hub request carries a `req` number and a
//! [`Pending`] entry saying how to render its reply, so the asynchronous hub
//! answer becomes the numerics the IRC client expects.

use std::sync::Arc;

use tchatche_protocol::{
    Command, Enter, ErrorCode, ErrorEvent, Event, PROTOCOL_VERSION, RoomMember, RoomMessage,
    RoomRole, RoomSummary, Sanction, SanctionKind, SanctionNotice, Say, SetRoom, StaffRole, UserId,
    UserQuery, UserSummary,
};

use crate::codec::{LineError, Message};
use crate::numeric::*;
use crate::profile::{PROFILE_HELP_EN, PROFILE_HELP_FR, parse_profile};
use crate::render;
use crate::sasl::{SaslExchange, SaslStep};

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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// Waiting for NICK, USER and the end of capability negotiation.
    Registering,
    /// `enter` sent, waiting for the hub.
    Entering,
    /// Entered.
    Registered,
}

/// What to do with the hub's answer to a request.
#[derive(Clone, Debug)]
pub(crate) enum Pending {
    Enter,
    Sasl,
    Join {
        channel: String,
    },
    Part {
        channel: String,
    },
    Say {
        channel: String,
        notice: bool,
    },
    Dm {
        nick: String,
        notice: bool,
    },
    Whois {
        nick: String,
    },
    WhoNick {
        mask: String,
    },
    WhoChannel {
        channel: String,
    },
    Names {
        channel: String,
    },
    List {
        filter: ListFilter,
    },
    /// TOPIC without a new topic: the room's line, from the directory.
    Topic {
        channel: String,
        slug: String,
    },
    SetTopic {
        channel: String,
    },
    SetMode {
        channel: String,
    },
    MaskSet {
        channel: String,
        change: String,
        mask: String,
    },
    MaskList {
        channel: String,
        invite_exceptions: bool,
    },
    Kick {
        channel: String,
        nick: String,
    },
    /// KICK by nickname: finding who it is first.
    FindForKick {
        channel: String,
        slug: String,
        nick: String,
        reason: Option<String>,
    },
    /// MODE +o/+v by nickname: finding who it is first.
    FindForRole {
        channel: String,
        slug: String,
        nick: String,
        operator: bool,
        adding: bool,
    },
    FindForInvite {
        channel: String,
        nick: String,
    },
    Invite {
        channel: String,
        nick: String,
    },
    Away {
        away: bool,
    },
    Whowas {
        nick: String,
    },
    History {
        channel: String,
        after: Option<u64>,
        limit: usize,
    },
    Lusers,
    /// `KILL`: a kick sanction.
    Kill {
        nick: String,
    },
    Wallops,
}

/// ELIST filters of a LIST command.
#[derive(Clone, Debug, Default)]
pub(crate) struct ListFilter {
    channels: Vec<String>,
    mask: Option<String>,
    not_mask: Option<String>,
    more_than: Option<u32>,
    less_than: Option<u32>,
    /// Created more (`C>`) or less (`C<`) than this many minutes ago.
    created_more: Option<u64>,
    created_less: Option<u64>,
    /// Topic set more (`T>`) or less (`T<`) than this many minutes ago.
    topic_more: Option<u64>,
    topic_less: Option<u64>,
}

impl ListFilter {
    fn accepts(&self, room: &RoomSummary, now_ms: u64) -> bool {
        let minutes_ago = |at: u64| now_ms.saturating_sub(at) / 60_000;
        let created = minutes_ago(room.created_at);
        let topic = (room.topic_at > 0).then(|| minutes_ago(room.topic_at));
        if self.created_more.is_some_and(|n| created <= n)
            || self.created_less.is_some_and(|n| created >= n)
        {
            return false;
        }
        if self
            .topic_more
            .is_some_and(|n| topic.is_none_or(|t| t <= n))
            || self
                .topic_less
                .is_some_and(|n| topic.is_none_or(|t| t >= n))
        {
            return false;
        }
        let name = format!("#{}", room.slug);
        (self.channels.is_empty() || self.channels.contains(&name))
            && self
                .mask
                .as_deref()
                .is_none_or(|mask| wildcard_match(mask, &name))
            && self
                .not_mask
                .as_deref()
                .is_none_or(|mask| !wildcard_match(mask, &name))
            && self.more_than.is_none_or(|n| room.members > n)
            && self.less_than.is_none_or(|n| room.members < n)
    }
}

/// Matches `*` and `?` wildcards, ASCII case-insensitively.
pub(crate) fn wildcard_match(mask: &str, text: &str) -> bool {
    let mask: Vec<char> = mask.to_lowercase().chars().collect();
    let text: Vec<char> = text.to_lowercase().chars().collect();
    let (mut m, mut t) = (0, 0);
    let (mut star, mut star_t) = (None, 0);
    while t < text.len() {
        if m < mask.len() && (mask[m] == '?' || mask[m] == text[t]) {
            m += 1;
            t += 1;
        } else if m < mask.len() && mask[m] == '*' {
            star = Some(m);
            star_t = t;
            m += 1;
        } else if let Some(star_at) = star {
            m = star_at + 1;
            star_t += 1;
            t = star_t;
        } else {
            return false;
        }
    }
    mask[m..].iter().all(|&c| c == '*')
}

/// A channel the client is in, as the gateway tracks it: what it needs to
/// tell a change of topic or modes from the room's updates.
#[derive(Clone, Debug)]
pub(crate) struct Channel {
    pub slug: Box<str>,
    /// A hash of the topic, not the topic: every member of a room would keep
    /// a copy of the same line. A TOPIC query asks the hub.
    pub topic_hash: u64,
    pub flags: tchatche_protocol::RoomFlags,
}

/// The hash kept for a topic: fixed keys, so equal topics hash equal.
fn topic_hash(topic: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::hash::DefaultHasher::new();
    topic.hash(&mut hasher);
    hasher.finish()
}

/// The channels a session is in: a handful, so a short list exactly as long
/// as needed rather than a map, which would cost most idle sessions more
/// than everything else they keep.
#[derive(Default)]
pub(crate) struct Channels(Vec<Channel>);

impl Channels {
    fn index(&self, slug: &str) -> Option<usize> {
        self.0.iter().position(|channel| &*channel.slug == slug)
    }

    pub fn get(&self, slug: &str) -> Option<&Channel> {
        self.index(slug).map(|index| &self.0[index])
    }

    pub fn get_mut(&mut self, slug: &str) -> Option<&mut Channel> {
        self.index(slug).map(|index| &mut self.0[index])
    }

    pub fn contains_key(&self, slug: &str) -> bool {
        self.get(slug).is_some()
    }

    /// Adds a channel, or replaces the one with the same slug.
    pub fn insert(&mut self, channel: Channel) {
        match self.get_mut(&channel.slug) {
            Some(known) => *known = channel,
            None => {
                self.0.reserve_exact(1);
                self.0.push(channel);
            }
        }
    }

    pub fn remove(&mut self, slug: &str) -> Option<Channel> {
        let channel = self.0.swap_remove(self.index(slug)?);
        self.0.shrink_to_fit();
        Some(channel)
    }

    pub fn slugs(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|channel| &*channel.slug)
    }
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
    deferred: std::collections::VecDeque<Message>,
}

impl InFlight {
    fn is_empty(&self) -> bool {
        self.pending.is_empty()
            && self.label.is_none()
            && self.echo_labels.is_empty()
            && self.deferred.is_empty()
    }
}

/// What registration needs and entry forgets: kept apart, so a registered
/// session does not carry it.
#[derive(Default)]
struct Registering {
    realname: Option<String>,
    /// The password given with PASS (`password` or `account:password`).
    pass: Option<String>,
    sasl: SaslExchange,
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

/// What a staff role is, as WHOIS (`is …`) and registration (`You are …`)
/// say it.
fn staff_title(role: StaffRole) -> &'static str {
    match role {
        StaffRole::Moderator => "a moderator of this site (modération)",
        StaffRole::Administrator => "an administrator of this site (administration)",
    }
}

/// When a sanction ends, as the statements say it, in French and English:
/// a date, "for good" for a ban without one, nothing for the others.
fn sanction_end(kind: SanctionKind, until_ms: Option<u64>) -> (String, String) {
    match (kind, until_ms) {
        (_, Some(until)) => {
            let at = render::utc_minute(until);
            (format!(" jusqu'au {at}"), format!(" until {at}"))
        }
        (SanctionKind::Ban, None) => (" définitivement".to_owned(), " for good".to_owned()),
        _ => (String::new(), String::new()),
    }
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

impl Session {
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

    /// What registration keeps until entry.
    fn registering(&mut self) -> &mut Registering {
        self.registering.get_or_insert_default()
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

    /// Appends a numeric reply addressed to the client.
    pub(crate) fn numeric(&mut self, code: &str, params: &[&str]) {
        let nick = self.nick().to_owned();
        let mut all = Vec::with_capacity(params.len() + 1);
        all.push(nick.as_str());
        all.extend_from_slice(params);
        Message::new(Some(&self.settings.server_name.clone()), code, &all).write(&mut self.out);
    }

    /// Appends a line with this source.
    pub(crate) fn line(&mut self, source: Option<&str>, command: &str, params: &[&str]) {
        Message::new(source, command, params).write(&mut self.out);
    }

    fn notice(&mut self, text: &str) {
        let nick = self.nick().to_owned();
        let server = self.server().to_owned();
        self.line(Some(&server), "NOTICE", &[&nick, text]);
    }

    fn request(&mut self, command: Command, pending: Pending) {
        let req = self.next_req;
        self.next_req = self.next_req.wrapping_add(1).max(1);
        let in_flight = self.in_flight();
        let label = in_flight.label.take();
        in_flight.pending.push((req, pending, label));
        self.requests.push((Some(req), command));
    }

    /// A fresh batch reference.
    fn batch_ref(&mut self) -> String {
        self.next_batch = self.next_batch.wrapping_add(1);
        format!("b{}", self.next_batch)
    }

    /// Wraps what was written to `out` since `start` as the labeled response
    /// to a command: an ACK when nothing was, the label on a single line, or
    /// a `labeled-response` batch.
    fn wrap_labeled(&mut self, start: usize, label: &str) {
        let produced = self.out.split_off(start);
        let lines: Vec<&str> = produced.split_inclusive("\r\n").collect();
        let mut tag = String::from("label=");
        crate::codec::escape_tag_value(label, &mut tag);
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

    /// The label for the echo of one's own private message, if it was
    /// labeled (noted when `sent` came, which comes before the echo).
    fn take_echo_label(&mut self, message_id: u64) -> Option<String> {
        let echo_labels = &mut self.in_flight.as_mut()?.echo_labels;
        let index = echo_labels.iter().position(|(id, _)| *id == message_id)?;
        Some(echo_labels.swap_remove(index).1)
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
        let server = self.server().to_owned();
        // FAIL is the IRCv3 standard reply for what has no numeric; the
        // command is unknown, hence `*`.
        self.line(Some(&server), "FAIL", &["*", code, text]);
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
            matches!(pending, Pending::Say { channel: said, .. } if *said == channel)
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

    fn handle(&mut self, message: &Message) {
        let command = message.command.as_str();
        match command {
            "CAP" => return self.cap(message),
            "NICK" => return self.nick_command(message),
            "USER" => return self.user_command(message),
            "PASS" => return self.pass_command(message),
            "AUTHENTICATE" => return self.authenticate(message),
            "PING" => {
                let server = self.server().to_owned();
                let token = message.param(0).unwrap_or("").to_owned();
                return self.line(Some(&server), "PONG", &[&server, &token]);
            }
            "PONG" => return,
            "QUIT" => {
                self.line(None, "ERROR", &["Closing link: quit"]);
                self.quit = true;
                return;
            }
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
            "LUSERS" => self.request(
                Command::Users(UserQuery {
                    page_size: Some(1),
                    ..UserQuery::default()
                }),
                Pending::Lusers,
            ),
            "VERSION" => {
                let server = self.server().to_owned();
                self.numeric(
                    RPL_VERSION,
                    &[
                        concat!("tchatche-", env!("CARGO_PKG_VERSION")),
                        &server,
                        "IRC gateway of tchatche",
                    ],
                );
            }
            "LINKS" => {
                let server = self.server().to_owned();
                self.numeric(RPL_LINKS, &["*", &server, &server, "0 tchatche"]);
                self.numeric(RPL_ENDOFLINKS, &["*", "End of LINKS list"]);
            }
            "AWAY" => self.away(message),
            "KICK" => self.kick(message),
            "INVITE" => self.invite(message),
            "CHATHISTORY" => self.chathistory(message),
            "WALLOPS" => match message.param(0).filter(|text| !text.trim().is_empty()) {
                Some(text) => self.request(
                    Command::Wallops {
                        text: text.to_owned(),
                    },
                    Pending::Wallops,
                ),
                None => self.numeric(ERR_NEEDMOREPARAMS, &["WALLOPS", "Not enough parameters"]),
            },
            "KILL" => self.kill(message),
            other => {
                let other = other.to_owned();
                self.numeric(ERR_UNKNOWNCOMMAND, &[&other, "Unknown command"]);
            }
        }
    }

    fn cap(&mut self, message: &Message) {
        let sub = message.param(0).unwrap_or("").to_ascii_uppercase();
        let nick = self.nick().to_owned();
        let server = self.server().to_owned();
        match sub.as_str() {
            "LS" => {
                if !self.registered() {
                    self.negotiating = true;
                }
                // CAP LS 302 implies cap-notify.
                if message
                    .param(1)
                    .and_then(|v| v.parse::<u32>().ok())
                    .is_some_and(|v| v >= 302)
                {
                    self.caps.cap_notify = true;
                }
                let version_302 = message
                    .param(1)
                    .and_then(|v| v.parse::<u32>().ok())
                    .is_some_and(|v| v >= 302);
                let list: Vec<String> = CAPABILITIES
                    .iter()
                    .map(|&cap| match cap {
                        "sasl" if version_302 => format!("sasl={}", crate::sasl::MECHANISMS),
                        cap => cap.to_owned(),
                    })
                    .collect();
                self.line(Some(&server), "CAP", &[&nick, "LS", &list.join(" ")]);
            }
            "LIST" => {
                let list = self.caps.enabled().join(" ");
                self.line(Some(&server), "CAP", &[&nick, "LIST", &list]);
            }
            "REQ" => {
                if !self.registered() {
                    self.negotiating = true;
                }
                let wanted = message.param(1).unwrap_or("").to_owned();
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
                    self.line(Some(&server), "CAP", &[&nick, "ACK", &wanted]);
                } else {
                    self.line(Some(&server), "CAP", &[&nick, "NAK", &wanted]);
                }
            }
            "END" => {
                self.negotiating = false;
                self.try_register();
            }
            _ => self.numeric(ERR_INVALIDCAPCMD, &[&sub, "Invalid CAP command"]),
        }
    }

    fn nick_command(&mut self, message: &Message) {
        let Some(wanted) = message.param(0).filter(|nick| !nick.is_empty()) else {
            return self.numeric(ERR_NONICKNAMEGIVEN, &["No nickname given"]);
        };
        let wanted = wanted.to_owned();
        if self.stage != Stage::Registering {
            if wanted != self.nick() {
                self.numeric(
                    ERR_UNKNOWNERROR,
                    &[
                        "NICK",
                        "Nickname changes are not supported: reconnect with the new nickname",
                    ],
                );
            }
            return;
        }
        if wanted.starts_with(['#', ':', '&']) || wanted.contains(['!', '@', ',', '*', '?']) {
            return self.numeric(ERR_ERRONEUSNICKNAME, &[&wanted, "Erroneous nickname"]);
        }
        self.nick = Some(wanted);
        self.try_register();
    }

    fn user_command(&mut self, message: &Message) {
        let has_realname = self
            .registering
            .as_ref()
            .is_some_and(|registering| registering.realname.is_some());
        if self.stage != Stage::Registering || has_realname {
            return self.numeric(ERR_ALREADYREGISTERED, &["You may not reregister"]);
        }
        let Some(realname) = message.param(3) else {
            return self.numeric(ERR_NEEDMOREPARAMS, &["USER", "Not enough parameters"]);
        };
        self.registering().realname = Some(realname.to_owned());
        self.try_register();
    }

    fn pass_command(&mut self, message: &Message) {
        if self.stage != Stage::Registering {
            return self.numeric(ERR_ALREADYREGISTERED, &["You may not reregister"]);
        }
        match message.param(0).filter(|pass| !pass.is_empty()) {
            Some(pass) => self.registering().pass = Some(pass.to_owned()),
            None => self.numeric(ERR_NEEDMOREPARAMS, &["PASS", "Not enough parameters"]),
        }
    }

    /// `AUTHENTICATE`: SASL PLAIN, before registration completes.
    fn authenticate(&mut self, message: &Message) {
        let Some(param) = message.param(0).map(str::to_owned) else {
            return self.numeric(
                ERR_NEEDMOREPARAMS,
                &["AUTHENTICATE", "Not enough parameters"],
            );
        };
        if self.account.is_some() {
            return self.numeric(
                ERR_SASLALREADY,
                &["You have already authenticated using SASL"],
            );
        }
        if self.stage != Stage::Registering {
            // Logging in changes who one is; after registration, reconnect.
            return self.numeric(
                ERR_SASLFAIL,
                &["SASL authentication failed: reconnect to log in"],
            );
        }
        match self.registering().sasl.feed(&param) {
            SaslStep::SendPayload => self.line(None, "AUTHENTICATE", &["+"]),
            SaslStep::MoreWanted => {}
            SaslStep::UnknownMechanism => {
                self.numeric(
                    RPL_SASLMECHS,
                    &[crate::sasl::MECHANISMS, "are available SASL mechanisms"],
                );
                self.numeric(ERR_SASLFAIL, &["SASL authentication failed"]);
            }
            SaslStep::Aborted => self.numeric(ERR_SASLABORTED, &["SASL authentication aborted"]),
            SaslStep::TooLong => self.numeric(ERR_SASLTOOLONG, &["SASL message too long"]),
            SaslStep::Invalid => self.numeric(ERR_SASLFAIL, &["SASL authentication failed"]),
            SaslStep::Check { account, password } => {
                self.request(Command::Authenticate { account, password }, Pending::Sasl)
            }
        }
    }

    fn try_register(&mut self) {
        if self.stage != Stage::Registering || self.negotiating {
            return;
        }
        let Some(nick) = self.nick.clone() else {
            return;
        };
        let Some(realname) = self
            .registering
            .as_ref()
            .and_then(|registering| registering.realname.clone())
        else {
            return;
        };
        let profile = parse_profile(&realname)
            .or_else(|| parse_profile(&self.settings.default_guest_profile));
        // Members enter with the profile stored at registration: after SASL
        // as their account, or with PASS (`password` or `account:password`).
        let pass = self.registering.as_ref().and_then(|r| r.pass.as_ref());
        let login = match (&self.account, pass) {
            (Some(account), _) => Some((account.clone(), None)),
            (None, Some(pass)) => Some(match pass.split_once(':') {
                Some((account, password)) => (account.to_owned(), Some(password.to_owned())),
                None => (nick.clone(), Some(pass.clone())),
            }),
            (None, None) => None,
        };
        if let Some((nickname, password)) = login {
            self.stage = Stage::Entering;
            self.request(
                Command::Enter(Enter {
                    protocol: PROTOCOL_VERSION,
                    nickname,
                    password,
                    directory: Some(false),
                    ..Enter::default()
                }),
                Pending::Enter,
            );
            return;
        }
        let Some(profile) = profile else {
            self.notice(PROFILE_HELP_FR);
            self.notice(PROFILE_HELP_EN);
            self.line(
                None,
                "ERROR",
                &["Closing link: no profile (age gender département) in the real name"],
            );
            self.quit = true;
            return;
        };
        self.stage = Stage::Entering;
        let gender = profile.gender;
        self.request(
            Command::Enter(Enter {
                protocol: PROTOCOL_VERSION,
                nickname: nick,
                age: Some(profile.age),
                gender: Some(gender),
                department: Some(profile.department),
                // IRC clients list channels when they ask (LIST).
                directory: Some(false),
                ..Enter::default()
            }),
            Pending::Enter,
        );
    }

    fn welcome(&mut self, you: &UserSummary) {
        self.me = Some(you.id);
        self.nick = Some(you.nick.clone());
        self.account = you.member.then(|| you.nick.clone());
        self.profile = render::realname(you);
        // Registration is over: the password given with PASS is not kept.
        self.registering = None;
        self.stage = Stage::Registered;
        let server = self.server().to_owned();
        let nick = you.nick.clone();
        self.numeric(
            RPL_WELCOME,
            &[&format!(
                "Bienvenue sur tchatche, {nick} ! Welcome to tchatche, {nick}!"
            )],
        );
        self.numeric(
            RPL_YOURHOST,
            &[&format!(
                "Your host is {server}, running tchatche-{}",
                env!("CARGO_PKG_VERSION")
            )],
        );
        self.numeric(
            RPL_CREATED,
            &["This server is a gateway to the tchatche chat"],
        );
        self.numeric(
            RPL_MYINFO,
            &[
                &server,
                concat!("tchatche-", env!("CARGO_PKG_VERSION")),
                "io",
                "lmntov",
            ],
        );
        let tokens = [
            "CASEMAPPING=ascii".to_owned(),
            "CHANLIMIT=#:20".to_owned(),
            "CHANMODES=Ib,k,l,imnt".to_owned(),
            format!("CHATHISTORY={}", self.settings.history_limit),
            "CHANNELLEN=50".to_owned(),
            "CHANTYPES=#".to_owned(),
            "ELIST=CMNTU".to_owned(),
            "INVEX=I".to_owned(),
            "MSGREFTYPES=msgid".to_owned(),
            format!("NETWORK={server}"),
            "NICKLEN=20".to_owned(),
            "PREFIX=(ov)@+".to_owned(),
            "TOPICLEN=200".to_owned(),
            "UTF8ONLY".to_owned(),
        ];
        let mut params: Vec<&str> = tokens.iter().map(String::as_str).collect();
        params.push("are supported by this server");
        self.numeric(RPL_ISUPPORT, &params);
        self.motd();
        if let Some(role) = you.staff {
            self.staff = true;
            self.numeric(RPL_YOUREOPER, &[&format!("You are {}", staff_title(role))]);
        }
    }

    fn motd(&mut self) {
        let server = self.server().to_owned();
        self.numeric(
            RPL_MOTDSTART,
            &[&format!("- {server} Message of the day -")],
        );
        for line in self.settings.motd.clone() {
            self.numeric(RPL_MOTD, &[&format!("- {line}")]);
        }
        self.numeric(RPL_ENDOFMOTD, &["End of /MOTD command."]);
    }

    fn join(&mut self, message: &Message) {
        let Some(targets) = message.param(0) else {
            return self.numeric(ERR_NEEDMOREPARAMS, &["JOIN", "Not enough parameters"]);
        };
        if targets == "0" {
            for slug in self.channels.slugs().map(str::to_owned).collect::<Vec<_>>() {
                self.request(
                    Command::Leave { room: slug.clone() },
                    Pending::Part {
                        channel: channel_name(&slug),
                    },
                );
            }
            return;
        }
        let mut keys = message.param(1).unwrap_or("").split(',');
        for channel in targets.split(',').filter(|c| !c.is_empty()) {
            let key = keys.next().filter(|key| !key.is_empty()).map(str::to_owned);
            let Some(slug) = slug_of(channel) else {
                self.numeric(ERR_NOSUCHCHANNEL, &[channel, "No such channel"]);
                continue;
            };
            if self.channels.contains_key(&slug) {
                continue;
            }
            // IRC users expect JOIN to create a missing channel: the hub
            // does both in one step, so that clients joining a new channel
            // at once all end up in it.
            self.request(
                Command::Join {
                    room: slug.clone(),
                    key,
                    create: Some(true),
                },
                Pending::Join {
                    channel: channel_name(&slug),
                },
            );
        }
    }

    fn part(&mut self, message: &Message) {
        let Some(targets) = message.param(0) else {
            return self.numeric(ERR_NEEDMOREPARAMS, &["PART", "Not enough parameters"]);
        };
        for channel in targets.split(',').filter(|c| !c.is_empty()) {
            match slug_of(channel) {
                Some(slug) => self.request(
                    Command::Leave { room: slug.clone() },
                    Pending::Part {
                        channel: channel_name(&slug),
                    },
                ),
                None => self.numeric(ERR_NOSUCHCHANNEL, &[channel, "No such channel"]),
            }
        }
    }

    fn privmsg(&mut self, message: &Message, notice: bool) {
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
        let text = text.to_owned();
        for target in targets.split(',').filter(|t| !t.is_empty()) {
            if let Some(slug) = slug_of(target) {
                self.request(
                    Command::Say(Say {
                        room: slug.clone(),
                        body: text.clone(),
                        reply_to: None,
                    }),
                    Pending::Say {
                        channel: channel_name(&slug),
                        notice,
                    },
                );
            } else {
                self.request(
                    Command::DmNick {
                        nick: target.to_owned(),
                        body: text.clone(),
                    },
                    Pending::Dm {
                        nick: target.to_owned(),
                        notice,
                    },
                );
            }
        }
    }

    fn topic(&mut self, message: &Message) {
        let Some(channel) = message.param(0) else {
            return self.numeric(ERR_NEEDMOREPARAMS, &["TOPIC", "Not enough parameters"]);
        };
        let Some(slug) = slug_of(channel) else {
            return self.numeric(ERR_NOSUCHCHANNEL, &[channel, "No such channel"]);
        };
        let channel = channel_name(&slug);
        match message.param(1) {
            Some(topic) => {
                let change = SetRoom {
                    room: slug,
                    topic: Some(topic.to_owned()),
                    ..SetRoom::default()
                };
                self.request(Command::SetRoom(change), Pending::SetTopic { channel });
            }
            None if self.channels.contains_key(&slug) => {
                self.request(Command::ListRooms {}, Pending::Topic { channel, slug });
            }
            None => self.numeric(ERR_NOTONCHANNEL, &[&channel, "You're not on that channel"]),
        }
    }

    fn names(&mut self, message: &Message) {
        let Some(targets) = message.param(0) else {
            return self.numeric(RPL_ENDOFNAMES, &["*", "End of /NAMES list"]);
        };
        for channel in targets.split(',').filter(|c| !c.is_empty()) {
            let Some(slug) = slug_of(channel) else {
                self.numeric(RPL_ENDOFNAMES, &[channel, "End of /NAMES list"]);
                continue;
            };
            if self.channels.contains_key(&slug) {
                // The hub keeps the member list; sessions keep none.
                self.request(
                    Command::RoomMembers { room: slug.clone() },
                    Pending::Names {
                        channel: channel_name(&slug),
                    },
                );
            } else {
                let query = UserQuery {
                    room: Some(slug.clone()),
                    page_size: Some(200),
                    ..UserQuery::default()
                };
                self.request(
                    Command::Users(query),
                    Pending::Names {
                        channel: channel_name(&slug),
                    },
                );
            }
        }
    }

    fn prefix_for(&self, role: RoomRole) -> &'static str {
        match role {
            RoomRole::Operator => "@",
            RoomRole::Voiced => "+",
            RoomRole::Member => "",
        }
    }

    fn name_entry(&self, nick: &str, role: RoomRole) -> String {
        let prefix = self.prefix_for(role);
        if self.caps.userhost_in_names {
            format!("{prefix}{}", render::mask(nick))
        } else {
            format!("{prefix}{nick}")
        }
    }

    /// RPL_NAMREPLY lines (several if needed) and RPL_ENDOFNAMES.
    fn names_reply(&mut self, channel: &str, entries: Vec<String>) {
        let mut line = String::new();
        for entry in entries {
            if line.len() + entry.len() > 350 {
                let chunk = std::mem::take(&mut line);
                self.numeric(RPL_NAMREPLY, &["=", channel, &chunk]);
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&entry);
        }
        if !line.is_empty() {
            self.numeric(RPL_NAMREPLY, &["=", channel, &line]);
        }
        self.numeric(RPL_ENDOFNAMES, &[channel, "End of /NAMES list"]);
    }

    /// NAMES of a channel from a member list (the hub's, with standings).
    fn names_of_members(&mut self, slug: &str, members: &[RoomMember]) {
        let mut members: Vec<(&str, RoomRole)> = members
            .iter()
            .map(|member| (member.user.nick.as_str(), member.role))
            .collect();
        members.sort_by_cached_key(|(nick, _)| nick.to_lowercase());
        let entries = members
            .iter()
            .map(|(nick, role)| self.name_entry(nick, *role))
            .collect();
        self.names_reply(&channel_name(slug), entries);
    }

    fn list(&mut self, message: &Message) {
        let mut filter = ListFilter::default();
        for param in &message.params {
            for item in param.split(',').filter(|i| !i.is_empty()) {
                if let Some(n) = item.strip_prefix("C>") {
                    filter.created_more = n.parse().ok();
                } else if let Some(n) = item.strip_prefix("C<") {
                    filter.created_less = n.parse().ok();
                } else if let Some(n) = item.strip_prefix("T>") {
                    filter.topic_more = n.parse().ok();
                } else if let Some(n) = item.strip_prefix("T<") {
                    filter.topic_less = n.parse().ok();
                } else if let Some(n) = item.strip_prefix('>') {
                    filter.more_than = n.parse().ok();
                } else if let Some(n) = item.strip_prefix('<') {
                    filter.less_than = n.parse().ok();
                } else if let Some(mask) = item.strip_prefix('!') {
                    filter.not_mask = Some(mask.to_owned());
                } else if item.contains(['*', '?']) {
                    filter.mask = Some(item.to_owned());
                } else if let Some(slug) = slug_of(item) {
                    filter.channels.push(channel_name(&slug));
                }
            }
        }
        self.request(Command::ListRooms {}, Pending::List { filter });
    }

    fn who(&mut self, message: &Message) {
        let mask = message.param(0).unwrap_or("*").to_owned();
        if let Some(slug) = slug_of(&mask) {
            let query = UserQuery {
                room: Some(slug.clone()),
                page_size: Some(200),
                ..UserQuery::default()
            };
            self.request(
                Command::Users(query),
                Pending::WhoChannel {
                    channel: channel_name(&slug),
                },
            );
        } else if mask.contains(['*', '?']) || mask.is_empty() {
            // Listing the whole band by mask is not offered: it would turn WHO
            // into a way to scrape everyone.
            self.numeric(RPL_ENDOFWHO, &[&mask, "End of WHO list"]);
        } else {
            self.request(
                Command::Whois { nick: mask.clone() },
                Pending::WhoNick { mask },
            );
        }
    }

    fn whois(&mut self, message: &Message) {
        // WHOIS [server] nick
        let Some(nick) = message.params.last().filter(|n| !n.is_empty()) else {
            return self.numeric(ERR_NONICKNAMEGIVEN, &["No nickname given"]);
        };
        let nick = nick.clone();
        self.request(
            Command::Whois { nick: nick.clone() },
            Pending::Whois { nick },
        );
    }

    fn whowas(&mut self, message: &Message) {
        let Some(nick) = message.param(0) else {
            return self.numeric(ERR_NONICKNAMEGIVEN, &["No nickname given"]);
        };
        let nick = nick.to_owned();
        self.request(
            Command::Whowas { nick: nick.clone() },
            Pending::Whowas { nick },
        );
    }

    fn away(&mut self, message: &Message) {
        let text = message
            .param(0)
            .filter(|text| !text.is_empty())
            .map(str::to_owned);
        let away = text.is_some();
        self.request(Command::SetAway { message: text }, Pending::Away { away });
    }

    fn kick(&mut self, message: &Message) {
        let (Some(channel), Some(nicks)) = (message.param(0), message.param(1)) else {
            return self.numeric(ERR_NEEDMOREPARAMS, &["KICK", "Not enough parameters"]);
        };
        let Some(slug) = slug_of(channel) else {
            return self.numeric(ERR_NOSUCHCHANNEL, &[channel, "No such channel"]);
        };
        let channel = channel_name(&slug);
        if !self.channels.contains_key(&slug) {
            return self.numeric(ERR_NOTONCHANNEL, &[&channel, "You're not on that channel"]);
        }
        let reason = message.param(2).map(str::to_owned);
        for nick in nicks.split(',').filter(|n| !n.is_empty()) {
            self.request(
                Command::Whois {
                    nick: nick.to_owned(),
                },
                Pending::FindForKick {
                    channel: channel.clone(),
                    slug: slug.clone(),
                    nick: nick.to_owned(),
                    reason: reason.clone(),
                },
            );
        }
    }

    /// `KILL nick :reason`: staff put someone out of the site (a kick
    /// sanction, with its statement of reasons).
    fn kill(&mut self, message: &Message) {
        let (Some(nick), Some(reason)) = (
            message.param(0),
            message.param(1).filter(|reason| !reason.trim().is_empty()),
        ) else {
            return self.numeric(ERR_NEEDMOREPARAMS, &["KILL", "Not enough parameters"]);
        };
        let nick = nick.to_owned();
        self.request(
            Command::Sanction(Sanction {
                nick: nick.clone(),
                kind: SanctionKind::Kick,
                duration_secs: None,
                reason: reason.to_owned(),
                address: None,
            }),
            Pending::Kill { nick },
        );
    }

    fn invite(&mut self, message: &Message) {
        let (Some(nick), Some(channel)) = (message.param(0), message.param(1)) else {
            return self.numeric(ERR_NEEDMOREPARAMS, &["INVITE", "Not enough parameters"]);
        };
        let Some(slug) = slug_of(channel) else {
            return self.numeric(ERR_NOSUCHCHANNEL, &[channel, "No such channel"]);
        };
        let nick = nick.to_owned();
        self.request(
            Command::Whois { nick: nick.clone() },
            Pending::FindForInvite {
                channel: channel_name(&slug),
                nick,
            },
        );
    }

    fn chathistory(&mut self, message: &Message) {
        let fail = |session: &mut Session, code: &str, text: &str| {
            let server = session.server().to_owned();
            session.line(Some(&server), "FAIL", &["CHATHISTORY", code, text]);
        };
        let sub = message.param(0).unwrap_or("").to_ascii_uppercase();
        let (Some(target), Some(reference), Some(limit)) =
            (message.param(1), message.param(2), message.param(3))
        else {
            return fail(
                self,
                "INVALID_PARAMS",
                "Usage: CHATHISTORY LATEST|BEFORE <channel> <*|msgid=id> <limit>",
            );
        };
        let Ok(limit) = limit.parse::<usize>() else {
            return fail(self, "INVALID_PARAMS", "The limit must be a number");
        };
        let limit = limit.min(self.settings.history_limit as usize);
        let Some(slug) = slug_of(target) else {
            // Private messages are not stored: their history is empty.
            let reference = self.batch_ref();
            let server = self.server().to_owned();
            self.line(
                Some(&server),
                "BATCH",
                &[&format!("+{reference}"), "chathistory", target],
            );
            self.line(Some(&server), "BATCH", &[&format!("-{reference}")]);
            return;
        };
        let msgid = reference
            .strip_prefix("msgid=")
            .and_then(|id| id.parse::<u64>().ok());
        let (before, after) = match (sub.as_str(), reference, msgid) {
            ("LATEST", "*", _) => (None, None),
            ("LATEST", _, Some(id)) => (None, Some(id)),
            ("BEFORE", _, Some(id)) => (Some(tchatche_protocol::MessageId(id)), None),
            _ => {
                return fail(
                    self,
                    "INVALID_PARAMS",
                    "Supported: LATEST with * or msgid=, BEFORE with msgid=",
                );
            }
        };
        let channel = channel_name(&slug);
        let hub_limit = if after.is_some() {
            None
        } else {
            Some(limit as u32)
        };
        self.request(
            Command::History {
                room: slug,
                before,
                limit: hub_limit,
            },
            Pending::History {
                channel,
                after,
                limit,
            },
        );
    }

    fn mode(&mut self, message: &Message) {
        let Some(target) = message.param(0) else {
            return self.numeric(ERR_NEEDMOREPARAMS, &["MODE", "Not enough parameters"]);
        };
        let Some(slug) = slug_of(target) else {
            if !target.eq_ignore_ascii_case(self.nick()) {
                return self.numeric(ERR_USERSDONTMATCH, &["Cant change mode for other users"]);
            }
            // Everyone is invisible here (WHO never lists people by mask), so
            // +i is accepted and always on; other user modes do not exist.
            return match message.param(1) {
                None => {
                    let modes = if self.staff { "+io" } else { "+i" };
                    self.numeric(RPL_UMODEIS, &[modes])
                }
                Some(changes) if changes.chars().all(|c| matches!(c, '+' | '-' | 'i')) => {
                    let me = render::mask(self.nick());
                    let nick = self.nick().to_owned();
                    self.line(Some(&me), "MODE", &[&nick, "+i"]);
                }
                Some(_) => self.numeric(ERR_UMODEUNKNOWNFLAG, &["Unknown MODE flag"]),
            };
        };
        let channel = channel_name(&slug);
        let Some(changes) = message.param(1) else {
            let modes = match self.channels.get(&slug) {
                Some(state) => render::channel_modes(&state.flags),
                None => "+nt".to_owned(),
            };
            return self.numeric(RPL_CHANNELMODEIS, &[&channel, &modes]);
        };
        // Listing a mask list: `MODE #chan b` or `+b` or `I` with no mask.
        if message.params.len() == 2 && matches!(changes.trim_start_matches('+'), "b" | "I") {
            let invite_exceptions = changes.ends_with('I');
            self.request(
                Command::RoomMasks { room: slug },
                Pending::MaskList {
                    channel,
                    invite_exceptions,
                },
            );
            return;
        }
        let mut change = SetRoom {
            room: slug.clone(),
            ..SetRoom::default()
        };
        let mut other_requests = Vec::new();
        let mut adding = true;
        let mut args = message.params.iter().skip(2);
        for mode in changes.chars() {
            match mode {
                '+' => adding = true,
                '-' => adding = false,
                'm' => change.moderated = Some(adding),
                'i' => change.invite_only = Some(adding),
                'n' | 't' => {}
                'l' if adding => match args.next().and_then(|n| n.parse().ok()) {
                    Some(limit) => change.capacity = Some(limit),
                    None => {
                        return self
                            .numeric(ERR_NEEDMOREPARAMS, &["MODE", "Not enough parameters"]);
                    }
                },
                'l' => change.capacity = Some(0),
                'k' if adding => match args.next() {
                    Some(key) => change.key = Some(key.clone()),
                    None => {
                        return self
                            .numeric(ERR_NEEDMOREPARAMS, &["MODE", "Not enough parameters"]);
                    }
                },
                'k' => {
                    let _ = args.next();
                    change.key = Some(String::new());
                }
                'o' | 'v' => {
                    let Some(nick) = args.next() else {
                        return self
                            .numeric(ERR_NEEDMOREPARAMS, &["MODE", "Not enough parameters"]);
                    };
                    other_requests.push((
                        Command::Whois { nick: nick.clone() },
                        Pending::FindForRole {
                            channel: channel.clone(),
                            slug: slug.clone(),
                            nick: nick.clone(),
                            operator: mode == 'o',
                            adding,
                        },
                    ));
                }
                'b' | 'I' => {
                    let Some(mask) = args.next() else {
                        return self
                            .numeric(ERR_NEEDMOREPARAMS, &["MODE", "Not enough parameters"]);
                    };
                    let sign = if adding { '+' } else { '-' };
                    let command = if mode == 'b' {
                        Command::Ban {
                            room: slug.clone(),
                            mask: mask.clone(),
                            on: adding,
                        }
                    } else {
                        Command::InviteException {
                            room: slug.clone(),
                            mask: mask.clone(),
                            on: adding,
                        }
                    };
                    let pending = Pending::MaskSet {
                        channel: channel.clone(),
                        change: format!("{sign}{mode}"),
                        mask: mask.clone(),
                    };
                    other_requests.push((command, pending));
                }
                other => {
                    let other = other.to_string();
                    return self.numeric(ERR_UNKNOWNMODE, &[&other, "is unknown mode char to me"]);
                }
            }
        }
        let flags_changed = change.moderated.is_some()
            || change.capacity.is_some()
            || change.invite_only.is_some()
            || change.key.is_some();
        if flags_changed {
            self.request(Command::SetRoom(change), Pending::SetMode { channel });
        }
        for (command, pending) in other_requests {
            self.request(command, pending);
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
        self.render_event(event, pending);
        if let Some(label) = self.take_label() {
            self.wrap_labeled(start, &label);
        }
        self.drain_deferred();
    }

    // Conditions stay inside the arms: several have side effects, and every
    // event not handled here is deliberately ignored by the last arm.
    #[allow(clippy::collapsible_match)]
    fn render_event(&mut self, event: &Event, pending: Option<Pending>) {
        match (event, pending) {
            (Event::Error(error), Some(pending)) => self.on_refusal(error, pending),
            (Event::Error(error), None) => {
                let text = error.message_en.clone();
                self.notice(&text);
            }
            (Event::Entered { you, .. }, _) => self.welcome(you),
            (Event::Authenticated { account, .. }, _) => {
                self.account = Some(account.clone());
                let mask = render::mask(self.nick());
                self.numeric(
                    RPL_LOGGEDIN,
                    &[
                        &mask,
                        account,
                        &format!("You are now logged in as {account}"),
                    ],
                );
                self.numeric(RPL_SASLSUCCESS, &["SASL authentication successful"]);
            }
            (Event::AccountChanged { user, member }, _) => {
                if self.caps.account_notify && Some(user.id) != self.me {
                    let account = if *member { user.nick.as_str() } else { "*" };
                    self.line(Some(&render::mask(&user.nick)), "ACCOUNT", &[account]);
                }
            }
            (Event::Joined { room, members, .. }, _) => self.joined(room, members),
            (Event::Left { room, .. }, _) => {
                if self.channels.remove(room).is_some() {
                    let me = render::mask(self.nick());
                    self.line(Some(&me), "PART", &[&channel_name(room)]);
                }
            }
            (Event::MemberJoined { room, member }, _) => self.member_joined(room, member),
            // The hub sends it only to people who shared a room: one QUIT.
            (Event::MemberQuit { nick, .. }, _) => {
                self.line(Some(&render::mask(nick)), "QUIT", &["Quit"]);
            }
            (Event::MemberLeft { room, nick, .. }, _) => {
                if self.channels.contains_key(room) {
                    self.line(
                        Some(&render::mask(nick)),
                        "PART",
                        &[&channel_name(room), "Left"],
                    );
                }
            }
            (
                Event::MemberRole {
                    room,
                    nick,
                    previous,
                    role,
                    ..
                },
                _,
            ) => self.member_role(room, nick, *previous, *role),
            (Event::RoomMembers { room, members, .. }, Some(Pending::Names { .. })) => {
                self.names_of_members(room, members)
            }
            (Event::RoomUpdated { room }, _) => self.room_updated(room),
            (Event::Dm(message), pending) => {
                let notice = matches!(pending, Some(Pending::Dm { notice: true, .. }));
                self.dm(message, notice)
            }
            (Event::Sent { id, .. }, Some(Pending::Dm { .. })) => {
                // With echo-message the echo is the labeled response.
                if self.caps.echo_message
                    && let Some(label) = self.take_label()
                {
                    self.in_flight().echo_labels.push((id.0, label));
                }
            }
            (Event::UserInfo { user, rooms, .. }, Some(pending)) => {
                self.user_info(user, rooms, pending)
            }
            (Event::UserList { users, total, .. }, Some(pending)) => {
                self.user_list(users, *total, pending)
            }
            (Event::RoomList { rooms, .. }, Some(Pending::Topic { channel, slug })) => {
                match rooms.iter().find(|room| room.slug == slug) {
                    Some(room) => self.topic_numerics(&channel, room),
                    None => self.numeric(RPL_NOTOPIC, &[&channel, "No topic is set"]),
                }
            }
            (Event::RoomList { rooms, .. }, Some(Pending::List { filter })) => {
                let now = crate::render::now_ms();
                self.numeric(RPL_LISTSTART, &["Channel", "Users  Name"]);
                for room in rooms.iter().filter(|room| filter.accepts(room, now)) {
                    let topic = room.topic.clone();
                    self.numeric(
                        RPL_LIST,
                        &[&channel_name(&room.slug), &room.members.to_string(), &topic],
                    );
                }
                self.numeric(RPL_LISTEND, &["End of /LIST"]);
            }
            (Event::Ok { .. }, Some(pending)) => self.on_ok(pending),
            (
                Event::Kicked {
                    room,
                    user,
                    by,
                    reason,
                },
                _,
            ) => {
                if !self.channels.contains_key(room) {
                    return;
                }
                let name = channel_name(room);
                let reason = if reason.is_empty() {
                    by.nick.clone()
                } else {
                    reason.clone()
                };
                self.line(
                    Some(&render::mask(&by.nick)),
                    "KICK",
                    &[&name, &user.nick, &reason],
                );
                if Some(user.id) == self.me {
                    self.channels.remove(room);
                }
            }
            (Event::Invited { room, user, by }, _) => {
                if Some(user.id) == self.me || self.caps.invite_notify {
                    self.line(
                        Some(&render::mask(&by.nick)),
                        "INVITE",
                        &[&user.nick, &channel_name(room)],
                    );
                }
            }
            (Event::Away { user, message }, _) => {
                if self.caps.away_notify {
                    let source = render::mask(&user.nick);
                    match message {
                        Some(text) => self.line(Some(&source), "AWAY", &[text]),
                        None => self.line(Some(&source), "AWAY", &[]),
                    }
                }
            }
            (
                Event::RoomMasks {
                    bans,
                    invite_exceptions,
                    ..
                },
                Some(Pending::MaskList {
                    channel,
                    invite_exceptions: exceptions,
                }),
            ) => {
                let server = self.server().to_owned();
                let (masks, entry, end, end_text) = if exceptions {
                    (
                        invite_exceptions,
                        RPL_INVITELIST,
                        RPL_ENDOFINVITELIST,
                        "End of channel invite exception list",
                    )
                } else {
                    (
                        bans,
                        RPL_BANLIST,
                        RPL_ENDOFBANLIST,
                        "End of channel ban list",
                    )
                };
                for mask in masks {
                    self.numeric(entry, &[&channel, mask, &server]);
                }
                self.numeric(end, &[&channel, end_text]);
            }
            (Event::WhowasList { nick, entries, .. }, _) => {
                if entries.is_empty() {
                    self.numeric(ERR_WASNOSUCHNICK, &[nick, "There was no such nickname"]);
                }
                for entry in entries {
                    let realname = render::departure_realname(entry);
                    self.numeric(
                        RPL_WHOWASUSER,
                        &[&entry.nick, "~guest", render::HOST, "*", &realname],
                    );
                }
                self.numeric(RPL_ENDOFWHOWAS, &[nick, "End of WHOWAS"]);
            }
            (
                Event::History { messages, .. },
                Some(Pending::History {
                    channel,
                    after,
                    limit,
                }),
            ) => {
                let chosen: Vec<&RoomMessage> = messages
                    .iter()
                    .filter(|message| after.is_none_or(|after| message.id.0 > after))
                    .collect();
                let chosen = &chosen[chosen.len().saturating_sub(limit)..];
                let reference = self.batch_ref();
                let server = self.server().to_owned();
                self.line(
                    Some(&server),
                    "BATCH",
                    &[&format!("+{reference}"), "chathistory", &channel],
                );
                for message in chosen {
                    let lines = render::room_message_lines(message, true);
                    for line in lines.split_inclusive("\r\n") {
                        self.out
                            .push_str(&render::with_tag(line, &format!("batch={reference}")));
                    }
                }
                self.line(Some(&server), "BATCH", &[&format!("-{reference}")]);
            }
            (Event::Sanctioned(notice), _) => self.sanctioned(notice),
            (Event::SanctionRecorded { id, .. }, Some(Pending::Kill { nick })) => {
                self.notice(&format!(
                    "*** {nick} a été sorti du site / was removed from the site (sanction {id})"
                ));
            }
            (Event::Wallops { from, text }, _) => {
                self.line(Some(&render::mask(&from.nick)), "WALLOPS", &[text]);
            }
            (Event::Closing { message_en, .. }, _) => {
                let text = format!("Closing link: {message_en}");
                self.line(None, "ERROR", &[&text]);
                self.quit = true;
            }
            // Acknowledgements, directory counts and web-only signals say
            // nothing to an IRC client.
            _ => {}
        }
    }

    /// The statement of reasons of a sanction, in NOTICEs: French, then
    /// English, then how to appeal.
    fn sanctioned(&mut self, notice: &SanctionNotice) {
        let (fr, en) = match notice.kind {
            SanctionKind::Warning => ("Avertissement", "Warning"),
            SanctionKind::Mute => ("Vous êtes rendu muet", "You are muted"),
            SanctionKind::Kick => ("Vous êtes sorti du site", "You are removed from the site"),
            SanctionKind::Ban => ("Vous êtes banni du site", "You are banned from the site"),
        };
        let (until_fr, until_en) = sanction_end(notice.kind, notice.until);
        let id = notice.id;
        if notice.address {
            // Someone else's sanction on this address: it names nobody.
            let (fr, en) = match notice.kind {
                SanctionKind::Ban => ("bannie", "banned"),
                _ => ("restreinte", "restricted"),
            };
            self.notice(&format!(
                "*** Modération, sanction {id} : l'adresse de connexion que vous utilisez est {fr}{until_fr}."
            ));
            self.notice(&format!(
                "*** Moderation, sanction {id}: the address you connect from is {en}{until_en}."
            ));
        } else {
            let reason = notice.reason.clone();
            self.notice(&format!(
                "*** Modération, sanction {id} : {fr}{until_fr}. Motif : {reason}"
            ));
            self.notice(&format!(
                "*** Moderation, sanction {id}: {en}{until_en}. Reason: {reason}"
            ));
        }
        let appeal = notice.appeal.clone();
        self.notice(&format!("*** {appeal}"));
    }

    /// A request that succeeded with a plain `ok`.
    fn on_ok(&mut self, pending: Pending) {
        match pending {
            Pending::Away { away: true } => {
                self.numeric(RPL_NOWAWAY, &["You have been marked as being away"])
            }
            Pending::Away { away: false } => {
                self.numeric(RPL_UNAWAY, &["You are no longer marked as being away"])
            }
            Pending::MaskSet {
                channel,
                change,
                mask,
            } => {
                let me = render::mask(self.nick());
                self.line(Some(&me), "MODE", &[&channel, &change, &mask]);
            }
            Pending::Invite { channel, nick } => self.numeric(RPL_INVITING, &[&nick, &channel]),
            _ => {}
        }
    }

    fn joined(&mut self, room: &RoomSummary, members: &[RoomMember]) {
        let channel = channel_name(&room.slug);
        self.channels.insert(Channel {
            slug: room.slug.as_str().into(),
            topic_hash: topic_hash(&room.topic),
            flags: room.flags.clone(),
        });
        let me = render::mask(self.nick());
        if self.caps.extended_join {
            let account = self.account.clone().unwrap_or_else(|| "*".to_owned());
            let realname = self.profile.clone();
            self.line(Some(&me), "JOIN", &[&channel, &account, &realname]);
        } else {
            self.line(Some(&me), "JOIN", &[&channel]);
        }
        self.topic_numerics(&channel, room);
        self.names_of_members(&room.slug, members);
    }

    /// A room's topic as IRC tells it: 332 and 333, or 331 without one.
    fn topic_numerics(&mut self, channel: &str, room: &RoomSummary) {
        if room.topic.is_empty() {
            self.numeric(RPL_NOTOPIC, &[channel, "No topic is set"]);
        } else {
            self.numeric(RPL_TOPIC, &[channel, &room.topic]);
            if room.topic_at > 0 {
                let server = self.server().to_owned();
                self.numeric(
                    RPL_TOPICWHOTIME,
                    &[channel, &server, &(room.topic_at / 1000).to_string()],
                );
            }
        }
    }

    fn member_joined(&mut self, room: &str, member: &RoomMember) {
        if !self.channels.contains_key(room) {
            return;
        }
        let source = render::mask(&member.user.nick);
        if self.caps.extended_join {
            let realname = render::realname(&member.user);
            let account = render::account(&member.user);
            self.line(
                Some(&source),
                "JOIN",
                &[&channel_name(room), account, &realname],
            );
        } else {
            self.line(Some(&source), "JOIN", &[&channel_name(room)]);
        }
    }

    fn member_role(&mut self, room: &str, nick: &str, previous: RoomRole, role: RoomRole) {
        if !self.channels.contains_key(room) {
            return;
        }
        let change = match (previous, role) {
            (_, RoomRole::Voiced) => "+v",
            (RoomRole::Voiced, RoomRole::Member) => "-v",
            (_, RoomRole::Operator) => "+o",
            (RoomRole::Operator, _) => "-o",
            _ => return,
        };
        let server = self.server().to_owned();
        self.line(Some(&server), "MODE", &[&channel_name(room), change, nick]);
    }

    fn room_updated(&mut self, room: &RoomSummary) {
        let Some(channel) = self.channels.get_mut(&room.slug) else {
            return;
        };
        let hash = topic_hash(&room.topic);
        let topic_changed = channel.topic_hash != hash;
        let changes = render::mode_changes(&channel.flags, &room.flags);
        channel.topic_hash = hash;
        channel.flags = room.flags.clone();
        let server = self.server().to_owned();
        let name = channel_name(&room.slug);
        if topic_changed {
            self.line(Some(&server), "TOPIC", &[&name, &room.topic]);
        }
        {
            for change in changes {
                let mut params: Vec<&str> = vec![&name];
                params.extend(change.iter().map(String::as_str));
                self.line(Some(&server), "MODE", &params);
            }
        }
    }

    fn dm(&mut self, message: &tchatche_protocol::DirectMessage, notice: bool) {
        let from_me = Some(message.from.id) == self.me;
        if from_me && !self.caps.echo_message {
            return;
        }
        let command = if notice { "NOTICE" } else { "PRIVMSG" };
        let lines = render::dm_lines(message, command, self.caps.tagged());
        match self.take_echo_label(message.id.0).filter(|_| from_me) {
            Some(label) => {
                let mut tag = String::from("label=");
                crate::codec::escape_tag_value(&label, &mut tag);
                for line in lines.split_inclusive("\r\n") {
                    self.out.push_str(&render::with_tag(line, &tag));
                }
            }
            None => self.out.push_str(&lines),
        }
    }

    fn user_info(&mut self, user: &UserSummary, rooms: &[String], pending: Pending) {
        match pending {
            Pending::FindForKick {
                channel,
                slug,
                nick,
                reason,
            } => {
                if !rooms.contains(&slug) {
                    return self.numeric(
                        ERR_USERNOTINCHANNEL,
                        &[&nick, &channel, "They aren't on that channel"],
                    );
                }
                let nick = user.nick.clone();
                self.request(
                    Command::Kick {
                        room: slug,
                        user: user.id,
                        reason,
                    },
                    Pending::Kick { channel, nick },
                );
            }
            Pending::FindForRole {
                channel,
                slug,
                nick,
                operator,
                adding,
            } => {
                if !rooms.contains(&slug) {
                    return self.numeric(
                        ERR_USERNOTINCHANNEL,
                        &[&nick, &channel, "They aren't on that channel"],
                    );
                }
                let command = if operator {
                    Command::Op {
                        room: slug,
                        user: user.id,
                        on: adding,
                    }
                } else {
                    Command::Voice {
                        room: slug,
                        user: user.id,
                        on: adding,
                    }
                };
                self.request(command, Pending::SetMode { channel });
            }
            Pending::Whois { .. } => {
                let nick = user.nick.clone();
                let server = self.server().to_owned();
                let realname = render::realname(user);
                self.numeric(
                    RPL_WHOISUSER,
                    &[&nick, "~guest", render::HOST, "*", &realname],
                );
                if !rooms.is_empty() {
                    let list: Vec<String> = rooms.iter().map(|slug| channel_name(slug)).collect();
                    self.numeric(RPL_WHOISCHANNELS, &[&nick, &list.join(" ")]);
                }
                self.numeric(RPL_WHOISSERVER, &[&nick, &server, "tchatche"]);
                if user.member {
                    self.numeric(RPL_WHOISACCOUNT, &[&nick, &nick, "is logged in as"]);
                }
                if let Some(role) = user.staff {
                    self.numeric(
                        RPL_WHOISOPERATOR,
                        &[&nick, &format!("is {}", staff_title(role))],
                    );
                }
                if let Some(away) = user.away.clone() {
                    self.numeric(RPL_AWAY, &[&nick, &away]);
                }
                self.numeric(
                    RPL_WHOISIDLE,
                    &[&nick, &user.idle_secs.to_string(), "seconds idle"],
                );
                self.numeric(RPL_ENDOFWHOIS, &[&nick, "End of /WHOIS list"]);
            }
            Pending::FindForInvite { channel, .. } => {
                let Some(slug) = slug_of(&channel) else {
                    return;
                };
                let nick = user.nick.clone();
                self.request(
                    Command::Invite {
                        room: slug,
                        user: user.id,
                    },
                    Pending::Invite { channel, nick },
                );
            }
            Pending::WhoNick { mask } => {
                self.who_line("*", user);
                self.numeric(RPL_ENDOFWHO, &[&mask, "End of WHO list"]);
            }
            _ => {}
        }
    }

    fn who_line(&mut self, channel: &str, user: &UserSummary) {
        let server = self.server().to_owned();
        let flags = if user.away.is_some() { "G" } else { "H" };
        let realname = format!("0 {}", render::realname(user));
        self.numeric(
            RPL_WHOREPLY,
            &[
                channel,
                "~guest",
                render::HOST,
                &server,
                &user.nick,
                flags,
                &realname,
            ],
        );
    }

    fn user_list(&mut self, users: &[UserSummary], total: u32, pending: Pending) {
        match pending {
            Pending::Names { channel } => {
                let entries = users
                    .iter()
                    .map(|u| self.name_entry(&u.nick, RoomRole::Member))
                    .collect();
                self.names_reply(&channel, entries);
            }
            Pending::WhoChannel { channel } => {
                for user in users {
                    self.who_line(&channel, user);
                }
                self.numeric(RPL_ENDOFWHO, &[&channel, "End of WHO list"]);
            }
            Pending::Lusers => {
                self.numeric(
                    RPL_LUSERCLIENT,
                    &[&format!(
                        "There are {total} users and 0 invisible on 1 servers"
                    )],
                );
                self.numeric(
                    RPL_LUSERME,
                    &[&format!("I have {total} clients and 0 servers")],
                );
            }
            _ => {}
        }
    }

    /// Turns a hub refusal into the numeric the IRC client expects.
    fn on_refusal(&mut self, error: &ErrorEvent, pending: Pending) {
        let text = error.message_en.clone();
        let code = error.code;
        match pending {
            Pending::Sasl => match code {
                ErrorCode::AlreadyEntered => self.numeric(
                    ERR_SASLALREADY,
                    &["You have already authenticated using SASL"],
                ),
                _ => self.numeric(
                    ERR_SASLFAIL,
                    &[&format!("SASL authentication failed: {text}")],
                ),
            },
            Pending::Enter => {
                self.stage = Stage::Registering;
                if let Some(in_flight) = self.in_flight.as_deref_mut() {
                    in_flight.deferred.clear();
                }
                let nick = self.nick().to_owned();
                match code {
                    // A member's nickname without SASL or PASS: like a nickname
                    // in use, so the client can pick another, with the reason.
                    ErrorCode::PasswordRequired => {
                        self.nick = None;
                        self.numeric(ERR_NICKNAMEINUSE, &[&nick, &text]);
                    }
                    ErrorCode::WrongPassword
                    | ErrorCode::WrongRecoveryCode
                    | ErrorCode::AccountNotFound
                    | ErrorCode::TooManyAttempts => {
                        self.numeric(ERR_PASSWDMISMATCH, &[&text]);
                        self.line(None, "ERROR", &[&format!("Closing link: {text}")]);
                        self.quit = true;
                    }
                    ErrorCode::NicknameTaken => {
                        self.nick = None;
                        self.numeric(ERR_NICKNAMEINUSE, &[&nick, &text]);
                    }
                    ErrorCode::NicknameInvalid
                    | ErrorCode::NicknameReserved
                    | ErrorCode::NicknameOffensive => {
                        self.nick = None;
                        self.numeric(ERR_ERRONEUSNICKNAME, &[&nick, &text]);
                    }
                    ErrorCode::Banned | ErrorCode::AddressBanned => {
                        let until_ms = error
                            .retry_after_ms
                            .map(|wait| render::now_ms().saturating_add(wait));
                        let (until_fr, until) = sanction_end(SanctionKind::Ban, until_ms);
                        let english = text.trim_end_matches('.');
                        let french = error.message_fr.trim_end_matches('.').to_owned();
                        // An address ban is someone else's: no reason is given.
                        match error.detail.clone().filter(|_| code == ErrorCode::Banned) {
                            Some(reason) => {
                                self.numeric(
                                    ERR_YOUREBANNEDCREEP,
                                    &[&format!("{english}{until}. Reason: {reason}")],
                                );
                                self.notice(&format!("{french}{until_fr}. Motif : {reason}"));
                            }
                            None => {
                                self.numeric(
                                    ERR_YOUREBANNEDCREEP,
                                    &[&format!("{english}{until}.")],
                                );
                                self.notice(&format!("{french}{until_fr}."));
                            }
                        }
                        self.line(None, "ERROR", &[&format!("Closing link: {text}")]);
                        self.quit = true;
                    }
                    _ => {
                        let french = error.message_fr.clone();
                        self.notice(&french);
                        self.notice(&text);
                        self.notice(PROFILE_HELP_FR);
                        self.line(None, "ERROR", &[&format!("Closing link: {text}")]);
                        self.quit = true;
                    }
                }
            }
            Pending::Join { channel } => match code {
                ErrorCode::RoomFull => self.numeric(ERR_CHANNELISFULL, &[&channel, &text]),
                ErrorCode::BannedFromRoom => self.numeric(ERR_BANNEDFROMCHAN, &[&channel, &text]),
                ErrorCode::InviteOnly => self.numeric(ERR_INVITEONLYCHAN, &[&channel, &text]),
                ErrorCode::TooManyRooms => self.numeric(ERR_TOOMANYCHANNELS, &[&channel, &text]),
                ErrorCode::RoomRegisteredOnly => {
                    self.numeric(ERR_NEEDREGGEDNICK, &[&channel, &text])
                }
                ErrorCode::AlreadyInRoom => {}
                ErrorCode::BadRoomKey => self.numeric(ERR_BADCHANNELKEY, &[&channel, &text]),
                // A name that cannot be a room, a mute, or another refusal
                // of the creation.
                _ => self.numeric(ERR_NOSUCHCHANNEL, &[&channel, &text]),
            },
            Pending::Part { channel } => match code {
                ErrorCode::NotInRoom => {
                    self.numeric(ERR_NOTONCHANNEL, &[&channel, "You're not on that channel"])
                }
                _ => self.numeric(ERR_NOSUCHCHANNEL, &[&channel, &text]),
            },
            Pending::Say { channel, notice } => {
                if notice {
                    return;
                }
                match code {
                    ErrorCode::RoomNotFound => self.numeric(ERR_NOSUCHCHANNEL, &[&channel, &text]),
                    ErrorCode::MessageTooLong => self.numeric(ERR_INPUTTOOLONG, &[&text]),
                    _ => self.numeric(ERR_CANNOTSENDTOCHAN, &[&channel, &text]),
                }
            }
            Pending::Dm { nick, notice } => {
                if notice {
                    return;
                }
                match code {
                    ErrorCode::UserNotFound => {
                        self.numeric(ERR_NOSUCHNICK, &[&nick, "No such nick/channel"])
                    }
                    ErrorCode::DmRefused => self.numeric(ERR_TARGUMODEG, &[&nick, &text]),
                    _ => self.numeric(ERR_CANNOTSENDTOCHAN, &[&nick, &text]),
                }
            }
            Pending::Whois { nick } => {
                self.numeric(ERR_NOSUCHNICK, &[&nick, "No such nick/channel"]);
                self.numeric(RPL_ENDOFWHOIS, &[&nick, "End of /WHOIS list"]);
            }
            Pending::WhoNick { mask } => self.numeric(RPL_ENDOFWHO, &[&mask, "End of WHO list"]),
            Pending::WhoChannel { channel } => {
                self.numeric(RPL_ENDOFWHO, &[&channel, "End of WHO list"])
            }
            Pending::Names { channel } => {
                self.numeric(RPL_ENDOFNAMES, &[&channel, "End of /NAMES list"])
            }
            Pending::SetTopic { channel } | Pending::SetMode { channel } => match code {
                ErrorCode::NotOperator => self.numeric(
                    ERR_CHANOPRIVSNEEDED,
                    &[&channel, "You're not channel operator"],
                ),
                ErrorCode::NotInRoom => {
                    self.numeric(ERR_NOTONCHANNEL, &[&channel, "You're not on that channel"])
                }
                ErrorCode::RoomNotFound => {
                    self.numeric(ERR_NOSUCHCHANNEL, &[&channel, "No such channel"])
                }
                _ => self.numeric(ERR_UNKNOWNERROR, &[&channel, &text]),
            },
            Pending::List { .. } => self.numeric(RPL_LISTEND, &["End of /LIST"]),
            Pending::Topic { channel, .. } => self.numeric(ERR_UNKNOWNERROR, &[&channel, &text]),
            Pending::Kick { channel, nick } => match code {
                ErrorCode::NotOperator => self.numeric(
                    ERR_CHANOPRIVSNEEDED,
                    &[&channel, "You're not channel operator"],
                ),
                ErrorCode::NotInRoom => {
                    self.numeric(ERR_NOTONCHANNEL, &[&channel, "You're not on that channel"])
                }
                _ => self.numeric(
                    ERR_USERNOTINCHANNEL,
                    &[&nick, &channel, "They aren't on that channel"],
                ),
            },
            Pending::FindForKick { nick, .. }
            | Pending::FindForRole { nick, .. }
            | Pending::FindForInvite { nick, .. } => {
                self.numeric(ERR_NOSUCHNICK, &[&nick, "No such nick/channel"])
            }
            Pending::Invite { channel, nick } => match code {
                ErrorCode::NotOperator => self.numeric(
                    ERR_CHANOPRIVSNEEDED,
                    &[&channel, "You're not channel operator"],
                ),
                ErrorCode::NotInRoom => {
                    self.numeric(ERR_NOTONCHANNEL, &[&channel, "You're not on that channel"])
                }
                ErrorCode::AlreadyInRoom => self.numeric(
                    ERR_USERONCHANNEL,
                    &[&nick, &channel, "is already on channel"],
                ),
                ErrorCode::UserNotFound => {
                    self.numeric(ERR_NOSUCHNICK, &[&nick, "No such nick/channel"])
                }
                _ => self.numeric(ERR_NOSUCHCHANNEL, &[&channel, &text]),
            },
            Pending::MaskSet { channel, .. } | Pending::MaskList { channel, .. } => match code {
                ErrorCode::NotOperator => self.numeric(
                    ERR_CHANOPRIVSNEEDED,
                    &[&channel, "You're not channel operator"],
                ),
                ErrorCode::NotInRoom => {
                    self.numeric(ERR_NOTONCHANNEL, &[&channel, "You're not on that channel"])
                }
                _ => self.numeric(ERR_UNKNOWNERROR, &[&channel, &text]),
            },
            Pending::Away { .. } => self.numeric(ERR_UNKNOWNERROR, &["AWAY", &text]),
            Pending::Whowas { nick } => self.numeric(RPL_ENDOFWHOWAS, &[&nick, "End of WHOWAS"]),
            Pending::History { channel, .. } => {
                let server = self.server().to_owned();
                let code = if code == ErrorCode::NotInRoom || code == ErrorCode::RoomNotFound {
                    "INVALID_TARGET"
                } else {
                    "MESSAGE_ERROR"
                };
                self.line(
                    Some(&server),
                    "FAIL",
                    &["CHATHISTORY", code, &channel, &text],
                );
            }
            Pending::Lusers => self.notice(&text),
            Pending::Kill { nick } => match code {
                ErrorCode::NotStaff | ErrorCode::TargetIsStaff => {
                    self.numeric(ERR_NOPRIVILEGES, &[&format!("Permission Denied - {text}")])
                }
                ErrorCode::UserNotFound => {
                    self.numeric(ERR_NOSUCHNICK, &[&nick, "No such nick/channel"])
                }
                _ => self.numeric(ERR_UNKNOWNERROR, &["KILL", &text]),
            },
            Pending::Wallops => match code {
                ErrorCode::NotStaff => self.numeric(
                    ERR_NOPRIVILEGES,
                    &["Permission Denied - only staff may send WALLOPS"],
                ),
                _ => self.numeric(ERR_UNKNOWNERROR, &["WALLOPS", &text]),
            },
        }
    }

    /// Whether a room message should be written to this client: everything
    /// except its own messages, unless it asked for echo-message.
    pub fn wants_room_message(&self, message: &RoomMessage) -> bool {
        Some(message.author.id) != self.me || self.caps.echo_message
    }
}
