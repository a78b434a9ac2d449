//! Registration: NICK, USER, PASS and SASL `AUTHENTICATE` until the session
//! knows who the client is, then the hub's `enter` (as a guest with the
//! profile in the real name, or as a member), and what the answer or the
//! refusal says to the client.

use tchatche_protocol::{Command, Enter, ErrorCode, ErrorEvent, PROTOCOL_VERSION, UserSummary};

use crate::codec::Message;
use crate::numeric::*;
use crate::profile::{PROFILE_HELP_EN, PROFILE_HELP_FR, parse_profile};
use crate::render;
use crate::sasl::{SaslExchange, SaslStep};

use super::Session;
use tchatche_protocol::AccountCommand;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Stage {
    /// Waiting for NICK, USER and the end of capability negotiation.
    Registering,
    /// `enter` sent, waiting for the hub.
    Entering,
    /// Entered.
    Registered,
}

/// What registration needs and entry forgets: kept apart, so a registered
/// session does not carry it.
#[derive(Default)]
pub(super) struct Registering {
    realname: Option<String>,
    /// The password given with PASS (`password` or `account:password`).
    pass: Option<String>,
    sasl: SaslExchange,
}

/// Registration's requests to the hub.
#[derive(Clone, Debug)]
pub(crate) enum Pending {
    Enter,
    /// `authenticate`, from SASL PLAIN.
    Sasl,
}

impl Session {
    /// What registration keeps until entry.
    fn registering(&mut self) -> &mut Registering {
        self.registering.get_or_insert_default()
    }

    pub(super) fn nick_command(&mut self, message: &Message) {
        let Some(wanted) = message.param(0).filter(|nick| !nick.is_empty()) else {
            return self.numeric(ERR_NONICKNAMEGIVEN, &["No nickname given"]);
        };
        let wanted = wanted.to_owned();
        if self.stage != Stage::Registering {
            if wanted != self.nick() {
                self.unknown_error(
                    "NICK",
                    "Nickname changes are not supported: reconnect with the new nickname",
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

    pub(super) fn user_command(&mut self, message: &Message) {
        let has_realname = self
            .registering
            .as_ref()
            .is_some_and(|registering| registering.realname.is_some());
        if self.stage != Stage::Registering || has_realname {
            return self.numeric(ERR_ALREADYREGISTERED, &["You may not reregister"]);
        }
        let Some(realname) = message.param(3) else {
            return self.need_more_params("USER");
        };
        self.registering().realname = Some(realname.to_owned());
        self.try_register();
    }

    pub(super) fn pass_command(&mut self, message: &Message) {
        if self.stage != Stage::Registering {
            return self.numeric(ERR_ALREADYREGISTERED, &["You may not reregister"]);
        }
        match message.param(0).filter(|pass| !pass.is_empty()) {
            Some(pass) => self.registering().pass = Some(pass.to_owned()),
            None => self.need_more_params("PASS"),
        }
    }

    /// `AUTHENTICATE`: SASL PLAIN, before registration completes.
    pub(super) fn authenticate(&mut self, message: &Message) {
        let Some(param) = message.param(0).map(str::to_owned) else {
            return self.need_more_params("AUTHENTICATE");
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
            SaslStep::Check { account, password } => self.request(
                Command::Account(AccountCommand::Authenticate { account, password }),
                Pending::Sasl,
            ),
        }
    }

    /// Enters once the session has a nickname, a real name and the end of
    /// capability negotiation: as a member after SASL or with PASS, as a
    /// guest with the profile of the real name otherwise.
    pub(super) fn try_register(&mut self) {
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
                Command::Account(AccountCommand::Enter(Enter {
                    protocol: PROTOCOL_VERSION,
                    nickname,
                    password,
                    directory: Some(false),
                    ..Enter::default()
                })),
                Pending::Enter,
            );
            return;
        }
        let Some(profile) = profile else {
            self.notice(PROFILE_HELP_FR);
            self.notice(PROFILE_HELP_EN);
            return self.close_link("no profile (age gender département) in the real name");
        };
        self.stage = Stage::Entering;
        self.request(
            Command::Account(AccountCommand::Enter(Enter {
                protocol: PROTOCOL_VERSION,
                nickname: nick,
                age: Some(profile.age),
                gender: Some(profile.gender),
                department: Some(profile.department),
                // IRC clients list channels when they ask (LIST).
                directory: Some(false),
                ..Enter::default()
            })),
            Pending::Enter,
        );
    }

    /// `entered`: the session is who the hub says, and the server greets it.
    pub(super) fn entered(&mut self, you: &UserSummary) {
        self.me = Some(you.id);
        self.nick = Some(you.nick.clone());
        self.account = you.member.then(|| you.nick.clone());
        self.profile = render::realname(you);
        // Registration is over: the password given with PASS is not kept.
        self.registering = None;
        self.stage = Stage::Registered;
        self.welcome_burst();
        if let Some(role) = you.staff {
            self.staff_role_given(role);
        }
    }

    /// `authenticated`: SASL succeeded; entry will be as this member.
    pub(super) fn logged_in(&mut self, account: &str) {
        self.account = Some(account.to_owned());
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

    pub(super) fn registration_refused(&mut self, error: &ErrorEvent, pending: Pending) {
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
                // Registration starts over: what the client pipelined after
                // its registration was meant for a session that does not exist.
                self.stage = Stage::Registering;
                if let Some(in_flight) = self.in_flight.as_deref_mut() {
                    in_flight.deferred.clear();
                }
                let nick = self.nick().to_owned();
                match code {
                    // A nickname in use, or a member's without SASL or PASS,
                    // which reads the same: the client can pick another, and
                    // the text says why.
                    ErrorCode::PasswordRequired | ErrorCode::NicknameTaken => {
                        self.nick = None;
                        self.numeric(ERR_NICKNAMEINUSE, &[&nick, &text]);
                    }
                    ErrorCode::WrongPassword
                    | ErrorCode::WrongRecoveryCode
                    | ErrorCode::AccountNotFound
                    | ErrorCode::TooManyAttempts => {
                        self.numeric(ERR_PASSWDMISMATCH, &[&text]);
                        self.close_link(&text);
                    }
                    ErrorCode::NicknameInvalid
                    | ErrorCode::NicknameReserved
                    | ErrorCode::NicknameOffensive => {
                        self.nick = None;
                        self.numeric(ERR_ERRONEUSNICKNAME, &[&nick, &text]);
                    }
                    ErrorCode::Banned | ErrorCode::AddressBanned => {
                        self.entry_banned(error);
                        self.close_link(&text);
                    }
                    _ => {
                        let french = error.message_fr.clone();
                        self.notice(&french);
                        self.notice(&text);
                        self.notice(PROFILE_HELP_FR);
                        self.close_link(&text);
                    }
                }
            }
        }
    }
}
