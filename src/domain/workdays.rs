//! Working days by the Chinese calendar (DOMAIN §13): Monday to Friday, less the State Council's yearly
//! holidays, plus its make-up working days (调休上班). The notice is data, one file a year under
//! `src/domain/calendar/`; a year without a file counts weekdays only, and says so.

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::sync::LazyLock;

/// The yearly notices shipped with the hub.
const YEARS: &[&str] = &[
    include_str!("calendar/2025.toml"),
    include_str!("calendar/2026.toml"),
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct YearFile {
    year: i32,
    holidays: Vec<NaiveDate>,
    workdays: Vec<NaiveDate>,
}

/// The holiday calendar: which years it knows, their days off and their make-up working days.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    years: BTreeSet<i32>,
    holidays: BTreeSet<NaiveDate>,
    workdays: BTreeSet<NaiveDate>,
}

/// A calendar file that cannot be read, or that contradicts itself.
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    #[error("calendar file: {0}")]
    Format(String),
    #[error("calendar {year}: {day} is listed as {what}")]
    Contradiction {
        year: i32,
        day: NaiveDate,
        what: &'static str,
    },
}

impl Calendar {
    /// From yearly files (TOML: `year`, `holidays`, `workdays`); every day must fall in its year, a
    /// holiday on a weekday and a make-up day on a weekend.
    pub fn from_files(files: &[&str]) -> Result<Calendar, CalendarError> {
        let mut cal = Calendar::default();
        for text in files {
            let f: YearFile =
                toml::from_str(text).map_err(|e| CalendarError::Format(e.to_string()))?;
            let weekend = |d: &NaiveDate| matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
            for d in &f.holidays {
                if d.year() != f.year || weekend(d) {
                    return Err(CalendarError::Contradiction {
                        year: f.year,
                        day: *d,
                        what: "a holiday, but it is outside the year or on a weekend",
                    });
                }
            }
            for d in &f.workdays {
                if d.year() != f.year || !weekend(d) {
                    return Err(CalendarError::Contradiction {
                        year: f.year,
                        day: *d,
                        what:
                            "a make-up working day, but it is outside the year or not on a weekend",
                    });
                }
            }
            cal.years.insert(f.year);
            cal.holidays.extend(f.holidays);
            cal.workdays.extend(f.workdays);
        }
        Ok(cal)
    }

    /// The shipped calendar.
    pub fn shipped() -> &'static Calendar {
        static CAL: LazyLock<Calendar> = LazyLock::new(|| {
            Calendar::from_files(YEARS).unwrap_or_else(|e| panic!("shipped calendar: {e}"))
        });
        &CAL
    }

    /// Whether the State Council's notice for `year` is known (otherwise weekdays are counted).
    pub fn knows(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        if self.workdays.contains(&d) {
            return true;
        }
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains(&d)
    }

    /// The `n`th working day after `from` (the day of receipt does not count): the last day of a
    /// deadline of `n` working days.
    pub fn add_working_days(&self, from: NaiveDate, n: u32) -> NaiveDate {
        let mut d = from;
        let mut left = n;
        while left > 0 {
            d = d.checked_add_days(Days::new(1)).unwrap_or(d);
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// Working days after `from` up to and including `to` (0 when `to` is not after `from`).
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        from.iter_days()
            .skip(1)
            .take_while(|d| *d <= to)
            .filter(|d| self.is_working_day(*d))
            .count() as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_shipped_notices_load() {
        let c = Calendar::shipped();
        assert!(c.knows(2025) && c.knows(2026));
        assert!(!c.knows(2030));
    }

    #[test]
    fn a_deadline_runs_over_national_day_and_its_make_up_days() {
        let c = Calendar::shipped();
        // 2026: Sunday 20 September is worked; 1-7 October are off (1, 2, 5, 6, 7 are weekdays);
        // Saturday 10 October is worked.
        assert!(c.is_working_day(d("2026-09-20")));
        assert!(!c.is_working_day(d("2026-10-01")));
        assert!(!c.is_working_day(d("2026-10-07")));
        assert!(c.is_working_day(d("2026-10-10")));
        assert!(!c.is_working_day(d("2026-10-11")));
        // Received Friday 18 September: 3 working days are Sunday 20 (make-up), Monday 21, Tuesday 22.
        assert_eq!(c.add_working_days(d("2026-09-18"), 3), d("2026-09-22"));
        // Received Tuesday 29 September: 30 Sep (1), then 1-7 Oct off, Thursday 8 (2), Friday 9 (3),
        // Saturday 10 (make-up, 4), Monday 12 (5).
        assert_eq!(c.add_working_days(d("2026-09-29"), 3), d("2026-10-09"));
        assert_eq!(c.add_working_days(d("2026-09-29"), 4), d("2026-10-10"));
        assert_eq!(c.add_working_days(d("2026-09-29"), 5), d("2026-10-12"));
        // Ten working days from Monday 28 September: 29, 30, 8, 9, 10, 12, 13, 14, 15, 16 October.
        assert_eq!(c.add_working_days(d("2026-09-28"), 10), d("2026-10-16"));
        assert_eq!(c.working_days_between(d("2026-09-28"), d("2026-10-16")), 10);
        assert_eq!(c.working_days_between(d("2026-10-16"), d("2026-10-16")), 0);
    }

    #[test]
    fn a_year_without_a_notice_counts_weekdays() {
        let c = Calendar::shipped();
        // 2030-01-01 is a Tuesday; without the notice it is a working day.
        assert!(c.is_working_day(d("2030-01-01")));
        assert_eq!(c.add_working_days(d("2030-01-04"), 1), d("2030-01-07"));
    }

    #[test]
    fn a_notice_that_contradicts_itself_is_refused() {
        let bad = "year = 2026\nholidays = [\"2026-10-03\"]\nworkdays = []";
        assert!(matches!(
            Calendar::from_files(&[bad]),
            Err(CalendarError::Contradiction { .. })
        ));
        let bad = "year = 2026\nholidays = []\nworkdays = [\"2026-10-08\"]";
        assert!(Calendar::from_files(&[bad]).is_err());
    }
}
