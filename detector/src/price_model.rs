//! What such a product costs: a learnt price model for offers with no other offer of the same
//! product to compare with (the long tail of a real marketplace), so that a lone offer at a
//! fifth of what its kind of product costs is still seen.
//!
//! A ridge regression (linfa-linear's Tweedie GLM with power 0 and the identity link: least
//! squares with an L2 penalty) of log price (in the rates' base currency) on hashed features
//! of the listing: its brand, its title words (Latin words and jieba words, see
//! [`crate::group::title_words`]) and its quantities with units (`26in`, `4gb`, `1400w`). It
//! is trained on the night's own listings, one row per product (the product's median price,
//! so a product with many offers weighs as much as one with one), at most [`MAX_TRAINING`]
//! products (an even sample). Its uncertainty is measured, not assumed: the spread of the
//! residuals of two-fold cross-validation, which the price signal adds to the benefit of the
//! doubt ([`crate::price::depth_score`]) and states in the flag.
//!
//! Not here: prices from other nights (the store could feed them later) and categories
//! (the real feeds rarely carry one).

use crate::group::{title_words, PriceGroup};
use crate::price::log_base;
use linfa::prelude::*;
use linfa_linear::{Link, TweedieRegressor};
use ndarray::{Array1, Array2};
use qsword_listing::catalogue::{fold, Catalogue};
use qsword_listing::{CurrencyRates, Listing};
use std::hash::{Hash, Hasher};

/// Hashed feature dimensions.
pub const DIMENSIONS: usize = 1024;
/// Products trained on at most (an even sample beyond).
pub const MAX_TRAINING: usize = 12_000;
/// Products needed before a model is fitted at all.
pub const MIN_TRAINING: usize = 50;
/// The L2 penalty.
const ALPHA: f64 = 0.002;

/// A fitted price model.
#[derive(Debug, Clone)]
pub struct PriceModel {
    coef: Vec<f64>,
    intercept: f64,
    /// Cross-validated residual standard deviation of log price.
    pub residual_sd: f64,
    /// Products trained on.
    pub trained_on: usize,
    catalogue: Catalogue,
}

fn bucket(kind: u8, word: &str) -> usize {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    kind.hash(&mut h);
    word.hash(&mut h);
    (h.finish() % DIMENSIONS as u64) as usize
}

/// Sparse features of a listing: (dimension, value).
fn features(catalogue: &Catalogue, l: &Listing) -> Vec<(usize, f64)> {
    let words = title_words(catalogue, &l.title);
    let mut out: Vec<(usize, f64)> = Vec::with_capacity(words.len() + 1);
    let scale = 1.0 / (words.len().max(1) as f64).sqrt();
    for w in &words {
        out.push((bucket(1, w), scale));
    }
    let maker = l
        .brand
        .as_deref()
        .map(|b| fold(b).trim().to_string())
        .or_else(|| catalogue.brand_of(l).map(|b| b.id.clone()));
    if let Some(m) = maker {
        out.push((bucket(2, &m), 1.0));
    }
    out
}

fn row_into(x: &mut Array2<f64>, r: usize, f: &[(usize, f64)]) {
    for &(d, v) in f {
        x[[r, d]] += v;
    }
}

fn fit(x: Array2<f64>, y: Array1<f64>) -> Option<(Vec<f64>, f64)> {
    let data = Dataset::new(x, y);
    let fitted = TweedieRegressor::params()
        .power(0.0)
        .link(Link::Identity)
        .alpha(ALPHA)
        .max_iter(200)
        .fit(&data)
        .ok()?;
    Some((fitted.coef.to_vec(), fitted.intercept))
}

impl PriceModel {
    /// Trains on `groups` (one row per product with a priced offer: its median log price), or
    /// `None` with fewer than [`MIN_TRAINING`] products or when the fit fails.
    pub fn train(
        catalogue: &Catalogue,
        rates: &CurrencyRates,
        groups: &[PriceGroup],
        listings: &[Listing],
    ) -> Option<PriceModel> {
        let mut rows: Vec<(usize, f64)> = Vec::new();
        for g in groups {
            let mut logs: Vec<(f64, usize)> = g
                .members
                .iter()
                .filter_map(|&i| {
                    let lp = listings[i].price.as_ref().and_then(|p| log_base(rates, p))?;
                    Some((lp, i))
                })
                .collect();
            if logs.is_empty() {
                continue;
            }
            logs.sort_by(|a, b| a.0.total_cmp(&b.0));
            // The upper median: fakes sit low.
            let (median, i) = logs[logs.len() / 2];
            rows.push((i, median));
        }
        if rows.len() < MIN_TRAINING {
            return None;
        }
        let step = rows.len().div_ceil(MAX_TRAINING);
        let rows: Vec<(usize, f64)> = rows.into_iter().step_by(step).collect();
        let feats: Vec<Vec<(usize, f64)>> = rows
            .iter()
            .map(|&(i, _)| features(catalogue, &listings[i]))
            .collect();
        let matrix = |keep: &dyn Fn(usize) -> bool| {
            let idx: Vec<usize> = (0..rows.len()).filter(|&r| keep(r)).collect();
            let mut x = Array2::zeros((idx.len(), DIMENSIONS));
            let mut y = Array1::zeros(idx.len());
            for (k, &r) in idx.iter().enumerate() {
                row_into(&mut x, k, &feats[r]);
                y[k] = rows[r].1;
            }
            (x, y, idx)
        };
        // Two-fold cross-validation for the residual spread.
        let mut residuals = Vec::with_capacity(rows.len());
        for fold in 0..2 {
            let (x, y, _) = matrix(&|r| r % 2 != fold);
            let (coef, intercept) = fit(x, y)?;
            for r in (0..rows.len()).filter(|r| r % 2 == fold) {
                let pred = intercept + feats[r].iter().map(|&(d, v)| coef[d] * v).sum::<f64>();
                residuals.push((rows[r].1 - pred).abs());
            }
        }
        residuals.sort_by(f64::total_cmp);
        // Robust: 1.4826 × median absolute residual.
        let residual_sd = 1.4826 * residuals[residuals.len() / 2];
        let (x, y, _) = matrix(&|_| true);
        let (coef, intercept) = fit(x, y)?;
        Some(PriceModel {
            coef,
            intercept,
            residual_sd,
            trained_on: rows.len(),
            catalogue: catalogue.clone(),
        })
    }

    /// The predicted log price (base currency) of `listing`, its uncertainty (the residual
    /// spread) and how many products the model learnt from.
    pub fn predict(&self, listing: &Listing) -> Option<(f64, f64, usize)> {
        let f = features(&self.catalogue, listing);
        if f.is_empty() {
            return None;
        }
        let pred = self.intercept + f.iter().map(|&(d, v)| self.coef[d] * v).sum::<f64>();
        pred.is_finite()
            .then_some((pred, self.residual_sd, self.trained_on))
    }
}
