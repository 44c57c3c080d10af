//! What moves my score: the what-if changes as a form (utilities paid on time for N months, arrears
//! cleared, headcount up or down, records repaired, a tax grade), answered with the new score and grade
//! and the indicators that changed. Nothing is stored.

use super::layout::{FieldErrors, T};
use super::session::Person;
use crate::api::AppState;
use crate::service::profiles::{self, ChangeInput, ProfileError, WhatIfView};
use crate::service::ServiceError;
use actix_web::{get, web, HttpResponse};
use maud::{html, Markup};
use serde_json::Value;

/// The form as sent (a GET: it changes nothing, so it can be bookmarked and needs no token).
#[derive(Debug, Default, serde::Deserialize)]
pub struct WhatIfForm {
    #[serde(default)]
    pub on_time_months: String,
    #[serde(default)]
    pub arrears_cleared: Option<String>,
    #[serde(default)]
    pub headcount: String,
    #[serde(default)]
    pub records_repaired: Option<String>,
    #[serde(default)]
    pub tax_grade: String,
    #[serde(default)]
    pub run: Option<String>,
}

impl WhatIfForm {
    /// The changes asked for, and the faults of the fields that do not read as numbers.
    fn changes(&self, t: &T) -> (Vec<ChangeInput>, FieldErrors) {
        let mut out = Vec::new();
        let mut errors = FieldErrors::default();
        let months = self.on_time_months.trim();
        if !months.is_empty() {
            match months.parse::<i64>() {
                Ok(m) => out.push(ChangeInput::NoLateUtilityPayments { months: m }),
                Err(_) => errors
                    .0
                    .push(("on_time_months".into(), t.t("rule-whole-number"))),
            }
        }
        if self.arrears_cleared.is_some() {
            out.push(ChangeInput::ArrearsCleared);
        }
        let delta = self.headcount.trim();
        if !delta.is_empty() {
            match delta.trim_start_matches('+').parse::<i64>() {
                Ok(d) => out.push(ChangeInput::HeadcountChange { delta: d }),
                Err(_) => errors
                    .0
                    .push(("headcount".into(), t.t("rule-whole-number"))),
            }
        }
        if self.records_repaired.is_some() {
            out.push(ChangeInput::RecordsRepaired {
                record_ids: Vec::new(),
            });
        }
        let grade = self.tax_grade.trim();
        if !grade.is_empty() {
            out.push(ChangeInput::TaxGrade {
                grade: grade.to_string(),
            });
        }
        (out, errors)
    }
}

/// The service's field names (`changes[i].months`) mapped to the form's.
fn form_field(v: &crate::service::Violation, asked: &[ChangeInput]) -> String {
    let i = v
        .field
        .strip_prefix("changes[")
        .and_then(|r| r.split(']').next())
        .and_then(|n| n.parse::<usize>().ok());
    match i.and_then(|i| asked.get(i)) {
        Some(ChangeInput::NoLateUtilityPayments { .. }) => "on_time_months".into(),
        Some(ChangeInput::HeadcountChange { .. }) => "headcount".into(),
        Some(ChangeInput::TaxGrade { .. }) => "tax_grade".into(),
        _ => v.field.clone(),
    }
}

#[get("/firm/what-if")]
pub async fn what_if(
    state: web::Data<AppState>,
    p: Person,
    q: web::Query<WhatIfForm>,
) -> actix_web::Result<HttpResponse> {
    let t = &p.t;
    let form = q.into_inner();
    let mut answer = None;
    let mut errors = FieldErrors::default();
    if form.run.is_some() {
        let (changes, faults) = form.changes(t);
        errors = faults;
        if changes.is_empty() && errors.is_empty() {
            errors.0.push(("changes".into(), t.t("what-if-none")));
        }
        if errors.is_empty() {
            match profiles::what_if(state.ctx(), &p.actor(), &p.firm, None, changes.clone()).await {
                Ok(w) => answer = Some(w),
                Err(ProfileError::Invalid(v)) => {
                    for x in &v {
                        errors.0.push((form_field(x, &changes), t.violation(x)));
                    }
                }
                Err(e) => {
                    return super::layout::refusal(t, Some(&p.frame()), ServiceError::from(e))
                }
            }
        }
    }
    let body = html! {
        div.card {
            h1 { (t.t("what-if-title")) }
            p { (t.t("what-if-intro")) }
            (form_markup(t, &form, &errors))
        }
        @if let Some(w) = &answer { (result(t, w)) }
    };
    Ok(p.page(&t.t("what-if-title"), "/firm/what-if", body))
}

fn form_markup(t: &T, f: &WhatIfForm, errors: &FieldErrors) -> Markup {
    let err = |name: &str| errors.get(name);
    html! {
        form method="get" action="/firm/what-if" {
            input type="hidden" name="run" value="1";
            @if let Some(e) = err("changes") { p.error role="alert" { (e) } }
            div.field {
                label for="on_time_months" { (t.t("wi-on-time")) }
                input id="on_time_months" name="on_time_months" type="number" min="1" max="24" inputmode="numeric"
                    value=(f.on_time_months) aria-describedby="on_time_months-help"
                    aria-invalid=[err("on_time_months").map(|_| "true")];
                p.help id="on_time_months-help" { (t.t("wi-on-time-help")) }
                @if let Some(e) = err("on_time_months") { p.error role="alert" { (e) } }
            }
            div.field.check {
                input id="arrears_cleared" name="arrears_cleared" type="checkbox" value="1" checked[f.arrears_cleared.is_some()];
                label for="arrears_cleared" { (t.t("wi-arrears")) }
            }
            div.field {
                label for="headcount" { (t.t("wi-headcount")) }
                input id="headcount" name="headcount" type="text" inputmode="numeric" value=(f.headcount)
                    aria-describedby="headcount-help" aria-invalid=[err("headcount").map(|_| "true")];
                p.help id="headcount-help" { (t.t("wi-headcount-help")) }
                @if let Some(e) = err("headcount") { p.error role="alert" { (e) } }
            }
            div.field.check {
                input id="records_repaired" name="records_repaired" type="checkbox" value="1" checked[f.records_repaired.is_some()];
                label for="records_repaired" { (t.t("wi-repaired")) }
            }
            div.field {
                label for="tax_grade" { (t.t("wi-tax-grade")) }
                select id="tax_grade" name="tax_grade" aria-invalid=[err("tax_grade").map(|_| "true")] {
                    option value="" selected[f.tax_grade.is_empty()] { (t.t("wi-tax-grade-keep")) }
                    @for g in ["A", "B", "M", "C", "D"] {
                        option value=(g) selected[f.tax_grade == g] { (g) }
                    }
                }
                @if let Some(e) = err("tax_grade") { p.error role="alert" { (e) } }
            }
            button type="submit" { (t.t("wi-run")) }
        }
    }
}

/// A value as shown: a number or code as it is, none as a dash.
fn shown(v: &Value) -> String {
    match v {
        Value::Null => "—".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn result(t: &T, w: &WhatIfView) -> Markup {
    let change = w.score_change;
    let sign = if change > 0 { "+" } else { "" };
    html! {
        div.card aria-live="polite" {
            h2 { (t.t("wi-result")) }
            div.compare {
                div { div.muted { (t.t("wi-now")) } div.big { (shown(&w.current.score)) } div { (t.t("grade")) " " (shown(&w.current.grade)) } }
                div.arrow aria-hidden="true" { "→" }
                div { div.muted { (t.t("wi-then")) } div.big id="what-if-score" { (shown(&w.what_if.score)) } div { (t.t("grade")) " " strong id="what-if-grade" { (shown(&w.what_if.grade)) } } }
                div { div.muted { (t.t("wi-change")) } div.big class=(if change > 0 { "up" } else if change < 0 { "down" } else { "" }) { (sign) (change) } }
            }
            @if w.changed_indicators.is_empty() {
                p { (t.t("wi-no-indicator")) }
            } @else {
                h3 { (t.t("wi-indicators")) }
                div.scroll tabindex="0" {
                    table {
                        thead { tr { th scope="col" { (t.t("indicator")) } th scope="col" { (t.t("wi-before")) } th scope="col" { (t.t("wi-after")) } } }
                        tbody {
                            @for c in &w.changed_indicators {
                                tr { th scope="row" { (t.code("indicator", &c.indicator)) } td { (shown(&c.before)) } td { (shown(&c.after)) } }
                            }
                        }
                    }
                }
            }
            p.muted { (t.t("wi-nothing-stored")) }
        }
    }
}
