//! The firm's home once signed in: score, grade and the four reasons in plain words, the score over the
//! profile history (SVG, with the numbers as a table), coverage and the last month received per source,
//! the size class with the indicators that decided it, and the designations in force.

use super::auth::sign_in_page;
use super::chart;
use super::layout::{see_other, Lang, Nav, T};
use super::session::{signed_in, Person, Signed};
use crate::api::AppState;
use crate::service::overview::{self, Overview};
use crate::service::profiles::ProfileDocument;
use actix_web::{get, web, HttpRequest, HttpResponse};
use maud::{html, Markup};

/// The sources a profile reads, in the order shown (Art 26).
pub const SOURCES: [&str; 5] = [
    "tax",
    "social_insurance",
    "utility",
    "customs",
    "public_credit",
];

/// The sign-in page before sign-in; the firm's overview after.
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
    let signed = Signed::of(&state, &req, who).await?;
    // Staff of an institution start on their own pages.
    let nav = Nav::of(&signed.who.account.membership);
    if nav != Nav::Firm {
        return Ok(see_other(nav.home()));
    }
    let p = Person::of(signed)?;
    let o = match overview::of_firm(state.ctx(), &p.actor(), &p.firm).await {
        Ok(o) => o,
        Err(e) => return super::layout::refusal(&p.t, Some(&p.frame()), e),
    };
    let hello =
        p.t.with("hello", &[("name", p.who.account.display_name.clone())]);
    let body = render(&p.t, &hello, &o, super::auth::role_key(p.role));
    Ok(p.page(&hello, "/", body))
}

fn render(t: &T, hello: &str, o: &Overview, role_key: &str) -> Markup {
    let f = &o.firm;
    html! {
        div.card {
            h1 { (hello) }
            p.lead { (f.name) " · " (t.t("uscc")) " " span.mono { (f.uscc) } " · " (t.t(role_key)) }
        }
        @match &o.profile {
            None => div.card { h2 { (t.t("score-title")) } p.notice { (t.t("no-profile")) } },
            Some(doc) => (score_card(t, doc)),
        }
        @if !o.history.is_empty() { (history(t, o)) }
        @if let Some(doc) = &o.profile { (sources(t, doc)) }
        (size_class(t, o))
    }
}

fn score_card(t: &T, doc: &ProfileDocument) -> Markup {
    let zh = t.0 == Lang::Zh;
    html! {
        div.card {
            h2 { (t.t("score-title")) }
            div.score {
                div.big { span.value id="score" { (doc.score.map(|s| s.to_string()).unwrap_or_else(|| "—".into())) } span.unit { " / 900" } }
                div { (t.t("grade")) " " strong.grade id="grade" { (doc.grade.map(|g| g.to_string()).unwrap_or_else(|| "—".into())) } }
                div.muted { (t.with("as-of", &[("month", doc.as_of.clone())])) " · " (t.t("scorecard")) " " (doc.scorecard_version) }
            }
            h3 { (t.t("reasons-title")) }
            @match &doc.reasons {
                Some(rs) if !rs.is_empty() => ol.reasons {
                    @for r in rs {
                        li { (if zh { &r.zh } else { &r.en }) " " span.muted { "(" (t.with("points-lost", &[("points", r.points_lost.to_string())])) ")" } }
                    }
                },
                _ => p { (t.t("no-reasons")) },
            }
            p { a href="/firm/what-if" { (t.t("what-moves-link")) } " · " a href="/firm/offers" { (t.t("offers-link")) } }
        }
    }
}

fn history(t: &T, o: &Overview) -> Markup {
    let points: Vec<(String, i32)> = o
        .history
        .iter()
        .map(|p| (p.as_of.clone(), p.score))
        .collect();
    let lo = points.iter().map(|p| p.1).min().unwrap_or(300);
    let hi = points.iter().map(|p| p.1).max().unwrap_or(900);
    let (lo, hi) = ((lo - 40).max(300), (hi + 40).min(900));
    let first = points.first().map(|p| p.1).unwrap_or_default();
    let last = points.last().map(|p| p.1).unwrap_or_default();
    let desc = t.with(
        "history-desc",
        &[
            ("months", points.len().to_string()),
            ("first", first.to_string()),
            ("last", last.to_string()),
        ],
    );
    html! {
        div.card {
            h2 id="history-heading" { (t.t("history-title")) }
            (chart::line("score-history", &t.t("history-title"), &desc, &points, lo, hi))
            details {
                summary { (t.t("history-table")) }
                div.scroll tabindex="0" {
                    table {
                        thead { tr { th scope="col" { (t.t("month")) } th scope="col" { (t.t("score")) } th scope="col" { (t.t("grade")) } } }
                        tbody { @for p in o.history.iter().rev() { tr { td { (p.as_of) } td { (p.score) } td { (p.grade) } } } }
                    }
                }
            }
        }
    }
}

/// The last period a section's indicators read.
fn last_month(doc: &ProfileDocument, section: &str) -> Option<String> {
    doc.sections
        .get(section)?
        .indicators
        .iter()
        .flat_map(|i| i.signals.iter())
        .filter_map(|s| s.to.clone())
        .max()
}

fn sources(t: &T, doc: &ProfileDocument) -> Markup {
    html! {
        div.card {
            h2 { (t.t("sources-title")) }
            div.scroll tabindex="0" {
                table {
                    thead { tr {
                        th scope="col" { (t.t("source")) }
                        th scope="col" { (t.t("coverage")) }
                        th scope="col" { (t.t("last-received")) }
                    } }
                    tbody {
                        @for s in SOURCES {
                            @let cov = doc.sections.get(s).map(|x| x.coverage.as_str()).unwrap_or("missing");
                            tr {
                                th scope="row" { (t.code("source", s)) }
                                td { span class={ "pill " (cov) } { (t.code("coverage", cov)) } }
                                td { (last_month(doc, s).unwrap_or_else(|| "—".into())) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn size_class(t: &T, o: &Overview) -> Markup {
    let (f, e) = (&o.firm, &o.eligibility);
    // A figure in words: persons, or an amount in yuan.
    let value = |indicator: &str, v: &str| match indicator {
        "employees" => v.to_string(),
        _ => crate::domain::Money::parse(v).map_or_else(|_| v.to_string(), |m| t.money(m)),
    };
    html! {
        div.card {
            h2 { (t.t("size-title")) }
            p { strong id="size-class" { (t.code("size", &e.size_class)) } " · " (t.with("size-standard", &[("standard", f.size_standard.clone())])) }
            p.muted { (t.t("size-eligible-note")) }
            ul #size-figures {
                @for fig in &e.figures {
                    li {
                        (t.code("indicator", &fig.indicator)) " " (value(&fig.indicator, &fig.value)) " · "
                        (t.code("source", &fig.source))
                        @if let Some(p) = &fig.period {
                            " " (t.with(if fig.source == "tax" { "figure-period-12m" } else { "figure-period" }, &[("period", p.clone())]))
                        }
                    }
                }
            }
            @if let Some(c) = &e.classification {
                ul {
                    @for d in &c.deciding {
                        li {
                            (t.code("indicator", d.indicator)) " " (d.value) " · "
                            (t.code("bound", d.rule)) " " (d.bound) " · "
                            (if d.met { t.t("met") } else { t.t("not-met") })
                        }
                    }
                }
            }
            @if e.registry_size_class != e.size_class {
                p #size-registry { (t.with("size-registry", &[("class", t.code("size", &e.registry_size_class))])) }
            }
            @if let Some(d) = &e.pending_declaration {
                @let declared: Vec<String> = [
                    d.employees.map(|n| format!("{} {n}", t.code("indicator", "employees"))),
                    d.revenue.as_ref().map(|r| format!("{} {}", t.code("indicator", "revenue"), value("revenue", r))),
                    d.total_assets.as_ref().map(|a| format!("{} {}", t.code("indicator", "total_assets"), value("total_assets", a))),
                ].into_iter().flatten().collect();
                p #size-pending { (t.with("size-pending", &[("figures", declared.join("，"))])) }
            }
            h3 { (t.t("designations-title")) }
            @if o.designations.is_empty() {
                p { (t.t("designations-none")) }
            } @else {
                ul { @for d in &o.designations { li { (t.code("designation", d)) } } }
            }
        }
    }
}
