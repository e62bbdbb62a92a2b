//! `qsword bench review`: the console's triage queue and statistics at scale. A store of N
//! simulated listings (the `bench index` generator, written with the store's bulk import),
//! ~14 % of them flagged by an assessment, a few thousand of those decided, is served by the
//! console's router on loopback, and one logged-in investigator (linked to a routing by
//! category) times each page with the same client code as `bench console`.
//!
//! Reported: server-side (`Server-Timing`) p50/p95/p99 of `/triage` (page 1 and a deep page,
//! routed and `all=1`), `/api/triage`, `/stats` first count (after a decision changed the
//! store) and cached; and `/search` while a first `/stats` count runs, to show the count does
//! not hold the store for other pages. The index is empty here (`bench console` measures
//! search itself), so that last figure is the console's own cost: session check and page.

use super::console_bench::{fetch, SEARCH_PAGE};
use super::index_bench::{unit, Source};
use super::{percentiles_ms, rate, ScratchDir};
use crate::config::Investigator;
use crate::console;
use anyhow::{bail, Context, Result};
use qsword_indexer::ListingIndex;
use qsword_store::{Decision, ListingId, Role, Store};
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct ReviewArgs {
    /// Listings in the store.
    #[arg(long, default_value_t = 1_000_000)]
    listings: usize,
    /// Share of the listings flagged by their assessment.
    #[arg(long, default_value_t = 0.14)]
    flagged: f64,
    /// Flagged listings with a decision (they leave the queue).
    #[arg(long, default_value_t = 3_000)]
    decided: usize,
    /// Timed requests per page kind (first `/stats` counts: a fifth of it, at least 3).
    #[arg(long, default_value_t = 50)]
    requests: usize,
}

/// Listings per import transaction.
const BATCH: usize = 20_000;

pub fn run(scratch: &ScratchDir, cfg: &crate::config::Config, args: &ReviewArgs) -> Result<()> {
    if args.requests == 0 || !(0.0..=1.0).contains(&args.flagged) {
        bail!("--requests must be at least 1 and --flagged between 0 and 1");
    }
    let source = Source::market(args.listings);
    println!(
        "bench review: {} listings from {}, {:.0} % flagged, {} decided ({} cores, {})",
        args.listings,
        source.describe(),
        args.flagged * 100.0,
        args.decided,
        super::cores(),
        super::build_kind()
    );
    let path = scratch.path.join("qsword.db");
    let mut store = Store::open(&path)?;
    let at = chrono::Utc::now() - chrono::Duration::days(1);

    // The store, as `qsword import` and the detector's save write it.
    let t = Instant::now();
    let mut batch = Vec::with_capacity(BATCH);
    let mut flagged = Vec::new();
    let mut category = None;
    for (n, _, listing) in source.listings(args.listings) {
        // Ids follow insertion order in a fresh store (checked below).
        let id = ListingId(n as i64 + 1);
        if unit(n, 7) < args.flagged {
            if category.is_none() {
                category = listing.category.clone();
            }
            let risk = 0.5 + 0.5 * unit(n, 11);
            let flags = format!(
                r#"[{{"signal":"price","score":{risk:.3},"reason":"far below the product's other offers"}}]"#
            );
            flagged.push((id, risk, flags));
        }
        batch.push(listing);
        if batch.len() == BATCH {
            store.import_listings_at(&batch, at)?;
            batch.clear();
        }
    }
    store.import_listings_at(&batch, at)?;
    drop(source);
    let imported = t.elapsed();
    if store.counts()?.listings != args.listings as u64 {
        bail!("the generator repeated URLs: the store holds fewer listings than asked for");
    }
    let t = Instant::now();
    for chunk in flagged.chunks(BATCH) {
        store.save_assessments_at(chunk, at)?;
    }
    for (id, _, _) in flagged.iter().step_by(3).take(args.decided) {
        store.add_label(*id, Decision::Dismiss, None, "bench", at)?;
    }
    println!(
        "  store      {} listings in {:.1}s ({:.0}/s); {} assessments and {} decisions in {:.1}s",
        args.listings,
        imported.as_secs_f64(),
        rate(args.listings, imported),
        flagged.len(),
        args.decided.min(flagged.len().div_ceil(3)),
        t.elapsed().as_secs_f64()
    );

    // An investigator routed one category, logged in as the login form does it.
    let Some(category) = category else {
        bail!("no flagged listing has a category: nothing to route");
    };
    let mut alerts = cfg.alerts.clone();
    alerts.investigators = vec![Investigator {
        name: "bench".into(),
        email: "bench@center.example".into(),
        categories: vec![category.clone()],
        platforms: vec![],
        brands: vec![],
        regions: vec![],
        min_risk: None,
    }];
    let now = chrono::Utc::now();
    let password = console::auth::hash_password("bench-password")?;
    let staff = store.upsert_staff("bench", Role::Investigator, &password, now)?;
    let token = console::auth::random_token();
    let csrf = console::auth::random_token();
    store.create_session(&token, staff, &csrf, now, now + chrono::Duration::hours(2))?;
    let index = ListingIndex::open_or_create(&scratch.path.join("index"))?;

    let server = tokio::runtime::Runtime::new().context("starting the server runtime")?;
    let listener = server.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let addr = listener.local_addr()?;
    let app = console::app_router(
        store,
        index,
        scratch.path.join("warc"),
        alerts,
        Default::default(),
    );
    server.spawn(async move { axum::serve(listener, app).await });

    let deep = (flagged.len() / 20 / 2).max(1);
    let routed_deep = (flagged.len() / 20 / 20).max(1);
    let page = |name: &'static str, path: String| (name, format!("http://{addr}{path}"));
    let pages = vec![
        page("/triage all=1 page 1", "/triage?all=1".into()),
        page("/triage all=1 deep", format!("/triage?all=1&page={deep}")),
        page("/triage routed page 1", "/triage".into()),
        page("/triage routed deep", format!("/triage?page={routed_deep}")),
        page("/api/triage all=1 page 1", "/api/triage?all=1".into()),
        page(
            "/api/triage routed deep",
            format!("/api/triage?page={routed_deep}"),
        ),
    ];
    println!(
        "  routing    category {category}; deep pages: all=1 page {deep}, routed page {routed_deep}"
    );
    let stats = vec![page("/stats", "/stats".into())];
    let search = vec![page("/search", "/search?q=%E6%8F%92%E5%BA%A7".into())];
    let mut writer = Store::open(&path)?;
    let clients = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    clients.block_on(async {
        let cookie = format!("{}={token}", console::auth::SESSION_COOKIE);
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        for (k, (name, url)) in pages.iter().enumerate() {
            let marker: &[u8] = if url.contains("/api/") {
                b"\"items\""
            } else {
                b"<table class=\"queue\">"
            };
            fetch(&http, &cookie, &pages, k, marker).await?;
            let mut ms = Vec::with_capacity(args.requests);
            for _ in 0..args.requests {
                ms.push(fetch(&http, &cookie, &pages, k, marker).await?.server_ms);
            }
            println!("    {name:<28} server {}", percentiles_ms(ms));
        }

        // A first count after every decision; then the cached page.
        let stats_page = b"<table class=\"stats\">";
        let mut first = Vec::new();
        let mut during = Vec::new();
        let decide = |writer: &mut Store, k: usize| {
            let (id, _, _) = &flagged[flagged.len() - 1 - k];
            writer.add_label(*id, Decision::Confirm, None, "bench", now)
        };
        for k in 0..(args.requests / 5).max(3) {
            decide(&mut writer, k)?;
            // `/search` in a loop while the count runs, on the same server.
            let count = fetch(&http, &cookie, &stats, 0, stats_page);
            tokio::pin!(count);
            let sample = loop {
                tokio::select! {
                    s = &mut count => break s?,
                    s = fetch(&http, &cookie, &search, 0, SEARCH_PAGE) => during.push(s?.server_ms),
                }
            };
            first.push(sample.server_ms);
        }
        let searches = during.len();
        println!(
            "    {:<28} server {}",
            "/stats first count",
            percentiles_ms(first)
        );
        let mut cached = Vec::new();
        for _ in 0..args.requests {
            cached.push(
                fetch(&http, &cookie, &stats, 0, stats_page)
                    .await?
                    .server_ms,
            );
        }
        println!(
            "    {:<28} server {}",
            "/stats cached",
            percentiles_ms(cached)
        );
        println!(
            "    {:<28} server {} ({searches} pages)",
            "/search during first counts",
            percentiles_ms(during)
        );
        anyhow::Ok(())
    })?;
    server.shutdown_timeout(Duration::from_secs(1));
    Ok(())
}
