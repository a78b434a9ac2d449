//! People: WHO, WHOIS, WHOWAS, AWAY and LUSERS, with their answers and
//! refusals, and the news of people (someone's QUIT, ACCOUNT with
//! account-notify, AWAY with away-notify).

use tchatche_protocol::{Author, Command, Departure, ErrorEvent, Event, UserQuery, UserSummary};

use crate::codec::Message;
use crate::numeric::*;
use crate::render;

use super::staff::staff_title;
use super::{Session, channel_name, slug_of};
use tchatche_protocol::PeopleCommand;

/// People's requests to the hub.
#[derive(Clone, Debug)]
pub(crate) enum Pending {
    Whois {
        nick: String,
    },
    /// WHO of one nickname (a WHOIS to the hub).
    WhoNick {
        mask: String,
    },
    WhoChannel {
        channel: String,
    },
    Whowas {
        nick: String,
    },
    Away {
        away: bool,
    },
    Lusers,
}

impl Session {
    pub(super) fn who(&mut self, message: &Message) {
        let mask = message.param(0).unwrap_or("*").to_owned();
        if let Some(slug) = slug_of(&mask) {
            let query = UserQuery {
                room: Some(slug.clone()),
                page_size: Some(200),
                ..UserQuery::default()
            };
            self.request(
                Command::People(PeopleCommand::Users(query)),
                Pending::WhoChannel {
                    channel: channel_name(&slug),
                },
            );
        } else if mask.contains(['*', '?']) || mask.is_empty() {
            // Listing the whole band by mask is not offered: it would turn WHO
            // into a way to scrape everyone.
            self.end_of_who(&mask);
        } else {
            self.request(
                Command::People(PeopleCommand::Whois { nick: mask.clone() }),
                Pending::WhoNick { mask },
            );
        }
    }

    pub(super) fn whois(&mut self, message: &Message) {
        // WHOIS [server] nick
        let Some(nick) = message.params.last().filter(|n| !n.is_empty()) else {
            return self.numeric(ERR_NONICKNAMEGIVEN, &["No nickname given"]);
        };
        let nick = nick.clone();
        self.request(
            Command::People(PeopleCommand::Whois { nick: nick.clone() }),
            Pending::Whois { nick },
        );
    }

    pub(super) fn whowas(&mut self, message: &Message) {
        let Some(nick) = message.param(0) else {
            return self.numeric(ERR_NONICKNAMEGIVEN, &["No nickname given"]);
        };
        let nick = nick.to_owned();
        self.request(
            Command::People(PeopleCommand::Whowas { nick: nick.clone() }),
            Pending::Whowas { nick },
        );
    }

    pub(super) fn away(&mut self, message: &Message) {
        let text = message
            .param(0)
            .filter(|text| !text.is_empty())
            .map(str::to_owned);
        let away = text.is_some();
        self.request(
            Command::People(PeopleCommand::SetAway { message: text }),
            Pending::Away { away },
        );
    }

    /// LUSERS: the hub's count of people, from a one-person page.
    pub(super) fn lusers(&mut self) {
        self.request(
            Command::People(PeopleCommand::Users(UserQuery {
                page_size: Some(1),
                ..UserQuery::default()
            })),
            Pending::Lusers,
        );
    }

    fn end_of_who(&mut self, mask: &str) {
        self.numeric(RPL_ENDOFWHO, &[mask, "End of WHO list"]);
    }

    fn end_of_whois(&mut self, nick: &str) {
        self.numeric(RPL_ENDOFWHOIS, &[nick, "End of /WHOIS list"]);
    }

    fn end_of_whowas(&mut self, nick: &str) {
        self.numeric(RPL_ENDOFWHOWAS, &[nick, "End of WHOWAS"]);
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

    fn whois_reply(&mut self, user: &UserSummary, rooms: &[String]) {
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
        if let Some(away) = &user.away {
            self.numeric(RPL_AWAY, &[&nick, away]);
        }
        self.numeric(
            RPL_WHOISIDLE,
            &[&nick, &user.idle_secs.to_string(), "seconds idle"],
        );
        self.end_of_whois(&nick);
    }

    /// `whowas_list`: who had the nickname lately, or 406.
    pub(super) fn whowas_list(&mut self, nick: &str, entries: &[Departure]) {
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
        self.end_of_whowas(nick);
    }

    /// Someone who shared a room with this client left the site: the hub
    /// sends it once, so there is one QUIT.
    pub(super) fn member_quit(&mut self, nick: &str) {
        self.line(Some(&render::mask(nick)), "QUIT", &["Quit"]);
    }

    pub(super) fn account_changed(&mut self, user: &Author, member: bool) {
        if self.caps.account_notify && Some(user.id) != self.me {
            let account = if member { user.nick.as_str() } else { "*" };
            self.line(Some(&render::mask(&user.nick)), "ACCOUNT", &[account]);
        }
    }

    pub(super) fn away_changed(&mut self, user: &Author, message: Option<&str>) {
        if self.caps.away_notify {
            let source = render::mask(&user.nick);
            match message {
                Some(text) => self.line(Some(&source), "AWAY", &[text]),
                None => self.line(Some(&source), "AWAY", &[]),
            }
        }
    }

    pub(super) fn people_answer(&mut self, event: &Event, pending: Pending) -> bool {
        match (event, pending) {
            (Event::UserInfo { user, rooms, .. }, Pending::Whois { .. }) => {
                self.whois_reply(user, rooms)
            }
            (Event::UserInfo { user, .. }, Pending::WhoNick { mask }) => {
                self.who_line("*", user);
                self.end_of_who(&mask);
            }
            (Event::UserList { users, .. }, Pending::WhoChannel { channel }) => {
                for user in users {
                    self.who_line(&channel, user);
                }
                self.end_of_who(&channel);
            }
            (Event::UserList { total, .. }, Pending::Lusers) => {
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
            (Event::Ok { .. }, Pending::Away { away: true }) => {
                self.numeric(RPL_NOWAWAY, &["You have been marked as being away"])
            }
            (Event::Ok { .. }, Pending::Away { away: false }) => {
                self.numeric(RPL_UNAWAY, &["You are no longer marked as being away"])
            }
            _ => return false,
        }
        true
    }

    pub(super) fn people_refused(&mut self, error: &ErrorEvent, pending: Pending) {
        match pending {
            Pending::Whois { nick } => {
                self.no_such_nick(&nick);
                self.end_of_whois(&nick);
            }
            Pending::WhoNick { mask } => self.end_of_who(&mask),
            Pending::WhoChannel { channel } => self.end_of_who(&channel),
            Pending::Whowas { nick } => self.end_of_whowas(&nick),
            Pending::Away { .. } => self.unknown_error("AWAY", &error.message_en),
            Pending::Lusers => self.notice(&error.message_en),
        }
    }
}
