//! A guarantee agency's back office (Art 28, issue 17): its contracts (search, filter by where they stand,
//! record a release or a call), the ledger upload (CSV in UTF-8 or GBK, XLSX, NDJSON; every fault of the
//! file at once, nothing stored unless every row is good, the faults as a workbook beside the agency's own
//! rows; a dry run), its claim batches (upload under a policy, reconciled at once; see `claims`), and its
//! own figures by quarter (`figures`).

use super::claims::{self, Names};
use super::figures;
use super::layout::{see_other, FieldErrors, T};
use super::session::{AgencyStaff, BankStaff, Staff};
use super::upload::{self, Received, UploadForm};
use crate::api::AppState;
use crate::domain::subsidy::Formula;
use crate::service::claims::NewBatch;
use crate::service::guarantees::{self, Ending};
use crate::service::{uploads, Claimant, ServiceError, Violation};
use crate::store::guarantees::{ContractFilter, ContractState};
use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use sha2::{Digest, Sha256};

const PAGE: i64 = 50;

#[derive(Debug, Default, serde::Deserialize)]
pub struct ContractQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub status: String,
    pub after: Option<String>,
}

/// The agency's contracts, 50 a page: search by contract number or borrower USCC, filter by status.
#[get("/agency/contracts")]
pub async fn contracts(
    state: web::Data<AppState>,
    s: AgencyStaff,
    q: web::Query<ContractQuery>,
) -> actix_web::Result<HttpResponse> {
    let t = &s.t;
    let q = q.into_inner();
    let today = state.clock.today();
    let filter = ContractFilter {
        text: Some(q.q.trim().to_uppercase()).filter(|x| !x.is_empty()),
        state: ContractState::parse(&q.status).map(|c| (c, today)),
    };
    let (items, more) =
        match guarantees::list(state.ctx(), &s.actor, filter, q.after.clone(), PAGE).await {
            Ok(x) => x,
            Err(e) => return s.refusal(e),
        };
    let next = more
        .then(|| items.last().map(|g| g.id.clone()))
        .flatten()
        .map(|last| {
            let mut u = form_urlencoded::Serializer::new(String::new());
            u.append_pair("q", &q.q)
                .append_pair("status", &q.status)
                .append_pair("after", &last);
            format!("/agency/contracts?{}", u.finish())
        });
    let body = html! {
        div.card {
            h1 { (t.t("contracts-title")) }
            p { (t.t("contracts-intro")) " " a href="/agency/contracts/upload" { (t.t("contracts-upload-link")) } }
            form.filters method="get" action="/agency/contracts" {
                div.field {
                    label for="q" { (t.t("contracts-search")) }
                    input id="q" name="q" type="search" value=(q.q);
                }
                div.field {
                    label for="status" { (t.t("contracts-status")) }
                    select id="status" name="status" {
                        option value="" selected[q.status.is_empty()] { (t.t("status-all")) }
                        @for c in ContractState::ALL {
                            option value=(c.as_str()) selected[q.status == c.as_str()] { (t.code("contract", c.as_str())) }
                        }
                    }
                }
                button type="submit" { (t.t("filter")) }
            }
        }
        div.card {
            @if items.is_empty() { p.notice { (t.t("contracts-none")) } }
            @else {
                div.scroll tabindex="0" {
                    table {
                        caption { (t.t("contracts-caption")) }
                        thead { tr {
                            th scope="col" { (t.t("contract-no")) }
                            th scope="col" { (t.t("uscc")) }
                            th scope="col" { (t.t("contract-lender")) }
                            th scope="col" .num { (t.t("contract-guaranteed")) }
                            th scope="col" .num { (t.t("contract-fee-rate")) }
                            th scope="col" { (t.t("contract-term")) }
                            th scope="col" { (t.t("contracts-status")) }
                            th scope="col" { (t.t("contract-events")) }
                        } }
                        tbody {
                            @for g in &items {
                                @let st = ContractState::of(g.called_on, g.released_on, g.end_on, today);
                                tr {
                                    td.mono { (g.contract_no) }
                                    td.mono { (g.firm_uscc) }
                                    td { (g.lender) }
                                    td.num { (t.money(g.guaranteed)) }
                                    td.num { (g.fee_rate.parse::<rust_decimal::Decimal>().map(|r| t.percent(r)).unwrap_or_else(|_| g.fee_rate.clone())) }
                                    td { (t.date(g.start_on)) " – " (t.date(g.end_on)) }
                                    td { span class={ "pill " (st.as_str()) } { (t.code("contract", st.as_str())) } }
                                    td { (events(t, &s.who.csrf, g, st)) }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(n) = next { p { a href=(n) { (t.t("next-page")) } } }
        }
    };
    Ok(s.page(&t.t("contracts-title"), "/agency/contracts", body))
}

/// A contract's release or call as recorded, or (running) the forms that record one.
fn events(t: &T, csrf: &str, g: &guarantees::GuaranteeView, st: ContractState) -> Markup {
    html! {
        @if let Some(d) = g.released_on { (t.with("contract-released-on", &[("date", t.date(d))])) }
        @if let Some(d) = g.called_on {
            (t.with("contract-called-on", &[("date", t.date(d)), ("amount", g.compensation.map(|m| t.money(m)).unwrap_or_default())]))
        }
        @if st == ContractState::Active {
            details {
                summary { (t.t("contract-record")) }
                form method="post" action={ "/agency/contracts/" (g.id) "/release" } {
                    input type="hidden" name="csrf" value=(csrf);
                    label for={ "rel-" (g.id) } { (t.t("contract-release-on")) }
                    input id={ "rel-" (g.id) } name="on" type="date" required;
                    button.secondary type="submit" { (t.t("contract-release")) }
                }
                form method="post" action={ "/agency/contracts/" (g.id) "/call" } {
                    input type="hidden" name="csrf" value=(csrf);
                    label for={ "call-" (g.id) } { (t.t("contract-call-on")) }
                    input id={ "call-" (g.id) } name="on" type="date" required;
                    label for={ "comp-" (g.id) } { (t.t("contract-compensation")) }
                    input id={ "comp-" (g.id) } name="compensation" inputmode="decimal" required;
                    button.secondary type="submit" { (t.t("contract-call")) }
                }
            }
        }
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct EndForm {
    pub csrf: String,
    pub on: String,
    pub compensation: Option<String>,
}

/// Record that a contract was released (repaid early) or called (compensation paid).
#[post("/agency/contracts/{id}/{how}")]
pub async fn end_contract(
    state: web::Data<AppState>,
    s: AgencyStaff,
    path: web::Path<(String, String)>,
    f: web::Form<EndForm>,
) -> actix_web::Result<HttpResponse> {
    let agency = s.agency.clone();
    if let Some(r) = s.forged(&f.csrf) {
        return Ok(r);
    }
    let (id, how) = path.into_inner();
    let mut faults = Vec::new();
    let on =
        f.on.trim()
            .parse::<chrono::NaiveDate>()
            .map_err(|_| faults.push(Violation::new("on", "date.format", "a date YYYY-MM-DD")))
            .ok();
    let ending = match how.as_str() {
        "release" => Some(Ending::Release),
        "call" => crate::service::positive_money(
            "compensation",
            "compensation",
            f.compensation.as_deref().unwrap_or(""),
        )
        .map(Ending::Call)
        .map_err(|v| faults.push(v))
        .ok(),
        _ => return Ok(HttpResponse::NotFound().finish()),
    };
    let (Some(on), Some(ending), true) = (on, ending, faults.is_empty()) else {
        return s.refusal(ServiceError::Invalid(faults));
    };
    match guarantees::end_early(state.ctx(), &agency, &id, on, ending).await {
        Ok(g) => Ok(see_other(&format!(
            "/agency/contracts?q={}",
            form_urlencoded::byte_serialize(g.contract_no.as_bytes()).collect::<String>()
        ))),
        Err(e) => s.refusal(e),
    }
}

/// The fields every upload form has: the file, its encoding (detected unless chosen), the sheet of a
/// workbook, and a dry run.
fn file_fields(t: &T, errors: &FieldErrors, form: Option<&UploadForm>) -> Markup {
    let charset = form.map_or("auto", |f| f.field("charset"));
    let sheet = form.map_or("", |f| f.field("sheet"));
    let dry = form.is_some_and(|f| f.ticked("dry_run"));
    let err = errors.get("file");
    html! {
        div.field {
            label for="file" { (t.t("upload-file")) }
            input id="file" name="file" type="file" accept=".xlsx,.csv,.txt,.ndjson,.jsonl,.json" required
                aria-invalid=[err.as_ref().map(|_| "true")] aria-describedby=[err.as_ref().map(|_| "file-error")];
            p.help { (t.t("upload-file-hint")) }
            @if let Some(e) = &err { p.error id="file-error" role="alert" { (e) } }
        }
        div.field {
            label for="charset" { (t.t("upload-charset")) }
            select id="charset" name="charset" {
                @for (v, k) in [("auto", "charset-auto"), ("utf-8", "charset-utf8"), ("gbk", "charset-gbk")] {
                    option value=(v) selected[charset == v] { (t.t(k)) }
                }
            }
        }
        div.field {
            label for="sheet" { (t.t("upload-sheet")) }
            input id="sheet" name="sheet" value=(sheet);
            p.help { (t.t("upload-sheet-hint")) }
        }
        div.field.check {
            input id="dry_run" name="dry_run" type="checkbox" value="1" checked[dry];
            label for="dry_run" { (t.t("upload-dry-run")) }
        }
    }
}

/// What came of reading a form's file: the readable body and its kind, or the faults to show.
enum Read {
    Ok {
        kind: String,
        body: Vec<u8>,
        raw_hash: String,
    },
    Refused(FieldErrors, Option<Vec<Violation>>),
}

/// The form's file as the readers take it (an XLSX sheet as CSV, CSV text as UTF-8).
fn readable(t: &T, form: &UploadForm) -> Read {
    let file_error = |m: String| Read::Refused(FieldErrors(vec![("file".into(), m)]), None);
    let Some(file) = &form.file else {
        return file_error(t.t("upload-no-file"));
    };
    let Some(kind) = file.kind() else {
        return file_error(t.with("upload-kind", &[("name", file.filename.clone())]));
    };
    match uploads::readable(kind, form.charset(), form.sheet(), &file.bytes) {
        Ok((kind, body)) => Read::Ok {
            kind,
            body: body.into_owned(),
            raw_hash: hex::encode(Sha256::digest(&file.bytes)),
        },
        Err(uploads::UploadError::Invalid(v)) => Read::Refused(FieldErrors::default(), Some(v)),
        Err(e) => file_error(e.to_string()),
    }
}

/// The workbook of a table's faults beside its own rows (not for NDJSON or JSON).
fn fault_book(kind: &str, body: &[u8], v: &[Violation]) -> Option<Vec<u8>> {
    (kind == "text/csv")
        .then(|| crate::service::spreadsheet::fault_report(body, v).ok())
        .flatten()
}

#[get("/agency/contracts/upload")]
pub async fn upload_form(s: AgencyStaff) -> actix_web::Result<HttpResponse> {
    Ok(render_upload(
        &s,
        &FieldErrors::default(),
        None,
        html! {},
        StatusCode::OK,
    ))
}

fn render_upload(
    s: &Staff,
    errors: &FieldErrors,
    form: Option<&UploadForm>,
    outcome: Markup,
    status: StatusCode,
) -> HttpResponse {
    let t = &s.t;
    let body = html! {
        div.card {
            h1 { (t.t("upload-contracts-title")) }
            p { (t.t("upload-contracts-intro")) }
            details {
                summary { (t.t("upload-columns")) }
                p { (t.t("upload-contract-columns")) }
            }
            form method="post" action="/agency/contracts/upload" enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(s.who.csrf);
                (file_fields(t, errors, form))
                button type="submit" { (t.t("upload-send")) }
            }
        }
        (outcome)
    };
    super::layout::with_status(
        s.page(
            &t.t("upload-contracts-title"),
            "/agency/contracts/upload",
            body,
        ),
        status,
    )
}

/// Register the contracts of a ledger: every fault of the file at once, or (a dry run) only the check.
#[post("/agency/contracts/upload")]
pub async fn upload_contracts(
    state: web::Data<AppState>,
    s: AgencyStaff,
    req: HttpRequest,
    payload: Multipart,
) -> actix_web::Result<HttpResponse> {
    let agency = s.agency.clone();
    let t = &s.t;
    let (_permit, form) = match upload::receive(&state, &req, payload, &s).await {
        Received::Form(permit, form) => (permit, form),
        Received::Refused(errors, status) => {
            return Ok(render_upload(&s, &errors, None, html! {}, status))
        }
        Received::Forged(page) => return Ok(page),
    };
    let (kind, body) = match readable(t, &form) {
        Read::Ok { kind, body, .. } => (kind, body),
        Read::Refused(errors, faults) => {
            let shown = faults.map_or(html! {}, |v| claims::faults(t, &v, None));
            return Ok(render_upload(
                &s,
                &errors,
                Some(&form),
                shown,
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
    };
    let dry_run = form.ticked("dry_run");
    let registered = match uploads::contracts(&kind, &body, &agency, state.clock.now()) {
        Ok(upload) => guarantees::register_upload(state.ctx(), &agency, upload, dry_run)
            .await
            .map_err(ServiceError::from),
        Err(e) => Err(ServiceError::from(e)),
    };
    let (outcome, status) = match registered {
        Ok(n) if dry_run => (
            html! { div.card { p.notice role="status" #outcome { (t.with("upload-dry-ok", &[("count", n.to_string())])) } } },
            StatusCode::OK,
        ),
        Ok(n) => (
            html! { div.card { p.notice role="status" #outcome { (t.with("upload-contracts-ok", &[("count", n.to_string())])) " " a href="/agency/contracts" { (t.t("nav-agency-contracts")) } } } },
            StatusCode::OK,
        ),
        Err(ServiceError::Invalid(v)) => (
            claims::faults(t, &v, fault_book(&kind, &body, &v).as_deref()),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(ServiceError::Unreadable(m) | ServiceError::Unsupported(m)) => {
            let errors = FieldErrors(vec![("file".into(), m)]);
            return Ok(render_upload(
                &s,
                &errors,
                Some(&form),
                html! {},
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
        Err(e) => return s.refusal(e),
    };
    Ok(render_upload(
        &s,
        &FieldErrors::default(),
        Some(&form),
        outcome,
        status,
    ))
}

/// The agency's claim batches, newest first, and the form to file one.
#[get("/agency/batches")]
pub async fn batches(
    state: web::Data<AppState>,
    s: AgencyStaff,
) -> actix_web::Result<HttpResponse> {
    render_batches(
        &state,
        &s,
        &FieldErrors::default(),
        None,
        html! {},
        StatusCode::OK,
    )
    .await
}

async fn render_batches(
    state: &AppState,
    s: &Staff,
    errors: &FieldErrors,
    form: Option<&UploadForm>,
    outcome: Markup,
    status: StatusCode,
) -> actix_web::Result<HttpResponse> {
    let t = &s.t;
    let rows = match crate::service::claims::list(state.ctx(), &s.actor).await {
        Ok(r) => r,
        Err(e) => return s.refusal(e),
    };
    let names = Names::load(state).await?;
    // A bank claims interest subsidies on its loans, an agency fee subsidies on its contracts.
    let bank = matches!(s.actor.claimant(), Some(Claimant::Bank(_)));
    let path = if bank {
        BANK_BATCHES
    } else {
        "/agency/batches"
    };
    let policies: Vec<_> = crate::service::policies::list(state.ctx())
        .await
        .map_err(|e| super::layout::unavailable(ServiceError::from(e)))?
        .into_iter()
        .filter(|p| !matches!(p.spec.formula, Formula::AgencyReward { .. }))
        .filter(|p| p.spec.formula.on_loans() == bank)
        .collect();
    let chosen = form.map_or("", |f| f.field("policy_id"));
    let perr = errors.get("policy_id");
    // A fresh key per form shown: a form sent twice files one batch.
    let key = crate::service::accounts::new_secret();
    let body = html! {
        div.card {
            h1 { (t.t("batches-title")) }
            p { (t.t(if bank { "batches-intro-bank" } else { "batches-intro" })) }
            form method="post" action=(path) enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(s.who.csrf);
                input type="hidden" name="idempotency_key" value=(form.map_or(key.as_str(), |f| f.field("idempotency_key")));
                div.field {
                    label for="policy_id" { (t.t("batch-policy")) }
                    select id="policy_id" name="policy_id" required
                        aria-invalid=[perr.as_ref().map(|_| "true")] aria-describedby=[perr.as_ref().map(|_| "policy_id-error")] {
                        @for p in &policies {
                            option value=(p.id) selected[chosen == p.id] { (p.spec.name) }
                        }
                    }
                    @if let Some(e) = &perr { p.error id="policy_id-error" role="alert" { (e) } }
                }
                details {
                    summary { (t.t("upload-columns")) }
                    p { (t.t(if bank { "upload-interest-claim-columns" } else { "upload-claim-columns" })) }
                }
                (file_fields(t, errors, form))
                button type="submit" { (t.t("upload-send")) }
            }
        }
        (outcome)
        div.card {
            h2 { (t.t("batches-list")) }
            @if rows.is_empty() { p.notice { (t.t("batches-none")) } }
            @else { (claims::batch_table(t, &rows, &names, false)) }
        }
    };
    Ok(super::layout::with_status(
        s.page(&t.t("batches-title"), path, body),
        status,
    ))
}

/// The bank's interest-subsidy claims page (issue 20 §1): the same batches, reconciled the same way.
pub const BANK_BATCHES: &str = "/bank/subsidy-claims";

#[get("/bank/subsidy-claims")]
pub async fn bank_batches(
    state: web::Data<AppState>,
    s: BankStaff,
) -> actix_web::Result<HttpResponse> {
    render_batches(
        &state,
        &s,
        &FieldErrors::default(),
        None,
        html! {},
        StatusCode::OK,
    )
    .await
}

#[post("/bank/subsidy-claims")]
pub async fn bank_file_batch(
    state: web::Data<AppState>,
    s: BankStaff,
    req: HttpRequest,
    payload: Multipart,
) -> actix_web::Result<HttpResponse> {
    file_claims(&state, &s, req, payload).await
}

/// File a claim batch from a spreadsheet: reconciled at once, then its page; a dry run shows the
/// reconciliation without storing; every fault of the file at once.
#[post("/agency/batches")]
pub async fn file_batch(
    state: web::Data<AppState>,
    s: AgencyStaff,
    req: HttpRequest,
    payload: Multipart,
) -> actix_web::Result<HttpResponse> {
    file_claims(&state, &s, req, payload).await
}

/// File a claimant's batch (an agency's or a bank's) from the form.
async fn file_claims(
    state: &AppState,
    s: &Staff,
    req: HttpRequest,
    payload: Multipart,
) -> actix_web::Result<HttpResponse> {
    let Some(agency) = s.actor.claimant() else {
        return Ok(s.stop(StatusCode::FORBIDDEN, "staff-agency-only"));
    };
    let t = &s.t;
    let (_permit, form) = match upload::receive(state, &req, payload, s).await {
        Received::Form(permit, form) => (permit, form),
        Received::Refused(errors, status) => {
            return render_batches(state, s, &errors, None, html! {}, status).await
        }
        Received::Forged(page) => return Ok(page),
    };
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let (kind, body, raw_hash) = match readable(t, &form) {
        Read::Ok {
            kind,
            body,
            raw_hash,
        } => (kind, body, raw_hash),
        Read::Refused(errors, faults) => {
            let shown = faults.map_or(html! {}, |v| claims::faults(t, &v, None));
            return render_batches(state, s, &errors, Some(&form), shown, unprocessable).await;
        }
    };
    let policy = Some(form.field("policy_id").to_string()).filter(|p| !p.is_empty());
    let (policy_id, lines) = match uploads::claim_batch(&kind, &body, policy) {
        Ok(x) => x,
        Err(e) => return claim_faults(state, s, &form, &kind, &body, e.into()).await,
    };
    let batch = NewBatch {
        policy_id,
        lines,
        idempotency_key: Some(form.field("idempotency_key").to_string()).filter(|k| !k.is_empty()),
        body_hash: raw_hash,
    };
    let ctx = state.ctx();
    if form.ticked("dry_run") {
        return match crate::service::claims::preview(ctx, &agency, batch).await {
            Ok((b, lines)) => {
                let all: Vec<_> = lines.iter().collect();
                let first = &all[..all.len().min(claims::LINES_PAGE)];
                let shown = html! {
                    div.card #outcome {
                        h2 { (t.t("batch-dry-run")) }
                        p.notice role="status" { (t.with("batch-dry-run-intro", &[("count", lines.len().to_string()), ("approved", t.money(crate::domain::Money::from_fen(b.approved_fen)))])) }
                        (claims::lines_table(t, first, &all))
                        @if all.len() > first.len() { p.help { (t.with("batch-dry-run-more", &[("shown", first.len().to_string())])) } }
                    }
                };
                render_batches(
                    state,
                    s,
                    &FieldErrors::default(),
                    Some(&form),
                    shown,
                    StatusCode::OK,
                )
                .await
            }
            Err(e) => claim_faults(state, s, &form, &kind, &body, e.into()).await,
        };
    }
    match crate::service::claims::submit(ctx, &agency, batch).await {
        Ok(filed) => Ok(see_other(&format!("/claims/{}", filed.batch.id))),
        Err(e) => claim_faults(state, s, &form, &kind, &body, e.into()).await,
    }
}

/// A refused claim file shown on the batches page: its faults (with the workbook), the policy's fault
/// beside its field, or what stands in the way.
async fn claim_faults(
    state: &AppState,
    s: &Staff,
    form: &UploadForm,
    kind: &str,
    body: &[u8],
    e: ServiceError,
) -> actix_web::Result<HttpResponse> {
    let t = &s.t;
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    match e {
        ServiceError::Invalid(v) => {
            let (on_form, in_file): (Vec<_>, Vec<_>) =
                v.into_iter().partition(|v| v.field == "policy_id");
            let errors = FieldErrors::of(t, &on_form);
            let shown = if in_file.is_empty() {
                html! {}
            } else {
                claims::faults(t, &in_file, fault_book(kind, body, &in_file).as_deref())
            };
            render_batches(state, s, &errors, Some(form), shown, status).await
        }
        ServiceError::Unreadable(m) | ServiceError::Unsupported(m) => {
            let errors = FieldErrors(vec![("file".into(), m)]);
            render_batches(state, s, &errors, Some(form), html! {}, status).await
        }
        other => s.refusal(other),
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct YearQuery {
    pub year: Option<i32>,
}

/// The agency's own figures (Art 28) for each quarter of a year and the year to date: leverage,
/// compensation rate, small and micro share, average fee rate, subsidies approved and paid, each flag
/// explained; leverage and the compensation rate as charts over the quarters.
#[get("/agency/metrics")]
pub async fn metrics(
    state: web::Data<AppState>,
    s: AgencyStaff,
    q: web::Query<YearQuery>,
) -> actix_web::Result<HttpResponse> {
    let t = &s.t;
    let today = state.clock.today();
    let year = figures::year_of(q.year, today);
    let mut periods = figures::quarters(year, today);
    if let (Some(first), Some(last)) = (periods.first().cloned(), periods.last().cloned()) {
        periods.push((
            t.with("fig-year", &[("year", year.to_string())]),
            first.1,
            last.2,
        ));
    }
    let mut rows = Vec::new();
    for (label, from, to) in &periods {
        let m = crate::service::agencies::metrics(
            state.ctx(),
            &s.actor,
            &s.agency,
            &from.to_string(),
            &to.to_string(),
        )
        .await;
        match m {
            Ok(m) => rows.push((label.clone(), m)),
            Err(e) => return s.refusal(e),
        }
    }
    let quarters = &rows[..rows.len().saturating_sub(1)];
    let body = html! {
        div.card {
            h1 { (t.t("agency-metrics-title")) }
            p { (t.t("agency-metrics-intro")) }
            (year_links(t, "/agency/metrics", year, today))
            @if rows.is_empty() { p.notice { (t.t("fig-none")) } }
            @else {
                (figures::table(t, &t.with("fig-caption-year", &[("year", year.to_string())]), &rows))
                (figures::charts(t, "agency", quarters))
            }
        }
    };
    Ok(s.page(&t.t("agency-metrics-title"), "/agency/metrics", body))
}

/// Links to the year before and (when it has begun) the year after.
pub fn year_links(t: &T, base: &str, year: i32, today: chrono::NaiveDate) -> Markup {
    use chrono::Datelike;
    html! {
        nav.filter aria-label=(t.t("fig-years")) {
            a href={ (base) "?year=" (year - 1) } { (year - 1) }
            span aria-current="page" { (year) }
            @if year < today.year() { a href={ (base) "?year=" (year + 1) } { (year + 1) } }
        }
    }
}
