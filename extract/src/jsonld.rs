//! schema.org JSON-LD: `<script type="application/ld+json">` blocks → the `Product` node (and
//! a `BreadcrumbList` for the category path).
//!
//! Tolerant of what real pages publish: comments, raw line breaks in strings, trailing commas
//! ([`super::lenient_json`]), `@graph` containers, top-level arrays, nested `offers` that are
//! objects, arrays or an `AggregateOffer`, `brand` as a string or a `Brand` object. The mapping
//! of a schema.org node onto a listing ([`product_fields`]) is shared with microdata.

use super::lenient_json;
use super::price::PriceHint;
use super::{availability_name, clean, structured_price, Anchor, Found};
use qsword_listing::{Mark, Seller};
use scraper::{Html, Selector};
use serde_json::Value;

/// Every JSON value in the page's JSON-LD scripts (unparseable blocks skipped).
pub fn blocks(doc: &Html) -> Vec<Value> {
    let sel = Selector::parse("script").expect("static selector");
    doc.select(&sel)
        .filter(|e| {
            e.value()
                .attr("type")
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/ld+json"))
        })
        .filter_map(|e| lenient_json::parse(&e.text().collect::<String>()))
        .collect()
}

/// All typed nodes in a JSON-LD value: arrays and `@graph` flattened, nested nodes included
/// (depth-bounded).
pub fn nodes(value: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    collect(value, 0, &mut out);
    out
}

fn collect<'a>(value: &'a Value, depth: usize, out: &mut Vec<&'a Value>) {
    if depth > 12 || out.len() > 10_000 {
        return;
    }
    match value {
        Value::Array(items) => items.iter().for_each(|v| collect(v, depth + 1, out)),
        Value::Object(map) => {
            if map.contains_key("@type") {
                out.push(value);
            }
            for (k, v) in map {
                if k == "@graph" || v.is_object() || v.is_array() {
                    collect(v, depth + 1, out);
                }
            }
        }
        _ => {}
    }
}

/// The node's types without the vocabulary prefix (`http://schema.org/Product` → `Product`).
pub fn types(node: &Value) -> Vec<&str> {
    fn strip(t: &str) -> &str {
        t.rsplit(['/', '#', ':']).next().unwrap_or(t)
    }
    match node.get("@type") {
        Some(Value::String(t)) => vec![strip(t)],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).map(strip).collect(),
        _ => vec![],
    }
}

pub fn is_type(node: &Value, names: &[&str]) -> bool {
    types(node)
        .iter()
        .any(|t| names.iter().any(|n| t.eq_ignore_ascii_case(n)))
}

const PRODUCT_TYPES: &[&str] = &[
    "Product",
    "IndividualProduct",
    "ProductModel",
    "ProductGroup",
    "SomeProducts",
    "Vehicle",
    "Car",
];

/// The JSON-LD layer.
pub fn extract(doc: &Html, hint: &PriceHint, anchor: &Anchor) -> Found {
    let blocks = blocks(doc);
    let all: Vec<&Value> = blocks.iter().flat_map(nodes).collect();
    let product = main_product(
        all.iter().copied().filter(|n| is_type(n, PRODUCT_TYPES)),
        anchor,
    );
    let mut found = product.map(|p| product_fields(p, hint)).unwrap_or_default();
    if let Some(p) = product {
        if found.availability.as_deref() == Some("OutOfStock") && variant_in_stock(p, &all, hint) {
            found.availability = Some("InStock".into());
        }
    }
    if product.is_none() {
        // Some shops publish only an Offer whose itemOffered is the product.
        if let Some(offer) = all.iter().find(|n| is_type(n, &["Offer"])) {
            offer_fields(offer, hint, &mut found);
            if let Some(item) = offer.get("itemOffered") {
                let inner = product_fields(item, hint);
                found.title = inner.title;
                found.brand = inner.brand;
                found.sku = found.sku.take().or(inner.sku);
            }
        }
    }
    if let Some(crumbs) = all.iter().find(|n| is_type(n, &["BreadcrumbList"])) {
        let path = breadcrumb_path(crumbs);
        if !path.is_empty() {
            found.category_path = path;
        }
    }
    found
}

/// Whether another variant of `product` is in stock: shops publish one Product node per size
/// or colour (same name) or a ProductGroup's `hasVariant`, and the page's product is
/// available when any of them is — the first one being sold out says nothing of the others.
fn variant_in_stock(product: &Value, all: &[&Value], hint: &PriceHint) -> bool {
    let name = product.get("name").and_then(text_of);
    let variants = as_list(product.get("hasVariant"));
    all.iter()
        .filter(|n| !std::ptr::eq(**n, product) && is_type(n, PRODUCT_TYPES))
        .filter(|n| {
            (name.is_some() && n.get("name").and_then(text_of) == name)
                || variants.iter().any(|v| std::ptr::eq(*v, **n))
        })
        .take(200)
        .any(|n| {
            let mut f = Found::default();
            if let Some(offers) = n.get("offers") {
                offer_fields(offers, hint, &mut f);
            }
            f.availability.as_deref() == Some("InStock")
        })
}

/// The page's own product among several (pages also carry related products): the one whose
/// name is the page's `<h1>` or whose URL is the page's, else one with offers, else the first.
pub fn main_product<'a>(
    candidates: impl Iterator<Item = &'a Value>,
    anchor: &Anchor,
) -> Option<&'a Value> {
    let norm = |s: &str| s.split_whitespace().collect::<String>().to_lowercase();
    let h1 = anchor.h1.as_deref().map(norm).filter(|h| !h.is_empty());
    candidates
        .enumerate()
        .max_by_key(|(i, n)| {
            let name = n.get("name").and_then(text_of).map(|t| norm(&t));
            let title_score = match (&name, &h1) {
                (Some(n), Some(h)) if n == h => 4,
                (Some(n), Some(h))
                    if !n.is_empty() && (n.contains(h.as_str()) || h.contains(n.as_str())) =>
                {
                    2
                }
                _ => 0,
            };
            let url_score = ["url", "@id"].iter().any(|k| {
                n.get(*k).and_then(Value::as_str).is_some_and(|u| {
                    url::Url::parse(u)
                        .is_ok_and(|u| u.path() == anchor.path && anchor.path.len() > 1)
                })
            }) as usize
                * 2;
            let offers = n.get("offers").is_some() as usize;
            (title_score + url_score + offers, std::cmp::Reverse(*i))
        })
        .map(|(_, n)| n)
}

/// A string value, or the `name`/`@value` of an object, or the first of an array.
pub fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => clean(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(items) => items.iter().find_map(text_of),
        Value::Object(m) => m
            .get("name")
            .or_else(|| m.get("@value"))
            .or_else(|| m.get("value"))
            .and_then(text_of),
        _ => None,
    }
}

fn url_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => clean(s),
        Value::Object(m) => m
            .get("url")
            .or_else(|| m.get("contentUrl"))
            .or_else(|| m.get("@id"))
            .and_then(url_of),
        _ => None,
    }
}

/// Maps a schema.org `Product` node (JSON-LD, or microdata turned into the same shape).
pub fn product_fields(p: &Value, hint: &PriceHint) -> Found {
    let get = |k: &str| p.get(k).and_then(text_of);
    let mut f = Found {
        title: get("name"),
        brand: p
            .get("brand")
            .or_else(|| p.get("manufacturer"))
            .and_then(text_of),
        model: get("model"),
        sku: get("sku").or_else(|| get("productID")),
        mpn: get("mpn"),
        gtin: ["gtin13", "gtin", "gtin14", "gtin12", "gtin8", "isbn"]
            .iter()
            .find_map(|k| get(k)),
        description: get("description"),
        ..Found::default()
    };
    if let Some(images) = p.get("image") {
        f.images = match images {
            Value::Array(items) => items.iter().filter_map(url_of).collect(),
            other => url_of(other).into_iter().collect(),
        };
    }
    if let Some(cat) = get("category") {
        f.category_path = cat
            .split(['>', '/', '|', '›', '»'])
            .filter_map(clean)
            .collect();
    }
    if let Some(offers) = p.get("offers") {
        offer_fields(offers, hint, &mut f);
    }
    for prop in as_list(p.get("additionalProperty")) {
        if let (Some(k), Some(v)) = (
            prop.get("name").and_then(text_of),
            prop.get("value").and_then(text_of),
        ) {
            f.specs.insert(k, v);
        }
    }
    for cert in as_list(p.get("hasCertification")) {
        let scheme = cert
            .get("certificationIdentification")
            .and_then(text_of)
            .or_else(|| cert.get("name").and_then(text_of));
        if let Some(scheme) = scheme.and_then(|s| super::marks::scheme_of(&s)) {
            f.marks.push(Mark {
                scheme,
                number: cert.get("certificationIdentification").and_then(text_of),
                source: Some("structured".into()),
            });
        }
    }
    f
}

fn as_list(v: Option<&Value>) -> Vec<&Value> {
    match v {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(other) => vec![other],
        None => vec![],
    }
}

/// `offers`: an Offer, an array of them, or an AggregateOffer (its `lowPrice`, else its own
/// nested offers). The first offer with a price decides price, currency, availability, seller.
fn offer_fields(offers: &Value, hint: &PriceHint, f: &mut Found) {
    let list = as_list(Some(offers));
    for offer in &list {
        let currency = offer.get("priceCurrency").and_then(text_of);
        let spec = offer.get("priceSpecification").map(|s| as_list(Some(s)));
        let spec_first = spec.as_ref().and_then(|s| s.first().copied());
        let spec_currency = spec_first
            .and_then(|s| s.get("priceCurrency"))
            .and_then(text_of);
        let currency = currency.or(spec_currency);
        let amount = offer
            .get("price")
            .and_then(text_of)
            .or_else(|| offer.get("lowPrice").and_then(text_of))
            .or_else(|| spec_first.and_then(|s| s.get("price")).and_then(text_of));
        if f.price.is_none() {
            if let Some((price, high)) =
                amount.and_then(|a| structured_price(&a, currency.as_deref(), hint))
            {
                f.price = Some(price);
                f.price_high = high.or_else(|| {
                    offer
                        .get("highPrice")
                        .and_then(text_of)
                        .and_then(|h| h.parse().ok())
                });
            } else if let Some(nested) = offer.get("offers") {
                offer_fields(nested, hint, f);
            }
        }
        // Several offers (sizes, colours): the product is in stock if any of them is.
        let this = offer
            .get("availability")
            .and_then(text_of)
            .and_then(|a| availability_name(&a));
        if f.availability.is_none() || (this.as_deref() == Some("InStock") && list.len() > 1) {
            f.availability = this.or(f.availability.take());
        }
        if f.seller.is_none() {
            f.seller = offer.get("seller").and_then(seller_of);
        }
        if f.sku.is_none() {
            f.sku = offer.get("sku").and_then(text_of);
        }
        if f.gtin.is_none() {
            f.gtin = ["gtin13", "gtin", "gtin14", "gtin12", "gtin8"]
                .iter()
                .find_map(|k| offer.get(*k).and_then(text_of));
        }
        if f.list_price.is_none() {
            // A struck-through price published as a second price specification.
            let strike = spec.iter().flatten().find(|s| {
                s.get("priceType")
                    .and_then(text_of)
                    .is_some_and(|t| t.contains("ListPrice") || t.contains("StrikethroughPrice"))
            });
            if let Some(s) = strike {
                let c = s
                    .get("priceCurrency")
                    .and_then(text_of)
                    .or(currency.clone());
                f.list_price = s
                    .get("price")
                    .and_then(text_of)
                    .and_then(|a| structured_price(&a, c.as_deref(), hint))
                    .map(|(p, _)| p);
            }
        }
    }
}

fn seller_of(v: &Value) -> Option<Seller> {
    let name = text_of(v)?;
    let url = v.get("url").and_then(url_of);
    let id = v
        .get("identifier")
        .or_else(|| v.get("@id"))
        .and_then(text_of)
        .filter(|id| Some(id) != url.as_ref());
    Some(Seller { name, id, url })
}

/// `itemListElement` sorted by `position`, names only; the product itself (last crumb equal to
/// nothing but the page) is kept: shops differ and the raw path is what users asked for.
fn breadcrumb_path(list: &Value) -> Vec<String> {
    let mut items: Vec<(i64, String)> = as_list(list.get("itemListElement"))
        .into_iter()
        .enumerate()
        .filter_map(|(i, el)| {
            let pos = el.get("position").and_then(|p| match p {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            });
            let name = el
                .get("name")
                .and_then(text_of)
                .or_else(|| el.get("item").and_then(text_of))?;
            Some((pos.unwrap_or(i as i64), name))
        })
        .collect();
    items.sort_by_key(|(p, _)| *p);
    items.into_iter().map(|(_, n)| n).collect()
}
