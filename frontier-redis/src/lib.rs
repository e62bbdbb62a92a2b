//! qsword's crawl frontier over Redis, for several crawler processes on one crawl.
//!
//! [`RedisFrontier`] implements the crawler's [`Frontier`] trait with its URL state in Redis,
//! so that workers on several machines share one frontier:
//!
//! - **Per-host queues**: three lists per host, one per [`UrlKind::priority`] (sitemaps, then
//!   products, then pages), leased from the front.
//! - **Seen-set (exact)**: one Redis SET of every canonical URL ever pushed. No probabilistic
//!   filter: a URL is dropped only when it is verbatim in the set. `qsword bench frontier`
//!   measures its memory per URL (README "Scale-out").
//! - **Host leases**: a worker leases URLs of a host only while it holds the host's lease
//!   (`SET NX PX`, checked and taken atomically in a Lua script). A background thread renews the
//!   leases this process holds every third of the lease time, and beats the worker's heartbeat;
//!   a worker that dies stops renewing and its hosts return to the pool when the lease expires.
//! - **In-flight URLs**: each leased URL is kept in the host's in-flight hash until committed or
//!   released. Whoever leases a host next (a new owner after an expiry, or the same worker
//!   asking for its next batch) first puts what is in flight back at the front of the queue:
//!   the crawler asks for a host's next batch only once it has committed the last, so anything
//!   still in flight then belongs to a dead worker, or to a commit a Redis crash lost.
//! - **Exactly-once commit**: a visit is committed in one script that checks that the URL is
//!   still in flight and no other worker holds the host, removes it from the in-flight hash,
//!   queues its new links, and appends its [`Capture`](qsword_crawler::Capture) to the ingest
//!   stream. A visit whose host passed to another worker meanwhile is refused and dropped (the
//!   new owner visits the URL again), so each URL reaches the stream once.
//! - **Ingest** ([`IngestStream`]): the coordinator reads the stream through a consumer group
//!   and acknowledges (and deletes) entries after storing them.
//! - **Shared politeness**: [`HostClock`] keeps each host's next allowed request time in Redis
//!   (microseconds on Redis's own clock, so machines' clocks need not agree); every worker takes
//!   a slot before a request and pushes it to the end of the exchange plus the delay after, so
//!   a host's delay holds across the cluster, including at a lease hand-over.
//! - **Redis restarts**: every call reconnects and retries with backoff (`link.rs`) for
//!   [`RedisConfig::retry_for`]; every script is safe to run twice (a retry after a lost reply
//!   is refused, requeues and re-leases, or re-adds nothing).
//! - **Status** ([`ClusterStatus`]): workers, hosts, queues, stream, rate.
//!
//! What it is **not** for (yet): it keeps no validators (ETag / Last-Modified) nor a recrawl
//! schedule (a sitemap's `lastmod` queues nothing again), so a Redis crawl is a one-pass
//! crawl per key prefix ([`clear`] before the next night's). It is not a single-process replacement for the SQLite frontier, which stays the
//! default. It does not shard: one Redis (or one primary) holds the whole crawl.

mod ingest;
mod link;
mod status;

use std::collections::HashSet;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use link::Link;
use qsword_crawler::frontier::NewPerHost;
use qsword_crawler::{Frontier, FrontierError, HostSlots, Lease, NewUrl, PageOutcome, UrlKind};
use redis::Script;
use serde::{Deserialize, Serialize};
use url::Url;

pub use ingest::{IngestEntry, IngestStream};
pub use status::{ClusterStatus, HostStatus, WorkerStatus};

/// How long a host lease lasts without renewal, by default.
pub const DEFAULT_LEASE_MS: u64 = 30_000;

/// One queued URL as stored in Redis (JSON).
#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    u: String,
    h: String,
    s: String,
    /// Priority (see [`UrlKind::priority`]), which also names the kind.
    p: i64,
    d: u32,
}

fn kind_of(p: i64) -> UrlKind {
    match p {
        2 => UrlKind::Sitemap,
        1 => UrlKind::Product,
        _ => UrlKind::Page,
    }
}

impl Entry {
    fn of(u: &NewUrl) -> Entry {
        Entry {
            u: u.url.to_string(),
            h: u.host.clone(),
            s: u.site.clone(),
            p: u.kind.priority(),
            d: u.depth,
        }
    }

    fn of_lease(l: &Lease) -> Entry {
        Entry {
            u: l.url.to_string(),
            h: l.host.clone(),
            s: l.site.clone(),
            p: l.kind.priority(),
            d: l.depth,
        }
    }

    fn json(&self) -> String {
        serde_json::to_string(self).expect("an entry always serialises")
    }

    fn lease(self) -> Result<Lease, FrontierError> {
        let url = Url::parse(&self.u).map_err(|e| format!("frontier URL {:?}: {e}", self.u))?;
        Ok(Lease {
            url,
            host: self.h,
            site: self.s,
            kind: kind_of(self.p),
            depth: self.d,
            etag: None,
            last_modified: None,
        })
    }
}

/// The Redis key names of one crawl (all under one prefix).
#[derive(Debug, Clone)]
struct Keys {
    prefix: String,
}

impl Keys {
    fn seen(&self) -> String {
        format!("{}:seen", self.prefix)
    }
    fn hosts(&self) -> String {
        format!("{}:hosts", self.prefix)
    }
    fn queue(&self, host: &str, priority: i64) -> String {
        format!("{}:q:{host}:{}", self.prefix, priority.clamp(0, 2))
    }
    fn inflight(&self, host: &str) -> String {
        format!("{}:inflight:{host}", self.prefix)
    }
    fn lease(&self, host: &str) -> String {
        format!("{}:lease:{host}", self.prefix)
    }
    fn next(&self, host: &str) -> String {
        format!("{}:next:{host}", self.prefix)
    }
    /// The delay (µs) the host's last exchange asked for.
    fn delay(&self, host: &str) -> String {
        format!("{}:delay:{host}", self.prefix)
    }
    /// The ingest stream: one entry per committed visit, read by the coordinator.
    fn stream(&self) -> String {
        format!("{}:ingest", self.prefix)
    }
    /// Every worker that ever joined: id → [`WorkerInfo`] JSON.
    fn workers(&self) -> String {
        format!("{}:workers", self.prefix)
    }
    /// A worker's heartbeat (unix ms), expiring with its leases.
    fn alive(&self, worker: &str) -> String {
        format!("{}:alive:{worker}", self.prefix)
    }
    /// Visits committed, per worker.
    fn pages(&self) -> String {
        format!("{}:pages", self.prefix)
    }
    /// Commits refused (lease lost), per worker.
    fn refusals(&self) -> String {
        format!("{}:refused", self.prefix)
    }
    /// Visits committed per 10-second bucket of Redis time: `PREFIX:rate:<unix s / 10>`.
    fn rate_prefix(&self) -> String {
        format!("{}:rate:", self.prefix)
    }
}

/// Adds URLs not in the seen-set. KEYS[1] seen, KEYS[2] hosts, KEYS[2+i] URL i's queue;
/// ARGV[1] "1" to queue (else only mark seen), then per URL: url, host, entry. Returns 1/0 per
/// URL (new or known).
const PUSH: &str = r#"
local queue = ARGV[1] == '1'
local out = {}
local n = (#ARGV - 1) / 3
for i = 1, n do
  local url = ARGV[2 + (i - 1) * 3]
  if redis.call('SADD', KEYS[1], url) == 1 then
    if queue then
      redis.call('RPUSH', KEYS[2 + i], ARGV[4 + (i - 1) * 3])
      redis.call('SADD', KEYS[2], ARGV[3 + (i - 1) * 3])
    end
    out[i] = 1
  else
    out[i] = 0
  end
end
return out
"#;

/// Takes or renews the host lease and pops up to max URLs. KEYS[1] lease, KEYS[2] in-flight,
/// KEYS[3..5] queues of priority 2, 1, 0. ARGV worker, lease ms, max. Returns {1} when another
/// live worker holds the host, else {0, entries...}. The caller holds nothing of the host in
/// flight when it asks (the crawler leases a host's next batch only after committing the last),
/// so whatever is in flight — an expired holder's URLs, or a commit Redis lost in a crash —
/// goes back to the front of its queue first. With nothing to hand out the lease is dropped,
/// so another worker may take the host at once.
const LEASE: &str = r#"
local owner = redis.call('GET', KEYS[1])
if owner and owner ~= ARGV[1] then return {1} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
local old = redis.call('HGETALL', KEYS[2])
for i = 1, #old, 2 do
  local v = old[i + 1]
  local p = tonumber(string.sub(v, 1, 1))
  redis.call('LPUSH', KEYS[5 - p], string.sub(v, 2))
end
redis.call('DEL', KEYS[2])
local out = {0}
local max = tonumber(ARGV[3])
for qi = 3, 5 do
  while #out - 1 < max do
    local e = redis.call('LPOP', KEYS[qi])
    if not e then break end
    out[#out + 1] = e
    redis.call('HSET', KEYS[2], cjson.decode(e)['u'], tostring(5 - qi) .. e)
  end
end
if #out == 1 then
  redis.call('DEL', KEYS[1])
end
return out
"#;

/// Commits one visit, exactly once: only while the URL is still in flight (a new owner of the
/// host requeues what an expired holder had) and no other worker holds the host; then, in the
/// same step, marks its redirect targets seen, queues its new links, and appends its capture
/// to the ingest stream. KEYS[1] lease, [2] in-flight, [3] seen, [4] hosts, [5] stream,
/// [6] pages per worker, [7] refusals per worker, [7+i] discovered URL i's queue. ARGV[1]
/// worker, [2] URL, [3] capture JSON, [4] rate-key prefix, [5] n redirected, then the
/// redirected URLs, then per discovered URL: url, host, entry. Returns {-1} (refused: the
/// outcome is dropped, the host's owner fetches the URL again) or {0, new flags...}.
const COMMIT: &str = r#"
local owner = redis.call('GET', KEYS[1])
if (owner and owner ~= ARGV[1]) or redis.call('HDEL', KEYS[2], ARGV[2]) == 0 then
  redis.call('HINCRBY', KEYS[7], ARGV[1], 1)
  return {-1}
end
local nr = tonumber(ARGV[5])
for i = 1, nr do redis.call('SADD', KEYS[3], ARGV[5 + i]) end
local base = 5 + nr
local n = (#ARGV - base) / 3
local out = {0}
for i = 1, n do
  local at = base + (i - 1) * 3
  if redis.call('SADD', KEYS[3], ARGV[at + 1]) == 1 then
    redis.call('RPUSH', KEYS[7 + i], ARGV[at + 3])
    redis.call('SADD', KEYS[4], ARGV[at + 2])
    out[i + 1] = 1
  else
    out[i + 1] = 0
  end
end
redis.call('XADD', KEYS[5], '*', 'w', ARGV[1], 'c', ARGV[3])
redis.call('HINCRBY', KEYS[6], ARGV[1], 1)
local t = redis.call('TIME')
local rk = ARGV[4] .. math.floor(tonumber(t[1]) / 10)
redis.call('INCR', rk)
redis.call('EXPIRE', rk, 180)
return out
"#;

/// Gives leased URLs back to the front of their queue. KEYS[1] in-flight, KEYS[2] lease,
/// KEYS[2+i] URL i's queue; ARGV worker, then per URL: url, entry. The lease is dropped when
/// nothing of the host is left in flight.
const RELEASE: &str = r#"
local n = (#ARGV - 1) / 2
for i = n, 1, -1 do
  if redis.call('HDEL', KEYS[1], ARGV[2 + (i - 1) * 2]) == 1 then
    redis.call('LPUSH', KEYS[2 + i], ARGV[3 + (i - 1) * 2])
  end
end
if redis.call('HLEN', KEYS[1]) == 0 and redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('DEL', KEYS[2])
end
return n
"#;

/// Extends a lease if this worker still holds it. KEYS[1] lease; ARGV worker, ms.
const RENEW: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"#;

/// Reserves the host's next request slot. KEYS[1] next-allowed time (µs on Redis's clock),
/// KEYS[2] the delay the host's last exchange asked for; ARGV this worker's delay µs. Returns 0
/// (go now; the next slot is now + the larger delay) or the µs to wait. The larger of the two
/// delays counts: a worker that just took the host over has not read its robots.txt yet, and
/// must not space its first request by less than the Crawl-delay the last owner knew.
const RESERVE: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local next = tonumber(redis.call('GET', KEYS[1]) or '0')
if now < next then return next - now end
local delay = math.max(tonumber(ARGV[1]), tonumber(redis.call('GET', KEYS[2]) or '0'))
redis.call('SET', KEYS[1], string.format('%.0f', now + delay), 'PX', math.floor(delay / 1000) + 60000)
return 0
"#;

/// An exchange with the host ended: its next slot is no sooner than now + the larger of this
/// worker's delay and the last one recorded, and this worker's delay is recorded (so the
/// adaptive throttle can lower it again). KEYS[1] next-allowed time, KEYS[2] last delay;
/// ARGV delay µs.
const FINISHED: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local next = tonumber(redis.call('GET', KEYS[1]) or '0')
local mine = tonumber(ARGV[1])
local delay = math.max(mine, tonumber(redis.call('GET', KEYS[2]) or '0'))
if now + delay > next then
  redis.call('SET', KEYS[1], string.format('%.0f', now + delay), 'PX', math.floor(delay / 1000) + 60000)
end
redis.call('SET', KEYS[2], string.format('%.0f', mine), 'PX', math.floor(mine / 1000) + 3600000)
return 0
"#;

/// Where a Redis frontier lives and how it leases.
#[derive(Debug, Clone)]
pub struct RedisConfig {
    /// `redis://HOST:PORT/DB`.
    pub url: String,
    /// Key prefix: one crawl's keys (several crawls may share a database).
    pub prefix: String,
    /// How long a host lease lasts without renewal.
    pub lease_ms: u64,
    /// How long an operation is retried (reconnecting with backoff) while Redis is unreachable
    /// before the crawl gives up.
    pub retry_for: Duration,
}

impl RedisConfig {
    pub fn new(url: &str) -> RedisConfig {
        RedisConfig {
            url: url.to_owned(),
            prefix: "qsword".into(),
            lease_ms: DEFAULT_LEASE_MS,
            retry_for: Duration::from_secs(120),
        }
    }

    pub(crate) fn keys(&self) -> Keys {
        Keys {
            prefix: self.prefix.clone(),
        }
    }

    pub(crate) fn link(&self) -> Result<Link, FrontierError> {
        Link::open(&self.url, self.retry_for)
    }
}

/// What a worker says of itself when it joins (in the `workers` hash, kept after it leaves).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkerInfo {
    /// The machine's host name.
    pub machine: String,
    pub pid: u32,
    /// Unix milliseconds (the worker's clock).
    pub started_ms: u64,
    /// Where its WARC files are, on its machine.
    pub warc_dir: String,
    /// Its lease time: its heartbeat is renewed every third of it, and expires with it.
    #[serde(default)]
    pub lease_ms: u64,
}

pub(crate) fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The machine's host name, for the operator (no dependency for one line of /proc).
pub fn machine_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// The crawler's [`Frontier`] over Redis (see the crate doc).
pub struct RedisFrontier {
    link: Link,
    keys: Keys,
    worker: String,
    lease_ms: u64,
    /// Hosts this process holds a lease on (renewed by the background thread).
    held: Arc<Mutex<HashSet<String>>>,
    /// Dropping it stops the renewal thread.
    stop: Option<mpsc::Sender<()>>,
    renewer: Option<std::thread::JoinHandle<()>>,
    push: Script,
    lease: Script,
    commit: Script,
    release: Script,
    /// Visits committed by this process, and refused (the host had passed to another worker).
    pub committed: u64,
    pub refused: u64,
    /// This worker's fair share of hosts (known hosts / live workers, rounded up) and when it
    /// was last counted.
    share: (usize, Option<std::time::Instant>),
}

/// How long a worker's count of live workers and hosts is trusted.
const SHARE_TTL: Duration = Duration::from_millis(500);

impl RedisFrontier {
    /// Connects (checking the server answers), registers this worker and starts the thread
    /// that renews its host leases and its heartbeat.
    pub fn connect(cfg: &RedisConfig) -> Result<RedisFrontier, FrontierError> {
        Self::join(cfg, "")
    }

    /// [`RedisFrontier::connect`], recording where this worker's WARC files are.
    pub fn join(cfg: &RedisConfig, warc_dir: &str) -> Result<RedisFrontier, FrontierError> {
        let mut link = cfg.link()?;
        let mut renew_link = cfg.link()?;
        let keys = cfg.keys();
        let machine = machine_name();
        let worker = format!(
            "{machine}-{}-{}",
            std::process::id(),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let lease_ms = cfg.lease_ms.max(30);
        let info = WorkerInfo {
            machine,
            pid: std::process::id(),
            started_ms: unix_ms(),
            warc_dir: warc_dir.to_owned(),
            lease_ms,
        };
        let info = serde_json::to_string(&info)?;
        link.run("registering the worker", |c| {
            redis::pipe()
                .hset(keys.workers(), &worker, &info)
                .ignore()
                .set_ex(keys.alive(&worker), unix_ms(), (lease_ms / 1000).max(1))
                .ignore()
                .query::<()>(c)
        })?;
        let held: Arc<Mutex<HashSet<String>>> = Arc::default();
        let (stop, stopped) = mpsc::channel::<()>();
        let renewer = {
            let held = held.clone();
            let keys = keys.clone();
            let worker = worker.clone();
            let renew = Script::new(RENEW);
            std::thread::Builder::new()
                .name("redis-lease-renewer".into())
                .spawn(move || {
                    let every = Duration::from_millis(lease_ms / 3);
                    while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                        let hosts: Vec<String> = held
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .iter()
                            .cloned()
                            .collect();
                        let beat = renew_link.run("heartbeat", |c| {
                            redis::cmd("SET")
                                .arg(keys.alive(&worker))
                                .arg(unix_ms())
                                .arg("PX")
                                .arg(lease_ms)
                                .query::<()>(c)
                        });
                        if let Err(e) = beat {
                            tracing::warn!("worker heartbeat: {e}");
                        }
                        for h in hosts {
                            match renew_link.run("renewing a host lease", |c| {
                                renew
                                    .key(keys.lease(&h))
                                    .arg(&worker)
                                    .arg(lease_ms)
                                    .invoke::<i64>(c)
                            }) {
                                Ok(1) => {}
                                Ok(_) => {
                                    held.lock().unwrap_or_else(|e| e.into_inner()).remove(&h);
                                }
                                Err(e) => tracing::warn!(host = %h, "renewing the host lease: {e}"),
                            }
                        }
                    }
                })
                .map_err(|e| Box::new(e) as FrontierError)?
        };
        Ok(RedisFrontier {
            link,
            keys,
            worker,
            lease_ms,
            held,
            stop: Some(stop),
            renewer: Some(renewer),
            push: Script::new(PUSH),
            lease: Script::new(LEASE),
            commit: Script::new(COMMIT),
            release: Script::new(RELEASE),
            committed: 0,
            refused: 0,
            share: (usize::MAX, None),
        })
    }

    /// This process's worker id (the value of the host leases it holds).
    pub fn worker_id(&self) -> &str {
        &self.worker
    }

    /// Hosts this process holds a lease on now.
    pub fn held_hosts(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .held
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect();
        v.sort();
        v
    }

    /// Queued URLs of a host (not in flight).
    pub fn queued(&mut self, host: &str) -> Result<u64, FrontierError> {
        let keys: Vec<String> = (0..=2).map(|p| self.keys.queue(host, p)).collect();
        self.link.run("counting a host's queue", |c| {
            let mut pipe = redis::pipe();
            for k in &keys {
                pipe.llen(k);
            }
            Ok(pipe.query::<Vec<u64>>(c)?.iter().sum())
        })
    }

    /// URLs in the seen-set.
    pub fn seen(&mut self) -> Result<u64, FrontierError> {
        let key = self.keys.seen();
        self.link.run("counting the seen-set", |c| {
            redis::cmd("SCARD").arg(&key).query(c)
        })
    }

    /// Hosts that ever had URLs queued.
    pub fn hosts(&mut self) -> Result<Vec<String>, FrontierError> {
        let key = self.keys.hosts();
        let mut v: Vec<String> = self.link.run("listing the hosts", |c| {
            redis::cmd("SMEMBERS").arg(&key).query(c)
        })?;
        v.sort();
        Ok(v)
    }

    /// Hosts this worker may hold at once: the known hosts shared out over the live workers
    /// (rounded up), so the first worker to start does not keep every host, and a dead
    /// worker's share goes to the others once its heartbeat expires.
    fn fair_share(&mut self) -> Result<usize, FrontierError> {
        if self.share.1.is_some_and(|at| at.elapsed() < SHARE_TTL) {
            return Ok(self.share.0);
        }
        let (hosts_key, workers_key) = (self.keys.hosts(), self.keys.workers());
        let (hosts, ids): (usize, Vec<String>) =
            self.link.run("counting hosts and workers", |c| {
                redis::pipe().scard(&hosts_key).hkeys(&workers_key).query(c)
            })?;
        let alive: Vec<String> = ids.iter().map(|w| self.keys.alive(w)).collect();
        let live: usize = if alive.is_empty() {
            1
        } else {
            self.link.run("counting live workers", |c| {
                redis::cmd("EXISTS").arg(&alive).query(c)
            })?
        };
        let share = hosts.div_ceil(live.max(1)).max(1);
        self.share = (share, Some(std::time::Instant::now()));
        Ok(share)
    }

    /// Gives up the host's lease now if nothing of it is in flight here (another worker may
    /// take it at once, instead of after the lease expires).
    pub fn drop_host(&mut self, host: &str) -> Result<(), FrontierError> {
        self.release_host(host, &[])
    }

    fn add(&mut self, urls: &[NewUrl], queue: bool) -> Result<NewPerHost, FrontierError> {
        let mut new = NewPerHost::new();
        // Bounded script calls: a huge sitemap must not block Redis for long. Safe to repeat:
        // a URL already in the seen-set is left alone.
        for chunk in urls.chunks(1000) {
            let mut inv = self.push.prepare_invoke();
            inv.key(self.keys.seen()).key(self.keys.hosts());
            inv.arg(if queue { "1" } else { "0" });
            for u in chunk {
                inv.key(self.keys.queue(&u.host, u.kind.priority()));
                inv.arg(u.url.as_str())
                    .arg(&u.host)
                    .arg(Entry::of(u).json());
            }
            let added: Vec<i64> = self.link.run("pushing URLs", |c| inv.invoke(c))?;
            for (u, a) in chunk.iter().zip(added) {
                if a == 1 {
                    count(&mut new, &u.host, 1);
                }
            }
        }
        Ok(new)
    }

    /// Commits one visit (see [`COMMIT`]); `None` when refused.
    fn commit_page(&mut self, page: &mut PageOutcome) -> Result<Option<NewPerHost>, FrontierError> {
        let capture = serde_json::to_string(&page.take_capture())?;
        let host = page.lease.host.clone();
        let mut inv = self.commit.prepare_invoke();
        inv.key(self.keys.lease(&host))
            .key(self.keys.inflight(&host))
            .key(self.keys.seen())
            .key(self.keys.hosts())
            .key(self.keys.stream())
            .key(self.keys.pages())
            .key(self.keys.refusals());
        inv.arg(&self.worker)
            .arg(page.lease.url.as_str())
            .arg(capture)
            .arg(self.keys.rate_prefix())
            .arg(page.redirected.len());
        for u in &page.redirected {
            inv.arg(u.url.as_str());
        }
        for u in &page.discovered {
            inv.key(self.keys.queue(&u.host, u.kind.priority()));
            inv.arg(u.url.as_str())
                .arg(&u.host)
                .arg(Entry::of(u).json());
        }
        // Safe to repeat: a retried commit finds the URL no longer in flight and is refused,
        // which is right (the first attempt went through).
        let reply: Vec<i64> = self.link.run("committing a visit", |c| inv.invoke(c))?;
        if reply.first() != Some(&0) {
            return Ok(None);
        }
        let mut new = NewPerHost::new();
        for (u, a) in page.discovered.iter().zip(&reply[1..]) {
            if *a == 1 {
                count(&mut new, &u.host, 1);
            }
        }
        Ok(Some(new))
    }

    fn release_host(&mut self, host: &str, leases: &[&Lease]) -> Result<(), FrontierError> {
        let mut inv = self.release.prepare_invoke();
        inv.key(self.keys.inflight(host)).key(self.keys.lease(host));
        inv.arg(&self.worker);
        for l in leases {
            inv.key(self.keys.queue(host, l.kind.priority()));
            inv.arg(l.url.as_str()).arg(Entry::of_lease(l).json());
        }
        let lease_key = self.keys.lease(host);
        let owner: Option<String> = self.link.run("releasing URLs", |c| {
            inv.invoke::<i64>(c)?;
            redis::cmd("GET").arg(&lease_key).query(c)
        })?;
        if owner.as_deref() != Some(self.worker.as_str()) {
            self.held
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(host);
        }
        Ok(())
    }
}

fn count(new: &mut NewPerHost, host: &str, n: usize) {
    match new.iter_mut().find(|(h, _)| h == host) {
        Some((_, c)) => *c += n,
        None => new.push((host.to_owned(), n)),
    }
}

impl Drop for RedisFrontier {
    /// A worker that stops cleanly says so at once (a killed one is noticed when its heartbeat
    /// expires).
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.renewer.take() {
            let _ = t.join();
        }
        let alive = self.keys.alive(&self.worker);
        let _ = self
            .link
            .run("leaving", |c| redis::cmd("DEL").arg(&alive).query::<()>(c));
    }
}

impl Frontier for RedisFrontier {
    fn push(&mut self, urls: &[NewUrl]) -> Result<NewPerHost, FrontierError> {
        self.add(urls, true)
    }

    fn lease(&mut self, host: &str, max: usize) -> Result<Vec<Lease>, FrontierError> {
        let share = self.fair_share()?;
        let (mine, holding) = {
            let held = self.held.lock().unwrap_or_else(|e| e.into_inner());
            (held.contains(host), held.len())
        };
        if mine && holding > share {
            // More than a fair share (workers joined since): this host goes to another worker,
            // at a batch boundary, with nothing in flight.
            tracing::info!(
                host,
                holding,
                share,
                "handing the host over to another worker"
            );
            self.release_host(host, &[])?;
            return Ok(Vec::new());
        }
        if !mine && holding >= share {
            return Ok(Vec::new());
        }
        let mut inv = self.lease.prepare_invoke();
        inv.key(self.keys.lease(host))
            .key(self.keys.inflight(host))
            .key(self.keys.queue(host, 2))
            .key(self.keys.queue(host, 1))
            .key(self.keys.queue(host, 0))
            .arg(&self.worker)
            .arg(self.lease_ms)
            .arg(max);
        // Safe to repeat: a retry puts what the lost first attempt leased back and leases again.
        let reply: Vec<redis::Value> = self.link.run("leasing URLs", |c| inv.invoke(c))?;
        let mut it = reply.into_iter();
        let code: i64 = match it.next() {
            Some(v) => redis::from_redis_value(v).map_err(|e| Box::new(e) as FrontierError)?,
            None => return Err("empty answer from the lease script".into()),
        };
        let mut out = Vec::new();
        for v in it {
            let s: String = redis::from_redis_value(v).map_err(|e| Box::new(e) as FrontierError)?;
            let e: Entry = serde_json::from_str(&s)?;
            out.push(e.lease()?);
        }
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if code == 1 || out.is_empty() {
            // Another live worker owns the host, or the script dropped the idle lease.
            held.remove(host);
        } else {
            held.insert(host.to_owned());
        }
        Ok(out)
    }

    fn commit(&mut self, pages: Vec<PageOutcome>) -> Result<NewPerHost, FrontierError> {
        let mut new = NewPerHost::new();
        for mut p in pages {
            match self.commit_page(&mut p)? {
                Some(n) => {
                    self.committed += 1;
                    for (h, c) in n {
                        count(&mut new, &h, c);
                    }
                }
                None => {
                    self.refused += 1;
                    tracing::warn!(url = %p.lease.url, "visit not committed: the host's lease passed to another worker, which visits the URL again");
                }
            }
        }
        Ok(new)
    }

    fn release(&mut self, leases: &[Lease]) -> Result<(), FrontierError> {
        let mut hosts: Vec<&str> = leases.iter().map(|l| l.host.as_str()).collect();
        hosts.sort_unstable();
        hosts.dedup();
        for h in hosts {
            let of: Vec<&Lease> = leases.iter().filter(|l| l.host == h).collect();
            self.release_host(h, &of)?;
        }
        Ok(())
    }

    fn settled(&mut self, hosts: &[String]) -> Result<bool, FrontierError> {
        if hosts.is_empty() {
            return Ok(true);
        }
        let keys: Vec<(String, String)> = hosts
            .iter()
            .map(|h| (self.keys.lease(h), self.keys.inflight(h)))
            .collect();
        self.link
            .run("checking whether other workers hold hosts", |c| {
                let mut pipe = redis::pipe();
                for (lease, inflight) in &keys {
                    pipe.exists(lease).hlen(inflight);
                }
                let busy: Vec<u64> = pipe.query(c)?;
                Ok(busy.iter().all(|n| *n == 0))
            })
    }
}

/// Each host's next allowed request time, in Redis, shared by every worker of a crawl
/// (microseconds on Redis's own clock, so the machines' clocks need not agree).
pub struct HostClock {
    link: Mutex<Link>,
    keys: Keys,
    reserve: Script,
    finished: Script,
}

impl HostClock {
    pub fn connect(cfg: &RedisConfig) -> Result<HostClock, FrontierError> {
        Ok(HostClock {
            link: Mutex::new(cfg.link()?),
            keys: cfg.keys(),
            reserve: Script::new(RESERVE),
            finished: Script::new(FINISHED),
        })
    }

    /// Takes the host's next request slot if it is due: `Ok(None)` means send now (the next
    /// slot is `delay` from now, on Redis's clock); `Ok(Some(wait))` means try again after `wait`.
    pub fn try_reserve(
        &self,
        host: &str,
        delay: Duration,
    ) -> Result<Option<Duration>, FrontierError> {
        let mut link = self.link.lock().unwrap_or_else(|e| e.into_inner());
        let (key, delay_key) = (self.keys.next(host), self.keys.delay(host));
        // Safe to repeat: a retry after a lost reply waits for the slot the first one took.
        let wait: u64 = link.run("reserving a request slot", |c| {
            self.reserve
                .key(&key)
                .key(&delay_key)
                .arg(delay.as_micros() as u64)
                .invoke(c)
        })?;
        Ok((wait > 0).then(|| Duration::from_micros(wait)))
    }

    /// Blocks until the host's slot is taken (see [`HostClock::try_reserve`]).
    pub fn reserve(&self, host: &str, delay: Duration) -> Result<(), FrontierError> {
        while let Some(wait) = self.try_reserve(host, delay)? {
            std::thread::sleep(wait);
        }
        Ok(())
    }

    /// An exchange with the host ended now: its next slot is at least `delay` from now.
    pub fn finished(&self, host: &str, delay: Duration) -> Result<(), FrontierError> {
        let mut link = self.link.lock().unwrap_or_else(|e| e.into_inner());
        let (key, delay_key) = (self.keys.next(host), self.keys.delay(host));
        link.run("recording the end of an exchange", |c| {
            self.finished
                .key(&key)
                .key(&delay_key)
                .arg(delay.as_micros() as u64)
                .invoke::<i64>(c)
        })?;
        Ok(())
    }
}

impl HostSlots for HostClock {
    fn try_reserve(&self, host: &str, delay: Duration) -> Result<Option<Duration>, FrontierError> {
        HostClock::try_reserve(self, host, delay)
    }

    fn finished(&self, host: &str, delay: Duration) -> Result<(), FrontierError> {
        HostClock::finished(self, host, delay)
    }
}

/// Redis's `used_memory` (bytes), and the exact size of this crawl's seen-set (`MEMORY USAGE
/// … SAMPLES 0`): what the benchmark divides by URLs.
pub fn memory_used(cfg: &RedisConfig) -> Result<(u64, u64), FrontierError> {
    let mut link = cfg.link()?;
    let seen = cfg.keys().seen();
    let (info, set): (String, Option<u64>) = link.run("reading INFO memory", |c| {
        redis::pipe()
            .cmd("INFO")
            .arg("memory")
            .cmd("MEMORY")
            .arg("USAGE")
            .arg(&seen)
            .arg("SAMPLES")
            .arg(0)
            .query(c)
    })?;
    let used = info
        .lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or("INFO memory has no used_memory line")?;
    Ok((used, set.unwrap_or(0)))
}

/// CPU seconds the Redis server has used (`INFO cpu`: user + system, its main thread included).
pub fn cpu_used(cfg: &RedisConfig) -> Result<f64, FrontierError> {
    let mut link = cfg.link()?;
    let info: String = link.run("reading INFO cpu", |c| {
        redis::cmd("INFO").arg("cpu").query(c)
    })?;
    let field = |name: &str| -> f64 {
        info.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0.0)
    };
    Ok(field("used_cpu_user:") + field("used_cpu_sys:"))
}

/// Deletes every key of this crawl (`PREFIX:*`), e.g. before the next night's one-pass crawl
/// or after a benchmark. Returns how many keys went.
pub fn clear(cfg: &RedisConfig) -> Result<u64, FrontierError> {
    let mut link = cfg.link()?;
    let pattern = format!("{}:*", cfg.prefix);
    let mut cursor: u64 = 0;
    let mut gone = 0;
    loop {
        let (next, keys): (u64, Vec<String>) = link.run("listing the crawl's keys", |c| {
            redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(1000)
                .query(c)
        })?;
        if !keys.is_empty() {
            gone += link.run("deleting the crawl's keys", |c| {
                redis::cmd("UNLINK").arg(&keys).query::<u64>(c)
            })?;
        }
        if next == 0 {
            return Ok(gone);
        }
        cursor = next;
    }
}
