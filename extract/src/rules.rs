//! Per-site CSS rules ([`SiteRules`], from `seeds/sites/<site>.toml`) for shops whose pages
//! carry no structured data. `"sel"` takes the text of the first match, `"sel@attr"` its
//! attribute; `category_path`, `images` and `specs` take every match. Either may end in
//! `" =~ REGEX"`: the value is then the regex's first capture group (or whole match) in that
//! text, and an element whose text does not match is passed over
//! (`sku = "div.item-code =~ 货号[:：]\\s*(\\w+)"`).

use super::price::{parse_price, PriceHint};
use super::{availability_name, clean, element_text, Found, SiteRules};
use qsword_listing::Seller;
use scraper::{ElementRef, Html, Selector};
use url::Url;

/// A rule that does not parse as a CSS selector, named by field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("site rule `{field}` = {rule:?}: {why} (write `selector`, `selector@attribute`, optionally followed by ` =~ regex`)")]
pub struct RuleError {
    pub field: &'static str,
    pub rule: String,
    pub why: String,
}

/// One parsed rule: a selector, an optional attribute and an optional pattern.
struct Rule {
    selector: Selector,
    attr: Option<String>,
    pattern: Option<regex::Regex>,
}

fn compile(field: &'static str, full: &str) -> Result<Rule, RuleError> {
    let err = |why: String| RuleError {
        field,
        rule: full.to_string(),
        why,
    };
    // ` =~ ` is no CSS: what follows it is the pattern.
    let (rule, pattern) = match full.split_once(" =~ ") {
        Some((rule, pattern)) => {
            let re = regex::RegexBuilder::new(pattern.trim())
                .size_limit(1 << 20)
                .build()
                .map_err(|e| err(format!("not a valid regex: {e}")))?;
            (rule, Some(re))
        }
        None => (full, None),
    };
    // `@` splits off the attribute only when what follows is an attribute name (a selector
    // may itself contain `@` inside quotes).
    let (sel, attr) = match rule.rsplit_once('@') {
        Some((sel, attr))
            if !attr.is_empty()
                && attr
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
        {
            (sel, Some(attr.to_string()))
        }
        _ => (rule, None),
    };
    let selector =
        Selector::parse(sel.trim()).map_err(|_| err("not a valid CSS selector".into()))?;
    Ok(Rule {
        selector,
        attr,
        pattern,
    })
}

impl SiteRules {
    /// Checks every selector, so a bad site file is refused when it is loaded rather than
    /// silently extracting nothing.
    pub fn validate(&self) -> Result<(), RuleError> {
        for (field, rule) in self.fields() {
            compile(field, rule)?;
        }
        Ok(())
    }

    fn fields(&self) -> Vec<(&'static str, &str)> {
        let all: [(&'static str, &Option<String>); 13] = [
            ("title", &self.title),
            ("price", &self.price),
            ("list_price", &self.list_price),
            ("brand", &self.brand),
            ("model", &self.model),
            ("sku", &self.sku),
            ("seller", &self.seller),
            ("seller_url", &self.seller_url),
            ("category_path", &self.category_path),
            ("description", &self.description),
            ("images", &self.images),
            ("specs", &self.specs),
            ("availability", &self.availability),
        ];
        all.into_iter()
            .filter_map(|(f, r)| Some((f, r.as_deref()?)))
            .collect()
    }
}

fn value(e: ElementRef<'_>, rule: &Rule) -> Option<String> {
    let text = match rule.attr.as_deref() {
        Some(a) => e.value().attr(a).and_then(clean),
        None => element_text(e),
    }?;
    let Some(re) = &rule.pattern else {
        return Some(text);
    };
    let caps = re.captures(&text)?;
    caps.get(1)
        .or_else(|| caps.get(0))
        .and_then(|m| clean(m.as_str()))
}

/// The rules layer. Invalid selectors are skipped here (see [`SiteRules::validate`]).
pub fn extract(doc: &Html, rules: &SiteRules, url: &Url, hint: &PriceHint) -> Found {
    let first = |field: &'static str, rule: &Option<String>| -> Option<String> {
        let rule = compile(field, rule.as_deref()?).ok()?;
        doc.select(&rule.selector).find_map(|e| value(e, &rule))
    };
    let all = |field: &'static str, rule: &Option<String>| -> Vec<String> {
        let Some(rule) = rule.as_deref().and_then(|r| compile(field, r).ok()) else {
            return vec![];
        };
        doc.select(&rule.selector)
            .filter_map(|e| value(e, &rule))
            .collect()
    };
    let absolute = |link: String| url.join(&link).map(|u| u.to_string()).unwrap_or(link);

    let price = first("price", &rules.price).and_then(|t| parse_price(&t, hint));
    let list_price = first("list_price", &rules.list_price)
        .and_then(|t| parse_price(&t, hint))
        .and_then(|p| p.to_price());
    let seller_name = first("seller", &rules.seller);
    let seller_url = first("seller_url", &rules.seller_url).map(absolute);
    let seller = seller_name.map(|name| Seller {
        id: seller_url.as_deref().and_then(seller_id_from_url),
        name,
        url: seller_url,
    });
    let images = match &rules.images {
        Some(r) if r.contains('@') => all("images", &rules.images),
        Some(r) => all("images", &Some(format!("{r}@src"))),
        None => vec![],
    };
    let mut specs = std::collections::BTreeMap::new();
    if let Some(rule) = rules
        .specs
        .as_deref()
        .and_then(|r| compile("specs", r).ok())
    {
        for row in doc.select(&rule.selector) {
            if let Some((k, v)) = spec_row(row) {
                specs.entry(k).or_insert(v);
            }
        }
    }
    Found {
        title: first("title", &rules.title),
        brand: first("brand", &rules.brand),
        model: first("model", &rules.model),
        sku: first("sku", &rules.sku),
        price: price.as_ref().and_then(|p| p.to_price()),
        price_high: price.as_ref().and_then(|p| p.range_high),
        list_price: list_price.or_else(|| price.as_ref()?.to_list_price()),
        availability: first("availability", &rules.availability)
            .and_then(|a| availability_name(&a)),
        seller,
        category_path: all("category_path", &rules.category_path),
        description: first("description", &rules.description),
        images: images.into_iter().map(absolute).collect(),
        specs,
        ..Found::default()
    }
}

/// First cell → key, second → value (`<th>`/`<td>` or `<td>`/`<td>`, or `<dt>`/`<dd>`).
pub fn spec_row(row: ElementRef<'_>) -> Option<(String, String)> {
    let cells = Selector::parse("th, td, dt, dd").expect("static selector");
    let mut it = row.select(&cells);
    let key = element_text(it.next()?)?;
    let value = element_text(it.next()?)?;
    let key = key.trim_end_matches([':', '：']).trim().to_string();
    (!key.is_empty()).then_some((key, value))
}

/// `/seller/981` → `981`: the last path segment of a seller link.
pub(crate) fn seller_id_from_url(link: &str) -> Option<String> {
    let u = Url::parse(link).ok()?;
    let last = u.path_segments()?.rfind(|s| !s.is_empty())?;
    let id = last.trim_end_matches(".html");
    (!id.is_empty()).then(|| id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regex_takes_the_part_of_the_text_a_rule_needs() {
        let doc = Html::parse_document(
            r#"<div class="meta">上架时间：2026-11-01</div><div class="meta">货号：GN-H3050 | 库存 12</div>
               <a class="shop" href="/shop/8812.html">公牛官方旗舰店</a>"#,
        );
        let rules = SiteRules {
            sku: Some(r"div.meta =~ 货号[:：]\s*([\w-]+)".into()),
            ..Default::default()
        };
        rules.validate().unwrap();
        let url = Url::parse("https://shop.example/item/1.html").unwrap();
        let f = extract(&doc, &rules, &url, &PriceHint::none());
        assert_eq!(
            f.sku.as_deref(),
            Some("GN-H3050"),
            "the first element that matches"
        );
        let bad = SiteRules {
            sku: Some(r"div.meta =~ 货号(".into()),
            ..Default::default()
        };
        let e = bad.validate().unwrap_err().to_string();
        assert!(e.contains("sku") && e.contains("not a valid regex"), "{e}");
    }
}
