//! How transports talk to the hub: a cloneable [`HubHandle`] and one
//! [`Connection`] per client.
//!
//! Commands go through a bounded channel, so a flood of requests slows its
//! senders instead of growing memory. Opening and closing connections go
//! through a separate unbounded channel, so a close is never lost and a
//! session never outlives its connection (their number is capped by the
//! transports' connection limit).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tchatche_protocol::{Command, ErrorCode, Event, Limits, UserId};
use tokio::sync::{mpsc, oneshot};

use crate::ids::now_ms;
use crate::outbox::{OutboxReceiver, OutboxSender, Outgoing, QueueError, outbox};

/// Which transport a connection came through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// WebSocket (web client).
    WebSocket,
    /// IRC gateway.
    Irc,
}

/// What the hub learns about a new connection.
#[derive(Clone, Debug)]
pub struct ConnectionInfo {
    /// The client's address (kept for connection records).
    pub peer: SocketAddr,
    /// The transport.
    pub transport: Transport,
}

pub(crate) enum Control {
    Open {
        id: UserId,
        outbox: OutboxSender,
        info: ConnectionInfo,
    },
    Close {
        id: UserId,
    },
    Shutdown {
        done: oneshot::Sender<()>,
    },
}

pub(crate) struct Request {
    pub id: UserId,
    pub req: Option<u32>,
    pub command: Command,
}

/// A cloneable handle on the running hub.
#[derive(Clone)]
pub struct HubHandle {
    pub(crate) control: mpsc::UnboundedSender<Control>,
    pub(crate) requests: mpsc::Sender<Request>,
    pub(crate) next_id: Arc<AtomicU64>,
    pub(crate) limits: Arc<Limits>,
    pub(crate) outbound_queue: usize,
}

/// The hub has stopped.
#[derive(Debug, thiserror::Error)]
#[error("the hub has stopped")]
pub struct HubStopped;

impl HubHandle {
    pub(crate) fn new(
        control: mpsc::UnboundedSender<Control>,
        requests: mpsc::Sender<Request>,
        limits: Limits,
        outbound_queue: usize,
    ) -> HubHandle {
        // Session ids start from the clock so they are not reused after a
        // restart, where stored messages still name the old ids.
        let first = now_ms() << 12;
        HubHandle {
            control,
            requests,
            next_id: Arc::new(AtomicU64::new(first)),
            limits: Arc::new(limits),
            outbound_queue,
        }
    }

    /// Registers a new connection. The `welcome` event is already queued on
    /// the returned connection's outbox.
    pub fn connect(&self, info: ConnectionInfo) -> Result<Connection, HubStopped> {
        let id = UserId(self.next_id.fetch_add(1, Ordering::Relaxed));
        let (sender, receiver) = outbox(self.outbound_queue);
        let welcome = Event::Welcome {
            protocol: tchatche_protocol::PROTOCOL_VERSION,
            server: concat!("tchatche ", env!("CARGO_PKG_VERSION")).to_owned(),
            limits: (*self.limits).clone(),
        };
        sender
            .push(Outgoing::new(welcome))
            .map_err(|_| HubStopped)?;
        self.control
            .send(Control::Open {
                id,
                outbox: sender.clone(),
                info,
            })
            .map_err(|_| HubStopped)?;
        Ok(Connection {
            id,
            control: self.control.clone(),
            requests: self.requests.clone(),
            outbox: sender,
            receiver: Some(receiver),
        })
    }

    /// Whether the hub is still running.
    pub fn is_running(&self) -> bool {
        !self.control.is_closed()
    }

    /// The limits clients are told.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Tells every connection the server is shutting down, flushes pending
    /// history writes and stops the hub. Returns when the hub has stopped.
    pub async fn shutdown(&self) {
        let (done, finished) = oneshot::channel();
        if self.control.send(Control::Shutdown { done }).is_ok() {
            let _ = finished.await;
        }
    }
}

/// Why [`Connection::try_request`] did not send.
#[derive(Debug)]
pub enum TryRequestError {
    /// The hub's queue is full: here is the command back.
    Busy(Command),
    /// The hub has stopped.
    Stopped,
}

/// One client's link to the hub. Dropping it tells the hub the client left.
pub struct Connection {
    id: UserId,
    control: mpsc::UnboundedSender<Control>,
    requests: mpsc::Sender<Request>,
    outbox: OutboxSender,
    receiver: Option<OutboxReceiver>,
}

impl Connection {
    /// This connection's session id.
    pub fn id(&self) -> UserId {
        self.id
    }

    /// The outbound queue, for the connection's writer. Only the first call
    /// gets it.
    pub fn take_receiver(&mut self) -> Option<OutboxReceiver> {
        self.receiver.take()
    }

    /// Sends a command to the hub; waits if the hub is busy.
    pub async fn request(&self, req: Option<u32>, command: Command) -> Result<(), HubStopped> {
        self.requests
            .send(Request {
                id: self.id,
                req,
                command,
            })
            .await
            .map_err(|_| HubStopped)
    }

    /// Sends a command to the hub if its queue has room, without waiting;
    /// gives the command back when the hub is busy, for [`Connection::request`].
    pub fn try_request(&self, req: Option<u32>, command: Command) -> Result<(), TryRequestError> {
        self.requests
            .try_send(Request {
                id: self.id,
                req,
                command,
            })
            .map_err(|error| match error {
                mpsc::error::TrySendError::Full(request) => TryRequestError::Busy(request.command),
                mpsc::error::TrySendError::Closed(_) => TryRequestError::Stopped,
            })
    }

    /// Queues an event straight to this client, for answers the transport
    /// gives itself (an unreadable frame).
    pub fn reply(&self, event: Event) -> Result<(), QueueError> {
        self.outbox.push(Outgoing::new(event))
    }

    /// Asks this connection's writer to close with `reason`.
    pub fn close(&self, reason: ErrorCode) {
        self.outbox.close(reason);
    }

    /// Asks this connection's writer to close with `reason` once it has
    /// written what is already queued (the answers to earlier frames).
    pub fn finish(&self, reason: ErrorCode) {
        self.outbox.finish(reason);
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        let _ = self.control.send(Control::Close { id: self.id });
    }
}
