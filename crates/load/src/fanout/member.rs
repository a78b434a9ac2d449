//! One fan-out client after set-up, and the pacing of a sender's messages.
//!
//! Each client gets one task ([`drive`]) that owns its connection for the
//! rest of the run: it reads everything (a client that stops reading would
//! be cut off by the server as too slow), recognises stamped messages by
//! prefix and substring searches rather than by decoding them, and records
//! their latency. A sender's task also writes the frames or lines that its
//! pacing task ([`send_messages`]) hands it through a channel.
//!
//! The in-flight window of a sender is given back when its message reaches
//! the sender's *witness*: the sender itself over WebSocket (the server
//! echoes a room message or a private message to its author), another
//! member of the room (or the other side of a private conversation) over
//! IRC, where servers do not echo without the `echo-message` capability.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tchatche_protocol::Event;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::time::{Instant, MissedTickBehavior, interval_at, sleep_until};

use crate::client::code_name;
use crate::irc::{Line, privmsg_text};
use crate::latency::{Clock, DeliveryTallies, Stamp};
use crate::link::{Incoming, Link, LinkEnd, Speech, Transport};

/// What a `sent` frame starts with.
const SENT_FRAME_PREFIX: &str = r#"{"type":"sent","#;
/// What an `error` frame starts with.
const ERROR_FRAME_PREFIX: &str = r#"{"type":"error","#;
/// What a `closing` frame starts with.
const CLOSING_FRAME_PREFIX: &str = r#"{"type":"closing","#;

/// What every client task shares.
#[derive(Debug)]
pub struct Fleet {
    /// The time origin of stamps.
    pub clock: Clock,
    /// Where deliveries are counted.
    pub tallies: DeliveryTallies,
    /// How long authors waited for `sent` (WebSocket senders only).
    pub acknowledgements: crate::latency::LatencyTally,
    /// Clients set up and still connected.
    pub live: AtomicUsize,
    /// Every sender's link, by client index; fixed before set-up.
    pub links: HashMap<usize, Arc<SenderLink>>,
    /// The clients that are some sender's witness.
    pub witnesses: HashSet<usize>,
}

/// The link between a sender's pacing task, its client task and the
/// scenario, which reads the counts to know when every message is accounted
/// for.
#[derive(Debug)]
pub struct SenderLink {
    /// The sender's transport.
    pub transport: Transport,
    /// The client whose receipt of a message gives its permit back.
    pub witness: usize,
    /// Deliveries each accepted message should make (set once the room is
    /// set up): its members, less the sender over IRC.
    pub deliveries_per_message: AtomicU64,
    /// One permit per message that may still be put in flight; closed when
    /// the connection ends, which stops the pacing task.
    pub window: Semaphore,
    /// Messages handed to the socket.
    pub sent: AtomicU64,
    /// Messages the server acknowledged with `sent` (WebSocket), or written
    /// and not refused with an error numeric (IRC, which has no
    /// acknowledgement).
    pub accepted: AtomicU64,
    /// Messages the server refused with `error` or an error numeric.
    pub refused: AtomicU64,
    /// The pacing task has nothing more to send.
    pub finished: AtomicBool,
    /// When each message in flight went out ([`crate::latency::Clock`]
    /// nanoseconds), by request number modulo [`ACK_RING`], so that its
    /// `sent` gives the author's wait.
    pub sent_at: Box<[AtomicU64]>,
}

/// Messages whose send time a sender remembers until their `sent` comes.
pub const ACK_RING: usize = 4096;

/// The request number of a `sent` frame, found without decoding it.
fn sent_req(frame: &str) -> Option<u32> {
    let rest = frame.split_once(r#""req":"#)?.1;
    let digits = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..digits].parse().ok()
}

impl SenderLink {
    /// A link allowing `window` messages in flight.
    pub fn new(window: usize, transport: Transport, witness: usize) -> SenderLink {
        SenderLink {
            transport,
            witness,
            deliveries_per_message: AtomicU64::new(0),
            window: Semaphore::new(window),
            sent: AtomicU64::new(0),
            accepted: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            finished: AtomicBool::new(false),
            sent_at: (0..ACK_RING).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// Every message sent has been acknowledged or refused.
    pub fn settled(&self) -> bool {
        self.accepted.load(Ordering::Relaxed) + self.refused.load(Ordering::Relaxed)
            >= self.sent.load(Ordering::Relaxed)
    }
}

/// Who a client is in its room.
#[derive(Debug)]
pub struct MemberPlan {
    /// The client's index.
    pub index: usize,
    /// The index of its room's first member; the room's senders are the
    /// members from there on.
    pub room_first: usize,
    /// How many of the room's members send.
    pub room_senders: usize,
    /// Whether it is the witness of some sender.
    pub is_witness: bool,
    /// For a sender: its link and the frames its pacing task sends.
    pub sender: Option<(Arc<SenderLink>, mpsc::Receiver<String>)>,
}

/// How a client's task ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberEnd {
    /// The scenario stopped it; the connection was fine.
    Stopped,
    /// The server closed the connection.
    ClosedByServer(String),
    /// Reading or writing failed.
    Failed(String),
}

/// What a client saw besides deliveries.
#[derive(Debug)]
pub struct MemberOutcome {
    /// How its task ended.
    pub end: MemberEnd,
    /// The reason given in a `closing` frame or an IRC `ERROR` line, if one
    /// came.
    pub closing: Option<String>,
    /// Codes of the `error` frames (or error numerics) it received.
    pub errors: Vec<String>,
}

/// Runs one client until `stop` changes or the connection ends.
pub async fn drive(
    mut link: Link,
    plan: MemberPlan,
    fleet: Arc<Fleet>,
    mut stop: watch::Receiver<bool>,
) -> MemberOutcome {
    let (own_link, mut outbound) = match plan.sender {
        Some((link, outbound)) => (Some(link), Some(outbound)),
        None => (None, None),
    };
    let mut receiver = Receiver {
        index: plan.index,
        room_first: plan.room_first,
        last_seq: vec![None; plan.room_senders],
        is_witness: plan.is_witness,
        link: own_link.as_deref(),
        fleet: &fleet,
        closing: None,
        errors: Vec::new(),
    };
    let end = loop {
        tokio::select! {
            _ = stop.changed() => break MemberEnd::Stopped,
            read = link.next(|incoming| receiver.on_incoming(incoming)) => match read {
                Ok(()) => {}
                Err(LinkEnd::Closed(how)) => break MemberEnd::ClosedByServer(how),
                Err(LinkEnd::Failed(error)) => break MemberEnd::Failed(error),
            },
            text = next_outbound(&mut outbound) => match text {
                Some(text) => {
                    if let Err(LinkEnd::Closed(error) | LinkEnd::Failed(error)) = link.send(text).await {
                        break MemberEnd::Failed(format!("write: {error}"));
                    }
                    if let Some(own) = receiver.link
                        && own.transport == Transport::Irc
                    {
                        own.accepted.fetch_add(1, Ordering::Relaxed);
                    }
                }
                None => outbound = None,
            },
        }
    };
    let Receiver {
        closing, errors, ..
    } = receiver;
    if end != MemberEnd::Stopped {
        fleet.live.fetch_sub(1, Ordering::Relaxed);
        if let Some(own) = &own_link {
            own.window.close();
        }
    }
    MemberOutcome {
        end,
        closing,
        errors,
    }
}

/// The next frame a sender's pacing task wants sent; never ready for a
/// client that does not send.
async fn next_outbound(outbound: &mut Option<mpsc::Receiver<String>>) -> Option<String> {
    match outbound {
        Some(outbound) => outbound.recv().await,
        None => std::future::pending().await,
    }
}

/// The receiving side of one client.
struct Receiver<'a> {
    /// The client's index.
    index: usize,
    /// Index of the room's first member.
    room_first: usize,
    /// The last sequence number seen from each sender of the room, by the
    /// sender's position in the room.
    last_seq: Vec<Option<u32>>,
    /// Whether some sender's permits come back through this client.
    is_witness: bool,
    /// The client's sender link, if it sends.
    link: Option<&'a SenderLink>,
    /// Where deliveries go.
    fleet: &'a Fleet,
    /// The `closing` reason, once one came.
    closing: Option<String>,
    /// `error` codes received.
    errors: Vec<String>,
}

impl Receiver<'_> {
    /// Handles one frame or line.
    fn on_incoming(&mut self, incoming: Incoming<'_>) {
        match incoming {
            Incoming::Frame(text) => self.on_frame(text),
            Incoming::Line(line) => self.on_line(line),
        }
    }

    /// Handles one WebSocket text frame: the hot path.
    fn on_frame(&mut self, text: &str) {
        if let Some(stamp) = Stamp::from_frame(text) {
            self.on_stamp(stamp);
        } else if text.starts_with(SENT_FRAME_PREFIX) {
            if let Some(link) = self.link {
                link.accepted.fetch_add(1, Ordering::Relaxed);
                if let Some(req) = sent_req(text) {
                    let sent_at = link.sent_at[req as usize % ACK_RING].load(Ordering::Relaxed);
                    let now = self.fleet.clock.now_nanos();
                    self.fleet
                        .acknowledgements
                        .record(now.saturating_sub(sent_at));
                }
            }
        } else if text.starts_with(ERROR_FRAME_PREFIX) || text.starts_with(CLOSING_FRAME_PREFIX) {
            match serde_json::from_str::<Event>(text) {
                Ok(Event::Error(error)) => {
                    self.errors.push(code_name(error.code));
                    // Only `say` and `dm` carry a `req` once set up: the
                    // refused message will not come back, so its permit must.
                    if error.req.is_some()
                        && let Some(link) = self.link
                    {
                        link.refused.fetch_add(1, Ordering::Relaxed);
                        link.window.add_permits(1);
                    }
                }
                Ok(Event::Closing { reason, .. }) => self.closing = Some(code_name(reason)),
                _ => {}
            }
        }
    }

    /// Handles one IRC line: the hot path.
    fn on_line(&mut self, line: &str) {
        if let Some(text) = privmsg_text(line) {
            if let Some(stamp) = Stamp::from_body(text) {
                self.on_stamp(stamp);
            }
            return;
        }
        let parsed = Line::parse(line);
        if parsed.command == "ERROR" {
            self.closing = Some(format!("ERROR {}", parsed.trailing()));
        } else if parsed.is_error_numeric() {
            self.errors.push(format!("irc {}", parsed.command));
            // IRC has no acknowledgement: the message was counted as
            // accepted when written, and is refused now.
            if let Some(link) = self.link {
                let _ =
                    link.accepted
                        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |accepted| {
                            accepted.checked_sub(1)
                        });
                link.refused.fetch_add(1, Ordering::Relaxed);
                link.window.add_permits(1);
            }
        }
    }

    /// Records one stamped delivery and gives a permit back if this client
    /// is its sender's witness.
    fn on_stamp(&mut self, stamp: Stamp) {
        let now = self.fleet.clock.now_nanos();
        let in_order = match self
            .last_seq
            .get_mut(stamp.sender.wrapping_sub(self.room_first))
        {
            Some(last) if last.is_some_and(|last| stamp.seq <= last) => false,
            Some(last) => {
                *last = Some(stamp.seq);
                true
            }
            // Not one of this room's senders: nothing to compare with.
            None => true,
        };
        self.fleet.tallies.record(
            self.index,
            now.saturating_sub(stamp.sent_nanos),
            now,
            in_order,
        );
        if self.is_witness
            && let Some(link) = self.fleet.links.get(&stamp.sender)
            && link.witness == self.index
        {
            link.window.add_permits(1);
        }
    }
}

/// How a sender paces its messages.
#[derive(Debug, Clone)]
pub struct SenderPlan {
    /// The sender's client index.
    pub index: usize,
    /// Its transport.
    pub transport: Transport,
    /// Where its messages go.
    pub speech: Speech,
    /// How many messages it sends.
    pub messages: u32,
    /// Time between two messages (`None`: as fast as the window allows).
    pub period: Option<Duration>,
    /// When to send the first one; senders are staggered over one period.
    pub first_send: Instant,
}

/// Sends a sender's stamped messages through its client task, at most
/// `window` in flight, and marks the link finished.
///
/// A paced sender keeps to its schedule: when it falls behind (the server,
/// or this machine, was busy) it catches up at once rather than sending
/// less, and each message is stamped with the time it was *due*, not the
/// time it went out. Otherwise a slow server would lower the load it is
/// offered and hide the wait from the latency figures (coordinated
/// omission).
pub async fn send_messages(
    plan: SenderPlan,
    link: Arc<SenderLink>,
    outbound: mpsc::Sender<String>,
    clock: Clock,
) {
    let mut pacing = plan.period.map(|period| {
        let mut pacing = interval_at(plan.first_send, period);
        pacing.set_missed_tick_behavior(MissedTickBehavior::Burst);
        pacing
    });
    if pacing.is_none() {
        sleep_until(plan.first_send).await;
    }
    for seq in 0..plan.messages {
        let due = match &mut pacing {
            Some(pacing) => Some(pacing.tick().await),
            None => None,
        };
        // A closed window means the connection ended.
        let Ok(permit) = link.window.acquire().await else {
            break;
        };
        permit.forget();
        let body = Stamp {
            sent_nanos: due.map_or_else(|| clock.now_nanos(), |due| clock.nanos_at(due.into_std())),
            sender: plan.index,
            seq,
        }
        .body();
        let req = seq + 1;
        let Ok(frame) = plan.speech.frame(plan.transport, req, body) else {
            break;
        };
        link.sent_at[req as usize % ACK_RING].store(clock.now_nanos(), Ordering::Relaxed);
        if outbound.send(frame).await.is_err() {
            break;
        }
        link.sent.fetch_add(1, Ordering::Relaxed);
    }
    link.finished.store(true, Ordering::Relaxed);
}
