//! Exact money (DOMAIN.md §6): integer fen in storage, `rust_decimal` in computation, a yuan decimal string in JSON.

use rust_decimal::{Decimal, RoundingStrategy};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("not a decimal amount in yuan (e.g. \"1234.56\")")]
    NotDecimal,
    #[error("has more than 2 decimal places; amounts are exact to the fen (0.01 yuan)")]
    TooPrecise,
    #[error("must not be negative")]
    Negative,
    #[error("is too large")]
    Overflow,
}

impl MoneyError {
    pub fn rule(&self) -> &'static str {
        match self {
            MoneyError::NotDecimal => "money.format",
            MoneyError::TooPrecise => "money.precision",
            MoneyError::Negative => "money.non_negative",
            MoneyError::Overflow => "money.range",
        }
    }
}

/// An amount of yuan, exact to the fen. Stored as integer fen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i64);

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn from_fen(fen: i64) -> Self {
        Money(fen)
    }
    pub const fn fen(self) -> i64 {
        self.0
    }
    pub const fn from_yuan(yuan: i64) -> Self {
        Money(yuan * 100)
    }
    /// Parse a yuan decimal string; no rounding happens here: more than two decimals is an error.
    /// Only plain decimal notation: an optional `-`, digits, and an optional `.` with digits
    /// (no exponent, no `+`, no separators; DESIGN.md's API conventions).
    pub fn parse(s: &str) -> Result<Self, MoneyError> {
        let s = s.trim();
        if !plain_decimal(s) {
            return Err(MoneyError::NotDecimal);
        }
        let d: Decimal = s.parse().map_err(|_| MoneyError::NotDecimal)?;
        Self::from_decimal_exact(d)
    }
    pub fn parse_non_negative(s: &str) -> Result<Self, MoneyError> {
        let m = Self::parse(s)?;
        if m.0 < 0 {
            return Err(MoneyError::Negative);
        }
        Ok(m)
    }
    fn from_decimal_exact(d: Decimal) -> Result<Self, MoneyError> {
        let fen = d
            .checked_mul(Decimal::ONE_HUNDRED)
            .ok_or(MoneyError::Overflow)?;
        if fen.fract() != Decimal::ZERO {
            return Err(MoneyError::TooPrecise);
        }
        i64::try_from(fen)
            .map(Money)
            .map_err(|_| MoneyError::Overflow)
    }
    /// Round a computed yuan amount once to the fen, half away from zero (四舍五入, DOMAIN.md §6).
    pub fn round_yuan(d: Decimal) -> Result<Self, MoneyError> {
        Self::from_decimal_exact(
            d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero),
        )
    }
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, 2)
    }
}

/// `-?digits(.digits)?`: what a person writes for an amount, nothing a float parser would add.
pub fn plain_decimal(s: &str) -> bool {
    let body = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    digits(int) && frac.is_none_or(digits)
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl serde::Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A yuan decimal string (`"1234.56"`), exact: more than two decimals is an error, never rounded.
impl<'de> serde::Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Money::parse(&s).map_err(|e| serde::de::Error::custom(format!("amount '{s}' {e}")))
    }
}

/// In the API document: a decimal string in yuan, at most two decimals, no exponent.
impl utoipa::PartialSchema for Money {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r"^-?[0-9]+(\.[0-9]{1,2})?$"))
            .description(Some("yuan, a decimal string with at most two decimals"))
            .examples([serde_json::json!("1234.56")])
            .into()
    }
}

impl utoipa::ToSchema for Money {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_table() {
        let cases: &[(&str, Result<i64, MoneyError>)] = &[
            ("0", Ok(0)),
            ("1234.56", Ok(123456)),
            ("1234.5", Ok(123450)),
            ("  7 ", Ok(700)),
            ("0.001", Err(MoneyError::TooPrecise)),
            ("1,000", Err(MoneyError::NotDecimal)),
            ("abc", Err(MoneyError::NotDecimal)),
            ("-1.00", Ok(-100)),
            ("1e5", Err(MoneyError::NotDecimal)),
            ("1E2", Err(MoneyError::NotDecimal)),
            ("+5", Err(MoneyError::NotDecimal)),
            (".5", Err(MoneyError::NotDecimal)),
            ("5.", Err(MoneyError::NotDecimal)),
            ("1_000", Err(MoneyError::NotDecimal)),
            ("", Err(MoneyError::NotDecimal)),
        ];
        for (s, want) in cases {
            assert_eq!(Money::parse(s).map(Money::fen), *want, "{s}");
        }
        assert_eq!(Money::parse_non_negative("-1"), Err(MoneyError::Negative));
    }

    #[test]
    fn display_is_exact() {
        assert_eq!(Money::from_fen(123456).to_string(), "1234.56");
        assert_eq!(Money::from_fen(5).to_string(), "0.05");
        assert_eq!(Money::from_fen(-250).to_string(), "-2.50");
    }

    #[test]
    fn rounds_half_away_from_zero() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(Money::round_yuan(d("0.005")).unwrap().fen(), 1);
        assert_eq!(Money::round_yuan(d("0.0049")).unwrap().fen(), 0);
        assert_eq!(Money::round_yuan(d("-0.005")).unwrap().fen(), -1);
        assert_eq!(Money::round_yuan(d("2.675")).unwrap().fen(), 268);
    }
}
