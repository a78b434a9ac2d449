//! [`SanctionStore`], [`AuditStore`] and [`ReviewStore`] for SQLite:
//! `sanctions`, the hash-chained `audit_log`, and the review queue
//! (`reviews` and their evidence, `review_context`).

use std::collections::HashMap;

use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;

use super::{
    Columns, SqliteStore, insert_failed, insert_rows, optional_i64, query_failed, stored_u64,
    to_i64,
};
use crate::{
    AUDIT_CHAIN_SEED, AuditEntry, AuditStore, ReviewStore, SanctionStore, StoreError,
    StoredAuditEntry, StoredContextLine, StoredReview, StoredSanction, audit_hash,
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

/// The columns of `reviews`, in the order [`INSERT_REVIEW`] binds them.
macro_rules! review_columns {
    () => {
        "id, verdict, speech, band, place, author_id, author_nick, text, rule, at_ms, \
         decided_at_ms, decision"
    };
}

/// The ids of the oldest pending reviews, at most `?` of them: one
/// definition of the queue for both halves of `pending_reviews`.
macro_rules! pending_review_ids {
    () => {
        "SELECT id FROM reviews WHERE decided_at_ms IS NULL ORDER BY at_ms, id LIMIT ?"
    };
}

const INSERT_REVIEW: &str = concat!(
    "INSERT INTO reviews (",
    review_columns!(),
    ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
);

const INSERT_CONTEXT: &str = "INSERT INTO review_context \
     (review_id, position, message_id, author_id, author_nick, text, at_ms) ";

/// Values bound per evidence line.
const CONTEXT_COLUMNS: usize = 7;

const SELECT_PENDING_REVIEWS: &str = concat!(
    "SELECT ",
    review_columns!(),
    " FROM reviews WHERE id IN (",
    pending_review_ids!(),
    ") ORDER BY at_ms, id"
);

const SELECT_PENDING_CONTEXT: &str = concat!(
    "SELECT review_id, message_id, author_id, author_nick, text, at_ms FROM review_context \
     WHERE review_id IN (",
    pending_review_ids!(),
    ") ORDER BY review_id, position"
);

#[async_trait]
impl ReviewStore for SqliteStore {
    async fn record_review(&self, review: &StoredReview) -> Result<(), StoreError> {
        // Convert everything first, so a value out of range fails the call
        // before a transaction is even opened.
        let id = to_i64("id", review.id)?;
        let lines = review
            .context
            .iter()
            .zip(0_i64..)
            .map(|(line, position)| ContextRow::new(line, position))
            .collect::<Result<Vec<_>, _>>()?;
        let mut transaction = self
            .pool
            .begin()
            .await
            .map_err(query_failed("beginning a transaction to record a review"))?;
        sqlx::query(INSERT_REVIEW)
            .bind(id)
            .bind(&review.verdict)
            .bind(&review.speech)
            .bind(&review.band)
            .bind(&review.place)
            .bind(to_i64("author_id", review.author_id)?)
            .bind(&review.author_nick)
            .bind(&review.text)
            .bind(&review.rule)
            .bind(to_i64("at_ms", review.at_ms)?)
            .bind(optional_i64("decided_at_ms", review.decided_at_ms)?)
            .bind(review.decision.as_deref())
            .execute(&mut *transaction)
            .await
            .map_err(insert_failed("recording a review", "a review with this id"))?;
        insert_rows(
            &mut transaction,
            INSERT_CONTEXT,
            CONTEXT_COLUMNS,
            &lines,
            |mut values, line| {
                values
                    .push_bind(id)
                    .push_bind(line.position)
                    .push_bind(line.message_id)
                    .push_bind(line.author_id)
                    .push_bind(line.author_nick)
                    .push_bind(line.text)
                    .push_bind(line.at_ms);
            },
            "recording a review's evidence",
        )
        .await?;
        transaction
            .commit()
            .await
            .map_err(query_failed("committing a review"))
    }

    async fn pending_reviews(&self, limit: u32) -> Result<Vec<StoredReview>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let limit = i64::from(limit);
        // One read transaction, so both queries see the same queue even if
        // staff decide a review in between.
        let mut transaction = self.pool.begin().await.map_err(query_failed(
            "beginning a transaction to read the review queue",
        ))?;
        let review_rows = sqlx::query(SELECT_PENDING_REVIEWS)
            .bind(limit)
            .fetch_all(&mut *transaction)
            .await
            .map_err(query_failed("reading the review queue"))?;
        let context_rows = sqlx::query(SELECT_PENDING_CONTEXT)
            .bind(limit)
            .fetch_all(&mut *transaction)
            .await
            .map_err(query_failed("reading the review queue's evidence"))?;
        transaction
            .commit()
            .await
            .map_err(query_failed("ending a read of the review queue"))?;
        let mut reviews = review_rows
            .iter()
            .map(read_review)
            .collect::<Result<Vec<_>, _>>()?;
        let position: HashMap<u64, usize> = reviews
            .iter()
            .enumerate()
            .map(|(index, review)| (review.id, index))
            .collect();
        for row in &context_rows {
            let columns = Columns::of(row, "decoding a review's evidence");
            let review_id = columns.unsigned("review_id")?;
            let line = StoredContextLine {
                message_id: columns.unsigned("message_id")?,
                author_id: columns.unsigned("author_id")?,
                author_nick: columns.get("author_nick")?,
                text: columns.get("text")?,
                at_ms: columns.unsigned("at_ms")?,
            };
            if let Some(review) = position
                .get(&review_id)
                .and_then(|&index| reviews.get_mut(index))
            {
                review.context.push(line);
            }
        }
        Ok(reviews)
    }

    async fn decide_review(&self, id: u64, decision: &str, at_ms: u64) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "UPDATE reviews SET decision = ?, decided_at_ms = ? \
             WHERE id = ? AND decided_at_ms IS NULL",
        )
        .bind(decision)
        .bind(to_i64("at_ms", at_ms)?)
        .bind(to_i64("id", id)?)
        .execute(&self.pool)
        .await
        .map_err(query_failed("deciding a review"))?;
        Ok(result.rows_affected() == 1)
    }
}

/// A [`StoredContextLine`] converted to the database's types, borrowing
/// its text.
struct ContextRow<'a> {
    position: i64,
    message_id: i64,
    author_id: i64,
    author_nick: &'a str,
    text: &'a str,
    at_ms: i64,
}

impl<'a> ContextRow<'a> {
    fn new(line: &'a StoredContextLine, position: i64) -> Result<Self, StoreError> {
        Ok(ContextRow {
            position,
            message_id: to_i64("message_id", line.message_id)?,
            author_id: to_i64("author_id", line.author_id)?,
            author_nick: &line.author_nick,
            text: &line.text,
            at_ms: to_i64("at_ms", line.at_ms)?,
        })
    }
}

/// Reads one `reviews` row, without its evidence.
fn read_review(row: &SqliteRow) -> Result<StoredReview, StoreError> {
    let columns = Columns::of(row, "decoding a review");
    Ok(StoredReview {
        id: columns.unsigned("id")?,
        verdict: columns.get("verdict")?,
        speech: columns.get("speech")?,
        band: columns.get("band")?,
        place: columns.get("place")?,
        author_id: columns.unsigned("author_id")?,
        author_nick: columns.get("author_nick")?,
        text: columns.get("text")?,
        rule: columns.get("rule")?,
        at_ms: columns.unsigned("at_ms")?,
        context: Vec::new(),
        decided_at_ms: columns.optional_unsigned("decided_at_ms")?,
        decision: columns.get("decision")?,
    })
}

#[cfg(test)]
mod tests {
    //! The database's own guard on the review queue's evidence; what every
    //! driver must do is in `crate::conformance::moderation`.

    use super::*;
    use crate::conformance::moderation::review;

    /// Runs `sql` behind the store's back, as someone with the file could.
    async fn execute(store: &SqliteStore, sql: &'static str) -> Result<u64, sqlx::Error> {
        let result = sqlx::query(sql).execute(&store.pool).await?;
        Ok(result.rows_affected())
    }

    fn refused(result: Result<u64, sqlx::Error>, because: &str) {
        match result {
            Err(sqlx::Error::Database(error)) => {
                assert!(error.message().contains(because), "{error}");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn evidence_cannot_be_edited_even_behind_the_stores_back() {
        let (_dir, store) = SqliteStore::temporary().await;
        store.record_review(&review(1, 1_000, 2)).await.unwrap();
        refused(
            execute(
                &store,
                "UPDATE review_context SET text = 'rien' WHERE review_id = 1",
            )
            .await,
            "immutable",
        );
        refused(
            execute(&store, "UPDATE reviews SET text = 'rien' WHERE id = 1").await,
            "immutable",
        );
        refused(
            execute(
                &store,
                "UPDATE reviews SET decision = 'remove' WHERE id = 1",
            )
            .await,
            "CHECK",
        );
        assert_eq!(
            store.pending_reviews(1).await.unwrap(),
            [review(1, 1_000, 2)]
        );
        store.close().await;
    }

    #[tokio::test]
    async fn a_decision_cannot_be_changed_even_behind_the_stores_back() {
        let (_dir, store) = SqliteStore::temporary().await;
        store.record_review(&review(1, 1_000, 0)).await.unwrap();
        assert!(store.decide_review(1, "deliver", 2_000).await.unwrap());
        refused(
            execute(
                &store,
                "UPDATE reviews SET decision = NULL, decided_at_ms = NULL WHERE id = 1",
            )
            .await,
            "decided once",
        );
        let decision: String = sqlx::query_scalar("SELECT decision FROM reviews WHERE id = 1")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        assert_eq!(decision, "deliver");
        store.close().await;
    }
}
