//! The crawl loop: an in-memory breadth-first frontier shared by one task per host. Each host
//! task fetches its robots.txt first, then serves its own queue one request at a time, spaced
//! by the host's effective delay; tasks run concurrently (bounded by `concurrency`), so a slow
//! host never holds up the others.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use qsword_listing::Listing;
use serde::Serialize;
use tokio::sync::{mpsc, Notify, Semaphore};
use url::Url;

use crate::canon::{canonicalize, host_key};
use crate::config::{CompiledSite, CrawlerConfig, Site, SiteConfigError};
use crate::evidence::{sha1_base32, Exchange, WarcRef, WarcWriter};
use crate::extract::{decode_html, extract_listing};
use crate::fetch::{
    decode_content_encoding, is_transient_status, retry_after_header, retry_delay, Fetcher,
    RawResponse,
};
use crate::links::extract_links;
use crate::robots::RobotsPolicy;
use crate::safety::AddressPolicy;

/// One HTTP response (or failed attempt) of the crawl, for the store's fetch history.
#[derive(Debug, Clone, PartialEq, Serialize)]
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

/// What the crawl tells its consumer (the binary, which writes the store) as it goes.
// Events are moved once through a channel; boxing the listing would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum CrawlEvent {
    Fetched(FetchRecord),
    /// A product page's listing: `platform` from the site, `url` canonical, `fetched_at` set.
    Listing {
        listing: Listing,
        warc: WarcRef,
    },
}

/// Per-host figures of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HostReport {
    /// HTTP requests sent, robots.txt and retries included.
    pub requests: u64,
    /// The delay held between two requests: max(configured, Crawl-delay capped).
    pub effective_delay_ms: u64,
    /// robots.txt outcome: `parsed`, `allow-all (status N)`, `disallow-all (…)`.
    pub robots: String,
    /// The Crawl-delay asked for, when it exceeded `max_crawl_delay_ms` and was capped
    /// (`u64::MAX` for `inf` and other delays too long to represent).
    pub crawl_delay_capped_from_ms: Option<u64>,
    /// Why the host's crawl stopped early (its task panicked); its queued URLs were abandoned
    /// and counted in `errors_by_host`.
    pub failure: Option<String>,
}

/// The run report (written to `runs/` by the binary).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CrawlReport {
    /// Pages requested and answered (any status), robots.txt not counted.
    pub pages_fetched: u64,
    pub listings: u64,
    /// Fetches with no usable response (refused, transport error, over-size body, 5xx/429
    /// after retries), by `scheme://host:port`.
    pub errors_by_host: BTreeMap<String, u64>,
    /// URLs skipped because robots.txt disallows them.
    pub robots_disallowed: u64,
    /// URLs refused by address safety, with the reason.
    pub refused: Vec<String>,
    /// Body bytes received (as sent, before decompression).
    pub bytes: u64,
    pub elapsed: Duration,
    pub warc_file: Option<PathBuf>,
    pub hosts: BTreeMap<String, HostReport>,
}

/// Why a crawl could not run (problems with single pages are reported, not raised).
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
    #[error("the crawl event receiver was dropped; stopped early")]
    EventsClosed,
}

struct Job {
    url: Url,
    site: usize,
    depth: u32,
}

#[derive(Default)]
struct State {
    seen: HashSet<String>,
    queues: HashMap<String, VecDeque<Job>>,
    /// Hosts whose task panicked: nothing is queued for them any more.
    abandoned: HashSet<String>,
    in_flight: usize,
    dispatched: u64,
    stop: Option<CrawlError>,
    report: CrawlReport,
}

struct Shared {
    cfg: CrawlerConfig,
    sites: Vec<(Site, CompiledSite)>,
    policy: AddressPolicy,
    fetcher: Fetcher,
    warc: Mutex<WarcWriter>,
    events: mpsc::Sender<CrawlEvent>,
    permits: Semaphore,
    state: Mutex<State>,
    notify: Notify,
}

/// One host's politeness state, owned by its task.
struct Host {
    key: String,
    delay: Duration,
    limiter: Option<DefaultDirectRateLimiter>,
    /// When the last exchange with this host ended (response read, or the attempt failed).
    last_done: Option<Instant>,
    robots: RobotsPolicy,
}

impl Shared {
    /// The crawl state. A panicking host task may have poisoned the lock; the state is still
    /// consistent enough to finish the crawl and report (counters and queues only).
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One more unusable fetch for `host`.
    fn count_error(&self, host: &str) {
        *self
            .state()
            .report
            .errors_by_host
            .entry(host.to_owned())
            .or_default() += 1;
    }
}

/// Marks one dispatched job finished when dropped — also when `process` panics — so that the
/// other host tasks, waiting for `in_flight` to reach zero, are not left waiting forever.
struct InFlight<'a>(&'a Shared);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.state().in_flight -= 1;
        self.0.notify.notify_waiters();
    }
}

/// Abandons a host whose task panics: its queued URLs are dropped (and counted as errors) and
/// the host is reported as failed, so the rest of the crawl finishes without it.
struct AbandonOnPanic<'a> {
    sh: &'a Shared,
    key: &'a str,
}

impl Drop for AbandonOnPanic<'_> {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        let mut st = self.sh.state();
        let abandoned = st.queues.remove(self.key).map_or(0, |q| q.len() as u64);
        st.abandoned.insert(self.key.to_owned());
        *st.report
            .errors_by_host
            .entry(self.key.to_owned())
            .or_default() += abandoned + 1;
        st.report
            .hosts
            .entry(self.key.to_owned())
            .or_default()
            .failure
            .get_or_insert_with(|| format!("{abandoned} queued URLs abandoned"));
        drop(st);
        self.sh.notify.notify_waiters();
    }
}

impl Host {
    fn set_delay(&mut self, delay: Duration) {
        self.delay = delay;
        // Burst 1: never two requests inside one period.
        self.limiter =
            Quota::with_period(delay).map(|q| RateLimiter::direct(q.allow_burst(NonZeroU32::MIN)));
    }
}

/// Crawls `sites` politely, writing every response to a new WARC file in `warc_dir` and
/// sending [`CrawlEvent`]s as it goes. Returns when the frontier is exhausted or `max_pages`
/// pages were fetched.
pub async fn crawl(
    cfg: &CrawlerConfig,
    sites: &[Site],
    warc_dir: &Path,
    events: mpsc::Sender<CrawlEvent>,
) -> Result<CrawlReport, CrawlError> {
    let started = Instant::now();
    let compiled = sites
        .iter()
        .map(|s| s.compile().map(|c| (s.clone(), c)))
        .collect::<Result<Vec<_>, _>>()?;
    let policy = AddressPolicy {
        allow_loopback: cfg.allow_loopback,
        allow_private: cfg.allow_private,
    };
    let warc = WarcWriter::create(
        warc_dir,
        &format!("qsword-crawler/{}", env!("CARGO_PKG_VERSION")),
    )
    .map_err(|source| CrawlError::Warc {
        dir: warc_dir.to_owned(),
        source,
    })?;
    let mut state = State::default();
    state.report.warc_file = Some(warc.path().to_owned());
    // Each host's configured delay: the largest asked by any site that crawls it.
    let mut host_delays: BTreeMap<String, u64> = BTreeMap::new();
    for (i, (site, c)) in compiled.iter().enumerate() {
        let delay = site.delay_ms.unwrap_or(cfg.default_delay_ms);
        for h in &c.hosts {
            let d = host_delays.entry(h.clone()).or_insert(0);
            *d = (*d).max(delay);
        }
        for u in &c.start_urls {
            if state.seen.insert(canonicalize(u).to_string()) {
                state.queues.entry(host_key(u)).or_default().push_back(Job {
                    url: u.clone(),
                    site: i,
                    depth: 0,
                });
            }
        }
    }
    let shared = Arc::new(Shared {
        fetcher: Fetcher::new(cfg, policy)?,
        cfg: cfg.clone(),
        sites: compiled,
        policy,
        warc: Mutex::new(warc),
        events,
        permits: Semaphore::new(cfg.concurrency.max(1)),
        state: Mutex::new(state),
        notify: Notify::new(),
    });
    let tasks: Vec<_> = host_delays
        .into_iter()
        .map(|(key, delay)| {
            (
                key.clone(),
                tokio::spawn(run_host(shared.clone(), key, delay)),
            )
        })
        .collect();
    for (key, t) in tasks {
        if let Err(e) = t.await {
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
            let mut st = shared.state();
            let hr = st.report.hosts.entry(key).or_default();
            hr.failure = Some(match hr.failure.take() {
                Some(abandoned) => format!("{why}; {abandoned}"),
                None => why,
            });
        }
    }
    let mut st = shared.state();
    if let Some(e) = st.stop.take() {
        return Err(e);
    }
    let mut report = std::mem::take(&mut st.report);
    report.elapsed = started.elapsed();
    Ok(report)
}

async fn run_host(sh: Arc<Shared>, key: String, delay_ms: u64) {
    let _abandon = AbandonOnPanic { sh: &sh, key: &key };
    let mut host = Host {
        key: key.clone(),
        delay: Duration::ZERO,
        limiter: None,
        last_done: None,
        robots: RobotsPolicy::DisallowAll,
    };
    host.set_delay(Duration::from_millis(delay_ms));
    let (robots, outcome, crawl_delay) = fetch_robots(&sh, &mut host).await;
    host.robots = robots;
    let mut capped_from = None;
    // texting_robots reads `Crawl-delay: inf` or `1e40` as an infinite f32: too long to
    // represent is capped like any long delay; NaN and negative delays are ignored.
    let asked = crawl_delay.and_then(|cd| match Duration::try_from_secs_f32(cd) {
        Ok(d) => Some(d),
        Err(_) if cd > 0.0 => Some(Duration::MAX),
        Err(_) => {
            tracing::warn!(host = %key, crawl_delay = cd, "robots.txt Crawl-delay ignored");
            None
        }
    });
    if let Some(asked) = asked {
        let cap = Duration::from_millis(sh.cfg.max_crawl_delay_ms);
        if asked > cap {
            let asked_ms = u64::try_from(asked.as_millis()).unwrap_or(u64::MAX);
            tracing::warn!(host = %key, asked_ms, cap_ms = sh.cfg.max_crawl_delay_ms, "robots.txt Crawl-delay capped");
            capped_from = Some(asked_ms);
        }
        let effective = asked.min(cap).max(host.delay);
        if effective != host.delay {
            host.set_delay(effective);
        }
    }
    {
        let mut st = sh.state();
        let hr = st.report.hosts.entry(key.clone()).or_default();
        hr.effective_delay_ms = host.delay.as_millis() as u64;
        hr.robots = outcome;
        hr.crawl_delay_capped_from_ms = capped_from;
    }
    while let Some(job) = next_job(&sh, &host).await {
        let _done = InFlight(&sh);
        process(&sh, &mut host, job).await;
    }
}

/// The next job of this host, skipping robots-disallowed URLs; `None` when the crawl is over
/// (no queued work anywhere and nothing in flight that could add some, or the page budget spent).
async fn next_job(sh: &Shared, host: &Host) -> Option<Job> {
    loop {
        let notified = sh.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        {
            let mut guard = sh.state();
            let st = &mut *guard;
            if st.stop.is_some() {
                return None;
            }
            let budget_left = st.dispatched < sh.cfg.max_pages;
            if budget_left {
                if let Some(q) = st.queues.get_mut(&host.key) {
                    while let Some(job) = q.pop_front() {
                        if !host.robots.allows(&job.url) {
                            st.report.robots_disallowed += 1;
                            tracing::debug!(url = %job.url, "disallowed by robots.txt");
                            continue;
                        }
                        st.dispatched += 1;
                        st.in_flight += 1;
                        return Some(job);
                    }
                }
            }
            let idle = st.queues.values().all(|q| q.is_empty()) || !budget_left;
            if idle && st.in_flight == 0 {
                drop(guard);
                sh.notify.notify_waiters();
                return None;
            }
        }
        notified.await;
    }
}

/// Waits for this host's turn: the governor quota, a global permit, and — because waiting for
/// the permit may delay this send after the quota was granted — the delay since the last send.
async fn send(
    sh: &Shared,
    host: &mut Host,
    url: &Url,
) -> Result<RawResponse, crate::fetch::FetchFailure> {
    if let Some(l) = &host.limiter {
        l.until_ready().await;
    }
    let _permit = sh.permits.acquire().await.expect("semaphore never closed");
    if let Some(last) = host.last_done {
        let due = last + host.delay;
        if due > Instant::now() {
            tokio::time::sleep_until(due.into()).await;
        }
    }
    sh.state()
        .report
        .hosts
        .entry(host.key.clone())
        .or_default()
        .requests += 1;
    let answer = sh.fetcher.get(url).await;
    // The delay runs from the end of the exchange, not from the send: a request that waited
    // on a new connection (or a slow server) reaches the host late, and spacing from the send
    // would let the next one arrive sooner than the delay. The host sees at least the delay
    // between one response and the next request, as Heritrix does.
    host.last_done = Some(Instant::now());
    answer
}

/// A response with its WARC record, or why there is none.
struct Answer {
    resp: RawResponse,
    warc: WarcRef,
}

/// GET with retries for transient failures; every response is written to the WARC.
async fn fetch_with_retries(sh: &Shared, host: &mut Host, url: &Url) -> Result<Answer, String> {
    let mut attempt = 0;
    loop {
        match send(sh, host, url).await {
            Ok(resp) => {
                let warc = write_warc(sh, url, &resp)?;
                let transient = is_transient_status(resp.status);
                if transient && attempt < sh.cfg.retries {
                    let wait = retry_delay(&sh.cfg, attempt, retry_after_header(&resp.headers));
                    if wait <= Duration::from_millis(sh.cfg.max_retry_after_ms) {
                        tracing::info!(%url, status = resp.status.as_u16(), ?wait, "retrying");
                        tokio::time::sleep(wait).await;
                        attempt += 1;
                        continue;
                    }
                }
                return Ok(Answer { resp, warc });
            }
            Err(f) if f.transient && attempt < sh.cfg.retries => {
                let wait = retry_delay(&sh.cfg, attempt, None);
                tracing::info!(%url, error = %f.message, ?wait, "retrying");
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
            Err(f) => return Err(f.message),
        }
    }
}

fn write_warc(sh: &Shared, url: &Url, resp: &RawResponse) -> Result<WarcRef, String> {
    let mut w = sh.warc.lock().unwrap_or_else(|e| e.into_inner());
    let r = w.write_exchange(&Exchange {
        url: url.as_str(),
        ip: resp.ip,
        date: resp.date,
        request_head: &resp.request_head,
        response_head: &resp.response_head,
        payload: &resp.body,
        truncated: resp.truncated,
    });
    sh.state().report.bytes += resp.body.len() as u64;
    r.map_err(|source| {
        let e = CrawlError::WarcWrite {
            file: w.path().to_owned(),
            source,
        };
        let msg = e.to_string();
        // Evidence that cannot be written makes the whole run worthless: stop.
        sh.state().stop.get_or_insert(e);
        msg
    })
}

/// robots.txt for the host: 2xx parsed, 4xx allow all, anything else disallow all (RFC 9309).
async fn fetch_robots(sh: &Shared, host: &mut Host) -> (RobotsPolicy, String, Option<f32>) {
    let mut url = match Url::parse(&host.key).and_then(|u| u.join("/robots.txt")) {
        Ok(u) => u,
        Err(e) => {
            return (
                RobotsPolicy::DisallowAll,
                format!("disallow-all (bad host: {e})"),
                None,
            )
        }
    };
    for _ in 0..=sh.cfg.max_redirects {
        if let Err(why) = sh.policy.check_url(&url).await {
            refused(sh, &host.key, &url, &why);
            return (
                RobotsPolicy::DisallowAll,
                format!("disallow-all ({why})"),
                None,
            );
        }
        let a = match fetch_with_retries(sh, host, &url).await {
            Ok(a) => a,
            Err(e) => {
                return (
                    RobotsPolicy::DisallowAll,
                    format!("disallow-all ({e})"),
                    None,
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
            return match RobotsPolicy::parse(&sh.cfg.user_agent, &body) {
                (policy, Ok(())) => {
                    let delay = policy.crawl_delay();
                    (policy, "parsed".into(), delay)
                }
                (policy, Err(e)) => {
                    tracing::warn!(host = %host.key, "robots.txt unparsable, allowing all: {e}");
                    (policy, "allow-all (unparsable)".into(), None)
                }
            };
        }
        if status.is_client_error() {
            return (
                RobotsPolicy::AllowAll,
                format!("allow-all (status {})", status.as_u16()),
                None,
            );
        }
        return (
            RobotsPolicy::DisallowAll,
            format!("disallow-all (status {})", status.as_u16()),
            None,
        );
    }
    (
        RobotsPolicy::DisallowAll,
        "disallow-all (too many redirects)".into(),
        None,
    )
}

fn refused(sh: &Shared, key: &str, url: &Url, why: &str) {
    tracing::warn!(%url, "{why}");
    let mut st = sh.state();
    st.report.refused.push(format!("{url}: {why}"));
    drop(st);
    sh.count_error(key);
}

async fn emit(sh: &Shared, ev: CrawlEvent) {
    if sh.events.send(ev).await.is_err() {
        sh.state().stop.get_or_insert(CrawlError::EventsClosed);
    }
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

/// Fetches one frontier URL (following same-host redirects inline), records it, enqueues its
/// links and emits its listing.
async fn process(sh: &Shared, host: &mut Host, job: Job) {
    let site = &sh.sites[job.site].1;
    let mut url = job.url;
    let mut chain = vec![canonicalize(&url).to_string()];
    loop {
        if let Err(why) = sh.policy.check_url(&url).await {
            refused(sh, &host.key, &url, &why);
            emit(sh, CrawlEvent::Fetched(error_record(&url, why))).await;
            return;
        }
        let a = match fetch_with_retries(sh, host, &url).await {
            Ok(a) => a,
            Err(e) => {
                sh.count_error(&host.key);
                emit(sh, CrawlEvent::Fetched(error_record(&url, e))).await;
                return;
            }
        };
        sh.state().report.pages_fetched += 1;
        let r = &a.resp;
        let location = r
            .status
            .is_redirection()
            .then(|| r.header("location").and_then(|l| url.join(l).ok()))
            .flatten();
        let content_type = r.header("content-type").map(str::to_owned);
        let mut record = FetchRecord {
            url: url.to_string(),
            final_url: location.as_ref().unwrap_or(&url).to_string(),
            status: Some(r.status.as_u16()),
            content_type: content_type.clone(),
            etag: r.header("etag").map(str::to_owned),
            last_modified: r.header("last-modified").map(str::to_owned),
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
            record.error = Some(format!(
                "HTTP {} after {} retries",
                r.status.as_u16(),
                sh.cfg.retries
            ));
        } else if r.status.is_success() {
            match decode_content_encoding(
                r.header("content-encoding"),
                &r.body,
                sh.cfg.max_body_bytes,
            ) {
                Ok((_, true)) => {
                    record.error = Some(format!(
                        "decoded body exceeds max_body_bytes ({} bytes); not parsed",
                        sh.cfg.max_body_bytes
                    ))
                }
                Ok((b, false)) => body = Some(b),
                Err(e) => record.error = Some(format!("cannot decode body: {e}")),
            }
        }
        if record.error.is_some() {
            sh.count_error(&host.key);
        }
        emit(sh, CrawlEvent::Fetched(record)).await;

        if let Some(next) = location {
            let canon = canonicalize(&next).to_string();
            let same_host = host_key(&next) == host.key;
            if same_host
                && chain.len() <= sh.cfg.max_redirects as usize
                && !chain.contains(&canon)
                && site.follows(&next)
            {
                let fresh = sh.state().seen.insert(canon.clone());
                if fresh && host.robots.allows(&next) {
                    chain.push(canon);
                    url = next;
                    continue;
                }
                if fresh {
                    sh.state().report.robots_disallowed += 1;
                }
            } else if !same_host {
                // Another host is served by its own task, under its own politeness.
                enqueue(sh, job.site, job.depth, vec![next]);
            }
            return;
        }
        let Some(body) = body else { return };
        let is_html = content_type.as_deref().is_none_or(|c| c.contains("html"));
        if !is_html {
            return;
        }
        let page = decode_html(&body, content_type.as_deref());
        let links = extract_links(&page.html, &url);
        if sh.sites[job.site].0.max_depth.is_none_or(|m| job.depth < m) {
            enqueue(sh, job.site, job.depth + 1, links);
        }
        if site.product_url.is_none() || site.is_product(&url) {
            let rules = sh.sites[job.site].0.rules.as_ref();
            if let Some(mut listing) = extract_listing(&page, &url, rules) {
                listing.platform = Some(sh.sites[job.site].0.platform.clone());
                listing.url = canonicalize(&url).to_string();
                listing.fetched_at = Some(r.date);
                sh.state().report.listings += 1;
                emit(
                    sh,
                    CrawlEvent::Listing {
                        listing,
                        warc: a.warc,
                    },
                )
                .await;
            }
        }
        return;
    }
}

/// Adds the site's unseen links to their hosts' queues.
fn enqueue(sh: &Shared, site: usize, depth: u32, links: Vec<Url>) {
    let compiled = &sh.sites[site].1;
    let mut st = sh.state();
    let mut added = false;
    for link in links {
        if !compiled.follows(&link) {
            continue;
        }
        let canon = canonicalize(&link);
        if st.abandoned.contains(&host_key(&canon)) {
            continue;
        }
        if st.seen.insert(canon.to_string()) {
            // Fetch the canonical form: same page, and the fragment is never sent anyway.
            st.queues
                .entry(host_key(&canon))
                .or_default()
                .push_back(Job {
                    url: canon,
                    site,
                    depth,
                });
            added = true;
        }
    }
    drop(st);
    if added {
        sh.notify.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "http://a.example:80";
    const B: &str = "http://b.example:80";

    fn host(key: &str) -> Host {
        Host {
            key: key.into(),
            delay: Duration::ZERO,
            limiter: None,
            last_done: None,
            robots: RobotsPolicy::AllowAll,
        }
    }

    /// A panic while processing a page (an extraction bug on a hostile page, say) must not
    /// leave the other hosts waiting for it forever: its queue is abandoned, the job counted
    /// as finished, and the host reported as failed.
    #[tokio::test]
    async fn a_panicking_host_is_abandoned_and_the_others_finish() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = CrawlerConfig::default();
        let (events, _rx) = mpsc::channel(4);
        let mut state = State::default();
        let queue = (1..=3)
            .map(|i| Job {
                url: Url::parse(&format!("{A}/item/{i}.html")).unwrap(),
                site: 0,
                depth: 0,
            })
            .collect();
        state.queues.insert(A.into(), queue);
        let sh = Arc::new(Shared {
            fetcher: Fetcher::new(&cfg, AddressPolicy::default()).unwrap(),
            sites: vec![(Site::default(), Site::default().compile().unwrap())],
            policy: AddressPolicy::default(),
            warc: Mutex::new(WarcWriter::create(dir.path(), "test").unwrap()),
            events,
            permits: Semaphore::new(1),
            state: Mutex::new(state),
            notify: Notify::new(),
            cfg,
        });
        // Host B has nothing queued: it waits until the crawl is over.
        let b = tokio::spawn({
            let sh = sh.clone();
            async move { next_job(&sh, &host(B)).await.is_none() }
        });
        // Host A takes a page, and processing it panics (what `run_host` holds around `process`).
        let a = tokio::spawn({
            let sh = sh.clone();
            async move {
                let _abandon = AbandonOnPanic { sh: &sh, key: A };
                let job = next_job(&sh, &host(A)).await.unwrap();
                let _done = InFlight(&sh);
                panic!("extraction bug on {}", job.url);
            }
        });
        assert!(a.await.unwrap_err().is_panic());
        let b_done = tokio::time::timeout(Duration::from_secs(10), b)
            .await
            .expect("host B was left waiting for the panicked host");
        assert!(b_done.unwrap(), "the crawl is over for host B");

        let st = sh.state();
        assert_eq!(st.in_flight, 0);
        assert!(st.queues.get(A).is_none_or(|q| q.is_empty()));
        assert_eq!(
            st.report.errors_by_host[A], 3,
            "the panicked page + 2 abandoned"
        );
        let failure = st.report.hosts[A].failure.as_deref().unwrap();
        assert!(failure.contains("2 queued URLs abandoned"), "{failure}");
        drop(st);
        // Links found later for the abandoned host are not queued for nobody to fetch.
        enqueue(
            &sh,
            0,
            1,
            vec![Url::parse(&format!("{A}/item/9.html")).unwrap()],
        );
        assert!(sh.state().queues.get(A).is_none_or(|q| q.is_empty()));
    }
}
