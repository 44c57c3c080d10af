//! Guarantee contracts (Art 28): an agency registers its ledger (all rows or none; every borrower must
//! be registered) and records a release (the loan repaid early) or a call (compensation paid).

use super::{Actor, Context, ServiceError, Violation};
use crate::domain::Money;
use crate::store::backend::write_transaction;
use crate::store::guarantees::{self as store, GuaranteeRow};
use crate::store::{firms, StoreError};
use chrono::NaiveDate;

#[derive(Debug, thiserror::Error)]
pub enum GuaranteeError {
    #[error("the contracts break {} rule(s)", .0.len())]
    Invalid(Vec<Violation>),
    #[error("no guarantee {0} of this agency")]
    NotFound(String),
    #[error("a contract_no in this request is already registered by this agency")]
    NumberTaken,
    #[error("guarantee {0} was already released or called")]
    AlreadyEnded(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for GuaranteeError {
    fn from(e: diesel::result::Error) -> Self {
        GuaranteeError::Store(e.into())
    }
}

impl From<GuaranteeError> for ServiceError {
    fn from(e: GuaranteeError) -> Self {
        match e {
            GuaranteeError::Invalid(v) => ServiceError::Invalid(v),
            GuaranteeError::NotFound(_) => ServiceError::NotFound(e.to_string()),
            GuaranteeError::NumberTaken | GuaranteeError::AlreadyEnded(_) => {
                ServiceError::Conflict(e.to_string())
            }
            GuaranteeError::Store(s) => ServiceError::Store(s),
        }
    }
}

/// Register an upload's contracts, or with `dry_run` only check them: every fault at once — those of the
/// file, borrowers the hub does not know and contract numbers already on file, each by its line — and
/// nothing stored unless every row is good. How many contracts are (or would be) registered.
pub async fn register_upload(
    ctx: &Context,
    agency: &str,
    upload: super::uploads::ContractUpload,
    dry_run: bool,
) -> Result<usize, GuaranteeError> {
    let agency = agency.to_string();
    ctx.db
        .run_as(move |c| {
            write_transaction(c, |c| {
                let super::uploads::ContractUpload {
                    rows,
                    mut faults,
                    keys,
                    ..
                } = upload;
                let place = super::uploads::place;
                // Every row whose borrower or number reads, good or not: these faults come with the rest.
                let mut usccs: Vec<&str> = keys.iter().filter_map(|(_, _, u)| u.as_deref()).collect();
                usccs.sort_unstable();
                usccs.dedup();
                let mut unknown = std::collections::HashSet::new();
                for u in usccs {
                    if !firms::exists(c, u)? {
                        unknown.insert(u.to_string());
                    }
                }
                let numbers: Vec<String> = keys.iter().filter_map(|(_, n, _)| n.clone()).collect();
                let on_file: std::collections::HashMap<String, chrono::NaiveDate> =
                    store::by_numbers(c, &agency, &numbers)?
                        .into_iter()
                        .map(|g| (g.contract_no, g.start_on))
                        .collect();
                for (line, no, firm) in &keys {
                    if let Some(u) = firm.as_ref().filter(|u| unknown.contains(*u)) {
                        faults.push(Violation::new(
                            format!("{}firm_uscc", place(*line)),
                            "firm.unknown",
                            format!("firm {u} is not registered"),
                        ));
                    }
                    if let Some((no, start)) = no.as_ref().and_then(|n| Some((n, on_file.get(n)?))) {
                        faults.push(Violation::new(
                            format!("{}contract_no", place(*line)),
                            "contract.on_file",
                            format!(
                                "contract_no {no} is already on file for this agency (starting {start})"
                            ),
                        ));
                    }
                }
                if !faults.is_empty() {
                    faults.sort_by_key(super::uploads::fault_line);
                    return Err(GuaranteeError::Invalid(faults));
                }
                if dry_run {
                    return Ok(rows.len());
                }
                let rows: Vec<GuaranteeRow> = rows.into_iter().map(|(_, g)| g).collect();
                debug_assert!(rows.iter().all(|g| g.agency_id == agency));
                store::insert(c, &rows).map_err(|e| match e {
                    StoreError::Conflict(_) => GuaranteeError::NumberTaken,
                    other => GuaranteeError::Store(other),
                })?;
                Ok(rows.len())
            })
        })
        .await
}

/// How a guarantee ends early.
#[derive(Debug, Clone, Copy)]
pub enum Ending {
    /// The loan was repaid early.
    Release,
    /// The agency paid this compensation.
    Call(Money),
}

/// Record that `agency`'s guarantee `id` ended early on `on` (after its start, not after its end).
#[tracing::instrument(skip(ctx), fields(guarantee = %id))]
pub async fn end_early(
    ctx: &Context,
    agency: &str,
    id: &str,
    on: NaiveDate,
    ending: Ending,
) -> Result<GuaranteeRow, GuaranteeError> {
    let (i, agency) = (id.to_string(), agency.to_string());
    let compensation = match ending {
        Ending::Release => None,
        Ending::Call(m) => Some(m.fen()),
    };
    ctx.db
        .run_as(move |c| {
            write_transaction(c, |c| {
                let g = store::get(c, &i)?
                    .filter(|g| g.agency_id == agency)
                    .ok_or_else(|| GuaranteeError::NotFound(i.clone()))?;
                if on <= g.start_on || on > g.end_on {
                    return Err(GuaranteeError::Invalid(vec![Violation::new(
                        "on",
                        "date.range",
                        format!("on must be after {} and not after {}", g.start_on, g.end_on),
                    )]));
                }
                if !store::end_early(c, &i, on, compensation)? {
                    return Err(GuaranteeError::AlreadyEnded(i.clone()));
                }
                store::get(c, &i)?.ok_or_else(|| GuaranteeError::NotFound(i.clone()))
            })
        })
        .await
}

/// A guarantee contract.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct GuaranteeView {
    pub id: String,
    pub agency_id: String,
    pub contract_no: String,
    pub firm_uscc: String,
    pub lender: String,
    pub loan_amount: Money,
    pub guaranteed: Money,
    /// Yearly, a decimal fraction.
    pub fee_rate: String,
    pub start_on: chrono::NaiveDate,
    pub end_on: chrono::NaiveDate,
    pub released_on: Option<chrono::NaiveDate>,
    pub called_on: Option<chrono::NaiveDate>,
    pub compensation: Option<Money>,
    pub application_id: Option<String>,
    pub first_loan: bool,
    pub created_at: String,
}

impl GuaranteeView {
    pub fn of(g: &GuaranteeRow) -> Self {
        GuaranteeView {
            id: g.id.clone(),
            agency_id: g.agency_id.clone(),
            contract_no: g.contract_no.clone(),
            firm_uscc: g.firm_uscc.clone(),
            lender: g.lender.clone(),
            loan_amount: Money::from_fen(g.loan_amount_fen),
            guaranteed: Money::from_fen(g.guaranteed_fen),
            fee_rate: g.fee_rate.clone(),
            start_on: g.start_on,
            end_on: g.end_on,
            released_on: g.released_on,
            called_on: g.called_on,
            compensation: g.compensation_fen.map(Money::from_fen),
            application_id: g.application_id.clone(),
            first_loan: g.first_loan,
            created_at: crate::domain::rfc3339(g.created_at),
        }
    }
}

/// How many contracts a batch registered.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Registered {
    pub created: usize,
}

/// Guarantee contracts by id, up to `limit` after `after`: an agency its own, the government side all.
pub async fn list(
    ctx: &Context,
    actor: &Actor,
    filter: store::ContractFilter,
    after: Option<String>,
    limit: i64,
) -> Result<(Vec<GuaranteeView>, bool), ServiceError> {
    let agency = match actor {
        Actor::Agency { institution } => Some(institution.to_string()),
        Actor::Government { .. } | Actor::Admin => None,
        _ => {
            return Err(ServiceError::Forbidden(
                "guarantee contracts are for their agency and the government side; a firm reads its own at GET /v1/firms/{uscc}/guarantees".into(),
            ))
        }
    };
    let rows = ctx
        .db
        .run(move |c| store::list(c, agency.as_deref(), &filter, after.as_deref(), limit + 1))
        .await?;
    let (rows, more) = super::split_page(rows, limit);
    Ok((rows.iter().map(GuaranteeView::of).collect(), more))
}
