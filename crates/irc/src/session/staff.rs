//! The site's staff and sanctions as IRC tells them: KILL (a kick sanction)
//! and WALLOPS, staff titles (381 at entry, 313 in WHOIS), the statement of
//! reasons of a sanction (`sanctioned`) in French and English, and the ban
//! that refuses an entry.

use tchatche_protocol::{
    Author, Command, ErrorCode, ErrorEvent, Event, Sanction, SanctionKind, SanctionNotice,
    StaffRole,
};

use crate::codec::Message;
use crate::numeric::*;
use crate::render;

use super::Session;
use tchatche_protocol::StaffCommand;

/// Staff commands' requests to the hub.
#[derive(Clone, Debug)]
pub(crate) enum Pending {
    /// `KILL`: a kick sanction.
    Kill {
        nick: String,
    },
    Wallops,
}

/// What a staff role is, as WHOIS (`is …`) and registration (`You are …`)
/// say it.
pub(super) fn staff_title(role: StaffRole) -> &'static str {
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

impl Session {
    /// The entering member is staff: user mode +o, and 381 to say so.
    pub(super) fn staff_role_given(&mut self, role: StaffRole) {
        self.staff = true;
        self.numeric(RPL_YOUREOPER, &[&format!("You are {}", staff_title(role))]);
    }

    /// `KILL nick :reason`: staff put someone out of the site (a kick
    /// sanction, with its statement of reasons).
    pub(super) fn kill(&mut self, message: &Message) {
        let (Some(nick), Some(reason)) = (
            message.param(0),
            message.param(1).filter(|reason| !reason.trim().is_empty()),
        ) else {
            return self.need_more_params("KILL");
        };
        let nick = nick.to_owned();
        self.request(
            Command::Staff(StaffCommand::Sanction(Sanction {
                nick: nick.clone(),
                kind: SanctionKind::Kick,
                duration_secs: None,
                reason: reason.to_owned(),
                address: None,
            })),
            Pending::Kill { nick },
        );
    }

    pub(super) fn wallops(&mut self, message: &Message) {
        match message.param(0).filter(|text| !text.trim().is_empty()) {
            Some(text) => self.request(
                Command::Staff(StaffCommand::Wallops {
                    text: text.to_owned(),
                }),
                Pending::Wallops,
            ),
            None => self.need_more_params("WALLOPS"),
        }
    }

    pub(super) fn wallops_received(&mut self, from: &Author, text: &str) {
        self.line(Some(&render::mask(&from.nick)), "WALLOPS", &[text]);
    }

    /// The statement of reasons of a sanction, in NOTICEs: French, then
    /// English, then how to appeal.
    pub(super) fn sanctioned(&mut self, notice: &SanctionNotice) {
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
            let reason = &notice.reason;
            self.notice(&format!(
                "*** Modération, sanction {id} : {fr}{until_fr}. Motif : {reason}"
            ));
            self.notice(&format!(
                "*** Moderation, sanction {id}: {en}{until_en}. Reason: {reason}"
            ));
        }
        self.notice(&format!("*** {}", notice.appeal));
    }

    /// An entry refused by a ban: 465 with its end and, for one's own ban,
    /// its reason, then the same in French.
    pub(super) fn entry_banned(&mut self, error: &ErrorEvent) {
        let until_ms = error
            .retry_after_ms
            .map(|wait| render::now_ms().saturating_add(wait));
        let (until_fr, until) = sanction_end(SanctionKind::Ban, until_ms);
        let english = error.message_en.trim_end_matches('.');
        let french = error.message_fr.trim_end_matches('.');
        // An address ban is someone else's: no reason is given.
        let (reason_en, reason_fr) = match error
            .detail
            .as_deref()
            .filter(|_| error.code == ErrorCode::Banned)
        {
            Some(reason) => (format!(" Reason: {reason}"), format!(" Motif : {reason}")),
            None => (String::new(), String::new()),
        };
        self.numeric(
            ERR_YOUREBANNEDCREEP,
            &[&format!("{english}{until}.{reason_en}")],
        );
        self.notice(&format!("{french}{until_fr}.{reason_fr}"));
    }

    pub(super) fn staff_answer(&mut self, event: &Event, pending: Pending) -> bool {
        match (event, pending) {
            (Event::SanctionRecorded { id, .. }, Pending::Kill { nick }) => {
                self.notice(&format!(
                    "*** {nick} a été sorti du site / was removed from the site (sanction {id})"
                ));
                true
            }
            _ => false,
        }
    }

    pub(super) fn staff_refused(&mut self, error: &ErrorEvent, pending: Pending) {
        let text = &error.message_en;
        match pending {
            Pending::Kill { nick } => match error.code {
                ErrorCode::NotStaff | ErrorCode::TargetIsStaff => {
                    self.numeric(ERR_NOPRIVILEGES, &[&format!("Permission Denied - {text}")])
                }
                ErrorCode::UserNotFound => self.no_such_nick(&nick),
                _ => self.unknown_error("KILL", text),
            },
            Pending::Wallops => match error.code {
                ErrorCode::NotStaff => self.numeric(
                    ERR_NOPRIVILEGES,
                    &["Permission Denied - only staff may send WALLOPS"],
                ),
                _ => self.unknown_error("WALLOPS", text),
            },
        }
    }
}
