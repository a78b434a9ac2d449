//! Private conversations: private messages, typing and "seen" between two
//! people of one band, who may write to whom (DM privacy), and who has a
//! conversation with whom — a side table keyed by session, so that only
//! people who wrote to someone carry one.

use std::collections::{HashMap, HashSet};

use tchatche_protocol::{
    DirectMessage, DmAcceptance, ErrorCode, Event, MessageId, PrivateCommand, UserId,
};
use tchatche_safety::may_see;

use crate::speech::Speech;
use crate::state::{Hub, Outcome, refuse};

/// Who exchanged private messages with whom during their sessions.
#[derive(Default)]
pub(crate) struct Conversations {
    with: HashMap<UserId, HashSet<UserId>>,
}

impl Conversations {
    /// Notes that `a` and `b` have a conversation.
    fn open(&mut self, a: UserId, b: UserId) {
        self.with.entry(a).or_default().insert(b);
        self.with.entry(b).or_default().insert(a);
    }

    /// Whether `a` has a conversation with `b`.
    fn exists(&self, a: UserId, b: UserId) -> bool {
        self.with.get(&a).is_some_and(|peers| peers.contains(&b))
    }

    /// `id` left: their conversations end (ids are never reused, so those
    /// who wrote to them keep nothing that could reach someone else).
    pub fn forget(&mut self, id: UserId) {
        if let Some(peers) = self.with.remove(&id) {
            for peer in peers {
                if let Some(theirs) = self.with.get_mut(&peer) {
                    theirs.remove(&id);
                    if theirs.is_empty() {
                        self.with.remove(&peer);
                    }
                }
            }
        }
    }
}

impl Hub {
    pub(crate) fn dm(&mut self, id: UserId, req: Option<u32>, to: UserId, body: String) -> Outcome {
        if to == id {
            self.person(id, req)?;
            return Err(refuse(req, ErrorCode::DmSelf));
        }
        let spoken = self.speak(id, req, &Speech::Private { to }, body)?;
        let (Ok(sender), Ok(recipient)) = (self.person(id, req), self.person(to, req)) else {
            return Ok(());
        };
        let message = DirectMessage {
            id: spoken.id,
            from: sender.author(id),
            to: recipient.author(to),
            body: spoken.text,
            at: spoken.at,
        };
        self.send(
            id,
            Event::Sent {
                req,
                id: message.id,
            },
        );
        self.send(to, Event::Dm(message.clone()));
        self.send(id, Event::Dm(message));
        if let Ok(person) = self.person_mut(id, req) {
            person.last_active = tokio::time::Instant::now().into_std();
        }
        self.conversations.open(id, to);
        Ok(())
    }

    /// A private message to a nickname: the recipient is found as `whois`
    /// finds them, then everything is as for [`Hub::dm`].
    pub(crate) fn dm_nick(
        &mut self,
        id: UserId,
        req: Option<u32>,
        nick: &str,
        body: String,
    ) -> Outcome {
        let band = self.person(id, req)?.band;
        let Some((to, _)) = self.find_by_nick(band, nick) else {
            return Err(refuse(req, ErrorCode::UserNotFound));
        };
        self.dm(id, req, to, body)
    }

    pub(crate) fn dm_typing(&mut self, id: UserId, req: Option<u32>, to: UserId) -> Outcome {
        if to == id {
            self.person(id, req)?;
            return Err(refuse(req, ErrorCode::DmSelf));
        }
        // Typing reveals as much as a message: the same decision, no text.
        self.may_signal(id, req, &Speech::Private { to })?;
        let user = self.person(id, req)?.author(id);
        self.send(to, Event::DmTyping { user });
        self.acknowledge(id, req);
        Ok(())
    }

    pub(crate) fn dm_seen(
        &mut self,
        id: UserId,
        req: Option<u32>,
        with: UserId,
        up_to: MessageId,
    ) -> Outcome {
        let reader = self.person(id, req)?;
        let visible = self
            .sessions
            .get(&with)
            .and_then(|session| session.person.as_ref())
            .is_some_and(|other| may_see(reader.band, other.band));
        if !visible {
            return Err(refuse(req, ErrorCode::UserNotFound));
        }
        // "Seen" only goes back within a conversation that exists, so it is
        // never a way to reach someone who refuses private messages.
        if !self.conversations.exists(id, with) {
            return Err(refuse(req, ErrorCode::NoConversation));
        }
        self.send(with, Event::DmSeen { by: id, up_to });
        self.acknowledge(id, req);
        Ok(())
    }

    pub(crate) fn set_dm_privacy(
        &mut self,
        id: UserId,
        req: Option<u32>,
        accept: DmAcceptance,
    ) -> Outcome {
        self.person_mut(id, req)?.accepts = accept;
        self.send(id, Event::Ok { req });
        Ok(())
    }
}

impl Hub {
    /// The commands of this family, each to its handler.
    pub(crate) fn private_command(
        &mut self,
        id: UserId,
        req: Option<u32>,
        command: PrivateCommand,
    ) -> Outcome {
        match command {
            PrivateCommand::Dm { to, body } => self.dm(id, req, to, body),
            PrivateCommand::DmNick { nick, body } => self.dm_nick(id, req, &nick, body),
            PrivateCommand::DmTyping { to } => self.dm_typing(id, req, to),
            PrivateCommand::DmSeen { with, up_to } => self.dm_seen(id, req, with, up_to),
            PrivateCommand::SetDmPrivacy { accept } => self.set_dm_privacy(id, req, accept),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_conversation_goes_with_either_side() {
        let (alice, bob, carol) = (UserId(1), UserId(2), UserId(3));
        let mut conversations = Conversations::default();
        conversations.open(alice, bob);
        conversations.open(alice, carol);
        assert!(conversations.exists(bob, alice) && conversations.exists(alice, carol));
        assert!(!conversations.exists(bob, carol));
        conversations.forget(alice);
        assert!(!conversations.exists(bob, alice) && !conversations.exists(carol, alice));
        assert!(
            conversations.with.is_empty(),
            "nothing left for people gone"
        );
    }
}
