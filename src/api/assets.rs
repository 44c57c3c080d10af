//! What financing can be backed by (Art 27, 54): receivables a debtor confirms or disputes (with the
//! confirmation latency tracked per debtor), patents and trademarks with their appraisals and pledges,
//! firms' designations (专精特新, 高新技术), and loans lenders report from outside the hub.

use super::auth::{BankKey, FirmKey, Principal};
use super::error::{ApiError, ApiResult, FieldError, JsonLine};
use super::extract::parse_uscc;
use super::extract::{cursor_position, page, page_limit, Json, Query};
use super::{AppState, Items, Page};
use crate::domain::role::Role;
use crate::service::assets::{
    self, BalanceReport, DesignationItem, DesignationsView, IpRequest, IpView, LoanReport, LoanView,
};
use crate::service::guarantees::GuaranteeView;
use crate::service::receivables::{self, Answer, Latency, NewReceivable, ReceivableView, Side};
use actix_web::{get, post, put, web, HttpResponse};
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceivableRequest {
    /// The buyer that owes it: a government buyer or a large firm, by USCC.
    pub debtor_uscc: String,
    pub invoice_no: String,
    /// Yuan, a decimal string.
    pub amount: String,
    /// YYYY-MM-DD, not in the past.
    pub due_on: String,
}

/// A firm registers a receivable it is owed; the debtor then confirms or disputes it.
#[utoipa::path(tag = "receivables", security(("bearer" = [])), responses(
    (status = 201, description = "the receivable, pending the debtor's confirmation", body = ReceivableView),
    (status = 409, body = super::error::Problem, content_type = "application/problem+json"),
    (status = 422, body = super::error::Problem, content_type = "application/problem+json")))]
#[post("/v1/receivables")]
pub async fn create_receivable(
    state: web::Data<AppState>,
    firm: FirmKey,
    body: Json<ReceivableRequest>,
) -> ApiResult<HttpResponse> {
    let r = body.0;
    let new = NewReceivable::parse(&r.debtor_uscc, &r.invoice_no, &r.amount, &r.due_on)
        .map_err(crate::service::ServiceError::Invalid)?;
    let row = receivables::register(state.ctx(), &firm.uscc, new).await?;
    Ok(HttpResponse::Created().json_line(ReceivableView::of(&row)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceivableList {
    /// `creditor` (what the firm is owed, the default) or `debtor` (what it owes).
    pub side: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// A firm's receivables (`side=creditor`) or those it owes (`side=debtor`); the government sees all.
#[utoipa::path(tag = "receivables", security(("bearer" = [])), params(("side" = Option<String>, Query),
    ("limit" = Option<i64>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, description = "newest first", body = Page<ReceivableView>)))]
#[get("/v1/receivables")]
pub async fn list_receivables(
    state: web::Data<AppState>,
    who: Principal,
    q: Query<ReceivableList>,
) -> ApiResult<HttpResponse> {
    let q = q.0;
    let mut errors = Vec::new();
    let limit = page_limit(q.limit)
        .map_err(|e| errors.push(e))
        .unwrap_or(50);
    let before = cursor_position("receivables", q.cursor.as_deref(), &mut errors);
    let side = match q.side.as_deref() {
        None | Some("creditor") => Side::Creditor,
        Some("debtor") => Side::Debtor,
        Some(s) => {
            errors.push(FieldError::new(
                "side",
                "side.unknown",
                format!("'{s}' is not a side; use creditor or debtor"),
            ));
            Side::Creditor
        }
    };
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    let rows = receivables::list(state.ctx(), &who.actor, side, before, limit).await?;
    let (rows, next_cursor) = page(rows, limit, "receivables", |r| &r.id);
    let items = rows.iter().map(ReceivableView::of).collect();
    Ok(HttpResponse::Ok().json_line(Page { items, next_cursor }))
}

#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// Why the debtor disputes it (required for a dispute).
    pub reason: Option<String>,
}

/// The debtor confirms it owes the receivable: from now on it can be financed (Art 27).
#[utoipa::path(tag = "receivables", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "confirmed", body = ReceivableView)))]
#[post("/v1/receivables/{id}/confirm")]
pub async fn confirm_receivable(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let row = receivables::answer(state.ctx(), &who.actor, &id, Answer::Confirm).await?;
    Ok(HttpResponse::Ok().json_line(ReceivableView::of(&row)))
}

/// The creditor or the debtor records a payment (Art 54: the late-payment statistics read what was
/// still owed at the due date and when it was settled).
#[utoipa::path(tag = "receivables", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 201, description = "the receivable's payments", body = receivables::PaymentsView),
        (status = 404, body = super::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = super::error::Problem, content_type = "application/problem+json")))]
#[post("/v1/receivables/{id}/payments")]
pub async fn pay_receivable(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
    body: Json<receivables::PaymentInput>,
) -> ApiResult<HttpResponse> {
    let view = receivables::pay(state.ctx(), &who.actor, &id, body.0).await?;
    Ok(HttpResponse::Created().json_line(view))
}

/// The debtor disputes the receivable, with a reason; it cannot be financed.
#[utoipa::path(tag = "receivables", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "disputed", body = ReceivableView)))]
#[post("/v1/receivables/{id}/dispute")]
pub async fn dispute_receivable(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
    body: Json<Decision>,
) -> ApiResult<HttpResponse> {
    let reason = body
        .0
        .reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    let Some(reason) = reason else {
        return Err(ApiError::field("reason", "required", "a dispute says why"));
    };
    let row = receivables::answer(state.ctx(), &who.actor, &id, Answer::Dispute { reason }).await?;
    Ok(HttpResponse::Ok().json_line(ReceivableView::of(&row)))
}

/// How quickly a debtor answers (Art 54): receivables decided, still pending, mean hours to answer.
#[utoipa::path(tag = "receivables", security(("bearer" = [])), params(("uscc" = String, Path)),
    responses((status = 200, description = "latency", body = Latency)))]
#[get("/v1/debtors/{uscc}/confirmation-latency")]
pub async fn debtor_latency(
    state: web::Data<AppState>,
    who: Principal,
    uscc: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let uscc = parse_uscc("uscc", &uscc)?;
    Ok(HttpResponse::Ok().json_line(receivables::latency(state.ctx(), &who.actor, &uscc).await?))
}

/// A firm registers a patent or trademark it owns, with its appraisal.
#[utoipa::path(tag = "receivables", security(("bearer" = [])), responses(
    (status = 201, description = "the asset", body = IpView),
    (status = 409, body = super::error::Problem, content_type = "application/problem+json")))]
#[post("/v1/ip-assets")]
pub async fn create_ip_asset(
    state: web::Data<AppState>,
    firm: FirmKey,
    body: Json<IpRequest>,
) -> ApiResult<HttpResponse> {
    let view = assets::register_ip(state.ctx(), &firm.uscc, body.0).await?;
    Ok(HttpResponse::Created().json_line(view))
}

/// A firm's patents and trademarks (the government sees all).
#[utoipa::path(tag = "receivables", security(("bearer" = [])), responses((status = 200, description = "assets", body = Items<IpView>)))]
#[get("/v1/ip-assets")]
pub async fn list_ip_assets(state: web::Data<AppState>, who: Principal) -> ApiResult<HttpResponse> {
    who.require(&[Role::Firm, Role::Government, Role::Admin])?;
    let items = assets::list_ip(state.ctx(), &who.actor).await?;
    Ok(HttpResponse::Ok().json_line(Items { items }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DesignationsRequest {
    pub items: Vec<DesignationItem>,
}

/// The government sets a firm's designations (replacing the previous list).
#[utoipa::path(tag = "receivables", security(("bearer" = [])), params(("uscc" = String, Path)),
    responses((status = 200, description = "the designations in force", body = DesignationsView)))]
#[put("/v1/firms/{uscc}/designations")]
pub async fn set_designations(
    state: web::Data<AppState>,
    who: Principal,
    uscc: web::Path<String>,
    body: Json<DesignationsRequest>,
) -> ApiResult<HttpResponse> {
    let uscc = parse_uscc("uscc", &uscc)?;
    let view = assets::set_designations(state.ctx(), &who.actor, &uscc, &body.0.items).await?;
    Ok(HttpResponse::Ok().json_line(view))
}

/// A bank reports a loan it made outside the hub (the first-loan and renewal rules read them).
#[utoipa::path(tag = "receivables", security(("bearer" = [])), responses((status = 201, description = "the loan", body = LoanView)))]
#[post("/v1/loans")]
pub async fn report_loan(
    state: web::Data<AppState>,
    bank: BankKey,
    body: Json<LoanReport>,
) -> ApiResult<HttpResponse> {
    let view = assets::report_loan(state.ctx(), &bank.bank, body.0).await?;
    Ok(HttpResponse::Created().json_line(view))
}

/// A bank reports a loan's outstanding principal at a date (at every period end, at least: the
/// lending statistics read balances at period ends); nothing outstanding closes it as repaid.
#[utoipa::path(tag = "receivables", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "the loan", body = LoanView),
        (status = 404, body = super::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = super::error::Problem, content_type = "application/problem+json")))]
#[post("/v1/loans/{id}/balances")]
pub async fn report_balance(
    state: web::Data<AppState>,
    bank: BankKey,
    id: web::Path<String>,
    body: Json<BalanceReport>,
) -> ApiResult<HttpResponse> {
    let view = assets::report_balance(state.ctx(), &bank.bank, &id, body.0).await?;
    Ok(HttpResponse::Ok().json_line(view))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LoanList {
    /// One firm's loans.
    pub firm_uscc: Option<String>,
    /// `outstanding`, `repaid` or `defaulted`.
    pub status: Option<String>,
    /// The government side: one lender's (an institution id).
    pub lender: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The loans the hub knows of (through applications, or reported by banks): a bank its own, the
/// government side every lender's; filters by firm, status and (government) lender; paginated.
#[utoipa::path(tag = "receivables", security(("bearer" = [])), params(LoanList),
    responses((status = 200, description = "by id", body = Page<LoanView>),
        (status = 403, body = super::error::Problem), (status = 422, body = super::error::Problem)))]
#[get("/v1/loans")]
pub async fn list_loans(
    state: web::Data<AppState>,
    who: Principal,
    q: Query<LoanList>,
) -> ApiResult<HttpResponse> {
    let q = q.0;
    let mut errors = Vec::new();
    let limit = page_limit(q.limit)
        .map_err(|e| errors.push(e))
        .unwrap_or(50);
    let after = cursor_position("loans", q.cursor.as_deref(), &mut errors);
    let firm = q.firm_uscc.as_deref().and_then(|u| {
        crate::domain::Uscc::parse(u)
            .map_err(|e| errors.push(FieldError::new("firm_uscc", e.rule(), e.to_string())))
            .ok()
    });
    let status = q.status.as_deref().and_then(|s| {
        crate::domain::states::LoanStatus::parse(s)
            .map_err(|e| {
                errors.push(FieldError::new(
                    "status",
                    "status.unknown",
                    format!("{e}; use outstanding, repaid or defaulted"),
                ))
            })
            .ok()
    });
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    let filter = assets::LoanFilter {
        firm,
        status,
        lender: q.lender,
    };
    let (items, more) = assets::loans(state.ctx(), &who.actor, filter, after, limit).await?;
    let next_cursor = more
        .then(|| {
            items
                .last()
                .map(|l| super::extract::encode_cursor("loans", &l.id))
        })
        .flatten();
    Ok(HttpResponse::Ok().json_line(Page { items, next_cursor }))
}

/// The firm's loans (through the hub, or reported by its banks), the nearest maturity first: the firm
/// itself and the government side.
#[utoipa::path(tag = "receivables", security(("bearer" = [])), params(("uscc" = String, Path)), responses((status = 200, description = "the loans", body = Items<LoanView>)))]
#[get("/v1/firms/{uscc}/loans")]
pub async fn firm_loans(
    state: web::Data<AppState>,
    who: Principal,
    uscc: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let uscc = parse_uscc("uscc", &uscc)?;
    let items = assets::firm_loans(state.ctx(), &who.actor, &uscc).await?;
    Ok(HttpResponse::Ok().json_line(Items { items }))
}

/// The guarantee contracts agencies registered for the firm, the newest first: the firm itself and the
/// government side.
#[utoipa::path(tag = "guarantees", security(("bearer" = [])), params(("uscc" = String, Path)), responses((status = 200, description = "the contracts", body = Items<GuaranteeView>)))]
#[get("/v1/firms/{uscc}/guarantees")]
pub async fn firm_guarantees(
    state: web::Data<AppState>,
    who: Principal,
    uscc: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let uscc = parse_uscc("uscc", &uscc)?;
    let items = assets::firm_guarantees(state.ctx(), &who.actor, &uscc).await?;
    Ok(HttpResponse::Ok().json_line(Items { items }))
}
