//! The crawler's [`Frontier`] over the SQLite store: a batch of finished visits — fetch rows,
//! listings (categorised here), delistings, 304 confirmations, discovered links and the URLs'
//! own state — is one transaction, so a crash at any moment loses or duplicates nothing.
//! [`record_capture`] is the part that stores what a visit captured; the cluster's coordinator
//! (`qsword ingest`) stores the workers' captures with it too.

use chrono::Utc;
use qsword_crawler::{
    Capture, Frontier, FrontierError, Lease, NewUrl, PageOutcome, UrlKind, VisitState,
};
use qsword_listing::catalogue::Catalogue;
use qsword_store::{
    Change, DiscoveredUrl, FrontierState, FrontierUrl, ListingCapture, Store, StoreError, Visit,
    WarcLocation,
};
use std::path::{Path, PathBuf};
use url::Url;

use crate::pipeline::{CrawlSummary, Progress};

pub struct StoreFrontier {
    pub store: Store,
    catalogue: Catalogue,
    pub summary: CrawlSummary,
    progress: Progress,
    /// Queued URLs as far as this run knows (for the progress line).
    queued: u64,
    started: std::time::Instant,
    warc_dir: PathBuf,
}

impl StoreFrontier {
    /// `warc_dir`: where the crawl writes its WARC files (locations are stored relative to it).
    pub fn new(store: Store, warc_dir: &Path, catalogue: Catalogue) -> Result<Self, StoreError> {
        let queued = store
            .frontier_queued_by_host()?
            .iter()
            .map(|(_, n)| n)
            .sum();
        Ok(StoreFrontier {
            store,
            catalogue,
            summary: CrawlSummary::default(),
            progress: Progress::new("crawl"),
            queued,
            started: std::time::Instant::now(),
            warc_dir: warc_dir.to_owned(),
        })
    }

    pub fn finish_progress(&self) {
        self.progress.finish();
    }
}

pub fn store_kind(k: UrlKind) -> qsword_store::UrlKind {
    match k {
        UrlKind::Page => qsword_store::UrlKind::Page,
        UrlKind::Product => qsword_store::UrlKind::Product,
        UrlKind::Sitemap => qsword_store::UrlKind::Sitemap,
    }
}

fn crawler_kind(k: qsword_store::UrlKind) -> UrlKind {
    match k {
        qsword_store::UrlKind::Page => UrlKind::Page,
        qsword_store::UrlKind::Product => UrlKind::Product,
        qsword_store::UrlKind::Sitemap => UrlKind::Sitemap,
    }
}

fn discovered(u: &NewUrl) -> DiscoveredUrl {
    DiscoveredUrl {
        url: u.url.to_string(),
        host: u.host.clone(),
        site: u.site.clone(),
        kind: store_kind(u.kind),
        depth: u.depth,
        priority: u.kind.priority(),
        lastmod: u.lastmod,
    }
}

fn lease(f: FrontierUrl) -> Result<Lease, FrontierError> {
    let url = Url::parse(&f.url).map_err(|e| format!("frontier URL {:?}: {e}", f.url))?;
    Ok(Lease {
        url,
        host: f.host,
        site: f.site,
        kind: crawler_kind(f.kind),
        depth: f.depth,
        etag: f.etag,
        last_modified: f.last_modified,
    })
}

/// The store keeps WARC file names relative to `warc/`, so a data directory can be moved; a
/// file elsewhere (a cluster worker's own disk) is kept as its absolute path on that machine.
pub fn warc_location(w: &qsword_crawler::WarcRef, warc_dir: &Path) -> WarcLocation {
    let file = match w.file.strip_prefix(warc_dir) {
        Ok(rel) => rel.to_string_lossy().into_owned(),
        Err(_) => w.file.to_string_lossy().into_owned(),
    };
    WarcLocation {
        file,
        record_id: w.record_id.clone(),
        offset: w.offset,
    }
}

pub fn fetch_row(f: &qsword_crawler::FetchRecord, warc_dir: &Path) -> qsword_store::FetchRow {
    qsword_store::FetchRow {
        url: f.url.clone(),
        fetched_at: f.fetched_at,
        status: f.status,
        etag: f.etag.clone(),
        last_modified: f.last_modified.clone(),
        content_digest: f.content_digest.clone(),
        warc: f.warc.as_ref().map(|w| warc_location(w, warc_dir)),
        error: f.error.clone(),
    }
}

impl Frontier for StoreFrontier {
    fn cookies(&mut self, site: &str) -> Result<Option<String>, FrontierError> {
        Ok(self.store.site_cookies(site)?)
    }

    fn save_cookies(&mut self, site: &str, jar: &str) -> Result<(), FrontierError> {
        Ok(self.store.save_site_cookies(site, jar, Utc::now())?)
    }

    fn queued_hosts(&mut self) -> Result<Vec<(String, String)>, FrontierError> {
        Ok(self.store.frontier_queued_hosts()?)
    }

    fn push(&mut self, urls: &[NewUrl]) -> Result<Vec<(String, usize)>, FrontierError> {
        let rows: Vec<DiscoveredUrl> = urls.iter().map(discovered).collect();
        let new = self.store.frontier_push(&rows, Utc::now())?;
        self.queued += new.iter().map(|(_, n)| *n as u64).sum::<u64>();
        Ok(new)
    }

    fn lease(&mut self, host: &str, max: usize) -> Result<Vec<Lease>, FrontierError> {
        let leased = self.store.frontier_lease(host, max)?;
        self.queued = self.queued.saturating_sub(leased.len() as u64);
        leased.into_iter().map(lease).collect()
    }

    fn commit(&mut self, pages: Vec<PageOutcome>) -> Result<Vec<(String, usize)>, FrontierError> {
        let now = Utc::now();
        let catalogue = &self.catalogue;
        let s = &mut self.summary;
        let warc_dir = self.warc_dir.as_path();
        let n_pages = pages.len();
        let new = self.store.write(|tx| {
            let mut new: Vec<(String, usize)> = Vec::new();
            for mut page in pages {
                record_capture(tx, catalogue, s, page.take_capture(), now, warc_dir, false)?;
                let visit = Visit {
                    state: Some(match page.state {
                        VisitState::Done => FrontierState::Done,
                        VisitState::Failed => FrontierState::Failed,
                    }),
                    fetched_at: page.answer.as_ref().map(|a| a.at),
                    status: page.status(),
                    etag: page.answer.as_ref().and_then(|a| a.etag.clone()),
                    last_modified: page.answer.as_ref().and_then(|a| a.last_modified.clone()),
                    error: page.error.clone(),
                };
                if !page.redirected.is_empty() {
                    let hops: Vec<DiscoveredUrl> = page.redirected.iter().map(discovered).collect();
                    tx.frontier_push(&hops, now)?;
                    for h in &hops {
                        tx.frontier_finish(&h.url, &visit)?;
                    }
                }
                if !page.discovered.is_empty() {
                    let urls: Vec<DiscoveredUrl> = page.discovered.iter().map(discovered).collect();
                    for (host, n) in tx.frontier_push(&urls, now)? {
                        match new.iter_mut().find(|(h, _)| *h == host) {
                            Some((_, c)) => *c += n,
                            None => new.push((host, n)),
                        }
                    }
                }
                tx.frontier_finish(page.lease.url.as_str(), &visit)?;
            }
            Ok(new)
        })?;
        self.queued += new.iter().map(|(_, n)| *n as u64).sum::<u64>();
        let s = &self.summary;
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        let queued = self.queued;
        self.progress.tick_by(n_pages as u64, || {
            format!(
                "{} pages ({:.0}/s), {} queued, {} errors, {} new listings",
                s.pages,
                s.pages as f64 / secs,
                queued,
                s.errors,
                s.listings_new
            )
        });
        Ok(new)
    }

    fn release(&mut self, leases: &[Lease]) -> Result<(), FrontierError> {
        let urls: Vec<String> = leases.iter().map(|l| l.url.to_string()).collect();
        let n = self.store.write(|tx| tx.frontier_release(&urls))?;
        self.queued += n as u64;
        Ok(())
    }
}

/// Stores what one visit captured, in the caller's transaction: its fetch rows, its listing
/// (categorised; a new version only if it changed), a 404/410 as a delisting, a 304 as a
/// confirmation; and counts it in `s`. `once`: skip fetch rows already recorded, for a writer
/// that may be handed the same capture twice (the cluster's coordinator after a crash).
pub fn record_capture(
    tx: &qsword_store::Transaction<'_>,
    catalogue: &Catalogue,
    s: &mut CrawlSummary,
    capture: Capture,
    now: chrono::DateTime<Utc>,
    warc_dir: &Path,
    once: bool,
) -> Result<(), StoreError> {
    for f in &capture.fetches {
        let row = fetch_row(f, warc_dir);
        if once {
            tx.record_fetch_once(&row)?;
        } else {
            tx.record_fetch(&row)?;
        }
        s.pages += f.status.is_some() as usize;
        s.response_us.extend(f.response_us);
        if f.error.is_some() || f.status.is_none_or(|c| c >= 400) {
            s.errors += 1;
        }
    }
    let at = capture.answered_at.unwrap_or(now);
    // The page's final URL (after redirects) is the listing's URL.
    let final_url = capture.final_url.as_str();
    // 404 and 410 say the offer is gone: the listing is kept, with its history.
    if capture.gone() && tx.mark_delisted(final_url, at)? {
        s.delisted += 1;
    }
    if capture.not_modified() && tx.touch_listing(final_url, at)? {
        s.listings_unchanged += 1;
        s.not_modified += 1;
    }
    if let Some((mut listing, warc)) = capture.listing {
        crate::pipeline::categorize(catalogue, &mut listing);
        let capture = ListingCapture {
            fetched_at: listing.fetched_at.unwrap_or(at),
            content_digest: Some(warc.payload_digest.clone()),
            warc: Some(warc_location(&warc, warc_dir)),
        };
        match tx.upsert_listing(&listing, &capture) {
            Ok(o) => match o.change {
                Change::New => s.listings_new += 1,
                Change::Changed { .. } => s.listings_changed += 1,
                Change::Unchanged => s.listings_unchanged += 1,
            },
            // One bad page must not stop a night's crawl: the store refuses it
            // (before writing anything) with the URL and field, and the run goes on.
            Err(e @ StoreError::InvalidListing { .. }) => {
                tracing::warn!("{e}");
                s.errors += 1;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
