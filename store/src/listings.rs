//! Listings: the latest state of every URL, and one version row per meaningful change.

use crate::error::Doing;
use crate::WarcLocation;
use crate::{time, warc_columns, warc_from_columns, ListingId, Store, StoreError, Transaction};
use chrono::{DateTime, Utc};
use qsword_listing::{Currency, Decimal, Listing, Price};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;

/// How and when a listing was captured: what [`Store::upsert_listing`] records besides the
/// listing itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingCapture {
    /// When the page was fetched (not when it was stored).
    pub fetched_at: DateTime<Utc>,
    /// Digest of the fetched payload (e.g. the WARC payload digest `sha1:…`); `None` for
    /// listings that did not come from a fetch (imports).
    pub content_digest: Option<String>,
    /// Where the response is kept as evidence; `None` for imports.
    pub warc: Option<WarcLocation>,
}

impl ListingCapture {
    /// A capture at `fetched_at` with no digest and no WARC record (an import, a test).
    pub fn at(fetched_at: DateTime<Utc>) -> Self {
        ListingCapture {
            fetched_at,
            content_digest: None,
            warc: None,
        }
    }
}

/// What an upsert did to the listing's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    /// First sighting of this URL: a listing row and its first version were written.
    New,
    /// Price, list price, title, availability, seller or marks changed — or a delisted listing
    /// came back: a new version was written. `old_price` is the price before the change.
    Changed { old_price: Option<Price> },
    /// Nothing meaningful changed (only e.g. the fetch time, description or images): the
    /// latest state and `last_seen` were refreshed, no version was written.
    Unchanged,
}

/// The result of [`Store::upsert_listing`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UpsertOutcome {
    pub id: ListingId,
    #[serde(flatten)]
    pub change: Change,
}

/// What [`Store::import_listings`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportCounts {
    pub new: u64,
    pub changed: u64,
    pub unchanged: u64,
}

impl ImportCounts {
    /// How many listings were stored, whatever they did to the history.
    pub fn imported(&self) -> u64 {
        self.new + self.changed + self.unchanged
    }
}

/// A listing as the store knows it: its latest state and its bookkeeping.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredListing {
    pub id: ListingId,
    pub listing: Listing,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    /// Set when the page answered 404/410 (or vanished); cleared if it comes back.
    pub delisted_at: Option<DateTime<Utc>>,
    pub content_digest: Option<String>,
    /// The evidence of the latest capture.
    pub warc: Option<WarcLocation>,
    /// The latest detector score, if the listing was assessed.
    pub risk: Option<f64>,
    /// The store's change sequence when this row last changed in a way the index shows
    /// (see [`Store::for_each_listing_changed_since`]).
    pub change_seq: i64,
}

/// One entry of a listing's history: its state as of one capture.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListingVersion {
    pub id: i64,
    pub listing_id: ListingId,
    pub fetched_at: DateTime<Utc>,
    pub price: Option<Price>,
    pub listing: Listing,
    pub content_digest: Option<String>,
    pub warc: Option<WarcLocation>,
}

/// The parts of a listing whose change is worth a version row. Amounts compare by value
/// (`299.0` = `299.00`); marks compare as a set of (scheme, number), not by where they were read.
#[derive(PartialEq)]
struct Meaning<'a> {
    title: &'a str,
    price: Option<(Decimal, Currency)>,
    list_price: Option<(Decimal, Currency)>,
    availability: Option<&'a str>,
    seller: Option<(&'a str, Option<&'a str>)>,
    marks: Vec<(String, Option<&'a str>)>,
}

impl<'a> Meaning<'a> {
    fn of(l: &'a Listing) -> Self {
        let price = |p: &Option<Price>| p.as_ref().map(|p| (p.amount, p.currency));
        let mut marks: Vec<_> = l
            .marks
            .iter()
            .map(|m| (m.scheme.to_ascii_uppercase(), m.number.as_deref()))
            .collect();
        marks.sort();
        marks.dedup();
        Meaning {
            title: l.title.trim(),
            price: price(&l.price),
            list_price: price(&l.list_price),
            availability: l.availability.as_deref(),
            seller: l.seller.as_ref().map(|s| (s.name.trim(), s.id.as_deref())),
            marks,
        }
    }
}

pub(crate) const LISTING_COLUMNS: &str = "id, listing_json, first_seen, last_seen, delisted_at, \
     content_digest, warc_file, warc_record_id, warc_offset, risk, change_seq";

/// The raw columns of a listings row; decoded outside rusqlite's row closure so that decoding
/// errors can name the row.
pub(crate) struct ListingRow {
    id: i64,
    json: String,
    first_seen: String,
    last_seen: String,
    delisted_at: Option<String>,
    content_digest: Option<String>,
    warc: Option<WarcLocation>,
    risk: Option<f64>,
    change_seq: i64,
}

impl ListingRow {
    pub(crate) fn read(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(ListingRow {
            id: row.get(0)?,
            json: row.get(1)?,
            first_seen: row.get(2)?,
            last_seen: row.get(3)?,
            delisted_at: row.get(4)?,
            content_digest: row.get(5)?,
            warc: warc_from_columns(row.get(6)?, row.get(7)?, row.get(8)?),
            risk: row.get(9)?,
            change_seq: row.get(10)?,
        })
    }

    pub(crate) fn decode(self) -> Result<StoredListing, StoreError> {
        let listing = decode_listing(&self.json, "listings", self.id)?;
        Ok(StoredListing {
            id: ListingId(self.id),
            listing,
            first_seen: time::from_sql(&self.first_seen, "listings", self.id, "first_seen")?,
            last_seen: time::from_sql(&self.last_seen, "listings", self.id, "last_seen")?,
            delisted_at: time::opt_from_sql(self.delisted_at, "listings", self.id, "delisted_at")?,
            content_digest: self.content_digest,
            warc: self.warc,
            risk: self.risk,
            change_seq: self.change_seq,
        })
    }
}

fn decode_listing(json: &str, table: &'static str, id: i64) -> Result<Listing, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt {
        table,
        id,
        column: "listing_json",
        message: e.to_string(),
    })
}

fn encode_listing(l: &Listing) -> Result<String, StoreError> {
    // A Listing always serialises (string keys, no floats in money); keep the error anyway.
    serde_json::to_string(l).map_err(|e| StoreError::InvalidListing {
        url: l.url.clone(),
        field: ".",
        message: format!("cannot be written as JSON: {e}"),
    })
}

fn price_columns(p: Option<&Price>) -> (Option<String>, Option<String>) {
    match p {
        // Decimal's Display keeps the scale: "0.10" stays "0.10".
        Some(p) => (Some(p.amount.to_string()), Some(p.currency.to_string())),
        None => (None, None),
    }
}

impl Transaction<'_> {
    /// Stores the latest state of `listing` (keyed by its URL) and, when it is new or changed
    /// meaningfully (see [`Change`]), a version row pointing to the capture's WARC record.
    /// Captures of one URL are expected in time order: the latest upsert is the latest state.
    pub fn upsert_listing(
        &self,
        listing: &Listing,
        capture: &ListingCapture,
    ) -> Result<UpsertOutcome, StoreError> {
        listing
            .validate()
            .map_err(|(field, message)| StoreError::InvalidListing {
                url: listing.url.clone(),
                field,
                message,
            })?;
        let conn = self.conn();
        let url = &listing.url;
        let json = encode_listing(listing)?;
        let at = time::to_sql(capture.fetched_at);
        let (amount, currency) = price_columns(listing.price.as_ref());
        let (warc_file, warc_record, warc_offset) = warc_columns(capture.warc.as_ref());

        let existing: Option<(i64, String, Option<String>)> = conn
            .prepare_cached("SELECT id, listing_json, delisted_at FROM listings WHERE url = ?1")
            .and_then(|mut stmt| {
                stmt.query_row([url], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .optional()
            })
            .doing(|| format!("looking up listing {url}"))?;

        let change = match existing {
            None => Change::New,
            Some((id, old_json, delisted_at)) => {
                let old = decode_listing(&old_json, "listings", id)?;
                if Meaning::of(&old) != Meaning::of(listing) || delisted_at.is_some() {
                    Change::Changed {
                        old_price: old.price,
                    }
                } else {
                    Change::Unchanged
                }
            }
        };
        // One statement for new and known URLs: first_seen is written only on insert, and a
        // listing seen again is live again.
        let id: i64 = conn
            .prepare_cached(
                "INSERT INTO listings (url, platform, title, brand, price_amount, currency,
                     seller_name, category, listing_json, content_digest, warc_file,
                     warc_record_id, warc_offset, first_seen, last_seen)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14)
                 ON CONFLICT(url) DO UPDATE SET platform = excluded.platform,
                     title = excluded.title, brand = excluded.brand,
                     price_amount = excluded.price_amount, currency = excluded.currency,
                     seller_name = excluded.seller_name, category = excluded.category,
                     listing_json = excluded.listing_json,
                     content_digest = excluded.content_digest, warc_file = excluded.warc_file,
                     warc_record_id = excluded.warc_record_id,
                     warc_offset = excluded.warc_offset, last_seen = excluded.last_seen,
                     delisted_at = NULL
                 RETURNING id",
            )
            .and_then(|mut stmt| {
                stmt.query_row(
                    params![
                        url,
                        listing.platform,
                        listing.title,
                        listing.brand,
                        amount,
                        currency,
                        listing.seller.as_ref().map(|s| &s.name),
                        listing.category,
                        json,
                        capture.content_digest,
                        warc_file,
                        warc_record,
                        warc_offset,
                        at,
                    ],
                    |r| r.get(0),
                )
            })
            .doing(|| format!("storing listing {url}"))?;

        if change != Change::Unchanged {
            conn.prepare_cached(
                "INSERT INTO listing_versions (listing_id, fetched_at, price_amount, currency,
                     listing_json, content_digest, warc_file, warc_record_id, warc_offset)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    id,
                    at,
                    amount,
                    currency,
                    json,
                    capture.content_digest,
                    warc_file,
                    warc_record,
                    warc_offset
                ])
            })
            .doing(|| format!("recording a version of listing {url}"))?;
        }
        Ok(UpsertOutcome {
            id: ListingId(id),
            change,
        })
    }

    /// Marks the listing at `url` delisted at `at` (its page answered 404/410). Its row and
    /// history are kept. Returns `false` if no live listing has that URL.
    pub fn mark_delisted(&self, url: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let n = self
            .conn()
            .execute(
                "UPDATE listings SET delisted_at = ?2 WHERE url = ?1 AND delisted_at IS NULL",
                params![url, time::to_sql(at)],
            )
            .doing(|| format!("marking listing {url} delisted"))?;
        Ok(n > 0)
    }

    /// Records that the listing at `url` was seen live at `at` without being read again (its
    /// page answered 304 Not Modified). Returns `false` if no listing has that URL.
    pub fn touch_listing(&self, url: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let n = self
            .conn()
            .prepare_cached(
                "UPDATE listings SET last_seen = max(last_seen, ?2), delisted_at = NULL
                 WHERE url = ?1",
            )
            .and_then(|mut s| s.execute(params![url, time::to_sql(at)]))
            .doing(|| format!("marking listing {url} seen"))?;
        Ok(n > 0)
    }

    /// Upserts many listings; see [`Store::import_listings`].
    pub fn import_listings(
        &self,
        listings: &[Listing],
        at: DateTime<Utc>,
    ) -> Result<ImportCounts, StoreError> {
        let mut counts = ImportCounts::default();
        for listing in listings {
            let capture = ListingCapture::at(listing.fetched_at.unwrap_or(at));
            match self.upsert_listing(listing, &capture)?.change {
                Change::New => counts.new += 1,
                Change::Changed { .. } => counts.changed += 1,
                Change::Unchanged => counts.unchanged += 1,
            }
        }
        Ok(counts)
    }
}

fn listing_where(
    conn: &Connection,
    condition: &str,
    param: &dyn rusqlite::ToSql,
    what: impl FnOnce() -> String,
) -> Result<Option<StoredListing>, StoreError> {
    let sql = format!("SELECT {LISTING_COLUMNS} FROM listings WHERE {condition}");
    conn.query_row(&sql, [param], ListingRow::read)
        .optional()
        .doing(what)?
        .map(ListingRow::decode)
        .transpose()
}

impl Store {
    /// See [`Transaction::upsert_listing`]; one transaction.
    pub fn upsert_listing(
        &mut self,
        listing: &Listing,
        capture: &ListingCapture,
    ) -> Result<UpsertOutcome, StoreError> {
        self.write(|tx| tx.upsert_listing(listing, capture))
    }

    /// See [`Transaction::mark_delisted`]; one transaction.
    pub fn mark_delisted(&mut self, url: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        self.write(|tx| tx.mark_delisted(url, at))
    }

    /// [`Store::import_listings_at`] now.
    pub fn import_listings(&mut self, listings: &[Listing]) -> Result<ImportCounts, StoreError> {
        self.import_listings_at(listings, Utc::now())
    }

    /// Upserts `listings` (e.g. from `qsword import`) in ONE transaction: all are stored or,
    /// on any error, none. Each is captured at its own `fetched_at`, else at `at`.
    pub fn import_listings_at(
        &mut self,
        listings: &[Listing],
        at: DateTime<Utc>,
    ) -> Result<ImportCounts, StoreError> {
        self.write(|tx| tx.import_listings(listings, at))
    }

    /// The listing with store id `id`.
    pub fn listing(&self, id: ListingId) -> Result<Option<StoredListing>, StoreError> {
        listing_where(&self.conn, "id = ?1", &id.0, || {
            format!("reading listing {id}")
        })
    }

    /// The listing whose page is `url`.
    pub fn listing_by_url(&self, url: &str) -> Result<Option<StoredListing>, StoreError> {
        listing_where(&self.conn, "url = ?1", &url, || {
            format!("reading listing {url}")
        })
    }

    /// Every listing (delisted ones included), in id order. For large stores prefer
    /// [`Store::for_each_listing`], which does not hold them all in memory.
    pub fn listings(&self) -> Result<Vec<StoredListing>, StoreError> {
        let mut all = Vec::new();
        self.for_each_listing(|l| {
            all.push(l);
            Ok(())
        })?;
        Ok(all)
    }

    /// Calls `f` with every listing in id order, streaming (e.g. to rebuild the index);
    /// stops at the first error. Returns how many listings were visited.
    pub fn for_each_listing(
        &self,
        mut f: impl FnMut(StoredListing) -> Result<(), StoreError>,
    ) -> Result<u64, StoreError> {
        let sql = format!("SELECT {LISTING_COLUMNS} FROM listings ORDER BY id");
        let mut stmt = self
            .conn
            .prepare(&sql)
            .doing(|| "reading listings".into())?;
        let rows = stmt
            .query_map([], ListingRow::read)
            .doing(|| "reading listings".into())?;
        let mut n = 0;
        for row in rows {
            f(row.doing(|| "reading listings".into())?.decode()?)?;
            n += 1;
        }
        Ok(n)
    }

    /// The store's listing change sequence now: every insert, and every update that changes a
    /// listing's JSON, dates, delisting or risk, gives the row the next number.
    pub fn listing_change_seq(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("SELECT seq FROM listing_changes WHERE id = 1", [], |r| {
                r.get(0)
            })
            .doing(|| "reading the listing change sequence".into())
    }

    /// Calls `f` with every listing changed after sequence number `after` (0: all of them),
    /// oldest change first, streaming; for an index catching up with the store. Returns how
    /// many listings were visited.
    pub fn for_each_listing_changed_since(
        &self,
        after: i64,
        mut f: impl FnMut(StoredListing) -> Result<(), StoreError>,
    ) -> Result<u64, StoreError> {
        let sql = format!(
            "SELECT {LISTING_COLUMNS} FROM listings WHERE change_seq > ?1 ORDER BY change_seq"
        );
        let doing = || format!("reading listings changed since {after}");
        let mut stmt = self.conn.prepare(&sql).doing(doing)?;
        let rows = stmt.query_map([after], ListingRow::read).doing(doing)?;
        let mut n = 0;
        for row in rows {
            f(row.doing(doing)?.decode()?)?;
            n += 1;
        }
        Ok(n)
    }

    /// The history of a listing, oldest first: one entry per meaningful change.
    pub fn versions(&self, listing_id: ListingId) -> Result<Vec<ListingVersion>, StoreError> {
        let doing = || format!("reading the versions of listing {listing_id}");
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, fetched_at, price_amount, currency, listing_json, content_digest,
                        warc_file, warc_record_id, warc_offset
                 FROM listing_versions WHERE listing_id = ?1 ORDER BY fetched_at, id",
            )
            .doing(doing)?;
        type Raw = (
            i64,
            String,
            Option<String>,
            Option<String>,
            String,
            Option<String>,
        );
        let rows = stmt
            .query_map([listing_id.0], |r| {
                let raw: Raw = (
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                );
                Ok((raw, warc_from_columns(r.get(6)?, r.get(7)?, r.get(8)?)))
            })
            .doing(doing)?;
        let mut versions = Vec::new();
        for row in rows {
            let ((id, fetched_at, amount, currency, json, content_digest), warc) =
                row.doing(doing)?;
            let price = match (amount, currency) {
                (Some(a), Some(c)) => {
                    Some(Price::new(&a, &c).map_err(|e| StoreError::Corrupt {
                        table: "listing_versions",
                        id,
                        column: "price_amount",
                        message: e.to_string(),
                    })?)
                }
                _ => None,
            };
            versions.push(ListingVersion {
                id,
                listing_id,
                fetched_at: time::from_sql(&fetched_at, "listing_versions", id, "fetched_at")?,
                price,
                listing: decode_listing(&json, "listing_versions", id)?,
                content_digest,
                warc,
            });
        }
        Ok(versions)
    }
}
