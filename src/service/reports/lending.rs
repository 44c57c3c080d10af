//! Art 21: lending through the hub and reported to it — balances and growth, inclusive small/micro loans,
//! borrowers, and the shares of credit, first, renewal and medium/long-term loans, for the city and per
//! bank (the arithmetic is `domain::lending`).

use super::{Period, ReportError};
use crate::domain::lending::{self, Loan};
use crate::domain::size_class::SizeClass;
use crate::domain::statistics::Section;
use crate::domain::Money;
use crate::store::applications as apps;
use crate::store::DbConn;
use std::collections::HashMap;

/// The loans as the statistics read them.
pub fn loans(c: &mut DbConn, period: Period) -> Result<Vec<Loan>, ReportError> {
    let (rows, balances) = apps::loans_before(c, period.to)?;
    let mut by: HashMap<String, Vec<(chrono::NaiveDate, Money)>> = HashMap::new();
    for b in balances {
        by.entry(b.loan_id)
            .or_default()
            .push((b.as_of, Money::from_fen(b.outstanding_fen)));
    }
    Ok(rows
        .into_iter()
        .map(|l| Loan {
            balances: by.remove(&l.id).unwrap_or_default(),
            size_class: l.size_class.as_deref().and_then(SizeClass::parse),
            amount: Money::from_fen(l.amount_fen),
            credit_line: Money::from_fen(l.credit_line_fen.unwrap_or(l.amount_fen)),
            renewal: l.renews_loan_id.is_some(),
            id: l.id,
            lender: l.institution_id,
            borrower: l.firm_uscc,
            start: l.start_on,
            maturity: l.maturity_on,
            kind: l.kind,
            first_loan: l.first_loan,
            status: l.status,
            closed_on: l.closed_on,
        })
        .collect())
}

pub fn section(c: &mut DbConn, period: Period) -> Result<Section, ReportError> {
    let loans = loans(c, period)?;
    let names = crate::store::institutions::names(c)?;
    let t = lending::tally(&loans, period.from, period.to);
    let table = lending::per_bank(&loans, period.from, period.to, &|id| {
        names.get(id).cloned().unwrap_or_else(|| id.to_string())
    });
    Ok(Section::new(
        "lending",
        period.from,
        period.to,
        lending::figures(&t),
        vec![table],
    ))
}
