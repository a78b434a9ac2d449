//! One WebSocket connection, as one task: the client's frames become
//! commands for the hub, and the frames the hub queued go out together in one
//! write.
//!
//! Memory is what limits how many people one server holds, and most
//! connections are idle most of the time, so an idle connection holds no
//! buffer: the socket is read only once it is readable, into a scratch buffer
//! on the stack, and the write buffer is released once the queue is empty.

use std::future::poll_fn;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::task::{Context, Poll};

use tchatche_hub::{
    Connection, GOODBYE_TIMEOUT, Next, OutboxReceiver, Outgoing, TryRequestError, WireFormat,
    write_unless_too_slow,
};
use tchatche_protocol::{Command, ErrorCode, ErrorEvent, Event, decode_request, encode_event};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::time::timeout;

use crate::frame::{Decoder, Item, ProtocolError, append_frame, opcode};

/// Most frames put in one socket write.
const MAX_BATCH: usize = 256;
/// Bytes read from the socket at a time (on the stack, not kept).
const SCRATCH: usize = 16 * 1024;
/// WebSocket close codes (RFC 6455 §7.4.1).
const CLOSE_NORMAL: u16 = 1000;
const CLOSE_GOING_AWAY: u16 = 1001;
const CLOSE_PROTOCOL_ERROR: u16 = 1002;
const CLOSE_POLICY: u16 = 1008;

/// Limits on what a client may send.
#[derive(Clone, Copy, Debug)]
pub struct FrameLimits {
    /// Largest message (frame, or fragments joined) answered with a command;
    /// larger ones are skipped unread and answered with `frame_too_large`.
    pub max_frame_bytes: usize,
    /// Unreadable frames in a row before the connection is closed.
    pub max_bad_frames: u32,
}

/// What the frames of one read ask for, in order. (Boxed payloads keep it
/// small: it is held across awaits, so its size is part of every
/// connection's task.)
enum Action {
    Request(Box<(Option<u32>, Command)>),
    Unreadable(Box<ErrorEvent>),
    Pong(Vec<u8>),
    Close(Vec<u8>),
}

/// How a read ended.
enum Read {
    /// Some bytes were decoded into the actions.
    Bytes,
    /// The client closed its side or the socket failed.
    Ended,
    /// The client broke the frame format.
    Broken(ProtocolError),
}

/// Whether the connection goes on after a step.
#[derive(PartialEq, Eq)]
enum Flow {
    Continue,
    Stop,
}

/// The socket and what is needed to write to it.
struct Link<S> {
    socket: S,
    outbox: OutboxReceiver,
    batch: Vec<Outgoing>,
    buffer: Vec<u8>,
}

/// Runs the connection until it closes.
pub(crate) async fn run<S: AsyncRead + AsyncWrite + Unpin>(
    socket: S,
    connection: Connection,
    outbox: OutboxReceiver,
    limits: FrameLimits,
) {
    let connection = &connection;
    let mut link = Link {
        socket,
        outbox,
        batch: Vec::new(),
        buffer: Vec::new(),
    };
    let mut decoder = Decoder::new(limits.max_frame_bytes);
    let mut actions = Vec::new();
    let mut bad_frames = 0_u32;
    loop {
        let read = tokio::select! {
            biased;
            next = link.outbox.next(&mut link.batch, MAX_BATCH) => {
                if link.deliver(next).await == Flow::Stop {
                    return;
                }
                continue;
            }
            read = poll_fn(|cx| poll_frames(cx, &mut link.socket, &mut decoder, &mut actions, limits.max_frame_bytes)) => read,
        };
        match read {
            Read::Bytes => {}
            Read::Ended => return,
            Read::Broken(error) => {
                tracing::debug!(%error, "websocket frame format broken");
                Box::pin(link.say_goodbye(None, CLOSE_PROTOCOL_ERROR, "protocol error")).await;
                return;
            }
        }
        for action in actions.drain(..) {
            let flow = match action {
                Action::Request(request) => {
                    bad_frames = 0;
                    let (req, command) = *request;
                    // Rarely waited for: the waiting future lives on the heap
                    // only while the hub is busy, not in every connection.
                    let waiting = match connection.try_request(req, command) {
                        Ok(()) => None,
                        Err(TryRequestError::Busy(command)) => {
                            Some(Box::pin(link.send_to_hub(connection, req, command)))
                        }
                        // The hub stopping ends the connection through its queue.
                        Err(TryRequestError::Stopped) => None,
                    };
                    match waiting {
                        Some(waiting) => waiting.await,
                        None => Flow::Continue,
                    }
                }
                Action::Unreadable(error) => {
                    bad_frames += 1;
                    if bad_frames >= limits.max_bad_frames {
                        // The errors already queued go out first, then the
                        // queue's close request says goodbye.
                        connection.finish(ErrorCode::TooManyBadFrames);
                        break;
                    }
                    // A full queue means the connection is already closing as too slow.
                    let _ = connection.reply(Event::Error(*error));
                    Flow::Continue
                }
                Action::Pong(payload) => Box::pin(link.control(opcode::PONG, &payload)).await,
                Action::Close(payload) => {
                    link.buffer.clear();
                    append_frame(&mut link.buffer, opcode::CLOSE, &payload);
                    Box::pin(link.finish()).await;
                    Flow::Stop
                }
            };
            if flow == Flow::Stop {
                return;
            }
        }
        if actions.capacity() > 16 {
            actions = Vec::new();
        }
    }
}

/// Reads what the socket has (without waiting once something was read) and
/// decodes it into `actions`. The read buffer lives on the stack of this
/// call only.
fn poll_frames<S: AsyncRead + Unpin>(
    cx: &mut Context<'_>,
    socket: &mut S,
    decoder: &mut Decoder,
    actions: &mut Vec<Action>,
    max_frame_bytes: usize,
) -> Poll<Read> {
    let mut scratch = [MaybeUninit::<u8>::uninit(); SCRATCH];
    let mut buf = ReadBuf::uninit(&mut scratch);
    match Pin::new(socket).poll_read(cx, &mut buf) {
        Poll::Pending => Poll::Pending,
        Poll::Ready(Err(error)) => {
            tracing::debug!(%error, "websocket read failed");
            Poll::Ready(Read::Ended)
        }
        Poll::Ready(Ok(())) if buf.filled().is_empty() => Poll::Ready(Read::Ended),
        Poll::Ready(Ok(())) => {
            let decoded = decoder.feed(buf.filled_mut(), &mut |item| {
                actions.push(match item {
                    Item::Message(payload) => match decode_request(payload) {
                        Ok(request) => Action::Request(Box::new((request.req, request.command))),
                        Err(error) => Action::Unreadable(Box::new(error)),
                    },
                    Item::TooLarge => Action::Unreadable(Box::new(
                        ErrorEvent::new(None, ErrorCode::FrameTooLarge)
                            .with_detail(format!("limit {} bytes", max_frame_bytes)),
                    )),
                    Item::OrphanContinuation => Action::Unreadable(Box::new(
                        ErrorEvent::new(None, ErrorCode::BadJson)
                            .with_detail("continuation frame without a first frame"),
                    )),
                    Item::Ping(payload) => Action::Pong(payload.to_vec()),
                    Item::Close(payload) => Action::Close(payload.to_vec()),
                });
            });
            Poll::Ready(match decoded {
                Ok(()) => Read::Bytes,
                Err(error) => Read::Broken(error),
            })
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Link<S> {
    /// Sends one command to the hub. While the hub's queue is full, what the
    /// hub already queued for this connection keeps going out, so a busy hub
    /// never makes a client look too slow.
    async fn send_to_hub(
        &mut self,
        connection: &Connection,
        req: Option<u32>,
        command: Command,
    ) -> Flow {
        let send = connection.request(req, command);
        tokio::pin!(send);
        loop {
            tokio::select! {
                biased;
                // The hub stopping ends the connection through its queue.
                _ = &mut send => return Flow::Continue,
                next = self.outbox.next(&mut self.batch, MAX_BATCH) => {
                    if self.deliver(next).await == Flow::Stop {
                        return Flow::Stop;
                    }
                }
            }
        }
    }

    /// Acts on what the hub's queue gave.
    async fn deliver(&mut self, next: Next) -> Flow {
        match next {
            Next::Frames => {
                self.buffer.clear();
                for frame in self.batch.drain(..) {
                    let text = frame.encoded(WireFormat::Json, encode_event);
                    append_frame(&mut self.buffer, opcode::TEXT, &text);
                }
                if write_unless_too_slow(&mut self.socket, &self.buffer, &self.outbox)
                    .await
                    .is_err()
                {
                    return Flow::Stop;
                }
                // An idle connection keeps no buffers: most connections are
                // idle most of the time, and a fresh allocation costs far less
                // than the write that follows it.
                if self.outbox.is_empty() {
                    self.buffer = Vec::new();
                    self.batch = Vec::new();
                }
                Flow::Continue
            }
            Next::Close(reason) => {
                let closing = (reason != ErrorCode::TooSlow).then_some(reason);
                Box::pin(self.say_goodbye(closing, close_code(reason), reason.as_str())).await;
                Flow::Stop
            }
            Next::Ended => {
                Box::pin(self.say_goodbye(None, CLOSE_GOING_AWAY, "")).await;
                Flow::Stop
            }
            // WebSocket clients are timed out by the hub itself.
            Next::Tick => Flow::Continue,
        }
    }

    /// Answers a control frame at once.
    async fn control(&mut self, code: u8, payload: &[u8]) -> Flow {
        self.buffer.clear();
        append_frame(&mut self.buffer, code, payload);
        match write_unless_too_slow(&mut self.socket, &self.buffer, &self.outbox).await {
            Ok(()) => Flow::Continue,
            Err(_) => Flow::Stop,
        }
    }

    /// The `closing` event (when there is a reason to give) and a close frame.
    async fn say_goodbye(&mut self, closing: Option<ErrorCode>, code: u16, reason: &str) {
        self.buffer.clear();
        if let Some(reason) = closing {
            append_frame(
                &mut self.buffer,
                opcode::TEXT,
                &encode_event(&Event::closing(reason)),
            );
        }
        let mut payload = code.to_be_bytes().to_vec();
        // Close reasons are limited to 123 bytes; ours are short ASCII codes.
        payload.extend_from_slice(&reason.as_bytes()[..reason.len().min(123)]);
        append_frame(&mut self.buffer, opcode::CLOSE, &payload);
        self.finish().await;
    }

    /// Writes what is in the buffer, within the goodbye time, and closes.
    async fn finish(&mut self) {
        let _ = timeout(GOODBYE_TIMEOUT, self.socket.write_all(&self.buffer)).await;
        let _ = timeout(GOODBYE_TIMEOUT, self.socket.shutdown()).await;
    }
}

fn close_code(reason: ErrorCode) -> u16 {
    match reason {
        ErrorCode::ShuttingDown | ErrorCode::IdleTimeout => CLOSE_GOING_AWAY,
        ErrorCode::TooManyBadFrames
        | ErrorCode::TooSlow
        | ErrorCode::Kicked
        | ErrorCode::Banned
        | ErrorCode::AddressBanned => CLOSE_POLICY,
        _ => CLOSE_NORMAL,
    }
}
