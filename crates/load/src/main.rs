//! `tchatche-load`: drives many WebSocket and IRC clients against a chat
//! server running on this machine (tchatche, or for IRC any IRC server) and
//! measures what the server does with them.
//!
//! Each scenario is a subcommand built on the same pieces: [`target`] checks
//! the addresses and spreads sockets over loopback source addresses,
//! [`client`] and [`irc`] speak the two wires and [`link`] hides which one a
//! client uses, [`fanout`] sets up rooms and measures deliveries,
//! [`process_stats`] reads the server's memory and CPU from `/proc`, and
//! [`latency`] stamps messages and collects delivery latencies without a
//! global lock. Results go to standard output as a table followed by one JSON
//! line for scripts; progress goes to standard error. Every figure comes
//! with the load tool's own CPU, since both share this machine.
//!
//! Architecture invariant: the tool only ever connects to a loopback address.

/// The same allocator as the server's: the tool shares the machine with it,
/// and every cycle it saves is one the server can use.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

mod big_room;
mod client;
mod descriptors;
mod entry_storm;
mod fanout;
mod history;
mod idle;
mod irc;
mod latency;
mod link;
mod names;
mod process_stats;
mod shootout;
mod smoke;
mod target;

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::fanout::{FanoutConfig, RoomKind};
use crate::link::TransportChoice;
use crate::process_stats::WatchedProcess;
use crate::target::Target;

/// Command line of the load tool.
#[derive(Debug, Parser)]
#[command(
    name = "tchatche-load",
    version,
    about = "Load generator for a tchatche server on this machine"
)]
struct Cli {
    /// The scenario to run.
    #[command(subcommand)]
    scenario: Scenario,
}

/// Every scenario the tool can run.
#[derive(Debug, Subcommand)]
enum Scenario {
    /// Scenario 1: N clients in rooms of 100, held idle: server memory per
    /// connection, idle CPU, connect + enter + join rate.
    Idle(IdleArgs),
    /// Scenario 2: one room of 1,000 members, 10 senders as fast as the
    /// server takes them (bounded in-flight window): deliveries per second.
    FanoutMax(FanoutMaxArgs),
    /// Scenario 3: one room of 2,000 members, 2 senders × 50 messages/s:
    /// delivered per second, loss, p50 / p99 / p99.9 latency.
    FanoutRate(FanoutRateArgs),
    /// Scenario 4: the broadcast shootout, stepping the client count of one
    /// room up until broadcast p95 passes 500 ms.
    Shootout(ShootoutArgs),
    /// Scenario 5: many pairs exchanging private messages.
    DmStorm(DmStormArgs),
    /// Scenario 6: guest entries per second.
    EntryStorm(EntryStormArgs),
    /// Scenario 7: room messages durably stored per second (reads the
    /// server's SQLite file).
    History(HistoryArgs),
    /// One room filled to several sizes (default 1,000 to 10,000), one more
    /// client joining and leaving it at each size: server CPU per join +
    /// departure, per member (flat when joins and quits cost O(members)).
    BigRoom(BigRoomArgs),
    /// Many clients in rooms; a few of them speak and everyone measures how
    /// fast the messages reach them (every knob of the scenarios above).
    Fanout(FanoutArgs),
    /// A small fan-out that fails (exit status 1) if anything is lost,
    /// refused or disconnected: a quick check that delivery works. With an
    /// IRC address, a third of the clients speak IRC in the same rooms.
    Smoke(SmokeArgs),
}

/// Options every scenario shares: where the server is, how to watch it and
/// how clients connect.
#[derive(Debug, Args)]
struct ServerArgs {
    /// WebSocket URL of the server; must be a loopback address.
    #[arg(long, default_value = "ws://127.0.0.1:8080/ws")]
    url: String,
    /// IRC address of the server (`127.0.0.1:6667`); must be a loopback
    /// address. Needed by IRC clients.
    #[arg(long)]
    irc_addr: Option<String>,
    /// The clients' transport: ws, irc, or mixed (both in the same rooms).
    /// Default: ws (smoke: mixed when --irc-addr is given).
    #[arg(long, value_enum)]
    transport: Option<TransportChoice>,
    /// Process id of the server, for its memory and CPU figures. Without it,
    /// the process listening on the URL's port (IRC: the IRC port) is
    /// looked up in /proc.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Clients connecting (connect, enter, join) at the same time. A server
    /// with a short listen backlog (ngIRCd: 10) needs a value below it.
    #[arg(long, default_value_t = 200)]
    connect_concurrency: usize,
    /// New connections per second at most (0: no pace).
    #[arg(long, default_value_t = 0.0)]
    connect_rate: f64,
}

impl ServerArgs {
    fn transport(&self, default: TransportChoice) -> TransportChoice {
        self.transport.unwrap_or(default)
    }
}

/// Options of the idle scenario.
#[derive(Debug, Args)]
struct IdleArgs {
    #[command(flatten)]
    server: ServerArgs,
    /// Clients to hold (default: as many as the open-file limits of this
    /// tool and of the server allow).
    #[arg(long)]
    clients: Option<usize>,
    /// Members per room.
    #[arg(long, default_value_t = 100)]
    room_size: usize,
    /// Seconds to hold them.
    #[arg(long, default_value_t = 10)]
    hold: u64,
}

/// Options of the fan-out at max rate.
#[derive(Debug, Args)]
struct FanoutMaxArgs {
    #[command(flatten)]
    server: ServerArgs,
    /// Members of the room.
    #[arg(long, default_value_t = 1000)]
    members: usize,
    /// Members who send.
    #[arg(long, default_value_t = 10)]
    senders: usize,
    /// Messages each sender sends.
    #[arg(long, default_value_t = 1000)]
    messages: u32,
    /// Messages one sender may have in flight.
    #[arg(long, default_value_t = 10)]
    window: usize,
    /// Seconds to wait for missing deliveries.
    #[arg(long, default_value_t = 20)]
    drain_timeout: u64,
}

/// Options of the fan-out at a fixed rate.
#[derive(Debug, Args)]
struct FanoutRateArgs {
    #[command(flatten)]
    server: ServerArgs,
    /// Members of the room.
    #[arg(long, default_value_t = 2000)]
    members: usize,
    /// Members who send.
    #[arg(long, default_value_t = 2)]
    senders: usize,
    /// Messages per second per sender.
    #[arg(long, default_value_t = 50.0)]
    rate_per_sender: f64,
    /// Seconds of sending.
    #[arg(long, default_value_t = 10)]
    seconds: u32,
    /// Messages one sender may have in flight (a bound, not a pace: a
    /// server slower than the pace shows as a rate below the offered one).
    #[arg(long, default_value_t = 1000)]
    window: usize,
    /// Seconds to wait for missing deliveries.
    #[arg(long, default_value_t = 20)]
    drain_timeout: u64,
}

/// Options of the broadcast shootout.
#[derive(Debug, Args)]
struct ShootoutArgs {
    #[command(flatten)]
    server: ServerArgs,
    /// First client count.
    #[arg(long, default_value_t = 1000)]
    start: usize,
    /// Clients added per step.
    #[arg(long, default_value_t = 1000)]
    step: usize,
    /// Largest client count tried (default: the open-file limit).
    #[arg(long)]
    max: Option<usize>,
    /// Broadcasting clients.
    #[arg(long, default_value_t = 4)]
    senders: usize,
    /// Broadcasts per sender per step.
    #[arg(long, default_value_t = 20)]
    messages: u32,
    /// Broadcasts one sender may have in flight.
    #[arg(long, default_value_t = 1)]
    window: usize,
    /// The p95 limit, in milliseconds.
    #[arg(long, default_value_t = 500)]
    p95_limit_ms: u64,
}

/// Options of the big room.
#[derive(Debug, Args)]
struct BigRoomArgs {
    #[command(flatten)]
    server: ServerArgs,
    /// Room sizes, in order.
    #[arg(long, value_delimiter = ',', default_values_t = [1000, 2500, 5000, 10000])]
    sizes: Vec<usize>,
    /// Join + departure cycles per size.
    #[arg(long, default_value_t = 20)]
    probes: usize,
}

/// Options of the private-message storm.
#[derive(Debug, Args)]
struct DmStormArgs {
    #[command(flatten)]
    server: ServerArgs,
    /// Pairs of clients; both sides of each pair send.
    #[arg(long, default_value_t = 2000)]
    pairs: usize,
    /// Messages each client sends.
    #[arg(long, default_value_t = 100)]
    messages: u32,
    /// Messages per second over all clients (0: as fast as the window
    /// allows).
    #[arg(long, default_value_t = 0.0)]
    rate: f64,
    /// Messages one client may have in flight.
    #[arg(long, default_value_t = 4)]
    window: usize,
    /// Seconds to wait for missing deliveries.
    #[arg(long, default_value_t = 20)]
    drain_timeout: u64,
}

/// Options of the entry storm.
#[derive(Debug, Args)]
struct EntryStormArgs {
    #[command(flatten)]
    server: ServerArgs,
    /// Entries in all.
    #[arg(long, default_value_t = 20_000)]
    entries: usize,
    /// Entries under way at once.
    #[arg(long, default_value_t = 100)]
    concurrency: usize,
}

/// Options of the history-write scenario.
#[derive(Debug, Args)]
struct HistoryArgs {
    #[command(flatten)]
    server: ServerArgs,
    /// The server's SQLite file (`<data dir>/tchatche.sqlite3`), read-only.
    #[arg(long)]
    database: std::path::PathBuf,
    /// Directory rooms written to.
    #[arg(long, default_value_t = 20)]
    rooms: usize,
    /// Members per room (the first one sends).
    #[arg(long, default_value_t = 2)]
    room_size: usize,
    /// Senders per room.
    #[arg(long, default_value_t = 1)]
    senders: usize,
    /// Messages each sender sends.
    #[arg(long, default_value_t = 5000)]
    messages: u32,
    /// Messages one sender may have in flight.
    #[arg(long, default_value_t = 64)]
    window: usize,
}

/// Options of the fan-out scenario.
#[derive(Debug, Args)]
struct FanoutArgs {
    /// Where the server is.
    #[command(flatten)]
    server: ServerArgs,
    /// Clients to connect and keep connected.
    #[arg(long, default_value_t = 10_000)]
    clients: usize,
    /// Members per room: the first member of each group creates the room,
    /// the others join it.
    #[arg(long, default_value_t = 100)]
    room_size: usize,
    /// Rooms where messages are sent (0: every room, in parallel).
    #[arg(long, default_value_t = 1)]
    active_rooms: usize,
    /// Members who send messages in each active room.
    #[arg(long, default_value_t = 10)]
    senders: usize,
    /// Messages each sender sends.
    #[arg(long, default_value_t = 200)]
    messages: u32,
    /// Messages per second over all senders together (0: as fast as the
    /// in-flight window allows).
    #[arg(long, default_value_t = 0.0)]
    rate: f64,
    /// Messages one sender may have in flight (sent, not yet seen by its
    /// witness: itself over WebSocket, another member over IRC).
    #[arg(long, default_value_t = 10)]
    window: usize,
    /// Seconds to wait for missing deliveries after the last message is sent.
    #[arg(long, default_value_t = 10)]
    drain_timeout: u64,
}

/// Options of the smoke scenario: the server only; the sizes are fixed.
#[derive(Debug, Args)]
struct SmokeArgs {
    /// Where the server is.
    #[command(flatten)]
    server: ServerArgs,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.scenario).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("tchatche-load: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// A fan-out configuration with the common fields filled from the server
/// options.
fn base_config(server: &ServerArgs, transport: TransportChoice) -> FanoutConfig {
    FanoutConfig {
        clients: 0,
        room_size: 2,
        active_rooms: 1,
        senders: 0,
        messages: 0,
        rate: 0.0,
        window: 1,
        connect_concurrency: server.connect_concurrency,
        connect_rate: server.connect_rate,
        drain_timeout: Duration::from_secs(10),
        transport,
        rooms: RoomKind::Created,
    }
}

/// Runs one scenario and turns its verdict into the exit status.
async fn run(scenario: Scenario) -> anyhow::Result<ExitCode> {
    match scenario {
        Scenario::Idle(args) => {
            let transport = args.server.transport(TransportChoice::Ws);
            let (target, server) = prepare(&args.server, transport, args.clients)?;
            let clients = match args.clients {
                Some(clients) => clients,
                None => descriptors::most_clients(server.as_ref())?,
            };
            let config = FanoutConfig {
                clients,
                room_size: args.room_size,
                active_rooms: 0,
                ..base_config(&args.server, transport)
            };
            let report = idle::run(
                &target,
                server.as_ref(),
                &config,
                Duration::from_secs(args.hold),
            )
            .await?;
            report.print();
            Ok(ExitCode::SUCCESS)
        }
        Scenario::FanoutMax(args) => {
            let transport = args.server.transport(TransportChoice::Ws);
            let config = FanoutConfig {
                clients: args.members,
                room_size: args.members,
                senders: args.senders,
                messages: args.messages,
                window: args.window,
                drain_timeout: Duration::from_secs(args.drain_timeout),
                ..base_config(&args.server, transport)
            };
            run_fanout("fanout-max", &args.server, transport, &config).await
        }
        Scenario::FanoutRate(args) => {
            let transport = args.server.transport(TransportChoice::Ws);
            let messages = (args.rate_per_sender * f64::from(args.seconds)).round() as u32;
            let config = FanoutConfig {
                clients: args.members,
                room_size: args.members,
                senders: args.senders,
                messages,
                rate: args.rate_per_sender * args.senders as f64,
                window: args.window,
                drain_timeout: Duration::from_secs(args.drain_timeout),
                ..base_config(&args.server, transport)
            };
            run_fanout("fanout-rate", &args.server, transport, &config).await
        }
        Scenario::Shootout(args) => {
            let transport = args.server.transport(TransportChoice::Ws);
            let (target, server) = prepare(&args.server, transport, Some(args.start))?;
            let max = match args.max {
                Some(max) => max,
                None => descriptors::most_clients(server.as_ref())?,
            };
            let config = shootout::ShootoutConfig {
                step: FanoutConfig {
                    senders: args.senders,
                    messages: args.messages,
                    window: args.window,
                    ..base_config(&args.server, transport)
                },
                start: args.start,
                increment: args.step,
                max,
                p95_limit_us: args.p95_limit_ms * 1000,
            };
            let report = shootout::run(&target, server.as_ref(), &config).await?;
            report.print();
            Ok(ExitCode::SUCCESS)
        }
        Scenario::BigRoom(args) => {
            let transport = args.server.transport(TransportChoice::Ws);
            let largest = args.sizes.iter().copied().max().unwrap_or(0) + 1;
            let (target, server) = prepare(&args.server, transport, Some(largest))?;
            let config = big_room::BigRoomConfig {
                base: base_config(&args.server, transport),
                sizes: args.sizes,
                probes: args.probes.max(1),
            };
            let report = big_room::run(&target, server.as_ref(), &config).await?;
            report.print();
            Ok(ExitCode::SUCCESS)
        }
        Scenario::DmStorm(args) => {
            let transport = args.server.transport(TransportChoice::Ws);
            let config = FanoutConfig {
                clients: args.pairs * 2,
                room_size: 2,
                active_rooms: 0,
                senders: 2,
                messages: args.messages,
                rate: args.rate,
                window: args.window,
                drain_timeout: Duration::from_secs(args.drain_timeout),
                rooms: RoomKind::Pairs,
                ..base_config(&args.server, transport)
            };
            run_fanout("dm-storm", &args.server, transport, &config).await
        }
        Scenario::EntryStorm(args) => {
            let transport = args.server.transport(TransportChoice::Ws);
            let (target, server) = prepare(&args.server, transport, Some(args.concurrency))?;
            let config = entry_storm::EntryStormConfig {
                entries: args.entries,
                concurrency: args.concurrency,
                transport,
            };
            let report = entry_storm::run(&target, server.as_ref(), &config).await?;
            report.print();
            Ok(ExitCode::SUCCESS)
        }
        Scenario::History(args) => {
            let config = FanoutConfig {
                clients: args.rooms * args.room_size,
                room_size: args.room_size,
                active_rooms: 0,
                senders: args.senders,
                messages: args.messages,
                window: args.window,
                drain_timeout: Duration::from_secs(20),
                rooms: RoomKind::Directory,
                ..base_config(&args.server, TransportChoice::Ws)
            };
            let (target, server) =
                prepare(&args.server, TransportChoice::Ws, Some(config.clients))?;
            let report = history::run(&target, server.as_ref(), &config, args.database).await?;
            report.print();
            Ok(ExitCode::SUCCESS)
        }
        Scenario::Fanout(args) => {
            let transport = args.server.transport(TransportChoice::Ws);
            let config = FanoutConfig {
                clients: args.clients,
                room_size: args.room_size,
                active_rooms: args.active_rooms,
                senders: args.senders,
                messages: args.messages,
                rate: args.rate,
                window: args.window,
                drain_timeout: Duration::from_secs(args.drain_timeout),
                ..base_config(&args.server, transport)
            };
            run_fanout("fanout", &args.server, transport, &config).await
        }
        Scenario::Smoke(args) => {
            let default = if args.server.irc_addr.is_some() {
                TransportChoice::Mixed
            } else {
                TransportChoice::Ws
            };
            let transport = args.server.transport(default);
            let config = smoke::config(base_config(&args.server, transport));
            let (target, server) = prepare(&args.server, transport, Some(config.clients))?;
            let passed = smoke::run(&target, server.as_ref(), &config).await?;
            Ok(if passed {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

/// Runs a fan-out based scenario and prints its report under `scenario`.
async fn run_fanout(
    scenario: &'static str,
    args: &ServerArgs,
    transport: TransportChoice,
    config: &FanoutConfig,
) -> anyhow::Result<ExitCode> {
    let (target, server) = prepare(args, transport, Some(config.clients))?;
    let mut report = fanout::run(&target, server.as_ref(), config).await?;
    report.scenario = scenario;
    report.print();
    Ok(ExitCode::SUCCESS)
}

/// Checks the addresses, raises the descriptor limit and finds the server
/// process: everything that can refuse the run before a single socket is
/// opened.
fn prepare(
    args: &ServerArgs,
    transport: TransportChoice,
    clients: Option<usize>,
) -> anyhow::Result<(Target, Option<WatchedProcess>)> {
    let mut target = Target::parse(&args.url)?;
    if let Some(irc) = &args.irc_addr {
        target = target.with_irc(irc)?;
    }
    if transport.uses_irc() {
        target.irc_addr()?;
    }
    let limit = descriptors::raise_to_hard_limit()?;
    if let Some(clients) = clients {
        descriptors::ensure_room_for(clients, &limit)?;
    }
    // The port that tells the server process apart: the WebSocket one when
    // any client uses it (tchatche), else the IRC one (any IRC server).
    let port = match (transport.uses_ws(), target.irc) {
        (false, Some(irc)) => irc.port(),
        _ => target.addr.port(),
    };
    let server = match args.server_pid {
        Some(pid) => Some(WatchedProcess::new(pid)?),
        None => {
            let found = process_stats::find_listener(port);
            if found.is_none() {
                eprintln!(
                    "note: no process found listening on port {port}; server memory and CPU \
                     will not be reported (pass --server-pid)"
                );
            }
            found
        }
    };
    if let (Some(server), Some(clients)) = (&server, clients) {
        descriptors::ensure_server_room_for(clients, server)?;
    }
    Ok((target, server))
}
