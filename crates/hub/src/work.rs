//! Slow work off the hub: what needs the store or the CPU for longer than
//! a message may wait (a password hash, an account read, a staff action's
//! record) runs on its own task, and reports back to the hub loop on one
//! channel when it is done. The hub never awaits such work.
//!
//! Work a session waits for ([`Hub::park_for`]) parks the session: its
//! later requests wait in order and are handled once the outcome is in,
//! so a client that pipelines sees every answer in the order it asked.

use tchatche_protocol::{Event, UserId};
use tokio::sync::mpsc;

use crate::accounts::JobDone;
use crate::state::Hub;

/// A piece of background work, done.
pub(crate) enum Done {
    /// A credential job's outcome, for the hub to act on.
    Credentials(JobDone),
    /// Something a session asked for is now recorded: tell it.
    Reply {
        /// Who asked.
        to: UserId,
        /// The answer.
        event: Event,
    },
    /// Work session `id` waited for: act on `outcome`, then handle the
    /// requests the session kept meanwhile.
    Unpark { id: UserId, outcome: Box<Done> },
}

/// Where background work reports.
pub(crate) type DoneSender = mpsc::UnboundedSender<Done>;

impl Hub {
    /// Runs `work` off the hub for session `id`, whose later requests wait
    /// until its outcome is handled.
    pub(crate) fn park_for(
        &mut self,
        id: UserId,
        work: impl Future<Output = Done> + Send + 'static,
    ) {
        if let Some(session) = self.sessions.get_mut(&id) {
            session.busy = true;
        }
        let done = self.work.clone();
        tokio::spawn(async move {
            let outcome = work.await;
            // The hub may have stopped meanwhile: nobody is left to tell.
            let _ = done.send(Done::Unpark {
                id,
                outcome: Box::new(outcome),
            });
        });
    }

    /// Background work is done: act on it.
    pub(crate) fn on_done(&mut self, done: Done) {
        match done {
            Done::Credentials(job) => self.on_job_done(job),
            Done::Reply { to, event } => self.send(to, event),
            Done::Unpark { id, outcome } => {
                let Some(session) = self.sessions.get_mut(&id) else {
                    // The connection closed meanwhile; what the work
                    // stored stays.
                    return;
                };
                session.busy = false;
                self.on_done(*outcome);
                self.settle();
                self.resume_parked(id);
            }
        }
    }
}
