//! Pure domain logic: no I/O, no framework types. Values here exist only when valid.

pub mod account;
pub mod agency;
pub mod consent;
pub mod district;
pub mod eligibility;
pub mod features;
pub mod grade;
pub mod ids;
pub mod industry;
pub mod late_payment;
pub mod lending;
pub mod matching;
pub mod money;
pub mod month;
pub mod outcome;
pub mod procurement;
pub mod public_credit;
pub mod rate;
pub mod role;
pub mod scorecard;
pub mod signals;
pub mod size_class;
pub mod states;
pub mod statistics;
pub mod subsidy;
pub mod uscc;
pub mod what_if;
pub mod workdays;

pub use money::Money;

/// An instant (stored in UTC) as RFC 3339, to the second: `2026-11-25T02:34:39Z`.
pub fn rfc3339(t: chrono::NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
pub use size_class::{Classification, SizeClass, Standard};
pub use uscc::Uscc;
