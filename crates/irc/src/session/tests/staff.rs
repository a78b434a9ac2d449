//! Staff: KILL and WALLOPS, their refusals, and the statements of reasons
//! of sanctions.

use tchatche_protocol::{
    Command, ErrorCode, Event, Sanction, SanctionId, SanctionKind, SanctionNotice,
};

use super::*;
use tchatche_protocol::StaffCommand;

fn notice(kind: SanctionKind, until: Option<u64>, address: bool) -> Event {
    Event::Sanctioned(SanctionNotice {
        id: SanctionId(42),
        kind,
        reason: "insultes".to_owned(),
        until,
        address,
        appeal: "Contestez : appel@example.org".to_owned(),
    })
}

#[test]
fn kill_is_a_kick_sanction() {
    let mut session = entered();
    let (req, command) = ask(&mut session, "KILL bob :spam répété");
    assert_eq!(
        command,
        Command::Staff(StaffCommand::Sanction(Sanction {
            nick: "bob".to_owned(),
            kind: SanctionKind::Kick,
            duration_secs: None,
            reason: "spam répété".to_owned(),
            address: None,
        }))
    );
    let lines = answer(
        &mut session,
        Event::SanctionRecorded {
            req: Some(req),
            id: SanctionId(42),
            online: true,
        },
    );
    assert_eq!(
        lines,
        [
            ":srv NOTICE alice :*** bob a été sorti du site / was removed from the site (sanction 42)"
        ]
    );
    for line in ["KILL bob", "KILL bob :  ", "WALLOPS", "WALLOPS : "] {
        session.on_line(line);
        let name = line.split(' ').next().unwrap_or(line);
        assert_eq!(
            take_lines(&mut session),
            [format!(":srv 461 alice {name} :Not enough parameters")],
            "{line}"
        );
    }
    assert!(session.requests.is_empty());
}

#[test]
fn kill_refusals_have_their_numerics() {
    let cases = [
        (
            ErrorCode::NotStaff,
            ":srv 481 alice :Permission Denied - {text}",
        ),
        (
            ErrorCode::TargetIsStaff,
            ":srv 481 alice :Permission Denied - {text}",
        ),
        (
            ErrorCode::UserNotFound,
            ":srv 401 alice bob :No such nick/channel",
        ),
        (ErrorCode::ServerError, ":srv 400 alice KILL :{text}"),
    ];
    assert_refusals(&cases, || asking(entered(), "KILL bob :spam"));
}

#[test]
fn wallops_go_to_the_hub_and_come_from_staff() {
    let mut session = entered();
    let (_, command) = ask(&mut session, "WALLOPS :réunion à 18 h");
    assert_eq!(
        command,
        Command::Staff(StaffCommand::Wallops {
            text: "réunion à 18 h".to_owned()
        })
    );
    let cases = [
        (
            ErrorCode::NotStaff,
            ":srv 481 alice :Permission Denied - only staff may send WALLOPS",
        ),
        (ErrorCode::ServerError, ":srv 400 alice WALLOPS :{text}"),
    ];
    assert_refusals(&cases, || asking(entered(), "WALLOPS :x"));
    let lines = answer(
        &mut session,
        Event::Wallops {
            from: author(2, "bob"),
            text: "réunion".to_owned(),
        },
    );
    assert_eq!(lines, [":bob!~guest@tchatche WALLOPS :réunion"]);
}

#[test]
fn a_statement_of_reasons_says_what_until_when_why_and_how_to_appeal() {
    let mut session = entered();
    // 2027-01-15 08:00 UTC.
    let until = 1_800_000_000_000;
    let lines = answer(&mut session, notice(SanctionKind::Mute, Some(until), false));
    assert_eq!(
        lines,
        [
            ":srv NOTICE alice :*** Modération, sanction 42 : Vous êtes rendu muet jusqu'au 2027-01-15 08:00 UTC. Motif : insultes",
            ":srv NOTICE alice :*** Moderation, sanction 42: You are muted until 2027-01-15 08:00 UTC. Reason: insultes",
            ":srv NOTICE alice :*** Contestez : appel@example.org",
        ]
    );
    let lines = answer(&mut session, notice(SanctionKind::Ban, None, false));
    assert!(
        lines[1].ends_with("You are banned from the site for good. Reason: insultes"),
        "{lines:?}"
    );
    let lines = answer(&mut session, notice(SanctionKind::Warning, None, false));
    assert!(
        lines[1].ends_with("sanction 42: Warning. Reason: insultes"),
        "{lines:?}"
    );
}

#[test]
fn a_sanction_of_the_address_names_nobody() {
    let mut session = entered();
    let lines = answer(&mut session, notice(SanctionKind::Ban, None, true));
    assert_eq!(
        lines,
        [
            ":srv NOTICE alice :*** Modération, sanction 42 : l'adresse de connexion que vous utilisez est bannie définitivement.",
            ":srv NOTICE alice :*** Moderation, sanction 42: the address you connect from is banned for good.",
            ":srv NOTICE alice :*** Contestez : appel@example.org",
        ]
    );
    let lines = answer(&mut session, notice(SanctionKind::Mute, None, true));
    assert!(lines[1].ends_with("is restricted."), "{lines:?}");
    assert!(lines.iter().all(|line| !line.contains("insultes")));
}
