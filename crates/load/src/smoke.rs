//! The smoke scenario: a small fan-out where every room speaks, which
//! passes only if every client sets up, every message is accepted and
//! reaches every member of its room in order, and no connection drops.
//! Meant for the test suite: quick, and its exit status is the verdict.

use std::time::Duration;

use crate::fanout::{self, FanoutConfig, FanoutReport};
use crate::process_stats::WatchedProcess;
use crate::target::Target;

/// The smoke sizes: 40 clients in 4 rooms of 10, 3 senders per room, 20
/// messages each; `base` gives the transports and how to connect. In a
/// mixed run one client in three speaks IRC (the second sender of each room
/// among them), so IRC and WebSocket clients exchange messages both ways.
pub fn config(base: FanoutConfig) -> FanoutConfig {
    FanoutConfig {
        clients: 40,
        room_size: 10,
        active_rooms: 0,
        senders: 3,
        messages: 20,
        rate: 0.0,
        window: 5,
        drain_timeout: Duration::from_secs(5),
        ..base
    }
}

/// Runs the smoke fan-out, prints its report and its verdict, and returns
/// whether it passed.
pub async fn run(
    target: &Target,
    server: Option<&WatchedProcess>,
    config: &FanoutConfig,
) -> anyhow::Result<bool> {
    let report = fanout::run(target, server, config).await?;
    let problems = problems(&report, config);
    print!("{}", report.table());
    if problems.is_empty() {
        println!("smoke: passed");
    } else {
        for problem in &problems {
            println!("smoke: FAILED: {problem}");
        }
    }
    Ok(problems.is_empty())
}

/// Everything that makes a smoke run fail, worded for a person.
fn problems(report: &FanoutReport, config: &FanoutConfig) -> Vec<String> {
    let mut problems = Vec::new();
    let connect = &report.connect;
    let delivery = &report.delivery;
    if connect.held != config.clients {
        problems.push(format!(
            "{} of {} clients set up",
            connect.held, config.clients
        ));
    }
    let wanted_messages = delivery.senders as u64 * u64::from(config.messages);
    if delivery.messages_accepted != wanted_messages {
        problems.push(format!(
            "{} of {wanted_messages} messages accepted ({} refused)",
            delivery.messages_accepted, delivery.messages_refused
        ));
    }
    if delivery.expected == 0 || delivery.delivered != delivery.expected {
        problems.push(format!(
            "{} deliveries received of {} expected",
            delivery.delivered, delivery.expected
        ));
    }
    if delivery.out_of_order > 0 {
        problems.push(format!("{} deliveries out of order", delivery.out_of_order));
    }
    if report.held_at_end != connect.held || !report.disconnects.is_empty() {
        problems.push(format!("disconnects: {:?}", report.disconnects));
    }
    if !report.error_frames.is_empty() {
        problems.push(format!("error frames: {:?}", report.error_frames));
    }
    problems
}
