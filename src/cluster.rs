//! Scale-out crawl over a shared Redis frontier (issue 9): `qsword crawl --frontier redis://…`
//! runs this process as one **worker** (no store: its visits go to the Redis ingest stream,
//! its WARC files stay on its disk), `qsword ingest` is the **coordinator** that stores what
//! the workers stream (with the single-process crawl's own [`record_capture`]), and `qsword
//! cluster status` shows workers, hosts, queues and rates. The Redis side (leases, seen-set,
//! exactly-once commit, shared host clock) is `qsword-frontier-redis`; this module is glue.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use qsword_crawler::{CrawlerConfig, Site};
use qsword_frontier_redis::{ClusterStatus, HostClock, IngestStream, RedisConfig, RedisFrontier};

use crate::config::ClusterSection;
use crate::frontier::record_capture;
use crate::pipeline::{run_id, write_run_report, CrawlSummary, Ctx, Progress};

/// Where the shared frontier is: flags over `[cluster]`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct FrontierArgs {
    /// The shared frontier, `redis://HOST:PORT/DB` (overrides `cluster.frontier`).
    #[arg(long)]
    pub frontier: Option<String>,
    /// Key prefix of the crawl in Redis (overrides `cluster.prefix`).
    #[arg(long)]
    pub prefix: Option<String>,
    /// Host lease time in ms (overrides `cluster.lease_ms`).
    #[arg(long)]
    pub lease_ms: Option<u64>,
}

impl FrontierArgs {
    /// The Redis frontier named by the flags or the config, or `None` (single-process crawl).
    pub fn redis(&self, ctx: &Ctx) -> Result<Option<RedisConfig>> {
        let c = &ctx.cfg.cluster;
        let Some(url) = self.frontier.clone().or_else(|| c.frontier.clone()) else {
            return Ok(None);
        };
        if self.frontier.is_some() {
            ClusterSection::check_url(&url, "--frontier")?;
        }
        let mut rc = RedisConfig::new(&url);
        rc.prefix = self.prefix.clone().unwrap_or_else(|| c.prefix.clone());
        rc.lease_ms = self.lease_ms.unwrap_or(c.lease_ms);
        if rc.lease_ms < 300 {
            anyhow::bail!("--lease-ms {} must be at least 300", rc.lease_ms);
        }
        Ok(Some(rc))
    }

    /// Like [`FrontierArgs::redis`], for commands that need a frontier.
    pub fn required(&self, ctx: &Ctx, command: &str) -> Result<RedisConfig> {
        self.redis(ctx)?.with_context(|| {
            format!("`qsword {command}` needs the shared frontier: --frontier redis://HOST:PORT/DB or `cluster.frontier` in the config")
        })
    }
}

/// The worker's WARC folder: `--warc-dir`, else `cluster.warc_dir`, else the data directory's.
pub fn warc_dir(ctx: &Ctx, flag: Option<&Path>) -> PathBuf {
    flag.map(Path::to_path_buf)
        .or_else(|| ctx.cfg.cluster.warc_dir.clone())
        .unwrap_or_else(|| ctx.warc_dir())
}

/// One worker's crawl: leases hosts from the shared frontier, fetches politely on the shared
/// host clock, commits each visit (with its capture, for the coordinator) to Redis.
pub fn work(
    ctx: &Ctx,
    crawler_cfg: &CrawlerConfig,
    sites: &[Site],
    rc: &RedisConfig,
    warc_dir: &Path,
) -> Result<String> {
    std::fs::create_dir_all(warc_dir)
        .with_context(|| format!("creating the WARC folder {}", warc_dir.display()))?;
    let warc_dir = std::path::absolute(warc_dir)?;
    let frontier = RedisFrontier::join(rc, &warc_dir.to_string_lossy())
        .map_err(|e| anyhow::anyhow!("joining the frontier at {}: {e}", rc.url))?;
    let worker = frontier.worker_id().to_owned();
    tracing::info!(worker = %worker, redis = %rc.url, "worker joined the shared frontier");
    let clock = Arc::new(
        HostClock::connect(rc)
            .map_err(|e| anyhow::anyhow!("the shared host clock at {}: {e}", rc.url))?,
    );
    let run = run_id();
    let rt = tokio::runtime::Runtime::new()?;
    let started = std::time::Instant::now();
    let (report, frontier) = rt
        .block_on(qsword_crawler::crawl_shared(
            crawler_cfg,
            sites,
            frontier,
            &warc_dir,
            clock,
        ))
        .with_context(|| format!("worker {worker}"))?;
    let summary = format!(
        "worker {worker}: {} visits committed, {} refused (their host had passed to another worker), {} pages fetched in {:.1}s; WARC files in {}",
        frontier.committed,
        frontier.refused,
        report.pages_fetched,
        started.elapsed().as_secs_f64(),
        warc_dir.display()
    );
    let json = serde_json::json!({
        "run": run, "kind": "crawl-worker", "worker": worker, "redis": rc.url,
        "committed": frontier.committed, "refused": frontier.refused, "crawler": report,
    });
    write_run_report(ctx, &format!("{run}-crawl-worker"), &json)?;
    Ok(summary)
}

/// The coordinator: stores every visit the workers committed, in batches, each batch one
/// store transaction acknowledged on the stream after it commits. `until_done`: return once
/// every worker has left and the stream is drained; otherwise run until killed.
pub fn ingest(ctx: &Ctx, rc: &RedisConfig, until_done: bool) -> Result<CrawlSummary> {
    let mut store = ctx.open_store()?;
    let mut stream = IngestStream::connect(rc)
        .map_err(|e| anyhow::anyhow!("the ingest stream at {}: {e}", rc.url))?;
    let catalogue = ctx.catalogue()?;
    let warc_dir = ctx.warc_dir();
    let mut summary = CrawlSummary::default();
    let progress = Progress::new("ingest");
    let started = std::time::Instant::now();
    loop {
        let entries = stream
            .read(256, Duration::from_secs(1))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        if entries.is_empty() {
            if until_done && stream.crawl_over().map_err(|e| anyhow::anyhow!("{e}"))? {
                break;
            }
            continue;
        }
        let now = chrono::Utc::now();
        let ids: Vec<String> = entries.iter().map(|e| e.id.clone()).collect();
        let n = entries.len();
        store.write(|tx| {
            for e in entries {
                record_capture(
                    tx,
                    &catalogue,
                    &mut summary,
                    e.capture,
                    now,
                    &warc_dir,
                    true,
                )?;
            }
            Ok(())
        })?;
        // Acknowledged after the store committed: a crash in between delivers the batch again,
        // and `record_capture(once)` and the upserts make that harmless.
        stream.ack(&ids).map_err(|e| anyhow::anyhow!("{e}"))?;
        let s = &summary;
        progress.tick_by(n as u64, || {
            format!("{} pages stored, {} new listings", s.pages, s.listings_new)
        });
    }
    progress.finish();
    summary.elapsed_s = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// `qsword cluster status`: a table, or the whole snapshot as JSON.
pub fn status(rc: &RedisConfig, json: bool) -> Result<()> {
    let s = ClusterStatus::read(rc).map_err(|e| anyhow::anyhow!("{e}"))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&s)?);
        return Ok(());
    }
    println!(
        "frontier {} (prefix {}): {} queued, {} in flight, {} seen; ingest stream {} waiting ({} delivered, unacknowledged); {} pages in the last minute, {} committed",
        rc.url, s.prefix, s.queued, s.in_flight, s.seen, s.stream_length, s.stream_pending, s.pages_last_minute, s.committed
    );
    println!();
    println!(
        "{:<40} {:<6} {:>10} {:>9} {:>8}  hosts owned",
        "worker", "state", "last seen", "committed", "refused"
    );
    for w in &s.workers {
        let seen = w.last_seen_ms_ago.map_or("-".to_owned(), |ms| {
            format!("{:.1}s ago", ms as f64 / 1000.0)
        });
        println!(
            "{:<40} {:<6} {:>10} {:>9} {:>8}  {}",
            w.id,
            if w.alive { "alive" } else { "gone" },
            seen,
            w.committed,
            w.refused,
            w.hosts_owned.join(" ")
        );
    }
    println!();
    println!("{:<40} {:>8} {:>9}  owner", "host", "queued", "in flight");
    for h in &s.hosts {
        println!(
            "{:<40} {:>8} {:>9}  {}",
            h.host,
            h.queued,
            h.in_flight,
            h.owner.as_deref().unwrap_or("-")
        );
    }
    Ok(())
}
