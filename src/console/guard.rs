//! Brute-force defences of the console's login: a per-account and per-address throttle with
//! backoff, and a bounded pool for password checks.
//!
//! - After [`FREE_FAILURES`] failed logins of one account, or [`FREE_FAILURES_PER_ADDRESS`]
//!   from one address, within [`WINDOW`], further attempts are refused until a delay that
//!   doubles with each failure has passed since the last one (capped at [`MAX_DELAY`]). A
//!   refused attempt runs no Argon2, so guessing costs the attacker time, not us memory.
//! - Whether a name exists changes nothing an attacker can see: unknown names are throttled
//!   alike and checked against a dummy hash (the same Argon2 work).
//! - Argon2 runs on at most [`HASH_PERMITS`] threads; past [`MAX_WAITING`] waiting checks a
//!   login is answered "busy" at once, so a flood of logins cannot take memory without bound
//!   (each check takes 19 MiB).
//!
//! The account lock that only an admin lifts (after `[console] lock_after_failures` failures
//! in a row) is the store's ([`qsword_store::Store::record_failed_login`]).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures of one account within [`WINDOW`] before attempts are throttled.
pub const FREE_FAILURES: usize = 5;
/// Failures from one address within [`WINDOW`] (any names) before it is throttled.
pub const FREE_FAILURES_PER_ADDRESS: usize = 20;
/// How far back failures count.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// The longest wait a throttled account or address is given.
pub const MAX_DELAY: Duration = Duration::from_secs(15 * 60);
/// Argon2 checks running at once.
pub const HASH_PERMITS: usize = 2;
/// Checks allowed to wait for a permit; more are refused as busy.
pub const MAX_WAITING: usize = 32;
/// Names and addresses remembered; past this, the oldest entries are dropped (a flood of
/// random names must not grow the table without bound).
const MAX_KEYS: usize = 100_000;

/// Recent failures of one key (a lower-cased name or an address).
#[derive(Default)]
struct Failures {
    times: Vec<Instant>,
}

impl Failures {
    fn prune(&mut self, now: Instant) {
        self.times.retain(|t| now.duration_since(*t) < WINDOW);
    }

    /// How long attempts must still wait, if any, given `free` failures allowed.
    fn wait(&self, now: Instant, free: usize) -> Option<Duration> {
        let n = self.times.len();
        if n < free {
            return None;
        }
        let last = *self.times.last()?;
        // 1 min after the `free`-th failure, doubling with each one beyond.
        let delay = Duration::from_secs(60)
            .saturating_mul(1u32 << (n - free).min(10))
            .min(MAX_DELAY);
        let passed = now.duration_since(last);
        (passed < delay).then(|| delay - passed)
    }
}

/// The throttle and the hashing pool of one console.
pub struct LoginGuard {
    accounts: Mutex<HashMap<String, Failures>>,
    addresses: Mutex<HashMap<IpAddr, Failures>>,
    permits: tokio::sync::Semaphore,
    waiting: AtomicUsize,
}

impl Default for LoginGuard {
    fn default() -> Self {
        LoginGuard {
            accounts: Mutex::default(),
            addresses: Mutex::default(),
            permits: tokio::sync::Semaphore::new(HASH_PERMITS),
            waiting: AtomicUsize::new(0),
        }
    }
}

/// Why a login was refused before its password was checked.
#[derive(Debug, PartialEq)]
pub enum Refusal {
    /// Too many failures: try again after this long.
    Throttled(Duration),
    /// Too many checks waiting.
    Busy,
}

fn account_key(name: &str) -> String {
    name.trim().to_lowercase()
}

impl LoginGuard {
    /// Whether an attempt for `name` from `addr` may have its password checked now.
    pub fn check(&self, name: &str, addr: Option<IpAddr>, now: Instant) -> Result<(), Refusal> {
        let mut wait = None;
        if let Ok(mut accounts) = self.accounts.lock() {
            if let Some(f) = accounts.get_mut(&account_key(name)) {
                f.prune(now);
                wait = f.wait(now, FREE_FAILURES);
            }
        }
        if let (Some(addr), Ok(mut addresses)) = (addr, self.addresses.lock()) {
            if let Some(f) = addresses.get_mut(&addr) {
                f.prune(now);
                wait = wait.max(f.wait(now, FREE_FAILURES_PER_ADDRESS));
            }
        }
        match wait {
            Some(w) => Err(Refusal::Throttled(w)),
            None => Ok(()),
        }
    }

    /// Records a failed attempt.
    pub fn failed(&self, name: &str, addr: Option<IpAddr>, now: Instant) {
        fn push<K: std::hash::Hash + Eq + Clone>(
            map: &mut HashMap<K, Failures>,
            key: K,
            now: Instant,
        ) {
            if map.len() >= MAX_KEYS && !map.contains_key(&key) {
                map.retain(|_, f| {
                    f.prune(now);
                    !f.times.is_empty()
                });
                if map.len() >= MAX_KEYS {
                    // Still full of live entries: forget an arbitrary one rather than grow.
                    if let Some(k) = map.keys().next().cloned() {
                        map.remove(&k);
                    }
                }
            }
            let f = map.entry(key).or_default();
            f.prune(now);
            f.times.push(now);
        }
        if let Ok(mut accounts) = self.accounts.lock() {
            push(&mut accounts, account_key(name), now);
        }
        if let (Some(addr), Ok(mut addresses)) = (addr, self.addresses.lock()) {
            push(&mut addresses, addr, now);
        }
    }

    /// A good login clears the account's failures (not the address's: one good account
    /// must not reset an address guessing others).
    pub fn succeeded(&self, name: &str) {
        if let Ok(mut accounts) = self.accounts.lock() {
            accounts.remove(&account_key(name));
        }
    }

    /// Runs `check` (a password check) on the bounded pool, or refuses at once when too many
    /// are waiting.
    pub async fn hash<T: Send + 'static>(
        &self,
        check: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Refusal> {
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= MAX_WAITING {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(Refusal::Busy);
        }
        let permit = self.permits.acquire().await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        let _permit = permit.map_err(|_| Refusal::Busy)?;
        tokio::task::spawn_blocking(check)
            .await
            .map_err(|_| Refusal::Busy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sixth_failure_within_the_window_is_throttled_with_backoff() {
        let g = LoginGuard::default();
        let t0 = Instant::now();
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        for i in 0..FREE_FAILURES {
            assert_eq!(g.check("Zhang", Some(ip), t0), Ok(()), "attempt {i}");
            g.failed("zhang", Some(ip), t0);
        }
        // Name case and spacing do not make a fresh account.
        let Err(Refusal::Throttled(w)) = g.check(" ZHANG ", None, t0) else {
            panic!("not throttled")
        };
        assert_eq!(w, Duration::from_secs(60));
        // Another account from another address is not affected.
        assert_eq!(g.check("li", None, t0), Ok(()));
        // After the delay one more try; failing it doubles the delay.
        let t1 = t0 + Duration::from_secs(61);
        assert_eq!(g.check("zhang", Some(ip), t1), Ok(()));
        g.failed("zhang", Some(ip), t1);
        assert_eq!(
            g.check("zhang", None, t1 + Duration::from_secs(61)),
            Err(Refusal::Throttled(Duration::from_secs(59)))
        );
        // A good login clears the account.
        g.succeeded("zhang");
        assert_eq!(g.check("zhang", None, t1), Ok(()));
    }

    #[test]
    fn one_address_guessing_many_names_is_throttled() {
        let g = LoginGuard::default();
        let t0 = Instant::now();
        let ip: IpAddr = "2001:db8::1".parse().unwrap();
        for i in 0..FREE_FAILURES_PER_ADDRESS {
            g.failed(&format!("user{i}"), Some(ip), t0);
        }
        assert!(matches!(
            g.check("someone-new", Some(ip), t0),
            Err(Refusal::Throttled(_))
        ));
        assert_eq!(g.check("someone-new", None, t0), Ok(()));
    }

    #[test]
    fn the_tables_stay_bounded_under_a_flood_of_names() {
        let g = LoginGuard::default();
        let t0 = Instant::now();
        for i in 0..(MAX_KEYS + 500) {
            g.failed(&format!("n{i}"), None, t0);
        }
        assert!(g.accounts.lock().unwrap().len() <= MAX_KEYS);
    }

    #[tokio::test]
    async fn checks_past_the_waiting_limit_are_refused_as_busy() {
        let g = std::sync::Arc::new(LoginGuard::default());
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let rx = std::sync::Arc::new(Mutex::new(rx));
        // Fill the permits with checks that block until released, then the waiting slots.
        let mut running = Vec::new();
        for _ in 0..(HASH_PERMITS + MAX_WAITING) {
            let (g, rx) = (g.clone(), rx.clone());
            running.push(tokio::spawn(async move {
                g.hash(move || {
                    let _ = rx.lock().unwrap().recv();
                })
                .await
            }));
        }
        // Let them all reach the semaphore.
        while g.waiting.load(Ordering::SeqCst) < MAX_WAITING {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(g.hash(|| ()).await, Err(Refusal::Busy));
        for _ in 0..(HASH_PERMITS + MAX_WAITING) {
            tx.send(()).unwrap();
        }
        for r in running {
            assert_eq!(r.await.unwrap(), Ok(()));
        }
    }
}
