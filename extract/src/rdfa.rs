//! schema.org in RDFa (Lite): `vocab`/`typeof`/`property`, as some shop systems (Drupal,
//! Magento themes, older WordPress plugins) write it → the same JSON shape as JSON-LD, so one
//! mapping ([`super::jsonld::product_fields`]) serves all three syntaxes.
//!
//! Values follow RDFa: `content`, then `href`/`src`/`resource`, else the element's text.
//! Property and type names may be prefixed (`schema:price`) or full IRIs
//! (`http://schema.org/price`); only the local name is kept. An element with `typeof` starts a
//! nested item (offers, brand, seller).

use super::jsonld::nodes;
use super::microdata::{items_of, product_found, Syntax};
use super::price::PriceHint;
use super::{Anchor, Found};
use scraper::Html;
use serde_json::Value;

fn local(name: &str) -> &str {
    let name = name.rsplit(['/', '#']).next().unwrap_or(name);
    name.rsplit(':').next().unwrap_or(name)
}

const RDFA: Syntax = Syntax {
    scope: "typeof",
    types: "typeof",
    prop: "property",
    local,
};

/// Every top-level RDFa item (an element with `typeof` that is not a property of another).
pub fn items(doc: &Html) -> Vec<Value> {
    items_of(doc, &RDFA)
}

/// The RDFa layer.
pub fn extract(doc: &Html, hint: &PriceHint, anchor: &Anchor) -> Found {
    let items = items(doc);
    let all: Vec<&Value> = items.iter().flat_map(nodes).collect();
    product_found(&all, hint, anchor)
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
