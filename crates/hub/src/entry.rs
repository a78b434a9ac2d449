//! Guest entry: the checks, in the order a person would want to hear them,
//! and the arrival in a band.

use tchatche_protocol::{
    Band, Department, DmAcceptance, Enter, ErrorCode, Event, PROTOCOL_VERSION, UserId,
};
use tchatche_safety::nickname::NicknameRefusal;
use tokio::time::Instant;

use crate::outbox::Outgoing;
use crate::state::{Hub, Outcome, Person, fan_out, refuse};

/// Oldest plausible age.
const MAX_AGE: u32 = 99;

impl Hub {
    pub(crate) fn enter(&mut self, id: UserId, req: Option<u32>, enter: Enter) -> Outcome {
        let Some(session) = self.sessions.get(&id) else {
            return Ok(());
        };
        if session.person.is_some() {
            return Err(refuse(req, ErrorCode::AlreadyEntered));
        }
        if enter.protocol != PROTOCOL_VERSION {
            return Err(refuse(req, ErrorCode::ProtocolVersion)
                .with_detail(format!("server speaks {PROTOCOL_VERSION}")));
        }
        let nick_key = match self.settings.nicknames.check(&enter.nickname) {
            Ok(key) => key.as_str().to_owned(),
            Err(NicknameRefusal::Invalid(reason)) => {
                return Err(refuse(req, ErrorCode::NicknameInvalid).with_detail(reason));
            }
            Err(NicknameRefusal::Reserved) => return Err(refuse(req, ErrorCode::NicknameReserved)),
            Err(NicknameRefusal::Offensive) => {
                return Err(refuse(req, ErrorCode::NicknameOffensive));
            }
        };
        if enter.age == 0 || enter.age > MAX_AGE {
            return Err(refuse(req, ErrorCode::AgeInvalid));
        }
        if enter.age < self.settings.min_age {
            return Err(refuse(req, ErrorCode::AgeTooYoung)
                .with_detail(format!("minimum {}", self.settings.min_age)));
        }
        let Some(department) = Department::parse(&enter.department) else {
            return Err(refuse(req, ErrorCode::DepartmentUnknown).with_detail(enter.department));
        };
        if self.nicknames.contains_key(&nick_key) {
            return Err(refuse(req, ErrorCode::NicknameTaken));
        }

        let band = Band::for_age(enter.age);
        let now = Instant::now().into_std();
        let person = Person {
            nick: enter.nickname,
            nick_key: nick_key.clone(),
            age: enter.age,
            gender: enter.gender,
            department,
            band,
            rooms: Vec::new(),
            accepts: DmAcceptance::Everyone,
            last_active: now,
            created_rooms: 0,
            watching_presence: false,
            conversations: std::collections::HashSet::new(),
            away: None,
        };
        let you = person.summary(id, now);
        let outbox = session.outbox.clone();
        tracing::info!(
            user = %id,
            nick = %person.nick,
            band = band.as_str(),
            peer = %session.info.peer,
            transport = ?session.info.transport,
            "entered"
        );
        self.nicknames.insert(nick_key, id);
        if let Some(session) = self.sessions.get_mut(&id) {
            session.person = Some(person);
        }
        let state = self.band_mut(band);
        state.people.insert(id, outbox);
        let rooms = state.directory();
        self.send(
            id,
            Event::Entered {
                req,
                you: you.clone(),
                band,
                rooms,
            },
        );

        let frame = Outgoing::new(Event::UserOnline { user: you });
        let (state, to_close) = self.band_split(band);
        fan_out(state.watchers.iter(), &frame, to_close);
        Ok(())
    }
}
