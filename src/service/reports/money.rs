//! Public money (Art 17, Art 63 (2)-(3)): the share of fee subsidies, interest subsidies and agency
//! rewards — approved and paid in the period — that went to small and micro firms (at least one third),
//! by the size class public money relied on (verified figures first, issue 20 §8), the policies in
//! force, and each policy's funds approved and paid against its budget.

use super::{Period, ReportError};
use crate::domain::statistics::{percent, Figure, Section, Table, Unit};
use crate::store::statistics::{self as stats, Claimed, Moved};
use crate::store::DbConn;
use rust_decimal::Decimal;
use std::collections::HashMap;

const ART17: &str =
    "Art 17: at least one third of SME special funds to small and micro firms (DOMAIN §11)";

fn yuan(fen: i64) -> Decimal {
    Decimal::new(fen, 2)
}

/// (small and micro, all, lines or claims with no class known) in fen.
#[derive(Default, Clone, Copy)]
struct Split {
    small_micro: i64,
    all: i64,
    unknown: i64,
}

fn lines(
    c: &mut DbConn,
    claimed: Claimed,
    moved: Moved,
    period: Period,
) -> Result<Split, ReportError> {
    let (f, t) = period.instants();
    let mut s = Split::default();
    for r in stats::subsidies_by_class(c, claimed, moved, f, t)? {
        let fen = r.fen.unwrap_or(0);
        s.all += fen;
        match r.size_class.as_deref() {
            Some("small" | "micro") => s.small_micro += fen,
            None => s.unknown += fen,
            Some(_) => {}
        }
    }
    Ok(s)
}

fn rewards(c: &mut DbConn, moved: Moved, period: Period) -> Result<Split, ReportError> {
    let (f, t) = period.instants();
    let mut s = Split::default();
    for (reward, sm) in stats::rewards_moved(c, moved, f, t)? {
        s.all += reward;
        match sm {
            Some(x) => s.small_micro += x,
            None => s.unknown += reward,
        }
    }
    Ok(s)
}

pub fn subsidies(c: &mut DbConn, period: Period) -> Result<Section, ReportError> {
    let third = Decimal::ONE / Decimal::from(3);
    let mut figures = Vec::new();
    let mut table = Table::new(
        "by_kind",
        &["kind", "moved"],
        &["small_micro", "all", "class_unknown", "small_micro_share"],
    );
    for (moved, word) in [(Moved::Approved, "approved"), (Moved::Paid, "paid")] {
        let fee = lines(c, Claimed::Fees, moved, period)?;
        let interest = lines(c, Claimed::Interest, moved, period)?;
        let reward = rewards(c, moved, period)?;
        for (kind, s) in [
            ("fee_subsidy", fee),
            ("interest_subsidy", interest),
            ("agency_reward", reward),
        ] {
            table.push(
                vec![kind.into(), word.into()],
                vec![
                    Some(yuan(s.small_micro)),
                    Some(yuan(s.all)),
                    Some(yuan(s.unknown)),
                    crate::domain::statistics::divide(s.small_micro.into(), s.all.into(), 4),
                ],
                vec![],
            );
        }
        let sm = fee.small_micro + interest.small_micro + reward.small_micro;
        let all = fee.all + interest.all + reward.all;
        figures.push(Figure::amount(
            &format!("{word}_all"),
            Unit::Yuan,
            yuan(all),
            ART17,
        ));
        figures.push(Figure::amount(
            &format!("{word}_small_micro"),
            Unit::Yuan,
            yuan(sm),
            ART17,
        ));
        figures.push(
            Figure::ratio(&format!("{word}_small_micro_share"), Unit::Share, yuan(sm), yuan(all), 4, ART17).target(
                "≥ 1/3",
                |v| v < third,
                |v| format!("{} of the subsidies {word} went to small and micro firms, under one third (Art 17)", percent(v)),
            ),
        );
    }
    Ok(Section::new(
        "subsidies",
        period.from,
        period.to,
        figures,
        vec![table],
    ))
}

/// The support policies published (Art 63 (2)): each with its kind, budget and when it was published.
pub fn policies(c: &mut DbConn, period: Period) -> Result<Section, ReportError> {
    let rows = crate::store::guarantees::list_policies(c)?;
    let mut t = Table::new(
        "policies",
        &["policy", "policy_id", "kind", "published_on"],
        &["budget"],
    );
    let mut count = 0i64;
    for p in &rows {
        let spec = crate::financing::claims::spec_of(p)?;
        let published = (p.created_at + chrono::Duration::hours(8)).date();
        if published >= period.to {
            continue;
        }
        count += 1;
        t.push(
            vec![
                p.name.clone(),
                p.id.clone(),
                spec.formula.kind().to_string(),
                published.to_string(),
            ],
            vec![spec.budget.map(|b| b.to_decimal())],
            vec![],
        );
    }
    let figures = vec![Figure::amount(
        "policies",
        Unit::Count,
        count.into(),
        "Art 63 (2): support policies published by the period's end",
    )];
    Ok(Section::new(
        "policies",
        period.from,
        period.to,
        figures,
        vec![t],
    ))
}

/// Use of funds (Art 63 (3)): per policy, approved and paid in the period, against its budget.
pub fn funds(c: &mut DbConn, period: Period) -> Result<Section, ReportError> {
    let (f, t) = period.instants();
    let approved: HashMap<String, i64> = stats::funds_by_policy(c, Moved::Approved, f, t)?
        .into_iter()
        .map(|r| (r.key, r.n))
        .collect();
    let paid: HashMap<String, i64> = stats::funds_by_policy(c, Moved::Paid, f, t)?
        .into_iter()
        .map(|r| (r.key, r.n))
        .collect();
    let mut table = Table::new(
        "per_policy",
        &["policy", "policy_id"],
        &["budget", "approved", "paid", "budget_used"],
    );
    let (mut total_a, mut total_p) = (0i64, 0i64);
    for p in crate::store::guarantees::list_policies(c)? {
        let spec = crate::financing::claims::spec_of(&p)?;
        let (a, pd) = (
            approved.get(&p.id).copied().unwrap_or(0),
            paid.get(&p.id).copied().unwrap_or(0),
        );
        if a == 0 && pd == 0 && (p.created_at + chrono::Duration::hours(8)).date() >= period.to {
            continue;
        }
        total_a += a;
        total_p += pd;
        let budget = spec.budget.map(|b| b.to_decimal());
        let mut flags = Vec::new();
        if let Some(b) = spec.budget.filter(|b| a > b.fen()) {
            flags.push(format!(
                "{} approved under policy {} is above its budget {}",
                yuan(a),
                p.name,
                b
            ));
        }
        table.push(
            vec![p.name.clone(), p.id.clone()],
            vec![
                budget,
                Some(yuan(a)),
                Some(yuan(pd)),
                budget.and_then(|b| crate::domain::statistics::divide(yuan(a), b, 4)),
            ],
            flags,
        );
    }
    let figures = vec![
        Figure::amount(
            "approved",
            Unit::Yuan,
            yuan(total_a),
            "Art 63 (3): funds approved in the period",
        ),
        Figure::amount(
            "paid",
            Unit::Yuan,
            yuan(total_p),
            "Art 63 (3): funds paid in the period",
        ),
    ];
    Ok(Section::new(
        "funds",
        period.from,
        period.to,
        figures,
        vec![table],
    ))
}
