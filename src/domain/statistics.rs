//! The shape every statistic takes (issue 18, DOMAIN.md §11): a figure with its numerator, denominator,
//! the rule it checks and a flag when it misses; breakdown tables of numbers; one section per article.
//! Pure values: the service reads the records, `lending`/`agency` compute, this carries them out.

use chrono::NaiveDate;
use rust_decimal::prelude::*;
use serde::Serialize;

/// The data-quality thresholds a deployment sets (Art 26): coverage under `coverage_floor` (Shanghai's
/// public-data standard asks ≥ 90% timely updates) or a source silent for `silent_days` is flagged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Watch {
    pub coverage_floor: Decimal,
    pub silent_days: i64,
}

impl Default for Watch {
    fn default() -> Self {
        Watch {
            coverage_floor: Decimal::new(90, 2),
            silent_days: 35,
        }
    }
}

/// What a number counts, so a reader (and a spreadsheet) knows how to show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Yuan, to the fen.
    Yuan,
    Count,
    /// A fraction (0.25 = 25%).
    Share,
    /// A multiple (leverage 5.2×).
    Ratio,
    /// A change as a fraction of where it started (0.08 = +8%).
    Growth,
    Days,
}

/// One figure: its value, what it was computed from, the rule it checks and, when it misses the rule's
/// target, a flag saying by how much.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Figure {
    pub key: String,
    pub unit: Unit,
    /// `None` when the denominator is zero (nothing to divide).
    pub value: Option<Decimal>,
    pub numerator: Option<Decimal>,
    pub denominator: Option<Decimal>,
    /// The article, standard or definition the figure follows.
    pub rule: String,
    /// The target the rule sets, in words (`≥ 1/3`), when it sets one.
    pub target: Option<String>,
    /// Why the figure misses its target; `None` when it meets it or has none.
    pub flag: Option<String>,
}

impl Figure {
    /// A plain amount or count.
    pub fn amount(key: &str, unit: Unit, value: Decimal, rule: &str) -> Figure {
        Figure::maybe(key, unit, Some(value), rule)
    }
    /// An amount that may have no value (a mean of nothing, net assets never reported).
    pub fn maybe(key: &str, unit: Unit, value: Option<Decimal>, rule: &str) -> Figure {
        Figure {
            key: key.into(),
            unit,
            value,
            numerator: None,
            denominator: None,
            rule: rule.into(),
            target: None,
            flag: None,
        }
    }
    /// `numerator / denominator` to `dp` places (`None` over zero).
    pub fn ratio(key: &str, unit: Unit, n: Decimal, d: Decimal, dp: u32, rule: &str) -> Figure {
        Figure {
            numerator: Some(n),
            denominator: Some(d),
            ..Figure::maybe(key, unit, divide(n, d, dp), rule)
        }
    }
    /// Growth `(end − start) / start`.
    pub fn growth(key: &str, start: Decimal, end: Decimal, rule: &str) -> Figure {
        Figure::ratio(key, Unit::Growth, end - start, start, 4, rule)
    }
    /// Flag the figure with `why` when `misses` holds of its value (a figure without a value is not
    /// flagged: there is nothing to measure).
    pub fn target(
        mut self,
        target: &str,
        misses: impl Fn(Decimal) -> bool,
        why: impl Fn(Decimal) -> String,
    ) -> Figure {
        self.target = Some(target.into());
        if let Some(v) = self.value.filter(|v| misses(*v)) {
            self.flag = Some(why(v));
        }
        self
    }
}

/// `n / d` rounded half away from zero to `dp` places; `None` when `d` is zero.
pub fn divide(n: Decimal, d: Decimal, dp: u32) -> Option<Decimal> {
    (!d.is_zero())
        .then(|| (n / d).round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero))
}

/// A share as a percentage for messages: `0.2857` → `28.57%`.
pub fn percent(v: Decimal) -> String {
    format!("{}%", (v * Decimal::ONE_HUNDRED).round_dp(2).normalize())
}

/// A breakdown: rows of numbers keyed by one or more dimensions (size class, industry row, bank…).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Table {
    pub key: String,
    /// The dimensions' names, then the measures' names: the columns in order.
    pub dimensions: Vec<String>,
    pub measures: Vec<String>,
    pub rows: Vec<TableRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TableRow {
    pub keys: Vec<String>,
    pub values: Vec<Option<Decimal>>,
    /// What this row misses, when anything (an agency's leverage, a source's coverage).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
}

impl Table {
    pub fn new(key: &str, dimensions: &[&str], measures: &[&str]) -> Table {
        Table {
            key: key.into(),
            dimensions: dimensions.iter().map(|s| s.to_string()).collect(),
            measures: measures.iter().map(|s| s.to_string()).collect(),
            rows: Vec::new(),
        }
    }
    pub fn push(&mut self, keys: Vec<String>, values: Vec<Option<Decimal>>, flags: Vec<String>) {
        debug_assert_eq!(keys.len(), self.dimensions.len());
        debug_assert_eq!(values.len(), self.measures.len());
        self.rows.push(TableRow {
            keys,
            values,
            flags,
        });
    }
    /// The value of `measure` in the row whose keys are `keys`.
    pub fn get(&self, keys: &[&str], measure: &str) -> Option<Decimal> {
        let m = self.measures.iter().position(|x| x == measure)?;
        self.rows
            .iter()
            .find(|r| r.keys.iter().map(String::as_str).eq(keys.iter().copied()))
            .and_then(|r| r.values[m])
    }
}

/// A flag raised anywhere in a section: the figure (or table row) and why.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Flag {
    /// `lending`, `subsidies`, `guarantees`, `data_quality`…
    pub part: String,
    /// The figure's key, or the table's key.
    pub figure: String,
    /// The bank, agency, buyer or source the flag is about; `None` for the whole city.
    pub subject: Option<String>,
    pub message: String,
}

/// One article's statistics over a period.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Section {
    pub part: String,
    /// `[from, to)`.
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub figures: Vec<Figure>,
    pub tables: Vec<Table>,
    /// Every flag of the figures and the tables' rows, the figures' first.
    pub flags: Vec<Flag>,
}

impl Section {
    /// Collect the flags of `figures` and `tables` (rows named by their first key).
    pub fn new(
        part: &str,
        from: NaiveDate,
        to: NaiveDate,
        figures: Vec<Figure>,
        tables: Vec<Table>,
    ) -> Section {
        let mut flags: Vec<Flag> = figures
            .iter()
            .filter_map(|f| {
                Some(Flag {
                    part: part.into(),
                    figure: f.key.clone(),
                    subject: None,
                    message: f.flag.clone()?,
                })
            })
            .collect();
        for t in &tables {
            for r in &t.rows {
                for m in &r.flags {
                    flags.push(Flag {
                        part: part.into(),
                        figure: t.key.clone(),
                        subject: r.keys.first().cloned(),
                        message: m.clone(),
                    });
                }
            }
        }
        Section {
            part: part.into(),
            from,
            to,
            figures,
            tables,
            flags,
        }
    }
    pub fn figure(&self, key: &str) -> Option<&Figure> {
        self.figures.iter().find(|f| f.key == key)
    }
    pub fn table(&self, key: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.key == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn a_ratio_keeps_its_parts_and_is_none_over_zero() {
        let f = Figure::ratio("x", Unit::Share, dec!(1), dec!(3), 4, "Art 17");
        assert_eq!(f.value, Some(dec!(0.3333)));
        assert_eq!((f.numerator, f.denominator), (Some(dec!(1)), Some(dec!(3))));
        assert_eq!(
            Figure::ratio("x", Unit::Share, dec!(1), dec!(0), 4, "").value,
            None
        );
        // Half away from zero.
        assert_eq!(divide(dec!(1), dec!(8), 2), Some(dec!(0.13)));
        assert_eq!(divide(dec!(-1), dec!(8), 2), Some(dec!(-0.13)));
    }

    #[test]
    fn a_target_flags_only_a_value_that_misses_it() {
        let third = |v: Decimal| v < dec!(1) / dec!(3);
        let f = Figure::ratio("s", Unit::Share, dec!(1), dec!(4), 4, "Art 17").target(
            "≥ 1/3",
            third,
            |v| format!("{} under one third", percent(v)),
        );
        assert_eq!(f.flag.as_deref(), Some("25% under one third"));
        let ok = Figure::ratio("s", Unit::Share, dec!(1), dec!(2), 4, "Art 17").target(
            "≥ 1/3",
            third,
            |_| String::new(),
        );
        assert_eq!(ok.flag, None);
        let empty = Figure::ratio("s", Unit::Share, dec!(0), dec!(0), 4, "Art 17").target(
            "≥ 1/3",
            third,
            |_| "x".into(),
        );
        assert_eq!(empty.flag, None);
    }

    #[test]
    fn a_section_gathers_figure_and_row_flags() {
        let f = Figure::amount("a", Unit::Count, dec!(1), "r");
        let mut flagged = f.clone();
        flagged.key = "b".into();
        flagged.flag = Some("low".into());
        let mut t = Table::new("per_agency", &["agency"], &["leverage"]);
        t.push(
            vec!["A".into()],
            vec![Some(dec!(3))],
            vec!["leverage 3 below 5".into()],
        );
        let d = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let s = Section::new("guarantees", d, d, vec![f, flagged], vec![t]);
        assert_eq!(s.flags.len(), 2);
        assert_eq!(s.flags[0].figure, "b");
        assert_eq!(s.flags[1].subject.as_deref(), Some("A"));
        assert_eq!(
            s.table("per_agency").unwrap().get(&["A"], "leverage"),
            Some(dec!(3))
        );
    }
}
