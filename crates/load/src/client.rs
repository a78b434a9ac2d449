//! One load client during set-up: connect from a chosen loopback address,
//! read `welcome`, enter, join or create rooms, each request awaited with a
//! timeout and a server refusal turned into an error naming its code.
//!
//! Set-up is not the hot path, but in a big room it sees a lot: every
//! earlier member's `member_joined`, and a `joined` reply listing every
//! member. So a frame is decoded with the protocol crate's types only when
//! it is the awaited reply (and its contents are needed), an error, or a
//! closing notice; the others are recognised by their first bytes and
//! skipped. Once set up, a scenario takes the bare socket
//! ([`Client::into_socket`]) and reads it its own, cheaper way.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use tchatche_protocol::{
    Command, Enter, ErrorCode, Event, Gender, PROTOCOL_VERSION, Request, UserId,
};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::{Instant, timeout_at};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{WebSocketStream, client_async_with_config};

use crate::target::Target;
use tchatche_protocol::{AccountCommand, RoomCommand};

/// A client's WebSocket connection.
pub type Socket = WebSocketStream<TcpStream>;

/// How long a request may wait for its reply (and a new connection for its
/// `welcome`) before the client gives up.
const REPLY_TIMEOUT: Duration = Duration::from_secs(30);

/// Read buffer of each socket. The library's default (128 KiB, allocated
/// up front) would cost gigabytes over ten thousand clients; frames here are
/// a few hundred bytes, and the buffer grows for the rare large one.
const READ_BUFFER_BYTES: usize = 8 * 1024;

/// The stable wire name of an error code (`nickname_taken`).
pub fn code_name(code: ErrorCode) -> String {
    match serde_json::to_value(code) {
        Ok(serde_json::Value::String(name)) => name,
        _ => format!("{code:?}"),
    }
}

/// The server refused a request, or announced it was closing the connection.
#[derive(Debug)]
pub struct Refused {
    /// The command refused (`enter`, `join`, …), or `closing`.
    pub command: &'static str,
    /// Why.
    pub code: ErrorCode,
    /// The field or value concerned, when the server said.
    pub detail: Option<String>,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} refused: {}", self.command, code_name(self.code))?;
        if let Some(detail) = &self.detail {
            write!(f, " ({detail})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Refused {}

/// What `entered` told a client.
#[derive(Clone, Debug)]
pub struct Entered {
    /// Its session id.
    pub user_id: UserId,
    /// Slugs of the rooms of its band's directory.
    pub rooms: Vec<String>,
}

/// A connected client, between `welcome` and the scenario's own loop.
pub struct Client {
    /// The connection.
    socket: Socket,
    /// The `req` number of the next request.
    next_req: u32,
}

impl Client {
    /// Connects to `target` from the loopback address `source` and reads the
    /// server's `welcome`.
    pub async fn connect(target: &Target, source: Ipv4Addr) -> anyhow::Result<Client> {
        let tcp = TcpSocket::new_v4().context("creating a socket")?;
        tcp.bind(SocketAddr::from((source, 0)))
            .with_context(|| format!("binding a socket to {source}"))?;
        let stream = tcp
            .connect(SocketAddr::V4(target.addr))
            .await
            .with_context(|| format!("connecting to {} from {source}", target.addr))?;
        // Messages are small and latency is measured: no Nagle delay.
        stream.set_nodelay(true).context("setting TCP_NODELAY")?;
        let config = WebSocketConfig::default()
            .read_buffer_size(READ_BUFFER_BYTES)
            .write_buffer_size(0);
        let (socket, _response) =
            client_async_with_config(target.url.as_str(), stream, Some(config))
                .await
                .context("WebSocket handshake")?;
        let mut client = Client {
            socket,
            next_req: 1,
        };
        let deadline = Instant::now() + REPLY_TIMEOUT;
        match client.next_event(deadline).await? {
            Event::Welcome { .. } => Ok(client),
            other => bail!("expected welcome first, got {}", event_type(&other)),
        }
    }

    /// Enters as a 25-year-old guest named `nickname`.
    pub async fn enter(&mut self, nickname: &str) -> anyhow::Result<Entered> {
        let command = Command::Account(AccountCommand::Enter(Enter {
            protocol: PROTOCOL_VERSION,
            nickname: nickname.to_owned(),
            age: Some(25),
            gender: Some(Gender::Homme),
            department: Some("75".to_owned()),
            ..Enter::default()
        }));
        let reply = self.request("enter", "entered", command).await?;
        let entered: EnteredReply = serde_json::from_str(&reply)
            .with_context(|| format!("undecodable entered from the server: {reply}"))?;
        Ok(Entered {
            user_id: entered.you.id,
            rooms: entered.rooms.into_iter().map(|room| room.slug).collect(),
        })
    }

    /// Joins the room `slug`.
    pub async fn join(&mut self, slug: &str) -> anyhow::Result<()> {
        let command = Command::Room(RoomCommand::Join {
            create: None,
            room: slug.to_owned(),
            key: None,
        });
        // The reply lists every member: recognised, not decoded.
        self.request("join", "joined", command).await.map(drop)
    }

    /// Creates a room named `name` (the client becomes its operator and
    /// first member) and returns its slug.
    pub async fn create_room(&mut self, name: &str) -> anyhow::Result<String> {
        let command = Command::Room(RoomCommand::CreateRoom {
            name: name.to_owned(),
            topic: None,
        });
        let reply = self.request("create_room", "joined", command).await?;
        let joined: JoinedReply = serde_json::from_str(&reply)
            .with_context(|| format!("undecodable joined from the server: {reply}"))?;
        Ok(joined.room.slug)
    }

    /// Leaves the room `slug`.
    pub async fn leave(&mut self, slug: &str) -> anyhow::Result<()> {
        let command = Command::Room(RoomCommand::Leave {
            room: slug.to_owned(),
        });
        self.request("leave", "left", command).await.map(drop)
    }

    /// The bare connection, for a scenario's own read loop.
    pub fn into_socket(self) -> Socket {
        self.socket
    }

    /// Sends `command` with a fresh `req` and waits for the `reply_type`
    /// event carrying it, skipping everything else (broadcasts, other
    /// people's arrivals) by its first bytes. Returns the reply's text.
    async fn request(
        &mut self,
        name: &'static str,
        reply_type: &str,
        command: Command,
    ) -> anyhow::Result<String> {
        let req = self.next_req;
        self.next_req = self.next_req.wrapping_add(1);
        let text = serde_json::to_string(&Request {
            req: Some(req),
            command,
        })
        .context("encoding a command")?;
        self.socket
            .send(Message::text(text))
            .await
            .with_context(|| format!("sending {name}"))?;
        // The server writes the tag first, then `req`.
        let reply_prefix = format!(r#"{{"type":"{reply_type}","req":{req},"#);
        let deadline = Instant::now() + REPLY_TIMEOUT;
        loop {
            let text = self
                .next_text(deadline)
                .await
                .with_context(|| format!("waiting for the reply to {name}"))?;
            if text.starts_with(&reply_prefix) {
                return Ok(text);
            }
            if !(text.starts_with(r#"{"type":"error","#)
                || text.starts_with(r#"{"type":"closing","#))
            {
                continue;
            }
            match decode(&text)? {
                Event::Closing { reason, .. } => {
                    return Err(Refused {
                        command: "closing",
                        code: reason,
                        detail: None,
                    }
                    .into());
                }
                Event::Error(error) if error.req == Some(req) => {
                    return Err(Refused {
                        command: name,
                        code: error.code,
                        detail: error.detail,
                    }
                    .into());
                }
                _ => {}
            }
        }
    }

    /// The next event from the server, or an error if the connection ends
    /// or nothing arrives by `deadline`.
    async fn next_event(&mut self, deadline: Instant) -> anyhow::Result<Event> {
        decode(&self.next_text(deadline).await?)
    }

    /// The next text frame from the server, or an error if the connection
    /// ends or nothing arrives by `deadline`.
    async fn next_text(&mut self, deadline: Instant) -> anyhow::Result<String> {
        loop {
            let frame = timeout_at(deadline, self.socket.next())
                .await
                .map_err(|_| anyhow!("nothing from the server within {REPLY_TIMEOUT:?}"))?;
            match frame {
                None => bail!("the server closed the connection"),
                Some(Err(error)) => return Err(error).context("reading from the server"),
                Some(Ok(Message::Text(text))) => return Ok(text.as_str().to_owned()),
                Some(Ok(Message::Close(close))) => {
                    bail!("the server closed the connection ({close:?})")
                }
                Some(Ok(_)) => {}
            }
        }
    }
}

/// The parts of `entered` the tool uses. Decoding into these plain structs
/// skips the rest of the frame (the whole room directory) without building
/// it, several times cheaper than the protocol's tagged `Event`.
#[derive(Deserialize)]
struct EnteredReply {
    /// The client's own profile.
    you: IdOnly,
    /// The band's room directory.
    rooms: Vec<SlugOnly>,
}

/// The parts of `joined` the tool uses.
#[derive(Deserialize)]
struct JoinedReply {
    /// The room.
    room: SlugOnly,
}

/// A user's id, nothing else.
#[derive(Deserialize)]
struct IdOnly {
    /// The id.
    id: UserId,
}

/// A room's slug, nothing else.
#[derive(Deserialize)]
struct SlugOnly {
    /// The slug.
    slug: String,
}

/// Decodes one frame of the server.
fn decode(text: &str) -> anyhow::Result<Event> {
    serde_json::from_str(text).with_context(|| format!("undecodable frame from the server: {text}"))
}

/// The wire `type` of an event, for messages about unexpected ones.
fn event_type(event: &Event) -> String {
    serde_json::to_value(event)
        .ok()
        .and_then(|value| value.get("type")?.as_str().map(str::to_owned))
        .unwrap_or_else(|| "an unknown event".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_decode_into_the_parts_the_tool_uses() -> anyhow::Result<()> {
        let entered: EnteredReply = serde_json::from_str(
            r#"{"type":"entered","req":1,"you":{"id":"7242092544000003","nick":"Zoé","age":16,"gender":"femme","department":"2A","member":false,"idle_secs":0},"band":"teen","rooms":[{"slug":"paris","name":"Paris","members":3}]}"#,
        )?;
        assert_eq!(entered.you.id, UserId(7_242_092_544_000_003));
        assert_eq!(entered.rooms.len(), 1);
        assert_eq!(entered.rooms[0].slug, "paris");
        let joined: JoinedReply = serde_json::from_str(
            r#"{"type":"joined","req":2,"room":{"slug":"load-bcdf-b","name":"load bcdf b","members":1},"members":[],"history":[],"role":"operator"}"#,
        )?;
        assert_eq!(joined.room.slug, "load-bcdf-b");
        Ok(())
    }
}
