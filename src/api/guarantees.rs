//! Guarantees and fee subsidies over HTTP (Art 28): agencies register contracts (one JSON object, or a
//! CSV / NDJSON batch where every bad row is named and nothing is stored unless all are good), record
//! releases and calls; the government publishes subsidy policies; agencies submit claim batches
//! (`Idempotency-Key`), which are reconciled line by line; the government approves (reconciling again
//! against everything approved meanwhile) and marks them paid.

use super::auth::{AgencyKey, Principal};
use super::error::{ApiError, ApiResult, FieldError, JsonLine};
use super::extract::parse_uscc;
use super::extract::{
    date_value, page, page_limit, parse_json, positive_money, rfc3339 as ts, Json, Query,
};
use super::{AppState, Items};
use crate::domain::role::Role;
use crate::domain::Money;
use crate::financing::claims::Submitted;
use crate::service::agencies::{self, AgencyMetrics, NetAssetsView, RewardView};
use crate::service::claims::{self as service, NewBatch};
use crate::service::guarantees::Ending;
use crate::service::policies::{self, PolicyView};
use crate::service::reconciliation::{self as report, BatchView, Report};
use crate::store::guarantees::{self as store, BatchRow, GuaranteeRow, LineRow};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Value};
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

/// Rows of a CSV (header row) or NDJSON body as JSON objects of strings, with their line numbers.
fn rows_of(kind: &str, body: &[u8], known: &[&str]) -> ApiResult<Vec<(usize, Value)>> {
    match kind {
        "text/csv" => {
            let mut r = csv::ReaderBuilder::new()
                .trim(csv::Trim::All)
                .from_reader(body);
            let headers = r
                .headers()
                .map_err(|e| ApiError::BadRequest(format!("the CSV header row: {e}")))?
                .clone();
            unknown_columns(&headers, known)?;
            let mut out = Vec::new();
            for (i, rec) in r.records().enumerate() {
                let rec =
                    rec.map_err(|e| ApiError::BadRequest(format!("CSV line {}: {e}", i + 2)))?;
                let obj: serde_json::Map<String, Value> = headers
                    .iter()
                    .zip(rec.iter())
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(h, v)| (h.to_string(), Value::from(v)))
                    .collect();
                out.push((i + 2, Value::Object(obj)));
            }
            Ok(out)
        }
        "application/x-ndjson" => body
            .split(|b| *b == b'\n')
            .enumerate()
            .filter(|(_, l)| !l.iter().all(u8::is_ascii_whitespace))
            .map(|(i, l)| {
                serde_json::from_slice(l)
                    .map(|v| (i + 1, v))
                    .map_err(|e| ApiError::BadRequest(format!("NDJSON line {}: {e}", i + 1)))
            })
            .collect(),
        other => Err(ApiError::UnsupportedMediaType(format!(
            "'{other}': send application/json, text/csv (header row) or application/x-ndjson"
        ))),
    }
}

fn text_field<'a>(v: &'a Value, f: &str) -> Option<&'a str> {
    v.get(f)
        .and_then(|x| x.as_str())
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn need<'a>(v: &'a Value, f: &str, at: &str, errors: &mut Vec<FieldError>) -> Option<&'a str> {
    let got = text_field(v, f);
    if got.is_none() {
        errors.push(match v.get(f) {
            // Amounts and dates travel as strings: a JSON number is not exact, so it is refused as such.
            Some(x) if !x.is_null() && !x.is_string() => FieldError::new(
                format!("{at}{f}"),
                "type",
                format!("{f} must be a string (amounts as decimal strings like \"1234.56\", dates as \"YYYY-MM-DD\"), not {x}"),
            ),
            _ => FieldError::new(format!("{at}{f}"), "required", format!("{f} is required")),
        });
    }
    got
}

fn money_field(v: &Value, f: &str, at: &str, errors: &mut Vec<FieldError>) -> Option<Money> {
    let s = need(v, f, at, errors)?;
    positive_money(&format!("{at}{f}"), f, s, errors)
}

fn date_field(v: &Value, f: &str, at: &str, errors: &mut Vec<FieldError>) -> Option<NaiveDate> {
    let s = need(v, f, at, errors)?;
    date_value(&format!("{at}{f}"), f, s, errors)
}

/// One guarantee contract as it is sent (every value a string; `first_loan` may be a boolean).
/// The names are [`CONTRACT_FIELDS`].
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)] // the wire shape for the document; rows are read field by field to name every fault
pub struct ContractInput {
    /// The agency's own contract number, unique per agency.
    contract_no: String,
    /// The borrower's USCC (registered with the hub).
    #[schema(pattern = r"^[0-9A-HJ-NPQRTUWXY]{18}$")]
    firm_uscc: String,
    /// The lending bank, in words.
    lender: String,
    /// Yuan, decimal string.
    loan_amount: String,
    /// Yuan, decimal string, not above loan_amount.
    guaranteed: String,
    /// Yearly fee rate as a decimal fraction from 0 to 0.1.
    fee_rate: String,
    /// YYYY-MM-DD.
    start_on: String,
    /// YYYY-MM-DD, after start_on (the interval is [start_on, end_on)).
    end_on: String,
    /// Whether the loan is the firm's first (首贷).
    first_loan: Option<bool>,
}

/// The columns of a guarantee contract (JSON fields, CSV header names, NDJSON keys).
const CONTRACT_FIELDS: &[&str] = &[
    "contract_no",
    "firm_uscc",
    "lender",
    "loan_amount",
    "guaranteed",
    "fee_rate",
    "start_on",
    "end_on",
    "first_loan",
];
/// One claim line as it is sent: [`CLAIM_LINE_FIELDS`].
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)] // the wire shape for the document; lines are read field by field to name every fault
pub struct ClaimLineInput {
    /// The agency's contract number.
    contract_no: String,
    /// YYYY-MM-DD: the claimed period is [from, to).
    from: String,
    /// YYYY-MM-DD, after from.
    to: String,
    /// Yuan, decimal string: the subsidy claimed for the period.
    claimed: String,
}

/// A claim batch as JSON.
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ClaimBatchInput {
    /// The fee-subsidy policy claimed under (or `?policy_id=`).
    policy_id: Option<String>,
    lines: Vec<ClaimLineInput>,
}

/// The columns of a claim line.
const CLAIM_LINE_FIELDS: &[&str] = &["contract_no", "from", "to", "claimed"];

/// Every field of `v` that is not one of `known` (a misspelt column would otherwise be dropped silently).
fn unknown_fields(v: &Value, known: &[&str], at: &str, errors: &mut Vec<FieldError>) {
    match v.as_object() {
        Some(o) => errors.extend(o.keys().filter(|k| !known.contains(&k.as_str())).map(|k| {
            FieldError::new(
                format!("{at}{k}"),
                "field.unknown",
                format!("unknown field '{k}'; the fields are {}", known.join(", ")),
            )
        })),
        None => errors.push(FieldError::new(
            match at.trim_end_matches([' ', ':']) {
                "" => "body",
                line => line,
            },
            "type",
            format!("expected an object with the fields {}", known.join(", ")),
        )),
    }
}

/// A CSV header row naming a column that is not one of `known`: refused by its name.
fn unknown_columns(headers: &csv::StringRecord, known: &[&str]) -> ApiResult<()> {
    let errors: Vec<FieldError> = headers
        .iter()
        .filter(|h| !known.contains(h))
        .map(|h| {
            FieldError::new(
                format!("line 1: {h}"),
                "column.unknown",
                format!("unknown column '{h}'; the columns are {}", known.join(", ")),
            )
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::fields(errors))
    }
}

/// One contract from a JSON object of strings; every fault added to `errors` under `at` (`rows[3].`).
fn contract_row(
    at_time: chrono::NaiveDateTime,
    v: &Value,
    agency: &str,
    at: &str,
    errors: &mut Vec<FieldError>,
) -> Option<GuaranteeRow> {
    let before = errors.len();
    unknown_fields(v, CONTRACT_FIELDS, at, errors);
    let no = need(v, "contract_no", at, errors).map(str::to_string);
    let firm = need(v, "firm_uscc", at, errors).and_then(|u| {
        match parse_uscc(&format!("{at}firm_uscc"), u) {
            Ok(u) => Some(u.to_string()),
            Err(ApiError::Validation { errors: e, .. }) => {
                errors.extend(e);
                None
            }
            Err(_) => None,
        }
    });
    let lender = need(v, "lender", at, errors).map(str::to_string);
    let loan = money_field(v, "loan_amount", at, errors);
    let g = money_field(v, "guaranteed", at, errors);
    let fee = need(v, "fee_rate", at, errors).and_then(|s| match s.parse::<Decimal>() {
        Ok(d) if d >= Decimal::ZERO && d <= Decimal::new(1, 1) => Some(d),
        _ => {
            errors.push(FieldError::new(
                format!("{at}fee_rate"),
                "rate.range",
                format!("fee_rate '{s}' must be a decimal fraction from 0 to 0.1"),
            ));
            None
        }
    });
    let start = date_field(v, "start_on", at, errors);
    let end = date_field(v, "end_on", at, errors);
    if let (Some(s), Some(e)) = (start, end) {
        if e <= s {
            errors.push(FieldError::new(
                format!("{at}end_on"),
                "range.order",
                "end_on must be after start_on (the interval is [start_on, end_on))",
            ));
        }
    }
    if let (Some(l), Some(g)) = (loan, g) {
        if g > l {
            errors.push(FieldError::new(
                format!("{at}guaranteed"),
                "range.order",
                "guaranteed is above loan_amount",
            ));
        }
    }
    let first_loan = match v.get("first_loan") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) if s == "true" || s == "false" => s == "true",
        Some(other) => {
            errors.push(FieldError::new(
                format!("{at}first_loan"),
                "type",
                format!("first_loan must be true or false, not {other}"),
            ));
            false
        }
    };
    if errors.len() > before {
        return None;
    }
    Some(GuaranteeRow {
        id: uuid::Uuid::now_v7().to_string(),
        agency_id: agency.to_string(),
        contract_no: no?,
        firm_uscc: firm?,
        lender: lender?,
        loan_amount_fen: loan?.fen(),
        guaranteed_fen: g?.fen(),
        fee_rate: fee?.normalize().to_string(),
        start_on: start?,
        end_on: end?,
        released_on: None,
        called_on: None,
        compensation_fen: None,
        application_id: None,
        first_loan,
        created_at: at_time,
    })
}

pub fn guarantee_view(g: &GuaranteeRow) -> Value {
    json!({
        "id": g.id,
        "agency_id": g.agency_id,
        "contract_no": g.contract_no,
        "firm_uscc": g.firm_uscc,
        "lender": g.lender,
        "loan_amount": Money::from_fen(g.loan_amount_fen),
        "guaranteed": Money::from_fen(g.guaranteed_fen),
        "fee_rate": g.fee_rate,
        "start_on": g.start_on,
        "end_on": g.end_on,
        "released_on": g.released_on,
        "called_on": g.called_on,
        "compensation": g.compensation_fen.map(Money::from_fen),
        "application_id": g.application_id,
        "first_loan": g.first_loan,
        "created_at": ts(g.created_at),
    })
}

/// Register guarantee contracts: one JSON object, or a CSV / NDJSON batch (columns `contract_no,
/// firm_uscc, lender, loan_amount, guaranteed, fee_rate, start_on, end_on, first_loan`). A batch with any
/// bad row stores nothing and names every bad row.
#[utoipa::path(tag = "guarantees", security(("bearer" = [])),
    request_body(description = "one contract as JSON, or a batch: CSV with a header row of these names, or NDJSON of such objects",
        content((ContractInput = "application/json"), (String = "text/csv"), (String = "application/x-ndjson"))),
    responses(
    (status = 201, description = "the contract, or the batch's count"),
    (status = 422, body = super::error::Problem, content_type = "application/problem+json")))]
#[post("/v1/guarantees")]
pub async fn create_guarantees(
    state: web::Data<AppState>,
    caller: AgencyKey,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let agency = caller.agency;
    let kind = content_type(&req);
    let (_permit, body) = super::upload::read_all(&state, &req, payload).await?;
    let single = kind == "application/json";
    let rows: Vec<(usize, Value)> = if single {
        vec![(0, parse_json::<Value>(&body)?)]
    } else {
        rows_of(&kind, &body, CONTRACT_FIELDS)?
    };
    if rows.is_empty() {
        return Err(ApiError::field(
            "body",
            "batch.empty",
            "the batch has no rows",
        ));
    }
    let mut errors = Vec::new();
    let mut good = Vec::new();
    for (line, v) in &rows {
        let at = if single {
            String::new()
        } else {
            format!("line {line}: ")
        };
        if let Some(g) = contract_row(state.clock.now(), v, &agency, &at, &mut errors) {
            good.push(g);
        }
    }
    let mut seen = std::collections::HashSet::new();
    for (g, (line, _)) in good.iter().zip(&rows) {
        if !seen.insert(g.contract_no.clone()) {
            errors.push(FieldError::new(
                format!("line {line}: contract_no"),
                "contract.duplicate",
                format!("contract_no {} appears twice in the batch", g.contract_no),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    crate::service::guarantees::register(&state.ctx(), &agency, good.clone()).await?;
    if single {
        Ok(HttpResponse::Created().json_line(guarantee_view(&good[0])))
    } else {
        Ok(HttpResponse::Created().json_line(json!({ "created": good.len() })))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// An agency's contracts (the government sees all).
#[utoipa::path(tag = "guarantees", security(("bearer" = [])), responses((status = 200, description = "contracts")))]
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
    let agency = who.only_agency();
    let rows = state
        .db
        .run(move |c| store::list(c, agency.as_deref(), after.as_deref(), limit + 1))
        .await?;
    let (rows, next_cursor) = page(rows, limit, "guarantees", |g| &g.id);
    Ok(HttpResponse::Ok().json_line(json!({
        "items": rows.iter().map(guarantee_view).collect::<Vec<_>>(),
        "next_cursor": next_cursor,
    })))
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
    let on = date_field(&json!({"on": r.on}), "on", "", &mut errors);
    let comp = match (is_call, r.compensation.as_deref()) {
        (true, Some(s)) => {
            money_field(&json!({"compensation": s}), "compensation", "", &mut errors)
        }
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
    let g = crate::service::guarantees::end_early(&state.ctx(), agency, id, on, ending).await?;
    Ok(HttpResponse::Ok().json_line(guarantee_view(&g)))
}

/// The loan was repaid early: the guarantee is released on `on`.
#[utoipa::path(tag = "guarantees", security(("bearer" = [])), params(("id" = String, Path)), responses((status = 200, description = "released")))]
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
#[utoipa::path(tag = "guarantees", security(("bearer" = [])), params(("id" = String, Path)), responses((status = 200, description = "called")))]
#[post("/v1/guarantees/{id}/call")]
pub async fn call_guarantee(
    state: web::Data<AppState>,
    caller: AgencyKey,
    id: web::Path<String>,
    body: Json<EndRequest>,
) -> ApiResult<HttpResponse> {
    end_early(&state, &caller.agency, &id, body.0, true).await
}

/// The government publishes a fee-subsidy policy: window (by contract start), eligibility rules (the
/// matching rule types), `max_fee_rate`, `max_guaranteed`, formula (`share_of_fee` with `share`, or
/// `rate_points` with `rate`), caps per contract and per firm per year, budget.
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
    let view = policies::publish(&state.ctx(), &who.actor, spec, faults).await?;
    Ok(HttpResponse::Created().json_line(view))
}

/// Every policy (any key: agencies claim under them).
#[utoipa::path(tag = "guarantees", security(("bearer" = [])), responses((status = 200, description = "policies", body = Items<PolicyView>)))]
#[get("/v1/subsidy-policies")]
pub async fn list_policies(state: web::Data<AppState>, _who: Principal) -> ApiResult<HttpResponse> {
    let items = policies::list(&state.ctx()).await?;
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
    Ok(HttpResponse::Ok().json_line(policies::get(&state.ctx(), &id).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimQuery {
    /// The policy claimed under (CSV and NDJSON bodies; a JSON body may name it instead).
    pub policy_id: Option<String>,
}

/// Claim lines from CSV (`contract_no,from,to,claimed`, header row), every bad cell named by its line.
fn csv_claim_lines(body: &[u8], errors: &mut Vec<FieldError>) -> ApiResult<Vec<Submitted>> {
    let mut r = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(body);
    let headers = r
        .headers()
        .map_err(|e| ApiError::BadRequest(format!("the CSV header row: {e}")))?
        .clone();
    unknown_columns(&headers, CLAIM_LINE_FIELDS)?;
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (Some(ci), Some(fi), Some(ti), Some(ki)) =
        (col("contract_no"), col("from"), col("to"), col("claimed"))
    else {
        return Err(ApiError::field(
            "body",
            "csv.columns",
            "the header row needs the columns contract_no, from, to, claimed",
        ));
    };
    let mut rec = csv::StringRecord::new();
    let mut out = Vec::new();
    let mut n = 0;
    loop {
        match r.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(ApiError::BadRequest(format!("CSV: {e}"))),
        }
        n += 1;
        let line = rec.position().map_or(n + 1, |p| p.line() as usize);
        let get = |i: usize| rec.get(i).unwrap_or("");
        let before = errors.len();
        let no = get(ci);
        if no.is_empty() {
            errors.push(FieldError::new(
                format!("line {line}: contract_no"),
                "required",
                "contract_no is required",
            ));
        }
        let date = |i: usize, f: &str, errors: &mut Vec<FieldError>| {
            get(i)
                .parse::<NaiveDate>()
                .map_err(|_| {
                    errors.push(FieldError::new(
                        format!("line {line}: {f}"),
                        "date.format",
                        format!("{f} '{}' is not a date YYYY-MM-DD", get(i)),
                    ))
                })
                .ok()
        };
        let from = date(fi, "from", errors);
        let to = date(ti, "to", errors);
        let claimed = Money::parse_non_negative(get(ki))
            .map_err(|e| {
                errors.push(FieldError::new(
                    format!("line {line}: claimed"),
                    e.rule(),
                    format!("claimed '{}' {e}", get(ki)),
                ))
            })
            .ok();
        if let (Some(f), Some(t)) = (from, to) {
            if t <= f {
                errors.push(FieldError::new(
                    format!("line {line}: to"),
                    "range.order",
                    "to must be after from (the period is [from, to))",
                ));
            }
        }
        if errors.len() == before {
            if let (Some(from), Some(to), Some(claimed)) = (from, to, claimed) {
                out.push(Submitted {
                    line_no: n,
                    contract_no: no.to_string(),
                    from,
                    to,
                    claimed,
                });
            }
        }
        if errors.len() > 1000 {
            errors.push(FieldError::new(
                "body",
                "errors.too_many",
                "more than 1,000 faults; fix these and send the batch again",
            ));
            break;
        }
    }
    Ok(out)
}

fn parse_lines(rows: &[(usize, Value)], errors: &mut Vec<FieldError>) -> Vec<Submitted> {
    let mut out = Vec::new();
    for (n, (line, v)) in rows.iter().enumerate() {
        let at = format!("line {line}: ");
        let before = errors.len();
        unknown_fields(v, CLAIM_LINE_FIELDS, &at, errors);
        let no = need(v, "contract_no", &at, errors).map(str::to_string);
        let from = date_field(v, "from", &at, errors);
        let to = date_field(v, "to", &at, errors);
        let claimed =
            need(v, "claimed", &at, errors).and_then(|s| match Money::parse_non_negative(s) {
                Ok(m) => Some(m),
                Err(e) => {
                    errors.push(FieldError::new(
                        format!("{at}claimed"),
                        e.rule(),
                        format!("claimed '{s}' {e}"),
                    ));
                    None
                }
            });
        if let (Some(f), Some(t)) = (from, to) {
            if t <= f {
                errors.push(FieldError::new(
                    format!("{at}to"),
                    "range.order",
                    "to must be after from (the period is [from, to))",
                ));
            }
        }
        if errors.len() == before {
            if let (Some(contract_no), Some(from), Some(to), Some(claimed)) =
                (no, from, to, claimed)
            {
                out.push(Submitted {
                    line_no: n + 1,
                    contract_no,
                    from,
                    to,
                    claimed,
                });
            }
        }
    }
    out
}

/// Submit a claim batch under a policy: CSV (`contract_no,from,to,claimed`) or NDJSON with `?policy_id=`,
/// or JSON `{"policy_id", "lines": [...]}`. With `Idempotency-Key`, the same batch again is the same batch
/// (200); the same key with another body is a 409. Reconciled at once; the report is in the answer.
#[utoipa::path(tag = "guarantees", security(("bearer" = [])), params(("policy_id" = Option<String>, Query)),
    request_body(description = "JSON with policy_id and lines, or CSV (header row contract_no,from,to,claimed) or NDJSON of lines with ?policy_id=",
        content((ClaimBatchInput = "application/json"), (String = "text/csv"), (String = "application/x-ndjson"))),
    responses(
    (status = 201, description = "the reconciled batch"),
    (status = 200, description = "the same batch, submitted before with this Idempotency-Key"),
    (status = 422, body = super::error::Problem, content_type = "application/problem+json")))]
#[post("/v1/subsidy-claims")]
pub async fn submit_claims(
    state: web::Data<AppState>,
    caller: AgencyKey,
    req: HttpRequest,
    q: Query<ClaimQuery>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let agency = caller.agency;
    let (_permit, body) = super::upload::read_all(&state, &req, payload).await?;
    let idempotency_key = req
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let (policy_id, lines) = claim_batch(&content_type(&req), &body, q.0.policy_id)?;
    let batch = NewBatch {
        policy_id,
        lines,
        idempotency_key,
        body_hash: hex::encode(Sha256::digest(&body)),
    };
    let filed = service::submit(&state.ctx(), &agency, batch).await?;
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

/// A claim batch's policy and lines from its body: JSON `{"policy_id", "lines"}`, or CSV / NDJSON lines
/// with `?policy_id=`; every fault named at once.
fn claim_batch(
    kind: &str,
    body: &[u8],
    query_policy: Option<String>,
) -> ApiResult<(String, Vec<Submitted>)> {
    let mut errors = Vec::new();
    let (policy_id, lines) = match kind {
        "application/json" => {
            let v: Value = parse_json(body)?;
            unknown_fields(&v, &["policy_id", "lines"], "", &mut errors);
            let pid = text_field(&v, "policy_id")
                .map(str::to_string)
                .or(query_policy);
            let rows: Vec<(usize, Value)> = v
                .get("lines")
                .and_then(|l| l.as_array())
                .ok_or_else(|| ApiError::field("lines", "required", "lines: the claim lines"))?
                .iter()
                .enumerate()
                .map(|(i, l)| (i + 1, l.clone()))
                .collect();
            (pid, parse_lines(&rows, &mut errors))
        }
        // The large batches come as CSV: read straight into claim lines.
        "text/csv" => (query_policy, csv_claim_lines(body, &mut errors)?),
        _ => (
            query_policy,
            parse_lines(&rows_of(kind, body, CLAIM_LINE_FIELDS)?, &mut errors),
        ),
    };
    let policy_id = policy_id.ok_or_else(|| {
        ApiError::field(
            "policy_id",
            "required",
            "policy_id: the policy claimed under",
        )
    })?;
    // An empty batch is refused by `service::claims::submit`.
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    Ok((policy_id, lines))
}

async fn visible_batch(
    state: &AppState,
    who: &Principal,
    id: &str,
) -> ApiResult<(BatchRow, Vec<LineRow>)> {
    Ok(service::get(&state.ctx(), &who.actor, id).await?)
}

/// An agency's claim batches (the government sees all), newest first.
#[utoipa::path(tag = "guarantees", security(("bearer" = [])), responses((status = 200, description = "batches", body = Items<BatchView>)))]
#[get("/v1/subsidy-claims")]
pub async fn list_claims(state: web::Data<AppState>, who: Principal) -> ApiResult<HttpResponse> {
    let rows = service::list(&state.ctx(), &who.actor).await?;
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
    let b = service::approve(&state.ctx(), &who.actor, &id).await?;
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
    let b = service::pay(&state.ctx(), &who.actor, &id).await?;
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
        agencies::report_net_assets(&state.ctx(), &who.actor, &id, &as_of, &net_assets).await?;
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
    let m = agencies::metrics(&state.ctx(), &who.actor, &id, &q.0.from, &q.0.to).await?;
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
    let r = agencies::reward(&state.ctx(), &who.actor, &policy, &agency, from, to).await?;
    Ok(HttpResponse::Ok().json_line(r))
}

#[cfg(test)]
mod contract_tests {
    use super::*;
    use utoipa::openapi::{schema::Schema, RefOr};

    fn properties<T: utoipa::PartialSchema>() -> Vec<String> {
        match T::schema() {
            RefOr::T(Schema::Object(o)) => o.properties.keys().cloned().collect(),
            _ => panic!("not an object schema"),
        }
    }

    #[test]
    fn documented_fields_are_the_fields_read() {
        let mut fields: Vec<String> = CONTRACT_FIELDS.iter().map(|f| f.to_string()).collect();
        fields.sort();
        let mut documented = properties::<ContractInput>();
        documented.sort();
        assert_eq!(documented, fields);
        let mut fields: Vec<String> = CLAIM_LINE_FIELDS.iter().map(|f| f.to_string()).collect();
        fields.sort();
        let mut documented = properties::<ClaimLineInput>();
        documented.sort();
        assert_eq!(documented, fields);
    }

    #[test]
    fn unknown_fields_are_named() {
        let mut errors = Vec::new();
        unknown_fields(
            &json!({"contract_no": "G-1", "colour": "blue"}),
            CONTRACT_FIELDS,
            "line 2: ",
            &mut errors,
        );
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "line 2: colour");
        assert_eq!(errors[0].rule, "field.unknown");
    }
}
