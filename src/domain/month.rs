//! A calendar month (`YYYY-MM`), the period of monthly signals and the as-of point of a credit profile.

use chrono::{Datelike, NaiveDate};
use std::fmt;

/// Months since year 0: `year * 12 + (month - 1)`, so arithmetic and ordering are plain integer ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month(i32);

impl Month {
    pub fn new(year: i32, month: u32) -> Option<Month> {
        (1..=12)
            .contains(&month)
            .then(|| Month(year * 12 + month as i32 - 1))
    }
    pub fn of(date: NaiveDate) -> Month {
        Month(date.year() * 12 + date.month0() as i32)
    }
    /// `YYYY-MM`, exactly.
    pub fn parse(s: &str) -> Option<Month> {
        let (y, m) = s.split_once('-')?;
        if y.len() != 4 || m.len() != 2 || !(y.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit())
        {
            return None;
        }
        Month::new(y.parse().ok()?, m.parse().ok()?)
    }
    pub fn year(self) -> i32 {
        self.0.div_euclid(12)
    }
    pub fn month(self) -> u32 {
        self.0.rem_euclid(12) as u32 + 1
    }
    pub fn plus(self, months: i32) -> Month {
        Month(self.0 + months)
    }
    /// Months from `other` to `self`.
    pub fn since(self, other: Month) -> i32 {
        self.0 - other.0
    }
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year(), self.month(), 1).expect("a valid month")
    }
    pub fn last_day(self) -> NaiveDate {
        self.plus(1).first_day().pred_opt().expect("a valid date")
    }
    /// The month before the one containing `today`: the last complete month, the default as-of point.
    pub fn last_complete(today: NaiveDate) -> Month {
        Month::of(today).plus(-1)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_prints_and_counts() {
        let m = Month::parse("2026-01").unwrap();
        assert_eq!(m.to_string(), "2026-01");
        assert_eq!(m.plus(-1).to_string(), "2025-12");
        assert_eq!(m.plus(23).to_string(), "2027-12");
        assert_eq!(m.since(Month::parse("2025-02").unwrap()), 11);
        assert_eq!(
            Month::parse("2024-02").unwrap().last_day().to_string(),
            "2024-02-29"
        );
        for bad in [
            "2026-13", "2026-00", "2026-1", "26-01", "2026/01", "2026-0a", "",
        ] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
        let today = NaiveDate::from_ymd_opt(2026, 1, 15).unwrap();
        assert_eq!(Month::last_complete(today).to_string(), "2025-12");
    }
}
