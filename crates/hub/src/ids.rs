//! Message ids: unique, increasing with time, and never reused after a restart.
//!
//! An id is the number of milliseconds since 2026-01-01 shifted left by 12
//! bits, plus a sequence for ids made within the same millisecond. The top
//! bits stay free for a node number once several nodes exist.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds from the Unix epoch to 2026-01-01T00:00:00Z.
const EPOCH_MS: u64 = 1_767_225_600_000;
const SEQUENCE_BITS: u32 = 12;

/// Milliseconds since the Unix epoch, by the wall clock.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
        })
}

/// Makes increasing ids.
#[derive(Debug)]
pub struct IdGenerator {
    last: u64,
}

impl IdGenerator {
    /// A generator whose ids are all greater than `floor` (the largest id
    /// already stored).
    pub fn new(floor: u64) -> IdGenerator {
        IdGenerator { last: floor }
    }

    /// The next id for a message made at `at_ms`.
    pub fn next(&mut self, at_ms: u64) -> u64 {
        let from_clock = at_ms.saturating_sub(EPOCH_MS) << SEQUENCE_BITS;
        self.last = from_clock.max(self.last + 1);
        self.last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn increases_even_when_the_clock_stalls_or_goes_back() {
        let mut ids = IdGenerator::new(0);
        let at = EPOCH_MS + 1_000;
        let first = ids.next(at);
        let second = ids.next(at);
        let third = ids.next(at - 500);
        assert!(first < second && second < third);
        assert_eq!(first, 1_000 << SEQUENCE_BITS);
    }

    #[test]
    fn stays_above_the_stored_floor() {
        let floor = (EPOCH_MS + 10_000 - EPOCH_MS) << SEQUENCE_BITS;
        let mut ids = IdGenerator::new(floor);
        assert!(ids.next(EPOCH_MS + 5_000) > floor);
    }
}
