//! The firm's remedies on the pages (Art 58, issue 21): the firm sees its public-credit records and
//! when each may be repaired, applies for repair or disputes a signal with its evidence, and follows
//! each request's deadlines and history; the department's officer works its queue (overdue first),
//! accepts, decides, and sees every department's figures.

use super::layout::{field, FieldErrors, T};
use super::session::{Official, Person, Signed};
use super::upload::{receive, Received};
use crate::api::AppState;
use crate::domain::states::{RemedyKind, RemedyStatus};
use crate::service::remedies::{
    self, Correction, DisputeDecision, Evidence, ListFilter, NewDispute, NewRepair, RemedyDetail,
    RemedyError, RemedyView, RepairDecision,
};
use crate::service::{Actor, ServiceError};
use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use maud::{html, Markup};

/// The signal kinds a firm may dispute, by source.
const DISPUTABLE: &[&str] = &[
    "tax_arrears",
    "tax_paid",
    "invoiced_revenue",
    "tax_grade",
    "si_arrears_months",
    "insured_headcount",
    "utility_days_late",
    "utility_billed",
    "customs_class",
    "administrative_penalty",
    "dishonesty_listing",
];

fn status_pill(t: &T, s: RemedyStatus, overdue: bool) -> Markup {
    html! {
        span class={ "pill " (s.as_str()) } { (t.code("remedy-status", s.as_str())) }
        @if overdue { " " span.pill.overdue { (t.t("remedy-overdue")) } }
    }
}

fn what(t: &T, r: &RemedyView) -> String {
    let kind = t.code("signal", &r.signal_kind);
    match &r.record_id {
        Some(id) => format!("{kind} {id}"),
        None => format!("{kind} {}", r.period),
    }
}

fn request_table(t: &T, rows: &[RemedyView], base: &str) -> Markup {
    html! {
        div.scroll tabindex="0" { table {
            thead { tr {
                th scope="col" { (t.t("remedy-type")) }
                th scope="col" { (t.t("remedy-firm")) }
                th scope="col" { (t.t("remedy-record")) }
                th scope="col" { (t.t("status")) }
                th scope="col" { (t.t("remedy-submitted")) }
                th scope="col" { (t.t("remedy-due")) }
            } }
            tbody { @for r in rows {
                tr id={ "remedy-" (r.id) } {
                    td { a href={ (base) "/" (r.id) } { (t.code("remedy-kind", r.kind.as_str())) } }
                    td.mono { (r.firm_uscc) }
                    td { (what(t, r)) }
                    td { (status_pill(t, r.status, r.overdue)) }
                    td { (r.submitted_at.get(..10).unwrap_or("")) }
                    td { (r.due.as_deref().unwrap_or("—")) }
                }
            } }
        } }
    }
}

/// The firm's page: its records, the two forms, its requests.
#[get("/firm/remedies")]
pub async fn firm_page(state: web::Data<AppState>, p: Person) -> actix_web::Result<HttpResponse> {
    firm_render(&state, &p, &FieldErrors::default(), StatusCode::OK).await
}

async fn firm_render(
    state: &AppState,
    p: &Person,
    errors: &FieldErrors,
    status: StatusCode,
) -> actix_web::Result<HttpResponse> {
    let t = &p.t;
    let actor = p.actor();
    let ctx = state.ctx();
    let records = match remedies::records(ctx, &actor, &p.firm).await {
        Ok(r) => r,
        Err(e) => return p.refusal(ServiceError::from(e)),
    };
    let mine = match remedies::list(ctx, &actor, ListFilter::default(), 200).await {
        Ok(r) => r,
        Err(e) => return p.refusal(ServiceError::from(e)),
    };
    let open: Vec<&str> = records
        .iter()
        .filter(|r| r.may_apply)
        .map(|r| r.record_id.as_str())
        .collect();
    let owner = p.is_owner();
    let body = html! {
        div.card {
            h1 { (t.t("remedies-title")) }
            p { (t.t("remedies-intro")) }
        }
        div.card id="records" {
            h2 { (t.t("records-title")) }
            @if records.is_empty() { p { (t.t("records-none")) } }
            @else {
                div.scroll tabindex="0" { table {
                    thead { tr {
                        th scope="col" { (t.t("record-id")) }
                        th scope="col" { (t.t("record-category")) }
                        th scope="col" { (t.t("record-severity")) }
                        th scope="col" { (t.t("record-decided")) }
                        th scope="col" { (t.t("record-authority")) }
                        th scope="col" { (t.t("record-basis")) }
                        th scope="col" { (t.t("record-earliest")) }
                        th scope="col" { (t.t("status")) }
                    } }
                    tbody { @for r in &records {
                        tr id={ "record-" (r.record_id) } {
                            td.mono { (r.record_id) }
                            td { (r.category_zh.clone().unwrap_or_else(|| r.kind.clone())) }
                            td { (r.severity.as_deref().map(|s| t.code("severity", s)).unwrap_or_default()) }
                            td { (r.decided_on.as_deref().unwrap_or("")) }
                            td { (r.authority.as_deref().unwrap_or("")) }
                            td { (r.legal_basis.as_deref().unwrap_or("")) }
                            td { (r.earliest_repair.as_deref().unwrap_or("")) }
                            td {
                                @if let Some(d) = &r.repaired_on { span.pill.repaired { (t.with("record-repaired-on", &[("date", d.clone())])) } }
                                @else if r.may_apply { span.pill.approved { (t.t("record-may-apply")) } }
                                @else { span.muted { (r.why_not.as_deref().unwrap_or("")) } }
                            }
                        }
                    } }
                } }
            }
            @if owner && !open.is_empty() {
                h3 { (t.t("repair-apply")) }
                p.muted { (t.t("repair-apply-intro")) }
                form method="post" action="/firm/remedies/repair" enctype="multipart/form-data" novalidate {
                    input type="hidden" name="csrf" value=(p.who.csrf);
                    div.field {
                        label for="record_id" { (t.t("record-id")) }
                        select id="record_id" name="record_id" { @for id in &open { option value=(id) { (id) } } }
                        @if let Some(e) = errors.get("record_id") { p.error id="record_id-error" role="alert" { (e) } }
                    }
                    (textarea("statement", &t.t("repair-statement"), errors))
                    (field(&t.t("remedy-reference"), "references", "text", "", errors))
                    (file_field(t, errors))
                    button type="submit" { (t.t("repair-submit")) }
                }
            }
        }
        @if owner {
            div.card id="dispute" {
                h2 { (t.t("dispute-title")) }
                p.muted { (t.t("dispute-intro")) }
                form method="post" action="/firm/remedies/dispute" enctype="multipart/form-data" novalidate {
                    input type="hidden" name="csrf" value=(p.who.csrf);
                    div.field {
                        label for="signal_kind" { (t.t("dispute-kind")) }
                        select id="signal_kind" name="signal_kind" {
                            @for k in DISPUTABLE { option value=(k) { (t.code("signal", k)) } }
                        }
                        @if let Some(e) = errors.get("kind") { p.error role="alert" { (e) } }
                    }
                    (field(&t.t("dispute-period"), "period", "month", "", errors))
                    (field(&t.t("record-id"), "dispute_record_id", "text", "", errors))
                    (textarea("dispute_statement", &t.t("dispute-statement"), errors))
                    (field(&t.t("dispute-claimed"), "claimed_value", "text", "", errors))
                    (field(&t.t("remedy-reference"), "dispute_references", "text", "", errors))
                    (file_field(t, errors))
                    button type="submit" { (t.t("dispute-submit")) }
                }
            }
        }
        div.card id="requests" {
            h2 { (t.t("requests-title")) }
            @if mine.is_empty() { p { (t.t("none-yet")) } }
            @else { (request_table(t, &mine, "/firm/remedies")) }
        }
    };
    Ok(super::layout::with_status(
        p.page(&t.t("remedies-title"), "/firm/remedies", body),
        status,
    ))
}

fn textarea(name: &str, label: &str, errors: &FieldErrors) -> Markup {
    let err = errors.get(name);
    html! {
        div.field {
            label for=(name) { (label) }
            textarea id=(name) name=(name) rows="4" aria-describedby=[err.as_ref().map(|_| format!("{name}-error"))] {}
            @if let Some(e) = err { p.error id={ (name) "-error" } role="alert" { (e) } }
        }
    }
}

fn file_field(t: &T, errors: &FieldErrors) -> Markup {
    let err = errors.get("file").or_else(|| errors.get("files"));
    html! {
        div.field {
            label for="file" { (t.t("remedy-file")) }
            input type="file" id="file" name="file" accept=".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png";
            p.muted { (t.t("remedy-file-hint")) }
            @if let Some(e) = err { p.error id="file-error" role="alert" { (e) } }
        }
    }
}

/// Faults of a file field said on the form's own file input.
fn on_file(v: Vec<crate::service::Violation>) -> Vec<crate::service::Violation> {
    v.into_iter()
        .map(|mut x| {
            if x.field.starts_with("files") {
                x.field = "file".into();
            }
            x
        })
        .collect()
}

async fn firm_post(
    state: &AppState,
    req: &HttpRequest,
    p: &Person,
    form: Multipart,
    is_dispute: bool,
) -> actix_web::Result<HttpResponse> {
    let (_permit, mut form) = match receive(state, req, form, &p.signed).await {
        Received::Form(permit, form) => (permit, form),
        Received::Refused(errors, status) => return firm_render(state, p, &errors, status).await,
        Received::Forged(page) => return Ok(page),
    };
    let files: Vec<Evidence> = form
        .file
        .take()
        .map(|f| Evidence {
            filename: f.filename,
            bytes: f.bytes,
        })
        .into_iter()
        .collect();
    let actor = p.actor();
    let ctx = state.ctx();
    let done = if is_dispute {
        let refs = vec![form.field("dispute_references").to_string()];
        remedies::open_dispute(
            ctx,
            &actor,
            &p.firm,
            NewDispute {
                kind: form.field("signal_kind").to_string(),
                period: Some(form.field("period").to_string()),
                record_id: Some(form.field("dispute_record_id").to_string()),
                statement: form.field("dispute_statement").to_string(),
                claimed_value: Some(form.field("claimed_value").to_string()),
                references: refs,
                files,
            },
        )
        .await
    } else {
        remedies::apply_repair(
            ctx,
            &actor,
            &p.firm,
            NewRepair {
                record_id: form.field("record_id").to_string(),
                statement: form.field("statement").to_string(),
                references: vec![form.field("references").to_string()],
                files,
            },
        )
        .await
    };
    match done {
        Ok(v) => Ok(super::layout::see_other(&format!(
            "/firm/remedies/{}",
            v.id
        ))),
        Err(RemedyError::Invalid(v)) => {
            let mut v = on_file(v);
            if is_dispute {
                for x in v.iter_mut() {
                    if x.field == "statement" {
                        x.field = "dispute_statement".into();
                    }
                    if x.field == "record_id" {
                        x.field = "dispute_record_id".into();
                    }
                }
            }
            firm_render(
                state,
                p,
                &FieldErrors::of(&p.t, &v),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => p.refusal(ServiceError::from(e)),
    }
}

#[post("/firm/remedies/repair")]
pub async fn apply(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Person,
    form: Multipart,
) -> actix_web::Result<HttpResponse> {
    firm_post(&state, &req, &p, form, false).await
}

#[post("/firm/remedies/dispute")]
pub async fn dispute(
    state: web::Data<AppState>,
    req: HttpRequest,
    p: Person,
    form: Multipart,
) -> actix_web::Result<HttpResponse> {
    firm_post(&state, &req, &p, form, true).await
}

/// A request's detail, for the firm or the officer (with the officer's forms).
fn detail(t: &T, d: &RemedyDetail, base: &str, officer: Option<(&str, &FieldErrors)>) -> Markup {
    let r = &d.request;
    html! {
        div.card {
            h1 { (t.code("remedy-kind", r.kind.as_str())) " · " (what(t, r)) }
            dl.facts {
                dt { (t.t("status")) } dd { (status_pill(t, r.status, r.overdue)) }
                dt { (t.t("remedy-firm")) } dd.mono { (r.firm_uscc) }
                dt { (t.t("remedy-owner")) } dd { (t.code("source", &r.owner)) }
                dt { (t.t("remedy-submitted")) } dd { (r.submitted_at) }
                @if let Some(a) = &r.accept_due { dt { (t.t("remedy-accept-due")) } dd { (a) } }
                dt { (t.t("remedy-decide-due")) } dd { (r.decide_due) }
                @if let Some(n) = r.working_days_to_accept { dt { (t.t("remedy-days-accept")) } dd { (n) } }
                @if let Some(n) = r.working_days_to_decide { dt { (t.t("remedy-days-decide")) } dd { (n) } }
                @if !r.late_steps.is_empty() { dt { (t.t("remedy-late")) } dd { (r.late_steps.join(", ")) } }
                dt { (t.t("remedy-statement")) } dd { (r.statement) }
                @if let Some(c) = &r.claimed_value { dt { (t.t("dispute-claimed")) } dd { (c) } }
                @if !r.references.is_empty() { dt { (t.t("remedy-reference")) } dd { (r.references.join("；")) } }
                @if let Some(o) = &r.outcome_reason { dt { (t.t("remedy-reason")) } dd { (o) } }
                @if let Some(o) = &r.repaired_on { dt { (t.t("remedy-repaired-on")) } dd { (o) } }
            }
        }
        div.card id="files" {
            h2 { (t.t("remedy-files")) }
            @if d.files.is_empty() { p { (t.t("none-yet")) } }
            @else { ul { @for f in &d.files {
                li { a href={ (base) "/" (r.id) "/files/" (f.id) } { (f.filename) } " (" (f.content_type) ", " (f.size_bytes) " B, SHA-256 " code { (f.sha256.get(..16).unwrap_or("")) } "…)" }
            } } }
        }
        div.card id="history" {
            h2 { (t.t("remedy-history")) }
            div.scroll tabindex="0" { table {
                thead { tr { th scope="col" { (t.t("remedy-when")) } th scope="col" { (t.t("remedy-step")) } th scope="col" { (t.t("remedy-who")) } th scope="col" { (t.t("remedy-detail")) } } }
                tbody { @for s in &d.steps { tr {
                    td { (s.at) } td { (t.code("remedy-step", &s.action)) } td.mono { (s.actor) } td { (s.detail.as_deref().unwrap_or("")) }
                } } }
            } }
        }
        @if let Some((csrf, errors)) = officer {
            @if r.status.is_open() {
                div.card id="act" {
                    h2 { (t.t("remedy-act")) }
                    @if let Some(e) = errors.get("correction") { p.error role="alert" { (e) } }
                    @if r.kind == RemedyKind::Repair && r.status == RemedyStatus::Submitted {
                        form.inline method="post" action={ "/gov/remedies/" (r.id) "/act" } {
                            input type="hidden" name="csrf" value=(csrf);
                            input type="hidden" name="outcome" value="accept";
                            button type="submit" { (t.t("remedy-accept")) }
                        }
                        form method="post" action={ "/gov/remedies/" (r.id) "/act" } {
                            input type="hidden" name="csrf" value=(csrf);
                            input type="hidden" name="outcome" value="not_accept";
                            (field(&t.t("remedy-reason"), "reason", "text", "", errors))
                            button.secondary type="submit" { (t.t("remedy-not-accept")) }
                        }
                    }
                    @if r.kind == RemedyKind::Repair && r.status == RemedyStatus::Accepted {
                        form method="post" action={ "/gov/remedies/" (r.id) "/act" } {
                            input type="hidden" name="csrf" value=(csrf);
                            input type="hidden" name="outcome" value="repaired";
                            (field(&t.t("remedy-repaired-on"), "repaired_on", "date", "", errors))
                            button type="submit" { (t.t("remedy-repair")) }
                        }
                        form method="post" action={ "/gov/remedies/" (r.id) "/act" } {
                            input type="hidden" name="csrf" value=(csrf);
                            input type="hidden" name="outcome" value="refused";
                            (field(&t.t("remedy-reason"), "reason", "text", "", errors))
                            button.secondary type="submit" { (t.t("remedy-refuse")) }
                        }
                    }
                    @if r.kind == RemedyKind::Dispute {
                        form method="post" action={ "/gov/remedies/" (r.id) "/act" } {
                            input type="hidden" name="csrf" value=(csrf);
                            input type="hidden" name="outcome" value="upheld";
                            @if r.record_id.is_some() {
                                (field(&t.t("correction-end-date"), "end_date", "date", "", errors))
                                (field(&t.t("record-severity"), "severity", "text", "", errors))
                            } @else {
                                (field(&t.t("correction-value"), "value", "text", r.claimed_value.as_deref().unwrap_or(""), errors))
                            }
                            button type="submit" { (t.t("remedy-uphold")) }
                        }
                        form method="post" action={ "/gov/remedies/" (r.id) "/act" } {
                            input type="hidden" name="csrf" value=(csrf);
                            (field(&t.t("remedy-reason"), "reason", "text", "", errors))
                            button.secondary type="submit" name="outcome" value="rejected" { (t.t("remedy-reject")) }
                            " "
                            button.secondary type="submit" name="outcome" value="undecidable" { (t.t("remedy-undecidable")) }
                        }
                    }
                }
            }
        }
    }
}

#[get("/firm/remedies/{id}")]
pub async fn firm_detail(
    state: web::Data<AppState>,
    p: Person,
    id: web::Path<String>,
) -> actix_web::Result<HttpResponse> {
    match remedies::get(state.ctx(), &p.actor(), &id).await {
        Ok(d) => Ok(p.page(
            &p.t.t("remedies-title"),
            "/firm/remedies",
            detail(&p.t, &d, "/firm/remedies", None),
        )),
        Err(e) => p.refusal(ServiceError::from(e)),
    }
}

async fn send_file(
    state: &AppState,
    who: &Signed,
    actor: &Actor,
    id: &str,
    file: &str,
) -> actix_web::Result<HttpResponse> {
    match remedies::file(state.ctx(), actor, id, file).await {
        Ok((meta, bytes)) => Ok(HttpResponse::Ok()
            .content_type(meta.content_type.as_str())
            .insert_header((
                actix_web::http::header::ETAG,
                format!("\"{}\"", meta.sha256),
            ))
            .body(bytes)),
        Err(e) => super::layout::refusal(&who.t, None, ServiceError::from(e)),
    }
}

#[get("/firm/remedies/{id}/files/{file}")]
pub async fn firm_file(
    state: web::Data<AppState>,
    p: Person,
    path: web::Path<(String, String)>,
) -> actix_web::Result<HttpResponse> {
    send_file(&state, &p.signed, &p.actor(), &path.0, &path.1).await
}

#[get("/gov/remedies/{id}/files/{file}")]
pub async fn gov_file(
    state: web::Data<AppState>,
    s: Official,
    path: web::Path<(String, String)>,
) -> actix_web::Result<HttpResponse> {
    send_file(&state, &s.staff.signed, &s.actor, &path.0, &path.1).await
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct QueueQuery {
    #[serde(default)]
    pub overdue: Option<String>,
}

/// The department's queue (overdue first) and every department's figures.
#[get("/gov/remedies")]
pub async fn gov_queue(
    state: web::Data<AppState>,
    s: Official,
    q: web::Query<QueueQuery>,
) -> actix_web::Result<HttpResponse> {
    let t = &s.t;
    let ctx = state.ctx();
    let only_overdue = q.overdue.is_some();
    let (mut rows, overview) = match (
        remedies::list(
            ctx,
            &s.actor,
            ListFilter {
                overdue: only_overdue,
                ..Default::default()
            },
            500,
        )
        .await,
        remedies::overview(ctx, &s.actor).await,
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return s.refusal(ServiceError::from(e)),
    };
    rows.sort_by_key(|r| (!r.overdue, !r.status.is_open()));
    let body = html! {
        div.card {
            h1 { (t.t("gov-remedies-title")) }
            p { (t.with("gov-remedies-intro", &[
                ("accept", overview.deadlines.accept_working_days.to_string()),
                ("decide", overview.deadlines.decide_working_days.to_string()),
                ("dispute", overview.deadlines.dispute_days.to_string())])) }
        }
        div.card id="figures" {
            h2 { (t.t("gov-remedies-figures")) }
            div.scroll tabindex="0" { table {
                thead { tr {
                    th scope="col" { (t.t("remedy-department")) }
                    th.num scope="col" { (t.t("remedy-requests")) }
                    th.num scope="col" { (t.t("remedy-open")) }
                    th.num scope="col" { (t.t("remedy-overdue")) }
                    th.num scope="col" { (t.t("remedy-late-count")) }
                    th.num scope="col" { (t.t("remedy-overdue-share")) }
                    th.num scope="col" { (t.t("remedy-median")) }
                } }
                tbody { @for d in &overview.departments {
                    tr class=[(d.overdue > 0).then_some("flagged")] {
                        td { (d.institution) }
                        td.num { (d.requests) } td.num { (d.open) }
                        td.num { @if d.overdue > 0 { strong { (d.overdue) } } @else { (d.overdue) } }
                        td.num { (d.late) }
                        td.num { (d.overdue_share.as_deref().and_then(|x| x.parse().ok()).map(|x| t.percent(x)).unwrap_or_else(|| "—".into())) }
                        td.num { (d.median_working_days.as_deref().unwrap_or("—")) }
                    }
                } }
            } }
        }
        div.card id="queue" {
            h2 { (t.t("gov-remedies-queue")) }
            nav.filter aria-label=(t.t("lines-filter")) {
                a href="/gov/remedies" aria-current=[(!only_overdue).then_some("page")] { (t.t("status-all")) }
                a href="/gov/remedies?overdue=1" aria-current=[only_overdue.then_some("page")] { (t.t("remedy-overdue")) }
            }
            @if rows.is_empty() { p { (t.t("none-yet")) } }
            @else { (request_table(t, &rows, "/gov/remedies")) }
        }
    };
    Ok(s.page(&t.t("gov-remedies-title"), "/gov/remedies", body))
}

#[get("/gov/remedies/{id}")]
pub async fn gov_detail(
    state: web::Data<AppState>,
    s: Official,
    id: web::Path<String>,
) -> actix_web::Result<HttpResponse> {
    gov_render(&state, &s, &id, &FieldErrors::default(), StatusCode::OK).await
}

async fn gov_render(
    state: &AppState,
    s: &Official,
    id: &str,
    errors: &FieldErrors,
    status: StatusCode,
) -> actix_web::Result<HttpResponse> {
    match remedies::get(state.ctx(), &s.actor, id).await {
        Ok(d) => Ok(super::layout::with_status(
            s.page(
                &s.t.t("gov-remedies-title"),
                "/gov/remedies",
                detail(&s.t, &d, "/gov/remedies", Some((&s.who.csrf, errors))),
            ),
            status,
        )),
        Err(e) => s.refusal(ServiceError::from(e)),
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct ActForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub repaired_on: String,
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub end_date: String,
    #[serde(default)]
    pub severity: String,
}

/// The officer's step on a request: accept, not accept, repair, refuse, uphold, reject, undecidable.
#[post("/gov/remedies/{id}/act")]
pub async fn act(
    state: web::Data<AppState>,
    s: Official,
    id: web::Path<String>,
    f: web::Form<ActForm>,
) -> actix_web::Result<HttpResponse> {
    if let Some(r) = s.forged(&f.csrf) {
        return Ok(r);
    }
    let ctx = state.ctx();
    let a = &s.actor;
    let opt = |v: &str| Some(v.trim().to_string()).filter(|v| !v.is_empty());
    let done = match f.outcome.as_str() {
        "accept" => remedies::accept(ctx, a, &id, None).await,
        "not_accept" => remedies::accept(ctx, a, &id, Some(f.reason.clone())).await,
        "repaired" => {
            let on = if f.repaired_on.trim().is_empty() {
                Ok(ctx.clock.today())
            } else {
                crate::service::date("repaired_on", "repaired_on", &f.repaired_on)
            };
            match on {
                Ok(on) => {
                    remedies::decide_repair(ctx, a, &id, RepairDecision::Repaired { on }).await
                }
                Err(v) => Err(RemedyError::Invalid(vec![v])),
            }
        }
        "refused" => {
            remedies::decide_repair(
                ctx,
                a,
                &id,
                RepairDecision::Refused {
                    reason: f.reason.clone(),
                },
            )
            .await
        }
        "upheld" => {
            let correction = Correction {
                value: opt(&f.value),
                end_date: opt(&f.end_date),
                severity: opt(&f.severity),
            };
            remedies::decide_dispute(
                ctx,
                a,
                &id,
                DisputeDecision::Upheld {
                    correction,
                    reason: opt(&f.reason),
                },
            )
            .await
        }
        "rejected" => {
            remedies::decide_dispute(
                ctx,
                a,
                &id,
                DisputeDecision::Rejected {
                    reason: f.reason.clone(),
                },
            )
            .await
        }
        "undecidable" => {
            remedies::decide_dispute(
                ctx,
                a,
                &id,
                DisputeDecision::Undecidable {
                    reason: f.reason.clone(),
                },
            )
            .await
        }
        _ => return Ok(s.stop(StatusCode::UNPROCESSABLE_ENTITY, "remedy-no-outcome")),
    };
    match done {
        Ok(_) => Ok(super::layout::see_other(&format!("/gov/remedies/{id}"))),
        Err(RemedyError::Invalid(v)) => {
            let v: Vec<_> = v
                .into_iter()
                .map(|mut x| {
                    if x.field.starts_with("correction") && x.field != "correction" {
                        x.field = "correction".into();
                    }
                    x
                })
                .collect();
            gov_render(
                &state,
                &s,
                &id,
                &FieldErrors::of(&s.t, &v),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => s.refusal(ServiceError::from(e)),
    }
}
