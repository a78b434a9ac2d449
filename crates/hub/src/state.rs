//! The hub: its subsystems, its event loop, and the dispatch of commands
//! to the family that handles them.
//!
//! One task owns everything here. Nothing else mutates it, so no lock is
//! taken on a message's path. Each subsystem keeps its own state: the
//! sessions ([`Sessions`]), each band's people and rooms ([`BandState`]),
//! private conversations, sanctions, staff, credentials, the review queue,
//! history writes and the relay to other nodes. A handler changes state and
//! pushes the [effects](crate::effects) that follow; the loop applies them
//! after each step ([`Hub::settle`]).

use std::collections::VecDeque;
use std::sync::Arc;

use tchatche_bus::BusLink;
use tchatche_protocol::{
    Band, Command, ErrorCode, ErrorEvent, Event, RoomFlags, RoomMessage, UserId,
};
use tchatche_store::{HistoryStore, StoredMessage};
use tokio::sync::mpsc;

use crate::effects::{Effect, Effects, Recipients};
use crate::handle::{Control, Request};
use crate::ids::IdGenerator;
use crate::outbox::{OutboxSender, Outgoing};
use crate::rooms::{BandState, Room};
use crate::session::{Person, Session, Sessions};
use crate::settings::HubSettings;
use tchatche_protocol::{LinkCommand, RoomCommand};

/// Seconds between two nudges of one IRC session (see [`Hub::sweep_sessions`]).
pub(crate) const NUDGE_EVERY_SECS: u32 = 15;

/// Departures remembered per band for `whowas`.
const MAX_DEPARTURES: usize = 500;

/// The hub.
pub(crate) struct Hub {
    pub settings: Arc<HubSettings>,
    /// Every connection, and who is behind it.
    pub sessions: Sessions,
    pub teen: BandState,
    pub adult: BandState,
    pub ids: IdGenerator,
    /// Room messages on their way to the store, and their authors waiting.
    pub history: crate::history::HistoryWrites,
    /// The bus to other nodes.
    pub relay: crate::relay::Relay,
    /// What the current step decided; applied by [`Hub::settle`].
    pub effects: Effects,
    /// Sessions to drop once the step's effects are applied: too slow, or
    /// gone.
    pub to_close: Vec<UserId>,
    /// Credential jobs, logins under way, the member nicknames and the
    /// failed-login throttles.
    pub credentials: crate::accounts::Credentials,
    /// Where background work (credential jobs, the staff writer) reports;
    /// taken by [`Hub::run`].
    pub done: Option<mpsc::UnboundedReceiver<crate::work::Done>>,
    /// The other end, for work the hub starts.
    pub work: crate::work::DoneSender,
    /// When the hub started: sessions note when they were last heard from
    /// in whole seconds since then (4 bytes each, not an `Instant`'s 16).
    /// Tokio's clock, which tests can pause and move.
    pub started: tokio::time::Instant,
    /// The second of the last sweep of sessions ([`Hub::sweep_sessions`]).
    pub swept_at: u32,
    /// Staff online, and the staff writer.
    pub staff: crate::staff::Staff,
    /// Mutes and bans in force, and the mutes of people online.
    pub sanctions: crate::sanctions::Sanctions,
    /// Who has exchanged private messages with whom.
    pub conversations: crate::conversations::Conversations,
    /// How many rooms each person created and keeps.
    pub created_rooms: std::collections::HashMap<UserId, u32>,
    /// What the safety decision held or flagged, waiting for moderators.
    pub review: crate::review::ReviewQueue,
    /// Tests only: a rule applied to texts the safety decision delivers,
    /// standing for the filters to come, to drive every verdict through
    /// the pipeline.
    #[cfg(test)]
    pub test_rule: Option<fn(&str) -> Option<tchatche_safety::Verdict>>,
}

pub(crate) type Outcome = Result<(), ErrorEvent>;

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

/// The next receipt of the history writer, if there is one to wait for.
async fn next_receipt(
    receipts: &mut Option<tchatche_store::Receipts>,
) -> Option<tchatche_store::Receipt> {
    match receipts {
        Some(receipts) => receipts.next().await,
        None => std::future::pending().await,
    }
}

/// Where the hub's state starts from.
pub(crate) struct Beginning {
    pub settings: Arc<HubSettings>,
    pub store: Option<Arc<dyn HistoryStore>>,
    pub history: crate::history::HistoryWrites,
    pub accounts: Option<Arc<dyn tchatche_store::AccountStore>>,
    pub staff: Option<crate::staff::StaffStores>,
    pub bus: Box<dyn BusLink>,
}

impl Hub {
    pub async fn new(beginning: Beginning) -> Result<Hub, crate::StartError> {
        let Beginning {
            settings,
            store,
            history,
            accounts,
            staff,
            bus,
        } = beginning;
        let floor = match &store {
            Some(store) => store.max_message_id().await?.unwrap_or(0),
            None => 0,
        };
        let (done_sender, done) = mpsc::unbounded_channel();
        let credentials =
            crate::accounts::Credentials::new(&settings.accounts, accounts.clone()).await?;
        let reviews = staff.as_ref().and_then(|stores| stores.reviews.clone());
        let (staff, sanctions) = crate::staff::Staff::new(staff, done_sender.clone()).await?;
        crate::staff::warn_about_listed_nicknames(&settings, &credentials, accounts.as_deref())
            .await?;
        let mut hub = Hub {
            settings: Arc::clone(&settings),
            sessions: Sessions::default(),
            teen: BandState::new(),
            adult: BandState::new(),
            ids: IdGenerator::new(floor),
            history,
            relay: crate::relay::Relay::new(bus),
            effects: Effects::default(),
            to_close: Vec::new(),
            credentials,
            done: Some(done),
            work: done_sender,
            started: tokio::time::Instant::now(),
            swept_at: 0,
            staff,
            sanctions,
            conversations: crate::conversations::Conversations::default(),
            created_rooms: std::collections::HashMap::new(),
            review: crate::review::ReviewQueue::new(reviews),
            #[cfg(test)]
            test_rule: None,
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

    pub fn insert_room(&mut self, band: Band, room: Room) {
        let state = self.band_mut(band);
        state.room_keys.insert(room.key.clone(), room.slug.clone());
        state.directory.push(room.slug.clone());
        state.rooms.insert(room.slug.clone(), room);
    }

    /// The entered person behind a session, or `not_entered`.
    pub fn person(&self, id: UserId, req: Option<u32>) -> Result<&Person, ErrorEvent> {
        self.sessions.person(id, req)
    }

    pub fn person_mut(&mut self, id: UserId, req: Option<u32>) -> Result<&mut Person, ErrorEvent> {
        self.sessions.person_mut(id, req)
    }

    /// Sends one event to one session.
    pub fn send(&mut self, id: UserId, event: Event) {
        self.effects.send(id, event);
    }

    /// Confirms a fire-and-forget command (typing, seen) only when the client
    /// numbered it, so a client that waits for a reply gets one and the
    /// others cost nothing.
    pub fn acknowledge(&mut self, id: UserId, req: Option<u32>) {
        if req.is_some() {
            self.send(id, Event::Ok { req });
        }
    }

    /// The queues of everyone sharing one of `rooms` with `id` (and, with
    /// `watchers`, the band's presence watchers), once each, never `id`'s.
    pub fn peers(
        &self,
        id: UserId,
        band: Band,
        rooms: &[String],
        watchers: bool,
    ) -> Vec<(UserId, OutboxSender)> {
        let mut told = std::collections::HashSet::new();
        let mut peers = Vec::new();
        let state = self.band(band);
        for slug in rooms {
            if let Some(room) = state.rooms.get(slug) {
                for (member, outbox) in room.member_queues() {
                    if *member != id && told.insert(*member) {
                        peers.push((*member, outbox.clone()));
                    }
                }
            }
        }
        if watchers {
            for (watcher, outbox) in &state.watchers {
                if *watcher != id && told.insert(*watcher) {
                    peers.push((*watcher, outbox.clone()));
                }
            }
        }
        peers
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
                        self.settle();
                    }
                },
                Some(work) = done.recv() => self.on_done(work),
                Some(receipt) = next_receipt(&mut receipts) => self.on_receipt(receipt),
                Some(delivery) = self.relay.incoming().recv() => self.on_bus(delivery),
                _ = directory_tick.tick() => {
                    self.send_changed_counts();
                    self.sweep_sessions();
                }
            }
            self.settle();
        }
    }

    pub(crate) fn on_control(&mut self, message: Control) {
        match message {
            Control::Open { id, outbox, info } => {
                let session = Session::new(outbox, info, self.uptime_secs());
                self.sessions.by_id.insert(id, Box::new(session));
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
    pub(crate) fn sweep_sessions(&mut self) {
        let now = self.uptime_secs();
        if now == self.swept_at {
            return;
        }
        self.swept_at = now;
        if now.is_multiple_of(60) {
            self.sanctions.forget_ended(crate::ids::now_ms());
        }
        let limit = self
            .settings
            .idle_timeout
            .map(|timeout| u32::try_from(timeout.as_secs()).unwrap_or(u32::MAX));
        let turn = u64::from(now % NUDGE_EVERY_SECS);
        for (id, session) in &self.sessions.by_id {
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

    /// Hands a command to the family that handles it.
    fn handle(&mut self, id: UserId, req: Option<u32>, command: Command) -> Outcome {
        match command {
            Command::Account(command) => self.account_command(id, req, command),
            Command::Room(command) => self.room_command(id, req, command),
            Command::RoomAdmin(command) => self.room_admin_command(id, req, command),
            Command::People(command) => self.people_command(id, req, command),
            Command::Private(command) => self.private_command(id, req, command),
            Command::Staff(command) => self.staff_command(id, req, command),
            Command::Link(LinkCommand::Ping {}) => {
                self.send(id, Event::Pong { req });
                Ok(())
            }
        }
    }

    /// Whether `request` is a message to a room of its sender's band whose
    /// history is stored.
    fn says_in_stored_room(&self, request: &Request) -> bool {
        let Command::Room(RoomCommand::Say(say)) = &request.command else {
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
            self.settle();
        }
    }

    /// A batch of room messages is stored (or failed): tell their authors,
    /// then let the sessions that waited for room go on.
    fn on_receipt(&mut self, receipt: tchatche_store::Receipt) {
        for (author, event) in self.history.on_receipt(receipt) {
            self.send(author, event);
        }
        self.settle();
        while let Some(id) = self.history.next_to_resume() {
            if let Some(session) = self.sessions.get_mut(&id) {
                session.busy = false;
            }
            self.resume_parked(id);
        }
    }

    /// Removes a session and everything that refers to it, telling whoever
    /// could see it.
    pub(crate) fn remove_session(&mut self, id: UserId) {
        let Some(session) = self.sessions.by_id.remove(&id) else {
            return;
        };
        self.credentials.forget(id);
        let Some(person) = session.person else {
            return;
        };
        self.sessions.nicknames.remove(&person.nick_key);
        self.staff.online.remove(&id);
        self.sanctions.forget_person(id);
        self.conversations.forget(id);
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
        let peers = self.peers(id, band, &person.rooms, false);
        self.effects.deliver(
            Recipients::Queues(peers),
            Outgoing::new(Event::MemberQuit {
                user: id,
                nick: person.nick.clone(),
            }),
        );
        for slug in &person.rooms {
            self.remove_member(band, slug, id, &person.nick, crate::rooms::Leaving::Site);
        }
        // Invitations die with the session: ids are never reused.
        for room in self.band_mut(band).rooms.values_mut() {
            room.invited.remove(&id);
        }
        self.effects.deliver(
            Recipients::Watchers(band),
            Outgoing::new(Event::UserOffline { user: id }),
        );
    }

    /// Tells the directory watchers of each band the rooms whose count
    /// changed since the last time.
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
                self.effects.deliver(
                    Recipients::DirectoryWatchers(band),
                    Outgoing::new(Event::RoomCounts { counts }),
                );
            }
        }
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
        self.effects.push(Effect::Store {
            message: stored,
            author: message.author.id,
            req,
        });
    }

    /// Writes what is pending, tells the authors it is stored, then says
    /// goodbye to every connection after what is queued for it.
    async fn shutdown(
        &mut self,
        done: &mut mpsc::UnboundedReceiver<crate::work::Done>,
        receipts: Option<&mut tchatche_store::Receipts>,
    ) {
        self.settle();
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
        for (writer, task) in [
            ("staff", self.staff.close_writer()),
            ("review", self.review.close_writer()),
        ] {
            if let Some(task) = task
                && let Err(error) = task.await
            {
                tracing::error!(error = %error, writer, "a writer ended abnormally");
            }
        }
        while let Ok(work) = done.try_recv() {
            if let crate::work::Done::Reply { to, event } = work {
                self.send(to, event);
            }
        }
        self.settle();
        for session in self.sessions.by_id.values() {
            session.outbox.finish(ErrorCode::ShuttingDown);
        }
    }
}
