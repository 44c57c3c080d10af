//! Applications over HTTP (Art 21, 27): extract, authorise, call `service::applications`, render.

use super::auth::{FirmKey, Principal};
use super::error::{ApiError, ApiResult, FieldError, JsonLine};
use super::extract::{cursor_position, page, page_limit, Json, Query};
use super::{AppState, Page};
use crate::domain::states::ApplicationStatus;
use crate::service::applications::{
    self as service, ApplicationInput, ApplicationView, DatedAmount, DecisionInput, Detailed,
    ListQuery,
};
use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;

fn detailed(d: &Detailed) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json_line(d.view()?))
}

/// Apply to a product. The firm must qualify now; the answer lists each failed rule otherwise.
#[utoipa::path(tag = "applications", security(("bearer" = [])), request_body = ApplicationInput, responses(
    (status = 201, description = "the application, with the consent it created", body = ApplicationView),
    (status = 422, body = super::error::Problem, content_type = "application/problem+json")))]
#[post("/v1/applications")]
pub async fn create_application(
    state: web::Data<AppState>,
    firm: FirmKey,
    body: Json<ApplicationInput>,
) -> ApiResult<HttpResponse> {
    let app = service::create(state.ctx(), &firm.uscc, &firm.who.key_id, body.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(("location", format!("/v1/applications/{}", app.id)))
        .json_line(ApplicationView::of(&app, None)?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    pub status: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// A firm's applications; an institution's inbox; the government sees all. Newest first.
#[utoipa::path(tag = "applications", security(("bearer" = [])), params(("status" = Option<String>, Query),
    ("limit" = Option<i64>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, description = "applications", body = Page<ApplicationView>)))]
#[get("/v1/applications")]
pub async fn list_applications(
    state: web::Data<AppState>,
    who: Principal,
    q: Query<ListParams>,
) -> ApiResult<HttpResponse> {
    let q = q.0;
    let mut errors = Vec::new();
    let limit = page_limit(q.limit)
        .map_err(|e| errors.push(e))
        .unwrap_or(50);
    let status = match q.status.as_deref().map(ApplicationStatus::parse) {
        None => None,
        Some(Ok(s)) => Some(s),
        Some(Err(e)) => {
            let all: Vec<&str> = ApplicationStatus::ALL.iter().map(|s| s.as_str()).collect();
            errors.push(FieldError::new(
                "status",
                "status.unknown",
                format!("{e}; use one of {}", all.join(", ")),
            ));
            None
        }
    };
    let before = cursor_position("applications", q.cursor.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    let q = ListQuery {
        status,
        before,
        limit,
    };
    let rows = service::list(state.ctx(), &who.actor, q).await?;
    let (rows, next_cursor) = page(rows, limit, "applications", |r| &r.id);
    let items = rows
        .iter()
        .map(|a| ApplicationView::of(a, None))
        .collect::<Result<_, _>>()?;
    Ok(HttpResponse::Ok().json_line(Page { items, next_cursor }))
}

#[utoipa::path(tag = "applications", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "the application with its events", body = ApplicationView)))]
#[get("/v1/applications/{id}")]
pub async fn get_application(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    detailed(&service::get(state.ctx(), &who.actor, &id).await?)
}

/// The institution approves (amount, rate, term) or declines (a code and a reason).
#[utoipa::path(tag = "applications", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = DecisionInput, responses((status = 200, description = "the decided application", body = ApplicationView)))]
#[post("/v1/applications/{id}/decision")]
pub async fn decide(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
    body: Json<DecisionInput>,
) -> ApiResult<HttpResponse> {
    let d = service::decide(state.ctx(), &who.actor, &who.key_id, &id, body.0).await?;
    detailed(&d)
}

/// The firm withdraws an application not yet disbursed.
#[utoipa::path(tag = "applications", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "withdrawn", body = ApplicationView)))]
#[post("/v1/applications/{id}/withdraw")]
pub async fn withdraw(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let d = service::withdraw(state.ctx(), &who.actor, &who.key_id, &id).await?;
    detailed(&d)
}

/// The institution records the disbursement: the loan starts, and the receivables it finances or the
/// assets pledged for it are marked so that they cannot back anything else (409 if one already does).
#[utoipa::path(tag = "applications", security(("bearer" = [])), params(("id" = String, Path)),
    request_body(content = Option<DatedAmount>), responses((status = 200, description = "disbursed", body = ApplicationView)))]
#[post("/v1/applications/{id}/disbursement")]
pub async fn disburse(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
    body: Option<Json<DatedAmount>>,
) -> ApiResult<HttpResponse> {
    let input = body.map(|b| b.0).unwrap_or_default();
    let d = service::disburse(state.ctx(), &who.actor, &who.key_id, &id, input).await?;
    detailed(&d)
}

/// The institution records a repayment; the loan is repaid when nothing is outstanding.
#[utoipa::path(tag = "applications", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = DatedAmount, responses((status = 200, description = "the application and its events", body = ApplicationView)))]
#[post("/v1/applications/{id}/repayments")]
pub async fn repay(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
    body: Json<DatedAmount>,
) -> ApiResult<HttpResponse> {
    let d = service::repay(state.ctx(), &who.actor, &who.key_id, &id, body.0).await?;
    detailed(&d)
}

/// The institution records a default on a disbursed loan.
#[utoipa::path(tag = "applications", security(("bearer" = [])), params(("id" = String, Path)),
    request_body(content = Option<DatedAmount>), responses((status = 200, description = "defaulted", body = ApplicationView)))]
#[post("/v1/applications/{id}/default")]
pub async fn default(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
    body: Option<Json<DatedAmount>>,
) -> ApiResult<HttpResponse> {
    let input = body.map(|b| b.0).unwrap_or_default();
    let d = service::default(state.ctx(), &who.actor, &who.key_id, &id, input).await?;
    detailed(&d)
}
