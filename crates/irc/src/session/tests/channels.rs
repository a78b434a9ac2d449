//! Channels: JOIN, PART, TOPIC, NAMES, LIST, KICK and INVITE, the hub
//! commands they send, their answers and each refusal's numeric, and the
//! news of the channels the client is in.

use tchatche_protocol::{
    Command, ErrorCode, Event, RoomFlags, RoomRole, SetRoom, UserId, UserQuery,
};

use super::*;
use tchatche_protocol::{PeopleCommand, RoomAdminCommand, RoomCommand};

#[test]
fn join_asks_the_hub_to_join_or_create_each_channel() {
    let mut session = in_paris();
    session.on_line("JOIN #Lyon,#paris,nantes,#nice clef");
    assert_eq!(
        take_requests(&mut session),
        [
            (
                Some(2),
                Command::Room(RoomCommand::Join {
                    room: "lyon".to_owned(),
                    key: Some("clef".to_owned()),
                    create: Some(true),
                })
            ),
            (
                Some(3),
                Command::Room(RoomCommand::Join {
                    room: "nice".to_owned(),
                    key: None,
                    create: Some(true),
                })
            ),
        ],
        "keys in the order of the channels; not #paris, which the client is in"
    );
    assert_eq!(
        take_lines(&mut session),
        [":srv 403 alice nantes :No such channel"]
    );
}

#[test]
fn joined_says_join_topic_and_names() {
    let mut session = entered();
    let (req, _) = ask(&mut session, "JOIN #paris");
    let mut paris = room("paris");
    paris.topic = "Bienvenue".to_owned();
    paris.topic_at = 1_767_225_600_000;
    let lines = answer(
        &mut session,
        Event::Joined {
            req: Some(req),
            room: paris,
            members: vec![
                member(ME.0, "alice", RoomRole::Member),
                member(3, "Zoe", RoomRole::Voiced),
                member(2, "bob", RoomRole::Operator),
            ],
            history: Vec::new(),
            role: RoomRole::Member,
        },
    );
    assert_eq!(
        lines,
        [
            ":alice!~guest@tchatche JOIN #paris",
            ":srv 332 alice #paris :Bienvenue",
            ":srv 333 alice #paris srv :1767225600",
            ":srv 353 alice = #paris :alice @bob +Zoe",
            ":srv 366 alice #paris :End of /NAMES list",
        ]
    );
    assert!(session.channels.contains_key("paris"));
}

#[test]
fn extended_join_and_userhost_in_names_say_more() {
    let mut session = entered_with("extended-join userhost-in-names");
    let lines = answer(
        &mut session,
        Event::Joined {
            req: None,
            room: room("paris"),
            members: vec![member(ME.0, "alice", RoomRole::Operator)],
            history: Vec::new(),
            role: RoomRole::Operator,
        },
    );
    assert_eq!(
        lines,
        [
            ":alice!~guest@tchatche JOIN #paris * :30 H 75",
            ":srv 331 alice #paris :No topic is set",
            ":srv 353 alice = #paris :@alice!~guest@tchatche",
            ":srv 366 alice #paris :End of /NAMES list",
        ]
    );
}

#[test]
fn join_refusals_have_their_numerics() {
    let cases = [
        (ErrorCode::RoomFull, ":srv 471 alice #lyon :{text}"),
        (ErrorCode::InviteOnly, ":srv 473 alice #lyon :{text}"),
        (ErrorCode::BannedFromRoom, ":srv 474 alice #lyon :{text}"),
        (ErrorCode::BadRoomKey, ":srv 475 alice #lyon :{text}"),
        (ErrorCode::TooManyRooms, ":srv 405 alice #lyon :{text}"),
        (
            ErrorCode::RoomRegisteredOnly,
            ":srv 477 alice #lyon :{text}",
        ),
        (ErrorCode::RoomNameInvalid, ":srv 403 alice #lyon :{text}"),
        (ErrorCode::Muted, ":srv 403 alice #lyon :{text}"),
    ];
    assert_refusals(&cases, || asking(in_paris(), "JOIN #lyon"));
    let mut session = in_paris();
    let lines = refused(&mut session, "JOIN #lyon", ErrorCode::AlreadyInRoom);
    assert!(lines.is_empty(), "{lines:?}");
}

#[test]
fn part_and_join_0_leave() {
    let mut session = in_paris();
    let (req, command) = ask(&mut session, "PART #Paris");
    assert_eq!(
        command,
        Command::Room(RoomCommand::Leave {
            room: "paris".to_owned()
        })
    );
    let lines = answer(
        &mut session,
        Event::Left {
            req: Some(req),
            room: "paris".to_owned(),
        },
    );
    assert_eq!(lines, [":alice!~guest@tchatche PART #paris"]);
    assert!(!session.channels.contains_key("paris"));

    let mut session = in_paris();
    let (_, command) = ask(&mut session, "JOIN 0");
    assert_eq!(
        command,
        Command::Room(RoomCommand::Leave {
            room: "paris".to_owned()
        })
    );
    assert_refusals(
        &[
            NOT_ON_CHANNEL,
            (ErrorCode::RoomNotFound, ":srv 403 alice #paris :{text}"),
        ],
        || asking(in_paris(), "PART #paris"),
    );
}

#[test]
fn topic_asks_the_directory_and_says_the_topic() {
    let mut session = in_paris();
    let (req, command) = ask(&mut session, "TOPIC #paris");
    assert_eq!(command, Command::Room(RoomCommand::ListRooms {}));
    let mut paris = room("paris");
    paris.topic = "Bienvenue".to_owned();
    let lines = answer(
        &mut session,
        Event::RoomList {
            req: Some(req),
            rooms: vec![room("lyon"), paris],
        },
    );
    assert_eq!(lines, [":srv 332 alice #paris :Bienvenue"]);

    let (req, _) = ask(&mut session, "TOPIC #paris");
    let lines = answer(
        &mut session,
        Event::RoomList {
            req: Some(req),
            rooms: Vec::new(),
        },
    );
    assert_eq!(lines, [":srv 331 alice #paris :No topic is set"]);

    session.on_line("TOPIC #lyon");
    assert!(session.requests.is_empty());
    assert_eq!(
        take_lines(&mut session),
        [":srv 442 alice #lyon :You're not on that channel"]
    );
}

#[test]
fn a_new_topic_is_a_room_change_with_its_refusals() {
    let mut session = in_paris();
    let (_, command) = ask(&mut session, "TOPIC #paris :Nouveau");
    assert_eq!(
        command,
        Command::RoomAdmin(RoomAdminCommand::SetRoom(SetRoom {
            room: "paris".to_owned(),
            topic: Some("Nouveau".to_owned()),
            ..SetRoom::default()
        }))
    );
    assert_refusals(&ROOM_CHANGE_REFUSALS, || {
        asking(in_paris(), "TOPIC #paris :Nouveau")
    });
}

#[test]
fn names_asks_the_hub_for_members_or_people() {
    let mut session = in_paris();
    let (req, command) = ask(&mut session, "NAMES #paris");
    assert_eq!(
        command,
        Command::Room(RoomCommand::RoomMembers {
            room: "paris".to_owned()
        })
    );
    let lines = answer(
        &mut session,
        Event::RoomMembers {
            req: Some(req),
            room: "paris".to_owned(),
            members: vec![member(2, "bob", RoomRole::Voiced)],
        },
    );
    assert_eq!(
        lines,
        [
            ":srv 353 alice = #paris :+bob",
            ":srv 366 alice #paris :End of /NAMES list",
        ]
    );

    // A channel the client is not in: the people the hub lets it see.
    let (req, command) = ask(&mut session, "NAMES #lyon");
    assert_eq!(
        command,
        Command::People(PeopleCommand::Users(UserQuery {
            room: Some("lyon".to_owned()),
            page_size: Some(200),
            ..UserQuery::default()
        }))
    );
    let lines = answer(
        &mut session,
        Event::UserList {
            req: Some(req),
            users: vec![user(2, "bob"), user(3, "carol")],
            total: 2,
            page: 0,
            page_size: 200,
        },
    );
    assert_eq!(lines[0], ":srv 353 alice = #lyon :bob carol");

    let lines = refused(&mut session, "NAMES #lyon", ErrorCode::RoomNotFound);
    assert_eq!(lines, [":srv 366 alice #lyon :End of /NAMES list"]);
    session.on_line("NAMES");
    assert_eq!(
        take_lines(&mut session),
        [":srv 366 alice * :End of /NAMES list"]
    );
}

#[test]
fn names_are_split_into_lines_of_reasonable_length() {
    let mut session = in_paris();
    let (req, _) = ask(&mut session, "NAMES #paris");
    let members = (0..60)
        .map(|n| member(n + 10, &format!("nickname{n:02}"), RoomRole::Member))
        .collect();
    let lines = answer(
        &mut session,
        Event::RoomMembers {
            req: Some(req),
            room: "paris".to_owned(),
            members,
        },
    );
    assert_eq!(words(&lines), ["353", "353", "366"]);
    assert!(lines.iter().all(|line| line.len() < 400), "{lines:?}");
}

#[test]
fn list_filters_the_directory_with_elist() {
    let now = crate::render::now_ms();
    let minutes_ago = |minutes: u64| now - minutes * 60_000;
    let mut paris = room("paris");
    paris.members = 5;
    paris.created_at = minutes_ago(100);
    paris.topic = "Capitale".to_owned();
    paris.topic_at = minutes_ago(3);
    let mut parme = room("parme");
    parme.members = 1;
    parme.created_at = minutes_ago(2);
    let mut lyon = room("lyon");
    lyon.members = 3;
    lyon.created_at = minutes_ago(50);
    let rooms = vec![paris, parme, lyon];
    let cases: [(&str, &[&str]); 10] = [
        ("LIST", &["#paris", "#parme", "#lyon"]),
        ("LIST #lyon,#nowhere", &["#lyon"]),
        ("LIST #PAR*", &["#paris", "#parme"]),
        ("LIST #par?e", &["#parme"]),
        ("LIST !#par*", &["#lyon"]),
        ("LIST >2", &["#paris", "#lyon"]),
        ("LIST <3", &["#parme"]),
        ("LIST C>10", &["#paris", "#lyon"]),
        ("LIST C<10,T<5", &[]),
        ("LIST T<5", &["#paris"]),
    ];
    for (line, expected) in cases {
        let mut session = entered();
        let (req, command) = ask(&mut session, line);
        assert_eq!(command, Command::Room(RoomCommand::ListRooms {}));
        let lines = answer(
            &mut session,
            Event::RoomList {
                req: Some(req),
                rooms: rooms.clone(),
            },
        );
        let listed: Vec<&str> = lines
            .iter()
            .filter(|line| line.starts_with(":srv 322 "))
            .filter_map(|line| line.split(' ').nth(3))
            .collect();
        assert_eq!(listed, expected, "{line}");
        assert_eq!(lines[0], ":srv 321 alice Channel :Users  Name");
        assert_eq!(
            lines.last().map(String::as_str),
            Some(":srv 323 alice :End of /LIST")
        );
    }
    let mut session = entered();
    let lines = refused(&mut session, "LIST", ErrorCode::ServerError);
    assert_eq!(lines, [":srv 323 alice :End of /LIST"]);
}

#[test]
fn kick_finds_the_person_then_kicks() {
    let mut session = in_paris();
    let (_, command) = ask_after_finding(
        &mut session,
        "KICK #paris Bob :dehors",
        user(2, "bob"),
        &["paris"],
    );
    assert_eq!(
        command,
        Command::RoomAdmin(RoomAdminCommand::Kick {
            room: "paris".to_owned(),
            user: UserId(2),
            reason: Some("dehors".to_owned()),
        })
    );
}

#[test]
fn kick_refusals_have_their_numerics() {
    let cases = [
        NOT_OPERATOR,
        NOT_ON_CHANNEL,
        (
            ErrorCode::TargetIsStaff,
            ":srv 441 alice bob #paris :They aren't on that channel",
        ),
    ];
    assert_refusals(&cases, || {
        let mut session = in_paris();
        let (kick, _) =
            ask_after_finding(&mut session, "KICK #paris bob", user(2, "bob"), &["paris"]);
        (session, kick)
    });
    assert_refusals(
        &[(
            ErrorCode::UserNotFound,
            ":srv 401 alice ghost :No such nick/channel",
        )],
        || asking(in_paris(), "KICK #paris ghost"),
    );
}

#[test]
fn kick_needs_the_person_and_the_client_in_the_channel() {
    let mut session = in_paris();
    let (find, _) = ask(&mut session, "KICK #paris carol");
    let lines = answer(
        &mut session,
        Event::UserInfo {
            req: Some(find),
            user: user(3, "carol"),
            rooms: vec!["lyon".to_owned()],
        },
    );
    assert_eq!(
        lines,
        [":srv 441 alice carol #paris :They aren't on that channel"]
    );
    assert!(session.requests.is_empty());
    session.on_line("KICK #lyon bob");
    assert_eq!(
        take_lines(&mut session),
        [":srv 442 alice #lyon :You're not on that channel"]
    );
    assert!(session.requests.is_empty());
}

#[test]
fn invite_finds_the_person_then_invites() {
    let mut session = in_paris();
    let (invite, command) =
        ask_after_finding(&mut session, "INVITE bob #paris", user(2, "Bob"), &[]);
    assert_eq!(
        command,
        Command::RoomAdmin(RoomAdminCommand::Invite {
            room: "paris".to_owned(),
            user: UserId(2),
        })
    );
    let lines = answer(&mut session, Event::Ok { req: Some(invite) });
    assert_eq!(lines, [":srv 341 alice Bob :#paris"]);
}

#[test]
fn invite_refusals_have_their_numerics() {
    let cases = [
        NOT_OPERATOR,
        NOT_ON_CHANNEL,
        (
            ErrorCode::AlreadyInRoom,
            ":srv 443 alice bob #paris :is already on channel",
        ),
        (
            ErrorCode::UserNotFound,
            ":srv 401 alice bob :No such nick/channel",
        ),
        (ErrorCode::RoomNotFound, ":srv 403 alice #paris :{text}"),
    ];
    assert_refusals(&cases, || {
        let mut session = in_paris();
        let (invite, _) = ask_after_finding(&mut session, "INVITE bob #paris", user(2, "bob"), &[]);
        (session, invite)
    });
    assert_refusals(
        &[(
            ErrorCode::UserNotFound,
            ":srv 401 alice ghost :No such nick/channel",
        )],
        || asking(in_paris(), "INVITE ghost #paris"),
    );
}

#[test]
fn commands_without_their_parameters_are_461() {
    for command in ["JOIN", "PART", "TOPIC", "KICK #paris", "INVITE bob"] {
        let mut session = in_paris();
        session.on_line(command);
        let name = command.split(' ').next().unwrap_or(command);
        assert_eq!(
            take_lines(&mut session),
            [format!(":srv 461 alice {name} :Not enough parameters")]
        );
        assert!(session.requests.is_empty());
    }
}

#[test]
fn news_of_a_channel_the_client_is_in() {
    let mut session = in_paris_with("extended-join");
    let mut bob = member(2, "bob", RoomRole::Member);
    bob.user.member = true;
    let mut renamed = room("paris");
    renamed.topic = "Nouveau".to_owned();
    renamed.flags = RoomFlags {
        moderated: true,
        capacity: Some(10),
        ..RoomFlags::default()
    };
    let events = [
        Event::MemberJoined {
            room: "paris".to_owned(),
            member: bob,
        },
        Event::MemberLeft {
            room: "paris".to_owned(),
            user: UserId(2),
            nick: "bob".to_owned(),
        },
        Event::RoomUpdated { room: renamed },
        Event::Kicked {
            room: "paris".to_owned(),
            user: author(3, "carol"),
            by: author(2, "bob"),
            reason: String::new(),
        },
        Event::Invited {
            room: "paris".to_owned(),
            user: author(ME.0, "alice"),
            by: author(2, "bob"),
        },
    ];
    let lines: Vec<String> = events
        .into_iter()
        .flat_map(|event| answer(&mut session, event))
        .collect();
    assert_eq!(
        lines,
        [
            ":bob!~guest@tchatche JOIN #paris bob :30 H 75",
            ":bob!~guest@tchatche PART #paris :Left",
            ":srv TOPIC #paris :Nouveau",
            ":srv MODE #paris +m",
            ":srv MODE #paris +l 10",
            ":bob!~guest@tchatche KICK #paris carol :bob",
            ":bob!~guest@tchatche INVITE alice #paris",
        ]
    );
}

#[test]
fn news_of_other_channels_is_not_told() {
    let mut session = in_paris();
    let events = [
        Event::MemberJoined {
            room: "lyon".to_owned(),
            member: member(2, "bob", RoomRole::Member),
        },
        Event::MemberLeft {
            room: "lyon".to_owned(),
            user: UserId(2),
            nick: "bob".to_owned(),
        },
        Event::RoomUpdated { room: room("lyon") },
        Event::Kicked {
            room: "lyon".to_owned(),
            user: author(3, "carol"),
            by: author(2, "bob"),
            reason: "out".to_owned(),
        },
        // Someone else's invitation, without invite-notify.
        Event::Invited {
            room: "paris".to_owned(),
            user: author(3, "carol"),
            by: author(2, "bob"),
        },
        // The same topic and flags as the channel's.
        Event::RoomUpdated {
            room: room("paris"),
        },
    ];
    for event in events {
        let lines = answer(&mut session, event.clone());
        assert!(lines.is_empty(), "{event:?}: {lines:?}");
    }
}

#[test]
fn being_kicked_forgets_the_channel() {
    let mut session = in_paris();
    let lines = answer(
        &mut session,
        Event::Kicked {
            room: "paris".to_owned(),
            user: author(ME.0, "alice"),
            by: author(2, "bob"),
            reason: "dehors".to_owned(),
        },
    );
    assert_eq!(lines, [":bob!~guest@tchatche KICK #paris alice :dehors"]);
    assert!(!session.channels.contains_key("paris"));
}
