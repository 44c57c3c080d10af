//! A bank's credit officers (issue 17): the inbox of applications (filter by status and product, oldest
//! or newest first), one application with the firm's profile as the consent the application granted lets
//! the bank see it (the consent shown beside it; the read is in the firm's access log like any other),
//! and the decisions — approve (amount, rate within the product's range, term) or decline (a reason
//! code), disburse, record repayments and a default. Each goes through the same operation as the API.

use super::layout::{field, see_other, FieldErrors, T};
use super::session::{BankStaff, Staff};
use crate::api::AppState;
use crate::domain::states::{ApplicationAction, ApplicationStatus};
use crate::domain::Money;
use crate::service::applications::{
    self, ApplicationError, ApplicationView, DatedAmount, DecisionInput, ListQuery, DECLINE_CODES,
};
use crate::service::profiles::{self, Ask, Caller, Prefetched, ProfileDocument};
use crate::service::{products, ServiceError};
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use maud::{html, Markup};
use rust_decimal::Decimal;
use std::collections::HashMap;

#[derive(Debug, Default, serde::Deserialize)]
pub struct InboxQuery {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub product: String,
    /// `oldest` (the default: who has waited longest first) or `newest`.
    #[serde(default)]
    pub sort: String,
}

/// The bank's products by id, with their names (withdrawn ones too: old applications name them).
async fn product_names(
    state: &AppState,
    bank: &str,
) -> actix_web::Result<HashMap<String, products::ProductView>> {
    let b = products::Browse {
        kind: None,
        institution: Some(bank.to_string()),
        include_withdrawn: true,
        after: None,
        limit: 1000,
    };
    Ok(products::browse(state.ctx(), b)
        .await
        .map_err(|e| super::layout::unavailable(ServiceError::from(e)))?
        .into_iter()
        .map(|p| (p.id.clone(), p))
        .collect())
}

/// The applications to this bank.
#[get("/bank/applications")]
pub async fn inbox(
    state: web::Data<AppState>,
    s: BankStaff,
    q: web::Query<InboxQuery>,
) -> actix_web::Result<HttpResponse> {
    let bank = s.bank.clone();
    let t = &s.t;
    let q = q.into_inner();
    let status = ApplicationStatus::parse(&q.status).ok();
    let rows = match applications::list(
        state.ctx(),
        &s.actor,
        ListQuery {
            status,
            before: None,
            limit: 500,
        },
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return s.refusal(e),
    };
    let names = product_names(&state, &bank).await?;
    let mut rows: Vec<_> = rows
        .into_iter()
        .filter(|a| q.product.is_empty() || a.product_id == q.product)
        .collect();
    // The list comes newest first; the officer's default is who has waited longest.
    if q.sort != "newest" {
        rows.reverse();
    }
    let now = state.clock.now();
    let body = html! {
        div.card {
            h1 { (t.t("bank-inbox-title")) }
            form.filters method="get" action="/bank/applications" {
                div.field {
                    label for="status" { (t.t("status")) }
                    select id="status" name="status" {
                        option value="" selected[q.status.is_empty()] { (t.t("status-all")) }
                        @for st in ApplicationStatus::ALL {
                            option value=(st.as_str()) selected[q.status == st.as_str()] { (t.code("app", st.as_str())) }
                        }
                    }
                }
                div.field {
                    label for="product" { (t.t("product")) }
                    select id="product" name="product" {
                        option value="" selected[q.product.is_empty()] { (t.t("status-all")) }
                        @for p in names.values() {
                            option value=(p.id) selected[q.product == p.id] { (p.spec.name) }
                        }
                    }
                }
                div.field {
                    label for="sort" { (t.t("bank-sort")) }
                    select id="sort" name="sort" {
                        option value="oldest" selected[q.sort != "newest"] { (t.t("bank-sort-oldest")) }
                        option value="newest" selected[q.sort == "newest"] { (t.t("bank-sort-newest")) }
                    }
                }
                button type="submit" { (t.t("filter")) }
            }
        }
        div.card {
            @if rows.is_empty() { p.notice { (t.t("bank-inbox-none")) } }
            @else {
                div.scroll tabindex="0" {
                    table {
                        caption { (t.t("bank-inbox-caption")) }
                        thead { tr {
                            th scope="col" { (t.t("bank-submitted")) }
                            th scope="col" { (t.t("uscc")) }
                            th scope="col" { (t.t("product")) }
                            th scope="col" .num { (t.t("ask-amount")) }
                            th scope="col" .num { (t.t("ask-term")) }
                            th scope="col" { (t.t("status")) }
                            th scope="col" .num { (t.t("bank-waiting")) }
                        } }
                        tbody {
                            @for a in &rows {
                                tr {
                                    td { a href={ "/bank/applications/" (a.id) } { (t.instant(a.created_at)) } }
                                    td.mono { (a.firm_uscc) }
                                    td { (names.get(&a.product_id).map_or(a.product_id.as_str(), |p| p.spec.name.as_str())) }
                                    td.num { (t.money(Money::from_fen(a.amount_fen))) }
                                    td.num { (t.with("months-n", &[("months", a.term_months.to_string())])) }
                                    td { span class={ "pill " (a.status.as_str()) } { (t.code("app", a.status.as_str())) } }
                                    td.num { (t.with("days-n", &[("days", (now - a.created_at).num_days().to_string())])) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(s.page(&t.t("bank-inbox-title"), "/bank/applications", body))
}

/// The decision forms as sent (every field optional: the operation says what is missing).
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct ActForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub decision: String,
    #[serde(default)]
    pub amount: String,
    /// Percent a year, as people write it (`3.85`).
    #[serde(default)]
    pub rate_percent: String,
    #[serde(default)]
    pub term_months: String,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub on: String,
}

fn some(s: &str) -> Option<String> {
    Some(s.trim().replace([',', '，'], "")).filter(|s| !s.is_empty())
}

#[get("/bank/applications/{id}")]
pub async fn application(
    state: web::Data<AppState>,
    s: BankStaff,
    id: web::Path<String>,
) -> actix_web::Result<HttpResponse> {
    render(
        &state,
        &s,
        &id,
        &ActForm::default(),
        &FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

async fn render(
    state: &AppState,
    s: &Staff,
    id: &str,
    f: &ActForm,
    errors: &FieldErrors,
    status: StatusCode,
) -> actix_web::Result<HttpResponse> {
    let t = &s.t;
    let d = match applications::get(state.ctx(), &s.actor, id).await {
        Ok(d) => d,
        Err(e) => return s.refusal(e),
    };
    let v = match ApplicationView::of(&d.application, Some(&d.events)) {
        Ok(v) => v,
        Err(e) => return Err(super::layout::unavailable(e)),
    };
    let product = products::get(state.ctx(), &v.product_id).await.ok();
    let consent = crate::service::consents::get(state.ctx(), &s.actor, &v.consent_id)
        .await
        .ok();
    // The profile as the application's consent lets the bank see it (logged for the firm).
    let profile = match &consent {
        Some(c) => read_profile(state, s, &v.firm_uscc, &c.purpose).await,
        None => Err(t.t("bank-no-consent")),
    };
    let body = html! {
        div.card {
            h1 { (t.t("application-title")) }
            dl {
                dt { (t.t("uscc")) } dd.mono #firm { (v.firm_uscc) }
                dt { (t.t("product")) } dd { (product.as_ref().map_or(v.product_id.as_str(), |p| p.spec.name.as_str())) }
                dt { (t.t("ask-amount")) } dd { (t.money(v.amount)) }
                dt { (t.t("ask-term")) } dd { (t.with("months-n", &[("months", v.term_months.to_string())])) }
                dt { (t.t("status")) } dd { span id="status" class={ "pill " (v.status.as_str()) } { (t.code("app", v.status.as_str())) } }
                dt { (t.t("bank-first-loan")) } dd { (t.t(if v.first_loan { "yes" } else { "no" })) }
                @if !v.collateral.is_empty() { dt { (t.t("bank-collateral")) } dd.mono { (v.collateral.join(", ")) } }
                @if let Some(a) = v.approved_amount { dt { (t.t("approved-amount")) } dd { (t.money(a)) } }
                @if let Some(r) = &v.approved_rate { dt { (t.t("approved-rate")) } dd { (r.parse::<Decimal>().map(|d| t.percent(d)).unwrap_or_else(|_| r.clone())) } }
                @if let Some(c) = &v.decline_code { dt { (t.t("decline-reason")) } dd { (t.code("decline", c)) @if let Some(r) = &v.decline_reason { " — " (r) } } }
            }
        }
        (acts(t, &s.who.csrf, &v, product.as_ref(), f, errors))
        div.card {
            h2 { (t.t("bank-consent-title")) }
            @match &consent {
                Some(c) => dl #consent {
                    dt { (t.t("access-purpose")) } dd { (t.code("purpose", &c.purpose)) }
                    dt { (t.t("consent-scope")) } dd { (t.join(c.scope.split(',').filter(|x| !x.is_empty()).map(|x| t.code("scope", x)))) }
                    dt { (t.t("consent-data-months")) } dd { (t.with("months-n", &[("months", c.data_months.to_string())])) }
                    dt { (t.t("consent-valid")) } dd { (t.instant(c.valid_from)) " – " (t.instant(c.expires_at)) }
                    @if let Some(r) = c.revoked_at { dt { (t.t("consent-revoked-at")) } dd { (t.instant(r)) } }
                },
                None => p.notice { (t.t("bank-no-consent")) },
            }
        }
        div.card {
            h2 { (t.t("bank-profile-title")) }
            @match &profile {
                Ok(doc) => (profile_view(t, doc)),
                Err(m) => p.notice role="status" #profile-refused { (m) },
            }
        }
        (super::words::events(t, v.events.as_deref().unwrap_or(&[])))
    };
    Ok(super::layout::with_status(
        s.page(&t.t("application-title"), "/bank/applications", body),
        status,
    ))
}

/// The firm's profile under the consent's purpose: what the bank may see, or the words of why not.
async fn read_profile(
    state: &AppState,
    s: &Staff,
    uscc: &str,
    purpose: &str,
) -> Result<ProfileDocument, String> {
    let t = &s.t;
    let uscc = crate::domain::Uscc::parse(uscc).map_err(|e| e.to_string())?;
    let purpose = profiles::parse_purpose(&s.actor, Some(purpose)).map_err(|v| v.message)?;
    let key_id = s.key_id();
    let caller = Caller {
        actor: &s.actor,
        key_id: &key_id,
        route: "GET /bank/applications/{id}",
        request_id: None,
        client_request_id: None,
        at: state.clock.now(),
    };
    let ask = Ask {
        uscc,
        purpose,
        as_of: None,
    };
    match profiles::read(state.ctx(), &caller, &ask, Prefetched::default()).await {
        Ok(read) => serde_json::from_slice(&read.body).map_err(|e| e.to_string()),
        Err(e) => Err(t.with("bank-profile-refused", &[("why", e.to_string())])),
    }
}

/// The score, the reasons and the sections the consent covers.
fn profile_view(t: &T, doc: &ProfileDocument) -> Markup {
    let zh = t.0 == super::layout::Lang::Zh;
    html! {
        div.score {
            div.big { span.value id="score" { (doc.score.map(|s| s.to_string()).unwrap_or_else(|| "—".into())) } span.unit { " / 900" } }
            div { (t.t("grade")) " " strong.grade id="grade" { (doc.grade.map(|g| g.to_string()).unwrap_or_else(|| "—".into())) } }
            div.muted { (t.with("as-of", &[("month", doc.as_of.clone())])) " · " (t.t("scorecard")) " " (doc.scorecard_version) }
        }
        @if let Some(rs) = &doc.reasons {
            h3 { (t.t("reasons-title")) }
            ol.reasons { @for r in rs { li { (if zh { &r.zh } else { &r.en }) } } }
        }
        @if let Some(scope) = &doc.scope { p.muted { (t.with("bank-profile-scope", &[("scope", t.join(scope.iter().map(|x| t.code("scope", x))))])) } }
        div.scroll tabindex="0" {
            table {
                caption { (t.t("bank-indicators")) }
                thead { tr { th scope="col" { (t.t("bank-section")) } th scope="col" { (t.t("bank-indicator")) } th scope="col" .num { (t.t("bank-value")) } th scope="col" { (t.t("coverage")) } } }
                tbody {
                    @for (name, sec) in &doc.sections {
                        @for i in &sec.indicators {
                            tr {
                                td { (t.code("source", name)) }
                                td { (t.code("indicator", &i.key)) }
                                td.num { (value(t, &i.unit, i.value.as_deref())) }
                                td { (t.code("coverage", &i.coverage)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// An indicator's value as people read it: yuan as money, a ratio as a percentage.
fn value(t: &T, unit: &str, v: Option<&str>) -> String {
    let Some(v) = v else { return "—".into() };
    match unit {
        "yuan" => Money::parse(v).map_or_else(|_| v.to_string(), |m| t.money(m)),
        "ratio" => v
            .parse::<Decimal>()
            .map_or_else(|_| v.to_string(), |r| t.percent(r)),
        _ => v.to_string(),
    }
}

/// The forms for what the bank may do with the application now.
fn acts(
    t: &T,
    csrf: &str,
    v: &ApplicationView,
    product: Option<&products::ProductView>,
    f: &ActForm,
    e: &FieldErrors,
) -> Markup {
    let may = |a: ApplicationAction| v.status.after(a).is_ok();
    let range = product.and_then(
        |p| match (p.spec.rate_min, p.spec.rate_max, p.spec.fee_rate) {
            (Some(lo), Some(hi), _) => Some((lo, hi)),
            (_, _, Some(fee)) => Some((fee, fee)),
            _ => None,
        },
    );
    let action = |what: &str| format!("/bank/applications/{}/{what}", v.id);
    let amount = if f.amount.is_empty() {
        v.amount.to_string()
    } else {
        f.amount.clone()
    };
    let term = if f.term_months.is_empty() {
        v.term_months.to_string()
    } else {
        f.term_months.clone()
    };
    let others = e.others(&[
        "amount",
        "rate_percent",
        "term_months",
        "code",
        "reason",
        "on",
        "decision",
    ]);
    html! {
        @if !others.is_empty() { div.card { p.error role="alert" { (others.join(" ")) } } }
        @if may(ApplicationAction::Approve) {
            div.card #decide {
                h2 { (t.t("bank-decide-title")) }
                form method="post" action=(action("decide")) {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="decision" value="approve";
                    (field(&t.t("approved-amount"), "amount", "text", &amount, e))
                    (field(&t.t("bank-rate-percent"), "rate_percent", "text", &f.rate_percent, e))
                    @if let Some((lo, hi)) = range { p.help { (t.with("bank-rate-range", &[("min", t.percent(lo)), ("max", t.percent(hi))])) } }
                    (field(&t.t("ask-term"), "term_months", "number", &term, e))
                    button type="submit" { (t.t("bank-approve")) }
                }
                form method="post" action=(action("decide")) {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="decision" value="decline";
                    div.field {
                        label for="code" { (t.t("decline-reason")) }
                        select id="code" name="code" {
                            @for c in DECLINE_CODES { option value=(c) selected[f.code == *c] { (t.code("decline", c)) } }
                        }
                        @if let Some(m) = e.get("code") { p.error role="alert" { (m) } }
                    }
                    (field(&t.t("bank-decline-note"), "reason", "text", &f.reason, e))
                    button.danger type="submit" { (t.t("bank-decline")) }
                }
            }
        }
        @if may(ApplicationAction::Disburse) {
            div.card #disburse {
                h2 { (t.t("bank-disburse-title")) }
                form method="post" action=(action("disburse")) {
                    input type="hidden" name="csrf" value=(csrf);
                    (field(&t.t("bank-on"), "on", "date", &f.on, e))
                    p.help { (t.t("bank-on-hint")) }
                    button type="submit" { (t.t("bank-disburse")) }
                }
            }
        }
        @if may(ApplicationAction::Repay { clears: false }) {
            div.card #repay {
                h2 { (t.t("bank-repay-title")) }
                form method="post" action=(action("repay")) {
                    input type="hidden" name="csrf" value=(csrf);
                    (field(&t.t("bank-repay-amount"), "amount", "text", &f.amount, e))
                    (field(&t.t("bank-on"), "on", "date", &f.on, e))
                    button type="submit" { (t.t("bank-repay")) }
                }
                form method="post" action=(action("default")) {
                    input type="hidden" name="csrf" value=(csrf);
                    (field(&t.t("bank-default-on"), "on", "date", &f.on, e))
                    button.danger type="submit" { (t.t("bank-default")) }
                }
            }
        }
    }
}

/// Decide, disburse, record a repayment or a default; back to the application, or the form with its
/// faults beside the fields.
#[post("/bank/applications/{id}/{act}")]
pub async fn act(
    state: web::Data<AppState>,
    s: BankStaff,
    path: web::Path<(String, String)>,
    f: web::Form<ActForm>,
) -> actix_web::Result<HttpResponse> {
    if let Some(r) = s.forged(&f.csrf) {
        return Ok(r);
    }
    let (id, act) = path.into_inner();
    let f = f.into_inner();
    let ctx = state.ctx();
    let key = s.key_id();
    let dated = || DatedAmount {
        on: some(&f.on),
        amount: some(&f.amount),
        detail: None,
    };
    let done = match act.as_str() {
        "decide" => {
            let Ok(rate) = super::layout::fraction_of_percent(&f.rate_percent) else {
                let e = FieldErrors(vec![("rate_percent".into(), s.t.t("bank-rate-format"))]);
                return render(&state, &s, &id, &f, &e, StatusCode::UNPROCESSABLE_ENTITY).await;
            };
            let input = DecisionInput {
                decision: f.decision.clone(),
                amount: some(&f.amount),
                rate,
                term_months: f.term_months.trim().parse().ok(),
                code: some(&f.code),
                reason: some(&f.reason),
            };
            applications::decide(ctx, &s.actor, &key, &id, input).await
        }
        "disburse" => applications::disburse(ctx, &s.actor, &key, &id, dated()).await,
        "repay" => applications::repay(ctx, &s.actor, &key, &id, dated()).await,
        "default" => applications::default(ctx, &s.actor, &key, &id, dated()).await,
        _ => return Ok(HttpResponse::NotFound().finish()),
    };
    match done {
        Ok(_) => Ok(see_other(&format!("/bank/applications/{id}"))),
        Err(ApplicationError::Invalid(v)) => {
            // The rate is typed as a percentage on the page.
            let mut e = FieldErrors::of(&s.t, &v);
            for (field, _) in e.0.iter_mut() {
                if field == "rate" {
                    *field = "rate_percent".into();
                }
            }
            render(&state, &s, &id, &f, &e, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => s.refusal(e),
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct QueryLogQuery {
    #[serde(default)]
    pub firm: String,
    pub before: Option<String>,
}

/// The bank's own queries of firms' profiles, newest first (the access log as the bank sees it): when,
/// which firm, under which purpose and consent, what came back, and who asked (a key or an officer).
#[get("/bank/queries")]
pub async fn queries(
    state: web::Data<AppState>,
    s: BankStaff,
    q: web::Query<QueryLogQuery>,
) -> actix_web::Result<HttpResponse> {
    let t = &s.t;
    let q = q.into_inner();
    let firm = Some(q.firm.trim().to_uppercase()).filter(|f| !f.is_empty());
    let w = crate::service::access_log::Window {
        before: q.before.clone(),
        limit: 50,
    };
    let (rows, errors) = match crate::service::access_log::log(
        state.ctx(),
        &s.actor,
        None,
        firm.as_deref(),
        w,
    )
    .await
    {
        Ok(r) => (Some(r), FieldErrors::default()),
        Err(ServiceError::Invalid(v)) => (None, FieldErrors::of(t, &v)),
        Err(e) => return s.refusal(e),
    };
    let older = rows.as_ref().and_then(|r| {
        r.more
            .then(|| r.items.last())
            .flatten()
            .map(|last| format!("/bank/queries?firm={}&before={}", q.firm.trim(), last.id))
    });
    let body = html! {
        div.card {
            h1 { (t.t("bank-queries-title")) }
            p { (t.t("bank-queries-intro")) }
            form.filters method="get" action="/bank/queries" {
                (field(&t.t("uscc"), "firm", "search", &q.firm, &errors))
                @if let Some(m) = errors.get("firm_uscc") { p.error role="alert" { (m) } }
                button type="submit" { (t.t("filter")) }
            }
        }
        div.card {
            @match &rows {
                Some(r) if !r.items.is_empty() => div.scroll tabindex="0" {
                    table {
                        caption { (t.t("bank-queries-caption")) }
                        thead { tr {
                            th scope="col" { (t.t("event-time")) }
                            th scope="col" { (t.t("uscc")) }
                            th scope="col" { (t.t("access-purpose")) }
                            th scope="col" { (t.t("access-consent")) }
                            th scope="col" { (t.t("access-scope")) }
                            th scope="col" { (t.t("access-result")) }
                            th scope="col" { (t.t("bank-queries-who")) }
                        } }
                        tbody {
                            @for row in &r.items {
                                tr {
                                    td { (chrono::DateTime::parse_from_rfc3339(&row.at).map(|d| t.instant(d.naive_utc())).unwrap_or_else(|_| row.at.clone())) }
                                    td.mono { (row.firm_uscc) }
                                    td { (t.code("purpose", row.purpose.as_deref().unwrap_or("none"))) }
                                    td.mono { (row.consent_id.as_deref().unwrap_or("—")) }
                                    td { (row.scope.as_deref().unwrap_or("—")) }
                                    td { (t.code("result", &row.result)) @if let Some(why) = &row.reason { div.muted { (why) } } }
                                    td.mono { (row.key_id) }
                                }
                            }
                        }
                    }
                },
                _ => p.notice { (t.t("bank-queries-none")) },
            }
            @if let Some(o) = older { p { a href=(o) { (t.t("access-older")) } } }
        }
    };
    Ok(s.page(&t.t("bank-queries-title"), "/bank/queries", body))
}

/// The bulk query form: USCCs typed or in a file, and the purpose.
#[get("/bank/bulk")]
pub async fn bulk_form(s: BankStaff) -> actix_web::Result<HttpResponse> {
    Ok(render_bulk(
        &s,
        "",
        "credit_assessment",
        &FieldErrors::default(),
        StatusCode::OK,
    ))
}

fn render_bulk(
    s: &BankStaff,
    usccs: &str,
    purpose: &str,
    e: &FieldErrors,
    status: StatusCode,
) -> HttpResponse {
    let t = &s.t;
    let err = e.get("usccs").or_else(|| e.get("file"));
    let body = html! {
        div.card {
            h1 { (t.t("bank-bulk-title")) }
            p { (t.t("bank-bulk-intro")) }
            form method="post" action="/bank/bulk" enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(s.who.csrf);
                div.field {
                    label for="usccs" { (t.t("bank-bulk-usccs")) }
                    textarea id="usccs" name="usccs" rows="8" cols="24"
                        aria-invalid=[err.as_ref().map(|_| "true")] aria-describedby=[err.as_ref().map(|_| "usccs-error")] { (usccs) }
                    @if let Some(m) = &err { p.error id="usccs-error" role="alert" { (m) } }
                }
                div.field {
                    label for="file" { (t.t("bank-bulk-file")) }
                    input id="file" name="file" type="file" accept=".csv,.txt,.xlsx";
                    p.help { (t.t("bank-bulk-file-hint")) }
                }
                div.field {
                    label for="purpose" { (t.t("access-purpose")) }
                    select id="purpose" name="purpose" {
                        @for p in crate::domain::consent::Purpose::ALL {
                            option value=(p.as_str()) selected[purpose == p.as_str()] { (t.code("purpose", p.as_str())) }
                        }
                    }
                    @if let Some(m) = e.get("purpose") { p.error role="alert" { (m) } }
                }
                button type="submit" { (t.t("bank-bulk-send")) }
            }
        }
    };
    super::layout::with_status(s.page(&t.t("bank-bulk-title"), "/bank/bulk", body), status)
}

/// The USCCs of a typed list or a file (one per line, or the first column of a CSV or a sheet; a header
/// row and blank lines left aside), in the order given.
fn usccs_of(typed: &str, file: Option<&super::upload::FilePart>) -> Result<Vec<String>, String> {
    let mut text = typed.to_string();
    if let Some(f) = file {
        let body = match f.kind() {
            Some(crate::service::spreadsheet::XLSX) => {
                crate::service::spreadsheet::xlsx_as_csv(&f.bytes, None)
                    .map_err(|e| e.to_string())?
            }
            _ => crate::service::spreadsheet::utf8(&f.bytes, None)
                .map_err(|e| e.to_string())?
                .into_owned(),
        };
        text.push('\n');
        text.push_str(&String::from_utf8_lossy(&body));
    }
    Ok(text
        .lines()
        .map(|l| {
            l.split([',', '\t', ';'])
                .next()
                .unwrap_or("")
                .trim()
                .trim_matches('"')
        })
        .filter(|l| !l.is_empty())
        // A header row names the column rather than a firm.
        .filter(|l| l.chars().any(|c| c.is_ascii_digit()))
        .map(str::to_string)
        .collect())
}

/// Query up to 1,000 firms' profiles at once and answer them as a workbook, one row per USCC in the
/// order given (each read under the bank's consents for the purpose, each logged for its firm).
#[post("/bank/bulk")]
pub async fn bulk(
    state: web::Data<AppState>,
    s: BankStaff,
    req: actix_web::HttpRequest,
    payload: actix_multipart::Multipart,
) -> actix_web::Result<HttpResponse> {
    let t = &s.t;
    use super::upload::Received;
    let (_permit, form) = match super::upload::receive(&state, &req, payload, &s).await {
        Received::Form(permit, form) => (permit, form),
        Received::Refused(errors, status) => {
            return Ok(render_bulk(&s, "", "credit_assessment", &errors, status))
        }
        Received::Forged(page) => return Ok(page),
    };
    let (typed, purpose) = (form.field("usccs"), form.field("purpose"));
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let usccs = match usccs_of(typed, form.file.as_ref()) {
        Ok(u) => u,
        Err(m) => {
            let errors = FieldErrors(vec![("file".into(), m)]);
            return Ok(render_bulk(&s, typed, purpose, &errors, unprocessable));
        }
    };
    let key_id = s.key_id();
    let caller = Caller {
        actor: &s.actor,
        key_id: &key_id,
        route: "POST /bank/bulk",
        request_id: None,
        client_request_id: None,
        at: state.clock.now(),
    };
    let items = match profiles::read_many(state.ctx(), &caller, Some(purpose), None, &usccs).await {
        Ok(items) => items,
        Err(profiles::ProfileError::Invalid(v)) => {
            let errors = FieldErrors::of(t, &v);
            return Ok(render_bulk(&s, typed, purpose, &errors, unprocessable));
        }
        Err(e) => return s.refusal(ServiceError::from(e)),
    };
    let book = crate::service::spreadsheet::bulk_profiles(&items)
        .map_err(|e| actix_web::error::ErrorInternalServerError(format!("the workbook: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type(crate::service::spreadsheet::XLSX)
        .insert_header((
            "content-disposition",
            "attachment; filename=\"profiles.xlsx\"",
        ))
        .body(book))
}
