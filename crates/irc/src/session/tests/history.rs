//! CHATHISTORY: the hub command, the batch of messages it answers with, and
//! FAIL for what it cannot answer.

use tchatche_protocol::{Command, ErrorCode, Event, MessageId};

use super::*;
use tchatche_protocol::RoomCommand;

/// Messages 1 to `n` in `#paris`, from bob.
fn messages(n: u64) -> Vec<tchatche_protocol::RoomMessage> {
    (1..=n)
        .map(|id| room_message(id, "paris", author(2, "bob"), &format!("message {id}")))
        .collect()
}

#[test]
fn latest_asks_the_hub_for_at_most_the_scrollback() {
    let cases = [
        ("CHATHISTORY LATEST #paris * 3", None, Some(3)),
        ("CHATHISTORY LATEST #Paris * 100", None, Some(5)),
        ("CHATHISTORY LATEST #paris msgid=2 3", None, None),
        (
            "CHATHISTORY BEFORE #paris msgid=9 3",
            Some(MessageId(9)),
            Some(3),
        ),
    ];
    for (line, before, limit) in cases {
        let mut session = in_paris();
        let (_, command) = ask(&mut session, line);
        assert_eq!(
            command,
            Command::Room(RoomCommand::History {
                room: "paris".to_owned(),
                before,
                limit,
            }),
            "{line}"
        );
    }
}

#[test]
fn the_answer_is_a_chathistory_batch() {
    let mut session = in_paris();
    let (req, _) = ask(&mut session, "CHATHISTORY LATEST #paris * 2");
    let lines = answer(
        &mut session,
        Event::History {
            req: Some(req),
            room: "paris".to_owned(),
            messages: messages(3),
        },
    );
    assert_eq!(
        lines,
        [
            ":srv BATCH +b2 chathistory #paris",
            "@batch=b2;time=2026-01-01T00:00:00.000Z;msgid=2 :bob!~guest@tchatche PRIVMSG #paris :message 2",
            "@batch=b2;time=2026-01-01T00:00:00.000Z;msgid=3 :bob!~guest@tchatche PRIVMSG #paris :message 3",
            ":srv BATCH -b2",
        ],
        "the latest two"
    );
}

#[test]
fn latest_after_a_message_keeps_only_what_came_after_it() {
    let mut session = in_paris();
    let (req, _) = ask(&mut session, "CHATHISTORY LATEST #paris msgid=3 10");
    let lines = answer(
        &mut session,
        Event::History {
            req: Some(req),
            room: "paris".to_owned(),
            messages: messages(5),
        },
    );
    let ids: Vec<&str> = lines
        .iter()
        .filter_map(|line| line.split(";msgid=").nth(1))
        .filter_map(|rest| rest.split(' ').next())
        .collect();
    assert_eq!(ids, ["4", "5"]);
}

#[test]
fn private_conversations_have_an_empty_history() {
    let mut session = entered();
    session.on_line("CHATHISTORY LATEST bob * 10");
    assert!(session.requests.is_empty());
    assert_eq!(
        take_lines(&mut session),
        [":srv BATCH +b2 chathistory bob", ":srv BATCH -b2"]
    );
}

#[test]
fn what_cannot_be_asked_fails() {
    let cases = [
        (
            "CHATHISTORY LATEST #paris *",
            "INVALID_PARAMS :Usage: CHATHISTORY LATEST|BEFORE <channel> <*|msgid=id> <limit>",
        ),
        (
            "CHATHISTORY LATEST #paris * many",
            "INVALID_PARAMS :The limit must be a number",
        ),
        (
            "CHATHISTORY AROUND #paris msgid=3 10",
            "INVALID_PARAMS :Supported: LATEST with * or msgid=, BEFORE with msgid=",
        ),
        (
            "CHATHISTORY BEFORE #paris * 10",
            "INVALID_PARAMS :Supported: LATEST with * or msgid=, BEFORE with msgid=",
        ),
    ];
    for (line, expected) in cases {
        let mut session = in_paris();
        session.on_line(line);
        assert!(session.requests.is_empty(), "{line}");
        assert_eq!(
            take_lines(&mut session),
            [format!(":srv FAIL CHATHISTORY {expected}")],
            "{line}"
        );
    }
}

#[test]
fn refusals_are_fails_with_their_codes() {
    let cases = [
        (
            ErrorCode::NotInRoom,
            ":srv FAIL CHATHISTORY INVALID_TARGET #lyon :{text}",
        ),
        (
            ErrorCode::RoomNotFound,
            ":srv FAIL CHATHISTORY INVALID_TARGET #lyon :{text}",
        ),
        (
            ErrorCode::ServerError,
            ":srv FAIL CHATHISTORY MESSAGE_ERROR #lyon :{text}",
        ),
    ];
    assert_refusals(&cases, || {
        asking(in_paris(), "CHATHISTORY LATEST #lyon * 3")
    });
}
