//! The price signal: an offer far below the usual price of the same product.
//!
//! Within a [`PriceGroup`] of at least `min_group_offers` priced offers, prices are compared on a
//! log scale (a fake at a third of the price is as far from the median as a genuine one at three
//! times it) with robust statistics that a few fakes cannot drag: the median, and the median
//! absolute deviation (MAD) in the modified z-score of Iglewicz & Hoaglin,
//! `z = 0.6745 · (x − median) / MAD`. A price is flagged when z ≤ −`z_threshold` and it is at
//! least `min_discount` below the median; lying above the lower Tukey fence `Q1 − k·IQR` as well
//! lowers the score (several fakes of one product widen the quartiles, so the fence is a
//! second opinion, not a veto).
//! Only low prices are flagged: a fake is rarely dearer than the genuine product.
//!
//! Price alone is weak evidence (genuine discounts are common), so scores stay below 1, a
//! shallow discount keeps only part of its score (see `DetectorConfig::full_discount`), and the
//! brand's own official stores have theirs damped.

use crate::assessment::{round2, Flag, Signal};
use crate::config::DetectorConfig;
use crate::group::PriceGroup;
use qsword_listing::catalogue::Catalogue;
use qsword_listing::{Decimal, Listing, Price};
use serde_json::json;

/// Robust location and spread of a group's log prices.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogPriceStats {
    pub median: f64,
    /// The denominator of the modified z-score: MAD / 0.6745, or, when more than half the
    /// prices are equal (MAD = 0), 1.253314 · mean absolute deviation (IBM's variant).
    pub scale: f64,
    /// Lower Tukey fence of the log prices.
    pub lower_fence: f64,
}

impl LogPriceStats {
    /// `None` when the prices do not vary at all: then nothing is an outlier.
    pub fn of(logs: &[f64], tukey_k: f64) -> Option<LogPriceStats> {
        let mut sorted = logs.to_vec();
        sorted.sort_by(f64::total_cmp);
        let median = quantile(&sorted, 0.5)?;
        let mut deviations: Vec<f64> = sorted.iter().map(|x| (x - median).abs()).collect();
        deviations.sort_by(f64::total_cmp);
        let mad = quantile(&deviations, 0.5)?;
        let scale = if mad > 0.0 {
            mad / 0.6745
        } else {
            1.253314 * deviations.iter().sum::<f64>() / deviations.len() as f64
        };
        if scale <= 0.0 {
            return None;
        }
        let (q1, q3) = (quantile(&sorted, 0.25)?, quantile(&sorted, 0.75)?);
        Some(LogPriceStats {
            median,
            scale,
            lower_fence: q1 - tukey_k * (q3 - q1),
        })
    }

    pub fn modified_z(&self, log_price: f64) -> f64 {
        (log_price - self.median) / self.scale
    }
}

/// Linear-interpolated quantile of sorted values.
fn quantile(sorted: &[f64], p: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let pos = p * last as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64))
}

/// Median of decimal amounts, exact (mean of the two middle ones for an even count).
fn median_amount(amounts: &mut [Decimal]) -> Decimal {
    amounts.sort();
    let n = amounts.len();
    if n % 2 == 1 {
        amounts[n / 2]
    } else {
        // Amounts near Decimal::MAX (hostile pages) overflow a + b; the lower middle amount is
        // then as good a median as any.
        let (a, b) = (amounts[n / 2 - 1], amounts[n / 2]);
        a.checked_add(b)
            .and_then(|sum| sum.checked_div(Decimal::TWO))
            .unwrap_or(a)
    }
}

#[cfg(test)]
mod median_tests {
    use super::*;

    #[test]
    fn median_of_huge_amounts_does_not_overflow() {
        let mut v = vec![Decimal::MAX, Decimal::MAX];
        assert_eq!(median_amount(&mut v), Decimal::MAX);
        let mut v = vec![Decimal::new(29900, 2), Decimal::new(30100, 2)];
        assert_eq!(median_amount(&mut v), Decimal::new(300, 0));
    }
}

/// Score of a modified z-score past the threshold: 0.5 at the threshold, rising smoothly
/// (logistic) towards 1; about 0.86 at z = −5, 0.97 at z = −6.5.
fn score_of(z: f64, threshold: f64) -> f64 {
    1.0 / (1.0 + (-1.2 * (z.abs() - threshold)).exp())
}

/// How much of the z-based score a discount of this depth keeps: 0.3 at `min_discount`, rising
/// quadratically to 1 at `full_discount`. Deep discounts are where fakes are; shallow ones are
/// sales, and a third off (a common promotion) must not raise an alert on price alone.
fn depth_weight(cfg: &DetectorConfig, discount: f64) -> f64 {
    let span = (cfg.full_discount - cfg.min_discount).max(f64::EPSILON);
    let t = ((discount - cfg.min_discount) / span).clamp(0.0, 1.0);
    0.3 + 0.7 * t * t
}

/// Price flags for every listing of every group large enough to judge, as (listing index, flag).
pub fn price_flags(
    cfg: &DetectorConfig,
    catalogue: &Catalogue,
    groups: &[PriceGroup],
    listings: &[Listing],
) -> Vec<(usize, Flag)> {
    let mut flags = Vec::new();
    for group in groups {
        let offers: Vec<(usize, &Price)> = group
            .members
            .iter()
            .filter_map(|&i| listings[i].price.as_ref().map(|p| (i, p)))
            .filter(|(_, p)| p.amount > Decimal::ZERO)
            .collect();
        // Too few offers to know what the usual price is: say nothing rather than guess.
        if offers.len() < cfg.min_group_offers.max(2) {
            continue;
        }
        let logs: Vec<f64> = offers.iter().map(|(_, p)| log_amount(p.amount)).collect();
        let Some(stats) = LogPriceStats::of(&logs, cfg.tukey_k) else {
            continue;
        };
        let mut amounts: Vec<Decimal> = offers.iter().map(|(_, p)| p.amount).collect();
        let median = median_amount(&mut amounts);
        let brand = group.brand_id.as_deref().and_then(|id| catalogue.brand(id));

        for (&(i, price), &log_price) in offers.iter().zip(&logs) {
            let z = stats.modified_z(log_price);
            let discount = 1.0 - ratio(price.amount, median);
            if z > -cfg.z_threshold || discount < cfg.min_discount {
                continue;
            }
            // Tukey's fence is the second opinion: it agrees on a lone outlier but not when
            // several fakes of one product cluster low and widen the quartiles, so it weighs the
            // score instead of vetoing the flag.
            let below_fence = log_price < stats.lower_fence;
            let official = match (brand, &listings[i].seller) {
                (Some(b), Some(seller)) => b.is_official_store(&seller.name),
                _ => false,
            };
            let fence_weight = if below_fence { 1.0 } else { 0.8 };
            let mut score =
                score_of(z, cfg.z_threshold) * depth_weight(cfg, discount) * fence_weight;
            let median_price = Price {
                amount: median,
                currency: price.currency,
            };
            let mut reason = format!(
                "{} is {:.0}% below the median {} of {} offers of {}",
                show(price),
                discount * 100.0,
                show(&median_price),
                offers.len(),
                group.label
            );
            if official {
                score *= cfg.official_store_damping;
                reason.push_str(" (sold by the brand's official store: more likely a clearance)");
            }
            let evidence = json!({
                "median": two_places(median),
                "offers": offers.len(),
                "modified_z": round2(z),
                "group": group.key,
                "price": two_places(price.amount),
                "below_tukey_fence": below_fence,
                "official_store": official,
            });
            flags.push((i, Flag::new(Signal::Price, score, reason, evidence)));
        }
    }
    flags
}

/// The modified z-score of every priced offer in a group large enough to judge (`None`
/// elsewhere): the price coordinate of [`crate::outlier`].
pub fn z_scores(
    cfg: &DetectorConfig,
    groups: &[PriceGroup],
    listings: &[Listing],
) -> Vec<Option<f64>> {
    let mut z = vec![None; listings.len()];
    for group in groups {
        let offers: Vec<(usize, f64)> = group
            .members
            .iter()
            .filter_map(|&i| listings[i].price.as_ref().map(|p| (i, p)))
            .filter(|(_, p)| p.amount > Decimal::ZERO)
            .map(|(i, p)| (i, log_amount(p.amount)))
            .collect();
        if offers.len() < cfg.min_group_offers.max(2) {
            continue;
        }
        let logs: Vec<f64> = offers.iter().map(|o| o.1).collect();
        if let Some(stats) = LogPriceStats::of(&logs, cfg.tukey_k) {
            for (i, log) in offers {
                z[i] = Some(stats.modified_z(log).clamp(-10.0, 10.0));
            }
        }
    }
    z
}

fn log_amount(amount: Decimal) -> f64 {
    amount.to_string().parse::<f64>().unwrap_or(f64::NAN).ln()
}

fn ratio(a: Decimal, b: Decimal) -> f64 {
    log_amount(a).exp() / log_amount(b).exp()
}

/// `"299.00"`: the amount as the DESIGN contract writes money, two decimal places.
fn two_places(amount: Decimal) -> String {
    let mut a = amount.round_dp(2);
    a.rescale(2);
    a.to_string()
}

/// `¥89` or `¥89.50`: whole amounts without the cents, for sentences.
fn show(price: &Price) -> String {
    let mut amount = price.amount.round_dp(2);
    if amount.fract().is_zero() {
        amount = amount.trunc();
        amount.rescale(0);
    } else {
        amount.rescale(2);
    }
    Price {
        amount,
        currency: price.currency,
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modified_z_follows_iglewicz_hoaglin_and_survives_a_zero_mad() {
        let logs: Vec<f64> = [1.0, 2.0, 3.0, 4.0, 100.0].map(|x: f64| x).to_vec();
        let s = LogPriceStats::of(&logs, 1.5).unwrap();
        assert_eq!(s.median, 3.0);
        // MAD of [2,1,0,1,97] is 1, so z(100) = 0.6745 · 97.
        assert!((s.modified_z(100.0) - 0.6745 * 97.0).abs() < 1e-9);
        // More than half equal: MAD = 0, the mean-deviation fallback still separates the odd one.
        let s = LogPriceStats::of(&[5.0, 5.0, 5.0, 5.0, 1.0], 1.5).unwrap();
        assert!(s.modified_z(1.0) < -3.5);
        assert!(
            LogPriceStats::of(&[5.0; 6], 1.5).is_none(),
            "identical prices: no outliers"
        );
    }

    #[test]
    fn money_is_shown_as_people_write_it() {
        let p = |a: &str| Price::new(a, "CNY").unwrap();
        assert_eq!(show(&p("89.00")), "¥89");
        assert_eq!(show(&p("89.5")), "¥89.50");
        assert_eq!(two_places(Decimal::new(299, 0)), "299.00");
    }
}
