//! `qsword cluster status`: what the shared frontier holds now — workers (alive or gone, last
//! heartbeat, hosts owned, visits committed and refused), hosts (owner, queued, in flight),
//! the seen-set, the ingest stream and the rate of the last minute. Read-only; a snapshot
//! taken with a few pipelined reads, not one atomic view.

use std::collections::BTreeMap;

use qsword_crawler::FrontierError;
use serde::Serialize;

use crate::{unix_ms, RedisConfig, WorkerInfo};

#[derive(Debug, Clone, Serialize)]
pub struct WorkerStatus {
    pub id: String,
    pub machine: String,
    pub pid: u32,
    pub warc_dir: String,
    /// A heartbeat is live (it expires with the lease time).
    pub alive: bool,
    /// Milliseconds since the last heartbeat, by this machine's clock; `None` when gone.
    pub last_seen_ms_ago: Option<u64>,
    pub hosts_owned: Vec<String>,
    pub committed: u64,
    pub refused: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct HostStatus {
    pub host: String,
    /// The worker holding the host's lease.
    pub owner: Option<String>,
    pub queued: u64,
    pub in_flight: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClusterStatus {
    pub prefix: String,
    pub workers: Vec<WorkerStatus>,
    pub hosts: Vec<HostStatus>,
    pub queued: u64,
    pub in_flight: u64,
    pub seen: u64,
    /// Entries waiting for the coordinator (delivered or not).
    pub stream_length: u64,
    /// Entries delivered to the coordinator and not yet acknowledged.
    pub stream_pending: u64,
    /// Visits committed over the last 60 s (six 10-second buckets of Redis time, the current
    /// one included).
    pub pages_last_minute: u64,
    pub committed: u64,
}

/// The first pipelined read: workers, hosts, seen, pages and refusals per worker, stream
/// length, Redis TIME.
type Snapshot = (
    BTreeMap<String, String>,
    Vec<String>,
    u64,
    BTreeMap<String, u64>,
    BTreeMap<String, u64>,
    u64,
    (u64, u64),
);

impl ClusterStatus {
    pub fn read(cfg: &RedisConfig) -> Result<ClusterStatus, FrontierError> {
        let keys = cfg.keys();
        let mut link = cfg.link()?;
        let (workers, hosts, seen, pages, refused, stream_len, now): Snapshot =
            link.run("reading the cluster", |c| {
                redis::pipe()
                    .hgetall(keys.workers())
                    .smembers(keys.hosts())
                    .scard(keys.seen())
                    .hgetall(keys.pages())
                    .hgetall(keys.refusals())
                    .cmd("XLEN")
                    .arg(keys.stream())
                    .cmd("TIME")
                    .query(c)
            })?;
        let mut hosts = hosts;
        hosts.sort();
        // (An empty pipeline is an error in the client: nothing to ask, no round trip.)
        let per_host: Vec<u64> = if hosts.is_empty() {
            Vec::new()
        } else {
            link.run("reading the hosts", |c| {
                let mut pipe = redis::pipe();
                for h in &hosts {
                    for p in 0..=2 {
                        pipe.llen(keys.queue(h, p));
                    }
                    pipe.hlen(keys.inflight(h));
                }
                pipe.query(c)
            })?
        };
        let owners: Vec<Option<String>> = if hosts.is_empty() {
            Vec::new()
        } else {
            link.run("reading the leases", |c| {
                let mut pipe = redis::pipe();
                for h in &hosts {
                    pipe.get(keys.lease(h));
                }
                pipe.query(c)
            })?
        };
        let ids: Vec<&String> = workers.keys().collect();
        let beats: Vec<Option<u64>> = if ids.is_empty() {
            Vec::new()
        } else {
            link.run("reading heartbeats", |c| {
                let mut pipe = redis::pipe();
                for w in &ids {
                    pipe.get(keys.alive(w));
                }
                pipe.query(c)
            })?
        };
        let bucket = now.0 / 10;
        let rates: Vec<Option<u64>> = link.run("reading the rate", |c| {
            let mut pipe = redis::pipe();
            for b in bucket.saturating_sub(5)..=bucket {
                pipe.get(format!("{}{b}", keys.rate_prefix()));
            }
            pipe.query(c)
        })?;
        let pending: u64 = link.run("reading the stream's pending entries", |c| {
            match redis::cmd("XPENDING")
                .arg(keys.stream())
                .arg("ingest")
                .query::<redis::Value>(c)
            {
                Ok(redis::Value::Array(v)) => Ok(v
                    .into_iter()
                    .next()
                    .and_then(|n| redis::from_redis_value::<u64>(n).ok())
                    .unwrap_or(0)),
                Ok(_) => Ok(0),
                // No consumer group yet: no coordinator has started.
                Err(e) if e.code() == Some("NOGROUP") => Ok(0),
                Err(e) => Err(e),
            }
        })?;
        let host_status: Vec<HostStatus> = hosts
            .iter()
            .zip(per_host.chunks(4))
            .zip(owners)
            .map(|((h, n), owner)| HostStatus {
                host: h.clone(),
                owner,
                queued: n[..3].iter().sum(),
                in_flight: n[3],
            })
            .collect();
        let local_now = unix_ms();
        let worker_status: Vec<WorkerStatus> = workers
            .iter()
            .zip(beats)
            .map(|((id, info), beat)| {
                let info: Option<WorkerInfo> = serde_json::from_str(info).ok();
                WorkerStatus {
                    id: id.clone(),
                    machine: info.as_ref().map(|i| i.machine.clone()).unwrap_or_default(),
                    pid: info.as_ref().map_or(0, |i| i.pid),
                    warc_dir: info.map(|i| i.warc_dir).unwrap_or_default(),
                    alive: beat.is_some(),
                    last_seen_ms_ago: beat.map(|b| local_now.saturating_sub(b)),
                    hosts_owned: host_status
                        .iter()
                        .filter(|h| h.owner.as_deref() == Some(id.as_str()))
                        .map(|h| h.host.clone())
                        .collect(),
                    committed: pages.get(id).copied().unwrap_or(0),
                    refused: refused.get(id).copied().unwrap_or(0),
                }
            })
            .collect();
        Ok(ClusterStatus {
            prefix: cfg.prefix.clone(),
            queued: host_status.iter().map(|h| h.queued).sum(),
            in_flight: host_status.iter().map(|h| h.in_flight).sum(),
            committed: pages.values().sum(),
            workers: worker_status,
            hosts: host_status,
            seen,
            stream_length: stream_len,
            stream_pending: pending,
            pages_last_minute: rates.into_iter().flatten().sum(),
        })
    }
}
