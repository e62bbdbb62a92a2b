//! `qsword bench`: the whole pipeline against a larger simulated marketplace, measured. Prints
//! throughput per stage, latency percentiles (fetch response times, search queries) and the
//! process's peak memory. Figures, not assertions: speed is measured here, never in tests.

use crate::demo::crawl_market;
use crate::pipeline::{self, Ctx};
use anyhow::{Context, Result};
use qsword_indexer::{ListingIndex, SearchRequest, Sort};
use qsword_marketsim::{Market, MarketConfig, ServeOptions};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct BenchArgs {
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
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

pub fn run(base: &Ctx, args: BenchArgs) -> Result<()> {
    let tmp = std::env::temp_dir().join(format!("qsword-bench-{}", std::process::id()));
    let ctx = Ctx {
        cfg: base.cfg.clone(),
        cfg_path: None,
        data: tmp.clone(),
    };
    let result = run_in(&ctx, &args);
    let _ = std::fs::remove_dir_all(&tmp);
    result
}

fn run_in(ctx: &Ctx, args: &BenchArgs) -> Result<()> {
    let build = if cfg!(debug_assertions) {
        "debug build: use --release for real figures"
    } else {
        "release build"
    };
    println!(
        "qsword bench: {} products, per-host delay {} ms, {} cores ({build})",
        args.products,
        args.delay_ms,
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
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

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 95.0), 95.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&[7.0], 99.0), 7.0);
        assert!(percentile(&[], 50.0).is_nan());
    }
}
