//! The price-history signal: an offer far below its *own* earlier prices. A listing that sold
//! at ¥299 for months and drops to ¥89 overnight has changed hands or changed goods; a sale of
//! a third off has not. Needs the listing's earlier prices (the store keeps a version per
//! change); a JSONL file without history gets none of these flags.

use crate::assessment::{round2, Flag, Signal};
use qsword_listing::{Currency, Decimal, Listing, Price};
use serde_json::json;

/// Earlier prices needed before the history says anything.
pub const MIN_EARLIER: usize = 2;
/// Drop below the median of earlier prices from which it is flagged.
const MIN_DROP: f64 = 0.45;
/// The drop at which the score is full.
const FULL_DROP: f64 = 0.7;
const MAX_SCORE: f64 = 0.6;

/// History flags as (listing index, flag); `history[i]` holds listing `i`'s earlier prices,
/// oldest first (any currency: only those in the listing's current currency count).
pub fn history_flags(listings: &[Listing], history: &[Vec<Price>]) -> Vec<(usize, Flag)> {
    let mut flags = Vec::new();
    for (i, (listing, earlier)) in listings.iter().zip(history).enumerate() {
        let Some(price) = &listing.price else {
            continue;
        };
        if price.amount <= Decimal::ZERO {
            continue;
        }
        let mut same: Vec<Decimal> = earlier
            .iter()
            .filter(|p| p.currency == price.currency && p.amount > Decimal::ZERO)
            .map(|p| p.amount)
            .collect();
        if same.len() < MIN_EARLIER {
            continue;
        }
        same.sort();
        let median = same[same.len() / 2];
        let drop = 1.0 - to_f64(price.amount) / to_f64(median);
        // NaN (an unreadable amount) is no drop.
        if drop.is_nan() || drop < MIN_DROP {
            continue;
        }
        let t = ((drop - MIN_DROP) / (FULL_DROP - MIN_DROP)).clamp(0.0, 1.0);
        let score = MAX_SCORE * (0.6 + 0.4 * t);
        let shown = |amount: Decimal| Price {
            amount: amount.round_dp(2).normalize(),
            currency: price.currency,
        };
        flags.push((
            i,
            Flag::new(
                Signal::Price,
                score,
                format!(
                    "{} is {:.0}% below this listing's own median {} over its {} earlier prices",
                    shown(price.amount),
                    drop * 100.0,
                    shown(median),
                    same.len()
                ),
                json!({"history_median": median.round_dp(2).to_string(), "earlier_prices": same.len(),
                       "price": price.amount.round_dp(2).to_string(),
                       "drop": round2(drop), "currency": currency_code(price.currency)}),
            ),
        ));
    }
    flags
}

fn to_f64(d: Decimal) -> f64 {
    d.to_string().parse().unwrap_or(f64::NAN)
}

fn currency_code(c: Currency) -> String {
    c.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(a: &str) -> Price {
        Price::new(a, "CNY").unwrap()
    }

    #[test]
    fn a_collapse_below_its_own_history_is_flagged_and_a_sale_is_not() {
        let mut collapsed = Listing::new("a", "x");
        collapsed.price = Some(p("89"));
        let mut sale = Listing::new("b", "x");
        sale.price = Some(p("199"));
        let mut new = Listing::new("c", "x");
        new.price = Some(p("10"));
        let earlier = vec![p("299"), p("289"), p("305")];
        let flags = history_flags(
            &[collapsed, sale, new],
            &[earlier.clone(), earlier, vec![p("300")]],
        );
        assert_eq!(flags.len(), 1, "{flags:?}");
        assert_eq!(flags[0].0, 0);
        assert_eq!(
            flags[0].1.reason,
            "¥89 is 70% below this listing's own median ¥299 over its 3 earlier prices"
        );
    }
}
