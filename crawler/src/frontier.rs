//! The crawler's side of the frontier: what it leases, what it reports back, and the
//! [`Frontier`] trait a durable store implements (the binary implements it over SQLite, a
//! Redis frontier can implement it for many workers). [`MemoryFrontier`] is the in-process
//! implementation for tests and one-off crawls.
//!
//! The contract that makes crawls crash-safe: everything learnt from visiting one URL — its
//! fetches, its listing, the links it revealed and the URL's own new state — arrives in one
//! [`PageOutcome`], and [`Frontier::commit`] stores a batch of them all-or-nothing. The WARC
//! records they point to are on disk before `commit` is called. A URL leased but not committed
//! when the process dies is leased again by the next run (`--resume`).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use chrono::{DateTime, Utc};
use qsword_listing::Listing;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::crawl::FetchRecord;
use crate::evidence::WarcRef;

/// What a frontier URL is, which decides how it is processed and when it is visited again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UrlKind {
    /// An HTML page that is not a product page (home, category, pagination, seller).
    Page,
    /// A product page: its listing is extracted.
    Product,
    /// A sitemap or sitemap index (XML, gzip or plain text).
    Sitemap,
}

/// A URL to add to the frontier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUrl {
    /// Canonical (see [`crate::canonicalize`]); the frontier deduplicates on it verbatim.
    pub url: Url,
    /// Politeness key: the host name, with the port when not the scheme's default (see
    /// [`crate::canon::host_key`]).
    pub host: String,
    /// Name of the site whose rules apply.
    pub site: String,
    pub kind: UrlKind,
    /// Links followed from a seed (seeds are 0).
    pub depth: u32,
    /// When a sitemap says the page last changed (its `<lastmod>`); `None` elsewhere. A URL
    /// already answered before this is queued again (see [`Frontier::push`]).
    pub lastmod: Option<DateTime<Utc>>,
}

impl UrlKind {
    /// Higher is leased first: sitemaps (they reveal many URLs), then products (each is a
    /// listing, and finishing them keeps the queue short), then other pages.
    pub fn priority(self) -> i64 {
        match self {
            UrlKind::Sitemap => 2,
            UrlKind::Product => 1,
            UrlKind::Page => 0,
        }
    }
}

/// A frontier URL handed to the crawler to visit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub url: Url,
    pub host: String,
    pub site: String,
    pub kind: UrlKind,
    pub depth: u32,
    /// Validators of the last answer, sent as If-None-Match / If-Modified-Since.
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// How a visit ended, for the frontier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum VisitState {
    /// An answer came (any status, 304 and 404 included).
    Done,
    /// No usable answer: refused, disallowed by robots.txt, transport errors or 5xx/429
    /// after retries. The next run tries again.
    Failed,
}

/// The answer a visit got, for the next visit's conditional GET.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answered {
    pub at: chrono::DateTime<chrono::Utc>,
    pub status: u16,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// Everything learnt from visiting one leased URL, committed together.
#[derive(Debug, Clone)]
pub struct PageOutcome {
    pub lease: Lease,
    pub state: VisitState,
    /// The final answer (after same-host redirects); `None` when no answer came.
    pub answer: Option<Answered>,
    pub error: Option<String>,
    /// Every HTTP exchange of the visit (redirect hops and final answer; retries only as the
    /// last attempt's answer).
    pub fetches: Vec<FetchRecord>,
    /// The product page's listing: `platform` from the site, `url` canonical, `fetched_at` set.
    pub listing: Option<(Listing, WarcRef)>,
    /// Links and sitemap entries to add.
    pub discovered: Vec<NewUrl>,
    /// URLs reached by following redirects within this visit: known, and visited already.
    pub redirected: Vec<NewUrl>,
    /// The shop answered with a block page (captcha, slider, login wall): why. The crawler
    /// slows the host and tries the URL again; such an outcome is not committed as a visit.
    pub blocked: Option<String>,
}

impl PageOutcome {
    pub(crate) fn new(lease: Lease) -> PageOutcome {
        PageOutcome {
            lease,
            state: VisitState::Failed,
            answer: None,
            error: None,
            fetches: Vec::new(),
            listing: None,
            discovered: Vec::new(),
            redirected: Vec::new(),
            blocked: None,
        }
    }

    /// The HTTP status of the final answer.
    pub fn status(&self) -> Option<u16> {
        self.answer.as_ref().map(|a| a.status)
    }

    /// The page said its offer is gone (404/410).
    pub fn gone(&self) -> bool {
        matches!(self.status(), Some(404 | 410))
    }

    /// The page was confirmed unchanged (304 to a conditional GET).
    pub fn not_modified(&self) -> bool {
        self.status() == Some(304)
    }

    /// The page's final URL (after same-host redirects): the URL its listing is stored under.
    pub fn final_url(&self) -> &str {
        self.redirected
            .last()
            .map_or(self.lease.url.as_str(), |u| u.url.as_str())
    }

    /// Moves out what the visit captured (fetches, listing) for the store, leaving the
    /// frontier's part (lease, state, links) behind.
    pub fn take_capture(&mut self) -> Capture {
        Capture {
            url: self.lease.url.to_string(),
            final_url: self.final_url().to_owned(),
            answered_at: self.answer.as_ref().map(|a| a.at),
            status: self.status(),
            fetches: std::mem::take(&mut self.fetches),
            listing: self.listing.take(),
        }
    }
}

/// What one visit captured for the store — fetch records, the listing and what the final
/// answer said of the offer — without the frontier's part. The single-process crawl writes it
/// in the frontier's transaction; a cluster worker streams it (JSON) to the coordinator, which
/// writes it with the same code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Capture {
    /// The leased URL.
    pub url: String,
    /// Where same-host redirects ended ([`PageOutcome::final_url`]).
    pub final_url: String,
    /// When the final answer came; `None` when none did.
    pub answered_at: Option<chrono::DateTime<chrono::Utc>>,
    pub status: Option<u16>,
    pub fetches: Vec<FetchRecord>,
    pub listing: Option<(Listing, WarcRef)>,
}

impl Capture {
    /// The page said its offer is gone (404/410).
    pub fn gone(&self) -> bool {
        matches!(self.status, Some(404 | 410))
    }

    /// The page was confirmed unchanged (304 to a conditional GET).
    pub fn not_modified(&self) -> bool {
        self.status == Some(304)
    }
}

/// A host's request slots shared with the other crawler processes of a cluster (the Redis
/// frontier's `HostClock`), so a host's delay holds across workers and lease hand-overs. The
/// crawler asks before every request and reports when the exchange ended. Not needed (and
/// not used) by a crawl that is the only one fetching its hosts.
pub trait HostSlots: Send + Sync {
    /// Takes the host's next request slot if it is due: `None` means send now, `Some(wait)`
    /// means ask again after `wait`.
    fn try_reserve(
        &self,
        host: &str,
        delay: std::time::Duration,
    ) -> Result<Option<std::time::Duration>, FrontierError>;

    /// The exchange with the host ended now: no worker's next request before `delay` from now.
    fn finished(&self, host: &str, delay: std::time::Duration) -> Result<(), FrontierError>;
}

/// Why the frontier could not do what was asked; the crawl stops on it.
pub type FrontierError = Box<dyn std::error::Error + Send + Sync>;

/// New frontier URLs per host, returned by [`Frontier::push`] and [`Frontier::commit`].
pub type NewPerHost = Vec<(String, usize)>;

/// The durable crawl state. Called from one thread (the crawl's frontier keeper), in batches.
pub trait Frontier: Send {
    /// Adds the URLs not known yet (in any state); returns the new ones per host. A known URL
    /// whose `lastmod` (from a sitemap) is later than its last answer is queued again, and
    /// counted as new: the site says it changed since, so its recrawl time need not be
    /// awaited. One not newer keeps its state and waits for its recrawl as before.
    fn push(&mut self, urls: &[NewUrl]) -> Result<NewPerHost, FrontierError>;

    /// Hands out up to `max` queued URLs of `host`, marking them in flight.
    fn lease(&mut self, host: &str, max: usize) -> Result<Vec<Lease>, FrontierError>;

    /// Stores finished visits, all together or none: each page's fetches and listing, its
    /// discovered URLs (pushed), its redirect targets (pushed as visited) and its own state.
    /// Returns the new URLs per host.
    fn commit(&mut self, pages: Vec<PageOutcome>) -> Result<NewPerHost, FrontierError>;

    /// Gives leased URLs back unvisited (their host was parked).
    fn release(&mut self, leases: &[Lease]) -> Result<(), FrontierError>;

    /// Whether the crawl of `hosts` is over as far as other processes go, once every host is
    /// idle here: a frontier shared with other workers says `false` while one of them still
    /// holds one of these hosts (it may discover more work). The default, for a frontier owned
    /// by one process, is `true`.
    fn settled(&mut self, hosts: &[String]) -> Result<bool, FrontierError> {
        let _ = hosts;
        Ok(true)
    }

    /// The site's cookie jar as saved by the last run (JSON), so a consent or session cookie
    /// outlives the process. The default keeps none.
    fn cookies(&mut self, site: &str) -> Result<Option<String>, FrontierError> {
        let _ = site;
        Ok(None)
    }

    /// Keeps the site's cookie jar for the next run.
    fn save_cookies(&mut self, site: &str, jar: &str) -> Result<(), FrontierError> {
        let _ = (site, jar);
        Ok(())
    }

    /// The hosts with queued URLs, with the site(s) they are of: a run gives those of its
    /// sites a task even when no start URL names them (another host of a site, met in an
    /// earlier run). The default, for a frontier that cannot tell, is none.
    fn queued_hosts(&mut self) -> Result<Vec<(String, String)>, FrontierError> {
        Ok(Vec::new())
    }
}

/// A frontier in memory: for tests and crawls that need no resume. Keeps every outcome.
#[derive(Debug, Default)]
pub struct MemoryFrontier {
    known: HashSet<String>,
    queues: BTreeMap<String, VecDeque<Lease>>,
    in_flight: HashMap<String, Lease>,
    /// When each visited URL was last answered (for a sitemap's `lastmod`).
    answered: HashMap<String, DateTime<Utc>>,
    /// Every committed visit, in commit order.
    pub outcomes: Vec<PageOutcome>,
}

impl MemoryFrontier {
    pub fn new() -> Self {
        Self::default()
    }

    /// URLs leased and not committed or released.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// URLs waiting, all hosts.
    pub fn queued(&self) -> usize {
        self.queues.values().map(VecDeque::len).sum()
    }

    fn add(&mut self, u: &NewUrl, queue: bool) -> bool {
        let url = u.url.to_string();
        if !self.known.insert(url.clone()) {
            let changed =
                matches!((u.lastmod, self.answered.get(&url)), (Some(m), Some(a)) if m > *a);
            if !(queue && changed) || self.in_flight.contains_key(&url) {
                return false;
            }
            // Changed since it was answered: visited again (only once until answered anew).
            self.answered.remove(&url);
        }
        if queue {
            self.queues
                .entry(u.host.clone())
                .or_default()
                .push_back(Lease {
                    url: u.url.clone(),
                    host: u.host.clone(),
                    site: u.site.clone(),
                    kind: u.kind,
                    depth: u.depth,
                    etag: None,
                    last_modified: None,
                });
        }
        true
    }
}

fn count(new: &mut NewPerHost, host: &str) {
    match new.iter_mut().find(|(h, _)| h == host) {
        Some((_, n)) => *n += 1,
        None => new.push((host.to_owned(), 1)),
    }
}

impl Frontier for MemoryFrontier {
    fn push(&mut self, urls: &[NewUrl]) -> Result<NewPerHost, FrontierError> {
        let mut new = NewPerHost::new();
        for u in urls {
            if self.add(u, true) {
                count(&mut new, &u.host);
            }
        }
        Ok(new)
    }

    fn lease(&mut self, host: &str, max: usize) -> Result<Vec<Lease>, FrontierError> {
        let Some(q) = self.queues.get_mut(host) else {
            return Ok(Vec::new());
        };
        let mut out: Vec<Lease> = Vec::new();
        // Highest priority first, as the store does.
        while out.len() < max {
            let best = (0..q.len()).max_by_key(|&i| (q[i].kind.priority(), std::cmp::Reverse(i)));
            let Some(i) = best else { break };
            let l = q.remove(i).expect("index in range");
            self.in_flight.insert(l.url.to_string(), l.clone());
            out.push(l);
        }
        Ok(out)
    }

    fn commit(&mut self, pages: Vec<PageOutcome>) -> Result<NewPerHost, FrontierError> {
        let mut new = NewPerHost::new();
        for p in pages {
            self.in_flight.remove(p.lease.url.as_str());
            if let Some(a) = &p.answer {
                self.answered.insert(p.lease.url.to_string(), a.at);
            }
            for u in &p.redirected {
                self.add(u, false);
            }
            for u in &p.discovered {
                if self.add(u, true) {
                    count(&mut new, &u.host);
                }
            }
            self.outcomes.push(p);
        }
        Ok(new)
    }

    fn queued_hosts(&mut self) -> Result<Vec<(String, String)>, FrontierError> {
        Ok(self
            .queues
            .iter()
            .flat_map(|(h, q)| q.iter().map(move |l| (h.clone(), l.site.clone())))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect())
    }

    fn release(&mut self, leases: &[Lease]) -> Result<(), FrontierError> {
        for l in leases {
            if self.in_flight.remove(l.url.as_str()).is_some() {
                self.queues
                    .entry(l.host.clone())
                    .or_default()
                    .push_front(l.clone());
            }
        }
        Ok(())
    }
}
