//! What financing can be backed by (Art 27, 54): receivables a debtor confirms or disputes (with the
//! confirmation latency tracked per debtor), patents and trademarks with their appraisals and pledges,
//! firms' designations (专精特新, 高新技术), and loans lenders report from outside the hub.

use super::auth::{BankKey, FirmKey, Principal};
use super::error::{ApiError, ApiResult, FieldError, JsonLine};
use super::extract::parse_uscc;
use super::extract::{
    cursor_position, date_value, page, page_limit, positive_money, rfc3339 as ts, Json, Query,
};
use super::AppState;
use crate::domain::matching::Designation;
use crate::domain::role::Role;
use crate::domain::Money;
use crate::service::assets::{self, NewIp, ReportedLoan};
use crate::service::receivables::{self, Answer, NewReceivable, Side};
use crate::store::applications::{self as apps, LoanRow};
use crate::store::firms;
use crate::store::receivables::{self as store, IpAssetRow, ReceivableRow};
use actix_web::{get, post, put, web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

async fn firm_exists(state: &AppState, uscc: &str) -> ApiResult<()> {
    let u = uscc.to_string();
    match state.db.run(move |c| firms::exists(c, &u)).await? {
        true => Ok(()),
        false => Err(ApiError::NotFound(format!("no firm {uscc} is registered"))),
    }
}

fn receivable_view(r: &ReceivableRow) -> Value {
    json!({
        "id": r.id,
        "creditor_uscc": r.creditor_uscc,
        "debtor_uscc": r.debtor_uscc,
        "invoice_no": r.invoice_no,
        "amount": Money::from_fen(r.amount_fen),
        "due_on": r.due_on,
        "status": r.status,
        "dispute_reason": r.dispute_reason,
        "registered_at": ts(r.registered_at),
        "decided_at": r.decided_at.map(ts),
        "confirmation_hours": r.decided_at.map(|d| ((d - r.registered_at).num_seconds() as f64 / 36.0).round() / 100.0),
        "financed_application_id": r.financed_application_id,
        "financed_at": r.financed_at.map(ts),
    })
}

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
    (status = 201, description = "the receivable, pending the debtor's confirmation"),
    (status = 409, body = super::error::Problem, content_type = "application/problem+json"),
    (status = 422, body = super::error::Problem, content_type = "application/problem+json")))]
#[post("/v1/receivables")]
pub async fn create_receivable(
    state: web::Data<AppState>,
    firm: FirmKey,
    body: Json<ReceivableRequest>,
) -> ApiResult<HttpResponse> {
    let r = body.0;
    let mut errors = Vec::new();
    let debtor = parse_uscc("debtor_uscc", &r.debtor_uscc)
        .map_err(|e| errors.extend(e.field_errors()))
        .ok();
    let amount = positive_money("amount", "amount", &r.amount, &mut errors);
    let due = date_value("due_on", "due_on", &r.due_on, &mut errors);
    let (Some(debtor), Some(amount), Some(due_on), true) = (debtor, amount, due, errors.is_empty())
    else {
        return Err(ApiError::fields(errors));
    };
    let new = NewReceivable {
        debtor,
        invoice_no: r.invoice_no,
        amount,
        due_on,
    };
    let row = receivables::register(&state.ctx(), &firm.uscc, new).await?;
    Ok(HttpResponse::Created().json_line(receivable_view(&row)))
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
    responses((status = 200, description = "newest first")))]
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
    let rows = receivables::list(&state.ctx(), &who.actor, side, before, limit).await?;
    let (rows, next_cursor) = page(rows, limit, "receivables", |r| &r.id);
    Ok(HttpResponse::Ok().json_line(json!({
        "items": rows.iter().map(receivable_view).collect::<Vec<_>>(),
        "next_cursor": next_cursor,
    })))
}

#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// Why the debtor disputes it (required for a dispute).
    pub reason: Option<String>,
}

/// The debtor confirms it owes the receivable: from now on it can be financed (Art 27).
#[utoipa::path(tag = "receivables", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "confirmed")))]
#[post("/v1/receivables/{id}/confirm")]
pub async fn confirm_receivable(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let row = receivables::answer(&state.ctx(), &who.actor, &id, Answer::Confirm).await?;
    Ok(HttpResponse::Ok().json_line(receivable_view(&row)))
}

/// The debtor disputes the receivable, with a reason; it cannot be financed.
#[utoipa::path(tag = "receivables", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "disputed")))]
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
    let row =
        receivables::answer(&state.ctx(), &who.actor, &id, Answer::Dispute { reason }).await?;
    Ok(HttpResponse::Ok().json_line(receivable_view(&row)))
}

/// How quickly a debtor answers (Art 54): receivables decided, still pending, mean hours to answer.
#[utoipa::path(tag = "receivables", security(("bearer" = [])), params(("uscc" = String, Path)),
    responses((status = 200, description = "latency")))]
#[get("/v1/debtors/{uscc}/confirmation-latency")]
pub async fn debtor_latency(
    state: web::Data<AppState>,
    who: Principal,
    uscc: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let uscc = parse_uscc("uscc", &uscc)?;
    who.require_firm_access(uscc.as_str())?;
    let u = uscc.to_string();
    let (decided, pending, mean) = state.db.run(move |c| store::debtor_latency(c, &u)).await?;
    Ok(HttpResponse::Ok().json_line(json!({
        "debtor_uscc": uscc.as_str(),
        "decided": decided,
        "pending": pending,
        "mean_hours_to_answer": mean.map(|h| (h * 100.0).round() / 100.0),
    })))
}

fn ip_view(a: &IpAssetRow) -> Value {
    json!({
        "id": a.id,
        "owner_uscc": a.owner_uscc,
        "kind": a.kind,
        "number": a.number,
        "title": a.title,
        "appraised_value": Money::from_fen(a.appraised_value_fen),
        "appraised_on": a.appraised_on,
        "pledge_status": if a.pledged_application_id.is_some() { "pledged" } else { "free" },
        "pledged_application_id": a.pledged_application_id,
        "pledged_at": a.pledged_at.map(ts),
        "created_at": ts(a.created_at),
    })
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IpRequest {
    /// `patent` or `trademark`.
    pub kind: String,
    /// The registration number (e.g. ZL202310123456.7, or a trademark registration number).
    pub number: String,
    pub title: String,
    /// Yuan, a decimal string.
    pub appraised_value: String,
    /// YYYY-MM-DD, not in the future.
    pub appraised_on: String,
}

/// A firm registers a patent or trademark it owns, with its appraisal.
#[utoipa::path(tag = "receivables", security(("bearer" = [])), responses(
    (status = 201, description = "the asset"),
    (status = 409, body = super::error::Problem, content_type = "application/problem+json")))]
#[post("/v1/ip-assets")]
pub async fn create_ip_asset(
    state: web::Data<AppState>,
    firm: FirmKey,
    body: Json<IpRequest>,
) -> ApiResult<HttpResponse> {
    let clock = state.clock.clone();
    let r = body.0;
    let mut errors = Vec::new();
    if !matches!(r.kind.as_str(), "patent" | "trademark") {
        errors.push(FieldError::new(
            "kind",
            "ip.kind",
            format!("'{}' is not patent or trademark", r.kind),
        ));
    }
    let number = r.number.trim().to_string();
    if number.is_empty() || number.len() > 64 {
        errors.push(FieldError::new(
            "number",
            "length",
            "number must be 1-64 characters",
        ));
    }
    if r.title.trim().is_empty() {
        errors.push(FieldError::new("title", "required", "title is empty"));
    }
    let value = positive_money(
        "appraised_value",
        "appraised_value",
        &r.appraised_value,
        &mut errors,
    );
    let on = date_value("appraised_on", "appraised_on", &r.appraised_on, &mut errors);
    if on.is_some_and(|d| d > clock.today()) {
        errors.push(FieldError::new(
            "appraised_on",
            "date.future",
            "appraised_on is in the future",
        ));
    }
    let (Some(value), Some(on), true) = (value, on, errors.is_empty()) else {
        return Err(ApiError::fields(errors));
    };
    let ip = NewIp {
        kind: r.kind,
        number,
        title: r.title.trim().to_string(),
        appraised_value: value,
        appraised_on: on,
    };
    let row = assets::register_ip(&state.ctx(), &firm.uscc, ip).await?;
    Ok(HttpResponse::Created().json_line(ip_view(&row)))
}

/// A firm's patents and trademarks (the government sees all).
#[utoipa::path(tag = "receivables", security(("bearer" = [])), responses((status = 200, description = "assets")))]
#[get("/v1/ip-assets")]
pub async fn list_ip_assets(state: web::Data<AppState>, who: Principal) -> ApiResult<HttpResponse> {
    who.require(&[Role::Firm, Role::Government, Role::Admin])?;
    let owner = who.firm_uscc();
    let rows = state
        .db
        .run(move |c| store::list_ip(c, owner.as_deref(), 500))
        .await?;
    Ok(HttpResponse::Ok()
        .json_line(json!({ "items": rows.iter().map(ip_view).collect::<Vec<_>>() })))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DesignationItem {
    /// `specialised_innovative` (专精特新), `little_giant` (小巨人), `high_tech` (高新技术企业).
    pub designation: String,
    pub granted_on: String,
    pub expires_on: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DesignationsRequest {
    pub items: Vec<DesignationItem>,
}

/// The government sets a firm's designations (replacing the previous list).
#[utoipa::path(tag = "receivables", security(("bearer" = [])), params(("uscc" = String, Path)),
    responses((status = 200, description = "the designations in force")))]
#[put("/v1/firms/{uscc}/designations")]
pub async fn set_designations(
    state: web::Data<AppState>,
    who: Principal,
    uscc: web::Path<String>,
    body: Json<DesignationsRequest>,
) -> ApiResult<HttpResponse> {
    let clock = state.clock.clone();
    who.require(&[Role::Government, Role::Admin])?;
    let uscc = parse_uscc("uscc", &uscc)?;
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    for (i, it) in body.0.items.iter().enumerate() {
        if Designation::parse(&it.designation).is_none() {
            errors.push(FieldError::new(
                format!("items[{i}].designation"),
                "designation.unknown",
                format!(
                    "'{}' is not a designation; use one of {}",
                    it.designation,
                    Designation::keys()
                ),
            ));
        }
        let at = format!("items[{i}].granted_on");
        let from = date_value(&at, &at, &it.granted_on, &mut errors);
        let to = it.expires_on.as_deref().and_then(|s| {
            let at = format!("items[{i}].expires_on");
            date_value(&at, &at, s, &mut errors)
        });
        if let (Some(f), Some(t)) = (from, to) {
            if t < f {
                errors.push(FieldError::new(
                    format!("items[{i}].expires_on"),
                    "range.order",
                    "expires_on is before granted_on",
                ));
            }
        }
        if let Some(f) = from {
            rows.push((it.designation.clone(), f, to));
        }
    }
    let mut seen: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    seen.sort_unstable();
    if seen.windows(2).any(|w| w[0] == w[1]) {
        errors.push(FieldError::new(
            "items",
            "designation.duplicate",
            "a designation is listed twice",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    firm_exists(&state, uscc.as_str()).await?;
    let (u, today) = (uscc.to_string(), clock.today());
    let now_in_force = state
        .db
        .run(move |c| {
            crate::store::backend::write_transaction(c, |c| {
                apps::set_designations(c, &u, &rows)?;
                apps::designations(c, &u, today)
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json_line(json!({ "uscc": uscc.as_str(), "in_force": now_in_force })))
}

pub fn loan_view(l: &LoanRow) -> Value {
    json!({
        "id": l.id,
        "firm_uscc": l.firm_uscc,
        "institution_id": l.institution_id,
        "application_id": l.application_id,
        "amount": Money::from_fen(l.amount_fen),
        "start_on": l.start_on,
        "maturity_on": l.maturity_on,
        "outstanding": Money::from_fen(l.outstanding_fen),
        "status": l.status,
        "closed_on": l.closed_on,
    })
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoanReport {
    pub firm_uscc: String,
    pub amount: String,
    pub start_on: String,
    pub maturity_on: String,
    /// Outstanding principal; default the whole amount.
    pub outstanding: Option<String>,
}

/// A bank reports a loan it made outside the hub (the first-loan and renewal rules read them).
#[utoipa::path(tag = "receivables", security(("bearer" = [])), responses((status = 201, description = "the loan")))]
#[post("/v1/loans")]
pub async fn report_loan(
    state: web::Data<AppState>,
    bank: BankKey,
    body: Json<LoanReport>,
) -> ApiResult<HttpResponse> {
    let r = body.0;
    let mut errors = Vec::new();
    let firm = parse_uscc("firm_uscc", &r.firm_uscc)
        .map_err(|e| errors.extend(e.field_errors()))
        .ok();
    let amount = positive_money("amount", "amount", &r.amount, &mut errors);
    let start = date_value("start_on", "start_on", &r.start_on, &mut errors);
    let maturity = date_value("maturity_on", "maturity_on", &r.maturity_on, &mut errors);
    if let (Some(s), Some(m)) = (start, maturity) {
        if m <= s {
            errors.push(FieldError::new(
                "maturity_on",
                "range.order",
                "maturity_on must be after start_on",
            ));
        }
    }
    let outstanding = match r.outstanding.as_deref() {
        Some(s) => match Money::parse_non_negative(s) {
            Ok(m) => Some(m),
            Err(e) => {
                errors.push(FieldError::new(
                    "outstanding",
                    e.rule(),
                    format!("outstanding '{s}' {e}"),
                ));
                None
            }
        },
        None => amount,
    };
    if let (Some(o), Some(a)) = (outstanding, amount) {
        if o > a {
            errors.push(FieldError::new(
                "outstanding",
                "range.order",
                "outstanding is above the amount",
            ));
        }
    }
    let (Some(firm), Some(amount), Some(start_on), Some(maturity_on), Some(outstanding), true) = (
        firm,
        amount,
        start,
        maturity,
        outstanding,
        errors.is_empty(),
    ) else {
        return Err(ApiError::fields(errors));
    };
    let loan = ReportedLoan {
        firm,
        amount,
        start_on,
        maturity_on,
        outstanding,
    };
    let row = assets::report_loan(&state.ctx(), &bank.bank, loan).await?;
    Ok(HttpResponse::Created().json_line(loan_view(&row)))
}
