//! The detector's knobs, with defaults that work without any labels.

use chrono::Datelike;
use serde::{Deserialize, Serialize};

/// Thresholds and weights. Deserialisable (e.g. a `[detector]` table of `qsword.toml`); unknown
/// keys are refused so that a typo does not silently keep a default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DetectorConfig {
    /// A product group needs at least this many priced offers before any price is called low;
    /// below it the price signal stays silent rather than guess.
    pub min_group_offers: usize,
    /// Flag when the modified z-score of log price is at or below `-z_threshold`
    /// (Iglewicz & Hoaglin recommend 3.5).
    pub z_threshold: f64,
    /// Tukey fence multiplier: a flagged price above `Q1 - k·IQR` of log prices scores less.
    pub tukey_k: f64,
    /// …and at least this fraction below the group median (0.2 = 20%), so that a very tight
    /// group does not make an ordinary coupon look like an outlier.
    pub min_discount: f64,
    /// Discount at which depth no longer reduces a price score. Genuine discounts of 20–35%
    /// are common (promotions, clearance), fakes usually sit far lower: a price at
    /// `min_discount` below the median keeps 30% of its score, one at `full_discount` all of it.
    pub full_discount: f64,
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
            ("full_discount", self.full_discount),
            ("official_store_damping", self.official_store_damping),
            ("unverified_rule_factor", self.unverified_rule_factor),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("`{key}` is {v}; it must be between 0 and 1"));
            }
        }
        if self.z_threshold <= 0.0 || self.tukey_k < 0.0 {
            return Err("`z_threshold` must be > 0 and `tukey_k` >= 0".into());
        }
        if self.min_group_offers < 2 {
            return Err(format!(
                "min_group_offers is {}; a price needs at least 2 offers to compare with",
                self.min_group_offers
            ));
        }
        Ok(())
    }
}

impl Default for DetectorConfig {
    fn default() -> Self {
        DetectorConfig {
            min_group_offers: 5,
            z_threshold: 3.5,
            tukey_k: 1.5,
            min_discount: 0.2,
            full_discount: 0.5,
            official_store_damping: 0.3,
            flag_missing_marks: true,
            unverified_rule_factor: 0.6,
            current_year: chrono::Utc::now().year(),
            signal_weights: SignalWeights::default(),
        }
    }
}
