//! Conformance of [`crate::AccountStore`]: accounts created, read, changed and
//! deleted; one account per folded nickname; recovery codes used once.

use super::TestDatabase;
use crate::{NewAccount, StoreError, StoredRecoveryCode};

/// A new account for `nick`, whose folded key is its lower case.
pub(crate) fn new_account(nick: &str) -> NewAccount {
    NewAccount {
        nick: nick.to_owned(),
        nick_key: nick.to_lowercase(),
        password_hash: format!("hash-of-{nick}"),
        email: None,
        age: 30,
        gender: "femme".to_owned(),
        department: "75".to_owned(),
        created_at_ms: 1_000,
    }
}

fn hashes(codes: &[StoredRecoveryCode]) -> Vec<&str> {
    codes.iter().map(|code| code.code_hash.as_str()).collect()
}

#[tokio::test]
async fn accounts_are_created_read_changed_and_deleted() {
    let db = TestDatabase::open().await;
    let accounts = db.accounts();
    let codes = vec!["c1".to_owned(), "c2".to_owned()];
    let id = accounts
        .create_account(
            &NewAccount {
                email: Some("alice@example.org".into()),
                ..new_account("Alice")
            },
            &codes,
        )
        .await
        .unwrap();
    let account = accounts
        .account_by_nick_key("alice")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(account.id, id);
    assert_eq!(
        (account.nick.as_str(), account.nick_key.as_str()),
        ("Alice", "alice")
    );
    assert_eq!(account.password_hash, "hash-of-Alice");
    assert_eq!(account.email.as_deref(), Some("alice@example.org"));
    assert_eq!((account.age, account.gender.as_str()), (30, "femme"));
    assert_eq!(account.department, "75");
    assert_eq!(account.created_at_ms, 1_000);
    assert_eq!(account.last_login_ms, None);
    assert_eq!(accounts.account_by_nick_key("bob").await.unwrap(), None);
    assert_eq!(accounts.account_nick_keys().await.unwrap(), ["alice"]);

    accounts.set_password_hash(id, "new-hash").await.unwrap();
    accounts.record_login(id, 2_000).await.unwrap();
    let account = accounts
        .account_by_nick_key("alice")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(account.password_hash, "new-hash");
    assert_eq!(account.last_login_ms, Some(2_000));

    assert!(accounts.delete_account(id).await.unwrap());
    assert!(!accounts.delete_account(id).await.unwrap());
    assert_eq!(accounts.account_by_nick_key("alice").await.unwrap(), None);
    assert!(accounts.account_nick_keys().await.unwrap().is_empty());
    assert!(accounts.unused_recovery_codes(id).await.unwrap().is_empty());
    db.close().await;
}

#[tokio::test]
async fn each_account_gets_its_own_id() {
    let db = TestDatabase::open().await;
    let accounts = db.accounts();
    let alice = accounts
        .create_account(&new_account("Alice"), &["a".to_owned()])
        .await
        .unwrap();
    let bob = accounts
        .create_account(&new_account("Bob"), &["b".to_owned()])
        .await
        .unwrap();
    assert_ne!(alice, bob);
    let mut keys = accounts.account_nick_keys().await.unwrap();
    keys.sort();
    assert_eq!(keys, ["alice", "bob"]);
    assert_eq!(
        hashes(&accounts.unused_recovery_codes(bob).await.unwrap()),
        ["b"]
    );
    assert!(accounts.delete_account(alice).await.unwrap());
    assert!(accounts.account_by_nick_key("bob").await.unwrap().is_some());
    db.close().await;
}

#[tokio::test]
async fn a_second_account_with_the_same_key_is_a_duplicate() {
    let db = TestDatabase::open().await;
    let accounts = db.accounts();
    let first = accounts
        .create_account(&new_account("Alice"), &[])
        .await
        .unwrap();
    let error = accounts
        .create_account(&new_account("ALICE"), &["c".to_owned()])
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Duplicate { .. }), "{error:?}");
    // The refused account left nothing behind, not even its code.
    let account = accounts
        .account_by_nick_key("alice")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((account.id, account.nick.as_str()), (first, "Alice"));
    assert!(
        accounts
            .unused_recovery_codes(first)
            .await
            .unwrap()
            .is_empty()
    );
    db.close().await;
}

#[tokio::test]
async fn a_recovery_code_is_used_once() {
    let db = TestDatabase::open().await;
    let accounts = db.accounts();
    let codes = vec!["c1".to_owned(), "c2".to_owned(), "c3".to_owned()];
    let id = accounts
        .create_account(&new_account("Alice"), &codes)
        .await
        .unwrap();
    let unused = accounts.unused_recovery_codes(id).await.unwrap();
    assert_eq!(hashes(&unused), ["c1", "c2", "c3"]);
    assert!(accounts.use_recovery_code(unused[1].id, 5).await.unwrap());
    assert!(!accounts.use_recovery_code(unused[1].id, 6).await.unwrap());
    let unused = accounts.unused_recovery_codes(id).await.unwrap();
    assert_eq!(hashes(&unused), ["c1", "c3"]);
    db.close().await;
}

#[tokio::test]
async fn accounts_survive_close_and_reopen() {
    let db = TestDatabase::open().await;
    let id = db
        .accounts()
        .create_account(&new_account("Alice"), &["c1".to_owned()])
        .await
        .unwrap();
    let db = db.reopen().await;
    let account = db.accounts().account_by_nick_key("alice").await.unwrap();
    assert_eq!(account.map(|account| account.id), Some(id));
    assert_eq!(
        hashes(&db.accounts().unused_recovery_codes(id).await.unwrap()),
        ["c1"]
    );
    db.close().await;
}

#[tokio::test]
async fn values_beyond_i64_are_refused() {
    let db = TestDatabase::open().await;
    let accounts = db.accounts();
    let too_large = 1 << 63;
    let error = accounts
        .create_account(
            &NewAccount {
                created_at_ms: too_large,
                ..new_account("Alice")
            },
            &[],
        )
        .await
        .unwrap_err();
    assert!(
        matches!(error, StoreError::OutOfRange { field: "created_at_ms", value } if value == too_large),
        "{error:?}"
    );
    assert_eq!(accounts.account_by_nick_key("alice").await.unwrap(), None);
    db.close().await;
}
