//! The fan-out figures: a table for people, then the same figures as one
//! JSON line (`{"scenario":"fanout",…}`) for scripts.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

/// Everything a fan-out run measured.
#[derive(Debug, Serialize)]
pub struct FanoutReport {
    /// The scenario (`fanout`, `fanout-max`, …).
    pub scenario: &'static str,
    /// The clients' transports (`ws`, `irc`, `mixed`).
    pub transport: &'static str,
    /// Clients asked for.
    pub clients: usize,
    /// Members per room.
    pub room_size: usize,
    /// Rooms planned.
    pub rooms: usize,
    /// Rooms where messages were sent.
    pub active_rooms: usize,
    /// Senders over all active rooms.
    pub senders: usize,
    /// Messages each sender was to send.
    pub messages_per_sender: u32,
    /// Messages per second asked for over all senders (0: unpaced).
    pub rate: f64,
    /// Messages in flight per sender.
    pub window: usize,
    /// The server process watched, if any.
    pub server_pid: Option<u32>,
    /// Set-up figures.
    pub connect: ConnectFigures,
    /// Measurement figures.
    pub delivery: DeliveryFigures,
    /// Clients still connected when the measurement ended.
    pub held_at_end: usize,
    /// Server memory after the measurement, in bytes.
    pub server_rss_end_bytes: Option<u64>,
    /// Connections that ended before the run stopped them, by reason.
    pub disconnects: BTreeMap<String, u64>,
    /// `error` frames received by clients after set-up, by code.
    pub error_frames: BTreeMap<String, u64>,
}

/// What set-up took.
#[derive(Clone, Debug, Serialize)]
pub struct ConnectFigures {
    /// Clients connected, entered and in their room.
    pub held: usize,
    /// Clients whose set-up failed.
    pub failed: u64,
    /// Set-up failures by reason.
    pub failures: BTreeMap<String, u64>,
    /// Time from the first connection to the last client in its room.
    pub seconds: f64,
    /// Clients set up per second.
    pub per_second: f64,
    /// CPU time the server used during set-up, in seconds.
    pub server_cpu_seconds: Option<f64>,
    /// CPU time the load tool used during set-up, in seconds.
    pub load_cpu_seconds: f64,
    /// Server memory before the first connection, in bytes.
    pub server_rss_before_bytes: Option<u64>,
    /// Server memory with every client connected, in bytes.
    pub server_rss_connected_bytes: Option<u64>,
    /// The difference, per client held.
    pub server_rss_per_connection_bytes: Option<u64>,
    /// The load tool's own memory with every client connected, in bytes.
    pub load_rss_connected_bytes: u64,
}

/// What the measurement phase saw.
#[derive(Debug, Serialize)]
pub struct DeliveryFigures {
    /// Rooms where messages were sent.
    pub active_rooms: usize,
    /// Senders over all active rooms.
    pub senders: usize,
    /// Every accepted message reached every member (false: gave up after
    /// the drain timeout).
    pub completed: bool,
    /// Messages written to the server.
    pub messages_sent: u64,
    /// Messages acknowledged with `sent`.
    pub messages_accepted: u64,
    /// Messages refused with `error`.
    pub messages_refused: u64,
    /// Deliveries due: each accepted message times the members of its room.
    pub expected: u64,
    /// Deliveries received.
    pub delivered: u64,
    /// Deliveries due but not received.
    pub lost: u64,
    /// Deliveries that came after a later message of the same sender, or
    /// twice.
    pub out_of_order: u64,
    /// From the first message sent to the last delivery.
    pub seconds: f64,
    /// Deliveries per second over that window.
    pub deliveries_per_second: f64,
    /// Accepted messages per second over that window.
    pub messages_per_second: f64,
    /// Delivery latency (send to receipt), in microseconds.
    pub latency_us: LatencyFigures,
    /// How long authors waited for `sent` after sending, in microseconds
    /// (WebSocket senders; absent over IRC, which has no acknowledgement).
    pub sent_latency_us: Option<LatencyFigures>,
    /// The span over which CPU time was measured (from the first message to
    /// the end of the phase), in seconds.
    pub cpu_window_seconds: f64,
    /// CPU time the server used in that span, in seconds.
    pub server_cpu_seconds: Option<f64>,
    /// CPU time the load tool used in that span, in seconds.
    pub load_cpu_seconds: f64,
}

/// Latency percentiles, in microseconds.
#[derive(Debug, Serialize)]
pub struct LatencyFigures {
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 95th percentile.
    pub p95: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// Largest.
    pub max: u64,
}

impl LatencyFigures {
    /// The percentiles of a histogram of microseconds.
    pub fn of(histogram: &hdrhistogram::Histogram<u64>) -> LatencyFigures {
        let quantile = |q: f64| histogram.value_at_quantile(q);
        LatencyFigures {
            p50: quantile(0.5),
            p90: quantile(0.9),
            p95: quantile(0.95),
            p99: quantile(0.99),
            p999: quantile(0.999),
            max: histogram.max(),
        }
    }
}

/// The authors' waits for `sent`, as a report row says them.
pub fn sent_waits(delivery: &DeliveryFigures) -> String {
    delivery.sent_latency_us.as_ref().map_or_else(
        || "n/a (IRC has no acknowledgement)".to_owned(),
        |waits| {
            format!(
                "p50 {}, p99 {}, max {}",
                ms(waits.p50),
                ms(waits.p99),
                ms(waits.max)
            )
        },
    )
}

/// Bytes as MiB with one decimal; `n/a` when unknown (no server process
/// watched, or it died).
pub fn mib(bytes: Option<u64>) -> String {
    bytes.map_or_else(
        || "n/a".to_owned(),
        |bytes| format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0)),
    )
}

/// Microseconds as milliseconds with two decimals.
pub fn ms(micros: u64) -> String {
    format!("{:.2} ms", micros as f64 / 1000.0)
}

/// CPU seconds with the share of one core over `window` seconds.
pub fn cpu(seconds: f64, window: f64) -> String {
    format!(
        "{seconds:.2} s ({:.0}% of one core)",
        100.0 * seconds / window.max(1e-9)
    )
}

/// Rows of label and value, the labels padded to one width.
/// The rows every report with a set-up shows: connections held (after the
/// set-up and at `held_at_end`), set-up failures by reason, the connect +
/// enter + join rate with both processes' CPU, and the server's memory
/// before, connected and at the end (`end` says when that was).
pub fn set_up_rows(
    connect: &ConnectFigures,
    held_at_end: usize,
    server_rss_end: Option<u64>,
    end: &str,
) -> Vec<(String, String)> {
    let mut rows = vec![
        (
            "connections held".to_owned(),
            format!("{} after set-up, {held_at_end} at the end", connect.held),
        ),
        ("set-up failures".to_owned(), connect.failed.to_string()),
    ];
    for (reason, count) in &connect.failures {
        rows.push((format!("  {count} ×"), reason.clone()));
    }
    rows.extend([
        (
            "connect + enter + join".to_owned(),
            format!(
                "{:.1} s, {:.0} clients/s (server CPU {}, load tool CPU {})",
                connect.seconds,
                connect.per_second,
                connect
                    .server_cpu_seconds
                    .map_or_else(|| "n/a".to_owned(), |seconds| cpu(seconds, connect.seconds)),
                cpu(connect.load_cpu_seconds, connect.seconds)
            ),
        ),
        (
            "server RSS".to_owned(),
            format!(
                "{} before, {} connected, {} {end}",
                mib(connect.server_rss_before_bytes),
                mib(connect.server_rss_connected_bytes),
                mib(server_rss_end)
            ),
        ),
    ]);
    rows
}

pub fn two_columns(rows: Vec<(String, String)>) -> String {
    let width = rows
        .iter()
        .map(|(label, _)| label.chars().count())
        .max()
        .unwrap_or(0);
    let mut table = String::new();
    for (label, value) in rows {
        let _ = writeln!(table, "{label:<width$}  {value}");
    }
    table
}

/// Prints a table, then `report` as one JSON line.
pub fn print_with_json<T: Serialize>(table: &str, report: &T) {
    print!("{table}");
    match serde_json::to_string(report) {
        Ok(json) => println!("{json}"),
        Err(error) => eprintln!("tchatche-load: could not encode the report: {error}"),
    }
}

impl FanoutReport {
    /// The table, as printed.
    pub fn table(&self) -> String {
        let connect = &self.connect;
        let delivery = &self.delivery;
        let mut rows: Vec<(String, String)> = vec![
            (
                "plan".into(),
                format!(
                    "{} clients over {}, {} groups of {}",
                    self.clients, self.transport, self.rooms, self.room_size
                ),
            ),
            (
                "measured".into(),
                format!(
                    "{} room(s) speaking in parallel, {} senders, {} messages each, {}",
                    delivery.active_rooms,
                    delivery.senders,
                    self.messages_per_sender,
                    if self.rate > 0.0 {
                        format!("{} messages/s in all", self.rate)
                    } else {
                        format!("unpaced, window {}", self.window)
                    }
                ),
            ),
        ];
        rows.extend(set_up_rows(
            connect,
            self.held_at_end,
            self.server_rss_end_bytes,
            "at the end",
        ));
        rows.extend([
            (
                "server RSS per connection".into(),
                connect.server_rss_per_connection_bytes.map_or_else(
                    || "n/a".to_owned(),
                    |bytes| format!("{:.1} KiB", bytes as f64 / 1024.0),
                ),
            ),
            (
                "load tool RSS".into(),
                mib(Some(connect.load_rss_connected_bytes)),
            ),
            (
                "messages".into(),
                format!(
                    "{} sent, {} accepted, {} refused",
                    delivery.messages_sent, delivery.messages_accepted, delivery.messages_refused
                ),
            ),
            (
                "deliveries".into(),
                format!(
                    "{} received of {} expected, {} lost, {} out of order{}",
                    delivery.delivered,
                    delivery.expected,
                    delivery.lost,
                    delivery.out_of_order,
                    if delivery.completed {
                        ""
                    } else {
                        " (gave up waiting)"
                    }
                ),
            ),
            (
                "throughput".into(),
                format!(
                    "{:.0} deliveries/s, {:.0} messages/s over {:.2} s",
                    delivery.deliveries_per_second, delivery.messages_per_second, delivery.seconds
                ),
            ),
            (
                "latency".into(),
                format!(
                    "p50 {}, p90 {}, p95 {}, p99 {}, p99.9 {}, max {}",
                    ms(delivery.latency_us.p50),
                    ms(delivery.latency_us.p90),
                    ms(delivery.latency_us.p95),
                    ms(delivery.latency_us.p99),
                    ms(delivery.latency_us.p999),
                    ms(delivery.latency_us.max)
                ),
            ),
            ("author's wait for sent".into(), sent_waits(delivery)),
            (
                "server CPU".into(),
                delivery.server_cpu_seconds.map_or_else(
                    || "n/a".to_owned(),
                    |seconds| cpu(seconds, delivery.cpu_window_seconds),
                ),
            ),
            (
                "load tool CPU".into(),
                cpu(delivery.load_cpu_seconds, delivery.cpu_window_seconds),
            ),
            (
                "disconnects".into(),
                self.disconnects.values().sum::<u64>().to_string(),
            ),
        ]);
        for (reason, count) in &self.disconnects {
            rows.push((format!("  {count} ×"), reason.clone()));
        }
        rows.push((
            "error frames".into(),
            self.error_frames.values().sum::<u64>().to_string(),
        ));
        for (code, count) in &self.error_frames {
            rows.push((format!("  {count} ×"), code.clone()));
        }
        two_columns(rows)
    }

    /// Prints the table, then the JSON line.
    pub fn print(&self) {
        print_with_json(&self.table(), self);
    }
}
