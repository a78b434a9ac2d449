//! The fan-out machinery every message scenario is built on: many clients
//! in rooms (or in pairs), a few of them speaking, and every member
//! measuring how fast each message reaches it.
//!
//! Set-up: the clients are cut into groups of `room_size`. In a
//! [`RoomKind::Created`] group the first member creates a user room
//! (`create_room` over WebSocket, `JOIN` of a new channel over IRC) and the
//! others join it; in a [`RoomKind::Directory`] group every member joins a
//! room of the server's directory (rooms whose history is stored); in a
//! [`RoomKind::Pairs`] group of two, nobody joins anything and the two send
//! each other private messages. At most `connect_concurrency` clients set
//! up at a time, at most `connect_rate` start per second. Each client starts
//! its read loop as soon as it is set up, so broadcasts during set-up never
//! pile up in the server.
//!
//! Measurement: in the first `active_rooms` groups (or all of them), the
//! first `senders` members send stamped messages, each with a bounded window
//! in flight; the phase ends when every accepted message has reached every
//! member it should, or when nothing has moved for `drain_timeout`.

mod member;
pub mod report;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

use crate::client::{Refused, code_name};
use crate::latency::{Clock, DeliveryTallies};
use crate::link::{Identity, SetUpClient, Speech, Transport, TransportChoice};
use crate::names::RunTag;
use crate::process_stats::{WatchedProcess, own_cpu_seconds, own_rss_bytes};
use crate::target::{Target, source_address};
use member::{Fleet, MemberEnd, MemberOutcome, MemberPlan, SenderLink, SenderPlan};
pub use report::{ConnectFigures, FanoutReport};
pub use report::{DeliveryFigures, LatencyFigures};

/// How long the server is left to finish set-up work (the last arrivals'
/// notifications, the member counts broadcast every second) before its
/// memory is read and messages start.
const SETTLE_TIME: Duration = Duration::from_secs(2);

/// How often the phase checks whether every delivery has arrived.
const POLL_INTERVAL: Duration = Duration::from_millis(10);

/// How often set-up progress is printed.
const PROGRESS_INTERVAL: Duration = Duration::from_secs(2);

/// The sizes of a fan-out run.
#[derive(Clone, Debug)]
pub struct FanoutConfig {
    /// Clients to connect.
    pub clients: usize,
    /// Members per room.
    pub room_size: usize,
    /// Rooms where messages are sent (0: all).
    pub active_rooms: usize,
    /// Senders per active room.
    pub senders: usize,
    /// Messages per sender.
    pub messages: u32,
    /// Messages per second over all senders (0: unpaced).
    pub rate: f64,
    /// Messages in flight per sender.
    pub window: usize,
    /// Clients setting up at the same time.
    pub connect_concurrency: usize,
    /// New connections per second at most (0: as fast as the concurrency
    /// allows). Servers with a short listen backlog need a pace.
    pub connect_rate: f64,
    /// How long the measurement waits without progress before giving up.
    pub drain_timeout: Duration,
    /// The clients' transports.
    pub transport: TransportChoice,
    /// What the groups of clients are.
    pub rooms: RoomKind,
}

/// What a group of `room_size` clients is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoomKind {
    /// A user room its first member creates.
    Created,
    /// A room of the server's directory (stored history); WebSocket only.
    Directory,
    /// Two people sending each other private messages.
    Pairs,
}

impl FanoutConfig {
    /// Refuses sizes that cannot make a run.
    fn check(&self) -> anyhow::Result<()> {
        if self.clients == 0 {
            bail!("--clients must be at least 1");
        }
        if self.room_size < 2 {
            bail!("--room-size must be at least 2");
        }
        if self.senders > self.room_size {
            bail!("--senders must be at most --room-size ({})", self.room_size);
        }
        if self.window == 0 {
            bail!("--window must be at least 1");
        }
        if self.connect_concurrency == 0 {
            bail!("--connect-concurrency must be at least 1");
        }
        if !(self.rate >= 0.0 && self.rate.is_finite()) {
            bail!("--rate must be a number of messages per second, 0 for unpaced");
        }
        if !(self.connect_rate >= 0.0 && self.connect_rate.is_finite()) {
            bail!("--connect-rate must be a number of connections per second, 0 for unpaced");
        }
        if self.rooms == RoomKind::Pairs && self.room_size != 2 {
            bail!("private-message pairs have two members");
        }
        if self.rooms == RoomKind::Directory && self.transport != TransportChoice::Ws {
            bail!("directory rooms are found through the WebSocket protocol: use --transport ws");
        }
        Ok(())
    }
}

/// One room and the clients meant for it.
#[derive(Clone, Debug)]
struct RoomPlan {
    /// The room's number.
    number: usize,
    /// Indexes of its members; the first creates it.
    members: Range<usize>,
    /// Whether messages are sent in it.
    active: bool,
    /// How many of its first members send, if active.
    senders: usize,
    /// What it is.
    kind: RoomKind,
}

/// Everything set-up tasks share.
struct SetUp {
    /// The server.
    target: Target,
    /// Names for this run.
    tag: RunTag,
    /// Limits how many clients set up at once.
    permits: Semaphore,
    /// The clients' transports.
    transport: TransportChoice,
    /// When the next connection may start, if connections are paced, and
    /// the time between two.
    pace: Option<(Mutex<Instant>, Duration)>,
    /// Messages in flight per sender.
    window: usize,
    /// Shared with every client task.
    fleet: Arc<Fleet>,
    /// Tells client tasks to stop.
    stop: watch::Receiver<bool>,
    /// Clients set up so far.
    set_up: AtomicUsize,
    /// Clients whose set-up failed so far.
    failed: AtomicUsize,
}

/// A client that is set up and running.
struct RunningMember {
    /// Its task.
    task: JoinHandle<MemberOutcome>,
    /// For a sender: its link and where its frames go.
    sender: Option<(usize, Arc<SenderLink>, mpsc::Sender<String>)>,
}

/// A member being set up: its index, client and what entering told it.
type SetUpMember = (usize, SetUpClient, Identity);

/// The result of setting up one room.
struct RoomSetUp {
    /// The plan.
    plan: RoomPlan,
    /// Its slug, if it was created.
    slug: Option<String>,
    /// Members running.
    members: Vec<RunningMember>,
    /// Where each sender's messages go, by client index.
    speeches: HashMap<usize, Speech>,
    /// Why the others failed.
    failures: Vec<String>,
}

/// A fleet of clients set up and running, ready for a measurement.
pub struct RunningFleet {
    /// The rooms, in order.
    rooms: Vec<RoomSetUp>,
    /// What every client task shares.
    fleet: Arc<Fleet>,
    /// Tells client tasks to stop.
    stop: watch::Sender<bool>,
    /// What set-up took.
    pub connect: ConnectFigures,
}

/// What the clients saw besides deliveries, once stopped.
pub struct FleetEnd {
    /// Connections that ended before the run stopped them, by reason.
    pub disconnects: BTreeMap<String, u64>,
    /// Error frames (or numerics) received after set-up, by code.
    pub error_frames: BTreeMap<String, u64>,
}

/// Runs the scenario: set-up, measurement, stop.
pub async fn run(
    target: &Target,
    server: Option<&WatchedProcess>,
    config: &FanoutConfig,
) -> anyhow::Result<FanoutReport> {
    let running = set_up(target, server, config).await?;
    let (delivery, held_at_end) =
        measure_fanout(&running.rooms, &running.fleet, server, config).await?;
    let server_rss_end = sample(server, WatchedProcess::rss_bytes);
    let connect = running.connect.clone();
    let end = running.stop().await?;
    Ok(FanoutReport {
        scenario: "fanout",
        transport: transport_name(config.transport),
        clients: config.clients,
        room_size: config.room_size,
        rooms: config.clients.div_ceil(config.room_size),
        active_rooms: delivery.active_rooms,
        senders: delivery.senders,
        messages_per_sender: config.messages,
        rate: config.rate,
        window: config.window,
        server_pid: server.map(WatchedProcess::pid),
        connect,
        delivery,
        held_at_end,
        server_rss_end_bytes: server_rss_end,
        disconnects: end.disconnects,
        error_frames: end.error_frames,
    })
}

/// The name of a transport choice in reports.
pub fn transport_name(transport: TransportChoice) -> &'static str {
    match transport {
        TransportChoice::Ws => "ws",
        TransportChoice::Irc => "irc",
        TransportChoice::Mixed => "mixed",
    }
}

/// Connects, enters and places every client, starts their read loops and
/// lets the server settle; reads the server's memory before and after.
pub async fn set_up(
    target: &Target,
    server: Option<&WatchedProcess>,
    config: &FanoutConfig,
) -> anyhow::Result<RunningFleet> {
    config.check()?;
    let clock = Clock::start();
    let rooms = plan_rooms(config);
    let (stop_sender, stop) = watch::channel(false);
    let links = plan_links(&rooms, config);
    let fleet = Arc::new(Fleet {
        clock,
        tallies: DeliveryTallies::new()?,
        acknowledgements: crate::latency::LatencyTally::new()?,
        live: AtomicUsize::new(0),
        witnesses: links
            .values()
            .map(|link| link.witness)
            .collect::<HashSet<_>>(),
        links,
    });
    let set_up = Arc::new(SetUp {
        target: target.clone(),
        tag: RunTag::from_clock(),
        permits: Semaphore::new(config.connect_concurrency),
        transport: config.transport,
        pace: (config.connect_rate > 0.0).then(|| {
            (
                Mutex::new(Instant::now()),
                Duration::from_secs_f64(1.0 / config.connect_rate),
            )
        }),
        window: config.window,
        fleet: Arc::clone(&fleet),
        stop,
        set_up: AtomicUsize::new(0),
        failed: AtomicUsize::new(0),
    });

    let server_rss_before = sample(server, WatchedProcess::rss_bytes);
    let server_cpu_before = sample(server, WatchedProcess::cpu_seconds);
    let own_cpu_before = own_cpu_seconds()?;
    eprintln!(
        "setting up {} clients in {} groups of {} ({} at a time{})…",
        config.clients,
        rooms.len(),
        config.room_size,
        config.connect_concurrency,
        if config.connect_rate > 0.0 {
            format!(", at most {} per second", config.connect_rate)
        } else {
            String::new()
        }
    );
    let connect_start = Instant::now();
    let progress = tokio::spawn(print_progress(
        Arc::clone(&set_up),
        config.clients,
        connect_start,
    ));
    let mut room_tasks = JoinSet::new();
    for plan in rooms {
        room_tasks.spawn(set_up_room(plan, Arc::clone(&set_up)));
    }
    let mut set_up_rooms = Vec::new();
    while let Some(room) = room_tasks.join_next().await {
        set_up_rooms.push(room.context("a room's set-up task failed")?);
    }
    let connect_seconds = connect_start.elapsed().as_secs_f64();
    let server_cpu_connect = sample(server, WatchedProcess::cpu_seconds)
        .zip(server_cpu_before)
        .map(|(end, start)| end - start);
    let own_cpu_connect = own_cpu_seconds()? - own_cpu_before;
    progress.abort();
    set_up_rooms.sort_by_key(|room| room.plan.number);
    let held_after_connect = fleet.live.load(Ordering::Relaxed);
    let mut setup_failures = BTreeMap::new();
    for failure in set_up_rooms.iter().flat_map(|room| &room.failures) {
        *setup_failures.entry(failure.clone()).or_insert(0u64) += 1;
    }
    eprintln!(
        "set up {held_after_connect} clients in {connect_seconds:.1} s; letting the server settle…"
    );
    for (reason, count) in &setup_failures {
        eprintln!("  set-up failed for {count}: {reason}");
    }
    tokio::time::sleep(SETTLE_TIME).await;
    let server_rss_connected = sample(server, WatchedProcess::rss_bytes);
    let load_rss_connected = own_rss_bytes()?;
    let rss_per_connection = match (server_rss_before, server_rss_connected) {
        (Some(before), Some(after)) if held_after_connect > 0 => {
            Some(after.saturating_sub(before) / held_after_connect as u64)
        }
        _ => None,
    };
    Ok(RunningFleet {
        rooms: set_up_rooms,
        fleet,
        stop: stop_sender,
        connect: ConnectFigures {
            held: held_after_connect,
            failed: setup_failures.values().sum(),
            failures: setup_failures,
            seconds: connect_seconds,
            per_second: held_after_connect as f64 / connect_seconds.max(1e-9),
            server_cpu_seconds: server_cpu_connect,
            load_cpu_seconds: own_cpu_connect,
            server_rss_before_bytes: server_rss_before,
            server_rss_connected_bytes: server_rss_connected,
            server_rss_per_connection_bytes: rss_per_connection,
            load_rss_connected_bytes: load_rss_connected,
        },
    })
}

impl RunningFleet {
    /// Runs the measurement phase: returns its figures and how many clients
    /// were still connected at its end.
    pub async fn measure(
        &self,
        server: Option<&WatchedProcess>,
        config: &FanoutConfig,
    ) -> anyhow::Result<(DeliveryFigures, usize)> {
        measure_fanout(&self.rooms, &self.fleet, server, config).await
    }

    /// The slugs of the rooms set up, in order.
    pub fn room_slugs(&self) -> Vec<String> {
        self.rooms
            .iter()
            .filter_map(|room| room.slug.clone())
            .collect()
    }

    /// Clients still connected.
    pub fn live(&self) -> usize {
        self.fleet.live.load(Ordering::Relaxed)
    }

    /// Stops every client and collects what they saw.
    pub async fn stop(self) -> anyhow::Result<FleetEnd> {
        let _ = self.stop.send(true);
        let mut disconnects = BTreeMap::new();
        let mut error_frames = BTreeMap::new();
        for member in self.rooms.into_iter().flat_map(|room| room.members) {
            let outcome = member.task.await.context("a client task failed")?;
            for code in outcome.errors {
                *error_frames.entry(code).or_insert(0u64) += 1;
            }
            let reason = match outcome.end {
                MemberEnd::Stopped => continue,
                MemberEnd::ClosedByServer(how) => match outcome.closing {
                    Some(code) => format!("closed by the server after closing {code}"),
                    None => format!("closed by the server ({how})"),
                },
                MemberEnd::Failed(error) => error,
            };
            *disconnects.entry(reason).or_insert(0u64) += 1;
        }
        Ok(FleetEnd {
            disconnects,
            error_frames,
        })
    }
}

/// Reads one figure of the server process; a server that has died (the
/// very thing a load test may reveal) costs that figure, not the report.
fn sample<T>(
    server: Option<&WatchedProcess>,
    read: fn(&WatchedProcess) -> anyhow::Result<T>,
) -> Option<T> {
    let server = server?;
    match read(server) {
        Ok(value) => Some(value),
        Err(error) => {
            eprintln!("warning: server process {}: {error:#}", server.pid());
            None
        }
    }
}

/// Cuts the clients into rooms.
fn plan_rooms(config: &FanoutConfig) -> Vec<RoomPlan> {
    let n_rooms = config.clients.div_ceil(config.room_size);
    let active_rooms = match config.active_rooms {
        0 => n_rooms,
        wanted => wanted.min(n_rooms),
    };
    (0..n_rooms)
        .map(|number| {
            let first = number * config.room_size;
            let members = first..(first + config.room_size).min(config.clients);
            RoomPlan {
                number,
                senders: config.senders.min(members.len()),
                members,
                active: number < active_rooms,
                kind: config.rooms,
            }
        })
        .collect()
}

/// Every sender's link, made before set-up so that any member can find the
/// link of a sender it is the witness of.
fn plan_links(rooms: &[RoomPlan], config: &FanoutConfig) -> HashMap<usize, Arc<SenderLink>> {
    let mut links = HashMap::new();
    for room in rooms.iter().filter(|room| room.active) {
        let members = room.members.clone();
        for (position, index) in members.clone().take(room.senders).enumerate() {
            let transport = config.transport.of(index, position);
            let witness = if transport.echoes_own_messages() || members.len() < 2 {
                index
            } else if members.end - 1 != index {
                members.end - 1
            } else {
                members.end - 2
            };
            links.insert(
                index,
                Arc::new(SenderLink::new(config.window, transport, witness)),
            );
        }
    }
    links
}

/// Prints set-up progress to standard error until aborted.
async fn print_progress(set_up: Arc<SetUp>, clients: usize, start: Instant) {
    let mut ticks = tokio::time::interval_at(start + PROGRESS_INTERVAL, PROGRESS_INTERVAL);
    loop {
        ticks.tick().await;
        let done = set_up.set_up.load(Ordering::Relaxed);
        let failed = set_up.failed.load(Ordering::Relaxed);
        eprintln!(
            "  {done}/{clients} set up, {failed} failed, {:.0} per second",
            done as f64 / start.elapsed().as_secs_f64()
        );
    }
}

/// Sets up one group: its first member first (who creates the room or
/// finds the directory), then the others in parallel.
async fn set_up_room(plan: RoomPlan, set_up: Arc<SetUp>) -> RoomSetUp {
    let mut room = RoomSetUp {
        plan: plan.clone(),
        slug: None,
        members: Vec::new(),
        speeches: HashMap::new(),
        failures: Vec::new(),
    };
    let creator = plan.members.start;
    let created = {
        let _permit = set_up.permits.acquire().await;
        set_up_first(&set_up, &plan).await
    };
    let (first, slug) = match created {
        Ok(created) => created,
        Err(error) => {
            let reason = failure_reason(&error);
            set_up
                .failed
                .fetch_add(plan.members.len(), Ordering::Relaxed);
            room.failures.push(reason.clone());
            room.failures.extend(
                plan.members
                    .clone()
                    .skip(1)
                    .map(|_| format!("not tried: the room was not set up ({reason})")),
            );
            return room;
        }
    };
    let mut identities = vec![(creator, first.2.clone())];
    set_up.set_up.fetch_add(1, Ordering::Relaxed);
    room.members.push(start_member(first, &plan, &set_up));
    let mut joins = JoinSet::new();
    for index in plan.members.clone().skip(1) {
        let set_up = Arc::clone(&set_up);
        let slug = slug.clone();
        let position = index - plan.members.start;
        joins.spawn(async move {
            let _permit = set_up.permits.acquire().await;
            let member = set_up_member(&set_up, index, position, slug.as_deref()).await;
            (index, member)
        });
    }
    while let Some(joined) = joins.join_next().await {
        match joined {
            Ok((_, Ok(member))) => {
                set_up.set_up.fetch_add(1, Ordering::Relaxed);
                identities.push((member.0, member.2.clone()));
                room.members.push(start_member(member, &plan, &set_up));
            }
            Ok((_, Err(error))) => {
                set_up.failed.fetch_add(1, Ordering::Relaxed);
                room.failures.push(failure_reason(&error));
            }
            Err(error) => {
                set_up.failed.fetch_add(1, Ordering::Relaxed);
                room.failures.push(format!("set-up task failed: {error}"));
            }
        }
    }
    // Where each sender speaks, and how many deliveries each of its
    // messages makes, now that the group is known.
    let live_members = room.members.len() as u64;
    for (index, link, _) in room.members.iter().filter_map(|m| m.sender.as_ref()) {
        let speech = match &slug {
            Some(slug) => Speech::Room { slug: slug.clone() },
            None => {
                let Some((_, partner)) = identities.iter().find(|(other, _)| other != index) else {
                    continue;
                };
                Speech::Dm {
                    to_id: partner.user_id,
                    to_nick: partner.nick.clone(),
                }
            }
        };
        let echo = u64::from(!link.transport.echoes_own_messages());
        link.deliveries_per_message
            .store(live_members.saturating_sub(echo), Ordering::Relaxed);
        room.speeches.insert(*index, speech);
    }
    room.slug = slug;
    room
}

/// Sets up a group's first member: connects, enters, and creates or finds
/// the room (none for a pair). Returns it and the room's slug.
async fn set_up_first(
    set_up: &SetUp,
    plan: &RoomPlan,
) -> anyhow::Result<(SetUpMember, Option<String>)> {
    let index = plan.members.start;
    let (mut client, identity) = connect_and_enter(set_up, index, 0).await?;
    let slug = match plan.kind {
        RoomKind::Created => Some(
            client
                .create_room(
                    &set_up.tag.room_name(plan.number),
                    &set_up.tag.channel(plan.number),
                )
                .await
                .context("create_room")?,
        ),
        RoomKind::Directory => {
            if identity.directory.is_empty() {
                bail!("the server's room directory is empty");
            }
            // Some directory rooms refuse guests: take the next one that
            // lets this client in.
            let n = identity.directory.len();
            let mut joined = None;
            let mut last_error = None;
            for offset in 0..n {
                let slug = &identity.directory[(plan.number + offset) % n];
                match client.join(slug).await {
                    Ok(()) => {
                        joined = Some(slug.clone());
                        break;
                    }
                    Err(error) => last_error = Some(error),
                }
            }
            match (joined, last_error) {
                (Some(slug), _) => Some(slug),
                (None, Some(error)) => return Err(error.context("join")),
                (None, None) => bail!("no directory room to join"),
            }
        }
        RoomKind::Pairs => None,
    };
    Ok(((index, client, identity), slug))
}

/// Connects member `index` (the `position`-th of its group), enters and joins the room `slug`, if any.
async fn set_up_member(
    set_up: &SetUp,
    index: usize,
    position: usize,
    slug: Option<&str>,
) -> anyhow::Result<SetUpMember> {
    let (mut client, identity) = connect_and_enter(set_up, index, position).await?;
    if let Some(slug) = slug {
        client.join(slug).await.context("join")?;
    }
    Ok((index, client, identity))
}

/// Connects client `index` (the `position`-th of its group) from its source
/// address over its transport, at the connection pace, and enters.
async fn connect_and_enter(
    set_up: &SetUp,
    index: usize,
    position: usize,
) -> anyhow::Result<(SetUpClient, Identity)> {
    if let Some((next, gap)) = &set_up.pace {
        let slot = {
            let mut next = next.lock().unwrap_or_else(PoisonError::into_inner);
            let slot = (*next).max(Instant::now());
            *next = slot + *gap;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
    let transport = set_up.transport.of(index, position);
    let mut client = SetUpClient::connect(&set_up.target, transport, source_address(index))
        .await
        .context("connect")?;
    let identity = client
        .enter(&set_up.tag.nickname(index))
        .await
        .context(match transport {
            Transport::Ws => "enter",
            Transport::Irc => "register",
        })?;
    Ok((client, identity))
}

/// A set-up failure, worded so that failures of the same kind group
/// together: the stage and either the server's refusal code or the root
/// cause.
fn failure_reason(error: &anyhow::Error) -> String {
    let refusal = error
        .chain()
        .find_map(|cause| cause.downcast_ref::<Refused>());
    match refusal {
        Some(refused) => format!("{} refused: {}", refused.command, code_name(refused.code)),
        None if error.chain().count() > 1 => format!("{error}: {}", error.root_cause()),
        None => error.to_string(),
    }
}

/// Starts the task of a client that is set up.
fn start_member(member: SetUpMember, plan: &RoomPlan, set_up: &SetUp) -> RunningMember {
    let (index, client, _) = member;
    let fleet = &set_up.fleet;
    let (sender, member_side) = match fleet.links.get(&index) {
        Some(link) => {
            let (frames, outbound) = mpsc::channel(set_up.window);
            (
                Some((index, Arc::clone(link), frames)),
                Some((Arc::clone(link), outbound)),
            )
        }
        None => (None, None),
    };
    fleet.live.fetch_add(1, Ordering::Relaxed);
    let member_plan = MemberPlan {
        index,
        room_first: plan.members.start,
        room_senders: if plan.active { plan.senders } else { 0 },
        is_witness: fleet.witnesses.contains(&index),
        sender: member_side,
    };
    let task = tokio::spawn(member::drive(
        client.into_link(),
        member_plan,
        Arc::clone(fleet),
        set_up.stop.clone(),
    ));
    RunningMember { task, sender }
}

/// One sender of the measurement phase.
struct ActiveSender {
    /// Its link.
    link: Arc<SenderLink>,
}

/// Deliveries due so far: each accepted message once per member of its
/// room, the sender included.
fn expected_deliveries(senders: &[ActiveSender]) -> u64 {
    senders
        .iter()
        .map(|sender| {
            sender.link.accepted.load(Ordering::Relaxed)
                * sender.link.deliveries_per_message.load(Ordering::Relaxed)
        })
        .sum()
}

/// Runs the measurement phase and returns its figures and how many clients
/// were still connected at its end.
async fn measure_fanout(
    rooms: &[RoomSetUp],
    fleet: &Fleet,
    server: Option<&WatchedProcess>,
    config: &FanoutConfig,
) -> anyhow::Result<(DeliveryFigures, usize)> {
    let mut plans = Vec::new();
    let mut senders = Vec::new();
    let mut active_rooms = 0;
    for room in rooms.iter().filter(|room| room.plan.active) {
        if room.members.is_empty() {
            continue;
        }
        active_rooms += 1;
        for (index, link, frames) in room.members.iter().filter_map(|m| m.sender.as_ref()) {
            let Some(speech) = room.speeches.get(index) else {
                continue;
            };
            plans.push((*index, speech.clone(), Arc::clone(link), frames.clone()));
            senders.push(ActiveSender {
                link: Arc::clone(link),
            });
        }
    }
    if senders.is_empty() {
        bail!("no sender is connected: nothing to measure (see the set-up failures above)");
    }
    let period =
        (config.rate > 0.0).then(|| Duration::from_secs_f64(senders.len() as f64 / config.rate));
    eprintln!(
        "sending: {} senders in {active_rooms} room(s), {} messages each, {}…",
        senders.len(),
        config.messages,
        match period {
            Some(period) => format!("one every {period:?} per sender"),
            None => format!("unpaced, {} in flight per sender", config.window),
        }
    );

    let server_cpu_start = sample(server, WatchedProcess::cpu_seconds);
    let own_cpu_start = own_cpu_seconds()?;
    let start = Instant::now();
    let start_nanos = fleet.clock.now_nanos();
    let n_senders = plans.len() as u32;
    let mut pacing_tasks = JoinSet::new();
    for (position, (index, speech, link, frames)) in plans.into_iter().enumerate() {
        // Paced senders are spread over one period rather than all firing
        // at the same instant.
        let offset = period.map_or(Duration::ZERO, |period| {
            period * u32::try_from(position).unwrap_or(0) / n_senders.max(1)
        });
        let plan = SenderPlan {
            index,
            transport: link.transport,
            speech,
            messages: config.messages,
            period,
            first_send: start + offset,
        };
        pacing_tasks.spawn(member::send_messages(plan, link, frames, fleet.clock));
    }

    // A slow pace must not pass for a stall: between two messages nothing
    // moves for a whole period.
    let stall_limit = config.drain_timeout + period.unwrap_or(Duration::ZERO);
    let mut last_change = Instant::now();
    let mut last_seen = (0, 0);
    let completed = loop {
        tokio::time::sleep(POLL_INTERVAL).await;
        let (delivered, _) = fleet.tallies.progress();
        let sent: u64 = senders
            .iter()
            .map(|sender| sender.link.sent.load(Ordering::Relaxed))
            .sum();
        let expected = expected_deliveries(&senders);
        let all_sent = senders
            .iter()
            .all(|sender| sender.link.finished.load(Ordering::Relaxed) && sender.link.settled());
        if all_sent && delivered >= expected {
            break true;
        }
        if (delivered, sent) != last_seen {
            last_seen = (delivered, sent);
            last_change = Instant::now();
        } else if last_change.elapsed() >= stall_limit {
            break false;
        }
    };
    let elapsed = start.elapsed().as_secs_f64();
    let server_cpu_end = sample(server, WatchedProcess::cpu_seconds);
    let own_cpu_end = own_cpu_seconds()?;
    let held_at_end = fleet.live.load(Ordering::Relaxed);
    pacing_tasks.abort_all();

    let tally = fleet.tallies.merged()?;
    let sum = |count: fn(&SenderLink) -> u64| -> u64 {
        senders.iter().map(|sender| count(&sender.link)).sum()
    };
    let accepted = sum(|link| link.accepted.load(Ordering::Relaxed));
    let expected = expected_deliveries(&senders);
    let window_seconds =
        (tally.last_delivery_nanos.saturating_sub(start_nanos) as f64 / 1e9).max(1e-9);
    let quantile = |q: f64| tally.latency_us.value_at_quantile(q);
    let figures = DeliveryFigures {
        active_rooms,
        senders: senders.len(),
        completed,
        messages_sent: sum(|link| link.sent.load(Ordering::Relaxed)),
        messages_accepted: accepted,
        messages_refused: sum(|link| link.refused.load(Ordering::Relaxed)),
        expected,
        delivered: tally.delivered,
        lost: expected.saturating_sub(tally.delivered),
        out_of_order: tally.out_of_order,
        seconds: window_seconds,
        deliveries_per_second: tally.delivered as f64 / window_seconds,
        messages_per_second: accepted as f64 / window_seconds,
        latency_us: LatencyFigures {
            p50: quantile(0.5),
            p90: quantile(0.9),
            p95: quantile(0.95),
            p99: quantile(0.99),
            p999: quantile(0.999),
            max: tally.latency_us.max(),
        },
        sent_latency_us: {
            let waits = fleet.acknowledgements.snapshot();
            (!waits.is_empty()).then(|| LatencyFigures::of(&waits))
        },
        cpu_window_seconds: elapsed,
        server_cpu_seconds: server_cpu_start
            .zip(server_cpu_end)
            .map(|(start, end)| end - start),
        load_cpu_seconds: own_cpu_end - own_cpu_start,
    };
    Ok((figures, held_at_end))
}
