//! Slow consumers, silence and shutdown: a client that stops reading is
//! disconnected and costs a bounded amount of memory; a silent one is closed;
//! a shutdown tells every client.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::SinkExt;
use serde_json::json;
use tchatche_protocol::Event;
use tokio_tungstenite::tungstenite::Message;

use crate::support::TestServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_disconnected() {
    let server = TestServer::start_with(|config| config.limits.outbound_queue = 64).await;
    let mut sleeper = server
        .client_with_small_buffer()
        .await
        .entered_as("Sleeper", 25)
        .await;
    let mut flooder = server.guest("Flooder", 25).await;
    let mut witness = server.guest("Witness", 25).await;
    sleeper.join("paris").await;
    flooder.join("paris").await;
    witness.join("paris").await;
    let sleeper_id = sleeper.id;

    // The sleeper never reads again. The witness, reading all along, waits
    // to see it dropped from the room.
    let dropped = Arc::new(AtomicBool::new(false));
    let witness_task = {
        let dropped = Arc::clone(&dropped);
        tokio::spawn(async move {
            let left = witness
                .expect(
                    "the sleeper dropped",
                    |e| matches!(e, Event::MemberQuit { user, .. } if *user == sleeper_id),
                )
                .await;
            dropped.store(true, Ordering::SeqCst);
            left
        })
    };
    // The flooder sends large messages, 16 at a time, reading its own
    // acknowledgements so that it is never the slow one. Socket buffers
    // absorb some of the flood, then the sleeper's queue (64 frames) fills.
    let body = "z".repeat(1900);
    let mut sent = 0_u32;
    while !dropped.load(Ordering::SeqCst) {
        assert!(sent < 20_000, "the sleeper was never dropped");
        for _ in 0..16 {
            let command = json!({"type": "say", "room": "paris", "body": format!("{sent} {body}")});
            flooder
                .socket
                .send(Message::text(command.to_string()))
                .await
                .unwrap();
            sent += 1;
        }
        let mut acknowledged = 0;
        while acknowledged < 16 {
            let text = flooder
                .next_text()
                .await
                .expect("the flooder stays connected");
            if text.starts_with(r#"{"type":"sent""#) {
                acknowledged += 1;
            }
        }
    }
    assert!(matches!(
        witness_task.await.unwrap(),
        Event::MemberQuit { .. }
    ));
    // The sleeper, reading again, finds its connection closed after what
    // was buffered: the server kept at most its queue and socket buffers.
    let mut frames = 0_u32;
    while sleeper.next_text().await.is_some() {
        frames += 1;
    }
    assert!(
        frames < sent * 2,
        "{frames} frames buffered for {sent} messages"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn shutdown_tells_every_client_and_keeps_the_last_messages() {
    let server = TestServer::start().await;
    let mut alice = server.guest("Alice", 25).await;
    alice.join("nantes").await;
    alice.say("nantes", "dernier message avant l'arrêt").await;
    let closing = tokio::spawn(async move { alice.expect_closed().await });
    let server = server.restart().await;
    assert_eq!(closing.await.unwrap().as_deref(), Some("shutting_down"));
    let mut bruno = server.guest("Bruno", 25).await;
    let Event::Joined { history, .. } = bruno.join("nantes").await else {
        unreachable!()
    };
    assert_eq!(
        history.last().map(|m| m.body.as_str()),
        Some("dernier message avant l'arrêt")
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_silent_web_client_is_closed_and_one_that_pings_is_not() {
    let server = TestServer::start_with(|config| config.limits.idle_timeout_secs = 2).await;
    // Silent the longest, but pinged by the gateway itself: never swept.
    let mut irc = server.irc_user("Veilleur", "30 H 75").await;
    let mut silent = server.guest("Muet", 25).await;
    let mut talker = server.guest("Bavard", 25).await;
    let talk = async {
        loop {
            assert!(matches!(
                talker.request(json!({"type": "ping"})).await,
                Event::Pong { .. }
            ));
            // Pacing, well inside the 2 s allowed.
            tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        }
    };
    let reason = tokio::select! {
        reason = silent.expect_closed() => reason,
        () = talk => unreachable!("the talker's loop never ends"),
    };
    assert_eq!(reason.as_deref(), Some("idle_timeout"));
    // The one who kept talking is still there, and so is the IRC user.
    assert!(matches!(
        talker.request(json!({"type": "ping"})).await,
        Event::Pong { .. }
    ));
    irc.send("PING :encore").await;
    irc.expect("PONG", |line| {
        line.contains("PONG") && line.contains("encore")
    })
    .await;
    server.shutdown().await;
}
