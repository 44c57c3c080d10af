//! Guarantees and fee subsidies over HTTP (Art 28): agencies register contracts (one JSON object, or a
//! CSV / NDJSON batch where every bad row is named and nothing is stored unless all are good), record
//! releases and calls; the government publishes subsidy policies; agencies submit claim batches
//! (`Idempotency-Key`), which are reconciled line by line; the government approves (reconciling again
//! against everything approved meanwhile) and marks them paid.

use super::auth::{AgencyKey, ClaimantKey, Principal};
use super::error::{ApiError, ApiResult, FieldError, JsonLine};
use super::extract::{date_value, encode_cursor, page_limit, positive_money, Json, Query};
use super::{AppState, Items, Page};
use crate::domain::role::Role;
use crate::service::agencies::{self, AgencyMetrics, NetAssetsView, RewardView};
use crate::service::claims::{self as service, NewBatch};
use crate::service::guarantees::{Ending, GuaranteeView, Registered};
use crate::service::policies::{self, PolicyView};
use crate::service::reconciliation::{self as report, BatchView, Report};
use crate::service::rewards::{self, RewardClaimView};
use crate::service::uploads::{self, ClaimBatchInput, ContractInput};
use crate::store::guarantees::{BatchRow, LineRow};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn content_type(req: &HttpRequest) -> String {
    req.headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// The charset a Content-Type names (`text/csv; charset=gbk`).
fn charset(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())?
        .split(';')
        .skip(1)
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("charset"))
        .map(|(_, v)| v.trim().trim_matches('"').to_string())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// XLSX: the sheet to read (default the first).
    pub sheet: Option<String>,
    /// Check every row (and the borrowers and numbers on file) without storing anything.
    pub dry_run: Option<bool>,
}

/// What a dry run found: the contracts that would be registered.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DryRun {
    pub dry_run: bool,
    pub valid: usize,
}

/// Register guarantee contracts: one JSON object, or a batch as CSV (UTF-8, with or without a BOM, or
/// GB18030/GBK: detected, or named by `charset`), an XLSX workbook (`?sheet=`, default the first) or
/// NDJSON. Columns `contract_no, firm_uscc, lender, loan_amount, guaranteed, fee_rate, start_on, end_on,
/// first_loan`, or the ledger's Chinese names (合同编号, 统一社会信用代码, 贷款银行, 贷款金额, 担保金额,
/// 保费费率, 起始日, 到期日, 是否首贷, …; 企业名称 and 序号 are left aside); dates as 2026-01-01, 2026/1/1,
/// 2026年1月1日 or Excel dates; amounts with separators or 元. Every fault of the file at once, by line and
/// column — unknown borrowers and numbers already on file too — and nothing stored unless every row is
/// good. `?dry_run=true` checks without storing.
#[utoipa::path(tag = "guarantees", security(("bearer" = [])), params(UploadQuery),
    request_body(description = "one contract as JSON, or a batch: CSV with a header row, an XLSX workbook, or NDJSON of such objects",
        content((ContractInput = "application/json"), (String = "text/csv"), (String = "application/x-ndjson"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses(
    (status = 201, description = "the contract (one JSON object), or the batch's count", body = GuaranteeView),
    (status = 200, description = "a dry run: every row is good; nothing was stored", body = DryRun),
    (status = 422, description = "every fault of the upload; with `Accept` an XLSX workbook, the agency's own rows with a column of faults beside them",
        content((super::error::Problem = "application/problem+json"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))))]
#[post("/v1/guarantees")]
pub async fn create_guarantees(
    state: web::Data<AppState>,
    caller: AgencyKey,
    req: HttpRequest,
    q: Query<UploadQuery>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let (_permit, body) = super::upload::read_all(&state, &req, payload).await?;
    let q = q.0;
    let cs = charset(&req);
    let (kind, body) = uploads::readable(
        &content_type(&req),
        cs.as_deref(),
        q.sheet.as_deref(),
        &body,
    )?;
    let upload = uploads::contracts(&kind, &body, &caller.agency, state.clock.now())?;
    let one = match (upload.single, upload.rows.as_slice()) {
        (true, [(_, g)]) => Some(g.clone()),
        _ => None,
    };
    let dry_run = q.dry_run.unwrap_or(false);
    let registered =
        crate::service::guarantees::register_upload(state.ctx(), &caller.agency, upload, dry_run)
            .await;
    // Asked for a workbook: the faults of a sheet or CSV come back beside the agency's own rows.
    let n = match registered {
        Err(crate::service::guarantees::GuaranteeError::Invalid(v))
            if super::extract::wants_xlsx(&req) && kind == "text/csv" =>
        {
            let book = crate::service::spreadsheet::fault_report(&body, &v)
                .map_err(|e| ApiError::Internal(anyhow::anyhow!("the fault report: {e}")))?;
            return Ok(HttpResponse::UnprocessableEntity()
                .content_type(crate::service::spreadsheet::XLSX)
                .insert_header((
                    "content-disposition",
                    "attachment; filename=\"faults.xlsx\"",
                ))
                .body(book));
        }
        other => other?,
    };
    Ok(match (dry_run, one) {
        (true, _) => HttpResponse::Ok().json_line(DryRun {
            dry_run: true,
            valid: n,
        }),
        (false, Some(g)) => HttpResponse::Created().json_line(GuaranteeView::of(&g)),
        (false, None) => HttpResponse::Created().json_line(Registered { created: n }),
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// An agency's contracts (the government sees all).
#[utoipa::path(tag = "guarantees", security(("bearer" = [])), responses((status = 200, description = "contracts", body = Page<GuaranteeView>)))]
#[get("/v1/guarantees")]
pub async fn list_guarantees(
    state: web::Data<AppState>,
    who: Principal,
    q: Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    who.require(&[Role::Guarantor, Role::Government, Role::Admin])?;
    let mut errors = Vec::new();
    let limit = page_limit(q.0.limit)
        .map_err(|e| errors.push(e))
        .unwrap_or(50);
    let after = super::extract::cursor_position("guarantees", q.0.cursor.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    let (items, more) =
        crate::service::guarantees::list(state.ctx(), &who.actor, Default::default(), after, limit)
            .await?;
    let next_cursor = more
        .then(|| items.last().map(|g| encode_cursor("guarantees", &g.id)))
        .flatten();
    Ok(HttpResponse::Ok().json_line(Page { items, next_cursor }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndRequest {
    /// YYYY-MM-DD: the day the guarantee ended (the active interval ends the day before).
    pub on: String,
    /// A call: the compensation paid, yuan.
    pub compensation: Option<String>,
}

async fn end_early(
    state: &AppState,
    agency: &str,
    id: &str,
    r: EndRequest,
    is_call: bool,
) -> ApiResult<HttpResponse> {
    let mut errors = Vec::new();
    let on = date_value("on", "on", &r.on, &mut errors);
    let comp = match (is_call, r.compensation.as_deref()) {
        (true, Some(s)) => positive_money("compensation", "compensation", s, &mut errors),
        (true, None) => {
            errors.push(FieldError::new(
                "compensation",
                "required",
                "a call states the compensation paid",
            ));
            None
        }
        (false, Some(_)) => {
            errors.push(FieldError::new(
                "compensation",
                "field.not_applicable",
                "a release pays no compensation",
            ));
            None
        }
        (false, None) => None,
    };
    let (Some(on), true) = (on, errors.is_empty()) else {
        return Err(ApiError::fields(errors));
    };
    let ending = comp.map_or(Ending::Release, Ending::Call);
    let g = crate::service::guarantees::end_early(state.ctx(), agency, id, on, ending).await?;
    Ok(HttpResponse::Ok().json_line(GuaranteeView::of(&g)))
}

/// The loan was repaid early: the guarantee is released on `on`.
#[utoipa::path(tag = "guarantees", security(("bearer" = [])), params(("id" = String, Path)), responses((status = 200, description = "released", body = GuaranteeView)))]
#[post("/v1/guarantees/{id}/release")]
pub async fn release(
    state: web::Data<AppState>,
    caller: AgencyKey,
    id: web::Path<String>,
    body: Json<EndRequest>,
) -> ApiResult<HttpResponse> {
    end_early(&state, &caller.agency, &id, body.0, false).await
}

/// The guarantee was called: the agency paid `compensation` on `on`.
#[utoipa::path(tag = "guarantees", security(("bearer" = [])), params(("id" = String, Path)), responses((status = 200, description = "called", body = GuaranteeView)))]
#[post("/v1/guarantees/{id}/call")]
pub async fn call_guarantee(
    state: web::Data<AppState>,
    caller: AgencyKey,
    id: web::Path<String>,
    body: Json<EndRequest>,
) -> ApiResult<HttpResponse> {
    end_early(&state, &caller.agency, &id, body.0, true).await
}

/// The government publishes a subsidy policy: window (by contract start), eligibility rules (the
/// matching rule types), `max_fee_rate`, `max_guaranteed`, formula (`share_of_fee` with `share`,
/// `rate_points` or `interest_subsidy` or `agency_reward` with `rate`), caps per contract and per firm per
/// year, budget; an interest subsidy's `rate_table`, an agency reward's `reward_tiers`, `max_loan`,
/// `max_days`, `once_per_firm`, `exclusive` (`group`, `per`), `channel` (`schemes`, `scheme_kinds`),
/// `source`. Every fault at once.
#[utoipa::path(tag = "guarantees", security(("bearer" = [])), responses(
    (status = 201, description = "the policy", body = PolicyView),
    (status = 422, body = super::error::Problem, content_type = "application/problem+json")))]
#[post("/v1/subsidy-policies")]
pub async fn create_policy(
    state: web::Data<AppState>,
    who: Principal,
    body: Json<Value>,
) -> ApiResult<HttpResponse> {
    let (mut spec, rules, faults) =
        super::extract::with_rules::<crate::domain::subsidy::PolicySpec>(&body.0)?;
    spec.rules = rules;
    let faults = faults.into_iter().map(FieldError::into_violation).collect();
    let view = policies::publish(state.ctx(), &who.actor, spec, faults).await?;
    Ok(HttpResponse::Created().json_line(view))
}

/// Every policy (any key: agencies claim under them).
#[utoipa::path(tag = "guarantees", security(("bearer" = [])), responses((status = 200, description = "policies", body = Items<PolicyView>)))]
#[get("/v1/subsidy-policies")]
pub async fn list_policies(state: web::Data<AppState>, _who: Principal) -> ApiResult<HttpResponse> {
    let items = policies::list(state.ctx()).await?;
    Ok(HttpResponse::Ok().json_line(Items { items }))
}

/// One policy.
#[utoipa::path(tag = "guarantees", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "the policy", body = PolicyView), (status = 404, body = super::error::Problem)))]
#[get("/v1/subsidy-policies/{id}")]
pub async fn get_policy(
    state: web::Data<AppState>,
    _who: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json_line(policies::get(state.ctx(), &id).await?))
}

/// Where a policy's money stands today (issue 20 §7): budget, committed (approved, not paid), paid,
/// remaining, and a forecast of what the contracts and loans it has paid on will still claim.
#[utoipa::path(tag = "guarantees", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "the budget", body = policies::BudgetView),
    (status = 404, body = super::error::Problem, content_type = "application/problem+json")))]
#[get("/v1/subsidy-policies/{id}/budget")]
pub async fn policy_budget(
    state: web::Data<AppState>,
    _who: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let ctx = state.ctx();
    Ok(HttpResponse::Ok().json_line(policies::budget(ctx, &id, ctx.clock.today()).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimQuery {
    /// The policy claimed under (CSV, XLSX and NDJSON bodies; a JSON body may name it instead).
    pub policy_id: Option<String>,
    /// XLSX: the sheet to read (default the first).
    pub sheet: Option<String>,
    /// Reconcile every line and answer the report, storing nothing.
    pub dry_run: Option<bool>,
}

/// What a 200 of a claim submission holds: the batch submitted before under this Idempotency-Key, or a
/// dry run's report (for the document).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum ClaimsAnswer {
    Batch(BatchView),
    DryRun(DryRunReport),
}

/// A dry run's report: the reconciliation as it would be, nothing stored.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DryRunReport {
    pub dry_run: bool,
    #[serde(flatten)]
    pub report: Report,
}

/// Submit a claim batch under a policy: CSV (`contract_no,from,to,claimed`) or NDJSON with `?policy_id=`,
/// or JSON `{"policy_id", "lines": [...]}`. With `Idempotency-Key`, the same batch again is the same batch
/// (200); the same key with another body is a 409. Reconciled at once; the report is in the answer.
#[utoipa::path(tag = "guarantees", security(("bearer" = [])), params(("policy_id" = Option<String>, Query), ("sheet" = Option<String>, Query), ("dry_run" = Option<bool>, Query)),
    request_body(description = "JSON with policy_id and lines, or CSV (header row contract_no,from,to,claimed) or NDJSON of lines with ?policy_id=",
        content((ClaimBatchInput = "application/json"), (String = "text/csv"), (String = "application/x-ndjson"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses(
    (status = 201, description = "the reconciled batch", body = BatchView),
    (status = 200, description = "the same batch, submitted before with this Idempotency-Key; or with dry_run, the report as it would be, nothing stored", body = ClaimsAnswer),
    (status = 422, body = super::error::Problem, content_type = "application/problem+json")))]
#[post("/v1/subsidy-claims")]
pub async fn submit_claims(
    state: web::Data<AppState>,
    caller: ClaimantKey,
    req: HttpRequest,
    q: Query<ClaimQuery>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let agency = caller.claimant;
    let (_permit, body) = super::upload::read_all(&state, &req, payload).await?;
    let idempotency_key = req
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let cs = charset(&req);
    let (kind, readable) = uploads::readable(
        &content_type(&req),
        cs.as_deref(),
        q.0.sheet.as_deref(),
        &body,
    )?;
    let (policy_id, lines) = uploads::claim_batch(&kind, &readable, q.0.policy_id)?;
    let batch = NewBatch {
        policy_id,
        lines,
        idempotency_key,
        body_hash: hex::encode(Sha256::digest(&body)),
    };
    if q.0.dry_run.unwrap_or(false) {
        let (b, lines) = service::preview(state.ctx(), &agency, batch).await?;
        return Ok(HttpResponse::Ok().json_line(DryRunReport {
            dry_run: true,
            report: report::report(&b, &lines),
        }));
    }
    let filed = service::submit(state.ctx(), &agency, batch).await?;
    if !filed.created {
        return Ok(HttpResponse::Ok().json_line(BatchView::of(&filed.batch)));
    }
    Ok(HttpResponse::Created()
        .insert_header((
            "location",
            format!("/v1/reconciliations/{}", filed.batch.id),
        ))
        .json_line(BatchView::of(&filed.batch)))
}

async fn visible_batch(
    state: &AppState,
    who: &Principal,
    id: &str,
) -> ApiResult<(BatchRow, Vec<LineRow>)> {
    Ok(service::get(state.ctx(), &who.actor, id).await?)
}

/// An agency's claim batches (the government sees all), newest first.
#[utoipa::path(tag = "guarantees", security(("bearer" = [])), responses((status = 200, description = "batches", body = Items<BatchView>)))]
#[get("/v1/subsidy-claims")]
pub async fn list_claims(state: web::Data<AppState>, who: Principal) -> ApiResult<HttpResponse> {
    let rows = service::list(state.ctx(), &who.actor).await?;
    Ok(HttpResponse::Ok().json_line(Items {
        items: rows.iter().map(BatchView::of).collect(),
    }))
}

/// The reconciliation report: the batch, its totals (the sums of its lines) and every line; with the path
/// ending `.csv`, the lines as CSV.
#[utoipa::path(tag = "guarantees", security(("bearer" = [])), params(("id" = String, Path)), responses((status = 200, description = "the report (`.csv`, `.xlsx`: as a file)", body = Report)))]
#[get("/v1/reconciliations/{id}")]
pub async fn reconciliation(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let internal = |e: &dyn std::fmt::Display| ApiError::Internal(anyhow::anyhow!("{e}"));
    let (bare, kind) = match id.rsplit_once('.') {
        Some((bare, kind @ ("csv" | "xlsx"))) => (bare, kind),
        _ => (id.as_str(), "json"),
    };
    let (b, lines) = visible_batch(&state, &who, bare).await?;
    let (bytes, content_type) = match kind {
        "csv" => (
            report::csv(&lines).map_err(|e| internal(&e))?,
            "text/csv; charset=utf-8",
        ),
        "xlsx" => (
            report::xlsx(&b, &lines).map_err(|e| internal(&e))?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        _ => return Ok(HttpResponse::Ok().json_line(report::report(&b, &lines))),
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"reconciliation-{bare}.{kind}\""),
        ))
        .body(bytes))
}

/// The government approves a reconciled batch: it is reconciled again against everything approved
/// meanwhile (so caps, budget and duplicates hold), and its approved lines then count for later claims.
#[utoipa::path(tag = "guarantees", security(("bearer" = [])), params(("id" = String, Path)), responses((status = 200, description = "approved", body = BatchView)))]
#[post("/v1/subsidy-claims/{id}/approve")]
pub async fn approve(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let b = service::approve(state.ctx(), &who.actor, &id).await?;
    Ok(HttpResponse::Ok().json_line(BatchView::of(&b)))
}

/// The agency withdraws a batch before the government approves it: its status becomes `withdrawn`, its
/// lines and report are kept, and they never count against caps or as duplicates.
#[utoipa::path(tag = "guarantees", security(("bearer" = [])), params(("id" = String, Path)), responses(
    (status = 200, description = "withdrawn", body = BatchView),
    (status = 404, description = "no such batch of this agency's", body = super::error::Problem),
    (status = 409, description = "the batch is approved or paid already", body = super::error::Problem)))]
#[post("/v1/subsidy-claims/{id}/withdraw")]
pub async fn withdraw_batch(
    state: web::Data<AppState>,
    caller: AgencyKey,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let b = service::withdraw(state.ctx(), &caller.who.actor, &id).await?;
    Ok(HttpResponse::Ok().json_line(BatchView::of(&b)))
}

/// The government records that an approved batch was paid.
#[utoipa::path(tag = "guarantees", security(("bearer" = [])), params(("id" = String, Path)), responses((status = 200, description = "paid", body = BatchView)))]
#[post("/v1/subsidy-claims/{id}/paid")]
pub async fn paid(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let b = service::pay(state.ctx(), &who.actor, &id).await?;
    Ok(HttpResponse::Ok().json_line(BatchView::of(&b)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NetAssets {
    /// YYYY-MM-DD: the balance-sheet date.
    pub as_of: String,
    /// Yuan.
    pub net_assets: String,
}

/// The agency reports its net assets on a date (leverage divides by the latest one).
#[utoipa::path(tag = "guarantees", security(("bearer" = [])), params(("id" = String, Path)), responses((status = 201, description = "recorded", body = NetAssetsView)))]
#[post("/v1/guarantors/{id}/net-assets")]
pub async fn report_net_assets(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
    body: Json<NetAssets>,
) -> ApiResult<HttpResponse> {
    let NetAssets { as_of, net_assets } = body.0;
    let view =
        agencies::report_net_assets(state.ctx(), &who.actor, &id, &as_of, &net_assets).await?;
    Ok(HttpResponse::Created().json_line(view))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    /// YYYY-MM-DD, inclusive.
    pub from: String,
    /// YYYY-MM-DD, exclusive.
    pub to: String,
}

/// An agency's figures over `[from, to)` (Art 28): leverage at the end, compensation rate, small and micro
/// share, average fee rate, subsidies approved and paid, with flags (leverage < 5, compensation > 5%).
#[utoipa::path(tag = "guarantees", operation_id = "agency_metrics", security(("bearer" = [])), params(("id" = String, Path), ("from" = String, Query), ("to" = String, Query)),
    responses((status = 200, description = "metrics", body = AgencyMetrics)))]
#[get("/v1/guarantors/{id}/metrics")]
pub async fn metrics(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
    q: Query<Period>,
) -> ApiResult<HttpResponse> {
    let m = agencies::metrics(state.ctx(), &who.actor, &id, &q.0.from, &q.0.to).await?;
    Ok(HttpResponse::Ok().json_line(m))
}

/// An agency's reward under an `agency_reward` policy over `[from, to)`: its eligible guarantees' average
/// balance and the reward on it, with the contracts left out and why.
#[utoipa::path(tag = "guarantees", security(("bearer" = [])), params(("id" = String, Path), ("agency" = String, Path),
    ("from" = String, Query), ("to" = String, Query)), responses((status = 200, description = "the reward", body = RewardView)))]
#[get("/v1/subsidy-policies/{id}/rewards/{agency}")]
pub async fn agency_reward(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<(String, String)>,
    q: Query<Period>,
) -> ApiResult<HttpResponse> {
    let (policy, agency) = path.into_inner();
    let (from, to) = (&q.0.from, &q.0.to);
    let r = agencies::reward(state.ctx(), &who.actor, &policy, &agency, from, to).await?;
    Ok(HttpResponse::Ok().json_line(r))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RewardClaimRequest {
    /// An `agency_reward` policy.
    pub policy_id: String,
    /// YYYY-MM-DD, inclusive.
    pub from: String,
    /// YYYY-MM-DD, exclusive.
    pub to: String,
}

/// The agency claims the reward an agency-reward policy computes for it over `[from, to)`: computed and
/// stored at once; 409 when the period overlaps an earlier claim of its under the policy.
#[utoipa::path(tag = "guarantees", security(("bearer" = [])), responses(
    (status = 201, description = "the claim, with the reward computed", body = RewardClaimView),
    (status = 409, description = "the period overlaps an earlier claim", body = super::error::Problem),
    (status = 422, body = super::error::Problem, content_type = "application/problem+json")))]
#[post("/v1/reward-claims")]
pub async fn claim_reward(
    state: web::Data<AppState>,
    caller: AgencyKey,
    body: Json<RewardClaimRequest>,
) -> ApiResult<HttpResponse> {
    let r = body.0;
    let v = rewards::claim(state.ctx(), &caller.who.actor, &r.policy_id, &r.from, &r.to).await?;
    Ok(HttpResponse::Created().json_line(v))
}

/// Reward claims, newest first: an agency its own, the government side all.
#[utoipa::path(tag = "guarantees", security(("bearer" = [])), responses((status = 200, description = "claims", body = Items<RewardClaimView>)))]
#[get("/v1/reward-claims")]
pub async fn list_reward_claims(
    state: web::Data<AppState>,
    who: Principal,
) -> ApiResult<HttpResponse> {
    let items = rewards::list(state.ctx(), &who.actor).await?;
    Ok(HttpResponse::Ok().json_line(Items { items }))
}

/// The government approves a reward claim (computed again now, and that amount approved), then records
/// its payment.
#[utoipa::path(tag = "guarantees", security(("bearer" = [])), params(("id" = String, Path), ("step" = String, Path, description = "`approve` or `paid`")),
    responses((status = 200, description = "moved", body = RewardClaimView), (status = 409, body = super::error::Problem)))]
#[post("/v1/reward-claims/{id}/{step}")]
pub async fn move_reward_claim(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, step) = path.into_inner();
    let v = match step.as_str() {
        "approve" => rewards::approve(state.ctx(), &who.actor, &id).await?,
        "paid" => rewards::pay(state.ctx(), &who.actor, &id).await?,
        other => {
            return Err(ApiError::NotFound(format!(
                "no step '{other}' of a reward claim: approve or paid"
            )))
        }
    };
    Ok(HttpResponse::Ok().json_line(v))
}
