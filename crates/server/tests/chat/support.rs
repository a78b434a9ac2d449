//! Helpers that read like the user's story: start a server, enter as a
//! guest, join, say, and wait for the event you expect (with a timeout).

use std::collections::VecDeque;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tchatche::Server;
use tchatche_config::Config;
use tchatche_protocol::{Event, MessageId, RoomMessage, UserId};
use tempfile::TempDir;
use tokio::io::AsyncBufReadExt;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long to wait for an expected event before failing.
pub const WAIT: Duration = Duration::from_secs(15);

pub struct TestServer {
    server: Option<Server>,
    data_dir: TempDir,
    config: Config,
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_with(|_| {}).await
    }

    pub async fn start_with(change: impl FnOnce(&mut Config)) -> TestServer {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config::default();
        config.server.http_addr = "127.0.0.1:0".parse().unwrap();
        config.irc.addr = "127.0.0.1:0".parse().unwrap();
        config.server.data_dir = data_dir.path().to_owned();
        config.server.shutdown_grace_secs = 5;
        change(&mut config);
        let server = Server::start(config.clone()).await.expect("server starts");
        TestServer {
            server: Some(server),
            data_dir,
            config,
        }
    }

    /// Stops the server cleanly and starts a new one on the same data.
    pub async fn restart(self) -> TestServer {
        self.restart_with(|_| {}).await
    }

    /// [`TestServer::restart`] with a changed configuration.
    pub async fn restart_with(mut self, change: impl FnOnce(&mut Config)) -> TestServer {
        change(&mut self.config);
        let server = self.server.take().expect("running");
        server.shutdown().await.expect("clean shutdown");
        let server = Server::start(self.config.clone())
            .await
            .expect("server restarts");
        self.server = Some(server);
        self
    }

    /// Stops the server cleanly and hands over its data folder, to read
    /// what it left behind.
    pub async fn shutdown_keeping_data(mut self) -> TempDir {
        if let Some(server) = self.server.take() {
            server.shutdown().await.expect("clean shutdown");
        }
        self.data_dir
    }

    pub async fn shutdown(mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await.expect("clean shutdown");
        }
    }

    pub fn url(&self) -> String {
        let addr = self.server.as_ref().expect("running").http_addr();
        format!("ws://{addr}/ws")
    }

    pub fn http_addr(&self) -> std::net::SocketAddr {
        self.server.as_ref().expect("running").http_addr()
    }

    pub fn irc_addr(&self) -> std::net::SocketAddr {
        self.server
            .as_ref()
            .expect("running")
            .irc_addr()
            .expect("IRC enabled")
    }

    pub fn irc_tls_addr(&self) -> std::net::SocketAddr {
        self.server
            .as_ref()
            .expect("running")
            .irc_tls_addr()
            .expect("IRC over TLS enabled")
    }

    /// A raw IRC connection, not registered yet.
    pub async fn irc(&self) -> IrcClient {
        let stream = TcpStream::connect(self.irc_addr())
            .await
            .expect("IRC connects");
        let (read, write) = stream.into_split();
        IrcClient {
            lines: tokio::io::BufReader::new(read).lines(),
            write,
            nick: String::new(),
            seen: VecDeque::new(),
        }
    }

    /// An IRC user registered with this nickname and real name (`25 H 75`).
    pub async fn irc_user(&self, nick: &str, realname: &str) -> IrcClient {
        let mut client = self.irc().await;
        client.register(nick, realname).await;
        client
    }

    pub fn data_dir(&self) -> &std::path::Path {
        self.data_dir.path()
    }

    /// A connected client that has read its `welcome`.
    pub async fn client(&self) -> Client {
        let (socket, _) = tokio_tungstenite::connect_async(self.url())
            .await
            .expect("connects");
        Client::welcomed(socket).await
    }

    /// A client whose socket has a tiny kernel receive buffer, so that when
    /// it stops reading the server notices quickly.
    pub async fn client_with_small_buffer(&self) -> Client {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        self.client_on(socket).await
    }

    /// A client connected through `socket`, set up as the caller wants.
    async fn client_on(&self, socket: tokio::net::TcpSocket) -> Client {
        let stream = socket.connect(self.http_addr()).await.unwrap();
        let (socket, _) =
            tokio_tungstenite::client_async(self.url(), MaybeTlsStream::Plain(stream))
                .await
                .expect("connects");
        Client::welcomed(socket).await
    }

    /// A connected client whose connection comes from `source`, another
    /// loopback address (127.0.0.2, …): a second household, as the server
    /// sees it.
    pub async fn client_from(&self, source: std::net::Ipv4Addr) -> Client {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket
            .bind(std::net::SocketAddr::from((source, 0)))
            .expect("a loopback source address");
        self.client_on(socket).await
    }

    /// A guest who entered with this nickname and age (homme, Paris).
    pub async fn guest(&self, nick: &str, age: u32) -> Client {
        let client = self.client().await;
        client.entered_as(nick, age).await
    }

    /// A guest who entered, then registered with this password; returns
    /// them with their recovery codes.
    pub async fn member(&self, nick: &str, age: u32, password: &str) -> (Client, Vec<String>) {
        let mut client = self.guest(nick, age).await;
        let codes = client.register(password).await;
        (client, codes)
    }

    /// A new connection that entered as the member `nick` with `password`.
    pub async fn logged_in(&self, nick: &str, password: &str) -> Client {
        let mut client = self.client().await;
        match client.enter_member(nick, password).await {
            Event::Entered { you, .. } => {
                assert!(you.member, "{nick} entered as a guest");
                client.id = you.id;
                client.nick = you.nick;
            }
            other => panic!("{nick} could not log in: {other:?}"),
        }
        client
    }
}

/// A server whose password hashing is as cheap as the configuration
/// allows, for tests that register many members (the restart test keeps
/// the default cost).
pub async fn cheap_hashing_server() -> TestServer {
    cheap_hashing_server_with(|_| {}).await
}

/// A seeded room of both bands, `#membres`, for registered members only.
pub fn members_only_room() -> tchatche_config::RoomConfig {
    tchatche_config::RoomConfig {
        slug: "membres".into(),
        name: "Membres".into(),
        category: "Entraide".into(),
        topic: String::new(),
        bands: tchatche_config::RoomBands::Both,
        registered_only: true,
        moderated: false,
        slow_mode_secs: 0,
        capacity: None,
    }
}

/// [`cheap_hashing_server`] with more changes to the configuration.
pub async fn cheap_hashing_server_with(change: impl FnOnce(&mut Config)) -> TestServer {
    TestServer::start_with(|config| {
        config.accounts.argon2_memory_kib = 1024;
        config.accounts.argon2_iterations = 1;
        change(config);
    })
    .await
}

impl Client {
    async fn welcomed(socket: WebSocketStream<MaybeTlsStream<TcpStream>>) -> Client {
        let mut client = Client::new(socket);
        match client.next_event().await {
            Event::Welcome { protocol, .. } => {
                assert_eq!(protocol, tchatche_protocol::PROTOCOL_VERSION)
            }
            other => panic!("expected welcome, got {other:?}"),
        }
        client
    }

    /// Enters as a guest with this nickname and age (homme, Paris).
    pub async fn entered_as(mut self, nick: &str, age: u32) -> Client {
        match self.enter(nick, age, "homme", "75").await {
            Event::Entered { you, .. } => {
                self.id = you.id;
                self.nick = you.nick;
            }
            other => panic!("{nick} could not enter: {other:?}"),
        }
        self
    }
}

pub struct Client {
    pub socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_req: u32,
    pub id: UserId,
    pub nick: String,
    /// Events read while waiting for another one, in arrival order: a wait
    /// never loses what it skipped.
    inbox: VecDeque<Event>,
}

impl Client {
    pub fn new(socket: WebSocketStream<MaybeTlsStream<TcpStream>>) -> Client {
        Client {
            socket,
            next_req: 1,
            id: UserId(0),
            nick: String::new(),
            inbox: VecDeque::new(),
        }
    }

    pub async fn send_text(&mut self, text: &str) {
        self.socket
            .send(Message::text(text.to_owned()))
            .await
            .expect("send");
    }

    /// Sends these text frames in one socket write.
    pub async fn send_burst(&mut self, texts: &[String]) {
        for text in texts {
            self.socket
                .feed(Message::text(text.clone()))
                .await
                .expect("queue");
        }
        self.socket.flush().await.expect("send");
    }

    pub async fn send_message(&mut self, message: Message) {
        self.socket.send(message).await.expect("send");
    }

    /// Sends a command with a fresh `req` and returns that number.
    pub async fn send(&mut self, mut command: Value) -> u32 {
        let req = self.next_req;
        self.next_req += 1;
        command["req"] = json!(req);
        self.send_text(&command.to_string()).await;
        req
    }

    /// The next frame as text, or None when the connection closed.
    pub async fn next_text(&mut self) -> Option<String> {
        loop {
            let frame = tokio::time::timeout(WAIT, self.socket.next())
                .await
                .expect("a frame before the timeout");
            match frame {
                None | Some(Err(_)) => return None,
                Some(Ok(Message::Text(text))) => return Some(text.as_str().to_owned()),
                Some(Ok(Message::Close(_))) => return None,
                Some(Ok(_)) => continue,
            }
        }
    }

    /// The next event: the oldest one skipped by an earlier wait, or a new one.
    pub async fn next_event(&mut self) -> Event {
        match self.inbox.pop_front() {
            Some(event) => event,
            None => self.read_event().await,
        }
    }

    async fn read_event(&mut self) -> Event {
        let text = self.next_text().await.expect("connection open");
        serde_json::from_str(&text).unwrap_or_else(|error| panic!("bad event {text}: {error}"))
    }

    /// The first event (already skipped or new) that matches; the others
    /// stay for later waits. Fails on timeout.
    pub async fn expect(&mut self, what: &str, mut matches: impl FnMut(&Event) -> bool) -> Event {
        if let Some(position) = self.inbox.iter().position(&mut matches) {
            return self.inbox.remove(position).expect("position is valid");
        }
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
            let event = tokio::time::timeout(remaining, self.read_event())
                .await
                .unwrap_or_else(|_| panic!("{}: timed out waiting for {what}", self.nick));
            if matches(&event) {
                return event;
            }
            self.inbox.push_back(event);
        }
    }

    /// Sends a command and returns the reply (or error) carrying its `req`.
    pub async fn request(&mut self, command: Value) -> Event {
        let req = self.send(command).await;
        self.expect("the reply", |event| event.req() == Some(req))
            .await
    }

    /// Like [`Client::request`], and the reply must be an error with this code.
    pub async fn refused(&mut self, command: Value, code: &str) -> Event {
        let reply = self.request(command.clone()).await;
        match &reply {
            Event::Error(error) => {
                assert_eq!(error_code(&reply), code, "{command} -> {error:?}");
                assert!(!error.message_fr.is_empty() && !error.message_en.is_empty());
            }
            other => panic!("{command} should be refused with {code}, got {other:?}"),
        }
        reply
    }

    pub async fn enter(&mut self, nick: &str, age: u32, gender: &str, department: &str) -> Event {
        self.request(json!({
            "type": "enter", "protocol": 1, "nickname": nick, "age": age,
            "gender": gender, "department": department,
        }))
        .await
    }

    /// Sends `enter` until the nickname is free: a connection a test
    /// dropped is closed by the server a moment later, not at once. Fails
    /// if it is still taken after [`WAIT`].
    pub async fn enter_once_free(&mut self, command: Value) -> Event {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let reply = self.request(command.clone()).await;
            let taken = matches!(&reply, Event::Error(error)
                if error.code == tchatche_protocol::ErrorCode::NicknameTaken);
            if !taken {
                return reply;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{command}: the nickname stayed taken"
            );
        }
    }

    /// Tries `password` for the member `account` with `authenticate`; the
    /// answer must be a refusal with `code`.
    pub async fn login_refused(&mut self, account: &str, password: &str, code: &str) -> Event {
        self.refused(
            json!({"type": "authenticate", "account": account, "password": password}),
            code,
        )
        .await
    }

    /// Enters with a member's nickname and password (no profile).
    pub async fn enter_member(&mut self, nick: &str, password: &str) -> Event {
        self.request(json!({
            "type": "enter", "protocol": 1, "nickname": nick, "password": password,
        }))
        .await
    }

    /// Registers my nickname; returns the recovery codes.
    pub async fn register(&mut self, password: &str) -> Vec<String> {
        match self
            .request(json!({"type": "register", "password": password}))
            .await
        {
            Event::Registered {
                you,
                recovery_codes,
                ..
            } => {
                assert!(you.member, "{you:?}");
                recovery_codes
            }
            other => panic!("{} could not register: {other:?}", self.nick),
        }
    }

    pub async fn join(&mut self, room: &str) -> Event {
        let reply = self.request(json!({"type": "join", "room": room})).await;
        assert!(
            matches!(reply, Event::Joined { .. }),
            "{} joining {room}: {reply:?}",
            self.nick
        );
        reply
    }

    /// Says something and returns the message id.
    pub async fn say(&mut self, room: &str, body: &str) -> MessageId {
        match self
            .request(json!({"type": "say", "room": room, "body": body}))
            .await
        {
            Event::Sent { id, .. } => id,
            other => panic!("{} saying {body:?} in {room}: {other:?}", self.nick),
        }
    }

    /// Waits for a room message with this body.
    pub async fn expect_message(&mut self, room: &str, body: &str) -> RoomMessage {
        match self
            .expect(
                &format!("message {body:?} in {room}"),
                |event| matches!(event, Event::Message(m) if m.room == room && m.body == body),
            )
            .await
        {
            Event::Message(message) => message,
            _ => unreachable!(),
        }
    }

    /// Proves a negative without sleeping: the hub handles everything in
    /// order and each connection's queue is FIFO, so every event caused by
    /// what happened before this call is queued before the `pong`. Returns
    /// the events seen until then and fails if any matches.
    pub async fn assert_none_before_pong(
        &mut self,
        what: &str,
        mut forbidden: impl FnMut(&Event) -> bool,
    ) -> Vec<Event> {
        let req = self.send(json!({"type": "ping"})).await;
        let mut seen = Vec::new();
        loop {
            let event = self.next_event().await;
            if matches!(event, Event::Pong { req: Some(r) } if r == req) {
                return seen;
            }
            assert!(
                !forbidden(&event),
                "{}: unexpected {what}: {event:?}",
                self.nick
            );
            seen.push(event);
        }
    }

    /// Waits until the server closes the connection; returns the `closing`
    /// reason if one was sent.
    pub async fn expect_closed(&mut self) -> Option<String> {
        self.expect_close_frame().await.0
    }

    /// Waits until the server closes the connection; returns the `closing`
    /// reason if one was sent, and the close frame's code if one came.
    pub async fn expect_close_frame(&mut self) -> (Option<String>, Option<u16>) {
        let mut reason = None;
        loop {
            let frame = tokio::time::timeout(WAIT, self.socket.next())
                .await
                .expect("a frame before the timeout");
            match frame {
                None | Some(Err(_)) => return (reason, None),
                Some(Ok(Message::Close(frame))) => {
                    return (reason, frame.map(|frame| u16::from(frame.code)));
                }
                Some(Ok(Message::Text(text))) => {
                    if let Ok(Event::Closing { reason: code, .. }) =
                        serde_json::from_str::<Event>(text.as_str())
                    {
                        reason = Some(code.as_str().to_owned());
                    }
                }
                Some(Ok(_)) => {}
            }
        }
    }
}

/// The wire name of an error event's code.
pub fn error_code(event: &Event) -> String {
    match event {
        Event::Error(error) => serde_json::to_value(error.code)
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned(),
        other => panic!("not an error: {other:?}"),
    }
}

/// A raw IRC client speaking lines over TCP.
pub struct IrcClient {
    lines: tokio::io::Lines<tokio::io::BufReader<tokio::net::tcp::OwnedReadHalf>>,
    pub write: tokio::net::tcp::OwnedWriteHalf,
    pub nick: String,
    /// Lines read while waiting for another one.
    seen: VecDeque<String>,
}

impl IrcClient {
    pub async fn send(&mut self, line: &str) {
        use tokio::io::AsyncWriteExt;
        self.write
            .write_all(format!("{line}\r\n").as_bytes())
            .await
            .expect("IRC send");
    }

    pub async fn send_bytes(&mut self, bytes: &[u8]) {
        use tokio::io::AsyncWriteExt;
        self.write.write_all(bytes).await.expect("IRC send");
    }

    /// The next line, or None when the server closed the connection.
    pub async fn next_line(&mut self) -> Option<String> {
        if let Some(line) = self.seen.pop_front() {
            return Some(line);
        }
        tokio::time::timeout(WAIT, self.lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("{}: no IRC line before the timeout", self.nick))
            .expect("IRC read")
    }

    /// The first line (already read or new) that matches; others stay.
    pub async fn expect(&mut self, what: &str, mut matches: impl FnMut(&str) -> bool) -> String {
        if let Some(position) = self.seen.iter().position(|line| matches(line)) {
            return self.seen.remove(position).expect("valid position");
        }
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
            let line = tokio::time::timeout(remaining, self.lines.next_line())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "{}: timed out waiting for {what}; saw {:?}",
                        self.nick, self.seen
                    )
                })
                .expect("IRC read")
                .unwrap_or_else(|| {
                    panic!(
                        "{}: connection closed waiting for {what}; saw {:?}",
                        self.nick, self.seen
                    )
                });
            if matches(&line) {
                return line;
            }
            self.seen.push_back(line);
        }
    }

    /// Writes `bytes` in one write while reading what comes back (a client
    /// that pipelines must read too, or both sides' buffers fill), until
    /// `done` says the lines read so far are enough; returns them.
    pub async fn pipeline(
        &mut self,
        bytes: &[u8],
        mut done: impl FnMut(&[String]) -> bool,
    ) -> Vec<String> {
        use tokio::io::AsyncWriteExt;
        let mut read: Vec<String> = self.seen.drain(..).collect();
        let write = async {
            self.write.write_all(bytes).await.expect("IRC send");
        };
        let lines = &mut self.lines;
        let nick = &self.nick;
        let reading = async {
            while !done(&read) {
                let line = tokio::time::timeout(WAIT, lines.next_line())
                    .await
                    .unwrap_or_else(|_| {
                        panic!(
                            "{nick}: timed out after {} lines; last {:?}",
                            read.len(),
                            read.last()
                        )
                    })
                    .expect("IRC read")
                    .unwrap_or_else(|| {
                        panic!(
                            "{nick}: closed after {} lines: {:?}",
                            read.len(),
                            read.last()
                        )
                    });
                read.push(line);
            }
        };
        tokio::join!(write, reading);
        read
    }

    /// Waits for a numeric reply (`001`, `433`…).
    pub async fn numeric(&mut self, code: &str) -> String {
        let pattern = format!(" {code} ");
        self.expect(&format!("numeric {code}"), |line| line.contains(&pattern))
            .await
    }

    /// Waits for the welcome (001) and returns it, asking for `nick` again
    /// while a connection the test dropped still holds it (433).
    pub async fn welcome_once_free(&mut self, nick: &str) -> String {
        loop {
            let line = self
                .expect("001 or 433", |l| l.contains(" 001 ") || l.contains(" 433 "))
                .await;
            if line.contains(" 001 ") {
                return line;
            }
            self.send(&format!("NICK {nick}")).await;
        }
    }

    pub async fn register(&mut self, nick: &str, realname: &str) {
        self.nick = nick.to_owned();
        self.send(&format!("NICK {nick}")).await;
        self.send(&format!("USER {nick} 0 * :{realname}")).await;
        self.numeric("001").await;
        self.numeric("376").await;
    }

    /// Every line up to the answer of a LUSERS sent now. LUSERS goes
    /// through the hub, which handles everything in order, so anything caused
    /// by what happened before this call arrives before that answer.
    pub async fn lines_before_sync(&mut self) -> Vec<String> {
        self.send("LUSERS").await;
        let mut lines: Vec<String> = self.seen.drain(..).collect();
        loop {
            let line = self.next_line().await.expect("connection open");
            if line.contains(" 255 ") {
                return lines;
            }
            lines.push(line);
        }
    }
}
