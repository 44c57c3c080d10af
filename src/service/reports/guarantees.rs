//! Art 28: the guarantee system — every agency's leverage, compensation rate, small/micro share and
//! average fee rate with its flags (leverage under 5, compensation over 5%; DOMAIN §5, §9), and the system's
//! totals over all agencies' contracts.

use super::{Period, ReportError};
use crate::domain::agency::{self, Metrics};
use crate::domain::statistics::{Figure, Section, Table, Unit};
use crate::domain::Money;
use crate::service::agencies;
use crate::store::DbConn;
use rust_decimal::Decimal;
use std::str::FromStr;

const ART28: &str =
    "Art 28; DOMAIN §5, §9 (leverage ≥ 5 expected; compensation rate up to 5% tolerated)";

fn dec(s: &Option<String>) -> Option<Decimal> {
    s.as_deref().and_then(|v| Decimal::from_str(v).ok())
}

const MEASURES: [&str; 10] = [
    "balance",
    "net_assets",
    "leverage",
    "compensation_paid",
    "ended_guaranteed",
    "compensation_rate",
    "contracts",
    "small_micro_share_count",
    "small_micro_share_amount",
    "average_fee_rate",
];

fn row(m: &Metrics) -> Vec<Option<Decimal>> {
    vec![
        Some(m.balance.to_decimal()),
        m.net_assets.map(Money::to_decimal),
        dec(&m.leverage),
        Some(m.compensation_paid.to_decimal()),
        Some(m.ended_guaranteed.to_decimal()),
        dec(&m.compensation_rate),
        Some(m.contracts.into()),
        dec(&m.small_micro_share_count),
        dec(&m.small_micro_share_amount),
        dec(&m.average_fee_rate),
    ]
}

pub fn section(c: &mut DbConn, period: Period) -> Result<Section, ReportError> {
    let last = period.to.pred_opt().unwrap_or(period.to);
    let mut table = Table::new("per_agency", &["agency", "agency_id"], &MEASURES);
    let (mut all, mut net, mut any_net) = (Vec::new(), 0i64, false);
    let mut institutions = crate::store::institutions::list(c)?;
    institutions.retain(|i| i.kind == "guarantor");
    institutions.sort_by(|a, b| a.name.cmp(&b.name));
    for i in institutions {
        let gs = agencies::guarantees_of(c, &i.id)?;
        let n = crate::store::guarantees::net_assets_on(c, &i.id, last)?;
        if gs.is_empty() && n.is_none() {
            continue;
        }
        let m = agency::metrics(&gs, n.map(Money::from_fen), period.from, period.to);
        if let Some(n) = n {
            net += n;
            any_net = true;
        }
        table.push(vec![i.name.clone(), i.id.clone()], row(&m), m.flags.clone());
        all.extend(gs);
    }
    let system = agency::metrics(
        &all,
        any_net.then(|| Money::from_fen(net)),
        period.from,
        period.to,
    );
    let fig = |key: &str, unit: Unit, v: Option<Decimal>| Figure::maybe(key, unit, v, ART28);
    let leverage = Figure::ratio(
        "system_leverage",
        Unit::Ratio,
        system.balance.to_decimal(),
        system.net_assets.map_or(Decimal::ZERO, Money::to_decimal),
        2,
        "Art 28; DOMAIN §9: guarantee balance in force at the period's end / the agencies' latest net assets",
    )
    .target("≥ 5", |v| v < agency::MIN_LEVERAGE, |v| {
        format!("the guarantee system's leverage {} is below 5 (Art 28)", v.normalize())
    });
    let comp = Figure::ratio(
        "system_compensation_rate",
        Unit::Share,
        system.compensation_paid.to_decimal(),
        system.ended_guaranteed.to_decimal(),
        4,
        "Art 28; DOMAIN §9: compensation paid in the period / guarantees whose active interval ended in it",
    )
    .target("≤ 5%", |v| v > agency::MAX_COMPENSATION_RATE, |v| {
        format!("the guarantee system's compensation rate {} is above 5% (Art 28)", crate::domain::statistics::percent(v))
    });
    let figures = vec![
        fig("agencies", Unit::Count, Some(table.rows.len().into())),
        fig("balance", Unit::Yuan, Some(system.balance.to_decimal())),
        fig(
            "net_assets",
            Unit::Yuan,
            system.net_assets.map(Money::to_decimal),
        ),
        leverage,
        fig(
            "compensation_paid",
            Unit::Yuan,
            Some(system.compensation_paid.to_decimal()),
        ),
        comp,
        fig("contracts", Unit::Count, Some(system.contracts.into())),
        fig(
            "small_micro_share_count",
            Unit::Share,
            dec(&system.small_micro_share_count),
        ),
        fig(
            "small_micro_share_amount",
            Unit::Share,
            dec(&system.small_micro_share_amount),
        ),
        fig(
            "average_fee_rate",
            Unit::Share,
            dec(&system.average_fee_rate),
        ),
        fig(
            "agencies_flagged",
            Unit::Count,
            Some(
                table
                    .rows
                    .iter()
                    .filter(|r| !r.flags.is_empty())
                    .count()
                    .into(),
            ),
        ),
    ];
    Ok(Section::new(
        "guarantees",
        period.from,
        period.to,
        figures,
        vec![table],
    ))
}
