//! Who is signed in: the session cookie read against the database on every request (so sign-out and
//! suspension bite at once), the form tokens (CSRF) and what a firm's owner may do that a member may not.

use super::layout::{cookie, page, see_other, unavailable, with_status, Frame, Lang, Nav, T};
use crate::api::AppState;
use crate::domain::account::MemberRole;
use crate::domain::Uscc;
use crate::service::accounts::{self, Membership, SignedIn};
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

/// A signed-in person, whoever they work for, and the page language: a handler that takes one is only
/// reached signed in (otherwise the request is sent to the sign-in page).
pub struct Signed {
    pub who: SignedIn,
    pub t: T,
    pub unread: i64,
}

/// The application state of a request.
fn state_of(req: &HttpRequest) -> Result<web::Data<AppState>, actix_web::Error> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| actix_web::error::ErrorInternalServerError("no app state"))
}

impl FromRequest for Signed {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = state_of(&req)?;
            match signed_in(&state, &req).await? {
                Some(who) => Signed::of(&state, &req, who).await,
                None => Err(InternalError::from_response("sign in first", see_other("/")).into()),
            }
        })
    }
}

impl Signed {
    /// The person of a session already read, with the page language and the unread count.
    pub async fn of(
        state: &AppState,
        req: &HttpRequest,
        who: SignedIn,
    ) -> Result<Signed, actix_web::Error> {
        let unread = crate::service::notifications::unread(state.ctx(), &who.account.actor())
            .await
            .map_err(unavailable)?;
        Ok(Signed {
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
            nav: Nav::of(&self.who.account.membership),
        }
    }

    /// The 403 page that says the form expired, unless the form's token is this session's.
    pub fn forged(&self, sent: &str) -> Option<HttpResponse> {
        (!accounts::same_secret(&self.who.csrf, sent))
            .then(|| self.stop(StatusCode::FORBIDDEN, "form-expired"))
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

    /// A page of this person's, framed with their navigation.
    pub fn page(&self, title: &str, here: &str, body: maud::Markup) -> HttpResponse {
        page(&self.t, title, here, Some(&self.frame()), body)
    }

    /// What a service refused, as a page.
    pub fn refusal(
        &self,
        e: impl Into<crate::service::ServiceError>,
    ) -> actix_web::Result<HttpResponse> {
        super::layout::refusal(&self.t, Some(&self.frame()), e.into())
    }
}

/// A firm's person (owner or member): the firm's pages take one. Staff of an institution are sent to
/// their own home.
pub struct Person {
    pub signed: Signed,
    pub firm: Uscc,
    pub role: MemberRole,
}

impl std::ops::Deref for Person {
    type Target = Signed;
    fn deref(&self) -> &Signed {
        &self.signed
    }
}

impl FromRequest for Person {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let signed = Signed::from_request(req, payload);
        Box::pin(async move { Person::of(signed.await?) })
    }
}

impl Person {
    /// The firm's person a signed-in person is; anyone else is sent home (`/`).
    pub fn of(signed: Signed) -> Result<Person, actix_web::Error> {
        match signed.who.account.firm() {
            Some((firm, role)) => Ok(Person {
                firm: firm.clone(),
                role,
                signed,
            }),
            None => Err(InternalError::from_response("a firm's page", see_other("/")).into()),
        }
    }

    pub fn is_owner(&self) -> bool {
        self.role == MemberRole::Owner
    }

    /// Owners grant consents and apply; members read: the 403 page for a member.
    pub fn not_owner(&self) -> Option<HttpResponse> {
        (!self.is_owner()).then(|| self.stop(StatusCode::FORBIDDEN, "owner-only"))
    }

    /// What refuses an owner's form: a forged token, or a member sending it.
    pub fn refused(&self, sent: &str) -> Option<HttpResponse> {
        self.forged(sent).or_else(|| self.not_owner())
    }
}

/// A staff member of a bank, a guarantee agency or the government side, acting for their institution:
/// the institutions' pages take one, and say 403 to anyone of another kind.
pub struct Staff {
    pub signed: Signed,
    pub actor: Actor,
}

impl std::ops::Deref for Staff {
    type Target = Signed;
    fn deref(&self) -> &Signed {
        &self.signed
    }
}

impl FromRequest for Staff {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let signed = Signed::from_request(req, payload);
        Box::pin(async move {
            let signed = signed.await?;
            match &signed.who.account.membership {
                Membership::Staff { actor } => Ok(Staff {
                    actor: actor.clone(),
                    signed,
                }),
                Membership::Firm { .. } => Err(InternalError::from_response(
                    "an institution's page",
                    see_other("/"),
                )
                .into()),
            }
        })
    }
}

impl Staff {
    /// This person as `T`, or the 403 page that says the page is for another kind of staff.
    fn narrowed<T>(
        self,
        f: impl FnOnce(&Actor) -> Option<String>,
        make: fn(Staff, String) -> T,
        key: &str,
    ) -> Result<T, actix_web::Error> {
        match f(&self.actor) {
            Some(id) => Ok(make(self, id)),
            None => {
                let page = self.stop(StatusCode::FORBIDDEN, key);
                Err(InternalError::from_response("another kind of staff's page", page).into())
            }
        }
    }
}

/// Implements `FromRequest` for a kind of staff: a signed-in staff member whose actor `f` accepts.
macro_rules! staff_extractor {
    ($name:ident, $key:literal, $f:expr, $make:expr) => {
        impl FromRequest for $name {
            type Error = actix_web::Error;
            type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

            fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
                let staff = Staff::from_request(req, payload);
                Box::pin(async move { staff.await?.narrowed($f, $make, $key) })
            }
        }

        impl std::ops::Deref for $name {
            type Target = Staff;
            fn deref(&self) -> &Staff {
                &self.staff
            }
        }
    };
}

/// A bank's credit officer: the bank's pages take one (403 for anyone else).
pub struct BankStaff {
    pub staff: Staff,
    pub bank: String,
}

/// A guarantee agency's staff member: the agency's pages take one.
pub struct AgencyStaff {
    pub staff: Staff,
    pub agency: String,
}

/// An official of the government side (a department's staff, or the platform's administrators).
pub struct Official {
    pub staff: Staff,
}

staff_extractor!(
    BankStaff,
    "staff-bank-only",
    |a| match a {
        Actor::Bank { institution } => Some(institution.to_string()),
        _ => None,
    },
    |staff, bank| BankStaff { staff, bank }
);
staff_extractor!(
    AgencyStaff,
    "staff-agency-only",
    |a| match a {
        Actor::Agency { institution } => Some(institution.to_string()),
        _ => None,
    },
    |staff, agency| AgencyStaff { staff, agency }
);
staff_extractor!(
    Official,
    "staff-government-only",
    |a| a.is_government_side().then(String::new),
    |staff, _| Official { staff }
);

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
