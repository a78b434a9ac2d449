//! [`HistoryStore`] for SQLite: room messages in `room_messages`, appended
//! in multi-row inserts inside one transaction, pruned in slices.

use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;

use super::{Columns, SqliteStore, insert_rows, optional_i64, query_failed, stored_u64, to_i64};
use crate::{HistoryStore, StoreError, StoredMessage};

/// Values bound per row by `append`.
const COLUMNS_PER_ROW: usize = 9;

/// Rows deleted per `DELETE` when pruning. Deleting in slices keeps each
/// write lock short, so the history writer's batches slip in between.
const ROWS_PER_PRUNE: i64 = 10_000;

const INSERT_ROOM_MESSAGES: &str = "INSERT INTO room_messages \
     (id, band, room, author_id, author_nick, body, at_ms, reply_to, mentions) ";

const SELECT_RECENT: &str = "SELECT id, band, room, author_id, author_nick, body, at_ms, reply_to, mentions \
     FROM room_messages WHERE band = ? AND room = ? ORDER BY id DESC LIMIT ?";

const DELETE_OLDER_THAN: &str = "DELETE FROM room_messages WHERE id IN \
     (SELECT id FROM room_messages WHERE at_ms < ? LIMIT ?)";

const SELECT_MAX_ID: &str = "SELECT MAX(id) FROM room_messages";

#[async_trait]
impl HistoryStore for SqliteStore {
    async fn append(&self, messages: &[StoredMessage]) -> Result<(), StoreError> {
        if messages.is_empty() {
            return Ok(());
        }
        // Convert everything first, so a value out of range fails the call
        // before a transaction is even opened.
        let rows = messages
            .iter()
            .map(MessageRow::new)
            .collect::<Result<Vec<_>, _>>()?;
        let mut transaction = self.pool.begin().await.map_err(query_failed(
            "beginning a transaction to append room messages",
        ))?;
        insert_rows(
            &mut transaction,
            INSERT_ROOM_MESSAGES,
            COLUMNS_PER_ROW,
            &rows,
            |mut values, row| {
                values
                    .push_bind(row.id)
                    .push_bind(row.band)
                    .push_bind(row.room)
                    .push_bind(row.author_id)
                    .push_bind(row.author_nick)
                    .push_bind(row.body)
                    .push_bind(row.at_ms)
                    .push_bind(row.reply_to)
                    .push_bind(row.mentions.as_str());
            },
            "appending room messages",
        )
        .await?;
        // Dropping the transaction on an error above rolls it back: all or none.
        transaction
            .commit()
            .await
            .map_err(query_failed("committing appended room messages"))
    }

    async fn recent(
        &self,
        band: &str,
        room: &str,
        limit: u32,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(SELECT_RECENT)
            .bind(band)
            .bind(room)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(query_failed("reading recent room messages"))?;
        // Newest first from the index, oldest first for the caller.
        rows.iter().rev().map(read_message).collect()
    }

    async fn prune(&self, before_ms: u64) -> Result<u64, StoreError> {
        // Every stored `at_ms` is at most i64::MAX, so a larger cutoff means
        // "everything", which i64::MAX says just as well.
        let before_ms = i64::try_from(before_ms).unwrap_or(i64::MAX);
        let mut deleted = 0;
        loop {
            let result = sqlx::query(DELETE_OLDER_THAN)
                .bind(before_ms)
                .bind(ROWS_PER_PRUNE)
                .execute(&self.pool)
                .await
                .map_err(query_failed("pruning old room messages"))?;
            deleted += result.rows_affected();
            if result.rows_affected() < ROWS_PER_PRUNE.unsigned_abs() {
                return Ok(deleted);
            }
        }
    }

    async fn max_message_id(&self) -> Result<Option<u64>, StoreError> {
        let max_id: Option<i64> = sqlx::query_scalar(SELECT_MAX_ID)
            .fetch_one(&self.pool)
            .await
            .map_err(query_failed("reading the highest message id"))?;
        max_id.map(|id| stored_u64("id", id)).transpose()
    }
}

/// A [`StoredMessage`] converted to the database's types, borrowing its text.
struct MessageRow<'a> {
    id: i64,
    band: &'a str,
    room: &'a str,
    author_id: i64,
    author_nick: &'a str,
    body: &'a str,
    at_ms: i64,
    reply_to: Option<i64>,
    mentions: String,
}

impl<'a> MessageRow<'a> {
    fn new(message: &'a StoredMessage) -> Result<Self, StoreError> {
        Ok(MessageRow {
            id: to_i64("id", message.id)?,
            band: &message.band,
            room: &message.room,
            author_id: to_i64("author_id", message.author_id)?,
            author_nick: &message.author_nick,
            body: &message.body,
            at_ms: to_i64("at_ms", message.at_ms)?,
            reply_to: optional_i64("reply_to", message.reply_to)?,
            mentions: encode_mentions(&message.mentions)?,
        })
    }
}

/// Reads one `room_messages` row selected with the columns in table order.
fn read_message(row: &SqliteRow) -> Result<StoredMessage, StoreError> {
    let columns = Columns::of(row, "decoding a room message");
    Ok(StoredMessage {
        id: columns.unsigned("id")?,
        band: columns.get("band")?,
        room: columns.get("room")?,
        author_id: columns.unsigned("author_id")?,
        author_nick: columns.get("author_nick")?,
        body: columns.get("body")?,
        at_ms: columns.unsigned("at_ms")?,
        reply_to: columns.optional_unsigned("reply_to")?,
        mentions: decode_mentions(&columns.get::<String>("mentions")?)?,
    })
}

/// Mentioned ids as stored: decimal, comma-separated, `""` for none.
fn encode_mentions(mentions: &[u64]) -> Result<String, StoreError> {
    let mut encoded = String::new();
    for &id in mentions {
        // Checked like every other id, so the column stays readable by a
        // PostgreSQL driver that parses it into BIGINTs.
        to_i64("mentions", id)?;
        if !encoded.is_empty() {
            encoded.push(',');
        }
        encoded.push_str(&id.to_string());
    }
    Ok(encoded)
}

/// The inverse of [`encode_mentions`].
fn decode_mentions(encoded: &str) -> Result<Vec<u64>, StoreError> {
    if encoded.is_empty() {
        return Ok(Vec::new());
    }
    encoded
        .split(',')
        .map(|id| {
            id.parse().map_err(|_| StoreError::Corrupt {
                field: "mentions",
                value: encoded.to_owned(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    //! How this driver cuts batches into statements and prunes in slices;
    //! what every driver must do is in `crate::conformance::history`.

    use super::*;
    use crate::conformance::history::{ids, message};
    use crate::sqlite::rows_per_insert;

    #[tokio::test]
    async fn append_spans_several_insert_statements() {
        let (_dir, store) = SqliteStore::temporary().await;
        let count = rows_per_insert(COLUMNS_PER_ROW) as u64 * 3 + 5;
        let messages: Vec<_> = (1..=count)
            .map(|id| message(id, "adult", "lobby", id))
            .collect();
        store.append(&messages).await.unwrap();
        let stored = store.recent("adult", "lobby", u32::MAX).await.unwrap();
        assert_eq!(stored, messages);
        assert_eq!(store.max_message_id().await.unwrap(), Some(count));
        store.close().await;
    }

    #[tokio::test]
    async fn a_failing_batch_is_rolled_back_whole() {
        let (_dir, store) = SqliteStore::temporary().await;
        store
            .append(&[message(5, "teen", "lobby", 5)])
            .await
            .unwrap();
        // Ids 6..=300 span three statements; the duplicate id 5 fails the
        // last one, after the first two have inserted their rows.
        let mut batch: Vec<_> = (6..=300)
            .map(|id| message(id, "teen", "lobby", id))
            .collect();
        batch.push(message(5, "teen", "lobby", 5));
        let error = store.append(&batch).await.unwrap_err();
        assert!(matches!(error, StoreError::Query { .. }), "{error:?}");
        assert_eq!(
            ids(&store.recent("teen", "lobby", 1000).await.unwrap()),
            [5]
        );
        store.close().await;
    }

    #[tokio::test]
    async fn prune_deletes_more_than_one_slice() {
        let (_dir, store) = SqliteStore::temporary().await;
        let old = ROWS_PER_PRUNE.unsigned_abs() * 2 + 3;
        let messages: Vec<_> = (1..=old + 2)
            .map(|id| message(id, "teen", "lobby", id))
            .collect();
        store.append(&messages).await.unwrap();
        assert_eq!(store.prune(old + 1).await.unwrap(), old);
        assert_eq!(
            ids(&store.recent("teen", "lobby", 10).await.unwrap()),
            [old + 1, old + 2]
        );
        store.close().await;
    }

    #[test]
    fn unreadable_mentions_are_corrupt() {
        assert_eq!(decode_mentions("").unwrap(), Vec::<u64>::new());
        assert_eq!(decode_mentions("1,22").unwrap(), [1, 22]);
        assert!(matches!(
            decode_mentions("1,,2"),
            Err(StoreError::Corrupt {
                field: "mentions",
                ..
            })
        ));
    }
}
