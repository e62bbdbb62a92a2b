//! A deterministic simulated marketplace for qsword's demo, end-to-end tests and benchmarks.
//!
//! Five shops (up to eight with [`MarketConfig::shops`]), each on its own loopback host
//! (127.0.0.2 … 127.0.0.6, then 127.0.0.7 … 127.0.0.9), sell products of the
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
//! ## Options for tests and benchmarks
//!
//! - **More shops** — `MarketConfig::shops` is 5 (the default) ..= 8: shops 6, 7, 8 are
//!   `kaola-sim` (JSON-LD), `vip-sim` (microdata) and `dangdang-sim` (embedded state) on
//!   127.0.0.7, .8, .9, with their own item ids and sellers; offers spread over every shop. The
//!   default market is unchanged by the option. [`MarketConfig::validate`] names a bad field;
//!   [`Market::generate`] panics with that message.
//! - **Scale** — `products: 13_500, shops: 8` gives about 200 000 product pages; generating
//!   them takes about 0.7 s in a debug build and the market holds about 125 MiB (descriptions
//!   are written when a page is rendered, not stored). Every page costs what it shows: category
//!   pages, seller pages and product lookups use indices built once. (`examples/scale.rs`
//!   measures all this.) Only `/search`, which robots.txt disallows, scans the shop.
//! - **Sitemaps in three forms** — a shop's live product URLs are split into at least three
//!   parts of at most `MarketConfig::sitemap_max_urls` (default and maximum 50 000, the
//!   sitemaps.org limit): `/sitemap-items-1.xml` … as plain XML, the last XML part gzipped as
//!   `/sitemap-items-N.xml.gz` (`Content-Type: application/gzip`), and the final part as the
//!   text sitemap `/sitemap.txt` (one URL per line). Each live product is in exactly one part,
//!   so a crawler that ignores a form misses products. The index `/sitemap.xml` lists the XML
//!   parts and `/sitemap-categories.xml`; robots.txt has `Sitemap:` lines for the index and the
//!   text sitemap.
//! - **Mirrors** — [`ServeOptions::mirrors`] serves every shop on that many more hosts: mirror
//!   `j` (from 0) of shop `k` (from 0) on `127.1.k.(j+1)`, at most [`MAX_MIRRORS`] per shop.
//!   Mirrors serve the same pages (same ETags) with links to themselves; the request log's
//!   `host` tells them apart, and [`ServedShop::mirrors`] and [`RunningMarket::all_base_urls`]
//!   list them. Five shops with nine mirrors each are 50 hosts.
//! - **Throttling** — [`ServeOptions::throttle`] answers every `every`-th request a host
//!   receives (counted per host, robots.txt neither counted nor throttled) with `429 Too Many
//!   Requests` (or `503`) and `Retry-After`, logged with that status.
//! - **Real-world shapes** — [`ServeOptions::shapes`] ([`Shapes`], one switch per shape,
//!   [`Shapes::all`]) makes four default shops serve the same offers (same truth) the awkward
//!   ways real Chinese shops do, so a crawl can be scored against them:
//!   - `pinduo-sim` (`xhr_prices`): product pages carry no price, not in the state, text or
//!     meta tags; an inline script fetches `/api/item/<id>/price` (`{"price":"199.00",
//!     "list_price":"259.00"|null,"currency":"CNY"}`, `Cache-Control: no-store`) and writes
//!     `<span class="price">¥199.00</span>`. Only a crawler with a browser sees the price.
//!   - `suning-sim` (`consent`): an HTML page requested without the cookie `consent=yes` is a
//!     200 consent page (no product data) whose meta refresh and link lead to
//!     `/consent?next=…`, which answers `302` to `next` (a path of the site only) with
//!     `Set-Cookie: consent=yes`. robots.txt and the sitemaps need no cookie.
//!   - `tianmao-sim` (`slider`, [`Slider`]): after `after` (25) requests in a row each arriving
//!     less than `quick_ms` (90 ms) after the previous one, per host, robots.txt not counted,
//!     the next ones get a 200 slider-captcha page ("请拖动下方滑块完成验证", logged with
//!     [`LoggedRequest::blocked`]) until one arrives `quick_ms` or more after its
//!     predecessor. The shops' 50 ms Crawl-delay trips it; 100 ms never does.
//!   - `jingdong-sim` (`hosts`): virtual hosts on its listener — `jingdong-sim.test` answers
//!     `301` to the same path on `www.`, which serves everything but product pages; product
//!     links are absolute URLs on `item.`, which serves product pages (their seller links
//!     absolute on `www.`) and robots.txt and sends the rest to `www.`. The raw IP serves the shop as without the shape.
//!     [`ServedShop::start_url`], [`ServedShop::hosts`] and [`ServedShop::resolve`] (the names
//!     do not resolve) say how to reach it; [`RunningMarket::truth_with_urls`] gives the
//!     `item.` URLs.
//!   - `jingdong-sim` again (`https`, needs `hosts`): the shop also listens with TLS on another
//!     port of its address, under a fresh self-signed certificate for its three names (the
//!     PEM file is [`ServedShop::ca_pem`]); over http its names answer `301` to the same URL
//!     over https, and its truth URLs are the https ones.
//!
//!   With the shapes off the pages are byte-identical to those before the shapes existed
//!   (`tests/default_pages.rs` holds their digest).
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
//!
//! A benchmark's market: 8 shops × (1 + 5 mirrors) = 48 hosts, ~200 000 product pages, every
//! tenth request per host throttled:
//!
//! ```no_run
//! # async fn bench() -> Result<(), qsword_marketsim::Error> {
//! use qsword_marketsim::{serve, Market, MarketConfig, ServeOptions, Throttle};
//! use std::sync::Arc;
//! let cfg = MarketConfig { products: 13_500, shops: 8, ..MarketConfig::default() };
//! cfg.validate()?;
//! let market = Arc::new(Market::generate(&cfg));
//! let opts = ServeOptions {
//!     mirrors: 5,
//!     throttle: Some(Throttle { every: 10, retry_after_secs: 1, status: 429 }),
//!     ..ServeOptions::default()
//! };
//! let running = serve(market, opts).await?;
//! assert_eq!(running.all_base_urls().len(), 48);
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
pub use market::{
    Charset, Market, MarketConfig, PageStyle, ShopSpec, DEFAULT_SHOPS, MAX_SHOPS, SITEMAP_MAX_URLS,
};
pub use pages::{Page, ProductPage};
pub use server::{
    serve, LoggedRequest, RunningMarket, ServeOptions, ServedShop, Shapes, Slider, Throttle,
    MAX_MIRRORS,
};
pub use truth::{read_truth, write_truth, TruthRecord};

/// The path prefixes every shop's robots.txt disallows. Product pages link into them, so a
/// crawl that requests any of them has ignored robots.txt.
pub const DISALLOWED_PATHS: &[&str] = &["/cart", "/account", "/search"];

/// Whether a requested path (with its query) falls under [`DISALLOWED_PATHS`].
pub fn is_disallowed(path: &str) -> bool {
    DISALLOWED_PATHS.iter().any(|p| path.starts_with(p))
}
