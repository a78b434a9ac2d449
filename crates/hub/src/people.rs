//! People: the band's user list and search, `whois` and `whowas`, away
//! messages, and who watches presence or the room directory.

use tchatche_protocol::{Department, ErrorCode, Event, PeopleCommand, UserId, UserQuery};
use tchatche_safety::may_see;
use tokio::time::Instant;

use crate::effects::Recipients;
use crate::outbox::Outgoing;
use crate::session::Person;
use crate::speech::Speech;
use crate::state::{Hub, Outcome, refuse};

/// Page size when the client asks none.
const DEFAULT_PAGE_SIZE: u32 = 50;
/// Largest page size.
const MAX_PAGE_SIZE: u32 = 200;
/// Most `whowas` entries returned.
const MAX_WHOWAS: usize = 10;

impl Hub {
    pub(crate) fn users(&mut self, id: UserId, req: Option<u32>, query: UserQuery) -> Outcome {
        let now = Instant::now().into_std();
        let band = self.person(id, req)?.band;
        let department = match &query.department {
            None => None,
            Some(code) => Some(Department::parse(code).ok_or_else(|| {
                refuse(req, ErrorCode::DepartmentUnknown).with_detail(code.clone())
            })?),
        };
        let state = self.band(band);
        let in_room = match &query.room {
            None => None,
            Some(slug) => Some(
                state
                    .rooms
                    .get(slug)
                    .ok_or_else(|| refuse(req, ErrorCode::RoomNotFound))?,
            ),
        };
        let search = query
            .search
            .as_deref()
            .map(str::trim)
            .filter(|text| !text.is_empty())
            .map(tchatche_safety::nickname::nickname_key);
        let mut matching: Vec<(UserId, &Person)> = state
            .people
            .keys()
            .filter_map(|person_id| {
                let person = self.sessions.get(person_id)?.person.as_ref()?;
                Some((*person_id, person))
            })
            .filter(|(person_id, person)| {
                query.age_min.is_none_or(|min| person.age >= min)
                    && query.age_max.is_none_or(|max| person.age <= max)
                    && query.gender.is_none_or(|gender| person.gender == gender)
                    && department.is_none_or(|department| person.department == department)
                    && in_room.is_none_or(|room| room.members.contains_key(person_id))
                    && search
                        .as_deref()
                        .is_none_or(|text| person.nick_key.contains(text))
            })
            .collect();
        matching.sort_unstable_by(|a, b| a.1.nick_key.cmp(&b.1.nick_key).then(a.0.cmp(&b.0)));
        let page_size = query
            .page_size
            .unwrap_or(DEFAULT_PAGE_SIZE)
            .clamp(1, MAX_PAGE_SIZE);
        let page = query.page.unwrap_or(0);
        let users = matching
            .iter()
            .skip(page as usize * page_size as usize)
            .take(page_size as usize)
            .map(|(person_id, person)| person.summary(*person_id, now))
            .collect();
        let total = u32::try_from(matching.len()).unwrap_or(u32::MAX);
        self.send(
            id,
            Event::UserList {
                req,
                users,
                total,
                page,
                page_size,
            },
        );
        Ok(())
    }

    /// The person of `band` who has this nickname (folded as at entry).
    pub(crate) fn find_by_nick(
        &self,
        band: tchatche_protocol::Band,
        nick: &str,
    ) -> Option<(UserId, &Person)> {
        let key = tchatche_safety::nickname::nickname_key(nick);
        self.sessions
            .by_nick_key(&key)
            .filter(|(_, person)| may_see(band, person.band))
    }

    pub(crate) fn whois(&mut self, id: UserId, req: Option<u32>, nick: &str) -> Outcome {
        let now = Instant::now().into_std();
        let band = self.person(id, req)?.band;
        let Some((other, person)) = self.find_by_nick(band, nick) else {
            return Err(refuse(req, ErrorCode::UserNotFound));
        };
        let event = Event::UserInfo {
            req,
            user: person.summary(other, now),
            rooms: person.rooms.clone(),
        };
        self.send(id, event);
        Ok(())
    }

    pub(crate) fn set_away(
        &mut self,
        id: UserId,
        req: Option<u32>,
        message: Option<String>,
    ) -> Outcome {
        let message = message
            .map(|text| text.trim().to_owned())
            .filter(|text| !text.is_empty());
        // Coming back says nothing; an away message is said to everyone
        // around.
        let message = match message {
            Some(text) => Some(self.speak(id, req, &Speech::Away, text)?.text),
            None => None,
        };
        let person = self.person_mut(id, req)?;
        person.away = message.clone();
        let band = person.band;
        let rooms = person.rooms.clone();
        let user = person.author(id);
        self.send(id, Event::Ok { req });
        // Everyone sharing a room hears it once.
        let peers = self.peers(id, band, &rooms, false);
        self.effects.deliver(
            Recipients::Queues(peers),
            Outgoing::new(Event::Away { user, message }),
        );
        Ok(())
    }

    pub(crate) fn whowas(&mut self, id: UserId, req: Option<u32>, nick: &str) -> Outcome {
        let band = self.person(id, req)?.band;
        let key = tchatche_safety::nickname::nickname_key(nick);
        let entries = self
            .band(band)
            .departures
            .iter()
            .rev()
            .filter(|departure| tchatche_safety::nickname::nickname_key(&departure.nick) == key)
            .take(MAX_WHOWAS)
            .cloned()
            .collect();
        self.send(
            id,
            Event::WhowasList {
                req,
                nick: nick.to_owned(),
                entries,
            },
        );
        Ok(())
    }

    pub(crate) fn watch_presence(&mut self, id: UserId, req: Option<u32>, on: bool) -> Outcome {
        self.watch(id, req, on, |state| &mut state.watchers)
    }

    pub(crate) fn watch_directory(&mut self, id: UserId, req: Option<u32>, on: bool) -> Outcome {
        self.watch(id, req, on, |state| &mut state.directory_watchers)
    }

    /// Adds the sender to (or takes them out of) one of their band's lists
    /// of watchers, and says ok.
    fn watch(
        &mut self,
        id: UserId,
        req: Option<u32>,
        on: bool,
        list: fn(
            &mut crate::rooms::BandState,
        ) -> &mut std::collections::HashMap<UserId, crate::outbox::OutboxSender>,
    ) -> Outcome {
        let band = self.person(id, req)?.band;
        let outbox = self.sessions.get(&id).map(|session| session.outbox.clone());
        let watchers = list(self.band_mut(band));
        match (on, outbox) {
            (true, Some(outbox)) => {
                watchers.insert(id, outbox);
            }
            _ => {
                watchers.remove(&id);
            }
        }
        self.send(id, Event::Ok { req });
        Ok(())
    }
}

impl Hub {
    /// The commands of this family, each to its handler.
    pub(crate) fn people_command(
        &mut self,
        id: UserId,
        req: Option<u32>,
        command: PeopleCommand,
    ) -> Outcome {
        match command {
            PeopleCommand::Users(query) => self.users(id, req, query),
            PeopleCommand::WatchPresence { on } => self.watch_presence(id, req, on),
            PeopleCommand::Whois { nick } => self.whois(id, req, &nick),
            PeopleCommand::SetAway { message } => self.set_away(id, req, message),
            PeopleCommand::Whowas { nick } => self.whowas(id, req, &nick),
        }
    }
}
