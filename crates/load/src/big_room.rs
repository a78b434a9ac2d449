//! A big room: does one join or one departure cost time in proportion to the
//! room's size (linear), or more?
//!
//! For each size, a fresh room is filled with that many members (who keep
//! reading everything the server sends them), then one more client joins
//! and leaves it again, several times, one at a time. Each join is answered
//! with the whole member list and announced to every member, each departure
//! announced to every member, so both are expected to cost O(members): the
//! figure to watch is the server's CPU per join + departure divided by the
//! room's size, which stays flat when the cost is linear and grows with the
//! size when it is not.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::fanout::report::{ms, print_with_json};
use crate::fanout::{self, FanoutConfig, transport_name};
use crate::link::SetUpClient;
use crate::process_stats::WatchedProcess;
use crate::target::Target;

/// The probe's own loopback address, apart from the members'.
const PROBE_SOURCE: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 254);

/// What to measure.
#[derive(Clone, Debug)]
pub struct BigRoomConfig {
    /// Set-up settings (transport, concurrency); `clients` and `room_size`
    /// are set per size.
    pub base: FanoutConfig,
    /// Room sizes, in order.
    pub sizes: Vec<usize>,
    /// Join + departure cycles per size.
    pub probes: usize,
}

/// One size's figures.
#[derive(Debug, Serialize)]
pub struct BigRoomStep {
    /// Members asked for.
    pub members: usize,
    /// Members set up.
    pub held: usize,
    /// Time to fill the room, in seconds.
    pub fill_seconds: f64,
    /// Median time from the join command to the reply (the member list),
    /// in microseconds.
    pub join_p50_us: u64,
    /// Slowest join, in microseconds.
    pub join_max_us: u64,
    /// Median time from the leave command to its acknowledgement, in
    /// microseconds.
    pub leave_p50_us: u64,
    /// Server CPU per join + departure (both announced to every member), in
    /// microseconds.
    pub server_cpu_per_cycle_us: Option<f64>,
    /// The same divided by the room's size, in nanoseconds per member.
    pub server_cpu_per_cycle_per_member_ns: Option<f64>,
}

/// What a big-room run found.
#[derive(Debug, Serialize)]
pub struct BigRoomReport {
    /// Always `big-room`.
    pub scenario: &'static str,
    /// `ws` or `irc`.
    pub transport: &'static str,
    /// Join + departure cycles per size.
    pub probes: usize,
    /// Every size.
    pub steps: Vec<BigRoomStep>,
}

/// Runs every size in turn.
pub async fn run(
    target: &Target,
    server: Option<&WatchedProcess>,
    config: &BigRoomConfig,
) -> anyhow::Result<BigRoomReport> {
    let mut steps = Vec::new();
    for &members in &config.sizes {
        eprintln!("big room: filling a room of {members}…");
        let fill = FanoutConfig {
            clients: members,
            room_size: members,
            active_rooms: 1,
            senders: 1,
            messages: 0,
            ..config.base.clone()
        };
        let started = Instant::now();
        let running = fanout::set_up(target, server, &fill).await?;
        let fill_seconds = started.elapsed().as_secs_f64();
        let held = running.connect.held;
        let Some(slug) = running.room_slugs().into_iter().next() else {
            anyhow::bail!("the room of {members} could not be created");
        };
        let transport = config.base.transport.of(0, 0);
        let mut probe = SetUpClient::connect(target, transport, PROBE_SOURCE).await?;
        probe.enter(&format!("sonde{}", members % 100_000)).await?;
        let mut joins = Vec::with_capacity(config.probes);
        let mut leaves = Vec::with_capacity(config.probes);
        let cpu_start = server.and_then(|server| server.cpu_seconds().ok());
        for _ in 0..config.probes {
            let started = Instant::now();
            probe.join(&slug).await?;
            joins.push(started.elapsed());
            let started = Instant::now();
            probe.leave(&slug).await?;
            leaves.push(started.elapsed());
        }
        let cpu = server
            .and_then(|server| server.cpu_seconds().ok())
            .zip(cpu_start)
            .map(|(end, start)| (end - start) * 1e6 / config.probes.max(1) as f64);
        joins.sort();
        leaves.sort();
        let step = BigRoomStep {
            members,
            held,
            fill_seconds,
            join_p50_us: micros(median(&joins)),
            join_max_us: micros(joins.last().copied().unwrap_or_default()),
            leave_p50_us: micros(median(&leaves)),
            server_cpu_per_cycle_us: cpu,
            server_cpu_per_cycle_per_member_ns: cpu.map(|us| us * 1000.0 / held.max(1) as f64),
        };
        eprintln!(
            "  filled in {:.1} s; join p50 {}, leave p50 {}",
            step.fill_seconds,
            ms(step.join_p50_us),
            ms(step.leave_p50_us)
        );
        steps.push(step);
        drop(probe);
        running.stop().await?;
    }
    Ok(BigRoomReport {
        scenario: "big-room",
        transport: transport_name(config.base.transport),
        probes: config.probes,
        steps,
    })
}

fn median(sorted: &[Duration]) -> Duration {
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

impl BigRoomReport {
    /// Prints the table, then the JSON line.
    pub fn print(&self) {
        let mut table = format!(
            "big room over {}: {} join + departure cycles per size, one at a time\n",
            self.transport, self.probes
        );
        table.push_str(&format!(
            "{:>8} {:>8} {:>10} {:>10} {:>10} {:>10} {:>18} {:>18}\n",
            "members",
            "held",
            "fill",
            "join p50",
            "join max",
            "leave p50",
            "CPU per cycle",
            "per member"
        ));
        for step in &self.steps {
            table.push_str(&format!(
                "{:>8} {:>8} {:>9.1}s {:>10} {:>10} {:>10} {:>18} {:>18}\n",
                step.members,
                step.held,
                step.fill_seconds,
                ms(step.join_p50_us),
                ms(step.join_max_us),
                ms(step.leave_p50_us),
                step.server_cpu_per_cycle_us
                    .map_or_else(|| "n/a".to_owned(), |us| format!("{:.0} µs", us)),
                step.server_cpu_per_cycle_per_member_ns
                    .map_or_else(|| "n/a".to_owned(), |ns| format!("{:.0} ns", ns)),
            ));
        }
        print_with_json(&table, self);
    }
}
