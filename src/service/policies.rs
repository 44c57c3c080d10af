//! Support policies (Art 28): the government publishes fee-subsidy and agency-reward policies; every
//! party reads them (agencies claim under them).

use super::access::Actor;
use super::{Context, ServiceError, Violation};
use crate::domain::subsidy::PolicySpec;
use crate::financing::claims::spec_of;
use crate::store::guarantees::{self as store, PolicyRow};
use crate::store::StoreError;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("{} input(s) break a rule", .0.len())]
    Invalid(Vec<Violation>),
    #[error("a {0} key cannot publish subsidy policies; the government does")]
    Forbidden(crate::domain::role::Role),
    #[error("no subsidy policy {0}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<PolicyError> for ServiceError {
    fn from(e: PolicyError) -> Self {
        match e {
            PolicyError::Invalid(v) => ServiceError::Invalid(v),
            PolicyError::Forbidden(_) => ServiceError::Forbidden(e.to_string()),
            PolicyError::NotFound(_) => ServiceError::NotFound(e.to_string()),
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
