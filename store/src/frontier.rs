//! The crawl frontier: URLs to fetch, deduplicated on their (already canonical) form, kept in
//! the store so a crawl resumes after a crash and the next night revisits what it knows with
//! conditional requests. Canonicalising URLs and deciding what to fetch when is the crawler's
//! job; this module only keeps the state, transactionally with the listings.

use crate::error::Doing;
use crate::{time, Store, StoreError, Transaction};
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row};
use serde::Serialize;
use std::fmt;

/// Where a frontier URL is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FrontierState {
    /// Waiting to be fetched.
    Queued,
    /// Handed to a fetcher and not finished; back to `Queued` on resume.
    InFlight,
    /// Fetched (whatever the page said).
    Done,
    /// Not fetched or no usable answer this time (refused, robots.txt, errors after
    /// retries); queued again by the next run's recrawl.
    Failed,
}

impl FrontierState {
    pub fn as_str(self) -> &'static str {
        match self {
            FrontierState::Queued => "queued",
            FrontierState::InFlight => "in-flight",
            FrontierState::Done => "done",
            FrontierState::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "queued" => FrontierState::Queued,
            "in-flight" => FrontierState::InFlight,
            "done" => FrontierState::Done,
            "failed" => FrontierState::Failed,
            _ => return None,
        })
    }
}

impl fmt::Display for FrontierState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a frontier URL is, which decides when it is visited again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UrlKind {
    /// A listing, category or other HTML page that is not a product page.
    Page,
    /// A product page (one listing).
    Product,
    /// A sitemap (XML, gzip or plain text) or sitemap index.
    Sitemap,
}

impl UrlKind {
    pub fn as_str(self) -> &'static str {
        match self {
            UrlKind::Page => "page",
            UrlKind::Product => "product",
            UrlKind::Sitemap => "sitemap",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "page" => UrlKind::Page,
            "product" => UrlKind::Product,
            "sitemap" => UrlKind::Sitemap,
            _ => return None,
        })
    }
}

/// A URL found by the crawler (seed, link, sitemap entry), to be pushed to the frontier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveredUrl {
    /// The canonical URL; the frontier deduplicates on it verbatim.
    pub url: String,
    /// The politeness key (host name, and port when not the scheme's default).
    pub host: String,
    /// The site (name from `seeds/sites/`) whose rules apply to it.
    pub site: String,
    pub kind: UrlKind,
    /// Links followed from a seed (seeds are 0).
    pub depth: u32,
    /// Higher is fetched first (e.g. product pages over category pages).
    pub priority: i64,
    /// When a sitemap says the page last changed: a URL already `done` whose last answer is
    /// older is queued again by [`Transaction::frontier_push`].
    pub lastmod: Option<DateTime<Utc>>,
}

/// A URL in the frontier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FrontierUrl {
    pub url: String,
    pub host: String,
    pub site: String,
    pub kind: UrlKind,
    pub depth: u32,
    pub state: FrontierState,
    pub priority: i64,
    /// How many times it was leased since it was last queued by a new run.
    pub attempts: u32,
    pub discovered_at: DateTime<Utc>,
    /// The last visit that got an answer, with its status and validators (for a conditional
    /// GET next time).
    pub fetched_at: Option<DateTime<Utc>>,
    pub status: Option<u16>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub last_error: Option<String>,
}

/// The end of one visit of a frontier URL, recorded with [`Transaction::frontier_finish`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Visit {
    /// `Done` or `Failed`.
    pub state: Option<FrontierState>,
    /// When an answer came; `None` keeps the previous visit's time, status and validators
    /// (nothing was learnt about the page).
    pub fetched_at: Option<DateTime<Utc>>,
    pub status: Option<u16>,
    /// Validators to send next time (a 304 carries the ones it confirmed).
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub error: Option<String>,
}

const FRONTIER_COLUMNS: &str = "id, url, host, depth, state, priority, attempts, discovered_at, \
     site, kind, fetched_at, status, etag, last_modified, last_error";

struct RawFrontier {
    id: i64,
    url: String,
    host: String,
    depth: i64,
    state: String,
    priority: i64,
    attempts: i64,
    discovered_at: String,
    site: String,
    kind: String,
    fetched_at: Option<String>,
    status: Option<i64>,
    etag: Option<String>,
    last_modified: Option<String>,
    last_error: Option<String>,
}

fn read_frontier(r: &Row<'_>) -> rusqlite::Result<RawFrontier> {
    Ok(RawFrontier {
        id: r.get(0)?,
        url: r.get(1)?,
        host: r.get(2)?,
        depth: r.get(3)?,
        state: r.get(4)?,
        priority: r.get(5)?,
        attempts: r.get(6)?,
        discovered_at: r.get(7)?,
        site: r.get(8)?,
        kind: r.get(9)?,
        fetched_at: r.get(10)?,
        status: r.get(11)?,
        etag: r.get(12)?,
        last_modified: r.get(13)?,
        last_error: r.get(14)?,
    })
}

fn decode_frontier(raw: RawFrontier) -> Result<FrontierUrl, StoreError> {
    let id = raw.id;
    let corrupt = |column: &'static str, message: String| StoreError::Corrupt {
        table: "frontier",
        id,
        column,
        message,
    };
    let state = FrontierState::parse(&raw.state).ok_or_else(|| {
        corrupt(
            "state",
            format!("{:?} is not queued, in-flight, done or failed", raw.state),
        )
    })?;
    let kind = UrlKind::parse(&raw.kind).ok_or_else(|| {
        corrupt(
            "kind",
            format!("{:?} is not page, product or sitemap", raw.kind),
        )
    })?;
    Ok(FrontierUrl {
        url: raw.url,
        host: raw.host,
        site: raw.site,
        kind,
        depth: raw.depth as u32,
        state,
        priority: raw.priority,
        attempts: raw.attempts as u32,
        discovered_at: time::from_sql(&raw.discovered_at, "frontier", id, "discovered_at")?,
        fetched_at: time::opt_from_sql(raw.fetched_at, "frontier", id, "fetched_at")?,
        status: raw.status.and_then(|s| u16::try_from(s).ok()),
        etag: raw.etag,
        last_modified: raw.last_modified,
        last_error: raw.last_error,
    })
}

impl Transaction<'_> {
    /// Adds the URLs not already in the frontier (in any state) as queued; returns, per host,
    /// how many were new. A `done` URL answered before its `lastmod` is queued again (and
    /// counted): its sitemap says it changed since, so its recrawl time is not awaited.
    pub fn frontier_push(
        &self,
        urls: &[DiscoveredUrl],
        at: DateTime<Utc>,
    ) -> Result<Vec<(String, usize)>, StoreError> {
        let at = time::to_sql(at);
        let mut stmt = self
            .conn()
            .prepare_cached(
                "INSERT INTO frontier (url, host, site, kind, depth, priority, discovered_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (url) DO UPDATE SET state = 'queued', attempts = 0
                 WHERE frontier.state = 'done' AND frontier.fetched_at < ?8",
            )
            .doing(|| "preparing to push frontier URLs".into())?;
        let mut new: Vec<(String, usize)> = Vec::new();
        for u in urls {
            let n = stmt
                .execute(params![
                    u.url,
                    u.host,
                    u.site,
                    u.kind.as_str(),
                    u.depth,
                    u.priority,
                    at,
                    u.lastmod.map(time::to_sql)
                ])
                .doing(|| format!("pushing {} to the frontier", u.url))?;
            if n > 0 {
                match new.iter_mut().find(|(h, _)| *h == u.host) {
                    Some((_, c)) => *c += n,
                    None => new.push((u.host.clone(), n)),
                }
            }
        }
        Ok(new)
    }

    /// Leases up to `max` queued URLs of `host` — highest priority first, then first
    /// discovered — marking them in-flight and counting the attempt.
    pub fn frontier_lease(&self, host: &str, max: usize) -> Result<Vec<FrontierUrl>, StoreError> {
        let sql = format!(
            "UPDATE frontier SET state = 'in-flight', attempts = attempts + 1
             WHERE id IN (SELECT id FROM frontier WHERE host = ?1 AND state = 'queued'
                          ORDER BY priority DESC, id LIMIT ?2)
             RETURNING {FRONTIER_COLUMNS}"
        );
        let doing = || format!("leasing frontier URLs of {host}");
        let mut stmt = self.conn().prepare_cached(&sql).doing(doing)?;
        let raws = stmt
            .query_map(params![host, max as i64], read_frontier)
            .doing(doing)?
            .collect::<Result<Vec<_>, _>>()
            .doing(doing)?;
        let mut leased = raws
            .into_iter()
            .map(decode_frontier)
            .collect::<Result<Vec<_>, _>>()?;
        // RETURNING gives no order guarantee.
        leased.sort_by(|a, b| {
            b.priority
                .cmp(&a.priority)
                .then(a.discovered_at.cmp(&b.discovered_at))
        });
        Ok(leased)
    }

    /// Records the end of a visit of `url`. Returns `false` if the URL is not in the frontier.
    pub fn frontier_finish(&self, url: &str, visit: &Visit) -> Result<bool, StoreError> {
        let state = visit.state.unwrap_or(FrontierState::Done);
        let mut stmt = self
            .conn()
            .prepare_cached(
                "UPDATE frontier SET state = ?2, last_error = ?3,
                     fetched_at = COALESCE(?4, fetched_at),
                     status = CASE WHEN ?4 IS NULL THEN status ELSE ?5 END,
                     etag = CASE WHEN ?4 IS NULL THEN etag ELSE ?6 END,
                     last_modified = CASE WHEN ?4 IS NULL THEN last_modified ELSE ?7 END
                 WHERE url = ?1",
            )
            .doing(|| format!("finishing frontier URL {url}"))?;
        let n = stmt
            .execute(params![
                url,
                state.as_str(),
                visit.error,
                visit.fetched_at.map(time::to_sql),
                visit.status,
                visit.etag,
                visit.last_modified
            ])
            .doing(|| format!("finishing frontier URL {url}"))?;
        Ok(n > 0)
    }

    /// Puts leased URLs back in the queue unvisited (their host was parked). Returns how many.
    pub fn frontier_release(&self, urls: &[String]) -> Result<usize, StoreError> {
        let mut stmt = self
            .conn()
            .prepare_cached(
                "UPDATE frontier SET state = 'queued', attempts = max(attempts - 1, 0)
                 WHERE url = ?1 AND state = 'in-flight'",
            )
            .doing(|| "releasing frontier URLs".into())?;
        let mut n = 0;
        for u in urls {
            n += stmt
                .execute([u])
                .doing(|| format!("releasing frontier URL {u}"))?;
        }
        Ok(n)
    }

    /// After a crash: every in-flight URL goes back to queued. Returns how many.
    pub fn frontier_reset_in_flight(&self) -> Result<usize, StoreError> {
        self.conn()
            .execute(
                "UPDATE frontier SET state = 'queued' WHERE state = 'in-flight'",
                [],
            )
            .doing(|| "re-queueing in-flight frontier URLs".into())
    }

    /// For a new run: queues again the done and failed URLs of `site` and `kind` whose last
    /// answer is older than `answered_before` (or that never got one). Returns how many.
    pub fn frontier_requeue(
        &self,
        site: &str,
        kind: UrlKind,
        answered_before: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        self.conn()
            .execute(
                "UPDATE frontier SET state = 'queued', attempts = 0
                 WHERE site = ?1 AND kind = ?2 AND state IN ('done', 'failed')
                   AND (fetched_at IS NULL OR fetched_at < ?3)",
                params![site, kind.as_str(), time::to_sql(answered_before)],
            )
            .doing(|| format!("re-queueing {} URLs of site {site}", kind.as_str()))
    }
}

impl Store {
    /// See [`Transaction::frontier_push`]; one transaction.
    pub fn frontier_push(
        &mut self,
        urls: &[DiscoveredUrl],
        at: DateTime<Utc>,
    ) -> Result<Vec<(String, usize)>, StoreError> {
        self.write(|tx| tx.frontier_push(urls, at))
    }

    /// See [`Transaction::frontier_lease`]; one transaction.
    pub fn frontier_lease(
        &mut self,
        host: &str,
        max: usize,
    ) -> Result<Vec<FrontierUrl>, StoreError> {
        self.write(|tx| tx.frontier_lease(host, max))
    }

    /// See [`Transaction::frontier_finish`]; one transaction.
    pub fn frontier_finish(&mut self, url: &str, visit: &Visit) -> Result<bool, StoreError> {
        self.write(|tx| tx.frontier_finish(url, visit))
    }

    /// See [`Transaction::frontier_reset_in_flight`]; one transaction.
    pub fn frontier_reset_in_flight(&mut self) -> Result<usize, StoreError> {
        self.write(|tx| tx.frontier_reset_in_flight())
    }

    /// See [`Transaction::frontier_requeue`]; one transaction.
    pub fn frontier_requeue(
        &mut self,
        site: &str,
        kind: UrlKind,
        answered_before: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        self.write(|tx| tx.frontier_requeue(site, kind, answered_before))
    }

    /// Queued URLs per host, for starting one crawl task per host with work.
    pub fn frontier_queued_by_host(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let doing = || "counting queued frontier URLs per host".to_string();
        let mut stmt = self
            .conn
            .prepare(
                "SELECT host, count(*) FROM frontier WHERE state = 'queued'
                 GROUP BY host ORDER BY host",
            )
            .doing(doing)?;
        let hosts = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))
            .doing(doing)?
            .collect::<Result<Vec<_>, _>>()
            .doing(doing)?;
        Ok(hosts)
    }

    /// Each host with queued URLs, once per site they are of (the crawler gives every such
    /// host of the sites it crawls a task, also one no start URL names).
    pub fn frontier_queued_hosts(&self) -> Result<Vec<(String, String)>, StoreError> {
        let doing = || "listing hosts with queued frontier URLs".to_string();
        let mut stmt = self
            .conn
            .prepare(
                "SELECT DISTINCT host, site FROM frontier WHERE state = 'queued'
                 ORDER BY host, site",
            )
            .doing(doing)?;
        let hosts = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .doing(doing)?
            .collect::<Result<Vec<_>, _>>()
            .doing(doing)?;
        Ok(hosts)
    }

    /// The frontier entry of `url`, if any.
    pub fn frontier_url(&self, url: &str) -> Result<Option<FrontierUrl>, StoreError> {
        let sql = format!("SELECT {FRONTIER_COLUMNS} FROM frontier WHERE url = ?1");
        self.conn
            .query_row(&sql, [url], read_frontier)
            .optional()
            .doing(|| format!("reading frontier URL {url}"))?
            .map(decode_frontier)
            .transpose()
    }
}
