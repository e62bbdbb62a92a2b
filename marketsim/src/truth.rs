//! Ground truth: what every product page of the market really is, so tests and benchmarks can
//! score the crawler, the extractor and the detector against it.

use qsword_listing::{Listing, Mark, Price, Seller};
use serde::{Deserialize, Serialize};
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// The truth about one offer (one product page of one shop).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TruthRecord {
    /// Shop name (= the Listing's platform), e.g. `suning-sim`.
    pub shop: String,
    /// Path of the product page, e.g. `/item/10200000417.html`.
    pub path: String,
    /// Absolute URL, filled in once the market is served ([`crate::RunningMarket::truth_with_urls`]).
    pub url: Option<String>,
    /// The shop's item id (also the schema.org `sku`).
    pub item_id: String,
    /// The catalogue product this offer sells or imitates (`p0007`); groups offers of one product.
    pub product: String,
    pub title: String,
    /// The brand as shown on the page (a look-alike for brand-variant fakes).
    pub brand: String,
    /// The protected brand (English name, e.g. `BULL`) a fake imitates.
    pub imitates: Option<String>,
    pub model: String,
    pub gtin: Option<String>,
    /// qsword category slug, e.g. `switches-sockets`.
    pub category: String,
    /// The shop's breadcrumb, outermost first.
    pub category_path: Vec<String>,
    pub price: Price,
    /// The struck-through price shown, if any.
    pub list_price: Option<Price>,
    /// The catalogue reference price of the product (what the market usually charges).
    pub reference_price: Price,
    /// Marks as shown on the page (malformed numbers included, as printed).
    pub marks: Vec<Mark>,
    pub seller: Seller,
    /// `official`, `authorised` or `ordinary`.
    pub seller_kind: String,
    pub fake: bool,
    /// For fakes: `price`, `brand-variant`, `mark-missing`, `mark-malformed`, `cue-words`.
    pub fake_kinds: Vec<String>,
    /// For genuine offers that look suspicious: `compatible-accessory`, `legit-discount`, `clearance`.
    pub hard_negative: Option<String>,
    /// Delisted on or before this market's day; the page answers `gone_status`.
    pub delisted: bool,
    /// 404 or 410 for delisted pages.
    pub gone_status: Option<u16>,
    /// The day the page last changed (0 = first generated).
    pub modified_day: u32,
}

impl TruthRecord {
    /// The listing a perfect extractor would read from this page, without the description
    /// (see [`crate::Market::listings`] for that): for benchmarks and tests that need listings
    /// by the million without rendering pages. The URL is `url`, else `http://{shop}{path}`.
    pub fn listing(&self) -> Listing {
        let url = self
            .url
            .clone()
            .unwrap_or_else(|| format!("http://{}{}", self.shop, self.path));
        let mut l = Listing::new(url, self.title.clone());
        l.platform = Some(self.shop.clone());
        l.brand = Some(self.brand.clone());
        l.model = Some(self.model.clone());
        l.gtin = self.gtin.clone();
        l.sku = Some(self.item_id.clone());
        l.category = Some(self.category.clone());
        l.category_path = self.category_path.clone();
        l.price = Some(self.price.clone());
        l.list_price = self.list_price.clone();
        l.seller = Some(self.seller.clone());
        l.marks = self.marks.clone();
        l
    }
}

/// Writes truth records as **JSONL** (one JSON object per line), the format of every qsword
/// data exchange. Read it back with [`read_truth`].
pub fn write_truth(path: &Path, records: &[TruthRecord]) -> io::Result<()> {
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    for r in records {
        serde_json::to_writer(&mut out, r)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

/// Reads a JSONL truth file written by [`write_truth`].
pub fn read_truth(path: &Path) -> Result<Vec<TruthRecord>, crate::Error> {
    let text = std::fs::read_to_string(path).map_err(|source| crate::Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|source| crate::Error::TruthLine {
                path: path.to_path_buf(),
                line: i + 1,
                source,
            })
        })
        .collect()
}
