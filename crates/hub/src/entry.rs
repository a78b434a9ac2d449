//! Entry: the checks, in the order a person would want to hear them, and
//! the arrival in a band. A guest gives a profile; a member gives a password
//! or a recovery code (checked by a credential job, see `accounts.rs`) or
//! has proved it with `authenticate`, and enters with the stored profile.

use tchatche_protocol::{
    Band, Department, DmAcceptance, Enter, ErrorCode, Event, PROTOCOL_VERSION, UserId,
};
use tchatche_safety::nickname::NicknameRefusal;
use tokio::time::Instant;

use crate::accounts::{LoginPurpose, Secret};
use crate::effects::Recipients;
use crate::outbox::Outgoing;
use crate::session::{Admission, Person};
use crate::state::{Hub, Outcome, refuse};

/// Oldest plausible age.
const MAX_AGE: u32 = 99;

impl Hub {
    pub(crate) fn enter(&mut self, id: UserId, req: Option<u32>, enter: Enter) -> Outcome {
        let Some(session) = self.sessions.get_mut(&id) else {
            return Ok(());
        };
        if session.person.is_some() {
            return Err(refuse(req, ErrorCode::AlreadyEntered));
        }
        if enter.protocol != PROTOCOL_VERSION {
            return Err(refuse(req, ErrorCode::ProtocolVersion)
                .with_detail(format!("server speaks {PROTOCOL_VERSION}")));
        }
        // Kept for `admit`, which may come after a credential job.
        session.no_directory = enter.directory == Some(false);
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

        // Members: proved by `authenticate`, or by what comes with `enter`.
        if self.credentials.proved(id, &nick_key) {
            if self.sessions.nicknames.contains_key(&nick_key) {
                return Err(refuse(req, ErrorCode::NicknameTaken));
            }
            if let Some(account) = self.credentials.take_proved(id) {
                return self.admit_member(id, req, *account, false);
            }
        }
        let secret = match (enter.password, enter.recovery_code) {
            (Some(password), _) if !password.is_empty() => Some(Secret::Password(password)),
            (_, Some(code)) if !code.trim().is_empty() => Some(Secret::RecoveryCode(code)),
            _ => None,
        };
        if let Some(secret) = secret {
            if self.sessions.nicknames.contains_key(&nick_key) {
                return Err(refuse(req, ErrorCode::NicknameTaken));
            }
            return self.start_login(id, req, nick_key, secret, LoginPurpose::Enter);
        }
        if self.credentials.member_keys.contains(&nick_key) {
            return Err(refuse(req, ErrorCode::PasswordRequired));
        }

        // Guests.
        let missing = |field: &str| refuse(req, ErrorCode::MissingField).with_detail(field);
        let age = enter.age.ok_or_else(|| missing("age"))?;
        let gender = enter.gender.ok_or_else(|| missing("gender"))?;
        let department = enter.department.ok_or_else(|| missing("department"))?;
        if age == 0 || age > MAX_AGE {
            return Err(refuse(req, ErrorCode::AgeInvalid));
        }
        if age < self.settings.min_age {
            return Err(refuse(req, ErrorCode::AgeTooYoung)
                .with_detail(format!("minimum {}", self.settings.min_age)));
        }
        let Some(department) = Department::parse(&department) else {
            return Err(refuse(req, ErrorCode::DepartmentUnknown).with_detail(department));
        };
        self.admit(
            id,
            req,
            Admission {
                nick: enter.nickname,
                nick_key,
                age,
                gender,
                department,
                account: None,
            },
        )
    }

    /// Puts a checked person in their band: `entered` to them, `user_online`
    /// to the band's watchers.
    pub(crate) fn admit(&mut self, id: UserId, req: Option<u32>, admission: Admission) -> Outcome {
        let Some(session) = self.sessions.get(&id) else {
            return Ok(());
        };
        if session.person.is_some() {
            return Err(refuse(req, ErrorCode::AlreadyEntered));
        }
        if self.sessions.nicknames.contains_key(&admission.nick_key) {
            return Err(refuse(req, ErrorCode::NicknameTaken));
        }
        let band = Band::for_age(admission.age);
        // Staff are adults: a listed member of the teen band enters as an
        // ordinary member (the server warned at start).
        let staff = admission
            .account
            .filter(|_| band == Band::Adult)
            .and_then(|_| self.settings.staff.get(&admission.nick_key).copied());
        let address = crate::sanctions::sanctionable_address(staff, session);
        self.entry_sanction_check(
            req,
            &admission.nick_key,
            admission.account.is_some(),
            address,
        )?;
        let now_ms = crate::ids::now_ms();
        let mute = self.sanctions.mute_on(&admission.nick_key, address, now_ms);
        let now = Instant::now().into_std();
        let nick_key = admission.nick_key;
        let person = Person {
            nick: admission.nick,
            nick_key: nick_key.clone(),
            age: admission.age,
            gender: admission.gender,
            department: admission.department,
            band,
            rooms: Vec::new(),
            accepts: DmAcceptance::Everyone,
            last_active: now,
            away: None,
            account: admission.account,
            staff,
        };
        let you = person.summary(id, now);
        let outbox = session.outbox.clone();
        let no_directory = session.no_directory;
        // No address in the log: connection records are its legal place,
        // with their own retention; the log is kept by whoever runs it.
        tracing::info!(
            user = %id,
            nick = %person.nick,
            band = band.as_str(),
            member = person.account.is_some(),
            transport = ?session.info.transport,
            "entered"
        );
        self.sessions.nicknames.insert(nick_key, id);
        self.sanctions.set_mute(id, mute);
        if staff.is_some() {
            self.staff.online.insert(id, outbox.clone());
        }
        if let Some(session) = self.sessions.get_mut(&id) {
            session.person = Some(person);
        }
        let state = self.band_mut(band);
        state.people.insert(id, outbox);
        let rooms = if no_directory {
            Vec::new()
        } else {
            state.directory()
        };
        self.send(
            id,
            Event::Entered {
                req,
                you: you.clone(),
                band,
                rooms,
            },
        );

        self.effects.deliver(
            Recipients::Watchers(band),
            Outgoing::new(Event::UserOnline { user: you }),
        );
        Ok(())
    }
}
