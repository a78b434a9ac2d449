//! The bus: how live events reach the other nodes of a cluster.
//!
//! A hub owns the people connected to its node. What must reach people on
//! other nodes (a room message, a private message) is published on a
//! [`Subject`]; each node subscribes to the subjects its own people need and
//! receives [`BusMessage`]s from the other nodes through its [`BusLink`].
//! A node never receives its own publications back: it has already delivered
//! them locally, which keeps the single-node path free of any bus cost.
//!
//! [`LocalBus`] links hubs inside one process (one node needs nothing more;
//! several in-process hubs are how cluster behaviour is tested). A NATS
//! implementation will provide the same [`BusLink`] shape, one subject per
//! room and per user.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use tchatche_protocol::{Band, DirectMessage, RoomMessage, UserId};
use tokio::sync::mpsc;

/// Identifies a node within a cluster.
pub type NodeId = u32;

/// Where a message is addressed. Room subjects include the band, so the two
/// bands never share a subject.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Subject {
    /// Everyone in one room of one band.
    Room {
        /// The room's band.
        band: Band,
        /// The room's slug.
        slug: String,
    },
    /// One person, wherever they are connected.
    User(UserId),
}

/// What travels between nodes.
#[derive(Clone, Debug, PartialEq)]
pub enum BusMessage {
    /// A room message already accepted by the sender's node.
    Room {
        /// The room's band.
        band: Band,
        /// The message.
        message: RoomMessage,
    },
    /// A private message already accepted by the sender's node.
    Dm(DirectMessage),
}

/// A message received from another node.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    /// The node that published it.
    pub origin: NodeId,
    /// Its subject.
    pub subject: Subject,
    /// The message.
    pub message: Arc<BusMessage>,
}

/// One node's connection to the bus.
pub trait BusLink: Send + 'static {
    /// This node's id.
    fn node(&self) -> NodeId;
    /// Sends to every other node subscribed to `subject`. Never blocks: a
    /// node that cannot keep up loses messages rather than slowing the sender.
    fn publish(&self, subject: Subject, message: Arc<BusMessage>);
    /// Starts receiving messages published on `subject` by other nodes.
    fn subscribe(&self, subject: Subject);
    /// Stops receiving them.
    fn unsubscribe(&self, subject: &Subject);
    /// The stream of messages from other nodes.
    fn incoming(&mut self) -> &mut mpsc::Receiver<Delivery>;
}

#[derive(Default)]
struct LocalNodes {
    nodes: HashMap<NodeId, LocalNode>,
}

struct LocalNode {
    subscriptions: HashSet<Subject>,
    inbox: mpsc::Sender<Delivery>,
}

/// A bus inside one process: every [`LocalBus::attach`]ed node is a peer.
#[derive(Clone, Default)]
pub struct LocalBus {
    nodes: Arc<Mutex<LocalNodes>>,
}

impl LocalBus {
    /// Messages a node may have waiting before further ones are dropped.
    pub const INBOX: usize = 65_536;

    /// An empty bus.
    pub fn new() -> LocalBus {
        LocalBus::default()
    }

    /// Adds a node and returns its link. Attaching the same id twice replaces
    /// the earlier link.
    pub fn attach(&self, node: NodeId) -> LocalLink {
        let (inbox, incoming) = mpsc::channel(Self::INBOX);
        let mut nodes = self.nodes.lock().unwrap_or_else(PoisonError::into_inner);
        nodes.nodes.insert(
            node,
            LocalNode {
                subscriptions: HashSet::new(),
                inbox,
            },
        );
        LocalLink {
            bus: self.clone(),
            node,
            incoming,
        }
    }
}

/// A node's link to a [`LocalBus`].
pub struct LocalLink {
    bus: LocalBus,
    node: NodeId,
    incoming: mpsc::Receiver<Delivery>,
}

impl BusLink for LocalLink {
    fn node(&self) -> NodeId {
        self.node
    }

    fn publish(&self, subject: Subject, message: Arc<BusMessage>) {
        let nodes = self
            .bus
            .nodes
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for (id, node) in &nodes.nodes {
            if *id != self.node && node.subscriptions.contains(&subject) {
                // A full inbox drops the message for that node only.
                let _ = node.inbox.try_send(Delivery {
                    origin: self.node,
                    subject: subject.clone(),
                    message: Arc::clone(&message),
                });
            }
        }
    }

    fn subscribe(&self, subject: Subject) {
        let mut nodes = self
            .bus
            .nodes
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(node) = nodes.nodes.get_mut(&self.node) {
            node.subscriptions.insert(subject);
        }
    }

    fn unsubscribe(&self, subject: &Subject) {
        let mut nodes = self
            .bus
            .nodes
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(node) = nodes.nodes.get_mut(&self.node) {
            node.subscriptions.remove(subject);
        }
    }

    fn incoming(&mut self) -> &mut mpsc::Receiver<Delivery> {
        &mut self.incoming
    }
}

impl Drop for LocalLink {
    fn drop(&mut self) {
        let mut nodes = self
            .bus
            .nodes
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        nodes.nodes.remove(&self.node);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tchatche_protocol::{Author, MessageId};

    fn message(body: &str) -> Arc<BusMessage> {
        Arc::new(BusMessage::Room {
            band: Band::Adult,
            message: RoomMessage {
                room: "paris".into(),
                id: MessageId(1),
                author: Author {
                    id: UserId(1),
                    nick: "alice".into(),
                    member: false,
                },
                body: body.into(),
                at: 0,
                reply: None,
                mentions: Vec::new(),
            },
        })
    }

    fn paris(band: Band) -> Subject {
        Subject::Room {
            band,
            slug: "paris".into(),
        }
    }

    #[test]
    fn only_subscribed_other_nodes_receive() {
        let bus = LocalBus::new();
        let one = bus.attach(1);
        let mut two = bus.attach(2);
        let mut three = bus.attach(3);
        two.subscribe(paris(Band::Adult));
        three.subscribe(paris(Band::Teen));
        one.subscribe(paris(Band::Adult));

        one.publish(paris(Band::Adult), message("salut"));

        let received = two.incoming().try_recv();
        assert_eq!(
            received.map(|d| (d.origin, d.message)),
            Ok((1, message("salut")))
        );
        // The teen room with the same slug is another subject.
        assert!(three.incoming().try_recv().is_err());
        // The publisher does not hear itself.
        let mut one = one;
        assert!(one.incoming().try_recv().is_err());
    }

    #[test]
    fn unsubscribe_and_detach_stop_delivery() {
        let bus = LocalBus::new();
        let one = bus.attach(1);
        let mut two = bus.attach(2);
        two.subscribe(paris(Band::Adult));
        two.unsubscribe(&paris(Band::Adult));
        one.publish(paris(Band::Adult), message("a"));
        assert!(two.incoming().try_recv().is_err());

        two.subscribe(paris(Band::Adult));
        drop(two);
        // Publishing to a detached node is harmless.
        one.publish(paris(Band::Adult), message("b"));
        assert_eq!(bus.nodes.lock().map(|n| n.nodes.len()).unwrap_or(0), 1);
    }
}
