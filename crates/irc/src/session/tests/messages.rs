//! PRIVMSG and NOTICE: the hub commands they send, each refusal's numeric
//! (none for a NOTICE), private messages and their labeled echoes.

use tchatche_protocol::{Command, DirectMessage, ErrorCode, Event, MessageId, Say};

use super::*;
use tchatche_protocol::{PrivateCommand, RoomCommand};

fn dm(id: u64, from: Author, to: Author) -> DirectMessage {
    DirectMessage {
        id: MessageId(id),
        from,
        to,
        body: "psst".to_owned(),
        at: 1_767_225_600_000,
    }
}

#[test]
fn a_message_goes_to_each_channel_and_nickname() {
    let mut session = in_paris();
    session.on_line("PRIVMSG #Paris,bob :salut à tous");
    let commands: Vec<Command> = take_requests(&mut session)
        .into_iter()
        .map(|(_, command)| command)
        .collect();
    assert_eq!(
        commands,
        [
            Command::Room(RoomCommand::Say(Say {
                room: "paris".to_owned(),
                body: "salut à tous".to_owned(),
                reply_to: None,
            })),
            Command::Private(PrivateCommand::DmNick {
                nick: "bob".to_owned(),
                body: "salut à tous".to_owned(),
            }),
        ]
    );
}

#[test]
fn privmsg_without_a_target_or_text_is_refused_and_notice_is_not() {
    let mut session = in_paris();
    session.on_line("PRIVMSG");
    session.on_line("PRIVMSG #paris");
    session.on_line("NOTICE");
    session.on_line("NOTICE #paris");
    assert_eq!(
        take_lines(&mut session),
        [
            ":srv 411 alice :No recipient given (PRIVMSG)",
            ":srv 412 alice :No text to send",
        ]
    );
    assert!(session.requests.is_empty());
}

#[test]
fn refusals_of_a_channel_message_have_their_numerics() {
    let cases = [
        (ErrorCode::RoomNotFound, ":srv 403 alice #paris :{text}"),
        (ErrorCode::MessageTooLong, ":srv 417 alice :{text}"),
        (ErrorCode::Muted, ":srv 404 alice #paris :{text}"),
        (ErrorCode::NotInRoom, ":srv 404 alice #paris :{text}"),
    ];
    assert_refusals(&cases, || asking(in_paris(), "PRIVMSG #paris :salut"));
    for (code, _) in cases {
        let lines = refused(&mut in_paris(), "NOTICE #paris :salut", code);
        assert!(lines.is_empty(), "{code:?}: a NOTICE is never answered");
    }
}

#[test]
fn refusals_of_a_private_message_have_their_numerics() {
    let cases = [
        (
            ErrorCode::UserNotFound,
            ":srv 401 alice bob :No such nick/channel",
        ),
        (ErrorCode::DmRefused, ":srv 716 alice bob :{text}"),
        (ErrorCode::MessageBlocked, ":srv 404 alice bob :{text}"),
    ];
    assert_refusals(&cases, || asking(entered(), "PRIVMSG bob :psst"));
    for (code, _) in cases {
        let lines = refused(&mut entered(), "NOTICE bob :psst", code);
        assert!(lines.is_empty(), "{code:?}: a NOTICE is never answered");
    }
}

#[test]
fn private_messages_are_written_and_own_ones_echoed_only_if_asked() {
    let mut session = entered();
    let lines = answer(
        &mut session,
        Event::Dm(dm(5, author(2, "bob"), author(ME.0, "alice"))),
    );
    assert_eq!(lines, [":bob!~guest@tchatche PRIVMSG alice :psst"]);
    let own = Event::Dm(dm(6, author(ME.0, "alice"), author(2, "bob")));
    assert!(answer(&mut session, own.clone()).is_empty());

    let mut session = entered_with("echo-message");
    assert_eq!(
        answer(&mut session, own),
        [":alice!~guest@tchatche PRIVMSG bob :psst"]
    );
}

#[test]
fn the_echo_of_a_labeled_private_message_carries_the_label() {
    let mut session = entered_with("labeled-response echo-message");
    let (req, _) = ask(&mut session, "@label=d1 PRIVMSG bob :psst");
    let sent = answer(
        &mut session,
        Event::Sent {
            req: Some(req),
            id: MessageId(7),
        },
    );
    assert!(sent.is_empty(), "the echo is the answer: {sent:?}");
    assert!(session.wants_lines());
    let echo = answer(
        &mut session,
        Event::Dm(dm(7, author(ME.0, "alice"), author(2, "bob"))),
    );
    assert_eq!(echo, ["@label=d1 :alice!~guest@tchatche PRIVMSG bob :psst"]);
}

#[test]
fn without_echoes_a_labeled_private_message_is_acknowledged_by_sent() {
    let mut session = entered_with("labeled-response");
    let (req, _) = ask(&mut session, "@label=d2 PRIVMSG bob :psst");
    let lines = answer(
        &mut session,
        Event::Sent {
            req: Some(req),
            id: MessageId(7),
        },
    );
    assert_eq!(lines, ["@label=d2 :srv ACK"]);
}

#[test]
fn private_messages_carry_tags_for_clients_that_take_them() {
    let mut session = entered_with("server-time");
    let lines = answer(
        &mut session,
        Event::Dm(dm(5, author(2, "bob"), author(ME.0, "alice"))),
    );
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0].starts_with("@time=2026-01-01T00:00:00.000Z;msgid=5 :bob!"),
        "{lines:?}"
    );
}
