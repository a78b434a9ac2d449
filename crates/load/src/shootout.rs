//! Scenario 4, the broadcast shootout (after hashrocket's
//! websocket-shootout): all clients in one room, a few of them
//! broadcasting one message at a time each, and the client count stepped
//! up until the 95th percentile of broadcast latency passes a limit.
//!
//! Each step is a fresh fan-out run (new clients, new room) against the
//! same server. Latency is per delivery (send to receipt at each member),
//! which is stricter than the original's (send to the server's
//! acknowledgement, sent after it queued the broadcast to everyone).

use serde::Serialize;

use crate::fanout::report::{cpu, ms, print_with_json};
use crate::fanout::{self, FanoutConfig, FanoutReport, transport_name};
use crate::process_stats::WatchedProcess;
use crate::target::Target;

/// The steps of a shootout.
#[derive(Clone, Debug)]
pub struct ShootoutConfig {
    /// Fan-out settings of each step; `clients` and `room_size` are set per
    /// step.
    pub step: FanoutConfig,
    /// First client count.
    pub start: usize,
    /// Clients added per step.
    pub increment: usize,
    /// Largest client count tried.
    pub max: usize,
    /// The p95 latency limit, in microseconds.
    pub p95_limit_us: u64,
}

/// One step's figures.
#[derive(Debug, Serialize)]
pub struct ShootoutStep {
    /// Clients asked for.
    pub clients: usize,
    /// Clients set up.
    pub held: usize,
    /// Set-up rate, clients per second.
    pub connect_per_second: f64,
    /// Deliveries per second while broadcasting.
    pub deliveries_per_second: f64,
    /// Deliveries lost.
    pub lost: u64,
    /// p50 latency, in microseconds.
    pub p50_us: u64,
    /// p95 latency, in microseconds.
    pub p95_us: u64,
    /// p99 latency, in microseconds.
    pub p99_us: u64,
    /// Server CPU over the broadcast phase, in seconds.
    pub server_cpu_seconds: Option<f64>,
    /// Load tool CPU over the broadcast phase, in seconds.
    pub load_cpu_seconds: f64,
    /// The broadcast phase's length, in seconds.
    pub cpu_window_seconds: f64,
    /// Whether this step passed (all set up, nothing lost, p95 within the
    /// limit).
    pub passed: bool,
}

/// What a shootout found.
#[derive(Debug, Serialize)]
pub struct ShootoutReport {
    /// Always `shootout`.
    pub scenario: &'static str,
    /// `ws`, `irc` or `mixed`.
    pub transport: &'static str,
    /// The p95 limit, in microseconds.
    pub p95_limit_us: u64,
    /// The largest client count that passed, if any.
    pub largest_passing: Option<usize>,
    /// Why the steps stopped.
    pub stopped_because: String,
    /// Every step.
    pub steps: Vec<ShootoutStep>,
}

/// Steps the client count up until a step fails or `max` is reached.
pub async fn run(
    target: &Target,
    server: Option<&WatchedProcess>,
    config: &ShootoutConfig,
) -> anyhow::Result<ShootoutReport> {
    let mut steps = Vec::new();
    let mut largest_passing = None;
    let mut clients = config.start.max(2);
    let stopped_because = loop {
        if clients > config.max {
            break format!("reached --max {}", config.max);
        }
        eprintln!("shootout step: {clients} clients");
        let step_config = FanoutConfig {
            clients,
            room_size: clients,
            active_rooms: 1,
            ..config.step.clone()
        };
        let report = fanout::run(target, server, &step_config).await?;
        let step = step_of(&report, config.p95_limit_us);
        eprintln!(
            "  p95 {}, {:.0} deliveries/s, {} lost",
            ms(step.p95_us),
            step.deliveries_per_second,
            step.lost
        );
        let passed = step.passed;
        let p95 = step.p95_us;
        let held = step.held;
        steps.push(step);
        if !passed {
            break if held < clients {
                format!("only {held} of {clients} clients set up")
            } else if p95 > config.p95_limit_us {
                format!("p95 {} over the limit at {clients} clients", ms(p95))
            } else {
                format!("deliveries lost at {clients} clients")
            };
        }
        largest_passing = Some(clients);
        clients += config.increment.max(1);
    };
    Ok(ShootoutReport {
        scenario: "shootout",
        transport: transport_name(config.step.transport),
        p95_limit_us: config.p95_limit_us,
        largest_passing,
        stopped_because,
        steps,
    })
}

fn step_of(report: &FanoutReport, p95_limit_us: u64) -> ShootoutStep {
    let delivery = &report.delivery;
    ShootoutStep {
        clients: report.clients,
        held: report.connect.held,
        connect_per_second: report.connect.per_second,
        deliveries_per_second: delivery.deliveries_per_second,
        lost: delivery.lost,
        p50_us: delivery.latency_us.p50,
        p95_us: delivery.latency_us.p95,
        p99_us: delivery.latency_us.p99,
        server_cpu_seconds: delivery.server_cpu_seconds,
        load_cpu_seconds: delivery.load_cpu_seconds,
        cpu_window_seconds: delivery.cpu_window_seconds,
        passed: report.connect.held == report.clients
            && delivery.lost == 0
            && delivery.completed
            && delivery.latency_us.p95 <= p95_limit_us,
    }
}

impl ShootoutReport {
    /// Prints the table, then the JSON line.
    pub fn print(&self) {
        let mut table = format!(
            "broadcast shootout over {}: largest client count with p95 ≤ {}: {} ({})\n",
            self.transport,
            ms(self.p95_limit_us),
            self.largest_passing
                .map_or_else(|| "none".to_owned(), |n| n.to_string()),
            self.stopped_because
        );
        table.push_str(&format!(
            "{:>8} {:>8} {:>10} {:>12} {:>6} {:>10} {:>10} {:>10} {:>24} {:>24}\n",
            "clients",
            "held",
            "conn/s",
            "deliv/s",
            "lost",
            "p50",
            "p95",
            "p99",
            "server CPU",
            "load tool CPU"
        ));
        for step in &self.steps {
            table.push_str(&format!(
                "{:>8} {:>8} {:>10.0} {:>12.0} {:>6} {:>10} {:>10} {:>10} {:>24} {:>24}\n",
                step.clients,
                step.held,
                step.connect_per_second,
                step.deliveries_per_second,
                step.lost,
                ms(step.p50_us),
                ms(step.p95_us),
                ms(step.p99_us),
                step.server_cpu_seconds.map_or_else(
                    || "n/a".to_owned(),
                    |seconds| cpu(seconds, step.cpu_window_seconds)
                ),
                cpu(step.load_cpu_seconds, step.cpu_window_seconds),
            ));
        }
        print_with_json(&table, self);
    }
}
