//! The WebSocket transport: JSON text frames in, JSON text frames out.
//!
//! After the HTTP upgrade (done by the web server), each connection is one
//! task (`connection`) that decodes the client's frames with a sans-IO
//! decoder (`frame`) and writes every frame the hub queued for it in one
//! write. Unreadable frames are answered without closing anything but that
//! request (20 in a row do close the connection, with a reason); a broken
//! frame format closes it with status 1002, as RFC 6455 requires.
//!
//! Architecture invariant: this crate knows the WebSocket wire format and
//! nothing of the rules; the hub knows the rules and nothing of WebSocket.

mod connection;
mod frame;

use std::net::SocketAddr;

use fastwebsockets::upgrade::UpgradeFut;
use tchatche_hub::{ConnectionInfo, HubHandle, Transport};

pub use connection::FrameLimits;

/// Completes the upgrade, then runs the connection in a task of its own
/// until it closes; `guard` (a connection-limit permit, say) is dropped then.
///
/// The connection's task holds only what the connection needs: not the
/// handshake's state nor the hub handle, which are this function's and end
/// with it. (Memory per connection is what limits how many one server holds.)
pub async fn serve<G: Send + 'static>(
    hub: HubHandle,
    upgrade: UpgradeFut,
    peer: SocketAddr,
    limits: FrameLimits,
    guard: G,
) {
    // The handshake library's own reader (and its buffer) is dropped at once:
    // only the upgraded socket is kept.
    // Boxed so that the handshake's state is not part of every connection's
    // task for its whole life.
    let socket = match Box::pin(upgrade).await {
        Ok(socket) => socket.into_inner(),
        Err(error) => {
            tracing::debug!(%peer, %error, "websocket upgrade failed");
            return;
        }
    };
    let Ok(mut connection) = hub.connect(ConnectionInfo {
        peer,
        transport: Transport::WebSocket,
    }) else {
        return;
    };
    let Some(outbox) = connection.take_receiver() else {
        return;
    };
    tokio::spawn(async move {
        // Dropping the connection (at the end of `run`) tells the hub.
        connection::run(socket, connection, outbox, limits).await;
        drop(guard);
    });
}
