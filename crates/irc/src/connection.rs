//! One IRC connection: a single task that reads lines, writes replies and
//! hub events, and keeps the client alive with PING.
//!
//! The task owns the [`Session`], so no state is shared: each turn of the
//! loop handles what arrived (lines or events), forwards the session's hub
//! requests, then writes the response buffer in one socket write.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tchatche_hub::{
    ConnectionInfo, HubHandle, Next, Outgoing, Transport, WireFormat, write_unless_too_slow,
};
use tchatche_protocol::Event;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use tokio::time::Instant;

use crate::codec::LineBuffer;
use crate::render;
use crate::session::{IrcSettings, Session};

/// Silence after which the server sends a PING.
const PING_AFTER: Duration = Duration::from_secs(90);
/// Silence after which the client is gone.
const TIMEOUT_AFTER: Duration = Duration::from_secs(240);
/// Most events handled per turn.
const MAX_BATCH: usize = 256;
/// Time allowed to send the final ERROR line.
const GOODBYE_TIMEOUT: Duration = Duration::from_secs(2);
/// Unusable lines in a row before the connection is closed.
const MAX_BAD_LINES: u32 = 20;

/// Runs one IRC connection until it closes.
pub async fn serve_connection<S>(
    hub: HubHandle,
    stream: S,
    peer: SocketAddr,
    settings: Arc<IrcSettings>,
) where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let Ok(mut connection) = hub.connect(ConnectionInfo {
        peer,
        transport: Transport::Irc,
    }) else {
        return;
    };
    let Some(mut outbox) = connection.take_receiver() else {
        return;
    };
    let mut close_watch = outbox.close_watch();
    let (mut reader, mut writer) = tokio::io::split(stream);
    let mut session = Session::new(settings);
    let mut lines = LineBuffer::new();
    // Small: IRC lines are short, and most connections are idle most of the time.
    let mut read_buffer = vec![0_u8; 1024];
    let mut batch: Vec<Outgoing> = Vec::new();
    let mut wire: Vec<u8> = Vec::new();
    let mut last_heard = Instant::now();
    let mut pinged = false;
    let mut bad_lines = 0_u32;
    loop {
        let deadline = last_heard + if pinged { TIMEOUT_AFTER } else { PING_AFTER };
        tokio::select! {
            read = reader.read(&mut read_buffer) => {
                let Ok(read @ 1..) = read else { break };
                last_heard = Instant::now();
                pinged = false;
                lines.push(&read_buffer[..read]);
                while let Some(line) = lines.next_line() {
                    match line {
                        Ok(line) => {
                            bad_lines = 0;
                            session.on_line(&line);
                        }
                        Err(error) => {
                            bad_lines += 1;
                            session.on_bad_line(error);
                            if bad_lines >= MAX_BAD_LINES {
                                session.out.push_str("ERROR :Closing link: too many unreadable lines\r\n");
                                session.quit = true;
                            }
                        }
                    }
                    if session.quit {
                        break;
                    }
                }
            }
            next = outbox.next(&mut batch, MAX_BATCH) => match next {
                Next::Frames => {
                    for frame in batch.drain(..) {
                        render_event(&mut session, &frame, &mut wire);
                    }
                }
                Next::Close(reason) => {
                    if reason != tchatche_protocol::ErrorCode::TooSlow {
                        session.on_event(&Event::closing(reason));
                    }
                    session.quit = true;
                }
                Next::Ended => break,
            },
            () = tokio::time::sleep_until(deadline) => {
                if pinged {
                    session.out.push_str("ERROR :Closing link: ping timeout\r\n");
                    session.quit = true;
                } else {
                    pinged = true;
                    last_heard = Instant::now();
                    session.out.push_str("PING :tchatche\r\n");
                }
            }
        }
        for (req, command) in session.requests.drain(..) {
            if connection.request(req, command).await.is_err() {
                session.quit = true;
            }
        }
        wire.extend_from_slice(session.out.as_bytes());
        session.out.clear();
        if !wire.is_empty() {
            if write_unless_too_slow(&mut writer, &wire, &mut close_watch, GOODBYE_TIMEOUT)
                .await
                .is_err()
            {
                break;
            }
            wire.clear();
            if outbox.is_empty() {
                wire = Vec::new();
            }
        }
        if session.quit {
            break;
        }
    }
}

/// Writes one hub event for this client: room messages from their shared
/// encoding, everything else through the session.
fn render_event(session: &mut Session, frame: &Outgoing, wire: &mut Vec<u8>) {
    match frame.event() {
        Event::Message(message) => {
            // The hub sends room messages only to members: no membership check here.
            if session.wants_room_message(message) {
                // Whatever the session already queued goes first, to keep order.
                wire.extend_from_slice(session.out.as_bytes());
                session.out.clear();
                if let Some(label) = session.take_echo_label(message.id.0) {
                    // The echo of a labeled message carries its label: render
                    // it for this client alone.
                    let mut tag = String::from("label=");
                    crate::codec::escape_tag_value(&label, &mut tag);
                    for line in render::room_message_lines(message, true).split_inclusive("\r\n") {
                        wire.extend_from_slice(render::with_tag(line, &tag).as_bytes());
                    }
                    return;
                }
                // Each form is encoded once and shared by every client taking it.
                let encoded = if session.caps.tagged() {
                    frame.encoded(WireFormat::Irc, render::encode_room_message)
                } else {
                    frame.encoded(WireFormat::IrcPlain, render::encode_room_message_plain)
                };
                wire.extend_from_slice(&encoded);
            }
        }
        event => session.on_event(event),
    }
}
