//! The fan-out scenario: many clients in rooms, a few of them speaking, and
//! every member measuring how fast each message reaches it.
//!
//! Set-up: the clients are cut into groups of `room_size`; the first member
//! of each group creates a user room (`create_room`, one per user, well
//! under the per-user limit) and the others join it, at most
//! `connect_concurrency` clients setting up at a time. Each client starts
//! its read loop as soon as it is set up, so broadcasts during set-up never
//! pile up in the server.
//!
//! Measurement: in the first `active_rooms` rooms (or all of them), the
//! first `senders` members send stamped messages, each with a bounded window
//! in flight; the phase ends when every accepted message has reached every
//! member of its room, or when nothing has moved for `drain_timeout`.

mod member;
mod report;

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

use crate::client::{Client, Refused, code_name};
use crate::latency::{Clock, DeliveryTallies};
use crate::names::RunTag;
use crate::process_stats::{WatchedProcess, own_cpu_seconds, own_rss_bytes};
use crate::target::{Target, source_address};
use member::{Fleet, MemberEnd, MemberOutcome, MemberPlan, SenderLink, SenderPlan};
pub use report::FanoutReport;
use report::{ConnectFigures, DeliveryFigures, LatencyFigures};

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
    /// How long the measurement waits without progress before giving up.
    pub drain_timeout: Duration,
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
        if self.senders == 0 || self.senders > self.room_size {
            bail!(
                "--senders must be between 1 and --room-size ({})",
                self.room_size
            );
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
}

/// Everything set-up tasks share.
struct SetUp {
    /// The server.
    target: Target,
    /// Names for this run.
    tag: RunTag,
    /// Limits how many clients set up at once.
    permits: Semaphore,
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

/// The result of setting up one room.
struct RoomSetUp {
    /// The plan.
    plan: RoomPlan,
    /// Its slug, if it was created.
    slug: Option<String>,
    /// Members running.
    members: Vec<RunningMember>,
    /// Why the others failed.
    failures: Vec<String>,
}

/// Runs the scenario.
pub async fn run(
    target: &Target,
    server: Option<&WatchedProcess>,
    config: &FanoutConfig,
) -> anyhow::Result<FanoutReport> {
    config.check()?;
    let clock = Clock::start();
    let rooms = plan_rooms(config);
    let (stop_sender, stop) = watch::channel(false);
    let fleet = Arc::new(Fleet {
        clock,
        tallies: DeliveryTallies::new()?,
        live: AtomicUsize::new(0),
    });
    let set_up = Arc::new(SetUp {
        target: target.clone(),
        tag: RunTag::from_clock(),
        permits: Semaphore::new(config.connect_concurrency),
        window: config.window,
        fleet: Arc::clone(&fleet),
        stop,
        set_up: AtomicUsize::new(0),
        failed: AtomicUsize::new(0),
    });

    let server_rss_before = sample(server, WatchedProcess::rss_bytes);
    eprintln!(
        "setting up {} clients in {} rooms of {} ({} at a time)…",
        config.clients,
        rooms.len(),
        config.room_size,
        config.connect_concurrency
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

    let (delivery, held_at_end) = measure_fanout(&set_up_rooms, &fleet, server, config).await?;
    let server_rss_end = sample(server, WatchedProcess::rss_bytes);

    // Stop every client and collect what they saw.
    let _ = stop_sender.send(true);
    let mut disconnects = BTreeMap::new();
    let mut error_frames = BTreeMap::new();
    for member in set_up_rooms.into_iter().flat_map(|room| room.members) {
        let outcome = member.task.await.context("a client task failed")?;
        for code in outcome.errors {
            *error_frames.entry(code_name(code)).or_insert(0u64) += 1;
        }
        let reason = match outcome.end {
            MemberEnd::Stopped => continue,
            MemberEnd::ClosedByServer(how) => match outcome.closing {
                Some(code) => format!("closed by the server after closing {}", code_name(code)),
                None => format!("closed by the server ({how})"),
            },
            MemberEnd::Failed(error) => error,
        };
        *disconnects.entry(reason).or_insert(0u64) += 1;
    }

    let rss_per_connection = match (server_rss_before, server_rss_connected) {
        (Some(before), Some(after)) if held_after_connect > 0 => {
            Some(after.saturating_sub(before) / held_after_connect as u64)
        }
        _ => None,
    };
    Ok(FanoutReport {
        scenario: "fanout",
        clients: config.clients,
        room_size: config.room_size,
        rooms: config.clients.div_ceil(config.room_size),
        active_rooms: delivery.active_rooms,
        senders: delivery.senders,
        messages_per_sender: config.messages,
        rate: config.rate,
        window: config.window,
        server_pid: server.map(WatchedProcess::pid),
        connect: ConnectFigures {
            held: held_after_connect,
            failed: setup_failures.values().sum(),
            failures: setup_failures,
            seconds: connect_seconds,
            per_second: held_after_connect as f64 / connect_seconds.max(1e-9),
            server_rss_before_bytes: server_rss_before,
            server_rss_connected_bytes: server_rss_connected,
            server_rss_per_connection_bytes: rss_per_connection,
            load_rss_connected_bytes: load_rss_connected,
        },
        delivery,
        held_at_end,
        server_rss_end_bytes: server_rss_end,
        disconnects,
        error_frames,
    })
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
            }
        })
        .collect()
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

/// Sets up one room: its creator first, then the other members in parallel.
async fn set_up_room(plan: RoomPlan, set_up: Arc<SetUp>) -> RoomSetUp {
    let mut room = RoomSetUp {
        plan: plan.clone(),
        slug: None,
        members: Vec::new(),
        failures: Vec::new(),
    };
    let creator = plan.members.start;
    let created = {
        let _permit = set_up.permits.acquire().await;
        create_room(&set_up, creator, &set_up.tag.room_name(plan.number)).await
    };
    let slug = match created {
        Ok((client, slug)) => {
            set_up.set_up.fetch_add(1, Ordering::Relaxed);
            room.members
                .push(start_member(client, creator, &plan, &set_up));
            slug
        }
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
                    .map(|_| format!("not tried: the room was not created ({reason})")),
            );
            return room;
        }
    };
    let mut joins = JoinSet::new();
    for index in plan.members.clone().skip(1) {
        let set_up = Arc::clone(&set_up);
        let slug = slug.clone();
        joins.spawn(async move {
            let _permit = set_up.permits.acquire().await;
            (index, join_room(&set_up, index, &slug).await)
        });
    }
    while let Some(joined) = joins.join_next().await {
        match joined {
            Ok((index, Ok(client))) => {
                set_up.set_up.fetch_add(1, Ordering::Relaxed);
                room.members
                    .push(start_member(client, index, &plan, &set_up));
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
    room.slug = Some(slug);
    room
}

/// Connects client `index`, enters and creates the room `name`.
async fn create_room(set_up: &SetUp, index: usize, name: &str) -> anyhow::Result<(Client, String)> {
    let mut client = connect_and_enter(set_up, index).await?;
    let slug = client.create_room(name).await.context("create_room")?;
    Ok((client, slug))
}

/// Connects client `index`, enters and joins the room `slug`.
async fn join_room(set_up: &SetUp, index: usize, slug: &str) -> anyhow::Result<Client> {
    let mut client = connect_and_enter(set_up, index).await?;
    client.join(slug).await.context("join")?;
    Ok(client)
}

/// Connects client `index` from its source address and enters.
async fn connect_and_enter(set_up: &SetUp, index: usize) -> anyhow::Result<Client> {
    let mut client = Client::connect(&set_up.target, source_address(index))
        .await
        .context("connect")?;
    client
        .enter(&set_up.tag.nickname(index))
        .await
        .context("enter")?;
    Ok(client)
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
fn start_member(client: Client, index: usize, plan: &RoomPlan, set_up: &SetUp) -> RunningMember {
    let is_sender = plan.active && index - plan.members.start < plan.senders;
    let (sender, member_side) = if is_sender {
        let link = Arc::new(SenderLink::new(set_up.window));
        let (frames, outbound) = mpsc::channel(set_up.window);
        (
            Some((index, Arc::clone(&link), frames)),
            Some((link, outbound)),
        )
    } else {
        (None, None)
    };
    set_up.fleet.live.fetch_add(1, Ordering::Relaxed);
    let member_plan = MemberPlan {
        index,
        room_first: plan.members.start,
        room_senders: if plan.active { plan.senders } else { 0 },
        sender: member_side,
    };
    let task = tokio::spawn(member::drive(
        client.into_socket(),
        member_plan,
        Arc::clone(&set_up.fleet),
        set_up.stop.clone(),
    ));
    RunningMember { task, sender }
}

/// One sender of the measurement phase.
struct ActiveSender {
    /// Its link.
    link: Arc<SenderLink>,
    /// Members of its room, itself included: how many deliveries each
    /// accepted message should make.
    room_members: u64,
}

/// Deliveries due so far: each accepted message once per member of its
/// room, the sender included.
fn expected_deliveries(senders: &[ActiveSender]) -> u64 {
    senders
        .iter()
        .map(|sender| sender.link.accepted.load(Ordering::Relaxed) * sender.room_members)
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
        let Some(slug) = &room.slug else { continue };
        active_rooms += 1;
        for (index, link, frames) in room.members.iter().filter_map(|m| m.sender.as_ref()) {
            plans.push((*index, slug.clone(), Arc::clone(link), frames.clone()));
            senders.push(ActiveSender {
                link: Arc::clone(link),
                room_members: room.members.len() as u64,
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
    for (position, (index, room, link, frames)) in plans.into_iter().enumerate() {
        // Paced senders are spread over one period rather than all firing
        // at the same instant.
        let offset = period.map_or(Duration::ZERO, |period| {
            period * u32::try_from(position).unwrap_or(0) / n_senders.max(1)
        });
        let plan = SenderPlan {
            index,
            room,
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
            p99: quantile(0.99),
            p999: quantile(0.999),
            max: tally.latency_us.max(),
        },
        cpu_window_seconds: elapsed,
        server_cpu_seconds: server_cpu_start
            .zip(server_cpu_end)
            .map(|(start, end)| end - start),
        load_cpu_seconds: own_cpu_end - own_cpu_start,
    };
    Ok((figures, held_at_end))
}
