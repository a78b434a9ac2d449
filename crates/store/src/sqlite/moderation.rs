//! [`SanctionStore`] and [`AuditStore`] for SQLite: `sanctions`, and the
//! hash-chained `audit_log`.

use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;

use super::{Columns, SqliteStore, insert_failed, optional_i64, query_failed, stored_u64, to_i64};
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
        sqlx::query(INSERT_SANCTION)
            .bind(to_i64("id", sanction.id)?)
            .bind(&sanction.kind)
            .bind(&sanction.nick)
            .bind(&sanction.nick_key)
            .bind(sanction.address.as_deref())
            .bind(&sanction.reason)
            .bind(&sanction.by_nick)
            .bind(to_i64("created_at_ms", sanction.created_at_ms)?)
            .bind(optional_i64("expires_at_ms", sanction.expires_at_ms)?)
            .bind(optional_i64("lifted_at_ms", sanction.lifted_at_ms)?)
            .execute(&self.pool)
            .await
            .map_err(insert_failed(
                "recording a sanction",
                "a sanction with this id",
            ))?;
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
