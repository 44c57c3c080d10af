//! API keys over HTTP (admin): list them, revoke one. Revoking here also evicts the serving process's
//! cache, so the key fails on its very next request with either cache.

use super::auth::Principal;
use super::error::{ApiResult, JsonLine};
use super::AppState;
use crate::domain::role::Role;
use crate::store::keys;
use actix_web::{delete, get, web, HttpResponse};
use serde::Serialize;

#[derive(Serialize, utoipa::ToSchema)]
pub struct KeyView {
    pub id: String,
    /// The first characters of the key, to recognise it; the secret itself is never stored.
    pub prefix: String,
    pub role: String,
    pub institution: Option<String>,
    pub firm: Option<String>,
    pub label: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

fn view(k: keys::ApiKeyRow, institution: Option<String>) -> KeyView {
    KeyView {
        id: k.id,
        prefix: k.prefix,
        role: k.role,
        institution,
        firm: k.firm_uscc,
        label: k.label,
        created_at: k.created_at.and_utc().to_rfc3339(),
        revoked_at: k.revoked_at.map(|t| t.and_utc().to_rfc3339()),
    }
}

/// Every key, newest first (admin).
#[utoipa::path(tag = "keys", security(("bearer" = [])), responses((status = 200, body = [KeyView])))]
#[get("/v1/keys")]
pub async fn list_keys(state: web::Data<AppState>, who: Principal) -> ApiResult<HttpResponse> {
    who.require(&[Role::Admin])?;
    let rows = crate::service::keys::list(state.ctx(), &who.actor).await?;
    Ok(HttpResponse::Ok().json_line(
        rows.into_iter()
            .map(|(k, i)| view(k, i))
            .collect::<Vec<_>>(),
    ))
}

/// Revoke a key by id or prefix (admin); it fails from the next request on.
#[utoipa::path(tag = "keys", security(("bearer" = [])), params(("id" = String, Path)), responses(
    (status = 200, body = KeyView),
    (status = 409, description = "the caller's own key, or the last active admin key", body = super::error::Problem, content_type = "application/problem+json"),
    (status = 404, body = super::error::Problem, content_type = "application/problem+json")))]
#[delete("/v1/keys/{id}")]
pub async fn revoke_key(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    who.require(&[Role::Admin])?;
    let row = crate::service::keys::revoke(state.ctx(), Some(&who.key_id), &id).await?;
    Ok(HttpResponse::Ok().json_line(view(row, None)))
}
