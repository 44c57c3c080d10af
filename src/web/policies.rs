//! The government's subsidy policies on the pages (Art 28, issue 17): every published policy with its
//! window, eligibility in words, formula, caps and budget; and the form to publish one, read into the same
//! JSON the API takes and checked by the same code (`with_rules`, then `policies::publish`), every fault
//! beside its field.

use super::layout::{field, fraction_of_percent, plain_amount, FieldErrors, T};
use super::session::Official;
use super::words;
use crate::api::AppState;
use crate::domain::matching::Designation;
use crate::domain::subsidy::{Formula, Per, PolicySpec};
use crate::domain::SizeClass;
use crate::service::policies::{self, PolicyError, PolicyView};
use crate::service::ServiceError;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use maud::{html, Markup};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// The publish form as sent: every field text, the size classes ticked.
#[derive(Debug, Default, Clone)]
pub struct PolicyForm {
    pub csrf: String,
    pub name: String,
    pub window_from: String,
    pub window_to: String,
    /// `share_of_fee`, `rate_points` or `agency_reward`.
    pub formula: String,
    /// Percent: the share of the fee, or the rate a year.
    pub formula_percent: String,
    pub max_fee_rate_percent: String,
    pub max_guaranteed: String,
    pub cap_per_contract: String,
    pub cap_per_firm_year: String,
    pub budget: String,
    pub size_classes: Vec<String>,
    pub max_loan: String,
    pub max_days: String,
    pub once_per_firm: bool,
    pub exclusive_group: String,
    pub policy_fund_only: bool,
    /// An interest subsidy's rate rows: label, industry prefixes, designation, rate in percent.
    pub rate_rows: [[String; 4]; ROWS],
    /// An agency reward's tiers: label, size classes, largest loan, rate in percent.
    pub tiers: [[String; 4]; ROWS],
}

/// How many rate rows and tiers the form offers (the real policies use two each).
pub const ROWS: usize = 3;

/// A table row's field name: `rate_row_0_label`, `tier_2_percent`.
fn cell(table: &str, k: usize, col: &str) -> String {
    format!("{table}_{k}_{col}")
}

const RATE_COLS: [&str; 4] = ["label", "industry", "designation", "percent"];
const TIER_COLS: [&str; 4] = ["label", "classes", "max_loan", "percent"];

impl PolicyForm {
    fn parse(body: &[u8]) -> PolicyForm {
        let mut f = PolicyForm::default();
        for (k, v) in form_urlencoded::parse(body) {
            let v = v.trim().to_string();
            match k.as_ref() {
                "csrf" => f.csrf = v,
                "name" => f.name = v,
                "window_from" => f.window_from = v,
                "window_to" => f.window_to = v,
                "formula" => f.formula = v,
                "formula_percent" => f.formula_percent = v,
                "max_fee_rate_percent" => f.max_fee_rate_percent = v,
                "max_guaranteed" => f.max_guaranteed = v,
                "cap_per_contract" => f.cap_per_contract = v,
                "cap_per_firm_year" => f.cap_per_firm_year = v,
                "budget" => f.budget = v,
                "size_classes" => f.size_classes.push(v),
                "max_loan" => f.max_loan = v,
                "max_days" => f.max_days = v,
                "once_per_firm" => f.once_per_firm = true,
                "exclusive_group" => f.exclusive_group = v,
                "policy_fund_only" => f.policy_fund_only = true,
                other => {
                    for k in 0..ROWS {
                        for (c, col) in RATE_COLS.iter().enumerate() {
                            if other == cell("rate_row", k, col) {
                                f.rate_rows[k][c] = v.clone();
                            }
                        }
                        for (c, col) in TIER_COLS.iter().enumerate() {
                            if other == cell("tier", k, col) {
                                f.tiers[k][c] = v.clone();
                            }
                        }
                    }
                }
            }
        }
        f
    }

    /// The policy as the API's JSON body: percentages as fractions, amounts without separators, empty
    /// fields left out. A percentage that is not a number is said against its field.
    fn body(&self, t: &T) -> Result<Value, FieldErrors> {
        let mut faults = FieldErrors::default();
        let fraction = |name: &str, v: &str, faults: &mut FieldErrors| -> Option<String> {
            fraction_of_percent(v)
                .map_err(|_| faults.0.push((name.into(), t.t("policy-percent-format"))))
                .ok()
                .flatten()
        };
        let mut o = Map::new();
        o.insert("name".into(), json!(self.name));
        for (k, v) in [
            ("window_from", &self.window_from),
            ("window_to", &self.window_to),
        ] {
            o.insert(k.into(), json!(v));
        }
        let value = fraction("formula_percent", &self.formula_percent, &mut faults);
        let key = if self.formula == "share_of_fee" {
            "share"
        } else {
            "rate"
        };
        let mut formula = Map::new();
        formula.insert("kind".into(), json!(self.formula));
        if let Some(v) = value {
            formula.insert(key.into(), json!(v));
        }
        o.insert("formula".into(), Value::Object(formula));
        if let Some(r) = fraction(
            "max_fee_rate_percent",
            &self.max_fee_rate_percent,
            &mut faults,
        ) {
            o.insert("max_fee_rate".into(), json!(r));
        }
        if !self.max_days.is_empty() {
            match self.max_days.parse::<i64>() {
                Ok(d) => {
                    o.insert("max_days".into(), json!(d));
                }
                Err(_) => faults
                    .0
                    .push(("max_days".into(), t.t("policy-days-format"))),
            }
        }
        if self.once_per_firm {
            o.insert("once_per_firm".into(), json!(true));
        }
        if !self.exclusive_group.is_empty() {
            o.insert(
                "exclusive".into(),
                json!({"group": self.exclusive_group, "per": "loan"}),
            );
        }
        if self.policy_fund_only {
            o.insert("channel".into(), json!({"scheme_kinds": ["policy_fund"]}));
        }
        let words = |v: &str| -> Vec<String> {
            v.split(|c: char| c == ',' || c == '，' || c.is_whitespace())
                .filter(|w| !w.is_empty())
                .map(str::to_string)
                .collect()
        };
        let mut rows = Vec::new();
        for (k, r) in self.rate_rows.iter().enumerate() {
            if r.iter().all(String::is_empty) {
                continue;
            }
            let mut rules = Vec::new();
            if !r[1].is_empty() {
                rules.push(json!({"type": "industry_prefix", "any_of": words(&r[1])}));
            }
            if !r[2].is_empty() {
                rules.push(json!({"type": "designation", "any_of": [r[2]]}));
            }
            let rate = fraction(&cell("rate_row", k, "percent"), &r[3], &mut faults);
            rows.push(json!({"label": r[0], "rules": rules, "rate": rate.unwrap_or_default()}));
        }
        if !rows.is_empty() {
            o.insert("rate_table".into(), Value::Array(rows));
        }
        let mut tiers = Vec::new();
        for (k, r) in self.tiers.iter().enumerate() {
            if r.iter().all(String::is_empty) {
                continue;
            }
            let mut tier = json!({"label": r[0], "size_classes": words(&r[1])});
            let max = plain_amount(&r[2]);
            if !max.is_empty() {
                tier["max_loan"] = json!(max);
            }
            let rate = fraction(&cell("tier", k, "percent"), &r[3], &mut faults);
            tier["rate"] = json!(rate.unwrap_or_default());
            tiers.push(tier);
        }
        if !tiers.is_empty() {
            o.insert("reward_tiers".into(), Value::Array(tiers));
        }
        for (k, v) in [
            ("max_loan", &self.max_loan),
            ("max_guaranteed", &self.max_guaranteed),
            ("cap_per_contract", &self.cap_per_contract),
            ("cap_per_firm_year", &self.cap_per_firm_year),
            ("budget", &self.budget),
        ] {
            let v = plain_amount(v);
            if !v.is_empty() {
                o.insert(k.into(), json!(v));
            }
        }
        if !self.size_classes.is_empty() {
            o.insert(
                "rules".into(),
                json!([{"type": "size_class", "any_of": self.size_classes}]),
            );
        }
        if faults.is_empty() {
            Ok(Value::Object(o))
        } else {
            Err(faults)
        }
    }
}

/// `rate_table[1].rate` → `rate_row_1_percent`; a fault on a whole row (or its rules) goes beside its
/// label; `size_classes` and `max_loan` of a tier beside their cells.
fn table_field(api: &str, prefix: &str, table: &str, rate: &str) -> String {
    let rest = &api[prefix.len()..];
    let (k, tail) = rest.split_once(']').unwrap_or((rest, ""));
    let k: usize = k.parse().unwrap_or(0);
    let col = match tail.trim_start_matches('.') {
        t if t == rate => "percent",
        t if t.starts_with("size_classes") => "classes",
        "max_loan" => "max_loan",
        _ => "label",
    };
    cell(table, k, col)
}

/// Where the page shows a fault the API names by its JSON path.
fn form_field(api: &str) -> String {
    match api {
        f if f.starts_with("formula") => "formula_percent".into(),
        f if f.starts_with("rules") => "size_classes".into(),
        "max_fee_rate" => "max_fee_rate_percent".into(),
        f if f.starts_with("exclusive") => "exclusive_group".into(),
        f if f.starts_with("rate_table[") => table_field(f, "rate_table[", "rate_row", "rate"),
        f if f.starts_with("reward_tiers[") => table_field(f, "reward_tiers[", "tier", "rate"),
        f if f.starts_with("channel") => "policy_fund_only".into(),
        other => other.to_string(),
    }
}

#[get("/gov/policies")]
pub async fn list(state: web::Data<AppState>, s: Official) -> actix_web::Result<HttpResponse> {
    let f = PolicyForm {
        formula: "share_of_fee".into(),
        size_classes: vec!["micro".into(), "small".into()],
        ..Default::default()
    };
    render(
        &state,
        &s,
        &f,
        &FieldErrors::default(),
        None,
        StatusCode::OK,
    )
    .await
}

/// A policy's terms in words.
fn terms(t: &T, p: &PolicyView, budget: Option<&policies::BudgetView>) -> Markup {
    let spec: &PolicySpec = &p.spec;
    let formula = match &spec.formula {
        Formula::ShareOfFee { share } => {
            t.with("policy-share-of-fee", &[("share", t.percent(*share))])
        }
        Formula::RatePoints { rate } => t.with("policy-rate-points", &[("rate", t.percent(*rate))]),
        Formula::InterestSubsidy { rate } => {
            t.with("policy-interest-subsidy", &[("rate", t.percent(*rate))])
        }
        Formula::AgencyReward { rate } => {
            t.with("policy-agency-reward", &[("rate", t.percent(*rate))])
        }
    };
    let money =
        |m: Option<crate::domain::Money>| m.map_or_else(|| t.t("policy-none"), |m| t.money(m));
    html! {
        dl {
            dt { (t.t("policy-window")) } dd { (t.date(spec.window_from)) " – " (t.date(spec.window_to)) }
            dt { (t.t("policy-formula")) } dd { (formula) }
            dt { (t.t("policy-eligibility")) } dd {
                @if spec.rules.is_empty() { (t.t("policy-everyone")) }
                @for r in &spec.rules { div { (words::requirement(t, r)) } }
            }
            @if let Some(r) = spec.max_fee_rate { dt { (t.t("policy-max-fee-rate")) } dd { (t.percent(r)) } }
            dt { (t.t("policy-max-guaranteed")) } dd { (money(spec.max_guaranteed)) }
            dt { (t.t("policy-cap-contract")) } dd { (money(spec.cap_per_contract)) }
            dt { (t.t("policy-cap-firm-year")) } dd { (money(spec.cap_per_firm_year)) }
            dt { (t.t("policy-budget")) } dd { (money(spec.budget)) }
            @if !spec.rate_table.is_empty() {
                dt { (t.t("policy-rate-table")) } dd {
                    table.rates {
                        thead { tr { th scope="col" { (t.t("policy-row")) } th scope="col" { (t.t("policy-eligibility")) } th.num scope="col" { (t.t("policy-rate")) } } }
                        tbody {
                            @for r in &spec.rate_table {
                                tr { td { (r.label) } td { @for x in &r.rules { div { (words::requirement(t, x)) } } } td.num { (t.percent(r.rate)) } }
                            }
                            tr { td { (t.t("policy-rest")) } td { (t.t("policy-everyone")) } td.num { (t.percent(match spec.formula { Formula::InterestSubsidy { rate } => rate, _ => rust_decimal::Decimal::ZERO })) } }
                        }
                    }
                }
            }
            @if !spec.reward_tiers.is_empty() {
                dt { (t.t("policy-tiers")) } dd {
                    table.rates {
                        thead { tr { th scope="col" { (t.t("policy-row")) } th scope="col" { (t.t("policy-size-classes")) } th.num scope="col" { (t.t("policy-max-loan")) } th.num scope="col" { (t.t("policy-rate")) } } }
                        tbody {
                            @for r in &spec.reward_tiers {
                                tr {
                                    td { (r.label) }
                                    td { @if r.size_classes.is_empty() { (t.t("policy-everyone")) } @else { (t.join(r.size_classes.iter().map(|c| t.code("size", c.as_str())))) } }
                                    td.num { (money(r.max_loan)) }
                                    td.num { (t.percent(r.rate)) }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(m) = spec.max_loan { dt { (t.t("policy-max-loan")) } dd { (t.money(m)) } }
            @if let Some(d) = spec.max_days { dt { (t.t("policy-max-days")) } dd { (t.with("policy-days", &[("days", d.to_string())])) } }
            @if spec.once_per_firm { dt { (t.t("policy-once")) } dd { (t.t("policy-once-yes")) } }
            @if let Some(x) = &spec.exclusive {
                dt { (t.t("policy-exclusive")) } dd { (t.with(match x.per { Per::Loan => "policy-exclusive-loan", Per::Firm => "policy-exclusive-firm" }, &[("group", x.group.clone())])) }
            }
            @if let Some(ch) = &spec.channel {
                dt { (t.t("policy-channel")) } dd { (t.join(ch.scheme_kinds.iter().map(|k| t.code("scheme-kind", k.as_str())).chain(ch.schemes.iter().cloned()))) }
            }
            @if let Some(src) = &spec.source { dt { (t.t("policy-source")) } dd.muted { (src) } }
            @if let Some(b) = budget {
                dt { (t.t("policy-money")) } dd {
                    (t.with("policy-money-line", &[("committed", t.money(b.committed)), ("paid", t.money(b.paid)), ("remaining", money(b.remaining)), ("forecast", t.money(b.forecast))]))
                }
            }
        }
    }
}

async fn render(
    state: &AppState,
    s: &Official,
    f: &PolicyForm,
    e: &FieldErrors,
    published: Option<&str>,
    status: StatusCode,
) -> actix_web::Result<HttpResponse> {
    let t = &s.t;
    let all = policies::list(state.ctx())
        .await
        .map_err(|e| super::layout::unavailable(ServiceError::from(e)))?;
    let today = state.ctx().clock.today();
    // Every budget in one read; a page without them still lists the policies.
    let mut read: HashMap<String, policies::BudgetView> = policies::budgets(state.ctx(), today)
        .await
        .map(|bs| bs.into_iter().map(|b| (b.policy_id.clone(), b)).collect())
        .unwrap_or_default();
    let budgets: Vec<Option<policies::BudgetView>> =
        all.iter().map(|p| read.remove(&p.id)).collect();
    let shown = [
        "name",
        "window_from",
        "window_to",
        "formula_percent",
        "max_fee_rate_percent",
        "max_guaranteed",
        "cap_per_contract",
        "cap_per_firm_year",
        "budget",
        "size_classes",
        "max_loan",
        "max_days",
        "exclusive_group",
        "policy_fund_only",
    ];
    let cells: Vec<String> = (0..ROWS)
        .flat_map(|k| {
            RATE_COLS
                .iter()
                .map(move |c| cell("rate_row", k, c))
                .chain(TIER_COLS.iter().map(move |c| cell("tier", k, c)))
        })
        .collect();
    let mut shown: Vec<&str> = shown.to_vec();
    shown.extend(cells.iter().map(String::as_str));
    let others = e.others(&shown);
    let body = html! {
        div.card {
            h1 { (t.t("policies-title")) }
            p { (t.t("policies-intro")) }
            @if let Some(id) = published { p.notice role="status" #published { (t.with("policy-published", &[("id", id.to_string())])) } }
        }
        @for (p, b) in all.iter().zip(&budgets).rev() {
            div.card.policy id={ "policy-" (p.id) } {
                h2 { (p.spec.name) }
                (terms(t, p, b.as_ref()))
            }
        }
        div.card {
            h2 { (t.t("policy-publish")) }
            @if !others.is_empty() { p.error role="alert" { (others.join(" ")) } }
            form method="post" action="/gov/policies" {
                input type="hidden" name="csrf" value=(s.who.csrf);
                (field(&t.t("policy-name"), "name", "text", &f.name, e))
                (field(&t.t("policy-window-from"), "window_from", "date", &f.window_from, e))
                (field(&t.t("policy-window-to"), "window_to", "date", &f.window_to, e))
                div.field {
                    label for="formula" { (t.t("policy-formula")) }
                    select id="formula" name="formula" {
                        @for (v, k) in [("share_of_fee", "policy-kind-share"), ("rate_points", "policy-kind-points"), ("interest_subsidy", "policy-kind-interest"), ("agency_reward", "policy-kind-reward")] {
                            option value=(v) selected[f.formula == v] { (t.t(k)) }
                        }
                    }
                }
                (field(&t.t("policy-formula-percent"), "formula_percent", "text", &f.formula_percent, e))
                fieldset {
                    legend { (t.t("policy-size-classes")) }
                    @for c in [SizeClass::Micro, SizeClass::Small, SizeClass::Medium] {
                        div.field.check {
                            input id={ "size-" (c.as_str()) } name="size_classes" type="checkbox" value=(c.as_str())
                                checked[f.size_classes.iter().any(|x| x == c.as_str())];
                            label for={ "size-" (c.as_str()) } { (t.code("size", c.as_str())) }
                        }
                    }
                    @if let Some(m) = e.get("size_classes") { p.error role="alert" { (m) } }
                }
                (field(&t.t("policy-max-fee-rate-percent"), "max_fee_rate_percent", "text", &f.max_fee_rate_percent, e))
                (field(&t.t("policy-max-guaranteed"), "max_guaranteed", "text", &f.max_guaranteed, e))
                (field(&t.t("policy-cap-contract"), "cap_per_contract", "text", &f.cap_per_contract, e))
                (field(&t.t("policy-cap-firm-year"), "cap_per_firm_year", "text", &f.cap_per_firm_year, e))
                (field(&t.t("policy-budget"), "budget", "text", &f.budget, e))
                (field(&t.t("policy-max-loan-field"), "max_loan", "text", &f.max_loan, e))
                (field(&t.t("policy-max-days-field"), "max_days", "number", &f.max_days, e))
                (field(&t.t("policy-exclusive-field"), "exclusive_group", "text", &f.exclusive_group, e))
                div.field.check {
                    input id="once_per_firm" name="once_per_firm" type="checkbox" value="1" checked[f.once_per_firm];
                    label for="once_per_firm" { (t.t("policy-once-field")) }
                }
                div.field.check {
                    input id="policy_fund_only" name="policy_fund_only" type="checkbox" value="1" checked[f.policy_fund_only]
                        aria-describedby=[e.get("policy_fund_only").map(|_| "policy_fund_only-error")];
                    label for="policy_fund_only" { (t.t("policy-channel-field")) }
                    @if let Some(m) = e.get("policy_fund_only") { p.error id="policy_fund_only-error" role="alert" { (m) } }
                }
                fieldset.rows {
                    legend { (t.t("policy-rate-table-field")) }
                    p.help { (t.t("policy-rate-table-help")) }
                    @for k in 0..ROWS {
                        div.row {
                            (field(&t.t("policy-row-label"), &cell("rate_row", k, "label"), "text", &f.rate_rows[k][0], e))
                            (field(&t.t("policy-row-industry"), &cell("rate_row", k, "industry"), "text", &f.rate_rows[k][1], e))
                            div.field {
                                label for=(cell("rate_row", k, "designation")) { (t.t("policy-row-designation")) }
                                select id=(cell("rate_row", k, "designation")) name=(cell("rate_row", k, "designation")) {
                                    option value="" selected[f.rate_rows[k][2].is_empty()] { (t.t("policy-row-any")) }
                                    @for d in Designation::ALL {
                                        option value=(d.as_str()) selected[f.rate_rows[k][2] == d.as_str()] { (t.code("designation", d.as_str())) }
                                    }
                                }
                            }
                            (field(&t.t("policy-row-percent"), &cell("rate_row", k, "percent"), "text", &f.rate_rows[k][3], e))
                        }
                    }
                }
                fieldset.rows {
                    legend { (t.t("policy-tiers-field")) }
                    p.help { (t.t("policy-tiers-help")) }
                    @for k in 0..ROWS {
                        div.row {
                            (field(&t.t("policy-row-label"), &cell("tier", k, "label"), "text", &f.tiers[k][0], e))
                            (field(&t.t("policy-tier-classes"), &cell("tier", k, "classes"), "text", &f.tiers[k][1], e))
                            (field(&t.t("policy-tier-max-loan"), &cell("tier", k, "max_loan"), "text", &f.tiers[k][2], e))
                            (field(&t.t("policy-row-percent"), &cell("tier", k, "percent"), "text", &f.tiers[k][3], e))
                        }
                    }
                }
                button type="submit" { (t.t("policy-publish-button")) }
            }
        }
    };
    Ok(super::layout::with_status(
        s.page(&t.t("policies-title"), "/gov/policies", body),
        status,
    ))
}

/// Publish a policy from the form, with the API's checks: every fault at once, beside its field.
#[post("/gov/policies")]
pub async fn publish(
    state: web::Data<AppState>,
    s: Official,
    body: web::Bytes,
) -> actix_web::Result<HttpResponse> {
    let f = PolicyForm::parse(&body);
    if let Some(r) = s.forged(&f.csrf) {
        return Ok(r);
    }
    let t = &s.t;
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let json = match f.body(t) {
        Ok(j) => j,
        Err(e) => return render(&state, &s, &f, &e, None, unprocessable).await,
    };
    let faults = |v: Vec<crate::service::Violation>| {
        let mut e = FieldErrors::of(t, &v);
        for (field, _) in e.0.iter_mut() {
            *field = form_field(field);
        }
        e
    };
    let (mut spec, rules, read) = match crate::api::extract::with_rules::<PolicySpec>(&json) {
        Ok(x) => x,
        Err(crate::api::error::ApiError::Validation { errors, .. }) => {
            let v = errors.into_iter().map(|e| e.into_violation()).collect();
            return render(&state, &s, &f, &faults(v), None, unprocessable).await;
        }
        Err(e) => return Err(actix_web::error::ErrorInternalServerError(e.to_string())),
    };
    spec.rules = rules;
    let read = read.into_iter().map(|e| e.into_violation()).collect();
    match policies::publish(state.ctx(), &s.actor, spec, read).await {
        Ok(p) => {
            let blank = PolicyForm {
                formula: "share_of_fee".into(),
                ..Default::default()
            };
            render(
                &state,
                &s,
                &blank,
                &FieldErrors::default(),
                Some(&p.id),
                StatusCode::OK,
            )
            .await
        }
        Err(PolicyError::Invalid(v)) => {
            render(&state, &s, &f, &faults(v), None, unprocessable).await
        }
        Err(e) => s.refusal(e),
    }
}
