//! The last layer, for pages with no structured data and no site rules: the title `<h1>` (the
//! one matching the page `<title>`) as title, the visible price as the learnt ranker picks it
//! ([`crate::ranker`]), the first struck-through price-marked element as the list price, the
//! brand from a byline (`Brand: X`), breadcrumbs by class, and spec tables/definition lists
//! by class.

use super::price::{parse_price, ParsedPrice, PriceHint};
use super::rules::spec_row;
use super::{clean, element_text, Found};
use qsword_listing::Price;
use regex::Regex;
use scraper::{ElementRef, Html, Node, Selector};
use std::collections::BTreeMap;
use std::sync::LazyLock;
use url::Url;

/// Cap on the visible text handed to the mark scanner (bounds time on huge pages).
const MAX_TEXT_CHARS: usize = 400_000;

/// The heuristics layer. Without a `ranker`, no price is read (a layer above has one); list
/// prices still are.
pub fn extract(doc: &Html, hint: &PriceHint, ranker: Option<&crate::ranker::PriceRanker>) -> Found {
    let h1 = title_h1(doc);
    let title = h1
        .and_then(element_text)
        .or_else(|| first_text(doc, "title"));
    let (price, list_price) = prices(doc, hint, ranker);
    Found {
        title,
        price: price.as_ref().and_then(ParsedPrice::to_price),
        price_high: price.as_ref().and_then(|p| p.range_high),
        list_price: list_price.or_else(|| price.as_ref()?.to_list_price()),
        brand: byline_brand(doc),
        category_path: breadcrumbs(doc),
        specs: spec_tables(doc),
        ..Found::default()
    }
}

/// `Brand: X` in the languages of the shops crawled.
static BRAND_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:brand|marke|marque|marca|merk|marka|märke|бренд|品牌)\s*[:：]\s*(.{1,60})$",
    )
    .expect("static regex")
});
/// The brand from a byline by the title (an element whose id or class says `byline` or
/// `brand`): a labelled `Brand: X`. Bare text in such elements is not taken: "brand" classes
/// also mark logos, menus and carousels; nor a store link ("Visit the X Store"), whose wording
/// is one marketplace's and whose store is a seller's as often as a brand's.
fn byline_brand(doc: &Html) -> Option<String> {
    let sel = Selector::parse("[id*=byline], [class*=byline], [id*=brand], [class*=brand]")
        .expect("static selector");
    doc.select(&sel).take(200).find_map(|e| {
        let text = price_text(&e, false);
        let text = clean(&text)?;
        if text.chars().count() > 80 {
            return None;
        }
        let caps = BRAND_LABEL.captures(&text)?;
        clean(caps.get(1)?.as_str())
    })
}

fn first_text(doc: &Html, css: &str) -> Option<String> {
    let sel = Selector::parse(css).ok()?;
    doc.select(&sel).find_map(element_text)
}

/// Lower-cased words (letters and digits) of a text.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The `<h1>` that names the product: the first whose words are mostly in the page's
/// `<title>` or `og:title`, else the first `<h1>`. Shops put `<h1>`s in dialogs, upsell
/// boxes and related-item tiles before the real one, and the price follows the real one.
pub fn title_h1(doc: &Html) -> Option<ElementRef<'_>> {
    let h1 = Selector::parse("h1").expect("static selector");
    let titles = Selector::parse("title, meta[property='og:title']").expect("static selector");
    let title_words: Vec<String> = doc
        .select(&titles)
        .take(2)
        .flat_map(|t| {
            words(
                &t.value()
                    .attr("content")
                    .map_or_else(|| t.text().collect(), String::from),
            )
        })
        .collect();
    let mut first = None;
    for e in doc.select(&h1).take(100) {
        let w = words(&e.text().collect::<String>());
        if w.is_empty() {
            continue;
        }
        first.get_or_insert(e);
        let shared = w.iter().filter(|x| title_words.contains(x)).count();
        if shared * 2 > w.len() {
            return Some(e);
        }
    }
    first
}

fn marker(e: &ElementRef<'_>) -> String {
    let v = e.value();
    format!(
        "{} {} {}",
        v.attr("class").unwrap_or(""),
        v.attr("id").unwrap_or(""),
        v.attr("itemprop").unwrap_or("")
    )
    .to_ascii_lowercase()
}

fn is_struck(e: &ElementRef<'_>, mark: &str) -> bool {
    matches!(e.value().name(), "del" | "s" | "strike")
        || [
            "old", "orig", "was", "list", "market", "strike", "regular", "before", "line",
        ]
        .iter()
        .any(|w| mark.contains(w))
}

/// Whether a descendant of a price element is a struck-through (list) price inside it.
fn is_struck_part(e: &ElementRef<'_>) -> bool {
    let mark = marker(e);
    matches!(e.value().name(), "del" | "s" | "strike")
        || (mark.contains("price") && is_struck(e, &mark))
}

/// Nodes looked at per price element: a price is a few nodes deep, and the bound keeps pages
/// of nested price-marked containers linear.
const MAX_PRICE_NODES: usize = 256;

/// The text of a price element, optionally without the struck-through prices inside it (a box
/// holding `<s>144 990</s> 131 990` shows the price 131 990). Bounded: at most
/// [`MAX_PRICE_NODES`] nodes, 20 text nodes and about 400 bytes.
fn price_text(e: &ElementRef<'_>, skip_struck: bool) -> String {
    let mut out = String::new();
    let mut stack: Vec<_> = e.children().collect();
    stack.reverse();
    let (mut visited, mut texts) = (0, 0);
    while let Some(node) = stack.pop() {
        visited += 1;
        if visited > MAX_PRICE_NODES || texts >= 20 || out.len() > 400 {
            break;
        }
        match node.value() {
            Node::Text(t) => {
                out.push_str(t);
                texts += 1;
            }
            Node::Element(_) => {
                if skip_struck && ElementRef::wrap(node).is_some_and(|c| is_struck_part(&c)) {
                    continue;
                }
                let at = stack.len();
                stack.extend(node.children());
                stack[at..].reverse();
            }
            _ => {}
        }
    }
    out
}

/// The visible price as the learnt ranker picks it ([`crate::ranker`]); and the first
/// struck-through price-marked element as the list price.
fn prices(
    doc: &Html,
    hint: &PriceHint,
    ranker: Option<&crate::ranker::PriceRanker>,
) -> (Option<ParsedPrice>, Option<Price>) {
    let paid = ranker.and_then(|r| crate::ranker::visible_price(doc, hint, r));
    (paid, list_price(doc, hint))
}

/// The first struck-through price-marked element whose text holds a price with a currency.
fn list_price(doc: &Html, hint: &PriceHint) -> Option<Price> {
    for node in doc.root_element().descendants().take(200_000) {
        let Some(e) = ElementRef::wrap(node) else {
            continue;
        };
        let mark = marker(&e);
        let struck_tag = matches!(e.value().name(), "del" | "s" | "strike");
        if !mark.contains("price") && !mark.contains("jiage") && !struck_tag {
            continue;
        }
        if !is_struck(&e, &mark) {
            continue;
        }
        let text = price_text(&e, false);
        if text.len() > 200 {
            continue; // a container, not a price
        }
        let parsed =
            parse_price(&text, hint).filter(|p| p.currency_text.is_some() || p.currency.is_some());
        if let Some(p) = parsed {
            return p.to_price();
        }
    }
    None
}

/// Amounts the page shows in price-marked elements (struck-through parts left out), for
/// checking a structured price against what the buyer sees.
pub fn shown_amounts(doc: &Html, hint: &PriceHint) -> Vec<rust_decimal::Decimal> {
    let mut out = Vec::new();
    for node in doc.root_element().descendants().take(200_000) {
        let Some(e) = ElementRef::wrap(node) else {
            continue;
        };
        let mark = marker(&e);
        if !(mark.contains("price") || mark.contains("jiage")) || is_struck(&e, &mark) {
            continue;
        }
        let text = price_text(&e, true);
        if text.len() <= 200 {
            if let Some(p) = parse_price(&text, hint) {
                out.push(p.amount);
                if out.len() >= 500 {
                    break;
                }
            }
        }
    }
    out
}

fn breadcrumbs(doc: &Html) -> Vec<String> {
    let sel = Selector::parse(
        "[class*=breadcrumb], [id*=breadcrumb], [class*=crumb], [class*=Breadcrumb], nav[aria-label*=readcrumb]",
    )
    .expect("static selector");
    let links = Selector::parse("a, li").expect("static selector");
    for container in doc.select(&sel) {
        let mut items: Vec<String> = Vec::new();
        for e in container.select(&links) {
            if let Some(t) = element_text(e) {
                if items.last() != Some(&t) && t.chars().count() < 60 {
                    items.push(t);
                }
            }
        }
        // `li > a` yields both the li and the a: keep distinct texts only.
        items.dedup();
        let mut unique = Vec::new();
        for t in items {
            if !unique.contains(&t) {
                unique.push(t);
            }
        }
        if !unique.is_empty() {
            return unique;
        }
    }
    vec![]
}

fn spec_tables(doc: &Html) -> BTreeMap<String, String> {
    let sel = Selector::parse(
        "table[class*=spec] tr, table[class*=param] tr, table[class*=attr] tr, table[id*=spec] tr, \
         dl[class*=spec], dl[class*=param], table[class*=detail] tr, [class*=spec] table tr, \
         [class*=param] table tr",
    )
    .expect("static selector");
    let dt = Selector::parse("dt").expect("static selector");
    let mut out = BTreeMap::new();
    for row in doc.select(&sel).take(500) {
        if row.value().name() == "dl" {
            for term in row.select(&dt) {
                let value = term
                    .next_siblings()
                    .filter_map(ElementRef::wrap)
                    .find(|s| s.value().name() == "dd")
                    .and_then(element_text);
                if let (Some(k), Some(v)) = (element_text(term), value) {
                    out.entry(k.trim_end_matches([':', '：']).to_string())
                        .or_insert(v);
                }
            }
        } else if let Some((k, v)) = spec_row(row) {
            out.entry(k).or_insert(v);
        }
    }
    out
}

/// The page's visible text (no scripts or styles), whitespace collapsed, bounded in size.
pub fn visible_text(doc: &Html) -> String {
    let mut out = String::new();
    for node in doc.root_element().descendants() {
        if let Node::Text(t) = node.value() {
            let hidden = node
                .parent()
                .and_then(|p| p.value().as_element().map(|e| e.name().to_string()))
                .is_some_and(|n| {
                    matches!(n.as_str(), "script" | "style" | "noscript" | "template")
                });
            if !hidden {
                out.push_str(t);
                out.push(' ');
                if out.len() > MAX_TEXT_CHARS {
                    break;
                }
            }
        }
    }
    clean(&out).unwrap_or_default()
}

/// Path words after which shops put the product's id: "product"/"item"/"goods" in several
/// languages, and the short forms `p`, `pd`, `prod` and `dp` ("detail page": the one word here
/// that comes from a single marketplace, used across its twenty-odd country sites). The
/// segment after one of them is taken only when it is an opaque id.
const PRODUCT_WORDS: &[&str] = &[
    "p", "pd", "dp", "prod", "product", "products", "item", "items", "goods", "deal", "detail",
    "details", "artikel", "article", "produkt", "produit", "producto", "prodotto", "produto",
    "offer", "listing", "sku",
];

/// An opaque id: one token of ASCII letters and digits with at least one digit (`3454863898`,
/// `B01GOH7PKA`), not a slug of words (`holodilnik-beko-rcsk`) nor a plain word.
fn opaque_id(s: &str) -> bool {
    (5..=24).contains(&s.len())
        && s.chars().all(|c| c.is_ascii_alphanumeric())
        && s.chars().any(|c| c.is_ascii_digit())
}

/// The product id a URL carries, by principles that hold across shops: a query key named
/// like a product id (`?pid=260591`, `?productId=…`, `?sku=…`); an opaque id right after a
/// product path word (`/dp/B01GOH7PKA`, `/p/A1B2C3D4`, `/deal/3454863898`); a last path
/// segment that is a number (`/item/42.html`, `/Prod/101693/`), or a slug of words ending in
/// a long number (`/blue-kettle-1609583.html`: the slug is for people, the number for the
/// shop's database). Letters glued to a number (`p400105394`) are not read: whether the
/// letter is part of the id differs from shop to shop.
pub fn product_id_from_url(url: &Url) -> Option<String> {
    const KEYS: &[&str] = &[
        "pid",
        "productid",
        "product_id",
        "itemid",
        "item_id",
        "goodsid",
        "goods_id",
        "sku",
        "skuid",
        "id",
    ];
    for (k, v) in url.query_pairs() {
        let ok = !v.is_empty()
            && v.len() <= 40
            && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if ok
            && v.chars().any(|c| c.is_ascii_digit())
            && KEYS.contains(&k.to_ascii_lowercase().as_str())
        {
            return Some(v.into_owned());
        }
    }
    let segments: Vec<&str> = url.path_segments()?.filter(|s| !s.is_empty()).collect();
    let stem = |s: &str| s.split('.').next().unwrap_or(s).to_string();
    for pair in segments.windows(2) {
        let id = stem(pair[1]);
        if PRODUCT_WORDS.contains(&pair[0].to_ascii_lowercase().as_str()) && opaque_id(&id) {
            return Some(id);
        }
    }
    let last = stem(segments.last()?);
    if !last.is_empty() && last.len() <= 24 && last.chars().all(|c| c.is_ascii_digit()) {
        return Some(last);
    }
    // `words-of-the-name-1609583`: at least one word of letters, then a number of 5+ digits.
    let (words, number) = last.rsplit_once(['-', '_'])?;
    let is_number = (5..=24).contains(&number.len()) && number.chars().all(|c| c.is_ascii_digit());
    let has_word = words
        .split(['-', '_'])
        .any(|w| w.len() >= 2 && w.chars().all(|c| c.is_alphabetic()));
    (is_number && has_word).then(|| number.to_string())
}

#[cfg(test)]
mod tests {
    use super::product_id_from_url;
    use url::Url;

    fn id(u: &str) -> Option<String> {
        product_id_from_url(&Url::parse(u).unwrap())
    }

    #[test]
    fn product_ids_in_urls() {
        assert_eq!(
            id("http://127.0.0.2:8080/item/1001.html").as_deref(),
            Some("1001")
        );
        assert_eq!(
            id("https://www.amazon.com/dp/B01GOH7PKA").as_deref(),
            Some("B01GOH7PKA")
        );
        assert_eq!(
            id("https://www.ebay.ca/itm/123808916008").as_deref(),
            Some("123808916008")
        );
        assert_eq!(
            id("https://shop.example/store/1?pid=260591").as_deref(),
            Some("260591")
        );
        assert_eq!(
            id("https://shop.example/item/Some-Title-Words/123808916008").as_deref(),
            Some("123808916008")
        );
        assert_eq!(
            id("https://shop.example/pots/taller-tr-1047-1609583.html").as_deref(),
            Some("1609583")
        );
        assert_eq!(id("https://shop.example/shirt-p400105394.html"), None);
        assert_eq!(
            id("https://shop.example/tv-55-2021"),
            None,
            "a year is no id"
        );
        assert_eq!(id("https://shop.example/product/blue-kettle"), None);
        assert_eq!(id("https://shop.example/category/toys?page=2"), None);
    }
}
