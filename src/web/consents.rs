//! Consents (Art 58): the firm's consents by status (pending ones registered by an institution, to
//! confirm or refuse; active; expired; revoked), a form to grant one with every field explained, and
//! revocation with a confirmation step. Owners act; members read.

use super::layout::{FieldErrors, T};
use super::session::Person;
use crate::api::AppState;
use crate::domain::consent::{Purpose, Status, SCOPES};
use crate::service::consents::{self, ConsentError, ConsentInput, ListQuery};
use crate::service::ServiceError;
use crate::store::consents::ConsentRow;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use maud::{html, Markup};
use std::collections::HashMap;

fn scope_words(t: &T, scope: &str) -> String {
    t.join(
        scope
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| t.code("scope", s)),
    )
}

/// The grant form as posted (scope checkboxes repeat).
#[derive(Debug, Default, Clone)]
pub struct GrantForm {
    pub csrf: String,
    pub institution_id: String,
    pub purpose: String,
    pub scope: Vec<String>,
    pub data_months: String,
    pub max_queries_per_month: String,
    pub data_life_days: String,
    pub expires_on: String,
}

impl GrantForm {
    fn parse(body: &[u8]) -> GrantForm {
        let mut f = GrantForm::default();
        for (k, v) in form_urlencoded::parse(body) {
            let v = v.into_owned();
            match k.as_ref() {
                "csrf" => f.csrf = v,
                "institution_id" => f.institution_id = v,
                "purpose" => f.purpose = v,
                "scope" => f.scope.push(v),
                "data_months" => f.data_months = v,
                "max_queries_per_month" => f.max_queries_per_month = v,
                "data_life_days" => f.data_life_days = v,
                "expires_on" => f.expires_on = v,
                _ => {}
            }
        }
        f
    }

    fn defaults(today: chrono::NaiveDate) -> GrantForm {
        GrantForm {
            purpose: Purpose::CreditAssessment.as_str().into(),
            scope: SCOPES.iter().map(|s| s.to_string()).collect(),
            data_months: "12".into(),
            data_life_days: "365".into(),
            expires_on: (today + chrono::Duration::days(90)).to_string(),
            ..Default::default()
        }
    }
}

#[get("/firm/consents")]
pub async fn list(state: web::Data<AppState>, p: Person) -> actix_web::Result<HttpResponse> {
    let form = GrantForm::defaults(state.clock.today());
    render(
        &state,
        &p,
        &form,
        &FieldErrors::default(),
        StatusCode::OK,
        None,
    )
    .await
}

async fn render(
    state: &AppState,
    p: &Person,
    form: &GrantForm,
    errors: &FieldErrors,
    status: StatusCode,
    notice: Option<String>,
) -> actix_web::Result<HttpResponse> {
    let t = &p.t;
    let q = ListQuery {
        limit: 200,
        ..Default::default()
    };
    let listed = match consents::list(state.ctx(), &p.actor(), q).await {
        Ok(l) => l,
        Err(e) => return super::layout::refusal(t, Some(&p.frame()), ServiceError::from(e)),
    };
    let names = crate::service::institutions::public_names(state.ctx())
        .await
        .map_err(super::layout::unavailable)?;
    let now = state.clock.now();
    let owner = p.is_owner();
    let by = |s: Status| -> Vec<&ConsentRow> {
        listed.rows.iter().filter(|c| c.status(now) == s).collect()
    };
    let body = html! {
        div.card {
            h1 { (t.t("consents-title")) }
            p { (t.t("consents-intro")) }
            @if let Some(n) = &notice { p.notice role="status" { (n) } }
        }
        @if !listed.pending.is_empty() {
            div.card id="pending" {
                h2 { (t.t("consents-pending")) }
                p { (t.t("consents-pending-intro")) }
                (table(t, p, &listed.pending, &names, owner, Status::Pending))
            }
        }
        @for (s, key) in [(Status::Active, "consents-active"), (Status::Expired, "consents-expired"), (Status::Revoked, "consents-revoked"), (Status::Refused, "consents-refused")] {
            @let rows = by(s);
            @if !rows.is_empty() || s == Status::Active {
                div.card id=(s.as_str()) {
                    h2 { (t.t(key)) }
                    @if rows.is_empty() { p { (t.t("consents-none")) } }
                    @else { (table(t, p, &rows.into_iter().cloned().collect::<Vec<_>>(), &names, owner, s)) }
                }
            }
        }
        @if owner { (grant_form(t, p, form, errors, &names)) }
    };
    Ok(super::layout::with_status(
        p.page(&t.t("consents-title"), "/firm/consents", body),
        status,
    ))
}

fn table(
    t: &T,
    p: &Person,
    rows: &[ConsentRow],
    names: &HashMap<String, String>,
    owner: bool,
    status: Status,
) -> Markup {
    html! {
        div.scroll tabindex="0" {
            table {
                thead { tr {
                    th scope="col" { (t.t("consent-institution")) }
                    th scope="col" { (t.t("access-purpose")) }
                    th scope="col" { (t.t("consent-scope")) }
                    th scope="col" { (t.t("consent-data-months")) }
                    th scope="col" { (t.t("consent-valid")) }
                    @if owner && matches!(status, Status::Active | Status::Pending) { th scope="col" { (t.t("actions")) } }
                } }
                tbody {
                    @for c in rows {
                        tr id={ "consent-" (c.id) } {
                            td { (names.get(&c.institution_id).cloned().unwrap_or_else(|| c.institution_id.clone())) }
                            td { (t.code("purpose", &c.purpose)) }
                            td { (scope_words(t, &c.scope)) }
                            td { (t.with("months-n", &[("months", c.data_months.to_string())])) }
                            td { (t.instant(c.valid_from)) " – " (t.instant(c.expires_at))
                                @if let Some(r) = c.revoked_at { div.muted { (t.t("revoked-at")) " " (t.instant(r)) } } }
                            @if owner && status == Status::Active {
                                td { a.button.secondary href={ "/firm/consents/" (c.id) "/revoke" } { (t.t("revoke")) } }
                            }
                            @if owner && status == Status::Pending {
                                td {
                                    @if let Some(d) = &c.document_ref { div.muted { (t.t("document-ref")) " " (d) } }
                                    form.inline method="post" action={ "/firm/consents/" (c.id) "/confirm" } {
                                        input type="hidden" name="csrf" value=(p.who.csrf);
                                        button type="submit" { (t.t("confirm")) }
                                    }
                                    " "
                                    form.inline method="post" action={ "/firm/consents/" (c.id) "/refuse" } {
                                        input type="hidden" name="csrf" value=(p.who.csrf);
                                        button.secondary type="submit" { (t.t("refuse")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn grant_form(
    t: &T,
    p: &Person,
    f: &GrantForm,
    errors: &FieldErrors,
    names: &HashMap<String, String>,
) -> Markup {
    let mut institutions: Vec<(&String, &String)> = names.iter().collect();
    institutions.sort_by(|a, b| a.1.cmp(b.1));
    let err = |n: &str| errors.get(n);
    let shown = [
        "institution_id",
        "purpose",
        "scope",
        "data_months",
        "max_queries_per_month",
        "data_life_days",
        "expires_at",
    ];
    html! {
        div.card id="grant" {
            h2 { (t.t("grant-title")) }
            p { (t.t("grant-intro")) }
            @for e in errors.others(&shown) { p.error role="alert" { (e) } }
            form method="post" action="/firm/consents" novalidate {
                input type="hidden" name="csrf" value=(p.who.csrf);
                div.field {
                    label for="institution_id" { (t.t("consent-institution")) }
                    select id="institution_id" name="institution_id" aria-describedby="institution_id-help" {
                        option value="" { (t.t("choose")) }
                        @for (id, name) in &institutions { option value=(id) selected[f.institution_id == **id] { (name) } }
                    }
                    p.help id="institution_id-help" { (t.t("grant-institution-help")) }
                    @if let Some(e) = err("institution_id") { p.error role="alert" { (e) } }
                }
                div.field {
                    label for="purpose" { (t.t("access-purpose")) }
                    select id="purpose" name="purpose" aria-describedby="purpose-help" {
                        @for pu in [Purpose::CreditAssessment, Purpose::PostLoanMonitoring, Purpose::GuaranteeReview] {
                            option value=(pu.as_str()) selected[f.purpose == pu.as_str()] { (t.code("purpose", pu.as_str())) }
                        }
                    }
                    p.help id="purpose-help" { (t.t("grant-purpose-help")) }
                    @if let Some(e) = err("purpose") { p.error role="alert" { (e) } }
                }
                fieldset {
                    legend { (t.t("consent-scope")) }
                    p.help { (t.t("grant-scope-help")) }
                    @for s in SCOPES {
                        div.field.check {
                            input type="checkbox" id={ "scope-" (s) } name="scope" value=(s) checked[f.scope.iter().any(|x| x == s)];
                            label for={ "scope-" (s) } { (t.code("scope", s)) }
                        }
                    }
                    @if let Some(e) = err("scope") { p.error role="alert" { (e) } }
                }
                (help_field(t, "consent-data-months", "data_months", &f.data_months, "grant-months-help", errors))
                (help_field(t, "consent-max-queries", "max_queries_per_month", &f.max_queries_per_month, "grant-queries-help", errors))
                (help_field(t, "consent-data-life", "data_life_days", &f.data_life_days, "grant-life-help", errors))
                div.field {
                    label for="expires_on" { (t.t("consent-expires")) }
                    input id="expires_on" name="expires_on" type="date" value=(f.expires_on) aria-describedby="expires_on-help";
                    p.help id="expires_on-help" { (t.t("grant-expires-help")) }
                    @if let Some(e) = err("expires_at") { p.error role="alert" { (e) } }
                }
                button type="submit" { (t.t("grant-submit")) }
            }
        }
    }
}

fn help_field(
    t: &T,
    label: &str,
    name: &str,
    value: &str,
    help: &str,
    errors: &FieldErrors,
) -> Markup {
    let help_id = format!("{name}-help");
    let e = errors.get(name);
    html! {
        div.field {
            label for=(name) { (t.t(label)) }
            input id=(name) name=(name) type="number" min="1" value=(value) aria-describedby=(help_id)
                aria-invalid=[e.as_ref().map(|_| "true")];
            p.help id=(help_id) { (t.t(help)) }
            @if let Some(e) = &e { p.error role="alert" { (e) } }
        }
    }
}

#[post("/firm/consents")]
pub async fn grant(
    state: web::Data<AppState>,
    p: Person,
    body: web::Bytes,
) -> actix_web::Result<HttpResponse> {
    let f = GrantForm::parse(&body);
    if let Some(r) = p.refused(&f.csrf) {
        return Ok(r);
    }
    let t = &p.t;
    let mut errors = FieldErrors::default();
    let mut number = |name: &str, v: &str| -> Option<i32> {
        match v.trim() {
            "" => None,
            s => s
                .parse()
                .map_err(|_| errors.0.push((name.into(), t.t("rule-whole-number"))))
                .ok(),
        }
    };
    let data_months = number("data_months", &f.data_months);
    let max_q = number("max_queries_per_month", &f.max_queries_per_month);
    let life = number("data_life_days", &f.data_life_days);
    // The consent ends at the start of the day after the date chosen (Beijing time).
    let expires_at = match f.expires_on.trim().parse::<chrono::NaiveDate>() {
        Ok(d) => format!("{}T00:00:00+08:00", d + chrono::Duration::days(1)),
        Err(_) => {
            errors
                .0
                .push(("expires_at".into(), t.t("rule-date_format")));
            String::new()
        }
    };
    if errors.is_empty() {
        let input = ConsentInput {
            institution_id: Some(f.institution_id.clone()),
            firm_uscc: None,
            purpose: f.purpose.clone(),
            scope: Some(f.scope.clone()),
            data_months,
            max_queries_per_month: max_q,
            data_life_days: life,
            document_ref: None,
            valid_from: None,
            expires_at,
        };
        match consents::create(state.ctx(), &p.actor(), &p.key_id(), input).await {
            Ok(_) => return Ok(super::layout::see_other("/firm/consents?granted=1")),
            Err(ConsentError::Invalid(v)) => errors = FieldErrors::of(t, &v),
            Err(e) => return super::layout::refusal(t, Some(&p.frame()), ServiceError::from(e)),
        }
    }
    render(
        &state,
        &p,
        &f,
        &errors,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
    )
    .await
}

/// The confirmation step before a revocation: what will stop.
#[get("/firm/consents/{id}/revoke")]
pub async fn revoke_confirm(
    state: web::Data<AppState>,
    p: Person,
    id: web::Path<String>,
) -> actix_web::Result<HttpResponse> {
    if let Some(r) = p.not_owner() {
        return Ok(r);
    }
    let t = &p.t;
    let c = match consents::get(state.ctx(), &p.actor(), &id).await {
        Ok(c) => c,
        Err(e) => return super::layout::refusal(t, Some(&p.frame()), ServiceError::from(e)),
    };
    let names = crate::service::institutions::public_names(state.ctx())
        .await
        .map_err(super::layout::unavailable)?;
    let inst = names
        .get(&c.institution_id)
        .cloned()
        .unwrap_or_else(|| c.institution_id.clone());
    let body = html! {
        div.card {
            h1 { (t.t("revoke-title")) }
            p { (t.with("revoke-question", &[("institution", inst), ("purpose", t.code("purpose", &c.purpose))])) }
            p { (t.t("revoke-effect")) }
            form method="post" action={ "/firm/consents/" (c.id) "/revoke" } {
                input type="hidden" name="csrf" value=(p.who.csrf);
                button.danger type="submit" { (t.t("revoke-yes")) }
                " "
                a href="/firm/consents" { (t.t("cancel")) }
            }
        }
    };
    Ok(p.page(&t.t("revoke-title"), "/firm/consents", body))
}

async fn act(
    state: &AppState,
    p: &Person,
    id: &str,
    csrf: &str,
    what: &str,
) -> actix_web::Result<HttpResponse> {
    if let Some(r) = p.refused(csrf) {
        return Ok(r);
    }
    let ctx = state.ctx();
    let actor = p.actor();
    let r = match what {
        "revoke" => consents::revoke(ctx, &actor, id).await,
        "confirm" => consents::confirm(ctx, &actor, &p.key_id(), id).await,
        _ => consents::refuse(ctx, &actor, id, None).await,
    };
    match r {
        Ok(_) => Ok(super::layout::see_other(&format!(
            "/firm/consents?{what}d=1"
        ))),
        Err(e) => super::layout::refusal(&p.t, Some(&p.frame()), ServiceError::from(e)),
    }
}

#[post("/firm/consents/{id}/revoke")]
pub async fn revoke(
    state: web::Data<AppState>,
    p: Person,
    id: web::Path<String>,
    f: web::Form<super::session::CsrfForm>,
) -> actix_web::Result<HttpResponse> {
    act(&state, &p, &id, &f.csrf, "revoke").await
}

#[post("/firm/consents/{id}/confirm")]
pub async fn confirm(
    state: web::Data<AppState>,
    p: Person,
    id: web::Path<String>,
    f: web::Form<super::session::CsrfForm>,
) -> actix_web::Result<HttpResponse> {
    act(&state, &p, &id, &f.csrf, "confirm").await
}

#[post("/firm/consents/{id}/refuse")]
pub async fn refuse(
    state: web::Data<AppState>,
    p: Person,
    id: web::Path<String>,
    f: web::Form<super::session::CsrfForm>,
) -> actix_web::Result<HttpResponse> {
    act(&state, &p, &id, &f.csrf, "refuse").await
}
