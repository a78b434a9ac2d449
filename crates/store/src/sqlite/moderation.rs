//! [`SanctionStore`] and [`AuditStore`] for SQLite.

use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;

use super::{Columns, SqliteStore, query_failed, stored_u64, to_i64};
use crate::{
    AUDIT_CHAIN_SEED, AuditEntry, AuditStore, SanctionStore, StoreError, StoredAuditEntry,
    StoredSanction, audit_hash,
};

/// The columns of `sanctions`, in the order [`read_sanction`] reads them.
macro_rules! sanction_columns {
    () => {
        "id, kind, nick, nick_key, address, reason, by_nick, created_at_ms, expires_at_ms, lifted_at_ms"
    };
}

const INSERT_SANCTION: &str = concat!(
    "INSERT INTO sanctions (",
    sanction_columns!(),
    ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
);

const SELECT_IN_FORCE: &str = concat!(
    "SELECT ",
    sanction_columns!(),
    " FROM sanctions WHERE kind IN ('mute', 'ban') AND lifted_at_ms IS NULL \
     AND (expires_at_ms IS NULL OR expires_at_ms > ?) ORDER BY id"
);

#[async_trait]
impl SanctionStore for SqliteStore {
    async fn record_sanction(&self, sanction: &StoredSanction) -> Result<(), StoreError> {
        let optional = |field, value: Option<u64>| value.map(|at| to_i64(field, at)).transpose();
        sqlx::query(INSERT_SANCTION)
            .bind(to_i64("id", sanction.id)?)
            .bind(&sanction.kind)
            .bind(&sanction.nick)
            .bind(&sanction.nick_key)
            .bind(sanction.address.as_deref())
            .bind(&sanction.reason)
            .bind(&sanction.by_nick)
            .bind(to_i64("created_at_ms", sanction.created_at_ms)?)
            .bind(optional("expires_at_ms", sanction.expires_at_ms)?)
            .bind(optional("lifted_at_ms", sanction.lifted_at_ms)?)
            .execute(&self.pool)
            .await
            .map_err(|source| match source {
                sqlx::Error::Database(error) if error.is_unique_violation() => {
                    StoreError::Duplicate {
                        what: "a sanction with this id",
                    }
                }
                source => StoreError::Query {
                    operation: "recording a sanction",
                    source,
                },
            })?;
        Ok(())
    }

    async fn lift_sanction(&self, id: u64, at_ms: u64) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "UPDATE sanctions SET lifted_at_ms = ? WHERE id = ? AND lifted_at_ms IS NULL",
        )
        .bind(to_i64("at_ms", at_ms)?)
        .bind(to_i64("id", id)?)
        .execute(&self.pool)
        .await
        .map_err(query_failed("lifting a sanction"))?;
        Ok(result.rows_affected() == 1)
    }

    async fn sanctions_in_force(&self, now_ms: u64) -> Result<Vec<StoredSanction>, StoreError> {
        let rows = sqlx::query(SELECT_IN_FORCE)
            .bind(to_i64("now_ms", now_ms)?)
            .fetch_all(&self.pool)
            .await
            .map_err(query_failed("reading the sanctions in force"))?;
        rows.iter().map(read_sanction).collect()
    }
}

fn read_sanction(row: &SqliteRow) -> Result<StoredSanction, StoreError> {
    let columns = Columns::of(row, "decoding a sanction");
    Ok(StoredSanction {
        id: columns.unsigned("id")?,
        kind: columns.get("kind")?,
        nick: columns.get("nick")?,
        nick_key: columns.get("nick_key")?,
        address: columns.get("address")?,
        reason: columns.get("reason")?,
        by_nick: columns.get("by_nick")?,
        created_at_ms: columns.unsigned("created_at_ms")?,
        expires_at_ms: columns.optional_unsigned("expires_at_ms")?,
        lifted_at_ms: columns.optional_unsigned("lifted_at_ms")?,
    })
}

#[async_trait]
impl AuditStore for SqliteStore {
    async fn append_audit(&self, entry: &AuditEntry) -> Result<u64, StoreError> {
        let at_ms = to_i64("at_ms", entry.at_ms)?;
        // `BEGIN IMMEDIATE` takes the write lock before the last hash is
        // read, so no other row can come in between. A plain (deferred)
        // transaction reads first and asks for the lock after, and in WAL
        // mode that fails at once, busy timeout or not, when another
        // connection (the history writer, a login) wrote in the meantime.
        let mut transaction =
            self.pool
                .begin_with("BEGIN IMMEDIATE")
                .await
                .map_err(query_failed(
                    "beginning a transaction to append to the audit log",
                ))?;
        let last: Option<String> =
            sqlx::query_scalar("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")
                .fetch_optional(&mut *transaction)
                .await
                .map_err(query_failed("reading the audit log's last hash"))?;
        let prev_hash = last.unwrap_or_else(|| AUDIT_CHAIN_SEED.to_owned());
        let hash = audit_hash(&prev_hash, entry);
        let inserted = sqlx::query(
            "INSERT INTO audit_log (at_ms, actor, action, subject, detail, prev_hash, hash) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(at_ms)
        .bind(&entry.actor)
        .bind(&entry.action)
        .bind(&entry.subject)
        .bind(&entry.detail)
        .bind(&prev_hash)
        .bind(&hash)
        .execute(&mut *transaction)
        .await
        .map_err(query_failed("appending to the audit log"))?;
        transaction
            .commit()
            .await
            .map_err(query_failed("committing an audit entry"))?;
        stored_u64("id", inserted.last_insert_rowid())
    }

    async fn audit_log(&self) -> Result<Vec<StoredAuditEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, at_ms, actor, action, subject, detail, prev_hash, hash \
             FROM audit_log ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(query_failed("reading the audit log"))?;
        rows.iter()
            .map(|row| {
                let columns = Columns::of(row, "decoding an audit entry");
                Ok(StoredAuditEntry {
                    id: columns.unsigned("id")?,
                    entry: AuditEntry {
                        at_ms: columns.unsigned("at_ms")?,
                        actor: columns.get("actor")?,
                        action: columns.get("action")?,
                        subject: columns.get("subject")?,
                        detail: columns.get("detail")?,
                    },
                    prev_hash: columns.get("prev_hash")?,
                    hash: columns.get("hash")?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        (dir, store)
    }

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

    #[tokio::test]
    async fn only_unlifted_unexpired_mutes_and_bans_are_in_force() {
        let (_dir, store) = store().await;
        store
            .record_sanction(&sanction(1, "warning", None))
            .await
            .unwrap();
        store
            .record_sanction(&sanction(2, "mute", Some(5_000)))
            .await
            .unwrap();
        store
            .record_sanction(&sanction(3, "ban", None))
            .await
            .unwrap();
        store
            .record_sanction(&sanction(4, "ban", Some(2_000)))
            .await
            .unwrap();
        store
            .record_sanction(&sanction(5, "kick", None))
            .await
            .unwrap();
        let ids = |sanctions: Vec<StoredSanction>| -> Vec<u64> {
            sanctions.iter().map(|s| s.id).collect()
        };
        assert_eq!(ids(store.sanctions_in_force(3_000).await.unwrap()), [2, 3]);
        assert_eq!(
            ids(store.sanctions_in_force(1_500).await.unwrap()),
            [2, 3, 4]
        );

        assert!(store.lift_sanction(3, 3_100).await.unwrap());
        assert!(!store.lift_sanction(3, 3_200).await.unwrap(), "lifted once");
        assert!(!store.lift_sanction(99, 3_200).await.unwrap());
        assert_eq!(ids(store.sanctions_in_force(3_000).await.unwrap()), [2]);

        // Every column reads back as written.
        assert_eq!(
            store.sanctions_in_force(3_000).await.unwrap(),
            [sanction(2, "mute", Some(5_000))]
        );
        assert!(matches!(
            store.record_sanction(&sanction(1, "warning", None)).await,
            Err(StoreError::Duplicate { .. })
        ));
    }

    #[tokio::test]
    async fn the_audit_log_chains_its_rows_and_detects_an_edit() {
        let (_dir, store) = store().await;
        assert_eq!(store.verify_audit().await.unwrap(), 0);
        for (index, subject) in ["Troll", "Spam", "Relou"].iter().enumerate() {
            let id = store
                .append_audit(&AuditEntry {
                    at_ms: 1_000 + index as u64,
                    actor: "Modo".into(),
                    action: "sanction.mute".into(),
                    subject: (*subject).into(),
                    detail: "10 min".into(),
                })
                .await
                .unwrap();
            assert_eq!(id, index as u64 + 1);
        }
        assert_eq!(store.verify_audit().await.unwrap(), 3);
        let rows = store.audit_log().await.unwrap();
        assert_eq!(rows[0].prev_hash, AUDIT_CHAIN_SEED);
        assert_eq!(rows[1].prev_hash, rows[0].hash);

        // Someone edits a row behind the store's back.
        sqlx::query("UPDATE audit_log SET subject = 'Innocent' WHERE id = 2")
            .execute(&store.pool)
            .await
            .unwrap();
        assert!(matches!(
            store.verify_audit().await,
            Err(StoreError::AuditChainBroken { id: 2 })
        ));
    }
}
