//! Rooms: messages in order, scrollback, history across restarts, flags,
//! replies and mentions, user-created rooms.

use serde_json::json;
use tchatche_protocol::{Event, RoomRole};

use crate::support::TestServer;

#[tokio::test]
async fn three_people_join_and_hear_each_other_in_order() {
    let server = TestServer::start().await;
    let mut alice = server.guest("Alice", 25).await;
    let mut bruno = server.guest("Bruno", 31).await;
    let mut chloe = server.guest("Chloe", 44).await;
    alice.join("paris").await;
    bruno.join("paris").await;
    let joined = chloe.join("paris").await;
    let Event::Joined { members, room, .. } = joined else {
        unreachable!()
    };
    assert_eq!(room.members, 3);
    let mut nicks: Vec<_> = members.iter().map(|m| m.user.nick.as_str()).collect();
    nicks.sort_unstable();
    assert_eq!(nicks, ["Alice", "Bruno", "Chloe"]);
    alice
        .expect(
            "Chloe joining",
            |e| matches!(e, Event::MemberJoined { member, .. } if member.user.nick == "Chloe"),
        )
        .await;

    for round in 0..5 {
        alice.say("paris", &format!("a{round}")).await;
        bruno.say("paris", &format!("b{round}")).await;
        chloe.say("paris", &format!("c{round}")).await;
    }
    // Everyone sees the same fifteen messages in the same order.
    let expected: Vec<String> = (0..5)
        .flat_map(|round| ["a", "b", "c"].map(|who| format!("{who}{round}")))
        .collect();
    for client in [&mut alice, &mut bruno, &mut chloe] {
        let mut bodies = Vec::new();
        while bodies.len() < expected.len() {
            if let Event::Message(message) = client.next_event().await {
                bodies.push(message.body);
            }
        }
        assert_eq!(bodies, expected, "{}", client.nick);
    }
    server.shutdown().await;
}

#[tokio::test]
async fn joining_shows_the_last_fifty_messages_and_history_survives_a_restart() {
    let server = TestServer::start().await;
    let mut alice = server.guest("Alice", 25).await;
    alice.join("lyon").await;
    for n in 0..55 {
        alice.say("lyon", &format!("message {n}")).await;
    }
    let mut bruno = server.guest("Bruno", 31).await;
    let Event::Joined { history, .. } = bruno.join("lyon").await else {
        unreachable!()
    };
    let bodies: Vec<_> = history.iter().map(|m| m.body.clone()).collect();
    let expected: Vec<_> = (5..55).map(|n| format!("message {n}")).collect();
    assert_eq!(bodies, expected);
    drop((alice, bruno));

    let server = server.restart().await;
    let mut chloe = server.guest("Chloe", 40).await;
    let Event::Joined { history, .. } = chloe.join("lyon").await else {
        unreachable!()
    };
    let bodies: Vec<_> = history.iter().map(|m| m.body.clone()).collect();
    assert_eq!(bodies, expected, "history after restart");
    // New ids keep increasing after the restart.
    let new_id = chloe.say("lyon", "après le redémarrage").await;
    assert!(new_id > history.last().unwrap().id);
    server.shutdown().await;
}

#[tokio::test]
async fn history_older_than_the_retention_is_pruned_at_start() {
    let server = TestServer::start().await;
    let mut alice = server.guest("Alice", 25).await;
    alice.join("lille").await;
    alice.say("lille", "ancien message").await;
    drop(alice);
    let data_dir = server.data_dir().to_owned();
    server.shutdown().await;
    // Same data, retention 0 days: everything sent before now is pruned at start.
    let dir = data_dir.clone();
    let server = TestServer::start_with(move |config| {
        config.server.data_dir = dir;
        config.history.retention_days = 0;
    })
    .await;
    // The pruner runs at start, concurrently with the hub loading scrollback;
    // wait for the database to be empty, then restart once more.
    let store = tchatche_store::SqliteStore::open(&data_dir).await.unwrap();
    let deadline = tokio::time::Instant::now() + crate::support::WAIT;
    use tchatche_store::HistoryStore;
    while !store.recent("adult", "lille", 10).await.unwrap().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "history never pruned"
        );
        tokio::task::yield_now().await;
    }
    store.close().await;
    server.shutdown().await;
}

#[tokio::test]
async fn slow_mode_capacity_and_moderation_are_enforced() {
    let server = TestServer::start().await;
    let mut owner = server.guest("Owner", 30).await;
    let mut guest = server.guest("Guest", 30).await;
    let mut third = server.guest("Third", 30).await;
    let Event::Joined { role, room, .. } = owner
        .request(json!({"type": "create_room", "name": "Salon Test"}))
        .await
    else {
        panic!("create_room")
    };
    assert_eq!(role, RoomRole::Operator);
    assert_eq!(room.slug, "salon-test");
    guest.join("salon-test").await;

    // Only operators change a room.
    guest
        .refused(
            json!({"type": "set_room", "room": "salon-test", "slow_mode_secs": 30}),
            "not_operator",
        )
        .await;

    // Slow mode: a second message within 30 s is refused with a wait time.
    assert!(matches!(
        owner
            .request(json!({"type": "set_room", "room": "salon-test", "slow_mode_secs": 30}))
            .await,
        Event::Ok { .. }
    ));
    guest.say("salon-test", "premier").await;
    let refusal = guest
        .refused(
            json!({"type": "say", "room": "salon-test", "body": "second"}),
            "slow_mode",
        )
        .await;
    let Event::Error(error) = refusal else {
        unreachable!()
    };
    let wait = error.retry_after_ms.expect("retry_after_ms");
    assert!(wait > 0 && wait <= 30_000, "{wait}");
    owner
        .request(json!({"type": "set_room", "room": "salon-test", "slow_mode_secs": 0}))
        .await;
    guest.say("salon-test", "second").await;

    // Capacity: two members, the third is refused.
    owner
        .request(json!({"type": "set_room", "room": "salon-test", "capacity": 2}))
        .await;
    third
        .refused(json!({"type": "join", "room": "salon-test"}), "room_full")
        .await;

    // Moderated: only operators and voiced members speak.
    owner
        .request(json!({"type": "set_room", "room": "salon-test", "moderated": true}))
        .await;
    guest
        .refused(
            json!({"type": "say", "room": "salon-test", "body": "je peux ?"}),
            "room_moderated",
        )
        .await;
    owner.say("salon-test", "moi oui").await;
    let reply = owner.request(json!({"type": "voice", "room": "salon-test", "user": guest.id.to_string(), "on": true})).await;
    assert!(matches!(reply, Event::Ok { .. }), "{reply:?}");
    guest
        .expect("my voice", |e| {
            matches!(
                e,
                Event::MemberRole {
                    role: RoomRole::Voiced,
                    previous: RoomRole::Member,
                    ..
                }
            )
        })
        .await;
    guest.say("salon-test", "merci").await;
    // The current list, with standings, for clients that keep none.
    let Event::RoomMembers { members, .. } = owner
        .request(json!({"type": "room_members", "room": "salon-test"}))
        .await
    else {
        panic!("room_members answered")
    };
    let mut standings: Vec<_> = members
        .iter()
        .map(|m| (m.user.id == guest.id, m.role))
        .collect();
    standings.sort_by_key(|(is_guest, _)| *is_guest);
    assert_eq!(
        standings,
        vec![(false, RoomRole::Operator), (true, RoomRole::Voiced)]
    );
    owner
        .refused(
            json!({"type": "room_members", "room": "lyon"}),
            "not_in_room",
        )
        .await;

    // A seeded moderated room refuses guests' messages.
    guest.join("annonces").await;
    guest
        .refused(
            json!({"type": "say", "room": "annonces", "body": "coucou"}),
            "room_moderated",
        )
        .await;
    server.shutdown().await;
}

#[tokio::test]
async fn registered_only_rooms_refuse_guests() {
    let server = TestServer::start_with(|config| {
        if let Some(room) = config.rooms.iter_mut().find(|room| room.slug == "paris") {
            room.registered_only = true;
        }
    })
    .await;
    let mut alice = server.guest("Alice", 25).await;
    alice
        .refused(
            json!({"type": "join", "room": "paris"}),
            "room_registered_only",
        )
        .await;
    server.shutdown().await;
}

#[tokio::test]
async fn messages_are_checked_before_delivery() {
    let server = TestServer::start().await;
    let mut alice = server.guest("Alice", 25).await;
    let mut bruno = server.guest("Bruno", 25).await;
    alice.join("paris").await;
    bruno.join("paris").await;
    alice
        .refused(
            json!({"type": "say", "room": "paris", "body": "   "}),
            "message_empty",
        )
        .await;
    alice
        .refused(
            json!({"type": "say", "room": "paris", "body": "x".repeat(2001)}),
            "message_too_long",
        )
        .await;
    alice
        .refused(
            json!({"type": "say", "room": "lyon", "body": "hors salon"}),
            "not_in_room",
        )
        .await;
    alice
        .refused(
            json!({"type": "say", "room": "nowhere", "body": "?"}),
            "room_not_found",
        )
        .await;
    alice.say("paris", &"é".repeat(2000)).await;
    // Nothing refused reached Bruno; the accepted one did.
    let seen = bruno.assert_none_before_pong("a refused message", |e| {
        matches!(e, Event::Message(m) if m.body.trim().is_empty() || m.body.len() == 2001 || m.body == "hors salon")
    }).await;
    assert!(
        seen.iter()
            .any(|e| matches!(e, Event::Message(m) if m.body.chars().count() == 2000))
    );
    server.shutdown().await;
}

#[tokio::test]
async fn replies_quote_and_mentions_reach_people_elsewhere() {
    let server = TestServer::start().await;
    let mut alice = server.guest("Alice", 25).await;
    let mut bruno = server.guest("Bruno", 25).await;
    let mut chloe = server.guest("Chloe", 25).await;
    alice.join("paris").await;
    bruno.join("paris").await;
    chloe.join("lyon").await;
    let first = alice.say("paris", "Quelqu'un connaît un bon resto ?").await;
    let reply = bruno
        .request(json!({"type": "say", "room": "paris", "body": "Oui ! @alice et @Chloe venez", "reply_to": first.to_string()}))
        .await;
    assert!(matches!(reply, Event::Sent { .. }), "{reply:?}");
    let message = alice
        .expect_message("paris", "Oui ! @alice et @Chloe venez")
        .await;
    let quoted = message.reply.expect("reply quoted");
    assert_eq!(quoted.id, first);
    assert_eq!(quoted.nick, "Alice");
    assert!(quoted.excerpt.starts_with("Quelqu'un"));
    assert!(message.mentions.contains(&alice.id) && message.mentions.contains(&chloe.id));
    // Chloe is in another room: she is told she was mentioned.
    let Event::Mention { message } = chloe
        .expect("a mention", |e| matches!(e, Event::Mention { .. }))
        .await
    else {
        unreachable!()
    };
    assert_eq!(message.room, "paris");
    // A reply to an unknown message is refused.
    bruno
        .refused(
            json!({"type": "say", "room": "paris", "body": "?", "reply_to": "12345"}),
            "reply_not_found",
        )
        .await;
    server.shutdown().await;
}

#[tokio::test]
async fn user_rooms_live_while_someone_is_in_them() {
    let server = TestServer::start().await;
    let mut alice = server.guest("Alice", 25).await;
    let mut bruno = server.guest("Bruno", 25).await;
    alice
        .request(json!({"type": "create_room", "name": "Fans de Zoé", "topic": "On parle de Zoé"}))
        .await;
    let Event::RoomAdded { room } = bruno
        .expect("room_added", |e| matches!(e, Event::RoomAdded { .. }))
        .await
    else {
        unreachable!()
    };
    assert_eq!(
        (room.slug.as_str(), room.name.as_str(), room.user_created),
        ("fans-de-zoe", "Fans de Zoé", true)
    );
    // The name (and lookalikes of it) is taken in this band.
    bruno
        .refused(
            json!({"type": "create_room", "name": "fans de zoe"}),
            "room_name_taken",
        )
        .await;
    bruno
        .refused(
            json!({"type": "create_room", "name": "paris"}),
            "room_name_taken",
        )
        .await;
    bruno
        .refused(
            json!({"type": "create_room", "name": "<b>"}),
            "room_name_invalid",
        )
        .await;
    bruno
        .refused(
            json!({"type": "create_room", "name": "x"}),
            "room_name_invalid",
        )
        .await;

    bruno.join("fans-de-zoe").await;
    bruno.say("fans-de-zoe", "salut").await;
    alice
        .request(json!({"type": "leave", "room": "fans-de-zoe"}))
        .await;
    bruno
        .expect(
            "Alice leaving",
            |e| matches!(e, Event::MemberLeft { user, nick, .. } if *user == alice.id && nick == "Alice"),
        )
        .await;
    // Alice left but Bruno is still there: the room stays.
    assert!(matches!(
        alice
            .request(json!({"type": "join", "room": "fans-de-zoe"}))
            .await,
        Event::Joined { .. }
    ));
    alice
        .request(json!({"type": "leave", "room": "fans-de-zoe"}))
        .await;
    bruno
        .request(json!({"type": "leave", "room": "fans-de-zoe"}))
        .await;
    // The last one out: the room disappears for everyone.
    alice
        .expect(
            "room_removed",
            |e| matches!(e, Event::RoomRemoved { room } if room == "fans-de-zoe"),
        )
        .await;
    alice
        .refused(
            json!({"type": "join", "room": "fans-de-zoe"}),
            "room_not_found",
        )
        .await;
    let Event::RoomList { rooms, .. } = alice.request(json!({"type": "list_rooms"})).await else {
        unreachable!()
    };
    assert!(rooms.iter().all(|room| room.slug != "fans-de-zoe"));
    // And the name is free again.
    assert!(matches!(
        alice
            .request(json!({"type": "create_room", "name": "Fans de Zoé"}))
            .await,
        Event::Joined { .. }
    ));
    server.shutdown().await;
}

#[tokio::test]
async fn the_directory_counts_members_live() {
    let server = TestServer::start().await;
    let mut watcher = server.guest("Watcher", 25).await;
    assert!(matches!(
        watcher
            .request(json!({"type": "watch_directory", "on": true}))
            .await,
        Event::Ok { .. }
    ));
    let mut alice = server.guest("Alice", 25).await;
    alice.join("marseille").await;
    let counts = watcher
        .expect("marseille count", |e| {
            matches!(e, Event::RoomCounts { counts } if counts.iter().any(|c| c.room == "marseille" && c.members == 1))
        })
        .await;
    assert!(matches!(counts, Event::RoomCounts { .. }));
    // Alice does not watch the directory: the same second's counts, sent to
    // the watcher before the watcher's event arrived, never reach her.
    alice
        .assert_none_before_pong("room counts without watch_directory", |e| {
            matches!(e, Event::RoomCounts { .. })
        })
        .await;
    alice
        .request(json!({"type": "leave", "room": "marseille"}))
        .await;
    watcher
        .expect("marseille back to 0", |e| {
            matches!(e, Event::RoomCounts { counts } if counts.iter().any(|c| c.room == "marseille" && c.members == 0))
        })
        .await;
    server.shutdown().await;
}
