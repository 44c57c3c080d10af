//! Government procurement for SMEs (Art 49 of the seed regulation; 中小企业促进法 Art 40; DOMAIN §11):
//! each buyer reserves at least 30% of its yearly procurement budget for SMEs, and of that at least 60% for
//! small and micro firms. Awards arrive per supplier of a project; a project counts once in its buyer's
//! budget (its budget as noticed), reserved when its notice says so.

use super::money::Money;
use super::size_class::SizeClass;
use super::statistics::{divide, percent, Figure, Table, Unit};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// At least this share of a buyer's yearly budget is reserved for SMEs.
pub const MIN_RESERVED: Decimal = Decimal::from_parts(30, 0, 0, false, 2);
/// Of the reserved part, at least this share goes to small and micro firms.
pub const MIN_SMALL_MICRO: Decimal = Decimal::from_parts(60, 0, 0, false, 2);

/// One award as the statistics read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Award {
    pub buyer: String,
    /// The project's number.
    pub project: String,
    pub supplier: String,
    /// The supplier's size class in the registry; `None` when it is not registered.
    pub size_class: Option<SizeClass>,
    pub amount: Money,
    pub budget: Money,
    /// `None` when the notice does not say.
    pub reserved: Option<bool>,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct BuyerTally {
    pub projects: usize,
    pub budget: Decimal,
    pub reserved_budget: Decimal,
    /// Projects whose notices never said whether they were reserved (counted in the budget only).
    pub unflagged: usize,
    pub awarded: Decimal,
    pub to_smes: Decimal,
    pub reserved_awarded: Decimal,
    pub reserved_to_small_micro: Decimal,
}

/// Per buyer (and the city as `None`).
pub fn tally(awards: &[Award]) -> BTreeMap<Option<String>, BuyerTally> {
    // A project counts once in the budget: its largest noticed budget, reserved when any notice says so.
    let mut projects: BTreeMap<(&str, &str), (Decimal, Option<bool>)> = BTreeMap::new();
    for a in awards {
        let e = projects
            .entry((a.buyer.as_str(), a.project.as_str()))
            .or_insert((Decimal::ZERO, None));
        e.0 = e.0.max(a.budget.to_decimal());
        e.1 = match (e.1, a.reserved) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (Some(false), _) | (_, Some(false)) => Some(false),
            _ => None,
        };
    }
    let mut out: BTreeMap<Option<String>, BuyerTally> = BTreeMap::new();
    for ((buyer, _), (budget, reserved)) in &projects {
        for key in [Some(buyer.to_string()), None] {
            let t = out.entry(key).or_default();
            t.projects += 1;
            t.budget += budget;
            match reserved {
                Some(true) => t.reserved_budget += budget,
                None => t.unflagged += 1,
                Some(false) => {}
            }
        }
    }
    for a in awards {
        let reserved = projects
            .get(&(a.buyer.as_str(), a.project.as_str()))
            .and_then(|p| p.1)
            == Some(true);
        let sme = a.size_class.is_some_and(|c| c != SizeClass::Large);
        let sm = a.size_class.is_some_and(SizeClass::is_small_or_micro);
        for key in [Some(a.buyer.clone()), None] {
            let t = out.entry(key).or_default();
            let x = a.amount.to_decimal();
            t.awarded += x;
            if sme {
                t.to_smes += x;
            }
            if reserved {
                t.reserved_awarded += x;
                if sm {
                    t.reserved_to_small_micro += x;
                }
            }
        }
    }
    out
}

const ART49: &str = "Art 49; 中小企业促进法 Art 40 (DOMAIN §11): at least 30% of a buyer's yearly procurement budget reserved for SMEs, of which at least 60% for small and micro firms";

fn reserved_share(t: &BuyerTally) -> Option<Decimal> {
    divide(t.reserved_budget, t.budget, 4)
}

fn small_micro_share(t: &BuyerTally) -> Option<Decimal> {
    divide(t.reserved_to_small_micro, t.reserved_awarded, 4)
}

/// The flags of one buyer's tally.
fn flags(buyer: &str, t: &BuyerTally) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(s) = reserved_share(t).filter(|s| *s < MIN_RESERVED) {
        out.push(format!(
            "{buyer} reserved {} of its procurement budget for SMEs, under 30% (Art 49)",
            percent(s)
        ));
    }
    if let Some(s) = small_micro_share(t).filter(|s| *s < MIN_SMALL_MICRO) {
        out.push(format!(
            "{buyer}: {} of what it reserved went to small and micro firms, under 60% (Art 49)",
            percent(s)
        ));
    }
    out
}

/// The city's figures and the per-buyer table (flagged buyers first).
pub fn figures(awards: &[Award]) -> (Vec<Figure>, Table) {
    let t = tally(awards);
    let city = t.get(&None).cloned().unwrap_or_default();
    let n = |x: usize| Decimal::from(x);
    let figures = vec![
        Figure::amount("buyers", Unit::Count, n(t.len().saturating_sub(1)), ART49),
        Figure::amount("projects", Unit::Count, n(city.projects), ART49),
        Figure::amount("procurement_budget", Unit::Yuan, city.budget, ART49),
        Figure::ratio("reserved_share", Unit::Share, city.reserved_budget, city.budget, 4, ART49)
            .target("≥ 30%", |v| v < MIN_RESERVED, |v| {
                format!("the buyers together reserved {} of their budget for SMEs, under 30% (Art 49)", percent(v))
            }),
        Figure::ratio(
            "reserved_small_micro_share",
            Unit::Share,
            city.reserved_to_small_micro,
            city.reserved_awarded,
            4,
            ART49,
        )
        .target("≥ 60%", |v| v < MIN_SMALL_MICRO, |v| {
            format!("{} of the reserved awards went to small and micro firms, under 60% (Art 49)", percent(v))
        }),
        Figure::ratio("awarded_to_smes_share", Unit::Share, city.to_smes, city.awarded, 4, ART49),
        Figure::amount(
            "projects_without_reserved_flag",
            Unit::Count,
            n(city.unflagged),
            "Art 49: projects whose notices do not say whether they were reserved (in the budget, never in the reserved part)",
        ),
        Figure::amount(
            "buyers_flagged",
            Unit::Count,
            n(t.iter().filter(|(k, v)| k.is_some() && !flags("", v).is_empty()).count()),
            ART49,
        ),
    ];
    let mut table = Table::new(
        "per_buyer",
        &["buyer"],
        &[
            "projects",
            "procurement_budget",
            "reserved_budget",
            "reserved_share",
            "awarded",
            "awarded_to_smes",
            "reserved_awarded",
            "reserved_to_small_micro",
            "reserved_small_micro_share",
            "projects_without_reserved_flag",
        ],
    );
    let mut rows: Vec<(&String, &BuyerTally, Vec<String>)> = t
        .iter()
        .filter_map(|(k, v)| Some((k.as_ref()?, v, flags(k.as_ref()?, v))))
        .collect();
    rows.sort_by(|a, b| b.2.len().cmp(&a.2.len()).then(a.0.cmp(b.0)));
    for (buyer, v, f) in rows {
        table.push(
            vec![buyer.clone()],
            vec![
                Some(n(v.projects)),
                Some(v.budget),
                Some(v.reserved_budget),
                reserved_share(v),
                Some(v.awarded),
                Some(v.to_smes),
                Some(v.reserved_awarded),
                Some(v.reserved_to_small_micro),
                small_micro_share(v),
                Some(n(v.unflagged)),
            ],
            f,
        );
    }
    (figures, table)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn award(
        buyer: &str,
        project: &str,
        class: Option<SizeClass>,
        amount: i64,
        budget: i64,
        reserved: Option<bool>,
    ) -> Award {
        Award {
            buyer: buyer.into(),
            project: project.into(),
            supplier: format!("s-{project}"),
            size_class: class,
            amount: Money::from_yuan(amount),
            budget: Money::from_yuan(budget),
            reserved,
        }
    }

    /// Buyer A: P1 (budget 1,000,000, reserved, two lots: 400,000 to a small firm and 500,000 to a medium
    /// one), P2 (2,000,000 open, 1,900,000 to a large firm), P3 (1,000,000, no flag: in the budget, not
    /// reserved; 950,000 to a micro firm). Reserved share 1,000,000 / 4,000,000 = 25% < 30%: flagged.
    /// Of the reserved awards (900,000) small/micro got 400,000 = 44.44% < 60%: flagged. To SMEs:
    /// 400,000 + 500,000 + 950,000 = 1,850,000 of 3,750,000 = 49.33%.
    /// Buyer B: Q1 (1,000,000 reserved, 900,000 to a micro firm): 100%, 100%: not flagged.
    #[test]
    fn reserved_shares_count_each_project_once() {
        let awards = [
            award(
                "A",
                "P1",
                Some(SizeClass::Small),
                400_000,
                1_000_000,
                Some(true),
            ),
            award("A", "P1", Some(SizeClass::Medium), 500_000, 1_000_000, None),
            award(
                "A",
                "P2",
                Some(SizeClass::Large),
                1_900_000,
                2_000_000,
                Some(false),
            ),
            award("A", "P3", Some(SizeClass::Micro), 950_000, 1_000_000, None),
            award(
                "B",
                "Q1",
                Some(SizeClass::Micro),
                900_000,
                1_000_000,
                Some(true),
            ),
        ];
        let t = tally(&awards);
        let a = &t[&Some("A".to_string())];
        assert_eq!(
            (a.projects, a.budget, a.reserved_budget, a.unflagged),
            (3, dec!(4000000), dec!(1000000), 1)
        );
        assert_eq!(reserved_share(a), Some(dec!(0.25)));
        assert_eq!(small_micro_share(a), Some(dec!(0.4444)));
        assert_eq!(flags("A", a).len(), 2);
        assert!(flags("B", &t[&Some("B".to_string())]).is_empty());
        let (f, table) = figures(&awards);
        let get = |k: &str| f.iter().find(|x| x.key == k).unwrap();
        // The city: 2,000,000 reserved of 5,000,000 = 40%; small/micro 1,300,000 of 1,800,000 = 72.22%.
        assert_eq!(get("reserved_share").value, Some(dec!(0.4)));
        assert_eq!(get("reserved_share").flag, None);
        assert_eq!(get("reserved_small_micro_share").value, Some(dec!(0.7222)));
        assert_eq!(get("projects_without_reserved_flag").value, Some(dec!(1)));
        assert_eq!(get("buyers_flagged").value, Some(dec!(1)));
        assert_eq!(table.rows[0].keys[0], "A", "the flagged buyer first");
        assert_eq!(table.get(&["A"], "awarded_to_smes"), Some(dec!(1850000.00)));
    }
}
