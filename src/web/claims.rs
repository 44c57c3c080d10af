//! Claim batches on the pages (Art 28), for the agency that filed them and the government that approves
//! them: the list, one batch with its reconciliation as a table of lines filterable by status (claimed,
//! computed, approved, difference, the caps that cut each line), totals that are the sums of the lines,
//! the report as CSV and XLSX, and the moves each side may make — withdraw before approval (the agency),
//! approve and record payment (the government). What a file's faults are is shown by [`faults`].

use super::layout::{see_other, unavailable, T};
use super::session::{CsrfForm, Staff};
use crate::api::AppState;
use crate::domain::states::BatchStatus;
use crate::domain::subsidy::Status;
use crate::domain::Money;
use crate::service::claims;
use crate::service::reconciliation as report;
use crate::service::Violation;
use crate::store::guarantees::{BatchRow, LineRow};
use actix_web::{get, post, web, HttpResponse};
use maud::{html, Markup};
use std::collections::HashMap;

/// The names of the institutions and the policies, by id, as the pages show them.
pub struct Names {
    pub institutions: HashMap<String, String>,
    pub policies: HashMap<String, String>,
}

impl Names {
    pub async fn load(state: &AppState) -> actix_web::Result<Names> {
        let institutions = crate::service::institutions::public_names(state.ctx())
            .await
            .map_err(|e| unavailable(crate::service::ServiceError::from(e)))?;
        let policies = crate::service::policies::list(state.ctx())
            .await
            .map_err(|e| unavailable(crate::service::ServiceError::from(e)))?
            .into_iter()
            .map(|p| (p.id.clone(), p.spec.name.clone()))
            .collect();
        Ok(Names {
            institutions,
            policies,
        })
    }

    pub fn institution<'a>(&'a self, id: &'a str) -> &'a str {
        self.institutions.get(id).map_or(id, String::as_str)
    }

    pub fn policy<'a>(&'a self, id: &'a str) -> &'a str {
        self.policies.get(id).map_or(id, String::as_str)
    }
}

/// A table of batches, newest first, each linked to its page.
pub fn batch_table(t: &T, batches: &[BatchRow], names: &Names, with_agency: bool) -> Markup {
    html! {
        div.scroll tabindex="0" {
            table {
                caption { (t.t("batches-caption")) }
                thead { tr {
                    th scope="col" { (t.t("batch-submitted")) }
                    @if with_agency { th scope="col" { (t.t("batch-agency")) } }
                    th scope="col" { (t.t("batch-policy")) }
                    th scope="col" { (t.t("batch-status")) }
                    th scope="col" .num { (t.t("batch-lines")) }
                    th scope="col" .num { (t.t("line-claimed")) }
                    th scope="col" .num { (t.t("line-approved")) }
                    th scope="col" .num { (t.t("line-difference")) }
                } }
                tbody {
                    @for b in batches {
                        tr {
                            td { a href={ "/claims/" (b.id) } { (t.instant(b.submitted_at)) } }
                            @if with_agency { td { (names.institution(&b.agency_id)) } }
                            td { (names.policy(&b.policy_id)) }
                            td { span class={ "pill " (b.status.as_str()) } { (t.code("batch", b.status.as_str())) } }
                            td.num { (b.lines) }
                            td.num { (t.money(Money::from_fen(b.claimed_fen))) }
                            td.num { (t.money(Money::from_fen(b.approved_fen))) }
                            td.num { (t.money(Money::from_fen(b.difference_fen))) }
                        }
                    }
                }
            }
        }
    }
}

/// The totals of a batch, and the sums of its lines (they are equal; the page shows both so a reader can
/// see it).
fn totals(t: &T, b: &BatchRow) -> Markup {
    html! {
        dl.totals {
            dt { (t.t("line-claimed")) } dd #total-claimed { (t.money(Money::from_fen(b.claimed_fen))) }
            dt { (t.t("line-computed")) } dd #total-computed { (t.money(Money::from_fen(b.computed_fen))) }
            dt { (t.t("line-approved")) } dd #total-approved { (t.money(Money::from_fen(b.approved_fen))) }
            dt { (t.t("line-difference")) } dd #total-difference { (t.money(Money::from_fen(b.difference_fen))) }
        }
    }
}

/// Lines shown on one page of a batch (the sums in the footer are over all the lines chosen).
pub const LINES_PAGE: usize = 200;

/// The reconciliation as a table: `shown` (a page of the lines chosen), with the sums of every line
/// chosen (`all`: the batch's, or those of one status) in the footer.
pub fn lines_table(t: &T, shown: &[&LineRow], all: &[&LineRow]) -> Markup {
    let lines = shown;
    let sum = |f: fn(&LineRow) -> i64| t.money(Money::from_fen(all.iter().map(|l| f(l)).sum()));
    html! {
        div.scroll tabindex="0" {
            table.lines {
                caption { (t.t("lines-caption")) }
                thead { tr {
                    th scope="col" .num { (t.t("line-no")) }
                    th scope="col" { (t.t("line-contract")) }
                    th scope="col" { (t.t("line-period")) }
                    th scope="col" { (t.t("line-status")) }
                    th scope="col" .num { (t.t("line-claimed")) }
                    th scope="col" .num { (t.t("line-computed")) }
                    th scope="col" .num { (t.t("line-approved")) }
                    th scope="col" .num { (t.t("line-difference")) }
                    th scope="col" { (t.t("line-caps")) }
                    th scope="col" { (t.t("line-reason")) }
                    th scope="col" { (t.t("line-size-class")) }
                } }
                tbody {
                    @for l in lines {
                        tr {
                            td.num { (l.line_no) }
                            td.mono { (l.contract_no) }
                            td.period { (t.date(l.from_on)) " – " (t.date(l.to_on)) }
                            td { span class={ "pill " (l.status.as_str()) } { (t.code("line", l.status.as_str())) } }
                            td.num { (t.money(Money::from_fen(l.claimed_fen))) }
                            td.num { (t.money(Money::from_fen(l.computed_fen))) }
                            td.num { (t.money(Money::from_fen(l.approved_fen))) }
                            td.num { (t.money(Money::from_fen(l.difference_fen))) }
                            td { (t.join(l.caps.split(',').filter(|c| !c.is_empty()).map(|c| t.code("cap", c)))) }
                            td { (l.reason.as_deref().unwrap_or("")) }
                            td { @if let Some(c) = &l.size_class { (t.code("size", c)) } }
                        }
                    }
                }
                tfoot { tr {
                    th scope="row" colspan="4" { (t.with("lines-sum", &[("count", all.len().to_string())])) }
                    td.num #sum-claimed { (sum(|l| l.claimed_fen)) }
                    td.num #sum-computed { (sum(|l| l.computed_fen)) }
                    td.num #sum-approved { (sum(|l| l.approved_fen)) }
                    td.num #sum-difference { (sum(|l| l.difference_fen)) }
                    td {} td {} td {}
                } }
            }
        }
    }
}

/// The links that narrow the lines to one status, with how many lines each has.
fn status_filter(t: &T, base: &str, lines: &[LineRow], chosen: Option<Status>) -> Markup {
    let count = |s: Status| lines.iter().filter(|l| l.status == s).count();
    html! {
        nav.filter aria-label=(t.t("lines-filter")) {
            a href=(base) aria-current=[chosen.is_none().then_some("page")] { (t.t("status-all")) " (" (lines.len()) ")" }
            @for s in Status::ALL {
                @if count(s) > 0 {
                    a href={ (base) "?status=" (s.as_str()) } aria-current=[(chosen == Some(s)).then_some("page")] {
                        (t.code("line", s.as_str())) " (" (count(s)) ")"
                    }
                }
            }
        }
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct LineFilter {
    pub status: Option<String>,
    /// Which page of the lines chosen (from 1).
    pub page: Option<usize>,
}

/// One batch: its status and totals, the reconciliation table (filterable by status), the downloads,
/// and the moves the person may make on it.
#[get("/claims/{id}")]
pub async fn batch_page(
    state: web::Data<AppState>,
    s: Staff,
    id: web::Path<String>,
    q: web::Query<LineFilter>,
) -> actix_web::Result<HttpResponse> {
    let t = &s.t;
    let (b, lines) = match claims::get(state.ctx(), &s.actor, &id).await {
        Ok(x) => x,
        Err(e) => return s.refusal(e),
    };
    let names = Names::load(&state).await?;
    let chosen = q
        .status
        .as_deref()
        .and_then(|x| Status::ALL.into_iter().find(|s| s.as_str() == x));
    let shown: Vec<&LineRow> = lines
        .iter()
        .filter(|l| chosen.is_none_or(|c| l.status == c))
        .collect();
    let pages = shown.len().div_ceil(LINES_PAGE).max(1);
    let page = q.page.unwrap_or(1).clamp(1, pages);
    let on_page = &shown[(page - 1) * LINES_PAGE..(page * LINES_PAGE).min(shown.len())];
    let base = format!("/claims/{}", b.id);
    let page_link = |n: usize| match chosen {
        Some(c) => format!("{base}?status={}&page={n}", c.as_str()),
        None => format!("{base}?page={n}"),
    };
    let gov = s.actor.is_government_side();
    let notice = |k: &str| t.try_t(&format!("batch-notice-{k}"));
    let body = html! {
        div.card {
            h1 { (t.t("batch-title")) }
            dl {
                dt { (t.t("batch-agency")) } dd { (names.institution(&b.agency_id)) }
                dt { (t.t("batch-policy")) } dd { (names.policy(&b.policy_id)) }
                dt { (t.t("batch-status")) } dd #batch-status { span class={ "pill " (b.status.as_str()) } { (t.code("batch", b.status.as_str())) } }
                dt { (t.t("batch-submitted")) } dd { (t.instant(b.submitted_at)) }
                @if let Some(a) = b.approved_at { dt { (t.t("batch-approved-at")) } dd { (t.instant(a)) } }
                @if let Some(a) = b.paid_at { dt { (t.t("batch-paid-at")) } dd { (t.instant(a)) } }
                @if let Some(a) = b.withdrawn_at { dt { (t.t("batch-withdrawn-at")) } dd { (t.instant(a)) } }
                dt { (t.t("batch-lines")) } dd { (b.lines) }
            }
            @if let Some(n) = notice(b.status.as_str()) { p.notice { (n) } }
            h2 { (t.t("batch-totals")) }
            (totals(t, &b))
            p.downloads {
                a.button href={ (base) "/reconciliation.xlsx" } download { (t.t("download-xlsx")) }
                " "
                a.button.secondary href={ (base) "/reconciliation.csv" } download { (t.t("download-csv")) }
            }
            (moves(t, &s.who.csrf, &b, gov))
        }
        div.card {
            h2 { (t.t("lines-title")) }
            (status_filter(t, &base, &lines, chosen))
            (lines_table(t, on_page, &shown))
            @if pages > 1 {
                nav.filter aria-label=(t.t("lines-pages")) {
                    span { (t.with("lines-page-of", &[("page", page.to_string()), ("pages", pages.to_string())])) }
                    @if page > 1 { a href=(page_link(page - 1)) { (t.t("previous-page")) } }
                    @if page < pages { a href=(page_link(page + 1)) { (t.t("next-page")) } }
                }
            }
        }
    };
    let here = if gov {
        "/gov/batches"
    } else if matches!(s.actor.claimant(), Some(crate::service::Claimant::Bank(_))) {
        super::agency::BANK_BATCHES
    } else {
        "/agency/batches"
    };
    Ok(s.page(&t.t("batch-title"), here, body))
}

/// The buttons for the moves this side may make on the batch now.
fn moves(t: &T, csrf: &str, b: &BatchRow, gov: bool) -> Markup {
    let form = |action: &str, label: String, class: &str| {
        html! {
            form.inline method="post" action={ "/claims/" (b.id) "/" (action) } {
                input type="hidden" name="csrf" value=(csrf);
                button class=(class) type="submit" { (label) }
            }
        }
    };
    html! {
        @match (gov, b.status) {
            (true, BatchStatus::Reconciled) => (form("approve", t.t("batch-approve"), "")),
            (true, BatchStatus::Approved) => (form("paid", t.t("batch-mark-paid"), "")),
            (false, BatchStatus::Reconciled) => (form("withdraw", t.t("batch-withdraw"), "secondary")),
            _ => {}
        }
    }
}

/// A move on a batch through its form: the government approves or records payment, the agency
/// withdraws. Back to the batch's page, which shows where it stands.
#[post("/claims/{id}/{action}")]
pub async fn move_batch(
    state: web::Data<AppState>,
    s: Staff,
    path: web::Path<(String, String)>,
    f: web::Form<CsrfForm>,
) -> actix_web::Result<HttpResponse> {
    if let Some(r) = s.forged(&f.csrf) {
        return Ok(r);
    }
    let (id, action) = path.into_inner();
    let ctx = state.ctx();
    let moved = match action.as_str() {
        "approve" => claims::approve(ctx, &s.actor, &id).await,
        "paid" => claims::pay(ctx, &s.actor, &id).await,
        "withdraw" => claims::withdraw(ctx, &s.actor, &id).await,
        _ => return Ok(HttpResponse::NotFound().finish()),
    };
    match moved {
        Ok(b) => Ok(see_other(&format!("/claims/{}", b.id))),
        Err(e) => s.refusal(e),
    }
}

/// The reconciliation as a file: `reconciliation.xlsx` (a summary sheet and the lines, amounts as
/// numbers) or `reconciliation.csv`, the same as the API's report.
#[get("/claims/{id}/reconciliation.{kind}")]
pub async fn download(
    state: web::Data<AppState>,
    s: Staff,
    path: web::Path<(String, String)>,
) -> actix_web::Result<HttpResponse> {
    let (id, kind) = path.into_inner();
    let (b, lines) = match claims::get(state.ctx(), &s.actor, &id).await {
        Ok(x) => x,
        Err(e) => return s.refusal(e),
    };
    let internal = |e: &dyn std::fmt::Display| {
        actix_web::error::ErrorInternalServerError(format!("the report: {e}"))
    };
    let (bytes, content_type) = match kind.as_str() {
        "csv" => (
            report::csv(&lines).map_err(|e| internal(&e))?,
            "text/csv; charset=utf-8",
        ),
        "xlsx" => (
            report::xlsx(&b, &lines).map_err(|e| internal(&e))?,
            crate::service::spreadsheet::XLSX,
        ),
        _ => return Ok(HttpResponse::NotFound().finish()),
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"reconciliation-{}.{kind}\"", b.id),
        ))
        .body(bytes))
}

/// Every fault of a file, one row each: the line (or sheet row), the column, what was wrong; and, where
/// the file was a table, the agency's own rows back as a workbook with the faults beside them.
pub fn faults(t: &T, faults: &[Violation], workbook: Option<&[u8]>) -> Markup {
    use base64::Engine;
    let split = |v: &Violation| -> (String, String) {
        match v
            .field
            .strip_prefix("line ")
            .and_then(|r| r.split_once(": "))
        {
            Some((line, column)) => (line.to_string(), column.to_string()),
            None => (String::new(), v.field.clone()),
        }
    };
    html! {
        div.card.faults role="alert" {
            h2 { (t.with("faults-title", &[("count", faults.len().to_string())])) }
            p { (t.t("faults-nothing-stored")) }
            @if let Some(book) = workbook {
                p { a.button download="faults.xlsx" href={ "data:" (crate::service::spreadsheet::XLSX) ";base64," (base64::engine::general_purpose::STANDARD.encode(book)) } { (t.t("faults-download")) } }
            }
            div.scroll tabindex="0" {
                table {
                    caption { (t.t("faults-caption")) }
                    thead { tr {
                        th scope="col" .num { (t.t("fault-line")) }
                        th scope="col" { (t.t("fault-column")) }
                        th scope="col" { (t.t("fault-rule")) }
                        th scope="col" { (t.t("fault-message")) }
                    } }
                    tbody {
                        @for v in faults {
                            @let (line, column) = split(v);
                            tr {
                                td.num { (line) }
                                td.mono { (column) }
                                td.mono { (v.rule) }
                                td { (v.message) }
                            }
                        }
                    }
                }
            }
        }
    }
}
