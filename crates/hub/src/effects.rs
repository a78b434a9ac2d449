//! Effects: what a handler decided must happen, applied in one place.
//!
//! Handlers change the hub's state and say what follows from it — frames
//! to deliver, sessions to close, messages to store, publications and
//! subscriptions for the bus — by pushing [`Effect`]s; the hub loop applies
//! them after each step ([`Hub::settle`]), in the order they were decided.
//! Recipients are named ([`Recipients`]) and resolved when applied, after
//! the step's changes: a room's members are those who are in it once the
//! step is over, so a handler says "the room, but the newcomer" rather than
//! collecting queues. Every effect of a step is applied before the next
//! request is handled, so every client still sees events in the hub's
//! order.

use tchatche_bus::{BusMessage, Subject};
use tchatche_protocol::{Band, ErrorCode, Event, UserId};
use tchatche_store::StoredMessage;

use crate::outbox::{OutboxSender, Outgoing, QueueError};
use crate::state::Hub;

/// Who a frame goes to.
pub(crate) enum Recipients {
    /// One session.
    One(UserId),
    /// The members of a room of a band, but `except`.
    Room {
        band: Band,
        slug: String,
        except: Option<UserId>,
    },
    /// The members of a room of a band, and someone who is not (or no
    /// longer) one of them.
    RoomAnd {
        band: Band,
        slug: String,
        also: UserId,
    },
    /// These people of a band, those still entered in it.
    People { band: Band, ids: Vec<UserId> },
    /// Everyone entered in a band.
    Band(Band),
    /// A band's presence watchers.
    Watchers(Band),
    /// A band's directory watchers.
    DirectoryWatchers(Band),
    /// Staff online.
    Staff,
    /// These queues, taken when decided: for those whom the step's changes
    /// would no longer find (the people who shared a room with someone who
    /// left the site).
    Queues(Vec<(UserId, OutboxSender)>),
}

/// One thing a step decided.
pub(crate) enum Effect {
    /// Queue a frame for some sessions.
    Deliver { to: Recipients, frame: Outgoing },
    /// Ask a session's connection to close with `reason`; with
    /// `after_queued`, once what is queued for it is written (last words).
    Close {
        id: UserId,
        reason: ErrorCode,
        after_queued: bool,
    },
    /// Store a room message; its author hears `sent` once it is stored.
    Store {
        message: StoredMessage,
        author: UserId,
        req: Option<u32>,
    },
    /// Publish for the other nodes.
    Publish {
        subject: Subject,
        message: BusMessage,
    },
    /// Start receiving what other nodes publish on a subject.
    Subscribe(Subject),
    /// Stop receiving it.
    Unsubscribe(Subject),
}

/// The effects of the current step, in the order decided.
#[derive(Default)]
pub(crate) struct Effects(Vec<Effect>);

impl Effects {
    /// Adds an effect.
    pub fn push(&mut self, effect: Effect) {
        self.0.push(effect);
    }

    /// One event to one session.
    pub fn send(&mut self, to: UserId, event: Event) {
        self.deliver(Recipients::One(to), Outgoing::new(event));
    }

    /// One frame to some sessions.
    pub fn deliver(&mut self, to: Recipients, frame: Outgoing) {
        self.0.push(Effect::Deliver { to, frame });
    }

    fn take(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.0)
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Queues `frame` on `outbox`; a full or closed queue marks the session for
/// closing.
fn deliver(id: UserId, outbox: &OutboxSender, frame: &Outgoing, to_close: &mut Vec<UserId>) {
    match outbox.push(frame.clone()) {
        Ok(()) => {}
        Err(QueueError::Full) => {
            outbox.close(ErrorCode::TooSlow);
            to_close.push(id);
        }
        Err(QueueError::Closed) => to_close.push(id),
    }
}

/// Queues `frame` on every queue of `recipients`.
fn fan_out<'a>(
    recipients: impl Iterator<Item = (&'a UserId, &'a OutboxSender)>,
    frame: &Outgoing,
    to_close: &mut Vec<UserId>,
) {
    for (id, outbox) in recipients {
        deliver(*id, outbox, frame, to_close);
    }
}

impl Hub {
    /// Applies the step's effects, then drops the sessions marked for
    /// closing (which may decide more: their departure is told), until
    /// nothing is left.
    pub(crate) fn settle(&mut self) {
        loop {
            if !self.effects.is_empty() {
                let effects = self.effects.take();
                for effect in effects {
                    self.apply(effect);
                }
                // What applying decided (a `sent` when nothing is stored).
                continue;
            }
            let Some(id) = self.to_close.pop() else {
                return;
            };
            self.remove_session(id);
        }
    }

    fn apply(&mut self, effect: Effect) {
        match effect {
            Effect::Deliver { to, frame } => self.deliver_to(to, &frame),
            Effect::Close {
                id,
                reason,
                after_queued,
            } => {
                if let Some(session) = self.sessions.get(&id) {
                    if after_queued {
                        session.outbox.finish(reason);
                    } else {
                        session.outbox.close(reason);
                    }
                }
                self.to_close.push(id);
            }
            Effect::Store {
                message,
                author,
                req,
            } => {
                if let Some(event) = self.history.store(message, author, req) {
                    self.effects.send(author, event);
                }
            }
            Effect::Publish { subject, message } => self.relay.publish(subject, message),
            Effect::Subscribe(subject) => self.relay.subscribe(subject),
            Effect::Unsubscribe(subject) => self.relay.unsubscribe(&subject),
        }
    }

    fn deliver_to(&mut self, to: Recipients, frame: &Outgoing) {
        let to_close = &mut self.to_close;
        match to {
            Recipients::One(id) => {
                if let Some(session) = self.sessions.get(&id) {
                    deliver(id, &session.outbox, frame, to_close);
                }
            }
            Recipients::Room { band, slug, except } => {
                let state = match band {
                    Band::Teen => &self.teen,
                    Band::Adult => &self.adult,
                };
                if let Some(room) = state.rooms.get(&slug) {
                    let members = room
                        .member_queues()
                        .filter(|(member, _)| Some(**member) != except);
                    fan_out(members, frame, to_close);
                }
            }
            Recipients::RoomAnd { band, slug, also } => {
                let state = match band {
                    Band::Teen => &self.teen,
                    Band::Adult => &self.adult,
                };
                let mut told_also = false;
                if let Some(room) = state.rooms.get(&slug) {
                    told_also = room.members.contains_key(&also);
                    fan_out(room.member_queues(), frame, to_close);
                }
                if !told_also && let Some(session) = self.sessions.get(&also) {
                    deliver(also, &session.outbox, frame, to_close);
                }
            }
            Recipients::People { band, ids } => {
                let state = match band {
                    Band::Teen => &self.teen,
                    Band::Adult => &self.adult,
                };
                for id in ids {
                    if let Some(outbox) = state.people.get(&id) {
                        deliver(id, outbox, frame, to_close);
                    }
                }
            }
            Recipients::Band(band) => {
                let state = match band {
                    Band::Teen => &self.teen,
                    Band::Adult => &self.adult,
                };
                fan_out(state.people.iter(), frame, to_close);
            }
            Recipients::Watchers(band) => {
                let state = match band {
                    Band::Teen => &self.teen,
                    Band::Adult => &self.adult,
                };
                fan_out(state.watchers.iter(), frame, to_close);
            }
            Recipients::DirectoryWatchers(band) => {
                let state = match band {
                    Band::Teen => &self.teen,
                    Band::Adult => &self.adult,
                };
                fan_out(state.directory_watchers.iter(), frame, to_close);
            }
            Recipients::Staff => fan_out(self.staff.online.iter(), frame, to_close),
            Recipients::Queues(queues) => {
                for (id, outbox) in &queues {
                    deliver(*id, outbox, frame, to_close);
                }
            }
        }
    }
}
