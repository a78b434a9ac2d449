//! Conformance of [`crate::HistoryStore`]: append, recent, prune, the highest id,
//! and the bands' separate rooms.

use super::TestDatabase;
use crate::{StoreError, StoredMessage};

/// A message in `band`/`room`, sent at `at_ms`, with everything else
/// derived from `id`.
pub(crate) fn message(id: u64, band: &str, room: &str, at_ms: u64) -> StoredMessage {
    StoredMessage {
        id,
        band: band.to_owned(),
        room: room.to_owned(),
        author_id: 1000 + id % 7,
        author_nick: format!("nick{}", id % 7),
        body: format!("message {id}"),
        at_ms,
        reply_to: None,
        mentions: Vec::new(),
    }
}

/// The ids of `messages`, in order.
pub(crate) fn ids(messages: &[StoredMessage]) -> Vec<u64> {
    messages.iter().map(|message| message.id).collect()
}

/// Messages `1..=count` of the teen band's `lobby`, message `n` sent at
/// `n * spacing_ms`.
fn lobby(count: u64, spacing_ms: u64) -> Vec<StoredMessage> {
    (1..=count)
        .map(|id| message(id, "teen", "lobby", id * spacing_ms))
        .collect()
}

#[tokio::test]
async fn an_empty_history_has_no_highest_id_and_no_messages() {
    let db = TestDatabase::open().await;
    let history = db.history();
    assert_eq!(history.max_message_id().await.unwrap(), None);
    assert!(
        history
            .recent("teen", "lobby", 10)
            .await
            .unwrap()
            .is_empty()
    );
    history.append(&[]).await.unwrap();
    assert_eq!(history.prune(u64::MAX).await.unwrap(), 0);
    db.close().await;
}

#[tokio::test]
async fn recent_returns_the_last_messages_oldest_first() {
    let db = TestDatabase::open().await;
    let history = db.history();
    let messages = lobby(10, 1);
    history.append(&messages).await.unwrap();

    let recent = history.recent("teen", "lobby", 3).await.unwrap();
    assert_eq!(ids(&recent), [8, 9, 10]);
    assert_eq!(recent[0], messages[7]);

    let all = history.recent("teen", "lobby", 100).await.unwrap();
    assert_eq!(all, messages);
    assert!(history.recent("teen", "lobby", 0).await.unwrap().is_empty());
    assert!(
        history
            .recent("teen", "elsewhere", 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(history.max_message_id().await.unwrap(), Some(10));
    db.close().await;
}

#[tokio::test]
async fn bands_never_share_a_room() {
    let db = TestDatabase::open().await;
    let history = db.history();
    history
        .append(&[
            message(1, "teen", "lobby", 1),
            message(2, "adult", "lobby", 2),
            message(3, "teen", "lobby", 3),
            message(4, "adult", "lobby", 4),
        ])
        .await
        .unwrap();
    let teen = history.recent("teen", "lobby", 10).await.unwrap();
    let adult = history.recent("adult", "lobby", 10).await.unwrap();
    assert_eq!(ids(&teen), [1, 3]);
    assert_eq!(ids(&adult), [2, 4]);
    assert!(teen.iter().all(|message| message.band == "teen"));
    assert!(adult.iter().all(|message| message.band == "adult"));
    db.close().await;
}

#[tokio::test]
async fn a_large_batch_is_stored_whole() {
    let db = TestDatabase::open().await;
    let history = db.history();
    let messages = lobby(1_000, 1);
    history.append(&messages).await.unwrap();
    let stored = history.recent("teen", "lobby", u32::MAX).await.unwrap();
    assert_eq!(stored, messages);
    db.close().await;
}

#[tokio::test]
async fn history_survives_close_and_reopen() {
    let db = TestDatabase::open().await;
    let messages = lobby(5, 1);
    db.history().append(&messages).await.unwrap();
    let db = db.reopen().await;
    assert_eq!(db.history().max_message_id().await.unwrap(), Some(5));
    assert_eq!(
        db.history().recent("teen", "lobby", 10).await.unwrap(),
        messages
    );
    db.close().await;
}

#[tokio::test]
async fn prune_removes_only_older_messages() {
    let db = TestDatabase::open().await;
    let history = db.history();
    history.append(&lobby(6, 100)).await.unwrap();

    // Strictly older: the message at exactly 300 stays.
    assert_eq!(history.prune(300).await.unwrap(), 2);
    assert_eq!(
        ids(&history.recent("teen", "lobby", 10).await.unwrap()),
        [3, 4, 5, 6]
    );
    assert_eq!(history.prune(300).await.unwrap(), 0);
    assert_eq!(history.prune(u64::MAX).await.unwrap(), 4);
    assert!(
        history
            .recent("teen", "lobby", 10)
            .await
            .unwrap()
            .is_empty()
    );
    db.close().await;
}

#[tokio::test]
async fn mentions_and_reply_to_round_trip() {
    let db = TestDatabase::open().await;
    let history = db.history();
    let original = message(1, "teen", "lobby", 1);
    let reply = StoredMessage {
        reply_to: Some(1),
        mentions: vec![1000, 7, i64::MAX.unsigned_abs()],
        ..message(2, "teen", "lobby", 2)
    };
    let single = StoredMessage {
        mentions: vec![42],
        body: "« Ça va ? » 👋\nnouvelle ligne, 'quotes' and \"doubles\"".to_owned(),
        ..message(3, "teen", "lobby", 3)
    };
    let messages = vec![original, reply, single];
    history.append(&messages).await.unwrap();
    assert_eq!(history.recent("teen", "lobby", 10).await.unwrap(), messages);
    db.close().await;
}

#[tokio::test]
async fn append_refuses_values_beyond_i64_and_stores_nothing() {
    let db = TestDatabase::open().await;
    let history = db.history();
    let too_large = 1 << 63;
    let batch = [
        message(1, "teen", "lobby", 1),
        StoredMessage {
            mentions: vec![too_large],
            ..message(2, "teen", "lobby", 2)
        },
    ];
    let error = history.append(&batch).await.unwrap_err();
    assert!(
        matches!(error, StoreError::OutOfRange { field: "mentions", value } if value == too_large),
        "{error:?}"
    );
    let error = history
        .append(&[message(too_large, "teen", "lobby", 1)])
        .await
        .unwrap_err();
    assert!(
        matches!(error, StoreError::OutOfRange { field: "id", .. }),
        "{error:?}"
    );
    assert_eq!(history.max_message_id().await.unwrap(), None);
    db.close().await;
}

#[tokio::test]
async fn a_batch_with_a_stored_id_is_refused_whole() {
    let db = TestDatabase::open().await;
    let history = db.history();
    history.append(&lobby(1, 1)).await.unwrap();
    // Which error a driver reports for the clash is its own affair.
    assert!(history.append(&lobby(3, 1)).await.is_err());
    assert_eq!(
        ids(&history.recent("teen", "lobby", 10).await.unwrap()),
        [1]
    );
    db.close().await;
}
