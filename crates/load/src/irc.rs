//! One load client over IRC: plain TCP lines, no capabilities, so that the
//! same client measures tchatche's gateway and other IRC servers alike.
//!
//! Set-up ([`IrcClient`]) registers with `NICK` and `USER` and joins
//! channels, waiting for the numerics that end each step. After set-up, a
//! scenario turns it into an [`IrcLink`], which reads lines without
//! decoding them (a stamped `PRIVMSG` is found by two substring searches),
//! answers the server's `PING`s and writes whatever the scenario sends.
//!
//! Writes go through one pending buffer flushed with `try_write`, so that a
//! read racing a write in `select!` can never lose half a line.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::{Instant, timeout_at};

/// How long a registration or a join may take before the client gives up.
const REPLY_TIMEOUT: Duration = Duration::from_secs(60);

/// Bytes read from the socket at a time.
const READ_CHUNK: usize = 16 * 1024;

/// The real name every load client gives. It is not a tchatche profile: the
/// gateway is started with `irc.default_guest_profile`, exactly as a plain
/// IRC client would need, so every server sees the same registration.
const REAL_NAME: &str = "tchatche load";

/// Numerics that refuse a registration.
const REGISTRATION_REFUSALS: [&str; 6] = ["431", "432", "433", "436", "437", "465"];

/// Numerics that refuse a join.
const JOIN_REFUSALS: [&str; 9] = [
    "403", "405", "437", "471", "473", "474", "475", "476", "477",
];

/// The parts of one IRC line the tool looks at.
#[derive(Debug, PartialEq, Eq)]
pub struct Line<'a> {
    /// The source (after `:`, before the first space), if any.
    pub source: Option<&'a str>,
    /// The command or numeric.
    pub command: &'a str,
    /// Everything after the command, leading space removed.
    pub rest: &'a str,
}

impl<'a> Line<'a> {
    /// Splits a line (without its line ending) into source, command and the
    /// rest; tags (`@…`) are skipped, although no capability asks for them.
    pub fn parse(line: &'a str) -> Line<'a> {
        let mut line = line;
        if line.starts_with('@') {
            line = line.split_once(' ').map_or("", |(_, rest)| rest);
        }
        let source = match line.strip_prefix(':') {
            Some(rest) => {
                let (source, rest) = rest.split_once(' ').unwrap_or((rest, ""));
                line = rest;
                Some(source)
            }
            None => None,
        };
        let line = line.trim_start_matches(' ');
        let (command, rest) = line.split_once(' ').unwrap_or((line, ""));
        Line {
            source,
            command,
            rest,
        }
    }

    /// The `n`-th middle parameter (0-based), for numerics and JOIN.
    pub fn param(&self, n: usize) -> Option<&'a str> {
        let mut rest = self.rest;
        for _ in 0..n {
            if rest.starts_with(':') {
                return None;
            }
            rest = rest.split_once(' ')?.1;
        }
        let param = rest.split(' ').next()?;
        Some(param.strip_prefix(':').unwrap_or(param))
    }

    /// The trailing parameter (after ` :`), or the last one.
    pub fn trailing(&self) -> &'a str {
        if let Some(text) = self.rest.strip_prefix(':') {
            return text;
        }
        match self.rest.split_once(" :") {
            Some((_, text)) => text,
            None => self.rest.rsplit(' ').next().unwrap_or(""),
        }
    }

    /// Whether this is a numeric reply that reports an error (4xx, 5xx).
    pub fn is_error_numeric(&self) -> bool {
        let bytes = self.command.as_bytes();
        bytes.len() == 3 && bytes.iter().all(u8::is_ascii_digit) && matches!(bytes[0], b'4' | b'5')
    }
}

/// The text of a `PRIVMSG` line, found without splitting the line: the
/// receivers' hot path.
pub fn privmsg_text(line: &str) -> Option<&str> {
    const PRIVMSG: &str = " PRIVMSG ";
    let after = &line[line.find(PRIVMSG)? + PRIVMSG.len()..];
    let text_start = after.find(" :")? + 2;
    Some(&after[text_start..])
}

/// Complete lines out of a byte stream.
#[derive(Debug, Default)]
pub struct LineBuffer {
    /// Bytes received and not yet handed out as a line.
    bytes: Vec<u8>,
}

impl LineBuffer {
    /// Appends received bytes.
    pub fn push(&mut self, received: &[u8]) {
        self.bytes.extend_from_slice(received);
    }

    /// Calls `each` for every complete line (without `\r\n`, invalid UTF-8
    /// replaced), keeps the incomplete rest, and releases the buffer's
    /// memory when nothing is left: thousands of idle clients keep none.
    pub fn drain_lines(&mut self, mut each: impl FnMut(&str)) {
        let mut start = 0;
        while let Some(end) = self.bytes[start..].iter().position(|&byte| byte == b'\n') {
            let line = &self.bytes[start..start + end];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            each(&String::from_utf8_lossy(line));
            start += end + 1;
        }
        if start == self.bytes.len() {
            self.bytes = Vec::new();
        } else {
            self.bytes.drain(..start);
        }
    }

    /// Takes every complete line at once (set-up only).
    fn take_lines(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        self.drain_lines(|line| lines.push(line.to_owned()));
        lines
    }
}

/// A socket with a pending-write buffer, flushed in a cancel-safe way.
#[derive(Debug)]
struct LineSocket {
    /// The connection.
    stream: TcpStream,
    /// Bytes to write, in order.
    pending: Vec<u8>,
    /// Bytes read and not yet handled.
    lines: LineBuffer,
}

impl LineSocket {
    /// Writes everything pending. Cancel-safe: the buffer only loses what
    /// the kernel took.
    async fn flush(&mut self) -> std::io::Result<()> {
        while !self.pending.is_empty() {
            self.stream.writable().await?;
            match self.stream.try_write(&self.pending) {
                Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
                Ok(written) => {
                    self.pending.drain(..written);
                }
                Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(error) => return Err(error),
            }
        }
        if self.pending.capacity() > 0 {
            self.pending = Vec::new();
        }
        Ok(())
    }

    /// Waits for bytes and adds them to the line buffer; `Ok(false)` when the
    /// server closed the connection. Cancel-safe.
    async fn fill(&mut self) -> std::io::Result<bool> {
        let mut chunk = [0_u8; READ_CHUNK];
        loop {
            self.stream.readable().await?;
            match self.stream.try_read(&mut chunk) {
                Ok(0) => return Ok(false),
                Ok(read) => {
                    self.lines.push(&chunk[..read]);
                    return Ok(true);
                }
                Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(error) => return Err(error),
            }
        }
    }

    /// Queues `PONG` answers to the `PING`s among `lines`.
    fn answer_pings(&mut self, lines: &[String]) {
        for line in lines {
            let parsed = Line::parse(line);
            if parsed.command == "PING" {
                self.pending.extend_from_slice(b"PONG ");
                self.pending.extend_from_slice(parsed.rest.as_bytes());
                self.pending.extend_from_slice(b"\r\n");
            }
        }
    }
}

/// An IRC client during set-up.
#[derive(Debug)]
pub struct IrcClient {
    /// The connection.
    socket: LineSocket,
    /// The nickname it registered with.
    nick: String,
}

impl IrcClient {
    /// Connects to `server` from the loopback address `source`.
    pub async fn connect(server: SocketAddrV4, source: Ipv4Addr) -> anyhow::Result<IrcClient> {
        let tcp = TcpSocket::new_v4().context("creating a socket")?;
        tcp.bind(SocketAddr::from((source, 0)))
            .with_context(|| format!("binding a socket to {source}"))?;
        let stream = tcp
            .connect(SocketAddr::V4(server))
            .await
            .with_context(|| format!("connecting to {server} from {source}"))?;
        stream.set_nodelay(true).context("setting TCP_NODELAY")?;
        Ok(IrcClient {
            socket: LineSocket {
                stream,
                pending: Vec::new(),
                lines: LineBuffer::default(),
            },
            nick: String::new(),
        })
    }

    /// Registers as `nick` (no `CAP`, no password) and waits for `001`.
    pub async fn register(&mut self, nick: &str) -> anyhow::Result<()> {
        self.nick = nick.to_owned();
        self.send(&format!("NICK {nick}\r\nUSER {nick} 0 * :{REAL_NAME}\r\n"))
            .await?;
        self.wait_for("registration", |line| {
            if line.command == "001" {
                return Some(Ok(()));
            }
            if REGISTRATION_REFUSALS.contains(&line.command) || line.command == "ERROR" {
                return Some(Err(format!("{} {}", line.command, line.trailing())));
            }
            None
        })
        .await
    }

    /// Joins `channel` (which creates it on servers where it does not
    /// exist) and waits for the end of its names list. Returns the channel
    /// name as the server spells it.
    pub async fn join(&mut self, channel: &str) -> anyhow::Result<String> {
        self.send(&format!("JOIN {channel}\r\n")).await?;
        let own_prefix = format!("{}!", self.nick);
        let mut joined: Option<String> = None;
        self.wait_for("join", |line| {
            if line.command == "JOIN"
                && line
                    .source
                    .is_some_and(|source| source.starts_with(&own_prefix))
            {
                joined = line.param(0).map(str::to_owned);
                return None;
            }
            if line.command == "366" {
                let named = line.param(1).unwrap_or("");
                if named.eq_ignore_ascii_case(channel)
                    || joined
                        .as_deref()
                        .is_some_and(|j| j.eq_ignore_ascii_case(named))
                {
                    return Some(Ok(joined.clone().unwrap_or_else(|| named.to_owned())));
                }
            }
            if JOIN_REFUSALS.contains(&line.command) {
                return Some(Err(format!("{} {}", line.command, line.trailing())));
            }
            None
        })
        .await
    }

    /// Leaves `channel` and waits for the server to say so.
    pub async fn part(&mut self, channel: &str) -> anyhow::Result<()> {
        self.send(&format!("PART {channel}\r\n")).await?;
        let own_prefix = format!("{}!", self.nick);
        self.wait_for("part", |line| {
            if line.command == "PART"
                && line
                    .source
                    .is_some_and(|source| source.starts_with(&own_prefix))
                && line
                    .param(0)
                    .is_some_and(|c| c.eq_ignore_ascii_case(channel))
            {
                return Some(Ok(()));
            }
            if line.command == "442" || line.command == "403" {
                return Some(Err(format!("{} {}", line.command, line.trailing())));
            }
            None
        })
        .await
    }

    /// The connection, for a scenario's own loop.
    pub fn into_link(self) -> IrcLink {
        IrcLink {
            socket: self.socket,
        }
    }

    async fn send(&mut self, text: &str) -> anyhow::Result<()> {
        self.socket.pending.extend_from_slice(text.as_bytes());
        self.socket
            .flush()
            .await
            .context("writing to the IRC server")
    }

    /// Reads lines until `check` says the step is over, answering `PING`s
    /// on the way.
    async fn wait_for<T>(
        &mut self,
        step: &str,
        mut check: impl FnMut(&Line<'_>) -> Option<Result<T, String>>,
    ) -> anyhow::Result<T> {
        let deadline = Instant::now() + REPLY_TIMEOUT;
        loop {
            let lines = self.socket.lines.take_lines();
            self.socket.answer_pings(&lines);
            self.socket.flush().await.context("answering PING")?;
            for line in &lines {
                match check(&Line::parse(line)) {
                    Some(Ok(value)) => return Ok(value),
                    Some(Err(refusal)) => bail!("{step} refused: {refusal}"),
                    None => {}
                }
            }
            let filled = timeout_at(deadline, self.socket.fill())
                .await
                .map_err(|_| anyhow::anyhow!("{step}: no answer within {REPLY_TIMEOUT:?}"))?
                .with_context(|| format!("{step}: reading from the IRC server"))?;
            if !filled {
                bail!("{step}: the server closed the connection");
            }
        }
    }
}

/// An IRC connection after set-up: the scenario's hot path.
#[derive(Debug)]
pub struct IrcLink {
    /// The connection.
    socket: LineSocket,
}

/// How an IRC connection ended.
#[derive(Debug)]
pub enum IrcEnd {
    /// The server closed it.
    Closed,
    /// Reading or writing failed.
    Failed(String),
}

impl IrcLink {
    /// Waits for what the server sends next and hands each line to `each`,
    /// after queuing answers to `PING`s. Cancel-safe.
    pub async fn next_lines(&mut self, mut each: impl FnMut(&str)) -> Result<(), IrcEnd> {
        self.socket
            .flush()
            .await
            .map_err(|error| IrcEnd::Failed(format!("write: {error}")))?;
        match self.socket.fill().await {
            Ok(true) => {}
            Ok(false) => return Err(IrcEnd::Closed),
            Err(error) => return Err(IrcEnd::Failed(format!("read: {error}"))),
        }
        let pending = &mut self.socket.pending;
        self.socket.lines.drain_lines(|line| {
            if let Some(token) = line.strip_prefix("PING ") {
                pending.extend_from_slice(b"PONG ");
                pending.extend_from_slice(token.as_bytes());
                pending.extend_from_slice(b"\r\n");
            } else {
                each(line);
            }
        });
        Ok(())
    }

    /// Writes `text` (complete lines).
    pub async fn send(&mut self, text: &str) -> Result<(), IrcEnd> {
        self.socket.pending.extend_from_slice(text.as_bytes());
        self.socket
            .flush()
            .await
            .map_err(|error| IrcEnd::Failed(format!("write: {error}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_into_source_command_and_parameters() {
        let line = Line::parse(":irc.example 366 ubcdfb #load-bcdf-b :End of /NAMES list.");
        assert_eq!(line.source, Some("irc.example"));
        assert_eq!(line.command, "366");
        assert_eq!(line.param(0), Some("ubcdfb"));
        assert_eq!(line.param(1), Some("#load-bcdf-b"));
        assert_eq!(line.trailing(), "End of /NAMES list.");
        let join = Line::parse(":ubcdfb!ubcdfb@127.0.0.1 JOIN :#load-bcdf-b");
        assert_eq!(join.source, Some("ubcdfb!ubcdfb@127.0.0.1"));
        assert_eq!(join.param(0), Some("#load-bcdf-b"));
        let ping = Line::parse("PING :irc.example");
        assert_eq!((ping.source, ping.command), (None, "PING"));
        assert!(Line::parse(":s 404 n #c :Cannot send to channel").is_error_numeric());
        assert!(!Line::parse(":s 001 n :Welcome").is_error_numeric());
        assert!(!Line::parse(":n!u@h PRIVMSG #c :hello").is_error_numeric());
    }

    #[test]
    fn privmsg_text_is_found_without_parsing() {
        assert_eq!(
            privmsg_text(":ubcdfb!u@127.0.0.1 PRIVMSG #load-bcdf-b :load 12 3 4"),
            Some("load 12 3 4")
        );
        assert_eq!(privmsg_text(":s NOTICE n :PRIVMSG x"), None);
    }

    #[test]
    fn line_buffer_keeps_incomplete_lines() {
        let mut buffer = LineBuffer::default();
        buffer.push(b"PING :a\r\n:s 001 n :hi\r\n:s 00");
        let mut lines = Vec::new();
        buffer.drain_lines(|line| lines.push(line.to_owned()));
        assert_eq!(lines, ["PING :a", ":s 001 n :hi"]);
        buffer.push(b"2 n :more\n");
        assert_eq!(buffer.take_lines(), [":s 002 n :more"]);
        assert_eq!(buffer.bytes.capacity(), 0);
    }
}
