//! The tchatche WebSocket protocol: commands, events, errors and their JSON
//! form, with no IO.
//!
//! This crate is the single definition of the wire format. The TypeScript
//! types of the web client are generated from it (`cargo test -p
//! tchatche-protocol` writes them to `web/src/lib/protocol/`), and
//! `docs/PROTOCOL.md` documents it.

mod codec;
mod command;
mod department;
mod error;
mod event;
mod ids;
mod model;

pub use codec::{decode_request, encode_event};
pub use command::{
    AccountCommand, Command, Enter, LinkCommand, PeopleCommand, PrivateCommand, Request,
    RoomAdminCommand, RoomCommand, Sanction, Say, SetRoom, StaffCommand, UserQuery,
};
pub use department::{ABROAD, DEPARTMENTS, Department};
pub use error::ErrorCode;
pub use event::{ErrorEvent, Event};
pub use ids::{MessageId, SanctionId, UserId};
pub use model::{
    Author, Band, Departure, DirectMessage, DmAcceptance, Gender, Limits, ReplyRef, RoomCount,
    RoomFlags, RoomMember, RoomMessage, RoomRole, RoomSummary, SanctionKind, SanctionNotice,
    StaffRole, UserSummary,
};

/// The protocol version this server speaks; clients announce theirs in `enter`.
pub const PROTOCOL_VERSION: u32 = 1;
