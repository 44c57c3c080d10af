//! The pages (issue 16), server-rendered by the same binary on the application layer: every page reads
//! and writes through `service/`, never through HTTP to itself. Templates are `maud` (checked when the
//! crate compiles); every string comes from the Fluent catalogues in `src/web/locales` (Simplified
//! Chinese first, English by a switch); the stylesheet is embedded and served with cache headers. Every
//! page works without JavaScript: plain forms, redirect after POST, CSRF tokens on every form (the
//! session's once signed in; before that a double-submit cookie).
//!
//! This first step: sign-in, activation and password reset through a one-time link, sign-out, and the
//! signed-in person's home (their firm and role, their recent sign-ins).

use crate::api::AppState;
use crate::service::accounts::{self, SignInError, SignedIn};
use actix_web::cookie::{time::Duration as CookieAge, Cookie, SameSite};
use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use fluent_templates::Loader;
use maud::{html, Markup, DOCTYPE};
use std::borrow::Cow;
use std::collections::HashMap;
use unic_langid::LanguageIdentifier;

/// The session cookie: its value is the session's secret (only its hash is stored).
pub const SESSION_COOKIE: &str = "credithub_session";
/// The double-submit CSRF cookie of forms shown before sign-in.
pub const CSRF_COOKIE: &str = "credithub_csrf";
/// The language chosen with the switch.
pub const LANG_COOKIE: &str = "credithub_lang";

const CSS: &str = include_str!("site.css");

/// How the pages set their cookies.
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct WebConfig {
    /// Mark cookies `Secure` (serve behind TLS).
    #[arg(long, env = "CREDITHUB_SECURE_COOKIES")]
    pub secure_cookies: bool,
}

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./src/web/locales",
        fallback_language: "zh-CN",
        // Plain text around arguments: no Unicode isolation marks in the HTML.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The page language: the switch's cookie, else `Accept-Language`, else Chinese.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    fn of(req: &HttpRequest) -> Lang {
        if let Some(c) = req.cookie(LANG_COOKIE) {
            return Lang::parse(c.value()).unwrap_or(Lang::Zh);
        }
        let accept = req
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        // The first language listed that we have.
        accept
            .split(',')
            .filter_map(|part| part.split(';').next())
            .find_map(|tag| Lang::parse(tag.trim()))
            .unwrap_or(Lang::Zh)
    }

    fn parse(tag: &str) -> Option<Lang> {
        let t = tag.to_ascii_lowercase();
        if t.starts_with("zh") {
            Some(Lang::Zh)
        } else if t.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    fn id(self) -> LanguageIdentifier {
        match self {
            Lang::Zh => unic_langid::langid!("zh-CN"),
            Lang::En => unic_langid::langid!("en"),
        }
    }

    fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }
}

/// The messages of one language.
struct T(Lang);

impl T {
    fn t(&self, key: &str) -> String {
        LOCALES.lookup(&self.0.id(), key)
    }

    fn with(&self, key: &str, args: &[(&'static str, String)]) -> String {
        let map: HashMap<Cow<'static, str>, fluent_templates::fluent_bundle::FluentValue> = args
            .iter()
            .map(|(k, v)| (Cow::Borrowed(*k), v.clone().into()))
            .collect();
        LOCALES.lookup_with_args(&self.0.id(), key, &map)
    }
}

/// A time as Beijing time, to the minute.
fn beijing(t: chrono::NaiveDateTime) -> String {
    (t + chrono::Duration::hours(8))
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn page(t: &T, title: &str, who: Option<&SignedIn>, body: Markup) -> HttpResponse {
    let markup = html! {
        (DOCTYPE)
        html lang=(t.0.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (t.t("app-name")) }
                link rel="stylesheet" href="/assets/site.css";
            }
            body {
                header {
                    a.name href="/" { (t.t("app-name")) }
                    nav aria-label=(t.t("app-name")) {
                        a href={ "/language?to=" (t.0.other().code()) } lang=(t.0.other().code()) { (t.t("switch-language")) }
                        a href="/docs/" { (t.t("api-docs")) }
                        @if let Some(s) = who {
                            a href="/" { (t.t("nav-home")) }
                            a href="/firm/access-log" { (t.t("nav-access-log")) }
                            form method="post" action="/sign-out" {
                                input type="hidden" name="csrf" value=(s.csrf);
                                button type="submit" { (t.t("sign-out")) }
                            }
                        }
                    }
                }
                main { (body) }
            }
        }
    };
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(markup.into_string())
}

fn see_other(to: &str) -> actix_web::HttpResponseBuilder {
    let mut r = HttpResponse::SeeOther();
    r.insert_header((header::LOCATION, to));
    r
}

fn cookie<'c>(
    state: &AppState,
    name: &'c str,
    value: String,
    age: Option<CookieAge>,
) -> Cookie<'c> {
    let mut c = Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.web.secure_cookies)
        .finish();
    if let Some(a) = age {
        c.set_max_age(a);
    }
    c
}

/// The person signed in on this request, if any (their session is live and their account active).
async fn signed_in(
    state: &AppState,
    req: &HttpRequest,
) -> Result<Option<SignedIn>, actix_web::Error> {
    let Some(c) = req.cookie(SESSION_COOKIE) else {
        return Ok(None);
    };
    accounts::session(state.ctx(), c.value())
        .await
        .map_err(unavailable)
}

/// A fresh CSRF value for a form shown before sign-in, and the cookie that carries it.
fn pre_session_csrf(state: &AppState) -> (String, Cookie<'static>) {
    let v = accounts::new_secret();
    (v.clone(), cookie(state, CSRF_COOKIE, v, None))
}

/// Whether the form's token matches the pre-session cookie.
fn pre_session_ok(req: &HttpRequest, sent: &str) -> bool {
    req.cookie(CSRF_COOKIE)
        .is_some_and(|c| !sent.is_empty() && accounts::same_secret(c.value(), sent))
}

#[derive(Debug, serde::Deserialize)]
pub struct SignInForm {
    pub login: String,
    pub password: String,
    pub csrf: String,
}

fn sign_in_page(
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
    let mut r = page(t, &t.t("sign-in-title"), None, body);
    let _ = r.add_cookie(&c);
    r
}

/// The sign-in page (the home page before sign-in); signed in, the person's home.
#[get("/")]
pub async fn home(state: web::Data<AppState>, req: HttpRequest) -> actix_web::Result<HttpResponse> {
    let t = T(Lang::of(&req));
    let Some(who) = signed_in(&state, &req).await? else {
        let notice = req
            .query_string()
            .contains("activated=1")
            .then(|| t.t("activated"));
        return Ok(sign_in_page(&state, &t, "", notice, None));
    };
    let events = accounts::events(state.ctx(), &who.account, 10)
        .await
        .map_err(unavailable)?;
    let a = &who.account;
    let role = t.t(match a.role {
        crate::domain::account::MemberRole::Owner => "role-owner",
        crate::domain::account::MemberRole::Member => "role-member",
    });
    let hello = t.with("hello", &[("name", a.display_name.clone())]);
    let body = html! {
        div.card {
            h1 { (hello) }
            dl {
                dt { (t.t("login")) } dd { (a.login) }
                dt { (t.t("uscc")) } dd { (a.firm.as_str()) }
                dt { (t.t("role")) } dd { (role) }
            }
        }
        div.card {
            h2 { (t.t("recent-sign-ins")) }
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
    };
    Ok(page(&t, &hello, Some(&who), body))
}

/// The client's address for the sign-in limits: the peer (a proxy in front sets `X-Forwarded-For`,
/// which is only read when the peer is the loopback).
fn address(req: &HttpRequest) -> Option<String> {
    let peer = req.peer_addr().map(|a| a.ip());
    let forwarded = req
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|v| v.trim().to_string());
    match (peer, forwarded) {
        (Some(p), Some(f)) if p.is_loopback() && !f.is_empty() => Some(f),
        (Some(p), _) => Some(p.to_string()),
        (None, f) => f,
    }
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
            let mut r = see_other("/").finish();
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

#[derive(Debug, serde::Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
}

#[post("/sign-out")]
pub async fn sign_out(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<CsrfForm>,
) -> actix_web::Result<HttpResponse> {
    let Some(who) = signed_in(&state, &req).await? else {
        return Ok(see_other("/").finish());
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
    let mut r = see_other("/").finish();
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
    let mut r = page(t, &t.t("activate-title"), None, body);
    let _ = r.add_cookie(&c);
    r
}

fn link_bad(t: &T) -> HttpResponse {
    let body = html! { div.card { h1 { (t.t("activate-title")) } p.alert role="alert" { (t.t("link-bad")) } } };
    let mut r = page(t, &t.t("activate-title"), None, body);
    *r.status_mut() = actix_web::http::StatusCode::NOT_FOUND;
    r
}

/// The store cannot answer: 503 (logged).
fn unavailable(e: impl std::fmt::Display) -> actix_web::Error {
    tracing::error!(error = %e, "page: store unavailable");
    actix_web::error::ErrorServiceUnavailable(e.to_string())
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
        Ok(_) => Ok(see_other("/?activated=1").finish()),
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
pub struct OlderQuery {
    pub before: Option<String>,
}

const ACCESS_PAGE: i64 = 50;

/// Who saw my data: the firm's access log, newest first (signed in; the firm's own only).
#[get("/firm/access-log")]
pub async fn access_log(
    state: web::Data<AppState>,
    req: HttpRequest,
    q: web::Query<OlderQuery>,
) -> actix_web::Result<HttpResponse> {
    let t = T(Lang::of(&req));
    let Some(who) = signed_in(&state, &req).await? else {
        return Ok(see_other("/").finish());
    };
    let actor = who.account.actor();
    let w = crate::service::access_log::Window {
        before: q.into_inner().before,
        limit: ACCESS_PAGE,
    };
    let rows = crate::service::access_log::of_firm(state.ctx(), &actor, &who.account.firm, w)
        .await
        .map_err(unavailable)?;
    let names: HashMap<String, String> = crate::service::institutions::list(state.ctx(), &actor)
        .await
        .map_err(unavailable)?
        .into_iter()
        .map(|i| (i.id, i.name))
        .collect();
    let institution = |r: &crate::service::access_log::AccessView| match &r.institution_id {
        Some(id) => names.get(id).cloned().unwrap_or_else(|| id.clone()),
        None => r.role.clone(),
    };
    let older = rows
        .more
        .then(|| {
            rows.items
                .last()
                .map(|r| format!("/firm/access-log?before={}", r.id))
        })
        .flatten();
    let body = html! {
        div.card {
            h1 { (t.t("access-log-title")) }
            p { (t.t("access-log-intro")) }
            @if rows.items.is_empty() {
                p.notice { (t.t("access-none")) }
            } @else {
                table {
                    thead { tr {
                        th scope="col" { (t.t("event-time")) }
                        th scope="col" { (t.t("access-institution")) }
                        th scope="col" { (t.t("access-purpose")) }
                        th scope="col" { (t.t("access-scope")) }
                        th scope="col" { (t.t("access-consent")) }
                        th scope="col" { (t.t("access-result")) }
                    } }
                    tbody {
                        @for r in &rows.items {
                            tr {
                                td { (chrono::DateTime::parse_from_rfc3339(&r.at).map(|d| beijing(d.naive_utc())).unwrap_or_else(|_| r.at.clone())) }
                                td { (institution(r)) }
                                td { (t.t(&format!("purpose-{}", r.purpose.as_deref().unwrap_or("none")))) }
                                td { (match r.scope.as_deref() { None | Some("all") => t.t("scope-all"), Some(s) => s.replace(',', ", ") }) }
                                td { code { (r.consent_id.as_deref().unwrap_or("—")) } }
                                td { (t.t(&format!("result-{}", r.result))) }
                            }
                        }
                    }
                }
                @if let Some(href) = &older { p { a href=(href) { (t.t("access-older")) } } }
            }
        }
    };
    Ok(page(&t, &t.t("access-log-title"), Some(&who), body))
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
    let back = req
        .headers()
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(url_path)
        .unwrap_or_else(|| "/".into());
    let mut r = see_other(&back).finish();
    let year = CookieAge::days(365);
    let _ = r.add_cookie(&cookie(&state, LANG_COOKIE, lang.code().into(), Some(year)));
    r
}

/// The path of a same-site URL (never an absolute URL elsewhere: no open redirect).
fn url_path(referer: &str) -> Option<String> {
    let after_scheme = referer.split_once("://").map(|(_, r)| r)?;
    let path = after_scheme.find('/').map(|i| &after_scheme[i..])?;
    (path.starts_with('/') && !path.starts_with("//")).then(|| path.to_string())
}

#[get("/assets/site.css")]
pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(CSS)
}

/// Register the pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(home)
        .service(sign_in)
        .service(sign_out)
        .service(activation)
        .service(activate)
        .service(access_log)
        .service(language)
        .service(stylesheet);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_exists_in_both_languages() {
        let zh = include_str!("locales/zh-CN/main.ftl");
        let en = include_str!("locales/en/main.ftl");
        let keys = |s: &str| {
            let mut k: Vec<String> = s
                .lines()
                .filter_map(|l| l.split_once(" = ").map(|(k, _)| k.trim().to_string()))
                .collect();
            k.sort();
            k
        };
        assert_eq!(keys(zh), keys(en));
        assert_eq!(T(Lang::Zh).t("sign-in"), "登录");
        assert_eq!(
            T(Lang::En).with("hello", &[("name", "Li".into())]),
            "Hello, Li"
        );
    }

    #[test]
    fn the_language_switch_redirects_only_within_the_site() {
        assert_eq!(
            url_path("http://127.0.0.1:8080/firm?x=1").as_deref(),
            Some("/firm?x=1")
        );
        assert_eq!(url_path("https://evil.example//x"), None);
        assert_eq!(url_path("https://evil.example"), None);
        assert_eq!(Lang::parse("en-GB"), Some(Lang::En));
        assert_eq!(Lang::parse("fr"), None);
    }
}
