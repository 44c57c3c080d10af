//! The government's statistics on the web (issue 18): the dashboard — what each article's targets miss
//! first, then every section's figures with their parts and rules, charts (leverage per agency, coverage
//! per source, inclusive growth per bank) and downloads — and the yearly report (Art 62-63) as a printable
//! page (A4, charts as SVG) with its workbook.

use super::chart;
use super::layout::T;
use super::session::Official;
use crate::api::AppState;
use crate::domain::statistics::{Figure, Flag, Section, Table, Unit};
use crate::service::reports::{self, export, Part, Period};
use actix_web::{get, web, HttpResponse};
use chrono::Datelike;
use maud::{html, Markup};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

#[derive(Debug, Default, serde::Deserialize)]
pub struct YearQuery {
    #[serde(default)]
    pub year: String,
}

fn year_of(q: &YearQuery, today: chrono::NaiveDate) -> i32 {
    q.year
        .parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or(today.year())
}

/// A figure's value as people read it.
fn shown(t: &T, unit: Unit, v: Option<Decimal>) -> String {
    let Some(v) = v else {
        return "—".into();
    };
    match unit {
        Unit::Yuan => {
            crate::domain::Money::round_yuan(v).map_or_else(|_| v.to_string(), |m| t.money(m))
        }
        Unit::Share => t.percent(v),
        Unit::Growth if v > Decimal::ZERO => format!("+{}", t.percent(v)),
        Unit::Growth => t.percent(v),
        Unit::Ratio => v.round_dp(2).normalize().to_string(),
        Unit::Count | Unit::Days => v.normalize().to_string(),
    }
}

fn flags_list(t: &T, flags: &[Flag]) -> Markup {
    html! {
        @if flags.is_empty() { p.notice { (t.t("stats-no-flags")) } }
        @else {
            ul.flags {
                @for f in flags {
                    li.flag {
                        strong { (export::label(&f.part)) }
                        @if let Some(s) = &f.subject { " · " (s) }
                        " — " (f.message)
                    }
                }
            }
        }
    }
}

fn figures_table(t: &T, figures: &[Figure]) -> Markup {
    html! {
        table {
            thead { tr {
                th scope="col" { (t.t("stats-figure")) } th scope="col" { (t.t("stats-value")) }
                th scope="col" { (t.t("stats-parts")) } th scope="col" { (t.t("stats-rule")) }
            } }
            tbody {
                @for f in figures {
                    tr.flagged[f.flag.is_some()] {
                        th scope="row" { (export::label(&f.key)) br; small { code { (f.key) } } }
                        td.num { (shown(t, f.unit, f.value)) @if let Some(m) = &f.flag { br; span.error { (m) } } }
                        td.num {
                            @if let (Some(n), Some(d)) = (f.numerator, f.denominator) {
                                (n.normalize()) " / " (d.normalize())
                            }
                        }
                        td { small { (f.rule) @if let Some(g) = &f.target { " · " (t.t("stats-target")) " " (g) } } }
                    }
                }
            }
        }
    }
}

/// Rows a page shows of one table (the workbook holds them all).
const ROWS_SHOWN: usize = 200;

fn table_view(tr: &T, t: &Table) -> Markup {
    html! {
        details {
            summary { (export::label(&t.key)) " (" (t.rows.len()) ")" }
            @if t.rows.len() > ROWS_SHOWN { p.notice { (tr.with("stats-rows-shown", &[("shown", ROWS_SHOWN.to_string())])) } }
            div.scroll {
                table {
                    thead { tr { @for h in t.dimensions.iter().chain(&t.measures) { th scope="col" { (export::label(h)) } } } }
                    tbody {
                        @for r in t.rows.iter().take(ROWS_SHOWN) {
                            tr.flagged[!r.flags.is_empty()] {
                                @for (d, k) in t.dimensions.iter().zip(&r.keys) {
                                    // Drill-down: a bank's loans.
                                    @if d == "bank_id" { td { a href={ "/gov/loans?lender=" (k) } { (k) } } }
                                    @else { td { (k) } }
                                }
                                @for v in &r.values { td.num { @if let Some(v) = v { (v.round_dp(4).normalize()) } } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A bar per row of `table`'s `measure`, with the rule's threshold marked.
fn bars_of(
    id: &str,
    title: &str,
    table: Option<&Table>,
    measure: &str,
    mark: Option<(f64, String)>,
    as_percent: bool,
) -> Markup {
    let Some(t) = table else { return html! {} };
    let Some(m) = t.measures.iter().position(|x| x == measure) else {
        return html! {};
    };
    let points: Vec<(String, f64, String)> = t
        .rows
        .iter()
        .filter_map(|r| {
            let v = r.values[m]?.to_f64()?;
            let label = if as_percent {
                format!("{:.1}%", v * 100.0)
            } else {
                format!("{v:.2}")
            };
            Some((r.keys[0].clone(), v, label))
        })
        .collect();
    if points.is_empty() {
        return html! {};
    }
    chart::bars(
        id,
        title,
        &format!(
            "{title}: {}",
            points
                .iter()
                .map(|p| format!("{} {}", p.0, p.2))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        &points,
        mark,
    )
}

fn section_view(t: &T, s: &Section, year: i32, downloads: bool) -> Markup {
    let part = s.part.as_str();
    let chart = match part {
        "guarantees" => bars_of(
            "chart-leverage",
            &t.t("stats-chart-leverage"),
            s.table("per_agency"),
            "leverage",
            Some((5.0, "5×".into())),
            false,
        ),
        "data-quality" => bars_of(
            "chart-coverage",
            &t.t("stats-chart-coverage"),
            s.table("per_source"),
            "coverage",
            Some((0.9, "90%".into())),
            true,
        ),
        "procurement" => bars_of(
            "chart-reserved",
            &t.t("stats-chart-reserved"),
            s.table("per_buyer"),
            "reserved_share",
            Some((0.3, "30%".into())),
            true,
        ),
        "lending" => bars_of(
            "chart-inclusive",
            &t.t("stats-chart-inclusive"),
            s.table("per_bank"),
            "inclusive_balance_end",
            None,
            false,
        ),
        _ => html! {},
    };
    html! {
        section.card id={ "part-" (part) } {
            h2 { (export::label(part)) }
            @if downloads && Part::parse(part).is_ok() {
                p.noprint {
                    a href={ "/gov/statistics/" (part) ".xlsx?year=" (year) } download { (t.t("stats-download-xlsx")) }
                    " · "
                    a href={ "/gov/statistics/" (part) ".csv?year=" (year) } download { (t.t("stats-download-csv")) }
                }
            }
            (chart)
            (figures_table(t, &s.figures))
            @for tb in &s.tables { (table_view(t, tb)) }
        }
    }
}

fn year_form(t: &T, action: &str, year: i32) -> Markup {
    html! {
        form.noprint method="get" action=(action) {
            label for="year" { (t.t("stats-year")) }
            input #year name="year" type="number" min="2000" max="2100" value=(year);
            button type="submit" { (t.t("stats-show")) }
        }
    }
}

/// The dashboard: the flags of every article first, then each section.
#[get("/gov/statistics")]
pub async fn dashboard(
    state: web::Data<AppState>,
    s: Official,
    q: web::Query<YearQuery>,
) -> actix_web::Result<HttpResponse> {
    let t = &s.t;
    let year = year_of(&q, state.ctx().clock.today());
    let Some(period) = Period::year(year) else {
        return Err(actix_web::error::ErrorBadRequest("year"));
    };
    let mut sections = Vec::new();
    for part in Part::ALL {
        match reports::section(state.ctx(), &s.actor, part, period).await {
            Ok(x) => sections.push(x),
            Err(e) => return s.refusal(e),
        }
    }
    let flags: Vec<Flag> = sections.iter().flat_map(|x| x.flags.clone()).collect();
    let quarters = match reports::quarters(state.ctx(), &s.actor, year).await {
        Ok(q) => q,
        Err(e) => return s.refusal(e),
    };
    let pct = |v: Option<Decimal>| {
        (v.unwrap_or_default() * Decimal::ONE_HUNDRED)
            .round()
            .to_i32()
            .unwrap_or(0)
    };
    let series = |f: &dyn Fn(&reports::QuarterShares) -> Option<Decimal>| -> Vec<(String, i32)> {
        quarters
            .iter()
            .map(|q| (q.quarter.clone(), pct(f(q))))
            .collect()
    };
    let describe = |title: String, pts: &[(String, i32)]| {
        format!(
            "{title}: {}",
            pts.iter()
                .map(|(q, v)| format!("{q} {v}%"))
                .collect::<Vec<_>>()
                .join("; ")
        )
    };
    let inclusive = series(&|q| q.inclusive_granted);
    let subsidised = series(&|q| q.small_micro_subsidies);
    // Issue 19: the champion scorecard's drift, with its flag, beside the statistics' own flags.
    let drift = crate::service::scorecards::monitoring(state.ctx(), &s.actor, 6)
        .await
        .ok()
        .and_then(|m| m.months.last().cloned().map(|x| (m.champion, x)));
    let body = html! {
        div.card {
            h1 { (t.t("stats-title")) " " (year) }
            p { (t.t("stats-intro")) }
            (year_form(t, "/gov/statistics", year))
            p.noprint { a href={ "/gov/reports/yearly?year=" (year) } { (t.t("stats-open-report")) } }
        }
        section.card #flags {
            h2 { (t.t("stats-flags")) " (" (flags.len()) ")" }
            (flags_list(t, &flags))
        }
        @if let Some((card, m)) = &drift {
            section.card #score-drift {
                h2 { (t.t("sc-monitoring")) }
                p class=[(m.flag != crate::domain::scorecard::metrics::Stability::Stable).then_some("alert")] {
                    (t.with("stats-score-drift", &[("card", card.clone()), ("month", m.as_of.clone()),
                        ("psi", format!("{:.3}", m.psi)), ("flag", m.flag.as_str().to_string())]))
                    " " a href="/gov/scorecards" { (t.t("nav-gov-scorecards")) }
                }
            }
        }
        @if !quarters.is_empty() {
            section.card #quarters {
                h2 { (t.t("stats-quarters")) }
                (chart::line("chart-inclusive-quarters", &t.t("stats-chart-inclusive-quarters"), &describe(t.t("stats-chart-inclusive-quarters"), &inclusive), &inclusive, 0, 100))
                (chart::line("chart-subsidies-quarters", &t.t("stats-chart-subsidies-quarters"), &describe(t.t("stats-chart-subsidies-quarters"), &subsidised), &subsidised, 0, 100))
            }
        }
        @for x in &sections { (section_view(t, x, year, true)) }
    };
    Ok(s.page(&t.t("stats-title"), "/gov/statistics", body))
}

/// One section as a file (`census.xlsx`, `lending.csv`…).
#[get("/gov/statistics/{file}")]
pub async fn download(
    state: web::Data<AppState>,
    s: Official,
    file: web::Path<String>,
    q: web::Query<YearQuery>,
) -> actix_web::Result<HttpResponse> {
    let (bare, kind) = match file.rsplit_once('.') {
        Some((b, k @ ("csv" | "xlsx"))) => (b.to_string(), k),
        _ => return Err(actix_web::error::ErrorNotFound("csv or xlsx")),
    };
    let part = match Part::parse(&bare) {
        Ok(p) => p,
        Err(e) => return s.refusal(e),
    };
    let year = year_of(&q, state.ctx().clock.today());
    let Some(period) = Period::year(year) else {
        return Err(actix_web::error::ErrorBadRequest("year"));
    };
    let sec = match reports::section(state.ctx(), &s.actor, part, period).await {
        Ok(x) => x,
        Err(e) => return s.refusal(e),
    };
    let internal =
        |e: &dyn std::fmt::Display| actix_web::error::ErrorInternalServerError(e.to_string());
    let (bytes, content_type) = match kind {
        "csv" => (
            export::csv(&sec).map_err(|e| internal(&e))?,
            "text/csv; charset=utf-8",
        ),
        _ => (
            export::xlsx(std::slice::from_ref(&sec)).map_err(|e| internal(&e))?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"{bare}-{year}.{kind}\""),
        ))
        .body(bytes))
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct LoansQuery {
    #[serde(default)]
    pub lender: String,
    #[serde(default)]
    pub cursor: String,
}

/// Drill-down from the lending figures: the loans the hub knows of, one lender's or all, 100 a page.
#[get("/gov/loans")]
pub async fn loans(
    state: web::Data<AppState>,
    s: Official,
    q: web::Query<LoansQuery>,
) -> actix_web::Result<HttpResponse> {
    let t = &s.t;
    let filter = crate::service::assets::LoanFilter {
        lender: (!q.lender.is_empty()).then(|| q.lender.clone()),
        ..Default::default()
    };
    let after = (!q.cursor.is_empty()).then(|| q.cursor.clone());
    let (rows, more) =
        match crate::service::assets::loans(state.ctx(), &s.actor, filter, after, 100).await {
            Ok(x) => x,
            Err(e) => return s.refusal(e),
        };
    let body = html! {
        div.card {
            h1 { (t.t("gov-loans-title")) }
            p { a href="/gov/statistics#part-lending" { (t.t("gov-loans-back")) } }
            div.scroll {
                table {
                    thead { tr {
                        th scope="col" { (t.t("gov-loans-firm")) } th scope="col" { (t.t("gov-loans-kind")) }
                        th scope="col" { (t.t("gov-loans-amount")) } th scope="col" { (t.t("gov-loans-outstanding")) }
                        th scope="col" { (t.t("gov-loans-dates")) } th scope="col" { (t.t("gov-loans-status")) }
                    } }
                    tbody {
                        @for l in &rows {
                            tr {
                                td { code { (l.firm_uscc) } @if let Some(c) = &l.size_class { " · " (c) } }
                                td { (l.kind.as_str()) @if l.first_loan { " · " (t.t("gov-loans-first")) } @if l.renews_loan_id.is_some() { " · " (t.t("gov-loans-renewal")) } }
                                td.num { (t.money(l.amount)) }
                                td.num { (t.money(l.outstanding)) }
                                td { (t.date(l.start_on)) " — " (t.date(l.maturity_on)) }
                                td { (l.status.as_str()) }
                            }
                        }
                    }
                }
            }
            @if more {
                @if let Some(last) = rows.last() {
                    p { a href={ "/gov/loans?lender=" (q.lender) "&cursor=" (last.id) } { (t.t("gov-loans-next")) } }
                }
            }
        }
    };
    Ok(s.page(&t.t("gov-loans-title"), "/gov/statistics", body))
}

/// The yearly report (Art 62-63) as a printable page, or `yearly.xlsx` as its workbook.
#[get("/gov/reports/{name}")]
pub async fn yearly(
    state: web::Data<AppState>,
    s: Official,
    name: web::Path<String>,
    q: web::Query<YearQuery>,
) -> actix_web::Result<HttpResponse> {
    let t = &s.t;
    let year = year_of(&q, state.ctx().clock.today());
    let xlsx = match name.as_str() {
        "yearly" => false,
        "yearly.xlsx" => true,
        _ => return Err(actix_web::error::ErrorNotFound("yearly or yearly.xlsx")),
    };
    let y = match reports::yearly(state.ctx(), &s.actor, year, |_, _, _| {}).await {
        Ok(y) => y,
        Err(e) => return s.refusal(e),
    };
    if xlsx {
        let bytes = export::yearly_xlsx(&y)
            .map_err(|e| actix_web::error::ErrorInternalServerError(e.to_string()))?;
        return Ok(HttpResponse::Ok()
            .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            .insert_header((
                "content-disposition",
                format!("attachment; filename=\"sme-report-{year}.xlsx\""),
            ))
            .body(bytes));
    }
    let body = html! {
        article.report {
            header.card {
                h1 { (year) " " (t.t("report-title")) }
                p { (t.t("report-basis")) " · " (t.t("report-period")) " " (t.date(y.from)) " — " (t.date(y.to.pred_opt().unwrap_or(y.to))) " · " (t.t("report-as-of")) " " (t.date(y.as_of)) }
                (year_form(t, "/gov/reports/yearly", year))
                p.noprint {
                    a href={ "/gov/reports/yearly.xlsx?year=" (year) } download { (t.t("stats-download-xlsx")) }
                    " · " (t.t("report-print"))
                }
            }
            @for p in &y.parts {
                section.part {
                    h2 { (export::label(&export::part_label(&p.key))) }
                    @if p.key == "problems" { (flags_list(t, &y.problems)) }
                    @else { @for sec in &p.sections { (section_view(t, sec, year, false)) } }
                }
            }
        }
    };
    Ok(s.page(&t.t("report-title"), "/gov/statistics", body))
}
