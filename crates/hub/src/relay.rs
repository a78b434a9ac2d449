//! The relay: all of the hub's bus traffic, in one place. It publishes
//! what the effects say (a room message for the other nodes, the rooms
//! this node's people are in), and hands what other nodes published to the
//! hub, which delivers it to its own people. One node's bus (`LocalBus`
//! with no peer) carries nothing.

use std::sync::Arc;

use tchatche_bus::{BusLink, BusMessage, Delivery, Subject};
use tchatche_protocol::Event;
use tokio::sync::mpsc;

use crate::effects::Recipients;
use crate::outbox::Outgoing;
use crate::state::Hub;

/// The hub's link to the other nodes.
pub(crate) struct Relay {
    link: Box<dyn BusLink>,
}

impl Relay {
    /// A relay over `link`.
    pub fn new(link: Box<dyn BusLink>) -> Relay {
        Relay { link }
    }

    /// Publishes for the other nodes subscribed to `subject`.
    pub fn publish(&self, subject: Subject, message: BusMessage) {
        self.link.publish(subject, Arc::new(message));
    }

    /// Starts receiving what other nodes publish on `subject`.
    pub fn subscribe(&self, subject: Subject) {
        self.link.subscribe(subject);
    }

    /// Stops receiving it.
    pub fn unsubscribe(&self, subject: &Subject) {
        self.link.unsubscribe(subject);
    }

    /// What other nodes published, for the hub loop to wait on.
    pub fn incoming(&mut self) -> &mut mpsc::Receiver<Delivery> {
        self.link.incoming()
    }
}

impl Hub {
    /// Something another node published: delivered to this node's people
    /// it concerns, as if it had happened here.
    pub(crate) fn on_bus(&mut self, delivery: Delivery) {
        match &*delivery.message {
            BusMessage::Room { band, message } => {
                let scrollback = self.settings.scrollback;
                if let Some(room) = self.band_mut(*band).rooms.get_mut(&message.room) {
                    crate::rooms::remember(room, message.clone(), scrollback);
                    self.effects.deliver(
                        Recipients::Room {
                            band: *band,
                            slug: message.room.clone(),
                            except: None,
                        },
                        Outgoing::new(Event::Message(message.clone())),
                    );
                }
            }
            BusMessage::Dm(message) => {
                self.effects.send(message.to.id, Event::Dm(message.clone()));
            }
        }
    }
}
