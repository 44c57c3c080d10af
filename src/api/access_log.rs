//! Reading the access log: a firm its own (like the query records of a credit report), an institution
//! the queries it made, the government side all. There is no route that changes it.

use super::auth::Principal;
use super::error::{ApiError, ApiResult, JsonLine};
use super::extract::parse_uscc;
use super::extract::{cursor_position, page_limit, Query};
use super::AppState;
use crate::domain::role::Role;
use crate::store::access_log::{self as store, AccessRow, Filter};
use actix_web::{get, web, HttpResponse};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccessView {
    pub id: String,
    pub at: String,
    /// Role of the key, and its institution (none for firm and admin keys).
    pub role: String,
    pub institution_id: Option<String>,
    pub key_id: String,
    pub firm_uscc: String,
    pub purpose: Option<String>,
    pub consent_id: Option<String>,
    /// What was returned: `all`, or the consent's scope.
    pub scope: Option<String>,
    pub route: String,
    /// `ok`, `denied` or `not_found`.
    pub result: String,
    pub reason: Option<String>,
    pub request_id: Option<String>,
}

impl From<AccessRow> for AccessView {
    fn from(r: AccessRow) -> Self {
        AccessView {
            id: r.id,
            at: r
                .at
                .and_utc()
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            role: r.role,
            institution_id: r.institution_id,
            key_id: r.key_id,
            firm_uscc: r.firm_uscc,
            purpose: r.purpose,
            consent_id: r.consent_id,
            scope: r.scope,
            route: r.route,
            result: r.result,
            reason: r.reason,
            request_id: r.request_id,
        }
    }
}

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

async fn page(
    state: &AppState,
    mut f: Filter,
    limit: Option<i64>,
    cursor: Option<&str>,
) -> ApiResult<HttpResponse> {
    let mut errors = Vec::new();
    let limit = page_limit(limit).map_err(|e| errors.push(e)).unwrap_or(0);
    f.before = cursor_position("access", cursor, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    let rows = state
        .db
        .run_log(move |c| store::list(c, &f, limit + 1))
        .await?;
    let (rows, next_cursor) = super::extract::page(rows, limit, "access", |r| &r.id);
    Ok(HttpResponse::Ok().json_line(AccessPage {
        items: rows.into_iter().map(AccessView::from).collect(),
        next_cursor,
    }))
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
    match who.role() {
        Role::Bank | Role::Guarantor => {
            return Err(ApiError::Forbidden(
                "a firm's access log is for the firm and the government side; an institution reads its own queries at GET /v1/access-log".into(),
            ))
        }
        _ => who.require_firm_access(uscc.as_str())?,
    }
    let f = Filter {
        firm: Some(uscc.to_string()),
        ..Default::default()
    };
    page(&state, f, q.0.limit, q.0.cursor.as_deref()).await
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
    who.require(&[Role::Government, Role::Admin, Role::Bank, Role::Guarantor])?;
    let mut f = Filter::default();
    match who.role() {
        Role::Bank | Role::Guarantor => {
            f.institution = who.institution_id();
            if let Some(u) = &q.0.firm_uscc {
                f.firm = Some(parse_uscc("firm_uscc", u)?.to_string());
            }
        }
        _ => {
            f.institution = q.0.institution_id.clone();
            if let Some(u) = &q.0.firm_uscc {
                f.firm = Some(parse_uscc("firm_uscc", u)?.to_string());
            }
        }
    }
    page(&state, f, q.0.limit, q.0.cursor.as_deref()).await
}
