//! The inbox: what the firm (or the institution) was told, newest first, 30 a page; opening the page marks what it shows
//! read (the header's count drops), and each notification links to where it can be acted on.

use super::layout::T;
use super::session::Signed;
use crate::api::AppState;
use crate::service::notifications::{self, NotificationView};
use actix_web::{get, post, web, HttpResponse};
use maud::{html, Markup};
use std::collections::HashMap;

#[derive(Debug, Default, serde::Deserialize)]
pub struct Older {
    pub before: Option<String>,
}

const PAGE: i64 = 30;

#[get("/notifications")]
pub async fn inbox(
    state: web::Data<AppState>,
    p: Signed,
    q: web::Query<Older>,
) -> actix_web::Result<HttpResponse> {
    let t = &p.t;
    let actor = p.actor();
    // The extractor brought the inbox up to date for the header's count.
    let (items, more) = notifications::page(state.ctx(), &actor, q.into_inner().before, PAGE)
        .await
        .map_err(super::layout::unavailable)?;
    let names = crate::service::institutions::public_names(state.ctx())
        .await
        .map_err(super::layout::unavailable)?;
    let unread: Vec<String> = items
        .iter()
        .filter(|n| !n.read)
        .map(|n| n.id.clone())
        .collect();
    let body = html! {
        div.card {
            h1 { (t.t("notifications-title")) }
            @if items.is_empty() { p.notice { (t.t("notifications-none")) } }
            ul.inbox {
                @for n in &items {
                    li class=(if n.read { "read" } else { "unread" }) {
                        @if !n.read { span.badge-new { (t.t("new")) } " " }
                        (line(t, n, &names))
                        div.muted { (t.instant(n.at)) }
                    }
                }
            }
            @if more { @if let Some(last) = items.last() { p { a href={ "/notifications?before=" (last.id) } { (t.t("access-older")) } } } }
            @if p.unread > unread.len() as i64 {
                form method="post" action="/notifications/read" {
                    input type="hidden" name="csrf" value=(p.who.csrf);
                    button.secondary type="submit" { (t.t("mark-all-read")) }
                }
            }
        }
    };
    // What the page shows has been seen.
    if !unread.is_empty() {
        notifications::mark_read(state.ctx(), &actor, Some(unread))
            .await
            .map_err(super::layout::unavailable)?;
    }
    Ok(p.page(&t.t("notifications-title"), "/notifications", body))
}

fn line(t: &T, n: &NotificationView, names: &HashMap<String, String>) -> Markup {
    let d = |k: &str| n.detail.get(k).cloned().unwrap_or_default();
    let inst = || {
        let id = d("institution");
        names.get(&id).cloned().unwrap_or(id)
    };
    match n.kind.as_str() {
        "profile_queried" => html! {
            a href="/firm/access-log" { (t.with("n-profile_queried", &[("institution", inst()), ("purpose", t.code("purpose", &d("purpose"))), ("result", t.code("result", &d("result")))])) }
        },
        "consent_expiring" => html! {
            a href="/firm/consents" { (t.with("n-consent_expiring", &[("institution", inst()), ("at", chrono::DateTime::parse_from_rfc3339(&d("expires_at")).map(|x| t.instant(x.naive_utc())).unwrap_or_default())])) }
        },
        "consent_pending" => html! {
            a href="/firm/consents#pending" { (t.with("n-consent_pending", &[("institution", inst()), ("purpose", t.code("purpose", &d("purpose")))])) }
        },
        "application_changed" => html! {
            a href={ "/firm/applications/" (n.subject) } { (t.with("n-application_changed", &[("institution", inst()), ("status", t.code("app", &d("status")))])) }
        },
        "receivable_to_answer" => html! {
            a href="/firm/assets#owed" { (t.with("n-receivable_to_answer", &[("creditor", d("creditor")), ("invoice", d("invoice")), ("amount", crate::domain::Money::parse(&d("amount")).map(|m| t.money(m)).unwrap_or_default())])) }
        },
        "application_new" => html! {
            a href={ "/bank/applications/" (n.subject) } { (t.with("n-application_new", &[("firm", d("firm")), ("amount", crate::domain::Money::parse(&d("amount")).map(|m| t.money(m)).unwrap_or_default())])) }
        },
        "consent_granted" => html! {
            (t.with("n-consent_granted", &[("firm", d("firm"))]))
        },
        "consent_revoked" => html! {
            (t.with("n-consent_revoked", &[("firm", d("firm"))]))
        },
        "batch_moved" => html! {
            a href={ "/agency/batches/" (n.subject) } { (t.with("n-batch_moved", &[("status", t.code("batch", &d("status"))), ("lines", d("lines")), ("approved", crate::domain::Money::parse(&d("approved")).map(|m| t.money(m)).unwrap_or_default())])) }
        },
        "reward_moved" => html! {
            a href="/agency/rewards" { (t.with("n-reward_moved", &[("status", t.code("reward", &d("status"))), ("reward", crate::domain::Money::parse(&d("reward")).map(|m| t.money(m)).unwrap_or_default())])) }
        },
        "remedy_to_handle" => html! {
            a href={ "/gov/remedies/" (n.subject) } { (t.with("n-remedy_to_handle", &[("kind", t.code("remedy-kind", &d("kind"))), ("firm", d("firm")), ("due", d("due"))])) }
        },
        "remedy_moved" => html! {
            a href={ "/firm/remedies/" (n.subject) } { (t.with("n-remedy_moved", &[("kind", t.code("remedy-kind", &d("kind"))), ("status", t.code("remedy-status", &d("status")))])) }
        },
        "profile_changed" => html! {
            (t.with("n-profile_changed", &[("firm", d("firm")), ("cause", t.code("remedy-kind", &d("cause"))), ("before", d("score_before")), ("after", d("score_after"))]))
        },
        other => html! { (other) },
    }
}

#[post("/notifications/read")]
pub async fn read_all(
    state: web::Data<AppState>,
    p: Signed,
    f: web::Form<super::session::CsrfForm>,
) -> actix_web::Result<HttpResponse> {
    if let Some(r) = p.forged(&f.csrf) {
        return Ok(r);
    }
    notifications::mark_read(state.ctx(), &p.actor(), None)
        .await
        .map_err(super::layout::unavailable)?;
    Ok(super::layout::see_other("/notifications"))
}
