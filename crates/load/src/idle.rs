//! Scenario 1, idle: N clients connected, entered and in rooms of 100, held
//! for a while doing nothing. Measures what a connection costs the server
//! at rest (resident memory per connection, CPU while idle) and how fast
//! clients get in (connect + enter + join per second).
//!
//! Resident memory counts the server's user space only: the kernel's
//! socket buffers (a few KiB per idle TCP socket) are not in it.

use std::time::Duration;

use serde::Serialize;

use crate::fanout::report::{cpu, mib, print_with_json, set_up_rows, two_columns};
use crate::fanout::{self, ConnectFigures, FanoutConfig, transport_name};
use crate::process_stats::{WatchedProcess, own_cpu_seconds, own_rss_bytes};
use crate::target::Target;

/// What an idle run measured.
#[derive(Debug, Serialize)]
pub struct IdleReport {
    /// Always `idle`.
    pub scenario: &'static str,
    /// `ws`, `irc` or `mixed`.
    pub transport: &'static str,
    /// Clients asked for.
    pub clients: usize,
    /// Members per room.
    pub room_size: usize,
    /// Set-up figures (connect + enter + join), with memory per connection.
    pub connect: ConnectFigures,
    /// How long the clients were held idle, in seconds.
    pub hold_seconds: f64,
    /// Server memory at the end of the hold, in bytes.
    pub server_rss_held_bytes: Option<u64>,
    /// Server memory per connection at the end of the hold, in bytes.
    pub server_rss_held_per_connection_bytes: Option<u64>,
    /// Server CPU during the hold, in seconds.
    pub idle_server_cpu_seconds: Option<f64>,
    /// Load tool CPU during the hold, in seconds.
    pub idle_load_cpu_seconds: f64,
    /// The load tool's own memory at the end of the hold, in bytes.
    pub load_rss_bytes: u64,
    /// Clients still connected at the end.
    pub held_at_end: usize,
    /// Connections that ended early, by reason.
    pub disconnects: std::collections::BTreeMap<String, u64>,
}

/// Sets the clients up, holds them for `hold`, and reports.
pub async fn run(
    target: &Target,
    server: Option<&WatchedProcess>,
    config: &FanoutConfig,
    hold: Duration,
) -> anyhow::Result<IdleReport> {
    let running = fanout::set_up(target, server, config).await?;
    eprintln!("holding {} clients for {hold:?}…", running.live());
    let server_cpu_start = server.and_then(|server| server.cpu_seconds().ok());
    let own_cpu_start = own_cpu_seconds()?;
    tokio::time::sleep(hold).await;
    let idle_server_cpu = server
        .and_then(|server| server.cpu_seconds().ok())
        .zip(server_cpu_start)
        .map(|(end, start)| end - start);
    let idle_load_cpu = own_cpu_seconds()? - own_cpu_start;
    let server_rss_held = server.and_then(|server| server.rss_bytes().ok());
    let load_rss = own_rss_bytes()?;
    let held_at_end = running.live();
    let connect = running.connect.clone();
    let end = running.stop().await?;
    let per_connection = server_rss_held
        .zip(connect.server_rss_before_bytes)
        .filter(|_| connect.held > 0)
        .map(|(held, before)| held.saturating_sub(before) / connect.held as u64);
    Ok(IdleReport {
        scenario: "idle",
        transport: transport_name(config.transport),
        clients: config.clients,
        room_size: config.room_size,
        connect,
        hold_seconds: hold.as_secs_f64(),
        server_rss_held_bytes: server_rss_held,
        server_rss_held_per_connection_bytes: per_connection,
        idle_server_cpu_seconds: idle_server_cpu,
        idle_load_cpu_seconds: idle_load_cpu,
        load_rss_bytes: load_rss,
        held_at_end,
        disconnects: end.disconnects,
    })
}

impl IdleReport {
    /// Prints the table, then the JSON line.
    pub fn print(&self) {
        let connect = &self.connect;
        let mut rows = vec![(
            "plan".to_owned(),
            format!(
                "{} clients over {}, rooms of {}, held {:.0} s",
                self.clients, self.transport, self.room_size, self.hold_seconds
            ),
        )];
        rows.extend(set_up_rows(
            connect,
            self.held_at_end,
            self.server_rss_held_bytes,
            "after the hold",
        ));
        rows.extend([
            (
                "server RSS per connection".to_owned(),
                self.server_rss_held_per_connection_bytes.map_or_else(
                    || "n/a".to_owned(),
                    |bytes| format!("{bytes} bytes ({:.2} KiB)", bytes as f64 / 1024.0),
                ),
            ),
            (
                "idle server CPU".to_owned(),
                self.idle_server_cpu_seconds.map_or_else(
                    || "n/a".to_owned(),
                    |seconds| cpu(seconds, self.hold_seconds),
                ),
            ),
            (
                "idle load tool CPU".to_owned(),
                cpu(self.idle_load_cpu_seconds, self.hold_seconds),
            ),
            ("load tool RSS".to_owned(), mib(Some(self.load_rss_bytes))),
            (
                "disconnects".to_owned(),
                self.disconnects.values().sum::<u64>().to_string(),
            ),
        ]);
        for (reason, count) in &self.disconnects {
            rows.push((format!("  {count} ×"), reason.clone()));
        }
        print_with_json(&two_columns(rows), self);
    }
}
