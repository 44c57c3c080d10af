//! Art 7 (and Art 62's inputs): the SME census from the registry and the signals — firms by size class ×
//! industry row × district, new firms by establishment date, insured headcount (employment) in the
//! period's last complete month, invoiced revenue and tax paid over the period's months, designations.

use super::{Period, ReportError};
use crate::domain::month::Month;
use crate::domain::size_class::SizeClass;
use crate::domain::statistics::{Figure, Section, Table, Unit};
use crate::store::statistics as stats;
use crate::store::DbConn;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

const ART7: &str =
    "Art 7 (SME census); Art 2 size classes under the 2011 standard (工信部联企业〔2011〕300号)";

/// The months of `[from, to)` that are complete on `today`: first and last (none when the period has not
/// completed a month yet).
pub fn complete_months(period: Period, today: NaiveDate) -> Option<(Month, Month)> {
    let first = Month::of(period.from);
    // Days before `today` are over; a month is complete once its last day is.
    let end = period.to.min(today);
    let last = Month::last_complete(end);
    (last >= first).then_some((first, last))
}

#[derive(Default, Clone, Copy)]
struct Cell {
    firms: i64,
    new_firms: i64,
    headcount: i64,
    revenue_fen: i64,
    tax_fen: i64,
}

impl Cell {
    fn add(&mut self, o: &Cell) {
        self.firms += o.firms;
        self.new_firms += o.new_firms;
        self.headcount += o.headcount;
        self.revenue_fen += o.revenue_fen;
        self.tax_fen += o.tax_fen;
    }
    fn values(&self) -> Vec<Option<Decimal>> {
        vec![
            Some(self.firms.into()),
            Some(self.new_firms.into()),
            Some(self.headcount.into()),
            Some(Decimal::new(self.revenue_fen, 2)),
            Some(Decimal::new(self.tax_fen, 2)),
        ]
    }
}

const MEASURES: [&str; 5] = [
    "firms",
    "new_firms",
    "insured_headcount",
    "invoiced_revenue",
    "tax_paid",
];

pub fn section(c: &mut DbConn, period: Period, today: NaiveDate) -> Result<Section, ReportError> {
    let mut cells: BTreeMap<(String, String, String), Cell> = BTreeMap::new();
    for r in stats::firms_by_cell(c, period.from, period.to)? {
        let e = cells
            .entry((r.size_class, r.industry_row, r.district))
            .or_default();
        e.firms += r.firms;
        e.new_firms += r.new_firms;
    }
    let months = complete_months(period, today);
    if let Some((first, last)) = months {
        for r in stats::signal_sums(c, &["invoiced_revenue", "tax_paid"], &first, &last)? {
            let e = cells
                .entry((r.size_class, r.industry_row, r.district))
                .or_default();
            match r.kind.as_str() {
                "invoiced_revenue" => e.revenue_fen += r.total.unwrap_or(0),
                _ => e.tax_fen += r.total.unwrap_or(0),
            }
        }
        for r in stats::signal_sums(c, &["insured_headcount"], &last, &last)? {
            cells
                .entry((r.size_class, r.industry_row, r.district))
                .or_default()
                .headcount += r.total.unwrap_or(0);
        }
    }
    let mut by_cell = Table::new(
        "by_cell",
        &["size_class", "industry_row", "district"],
        &MEASURES,
    );
    let mut by_class: BTreeMap<String, Cell> = SizeClass::ALL
        .iter()
        .map(|k| (k.as_str().to_string(), Cell::default()))
        .collect();
    let mut total = Cell::default();
    for ((class, row, district), v) in &cells {
        by_cell.push(
            vec![class.clone(), row.clone(), district.clone()],
            v.values(),
            vec![],
        );
        by_class.entry(class.clone()).or_default().add(v);
        total.add(v);
    }
    let mut class_table = Table::new("by_size_class", &["size_class"], &MEASURES);
    for k in SizeClass::ALL {
        if let Some(v) = by_class.get(k.as_str()) {
            class_table.push(vec![k.as_str().into()], v.values(), vec![]);
        }
    }
    let mut designations = Table::new("designations", &["designation"], &["firms"]);
    let last_day = period.to.pred_opt().unwrap_or(period.to);
    let mut designated = Decimal::ZERO;
    for d in stats::designations_on(c, last_day.min(today))? {
        designated += Decimal::from(d.n);
        designations.push(vec![d.key], vec![Some(d.n.into())], vec![]);
    }
    let smes: i64 = SizeClass::ALL
        .iter()
        .filter(|k| **k != SizeClass::Large)
        .filter_map(|k| by_class.get(k.as_str()))
        .map(|c| c.firms)
        .sum();
    let sm: i64 = [SizeClass::Small, SizeClass::Micro]
        .iter()
        .filter_map(|k| by_class.get(k.as_str()))
        .map(|c| c.firms)
        .sum();
    let month_rule = |what: &str| match months {
        Some((f, l)) => format!("Art 7, Art 62 ({what}); months {f} to {l}, current signals"),
        None => format!("Art 7, Art 62 ({what}); no month of the period is complete yet"),
    };
    let figures = vec![
        Figure::amount("firms", Unit::Count, total.firms.into(), ART7),
        Figure::amount("smes", Unit::Count, smes.into(), ART7),
        Figure::ratio(
            "sme_share",
            Unit::Share,
            smes.into(),
            total.firms.into(),
            4,
            ART7,
        ),
        Figure::ratio(
            "small_micro_share",
            Unit::Share,
            sm.into(),
            total.firms.into(),
            4,
            ART7,
        ),
        Figure::amount(
            "new_firms",
            Unit::Count,
            total.new_firms.into(),
            "Art 7, Art 62 (registration): established in the period",
        ),
        Figure::amount(
            "insured_headcount",
            Unit::Count,
            total.headcount.into(),
            &match months {
                Some((_, l)) => format!(
                    "Art 7, Art 62 (employment): insured headcount in {l}, the last complete month"
                ),
                None => "Art 7, Art 62 (employment): no month of the period is complete yet".into(),
            },
        ),
        Figure::amount(
            "invoiced_revenue",
            Unit::Yuan,
            Decimal::new(total.revenue_fen, 2),
            &month_rule("invoiced revenue"),
        ),
        Figure::amount(
            "tax_paid",
            Unit::Yuan,
            Decimal::new(total.tax_fen, 2),
            &month_rule("taxes"),
        ),
        Figure::amount(
            "designations",
            Unit::Count,
            designated,
            "Art 7: designations in force at the period's end (专精特新, 高新技术…)",
        ),
    ];
    Ok(Section::new(
        "census",
        period.from,
        period.to,
        figures,
        vec![class_table, by_cell, designations],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn only_complete_months_count() {
        let y = Period::year(2026).unwrap();
        // Mid-December: January to November are complete.
        assert_eq!(
            complete_months(y, d(2026, 12, 4)).map(|(a, b)| (a.to_string(), b.to_string())),
            Some(("2026-01".into(), "2026-11".into()))
        );
        // A past year: all twelve.
        assert_eq!(
            complete_months(Period::year(2025).unwrap(), d(2026, 12, 4))
                .map(|(_, b)| b.to_string()),
            Some("2025-12".into())
        );
        // January 31st: nothing complete yet; February 1st: January is.
        assert_eq!(complete_months(y, d(2026, 1, 31)), None);
        assert_eq!(
            complete_months(y, d(2026, 2, 1)).map(|(_, b)| b.to_string()),
            Some("2026-01".into())
        );
    }
}
