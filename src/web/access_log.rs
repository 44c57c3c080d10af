//! Who saw my data: the firm's access log as a table (institution, purpose, consent, what was returned,
//! result, time), newest first, filterable by institution and result, like the query records of a credit
//! report. The firm's own rows only.

use super::session::Person;
use crate::api::AppState;
use crate::service::access_log::{self, AccessView, Window};
use actix_web::{get, web, HttpResponse};
use maud::html;
use std::collections::HashMap;

#[derive(Debug, Default, serde::Deserialize)]
pub struct AccessQuery {
    pub before: Option<String>,
    #[serde(default)]
    pub institution: String,
    #[serde(default)]
    pub result: String,
}

const ACCESS_PAGE: i64 = 50;

#[get("/firm/access-log")]
pub async fn log_page(
    state: web::Data<AppState>,
    p: Person,
    q: web::Query<AccessQuery>,
) -> actix_web::Result<HttpResponse> {
    let t = &p.t;
    let q = q.into_inner();
    let w = Window {
        before: q.before.clone(),
        limit: ACCESS_PAGE,
    };
    let rows = access_log::of_firm(state.ctx(), &p.actor(), &p.firm, w)
        .await
        .map_err(super::layout::unavailable)?;
    let names: HashMap<String, String> = crate::service::institutions::public_names(state.ctx())
        .await
        .map_err(super::layout::unavailable)?;
    let institution = |r: &AccessView| match &r.institution_id {
        Some(id) => names.get(id).cloned().unwrap_or_else(|| id.clone()),
        None => t.code("role", &r.role),
    };
    let shown: Vec<&AccessView> = rows
        .items
        .iter()
        .filter(|r| {
            q.institution.is_empty() || r.institution_id.as_deref() == Some(q.institution.as_str())
        })
        .filter(|r| q.result.is_empty() || r.result == q.result)
        .collect();
    let mut seen: Vec<(String, String)> = rows
        .items
        .iter()
        .filter_map(|r| r.institution_id.clone())
        .map(|id| (names.get(&id).cloned().unwrap_or_else(|| id.clone()), id))
        .collect();
    seen.sort();
    seen.dedup();
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
            form.inline-form method="get" action="/firm/access-log" {
                div.field {
                    label for="institution" { (t.t("access-institution")) }
                    select id="institution" name="institution" {
                        option value="" { (t.t("institution-all")) }
                        @for (name, id) in &seen { option value=(id) selected[q.institution == *id] { (name) } }
                    }
                }
                div.field {
                    label for="result" { (t.t("access-result")) }
                    select id="result" name="result" {
                        option value="" { (t.t("status-all")) }
                        @for r in ["ok", "denied", "not_found"] { option value=(r) selected[q.result == r] { (t.code("result", r)) } }
                    }
                }
                button type="submit" { (t.t("filter")) }
            }
            @if shown.is_empty() {
                p.notice { (t.t("access-none")) }
            } @else {
                div.scroll tabindex="0" {
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
                            @for r in &shown {
                                tr {
                                    td { (chrono::DateTime::parse_from_rfc3339(&r.at).map(|d| super::layout::beijing(d.naive_utc())).unwrap_or_else(|_| r.at.clone())) }
                                    td { (institution(r)) }
                                    td { (t.t(&format!("purpose-{}", r.purpose.as_deref().unwrap_or("none")))) }
                                    td { (match r.scope.as_deref() { None | Some("all") => t.t("scope-all"), Some(s) => s.split(',').map(|x| t.code("scope", x)).collect::<Vec<_>>().join(", ") }) }
                                    td { code { (r.consent_id.as_deref().unwrap_or("—")) } }
                                    td { (t.t(&format!("result-{}", r.result))) }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(href) = &older { p { a href=(href) { (t.t("access-older")) } } }
        }
    };
    Ok(p.page(&t.t("access-log-title"), "/firm/access-log", body))
}
