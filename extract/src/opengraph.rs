//! OpenGraph and product meta tags (`og:title`, `product:price:amount`,
//! `product:price:currency`, `og:brand`, `product:availability`, …; a `product:sale_price`
//! is the price paid and the regular price the list price), read from
//! `<meta property=…>` or `<meta name=…>`.

use super::price::PriceHint;
use super::{availability_name, clean, structured_price, Found};
use scraper::{Html, Selector};
use std::collections::HashMap;

/// Meta tags by lower-cased property/name; the first occurrence wins.
fn meta_tags(doc: &Html) -> HashMap<String, String> {
    let sel = Selector::parse("meta[content]").expect("static selector");
    let mut out = HashMap::new();
    for e in doc.select(&sel) {
        let v = e.value();
        let key = v
            .attr("property")
            .or_else(|| v.attr("name"))
            .or_else(|| v.attr("itemprop"));
        if let (Some(k), Some(c)) = (key, v.attr("content").and_then(clean)) {
            out.entry(k.trim().to_ascii_lowercase()).or_insert(c);
        }
    }
    out
}

/// The OpenGraph/product-meta layer. Only pages that declare themselves products (`og:type`
/// product, or product price tags) give a title here: an article's `og:title` is no listing.
pub fn extract(doc: &Html, hint: &PriceHint) -> Found {
    let m = meta_tags(doc);
    let first = |keys: &[&str]| keys.iter().find_map(|k| m.get(*k).cloned());
    // `og:price` / `product:price` are not in the OpenGraph spec but shops publish them,
    // often as printed text (`2,900원~`); `structured_price` parses those too.
    // A sale price is what the buyer pays; the regular price beside it is the list price.
    let sale = first(&["product:sale_price:amount"]);
    let regular = first(&[
        "product:price:amount",
        "og:price:amount",
        "og:price",
        "product:price",
    ]);
    let amount = sale.clone().or_else(|| regular.clone());
    let currency = first(&[
        "product:price:currency",
        "og:price:currency",
        "product:sale_price:currency",
    ]);
    let is_product = amount.is_some()
        || m.get("og:type")
            .is_some_and(|t| t.to_ascii_lowercase().contains("product"));
    if !is_product {
        return Found::default();
    }
    let (price, price_high) =
        match amount.and_then(|a| structured_price(&a, currency.as_deref(), hint)) {
            Some((p, h)) => (Some(p), h),
            None => (None, None),
        };
    let list_price = first(&["product:original_price:amount"])
        .or_else(|| regular.filter(|_| sale.is_some()))
        .and_then(|a| {
            let c = first(&["product:original_price:currency"]).or(currency.clone());
            structured_price(&a, c.as_deref(), hint).map(|(p, _)| p)
        });
    Found {
        title: first(&["og:title", "twitter:title"]),
        brand: first(&["product:brand", "og:brand"]),
        sku: first(&["product:retailer_item_id", "product:sku"]),
        gtin: first(&["product:gtin", "product:ean", "product:upc", "product:isbn"]),
        mpn: first(&["product:mfr_part_no"]),
        price,
        price_high,
        list_price,
        availability: first(&["product:availability", "og:availability"])
            .and_then(|a| availability_name(&a)),
        description: first(&["og:description"]),
        images: first(&["og:image", "og:image:url"]).into_iter().collect(),
        ..Found::default()
    }
}
