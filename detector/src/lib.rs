//! qsword's counterfeit detector: turns [`Listing`]s into [`Assessment`]s — a risk in [0, 1] and
//! the [`Flag`]s behind it, each with a sentence an investigator can read and the numbers it
//! rests on, in the DESIGN output format.
//!
//! Signals (a module each):
//! - [`price`]: far below what the same product costs. [`group`] matches offers of one product
//!   (model numbers recognised by how they spread across the market, GTINs, else rare-word
//!   title blocking confirmed by an idf-weighted pair score with agreeing quantities); each
//!   priced listing gets a reference with its source stated: the trust-weighted median of the
//!   product's *other* offers (official stores and list prices anchor it, offers carrying other
//!   flags weigh little, so fake-majority groups still flag), with its uncertainty, or for a
//!   lone offer the learnt price model ([`price_model`], ridge regression on brand, title words
//!   and quantities); other currencies are converted with the indexer's rates. Wording that
//!   explains a low price (clearance, open box, 清仓 …) and official stores damp the score.
//!   [`outlier`] adds each flagged offer's kNN isolation (linfa-nn) as evidence.
//! - [`brand`]: look-alike names — in Latin script ([`latin`]) evasions that need no lexicon
//!   (letters of two scripts in one word per the UTS #39 skeleton, full-width letters in
//!   half-width text, invisible characters, N1ke/S0ny digit swaps) and imitations of the brands
//!   the batch itself establishes ([`lexicon`]: brand fields, title heads and store names
//!   counted by independent sellers, platforms and model numbers; a rare spelling one or two
//!   edits from a much more widespread brand, selling its models), bent multi-word names (New
//!   Barlun), and in Chinese ([`hanzi`], on jieba words) near-form characters from decomposition
//!   data (公午/公牛), near-homophones by pinyin (农夫三泉), split characters (周隹牌/雕牌) and
//!   inserted ones (六个土核桃); never for "适用于曼牌" accessories, ordinary words, real words
//!   (博士 is not 博世) or brands the market establishes itself.
//! - [`history`]: far below the listing's own earlier prices (when the store gives them).
//! - [`mark`]: a CCC (or other) mark the category requires but the listing lacks, or a malformed,
//!   impossible or mismatched certificate number; table-driven from `seeds/`.
//! - [`cue`]: 高仿, 原单, 1:1, replica, mirror copy … in the title or description, obfuscated
//!   too (r.e.p.l.i.c.a, rep1ica, 高 仿), unless negated or ordinary in context (fake fur,
//!   翡翠 A货, AAA batteries, copy paper, after "for", from the brand's own store).
//! - [`seller`]: sellers linked into networks by shared identifiers (shop-name skeleton on a
//!   platform, phone, e-mail, image URL), each network judged by the posterior probability that
//!   it sells counterfeits throughout: how many of its brands it undercuts against the other
//!   offers of the same products, and its share of flagged listings under a Bayesian prior
//!   (3 of 3 is not 3 of 900). The flag names the listings and signals behind it.
//!
//! Risk combines the flags' scores as independent evidence, `1 - Π(1 - score)`
//! ([`combine_risk`]): the default weights, which need no labels. [`model`] fits a logistic
//! regression (linfa) on investigators' confirmed/dismissed labels over the features the
//! detector computes at scoring time (signal scores, price ratio and reference source, seller
//! posterior, group size), measured by cross-validation and calibration before it is used
//! ([`Detector::with_weights`]). [`evaluation`] has the
//! ranking metrics (ROC-AUC, average precision, precision@k), [`gold`] the brand matcher's gold
//! lists. The catalogues come from [`qsword_listing::catalogue`].
//!
//! Not here: network I/O, storage (labels and the model file are the binary's), alerting; this
//! crate takes listings (and labelled assessments) and returns assessments (and weights).
//!
//! ```
//! use qsword_detector::{Detector, DetectorConfig, Signal};
//! use qsword_listing::{catalogue::Catalogue, Listing, Mark, Price};
//!
//! let detector = Detector::new(Catalogue::embedded(), DetectorConfig::default()).unwrap();
//! let mut listings: Vec<Listing> = (0..15)
//!     .map(|i| {
//!         let mut l = Listing::new(format!("https://shop.example/{i}"), "飞利浦 空气炸锅 HD9252");
//!         l.price = Some(Price::new(&format!("{}", 290 + i), "CNY").unwrap());
//!         l.description = Some("一级能效".into());
//!         l.marks.push(Mark { // CCC, which appliances need
//!             scheme: "CCC".into(),
//!             number: Some("2021010701234567".into()),
//!             source: Some("specs".into()),
//!         });
//!         l
//!     })
//!     .collect();
//! listings[0].price = Some(Price::new("89.00", "CNY").unwrap());
//! let assessments = detector.detect(&listings);
//! let flag = &assessments[0].flags[0];
//! assert_eq!(flag.signal, Signal::Price);
//! assert_eq!(flag.reason, "¥89 is 70% below the median ¥297.50 of 14 other offers of Philips HD9252");
//! assert_eq!(flag.evidence["reference_source"], "group_median");
//! assert!(assessments[0].risk >= flag.score);
//! assert!(assessments[1].flags.is_empty() && assessments[1].risk == 0.0);
//! ```

mod assessment;
pub mod brand;
mod config;
pub mod cue;
pub mod evaluation;
pub mod gold;
pub mod group;
pub mod hanzi;
pub mod history;
mod jsonl;
pub mod latin;
pub mod lexicon;
pub mod mark;
pub mod model;
pub mod outlier;
pub mod price;
pub mod price_model;
pub mod real;
pub mod seller;

pub use assessment::{combine_risk, Assessment, Flag, Signal};
pub use config::{DetectorConfig, SignalWeights};
pub use group::PriceGroup;
pub use jsonl::DetectSummary;

use brand::BrandMatcher;
use mark::MarkChecker;
use qsword_listing::catalogue::Catalogue;
use qsword_listing::{CurrencyRates, Listing};
use rayon::prelude::*;
use std::collections::HashMap;

/// Why a detector could not be built from its catalogue.
#[derive(Debug, thiserror::Error)]
pub enum DetectorError {
    #[error("mark rule `{scheme}` (marks.toml): pattern {pattern:?} is not a valid regular expression: {source}")]
    MarkPattern {
        scheme: String,
        pattern: String,
        source: Box<regex::Error>,
    },
}

/// The detector: catalogues and thresholds, prepared once, applied to any batch of listings.
#[derive(Debug, Clone)]
pub struct Detector {
    catalogue: Catalogue,
    cfg: DetectorConfig,
    brands: BrandMatcher,
    marks: MarkChecker,
    /// Weights learnt from investigators' labels, in place of the default noisy-OR.
    weights: Option<model::LearntWeights>,
    /// Currency rates for comparing prices in different currencies (the indexer's).
    rates: CurrencyRates,
}

impl Detector {
    /// Prepares the catalogue (compiles mark patterns, indexes brand names). Fails only on a
    /// mark rule whose pattern does not compile.
    pub fn new(catalogue: Catalogue, cfg: DetectorConfig) -> Result<Detector, DetectorError> {
        let marks = MarkChecker::new(&catalogue)?;
        let brands = BrandMatcher::new(&catalogue);
        Ok(Detector {
            catalogue,
            cfg,
            brands,
            marks,
            weights: None,
            rates: CurrencyRates::reference(),
        })
    }

    /// The detector with the catalogues compiled in from `seeds/` and the default thresholds.
    pub fn embedded() -> Detector {
        Detector::new(Catalogue::embedded(), DetectorConfig::default())
            .expect("the mark patterns in seeds/marks.toml compile (checked by the tests)")
    }

    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    pub fn config(&self) -> &DetectorConfig {
        &self.cfg
    }

    /// Uses learnt weights (from `qsword detect --train`) for the risk of flagged listings;
    /// a listing without flags stays at 0 whatever the weights.
    pub fn with_weights(mut self, weights: model::LearntWeights) -> Detector {
        self.weights = Some(weights);
        self
    }

    pub fn weights(&self) -> Option<&model::LearntWeights> {
        self.weights.as_ref()
    }

    /// Converts prices with `rates` (default: [`CurrencyRates::reference`], as the indexer).
    pub fn with_rates(mut self, rates: CurrencyRates) -> Detector {
        self.rates = rates;
        self
    }

    /// Adds the kNN isolation of each price-flagged offer to its flag's evidence.
    fn add_isolation(
        &self,
        listings: &[Listing],
        refs: &[Option<price::Reference>],
        flags: &mut [(usize, Flag)],
    ) {
        if flags.is_empty() {
            return;
        }
        let z = price::z_scores(refs);
        let mut seller_size: HashMap<(&str, &str), usize> = HashMap::new();
        fn seller_of(l: &Listing) -> Option<(&str, &str)> {
            l.seller.as_ref().map(|s| {
                (
                    l.platform.as_deref().unwrap_or(""),
                    s.id.as_deref().unwrap_or(s.name.as_str()),
                )
            })
        }
        for l in listings {
            if let Some(k) = seller_of(l) {
                *seller_size.entry(k).or_default() += 1;
            }
        }
        let mut row_of = vec![usize::MAX; listings.len()];
        let mut points = Vec::new();
        for (i, z) in z.iter().enumerate() {
            if let Some(z) = z {
                let size = seller_of(&listings[i]).map_or(0, |k| seller_size[&k]);
                row_of[i] = points.len();
                points.push([*z, (size as f64).ln_1p()]);
            }
        }
        let queries: Vec<usize> = flags.iter().map(|(i, _)| row_of[*i]).collect();
        if queries.contains(&usize::MAX) {
            return; // a flag outside the judged offers: cannot happen, say nothing
        }
        if let Some(iso) = outlier::isolation(&points, &queries) {
            for ((_, flag), iso) in flags.iter_mut().zip(iso) {
                flag.evidence["knn_isolation"] = serde_json::json!(assessment::round2(iso));
            }
        }
    }

    /// The product groups the price signal judges `listings` in (see [`group`]): for showing
    /// an offer beside the other offers of the same product, as the detector saw them.
    pub fn price_groups(&self, listings: &[Listing]) -> Vec<PriceGroup> {
        let lexicon = self.brand_lexicon(listings);
        let variants: Vec<_> = listings
            .par_iter()
            .map(|l| self.brands.finding_in(l, &lexicon))
            .collect();
        self.groups_with(listings, &variants)
    }

    /// The brand lexicon of a batch ([`lexicon`]): the Latin-script brands its listings claim,
    /// how widely, and the rare spellings that imitate them. [`Detector::detect`] learns it
    /// from each batch it is given.
    pub fn brand_lexicon(&self, listings: &[Listing]) -> lexicon::BrandLexicon {
        lexicon::BrandLexicon::learn(listings, &self.catalogue)
    }

    /// Every listing's product (priced or not), as [`group::match_products`] finds them.
    pub fn products(&self, listings: &[Listing]) -> Vec<group::Product> {
        let lexicon = self.brand_lexicon(listings);
        let variants: Vec<_> = listings
            .par_iter()
            .map(|l| self.brands.finding_in(l, &lexicon))
            .collect();
        group::match_products(&self.catalogue, listings, |i| self.imitated(&variants[i]))
    }

    /// The protected brand a listing imitates, and how it was written.
    fn imitated<'a>(
        &'a self,
        finding: &Option<brand::BrandFinding>,
    ) -> Option<(&'a qsword_listing::catalogue::Brand, String)> {
        finding.as_ref().and_then(|f| {
            f.protected()
                .map(|b| (&self.catalogue.brands[b], f.written().to_string()))
        })
    }

    /// Price groups given each listing's brand variant (`variants[i]` for listing `i`).
    fn groups_with(
        &self,
        listings: &[Listing],
        variants: &[Option<brand::BrandFinding>],
    ) -> Vec<PriceGroup> {
        // Imitations are grouped with the genuine product, so that their prices meet.
        group::price_groups(&self.catalogue, listings, |i| self.imitated(&variants[i]))
    }

    /// The brand-variant matcher over the catalogue's protected names.
    pub fn brand_matcher(&self) -> &BrandMatcher {
        &self.brands
    }

    /// Assesses a batch: exactly one [`Assessment`] per listing, in the same order. Prices are
    /// judged against the other listings of the batch, so pass a whole night's (or a whole
    /// file's) listings at once; a listing without price, brand or category is still assessed
    /// on the signals it allows.
    pub fn detect(&self, listings: &[Listing]) -> Vec<Assessment> {
        self.detect_with_history(listings, &[])
    }

    /// [`Detector::detect`], with each listing's earlier prices (`history[i]` for listing `i`,
    /// oldest first; an empty slice for none) for the price-history signal ([`history`]).
    pub fn detect_with_history(
        &self,
        listings: &[Listing],
        history: &[Vec<qsword_listing::Price>],
    ) -> Vec<Assessment> {
        // The batch's brands first (one hashing pass).
        let lexicon = self.brand_lexicon(listings);
        self.detect_with_lexicon(listings, history, &lexicon)
    }

    /// [`Detector::detect_with_history`] with the brand lexicon already learnt (from this batch
    /// with [`Detector::brand_lexicon`], so the caller can keep and show it, or a stored one).
    pub fn detect_with_lexicon(
        &self,
        listings: &[Listing],
        history: &[Vec<qsword_listing::Price>],
        lexicon: &lexicon::BrandLexicon,
    ) -> Vec<Assessment> {
        // Each listing's own signals are independent of the others: scored in parallel.
        let variants: Vec<_> = listings
            .par_iter()
            .map(|l| self.brands.finding_in(l, lexicon))
            .collect();
        // Each listing's category once: the mark peers count by it and the mark rules apply it.
        let categories: Vec<_> = listings
            .par_iter()
            .map(|l| self.catalogue.categorize(l))
            .collect();
        let products = product_ids(listings);
        let mark_peers = mark::mark_peers(listings, &products, &categories);
        let mut flags: Vec<Vec<Flag>> = listings
            .par_iter()
            .zip(&variants)
            .zip(&mark_peers)
            .zip(&categories)
            .map(|(((listing, variant), peers), &category)| {
                let mut flags = Vec::new();
                if let Some(v) = variant {
                    flags.push(self.brands.finding_flag(&self.catalogue, v));
                }
                flags.extend(self.marks.flags(&self.cfg, category, listing, peers));
                flags.extend(cue::cue_flag(&self.catalogue, listing));
                flags
            })
            .collect();

        let groups = self.groups_with(listings, &variants);
        // Offers already carrying another signal's flag weigh little in reference prices.
        let suspect: Vec<bool> = flags
            .iter()
            .map(|f| f.iter().any(|f| f.score >= 0.5))
            .collect();
        let lone = groups
            .iter()
            .any(|g| g.members.len() < self.cfg.min_group_offers.max(2));
        let price_model = if lone {
            price_model::PriceModel::train(&self.catalogue, &self.rates, &groups, listings)
        } else {
            None
        };
        let refs = price::references(
            &self.cfg,
            &self.catalogue,
            &self.rates,
            &groups,
            listings,
            &suspect,
            price_model.as_ref(),
        );
        let mut price_flags = price::price_flags(
            &self.cfg,
            &self.catalogue,
            &self.rates,
            &groups,
            listings,
            &refs,
        );
        self.add_isolation(listings, &refs, &mut price_flags);
        for (i, flag) in price_flags {
            flags[i].insert(0, flag);
        }
        if history.len() == listings.len() {
            for (i, flag) in history::history_flags(listings, history) {
                flags[i].insert(0, flag);
            }
        }
        let verdicts: Vec<seller::ListingVerdict> = flags
            .iter()
            .zip(&refs)
            .zip(listings)
            .map(|((f, r), l)| {
                let mut signals: Vec<Signal> = f
                    .iter()
                    .filter(|f| f.score >= 0.5)
                    .map(|f| f.signal)
                    .collect();
                signals.dedup();
                seller::ListingVerdict {
                    signals,
                    log_ratio: r
                        .filter(|r| r.source != price::ReferenceSource::PriceModel)
                        .map(|r| r.log_ratio),
                    explained: price::explained_low_price(l).is_some(),
                }
            })
            .collect();
        for (i, flag) in seller::seller_flags(listings, &verdicts) {
            flags[i].push(flag);
        }

        listings
            .par_iter()
            .zip(flags)
            .map(|(l, mut flags)| {
                for f in &mut flags {
                    let w = self.cfg.signal_weights.of(f.signal);
                    if w != 1.0 {
                        f.score = assessment::round3(f.score * w);
                    }
                }
                flags.retain(|f| f.score > 0.0);
                let mut a = Assessment::from_flags(l.url.clone(), flags);
                if let Some(w) = &self.weights {
                    if !a.flags.is_empty() {
                        a.risk = w.risk(&a);
                    }
                }
                a
            })
            .collect()
    }
}

/// Which listings are offers of the same product, for comparing their marks: the same model
/// number (model, MPN) or GTIN. `None` for a listing that names neither.
fn product_ids(listings: &[Listing]) -> Vec<Option<usize>> {
    let mut ids: HashMap<String, usize> = HashMap::new();
    listings
        .iter()
        .map(|l| {
            let key = l
                .gtin
                .as_deref()
                .filter(|g| g.len() >= 8 && g.bytes().all(|b| b.is_ascii_digit()))
                .map(|g| format!("gtin:{g}"))
                .or_else(|| {
                    l.model
                        .as_deref()
                        .or(l.mpn.as_deref())
                        .map(group::normalise_model)
                        .filter(|m| m.len() >= 4 && m.bytes().any(|b| b.is_ascii_digit()))
                        .map(|m| format!("model:{m}"))
                })?;
            let next = ids.len();
            Some(*ids.entry(key).or_insert(next))
        })
        .collect()
}
