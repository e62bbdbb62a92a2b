//! `qsword demo` and `qsword marketsim`: the only code paths that reach the simulated
//! marketplace. The demo runs the whole pipeline against it on loopback and prints a summary,
//! including how the flags compare with the marketplace's ground truth.

use crate::console;
use crate::pipeline::{self, Ctx};
use anyhow::{Context, Result};
use qsword_crawler::Site;
use qsword_marketsim::{MarketConfig, ServeOptions, TruthRecord};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(clap::Args)]
pub struct DemoArgs {
    /// Seed of the simulated marketplace (same seed, same shops and fakes).
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Catalogue products (each offered ~15 times across the shops).
    #[arg(long)]
    products: Option<usize>,
    /// Then serve the web console on this address (until Ctrl-C), logged in as the demo
    /// account printed at the end.
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = "127.0.0.1:8080")]
    serve: Option<std::net::SocketAddr>,
}

#[derive(clap::Args)]
pub struct MarketsimArgs {
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Simulated night: prices change, offers appear and are delisted from day to day.
    #[arg(long, default_value_t = 0)]
    day: u32,
    #[arg(long)]
    products: Option<usize>,
    /// Port for every shop (each shop has its own loopback address); 0 picks free ports.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Write the ground truth (every product URL, true brand, price, marks, fake kinds) here.
    #[arg(long)]
    truth: Option<PathBuf>,
    /// Log every request as JSON lines to this file.
    #[arg(long)]
    request_log: Option<PathBuf>,
    /// Write the ground truth and exit without serving.
    #[arg(long)]
    truth_only: bool,
    /// Shops: 5 ..= 8 (shops 6–8 are kaola-sim, vip-sim and dangdang-sim).
    #[arg(long)]
    shops: Option<usize>,
    /// Serve every shop on this many more hosts (mirror j of shop k on 127.1.k.(j+1)).
    #[arg(long, default_value_t = 0)]
    mirrors: usize,
    /// Serve the shapes of real shops, as the demo does: prices by XHR (pinduo-sim), a
    /// consent wall (suning-sim), a slider captcha for quick requests (tianmao-sim), product
    /// pages on item. behind an apex redirect and https (jingdong-sim).
    #[arg(long)]
    shapes: bool,
    /// Crawl-delay announced in robots.txt, in seconds (default 0.05).
    #[arg(long)]
    crawl_delay: Option<f64>,
    /// Answer every N-th request of a host with 429 and Retry-After (robots.txt exempt).
    #[arg(long)]
    throttle_every: Option<u32>,
    /// Retry-After of throttled answers, in seconds.
    #[arg(long, default_value_t = 1, requires = "throttle_every")]
    retry_after: u32,
    /// Once serving, write where the shops are as JSON — `{"offers": N, "live_offers": N,
    /// "shops": [ServedShop…]}` — for a program that started this one (written to a temporary
    /// name and renamed, so a reader never sees half a file).
    #[arg(long)]
    urls_file: Option<PathBuf>,
}

/// The site files of the simulated shops, embedded so the demo runs from anywhere.
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

fn market_config(seed: u64, day: u32, products: Option<usize>) -> MarketConfig {
    let mut cfg = MarketConfig {
        seed,
        day,
        ..Default::default()
    };
    if let Some(p) = products {
        cfg.products = p;
    }
    cfg
}

/// Site definitions for the served shops: the embedded rules, the live base URL as seed.
fn shop_sites(running: &qsword_marketsim::RunningMarket) -> Result<Vec<Site>> {
    running
        .shops()
        .iter()
        .map(|shop| {
            let text = SHOP_SITES
                .iter()
                .find(|(name, _)| *name == shop.name)
                .map(|(_, text)| *text)
                .with_context(|| format!("no site file for simulated shop {}", shop.name))?;
            let mut site: Site =
                toml::from_str(text).with_context(|| format!("seeds/sites/{}.toml", shop.name))?;
            site.start_urls = vec![shop.start_url.clone()];
            site.hosts = shop.hosts.clone();
            if shop.needs_browser {
                site.render = Some(qsword_crawler::Render::Products(true));
            }
            Ok(site)
        })
        .collect()
}

/// Crawls the served shops into the store. Loopback is allowed here on purpose (the shops live
/// there); real configs refuse it. The crawl runs its own runtime on this thread while the
/// marketplace keeps serving from its runtime's worker threads.
pub fn crawl_market(
    ctx: &Ctx,
    running: &qsword_marketsim::RunningMarket,
    mut crawler_cfg: qsword_crawler::CrawlerConfig,
) -> Result<pipeline::CrawlSummary> {
    let sites = shop_sites(running)?;
    crawler_cfg.allow_loopback = true;
    // Shops served under names (`*.jingdong-sim.test`) and over https with a certificate
    // of their own: what DNS and the system's trust store would do for a real shop.
    for shop in running.shops() {
        crawler_cfg.resolve.extend(shop.resolve.iter().cloned());
        crawler_cfg
            .ca_certs
            .extend(shop.ca_pem.iter().map(std::path::PathBuf::from));
    }
    pipeline::crawl(ctx, &crawler_cfg, &sites, false)
}

pub fn run(ctx: &Ctx, args: DemoArgs) -> Result<()> {
    prepare_demo_dir(&ctx.data)?;
    let started = std::time::Instant::now();
    let rt = tokio::runtime::Runtime::new()?;
    let market = Arc::new(qsword_marketsim::Market::generate(&market_config(
        args.seed,
        0,
        args.products,
    )));
    // Every shape of real shops: prices by XHR, a consent wall, a slider captcha, product pages
    // on another host behind an apex redirect and https.
    let opts = ServeOptions {
        shapes: qsword_marketsim::Shapes::all(),
        ..ServeOptions::default()
    };
    let running = rt
        .block_on(qsword_marketsim::serve(market, opts))
        .context("starting the simulated marketplace on 127.0.0.2–127.0.0.6")?;
    println!("simulated marketplace (seed {}):", args.seed);
    for shop in running.shops() {
        println!("  {:<14} {}", shop.name, shop.start_url);
    }
    let mut crawler_cfg = ctx.cfg.crawler.clone();
    // The shops ask for a 50 ms Crawl-delay in robots.txt; the crawler only ever raises its
    // own delay to a site's, so the demo starts from a short one instead of the 1 s default.
    crawler_cfg.default_delay_ms = crawler_cfg.default_delay_ms.min(20);
    // The shops answer on loopback in microseconds: a page's price request starts well within
    // 100 ms of its load, where a real shop over the network gets the default 300 ms.
    crawler_cfg.render_settle_ms = crawler_cfg.render_settle_ms.min(100);
    let crawl = crawl_market(ctx, &running, crawler_cfg)?;
    println!("{crawl}");
    let detect = pipeline::detect(ctx)?;
    println!("{detect}");
    let indexed = pipeline::index(ctx)?;
    println!("indexed {indexed} listings");
    let alerts = pipeline::alerts(ctx, &pipeline::run_id())?;
    println!("{alerts}");

    let truth = running.truth_with_urls();
    let requests = running.requests();
    rt.block_on(running.shutdown());
    print_truth_comparison(ctx, &truth, ctx.cfg.detector.alert_min_risk)?;
    let disallowed = requests
        .iter()
        .filter(|r| qsword_marketsim::is_disallowed(&r.path))
        .count();
    println!("requests to robots.txt-disallowed paths: {disallowed}");
    println!(
        "\ndone in {:.1}s. Data: {}",
        started.elapsed().as_secs_f64(),
        ctx.data.display()
    );
    println!("  store   {}", ctx.store_path().display());
    println!("  WARC    {}", ctx.warc_dir().display());
    println!("  index   {}", ctx.index_dir().display());
    println!("  outbox  {}", ctx.outbox_dir().display());
    let d = ctx.data.display();
    // The binary as it was run (`cargo run` leaves it in target/, not on PATH; `cargo install
    // --path .` puts `qsword` there).
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "qsword".into());
    println!(
        "search it:\n  {exe} --data {d} search 插座\n  {exe} --data {d} search philips --sort risk"
    );

    // A console account for the demo's data only (a fresh password each run, never a fixed one).
    let password = console::auth::random_token()[..20].to_string();
    let mut store = ctx.open_store()?;
    store.upsert_staff(
        "demo",
        qsword_store::Role::Admin,
        &console::auth::hash_password(&password)?,
        chrono::Utc::now(),
    )?;
    drop(store);
    println!("the console (account demo, password {password}):");
    match args.serve {
        Some(addr) => console::serve(ctx, console::ServeArgs { addr }),
        None => {
            // Serving this data keeps this password; `demo --serve` would make the data (and
            // a password) anew.
            println!("  {exe} --data {d} serve");
            Ok(())
        }
    }
}

/// The demo owns its data directory: it starts clean each time, but never wipes a directory
/// it did not create (real data is not lost to a demo).
fn prepare_demo_dir(data: &std::path::Path) -> Result<()> {
    let marker = data.join("DEMO");
    if data.exists() {
        let empty = std::fs::read_dir(data)?.next().is_none();
        if marker.exists() {
            std::fs::remove_dir_all(data)
                .with_context(|| format!("clearing {}", data.display()))?;
        } else if !empty {
            anyhow::bail!(
                "{} holds data that is not from a demo; give the demo its own folder with --data",
                data.display()
            );
        }
    }
    std::fs::create_dir_all(data).with_context(|| format!("creating {}", data.display()))?;
    std::fs::write(
        &marker,
        "created by `qsword demo`; the next demo clears this folder\n",
    )?;
    Ok(())
}

fn print_truth_comparison(ctx: &Ctx, truth: &[TruthRecord], min_risk: f64) -> Result<()> {
    let store = ctx.open_store()?;
    let stored: HashMap<String, (Option<f64>, qsword_listing::Listing)> = store
        .listings()?
        .into_iter()
        .map(|s| (s.listing.url.clone(), (s.risk, s.listing)))
        .collect();
    let live: Vec<&TruthRecord> = truth.iter().filter(|t| !t.delisted).collect();
    let (mut found, mut price_ok, mut tp, mut fp, mut fake) = (0, 0, 0, 0, 0);
    for t in &live {
        let url = t.url.as_deref().unwrap_or_default();
        fake += t.fake as usize;
        if let Some((risk, l)) = stored.get(url) {
            found += 1;
            price_ok += (l.price.as_ref() == Some(&t.price)) as usize;
            let flagged = risk.is_some_and(|r| r >= min_risk);
            tp += (flagged && t.fake) as usize;
            fp += (flagged && !t.fake) as usize;
        }
    }
    println!(
        "against the ground truth: {found}/{} product pages stored, {price_ok} with the exact price; \
         alerts caught {tp}/{fake} fakes with {fp} false alarms",
        live.len()
    );
    Ok(())
}

pub fn marketsim(args: MarketsimArgs) -> Result<()> {
    let mut cfg = market_config(args.seed, args.day, args.products);
    if let Some(n) = args.shops {
        cfg.shops = n;
    }
    if let Some(d) = args.crawl_delay {
        cfg.crawl_delay = d;
    }
    cfg.validate().context("market options")?;
    let market = Arc::new(qsword_marketsim::Market::generate(&cfg));
    if args.truth_only {
        let path = args.truth.context("--truth-only needs --truth FILE")?;
        qsword_marketsim::write_truth(&path, &market.truth())?;
        println!("wrote the ground truth to {}", path.display());
        return Ok(());
    }
    let throttle = args.throttle_every.map(|every| qsword_marketsim::Throttle {
        every,
        retry_after_secs: args.retry_after,
        ..Default::default()
    });
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let running = qsword_marketsim::serve(
            market,
            ServeOptions {
                port: args.port,
                request_log: args.request_log,
                mirrors: args.mirrors,
                throttle,
                shapes: if args.shapes {
                    qsword_marketsim::Shapes::all()
                } else {
                    qsword_marketsim::Shapes::default()
                },
            },
        )
        .await
        .context("starting the simulated marketplace")?;
        if let Some(path) = &args.truth {
            qsword_marketsim::write_truth(path, &running.truth_with_urls())?;
            println!("ground truth: {}", path.display());
        }
        for shop in running.shops() {
            println!("{:<14} {}", shop.name, shop.start_url);
            for m in &shop.mirrors {
                println!("{:<14} {m}", "");
            }
            for (name, ip) in &shop.resolve {
                println!("{:<14} {name} is {ip} ([crawler] resolve)", "");
            }
            if let Some(ca) = &shop.ca_pem {
                println!("{:<14} its certificate: {ca} ([crawler] ca_certs)", "");
            }
            if shop.needs_browser {
                println!(
                    "{:<14} prices by XHR: its site file needs render = true",
                    ""
                );
            }
        }
        if let Some(path) = &args.urls_file {
            crate::bench::ServedMarket::of(&running).write(path)?;
        }
        println!("serving; Ctrl-C stops");
        tokio::signal::ctrl_c().await?;
        running.shutdown().await;
        anyhow::Ok(())
    })
}
