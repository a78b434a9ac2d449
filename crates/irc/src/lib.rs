//! The IRC gateway: a second transport on the same hub, so people in irssi,
//! WeeChat or HexChat share the rooms and people of the web client.
//!
//! - [`codec`]: the sans-IO line codec (bytes in, messages out).
//! - [`session`]: one client's state, IRC commands to hub commands and hub
//!   events to IRC lines, with no IO.
//! - [`sasl`]: SASL PLAIN over `AUTHENTICATE`, a sans-IO state machine.
//! - `connection`: the task that runs a session on a socket.
//!
//! Architecture invariant: like the WebSocket transport, this crate knows
//! its wire format and nothing of the rules. Every message goes through the
//! hub, which applies band isolation and the safety decision exactly as for
//! the web.

pub mod codec;
mod connection;
pub mod numeric;
pub mod profile;
pub mod render;
pub mod sasl;
pub mod session;
pub mod tls;

use std::sync::Arc;

use tchatche_hub::HubHandle;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

pub use connection::connection_task;
pub use session::IrcSettings;

/// Time a TLS client has to finish its handshake.
const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Accepts IRC connections (over TLS when `tls` is given) until `stopped`
/// turns true. Each connection holds a permit of `connections` (shared with
/// the other transports) while it runs.
pub async fn serve(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    hub: HubHandle,
    settings: Arc<IrcSettings>,
    connections: Arc<Semaphore>,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stopped.wait_for(|stop| *stop) => return,
        };
        let (mut stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of descriptors or similar: wait a little rather than spin.
                tracing::warn!(%error, "irc accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&connections).try_acquire_owned() else {
            use tokio::io::AsyncWriteExt;
            let _ = stream
                .write_all(b"ERROR :Closing link: the server is full, try again later\r\n")
                .await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let settings = Arc::clone(&settings);
        // A plain connection's task is the connection itself, sized for it
        // alone (not for the TLS state, nor for the hub handle).
        match tls.clone() {
            None => {
                if let Some(task) = connection_task(&hub, stream, peer, settings, permit) {
                    tokio::spawn(task);
                }
            }
            Some(acceptor) => {
                let hub = hub.clone();
                tokio::spawn(async move {
                    // A client that never finishes its handshake holds nothing for long.
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => {
                            if let Some(task) =
                                connection_task(&hub, stream, peer, settings, permit)
                            {
                                task.await;
                            }
                        }
                        Ok(Err(error)) => {
                            tracing::debug!(%peer, %error, "IRC TLS handshake failed")
                        }
                        Err(_) => tracing::debug!(%peer, "IRC TLS handshake timed out"),
                    }
                });
            }
        }
    }
}
