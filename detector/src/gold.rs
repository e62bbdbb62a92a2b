//! The brand matcher's gold lists (`detector/gold/`): shanzhai names that imitate real brands
//! (康帅傅, 粤利粤, New Barlun, NKIE …), each with the brand it imitates, and real brand names
//! that must not be taken for imitations. Compiled in, so `qsword detect --evaluate` and the
//! tests measure the same lists.

use crate::evaluation::Share;
use crate::Detector;
use qsword_listing::Listing;

const SHANZHAI: &str = include_str!("../gold/shanzhai.tsv");
const REAL_BRANDS: &str = include_str!("../gold/real-brands.txt");

/// `(written, brand id)` pairs of the shanzhai list.
pub fn shanzhai() -> Vec<(&'static str, &'static str)> {
    lines(SHANZHAI)
        .filter_map(|l| l.split_once('\t'))
        .map(|(w, b)| (w.trim(), b.trim()))
        .collect()
}

/// The real brand names that must not match.
pub fn real_brands() -> Vec<&'static str> {
    lines(REAL_BRANDS).collect()
}

fn lines(text: &'static str) -> impl Iterator<Item = &'static str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// What the brand matcher made of the gold lists.
#[derive(Debug, Clone)]
pub struct GoldResult {
    /// Shanzhai names matched to the brand they imitate.
    pub caught: Share,
    /// Real brand names matched as imitations.
    pub false_matches: Share,
    /// `written (expected brand): what was found instead`.
    pub missed: Vec<String>,
    /// `written → brand`.
    pub matched_real: Vec<String>,
}

/// Runs the detector's brand matcher over both lists, each name alone as a listing title, as
/// it would meet it on a page.
pub fn evaluate(detector: &Detector) -> GoldResult {
    let brands = &detector.catalogue().brands;
    let found = |written: &str| {
        detector
            .brand_matcher()
            .variant_in(&Listing::new("gold:", written))
            .map(|v| brands[v.brand].id.as_str())
    };
    let mut missed = Vec::new();
    let gold = shanzhai();
    let mut caught = Share {
        hits: 0,
        of: gold.len(),
    };
    for (written, brand) in &gold {
        match found(written) {
            Some(b) if b == *brand => caught.hits += 1,
            other => missed.push(format!(
                "{written} (imitates {brand}): {}",
                other.unwrap_or("no match")
            )),
        }
    }
    let real = real_brands();
    let mut matched_real = Vec::new();
    for name in &real {
        if let Some(b) = found(name) {
            matched_real.push(format!("{name} → {b}"));
        }
    }
    GoldResult {
        caught,
        false_matches: Share {
            hits: matched_real.len(),
            of: real.len(),
        },
        missed,
        matched_real,
    }
}
