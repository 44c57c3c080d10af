//! Support policies (Art 28): the government publishes fee-subsidy and agency-reward policies; every
//! party reads them (agencies claim under them).

use super::access::Actor;
use super::{Context, ServiceError, Violation};
use crate::domain::subsidy::{Contract, Formula, PolicySpec};
use crate::domain::Money;
use crate::financing::claims::spec_of;
use crate::store::guarantees::{self as store, PolicyRow};
use crate::store::StoreError;
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("{} input(s) break a rule", .0.len())]
    Invalid(Vec<Violation>),
    #[error("a {0} key cannot publish subsidy policies; the government does")]
    Forbidden(crate::domain::role::Role),
    #[error("no subsidy policy {0}")]
    NotFound(String),
    #[error(transparent)]
    Catalogue(#[from] crate::financing::CatalogueError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<PolicyError> for ServiceError {
    fn from(e: PolicyError) -> Self {
        match e {
            PolicyError::Invalid(v) => ServiceError::Invalid(v),
            PolicyError::Forbidden(_) => ServiceError::Forbidden(e.to_string()),
            PolicyError::NotFound(_) => ServiceError::NotFound(e.to_string()),
            PolicyError::Catalogue(c) => c.into(),
            PolicyError::Store(s) => ServiceError::Store(s),
        }
    }
}

/// A published policy: its id, when it was published, and its terms as they were sent.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PolicyView {
    pub id: String,
    /// RFC 3339.
    pub created_at: String,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub spec: PolicySpec,
}

impl PolicyView {
    fn of(row: &PolicyRow) -> Result<Self, StoreError> {
        Ok(PolicyView {
            id: row.id.clone(),
            created_at: crate::domain::rfc3339(row.created_at),
            spec: spec_of(row)?,
        })
    }
}

/// Publish `spec`. `faults`: what reading the input already found (its eligibility rules, say); every
/// fault, those and the spec's own, is answered at once and nothing is stored.
#[tracing::instrument(skip_all, fields(name = %spec.name))]
pub async fn publish(
    ctx: &Context,
    actor: &Actor,
    spec: PolicySpec,
    mut faults: Vec<Violation>,
) -> Result<PolicyView, PolicyError> {
    if !actor.is_government_side() {
        return Err(PolicyError::Forbidden(actor.role()));
    }
    faults.extend(
        spec.violations()
            .into_iter()
            .map(|(f, r, m)| Violation::new(f, r, m)),
    );
    if !faults.is_empty() {
        return Err(PolicyError::Invalid(faults));
    }
    let row = PolicyRow {
        id: uuid::Uuid::now_v7().to_string(),
        name: spec.name.trim().to_string(),
        spec: serde_json::to_string(&spec).map_err(|e| StoreError::Config(e.to_string()))?,
        created_at: ctx.clock.now(),
    };
    let view = PolicyView {
        id: row.id.clone(),
        created_at: crate::domain::rfc3339(row.created_at),
        spec,
    };
    ctx.db.run(move |c| store::insert_policy(c, &row)).await?;
    // Offers are priced with the live policies: every server reloads them on its next match.
    crate::financing::Catalogue::changed(&ctx.cache).await?;
    Ok(view)
}

/// Every policy, oldest first.
pub async fn list(ctx: &Context) -> Result<Vec<PolicyView>, PolicyError> {
    let rows = ctx.db.run(store::list_policies).await?;
    Ok(rows
        .iter()
        .map(PolicyView::of)
        .collect::<Result<_, StoreError>>()?)
}

/// One policy.
pub async fn get(ctx: &Context, id: &str) -> Result<PolicyView, PolicyError> {
    let key = id.to_string();
    let row = ctx
        .db
        .run(move |c| store::get_policy(c, &key))
        .await?
        .ok_or_else(|| PolicyError::NotFound(id.to_string()))?;
    Ok(PolicyView::of(&row)?)
}

/// Where a policy's money stands on a day (issue 20 §7): the budget, what is approved and not yet paid
/// (committed), what is paid, what remains, and a forecast of what the contracts it has paid on will
/// still claim until their subsidised days end.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BudgetView {
    pub policy_id: String,
    pub on: chrono::NaiveDate,
    #[schema(value_type = Option<String>)]
    pub budget: Option<Money>,
    #[schema(value_type = String)]
    pub committed: Money,
    #[schema(value_type = String)]
    pub paid: Money,
    /// budget − committed − paid; none without a budget.
    #[schema(value_type = Option<String>)]
    pub remaining: Option<Money>,
    /// Still to accrue on the contracts (or loans) approved so far, at today's terms.
    #[schema(value_type = String)]
    pub forecast: Money,
    /// remaining − forecast: what is left for new contracts if the forecast comes true.
    #[schema(value_type = Option<String>)]
    pub uncommitted_after_forecast: Option<Money>,
    /// Contracts the forecast reads (approved at least once and still accruing or not).
    pub contracts: usize,
}

/// The budget of policy `id` on `on`.
pub async fn budget(
    ctx: &Context,
    id: &str,
    on: chrono::NaiveDate,
) -> Result<BudgetView, PolicyError> {
    let key = id.to_string();
    ctx.db
        .run(move |c| {
            store::get_policy(c, &key)?
                .map(|row| budget_on(c, &row, on))
                .transpose()
        })
        .await?
        .ok_or_else(|| PolicyError::NotFound(id.to_string()))
}

/// The budget of every published policy on `on`, oldest first, read together (the policies page); a
/// policy whose budget cannot be read is logged and left out, the others still shown.
pub async fn budgets(ctx: &Context, on: chrono::NaiveDate) -> Result<Vec<BudgetView>, PolicyError> {
    Ok(ctx
        .db
        .run(move |c| {
            Ok::<_, StoreError>(
                store::list_policies(c)?
                    .iter()
                    .filter_map(|row| {
                        budget_on(c, row, on)
                            .map_err(
                                |e| tracing::warn!(policy = %row.id, error = %e, "budget not read"),
                            )
                            .ok()
                    })
                    .collect::<Vec<_>>(),
            )
        })
        .await?)
}

/// One policy's budget on `on`: what it has spent and what its contracts will still accrue.
fn budget_on(
    c: &mut crate::store::DbConn,
    row: &crate::store::guarantees::PolicyRow,
    on: chrono::NaiveDate,
) -> Result<BudgetView, StoreError> {
    let p = spec_of(row)?.policy(&row.id);
    let (committed, paid) = store::spent(c, &row.id)?;
    let accruing = accruing(c, &p)?;
    let forecast = if matches!(p.formula, Formula::AgencyReward { .. }) {
        Money::ZERO
    } else {
        crate::domain::subsidy::forecast(&p, &accruing)
    };
    let (committed, paid) = (Money::from_fen(committed), Money::from_fen(paid));
    let remaining = p
        .budget
        .map(|b| Money::from_fen(b.fen() - committed.fen() - paid.fen()));
    Ok(BudgetView {
        policy_id: p.id.clone(),
        on,
        budget: p.budget,
        committed,
        paid,
        remaining,
        forecast,
        uncommitted_after_forecast: remaining.map(|r| Money::from_fen(r.fen() - forecast.fen())),
        contracts: accruing.len(),
    })
}

/// Every contract (or loan) approved under the policy, with the end of its last approved period and
/// the amount approved on it so far.
fn accruing(
    c: &mut crate::store::DbConn,
    p: &crate::domain::subsidy::Policy,
) -> Result<Vec<(Contract, chrono::NaiveDate, Money)>, StoreError> {
    let mut last: HashMap<String, (chrono::NaiveDate, i64)> = HashMap::new();
    let ids = [p.id.clone()];
    let approved = store::approved_draws(
        c,
        store::Draws::Policies {
            ids: &ids,
            except: "",
        },
    )?;
    for (_, l) in approved {
        let Some(id) = l.guarantee_id else { continue };
        let e = last.entry(id).or_insert((l.to_on, 0));
        e.0 = e.0.max(l.to_on);
        e.1 += l.approved_fen;
    }
    let ids: Vec<String> = last.keys().cloned().collect();
    let contracts = if p.formula.on_loans() {
        let loans = crate::store::applications::loans_by_ids(c, &ids)?;
        crate::financing::claims::loan_contracts(c, &loans)?
    } else {
        let rows = store::by_ids(c, &ids)?;
        crate::financing::claims::contracts_of(c, &rows)?
    };
    let mut out: Vec<_> = contracts
        .into_iter()
        .filter_map(|(id, k)| {
            let (to, fen) = last.get(&id)?;
            Some((k, *to, Money::from_fen(*fen)))
        })
        .collect();
    out.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    Ok(out)
}
