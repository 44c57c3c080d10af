//! The hub's one source of time, injected: the system clock in production, a fixed instant in tests.
//! Instants are UTC (truncated to the microsecond both backends store); calendar dates are China
//! Standard Time (UTC+8), the day a Shanghai firm or officer lives in.

use chrono::{NaiveDate, NaiveDateTime};
use std::sync::Arc;

#[derive(Clone)]
pub struct Clock(Source);

#[derive(Clone)]
enum Source {
    System,
    Fixed(Arc<std::sync::RwLock<NaiveDateTime>>),
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Source::System => f.write_str("Clock::system"),
            Source::Fixed(_) => write!(f, "Clock::fixed({})", self.now()),
        }
    }
}

impl Clock {
    pub fn system() -> Self {
        Clock(Source::System)
    }

    /// A clock that reads `at` (UTC) until it is moved with [`Clock::set`].
    pub fn fixed(at: NaiveDateTime) -> Self {
        Clock(Source::Fixed(Arc::new(std::sync::RwLock::new(truncate(
            at,
        )))))
    }

    /// Move a fixed clock (a test's "a day later"); the system clock cannot be moved.
    pub fn set(&self, at: NaiveDateTime) {
        if let Source::Fixed(t) = &self.0 {
            if let Ok(mut g) = t.write() {
                *g = truncate(at);
            }
        }
    }

    /// Now, in UTC, to the microsecond.
    pub fn now(&self) -> NaiveDateTime {
        match &self.0 {
            Source::System => truncate(chrono::Utc::now().naive_utc()),
            Source::Fixed(t) => t.read().map(|g| *g).unwrap_or_else(|e| *e.into_inner()),
        }
    }

    /// Today in China Standard Time (UTC+8).
    pub fn today(&self) -> NaiveDate {
        cst_date(self.now())
    }
}

/// The calendar date in China Standard Time (UTC+8) of an instant stored in UTC.
pub fn cst_date(at: NaiveDateTime) -> NaiveDate {
    (at + chrono::Duration::hours(8)).date()
}

fn truncate(n: NaiveDateTime) -> NaiveDateTime {
    n - chrono::Duration::nanoseconds(i64::from(n.and_utc().timestamp_subsec_nanos() % 1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_reads_what_it_was_set_to_and_dates_in_cst() {
        let at = NaiveDate::from_ymd_opt(2026, 12, 31)
            .unwrap()
            .and_hms_opt(16, 30, 0)
            .unwrap();
        let c = Clock::fixed(at);
        assert_eq!(c.now(), at);
        // 16:30 UTC is 00:30 the next day in Shanghai.
        assert_eq!(c.today(), NaiveDate::from_ymd_opt(2027, 1, 1).unwrap());
        c.set(at - chrono::Duration::hours(1));
        assert_eq!(c.today(), NaiveDate::from_ymd_opt(2026, 12, 31).unwrap());
        let s = Clock::system();
        assert!(s.now() <= Clock::system().now());
    }
}

/// The system clock for work outside a request (the CLI, the demo seed, ingestion runs, the store's
/// own stamps); requests read the app's [`Clock`].
pub mod system {
    pub fn now() -> chrono::NaiveDateTime {
        super::Clock::system().now()
    }
    /// Today in China Standard Time (UTC+8).
    pub fn today_cst() -> chrono::NaiveDate {
        super::Clock::system().today()
    }
}
