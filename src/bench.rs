//! `qsword bench`: measured runs against the simulated marketplace. Figures, not assertions:
//! speed is measured here, never in tests.
//!
//! - `bench pipeline` — the whole pipeline (crawl, detect, index, search) in one process.
//! - `bench crawl` — the crawler alone at scale (8 shops, ~200 000 product pages, politeness
//!   off, 1 000 000 URLs known to the frontier), with the market in a child process so CPU and
//!   memory figures are the crawler's own.
//! - `bench polite` — many hosts at a fixed per-host rate: the achieved total rate against the
//!   configured one (over the whole crawl, and over the steady state while every host is
//!   active), and the smallest gap any host saw between two requests (from the market's log).
//! - `bench extract` — extraction alone, single-threaded: pages/s and MB/s per page style on the
//!   simulated shops' product pages (rendered in memory, no network), and MB/s, pages/s and
//!   per-page latency on the real pages of the shared corpus.
//! - `bench index` — the search index alone at scale (default 100 000 simulated listings,
//!   `--listings 1000000` for the full figure): indexing rate, index size against the
//!   listings' JSON, and per-query latency percentiles for a fixed query mix.
//! - `bench nightly` — one whole night (crawl, detect, index, alerts, SMTP delivery) over
//!   ~100 000 listings, loopback politeness relaxed: stage timings and the total.
//! - `bench console` — the web console's search page over 1 000 000 simulated listings under 8
//!   concurrent logged-in clients on loopback: pages/s, server-side (`Server-Timing`) and
//!   client-side latency percentiles per page kind, peak RSS.
//! - `bench review` — the console's triage queue (`/triage`, `/api/triage`) and statistics
//!   (`/stats`) over a store of 1 000 000 simulated listings, 14 % flagged: server-side
//!   latency percentiles per page, and `/search` while a first statistics count runs.
//! - `bench frontier` — the shared Redis frontier alone (issue 9): operations per second,
//!   latency and Redis memory per URL.
//! - `bench detect` — the detector alone at scale (1 000 000 simulated listings in one batch):
//!   listings/s, seconds, peak RSS.

mod console_bench;
mod detect_bench;
mod frontier_bench;
mod index_bench;
mod nightly_bench;
mod review_bench;

use crate::demo::crawl_market;
use crate::pipeline::{self, Ctx};
use anyhow::{bail, Context, Result};
use qsword_crawler::Site;
use qsword_indexer::{ListingIndex, SearchRequest, Sort};
use qsword_marketsim::{
    LoggedRequest, Market, MarketConfig, RunningMarket, ServeOptions, ServedShop,
};
use qsword_store::{DiscoveredUrl, Store, UrlKind};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    command: BenchCommand,
}

#[derive(clap::Subcommand)]
enum BenchCommand {
    /// The whole pipeline on a larger simulated marketplace: throughput per stage, latency, memory.
    Pipeline(PipelineArgs),
    /// The crawler alone at scale, politeness off: pages/s, CPU per 1 000 pages, latency, peak RSS.
    Crawl(CrawlArgs),
    /// Many hosts at a fixed per-host rate: achieved total rate and the smallest per-host gap.
    Polite(PoliteArgs),
    /// Extraction alone, one thread: pages/s and MB/s per page style, and on real pages.
    Extract(ExtractArgs),
    /// The search index alone: listings/s indexed, size against JSON, query latency.
    Index(index_bench::IndexArgs),
    /// One whole night (crawl, detect, index, alerts, SMTP) over ~100 000 listings.
    Nightly(nightly_bench::NightlyBenchArgs),
    /// The console's search page over a million listings, concurrent clients: latency, memory.
    Console(console_bench::ConsoleArgs),
    /// The console's triage queue and statistics over a million-listing store: latency of
    /// each page, and of search while statistics are being counted.
    Review(review_bench::ReviewArgs),
    /// The detector alone: a million simulated listings scored in one batch, listings/s, memory.
    Detect(detect_bench::DetectArgs),
    /// The shared Redis frontier alone: push / lease / commit / clock per second, latency,
    /// Redis memory per URL.
    Frontier(frontier_bench::FrontierArgs),
}

#[derive(clap::Args)]
pub struct ExtractArgs {
    /// The shared corpus; its `product-pages/html/*.html.gz` are the real pages.
    #[arg(long, default_value = "../shared/corpus")]
    corpus: PathBuf,
    /// Catalogue products of the simulated marketplace (each offered ~15 times).
    #[arg(long, default_value_t = 400)]
    products: usize,
    /// Passes over the simulated pages (the first is also timed; more passes steady the figure).
    #[arg(long, default_value_t = 3)]
    passes: usize,
}

#[derive(clap::Args)]
pub struct PipelineArgs {
    /// Catalogue products of the simulated marketplace (each offered ~15 times).
    #[arg(long, default_value_t = 200)]
    products: usize,
    /// Per-host delay for the crawler, in ms (the shops announce the same Crawl-delay).
    /// 0 measures raw throughput; politeness then is only the one-request-at-a-time per host.
    #[arg(long, default_value_t = 0)]
    delay_ms: u64,
    /// Search queries to time (cycling over a fixed mix).
    #[arg(long, default_value_t = 500)]
    queries: usize,
}

#[derive(clap::Args)]
pub struct CrawlArgs {
    /// Shops of the simulated marketplace (5 ..= 8), each on its own host.
    #[arg(long, default_value_t = 8)]
    shops: usize,
    /// Catalogue products, each offered ~15 times (13 500 × 8 shops ≈ 200 000 product pages).
    #[arg(long, default_value_t = 13_500)]
    products: usize,
    /// Mirrors per shop (more hosts serving the same pages; each is crawled in full).
    #[arg(long, default_value_t = 0)]
    mirrors: usize,
    /// Synthetic queued URLs of a host that is not crawled, pushed before the crawl so the
    /// frontier knows about a million URLs as it would in production.
    #[arg(long, default_value_t = 800_000)]
    frontier_extra: u64,
    /// Requests in flight at once over all hosts (default: the configured crawler.concurrency).
    #[arg(long)]
    concurrency: Option<usize>,
    /// Keep the data directory (store, WARC) instead of deleting it.
    #[arg(long)]
    keep: bool,
}

#[derive(clap::Args)]
pub struct PoliteArgs {
    /// Hosts (a multiple of 5): 5 shops, each served on hosts/5 hosts (its own and mirrors).
    #[arg(long, default_value_t = 50)]
    hosts: usize,
    /// Requests per second per host (the per-host delay is 1000/rate ms, announced as the
    /// shops' Crawl-delay too).
    #[arg(long, default_value_t = 4.0)]
    rate: f64,
    /// How long to crawl (the crawler's `max_run_s` time budget).
    #[arg(long, default_value_t = 30.0)]
    seconds: f64,
    /// Catalogue products (every host serves its shop's ~3 products per catalogue product).
    #[arg(long, default_value_t = 200)]
    products: usize,
    /// Requests in flight at once over all hosts (default: the configured crawler.concurrency).
    #[arg(long)]
    concurrency: Option<usize>,
}

pub fn run(base: &Ctx, args: BenchArgs) -> Result<()> {
    let mut dir = ScratchDir::new("bench")?;
    let ctx = Ctx {
        cfg: base.cfg.clone(),
        cfg_path: None,
        data: dir.path.clone(),
    };
    match args.command {
        BenchCommand::Pipeline(a) => pipeline_bench(&ctx, &a),
        BenchCommand::Crawl(a) => {
            dir.keep = a.keep;
            crawl_bench(&ctx, &a)
        }
        BenchCommand::Polite(a) => polite_bench(&ctx, &a),
        BenchCommand::Extract(a) => extract_bench::run(&a),
        BenchCommand::Index(a) => index_bench::run(&dir, ctx.cfg.index.memory_mb, &a),
        BenchCommand::Nightly(a) => nightly_bench::run(&ctx, &a),
        BenchCommand::Console(a) => console_bench::run(&dir, &ctx.cfg, &a),
        BenchCommand::Review(a) => review_bench::run(&dir, &ctx.cfg, &a),
        BenchCommand::Frontier(a) => frontier_bench::run(&a),
        BenchCommand::Detect(a) => detect_bench::run(
            &qsword_detector::Detector::embedded(),
            ctx.cfg.detector.alert_min_risk,
            &a,
        ),
    }
}

/// The bench's data directory, removed when the bench ends (also on error) unless kept.
struct ScratchDir {
    path: PathBuf,
    keep: bool,
}

impl ScratchDir {
    fn new(kind: &str) -> Result<Self> {
        let path = std::env::temp_dir().join(format!("qsword-{kind}-{}", std::process::id()));
        std::fs::create_dir_all(&path).with_context(|| format!("creating {}", path.display()))?;
        Ok(ScratchDir { path, keep: false })
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        if self.keep {
            println!("data kept in {}", self.path.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// The p-th percentile (nearest rank) of sorted values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

fn percentiles_ms(mut values_ms: Vec<f64>) -> String {
    values_ms.sort_by(f64::total_cmp);
    format!(
        "p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms (n = {})",
        percentile(&values_ms, 50.0),
        percentile(&values_ms, 95.0),
        percentile(&values_ms, 99.0),
        values_ms.last().copied().unwrap_or(f64::NAN),
        values_ms.len()
    )
}

/// Peak resident memory of this process (Linux `VmHWM`), in MiB.
fn peak_rss_mib() -> Option<f64> {
    peak_rss_of("self")
}

fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

fn pipeline_bench(ctx: &Ctx, args: &PipelineArgs) -> Result<()> {
    println!(
        "qsword bench pipeline: {} products, per-host delay {} ms, {} cores ({})",
        args.products,
        args.delay_ms,
        cores(),
        build_kind()
    );
    let rt = tokio::runtime::Runtime::new()?;
    let t = Instant::now();
    let market = Arc::new(Market::generate(&MarketConfig {
        seed: 1,
        products: args.products,
        crawl_delay: args.delay_ms as f64 / 1000.0,
        ..Default::default()
    }));
    println!(
        "  generate   {:>8} offers in {:.2}s",
        market.truth().len(),
        t.elapsed().as_secs_f64()
    );
    let running = rt
        .block_on(qsword_marketsim::serve(market, ServeOptions::default()))
        .context("starting the simulated marketplace")?;
    let mut crawler_cfg = ctx.cfg.crawler.clone();
    crawler_cfg.default_delay_ms = args.delay_ms;
    crawler_cfg.max_pages = u64::MAX;
    let crawl = crawl_market(ctx, &running, crawler_cfg)?;
    let crawl_time = Duration::from_secs_f64(crawl.elapsed_s);
    println!(
        "  crawl      {:>8} pages in {:.2}s = {:.0} pages/s over 5 hosts ({} listings stored, {} errors)",
        crawl.pages,
        crawl.elapsed_s,
        rate(crawl.pages, crawl_time),
        crawl.listings_new + crawl.listings_changed + crawl.listings_unchanged,
        crawl.errors
    );
    println!(
        "  fetch      response time {}",
        percentiles_ms(
            crawl
                .response_us
                .iter()
                .map(|&us| us as f64 / 1000.0)
                .collect()
        )
    );
    rt.block_on(running.shutdown());
    if let Some(m) = peak_rss_mib() {
        println!("  memory     peak RSS after the crawl {m:.0} MiB");
    }

    let t = Instant::now();
    let detect = pipeline::detect(ctx)?;
    println!(
        "  detect     {:>8} listings in {:.2}s = {:.0} listings/s ({} flagged)",
        detect.listings,
        t.elapsed().as_secs_f64(),
        rate(detect.listings, t.elapsed()),
        detect.flagged
    );
    let t = Instant::now();
    let indexed = pipeline::index(ctx)?;
    let index_size: u64 = std::fs::read_dir(ctx.index_dir())?
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    println!(
        "  index      {:>8} listings in {:.2}s = {:.0} listings/s, {:.1} MiB on disk",
        indexed,
        t.elapsed().as_secs_f64(),
        rate(indexed, t.elapsed()),
        index_size as f64 / (1024.0 * 1024.0)
    );

    let index = ListingIndex::open_or_create(&ctx.index_dir())?;
    let mix: Vec<SearchRequest> = vec![
        SearchRequest::new("插座"),
        SearchRequest::new("空气炸锅"),
        SearchRequest::new("philips"),
        SearchRequest {
            brand: Some("公牛".into()),
            max_price: Some(30.into()),
            ..SearchRequest::new("插座")
        },
        SearchRequest {
            sort: Sort::RiskDesc,
            ..SearchRequest::new("")
        },
        SearchRequest::new("HD9252"),
    ];
    let mut times = Vec::with_capacity(args.queries);
    for i in 0..args.queries {
        let t = Instant::now();
        let r = index.search(&mix[i % mix.len()])?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(r);
    }
    println!("  search     {}", percentiles_ms(times));
    match peak_rss_mib() {
        Some(m) => println!(
            "  memory     peak RSS {m:.0} MiB (whole process: marketplace, crawler, store, index)"
        ),
        None => println!("  memory     peak RSS unavailable (no /proc/self/status)"),
    }
    Ok(())
}

/// What `qsword marketsim --urls-file` writes: where the shops are, and how many product pages
/// they serve (so a bench need not generate the market itself to know).
#[derive(serde::Serialize, serde::Deserialize)]
pub struct ServedMarket {
    /// Product pages, live and delisted.
    pub offers: usize,
    /// Live product pages over all shops.
    pub live_offers: usize,
    pub shops: Vec<ServedShop>,
}

impl ServedMarket {
    pub fn of(running: &RunningMarket) -> ServedMarket {
        let market = running.market();
        ServedMarket {
            offers: market.offer_count(),
            live_offers: (0..market.shops().len())
                .map(|i| market.live_count(i))
                .sum(),
            shops: running.shops(),
        }
    }

    /// Written to a temporary name and renamed, so a reader polling for it never sees half.
    pub fn write(&self, path: &Path) -> Result<()> {
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(self)?)
            .with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, path).with_context(|| format!("renaming to {}", path.display()))
    }
}

/// `qsword marketsim` in a child process, killed when dropped (also when the bench fails).
struct MarketChild {
    child: Child,
}

impl MarketChild {
    /// Starts `qsword marketsim ARGS --urls-file DIR/market.json` and waits until it serves.
    fn start(dir: &Path, args: &[String]) -> Result<(MarketChild, ServedMarket)> {
        let urls_file = dir.join("market.json");
        let exe = std::env::current_exe().context("locating the qsword executable")?;
        let child = Command::new(&exe)
            .arg("marketsim")
            .args(args)
            .arg("--urls-file")
            .arg(&urls_file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {} marketsim", exe.display()))?;
        let mut child = MarketChild { child };
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            if let Some(status) = child.child.try_wait()? {
                bail!(
                    "`qsword marketsim {}` exited ({status}) before serving",
                    args.join(" ")
                );
            }
            if urls_file.exists() {
                let text = std::fs::read(&urls_file)
                    .with_context(|| format!("reading {}", urls_file.display()))?;
                let served: ServedMarket = serde_json::from_slice(&text)
                    .with_context(|| format!("parsing {}", urls_file.display()))?;
                return Ok((child, served));
            }
            if Instant::now() > deadline {
                bail!("the simulated marketplace did not start within 300 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }
}

impl Drop for MarketChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// CPU seconds (user + system, all threads) a process has used, from `/proc/PID/stat`.
fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // USER_HZ is fixed at 100 for userspace on the Linux ABIs qsword runs on.
    Some(cpu_ticks(&stat)? as f64 / 100.0)
}

/// utime + stime (fields 14 and 15 of proc(5)) of a `/proc/PID/stat` line.
fn cpu_ticks(stat: &str) -> Option<u64> {
    // The command name may hold spaces and parentheses; the fields start after the last ')'.
    let fields: Vec<&str> = stat.get(stat.rfind(')')? + 2..)?.split(' ').collect();
    // Counted here from field 3 (the state).
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// Peak resident memory (Linux `VmHWM`) of a process, in MiB.
fn peak_rss_of(pid: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// The site files of the simulated shops; shops 6–8 mark pages up like shops 0–2, so they
/// reuse those files under their own name.
const SHOP_SITES: &[(&str, &str)] = &[
    (
        "tianmao-sim",
        include_str!("../seeds/sites/tianmao-sim.toml"),
    ),
    (
        "jingdong-sim",
        include_str!("../seeds/sites/jingdong-sim.toml"),
    ),
    ("pinduo-sim", include_str!("../seeds/sites/pinduo-sim.toml")),
    ("suning-sim", include_str!("../seeds/sites/suning-sim.toml")),
    (
        "gbk-mall-sim",
        include_str!("../seeds/sites/gbk-mall-sim.toml"),
    ),
];

fn site_file_of(shop: &str) -> &str {
    match shop {
        "kaola-sim" => "tianmao-sim",
        "vip-sim" => "jingdong-sim",
        "dangdang-sim" => "pinduo-sim",
        other => other,
    }
}

/// One site per shop, seeded at the shop's host and every mirror of it.
fn bench_sites(shops: &[ServedShop]) -> Result<Vec<Site>> {
    shops
        .iter()
        .map(|shop| {
            let file = site_file_of(&shop.name);
            let text = SHOP_SITES
                .iter()
                .find(|(name, _)| *name == file)
                .map(|(_, text)| *text)
                .with_context(|| format!("no site file for simulated shop {}", shop.name))?;
            let mut site: Site =
                toml::from_str(text).with_context(|| format!("seeds/sites/{file}.toml"))?;
            site.name = shop.name.clone();
            site.platform = shop.name.clone();
            site.start_urls = std::iter::once(&shop.base_url)
                .chain(&shop.mirrors)
                .map(|base| format!("{base}/"))
                .collect();
            Ok(site)
        })
        .collect()
}

/// Pushes `n` queued product URLs of a host no site covers (so they are never leased): the
/// frontier then holds as many URLs as a production one would.
fn push_synthetic_urls(store: &mut Store, n: u64) -> Result<()> {
    const HOST: &str = "http://127.0.0.99:9";
    const BATCH: u64 = 50_000;
    let now = chrono::Utc::now();
    let mut next = 0;
    while next < n {
        let end = (next + BATCH).min(n);
        let rows: Vec<DiscoveredUrl> = (next..end)
            .map(|i| DiscoveredUrl {
                url: format!("{HOST}/item/{i}.html"),
                host: HOST.to_string(),
                site: "unused".to_string(),
                kind: UrlKind::Product,
                depth: 1,
                priority: 1,
                lastmod: None,
            })
            .collect();
        store
            .frontier_push(&rows, now)
            .context("pushing synthetic URLs to the frontier")?;
        next = end;
    }
    Ok(())
}

fn build_kind() -> &'static str {
    if cfg!(debug_assertions) {
        "debug build: use --release for real figures"
    } else {
        "release build"
    }
}

fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

fn response_times(crawl: &pipeline::CrawlSummary) -> String {
    percentiles_ms(
        crawl
            .response_us
            .iter()
            .map(|&us| us as f64 / 1000.0)
            .collect(),
    )
}

fn crawl_bench(ctx: &Ctx, args: &CrawlArgs) -> Result<()> {
    println!(
        "qsword bench crawl: {} shops × (1 + {} mirrors), {} products, politeness off, {} cores ({})",
        args.shops,
        args.mirrors,
        args.products,
        cores(),
        build_kind()
    );
    let t = Instant::now();
    let (child, market) = MarketChild::start(
        &ctx.data,
        &[
            "--seed=1".to_string(),
            format!("--shops={}", args.shops),
            format!("--products={}", args.products),
            format!("--mirrors={}", args.mirrors),
            "--crawl-delay=0".to_string(),
        ],
    )?;
    println!(
        "  market     {} product pages ({} live) on {} hosts, child pid {}, up in {:.1}s",
        market.offers,
        market.live_offers,
        market
            .shops
            .iter()
            .map(|s| 1 + s.mirrors.len())
            .sum::<usize>(),
        child.pid(),
        t.elapsed().as_secs_f64()
    );
    let child_cpu_before = cpu_seconds(&child.pid()).unwrap_or(0.0);

    let t = Instant::now();
    let mut store = ctx.open_store()?;
    push_synthetic_urls(&mut store, args.frontier_extra)?;
    drop(store);
    println!(
        "  frontier   {} synthetic URLs pushed in {:.1}s",
        args.frontier_extra,
        t.elapsed().as_secs_f64()
    );

    let sites = bench_sites(&market.shops)?;
    let mut crawler_cfg = ctx.cfg.crawler.clone();
    crawler_cfg.default_delay_ms = 0;
    crawler_cfg.max_pages = u64::MAX;
    crawler_cfg.allow_loopback = true;
    if let Some(c) = args.concurrency {
        crawler_cfg.concurrency = c;
    }
    let rss_before = peak_rss_mib();
    let cpu_before = cpu_seconds("self").unwrap_or(0.0);
    let crawl = pipeline::crawl(ctx, &crawler_cfg, &sites, false)?;
    let cpu = cpu_seconds("self").unwrap_or(f64::NAN) - cpu_before;
    let child_cpu = cpu_seconds(&child.pid()).unwrap_or(f64::NAN) - child_cpu_before;
    let child_rss = peak_rss_of(&child.pid());
    drop(child);

    let secs = crawl.elapsed_s.max(1e-9);
    let k_pages = crawl.pages.max(1) as f64 / 1000.0;
    println!(
        "  crawl      {} pages in {:.1}s = {:.0} pages/s ({} errors, concurrency {})",
        crawl.pages,
        crawl.elapsed_s,
        crawl.pages as f64 / secs,
        crawl.errors,
        crawler_cfg.concurrency
    );
    println!(
        "  cpu        crawler {cpu:.1} s = {:.3} s per 1 000 pages ({:.0}% of {} cores); market child {child_cpu:.1} s = {:.3} s per 1 000 pages",
        cpu / k_pages,
        100.0 * cpu / secs / cores() as f64,
        cores(),
        child_cpu / k_pages
    );
    println!("  fetch      response time {}", response_times(&crawl));
    let store = ctx.open_store()?;
    let counts = store.counts()?;
    let frontier_total = counts.frontier_queued
        + counts.frontier_in_flight
        + counts.frontier_done
        + counts.frontier_failed;
    println!(
        "  listings   {} stored of {} live product pages in the market ({} new, {} changed, {} unchanged)",
        counts.listings,
        market.live_offers,
        crawl.listings_new,
        crawl.listings_changed,
        crawl.listings_unchanged
    );
    println!(
        "  frontier   {frontier_total} URLs known at the end: {} queued, {} in flight, {} done, {} failed",
        counts.frontier_queued,
        counts.frontier_in_flight,
        counts.frontier_done,
        counts.frontier_failed
    );
    drop(store);
    let store_bytes: u64 = ["", "-wal", "-shm"]
        .iter()
        .filter_map(|suffix| {
            let mut p = ctx.store_path().into_os_string();
            p.push(suffix);
            std::fs::metadata(p).ok().map(|m| m.len())
        })
        .sum();
    let warc_bytes = dir_bytes(&ctx.warc_dir());
    println!(
        "  disk       store {:.1} MiB, WARC {:.1} MiB ({:.1} KiB per page)",
        mib(store_bytes),
        mib(warc_bytes),
        warc_bytes as f64 / 1024.0 / crawl.pages.max(1) as f64
    );
    let show = |m: Option<f64>| m.map_or("unknown".to_string(), |m| format!("{m:.0} MiB"));
    println!(
        "  memory     peak RSS of the crawler process {} (before the crawl {}); market child {}",
        show(peak_rss_mib()),
        show(rss_before),
        show(child_rss)
    );
    Ok(())
}

fn polite_bench(ctx: &Ctx, args: &PoliteArgs) -> Result<()> {
    if args.hosts < 5 || args.hosts % 5 != 0 {
        bail!(
            "--hosts {} must be a multiple of 5 (5 shops, each on the same number of hosts)",
            args.hosts
        );
    }
    if args.rate.is_nan() || args.rate <= 0.0 || args.seconds.is_nan() || args.seconds <= 0.0 {
        bail!("--rate and --seconds must be positive");
    }
    let mirrors = args.hosts / 5 - 1;
    let delay_ms = (1000.0 / args.rate).round() as u64;
    let configured = args.hosts as f64 * 1000.0 / delay_ms as f64;
    println!(
        "qsword bench polite: {} hosts (5 shops × {}), {} req/s per host (delay {delay_ms} ms), {} s, {} cores ({})",
        args.hosts,
        1 + mirrors,
        args.rate,
        args.seconds,
        cores(),
        build_kind()
    );
    let log_path = ctx.data.join("requests.jsonl");
    let (child, market) = MarketChild::start(
        &ctx.data,
        &[
            "--seed=1".to_string(),
            format!("--products={}", args.products),
            format!("--mirrors={mirrors}"),
            format!("--crawl-delay={}", delay_ms as f64 / 1000.0),
            format!("--request-log={}", log_path.display()),
        ],
    )?;
    let per_host_pages = market.live_offers / 5;
    if (per_host_pages as f64) < args.rate * args.seconds {
        println!(
            "  warning: a host has only ~{per_host_pages} product pages, fewer than rate × seconds; raise --products"
        );
    }
    let mut sites = bench_sites(&market.shops)?;
    for site in &mut sites {
        site.delay_ms = Some(delay_ms);
    }
    let mut crawler_cfg = ctx.cfg.crawler.clone();
    crawler_cfg.default_delay_ms = delay_ms;
    // A time budget, as a night's run has: every host works until the end.
    crawler_cfg.max_pages = u64::MAX;
    crawler_cfg.max_run_s = Some(args.seconds);
    crawler_cfg.allow_loopback = true;
    if let Some(c) = args.concurrency {
        crawler_cfg.concurrency = c;
    }
    let crawl = pipeline::crawl(ctx, &crawler_cfg, &sites, false)?;
    drop(child);

    println!(
        "  crawl      {} pages in {:.1}s ({} errors, concurrency {})",
        crawl.pages, crawl.elapsed_s, crawl.errors, crawler_cfg.concurrency
    );
    let log = read_request_log(&log_path)?;
    // What the hosts saw (robots.txt included) over the whole run, start-up included.
    let achieved = log.len() as f64 / crawl.elapsed_s.max(1e-9);
    println!(
        "  rate       configured {configured:.0} req/s in all, achieved {achieved:.1} req/s over the run = {:.1}% of configured",
        100.0 * achieved / configured
    );
    let pages: Vec<u64> = log
        .iter()
        .filter(|r| r.path != "/robots.txt")
        .map(|r| r.at_us)
        .collect();
    if let (Some(first), Some(last)) = (pages.iter().min(), pages.iter().max()) {
        let span = (last - first) as f64 / 1e6;
        let served = pages.len() as f64 / span.max(1e-9);
        println!(
            "  market     {} page requests from first to last in {span:.1}s = {served:.1} req/s = {:.1}% of configured",
            pages.len(),
            100.0 * served / configured
        );
    }
    let gaps = host_gaps(&log);
    let mut all: Vec<f64> = gaps
        .values()
        .flatten()
        .map(|&us| us as f64 / 1000.0)
        .collect();
    all.sort_by(f64::total_cmp);
    println!(
        "  gaps       between two requests to one host, {} hosts: min {:.1} ms, p1 {:.1} ms, p50 {:.1} ms vs delay {delay_ms} ms ({} of {} gaps shorter)",
        gaps.len(),
        all.first().copied().unwrap_or(f64::NAN),
        percentile(&all, 1.0),
        percentile(&all, 50.0),
        all.iter().filter(|&&g| g < delay_ms as f64).count(),
        all.len()
    );
    let per_host = gaps.values().map(|g| g.len() + 1);
    println!(
        "  hosts      requests per host (robots.txt included): {} ..= {}",
        per_host.clone().min().unwrap_or(0),
        per_host.max().unwrap_or(0)
    );
    // Where a shortfall comes from: hosts starting late (robots.txt, seeding) or stopping
    // early (the page budget running out unevenly) rather than running slow.
    if let Some(first) = pages.iter().min() {
        let mut spans: HashMap<&str, (u64, u64)> = HashMap::new();
        for r in log.iter().filter(|r| r.path != "/robots.txt") {
            let e = spans.entry(r.host.as_str()).or_insert((r.at_us, r.at_us));
            e.0 = e.0.min(r.at_us);
            e.1 = e.1.max(r.at_us);
        }
        let secs = |us: u64| (us - first) as f64 / 1e6;
        let starts = spans.values().map(|s| secs(s.0));
        let ends = spans.values().map(|s| secs(s.1));
        println!(
            "  spread     hosts' first page request {:.2} ..= {:.2} s, last {:.2} ..= {:.2} s after the first of all",
            starts.clone().fold(f64::INFINITY, f64::min),
            starts.fold(0.0, f64::max),
            ends.clone().fold(f64::INFINITY, f64::min),
            ends.fold(0.0, f64::max)
        );
        // The steady state: while every host was between its first and last page request.
        let from = spans.values().map(|s| s.0).max().unwrap_or(*first);
        let to = spans.values().map(|s| s.1).min().unwrap_or(*first);
        if to > from {
            let n = pages.iter().filter(|&&t| t >= from && t < to).count();
            let steady = n as f64 / ((to - from) as f64 / 1e6);
            println!(
                "  steady     {n} page requests while all {} hosts were active ({:.1}s) = {steady:.1} req/s = {:.1}% of configured",
                spans.len(),
                (to - from) as f64 / 1e6,
                100.0 * steady / configured
            );
        }
    }
    println!("  fetch      response time {}", response_times(&crawl));
    Ok(())
}

fn read_request_log(path: &Path) -> Result<Vec<LoggedRequest>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l)
                .with_context(|| format!("{}:{}: not a logged request", path.display(), i + 1))
        })
        .collect()
}

/// Per host, the gaps (µs) between consecutive requests it received, robots.txt included (a
/// polite crawler spaces those too).
fn host_gaps(log: &[LoggedRequest]) -> HashMap<&str, Vec<u64>> {
    let mut times: HashMap<&str, Vec<u64>> = HashMap::new();
    for r in log {
        times.entry(r.host.as_str()).or_default().push(r.at_us);
    }
    times
        .into_iter()
        .map(|(host, mut t)| {
            t.sort_unstable();
            (host, t.windows(2).map(|w| w[1] - w[0]).collect())
        })
        .collect()
}

/// `bench extract`: decode + parse + extract timed per page, on one thread.
mod extract_bench {
    use super::{build_kind, peak_rss_mib, percentile, site_file_of, ExtractArgs, SHOP_SITES};
    use anyhow::{Context, Result};
    use qsword_crawler::Site;
    use qsword_extract::{decode_html, extract_listing, SiteRules};
    use qsword_marketsim::{Market, MarketConfig, PageStyle};
    use std::io::Read;
    use std::time::{Duration, Instant};
    use url::Url;

    /// One page to extract: raw body, Content-Type, URL, site rules.
    struct Sample {
        name: String,
        body: Vec<u8>,
        content_type: Option<String>,
        url: Url,
        rules: Option<SiteRules>,
    }

    /// Per-page wall time of decode + extract, and whether a listing came out.
    fn time_one(s: &Sample) -> (Duration, bool) {
        let t = Instant::now();
        let page = decode_html(&s.body, s.content_type.as_deref());
        let found = extract_listing(&page, &s.url, s.rules.as_ref()).is_some();
        (t.elapsed(), found)
    }

    struct Figures {
        pages: usize,
        bytes: u64,
        found: usize,
        times: Vec<Duration>,
    }

    fn measure<'a>(samples: impl Iterator<Item = &'a Sample>) -> Figures {
        let mut f = Figures {
            pages: 0,
            bytes: 0,
            found: 0,
            times: Vec::new(),
        };
        for s in samples {
            let (d, found) = time_one(s);
            f.pages += 1;
            f.bytes += s.body.len() as u64;
            f.found += found as usize;
            f.times.push(d);
        }
        f
    }

    impl Figures {
        fn total(&self) -> Duration {
            self.times.iter().sum()
        }

        fn line(&self) -> String {
            let secs = self.total().as_secs_f64().max(1e-9);
            let mut ms: Vec<f64> = self.times.iter().map(|d| d.as_secs_f64() * 1e3).collect();
            ms.sort_by(f64::total_cmp);
            format!(
                "{:>5} pages {:>7.1} MB  {:>8.1} pages/s  {:>6.1} MB/s  p50 {:.2} ms  p99 {:.2} ms  \
                 listing on {}/{}",
                self.pages,
                self.bytes as f64 / 1e6,
                self.pages as f64 / secs,
                self.bytes as f64 / 1e6 / secs,
                percentile(&ms, 50.0),
                percentile(&ms, 99.0),
                self.found,
                self.pages
            )
        }
    }

    fn style_name(style: PageStyle, gbk: bool) -> String {
        let name = match style {
            PageStyle::JsonLd => "json-ld",
            PageStyle::Microdata => "microdata",
            PageStyle::EmbeddedState => "embedded state",
            PageStyle::PlainHtml => "plain html + rules",
        };
        if gbk {
            format!("{name} (GBK)")
        } else {
            name.to_string()
        }
    }

    /// Every product page of a generated market, rendered in memory, grouped by page style.
    fn market_samples(products: usize) -> Result<Vec<(String, Vec<Sample>)>> {
        let market = Market::generate(&MarketConfig {
            products,
            ..Default::default()
        });
        let mut groups: Vec<(String, Vec<Sample>)> = Vec::new();
        let base = |k: usize| format!("http://127.0.0.{}:8080", k + 2);
        for record in market.truth() {
            let (k, shop) = market
                .shops()
                .iter()
                .enumerate()
                .find(|(_, s)| s.name == record.shop)
                .with_context(|| format!("truth names unknown shop {}", record.shop))?;
            let page = market.page(k, &base(k), &record.path, None);
            if page.status != 200 {
                continue;
            }
            let rules = if shop.style == PageStyle::PlainHtml {
                let file = site_file_of(&shop.name);
                let text = SHOP_SITES
                    .iter()
                    .find(|(n, _)| *n == file)
                    .map(|(_, t)| *t)
                    .with_context(|| format!("no site file for {}", shop.name))?;
                let site: Site =
                    toml::from_str(text).with_context(|| format!("seeds/sites/{file}.toml"))?;
                site.rules
            } else {
                None
            };
            let group = style_name(shop.style, shop.charset == qsword_marketsim::Charset::Gbk);
            let sample = Sample {
                name: record.path.clone(),
                url: Url::parse(&format!("{}{}", base(k), record.path))?,
                body: page.body,
                content_type: Some(page.content_type.to_string()),
                rules,
            };
            match groups.iter_mut().find(|(g, _)| *g == group) {
                Some((_, v)) => v.push(sample),
                None => groups.push((group, vec![sample])),
            }
        }
        Ok(groups)
    }

    /// The corpus's real pages, decompressed; the URL is the file's `url` sidecar if any.
    fn corpus_samples(corpus: &std::path::Path) -> Result<Vec<Sample>> {
        let dir = corpus.join("product-pages/html");
        let mut paths: Vec<_> = std::fs::read_dir(&dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.to_string_lossy().ends_with(".html.gz"))
            .collect();
        paths.sort();
        paths
            .into_iter()
            .map(|path| {
                let mut body = Vec::new();
                flate2::read::GzDecoder::new(
                    std::fs::File::open(&path).with_context(|| path.display().to_string())?,
                )
                .read_to_end(&mut body)
                .with_context(|| format!("gunzip {}", path.display()))?;
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                Ok(Sample {
                    url: Url::parse(&format!("https://corpus.example/{name}"))?,
                    name,
                    body,
                    content_type: None,
                    rules: None,
                })
            })
            .collect()
    }

    pub fn run(args: &ExtractArgs) -> Result<()> {
        println!("bench extract ({}, one thread)", build_kind());
        let groups = market_samples(args.products)?;
        println!(
            "simulated marketplace: {} products, {} product pages, {} passes (figures over all)",
            args.products,
            groups.iter().map(|(_, v)| v.len()).sum::<usize>(),
            args.passes.max(1)
        );
        let mut all = Vec::new();
        for (name, samples) in &groups {
            let mut times = Vec::new();
            let mut last = None;
            for _ in 0..args.passes.max(1) {
                let f = measure(samples.iter());
                times.extend(f.times.iter().copied());
                last = Some(f);
            }
            let mut f = last.expect("at least one pass");
            f.pages *= args.passes.max(1);
            f.bytes *= args.passes.max(1) as u64;
            f.found *= args.passes.max(1);
            f.times = times;
            println!("  {name:<26} {}", f.line());
            all.push(f);
        }
        let total = Figures {
            pages: all.iter().map(|f| f.pages).sum(),
            bytes: all.iter().map(|f| f.bytes).sum(),
            found: all.iter().map(|f| f.found).sum(),
            times: all.iter().flat_map(|f| f.times.iter().copied()).collect(),
        };
        println!("  {:<26} {}", "all styles", total.line());
        drop(groups);

        match corpus_samples(&args.corpus) {
            Ok(samples) if !samples.is_empty() => {
                let f = measure(samples.iter());
                println!(
                    "real pages ({}):",
                    args.corpus.join("product-pages/html").display()
                );
                println!("  {:<26} {}", "decode + extract", f.line());
                if let Some((i, d)) = f.times.iter().enumerate().max_by_key(|(_, d)| **d) {
                    let s = &samples[i];
                    println!(
                        "  slowest: {} ({:.1} KB) {:.1} ms",
                        s.name,
                        s.body.len() as f64 / 1e3,
                        d.as_secs_f64() * 1e3
                    );
                }
            }
            Ok(_) => println!("real pages: none in {}", args.corpus.display()),
            Err(e) => println!("real pages: skipped ({e:#})"),
        }
        match peak_rss_mib() {
            Some(m) => println!("peak RSS {m:.0} MiB"),
            None => println!("peak RSS unavailable (no /proc/self/status)"),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{bench_sites, cpu_ticks, host_gaps, percentile};
    use qsword_marketsim::{Charset, LoggedRequest, PageStyle, ServedShop};

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 95.0), 95.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&[7.0], 99.0), 7.0);
        assert!(percentile(&[], 50.0).is_nan());
    }

    #[test]
    fn cpu_ticks_survive_odd_command_names() {
        let stat = "4242 (tokio (rt) x) S 1 4242 4242 0 -1 4194560 900 0 0 0 1234 56 0 0 20 0 9 0";
        assert_eq!(cpu_ticks(stat), Some(1234 + 56));
        assert_eq!(cpu_ticks("4242 (short) S 1"), None);
    }

    fn request(host: &str, at_us: u64) -> LoggedRequest {
        LoggedRequest {
            shop: "tianmao-sim".into(),
            host: host.into(),
            method: "GET".into(),
            path: "/".into(),
            status: 200,
            user_agent: None,
            at_us,
            blocked: false,
        }
    }

    #[test]
    fn gaps_are_per_host_whatever_the_log_order() {
        let log = [
            request("a", 1_000),
            request("b", 1_100),
            request("a", 251_000),
            request("b", 2_000), // logged late: gaps come from the times, not the order
            request("a", 500_000),
        ];
        let gaps = host_gaps(&log);
        assert_eq!(gaps["a"], vec![250_000, 249_000]);
        assert_eq!(gaps["b"], vec![900]);
    }

    #[test]
    fn extra_shops_reuse_the_rules_of_their_markup_style_and_seed_every_mirror() {
        let shop = |name: &str, mirrors: Vec<String>| ServedShop {
            name: name.into(),
            style: PageStyle::JsonLd,
            charset: Charset::Utf8,
            base_url: "http://127.0.0.7:8080".into(),
            mirrors,
            start_url: "http://127.0.0.7:8080/".into(),
            hosts: vec!["127.0.0.7".into()],
            resolve: Vec::new(),
            ca_pem: None,
            needs_browser: false,
        };
        let sites = bench_sites(&[
            shop("kaola-sim", vec!["http://127.1.5.1:8080".into()]),
            shop("dangdang-sim", vec![]),
        ])
        .unwrap();
        assert_eq!(sites[0].name, "kaola-sim");
        assert_eq!(sites[0].platform, "kaola-sim");
        assert_eq!(
            sites[0].start_urls,
            ["http://127.0.0.7:8080/", "http://127.1.5.1:8080/"]
        );
        assert_eq!(sites[1].name, "dangdang-sim");
        assert!(bench_sites(&[shop("unknown-sim", vec![])]).is_err());
    }
}
