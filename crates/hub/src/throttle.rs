//! The failed-login throttle: after too many wrong passwords for one key (a
//! nickname, an IP address) within a window, further attempts are refused
//! until the window that began with the first failure ends.
//!
//! Plain data owned by the hub, with the time passed in, so it is tested
//! without a clock. It lives in memory: a restart forgives, which costs an
//! attacker a restart per few guesses, not a way around Argon2.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Keys remembered before expired ones are swept, so a scan across many
/// nicknames or addresses costs bounded memory.
const SWEEP_ABOVE: usize = 10_000;

/// Failures of one key in the current window.
#[derive(Clone, Copy, Debug)]
struct Failures {
    count: u32,
    since: Instant,
}

/// Counts failures per key and says when a key must wait.
#[derive(Debug)]
pub struct FailureThrottle {
    max_failures: u32,
    window: Duration,
    failures: HashMap<String, Failures>,
}

impl FailureThrottle {
    /// A throttle allowing `max_failures` per `window`.
    pub fn new(max_failures: u32, window: Duration) -> FailureThrottle {
        FailureThrottle {
            max_failures,
            window,
            failures: HashMap::new(),
        }
    }

    /// How long `key` must still wait, or `None` if it may try now.
    pub fn wait(&self, key: &str, now: Instant) -> Option<Duration> {
        let failures = self.failures.get(key)?;
        let ends = failures.since + self.window;
        (failures.count >= self.max_failures && now < ends).then(|| ends - now)
    }

    /// Records a failure of `key`.
    pub fn fail(&mut self, key: &str, now: Instant) {
        if self.failures.len() >= SWEEP_ABOVE {
            let window = self.window;
            self.failures
                .retain(|_, failures| now.saturating_duration_since(failures.since) < window);
        }
        let window = self.window;
        let failures = self.failures.entry(key.to_owned()).or_insert(Failures {
            count: 0,
            since: now,
        });
        if now.saturating_duration_since(failures.since) >= window {
            *failures = Failures {
                count: 0,
                since: now,
            };
        }
        failures.count = failures.count.saturating_add(1);
    }

    /// Forgets `key`'s failures (after a success).
    pub fn forgive(&mut self, key: &str) {
        self.failures.remove(key);
    }

    /// Takes back one failure of `key`: attempts are counted as failures
    /// when they start (so that many at once cannot slip past the limit),
    /// and one that turned out right, or tested nothing, is taken back.
    pub fn undo(&mut self, key: &str) {
        if let Some(failures) = self.failures.get_mut(key) {
            failures.count = failures.count.saturating_sub(1);
            if failures.count == 0 {
                self.failures.remove(key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_the_limit_until_the_window_ends() {
        let start = Instant::now();
        let minute = Duration::from_secs(60);
        let mut throttle = FailureThrottle::new(3, minute);
        for n in 0..3 {
            assert_eq!(throttle.wait("alice", start), None, "before failure {n}");
            throttle.fail("alice", start + Duration::from_secs(n));
        }
        assert_eq!(
            throttle.wait("alice", start + Duration::from_secs(10)),
            Some(Duration::from_secs(50))
        );
        assert_eq!(throttle.wait("bob", start), None, "keys are separate");
        assert_eq!(throttle.wait("alice", start + minute), None);
        // A failure after the window starts a new one.
        throttle.fail("alice", start + minute);
        assert_eq!(throttle.wait("alice", start + minute), None);
    }

    #[test]
    fn a_success_forgives() {
        let now = Instant::now();
        let mut throttle = FailureThrottle::new(1, Duration::from_secs(60));
        throttle.fail("alice", now);
        assert!(throttle.wait("alice", now).is_some());
        throttle.forgive("alice");
        assert_eq!(throttle.wait("alice", now), None);
    }

    #[test]
    fn an_attempt_taken_back_no_longer_counts() {
        let now = Instant::now();
        let mut throttle = FailureThrottle::new(2, Duration::from_secs(60));
        throttle.fail("10.0.0.1", now);
        throttle.fail("10.0.0.1", now);
        assert!(throttle.wait("10.0.0.1", now).is_some());
        throttle.undo("10.0.0.1");
        assert_eq!(throttle.wait("10.0.0.1", now), None);
        throttle.undo("10.0.0.1");
        throttle.undo("10.0.0.1");
        assert!(throttle.failures.is_empty());
    }

    #[test]
    fn expired_keys_are_swept_when_many() {
        let now = Instant::now();
        let mut throttle = FailureThrottle::new(5, Duration::from_secs(1));
        for n in 0..SWEEP_ABOVE {
            throttle.fail(&n.to_string(), now);
        }
        throttle.fail("late", now + Duration::from_secs(2));
        assert_eq!(throttle.failures.len(), 1);
    }
}
