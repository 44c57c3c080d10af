//! Who is signed in: the session cookie read against the database on every request (so sign-out and
//! suspension bite at once), the form tokens (CSRF) and what a firm's owner may do that a member may not.

use super::layout::{cookie, page, see_other, unavailable, with_status, Frame, Lang, T};
use crate::api::AppState;
use crate::domain::account::MemberRole;
use crate::service::accounts::{self, SignedIn};
use crate::service::Actor;
use actix_web::cookie::Cookie;
use actix_web::dev::Payload;
use actix_web::error::InternalError;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use maud::html;
use std::future::Future;
use std::pin::Pin;

/// The session cookie: its value is the session's secret (only its hash is stored).
pub const SESSION_COOKIE: &str = "credithub_session";
/// The double-submit CSRF cookie of forms shown before sign-in.
pub const CSRF_COOKIE: &str = "credithub_csrf";

/// The person signed in on this request, if any (their session is live and their account active).
pub async fn signed_in(
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

/// A signed-in person and the page language: a handler that takes one is only reached signed in
/// (otherwise the request is sent to the sign-in page).
pub struct Person {
    pub who: SignedIn,
    pub t: T,
    pub unread: i64,
}

impl FromRequest for Person {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| actix_web::error::ErrorInternalServerError("no app state"))?;
            match signed_in(state, &req).await? {
                Some(who) => Person::of(state, &req, who).await,
                None => Err(InternalError::from_response("sign in first", see_other("/")).into()),
            }
        })
    }
}

impl Person {
    /// The person of a session already read, with the page language and the unread count.
    pub async fn of(
        state: &AppState,
        req: &HttpRequest,
        who: SignedIn,
    ) -> Result<Person, actix_web::Error> {
        let unread = crate::service::notifications::unread(state.ctx(), &who.account.actor())
            .await
            .map_err(unavailable)?;
        Ok(Person {
            who,
            t: T(Lang::of(req)),
            unread,
        })
    }

    pub fn actor(&self) -> Actor {
        self.who.account.actor()
    }

    /// What the services record as the credential that acted: the person's account.
    pub fn key_id(&self) -> String {
        format!("account:{}", self.who.account.id)
    }

    pub fn frame(&self) -> Frame<'_> {
        Frame {
            csrf: &self.who.csrf,
            unread: self.unread,
            firm: true,
        }
    }

    /// The 403 page that says the form expired, unless the form's token is this session's.
    pub fn forged(&self, sent: &str) -> Option<HttpResponse> {
        (!accounts::same_secret(&self.who.csrf, sent))
            .then(|| self.stop(StatusCode::FORBIDDEN, "form-expired"))
    }

    /// Owners grant consents and apply; members read: the 403 page for a member.
    pub fn not_owner(&self) -> Option<HttpResponse> {
        match self.who.account.role {
            MemberRole::Owner => None,
            MemberRole::Member => Some(self.stop(StatusCode::FORBIDDEN, "owner-only")),
        }
    }

    /// What refuses an owner's form: a forged token, or a member sending it.
    pub fn refused(&self, sent: &str) -> Option<HttpResponse> {
        self.forged(sent).or_else(|| self.not_owner())
    }

    /// A page that only says `key`, with `status`.
    pub fn stop(&self, status: StatusCode, key: &str) -> HttpResponse {
        let t = &self.t;
        let body = html! {
            div.card {
                p.alert role="alert" { (t.t(key)) }
                p { a href="/" { (t.t("back-home")) } }
            }
        };
        with_status(page(t, &t.t(key), "", Some(&self.frame()), body), status)
    }

    /// The page the person's firm sees, framed.
    pub fn page(&self, title: &str, here: &str, body: maud::Markup) -> HttpResponse {
        page(&self.t, title, here, Some(&self.frame()), body)
    }
}

/// A form that sends nothing but its token (sign-out, revoke, confirm, withdraw, …).
#[derive(Debug, serde::Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
}

/// A fresh CSRF value for a form shown before sign-in, and the cookie that carries it.
pub fn pre_session_csrf(state: &AppState) -> (String, Cookie<'static>) {
    let v = accounts::new_secret();
    (v.clone(), cookie(state, CSRF_COOKIE, v, None))
}

/// Whether the form's token matches the pre-session cookie.
pub fn pre_session_ok(req: &HttpRequest, sent: &str) -> bool {
    req.cookie(CSRF_COOKIE)
        .is_some_and(|c| !sent.is_empty() && accounts::same_secret(c.value(), sent))
}

/// The client's address for the sign-in limits: the peer (a proxy in front sets `X-Forwarded-For`,
/// which is only read when the peer is the loopback).
pub fn address(req: &HttpRequest) -> Option<String> {
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
