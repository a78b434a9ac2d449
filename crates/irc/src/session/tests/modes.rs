//! MODE: user modes, channel flags, bans and invite exceptions, +o and +v,
//! the hub commands they send, their answers and each refusal's numeric.

use tchatche_protocol::{Command, ErrorCode, Event, RoomFlags, RoomRole, SetRoom, UserId};

use super::*;
use tchatche_protocol::RoomAdminCommand;

#[test]
fn a_channel_says_its_modes() {
    let mut session = in_paris();
    session.channels.insert(crate::session::channels::Channel {
        slug: "paris".into(),
        topic_hash: 0,
        flags: RoomFlags {
            moderated: true,
            has_key: true,
            capacity: Some(12),
            ..RoomFlags::default()
        },
    });
    session.on_line("MODE #paris");
    session.on_line("MODE #lyon");
    assert_eq!(
        take_lines(&mut session),
        [
            ":srv 324 alice #paris :+mkntl 12",
            ":srv 324 alice #lyon :+nt",
        ]
    );
}

#[test]
fn flags_change_in_one_room_change() {
    let mut session = in_paris();
    let (_, command) = ask(&mut session, "MODE #paris +mlk-i 10 clef");
    assert_eq!(
        command,
        Command::RoomAdmin(RoomAdminCommand::SetRoom(SetRoom {
            room: "paris".to_owned(),
            moderated: Some(true),
            capacity: Some(10),
            key: Some("clef".to_owned()),
            invite_only: Some(false),
            ..SetRoom::default()
        }))
    );
    let mut session = in_paris();
    let (_, command) = ask(&mut session, "MODE #paris -lk");
    assert_eq!(
        command,
        Command::RoomAdmin(RoomAdminCommand::SetRoom(SetRoom {
            room: "paris".to_owned(),
            capacity: Some(0),
            key: Some(String::new()),
            ..SetRoom::default()
        }))
    );
    assert_refusals(&ROOM_CHANGE_REFUSALS, || {
        asking(in_paris(), "MODE #paris +m")
    });
}

#[test]
fn a_change_not_understood_sends_nothing() {
    let cases = [
        (
            "MODE #paris +m+l",
            ":srv 461 alice MODE :Not enough parameters",
        ),
        (
            "MODE #paris +k",
            ":srv 461 alice MODE :Not enough parameters",
        ),
        (
            "MODE #paris +o",
            ":srv 461 alice MODE :Not enough parameters",
        ),
        (
            "MODE #paris +mb",
            ":srv 461 alice MODE :Not enough parameters",
        ),
        (
            "MODE #paris +mx",
            ":srv 472 alice x :is unknown mode char to me",
        ),
        ("MODE", ":srv 461 alice MODE :Not enough parameters"),
    ];
    for (line, expected) in cases {
        let mut session = in_paris();
        session.on_line(line);
        assert_eq!(take_lines(&mut session), [expected], "{line}");
        assert!(session.requests.is_empty(), "{line}");
    }
}

#[test]
fn bans_and_invite_exceptions_are_set_and_said() {
    let mut session = in_paris();
    let (req, command) = ask(&mut session, "MODE #paris +b troll*!*@*");
    assert_eq!(
        command,
        Command::RoomAdmin(RoomAdminCommand::Ban {
            room: "paris".to_owned(),
            mask: "troll*!*@*".to_owned(),
            on: true,
        })
    );
    let lines = answer(&mut session, Event::Ok { req: Some(req) });
    assert_eq!(lines, [":alice!~guest@tchatche MODE #paris +b troll*!*@*"]);

    let (req, command) = ask(&mut session, "MODE #paris -I ami");
    assert_eq!(
        command,
        Command::RoomAdmin(RoomAdminCommand::InviteException {
            room: "paris".to_owned(),
            mask: "ami".to_owned(),
            on: false,
        })
    );
    let lines = answer(&mut session, Event::Ok { req: Some(req) });
    assert_eq!(lines, [":alice!~guest@tchatche MODE #paris -I ami"]);

    assert_refusals(
        &[
            NOT_OPERATOR,
            NOT_ON_CHANNEL,
            (ErrorCode::ServerError, ":srv 400 alice #paris :{text}"),
        ],
        || asking(in_paris(), "MODE #paris +b troll"),
    );
}

#[test]
fn mask_lists_are_asked_of_the_hub() {
    let cases = [
        (
            "MODE #paris b",
            vec![
                ":srv 367 alice #paris troll :srv",
                ":srv 368 alice #paris :End of channel ban list",
            ],
        ),
        (
            "MODE #paris +I",
            vec![
                ":srv 346 alice #paris ami :srv",
                ":srv 346 alice #paris copain :srv",
                ":srv 347 alice #paris :End of channel invite exception list",
            ],
        ),
    ];
    for (line, expected) in cases {
        let mut session = in_paris();
        let (req, command) = ask(&mut session, line);
        assert_eq!(
            command,
            Command::RoomAdmin(RoomAdminCommand::RoomMasks {
                room: "paris".to_owned()
            })
        );
        let lines = answer(
            &mut session,
            Event::RoomMasks {
                req: Some(req),
                room: "paris".to_owned(),
                bans: vec!["troll".to_owned()],
                invite_exceptions: vec!["ami".to_owned(), "copain".to_owned()],
            },
        );
        assert_eq!(lines, expected, "{line}");
    }
    assert_refusals(&[NOT_OPERATOR], || asking(in_paris(), "MODE #paris b"));
}

#[test]
fn standings_find_the_person_then_change() {
    let cases = [
        (
            "MODE #paris +o bob",
            Command::RoomAdmin(RoomAdminCommand::Op {
                room: "paris".to_owned(),
                user: UserId(2),
                on: true,
            }),
        ),
        (
            "MODE #paris -v bob",
            Command::RoomAdmin(RoomAdminCommand::Voice {
                room: "paris".to_owned(),
                user: UserId(2),
                on: false,
            }),
        ),
    ];
    for (line, expected) in cases {
        let mut session = in_paris();
        let (_, command) = ask_after_finding(&mut session, line, user(2, "bob"), &["paris"]);
        assert_eq!(command, expected, "{line}");
    }
}

#[test]
fn standing_refusals_have_their_numerics() {
    // Refused like any change of the room.
    assert_refusals(&ROOM_CHANGE_REFUSALS, || {
        let mut session = in_paris();
        let line = "MODE #paris +o bob";
        let (change, _) = ask_after_finding(&mut session, line, user(2, "bob"), &["paris"]);
        (session, change)
    });
    assert_refusals(
        &[(
            ErrorCode::UserNotFound,
            ":srv 401 alice ghost :No such nick/channel",
        )],
        || asking(in_paris(), "MODE #paris +o ghost"),
    );
    let mut session = in_paris();
    let (find, _) = ask(&mut session, "MODE #paris +v carol");
    let lines = answer(
        &mut session,
        Event::UserInfo {
            req: Some(find),
            user: user(3, "carol"),
            rooms: Vec::new(),
        },
    );
    assert_eq!(
        lines,
        [":srv 441 alice carol #paris :They aren't on that channel"]
    );
}

#[test]
fn changes_of_standing_are_mode_lines() {
    let cases = [
        (RoomRole::Member, RoomRole::Voiced, Some("+v")),
        (RoomRole::Voiced, RoomRole::Member, Some("-v")),
        (RoomRole::Member, RoomRole::Operator, Some("+o")),
        (RoomRole::Operator, RoomRole::Member, Some("-o")),
        (RoomRole::Member, RoomRole::Member, None),
    ];
    for (previous, role, change) in cases {
        let mut session = in_paris();
        let lines = answer(
            &mut session,
            Event::MemberRole {
                room: "paris".to_owned(),
                user: UserId(2),
                nick: "bob".to_owned(),
                previous,
                role,
            },
        );
        let expected: Vec<String> = change
            .map(|change| format!(":srv MODE #paris {change} bob"))
            .into_iter()
            .collect();
        assert_eq!(lines, expected, "{previous:?} to {role:?}");
    }
}

#[test]
fn user_modes_are_invisible_and_staff() {
    let mut session = entered();
    for line in [
        "MODE alice",
        "MODE Alice +i",
        "MODE alice +x",
        "MODE bob",
        "MODE bob +i",
    ] {
        session.on_line(line);
    }
    assert_eq!(
        take_lines(&mut session),
        [
            ":srv 221 alice :+i",
            ":alice!~guest@tchatche MODE alice +i",
            ":srv 501 alice :Unknown MODE flag",
            ":srv 502 alice :Cant change mode for other users",
            ":srv 502 alice :Cant change mode for other users",
        ]
    );
    assert!(session.requests.is_empty());
    session.staff = true;
    session.on_line("MODE alice");
    assert_eq!(take_lines(&mut session), [":srv 221 alice :+io"]);
}
