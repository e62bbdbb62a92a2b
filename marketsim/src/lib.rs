//! A deterministic simulated marketplace for qsword's demo, end-to-end tests and benchmarks.
//!
//! Five shops, each on its own loopback host (127.0.0.2 … 127.0.0.6), sell products of the
//! enforcement campaign's focus categories (toys, household appliances, wire and cable,
//! switches and sockets, chargers and power banks, fertilizers, agricultural machinery parts,
//! steel, auto filters, lubricants) from real brands, through official stores, authorised
//! dealers and ordinary sellers. About 15 % of the offers are counterfeits (far-below prices,
//! look-alike brands, missing or malformed CCC numbers, cue words); hard negatives (real
//! discounts, clearance, "适用于曼牌" compatible parts) make detection honest. Each shop marks
//! its pages up in a different style — JSON-LD, microdata, an embedded JSON state, plain HTML
//! that needs site rules, and plain HTML in GBK — and serves category pages, search, seller
//! pages, robots.txt, sitemaps and conditional requests (304) like a real shop. `day` advances
//! the market like successive nights: prices move, offers appear and are delisted (404/410).
//!
//! Everything is a pure function of [`MarketConfig`]: the same seed and day give byte-identical
//! pages and the same [`TruthRecord`]s, which say what every page really is.
//!
//! This crate is **not** a model of any real platform and is reached only from the `demo` and
//! `marketsim` commands and from tests and benchmarks; nothing in the production pipeline
//! depends on it.
//!
//! ```
//! use qsword_marketsim::{Market, MarketConfig};
//! let market = Market::generate(&MarketConfig { seed: 7, ..MarketConfig::default() });
//! let truth = market.truth();
//! let fake = truth.iter().find(|r| r.fake).expect("the market has counterfeits");
//! let shop = market.shops().iter().position(|s| s.name == fake.shop).unwrap();
//! let page = market.page(shop, "http://127.0.0.2:8080", &fake.path, None);
//! assert_eq!(page.status, 200);
//! ```
//!
//! Served over HTTP (the shops bind 127.0.0.2 …, which Linux routes to loopback):
//!
//! ```no_run
//! # async fn demo() -> Result<(), qsword_marketsim::Error> {
//! use qsword_marketsim::{serve, Market, MarketConfig, ServeOptions};
//! use std::sync::Arc;
//! let market = Arc::new(Market::generate(&MarketConfig::default()));
//! let running = serve(market, ServeOptions::default()).await?;
//! for shop in running.shops() {
//!     println!("{} at {}", shop.name, shop.base_url);
//! }
//! let truth = running.truth_with_urls(); // absolute URLs for scoring a crawl
//! # let _ = truth;
//! running.shutdown().await;
//! # Ok(()) }
//! ```

pub mod catalogue;
pub mod counterfeit;
mod error;
mod market;
mod pages;
mod server;
mod truth;

pub use error::Error;
pub use market::{Charset, Market, MarketConfig, PageStyle, ShopSpec};
pub use pages::Page;
pub use server::{serve, LoggedRequest, RunningMarket, ServeOptions, ServedShop};
pub use truth::{read_truth, write_truth, TruthRecord};

/// The path prefixes every shop's robots.txt disallows. Product pages link into them, so a
/// crawl that requests any of them has ignored robots.txt.
pub const DISALLOWED_PATHS: &[&str] = &["/cart", "/account", "/search"];

/// Whether a requested path (with its query) falls under [`DISALLOWED_PATHS`].
pub fn is_disallowed(path: &str) -> bool {
    DISALLOWED_PATHS.iter().any(|p| path.starts_with(p))
}
