//! The reading half of a connection: frames to commands, and the answers to
//! frames that cannot become commands.

use fastwebsockets::{Frame, OpCode, Payload, Role, WebSocketError, after_handshake_split};
use tchatche_hub::{CloseWatch, Connection};
use tchatche_protocol::{ErrorCode, ErrorEvent, Event, decode_request};
use tokio::io::AsyncRead;
use tokio::sync::mpsc;

use crate::writer::Control;

/// Frames above this many times the frame limit (and at least 1 MiB) are not
/// even read: the connection is closed, since reading them would cost memory
/// and skipping them is not possible. Smaller oversize frames are read and
/// answered with `frame_too_large`.
const HARD_FRAME_FACTOR: usize = 4;
const HARD_FRAME_MINIMUM: usize = 1 << 20;

/// Limits on what a client may send.
#[derive(Clone, Copy, Debug)]
pub struct FrameLimits {
    /// Largest frame (or reassembled message) answered with a command; larger
    /// ones get `frame_too_large`.
    pub max_frame_bytes: usize,
    /// Unreadable frames in a row before the connection is closed.
    pub max_bad_frames: u32,
}

/// Reads until the client leaves, the connection is asked to close, or the
/// client sends too much garbage.
pub(crate) async fn run<R: AsyncRead + Unpin>(
    read_half: R,
    connection: &Connection,
    mut close_watch: CloseWatch,
    controls: mpsc::Sender<Control>,
    limits: FrameLimits,
) {
    let (mut socket, _) = after_handshake_split(read_half, tokio::io::sink(), Role::Server);
    socket.set_max_message_size(
        (limits.max_frame_bytes * HARD_FRAME_FACTOR).max(HARD_FRAME_MINIMUM) + 1,
    );
    let mut bad_frames = 0_u32;
    // A message split over several frames, being reassembled.
    let mut partial: Option<Vec<u8>> = None;
    let mut partial_too_large = false;
    loop {
        let mut send_control = |frame: Frame<'_>| {
            let control = Control::from_frame(&frame);
            let controls = controls.clone();
            async move {
                controls
                    .send(control)
                    .await
                    .map_err(|_| WebSocketError::ConnectionClosed)
            }
        };
        let frame = tokio::select! {
            biased;
            _ = close_watch.closed() => return,
            frame = socket.read_frame(&mut send_control) => frame,
        };
        let outcome: Result<(), ErrorEvent> = match frame {
            Err(WebSocketError::InvalidUTF8) => Err(ErrorEvent::new(None, ErrorCode::InvalidUtf8)),
            Err(error) => {
                tracing::debug!(%error, "websocket read ended");
                return;
            }
            Ok(frame) => match frame.opcode {
                OpCode::Close => return,
                OpCode::Ping | OpCode::Pong => continue,
                OpCode::Text | OpCode::Binary if frame.fin => {
                    partial = None;
                    handle_message(connection, &frame.payload, limits).await
                }
                OpCode::Text | OpCode::Binary => {
                    partial_too_large = frame.payload.len() > limits.max_frame_bytes;
                    partial = Some(if partial_too_large {
                        Vec::new()
                    } else {
                        frame.payload.to_vec()
                    });
                    continue;
                }
                OpCode::Continuation => {
                    let Some(mut message) = partial.take() else {
                        // A continuation without a start: unreadable.
                        bad_frames += 1;
                        if reply_error(
                            connection,
                            ErrorEvent::new(None, ErrorCode::BadJson)
                                .with_detail("continuation frame without a first frame"),
                            &mut bad_frames,
                            limits,
                        ) {
                            continue;
                        }
                        return;
                    };
                    if !partial_too_large {
                        message.extend_from_slice(&frame.payload);
                        partial_too_large = message.len() > limits.max_frame_bytes;
                        if partial_too_large {
                            message = Vec::new();
                        }
                    }
                    if !frame.fin {
                        partial = Some(message);
                        continue;
                    }
                    if partial_too_large {
                        partial_too_large = false;
                        Err(ErrorEvent::new(None, ErrorCode::FrameTooLarge)
                            .with_detail(format!("limit {} bytes", limits.max_frame_bytes)))
                    } else {
                        handle_message(connection, &Payload::Owned(message), limits).await
                    }
                }
            },
        };
        match outcome {
            Ok(()) => bad_frames = 0,
            Err(error) => {
                bad_frames += 1;
                if !reply_error(connection, error, &mut bad_frames, limits) {
                    return;
                }
            }
        }
    }
}

/// Sends the error for an unreadable frame; false when the connection must
/// close because there were too many in a row.
fn reply_error(
    connection: &Connection,
    error: ErrorEvent,
    bad_frames: &mut u32,
    limits: FrameLimits,
) -> bool {
    if *bad_frames >= limits.max_bad_frames {
        connection.close(ErrorCode::TooManyBadFrames);
        return false;
    }
    // A full queue means the writer is already closing the connection as too slow.
    let _ = connection.reply(Event::Error(error));
    true
}

/// Decodes one complete message and hands it to the hub.
async fn handle_message(
    connection: &Connection,
    payload: &[u8],
    limits: FrameLimits,
) -> Result<(), ErrorEvent> {
    if payload.len() > limits.max_frame_bytes {
        return Err(ErrorEvent::new(None, ErrorCode::FrameTooLarge)
            .with_detail(format!("limit {} bytes", limits.max_frame_bytes)));
    }
    let request = decode_request(payload)?;
    // The hub stopping ends the connection through the close watch.
    let _ = connection.request(request.req, request.command).await;
    Ok(())
}
