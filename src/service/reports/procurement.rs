//! Art 49: government procurement for SMEs — each buyer's yearly budget reserved for SMEs (≥ 30%), the
//! small/micro share of it (≥ 60%), and the awards that went to SMEs, from the `procurement` source's
//! award notices (the arithmetic is `domain::procurement`).

use super::{Period, ReportError};
use crate::domain::procurement::{self, Award};
use crate::domain::size_class::SizeClass;
use crate::domain::statistics::{Section, Table};
use crate::domain::Money;
use crate::store::statistics as stats;
use crate::store::DbConn;

pub fn awards(c: &mut DbConn, period: Period) -> Result<Vec<Award>, ReportError> {
    Ok(stats::awards_between(c, period.from, period.to)?
        .into_iter()
        .map(|r| Award {
            buyer: r.buyer.unwrap_or_default(),
            project: r.project,
            supplier: r.supplier,
            size_class: r.size_class.as_deref().and_then(SizeClass::parse),
            amount: Money::from_fen(r.amount_fen.unwrap_or(0)),
            budget: Money::from_fen(r.budget_fen.and_then(|b| b.parse().ok()).unwrap_or(0)),
            reserved: match r.reserved.as_deref() {
                Some("reserved") => Some(true),
                Some("open") => Some(false),
                _ => None,
            },
        })
        .collect())
}

pub fn section(c: &mut DbConn, period: Period) -> Result<Section, ReportError> {
    let awards = awards(c, period)?;
    let (figures, per_buyer) = procurement::figures(&awards);
    // The awards themselves, for the drill-down (buyer, project, supplier, class, reserved).
    let mut list = Table::new(
        "awards",
        &["buyer", "project", "supplier", "size_class", "reserved"],
        &["amount", "budget"],
    );
    for a in &awards {
        list.push(
            vec![
                a.buyer.clone(),
                a.project.clone(),
                a.supplier.clone(),
                a.size_class
                    .map_or("unregistered", SizeClass::as_str)
                    .to_string(),
                match a.reserved {
                    Some(true) => "reserved",
                    Some(false) => "open",
                    None => "unsaid",
                }
                .to_string(),
            ],
            vec![Some(a.amount.to_decimal()), Some(a.budget.to_decimal())],
            vec![],
        );
    }
    Ok(Section::new(
        "procurement",
        period.from,
        period.to,
        figures,
        vec![per_buyer, list],
    ))
}
