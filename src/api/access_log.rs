//! Reading the access log: a firm its own (like the query records of a credit report), an institution
//! the queries it made, the government side all. There is no route that changes it.

use super::auth::Principal;
use super::error::{ApiError, ApiResult, JsonLine};
use super::extract::parse_uscc;
use super::extract::{cursor_position, encode_cursor, page_limit, Query};
use super::AppState;
pub use crate::service::access_log::AccessView;
use crate::service::access_log::{self as service, Rows, Window};
use actix_web::{get, web, HttpResponse};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccessPage {
    pub items: Vec<AccessView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AccessParams {
    /// Government and admin: one institution's queries.
    pub institution_id: Option<String>,
    /// Government and admin: one firm's.
    pub firm_uscc: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// One page of the log as the API answers it: the window from `limit` and `cursor`, the next cursor.
fn window(limit: Option<i64>, cursor: Option<&str>) -> ApiResult<Window> {
    let mut errors = Vec::new();
    let limit = page_limit(limit).map_err(|e| errors.push(e)).unwrap_or(0);
    let before = cursor_position("access", cursor, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    Ok(Window { before, limit })
}

fn answer(rows: Rows) -> HttpResponse {
    let next_cursor = rows
        .more
        .then(|| rows.items.last().map(|r| encode_cursor("access", &r.id)))
        .flatten();
    HttpResponse::Ok().json_line(AccessPage {
        items: rows.items,
        next_cursor,
    })
}

/// Who accessed this firm's profile, newest first (the firm itself; the government side).
#[utoipa::path(tag = "access log", security(("bearer" = [])), params(("uscc" = String, Path), AccessParams), responses((status = 200, body = AccessPage)))]
#[get("/v1/firms/{uscc}/access-log")]
pub async fn firm_access_log(
    state: web::Data<AppState>,
    who: Principal,
    uscc: web::Path<String>,
    q: Query<AccessParams>,
) -> ApiResult<HttpResponse> {
    let uscc = parse_uscc("uscc", &uscc)?;
    let w = window(q.0.limit, q.0.cursor.as_deref())?;
    Ok(answer(
        service::of_firm(state.ctx(), &who.actor, &uscc, w).await?,
    ))
}

/// The access log: the government side sees all (filter by institution or firm); a bank or guarantee
/// agency sees only its own queries.
#[utoipa::path(tag = "access log", security(("bearer" = [])), params(AccessParams), responses((status = 200, body = AccessPage)))]
#[get("/v1/access-log")]
pub async fn access_log(
    state: web::Data<AppState>,
    who: Principal,
    q: Query<AccessParams>,
) -> ApiResult<HttpResponse> {
    let w = window(q.0.limit, q.0.cursor.as_deref())?;
    let (institution, firm) = (q.0.institution_id.as_deref(), q.0.firm_uscc.as_deref());
    Ok(answer(
        service::log(state.ctx(), &who.actor, institution, firm, w).await?,
    ))
}
