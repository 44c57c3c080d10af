//! Public-credit records and their remedies (Art 58; DOMAIN §13): the closed list of categories that
//! count, each with its legal basis (`public_credit.toml`), the severities with their publication
//! periods, when a firm may apply for credit repair, and the deadlines of repair and disputes.

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

/// How serious a record is, which sets its publication period (NDRC Order No. 36, DOMAIN §13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// 轻微: not published in principle (at most 3 months); repairable once obligations are fulfilled.
    Minor,
    /// 一般: published at least 3 months, at most 1 year.
    General,
    /// 严重: published at least 1 year, at most 3 years.
    Serious,
}

impl Severity {
    pub const ALL: [Severity; 3] = [Severity::Minor, Severity::General, Severity::Serious];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Minor => "minor",
            Severity::General => "general",
            Severity::Serious => "serious",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The minimum publication before a firm may apply for repair, in months.
    pub fn min_months(self) -> u32 {
        match self {
            Severity::Minor => 0,
            Severity::General => 3,
            Severity::Serious => 12,
        }
    }

    /// The maximum publication: it ends by itself then, in months.
    pub fn max_months(self) -> u32 {
        match self {
            Severity::Minor => 3,
            Severity::General => 12,
            Severity::Serious => 36,
        }
    }
}

/// One category of the closed list.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub key: String,
    /// `dishonesty_listing` or `administrative_penalty`.
    pub kind: String,
    pub zh: String,
    pub en: String,
    pub legal_basis: String,
    /// The source whose department handles its repair and disputes.
    pub owner: String,
    /// Fixed for listings; `None` where each record carries its own.
    pub severity: Option<Severity>,
    pub repairable: bool,
}

/// How long each step may take (configurable in `public_credit.toml`).
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Deadlines {
    /// The owning department accepts or refuses to accept a repair application within these working
    /// days of receiving it.
    pub accept_working_days: u32,
    /// The platform answers a repair application within these working days of receiving it.
    pub decide_working_days: u32,
    /// A dispute is answered within these (calendar) days (征信业管理条例 Art 25).
    pub dispute_days: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListFile {
    deadlines: Deadlines,
    category: Vec<Category>,
}

/// The closed list and the deadlines.
#[derive(Debug)]
pub struct Rules {
    pub deadlines: Deadlines,
    pub categories: Vec<Category>,
}

impl Rules {
    /// From the list's TOML; a category of an unknown kind or owner, or listed twice, is refused.
    pub fn parse(text: &str) -> Result<Rules, String> {
        let f: ListFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut seen = std::collections::BTreeSet::new();
        for c in &f.category {
            if !seen.insert(c.key.as_str()) {
                return Err(format!("category {} is listed twice", c.key));
            }
            if !KINDS.contains(&c.kind.as_str()) {
                return Err(format!(
                    "category {}: kind {} is not a record kind",
                    c.key, c.kind
                ));
            }
            if super::signals::Source::parse(&c.owner).is_none() {
                return Err(format!(
                    "category {}: owner {} is not a source",
                    c.key, c.owner
                ));
            }
            if c.legal_basis.trim().is_empty() {
                return Err(format!("category {} has no legal basis", c.key));
            }
        }
        Ok(Rules {
            deadlines: f.deadlines,
            categories: f.category,
        })
    }

    /// The shipped list.
    pub fn shipped() -> &'static Rules {
        static RULES: LazyLock<Rules> = LazyLock::new(|| {
            Rules::parse(include_str!("public_credit.toml"))
                .unwrap_or_else(|e| panic!("public_credit.toml: {e}"))
        });
        &RULES
    }

    pub fn category(&self, key: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.key == key)
    }
}

/// The public-credit record kinds.
pub const KINDS: [&str; 2] = ["dishonesty_listing", "administrative_penalty"];

/// A category of the shipped list, by key.
pub fn category(key: &str) -> Option<&'static Category> {
    Rules::shipped().category(key)
}

/// A record as the repair rules read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordFacts {
    /// The date of the decision document (the record's start).
    pub decided_on: NaiveDate,
    pub severity: Severity,
    pub repairable: bool,
    /// The publication's end as the source sent it, if it did.
    pub end: Option<NaiveDate>,
    pub repaired_on: Option<NaiveDate>,
}

/// Why a firm may not apply for repair now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotYet {
    #[error("this category of record cannot be repaired on the platform (a law makes it non-repairable)")]
    NotRepairable,
    #[error("the record was repaired on {0}")]
    AlreadyRepaired(NaiveDate),
    #[error("the record's publication ended on {0}; it no longer counts")]
    PublicationEnded(NaiveDate),
    #[error("a {severity} record may be repaired after its minimum publication of {months} months: from {from}")]
    TooEarly {
        severity: &'static str,
        months: u32,
        from: NaiveDate,
    },
}

impl NotYet {
    /// A stable rule id for the API.
    pub fn rule(&self) -> &'static str {
        match self {
            NotYet::NotRepairable => "repair.not_repairable",
            NotYet::AlreadyRepaired(_) => "repair.already_repaired",
            NotYet::PublicationEnded(_) => "repair.publication_ended",
            NotYet::TooEarly { .. } => "repair.too_early",
        }
    }
}

impl RecordFacts {
    /// The first day a firm may apply: the decision date plus the minimum publication.
    pub fn earliest_repair(&self) -> NaiveDate {
        self.decided_on
            .checked_add_months(Months::new(self.severity.min_months()))
            .unwrap_or(self.decided_on)
    }

    /// The last day of publication: the source's end date, or the severity's maximum (it ends by
    /// itself then).
    pub fn publication_ends(&self) -> NaiveDate {
        let max = self
            .decided_on
            .checked_add_months(Months::new(self.severity.max_months()))
            .and_then(|d| d.pred_opt())
            .unwrap_or(self.decided_on);
        self.end.map_or(max, |e| e.min(max))
    }

    /// Whether the firm may apply for repair on `today` (the obligations' fulfilment is what the
    /// application proves, and what the department verifies).
    pub fn may_apply(&self, today: NaiveDate) -> Result<(), NotYet> {
        if !self.repairable {
            return Err(NotYet::NotRepairable);
        }
        if let Some(r) = self.repaired_on {
            return Err(NotYet::AlreadyRepaired(r));
        }
        let ends = self.publication_ends();
        if today > ends {
            return Err(NotYet::PublicationEnded(ends));
        }
        let from = self.earliest_repair();
        if today < from {
            return Err(NotYet::TooEarly {
                severity: self.severity.as_str(),
                months: self.severity.min_months(),
                from,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn record(decided: &str, severity: Severity) -> RecordFacts {
        RecordFacts {
            decided_on: d(decided),
            severity,
            repairable: true,
            end: None,
            repaired_on: None,
        }
    }

    #[test]
    fn the_shipped_list_loads_with_a_basis_for_every_category() {
        let r = Rules::shipped();
        assert!(r.categories.len() >= 8);
        assert!(r.categories.iter().all(|c| !c.legal_basis.is_empty()));
        assert_eq!(r.deadlines.accept_working_days, 3);
        assert_eq!(r.deadlines.decide_working_days, 10);
        assert_eq!(r.deadlines.dispute_days, 20);
        assert_eq!(
            category("tax_penalty").map(|c| c.owner.as_str()),
            Some("tax")
        );
        assert!(category("court_dishonest_debtor").is_some_and(|c| !c.repairable));
        assert!(category("anything_else").is_none());
    }

    #[test]
    fn a_list_that_widens_without_a_basis_is_refused() {
        let bad = "[deadlines]\naccept_working_days = 3\ndecide_working_days = 10\ndispute_days = 20\n\
                   [[category]]\nkey = \"x\"\nkind = \"dishonesty_listing\"\nzh = \"x\"\nen = \"x\"\n\
                   legal_basis = \" \"\nowner = \"tax\"\nrepairable = true\n";
        assert!(Rules::parse(bad).unwrap_err().contains("no legal basis"));
        let bad = bad
            .replace("\" \"", "\"a rule\"")
            .replace("dishonesty_listing", "bad_debt");
        assert!(Rules::parse(&bad)
            .unwrap_err()
            .contains("not a record kind"));
    }

    #[test]
    fn repair_opens_on_the_day_the_minimum_publication_has_passed() {
        // General: at least 3 months from the decision of 2026-03-05 → from 2026-06-05.
        let r = record("2026-03-05", Severity::General);
        assert_eq!(
            r.may_apply(d("2026-06-04")),
            Err(NotYet::TooEarly {
                severity: "general",
                months: 3,
                from: d("2026-06-05")
            })
        );
        assert_eq!(r.may_apply(d("2026-06-05")), Ok(()));
        // Serious: a year; the day before is refused, the anniversary accepted.
        let r = record("2025-11-30", Severity::Serious);
        assert!(r.may_apply(d("2026-11-29")).is_err());
        assert_eq!(r.may_apply(d("2026-11-30")), Ok(()));
        // Minor: no minimum, once obligations are fulfilled.
        assert_eq!(
            record("2026-12-01", Severity::Minor).may_apply(d("2026-12-01")),
            Ok(())
        );
    }

    #[test]
    fn publication_ends_by_itself_at_the_maximum() {
        // General: at most a year: the last day is 2027-03-04.
        let r = record("2026-03-05", Severity::General);
        assert_eq!(r.publication_ends(), d("2027-03-04"));
        assert_eq!(r.may_apply(d("2027-03-04")), Ok(()));
        assert_eq!(
            r.may_apply(d("2027-03-05")),
            Err(NotYet::PublicationEnded(d("2027-03-04")))
        );
        // A source's earlier end wins.
        let r = RecordFacts {
            end: Some(d("2026-09-30")),
            ..r
        };
        assert_eq!(r.publication_ends(), d("2026-09-30"));
    }

    #[test]
    fn repaired_and_non_repairable_records_are_refused() {
        let r = RecordFacts {
            repaired_on: Some(d("2026-07-01")),
            ..record("2026-03-05", Severity::General)
        };
        assert_eq!(
            r.may_apply(d("2026-08-01")),
            Err(NotYet::AlreadyRepaired(d("2026-07-01")))
        );
        let r = RecordFacts {
            repairable: false,
            ..record("2025-01-05", Severity::Serious)
        };
        assert_eq!(r.may_apply(d("2026-08-01")), Err(NotYet::NotRepairable));
    }
}
