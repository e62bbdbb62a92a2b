//! Extraction: a fetched product page (raw bytes + headers) → a [`Listing`].
//!
//! Two steps. [`decode_html`] turns bytes into text (BOM, Content-Type header, `<meta>`,
//! else detection; GBK read as GB18030). [`extract_listing`] then reads the page in layers,
//! from the most to the least trustworthy, each filling only the fields the layers above left
//! empty:
//!
//! 1. schema.org JSON-LD ([`jsonld`]), tolerant of the broken JSON found in the wild;
//! 2. schema.org microdata ([`microdata`]);
//! 3. OpenGraph / `product:` meta tags ([`opengraph`]);
//! 4. embedded JSON state objects in scripts, found by shape ([`state`]);
//! 5. per-site CSS rules from `seeds/sites/*.toml` ([`SiteRules`], [`rules`]);
//! 6. heuristics for pages with none of the above ([`heuristics`]); their visible price is a
//!    learnt ranker's choice among the page's price candidates ([`ranker`]).
//!
//! Then: brand/model from the spec rows `品牌`/`型号`/`Brand` when no layer gave one (source
//! `specs`); brand, MPN (a labelled part number, else a model number shaped like a code) and
//! GTIN from the labelled rows the page shows anywhere, and the stock statement shown by the
//! product (`Sold out`, `缺货`, `Pre-order`) ([`fields`]; sources `rows`, `model`, `text`);
//! and the product id in the URL as SKU (`?pid=…`, `/dp/B01GOH7PKA`, `/item/42.html`,
//! `/name-1609583.html`; source `url`). A brand shaped like a page title is dropped. When a
//! page carries several products (related items), the one whose name is the page's `<h1>` or
//! whose URL is the page's is the listing ([`Anchor`]).
//!
//! Where each field came from is recorded in `listing.extra["field_sources"]`
//! (`{"price": "json-ld", "brand": "specs", …}`), and the charset evidence in
//! `listing.extra["charset"]`. Certification marks ([`marks`]) are read from the spec table
//! and the text; prices go through [`price::parse_price`].
//!
//! Measurements on the shared corpus (price strings, real product pages) are the binary's
//! `qsword eval` command, not tests of this crate: the corpus lives outside the repository.
//!
//! It is not a fetcher (no I/O here) and does not judge listings (that is the detector's job):
//! a malformed certificate number is kept exactly as printed, because it is evidence.
//!
//! ```
//! use qsword_extract::{decode_html, extract_listing};
//! let html = r#"<html lang="zh-CN"><script type="application/ld+json">
//!   {"@type": "Product", "name": "公牛 插座 GN-H3050", "brand": {"@type": "Brand", "name": "公牛"},
//!    "offers": {"@type": "Offer", "price": "39.90", "priceCurrency": "CNY"}}</script></html>"#;
//! let page = decode_html(html.as_bytes(), Some("text/html; charset=utf-8"));
//! let url = url::Url::parse("https://shop.example/item/1.html").unwrap();
//! let listing = extract_listing(&page, &url, None).unwrap();
//! assert_eq!(listing.brand.as_deref(), Some("公牛"));
//! assert_eq!(listing.price.unwrap().to_string(), "¥39.90");
//! assert_eq!(listing.extra["field_sources"]["price"], "json-ld");
//! ```

pub mod charset;
mod currencies;
pub mod fields;
pub mod heuristics;
pub mod ids;
pub mod jsonld;
pub mod lenient_json;
pub mod marks;
pub mod microdata;
pub mod opengraph;
pub mod price;
pub mod ranker;
pub mod rdfa;
pub mod real;
pub mod rules;
pub mod state;

#[cfg(test)]
mod currency_tests;
#[cfg(test)]
mod tests;

use price::PriceHint;
use qsword_listing::{Listing, Mark, Price, Seller};
use rust_decimal::Decimal;
use scraper::{Html, Selector};
use serde::Deserialize;
use std::collections::BTreeMap;
use url::Url;

pub use charset::CharsetSource;

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
    /// Where the site sells, as a locale (`es-AR`, `sv_SE`): decides shared symbols (`$`,
    /// `kr`) and the currency of bare numbers when the page does not say.
    pub locale: Option<String>,
    /// The currency of prices that name none (`"CNY"`): outranks anything the page implies.
    pub currency: Option<qsword_listing::Currency>,
}

/// A page decoded to text, with the encoding that was used and how it was chosen.
#[derive(Debug, Clone)]
pub struct DecodedPage {
    pub html: String,
    pub encoding: &'static encoding_rs::Encoding,
    /// What decided the encoding (BOM, header, meta tag, detection).
    pub charset_source: CharsetSource,
}

/// Decodes an HTML body: charset from the BOM, then the Content-Type header, then `<meta>`,
/// then detection (chardetng), so GBK pages with the charset only in a meta tag come out right.
/// Invalid byte sequences become U+FFFD; decoding never fails.
pub fn decode_html(body: &[u8], content_type: Option<&str>) -> DecodedPage {
    let (encoding, charset_source) = charset::sniff(body, content_type);
    // `decode` strips a BOM itself and would switch encodings on one; we already honoured it.
    let (html, _, _) = encoding.decode(body);
    DecodedPage {
        html: html.into_owned(),
        encoding,
        charset_source,
    }
}

/// Pages larger than this are cut before parsing (a bound on time and memory per page).
pub const MAX_HTML_BYTES: usize = 16 * 1024 * 1024;

/// The extractor's learnt parts (what [`real::leave_one_site_out`] retrains without the
/// site it measures). `Extractor::default()` is the shipped one.
#[derive(Debug, Clone, Default)]
pub struct Extractor {
    /// Picks the visible price on pages without structured data ([`ranker`]).
    pub price_ranker: ranker::PriceRanker,
}

/// The extractor trained without the given pages' sites: what leave-one-site-out measures
/// each site with ([`real::leave_one_site_out`]). `others` are the corpus pages it may learn
/// from; `sim` are pages from elsewhere (the simulated market's, which this crate cannot
/// generate itself: the simulator is not one of its dependencies).
#[cfg(feature = "train")]
pub fn train_without(sim: &[ranker::TrainingPage], others: &[&real::PageCase]) -> Extractor {
    let mut rows: Vec<std::sync::Arc<ranker::PageRows>> =
        sim.iter().map(ranker::page_rows).collect();
    rows.extend(others.iter().map(|c| ranker::page_rows(&c.training_page())));
    let refs: Vec<&ranker::PageRows> = rows.iter().map(|r| r.as_ref()).collect();
    Extractor {
        price_ranker: ranker::train_rows(&refs),
    }
}

/// Reads a product page into a Listing; `None` when the page holds no product (no title, or
/// neither a price nor any product identifier).
pub fn extract_listing(
    page: &DecodedPage,
    url: &Url,
    rules: Option<&SiteRules>,
) -> Option<Listing> {
    extract_listing_with(page, url, rules, shipped())
}

/// The shipped extractor, built once.
pub fn shipped() -> &'static Extractor {
    static SHIPPED: std::sync::LazyLock<Extractor> = std::sync::LazyLock::new(Extractor::default);
    &SHIPPED
}

/// [`extract_listing`] with a given extractor.
pub fn extract_listing_with(
    page: &DecodedPage,
    url: &Url,
    rules: Option<&SiteRules>,
    extractor: &Extractor,
) -> Option<Listing> {
    extract_listing_from_with(&parse_page(page), page, url, rules, extractor)
}

/// Parses a decoded page (cut at [`MAX_HTML_BYTES`]) once, for extraction and link finding.
pub fn parse_page(page: &DecodedPage) -> Html {
    let mut html = page.html.as_str();
    if html.len() > MAX_HTML_BYTES {
        let mut cut = MAX_HTML_BYTES;
        while !html.is_char_boundary(cut) {
            cut -= 1;
        }
        html = &html[..cut];
    }
    // html5ever's tree building slows down with depth squared and has no depth limit: a
    // page nested 100,000 deep would take minutes. Real pages stay far below the cap
    // (browsers stop nesting at 512), so what lies past it is cut like an oversized page.
    html = &html[..nesting_cut(html, MAX_NESTING)];
    Html::parse_document(html)
}

/// Element nesting kept when parsing (see [`parse_page`]).
pub const MAX_NESTING: usize = 1024;

/// The byte offset where the estimated element depth of `html` first exceeds `max`, or its
/// length. One linear pass: an opening tag adds a level unless it is void, self-closing or
/// implicitly closed by its next sibling; a closing tag takes one away; comments and the
/// bodies of raw-text elements are skipped.
fn nesting_cut(html: &str, max: usize) -> usize {
    const VOID: &[&str] = &[
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr", "param",
    ];
    const IMPLICIT: &[&str] = &[
        "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "thead", "tbody", "tfoot",
        "rp", "rt",
    ];
    const RAW: &[&str] = &["script", "style", "textarea", "title"];
    let b = html.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(off) = b[i..].iter().position(|&c| c == b'<') {
        let start = i + off;
        i = start + 1;
        if b[i..].starts_with(b"!--") {
            i = html[i..].find("-->").map_or(b.len(), |e| i + e + 3);
            continue;
        }
        let closing = b.get(i) == Some(&b'/');
        let name_start = i + closing as usize;
        let name_len = b[name_start..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric())
            .count();
        if name_len == 0 {
            continue;
        }
        let name = html[name_start..name_start + name_len].to_ascii_lowercase();
        let Some(end) = b[name_start..].iter().position(|&c| c == b'>') else {
            break;
        };
        let tag_end = name_start + end;
        i = tag_end + 1;
        if closing {
            depth = depth.saturating_sub(1);
            continue;
        }
        if RAW.contains(&name.as_str()) {
            let close = format!("</{name}");
            i = find_ascii_ci(&html[i..], &close).map_or(b.len(), |e| i + e);
            continue;
        }
        let self_closing = tag_end > 0 && b[tag_end - 1] == b'/';
        if VOID.contains(&name.as_str()) || self_closing || IMPLICIT.contains(&name.as_str()) {
            continue;
        }
        depth += 1;
        if depth > max {
            return start;
        }
    }
    html.len()
}

/// Byte offset of `needle` (ASCII, lower-case) in `hay`, ignoring ASCII case.
fn find_ascii_ci(hay: &str, needle: &str) -> Option<usize> {
    let n = needle.len();
    hay.as_bytes()
        .windows(n)
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// [`extract_listing`] on a page already parsed with [`parse_page`].
pub fn extract_listing_from(
    doc: &Html,
    page: &DecodedPage,
    url: &Url,
    rules: Option<&SiteRules>,
) -> Option<Listing> {
    extract_listing_from_with(doc, page, url, rules, shipped())
}

/// [`extract_listing_from`] with a given extractor.
pub fn extract_listing_from_with(
    doc: &Html,
    page: &DecodedPage,
    url: &Url,
    rules: Option<&SiteRules>,
    extractor: &Extractor,
) -> Option<Listing> {
    let hint = page_hint_with(doc, url, rules);
    let anchor = Anchor {
        h1: Selector::parse("h1")
            .ok()
            .and_then(|h1| doc.select(&h1).find_map(element_text)),
        path: url.path().to_string(),
    };

    let mut layers: Vec<(&'static str, Found)> = vec![
        ("json-ld", jsonld::extract(doc, &hint, &anchor)),
        ("microdata", microdata::extract(doc, &hint, &anchor)),
        ("rdfa", rdfa::extract(doc, &hint, &anchor)),
        ("opengraph", opengraph::extract(doc, &hint)),
        ("state", state::extract(doc, &hint)),
    ];
    if let Some(rules) = rules {
        layers.push(("rules", rules::extract(doc, rules, url, &hint)));
    }
    // The ranker's scan is the costliest part of the heuristics: a page a layer above
    // already prices needs it only to cross-check that price (below).
    let priced = layers.iter().any(|(_, f)| f.price.is_some());
    let ranker = &extractor.price_ranker;
    layers.push((
        "heuristics",
        heuristics::extract(doc, &hint, (!priced).then_some(ranker)),
    ));

    let mut merged = Merged::default();
    for (source, found) in layers {
        merged.fill(source, found);
    }
    if priced && merged.unconfirmed_price() {
        if let Some(p) = ranker::visible_price(doc, &hint, ranker) {
            if let Some(price) = p.to_price() {
                merged.prices.push(("heuristics", price, p.range_high));
            }
        }
    }
    merged.finish(url, doc, page, &hint)
}

/// Language and country of the page, for ambiguous currency symbols.
pub fn page_hint(doc: &Html, url: &Url) -> PriceHint {
    page_hint_with(doc, url, None)
}

/// [`page_hint`] with the site file's `locale`/`currency`, which outrank the page: the
/// declared locales (`<html lang>`, `og:locale`, `content-language`), the domain, and a
/// Chinese title when nothing else says.
fn page_hint_with(doc: &Html, url: &Url, rules: Option<&SiteRules>) -> PriceHint {
    let sel = Selector::parse("html").expect("static selector");
    let lang = doc.select(&sel).next().and_then(|e| e.value().attr("lang"));
    let meta_sel = Selector::parse("meta").expect("static selector");
    let (mut og, mut http) = (None, None);
    for meta in doc.select(&meta_sel).take(500) {
        let m = meta.value();
        let content = m.attr("content");
        // Some pages put OpenGraph in `name` rather than `property`.
        let og_key = m.attr("property").or(m.attr("name"));
        if og.is_none() && og_key.is_some_and(|p| p.eq_ignore_ascii_case("og:locale")) {
            og = content;
        }
        let equiv = m.attr("http-equiv");
        if http.is_none() && equiv.is_some_and(|p| p.eq_ignore_ascii_case("content-language")) {
            http = content;
        }
    }
    let locales: Vec<&str> = [lang, og, http].into_iter().flatten().collect();
    let mut hint = PriceHint::for_page_with(
        url,
        rules.and_then(|r| r.locale.as_deref()),
        &locales,
        rules.and_then(|r| r.currency),
    );
    if hint.language.is_none() && hint.default_currency.is_none() {
        // No declared language: a page whose title is Chinese is a Chinese shop.
        let title_sel = Selector::parse("title, h1").expect("static selector");
        let title: String = doc.select(&title_sel).flat_map(|e| e.text()).collect();
        if title.chars().any(qsword_listing::text::is_han) {
            hint.language = Some("zh".into());
            hint.default_currency = Some(qsword_listing::Currency::CNY);
        }
    }
    hint
}

/// What identifies the page's own product among others on the page.
#[derive(Debug, Clone, Default)]
pub struct Anchor {
    /// The page's first `<h1>`.
    pub h1: Option<String>,
    /// The page URL's path.
    pub path: String,
}

/// What one layer read off the page; every field optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Found {
    pub title: Option<String>,
    pub brand: Option<String>,
    pub model: Option<String>,
    pub gtin: Option<String>,
    pub sku: Option<String>,
    pub mpn: Option<String>,
    pub category_path: Vec<String>,
    pub price: Option<Price>,
    /// Upper end when the page shows a price range.
    pub price_high: Option<Decimal>,
    pub list_price: Option<Price>,
    pub availability: Option<String>,
    pub seller: Option<Seller>,
    pub description: Option<String>,
    pub specs: BTreeMap<String, String>,
    pub images: Vec<String>,
    /// Marks stated in structured data (e.g. schema.org `hasCertification`).
    pub marks: Vec<Mark>,
}

/// Layers merged field by field, remembering the source of each.
#[derive(Default)]
struct Merged {
    found: Found,
    sources: BTreeMap<&'static str, &'static str>,
    /// GTINs a layer stated that fail their check digit: (source, why), kept for the record.
    rejected_gtins: Vec<(&'static str, String)>,
    /// Every layer's price (source, price, range high), for cross-checking in `finish`.
    prices: Vec<(&'static str, Price, Option<Decimal>)>,
}

impl Merged {
    fn fill(&mut self, source: &'static str, mut f: Found) {
        // A GTIN is taken only with a valid check digit, so a later layer's good one can win.
        if let Some(g) = f.gtin.take() {
            match ids::gtin(&g) {
                Ok(valid) => f.gtin = Some(valid),
                Err(why) => self.rejected_gtins.push((source, why)),
            }
        }
        macro_rules! opt {
            ($($field:ident),*) => {$(
                if self.found.$field.is_none() {
                    if let Some(v) = f.$field {
                        self.found.$field = Some(v);
                        self.sources.insert(stringify!($field), source);
                    }
                }
            )*};
        }
        macro_rules! vec {
            ($($field:ident),*) => {$(
                if self.found.$field.is_empty() && !f.$field.is_empty() {
                    self.found.$field = f.$field;
                    self.sources.insert(stringify!($field), source);
                }
            )*};
        }
        if let Some(p) = &f.price {
            self.prices.push((source, p.clone(), f.price_high));
        }
        let had_price = self.found.price.is_some();
        opt!(
            title,
            brand,
            model,
            gtin,
            sku,
            mpn,
            price,
            list_price,
            availability,
            seller,
            description
        );
        if !had_price && self.found.price.is_some() {
            self.found.price_high = f.price_high;
        }
        vec![category_path, images];
        // Spec rows are additive: structured properties and the visible table complement
        // each other; the first layer's value wins for a key.
        if !f.specs.is_empty() {
            self.sources.entry("specs").or_insert(source);
            for (k, v) in f.specs {
                self.found.specs.entry(k).or_insert(v);
            }
        }
        self.found.marks.extend(f.marks);
    }

    /// Whether the price chosen has no second layer agreeing while another layer states a
    /// different one: the case [`Merged::cross_check_price`] may need the shown price for.
    fn unconfirmed_price(&self) -> bool {
        let Some(chosen) = &self.found.price else {
            return false;
        };
        let agreeing = self.prices.iter().filter(|(_, q, _)| q == chosen).count();
        self.prices.len() >= 2 && agreeing <= 1
    }

    /// A price from the first layer that no other layer confirms and the page never shows in
    /// a price element, while two other layers agree on a price the page does show, is stale
    /// structured data (an auction's starting bid, yesterday's offer): the agreed price wins.
    fn cross_check_price(&mut self, doc: &Html, hint: &PriceHint) {
        let Some(chosen) = self.found.price.clone() else {
            return;
        };
        let agreeing = |p: &Price| self.prices.iter().filter(|(_, q, _)| q == p).count();
        if self.prices.len() < 3 || agreeing(&chosen) > 1 {
            return;
        }
        let Some((source, better, high)) = self
            .prices
            .iter()
            .find(|(_, q, _)| agreeing(q) >= 2 && self.found.list_price.as_ref() != Some(q))
            .cloned()
        else {
            return;
        };
        // The page's own hint (site file included), as every layer read prices with.
        let shown = heuristics::shown_amounts(doc, hint);
        if !shown.contains(&chosen.amount) && shown.contains(&better.amount) {
            self.found.price = Some(better);
            self.found.price_high = high;
            self.sources.insert("price", source);
        }
    }

    fn finish(
        mut self,
        url: &Url,
        doc: &Html,
        page: &DecodedPage,
        hint: &PriceHint,
    ) -> Option<Listing> {
        self.cross_check_price(doc, hint);
        let f = &mut self.found;
        // A list price is what the price is struck down from: one no higher than the price
        // (the same amount read twice, a price of another offer) is not one.
        if let (Some(lp), Some(p)) = (&f.list_price, &f.price) {
            if lp.currency == p.currency && lp.amount <= p.amount {
                f.list_price = None;
                self.sources.remove("list_price");
            }
        }
        // A spec row naming the brand outranks a byline guessed by the heuristics.
        if f.brand.is_none() || self.sources.get("brand") == Some(&"heuristics") {
            if let Some(b) = spec_value(&f.specs, &["品牌", "Brand", "brand", "品牌名称"]) {
                f.brand = Some(b);
                self.sources.insert("brand", "specs");
            }
        }
        if f.model.is_none() {
            if let Some(m) = spec_value(
                &f.specs,
                &["型号", "Model", "model", "产品型号", "规格型号"],
            ) {
                f.model = Some(m);
                self.sources.insert("model", "specs");
            }
        }
        // A brand shaped like a page title (`Shop name | Site`), a sentence, an unfilled
        // template, or the title itself is no brand.
        let squashed_title = f.title.as_deref().map(fields::squashed);
        if f.brand.as_deref().is_some_and(|b| {
            fields::plausible_brand(b).is_none() || Some(fields::squashed(b)) == squashed_title
        }) {
            f.brand = None;
            self.sources.remove("brand");
        }
        // The labelled rows the page shows anywhere (any table, list or label), for what
        // neither structured data nor the spec tables gave.
        let shown = fields::rows(doc);
        if f.brand.is_none() || self.sources.get("brand") == Some(&"heuristics") {
            if let Some(b) = shown.brand() {
                f.brand = Some(b);
                self.sources.insert("brand", "rows");
            }
        }
        if f.mpn.is_none() {
            // The maker's model number is its part number when no part number is given.
            let structured_model = f
                .model
                .as_deref()
                .filter(|_| self.sources.get("model") != Some(&"heuristics"))
                .and_then(fields::plausible_model_code);
            if let Some((m, source)) = shown
                .mpn_labelled()
                .map(|m| (m, "rows"))
                .or_else(|| structured_model.map(|m| (m, "model")))
                .or_else(|| shown.mpn().map(|m| (m, "rows")))
            {
                f.mpn = Some(m);
                self.sources.insert("mpn", source);
            }
        }
        if f.gtin.is_none() {
            if let Some(g) = shown.gtin() {
                f.gtin = Some(g);
                self.sources.insert("gtin", "rows");
            }
        }
        if f.availability.is_none() {
            if let Some(a) = fields::visible_availability(doc, heuristics::title_h1(doc)) {
                f.availability = Some(a.to_string());
                self.sources.insert("availability", "text");
            }
        }
        let title = f.title.take().filter(|t| !t.trim().is_empty())?;
        let identified =
            f.price.is_some() || f.sku.is_some() || f.gtin.is_some() || f.mpn.is_some();
        if !identified {
            return None;
        }
        if f.sku.is_none() {
            // Shops put the product id in the URL (`/item/42.html`, `/dp/B01GOH7PKA`,
            // `?pid=260591`); it does not make a page a product page, so it comes after the
            // check above.
            if let Some(id) = heuristics::product_id_from_url(url) {
                f.sku = Some(id);
                self.sources.insert("sku", "url");
            }
        }
        let text = heuristics::visible_text(doc);
        let mut found_marks = std::mem::take(&mut f.marks);
        found_marks.extend(marks::from_specs(&f.specs));
        if let Some(d) = &f.description {
            found_marks.extend(marks::from_text(d, "text"));
        }
        found_marks.extend(marks::from_text(&title, "text"));
        found_marks.extend(marks::from_text(&text, "text"));
        found_marks.extend(marks::from_image_alts(doc));
        let marks = marks::dedup(found_marks);

        let mut extra = BTreeMap::new();
        extra.insert(
            "field_sources".to_string(),
            serde_json::to_value(&self.sources).ok()?,
        );
        extra.insert(
            "charset".to_string(),
            serde_json::json!({
                "encoding": page.encoding.name(),
                "source": page.charset_source.as_str(),
            }),
        );
        if !self.rejected_gtins.is_empty() {
            extra.insert(
                "rejected_gtins".to_string(),
                serde_json::json!(self
                    .rejected_gtins
                    .iter()
                    .map(|(source, why)| serde_json::json!({"source": source, "why": why}))
                    .collect::<Vec<_>>()),
            );
        }
        if let (Some(high), Some(p)) = (f.price_high, &f.price) {
            extra.insert(
                "price_range".to_string(),
                serde_json::json!({"low": p.amount.to_string(), "high": high.to_string()}),
            );
        }
        let mut f = self.found;
        // "Home" is where every breadcrumb starts; it is no category.
        const HOME: &[&str] = &[
            "首页",
            "主页",
            "home",
            "首頁",
            "startseite",
            "accueil",
            "inicio",
        ];
        if f.category_path
            .first()
            .is_some_and(|c| HOME.contains(&c.to_lowercase().as_str()))
        {
            f.category_path.remove(0);
        }
        // Relative links (`/img/1.jpg`, `/seller/17`) made absolute; a seller without an id
        // gets the last segment of its page's path, as the shops' seller URLs carry it.
        let absolute = |link: &str| {
            url.join(link)
                .map_or_else(|_| link.to_string(), |u| u.to_string())
        };
        f.images = f.images.iter().map(|i| absolute(i)).collect();
        if let Some(seller) = f.seller.as_mut() {
            seller.url = seller.url.as_deref().map(absolute);
            if seller.id.is_none() {
                seller.id = seller.url.as_deref().and_then(rules::seller_id_from_url);
            }
        }
        Some(Listing {
            url: url.to_string(),
            platform: None,
            title: title.trim().to_string(),
            brand: f.brand,
            model: f.model,
            gtin: f.gtin,
            sku: f.sku,
            mpn: f.mpn,
            category: None,
            category_path: f.category_path,
            price: f.price,
            list_price: f.list_price,
            availability: f.availability,
            seller: f.seller,
            marks,
            description: f.description,
            specs: f.specs,
            images: f.images,
            fetched_at: None,
            extra,
        })
    }
}

fn spec_value(specs: &BTreeMap<String, String>, keys: &[&str]) -> Option<String> {
    keys.iter()
        .find_map(|k| specs.get(*k))
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Collapses runs of whitespace and trims; `None` when nothing is left.
///
/// Crawled text ends up in terminals, e-mails and reports, so what could disguise it is
/// dropped: terminal escape sequences (`ESC [ … m`), other C0/C1 control characters, and the
/// bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) that can make a
/// title read differently from what it says.
pub(crate) fn clean(text: &str) -> Option<String> {
    let mut kept = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // A CSI sequence: `ESC [`, parameter and intermediate bytes, one final byte.
            if chars.next_if_eq(&'[').is_some() {
                while chars
                    .next_if(|d| ('\u{20}'..='\u{3f}').contains(d))
                    .is_some()
                {}
                chars.next_if(|d| ('\u{40}'..='\u{7e}').contains(d));
            }
            continue;
        }
        let bidi = matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        // Whitespace controls (tab, newline, NEL…) are folded below like any space.
        if bidi || (c.is_control() && !c.is_whitespace()) {
            continue;
        }
        kept.push(c);
    }
    let s = kept.split_whitespace().collect::<Vec<_>>().join(" ");
    (!s.is_empty()).then_some(s)
}

/// Text of an element, whitespace collapsed.
pub(crate) fn element_text(e: scraper::ElementRef<'_>) -> Option<String> {
    clean(&e.text().collect::<String>())
}

/// A structured-data price (`"39.90"`, `39.9`, `"1,299.00"`) with a currency hint.
pub(crate) fn structured_price(
    amount: &str,
    currency: Option<&str>,
    hint: &PriceHint,
) -> Option<(Price, Option<Decimal>)> {
    let mut hint = hint.clone();
    // Obsolete or informal codes still published in structured data.
    let currency = currency.map(|c| match c.trim().to_ascii_uppercase().as_str() {
        "RUR" => "RUB".to_string(),
        "RMB" => "CNY".to_string(),
        other => other.to_string(),
    });
    if let Some(c) = currency.and_then(|c| c.parse().ok()) {
        hint.default_currency = Some(c);
    }
    let amount = amount.trim();
    // A zero price in structured data is a placeholder ("price on request"), not an offer.
    if amount.parse::<Decimal>().is_ok_and(|d| d.is_zero()) {
        return None;
    }
    // schema.org prices use a dot for decimals: read them as plain decimals first.
    if let Ok(d) = amount.parse::<Decimal>() {
        return Some((
            Price {
                amount: d,
                currency: hint.default_currency?,
            },
            None,
        ));
    }
    let parsed = price::parse_price(amount, &hint)?;
    Some((parsed.to_price()?, parsed.range_high))
}

/// schema.org availability URL or name → the bare name (`InStock`).
pub(crate) fn availability_name(value: &str) -> Option<String> {
    let name = value.trim().rsplit('/').next()?.trim();
    let lower = name.to_ascii_lowercase().replace([' ', '_', '-'], "");
    let canonical = match lower.as_str() {
        "instock" | "in" | "available" | "有货" | "现货" => "InStock",
        "outofstock" | "out" | "soldout" | "unavailable" | "无货" | "缺货" => "OutOfStock",
        "preorder" => "PreOrder",
        "backorder" => "BackOrder",
        "discontinued" => "Discontinued",
        "limitedavailability" => "LimitedAvailability",
        "onlineonly" => "OnlineOnly",
        "instoreonly" => "InStoreOnly",
        "soldoutonline" => "OutOfStock",
        // Free text ("Sold out", "NOT SOLD", "Auf Lager") read as a statement; what says
        // nothing known is dropped rather than passed on.
        _ => return fields::availability_of_text(name).map(String::from),
    };
    Some(canonical.to_string())
}

#[cfg(test)]
mod nesting_tests {
    use super::{nesting_cut, MAX_NESTING};

    #[test]
    fn nesting_past_the_cap_is_cut_and_ordinary_pages_are_not() {
        let page = "<html><body><div><p>a<p>b<ul><li>x<li>y</ul><img src=a.png><br/>\
                    <script>if (a<b) { x = '<div><div><div>'; }</script></div></body></html>";
        // html, body, div, ul: four levels; p, li, void elements and script bodies add none.
        assert_eq!(nesting_cut(page, 4), page.len());
        assert_eq!(nesting_cut(page, 3), page.find("<ul>").unwrap());
        let deep = "<div>".repeat(MAX_NESTING + 10);
        assert_eq!(nesting_cut(&deep, MAX_NESTING), "<div>".len() * MAX_NESTING);
        let closed = "<div></div>".repeat(100_000);
        assert_eq!(nesting_cut(&closed, MAX_NESTING), closed.len());
    }
}

#[cfg(test)]
mod merge_tests {
    /// A "list price" equal to the price (read twice by two layers) is dropped; a real one
    /// above the price is kept.
    #[test]
    fn a_list_price_not_above_the_price_is_no_list_price() {
        let url = url::Url::parse("https://shop.example/item/1.html").unwrap();
        let read = |html: &str| {
            let page = super::decode_html(html.as_bytes(), None);
            super::extract_listing(&page, &url, None).unwrap()
        };
        let same = read(
            r#"<html lang="zh"><body><h1>乐高 城市系列 60337</h1>
            <div class="price">¥639.00</div><del class="price-old">¥639.00</del></body></html>"#,
        );
        assert_eq!(same.price.unwrap().amount.to_string(), "639.00");
        assert!(same.list_price.is_none(), "{:?}", same.list_price);
        let struck = read(
            r#"<html lang="zh"><body><h1>乐高 城市系列 60337</h1>
            <div class="price">¥639.00</div><del class="price-old">¥799.00</del></body></html>"#,
        );
        assert_eq!(struck.list_price.unwrap().amount.to_string(), "799.00");
    }
}
