//! What-if: hypothetical changes to a firm's signals, so a firm can see what a fix would do to its score
//! before it makes it. Nothing here is stored; the changed signals go through the same indicators and
//! scorecard as the real ones.

use super::features::{EventObs, Obs};
use super::month::Month;
use rust_decimal::Decimal;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Utility bills of the last `months` months (ending at the as-of month) paid on time.
    NoLateUtilityPayments { months: u32 },
    /// Tax arrears and social-insurance arrears cleared in the as-of month.
    ArrearsCleared,
    /// Insured headcount changed by `delta` over the last three months.
    HeadcountChange { delta: i64 },
    /// Public-credit records repaired (信用修复, Art 58) at the start of the as-of month: the named ones,
    /// or all when none are named.
    RecordsRepaired { record_ids: Vec<String> },
    /// The tax credit grade of the as-of year.
    TaxGrade { grade: &'static str },
}

fn set(
    obs: &mut Vec<Obs>,
    kind: &'static str,
    period: String,
    f: impl Fn(Option<Decimal>) -> Decimal,
) {
    match obs
        .iter_mut()
        .find(|o| o.kind == kind && o.period == period && o.event.is_none())
    {
        Some(o) => o.num = Some(f(o.num)),
        None => obs.push(Obs {
            kind,
            period,
            num: Some(f(None)),
            code: None,
            event: None,
        }),
    }
}

/// The firm's signals with the changes applied, in order.
pub fn apply(obs: &[Obs], changes: &[Change], as_of: Month) -> Vec<Obs> {
    let mut out = obs.to_vec();
    for change in changes {
        match change {
            Change::NoLateUtilityPayments { months } => {
                for i in 0..*months as i32 {
                    set(
                        &mut out,
                        "utility_days_late",
                        as_of.plus(-i).to_string(),
                        |_| Decimal::ZERO,
                    );
                }
            }
            Change::ArrearsCleared => {
                set(&mut out, "tax_arrears", as_of.to_string(), |_| {
                    Decimal::ZERO
                });
                set(&mut out, "si_arrears_months", as_of.to_string(), |_| {
                    Decimal::ZERO
                });
            }
            Change::HeadcountChange { delta } => {
                let last_known = out
                    .iter()
                    .filter(|o| o.kind == "insured_headcount")
                    .filter_map(|o| Some((Month::parse(&o.period)?, o.num?)))
                    .filter(|(m, _)| *m <= as_of)
                    .max_by_key(|(m, _)| *m)
                    .map(|(_, v)| v)
                    .unwrap_or_default();
                for i in 0..3 {
                    let d = Decimal::from(*delta);
                    set(
                        &mut out,
                        "insured_headcount",
                        as_of.plus(-i).to_string(),
                        |v| (v.unwrap_or(last_known) + d).max(Decimal::ZERO),
                    );
                }
            }
            Change::RecordsRepaired { record_ids } => {
                let day = as_of.first_day();
                for o in out.iter_mut() {
                    if let Some(e) = o.event.as_mut() {
                        if (record_ids.is_empty() || record_ids.contains(&e.record_id))
                            && e.start <= day
                            && e.repaired_on.is_none_or(|r| r > day)
                        {
                            *e = EventObs {
                                repaired_on: Some(day),
                                ..e.clone()
                            };
                        }
                    }
                }
            }
            Change::TaxGrade { grade } => {
                let period = as_of.year().to_string();
                out.retain(|o| !(o.kind == "tax_grade" && o.period == period));
                out.push(Obs {
                    kind: "tax_grade",
                    period,
                    num: None,
                    code: Some((*grade).to_string()),
                    event: None,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::features::{compute, FirmFacts};
    use crate::domain::scorecard::Scorecard;
    use chrono::NaiveDate;

    fn m(s: &str) -> Month {
        Month::parse(s).unwrap()
    }

    fn monthly(kind: &'static str, end: Month, values: &[i64]) -> Vec<Obs> {
        let n = values.len() as i32;
        values
            .iter()
            .enumerate()
            .map(|(i, v)| Obs {
                kind,
                period: end.plus(i as i32 - n + 1).to_string(),
                num: Some(Decimal::from(*v)),
                code: None,
                event: None,
            })
            .collect()
    }

    #[test]
    fn each_change_moves_its_indicator_and_the_score() {
        let as_of = m("2026-10");
        let facts = FirmFacts {
            established_on: NaiveDate::from_ymd_opt(2018, 1, 1).unwrap(),
            size_class: "small".into(),
        };
        let mut obs = monthly(
            "utility_days_late",
            as_of,
            &[10, 0, 0, 0, 0, 0, 20, 0, 5, 0, 30, 12],
        );
        obs.extend(monthly("tax_arrears", as_of, &[50_000]));
        obs.extend(monthly("si_arrears_months", as_of, &[4]));
        obs.extend(monthly(
            "insured_headcount",
            as_of,
            &[20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20],
        ));
        obs.push(Obs {
            kind: "dishonesty_listing",
            period: "2026-02".into(),
            num: None,
            code: None,
            event: Some(EventObs {
                record_id: "L1".into(),
                start: NaiveDate::from_ymd_opt(2026, 2, 3).unwrap(),
                end: None,
                repaired_on: None,
            }),
        });
        let card = Scorecard::default_card();
        let base = compute(&facts, &obs, as_of);
        let base_score = card.score(&base).score;
        let val = |o: &[Obs], key: &str| {
            compute(&facts, o, as_of)
                .get(key)
                .unwrap()
                .value
                .as_ref()
                .map(|v| v.to_string())
        };
        // (change, indicator, its value after, whether the score must rise)
        let table: Vec<(Change, &str, &str, bool)> = vec![
            (
                Change::NoLateUtilityPayments { months: 6 },
                "utility_late_count_12m",
                "1",
                true,
            ),
            (
                Change::NoLateUtilityPayments { months: 12 },
                "utility_late_count_12m",
                "0",
                true,
            ),
            (Change::ArrearsCleared, "tax_arrears", "0", true),
            (Change::ArrearsCleared, "si_arrears_months", "0", true),
            (
                Change::HeadcountChange { delta: 10 },
                "insured_headcount",
                "30",
                true,
            ),
            (
                Change::HeadcountChange { delta: 10 },
                "headcount_trend_12m",
                "0.5",
                true,
            ),
            (
                Change::RecordsRepaired { record_ids: vec![] },
                "active_dishonesty_listings",
                "0",
                true,
            ),
            (
                Change::RecordsRepaired {
                    record_ids: vec!["other".into()],
                },
                "active_dishonesty_listings",
                "1",
                false,
            ),
            (Change::TaxGrade { grade: "A" }, "tax_grade", "A", true),
        ];
        for (change, key, want, rises) in table {
            let changed = apply(&obs, std::slice::from_ref(&change), as_of);
            assert_eq!(
                val(&changed, key).as_deref(),
                Some(want),
                "{change:?} → {key}"
            );
            let score = card.score(&compute(&facts, &changed, as_of)).score;
            if rises {
                assert!(
                    score > base_score,
                    "{change:?} should raise {base_score}, got {score}"
                );
            } else {
                assert_eq!(score, base_score, "{change:?}");
            }
        }
        // The input is untouched.
        assert_eq!(compute(&facts, &obs, as_of), base);
    }
}
