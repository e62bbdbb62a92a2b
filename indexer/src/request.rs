//! What a user asks of the index and what comes back: [`SearchRequest`], [`SearchResults`].
//!
//! These types are the library API the CLI, the web console and the alerts share; they
//! serialise with serde so the console's JSON API can take and return them as they are.

use crate::facets::Facets;
use chrono::{DateTime, Utc};
use qsword_listing::{Decimal, Price};
use serde::{Deserialize, Serialize};

/// The most hits one page may hold; page deeper with `offset`, or export every hit with
/// [`crate::ListingIndex::for_each_hit`].
pub const MAX_PAGE: usize = 10_000;

/// A search: free text, filters, order, page. `SearchRequest::new("公牛 插座")`, then set
/// what is needed; every filter is optional and they all must hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SearchRequest {
    /// Free text; empty matches every listing (subject to the filters).
    pub query: String,
    /// Exact brand, case-insensitive (`philips` finds `Philips`).
    pub brand: Option<String>,
    /// Exact platform (host), case-insensitive.
    pub platform: Option<String>,
    /// Exact seller name, case-insensitive.
    pub seller: Option<String>,
    /// A category facet path prefix (`/家用电器/厨房电器`: the whole subtree) or a category
    /// slug (`household-appliances`).
    pub category: Option<String>,
    /// A mark scheme the listing claims (`CCC`), or `none` for listings claiming no mark.
    pub mark: Option<String>,
    /// A mark scheme the listing does **not** claim (`CCC`: listings without a CCC mark).
    pub without_mark: Option<String>,
    /// Inclusive price bounds in the index's base currency ([`crate::CurrencyRates`]).
    pub min_price: Option<Decimal>,
    pub max_price: Option<Decimal>,
    /// Inclusive risk bounds; with either set, unscored listings are left out.
    pub min_risk: Option<f64>,
    pub max_risk: Option<f64>,
    /// First seen at or after / before this time ("new this week").
    pub first_seen_from: Option<DateTime<Utc>>,
    pub first_seen_to: Option<DateTime<Utc>>,
    /// Last seen by the crawler at or after / before this time.
    pub last_seen_from: Option<DateTime<Utc>>,
    pub last_seen_to: Option<DateTime<Utc>>,
    /// Whether delisted listings are left out (the default), included, or the only ones.
    pub delisted: Delisted,
    pub sort: Sort,
    /// Compute facet counts (brand, platform, seller, marks, category); off saves time when
    /// only hits are wanted.
    pub facets: bool,
    /// Hits per page, at most [`MAX_PAGE`].
    pub limit: usize,
    /// Hits to skip (for paging).
    pub offset: usize,
}

impl SearchRequest {
    /// The request browses the whole index: no words and no filter but `delisted`. Its totals
    /// and facets then depend only on the index's contents (see the facet cache).
    pub fn browses_everything(&self) -> bool {
        let SearchRequest {
            query,
            brand,
            platform,
            seller,
            category,
            mark,
            without_mark,
            min_price,
            max_price,
            min_risk,
            max_risk,
            first_seen_from,
            first_seen_to,
            last_seen_from,
            last_seen_to,
            // Not filters, or a key of their own in the cache.
            delisted: _,
            sort: _,
            facets: _,
            limit: _,
            offset: _,
        } = self;
        query.trim().is_empty()
            && [brand, platform, seller, category, mark, without_mark]
                .iter()
                .all(|f| f.is_none())
            && min_price.is_none()
            && max_price.is_none()
            && min_risk.is_none()
            && max_risk.is_none()
            && [first_seen_from, first_seen_to, last_seen_from, last_seen_to]
                .iter()
                .all(|t| t.is_none())
    }
}

impl Default for SearchRequest {
    fn default() -> Self {
        SearchRequest {
            query: String::new(),
            brand: None,
            platform: None,
            seller: None,
            category: None,
            mark: None,
            without_mark: None,
            min_price: None,
            max_price: None,
            min_risk: None,
            max_risk: None,
            first_seen_from: None,
            first_seen_to: None,
            last_seen_from: None,
            last_seen_to: None,
            delisted: Delisted::Exclude,
            sort: Sort::Relevance,
            facets: true,
            limit: 20,
            offset: 0,
        }
    }
}

impl SearchRequest {
    /// A request for `query` with no filters, by relevance, first 20 hits, with facets.
    pub fn new(query: impl Into<String>) -> Self {
        SearchRequest {
            query: query.into(),
            ..Default::default()
        }
    }
}

/// Which listings the delisted state lets through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delisted {
    /// Live listings only.
    #[default]
    Exclude,
    /// Live and delisted.
    Include,
    /// Delisted only ("what disappeared").
    Only,
}

impl Delisted {
    /// Reads the CLI and URL spelling: `exclude`, `include`, `only`.
    pub fn parse(s: &str) -> Option<Delisted> {
        Some(match s {
            "exclude" => Delisted::Exclude,
            "include" => Delisted::Include,
            "only" => Delisted::Only,
            _ => return None,
        })
    }
}

/// Result order. Listings without the sort value (no price, not scored) come last; ties are
/// broken by relevance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    #[default]
    Relevance,
    /// Riskiest first.
    RiskDesc,
    /// Cheapest first (in the base currency).
    PriceAsc,
    PriceDesc,
    /// Most recently first seen first.
    Newest,
}

impl Sort {
    /// Reads the CLI and URL spelling: `relevance`, `risk`, `price`, `-price`, `newest`.
    pub fn parse(s: &str) -> Option<Sort> {
        Some(match s {
            "relevance" => Sort::Relevance,
            "risk" => Sort::RiskDesc,
            "price" => Sort::PriceAsc,
            "-price" => Sort::PriceDesc,
            "newest" => Sort::Newest,
            _ => return None,
        })
    }
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchResults {
    /// Exact number of listings matching the query and filters (not just this page).
    pub total: usize,
    pub hits: Vec<SearchHit>,
    /// Counts over all matching listings; empty when the request turned facets off.
    pub facets: Facets,
    /// Parts of the query that could not be understood and were searched literally or
    /// ignored (unbalanced quotes, unknown field names, …).
    pub warnings: Vec<String>,
}

/// One listing in the results, renderable without the store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchHit {
    /// The store's listing id.
    pub id: u64,
    pub url: String,
    pub title: String,
    pub brand: Option<String>,
    pub platform: Option<String>,
    pub seller: Option<String>,
    /// The price as the shop wrote it.
    pub price: Option<Price>,
    /// qsword's category slug (`household-appliances`).
    pub category: Option<String>,
    /// The shop's breadcrumb as a facet path (`/家用电器/厨房电器/空气炸锅`).
    pub category_path: Option<String>,
    pub risk: Option<f64>,
    /// Mark schemes claimed, or `["none"]`.
    pub marks: Vec<String>,
    pub delisted: bool,
    pub first_seen: Option<DateTime<Utc>>,
    pub last_seen: Option<DateTime<Utc>>,
    /// Relevance (BM25); with another sort it only breaks ties.
    pub score: f32,
    /// The title (or description) with matched words in `<b>…</b>`; all other text is
    /// HTML-escaped, so it can be inserted into a page as is. Empty in exports.
    pub snippet_html: String,
}
