//! Site staff: who holds a staff role, who of them is online, `wallops`
//! between them, and the staff writer task that records every staff action
//! (sanctions, lifts, audit entries) in decision order.
//!
//! Roles come from the configuration and go only to adult members entering
//! with a listed nickname. A staff action takes effect in the hub at once
//! (see `sanctions.rs`) and is then written by the one writer task, so the
//! hub never waits for the database and the audit chain keeps the hub's
//! order; its author is told it is recorded once it is written.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use tchatche_protocol::{Band, ErrorCode, Event, SanctionKind, StaffCommand, StaffRole, UserId};
use tchatche_store::{
    AccountStore, AuditEntry, AuditStore, SanctionStore, StoreError, StoredSanction,
};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::effects::Recipients;
use crate::ids::now_ms;
use crate::outbox::{OutboxSender, Outgoing};
use crate::sanctions::{InForce, Sanctions};
use crate::state::{Hub, Outcome, refuse};
use crate::work::{Done, DoneSender};

/// The pause after each failed write of a staff action before the next
/// try; `None`: the last try.
const WRITE_RETRIES: [Option<Duration>; 3] = [
    Some(Duration::from_millis(100)),
    Some(Duration::from_millis(1000)),
    None,
];

/// Where the hub writes sanctions, audit entries and review items.
pub struct StaffStores {
    /// Sanctions.
    pub sanctions: Arc<dyn SanctionStore>,
    /// The audit log.
    pub audit: Arc<dyn AuditStore>,
    /// The review queue's items (held and flagged texts); without it they
    /// last only as long as the process.
    pub reviews: Option<Arc<dyn tchatche_store::ReviewStore>>,
}

/// A write for the staff writer task.
pub(crate) enum StaffWrite {
    Sanction(StoredSanction),
    Lift { id: u64, at_ms: u64 },
    Audit(AuditEntry),
}

/// One staff action's writes, and the answer its author gets once they
/// are all stored: staff are told an action is recorded only when it is.
struct StaffRecord {
    writes: Vec<StaffWrite>,
    reply: (UserId, Event),
}

/// The staff part of the hub's state.
pub(crate) struct Staff {
    /// Staff online, for `wallops`.
    pub online: HashMap<UserId, OutboxSender>,
    writer: Option<mpsc::UnboundedSender<StaffRecord>>,
    writer_task: Option<JoinHandle<()>>,
}

impl Staff {
    /// Reads the sanctions in force and starts the writer, which reports
    /// on `done`.
    pub async fn new(
        stores: Option<StaffStores>,
        done: DoneSender,
    ) -> Result<(Staff, Sanctions), StoreError> {
        let mut staff = Staff {
            online: HashMap::new(),
            writer: None,
            writer_task: None,
        };
        let mut sanctions = Sanctions::default();
        let Some(stores) = stores else {
            return Ok((staff, sanctions));
        };
        for stored in stores.sanctions.sanctions_in_force(now_ms()).await? {
            let Some(kind) = SanctionKind::parse(&stored.kind) else {
                return Err(StoreError::Corrupt {
                    field: "kind",
                    value: stored.kind,
                });
            };
            let address = match stored.address.as_deref().map(str::parse::<IpAddr>) {
                None => None,
                Some(Ok(address)) => Some(address),
                Some(Err(_)) => {
                    return Err(StoreError::Corrupt {
                        field: "address",
                        value: stored.address.unwrap_or_default(),
                    });
                }
            };
            sanctions.in_force.insert(
                stored.id,
                InForce {
                    kind,
                    nick: stored.nick,
                    nick_key: stored.nick_key,
                    address,
                    reason: stored.reason,
                    until_ms: stored.expires_at_ms,
                },
            );
        }
        let (sender, receiver) = mpsc::unbounded_channel();
        staff.writer = Some(sender);
        staff.writer_task = Some(tokio::spawn(write_staff_actions(receiver, stores, done)));
        Ok((staff, sanctions))
    }

    /// Records a staff action: `reply` goes to its author once `writes`
    /// are stored. Returned when there is nothing to wait for (no store),
    /// to send at once.
    pub(crate) fn record(
        &self,
        writes: Vec<StaffWrite>,
        reply: (UserId, Event),
    ) -> Option<(UserId, Event)> {
        match &self.writer {
            // The task ends only when this sender is dropped.
            Some(writer) => writer
                .send(StaffRecord { writes, reply })
                .err()
                .map(|lost| lost.0.reply),
            None => Some(reply),
        }
    }

    /// Stops the writer once it has written everything queued; the hub
    /// awaits this at shutdown so no sanction or audit entry is lost.
    pub fn close_writer(&mut self) -> Option<JoinHandle<()>> {
        self.writer = None;
        self.writer_task.take()
    }
}

/// The staff writer: records sanctions and appends audit entries, one at a
/// time, in the order the hub decided them, then tells the action's author
/// through the hub. A failed write is logged and the author told
/// `server_error`; the sanction stays applied in the hub.
async fn write_staff_actions(
    mut receiver: mpsc::UnboundedReceiver<StaffRecord>,
    stores: StaffStores,
    done: DoneSender,
) {
    while let Some(StaffRecord { writes, reply }) = receiver.recv().await {
        let mut stored = true;
        for write in &writes {
            stored &= write_staff_action(&stores, write).await;
        }
        let (to, event) = reply;
        let event = if stored {
            event
        } else {
            Event::Error(
                refuse(event.req(), ErrorCode::ServerError)
                    .with_detail("applied, but not recorded in the database"),
            )
        };
        // The hub may have stopped meanwhile: nobody is left to tell.
        let _ = done.send(Done::Reply { to, event });
    }
}

/// Writes one staff action, with a few more chances for a busy or briefly
/// failing database (the audit chain should have no hole); false when it
/// could not be written.
async fn write_staff_action(stores: &StaffStores, write: &StaffWrite) -> bool {
    for (attempt, pause) in WRITE_RETRIES.iter().enumerate() {
        let outcome = match write {
            StaffWrite::Sanction(sanction) => stores.sanctions.record_sanction(sanction).await,
            StaffWrite::Lift { id, at_ms } => stores
                .sanctions
                .lift_sanction(*id, *at_ms)
                .await
                .map(|_| ()),
            StaffWrite::Audit(entry) => stores.audit.append_audit(entry).await.map(|_| ()),
        };
        match outcome {
            Ok(()) => return true,
            // A duplicate will stay one.
            Err(error @ StoreError::Duplicate { .. }) => {
                tracing::error!(error = %error, "recording a staff action failed");
                return false;
            }
            Err(error) => match pause {
                Some(pause) => {
                    tracing::warn!(error = %error, attempt, "recording a staff action failed; retrying");
                    tokio::time::sleep(*pause).await;
                }
                None => tracing::error!(error = %error, "recording a staff action failed"),
            },
        }
    }
    false
}

/// Warns at start about listed staff nicknames nobody can use: with no
/// account (register first, then list), or the account of a member of the
/// teen band (staff are adults).
pub(crate) async fn warn_about_listed_nicknames(
    settings: &crate::settings::HubSettings,
    credentials: &crate::accounts::Credentials,
    accounts: Option<&dyn AccountStore>,
) -> Result<(), StoreError> {
    for (nick_key, role) in &settings.staff {
        if !credentials.member_keys.contains(nick_key) {
            tracing::warn!(
                nick = %nick_key,
                role = ?role,
                "a staff nickname has no member account: nobody can use it until \
                 its owner registers it (register first, then list it)"
            );
            continue;
        }
        let Some(accounts) = accounts else { continue };
        let account = accounts.account_by_nick_key(nick_key).await?;
        if account.is_some_and(|account| {
            Band::for_age(crate::accounts::age_now(&account, crate::ids::now_ms())) != Band::Adult
        }) {
            tracing::warn!(
                nick = %nick_key,
                role = ?role,
                "a staff nickname belongs to a member of the teen band: staff are \
                 adults, so this member enters as an ordinary member"
            );
        }
    }
    Ok(())
}

impl Hub {
    /// The staff role of the person behind `id`, or `not_staff`.
    pub(crate) fn staff_role(
        &self,
        id: UserId,
        req: Option<u32>,
    ) -> Result<StaffRole, tchatche_protocol::ErrorEvent> {
        self.person(id, req)?
            .staff
            .ok_or_else(|| refuse(req, ErrorCode::NotStaff))
    }

    pub(crate) fn wallops(&mut self, id: UserId, req: Option<u32>, text: String) -> Outcome {
        self.staff_role(id, req)?;
        let text = text.trim().to_owned();
        if text.is_empty() {
            return Err(refuse(req, ErrorCode::MessageEmpty));
        }
        if text.chars().count() > self.settings.max_body_chars as usize {
            return Err(refuse(req, ErrorCode::MessageTooLong));
        }
        let from = self.person(id, req)?.author(id);
        self.effects.deliver(
            Recipients::Staff,
            Outgoing::new(Event::Wallops { from, text }),
        );
        self.acknowledge(id, req);
        Ok(())
    }
}

impl Hub {
    /// The commands of this family, each to its handler.
    pub(crate) fn staff_command(
        &mut self,
        id: UserId,
        req: Option<u32>,
        command: StaffCommand,
    ) -> Outcome {
        match command {
            StaffCommand::Sanction(sanction) => self.sanction(id, req, sanction),
            StaffCommand::LiftSanction { id: sanction } => self.lift_sanction(id, req, sanction),
            StaffCommand::Wallops { text } => self.wallops(id, req, text),
        }
    }
}
