//! Channels: JOIN, PART, TOPIC, NAMES, LIST (with its ELIST filters), KICK
//! and INVITE, with their answers and refusals; the news of the rooms the
//! client is in (joins, parts, kicks, invitations, topic and flag changes);
//! and the little the session keeps of each channel to tell those changes.

use tchatche_protocol::{
    Author, Command, ErrorCode, ErrorEvent, Event, RoomFlags, RoomMember, RoomRole, RoomSummary,
    SetRoom, UserQuery,
};
use tchatche_safety::names::wildcard_match;

use crate::codec::Message;
use crate::numeric::*;
use crate::render;

use super::{Session, channel_name, slug_of};
use tchatche_protocol::{PeopleCommand, RoomAdminCommand, RoomCommand};

/// Channel commands' requests to the hub.
#[derive(Clone, Debug)]
pub(crate) enum Pending {
    Join {
        channel: String,
    },
    Part {
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
    /// KICK by nickname: finding who it is first.
    FindForKick {
        channel: String,
        slug: String,
        nick: String,
        reason: Option<String>,
    },
    Kick {
        channel: String,
        nick: String,
    },
    /// INVITE by nickname: finding who it is first.
    FindForInvite {
        channel: String,
        nick: String,
    },
    Invite {
        channel: String,
        nick: String,
    },
}

/// A channel the client is in, as the gateway tracks it: what it needs to
/// tell a change of topic or modes from the room's updates.
#[derive(Clone, Debug)]
pub(crate) struct Channel {
    pub slug: Box<str>,
    /// A hash of the topic, not the topic: every member of a room would keep
    /// a copy of the same line. A TOPIC query asks the hub.
    pub topic_hash: u64,
    pub flags: RoomFlags,
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

/// ELIST filters of a LIST command.
#[derive(Clone, Debug, Default)]
pub(crate) struct ListFilter {
    channels: Vec<String>,
    /// A channel mask with `*` and `?`, matched without regard to case.
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
    /// The filters of LIST's parameters, each a comma-separated list.
    fn parse(params: &[String]) -> ListFilter {
        let mut filter = ListFilter::default();
        for param in params {
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
        filter
    }

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
        let name = channel_name(&room.slug);
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

/// The prefix of someone's standing in NAMES (`PREFIX=(ov)@+`).
fn prefix_for(role: RoomRole) -> &'static str {
    match role {
        RoomRole::Operator => "@",
        RoomRole::Voiced => "+",
        RoomRole::Member => "",
    }
}

impl Session {
    pub(super) fn join(&mut self, message: &Message) {
        let Some(targets) = message.param(0) else {
            return self.need_more_params("JOIN");
        };
        if targets == "0" {
            for slug in self.channels.slugs().map(str::to_owned).collect::<Vec<_>>() {
                self.leave(slug);
            }
            return;
        }
        let mut keys = message.param(1).unwrap_or("").split(',');
        for channel in targets.split(',').filter(|c| !c.is_empty()) {
            let key = keys.next().filter(|key| !key.is_empty()).map(str::to_owned);
            let Some(slug) = slug_of(channel) else {
                self.no_such_channel(channel, "No such channel");
                continue;
            };
            if self.channels.contains_key(&slug) {
                continue;
            }
            // IRC users expect JOIN to create a missing channel: the hub
            // does both in one step, so that clients joining a new channel
            // at once all end up in it.
            self.request(
                Command::Room(RoomCommand::Join {
                    room: slug.clone(),
                    key,
                    create: Some(true),
                }),
                Pending::Join {
                    channel: channel_name(&slug),
                },
            );
        }
    }

    pub(super) fn part(&mut self, message: &Message) {
        let Some(targets) = message.param(0) else {
            return self.need_more_params("PART");
        };
        for channel in targets.split(',').filter(|c| !c.is_empty()) {
            match slug_of(channel) {
                Some(slug) => self.leave(slug),
                None => self.no_such_channel(channel, "No such channel"),
            }
        }
    }

    fn leave(&mut self, slug: String) {
        let channel = channel_name(&slug);
        self.request(
            Command::Room(RoomCommand::Leave { room: slug }),
            Pending::Part { channel },
        );
    }

    pub(super) fn topic(&mut self, message: &Message) {
        let Some(channel) = message.param(0) else {
            return self.need_more_params("TOPIC");
        };
        let Some(slug) = slug_of(channel) else {
            return self.no_such_channel(channel, "No such channel");
        };
        let channel = channel_name(&slug);
        match message.param(1) {
            Some(topic) => {
                let change = SetRoom {
                    room: slug,
                    topic: Some(topic.to_owned()),
                    ..SetRoom::default()
                };
                self.request(
                    Command::RoomAdmin(RoomAdminCommand::SetRoom(change)),
                    Pending::SetTopic { channel },
                );
            }
            None if self.channels.contains_key(&slug) => {
                self.request(
                    Command::Room(RoomCommand::ListRooms {}),
                    Pending::Topic { channel, slug },
                );
            }
            None => self.not_on_channel(&channel),
        }
    }

    pub(super) fn names(&mut self, message: &Message) {
        let Some(targets) = message.param(0) else {
            return self.end_of_names("*");
        };
        for channel in targets.split(',').filter(|c| !c.is_empty()) {
            let Some(slug) = slug_of(channel) else {
                self.end_of_names(channel);
                continue;
            };
            let command = if self.channels.contains_key(&slug) {
                // The hub keeps the member list; sessions keep none.
                Command::Room(RoomCommand::RoomMembers { room: slug.clone() })
            } else {
                Command::People(PeopleCommand::Users(UserQuery {
                    room: Some(slug.clone()),
                    page_size: Some(200),
                    ..UserQuery::default()
                }))
            };
            self.request(
                command,
                Pending::Names {
                    channel: channel_name(&slug),
                },
            );
        }
    }

    pub(super) fn list(&mut self, message: &Message) {
        let filter = ListFilter::parse(&message.params);
        self.request(
            Command::Room(RoomCommand::ListRooms {}),
            Pending::List { filter },
        );
    }

    pub(super) fn kick(&mut self, message: &Message) {
        let (Some(channel), Some(nicks)) = (message.param(0), message.param(1)) else {
            return self.need_more_params("KICK");
        };
        let Some(slug) = slug_of(channel) else {
            return self.no_such_channel(channel, "No such channel");
        };
        let channel = channel_name(&slug);
        if !self.channels.contains_key(&slug) {
            return self.not_on_channel(&channel);
        }
        let reason = message.param(2).map(str::to_owned);
        for nick in nicks.split(',').filter(|n| !n.is_empty()) {
            self.request(
                Command::People(PeopleCommand::Whois {
                    nick: nick.to_owned(),
                }),
                Pending::FindForKick {
                    channel: channel.clone(),
                    slug: slug.clone(),
                    nick: nick.to_owned(),
                    reason: reason.clone(),
                },
            );
        }
    }

    pub(super) fn invite(&mut self, message: &Message) {
        let (Some(nick), Some(channel)) = (message.param(0), message.param(1)) else {
            return self.need_more_params("INVITE");
        };
        let Some(slug) = slug_of(channel) else {
            return self.no_such_channel(channel, "No such channel");
        };
        let nick = nick.to_owned();
        self.request(
            Command::People(PeopleCommand::Whois { nick: nick.clone() }),
            Pending::FindForInvite {
                channel: channel_name(&slug),
                nick,
            },
        );
    }

    fn end_of_names(&mut self, channel: &str) {
        self.numeric(RPL_ENDOFNAMES, &[channel, "End of /NAMES list"]);
    }

    fn name_entry(&self, nick: &str, role: RoomRole) -> String {
        let prefix = prefix_for(role);
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
        self.end_of_names(channel);
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

    fn list_reply(&mut self, rooms: &[RoomSummary], filter: &ListFilter) {
        let now = render::now_ms();
        self.numeric(RPL_LISTSTART, &["Channel", "Users  Name"]);
        for room in rooms.iter().filter(|room| filter.accepts(room, now)) {
            self.numeric(
                RPL_LIST,
                &[
                    &channel_name(&room.slug),
                    &room.members.to_string(),
                    &room.topic,
                ],
            );
        }
        self.numeric(RPL_LISTEND, &["End of /LIST"]);
    }

    /// `joined`: JOIN (extended with account and real name if asked), the
    /// topic and the names.
    pub(super) fn joined(&mut self, room: &RoomSummary, members: &[RoomMember]) {
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

    pub(super) fn left(&mut self, room: &str) {
        if self.channels.remove(room).is_some() {
            let me = render::mask(self.nick());
            self.line(Some(&me), "PART", &[&channel_name(room)]);
        }
    }

    pub(super) fn member_joined(&mut self, room: &str, member: &RoomMember) {
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

    pub(super) fn member_left(&mut self, room: &str, nick: &str) {
        if self.channels.contains_key(room) {
            self.line(
                Some(&render::mask(nick)),
                "PART",
                &[&channel_name(room), "Left"],
            );
        }
    }

    pub(super) fn kicked(&mut self, room: &str, user: &Author, by: &Author, reason: &str) {
        if !self.channels.contains_key(room) {
            return;
        }
        let reason = if reason.is_empty() { &by.nick } else { reason };
        self.line(
            Some(&render::mask(&by.nick)),
            "KICK",
            &[&channel_name(room), &user.nick, reason],
        );
        if Some(user.id) == self.me {
            self.channels.remove(room);
        }
    }

    pub(super) fn invited(&mut self, room: &str, user: &Author, by: &Author) {
        if Some(user.id) == self.me || self.caps.invite_notify {
            self.line(
                Some(&render::mask(&by.nick)),
                "INVITE",
                &[&user.nick, &channel_name(room)],
            );
        }
    }

    /// `room_updated`: TOPIC and MODE lines for what changed in a channel
    /// the client is in.
    pub(super) fn room_updated(&mut self, room: &RoomSummary) {
        let Some(channel) = self.channels.get_mut(&room.slug) else {
            return;
        };
        let hash = topic_hash(&room.topic);
        let topic_changed = channel.topic_hash != hash;
        let changes = render::mode_changes(&channel.flags, &room.flags);
        channel.topic_hash = hash;
        channel.flags = room.flags.clone();
        let name = channel_name(&room.slug);
        if topic_changed {
            self.server_line("TOPIC", &[&name, &room.topic]);
        }
        for change in changes {
            let mut params: Vec<&str> = vec![&name];
            params.extend(change.iter().map(String::as_str));
            self.server_line("MODE", &params);
        }
    }

    pub(super) fn channels_answer(&mut self, event: &Event, pending: Pending) -> bool {
        match (event, pending) {
            (Event::RoomMembers { room, members, .. }, Pending::Names { .. }) => {
                self.names_of_members(room, members)
            }
            (Event::UserList { users, .. }, Pending::Names { channel }) => {
                let entries = users
                    .iter()
                    .map(|user| self.name_entry(&user.nick, RoomRole::Member))
                    .collect();
                self.names_reply(&channel, entries);
            }
            (Event::RoomList { rooms, .. }, Pending::Topic { channel, slug }) => {
                match rooms.iter().find(|room| room.slug == slug) {
                    Some(room) => self.topic_numerics(&channel, room),
                    None => self.numeric(RPL_NOTOPIC, &[&channel, "No topic is set"]),
                }
            }
            (Event::RoomList { rooms, .. }, Pending::List { filter }) => {
                self.list_reply(rooms, &filter)
            }
            // The person to kick or invite was found: now the request itself.
            (
                Event::UserInfo { user, rooms, .. },
                Pending::FindForKick {
                    channel,
                    slug,
                    nick,
                    reason,
                },
            ) => {
                if !rooms.contains(&slug) {
                    self.they_are_not_on_channel(&nick, &channel);
                } else {
                    let kick = Command::RoomAdmin(RoomAdminCommand::Kick {
                        room: slug,
                        user: user.id,
                        reason,
                    });
                    let nick = user.nick.clone();
                    self.request(kick, Pending::Kick { channel, nick });
                }
            }
            (Event::UserInfo { user, .. }, Pending::FindForInvite { channel, .. }) => {
                if let Some(slug) = slug_of(&channel) {
                    let invite = Command::RoomAdmin(RoomAdminCommand::Invite {
                        room: slug,
                        user: user.id,
                    });
                    let nick = user.nick.clone();
                    self.request(invite, Pending::Invite { channel, nick });
                }
            }
            (Event::Ok { .. }, Pending::Invite { channel, nick }) => {
                self.numeric(RPL_INVITING, &[&nick, &channel])
            }
            _ => return false,
        }
        true
    }

    pub(super) fn channels_refused(&mut self, error: &ErrorEvent, pending: Pending) {
        let text = &error.message_en;
        let code = error.code;
        match pending {
            Pending::Join { channel } => match code {
                ErrorCode::RoomFull => self.numeric(ERR_CHANNELISFULL, &[&channel, text]),
                ErrorCode::BannedFromRoom => self.numeric(ERR_BANNEDFROMCHAN, &[&channel, text]),
                ErrorCode::InviteOnly => self.numeric(ERR_INVITEONLYCHAN, &[&channel, text]),
                ErrorCode::TooManyRooms => self.numeric(ERR_TOOMANYCHANNELS, &[&channel, text]),
                ErrorCode::RoomRegisteredOnly => {
                    self.numeric(ERR_NEEDREGGEDNICK, &[&channel, text])
                }
                ErrorCode::AlreadyInRoom => {}
                ErrorCode::BadRoomKey => self.numeric(ERR_BADCHANNELKEY, &[&channel, text]),
                // A name that cannot be a room, a mute, or another refusal
                // of the creation.
                _ => self.no_such_channel(&channel, text),
            },
            Pending::Part { channel } => match code {
                ErrorCode::NotInRoom => self.not_on_channel(&channel),
                _ => self.no_such_channel(&channel, text),
            },
            Pending::Names { channel } => self.end_of_names(&channel),
            Pending::List { .. } => self.numeric(RPL_LISTEND, &["End of /LIST"]),
            Pending::Topic { channel, .. } => self.unknown_error(&channel, text),
            Pending::SetTopic { channel } => self.room_change_refused(error, &channel),
            Pending::Kick { channel, nick } => match code {
                ErrorCode::NotOperator => self.not_channel_operator(&channel),
                ErrorCode::NotInRoom => self.not_on_channel(&channel),
                _ => self.they_are_not_on_channel(&nick, &channel),
            },
            Pending::FindForKick { nick, .. } | Pending::FindForInvite { nick, .. } => {
                self.no_such_nick(&nick)
            }
            Pending::Invite { channel, nick } => match code {
                ErrorCode::NotOperator => self.not_channel_operator(&channel),
                ErrorCode::NotInRoom => self.not_on_channel(&channel),
                ErrorCode::AlreadyInRoom => self.numeric(
                    ERR_USERONCHANNEL,
                    &[&nick, &channel, "is already on channel"],
                ),
                ErrorCode::UserNotFound => self.no_such_nick(&nick),
                _ => self.no_such_channel(&channel, text),
            },
        }
    }
}
