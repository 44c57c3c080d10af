//! The size class public money relies on (issue 20 §8, Art 2): the firm's declared figures are kept, but
//! eligibility is classified from verified data where the hub has it — the insured headcount from social
//! insurance for employees, the invoiced revenue of the last 12 months from tax for revenue — and says
//! which figure decided and where it came from. A firm's own edit is a declaration until the government
//! confirms it or the sources agree.

use super::month::Month;
use super::size_class::Indicators;
use super::Money;
use serde::Serialize;

/// Where a figure came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Figure {
    /// `employees`, `revenue` or `total_assets`.
    pub indicator: String,
    /// The value used (persons, or yuan).
    pub value: String,
    /// `social_insurance` (insured headcount of `period`), `tax` (invoiced revenue of the 12 months
    /// ending `period`), or `registry` (the government's registry entry, or a confirmed declaration).
    pub source: String,
    pub period: Option<String>,
}

/// Monthly verified values of one firm, by month.
#[derive(Debug, Clone, Default)]
pub struct Verified {
    pub headcount: Vec<(Month, u64)>,
    pub revenue: Vec<(Month, Money)>,
}

/// How recent an insured headcount must be to count: within the last 3 complete months.
pub const HEADCOUNT_MONTHS: i32 = 3;

impl Verified {
    /// The newest insured headcount within the last [`HEADCOUNT_MONTHS`] months up to `last`.
    pub fn employees(&self, last: Month) -> Option<(u64, Month)> {
        self.headcount
            .iter()
            .filter(|(m, _)| *m <= last && *m > last.plus(-HEADCOUNT_MONTHS))
            .max_by_key(|(m, _)| *m)
            .map(|(m, v)| (*v, *m))
    }

    /// The invoiced revenue of the 12 months ending `last`, when every one of them is reported.
    pub fn revenue_12m(&self, last: Month) -> Option<Money> {
        let mut fen: i64 = 0;
        for k in 0..12 {
            let m = last.plus(-k);
            let v = self.revenue.iter().find(|(x, _)| *x == m)?;
            fen = fen.checked_add(v.1.fen())?;
        }
        Some(Money::from_fen(fen))
    }
}

/// The figures eligibility classifies from: verified ones where the hub has them, else the registry's.
pub fn used(registry: &Indicators, verified: &Verified, last: Month) -> Indicators {
    Indicators {
        employees: verified
            .employees(last)
            .map(|(n, _)| n)
            .or(registry.employees),
        revenue: verified.revenue_12m(last).or(registry.revenue),
        total_assets: registry.total_assets,
    }
}

/// [`used`], with where each figure came from.
pub fn figures(
    registry: &Indicators,
    verified: &Verified,
    last: Month,
) -> (Indicators, Vec<Figure>) {
    let used = used(registry, verified, last);
    let mut basis = Vec::new();
    match verified.employees(last) {
        Some((n, m)) => {
            basis.push(Figure {
                indicator: "employees".into(),
                value: n.to_string(),
                source: "social_insurance".into(),
                period: Some(m.to_string()),
            });
        }
        None => {
            if let Some(n) = registry.employees {
                basis.push(Figure {
                    indicator: "employees".into(),
                    value: n.to_string(),
                    source: "registry".into(),
                    period: None,
                });
            }
        }
    }
    match verified.revenue_12m(last) {
        Some(r) => {
            basis.push(Figure {
                indicator: "revenue".into(),
                value: r.to_string(),
                source: "tax".into(),
                period: Some(last.to_string()),
            });
        }
        None => {
            if let Some(r) = registry.revenue {
                basis.push(Figure {
                    indicator: "revenue".into(),
                    value: r.to_string(),
                    source: "registry".into(),
                    period: None,
                });
            }
        }
    }
    if let Some(a) = registry.total_assets {
        basis.push(Figure {
            indicator: "total_assets".into(),
            value: a.to_string(),
            source: "registry".into(),
            period: None,
        });
    }
    (used, basis)
}

/// Whether the sources agree with a declaration: every declared figure is verifiable and matches
/// (employees exactly; revenue within 5 % of the invoiced 12 months). Total assets are never verified.
pub fn sources_agree(declared: &Indicators, verified: &Verified, last: Month) -> bool {
    if declared.total_assets.is_some() {
        return false;
    }
    let employees_ok = match declared.employees {
        None => true,
        Some(n) => verified.employees(last).is_some_and(|(v, _)| v == n),
    };
    let revenue_ok = match declared.revenue {
        None => true,
        Some(r) => verified.revenue_12m(last).is_some_and(|v| {
            let (a, b) = (r.fen() as i128, v.fen() as i128);
            (a - b).abs() * 100 <= b.abs() * 5
        }),
    };
    (declared.employees.is_some() || declared.revenue.is_some()) && employees_ok && revenue_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Month {
        Month::parse(s).unwrap()
    }

    #[test]
    fn verified_figures_win_and_say_where_they_come_from() {
        let last = m("2026-11");
        let verified = Verified {
            headcount: vec![(m("2026-10"), 42), (m("2026-08"), 60)],
            revenue: (0..12)
                .map(|k| (last.plus(-k), Money::from_yuan(100_000)))
                .collect(),
        };
        let registry = Indicators {
            employees: Some(250),
            revenue: Some(Money::from_yuan(90_000_000)),
            total_assets: None,
        };
        let (used, basis) = figures(&registry, &verified, last);
        assert_eq!(used.employees, Some(42));
        assert_eq!(used.revenue, Some(Money::from_yuan(1_200_000)));
        assert_eq!(basis[0].source, "social_insurance");
        assert_eq!(basis[0].period.as_deref(), Some("2026-10"));
        assert_eq!(basis[1].source, "tax");
        // A headcount older than three months, or a year with a month missing, is not verified.
        let old = Verified {
            headcount: vec![(m("2026-08"), 60)],
            revenue: (1..12)
                .map(|k| (last.plus(-k), Money::from_yuan(1)))
                .collect(),
        };
        let (used, basis) = figures(&registry, &old, last);
        assert_eq!(used.employees, Some(250));
        assert_eq!(used.revenue, registry.revenue);
        assert!(basis.iter().all(|b| b.source == "registry"));
    }

    #[test]
    fn sources_agree_only_on_what_they_verify() {
        let last = m("2026-11");
        let verified = Verified {
            headcount: vec![(last, 42)],
            revenue: (0..12)
                .map(|k| (last.plus(-k), Money::from_yuan(100_000)))
                .collect(),
        };
        let d = |e: Option<u64>, r: Option<i64>, a: Option<i64>| Indicators {
            employees: e,
            revenue: r.map(Money::from_yuan),
            total_assets: a.map(Money::from_yuan),
        };
        assert!(sources_agree(&d(Some(42), None, None), &verified, last));
        assert!(!sources_agree(&d(Some(43), None, None), &verified, last));
        // 1,200,000 invoiced: 1,260,000 is within 5 %, 1,261,000 is not.
        assert!(sources_agree(
            &d(None, Some(1_260_000), None),
            &verified,
            last
        ));
        assert!(!sources_agree(
            &d(None, Some(1_261_000), None),
            &verified,
            last
        ));
        assert!(!sources_agree(&d(Some(42), None, Some(5)), &verified, last));
        assert!(!sources_agree(&d(None, None, None), &verified, last));
    }
}
