//! Learning from investigators: a logistic regression (linfa) over what the detector computes
//! at scoring time, fitted on confirmed and dismissed listings, that re-weights the evidence in
//! place of the default noisy-OR ([`crate::combine_risk`]).
//!
//! **The same features at training and scoring.** [`features`] reads them from the
//! assessment itself (its flags and their evidence), so a model trained on re-scored labelled
//! listings sees exactly what it will see when scoring: each signal's strongest score, the
//! number of flags, the kNN isolation, and the price and seller context: how far below its
//! reference a price is, whether that reference was the price model (a guess), anchored on
//! official stores or list prices, how many offers stood behind it and how uncertain it was,
//! whether the wording explains a low price; the seller network's posterior and flagged
//! share. [`FEATURES`] names them; a model file with other features is refused.
//!
//! **Validated as used.** The model is only worth using if it ranks unseen listings better than
//! the defaults, so [`train`] measures it first by stratified k-fold cross-validation, scoring
//! the held-out listings exactly as deployment does (a listing without flags stays at risk 0),
//! beside the defaults' on the same labels; and it reports calibration (Brier score and the
//! expected calibration error over ten risk bins: "risk 0.8" should be confirmed about 80 % of
//! the time). The caller decides from those figures. Too few labels are refused with how many
//! are missing.

use crate::evaluation::{average_precision, roc_auc, Scored};
use crate::{Assessment, Signal};
use linfa::prelude::*;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

/// Labels needed before anything is fitted, and of each decision.
pub const MIN_LABELS: usize = 20;
pub const MIN_PER_DECISION: usize = 5;
/// Cross-validation folds (fewer when a decision has fewer labels).
const FOLDS: usize = 5;

/// The features, in order: each signal's strongest score; how many flags there are (scaled:
/// four flags = 1); how isolated a price-flagged offer is (kNN, [`crate::outlier`]; 1 at the
/// usual distance → 0.5, far → 1); the price flag's depth below its reference (−ln ratio, a
/// third of the price = 1.1; capped at 3), whether the reference was the price model, whether
/// it was anchored, how many offers stood behind it (ln(1 + n) / ln 65, capped at 1), its
/// uncertainty (log scale), whether the wording explains a low price; the seller network's
/// posterior (without this listing) and its flagged share.
pub const FEATURES: &[&str] = &[
    "price",
    "brand",
    "mark",
    "cue",
    "seller",
    "flags",
    "outlier",
    "price_depth",
    "price_model_reference",
    "price_anchored",
    "price_offers",
    "price_uncertainty",
    "price_explained",
    "seller_posterior",
    "seller_flagged_share",
];

/// The features of one assessment, see [`FEATURES`].
pub fn features(a: &Assessment) -> [f64; 15] {
    let best = |s: Signal| {
        a.flags
            .iter()
            .filter(|f| f.signal == s)
            .map(|f| f.score)
            .fold(0.0, f64::max)
    };
    let strongest = |s: Signal| {
        a.flags
            .iter()
            .filter(|f| f.signal == s)
            .max_by(|x, y| x.score.total_cmp(&y.score))
    };
    let price = strongest(Signal::Price).map(|f| &f.evidence);
    let seller = strongest(Signal::Seller).map(|f| &f.evidence);
    let num = |e: Option<&serde_json::Value>, key: &str| {
        e.and_then(|e| e.get(key)?.as_f64()).unwrap_or(0.0)
    };
    let source = price
        .and_then(|e| e.get("reference_source")?.as_str())
        .unwrap_or("");
    let ratio = num(price, "ratio");
    [
        best(Signal::Price),
        best(Signal::Brand),
        best(Signal::Mark),
        best(Signal::Cue),
        best(Signal::Seller),
        (a.flags.len() as f64 / 4.0).min(1.0),
        a.flags
            .iter()
            .filter_map(|f| f.evidence.get("knn_isolation")?.as_f64())
            .map(|iso| iso / (1.0 + iso))
            .fold(0.0, f64::max),
        if ratio > 0.0 {
            (-ratio.ln()).clamp(0.0, 3.0)
        } else {
            0.0
        },
        f64::from(u8::from(source == "price_model")),
        f64::from(u8::from(source == "anchored_median")),
        ((1.0 + num(price, "offers")).ln() / 65f64.ln()).min(1.0),
        num(price, "uncertainty").min(3.0),
        f64::from(u8::from(price.is_some_and(|e| {
            e.get("explained_by").is_some_and(|v| !v.is_null())
        }))),
        seller
            .map(|e| {
                e.get("posterior_without_this_listing")
                    .or(e.get("posterior"))
                    .and_then(|v| v.as_f64())
                    .unwrap_or(0.0)
            })
            .unwrap_or(0.0),
        num(seller, "flagged_share"),
    ]
}

/// Brier score and expected calibration error (ten equal-width risk bins, weighted by their
/// counts) of risks against outcomes.
pub fn calibration(scored: &[Scored]) -> (f64, f64) {
    if scored.is_empty() {
        return (0.0, 0.0);
    }
    let n = scored.len() as f64;
    let brier = scored
        .iter()
        .map(|s| (s.risk - f64::from(u8::from(s.fake))).powi(2))
        .sum::<f64>()
        / n;
    let mut bins = [(0usize, 0.0f64, 0usize); 10];
    for s in scored {
        let b = ((s.risk * 10.0) as usize).min(9);
        bins[b].0 += 1;
        bins[b].1 += s.risk;
        bins[b].2 += usize::from(s.fake);
    }
    let ece = bins
        .iter()
        .filter(|b| b.0 > 0)
        .map(|&(count, sum, fakes)| {
            let c = count as f64;
            c / n * (sum / c - fakes as f64 / c).abs()
        })
        .sum();
    (brier, ece)
}

/// Why no model was fitted.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("too few labels to learn from: {confirmed} confirmed and {dismissed} dismissed; at least {MIN_LABELS} in all and {MIN_PER_DECISION} of each are needed (label more with `qsword label URL confirmed|dismissed`)")]
    TooFewLabels { confirmed: usize, dismissed: usize },
    #[error("fitting the logistic regression failed: {0}")]
    Fit(String),
}

/// Cross-validated quality of a model, beside the default weights' on the same labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvQuality {
    pub folds: usize,
    pub roc_auc: f64,
    pub average_precision: f64,
    pub default_roc_auc: f64,
    pub default_average_precision: f64,
    /// Brier score of the held-out risks (lower is better).
    #[serde(default)]
    pub brier: f64,
    /// Expected calibration error of the held-out risks (0 = "risk 0.8" is confirmed 80 % of
    /// the time).
    #[serde(default)]
    pub calibration_error: f64,
    #[serde(default)]
    pub default_calibration_error: f64,
}

impl CvQuality {
    /// Whether the model ranks held-out listings at least as well as the defaults (and better
    /// than chance): only then should it replace them.
    pub fn beats_defaults(&self) -> bool {
        self.roc_auc > 0.5 && self.roc_auc + 1e-9 >= self.default_roc_auc
    }
}

impl std::fmt::Display for CvQuality {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}-fold cross-validated ROC-AUC {:.3}, average precision {:.3}, Brier {:.3}, calibration error {:.3} (default weights on the same labels: ROC-AUC {:.3}, average precision {:.3}, calibration error {:.3})",
            self.folds,
            self.roc_auc,
            self.average_precision,
            self.brier,
            self.calibration_error,
            self.default_roc_auc,
            self.default_average_precision,
            self.default_calibration_error
        )
    }
}

/// Signal weights learnt from labels: `risk = σ(intercept + Σ wᵢ·featureᵢ)`. Saved as JSON
/// (`data/models/detector.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LearntWeights {
    pub features: Vec<String>,
    pub weights: Vec<f64>,
    pub intercept: f64,
    pub confirmed: usize,
    pub dismissed: usize,
    pub quality: CvQuality,
}

impl LearntWeights {
    /// The risk of an assessment under these weights, in [0, 1], rounded to 3 decimals.
    pub fn risk(&self, a: &Assessment) -> f64 {
        let x = features(a);
        let z = self.intercept
            + self
                .weights
                .iter()
                .zip(x.iter())
                .map(|(w, x)| w * x)
                .sum::<f64>();
        crate::assessment::round3(1.0 / (1.0 + (-z).exp()))
    }

    /// Checks a loaded file against the features this build computes.
    pub fn check(&self) -> Result<(), String> {
        if self.features != FEATURES || self.weights.len() != FEATURES.len() {
            return Err(format!(
                "the model's features {:?} are not this detector's {FEATURES:?}: train again with `qsword detect --train`",
                self.features
            ));
        }
        if !self.intercept.is_finite() || self.weights.iter().any(|w| !w.is_finite()) {
            return Err("the model holds a weight that is not a finite number".into());
        }
        Ok(())
    }
}

/// Fits the weights on labelled assessments (`true` = confirmed fake), after measuring them
/// by cross-validation.
pub fn train(examples: &[(Assessment, bool)]) -> Result<LearntWeights, TrainError> {
    let confirmed = examples.iter().filter(|(_, y)| *y).count();
    let dismissed = examples.len() - confirmed;
    if examples.len() < MIN_LABELS || confirmed.min(dismissed) < MIN_PER_DECISION {
        return Err(TrainError::TooFewLabels {
            confirmed,
            dismissed,
        });
    }
    let folds = FOLDS.min(confirmed).min(dismissed);
    // Stratified folds: each decision's examples dealt round-robin, so every fold holds both.
    let mut fold_of = vec![0; examples.len()];
    let (mut pos, mut neg) = (0, 0);
    for (i, (_, y)) in examples.iter().enumerate() {
        let k = if *y { &mut pos } else { &mut neg };
        fold_of[i] = *k % folds;
        *k += 1;
    }
    let mut held_out = vec![0.0; examples.len()];
    for k in 0..folds {
        let train: Vec<&(Assessment, bool)> = examples
            .iter()
            .zip(&fold_of)
            .filter(|(_, &f)| f != k)
            .map(|(e, _)| e)
            .collect();
        let fitted = fit(&train)?;
        for (i, e) in examples.iter().enumerate() {
            if fold_of[i] == k {
                // As deployed: a listing without flags stays at 0 whatever the weights.
                held_out[i] = if e.0.flags.is_empty() {
                    0.0
                } else {
                    fitted.risk(&e.0)
                };
            }
        }
    }
    let scored = |risk: &dyn Fn(usize) -> f64| -> Vec<Scored> {
        (0..examples.len())
            .map(|i| Scored {
                risk: risk(i),
                fake: examples[i].1,
            })
            .collect()
    };
    let model = scored(&|i| held_out[i]);
    let default = scored(&|i| examples[i].0.risk);
    let (brier, calibration_error) = calibration(&model);
    let quality = CvQuality {
        folds,
        roc_auc: roc_auc(&model).unwrap_or(0.0),
        average_precision: average_precision(&model).unwrap_or(0.0),
        default_roc_auc: roc_auc(&default).unwrap_or(0.0),
        default_average_precision: average_precision(&default).unwrap_or(0.0),
        brier,
        calibration_error,
        default_calibration_error: calibration(&default).1,
    };
    let all: Vec<&(Assessment, bool)> = examples.iter().collect();
    let mut weights = fit(&all)?;
    weights.confirmed = confirmed;
    weights.dismissed = dismissed;
    weights.quality = quality;
    Ok(weights)
}

fn fit(examples: &[&(Assessment, bool)]) -> Result<LearntWeights, TrainError> {
    let mut x = Array2::zeros((examples.len(), FEATURES.len()));
    for (i, (a, _)) in examples.iter().enumerate() {
        for (j, v) in features(a).iter().enumerate() {
            x[[i, j]] = *v;
        }
    }
    let y: Array1<bool> = examples.iter().map(|(_, y)| *y).collect();
    let data = Dataset::new(x, y);
    // L2 penalty: a few dozen labels must not give one signal an absurd weight.
    let fitted = LogisticRegression::default()
        .alpha(0.1)
        .max_iterations(200)
        .fit(&data)
        .map_err(|e| TrainError::Fit(e.to_string()))?;
    // linfa's probabilities are of its "positive" class: turn them round when that is
    // `false` (dismissed), so the risk is always the chance of a confirmed fake.
    let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
    Ok(LearntWeights {
        features: FEATURES.iter().map(|f| f.to_string()).collect(),
        weights: fitted.params().iter().map(|w| sign * w).collect(),
        intercept: sign * fitted.intercept(),
        confirmed: 0,
        dismissed: 0,
        quality: CvQuality {
            folds: 0,
            roc_auc: 0.0,
            average_precision: 0.0,
            default_roc_auc: 0.0,
            default_average_precision: 0.0,
            brier: 0.0,
            calibration_error: 0.0,
            default_calibration_error: 0.0,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Flag;

    fn assessment(price: f64, cue: f64) -> Assessment {
        let mut flags = Vec::new();
        if price > 0.0 {
            flags.push(Flag::new(
                Signal::Price,
                price,
                String::new(),
                serde_json::Value::Null,
            ));
        }
        if cue > 0.0 {
            flags.push(Flag::new(
                Signal::Cue,
                cue,
                String::new(),
                serde_json::Value::Null,
            ));
        }
        Assessment::from_flags("u".into(), flags)
    }

    #[test]
    fn too_few_labels_are_refused_with_the_counts() {
        let few: Vec<_> = (0..8).map(|i| (assessment(0.5, 0.0), i % 2 == 0)).collect();
        let err = train(&few).unwrap_err().to_string();
        assert!(err.contains("4 confirmed and 4 dismissed"), "{err}");
    }

    #[test]
    fn learns_that_investigators_dismiss_price_flags_and_confirm_cues() {
        // Investigators here dismiss price-only flags (clearances) and confirm cue words: the
        // defaults rank price 0.8 above cue 0.6, the model must learn the other way round.
        let mut examples = Vec::new();
        for i in 0..30 {
            let jitter = (i % 5) as f64 * 0.02;
            examples.push((assessment(0.8 + jitter, 0.0), false));
            examples.push((assessment(0.0, 0.6 + jitter), true));
        }
        let w = train(&examples).unwrap();
        assert_eq!((w.confirmed, w.dismissed), (30, 30));
        assert!(w.quality.roc_auc > 0.95, "{}", w.quality);
        assert!(w.quality.default_roc_auc < 0.05, "{}", w.quality);
        assert!(w.quality.beats_defaults());
        assert!(w.risk(&assessment(0.0, 0.6)) > w.risk(&assessment(0.9, 0.0)));
        assert!(w.quality.calibration_error < w.quality.default_calibration_error);
        w.check().unwrap();
    }

    #[test]
    fn calibration_is_measured_per_risk_bin() {
        let s = |risk: f64, fake: bool| Scored { risk, fake };
        // Risk 0.8 confirmed 4 times in 5: calibrated.
        let good: Vec<Scored> = (0..5).map(|i| s(0.8, i < 4)).collect();
        assert!(calibration(&good).1 < 1e-9);
        let bad: Vec<Scored> = (0..5).map(|i| s(0.8, i < 1)).collect();
        assert!((calibration(&bad).1 - 0.6).abs() < 1e-9);
    }

    #[test]
    fn price_and_seller_context_are_features() {
        let flag = Flag::new(
            Signal::Price,
            0.7,
            String::new(),
            serde_json::json!({"ratio": 0.25, "reference_source": "price_model", "offers": 3,
                               "uncertainty": 0.4, "explained_by": null}),
        );
        let x = features(&Assessment::from_flags("u".into(), vec![flag]));
        assert!((x[7] - 4f64.ln()).abs() < 1e-9, "{x:?}");
        assert_eq!((x[8], x[9], x[12]), (1.0, 0.0, 0.0));
        assert_eq!(x.len(), FEATURES.len());
    }
}
