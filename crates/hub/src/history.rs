//! Room history on its way to the store: which author waits to hear that
//! their message is stored, and who is slowed down while the writer is
//! full.
//!
//! `sent` means stored. A message to a room with stored history is
//! delivered to the room at once and pushed to the history writer; its
//! author's `sent` waits for the receipt of the batch that holds it (group
//! commit: one transaction for everything that queued meanwhile), so an
//! acknowledged message survives a crash. The hub counts the messages in
//! flight and never pushes more than the writer's queue holds: when the
//! database falls behind, the next message to such a room waits, with
//! everything its session sent after it, until there is room again. Nothing
//! is dropped and nobody else waits.

use std::collections::VecDeque;

use tchatche_protocol::{ErrorCode, Event, MessageId, UserId};
use tchatche_store::{HistoryWriter, Receipt, Receipts, StoredMessage};

use crate::state::refuse;

/// An author waiting for their message's receipt.
struct Unacknowledged {
    author: UserId,
    req: Option<u32>,
    id: MessageId,
}

/// The hub's side of the history writer.
pub(crate) struct HistoryWrites {
    writer: Option<HistoryWriter>,
    /// Taken by the hub loop, which waits on it.
    receipts: Option<Receipts>,
    /// Messages pushed and not reported yet, oldest first. The writer
    /// reports batches in push order, so a receipt for `n` messages is for
    /// the first `n` here.
    in_flight: VecDeque<Unacknowledged>,
    /// Most messages in flight: the writer's queue.
    capacity: usize,
    /// Sessions whose next request is a message waiting for room, first
    /// come first served.
    stalled: VecDeque<UserId>,
}

impl HistoryWrites {
    /// The writes through `writer`, reported on `receipts`. Without a
    /// writer nothing is stored and `sent` goes out at once.
    pub fn new(writer: Option<HistoryWriter>, receipts: Option<Receipts>) -> HistoryWrites {
        let capacity = writer.as_ref().map_or(usize::MAX, HistoryWriter::capacity);
        HistoryWrites {
            writer,
            receipts,
            in_flight: VecDeque::new(),
            capacity,
            stalled: VecDeque::new(),
        }
    }

    /// Whether a message pushed now would not fit in the writer's queue.
    pub fn is_full(&self) -> bool {
        self.writer.is_some() && self.in_flight.len() >= self.capacity
    }

    /// Stores `message` and notes that `author` is told when it is: the
    /// event to send now if nothing will be waited for (no store, or a
    /// writer that stopped).
    pub fn store(
        &mut self,
        message: StoredMessage,
        author: UserId,
        req: Option<u32>,
    ) -> Option<Event> {
        let id = MessageId(message.id);
        let Some(writer) = &self.writer else {
            return Some(Event::Sent { req, id });
        };
        match writer.push(message) {
            Ok(()) => {
                self.in_flight.push_back(Unacknowledged { author, req, id });
                None
            }
            // The writer task is gone (it logged why): delivered, not kept.
            Err(_) => Some(not_stored(req)),
        }
    }

    /// The authors a receipt answers, each with what to tell them.
    pub fn on_receipt(&mut self, receipt: Receipt) -> Vec<(UserId, Event)> {
        let count = receipt.messages.min(self.in_flight.len());
        self.in_flight
            .drain(..count)
            .map(|waiting| {
                let event = if receipt.stored {
                    Event::Sent {
                        req: waiting.req,
                        id: waiting.id,
                    }
                } else {
                    not_stored(waiting.req)
                };
                (waiting.author, event)
            })
            .collect()
    }

    /// The receipts, for the hub loop to wait on.
    pub fn take_receipts(&mut self) -> Option<Receipts> {
        self.receipts.take()
    }

    /// Notes that `id` waits for room in the writer's queue.
    pub fn stall(&mut self, id: UserId) {
        self.stalled.push_back(id);
    }

    /// The next session to resume, while there is room.
    pub fn next_to_resume(&mut self) -> Option<UserId> {
        if self.is_full() {
            return None;
        }
        self.stalled.pop_front()
    }

    /// Lets the writer finish: every handle gone, it writes what is queued
    /// and ends, and its last receipts follow.
    pub fn close(&mut self) {
        self.writer = None;
    }
}

/// What an author hears when their message reached the room but could not
/// be stored.
fn not_stored(req: Option<u32>) -> Event {
    Event::Error(
        refuse(req, ErrorCode::ServerError)
            .with_detail("delivered to the room, but not stored in its history"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(id: u64) -> StoredMessage {
        StoredMessage {
            id,
            band: "adult".to_owned(),
            room: "paris".to_owned(),
            author_id: 1,
            author_nick: "Alice".to_owned(),
            body: "salut".to_owned(),
            at_ms: id,
            reply_to: None,
            mentions: Vec::new(),
        }
    }

    #[test]
    fn without_a_writer_sent_goes_out_at_once() {
        let mut writes = HistoryWrites::new(None, None);
        assert!(!writes.is_full());
        assert_eq!(
            writes.store(message(7), UserId(1), Some(3)),
            Some(Event::Sent {
                req: Some(3),
                id: MessageId(7)
            })
        );
    }

    #[tokio::test]
    async fn receipts_answer_the_authors_in_order_and_the_queue_bounds_what_is_in_flight() {
        use std::sync::Arc;
        let dir = tempfile::tempdir().expect("a temporary folder");
        let store = Arc::new(
            tchatche_store::SqliteStore::open(dir.path())
                .await
                .expect("the store opens"),
        );
        let config = tchatche_store::WriterConfig {
            queue: 2,
            max_batch: 10,
        };
        let (writer, task, receipts) = HistoryWriter::spawn(store, config);
        let mut writes = HistoryWrites::new(Some(writer), Some(receipts));
        let mut receipts = writes.take_receipts().expect("receipts");
        assert_eq!(writes.store(message(1), UserId(10), Some(1)), None);
        assert!(!writes.is_full());
        assert_eq!(writes.store(message(2), UserId(11), Some(2)), None);
        assert!(writes.is_full(), "two in flight fill a queue of two");
        writes.stall(UserId(12));
        assert_eq!(writes.next_to_resume(), None, "no room yet");

        let mut answered = Vec::new();
        while answered.len() < 2 {
            let receipt = receipts.next().await.expect("a receipt");
            answered.extend(writes.on_receipt(receipt));
        }
        assert_eq!(
            answered,
            [
                (
                    UserId(10),
                    Event::Sent {
                        req: Some(1),
                        id: MessageId(1)
                    }
                ),
                (
                    UserId(11),
                    Event::Sent {
                        req: Some(2),
                        id: MessageId(2)
                    }
                ),
            ]
        );
        assert_eq!(writes.next_to_resume(), Some(UserId(12)));
        writes.close();
        assert_eq!(task.finish().await.expect("the writer ends"), 2);
    }

    #[test]
    fn a_failed_batch_tells_its_authors_it_was_not_stored() {
        let mut writes = HistoryWrites::new(None, None);
        writes.in_flight.push_back(Unacknowledged {
            author: UserId(5),
            req: Some(9),
            id: MessageId(4),
        });
        let answered = writes.on_receipt(Receipt {
            messages: 1,
            stored: false,
        });
        assert!(
            matches!(&answered[..], [(UserId(5), Event::Error(error))]
                if error.code == ErrorCode::ServerError && error.req == Some(9)),
            "{answered:?}"
        );
    }
}
