//! The failed-login throttle: after too many wrong passwords for one key (a
//! nickname from one address, a nickname from anywhere, an IP address)
//! within a window, further attempts are refused until the window that
//! began with the first failure ends.
//!
//! Plain data owned by the hub, with the time passed in, so it is tested
//! without a clock. It lives in memory: a restart forgives, which costs an
//! attacker a restart per few guesses, not a way around Argon2.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// How many failures each key of a [`LoginThrottle`] allows per window.
#[derive(Clone, Copy, Debug)]
pub struct LoginLimits {
    /// For one nickname from one address: the tight limit, which nobody
    /// elsewhere can use up for the member.
    pub per_nickname_and_address: u32,
    /// For one nickname from all addresses together: a higher limit, on
    /// guessing spread over many addresses.
    pub per_nickname: u32,
    /// From one address, whatever the nickname (names without an account
    /// included).
    pub per_address: u32,
    /// The window.
    pub window: Duration,
}

/// The three failure counts a login attempt is checked against.
#[derive(Debug)]
pub struct LoginThrottle {
    nickname_and_address: FailureThrottle,
    nickname: FailureThrottle,
    address: FailureThrottle,
}

/// The key of one nickname tried from one address.
fn pair(nick_key: &str, address: IpAddr) -> String {
    format!("{nick_key} {address}")
}

impl LoginThrottle {
    /// A throttle with these limits.
    pub fn new(limits: LoginLimits) -> LoginThrottle {
        LoginThrottle {
            nickname_and_address: FailureThrottle::new(
                limits.per_nickname_and_address,
                limits.window,
            ),
            nickname: FailureThrottle::new(limits.per_nickname, limits.window),
            address: FailureThrottle::new(limits.per_address, limits.window),
        }
    }

    /// How long a login to `nick_key` from `address` must still wait, if
    /// any of its keys is locked.
    pub fn wait(&self, nick_key: &str, address: IpAddr, now: Instant) -> Option<Duration> {
        let address_text = address.to_string();
        [
            self.nickname_and_address
                .wait(&pair(nick_key, address), now),
            self.nickname.wait(nick_key, now),
            self.address.wait(&address_text, now),
        ]
        .into_iter()
        .flatten()
        .max()
    }

    /// Claims an attempt: `Err` with the wait while locked, otherwise the
    /// attempt counts as a failure of every key until [`settle`](Self::settle).
    pub fn claim(&mut self, nick_key: &str, address: IpAddr, now: Instant) -> Result<(), Duration> {
        if let Some(wait) = self.wait(nick_key, address, now) {
            return Err(wait);
        }
        self.nickname_and_address
            .fail(&pair(nick_key, address), now);
        self.nickname.fail(nick_key, now);
        self.address.fail(&address.to_string(), now);
        Ok(())
    }

    /// Settles a claimed attempt: a wrong password stays counted; a right
    /// one clears the nickname for this address and takes its other counts
    /// back by one; one that tested nothing (`void`: no account, a storage
    /// failure) is taken back.
    pub fn settle(&mut self, nick_key: &str, address: IpAddr, right: bool, void: bool) {
        if !right && !void {
            return;
        }
        let pair = pair(nick_key, address);
        if right {
            self.nickname_and_address.forgive(&pair);
        } else {
            self.nickname_and_address.undo(&pair);
        }
        self.nickname.undo(nick_key);
        self.address.undo(&address.to_string());
    }

    /// Counts a login to a name no member has against the address: `Err`
    /// with the wait while the address is locked.
    pub fn fail_unknown(&mut self, address: IpAddr, now: Instant) -> Result<(), Duration> {
        let address = address.to_string();
        if let Some(wait) = self.address.wait(&address, now) {
            return Err(wait);
        }
        self.address.fail(&address, now);
        Ok(())
    }
}

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

    fn login_throttle() -> LoginThrottle {
        LoginThrottle::new(LoginLimits {
            per_nickname_and_address: 3,
            per_nickname: 6,
            per_address: 10,
            window: Duration::from_secs(60),
        })
    }

    /// Regression (issue 11, item 8): guesses from elsewhere no longer lock
    /// the member out of their own address.
    #[test]
    fn guesses_from_one_address_do_not_lock_the_member_out_elsewhere() {
        let now = Instant::now();
        let attacker: IpAddr = [192, 0, 2, 66].into();
        let member: IpAddr = [198, 51, 100, 7].into();
        let mut throttle = login_throttle();
        for _ in 0..3 {
            throttle
                .claim("alice", attacker, now)
                .expect("not locked yet");
        }
        assert!(throttle.claim("alice", attacker, now).is_err());
        assert_eq!(throttle.wait("alice", member, now), None);
        throttle
            .claim("alice", member, now)
            .expect("the member may try");
        throttle.settle("alice", member, true, false);
        assert_eq!(throttle.wait("alice", member, now), None);
    }

    #[test]
    fn many_addresses_meet_the_slower_limit_per_nickname() {
        let now = Instant::now();
        let mut throttle = login_throttle();
        for n in 0..6_u8 {
            throttle
                .claim("alice", [192, 0, 2, n].into(), now)
                .expect("below the nickname's limit");
        }
        let elsewhere: IpAddr = [203, 0, 113, 1].into();
        assert!(throttle.claim("alice", elsewhere, now).is_err());
        assert_eq!(throttle.wait("bob", elsewhere, now), None);
    }

    #[test]
    fn names_without_an_account_count_against_the_address() {
        let now = Instant::now();
        let prober: IpAddr = [192, 0, 2, 9].into();
        let mut throttle = login_throttle();
        for _ in 0..10 {
            throttle.fail_unknown(prober, now).expect("not locked yet");
        }
        assert!(throttle.fail_unknown(prober, now).is_err());
        assert!(throttle.claim("alice", prober, now).is_err());
    }

    #[test]
    fn an_attempt_that_tested_nothing_is_taken_back() {
        let now = Instant::now();
        let address: IpAddr = [192, 0, 2, 1].into();
        let mut throttle = login_throttle();
        for _ in 0..3 {
            throttle.claim("alice", address, now).expect("not locked");
            throttle.settle("alice", address, false, true);
        }
        assert_eq!(throttle.wait("alice", address, now), None);
    }

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
