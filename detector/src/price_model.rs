//! What such a product costs: a learnt price model for offers with no other offer of the same
//! product to compare with (the long tail of a real marketplace), so that a lone offer at a
//! fifth of what its kind of product costs is still seen.
//!
//! A ridge regression (least squares with an L2 penalty, solved in closed form: the normal
//! equations accumulated from the sparse rows, then a Cholesky factorisation; linfa-linear's
//! Tweedie GLM did the same fit in seconds rather than milliseconds) of log price (in the rates' base currency) on hashed features
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

use crate::group::{maker_in_title, PriceGroup, TitleWords};
use crate::price::log_base;
use qsword_listing::catalogue::{fold, Catalogue};
use qsword_listing::{CurrencyRates, Listing};
use std::hash::{Hash, Hasher};

/// Hashed feature dimensions.
pub const DIMENSIONS: usize = 512;
/// Products trained on at most (an even sample beyond).
pub const MAX_TRAINING: usize = 12_000;
/// Products needed before a model is fitted at all.
pub const MIN_TRAINING: usize = 50;
/// The L2 penalty (in units of squared log-price error; the intercept is not penalised).
const LAMBDA: f64 = 0.5;

/// A fitted price model.
#[derive(Debug, Clone)]
pub struct PriceModel {
    coef: Vec<f64>,
    intercept: f64,
    /// Cross-validated residual standard deviation of log price.
    pub residual_sd: f64,
    /// Products trained on.
    pub trained_on: usize,
    words: TitleWords,
}

fn bucket(kind: u8, word: &str) -> usize {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    kind.hash(&mut h);
    word.hash(&mut h);
    (h.finish() % DIMENSIONS as u64) as usize
}

/// Sparse features of a listing: (dimension, value).
fn features(words: &TitleWords, l: &Listing) -> Vec<(usize, f64)> {
    let words = words.words(&l.title);
    let mut out: Vec<(usize, f64)> = Vec::with_capacity(words.len() + 1);
    let scale = 1.0 / (words.len().max(1) as f64).sqrt();
    for w in &words {
        out.push((bucket(1, w), scale));
    }
    let maker = match l.brand.as_deref().map(|b| fold(b).trim().to_string()) {
        Some(b) if !b.is_empty() => b,
        _ => maker_in_title(&l.title),
    };
    if !maker.is_empty() {
        out.push((bucket(2, &maker), 1.0));
    }
    out
}

/// Ridge regression on sparse rows: (coefficients, intercept), or `None` if the system is
/// singular (it cannot be with a positive penalty, barring NaNs).
fn fit(rows: &[&[(usize, f64)]], y: &[f64]) -> Option<(Vec<f64>, f64)> {
    // Unknowns: DIMENSIONS coefficients, then the intercept (column of ones).
    let d = DIMENSIONS + 1;
    let mut a = vec![0.0; d * d];
    let mut b = vec![0.0; d];
    for (row, &target) in rows.iter().zip(y) {
        let mut full: Vec<(usize, f64)> = row.to_vec();
        full.push((DIMENSIONS, 1.0));
        for &(i, vi) in &full {
            b[i] += vi * target;
            for &(j, vj) in &full {
                a[i * d + j] += vi * vj;
            }
        }
    }
    for i in 0..DIMENSIONS {
        a[i * d + i] += LAMBDA;
    }
    // Cholesky: a = L Lᵀ, in place (lower triangle).
    for j in 0..d {
        let mut diag = a[j * d + j];
        for k in 0..j {
            diag -= a[j * d + k] * a[j * d + k];
        }
        if diag.is_nan() || diag <= 1e-12 {
            return None;
        }
        let diag = diag.sqrt();
        a[j * d + j] = diag;
        for i in j + 1..d {
            let mut v = a[i * d + j];
            for k in 0..j {
                v -= a[i * d + k] * a[j * d + k];
            }
            a[i * d + j] = v / diag;
        }
    }
    // Solve L z = b, then Lᵀ x = z.
    let mut z = b;
    for i in 0..d {
        let mut v = z[i];
        for k in 0..i {
            v -= a[i * d + k] * z[k];
        }
        z[i] = v / a[i * d + i];
    }
    let mut x = z;
    for i in (0..d).rev() {
        let mut v = x[i];
        for k in i + 1..d {
            v -= a[k * d + i] * x[k];
        }
        x[i] = v / a[i * d + i];
    }
    let intercept = x.pop()?;
    x.iter().all(|v| v.is_finite()).then_some((x, intercept))
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
                    let lp = listings[i]
                        .price
                        .as_ref()
                        .and_then(|p| log_base(rates, p))?;
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
        let splitter = TitleWords::new(catalogue);
        let step = rows.len().div_ceil(MAX_TRAINING);
        let rows: Vec<(usize, f64)> = rows.into_iter().step_by(step).collect();
        let feats: Vec<Vec<(usize, f64)>> = rows
            .iter()
            .map(|&(i, _)| features(&splitter, &listings[i]))
            .collect();
        // Two-fold cross-validation for the residual spread.
        let mut residuals = Vec::with_capacity(rows.len());
        for fold in 0..2 {
            let train: Vec<usize> = (0..rows.len()).filter(|r| r % 2 != fold).collect();
            let x: Vec<&[(usize, f64)]> = train.iter().map(|&r| feats[r].as_slice()).collect();
            let y: Vec<f64> = train.iter().map(|&r| rows[r].1).collect();
            let (coef, intercept) = fit(&x, &y)?;
            for r in (0..rows.len()).filter(|r| r % 2 == fold) {
                let pred = intercept + feats[r].iter().map(|&(d, v)| coef[d] * v).sum::<f64>();
                residuals.push((rows[r].1 - pred).abs());
            }
        }
        residuals.sort_by(f64::total_cmp);
        // Robust: 1.4826 × median absolute residual.
        let residual_sd = 1.4826 * residuals[residuals.len() / 2];
        let x: Vec<&[(usize, f64)]> = feats.iter().map(|f| f.as_slice()).collect();
        let y: Vec<f64> = rows.iter().map(|r| r.1).collect();
        let (coef, intercept) = fit(&x, &y)?;
        Some(PriceModel {
            coef,
            intercept,
            residual_sd,
            trained_on: rows.len(),
            words: splitter,
        })
    }

    /// The predicted log price (base currency) of `listing`, its uncertainty (the residual
    /// spread) and how many products the model learnt from.
    pub fn predict(&self, listing: &Listing) -> Option<(f64, f64, usize)> {
        let f = features(&self.words, listing);
        if f.is_empty() {
            return None;
        }
        let pred = self.intercept + f.iter().map(|&(d, v)| self.coef[d] * v).sum::<f64>();
        pred.is_finite()
            .then_some((pred, self.residual_sd, self.trained_on))
    }
}
