//! Extraction: a fetched product page (raw bytes + headers) → a [`Listing`].
//!
//! (Interface fixed; being built.)

use qsword_listing::Listing;
use serde::Deserialize;
use url::Url;

/// Per-site extraction rules from `seeds/sites/*.toml` (`[rules]` table): CSS selectors for
/// pages with no structured data. Each value is a CSS selector; the text of the first match is
/// taken, or the attribute named after `@` (`"img.logo@alt"`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SiteRules {
    pub title: Option<String>,
    pub price: Option<String>,
    pub list_price: Option<String>,
    pub brand: Option<String>,
    pub model: Option<String>,
    pub sku: Option<String>,
    pub seller: Option<String>,
    pub seller_url: Option<String>,
    pub category_path: Option<String>,
    pub description: Option<String>,
    pub images: Option<String>,
    /// Rows of a spec table: selector of rows; first cell is the key, second the value.
    pub specs: Option<String>,
    pub availability: Option<String>,
}

/// A page decoded to text, with the encoding that was used and how it was chosen.
#[derive(Debug, Clone)]
pub struct DecodedPage {
    pub html: String,
    pub encoding: &'static encoding_rs::Encoding,
}

/// Decodes an HTML body: charset from the Content-Type header, then BOM, then `<meta>`, then
/// detection (chardetng), so GBK pages with the charset only in a meta tag come out right.
pub fn decode_html(body: &[u8], content_type: Option<&str>) -> DecodedPage {
    let _ = content_type;
    let (html, encoding, _) = encoding_rs::UTF_8.decode(body);
    DecodedPage { html: html.into_owned(), encoding }
}

/// Reads a product page into a Listing; `None` when the page holds no product.
pub fn extract_listing(page: &DecodedPage, url: &Url, rules: Option<&SiteRules>) -> Option<Listing> {
    let _ = (page, url, rules);
    None
}
