//! One client whatever its transport: WebSocket (the protocol crate's JSON)
//! or IRC (plain lines). Scenarios set clients up through [`SetUpClient`]
//! and drive them through [`Link`], so every scenario runs over either
//! transport, or both at once in the same rooms.

use std::net::Ipv4Addr;

use anyhow::Context;
use futures_util::{SinkExt, StreamExt};
use tchatche_protocol::{Command, Request, Say, UserId};
use tokio_tungstenite::tungstenite::Message;

use crate::client::{Client, Socket};
use crate::irc::{IrcClient, IrcEnd, IrcLink};
use crate::target::Target;
use tchatche_protocol::{PrivateCommand, RoomCommand};

/// The wire a client speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// JSON over WebSocket.
    Ws,
    /// IRC lines over TCP.
    Irc,
}

impl Transport {
    /// Whether the server sends a sender its own room or private message
    /// back: tchatche's WebSocket protocol does; IRC without the
    /// `echo-message` capability (which the tool never asks for) does not.
    pub fn echoes_own_messages(self) -> bool {
        self == Transport::Ws
    }
}

/// The transports a scenario's clients use, as given on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TransportChoice {
    /// Every client over WebSocket.
    Ws,
    /// Every client over IRC.
    Irc,
    /// Both in the same rooms: each room's first member over WebSocket,
    /// then one client in three over IRC.
    Mixed,
}

impl TransportChoice {
    /// The transport of client `index`, the `position`-th member of its room.
    pub fn of(self, index: usize, position: usize) -> Transport {
        match self {
            TransportChoice::Ws => Transport::Ws,
            TransportChoice::Irc => Transport::Irc,
            TransportChoice::Mixed if position > 0 && index % 3 == 1 => Transport::Irc,
            TransportChoice::Mixed => Transport::Ws,
        }
    }

    /// Whether any client speaks IRC.
    pub fn uses_irc(self) -> bool {
        self != TransportChoice::Ws
    }

    /// Whether any client speaks WebSocket.
    pub fn uses_ws(self) -> bool {
        self != TransportChoice::Irc
    }
}

/// What a client learned by entering.
#[derive(Clone, Debug)]
pub struct Identity {
    /// Its nickname.
    pub nick: String,
    /// Its session id (WebSocket only: IRC does not tell it).
    pub user_id: Option<UserId>,
    /// The slugs of its band's room directory (WebSocket only).
    pub directory: Vec<String>,
}

/// A client during set-up.
pub enum SetUpClient {
    /// Over WebSocket (boxed: a WebSocket stream is several times the size
    /// of an IRC connection).
    Ws(Box<Client>),
    /// Over IRC.
    Irc(IrcClient),
}

impl SetUpClient {
    /// Connects from `source` over `transport`.
    pub async fn connect(
        target: &Target,
        transport: Transport,
        source: Ipv4Addr,
    ) -> anyhow::Result<SetUpClient> {
        Ok(match transport {
            Transport::Ws => SetUpClient::Ws(Box::new(Client::connect(target, source).await?)),
            Transport::Irc => {
                SetUpClient::Irc(IrcClient::connect(target.irc_addr()?, source).await?)
            }
        })
    }

    /// Enters as a guest (WebSocket) or registers (IRC) as `nick`.
    pub async fn enter(&mut self, nick: &str) -> anyhow::Result<Identity> {
        match self {
            SetUpClient::Ws(client) => {
                let entered = client.enter(nick).await?;
                Ok(Identity {
                    nick: nick.to_owned(),
                    user_id: Some(entered.user_id),
                    directory: entered.rooms,
                })
            }
            SetUpClient::Irc(client) => {
                client.register(nick).await?;
                Ok(Identity {
                    nick: nick.to_owned(),
                    user_id: None,
                    directory: Vec::new(),
                })
            }
        }
    }

    /// Joins the room `slug` (channel `#slug`).
    pub async fn join(&mut self, slug: &str) -> anyhow::Result<()> {
        match self {
            SetUpClient::Ws(client) => client.join(slug).await,
            SetUpClient::Irc(client) => client.join(&format!("#{slug}")).await.map(drop),
        }
    }

    /// Leaves the room `slug` (channel `#slug`).
    pub async fn leave(&mut self, slug: &str) -> anyhow::Result<()> {
        match self {
            SetUpClient::Ws(client) => client.leave(slug).await,
            SetUpClient::Irc(client) => client.part(&format!("#{slug}")).await,
        }
    }

    /// Creates a room and returns its slug. Over WebSocket with
    /// `create_room` and the display name `name`; over IRC by joining
    /// `#channel`, which creates the channel on any IRC server (and a room
    /// on tchatche's gateway).
    pub async fn create_room(&mut self, name: &str, channel: &str) -> anyhow::Result<String> {
        match self {
            SetUpClient::Ws(client) => client.create_room(name).await,
            SetUpClient::Irc(client) => {
                let joined = client.join(&format!("#{channel}")).await?;
                Ok(joined.trim_start_matches('#').to_owned())
            }
        }
    }

    /// The connection, for the scenario's loop.
    pub fn into_link(self) -> Link {
        match self {
            SetUpClient::Ws(client) => Link::Ws(Box::new(client.into_socket())),
            SetUpClient::Irc(client) => Link::Irc(client.into_link()),
        }
    }
}

/// Where a sender's messages go.
#[derive(Clone, Debug)]
pub enum Speech {
    /// A room (channel `#slug`).
    Room {
        /// The room's slug.
        slug: String,
    },
    /// A private message.
    Dm {
        /// The recipient's session id (needed over WebSocket).
        to_id: Option<UserId>,
        /// The recipient's nickname (needed over IRC).
        to_nick: String,
    },
}

impl Speech {
    /// The frame (WebSocket) or line (IRC) that sends `body`, with request
    /// number `req` where the wire has one.
    pub fn frame(&self, transport: Transport, req: u32, body: String) -> anyhow::Result<String> {
        match (transport, self) {
            (Transport::Ws, Speech::Room { slug }) => Ok(serde_json::to_string(&Request {
                req: Some(req),
                command: Command::Room(RoomCommand::Say(Say {
                    room: slug.clone(),
                    body,
                    reply_to: None,
                })),
            })?),
            (Transport::Ws, Speech::Dm { to_id, .. }) => Ok(serde_json::to_string(&Request {
                req: Some(req),
                command: Command::Private(PrivateCommand::Dm {
                    to: to_id.context("a private message over WebSocket needs a user id")?,
                    body,
                }),
            })?),
            (Transport::Irc, Speech::Room { slug }) => Ok(format!("PRIVMSG #{slug} :{body}\r\n")),
            (Transport::Irc, Speech::Dm { to_nick, .. }) => {
                Ok(format!("PRIVMSG {to_nick} :{body}\r\n"))
            }
        }
    }
}

/// One piece of what the server sent.
pub enum Incoming<'a> {
    /// A WebSocket text frame.
    Frame(&'a str),
    /// An IRC line, without its line ending.
    Line(&'a str),
}

/// How a connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkEnd {
    /// The server closed it (how).
    Closed(String),
    /// Reading or writing failed.
    Failed(String),
}

/// A client's connection after set-up.
pub enum Link {
    /// Over WebSocket (boxed, as in [`SetUpClient`]).
    Ws(Box<Socket>),
    /// Over IRC.
    Irc(IrcLink),
}

impl Link {
    /// Waits for what the server sends next and hands it to `each`.
    /// Cancel-safe, so it can race a write in `select!`.
    pub async fn next(&mut self, mut each: impl FnMut(Incoming<'_>)) -> Result<(), LinkEnd> {
        match self {
            Link::Ws(socket) => match socket.next().await {
                Some(Ok(Message::Text(text))) => {
                    each(Incoming::Frame(text.as_str()));
                    Ok(())
                }
                Some(Ok(Message::Close(close))) => Err(LinkEnd::Closed(match close {
                    Some(close) => {
                        format!("close frame {} {}", u16::from(close.code), close.reason)
                    }
                    None => "close frame".to_owned(),
                })),
                Some(Ok(_)) => Ok(()),
                Some(Err(error)) => Err(LinkEnd::Failed(format!("read: {error}"))),
                None => Err(LinkEnd::Closed("end of stream".to_owned())),
            },
            Link::Irc(link) => link
                .next_lines(|line| each(Incoming::Line(line)))
                .await
                .map_err(|end| match end {
                    IrcEnd::Closed => LinkEnd::Closed("end of stream".to_owned()),
                    IrcEnd::Failed(error) => LinkEnd::Failed(error),
                }),
        }
    }

    /// Sends one frame or line built by [`Speech::frame`].
    pub async fn send(&mut self, text: String) -> Result<(), LinkEnd> {
        match self {
            Link::Ws(socket) => socket
                .send(Message::text(text))
                .await
                .map_err(|error| LinkEnd::Failed(format!("write: {error}"))),
            Link::Irc(link) => link.send(&text).await.map_err(|end| match end {
                IrcEnd::Closed => LinkEnd::Closed("end of stream".to_owned()),
                IrcEnd::Failed(error) => LinkEnd::Failed(error),
            }),
        }
    }
}
