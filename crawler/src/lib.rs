//! qsword-crawler: the polite crawler that collects product pages from online shops.
//!
//! It is for: robots.txt (RFC 9309) and Crawl-delay obeyed per host, one request at a time per
//! host spaced by its effective delay (configured, Crawl-delay, an adaptive throttle that
//! honours 429/503 and Retry-After), hosts served concurrently and parked when they keep
//! failing, URL canonicalisation and dedup, sitemaps as seeds, conditional GET with the last
//! answer's validators, address safety (no loopback/private targets unless configured), fetch
//! with timeouts, a body limit and retries for transient failures, WARC/1.1 evidence of every
//! exchange, and handing product pages to [`qsword_extract`] to become
//! [`Listing`](qsword_listing::Listing)s (extraction is its own crate, a pure function).
//!
//! It is NOT for: storing anything. The frontier is a [`Frontier`] the caller provides (the
//! binary's is the SQLite store, so a crawl resumes after `kill -9`); every visit comes back as
//! one [`PageOutcome`] — fetches, listing, discovered links, the URL's new state — that the
//! frontier commits together. Nor for indexing, detection or alerts.
//!
//! ```no_run
//! use qsword_crawler::{crawl, CrawlerConfig, MemoryFrontier, Site};
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let site = Site::from_toml_file("seeds/sites/suning-sim.toml".as_ref())?;
//! let cfg = CrawlerConfig { allow_loopback: true, ..Default::default() };
//! let (report, frontier) =
//!     crawl(&cfg, &[site], MemoryFrontier::new(), "qsword-data/warc".as_ref()).await?;
//! for (listing, warc) in frontier.outcomes.iter().filter_map(|o| o.listing.as_ref()) {
//!     println!("{} {} ({})", listing.url, listing.title, warc.record_id);
//! }
//! println!("{} pages, {} listings", report.pages_fetched, report.listings);
//! # Ok(()) }
//! ```

pub mod block;
pub mod canon;
pub mod config;
mod crawl;
pub mod evidence;
mod fetch;
pub mod frontier;
pub mod links;
mod rendering;
pub mod robots;
pub mod safety;
mod session;
pub mod sitemap;

pub use canon::canonicalize;
pub use config::{CrawlerConfig, Render, Site, SiteConfigError};
pub use crawl::{crawl, crawl_shared, CrawlError, CrawlReport, FetchRecord, HostReport};
pub use evidence::{
    check_file, exchange_bytes, read_record, sha1_base32, write_http_response, FileCheck,
    RenderedCapture, WarcRecordData, WarcRef,
};
pub use fetch::decode_content_encoding;
pub use frontier::{
    Answered, Capture, Frontier, FrontierError, HostSlots, Lease, MemoryFrontier, NewUrl,
    PageOutcome, UrlKind, VisitState,
};
pub use safety::AddressPolicy;
