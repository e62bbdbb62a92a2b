//! qsword's search index of listings: the tantivy schema, a Chinese-capable tokenizer, the
//! writer that upserts listings by id, and searches with filters, sorting, facet counts and
//! highlighted snippets.
//!
//! The index is a *view* of the store: it can always be rebuilt from it, and it holds just
//! enough stored fields to render a result row. This crate does not fetch pages, score risk
//! or talk to the store: callers hand it [`Listing`](qsword_listing::Listing)s with the ids
//! and risks they already have.
//!
//! Chinese text is segmented with jieba (search mode) and also indexed as character 1–2-grams,
//! so a word inside a longer run (`插座` in `公牛插座五孔`) is found; see [`tokenizer`].
//!
//! ```
//! use qsword_indexer::{IndexDoc, ListingIndex, SearchRequest, Sort};
//! use qsword_listing::{Listing, Price};
//!
//! let dir = tempfile::tempdir()?;
//! let index = ListingIndex::open_or_create(dir.path())?;
//! let mut writer = index.writer(50_000_000)?;
//!
//! let mut socket = Listing::new("https://shop.example/item/1", "公牛插座五孔 10A 正品");
//! socket.brand = Some("公牛".into());
//! socket.price = Some(Price::new("39.90", "CNY")?);
//! let mut fryer = Listing::new("https://shop.example/item/2", "Philips Air Fryer HD9252");
//! fryer.brand = Some("Philips".into());
//! fryer.price = Some(Price::new("299.00", "CNY")?);
//!
//! for (id, listing, risk) in [(1, &socket, 0.2), (2, &fryer, 0.9)] {
//!     writer.upsert(&IndexDoc { risk: Some(risk), ..IndexDoc::new(id, listing) })?;
//! }
//! writer.commit()?; // now visible to `index.search`
//!
//! let found = index.search(&SearchRequest::new("插座"))?;
//! assert_eq!(found.total, 1);
//! assert_eq!(found.hits[0].url, "https://shop.example/item/1");
//! assert!(found.hits[0].snippet_html.contains("<b>插座</b>"));
//!
//! let riskiest = index.search(&SearchRequest { sort: Sort::RiskDesc, ..SearchRequest::new("") })?;
//! assert_eq!(riskiest.total, 2);
//! assert_eq!(riskiest.hits[0].id, 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod facets;
mod index;
mod request;
pub mod schema;
mod search;
pub mod tokenizer;
mod writer;

pub use error::IndexError;
pub use facets::{CategoryCount, FacetCount, Facets, FACET_SIZE};
pub use index::ListingIndex;
pub use qsword_listing::rates::{CurrencyRates, RateError};
pub use request::{Delisted, SearchHit, SearchRequest, SearchResults, Sort, MAX_PAGE};
pub use search::{Export, MAX_QUERY_WORDS};
pub use writer::{IndexDoc, ListingWriter};

/// The version of the text analysis (tokenizers, folding). Raised whenever the terms an
/// existing index holds would no longer be the ones today's queries look for, so that
/// callers recording it with their commits know to rebuild (2: full-width letters folded).
pub const ANALYSIS_VERSION: u32 = 2;
