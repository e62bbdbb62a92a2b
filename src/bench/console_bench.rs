//! `qsword bench console`: the console's search page at scale. A million simulated listings
//! (the `bench index` generator) are indexed, the console's router is served on loopback
//! exactly as `qsword serve` serves it (same handlers, templates, session check against the
//! store), and concurrent logged-in clients page through a fixed mix of search-page URLs.
//!
//! Two latencies are reported: the client's (request sent → whole page read, over loopback)
//! and the server's own, from the `Server-Timing` header the console adds to every response.
//! The target is the server-side p95 under 8 concurrent clients.

use super::index_bench::{doc, Source};
use super::{peak_rss_mib, percentiles_ms, rate, ScratchDir};
use crate::console;
use anyhow::{bail, Context, Result};
use qsword_indexer::ListingIndex;
use qsword_store::{Role, Store};
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct ConsoleArgs {
    /// Listings in the index.
    #[arg(long, default_value_t = 1_000_000)]
    listings: usize,
    /// Concurrent clients, each with its own connection, one request at a time.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Requests in all (after one warm-up pass over the mix).
    #[arg(long, default_value_t = 4_000)]
    requests: usize,
}

/// The fixed mix of search pages: Chinese and English words, a model number, facet filters,
/// risk sorting and a deep page. Every page asks the index for facets, as the console does.
fn page_mix(model: &str) -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    vec![
        ("中文 插座", vec![("q", "插座".into())]),
        ("中文 空气炸锅", vec![("q", "空气炸锅".into())]),
        ("中文 sub-word 充电", vec![("q", "充电".into())]),
        ("English philips", vec![("q", "philips".into())]),
        ("model number", vec![("q", model.to_lowercase())]),
        ("brand facet 公牛", vec![("brand", "公牛".into())]),
        ("category 家用电器", vec![("category", "/家用电器".into())]),
        ("all, riskiest first", vec![("sort", "risk".into())]),
        (
            "插座 risk ≥ 0.5, riskiest",
            vec![
                ("q", "插座".into()),
                ("min_risk", "0.5".into()),
                ("sort", "risk".into()),
            ],
        ),
        (
            "正品 page 10",
            vec![("q", "正品".into()), ("page", "10".into())],
        ),
    ]
}

pub fn run(scratch: &ScratchDir, cfg: &crate::config::Config, args: &ConsoleArgs) -> Result<()> {
    let memory_mb = cfg.index.memory_mb;
    if args.clients == 0 || args.requests == 0 {
        bail!("--clients and --requests must be at least 1");
    }
    let source = Source::market(args.listings);
    println!(
        "bench console: {} listings from {}, {} clients, {} requests ({} cores, {})",
        args.listings,
        source.describe(),
        args.clients,
        args.requests,
        super::cores(),
        super::build_kind()
    );

    let t = Instant::now();
    let index = ListingIndex::open_or_create(&scratch.path.join("index"))?;
    let mut writer = index.writer(memory_mb << 20)?;
    let mut model = String::new();
    for (id, truth, listing) in source.listings(args.listings) {
        if model.is_empty() {
            if let Some(m) = listing
                .model
                .as_deref()
                .filter(|m| m.chars().any(|c| c.is_ascii_digit()))
            {
                model = m.to_string();
            }
        }
        writer.add(&doc(id, &truth, &listing))?;
    }
    writer.commit()?;
    writer.finish()?;
    drop(source);
    println!(
        "  index      {} listings in {:.1}s ({:.0}/s), {} documents",
        args.listings,
        t.elapsed().as_secs_f64(),
        rate(args.listings, t.elapsed()),
        index.doc_count()
    );

    // A staff account and a live session, as `qsword users add` and the login form make them.
    let mut store = Store::open(scratch.path.join("qsword.db"))?;
    let now = chrono::Utc::now();
    let staff = store.upsert_staff(
        "bench",
        Role::Viewer,
        &console::auth::hash_password("bench-password")?,
        now,
    )?;
    let token = console::auth::random_token();
    store.create_session(
        &token,
        staff,
        &console::auth::random_token(),
        now,
        now + chrono::Duration::hours(1),
    )?;

    // The server on its own runtime (as `serve` runs it), the clients on another thread.
    let server = tokio::runtime::Runtime::new().context("starting the server runtime")?;
    let listener = server.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let addr = listener.local_addr()?;
    let app = console::app_router(
        store,
        index,
        scratch.path.join("warc"),
        cfg.alerts.clone(),
        cfg.console.clone(),
    );
    server.spawn(async move { axum::serve(listener, app).await });

    let mix: Vec<(&str, String)> = page_mix(&model)
        .into_iter()
        .map(|(name, params)| {
            let query = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(params.iter().map(|(k, v)| (*k, v.as_str())))
                .finish();
            (name, format!("http://{addr}/search?{query}"))
        })
        .collect();
    let clients = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let started = Instant::now();
    let samples = clients.block_on(drive(&mix, &token, args))?;
    let elapsed = started.elapsed();

    let client: Vec<f64> = samples.iter().map(|s| s.client_ms).collect();
    let server_ms: Vec<f64> = samples.iter().map(|s| s.server_ms).collect();
    println!(
        "  throughput {:.0} pages/s ({} pages in {:.1}s, {} clients)",
        rate(samples.len(), elapsed),
        samples.len(),
        elapsed.as_secs_f64(),
        args.clients
    );
    println!("  server     {}", percentiles_ms(server_ms));
    println!("  client     {}", percentiles_ms(client));
    for (k, (name, _)) in mix.iter().enumerate() {
        let kind: Vec<f64> = samples
            .iter()
            .filter(|s| s.kind == k)
            .map(|s| s.server_ms)
            .collect();
        println!("    {name:<28} server {}", percentiles_ms(kind));
    }
    match peak_rss_mib() {
        Some(m) => println!(
            "  memory     peak RSS {m:.0} MiB (whole process: generator, index writer, server)"
        ),
        None => println!("  memory     peak RSS unavailable (no /proc/self/status)"),
    }
    server.shutdown_timeout(Duration::from_secs(1));
    Ok(())
}

/// What only a search page holds (not the login form a lost session would redirect to).
pub(super) const SEARCH_PAGE: &[u8] = b"<nav class=\"facets\">";

pub(super) struct Sample {
    kind: usize,
    pub(super) client_ms: f64,
    pub(super) server_ms: f64,
}

/// One warm-up pass over the mix, then `requests` pages spread over `clients` tasks, each
/// starting at a different place in the mix.
async fn drive(mix: &[(&str, String)], token: &str, args: &ConsoleArgs) -> Result<Vec<Sample>> {
    let cookie = format!("{}={token}", console::auth::SESSION_COOKIE);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(args.clients)
        .build()?;
    for k in 0..mix.len() {
        fetch(&http, &cookie, mix, k, SEARCH_PAGE).await?;
    }
    let mut tasks = Vec::new();
    for c in 0..args.clients {
        let n = args.requests / args.clients + usize::from(c < args.requests % args.clients);
        let (http, cookie) = (http.clone(), cookie.clone());
        let mix: Vec<(&'static str, String)> =
            mix.iter().map(|(_, u)| ("", u.clone())).collect::<Vec<_>>();
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::with_capacity(n);
            for i in 0..n {
                out.push(fetch(&http, &cookie, &mix, (c + i) % mix.len(), SEARCH_PAGE).await?);
            }
            anyhow::Ok(out)
        }));
    }
    let mut samples = Vec::with_capacity(args.requests);
    for t in tasks {
        samples.extend(t.await??);
    }
    Ok(samples)
}

/// GETs `mix[kind]` with the session cookie; fails unless it answers 2xx with a body holding
/// `marker` (the page asked for, not a login form) and a `Server-Timing` header.
pub(super) async fn fetch(
    http: &reqwest::Client,
    cookie: &str,
    mix: &[(&str, String)],
    kind: usize,
    marker: &[u8],
) -> Result<Sample> {
    let url = &mix[kind].1;
    let t = Instant::now();
    let response = http
        .get(url)
        .header(reqwest::header::COOKIE, cookie)
        .send()
        .await
        .with_context(|| format!("GET {url}"))?;
    let status = response.status();
    let server_ms = response
        .headers()
        .get("server-timing")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split("dur=").nth(1))
        .and_then(|v| v.parse::<f64>().ok());
    let body = response.bytes().await?;
    let client_ms = t.elapsed().as_secs_f64() * 1000.0;
    if !status.is_success() || !body.windows(marker.len()).any(|w| w == marker) {
        bail!("GET {url}: answered {status}, {} bytes", body.len());
    }
    let Some(server_ms) = server_ms else {
        bail!("GET {url}: no Server-Timing header");
    };
    Ok(Sample {
        kind,
        client_ms,
        server_ms,
    })
}
