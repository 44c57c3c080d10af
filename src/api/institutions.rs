//! Institutions over HTTP: any key lists them; the administrator sets their per-key limits.

use super::auth::Principal;
use super::error::{ApiResult, JsonLine};
use super::extract::Json;
use super::AppState;
use crate::service::institutions::{self, InstitutionView, Limits};
use actix_web::{get, put, web, HttpResponse};

/// Banks, guarantee agencies and government bodies on the hub.
#[utoipa::path(tag = "institutions", security(("bearer" = [])), responses((status = 200, body = [InstitutionView])))]
#[get("/v1/institutions")]
pub async fn list_institutions(
    state: web::Data<AppState>,
    who: Principal,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json_line(institutions::list(state.ctx(), &who.actor).await?))
}

/// Set an institution's per-key limits (admin). Its keys use them from their next request.
#[utoipa::path(tag = "institutions", security(("bearer" = [])), params(("id" = String, Path)), request_body = Limits, responses((status = 200, body = InstitutionView)))]
#[put("/v1/institutions/{id}/limits")]
pub async fn set_limits(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
    body: Json<Limits>,
) -> ApiResult<HttpResponse> {
    let view = institutions::set_limits(state.ctx(), &who.actor, &id, body.0).await?;
    Ok(HttpResponse::Ok().json_line(view))
}
