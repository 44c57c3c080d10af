//! Applying and what follows: the apply form (amount, term, what it pledges, and the consent it grants
//! shown in full before the owner confirms), my applications with every event and withdrawal while
//! allowed, and my loans.

use super::layout::{FieldErrors, T};
use super::session::Person;
use super::words;
use crate::api::AppState;
use crate::domain::consent::SCOPES;
use crate::domain::matching::ProductKind;
use crate::domain::states::ApplicationStatus;
use crate::domain::Money;
use crate::service::applications::{
    self, ApplicationError, ApplicationInput, ApplicationView, ListQuery, CONSENT_DATA_LIFE_DAYS,
    CONSENT_DATA_MONTHS, DEFAULT_CONSENT_DAYS,
};
use crate::service::{assets, matching, products, ServiceError};
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use maud::{html, Markup};
use std::collections::HashMap;

#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct ApplyQuery {
    #[serde(default)]
    pub product: String,
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub term_months: String,
}

/// The apply form as posted: repeated `receivable_ids` / `ip_asset_ids` checkboxes.
#[derive(Debug, Default, Clone)]
pub struct ApplyForm {
    pub csrf: String,
    pub product: String,
    pub amount: String,
    pub term_months: String,
    pub consent_days: String,
    pub confirm_consent: bool,
    pub receivable_ids: Vec<String>,
    pub ip_asset_ids: Vec<String>,
}

impl ApplyForm {
    fn parse(body: &[u8]) -> ApplyForm {
        let mut f = ApplyForm::default();
        for (k, v) in form_urlencoded::parse(body) {
            let v = v.into_owned();
            match k.as_ref() {
                "csrf" => f.csrf = v,
                "product" => f.product = v,
                "amount" => f.amount = v,
                "term_months" => f.term_months = v,
                "consent_days" => f.consent_days = v,
                "confirm_consent" => f.confirm_consent = true,
                "receivable_ids" => f.receivable_ids.push(v),
                "ip_asset_ids" => f.ip_asset_ids.push(v),
                _ => {}
            }
        }
        f
    }
}

#[get("/firm/apply")]
pub async fn apply_form(
    state: web::Data<AppState>,
    p: Person,
    q: web::Query<ApplyQuery>,
) -> actix_web::Result<HttpResponse> {
    if let Some(r) = p.not_owner() {
        return Ok(r);
    }
    let q = q.into_inner();
    let form = ApplyForm {
        product: q.product,
        amount: if q.amount.is_empty() {
            "500000".into()
        } else {
            q.amount
        },
        term_months: if q.term_months.is_empty() {
            "12".into()
        } else {
            q.term_months
        },
        consent_days: DEFAULT_CONSENT_DAYS.to_string(),
        ..Default::default()
    };
    render_apply(&state, &p, &form, &FieldErrors::default(), StatusCode::OK).await
}

#[post("/firm/apply")]
pub async fn apply(
    state: web::Data<AppState>,
    p: Person,
    body: web::Bytes,
) -> actix_web::Result<HttpResponse> {
    let f = ApplyForm::parse(&body);
    if let Some(r) = p.refused(&f.csrf) {
        return Ok(r);
    }
    let t = &p.t;
    let mut errors = FieldErrors::default();
    let term = f.term_months.trim().parse::<i32>();
    let days = f.consent_days.trim().parse::<i64>();
    if term.is_err() {
        errors
            .0
            .push(("term_months".into(), t.t("rule-whole-number")));
    }
    if days.is_err() {
        errors
            .0
            .push(("consent_days".into(), t.t("rule-whole-number")));
    }
    if !f.confirm_consent {
        errors
            .0
            .push(("confirm_consent".into(), t.t("rule-consent_confirm")));
    }
    if let (Ok(term), Ok(days), true) = (term, days, errors.is_empty()) {
        let input = ApplicationInput {
            product_id: f.product.clone(),
            amount: f.amount.replace([',', '，', ' '], "").replace('元', ""),
            term_months: term,
            receivable_ids: (!f.receivable_ids.is_empty()).then(|| f.receivable_ids.clone()),
            ip_asset_ids: (!f.ip_asset_ids.is_empty()).then(|| f.ip_asset_ids.clone()),
            confirm_consent: true,
            consent_days: Some(days),
        };
        match applications::create(state.ctx(), &p.firm, &p.key_id(), input).await {
            Ok(a) => {
                return Ok(super::layout::see_other(&format!(
                    "/firm/applications/{}?applied=1",
                    a.id
                )))
            }
            Err(ApplicationError::Invalid(v)) => errors = FieldErrors::of(t, &v),
            Err(e) => return super::layout::refusal(t, Some(&p.frame()), ServiceError::from(e)),
        }
    }
    render_apply(&state, &p, &f, &errors, StatusCode::UNPROCESSABLE_ENTITY).await
}

async fn render_apply(
    state: &AppState,
    p: &Person,
    f: &ApplyForm,
    errors: &FieldErrors,
    status: StatusCode,
) -> actix_web::Result<HttpResponse> {
    let t = &p.t;
    let product = match products::get(state.ctx(), &f.product).await {
        Ok(v) => v,
        Err(e) => return super::layout::refusal(t, Some(&p.frame()), ServiceError::from(e)),
    };
    let names = crate::service::institutions::public_names(state.ctx())
        .await
        .map_err(super::layout::unavailable)?;
    let inst = names
        .get(&product.institution_id)
        .cloned()
        .unwrap_or_else(|| product.institution_id.clone());
    let firm = &p.firm;
    let (receivables, ip) = applications::pledgeable(state.ctx(), firm)
        .await
        .map_err(|e| super::layout::unavailable(ServiceError::from(e)))?;
    // The cost quoted for this ask, if the firm qualifies.
    let quote = match applications::ask(
        &f.amount.replace([',', '，', ' '], "").replace('元', ""),
        f.term_months.trim().parse().unwrap_or(0),
        state.clock.today(),
    ) {
        Ok(ask) => match matching::for_firm(state.ctx(), &p.actor(), firm, ask).await {
            Ok(m) => {
                let r = m.result();
                r.offers
                    .iter()
                    .find(|o| o.product.id == product.id)
                    .map(|o| o.cost.clone())
            }
            Err(e) => return super::layout::refusal(t, Some(&p.frame()), ServiceError::from(e)),
        },
        Err(_) => None,
    };
    let purpose = applications::consent_purpose(product.spec.kind);
    let days = f
        .consent_days
        .trim()
        .parse::<i64>()
        .unwrap_or(DEFAULT_CONSENT_DAYS);
    let today = state.clock.today();
    let ends = today + chrono::Duration::days(days);
    let err = |name: &str| errors.get(name);
    let shown = [
        "amount",
        "term_months",
        "consent_days",
        "confirm_consent",
        "receivable_ids",
        "ip_asset_ids",
    ];
    let body = html! {
        div.card {
            h1 { (t.with("apply-title", &[("product", product.spec.name.clone())])) }
            p.muted { (inst) " · " (t.code("kind", product.spec.kind.as_str())) }
            @let others = errors.others(&shown);
            @if !others.is_empty() {
                div.alert role="alert" { p { (t.t("apply-refused")) } ul { @for e in others { li { (e) } } } }
            }
            form method="post" action="/firm/apply" novalidate {
                input type="hidden" name="csrf" value=(p.who.csrf);
                input type="hidden" name="product" value=(product.id);
                (super::layout::field(&t.t("ask-amount"), "amount", "text", &f.amount, errors))
                (super::layout::field(&t.t("ask-term"), "term_months", "number", &f.term_months, errors))
                @if product.spec.kind == ProductKind::ReceivableFinancing {
                    fieldset {
                        legend { (t.t("pledge-receivables")) }
                        @if receivables.is_empty() { p { (t.t("pledge-none")) } }
                        @for r in &receivables {
                            div.field.check {
                                input type="checkbox" id={ "r-" (r.id) } name="receivable_ids" value=(r.id) checked[f.receivable_ids.contains(&r.id)];
                                label for={ "r-" (r.id) } { (r.invoice_no) " · " (t.money(Money::from_fen(r.amount_fen))) " · " (t.with("due-on", &[("date", t.date(r.due_on))])) }
                            }
                        }
                        p.help { (t.t("pledge-default")) }
                        @if let Some(e) = err("receivable_ids") { p.error role="alert" { (e) } }
                    }
                }
                @if product.spec.kind == ProductKind::IpPledge {
                    fieldset {
                        legend { (t.t("pledge-ip")) }
                        @if ip.is_empty() { p { (t.t("pledge-none")) } }
                        @for a in &ip {
                            div.field.check {
                                input type="checkbox" id={ "ip-" (a.id) } name="ip_asset_ids" value=(a.id) checked[f.ip_asset_ids.contains(&a.id)];
                                label for={ "ip-" (a.id) } { (t.code("ip", &a.kind)) " " (a.number) " " (a.title) " · " (t.money(Money::from_fen(a.appraised_value_fen))) }
                            }
                        }
                        p.help { (t.t("pledge-default")) }
                        @if let Some(e) = err("ip_asset_ids") { p.error role="alert" { (e) } }
                    }
                }
                @if let Some(c) = &quote {
                    h2 { (t.t("apply-cost")) }
                    (words::cost(t, c))
                }
                section.consent aria-labelledby="consent-heading" {
                    h2 id="consent-heading" { (t.t("consent-shown")) }
                    p { (t.with("consent-shown-intro", &[("institution", inst.clone())])) }
                    dl id="consent-terms" {
                        dt { (t.t("consent-institution")) } dd { (inst) }
                        dt { (t.t("access-purpose")) } dd { (t.code("purpose", purpose.as_str())) }
                        dt { (t.t("consent-scope")) } dd { (t.join(SCOPES.iter().map(|s| t.code("scope", s)))) }
                        dt { (t.t("consent-data-months")) } dd { (t.with("months-n", &[("months", CONSENT_DATA_MONTHS.to_string())])) }
                        dt { (t.t("consent-data-life")) } dd { (t.with("days-n", &[("days", CONSENT_DATA_LIFE_DAYS.to_string())])) }
                        dt { (t.t("consent-valid")) } dd { (t.date(today)) " – " (t.date(ends)) }
                    }
                    (super::layout::field(&t.t("consent-days"), "consent_days", "number", &f.consent_days, errors))
                    div.field.check {
                        input type="checkbox" id="confirm_consent" name="confirm_consent" value="1" required
                            aria-invalid=[err("confirm_consent").map(|_| "true")]
                            aria-describedby=[err("confirm_consent").map(|_| "confirm_consent-error")];
                        label for="confirm_consent" { (t.with("consent-agree", &[("institution", inst.clone())])) }
                    }
                    @if let Some(e) = err("confirm_consent") { p.error id="confirm_consent-error" role="alert" { (e) } }
                }
                button type="submit" { (t.t("apply-submit")) }
            }
        }
    };
    Ok(super::layout::with_status(
        p.page(&t.t("nav-offers"), "/firm/offers", body),
        status,
    ))
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct ListFilter {
    pub status: Option<String>,
    pub before: Option<String>,
}

const PAGE: i64 = 50;

#[get("/firm/applications")]
pub async fn list(
    state: web::Data<AppState>,
    p: Person,
    q: web::Query<ListFilter>,
) -> actix_web::Result<HttpResponse> {
    let t = &p.t;
    let q = q.into_inner();
    let status = q
        .status
        .as_deref()
        .filter(|s| !s.is_empty())
        .and_then(|s| ApplicationStatus::parse(s).ok());
    let rows = applications::list(
        state.ctx(),
        &p.actor(),
        ListQuery {
            status,
            before: q.before.clone(),
            limit: PAGE,
        },
    )
    .await
    .map_err(|e| super::layout::unavailable(ServiceError::from(e)))?;
    let (rows, more) = crate::service::split_page(rows, PAGE);
    let names = product_names(&state).await?;
    let body = html! {
        div.card {
            h1 { (t.t("applications-title")) }
            form.inline-form method="get" action="/firm/applications" {
                div.field {
                    label for="status" { (t.t("status")) }
                    select id="status" name="status" {
                        option value="" { (t.t("status-all")) }
                        @for s in ApplicationStatus::ALL {
                            option value=(s.as_str()) selected[status == Some(*s)] { (t.code("app", s.as_str())) }
                        }
                    }
                }
                button type="submit" { (t.t("filter")) }
            }
            @if rows.is_empty() { p.notice { (t.t("applications-none")) " " a href="/firm/offers" { (t.t("offers-link")) } } }
            @else {
                div.scroll tabindex="0" {
                    table {
                        thead { tr {
                            th scope="col" { (t.t("applied-on")) }
                            th scope="col" { (t.t("product")) }
                            th.num scope="col" { (t.t("ask-amount")) }
                            th.num scope="col" { (t.t("ask-term")) }
                            th scope="col" { (t.t("status")) }
                        } }
                        tbody {
                            @for a in &rows {
                                tr {
                                    td { (t.instant(a.created_at)) }
                                    td { a href={ "/firm/applications/" (a.id) } { (names.get(&a.product_id).cloned().unwrap_or_else(|| a.product_id.clone())) } }
                                    td.num { (t.money(Money::from_fen(a.amount_fen))) }
                                    td.num { (a.term_months) }
                                    td { span class={ "pill " (a.status.as_str()) } { (t.code("app", a.status.as_str())) } }
                                }
                            }
                        }
                    }
                }
                @if more { @if let Some(last) = rows.last() { p { a href={ "/firm/applications?before=" (last.id) } { (t.t("access-older")) } } } }
            }
        }
    };
    Ok(p.page(&t.t("applications-title"), "/firm/applications", body))
}

async fn product_names(state: &AppState) -> actix_web::Result<HashMap<String, String>> {
    let b = products::Browse {
        include_withdrawn: true,
        limit: 10_000,
        ..Default::default()
    };
    Ok(products::browse(state.ctx(), b)
        .await
        .map_err(|e| super::layout::unavailable(ServiceError::from(e)))?
        .into_iter()
        .map(|p| (p.id, p.spec.name))
        .collect())
}

#[get("/firm/applications/{id}")]
pub async fn detail(
    state: web::Data<AppState>,
    p: Person,
    id: web::Path<String>,
    req: actix_web::HttpRequest,
) -> actix_web::Result<HttpResponse> {
    let t = &p.t;
    let d = match applications::get(state.ctx(), &p.actor(), &id).await {
        Ok(d) => d,
        Err(e) => return super::layout::refusal(t, Some(&p.frame()), ServiceError::from(e)),
    };
    let v = d.view().map_err(super::layout::unavailable)?;
    let names = product_names(&state).await?;
    let inst = crate::service::institutions::public_names(state.ctx())
        .await
        .map_err(super::layout::unavailable)?;
    let applied = req.query_string().contains("applied=1");
    let body = render_detail(t, &p, &v, &names, &inst, applied);
    Ok(p.page(&t.t("application-title"), "/firm/applications", body))
}

fn render_detail(
    t: &T,
    p: &Person,
    v: &ApplicationView,
    names: &HashMap<String, String>,
    inst: &HashMap<String, String>,
    applied: bool,
) -> Markup {
    let may_withdraw = v
        .status
        .after(crate::domain::states::ApplicationAction::Withdraw)
        .is_ok();
    html! {
        div.card {
            h1 { (t.t("application-title")) }
            @if applied { p.notice role="status" { (t.t("applied-notice")) } }
            dl {
                dt { (t.t("product")) } dd { (names.get(&v.product_id).cloned().unwrap_or_else(|| v.product_id.clone())) }
                dt { (t.t("consent-institution")) } dd { (inst.get(&v.institution_id).cloned().unwrap_or_else(|| v.institution_id.clone())) }
                dt { (t.t("ask-amount")) } dd { (t.money(v.amount)) }
                dt { (t.t("ask-term")) } dd { (t.with("months-n", &[("months", v.term_months.to_string())])) }
                dt { (t.t("status")) } dd { span id="status" class={ "pill " (v.status.as_str()) } { (t.code("app", v.status.as_str())) } }
                @if let Some(a) = v.approved_amount { dt { (t.t("approved-amount")) } dd { (t.money(a)) } }
                @if let Some(r) = &v.approved_rate { dt { (t.t("approved-rate")) } dd { (r.parse::<rust_decimal::Decimal>().map(|d| t.percent(d)).unwrap_or_else(|_| r.clone())) } }
                @if let Some(c) = &v.decline_code { dt { (t.t("decline-reason")) } dd { (t.code("decline", c)) @if let Some(r) = &v.decline_reason { " — " (r) } } }
                dt { (t.t("consent-title")) } dd { a href="/firm/consents" { code { (v.consent_id) } } }
            }
            @if may_withdraw && p.is_owner() {
                form method="post" action={ "/firm/applications/" (v.id) "/withdraw" } {
                    input type="hidden" name="csrf" value=(p.who.csrf);
                    button.secondary type="submit" { (t.t("withdraw")) }
                }
            }
        }
        (words::events(t, v.events.as_deref().unwrap_or(&[])))
    }
}

#[post("/firm/applications/{id}/withdraw")]
pub async fn withdraw(
    state: web::Data<AppState>,
    p: Person,
    id: web::Path<String>,
    form: web::Form<super::session::CsrfForm>,
) -> actix_web::Result<HttpResponse> {
    if let Some(r) = p.refused(&form.csrf) {
        return Ok(r);
    }
    match applications::withdraw(state.ctx(), &p.actor(), &p.key_id(), &id).await {
        Ok(_) => Ok(super::layout::see_other(&format!(
            "/firm/applications/{id}"
        ))),
        Err(e) => super::layout::refusal(&p.t, Some(&p.frame()), ServiceError::from(e)),
    }
}

#[get("/firm/loans")]
pub async fn loans(state: web::Data<AppState>, p: Person) -> actix_web::Result<HttpResponse> {
    let t = &p.t;
    let rows = match assets::firm_loans(state.ctx(), &p.actor(), &p.firm).await {
        Ok(r) => r,
        Err(e) => return super::layout::refusal(t, Some(&p.frame()), ServiceError::from(e)),
    };
    let inst = crate::service::institutions::public_names(state.ctx())
        .await
        .map_err(super::layout::unavailable)?;
    let body = html! {
        div.card {
            h1 { (t.t("loans-title")) }
            @if rows.is_empty() { p.notice { (t.t("loans-none")) } }
            @else {
                div.scroll tabindex="0" {
                    table {
                        thead { tr {
                            th scope="col" { (t.t("lender")) }
                            th.num scope="col" { (t.t("principal")) }
                            th.num scope="col" { (t.t("outstanding")) }
                            th scope="col" { (t.t("loan-start")) }
                            th scope="col" { (t.t("loan-maturity")) }
                            th scope="col" { (t.t("status")) }
                        } }
                        tbody {
                            @for l in &rows {
                                tr {
                                    td { (inst.get(&l.institution_id).cloned().unwrap_or_else(|| l.institution_id.clone())) }
                                    td.num { (t.money(l.amount)) }
                                    td.num { (t.money(l.outstanding)) }
                                    td { (t.date(l.start_on)) }
                                    td { (t.date(l.maturity_on)) }
                                    td { span class={ "pill " (l.status.as_str()) } { (t.code("loan", l.status.as_str())) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(p.page(&t.t("loans-title"), "/firm/loans", body))
}
