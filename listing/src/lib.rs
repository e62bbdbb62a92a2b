//! The shared vocabulary of qsword: [`Listing`], [`Price`], [`Seller`], [`Mark`], and the
//! JSONL format in which listings travel between tools (`qsword import`/`export`, `detect`).
//!
//! This crate is the contract that every other crate speaks. It is for data types and their
//! (de)serialisation only: it does no I/O beyond reading and writing the streams it is handed,
//! and holds no crawling, storage, indexing or detection logic.
//!
//! ```
//! use qsword_listing::{Listing, Price};
//! let json = r#"{"url": "https://shop.example/item/42", "title": "飞利浦 空气炸锅 HD9252",
//!                "price": {"amount": "299.00", "currency": "CNY"}, "shipping_days": 2}"#;
//! let listing: Listing = serde_json::from_str(json).unwrap();
//! assert_eq!(listing.price.as_ref().unwrap().amount.to_string(), "299.00");
//! // Unknown fields are kept, not dropped.
//! assert_eq!(listing.extra["shipping_days"], 2);
//! ```

pub mod catalogue;
mod jsonl;
mod price;
pub mod rates;
pub mod text;

pub use jsonl::{read_jsonl, write_jsonl, write_listing_line, JsonlReport, RecordError};
pub use price::{Currency, CurrencyError, Price};
pub use rates::{CurrencyRates, RateError};
pub use rust_decimal::Decimal;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One product offer as seen on one page of one platform at one time.
///
/// Only `url` and `title` are required. Fields not known to this version of qsword are kept in
/// [`Listing::extra`] and written back unchanged, so outside tools can round-trip their data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Listing {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gtin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mpn: Option<String>,
    /// qsword's category slug (see `seeds/categories.toml`), e.g. `household-appliances`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// The shop's own breadcrumb, outermost first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub category_path: Vec<String>,
    /// The price a buyer pays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Price>,
    /// The struck-through "original" price, when the page shows one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_price: Option<Price>,
    /// schema.org availability name without the URL prefix, e.g. `InStock`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller: Option<Seller>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub marks: Vec<Mark>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub specs: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fetched_at: Option<DateTime<Utc>>,
    /// Fields this version does not know, kept verbatim.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// Who offers a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Seller {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A certification or licence mark claimed by a listing (CCC, CE, FCC, XK, energy label, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    /// Scheme name in upper case: `CCC`, `CE`, `FCC`, `XK`, `UL`, `ENERGY`.
    pub scheme: String,
    /// The certificate/licence number as printed, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// Where on the page it was read: `text`, `specs`, `structured`, `image-alt`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl Listing {
    /// A listing with just the two required fields.
    pub fn new(url: impl Into<String>, title: impl Into<String>) -> Self {
        Listing {
            url: url.into(),
            title: title.into(),
            ..Default::default()
        }
    }

    /// The first mark of `scheme` (case-insensitive), if the listing claims one.
    pub fn mark(&self, scheme: &str) -> Option<&Mark> {
        self.marks
            .iter()
            .find(|m| m.scheme.eq_ignore_ascii_case(scheme))
    }

    /// Checks what serde cannot: required fields are non-empty.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if self.url.trim().is_empty() {
            return Err((
                "url",
                "is empty; a listing needs the URL of its page".into(),
            ));
        }
        if self.title.trim().is_empty() {
            return Err(("title", "is empty; a listing needs a title".into()));
        }
        Ok(())
    }
}
