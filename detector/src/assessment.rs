//! What the detector says about one listing: an [`Assessment`] with its risk and the [`Flag`]s
//! behind it, in the DESIGN output format (`{"url","risk","flags":[{"signal","score","reason",
//! "evidence"}]}`).

use serde::{Deserialize, Serialize};

/// The kind of evidence a flag rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Signal {
    /// Far below the usual price of the same product.
    Price,
    /// A look-alike of a protected brand's name.
    Brand,
    /// A required certification mark missing, or a malformed/mismatched number.
    Mark,
    /// Words that sellers of fakes use (高仿, replica, …).
    Cue,
    /// The seller: most of its other listings flagged, or many brands at deep discounts.
    Seller,
}

impl Signal {
    /// The name used in the output format: `price`, `brand`, `mark`, `cue`, `seller`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Signal::Price => "price",
            Signal::Brand => "brand",
            Signal::Mark => "mark",
            Signal::Cue => "cue",
            Signal::Seller => "seller",
        }
    }
}

impl std::fmt::Display for Signal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One reason to suspect a listing, with the numbers behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flag {
    pub signal: Signal,
    /// 0–1: how strongly this signal alone suggests a fake.
    pub score: f64,
    /// A sentence an investigator can read, with the numbers.
    pub reason: String,
    /// The numbers and strings the reason was built from, for the console and for training.
    pub evidence: serde_json::Value,
}

impl Flag {
    pub fn new(signal: Signal, score: f64, reason: String, evidence: serde_json::Value) -> Flag {
        Flag {
            signal,
            score: round3(score.clamp(0.0, 1.0)),
            reason,
            evidence,
        }
    }
}

/// The detector's verdict on one listing. Every input listing gets one, flagged or not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub url: String,
    /// 0–1, see [`combine_risk`].
    pub risk: f64,
    pub flags: Vec<Flag>,
}

impl Assessment {
    /// An assessment whose risk is combined from `flags`.
    pub fn from_flags(url: String, flags: Vec<Flag>) -> Assessment {
        let risk = combine_risk(flags.iter().map(|f| f.score));
        Assessment { url, risk, flags }
    }
}

/// Combines signal scores into one risk as independent pieces of evidence ("noisy OR"):
/// `risk = 1 - Π(1 - score_i)`, clamped to [0, 1] and rounded to 3 decimals. No flags = 0;
/// one flag = its score; two weak flags together count more than either alone, and no number
/// of flags passes 1. These are the default weights; a model trained on investigators' labels
/// (issue 6) may replace them.
pub fn combine_risk(scores: impl IntoIterator<Item = f64>) -> f64 {
    let clear = scores
        .into_iter()
        .fold(1.0, |clear, s| clear * (1.0 - s.clamp(0.0, 1.0)));
    round3((1.0 - clear).clamp(0.0, 1.0))
}

pub(crate) fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

pub(crate) fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn risk_combines_as_independent_evidence_and_stays_in_range() {
        assert_eq!(combine_risk([]), 0.0);
        assert_eq!(combine_risk([0.7]), 0.7);
        assert_eq!(combine_risk([0.5, 0.5]), 0.75);
        assert_eq!(combine_risk([1.0, 0.3]), 1.0);
        assert_eq!(
            combine_risk([1.7, -2.0]),
            1.0,
            "out-of-range scores are clamped"
        );
    }
}
