//! MODE: the client's own user modes (+i always, +o for staff), a channel's
//! flags (+m, +i, +k, +l), its ban and invite-exception masks (+b, +I, and
//! their lists), and standings (+o, +v, which need the person found first);
//! with their answers and refusals, and MODE lines for changes of standing.

use tchatche_protocol::{Command, ErrorCode, ErrorEvent, Event, RoomRole, SetRoom};

use crate::codec::Message;
use crate::numeric::*;
use crate::render;

use super::{Session, channel_name, slug_of};
use tchatche_protocol::{PeopleCommand, RoomAdminCommand};

/// Mode changes' requests to the hub.
#[derive(Clone, Debug)]
pub(crate) enum Pending {
    /// Flags, or a standing once the person is found.
    SetMode { channel: String },
    /// MODE +o/+v by nickname: finding who it is first.
    FindForRole {
        channel: String,
        slug: String,
        nick: String,
        operator: bool,
        adding: bool,
    },
    /// A ban or invite exception added or removed: `change` is `+b`, `-I`…
    MaskSet {
        channel: String,
        change: String,
        mask: String,
    },
    MaskList {
        channel: String,
        invite_exceptions: bool,
    },
}

impl Session {
    pub(super) fn mode(&mut self, message: &Message) {
        let Some(target) = message.param(0) else {
            return self.need_more_params("MODE");
        };
        match slug_of(target) {
            Some(slug) => self.channel_mode(message, slug),
            None => self.user_mode(message, target),
        }
    }

    /// Everyone is invisible here (WHO never lists people by mask), so +i is
    /// accepted and always on; other user modes do not exist.
    fn user_mode(&mut self, message: &Message, target: &str) {
        if !target.eq_ignore_ascii_case(self.nick()) {
            return self.numeric(ERR_USERSDONTMATCH, &["Cant change mode for other users"]);
        }
        match message.param(1) {
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
        }
    }

    fn channel_mode(&mut self, message: &Message, slug: String) {
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
                Command::RoomAdmin(RoomAdminCommand::RoomMasks { room: slug }),
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
        // Nothing is sent unless every change is understood.
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
                    None => return self.need_more_params("MODE"),
                },
                'l' => change.capacity = Some(0),
                'k' if adding => match args.next() {
                    Some(key) => change.key = Some(key.clone()),
                    None => return self.need_more_params("MODE"),
                },
                'k' => {
                    let _ = args.next();
                    change.key = Some(String::new());
                }
                'o' | 'v' => {
                    let Some(nick) = args.next() else {
                        return self.need_more_params("MODE");
                    };
                    other_requests.push((
                        Command::People(PeopleCommand::Whois { nick: nick.clone() }),
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
                        return self.need_more_params("MODE");
                    };
                    let sign = if adding { '+' } else { '-' };
                    let command = if mode == 'b' {
                        Command::RoomAdmin(RoomAdminCommand::Ban {
                            room: slug.clone(),
                            mask: mask.clone(),
                            on: adding,
                        })
                    } else {
                        Command::RoomAdmin(RoomAdminCommand::InviteException {
                            room: slug.clone(),
                            mask: mask.clone(),
                            on: adding,
                        })
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
            self.request(
                Command::RoomAdmin(RoomAdminCommand::SetRoom(change)),
                Pending::SetMode { channel },
            );
        }
        for (command, pending) in other_requests {
            self.request(command, pending);
        }
    }

    /// `member_role`: a MODE line for someone's new standing in a channel
    /// the client is in.
    pub(super) fn member_role(
        &mut self,
        room: &str,
        nick: &str,
        previous: RoomRole,
        role: RoomRole,
    ) {
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
        self.server_line("MODE", &[&channel_name(room), change, nick]);
    }

    fn mask_list(&mut self, channel: &str, masks: &[String], invite_exceptions: bool) {
        let server = self.server().to_owned();
        let (entry, end, end_text) = if invite_exceptions {
            (
                RPL_INVITELIST,
                RPL_ENDOFINVITELIST,
                "End of channel invite exception list",
            )
        } else {
            (RPL_BANLIST, RPL_ENDOFBANLIST, "End of channel ban list")
        };
        for mask in masks {
            self.numeric(entry, &[channel, mask, &server]);
        }
        self.numeric(end, &[channel, end_text]);
    }

    pub(super) fn modes_answer(&mut self, event: &Event, pending: Pending) -> bool {
        match (event, pending) {
            (
                Event::UserInfo { user, rooms, .. },
                Pending::FindForRole {
                    channel,
                    slug,
                    nick,
                    operator,
                    adding,
                },
            ) => {
                if !rooms.contains(&slug) {
                    self.they_are_not_on_channel(&nick, &channel);
                    return true;
                }
                let (room, user, on) = (slug, user.id, adding);
                let command = if operator {
                    Command::RoomAdmin(RoomAdminCommand::Op { room, user, on })
                } else {
                    Command::RoomAdmin(RoomAdminCommand::Voice { room, user, on })
                };
                self.request(command, Pending::SetMode { channel });
            }
            (
                Event::Ok { .. },
                Pending::MaskSet {
                    channel,
                    change,
                    mask,
                },
            ) => {
                let me = render::mask(self.nick());
                self.line(Some(&me), "MODE", &[&channel, &change, &mask]);
            }
            (
                Event::RoomMasks {
                    bans,
                    invite_exceptions,
                    ..
                },
                Pending::MaskList {
                    channel,
                    invite_exceptions: exceptions,
                },
            ) => {
                let masks = if exceptions { invite_exceptions } else { bans };
                self.mask_list(&channel, masks, exceptions);
            }
            _ => return false,
        }
        true
    }

    pub(super) fn modes_refused(&mut self, error: &ErrorEvent, pending: Pending) {
        match pending {
            Pending::SetMode { channel } => self.room_change_refused(error, &channel),
            Pending::FindForRole { nick, .. } => self.no_such_nick(&nick),
            Pending::MaskSet { channel, .. } | Pending::MaskList { channel, .. } => {
                match error.code {
                    ErrorCode::NotOperator => self.not_channel_operator(&channel),
                    ErrorCode::NotInRoom => self.not_on_channel(&channel),
                    _ => self.unknown_error(&channel, &error.message_en),
                }
            }
        }
    }
}
