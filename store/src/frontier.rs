//! The crawl frontier: URLs to fetch, deduplicated on their (already canonical) form, kept in
//! the store so a crawl resumes after a crash. Canonicalising URLs is the crawler's job.

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
    /// Waiting to be fetched (from `next_fetch_at` on, if set).
    Queued,
    /// Handed to a fetcher and not finished; back to `Queued` on resume.
    InFlight,
    /// Fetched (whatever the page said).
    Done,
    /// Given up on.
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

/// A URL found by the crawler (seed, link, sitemap entry), to be pushed to the frontier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveredUrl {
    /// The canonical URL; the frontier deduplicates on it verbatim.
    pub url: String,
    pub host: String,
    /// Links followed from a seed (seeds are 0).
    pub depth: u32,
    /// Higher is fetched first (e.g. product pages over category pages).
    pub priority: i64,
}

/// A URL in the frontier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FrontierUrl {
    pub url: String,
    pub host: String,
    pub depth: u32,
    pub state: FrontierState,
    pub priority: i64,
    pub next_fetch_at: Option<DateTime<Utc>>,
    /// How many times it was handed out by `frontier_next`.
    pub attempts: u32,
    pub discovered_at: DateTime<Utc>,
}

const FRONTIER_COLUMNS: &str =
    "id, url, host, depth, state, priority, next_fetch_at, attempts, discovered_at";

type RawFrontier = (
    i64,
    String,
    String,
    i64,
    String,
    i64,
    Option<String>,
    i64,
    String,
);

fn read_frontier(r: &Row<'_>) -> rusqlite::Result<RawFrontier> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
    ))
}

fn decode_frontier(raw: RawFrontier) -> Result<FrontierUrl, StoreError> {
    let (id, url, host, depth, state, priority, next_fetch_at, attempts, discovered_at) = raw;
    let state = FrontierState::parse(&state).ok_or_else(|| StoreError::Corrupt {
        table: "frontier",
        id,
        column: "state",
        message: format!("{state:?} is not queued, in-flight, done or failed"),
    })?;
    Ok(FrontierUrl {
        url,
        host,
        depth: depth as u32,
        state,
        priority,
        next_fetch_at: time::opt_from_sql(next_fetch_at, "frontier", id, "next_fetch_at")?,
        attempts: attempts as u32,
        discovered_at: time::from_sql(&discovered_at, "frontier", id, "discovered_at")?,
    })
}

impl Transaction<'_> {
    /// Adds the URLs not already in the frontier (in any state) as queued; returns how many
    /// were new.
    pub fn frontier_push(
        &self,
        urls: &[DiscoveredUrl],
        at: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let at = time::to_sql(at);
        let mut stmt = self
            .conn()
            .prepare_cached(
                "INSERT INTO frontier (url, host, depth, priority, discovered_at)
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (url) DO NOTHING",
            )
            .doing(|| "preparing to push frontier URLs".into())?;
        let mut new = 0;
        for u in urls {
            new += stmt
                .execute(params![u.url, u.host, u.depth, u.priority, at])
                .doing(|| format!("pushing {} to the frontier", u.url))?;
        }
        Ok(new)
    }

    /// Takes the next queued URL that is due at `now` — of `host` if given — highest priority
    /// first, then first discovered; marks it in-flight and counts the attempt.
    pub fn frontier_next(
        &self,
        host: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Option<FrontierUrl>, StoreError> {
        let sql = format!(
            "UPDATE frontier SET state = 'in-flight', attempts = attempts + 1
             WHERE id = (SELECT id FROM frontier
                         WHERE state = 'queued' AND (?1 IS NULL OR host = ?1)
                           AND (next_fetch_at IS NULL OR next_fetch_at <= ?2)
                         ORDER BY priority DESC, id LIMIT 1)
             RETURNING {FRONTIER_COLUMNS}"
        );
        self.conn()
            .query_row(&sql, params![host, time::to_sql(now)], read_frontier)
            .optional()
            .doing(|| format!("taking the next frontier URL (host {host:?})"))?
            .map(decode_frontier)
            .transpose()
    }

    /// Sets the state of `url` (normally `Done` or `Failed` after a fetch). Returns `false`
    /// if the URL is not in the frontier.
    pub fn frontier_done(&self, url: &str, state: FrontierState) -> Result<bool, StoreError> {
        let n = self
            .conn()
            .execute(
                "UPDATE frontier SET state = ?2 WHERE url = ?1",
                params![url, state.as_str()],
            )
            .doing(|| format!("marking frontier URL {url} {state}"))?;
        Ok(n > 0)
    }

    /// Puts `url` back in the queue, not to be fetched before `at` (backoff, Retry-After).
    pub fn frontier_retry_at(&self, url: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let n = self
            .conn()
            .execute(
                "UPDATE frontier SET state = 'queued', next_fetch_at = ?2 WHERE url = ?1",
                params![url, time::to_sql(at)],
            )
            .doing(|| format!("re-queueing frontier URL {url}"))?;
        Ok(n > 0)
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

    /// For the next night's recrawl: every done URL is queued again (attempts reset).
    /// Returns how many.
    pub fn frontier_requeue_done(&self) -> Result<usize, StoreError> {
        self.conn()
            .execute(
                "UPDATE frontier SET state = 'queued', attempts = 0, next_fetch_at = NULL
                 WHERE state = 'done'",
                [],
            )
            .doing(|| "re-queueing done frontier URLs".into())
    }
}

impl Store {
    /// See [`Transaction::frontier_push`]; one transaction.
    pub fn frontier_push(
        &mut self,
        urls: &[DiscoveredUrl],
        at: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        self.write(|tx| tx.frontier_push(urls, at))
    }

    /// See [`Transaction::frontier_next`]; one transaction.
    pub fn frontier_next(
        &mut self,
        host: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Option<FrontierUrl>, StoreError> {
        self.write(|tx| tx.frontier_next(host, now))
    }

    /// See [`Transaction::frontier_done`]; one transaction.
    pub fn frontier_done(&mut self, url: &str, state: FrontierState) -> Result<bool, StoreError> {
        self.write(|tx| tx.frontier_done(url, state))
    }

    /// See [`Transaction::frontier_retry_at`]; one transaction.
    pub fn frontier_retry_at(&mut self, url: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        self.write(|tx| tx.frontier_retry_at(url, at))
    }

    /// See [`Transaction::frontier_reset_in_flight`]; one transaction.
    pub fn frontier_reset_in_flight(&mut self) -> Result<usize, StoreError> {
        self.write(|tx| tx.frontier_reset_in_flight())
    }

    /// See [`Transaction::frontier_requeue_done`]; one transaction.
    pub fn frontier_requeue_done(&mut self) -> Result<usize, StoreError> {
        self.write(|tx| tx.frontier_requeue_done())
    }

    /// Hosts with a queued URL due at `now`, for serving hosts round-robin.
    pub fn frontier_ready_hosts(&self, now: DateTime<Utc>) -> Result<Vec<String>, StoreError> {
        let doing = || "listing hosts with queued frontier URLs".to_string();
        let mut stmt = self
            .conn
            .prepare(
                "SELECT DISTINCT host FROM frontier
                 WHERE state = 'queued' AND (next_fetch_at IS NULL OR next_fetch_at <= ?1)
                 ORDER BY host",
            )
            .doing(doing)?;
        let hosts = stmt
            .query_map([time::to_sql(now)], |r| r.get(0))
            .doing(doing)?
            .collect::<Result<Vec<String>, _>>()
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
