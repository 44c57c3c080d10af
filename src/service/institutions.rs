//! Institutions: who they are (anyone may list them, so a firm can find the bank it consents to) and, for
//! the administrator, their per-key rate limits and daily quota.

use super::access::Actor;
use super::{Context, Faults, ServiceError, Violation};
use crate::store::{institutions, keys, StoreError};
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum InstitutionError {
    #[error("{} input(s) break a rule", .0.len())]
    Invalid(Vec<Violation>),
    #[error("only the administrator sets an institution's limits")]
    Forbidden,
    #[error("no such institution")]
    NotFound,
    #[error(transparent)]
    Store(StoreError),
    #[error(transparent)]
    Cache(#[from] crate::cache::CacheError),
}

impl From<StoreError> for InstitutionError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => InstitutionError::NotFound,
            other => InstitutionError::Store(other),
        }
    }
}

impl From<InstitutionError> for ServiceError {
    fn from(e: InstitutionError) -> Self {
        match e {
            InstitutionError::Invalid(v) => ServiceError::Invalid(v),
            InstitutionError::Forbidden => ServiceError::Forbidden(e.to_string()),
            InstitutionError::NotFound => ServiceError::NotFound(e.to_string()),
            InstitutionError::Store(s) => ServiceError::Store(s),
            InstitutionError::Cache(c) => ServiceError::Cache(c),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InstitutionView {
    pub id: String,
    pub name: String,
    /// `bank`, `guarantor` or `government`.
    pub kind: String,
    /// Admin only: requests a second per key, bucket size, daily quota per key (null: the defaults).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limits: Option<Limits>,
}

/// Per-key limits; null for the defaults.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    pub rate_per_sec: Option<i32>,
    pub rate_burst: Option<i32>,
    pub daily_quota: Option<i32>,
}

fn view(i: institutions::Institution, admin: bool) -> InstitutionView {
    InstitutionView {
        limits: admin.then_some(Limits {
            rate_per_sec: i.rate_per_sec,
            rate_burst: i.rate_burst,
            daily_quota: i.daily_quota,
        }),
        id: i.id,
        name: i.name,
        kind: i.kind,
    }
}

/// Every institution (with its limits for the administrator).
pub async fn list(ctx: &Context, actor: &Actor) -> Result<Vec<InstitutionView>, InstitutionError> {
    let admin = *actor == Actor::Admin;
    let rows = ctx.db.run(institutions::list).await?;
    Ok(rows.into_iter().map(|i| view(i, admin)).collect())
}

/// Every institution's name by id: public (the catalogue names who publishes each product).
pub async fn public_names(
    ctx: &Context,
) -> Result<std::collections::HashMap<String, String>, InstitutionError> {
    let rows = ctx.db.run(institutions::list).await?;
    Ok(rows.into_iter().map(|i| (i.id, i.name)).collect())
}

/// Set an institution's per-key limits; its keys use them from their next request (their cached
/// principals, which carry the old limits, are evicted).
#[tracing::instrument(skip(ctx, actor))]
pub async fn set_limits(
    ctx: &Context,
    actor: &Actor,
    id: &str,
    l: Limits,
) -> Result<InstitutionView, InstitutionError> {
    if *actor != Actor::Admin {
        return Err(InstitutionError::Forbidden);
    }
    let mut f = Faults::default();
    for (field, v, max) in [
        ("rate_per_sec", l.rate_per_sec, 1_000_000),
        ("rate_burst", l.rate_burst, 1_000_000),
        ("daily_quota", l.daily_quota, i32::MAX),
    ] {
        if v.is_some_and(|v| v < 1 || v > max) {
            f.push(
                field,
                "range",
                format!("{field} must be 1 to {max}, or null for the default"),
            );
        }
    }
    f.done(Some(())).map_err(InstitutionError::Invalid)?;
    let id = id.to_string();
    let (inst, hashes) = ctx
        .db
        .run(move |c| {
            let inst =
                institutions::set_limits(c, &id, l.rate_per_sec, l.rate_burst, l.daily_quota)?;
            let hashes: Vec<String> = keys::list(c)?
                .into_iter()
                .filter(|(k, _)| k.institution_id.as_deref() == Some(inst.id.as_str()))
                .map(|(k, _)| k.key_hash)
                .collect();
            Ok::<_, StoreError>((inst, hashes))
        })
        .await?;
    for h in hashes {
        ctx.cache.delete(&crate::cache::keys::api_key(&h)).await?;
    }
    Ok(view(inst, true))
}
