//! The Redis frontier against a real `redis-server` started on loopback for each test.
//! `redis-server` must be installed (scripts/test installs Debian's); set
//! `QSWORD_SKIP_REDIS_TESTS=1` to skip these tests where it cannot be.

use std::collections::HashMap;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use qsword_crawler::{Frontier, Lease, NewUrl, PageOutcome, UrlKind, VisitState};
use qsword_frontier_redis::{HostClock, RedisConfig, RedisFrontier};
use url::Url;

struct RedisServer {
    child: Child,
    url: String,
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a throwaway `redis-server` on a free loopback port, or `None` (after a loud SKIPPED
/// line) when it is missing and `QSWORD_SKIP_REDIS_TESTS=1`.
fn redis_server(test: &str) -> Option<RedisServer> {
    let found = Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        if std::env::var("QSWORD_SKIP_REDIS_TESTS").as_deref() == Ok("1") {
            eprintln!("!!!!! SKIPPED {test}: redis-server is not installed (QSWORD_SKIP_REDIS_TESTS=1) !!!!!");
            return None;
        }
        panic!(
            "redis-server is not installed: `apt-get install redis-server` (scripts/test does), \
             or set QSWORD_SKIP_REDIS_TESTS=1 to skip the Redis frontier tests"
        );
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port();
    let child = Command::new("redis-server")
        .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
        .args([
            "--save",
            "",
            "--appendonly",
            "no",
            "--protected-mode",
            "yes",
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("starting redis-server");
    let server = RedisServer {
        child,
        url: format!("redis://127.0.0.1:{port}/0"),
    };
    let client = redis::Client::open(server.url.as_str()).expect("redis URL");
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(mut c) = client.get_connection() {
            if redis::cmd("PING").query::<String>(&mut c).is_ok() {
                return Some(server);
            }
        }
        assert!(
            Instant::now() < until,
            "redis-server did not answer on port {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn cfg(server: &RedisServer, lease_ms: u64) -> RedisConfig {
    RedisConfig {
        lease_ms,
        ..RedisConfig::new(&server.url)
    }
}

fn new_url(host: &str, path: &str, kind: UrlKind) -> NewUrl {
    NewUrl {
        url: Url::parse(&format!("http://{host}{path}")).unwrap(),
        host: format!("http://{host}"),
        site: "shop".into(),
        kind,
        depth: 1,
        lastmod: None,
    }
}

fn done(lease: Lease, discovered: Vec<NewUrl>) -> PageOutcome {
    // PageOutcome::new is crate-private: built through the public fields.
    PageOutcome {
        lease,
        state: VisitState::Done,
        answer: None,
        error: None,
        fetches: Vec::new(),
        listing: None,
        discovered,
        redirected: Vec::new(),
        blocked: None,
    }
}

fn paths(leases: &[Lease]) -> Vec<String> {
    leases.iter().map(|l| l.url.path().to_owned()).collect()
}

#[test]
fn push_lease_commit_round_trip() {
    let Some(server) = redis_server("push_lease_commit_round_trip") else {
        return;
    };
    let mut f = RedisFrontier::connect(&cfg(&server, 5_000)).unwrap();
    let h = "http://a.test";
    let new = f
        .push(&[
            new_url("a.test", "/page", UrlKind::Page),
            new_url("a.test", "/item/1", UrlKind::Product),
            new_url("a.test", "/sitemap.xml", UrlKind::Sitemap),
        ])
        .unwrap();
    assert_eq!(new, vec![(h.to_owned(), 3)]);
    assert_eq!(f.queued(h).unwrap(), 3);
    // Priority order: sitemap, product, page; kind and site survive the round trip.
    let leased = f.lease(h, 2).unwrap();
    assert_eq!(paths(&leased), ["/sitemap.xml", "/item/1"]);
    assert_eq!(leased[0].kind, UrlKind::Sitemap);
    assert_eq!(leased[1].site, "shop");
    assert_eq!(f.held_hosts(), vec![h.to_owned()]);
    // Committing reports the new URLs it discovered.
    let mut it = leased.into_iter();
    let new = f
        .commit(vec![done(
            it.next().unwrap(),
            vec![
                new_url("a.test", "/item/2", UrlKind::Product),
                new_url("a.test", "/page", UrlKind::Page), // known: not new
            ],
        )])
        .unwrap();
    assert_eq!(new, vec![(h.to_owned(), 1)]);
    // Released URLs come back first, unvisited.
    f.release(&[it.next().unwrap()]).unwrap();
    let leased = f.lease(h, 10).unwrap();
    assert_eq!(paths(&leased), ["/item/1", "/item/2", "/page"]);
    f.commit(leased.into_iter().map(|l| done(l, vec![])).collect())
        .unwrap();
    assert_eq!(f.queued(h).unwrap(), 0);
    // Nothing left: the lease is given up.
    assert!(f.lease(h, 10).unwrap().is_empty());
    assert!(f.held_hosts().is_empty());
    assert_eq!(f.hosts().unwrap(), vec![h.to_owned()]);
}

#[test]
fn seen_set_dedups_across_clients_and_redirects() {
    let Some(server) = redis_server("seen_set_dedups_across_clients_and_redirects") else {
        return;
    };
    let mut a = RedisFrontier::connect(&cfg(&server, 5_000)).unwrap();
    let mut b = RedisFrontier::connect(&cfg(&server, 5_000)).unwrap();
    let u = new_url("a.test", "/item/1", UrlKind::Product);
    assert_eq!(a.push(&[u.clone(), u.clone()]).unwrap().len(), 1);
    assert!(b.push(std::slice::from_ref(&u)).unwrap().is_empty());
    // A redirect target is known (seen) but not queued.
    let leased = a.lease("http://a.test", 1).unwrap();
    let mut page = done(leased.into_iter().next().unwrap(), vec![]);
    page.redirected = vec![new_url("a.test", "/item/1-new", UrlKind::Product)];
    a.commit(vec![page]).unwrap();
    assert!(b
        .push(&[new_url("a.test", "/item/1-new", UrlKind::Product)])
        .unwrap()
        .is_empty());
    assert_eq!(a.seen().unwrap(), 2);
    assert_eq!(a.queued("http://a.test").unwrap(), 0);
}

#[test]
fn expired_lease_hands_host_and_in_flight_urls_to_another_worker() {
    let Some(server) = redis_server("expired_lease_hands_host_to_another_worker") else {
        return;
    };
    let h = "http://a.test";
    let mut a = RedisFrontier::connect(&cfg(&server, 300)).unwrap();
    a.push(&[
        new_url("a.test", "/1", UrlKind::Page),
        new_url("a.test", "/2", UrlKind::Page),
        new_url("a.test", "/3", UrlKind::Page),
    ])
    .unwrap();
    let held = a.lease(h, 2).unwrap();
    assert_eq!(paths(&held), ["/1", "/2"]);
    let mut b = RedisFrontier::connect(&cfg(&server, 300)).unwrap();
    // A is alive (renewing): B gets nothing, however long it waits within A's life.
    for _ in 0..4 {
        assert!(b.lease(h, 10).unwrap().is_empty(), "B leased A's host");
        std::thread::sleep(Duration::from_millis(200));
    }
    // A dies without committing: its renewal stops and the lease expires.
    drop(a);
    let until = Instant::now() + Duration::from_secs(5);
    let taken = loop {
        let got = b.lease(h, 10).unwrap();
        if !got.is_empty() {
            break got;
        }
        assert!(Instant::now() < until, "the lease never expired");
        std::thread::sleep(Duration::from_millis(50));
    };
    // A's in-flight URLs come back, then the rest: nothing lost, nothing twice.
    let mut got = paths(&taken);
    got.sort();
    assert_eq!(got, ["/1", "/2", "/3"]);
    assert_eq!(b.held_hosts(), vec![h.to_owned()]);
}

#[test]
fn two_workers_never_lease_the_same_host_at_once() {
    let Some(server) = redis_server("two_workers_never_lease_the_same_host_at_once") else {
        return;
    };
    let hosts: Vec<String> = (0..4).map(|i| format!("h{i}.test")).collect();
    {
        let mut f = RedisFrontier::connect(&cfg(&server, 5_000)).unwrap();
        let urls: Vec<NewUrl> = hosts
            .iter()
            .flat_map(|h| (0..15).map(move |i| new_url(h, &format!("/{i}"), UrlKind::Page)))
            .collect();
        f.push(&urls).unwrap();
    }
    // Who holds each host as the workers see it, and every URL leased.
    let owners: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let leased: Arc<Mutex<Vec<String>>> = Arc::default();
    let workers: Vec<_> = (0..2)
        .map(|w| {
            let (owners, leased, hosts) = (owners.clone(), leased.clone(), hosts.clone());
            let c = cfg(&server, 5_000);
            std::thread::spawn(move || {
                let mut f = RedisFrontier::connect(&c).unwrap();
                let mut idle_rounds = 0;
                while idle_rounds < 3 {
                    let mut got_any = false;
                    for h in &hosts {
                        let key = format!("http://{h}");
                        let got = f.lease(&key, 2).unwrap();
                        if got.is_empty() {
                            continue;
                        }
                        got_any = true;
                        if let Some(other) = owners.lock().unwrap().insert(key.clone(), w) {
                            panic!("worker {w} leased {key} while worker {other} held it");
                        }
                        leased
                            .lock()
                            .unwrap()
                            .extend(got.iter().map(|l| l.url.to_string()));
                        std::thread::sleep(Duration::from_millis(3));
                        f.commit(got.into_iter().map(|l| done(l, vec![])).collect())
                            .unwrap();
                        owners.lock().unwrap().remove(&key);
                        f.drop_host(&key).unwrap();
                    }
                    idle_rounds = if got_any { 0 } else { idle_rounds + 1 };
                    std::thread::sleep(Duration::from_millis(5));
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("a worker failed");
    }
    let mut all = leased.lock().unwrap().clone();
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!(n, all.len(), "a URL was leased twice");
    assert_eq!(n, 60, "every URL leased once");
}

#[test]
fn per_host_delay_holds_across_two_clients() {
    let Some(server) = redis_server("per_host_delay_holds_across_two_clients") else {
        return;
    };
    let delay = Duration::from_millis(100);
    let grants: Arc<Mutex<Vec<(Instant, usize)>>> = Arc::default();
    let started = Instant::now();
    let clients: Vec<_> = (0..2)
        .map(|i| {
            let clock = HostClock::connect(&cfg(&server, 5_000)).unwrap();
            let grants = grants.clone();
            std::thread::spawn(move || {
                for _ in 0..5 {
                    clock.reserve("http://a.test", delay).unwrap();
                    grants.lock().unwrap().push((Instant::now(), i));
                }
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
    let mut g = grants.lock().unwrap().clone();
    g.sort();
    assert_eq!(g.len(), 10);
    assert!(g.iter().any(|(_, i)| *i == 0) && g.iter().any(|(_, i)| *i == 1));
    // Slots are spaced exactly on Redis's clock, but stamped here when the reply arrives, so
    // a loaded machine's scheduling shows as a few ms of jitter; the exact spacing (no slack)
    // is asserted on the server's own log in tests/cluster.rs.
    for w in g.windows(2) {
        let gap = w[1].0 - w[0].0;
        assert!(
            gap + Duration::from_millis(15) >= delay,
            "two requests {gap:?} apart"
        );
    }
    assert!(started.elapsed() >= delay * 9 - Duration::from_millis(10));
    // Another host is not held back by this one.
    let clock = HostClock::connect(&cfg(&server, 5_000)).unwrap();
    assert_eq!(clock.try_reserve("http://b.test", delay).unwrap(), None);
    assert!(clock.try_reserve("http://b.test", delay).unwrap().is_some());
}
