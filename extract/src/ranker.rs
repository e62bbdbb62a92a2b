//! A learnt ranker for the visible price of pages without structured data.
//!
//! Candidates are the page's small elements and text nodes whose text parses as a price
//! ([`parse_price`] with the page's [`PriceHint`]). Each is described by features meant to
//! transfer across shops: where it sits relative to the title `<h1>` and to the buy button,
//! price-ish words in its class/id/itemprop, emphasis, strike-through and "was" labels,
//! related-item containers, links, forms, repetition of the amount, currency agreement and
//! magnitude among the other candidates. A logistic regression (trained offline with linfa,
//! applied here as a dot product) scores them; the best one is the price when its score
//! clears a threshold tuned on the training pages, else the page shows no price.
//!
//! It is not a parser (amounts come from [`parse_price`]), holds no site names or
//! site-specific class names, and does not read structured data: that is the layers above.
//! Training is distant supervision ([`train`]): a candidate is positive when its amount is
//! the page's known price (annotated, else the JSON-LD/microdata one).
//!
//! Work is bounded for hostile pages: [`MAX_NODES`] nodes walked, [`MAX_CANDIDATES`]
//! candidates, [`MAX_TEXT`] characters of text per candidate.

use crate::heuristics::title_h1;
use crate::price::{parse_price, ParsedPrice, PriceHint};
use crate::{DecodedPage, Found};
use rust_decimal::Decimal;
use scraper::{ElementRef, Html, Node};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use url::Url;

/// Nodes walked per page.
pub const MAX_NODES: usize = 200_000;
/// Candidates kept per page (the first ones in document order).
pub const MAX_CANDIDATES: usize = 3_000;
/// Characters of an element's text read for a candidate; longer text is a container.
pub const MAX_TEXT: usize = 64;
/// Nodes read for one element's text.
const MAX_TEXT_NODES: usize = 24;
/// `parse_price` calls per page (each is cheap, but a hostile page has many digits).
const MAX_PARSES: usize = 20_000;

/// The features, in the model's order.
pub const FEATURES: [&str; 40] = [
    "after_h1",
    "no_h1",
    "h1_distance",
    "h1_rank",
    "first_currency_after_h1",
    "first_marked_after_h1",
    "buy_distance",
    "before_buy",
    "price_mark_self",
    "price_mark_near",
    "sale_mark",
    "emphasis",
    "heading",
    "struck",
    "struck_mark",
    "was_context",
    "paid_context",
    "unit_context",
    "shipping_context",
    "save_context",
    "repeats",
    "has_currency",
    "currency_agrees",
    "currency_conflicts",
    "is_max",
    "is_min",
    "log_ratio_median",
    "in_form",
    "in_related",
    "in_link",
    "in_chrome",
    "hidden",
    "depth",
    "text_length",
    "letters",
    "order",
    "text_node",
    "in_button",
    "currency_beside",
    "struck_price_mark",
];

/// One price candidate of a page.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub parsed: ParsedPrice,
    pub features: Vec<f64>,
    /// Struck through (a list price, not the paid one).
    pub struck: bool,
    /// Its element's class says price and old/was/list: the paid price only when no other
    /// candidate is good enough.
    pub struck_marked: bool,
}

/// The shipped model's file.
const SHIPPED_JSON: &str = include_str!("../data/price_ranker.json");

/// A linear model over [`FEATURES`], standardised; see the module docs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceRanker {
    pub features: Vec<String>,
    pub mean: Vec<f64>,
    pub scale: Vec<f64>,
    pub weights: Vec<f64>,
    pub intercept: f64,
    /// Below this score (log-odds) the page shows no price.
    pub threshold: f64,
    /// What it was trained on (pages, candidates, positives), for the record.
    #[serde(default)]
    pub trained_on: TrainedOn,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainedOn {
    pub pages: usize,
    pub candidates: usize,
    pub positives: usize,
}

impl Default for PriceRanker {
    fn default() -> Self {
        PriceRanker::shipped()
    }
}

impl PriceRanker {
    /// The model in `extract/data/price_ranker.json`.
    pub fn shipped() -> PriceRanker {
        let r: PriceRanker = serde_json::from_str(SHIPPED_JSON).expect("shipped price ranker");
        assert_eq!(r.features, FEATURES, "shipped ranker's features");
        r
    }

    /// The log-odds that a candidate is the paid price.
    pub fn score(&self, features: &[f64]) -> f64 {
        let mut s = self.intercept;
        for (j, x) in features.iter().enumerate() {
            s += self.weights[j] * (x - self.mean[j]) / self.scale[j];
        }
        s
    }

    /// The best unstruck candidate and its score.
    pub fn best<'c>(&self, candidates: &'c [Candidate]) -> Option<(&'c Candidate, f64)> {
        let top = |marked: bool| {
            candidates
                .iter()
                .filter(|c| !c.struck && c.struck_marked == marked)
                .map(|c| (c, self.score(&c.features)))
                .fold(None, |best, (c, s)| match best {
                    Some((_, b)) if b >= s => best,
                    _ => Some((c, s)),
                })
        };
        // A price element that calls itself old/was is the list price beside a better one.
        top(false)
            .filter(|(_, s)| *s >= self.threshold)
            .or_else(|| top(true))
            .or_else(|| top(false))
    }

    /// The page's visible price: the best candidate when it clears the threshold. Without a
    /// currency of its own it takes the one most candidates show.
    pub fn choose(&self, candidates: &[Candidate]) -> Option<ParsedPrice> {
        let (best, score) = self.best(candidates)?;
        if score < self.threshold {
            return None;
        }
        let mut chosen = best.parsed.clone();
        if chosen.currency.is_none() {
            let mut counts: HashMap<_, usize> = HashMap::new();
            for c in candidates.iter().filter_map(|c| c.parsed.currency) {
                *counts.entry(c).or_default() += 1;
            }
            chosen.currency = counts
                .into_iter()
                .max_by_key(|(c, n)| (*n, c.to_string()))
                .map(|(c, _)| c);
        }
        Some(chosen)
    }
}

const PRICE_WORDS: &[&str] = &[
    "pric", // price, pricing, prices "jiage", "价", "preis", "prix", "precio", "prezzo", "preco", "preço", "цена", "cena",
    "fiyat", "prijs", "pris", "hinta", "amount", "cost",
];
const SALE_WORDS: &[&str] = &[
    "sale", "current", "final", "now", "special", "offer", "deal", "actual", "promo", "buybox",
    "our", "selling",
];
const STRUCK_WORDS: &[&str] = &[
    "old",
    "was",
    "list",
    "regular",
    "before",
    "orig",
    "strike",
    "crossed",
    "rrp",
    "uvp",
    "compare",
    "retail",
    "msrp",
    "market",
    "previous",
    "line-through",
];
const RELATED_WORDS: &[&str] = &[
    "related",
    "recommend",
    "carousel",
    "similar",
    "also",
    "upsell",
    "cross",
    "sponsor",
    "recent",
    "viewed",
    "suggest",
    "slider",
    "swiper",
    "bundle",
    "accessor",
    "rec-",
    "猜你喜欢",
    "推荐",
    "tile",
    "teaser",
];
const CHROME_TAGS: &[&str] = &["header", "nav", "footer", "aside", "menu"];
const CHROME_WORDS: &[&str] = &["header", "footer", "navbar", "menu", "cookie", "banner"];
const BUY_WORDS: &[&str] = &[
    "cart",
    "basket",
    "buy",
    "bag",
    "购买",
    "购物车",
    "warenkorb",
    "kaufen",
    "panier",
    "acheter",
    "carrito",
    "comprar",
    "carrello",
    "acquista",
    "корзин",
    "купить",
    "košík",
    "koszyk",
    "kosár",
    "sepet",
    "winkelwagen",
    "ostoskori",
    "checkout",
    "장바구니",
    "구매",
    "カート",
    "سلة",
];
/// Labels of a list price before or in the candidate's text.
const WAS_WORDS: &[&str] = &[
    "was",
    "原价",
    "划线价",
    "市场价",
    "参考价",
    "uvp",
    "statt",
    "barré",
    "rrp",
    "list price",
    "regular",
    "antes",
    "consigliato",
    "старая",
    "before",
    "instead",
    "au lieu",
    "en lugar",
    "anstatt",
    "msrp",
    "retail",
    "typical",
    "original",
];
const PAID_WORDS: &[&str] = &[
    "price",
    "preis",
    "prix",
    "precio",
    "prezzo",
    "preço",
    "цена",
    "cena",
    "价格",
    "售价",
    "售價",
    "现价",
    "特价",
    "特價",
    "直購價",
    "优惠价",
    "優惠價",
    "到手",
    "券后",
    "now",
    "only",
    "jetzt",
    "nur",
    "maintenant",
    "ahora",
    "fiyat",
    "total",
];
const UNIT_WORDS: &[&str] = &[
    "/kg", "/ kg", "/l", "/ l", "/m", "/ m", "/100", "/ 100", "per ", "pro ", "/mo", "month",
    "monat", "mois", "mes", "/st", "期", "/月", "/pc", "each", "unit", " x ", "rate", "/ stk",
    "je ",
];
const SHIPPING_WORDS: &[&str] = &[
    "shipping",
    "delivery",
    "versand",
    "livraison",
    "envío",
    "envio",
    "spedizione",
    "доставка",
    "运费",
    "postage",
    "lieferung",
    "frete",
    "dostava",
    "doprava",
];
const SAVE_WORDS: &[&str] = &[
    "save",
    "économ",
    "sparen",
    "spare",
    "ahorr",
    "risparm",
    "%",
    "off",
    "省",
    "скидк",
    "discount",
    "rabatt",
    "remise",
    "coupon",
    "gutschein",
];

/// Flags a node inherits from its ancestors.
#[derive(Clone, Copy, Default)]
struct Ctx {
    depth: u16,
    /// Levels up to the nearest ancestor marked so (0 = this element; 255 = none).
    price_dist: u8,
    sale_dist: u8,
    struck_mark_dist: u8,
    emph_dist: u8,
    heading: bool,
    struck: bool,
    related: bool,
    link: bool,
    form: bool,
    chrome: bool,
    hidden: bool,
    button: bool,
    /// Inside the title `<h1>`: numbers there are the product's name (`230g`, `60337`).
    title: bool,
}

fn up(d: u8) -> u8 {
    d.saturating_add(1)
}

/// Raw per-candidate facts gathered in the walk; features are derived once all are known.
struct Raw {
    parsed: ParsedPrice,
    order: usize,
    ctx: Ctx,
    text: String,
    before: String,
    text_node: bool,
    /// The start of the next text (a currency printed after the amount, `2320 元`).
    after: String,
    /// The element showing it says both "price" and old/was/list… in its class or id.
    struck_marked: bool,
}

fn struck_tag(name: &str) -> bool {
    matches!(name, "del" | "s" | "strike")
}

fn struck_style(e: &scraper::node::Element) -> bool {
    e.attr("style")
        .is_some_and(|s| s.to_ascii_lowercase().contains("line-through"))
}

/// An element's text, struck-through descendants left out (unless it is struck itself);
/// `None` past [`MAX_TEXT`] characters or [`MAX_TEXT_NODES`] nodes.
fn small_text(e: ElementRef<'_>, keep_struck: bool) -> Option<String> {
    let mut out = String::new();
    let mut stack: Vec<_> = e.children().collect();
    stack.reverse();
    let mut visited = 0;
    while let Some(node) = stack.pop() {
        visited += 1;
        if visited > MAX_TEXT_NODES {
            return None;
        }
        match node.value() {
            Node::Text(t) => {
                out.push_str(t);
                if out.len() > MAX_TEXT * 4 || out.chars().count() > MAX_TEXT {
                    return None;
                }
            }
            Node::Element(el) => {
                if matches!(el.name(), "script" | "style" | "template") {
                    continue;
                }
                if !keep_struck && (struck_tag(el.name()) || struck_style(el)) {
                    continue;
                }
                let at = stack.len();
                stack.extend(node.children());
                stack[at..].reverse();
            }
            _ => {}
        }
    }
    Some(out)
}

/// A price element that calls itself old, was, list…: a list price unless nothing else is.
fn struck_marked(el: &scraper::node::Element) -> bool {
    let mut marks = [false; 7];
    for a in ["class", "id"] {
        if let Some(v) = el.attr(a) {
            for i in MARK_SET.matches(v).iter() {
                marks[i] = true;
            }
        }
    }
    marks[M_PRICE] && marks[M_STRUCK]
}

/// `040 245 430`, `+386 …`: a leading zero or plus before digits is a phone number.
fn phone_like(s: &str) -> bool {
    let b = s.as_bytes();
    (b.first() == Some(&b'+') && b.get(1).is_some_and(u8::is_ascii_digit))
        || (b.first() == Some(&b'0') && b.get(1).is_some_and(u8::is_ascii_digit))
}

/// A currency symbol or code as the last word before or the first word after an amount.
fn currency_beside(r: &Raw, hint: &PriceHint) -> bool {
    let last = r.before.split_whitespace().last().unwrap_or("");
    let first = r.after.split_whitespace().next().unwrap_or("");
    [last, first]
        .iter()
        .any(|w| !w.is_empty() && crate::price::currency_for_symbol(w, hint).is_some())
}

/// ASCII digits and letters in a text.
fn digits_letters(s: &str) -> (usize, usize) {
    s.chars().fold((0, 0), |(d, l), c| {
        (
            d + c.is_ascii_digit() as usize,
            l + c.is_alphabetic() as usize,
        )
    })
}

/// The last `n` bytes of `s` or a little more (whole characters).
fn tail(s: &str, n: usize) -> &str {
    let mut cut = s.len().saturating_sub(n);
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    &s[cut..]
}

/// Keeps the last `n` characters of `s`.
fn keep_tail(s: &mut String, n: usize) {
    let count = s.chars().count();
    if count > n {
        let cut = s.char_indices().nth(count - n).map_or(0, |(i, _)| i);
        s.drain(..cut);
    }
}

/// A case-insensitive regex matching any of the words (one search instead of one per word).
fn words_regex(words: &[&str]) -> regex::Regex {
    let alternatives: Vec<String> = words.iter().map(|w| regex::escape(w)).collect();
    regex::Regex::new(&format!("(?i){}", alternatives.join("|"))).expect("static regex")
}

/// The class/id/itemprop word lists, one set: which lists a marker hits, in one search.
static MARK_SET: std::sync::LazyLock<regex::RegexSet> = std::sync::LazyLock::new(|| {
    let lists: [&[&str]; 7] = [
        PRICE_WORDS,
        SALE_WORDS,
        STRUCK_WORDS,
        &["strike", "crossed", "line-through"],
        RELATED_WORDS,
        CHROME_WORDS,
        BUY_WORDS,
    ];
    regex::RegexSet::new(lists.iter().map(|l| words_regex(l).as_str().to_string()))
        .expect("static regex set")
});
const M_PRICE: usize = 0;
const M_SALE: usize = 1;
const M_STRUCK: usize = 2;
const M_STRIKE: usize = 3;
const M_RELATED: usize = 4;
const M_CHROME: usize = 5;
const M_BUY: usize = 6;

/// The text-context word lists: the text before and of a candidate.
static CONTEXT_SET: std::sync::LazyLock<regex::RegexSet> = std::sync::LazyLock::new(|| {
    let lists: [&[&str]; 4] = [WAS_WORDS, UNIT_WORDS, SHIPPING_WORDS, SAVE_WORDS];
    regex::RegexSet::new(lists.iter().map(|l| words_regex(l).as_str().to_string()))
        .expect("static regex set")
});
static PAID_RE: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| words_regex(PAID_WORDS));
static BUY_RE: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| words_regex(BUY_WORDS));

/// Ancestors a digit's text node climbs to find the element showing the whole price
/// (`<span>€</span><span>12</span><sup>44</sup>`).
const MAX_CLIMB: usize = 4;

/// The page's price candidates with their features.
///
/// One walk in document order; inherited flags come from tag names and, for the few
/// elements whose class/id/itemprop holds a listed word, from those. A text node with a digit
/// is a candidate, and so is the highest of its nearest ancestors whose whole text is still
/// short (the price as shown, currency and decimals in their own elements).
pub fn candidates(doc: &Html, hint: &PriceHint) -> Vec<Candidate> {
    let h1 = title_h1(doc).map(|e| e.id());
    let mut raws: Vec<Raw> = Vec::new();
    let mut h1_at: Option<usize> = None;
    let mut buys: Vec<usize> = Vec::new();
    let mut before = String::new();
    let mut parses = 0usize;
    let mut order = 0usize;
    // Elements already taken as a candidate, with the amount they showed.
    let mut taken: HashMap<usize, Option<Decimal>> = HashMap::new();
    // Candidates waiting for the text after them.
    let mut pending: Vec<usize> = Vec::new();
    let root = Ctx {
        price_dist: u8::MAX,
        sale_dist: u8::MAX,
        struck_mark_dist: u8::MAX,
        emph_dist: u8::MAX,
        ..Ctx::default()
    };
    let mut stack = vec![(*doc.root_element(), root)];
    let try_parse = |text: &str, parses: &mut usize| -> Option<ParsedPrice> {
        let t = text.trim();
        if t.is_empty() || t.chars().count() > MAX_TEXT || !t.chars().any(|c| c.is_ascii_digit()) {
            return None;
        }
        *parses += 1;
        if *parses > MAX_PARSES {
            return None;
        }
        parse_price(t, hint).filter(|p| p.amount > Decimal::ZERO)
    };
    while let Some((node, parent)) = stack.pop() {
        order += 1;
        if order > MAX_NODES || raws.len() >= MAX_CANDIDATES || parses > MAX_PARSES {
            break;
        }
        match node.value() {
            Node::Text(t) => {
                let trimmed = t.trim();
                if trimmed.is_empty() {
                    continue;
                }
                for i in pending.drain(..) {
                    let r: &mut Raw = &mut raws[i];
                    r.after = trimmed.chars().take(12).collect::<String>().to_lowercase();
                }
                let pushed = raws.len();
                if !parent.title
                    && trimmed.len() <= MAX_TEXT * 4
                    && trimmed.bytes().any(|b| b.is_ascii_digit())
                    && !phone_like(trimmed)
                {
                    let lower_before = before.to_lowercase();
                    // The highest short ancestor, not past a struck-through one.
                    let mut best: Option<(usize, &scraper::node::Element, String)> = None;
                    let own = digits_letters(trimmed);
                    let own_parsed = try_parse(trimmed, &mut parses);
                    // Letters an ancestor may add: a currency code the text lacks (`12` +
                    // `EUR`), not a label (`Was` + `£44.95`).
                    let letters = if own_parsed
                        .as_ref()
                        .is_some_and(|p| p.currency_text.is_some())
                    {
                        0
                    } else {
                        3
                    };
                    let mut anc = node.parent();
                    for _ in 0..MAX_CLIMB {
                        let Some(a) = anc else { break };
                        let Some(e) = ElementRef::wrap(a) else { break };
                        if matches!(e.value().name(), "body" | "html") {
                            break;
                        }
                        let Some(text) = small_text(e, parent.struck) else {
                            break;
                        };
                        // Another number or words beside it ("$200 2 bids") is no longer
                        // the price as shown; decimals or a currency code in their own
                        // element are.
                        let (d, l) = digits_letters(&text);
                        if d > own.0 + 2 || l > own.1 + letters {
                            break;
                        }
                        // The node's address identifies it for as long as the tree lives.
                        best = Some((std::ptr::from_ref(a.value()) as usize, e.value(), text));
                        if struck_tag(e.value().name()) || struck_style(e.value()) {
                            break;
                        }
                        anc = a.parent();
                    }
                    let mut shown: Option<Decimal> = None;
                    // The element's text is this text: one candidate, one parse.
                    let same = best.as_ref().is_some_and(|(_, _, t)| t.trim() == trimmed);
                    if let Some((a, anc_el, text)) = best {
                        if let Some(prev) = taken.get(&a) {
                            shown = *prev;
                        } else {
                            let parsed = if same {
                                own_parsed.clone()
                            } else {
                                try_parse(&text, &mut parses)
                            };
                            shown = parsed.as_ref().map(|p| p.amount);
                            taken.insert(a, shown);
                            if let Some(parsed) = parsed {
                                raws.push(Raw {
                                    parsed,
                                    order,
                                    ctx: parent,
                                    text: text.trim().to_lowercase(),
                                    before: lower_before.clone(),
                                    text_node: false,
                                    after: String::new(),
                                    struck_marked: struck_marked(anc_el),
                                });
                            }
                        }
                    }
                    if let Some(parsed) = own_parsed.filter(|_| !same) {
                        if shown != Some(parsed.amount) {
                            raws.push(Raw {
                                parsed,
                                order,
                                ctx: parent,
                                text: trimmed.to_lowercase(),
                                before: lower_before,
                                text_node: true,
                                after: String::new(),
                                struck_marked: node
                                    .parent()
                                    .and_then(|p| p.value().as_element())
                                    .is_some_and(struck_marked),
                            });
                        }
                    }
                }
                pending.extend(pushed..raws.len());
                before.push(' ');
                before.push_str(tail(trimmed, 200));
                keep_tail(&mut before, 48);
            }
            Node::Element(el) => {
                let name = el.name();
                if matches!(
                    name,
                    "script"
                        | "style"
                        | "noscript"
                        | "template"
                        | "head"
                        | "svg"
                        | "select"
                        | "textarea"
                        | "iframe"
                        | "option"
                ) {
                    continue;
                }
                // One pass over the attributes (lookups by name would each scan them).
                let mut marks = [false; 7];
                let (mut tel, mut hidden, mut style) = (false, false, None);
                let (mut value, mut action) = ("", "");
                for (k, v) in el.attrs() {
                    match k {
                        // Most markers hit no list: `is_match` stops early, `matches` not.
                        "class" | "id" | "itemprop" if MARK_SET.is_match(v) => {
                            for i in MARK_SET.matches(v).iter() {
                                marks[i] = true;
                            }
                        }
                        "style" => style = Some(v),
                        "href" => tel = v.starts_with("tel:"),
                        "hidden" => hidden = true,
                        "aria-hidden" => hidden |= v == "true",
                        "value" => value = v,
                        "action" => action = v,
                        _ => {}
                    }
                }
                if tel {
                    continue; // a phone number, not a price
                }
                let is_h1 = Some(node.id()) == h1;
                if is_h1 {
                    h1_at = Some(order);
                }
                let mut ctx = parent;
                ctx.depth = parent.depth.saturating_add(1);
                ctx.price_dist = if marks[M_PRICE] {
                    0
                } else {
                    up(parent.price_dist)
                };
                ctx.sale_dist = if marks[M_SALE] {
                    0
                } else {
                    up(parent.sale_dist)
                };
                ctx.struck_mark_dist = if marks[M_STRUCK] {
                    0
                } else {
                    up(parent.struck_mark_dist)
                };
                // "strike" and the like say what the text looks like: struck through.
                ctx.struck |= marks[M_STRIKE];
                ctx.related |= marks[M_RELATED];
                ctx.chrome |= marks[M_CHROME];
                let mut buy = marks[M_BUY];
                let mut emph = matches!(name, "b" | "strong" | "em" | "h2" | "h3" | "h4");
                if let Some(style) = style {
                    let style = style.to_ascii_lowercase();
                    emph |= style.contains("bold") || style.contains("font-size");
                    ctx.struck |= style.contains("line-through");
                    ctx.hidden |= style.replace(' ', "").contains("display:none");
                }
                ctx.emph_dist = if emph { 0 } else { up(parent.emph_dist) };
                ctx.heading |= matches!(name, "h2" | "h3" | "h4");
                ctx.struck |= struck_tag(name);
                ctx.link |= name == "a";
                ctx.form |= name == "form";
                ctx.button |= name == "button";
                ctx.chrome |= CHROME_TAGS.contains(&name);
                ctx.hidden |= hidden;
                ctx.title |= is_h1;
                if !buy && name == "button" {
                    buy = ElementRef::wrap(node)
                        .and_then(|e| small_text(e, true))
                        .is_some_and(|t| BUY_RE.is_match(&t));
                }
                if !buy && matches!(name, "input" | "form") {
                    buy = BUY_RE.is_match(value) || BUY_RE.is_match(action);
                }
                if buy && buys.len() < 200 {
                    buys.push(order);
                }
                let at = stack.len();
                stack.extend(node.children().map(|c| (c, ctx)));
                stack[at..].reverse();
            }
            _ => {}
        }
    }
    features(raws, h1_at, &buys, order, hint)
}

fn features(
    raws: Vec<Raw>,
    h1_at: Option<usize>,
    buys: &[usize],
    nodes: usize,
    hint: &PriceHint,
) -> Vec<Candidate> {
    let mut counts: HashMap<Decimal, usize> = HashMap::new();
    for r in &raws {
        *counts.entry(r.parsed.amount.normalize()).or_default() += 1;
    }
    let has_cur = |r: &Raw| r.parsed.currency_text.is_some();
    let mut amounts: Vec<f64> = raws
        .iter()
        .filter(|r| has_cur(r) && !r.ctx.struck)
        .filter_map(|r| r.parsed.amount.to_string().parse().ok())
        .collect();
    if amounts.is_empty() {
        amounts = raws
            .iter()
            .filter_map(|r| r.parsed.amount.to_string().parse().ok())
            .collect();
    }
    amounts.sort_by(f64::total_cmp);
    let (min, max) = (
        amounts.first().copied().unwrap_or(0.0),
        amounts.last().copied().unwrap_or(0.0),
    );
    let median = amounts.get(amounts.len() / 2).copied().unwrap_or(1.0);
    let first_buy_after = buys.iter().copied().find(|b| h1_at.is_none_or(|h| *b > h));
    let near = |d: u8, n: u8| (d <= n) as u8 as f64;
    let total = raws.len().max(1) as f64;
    let mut first_cur_done = false;
    let mut first_marked_done = false;
    let mut cur_after = 0usize;
    let mut out = Vec::with_capacity(raws.len());
    for (i, r) in raws.iter().enumerate() {
        let after = h1_at.is_some_and(|h| r.order > h);
        let c = &r.ctx;
        let amount: f64 = r.parsed.amount.to_string().parse().unwrap_or(0.0);
        let cur = has_cur(r);
        let first_cur = after && cur && !c.struck && !first_cur_done;
        first_cur_done |= first_cur;
        let marked = c.price_dist <= 2;
        let first_marked = after && marked && !c.struck && !first_marked_done;
        first_marked_done |= first_marked;
        let h1_rank = if after {
            let k = cur_after;
            cur_after += cur as usize;
            k
        } else {
            // Candidates between this one and the h1.
            raws[i + 1..]
                .iter()
                .take_while(|o| h1_at.is_some_and(|h| o.order < h))
                .filter(|o| has_cur(o))
                .count()
        };
        let buy_distance = buys
            .iter()
            .map(|b| b.abs_diff(r.order))
            .min()
            .map_or(1.0, |d| ((d as f64).ln_1p() / 10.0).min(1.0));
        // The label right before the amount: the text since the last number.
        let label = r
            .before
            .rfind(|c: char| c.is_ascii_digit())
            .map_or(r.before.as_str(), |i| &r.before[i + 1..]);
        let context = format!("{label} {}", r.text);
        let hits = CONTEXT_SET.matches(&context);
        let context_hits = [0, 1, 2, 3].map(|i| hits.matched(i));
        let letters = r.text.chars().filter(|ch| ch.is_alphabetic()).count();
        let cur_agrees = match (r.parsed.currency, hint.default_currency) {
            (Some(a), Some(b)) => (a == b) as u8 as f64,
            _ => 0.0,
        };
        let cur_conflicts = match (r.parsed.currency, hint.default_currency) {
            (Some(a), Some(b)) => (a != b) as u8 as f64,
            _ => 0.0,
        };
        let f = vec![
            after as u8 as f64,
            h1_at.is_none() as u8 as f64,
            h1_at.map_or(0.0, |h| (h.abs_diff(r.order) as f64).ln_1p() / 10.0),
            (h1_rank as f64).ln_1p() / 5.0,
            first_cur as u8 as f64,
            first_marked as u8 as f64,
            buy_distance,
            (after && first_buy_after.is_some_and(|b| r.order < b)) as u8 as f64,
            (c.price_dist == 0) as u8 as f64,
            near(c.price_dist, 3),
            near(c.sale_dist, 3),
            near(c.emph_dist, 2),
            c.heading as u8 as f64,
            c.struck as u8 as f64,
            near(c.struck_mark_dist, 2),
            context_hits[0] as u8 as f64,
            PAID_RE.is_match(label) as u8 as f64,
            context_hits[1] as u8 as f64,
            context_hits[2] as u8 as f64,
            context_hits[3] as u8 as f64,
            ((counts[&r.parsed.amount.normalize()] - 1) as f64).ln_1p() / 3.0,
            cur as u8 as f64,
            cur_agrees,
            cur_conflicts,
            (cur && amount >= max) as u8 as f64,
            (cur && amount <= min) as u8 as f64,
            if median > 0.0 && amount > 0.0 {
                (amount / median).ln().clamp(-3.0, 3.0) / 3.0
            } else {
                0.0
            },
            c.form as u8 as f64,
            c.related as u8 as f64,
            c.link as u8 as f64,
            c.chrome as u8 as f64,
            c.hidden as u8 as f64,
            (c.depth as f64 / 50.0).min(2.0),
            (r.text.chars().count() as f64 / MAX_TEXT as f64).min(1.0),
            (letters as f64 / 20.0).min(1.0),
            i as f64 / total,
            r.text_node as u8 as f64,
            c.button as u8 as f64,
            (!cur && currency_beside(r, hint)) as u8 as f64,
            r.struck_marked as u8 as f64,
        ];
        debug_assert_eq!(f.len(), FEATURES.len());
        let _ = nodes;
        out.push(Candidate {
            parsed: r.parsed.clone(),
            features: f,
            struck: c.struck || r.parsed.amount.is_zero(),
            struck_marked: r.struck_marked,
        });
    }
    out
}

/// The heuristics layer's price: the ranker's choice.
pub fn visible_price(doc: &Html, hint: &PriceHint, ranker: &PriceRanker) -> Option<ParsedPrice> {
    ranker.choose(&candidates(doc, hint))
}

/// What a training page's price is known to be.
#[derive(Debug, Clone, PartialEq)]
pub enum Known {
    /// The price (any one of these amounts).
    Amounts(Vec<Decimal>),
    /// The page shows no price.
    NoPrice,
    /// Not known: the page's JSON-LD/microdata price stands in, if any.
    Unknown,
}

/// A page to learn from.
#[derive(Debug, Clone)]
pub struct TrainingPage {
    pub page: DecodedPage,
    pub url: Url,
    pub known: Known,
}

/// Catalogue products of the simulated market whose product pages the ranker learns from,
/// beside the corpus: one number for the evaluation and `examples/train_ranker.rs` alike.
pub const SIM_PRODUCTS: usize = 10;

impl TrainingPage {
    /// A page whose price the buyer pays is known (the simulator's truth); `None` for an
    /// unparsable URL.
    pub fn priced(
        body: &[u8],
        content_type: &str,
        url: &str,
        price: rust_decimal::Decimal,
    ) -> Option<TrainingPage> {
        Some(TrainingPage {
            page: crate::decode_html(body, Some(content_type)),
            url: Url::parse(url).ok()?,
            known: Known::Amounts(vec![price]),
        })
    }
}

/// One page's candidates as training rows: features and whether the amount is the price.
#[derive(Debug, Clone, Default)]
pub struct PageRows {
    pub rows: Vec<(Vec<f64>, bool)>,
    /// Whether the page has a known price (else every candidate is negative).
    pub priced: bool,
}

/// The rows of a page (memoised by content: leave-one-site-out trains many times on the same
/// pages).
pub fn page_rows(p: &TrainingPage) -> std::sync::Arc<PageRows> {
    use std::hash::{Hash, Hasher};
    static CACHE: std::sync::LazyLock<std::sync::Mutex<HashMap<u64, std::sync::Arc<PageRows>>>> =
        std::sync::LazyLock::new(Default::default);
    let mut h = std::collections::hash_map::DefaultHasher::new();
    p.url.as_str().hash(&mut h);
    p.page.html.hash(&mut h);
    format!("{:?}", p.known).hash(&mut h);
    let key = h.finish();
    if let Some(r) = CACHE.lock().expect("cache lock").get(&key) {
        return r.clone();
    }
    let rows = std::sync::Arc::new(compute_rows(p));
    CACHE.lock().expect("cache lock").insert(key, rows.clone());
    rows
}

fn compute_rows(p: &TrainingPage) -> PageRows {
    let doc = crate::parse_page(&p.page);
    let hint = crate::page_hint(&doc, &p.url);
    let known: Vec<Decimal> = match &p.known {
        Known::Amounts(a) => a.clone(),
        Known::NoPrice => vec![],
        Known::Unknown => structured_price(&doc, &hint, &p.url).into_iter().collect(),
    };
    let known: Vec<Decimal> = known.iter().map(|d| d.normalize()).collect();
    let cands = candidates(&doc, &hint);
    let rows: Vec<(Vec<f64>, bool)> = cands
        .into_iter()
        .filter(|c| !c.struck)
        .map(|c| {
            let pos = known.contains(&c.parsed.amount.normalize());
            (c.features, pos)
        })
        .collect();
    PageRows {
        priced: !known.is_empty(),
        rows,
    }
}

/// The JSON-LD or microdata price of a page, for pages without an annotation.
fn structured_price(doc: &Html, hint: &PriceHint, url: &Url) -> Option<Decimal> {
    let anchor = crate::Anchor {
        h1: None,
        path: url.path().to_string(),
    };
    let f: Found = crate::jsonld::extract(doc, hint, &anchor);
    f.price
        .or_else(|| crate::microdata::extract(doc, hint, &anchor).price)
        .map(|p| p.amount)
}

/// Negatives kept per page (evenly spaced), so pages with thousands of prices (carousels) do
/// not outweigh the rest.
#[cfg(feature = "train")]
const MAX_NEGATIVES: usize = 300;

#[cfg(feature = "train")]
/// Trains the ranker on pages (see the module docs). Pages with a known price none of whose
/// candidates shows teach nothing about ranking and are left out.
pub fn train(pages: &[TrainingPage]) -> PriceRanker {
    let rows: Vec<std::sync::Arc<PageRows>> = pages.iter().map(page_rows).collect();
    let refs: Vec<&PageRows> = rows.iter().map(|r| r.as_ref()).collect();
    train_rows(&refs)
}

/// [`train`] on precomputed rows.
#[cfg(feature = "train")]
pub fn train_rows(pages: &[&PageRows]) -> PriceRanker {
    use linfa::prelude::*;
    use linfa_logistic::LogisticRegression;
    use ndarray::{Array1, Array2};

    let n = FEATURES.len();
    let usable: Vec<&PageRows> = pages
        .iter()
        .copied()
        .filter(|p| !p.priced || p.rows.iter().any(|r| r.1))
        .collect();
    let mut x: Vec<&[f64]> = Vec::new();
    let mut y: Vec<bool> = Vec::new();
    for p in &usable {
        let neg = p.rows.iter().filter(|r| !r.1).count();
        let stride = neg.div_ceil(MAX_NEGATIVES).max(1);
        let mut k = 0;
        for (f, pos) in &p.rows {
            if !pos {
                k += 1;
                if (k - 1) % stride != 0 {
                    continue;
                }
            }
            x.push(f);
            y.push(*pos);
        }
    }
    let rows = x.len();
    let mut mean = vec![0.0; n];
    let mut scale = vec![0.0; n];
    for f in &x {
        for j in 0..n {
            mean[j] += f[j] / rows.max(1) as f64;
        }
    }
    for f in &x {
        for j in 0..n {
            scale[j] += (f[j] - mean[j]).powi(2) / rows.max(1) as f64;
        }
    }
    let scale: Vec<f64> = scale
        .iter()
        .map(|v| if *v > 1e-12 { v.sqrt() } else { 1.0 })
        .collect();
    let mut xa = Array2::zeros((rows, n));
    for (i, f) in x.iter().enumerate() {
        for j in 0..n {
            xa[[i, j]] = (f[j] - mean[j]) / scale[j];
        }
    }
    let positives = y.iter().filter(|p| **p).count();
    let mut ranker = PriceRanker {
        features: FEATURES.iter().map(|f| f.to_string()).collect(),
        mean,
        scale,
        weights: vec![0.0; n],
        intercept: 0.0,
        threshold: f64::NEG_INFINITY,
        trained_on: TrainedOn {
            pages: usable.len(),
            candidates: rows,
            positives,
        },
    };
    if positives == 0 || positives == rows {
        ranker.threshold = 0.0;
        return ranker;
    }
    let data = Dataset::new(xa, Array1::from(y));
    // L2 penalty: a few hundred pages must not give one feature an absurd weight.
    let Ok(fitted) = LogisticRegression::default()
        .alpha(1.0)
        .max_iterations(300)
        .fit(&data)
    else {
        ranker.threshold = 0.0;
        return ranker;
    };
    let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
    ranker.weights = fitted.params().iter().map(|w| sign * w).collect();
    ranker.intercept = sign * fitted.intercept();
    ranker.threshold = tune_threshold(&ranker, &usable);
    ranker
}

/// The threshold that maximises price F1 over the training pages (the benchmark's rule: a
/// wrong answer is a FP and a FN; no answer on a priced page a FN).
#[cfg(feature = "train")]
fn tune_threshold(ranker: &PriceRanker, pages: &[&PageRows]) -> f64 {
    // (top score, right, priced) per page.
    let tops: Vec<(f64, bool, bool)> = pages
        .iter()
        .filter_map(|p| {
            let (f, pos) = p.rows.iter().map(|(f, pos)| (ranker.score(f), *pos)).fold(
                None,
                |best: Option<(f64, bool)>, (s, pos)| match best {
                    Some((b, _)) if b >= s => best,
                    _ => Some((s, pos)),
                },
            )?;
            Some((f, pos, p.priced))
        })
        .collect();
    let f1 = |t: f64| {
        let (mut tp, mut fp, mut fn_) = (0.0, 0.0, 0.0);
        for (s, right, priced) in &tops {
            if *s >= t {
                if *right {
                    tp += 1.0;
                } else {
                    fp += 1.0;
                    fn_ += *priced as u8 as f64;
                }
            } else {
                fn_ += *priced as u8 as f64;
            }
        }
        2.0 * tp / (2.0 * tp + fp + fn_).max(1.0)
    };
    let mut scores: Vec<f64> = tops.iter().map(|t| t.0).collect();
    scores.sort_by(f64::total_cmp);
    // Candidate thresholds halfway between adjacent top scores, and below all of them.
    let mut best = (
        f1(f64::NEG_INFINITY),
        scores.first().map_or(0.0, |s| s - 1.0),
    );
    for w in scores.windows(2) {
        let t = (w[0] + w[1]) / 2.0;
        let f = f1(t);
        if f > best.0 + 1e-12 {
            best = (f, t);
        }
    }
    best.1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chosen(html: &str) -> Option<String> {
        let url = Url::parse("https://kettles.example/p/acme-17").unwrap();
        let page = crate::decode_html(html.as_bytes(), Some("text/html; charset=utf-8"));
        let doc = crate::parse_page(&page);
        let hint = crate::page_hint(&doc, &url);
        PriceRanker::shipped()
            .choose(&candidates(&doc, &hint))
            .map(|p| p.amount.to_string())
    }

    /// A style none of the training shops uses, no structured data: a related-items carousel
    /// before the title, the struck "was" price before the paid one, related products after.
    #[test]
    fn prefers_the_paid_price_over_was_and_related_prices() {
        let html = r#"<html lang="en-GB"><head><title>Acme Kettle 1.7 L | Kettles</title></head>
          <body><header class="site-header"><a href="/basket">Basket (0)</a>
            <div class="promo-strip">Free delivery on orders over £40.00</div></header>
          <div class="carousel recently-viewed"><div class="card"><a href="/p/toaster">Acme
            Toaster</a><span class="price">£24.99</span></div><div class="card"><a href="/p/mug">Mug
            set</a><span class="price">£12.00</span></div></div>
          <main><h1>Acme Kettle 1.7 L</h1><p class="rating">4.6 (212 reviews)</p>
            <div class="buy-box"><div class="pricing"><span class="was">Was <del>£59.00</del></span>
              <strong class="now">£44.95</strong></div>
              <label>Qty <input type="number" name="qty" value="1"></label>
              <button class="add-to-basket">Add to basket</button></div>
            <section class="related-products"><h2>You may also like</h2><ul>
              <li><a href="/p/jug">Water jug</a> <span class="price">£19.50</span></li>
              <li><a href="/p/filter">Filters x3</a> <span class="price">£9.99</span></li>
              <li><a href="/p/big">Kettle XL</a> <span class="price">£79.00</span></li>
            </ul></section></main></body></html>"#;
        assert_eq!(chosen(html).as_deref(), Some("44.95"));
    }

    #[test]
    fn a_carousel_price_before_the_title_is_not_chosen() {
        let html = r#"<html lang="fr"><head><title>Lampe de bureau LED</title></head><body>
          <div class="slider recommandations"><div class="item"><a href="/p/9">Ampoule</a>
            <span class="prix">3,90 €</span></div></div>
          <h1>Lampe de bureau LED</h1>
          <div class="fiche"><span class="prix-produit">29,90 €</span>
          <button>Ajouter au panier</button></div></body></html>"#;
        assert_eq!(chosen(html).as_deref(), Some("29.90"));
    }

    #[test]
    fn a_hostile_page_stays_bounded() {
        let mut html = String::from("<html><body><h1>Many prices</h1>");
        for i in 0..100_000 {
            html.push_str(&format!("<span class=\"price\">${}.99</span>", i % 997));
        }
        html.push_str("</body></html>");
        let page = crate::decode_html(html.as_bytes(), None);
        let doc = crate::parse_page(&page);
        let started = std::time::Instant::now();
        let c = candidates(&doc, &PriceHint::none());
        assert!(c.len() <= MAX_CANDIDATES, "{}", c.len());
        assert!(!c.is_empty());
        // Generous for debug builds on a loaded machine; unbounded work took minutes.
        assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    }

    #[test]
    fn the_shipped_model_loads_with_every_feature() {
        let r = PriceRanker::shipped();
        assert_eq!(r.features.len(), FEATURES.len());
        assert_eq!(r.weights.len(), FEATURES.len());
        assert_eq!(r.mean.len(), FEATURES.len());
        assert!(r.scale.iter().all(|s| *s > 0.0));
        assert!(r.threshold.is_finite());
        assert!(r.trained_on.pages > 100, "{:?}", r.trained_on);
    }

    #[test]
    fn training_learns_the_price_from_a_few_pages() {
        let page = |price: &str, other: &str| TrainingPage {
            page: crate::decode_html(
                format!(
                    "<html lang=\"en-US\"><body><div class=\"recs\"><span>${other}</span></div>\
                     <h1>Thing</h1><span class=\"price\">${price}</span>\
                     <button>Add to cart</button></body></html>"
                )
                .as_bytes(),
                None,
            ),
            url: Url::parse("https://a.example/p/1").unwrap(),
            known: Known::Amounts(vec![price.parse().unwrap()]),
        };
        let pages: Vec<TrainingPage> = (1..30)
            .map(|i| page(&format!("{i}.50"), &format!("{}.25", i * 3)))
            .collect();
        let r = train(&pages);
        assert_eq!(r.trained_on.pages, 29);
        let doc = crate::parse_page(&page("7.77", "99.00").page);
        let hint = PriceHint::for_page(&Url::parse("https://a.example/").unwrap(), Some("en-US"));
        let got = r
            .choose(&candidates(&doc, &hint))
            .map(|p| p.amount.to_string());
        assert_eq!(got.as_deref(), Some("7.77"));
    }
}
