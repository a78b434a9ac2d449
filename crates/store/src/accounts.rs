//! Member accounts: the trait every driver implements, and its plain data.
//!
//! The store keeps what a member registered (nickname, password hash,
//! profile, optional e-mail) and their recovery codes' hashes. It never sees
//! a password or a code in clear: hashing and checking happen in the hub's
//! credential jobs, off the hub task.

use async_trait::async_trait;

use crate::StoreError;

/// A new account, as registration gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAccount {
    /// The nickname as typed.
    pub nick: String,
    /// The folded nickname; unique among accounts.
    pub nick_key: String,
    /// The password's Argon2id hash (PHC string).
    pub password_hash: String,
    /// Optional e-mail address.
    pub email: Option<String>,
    /// Age at registration.
    pub age: u32,
    /// `homme`, `femme` or `autre`.
    pub gender: String,
    /// Département code.
    pub department: String,
    /// Milliseconds since the Unix epoch.
    pub created_at_ms: u64,
}

/// A stored account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredAccount {
    /// Account id.
    pub id: u64,
    /// The nickname as registered.
    pub nick: String,
    /// The folded nickname.
    pub nick_key: String,
    /// The password's Argon2id hash (PHC string).
    pub password_hash: String,
    /// Optional e-mail address.
    pub email: Option<String>,
    /// Age at registration.
    pub age: u32,
    /// `homme`, `femme` or `autre`.
    pub gender: String,
    /// Département code.
    pub department: String,
    /// Milliseconds since the Unix epoch.
    pub created_at_ms: u64,
    /// Last successful login, if any.
    pub last_login_ms: Option<u64>,
}

/// A recovery code not used yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRecoveryCode {
    /// Code id, for [`AccountStore::use_recovery_code`].
    pub id: u64,
    /// The code's Argon2id hash (PHC string).
    pub code_hash: String,
}

/// Member account storage.
#[async_trait]
pub trait AccountStore: Send + Sync + 'static {
    /// Creates an account with its recovery codes' hashes, in one
    /// transaction. Fails with [`StoreError::Duplicate`] when an account
    /// already has this `nick_key`.
    async fn create_account(
        &self,
        account: &NewAccount,
        recovery_code_hashes: &[String],
    ) -> Result<u64, StoreError>;
    /// The account with this folded nickname, if any.
    async fn account_by_nick_key(
        &self,
        nick_key: &str,
    ) -> Result<Option<StoredAccount>, StoreError>;
    /// Every account's folded nickname, to know at start which nicknames
    /// need a password.
    async fn account_nick_keys(&self) -> Result<Vec<String>, StoreError>;
    /// Replaces an account's password hash.
    async fn set_password_hash(&self, account_id: u64, hash: &str) -> Result<(), StoreError>;
    /// Records a successful login.
    async fn record_login(&self, account_id: u64, at_ms: u64) -> Result<(), StoreError>;
    /// An account's recovery codes that are still valid.
    async fn unused_recovery_codes(
        &self,
        account_id: u64,
    ) -> Result<Vec<StoredRecoveryCode>, StoreError>;
    /// Marks a code used. False when it already was (two logins raced for
    /// it): only one of them may enter.
    async fn use_recovery_code(&self, code_id: u64, at_ms: u64) -> Result<bool, StoreError>;
    /// Deletes an account and all its recovery codes. False when there was
    /// no such account.
    async fn delete_account(&self, account_id: u64) -> Result<bool, StoreError>;
}
