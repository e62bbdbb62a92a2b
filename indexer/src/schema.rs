//! The listing schema: which field holds what, how it is analysed, what is stored.
//!
//! Stored fields are enough to render a search result row without the store. Exact-match
//! fields (brand, seller, platform) are indexed lower-cased so that a filter on `philips`
//! finds `Philips`, while their fast (columnar) values keep the original spelling for facet
//! counts.

use crate::tokenizer::{CJK_NGRAM, RAW_LOWER, ZH_EN};
use tantivy::schema::{
    DateOptions, DateTimePrecision, FacetOptions, Field, IndexRecordOption, NumericOptions, Schema,
    TextFieldIndexing, TextOptions, FAST, INDEXED, STORED, STRING,
};

/// Field names, shared with aggregations and the query parser (`brand:Philips`).
pub mod names {
    pub const ID: &str = "id";
    pub const URL: &str = "url";
    pub const TITLE: &str = "title";
    pub const TITLE_NGRAM: &str = "title_ngram";
    pub const DESCRIPTION: &str = "description";
    pub const BRAND: &str = "brand";
    pub const BRAND_TEXT: &str = "brand_text";
    pub const MODEL: &str = "model";
    pub const SELLER: &str = "seller";
    pub const PLATFORM: &str = "platform";
    pub const CURRENCY: &str = "currency";
    pub const CATEGORY: &str = "category";
    pub const CATEGORY_SLUG: &str = "category_slug";
    pub const MARKS: &str = "marks";
    pub const PRICE: &str = "price";
    pub const PRICE_BASE: &str = "price_base";
    pub const RISK: &str = "risk";
    pub const DELISTED: &str = "delisted";
    pub const FIRST_SEEN: &str = "first_seen";
    pub const LAST_SEEN: &str = "last_seen";
}

/// The value indexed in [`ListingFields::marks`] for a listing that claims no mark, so that
/// "listings without any certification" is a plain term filter.
pub const NO_MARKS: &str = "none";

/// Handles to every field of the listing schema.
#[derive(Clone, Debug)]
pub struct ListingFields {
    /// The store's listing id: upserts delete by it.
    pub id: Field,
    pub url: Field,
    /// jieba-segmented title (stored: it is the result row's headline and snippet source).
    pub title: Field,
    /// CJK 1–2-gram copy of the title: the low-boost fallback for sub-words jieba did not cut.
    pub title_ngram: Field,
    pub description: Field,
    /// Exact brand (indexed lower-cased; fast and stored as written).
    pub brand: Field,
    /// The brand as searchable words, so a free-text query matches it.
    pub brand_text: Field,
    /// The model number as searchable words (`HD9252`).
    pub model: Field,
    pub seller: Field,
    pub platform: Field,
    pub currency: Field,
    /// Hierarchical facet from the shop's breadcrumb: `/家用电器/厨房电器/空气炸锅`.
    pub category: Field,
    /// qsword's category slug, e.g. `household-appliances`.
    pub category_slug: Field,
    /// Mark scheme names (`CCC`, `CE`, …), or [`NO_MARKS`].
    pub marks: Field,
    /// The exact decimal amount as written (`"299.00"`); with `currency` it rebuilds the Price.
    pub price: Field,
    /// The amount converted to the base currency ([`crate::CurrencyRates`]) as f64, for range
    /// filters and sorting only; never shown as money.
    pub price_base: Field,
    /// Detector risk in 0..=1, when scored.
    pub risk: Field,
    pub delisted: Field,
    /// When the store first saw the listing ("new this week").
    pub first_seen: Field,
    /// When the crawler last saw the page.
    pub last_seen: Field,
}

impl ListingFields {
    /// Builds the schema and returns it with its field handles.
    pub fn build() -> (Schema, ListingFields) {
        use names::*;
        let mut b = Schema::builder();

        let words = |tokenizer: &str| {
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions)
        };
        let zh_en_stored = TextOptions::default()
            .set_indexing_options(words(ZH_EN))
            .set_stored();
        let zh_en = TextOptions::default().set_indexing_options(words(ZH_EN));
        // Exact value: matched lower-cased, counted and shown as written.
        let exact = TextOptions::default()
            .set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(RAW_LOWER)
                    .set_index_option(IndexRecordOption::Basic),
            )
            .set_fast(None)
            .set_stored();

        // Indexed for range filters, fast for sorting, stored for the result row.
        let date = DateOptions::default()
            .set_indexed()
            .set_fast()
            .set_stored()
            .set_precision(DateTimePrecision::Seconds);

        let fields = ListingFields {
            id: b.add_u64_field(ID, INDEXED | FAST | STORED),
            url: b.add_text_field(URL, STRING | STORED),
            title: b.add_text_field(TITLE, zh_en_stored.clone()),
            title_ngram: b.add_text_field(
                TITLE_NGRAM,
                TextOptions::default().set_indexing_options(words(CJK_NGRAM)),
            ),
            description: b.add_text_field(DESCRIPTION, zh_en_stored),
            brand: b.add_text_field(BRAND, exact.clone()),
            brand_text: b.add_text_field(BRAND_TEXT, zh_en.clone()),
            model: b.add_text_field(MODEL, zh_en),
            seller: b.add_text_field(SELLER, exact.clone()),
            platform: b.add_text_field(PLATFORM, exact),
            currency: b.add_text_field(CURRENCY, STRING | FAST | STORED),
            category: b.add_facet_field(CATEGORY, FacetOptions::default().set_stored()),
            category_slug: b.add_text_field(CATEGORY_SLUG, STRING | FAST | STORED),
            marks: b.add_text_field(MARKS, STRING | FAST | STORED),
            price: b.add_text_field(PRICE, STORED),
            price_base: b.add_f64_field(PRICE_BASE, NumericOptions::default().set_fast()),
            risk: b.add_f64_field(RISK, FAST | STORED),
            delisted: b.add_bool_field(DELISTED, INDEXED | FAST | STORED),
            first_seen: b.add_date_field(FIRST_SEEN, date.clone()),
            last_seen: b.add_date_field(LAST_SEEN, date),
        };
        (b.build(), fields)
    }
}
