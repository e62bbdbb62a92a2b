//! Money as a decimal amount and an ISO 4217 currency; never a float.

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A price: an exact decimal amount (serialised as a string, e.g. `"299.00"`) and a currency.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Price {
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub currency: Currency,
}

impl Price {
    /// `Price::new("299.00", "CNY")`; fails on a malformed amount or currency.
    pub fn new(amount: &str, currency: &str) -> Result<Self, CurrencyError> {
        let amount = Decimal::from_str(amount)
            .map_err(|_| CurrencyError(format!("amount {amount:?} is not a decimal number")))?;
        Ok(Price {
            amount,
            currency: currency.parse()?,
        })
    }
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let symbol = match self.currency.as_str() {
            "CNY" => "¥",
            "USD" => "$",
            "EUR" => "€",
            "GBP" => "£",
            _ => return write!(f, "{} {}", self.amount, self.currency),
        };
        write!(f, "{symbol}{}", self.amount)
    }
}

/// An ISO 4217 alphabetic code: three upper-case ASCII letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

/// A currency code or amount that is not well formed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CurrencyError(pub String);

impl Currency {
    pub const CNY: Currency = Currency(*b"CNY");
    pub const USD: Currency = Currency(*b"USD");
    pub const EUR: Currency = Currency(*b"EUR");

    pub fn as_str(&self) -> &str {
        // Constructed only from ASCII upper-case letters.
        std::str::from_utf8(&self.0).expect("currency code is ASCII")
    }
}

impl FromStr for Currency {
    type Err = CurrencyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let b = s.as_bytes();
        if b.len() == 3 && b.iter().all(|c| c.is_ascii_uppercase()) {
            Ok(Currency([b[0], b[1], b[2]]))
        } else {
            Err(CurrencyError(format!(
                "currency {s:?} is not an ISO 4217 code (three upper-case letters, e.g. \"CNY\")"
            )))
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amount_keeps_its_scale_and_round_trips_as_a_string() {
        let p: Price = serde_json::from_str(r#"{"amount":"299.00","currency":"CNY"}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"amount":"299.00","currency":"CNY"}"#
        );
        assert_eq!(p.to_string(), "¥299.00");
    }

    #[test]
    fn float_amounts_and_bad_currencies_are_refused() {
        assert!(serde_json::from_str::<Price>(r#"{"amount":299.5,"currency":"CNY"}"#).is_err());
        assert!(serde_json::from_str::<Price>(r#"{"amount":"1","currency":"rmb"}"#).is_err());
        assert!(serde_json::from_str::<Price>(r#"{"amount":"1","currency":"¥"}"#).is_err());
    }
}
