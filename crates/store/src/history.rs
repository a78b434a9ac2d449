//! Room history: the trait every driver implements.

use async_trait::async_trait;

use crate::StoreError;

/// One room message as stored. Plain data: the store knows nothing of the
/// protocol crate, so a wire change never forces a migration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredMessage {
    /// Message id, unique and increasing with time.
    pub id: u64,
    /// `teen` or `adult`: rooms of the two bands never share history.
    pub band: String,
    /// Room slug within the band.
    pub room: String,
    /// Author's session id.
    pub author_id: u64,
    /// Author's nickname when sent.
    pub author_nick: String,
    /// Text.
    pub body: String,
    /// Milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// The message replied to, if any.
    pub reply_to: Option<u64>,
    /// Session ids named with @, if any.
    pub mentions: Vec<u64>,
}

/// Room history storage.
#[async_trait]
pub trait HistoryStore: Send + Sync + 'static {
    /// Stores messages in one transaction: all or none.
    async fn append(&self, messages: &[StoredMessage]) -> Result<(), StoreError>;
    /// The `limit` most recent messages of a room, oldest first.
    async fn recent(
        &self,
        band: &str,
        room: &str,
        limit: u32,
    ) -> Result<Vec<StoredMessage>, StoreError>;
    /// Deletes messages older than `before_ms`; returns how many.
    async fn prune(&self, before_ms: u64) -> Result<u64, StoreError>;
    /// The highest message id stored, so ids keep increasing across restarts.
    async fn max_message_id(&self) -> Result<Option<u64>, StoreError>;
}
