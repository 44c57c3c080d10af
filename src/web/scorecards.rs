//! The government's scorecard page (issue 19): how well the champion and challengers rank the loan
//! outcomes side by side (ROC curve, KS, bad rate by grade, PSI and CSI with flags), the live
//! distribution's drift, a challenger fitted from the outcomes, and promotion.

use super::chart;
use super::layout::T;
use super::session::Official;
use crate::api::AppState;
use crate::domain::scorecard::validation::Validation;
use crate::service::scorecards::{self, Monitoring, ScorecardView, ValidateQuery};
use crate::service::ServiceError;
use actix_web::{get, post, web, HttpResponse};
use maud::{html, Markup, PreEscaped};

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// The ROC curves of every card on one SVG (bads refused against goods refused), with the diagonal.
fn roc(t: &T, items: &[Validation]) -> Markup {
    const S: f64 = 260.0;
    const PAD: f64 = 30.0;
    let colours = ["#1d4ed8", "#b45309", "#047857", "#7c3aed"];
    let desc = items
        .iter()
        .map(|v| {
            format!(
                "{}: AUC {}",
                v.version,
                v.ranking.map_or("—".into(), |r| format!("{:.3}", r.auc))
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let mut paths = String::new();
    for (k, v) in items.iter().enumerate() {
        let pts: Vec<String> = v
            .roc
            .iter()
            .map(|p| {
                format!(
                    "{:.1},{:.1}",
                    PAD + p.good_share * S,
                    PAD + S - p.bad_share * S
                )
            })
            .collect();
        paths.push_str(&format!(
            "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"/>",
            colours[k % colours.len()],
            pts.join(" ")
        ));
    }
    html! {
        figure {
            svg.chart role="img" viewBox={ "0 0 " ((S + 2.0 * PAD) as i32) " " ((S + 2.0 * PAD) as i32) } aria-labelledby="roc-title roc-desc" width="320" {
                title id="roc-title" { (t.t("sc-roc")) }
                desc id="roc-desc" { (desc) }
                rect x=(PAD) y=(PAD) width=(S) height=(S) fill="none" stroke="#888" {}
                line x1=(PAD) y1=(PAD + S) x2=(PAD + S) y2=(PAD) stroke="#bbb" stroke-dasharray="4 4" {}
                (PreEscaped(paths))
                text x=(PAD) y=(PAD + S + 20.0) font-size="11" { (t.t("sc-roc-x")) }
                text x="4" y=(PAD - 10.0) font-size="11" { (t.t("sc-roc-y")) }
            }
            figcaption {
                @for (k, v) in items.iter().enumerate() {
                    span style={ "color:" (colours[k % colours.len()]) } { "■ " } (v.version) " "
                }
            }
        }
    }
}

/// The KS curve of one card: the cumulative shares of bads and goods at or below each score, and the
/// widest gap between them.
fn ks_chart(t: &T, v: &Validation, min: i32, max: i32) -> Markup {
    const W: f64 = 320.0;
    const H: f64 = 160.0;
    const PAD: f64 = 28.0;
    let span = f64::from((max - min).max(1));
    let x = |s: f64| PAD + (s - f64::from(min)).clamp(0.0, span) / span * (W - 2.0 * PAD);
    let y = |share: f64| PAD + (1.0 - share) * (H - 2.0 * PAD);
    let line = |f: &dyn Fn(&crate::domain::scorecard::metrics::CurvePoint) -> f64| -> String {
        v.roc
            .iter()
            .map(|p| format!("{:.1},{:.1}", x(p.cutoff), y(f(p))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let id = format!("ks-{}", v.version);
    let desc = match (v.ranking, v.ks_score) {
        (Some(r), Some(at)) => format!("KS {:.3} at score {at}", r.ks),
        _ => "—".to_string(),
    };
    html! {
        svg.chart role="img" viewBox={ "0 0 " (W as i32) " " (H as i32) } width="320"
            aria-labelledby={ (id) "-title " (id) "-desc" } {
            title id={ (id) "-title" } { (t.t("sc-ks-curve")) }
            desc id={ (id) "-desc" } { (desc) }
            rect x=(PAD) y=(PAD) width=(W - 2.0 * PAD) height=(H - 2.0 * PAD) fill="none" stroke="#888" {}
            polyline fill="none" stroke="#b91c1c" stroke-width="2" points=(line(&|p| p.bad_share)) {}
            polyline fill="none" stroke="#1d4ed8" stroke-width="2" points=(line(&|p| p.good_share)) {}
            @if let Some(at) = v.ks_score {
                line x1=(x(at)) y1=(PAD) x2=(x(at)) y2=(H - PAD) stroke="#555" stroke-dasharray="3 3" {}
            }
            text x=(PAD) y=(H - 8.0) font-size="10" { (min) } text x=(W - PAD - 20.0) y=(H - 8.0) font-size="10" { (max) }
            text x=(PAD) y="14" font-size="10" fill="#b91c1c" { (t.t("sc-ks-bad")) }
            text x=(PAD + 90.0) y="14" font-size="10" fill="#1d4ed8" { (t.t("sc-ks-good")) }
        }
    }
}

fn validation_card(t: &T, v: &Validation, role: &str) -> Markup {
    let bars: Vec<(String, f64, String)> = v
        .by_grade
        .iter()
        .filter(|g| g.loans > 0)
        .map(|g| (g.label.clone(), g.bad_rate * 100.0, pct(g.bad_rate)))
        .collect();
    html! {
        section.card id={ "card-" (v.version) } {
            h2 { (v.version) " · " (t.t(&format!("sc-role-{role}"))) }
            p { (t.with("sc-sample", &[("loans", v.loans.to_string()), ("bad", v.bad.to_string()),
                ("good", v.good.to_string()), ("open", v.indeterminate.to_string()),
                ("window", v.window_months.to_string())])) }
            @if let Some(r) = v.ranking {
                dl.figures {
                    dt { "AUC" } dd.num { (format!("{:.3}", r.auc)) }
                    dt { "Gini" } dd.num { (format!("{:.3}", r.gini)) }
                    dt { "KS" } dd.num { (format!("{:.3}", r.ks)) }
                    dt { "PSI" } dd.num { (v.stability.psi.map_or("—".into(), |p| format!("{p:.3}"))) }
                }
            }
            @if !v.flags.is_empty() {
                p.alert { (t.t("sc-flags")) ": " (v.flags.join(", ")) }
            }
            (ks_chart(t, v, 300, 900))
            (chart::bars(&format!("bad-{}", v.version), &t.t("sc-bad-by-grade"), &t.t("sc-bad-by-grade"), &bars, None))
            div.scroll tabindex="0" { table {
                caption { (t.t("sc-bad-by-grade")) }
                thead { tr {
                    th scope="col" { (t.t("sc-grade")) }
                    th.num scope="col" { (t.t("sc-loans")) }
                    th.num scope="col" { (t.t("sc-bads")) }
                    th.num scope="col" { (t.t("sc-bad-rate")) }
                    th.num scope="col" { (t.t("sc-ci")) }
                    th.num scope="col" { (t.t("sc-predicted")) }
                } }
                tbody { @for g in &v.by_grade {
                    tr {
                        td { (g.label) } td.num { (g.loans) } td.num { (g.bads) }
                        td.num { (pct(g.bad_rate)) }
                        td.num { (pct(g.ci_low)) "–" (pct(g.ci_high)) }
                        td.num { (g.predicted.filter(|p| p.is_finite()).map_or("—".into(), pct)) }
                    }
                } }
            } }
            details {
                summary { (t.t("sc-csi")) }
                table { tbody { @for c in &v.stability.csi {
                    tr { td { (c.indicator) } td.num { (format!("{:.3}", c.csi)) } td { (c.flag.as_str()) } }
                } } }
            }
        }
    }
}

fn monitoring_card(t: &T, m: &Monitoring) -> Markup {
    html! {
        section.card id="monitoring" {
            h2 { (t.t("sc-monitoring")) }
            p { (t.with("sc-baseline", &[("card", m.champion.clone()), ("baseline", m.baseline.clone()), ("rows", m.baseline_rows.to_string())])) }
            div.scroll tabindex="0" { table {
                thead { tr { th scope="col" { (t.t("sc-month")) } th.num scope="col" { (t.t("sc-profiles")) } th.num scope="col" { "PSI" } th scope="col" { (t.t("sc-flag")) } } }
                tbody { @for x in &m.months {
                    tr class=[(x.flag != crate::domain::scorecard::metrics::Stability::Stable).then_some("flagged")] {
                        td { (x.as_of) } td.num { (x.profiles) } td.num { (format!("{:.3}", x.psi)) }
                        td { (x.flag.as_str()) }
                    }
                } }
            } }
            details {
                summary { (t.t("sc-missing")) }
                table { tbody { @for x in &m.missing {
                    tr { td { (x.indicator) } td.num { (pct(x.missing)) } }
                } } }
            }
        }
    }
}

fn registry(t: &T, csrf: &str, cards: &[ScorecardView], next: &str) -> Markup {
    html! {
        section.card id="registry" {
            h2 { (t.t("sc-registry")) }
            div.scroll tabindex="0" { table {
                thead { tr {
                    th scope="col" { (t.t("sc-version")) } th scope="col" { (t.t("sc-role")) }
                    th scope="col" { (t.t("sc-origin")) } th.num scope="col" { (t.t("sc-shadow")) }
                    th.num scope="col" { (t.t("sc-test-auc")) }
                    th scope="col" { (t.t("sc-promoted")) } th scope="col" {}
                } }
                tbody { @for c in cards {
                    tr {
                        td { (c.version) } td { (t.t(&format!("sc-role-{}", c.role))) } td { (c.origin) }
                        td.num { (c.shadow_scores) }
                        td.num { (c.embedded_validation.as_ref().and_then(|v| v.get("auc")).and_then(|a| a.as_f64()).map_or("—".into(), |a| format!("{a:.3}"))) }
                        td { (c.promoted_by.clone().unwrap_or_default()) " " (c.promoted_at.clone().unwrap_or_default()) }
                        td { @if c.role == "challenger" {
                            form.inline method="post" action={ "/gov/scorecards/" (c.version) "/promote" } {
                                input type="hidden" name="csrf" value=(csrf);
                                button type="submit" { (t.t("sc-promote")) }
                            }
                        } }
                    }
                } }
            } }
            form method="post" action="/gov/scorecards/fit" {
                input type="hidden" name="csrf" value=(csrf);
                label for="version" { (t.t("sc-new-version")) }
                input id="version" name="version" required maxlength="64" value=(next);
                button type="submit" { (t.t("sc-fit")) }
                p.muted { (t.t("sc-fit-hint")) }
            }
        }
    }
}

/// The page: registry, monitoring, and each card's validation on the same outcomes.
#[get("/gov/scorecards")]
pub async fn page(state: web::Data<AppState>, s: Official) -> actix_web::Result<HttpResponse> {
    let t = &s.t;
    let ctx = state.ctx();
    let (cards, items, mon) = match (
        scorecards::list(ctx, &s.actor).await,
        scorecards::validate(ctx, &s.actor, ValidateQuery::default()).await,
        scorecards::monitoring(ctx, &s.actor, 6).await,
    ) {
        (Ok(a), Ok(b), Ok(c)) => (a, b, c),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
            return s.refusal(ServiceError::from(e))
        }
    };
    let role = |v: &str| {
        cards
            .iter()
            .find(|c| c.version == v)
            .map_or("champion".to_string(), |c| c.role.clone())
    };
    let body = html! {
        div.card {
            h1 { (t.t("sc-title")) }
            p { (t.t("sc-intro")) }
            (roc(t, &items))
            p { a href="/v1/scorecards/validation" { (t.t("sc-json")) } }
        }
        (registry(t, &s.who.csrf, &cards, &format!("fitted-{}", ctx.clock.now().format("%Y%m%d-%H%M"))))
        @for v in &items { (validation_card(t, v, &role(&v.version))) }
        (monitoring_card(t, &mon))
    };
    Ok(s.page(&t.t("sc-title"), "/gov/scorecards", body))
}

#[derive(Debug, serde::Deserialize)]
pub struct FitForm {
    pub csrf: String,
    pub version: String,
}

/// Fit a challenger from the outcomes and register it (scored in shadow from the next recompute,
/// which runs at once for the newest month).
#[post("/gov/scorecards/fit")]
pub async fn fit(
    state: web::Data<AppState>,
    s: Official,
    f: web::Form<FitForm>,
) -> actix_web::Result<HttpResponse> {
    if let Some(r) = s.forged(&f.csrf) {
        return Ok(r);
    }
    let ctx = state.ctx();
    let opts = scorecards::hub_fit_options(f.version.trim());
    let window = crate::domain::outcome::WINDOW_MONTHS;
    if let Err(e) =
        scorecards::fit_challenger(ctx, &s.actor, opts, window, "fitted on the page").await
    {
        return s.refusal(ServiceError::from(e));
    }
    // Shadow scores for the newest month at once, so the comparison has them.
    if let Err(e) = scorecards::recompute_newest(ctx, "shadow").await {
        return s.refusal(ServiceError::from(e));
    }
    Ok(super::layout::see_other("/gov/scorecards"))
}

#[derive(Debug, serde::Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
}

/// Promote a challenger (recorded with who and when).
#[post("/gov/scorecards/{version}/promote")]
pub async fn promote(
    state: web::Data<AppState>,
    s: Official,
    version: web::Path<String>,
    f: web::Form<CsrfForm>,
) -> actix_web::Result<HttpResponse> {
    if let Some(r) = s.forged(&f.csrf) {
        return Ok(r);
    }
    match scorecards::promote(state.ctx(), &s.actor, &version).await {
        Ok(_) => Ok(super::layout::see_other("/gov/scorecards")),
        Err(e) => s.refusal(ServiceError::from(e)),
    }
}
