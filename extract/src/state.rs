//! Embedded JSON state: the data big platforms ship to their JavaScript instead of HTML
//! (`window.__INITIAL_STATE__ = {…};`, `<script id="__NEXT_DATA__" type="application/json">`,
//! `window.rawData = …`, `__NUXT__`, `__PRELOADED_STATE__`, …).
//!
//! No platform-specific paths: every object in every state blob is scored by how product-like
//! its keys are (a name key such as `title`/`name`/`goodsName` plus a price key such as
//! `price`/`salePrice`/`minGroupPrice`), and the best one is mapped by key vocabulary.

use super::lenient_json::{self, balanced};
use super::price::PriceHint;
use super::{availability_name, clean, structured_price, Found};
use qsword_listing::Seller;
use regex::Regex;
use scraper::{Html, Selector};
use serde_json::{Map, Value};
use std::sync::LazyLock;

const NAME_KEYS: &[&str] = &[
    "goodsName",
    "productName",
    "itemName",
    "skuName",
    "title",
    "name",
    "goods_name",
    "item_title",
    "product_name",
];
/// In order of preference: what a buyer pays first, list prices last.
const PRICE_KEYS: &[&str] = &[
    "minGroupPrice",
    "groupPrice",
    "promotionPrice",
    "finalPrice",
    "salePrice",
    "sale_price",
    "currentPrice",
    "activityPrice",
    "price",
    "minPrice",
    "skuPrice",
    "min_price",
    "priceAmount",
];
const LIST_PRICE_KEYS: &[&str] = &[
    "marketPrice",
    "originalPrice",
    "listPrice",
    "linePrice",
    "original_price",
    "oriPrice",
    "maxNormalPrice",
];
const BRAND_KEYS: &[&str] = &["brandName", "brand", "brand_name"];
const MODEL_KEYS: &[&str] = &["modelNo", "model", "modelNumber", "model_no", "modelName"];
const SKU_KEYS: &[&str] = &[
    "sku",
    "skuId",
    "goodsId",
    "itemId",
    "productId",
    "goods_id",
    "item_id",
    "id",
];
const GTIN_KEYS: &[&str] = &["gtin", "gtin13", "ean", "barcode", "upc"];
const CURRENCY_KEYS: &[&str] = &["currency", "priceCurrency", "currencyCode", "currency_code"];
const SELLER_KEYS: &[&str] = &["mall", "shop", "seller", "store", "merchant", "vendor"];
const SPEC_KEYS: &[&str] = &[
    "props",
    "attributes",
    "specs",
    "properties",
    "goodsProperty",
    "params",
    "specifications",
];
const IMAGE_KEYS: &[&str] = &[
    "images",
    "imageList",
    "gallery",
    "pics",
    "image",
    "thumbUrl",
    "hdThumbUrl",
    "mainImage",
];
const CATEGORY_KEYS: &[&str] = &[
    "catPath",
    "categoryPath",
    "breadcrumbs",
    "breadcrumb",
    "categories",
    "category",
];
const DESC_KEYS: &[&str] = &["desc", "description", "goodsDesc", "detail"];
const STOCK_KEYS: &[&str] = &[
    "availability",
    "stockStatus",
    "inStock",
    "isOnSale",
    "soldOut",
];

static ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    // `window.__INITIAL_STATE__ =`, `var rawData=`, `self.__next_f.push(` is out of scope.
    Regex::new(r#"(?:^|[;\s(,])(?:window\.|var\s+|let\s+|const\s+)?([A-Za-z_$][\w$.]*|window\[["'][\w$]+["']\])\s*=\s*([\{\[])"#)
        .expect("static regex")
});

/// Every JSON value embedded in non-JSON-LD scripts.
pub fn blobs(doc: &Html) -> Vec<Value> {
    let sel = Selector::parse("script").expect("static selector");
    let mut out = Vec::new();
    for script in doc.select(&sel) {
        let kind = script
            .value()
            .attr("type")
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if kind == "application/ld+json" {
            continue;
        }
        let text: String = script.text().collect();
        if text.len() > lenient_json::MAX_JSON_BYTES {
            continue;
        }
        if kind.contains("json") {
            out.extend(lenient_json::parse(&text));
            continue;
        }
        for caps in ASSIGNMENT.captures_iter(&text).take(50) {
            let start = caps.get(2).expect("group 2 always matches").start();
            if let Some(v) = balanced(&text, start).and_then(lenient_json::parse) {
                if v.as_object().is_some_and(|m| !m.is_empty()) || v.is_array() {
                    out.push(v);
                }
            }
        }
    }
    out
}

/// The embedded-state layer.
pub fn extract(doc: &Html, hint: &PriceHint) -> Found {
    let blobs = blobs(doc);
    let mut best: Option<(usize, &Map<String, Value>)> = None;
    for blob in &blobs {
        visit(blob, 0, &mut |obj| {
            let score = score(obj);
            if score > 0 && best.is_none_or(|(s, _)| score > s) {
                best = Some((score, obj));
            }
        });
    }
    best.map(|(_, obj)| fields(obj, hint)).unwrap_or_default()
}

fn visit<'a>(v: &'a Value, depth: usize, f: &mut dyn FnMut(&'a Map<String, Value>)) {
    if depth > 24 {
        return;
    }
    match v {
        Value::Object(m) => {
            f(m);
            m.values().for_each(|c| visit(c, depth + 1, f));
        }
        Value::Array(a) => a.iter().take(500).for_each(|c| visit(c, depth + 1, f)),
        _ => {}
    }
}

fn str_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => clean(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn get_str(obj: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| obj.get(*k).and_then(str_of))
}

/// How product-like an object is: zero unless it has a name and a price — or, for shops that
/// send the price by XHR after the page loads, a name, a product id and a brand or model (the
/// price then comes from the rendered page).
fn score(obj: &Map<String, Value>) -> usize {
    let has_name = get_str(obj, NAME_KEYS).is_some();
    let has_price = PRICE_KEYS.iter().any(|k| {
        obj.get(*k)
            .is_some_and(|v| str_of(v).is_some() || v.is_object())
    });
    let has = |keys: &[&str]| keys.iter().any(|k| obj.get(*k).and_then(str_of).is_some());
    let priceless_product = has(SKU_KEYS) && (has(BRAND_KEYS) || has(MODEL_KEYS));
    if !has_name || !(has_price || priceless_product) {
        return 0;
    }
    let groups: [&[&str]; 8] = [
        BRAND_KEYS,
        MODEL_KEYS,
        SKU_KEYS,
        SELLER_KEYS,
        SPEC_KEYS,
        IMAGE_KEYS,
        CATEGORY_KEYS,
        DESC_KEYS,
    ];
    10 + groups
        .iter()
        .filter(|keys| keys.iter().any(|k| obj.contains_key(*k)))
        .count()
}

fn fields(obj: &Map<String, Value>, hint: &PriceHint) -> Found {
    let currency = get_str(obj, CURRENCY_KEYS);
    let price_of = |keys: &[&str]| {
        keys.iter().find_map(|k| {
            let v = obj.get(*k)?;
            // `price: {"amount": "39.90", "currency": "CNY"}` shapes too.
            let (amount, cur) = match v {
                Value::Object(m) => (
                    get_str(m, &["amount", "value", "price", "min"])?,
                    get_str(m, CURRENCY_KEYS).or(currency.clone()),
                ),
                other => (str_of(other)?, currency.clone()),
            };
            structured_price(&amount, cur.as_deref(), hint)
        })
    };
    let (price, price_high) = price_of(PRICE_KEYS).map_or((None, None), |(p, h)| (Some(p), h));
    let list_price = price_of(LIST_PRICE_KEYS).map(|(p, _)| p);
    let brand = BRAND_KEYS.iter().find_map(|k| match obj.get(*k)? {
        Value::Object(m) => get_str(m, &["name", "brandName", "title"]),
        v => str_of(v),
    });
    Found {
        title: get_str(obj, NAME_KEYS),
        brand,
        model: get_str(obj, MODEL_KEYS),
        sku: get_str(obj, SKU_KEYS),
        gtin: get_str(obj, GTIN_KEYS),
        price,
        price_high,
        list_price,
        availability: STOCK_KEYS.iter().find_map(|k| match obj.get(*k)? {
            // `isOnSale: false` is a product at its regular price as often as one off sale
            // (the English and the Chinese-platform readings): only `true` says anything.
            Value::Bool(false) if *k == "isOnSale" => None,
            Value::Bool(b) => {
                let in_stock = if *k == "soldOut" { !b } else { *b };
                Some(if in_stock { "InStock" } else { "OutOfStock" }.to_string())
            }
            v => str_of(v).and_then(|s| availability_name(&s)),
        }),
        seller: SELLER_KEYS.iter().find_map(|k| seller_of(obj.get(*k)?)),
        description: get_str(obj, DESC_KEYS),
        specs: SPEC_KEYS
            .iter()
            .find_map(|k| specs_of(obj.get(*k)?))
            .unwrap_or_default(),
        images: IMAGE_KEYS
            .iter()
            .find_map(|k| strings_of(obj.get(*k)?))
            .unwrap_or_default(),
        category_path: CATEGORY_KEYS
            .iter()
            .find_map(|k| strings_of(obj.get(*k)?))
            .unwrap_or_default(),
        ..Found::default()
    }
}

fn seller_of(v: &Value) -> Option<Seller> {
    match v {
        Value::Object(m) => Some(Seller {
            name: get_str(
                m,
                &[
                    "mallName",
                    "shopName",
                    "sellerName",
                    "storeName",
                    "name",
                    "title",
                ],
            )?,
            id: get_str(m, &["mallId", "shopId", "sellerId", "storeId", "id"]),
            url: get_str(m, &["url", "mallUrl", "shopUrl", "link"]),
        }),
        v => Some(Seller {
            name: str_of(v)?,
            id: None,
            url: None,
        }),
    }
}

/// `[{"name": k, "value": v}]`, `[{"key": k, "values": [v]}]` or `{k: v}`.
fn specs_of(v: &Value) -> Option<std::collections::BTreeMap<String, String>> {
    let mut out = std::collections::BTreeMap::new();
    match v {
        Value::Array(rows) => {
            for row in rows.iter().filter_map(Value::as_object) {
                let k = get_str(row, &["name", "key", "label", "attrName", "propName"]);
                let val = ["value", "values", "val", "attrValue", "propValue"]
                    .iter()
                    .find_map(|key| match row.get(*key)? {
                        Value::Array(vs) => {
                            let parts: Vec<String> = vs.iter().filter_map(str_of).collect();
                            (!parts.is_empty()).then(|| parts.join(", "))
                        }
                        v => str_of(v),
                    });
                if let (Some(k), Some(val)) = (k, val) {
                    out.insert(k, val);
                }
            }
        }
        Value::Object(m) => {
            for (k, v) in m {
                if let Some(val) = str_of(v) {
                    out.insert(k.clone(), val);
                }
            }
        }
        _ => {}
    }
    (!out.is_empty()).then_some(out)
}

/// A list of strings, or of objects with a `name`/`url`.
fn strings_of(v: &Value) -> Option<Vec<String>> {
    let items: Vec<String> = match v {
        Value::Array(a) => a
            .iter()
            .filter_map(|x| match x {
                Value::Object(m) => get_str(m, &["name", "title", "url", "src"]),
                other => str_of(other),
            })
            .collect(),
        Value::String(s) => clean(s).into_iter().collect(),
        _ => vec![],
    };
    (!items.is_empty()).then_some(items)
}
