//! Site-wide sanctions, the staff audit log and the review queue: the
//! traits every driver implements, their plain data, and the audit chain's
//! hash.
//!
//! The hub applies a sanction at once and writes it here afterwards (its
//! ids are the hub's); at start it reads back the ones still in force.
//! The audit log is append-only and hash-chained: [`audit_hash`] is the one
//! definition of a row's hash, so every driver computes and checks the
//! same chain. The review queue holds what the safety decision held back
//! or flagged, with the evidence around it, until staff decide.

use async_trait::async_trait;
use sha2::{Digest, Sha256};

use crate::StoreError;

/// A sanction, as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSanction {
    /// Id, given by the hub.
    pub id: u64,
    /// `warning`, `mute`, `kick` or `ban`.
    pub kind: String,
    /// The nickname as the person had it.
    pub nick: String,
    /// The folded nickname it binds.
    pub nick_key: String,
    /// The address it also binds, when staff asked for it.
    pub address: Option<String>,
    /// Why, as staff wrote it.
    pub reason: String,
    /// The member of staff who decided it.
    pub by_nick: String,
    /// Milliseconds since the Unix epoch.
    pub created_at_ms: u64,
    /// When it ends; `None`: for good (or not timed: warnings and kicks).
    pub expires_at_ms: Option<u64>,
    /// When staff ended it early.
    pub lifted_at_ms: Option<u64>,
}

/// Sanction storage.
#[async_trait]
pub trait SanctionStore: Send + Sync + 'static {
    /// Records a sanction.
    async fn record_sanction(&self, sanction: &StoredSanction) -> Result<(), StoreError>;
    /// Marks a sanction lifted. False when no sanction has this id.
    async fn lift_sanction(&self, id: u64, at_ms: u64) -> Result<bool, StoreError>;
    /// The mutes and bans in force at `now_ms` (not lifted, not expired).
    async fn sanctions_in_force(&self, now_ms: u64) -> Result<Vec<StoredSanction>, StoreError>;
}

/// One staff action, as the hub describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    /// Milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// The member of staff who acted.
    pub actor: String,
    /// What they did, e.g. `sanction.ban`.
    pub action: String,
    /// Whom or what it concerned.
    pub subject: String,
    /// The rest, e.g. the reason and duration.
    pub detail: String,
}

/// An audit row with its place in the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredAuditEntry {
    /// Row id, in order of appending.
    pub id: u64,
    /// The action.
    pub entry: AuditEntry,
    /// The previous row's hash (the chain's seed for the first row).
    pub prev_hash: String,
    /// This row's hash.
    pub hash: String,
}

/// The `prev_hash` of the first row.
pub const AUDIT_CHAIN_SEED: &str =
    "0000000000000000000000000000000000000000000000000000000000000000";

/// A row's hash: SHA-256, in lower-case hex, over the previous hash and
/// each field, every part preceded by its length so that no two different
/// rows read the same.
pub fn audit_hash(prev_hash: &str, entry: &AuditEntry) -> String {
    let mut hasher = Sha256::new();
    let at_ms = entry.at_ms.to_string();
    for part in [
        prev_hash,
        &at_ms,
        &entry.actor,
        &entry.action,
        &entry.subject,
        &entry.detail,
    ] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Checks a chain read back in order: every row must point at the one
/// before and hash to what it says. The first row that does not is named.
pub fn check_audit_chain(rows: &[StoredAuditEntry]) -> Result<(), StoreError> {
    let mut prev = AUDIT_CHAIN_SEED;
    for row in rows {
        if row.prev_hash != prev || audit_hash(prev, &row.entry) != row.hash {
            return Err(StoreError::AuditChainBroken { id: row.id });
        }
        prev = &row.hash;
    }
    Ok(())
}

/// The staff audit log.
#[async_trait]
pub trait AuditStore: Send + Sync + 'static {
    /// Appends an action at the end of the chain; returns its row id.
    /// Appends must not run concurrently with each other (the hub sends
    /// them through one task), though the driver also makes each one a
    /// single transaction.
    async fn append_audit(&self, entry: &AuditEntry) -> Result<u64, StoreError>;
    /// The whole log, oldest first.
    async fn audit_log(&self) -> Result<Vec<StoredAuditEntry>, StoreError>;
    /// Reads the whole log and checks its chain; returns the row count.
    async fn verify_audit(&self) -> Result<u64, StoreError> {
        let rows = self.audit_log().await?;
        check_audit_chain(&rows)?;
        Ok(rows.len() as u64)
    }
}

/// Something a person said that the safety decision held back or flagged,
/// waiting for staff, with the evidence around it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredReview {
    /// Id, given by the hub.
    pub id: u64,
    /// `held` (not delivered until staff decide) or `flagged` (delivered,
    /// and shown to staff).
    pub verdict: String,
    /// What was said: `room_message`, `dm`, `topic`, `away`, `room_name`,
    /// `bio`…
    pub speech: String,
    /// The author's band, `teen` or `adult`.
    pub band: String,
    /// Where: the room's slug, or `""` for speech outside any room.
    pub place: String,
    /// The author's session id.
    pub author_id: u64,
    /// The author's nickname when they said it.
    pub author_nick: String,
    /// What they said.
    pub text: String,
    /// The rule that decided, if the decision names one (else empty).
    pub rule: String,
    /// Milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// The evidence: the message and what was said around it, in order,
    /// as it was when recorded. Never changed afterwards.
    pub context: Vec<StoredContextLine>,
    /// When staff decided; `None` while the review is pending.
    pub decided_at_ms: Option<u64>,
    /// What staff decided; set together with `decided_at_ms`.
    pub decision: Option<String>,
}

/// One line of a review's evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredContextLine {
    /// The message's id.
    pub message_id: u64,
    /// Its author's session id.
    pub author_id: u64,
    /// Its author's nickname then.
    pub author_nick: String,
    /// Its text.
    pub text: String,
    /// Milliseconds since the Unix epoch.
    pub at_ms: u64,
}

/// The review queue.
#[async_trait]
pub trait ReviewStore: Send + Sync + 'static {
    /// Records a review and its evidence, in one transaction: all or
    /// none. Fails with [`StoreError::Duplicate`] when a review already has
    /// this id. A review recorded with a decision is not pending.
    async fn record_review(&self, review: &StoredReview) -> Result<(), StoreError>;
    /// The `limit` oldest reviews not decided yet (by `at_ms`, then id),
    /// oldest first, each with its evidence in the order it was recorded.
    async fn pending_reviews(&self, limit: u32) -> Result<Vec<StoredReview>, StoreError>;
    /// Records staff's decision. False when no review has this id or it
    /// was decided already: a review is decided once, and its evidence is
    /// never changed.
    async fn decide_review(&self, id: u64, decision: &str, at_ms: u64) -> Result<bool, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(detail: &str) -> AuditEntry {
        AuditEntry {
            at_ms: 1,
            actor: "Modo".into(),
            action: "sanction.ban".into(),
            subject: "Troll".into(),
            detail: detail.into(),
        }
    }

    fn chain(details: &[&str]) -> Vec<StoredAuditEntry> {
        let mut prev = AUDIT_CHAIN_SEED.to_owned();
        let mut rows = Vec::new();
        for (index, detail) in details.iter().enumerate() {
            let entry = entry(detail);
            let hash = audit_hash(&prev, &entry);
            rows.push(StoredAuditEntry {
                id: index as u64 + 1,
                entry,
                prev_hash: prev,
                hash: hash.clone(),
            });
            prev = hash;
        }
        rows
    }

    #[test]
    fn hashes_depend_on_every_field_and_on_field_boundaries() {
        let base = entry("spam");
        let hash = audit_hash(AUDIT_CHAIN_SEED, &base);
        assert_eq!(hash.len(), 64);
        assert_ne!(hash, audit_hash(AUDIT_CHAIN_SEED, &entry("spam!")));
        assert_ne!(hash, audit_hash(&"1".repeat(64), &base));
        // Moving text from one field to the next changes the hash.
        let shifted = AuditEntry {
            actor: "Mod".into(),
            action: "osanction.ban".into(),
            ..base.clone()
        };
        assert_ne!(hash, audit_hash(AUDIT_CHAIN_SEED, &shifted));
    }

    #[test]
    fn a_chain_checks_until_a_row_is_edited_or_removed() {
        let rows = chain(&["a", "b", "c"]);
        assert!(check_audit_chain(&rows).is_ok());

        let mut edited = rows.clone();
        edited[1].entry.detail = "B".into();
        assert!(matches!(
            check_audit_chain(&edited),
            Err(StoreError::AuditChainBroken { id: 2 })
        ));

        let mut removed = rows.clone();
        removed.remove(1);
        assert!(matches!(
            check_audit_chain(&removed),
            Err(StoreError::AuditChainBroken { id: 3 })
        ));
    }
}
