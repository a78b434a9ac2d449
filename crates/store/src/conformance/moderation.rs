//! Conformance of [`crate::SanctionStore`], [`crate::AuditStore`] and
//! [`crate::ReviewStore`]: sanctions in force and lifted; the audit log's
//! chain, and its tamper detection; the review queue, oldest first, with
//! its evidence, each review decided once.

use super::TestDatabase;
use crate::{
    AUDIT_CHAIN_SEED, AuditEntry, StoreError, StoredContextLine, StoredReview, StoredSanction,
};

fn sanction(id: u64, kind: &str, expires_at_ms: Option<u64>) -> StoredSanction {
    StoredSanction {
        id,
        kind: kind.into(),
        nick: "Troll".into(),
        nick_key: "troll".into(),
        address: Some("192.0.2.7".into()),
        reason: "Insultes répétées".into(),
        by_nick: "Modo".into(),
        created_at_ms: 1_000,
        expires_at_ms,
        lifted_at_ms: None,
    }
}

fn sanction_ids(sanctions: &[StoredSanction]) -> Vec<u64> {
    sanctions.iter().map(|sanction| sanction.id).collect()
}

fn audit_entry(index: u64, subject: &str) -> AuditEntry {
    AuditEntry {
        at_ms: 1_000 + index,
        actor: "Modo".into(),
        action: "sanction.mute".into(),
        subject: subject.into(),
        detail: "10 min".into(),
    }
}

#[tokio::test]
async fn only_unlifted_unexpired_mutes_and_bans_are_in_force() {
    let db = TestDatabase::open().await;
    let sanctions = db.sanctions();
    for recorded in [
        sanction(1, "warning", None),
        sanction(2, "mute", Some(5_000)),
        sanction(3, "ban", None),
        sanction(4, "ban", Some(2_000)),
        sanction(5, "kick", None),
    ] {
        sanctions.record_sanction(&recorded).await.unwrap();
    }
    let in_force =
        |now_ms| async move { sanction_ids(&sanctions.sanctions_in_force(now_ms).await.unwrap()) };
    assert_eq!(in_force(3_000).await, [2, 3]);
    assert_eq!(in_force(1_500).await, [2, 3, 4]);
    // A sanction ends at its expiry, not after.
    assert_eq!(in_force(5_000).await, [3]);

    assert!(sanctions.lift_sanction(3, 3_100).await.unwrap());
    assert!(
        !sanctions.lift_sanction(3, 3_200).await.unwrap(),
        "lifted once"
    );
    assert!(!sanctions.lift_sanction(99, 3_200).await.unwrap());
    assert_eq!(in_force(3_000).await, [2]);

    // Every column reads back as written.
    assert_eq!(
        sanctions.sanctions_in_force(3_000).await.unwrap(),
        [sanction(2, "mute", Some(5_000))]
    );
    db.close().await;
}

#[tokio::test]
async fn a_sanction_without_an_address_reads_back_without_one() {
    let db = TestDatabase::open().await;
    let recorded = StoredSanction {
        address: None,
        ..sanction(1, "ban", None)
    };
    db.sanctions().record_sanction(&recorded).await.unwrap();
    assert_eq!(
        db.sanctions().sanctions_in_force(0).await.unwrap(),
        [recorded]
    );
    db.close().await;
}

#[tokio::test]
async fn a_second_sanction_with_the_same_id_is_a_duplicate() {
    let db = TestDatabase::open().await;
    let sanctions = db.sanctions();
    sanctions
        .record_sanction(&sanction(1, "ban", None))
        .await
        .unwrap();
    let error = sanctions
        .record_sanction(&sanction(1, "mute", None))
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Duplicate { .. }), "{error:?}");
    assert_eq!(
        sanctions.sanctions_in_force(0).await.unwrap(),
        [sanction(1, "ban", None)]
    );
    db.close().await;
}

#[tokio::test]
async fn sanctions_survive_close_and_reopen() {
    let db = TestDatabase::open().await;
    db.sanctions()
        .record_sanction(&sanction(7, "ban", None))
        .await
        .unwrap();
    let db = db.reopen().await;
    assert_eq!(
        sanction_ids(&db.sanctions().sanctions_in_force(0).await.unwrap()),
        [7]
    );
    db.close().await;
}

#[tokio::test]
async fn the_audit_log_chains_its_rows_in_order() {
    let db = TestDatabase::open().await;
    let audit = db.audit();
    assert_eq!(audit.verify_audit().await.unwrap(), 0);
    let subjects = ["Troll", "Spam", "Relou"];
    let mut appended = Vec::new();
    for (index, subject) in (0..).zip(subjects) {
        appended.push(
            audit
                .append_audit(&audit_entry(index, subject))
                .await
                .unwrap(),
        );
    }
    assert!(
        appended.windows(2).all(|pair| pair[0] < pair[1]),
        "row ids increase: {appended:?}"
    );
    assert_eq!(audit.verify_audit().await.unwrap(), 3);
    let rows = audit.audit_log().await.unwrap();
    let read_back: Vec<_> = rows.iter().map(|row| row.id).collect();
    assert_eq!(read_back, appended);
    assert_eq!(rows[0].prev_hash, AUDIT_CHAIN_SEED);
    assert_eq!(rows[1].prev_hash, rows[0].hash);
    assert_eq!(rows[2].prev_hash, rows[1].hash);
    for (index, (row, subject)) in (0..).zip(rows.iter().zip(subjects)) {
        assert_eq!(row.entry, audit_entry(index, subject));
    }
    db.close().await;
}

#[tokio::test]
async fn the_audit_chain_continues_after_a_reopen() {
    let db = TestDatabase::open().await;
    db.audit()
        .append_audit(&audit_entry(0, "Troll"))
        .await
        .unwrap();
    let db = db.reopen().await;
    db.audit()
        .append_audit(&audit_entry(1, "Spam"))
        .await
        .unwrap();
    assert_eq!(db.audit().verify_audit().await.unwrap(), 2);
    db.close().await;
}

#[tokio::test]
async fn an_edited_audit_row_breaks_the_chain_there() {
    let db = TestDatabase::open().await;
    let audit = db.audit();
    let mut appended = Vec::new();
    for (index, subject) in (0..).zip(["Troll", "Spam", "Relou"]) {
        appended.push(
            audit
                .append_audit(&audit_entry(index, subject))
                .await
                .unwrap(),
        );
    }
    // Someone edits the second row behind the store's back.
    db.tamper_with_audit_subject(appended[1], "Innocent").await;
    let error = audit.verify_audit().await.unwrap_err();
    assert!(
        matches!(error, StoreError::AuditChainBroken { id } if id == appended[1]),
        "{error:?}"
    );
    db.close().await;
}

/// A pending review of a room message by Relou, at `at_ms`, with `lines`
/// lines of evidence before it.
pub(crate) fn review(id: u64, at_ms: u64, lines: u64) -> StoredReview {
    let context = (1..=lines)
        .map(|line| StoredContextLine {
            message_id: id * 1_000 + line,
            author_id: 10 + line % 3,
            author_nick: format!("voisin{}", line % 3),
            text: format!("ligne {line} avant « ça »"),
            at_ms: at_ms - (lines + 1 - line),
        })
        .collect();
    StoredReview {
        id,
        verdict: "held".into(),
        speech: "room_message".into(),
        band: if id.is_multiple_of(2) {
            "adult"
        } else {
            "teen"
        }
        .into(),
        place: "lille".into(),
        author_id: 42,
        author_nick: "Relou".into(),
        text: format!("message retenu {id}"),
        rule: "contact_details".into(),
        at_ms,
        context,
        decided_at_ms: None,
        decision: None,
    }
}

fn review_ids(reviews: &[StoredReview]) -> Vec<u64> {
    reviews.iter().map(|review| review.id).collect()
}

#[tokio::test]
async fn a_review_reads_back_whole_with_its_evidence_in_order() {
    let db = TestDatabase::open().await;
    let recorded = StoredReview {
        verdict: "flagged".into(),
        speech: "dm".into(),
        place: String::new(),
        rule: String::new(),
        ..review(1, 10_000, 3)
    };
    db.reviews().record_review(&recorded).await.unwrap();
    assert_eq!(db.reviews().pending_reviews(10).await.unwrap(), [recorded]);
    db.close().await;
}

#[tokio::test]
async fn pending_reviews_come_oldest_first_up_to_the_limit() {
    let db = TestDatabase::open().await;
    let reviews = db.reviews();
    // Ids do not follow time here: the oldest is the one said first.
    for recorded in [
        review(1, 3_000, 2),
        review(2, 1_000, 0),
        review(3, 2_000, 1),
        review(4, 2_000, 3),
    ] {
        reviews.record_review(&recorded).await.unwrap();
    }
    let all = reviews.pending_reviews(10).await.unwrap();
    assert_eq!(review_ids(&all), [2, 3, 4, 1]);
    assert_eq!(
        all,
        [
            review(2, 1_000, 0),
            review(3, 2_000, 1),
            review(4, 2_000, 3),
            review(1, 3_000, 2)
        ]
    );
    // The limit takes the oldest, each with its own evidence only.
    assert_eq!(
        reviews.pending_reviews(2).await.unwrap(),
        [review(2, 1_000, 0), review(3, 2_000, 1)]
    );
    assert!(reviews.pending_reviews(0).await.unwrap().is_empty());
    db.close().await;
}

#[tokio::test]
async fn a_review_is_decided_once_and_leaves_the_queue() {
    let db = TestDatabase::open().await;
    let reviews = db.reviews();
    for id in 1..=3 {
        reviews
            .record_review(&review(id, id * 100, 1))
            .await
            .unwrap();
    }
    assert!(reviews.decide_review(2, "deliver", 5_000).await.unwrap());
    assert!(
        !reviews.decide_review(2, "remove", 5_001).await.unwrap(),
        "decided once"
    );
    assert!(!reviews.decide_review(99, "remove", 5_002).await.unwrap());
    assert_eq!(
        review_ids(&reviews.pending_reviews(10).await.unwrap()),
        [1, 3]
    );
    assert!(reviews.decide_review(1, "remove", 5_003).await.unwrap());
    assert!(reviews.decide_review(3, "deliver", 5_004).await.unwrap());
    assert!(reviews.pending_reviews(10).await.unwrap().is_empty());
    db.close().await;
}

#[tokio::test]
async fn a_review_recorded_decided_is_not_pending() {
    let db = TestDatabase::open().await;
    let decided = StoredReview {
        decided_at_ms: Some(2_000),
        decision: Some("deliver".into()),
        ..review(1, 1_000, 2)
    };
    db.reviews().record_review(&decided).await.unwrap();
    assert!(db.reviews().pending_reviews(10).await.unwrap().is_empty());
    assert!(
        !db.reviews()
            .decide_review(1, "remove", 3_000)
            .await
            .unwrap()
    );
    db.close().await;
}

#[tokio::test]
async fn a_second_review_with_the_same_id_is_a_duplicate_and_changes_nothing() {
    let db = TestDatabase::open().await;
    let reviews = db.reviews();
    reviews.record_review(&review(1, 1_000, 2)).await.unwrap();
    let error = reviews
        .record_review(&review(1, 2_000, 5))
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Duplicate { .. }), "{error:?}");
    assert_eq!(
        reviews.pending_reviews(10).await.unwrap(),
        [review(1, 1_000, 2)]
    );
    db.close().await;
}

#[tokio::test]
async fn long_evidence_is_stored_whole() {
    let db = TestDatabase::open().await;
    let recorded = review(1, 1_000_000, 500);
    db.reviews().record_review(&recorded).await.unwrap();
    assert_eq!(db.reviews().pending_reviews(1).await.unwrap(), [recorded]);
    db.close().await;
}

#[tokio::test]
async fn values_beyond_i64_are_refused_and_nothing_is_recorded() {
    let db = TestDatabase::open().await;
    let too_large = 1 << 63;
    let mut recorded = review(1, 1_000, 3);
    recorded.context[2].message_id = too_large;
    let error = db.reviews().record_review(&recorded).await.unwrap_err();
    assert!(
        matches!(error, StoreError::OutOfRange { field: "message_id", value } if value == too_large),
        "{error:?}"
    );
    assert!(db.reviews().pending_reviews(10).await.unwrap().is_empty());
    db.close().await;
}

#[tokio::test]
async fn reviews_and_decisions_survive_close_and_reopen() {
    let db = TestDatabase::open().await;
    for id in 1..=2 {
        db.reviews()
            .record_review(&review(id, id * 100, 2))
            .await
            .unwrap();
    }
    assert!(db.reviews().decide_review(1, "remove", 500).await.unwrap());
    let db = db.reopen().await;
    assert_eq!(
        db.reviews().pending_reviews(10).await.unwrap(),
        [review(2, 200, 2)]
    );
    assert!(!db.reviews().decide_review(1, "deliver", 600).await.unwrap());
    db.close().await;
}
