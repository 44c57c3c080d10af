//! Guarantee agencies' figures (Art 28): the net assets they report, their metrics over a period
//! (leverage, compensation rate, small and micro share, average fee rate, subsidies) and their reward under
//! an agency-reward policy. The agency itself or the government side reads them.

use super::access::{may_see_agency, Actor};
use super::{date, positive_money, Context, ServiceError, Violation};
use crate::domain::agency::{self, Metrics};
use crate::domain::Money;
use crate::financing::claims;
use crate::store::guarantees as store;
use crate::store::StoreError;
use chrono::NaiveDate;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum AgencyError {
    #[error("{} input(s) break a rule", .0.len())]
    Invalid(Vec<Violation>),
    /// Another agency's figures (said as absent, so nothing leaks).
    #[error("no guarantee agency {0} for this key")]
    OtherAgency(String),
    #[error("a {0} key does not read agency figures")]
    Forbidden(crate::domain::role::Role),
    #[error("only the agency itself reports its net assets")]
    NotTheAgency,
    #[error("no subsidy policy {0}")]
    UnknownPolicy(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<AgencyError> for ServiceError {
    fn from(e: AgencyError) -> Self {
        match e {
            AgencyError::Invalid(v) => ServiceError::Invalid(v),
            AgencyError::OtherAgency(_) | AgencyError::UnknownPolicy(_) => {
                ServiceError::NotFound(e.to_string())
            }
            AgencyError::Forbidden(_) | AgencyError::NotTheAgency => {
                ServiceError::Forbidden(e.to_string())
            }
            AgencyError::Store(s) => ServiceError::Store(s),
        }
    }
}

/// `agency`'s figures are the agency's own and the government side's.
fn may_read(actor: &Actor, agency: &str) -> Result<(), AgencyError> {
    match actor {
        _ if may_see_agency(actor, agency) => Ok(()),
        Actor::Agency { .. } => Err(AgencyError::OtherAgency(agency.to_string())),
        other => Err(AgencyError::Forbidden(other.role())),
    }
}

/// A `[from, to)` period, every fault named.
pub fn period(from: &str, to: &str) -> Result<(NaiveDate, NaiveDate), Vec<Violation>> {
    match (date("from", "from", from), date("to", "to", to)) {
        (Ok(f), Ok(t)) if t > f => Ok((f, t)),
        (Ok(_), Ok(_)) => Err(vec![Violation::new(
            "to",
            "range.order",
            "to must be after from (the period is [from, to))",
        )]),
        (f, t) => Err(f.err().into_iter().chain(t.err()).collect()),
    }
}

/// Net assets on a balance-sheet date.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NetAssetsView {
    pub agency_id: String,
    pub as_of: NaiveDate,
    pub net_assets: Money,
}

/// The agency reports its net assets on `as_of` (leverage divides by the latest one).
#[tracing::instrument(skip(ctx, actor))]
pub async fn report_net_assets(
    ctx: &Context,
    actor: &Actor,
    agency: &str,
    as_of: &str,
    net_assets: &str,
) -> Result<NetAssetsView, AgencyError> {
    match actor {
        Actor::Agency { institution } if institution == agency => {}
        Actor::Agency { .. } => return Err(AgencyError::OtherAgency(agency.to_string())),
        _ => return Err(AgencyError::NotTheAgency),
    }
    let (as_of, amount) = match (
        date("as_of", "as_of", as_of),
        positive_money("net_assets", "net_assets", net_assets),
    ) {
        (Ok(d), Ok(m)) => (d, m),
        (d, m) => {
            return Err(AgencyError::Invalid(
                d.err().into_iter().chain(m.err()).collect(),
            ))
        }
    };
    let (a, now) = (agency.to_string(), ctx.clock.now());
    ctx.db
        .run(move |c| store::report_net_assets(c, &a, as_of, amount.fen(), now))
        .await?;
    Ok(NetAssetsView {
        agency_id: agency.to_string(),
        as_of,
        net_assets: amount,
    })
}

/// An agency's figures over a period, with the subsidies approved and paid to it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AgencyMetrics {
    #[serde(flatten)]
    pub metrics: Metrics,
    pub agency_id: String,
    pub subsidies_approved: Money,
    pub subsidies_paid: Money,
}

/// `agency`'s figures over `[from, to)` (Art 28): leverage at the end, compensation rate, small and micro
/// share, average fee rate, subsidies approved and paid, with flags (leverage < 5, compensation > 5%).
#[tracing::instrument(skip(ctx, actor))]
pub async fn metrics(
    ctx: &Context,
    actor: &Actor,
    agency: &str,
    from: &str,
    to: &str,
) -> Result<AgencyMetrics, AgencyError> {
    may_read(actor, agency)?;
    let (from, to) = period(from, to).map_err(AgencyError::Invalid)?;
    let a = agency.to_string();
    ctx.db.run_as(move |c| metrics_on(c, &a, from, to)).await
}

/// The start of the calendar day `d` in China Standard Time, as a UTC instant (DOMAIN §6).
pub fn utc_start(d: NaiveDate) -> chrono::NaiveDateTime {
    d.and_time(chrono::NaiveTime::MIN) - chrono::Duration::hours(8)
}

/// `agency`'s figures over `[from, to)`, read on `c` (the statistics read every agency's).
pub fn metrics_on(
    c: &mut crate::store::DbConn,
    agency: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<AgencyMetrics, AgencyError> {
    let last = to.pred_opt().unwrap_or(to);
    let gs = guarantees_of(c, agency)?;
    let net = store::net_assets_on(c, agency, last)?;
    let (approved, paid) = store::subsidies_between(c, agency, utc_start(from), utc_start(to))?;
    Ok(AgencyMetrics {
        metrics: agency::metrics(&gs, net.map(Money::from_fen), from, to),
        agency_id: agency.to_string(),
        subsidies_approved: Money::from_fen(approved),
        subsidies_paid: Money::from_fen(paid),
    })
}

/// An agency's contracts as monitoring reads them, each with the size class its borrower had for
/// public money when it started (verified figures first, issue 20 §8), as rewards and claims read it.
pub fn guarantees_of(
    c: &mut crate::store::DbConn,
    agency: &str,
) -> Result<Vec<agency::Guarantee>, AgencyError> {
    let rows = store::list(c, Some(agency), &Default::default(), None, i64::MAX)?;
    let starts: Vec<(String, NaiveDate)> = rows
        .iter()
        .map(|g| (g.firm_uscc.clone(), g.start_on))
        .collect();
    let (_, classes) = crate::financing::EligibleClasses::load(c, &starts)?;
    Ok(rows
        .iter()
        .map(|g| {
            let early = [g.released_on, g.called_on].into_iter().flatten().min();
            Ok(agency::Guarantee {
                guaranteed: Money::from_fen(g.guaranteed_fen),
                fee_rate: g.fee_rate()?.get(),
                start: g.start_on,
                active_end: early.map_or(g.end_on, |e| e.min(g.end_on)),
                called_on: g.called_on,
                compensation: g.compensation_fen.map(Money::from_fen),
                size_class: classes.on(&g.firm_uscc, g.start_on),
            })
        })
        .collect::<Result<_, StoreError>>()?)
}

/// A contract left out of a reward, and why.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Excluded {
    pub guarantee_id: String,
    /// The agency's own number for it.
    pub contract_no: String,
    pub reason: String,
}

/// An agency's reward under an agency-reward policy.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RewardView {
    pub policy_id: String,
    pub agency_id: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: i64,
    pub eligible_contracts: usize,
    /// Average daily balance of the eligible guarantees over the period.
    pub average_balance: Money,
    /// Rounded once, to the fen.
    pub reward: Money,
    /// The part earned on small and micro firms' guarantees (Art 17).
    pub small_micro: Money,
    /// Per tier, first fit wins, then the rest at the formula's rate (a tiered policy only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tiers: Vec<crate::domain::subsidy::TierReward>,
    pub excluded: Vec<Excluded>,
}

/// `agency`'s reward under the agency-reward policy `policy` over `[from, to)`: its eligible guarantees'
/// average balance and the reward on it, with the contracts left out and why.
#[tracing::instrument(skip(ctx, actor))]
pub async fn reward(
    ctx: &Context,
    actor: &Actor,
    policy: &str,
    agency: &str,
    from: &str,
    to: &str,
) -> Result<RewardView, AgencyError> {
    may_read(actor, agency)?;
    let (from, to) = period(from, to).map_err(AgencyError::Invalid)?;
    let (p, a) = (policy.to_string(), agency.to_string());
    ctx.db.run_as(move |c| reward_on(c, &p, &a, from, to)).await
}

/// The reward of `agency` under `policy` over `[from, to)`, read on `c` (in the caller's transaction
/// where there is one: a reward claimed or approved is computed where it is stored).
pub fn reward_on(
    c: &mut crate::store::DbConn,
    policy: &str,
    agency: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<RewardView, AgencyError> {
    let row = store::get_policy(c, policy)?
        .ok_or_else(|| AgencyError::UnknownPolicy(policy.to_string()))?;
    let rows = store::list(c, Some(agency), &Default::default(), None, i64::MAX)?;
    let numbers: std::collections::HashMap<&str, &str> = rows
        .iter()
        .map(|g| (g.id.as_str(), g.contract_no.as_str()))
        .collect();
    let mut contracts: Vec<_> = claims::contracts_of(c, &rows)?.into_values().collect();
    contracts.sort_by(|x, y| x.id.cmp(&y.id));
    let spec = claims::spec_of(&row)?;
    let reward = crate::domain::subsidy::agency_reward(&spec.policy(policy), &contracts, from, to)
        .ok_or_else(|| {
            AgencyError::Invalid(vec![Violation::new(
                "id",
                "policy.kind",
                format!(
                    "policy {policy} is a fee subsidy, claimed line by line, not an agency reward"
                ),
            )])
        })?;
    Ok(RewardView {
        policy_id: policy.to_string(),
        agency_id: agency.to_string(),
        from: reward.from,
        to: reward.to,
        days: reward.days,
        eligible_contracts: reward.eligible,
        average_balance: reward.average_balance,
        reward: reward.reward,
        small_micro: reward.small_micro,
        tiers: reward.tiers,
        excluded: reward
            .excluded
            .into_iter()
            .map(|(guarantee_id, reason)| Excluded {
                contract_no: numbers
                    .get(guarantee_id.as_str())
                    .map_or_else(String::new, |n| n.to_string()),
                guarantee_id,
                reason,
            })
            .collect(),
    })
}
