//! The WebSocket transport: JSON text frames in, JSON text frames out.
//!
//! Each connection has two tasks. The reader turns frames into commands for
//! the hub and answers unreadable frames itself, without closing anything
//! but that request (20 unreadable frames in a row do close the connection,
//! with a reason). The writer owns the socket's write half: it takes every
//! frame already queued for the connection and sends them in one write.
//!
//! Architecture invariant: this crate knows the WebSocket wire format and
//! nothing of the rules; the hub knows the rules and nothing of WebSocket.

mod reader;
mod writer;

use std::net::SocketAddr;

use fastwebsockets::upgrade::UpgradeFut;
use tchatche_hub::{ConnectionInfo, HubHandle, Transport};

pub use reader::FrameLimits;

/// Runs one WebSocket connection until it closes.
pub async fn serve(hub: HubHandle, upgrade: UpgradeFut, peer: SocketAddr, limits: FrameLimits) {
    let socket = match upgrade.await {
        Ok(socket) => socket,
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
    let (read_half, write_half) = tokio::io::split(socket.into_inner());
    let (controls_tx, controls_rx) = tokio::sync::mpsc::channel(writer::CONTROL_QUEUE);
    let close_watch = outbox.close_watch();
    let writer = tokio::spawn(writer::run(write_half, outbox, controls_rx));
    reader::run(read_half, &connection, close_watch, controls_tx, limits).await;
    // Dropping the connection tells the hub; the writer ends when the hub
    // drops its side of the queue or a close was asked.
    drop(connection);
    let _ = writer.await;
}
