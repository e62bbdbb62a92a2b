//! The crawl loop. One task per host visits that host's URLs one request at a time, spaced by
//! the host's effective delay (configured delay, robots.txt Crawl-delay, adaptive throttle,
//! Retry-After); host tasks run concurrently, so a slow host never holds up the others. URLs
//! come from a durable [`Frontier`], leased a few at a time per host; everything a visit learnt
//! goes back as one [`PageOutcome`].
//!
//! The frontier is owned by one thread, the *keeper*: it serves leases, and commits outcomes
//! in batches — after making the WARC records they point to durable (fsync), so the store
//! never points at evidence that a crash could lose. It also decides when the crawl is over:
//! when every host is waiting for work and nothing is left to commit.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use serde::Serialize;
use std::num::NonZeroU32;
use tokio::sync::{mpsc, oneshot, Semaphore};
use url::Url;

use crate::block::{block_page, Block};
use crate::canon::{host_key, origin};
use crate::config::{CompiledSite, CrawlerConfig, Site, SiteConfigError};
use crate::evidence::RenderedCapture;
use crate::evidence::{sha1_base32, Exchange, PreparedExchange, WarcRef, WarcWriter};
use crate::fetch::{
    decode_content_encoding, is_transient_status, load_roots, parse_retry_after,
    retry_after_header, retry_delay, FetchFailure, Fetcher, RawResponse, Session,
};
use crate::frontier::{
    Answered, Frontier, FrontierError, HostSlots, Lease, NewPerHost, NewUrl, PageOutcome, UrlKind,
    VisitState,
};
use crate::links::{links_in, meta_refresh};
use crate::rendering::PageGate;
use crate::robots::RobotsPolicy;
use crate::safety::AddressPolicy;
use crate::session::Jars;
use qsword_extract::{decode_html, extract_listing_from, parse_page, MAX_HTML_BYTES};
use qsword_render::{RenderConfig, Renderer};

/// One HTTP response (or failed attempt) of the crawl, for the store's fetch history.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct FetchRecord {
    /// The URL requested.
    pub url: String,
    /// Where the response says the page is: the resolved `Location` of a redirect, else `url`.
    pub final_url: String,
    /// HTTP status; `None` when no response came (refused, connect error, timeout).
    pub status: Option<u16>,
    pub content_type: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// `sha1:BASE32` of the body as received (the WARC payload digest).
    pub content_digest: Option<String>,
    pub warc: Option<WarcRef>,
    pub fetched_at: DateTime<Utc>,
    /// Response time of the answered request (send to last body byte), in microseconds;
    /// `None` when no response came.
    pub response_us: Option<u64>,
    /// Why the fetch is not usable (refused address, transport error, body over the limit, …).
    pub error: Option<String>,
}

/// Per-host figures of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HostReport {
    /// HTTP requests sent, robots.txt and retries included.
    pub requests: u64,
    /// Answers by HTTP status.
    pub statuses: BTreeMap<u16, u64>,
    /// Requests sent again after a transient failure.
    pub retries: u64,
    /// Visits with no usable answer.
    pub errors: u64,
    /// Body bytes received (as sent, before decompression), robots.txt included.
    pub bytes: u64,
    /// The delay held between two requests at the start: max(configured, Crawl-delay).
    pub effective_delay_ms: u64,
    /// The largest delay the adaptive throttle raised it to (slow answers, 429, 503).
    pub max_delay_ms: u64,
    /// robots.txt outcome: `parsed`, `allow-all (status N)`, `disallow-all (…)`.
    pub robots: String,
    /// URLs not fetched because robots.txt disallows them.
    pub robots_disallowed: u64,
    /// The Crawl-delay asked for, when it exceeded `max_crawl_delay_ms` and the host was
    /// therefore parked (`u64::MAX` for `inf` and other delays too long to represent).
    pub crawl_delay_capped_from_ms: Option<u64>,
    /// Pages loaded in the headless browser.
    pub rendered: u64,
    /// Block pages (captcha, slider, login wall) it answered; each slowed it down.
    pub blocked: u64,
    /// What the last one was.
    pub last_block: Option<String>,
    /// Why the host was parked (its URLs stay queued for the next run).
    pub parked: Option<String>,
    /// Why the host's crawl stopped on a bug (its task panicked).
    pub failure: Option<String>,
}

/// The run report (written to `runs/` by the binary).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CrawlReport {
    /// Pages requested and answered (any status), robots.txt not counted.
    pub pages_fetched: u64,
    pub listings: u64,
    /// Visits with no usable answer (refused, transport error, over-size body, 5xx/429 after
    /// retries), by host key (host name, and port when not the default).
    pub errors_by_host: BTreeMap<String, u64>,
    /// URLs skipped because robots.txt disallows them.
    pub robots_disallowed: u64,
    /// Visits answered with a block page (captcha, slider, login wall), tried again slower.
    pub blocked: u64,
    /// Pages loaded in the headless browser.
    pub rendered: u64,
    /// Why pages of sites with `render` were fetched without a browser (none could start).
    pub render_unavailable: Option<String>,
    /// URLs refused by address safety, with the reason.
    pub refused: Vec<String>,
    /// Body bytes received (as sent, before decompression).
    pub bytes: u64,
    /// URLs added to the frontier by this run (seeds, links, sitemap entries).
    pub discovered: u64,
    pub elapsed: Duration,
    /// WARC files written by this run.
    pub warc_files: Vec<PathBuf>,
    /// Hosts parked this run (each host's reason is its [`HostReport::parked`]).
    pub hosts_parked: u64,
    pub hosts: BTreeMap<String, HostReport>,
}

/// Why a crawl could not run or stopped (problems with single pages are reported, not raised).
#[derive(Debug, thiserror::Error)]
pub enum CrawlError {
    #[error(transparent)]
    Site(#[from] SiteConfigError),
    #[error("WARC file in {dir}: {source}")]
    Warc {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("WARC file {file}: {source}")]
    WarcWrite {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    #[error("crawler config: {0}")]
    Config(String),
    #[error("frontier: {0}")]
    Frontier(FrontierError),
    #[error("the frontier keeper thread died: {0}")]
    Keeper(String),
}

/// What host tasks ask of the keeper.
enum Cmd {
    Lease {
        host: String,
        max: usize,
        reply: oneshot::Sender<Vec<Lease>>,
    },
    Done(Box<PageOutcome>),
    Push(Vec<NewUrl>),
    Release(Vec<Lease>),
    /// The host will ask for nothing more this run (parked or failed).
    Finished(String),
    /// Time to ask a shared frontier again for the idle hosts.
    Tick,
}

struct Shared {
    /// Request slots shared with other workers (a cluster crawl), else `None`.
    slots: Option<Arc<dyn HostSlots>>,
    cfg: CrawlerConfig,
    sites: Vec<CompiledSite>,
    site_cfgs: Vec<Site>,
    /// One client per address policy and proxy in use (sites may allow loopback or private
    /// targets, or go through a proxy).
    fetchers: Vec<(AddressPolicy, Option<String>, Fetcher)>,
    /// Each site's cookies, by site index.
    jars: Jars,
    /// Browsers for pages that need one, by proxy, started on first use.
    renderers: tokio::sync::Mutex<HashMap<Option<String>, Result<Renderer, String>>>,
    warc: Arc<Mutex<WarcWriter>>,
    keeper: mpsc::Sender<Cmd>,
    permits: Semaphore,
    report: Mutex<CrawlReport>,
    /// 64-bit hashes of the canonical URLs this process already handed to the frontier: most
    /// links are known, and this skips them without a store round trip (16 bytes per URL; a
    /// hash collision, about 1 in 10^7 at a billion URLs, would skip one page).
    known: Mutex<HashSet<u64>>,
    /// A fatal error (WARC unwritable): every host stops.
    stop: Mutex<Option<CrawlError>>,
    /// No visit starts after this (`max_run_s`).
    deadline: Option<Instant>,
}

impl Shared {
    fn report(&self) -> MutexGuard<'_, CrawlReport> {
        self.report.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn host_report<R>(&self, key: &str, f: impl FnOnce(&mut HostReport) -> R) -> R {
        f(self.report().hosts.entry(key.to_owned()).or_default())
    }

    fn stopped(&self) -> bool {
        self.stop
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    fn site(&self, name: &str) -> Option<usize> {
        self.sites.iter().position(|s| s.name == name)
    }

    fn policy_for(&self, site: Option<usize>) -> AddressPolicy {
        let mut p = AddressPolicy {
            allow_loopback: self.cfg.allow_loopback,
            allow_private: self.cfg.allow_private,
        };
        if let Some(s) = site.map(|i| &self.site_cfgs[i]) {
            p.allow_loopback |= s.allow_loopback;
            p.allow_private |= s.allow_private;
        }
        p
    }

    fn fetcher(&self, policy: AddressPolicy, site: Option<usize>) -> &Fetcher {
        let proxy = site.and_then(|i| self.site_cfgs[i].proxy.as_deref());
        &self
            .fetchers
            .iter()
            .find(|(p, x, _)| *p == policy && x.as_deref() == proxy)
            .expect("a client for every policy and proxy in use")
            .2
    }

    fn accept_language(&self, site: Option<usize>) -> &str {
        site.and_then(|i| self.site_cfgs[i].accept_language.as_deref())
            .unwrap_or(&self.cfg.accept_language)
    }

    /// One more visit of `key`'s without a usable answer, in both places the report keeps it.
    fn count_error(&self, key: &str) {
        *self
            .report()
            .errors_by_host
            .entry(key.to_owned())
            .or_default() += 1;
        self.host_report(key, |h| h.errors += 1);
    }

    /// `n` more URLs of `key` not fetched because its robots.txt disallows them.
    fn count_disallowed(&self, key: &str, n: u64) {
        self.report().robots_disallowed += n;
        self.host_report(key, |h| h.robots_disallowed += n);
    }

    /// Whether this process sees `url` for the first time (and remembers it). In a cluster
    /// every URL goes to the shared frontier's seen-set: a visit whose commit is refused (its
    /// host passed to another worker) takes its links with it, and a cache here would keep
    /// this worker from ever pushing them again when it visits the page a second time.
    fn first_sight(&self, url: &Url) -> bool {
        if self.slots.is_some() {
            return true;
        }
        self.known
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(url_hash(url))
    }

    /// Keeps the URLs not yet handed to the frontier by this process.
    fn unknown(&self, urls: &mut Vec<NewUrl>) {
        if self.slots.is_some() {
            return;
        }
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        urls.retain(|u| known.insert(url_hash(&u.url)));
    }
}

fn url_hash(u: &Url) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    u.as_str().hash(&mut h);
    h.finish()
}

/// One host's politeness state, owned by its task.
struct Host {
    key: String,
    /// The site its own requests (robots.txt) are made for: the first that crawls it.
    site: Option<usize>,
    /// The floor: max(configured delay, robots.txt Crawl-delay).
    base_delay: Duration,
    /// The delay in force: the floor, raised by the adaptive throttle.
    delay: Duration,
    /// The floor as a governor quota with burst 1: never two sends inside one period.
    quota: Option<DefaultDirectRateLimiter>,
    /// When the last exchange with this host ended (response read, or the attempt failed).
    last_done: Option<Instant>,
    /// No request before this (Retry-After).
    not_before: Option<Instant>,
    /// robots.txt per origin (`http://x` and `https://x` share the host, not the file), with
    /// when it was read; shared with the gate of a page rendered in the browser.
    robots: HashMap<String, (Arc<RobotsPolicy>, Instant)>,
    /// Visits in a row without a usable answer.
    failures: u32,
    /// Block pages in a row.
    blocks: u32,
    parked: Option<String>,
    /// The address policy of the site(s) this host belongs to.
    policy: AddressPolicy,
}

impl Host {
    /// Whether robots.txt of `url`'s origin lets it be fetched (not read yet: no).
    fn allows(&self, url: &Url) -> bool {
        self.robots
            .get(&origin(url))
            .is_some_and(|(p, _)| p.allows(url))
    }

    /// Whether robots.txt of `url`'s origin has been read.
    fn knows(&self, url: &Url) -> bool {
        self.robots.contains_key(&origin(url))
    }

    /// Whether robots.txt of `url`'s origin must be read (again) before fetching it.
    fn robots_due(&self, url: &Url, ttl: Duration) -> bool {
        self.robots
            .get(&origin(url))
            .is_none_or(|(_, at)| at.elapsed() > ttl)
    }

    fn set_floor(&mut self, floor: Duration) {
        self.base_delay = floor;
        self.delay = self.delay.max(floor);
        self.quota =
            Quota::with_period(floor).map(|q| RateLimiter::direct(q.allow_burst(NonZeroU32::MIN)));
    }

    /// Adaptive throttle, after each answer: 429/503 double the delay (at least to the
    /// Retry-After asked for) and hold every request until then; a slow answer pulls the
    /// delay up towards its latency (as Scrapy's AutoThrottle does with one request in
    /// flight); a quick one lets it fall back slowly, by an eighth of the way to the floor.
    fn adapt(
        &mut self,
        cfg: &CrawlerConfig,
        status: u16,
        latency: Duration,
        retry_after: Option<Duration>,
    ) {
        let ceiling = Duration::from_millis(cfg.max_adaptive_delay_ms).max(self.base_delay);
        if status == 429 || status == 503 {
            let wait =
                retry_after.unwrap_or(self.delay.max(Duration::from_millis(cfg.retry_backoff_ms)));
            self.delay = (self.delay * 2)
                .max(wait.min(ceiling))
                .max(self.base_delay)
                .min(ceiling);
            self.not_before = Some(Instant::now() + wait);
        } else if latency > self.delay {
            self.delay = ((self.delay + latency) / 2).clamp(self.base_delay, ceiling);
        } else if self.delay > self.base_delay {
            self.delay -= (self.delay - self.base_delay.max(latency)) / 8;
        }
    }
}

/// Crawls `sites`: seeds the frontier with their start URLs and sitemaps, then visits what the
/// frontier holds for their hosts until nothing is queued (or `max_pages` were leased), writing
/// every response to WARC files in `warc_dir`. Returns the report and the frontier.
pub async fn crawl<F: Frontier + 'static>(
    cfg: &CrawlerConfig,
    sites: &[Site],
    frontier: F,
    warc_dir: &Path,
) -> Result<(CrawlReport, F), CrawlError> {
    crawl_with(cfg, sites, frontier, warc_dir, None).await
}

/// How often a cluster worker asks the shared frontier again for hosts it is idle on (another
/// worker may hold them, or may discover work for them).
const SHARED_POLL: Duration = Duration::from_millis(250);

/// [`crawl`] as one worker of several sharing `frontier` (a cluster): every request first
/// takes the host's slot from `slots`, so a host's delay holds across workers; a host that is
/// idle here (nothing queued, or leased by another worker) is asked for again every 250 ms;
/// robots.txt is read only for hosts this worker gets work for; and the crawl ends when every
/// host is idle here and [`Frontier::settled`] says no other worker holds one.
pub async fn crawl_shared<F: Frontier + 'static>(
    cfg: &CrawlerConfig,
    sites: &[Site],
    frontier: F,
    warc_dir: &Path,
    slots: Arc<dyn HostSlots>,
) -> Result<(CrawlReport, F), CrawlError> {
    crawl_with(cfg, sites, frontier, warc_dir, Some(slots)).await
}

async fn crawl_with<F: Frontier + 'static>(
    cfg: &CrawlerConfig,
    sites: &[Site],
    frontier: F,
    warc_dir: &Path,
    slots: Option<Arc<dyn HostSlots>>,
) -> Result<(CrawlReport, F), CrawlError> {
    let started = Instant::now();
    let compiled = sites
        .iter()
        .map(Site::compile)
        .collect::<Result<Vec<_>, _>>()?;
    let mut seeds = Vec::new();
    for (i, s) in sites.iter().enumerate() {
        if sites[..i].iter().any(|o| o.name == s.name) {
            // The frontier remembers each URL's site by name.
            return Err(CrawlError::Site(SiteConfigError::Field {
                site: s.name.clone(),
                field: "name",
                value: format!("{:?}", s.name),
                reason: "two sites have this name".into(),
            }));
        }
        seeds.extend(compiled[i].seeds());
    }
    let warc = WarcWriter::create_rotating(
        warc_dir,
        &format!("qsword-crawler/{}", env!("CARGO_PKG_VERSION")),
        cfg.warc_max_file_bytes,
    )
    .map_err(|source| CrawlError::Warc {
        dir: warc_dir.to_owned(),
        source,
    })?;
    let warc = Arc::new(Mutex::new(warc));
    // Each host's configured delay: the largest asked by any site that crawls it.
    let mut hosts: BTreeMap<String, (u64, Vec<usize>)> = BTreeMap::new();
    for (i, (site, c)) in sites.iter().zip(&compiled).enumerate() {
        let delay = site.delay_ms.unwrap_or(cfg.default_delay_ms);
        for h in &c.hosts {
            let e = hosts.entry(h.clone()).or_insert((0, Vec::new()));
            e.0 = e.0.max(delay);
            if !e.1.contains(&i) {
                e.1.push(i);
            }
        }
    }
    let roots = load_roots(&cfg.ca_certs).map_err(CrawlError::Config)?;
    let mut fetchers: Vec<(AddressPolicy, Option<String>, Fetcher)> = Vec::new();
    let base = AddressPolicy {
        allow_loopback: cfg.allow_loopback,
        allow_private: cfg.allow_private,
    };
    let wanted = std::iter::once((base, None)).chain(sites.iter().map(|s| {
        let p = AddressPolicy {
            allow_loopback: base.allow_loopback | s.allow_loopback,
            allow_private: base.allow_private | s.allow_private,
        };
        (p, s.proxy.clone())
    }));
    for (p, proxy) in wanted {
        if !fetchers.iter().any(|(q, x, _)| *q == p && *x == proxy) {
            let f = Fetcher::new(cfg, p, proxy.as_deref(), &roots)?;
            fetchers.push((p, proxy, f));
        }
    }
    let jars = Jars::new(sites.len());
    let mut frontier = frontier;
    for (i, s) in sites.iter().enumerate() {
        match frontier.cookies(&s.name) {
            Ok(Some(json)) => {
                if let Err(e) = jars.import(i, &json) {
                    // A jar that cannot be read is a lost session, not a lost crawl.
                    tracing::warn!(site = %s.name, "saved cookies unreadable, starting without: {e}");
                }
            }
            Ok(None) => {}
            Err(e) => return Err(CrawlError::Frontier(e)),
        }
    }
    let (tx, rx) = mpsc::channel(1024);
    let polls = slots.is_some();
    if polls {
        // Ends when the keeper does (its receiver is dropped).
        let ticks = tx.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(SHARED_POLL).await;
                if ticks.send(Cmd::Tick).await.is_err() {
                    return;
                }
            }
        });
    }
    let shared = Arc::new(Shared {
        slots,
        cfg: cfg.clone(),
        sites: compiled,
        site_cfgs: sites.to_vec(),
        fetchers,
        jars,
        renderers: Default::default(),
        warc: warc.clone(),
        keeper: tx,
        permits: Semaphore::new(cfg.concurrency.max(1)),
        report: Mutex::new(CrawlReport::default()),
        known: Mutex::new(HashSet::new()),
        stop: Mutex::new(None),
        deadline: cfg
            .max_run_s
            .map(|s| started + Duration::from_secs_f64(s.max(0.0))),
    });
    shared.unknown(&mut seeds);
    // Hosts the keeper meets in URLs it is handed (another host of a site), to be given a task.
    let (adopt_tx, mut adopted) = mpsc::unbounded_channel::<(String, String)>();
    let keeper = {
        let host_keys: HashSet<String> = hosts.keys().cloned().collect();
        let site_names: HashSet<String> = sites.iter().map(|s| s.name.clone()).collect();
        let budget = cfg.max_pages;
        let warc = warc.clone();
        let (done_tx, done_rx) = oneshot::channel();
        std::thread::Builder::new()
            .name("frontier-keeper".into())
            .spawn(move || {
                let mut k = Keeper {
                    frontier,
                    warc,
                    hosts: host_keys,
                    waiting: HashMap::new(),
                    finished: HashSet::new(),
                    budget,
                    leased: 0,
                    discovered: 0,
                    polls,
                    adopt: adopt_tx,
                    sites: site_names,
                };
                let result = k.run(rx, seeds);
                let _ = done_tx.send((result, k.frontier, k.discovered));
            })
            .map_err(|e| CrawlError::Keeper(e.to_string()))?;
        done_rx
    };
    let mut tasks = tokio::task::JoinSet::new();
    for (key, (delay, site_ids)) in hosts {
        tasks.spawn(supervise(shared.clone(), key, delay, site_ids));
    }
    // Until the keeper is done (it drops `adopt`) and every host task has ended.
    loop {
        tokio::select! {
            Some(done) = tasks.join_next() => {
                if let Err(e) = done {
                    tracing::error!("host supervisor failed: {e}");
                }
            }
            Some((key, site)) = adopted.recv() => {
                let Some(i) = shared.site(&site) else {
                    // Not a configured site (cannot happen for pushed URLs): no task waits.
                    let _ = shared.keeper.send(Cmd::Finished(key)).await;
                    continue;
                };
                let delay = sites[i].delay_ms.unwrap_or(cfg.default_delay_ms);
                tracing::info!(host = %key, %site, "another host of the site");
                tasks.spawn(supervise(shared.clone(), key, delay, vec![i]));
            }
            else => break,
        }
    }
    // Every host is done: the browsers go (Chromium and its profile with them).
    let renderers: Vec<_> = shared.renderers.lock().await.drain().collect();
    for r in renderers.into_iter().filter_map(|(_, r)| r.ok()) {
        r.close().await;
    }
    let (result, mut frontier, discovered) = keeper
        .await
        .map_err(|_| CrawlError::Keeper("it panicked".into()))?;
    result.map_err(CrawlError::Frontier)?;
    for (i, s) in sites.iter().enumerate() {
        let saved = shared
            .jars
            .export(i)
            .map_err(|e| CrawlError::Frontier(e.into()))
            .and_then(|json| {
                frontier
                    .save_cookies(&s.name, &json)
                    .map_err(CrawlError::Frontier)
            });
        if let Err(e) = saved {
            tracing::warn!(site = %s.name, "cookies not kept for the next run: {e}");
        }
    }
    if let Some(e) = shared.stop.lock().unwrap_or_else(|e| e.into_inner()).take() {
        return Err(e);
    }
    let mut report = std::mem::take(&mut *shared.report());
    report.discovered = discovered;
    report.elapsed = started.elapsed();
    {
        let mut w = warc.lock().unwrap_or_else(|e| e.into_inner());
        report.warc_files = w.files().to_vec();
        // The last records are made durable like every committed batch was.
        let _ = w.flushed_handle().and_then(|f| f.sync_data());
    }
    Ok((report, frontier))
}

/// The frontier's owner (see the module doc).
struct Keeper<F> {
    frontier: F,
    warc: Arc<Mutex<WarcWriter>>,
    hosts: HashSet<String>,
    /// Hosts that found nothing to lease, with the reply they wait on.
    waiting: HashMap<String, (usize, oneshot::Sender<Vec<Lease>>)>,
    finished: HashSet<String>,
    budget: u64,
    leased: u64,
    discovered: u64,
    /// The frontier is shared with other workers: idle hosts are asked for again on each
    /// [`Cmd::Tick`], and the crawl ends only when the frontier is settled.
    polls: bool,
    /// Where hosts met for the first time in pushed URLs go to get a task (host, site).
    adopt: mpsc::UnboundedSender<(String, String)>,
    /// The names of the sites crawled.
    sites: HashSet<String>,
}

impl<F: Frontier> Keeper<F> {
    fn run(
        &mut self,
        mut rx: mpsc::Receiver<Cmd>,
        seeds: Vec<NewUrl>,
    ) -> Result<(), FrontierError> {
        self.adopt(&seeds);
        let new = self.frontier.push(&seeds)?;
        self.count_new(&new);
        for (host, site) in self.frontier.queued_hosts()? {
            if self.sites.contains(&site) {
                self.adopt_host(&host, &site);
            }
        }
        const BATCH: usize = 512;
        while let Some(first) = rx.blocking_recv() {
            let mut cmds = vec![first];
            while cmds.len() < BATCH {
                match rx.try_recv() {
                    Ok(c) => cmds.push(c),
                    Err(_) => break,
                }
            }
            let mut pages = Vec::new();
            let mut pushes = Vec::new();
            let mut leases = Vec::new();
            let mut tick = false;
            for c in cmds {
                match c {
                    Cmd::Tick => tick = true,
                    Cmd::Done(p) => pages.push(*p),
                    Cmd::Push(urls) => pushes.extend(urls),
                    Cmd::Release(ls) => self.frontier.release(&ls)?,
                    Cmd::Finished(host) => {
                        self.finished.insert(host);
                    }
                    Cmd::Lease { host, max, reply } => leases.push((host, max, reply)),
                }
            }
            self.adopt(&pushes);
            for p in &pages {
                self.adopt(&p.discovered);
            }
            let mut new = NewPerHost::new();
            if !pushes.is_empty() {
                new.extend(self.frontier.push(&pushes)?);
            }
            if !pages.is_empty() {
                // The WARC records these rows point to reach the disk first.
                let handle = self
                    .warc
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .flushed_handle();
                handle
                    .and_then(|f| f.sync_data())
                    .map_err(|e| Box::new(e) as FrontierError)?;
                new.extend(self.frontier.commit(pages)?);
            }
            self.count_new(&new);
            for (host, max, reply) in leases {
                self.serve(host, max, reply)?;
            }
            // Hosts waiting for work that just got some.
            for (host, _) in new {
                if let Some((max, reply)) = self.waiting.remove(&host) {
                    self.serve(host, max, reply)?;
                }
            }
            if tick {
                // Another worker may have let go of a host, or queued work for one.
                let idle: Vec<String> = self.waiting.keys().cloned().collect();
                for host in idle {
                    if let Some((max, reply)) = self.waiting.remove(&host) {
                        self.serve(host, max, reply)?;
                    }
                }
            }
            let idle = self.waiting.len() + self.finished.len() >= self.hosts.len();
            if idle && (!self.polls || (tick && self.settled()?)) {
                // Every host is idle and nothing is left to commit: the crawl is over.
                for (_, (_, reply)) in self.waiting.drain() {
                    let _ = reply.send(Vec::new());
                }
                break;
            }
        }
        Ok(())
    }

    /// Hosts of the sites not met before (another host a site's `hosts` names) get a task;
    /// counted among the hosts at once, so the crawl does not end before that task asks.
    fn adopt(&mut self, urls: &[NewUrl]) {
        for u in urls {
            self.adopt_host(&u.host, &u.site);
        }
    }

    fn adopt_host(&mut self, host: &str, site: &str) {
        if !self.hosts.contains(host) {
            self.hosts.insert(host.to_owned());
            let _ = self.adopt.send((host.to_owned(), site.to_owned()));
        }
    }

    /// No other worker holds one of this crawl's hosts (see [`Frontier::settled`]).
    fn settled(&mut self) -> Result<bool, FrontierError> {
        let hosts: Vec<String> = self.hosts.iter().cloned().collect();
        self.frontier.settled(&hosts)
    }

    fn count_new(&mut self, new: &NewPerHost) {
        self.discovered += new.iter().map(|(_, n)| *n as u64).sum::<u64>();
    }

    fn serve(
        &mut self,
        host: String,
        max: usize,
        reply: oneshot::Sender<Vec<Lease>>,
    ) -> Result<(), FrontierError> {
        let left = self.budget.saturating_sub(self.leased);
        if left == 0 {
            // Page budget spent: the host is done for this run.
            self.finished.insert(host);
            let _ = reply.send(Vec::new());
            return Ok(());
        }
        let leases = self
            .frontier
            .lease(&host, max.min(usize::try_from(left).unwrap_or(usize::MAX)))?;
        if leases.is_empty() {
            self.waiting.insert(host, (max, reply));
        } else {
            self.leased += leases.len() as u64;
            if let Err(unsent) = reply.send(leases) {
                // The host task is gone (it panicked): its URLs go back to the queue.
                self.frontier.release(&unsent)?;
            }
        }
        Ok(())
    }
}

/// The unvisited leases of one host, shared with its supervisor so a panic loses none.
#[derive(Default)]
struct HostWork {
    current: Option<Lease>,
    queued: VecDeque<Lease>,
}

impl HostWork {
    /// Every unvisited lease, the current one first (to give back to the queue).
    fn take_all(work: &Mutex<HostWork>) -> Vec<Lease> {
        let mut w = work.lock().unwrap_or_else(|e| e.into_inner());
        w.current
            .take()
            .into_iter()
            .chain(w.queued.drain(..))
            .collect()
    }
}

/// Runs one host's task; if it panics (a bug on a hostile page), the page it was on is
/// recorded as failed, its other leases go back to the queue and the host is reported.
async fn supervise(sh: Arc<Shared>, key: String, delay_ms: u64, site_ids: Vec<usize>) {
    let work = Arc::new(Mutex::new(HostWork::default()));
    let result = tokio::spawn(run_host(
        sh.clone(),
        key.clone(),
        delay_ms,
        site_ids,
        work.clone(),
    ))
    .await;
    if let Err(e) = result {
        let why = match e.try_into_panic() {
            Ok(p) => {
                let msg = p
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| p.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                format!("host task panicked: {msg}")
            }
            Err(e) => format!("host task failed: {e}"),
        };
        tracing::error!(host = %key, "{why}");
        let (current, rest) = {
            let mut w = work.lock().unwrap_or_else(|e| e.into_inner());
            (w.current.take(), w.queued.drain(..).collect::<Vec<_>>())
        };
        sh.host_report(&key, |h| {
            h.failure = Some(format!("{why}; {} leased URLs released", rest.len()));
        });
        sh.count_error(&key);
        if let Some(lease) = current {
            let mut out = PageOutcome::new(lease);
            out.error = Some(why);
            let _ = sh.keeper.send(Cmd::Done(Box::new(out))).await;
        }
        let _ = sh.keeper.send(Cmd::Release(rest)).await;
        let _ = sh.keeper.send(Cmd::Finished(key)).await;
    }
}

async fn run_host(
    sh: Arc<Shared>,
    key: String,
    delay_ms: u64,
    site_ids: Vec<usize>,
    work: Arc<Mutex<HostWork>>,
) {
    let base = Duration::from_millis(delay_ms);
    let mut host = Host {
        key: key.clone(),
        site: site_ids.first().copied(),
        base_delay: base,
        delay: base,
        quota: None,
        last_done: None,
        not_before: None,
        robots: HashMap::new(),
        failures: 0,
        blocks: 0,
        parked: None,
        policy: sh.policy_for(site_ids.first().copied()),
    };
    host.set_floor(base);
    sh.host_report(&key, |h| {
        h.effective_delay_ms = delay_ms;
        h.max_delay_ms = delay_ms;
    });
    // robots.txt is read before the first URL of each origin, so only by the worker that
    // gets the host's work: hosts another worker holds see no request from this one.
    loop {
        let (reply, answer) = oneshot::channel();
        let ask = Cmd::Lease {
            host: key.clone(),
            max: sh.cfg.lease_batch.max(1),
            reply,
        };
        if sh.keeper.send(ask).await.is_err() {
            return;
        }
        let Ok(leases) = answer.await else { return };
        if leases.is_empty() {
            return;
        }
        work.lock().unwrap_or_else(|e| e.into_inner()).queued = leases.into();
        loop {
            let next = {
                let mut w = work.lock().unwrap_or_else(|e| e.into_inner());
                w.current = w.queued.pop_front();
                w.current.clone()
            };
            let Some(lease) = next else { break };
            if sh.deadline.is_some_and(|d| Instant::now() >= d) {
                // The run's time budget is spent: what is left waits for the next run.
                finish_host(&sh, &key, HostWork::take_all(&work)).await;
                return;
            }
            if sh.stopped() {
                // Evidence can no longer be written: nothing more is fetched, and what this
                // host holds goes back to the queue for the next run.
                host.parked = Some("the crawl stopped (WARC not writable)".into());
                park(&sh, &mut host, &work).await;
                return;
            }
            if host.robots_due(&lease.url, Duration::from_secs(sh.cfg.robots_ttl_s))
                && !refresh_robots(&sh, &mut host, &lease.url, &site_ids).await
            {
                park(&sh, &mut host, &work).await;
                return;
            }
            let mut out = visit(&sh, &mut host, lease).await;
            if let Some(why) = out.blocked.take() {
                host.blocks += 1;
                sh.report().blocked += 1;
                sh.host_report(&key, |h| {
                    h.blocked += 1;
                    h.last_block = Some(why.clone());
                });
                if host.blocks >= sh.cfg.park_after_blocks.max(1) {
                    host.parked = Some(format!(
                        "{} block pages in a row (last: {why}); its URLs wait for the next run",
                        host.blocks
                    ));
                    park(&sh, &mut host, &work).await;
                    return;
                }
                // The shop pushes back: halve the pace for the rest of the run and try the
                // page again after the others already leased.
                let slower = (host.base_delay * 2).max(Duration::from_millis(100));
                tracing::info!(host = %key, url = %out.lease.url, ?slower, "block page: {why}");
                host.set_floor(slower);
                let slower_ms = slower.as_millis() as u64;
                sh.host_report(&key, |h| {
                    h.effective_delay_ms = slower_ms;
                    h.max_delay_ms = h.max_delay_ms.max(slower_ms);
                });
                let mut w = work.lock().unwrap_or_else(|e| e.into_inner());
                w.current = None;
                w.queued.push_back(out.lease);
                continue;
            }
            if out.answer.is_some() {
                host.blocks = 0;
            }
            if out.state == VisitState::Failed
                && out.answer.is_none()
                && out.error.as_deref() != Some(DISALLOWED)
            {
                host.failures += 1;
            } else if out.answer.is_some() {
                host.failures = 0;
            }
            work.lock().unwrap_or_else(|e| e.into_inner()).current = None;
            if sh.keeper.send(Cmd::Done(Box::new(out))).await.is_err() {
                return;
            }
            if host.failures >= sh.cfg.park_after_failures.max(1) && host.parked.is_none() {
                host.parked = Some(format!(
                    "{} visits in a row got no usable answer",
                    host.failures
                ));
            }
            if host.parked.is_some() {
                park(&sh, &mut host, &work).await;
                return;
            }
        }
    }
}

/// Parks a host for the rest of the run: its leased URLs go back to the queue, untouched.
async fn park(sh: &Shared, host: &mut Host, work: &Mutex<HostWork>) {
    let why = host
        .parked
        .get_or_insert_with(|| "parked".to_owned())
        .clone();
    let rest = HostWork::take_all(work);
    tracing::warn!(host = %host.key, released = rest.len(), "host parked: {why}");
    sh.host_report(&host.key, |h| h.parked = Some(why));
    sh.report().hosts_parked += 1;
    finish_host(sh, &host.key, rest).await;
}

/// The host asks for nothing more this run; its unvisited leases go back to the queue.
async fn finish_host(sh: &Shared, key: &str, rest: Vec<Lease>) {
    let _ = sh.keeper.send(Cmd::Release(rest)).await;
    let _ = sh.keeper.send(Cmd::Finished(key.to_owned())).await;
}

const DISALLOWED: &str = "disallowed by robots.txt";

/// Waits for this host's turn — the delay since the last exchange ended, any Retry-After —
/// then for a global permit, and sends one GET.
async fn send(
    sh: &Shared,
    host: &mut Host,
    site: Option<usize>,
    url: &Url,
    validators: (Option<&str>, Option<&str>),
) -> Result<RawResponse, FetchFailure> {
    let _permit = take_turn(sh, host).await?;
    let cookie = site.and_then(|i| sh.jars.header(i, url));
    let session = Session {
        accept_language: sh.accept_language(site),
        cookie: cookie.as_deref(),
    };
    let answer = sh
        .fetcher(host.policy, site)
        .get(url, validators, &session)
        .await;
    if let (Some(i), Ok(r)) = (site, &answer) {
        let set = r.headers.get_all(reqwest::header::SET_COOKIE).iter();
        sh.jars.learn(i, url, set.filter_map(|v| v.to_str().ok()));
    }
    end_turn(sh, host).await;
    answer
}

/// Waits for this host's turn — its delay since the last exchange ended, any Retry-After, the
/// cluster's shared slot — then takes a global permit (held for the exchange).
async fn take_turn<'a>(
    sh: &'a Shared,
    host: &mut Host,
) -> Result<tokio::sync::SemaphorePermit<'a>, FetchFailure> {
    if let Some(q) = &host.quota {
        q.until_ready().await;
    }
    // The host's wait comes first and holds no permit: a throttled host sleeping out a
    // Retry-After (or a busy shared slot) must not keep the permits from the hosts that are
    // ready.
    wait_until_due(host).await;
    if let Some(slots) = &sh.slots {
        shared_slot(slots, &host.key, host.delay).await?;
    }
    let permit = loop {
        wait_until_due(host).await;
        let permit = sh.permits.acquire().await.expect("semaphore never closed");
        // Checked again after the permit, so a request never goes out early.
        if host_due(host).is_none_or(|due| due <= Instant::now()) {
            break permit;
        }
    };
    sh.host_report(&host.key, |h| h.requests += 1);
    Ok(permit)
}

/// The exchange is over: the host's next delay runs from now.
async fn end_turn(sh: &Shared, host: &mut Host) {
    host.last_done = Some(Instant::now());
    if let Some(slots) = sh.slots.clone() {
        let (key, delay) = (host.key.clone(), host.delay);
        let ended = tokio::task::spawn_blocking(move || slots.finished(&key, delay)).await;
        if let Ok(Err(e)) = ended {
            // The next request's reservation still spaces it from this one's start.
            tracing::warn!(host = %host.key, "recording the end of an exchange on the shared clock: {e}");
        }
    }
}

/// When this host's next request may leave: its delay after the end of the previous exchange
/// (not its send: a slow answer must not shorten the gap the host sees), or a Retry-After.
fn host_due(host: &Host) -> Option<Instant> {
    let due = host.last_done.map(|t| t + host.delay);
    match (due, host.not_before) {
        (Some(d), Some(nb)) => Some(d.max(nb)),
        (d, nb) => d.or(nb),
    }
}

async fn wait_until_due(host: &Host) {
    if let Some(due) = host_due(host) {
        if due > Instant::now() {
            tokio::time::sleep_until(due.into()).await;
        }
    }
}

/// Waits for the host's slot on the cluster's shared clock (a blocking call, off the runtime).
async fn shared_slot(
    slots: &Arc<dyn HostSlots>,
    key: &str,
    delay: Duration,
) -> Result<(), FetchFailure> {
    loop {
        let (s, k) = (slots.clone(), key.to_owned());
        let asked = tokio::task::spawn_blocking(move || s.try_reserve(&k, delay)).await;
        match asked {
            Ok(Ok(None)) => return Ok(()),
            Ok(Ok(Some(wait))) => tokio::time::sleep(wait).await,
            Ok(Err(e)) => {
                return Err(FetchFailure {
                    message: format!("shared host clock: {e}"),
                    transient: true,
                })
            }
            Err(e) => {
                return Err(FetchFailure {
                    message: format!("shared host clock: {e}"),
                    transient: true,
                })
            }
        }
    }
}

/// A response with its WARC record.
struct Answer {
    resp: RawResponse,
    warc: WarcRef,
}

/// GET with retries for transient failures; every response is written to the WARC and
/// adapts the host's delay.
async fn fetch_with_retries(
    sh: &Shared,
    host: &mut Host,
    site: Option<usize>,
    url: &Url,
    validators: (Option<&str>, Option<&str>),
) -> Result<Answer, String> {
    let mut attempt = 0;
    loop {
        match send(sh, host, site, url, validators).await {
            Ok(resp) => {
                let (resp, warc) = write_warc(sh, url, resp).await;
                let warc = warc?;
                let status = resp.status.as_u16();
                sh.host_report(&host.key, |h| {
                    *h.statuses.entry(status).or_default() += 1;
                    h.bytes += resp.body.len() as u64;
                });
                sh.report().bytes += resp.body.len() as u64;
                let retry_after = retry_after_header(&resp.headers).and_then(parse_retry_after);
                host.adapt(&sh.cfg, status, resp.elapsed, retry_after);
                let delay_ms = host.delay.as_millis() as u64;
                sh.host_report(&host.key, |h| h.max_delay_ms = h.max_delay_ms.max(delay_ms));
                if let Some(ra) = retry_after.filter(|_| matches!(status, 429 | 503)) {
                    if ra > Duration::from_millis(sh.cfg.max_retry_after_ms) {
                        // Asked to stay away longer than a night's run can wait.
                        host.parked = Some(format!(
                            "answered {status} with Retry-After {} s (more than max_retry_after_ms)",
                            ra.as_secs()
                        ));
                        return Ok(Answer { resp, warc });
                    }
                }
                if is_transient_status(resp.status) && attempt < sh.cfg.retries {
                    // The throttle holds the next request back (Retry-After or backoff).
                    let wait = retry_delay(&sh.cfg, attempt, retry_after_header(&resp.headers));
                    let at = Instant::now() + wait;
                    host.not_before = Some(host.not_before.map_or(at, |nb| nb.max(at)));
                    tracing::info!(%url, status, ?wait, "retrying");
                    sh.host_report(&host.key, |h| h.retries += 1);
                    attempt += 1;
                    continue;
                }
                return Ok(Answer { resp, warc });
            }
            Err(f) if f.transient && attempt < sh.cfg.retries => {
                let wait = retry_delay(&sh.cfg, attempt, None);
                tracing::info!(%url, error = %f.message, ?wait, "retrying");
                host.not_before = Some(Instant::now() + wait);
                sh.host_report(&host.key, |h| h.retries += 1);
                attempt += 1;
            }
            Err(f) => return Err(f.message),
        }
    }
}

/// The exchange as the WARC writer takes it.
fn exchange<'a>(url: &'a Url, resp: &'a RawResponse) -> Exchange<'a> {
    Exchange {
        url: url.as_str(),
        ip: resp.ip,
        date: resp.date,
        request_head: &resp.request_head,
        response_head: &resp.response_head,
        payload: &resp.body,
        truncated: resp.truncated,
    }
}

/// Records the exchange. Compressing it (CPU, up to `max_body_bytes`) runs on a blocking
/// thread and before the writer's lock is taken, so neither the async workers nor the other
/// hosts' records wait for it; only the append happens under the lock.
async fn write_warc(
    sh: &Shared,
    url: &Url,
    resp: RawResponse,
) -> (RawResponse, Result<WarcRef, String>) {
    let warcinfo_id = sh
        .warc
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .warcinfo_id()
        .to_owned();
    let (resp, prepared) = if resp.body.len() <= INLINE_CPU_BYTES {
        let p = PreparedExchange::new(&exchange(url, &resp), &warcinfo_id);
        (resp, p)
    } else {
        let target = url.clone();
        let compressed = tokio::task::spawn_blocking(move || {
            let p = PreparedExchange::new(&exchange(&target, &resp), &warcinfo_id);
            (resp, p)
        })
        .await;
        match compressed {
            Ok(r) => r,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    };
    let mut w = sh.warc.lock().unwrap_or_else(|e| e.into_inner());
    let r = prepared.and_then(|p| w.write_prepared(&exchange(url, &resp), p));
    let r = r.map_err(|source| warc_failed(sh, w.path(), source));
    drop(w);
    (resp, r)
}

/// Evidence that cannot be written makes the whole run worthless: every host stops.
fn warc_failed(sh: &Shared, file: &Path, source: std::io::Error) -> String {
    let e = CrawlError::WarcWrite {
        file: file.to_owned(),
        source,
    };
    let msg = e.to_string();
    sh.stop
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_or_insert(e);
    msg
}

/// The browser for a site's pages (one per proxy, started on first use); `Err` says why
/// there is none, once per run in the log.
async fn renderer(sh: &Shared, si: usize) -> Result<Renderer, String> {
    let proxy = sh.site_cfgs[si].proxy.clone();
    let mut started = sh.renderers.lock().await;
    if let Some(r) = started.get(&proxy) {
        return r.clone();
    }
    let cfg = RenderConfig {
        chromium: sh
            .cfg
            .chromium
            .clone()
            .unwrap_or_else(|| RenderConfig::default().chromium),
        tabs: sh.cfg.render_tabs.max(1),
        page_timeout: Duration::from_millis(sh.cfg.render_timeout_ms),
        settle: Duration::from_millis(sh.cfg.render_settle_ms),
        memory_mb: Some(sh.cfg.render_memory_mb),
        max_dom_bytes: MAX_HTML_BYTES,
        max_answer_bytes: sh.cfg.max_body_bytes as usize,
        user_agent: sh.cfg.user_agent_header(),
        accept_language: sh.accept_language(Some(si)).to_owned(),
        proxy: proxy.clone(),
        host_rules: sh
            .cfg
            .resolve
            .iter()
            .map(|(n, ip)| (n.clone(), *ip))
            .collect(),
        ..RenderConfig::default()
    };
    let r = Renderer::launch(cfg).await.map_err(|e| e.to_string());
    if let Err(e) = &r {
        tracing::error!("pages that need a browser are fetched without one: {e}");
        sh.report().render_unavailable = Some(e.clone());
    }
    started.insert(proxy, r.clone());
    r
}

/// Visits a page in the browser: the host's turn, then the page and its sub-requests through
/// the [`PageGate`], the capture recorded as one WARC capture, and the DOM read like a
/// fetched page. `None` when there is no browser (the caller fetches the page instead).
async fn render_visit(
    sh: &Arc<Shared>,
    host: &mut Host,
    si: usize,
    lease: &Lease,
    mut out: PageOutcome,
) -> Result<PageOutcome, PageOutcome> {
    let Ok(renderer) = renderer(sh, si).await else {
        return Err(out);
    };
    let url = lease.url.clone();
    if let Err(why) = host.policy.check_url_with(&url, &sh.cfg.resolve).await {
        refused(sh, &url, &why);
        out.fetches.push(error_record(&url, why.clone()));
        sh.count_error(&host.key);
        out.error = Some(why);
        return Ok(out);
    }
    let gate = Arc::new(PageGate {
        policy: host.policy,
        resolve: sh.cfg.resolve.clone(),
        host: host.key.clone(),
        robots: host
            .robots
            .get(&origin(&url))
            .map(|(p, _)| p.clone())
            .unwrap_or_else(|| Arc::new(RobotsPolicy::DisallowAll)),
        delay: host.delay,
        last: tokio::sync::Mutex::new(None),
        admitted: Default::default(),
    });
    let cookies: Vec<qsword_render::Cookie> = sh
        .jars
        .pairs(si, &url)
        .into_iter()
        .map(|(name, value, domain, path)| qsword_render::Cookie {
            name,
            value,
            domain,
            path,
        })
        .collect();
    let permit = match take_turn(sh, host).await {
        Ok(p) => p,
        Err(f) => {
            out.fetches.push(error_record(&url, f.message.clone()));
            sh.count_error(&host.key);
            out.error = Some(f.message);
            return Ok(out);
        }
    };
    let date = Utc::now();
    let rendered = renderer.render(&url, &cookies, gate.clone()).await;
    end_turn(sh, host).await;
    drop(permit);
    // The page request was counted by take_turn; its sub-requests to the host count too.
    let extra = gate
        .admitted
        .load(std::sync::atomic::Ordering::Relaxed)
        .saturating_sub(1);
    sh.host_report(&host.key, |h| h.requests += extra);
    let page = match rendered {
        Ok(p) => p,
        Err(e) => {
            let why = e.to_string();
            out.fetches.push(error_record(&url, why.clone()));
            sh.count_error(&host.key);
            out.error = Some(why);
            return Ok(out);
        }
    };
    sh.report().rendered += 1;
    sh.report().pages_fetched += 1;
    sh.host_report(&host.key, |h| h.rendered += 1);
    let browser_cookies: Vec<_> = page
        .cookies
        .iter()
        .map(|c| {
            (
                c.name.clone(),
                c.value.clone(),
                c.domain.clone(),
                c.path.clone(),
            )
        })
        .collect();
    sh.jars.learn_pairs(si, &page.final_url, &browser_cookies);
    let status = page.status.unwrap_or(200);
    // Recorded with the answers as the browser got them (content-encoding already undone).
    let warc = {
        let w = sh.warc.clone();
        let page = page.clone();
        tokio::task::spawn_blocking(move || {
            let heads: Vec<(Vec<u8>, Vec<u8>)> = page
                .document
                .iter()
                .chain(&page.answers)
                .map(answer_heads)
                .collect();
            let exchanges = page
                .document
                .iter()
                .chain(&page.answers)
                .zip(&heads)
                .map(|(a, (req, resp))| Exchange {
                    url: a.url.as_str(),
                    ip: None,
                    date,
                    request_head: req,
                    response_head: resp,
                    payload: &a.body,
                    truncated: a.truncated,
                })
                .collect();
            let mut w = w.lock().unwrap_or_else(|e| e.into_inner());
            let r = w.write_rendered(&RenderedCapture {
                url: page.final_url.as_str(),
                date,
                dom: page.dom.as_bytes(),
                truncated: page.dom_truncated,
                exchanges,
            });
            r.map_err(|e| (w.path().to_owned(), e))
        })
        .await
    };
    let warc = match warc {
        Ok(Ok(w)) => w,
        Ok(Err((file, e))) => {
            let why = warc_failed(sh, &file, e);
            out.error = Some(why);
            return Ok(out);
        }
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    };
    sh.host_report(&host.key, |h| {
        *h.statuses.entry(status).or_default() += 1;
        h.bytes += page.dom.len() as u64;
    });
    let mut record = FetchRecord {
        url: url.to_string(),
        final_url: page.final_url.to_string(),
        status: Some(status),
        content_type: Some("text/html; charset=utf-8".into()),
        etag: None,
        last_modified: None,
        content_digest: Some(sha1_base32(page.dom.as_bytes())),
        warc: Some(warc.clone()),
        fetched_at: date,
        response_us: Some(page.elapsed.as_micros() as u64),
        error: None,
    };
    if page.timed_out {
        record.error = Some(format!(
            "the page did not settle within render_timeout_ms ({} ms); read as it was",
            sh.cfg.render_timeout_ms
        ));
    }
    for (u, why) in &page.refused {
        tracing::debug!(page = %url, sub = %u, "sub-request refused: {why}");
    }
    out.fetches.push(record);
    if is_transient_status(reqwest::StatusCode::from_u16(status).unwrap_or_default()) {
        sh.count_error(&host.key);
        out.error = Some(format!("HTTP {status} in the browser"));
        return Ok(out);
    }
    out.state = VisitState::Done;
    out.answer = Some(Answered {
        at: date,
        status,
        etag: None,
        last_modified: None,
    });
    if !(200..300).contains(&status) {
        return Ok(out);
    }
    let dom = page.dom.clone().into_bytes();
    let read = read_off_runtime(
        sh,
        si,
        &page.final_url,
        lease.depth,
        dom,
        Some("text/html; charset=utf-8".into()),
    )
    .await;
    if let Some(b) = read.block {
        record_block(&mut out, b);
        return Ok(out);
    }
    out.discovered.extend(read.links);
    if let Some(mut listing) = read.listing {
        listing.url = url.to_string();
        listing.fetched_at = Some(date);
        sh.report().listings += 1;
        out.listing = Some((listing, warc));
    }
    Ok(out)
}

/// The request and response heads of an answer the browser got, as WARC blocks want them.
fn answer_heads(a: &qsword_render::Answer) -> (Vec<u8>, Vec<u8>) {
    let target = match a.url.query() {
        Some(q) => format!("{}?{q}", a.url.path()),
        None => a.url.path().to_owned(),
    };
    let mut req = format!("{} {target} HTTP/1.1\r\n", a.method);
    for (k, v) in &a.request_headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    let reason = reqwest::StatusCode::from_u16(a.status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    let mut resp = format!("HTTP/1.1 {} {reason}\r\n", a.status);
    for (k, v) in &a.headers {
        // The browser undid any content-encoding and chunking: the body is recorded plain,
        // so those headers are renamed as for a de-chunked fetch.
        let lower = k.to_ascii_lowercase();
        let name = match lower.as_str() {
            "content-encoding" | "transfer-encoding" | "content-length" => format!("X-Crawler-{k}"),
            _ => k.clone(),
        };
        resp.push_str(&format!("{name}: {v}\r\n"));
    }
    resp.push_str("\r\n");
    (req.into_bytes(), resp.into_bytes())
}

/// Fetches the robots.txt of `url`'s origin (2xx parsed, 4xx allow all, anything else
/// disallow all, RFC 9309), applies its Crawl-delay to the host and queues its sitemaps.
/// Returns `false` when nothing may be fetched from the host now (the host is then parked,
/// its URLs kept for later).
async fn refresh_robots(sh: &Shared, host: &mut Host, url: &Url, site_ids: &[usize]) -> bool {
    let robots_url = url.join("/robots.txt").expect("an http(s) URL has a root");
    let key = origin(url);
    let (robots, outcome, crawl_delay, unreachable) =
        fetch_robots(sh, host, robots_url.clone()).await;
    let cached = host.robots.get_mut(&key);
    // (Unless the answer parked the host: a Retry-After longer than the run can wait.)
    if let Some((_, read_at)) = cached.filter(|(p, _)| {
        unreachable && host.parked.is_none() && !matches!(**p, RobotsPolicy::DisallowAll)
    }) {
        *read_at = Instant::now();
        // RFC 9309 §2.4: a refresh that finds robots.txt unreachable may keep the copy read
        // before; it is tried again after another robots_ttl_s. Only a host that never had a
        // good copy is held to disallow-all (and parked).
        tracing::warn!(host = %host.key, "robots.txt refresh {outcome}; keeping the cached copy");
        sh.host_report(&host.key, |h| {
            h.robots = format!("kept the cached copy (refresh: {outcome})")
        });
        return true;
    }
    let disallow_all = matches!(robots, RobotsPolicy::DisallowAll);
    if let RobotsPolicy::Parsed(_) = &robots {
        let mut maps = Vec::new();
        for &i in site_ids {
            if !sh.site_cfgs[i].sitemaps_from_robots {
                continue;
            }
            let site = &sh.sites[i];
            for u in robots.sitemaps(&robots_url) {
                if site.spans(&u) {
                    maps.push(NewUrl {
                        kind: UrlKind::Sitemap,
                        ..site.new_url(&u, 0)
                    });
                } else {
                    tracing::debug!(host = %host.key, sitemap = %u, "sitemap on another host ignored");
                }
            }
        }
        sh.unknown(&mut maps);
        if !maps.is_empty() && sh.keeper.send(Cmd::Push(maps)).await.is_err() {
            return false;
        }
    }
    host.robots.insert(key, (Arc::new(robots), Instant::now()));
    let mut capped_from = None;
    // texting_robots reads `Crawl-delay: inf` or `1e40` as an infinite f32: too long to
    // represent parks the host like any delay above the cap; NaN and negative delays are ignored.
    let asked = crawl_delay.and_then(|cd| match Duration::try_from_secs_f32(cd) {
        Ok(d) => Some(d),
        Err(_) if cd > 0.0 => Some(Duration::MAX),
        Err(_) => {
            tracing::warn!(host = %host.key, crawl_delay = cd, "robots.txt Crawl-delay ignored");
            None
        }
    });
    if let Some(asked) = asked {
        let cap = Duration::from_millis(sh.cfg.max_crawl_delay_ms);
        if asked > cap {
            // Shortening it would knowingly go faster than asked: the host waits for a run
            // (or a cap) that can afford it, its URLs kept.
            let asked_ms = u64::try_from(asked.as_millis()).unwrap_or(u64::MAX);
            tracing::warn!(host = %host.key, asked_ms, cap_ms = sh.cfg.max_crawl_delay_ms, "robots.txt Crawl-delay above the cap");
            capped_from = Some(asked_ms);
            host.parked = Some(format!(
                "robots.txt Crawl-delay {asked_ms} ms exceeds max_crawl_delay_ms ({} ms)",
                sh.cfg.max_crawl_delay_ms
            ));
        } else if asked > host.base_delay {
            host.set_floor(asked);
        }
    }
    let delay_ms = host.base_delay.as_millis() as u64;
    sh.host_report(&host.key, |h| {
        h.effective_delay_ms = delay_ms;
        h.max_delay_ms = h.max_delay_ms.max(delay_ms);
        h.robots = outcome.clone();
        h.crawl_delay_capped_from_ms = capped_from;
    });
    if host.parked.is_some() {
        return false;
    }
    if disallow_all {
        host.parked = Some(format!(
            "robots.txt {outcome}: nothing may be fetched for now"
        ));
        return false;
    }
    true
}

/// robots.txt for the host: 2xx parsed, 4xx allow all, anything else disallow all (RFC 9309).
/// The last element says the file was unreachable (5xx, 429, network error), the case where
/// a good copy read before may stand in for it.
async fn fetch_robots(
    sh: &Shared,
    host: &mut Host,
    mut url: Url,
) -> (RobotsPolicy, String, Option<f32>, bool) {
    let ua = sh.cfg.user_agent_header();
    for _ in 0..=sh.cfg.max_redirects {
        if let Err(why) = host.policy.check_url_with(&url, &sh.cfg.resolve).await {
            refused(sh, &url, &why);
            return (
                RobotsPolicy::DisallowAll,
                format!("disallow-all ({why})"),
                None,
                false,
            );
        }
        let a = match fetch_with_retries(sh, host, host.site, &url, (None, None)).await {
            Ok(a) => a,
            Err(e) => {
                return (
                    RobotsPolicy::DisallowAll,
                    format!("disallow-all ({e})"),
                    None,
                    true,
                )
            }
        };
        let status = a.resp.status;
        if status.is_redirection() {
            if let Some(next) = a.resp.header("location").and_then(|l| url.join(l).ok()) {
                url = next;
                continue;
            }
        }
        if status.is_success() {
            let body = decode_content_encoding(
                a.resp.header("content-encoding"),
                &a.resp.body,
                sh.cfg.max_body_bytes,
            )
            .map(|(b, _)| b)
            .unwrap_or_default();
            return match RobotsPolicy::parse(&ua, &body) {
                (policy, Ok(())) => {
                    let delay = policy.crawl_delay();
                    (policy, "parsed".into(), delay, false)
                }
                (policy, Err(e)) => {
                    tracing::warn!(host = %host.key, "robots.txt unparsable, allowing all: {e}");
                    (policy, "allow-all (unparsable)".into(), None, false)
                }
            };
        }
        if status.is_client_error() && status.as_u16() != 429 {
            return (
                RobotsPolicy::AllowAll,
                format!("allow-all (status {})", status.as_u16()),
                None,
                false,
            );
        }
        return (
            RobotsPolicy::DisallowAll,
            format!("disallow-all (status {})", status.as_u16()),
            None,
            status.is_server_error() || status.as_u16() == 429,
        );
    }
    (
        RobotsPolicy::DisallowAll,
        "disallow-all (too many redirects)".into(),
        None,
        false,
    )
}

/// Whether a visit may follow a redirect or meta refresh to `next` on the same host: within
/// the hop limit, on the site and allowed by robots.txt, and either new or — once — the page
/// the visit was for when the session changed on the way (a consent or login step set a
/// cookie and sends the visitor back); a plain loop back is not followed.
fn may_hop(
    sh: &Shared,
    host: &Host,
    site: &CompiledSite,
    chain: &[String],
    session_changed: bool,
    asked: &Url,
    next: &Url,
) -> bool {
    let back = next == asked && session_changed;
    chain.len() <= sh.cfg.max_redirects as usize
        && chain.iter().filter(|c| *c == next.as_str()).count() < 2
        && site.follows(next)
        && host.allows(next)
        && (back || (next != asked && sh.first_sight(next)))
}

fn refused(sh: &Shared, url: &Url, why: &str) {
    tracing::warn!(%url, "{why}");
    sh.report().refused.push(format!("{url}: {why}"));
}

fn error_record(url: &Url, error: String) -> FetchRecord {
    FetchRecord {
        url: url.to_string(),
        final_url: url.to_string(),
        status: None,
        content_type: None,
        etag: None,
        last_modified: None,
        content_digest: None,
        warc: None,
        fetched_at: Utc::now(),
        response_us: None,
        error: Some(error),
    }
}

/// Visits one leased URL (following same-host redirects inline): fetches it conditionally,
/// and reads what it says — links, sitemap entries, the listing.
async fn visit(sh: &Arc<Shared>, host: &mut Host, lease: Lease) -> PageOutcome {
    let mut out = PageOutcome::new(lease.clone());
    let Some(si) = sh.site(&lease.site) else {
        out.error = Some(format!(
            "site {:?} is no longer configured; not fetched",
            lease.site
        ));
        return out;
    };
    let site = &sh.sites[si];
    // Lets the tests below stand in for an extraction bug on a hostile page.
    #[cfg(test)]
    if lease.url.path() == tests::PANIC_PATH {
        panic!("test panic on {}", lease.url);
    }
    if !host.allows(&lease.url) {
        sh.count_disallowed(&host.key, 1);
        tracing::debug!(url = %lease.url, "{DISALLOWED}");
        out.error = Some(DISALLOWED.into());
        return out;
    }
    if site.renders(&lease.url) {
        out = match render_visit(sh, host, si, &lease, out).await {
            Ok(done) => return done,
            // No browser: the page is fetched as it comes (the run report says why).
            Err(out) => out,
        };
    }
    let mut url = lease.url.clone();
    let mut chain = vec![url.to_string()];
    let cookies_before = sh.jars.header(si, &lease.url);
    let session_changed = || sh.jars.header(si, &lease.url) != cookies_before;
    let mut validators = (lease.etag.clone(), lease.last_modified.clone());
    let finish_error = |sh: &Shared, out: &mut PageOutcome, key: &str, e: String| {
        sh.count_error(key);
        out.error = Some(e);
    };
    loop {
        if let Err(why) = host.policy.check_url_with(&url, &sh.cfg.resolve).await {
            refused(sh, &url, &why);
            out.fetches.push(error_record(&url, why.clone()));
            finish_error(sh, &mut out, &host.key, why);
            return out;
        }
        let a = match fetch_with_retries(
            sh,
            host,
            Some(si),
            &url,
            (validators.0.as_deref(), validators.1.as_deref()),
        )
        .await
        {
            Ok(a) => a,
            Err(e) => {
                out.fetches.push(error_record(&url, e.clone()));
                finish_error(sh, &mut out, &host.key, e);
                return out;
            }
        };
        sh.report().pages_fetched += 1;
        let r = &a.resp;
        let status = r.status.as_u16();
        let location = r
            .status
            .is_redirection()
            .then(|| r.header("location").and_then(|l| url.join(l).ok()))
            .flatten();
        let content_type = r.header("content-type").map(str::to_owned);
        let etag = r.header("etag").map(str::to_owned);
        let last_modified = r.header("last-modified").map(str::to_owned);
        let mut record = FetchRecord {
            url: url.to_string(),
            final_url: location.as_ref().unwrap_or(&url).to_string(),
            status: Some(status),
            content_type: content_type.clone(),
            etag: etag.clone(),
            last_modified: last_modified.clone(),
            content_digest: Some(sha1_base32(&r.body)),
            warc: Some(a.warc.clone()),
            fetched_at: r.date,
            response_us: Some(r.elapsed.as_micros() as u64),
            error: None,
        };
        let mut body = None;
        if r.truncated {
            record.error = Some(format!(
                "body exceeds max_body_bytes ({} bytes); truncated, not parsed",
                sh.cfg.max_body_bytes
            ));
        } else if is_transient_status(r.status) {
            record.error = Some(format!("HTTP {status} after {} retries", sh.cfg.retries));
        } else if r.status.is_success() {
            let limit = decoded_limit(&sh.cfg, lease.kind);
            match decode_content_encoding(r.header("content-encoding"), &r.body, limit) {
                Ok((_, true)) => {
                    record.error = Some(format!("decoded body exceeds {limit} bytes; not parsed"))
                }
                Ok((b, false)) => body = Some(b),
                Err(e) => record.error = Some(format!("cannot decode body: {e}")),
            }
        }
        let error = record.error.clone();
        out.fetches.push(record);
        if is_transient_status(r.status) {
            finish_error(sh, &mut out, &host.key, error.unwrap_or_default());
            return out;
        }
        out.state = VisitState::Done;
        out.error = error.clone();
        if error.is_some() {
            sh.count_error(&host.key);
        }
        // A 304 confirms the validators it was asked with (it may repeat them or not).
        let (etag, last_modified) = if status == 304 {
            (
                etag.or(validators.0.take()),
                last_modified.or(validators.1.take()),
            )
        } else {
            (etag, last_modified)
        };
        out.answer = Some(Answered {
            at: r.date,
            status,
            etag,
            last_modified,
        });

        if let Some(next) = location {
            let next_canon = site.canonical(&next);
            // Followed here only on an origin whose robots.txt is read; another origin of
            // this host (http → https) is queued, and its robots.txt read before its visit.
            let inline = host_key(&next_canon) == host.key && host.knows(&next_canon);
            if inline
                && may_hop(
                    sh,
                    host,
                    site,
                    &chain,
                    session_changed(),
                    &lease.url,
                    &next_canon,
                )
            {
                chain.push(next_canon.to_string());
                if next_canon != lease.url {
                    out.redirected.push(site.new_url(&next_canon, lease.depth));
                }
                url = next_canon;
                validators = (None, None);
                continue;
            }
            if !inline && site.follows(&next_canon) {
                // Another host of the site is served by its own task, under its own
                // politeness; another origin of this one, by this task after its robots.txt.
                out.discovered.push(site.new_url(&next_canon, lease.depth));
            }
            break;
        }
        let Some(body) = body else { break };
        if lease.kind == UrlKind::Sitemap {
            let read = {
                let (sh, url, depth) = (sh.clone(), url.clone(), lease.depth);
                tokio::task::spawn_blocking(move || read_sitemap(&sh.sites[si], &url, &body, depth))
                    .await
            };
            match read {
                Ok(Ok(urls)) => out.discovered.extend(urls),
                Ok(Err(e)) => {
                    out.error = Some(e);
                    sh.count_error(&lease.host);
                }
                Err(e) => std::panic::resume_unwind(e.into_panic()),
            }
            break;
        }
        let is_html = content_type.as_deref().is_none_or(|c| c.contains("html"));
        if !is_html {
            break;
        }
        // Charset detection, parsing, links and extraction of up to max_body_bytes are CPU
        // work: on a blocking thread, so the other hosts' tasks keep their pace.
        let read = read_off_runtime(sh, si, &url, lease.depth, body, content_type.clone()).await;
        if let Some(b) = read.block {
            let wall = b.kind.is_block();
            record_block(&mut out, b);
            if wall {
                return out;
            }
            break;
        }
        if let Some(next) = read.refresh {
            if host_key(&next) == host.key
                && may_hop(sh, host, site, &chain, session_changed(), &lease.url, &next)
            {
                // A consent or "continue" page: the hop a browser makes by itself.
                chain.push(next.to_string());
                if next != lease.url {
                    out.redirected.push(site.new_url(&next, lease.depth));
                }
                url = next;
                validators = (None, None);
                continue;
            }
        }
        out.discovered.extend(read.links);
        if let Some(mut listing) = read.listing {
            listing.url = url.to_string();
            listing.fetched_at = Some(r.date);
            sh.report().listings += 1;
            out.listing = Some((listing, a.warc));
        }
        break;
    }
    // Links robots.txt forbids on this host are dropped here rather than queued: a product
    // page links to cart, account and search pages, and queueing them would cost a frontier
    // row, a lease and a commit each for nothing.
    sh.unknown(&mut out.discovered);
    let before = out.discovered.len();
    out.discovered
        .retain(|u| u.host != host.key || !host.knows(&u.url) || host.allows(&u.url));
    let dropped = (before - out.discovered.len()) as u64;
    if dropped > 0 {
        sh.count_disallowed(&host.key, dropped);
    }
    out
}

/// Most bytes a body is decoded to (Content-Encoding undone): `max_body_bytes`, but a
/// sitemap may be the sitemaps.org 50 MiB (its parser reads no more, gzip bombs included).
fn decoded_limit(cfg: &CrawlerConfig, kind: UrlKind) -> u64 {
    match kind {
        UrlKind::Sitemap => cfg
            .max_body_bytes
            .max(crate::sitemap::MAX_DECOMPRESSED_BYTES),
        _ => cfg.max_body_bytes,
    }
}

/// Bodies up to this size are read and compressed on the async worker (well under a
/// millisecond: the hop to a blocking thread would cost more than it saves); larger ones on a
/// blocking thread, so a hostile multi-megabyte page never holds up the other hosts' timers.
const INLINE_CPU_BYTES: usize = 256 * 1024;

/// [`read_page`] off the async workers when the body is large: charset detection, parsing,
/// links and extraction of up to max_body_bytes are CPU work, and the other hosts' tasks must
/// keep their pace.
async fn read_off_runtime(
    sh: &Arc<Shared>,
    si: usize,
    url: &Url,
    depth: u32,
    body: Vec<u8>,
    content_type: Option<String>,
) -> PageRead {
    if body.len() <= INLINE_CPU_BYTES {
        return read_page(sh, si, url, depth, &body, content_type.as_deref());
    }
    let (sh, url) = (sh.clone(), url.clone());
    let reading = tokio::task::spawn_blocking(move || {
        read_page(&sh, si, &url, depth, &body, content_type.as_deref())
    })
    .await;
    match reading {
        Ok(r) => r,
        // A panic on a hostile page is the host task's, as if it had happened here.
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

/// A wall is neither a listing nor a page whose links mean anything: the visit is blocked
/// (tried again, slower); a soft 404 is an answer without a listing.
fn record_block(out: &mut PageOutcome, b: Block) {
    if b.kind.is_block() {
        out.state = VisitState::Failed;
        out.answer = None;
        out.error = Some(format!("blocked: {}", b.reason));
        out.blocked = Some(b.reason);
    } else {
        out.error = Some(b.reason);
    }
}

/// What an HTML page says, read on a blocking thread (the parsed document is not Send).
struct PageRead {
    /// Links to follow.
    links: Vec<NewUrl>,
    /// On a product page, its listing (`platform` set; the caller sets `url` and `fetched_at`).
    listing: Option<qsword_listing::Listing>,
    /// The page is a wall or a soft 404, not what was asked for.
    block: Option<Block>,
    /// Where a quick `<meta refresh>` of a page without a listing sends the visitor.
    refresh: Option<Url>,
}

fn read_page(
    sh: &Shared,
    si: usize,
    url: &Url,
    depth: u32,
    body: &[u8],
    content_type: Option<&str>,
) -> PageRead {
    let site = &sh.sites[si];
    let page = decode_html(body, content_type);
    // Parsed once for links, listing and block cues.
    let doc = parse_page(&page);
    let mut listing = None;
    if site.product_url.is_none() || site.is_product(url) {
        let rules = sh.site_cfgs[si].rules.as_ref();
        listing = extract_listing_from(&doc, &page, url, rules);
        if let Some(l) = &mut listing {
            l.platform = Some(sh.site_cfgs[si].platform.clone());
        }
    }
    let priced = listing.as_ref().is_some_and(|l| l.price.is_some());
    let block = block_page(&doc, &site.block_text, priced);
    let refresh = listing
        .is_none()
        .then(|| meta_refresh(&doc, url).map(|n| site.canonical(&n)))
        .flatten();
    let mut links = Vec::new();
    if block.is_none() && site.max_depth.is_none_or(|m| depth < m) {
        links.extend(
            links_in(&doc, url)
                .iter()
                .filter(|l| site.follows(l))
                .map(|l| site.new_url(l, depth + 1)),
        );
    }
    PageRead {
        links,
        listing,
        block,
        refresh,
    }
}

/// A sitemap's entries become frontier URLs (children of an index stay sitemaps). Up to
/// 50 MiB and 50,000 entries: the caller runs it on a blocking thread.
fn read_sitemap(
    site: &CompiledSite,
    url: &Url,
    body: &[u8],
    depth: u32,
) -> Result<Vec<NewUrl>, String> {
    let map = crate::sitemap::parse_sitemap(body, url).map_err(|e| e.to_string())?;
    if let Some(why) = &map.truncated {
        tracing::warn!(%url, "sitemap not read to the end: {why}");
    }
    let children = map
        .sitemaps
        .iter()
        .filter(|c| site.spans(c))
        .map(|c| NewUrl {
            kind: UrlKind::Sitemap,
            ..site.new_url(c, depth)
        });
    let pages = map
        .urls
        .iter()
        .filter(|u| site.follows(&u.loc))
        .map(|u| NewUrl {
            lastmod: u.lastmod,
            ..site.new_url(&u.loc, depth + 1)
        });
    Ok(children.chain(pages).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frontier::MemoryFrontier;

    pub(super) const PANIC_PATH: &str = "/__qsword_test_panic";

    async fn shop(ip: &str) -> String {
        let app = axum::Router::new().fallback(|uri: axum::http::Uri| async move {
            axum::response::Html(match uri.path() {
                "/robots.txt" => "User-agent: *\nAllow: /\n".to_string(),
                "/" => format!(
                    r#"<a href="/a">a</a><a href="{PANIC_PATH}">x</a><a href="/b">b</a><a href="/c">c</a>"#
                ),
                p => format!("<p>{p}</p>"),
            })
        });
        let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}/")
    }

    /// A panic while visiting a page (an extraction bug on a hostile page, say) costs that
    /// host the rest of the run, not the crawl: the page is recorded as failed, the host's
    /// other leases go back to the queue, and the other hosts finish.
    #[tokio::test]
    async fn a_panicking_host_is_given_up_and_the_others_finish() {
        let (a, b) = (shop("127.0.0.1").await, shop("127.0.0.2").await);
        let site = |name: &str, url: &str| Site {
            name: name.into(),
            platform: name.into(),
            start_urls: vec![url.into()],
            ..Site::default()
        };
        let cfg = CrawlerConfig {
            allow_loopback: true,
            default_delay_ms: 0,
            ..CrawlerConfig::default()
        };
        let dir = tempfile::tempdir().unwrap();
        let (report, frontier) = tokio::time::timeout(
            Duration::from_secs(30),
            crawl(
                &cfg,
                &[site("a", &a), site("b", &b)],
                MemoryFrontier::new(),
                dir.path(),
            ),
        )
        .await
        .expect("the crawl ended")
        .unwrap();
        let host_a = a.trim_start_matches("http://").trim_end_matches('/');
        let failure = report.hosts[host_a].failure.as_deref().unwrap_or_default();
        assert!(failure.contains("test panic"), "{failure} {report:?}");
        let panicked: Vec<_> = frontier
            .outcomes
            .iter()
            .filter(|o| o.lease.url.path() == PANIC_PATH)
            .collect();
        assert_eq!(panicked.len(), 2, "one page per host, the panic each time");
        assert!(panicked.iter().all(|o| o.state == VisitState::Failed
            && o.error.as_deref().is_some_and(|e| e.contains("panicked"))));
        assert_eq!(frontier.in_flight(), 0, "no lease is lost");
        // Each host stopped at its panic; what it had not visited yet is queued again.
        assert!(frontier.queued() >= 1, "{}", frontier.queued());
    }
}
