//! `tchatche-load`: drives many WebSocket clients against a tchatche server
//! running on this machine and measures what the server does with them.
//!
//! Each scenario is a subcommand built on the same pieces: [`target`] checks
//! the URL and spreads sockets over loopback source addresses, [`client`]
//! speaks the protocol (connect, enter, join, create a room),
//! [`process_stats`] reads the server's memory and CPU from `/proc`, and
//! [`latency`] stamps messages and collects delivery latencies without a
//! global lock. Results go to standard output as a table followed by one JSON
//! line for scripts; progress goes to standard error.
//!
//! Architecture invariant: the tool only ever connects to a loopback address.

mod client;
mod descriptors;
mod fanout;
mod latency;
mod names;
mod process_stats;
mod smoke;
mod target;

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::fanout::FanoutConfig;
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
    /// Many clients in rooms; a few of them speak and everyone measures how
    /// fast the messages reach them.
    Fanout(FanoutArgs),
    /// A small fan-out that fails (exit status 1) if anything is lost,
    /// refused or disconnected: a quick check that delivery works.
    Smoke(SmokeArgs),
}

/// Options every scenario shares: where the server is and how to watch it.
#[derive(Debug, Args)]
struct ServerArgs {
    /// WebSocket URL of the server; must be a loopback address.
    #[arg(long, default_value = "ws://127.0.0.1:8080/ws")]
    url: String,
    /// Process id of the server, for its memory and CPU figures. Without it,
    /// the process listening on the URL's port is looked up in /proc.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Clients connecting (connect, enter, join) at the same time.
    #[arg(long, default_value_t = 200)]
    connect_concurrency: usize,
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
    /// Messages one sender may have in flight (sent, its own copy not yet
    /// back).
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

/// Runs one scenario and turns its verdict into the exit status.
async fn run(scenario: Scenario) -> anyhow::Result<ExitCode> {
    match scenario {
        Scenario::Fanout(args) => {
            let config = FanoutConfig {
                clients: args.clients,
                room_size: args.room_size,
                active_rooms: args.active_rooms,
                senders: args.senders,
                messages: args.messages,
                rate: args.rate,
                window: args.window,
                connect_concurrency: args.server.connect_concurrency,
                drain_timeout: Duration::from_secs(args.drain_timeout),
            };
            let (target, server) = prepare(&args.server, config.clients)?;
            let report = fanout::run(&target, server.as_ref(), &config).await?;
            report.print();
            Ok(ExitCode::SUCCESS)
        }
        Scenario::Smoke(args) => {
            let config = smoke::config(args.server.connect_concurrency);
            let (target, server) = prepare(&args.server, config.clients)?;
            let passed = smoke::run(&target, server.as_ref(), &config).await?;
            Ok(if passed {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

/// Checks the URL, raises the descriptor limit and finds the server process:
/// everything that can refuse the run before a single socket is opened.
fn prepare(args: &ServerArgs, clients: usize) -> anyhow::Result<(Target, Option<WatchedProcess>)> {
    let target = Target::parse(&args.url)?;
    let limit = descriptors::raise_to_hard_limit()?;
    descriptors::ensure_room_for(clients, &limit)?;
    let server = match args.server_pid {
        Some(pid) => Some(WatchedProcess::new(pid)?),
        None => {
            let found = process_stats::find_listener(target.addr.port());
            if found.is_none() {
                eprintln!(
                    "note: no process found listening on port {}; server memory and CPU \
                     will not be reported (pass --server-pid)",
                    target.addr.port()
                );
            }
            found
        }
    };
    if let Some(server) = &server {
        descriptors::ensure_server_room_for(clients, server)?;
    }
    Ok((target, server))
}
