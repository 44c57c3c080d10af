//! Institutions: who they are (any key may list them, so a firm can find the bank it consents to) and, for
//! the administrator, their per-key rate limits and daily quota.

use super::auth::Principal;
use super::error::{ApiError, ApiResult, FieldError, JsonLine};
use super::extract::Json;
use super::AppState;
use crate::domain::role::Role;
use crate::store::{institutions, keys, StoreError};
use actix_web::{get, put, web, HttpResponse};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InstitutionView {
    pub id: String,
    pub name: String,
    /// `bank`, `guarantor` or `government`.
    pub kind: String,
    /// Admin only: requests a second per key, bucket size, daily quota per key (null: the defaults).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limits: Option<LimitsView>,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitsView {
    pub rate_per_sec: Option<i32>,
    pub rate_burst: Option<i32>,
    pub daily_quota: Option<i32>,
}

fn view(i: institutions::Institution, admin: bool) -> InstitutionView {
    InstitutionView {
        limits: admin.then_some(LimitsView {
            rate_per_sec: i.rate_per_sec,
            rate_burst: i.rate_burst,
            daily_quota: i.daily_quota,
        }),
        id: i.id,
        name: i.name,
        kind: i.kind,
    }
}

/// Banks, guarantee agencies and government bodies on the hub.
#[utoipa::path(tag = "institutions", security(("bearer" = [])), responses((status = 200, body = [InstitutionView])))]
#[get("/v1/institutions")]
pub async fn list_institutions(
    state: web::Data<AppState>,
    who: Principal,
) -> ApiResult<HttpResponse> {
    let admin = who.role() == Role::Admin;
    let rows = state.db.run(institutions::list).await?;
    Ok(HttpResponse::Ok().json_line(rows.into_iter().map(|i| view(i, admin)).collect::<Vec<_>>()))
}

/// Set an institution's per-key limits (admin). Its keys use them from their next request.
#[utoipa::path(tag = "institutions", security(("bearer" = [])), params(("id" = String, Path)), request_body = LimitsView, responses((status = 200, body = InstitutionView)))]
#[put("/v1/institutions/{id}/limits")]
pub async fn set_limits(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
    body: Json<LimitsView>,
) -> ApiResult<HttpResponse> {
    who.require(&[Role::Admin])?;
    let l = body.0;
    let mut errors = Vec::new();
    for (field, v, max) in [
        ("rate_per_sec", l.rate_per_sec, 1_000_000),
        ("rate_burst", l.rate_burst, 1_000_000),
        ("daily_quota", l.daily_quota, i32::MAX),
    ] {
        if v.is_some_and(|v| v < 1 || v > max) {
            errors.push(FieldError::new(
                field,
                "range",
                format!("{field} must be 1 to {max}, or null for the default"),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    let id = id.into_inner();
    let (inst, hashes) = state
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
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::NotFound("no such institution".into()),
            other => other.into(),
        })?;
    // Cached keys carry the old limits: forget them.
    for h in hashes {
        state.cache.delete(&crate::cache::keys::api_key(&h)).await?;
    }
    Ok(HttpResponse::Ok().json_line(view(inst, true)))
}
