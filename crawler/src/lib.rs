//! qsword-crawler: the polite crawler that collects product pages from online shops.
//!
//! It is for: robots.txt (RFC 9309) and Crawl-delay obeyed per host, one governor quota per
//! host (burst 1), an in-memory breadth-first frontier deduplicated on canonical URLs, address
//! safety (no loopback/private targets unless configured), fetching with timeouts, a body
//! limit and retries for transient failures, WARC/1.1 evidence of every response, and handing
//! product pages to [`extract`] to become [`Listing`](qsword_listing::Listing)s.
//!
//! It is NOT for: storing anything (the caller receives [`CrawlEvent`]s on a channel and writes
//! the store), indexing, detection or alerts. The frontier is in memory for now (the
//! store-backed, resumable frontier comes with issue 3).
//!
//! ```no_run
//! use qsword_crawler::{crawl, CrawlEvent, CrawlerConfig, Site};
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let site = Site::from_toml_file("seeds/sites/suning-sim.toml".as_ref())?;
//! let cfg = CrawlerConfig { allow_loopback: true, ..Default::default() };
//! let (tx, mut rx) = tokio::sync::mpsc::channel(256);
//! let consumer = tokio::spawn(async move {
//!     while let Some(ev) = rx.recv().await {
//!         if let CrawlEvent::Listing { listing, warc } = ev {
//!             println!("{} {} ({})", listing.url, listing.title, warc.record_id);
//!         }
//!     }
//! });
//! let report = crawl(&cfg, &[site], "qsword-data/warc".as_ref(), tx).await?;
//! consumer.await?;
//! println!("{} pages, {} listings", report.pages_fetched, report.listings);
//! # Ok(()) }
//! ```

pub mod canon;
pub mod config;
mod crawl;
pub mod evidence;
pub mod extract;
mod fetch;
pub mod frontier;
pub mod links;
pub mod robots;
pub mod safety;
pub mod sitemap;

pub use canon::canonicalize;
pub use config::{CrawlerConfig, Site, SiteConfigError};
pub use crawl::{crawl, CrawlError, CrawlReport, FetchRecord, HostReport};
pub use evidence::{read_record, sha1_base32, write_http_response, WarcRecordData, WarcRef};
pub use fetch::decode_content_encoding;
pub use frontier::{
    Answered, Frontier, FrontierError, Lease, MemoryFrontier, NewUrl, PageOutcome, UrlKind,
    VisitState,
};
pub use safety::AddressPolicy;
