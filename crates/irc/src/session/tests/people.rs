//! People: WHO, WHOIS, WHOWAS, AWAY and LUSERS, the hub commands they
//! send, their answers and refusals, and the news of people.

use tchatche_protocol::{
    Command, Departure, ErrorCode, Event, Gender, StaffRole, UserId, UserQuery,
};

use super::*;
use tchatche_protocol::PeopleCommand;

#[test]
fn who_of_a_channel_lists_the_people_the_hub_gives() {
    let mut session = in_paris();
    let (req, command) = ask(&mut session, "WHO #paris");
    assert_eq!(
        command,
        Command::People(PeopleCommand::Users(UserQuery {
            room: Some("paris".to_owned()),
            page_size: Some(200),
            ..UserQuery::default()
        }))
    );
    let mut bob = user(2, "bob");
    bob.away = Some("déjeuner".to_owned());
    let lines = answer(
        &mut session,
        Event::UserList {
            req: Some(req),
            users: vec![user(ME.0, "alice"), bob],
            total: 2,
            page: 0,
            page_size: 200,
        },
    );
    assert_eq!(
        lines,
        [
            ":srv 352 alice #paris ~guest tchatche srv alice H :0 30 H 75",
            ":srv 352 alice #paris ~guest tchatche srv bob G :0 30 H 75",
            ":srv 315 alice #paris :End of WHO list",
        ]
    );
    let lines = refused(&mut session, "WHO #paris", ErrorCode::RoomNotFound);
    assert_eq!(lines, [":srv 315 alice #paris :End of WHO list"]);
}

#[test]
fn who_of_a_nickname_asks_whois_and_masks_list_nobody() {
    let mut session = entered();
    let (req, command) = ask(&mut session, "WHO bob");
    assert_eq!(
        command,
        Command::People(PeopleCommand::Whois {
            nick: "bob".to_owned()
        })
    );
    let lines = answer(
        &mut session,
        Event::UserInfo {
            req: Some(req),
            user: user(2, "bob"),
            rooms: Vec::new(),
        },
    );
    assert_eq!(
        lines,
        [
            ":srv 352 alice * ~guest tchatche srv bob H :0 30 H 75",
            ":srv 315 alice bob :End of WHO list",
        ]
    );
    let lines = refused(&mut session, "WHO ghost", ErrorCode::UserNotFound);
    assert_eq!(lines, [":srv 315 alice ghost :End of WHO list"]);

    session.on_line("WHO b*");
    session.on_line("WHO");
    assert!(session.requests.is_empty(), "no scraping by mask");
    assert_eq!(
        take_lines(&mut session),
        [
            ":srv 315 alice b* :End of WHO list",
            ":srv 315 alice * :End of WHO list",
        ]
    );
}

#[test]
fn whois_says_everything_the_hub_tells() {
    let mut session = entered();
    let (req, command) = ask(&mut session, "WHOIS srv Bob");
    assert_eq!(
        command,
        Command::People(PeopleCommand::Whois {
            nick: "Bob".to_owned()
        })
    );
    let mut bob = user(2, "bob");
    bob.member = true;
    bob.staff = Some(StaffRole::Administrator);
    bob.away = Some("déjeuner".to_owned());
    let lines = answer(
        &mut session,
        Event::UserInfo {
            req: Some(req),
            user: bob,
            rooms: vec!["paris".to_owned(), "lyon".to_owned()],
        },
    );
    assert_eq!(
        lines,
        [
            ":srv 311 alice bob ~guest tchatche * :30 H 75",
            ":srv 319 alice bob :#paris #lyon",
            ":srv 312 alice bob srv :tchatche",
            ":srv 330 alice bob bob :is logged in as",
            ":srv 313 alice bob :is an administrator of this site (administration)",
            ":srv 301 alice bob :déjeuner",
            ":srv 317 alice bob 12 :seconds idle",
            ":srv 318 alice bob :End of /WHOIS list",
        ]
    );
    let lines = refused(&mut session, "WHOIS ghost", ErrorCode::UserNotFound);
    assert_eq!(
        lines,
        [
            ":srv 401 alice ghost :No such nick/channel",
            ":srv 318 alice ghost :End of /WHOIS list",
        ]
    );
    session.on_line("WHOIS");
    assert_eq!(
        take_lines(&mut session),
        [":srv 431 alice :No nickname given"]
    );
}

#[test]
fn whowas_says_who_had_the_nickname() {
    let mut session = entered();
    let (req, command) = ask(&mut session, "WHOWAS bob");
    assert_eq!(
        command,
        Command::People(PeopleCommand::Whowas {
            nick: "bob".to_owned()
        })
    );
    let lines = answer(
        &mut session,
        Event::WhowasList {
            req: Some(req),
            nick: "bob".to_owned(),
            entries: vec![Departure {
                nick: "bob".to_owned(),
                age: 41,
                gender: Gender::Autre,
                department: Department::parse("69").expect("Rhône"),
                left_at: 5,
            }],
        },
    );
    assert_eq!(
        lines,
        [
            ":srv 314 alice bob ~guest tchatche * :41 A 69",
            ":srv 369 alice bob :End of WHOWAS",
        ]
    );
    let (req, _) = ask(&mut session, "WHOWAS ghost");
    let lines = answer(
        &mut session,
        Event::WhowasList {
            req: Some(req),
            nick: "ghost".to_owned(),
            entries: Vec::new(),
        },
    );
    assert_eq!(
        lines,
        [
            ":srv 406 alice ghost :There was no such nickname",
            ":srv 369 alice ghost :End of WHOWAS",
        ]
    );
    let lines = refused(&mut session, "WHOWAS ghost", ErrorCode::ServerError);
    assert_eq!(lines, [":srv 369 alice ghost :End of WHOWAS"]);
}

#[test]
fn away_is_set_and_cleared() {
    let cases = [
        (
            "AWAY :déjeuner",
            Some("déjeuner"),
            ":srv 306 alice :You have been marked as being away",
        ),
        (
            "AWAY",
            None,
            ":srv 305 alice :You are no longer marked as being away",
        ),
    ];
    for (line, message, expected) in cases {
        let mut session = entered();
        let (req, command) = ask(&mut session, line);
        assert_eq!(
            command,
            Command::People(PeopleCommand::SetAway {
                message: message.map(str::to_owned)
            })
        );
        assert_eq!(
            answer(&mut session, Event::Ok { req: Some(req) }),
            [expected]
        );
    }
    assert_refusals(
        &[(ErrorCode::AwayTooLong, ":srv 400 alice AWAY :{text}")],
        || asking(entered(), "AWAY :x"),
    );
}

#[test]
fn lusers_counts_the_people_the_hub_counts() {
    let mut session = entered();
    let (req, command) = ask(&mut session, "LUSERS");
    assert_eq!(
        command,
        Command::People(PeopleCommand::Users(UserQuery {
            page_size: Some(1),
            ..UserQuery::default()
        }))
    );
    let lines = answer(
        &mut session,
        Event::UserList {
            req: Some(req),
            users: Vec::new(),
            total: 7,
            page: 0,
            page_size: 1,
        },
    );
    assert_eq!(
        lines,
        [
            ":srv 251 alice :There are 7 users and 0 invisible on 1 servers",
            ":srv 255 alice :I have 7 clients and 0 servers",
        ]
    );
    assert_refusals(
        &[(ErrorCode::ServerError, ":srv NOTICE alice :{text}")],
        || asking(entered(), "LUSERS"),
    );
}

#[test]
fn news_of_people_is_told_to_the_clients_that_asked() {
    let events = || {
        [
            Event::MemberQuit {
                user: UserId(2),
                nick: "bob".to_owned(),
            },
            Event::Away {
                user: author(2, "bob"),
                message: Some("déjeuner".to_owned()),
            },
            Event::Away {
                user: author(2, "bob"),
                message: None,
            },
            Event::AccountChanged {
                user: author(2, "bob"),
                member: true,
            },
            Event::AccountChanged {
                user: author(2, "bob"),
                member: false,
            },
            // One's own account is not news.
            Event::AccountChanged {
                user: author(ME.0, "alice"),
                member: true,
            },
        ]
    };
    let mut session = entered();
    let lines: Vec<String> = events()
        .into_iter()
        .flat_map(|event| answer(&mut session, event))
        .collect();
    assert_eq!(lines, [":bob!~guest@tchatche QUIT :Quit"]);

    let mut session = entered_with("away-notify account-notify");
    let lines: Vec<String> = events()
        .into_iter()
        .flat_map(|event| answer(&mut session, event))
        .collect();
    assert_eq!(
        lines,
        [
            ":bob!~guest@tchatche QUIT :Quit",
            ":bob!~guest@tchatche AWAY :déjeuner",
            ":bob!~guest@tchatche AWAY",
            ":bob!~guest@tchatche ACCOUNT bob",
            ":bob!~guest@tchatche ACCOUNT *",
        ]
    );
}
