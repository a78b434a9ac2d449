//! The review queue: what the safety decision held (not delivered) or
//! flagged (delivered, to be looked at), with the evidence a moderator
//! needs — the text, who said it where and when, and the messages around
//! it. Kept in memory, newest last and bounded. The moderator console will
//! read and decide from here.

use std::collections::VecDeque;

use tchatche_protocol::{Author, Band, MessageId};

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
    /// The id the text has (or would have had) as a message.
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

/// Held and flagged texts waiting for moderators.
#[derive(Default)]
pub(crate) struct ReviewQueue {
    items: VecDeque<Item>,
}

impl ReviewQueue {
    /// Adds an item; the oldest one in memory goes beyond [`MAX_KEPT`].
    pub fn record(&mut self, item: Item) {
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
}
