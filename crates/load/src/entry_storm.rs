//! Scenario 6, the entry storm: guests arriving as fast as the server lets
//! them in. Each entry is a new connection that enters (WebSocket: upgrade,
//! `welcome`, `enter`, `entered`; IRC: `NICK`, `USER`, `001`) with every
//! check the server makes on an entry (nickname validity and folding,
//! uniqueness, age, département), then leaves by dropping the connection.
//! At most `concurrency` entries are under way at once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::Context;
use hdrhistogram::Histogram;
use serde::Serialize;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::fanout::report::{cpu, ms, print_with_json, two_columns};
use crate::fanout::transport_name;
use crate::link::{SetUpClient, TransportChoice};
use crate::names::RunTag;
use crate::process_stats::{WatchedProcess, own_cpu_seconds};
use crate::target::{Target, source_address};

/// The size of an entry storm.
#[derive(Clone, Debug)]
pub struct EntryStormConfig {
    /// Entries in all.
    pub entries: usize,
    /// Entries under way at once.
    pub concurrency: usize,
    /// The clients' transports (`mixed`: one in three over IRC).
    pub transport: TransportChoice,
}

/// What an entry storm measured.
#[derive(Debug, Serialize)]
pub struct EntryStormReport {
    /// Always `entry-storm`.
    pub scenario: &'static str,
    /// `ws`, `irc` or `mixed`.
    pub transport: &'static str,
    /// Entries tried.
    pub entries: usize,
    /// Entries under way at once.
    pub concurrency: usize,
    /// Entries that succeeded.
    pub entered: usize,
    /// Entries that failed, by reason.
    pub failures: std::collections::BTreeMap<String, u64>,
    /// From the first connection to the last entry, in seconds.
    pub seconds: f64,
    /// Successful entries per second.
    pub entries_per_second: f64,
    /// Time from connecting to being in, in microseconds: p50.
    pub p50_us: u64,
    /// p99.
    pub p99_us: u64,
    /// Largest.
    pub max_us: u64,
    /// Server CPU over the storm, in seconds.
    pub server_cpu_seconds: Option<f64>,
    /// Load tool CPU over the storm, in seconds.
    pub load_cpu_seconds: f64,
}

/// Runs the storm.
pub async fn run(
    target: &Target,
    server: Option<&WatchedProcess>,
    config: &EntryStormConfig,
) -> anyhow::Result<EntryStormReport> {
    let tag = Arc::new(RunTag::from_clock());
    let next = Arc::new(AtomicUsize::new(0));
    let latencies = Arc::new(Mutex::new(
        Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).context("creating a histogram")?,
    ));
    let server_cpu_start = server.and_then(|server| server.cpu_seconds().ok());
    let own_cpu_start = own_cpu_seconds()?;
    let start = Instant::now();
    eprintln!(
        "entry storm: {} entries, {} at a time…",
        config.entries, config.concurrency
    );
    let mut workers = JoinSet::new();
    for _ in 0..config.concurrency.max(1) {
        let (tag, next, latencies) = (Arc::clone(&tag), Arc::clone(&next), Arc::clone(&latencies));
        let (target, config) = (target.clone(), config.clone());
        workers.spawn(async move {
            let mut entered = 0_usize;
            let mut failures = Vec::new();
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= config.entries {
                    break;
                }
                let begun = Instant::now();
                match enter_once(&target, &config, &tag, index).await {
                    Ok(client) => {
                        let micros = u64::try_from(begun.elapsed().as_micros()).unwrap_or(u64::MAX);
                        latencies
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .saturating_record(micros.max(1));
                        entered += 1;
                        // Leaving is dropping the connection: the server
                        // sees the end of the stream.
                        drop(client);
                    }
                    Err(error) => failures.push(format!("{error:#}")),
                }
            }
            (entered, failures)
        });
    }
    let mut entered = 0;
    let mut failures = std::collections::BTreeMap::new();
    while let Some(worker) = workers.join_next().await {
        let (worker_entered, worker_failures) = worker.context("an entry worker failed")?;
        entered += worker_entered;
        for failure in worker_failures {
            *failures.entry(failure).or_insert(0u64) += 1;
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let server_cpu = server
        .and_then(|server| server.cpu_seconds().ok())
        .zip(server_cpu_start)
        .map(|(end, start)| end - start);
    let load_cpu = own_cpu_seconds()? - own_cpu_start;
    let latencies = latencies.lock().unwrap_or_else(PoisonError::into_inner);
    Ok(EntryStormReport {
        scenario: "entry-storm",
        transport: transport_name(config.transport),
        entries: config.entries,
        concurrency: config.concurrency,
        entered,
        failures,
        seconds,
        entries_per_second: entered as f64 / seconds.max(1e-9),
        p50_us: latencies.value_at_quantile(0.5),
        p99_us: latencies.value_at_quantile(0.99),
        max_us: latencies.max(),
        server_cpu_seconds: server_cpu,
        load_cpu_seconds: load_cpu,
    })
}

/// One entry: connect from the entry's source address and enter.
async fn enter_once(
    target: &Target,
    config: &EntryStormConfig,
    tag: &RunTag,
    index: usize,
) -> anyhow::Result<SetUpClient> {
    // Position 1: in `mixed`, one entry in three goes over IRC.
    let transport = config.transport.of(index, 1);
    let mut client = SetUpClient::connect(target, transport, source_address(index))
        .await
        .context("connect")?;
    client.enter(&tag.nickname(index)).await.context("enter")?;
    Ok(client)
}

impl EntryStormReport {
    /// Prints the table, then the JSON line.
    pub fn print(&self) {
        let mut rows = vec![
            (
                "plan".to_owned(),
                format!(
                    "{} entries over {}, {} at a time",
                    self.entries, self.transport, self.concurrency
                ),
            ),
            (
                "entered".to_owned(),
                format!("{} in {:.2} s", self.entered, self.seconds),
            ),
            (
                "entries per second".to_owned(),
                format!("{:.0}", self.entries_per_second),
            ),
            (
                "time to enter".to_owned(),
                format!(
                    "p50 {}, p99 {}, max {}",
                    ms(self.p50_us),
                    ms(self.p99_us),
                    ms(self.max_us)
                ),
            ),
            (
                "server CPU".to_owned(),
                self.server_cpu_seconds
                    .map_or_else(|| "n/a".to_owned(), |seconds| cpu(seconds, self.seconds)),
            ),
            (
                "load tool CPU".to_owned(),
                cpu(self.load_cpu_seconds, self.seconds),
            ),
            (
                "failures".to_owned(),
                self.failures.values().sum::<u64>().to_string(),
            ),
        ];
        for (reason, count) in &self.failures {
            rows.push((format!("  {count} ×"), reason.clone()));
        }
        print_with_json(&two_columns(rows), self);
    }
}
