//! The detector's knobs, with defaults that work without any labels.

use chrono::Datelike;
use serde::{Deserialize, Serialize};

/// Thresholds and weights. Deserialisable (e.g. a `[detector]` table of `qsword.toml`); unknown
/// keys are refused so that a typo does not silently keep a default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DetectorConfig {
    /// A product needs at least this many priced offers before its own offers set the reference
    /// price of each (the others of the group, trust-weighted); a product with fewer is judged
    /// by the learnt price model ([`crate::price_model`]) instead.
    pub min_group_offers: usize,
    /// A price at or below `-z_threshold` modified z-scores keeps a (small) flag even when it is
    /// too shallow to score (Iglewicz & Hoaglin recommend 3.5): a record for investigators.
    pub z_threshold: f64,
    /// No price flag above this discount from the reference (0.2 = 20 % below).
    pub min_discount: f64,
    /// The ratio of price to reference at which a price alone is as likely a fake as a
    /// clearance: score 0.5 (after the reference's uncertainty). Fakes of branded goods sell at a
    /// fraction of the going price; honest clearances and open boxes reach about half.
    pub even_odds_ratio: f64,
    /// Steepness of the price score in ln(ratio): 5.5 takes the score from 0.5 at the even-odds
    /// ratio to about 0.9 at two thirds of it.
    pub price_steepness: f64,
    /// Price flags scoring below this are not raised (unless a statistical outlier).
    pub min_price_score: f64,
    /// Factor on a price score whose reference is the learnt price model, not other offers.
    pub model_reference_factor: f64,
    /// Factor on the price score of a listing whose wording explains a low price (clearance,
    /// open box, display model, refurbished, 清仓, 样机 …).
    pub explained_damping: f64,
    /// Factor applied to the price score of a brand's own official store: its low prices are
    /// usually clearances, and must not dominate the flags.
    pub official_store_damping: f64,
    /// Flag a mark the category requires but the listing neither claims nor mentions. Turn off
    /// when the listings come from an extractor that does not read marks, specs or images.
    pub flag_missing_marks: bool,
    /// Factor applied to scores from rules whose source is not verified.
    pub unverified_rule_factor: f64,
    /// Latest plausible year in a certificate number when the listing has no `fetched_at`.
    pub current_year: i32,
    /// Each signal's flag scores are multiplied by its weight (0–1) before they are combined
    /// into the risk: the center turns a signal down (or off, with 0) without a rebuild.
    pub signal_weights: SignalWeights,
}

/// Per-signal factors on flag scores (`[detector.settings.signal_weights]`); 1 keeps a score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SignalWeights {
    pub price: f64,
    pub brand: f64,
    pub mark: f64,
    pub cue: f64,
    pub seller: f64,
}

impl Default for SignalWeights {
    fn default() -> Self {
        SignalWeights {
            price: 1.0,
            brand: 1.0,
            mark: 1.0,
            cue: 1.0,
            seller: 1.0,
        }
    }
}

impl SignalWeights {
    pub fn of(&self, signal: crate::Signal) -> f64 {
        use crate::Signal::*;
        match signal {
            Price => self.price,
            Brand => self.brand,
            Mark => self.mark,
            Cue => self.cue,
            Seller => self.seller,
        }
    }
}

impl DetectorConfig {
    /// The first setting out of its range, named by its key (in backquotes), with what
    /// would be right.
    pub fn check(&self) -> Result<(), String> {
        let w = &self.signal_weights;
        for (key, v) in [
            ("price", w.price),
            ("brand", w.brand),
            ("mark", w.mark),
            ("cue", w.cue),
            ("seller", w.seller),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!(
                    "`signal_weights.{key}` is {v}; it must be between 0 and 1"
                ));
            }
        }
        for (key, v) in [
            ("min_discount", self.min_discount),
            ("even_odds_ratio", self.even_odds_ratio),
            ("min_price_score", self.min_price_score),
            ("model_reference_factor", self.model_reference_factor),
            ("explained_damping", self.explained_damping),
            ("official_store_damping", self.official_store_damping),
            ("unverified_rule_factor", self.unverified_rule_factor),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("`{key}` is {v}; it must be between 0 and 1"));
            }
        }
        if self.z_threshold <= 0.0 || self.price_steepness <= 0.0 {
            return Err("`z_threshold` and `price_steepness` must be > 0".into());
        }
        if self.min_group_offers < 2 {
            return Err(format!(
                "`min_group_offers` is {}; a price needs at least 2 offers to compare with",
                self.min_group_offers
            ));
        }
        Ok(())
    }
}

impl Default for DetectorConfig {
    fn default() -> Self {
        DetectorConfig {
            min_group_offers: 2,
            z_threshold: 3.5,
            min_discount: 0.2,
            even_odds_ratio: 0.45,
            price_steepness: 5.5,
            min_price_score: 0.15,
            model_reference_factor: 0.7,
            explained_damping: 0.35,
            official_store_damping: 0.3,
            flag_missing_marks: true,
            unverified_rule_factor: 0.6,
            current_year: chrono::Utc::now().year(),
            signal_weights: SignalWeights::default(),
        }
    }
}
