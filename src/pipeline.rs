//! The stages of the data flow, each one a function over the data directory:
//! crawl → store, store → detect → store, store → index, store → alerts → outbox.
//! `demo` and `nightly` chain them.

use crate::config::Config;
use anyhow::{Context, Result};
use qsword_crawler::{CrawlerConfig, Site};
use qsword_detector::Detector;
use qsword_indexer::{IndexDoc, ListingIndex};
use qsword_listing::catalogue::Catalogue;
use qsword_listing::Listing;
use qsword_store::Store;
use std::collections::BTreeMap;
use std::fmt;
use std::io::BufReader;
use std::path::{Path, PathBuf};

/// What every command needs: the configuration and where the data lives.
pub struct Ctx {
    pub cfg: Config,
    pub cfg_path: Option<PathBuf>,
    pub data: PathBuf,
}

impl Ctx {
    pub fn store_path(&self) -> PathBuf {
        self.data.join("qsword.sqlite")
    }
    pub fn warc_dir(&self) -> PathBuf {
        self.data.join("warc")
    }
    pub fn index_dir(&self) -> PathBuf {
        self.data.join("index")
    }
    pub fn outbox_dir(&self) -> PathBuf {
        self.data.join("outbox")
    }
    /// The catalogues of `[detector] seeds_dir`, or the built-in ones.
    pub fn catalogue(&self) -> Result<Catalogue> {
        self.cfg.catalogue(self.cfg_path.as_deref())
    }
    pub fn open_store(&self) -> Result<Store> {
        std::fs::create_dir_all(&self.data)
            .with_context(|| format!("creating the data directory {}", self.data.display()))?;
        Store::open(self.store_path())
            .with_context(|| format!("opening the store {}", self.store_path().display()))
    }
}

/// A run's id: its start time, which also names its outbox files.
pub fn run_id() -> String {
    // Milliseconds: two runs in one second must not overwrite each other's digests.
    chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ").to_string()
}

// ---------------------------------------------------------------------------------------------
// progress

/// Progress of a long job: a spinner on a terminal, a log line every ten seconds otherwise
/// (cron mails and journald keep no spinners).
pub(crate) struct Progress {
    bar: Option<indicatif::ProgressBar>,
    stage: &'static str,
    steps: std::cell::Cell<u64>,
    last_log: std::cell::Cell<std::time::Instant>,
}

impl Progress {
    pub(crate) fn new(stage: &'static str) -> Self {
        use std::io::IsTerminal;
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        Progress {
            bar,
            stage,
            steps: std::cell::Cell::new(0),
            last_log: std::cell::Cell::new(std::time::Instant::now()),
        }
    }

    /// `n` more steps at once; off a terminal, a log line every ten seconds.
    pub(crate) fn tick_by(&self, n: u64, message: impl FnOnce() -> String) {
        self.steps.set(self.steps.get() + n);
        match &self.bar {
            Some(bar) => bar.set_message(format!("{}: {}", self.stage, message())),
            None if self.last_log.get().elapsed() >= std::time::Duration::from_secs(10) => {
                self.last_log.set(std::time::Instant::now());
                tracing::info!(stage = self.stage, "{}", message())
            }
            None => {}
        }
    }

    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// crawl

#[derive(Debug, Default)]
pub struct CrawlSummary {
    pub pages: usize,
    pub errors: usize,
    pub listings_new: usize,
    pub listings_changed: usize,
    pub listings_unchanged: usize,
    /// Listings whose pages answered 404/410 in this crawl.
    pub delisted: usize,
    /// Listings confirmed unchanged by a 304 to a conditional GET (counted in `unchanged`).
    pub not_modified: usize,
    /// Pages loaded in the headless browser (sites with `render`).
    pub rendered: u64,
    /// Visits answered with a block page (captcha, slider, login wall), tried again slower.
    pub blocked: u64,
    /// Hosts parked for the rest of the run, with why.
    pub parked: Vec<String>,
    pub elapsed_s: f64,
    /// Response time of every answered request, in microseconds (for benchmarks).
    pub response_us: Vec<u64>,
}

impl fmt::Display for CrawlSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "crawled {} pages in {:.1}s ({} errors, {} rendered, {} blocked): {} new listings, {} changed, {} unchanged ({} by 304), {} delisted",
            self.pages,
            self.elapsed_s,
            self.errors,
            self.rendered,
            self.blocked,
            self.listings_new,
            self.listings_changed,
            self.listings_unchanged,
            self.not_modified,
            self.delisted
        )?;
        for p in &self.parked {
            write!(f, "\n  parked {p}")?;
        }
        Ok(())
    }
}

impl CrawlSummary {
    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "pages": self.pages, "errors": self.errors, "listings_new": self.listings_new,
            "listings_changed": self.listings_changed, "listings_unchanged": self.listings_unchanged,
            "delisted": self.delisted, "not_modified": self.not_modified,
            "rendered": self.rendered, "blocked": self.blocked, "parked": self.parked,
            "elapsed_s": self.elapsed_s,
        })
    }
}

/// Crawls `sites` from the store's frontier, writing every visit to the store as batches
/// commit, and the run's report to `runs/`. A new run first queues again what is due by each
/// site's recrawl schedule; `resume` only finishes what an interrupted run left queued.
pub fn crawl(
    ctx: &Ctx,
    crawler_cfg: &CrawlerConfig,
    sites: &[Site],
    resume: bool,
) -> Result<CrawlSummary> {
    let mut store = ctx.open_store()?;
    let warc_dir = ctx.warc_dir();
    std::fs::create_dir_all(&warc_dir)
        .with_context(|| format!("creating {}", warc_dir.display()))?;
    let run_id = run_id();
    let now = chrono::Utc::now();
    let interrupted = store.mark_interrupted_runs("crawl", now)?;
    if interrupted > 0 && !resume {
        tracing::warn!(
            "{interrupted} earlier crawl run(s) did not finish; their queued URLs are crawled too"
        );
    }
    let requeued = store.write(|tx| {
        // URLs leased by a process that died are visited again.
        let mut n = tx.frontier_reset_in_flight()?;
        if !resume {
            for site in sites {
                let due = |hours: f64| now - chrono::Duration::milliseconds((hours * 3.6e6) as i64);
                n += tx.frontier_requeue(
                    &site.name,
                    qsword_store::UrlKind::Product,
                    due(site.recrawl_product_hours),
                )?;
                for kind in [qsword_store::UrlKind::Page, qsword_store::UrlKind::Sitemap] {
                    n += tx.frontier_requeue(&site.name, kind, due(site.recrawl_page_hours))?;
                }
            }
        }
        Ok(n)
    })?;
    tracing::debug!(requeued, resume, "frontier ready");
    let run = store.begin_run("crawl", now)?;
    let frontier = crate::frontier::StoreFrontier::new(store, &warc_dir, ctx.catalogue()?)?;
    let rt = tokio::runtime::Runtime::new()?;
    let started = std::time::Instant::now();
    let outcome = rt.block_on(qsword_crawler::crawl(
        crawler_cfg,
        sites,
        frontier,
        &warc_dir,
    ));
    let (report, frontier) = match outcome {
        Ok(done) => done,
        Err(e) => {
            // The frontier went down with the crawl; the store is opened again to record why.
            let mut store = ctx.open_store()?;
            let report = serde_json::json!({ "run": run_id, "kind": "crawl", "status": "failed", "error": e.to_string() });
            store.finish_run(run, "failed", &report, chrono::Utc::now())?;
            write_run_report(ctx, &format!("{run_id}-crawl"), &report)?;
            return Err(e.into());
        }
    };
    frontier.finish_progress();
    let mut store = frontier.store;
    let mut summary = frontier.summary;
    summary.elapsed_s = started.elapsed().as_secs_f64();
    summary.rendered = report.rendered;
    summary.blocked = report.blocked;
    summary.parked = report
        .hosts
        .iter()
        .filter_map(|(h, r)| r.parked.as_ref().map(|why| format!("{h}: {why}")))
        .collect();
    let report = serde_json::json!({
        "run": run_id, "kind": "crawl", "status": "ok", "resume": resume, "requeued": requeued,
        "summary": summary.to_json(), "crawler": report,
    });
    store.finish_run(run, "ok", &report, chrono::Utc::now())?;
    write_run_report(ctx, &format!("{run_id}-crawl"), &report)?;
    Ok(summary)
}

/// The crawler's reference to the WARC record the store points to (file names in the store
/// are relative to the data directory's `warc/`, see ARCHITECTURE.md).
pub fn warc_ref(warc_dir: &Path, location: &qsword_store::WarcLocation) -> qsword_crawler::WarcRef {
    qsword_crawler::WarcRef {
        file: warc_dir.join(&location.file),
        record_id: location.record_id.clone(),
        offset: location.offset,
        // Not needed to find the record; the record itself carries it.
        payload_digest: String::new(),
    }
}

/// `qsword evidence URL`: the captured response of a page, from its WARC record — the
/// listing's latest capture, else the last fetch of the URL that got a response.
pub fn evidence(ctx: &Ctx, url: &str, body_only: bool, output: Option<&Path>) -> Result<()> {
    let store = ctx.open_store()?;
    let location = match store.listing_by_url(url)?.and_then(|l| l.warc) {
        Some(w) => w,
        None => store
            .last_fetch(url)?
            .and_then(|f| f.warc)
            .with_context(|| {
                format!(
                    "no captured response of {url} in {}",
                    ctx.store_path().display()
                )
            })?,
    };
    let warc = warc_ref(&ctx.warc_dir(), &location);
    let write = |out: &mut dyn std::io::Write| -> Result<()> {
        let mut out = std::io::BufWriter::new(out);
        qsword_crawler::write_http_response(&warc, &mut out, body_only).with_context(|| {
            format!("reading {} at offset {}", warc.file.display(), warc.offset)
        })?;
        std::io::Write::flush(&mut out)?;
        Ok(())
    };
    match output {
        Some(path) => {
            let mut f = std::fs::File::create(path)
                .with_context(|| format!("creating {}", path.display()))?;
            write(&mut f)?;
            eprintln!(
                "wrote the response of {url} ({} record {}) to {}",
                location.file,
                location.record_id,
                path.display()
            );
            Ok(())
        }
        None => write(&mut std::io::stdout().lock()),
    }
}

/// Writes a run's JSON report to `runs/NAME.json`, for the operator and the scheduler.
pub fn write_run_report(ctx: &Ctx, name: &str, report: &serde_json::Value) -> Result<PathBuf> {
    let dir = ctx.data.join("runs");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_vec_pretty(report)?)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

// ---------------------------------------------------------------------------------------------
// detect

#[derive(Debug, Default)]
pub struct DetectSummary {
    pub listings: usize,
    pub flagged: usize,
    pub by_signal: BTreeMap<String, usize>,
}

impl fmt::Display for DetectSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "scored {} listings: {} flagged",
            self.listings, self.flagged
        )?;
        if !self.by_signal.is_empty() {
            let parts: Vec<String> = self
                .by_signal
                .iter()
                .map(|(s, n)| format!("{s} {n}"))
                .collect();
            write!(f, " (flags by signal: {})", parts.join(", "))?;
        }
        Ok(())
    }
}

/// Learnt weights when `models/detector.json` exists, else the defaults (see `learn`).
fn detector(ctx: &Ctx) -> Result<Detector> {
    crate::learn::detector(ctx)
}

/// Scores every live listing in the store and saves the assessments.
pub fn detect(ctx: &Ctx) -> Result<DetectSummary> {
    let mut store = ctx.open_store()?;
    // Prices are compared across the whole batch, so the live listings are held at once; each
    // only once (moved out of the stored rows, not cloned).
    let (ids, listings): (Vec<qsword_store::ListingId>, Vec<Listing>) = store
        .listings()?
        .into_iter()
        .filter(|s| s.delisted_at.is_none())
        .map(|s| (s.id, s.listing))
        .unzip();
    // Each listing's earlier prices (every stored version but the latest) for the history signal.
    let mut history = Vec::with_capacity(ids.len());
    for id in &ids {
        let mut versions = store.versions(*id)?;
        versions.pop(); // the latest version is the listing itself
        history.push(
            versions
                .into_iter()
                .filter_map(|v| v.price)
                .collect::<Vec<_>>(),
        );
    }
    let detector = detector(ctx)?;
    // The night's brand lexicon is learnt once, used for scoring and kept for `qsword brands`.
    let lexicon = detector.brand_lexicon(&listings);
    let assessments = detector.detect_with_lexicon(&listings, &history, &lexicon);
    let mut summary = DetectSummary {
        listings: listings.len(),
        ..Default::default()
    };
    let mut rows = Vec::with_capacity(ids.len());
    for (id, a) in ids.iter().zip(&assessments) {
        if !a.flags.is_empty() {
            summary.flagged += 1;
        }
        for f in &a.flags {
            *summary.by_signal.entry(f.signal.to_string()).or_default() += 1;
        }
        rows.push((*id, a.risk, serde_json::to_string(&a.flags)?));
    }
    crate::nightly::crash_point("detect");
    store.save_assessments(&rows)?;
    let lexicon = serde_json::to_string(&lexicon.notable())?;
    store.save_brand_lexicon(chrono::Utc::now(), listings.len(), &lexicon)?;
    Ok(summary)
}

/// `detect --input --output`: JSONL in, DESIGN-format scores out, no store involved.
/// Bad lines are reported by line and field on stderr and skipped.
pub fn detect_jsonl(ctx: &Ctx, input: &Path, output: &Path) -> Result<usize> {
    let file =
        std::fs::File::open(input).with_context(|| format!("opening {}", input.display()))?;
    let out =
        std::fs::File::create(output).with_context(|| format!("creating {}", output.display()))?;
    let summary = detector(ctx)?
        .detect_jsonl(BufReader::new(file), std::io::BufWriter::new(out), false)
        .with_context(|| format!("scoring {} into {}", input.display(), output.display()))?;
    for e in &summary.errors {
        eprintln!("{}: {e}", input.display());
    }
    Ok(summary.assessed)
}

// ---------------------------------------------------------------------------------------------
// index and search

/// What an index run did.
#[derive(Debug)]
pub struct IndexSummary {
    /// Listings (re)indexed by this run.
    pub indexed: u64,
    /// Whether the whole index was rebuilt (asked for, first run, or index ahead of the store).
    pub rebuilt: bool,
    /// Listings searchable after the run, and the segments holding them.
    pub documents: u64,
    pub segments: usize,
    /// The store's change sequence the index now reflects (its commit checkpoint).
    pub store_seq: i64,
}

impl fmt::Display for IndexSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "indexed {} listings ({}); the index holds {} listings in {} segments, up to store change {}",
            self.indexed,
            if self.rebuilt { "full rebuild" } else { "changed since the last run" },
            self.documents,
            self.segments,
            self.store_seq
        )
    }
}

/// What the index's commit checkpoint records: the store change it has caught up with.
#[derive(serde::Serialize, serde::Deserialize)]
struct IndexCheckpoint {
    store_seq: i64,
    /// The currency rates the base prices were computed with: other rates mean a rebuild.
    #[serde(default)]
    rates: String,
    /// How the text was tokenized ([`qsword_indexer::ANALYSIS_VERSION`]): another version's
    /// terms would not match today's queries, so it means a rebuild too.
    #[serde(default)]
    analysis: u32,
}

fn rates_fingerprint(rates: &qsword_indexer::CurrencyRates) -> String {
    let pairs: Vec<String> = rates.iter().map(|(c, r)| format!("{c}={r}")).collect();
    format!("{}:{}", rates.base(), pairs.join(","))
}

/// Brings the index view of the store up to date: listings changed since the index's
/// checkpoint are upserted (by listing id, so re-running never duplicates), then one commit
/// records the store change sequence reached. A crash before that commit loses nothing: the
/// next run starts again from the old checkpoint. Returns how many listings were indexed.
pub fn index(ctx: &Ctx) -> Result<usize> {
    Ok(index_with(ctx, false)?.indexed as usize)
}

/// [`index`], or with `rebuild` every listing of the store into an emptied index.
pub fn index_with(ctx: &Ctx, rebuild: bool) -> Result<IndexSummary> {
    let store = ctx.open_store()?;
    let dir = ctx.index_dir();
    let index = match ListingIndex::open_or_create(&dir) {
        // The index is a view of the store: a schema from another version is rebuilt.
        Err(qsword_indexer::IndexError::SchemaMismatch { .. }) => {
            tracing::info!(dir = %dir.display(), "index schema changed: rebuilding");
            std::fs::remove_dir_all(&dir)
                .with_context(|| format!("removing the old index {}", dir.display()))?;
            ListingIndex::open_or_create(&dir)?
        }
        other => other.with_context(|| format!("opening the index {}", dir.display()))?,
    }
    .with_rates(ctx.cfg.index.rates()?);
    let rates = rates_fingerprint(index.rates());
    let store_seq = store.listing_change_seq()?;
    let checkpoint = index
        .checkpoint()?
        .and_then(|text| serde_json::from_str::<IndexCheckpoint>(&text).ok());
    let from = match checkpoint {
        _ if rebuild => None,
        // An index ahead of its store (a store restored from a backup) cannot be caught up.
        Some(c) if c.store_seq > store_seq => {
            tracing::warn!(
                index_seq = c.store_seq,
                store_seq,
                "the index is ahead of the store: rebuilding it"
            );
            None
        }
        Some(c) if c.rates != rates => {
            tracing::info!("the currency rates changed: rebuilding the index");
            None
        }
        Some(c) if c.analysis != qsword_indexer::ANALYSIS_VERSION => {
            tracing::info!("the text analysis changed: rebuilding the index");
            None
        }
        Some(c) => Some(c.store_seq),
        None => None,
    };
    let mut writer = index.writer(ctx.cfg.index.memory_mb << 20)?;
    if from.is_none() {
        writer.delete_all()?;
    }
    let progress = Progress::new("indexing");
    // Streamed from the store: one listing at a time is held, not the whole store.
    let mut failed = None;
    let indexed = store.for_each_listing_changed_since(from.unwrap_or(0), |s| {
        if failed.is_none() && s.change_seq <= store_seq {
            let doc = IndexDoc {
                id: s.id.0 as u64,
                listing: &s.listing,
                risk: s.risk,
                delisted: s.delisted_at.is_some(),
                first_seen: Some(s.first_seen),
                last_seen: Some(s.last_seen),
            };
            // A rebuild starts from an emptied index and meets each listing once.
            failed = if from.is_none() {
                writer.add(&doc)
            } else {
                writer.upsert(&doc)
            }
            .err();
            progress.tick_by(1, || format!("{} listings", progress.steps.get()));
        }
        Ok(())
    })?;
    progress.finish();
    if let Some(e) = failed {
        return Err(e.into());
    }
    crate::nightly::crash_point("index");
    let checkpoint = serde_json::to_string(&IndexCheckpoint {
        store_seq,
        rates,
        analysis: qsword_indexer::ANALYSIS_VERSION,
    })?;
    writer.commit_with_checkpoint(&checkpoint)?;
    // Waits for merges, so segments don't pile up over nightly runs.
    writer.finish()?;
    Ok(IndexSummary {
        indexed,
        rebuilt: from.is_none(),
        documents: index.doc_count(),
        segments: index.segment_count(),
        store_seq,
    })
}

// ---------------------------------------------------------------------------------------------
// alerts

pub use crate::alerts::AlertSummary;

/// Alerts what deserves it and queues one digest per recipient (see `alerts::queue`).
pub fn alerts(ctx: &Ctx, run_id: &str) -> Result<AlertSummary> {
    crate::alerts::queue_new_alerts(ctx, run_id)
}

// ---------------------------------------------------------------------------------------------
// import / export / extract

pub fn import(ctx: &Ctx, file: &Path, strict: bool) -> Result<()> {
    let f = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let report = qsword_listing::read_jsonl(BufReader::new(f), strict)
        .with_context(|| format!("reading {}", file.display()))?;
    for e in &report.errors {
        eprintln!("{}: {e}", file.display());
    }
    if strict && !report.errors.is_empty() {
        anyhow::bail!(
            "{}: stopped at the first bad line (--strict); nothing imported",
            file.display()
        );
    }
    let mut store = ctx.open_store()?;
    let listings: Vec<Listing> = report.listings.into_iter().map(|(_, l)| l).collect();
    let counts = store.import_listings(&listings)?;
    println!(
        "imported {} listings from {} ({} bad lines skipped)",
        counts.imported(),
        file.display(),
        report.errors.len()
    );
    Ok(())
}

pub fn export(ctx: &Ctx, output: Option<&Path>) -> Result<()> {
    let store = ctx.open_store()?;
    let listings: Vec<Listing> = store.listings()?.into_iter().map(|s| s.listing).collect();
    match output {
        Some(p) => {
            let f =
                std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?;
            qsword_listing::write_jsonl(std::io::BufWriter::new(f), &listings)?;
        }
        None => qsword_listing::write_jsonl(std::io::stdout().lock(), &listings)?,
    }
    Ok(())
}

pub fn extract_file(file: &Path, url: &str, site: Option<&Path>) -> Result<Listing> {
    let body = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let url = url::Url::parse(url).with_context(|| format!("--url {url:?}"))?;
    let site = site.map(Site::from_toml_file).transpose()?;
    let page = qsword_extract::decode_html(&body, None);
    let mut listing =
        qsword_extract::extract_listing(&page, &url, site.as_ref().and_then(|s| s.rules.as_ref()))
            .with_context(|| format!("{}: no product found on the page", file.display()))?;
    categorize(&Catalogue::embedded(), &mut listing);
    Ok(listing)
}

/// Maps a listing onto the key-product categories of `seeds/` (the page's own breadcrumb
/// stays in `category_path`), as the crawl does before storing it.
pub fn categorize(catalogue: &Catalogue, listing: &mut Listing) {
    if listing.category.is_none() {
        listing.category = catalogue.categorize(listing).map(|c| c.slug.clone());
    }
}
