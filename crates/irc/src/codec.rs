//! The IRC line codec, with no IO: bytes in, messages out, and messages to
//! bytes.
//!
//! [`LineBuffer`] splits a byte stream into lines (CR LF or LF), refusing
//! over-long lines without losing the ones after them. [`Message::parse`]
//! reads one line (IRCv3 tags, source, command, parameters);
//! [`Message::write`] writes one, putting a `:` before the last parameter
//! when it needs one. Every error is a value, never a panic.

use std::fmt::Write as _;

/// Longest line without tags, CR LF included (RFC 1459).
pub const MAX_LINE: usize = 512;
/// Longest tag section a client may send, `@` and trailing space included (IRCv3).
pub const MAX_CLIENT_TAGS: usize = 4096;

/// Why a line could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineError {
    /// The line is longer than allowed; it was dropped whole.
    TooLong,
    /// The line is not UTF-8.
    InvalidUtf8,
    /// The line holds a NUL byte.
    Nul,
    /// The line has no command.
    NoCommand,
    /// A tag section without anything after it, or a malformed tag.
    BadTags,
}

/// Splits incoming bytes into lines.
#[derive(Debug, Default)]
pub struct LineBuffer {
    pending: Vec<u8>,
    /// Where the next line starts in `pending`: lines are taken without
    /// moving the bytes after them, which are moved once per `push`.
    start: usize,
    /// The current line already exceeded the limit: drop bytes until its end.
    discarding: bool,
}

impl LineBuffer {
    /// Longest line accepted, tags included.
    pub const LIMIT: usize = MAX_LINE + MAX_CLIENT_TAGS;

    /// A new, empty buffer.
    pub fn new() -> LineBuffer {
        LineBuffer::default()
    }

    /// Adds received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.pending.drain(..self.start);
        self.start = 0;
        self.pending.extend_from_slice(bytes);
    }

    /// The next complete line without its line ending, or an error for a
    /// line that cannot be used. `None` when no complete line is buffered.
    pub fn next_line(&mut self) -> Option<Result<String, LineError>> {
        loop {
            let rest = &self.pending[self.start..];
            let Some(length) = rest.iter().position(|&byte| byte == b'\n') else {
                if rest.len() > Self::LIMIT {
                    // Too long already: drop what we have and the rest of
                    // the line when it comes; report it once.
                    self.pending.clear();
                    self.start = 0;
                    if !self.discarding {
                        self.discarding = true;
                        return Some(Err(LineError::TooLong));
                    }
                }
                // An idle connection keeps no buffer.
                if self.start == self.pending.len() {
                    self.pending = Vec::new();
                    self.start = 0;
                }
                return None;
            };
            let mut line = &rest[..length];
            self.start += length + 1;
            if line.last() == Some(&b'\r') {
                line = &line[..line.len() - 1];
            }
            if self.discarding {
                self.discarding = false;
                continue;
            }
            if line.is_empty() {
                continue;
            }
            if line.len() > Self::LIMIT {
                return Some(Err(LineError::TooLong));
            }
            if line.contains(&0) {
                return Some(Err(LineError::Nul));
            }
            return Some(
                std::str::from_utf8(line)
                    .map(str::to_owned)
                    .map_err(|_| LineError::InvalidUtf8),
            );
        }
    }

    /// Bytes buffered and not taken yet (for bounding memory in tests).
    pub fn buffered(&self) -> usize {
        self.pending.len() - self.start
    }
}

/// One IRC message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Message {
    /// IRCv3 tags, unescaped, in order.
    pub tags: Vec<(String, Option<String>)>,
    /// The source (prefix) without its `:`.
    pub source: Option<String>,
    /// The command, upper-cased, or a three-digit numeric.
    pub command: String,
    /// Parameters, the trailing one included.
    pub params: Vec<String>,
}

impl Message {
    /// A message from the server or a user with these parameters.
    pub fn new(source: Option<&str>, command: &str, params: &[&str]) -> Message {
        Message {
            tags: Vec::new(),
            source: source.map(str::to_owned),
            command: command.to_owned(),
            params: params.iter().map(|param| (*param).to_owned()).collect(),
        }
    }

    /// Reads one line (without its line ending).
    pub fn parse(line: &str) -> Result<Message, LineError> {
        let mut rest = line;
        let mut tags = Vec::new();
        if let Some(after_at) = rest.strip_prefix('@') {
            let (tag_text, after) = after_at.split_once(' ').ok_or(LineError::NoCommand)?;
            if tag_text.len() + 2 > MAX_CLIENT_TAGS {
                return Err(LineError::TooLong);
            }
            for tag in tag_text.split(';').filter(|tag| !tag.is_empty()) {
                let (key, value) = match tag.split_once('=') {
                    Some((key, value)) => (key, Some(unescape_tag_value(value))),
                    None => (tag, None),
                };
                // Keys are `+vendor.example/name`: letters, digits, `-`, `/`, `.`.
                let key_text = key.strip_prefix('+').unwrap_or(key);
                if key_text.is_empty()
                    || !key_text
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'/' | b'.'))
                {
                    return Err(LineError::BadTags);
                }
                tags.push((key.to_owned(), value));
            }
            rest = after;
        }
        if rest.len() > MAX_LINE - 2 {
            return Err(LineError::TooLong);
        }
        rest = rest.trim_start_matches(' ');
        let mut source = None;
        if let Some(after_colon) = rest.strip_prefix(':') {
            let (prefix, after) = after_colon.split_once(' ').unwrap_or((after_colon, ""));
            source = Some(prefix.to_owned());
            rest = after.trim_start_matches(' ');
        }
        let (command, mut rest) = rest.split_once(' ').unwrap_or((rest, ""));
        // A command is a word of letters or a three-digit numeric.
        if command.is_empty() || !command.bytes().all(|byte| byte.is_ascii_alphanumeric()) {
            return Err(LineError::NoCommand);
        }
        let mut params = Vec::new();
        loop {
            rest = rest.trim_start_matches(' ');
            if rest.is_empty() {
                break;
            }
            if let Some(trailing) = rest.strip_prefix(':') {
                params.push(trailing.to_owned());
                break;
            }
            let (param, after) = rest.split_once(' ').unwrap_or((rest, ""));
            params.push(param.to_owned());
            rest = after;
        }
        Ok(Message {
            tags,
            source,
            command: command.to_ascii_uppercase(),
            params,
        })
    }

    /// The value of a tag, if present.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(name, _)| name == key)
            .and_then(|(_, value)| value.as_deref())
    }

    /// Parameter `index`, if present.
    pub fn param(&self, index: usize) -> Option<&str> {
        self.params.get(index).map(String::as_str)
    }

    /// Appends the message and CR LF to `out`. Parameters are cleaned of
    /// CR, LF and NUL so a value can never inject a second line.
    pub fn write(&self, out: &mut String) {
        if !self.tags.is_empty() {
            out.push('@');
            for (index, (key, value)) in self.tags.iter().enumerate() {
                if index > 0 {
                    out.push(';');
                }
                push_clean(out, key);
                if let Some(value) = value {
                    out.push('=');
                    escape_tag_value(value, out);
                }
            }
            out.push(' ');
        }
        if let Some(source) = &self.source {
            out.push(':');
            push_clean(out, source);
            out.push(' ');
        }
        push_clean(out, &self.command);
        let last = self.params.len().saturating_sub(1);
        // Text goes in a trailing parameter even when it has no space, as
        // established servers write it and some clients expect.
        let text_last = match self.command.as_str() {
            "PRIVMSG" | "NOTICE" | "TOPIC" | "PART" | "KICK" => self.params.len() > 1,
            "QUIT" | "ERROR" | "AWAY" | "WALLOPS" => true,
            _ => false,
        } || (self.command.len() == 3
            && self.command.bytes().all(|b| b.is_ascii_digit())
            && self.params.len() > 1);
        for (index, param) in self.params.iter().enumerate() {
            out.push(' ');
            let needs_colon = index == last
                && (text_last
                    || param.is_empty()
                    || param.starts_with(':')
                    || param.contains([' ', '\r', '\n', '\0']));
            if needs_colon {
                out.push(':');
            }
            push_clean(out, param);
        }
        out.push_str("\r\n");
    }

    /// The message as one line with CR LF.
    pub fn to_line(&self) -> String {
        let mut line = String::new();
        self.write(&mut line);
        line
    }
}

fn push_clean(out: &mut String, text: &str) {
    out.extend(text.chars().map(|c| {
        if matches!(c, '\r' | '\n' | '\0') {
            ' '
        } else {
            c
        }
    }));
}

fn unescape_tag_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some(':') => out.push(';'),
            Some('s') => out.push(' '),
            Some('\\') => out.push('\\'),
            Some('r') => out.push('\r'),
            Some('n') => out.push('\n'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// Escapes a tag value (IRCv3 message-tags).
pub fn escape_tag_value(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            ';' => out.push_str("\\:"),
            ' ' => out.push_str("\\s"),
            '\\' => out.push_str("\\\\"),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            '\0' => {}
            other => {
                let _ = out.write_char(other);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8]) -> Vec<Result<String, LineError>> {
        let mut buffer = LineBuffer::new();
        buffer.push(input);
        std::iter::from_fn(|| buffer.next_line()).collect()
    }

    #[test]
    fn splits_lines_on_crlf_and_lf_and_skips_empty_ones() {
        assert_eq!(
            lines(b"NICK a\r\nUSER a 0 * :r\n\r\nPING x\r\nPART"),
            vec![
                Ok("NICK a".into()),
                Ok("USER a 0 * :r".into()),
                Ok("PING x".into())
            ]
        );
    }

    #[test]
    fn bad_lines_are_reported_and_the_next_ones_survive() {
        let mut input = b"PRIVMSG #a :\xff\xfe\r\nPRIVMSG #a :x\0y\r\n".to_vec();
        input.extend(std::iter::repeat_n(b'a', LineBuffer::LIMIT + 10));
        input.extend_from_slice(b"\r\nPING ok\r\n");
        assert_eq!(
            lines(&input),
            vec![
                Err(LineError::InvalidUtf8),
                Err(LineError::Nul),
                Err(LineError::TooLong),
                Ok("PING ok".into())
            ]
        );
    }

    #[test]
    fn an_endless_line_is_dropped_without_growing_memory() {
        let mut buffer = LineBuffer::new();
        let chunk = vec![b'x'; 1024];
        let mut errors = 0;
        for _ in 0..100 {
            buffer.push(&chunk);
            while let Some(line) = buffer.next_line() {
                assert_eq!(line, Err(LineError::TooLong));
                errors += 1;
            }
            assert!(buffer.buffered() <= LineBuffer::LIMIT + chunk.len());
        }
        assert_eq!(errors, 1);
        buffer.push(b"\r\nPING z\r\n");
        assert_eq!(buffer.next_line(), Some(Ok("PING z".into())));
    }

    #[test]
    fn parses_tags_source_command_and_params() {
        let message = Message::parse(
            r"@label=1;+draft/x=a\sb\:c;flag :nick!u@h privmsg #paris :salut tout le monde",
        )
        .unwrap();
        assert_eq!(message.tag("label"), Some("1"));
        assert_eq!(message.tag("+draft/x"), Some("a b;c"));
        assert!(
            message
                .tags
                .iter()
                .any(|(key, value)| key == "flag" && value.is_none())
        );
        assert_eq!(message.source.as_deref(), Some("nick!u@h"));
        assert_eq!(message.command, "PRIVMSG");
        assert_eq!(message.params, vec!["#paris", "salut tout le monde"]);

        let message = Message::parse("USER guest 0 *  :25 H 75").unwrap();
        assert_eq!(message.params, vec!["guest", "0", "*", "25 H 75"]);
        let message = Message::parse("MODE #a +l 10").unwrap();
        assert_eq!(message.params, vec!["#a", "+l", "10"]);
        assert_eq!(Message::parse("PING :").unwrap().params, vec![""]);
    }

    #[test]
    fn refuses_lines_that_are_not_messages() {
        assert_eq!(Message::parse(":onlyprefix"), Err(LineError::NoCommand));
        // Found by the fuzzer: a bare CR in the command.
        assert_eq!(Message::parse("\r."), Err(LineError::NoCommand));
        assert_eq!(
            Message::parse("PRIV MSG"),
            Ok(Message::new(None, "PRIV", &["MSG"]))
        );
        assert_eq!(Message::parse("@tags-only"), Err(LineError::NoCommand));
        assert_eq!(Message::parse("@=x PING a"), Err(LineError::BadTags));
        // Found by the fuzzer: a control character in a tag key.
        assert_eq!(Message::parse("@Q)\x02\rNO JA"), Err(LineError::BadTags));
        let long = format!("PRIVMSG #a :{}", "x".repeat(600));
        assert_eq!(Message::parse(&long), Err(LineError::TooLong));
    }

    #[test]
    fn writes_the_trailing_parameter_only_when_needed_and_never_injects_lines() {
        assert_eq!(
            Message::new(Some("srv"), "001", &["bob", "Bienvenue sur tchatche"]).to_line(),
            ":srv 001 bob :Bienvenue sur tchatche\r\n"
        );
        assert_eq!(
            Message::new(None, "PING", &["token"]).to_line(),
            "PING token\r\n"
        );
        assert_eq!(
            Message::new(None, "PRIVMSG", &["#a", "mot"]).to_line(),
            "PRIVMSG #a :mot\r\n"
        );
        assert_eq!(
            Message::new(None, "MODE", &["#a", "+l", "5"]).to_line(),
            "MODE #a +l 5\r\n"
        );
        assert_eq!(Message::new(None, "PART", &["#a"]).to_line(), "PART #a\r\n");
        assert_eq!(
            Message::new(None, "ERROR", &["bye"]).to_line(),
            "ERROR :bye\r\n"
        );
        assert_eq!(
            Message::new(Some("Vigie!~guest@tchatche"), "WALLOPS", &["raid\nQUIT"]).to_line(),
            ":Vigie!~guest@tchatche WALLOPS :raid QUIT\r\n"
        );
        assert_eq!(
            Message::new(None, "TOPIC", &["#a", ""]).to_line(),
            "TOPIC #a :\r\n"
        );
        assert_eq!(
            Message::new(None, "PRIVMSG", &["#a", "x\r\nQUIT"]).to_line(),
            "PRIVMSG #a :x  QUIT\r\n"
        );
        let mut tagged = Message::new(Some("n!u@h"), "PRIVMSG", &["#a", "hi"]);
        tagged
            .tags
            .push(("time".into(), Some("2026-01-01T00:00:00.000Z".into())));
        tagged.tags.push(("+x".into(), Some("a b;c".into())));
        assert_eq!(
            tagged.to_line(),
            "@time=2026-01-01T00:00:00.000Z;+x=a\\sb\\:c :n!u@h PRIVMSG #a :hi\r\n"
        );
    }

    #[test]
    fn a_written_message_parses_back() {
        let original = Message::new(Some("a!b@c"), "PRIVMSG", &["#x", ":starts with colon"]);
        let line = original.to_line();
        assert_eq!(Message::parse(line.trim_end()).unwrap(), original);
    }
}
