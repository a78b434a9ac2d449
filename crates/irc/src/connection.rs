//! One IRC connection: a single task that reads lines, writes replies and
//! hub events, and keeps the client alive with PING.
//!
//! The task owns the [`Session`], so no state is shared: each turn of the
//! loop handles what arrived (lines or events), forwards the session's hub
//! requests, then writes the response buffer in one socket write.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use std::future::poll_fn;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::task::{Context, Poll};

use tchatche_hub::{
    Connection, ConnectionInfo, HubHandle, Next, OutboxReceiver, Outgoing, Transport,
    TryRequestError, WireFormat, write_unless_too_slow,
};
use tchatche_protocol::{Command, Event};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

use crate::codec::LineBuffer;
use crate::render;
use crate::session::{IrcSettings, Session};

/// Silence after which the server sends a PING (checked at the hub's next
/// nudge, up to 15 s later).
const PING_AFTER: Duration = Duration::from_secs(90);
/// Silence after the PING after which the client is gone.
const TIMEOUT_AFTER: Duration = Duration::from_secs(240);
/// Most events handled per turn.
const MAX_BATCH: usize = 256;
/// Bytes read from the socket at a time (on the stack, not kept).
const SCRATCH: usize = 4096;
/// Unusable lines in a row before the connection is closed.
const MAX_BAD_LINES: u32 = 20;

/// Joins the hub now and returns the connection's task, to spawn or await;
/// `guard` (a connection-limit permit, say) is dropped when it ends. `None`
/// when the hub has stopped.
///
/// The task holds only what the connection needs, not the hub handle:
/// memory per connection is what limits how many one server holds.
pub fn connection_task<S, G>(
    hub: &HubHandle,
    stream: S,
    peer: SocketAddr,
    settings: Arc<IrcSettings>,
    guard: G,
) -> Option<impl Future<Output = ()> + Send + 'static>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    G: Send + 'static,
{
    let mut connection = hub
        .connect(ConnectionInfo {
            peer,
            transport: Transport::Irc,
        })
        .ok()?;
    let outbox = connection.take_receiver()?;
    Some(run(
        connection,
        outbox,
        stream,
        Session::new(settings),
        guard,
    ))
}

/// Runs one IRC connection until it closes.
///
/// An `async` block rather than an `async fn`: the block works on the
/// values it captured, where an `async fn` would keep a second copy of each
/// argument in every connection's task (rust-lang/rust#62958).
#[expect(
    clippy::manual_async_fn,
    reason = "an async fn would store its arguments twice in every connection"
)]
fn run<S, G>(
    connection: Connection,
    mut outbox: OutboxReceiver,
    mut stream: S,
    mut session: Session,
    guard: G,
) -> impl Future<Output = ()> + Send + 'static
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    G: Send + 'static,
{
    async move {
        let mut lines = LineBuffer::new();
        let mut batch: Vec<Outgoing> = Vec::new();
        let mut wire: Vec<u8> = Vec::new();
        // When the client was last heard from, or pinged if `pinged`. The
        // hub's nudges (`Next::Tick`, every 15 s or so) say when to look:
        // no timer in every connection.
        let mut last_heard = Instant::now();
        let mut pinged = false;
        let mut bad_lines = 0_u32;
        loop {
            // The socket is read only while the session takes lines: a
            // command waiting for the hub holds back the ones after it in
            // the kernel's buffers, so a client that pipelines thousands of
            // commands is slowed down, answered in order, and costs no
            // more memory than one that does not.
            let reading = session.wants_lines();
            tokio::select! {
                read = poll_fn(|cx| poll_lines(cx, &mut stream, &mut lines)), if reading => {
                    if !read {
                        break;
                    }
                    last_heard = Instant::now();
                    pinged = false;
                }
                next = outbox.next(&mut batch, MAX_BATCH) => match next {
                    Next::Frames => {
                        for frame in batch.drain(..) {
                            render_event(&mut session, &frame, &mut wire);
                        }
                    }
                    Next::Close(reason) => {
                        // Also when too slow: the line is written if the
                        // socket takes it, and abandoned otherwise.
                        session.on_event(&Event::closing(reason));
                        session.quit = true;
                    }
                    Next::Ended => break,
                    Next::Tick => {
                        let silent = last_heard.elapsed();
                        if pinged && silent >= TIMEOUT_AFTER {
                            session.out.push_str("ERROR :Closing link: ping timeout\r\n");
                            session.quit = true;
                        } else if !pinged && silent >= PING_AFTER {
                            pinged = true;
                            last_heard = Instant::now();
                            session.out.push_str("PING :tchatche\r\n");
                        }
                    }
                },
            }
            take_lines(&mut session, &mut lines, &mut bad_lines);
            if !session.requests.is_empty() {
                let waiting = match try_forward(&connection, &mut session.requests) {
                    Forwarded::All => None,
                    Forwarded::Stopped => {
                        session.quit = true;
                        None
                    }
                    // Rarely waited for: the waiting future lives on the heap
                    // only while the hub is busy, not in every connection's task.
                    Forwarded::Busy => Some(Box::pin(forward(&connection, &mut session.requests))),
                };
                if let Some(waiting) = waiting
                    && !waiting.await
                {
                    session.quit = true;
                }
            }
            wire.extend_from_slice(session.out.as_bytes());
            session.out.clear();
            if !wire.is_empty() {
                if write_unless_too_slow(&mut stream, &wire, &outbox)
                    .await
                    .is_err()
                {
                    break;
                }
                wire.clear();
                if outbox.is_empty() {
                    wire = Vec::new();
                    batch = Vec::new();
                    session.release_idle_buffers();
                }
            }
            if session.quit {
                break;
            }
        }
        drop(guard);
    }
}

/// Hands the session the lines already read, while it takes them; the
/// rest wait in `lines`.
fn take_lines(session: &mut Session, lines: &mut LineBuffer, bad_lines: &mut u32) {
    while session.wants_lines() && !session.quit {
        let Some(line) = lines.next_line() else {
            return;
        };
        match line {
            Ok(line) => {
                *bad_lines = 0;
                session.on_line(&line);
            }
            Err(error) => {
                *bad_lines += 1;
                session.on_bad_line(error);
                if *bad_lines >= MAX_BAD_LINES {
                    session
                        .out
                        .push_str("ERROR :Closing link: too many unreadable lines\r\n");
                    session.quit = true;
                }
            }
        }
    }
}

/// A session's hub requests, as far as they went without waiting.
enum Forwarded {
    /// All sent.
    All,
    /// The hub's queue is full: the requests not sent are still in the
    /// session's list, in order.
    Busy,
    /// The hub has stopped.
    Stopped,
}

/// Sends the session's hub requests, in order, while the hub's queue has
/// room.
fn try_forward(connection: &Connection, requests: &mut Vec<(Option<u32>, Command)>) -> Forwarded {
    let mut pending = requests.drain(..);
    while let Some((req, command)) = pending.next() {
        match connection.try_request(req, command) {
            Ok(()) => {}
            Err(TryRequestError::Busy(command)) => {
                // It and the ones after it stay in `requests`, in order.
                let rest: Vec<_> = pending.collect();
                requests.push((req, command));
                requests.extend(rest);
                return Forwarded::Busy;
            }
            Err(TryRequestError::Stopped) => return Forwarded::Stopped,
        }
    }
    Forwarded::All
}

/// Sends the requests left in `requests`, waiting for room in the hub's
/// queue; false when the hub has stopped.
async fn forward(connection: &Connection, requests: &mut Vec<(Option<u32>, Command)>) -> bool {
    for (req, command) in std::mem::take(requests) {
        if connection.request(req, command).await.is_err() {
            return false;
        }
    }
    true
}

/// Reads what the socket has into the line buffer; false when the client
/// closed its side or the socket failed. The read buffer lives on the stack
/// of this call only: an idle connection holds none.
fn poll_lines<S: AsyncRead + Unpin>(
    cx: &mut Context<'_>,
    stream: &mut S,
    lines: &mut LineBuffer,
) -> Poll<bool> {
    let mut scratch = [MaybeUninit::<u8>::uninit(); SCRATCH];
    let mut buf = ReadBuf::uninit(&mut scratch);
    match Pin::new(stream).poll_read(cx, &mut buf) {
        Poll::Pending => Poll::Pending,
        Poll::Ready(Ok(())) if !buf.filled().is_empty() => {
            lines.push(buf.filled());
            Poll::Ready(true)
        }
        Poll::Ready(_) => Poll::Ready(false),
    }
}

/// Writes one hub event for this client: room messages from their shared
/// encoding, everything else through the session.
fn render_event(session: &mut Session, frame: &Outgoing, wire: &mut Vec<u8>) {
    match frame.event() {
        Event::Message(message) => {
            // Whatever the session already queued goes first, to keep order.
            wire.extend_from_slice(session.out.as_bytes());
            session.out.clear();
            // One's own message answers the PRIVMSG that sent it.
            let label = if Some(message.author.id) == session.me {
                session.own_room_message(message)
            } else {
                None
            };
            // The hub sends room messages only to members: no membership check here.
            if session.wants_room_message(message) {
                if let Some(label) = label {
                    // The echo of a labeled message carries its label: render
                    // it for this client alone.
                    let mut tag = String::from("label=");
                    crate::codec::escape_tag_value(&label, &mut tag);
                    for line in render::room_message_lines(message, true).split_inclusive("\r\n") {
                        wire.extend_from_slice(render::with_tag(line, &tag).as_bytes());
                    }
                } else {
                    // Each form is encoded once and shared by every client taking it.
                    let encoded = if session.caps.tagged() {
                        frame.encoded(WireFormat::Irc, render::encode_room_message)
                    } else {
                        frame.encoded(WireFormat::IrcPlain, render::encode_room_message_plain)
                    };
                    wire.extend_from_slice(&encoded);
                }
            }
            // What waited for this answer goes on.
            session.resume();
        }
        event => session.on_event(event),
    }
}

#[cfg(test)]
mod tests {
    //! The keep-alive, on a paused clock: a real hub, the connection task on
    //! an in-memory stream, and time that jumps to the next timer whenever
    //! every task waits.

    use std::sync::Arc;

    use tchatche_hub::{HubSettings, HubStores};
    use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
    use tokio::time::Instant;

    use super::{Forwarded, PING_AFTER, TIMEOUT_AFTER, connection_task, forward, try_forward};
    use crate::session::IrcSettings;

    /// Reads until `needle` has arrived; returns everything read.
    async fn read_until(client: &mut DuplexStream, needle: &str) -> String {
        let mut seen = String::new();
        let mut buffer = [0_u8; 4096];
        while !seen.contains(needle) {
            let read = client.read(&mut buffer).await.unwrap_or(0);
            assert!(
                read > 0,
                "the connection ended before {needle:?}; saw {seen:?}"
            );
            seen.push_str(&String::from_utf8_lossy(&buffer[..read]));
        }
        seen
    }

    /// A real hub without storage.
    async fn hub(config: &tchatche_config::Config) -> tchatche_hub::HubHandle {
        let bus = tchatche_bus::LocalBus::new();
        let (hub, _task) = tchatche_hub::start(
            HubSettings::from_config(config),
            HubStores {
                history: None,
                history_writer: None,
                history_receipts: None,
                accounts: None,
                staff: None,
            },
            Box::new(bus.attach(0)),
        )
        .await
        .expect("the hub starts");
        hub
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_client_is_pinged_and_dropped_only_when_it_never_answers() {
        let hub = hub(&tchatche_config::Config::default()).await;
        let settings = Arc::new(IrcSettings {
            server_name: "tchatche".into(),
            motd: Vec::new(),
            default_guest_profile: String::new(),
            history_limit: 50,
        });
        let (mut client, server) = tokio::io::duplex(64 * 1024);
        let peer = "127.0.0.1:6667".parse().expect("an address");
        let task = connection_task(&hub, server, peer, settings, ()).expect("the hub runs");
        tokio::spawn(task);
        client
            .write_all(b"NICK Veilleur\r\nUSER v 0 * :30 H 75\r\n")
            .await
            .expect("written");
        read_until(&mut client, " 001 ").await;

        // Silent: pinged after PING_AFTER, not before.
        let quiet_since = Instant::now();
        read_until(&mut client, "PING :tchatche").await;
        assert!(quiet_since.elapsed() >= PING_AFTER);
        assert!(quiet_since.elapsed() < PING_AFTER + PING_AFTER / 2);

        // Answered: the next PING comes a full PING_AFTER later, no timeout.
        client
            .write_all(b"PONG :tchatche\r\n")
            .await
            .expect("written");
        let answered = Instant::now();
        let seen = read_until(&mut client, "PING :tchatche").await;
        assert!(!seen.contains("ERROR"), "{seen}");
        assert!(answered.elapsed() >= PING_AFTER);
        assert!(answered.elapsed() < PING_AFTER + PING_AFTER / 2);

        // Never answered: dropped TIMEOUT_AFTER after that PING.
        let pinged = Instant::now();
        read_until(&mut client, "ERROR :Closing link: ping timeout").await;
        assert!(pinged.elapsed() >= TIMEOUT_AFTER);
        hub.shutdown().await;
    }

    #[tokio::test]
    async fn requests_wait_for_room_in_a_full_hub_queue_and_keep_their_order() {
        use std::time::Duration;
        use tchatche_hub::{ConnectionInfo, Next, Transport};
        use tchatche_protocol::{Command, Event, LinkCommand};

        let mut config = tchatche_config::Config::default();
        // Room for every answer to the requests that fill the hub's queue.
        config.limits.outbound_queue = 40_000;
        let hub = hub(&config).await;
        let mut connection = hub
            .connect(ConnectionInfo {
                peer: "127.0.0.1:6667".parse().expect("an address"),
                transport: Transport::Irc,
            })
            .expect("the hub runs");
        let mut outbox = connection.take_receiver().expect("the queue");
        // The test's runtime has one thread: the hub runs only when this
        // test waits, so its queue fills.
        let mut filled = 0;
        while connection
            .try_request(None, Command::Link(LinkCommand::Ping {}))
            .is_ok()
        {
            filled += 1;
        }
        assert!(filled > 0);

        let mut requests: Vec<_> = (1..=5)
            .map(|req| (Some(req), Command::Link(LinkCommand::Ping {})))
            .collect();
        assert!(matches!(
            try_forward(&connection, &mut requests),
            Forwarded::Busy
        ));
        let waiting: Vec<_> = requests.iter().map(|(req, _)| *req).collect();
        assert_eq!(waiting, [1, 2, 3, 4, 5].map(Some));
        assert!(forward(&connection, &mut requests).await);
        assert!(requests.is_empty());

        let mut answered = Vec::new();
        while answered.len() < 5 {
            let mut batch = Vec::new();
            let next = tokio::time::timeout(Duration::from_secs(10), outbox.next(&mut batch, 4096))
                .await
                .expect("the hub answers");
            assert!(matches!(next, Next::Frames), "{next:?}");
            answered.extend(batch.iter().filter_map(|frame| match frame.event() {
                Event::Pong { req: Some(req) } => Some(*req),
                _ => None,
            }));
        }
        assert_eq!(answered, [1, 2, 3, 4, 5]);
        hub.shutdown().await;
    }
}
