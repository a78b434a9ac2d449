//! Writing history off the message path: [`HistoryWriter`] queues room
//! messages without ever waiting, one task ([`WriterTask`]) writes them in
//! batches of one transaction each (group commit: whatever queued while
//! the last batch was written goes in the next), reporting each batch in
//! order on [`Receipts`], and [`spawn_pruner`] deletes what is older than
//! the retention period.
//!
//! Concurrency rules: the hub holds [`HistoryWriter`] handles and only ever
//! calls the non-blocking [`HistoryWriter::push`]; the writer task alone
//! awaits the store for appends. The hub tells an author their message is
//! stored only when its batch's receipt comes back, and counts what is in
//! flight so that it never pushes into a full queue: when the database
//! falls behind, authors are slowed down, and nothing is dropped.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use crate::{HistoryStore, StoreError, StoredMessage};

/// Shortest pause between two "queue full" warnings, so a flood of drops
/// costs one log line per second instead of one per message.
const DROP_WARNING_EVERY: Duration = Duration::from_secs(1);

/// Shortest period [`spawn_pruner`] accepts; shorter (or zero) is raised to it.
pub const MIN_PRUNE_PERIOD: Duration = Duration::from_secs(1);

const MS_PER_DAY: u64 = 24 * 60 * 60 * 1000;

/// Sizes of the history writer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriterConfig {
    /// Messages waiting to be written before [`HistoryWriter::push`] starts
    /// dropping them. At least 1. Default 65536: several seconds of a busy
    /// server, so only a stalled database ever fills it.
    pub queue: usize,
    /// Most messages written in one transaction. At least 1. Default 1000.
    pub max_batch: usize,
}

impl Default for WriterConfig {
    fn default() -> Self {
        WriterConfig {
            queue: 65_536,
            max_batch: 1000,
        }
    }
}

/// Why [`HistoryWriter::push`] did not queue a message. Either way the
/// message is missing from history and counted in [`HistoryWriter::dropped`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Dropped {
    /// The queue is full: the database is not keeping up.
    #[error("history queue is full, message not stored")]
    QueueFull,
    /// The writer task has ended (it panicked): nothing will be stored.
    #[error("history writer has stopped, message not stored")]
    WriterStopped,
}

/// The hub's handle on the history writer: queues messages for storage
/// without waiting. Cheap to clone; the writer task ends once every clone
/// is dropped and the queue is written out.
#[derive(Clone, Debug)]
pub struct HistoryWriter {
    sender: mpsc::Sender<StoredMessage>,
    stats: Arc<WriterStats>,
}

/// The task writing queued messages, returned by [`HistoryWriter::spawn`]
/// to whoever shuts the server down.
#[derive(Debug)]
pub struct WriterTask {
    handle: JoinHandle<u64>,
    stats: Arc<WriterStats>,
}

/// What the writer says of one batch, once it is written (or failed).
/// Batches are reported in the order their messages were pushed, so the
/// pusher knows which messages a receipt covers: the next `messages` ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// How many messages the batch held.
    pub messages: usize,
    /// Whether they are stored (committed); false: the append failed and
    /// they are not.
    pub stored: bool,
}

/// The writer's receipts, one per batch, in order. Ends when the writer
/// task ends.
#[derive(Debug)]
pub struct Receipts(mpsc::UnboundedReceiver<Receipt>);

impl Receipts {
    /// The next receipt; `None` once the writer has ended.
    pub async fn next(&mut self) -> Option<Receipt> {
        self.0.recv().await
    }
}

impl HistoryWriter {
    /// Starts the writer task on the current tokio runtime.
    ///
    /// The task waits for a message, takes whatever else is already queued
    /// (up to `config.max_batch` in all), stores it with one
    /// [`HistoryStore::append`] and reports it on the returned [`Receipts`]
    /// (dropping them is fine: nobody is told). A failed append is logged
    /// and its messages counted in [`HistoryWriter::failed`]; the task
    /// carries on.
    ///
    /// # Panics
    ///
    /// When called outside a tokio runtime.
    pub fn spawn(
        store: Arc<dyn HistoryStore>,
        config: WriterConfig,
    ) -> (HistoryWriter, WriterTask, Receipts) {
        let queue = config.queue.max(1);
        let (sender, receiver) = mpsc::channel(queue);
        let (receipts, receipts_out) = mpsc::unbounded_channel();
        let stats = Arc::new(WriterStats::new());
        let handle = tokio::spawn(write_batches(
            store,
            receiver,
            config.max_batch.max(1),
            Arc::clone(&stats),
            receipts,
        ));
        (
            HistoryWriter {
                sender,
                stats: Arc::clone(&stats),
            },
            WriterTask { handle, stats },
            Receipts(receipts_out),
        )
    }

    /// Messages the queue holds at most: a pusher that keeps fewer than
    /// this in flight (pushed, no receipt yet) never finds it full.
    pub fn capacity(&self) -> usize {
        self.sender.max_capacity()
    }

    /// Queues a message for storage; never waits.
    pub fn push(&self, message: StoredMessage) -> Result<(), Dropped> {
        let dropped = match self.sender.try_send(message) {
            Ok(()) => return Ok(()),
            Err(TrySendError::Full(_)) => Dropped::QueueFull,
            Err(TrySendError::Closed(_)) => Dropped::WriterStopped,
        };
        self.stats.record_drop(dropped);
        Err(dropped)
    }

    /// Messages refused by [`push`](Self::push) so far.
    pub fn dropped(&self) -> u64 {
        self.stats.dropped.load(Ordering::Relaxed)
    }

    /// Messages stored so far.
    pub fn written(&self) -> u64 {
        self.stats.written.load(Ordering::Relaxed)
    }

    /// Messages lost because the store failed to append their batch.
    pub fn failed(&self) -> u64 {
        self.stats.failed.load(Ordering::Relaxed)
    }
}

impl WriterTask {
    /// Waits for the task to write everything queued and end, which happens
    /// once every [`HistoryWriter`] handle is dropped; returns how many
    /// messages it stored in all.
    ///
    /// Drop every handle first: while one lives, this waits forever. Fails
    /// only if the task panicked (or was cancelled by a runtime shutdown).
    pub async fn finish(self) -> Result<u64, StoreError> {
        self.handle.await.map_err(StoreError::WriterTask)
    }

    /// Messages refused by [`HistoryWriter::push`] so far.
    pub fn dropped(&self) -> u64 {
        self.stats.dropped.load(Ordering::Relaxed)
    }

    /// Messages stored so far.
    pub fn written(&self) -> u64 {
        self.stats.written.load(Ordering::Relaxed)
    }

    /// Messages lost because the store failed to append their batch.
    pub fn failed(&self) -> u64 {
        self.stats.failed.load(Ordering::Relaxed)
    }
}

/// Starts a task that deletes room messages older than `retention_days`
/// days, once right away and then every `every` (at least
/// [`MIN_PRUNE_PERIOD`]). Errors are logged and retried at the next period.
/// The task runs until aborted through the returned handle.
///
/// Ages are measured on the wall clock, like `at_ms`; `retention_days = 0`
/// deletes everything sent before now.
///
/// # Panics
///
/// When called outside a tokio runtime.
pub fn spawn_pruner(
    store: Arc<dyn HistoryStore>,
    retention_days: u32,
    every: Duration,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every.max(MIN_PRUNE_PERIOD));
        // After a long prune or a suspended machine, wait a full period
        // rather than pruning several times in a row.
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            // The first tick completes at once: prune at startup.
            ticks.tick().await;
            let before_ms = retention_cutoff_ms(SystemTime::now(), retention_days);
            match store.prune(before_ms).await {
                Ok(deleted) => {
                    tracing::debug!(deleted, retention_days, "pruned room history");
                }
                Err(error) => {
                    tracing::error!(
                        error = %error_chain(&error),
                        "pruning room history failed; retrying next period"
                    );
                }
            }
        }
    })
}

/// The `at_ms` before which messages are older than `retention_days`.
fn retention_cutoff_ms(now: SystemTime, retention_days: u32) -> u64 {
    // A clock before 1970 is broken; a cutoff of 0 then prunes nothing.
    let now_ms = now
        .duration_since(UNIX_EPOCH)
        .map(|since_epoch| u64::try_from(since_epoch.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0);
    now_ms.saturating_sub(u64::from(retention_days).saturating_mul(MS_PER_DAY))
}

/// The writer task's loop; returns how many messages it stored.
async fn write_batches(
    store: Arc<dyn HistoryStore>,
    mut receiver: mpsc::Receiver<StoredMessage>,
    max_batch: usize,
    stats: Arc<WriterStats>,
    receipts: mpsc::UnboundedSender<Receipt>,
) -> u64 {
    let mut batch = Vec::with_capacity(max_batch);
    let mut written = 0;
    // Waits for one message, then takes what else is queued, up to
    // max_batch. Returns 0 only once every sender is gone and the queue is
    // empty: that is the shutdown.
    while receiver.recv_many(&mut batch, max_batch).await > 0 {
        let count = u64::try_from(batch.len()).unwrap_or(u64::MAX);
        let stored = match store.append(&batch).await {
            Ok(()) => {
                written += count;
                stats.written.fetch_add(count, Ordering::Relaxed);
                true
            }
            Err(error) => {
                stats.failed.fetch_add(count, Ordering::Relaxed);
                tracing::error!(
                    error = %error_chain(&error),
                    lost = count,
                    "storing room history failed; these messages are lost"
                );
                false
            }
        };
        // Nobody listening (a test, a hub gone) is fine.
        let _ = receipts.send(Receipt {
            messages: batch.len(),
            stored,
        });
        batch.clear();
    }
    written
}

/// An error and its sources, one line, for logs.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut chain = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    chain
}

/// Counters shared by the handles and the task.
#[derive(Debug)]
struct WriterStats {
    written: AtomicU64,
    dropped: AtomicU64,
    failed: AtomicU64,
    /// Origin of the millisecond clock below.
    started: Instant,
    /// Milliseconds after `started` before which no drop warning is logged.
    next_drop_warning_ms: AtomicU64,
}

impl WriterStats {
    fn new() -> Self {
        WriterStats {
            written: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            started: Instant::now(),
            next_drop_warning_ms: AtomicU64::new(0),
        }
    }

    /// Counts a dropped message and warns, at most once per
    /// [`DROP_WARNING_EVERY`] across all handles.
    fn record_drop(&self, reason: Dropped) {
        let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
        let now_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let next_ms = self.next_drop_warning_ms.load(Ordering::Relaxed);
        if now_ms < next_ms {
            return;
        }
        let pause_ms = u64::try_from(DROP_WARNING_EVERY.as_millis()).unwrap_or(u64::MAX);
        // Only the handle that moves the deadline logs, so concurrent drops
        // produce one line.
        if self
            .next_drop_warning_ms
            .compare_exchange(
                next_ms,
                now_ms.saturating_add(pause_ms),
                Ordering::Relaxed,
                Ordering::Relaxed,
            )
            .is_ok()
        {
            tracing::warn!(
                dropped_in_all = dropped,
                "room history not stored: {reason}"
            );
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::sync::Mutex;

    use async_trait::async_trait;

    use super::*;
    use crate::SqliteStore;

    fn message(id: u64) -> StoredMessage {
        StoredMessage {
            id,
            band: "teen".to_owned(),
            room: "lobby".to_owned(),
            author_id: 7,
            author_nick: "alice".to_owned(),
            body: format!("message {id}"),
            at_ms: id,
            reply_to: None,
            mentions: Vec::new(),
        }
    }

    /// What [`ObservedStore`] saw.
    #[derive(Debug, PartialEq, Eq)]
    enum Call {
        Append { len: usize, ok: bool },
        Prune { before_ms: u64 },
    }

    /// A real SQLite store that reports every call on a channel, and can be
    /// told to fail its next append.
    struct ObservedStore {
        inner: SqliteStore,
        calls: mpsc::UnboundedSender<Call>,
        fail_next_append: Mutex<bool>,
    }

    impl ObservedStore {
        fn new(inner: SqliteStore) -> (Arc<Self>, mpsc::UnboundedReceiver<Call>) {
            let (calls, receiver) = mpsc::unbounded_channel();
            let store = Arc::new(ObservedStore {
                inner,
                calls,
                fail_next_append: Mutex::new(false),
            });
            (store, receiver)
        }
    }

    #[async_trait]
    impl HistoryStore for ObservedStore {
        async fn append(&self, messages: &[StoredMessage]) -> Result<(), StoreError> {
            let fail = std::mem::take(&mut *self.fail_next_append.lock().unwrap());
            let result = if fail {
                Err(StoreError::Query {
                    operation: "appending room messages",
                    source: sqlx::Error::PoolClosed,
                })
            } else {
                self.inner.append(messages).await
            };
            let call = Call::Append {
                len: messages.len(),
                ok: result.is_ok(),
            };
            self.calls.send(call).unwrap();
            result
        }

        async fn recent(
            &self,
            band: &str,
            room: &str,
            limit: u32,
        ) -> Result<Vec<StoredMessage>, StoreError> {
            self.inner.recent(band, room, limit).await
        }

        async fn prune(&self, before_ms: u64) -> Result<u64, StoreError> {
            let result = self.inner.prune(before_ms).await;
            self.calls.send(Call::Prune { before_ms }).unwrap();
            result
        }

        async fn max_message_id(&self) -> Result<Option<u64>, StoreError> {
            self.inner.max_message_id().await
        }
    }

    /// A store whose append panics, to stand for a bug in a driver.
    struct PanickingStore;

    #[async_trait]
    impl HistoryStore for PanickingStore {
        async fn append(&self, _: &[StoredMessage]) -> Result<(), StoreError> {
            panic!("append exploded (on purpose, in a test)");
        }
        async fn recent(&self, _: &str, _: &str, _: u32) -> Result<Vec<StoredMessage>, StoreError> {
            Ok(Vec::new())
        }
        async fn prune(&self, _: u64) -> Result<u64, StoreError> {
            Ok(0)
        }
        async fn max_message_id(&self) -> Result<Option<u64>, StoreError> {
            Ok(None)
        }
    }

    /// The next call, or a failure after a generous delay instead of a hang.
    async fn next_call(calls: &mut mpsc::UnboundedReceiver<Call>) -> Call {
        tokio::time::timeout(Duration::from_secs(30), calls.recv())
            .await
            .expect("no store call within 30 s")
            .expect("store dropped")
    }

    fn calls_so_far(calls: &mut mpsc::UnboundedReceiver<Call>) -> Vec<Call> {
        std::iter::from_fn(|| calls.try_recv().ok()).collect()
    }

    // `#[tokio::test]` runs on a current-thread runtime: the writer task
    // cannot run until the test awaits, so everything pushed before the
    // first await is queued before the first batch is taken.

    #[tokio::test]
    async fn writes_in_batches_and_flushes_on_shutdown() {
        let dir = tempfile::tempdir().unwrap();
        let (store, mut calls) = ObservedStore::new(SqliteStore::open(dir.path()).await.unwrap());
        let (writer, task, _receipts) =
            HistoryWriter::spawn(store.clone(), WriterConfig::default());
        for id in 1..=5000 {
            writer.push(message(id)).unwrap();
        }
        drop(writer);
        assert_eq!(task.finish().await.unwrap(), 5000);

        let appends = calls_so_far(&mut calls);
        assert_eq!(
            appends,
            (0..5)
                .map(|_| Call::Append {
                    len: 1000,
                    ok: true
                })
                .collect::<Vec<_>>()
        );
        let stored = store.recent("teen", "lobby", 10_000).await.unwrap();
        assert_eq!(stored.len(), 5000);
        assert!(stored.iter().map(|message| message.id).eq(1..=5000));
    }

    #[tokio::test]
    async fn a_full_queue_drops_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open(dir.path()).await.unwrap());
        let config = WriterConfig {
            queue: 4,
            max_batch: 1000,
        };
        let (writer, task, _receipts) = HistoryWriter::spawn(store.clone(), config);
        let results: Vec<_> = (1..=10).map(|id| writer.push(message(id))).collect();

        assert_eq!(results[..4], [Ok(()); 4]);
        assert_eq!(results[4..], [Err(Dropped::QueueFull); 6]);
        assert_eq!(writer.dropped(), 6);
        drop(writer);
        assert_eq!(task.finish().await.unwrap(), 4);
        let stored = store.recent("teen", "lobby", 100).await.unwrap();
        assert!(stored.iter().map(|message| message.id).eq(1..=4));
    }

    #[tokio::test]
    async fn a_failed_batch_is_counted_and_the_writer_carries_on() {
        let dir = tempfile::tempdir().unwrap();
        let (store, mut calls) = ObservedStore::new(SqliteStore::open(dir.path()).await.unwrap());
        *store.fail_next_append.lock().unwrap() = true;
        let (writer, task, mut receipts) =
            HistoryWriter::spawn(store.clone(), WriterConfig::default());
        for id in 1..=3 {
            writer.push(message(id)).unwrap();
        }
        assert_eq!(
            next_call(&mut calls).await,
            Call::Append { len: 3, ok: false }
        );

        writer.push(message(4)).unwrap();
        writer.push(message(5)).unwrap();
        assert_eq!(
            next_call(&mut calls).await,
            Call::Append { len: 2, ok: true }
        );
        // The failure was counted before the task went on to the next batch.
        assert_eq!(writer.failed(), 3);
        // Each batch was reported, in order, saying whether it was stored.
        assert_eq!(
            receipts.next().await,
            Some(Receipt {
                messages: 3,
                stored: false
            })
        );
        assert_eq!(
            receipts.next().await,
            Some(Receipt {
                messages: 2,
                stored: true
            })
        );
        drop(writer);
        assert_eq!(task.finish().await.unwrap(), 2);
        let stored = store.recent("teen", "lobby", 100).await.unwrap();
        assert!(stored.iter().map(|message| message.id).eq(4..=5));
    }

    #[tokio::test]
    async fn a_panicked_writer_is_reported_by_finish_and_push() {
        let (writer, task, _receipts) =
            HistoryWriter::spawn(Arc::new(PanickingStore), WriterConfig::default());
        writer.push(message(1)).unwrap();
        // The handle still lives, but the task is over: finish does not wait.
        let error = task.finish().await.unwrap_err();
        assert!(matches!(error, StoreError::WriterTask(_)), "{error:?}");
        assert_eq!(writer.push(message(2)), Err(Dropped::WriterStopped));
        assert_eq!(writer.dropped(), 1);
    }

    #[tokio::test]
    async fn pruner_prunes_at_start_with_the_retention_cutoff() {
        let dir = tempfile::tempdir().unwrap();
        let (store, mut calls) = ObservedStore::new(SqliteStore::open(dir.path()).await.unwrap());
        let now = retention_cutoff_ms(SystemTime::now(), 0);
        let ten_days_ago = now - 10 * MS_PER_DAY;
        let mut old = message(1);
        old.at_ms = ten_days_ago;
        let mut new = message(2);
        new.at_ms = now;
        store.append(&[old, new]).await.unwrap();
        calls_so_far(&mut calls);

        let pruner = spawn_pruner(store.clone(), 7, Duration::from_secs(3600));
        let Call::Prune { before_ms } = next_call(&mut calls).await else {
            panic!("expected a prune");
        };
        pruner.abort();

        let seven_days_ago = now - 7 * MS_PER_DAY;
        assert!(
            before_ms >= seven_days_ago && before_ms < seven_days_ago + MS_PER_DAY,
            "{before_ms}"
        );
        let stored = store.recent("teen", "lobby", 10).await.unwrap();
        assert!(stored.iter().map(|message| message.id).eq([2]));
    }

    #[tokio::test(start_paused = true)]
    async fn pruner_prunes_every_period() {
        /// Counts prunes; no database, so paused time only ever waits on
        /// the pruner's own interval.
        struct PruneCounter(mpsc::UnboundedSender<tokio::time::Instant>);

        #[async_trait]
        impl HistoryStore for PruneCounter {
            async fn append(&self, _: &[StoredMessage]) -> Result<(), StoreError> {
                Ok(())
            }
            async fn recent(
                &self,
                _: &str,
                _: &str,
                _: u32,
            ) -> Result<Vec<StoredMessage>, StoreError> {
                Ok(Vec::new())
            }
            async fn prune(&self, _: u64) -> Result<u64, StoreError> {
                self.0.send(tokio::time::Instant::now()).unwrap();
                Ok(0)
            }
            async fn max_message_id(&self) -> Result<Option<u64>, StoreError> {
                Ok(None)
            }
        }

        let (prunes, mut pruned_at) = mpsc::unbounded_channel();
        let start = tokio::time::Instant::now();
        let pruner = spawn_pruner(Arc::new(PruneCounter(prunes)), 30, Duration::from_secs(60));
        for period in 0..3 {
            let at = pruned_at.recv().await.unwrap();
            assert_eq!(at - start, Duration::from_secs(60 * period));
        }
        pruner.abort();
    }

    #[test]
    fn retention_cutoff_counts_whole_days_back() {
        let now = UNIX_EPOCH + Duration::from_millis(100 * MS_PER_DAY + 5);
        assert_eq!(retention_cutoff_ms(now, 30), 70 * MS_PER_DAY + 5);
        assert_eq!(retention_cutoff_ms(now, 0), 100 * MS_PER_DAY + 5);
        assert_eq!(retention_cutoff_ms(now, u32::MAX), 0);
        assert_eq!(
            retention_cutoff_ms(UNIX_EPOCH - Duration::from_secs(1), 1),
            0
        );
    }
}
