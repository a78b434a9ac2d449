//! Per-connection outbound queues and the shared frames they carry.
//!
//! The hub hands each recipient an [`Outgoing`]: one event behind an `Arc`,
//! encoded at most once per wire format however many connections send it.
//! A connection's queue is bounded; when it is full the connection is told to
//! close as too slow, so a client that stops reading costs a fixed amount of
//! memory, never more.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use std::time::Duration;
use tchatche_protocol::{ErrorCode, Event};

use tokio::io::{AsyncWrite, AsyncWriteExt};

/// The wire formats a frame may be encoded into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WireFormat {
    /// WebSocket JSON text frames.
    Json = 0,
    /// IRC lines with IRCv3 tags.
    Irc = 1,
    /// IRC lines without tags, for clients that did not ask for them.
    IrcPlain = 2,
}

const N_FORMATS: usize = 3;

struct Frame {
    event: Event,
    encodings: [OnceLock<Bytes>; N_FORMATS],
}

/// One event on its way to one or many connections.
#[derive(Clone)]
pub struct Outgoing(Arc<Frame>);

impl Outgoing {
    /// Wraps an event for delivery.
    pub fn new(event: Event) -> Outgoing {
        Outgoing(Arc::new(Frame {
            event,
            encodings: Default::default(),
        }))
    }

    /// The event.
    pub fn event(&self) -> &Event {
        &self.0.event
    }

    /// The event in `format`, encoded by `encode` the first time any
    /// connection asks and shared by all the others.
    pub fn encoded(&self, format: WireFormat, encode: fn(&Event) -> Bytes) -> Bytes {
        self.0.encodings[format as usize]
            .get_or_init(|| encode(&self.0.event))
            .clone()
    }
}

impl std::fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.event.fmt(f)
    }
}

/// The hub's (and the connection's own) side of an outbound queue.
pub struct OutboxSender(Arc<Shared>);

/// One connection's queue, shared by its senders and its receiver.
///
/// A plain mutex around a deque: every operation holds it for a few
/// instructions, the hub and the connection's task are the only ones to
/// take it, and an empty queue owns no allocation. (A tokio channel costs
/// about 900 bytes per connection before the first frame; this costs about
/// 150, which matters with one queue per connection.)
struct Shared {
    state: Mutex<State>,
    /// Most frames queued at once.
    capacity: usize,
}

struct State {
    frames: VecDeque<Outgoing>,
    /// The receiver's waker while it waits for frames.
    waker: Option<Waker>,
    /// The receiver's waker while a socket write waits (see
    /// [`write_unless_too_slow`]): only a close request wakes it.
    close_waker: Option<Waker>,
    /// The first close reason asked for.
    close: Option<ErrorCode>,
    /// A close asked for after the frames already queued ([`OutboxSender::finish`]).
    finish: Option<ErrorCode>,
    /// Senders alive; at zero nothing more can come.
    senders: usize,
    receiver_alive: bool,
    /// The hub's periodic nudge is waiting to be seen ([`Next::Tick`]).
    nudged: bool,
}

impl Shared {
    /// The state, even if a panic elsewhere poisoned the lock: every
    /// operation leaves it consistent before anything can panic.
    fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Why a frame could not be queued.
#[derive(Debug, PartialEq, Eq)]
pub enum QueueError {
    /// The queue is full: the connection is too slow.
    Full,
    /// The connection is gone.
    Closed,
}

impl OutboxSender {
    /// Queues a frame without waiting.
    pub fn push(&self, frame: Outgoing) -> Result<(), QueueError> {
        let waker = {
            let mut state = self.0.state();
            if !state.receiver_alive || state.finish.is_some() {
                return Err(QueueError::Closed);
            }
            if state.frames.len() >= self.0.capacity {
                return Err(QueueError::Full);
            }
            state.frames.push_back(frame);
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }

    /// Wakes the receiver with [`Next::Tick`]: the hub's coarse clock, for
    /// transports that check a keep-alive now and then without a timer of
    /// their own in every connection.
    pub fn nudge(&self) {
        let waker = {
            let mut state = self.0.state();
            state.nudged = true;
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Asks the connection to close with `reason`. The first reason wins.
    pub fn close(&self, reason: ErrorCode) {
        self.ask_to_close(reason, false);
    }

    /// Asks the connection to close with `reason` once it has written the
    /// frames already queued: last words (a sanction's statement of
    /// reasons) that a plain [`OutboxSender::close`] would drop. Frames
    /// queued later are not written. A plain close still wins.
    pub fn finish(&self, reason: ErrorCode) {
        self.ask_to_close(reason, true);
    }

    fn ask_to_close(&self, reason: ErrorCode, after_queued: bool) {
        let wakers = {
            let mut state = self.0.state();
            if state.close.is_some() || (after_queued && state.finish.is_some()) {
                return;
            }
            if after_queued {
                state.finish = Some(reason);
            }
            // Last words wait for the frames before them (see `next`).
            if !after_queued || state.frames.is_empty() {
                state.close = Some(reason);
            }
            [state.waker.take(), state.close_waker.take()]
        };
        for waker in wakers.into_iter().flatten() {
            waker.wake();
        }
    }
}

impl Clone for OutboxSender {
    fn clone(&self) -> OutboxSender {
        self.0.state().senders += 1;
        OutboxSender(Arc::clone(&self.0))
    }
}

impl Drop for OutboxSender {
    fn drop(&mut self) {
        let waker = {
            let mut state = self.0.state();
            state.senders -= 1;
            if state.senders > 0 {
                return;
            }
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// What the writer gets next.
#[derive(Debug)]
pub enum Next {
    /// Frames to write now (at least one).
    Frames,
    /// The connection must close for this reason.
    Close(ErrorCode),
    /// Every sender is gone: nothing more will come.
    Ended,
    /// The hub's periodic nudge (`OutboxSender::nudge`): time to check
    /// a keep-alive.
    Tick,
}

/// The connection writer's side of an outbound queue.
pub struct OutboxReceiver(Arc<Shared>);

impl OutboxReceiver {
    /// Waits for frames or a close request. On [`Next::Frames`], `batch` holds
    /// every frame already queued, up to `max`, so the writer can send them
    /// in one socket write. A close request wins over queued frames.
    /// Cancel safe: nothing is taken from the queue unless it returns.
    /// (A poll function, not an `async fn`: the future is part of every
    /// waiting connection's task, and this one holds only its arguments.)
    pub fn next<'a>(
        &'a mut self,
        batch: &'a mut Vec<Outgoing>,
        max: usize,
    ) -> impl Future<Output = Next> + 'a {
        poll_fn(move |cx| {
            let mut state = self.0.state();
            if let Some(reason) = state.close {
                return Poll::Ready(Next::Close(reason));
            }
            if std::mem::take(&mut state.nudged) {
                return Poll::Ready(Next::Tick);
            }
            if !state.frames.is_empty() {
                let take = state.frames.len().min(max.max(1));
                batch.extend(state.frames.drain(..take));
                // An idle connection keeps no queue allocation.
                if state.frames.is_empty() {
                    state.frames = VecDeque::new();
                    // Last words taken: the close comes next.
                    state.close = state.finish;
                }
                return Poll::Ready(Next::Frames);
            }
            if state.senders == 0 {
                return Poll::Ready(Next::Ended);
            }
            match &mut state.waker {
                Some(waker) if waker.will_wake(cx.waker()) => {}
                slot => *slot = Some(cx.waker().clone()),
            }
            Poll::Pending
        })
    }

    /// The close reason once a close is requested; until then `cx` is woken
    /// by the request. When every sender is gone without asking, this stays
    /// pending: the queue's end says it instead.
    fn poll_close(&self, cx: &mut Context<'_>) -> Poll<ErrorCode> {
        let mut state = self.0.state();
        if let Some(reason) = state.close {
            return Poll::Ready(reason);
        }
        match &mut state.close_waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// Frames still queued (for tests and metrics).
    pub fn len(&self) -> usize {
        self.0.state().frames.len()
    }

    /// Whether no frame is queued.
    pub fn is_empty(&self) -> bool {
        self.0.state().frames.is_empty()
    }
}

impl Drop for OutboxReceiver {
    fn drop(&mut self) {
        let frames = {
            let mut state = self.0.state();
            state.receiver_alive = false;
            state.waker = None;
            state.close_waker = None;
            std::mem::take(&mut state.frames)
        };
        // Frames are dropped outside the lock.
        drop(frames);
    }
}

/// The connection is gone, or must be dropped without a goodbye.
#[derive(Debug, PartialEq, Eq)]
pub struct WriteStopped;

/// How a write that polled the socket ended.
enum Written {
    /// Everything was written and flushed.
    Done,
    /// The socket failed or the peer closed it.
    Failed,
    /// A close was asked while the socket could not take more; `usize`
    /// bytes were written.
    CloseAsked(ErrorCode, usize),
}

/// Time a connection has to send its last words once it is asked to close
/// (anything but too slow), before it is dropped anyway.
pub const GOODBYE_TIMEOUT: Duration = Duration::from_secs(2);

/// Writes `buffer` to a connection's socket, for transports. A client that
/// stops reading blocks this write; the hub then finds its queue full and
/// asks to close as too slow, which abandons the write at once. Any other
/// close request leaves the write [`GOODBYE_TIMEOUT`] to finish, so the
/// goodbye that follows is not cut.
///
/// The waiting lives in one small poll function (a close request wakes the
/// task through the queue), not in a future with a timer and a waiter: this
/// future is part of every connection's task, idle or not. (An `async`
/// block, not an `async fn`, which would keep each argument twice:
/// rust-lang/rust#62958.)
#[expect(
    clippy::manual_async_fn,
    reason = "an async fn would store its arguments twice in every connection"
)]
pub fn write_unless_too_slow<'a, W: AsyncWrite + Unpin>(
    socket: &'a mut W,
    buffer: &'a [u8],
    outbox: &'a OutboxReceiver,
) -> impl Future<Output = Result<(), WriteStopped>> + 'a {
    async move {
        let mut offset = 0;
        let written = poll_fn(|cx| {
            loop {
                let progress = if offset < buffer.len() {
                    match Pin::new(&mut *socket).poll_write(cx, &buffer[offset..]) {
                        Poll::Ready(Ok(0) | Err(_)) => return Poll::Ready(Written::Failed),
                        Poll::Ready(Ok(n)) => {
                            offset += n;
                            continue;
                        }
                        Poll::Pending => Poll::Pending,
                    }
                } else {
                    // Layers such as TLS hold written bytes until flushed;
                    // plain TCP flushes at once. A flush stuck on a client
                    // that stopped reading ends like a write.
                    Pin::new(&mut *socket).poll_flush(cx)
                };
                return match progress {
                    Poll::Ready(Ok(())) => Poll::Ready(Written::Done),
                    Poll::Ready(Err(_)) => Poll::Ready(Written::Failed),
                    Poll::Pending => outbox
                        .poll_close(cx)
                        .map(|reason| Written::CloseAsked(reason, offset)),
                };
            }
        })
        .await;
        match written {
            Written::Done => Ok(()),
            Written::Failed => Err(WriteStopped),
            // Boxed: rare, and its timer would otherwise be part of every
            // connection's task.
            Written::CloseAsked(reason, offset) => {
                Box::pin(finish_unless_too_slow(socket, &buffer[offset..], reason)).await
            }
        }
    }
}

/// A close was asked in the middle of a write: abandon it if the client is
/// too slow, else finish it (and flush) within [`GOODBYE_TIMEOUT`].
async fn finish_unless_too_slow<W: AsyncWrite + Unpin>(
    socket: &mut W,
    rest: &[u8],
    reason: ErrorCode,
) -> Result<(), WriteStopped> {
    if reason == ErrorCode::TooSlow {
        return Err(WriteStopped);
    }
    let finish = tokio::time::timeout(GOODBYE_TIMEOUT, async {
        socket.write_all(rest).await?;
        socket.flush().await
    });
    match finish.await {
        Ok(Ok(())) => Ok(()),
        _ => Err(WriteStopped),
    }
}

/// A new bounded queue of `capacity` frames.
pub fn outbox(capacity: usize) -> (OutboxSender, OutboxReceiver) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            frames: VecDeque::new(),
            waker: None,
            close_waker: None,
            close: None,
            finish: None,
            senders: 1,
            receiver_alive: true,
            nudged: false,
        }),
        capacity: capacity.max(1),
    });
    (OutboxSender(Arc::clone(&shared)), OutboxReceiver(shared))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pong(req: u32) -> Outgoing {
        Outgoing::new(Event::Pong { req: Some(req) })
    }

    #[tokio::test]
    async fn batches_everything_queued_and_stays_bounded() {
        let (sender, mut receiver) = outbox(3);
        for req in 0..3 {
            assert_eq!(sender.push(pong(req)), Ok(()));
        }
        assert_eq!(sender.push(pong(9)), Err(QueueError::Full));
        let mut batch = Vec::new();
        assert!(matches!(receiver.next(&mut batch, 100).await, Next::Frames));
        assert_eq!(batch.len(), 3);
    }

    #[tokio::test]
    async fn close_wins_over_queued_frames_and_first_reason_sticks() {
        let (sender, mut receiver) = outbox(8);
        assert_eq!(sender.push(pong(1)), Ok(()));
        sender.close(ErrorCode::TooSlow);
        sender.close(ErrorCode::ShuttingDown);
        let mut batch = Vec::new();
        assert!(matches!(
            receiver.next(&mut batch, 8).await,
            Next::Close(ErrorCode::TooSlow)
        ));
    }

    #[tokio::test]
    async fn finish_lets_the_queued_frames_out_first_and_takes_no_more() {
        let (sender, mut receiver) = outbox(8);
        assert_eq!(sender.push(pong(1)), Ok(()));
        assert_eq!(sender.push(pong(2)), Ok(()));
        sender.finish(ErrorCode::Kicked);
        assert_eq!(sender.push(pong(3)), Err(QueueError::Closed));
        let mut batch = Vec::new();
        assert!(matches!(receiver.next(&mut batch, 1).await, Next::Frames));
        assert!(matches!(receiver.next(&mut batch, 8).await, Next::Frames));
        assert_eq!(batch.len(), 2);
        assert!(matches!(
            receiver.next(&mut batch, 8).await,
            Next::Close(ErrorCode::Kicked)
        ));

        // With nothing queued, it is a plain close.
        let (sender, mut receiver) = outbox(8);
        sender.finish(ErrorCode::Banned);
        sender.close(ErrorCode::TooSlow);
        assert!(matches!(
            receiver.next(&mut batch, 8).await,
            Next::Close(ErrorCode::Banned)
        ));
    }

    /// A write the client does not read: `buffer` is larger than what the
    /// in-memory pipe holds, so the write waits until `close` is asked.
    async fn blocked_write(close: ErrorCode, drain: bool) -> (Result<(), WriteStopped>, Vec<u8>) {
        use tokio::io::AsyncReadExt;
        let (sender, receiver) = outbox(1);
        let (mut client, mut server) = tokio::io::duplex(64);
        let buffer = vec![b'x'; 1000];
        let writer = tokio::spawn(async move {
            let result = write_unless_too_slow(&mut server, &buffer, &receiver).await;
            (result, server)
        });
        // The pipe fills: the write waits on the client.
        let mut first = [0_u8; 64];
        let read = client.read_exact(&mut first).await.map(|_| ());
        assert!(read.is_ok(), "{read:?}");
        sender.close(close);
        let mut received = first.to_vec();
        if drain {
            let mut rest = [0_u8; 1000 - 64];
            let read = client.read_exact(&mut rest).await.map(|_| ());
            assert!(read.is_ok(), "{read:?}");
            received.extend_from_slice(&rest);
        }
        let ended = tokio::time::timeout(Duration::from_secs(10), writer).await;
        let Ok(Ok((result, _server))) = ended else {
            panic!("the write did not end after the close request: {ended:?}");
        };
        (result, received)
    }

    #[tokio::test]
    async fn a_write_to_a_slow_client_is_abandoned_when_it_is_closed_as_too_slow() {
        let (result, received) = blocked_write(ErrorCode::TooSlow, false).await;
        assert_eq!(result, Err(WriteStopped));
        assert_eq!(received.len(), 64);
    }

    #[tokio::test]
    async fn a_write_waiting_on_the_client_finishes_after_any_other_close_request() {
        let (result, received) = blocked_write(ErrorCode::ShuttingDown, true).await;
        assert_eq!(result, Ok(()));
        assert_eq!(received, vec![b'x'; 1000]);
    }

    /// A task waiting on `receiver`, already waiting when this returns (the
    /// test runtime has one thread); it gives what came, the batch's size and
    /// the receiver back.
    async fn waiting(
        mut receiver: OutboxReceiver,
    ) -> tokio::task::JoinHandle<(Next, usize, OutboxReceiver)> {
        let waiter = tokio::spawn(async move {
            let mut batch = Vec::new();
            let next = receiver.next(&mut batch, 8).await;
            (next, batch.len(), receiver)
        });
        tokio::task::yield_now().await;
        waiter
    }

    #[tokio::test]
    async fn a_push_wakes_a_waiting_receiver_and_an_idle_queue_holds_nothing() {
        let (sender, receiver) = outbox(4);
        let waiter = waiting(receiver).await;
        assert_eq!(sender.push(pong(1)), Ok(()));
        let woken = tokio::time::timeout(Duration::from_secs(10), waiter).await;
        let Ok(Ok((Next::Frames, 1, receiver))) = woken else {
            panic!("the receiver was not woken with the frame");
        };
        assert_eq!(receiver.0.state().frames.capacity(), 0);
    }

    #[tokio::test]
    async fn a_nudge_wakes_a_waiting_receiver_once() {
        let (sender, receiver) = outbox(4);
        let waiter = waiting(receiver).await;
        sender.nudge();
        let woken = tokio::time::timeout(Duration::from_secs(10), waiter).await;
        let Ok(Ok((Next::Tick, 0, mut receiver))) = woken else {
            panic!("the receiver was not woken by the nudge");
        };
        // Seen once: a frame comes next, not a second tick.
        assert_eq!(sender.push(pong(1)), Ok(()));
        let mut batch = Vec::new();
        assert!(matches!(receiver.next(&mut batch, 8).await, Next::Frames));
    }

    #[tokio::test]
    async fn every_clone_is_a_sender_and_a_gone_receiver_refuses_frames() {
        let (sender, mut receiver) = outbox(4);
        let clone = sender.clone();
        drop(sender);
        assert_eq!(clone.push(pong(1)), Ok(()));
        let mut batch = Vec::new();
        assert!(matches!(receiver.next(&mut batch, 8).await, Next::Frames));
        drop(receiver);
        assert_eq!(clone.push(pong(2)), Err(QueueError::Closed));
    }

    #[tokio::test]
    async fn ends_when_every_sender_is_gone() {
        let (sender, mut receiver) = outbox(8);
        drop(sender);
        let mut batch = Vec::new();
        assert!(matches!(receiver.next(&mut batch, 8).await, Next::Ended));
    }

    #[test]
    fn encodes_once_per_format() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static CALLS: AtomicUsize = AtomicUsize::new(0);
        fn encode(event: &Event) -> Bytes {
            CALLS.fetch_add(1, Ordering::SeqCst);
            Bytes::from(format!("{event:?}"))
        }
        let frame = pong(1);
        let copy = frame.clone();
        let first = frame.encoded(WireFormat::Json, encode);
        let second = copy.encoded(WireFormat::Json, encode);
        assert_eq!(first, second);
        assert_eq!(CALLS.load(Ordering::SeqCst), 1);
        let _ = frame.encoded(WireFormat::Irc, encode);
        assert_eq!(CALLS.load(Ordering::SeqCst), 2);
    }
}
