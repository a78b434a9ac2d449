//! Registration and capabilities: the `enter` a guest or a member sends,
//! CAP negotiation holding registration back, SASL PLAIN, and the numerics
//! of every refusal of an entry.

use tchatche_protocol::{
    Command, Enter, ErrorCode, ErrorEvent, Event, Gender, PROTOCOL_VERSION, StaffRole,
};

use super::*;
use tchatche_protocol::AccountCommand;

/// A fresh session that sent `lines`.
fn after(lines: &[&str]) -> Session {
    let mut session = Session::new(settings());
    for line in lines {
        session.on_line(line);
    }
    session
}

#[test]
fn a_guest_enters_with_the_profile_of_the_real_name() {
    let mut session = after(&["NICK alice", "USER a 0 * :30 F 75"]);
    let (_, command) = take_request(&mut session);
    assert_eq!(
        command,
        Command::Account(AccountCommand::Enter(Enter {
            protocol: PROTOCOL_VERSION,
            nickname: "alice".to_owned(),
            age: Some(30),
            gender: Some(Gender::Femme),
            department: Some("75".to_owned()),
            directory: Some(false),
            ..Enter::default()
        }))
    );
    assert!(!session.registered(), "not before the hub says so");
}

#[test]
fn pass_enters_as_a_member_with_a_password() {
    let cases = [
        ("PASS secret", "alice", "secret"),
        ("PASS Alice2:secret", "Alice2", "secret"),
    ];
    for (pass, nickname, password) in cases {
        let mut session = after(&[pass, "NICK alice", "USER a 0 * :whatever"]);
        let (_, command) = take_request(&mut session);
        let Command::Account(AccountCommand::Enter(enter)) = command else {
            panic!("an enter: {command:?}");
        };
        assert_eq!(enter.nickname, nickname, "{pass}");
        assert_eq!(enter.password.as_deref(), Some(password), "{pass}");
        assert_eq!(enter.age, None, "a member's profile is the stored one");
    }
}

#[test]
fn a_guest_without_a_profile_is_told_how_to_give_one_and_closed() {
    let mut session = after(&["NICK alice", "USER a 0 * :no profile here"]);
    assert!(session.requests.is_empty());
    let lines = take_lines(&mut session);
    assert_eq!(words(&lines), ["NOTICE", "NOTICE", "ERROR"]);
    assert_eq!(
        lines[2],
        "ERROR :Closing link: no profile (age gender département) in the real name"
    );
    assert!(session.quit);
}

#[test]
fn registration_waits_for_the_end_of_capability_negotiation() {
    let mut session = after(&["CAP LS 302", "NICK alice", "USER a 0 * :30 H 75"]);
    assert!(session.requests.is_empty(), "waiting for CAP END");
    let lines = take_lines(&mut session);
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0].starts_with(":srv CAP * LS :account-notify account-tag "),
        "{lines:?}"
    );
    assert!(lines[0].contains(" sasl=PLAIN "), "302 names mechanisms");
    session.on_line("CAP END");
    let (_, command) = take_request(&mut session);
    assert!(matches!(
        command,
        Command::Account(AccountCommand::Enter(_))
    ));
}

#[test]
fn cap_req_is_all_or_nothing() {
    let mut session = after(&["CAP REQ :batch echo-message"]);
    session.on_line("CAP REQ :labeled-response unknown-cap");
    session.on_line("CAP LIST");
    session.on_line("CAP REQ :-batch");
    session.on_line("CAP LIST");
    session.on_line("CAP FROB");
    assert_eq!(
        take_lines(&mut session),
        [
            ":srv CAP * ACK :batch echo-message",
            ":srv CAP * NAK :labeled-response unknown-cap",
            ":srv CAP * LIST :batch echo-message",
            ":srv CAP * ACK -batch",
            ":srv CAP * LIST echo-message",
            ":srv 410 * FROB :Invalid CAP command",
        ]
    );
}

#[test]
fn sasl_plain_checks_the_password_with_the_hub_then_enters_as_the_member() {
    let mut session = after(&["CAP LS 302", "CAP REQ :sasl", "AUTHENTICATE PLAIN"]);
    assert_eq!(
        take_lines(&mut session).last().map(String::as_str),
        Some("AUTHENTICATE +")
    );
    // "\0alice\0secret"
    session.on_line("AUTHENTICATE AGFsaWNlAHNlY3JldA==");
    let (req, command) = take_request(&mut session);
    assert_eq!(
        command,
        Command::Account(AccountCommand::Authenticate {
            account: "alice".to_owned(),
            password: "secret".to_owned(),
        })
    );
    let lines = answer(
        &mut session,
        Event::Authenticated {
            req: Some(req),
            account: "alice".to_owned(),
        },
    );
    assert_eq!(
        lines,
        [
            ":srv 900 * *!~guest@tchatche alice :You are now logged in as alice",
            ":srv 903 * :SASL authentication successful",
        ]
    );
    for line in ["CAP END", "NICK alice", "USER a 0 * :whatever"] {
        session.on_line(line);
    }
    let (_, command) = take_request(&mut session);
    let Command::Account(AccountCommand::Enter(enter)) = command else {
        panic!("an enter: {command:?}");
    };
    assert_eq!(
        (enter.nickname.as_str(), enter.password),
        ("alice", None),
        "the hub remembers the check"
    );
}

#[test]
fn sasl_refusals_have_their_numerics() {
    let cases = [
        (
            ErrorCode::AlreadyEntered,
            ":srv 907 * :You have already authenticated using SASL".to_owned(),
        ),
        (
            ErrorCode::WrongPassword,
            format!(
                ":srv 904 * :SASL authentication failed: {}",
                ErrorCode::WrongPassword.message_en()
            ),
        ),
    ];
    for (code, expected) in cases {
        let mut session = after(&["AUTHENTICATE PLAIN"]);
        session.out.clear();
        session.on_line("AUTHENTICATE AGFsaWNlAHNlY3JldA==");
        let (req, _) = take_request(&mut session);
        assert_eq!(answer(&mut session, refusal(req, code)), [expected]);
    }
}

#[test]
fn sasl_after_registration_is_refused_without_asking_the_hub() {
    let mut session = entered();
    session.on_line("AUTHENTICATE PLAIN");
    assert!(session.requests.is_empty());
    assert_eq!(
        take_lines(&mut session),
        [":srv 904 alice :SASL authentication failed: reconnect to log in"]
    );
}

#[test]
fn entry_is_greeted_with_the_welcome_burst() {
    let mut session = after(&["NICK alice", "USER a 0 * :30 H 75"]);
    let (req, _) = take_request(&mut session);
    let lines = answer(
        &mut session,
        Event::Entered {
            req: Some(req),
            you: user(ME.0, "Alice"),
            band: Band::Adult,
            rooms: Vec::new(),
        },
    );
    assert_eq!(
        words(&lines),
        ["001", "002", "003", "004", "005", "375", "372", "376"]
    );
    assert_eq!(
        lines[0], ":srv 001 Alice :Bienvenue sur tchatche, Alice ! Welcome to tchatche, Alice!",
        "the nickname as the hub wrote it"
    );
    assert!(session.registered());
    assert_eq!(session.nick(), "Alice");
}

#[test]
fn staff_are_told_their_role_at_entry() {
    let mut session = after(&["NICK alice", "USER a 0 * :30 H 75"]);
    let (req, _) = take_request(&mut session);
    let mut you = user(ME.0, "alice");
    you.member = true;
    you.staff = Some(StaffRole::Moderator);
    let lines = answer(
        &mut session,
        Event::Entered {
            req: Some(req),
            you,
            band: Band::Adult,
            rooms: Vec::new(),
        },
    );
    assert_eq!(
        lines.last().map(String::as_str),
        Some(":srv 381 alice :You are a moderator of this site (modération)")
    );
}

/// What an entry refused with `code` says, and whether the link closes.
fn entry_refused(error: ErrorEvent) -> (Vec<String>, Session) {
    let mut session = after(&["NICK alice", "USER a 0 * :30 H 75"]);
    let (req, _) = take_request(&mut session);
    let lines = answer(
        &mut session,
        Event::Error(ErrorEvent {
            req: Some(req),
            ..error
        }),
    );
    (lines, session)
}

#[test]
fn entry_refusals_have_their_numerics() {
    // (code, numeric, whether the client may try another nickname)
    let cases = [
        (ErrorCode::PasswordRequired, "433", true),
        (ErrorCode::NicknameTaken, "433", true),
        (ErrorCode::NicknameInvalid, "432", true),
        (ErrorCode::NicknameReserved, "432", true),
        (ErrorCode::NicknameOffensive, "432", true),
        (ErrorCode::WrongPassword, "464", false),
        (ErrorCode::WrongRecoveryCode, "464", false),
        (ErrorCode::AccountNotFound, "464", false),
        (ErrorCode::TooManyAttempts, "464", false),
    ];
    for (code, numeric, may_retry) in cases {
        let (lines, session) = entry_refused(ErrorEvent::new(None, code));
        let text = code.message_en();
        let expected = if may_retry {
            // Addressed to `*`: the session has no nickname any more.
            vec![format!(":srv {numeric} * alice :{text}")]
        } else {
            vec![
                format!(":srv {numeric} alice :{text}"),
                format!("ERROR :Closing link: {text}"),
            ]
        };
        assert_eq!(lines, expected, "{code:?}");
        assert_eq!(session.quit, !may_retry, "{code:?}");
        if may_retry {
            assert_eq!(session.nick(), "*", "{code:?}: the nickname is forgotten");
        }
    }
}

#[test]
fn an_entry_refused_by_a_ban_gives_its_reason_only_for_ones_own_ban() {
    let (lines, session) =
        entry_refused(ErrorEvent::new(None, ErrorCode::Banned).with_detail("spam"));
    let english = ErrorCode::Banned.message_en().trim_end_matches('.');
    let french = ErrorCode::Banned.message_fr().trim_end_matches('.');
    assert_eq!(
        lines,
        [
            format!(":srv 465 alice :{english} for good. Reason: spam"),
            format!(":srv NOTICE alice :{french} définitivement. Motif : spam"),
            format!("ERROR :Closing link: {}", ErrorCode::Banned.message_en()),
        ]
    );
    assert!(session.quit);

    let (lines, _) =
        entry_refused(ErrorEvent::new(None, ErrorCode::AddressBanned).with_detail("spam"));
    let english = ErrorCode::AddressBanned.message_en().trim_end_matches('.');
    assert_eq!(lines[0], format!(":srv 465 alice :{english} for good."));
    assert!(lines.iter().all(|line| !line.contains("spam")), "{lines:?}");
}

#[test]
fn other_entry_refusals_explain_in_both_languages_and_close() {
    let (lines, session) = entry_refused(ErrorEvent::new(None, ErrorCode::AgeTooYoung));
    assert_eq!(words(&lines), ["NOTICE", "NOTICE", "NOTICE", "ERROR"]);
    assert!(lines[0].ends_with(ErrorCode::AgeTooYoung.message_fr()));
    assert!(lines[1].ends_with(ErrorCode::AgeTooYoung.message_en()));
    assert!(session.quit);
}

#[test]
fn registration_commands_after_entry() {
    let mut session = entered();
    session.on_line("NICK alice");
    session.on_line("NICK bob");
    session.on_line("USER a 0 * :30 H 75");
    session.on_line("PASS secret");
    assert_eq!(
        take_lines(&mut session),
        [
            ":srv 400 alice NICK :Nickname changes are not supported: reconnect with the new nickname",
            ":srv 462 alice :You may not reregister",
            ":srv 462 alice :You may not reregister",
        ]
    );
    assert!(session.requests.is_empty());
}

#[test]
fn nicknames_that_irc_cannot_carry_are_refused_before_the_hub() {
    for nick in ["#chan", "::colon", "&chan", "a!b", "a@b", "a,b", "a*", "a?"] {
        let mut session = after(&[format!("NICK {nick}").as_str()]);
        let lines = take_lines(&mut session);
        assert_eq!(words(&lines), ["432"], "{nick}");
    }
    let mut session = after(&["NICK", "USER a 0 *"]);
    assert_eq!(
        take_lines(&mut session),
        [
            ":srv 431 * :No nickname given",
            ":srv 461 * USER :Not enough parameters",
        ]
    );
}
