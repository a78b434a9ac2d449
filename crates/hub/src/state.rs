//! The hub's live state and its event loop.
//!
//! One task owns everything here: sessions, people by band, rooms, scrollback.
//! Nothing else mutates it, so no lock is taken on a message's path. Each
//! band has its own people and rooms ([`BandState`]); a handler finds rooms
//! only through the sender's band, so a room of the other band cannot even
//! be named.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use tchatche_bus::{BusLink, BusMessage, Delivery, Subject};
use tchatche_protocol::{
    Band, Department, DmAcceptance, ErrorCode, ErrorEvent, Event, Gender, RoomFlags, RoomMessage,
    RoomRole, RoomSummary, StaffRole, UserId, UserSummary,
};
use tchatche_store::{HistoryStore, StoredMessage};
use tokio::sync::mpsc;

use crate::handle::{Control, Request};
use crate::ids::IdGenerator;
use crate::outbox::{OutboxSender, Outgoing, QueueError};
use crate::rooms::{Leaving, MaskList};
use crate::settings::HubSettings;

/// A connected client, entered or not.
pub(crate) struct Session {
    pub outbox: OutboxSender,
    /// Where the connection comes from (logged at entry for connection records).
    pub info: crate::handle::ConnectionInfo,
    pub person: Option<Person>,
    /// A credential job runs for this session: its requests wait in `parked`.
    pub busy: bool,
    /// Requests that arrived while `busy`, handled in order once it is not.
    pub parked: VecDeque<Request>,
    /// The account `authenticate` proved, until `enter` uses it.
    /// Boxed: rare, and every session's entry would otherwise carry its size.
    pub authenticated: Option<Box<tchatche_store::StoredAccount>>,
    /// Entered with a recovery code: may set a new password without the old.
    pub recovered: bool,
    /// The nickname whose password this session's job is testing, counted
    /// by the failed-login throttle until the outcome settles it.
    pub attempt: Option<String>,
    /// When a command last came from this connection, in seconds since the
    /// hub started (see [`Hub::sweep_sessions`]).
    pub last_heard: u32,
    /// `enter` asked for no room directory in `entered`.
    pub no_directory: bool,
}

/// What entry needs to know of a person, guest or member.
pub(crate) struct Admission {
    pub nick: String,
    pub nick_key: String,
    pub age: u32,
    pub gender: Gender,
    pub department: Department,
    /// The account id of a member.
    pub account: Option<u64>,
}

/// An entered person.
pub(crate) struct Person {
    pub nick: String,
    pub nick_key: String,
    pub age: u32,
    pub gender: Gender,
    pub department: Department,
    pub band: Band,
    pub rooms: Vec<String>,
    pub accepts: DmAcceptance,
    pub last_active: Instant,
    pub created_rooms: u32,
    pub watching_presence: bool,
    /// People this person exchanged private messages with during this
    /// session: a conversation exists with them.
    pub conversations: HashSet<UserId>,
    /// Away message, if away.
    pub away: Option<String>,
    /// The member account, for a member.
    pub account: Option<u64>,
    /// Site staff role (members listed in the configuration).
    pub staff: Option<StaffRole>,
    /// When a moderator's mute ends, in milliseconds since the Unix epoch;
    /// 0: not muted. A cache of the hub's sanctions in force.
    pub muted_until_ms: u64,
    /// The mute binds only this person's address (someone else's sanction).
    pub muted_by_address: bool,
}

impl Person {
    pub fn summary(&self, id: UserId, now: Instant) -> UserSummary {
        UserSummary {
            id,
            nick: self.nick.clone(),
            age: self.age,
            gender: self.gender,
            department: self.department,
            member: self.account.is_some(),
            idle_secs: u32::try_from(now.saturating_duration_since(self.last_active).as_secs())
                .unwrap_or(u32::MAX),
            away: self.away.clone(),
            staff: self.staff,
        }
    }

    /// The mute on this person, if any, with how long it still lasts (the
    /// clock is read only for someone who was muted).
    pub fn muted(&self) -> Option<tchatche_safety::Mute> {
        if self.muted_until_ms == 0 {
            return None;
        }
        let now_ms = crate::ids::now_ms();
        (self.muted_until_ms > now_ms).then(|| tchatche_safety::Mute {
            left: std::time::Duration::from_millis(self.muted_until_ms - now_ms),
            by_address: self.muted_by_address,
        })
    }

    pub fn author(&self, id: UserId) -> tchatche_protocol::Author {
        tchatche_protocol::Author {
            id,
            nick: self.nick.clone(),
            member: self.account.is_some(),
        }
    }
}

/// A room member: their standing, and their queue so fan-out needs no lookup.
pub(crate) struct Member {
    pub role: RoomRole,
    pub outbox: OutboxSender,
}

pub(crate) struct Room {
    pub slug: String,
    pub key: String,
    pub name: String,
    pub category: String,
    pub topic: String,
    pub flags: RoomFlags,
    pub user_created: bool,
    pub creator: Option<UserId>,
    pub members: HashMap<UserId, Member>,
    pub scrollback: VecDeque<RoomMessage>,
    pub last_spoke: HashMap<UserId, Instant>,
    pub created_at: u64,
    pub topic_at: u64,
    /// Ban masks (nickname patterns).
    pub bans: Vec<String>,
    /// Masks that may join an invite-only room uninvited.
    pub invite_exceptions: Vec<String>,
    /// People invited and not yet joined.
    pub invited: HashSet<UserId>,
    /// The key needed to join, if any.
    pub join_key: Option<String>,
}

impl Room {
    /// A room; user-created when it has a creator.
    pub fn new(
        slug: &str,
        name: &str,
        category: &str,
        topic: &str,
        flags: RoomFlags,
        creator: Option<UserId>,
    ) -> Room {
        Room {
            slug: slug.to_owned(),
            key: tchatche_safety::names::room_key(slug),
            name: name.to_owned(),
            category: category.to_owned(),
            topic: topic.to_owned(),
            flags,
            user_created: creator.is_some(),
            creator,
            members: HashMap::new(),
            scrollback: VecDeque::new(),
            last_spoke: HashMap::new(),
            created_at: crate::ids::now_ms(),
            topic_at: 0,
            bans: Vec::new(),
            invite_exceptions: Vec::new(),
            invited: HashSet::new(),
            join_key: None,
        }
    }

    pub fn summary(&self) -> RoomSummary {
        let mut flags = self.flags.clone();
        flags.has_key = self.join_key.is_some();
        RoomSummary {
            slug: self.slug.clone(),
            name: self.name.clone(),
            category: self.category.clone(),
            topic: self.topic.clone(),
            members: u32::try_from(self.members.len()).unwrap_or(u32::MAX),
            flags,
            user_created: self.user_created,
            created_at: self.created_at,
            topic_at: self.topic_at,
        }
    }

    /// Every member's id and queue, for fan-out.
    pub fn member_queues(&self) -> impl Iterator<Item = (&UserId, &OutboxSender)> {
        self.members.iter().map(|(id, member)| (id, &member.outbox))
    }

    /// Whether the history of this room is stored (seeded rooms) or lives and
    /// dies with the room (user-created rooms).
    pub fn persistent(&self) -> bool {
        !self.user_created
    }
}

/// One band's world: its people and its rooms.
pub(crate) struct BandState {
    /// Everyone entered in this band, with their queue for band-wide events.
    pub people: HashMap<UserId, OutboxSender>,
    /// Those who asked for presence events.
    pub watchers: HashMap<UserId, OutboxSender>,
    /// Those who asked for live room counts (the directory is on their screen).
    pub directory_watchers: HashMap<UserId, OutboxSender>,
    pub rooms: HashMap<String, Room>,
    /// Folded room names, so lookalike names collide.
    pub room_keys: HashMap<String, String>,
    /// Slugs in directory order.
    pub directory: Vec<String>,
    /// Rooms whose member count changed since the last directory update.
    pub changed_counts: HashSet<String>,
    /// Who left recently, most recent last, for `whowas`.
    pub departures: VecDeque<tchatche_protocol::Departure>,
}

impl BandState {
    fn new() -> BandState {
        BandState {
            people: HashMap::new(),
            watchers: HashMap::new(),
            directory_watchers: HashMap::new(),
            rooms: HashMap::new(),
            room_keys: HashMap::new(),
            directory: Vec::new(),
            changed_counts: HashSet::new(),
            departures: VecDeque::new(),
        }
    }

    pub fn directory(&self) -> Vec<RoomSummary> {
        self.directory
            .iter()
            .filter_map(|slug| self.rooms.get(slug))
            .map(Room::summary)
            .collect()
    }
}

/// Seconds between two nudges of one IRC session (see [`Hub::sweep_sessions`]).
pub(crate) const NUDGE_EVERY_SECS: u32 = 15;

/// The hub.
pub(crate) struct Hub {
    pub settings: Arc<HubSettings>,
    /// Boxed: a map sized for tens of thousands of sessions keeps empty
    /// slots, each as large as its value; a pointer wastes little there.
    pub sessions: HashMap<UserId, Box<Session>>,
    /// Folded nickname to session, for server-wide uniqueness and mentions.
    pub nicknames: HashMap<String, UserId>,
    pub teen: BandState,
    pub adult: BandState,
    pub ids: IdGenerator,
    /// Room messages on their way to the store, and their authors waiting.
    pub history: crate::history::HistoryWrites,
    pub bus: Box<dyn BusLink>,
    /// Sessions to drop after the current step: too slow, or gone.
    pub to_close: Vec<UserId>,
    /// Credential jobs, the member nicknames and the failed-login throttles.
    pub credentials: crate::accounts::Credentials,
    /// Where background work (credential jobs, the staff writer) reports;
    /// taken by [`Hub::run`].
    pub done: Option<mpsc::UnboundedReceiver<crate::work::Done>>,
    /// When the hub started: sessions note when they were last heard from
    /// in whole seconds since then (4 bytes each, not an `Instant`'s 16).
    /// Tokio's clock, which tests can pause and move.
    pub started: tokio::time::Instant,
    /// The second of the last sweep of sessions ([`Hub::sweep_sessions`]).
    pub swept_at: u32,
    /// Staff online and the sanctions in force.
    pub staff: crate::staff::Staff,
}

/// Queues `frame` on `outbox`; a full or closed queue marks the session for closing.
pub(crate) fn deliver(
    id: UserId,
    outbox: &OutboxSender,
    frame: &Outgoing,
    to_close: &mut Vec<UserId>,
) {
    match outbox.push(frame.clone()) {
        Ok(()) => {}
        Err(QueueError::Full) => {
            outbox.close(ErrorCode::TooSlow);
            to_close.push(id);
        }
        Err(QueueError::Closed) => to_close.push(id),
    }
}

/// Queues `frame` on every queue of `recipients`.
pub(crate) fn fan_out<'a>(
    recipients: impl Iterator<Item = (&'a UserId, &'a OutboxSender)>,
    frame: &Outgoing,
    to_close: &mut Vec<UserId>,
) {
    for (id, outbox) in recipients {
        deliver(*id, outbox, frame, to_close);
    }
}

pub(crate) type Outcome = Result<(), ErrorEvent>;

/// The next receipt of the history writer, if there is one to wait for.
async fn next_receipt(
    receipts: &mut Option<tchatche_store::Receipts>,
) -> Option<tchatche_store::Receipt> {
    match receipts {
        Some(receipts) => receipts.next().await,
        None => std::future::pending().await,
    }
}

/// Departures remembered per band for `whowas`.
const MAX_DEPARTURES: usize = 500;

/// Shorthand for a refusal with the code's standard texts.
pub(crate) fn refuse(req: Option<u32>, code: ErrorCode) -> ErrorEvent {
    ErrorEvent::new(req, code)
}

/// The refusal for a safety verdict, with when to try again if it says.
pub(crate) fn refuse_verdict(
    req: Option<u32>,
    code: ErrorCode,
    retry_after: Option<std::time::Duration>,
) -> ErrorEvent {
    let error = refuse(req, code);
    match retry_after {
        Some(wait) => {
            error.with_retry_after_ms(u64::try_from(wait.as_millis()).unwrap_or(u64::MAX).max(1))
        }
        None => error,
    }
}

impl Hub {
    pub async fn new(
        settings: Arc<HubSettings>,
        store: Option<Arc<dyn HistoryStore>>,
        history: crate::history::HistoryWrites,
        accounts: Option<Arc<dyn tchatche_store::AccountStore>>,
        staff: Option<crate::staff::StaffStores>,
        bus: Box<dyn BusLink>,
    ) -> Result<Hub, crate::StartError> {
        let floor = match &store {
            Some(store) => store.max_message_id().await?.unwrap_or(0),
            None => 0,
        };
        let (done_sender, done) = mpsc::unbounded_channel();
        let credentials = crate::accounts::Credentials::new(
            &settings.accounts,
            accounts.clone(),
            done_sender.clone(),
        )
        .await?;
        let staff = crate::staff::Staff::new(staff, done_sender).await?;
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
            let Some(accounts) = &accounts else { continue };
            let account = accounts.account_by_nick_key(nick_key).await?;
            if account.is_some_and(|account| {
                Band::for_age(crate::accounts::age_now(&account, crate::ids::now_ms()))
                    != Band::Adult
            }) {
                tracing::warn!(
                    nick = %nick_key,
                    role = ?role,
                    "a staff nickname belongs to a member of the teen band: staff are \
                     adults, so this member enters as an ordinary member"
                );
            }
        }
        let mut hub = Hub {
            settings: Arc::clone(&settings),
            sessions: HashMap::new(),
            nicknames: HashMap::new(),
            teen: BandState::new(),
            adult: BandState::new(),
            ids: IdGenerator::new(floor),
            history,
            bus,
            to_close: Vec::new(),
            credentials,
            done: Some(done),
            started: tokio::time::Instant::now(),
            swept_at: 0,
            staff,
        };
        for seed in &settings.rooms {
            let bands: &[Band] = match seed.bands {
                tchatche_config::RoomBands::Adult => &[Band::Adult],
                tchatche_config::RoomBands::Teen => &[Band::Teen],
                tchatche_config::RoomBands::Both => &[Band::Teen, Band::Adult],
            };
            for &band in bands {
                if band == Band::Teen && settings.min_age >= 18 {
                    continue;
                }
                let scrollback = match &store {
                    Some(store) => {
                        let stored = store
                            .recent(band.as_str(), &seed.slug, settings.scrollback as u32)
                            .await?;
                        crate::rooms::scrollback_from_store(&seed.slug, stored)
                    }
                    None => VecDeque::new(),
                };
                let flags = RoomFlags {
                    registered_only: seed.registered_only,
                    moderated: seed.moderated,
                    slow_mode_secs: seed.slow_mode_secs,
                    capacity: seed.capacity,
                    ..RoomFlags::default()
                };
                let mut room = Room::new(
                    &seed.slug,
                    &seed.name,
                    &seed.category,
                    &seed.topic,
                    flags,
                    None,
                );
                room.scrollback = scrollback;
                hub.insert_room(band, room);
            }
        }
        Ok(hub)
    }

    pub fn band(&self, band: Band) -> &BandState {
        match band {
            Band::Teen => &self.teen,
            Band::Adult => &self.adult,
        }
    }

    pub fn band_mut(&mut self, band: Band) -> &mut BandState {
        match band {
            Band::Teen => &mut self.teen,
            Band::Adult => &mut self.adult,
        }
    }

    /// A band's state together with the close list, so a handler can fan out
    /// over the band while marking slow sessions.
    pub fn band_split(&mut self, band: Band) -> (&mut BandState, &mut Vec<UserId>) {
        match band {
            Band::Teen => (&mut self.teen, &mut self.to_close),
            Band::Adult => (&mut self.adult, &mut self.to_close),
        }
    }

    pub fn insert_room(&mut self, band: Band, room: Room) {
        let state = self.band_mut(band);
        state.room_keys.insert(room.key.clone(), room.slug.clone());
        state.directory.push(room.slug.clone());
        state.rooms.insert(room.slug.clone(), room);
    }

    /// The entered person behind a session, or `not_entered`.
    pub fn person(&self, id: UserId, req: Option<u32>) -> Result<&Person, ErrorEvent> {
        self.sessions
            .get(&id)
            .and_then(|session| session.person.as_ref())
            .ok_or_else(|| refuse(req, ErrorCode::NotEntered))
    }

    pub fn person_mut(&mut self, id: UserId, req: Option<u32>) -> Result<&mut Person, ErrorEvent> {
        self.sessions
            .get_mut(&id)
            .and_then(|session| session.person.as_mut())
            .ok_or_else(|| refuse(req, ErrorCode::NotEntered))
    }

    /// Sends one event to one session.
    pub fn send(&mut self, id: UserId, event: Event) {
        if let Some(session) = self.sessions.get(&id) {
            deliver(
                id,
                &session.outbox,
                &Outgoing::new(event),
                &mut self.to_close,
            );
        }
    }

    /// Confirms a fire-and-forget command (typing, seen) only when the client
    /// numbered it, so a client that waits for a reply gets one and the
    /// others cost nothing.
    pub fn acknowledge(&mut self, id: UserId, req: Option<u32>) {
        if req.is_some() {
            self.send(id, Event::Ok { req });
        }
    }

    /// Sends one frame to everyone sharing one of `rooms` with `id` (and,
    /// with `watchers`, to the band's presence watchers), once each, never
    /// to `id` itself.
    pub fn fan_out_to_peers(
        &mut self,
        id: UserId,
        band: Band,
        rooms: &[String],
        frame: &Outgoing,
        watchers: bool,
    ) {
        let mut told = HashSet::new();
        let (state, to_close) = self.band_split(band);
        for slug in rooms {
            if let Some(room) = state.rooms.get(slug) {
                let fresh = room
                    .member_queues()
                    .filter(|(member, _)| **member != id && told.insert(**member));
                fan_out(fresh, frame, to_close);
            }
        }
        if watchers {
            let fresh = state
                .watchers
                .iter()
                .filter(|(watcher, _)| **watcher != id && told.insert(**watcher));
            fan_out(fresh, frame, to_close);
        }
    }

    /// Sends one frame to everyone entered in a band.
    pub fn broadcast_band(&mut self, band: Band, frame: &Outgoing) {
        let (state, to_close) = self.band_split(band);
        fan_out(state.people.iter(), frame, to_close);
    }

    pub async fn run(
        mut self,
        mut control: mpsc::UnboundedReceiver<Control>,
        mut requests: mpsc::Receiver<Request>,
    ) {
        let mut directory_tick = tokio::time::interval(self.settings.directory_interval);
        directory_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut batch = Vec::with_capacity(256);
        let Some(mut done) = self.done.take() else {
            return;
        };
        let mut receipts = self.history.take_receipts();
        loop {
            tokio::select! {
                biased;
                message = control.recv() => match message {
                    Some(Control::Shutdown { done: stopped }) => {
                        self.shutdown(&mut done, receipts.as_mut()).await;
                        let _ = stopped.send(());
                        return;
                    }
                    Some(message) => self.on_control(message),
                    None => return,
                },
                received = requests.recv_many(&mut batch, 256) => {
                    if received == 0 {
                        return;
                    }
                    // An `Open` always precedes its session's first request:
                    // take every control message already sent before handling them.
                    while let Ok(message) = control.try_recv() {
                        if let Control::Shutdown { done: stopped } = message {
                            self.shutdown(&mut done, receipts.as_mut()).await;
                            let _ = stopped.send(());
                            return;
                        }
                        self.on_control(message);
                    }
                    for request in batch.drain(..) {
                        self.on_request(request);
                        self.close_pending();
                    }
                },
                Some(work) = done.recv() => self.on_done(work),
                Some(receipt) = next_receipt(&mut receipts) => self.on_receipt(receipt),
                Some(delivery) = self.bus.incoming().recv() => self.on_bus(delivery),
                _ = directory_tick.tick() => {
                    self.send_changed_counts();
                    self.sweep_sessions();
                }
            }
            self.close_pending();
        }
    }

    fn on_control(&mut self, message: Control) {
        match message {
            Control::Open { id, outbox, info } => {
                self.sessions.insert(
                    id,
                    Box::new(Session {
                        outbox,
                        info,
                        person: None,
                        busy: false,
                        parked: VecDeque::new(),
                        authenticated: None,
                        recovered: false,
                        attempt: None,
                        last_heard: self.uptime_secs(),
                        no_directory: false,
                    }),
                );
            }
            Control::Close { id } => self.remove_session(id),
            Control::Shutdown { .. } => {}
        }
    }

    /// Whole seconds since the hub started.
    fn uptime_secs(&self) -> u32 {
        u32::try_from(self.started.elapsed().as_secs()).unwrap_or(u32::MAX)
    }

    /// Once a second: closes the WebSocket sessions nothing came from for
    /// longer than the idle timeout (a phone that lost its network leaves a
    /// connection the kernel may keep for many minutes, holding the person's
    /// nickname), and nudges each IRC session every [`NUDGE_EVERY_SECS`] so
    /// the gateway can check its keep-alive (PING) without a timer in every
    /// connection. The nudges are spread over the seconds by session id.
    fn sweep_sessions(&mut self) {
        let now = self.uptime_secs();
        if now == self.swept_at {
            return;
        }
        self.swept_at = now;
        if now.is_multiple_of(60) {
            self.staff.forget_ended(crate::ids::now_ms());
        }
        let limit = self
            .settings
            .idle_timeout
            .map(|timeout| u32::try_from(timeout.as_secs()).unwrap_or(u32::MAX));
        let turn = u64::from(now % NUDGE_EVERY_SECS);
        for (id, session) in &self.sessions {
            match session.info.transport {
                crate::handle::Transport::WebSocket => {
                    if limit.is_some_and(|limit| now.saturating_sub(session.last_heard) > limit) {
                        // The connection says goodbye and its end removes the session.
                        session.outbox.close(ErrorCode::IdleTimeout);
                    }
                }
                crate::handle::Transport::Irc => {
                    if id.0 % u64::from(NUDGE_EVERY_SECS) == turn {
                        session.outbox.nudge();
                    }
                }
            }
        }
    }

    pub(crate) fn on_request(&mut self, request: Request) {
        let now = self.uptime_secs();
        let Some(session) = self.sessions.get_mut(&request.id) else {
            // The connection closed while its request waited.
            return;
        };
        session.last_heard = now;
        if session.busy {
            // A credential job runs, or a message waits for room in the
            // history writer: keep the order of this session's requests.
            if session.parked.len() < crate::accounts::MAX_PARKED {
                session.parked.push_back(request);
            } else {
                let error = refuse(request.req, ErrorCode::Busy);
                self.send(request.id, Event::Error(error));
            }
            return;
        }
        if self.history.is_full() && self.says_in_stored_room(&request) {
            // The database is behind: this message, and what the session
            // sends after it, wait for room; nothing is dropped.
            let id = request.id;
            if let Some(session) = self.sessions.get_mut(&id) {
                session.busy = true;
                session.parked.push_front(request);
                self.history.stall(id);
            }
            return;
        }
        let Request { id, req, command } = request;
        if let Err(error) = self.handle(id, req, command) {
            self.send(id, Event::Error(error));
        }
    }

    fn handle(
        &mut self,
        id: UserId,
        req: Option<u32>,
        command: tchatche_protocol::Command,
    ) -> Outcome {
        use tchatche_protocol::Command;
        match command {
            Command::Enter(enter) => self.enter(id, req, enter),
            Command::Authenticate { account, password } => {
                self.authenticate(id, req, &account, password)
            }
            Command::Register { password, email } => self.register(id, req, password, email),
            Command::ChangePassword {
                current,
                new_password,
            } => self.change_password(id, req, current, new_password),
            Command::DeleteAccount { password } => self.delete_account(id, req, password),
            Command::ListRooms {} => {
                let band = self.person(id, req)?.band;
                let rooms = self.band(band).directory();
                self.send(id, Event::RoomList { req, rooms });
                Ok(())
            }
            Command::Join { room, key, create } => {
                self.join(id, req, &room, key.as_deref(), create == Some(true))
            }
            Command::Leave { room } => self.leave(id, req, &room),
            Command::Say(say) => self.say(id, req, say),
            Command::CreateRoom { name, topic } => self.create_room(id, req, &name, topic),
            Command::SetRoom(change) => self.set_room(id, req, change),
            Command::Voice { room, user, on } => self.voice(id, req, &room, user, on),
            Command::Users(query) => self.users(id, req, query),
            Command::WatchPresence { on } => self.watch_presence(id, req, on),
            Command::WatchDirectory { on } => self.watch_directory(id, req, on),
            Command::Dm { to, body } => self.dm(id, req, to, body),
            Command::DmNick { nick, body } => self.dm_nick(id, req, &nick, body),
            Command::RoomTyping { room } => self.room_typing(id, req, &room),
            Command::DmTyping { to } => self.dm_typing(id, req, to),
            Command::DmSeen { with, up_to } => self.dm_seen(id, req, with, up_to),
            Command::SetDmPrivacy { accept } => {
                self.person_mut(id, req)?.accepts = accept;
                self.send(id, Event::Ok { req });
                Ok(())
            }
            Command::Whois { nick } => self.whois(id, req, &nick),
            Command::Op { room, user, on } => self.op(id, req, &room, user, on),
            Command::Kick { room, user, reason } => self.kick(id, req, &room, user, reason),
            Command::Ban { room, mask, on } => {
                self.set_mask(id, req, &room, MaskList::Bans, mask, on)
            }
            Command::InviteException { room, mask, on } => {
                self.set_mask(id, req, &room, MaskList::InviteExceptions, mask, on)
            }
            Command::RoomMasks { room } => self.room_masks(id, req, &room),
            Command::RoomMembers { room } => self.room_members(id, req, &room),
            Command::Invite { room, user } => self.invite(id, req, &room, user),
            Command::SetAway { message } => self.set_away(id, req, message),
            Command::Whowas { nick } => self.whowas(id, req, &nick),
            Command::History {
                room,
                before,
                limit,
            } => self.history(id, req, &room, before, limit),
            Command::Sanction(sanction) => self.sanction(id, req, sanction),
            Command::LiftSanction { id: sanction } => self.lift_sanction(id, req, sanction),
            Command::Wallops { text } => self.wallops(id, req, text),
            Command::Ping {} => {
                self.send(id, Event::Pong { req });
                Ok(())
            }
        }
    }

    /// Whether `request` is a message to a room of its sender's band whose
    /// history is stored.
    fn says_in_stored_room(&self, request: &Request) -> bool {
        let tchatche_protocol::Command::Say(say) = &request.command else {
            return false;
        };
        self.person(request.id, None).is_ok_and(|person| {
            self.band(person.band)
                .rooms
                .get(&say.room)
                .is_some_and(Room::persistent)
        })
    }

    /// Handles, in order, the requests a session kept while it waited
    /// (for a credential job, or for room in the history writer), until
    /// one makes it wait again.
    pub(crate) fn resume_parked(&mut self, id: UserId) {
        while let Some(session) = self.sessions.get_mut(&id) {
            if session.busy {
                break;
            }
            let Some(request) = session.parked.pop_front() else {
                break;
            };
            self.on_request(request);
            self.close_pending();
        }
    }

    /// Background work is done: act on it.
    fn on_done(&mut self, done: crate::work::Done) {
        match done {
            crate::work::Done::Credentials(job) => self.on_job_done(job),
            crate::work::Done::Reply { to, event } => self.send(to, event),
        }
    }

    /// A batch of room messages is stored (or failed): tell their authors,
    /// then let the sessions that waited for room go on.
    fn on_receipt(&mut self, receipt: tchatche_store::Receipt) {
        for (author, event) in self.history.on_receipt(receipt) {
            self.send(author, event);
        }
        self.close_pending();
        while let Some(id) = self.history.next_to_resume() {
            if let Some(session) = self.sessions.get_mut(&id) {
                session.busy = false;
            }
            self.resume_parked(id);
        }
    }

    /// Drops every session marked during the last step.
    pub fn close_pending(&mut self) {
        while let Some(id) = self.to_close.pop() {
            self.remove_session(id);
        }
    }

    /// Removes a session and everything that refers to it, telling whoever
    /// could see it.
    fn remove_session(&mut self, id: UserId) {
        let Some(session) = self.sessions.remove(&id) else {
            return;
        };
        let Some(person) = session.person else {
            return;
        };
        self.nicknames.remove(&person.nick_key);
        self.staff.online.remove(&id);
        let band = person.band;
        {
            let state = self.band_mut(band);
            state.people.remove(&id);
            state.watchers.remove(&id);
            state.directory_watchers.remove(&id);
            if state.departures.len() >= MAX_DEPARTURES {
                state.departures.pop_front();
            }
            state.departures.push_back(tchatche_protocol::Departure {
                nick: person.nick.clone(),
                age: person.age,
                gender: person.gender,
                department: person.department,
                left_at: crate::ids::now_ms(),
            });
        }
        // One `member_quit` to each person who shared a room, not a
        // `member_left` per room (IRC shows one QUIT).
        let frame = Outgoing::new(Event::MemberQuit {
            user: id,
            nick: person.nick.clone(),
        });
        self.fan_out_to_peers(id, band, &person.rooms, &frame, false);
        for slug in &person.rooms {
            self.remove_member(band, slug, id, &person.nick, Leaving::Site);
        }
        // Invitations die with the session: ids are never reused.
        for room in self.band_mut(band).rooms.values_mut() {
            room.invited.remove(&id);
        }
        let frame = Outgoing::new(Event::UserOffline { user: id });
        let (state, to_close) = self.band_split(band);
        fan_out(state.watchers.iter(), &frame, to_close);
    }

    fn send_changed_counts(&mut self) {
        for band in [Band::Teen, Band::Adult] {
            let state = self.band_mut(band);
            if state.changed_counts.is_empty() {
                continue;
            }
            let counts: Vec<_> = state
                .changed_counts
                .drain()
                .filter_map(|slug| {
                    state
                        .rooms
                        .get(&slug)
                        .map(|room| tchatche_protocol::RoomCount {
                            members: u32::try_from(room.members.len()).unwrap_or(u32::MAX),
                            room: slug,
                        })
                })
                .collect();
            if !counts.is_empty() {
                let frame = Outgoing::new(Event::RoomCounts { counts });
                let (state, to_close) = self.band_split(band);
                fan_out(state.directory_watchers.iter(), &frame, to_close);
            }
        }
    }

    fn on_bus(&mut self, delivery: Delivery) {
        match &*delivery.message {
            BusMessage::Room { band, message } => {
                let scrollback = self.settings.scrollback;
                let (state, to_close) = self.band_split(*band);
                if let Some(room) = state.rooms.get_mut(&message.room) {
                    crate::rooms::remember(room, message.clone(), scrollback);
                    let frame = Outgoing::new(Event::Message(message.clone()));
                    fan_out(room.member_queues(), &frame, to_close);
                }
            }
            BusMessage::Dm(message) => {
                let to = message.to.id;
                self.send(to, Event::Dm(message.clone()));
            }
        }
    }

    pub fn publish_room(&self, band: Band, message: &RoomMessage) {
        self.bus.publish(
            Subject::Room {
                band,
                slug: message.room.clone(),
            },
            Arc::new(BusMessage::Room {
                band,
                message: message.clone(),
            }),
        );
    }

    /// Stores a room message; its author hears `sent` once it is stored
    /// (see [`crate::history`]).
    pub fn store_message(&mut self, band: Band, message: &RoomMessage, req: Option<u32>) {
        let stored = StoredMessage {
            id: message.id.0,
            band: band.as_str().to_owned(),
            room: message.room.clone(),
            author_id: message.author.id.0,
            author_nick: message.author.nick.clone(),
            body: message.body.clone(),
            at_ms: message.at,
            reply_to: message.reply.as_ref().map(|reply| reply.id.0),
            mentions: message.mentions.iter().map(|id| id.0).collect(),
        };
        let author = message.author.id;
        if let Some(event) = self.history.store(stored, author, req) {
            self.send(author, event);
        }
    }

    /// Writes what is pending, tells the authors it is stored, then says
    /// goodbye to every connection after what is queued for it.
    async fn shutdown(
        &mut self,
        done: &mut mpsc::UnboundedReceiver<crate::work::Done>,
        receipts: Option<&mut tchatche_store::Receipts>,
    ) {
        // Closing the writer lets its task write what is queued and stop;
        // its last receipts follow.
        self.history.close();
        if let Some(receipts) = receipts {
            while let Some(receipt) = receipts.next().await {
                for (author, event) in self.history.on_receipt(receipt) {
                    self.send(author, event);
                }
            }
        }
        if let Some(task) = self.staff.close_writer()
            && let Err(error) = task.await
        {
            tracing::error!(error = %error, "the staff writer ended abnormally");
        }
        while let Ok(work) = done.try_recv() {
            if let crate::work::Done::Reply { to, event } = work {
                self.send(to, event);
            }
        }
        for session in self.sessions.values() {
            session.outbox.finish(ErrorCode::ShuttingDown);
        }
    }
}
