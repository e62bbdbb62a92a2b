//! Prices in one currency, for price ranges and sorting across shops that price in different
//! currencies (a cross-border listing in USD beside domestic ones in CNY), and for comparing
//! offers of one product priced in different currencies (the detector's reference prices).
//! Shared by the indexer and the detector, so that both convert with the same rates.
//!
//! The index keeps each listing's price exactly as written (decimal string and ISO 4217 code)
//! and, beside it, the amount converted to the [`CurrencyRates::base`] currency as an `f64`
//! fast field. Only that copy is used for `min_price`/`max_price` and price sorting; it is
//! never shown as money. A listing priced in a currency without a rate keeps its original
//! price but takes no part in price ranges or price sorting (it sorts last).
//!
//! The rates are set when listings are indexed: after changing them, rebuild the index.

use crate::{Currency, Decimal, Price};
use rust_decimal::prelude::ToPrimitive;
use std::collections::BTreeMap;
use std::str::FromStr;

/// A rate that is not a positive number.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("currency rate {currency} = {rate} is not valid: a rate must be a positive number")]
pub struct RateError {
    pub currency: String,
    pub rate: String,
}

/// Conversion rates into one base currency: `1 unit of C = rate × base`.
#[derive(Debug, Clone, PartialEq)]
pub struct CurrencyRates {
    base: Currency,
    to_base: BTreeMap<Currency, Decimal>,
}

/// Approximate reference rates into CNY (late 2026 order of magnitude), so that a fresh
/// install compares a USD listing with CNY ones sensibly. Operators who need exact figures set
/// `[index.rates]` in `qsword.toml`; ranges are a search aid, not an accounting figure.
const REFERENCE_CNY: &[(&str, &str)] = &[
    ("USD", "7.10"),
    ("EUR", "7.70"),
    ("GBP", "9.00"),
    ("JPY", "0.047"),
    ("HKD", "0.91"),
    ("TWD", "0.22"),
    ("MOP", "0.88"),
    ("KRW", "0.0051"),
    ("SGD", "5.30"),
    ("AUD", "4.60"),
    ("CAD", "5.10"),
    ("CHF", "8.10"),
    ("RUB", "0.078"),
    ("INR", "0.083"),
    ("THB", "0.20"),
    ("MYR", "1.55"),
    ("VND", "0.00028"),
    ("BRL", "1.30"),
];

impl CurrencyRates {
    /// CNY as the base, with [the reference rates](REFERENCE_CNY) for common currencies.
    pub fn reference() -> Self {
        let rates = REFERENCE_CNY.iter().map(|(code, rate)| {
            (
                Currency::from_str(code).expect("reference currency codes are ISO 4217"),
                Decimal::from_str(rate).expect("reference rates are decimals"),
            )
        });
        CurrencyRates::new(Currency::CNY, rates).expect("reference rates are positive")
    }

    /// Rates into `base`; every rate must be positive. The base itself converts at 1.
    pub fn new(
        base: Currency,
        rates: impl IntoIterator<Item = (Currency, Decimal)>,
    ) -> Result<Self, RateError> {
        let mut to_base = BTreeMap::new();
        for (currency, rate) in rates {
            if rate <= Decimal::ZERO {
                return Err(RateError {
                    currency: currency.as_str().to_string(),
                    rate: rate.to_string(),
                });
            }
            to_base.insert(currency, rate);
        }
        to_base.insert(base, Decimal::ONE);
        Ok(CurrencyRates { base, to_base })
    }

    /// The currency price ranges and price sorting are expressed in.
    pub fn base(&self) -> Currency {
        self.base
    }

    /// The rate of `currency` into the base, if known.
    pub fn rate(&self, currency: Currency) -> Option<Decimal> {
        self.to_base.get(&currency).copied()
    }

    /// Every currency with a rate, the base included.
    pub fn iter(&self) -> impl Iterator<Item = (Currency, Decimal)> + '_ {
        self.to_base.iter().map(|(c, r)| (*c, *r))
    }

    /// `price` in the base currency (as the index's `f64` copy), or `None` without a rate.
    pub fn to_base(&self, price: &Price) -> Option<f64> {
        let rate = self.rate(price.currency)?;
        price.amount.checked_mul(rate)?.to_f64()
    }
}

impl Default for CurrencyRates {
    fn default() -> Self {
        CurrencyRates::reference()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_converts_at_one_and_others_by_their_rate() {
        let rates = CurrencyRates::reference();
        let cny = Price::new("299.00", "CNY").unwrap();
        let usd = Price::new("10.00", "USD").unwrap();
        assert_eq!(rates.to_base(&cny), Some(299.0));
        assert_eq!(rates.to_base(&usd), Some(71.0));
        let unknown = Price::new("10", "XAU").unwrap();
        assert_eq!(rates.to_base(&unknown), None);
    }

    #[test]
    fn a_rate_that_is_not_positive_is_refused_naming_the_currency() {
        let err = CurrencyRates::new(Currency::CNY, [(Currency::USD, Decimal::ZERO)]).unwrap_err();
        assert!(err.to_string().contains("USD"), "{err}");
    }
}
