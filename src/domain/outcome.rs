//! A loan's outcome over its performance window (DOMAIN §12, Basel II ¶452): bad when it defaulted or
//! was more than 90 days past due within the window after disbursement; good when the window passed
//! without that; indeterminate while the window runs.

use super::states::LoanStatus;
use chrono::{Months, NaiveDate};
use serde::Serialize;

/// The performance window, in months after disbursement (configurable per call).
pub const WINDOW_MONTHS: u32 = 12;
/// More than this many days past due is bad (Basel II ¶452: "past due more than 90 days").
pub const BAD_DAYS_PAST_DUE: i32 = 90;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Bad,
    Good,
    Indeterminate,
}

/// What the hub knows of one loan's performance.
#[derive(Debug, Clone, PartialEq)]
pub struct Performance {
    pub start: NaiveDate,
    pub maturity: NaiveDate,
    pub status: LoanStatus,
    pub closed_on: Option<NaiveDate>,
    /// Reports, any order: the date and the days past due, when reported.
    pub reports: Vec<(NaiveDate, Option<i32>)>,
}

impl Performance {
    /// The outcome as of `today`, with the day it went bad.
    pub fn outcome(&self, window_months: u32, today: NaiveDate) -> (Outcome, Option<NaiveDate>) {
        let end = self
            .start
            .checked_add_months(Months::new(window_months))
            .unwrap_or(NaiveDate::MAX);
        let in_window = |d: NaiveDate| d >= self.start && d <= end && d <= today;
        let mut bad_days: Vec<NaiveDate> = self
            .reports
            .iter()
            .filter(|(d, dpd)| dpd.is_some_and(|x| x > BAD_DAYS_PAST_DUE) && in_window(*d))
            .map(|(d, _)| *d)
            .collect();
        if self.status == LoanStatus::Defaulted {
            // A default without a date counts from the last report, else maturity.
            let on = self.closed_on.unwrap_or_else(|| {
                self.reports
                    .iter()
                    .map(|r| r.0)
                    .max()
                    .unwrap_or(self.maturity)
            });
            if in_window(on) {
                bad_days.push(on);
            }
        }
        if let Some(first) = bad_days.into_iter().min() {
            return (Outcome::Bad, Some(first));
        }
        if today > end {
            (Outcome::Good, None)
        } else {
            (Outcome::Indeterminate, None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn loan(reports: &[(&str, i32)]) -> Performance {
        Performance {
            start: d("2025-03-15"),
            maturity: d("2026-03-15"),
            status: LoanStatus::Outstanding,
            closed_on: None,
            reports: reports.iter().map(|(s, x)| (d(s), Some(*x))).collect(),
        }
    }

    #[test]
    fn the_window_decides() {
        // 91 days past due inside the window is bad; 90 is not; after the window it does not count.
        let today = d("2026-12-01");
        assert_eq!(
            loan(&[("2025-09-30", 91)]).outcome(12, today),
            (Outcome::Bad, Some(d("2025-09-30")))
        );
        assert_eq!(
            loan(&[("2025-09-30", 90)]).outcome(12, today).0,
            Outcome::Good
        );
        assert_eq!(
            loan(&[("2026-03-16", 120)]).outcome(12, today).0,
            Outcome::Good
        );
        assert_eq!(
            loan(&[("2026-03-15", 120)]).outcome(12, today).0,
            Outcome::Bad
        );
        // The window has not passed: indeterminate, unless already bad.
        assert_eq!(
            loan(&[]).outcome(12, d("2026-03-15")).0,
            Outcome::Indeterminate
        );
        assert_eq!(loan(&[]).outcome(12, d("2026-03-16")).0, Outcome::Good);
        // A shorter window.
        assert_eq!(
            loan(&[("2025-09-30", 91)]).outcome(6, today).0,
            Outcome::Good
        );
    }

    #[test]
    fn a_default_is_bad_within_the_window() {
        let mut l = loan(&[("2025-06-30", 0)]);
        l.status = LoanStatus::Defaulted;
        l.closed_on = Some(d("2025-12-01"));
        assert_eq!(
            l.outcome(12, d("2026-12-01")),
            (Outcome::Bad, Some(d("2025-12-01")))
        );
        l.closed_on = Some(d("2026-06-01"));
        assert_eq!(l.outcome(12, d("2026-12-01")).0, Outcome::Good);
        // No date: the last report.
        l.closed_on = None;
        assert_eq!(l.outcome(12, d("2026-12-01")).1, Some(d("2025-06-30")));
    }
}
