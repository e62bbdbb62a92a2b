//! qsword's crawl frontier over Redis, for several crawler processes on one crawl.
//!
//! [`RedisFrontier`] implements the crawler's [`Frontier`] trait with its URL state in Redis,
//! so that workers on several machines share one frontier:
//!
//! - **Per-host queues**: three lists per host, one per [`UrlKind::priority`] (sitemaps, then
//!   products, then pages), leased from the front.
//! - **Seen-set (exact)**: one Redis SET of every canonical URL ever pushed. No probabilistic
//!   filter: a URL is dropped only when it is verbatim in the set. Memory is the URL's bytes
//!   plus Redis's per-member overhead (about 60–70 bytes for a hashtable SET member on 64-bit
//!   Redis 7); `qsword bench frontier`-style measurements belong in the README, not here.
//! - **Host leases**: a worker leases URLs of a host only while it holds the host's lease
//!   (`SET NX PX`, checked and taken atomically in a Lua script). A background thread renews the
//!   leases this process holds every third of the lease time; a worker that dies stops renewing
//!   and its hosts return to the pool when the lease expires.
//! - **In-flight URLs**: each leased URL is kept in the host's in-flight hash until committed or
//!   released. When a worker takes a host whose previous lease *expired*, the previous holder's
//!   in-flight URLs go back to the front of the queue first, so nothing a dead worker held is
//!   lost.
//! - **Shared politeness**: [`HostClock`] keeps each host's next allowed request time in Redis
//!   (on Redis's own clock, so machines' clocks need not agree); every worker asks it before a
//!   request, so a host's delay holds across the cluster, including at a lease hand-over.
//!
//! What it is **not** for (yet): it stores no fetch rows, listings or WARC locations — the
//! caller keeps those (the `qsword` binary writes them to its local store before committing
//! here). It keeps no validators (ETag / Last-Modified) nor a recrawl schedule, so a Redis crawl
//! is a one-pass crawl. A commit is at-least-once: a crash between the caller's store write and
//! the commit here, or a lease lost while a visit was running, means a URL may be fetched again,
//! never lost. It is not a single-process replacement for the SQLite frontier, which stays the
//! default.

use std::collections::HashSet;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use qsword_crawler::frontier::NewPerHost;
use qsword_crawler::{Frontier, FrontierError, Lease, NewUrl, PageOutcome, UrlKind};
use redis::{Client, Connection, Script};
use serde::{Deserialize, Serialize};
use url::Url;

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
/// live worker holds the host, else {0, entries...}. A lease taken afresh first requeues what
/// the previous (expired) holder had in flight. With nothing to hand out and nothing in flight,
/// the lease is dropped so another worker may take the host.
const LEASE: &str = r#"
local owner = redis.call('GET', KEYS[1])
if owner and owner ~= ARGV[1] then return {1} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if not owner then
  local old = redis.call('HGETALL', KEYS[2])
  for i = 1, #old, 2 do
    local v = old[i + 1]
    local p = tonumber(string.sub(v, 1, 1))
    redis.call('LPUSH', KEYS[5 - p], string.sub(v, 2))
  end
  redis.call('DEL', KEYS[2])
end
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
if #out == 1 and redis.call('HLEN', KEYS[2]) == 0 then
  redis.call('DEL', KEYS[1])
end
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

/// Reserves the host's next request slot. KEYS[1] next-allowed time; ARGV delay ms. Returns 0
/// (go now; the next slot is now + delay) or the ms to wait. Redis's clock, not the caller's.
const RESERVE: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local next = tonumber(redis.call('GET', KEYS[1]) or '0')
if now < next then return next - now end
local delay = tonumber(ARGV[1])
redis.call('SET', KEYS[1], tostring(now + delay), 'PX', delay + 60000)
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
}

impl RedisConfig {
    pub fn new(url: &str) -> RedisConfig {
        RedisConfig {
            url: url.to_owned(),
            prefix: "qsword".into(),
            lease_ms: DEFAULT_LEASE_MS,
        }
    }
}

/// The crawler's [`Frontier`] over Redis (see the crate doc).
pub struct RedisFrontier {
    con: Connection,
    keys: Keys,
    worker: String,
    lease_ms: u64,
    /// Hosts this process holds a lease on (renewed by the background thread).
    held: Arc<Mutex<HashSet<String>>>,
    /// Dropped with the frontier: stops the renewal thread.
    _stop: mpsc::Sender<()>,
    push: Script,
    lease: Script,
    release: Script,
}

fn err(e: redis::RedisError) -> FrontierError {
    Box::new(e)
}

impl RedisFrontier {
    /// Connects (checking the server answers) and starts the lease renewal thread.
    pub fn connect(cfg: &RedisConfig) -> Result<RedisFrontier, FrontierError> {
        let client = Client::open(cfg.url.as_str()).map_err(err)?;
        let mut con = client.get_connection().map_err(err)?;
        redis::cmd("PING").query::<String>(&mut con).map_err(err)?;
        let mut renew_con = client.get_connection().map_err(err)?;
        let keys = Keys {
            prefix: cfg.prefix.clone(),
        };
        let worker = format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple());
        let held: Arc<Mutex<HashSet<String>>> = Arc::default();
        let (stop, stopped) = mpsc::channel::<()>();
        let lease_ms = cfg.lease_ms.max(30);
        {
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
                        for h in hosts {
                            match renew
                                .key(keys.lease(&h))
                                .arg(&worker)
                                .arg(lease_ms)
                                .invoke::<i64>(&mut renew_con)
                            {
                                Ok(1) => {}
                                Ok(_) => {
                                    held.lock().unwrap_or_else(|e| e.into_inner()).remove(&h);
                                }
                                Err(e) => tracing::warn!(host = %h, "renewing the host lease: {e}"),
                            }
                        }
                    }
                })
                .map_err(|e| Box::new(e) as FrontierError)?;
        }
        Ok(RedisFrontier {
            con,
            keys,
            worker,
            lease_ms,
            held,
            _stop: stop,
            push: Script::new(PUSH),
            lease: Script::new(LEASE),
            release: Script::new(RELEASE),
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
        let mut n = 0;
        for p in 0..=2 {
            n += redis::cmd("LLEN")
                .arg(self.keys.queue(host, p))
                .query::<u64>(&mut self.con)
                .map_err(err)?;
        }
        Ok(n)
    }

    /// URLs in the seen-set.
    pub fn seen(&mut self) -> Result<u64, FrontierError> {
        redis::cmd("SCARD")
            .arg(self.keys.seen())
            .query(&mut self.con)
            .map_err(err)
    }

    /// Hosts that ever had URLs queued.
    pub fn hosts(&mut self) -> Result<Vec<String>, FrontierError> {
        let mut v: Vec<String> = redis::cmd("SMEMBERS")
            .arg(self.keys.hosts())
            .query(&mut self.con)
            .map_err(err)?;
        v.sort();
        Ok(v)
    }

    /// Gives up the host's lease now if nothing of it is in flight here (another worker may
    /// take it at once, instead of after the lease expires).
    pub fn drop_host(&mut self, host: &str) -> Result<(), FrontierError> {
        self.release_host(host, &[])
    }

    fn add(&mut self, urls: &[NewUrl], queue: bool) -> Result<NewPerHost, FrontierError> {
        let mut new = NewPerHost::new();
        // Bounded script calls: a huge sitemap must not block Redis for long.
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
            let added: Vec<i64> = inv.invoke(&mut self.con).map_err(err)?;
            for (u, a) in chunk.iter().zip(added) {
                if a == 1 {
                    match new.iter_mut().find(|(h, _)| *h == u.host) {
                        Some((_, n)) => *n += 1,
                        None => new.push((u.host.clone(), 1)),
                    }
                }
            }
        }
        Ok(new)
    }

    fn release_host(&mut self, host: &str, leases: &[&Lease]) -> Result<(), FrontierError> {
        let mut inv = self.release.prepare_invoke();
        inv.key(self.keys.inflight(host)).key(self.keys.lease(host));
        inv.arg(&self.worker);
        for l in leases {
            inv.key(self.keys.queue(host, l.kind.priority()));
            inv.arg(l.url.as_str()).arg(Entry::of_lease(l).json());
        }
        inv.invoke::<i64>(&mut self.con).map_err(err)?;
        let still: bool = redis::cmd("GET")
            .arg(self.keys.lease(host))
            .query::<Option<String>>(&mut self.con)
            .map_err(err)?
            .is_some_and(|w| w == self.worker);
        if !still {
            self.held
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(host);
        }
        Ok(())
    }
}

impl Frontier for RedisFrontier {
    fn push(&mut self, urls: &[NewUrl]) -> Result<NewPerHost, FrontierError> {
        self.add(urls, true)
    }

    fn lease(&mut self, host: &str, max: usize) -> Result<Vec<Lease>, FrontierError> {
        let reply: Vec<redis::Value> = self
            .lease
            .key(self.keys.lease(host))
            .key(self.keys.inflight(host))
            .key(self.keys.queue(host, 2))
            .key(self.keys.queue(host, 1))
            .key(self.keys.queue(host, 0))
            .arg(&self.worker)
            .arg(self.lease_ms)
            .arg(max)
            .invoke(&mut self.con)
            .map_err(err)?;
        let mut it = reply.into_iter();
        let code: i64 = match it.next() {
            Some(v) => redis::from_redis_value(v).map_err(|e| Box::new(e) as FrontierError)?,
            None => return Err("empty answer from the lease script".into()),
        };
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if code == 1 {
            // Another live worker owns the host.
            held.remove(host);
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for v in it {
            let s: String = redis::from_redis_value(v).map_err(|e| Box::new(e) as FrontierError)?;
            let e: Entry = serde_json::from_str(&s)?;
            out.push(e.lease()?);
        }
        if out.is_empty() {
            // The script dropped the lease unless something is still in flight.
            let owner: Option<String> = redis::cmd("GET")
                .arg(self.keys.lease(host))
                .query(&mut self.con)
                .map_err(err)?;
            if owner.as_deref() != Some(self.worker.as_str()) {
                held.remove(host);
                return Ok(out);
            }
        }
        held.insert(host.to_owned());
        Ok(out)
    }

    fn commit(&mut self, pages: Vec<PageOutcome>) -> Result<NewPerHost, FrontierError> {
        let mut new = NewPerHost::new();
        for p in &pages {
            self.add(&p.redirected, false)?;
            for (h, n) in self.add(&p.discovered, true)? {
                match new.iter_mut().find(|(x, _)| *x == h) {
                    Some((_, c)) => *c += n,
                    None => new.push((h, n)),
                }
            }
        }
        let mut pipe = redis::pipe();
        for p in &pages {
            pipe.cmd("HDEL")
                .arg(self.keys.inflight(&p.lease.host))
                .arg(p.lease.url.as_str())
                .ignore();
        }
        pipe.query::<()>(&mut self.con).map_err(err)?;
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
}

/// Each host's next allowed request time, in Redis, shared by every worker of a crawl.
pub struct HostClock {
    con: Mutex<Connection>,
    keys: Keys,
    reserve: Script,
}

impl HostClock {
    pub fn connect(cfg: &RedisConfig) -> Result<HostClock, FrontierError> {
        let client = Client::open(cfg.url.as_str()).map_err(err)?;
        let con = client.get_connection().map_err(err)?;
        Ok(HostClock {
            con: Mutex::new(con),
            keys: Keys {
                prefix: cfg.prefix.clone(),
            },
            reserve: Script::new(RESERVE),
        })
    }

    /// Takes the host's next request slot if it is due: `Ok(None)` means send now (the next
    /// slot is `delay` from now, on Redis's clock); `Ok(Some(wait))` means try again after `wait`.
    pub fn try_reserve(
        &self,
        host: &str,
        delay: Duration,
    ) -> Result<Option<Duration>, FrontierError> {
        let mut con = self.con.lock().unwrap_or_else(|e| e.into_inner());
        let wait: u64 = self
            .reserve
            .key(self.keys.next(host))
            .arg(delay.as_millis() as u64)
            .invoke(&mut *con)
            .map_err(err)?;
        Ok((wait > 0).then(|| Duration::from_millis(wait)))
    }

    /// Blocks until the host's slot is taken (see [`HostClock::try_reserve`]).
    pub fn reserve(&self, host: &str, delay: Duration) -> Result<(), FrontierError> {
        while let Some(wait) = self.try_reserve(host, delay)? {
            std::thread::sleep(wait);
        }
        Ok(())
    }
}
