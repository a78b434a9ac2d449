//! People: the band's user list, presence, and private messages.

use tchatche_protocol::{
    Department, DirectMessage, ErrorCode, ErrorEvent, Event, MessageId, UserId, UserQuery,
};
use tchatche_safety::{DmFacts, Verdict, assess_dm, may_see};
use tokio::time::Instant;

use crate::ids::now_ms;
use crate::outbox::Outgoing;
use crate::state::{Hub, Outcome, Person, refuse, refuse_verdict};

/// Page size when the client asks none.
const DEFAULT_PAGE_SIZE: u32 = 50;
/// Largest page size.
const MAX_PAGE_SIZE: u32 = 200;
/// Longest away message.
const MAX_AWAY_CHARS: usize = 200;
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
    fn find_by_nick(&self, band: tchatche_protocol::Band, nick: &str) -> Option<(UserId, &Person)> {
        let key = tchatche_safety::nickname::nickname_key(nick);
        self.nicknames
            .get(&key)
            .and_then(|other| Some((*other, self.sessions.get(other)?.person.as_ref()?)))
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
        if message.is_some() {
            self.may_express(id, req)?;
        }
        if message
            .as_ref()
            .is_some_and(|text| text.chars().count() > MAX_AWAY_CHARS)
        {
            return Err(refuse(req, ErrorCode::AwayTooLong));
        }
        let person = self.person_mut(id, req)?;
        person.away = message.clone();
        let band = person.band;
        let rooms = person.rooms.clone();
        let user = person.author(id);
        self.send(id, Event::Ok { req });
        // Everyone sharing a room hears it once.
        let frame = Outgoing::new(Event::Away { user, message });
        self.fan_out_to_peers(id, band, &rooms, &frame, false);
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
        self.person_mut(id, req)?.watching_presence = on;
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
            &mut crate::state::BandState,
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

    /// The safety decision for a private message (or typing signal) from `id`
    /// to `to`: the text to deliver (the body, or its masked form).
    fn assess_private(
        &self,
        id: UserId,
        req: Option<u32>,
        to: UserId,
        body: String,
    ) -> Result<String, ErrorEvent> {
        let sender = self.person(id, req)?;
        if to == id {
            return Err(refuse(req, ErrorCode::DmSelf));
        }
        let recipient = self
            .sessions
            .get(&to)
            .and_then(|session| session.person.as_ref())
            .ok_or_else(|| refuse(req, ErrorCode::UserNotFound))?;
        match assess_dm(&DmFacts {
            body: &body,
            max_body_chars: self.settings.max_body_chars,
            sender_muted: sender.muted(),
            sender_band: sender.band,
            recipient_band: recipient.band,
            recipient_accepts: recipient.accepts,
        }) {
            Verdict::Deliver | Verdict::Flag => Ok(body),
            Verdict::Mask(masked) => Ok(masked),
            Verdict::Hold => Err(refuse(req, ErrorCode::MessageHeld)),
            Verdict::Refuse { code, retry_after } => Err(refuse_verdict(req, code, retry_after)),
        }
    }

    pub(crate) fn dm(&mut self, id: UserId, req: Option<u32>, to: UserId, body: String) -> Outcome {
        let body = self.assess_private(id, req, to, body)?;
        let (Ok(sender), Ok(recipient)) = (self.person(id, req), self.person(to, req)) else {
            return Ok(());
        };
        let at = now_ms();
        let from = sender.author(id);
        let to_author = recipient.author(to);
        let message = DirectMessage {
            id: MessageId(self.ids.next(at)),
            from,
            to: to_author,
            body,
            at,
        };
        self.send(
            id,
            Event::Sent {
                req,
                id: message.id,
            },
        );
        self.send(to, Event::Dm(message.clone()));
        self.send(id, Event::Dm(message));
        if let Ok(person) = self.person_mut(id, req) {
            person.last_active = Instant::now().into_std();
            person.conversations.insert(to);
        }
        if let Ok(person) = self.person_mut(to, req) {
            person.conversations.insert(id);
        }
        Ok(())
    }

    /// A private message to a nickname: the recipient is found as `whois`
    /// finds them, then everything is as for [`Hub::dm`].
    pub(crate) fn dm_nick(
        &mut self,
        id: UserId,
        req: Option<u32>,
        nick: &str,
        body: String,
    ) -> Outcome {
        let band = self.person(id, req)?.band;
        let Some((to, _)) = self.find_by_nick(band, nick) else {
            return Err(refuse(req, ErrorCode::UserNotFound));
        };
        self.dm(id, req, to, body)
    }

    pub(crate) fn dm_typing(&mut self, id: UserId, req: Option<u32>, to: UserId) -> Outcome {
        // Typing reveals as much as a message: same decision, with a
        // stand-in body since there is no text yet.
        self.assess_private(id, req, to, ".".to_owned())?;
        let user = self.person(id, req)?.author(id);
        self.send(to, Event::DmTyping { user });
        self.acknowledge(id, req);
        Ok(())
    }

    pub(crate) fn dm_seen(
        &mut self,
        id: UserId,
        req: Option<u32>,
        with: UserId,
        up_to: MessageId,
    ) -> Outcome {
        let reader = self.person(id, req)?;
        let visible = self
            .sessions
            .get(&with)
            .and_then(|session| session.person.as_ref())
            .is_some_and(|other| may_see(reader.band, other.band));
        if !visible {
            return Err(refuse(req, ErrorCode::UserNotFound));
        }
        // "Seen" only goes back within a conversation that exists, so it is
        // never a way to reach someone who refuses private messages.
        if !reader.conversations.contains(&with) {
            return Err(refuse(req, ErrorCode::NoConversation));
        }
        self.send(with, Event::DmSeen { by: id, up_to });
        self.acknowledge(id, req);
        Ok(())
    }
}
