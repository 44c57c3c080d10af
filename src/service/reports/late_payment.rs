//! Art 54: late payment to SMEs by government bodies and large firms, per debtor (the arithmetic and the
//! rules are `domain::late_payment`), over receivables due in the period.

use super::{Period, ReportError};
use crate::domain::late_payment::{self, DebtorKind, Receivable};
use crate::domain::size_class::SizeClass;
use crate::domain::states::ReceivableStatus;
use crate::domain::statistics::Section;
use crate::domain::Money;
use crate::store::receivables as store;
use crate::store::DbConn;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::HashMap;

pub fn receivables(c: &mut DbConn, period: Period) -> Result<Vec<Receivable>, ReportError> {
    let rows = store::due_between(c, period.from, period.to)?;
    let ids: Vec<String> = rows.iter().map(|r| r.0.id.clone()).collect();
    let mut paid: HashMap<String, Vec<(NaiveDate, Money)>> = HashMap::new();
    for p in store::payments_of(c, &ids)? {
        paid.entry(p.receivable_id)
            .or_default()
            .push((p.paid_on, Money::from_fen(p.amount_fen)));
    }
    Ok(rows
        .into_iter()
        .filter_map(|(r, name, class)| {
            let kind = DebtorKind::of(&r.debtor_uscc, class.as_deref().and_then(SizeClass::parse))?;
            Some(Receivable {
                debtor_name: name.unwrap_or_else(|| r.debtor_uscc.clone()),
                kind,
                amount: Money::from_fen(r.amount_fen),
                due_on: r.due_on,
                disputed: r.status == ReceivableStatus::Disputed,
                payments: paid.remove(&r.id).unwrap_or_default(),
                confirmation_hours: r.decided_at.map(|d| {
                    Decimal::new((d - r.registered_at).num_seconds(), 0) / Decimal::from(3600)
                }),
                debtor: r.debtor_uscc,
            })
        })
        .collect())
}

pub fn section(c: &mut DbConn, period: Period, today: NaiveDate) -> Result<Section, ReportError> {
    let rs = receivables(c, period)?;
    let until = today.min(period.to);
    let (figures, table) = late_payment::figures(&rs, until);
    // The overdue receivables themselves, for the drill-down (the longest late first).
    let mut list = crate::domain::statistics::Table::new(
        "overdue_receivables",
        &["debtor", "debtor_uscc", "due_on"],
        &["amount", "overdue_amount", "days_late"],
    );
    let mut late: Vec<&Receivable> = rs
        .iter()
        .filter(|r| r.due_on < until && !r.disputed && r.overdue_amount() > Money::ZERO)
        .collect();
    late.sort_by_key(|r| std::cmp::Reverse(r.days_late(until)));
    for r in late {
        list.push(
            vec![
                r.debtor_name.clone(),
                r.debtor.clone(),
                r.due_on.to_string(),
            ],
            vec![
                Some(r.amount.to_decimal()),
                Some(r.overdue_amount().to_decimal()),
                Some(Decimal::from(r.days_late(until))),
            ],
            vec![],
        );
    }
    Ok(Section::new(
        "late-payment",
        period.from,
        period.to,
        figures,
        vec![table, list],
    ))
}
