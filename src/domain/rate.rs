//! Rates and ratios: decimal fractions (`0.035` is 3.5%), never negative, written in plain notation (no
//! exponent), exact (`rust_decimal`). A stored rate that does not parse is an error, never 0%.

use rust_decimal::Decimal;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    #[error("'{0}' is not a decimal fraction (0.035 is 3.5%)")]
    NotDecimal(String),
    #[error("{0} is negative")]
    Negative(Decimal),
    #[error("{0} is above 1 (100%)")]
    AboveOne(Decimal),
}

impl RateError {
    pub fn rule(&self) -> &'static str {
        match self {
            RateError::NotDecimal(_) => "rate.format",
            RateError::Negative(_) | RateError::AboveOne(_) => "rate.range",
        }
    }
}

macro_rules! fraction_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Decimal);

        impl $name {
            pub const ZERO: $name = $name(Decimal::ZERO);
            pub const ONE: $name = $name(Decimal::ONE);

            /// From text: plain decimal notation, 0 to 1.
            pub fn parse(s: &str) -> Result<$name, RateError> {
                let t = s.trim();
                if !crate::domain::money::plain_decimal(t) {
                    return Err(RateError::NotDecimal(s.to_string()));
                }
                let d: Decimal = t
                    .parse()
                    .map_err(|_| RateError::NotDecimal(s.to_string()))?;
                $name::new(d)
            }

            pub fn new(d: Decimal) -> Result<$name, RateError> {
                if d < Decimal::ZERO {
                    return Err(RateError::Negative(d));
                }
                if d > Decimal::ONE {
                    return Err(RateError::AboveOne(d));
                }
                Ok($name(d.normalize()))
            }

            pub fn get(self) -> Decimal {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0.normalize())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
    };
}

fraction_type!(
    /// A yearly rate (interest, fee, subsidy) from 0 to 1: `0.035` is 3.5% a year.
    Rate
);

fraction_type!(
    /// A share from 0 to 1 (coverage, advance, loan-to-value, a subsidy's share of a fee): not a rate
    /// per year, so the two cannot be passed for each other.
    Ratio
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_table() {
        let cases: &[(&str, Result<&str, &str>)] = &[
            ("0.035", Ok("0.035")),
            ("0.0100", Ok("0.01")),
            ("0", Ok("0")),
            ("1", Ok("1")),
            ("1.5", Err("rate.range")),
            ("-0.01", Err("rate.range")),
            ("3.5e-2", Err("rate.format")),
            ("3.5%", Err("rate.format")),
            ("", Err("rate.format")),
        ];
        for (s, want) in cases {
            let got = Rate::parse(s).map(|r| r.to_string());
            let ratio = Ratio::parse(s).map(|r| r.to_string());
            assert_eq!(got, ratio, "{s}: a rate and a ratio read alike");
            match want {
                Ok(w) => assert_eq!(got.as_deref(), Ok(*w), "{s}"),
                Err(rule) => assert_eq!(got.map_err(|e| e.rule()), Err(*rule), "{s}"),
            }
        }
    }
}
