//! Band isolation on every path: a teen and an adult never see, name or
//! reach each other.

use serde_json::json;
use tchatche_protocol::{Band, Event, UserId};

use crate::support::{Client, TestServer};

/// Whether an event reveals anything about `who`.
fn mentions_user(event: &Event, who: UserId, nick: &str) -> bool {
    let text = serde_json::to_string(event).unwrap();
    text.contains(&format!("\"{who}\"")) || text.contains(nick)
}

async fn teen_and_adult(server: &TestServer) -> (Client, Client) {
    let mut teen = server.client().await;
    let Event::Entered { band, you, .. } = teen.enter("Lucas", 16, "homme", "69").await else {
        panic!()
    };
    assert_eq!(band, Band::Teen);
    teen.id = you.id;
    teen.nick = you.nick;
    let mut adult = server.client().await;
    let Event::Entered { band, you, .. } = adult.enter("Marcel", 45, "homme", "69").await else {
        panic!()
    };
    assert_eq!(band, Band::Adult);
    adult.id = you.id;
    adult.nick = you.nick;
    (teen, adult)
}

#[tokio::test]
async fn directories_are_separate() {
    let server = TestServer::start().await;
    let mut teen = server.client().await;
    let Event::Entered {
        rooms: teen_rooms, ..
    } = teen.enter("Lucas", 16, "homme", "69").await
    else {
        panic!()
    };
    let mut adult = server.client().await;
    let Event::Entered {
        rooms: adult_rooms, ..
    } = adult.enter("Marcel", 45, "homme", "69").await
    else {
        panic!()
    };
    assert!(teen_rooms.len() >= 30 && adult_rooms.len() >= 30);
    assert!(
        teen_rooms.iter().all(|room| room.category != "Rencontres"),
        "no dating rooms for teens"
    );
    let adult_only: Vec<_> = adult_rooms
        .iter()
        .filter(|room| {
            !teen_rooms
                .iter()
                .any(|teen_room| teen_room.slug == room.slug)
        })
        .collect();
    assert!(!adult_only.is_empty());
    // A room of the other band does not exist for a teen.
    for room in adult_only {
        teen.refused(json!({"type": "join", "room": room.slug}), "room_not_found")
            .await;
    }
    server.shutdown().await;
}

#[tokio::test]
async fn a_shared_slug_is_two_rooms_that_never_mix() {
    let server = TestServer::start().await;
    let (mut teen, mut adult) = teen_and_adult(&server).await;
    let Event::Joined { members, .. } = adult.join("paris").await else {
        unreachable!()
    };
    assert_eq!(members.len(), 1);
    let Event::Joined {
        members, history, ..
    } = teen.join("paris").await
    else {
        unreachable!()
    };
    assert_eq!(members.len(), 1, "the teen room has only the teen");
    assert!(history.is_empty());
    adult.say("paris", "message des adultes").await;
    teen.say("paris", "message des ados").await;
    let adult_id = adult.id;
    let teen_id = teen.id;
    teen.assert_none_before_pong("anything about the adult", |e| {
        mentions_user(e, adult_id, "Marcel")
            || matches!(e, Event::Message(m) if m.body.contains("adultes"))
    })
    .await;
    adult
        .assert_none_before_pong("anything about the teen", |e| {
            mentions_user(e, teen_id, "Lucas")
                || matches!(e, Event::Message(m) if m.body.contains("ados"))
        })
        .await;
    server.shutdown().await;
}

#[tokio::test]
async fn user_lists_search_and_presence_stay_in_the_band() {
    let server = TestServer::start().await;
    let mut teen_watcher = server.guest("Jade", 16).await;
    let mut adult_watcher = server.guest("Robert", 50).await;
    assert!(matches!(
        teen_watcher
            .request(json!({"type": "watch_presence", "on": true}))
            .await,
        Event::Ok { .. }
    ));
    assert!(matches!(
        adult_watcher
            .request(json!({"type": "watch_presence", "on": true}))
            .await,
        Event::Ok { .. }
    ));

    let (teen, adult) = teen_and_adult(&server).await;
    teen_watcher
        .expect(
            "Lucas online",
            |e| matches!(e, Event::UserOnline { user } if user.nick == "Lucas"),
        )
        .await;
    adult_watcher
        .expect(
            "Marcel online",
            |e| matches!(e, Event::UserOnline { user } if user.nick == "Marcel"),
        )
        .await;

    let Event::UserList { users, total, .. } = teen_watcher.request(json!({"type": "users"})).await
    else {
        panic!()
    };
    let mut nicks: Vec<_> = users.iter().map(|u| u.nick.as_str()).collect();
    nicks.sort_unstable();
    assert_eq!((nicks, total), (vec!["Jade", "Lucas"], 2));
    let Event::UserList { users, .. } = adult_watcher
        .request(json!({"type": "users", "search": "Marcel"}))
        .await
    else {
        panic!()
    };
    assert_eq!(users.len(), 1);
    let Event::UserList { users, total, .. } = teen_watcher
        .request(json!({"type": "users", "search": "Marcel"}))
        .await
    else {
        panic!()
    };
    assert!(
        users.is_empty() && total == 0,
        "a teen's search never finds an adult"
    );
    let Event::UserList { total, .. } = teen_watcher
        .request(json!({"type": "users", "age_min": 18}))
        .await
    else {
        panic!()
    };
    assert_eq!(total, 0);

    let (teen_id, adult_id) = (teen.id, adult.id);
    drop((teen, adult));
    teen_watcher
        .expect(
            "Lucas offline",
            |e| matches!(e, Event::UserOffline { user } if *user == teen_id),
        )
        .await;
    adult_watcher
        .expect(
            "Marcel offline",
            |e| matches!(e, Event::UserOffline { user } if *user == adult_id),
        )
        .await;
    // Neither watcher heard anything about the other band's arrival or departure.
    teen_watcher
        .assert_none_before_pong("adult presence", |e| mentions_user(e, adult_id, "Marcel"))
        .await;
    adult_watcher
        .assert_none_before_pong("teen presence", |e| mentions_user(e, teen_id, "Lucas"))
        .await;
    server.shutdown().await;
}

#[tokio::test]
async fn private_messages_typing_and_seen_never_cross() {
    let server = TestServer::start().await;
    let (mut teen, mut adult) = teen_and_adult(&server).await;
    let teen_id = teen.id.to_string();
    let adult_id = adult.id.to_string();
    // Refused exactly as if the person were not online.
    adult
        .refused(
            json!({"type": "dm", "to": teen_id, "body": "salut"}),
            "user_not_found",
        )
        .await;
    teen.refused(
        json!({"type": "dm", "to": adult_id, "body": "salut"}),
        "user_not_found",
    )
    .await;
    // By nickname too: the other band's nickname is nobody's.
    adult
        .refused(
            json!({"type": "dm_nick", "nick": "lucas", "body": "salut"}),
            "user_not_found",
        )
        .await;
    teen.refused(
        json!({"type": "dm_nick", "nick": "Marcel", "body": "salut"}),
        "user_not_found",
    )
    .await;
    adult
        .refused(
            json!({"type": "dm_typing", "to": teen_id}),
            "user_not_found",
        )
        .await;
    adult
        .refused(
            json!({"type": "dm_seen", "with": teen_id, "up_to": "1"}),
            "user_not_found",
        )
        .await;
    teen.refused(
        json!({"type": "dm_seen", "with": adult_id, "up_to": "1"}),
        "user_not_found",
    )
    .await;
    // Even when the teen refuses all DMs, the adult learns nothing more.
    teen.request(json!({"type": "set_dm_privacy", "accept": "nobody"}))
        .await;
    adult
        .refused(
            json!({"type": "dm", "to": teen_id, "body": "salut"}),
            "user_not_found",
        )
        .await;
    let (tid, aid) = (teen.id, adult.id);
    teen.assert_none_before_pong("anything from the adult", |e| {
        mentions_user(e, aid, "Marcel")
    })
    .await;
    adult
        .assert_none_before_pong("anything from the teen", |e| mentions_user(e, tid, "Lucas"))
        .await;
    server.shutdown().await;
}

#[tokio::test]
async fn mentions_do_not_cross_bands() {
    let server = TestServer::start().await;
    let (mut teen, mut adult) = teen_and_adult(&server).await;
    let mut adult_friend = server.guest("Gerard", 50).await;
    adult.join("lyon").await;
    adult_friend.join("lyon").await;
    teen.join("lyon").await;
    // An adult names the teen: no mention is resolved or delivered.
    adult.say("lyon", "@Lucas tu es là ?").await;
    let message = adult_friend
        .expect_message("lyon", "@Lucas tu es là ?")
        .await;
    assert!(message.mentions.is_empty());
    // A teen names an adult: nothing either.
    teen.say("lyon", "@Marcel coucou").await;
    let tid = teen.id;
    let aid = adult.id;
    teen.assert_none_before_pong("the adult", |e| {
        mentions_user(e, aid, "Marcel") && !matches!(e, Event::Message(m) if m.author.id == tid)
    })
    .await;
    adult
        .assert_none_before_pong("the teen", |e| {
            mentions_user(e, tid, "Lucas")
                && !matches!(e, Event::Message(m) if m.body.starts_with("@Lucas"))
        })
        .await;
    server.shutdown().await;
}

#[tokio::test]
async fn user_rooms_belong_to_their_band() {
    let server = TestServer::start().await;
    let (mut teen, mut adult) = teen_and_adult(&server).await;
    adult
        .request(json!({"type": "create_room", "name": "Soirée jeux"}))
        .await;
    // The teen band may have its own room of the same name.
    assert!(matches!(
        teen.request(json!({"type": "create_room", "name": "Soirée jeux"}))
            .await,
        Event::Joined { .. }
    ));
    // Each heard of one room being added: their own, never the other band's.
    for client in [&mut teen, &mut adult] {
        let seen = client
            .assert_none_before_pong("a room of the other band", |_| false)
            .await;
        let added = seen
            .iter()
            .filter(|e| matches!(e, Event::RoomAdded { .. }))
            .count();
        assert_eq!(added, 1, "{}: {seen:?}", client.nick);
    }
    let Event::RoomList { rooms, .. } = teen.request(json!({"type": "list_rooms"})).await else {
        panic!()
    };
    let room = rooms
        .iter()
        .find(|room| room.slug == "soiree-jeux")
        .expect("the teen room");
    assert_eq!(room.members, 1, "only the teen is in the teen room");
    server.shutdown().await;
}
