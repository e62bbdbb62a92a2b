//! The price signal: an offer far below what its product usually costs, saying which reference
//! it was compared with and how many offers stood behind it.
//!
//! **Reference price per listing** ([`references`]), in the rates' base currency (other
//! currencies converted with the indexer's rates, [`qsword_listing::rates`]), on a log scale:
//! - a product with at least `min_group_offers` priced offers ([`crate::group`]): the
//!   trust-weighted median of the *other* offers (leave-one-out, so that in a group of two the
//!   fake is compared with the genuine offer, not with itself), where the brand's official
//!   stores and the offers' own list prices weigh more ([`ReferenceSource::Anchored`]) and
//!   offers that carry another signal's flag (an altered brand, a cue word, a faulty mark) weigh
//!   little: fakes must not set the going price of what they imitate, so a group that is mostly
//!   fakes still has a reference. Its uncertainty is the standard error of a median,
//!   `1.2533 σ / √n`, with σ the group's robust spread (weighted MAD, at least ±10 %);
//! - a product alone in the batch: the learnt price model ([`crate::price_model`]), with its
//!   cross-validated residual spread as the uncertainty.
//!
//! **Score** ([`depth_score`]): the price ratio is first given the benefit of the doubt (moved
//! up by one uncertainty), then scored by a logistic curve in ln(ratio) that is 0.5 at
//! `even_odds_ratio` (0.45: fakes of branded goods sell at a fraction of the going price,
//! honest clearances reach about half; genuine 8–35 % discounts stay far above). The score is
//! damped when the listing's wording explains a low price (clearance, open box, display
//! model, refurbished, 清仓, 样机 … [`explained_low_price`]), for the brand's official store,
//! and for a model-based reference. Only low prices are flagged: a fake is rarely dearer than
//! the genuine product. The modified z-score of Iglewicz & Hoaglin against the reference stays
//! as evidence (and keeps a small flag on a statistical outlier of a tight group).
//!
//! Evidence keys: `median` (the reference, in the listing's currency), `offers`, `modified_z`,
//! `reference_source` (`group_median`, `anchored_median`, `price_model`), `ratio`,
//! `uncertainty`, `group`, `explained_by`, `official_store`.

use crate::assessment::{round2, Flag, Signal};
use crate::config::DetectorConfig;
use crate::group::PriceGroup;
use qsword_listing::catalogue::{find_word, fold, Catalogue};
use qsword_listing::{CurrencyRates, Decimal, Listing, Price};
use rayon::prelude::*;
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

/// Where a listing's reference price came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferenceSource {
    /// The trust-weighted median of the other offers of the same product.
    GroupMedian,
    /// As [`ReferenceSource::GroupMedian`], with the brand's official stores or the offers' own
    /// list prices among the points, weighing more than ordinary offers.
    Anchored,
    /// The learnt price model ([`crate::price_model`]): what such a product costs, for a
    /// product with no other offer.
    PriceModel,
}

impl ReferenceSource {
    pub fn as_str(&self) -> &'static str {
        match self {
            ReferenceSource::GroupMedian => "group_median",
            ReferenceSource::Anchored => "anchored_median",
            ReferenceSource::PriceModel => "price_model",
        }
    }
}

/// A priced listing beside what its product usually costs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reference {
    /// Index of the listing's [`PriceGroup`].
    pub group: usize,
    pub source: ReferenceSource,
    /// The reference in the base currency of the rates, natural log.
    pub log_reference: f64,
    /// ln(price / reference): negative below.
    pub log_ratio: f64,
    /// Standard error of the reference on the log scale (few offers or a poor model: large).
    pub uncertainty: f64,
    /// `log_ratio` in units of the group's robust spread (the modified z-score).
    pub z: f64,
    /// Offers (other than this one) the reference rests on, or the model's training products.
    pub offers: usize,
    /// Of them, official-store offers and list prices (weighted up).
    pub anchors: usize,
}

impl Reference {
    pub fn ratio(&self) -> f64 {
        self.log_ratio.exp()
    }
}

/// Weight of an ordinary offer in the reference; official stores and list prices weigh
/// [`ANCHOR_WEIGHT`], offers carrying another signal's flag (an altered brand, a cue word, a
/// faulty mark) [`SUSPECT_WEIGHT`]: fakes must not set the going price of what they imitate.
const OFFER_WEIGHT: f64 = 1.0;
const ANCHOR_WEIGHT: f64 = 3.0;
const SUSPECT_WEIGHT: f64 = 0.2;
/// Smallest spread of genuine log prices assumed (about ±10 %): a group of identical prices
/// does not make a coupon an outlier.
const MIN_SCALE: f64 = 0.1;
/// Spread of one product's genuine log prices across shops assumed when the other offers are
/// too few to show theirs (about ±15 %).
const DEFAULT_SCALE: f64 = 0.15;
/// Above this many offers the reference leaves nobody out (one offer moves it no more).
const LEAVE_ONE_OUT_UP_TO: usize = 64;

/// A judged offer: (listing, log price, the points it brings (value, weight, anchor only),
/// anchors among them).
type Offer = (usize, f64, Vec<(f64, f64, bool)>, usize);

/// Student's t 84th percentile (one standard error of a normal) for `n - 1` degrees of
/// freedom: how much wider one "standard error" is when the spread itself comes from `n`
/// offers.
fn small_sample_factor(n: usize) -> f64 {
    const T84: [f64; 10] = [
        1.819, 1.312, 1.189, 1.134, 1.104, 1.084, 1.071, 1.060, 1.052, 1.046,
    ];
    match n {
        0 | 1 => T84[0],
        n if n - 1 <= T84.len() => T84[n - 2],
        n if n <= 30 => 1.02,
        _ => 1.0,
    }
}

/// Weighted median of (value, weight) points, sorted by value inside.
fn weighted_median(points: &mut [(f64, f64)]) -> Option<f64> {
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = points.iter().map(|p| p.1).sum();
    if points.is_empty() || total <= 0.0 {
        return None;
    }
    let half = total / 2.0;
    let mut acc = 0.0;
    for (k, &(v, w)) in points.iter().enumerate() {
        acc += w;
        if (acc - half).abs() < 1e-9 {
            // Exactly half below: the middle of the two.
            return Some(points.get(k + 1).map_or(v, |n| (v + n.0) / 2.0));
        }
        if acc > half {
            return Some(v);
        }
    }
    points.last().map(|p| p.0)
}

/// The log of `price` in the rates' base currency, `None` without a rate or a positive amount.
pub fn log_base(rates: &CurrencyRates, price: &Price) -> Option<f64> {
    let v = rates.to_base(price)?;
    (v > 0.0 && v.is_finite()).then(|| v.ln())
}

/// What the groups and the price model say each priced listing's product costs (`None` for a
/// listing without a price, or alone in its group when there is no model). `suspect[i]`: listing
/// `i` carries another signal's flag.
pub fn references(
    cfg: &DetectorConfig,
    catalogue: &Catalogue,
    rates: &CurrencyRates,
    groups: &[PriceGroup],
    listings: &[Listing],
    suspect: &[bool],
    model: Option<&crate::price_model::PriceModel>,
) -> Vec<Option<Reference>> {
    let per_group: Vec<Vec<(usize, Reference)>> = groups
        .par_iter()
        .enumerate()
        .map(|(gi, group)| {
            group_references(cfg, catalogue, rates, gi, group, listings, suspect, model)
        })
        .collect();
    let mut out = vec![None; listings.len()];
    for (i, r) in per_group.into_iter().flatten() {
        out[i] = Some(r);
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn group_references(
    cfg: &DetectorConfig,
    catalogue: &Catalogue,
    rates: &CurrencyRates,
    gi: usize,
    group: &PriceGroup,
    listings: &[Listing],
    suspect: &[bool],
    model: Option<&crate::price_model::PriceModel>,
) -> Vec<(usize, Reference)> {
    let brand = group.brand_id.as_deref().and_then(|id| catalogue.brand(id));
    // (listing, log price, points it brings: its price and maybe its list price (an anchor
    // only), anchors among them)
    let mut offers: Vec<Offer> = Vec::new();
    for &i in &group.members {
        let l = &listings[i];
        let Some(lp) = l.price.as_ref().and_then(|p| log_base(rates, p)) else {
            continue;
        };
        let official = match (brand, &l.seller) {
            (Some(b), Some(s)) => b.is_official_store(&s.name),
            _ => false,
        };
        let w = if suspect[i] {
            SUSPECT_WEIGHT
        } else if official {
            ANCHOR_WEIGHT
        } else {
            OFFER_WEIGHT
        };
        let mut points = vec![(lp, w, false)];
        let mut anchors = usize::from(official && !suspect[i]);
        if let Some(list) = l.list_price.as_ref().and_then(|p| log_base(rates, p)) {
            // The store's own "was" price: a claim about the going price, as trusted as an
            // ordinary offer (it may be inflated; the median tempers it).
            if list >= lp && !suspect[i] {
                points.push((list, OFFER_WEIGHT, true));
                anchors += 1;
            }
        }
        offers.push((i, lp, points, anchors));
    }
    let mut out = Vec::with_capacity(offers.len());
    if offers.len() < cfg.min_group_offers.max(2) {
        if let (Some(model), Some((i, lp, _, _))) = (model, offers.first()) {
            if let Some((pred, sd, trained)) = model.predict(&listings[*i]) {
                out.push((
                    *i,
                    Reference {
                        group: gi,
                        source: ReferenceSource::PriceModel,
                        log_reference: pred,
                        log_ratio: lp - pred,
                        uncertainty: sd,
                        z: (lp - pred) / sd.max(MIN_SCALE),
                        offers: trained,
                        anchors: 0,
                    },
                ));
            }
        }
        return out;
    }
    let all_points: Vec<(f64, f64)> = offers
        .iter()
        .flat_map(|o| o.2.iter().map(|p| (p.0, p.1)))
        .collect();
    let anchors_all: usize = offers.iter().map(|o| o.3).sum();
    let full = {
        let mut p = all_points.clone();
        weighted_median(&mut p)
    };
    let Some(full) = full else { return out };
    // Robust spread of the whole group (for groups too big to leave each offer out).
    let spread = |points: &[(f64, f64)], centre: f64| -> f64 {
        if points.len() < 3 {
            // Two points say nothing of the spread: the usual spread of one product's prices.
            return DEFAULT_SCALE;
        }
        let mut dev: Vec<(f64, f64)> = points
            .iter()
            .map(|&(v, w)| ((v - centre).abs(), w))
            .collect();
        (weighted_median(&mut dev).unwrap_or(0.0) / 0.6745).max(MIN_SCALE)
    };
    let full_scale = spread(&all_points, full);
    let loo = offers.len() <= LEAVE_ONE_OUT_UP_TO;
    for (k, (i, lp, _, anchors)) in offers.iter().enumerate() {
        let others = || {
            offers
                .iter()
                .enumerate()
                .filter(move |(j, _)| !loo || *j != k)
                .flat_map(|(_, o)| o.2.iter().copied())
        };
        let mut anchored: Vec<(f64, f64)> = others().map(|(v, w, _)| (v, w)).collect();
        let weight: f64 = anchored.iter().map(|p| p.1).sum();
        let Some(with_anchors) = weighted_median(&mut anchored) else {
            continue;
        };
        // Anchors protect the going price from fakes dragging it down; they never make a
        // price look less low (an official store's clearance does not lower the reference).
        let mut plain: Vec<(f64, f64)> = others()
            .filter(|p| !p.2)
            .map(|(v, w, _)| (v, w.min(OFFER_WEIGHT)))
            .collect();
        let without = weighted_median(&mut plain).unwrap_or(with_anchors);
        let anchors_here = if loo {
            anchors_all - anchors
        } else {
            anchors_all
        };
        let (reference, anchors_used) = if with_anchors > without + 1e-12 && anchors_here > 0 {
            (with_anchors, anchors_here)
        } else {
            (without, 0)
        };
        let n_others = offers.len() - usize::from(loo);
        // The spread of the others (leave-one-out: a fake must not widen its own yardstick).
        let scale = if loo {
            let others: Vec<(f64, f64)> =
                others().filter(|p| !p.2).map(|(v, w, _)| (v, w)).collect();
            spread(&others, without)
        } else {
            full_scale
        };
        // Standard error of a median: 1.2533 σ / √n, with the trust weights as the count;
        // widened for few offers as Student's t widens a normal interval (σ is itself a guess).
        let uncertainty =
            1.2533 * scale / weight.max(SUSPECT_WEIGHT).sqrt() * small_sample_factor(n_others);
        out.push((
            *i,
            Reference {
                group: gi,
                source: if anchors_used > 0 {
                    ReferenceSource::Anchored
                } else {
                    ReferenceSource::GroupMedian
                },
                log_reference: reference,
                log_ratio: lp - reference,
                uncertainty,
                z: (lp - reference) / scale,
                offers: n_others,
                anchors: anchors_used,
            },
        ));
    }
    out
}

/// Words that explain a low price on a genuine offer (a clearance, an opened box, a display
/// piece, a used or refurbished unit): a principled damper on the price score, since these are
/// the honest reasons for 35–60 % off.
const EXPLAINED_LOW_PRICE: &[&str] = &[
    "clearance",
    "closeout",
    "close-out",
    "close out",
    "open box",
    "open-box",
    "opened box",
    "display model",
    "floor model",
    "demo unit",
    "ex-display",
    "final sale",
    "discontinued",
    "last one",
    "refurbished",
    "refurb",
    "renewed",
    "reconditioned",
    "pre-owned",
    "preowned",
    "used",
    "b-stock",
    "scratch and dent",
    "清仓",
    "样机",
    "展示机",
    "展机",
    "二手",
    "翻新",
    "拆封",
    "库存机",
    "尾货",
    "断码",
];

/// The first phrase of [`EXPLAINED_LOW_PRICE`] in the title or description, if any.
pub fn explained_low_price(listing: &Listing) -> Option<&'static str> {
    let title = fold(&listing.title);
    let desc = listing.description.as_deref().map(fold).unwrap_or_default();
    EXPLAINED_LOW_PRICE
        .iter()
        .find(|w| find_word(&title, w).next().is_some() || find_word(&desc, w).next().is_some())
        .copied()
}

/// The score of a price at `log_ratio` below its reference, with the reference's uncertainty:
/// the ratio is first moved up by one standard error (the benefit of the doubt), then scored
/// by a logistic curve that is 0.5 at `cfg.even_odds_ratio` (as likely a fake as a clearance)
/// and rises towards 1 for deeper cuts (about 0.9 at two thirds of that ratio).
pub fn depth_score(cfg: &DetectorConfig, log_ratio: f64, uncertainty: f64) -> f64 {
    let cautious = log_ratio + uncertainty;
    1.0 / (1.0 + (cfg.price_steepness * (cautious - cfg.even_odds_ratio.ln())).exp())
}

/// Price flags as (listing index, flag), from the references.
pub fn price_flags(
    cfg: &DetectorConfig,
    catalogue: &Catalogue,
    rates: &CurrencyRates,
    groups: &[PriceGroup],
    listings: &[Listing],
    refs: &[Option<Reference>],
) -> Vec<(usize, Flag)> {
    let mut flags = Vec::new();
    for (i, r) in refs.iter().enumerate() {
        let Some(r) = r else { continue };
        let discount = 1.0 - r.ratio();
        if discount < cfg.min_discount {
            continue;
        }
        let l = &listings[i];
        let price = l.price.as_ref().expect("a reference has a price");
        let mut score = depth_score(cfg, r.log_ratio, r.uncertainty);
        if r.source == ReferenceSource::PriceModel {
            // A model's guess is weaker than other offers of the very product.
            score *= cfg.model_reference_factor;
        }
        // A statistical outlier in a tight group keeps a small score, for the record.
        if score < cfg.min_price_score && r.z > -cfg.z_threshold {
            continue;
        }
        let group = &groups[r.group];
        let brand = group.brand_id.as_deref().and_then(|id| catalogue.brand(id));
        let official = match (brand, &l.seller) {
            (Some(b), Some(seller)) => b.is_official_store(&seller.name),
            _ => false,
        };
        let Some(rate) = rates.to_base(&Price {
            amount: Decimal::ONE,
            currency: price.currency,
        }) else {
            continue;
        };
        let reference_amount = Decimal::from_f64_retain(r.log_reference.exp() / rate)
            .unwrap_or(Decimal::ZERO)
            .round_dp(2);
        let reference_price = Price {
            amount: reference_amount,
            currency: price.currency,
        };
        let mut reason = match r.source {
            ReferenceSource::PriceModel => format!(
                "{} is {:.0}% below {}, what the price model (brand, title words, quantities; {} products of this batch) expects for {} (±{:.0}%)",
                show(price),
                discount * 100.0,
                show(&reference_price),
                r.offers,
                group.label,
                (r.uncertainty.exp() - 1.0) * 100.0
            ),
            _ => {
                let mut s = format!(
                    "{} is {:.0}% below the median {} of {} other offers of {}",
                    show(price),
                    discount * 100.0,
                    show(&reference_price),
                    r.offers,
                    group.label
                );
                if r.anchors > 0 {
                    s.push_str(&format!(
                        " ({} of them official-store offers or list prices, weighted up)",
                        r.anchors
                    ));
                }
                s
            }
        };
        if official {
            score *= cfg.official_store_damping;
            reason.push_str(" (sold by the brand's official store: more likely a clearance)");
        }
        let explained = explained_low_price(l);
        if let Some(words) = explained {
            score *= cfg.explained_damping;
            reason.push_str(&format!(" (\"{words}\" explains a low price)"));
        }
        let evidence = json!({
            "median": two_places(reference_amount),
            "offers": r.offers,
            "modified_z": round2(r.z),
            "reference_source": r.source.as_str(),
            "reference_anchors": r.anchors,
            "ratio": round2(r.ratio()),
            "uncertainty": round2(r.uncertainty),
            "group": group.key,
            "group_basis": group.basis,
            "price": two_places(price.amount),
            "official_store": official,
            "explained_by": explained,
        });
        flags.push((i, Flag::new(Signal::Price, score, reason, evidence)));
    }
    flags
}

/// The modified z-score of every priced offer with a group reference (`None` elsewhere): the
/// price coordinate of [`crate::outlier`].
pub fn z_scores(refs: &[Option<Reference>]) -> Vec<Option<f64>> {
    refs.iter()
        .map(|r| {
            r.filter(|r| r.source != ReferenceSource::PriceModel)
                .map(|r| r.z.clamp(-10.0, 10.0))
        })
        .collect()
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
