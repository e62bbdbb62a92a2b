//! `qsword`: the command line. This binary is glue: it reads the configuration, opens the
//! store, and drives the crates (crawler, indexer, detector, marketsim) in the order of the
//! data flow. No crawling, indexing or detection logic lives here.

mod alerts;
mod backup;
mod bench;
mod brands;
mod cluster;
mod config;
mod console;
mod demo;
mod detect_eval;
mod eval;
mod frontier;
mod i18n;
mod learn;
mod nightly;
mod pipeline;
mod search;
mod spreadsheet;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use config::Config;
use std::io::{BufRead, Write};
use std::path::PathBuf;

// Indexing, extraction and detection allocate many small strings on every thread; glibc's
// malloc contends on its arena locks there (a quarter of indexing time in a profile).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "qsword",
    version,
    about = "E-commerce market surveillance: crawl, index, detect counterfeits, alert investigators"
)]
struct Cli {
    /// Configuration file.
    #[arg(long, global = true, default_value = "qsword.toml")]
    config: PathBuf,
    /// Data directory (store, warc/, index/, outbox/, runs/); overrides `data_dir` in the config.
    #[arg(long, global = true)]
    data: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

// Parsed once per process: boxing the large arguments would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Start the simulated marketplace on loopback, crawl it, index, detect, write alerts, summarise.
    Demo(demo::DemoArgs),
    /// Crawl the configured sites into the store (WARC evidence in data/warc/).
    Crawl {
        /// Stop after this many pages (overrides crawler.max_pages).
        #[arg(long)]
        max_pages: Option<usize>,
        /// Finish what an interrupted crawl left queued, without queueing the recrawl schedule.
        #[arg(long)]
        resume: bool,
        /// With a shared frontier (`--frontier` or `cluster.frontier`) this process is one
        /// worker of a cluster crawl: no store, visits streamed to `qsword ingest`.
        #[command(flatten)]
        cluster: cluster::FrontierArgs,
        /// A worker's WARC folder (default `cluster.warc_dir`, else `warc/` in the data directory).
        #[arg(long)]
        warc_dir: Option<PathBuf>,
    },
    /// The cluster's coordinator: store the visits the workers commit to the shared frontier.
    Ingest {
        #[command(flatten)]
        cluster: cluster::FrontierArgs,
        /// Exit once every worker has left and everything they committed is stored.
        #[arg(long)]
        until_done: bool,
    },
    /// The cluster crawl: `status` (workers, hosts owned, queues, ingest stream, rates).
    Cluster {
        #[command(subcommand)]
        command: ClusterCommand,
    },
    /// The cookie jars the crawler keeps per site between runs: `list`, `clear SITE|--all`.
    Cookies {
        #[command(subcommand)]
        command: CookiesCommand,
    },
    /// Write the evidence of a page back out: the HTTP response as captured in the WARC.
    Evidence {
        /// The page's URL (a listing's URL, or any fetched URL).
        url: String,
        /// Only the body, with its content-encoding undone (e.g. the HTML to open in a browser).
        #[arg(long)]
        body: bool,
        /// Write here instead of stdout.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Bring the search index up to date with the store (only what changed since the last run).
    Index {
        /// Rebuild the whole index from the store.
        #[arg(long)]
        rebuild: bool,
    },
    /// Score listings: from the store, or JSONL in → JSONL out without a store.
    Detect {
        #[arg(long, requires = "output")]
        input: Option<PathBuf>,
        #[arg(long, requires = "input")]
        output: Option<PathBuf>,
        /// Score the simulated marketplace against its ground truth and the brand matcher
        /// against its gold lists; fails below the floors.
        #[arg(long, conflicts_with_all = ["input", "output"])]
        evaluate: bool,
        /// Fit the signal weights on investigators' labels (`qsword label`), report their
        /// cross-validated quality, and save them (data/models/detector.json) if they beat the
        /// defaults.
        #[arg(long, conflicts_with_all = ["input", "output", "evaluate"])]
        train: bool,
        #[command(flatten)]
        eval: detect_eval::EvaluateArgs,
    },
    /// The brand lexicon learnt from the stored listings at the last `detect`: brands by
    /// sellers and platforms, and the imitations seen of each.
    Brands(brands::BrandsArgs),
    /// Record an investigator's decision on a stored listing (training data for detect --train).
    Label {
        /// The listing's URL, as stored (`qsword export` lists them).
        url: String,
        /// `confirmed` (it is a fake) or `dismissed` (the flag was wrong).
        #[arg(value_parser = learn::parse_decision)]
        decision: qsword_store::Decision,
        /// Why, for the audit trail.
        #[arg(long)]
        note: Option<String>,
        /// Who decided (default: $USER).
        #[arg(long, env = "USER", default_value = "cli")]
        who: String,
    },
    /// Search the index.
    Search(Box<search::SearchArgs>),
    /// The web console for staff (search, listings, JSON API); loopback by default.
    Serve(console::ServeArgs),
    /// Staff accounts of the web console: `users add NAME --role R` (password on stdin).
    Users(console::auth::UsersArgs),
    /// The night's job: crawl → detect → index → alerts → deliver, locked, resumable,
    /// with a run report; exit 0 ok, 3 partial, 1 failed, 75 another run holds the lock.
    Nightly(nightly::NightlyArgs),
    /// Alert digests: queue new ones (default), `list` the outbox, `send` what is due,
    /// `retry` everything queued now.
    Alerts(alerts::AlertsArgs),
    /// Import listings from JSONL into the store (bad lines are reported by line and field).
    Import {
        file: PathBuf,
        /// Stop at the first bad line instead of importing the good ones.
        #[arg(long)]
        strict: bool,
    },
    /// Export the store's listings as JSONL (to stdout or a file).
    Export {
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Serve the simulated marketplace (for trying the crawler by hand).
    Marketsim(demo::MarketsimArgs),
    /// Debugging: print the Listing extracted from a saved page.
    Extract {
        file: PathBuf,
        #[arg(long)]
        url: String,
        /// Site file whose [rules] apply.
        #[arg(long)]
        site: Option<PathBuf>,
    },
    /// Debugging: price strings on stdin → JSON lines {"amount","currency"} on stdout
    /// (currency is the ISO 4217 code of what the string itself says, else null).
    ParsePrice,
    /// Debugging: which URLs a robots.txt file lets an agent fetch (`allowed URL` / `disallowed URL`).
    Robots {
        robots_file: PathBuf,
        /// The crawler's User-Agent (rules match its product token, e.g. `qsword`).
        #[arg(long, default_value = "qsword")]
        agent: String,
        #[arg(required = true)]
        urls: Vec<String>,
    },
    /// Benchmarks on the simulated marketplace: `pipeline`, `crawl` (at scale), `polite`.
    Bench(bench::BenchArgs),
    /// Back up the store (online, consistent while others write) and the WARC files, each
    /// checked, with a manifest, into a new or empty folder; the index is rebuilt on restore.
    Backup { dir: PathBuf },
    /// Restore a backup into a data directory without a store, checking every file against
    /// the manifest, then rebuild the index.
    Restore { dir: PathBuf },
    /// Check the evidence: store integrity, every WARC record's digests, every listing's
    /// capture, the index's count; exit 4 when something is wrong (each problem printed).
    Verify,
    /// Measure extraction on a corpus of real pages (../shared/corpus), beside other systems.
    Eval {
        #[arg(long, default_value = "../shared/corpus")]
        corpus: PathBuf,
    },
}

#[derive(Subcommand)]
enum CookiesCommand {
    /// Sites with saved cookies, and when they were saved.
    List,
    /// Forget a site's cookies (its next crawl starts a new session), or every site's.
    Clear {
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        site: Option<String>,
        #[arg(long)]
        all: bool,
    },
}

#[derive(Subcommand)]
enum ClusterCommand {
    /// Workers (alive or gone, last heartbeat, hosts owned), hosts (owner, queued, in flight),
    /// the seen-set, the ingest stream and the pages committed in the last minute.
    Status {
        #[command(flatten)]
        cluster: cluster::FrontierArgs,
        /// One JSON document instead of the tables.
        #[arg(long)]
        json: bool,
    },
}

fn main() {
    use std::io::IsTerminal;
    // Warnings only unless asked (`QSWORD_LOG=info`): commands print their own summary.
    let mut filter = tracing_subscriber::EnvFilter::try_from_env("QSWORD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,html5ever=off"));
    if !std::env::var("QSWORD_LOG").is_ok_and(|v| v.contains("chromiumoxide")) {
        // The DevTools client warns about protocol messages it does not model (newer
        // Chromium events) by the hundred; the renderer reports what matters itself.
        filter = filter.add_directive("chromiumoxide=off".parse().expect("valid directive"));
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        // Colour codes only on a terminal, never into log files or the journal.
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    if let Err(e) = run(cli) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<()> {
    // The config is read and checked before anything runs, whatever the command.
    let explicit = std::env::args().any(|a| a == "--config" || a.starts_with("--config="));
    let (cfg, cfg_path) = Config::load(&cli.config, explicit)?;
    let data = cli
        .data
        .clone()
        .or_else(|| cfg.data_dir.clone())
        .unwrap_or_else(|| PathBuf::from("qsword-data"));
    // Absolute, so paths recorded in the store and reports hold from any working directory.
    let data =
        std::path::absolute(&data).with_context(|| format!("data directory {}", data.display()))?;
    let ctx = pipeline::Ctx {
        cfg,
        cfg_path,
        data,
    };
    match cli.command {
        Command::Demo(args) => demo::run(&ctx, args),
        Command::Crawl {
            max_pages,
            resume,
            cluster,
            warc_dir,
        } => {
            let sites = ctx.cfg.load_sites(ctx.cfg_path.as_deref())?;
            let mut crawler_cfg = ctx.cfg.crawler.clone();
            if let Some(n) = max_pages {
                crawler_cfg.max_pages = n as u64;
            }
            if let Some(rc) = cluster.redis(&ctx)? {
                let dir = cluster::warc_dir(&ctx, warc_dir.as_deref());
                println!("{}", cluster::work(&ctx, &crawler_cfg, &sites, &rc, &dir)?);
                return Ok(());
            }
            let summary = pipeline::crawl(&ctx, &crawler_cfg, &sites, resume)?;
            println!("{summary}");
            Ok(())
        }
        Command::Ingest {
            cluster,
            until_done,
        } => {
            let rc = cluster.required(&ctx, "ingest")?;
            let summary = cluster::ingest(&ctx, &rc, until_done)?;
            println!("ingested {summary}");
            Ok(())
        }
        Command::Cluster {
            command: ClusterCommand::Status { cluster, json },
        } => cluster::status(&cluster.required(&ctx, "cluster status")?, json),
        Command::Evidence { url, body, output } => {
            pipeline::evidence(&ctx, &url, body, output.as_deref())
        }
        Command::Index { rebuild } => {
            let summary = pipeline::index_with(&ctx, rebuild)?;
            println!("{summary} ({})", ctx.index_dir().display());
            Ok(())
        }
        Command::Detect {
            evaluate: true,
            eval: detect_eval::EvaluateArgs {
                real: Some(corpus), ..
            },
            ..
        } => detect_eval::run_real(
            &learn::base_detector(&ctx)?,
            ctx.cfg.detector.alert_min_risk,
            &corpus,
        ),
        Command::Detect {
            evaluate: true,
            eval,
            ..
        } => detect_eval::run(
            &learn::base_detector(&ctx)?,
            ctx.cfg.detector.alert_min_risk,
            &eval,
        ),
        Command::Detect { train: true, .. } => learn::train(&ctx),
        Command::Detect {
            input: Some(input),
            output: Some(output),
            ..
        } => {
            let n = pipeline::detect_jsonl(&ctx, &input, &output)?;
            println!(
                "scored {n} listings from {} into {}",
                input.display(),
                output.display()
            );
            Ok(())
        }
        Command::Detect { .. } => {
            let s = pipeline::detect(&ctx)?;
            println!("{s}");
            Ok(())
        }
        Command::Label {
            url,
            decision,
            note,
            who,
        } => learn::label(&ctx, &url, decision, note.as_deref(), &who),
        Command::Search(args) => search::run(&ctx, *args),
        Command::Brands(args) => brands::run(&ctx, &args),
        Command::Serve(args) => console::serve(&ctx, args),
        Command::Users(args) => console::auth::users(&ctx, args),
        Command::Nightly(args) => exit_with(nightly::run(&ctx, args)?),
        Command::Alerts(args) => exit_with(alerts::cli(&ctx, args)?),
        Command::Import { file, strict } => pipeline::import(&ctx, &file, strict),
        Command::Export { output } => pipeline::export(&ctx, output.as_deref()),
        Command::Marketsim(args) => demo::marketsim(args),
        Command::Extract { file, url, site } => {
            let listing = pipeline::extract_file(&file, &url, site.as_deref())?;
            println!("{}", serde_json::to_string_pretty(&listing)?);
            Ok(())
        }
        Command::ParsePrice => parse_price(),
        Command::Robots {
            robots_file,
            agent,
            urls,
        } => robots(&robots_file, &agent, &urls),
        Command::Bench(args) => bench::run(&ctx, args),
        Command::Eval { corpus } => eval::run(&corpus),
        Command::Backup { dir } => backup::backup(&ctx, &dir),
        Command::Restore { dir } => backup::restore(&ctx, &dir),
        Command::Verify => exit_with(backup::verify(&ctx)?),
        Command::Cookies { command } => cookies(&ctx, command),
    }
}

fn cookies(ctx: &pipeline::Ctx, command: CookiesCommand) -> Result<()> {
    let mut store = ctx.open_store()?;
    match command {
        CookiesCommand::List => {
            for (site, at) in store.sites_with_cookies()? {
                println!("{site}\t{}", at.to_rfc3339());
            }
        }
        CookiesCommand::Clear { site, .. } => {
            let n = store.clear_site_cookies(site.as_deref())?;
            match site {
                Some(s) if n == 0 => println!("site {s} has no saved cookies"),
                Some(s) => println!("cleared the cookies of site {s}"),
                None => println!("cleared the cookies of {n} sites"),
            }
        }
    }
    Ok(())
}

/// Ends the process with a scheduler's exit code (0 returns normally).
fn exit_with(code: i32) -> Result<()> {
    if code != 0 {
        std::process::exit(code);
    }
    Ok(())
}

fn parse_price() -> Result<()> {
    use qsword_extract::price::{parse_price, PriceHint};
    // No page around the string: only what the string itself says counts.
    let hint = PriceHint::none();
    let stdin = std::io::stdin();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for line in stdin.lock().lines() {
        let line = line.context("reading stdin")?;
        let v = match parse_price(&line, &hint) {
            Some(p) => serde_json::json!({
                "amount": p.amount.to_string(),
                // The ISO code where the symbol is unambiguous, else the symbol as printed.
                "currency": p.currency.map(|c| c.to_string()).or(p.currency_text),
            }),
            None => serde_json::json!({"amount": null, "currency": null}),
        };
        writeln!(out, "{v}")?;
    }
    out.flush()?;
    Ok(())
}

fn robots(file: &std::path::Path, agent: &str, urls: &[String]) -> Result<()> {
    use qsword_crawler::robots::RobotsPolicy;
    let body = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let (policy, parsed) = RobotsPolicy::parse(agent, &body);
    if let Err(e) = parsed {
        eprintln!(
            "{}: unparsable ({e}); RFC 9309 treats that as allow-all",
            file.display()
        );
    }
    for u in urls {
        let url = url::Url::parse(u).with_context(|| format!("{u:?} is not an absolute URL"))?;
        let verdict = if policy.allows(&url) {
            "allowed"
        } else {
            "disallowed"
        };
        println!("{verdict} {u}");
    }
    if let Some(d) = policy.crawl_delay() {
        eprintln!("crawl-delay {d}s");
    }
    Ok(())
}
