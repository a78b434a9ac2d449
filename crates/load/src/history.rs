//! Scenario 7, history writes: how many room messages per second the server
//! stores durably. Senders speak at full speed in rooms of the server's
//! directory (user-created rooms keep no stored history), while this module
//! reads the server's SQLite file, read-only, every few milliseconds: a row
//! counts once another connection can read it, that is once its
//! transaction is committed to the write-ahead log.
//!
//! The figure is rows stored over the time from the first message sent to
//! the last row stored, next to the rate at which the server accepted the
//! messages (its `sent` acknowledgements), which the writer must keep up
//! with, and how long authors waited for `sent`, which the server gives
//! only once the message is stored. A server whose writer falls behind
//! slows its senders down (an older one dropped messages from history):
//! the stored rate is then the writer's sustained capacity.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::Context;
use serde::Serialize;
use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::fanout::report::{cpu, ms, print_with_json, sent_waits, two_columns};
use crate::fanout::{self, DeliveryFigures, FanoutConfig};
use crate::process_stats::WatchedProcess;
use crate::target::Target;

/// How often the row count is read.
const POLL_INTERVAL: Duration = Duration::from_millis(20);

/// How long to wait for the last rows once every message is acknowledged.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(15);

/// What a history run measured.
#[derive(Debug, Serialize)]
pub struct HistoryReport {
    /// Always `history`.
    pub scenario: &'static str,
    /// Directory rooms written to.
    pub rooms: usize,
    /// Messages the server accepted (acknowledged with `sent`).
    pub accepted: u64,
    /// Rows that appeared in the database during the run.
    pub stored: u64,
    /// From the first message sent to the last row stored, in seconds.
    pub seconds: f64,
    /// Rows stored per second over that time.
    pub stored_per_second: f64,
    /// Messages accepted per second while sending.
    pub accepted_per_second: f64,
    /// The most rows committed in one read interval, a hint of the batch
    /// size.
    pub largest_step: u64,
    /// The fan-out figures of the sending phase.
    pub delivery: DeliveryFigures,
}

/// Runs the scenario against the database at `database`.
pub async fn run(
    target: &Target,
    server: Option<&WatchedProcess>,
    config: &FanoutConfig,
    database: PathBuf,
) -> anyhow::Result<HistoryReport> {
    let options = SqliteConnectOptions::new()
        .filename(&database)
        .read_only(true);
    let mut db = SqliteConnection::connect_with(&options)
        .await
        .with_context(|| format!("opening {} read-only", database.display()))?;
    let max_id: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM room_messages")
        .fetch_one(&mut db)
        .await
        .context("reading the last message id")?;
    let after_id = max_id.unwrap_or(0);

    let running = fanout::set_up(target, server, config).await?;
    // (time of the read, rows after `after_id`), from the start of sending.
    let samples: Arc<Mutex<Vec<(Instant, u64)>>> = Arc::default();
    let (stop_polling, mut stopped) = watch::channel(false);
    let poller = {
        let samples = Arc::clone(&samples);
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(POLL_INTERVAL);
            loop {
                tokio::select! {
                    _ = ticks.tick() => {}
                    _ = stopped.changed() => break,
                }
                let count: Result<i64, _> =
                    sqlx::query_scalar("SELECT COUNT(*) FROM room_messages WHERE id > ?")
                        .bind(after_id)
                        .fetch_one(&mut db)
                        .await;
                if let Ok(count) = count {
                    samples
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push((Instant::now(), u64::try_from(count).unwrap_or(0)));
                }
            }
        })
    };
    let start = Instant::now();
    let (delivery, _) = running.measure(server, config).await?;
    // Wait for the writer to catch up with everything acknowledged.
    let flush_deadline = Instant::now() + FLUSH_TIMEOUT;
    loop {
        let stored = samples
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .last()
            .map_or(0, |(_, count)| *count);
        if stored >= delivery.messages_accepted || Instant::now() >= flush_deadline {
            break;
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
    let _ = stop_polling.send(true);
    poller.await.context("the database poller failed")?;
    running.stop().await?;

    let samples = samples.lock().unwrap_or_else(PoisonError::into_inner);
    let stored = samples.last().map_or(0, |(_, count)| *count);
    let last_change = samples
        .windows(2)
        .filter(|pair| pair[1].1 > pair[0].1)
        .map(|pair| pair[1].0)
        .next_back()
        .unwrap_or(start);
    let largest_step = samples
        .windows(2)
        .map(|pair| pair[1].1.saturating_sub(pair[0].1))
        .max()
        .unwrap_or(0);
    let seconds = last_change.saturating_duration_since(start).as_secs_f64();
    Ok(HistoryReport {
        scenario: "history",
        rooms: config.clients.div_ceil(config.room_size),
        accepted: delivery.messages_accepted,
        stored,
        seconds,
        stored_per_second: stored as f64 / seconds.max(1e-9),
        accepted_per_second: delivery.messages_per_second,
        largest_step,
        delivery,
    })
}

impl HistoryReport {
    /// Prints the table, then the JSON line.
    pub fn print(&self) {
        let delivery = &self.delivery;
        let rows = vec![
            (
                "plan".to_owned(),
                format!(
                    "{} directory rooms, {} senders, unpaced",
                    self.rooms, delivery.senders
                ),
            ),
            (
                "messages".to_owned(),
                format!("{} accepted, {} stored durably", self.accepted, self.stored),
            ),
            (
                "stored per second".to_owned(),
                format!(
                    "{:.0} (first send to last row, {:.2} s; largest commit seen {} rows)",
                    self.stored_per_second, self.seconds, self.largest_step
                ),
            ),
            (
                "accepted per second".to_owned(),
                format!("{:.0}", self.accepted_per_second),
            ),
            (
                "delivery latency".to_owned(),
                format!(
                    "p50 {}, p99 {}",
                    ms(delivery.latency_us.p50),
                    ms(delivery.latency_us.p99)
                ),
            ),
            ("author's wait for sent".to_owned(), sent_waits(delivery)),
            (
                "server CPU".to_owned(),
                delivery.server_cpu_seconds.map_or_else(
                    || "n/a".to_owned(),
                    |seconds| cpu(seconds, delivery.cpu_window_seconds),
                ),
            ),
            (
                "load tool CPU".to_owned(),
                cpu(delivery.load_cpu_seconds, delivery.cpu_window_seconds),
            ),
        ];
        print_with_json(&two_columns(rows), self);
    }
}
