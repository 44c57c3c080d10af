//! Agencies' rewards (Art 28, issue 17; the national guarantee fund measures, DOMAIN §8a): an agency
//! claims what an agency-reward policy computes for it over a period; the government approves the claim
//! (the reward is computed again on the contracts as they stand then, in the same transaction, and that
//! amount is what is approved) and records its payment. One agency's periods under one policy never
//! overlap. A claim is seen by its agency and the government side.

use super::access::{may_see_agency, Actor};
use super::agencies::{self, AgencyError, RewardView};
use super::{Context, ServiceError, Violation};
use crate::domain::states::{RewardStatus, TransitionError};
use crate::domain::Money;
use crate::store::backend::write_transaction;
use crate::store::rewards::{self as store, RewardClaimRow};
use crate::store::{DbConn, StoreError};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum RewardError {
    #[error(transparent)]
    Agency(#[from] AgencyError),
    #[error("no reward claim {0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("the period overlaps the claim {id} ({from} to {to}) under this policy")]
    Overlap {
        id: String,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    },
    #[error("reward claim {id}: {error}")]
    Transition { id: String, error: TransitionError },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for RewardError {
    fn from(e: diesel::result::Error) -> Self {
        RewardError::Store(e.into())
    }
}

impl From<RewardError> for ServiceError {
    fn from(e: RewardError) -> Self {
        match e {
            RewardError::Agency(a) => a.into(),
            RewardError::NotFound(_) => ServiceError::NotFound(e.to_string()),
            RewardError::Forbidden(m) => ServiceError::Forbidden(m.into()),
            RewardError::Overlap { .. } | RewardError::Transition { .. } => {
                ServiceError::Conflict(e.to_string())
            }
            RewardError::Store(s) => ServiceError::Store(s),
        }
    }
}

/// A reward claim as the API and the pages show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RewardClaimView {
    pub id: String,
    pub policy_id: String,
    pub agency_id: String,
    pub from: chrono::NaiveDate,
    /// Exclusive.
    pub to: chrono::NaiveDate,
    pub eligible_contracts: i32,
    pub average_balance: Money,
    /// As claimed; once approved, as computed at approval.
    pub reward: Money,
    /// `claimed`, `approved`, `paid`.
    pub status: RewardStatus,
    pub claimed_at: String,
    pub approved_at: Option<String>,
    pub paid_at: Option<String>,
}

impl RewardClaimView {
    pub fn of(r: &RewardClaimRow) -> Self {
        use crate::domain::rfc3339 as ts;
        RewardClaimView {
            id: r.id.clone(),
            policy_id: r.policy_id.clone(),
            agency_id: r.agency_id.clone(),
            from: r.from_on,
            to: r.to_on,
            eligible_contracts: r.eligible_contracts,
            average_balance: Money::from_fen(r.average_balance_fen),
            reward: Money::from_fen(r.reward_fen),
            status: r.status,
            claimed_at: ts(r.claimed_at),
            approved_at: r.approved_at.map(ts),
            paid_at: r.paid_at.map(ts),
        }
    }
}

fn set_figures(row: &mut RewardClaimRow, r: &RewardView) {
    row.eligible_contracts = r.eligible_contracts as i32;
    row.average_balance_fen = r.average_balance.fen();
    row.reward_fen = r.reward.fen();
    row.small_micro_fen = Some(r.small_micro.fen());
}

/// The agency is told where its claim stands.
fn moved(c: &mut DbConn, r: &RewardClaimRow, at: chrono::NaiveDateTime) -> Result<(), StoreError> {
    super::notifications::tell(
        c,
        &r.agency_id,
        super::notifications::Kind::RewardMoved,
        &r.id,
        &[
            ("status", r.status.as_str()),
            ("reward", &Money::from_fen(r.reward_fen).to_string()),
        ],
        at,
    )
}

/// The agency claims its reward under `policy` over `[from, to)`: computed and stored in one
/// transaction, refused when the period overlaps an earlier claim of its under the same policy.
#[tracing::instrument(skip(ctx, actor))]
pub async fn claim(
    ctx: &Context,
    actor: &Actor,
    policy: &str,
    from: &str,
    to: &str,
) -> Result<RewardClaimView, RewardError> {
    let Actor::Agency { institution } = actor else {
        return Err(RewardError::Forbidden(
            "a reward is claimed by the agency it is computed for",
        ));
    };
    let (from, to) = agencies::period(from, to).map_err(AgencyError::Invalid)?;
    let (p, a, at) = (policy.to_string(), institution.to_string(), ctx.clock.now());
    let row = ctx
        .db
        .run_as(move |c| {
            write_transaction(c, |c| -> Result<RewardClaimRow, RewardError> {
                if let Some(o) = store::overlapping(c, &p, &a, from, to)?.into_iter().next() {
                    return Err(RewardError::Overlap {
                        id: o.id,
                        from: o.from_on,
                        to: o.to_on,
                    });
                }
                let r = agencies::reward_on(c, &p, &a, from, to)?;
                if r.reward == Money::ZERO {
                    return Err(AgencyError::Invalid(vec![Violation::new(
                        "from",
                        "reward.none",
                        format!(
                            "no guarantee of this agency qualifies under the policy from {from} to {to}: there is nothing to claim"
                        ),
                    )])
                    .into());
                }
                let mut row = RewardClaimRow {
                    id: uuid::Uuid::now_v7().to_string(),
                    policy_id: p.clone(),
                    agency_id: a.clone(),
                    from_on: from,
                    to_on: to,
                    eligible_contracts: 0,
                    average_balance_fen: 0,
                    reward_fen: 0,
                    status: RewardStatus::Claimed,
                    claimed_at: at,
                    approved_at: None,
                    paid_at: None,
                    small_micro_fen: None,
                };
                set_figures(&mut row, &r);
                store::insert(c, &row)?;
                moved(c, &row, at)?;
                Ok(row)
            })
        })
        .await?;
    Ok(RewardClaimView::of(&row))
}

/// Reward claims, newest first: an agency its own, the government side all.
pub async fn list(ctx: &Context, actor: &Actor) -> Result<Vec<RewardClaimView>, RewardError> {
    let agency = match actor {
        Actor::Agency { institution } => Some(institution.to_string()),
        a if a.is_government_side() => None,
        _ => {
            return Err(RewardError::Forbidden(
                "reward claims are seen by their agency and the government",
            ))
        }
    };
    let rows = ctx
        .db
        .run(move |c| store::list(c, agency.as_deref(), 500))
        .await?;
    Ok(rows.iter().map(RewardClaimView::of).collect())
}

/// The government approves a claim (the reward computed again now, and that approved) or records its
/// payment.
async fn step(
    ctx: &Context,
    actor: &Actor,
    id: &str,
    mv: fn(RewardStatus) -> Result<RewardStatus, TransitionError>,
) -> Result<RewardClaimView, RewardError> {
    if !actor.is_government_side() {
        return Err(RewardError::Forbidden(
            "the government approves rewards and records their payment",
        ));
    }
    let (id, at) = (id.to_string(), ctx.clock.now());
    let row = ctx
        .db
        .run_as(move |c| {
            write_transaction(c, |c| -> Result<RewardClaimRow, RewardError> {
                let mut r = store::get(c, &id)?.ok_or_else(|| RewardError::NotFound(id.clone()))?;
                r.status = mv(r.status).map_err(|error| RewardError::Transition {
                    id: id.clone(),
                    error,
                })?;
                match r.status {
                    RewardStatus::Approved => {
                        let now =
                            agencies::reward_on(c, &r.policy_id, &r.agency_id, r.from_on, r.to_on)?;
                        set_figures(&mut r, &now);
                        r.approved_at = Some(at);
                    }
                    RewardStatus::Paid => r.paid_at = Some(at),
                    RewardStatus::Claimed => {}
                }
                store::save(c, &r)?;
                moved(c, &r, at)?;
                Ok(r)
            })
        })
        .await?;
    Ok(RewardClaimView::of(&row))
}

#[tracing::instrument(skip(ctx, actor))]
pub async fn approve(
    ctx: &Context,
    actor: &Actor,
    id: &str,
) -> Result<RewardClaimView, RewardError> {
    step(ctx, actor, id, RewardStatus::approve).await
}

#[tracing::instrument(skip(ctx, actor))]
pub async fn pay(ctx: &Context, actor: &Actor, id: &str) -> Result<RewardClaimView, RewardError> {
    step(ctx, actor, id, RewardStatus::pay).await
}

/// One claim, to its agency and the government side (another agency's reads as absent).
pub async fn get(ctx: &Context, actor: &Actor, id: &str) -> Result<RewardClaimView, RewardError> {
    let i = id.to_string();
    let row = ctx.db.run(move |c| store::get(c, &i)).await?;
    row.filter(|r| may_see_agency(actor, &r.agency_id))
        .map(|r| RewardClaimView::of(&r))
        .ok_or_else(|| RewardError::NotFound(id.to_string()))
}
