//! Unit tests of the session, sans-IO: IRC lines go in through `on_line`,
//! hub events through `on_event`, and each test reads what came out, the
//! hub commands in `requests` and the IRC lines in `out`. No socket, no hub,
//! no clock to wait for.
//!
//! This module holds what every family's tests share: a session that has
//! entered, the people and rooms the events speak of, and readers of the
//! session's output. Each family has its own file under `tests/`.

mod channels;
mod history;
mod labels_and_order;
mod messages;
mod modes;
mod people;
mod registration;
mod server;
mod staff;

use std::sync::Arc;

use tchatche_protocol::{
    Author, Band, Command, Department, ErrorCode, ErrorEvent, Event, Gender, MessageId, RoomFlags,
    RoomMember, RoomMessage, RoomRole, RoomSummary, UserId, UserSummary,
};

use super::{IrcSettings, Session};
use tchatche_protocol::{AccountCommand, PeopleCommand};

/// The id the hub gives the session under test.
const ME: UserId = UserId(1);

fn settings() -> Arc<IrcSettings> {
    Arc::new(IrcSettings {
        server_name: "srv".to_owned(),
        motd: vec!["Bonjour".to_owned()],
        default_guest_profile: String::new(),
        history_limit: 5,
    })
}

/// Someone as the hub describes them: a guest, 30, H, Paris.
fn user(id: u64, nick: &str) -> UserSummary {
    UserSummary {
        id: UserId(id),
        nick: nick.to_owned(),
        age: 30,
        gender: Gender::Homme,
        department: Department::parse("75").expect("Paris is a département"),
        member: false,
        idle_secs: 12,
        away: None,
        staff: None,
    }
}

fn author(id: u64, nick: &str) -> Author {
    Author {
        id: UserId(id),
        nick: nick.to_owned(),
        member: false,
    }
}

fn member(id: u64, nick: &str, role: RoomRole) -> RoomMember {
    RoomMember {
        user: user(id, nick),
        role,
    }
}

/// A room of the directory, with no topic and default flags.
fn room(slug: &str) -> RoomSummary {
    RoomSummary {
        slug: slug.to_owned(),
        name: slug.to_owned(),
        category: "Villes".to_owned(),
        topic: String::new(),
        members: 2,
        flags: RoomFlags::default(),
        user_created: false,
        created_at: 0,
        topic_at: 0,
    }
}

fn room_message(id: u64, room: &str, from: Author, body: &str) -> RoomMessage {
    RoomMessage {
        room: room.to_owned(),
        id: MessageId(id),
        author: from,
        body: body.to_owned(),
        at: 1_767_225_600_000,
        reply: None,
        mentions: Vec::new(),
    }
}

fn refusal(req: u32, code: ErrorCode) -> Event {
    Event::Error(ErrorEvent::new(Some(req), code))
}

/// A session that registered as `alice` and entered, after asking for
/// `caps` (space-separated, none if empty), with its buffers emptied.
fn entered_with(caps: &str) -> Session {
    let mut session = Session::new(settings());
    if !caps.is_empty() {
        session.on_line("CAP LS 302");
        session.on_line(&format!("CAP REQ :{caps}"));
        session.on_line("CAP END");
    }
    session.on_line("NICK alice");
    session.on_line("USER a 0 * :30 H 75");
    let (req, command) = take_request(&mut session);
    assert!(
        matches!(command, Command::Account(AccountCommand::Enter(_))),
        "{command:?}"
    );
    session.on_event(&Event::Entered {
        req: Some(req),
        you: user(ME.0, "alice"),
        band: Band::Adult,
        rooms: Vec::new(),
    });
    assert!(session.registered());
    session.out.clear();
    session
}

fn entered() -> Session {
    entered_with("")
}

/// A session that entered and is in `#paris`, with its buffers emptied.
fn in_paris_with(caps: &str) -> Session {
    let mut session = entered_with(caps);
    session.on_event(&Event::Joined {
        req: None,
        room: room("paris"),
        members: vec![member(ME.0, "alice", RoomRole::Member)],
        history: Vec::new(),
        role: RoomRole::Member,
    });
    session.out.clear();
    session
}

fn in_paris() -> Session {
    in_paris_with("")
}

/// The hub commands the session sent since the last call, with their
/// request numbers.
fn take_requests(session: &mut Session) -> Vec<(Option<u32>, Command)> {
    std::mem::take(&mut session.requests)
}

/// The one hub request the session sent since the last call.
fn take_request(session: &mut Session) -> (u32, Command) {
    let mut requests = take_requests(session);
    assert_eq!(requests.len(), 1, "one request: {requests:?}");
    match requests.pop() {
        Some((Some(req), command)) => (req, command),
        other => panic!("a numbered request: {other:?}"),
    }
}

/// The lines written to the client since the last call, without CR LF.
fn take_lines(session: &mut Session) -> Vec<String> {
    let out = std::mem::take(&mut session.out);
    assert!(
        out.is_empty() || out.ends_with("\r\n"),
        "whole lines: {out:?}"
    );
    out.split_terminator("\r\n").map(str::to_owned).collect()
}

/// Sends `line`, which must make one hub request; returns it.
fn ask(session: &mut Session, line: &str) -> (u32, Command) {
    session.on_line(line);
    let request = take_request(session);
    assert!(
        session.out.is_empty(),
        "nothing said before the answer: {:?}",
        session.out
    );
    request
}

/// Hands the session `event` and returns the lines it wrote.
fn answer(session: &mut Session, event: Event) -> Vec<String> {
    session.on_event(&event);
    take_lines(session)
}

/// Sends `line`, refuses its one request with `code`, and returns the
/// lines the refusal became.
fn refused(session: &mut Session, line: &str, code: ErrorCode) -> Vec<String> {
    let (req, _) = ask(session, line);
    answer(session, refusal(req, code))
}

/// The refusals every channel operator's command has, in `#paris`.
const NOT_OPERATOR: (ErrorCode, &str) = (
    ErrorCode::NotOperator,
    ":srv 482 alice #paris :You're not channel operator",
);
const NOT_ON_CHANNEL: (ErrorCode, &str) = (
    ErrorCode::NotInRoom,
    ":srv 442 alice #paris :You're not on that channel",
);

/// How a refused change of `#paris`'s topic, flags or standings reads.
const ROOM_CHANGE_REFUSALS: [(ErrorCode, &str); 4] = [
    NOT_OPERATOR,
    NOT_ON_CHANNEL,
    (
        ErrorCode::RoomNotFound,
        ":srv 403 alice #paris :No such channel",
    ),
    (ErrorCode::ServerError, ":srv 400 alice #paris :{text}"),
];

/// Checks what each refusal becomes: `request` makes a session with a
/// request waiting, and `{text}` in an expected line stands for the English
/// text of the code.
fn assert_refusals(cases: &[(ErrorCode, &str)], mut request: impl FnMut() -> (Session, u32)) {
    for (code, expected) in cases {
        let (mut session, req) = request();
        let expected = expected.replace("{text}", code.message_en());
        let lines = answer(&mut session, refusal(req, *code));
        assert_eq!(lines, [expected], "{code:?}");
    }
}

/// `session` after `line`, with the number of the one request it made.
fn asking(mut session: Session, line: &str) -> (Session, u32) {
    let (req, _) = ask(&mut session, line);
    (session, req)
}

/// Sends `line`, which first looks someone up, answers that they are
/// `found`, in `rooms`, and returns the request that follows.
fn ask_after_finding(
    session: &mut Session,
    line: &str,
    found: UserSummary,
    rooms: &[&str],
) -> (u32, Command) {
    let (find, command) = ask(session, line);
    assert!(
        matches!(command, Command::People(PeopleCommand::Whois { .. })),
        "{command:?}"
    );
    let lines = answer(
        session,
        Event::UserInfo {
            req: Some(find),
            user: found,
            rooms: rooms.iter().map(|&room| room.to_owned()).collect(),
        },
    );
    assert!(lines.is_empty(), "{lines:?}");
    take_request(session)
}

/// The numerics in `lines`, in order: their codes, or the command word of
/// other lines.
fn words(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|line| {
            let line = match line.strip_prefix('@') {
                Some(tagged) => tagged.split_once(' ').map_or("", |(_, rest)| rest),
                None => line,
            };
            let line = match line.strip_prefix(':') {
                Some(sourced) => sourced.split_once(' ').map_or("", |(_, rest)| rest),
                None => line,
            };
            line.split(' ').next().unwrap_or("").to_owned()
        })
        .collect()
}
