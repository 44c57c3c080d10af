//! Signing in and out, activation and password reset through a one-time link, the person's account
//! page (their recent sign-ins), the language switch and the stylesheet.

use super::layout::{beijing, cookie, page, see_other, unavailable, Lang, LANG_COOKIE, T};
use super::session::{
    address, pre_session_csrf, pre_session_ok, signed_in, CsrfForm, Signed, CSRF_COOKIE,
    SESSION_COOKIE,
};
use crate::api::AppState;
use crate::service::accounts::{self, Membership, SignInError};
use actix_web::cookie::time::Duration as CookieAge;
use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use maud::html;

const CSS: &str = include_str!("site.css");

#[derive(Debug, serde::Deserialize)]
pub struct SignInForm {
    pub login: String,
    pub password: String,
    pub csrf: String,
}

pub fn sign_in_page(
    state: &AppState,
    t: &T,
    login: &str,
    notice: Option<String>,
    error: Option<String>,
) -> HttpResponse {
    let (csrf, c) = pre_session_csrf(state);
    let body = html! {
        div.card {
            h1 { (t.t("sign-in-title")) }
            p.tagline { (t.t("app-tagline")) }
            @if let Some(n) = &notice { p.notice role="status" { (n) } }
            form method="post" action="/sign-in" novalidate {
                input type="hidden" name="csrf" value=(csrf);
                label for="login" { (t.t("login")) }
                input id="login" type="text" name="login" value=(login) autocomplete="username" required
                    aria-describedby=[error.as_ref().map(|_| "sign-in-error")];
                label for="password" { (t.t("password")) }
                input id="password" type="password" name="password" autocomplete="current-password" required;
                @if let Some(e) = &error { p.error id="sign-in-error" role="alert" { (e) } }
                button type="submit" { (t.t("sign-in")) }
            }
        }
    };
    let mut r = page(t, &t.t("sign-in-title"), "/", None, body);
    let _ = r.add_cookie(&c);
    r
}

#[post("/sign-in")]
pub async fn sign_in(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<SignInForm>,
) -> actix_web::Result<HttpResponse> {
    let t = T(Lang::of(&req));
    let f = form.into_inner();
    if !pre_session_ok(&req, &f.csrf) {
        return Ok(sign_in_page(
            &state,
            &t,
            &f.login,
            None,
            Some(t.t("form-expired")),
        ));
    }
    let addr = address(&req);
    match accounts::sign_in(state.ctx(), &f.login, &f.password, addr.as_deref()).await {
        Ok(s) => {
            let age = CookieAge::seconds((s.expires_at - state.clock.now()).num_seconds());
            let mut r = see_other("/");
            // A language switched to before signing in is kept on the account; otherwise the one the
            // person chose last time, in whatever browser, is this browser's.
            match req.cookie(LANG_COOKIE).and_then(|c| Lang::parse(c.value())) {
                Some(chosen) => {
                    let code = if chosen == Lang::En { "en" } else { "zh" };
                    if let Err(e) = accounts::set_language(state.ctx(), &s.account, code).await {
                        tracing::warn!(error = %e, "language not kept on the account");
                    }
                }
                None => {
                    let lang = if s.account.language == "en" {
                        Lang::En
                    } else {
                        Lang::Zh
                    };
                    let year = CookieAge::days(365);
                    let _ =
                        r.add_cookie(&cookie(&state, LANG_COOKIE, lang.code().into(), Some(year)));
                }
            }
            let _ = r.add_cookie(&cookie(&state, SESSION_COOKIE, s.token, Some(age)));
            let _ = r.add_removal_cookie(&cookie(&state, CSRF_COOKIE, String::new(), None));
            Ok(r)
        }
        Err(e) => {
            let message = match &e {
                SignInError::Wrong => t.t("wrong"),
                SignInError::AccountLocked { until } => {
                    t.with("locked-account", &[("until", beijing(*until))])
                }
                SignInError::AddressLocked { until } => {
                    t.with("locked-address", &[("until", beijing(*until))])
                }
                SignInError::NotActive(_) => t.t("not-active"),
                SignInError::Store(s) => return Err(unavailable(s)),
            };
            let mut r = sign_in_page(&state, &t, &f.login, None, Some(message));
            if matches!(
                e,
                SignInError::AccountLocked { .. } | SignInError::AddressLocked { .. }
            ) {
                *r.status_mut() = actix_web::http::StatusCode::TOO_MANY_REQUESTS;
            }
            Ok(r)
        }
    }
}

#[post("/sign-out")]
pub async fn sign_out(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<CsrfForm>,
) -> actix_web::Result<HttpResponse> {
    let Some(who) = signed_in(&state, &req).await? else {
        return Ok(see_other("/"));
    };
    if !accounts::same_secret(&who.csrf, &form.csrf) {
        return Ok(HttpResponse::Forbidden()
            .content_type("text/plain; charset=utf-8")
            .body(T(Lang::of(&req)).t("form-expired")));
    }
    if let Some(c) = req.cookie(SESSION_COOKIE) {
        accounts::sign_out(state.ctx(), c.value(), address(&req).as_deref())
            .await
            .map_err(unavailable)?;
    }
    let mut r = see_other("/");
    let _ = r.add_removal_cookie(&cookie(&state, SESSION_COOKIE, String::new(), None));
    Ok(r)
}

#[derive(Debug, serde::Deserialize)]
pub struct PasswordForm {
    pub password: String,
    pub password_again: String,
    pub csrf: String,
}

fn activation_page(
    state: &AppState,
    t: &T,
    token: &str,
    account: &accounts::Account,
    error: Option<String>,
) -> HttpResponse {
    let (csrf, c) = pre_session_csrf(state);
    let body = html! {
        div.card {
            h1 { (t.t("activate-title")) }
            p { (t.with("activate-intro", &[("login", account.login.clone()), ("name", account.display_name.clone())])) }
            form method="post" action={ "/activate/" (token) } novalidate {
                input type="hidden" name="csrf" value=(csrf);
                label for="password" { (t.t("password")) }
                input id="password" type="password" name="password" autocomplete="new-password" required
                    aria-describedby=[error.as_ref().map(|_| "password-error")];
                @if let Some(e) = &error { p.error id="password-error" role="alert" { (e) } }
                label for="password_again" { (t.t("password-again")) }
                input id="password_again" type="password" name="password_again" autocomplete="new-password" required;
                button type="submit" { (t.t("activate")) }
            }
        }
    };
    let mut r = page(t, &t.t("activate-title"), "", None, body);
    let _ = r.add_cookie(&c);
    r
}

fn link_bad(t: &T) -> HttpResponse {
    let body = html! { div.card { h1 { (t.t("activate-title")) } p.alert role="alert" { (t.t("link-bad")) } } };
    let mut r = page(t, &t.t("activate-title"), "", None, body);
    *r.status_mut() = actix_web::http::StatusCode::NOT_FOUND;
    r
}

/// The account a link is for, or the page that says the link cannot be used.
async fn linked(
    state: &AppState,
    t: &T,
    token: &str,
) -> actix_web::Result<Result<accounts::Account, HttpResponse>> {
    match accounts::link_account(state.ctx(), token).await {
        Ok(a) => Ok(Ok(a)),
        Err(accounts::AccountError::Store(e)) => Err(unavailable(e)),
        Err(_) => Ok(Err(link_bad(t))),
    }
}

/// The page an activation or reset link opens.
#[get("/activate/{token}")]
pub async fn activation(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> actix_web::Result<HttpResponse> {
    let t = T(Lang::of(&req));
    Ok(match linked(&state, &t, &token).await? {
        Ok(a) => activation_page(&state, &t, &token, &a, None),
        Err(bad) => bad,
    })
}

#[post("/activate/{token}")]
pub async fn activate(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    form: web::Form<PasswordForm>,
) -> actix_web::Result<HttpResponse> {
    let t = T(Lang::of(&req));
    let account = match linked(&state, &t, &token).await? {
        Ok(a) => a,
        Err(bad) => return Ok(bad),
    };
    let f = form.into_inner();
    let again = |m: String| activation_page(&state, &t, &token, &account, Some(m));
    if !pre_session_ok(&req, &f.csrf) {
        return Ok(again(t.t("form-expired")));
    }
    if f.password != f.password_again {
        return Ok(again(t.t("passwords-differ")));
    }
    match accounts::set_password(state.ctx(), &token, &f.password).await {
        Ok(_) => Ok(see_other("/?activated=1")),
        Err(accounts::AccountError::Invalid(v)) => {
            let words: Vec<String> = v
                .iter()
                .map(|v| {
                    t.t(match v.rule.as_ref() {
                        "password.length" => "pw-length",
                        "password.variety" => "pw-variety",
                        "password.contains_login" => "pw-login",
                        _ => "link-bad",
                    })
                })
                .collect();
            Ok(again(words.join(" ")))
        }
        Err(accounts::AccountError::Store(e)) => Err(unavailable(e)),
        Err(_) => Ok(link_bad(&t)),
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct LanguageQuery {
    pub to: String,
}

/// The language switch: remembered in a cookie, back to where the person was.
#[get("/language")]
pub async fn language(
    state: web::Data<AppState>,
    req: HttpRequest,
    q: web::Query<LanguageQuery>,
) -> HttpResponse {
    let lang = Lang::parse(&q.to).unwrap_or(Lang::Zh);
    // Signed in: remembered on the account too, for the next browser.
    if let Ok(Some(who)) = signed_in(&state, &req).await {
        let code = if lang == Lang::En { "en" } else { "zh" };
        if let Err(e) = accounts::set_language(state.ctx(), &who.account, code).await {
            tracing::warn!(error = %e, "language not kept on the account");
        }
    }
    let back = req
        .headers()
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(url_path)
        .unwrap_or_else(|| "/".into());
    let mut r = see_other(&back);
    let year = CookieAge::days(365);
    let _ = r.add_cookie(&cookie(&state, LANG_COOKIE, lang.code().into(), Some(year)));
    r
}

/// The path of a same-site URL (never an absolute URL elsewhere: no open redirect).
pub fn url_path(referer: &str) -> Option<String> {
    let after_scheme = referer.split_once("://").map(|(_, r)| r)?;
    let path = after_scheme.find('/').map(|i| &after_scheme[i..])?;
    (path.starts_with('/') && !path.starts_with("//")).then(|| path.to_string())
}

/// The person's account: who they are, their firm and role (or their institution), their last sign-ins.
#[get("/account")]
pub async fn account_page(
    state: web::Data<AppState>,
    p: Signed,
) -> actix_web::Result<HttpResponse> {
    let t = &p.t;
    let a = &p.who.account;
    let events = accounts::events(state.ctx(), a, 10)
        .await
        .map_err(unavailable)?;
    let institution = match a.actor().institution() {
        Some(id) => crate::service::institutions::public_names(state.ctx())
            .await
            .map_err(|e| unavailable(crate::service::ServiceError::from(e)))?
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_string()),
        None => String::new(),
    };
    let body = html! {
        div.card {
            h1 { (t.t("account-title")) }
            dl {
                dt { (t.t("display-name")) } dd { (a.display_name) }
                dt { (t.t("login")) } dd { (a.login) }
                @match &a.membership {
                    Membership::Firm { firm, role } => {
                        dt { (t.t("uscc")) } dd { (firm.as_str()) }
                        dt { (t.t("role")) } dd { (t.t(role_key(*role))) }
                    }
                    Membership::Staff { actor } => {
                        dt { (t.t("institution")) } dd { (institution) }
                        dt { (t.t("role")) } dd { (t.code("party", actor.role().as_str())) }
                    }
                }
            }
        }
        div.card {
            h2 { (t.t("recent-sign-ins")) }
            div.scroll tabindex="0" {
                table {
                    thead { tr { th scope="col" { (t.t("event-time")) } th scope="col" { (t.t("event-kind")) } th scope="col" { (t.t("event-address")) } } }
                    tbody {
                        @for e in &events {
                            tr {
                                td { (beijing(e.at)) }
                                td { (t.t(&format!("event-{}", e.event))) }
                                td { (e.address.as_deref().unwrap_or("—")) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(p.page(&t.t("account-title"), "/account", body))
}

pub fn role_key(r: crate::domain::account::MemberRole) -> &'static str {
    match r {
        crate::domain::account::MemberRole::Owner => "role-owner",
        crate::domain::account::MemberRole::Member => "role-member",
    }
}

#[get("/assets/site.css")]
pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(CSS)
}
