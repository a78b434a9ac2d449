//! The core: labeled responses (ACK, one line, a batch), the order of
//! answers (lines wait while a request does, and are handled in order
//! after), the author's own room message answering a PRIVMSG, and the
//! events and lines that belong to no family.

use tchatche_protocol::{Command, ErrorCode, ErrorEvent, Event, RoomRole, UserId};

use super::*;
use crate::codec::LineError;
use tchatche_protocol::{AccountCommand, PeopleCommand, RoomCommand};

#[test]
fn a_labeled_command_without_a_reply_is_acknowledged() {
    let mut session = entered_with("labeled-response");
    session.on_line("@label=a1 PONG :srv");
    assert_eq!(take_lines(&mut session), ["@label=a1 :srv ACK"]);
}

#[test]
fn a_labeled_reply_of_one_line_carries_the_label() {
    let mut session = entered_with("labeled-response");
    session.on_line("@label=a2 PING :token");
    assert_eq!(take_lines(&mut session), ["@label=a2 :srv PONG srv token"]);
}

#[test]
fn a_labeled_reply_of_several_lines_is_a_batch_when_the_client_takes_batches() {
    let mut session = entered_with("labeled-response batch");
    session.on_line("@label=a3 LINKS");
    assert_eq!(
        take_lines(&mut session),
        [
            "@label=a3 :srv BATCH +b2 labeled-response",
            "@batch=b2 :srv 364 alice * srv srv :0 tchatche",
            "@batch=b2 :srv 365 alice * :End of LINKS list",
            ":srv BATCH -b2",
        ]
    );
}

#[test]
fn without_batches_the_label_goes_on_the_first_line_only() {
    let mut session = entered_with("labeled-response");
    session.on_line("@label=a4 LINKS");
    assert_eq!(
        take_lines(&mut session),
        [
            "@label=a4 :srv 364 alice * srv srv :0 tchatche",
            ":srv 365 alice * :End of LINKS list",
        ]
    );
}

#[test]
fn labels_are_not_used_unless_the_client_asked_for_them() {
    let mut session = entered();
    session.on_line("@label=a5 PING :token");
    assert_eq!(take_lines(&mut session), [":srv PONG srv token"]);
}

#[test]
fn the_label_of_a_hub_request_wraps_the_hub_answer() {
    let mut session = entered_with("labeled-response batch");
    let (req, _) = ask(&mut session, "@label=w1 WHOIS bob");
    let lines = answer(
        &mut session,
        Event::Error(ErrorEvent::new(Some(req), ErrorCode::UserNotFound)),
    );
    assert_eq!(
        lines,
        [
            "@label=w1 :srv BATCH +b2 labeled-response",
            "@batch=b2 :srv 401 alice bob :No such nick/channel",
            "@batch=b2 :srv 318 alice bob :End of /WHOIS list",
            ":srv BATCH -b2",
        ]
    );
}

#[test]
fn a_label_follows_a_request_made_from_an_answer() {
    // KICK asks who the person is, then kicks: the kick's answer is the
    // labeled response.
    let mut session = in_paris_with("labeled-response");
    let line = "@label=k1 KICK #paris bob";
    let (kick, _) = ask_after_finding(&mut session, line, user(2, "bob"), &["paris"]);
    let lines = answer(&mut session, refusal(kick, ErrorCode::NotOperator));
    assert_eq!(
        lines,
        ["@label=k1 :srv 482 alice #paris :You're not channel operator"]
    );
}

#[test]
fn lines_wait_while_a_request_does_and_are_then_handled_in_order() {
    let mut session = entered();
    assert!(session.wants_lines());
    let (first, _) = ask(&mut session, "WHOIS bob");
    assert!(!session.wants_lines());
    session.on_line("PING :one");
    session.on_line("WHOIS carol");
    session.on_line("PING :two");
    assert!(session.out.is_empty() && session.requests.is_empty());

    // The first answer lets the lines after it run, up to the next request.
    let lines = answer(&mut session, refusal(first, ErrorCode::UserNotFound));
    assert_eq!(
        words(&lines),
        ["401", "318", "PONG"],
        "the answer, then the PING that waited: {lines:?}"
    );
    let (second, command) = take_request(&mut session);
    assert_eq!(
        command,
        Command::People(PeopleCommand::Whois {
            nick: "carol".to_owned()
        })
    );
    assert!(!session.wants_lines(), "PING :two waits for carol");

    let lines = answer(&mut session, refusal(second, ErrorCode::UserNotFound));
    assert_eq!(
        lines,
        [
            ":srv 401 alice carol :No such nick/channel",
            ":srv 318 alice carol :End of /WHOIS list",
            ":srv PONG srv two",
        ]
    );
    assert!(session.wants_lines());
}

#[test]
fn quit_never_waits_for_the_hub() {
    let mut session = entered();
    ask(&mut session, "WHOIS bob");
    session.on_line("QUIT :bye");
    assert!(session.quit);
    assert_eq!(take_lines(&mut session), ["ERROR :Closing link: quit"]);
}

#[test]
fn a_refused_entry_drops_what_was_sent_for_the_session_it_would_have_been() {
    let mut session = Session::new(settings());
    session.on_line("NICK alice");
    session.on_line("USER a 0 * :30 H 75");
    let (enter, _) = take_request(&mut session);
    session.on_line("JOIN #paris");
    let lines = answer(&mut session, refusal(enter, ErrorCode::NicknameTaken));
    assert_eq!(words(&lines), ["433"]);
    assert!(session.requests.is_empty(), "the JOIN is forgotten");
    assert!(session.wants_lines());
    // A new nickname starts registration again.
    session.on_line("NICK alicia");
    let (_, command) = take_request(&mut session);
    assert!(
        matches!(&command, Command::Account(AccountCommand::Enter(enter)) if enter.nickname == "alicia"),
        "{command:?}"
    );
}

#[test]
fn a_channel_privmsg_is_answered_by_its_own_copy() {
    let mut session = in_paris();
    let (req, command) = ask(&mut session, "PRIVMSG #paris :salut");
    assert!(
        matches!(command, Command::Room(RoomCommand::Say(_))),
        "{command:?}"
    );
    session.on_line("PING :after");
    assert!(!session.wants_lines());

    let own = room_message(9, "paris", author(ME.0, "alice"), "salut");
    assert_eq!(session.own_room_message(&own), None);
    assert!(
        !session.wants_room_message(&own),
        "no echo without echo-message"
    );
    session.resume();
    assert_eq!(take_lines(&mut session), [":srv PONG srv after"]);
    assert!(session.wants_lines());
    // `sent`, after the copy, answers nothing that still waits.
    let lines = answer(
        &mut session,
        Event::Sent {
            req: Some(req),
            id: tchatche_protocol::MessageId(9),
        },
    );
    assert!(lines.is_empty(), "{lines:?}");
}

#[test]
fn with_echo_message_a_labeled_privmsg_gives_its_label_to_the_echo() {
    let mut session = in_paris_with("labeled-response echo-message");
    ask(&mut session, "@label=m1 PRIVMSG #paris :salut");
    let own = room_message(9, "paris", author(ME.0, "alice"), "salut");
    assert_eq!(session.own_room_message(&own), Some("m1".to_owned()));
    assert!(session.wants_room_message(&own));
    assert!(session.out.is_empty(), "the echo is the answer");
}

#[test]
fn without_echo_message_a_labeled_privmsg_is_acknowledged_by_its_own_copy() {
    let mut session = in_paris_with("labeled-response");
    ask(&mut session, "@label=m2 PRIVMSG #paris :salut");
    let own = room_message(9, "paris", author(ME.0, "alice"), "salut");
    assert_eq!(session.own_room_message(&own), None);
    assert_eq!(take_lines(&mut session), ["@label=m2 :srv ACK"]);
}

#[test]
fn an_own_copy_answers_the_privmsg_to_its_own_channel() {
    let mut session = in_paris();
    session.on_line("PRIVMSG #lyon,#paris :partout");
    assert_eq!(take_requests(&mut session).len(), 2);
    let paris = room_message(9, "paris", author(ME.0, "alice"), "partout");
    session.own_room_message(&paris);
    assert!(!session.wants_lines(), "#lyon still waits");
    // A second copy for #paris answers nothing more.
    session.own_room_message(&paris);
    assert!(!session.wants_lines());
    let lyon = room_message(10, "lyon", author(ME.0, "alice"), "partout");
    session.own_room_message(&lyon);
    assert!(session.wants_lines());
}

#[test]
fn someone_elses_room_message_is_written_to_the_client() {
    let session = in_paris();
    let theirs = room_message(9, "paris", author(2, "bob"), "coucou");
    assert!(session.wants_room_message(&theirs));
}

#[test]
fn a_hub_error_that_answers_no_request_is_a_notice() {
    let mut session = entered();
    let text = ErrorCode::ServerError.message_en();
    let lines = answer(
        &mut session,
        Event::Error(ErrorEvent::new(None, ErrorCode::ServerError)),
    );
    assert_eq!(lines, [format!(":srv NOTICE alice :{text}")]);
}

#[test]
fn closing_says_why_and_ends_the_session() {
    let mut session = entered();
    let lines = answer(&mut session, Event::closing(ErrorCode::TooSlow));
    assert_eq!(
        lines,
        [format!(
            "ERROR :Closing link: {}",
            ErrorCode::TooSlow.message_en()
        )]
    );
    assert!(session.quit);
}

#[test]
fn commands_other_than_registration_wait_for_registration() {
    let mut session = Session::new(settings());
    session.on_line("JOIN #paris");
    assert_eq!(
        take_lines(&mut session),
        [":srv 451 * :You have not registered"]
    );
    assert!(session.requests.is_empty());
}

#[test]
fn an_unknown_command_is_421() {
    let mut session = entered();
    session.on_line("FROB x");
    assert_eq!(
        take_lines(&mut session),
        [":srv 421 alice FROB :Unknown command"]
    );
}

#[test]
fn unreadable_lines_are_answered_and_ignored() {
    let cases = [
        (
            LineError::TooLong,
            ":srv 417 alice :Input line was too long",
        ),
        (
            LineError::InvalidUtf8,
            ":srv FAIL * INVALID_UTF8 :Input line is not UTF-8; the line was ignored",
        ),
        (
            LineError::Nul,
            ":srv FAIL * INVALID_MESSAGE :Input line contains a NUL byte; the line was ignored",
        ),
        (
            LineError::NoCommand,
            ":srv FAIL * INVALID_MESSAGE :Input line has no command; the line was ignored",
        ),
        (
            LineError::BadTags,
            ":srv FAIL * INVALID_MESSAGE :Input line has unreadable tags; the line was ignored",
        ),
    ];
    for (error, expected) in cases {
        let mut session = entered();
        session.on_bad_line(error);
        assert_eq!(take_lines(&mut session), [expected]);
    }
}

#[test]
fn events_for_nobody_here_say_nothing() {
    let mut session = in_paris();
    let lines = answer(
        &mut session,
        Event::MemberRole {
            room: "lyon".to_owned(),
            user: UserId(2),
            nick: "bob".to_owned(),
            previous: RoomRole::Member,
            role: RoomRole::Operator,
        },
    );
    assert!(lines.is_empty(), "{lines:?}");
    let lines = answer(&mut session, Event::RoomCounts { counts: Vec::new() });
    assert!(lines.is_empty(), "{lines:?}");
}

#[test]
fn an_idle_session_gives_back_its_buffers() {
    let mut session = entered();
    let (req, _) = ask(&mut session, "WHOIS bob");
    answer(&mut session, refusal(req, ErrorCode::UserNotFound));
    session.release_idle_buffers();
    assert!(session.in_flight.is_none());
    assert_eq!(session.out.capacity(), 0);
}
