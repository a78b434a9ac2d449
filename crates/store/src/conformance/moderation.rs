//! Conformance of [`crate::SanctionStore`] and [`crate::AuditStore`]: sanctions in force
//! and lifted; the audit log's chain, and its tamper detection.

use super::TestDatabase;
use crate::{AUDIT_CHAIN_SEED, AuditEntry, StoreError, StoredSanction};

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
