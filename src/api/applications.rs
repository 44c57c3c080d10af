//! Applications (Art 21, 27): a firm applies to a product it qualifies for, which grants the institution
//! the consent it needs to read the firm's profile once the firm confirms it; the institution decides,
//! disburses, records repayments and default. First loans and credit loans are flagged (Art 21 figures).

use super::auth::{FirmKey, Principal};
use super::error::{ApiError, ApiResult, FieldError};
use super::extract::{cursor_position, page, page_limit, rfc3339 as ts, Json, Query};
use super::products::parse_ask;
use super::AppState;
use crate::clock::Clock;
use crate::domain::consent::{Purpose, MAX_DAYS, SCOPES};
use crate::domain::matching::{self, Product, ProductKind, ProductSpec};
use crate::domain::role::Role;
use crate::domain::states::{ApplicationAction, ApplicationStatus, LoanStatus};
use crate::domain::Money;
use crate::financing;
use crate::service::consents::{evict, Grant};
use crate::store::applications::{self as store, ApplicationRow, EventRow, Filter, LoanRow};
use crate::store::backend::write_transaction;
use crate::store::consents;
use crate::store::{institutions, receivables, DbConn, StoreError};
use actix_web::{get, post, web, HttpResponse};
use chrono::{Months, NaiveDate};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Value};

/// Why an institution declines: stable codes, so outcomes can be counted and later used for refitting.
pub const DECLINE_CODES: &[&str] = &[
    "score_too_low",
    "insufficient_repayment_capacity",
    "insufficient_collateral",
    "incomplete_documents",
    "outside_policy",
    "other",
];

/// How long the consent created by an application lasts unless the firm says otherwise.
pub const DEFAULT_CONSENT_DAYS: i64 = 90;

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

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationRequest {
    pub product_id: String,
    /// Yuan, a decimal string.
    pub amount: String,
    pub term_months: i32,
    /// Receivable financing: the receivables to finance (default: confirmed ones, earliest due first,
    /// until they cover the amount).
    pub receivable_ids: Option<Vec<String>>,
    /// IP pledge: the assets to pledge (default: unpledged ones until they cover the amount).
    pub ip_asset_ids: Option<Vec<String>>,
    /// The firm agrees that the institution reads its credit profile for this application.
    #[serde(default)]
    pub confirm_consent: bool,
    /// Days the consent lasts (1-366: at most a year; default 90).
    pub consent_days: Option<i64>,
}

/// Pick collateral covering `need` yuan of value from `(id, value)` candidates, or check the named ones.
fn collateral(
    field: &str,
    named: Option<&[String]>,
    candidates: &[(String, i64)],
    need_fen: Decimal,
) -> Result<Vec<String>, FieldError> {
    let chosen: Vec<(String, i64)> = match named {
        Some(ids) => {
            let mut out = Vec::new();
            for id in ids {
                match candidates.iter().find(|(c, _)| c == id) {
                    Some(c) => out.push(c.clone()),
                    None => {
                        return Err(FieldError::new(
                            field,
                            "collateral.unavailable",
                            format!("{id} is not one of this firm's available assets (confirmed, unfinanced and not due; or unpledged)"),
                        ))
                    }
                }
            }
            out
        }
        None => {
            let mut out = Vec::new();
            let mut sum = 0i64;
            for c in candidates {
                if Decimal::from(sum) >= need_fen {
                    break;
                }
                sum += c.1;
                out.push(c.clone());
            }
            out
        }
    };
    let total: i64 = chosen.iter().map(|c| c.1).sum();
    if Decimal::from(total) < need_fen {
        return Err(FieldError::new(
            field,
            "collateral.insufficient",
            format!(
                "the assets cover {} yuan of value, the amount needs {} yuan",
                Money::from_fen(total),
                (need_fen / Decimal::ONE_HUNDRED).round_dp(2)
            ),
        ));
    }
    Ok(chosen.into_iter().map(|c| c.0).collect())
}

/// Apply to a product. The firm must qualify now; the answer lists each failed rule otherwise.
#[utoipa::path(tag = "applications", security(("bearer" = [])), responses(
    (status = 201, description = "the application, with the consent it created"),
    (status = 422, body = super::error::Problem, content_type = "application/problem+json")))]
#[post("/v1/applications")]
pub async fn create_application(
    state: web::Data<AppState>,
    firm: FirmKey,
    body: Json<ApplicationRequest>,
) -> ApiResult<HttpResponse> {
    let clock = state.clock.clone();
    let (who, uscc) = (firm.who, firm.uscc.to_string());
    let r = body.0;
    let ask = parse_ask(&r.amount, r.term_months, clock.today())?;
    let days = r.consent_days.unwrap_or(DEFAULT_CONSENT_DAYS);
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(ApiError::field(
            "consent_days",
            "range",
            format!("consent_days must be 1 to {MAX_DAYS} (a consent lasts at most a year)"),
        ));
    }
    let snap = state.catalogue.current(&state.db, &state.cache).await?;
    let product: Product = snap
        .products
        .iter()
        .find(|p| p.id == r.product_id)
        .cloned()
        .ok_or_else(|| {
            ApiError::field(
                "product_id",
                "product.unknown",
                format!("no live product {}", r.product_id),
            )
        })?;
    if !product.spec.valid_on(ask.on) {
        return Err(ApiError::field(
            "product_id",
            "product.not_valid",
            format!("product {} is not offered on {}", product.id, ask.on),
        ));
    }
    let scheme: Option<ProductSpec> = product.spec.guarantee_scheme_id.as_ref().and_then(|id| {
        snap.products
            .iter()
            .find(|s| &s.id == id && s.spec.valid_on(ask.on))
            .map(|s| s.spec.clone())
    });
    if product.spec.guarantee_scheme_id.is_some() && scheme.is_none() {
        return Err(ApiError::field(
            "product_id",
            "scheme.unavailable",
            "the guarantee scheme this loan relies on is no longer offered",
        ));
    }
    let (u, today) = (uscc.clone(), ask.on);
    let (applicant, financeable, pledgeable, inst_name) = {
        let inst = product.institution_id.clone();
        state
            .db
            .run(move |c| {
                Ok((
                    financing::applicant(c, &u, today)?,
                    receivables::financeable(c, &u, today)?,
                    receivables::pledgeable(c, &u)?,
                    institutions::get(c, &inst)?.name,
                ))
            })
            .await?
    };
    let a = applicant.ok_or_else(|| ApiError::NotFound(format!("no firm {uscc} is registered")))?;
    let failed: Vec<FieldError> = matching::failures(&product.spec, scheme.as_ref(), &a, &ask)
        .into_iter()
        .map(|c| FieldError::new("product_id", format!("eligibility.{}", c.rule), c.message))
        .collect();
    if !failed.is_empty() {
        return Err(ApiError::fields(failed));
    }
    let purpose = if product.spec.kind.is_lending() {
        Purpose::CreditAssessment
    } else {
        Purpose::GuaranteeReview
    };
    if !r.confirm_consent {
        return Err(ApiError::field(
            "confirm_consent",
            "consent.confirm",
            format!(
                "applying lets {inst_name} read your credit profile (all sections) for {} for {days} days; send confirm_consent: true to agree",
                purpose.as_str()
            ),
        ));
    }
    let amount = ask.amount.to_decimal() * Decimal::ONE_HUNDRED;
    let chosen = match product.spec.kind {
        ProductKind::ReceivableFinancing => {
            let ratio = product.spec.advance_ratio.unwrap_or(Decimal::ONE);
            let c: Vec<(String, i64)> = financeable
                .iter()
                .map(|x| (x.id.clone(), x.amount_fen))
                .collect();
            collateral(
                "receivable_ids",
                r.receivable_ids.as_deref(),
                &c,
                amount / ratio,
            )
            .map_err(|e| ApiError::fields(vec![e]))?
        }
        ProductKind::IpPledge => {
            let ratio = product.spec.loan_to_value.unwrap_or(Decimal::ONE);
            let c: Vec<(String, i64)> = pledgeable
                .iter()
                .map(|x| (x.id.clone(), x.appraised_value_fen))
                .collect();
            collateral(
                "ip_asset_ids",
                r.ip_asset_ids.as_deref(),
                &c,
                amount / ratio,
            )
            .map_err(|e| ApiError::fields(vec![e]))?
        }
        _ => Vec::new(),
    };
    let cost = matching::cost(&product.spec, scheme.as_ref(), a.grade.as_deref(), &ask);
    let at = clock.now();
    // The firm's own application grants it.
    let consent = Grant {
        firm: uscc.clone(),
        institution: product.institution_id.clone(),
        purpose,
        scope: SCOPES.iter().map(|s| s.to_string()).collect(),
        data_months: 24,
        max_queries_per_month: None,
        data_life_days: 365,
        valid_from: at,
        expires_at: at + chrono::Duration::days(days),
    }
    .by_firm(&who.key_id, at);
    let app = ApplicationRow {
        id: uuid::Uuid::now_v7().to_string(),
        firm_uscc: uscc.clone(),
        product_id: product.id.clone(),
        institution_id: product.institution_id.clone(),
        amount_fen: ask.amount.fen(),
        term_months: ask.term_months,
        status: ApplicationStatus::Submitted,
        consent_id: consent.id.clone(),
        first_loan: product.spec.kind.is_lending() && !a.has_bank_loan,
        credit_loan: product.spec.kind == ProductKind::BankLoan
            && product.spec.guarantee_scheme_id.is_none(),
        collateral: chosen.join(","),
        quoted_cost: serde_json::to_string(&cost).map_err(|e| ApiError::Internal(e.into()))?,
        approved_amount_fen: None,
        approved_rate: None,
        approved_term_months: None,
        decline_code: None,
        decline_reason: None,
        loan_id: None,
        created_at: at,
        updated_at: at,
    };
    let event = EventRow {
        id: uuid::Uuid::now_v7().to_string(),
        application_id: app.id.clone(),
        kind: "submitted".into(),
        amount_fen: Some(app.amount_fen),
        on_date: Some(today),
        detail: Some(format!(
            "consent {} granted to {inst_name} for {}",
            consent.id,
            purpose.as_str()
        )),
        key_id: who.key_id.clone(),
        at,
    };
    let (c2, a2) = (consent.clone(), app.clone());
    state
        .db
        .run(move |c| {
            write_transaction(c, |c| {
                consents::insert(c, &c2)?;
                store::insert(c, &a2)?;
                store::add_event(c, &event)
            })
        })
        .await?;
    // A new consent: the bank's next profile query must see it.
    evict(&state.ctx(), &consent).await;
    Ok(HttpResponse::Created()
        .insert_header(("location", format!("/v1/applications/{}", app.id)))
        .json(view(&app, None)))
}

/// Who sees an application: its firm, its institution, the government side. To anyone else it does not exist.
fn visible(who: &Principal, a: &ApplicationRow) -> bool {
    match who.role() {
        Role::Government | Role::Admin => true,
        Role::Firm => who.firm() == Some(a.firm_uscc.as_str()),
        Role::Bank | Role::Guarantor => who.institution() == Some(a.institution_id.as_str()),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
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
    q: Query<ListQuery>,
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
    let mut f = Filter {
        status,
        before,
        ..Default::default()
    };
    match who.role() {
        Role::Firm => f.firm = who.firm_uscc(),
        Role::Bank | Role::Guarantor => f.institution = who.institution_id(),
        Role::Government | Role::Admin => {}
    }
    let rows = state.db.run(move |c| store::list(c, &f, limit + 1)).await?;
    let (rows, next_cursor) = page(rows, limit, "applications", |r| &r.id);
    Ok(HttpResponse::Ok().json(json!({
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
    let i = id.into_inner();
    let key = i.clone();
    let (row, events) = state
        .db
        .run(move |c| Ok((store::get(c, &key)?, store::events(c, &key)?)))
        .await?;
    let row = row
        .filter(|a| visible(&who, a))
        .ok_or_else(|| ApiError::NotFound(format!("no application {i}")))?;
    Ok(HttpResponse::Ok().json(view(&row, Some(&events))))
}

/// The outcome of a transition, decided inside its transaction.
type Step = Result<(ApplicationRow, Option<LoanRow>, EventRow), ApiError>;

/// Load, check who may act, apply `f` and write the application (status-guarded), its loan and an event,
/// all in one transaction; anything that fails leaves nothing written.
async fn transition<F>(
    state: &AppState,
    who: &Principal,
    id: &str,
    firm_acts: bool,
    f: F,
) -> ApiResult<HttpResponse>
where
    F: FnOnce(&mut DbConn, ApplicationRow) -> Result<Step, StoreError> + Send + 'static,
{
    let (i, who2) = (id.to_string(), who.clone());
    let out = state
        .db
        .run(move |c| {
            write_transaction(c, |c| {
                let Some(row) = store::get(c, &i)?.filter(|a| visible(&who2, a)) else {
                    return Ok(Err(ApiError::NotFound(format!("no application {i}"))));
                };
                let may = if firm_acts {
                    who2.role() == Role::Firm
                } else {
                    matches!(who2.role(), Role::Bank | Role::Guarantor)
                };
                if !may {
                    return Ok(Err(ApiError::Forbidden(if firm_acts {
                        "only the applying firm does this".to_string()
                    } else {
                        "only the institution the application went to does this".to_string()
                    })));
                }
                let before = row.status;
                let (new, loan, event) = match f(c, row)? {
                    Ok(step) => step,
                    Err(e) => return Ok(Err(e)),
                };
                if let Some(l) = &loan {
                    match store::get_loan(c, &l.id)? {
                        Some(_) => store::save_loan(c, l)?,
                        None => store::insert_loan(c, l)?,
                    }
                }
                if !store::save_if(c, &new, before)? {
                    return Err(StoreError::Conflict(format!(
                        "application {} changed meanwhile; read it again",
                        new.id
                    )));
                }
                store::add_event(c, &event)?;
                Ok(Ok((new.clone(), store::events(c, &new.id)?)))
            })
        })
        .await?;
    let (row, events) = out?;
    Ok(HttpResponse::Ok().json(view(&row, Some(&events))))
}

/// The status `action` leads to, or the 409 that says why it cannot happen now.
fn next_status(
    a: &ApplicationRow,
    action: ApplicationAction,
) -> Result<ApplicationStatus, ApiError> {
    a.status
        .after(action)
        .map_err(|e| ApiError::Conflict(format!("application {}: {e}", a.id)))
}

fn event(
    clock: &Clock,
    a: &ApplicationRow,
    who: &Principal,
    kind: &str,
    amount: Option<i64>,
    on: Option<NaiveDate>,
    detail: Option<String>,
) -> EventRow {
    EventRow {
        id: uuid::Uuid::now_v7().to_string(),
        application_id: a.id.clone(),
        kind: kind.into(),
        amount_fen: amount,
        on_date: on,
        detail,
        key_id: who.key_id.clone(),
        at: clock.now(),
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// `approve` or `decline`.
    pub decision: String,
    /// Approve: yuan (default: the amount asked).
    pub amount: Option<String>,
    /// Approve: the annual rate (lending) or fee rate (guarantee), a decimal fraction.
    pub rate: Option<String>,
    /// Approve: months (default: the term asked).
    pub term_months: Option<i32>,
    /// Decline: one of the decline codes.
    pub code: Option<String>,
    pub reason: Option<String>,
}

/// The institution approves (amount, rate, term) or declines (a code and a reason).
#[utoipa::path(tag = "applications", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "the decided application")))]
#[post("/v1/applications/{id}/decision")]
pub async fn decide(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
    body: Json<DecisionRequest>,
) -> ApiResult<HttpResponse> {
    let clock = state.clock.clone();
    let r = body.0;
    let mut errors = Vec::new();
    let approve = match r.decision.as_str() {
        "approve" => true,
        "decline" => false,
        other => {
            return Err(ApiError::field(
                "decision",
                "decision.unknown",
                format!("'{other}' is not approve or decline"),
            ))
        }
    };
    let amount = match r.amount.as_deref().map(Money::parse) {
        Some(Ok(m)) if m > Money::ZERO => Some(m),
        Some(Ok(_)) => {
            errors.push(FieldError::new(
                "amount",
                "money.positive",
                "amount must be above zero",
            ));
            None
        }
        Some(Err(e)) => {
            errors.push(FieldError::new("amount", e.rule(), format!("amount {e}")));
            None
        }
        None => None,
    };
    let rate = match r.rate.as_deref().map(|s| s.parse::<Decimal>()) {
        Some(Ok(d)) if d >= Decimal::ZERO && d <= Decimal::new(36, 2) => Some(d),
        Some(_) => {
            errors.push(FieldError::new(
                "rate",
                "rate.range",
                "rate must be a decimal fraction from 0 to 0.36",
            ));
            None
        }
        None => None,
    };
    if approve && r.rate.is_none() {
        errors.push(FieldError::new(
            "rate",
            "required",
            "an approval states the rate",
        ));
    }
    if !approve {
        match r.code.as_deref() {
            Some(c) if DECLINE_CODES.contains(&c) => {}
            Some(c) => errors.push(FieldError::new(
                "code",
                "decline.code",
                format!(
                    "'{c}' is not a decline code; use one of {}",
                    DECLINE_CODES.join(", ")
                ),
            )),
            None => errors.push(FieldError::new(
                "code",
                "required",
                format!("a decline gives a code: {}", DECLINE_CODES.join(", ")),
            )),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    let snap = state.catalogue.current(&state.db, &state.cache).await?;
    let products = snap.products.clone();
    let who2 = who.clone();
    transition(&state, &who, &id, false, move |c, mut a| {
        let decided = match next_status(
            &a,
            if approve {
                ApplicationAction::Approve
            } else {
                ApplicationAction::Decline
            },
        ) {
            Ok(s) => s,
            Err(e) => return Ok(Err(e)),
        };
        let spec = match products.iter().find(|p| p.id == a.product_id) {
            Some(p) => p.spec.clone(),
            None => match crate::store::products::get(c, &a.product_id)?
                .as_ref()
                .and_then(financing::parse_row)
            {
                Some(p) => p.spec,
                None => {
                    return Ok(Err(ApiError::Conflict(format!(
                        "product {} is gone",
                        a.product_id
                    ))))
                }
            },
        };
        a.updated_at = clock.now();
        if approve {
            let amount = amount.unwrap_or(Money::from_fen(a.amount_fen));
            let term = r.term_months.unwrap_or(a.term_months);
            let rate = rate.unwrap_or_default();
            let mut errs = Vec::new();
            if amount < spec.amount_min || amount > spec.amount_max {
                errs.push(FieldError::new(
                    "amount",
                    "amount.range",
                    format!("the product lends {}-{}", spec.amount_min, spec.amount_max),
                ));
            }
            if term < spec.term_min_months || term > spec.term_max_months {
                errs.push(FieldError::new(
                    "term_months",
                    "term.range",
                    format!(
                        "the product runs {}-{} months",
                        spec.term_min_months, spec.term_max_months
                    ),
                ));
            }
            if spec.kind.is_lending() {
                let lo = spec.rate_min.unwrap_or_default();
                let hi = spec.rate_max.unwrap_or(lo);
                if rate < lo || rate > hi {
                    errs.push(FieldError::new(
                        "rate",
                        "rate.range",
                        format!("the product's rate is {lo}-{hi}"),
                    ));
                }
            }
            if !errs.is_empty() {
                return Ok(Err(ApiError::fields(errs)));
            }
            a.status = decided;
            a.approved_amount_fen = Some(amount.fen());
            a.approved_rate = Some(rate.normalize().to_string());
            a.approved_term_months = Some(term);
            // A loan that relies on a government guarantee scheme: the guarantee contract is made now.
            let mut detail = format!("rate {}, {term} months", rate.normalize());
            if let Some(scheme) = spec
                .guarantee_scheme_id
                .as_ref()
                .and_then(|sid| products.iter().find(|p| &p.id == sid))
            {
                let start = clock.today();
                let g = crate::store::guarantees::GuaranteeRow {
                    id: uuid::Uuid::now_v7().to_string(),
                    agency_id: scheme.institution_id.clone(),
                    contract_no: format!("APP-{}", a.id),
                    firm_uscc: a.firm_uscc.clone(),
                    lender: institutions::get(c, &a.institution_id)?.name,
                    loan_amount_fen: amount.fen(),
                    guaranteed_fen: Money::round_yuan(
                        amount.to_decimal() * scheme.spec.coverage_ratio.unwrap_or(Decimal::ONE),
                    )
                    .unwrap_or(amount)
                    .fen(),
                    fee_rate: scheme
                        .spec
                        .fee_rate
                        .unwrap_or_default()
                        .normalize()
                        .to_string(),
                    start_on: start,
                    end_on: start
                        .checked_add_months(Months::new(term as u32))
                        .unwrap_or(start),
                    released_on: None,
                    called_on: None,
                    compensation_fen: None,
                    application_id: Some(a.id.clone()),
                    first_loan: a.first_loan,
                    created_at: clock.now(),
                };
                detail.push_str(&format!(
                    "; guarantee contract {} with {}",
                    g.contract_no, scheme.spec.name
                ));
                crate::store::guarantees::insert(c, &[g])?;
            }
            let e = event(
                &clock,
                &a,
                &who2,
                "approved",
                Some(amount.fen()),
                Some(clock.today()),
                Some(detail),
            );
            Ok(Ok((a, None, e)))
        } else {
            a.status = decided;
            a.decline_code = r.code.clone();
            a.decline_reason = r.reason.clone();
            let e = event(
                &clock,
                &a,
                &who2,
                "declined",
                None,
                Some(clock.today()),
                Some(format!(
                    "{}: {}",
                    r.code.unwrap_or_default(),
                    r.reason.unwrap_or_default()
                )),
            );
            Ok(Ok((a, None, e)))
        }
    })
    .await
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
    let clock = state.clock.clone();
    let who2 = who.clone();
    transition(&state, &who, &id, true, move |_, mut a| {
        a.status = match next_status(&a, ApplicationAction::Withdraw) {
            Ok(s) => s,
            Err(e) => return Ok(Err(e)),
        };
        a.updated_at = clock.now();
        let e = event(
            &clock,
            &a,
            &who2,
            "withdrawn",
            None,
            Some(clock.today()),
            None,
        );
        Ok(Ok((a, None, e)))
    })
    .await
}

#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DatedAmount {
    /// YYYY-MM-DD (default today).
    pub on: Option<String>,
    /// Yuan (repayments).
    pub amount: Option<String>,
    pub detail: Option<String>,
}

fn on_date(s: Option<&str>, clock: &Clock) -> ApiResult<NaiveDate> {
    match s {
        None => Ok(clock.today()),
        Some(s) => {
            let d = s.parse::<NaiveDate>().map_err(|_| {
                ApiError::field(
                    "on",
                    "date.format",
                    format!("on '{s}' is not a date YYYY-MM-DD"),
                )
            })?;
            if d > clock.today() {
                return Err(ApiError::field("on", "date.future", "on is in the future"));
            }
            Ok(d)
        }
    }
}

/// The institution records the disbursement: the loan starts, and the receivables it finances or the
/// assets pledged for it are marked so that they cannot back anything else (409 if one already does).
#[utoipa::path(tag = "applications", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "disbursed"), (status = 409, body = super::error::Problem)))]
#[post("/v1/applications/{id}/disbursement")]
pub async fn disburse(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
    body: Option<web::Json<DatedAmount>>,
) -> ApiResult<HttpResponse> {
    let clock = state.clock.clone();
    let on = on_date(body.as_ref().and_then(|b| b.on.as_deref()), &clock)?;
    let snap = state.catalogue.current(&state.db, &state.cache).await?;
    let kinds: std::collections::HashMap<String, ProductKind> = snap
        .products
        .iter()
        .map(|p| (p.id.clone(), p.spec.kind))
        .collect();
    let who2 = who.clone();
    transition(&state, &who, &id, false, move |c, mut a| {
        let disbursed = match next_status(&a, ApplicationAction::Disburse) {
            Ok(s) => s,
            Err(e) => return Ok(Err(e)),
        };
        let kind = match kinds.get(&a.product_id) {
            Some(k) => *k,
            None => crate::store::products::get(c, &a.product_id)?
                .and_then(|p| ProductKind::parse(&p.kind))
                .unwrap_or(ProductKind::BankLoan),
        };
        if !kind.is_lending() {
            return Ok(Err(ApiError::Conflict("a guarantee is not disbursed; the loan it backs is".into())));
        }
        let ids = a.collateral_ids();
        let at = clock.now();
        let ok = match kind {
            ProductKind::ReceivableFinancing => receivables::finance(c, &ids, &a.firm_uscc, &a.id, on, at)?,
            ProductKind::IpPledge => receivables::pledge(c, &ids, &a.firm_uscc, &a.id, at)?,
            _ => true,
        };
        if !ok {
            // Roll back whatever part was marked.
            return Err(StoreError::Conflict(format!(
                "the {} backing application {} {} already financed or pledged elsewhere, or no longer eligible",
                if kind == ProductKind::IpPledge { "assets" } else { "receivables" },
                a.id,
                if ids.len() == 1 { "is" } else { "are" }
            )));
        }
        let amount = a.approved_amount_fen.unwrap_or(a.amount_fen);
        let term = a.approved_term_months.unwrap_or(a.term_months);
        let loan = LoanRow {
            id: uuid::Uuid::now_v7().to_string(),
            firm_uscc: a.firm_uscc.clone(),
            institution_id: a.institution_id.clone(),
            application_id: Some(a.id.clone()),
            amount_fen: amount,
            start_on: on,
            maturity_on: on.checked_add_months(Months::new(term as u32)).unwrap_or(on),
            outstanding_fen: amount,
            status: LoanStatus::Outstanding,
            closed_on: None,
            created_at: at,
        };
        a.status = disbursed;
        a.loan_id = Some(loan.id.clone());
        a.updated_at = at;
        let e = event(&clock, &a, &who2, "disbursed", Some(amount), Some(on), Some(format!("loan {} matures {}", loan.id, loan.maturity_on)));
        Ok(Ok((a, Some(loan), e)))
    })
    .await
}

/// The loan a disbursed application opened.
fn loan_of(c: &mut DbConn, a: &ApplicationRow) -> Result<Result<LoanRow, ApiError>, StoreError> {
    Ok(a.loan_id
        .as_deref()
        .map(|l| store::get_loan(c, l))
        .transpose()?
        .flatten()
        .ok_or_else(|| ApiError::Conflict(format!("application {} has no loan", a.id))))
}

/// The institution records a repayment; the loan is repaid when nothing is outstanding.
#[utoipa::path(tag = "applications", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "the application and its events")))]
#[post("/v1/applications/{id}/repayments")]
pub async fn repay(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
    body: Json<DatedAmount>,
) -> ApiResult<HttpResponse> {
    let clock = state.clock.clone();
    let b = body.0;
    let on = on_date(b.on.as_deref(), &clock)?;
    let amount = match b.amount.as_deref().map(Money::parse) {
        Some(Ok(m)) if m > Money::ZERO => m,
        Some(Err(e)) => return Err(ApiError::field("amount", e.rule(), format!("amount {e}"))),
        _ => {
            return Err(ApiError::field(
                "amount",
                "required",
                "a repayment states its amount, above zero",
            ))
        }
    };
    let who2 = who.clone();
    transition(&state, &who, &id, false, move |c, mut a| {
        if let Err(e) = next_status(&a, ApplicationAction::Repay { clears: false }) {
            return Ok(Err(e));
        }
        let mut loan = match loan_of(c, &a)? {
            Ok(l) => l,
            Err(e) => return Ok(Err(e)),
        };
        if amount.fen() > loan.outstanding_fen {
            return Ok(Err(ApiError::field(
                "amount",
                "repayment.excess",
                format!(
                    "{} yuan is outstanding",
                    Money::from_fen(loan.outstanding_fen)
                ),
            )));
        }
        loan.outstanding_fen -= amount.fen();
        let clears = loan.outstanding_fen == 0;
        let moved = loan
            .status
            .repay(clears)
            .map_err(|e| ApiError::Conflict(format!("loan {}: {e}", loan.id)))
            .and_then(|l| Ok((l, next_status(&a, ApplicationAction::Repay { clears })?)));
        let (loan_status, status) = match moved {
            Ok(m) => m,
            Err(e) => return Ok(Err(e)),
        };
        (loan.status, a.status) = (loan_status, status);
        if clears {
            loan.closed_on = Some(on);
        }
        a.updated_at = clock.now();
        let e = event(
            &clock,
            &a,
            &who2,
            "repayment",
            Some(amount.fen()),
            Some(on),
            Some(format!(
                "{} outstanding",
                Money::from_fen(loan.outstanding_fen)
            )),
        );
        Ok(Ok((a, Some(loan), e)))
    })
    .await
}

/// The institution records a default on a disbursed loan.
#[utoipa::path(tag = "applications", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "defaulted")))]
#[post("/v1/applications/{id}/default")]
pub async fn default(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
    body: Option<web::Json<DatedAmount>>,
) -> ApiResult<HttpResponse> {
    let clock = state.clock.clone();
    let b = body.map(|b| b.into_inner()).unwrap_or_default();
    let on = on_date(b.on.as_deref(), &clock)?;
    let who2 = who.clone();
    transition(&state, &who, &id, false, move |c, mut a| {
        let defaulted = match next_status(&a, ApplicationAction::Default) {
            Ok(s) => s,
            Err(e) => return Ok(Err(e)),
        };
        let mut loan = match loan_of(c, &a)? {
            Ok(l) => l,
            Err(e) => return Ok(Err(e)),
        };
        loan.status = match loan.status.default_now() {
            Ok(s) => s,
            Err(e) => return Ok(Err(ApiError::Conflict(format!("loan {}: {e}", loan.id)))),
        };
        a.status = defaulted;
        a.updated_at = clock.now();
        let e = event(
            &clock,
            &a,
            &who2,
            "defaulted",
            Some(loan.outstanding_fen),
            Some(on),
            b.detail.clone(),
        );
        Ok(Ok((a, Some(loan), e)))
    })
    .await
}
