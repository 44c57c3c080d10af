//! Applications over HTTP (Art 21, 27): extract, authorise, call `service::applications`, render.

use super::auth::{FirmKey, Principal};
use super::error::{ApiError, ApiResult, FieldError, JsonLine};
use super::extract::{cursor_position, page, page_limit, rfc3339 as ts, Json, Query};
use super::AppState;
use crate::domain::states::ApplicationStatus;
use crate::domain::Money;
use crate::service::applications::{
    self as service, ApplicationInput, DatedAmount, DecisionInput, Detailed, ListQuery,
};
use crate::store::applications::{ApplicationRow, EventRow};
use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

fn view(a: &ApplicationRow, events: Option<&[EventRow]>) -> Value {
    let mut v = json!({
        "id": a.id,
        "firm_uscc": a.firm_uscc,
        "product_id": a.product_id,
        "institution_id": a.institution_id,
        "amount": Money::from_fen(a.amount_fen),
        "term_months": a.term_months,
        "status": a.status,
        "consent_id": a.consent_id,
        "first_loan": a.first_loan,
        "credit_loan": a.credit_loan,
        "collateral": a.collateral_ids(),
        "quoted_cost": serde_json::from_str::<Value>(&a.quoted_cost).unwrap_or(Value::Null),
        "approved_amount": a.approved_amount_fen.map(Money::from_fen),
        "approved_rate": a.approved_rate,
        "approved_term_months": a.approved_term_months,
        "decline_code": a.decline_code,
        "decline_reason": a.decline_reason,
        "loan_id": a.loan_id,
        "created_at": ts(a.created_at),
        "updated_at": ts(a.updated_at),
    });
    if let (Some(evs), Some(o)) = (events, v.as_object_mut()) {
        o.insert(
            "events".into(),
            evs.iter()
                .map(|e| {
                    json!({
                        "kind": e.kind,
                        "amount": e.amount_fen.map(Money::from_fen),
                        "on": e.on_date,
                        "detail": e.detail,
                        "at": ts(e.at),
                    })
                })
                .collect(),
        );
    }
    v
}

fn detailed(d: &Detailed) -> HttpResponse {
    HttpResponse::Ok().json_line(view(&d.application, Some(&d.events)))
}

/// Apply to a product. The firm must qualify now; the answer lists each failed rule otherwise.
#[utoipa::path(tag = "applications", security(("bearer" = [])), request_body = ApplicationInput, responses(
    (status = 201, description = "the application, with the consent it created"),
    (status = 422, body = super::error::Problem, content_type = "application/problem+json")))]
#[post("/v1/applications")]
pub async fn create_application(
    state: web::Data<AppState>,
    firm: FirmKey,
    body: Json<ApplicationInput>,
) -> ApiResult<HttpResponse> {
    let app = service::create(&state.ctx(), &firm.uscc, &firm.who.key_id, body.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(("location", format!("/v1/applications/{}", app.id)))
        .json_line(view(&app, None)))
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
    responses((status = 200, description = "applications")))]
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
    let rows = service::list(&state.ctx(), &who.actor, q).await?;
    let (rows, next_cursor) = page(rows, limit, "applications", |r| &r.id);
    Ok(HttpResponse::Ok().json_line(json!({
        "items": rows.iter().map(|a| view(a, None)).collect::<Vec<_>>(),
        "next_cursor": next_cursor,
    })))
}

#[utoipa::path(tag = "applications", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "the application with its events")))]
#[get("/v1/applications/{id}")]
pub async fn get_application(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(detailed(
        &service::get(&state.ctx(), &who.actor, &id).await?,
    ))
}

/// The institution approves (amount, rate, term) or declines (a code and a reason).
#[utoipa::path(tag = "applications", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = DecisionInput, responses((status = 200, description = "the decided application")))]
#[post("/v1/applications/{id}/decision")]
pub async fn decide(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
    body: Json<DecisionInput>,
) -> ApiResult<HttpResponse> {
    let d = service::decide(&state.ctx(), &who.actor, &who.key_id, &id, body.0).await?;
    Ok(detailed(&d))
}

/// The firm withdraws an application not yet disbursed.
#[utoipa::path(tag = "applications", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "withdrawn")))]
#[post("/v1/applications/{id}/withdraw")]
pub async fn withdraw(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let d = service::withdraw(&state.ctx(), &who.actor, &who.key_id, &id).await?;
    Ok(detailed(&d))
}

/// The institution records the disbursement: the loan starts, and the receivables it finances or the
/// assets pledged for it are marked so that they cannot back anything else (409 if one already does).
#[utoipa::path(tag = "applications", security(("bearer" = [])), params(("id" = String, Path)),
    request_body(content = Option<DatedAmount>), responses((status = 200, description = "disbursed")))]
#[post("/v1/applications/{id}/disbursement")]
pub async fn disburse(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
    body: Option<Json<DatedAmount>>,
) -> ApiResult<HttpResponse> {
    let input = body.map(|b| b.0).unwrap_or_default();
    let d = service::disburse(&state.ctx(), &who.actor, &who.key_id, &id, input).await?;
    Ok(detailed(&d))
}

/// The institution records a repayment; the loan is repaid when nothing is outstanding.
#[utoipa::path(tag = "applications", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = DatedAmount, responses((status = 200, description = "the application and its events")))]
#[post("/v1/applications/{id}/repayments")]
pub async fn repay(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
    body: Json<DatedAmount>,
) -> ApiResult<HttpResponse> {
    let d = service::repay(&state.ctx(), &who.actor, &who.key_id, &id, body.0).await?;
    Ok(detailed(&d))
}

/// The institution records a default on a disbursed loan.
#[utoipa::path(tag = "applications", security(("bearer" = [])), params(("id" = String, Path)),
    request_body(content = Option<DatedAmount>), responses((status = 200, description = "defaulted")))]
#[post("/v1/applications/{id}/default")]
pub async fn default(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
    body: Option<Json<DatedAmount>>,
) -> ApiResult<HttpResponse> {
    let input = body.map(|b| b.0).unwrap_or_default();
    let d = service::default(&state.ctx(), &who.actor, &who.key_id, &id, input).await?;
    Ok(detailed(&d))
}
