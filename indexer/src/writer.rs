//! Adding and replacing listings in the index.
//!
//! A listing is identified by the store's listing id: [`ListingWriter::upsert`] deletes any
//! document with that id and adds the new one in a single tantivy operation, so re-indexing
//! the same listing night after night never leaves duplicates. Nothing is visible to searches
//! until [`ListingWriter::commit`].

use crate::error::IndexError;
use crate::schema::{ListingFields, NO_MARKS};
use chrono::{DateTime, Utc};
use qsword_listing::CurrencyRates;
use qsword_listing::Listing;
use std::path::PathBuf;
use tantivy::indexer::UserOperation;
use tantivy::schema::Facet;
use tantivy::{IndexReader, IndexWriter, TantivyDocument, Term};

/// What the index needs to know about one listing: the listing itself plus what the store
/// and the detector add to it.
#[derive(Debug, Clone, Copy)]
pub struct IndexDoc<'a> {
    /// The store's id for this listing (stable across nights).
    pub id: u64,
    pub listing: &'a Listing,
    /// The detector's risk in 0..=1, if it has scored this listing.
    pub risk: Option<f64>,
    /// The page is gone (404/410) or the product is withdrawn.
    pub delisted: bool,
    /// When the store first saw the listing; `last_seen` when `None`.
    pub first_seen: Option<DateTime<Utc>>,
    /// When the crawler last saw the page; `listing.fetched_at` when `None`.
    pub last_seen: Option<DateTime<Utc>>,
}

impl<'a> IndexDoc<'a> {
    /// A document for `listing` with store id `id` and nothing else known (not scored, live,
    /// dates from the listing's `fetched_at`).
    pub fn new(id: u64, listing: &'a Listing) -> Self {
        IndexDoc {
            id,
            listing,
            risk: None,
            delisted: false,
            first_seen: None,
            last_seen: None,
        }
    }
}

/// The single writer of a [`crate::ListingIndex`]. tantivy allows one per index directory
/// (across processes too): keep it for the whole indexing run.
pub struct ListingWriter {
    pub(crate) writer: IndexWriter<TantivyDocument>,
    pub(crate) fields: ListingFields,
    pub(crate) rates: CurrencyRates,
    pub(crate) reader: IndexReader,
    pub(crate) dir: PathBuf,
}

/// The error of adding `doc`, naming the listing.
fn upsert_error(doc: &IndexDoc<'_>, source: tantivy::TantivyError) -> IndexError {
    IndexError::Upsert {
        id: doc.id,
        url: doc.listing.url.clone(),
        source,
    }
}

impl ListingWriter {
    /// Adds a listing known not to be in the index — into a new index, or after
    /// [`delete_all`](Self::delete_all) in the same run. Cheaper than [`upsert`](Self::upsert):
    /// no delete to record and apply to every segment at commit. A listing added twice is
    /// found twice, so anything else upserts.
    pub fn add(&mut self, doc: &IndexDoc<'_>) -> Result<(), IndexError> {
        let document = to_document(&self.fields, &self.rates, doc);
        self.writer
            .add_document(document)
            .map_err(|source| upsert_error(doc, source))?;
        Ok(())
    }

    /// Adds the listing, replacing any earlier document with the same id.
    pub fn upsert(&mut self, doc: &IndexDoc<'_>) -> Result<(), IndexError> {
        let document = to_document(&self.fields, &self.rates, doc);
        self.writer
            .run([
                UserOperation::Delete(Term::from_field_u64(self.fields.id, doc.id)),
                UserOperation::Add(document),
            ])
            .map_err(|source| upsert_error(doc, source))?;
        Ok(())
    }

    /// Removes the listing with this id, if indexed (e.g. purged from the store).
    pub fn delete(&mut self, id: u64) {
        self.writer
            .delete_term(Term::from_field_u64(self.fields.id, id));
    }

    /// Removes every document (a rebuild from the store starts here); takes effect at the
    /// next commit, so a failed rebuild leaves the old index in place.
    pub fn delete_all(&mut self) -> Result<(), IndexError> {
        self.writer
            .delete_all_documents()
            .map_err(|source| IndexError::Commit {
                dir: self.dir.clone(),
                source,
            })?;
        Ok(())
    }

    /// Makes every upsert and delete so far durable and visible to searches of this index.
    /// Returns tantivy's opstamp of the commit.
    pub fn commit(&mut self) -> Result<u64, IndexError> {
        self.commit_inner(None)
    }

    /// Like [`commit`](Self::commit), recording `checkpoint` (e.g. the store's last indexed
    /// version) in the commit, readable with [`crate::ListingIndex::checkpoint`]: after a
    /// crash the store and the index can be reconciled from it.
    pub fn commit_with_checkpoint(&mut self, checkpoint: &str) -> Result<u64, IndexError> {
        self.commit_inner(Some(checkpoint))
    }

    /// Ends an indexing run: waits for background segment merges to finish (so segments do
    /// not pile up over nightly runs) and makes the merged index visible. Uncommitted
    /// changes are discarded; commit first.
    pub fn finish(self) -> Result<(), IndexError> {
        let dir = self.dir.clone();
        self.writer
            .wait_merging_threads()
            .map_err(|source| IndexError::Commit {
                dir: dir.clone(),
                source,
            })?;
        self.reader
            .reload()
            .map_err(|source| IndexError::Reload { dir, source })
    }

    fn commit_inner(&mut self, checkpoint: Option<&str>) -> Result<u64, IndexError> {
        let commit_err = |source| IndexError::Commit {
            dir: self.dir.clone(),
            source,
        };
        let mut prepared = self.writer.prepare_commit().map_err(commit_err)?;
        if let Some(checkpoint) = checkpoint {
            prepared.set_payload(checkpoint);
        }
        let opstamp = prepared.commit().map_err(commit_err)?;
        self.reader.reload().map_err(|source| IndexError::Reload {
            dir: self.dir.clone(),
            source,
        })?;
        Ok(opstamp)
    }
}

fn to_document(f: &ListingFields, rates: &CurrencyRates, doc: &IndexDoc<'_>) -> TantivyDocument {
    let l = doc.listing;
    let mut d = TantivyDocument::default();
    d.add_u64(f.id, doc.id);
    d.add_text(f.url, &l.url);
    d.add_text(f.title, &l.title);
    d.add_text(f.title_ngram, &l.title);
    if let Some(description) = &l.description {
        d.add_text(f.description, description);
    }
    if let Some(brand) = &l.brand {
        d.add_text(f.brand, brand);
        d.add_text(f.brand_text, brand);
    }
    if let Some(model) = &l.model {
        d.add_text(f.model, model);
    }
    if let Some(seller) = &l.seller {
        d.add_text(f.seller, &seller.name);
    }
    if let Some(platform) = &l.platform {
        d.add_text(f.platform, platform);
    }
    let path: Vec<&str> = l
        .category_path
        .iter()
        .map(|step| step.trim())
        .filter(|step| !step.is_empty())
        .collect();
    if !path.is_empty() {
        d.add_facet(f.category, Facet::from_path(path));
    }
    if let Some(slug) = &l.category {
        d.add_text(f.category_slug, slug);
    }
    let mut schemes: Vec<String> = l.marks.iter().map(|m| m.scheme.to_uppercase()).collect();
    schemes.sort();
    schemes.dedup();
    if schemes.is_empty() {
        d.add_text(f.marks, NO_MARKS);
    }
    for scheme in schemes {
        d.add_text(f.marks, scheme);
    }
    if let Some(price) = &l.price {
        d.add_text(f.price, price.amount.to_string());
        d.add_text(f.currency, price.currency.as_str());
        if let Some(amount) = rates.to_base(price) {
            d.add_f64(f.price_base, amount);
        }
    }
    if let Some(risk) = doc.risk.filter(|r| r.is_finite()) {
        d.add_f64(f.risk, risk);
    }
    d.add_bool(f.delisted, doc.delisted);
    let last_seen = doc.last_seen.or(l.fetched_at);
    let date = |t: DateTime<Utc>| tantivy::DateTime::from_timestamp_secs(t.timestamp());
    if let Some(seen) = doc.first_seen.or(last_seen) {
        d.add_date(f.first_seen, date(seen));
    }
    if let Some(seen) = last_seen {
        d.add_date(f.last_seen, date(seen));
    }
    d
}
