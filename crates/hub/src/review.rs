//! The review queue: what the safety decision held (not delivered) or
//! flagged (delivered, to be looked at), with the evidence a moderator
//! needs — the text, who said it where and when, and the messages around
//! it. Kept in memory, newest last and bounded, and written to the
//! database (a `ReviewStore`) by a writer task of its own, so the hub
//! never waits and a restart loses nothing recorded. The moderator console
//! will read and decide from here.

use std::collections::VecDeque;
use std::sync::Arc;

use tchatche_protocol::{Author, Band, MessageId};
use tchatche_store::{ReviewStore, StoredContextLine, StoredReview};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Items kept in memory; older ones stay in the database.
const MAX_KEPT: usize = 10_000;

/// Why an item is in the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Not delivered: waits for a moderator's decision.
    Held,
    /// Delivered: a moderator should look.
    Flagged,
}

impl Verdict {
    /// The name the store knows it by.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Held => "held",
            Verdict::Flagged => "flagged",
        }
    }
}

/// One message around a held or flagged text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Context {
    pub message: MessageId,
    pub author: Author,
    pub text: String,
    pub at: u64,
}

/// A held or flagged text and its evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Item {
    /// The id the text has (or would have had) as a message; the review's
    /// id too.
    pub message: MessageId,
    pub verdict: Verdict,
    /// What kind of speech (`room_message`, `dm`, `topic`…).
    pub speech: &'static str,
    pub band: Band,
    /// The room's slug, or empty.
    pub place: String,
    pub author: Author,
    pub text: String,
    /// When it was said, in milliseconds since the Unix epoch.
    pub at: u64,
    /// The messages before it, oldest first.
    pub context: Vec<Context>,
}

impl Item {
    /// The item as the store keeps it.
    fn stored(&self) -> StoredReview {
        StoredReview {
            id: self.message.0,
            verdict: self.verdict.as_str().to_owned(),
            speech: self.speech.to_owned(),
            band: self.band.as_str().to_owned(),
            place: self.place.clone(),
            author_id: self.author.id.0,
            author_nick: self.author.nick.clone(),
            text: self.text.clone(),
            rule: String::new(),
            at_ms: self.at,
            context: self
                .context
                .iter()
                .map(|line| StoredContextLine {
                    message_id: line.message.0,
                    author_id: line.author.id.0,
                    author_nick: line.author.nick.clone(),
                    text: line.text.clone(),
                    at_ms: line.at,
                })
                .collect(),
            decided_at_ms: None,
            decision: None,
        }
    }
}

/// Held and flagged texts waiting for moderators.
#[derive(Default)]
pub(crate) struct ReviewQueue {
    items: VecDeque<Item>,
    /// The writer task's queue; `None` without a store.
    writer: Option<mpsc::UnboundedSender<StoredReview>>,
    writer_task: Option<JoinHandle<()>>,
}

impl ReviewQueue {
    /// A queue that writes to `store`, if there is one.
    pub fn new(store: Option<Arc<dyn ReviewStore>>) -> ReviewQueue {
        let Some(store) = store else {
            return ReviewQueue::default();
        };
        let (writer, receiver) = mpsc::unbounded_channel();
        ReviewQueue {
            items: VecDeque::new(),
            writer: Some(writer),
            writer_task: Some(tokio::spawn(write_reviews(receiver, store))),
        }
    }

    /// Adds an item, and has it written; the oldest one in memory goes
    /// beyond [`MAX_KEPT`].
    pub fn record(&mut self, item: Item) {
        if let Some(writer) = &self.writer {
            // The task ends only when this sender is dropped.
            let _ = writer.send(item.stored());
        }
        if self.items.len() >= MAX_KEPT {
            self.items.pop_front();
        }
        self.items.push_back(item);
    }

    /// The items waiting, oldest first (what the moderator console will
    /// read; today the tests do).
    #[cfg(test)]
    pub fn waiting(&self) -> impl Iterator<Item = &Item> {
        self.items.iter()
    }

    /// Stops the writer once it has written everything queued; the hub
    /// awaits this at shutdown.
    pub fn close_writer(&mut self) -> Option<JoinHandle<()>> {
        self.writer = None;
        self.writer_task.take()
    }
}

/// The review writer: records each item, in order; a failure is logged
/// (the item stays in memory for this run).
async fn write_reviews(
    mut receiver: mpsc::UnboundedReceiver<StoredReview>,
    store: Arc<dyn ReviewStore>,
) {
    while let Some(review) = receiver.recv().await {
        if let Err(error) = store.record_review(&review).await {
            tracing::error!(error = %error, id = review.id, "recording a review item failed");
        }
    }
}
