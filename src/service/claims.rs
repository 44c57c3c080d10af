//! Fee-subsidy claims (Art 28): an agency submits a batch of lines under a policy (idempotent by key), it
//! is reconciled line by line at once; the government approves it (reconciling again against everything
//! approved meanwhile, so caps, budget and duplicates hold) and records that it was paid. A batch is seen
//! by its agency and the government side only.

use super::access::{may_see_claim, Actor, Claimant};
use super::{Context, ServiceError, Violation};
use crate::domain::states::{BatchStatus, TransitionError};
use crate::domain::subsidy::Formula;
use crate::domain::Money;
use crate::financing::claims::{self, Submitted};
use crate::store::backend::write_transaction;
use crate::store::guarantees::{self as store, BatchRow, LineRow};
use crate::store::{DbConn, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    #[error("the batch breaks {} rule(s)", .0.len())]
    Invalid(Vec<Violation>),
    /// Absent, or another agency's.
    #[error("no claim batch {0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error(
        "Idempotency-Key {key} was used for another batch ({batch}); use a new key for a new batch"
    )]
    KeyReused { key: String, batch: String },
    #[error("claim batch {id}: {error}")]
    Transition { id: String, error: TransitionError },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for ClaimError {
    fn from(e: diesel::result::Error) -> Self {
        ClaimError::Store(e.into())
    }
}

impl From<ClaimError> for ServiceError {
    fn from(e: ClaimError) -> Self {
        match e {
            ClaimError::Invalid(v) => ServiceError::Invalid(v),
            ClaimError::NotFound(_) => ServiceError::NotFound(e.to_string()),
            ClaimError::Forbidden(m) => ServiceError::Forbidden(m.into()),
            ClaimError::KeyReused { .. } | ClaimError::Transition { .. } => {
                ServiceError::Conflict(e.to_string())
            }
            ClaimError::Store(s) => ServiceError::Store(s),
        }
    }
}

/// A batch as read from the agency's file.
#[derive(Debug, Clone)]
pub struct NewBatch {
    pub policy_id: String,
    pub lines: Vec<Submitted>,
    /// The agency's key for this submission: the same key and body again are the same batch.
    pub idempotency_key: Option<String>,
    /// A hash of the body as sent (what "the same body" means).
    pub body_hash: String,
}

/// The batch, and whether this call created it (`false`: the same batch, submitted before).
#[derive(Debug, Clone)]
pub struct Filed {
    pub batch: BatchRow,
    pub created: bool,
}

fn policy_violation(rule: &'static str, message: String) -> ClaimError {
    ClaimError::Invalid(vec![Violation::new("policy_id", rule, message)])
}

/// Submit and reconcile a batch of `agency`'s.
#[tracing::instrument(skip(ctx, batch), fields(claimant = ?claimant, policy = %batch.policy_id, lines = batch.lines.len()))]
pub async fn submit(
    ctx: &Context,
    claimant: &Claimant,
    batch: NewBatch,
) -> Result<Filed, ClaimError> {
    let agency = claimant.institution().as_str();
    if let Some(same) = same_key(ctx, agency, &batch).await? {
        return Ok(same);
    }
    lines_in(&batch)?;
    let at = ctx.clock.now();
    let (a, b) = (claimant.clone(), batch.clone());
    let stored = ctx
        .db
        .run_as(move |c| write_transaction(c, |c| file(c, &a, &b, at)))
        .await;
    match stored {
        Ok(batch) => Ok(Filed {
            batch,
            created: true,
        }),
        // The same key raced in from another request: answer with that batch.
        Err(ClaimError::Store(StoreError::Conflict(_))) if batch.idempotency_key.is_some() => {
            same_key(ctx, agency, &batch).await?.ok_or_else(|| {
                ClaimError::Store(StoreError::Conflict("the batch could not be stored".into()))
            })
        }
        Err(e) => Err(e),
    }
}

/// The batch an earlier submission with this key stored, if the body is the same (a conflict if not).
async fn same_key(
    ctx: &Context,
    agency: &str,
    batch: &NewBatch,
) -> Result<Option<Filed>, ClaimError> {
    let Some(key) = batch.idempotency_key.clone() else {
        return Ok(None);
    };
    let a = agency.to_string();
    let k = key.clone();
    let Some(b) = ctx.db.run(move |c| store::batch_by_key(c, &a, &k)).await? else {
        return Ok(None);
    };
    if b.body_hash != batch.body_hash {
        return Err(ClaimError::KeyReused { key, batch: b.id });
    }
    Ok(Some(Filed {
        batch: b,
        created: false,
    }))
}

/// A batch without lines is refused (submitted or previewed).
fn lines_in(batch: &NewBatch) -> Result<(), ClaimError> {
    if batch.lines.is_empty() {
        return Err(ClaimError::Invalid(vec![Violation::new(
            "lines",
            "batch.empty",
            "the batch has no lines",
        )]));
    }
    Ok(())
}

/// Reconcile a batch as if it were submitted now, storing nothing (a dry run): the batch with its
/// totals and every line, as the report would show them. An empty batch is refused as on submission.
pub async fn preview(
    ctx: &Context,
    claimant: &Claimant,
    batch: NewBatch,
) -> Result<(BatchRow, Vec<LineRow>), ClaimError> {
    lines_in(&batch)?;
    let at = ctx.clock.now();
    let a = claimant.clone();
    ctx.db.run_as(move |c| reckon(c, &a, &batch, at)).await
}

/// Reconcile and store the batch, in the caller's transaction.
fn file(
    c: &mut DbConn,
    agency: &Claimant,
    batch: &NewBatch,
    at: chrono::NaiveDateTime,
) -> Result<BatchRow, ClaimError> {
    let (row, rows) = reckon(c, agency, batch, at)?;
    store::insert_batch(c, &row)?;
    store::set_lines(c, &row.id, &rows)?;
    moved(c, &row)?;
    Ok(row)
}

/// The agency is told where its batch stands (reconciled, approved, paid), with the totals.
fn moved(c: &mut DbConn, b: &BatchRow) -> Result<(), StoreError> {
    let at = b
        .withdrawn_at
        .or(b.paid_at)
        .or(b.approved_at)
        .unwrap_or(b.reconciled_at);
    super::notifications::tell(
        c,
        &b.agency_id,
        super::notifications::Kind::BatchMoved,
        &b.id,
        &[
            ("status", b.status.as_str()),
            ("lines", &b.lines.to_string()),
            ("approved", &Money::from_fen(b.approved_fen).to_string()),
        ],
        at,
    )
}

/// The batch reconciled against the policy and everything approved before it: its row with the totals
/// and its lines, not stored.
fn reckon(
    c: &mut DbConn,
    claimant: &Claimant,
    batch: &NewBatch,
    at: chrono::NaiveDateTime,
) -> Result<(BatchRow, Vec<LineRow>), ClaimError> {
    let pid = &batch.policy_id;
    let Some(policy) = store::get_policy(c, pid)? else {
        return Err(policy_violation(
            "policy.unknown",
            format!("no subsidy policy {pid}"),
        ));
    };
    let formula = claims::spec_of(&policy)?.formula;
    if matches!(formula, Formula::AgencyReward { .. }) {
        return Err(policy_violation(
            "policy.kind",
            format!("policy {pid} is an agency reward: it is computed (GET /v1/subsidy-policies/{pid}/rewards/{{agency}}), not claimed"),
        ));
    }
    // Interest subsidies are claimed by the lending bank on its loans, fee subsidies by the agency on
    // its guarantee contracts.
    match (claimant, formula.on_loans()) {
        (Claimant::Agency(_), true) => {
            return Err(policy_violation(
                "policy.claimant",
                format!("policy {pid} is an interest subsidy: the lending bank claims it on its loans"),
            ))
        }
        (Claimant::Bank(_), false) => {
            return Err(policy_violation(
                "policy.claimant",
                format!("policy {pid} subsidises guarantee fees: the guarantee agency claims it on its contracts"),
            ))
        }
        _ => {}
    }
    let agency = claimant.institution().as_str();
    let id = uuid::Uuid::now_v7().to_string();
    let (rows, totals) = claims::reconcile(c, &policy, agency, &id, &batch.lines)?;
    let mut row = BatchRow {
        id: id.clone(),
        agency_id: agency.to_string(),
        policy_id: pid.clone(),
        idempotency_key: batch.idempotency_key.clone(),
        body_hash: batch.body_hash.clone(),
        status: BatchStatus::Reconciled,
        lines: rows.len() as i32,
        claimed_fen: 0,
        computed_fen: 0,
        approved_fen: 0,
        difference_fen: 0,
        submitted_at: at,
        reconciled_at: at,
        approved_at: None,
        paid_at: None,
        withdrawn_at: None,
    };
    row.set_totals(&totals);
    Ok((row, rows))
}

/// A batch with its lines, to its agency and the government side.
pub async fn get(
    ctx: &Context,
    actor: &Actor,
    id: &str,
) -> Result<(BatchRow, Vec<LineRow>), ClaimError> {
    if actor.claimant().is_none() && !actor.is_government_side() {
        return Err(ClaimError::Forbidden(
            "claim batches are seen by their claimant and the government",
        ));
    }
    let i = id.to_string();
    let (b, lines) = ctx
        .db
        .run(move |c| Ok((store::get_batch(c, &i)?, store::lines(c, &i)?)))
        .await?;
    let b = b
        .filter(|b| may_see_claim(actor, &b.agency_id))
        .ok_or_else(|| ClaimError::NotFound(id.to_string()))?;
    Ok((b, lines))
}

/// An agency's batches (the government side: all), newest first.
pub async fn list(ctx: &Context, actor: &Actor) -> Result<Vec<BatchRow>, ClaimError> {
    let agency = match actor.claimant() {
        Some(c) => Some(c.institution().clone()),
        None if actor.is_government_side() => None,
        None => {
            return Err(ClaimError::Forbidden(
                "claim batches are seen by their claimant and the government",
            ))
        }
    };
    Ok(ctx
        .db
        .run(move |c| store::list_batches(c, agency.as_deref(), 500))
        .await?)
}

/// Who may make a move on a batch.
#[derive(Debug, Clone, Copy)]
enum Mover {
    /// Approval and payment.
    Government,
    /// Withdrawal: the batch's own agency.
    OwnAgency,
}

/// Move a batch one step in its transaction: load, check who moves it and the move, apply `f`, save.
async fn step<F>(
    ctx: &Context,
    actor: &Actor,
    id: &str,
    who: Mover,
    mv: fn(BatchStatus) -> Result<BatchStatus, TransitionError>,
    f: F,
) -> Result<BatchRow, ClaimError>
where
    F: FnOnce(&mut DbConn, &mut BatchRow) -> Result<(), ClaimError> + Send + 'static,
{
    let own = match (who, actor) {
        (Mover::Government, a) if a.is_government_side() => None,
        (Mover::Government, _) => {
            return Err(ClaimError::Forbidden(
                "the government approves claim batches and records their payment",
            ))
        }
        (Mover::OwnAgency, a) if a.claimant().is_some() => {
            a.claimant().map(|c| c.institution().to_string())
        }
        (Mover::OwnAgency, _) => {
            return Err(ClaimError::Forbidden(
                "a claim batch is withdrawn by the agency or bank that submitted it",
            ))
        }
    };
    let id = id.to_string();
    ctx.db
        .run_as(move |c| {
            write_transaction(c, |c| {
                let mut b = store::get_batch(c, &id)?
                    // Another agency's batch reads as absent.
                    .filter(|b| own.as_ref().is_none_or(|a| *a == b.agency_id))
                    .ok_or_else(|| ClaimError::NotFound(id.clone()))?;
                b.status = mv(b.status).map_err(|error| ClaimError::Transition {
                    id: id.clone(),
                    error,
                })?;
                f(c, &mut b)?;
                store::save_batch(c, &b)?;
                moved(c, &b)?;
                Ok(b)
            })
        })
        .await
}

/// The agency withdraws a batch the government has not approved yet (issue 17): it keeps its lines and
/// report, is never approved, and its lines never count against caps or as duplicates.
#[tracing::instrument(skip(ctx), fields(batch = %id))]
pub async fn withdraw(ctx: &Context, actor: &Actor, id: &str) -> Result<BatchRow, ClaimError> {
    let at = ctx.clock.now();
    step(
        ctx,
        actor,
        id,
        Mover::OwnAgency,
        BatchStatus::withdraw,
        move |_, b| {
            b.withdrawn_at = Some(at);
            Ok(())
        },
    )
    .await
}

/// The government approves a reconciled batch: reconciled again against everything approved meanwhile,
/// its approved lines then count for later claims.
#[tracing::instrument(skip(ctx), fields(batch = %id))]
pub async fn approve(ctx: &Context, actor: &Actor, id: &str) -> Result<BatchRow, ClaimError> {
    let at = ctx.clock.now();
    step(
        ctx,
        actor,
        id,
        Mover::Government,
        BatchStatus::approve,
        move |c, b| {
            let policy = store::get_policy(c, &b.policy_id)?.ok_or(StoreError::NotFound)?;
            let submitted: Vec<Submitted> = store::lines(c, &b.id)?
                .into_iter()
                .map(|l| Submitted {
                    line_no: l.line_no as usize,
                    contract_no: l.contract_no,
                    from: l.from_on,
                    to: l.to_on,
                    claimed: Money::from_fen(l.claimed_fen),
                })
                .collect();
            let (rows, totals) = claims::reconcile(c, &policy, &b.agency_id, &b.id, &submitted)?;
            b.set_totals(&totals);
            b.reconciled_at = at;
            b.approved_at = Some(at);
            Ok(store::set_lines(c, &b.id, &rows)?)
        },
    )
    .await
}

/// The government records that an approved batch was paid.
#[tracing::instrument(skip(ctx), fields(batch = %id))]
pub async fn pay(ctx: &Context, actor: &Actor, id: &str) -> Result<BatchRow, ClaimError> {
    let at = ctx.clock.now();
    step(
        ctx,
        actor,
        id,
        Mover::Government,
        BatchStatus::pay,
        move |_, b| {
            b.paid_at = Some(at);
            Ok(())
        },
    )
    .await
}
