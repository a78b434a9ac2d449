//! The WebSocket frame format (RFC 6455 §5), sans-IO: bytes from a client in,
//! whole messages and control frames out; frame heads for what the server
//! sends.
//!
//! The decoder holds nothing between reads except the bytes of a frame that
//! has not fully arrived and a fragmented message being put together, so an
//! idle connection costs no buffer at all. A message larger than the limit is
//! never stored: its bytes are skipped as they arrive and it is reported once,
//! so a client cannot make the server hold more than one message's worth of
//! memory, and one oversize message closes nothing.

/// What a client's bytes turn into.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Item<'a> {
    /// A whole text or binary message (fragments joined), unmasked.
    Message(&'a [u8]),
    /// A message larger than the limit; its bytes were dropped.
    TooLarge,
    /// A continuation frame with no message to continue.
    OrphanContinuation,
    /// A ping, owed a pong with the same payload.
    Ping(&'a [u8]),
    /// The client's close frame (status code and reason).
    Close(&'a [u8]),
}

/// A violation of the frame format after which the connection cannot go on
/// (RFC 6455 §7.1.7: fail the connection).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ProtocolError {
    /// Reserved bits set without a negotiated extension.
    ReservedBits,
    /// An opcode RFC 6455 does not define.
    UnknownOpcode(u8),
    /// A frame from the client without a mask.
    Unmasked,
    /// A control frame that is fragmented or longer than 125 bytes.
    BadControlFrame,
    /// A 64-bit length with its top bit set.
    BadLength,
}

impl std::fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProtocolError::ReservedBits => f.write_str("reserved bits set"),
            ProtocolError::UnknownOpcode(opcode) => write!(f, "unknown opcode {opcode}"),
            ProtocolError::Unmasked => f.write_str("unmasked client frame"),
            ProtocolError::BadControlFrame => f.write_str("fragmented or long control frame"),
            ProtocolError::BadLength => f.write_str("invalid payload length"),
        }
    }
}

/// Frame opcodes.
pub(crate) mod opcode {
    pub const CONTINUATION: u8 = 0x0;
    pub const TEXT: u8 = 0x1;
    pub const BINARY: u8 = 0x2;
    pub const CLOSE: u8 = 0x8;
    pub const PING: u8 = 0x9;
    pub const PONG: u8 = 0xA;
}

const FIN: u8 = 0x80;
const RESERVED: u8 = 0x70;
const MASKED: u8 = 0x80;
const MAX_CONTROL_PAYLOAD: u64 = 125;

/// A frame's head, parsed.
struct Head {
    fin: bool,
    opcode: u8,
    mask: [u8; 4],
    /// Bytes of the head itself.
    len: usize,
    payload_len: u64,
}

/// Parses the head at the start of `bytes`; `None` until all of it is there.
fn parse_head(bytes: &[u8]) -> Result<Option<Head>, ProtocolError> {
    let [first, second, ..] = *bytes else {
        return Ok(None);
    };
    if first & RESERVED != 0 {
        return Err(ProtocolError::ReservedBits);
    }
    let opcode = first & 0x0F;
    if !matches!(
        opcode,
        opcode::CONTINUATION
            | opcode::TEXT
            | opcode::BINARY
            | opcode::CLOSE
            | opcode::PING
            | opcode::PONG
    ) {
        return Err(ProtocolError::UnknownOpcode(opcode));
    }
    if second & MASKED == 0 {
        return Err(ProtocolError::Unmasked);
    }
    let fin = first & FIN != 0;
    let (payload_len, at) = match second & 0x7F {
        126 => match bytes.get(2..4) {
            Some(&[a, b]) => (u64::from(u16::from_be_bytes([a, b])), 4),
            _ => return Ok(None),
        },
        127 => match bytes.get(2..10) {
            Some(length) => {
                let mut raw = [0_u8; 8];
                raw.copy_from_slice(length);
                let length = u64::from_be_bytes(raw);
                if length >> 63 != 0 {
                    return Err(ProtocolError::BadLength);
                }
                (length, 10)
            }
            None => return Ok(None),
        },
        short => (u64::from(short), 2),
    };
    if opcode >= opcode::CLOSE && (!fin || payload_len > MAX_CONTROL_PAYLOAD) {
        return Err(ProtocolError::BadControlFrame);
    }
    let Some(&[a, b, c, d]) = bytes.get(at..at + 4) else {
        return Ok(None);
    };
    Ok(Some(Head {
        fin,
        opcode,
        mask: [a, b, c, d],
        len: at + 4,
        payload_len,
    }))
}

fn unmask(payload: &mut [u8], mask: [u8; 4]) {
    for (index, byte) in payload.iter_mut().enumerate() {
        *byte ^= mask[index % 4];
    }
}

/// The decoding state of one connection.
pub(crate) struct Decoder {
    /// Largest message delivered; larger ones are skipped and reported.
    max_message: usize,
    /// The start of a frame that has not fully arrived.
    buffered: Vec<u8>,
    /// Payload bytes still to drop from an oversize frame.
    skip: u64,
    /// A fragmented message being put together (empty when too large).
    message: Option<Vec<u8>>,
    message_too_large: bool,
}

impl Decoder {
    pub(crate) fn new(max_message: usize) -> Decoder {
        Decoder {
            max_message,
            buffered: Vec::new(),
            skip: 0,
            message: None,
            message_too_large: false,
        }
    }

    /// Decodes `input` (just read from the socket; unmasked in place), calling
    /// `on` for each item in order. Bytes of an unfinished frame are kept for
    /// the next call.
    pub(crate) fn feed(
        &mut self,
        mut input: &mut [u8],
        on: &mut impl FnMut(Item<'_>),
    ) -> Result<(), ProtocolError> {
        if self.skip > 0 {
            let skipped = usize::try_from(self.skip).map_or(input.len(), |s| s.min(input.len()));
            self.skip -= skipped as u64;
            input = &mut input[skipped..];
        }
        if input.is_empty() {
            return Ok(());
        }
        if self.buffered.is_empty() {
            let used = self.decode(input, on)?;
            if used < input.len() {
                self.buffered = input[used..].to_vec();
            }
        } else {
            let mut buffered = std::mem::take(&mut self.buffered);
            buffered.extend_from_slice(input);
            let used = self.decode(&mut buffered, on)?;
            if used < buffered.len() {
                buffered.drain(..used);
                self.buffered = buffered;
            }
            // Otherwise the buffer is dropped: an idle connection keeps none.
        }
        Ok(())
    }

    /// Decodes every whole frame at the start of `bytes`; returns how many
    /// bytes were used (the rest is an unfinished frame).
    fn decode(
        &mut self,
        bytes: &mut [u8],
        on: &mut impl FnMut(Item<'_>),
    ) -> Result<usize, ProtocolError> {
        let mut at = 0;
        while let Some(head) = parse_head(&bytes[at..])? {
            let available = (bytes.len() - at - head.len) as u64;
            let is_data = head.opcode < opcode::CLOSE;
            if is_data && self.over_limit(&head) {
                self.drop_oversize(&head, on);
                if available < head.payload_len {
                    self.skip = head.payload_len - available;
                    return Ok(bytes.len());
                }
                // Lossless: the payload is all here, so it fits in a usize.
                at += head.len + head.payload_len as usize;
                continue;
            }
            if available < head.payload_len {
                return Ok(at);
            }
            let start = at + head.len;
            let end = start + head.payload_len as usize;
            let payload = &mut bytes[start..end];
            unmask(payload, head.mask);
            self.frame(&head, payload, on);
            at = end;
        }
        Ok(at)
    }

    /// Whether this data frame makes its message larger than the limit.
    fn over_limit(&self, head: &Head) -> bool {
        let so_far = match (head.opcode, &self.message) {
            (opcode::CONTINUATION, Some(message)) => message.len() as u64,
            _ => 0,
        };
        (head.opcode == opcode::CONTINUATION && self.message_too_large)
            || so_far + head.payload_len > self.max_message as u64
    }

    /// Starts or continues a message whose bytes are dropped.
    fn drop_oversize(&mut self, head: &Head, on: &mut impl FnMut(Item<'_>)) {
        if head.opcode == opcode::CONTINUATION && self.message.is_none() {
            on(Item::OrphanContinuation);
            return;
        }
        if head.fin {
            self.message = None;
            self.message_too_large = false;
            on(Item::TooLarge);
        } else {
            self.message = Some(Vec::new());
            self.message_too_large = true;
        }
    }

    /// A whole frame within the limit.
    fn frame(&mut self, head: &Head, payload: &[u8], on: &mut impl FnMut(Item<'_>)) {
        match head.opcode {
            opcode::PING => on(Item::Ping(payload)),
            opcode::CLOSE => on(Item::Close(payload)),
            opcode::PONG => {}
            opcode::CONTINUATION => {
                let Some(mut message) = self.message.take() else {
                    on(Item::OrphanContinuation);
                    return;
                };
                message.extend_from_slice(payload);
                if head.fin {
                    self.message_too_large = false;
                    on(Item::Message(&message));
                } else {
                    self.message = Some(message);
                }
            }
            // Text or binary: a new message (one left unfinished is dropped).
            _ => {
                self.message_too_large = false;
                if head.fin {
                    self.message = None;
                    on(Item::Message(payload));
                } else {
                    self.message = Some(payload.to_vec());
                }
            }
        }
    }
}

/// Appends an unmasked, unfragmented frame (as a server sends) to `out`.
pub(crate) fn append_frame(out: &mut Vec<u8>, opcode: u8, payload: &[u8]) {
    out.push(FIN | opcode);
    match payload.len() {
        short @ 0..=125 => out.push(short as u8),
        medium @ 126..=0xFFFF => {
            out.push(126);
            out.extend_from_slice(&(medium as u16).to_be_bytes());
        }
        long => {
            out.push(127);
            out.extend_from_slice(&(long as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client frame: masked with a fixed key.
    fn client_frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
        let mask = [0x12, 0x34, 0x56, 0x78];
        let mut unmasked = Vec::new();
        append_frame(&mut unmasked, opcode, payload);
        let head_len = unmasked.len() - payload.len();
        let mut frame = unmasked[..head_len].to_vec();
        if !fin {
            frame[0] &= !FIN;
        }
        frame[1] |= MASKED;
        frame.extend_from_slice(&mask);
        let mut body = payload.to_vec();
        unmask(&mut body, mask);
        frame.extend_from_slice(&body);
        frame
    }

    #[derive(Debug, PartialEq, Eq)]
    enum Owned {
        Message(Vec<u8>),
        TooLarge,
        Orphan,
        Ping(Vec<u8>),
        Close(Vec<u8>),
    }

    fn collect(decoder: &mut Decoder, input: &[u8]) -> Result<Vec<Owned>, ProtocolError> {
        let mut out = Vec::new();
        let mut input = input.to_vec();
        decoder.feed(&mut input, &mut |item| {
            out.push(match item {
                Item::Message(bytes) => Owned::Message(bytes.to_vec()),
                Item::TooLarge => Owned::TooLarge,
                Item::OrphanContinuation => Owned::Orphan,
                Item::Ping(bytes) => Owned::Ping(bytes.to_vec()),
                Item::Close(bytes) => Owned::Close(bytes.to_vec()),
            })
        })?;
        Ok(out)
    }

    #[test]
    fn decodes_frames_of_every_length_form() {
        for size in [0, 5, 125, 126, 300, 65_535, 65_536, 70_000] {
            let payload: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            let mut decoder = Decoder::new(1 << 20);
            let items = collect(&mut decoder, &client_frame(true, opcode::TEXT, &payload));
            assert_eq!(items, Ok(vec![Owned::Message(payload)]), "size {size}");
            assert!(decoder.buffered.is_empty());
        }
    }

    #[test]
    fn byte_by_byte_gives_the_same_messages_and_keeps_nothing_after() {
        let mut stream = client_frame(true, opcode::TEXT, b"{\"type\":\"ping\"}");
        stream.extend(client_frame(true, opcode::PING, b"hb"));
        stream.extend(client_frame(false, opcode::TEXT, b"hel"));
        stream.extend(client_frame(true, opcode::CONTINUATION, b"lo"));
        let mut decoder = Decoder::new(1024);
        let mut items = Vec::new();
        for byte in &stream {
            items.extend(collect(&mut decoder, &[*byte]).unwrap_or_default());
        }
        assert_eq!(
            items,
            vec![
                Owned::Message(b"{\"type\":\"ping\"}".to_vec()),
                Owned::Ping(b"hb".to_vec()),
                Owned::Message(b"hello".to_vec()),
            ]
        );
        assert_eq!(decoder.buffered.capacity(), 0);
        assert!(decoder.message.is_none());
    }

    #[test]
    fn control_frames_may_come_between_fragments() {
        let mut stream = client_frame(false, opcode::TEXT, b"a");
        stream.extend(client_frame(true, opcode::PONG, b""));
        stream.extend(client_frame(true, opcode::CLOSE, &[0x03, 0xE8]));
        stream.extend(client_frame(true, opcode::CONTINUATION, b"b"));
        let mut decoder = Decoder::new(1024);
        assert_eq!(
            collect(&mut decoder, &stream),
            Ok(vec![
                Owned::Close(vec![0x03, 0xE8]),
                Owned::Message(b"ab".to_vec())
            ])
        );
    }

    #[test]
    fn oversize_messages_are_skipped_and_reported_once() {
        let mut decoder = Decoder::new(10);
        let big = client_frame(true, opcode::TEXT, &[b'x'; 5000]);
        // Arriving in pieces: the head first, then the payload in chunks.
        let mut items = Vec::new();
        for chunk in big.chunks(700) {
            items.extend(collect(&mut decoder, chunk).unwrap_or_default());
            assert!(decoder.buffered.len() < 20, "oversize bytes are not kept");
        }
        assert_eq!(items, vec![Owned::TooLarge]);
        // Fragments that add up to too much: reported at the last one.
        let mut stream = client_frame(false, opcode::TEXT, b"123456");
        stream.extend(client_frame(false, opcode::CONTINUATION, b"789012"));
        stream.extend(client_frame(true, opcode::CONTINUATION, b"3"));
        stream.extend(client_frame(true, opcode::TEXT, b"ok"));
        assert_eq!(
            collect(&mut decoder, &stream),
            Ok(vec![Owned::TooLarge, Owned::Message(b"ok".to_vec())])
        );
    }

    #[test]
    fn a_continuation_without_a_start_is_reported() {
        let mut decoder = Decoder::new(100);
        assert_eq!(
            collect(
                &mut decoder,
                &client_frame(true, opcode::CONTINUATION, b"x")
            ),
            Ok(vec![Owned::Orphan])
        );
        assert_eq!(
            collect(
                &mut decoder,
                &client_frame(true, opcode::CONTINUATION, &[0; 500])
            ),
            Ok(vec![Owned::Orphan])
        );
    }

    #[test]
    fn format_violations_fail_the_connection() {
        let mut decoder = Decoder::new(100);
        let mut reserved = client_frame(true, opcode::TEXT, b"x");
        reserved[0] |= 0x40;
        assert_eq!(
            collect(&mut decoder, &reserved),
            Err(ProtocolError::ReservedBits)
        );
        let mut unknown = client_frame(true, opcode::TEXT, b"x");
        unknown[0] = FIN | 0x3;
        assert_eq!(
            collect(&mut Decoder::new(100), &unknown),
            Err(ProtocolError::UnknownOpcode(3))
        );
        let mut unmasked = Vec::new();
        append_frame(&mut unmasked, opcode::TEXT, b"x");
        assert_eq!(
            collect(&mut Decoder::new(100), &unmasked),
            Err(ProtocolError::Unmasked)
        );
        assert_eq!(
            collect(
                &mut Decoder::new(100),
                &client_frame(false, opcode::PING, b"")
            ),
            Err(ProtocolError::BadControlFrame)
        );
        assert_eq!(
            collect(
                &mut Decoder::new(1000),
                &client_frame(true, opcode::PING, &[0; 126])
            ),
            Err(ProtocolError::BadControlFrame)
        );
        let mut huge = vec![FIN | opcode::TEXT, MASKED | 127];
        huge.extend_from_slice(&u64::MAX.to_be_bytes());
        huge.extend_from_slice(&[0; 4]);
        assert_eq!(
            collect(&mut Decoder::new(100), &huge),
            Err(ProtocolError::BadLength)
        );
    }

    #[test]
    fn server_frames_use_the_shortest_length_form() {
        for (size, head) in [(0, 2), (125, 2), (126, 4), (65_535, 4), (65_536, 10)] {
            let mut out = Vec::new();
            append_frame(&mut out, opcode::TEXT, &vec![b'a'; size]);
            assert_eq!(out.len(), head + size);
            assert_eq!(out[0], FIN | opcode::TEXT);
        }
    }
}
