//! The hub: the only owner of live state — sessions, people, rooms,
//! scrollback, private conversations — and the one place where the rules
//! (band isolation, privacy, permissions, the safety decision) are applied
//! before anything is delivered.
//!
//! Transports hold a [`HubHandle`] and one [`Connection`] per client; they
//! send parsed commands and write out whatever lands in the connection's
//! bounded outbox. The hub runs as a single task: no locks on the message
//! path, and a total order of events that every client observes.

mod accounts;
mod conversations;
pub mod credentials;
mod effects;
mod entry;
mod handle;
mod history;
mod ids;
mod outbox;
mod people;
mod relay;
mod review;
mod rooms;
mod sanctions;
mod session;
mod settings;
mod speech;
mod staff;
mod state;
#[cfg(test)]
mod testing;
mod throttle;
mod work;

use std::sync::Arc;

pub use handle::{Connection, ConnectionInfo, HubHandle, HubStopped, Transport, TryRequestError};
pub use ids::now_ms;
pub use outbox::{
    GOODBYE_TIMEOUT, Next, OutboxReceiver, Outgoing, QueueError, WireFormat, WriteStopped,
    write_unless_too_slow,
};
pub use settings::{AccountSettings, HubSettings};
pub use staff::StaffStores;

use tchatche_bus::BusLink;
use tchatche_store::{AccountStore, HistoryStore, HistoryWriter, Receipts, StoreError};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Requests that may wait for the hub before their senders are slowed down.
const REQUEST_QUEUE: usize = 16_384;

/// Why a hub could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Room history or the member nicknames could not be read.
    #[error("loading the hub's state from the store")]
    Store(#[from] StoreError),
    /// The password hashing parameters are unusable.
    #[error("setting up password hashing")]
    Hashing(#[from] credentials::HashingFailed),
}

/// Where the hub keeps what outlives it.
pub struct HubStores {
    /// Room history, read at start for each seeded room's scrollback.
    pub history: Option<Arc<dyn HistoryStore>>,
    /// The batching writer room messages go through.
    pub history_writer: Option<HistoryWriter>,
    /// The writer's receipts: an author hears `sent` once their message
    /// is stored.
    pub history_receipts: Option<Receipts>,
    /// Member accounts; without it, registration and login fail with
    /// `server_error`.
    pub accounts: Option<Arc<dyn AccountStore>>,
    /// Sanctions and the audit log; without them, sanctions last only as
    /// long as the process and are not audited.
    pub staff: Option<StaffStores>,
}

/// Starts a hub: loads each seeded room's scrollback and the member
/// nicknames from `stores`, then runs until [`HubHandle::shutdown`]. Room
/// messages are written through the history writer; events for other nodes
/// go through `bus`.
pub async fn start(
    settings: HubSettings,
    stores: HubStores,
    bus: Box<dyn BusLink>,
) -> Result<(HubHandle, JoinHandle<()>), StartError> {
    let settings = Arc::new(settings);
    let hub = state::Hub::new(state::Beginning {
        settings: Arc::clone(&settings),
        store: stores.history,
        history: history::HistoryWrites::new(stores.history_writer, stores.history_receipts),
        accounts: stores.accounts,
        staff: stores.staff,
        bus,
    })
    .await?;
    Ok(launch(hub))
}

/// Runs a hub on its own task; returns the handle transports use.
fn launch(hub: state::Hub) -> (HubHandle, JoinHandle<()>) {
    let settings = Arc::clone(&hub.settings);
    let (control_tx, control_rx) = mpsc::unbounded_channel();
    let (requests_tx, requests_rx) = mpsc::channel(REQUEST_QUEUE);
    let handle = HubHandle::new(
        control_tx,
        requests_tx,
        settings.limits(),
        settings.outbound_queue,
    );
    let task = tokio::spawn(hub.run(control_rx, requests_rx));
    (handle, task)
}
