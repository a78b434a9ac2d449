//! Slow work off the hub: what background tasks (credential jobs, the
//! staff writer) report back to the hub loop when they are done, on one
//! channel the loop waits on. The hub never awaits such work; a session
//! whose answer depends on it waits with its later requests parked, in
//! order (see `Hub::on_request`).

use tchatche_protocol::{Event, UserId};
use tokio::sync::mpsc;

use crate::accounts::JobDone;

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
}

/// Where background work reports.
pub(crate) type DoneSender = mpsc::UnboundedSender<Done>;
