//! The government side's pages (issue 17): the claim batches across agencies waiting for approval or for
//! payment (each opens on its reconciliation, see `claims`), and the people's accounts — a firm's or an
//! institution's first account, a new link for a lost password, suspension. A new account's one-time link
//! is shown once to the official who made it (there is no e-mail).

use super::claims::{self, Names};
use super::layout::{field, FieldErrors, T};
use super::session::{Official, Staff};
use crate::api::AppState;
use crate::domain::states::BatchStatus;
use crate::service::accounts::{
    self, AccountError, Issued, Issuer, Membership, NewAccount, NewStaff,
};
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use maud::{html, Markup};

#[derive(Debug, Default, serde::Deserialize)]
pub struct BatchQuery {
    #[serde(default)]
    pub status: String,
}

/// The batches across agencies: those awaiting approval first (the default), or awaiting payment, or
/// all.
#[get("/gov/batches")]
pub async fn queue(
    state: web::Data<AppState>,
    s: Official,
    q: web::Query<BatchQuery>,
) -> actix_web::Result<HttpResponse> {
    let t = &s.t;
    let rows = match crate::service::claims::list(state.ctx(), &s.actor).await {
        Ok(r) => r,
        Err(e) => return s.refusal(e),
    };
    let names = Names::load(&state).await?;
    let want = match q.status.as_str() {
        "" => Some(BatchStatus::Reconciled),
        "all" => None,
        other => BatchStatus::parse(other).ok(),
    };
    let shown: Vec<_> = rows
        .into_iter()
        .filter(|b| want.is_none_or(|w| b.status == w))
        .collect();
    let tab = |value: &str, key: &str| {
        let here = q.status == value;
        html! { a href={ "/gov/batches?status=" (value) } aria-current=[here.then_some("page")] { (t.t(key)) } }
    };
    let body = html! {
        div.card {
            h1 { (t.t("gov-batches-title")) }
            p { (t.t("gov-batches-intro")) }
            nav.filter aria-label=(t.t("lines-filter")) {
                a href="/gov/batches" aria-current=[q.status.is_empty().then_some("page")] { (t.t("gov-awaiting-approval")) }
                (tab("approved", "gov-awaiting-payment"))
                (tab("paid", "batch-paid"))
                (tab("all", "status-all"))
            }
            @if shown.is_empty() { p.notice { (t.t("batches-none")) } }
            @else { (claims::batch_table(t, &shown, &names, true)) }
        }
    };
    Ok(s.page(&t.t("gov-batches-title"), "/gov/batches", body))
}

/// The account form as sent.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct AccountForm {
    #[serde(default)]
    pub csrf: String,
    /// `firm` or `staff`.
    #[serde(default)]
    pub party: String,
    #[serde(default)]
    pub firm: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub institution: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub login: String,
    #[serde(default)]
    pub display_name: String,
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub login: String,
}

#[get("/gov/users")]
pub async fn users(s: Official) -> actix_web::Result<HttpResponse> {
    let f = AccountForm {
        party: "firm".into(),
        role: "owner".into(),
        ..Default::default()
    };
    Ok(render_users(
        &s,
        &f,
        &FieldErrors::default(),
        html! {},
        StatusCode::OK,
    ))
}

/// The link an account's person opens to set a password, shown once.
fn link_card(t: &T, req: &HttpRequest, issued: &Issued, key: &str) -> Markup {
    let info = req.connection_info();
    let link = format!(
        "{}://{}/activate/{}",
        info.scheme(),
        info.host(),
        issued.token
    );
    html! {
        div.card #issued-link role="status" {
            p.notice { (t.with(key, &[("login", issued.account.login.clone()), ("name", issued.account.display_name.clone())])) }
            p { code.link { (link) } }
            p.muted { (t.with("users-link-until", &[("at", t.instant(issued.expires_at))])) }
        }
    }
}

fn render_users(
    s: &Staff,
    f: &AccountForm,
    errors: &FieldErrors,
    outcome: Markup,
    status: StatusCode,
) -> HttpResponse {
    let t = &s.t;
    let e = errors;
    let shown = [
        "login",
        "display_name",
        "firm",
        "role",
        "institution",
        "kind",
    ];
    let others = e.others(&shown);
    let body = html! {
        div.card {
            h1 { (t.t("users-title")) }
            p { (t.t("users-intro")) }
        }
        (outcome)
        div.card {
            h2 { (t.t("users-create")) }
            @if !others.is_empty() { p.error role="alert" { (others.join(" ")) } }
            form method="post" action="/gov/users" {
                input type="hidden" name="csrf" value=(s.who.csrf);
                fieldset {
                    legend { (t.t("users-party")) }
                    div.field.check {
                        input id="party-firm" name="party" type="radio" value="firm" checked[f.party != "staff"];
                        label for="party-firm" { (t.t("users-party-firm")) }
                    }
                    div.field.check {
                        input id="party-staff" name="party" type="radio" value="staff" checked[f.party == "staff"];
                        label for="party-staff" { (t.t("users-party-staff")) }
                    }
                }
                (field(&t.t("login"), "login", "text", &f.login, e))
                (field(&t.t("display-name"), "display_name", "text", &f.display_name, e))
                fieldset {
                    legend { (t.t("users-for-firm")) }
                    (field(&t.t("uscc"), "firm", "text", &f.firm, e))
                    div.field {
                        label for="role" { (t.t("role")) }
                        select id="role" name="role" {
                            option value="owner" selected[f.role != "member"] { (t.t("role-owner")) }
                            option value="member" selected[f.role == "member"] { (t.t("role-member")) }
                        }
                    }
                }
                fieldset {
                    legend { (t.t("users-for-staff")) }
                    (field(&t.t("institution"), "institution", "text", &f.institution, e))
                    div.field {
                        label for="kind" { (t.t("users-kind")) }
                        select id="kind" name="kind" {
                            option value="" selected[f.kind.is_empty()] { (t.t("users-kind-existing")) }
                            @for k in crate::store::institutions::KINDS {
                                option value=(k) selected[f.kind == k] { (t.code("kind-institution", k)) }
                            }
                        }
                        @if let Some(m) = e.get("kind") { p.error role="alert" { (m) } }
                    }
                }
                button type="submit" { (t.t("users-create-button")) }
            }
        }
        div.card {
            h2 { (t.t("users-reset-title")) }
            p { (t.t("users-reset-intro")) }
            form method="post" action="/gov/users/reset" {
                input type="hidden" name="csrf" value=(s.who.csrf);
                div.field { label for="reset-login" { (t.t("login")) } input id="reset-login" name="login" required; }
                button.secondary type="submit" { (t.t("users-reset-button")) }
            }
            h2 { (t.t("users-suspend-title")) }
            p { (t.t("users-suspend-intro")) }
            form method="post" action="/gov/users/suspend" {
                input type="hidden" name="csrf" value=(s.who.csrf);
                div.field { label for="suspend-login" { (t.t("login")) } input id="suspend-login" name="login" required; }
                button.danger type="submit" { (t.t("users-suspend-button")) }
            }
        }
    };
    super::layout::with_status(s.page(&t.t("users-title"), "/gov/users", body), status)
}

/// Create a firm's account or an institution's staff account; its one-time link is shown once.
#[post("/gov/users")]
pub async fn create(
    state: web::Data<AppState>,
    s: Official,
    req: HttpRequest,
    f: web::Form<AccountForm>,
) -> actix_web::Result<HttpResponse> {
    if let Some(r) = s.forged(&f.csrf) {
        return Ok(r);
    }
    let f = f.into_inner();
    let made = if f.party == "staff" {
        let new = NewStaff {
            login: &f.login,
            display_name: &f.display_name,
            institution: &f.institution,
            kind: Some(f.kind.as_str()),
        };
        accounts::create_staff(state.ctx(), &s.actor, new).await
    } else {
        let new = NewAccount {
            login: &f.login,
            display_name: &f.display_name,
            firm: f.firm.trim(),
            role: &f.role,
        };
        accounts::create(state.ctx(), Issuer::Platform(&s.actor), new).await
    };
    answer(&s, &req, &f, made, "users-created")
}

/// What an account form came to: the link shown once, or the faults beside their fields.
fn answer(
    s: &Staff,
    req: &HttpRequest,
    f: &AccountForm,
    made: Result<Issued, AccountError>,
    said: &str,
) -> actix_web::Result<HttpResponse> {
    let t = &s.t;
    match made {
        Ok(issued) => {
            let blank = AccountForm {
                party: f.party.clone(),
                role: "owner".into(),
                ..Default::default()
            };
            let whom = match &issued.account.membership {
                Membership::Firm { .. } => said.to_string(),
                Membership::Staff { .. } => format!("{said}-staff"),
            };
            let card = link_card(t, req, &issued, &whom);
            Ok(render_users(
                s,
                &blank,
                &FieldErrors::default(),
                card,
                StatusCode::OK,
            ))
        }
        Err(AccountError::Invalid(v)) => Ok(render_users(
            s,
            f,
            &FieldErrors::of(t, &v),
            html! {},
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
        Err(AccountError::NotFound(m)) => {
            let field = if f.party == "staff" {
                "institution"
            } else {
                "firm"
            };
            Ok(render_users(
                s,
                f,
                &FieldErrors(vec![(field.into(), m)]),
                html! {},
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
        Err(e) => s.refusal(e),
    }
}

/// A new one-time link for an account; earlier links stop working.
#[post("/gov/users/reset")]
pub async fn reset(
    state: web::Data<AppState>,
    s: Official,
    req: HttpRequest,
    f: web::Form<LoginForm>,
) -> actix_web::Result<HttpResponse> {
    if let Some(r) = s.forged(&f.csrf) {
        return Ok(r);
    }
    let made = accounts::issue_reset(state.ctx(), Issuer::Platform(&s.actor), &f.login).await;
    let card = made.map(|issued| link_card(&s.t, &req, &issued, "users-reset-done"));
    on_account(&s, card)
}

/// The accounts page after a reset or a suspension: what was done, or the login not found.
fn on_account(s: &Official, done: Result<Markup, AccountError>) -> actix_web::Result<HttpResponse> {
    let form = AccountForm {
        party: "firm".into(),
        role: "owner".into(),
        ..Default::default()
    };
    let (card, status) = match done {
        Ok(card) => (card, StatusCode::OK),
        Err(AccountError::NotFound(m)) => (
            html! { div.card { p.error role="alert" { (m) } } },
            StatusCode::NOT_FOUND,
        ),
        Err(e) => return s.refusal(e),
    };
    Ok(render_users(
        s,
        &form,
        &FieldErrors::default(),
        card,
        status,
    ))
}

/// Suspend an account: its sessions and links end at once.
#[post("/gov/users/suspend")]
pub async fn suspend(
    state: web::Data<AppState>,
    s: Official,
    f: web::Form<LoginForm>,
) -> actix_web::Result<HttpResponse> {
    if let Some(r) = s.forged(&f.csrf) {
        return Ok(r);
    }
    let done = accounts::suspend(state.ctx(), &s.actor, &f.login)
        .await
        .map(|a| html! { div.card role="status" { p.notice { (s.t.with("users-suspended", &[("login", a.login)])) } } });
    on_account(&s, done)
}

/// The monitoring board (Art 28): every guarantee agency's figures over the year to date, the flagged
/// ones first, with leverage and the compensation rate per agency as charts.
#[get("/gov/agencies")]
pub async fn agencies(
    state: web::Data<AppState>,
    s: Official,
    q: web::Query<super::agency::YearQuery>,
) -> actix_web::Result<HttpResponse> {
    let t = &s.t;
    let today = state.clock.today();
    let year = super::figures::year_of(q.year, today);
    let periods = super::figures::quarters(year, today);
    let (Some(first), Some(last)) = (periods.first(), periods.last()) else {
        let body = html! { div.card { h1 { (t.t("gov-agencies-title")) } p.notice { (t.t("fig-none")) } } };
        return Ok(s.page(&t.t("gov-agencies-title"), "/gov/agencies", body));
    };
    let (from, to) = (first.1.to_string(), last.2.to_string());
    let all = match crate::service::institutions::list(state.ctx(), &s.actor).await {
        Ok(a) => a,
        Err(e) => return s.refusal(e),
    };
    let mut rows = Vec::new();
    for i in all.iter().filter(|i| i.kind == "guarantor") {
        match crate::service::agencies::metrics(state.ctx(), &s.actor, &i.id, &from, &to).await {
            Ok(m) => rows.push((i.name.clone(), m)),
            Err(e) => return s.refusal(e),
        }
    }
    // The flagged agencies first, the most flags first; then by name.
    rows.sort_by(|a, b| {
        b.1.metrics
            .flags
            .len()
            .cmp(&a.1.metrics.flags.len())
            .then_with(|| a.0.cmp(&b.0))
    });
    let flagged = rows
        .iter()
        .filter(|r| !r.1.metrics.flags.is_empty())
        .count();
    let body = html! {
        div.card {
            h1 { (t.t("gov-agencies-title")) }
            p { (t.t("gov-agencies-intro")) }
            (super::agency::year_links(t, "/gov/agencies", year, today))
            p.notice #flagged role="status" { (t.with("gov-agencies-flagged", &[("flagged", flagged.to_string()), ("count", rows.len().to_string())])) }
            (super::figures::table(t, &t.with("fig-caption-agencies", &[("from", t.date(first.1)), ("to", t.date(last.2.pred_opt().unwrap_or(last.2)))]), &rows))
            (super::figures::charts(t, "agencies", &rows))
        }
    };
    Ok(s.page(&t.t("gov-agencies-title"), "/gov/agencies", body))
}
