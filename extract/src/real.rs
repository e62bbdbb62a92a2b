//! The measurement on real material written by others (`../shared/corpus`), with the
//! benchmarks' own scoring: price-parser's real price strings, and the public half of Zyte's
//! product-extraction benchmark beside Zyte, Diffbot and extruct on the same pages.
//!
//! Every page is scored twice: by the shipped extractor (plain) and by one whose learnt
//! parts never saw the page's site (leave-one-site-out, [`leave_one_site_out`]). The gap
//! between the two is what the extractor overfits the sites it was built on.
//!
//! The corpus is read where it lies; nothing of it is copied into the repository. The binary's
//! `qsword eval` prints these figures and holds them to floors.

use crate::price::{currency_for_symbol, parse_price, PriceHint};
use crate::{decode_html, extract_listing_with, Extractor};
use anyhow::{Context, Result};
use qsword_listing::{Decimal, Listing};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::str::FromStr;

/// Benchmark counts for one attribute of one system.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Score {
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
}

impl Score {
    /// The benchmark's rule: a right prediction is a TP; a wrong one is a FP (and a FN when the
    /// page has a true value); no prediction where there is a true value is a FN.
    pub fn add(
        &mut self,
        predicted: Option<&str>,
        truth: &[String],
        same: impl Fn(&str, &str) -> bool,
    ) {
        match predicted.map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) if truth.iter().any(|t| same(p, t)) => self.tp += 1,
            Some(_) => {
                self.fp += 1;
                self.fn_ += !truth.is_empty() as usize;
            }
            None => self.fn_ += !truth.is_empty() as usize,
        }
    }

    /// (precision, recall, F1).
    pub fn f1(&self) -> (f64, f64, f64) {
        let p = self.tp as f64 / (self.tp + self.fp).max(1) as f64;
        let r = self.tp as f64 / (self.tp + self.fn_).max(1) as f64;
        let f = if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        };
        (p, r, f)
    }
}

pub fn same_decimal(a: &str, b: &str) -> bool {
    match (Decimal::from_str(a.trim()), Decimal::from_str(b.trim())) {
        (Ok(x), Ok(y)) => x.normalize() == y.normalize(),
        _ => false,
    }
}

fn same_text(a: &str, b: &str) -> bool {
    a.trim() == b.trim()
}

/// Case and spacing ignored (the benchmark's rule for brands).
fn same_text_folded(a: &str, b: &str) -> bool {
    let squash = |s: &str| s.split_whitespace().collect::<String>().to_lowercase();
    squash(a) == squash(b)
}

/// GTINs compare as digits (`0 36000 29145 2` = `036000291452`).
fn same_digits(a: &str, b: &str) -> bool {
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    let (x, y) = (digits(a), digits(b));
    !x.is_empty() && x.trim_start_matches('0') == y.trim_start_matches('0')
}

/// The attributes scored, in print order. `currency`, `brand`, `gtin` and `mpn` only on pages
/// where they are annotated.
pub const ATTRIBUTES: [&str; 7] = [
    "price",
    "currency",
    "sku",
    "availability",
    "brand",
    "gtin",
    "mpn",
];

/// What a listing answers for each attribute.
pub fn predictions_of(listing: Option<&Listing>) -> BTreeMap<&'static str, Option<String>> {
    let mut m = BTreeMap::new();
    let price = listing.and_then(|l| l.price.as_ref());
    m.insert("price", price.map(|p| p.amount.to_string()));
    m.insert("currency", price.map(|p| p.currency.to_string()));
    m.insert("sku", listing.and_then(|l| l.sku.clone()));
    m.insert("availability", listing.and_then(|l| l.availability.clone()));
    m.insert("brand", listing.and_then(|l| l.brand.clone()));
    m.insert("gtin", listing.and_then(|l| l.gtin.clone()));
    m.insert("mpn", listing.and_then(|l| l.mpn.clone()));
    m
}

pub fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().map(String::from))
            .collect(),
        Value::String(s) => vec![s.clone()],
        _ => vec![],
    }
}

/// Scores one page's predictions against its annotation.
pub fn score_one(
    scores: &mut BTreeMap<&'static str, Score>,
    truth: &Value,
    predicted: &BTreeMap<&'static str, Option<String>>,
    hint: &PriceHint,
) {
    for attr in ATTRIBUTES {
        let t = strings(&truth[attr]);
        let p = predicted.get(attr).cloned().flatten();
        match attr {
            "price" => scores
                .entry(attr)
                .or_default()
                .add(p.as_deref(), &t, same_decimal),
            "sku" => scores
                .entry(attr)
                .or_default()
                .add(p.as_deref(), &t, same_text),
            // An empty prediction counts as InStock; every page has a true availability.
            "availability" => {
                let t = if t.is_empty() {
                    vec!["InStock".to_string()]
                } else {
                    t
                };
                let p = p.as_deref().unwrap_or("InStock");
                // Pre-order and the like are not out of stock: the benchmark has two values.
                let p = if p == "OutOfStock" { p } else { "InStock" };
                scores.entry(attr).or_default().add(Some(p), &t, same_text)
            }
            // Annotated on some pages only: the others are not scored.
            _ if t.is_empty() => {}
            // The page shows a symbol (`€`, `Lei`) or a code; systems answer either: both
            // sides are read as ISO 4217 with the page's hint (domain) where ambiguous.
            "currency" => scores
                .entry(attr)
                .or_default()
                .add(p.as_deref(), &t, |a, b| same_currency(a, b, hint)),
            "gtin" => scores
                .entry(attr)
                .or_default()
                .add(p.as_deref(), &t, same_digits),
            _ => scores
                .entry(attr)
                .or_default()
                .add(p.as_deref(), &t, same_text_folded),
        }
    }
}

fn same_currency(a: &str, b: &str, hint: &PriceHint) -> bool {
    let iso = |x: &str| {
        qsword_listing::Currency::from_str(x.trim())
            .ok()
            .or_else(|| currency_for_symbol(x, hint))
    };
    match (iso(a), iso(b)) {
        (Some(x), Some(y)) => x == y,
        _ => fold(a) == fold(b),
    }
}

/// Case- and width-folded, trimmed.
fn fold(s: &str) -> String {
    qsword_listing::text::fold(s.trim())
}

/// Symbols that stand for several currencies: reported apart, not in the headline.
const AMBIGUOUS: &[&str] = &[
    "$", "kr", "kr.", "руб", "руб.", "rs", "rs.", "р.", "р", "¥", "₨",
];

/// The price strings' figures.
#[derive(Debug, Default)]
pub struct StringsReport {
    pub rows: usize,
    /// Rows with at least one scored part, and rows where every scored part is right.
    pub scored: usize,
    pub right: usize,
    pub amount_ok: usize,
    pub amount_n: usize,
    /// Strings whose symbol names one currency (and strings that must name none).
    pub currency_ok: usize,
    pub currency_n: usize,
    pub ambiguous_ok: usize,
    pub ambiguous_n: usize,
    pub failures: Vec<String>,
    pub micros_per_string: f64,
}

impl StringsReport {
    /// The headline: share of scored rows where every scored part is right.
    pub fn rate(&self) -> f64 {
        self.right as f64 / self.scored.max(1) as f64
    }
}

/// Price strings (`price-strings/price_strings_public.jsonl`), scored as its README says.
pub fn price_strings(path: &Path) -> Result<StringsReport> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let rows: Vec<Value> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).with_context(|| format!("{}: line {}", path.display(), i + 1))
        })
        .collect::<Result<_>>()?;
    let started = std::time::Instant::now();
    let mut r = StringsReport {
        rows: rows.len(),
        ..Default::default()
    };
    for row in &rows {
        let Some(raw) = row["price_raw"].as_str() else {
            continue;
        };
        let got = parse_price(raw, &PriceHint::none());
        let mut parts = Vec::new();
        if row.get("decimal_separator").is_none() {
            let want = row["expected_amount"]
                .as_str()
                .and_then(|a| Decimal::from_str(a).ok());
            let ok = got.as_ref().map(|g| g.amount.normalize()) == want.map(|w| w.normalize());
            r.amount_n += 1;
            r.amount_ok += ok as usize;
            parts.push(ok);
        }
        let want_cur = row["expected_currency"].as_str();
        let from_hint = want_cur.is_some()
            && row["currency_hint"].as_str().is_some()
            && !fold(raw).contains(&fold(want_cur.unwrap_or_default()));
        let got_text = got.as_ref().and_then(|g| g.currency_text.clone());
        let got_iso = got.as_ref().and_then(|g| g.currency);
        match want_cur {
            None => {
                let ok = got_text.is_none();
                r.currency_n += 1;
                r.currency_ok += ok as usize;
                parts.push(ok);
            }
            Some(_) if from_hint => {}
            Some(want) => {
                let ok = got_text.as_deref().map(fold) == Some(fold(want))
                    || (got_iso.is_some()
                        && currency_for_symbol(want, &PriceHint::none()) == got_iso);
                if AMBIGUOUS.contains(&fold(want).as_str()) {
                    r.ambiguous_n += 1;
                    r.ambiguous_ok += ok as usize;
                } else if currency_for_symbol(want, &PriceHint::none()).is_some() {
                    r.currency_n += 1;
                    r.currency_ok += ok as usize;
                    parts.push(ok);
                }
            }
        }
        if parts.is_empty() {
            continue;
        }
        r.scored += 1;
        if parts.iter().all(|p| *p) {
            r.right += 1;
        } else {
            r.failures.push(format!(
                "{raw:?}: want {:?} {:?}, got {:?} {:?}/{:?}",
                row["expected_amount"].as_str(),
                want_cur,
                got.as_ref().map(|g| g.amount),
                got_text,
                got_iso.map(|c| c.to_string())
            ));
        }
    }
    r.micros_per_string = started.elapsed().as_secs_f64() * 1e6 / rows.len().max(1) as f64;
    Ok(r)
}

/// One annotated page of the product-page benchmark.
#[derive(Debug, Clone)]
pub struct PageCase {
    pub id: String,
    /// The shop's host (`www.amazon.de`): the unit of leave-one-site-out.
    pub site: String,
    pub url: url::Url,
    pub body: Vec<u8>,
    /// The annotation: `{"price": [...], "currency": [...], ...}`.
    pub truth: Value,
}

impl PageCase {
    /// The annotated prices (any one is right).
    pub fn prices(&self) -> Vec<Decimal> {
        strings(&self.truth["price"])
            .iter()
            .filter_map(|p| Decimal::from_str(p.trim()).ok())
            .collect()
    }

    /// The page as training material for the learnt parts: its annotated price, or none.
    pub fn training_page(&self) -> crate::ranker::TrainingPage {
        let prices = self.prices();
        crate::ranker::TrainingPage {
            page: decode_html(&self.body, None),
            url: self.url.clone(),
            known: if prices.is_empty() {
                crate::ranker::Known::NoPrice
            } else {
                crate::ranker::Known::Amounts(prices)
            },
        }
    }
}

/// The benchmark's pages (`product-pages/`: `ground-truth.json` + `html/<id>.html.gz`).
pub fn load_pages(dir: &Path) -> Result<Vec<PageCase>> {
    let gt_path = dir.join("ground-truth.json");
    let gt: BTreeMap<String, Value> = serde_json::from_str(
        &std::fs::read_to_string(&gt_path)
            .with_context(|| format!("reading {}", gt_path.display()))?,
    )
    .with_context(|| format!("parsing {}", gt_path.display()))?;
    let mut out = Vec::with_capacity(gt.len());
    for (id, truth) in gt {
        let path = dir.join("html").join(format!("{id}.html.gz"));
        let mut body = Vec::new();
        flate2::read::GzDecoder::new(
            std::fs::File::open(&path).with_context(|| format!("opening {}", path.display()))?,
        )
        .read_to_end(&mut body)
        .with_context(|| format!("decompressing {}", path.display()))?;
        let url = truth["url"].as_str().unwrap_or("http://unknown.invalid/");
        let url = url::Url::parse(url).with_context(|| format!("{id}: url {url:?}"))?;
        let site = url.host_str().unwrap_or("?").to_string();
        out.push(PageCase {
            id,
            site,
            url,
            body,
            truth,
        });
    }
    Ok(out)
}

/// The other systems' published answers (`output/<name>.json`), where present.
pub fn other_systems(dir: &Path) -> Vec<(String, BTreeMap<String, Value>)> {
    ["Zyte", "Diffbot", "extruct"]
        .iter()
        .filter_map(|name| {
            let p = dir.join("output").join(format!("{name}.json"));
            let text = std::fs::read_to_string(p).ok()?;
            Some((name.to_string(), serde_json::from_str(&text).ok()?))
        })
        .collect()
}

/// Per attribute, the counts of one system.
pub type Scores = BTreeMap<&'static str, Score>;

/// One extractor's figures on the pages, and what it got wrong.
#[derive(Debug, Default)]
pub struct PagesReport {
    pub scores: Scores,
    /// `host attribute: got …, want …` for price, availability, brand, gtin and mpn misses.
    pub misses: Vec<String>,
    pub millis: f64,
}

/// Extracts `case` as `qsword extract FILE --url URL` does, with `extractor`.
pub fn extract_case(case: &PageCase, extractor: &Extractor) -> Option<Listing> {
    let page = decode_html(&case.body, None);
    extract_listing_with(&page, &case.url, None, extractor)
}

fn score_case(report: &mut PagesReport, case: &PageCase, listing: Option<&Listing>) {
    let ours = predictions_of(listing);
    let mut one = Scores::new();
    score_one(
        &mut one,
        &case.truth,
        &ours,
        &PriceHint::for_page(&case.url, None),
    );
    for (attr, s) in one {
        if s.fp + s.fn_ > 0 && attr != "sku" {
            let want = strings(&case.truth[attr]);
            report.misses.push(format!(
                "{} {attr}: got {:?}, want {want:?}",
                case.site, ours[attr]
            ));
        }
        let total = report.scores.entry(attr).or_default();
        total.tp += s.tp;
        total.fp += s.fp;
        total.fn_ += s.fn_;
    }
}

/// The shipped extractor on every page.
pub fn plain(cases: &[PageCase], extractor: &Extractor) -> PagesReport {
    let started = std::time::Instant::now();
    let listings: Vec<Option<Listing>> = cases.iter().map(|c| extract_case(c, extractor)).collect();
    let millis = started.elapsed().as_secs_f64() * 1e3;
    let mut report = PagesReport {
        millis,
        ..Default::default()
    };
    for (case, listing) in cases.iter().zip(&listings) {
        score_case(&mut report, case, listing.as_ref());
    }
    report
}

/// Leave-one-site-out: each site's pages are extracted by the extractor `train` builds from
/// the other sites' pages (plus whatever else `train` adds that is not from this corpus).
pub fn leave_one_site_out(
    cases: &[PageCase],
    train: impl Fn(&[&PageCase]) -> Extractor,
) -> PagesReport {
    let started = std::time::Instant::now();
    let mut report = PagesReport::default();
    let sites: std::collections::BTreeSet<&str> = cases.iter().map(|c| c.site.as_str()).collect();
    for site in sites {
        let others: Vec<&PageCase> = cases.iter().filter(|c| c.site != site).collect();
        let extractor = train(&others);
        for case in cases.iter().filter(|c| c.site == site) {
            let listing = extract_case(case, &extractor);
            score_case(&mut report, case, listing.as_ref());
        }
    }
    report.millis = started.elapsed().as_secs_f64() * 1e3;
    report
}

/// The other systems' scores on the same pages.
pub fn score_others(
    cases: &[PageCase],
    others: &[(String, BTreeMap<String, Value>)],
) -> BTreeMap<String, Scores> {
    let mut out = BTreeMap::new();
    for (name, answers) in others {
        let scores: &mut Scores = out.entry(name.clone()).or_default();
        for case in cases {
            let o = answers.get(&case.id).cloned().unwrap_or(Value::Null);
            let p: BTreeMap<&'static str, Option<String>> = ATTRIBUTES
                .iter()
                .map(|a| (*a, o[*a].as_str().map(String::from)))
                .collect();
            score_one(
                scores,
                &case.truth,
                &p,
                &PriceHint::for_page(&case.url, None),
            );
        }
    }
    out
}

/// The product-page figures of every system and of both qsword measurements.
pub struct PagesFigures {
    pub pages: usize,
    pub sites: usize,
    pub plain: PagesReport,
    pub cv: PagesReport,
    pub others: BTreeMap<String, Scores>,
}

impl PagesFigures {
    /// F1 of an attribute, plain and leave-one-site-out.
    pub fn f1(&self, attr: &str) -> (f64, f64) {
        let f = |s: &Scores| s.get(attr).copied().unwrap_or_default().f1().2;
        (f(&self.plain.scores), f(&self.cv.scores))
    }

    /// The table `qsword eval` prints: per attribute, qsword plain and leave-one-site-out
    /// (P/R/F1, pages scored), the overfit (plain − CV), and the other systems' F1.
    pub fn table(&self) -> String {
        let names: Vec<&String> = self.others.keys().collect();
        let mut out = format!(
            "  {:<13} {:>5} {:>21} {:>21} {:>7}",
            "attribute", "pages", "qsword P/R/F1", "leave-site-out P/R/F1", "overfit"
        );
        for n in &names {
            out.push_str(&format!(" {n:>8}"));
        }
        out.push('\n');
        for attr in ATTRIBUTES {
            let s = self.plain.scores.get(attr).copied().unwrap_or_default();
            let c = self.cv.scores.get(attr).copied().unwrap_or_default();
            let (p, r, f) = s.f1();
            let (cp, cr, cf) = c.f1();
            out.push_str(&format!(
                "  {attr:<13} {:>5} {p:>6.3}/{r:.3}/{f:.3} {cp:>6.3}/{cr:.3}/{cf:.3} {:>+7.3}",
                s.tp + s.fn_,
                f - cf
            ));
            for n in &names {
                let o = self.others[*n].get(attr).copied().unwrap_or_default();
                out.push_str(&format!(" {:>8.3}", o.f1().2));
            }
            out.push('\n');
        }
        out
    }
}

/// Measures the product-page benchmark in `dir`: the shipped extractor, and leave-one-site-out
/// with `train` building each fold's extractor from the other sites' pages.
pub fn product_pages(
    dir: &Path,
    train: impl Fn(&[&PageCase]) -> Extractor,
) -> Result<PagesFigures> {
    let cases = load_pages(dir)?;
    let others = score_others(&cases, &other_systems(dir));
    let sites = cases
        .iter()
        .map(|c| c.site.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    Ok(PagesFigures {
        pages: cases.len(),
        sites,
        plain: plain(&cases, crate::shipped()),
        cv: leave_one_site_out(&cases, train),
        others,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn benchmark_scoring_rules() {
        let mut s = Score::default();
        s.add(Some("119.010"), &["119.01".into()], same_decimal); // TP
        s.add(Some("5"), &["6".into()], same_decimal); // FP + FN
        s.add(None, &["7".into()], same_decimal); // FN
        s.add(Some("8"), &[], same_decimal); // FP only
        s.add(None, &[], same_decimal); // nothing
        assert_eq!((s.tp, s.fp, s.fn_), (1, 2, 2));
        let (p, r, _) = s.f1();
        assert!((p - 1.0 / 3.0).abs() < 1e-9 && (r - 1.0 / 3.0).abs() < 1e-9);
        assert!(same_text_folded("Kärcher ", "KÄRCHER"));
        assert!(same_text_folded("De Longhi", "DeLonghi"));
        assert!(same_digits("0 36000 29145 2", "036000291452"));
        assert!(!same_digits("", ""));
    }
}
