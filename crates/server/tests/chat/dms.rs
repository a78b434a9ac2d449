//! Private messages: one conversation per pair, typing, seen, refusal.

use serde_json::json;
use tchatche_protocol::Event;

use crate::support::TestServer;

#[tokio::test]
async fn a_private_message_reaches_a_nickname_folded_as_at_entry() {
    let server = TestServer::start().await;
    let mut alice = server.guest("Alice", 25).await;
    let mut bruno = server.guest("Bruno", 27).await;
    // Case and confusables folded: a Cyrillic о stands for the Latin o.
    let Event::Sent { id, .. } = alice
        .request(json!({"type": "dm_nick", "nick": "BRUN\u{043e}", "body": "Salut"}))
        .await
    else {
        panic!("dm_nick accepted")
    };
    let Event::Dm(received) = bruno.expect("the dm", |e| matches!(e, Event::Dm(_))).await else {
        unreachable!()
    };
    assert_eq!(
        (
            received.id,
            received.from.id,
            received.to.id,
            received.to.nick.as_str()
        ),
        (id, alice.id, bruno.id, "Bruno")
    );
    // The same checks as `dm`: nobody by that name, and oneself.
    alice
        .refused(
            json!({"type": "dm_nick", "nick": "Zoé", "body": "Salut"}),
            "user_not_found",
        )
        .await;
    alice
        .refused(
            json!({"type": "dm_nick", "nick": "alice", "body": "Salut"}),
            "dm_self",
        )
        .await;
    server.shutdown().await;
}

#[tokio::test]
async fn two_people_talk_privately_with_typing_and_seen() {
    let server = TestServer::start().await;
    let mut alice = server.guest("Alice", 25).await;
    let mut bruno = server.guest("Bruno", 27).await;
    let mut chloe = server.guest("Chloe", 29).await;
    let bruno_id = bruno.id.to_string();
    let alice_id = alice.id.to_string();

    alice
        .request(json!({"type": "dm_typing", "to": bruno_id}))
        .await;
    let typing = bruno
        .expect("typing", |e| matches!(e, Event::DmTyping { .. }))
        .await;
    assert!(matches!(typing, Event::DmTyping { user } if user.id == alice.id));

    let Event::Sent { id, .. } = alice
        .request(json!({"type": "dm", "to": bruno_id, "body": "Salut Bruno"}))
        .await
    else {
        panic!()
    };
    let Event::Dm(received) = bruno.expect("the dm", |e| matches!(e, Event::Dm(_))).await else {
        unreachable!()
    };
    assert_eq!(
        (
            received.id,
            received.body.as_str(),
            received.from.id,
            received.to.id
        ),
        (id, "Salut Bruno", alice.id, bruno.id)
    );
    // The sender gets the same message back, for their conversation view.
    let Event::Dm(echo) = alice
        .expect("the echo", |e| matches!(e, Event::Dm(_)))
        .await
    else {
        unreachable!()
    };
    assert_eq!(echo, received);

    bruno
        .request(json!({"type": "dm_seen", "with": alice_id, "up_to": id.to_string()}))
        .await;
    let seen = alice
        .expect("seen", |e| matches!(e, Event::DmSeen { .. }))
        .await;
    assert!(matches!(seen, Event::DmSeen { by, up_to } if by == bruno.id && up_to == id));

    bruno
        .request(json!({"type": "dm", "to": alice_id, "body": "Salut Alice"}))
        .await;
    alice
        .expect(
            "the answer",
            |e| matches!(e, Event::Dm(m) if m.body == "Salut Alice"),
        )
        .await;
    // A third person hears nothing of it.
    chloe
        .assert_none_before_pong("someone else's DM", |e| {
            matches!(
                e,
                Event::Dm(_) | Event::DmTyping { .. } | Event::DmSeen { .. }
            )
        })
        .await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_person_can_refuse_all_private_messages() {
    let server = TestServer::start().await;
    let mut alice = server.guest("Alice", 25).await;
    let mut bruno = server.guest("Bruno", 27).await;
    let bruno_id = bruno.id.to_string();
    assert!(matches!(
        bruno
            .request(json!({"type": "set_dm_privacy", "accept": "nobody"}))
            .await,
        Event::Ok { .. }
    ));
    alice
        .refused(
            json!({"type": "dm", "to": bruno_id, "body": "coucou"}),
            "dm_refused",
        )
        .await;
    alice
        .refused(json!({"type": "dm_typing", "to": bruno_id}), "dm_refused")
        .await;
    bruno
        .assert_none_before_pong("a refused DM", |e| {
            matches!(e, Event::Dm(_) | Event::DmTyping { .. })
        })
        .await;
    bruno
        .request(json!({"type": "set_dm_privacy", "accept": "everyone"}))
        .await;
    assert!(matches!(
        alice
            .request(json!({"type": "dm", "to": bruno_id, "body": "coucou"}))
            .await,
        Event::Sent { .. }
    ));
    bruno
        .expect(
            "the dm",
            |e| matches!(e, Event::Dm(m) if m.body == "coucou"),
        )
        .await;
    // Other refusals.
    alice
        .refused(
            json!({"type": "dm", "to": alice.id.to_string(), "body": "moi"}),
            "dm_self",
        )
        .await;
    alice
        .refused(
            json!({"type": "dm", "to": "424242", "body": "?"}),
            "user_not_found",
        )
        .await;
    alice
        .refused(
            json!({"type": "dm", "to": bruno_id, "body": ""}),
            "message_empty",
        )
        .await;
    alice
        .refused(
            json!({"type": "dm", "to": bruno_id, "body": "y".repeat(2001)}),
            "message_too_long",
        )
        .await;
    server.shutdown().await;
}
