//! The coordinator's end of the ingest stream: every visit a worker committed is one entry
//! (the worker's id and the [`Capture`] as JSON), read through a consumer group so that a
//! coordinator killed mid-batch reads its unacknowledged entries again on restart. An entry is
//! acknowledged and deleted once the caller has stored it; the caller's store write must be
//! idempotent, since a crash between the two delivers the entry again.
//!
//! Not for several coordinators: one consumer (`coordinator`) reads everything in order.

use std::time::Duration;

use qsword_crawler::{Capture, FrontierError};

use crate::link::Link;
use crate::{Keys, RedisConfig, WorkerInfo};

const GROUP: &str = "ingest";
const CONSUMER: &str = "coordinator";

/// One committed visit, as read from the stream.
#[derive(Debug, Clone)]
pub struct IngestEntry {
    /// The stream entry id (`ms-seq`).
    pub id: String,
    /// The worker that committed it.
    pub worker: String,
    pub capture: Capture,
}

/// The ingest stream, read by the coordinator (see the module doc).
pub struct IngestStream {
    link: Link,
    keys: Keys,
    /// Still reading entries delivered before a restart and never acknowledged.
    pending_first: bool,
    /// Since when no worker has been alive and the stream empty.
    quiet_since: Option<std::time::Instant>,
}

type Reply = Option<Vec<(String, Vec<(String, Vec<String>)>)>>;

impl IngestStream {
    /// Connects and creates the consumer group (and the stream) if they do not exist yet.
    pub fn connect(cfg: &RedisConfig) -> Result<IngestStream, FrontierError> {
        let mut link = cfg.link()?;
        let keys = cfg.keys();
        let stream = keys.stream();
        link.run(
            "creating the ingest consumer group",
            |c| match redis::cmd("XGROUP")
                .arg("CREATE")
                .arg(&stream)
                .arg(GROUP)
                .arg("0")
                .arg("MKSTREAM")
                .query::<()>(c)
            {
                Err(e) if e.code() == Some("BUSYGROUP") => Ok(()),
                other => other,
            },
        )?;
        Ok(IngestStream {
            link,
            keys,
            pending_first: true,
            quiet_since: None,
        })
    }

    /// Up to `max` entries: first those delivered to an earlier run and never acknowledged,
    /// then new ones, waiting up to `block` for some. A malformed entry is an error naming it.
    pub fn read(&mut self, max: usize, block: Duration) -> Result<Vec<IngestEntry>, FrontierError> {
        let stream = self.keys.stream();
        let mut from = if self.pending_first { "0" } else { ">" };
        // A retry reads the pending entries: if the first attempt's reply was lost, Redis has
        // already marked its entries delivered, and `>` would never hand them out again.
        let reply: Reply = self.link.run("reading the ingest stream", |c| {
            let this = from;
            from = "0";
            let mut cmd = redis::cmd("XREADGROUP");
            cmd.arg("GROUP")
                .arg(GROUP)
                .arg(CONSUMER)
                .arg("COUNT")
                .arg(max);
            if this == ">" {
                cmd.arg("BLOCK").arg(block.as_millis() as u64);
            }
            cmd.arg("STREAMS").arg(&stream).arg(this).query(c)
        })?;
        let entries: Vec<(String, Vec<String>)> = reply
            .into_iter()
            .flatten()
            .flat_map(|(_, entries)| entries)
            .collect();
        if self.pending_first && entries.is_empty() {
            self.pending_first = false;
            return self.read(max, block);
        }
        let mut out = Vec::with_capacity(entries.len());
        for (id, fields) in entries {
            let mut worker = None;
            let mut capture = None;
            for kv in fields.chunks(2) {
                match (kv[0].as_str(), kv.get(1)) {
                    ("w", Some(v)) => worker = Some(v.clone()),
                    ("c", Some(v)) => {
                        capture = Some(serde_json::from_str::<Capture>(v).map_err(|e| {
                            format!("ingest stream entry {id}: field `c` is not a capture: {e}")
                        })?)
                    }
                    _ => {}
                }
            }
            let capture =
                capture.ok_or_else(|| format!("ingest stream entry {id}: no field `c`"))?;
            out.push(IngestEntry {
                id,
                worker: worker.unwrap_or_default(),
                capture,
            });
        }
        Ok(out)
    }

    /// Acknowledges stored entries and deletes them (the stream holds only what is not stored).
    pub fn ack(&mut self, ids: &[String]) -> Result<(), FrontierError> {
        if ids.is_empty() {
            return Ok(());
        }
        let stream = self.keys.stream();
        self.link.run("acknowledging ingested entries", |c| {
            redis::pipe()
                .cmd("XACK")
                .arg(&stream)
                .arg(GROUP)
                .arg(ids)
                .ignore()
                .cmd("XDEL")
                .arg(&stream)
                .arg(ids)
                .ignore()
                .query::<()>(c)
        })
    }

    /// The crawl is over: some worker joined, and for a whole lease time (the longest of the
    /// workers') none has been alive and the stream has been empty. The wait matters: after a
    /// Redis restart the heartbeats may have expired while their workers are still
    /// reconnecting, and they beat again within a third of their lease time.
    pub fn crawl_over(&mut self) -> Result<bool, FrontierError> {
        let (workers, stream) = (self.keys.workers(), self.keys.stream());
        let known: std::collections::HashMap<String, String> =
            self.link.run("listing workers", |c| {
                redis::cmd("HGETALL").arg(&workers).query(c)
            })?;
        if known.is_empty() {
            return Ok(false);
        }
        let lease_ms = known
            .values()
            .filter_map(|i| serde_json::from_str::<WorkerInfo>(i).ok())
            .map(|i| i.lease_ms)
            .max()
            .unwrap_or(crate::DEFAULT_LEASE_MS);
        let alive: Vec<String> = known.keys().map(|w| self.keys.alive(w)).collect();
        let (live, len): (u64, u64) = self.link.run("checking live workers", |c| {
            redis::pipe()
                .cmd("EXISTS")
                .arg(&alive)
                .cmd("XLEN")
                .arg(&stream)
                .query(c)
        })?;
        if len > 0 {
            // Entries delivered and never acknowledged (a lost reply): read them again.
            self.pending_first = true;
        }
        if live > 0 || len > 0 {
            self.quiet_since = None;
            return Ok(false);
        }
        let since = *self.quiet_since.get_or_insert_with(std::time::Instant::now);
        Ok(since.elapsed() >= Duration::from_millis(lease_ms))
    }
}
