//! The hub: the only owner of live state — sessions, people, rooms,
//! scrollback, private conversations — and the one place where the rules
//! (band isolation, privacy, permissions, the safety decision) are applied
//! before anything is delivered.
//!
//! Transports hold a [`HubHandle`] and one [`Connection`] per client; they
//! send parsed commands and write out whatever lands in the connection's
//! bounded outbox. The hub runs as a single task: no locks on the message
//! path, and a total order of events that every client observes.

mod entry;
mod handle;
mod ids;
mod outbox;
mod people;
mod rooms;
mod settings;
mod state;

use std::sync::Arc;

pub use handle::{Connection, ConnectionInfo, HubHandle, HubStopped, Transport, TryRequestError};
pub use ids::now_ms;
pub use outbox::{
    CloseWatch, Next, OutboxReceiver, Outgoing, QueueError, WireFormat, WriteStopped,
    write_unless_too_slow,
};
pub use settings::HubSettings;

use tchatche_bus::BusLink;
use tchatche_store::{HistoryStore, HistoryWriter, StoreError};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Requests that may wait for the hub before their senders are slowed down.
const REQUEST_QUEUE: usize = 16_384;

/// Starts a hub: loads each seeded room's scrollback from `store`, then runs
/// until [`HubHandle::shutdown`]. Room messages are written through
/// `history`; events for other nodes go through `bus`.
pub async fn start(
    settings: HubSettings,
    store: Option<Arc<dyn HistoryStore>>,
    history: Option<HistoryWriter>,
    bus: Box<dyn BusLink>,
) -> Result<(HubHandle, JoinHandle<()>), StoreError> {
    let settings = Arc::new(settings);
    let hub = state::Hub::new(Arc::clone(&settings), store, history, bus).await?;
    let (control_tx, control_rx) = mpsc::unbounded_channel();
    let (requests_tx, requests_rx) = mpsc::channel(REQUEST_QUEUE);
    let handle = HubHandle::new(
        control_tx,
        requests_tx,
        settings.limits(),
        settings.outbound_queue,
    );
    let task = tokio::spawn(hub.run(control_rx, requests_rx));
    Ok((handle, task))
}
