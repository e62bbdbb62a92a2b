//! The certification-mark signal, table-driven from `seeds/categories.toml` (which categories
//! require which marks) and `seeds/marks.toml` (what a well-formed number looks like).
//!
//! Flags: a mark the listing's category requires is neither claimed nor mentioned; a claimed
//! number does not match its scheme's pattern; a pattern's named groups disagree with the facts
//! (`year` before 2002 or after the listing was fetched; CCC `product` code not among the
//! category's catalogue codes). Nothing is flagged where no rule applies, and an unverified
//! rule scores `unverified_rule_factor` times less. Whether a certificate is *valid* can only be
//! checked on CNCA's platform behind a CAPTCHA; qsword does not pretend to.

use crate::assessment::{Flag, Signal};
use crate::config::DetectorConfig;
use crate::DetectorError;
use chrono::Datelike;
use qsword_listing::catalogue::{find_word, fold, Catalogue, Category, MarkRule};
use qsword_listing::{Listing, Mark};
use regex::Regex;
use serde_json::json;

/// A required mark neither claimed nor mentioned: strong where the rule is verified, but the
/// mark may be only an image the extractor could not read, so less than a malformed number.
const MISSING_SCORE: f64 = 0.65;
const MALFORMED_SCORE: f64 = 0.8;
const IMPOSSIBLE_YEAR_SCORE: f64 = 0.75;
const WRONG_PRODUCT_SCORE: f64 = 0.6;
/// CCC certificates exist since the scheme started in 2002.
const FIRST_CERTIFICATE_YEAR: i32 = 2002;

/// The mark rules with their patterns compiled.
#[derive(Debug, Clone)]
pub struct MarkChecker {
    rules: Vec<(MarkRule, Regex)>,
}

impl MarkChecker {
    /// Compiles every rule's pattern; a bad one is named with its scheme.
    pub fn new(catalogue: &Catalogue) -> Result<MarkChecker, DetectorError> {
        let rules = catalogue
            .marks
            .iter()
            .map(|rule| {
                Regex::new(&rule.pattern)
                    .map(|re| (rule.clone(), re))
                    .map_err(|source| DetectorError::MarkPattern {
                        scheme: rule.scheme.clone(),
                        pattern: rule.pattern.clone(),
                        source: Box::new(source),
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(MarkChecker { rules })
    }

    fn rule(&self, scheme: &str) -> Option<&(MarkRule, Regex)> {
        self.rules
            .iter()
            .find(|(r, _)| r.scheme.eq_ignore_ascii_case(scheme))
    }

    /// The mark flags of one listing, given its category (if known).
    pub fn flags(
        &self,
        cfg: &DetectorConfig,
        category: Option<&Category>,
        listing: &Listing,
    ) -> Vec<Flag> {
        let mut flags = Vec::new();
        if let Some(category) = category.filter(|_| cfg.flag_missing_marks) {
            for scheme in &category.requires {
                if listing.mark(scheme).is_none() && !mentions(listing, scheme) {
                    let weight = if category.verified {
                        1.0
                    } else {
                        cfg.unverified_rule_factor
                    };
                    flags.push(Flag::new(
                        Signal::Mark,
                        MISSING_SCORE * weight,
                        format!(
                            "no {scheme} mark, but {} ({}) requires one",
                            category.slug, category.name_zh
                        ),
                        json!({"problem": "missing", "scheme": scheme, "category": category.slug,
                               "source": category.source, "verified": category.verified}),
                    ));
                }
            }
        }
        let latest_year = listing.fetched_at.map_or(cfg.current_year, |t| t.year());
        for mark in &listing.marks {
            if let Some(flag) = self.check_number(cfg, category, mark, latest_year) {
                flags.push(flag);
            }
        }
        flags
    }

    fn check_number(
        &self,
        cfg: &DetectorConfig,
        category: Option<&Category>,
        mark: &Mark,
        latest_year: i32,
    ) -> Option<Flag> {
        let written = mark.number.as_deref()?;
        let (rule, re) = self.rule(&mark.scheme)?;
        let weight = if rule.verified {
            1.0
        } else {
            cfg.unverified_rule_factor
        };
        let number: String = fold(written)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        let evidence = |problem: &str| {
            json!({"problem": problem, "scheme": rule.scheme, "number": written,
                   "expected": rule.description, "source": rule.source, "verified": rule.verified})
        };
        let Some(parts) = re.captures(&number) else {
            // O for 0 and I/l for 1 are the classic forgeries of a digit string.
            let digits: String = number
                .chars()
                .map(|c| match c {
                    'O' => '0',
                    'I' | 'L' => '1',
                    c => c,
                })
                .collect();
            let hint = if digits != number && re.is_match(&digits) {
                " (letters O/I where digits belong)"
            } else {
                ""
            };
            return Some(Flag::new(
                Signal::Mark,
                MALFORMED_SCORE * weight,
                format!(
                    "{} number {written} is malformed{hint}: {}",
                    rule.scheme, rule.description
                ),
                evidence("malformed"),
            ));
        };
        if let Some(year) = parts
            .name("year")
            .and_then(|y| y.as_str().parse::<i32>().ok())
        {
            if !(FIRST_CERTIFICATE_YEAR..=latest_year).contains(&year) {
                return Some(Flag::new(
                    Signal::Mark,
                    IMPOSSIBLE_YEAR_SCORE * weight,
                    format!(
                        "{} number {written} was issued in {year}, impossible: must be {FIRST_CERTIFICATE_YEAR}–{latest_year}",
                        rule.scheme
                    ),
                    evidence("impossible-year"),
                ));
            }
        }
        let product = parts.name("product").map(|p| p.as_str());
        if let (Some(product), Some(category)) = (product, category) {
            let codes = &category.ccc_product_codes;
            if rule.scheme.eq_ignore_ascii_case("CCC")
                && !codes.is_empty()
                && !codes.iter().any(|c| c == product)
            {
                return Some(Flag::new(
                    Signal::Mark,
                    WRONG_PRODUCT_SCORE * weight,
                    format!(
                        "{} number {written} is for catalogue product {product}, not a {} product ({})",
                        rule.scheme,
                        category.slug,
                        codes.join(", ")
                    ),
                    evidence("wrong-product"),
                ));
            }
        }
        None
    }
}

/// Whether the page mentions the scheme without a structured mark: the mark is often only an
/// image whose alt text or file name says 3C/CCC, or words like "3C认证".
fn mentions(listing: &Listing, scheme: &str) -> bool {
    let words: Vec<String> = if scheme.eq_ignore_ascii_case("CCC") {
        [
            "ccc",
            "3c认证",
            "3c标",
            "3c证书",
            "强制性产品认证",
            "强制认证",
        ]
        .map(String::from)
        .to_vec()
    } else {
        vec![fold(scheme)]
    };
    let texts = [
        listing.title.as_str(),
        listing.description.as_deref().unwrap_or(""),
    ]
    .into_iter()
    .chain(
        listing
            .specs
            .iter()
            .flat_map(|(k, v)| [k.as_str(), v.as_str()]),
    );
    let in_text = |text: &str| {
        let text = fold(text);
        words.iter().any(|w| find_word(&text, w).next().is_some())
    };
    // In image URLs (3c.png, ccc-mark.jpg) a bare "3c" is the mark; in a title "3C数码" is
    // consumer electronics, so there it does not count.
    let in_image = |url: &String| {
        let url = fold(url);
        in_text(&url)
            || (scheme.eq_ignore_ascii_case("CCC") && find_word(&url, "3c").next().is_some())
    };
    texts.into_iter().any(in_text) || listing.images.iter().any(in_image)
}
