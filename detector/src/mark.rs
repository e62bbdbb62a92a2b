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

/// A required mark absent from a page read whole, where the same product's other offers show
/// it: the likeliest mark fault of a fake, but real shops often show the mark only in product
/// images, so it stays below the alert level alone and counts with other evidence.
const MISSING_WHERE_PEERS_SHOW: f64 = 0.4;
/// The same, where only the market says the mark is due (a Chinese-market listing, or most
/// listings of its platform and category show it): weaker still.
const MISSING_SCORE: f64 = 0.3;
/// A claim in words ("3C认证") without a certificate number is weak evidence of compliance:
/// the missing-mark score is multiplied by this, not dropped.
const CLAIM_IN_WORDS_FACTOR: f64 = 0.6;
const MALFORMED_SCORE: f64 = 0.8;
const IMPOSSIBLE_YEAR_SCORE: f64 = 0.75;
const WRONG_PRODUCT_SCORE: f64 = 0.6;
/// CCC certificates exist since the scheme started in 2002.
const FIRST_CERTIFICATE_YEAR: i32 = 2002;
/// Peers needed before their marks say anything about a listing's.
const MIN_PEERS: usize = 2;
/// Listings of a platform and category needed before their marks say what that market shows.
const MIN_MARKET: usize = 5;

/// What the other offers of the same product and the listing's market show of marks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MarkPeers {
    /// Other offers of the same product.
    pub peers: usize,
    /// Per scheme: how many of them show a mark of it.
    pub showing: Vec<(String, usize)>,
    /// The CCC product code most peers' certificates carry, how many carry it, and how many
    /// peers show a decodable CCC number at all.
    pub ccc_code: Option<(String, usize, usize)>,
    /// Per scheme: (listings of the same platform and category showing it, listings there).
    pub market: Vec<(String, usize, usize)>,
}

impl MarkPeers {
    fn showing(&self, scheme: &str) -> usize {
        self.showing
            .iter()
            .find(|(s, _)| s.eq_ignore_ascii_case(scheme))
            .map_or(0, |(_, n)| *n)
    }
    fn market(&self, scheme: &str) -> (usize, usize) {
        self.market
            .iter()
            .find(|(s, _, _)| s.eq_ignore_ascii_case(scheme))
            .map_or((0, 0), |(_, k, n)| (*k, *n))
    }
}

/// Each listing's [`MarkPeers`]: `product_of[i]` is listing `i`'s product (same id = same
/// product), `None` when unknown; `categories[i]` its category (worked out once by the
/// caller, which judges the marks by it too). Linear in the listings.
pub fn mark_peers(
    listings: &[Listing],
    product_of: &[Option<usize>],
    categories: &[Option<&Category>],
) -> Vec<MarkPeers> {
    use std::collections::HashMap;
    let schemes = |l: &Listing| -> Vec<String> {
        let mut v: Vec<String> = l
            .marks
            .iter()
            .map(|m| m.scheme.to_ascii_uppercase())
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let ccc_code = |l: &Listing| -> Option<String> {
        let n = l.mark("CCC")?.number.as_deref()?;
        let digits: String = n.chars().filter(|c| !c.is_whitespace()).collect();
        (digits.len() == 16 && digits.bytes().all(|b| b.is_ascii_digit()))
            .then(|| digits[6..10].to_string())
    };
    #[derive(Default)]
    struct Tally {
        n: usize,
        schemes: HashMap<String, usize>,
        codes: HashMap<String, usize>,
        coded: usize,
    }
    let mut products: HashMap<usize, Tally> = HashMap::new();
    let mut markets: HashMap<(&str, &str), Tally> = HashMap::new();
    let categories: Vec<Option<&str>> = categories
        .iter()
        .map(|c| c.map(|c| c.slug.as_str()))
        .collect();
    for (i, l) in listings.iter().enumerate() {
        let s = schemes(l);
        let code = ccc_code(l);
        let add = |t: &mut Tally| {
            t.n += 1;
            for x in &s {
                *t.schemes.entry(x.clone()).or_default() += 1;
            }
            if let Some(c) = &code {
                t.coded += 1;
                *t.codes.entry(c.clone()).or_default() += 1;
            }
        };
        if let Some(p) = product_of[i] {
            add(products.entry(p).or_default());
        }
        if let Some(c) = categories[i] {
            add(markets
                .entry((l.platform.as_deref().unwrap_or(""), c))
                .or_default());
        }
    }
    listings
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let own = schemes(l);
            let own_code = ccc_code(l);
            let mut out = MarkPeers::default();
            if let Some(t) = product_of[i].and_then(|p| products.get(&p)) {
                out.peers = t.n - 1;
                out.showing = t
                    .schemes
                    .iter()
                    .map(|(s, &k)| (s.clone(), k - usize::from(own.contains(s))))
                    .collect();
                let coded = t.coded - usize::from(own_code.is_some());
                out.ccc_code = t
                    .codes
                    .iter()
                    .map(|(c, &k)| (c, k - usize::from(own_code.as_ref() == Some(c))))
                    .filter(|(_, k)| *k > 0)
                    .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
                    .map(|(c, k)| (c.clone(), k, coded));
            }
            if let Some(t) =
                categories[i].and_then(|c| markets.get(&(l.platform.as_deref().unwrap_or(""), c)))
            {
                out.market = t
                    .schemes
                    .iter()
                    .map(|(s, &k)| (s.clone(), k, t.n))
                    .collect();
            }
            out
        })
        .collect()
}

/// Whether the listing is offered on the Chinese market, where CCC, XK and the energy label
/// apply: priced in yuan, or unpriced with a Chinese text, or on a `.cn` platform. A listing
/// priced in another currency is judged by what its market shows instead ([`MarkPeers`]).
pub fn on_chinese_market(listing: &Listing) -> bool {
    if let Some(p) = &listing.price {
        return p.currency.to_string() == "CNY";
    }
    if listing
        .platform
        .as_deref()
        .is_some_and(|p| p.ends_with(".cn"))
    {
        return true;
    }
    let (han, letters) = listing.title.chars().fold((0, 0), |(h, n), c| {
        (
            h + usize::from(qsword_listing::text::is_han(c)),
            n + usize::from(c.is_alphabetic()),
        )
    });
    letters > 0 && han * 2 >= letters
}

/// Whether anything beyond the title was read from the page: a listing known by its title
/// alone is not "missing" a mark, its page was never seen.
fn read_whole(listing: &Listing) -> bool {
    listing
        .description
        .as_deref()
        .is_some_and(|d| !d.trim().is_empty())
        || !listing.specs.is_empty()
        || !listing.marks.is_empty()
}

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

    /// The mark flags of one listing, given its category (if known) and what its peers show.
    pub fn flags(
        &self,
        cfg: &DetectorConfig,
        category: Option<&Category>,
        listing: &Listing,
        peers: &MarkPeers,
    ) -> Vec<Flag> {
        let mut flags = Vec::new();
        if let Some(category) = category.filter(|_| cfg.flag_missing_marks) {
            for scheme in &category.requires {
                if let Some(flag) = missing(cfg, category, scheme, listing, peers) {
                    flags.push(flag);
                }
            }
        }
        let latest_year = listing.fetched_at.map_or(cfg.current_year, |t| t.year());
        for mark in &listing.marks {
            if let Some(flag) = self.check_number(cfg, category, mark, latest_year, peers) {
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
        peers: &MarkPeers,
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
        let unverified = if rule.verified {
            String::new()
        } else {
            format!(" (rule not verified: {})", rule.source)
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
                    "{} number {written} is malformed{hint}: {}{unverified}",
                    rule.scheme, rule.description
                ),
                {
                    // The numbers the console's and digests' sentence is rebuilt from.
                    let mut e = evidence("malformed");
                    e["letters_for_digits"] = json!(!hint.is_empty());
                    e
                },
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
                    {
                        let mut e = evidence("impossible-year");
                        e["year"] = json!(year);
                        e["valid_years"] = json!([FIRST_CERTIFICATE_YEAR, latest_year]);
                        e
                    },
                ));
            }
        }
        let product = parts.name("product").map(|p| p.as_str());
        // One product, one catalogue code: a certificate for another code than the one the
        // same product's other offers show is not this product's certificate.
        if let (Some(product), Some((code, agree, coded))) = (product, &peers.ccc_code) {
            if rule.scheme.eq_ignore_ascii_case("CCC")
                && product != code
                && *agree >= MIN_PEERS
                && *agree * 3 >= *coded * 2
            {
                return Some(Flag::new(
                    Signal::Mark,
                    WRONG_PRODUCT_SCORE * weight,
                    format!(
                        "{} number {written} is for catalogue product {product}, but {agree} of the {coded} other offers of the same product show certificates for {code}",
                        rule.scheme
                    ),
                    {
                        let mut e = evidence("wrong-product");
                        e["product"] = json!(product);
                        e["peer_code"] = json!(code);
                        e["peers_agreeing"] = json!(agree);
                        e["peers_coded"] = json!(coded);
                        e
                    },
                ));
            }
        }
        // The same code on the same product's other offers outweighs a category guessed from
        // title words ("cable modem" is no cable): then the guess is doubted, not the number.
        let peers_agree = matches!((&peers.ccc_code, product), (Some((code, k, _)), Some(p)) if code == p && *k >= 1);
        if let (Some(product), Some(category)) = (product, category) {
            let codes = &category.ccc_product_codes;
            if rule.scheme.eq_ignore_ascii_case("CCC")
                && !peers_agree
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
                    {
                        let mut e = evidence("wrong-product");
                        e["product"] = json!(product);
                        e["category"] = json!(category.slug);
                        e["category_codes"] = json!(codes);
                        e
                    },
                ));
            }
        }
        None
    }
}

/// The missing-mark flag of one required scheme, if the listing's market and page say so.
fn missing(
    cfg: &DetectorConfig,
    category: &Category,
    scheme: &str,
    listing: &Listing,
    peers: &MarkPeers,
) -> Option<Flag> {
    if listing.mark(scheme).is_some() || shown_in_images(listing, scheme) || !read_whole(listing) {
        return None;
    }
    let showing = peers.showing(scheme);
    let product_shows = peers.peers >= MIN_PEERS && showing * 2 >= peers.peers;
    let (market_showing, market_of) = peers.market(scheme);
    let market_shows = market_of > MIN_MARKET && market_showing * 2 >= market_of;
    let chinese = on_chinese_market(listing);
    if !(chinese || product_shows || market_shows) {
        return None; // a market where this mark is neither due nor shown
    }
    let mut score = if product_shows {
        MISSING_WHERE_PEERS_SHOW
    } else {
        MISSING_SCORE
    };
    let mut reason = format!(
        "no {scheme} certificate shown, but {} ({}) requires one",
        category.slug, category.name_zh
    );
    if product_shows {
        reason.push_str(&format!(
            "; {showing} of the {} other offers of the same product show one",
            peers.peers
        ));
    } else {
        reason.push_str("; absent from the page's text only (the mark may be in its images)");
    }
    let claim = claimed_in_words(listing, scheme);
    if let Some(words) = &claim {
        score *= CLAIM_IN_WORDS_FACTOR;
        reason.push_str(&format!(
            "; it claims \"{words}\" in words, without a certificate number"
        ));
    }
    if !category.verified {
        score *= cfg.unverified_rule_factor;
        reason.push_str(&format!(" (rule not verified: {})", category.source));
    }
    Some(Flag::new(
        Signal::Mark,
        score,
        reason,
        json!({"problem": "missing", "scheme": scheme, "category": category.slug,
               "source": category.source, "verified": category.verified,
               "peers": peers.peers, "peers_showing": showing,
               "market": [market_showing, market_of], "chinese_market": chinese,
               "claimed_in_words": claim}),
    ))
}

/// Words that claim a scheme's mark.
fn claim_words(scheme: &str) -> Vec<String> {
    if scheme.eq_ignore_ascii_case("CCC") {
        [
            "ccc",
            "3c认证",
            "3c标",
            "3c证书",
            "强制性产品认证",
            "强制认证",
            "ccc认证",
        ]
        .map(String::from)
        .to_vec()
    } else {
        vec![fold(scheme)]
    }
}

/// The claim word the title, description or specs use for the scheme, when there is no number.
fn claimed_in_words(listing: &Listing, scheme: &str) -> Option<String> {
    let words = claim_words(scheme);
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
    for text in texts {
        let text = fold(text);
        if let Some(w) = words.iter().find(|w| find_word(&text, w).next().is_some()) {
            return Some(w.clone());
        }
    }
    None
}

/// Whether an image of the page is the mark (3c.png, ccc-mark.jpg): the mark shown, unread.
/// In a title "3C数码" is consumer electronics, so a bare "3c" counts in image names only.
fn shown_in_images(listing: &Listing, scheme: &str) -> bool {
    let words = claim_words(scheme);
    listing.images.iter().any(|url| {
        let url = fold(url);
        words.iter().any(|w| find_word(&url, w).next().is_some())
            || (scheme.eq_ignore_ascii_case("CCC") && find_word(&url, "3c").next().is_some())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use qsword_listing::Price;

    fn offer(i: usize, number: Option<&str>) -> Listing {
        let mut l = Listing::new(
            format!("https://shop.example/{i}"),
            "Acme 32\" LCD TV X3200",
        );
        l.model = Some("X3200".into());
        l.platform = Some("shop.example".into());
        l.price = Some(Price::new("199.00", "USD").unwrap());
        l.description = Some("32 inch television".into());
        if let Some(n) = number {
            l.marks.push(Mark {
                scheme: "CCC".into(),
                number: Some(n.into()),
                source: Some("text".into()),
            });
        }
        l
    }

    fn mark_flags(listings: &[Listing]) -> Vec<Vec<Flag>> {
        let catalogue = Catalogue::embedded();
        let checker = MarkChecker::new(&catalogue).unwrap();
        let products: Vec<Option<usize>> = listings.iter().map(|_| Some(0)).collect();
        let categories: Vec<_> = listings.iter().map(|l| catalogue.categorize(l)).collect();
        let peers = mark_peers(listings, &products, &categories);
        let cfg = DetectorConfig::default();
        listings
            .iter()
            .zip(&peers)
            .zip(&categories)
            .map(|((l, p), c)| checker.flags(&cfg, *c, l, p))
            .collect()
    }

    #[test]
    fn the_same_products_other_offers_decide_whether_a_mark_is_due_abroad() {
        // Priced in dollars: CCC is due only because the product's other offers show it.
        let mut listings: Vec<Listing> =
            (0..4).map(|i| offer(i, Some("2016010807123456"))).collect();
        listings.push(offer(4, None));
        let flags = mark_flags(&listings);
        assert!(flags[..4].iter().all(Vec::is_empty), "{flags:?}");
        assert_eq!(flags[4].len(), 1);
        assert!(
            flags[4][0]
                .reason
                .contains("4 of the 4 other offers of the same product show one"),
            "{}",
            flags[4][0].reason
        );
        assert!(flags[4][0].score < 0.5, "weak alone: {}", flags[4][0].score);
        // Where no offer of it shows a mark, a dollar-priced TV is not judged by CCC.
        let bare: Vec<Listing> = (0..5).map(|i| offer(i, None)).collect();
        assert!(mark_flags(&bare).iter().all(Vec::is_empty));
    }

    #[test]
    fn a_certificate_for_another_product_code_than_its_peers_show_is_flagged() {
        let mut listings: Vec<Listing> =
            (0..3).map(|i| offer(i, Some("2016010807123456"))).collect();
        listings.push(offer(3, Some("2016010901123456")));
        let flags = mark_flags(&listings);
        assert!(flags[..3].iter().all(Vec::is_empty), "{flags:?}");
        assert_eq!(flags[3][0].evidence["problem"], "wrong-product");
        assert!(
            flags[3][0]
                .reason
                .contains("for catalogue product 0901, but 3 of the 3 other offers"),
            "{}",
            flags[3][0].reason
        );
    }

    #[test]
    fn legacy_twelve_digit_numbers_are_not_malformed() {
        let mut listings: Vec<Listing> = vec![offer(0, Some("200301080123"))];
        listings[0].price = Some(Price::new("1299.00", "CNY").unwrap());
        assert!(mark_flags(&listings)[0].is_empty());
    }
}
