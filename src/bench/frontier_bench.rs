//! `qsword bench frontier`: the shared Redis frontier alone. Pushes `--urls` product URLs over
//! `--hosts` hosts in page-sized batches, then visits a sample the way a worker does — lease
//! a host's batch of 16, commit each page with its capture (a listing as large as a real one)
//! and the links it shows (all known already, as most links are) — and takes and releases
//! the shared host clock once per visit. Reports operations per second, per-call latency
//! percentiles, Redis `used_memory` before and after (bytes per URL, and the seen-set alone
//! by `MEMORY USAGE`), and this process's peak RSS. One client, as each worker has one
//! keeper thread: the figure is per worker; Redis itself is shared by all of them.

use super::{peak_rss_mib, percentiles_ms};
use anyhow::{ensure, Context, Result};
use qsword_crawler::{
    Answered, Frontier, HostSlots, Lease, NewUrl, PageOutcome, UrlKind, VisitState, WarcRef,
};
use qsword_frontier_redis::{cpu_used, memory_used, HostClock, RedisConfig, RedisFrontier};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct FrontierArgs {
    /// URLs pushed (and kept in the seen-set).
    #[arg(long, default_value_t = 1_000_000)]
    urls: usize,
    /// Hosts they are spread over.
    #[arg(long, default_value_t = 1_000)]
    hosts: usize,
    /// Pages visited (leased, committed, clock taken) after the push.
    #[arg(long, default_value_t = 50_000)]
    visits: usize,
    /// A Redis to measure against (its `qsword-bench` keys are deleted after); default: a
    /// throwaway `redis-server` started on a free loopback port.
    #[arg(long)]
    redis: Option<String>,
}

/// A throwaway redis-server, stopped when dropped.
struct OwnRedis(Child);

impl Drop for OwnRedis {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn own_redis() -> Result<(OwnRedis, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = Command::new("redis-server")
        .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .spawn()
        .context("starting redis-server (apt-get install redis-server, or pass --redis URL)")?;
    let guard = OwnRedis(child);
    let until = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        ensure!(
            Instant::now() < until,
            "redis-server did not listen on {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok((guard, format!("redis://127.0.0.1:{port}/0")))
}

fn new_url(host: usize, n: usize) -> NewUrl {
    let host_key = format!("http://h{host}.bench.example");
    NewUrl {
        url: url::Url::parse(&format!("{host_key}/item/{n}.html")).expect("a valid URL"),
        host: host_key,
        site: "bench".into(),
        kind: UrlKind::Product,
        depth: 1,
        lastmod: None,
    }
}

static RECORDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A visited page as the crawler reports it: one fetch, a listing, ten known links.
fn outcome(lease: Lease, links: Vec<NewUrl>) -> PageOutcome {
    let now = chrono::Utc::now();
    let warc = WarcRef {
        file: "/var/lib/qsword/warc/qsword-20261204-00001.warc.gz".into(),
        record_id: format!(
            "<urn:uuid:00000000-0000-4000-8000-{:012x}>",
            RECORDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ),
        offset: 123_456_789,
        payload_digest: "sha1:2Z5X3LPQ7Q3VMXEN6HZ5BHKQ4KXPM2IY".into(),
    };
    let mut listing = qsword_listing::Listing::new(
        lease.url.as_str(),
        "飞利浦 空气炸锅 HD9252 4.1L 家用大容量 无油 智能 多功能 电炸锅",
    );
    listing.brand = Some("Philips".into());
    listing.model = Some("HD9252".into());
    listing.category_path = vec!["家用电器".into(), "厨房电器".into(), "空气炸锅".into()];
    listing.description =
        Some("飞利浦空气炸锅，4.1升大容量，快速空气循环技术，少油更健康。".repeat(4));
    listing.fetched_at = Some(now);
    let fetch = qsword_crawler::FetchRecord {
        url: lease.url.to_string(),
        final_url: lease.url.to_string(),
        status: Some(200),
        content_type: Some("text/html; charset=utf-8".into()),
        etag: Some("\"5f1e-61a2b3c4\"".into()),
        last_modified: None,
        content_digest: Some(warc.payload_digest.clone()),
        warc: Some(warc.clone()),
        fetched_at: now,
        response_us: Some(850),
        error: None,
    };
    PageOutcome {
        lease,
        state: VisitState::Done,
        answer: Some(Answered {
            at: now,
            status: 200,
            etag: fetch.etag.clone(),
            last_modified: None,
        }),
        error: None,
        fetches: vec![fetch],
        listing: Some((listing, warc)),
        discovered: links,
        redirected: Vec::new(),
        blocked: None,
    }
}

fn per_s(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

pub fn run(args: &FrontierArgs) -> Result<()> {
    ensure!(
        args.urls > 0 && args.hosts > 0,
        "--urls and --hosts must be at least 1"
    );
    let (_own, url) = match &args.redis {
        Some(u) => (None, u.clone()),
        None => {
            let (g, u) = own_redis()?;
            (Some(g), u)
        }
    };
    let mut rc = RedisConfig::new(&url);
    rc.prefix = "qsword-bench".into();
    qsword_frontier_redis::clear(&rc).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mem = || memory_used(&rc).map_err(|e| anyhow::anyhow!("{e}"));
    let (before, _) = mem()?;
    println!(
        "bench frontier: {} URLs over {} hosts, {} visits, Redis at {url} ({} cores)",
        args.urls,
        args.hosts,
        args.visits,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let mut f = RedisFrontier::connect(&rc).map_err(|e| anyhow::anyhow!("{e}"))?;

    // Push: batches of 100, as a page's links arrive (the keeper batches a few pages at once).
    let mut lat = Vec::new();
    let started = Instant::now();
    let mut batch = Vec::with_capacity(100);
    for i in 0..args.urls {
        batch.push(new_url(i % args.hosts, i / args.hosts));
        if batch.len() == 100 || i + 1 == args.urls {
            let t = Instant::now();
            f.push(&batch).map_err(|e| anyhow::anyhow!("{e}"))?;
            lat.push(t.elapsed().as_secs_f64() * 1e3);
            batch.clear();
        }
    }
    let push_time = started.elapsed();
    let (after_push, seen_set) = mem()?;
    println!(
        "push       {:>9.0} URLs/s ({} calls of 100: {})",
        per_s(args.urls, push_time),
        lat.len(),
        percentiles_ms(std::mem::take(&mut lat))
    );
    let per_url = (after_push.saturating_sub(before)) as f64 / args.urls as f64;
    println!(
        "memory     {per_url:.0} bytes per queued URL (seen-set + queue entry); seen-set alone {:.0} bytes per URL ({:.1} MiB for {} URLs) → {:.0} MiB per 1,000,000 URLs",
        seen_set as f64 / args.urls as f64,
        seen_set as f64 / 1048576.0,
        args.urls,
        per_url * 1e6 / 1048576.0
    );

    // Visits: lease 16 of a host, commit each page (capture + 10 known links), clock per page.
    let clock = HostClock::connect(&rc).map_err(|e| anyhow::anyhow!("{e}"))?;
    let (mut lease_lat, mut commit_lat, mut clock_lat) = (Vec::new(), Vec::new(), Vec::new());
    let mut visited = 0;
    let mut host = 0;
    let cpu_before = cpu_used(&rc).map_err(|e| anyhow::anyhow!("{e}"))?;
    let started = Instant::now();
    while visited < args.visits.min(args.urls) {
        let key = format!("http://h{}.bench.example", host % args.hosts);
        host += 1;
        let t = Instant::now();
        let leases = f.lease(&key, 16).map_err(|e| anyhow::anyhow!("{e}"))?;
        lease_lat.push(t.elapsed().as_secs_f64() * 1e3);
        for l in leases {
            let links: Vec<NewUrl> = (0..10).map(|k| new_url(host % args.hosts, k)).collect();
            let t = Instant::now();
            clock
                .try_reserve(&key, Duration::ZERO)
                .and_then(|_| HostSlots::finished(&clock, &key, Duration::ZERO))
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            clock_lat.push(t.elapsed().as_secs_f64() * 1e3);
            let t = Instant::now();
            f.commit(vec![outcome(l, links)])
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            commit_lat.push(t.elapsed().as_secs_f64() * 1e3);
            visited += 1;
        }
    }
    let visit_time = started.elapsed();
    let redis_cpu = cpu_used(&rc).map_err(|e| anyhow::anyhow!("{e}"))? - cpu_before;
    let (after_visits, _) = mem()?;
    println!(
        "visits     {:>9.0} pages/s through one client (lease + clock + commit)",
        per_s(visited, visit_time)
    );
    println!(
        "  redis    {:.1} CPU s for {visited} visits = {:.0} µs per visit → one Redis core serves ~{:.0} visits/s from all workers",
        redis_cpu,
        redis_cpu * 1e6 / visited.max(1) as f64,
        visited as f64 / redis_cpu.max(1e-9)
    );
    println!("  lease    {} (batches of 16)", percentiles_ms(lease_lat));
    println!(
        "  clock    {} (reserve + finished)",
        percentiles_ms(clock_lat)
    );
    println!(
        "  commit   {} (one page: capture JSON to the stream + 10 known links)",
        percentiles_ms(commit_lat)
    );
    println!(
        "memory     used_memory {:.1} MiB before, {:.1} MiB after the push, {:.1} MiB after the visits ({} captures waiting in the ingest stream: {:.0} bytes each until the coordinator stores them)",
        before as f64 / 1048576.0,
        after_push as f64 / 1048576.0,
        after_visits as f64 / 1048576.0,
        visited,
        (after_visits as f64 - after_push as f64) / visited.max(1) as f64
    );
    drop(f);
    qsword_frontier_redis::clear(&rc).map_err(|e| anyhow::anyhow!("{e}"))?;
    match peak_rss_mib() {
        Some(m) => println!("peak RSS   {m:.0} MiB (this client)"),
        None => println!("peak RSS   unavailable (no /proc/self/status)"),
    }
    Ok(())
}
