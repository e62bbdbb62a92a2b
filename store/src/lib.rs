//! qsword's store: the source of truth for everything qsword knows — listings and their
//! price history, fetch history, the crawl frontier, detector assessments, alerts and their
//! outbox, staff labels and run records — in one SQLite file (WAL, versioned migrations).
//!
//! The tantivy index is a *view* rebuilt from this store, and WARC files are the evidence the
//! store points to ([`WarcLocation`]); neither is written here. This crate is not for HTTP,
//! extraction, indexing, detection or sending mail: it keeps what those produce, each write
//! in one transaction. Several writes can be committed together with [`Store::write`] (e.g. a
//! crawled listing, its fetch row, its links and its frontier state, so a crash loses none of
//! them and stores none twice).
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use qsword_listing::{Listing, Price};
//! use qsword_store::{Change, ListingCapture, Store};
//!
//! let mut store = Store::open_in_memory()?;
//! let mut listing = Listing::new("https://shop.example/item/42", "飞利浦 空气炸锅 HD9252");
//! listing.price = Some(Price::new("299.00", "CNY").unwrap());
//! let night1 = ListingCapture::at(Utc.with_ymd_and_hms(2026, 11, 23, 2, 0, 0).unwrap());
//! let first = store.upsert_listing(&listing, &night1)?;
//! assert_eq!(first.change, Change::New);
//!
//! // The next night the price dropped: a new version, the old price kept.
//! listing.price = Some(Price::new("89.00", "CNY").unwrap());
//! let night2 = ListingCapture::at(Utc.with_ymd_and_hms(2026, 11, 24, 2, 0, 0).unwrap());
//! let second = store.upsert_listing(&listing, &night2)?;
//! assert_eq!(second.change, Change::Changed { old_price: Some(Price::new("299.00", "CNY").unwrap()) });
//! assert_eq!(store.versions(first.id)?.len(), 2);
//! # Ok::<(), qsword_store::StoreError>(())
//! ```

mod access;
mod alerts;
mod backup;
mod cookies;
mod error;
mod fetches;
mod frontier;
mod labels;
mod lexicon;
mod listings;
mod outbox;
mod review;
mod runs;
mod schema;
mod staff;
mod stats;
mod time;

pub use access::Access;
pub use alerts::{
    Assessment, NewAlert, NewOutboxMessage, OutboxMessage, QueuedDigest, StoredAlert,
    StoredAssessment,
};
pub use error::StoreError;
pub use fetches::{FetchRow, Validators};
pub use frontier::{DiscoveredUrl, FrontierState, FrontierUrl, UrlKind, Visit};
pub use labels::{Decision, Label};
pub use lexicon::{StoredLexicon, KEPT_LEXICONS};
pub use listings::{
    Change, ImportCounts, ListingCapture, ListingVersion, StoredListing, UpsertOutcome,
};
pub use outbox::DigestToQueue;
pub use review::{AuditAction, AuditEntry, Note, QueueFilter, Unreviewed};
pub use runs::Run;
pub use schema::{current_version as schema_version, MIGRATIONS};
pub use staff::{Role, Session, Staff};
pub use stats::{DayCount, GroupCount, Period, SellerCount, SignalCount, Statistics};

use error::Doing;
use rusqlite::{Connection, TransactionBehavior};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a writer waits for another process's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Where a captured response lies in the WARC evidence files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarcLocation {
    /// WARC file name, relative to the data directory's `warc/`.
    pub file: String,
    /// The record's `WARC-Record-ID`, e.g. `<urn:uuid:…>`.
    pub record_id: String,
    /// Byte offset of the record in the file.
    pub offset: u64,
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl From<i64> for $name {
            fn from(id: i64) -> Self {
                $name(id)
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}
id_type!(
    /// The store's id of a listing (stable across recrawls of its URL).
    ListingId
);
id_type!(
    /// The id of an alert.
    AlertId
);
id_type!(
    /// The id of an outbox message (a digest mail).
    OutboxId
);
id_type!(
    /// The id of a staff label.
    LabelId
);
id_type!(
    /// The id of a run record.
    RunId
);

/// How many of each thing the store holds, for run summaries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub listings: u64,
    pub delisted: u64,
    pub versions: u64,
    pub fetches: u64,
    pub assessments: u64,
    pub alerts: u64,
    pub pending_outbox: u64,
    pub labels: u64,
    pub frontier_queued: u64,
    pub frontier_in_flight: u64,
    pub frontier_done: u64,
    pub frontier_failed: u64,
}

/// An open store. Reads take `&self`; writes take `&mut self` and are each one transaction.
///
/// A `Store` is one SQLite connection: share it between tasks behind a mutex, or open one
/// per thread (WAL lets readers and one writer work at once; writers wait up to 10 s).
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// A write transaction, handed out by [`Store::write`]; dropped without commit, it rolls back.
pub struct Transaction<'s> {
    tx: rusqlite::Transaction<'s>,
}

impl Store {
    /// Opens (creating if needed) the store at `path` and migrates it to the current schema.
    /// A store written by a newer qsword is refused with [`StoreError::TooNew`].
    pub fn open(path: impl AsRef<Path>) -> Result<Store, StoreError> {
        let path = path.as_ref().to_owned();
        let conn = Connection::open(&path).map_err(|source| StoreError::Open {
            path: path.clone(),
            source,
        })?;
        Store::setup(conn, path)
    }

    /// A private, empty store in memory, for tests and one-shot tools.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(|source| StoreError::Open {
            path: path.clone(),
            source,
        })?;
        Store::setup(conn, path)
    }

    fn setup(mut conn: Connection, path: PathBuf) -> Result<Store, StoreError> {
        let open_err = |source| StoreError::Open {
            path: path.clone(),
            source,
        };
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
        // journal_mode answers with the mode it set ("memory" for in-memory databases).
        let _mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(open_err)?;
        // NORMAL is durable across application crashes in WAL mode; only an OS crash or power
        // loss may lose the last transactions, never corrupt the file.
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(open_err)?;
        schema::migrate(&mut conn, &path)?;
        Ok(Store { conn, path })
    }

    /// The file this store lives in (`:memory:` for an in-memory store).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the open store (`PRAGMA user_version`).
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .doing(|| "reading the schema version".into())
    }

    /// Runs `f` in one write transaction: everything it wrote is committed together when it
    /// returns `Ok`, and nothing is when it returns `Err` (or panics).
    ///
    /// ```
    /// # use qsword_store::*; use qsword_listing::Listing; use chrono::Utc;
    /// let mut store = Store::open_in_memory()?;
    /// let now = Utc::now();
    /// store.write(|tx| {
    ///     tx.upsert_listing(&Listing::new("https://a.example/1", "LEGO 42115"), &ListingCapture::at(now))?;
    ///     tx.frontier_finish("https://a.example/1", &Visit::default())?;
    ///     Ok(())
    /// })?;
    /// # Ok::<(), StoreError>(())
    /// ```
    pub fn write<T>(
        &mut self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        // IMMEDIATE takes the write lock up front, so two writers queue on the busy timeout
        // instead of one failing when it upgrades a read lock.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .doing(|| "starting a write transaction".into())?;
        let tx = Transaction { tx };
        let out = f(&tx)?;
        tx.tx
            .commit()
            .doing(|| "committing a write transaction".into())?;
        Ok(out)
    }

    /// How many listings, versions, fetches, alerts, … the store holds.
    pub fn counts(&self) -> Result<Counts, StoreError> {
        let count = |sql: &str| -> Result<u64, StoreError> {
            self.conn
                .query_row(sql, [], |row| row.get::<_, i64>(0))
                .map(|n| n as u64)
                .doing(|| format!("counting ({sql})"))
        };
        let frontier = |state: FrontierState| -> Result<u64, StoreError> {
            self.conn
                .query_row(
                    "SELECT count(*) FROM frontier WHERE state = ?1",
                    [state.as_str()],
                    |row| row.get::<_, i64>(0),
                )
                .map(|n| n as u64)
                .doing(|| format!("counting {state} frontier URLs"))
        };
        Ok(Counts {
            listings: count("SELECT count(*) FROM listings")?,
            delisted: count("SELECT count(*) FROM listings WHERE delisted_at IS NOT NULL")?,
            versions: count("SELECT count(*) FROM listing_versions")?,
            fetches: count("SELECT count(*) FROM fetches")?,
            assessments: count("SELECT count(*) FROM assessments")?,
            alerts: count("SELECT count(*) FROM alerts")?,
            pending_outbox: count("SELECT count(*) FROM outbox WHERE sent_at IS NULL")?,
            labels: count("SELECT count(*) FROM labels")?,
            frontier_queued: frontier(FrontierState::Queued)?,
            frontier_in_flight: frontier(FrontierState::InFlight)?,
            frontier_done: frontier(FrontierState::Done)?,
            frontier_failed: frontier(FrontierState::Failed)?,
        })
    }
}

impl Transaction<'_> {
    fn conn(&self) -> &Connection {
        &self.tx
    }
}

/// Reads an optional WARC location from three nullable columns.
pub(crate) fn warc_from_columns(
    file: Option<String>,
    record_id: Option<String>,
    offset: Option<i64>,
) -> Option<WarcLocation> {
    match (file, record_id) {
        (Some(file), Some(record_id)) => Some(WarcLocation {
            file,
            record_id,
            offset: offset.unwrap_or(0) as u64,
        }),
        _ => None,
    }
}

/// The three WARC columns' values for an optional location.
pub(crate) fn warc_columns(w: Option<&WarcLocation>) -> (Option<&str>, Option<&str>, Option<i64>) {
    match w {
        Some(w) => (Some(&w.file), Some(&w.record_id), Some(w.offset as i64)),
        None => (None, None, None),
    }
}

#[cfg(test)]
mod tests;
