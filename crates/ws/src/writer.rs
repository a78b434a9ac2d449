//! The writing half of a connection: everything queued goes out in one write.

use bytes::Bytes;
use fastwebsockets::{Frame, OpCode, Payload};
use tchatche_hub::{Next, OutboxReceiver, Outgoing, WireFormat, write_unless_too_slow};
use tchatche_protocol::{ErrorCode, Event, encode_event};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::time::{Duration, timeout};

/// Control frames (pongs, the close echo) waiting for the writer.
pub(crate) const CONTROL_QUEUE: usize = 8;
/// Most frames put in one socket write.
const MAX_BATCH: usize = 256;
/// Time allowed to say goodbye (the `closing` event and the close frame).
const GOODBYE_TIMEOUT: Duration = Duration::from_secs(2);
/// WebSocket close code for a normal closure, and for "going away".
const CLOSE_NORMAL: u16 = 1000;
const CLOSE_GOING_AWAY: u16 = 1001;
const CLOSE_POLICY: u16 = 1008;

/// A control frame the reader owes the client.
pub(crate) enum Control {
    /// Answer to a ping.
    Pong(Bytes),
    /// Echo of the client's close frame: after it, nothing more is written.
    Close(Bytes),
}

impl Control {
    pub(crate) fn from_frame(frame: &Frame<'_>) -> Control {
        let payload = Bytes::copy_from_slice(&frame.payload);
        match frame.opcode {
            OpCode::Close => Control::Close(payload),
            _ => Control::Pong(payload),
        }
    }
}

fn append_frame(buffer: &mut Vec<u8>, opcode: OpCode, payload: &[u8]) {
    let mut head = [0_u8; 14];
    let mut frame = Frame::new(true, opcode, None, Payload::Borrowed(payload));
    let head_len = frame.fmt_head(&mut head);
    buffer.extend_from_slice(&head[..head_len]);
    buffer.extend_from_slice(payload);
}

fn close_payload(code: u16, reason: &str) -> Vec<u8> {
    let mut payload = code.to_be_bytes().to_vec();
    // Close reasons are limited to 123 bytes; ours are short ASCII codes.
    payload.extend_from_slice(&reason.as_bytes()[..reason.len().min(123)]);
    payload
}

fn close_code(reason: ErrorCode) -> u16 {
    match reason {
        ErrorCode::ShuttingDown => CLOSE_GOING_AWAY,
        ErrorCode::TooManyBadFrames | ErrorCode::TooSlow => CLOSE_POLICY,
        _ => CLOSE_NORMAL,
    }
}

/// Writes until the connection closes.
pub(crate) async fn run<W: AsyncWrite + Unpin>(
    mut socket: W,
    mut outbox: OutboxReceiver,
    mut controls: mpsc::Receiver<Control>,
) {
    let mut batch: Vec<Outgoing> = Vec::new();
    let mut buffer: Vec<u8> = Vec::new();
    let mut close_watch = outbox.close_watch();
    // The reader owns the other end; once it is gone only the outbox matters.
    let mut reader_alive = true;
    loop {
        let next = tokio::select! {
            biased;
            control = controls.recv(), if reader_alive => match control {
                Some(Control::Pong(payload)) => {
                    buffer.clear();
                    append_frame(&mut buffer, OpCode::Pong, &payload);
                    if socket.write_all(&buffer).await.is_err() {
                        return;
                    }
                    continue;
                }
                Some(Control::Close(payload)) => {
                    buffer.clear();
                    append_frame(&mut buffer, OpCode::Close, &payload);
                    let _ = timeout(GOODBYE_TIMEOUT, socket.write_all(&buffer)).await;
                    let _ = timeout(GOODBYE_TIMEOUT, socket.shutdown()).await;
                    return;
                }
                None => {
                    reader_alive = false;
                    continue;
                }
            },
            next = outbox.next(&mut batch, MAX_BATCH) => next,
        };
        match next {
            Next::Frames => {
                buffer.clear();
                for frame in batch.drain(..) {
                    let text = frame.encoded(WireFormat::Json, encode_event);
                    append_frame(&mut buffer, OpCode::Text, &text);
                }
                if write_unless_too_slow(&mut socket, &buffer, &mut close_watch, GOODBYE_TIMEOUT)
                    .await
                    .is_err()
                {
                    return;
                }
                // An idle connection keeps no buffers: most connections are
                // idle most of the time, and a fresh allocation costs far less
                // than the write that follows it.
                if outbox.is_empty() {
                    buffer = Vec::new();
                    batch = Vec::new();
                }
            }
            Next::Close(reason) => {
                buffer.clear();
                if reason != ErrorCode::TooSlow {
                    append_frame(
                        &mut buffer,
                        OpCode::Text,
                        &encode_event(&Event::closing(reason)),
                    );
                }
                let payload = close_payload(close_code(reason), reason.as_str());
                append_frame(&mut buffer, OpCode::Close, &payload);
                let _ = timeout(GOODBYE_TIMEOUT, socket.write_all(&buffer)).await;
                let _ = timeout(GOODBYE_TIMEOUT, socket.shutdown()).await;
                return;
            }
            Next::Ended => {
                let payload = close_payload(CLOSE_GOING_AWAY, "");
                buffer.clear();
                append_frame(&mut buffer, OpCode::Close, &payload);
                let _ = timeout(GOODBYE_TIMEOUT, socket.write_all(&buffer)).await;
                return;
            }
        }
    }
}
