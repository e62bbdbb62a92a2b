//! schema.org microdata (`itemscope`/`itemtype`/`itemprop`) → the same JSON shape as JSON-LD,
//! so one mapping ([`super::jsonld::product_fields`]) serves both.
//!
//! Property values follow the HTML spec: `content` attribute, `meta@content`,
//! `a/link@href`, `img@src`, `time@datetime`, `data/meter@value`, else the element's text.
//! Nested `itemscope` elements (offers, seller, brand) become nested objects.

use super::jsonld::{is_type, main_product, nodes, product_fields};
use super::price::PriceHint;
use super::{clean, Anchor, Found};
use scraper::{ElementRef, Html, Selector};
use serde_json::{Map, Value};

/// How deep nested items are followed (a bound for hostile pages).
const MAX_DEPTH: usize = 16;

/// The attribute names of an item syntax: microdata's `itemscope`/`itemtype`/`itemprop`, or
/// RDFa's `typeof`/`property` (see [`super::rdfa`]). One walker reads both.
pub(super) struct Syntax {
    /// The attribute that starts an item.
    pub scope: &'static str,
    /// The attribute that holds its types.
    pub types: &'static str,
    /// The attribute that names a property.
    pub prop: &'static str,
    /// A type or property name as schema.org's local name (`schema:price`, full IRIs).
    pub local: fn(&str) -> &str,
}

const MICRODATA: Syntax = Syntax {
    scope: "itemscope",
    types: "itemtype",
    prop: "itemprop",
    // `itemprop="http://schema.org/price"` is allowed too; types stay whole (is_type reads them).
    local: |name| name,
};

/// Every top-level item of `syntax` on the page, as JSON.
pub(super) fn items_of(doc: &Html, syntax: &Syntax) -> Vec<Value> {
    let sel = Selector::parse(&format!("[{}]", syntax.scope)).expect("attribute selector");
    doc.select(&sel)
        // Top-level: not itself a property of another item.
        .filter(|e| e.value().attr(syntax.prop).is_none())
        .take(200)
        .map(|e| item(e, 0, syntax))
        .collect()
}

/// Every top-level microdata item on the page, as JSON.
pub fn items(doc: &Html) -> Vec<Value> {
    items_of(doc, &MICRODATA)
}

fn item(scope: ElementRef<'_>, depth: usize, syntax: &Syntax) -> Value {
    let mut map = Map::new();
    if let Some(t) = scope.value().attr(syntax.types) {
        let types: Vec<Value> = t
            .split_whitespace()
            .map(|s| Value::String((syntax.local)(s).into()))
            .collect();
        map.insert(
            "@type".into(),
            if types.len() == 1 {
                types[0].clone()
            } else {
                Value::Array(types)
            },
        );
    }
    properties(scope, depth, syntax, &mut map);
    Value::Object(map)
}

/// Walks the children of an item's element, stopping at nested items (whose properties are
/// their own).
fn properties(el: ElementRef<'_>, depth: usize, syntax: &Syntax, map: &mut Map<String, Value>) {
    if depth > MAX_DEPTH {
        return;
    }
    for child in el.children().filter_map(ElementRef::wrap) {
        let v = child.value();
        let nested = v.attr(syntax.scope).is_some();
        if let Some(props) = v.attr(syntax.prop) {
            let value = if nested {
                item(child, depth + 1, syntax)
            } else {
                value_of(child)
            };
            for name in props.split_whitespace() {
                let name = (syntax.local)(name);
                let name = name.rsplit('/').next().unwrap_or(name).to_string();
                match map.get_mut(&name) {
                    None => {
                        map.insert(name, value.clone());
                    }
                    Some(Value::Array(a)) => a.push(value.clone()),
                    Some(existing) => {
                        let first = existing.take();
                        *existing = Value::Array(vec![first, value.clone()]);
                    }
                }
            }
        }
        if !nested {
            properties(child, depth + 1, syntax, map);
        }
    }
}

fn value_of(e: ElementRef<'_>) -> Value {
    let v = e.value();
    let attr = |a: &str| v.attr(a).map(|s| Value::String(s.trim().to_string()));
    if let Some(c) = attr("content") {
        return c;
    }
    let by_tag = match v.name() {
        "meta" => attr("content"),
        "a" | "link" | "area" => attr("href"),
        "img" | "audio" | "video" | "source" | "iframe" | "embed" | "track" => attr("src"),
        "object" => attr("data"),
        "data" | "meter" => attr("value"),
        "time" => attr("datetime"),
        _ => None,
    };
    by_tag
        .unwrap_or_else(|| Value::String(clean(&e.text().collect::<String>()).unwrap_or_default()))
}

/// The fields of the page's own product among the item nodes of a syntax (microdata, RDFa).
pub(super) fn product_found(all: &[&Value], hint: &PriceHint, anchor: &Anchor) -> Found {
    const TYPES: &[&str] = &[
        "Product",
        "IndividualProduct",
        "ProductModel",
        "ProductGroup",
    ];
    main_product(all.iter().copied().filter(|n| is_type(n, TYPES)), anchor)
        .map(|p| product_fields(p, hint))
        .unwrap_or_default()
}

/// The microdata layer.
pub fn extract(doc: &Html, hint: &PriceHint, anchor: &Anchor) -> Found {
    let items = items(doc);
    let all: Vec<&Value> = items.iter().flat_map(nodes).collect();
    let mut found = product_found(&all, hint, anchor);
    if let Some(crumbs) = all.iter().find(|n| is_type(n, &["BreadcrumbList"])) {
        let names: Vec<String> = match crumbs.get("itemListElement") {
            Some(Value::Array(els)) => els.iter().filter_map(super::jsonld::text_of).collect(),
            Some(el) => super::jsonld::text_of(el).into_iter().collect(),
            None => vec![],
        };
        if !names.is_empty() {
            found.category_path = names;
        }
    }
    found
}
