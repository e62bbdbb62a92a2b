//! schema.org in RDFa (Lite): `vocab`/`typeof`/`property`, as some shop systems (Drupal,
//! Magento themes, older WordPress plugins) write it → the same JSON shape as JSON-LD, so one
//! mapping ([`super::jsonld::product_fields`]) serves all three syntaxes.
//!
//! Values follow RDFa: `content`, then `href`/`src`/`resource`, else the element's text.
//! Property and type names may be prefixed (`schema:price`) or full IRIs
//! (`http://schema.org/price`); only the local name is kept. An element with `typeof` starts a
//! nested item (offers, brand, seller).

use super::jsonld::{is_type, main_product, nodes, product_fields};
use super::microdata::value_of;
use super::price::PriceHint;
use super::{Anchor, Found};
use scraper::{ElementRef, Html, Selector};
use serde_json::{Map, Value};

/// How deep nested items are followed (a bound for hostile pages).
const MAX_DEPTH: usize = 16;

fn local(name: &str) -> &str {
    let name = name.rsplit(['/', '#']).next().unwrap_or(name);
    name.rsplit(':').next().unwrap_or(name)
}

/// Every top-level RDFa item (an element with `typeof` that is not a property of another).
pub fn items(doc: &Html) -> Vec<Value> {
    let sel = Selector::parse("[typeof]").expect("static selector");
    doc.select(&sel)
        .filter(|e| e.value().attr("property").is_none())
        .take(200)
        .map(|e| item(e, 0))
        .collect()
}

fn item(scope: ElementRef<'_>, depth: usize) -> Value {
    let mut map = Map::new();
    if let Some(t) = scope.value().attr("typeof") {
        let types: Vec<Value> = t
            .split_whitespace()
            .map(|s| Value::String(local(s).into()))
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
    properties(scope, depth, &mut map);
    Value::Object(map)
}

fn properties(el: ElementRef<'_>, depth: usize, map: &mut Map<String, Value>) {
    if depth > MAX_DEPTH {
        return;
    }
    for child in el.children().filter_map(ElementRef::wrap) {
        let v = child.value();
        if let Some(props) = v.attr("property") {
            let value = if v.attr("typeof").is_some() {
                item(child, depth + 1)
            } else {
                value_of(child)
            };
            for name in props.split_whitespace() {
                let name = local(name).to_string();
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
        if v.attr("typeof").is_none() {
            properties(child, depth + 1, map);
        }
    }
}

/// The RDFa layer.
pub fn extract(doc: &Html, hint: &PriceHint, anchor: &Anchor) -> Found {
    let items = items(doc);
    let all: Vec<&Value> = items.iter().flat_map(nodes).collect();
    let product = main_product(
        all.iter().copied().filter(|n| {
            is_type(
                n,
                &[
                    "Product",
                    "IndividualProduct",
                    "ProductModel",
                    "ProductGroup",
                ],
            )
        }),
        anchor,
    );
    product.map(|p| product_fields(p, hint)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_product_in_rdfa_lite_with_a_nested_offer_and_brand() {
        let html = r#"<html lang="en"><body>
          <div vocab="http://schema.org/" typeof="Product">
            <h1 property="name">Bosch GSR 12V-15 Cordless Drill</h1>
            <div property="brand" typeof="Brand"><span property="name">Bosch</span></div>
            <span property="sku">GSR12V-15</span>
            <meta property="gtin13" content="3165140000000">
            <div property="offers" typeof="Offer">
              <span property="priceCurrency" content="EUR">€</span>
              <span property="price" content="89.90">89,90</span>
              <link property="availability" href="http://schema.org/InStock">
            </div>
          </div></body></html>"#;
        let doc = Html::parse_document(html);
        let hint = PriceHint::none();
        let f = extract(&doc, &hint, &Anchor::default());
        assert_eq!(f.title.as_deref(), Some("Bosch GSR 12V-15 Cordless Drill"));
        assert_eq!(f.brand.as_deref(), Some("Bosch"));
        assert_eq!(f.sku.as_deref(), Some("GSR12V-15"));
        let price = f.price.expect("price");
        assert_eq!(price.amount.to_string(), "89.90");
        assert_eq!(price.currency.to_string(), "EUR");
        assert_eq!(f.availability.as_deref(), Some("InStock"));
    }

    #[test]
    fn prefixed_and_full_iri_names_are_read() {
        let html = r#"<div prefix="schema: http://schema.org/" typeof="schema:Product">
            <span property="schema:name">Mi Band 8</span>
            <div property="http://schema.org/offers" typeof="schema:Offer">
              <meta property="schema:price" content="249"><meta property="schema:priceCurrency" content="CNY">
            </div></div>"#;
        let doc = Html::parse_document(html);
        let f = extract(&doc, &PriceHint::none(), &Anchor::default());
        assert_eq!(f.title.as_deref(), Some("Mi Band 8"));
        assert_eq!(
            f.price.map(|p| p.amount.to_string()).as_deref(),
            Some("249")
        );
    }
}
