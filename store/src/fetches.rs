//! Fetch history: every request's outcome, and the validators for conditional GET.

use crate::error::Doing;
use crate::{time, warc_columns, warc_from_columns, Store, StoreError, Transaction, WarcLocation};
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row};
use serde::Serialize;

/// One fetch of one URL: its HTTP outcome, validators, digest and evidence, or its error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FetchRow {
    pub url: String,
    pub fetched_at: DateTime<Utc>,
    /// HTTP status; `None` when no response arrived (DNS, connect, timeout…).
    pub status: Option<u16>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub content_digest: Option<String>,
    pub warc: Option<WarcLocation>,
    /// Why the fetch failed, if it did.
    pub error: Option<String>,
}

impl FetchRow {
    /// A fetch of `url` at `fetched_at` with every other field empty.
    pub fn new(url: impl Into<String>, fetched_at: DateTime<Utc>) -> Self {
        FetchRow {
            url: url.into(),
            fetched_at,
            status: None,
            etag: None,
            last_modified: None,
            content_digest: None,
            warc: None,
            error: None,
        }
    }
}

/// What to send in `If-None-Match` / `If-Modified-Since` on the next fetch of a URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

const FETCH_COLUMNS: &str = "id, url, fetched_at, status, etag, last_modified, content_digest, \
     warc_file, warc_record_id, warc_offset, error";

fn read_fetch(r: &Row<'_>) -> rusqlite::Result<(i64, String, FetchRow)> {
    let status: Option<i64> = r.get(3)?;
    Ok((
        r.get(0)?,
        r.get(2)?,
        FetchRow {
            url: r.get(1)?,
            fetched_at: DateTime::<Utc>::MIN_UTC, // decoded by the caller, who can name the row
            status: status.map(|s| s as u16),
            etag: r.get(4)?,
            last_modified: r.get(5)?,
            content_digest: r.get(6)?,
            warc: warc_from_columns(r.get(7)?, r.get(8)?, r.get(9)?),
            error: r.get(10)?,
        },
    ))
}

impl Transaction<'_> {
    /// Appends one fetch to the history; returns its row id.
    pub fn record_fetch(&self, fetch: &FetchRow) -> Result<i64, StoreError> {
        let (file, record, offset) = warc_columns(fetch.warc.as_ref());
        self.conn()
            .prepare_cached(
                "INSERT INTO fetches (url, fetched_at, status, etag, last_modified,
                     content_digest, warc_file, warc_record_id, warc_offset, error)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    fetch.url,
                    time::to_sql(fetch.fetched_at),
                    fetch.status,
                    fetch.etag,
                    fetch.last_modified,
                    fetch.content_digest,
                    file,
                    record,
                    offset,
                    fetch.error,
                ])
            })
            .doing(|| format!("recording the fetch of {}", fetch.url))?;
        Ok(self.conn().last_insert_rowid())
    }

    /// [`Transaction::record_fetch`] unless the same fetch (URL, time and WARC record) is
    /// already recorded; `true` when it was added. For a writer that may be handed one
    /// capture twice: the cluster's coordinator after a crash between its commit and the
    /// stream's acknowledgement.
    pub fn record_fetch_once(&self, fetch: &FetchRow) -> Result<bool, StoreError> {
        let (_, record, _) = warc_columns(fetch.warc.as_ref());
        let known = self
            .conn()
            .prepare_cached(
                "SELECT 1 FROM fetches WHERE url = ?1 AND fetched_at = ?2 AND warc_record_id IS ?3",
            )
            .and_then(|mut stmt| {
                stmt.query_row(
                    params![fetch.url, time::to_sql(fetch.fetched_at), record],
                    |_| Ok(()),
                )
                .optional()
            })
            .doing(|| format!("looking up the fetch of {}", fetch.url))?;
        if known.is_some() {
            return Ok(false);
        }
        self.record_fetch(fetch)?;
        Ok(true)
    }
}

impl Store {
    /// See [`Transaction::record_fetch`]; one transaction.
    pub fn record_fetch(&mut self, fetch: &FetchRow) -> Result<i64, StoreError> {
        self.write(|tx| tx.record_fetch(fetch))
    }

    /// The most recent fetch of `url`, whatever its outcome.
    pub fn last_fetch(&self, url: &str) -> Result<Option<FetchRow>, StoreError> {
        let sql = format!(
            "SELECT {FETCH_COLUMNS} FROM fetches WHERE url = ?1 ORDER BY fetched_at DESC, id DESC"
        );
        let found = self
            .conn
            .query_row(&sql, [url], read_fetch)
            .optional()
            .doing(|| format!("reading the last fetch of {url}"))?;
        found
            .map(|(id, at, mut row)| {
                row.fetched_at = time::from_sql(&at, "fetches", id, "fetched_at")?;
                Ok(row)
            })
            .transpose()
    }

    /// The validators of the most recent fetch of `url` that carried any (a failed fetch in
    /// between does not make the next request unconditional).
    pub fn validators(&self, url: &str) -> Result<Validators, StoreError> {
        self.conn
            .query_row(
                "SELECT etag, last_modified FROM fetches
                 WHERE url = ?1 AND (etag IS NOT NULL OR last_modified IS NOT NULL)
                 ORDER BY fetched_at DESC, id DESC",
                [url],
                |r| {
                    Ok(Validators {
                        etag: r.get(0)?,
                        last_modified: r.get(1)?,
                    })
                },
            )
            .optional()
            .doing(|| format!("reading the validators of {url}"))
            .map(Option::unwrap_or_default)
    }
}
