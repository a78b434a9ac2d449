//! Stamped messages and delivery latency: the body format senders write,
//! the cheap parse receivers do on every frame, and the sharded tallies that
//! collect latencies from thousands of tasks without a global lock.
//!
//! All clients live in this one process, so a process-wide [`Clock`] (an
//! `Instant` taken at start) is shared by senders and receivers and no clock
//! synchronisation is needed: latency is receive time minus the stamp.

use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use anyhow::Context;
use hdrhistogram::Histogram;

/// The first word of every load message body.
const BODY_PREFIX: &str = "load ";

/// What a `message` frame starts with: the server writes the `type` tag
/// first.
const MESSAGE_FRAME_PREFIX: &str = r#"{"type":"message","#;

/// What a private `dm` frame starts with.
const DM_FRAME_PREFIX: &str = r#"{"type":"dm","#;

/// Where a `message` frame's body starts.
const BODY_FIELD: &str = r#""body":""#;

/// Shards of [`DeliveryTallies`]: enough that the runtime's worker threads
/// rarely meet on one lock.
const SHARDS: usize = 64;

/// Highest latency the histograms hold, in microseconds (one minute);
/// longer ones are recorded as this.
const MAX_LATENCY_US: u64 = 60_000_000;

/// The process-wide time origin of stamps.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    /// When the run started.
    origin: Instant,
}

impl Clock {
    /// A clock starting now.
    pub fn start() -> Clock {
        Clock {
            origin: Instant::now(),
        }
    }

    /// Nanoseconds since the origin.
    pub fn now_nanos(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Nanoseconds from the origin to `instant` (0 before it).
    pub fn nanos_at(&self, instant: Instant) -> u64 {
        u64::try_from(instant.saturating_duration_since(self.origin).as_nanos()).unwrap_or(u64::MAX)
    }
}

/// What a load message body carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// When it was sent, in [`Clock`] nanoseconds.
    pub sent_nanos: u64,
    /// The index of the client that sent it.
    pub sender: usize,
    /// Its number among that sender's messages, from 0.
    pub seq: u32,
}

impl Stamp {
    /// The message body carrying this stamp: `load <nanos> <sender> <seq>`.
    pub fn body(&self) -> String {
        format!(
            "{BODY_PREFIX}{} {} {}",
            self.sent_nanos, self.sender, self.seq
        )
    }

    /// The stamp of a `message` or `dm` frame sent by the load tool, or
    /// `None` for any other frame. Looks for the body by plain substring
    /// search instead of decoding the JSON: the body is ASCII written by
    /// [`Stamp::body`], and the fields before it (slug, id, author,
    /// recipient) hold no `"body":"`.
    ///
    /// Measured on a typical frame: about 80 ns, against about 600 ns to
    /// decode it into the protocol's `Event` (an internally tagged enum, which
    /// serde buffers whole before choosing the variant). At two million
    /// deliveries a second that difference alone is more than one core.
    pub fn from_frame(frame: &str) -> Option<Stamp> {
        let rest = frame
            .strip_prefix(MESSAGE_FRAME_PREFIX)
            .or_else(|| frame.strip_prefix(DM_FRAME_PREFIX))?;
        let body_start = rest.find(BODY_FIELD)? + BODY_FIELD.len();
        let rest = &rest[body_start..];
        Stamp::from_body(&rest[..rest.find('"')?])
    }

    /// The stamp in a message body written by [`Stamp::body`] (an IRC
    /// line's text, say), or `None` for any other text.
    pub fn from_body(body: &str) -> Option<Stamp> {
        let mut words = body.strip_prefix(BODY_PREFIX)?.split(' ');
        let stamp = Stamp {
            sent_nanos: words.next()?.parse().ok()?,
            sender: words.next()?.parse().ok()?,
            seq: words.next()?.parse().ok()?,
        };
        words.next().is_none().then_some(stamp)
    }
}

/// Deliveries seen by a group of receivers.
#[derive(Clone, Debug)]
pub struct DeliveryTally {
    /// Latency of each delivery, in microseconds.
    pub latency_us: Histogram<u64>,
    /// Deliveries counted.
    pub delivered: u64,
    /// Deliveries that came before an earlier message of the same sender
    /// (or twice).
    pub out_of_order: u64,
    /// When the last delivery arrived, in [`Clock`] nanoseconds.
    pub last_delivery_nanos: u64,
}

impl DeliveryTally {
    fn new() -> anyhow::Result<DeliveryTally> {
        Ok(DeliveryTally {
            latency_us: Histogram::new_with_bounds(1, MAX_LATENCY_US, 3)
                .context("creating a latency histogram")?,
            delivered: 0,
            out_of_order: 0,
            last_delivery_nanos: 0,
        })
    }

    /// Adds another tally's counts to this one.
    fn absorb(&mut self, other: &DeliveryTally) -> anyhow::Result<()> {
        self.latency_us
            .add(&other.latency_us)
            .context("merging latency histograms")?;
        self.delivered += other.delivered;
        self.out_of_order += other.out_of_order;
        self.last_delivery_nanos = self.last_delivery_nanos.max(other.last_delivery_nanos);
        Ok(())
    }
}

/// One latency histogram behind a lock, for a few recorders (the senders'
/// waits for `sent`).
#[derive(Debug)]
pub struct LatencyTally(Mutex<Histogram<u64>>);

impl LatencyTally {
    /// An empty tally.
    pub fn new() -> anyhow::Result<LatencyTally> {
        Ok(LatencyTally(Mutex::new(
            Histogram::new_with_bounds(1, MAX_LATENCY_US, 3)
                .context("creating a latency histogram")?,
        )))
    }

    /// Records one wait, in nanoseconds.
    pub fn record(&self, nanos: u64) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .saturating_record((nanos / 1000).clamp(1, MAX_LATENCY_US));
    }

    /// A copy of what was recorded.
    pub fn snapshot(&self) -> Histogram<u64> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Delivery tallies for every receiver, split into shards: receiver `i`
/// records into shard `i % SHARDS`, so a lock is shared by a handful of
/// tasks and almost never contended. A histogram per receiver would cost
/// hundreds of kilobytes each, gigabytes over ten thousand receivers.
#[derive(Debug)]
pub struct DeliveryTallies {
    /// The shards.
    shards: Box<[Mutex<DeliveryTally>]>,
}

impl DeliveryTallies {
    /// Empty tallies.
    pub fn new() -> anyhow::Result<DeliveryTallies> {
        let shards = (0..SHARDS)
            .map(|_| DeliveryTally::new().map(Mutex::new))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(DeliveryTallies {
            shards: shards.into_boxed_slice(),
        })
    }

    /// Records one delivery to receiver `receiver`.
    pub fn record(&self, receiver: usize, latency_nanos: u64, now_nanos: u64, in_order: bool) {
        let mut tally = self.shards[receiver % SHARDS]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        tally
            .latency_us
            .saturating_record((latency_nanos / 1000).clamp(1, MAX_LATENCY_US));
        tally.delivered += 1;
        if !in_order {
            tally.out_of_order += 1;
        }
        tally.last_delivery_nanos = tally.last_delivery_nanos.max(now_nanos);
    }

    /// Deliveries recorded so far, and when the last one arrived.
    pub fn progress(&self) -> (u64, u64) {
        self.shards.iter().fold((0, 0), |(delivered, last), shard| {
            let tally = shard.lock().unwrap_or_else(PoisonError::into_inner);
            (
                delivered + tally.delivered,
                last.max(tally.last_delivery_nanos),
            )
        })
    }

    /// All shards merged.
    pub fn merged(&self) -> anyhow::Result<DeliveryTally> {
        let mut total = DeliveryTally::new()?;
        for shard in &self.shards {
            let tally = shard.lock().unwrap_or_else(PoisonError::into_inner);
            total.absorb(&tally)?;
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_survive_the_server_frame() {
        let stamp = Stamp {
            sent_nanos: 123_456_789,
            sender: 42,
            seq: 7,
        };
        let frame = format!(
            r#"{{"type":"message","room":"load-bcdf-b","id":"99","author":{{"id":"5","nick":"ubcdfc"}},"body":"{}","at":1700000000000,"mentions":[]}}"#,
            stamp.body()
        );
        assert_eq!(Stamp::from_frame(&frame), Some(stamp));
        let dm = format!(
            r#"{{"type":"dm","id":"9","from":{{"id":"5","nick":"ubcdfc"}},"to":{{"id":"6","nick":"ubcdfd"}},"body":"{}","at":1}}"#,
            stamp.body()
        );
        assert_eq!(Stamp::from_frame(&dm), Some(stamp));
        assert_eq!(Stamp::from_body(&stamp.body()), Some(stamp));
    }

    #[test]
    fn other_frames_carry_no_stamp() {
        for frame in [
            r#"{"type":"sent","req":3,"id":"99"}"#,
            r#"{"type":"message","room":"paris","id":"1","author":{"id":"5","nick":"bob"},"body":"salut","at":1,"mentions":[]}"#,
            r#"{"type":"message","room":"paris","id":"1","author":{"id":"5","nick":"bob"},"body":"load 1 2 3 4","at":1,"mentions":[]}"#,
            r#"{"type":"message","room":"paris","id":"1","author":{"id":"5","nick":"bob"},"body":"load x 2 3","at":1,"mentions":[]}"#,
        ] {
            assert_eq!(Stamp::from_frame(frame), None, "{frame}");
        }
    }

    #[test]
    fn shards_merge_into_one_tally() -> anyhow::Result<()> {
        let tallies = DeliveryTallies::new()?;
        tallies.record(0, 2_000_000, 10, true);
        tallies.record(1, 4_000_000, 30, false);
        tallies.record(SHARDS, 3_000_000, 20, true);
        assert_eq!(tallies.progress(), (3, 30));
        let merged = tallies.merged()?;
        assert_eq!(merged.delivered, 3);
        assert_eq!(merged.out_of_order, 1);
        assert_eq!(merged.latency_us.len(), 3);
        assert!(
            merged
                .latency_us
                .equivalent(merged.latency_us.value_at_quantile(0.5), 3000)
        );
        Ok(())
    }
}
