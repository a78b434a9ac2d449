//! Guest entry: success and every refusal.

use serde_json::json;
use tchatche_protocol::{Band, Event};

use crate::support::{TestServer, error_code};

#[tokio::test]
async fn a_guest_enters_and_gets_a_session_and_the_directory() {
    let server = TestServer::start().await;
    let mut alice = server.client().await;
    let entered = alice.enter("Alice", 25, "femme", "2A").await;
    let Event::Entered {
        you, band, rooms, ..
    } = entered
    else {
        panic!("{entered:?}")
    };
    assert_eq!(you.nick, "Alice");
    assert_eq!(you.age, 25);
    assert_eq!(you.department.code(), "2A");
    assert!(!you.member);
    assert_eq!(band, Band::Adult);
    assert!(
        rooms.len() >= 30,
        "adult directory has {} rooms",
        rooms.len()
    );
    // The session works: a command that needs one succeeds.
    assert!(matches!(
        alice.request(json!({"type": "list_rooms"})).await,
        Event::RoomList { .. }
    ));
    server.shutdown().await;
}

#[tokio::test]
async fn a_client_may_enter_without_the_directory_and_list_rooms_later() {
    let server = TestServer::start().await;
    let mut lean = server.client().await;
    let entered = lean
        .request(json!({
            "type": "enter", "protocol": 1, "nickname": "Sobre", "age": 25,
            "gender": "femme", "department": "75", "directory": false,
        }))
        .await;
    let Event::Entered { you, rooms, .. } = entered else {
        panic!("{entered:?}")
    };
    assert_eq!(you.nick, "Sobre");
    assert!(rooms.is_empty(), "{} rooms", rooms.len());
    // The directory is there when asked for.
    let listed = lean.request(json!({"type": "list_rooms"})).await;
    let Event::RoomList { rooms, .. } = listed else {
        panic!("{listed:?}")
    };
    assert!(rooms.len() >= 30, "{} rooms", rooms.len());
    // `true` is the default: with the directory.
    let mut full = server.client().await;
    let entered = full
        .request(json!({
            "type": "enter", "protocol": 1, "nickname": "Complet", "age": 25,
            "gender": "homme", "department": "75", "directory": true,
        }))
        .await;
    assert!(
        matches!(&entered, Event::Entered { rooms, .. } if rooms.len() >= 30),
        "{entered:?}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn every_refusal_has_its_code() {
    let server = TestServer::start().await;
    let _taken = server.guest("Bernard", 30).await;
    let cases: &[(&str, u32, &str, &str, &str)] = &[
        ("bernard", 30, "homme", "75", "nickname_taken"),
        ("B", 30, "homme", "75", "nickname_invalid"),
        (
            "abcdefghijklmnopqrstu",
            30,
            "homme",
            "75",
            "nickname_invalid",
        ),
        ("al ice", 30, "homme", "75", "nickname_invalid"),
        ("<script>", 30, "homme", "75", "nickname_invalid"),
        ("9lives", 30, "homme", "75", "nickname_invalid"),
        ("admin", 30, "homme", "75", "nickname_reserved"),
        ("Modo75", 30, "homme", "75", "nickname_reserved"),
        ("le_moderateur", 30, "homme", "75", "nickname_reserved"),
        ("StaffTeam", 30, "homme", "75", "nickname_reserved"),
        ("system", 30, "homme", "75", "nickname_reserved"),
        ("tchatche", 30, "homme", "75", "nickname_reserved"),
        ("Chloe", 14, "femme", "75", "age_too_young"),
        ("Chloe", 0, "femme", "75", "age_invalid"),
        ("Chloe", 100, "femme", "75", "age_invalid"),
        ("Chloe", 30, "femme", "20", "department_unknown"),
        ("Chloe", 30, "femme", "96", "department_unknown"),
        ("Chloe", 30, "femme", "paris", "department_unknown"),
    ];
    let mut client = server.client().await;
    for (nick, age, gender, department, code) in cases {
        let reply = client.enter(nick, *age, gender, department).await;
        assert_eq!(
            error_code(&reply),
            *code,
            "{nick} {age} {department}: {reply:?}"
        );
        let Event::Error(error) = &reply else {
            unreachable!()
        };
        assert!(!error.message_fr.is_empty() && !error.message_en.is_empty());
    }
    // Refusals lose nothing: the same connection can still enter.
    assert!(matches!(
        client.enter("Chloe", 30, "femme", "971").await,
        Event::Entered { .. }
    ));
    server.shutdown().await;
}

#[tokio::test]
async fn lookalike_nicknames_collide() {
    let server = TestServer::start_with(|config| {
        // `admin` is reserved by default; take it off the list so the
        // collision itself is what refuses the lookalikes.
        config
            .entry
            .reserved_nicknames
            .retain(|word| word != "admin");
    })
    .await;
    let _first = server.guest("Admin", 30).await;
    let mut client = server.client().await;
    for lookalike in ["ADMlN", "\u{0410}dmin", "admin", "ADMIN"] {
        let reply = client.enter(lookalike, 30, "homme", "75").await;
        let code = error_code(&reply);
        assert!(
            code == "nickname_taken" || code == "nickname_invalid",
            "{lookalike:?} must not coexist with Admin: {reply:?}"
        );
    }
    // ADMlN (lower-case L) is a plain ASCII name: it is refused because it is taken.
    assert_eq!(
        error_code(&client.enter("ADMlN", 30, "homme", "75").await),
        "nickname_taken"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_nickname_is_free_again_once_its_owner_leaves() {
    let server = TestServer::start().await;
    let alice = server.guest("Alice", 25).await;
    drop(alice);
    // The hub learns of the departure asynchronously: retry until free.
    let mut client = server.client().await;
    let deadline = tokio::time::Instant::now() + crate::support::WAIT;
    loop {
        let reply = client.enter("alice", 25, "femme", "75").await;
        if matches!(reply, Event::Entered { .. }) {
            break;
        }
        assert_eq!(error_code(&reply), "nickname_taken");
        assert!(tokio::time::Instant::now() < deadline, "alice never freed");
        tokio::task::yield_now().await;
    }
    server.shutdown().await;
}

#[tokio::test]
async fn commands_need_an_entry_and_entry_happens_once() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    client
        .refused(json!({"type": "join", "room": "paris"}), "not_entered")
        .await;
    client
        .refused(json!({"type": "users"}), "not_entered")
        .await;
    let reply = client
        .request(json!({"type": "enter", "protocol": 99, "nickname": "Zoe", "age": 20, "gender": "femme", "department": "13"}))
        .await;
    assert_eq!(error_code(&reply), "protocol_version");
    assert!(matches!(
        client.enter("Zoe", 20, "femme", "13").await,
        Event::Entered { .. }
    ));
    assert_eq!(
        error_code(&client.enter("Zoe2", 20, "femme", "13").await),
        "already_entered"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn the_teen_band_can_be_closed() {
    let server = TestServer::start_with(|config| config.entry.min_age = 18).await;
    let mut client = server.client().await;
    assert_eq!(
        error_code(&client.enter("Lea", 16, "femme", "75").await),
        "age_too_young"
    );
    assert!(matches!(
        client.enter("Lea", 18, "femme", "75").await,
        Event::Entered {
            band: Band::Adult,
            ..
        }
    ));
    server.shutdown().await;
}
