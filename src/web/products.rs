//! A bank's products on the pages (issue 17): its loans, receivable financing and IP-pledge loans with
//! their terms and rules in words; publish one, edit one (the kind fixed), withdraw one. The form holds
//! every term and every rule type, is read into the JSON the API takes and checked by the same code
//! (`with_rules`, then `products::publish` / `update`), each fault beside its field.

use super::layout::{
    field, fraction_of_percent, percent_of_fraction, plain_amount, see_other, FieldErrors, T,
};
use super::session::{BankStaff, CsrfForm};
use super::words;
use crate::api::AppState;
use crate::domain::matching::{Designation, LoanSubtype, ProductKind, ProductSpec, Rule};
use crate::domain::SizeClass;
use crate::service::products::{self, Browse, ProductError, ProductView};
use crate::service::ServiceError;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use maud::html;
use serde_json::{json, Map, Value};

/// The kinds a bank publishes.
const KINDS: [ProductKind; 3] = [
    ProductKind::BankLoan,
    ProductKind::ReceivableFinancing,
    ProductKind::IpPledge,
];

/// The product form as sent: every term as text, the rules as the fields that make them.
#[derive(Debug, Default, Clone)]
pub struct ProductForm {
    pub csrf: String,
    pub kind: String,
    pub subtype: String,
    pub name: String,
    pub description: String,
    pub amount_min: String,
    pub amount_max: String,
    pub term_min_months: String,
    pub term_max_months: String,
    pub rate_min: String,
    pub rate_max: String,
    pub annual_fee_rate: String,
    pub guarantee_scheme_id: String,
    pub advance_ratio: String,
    pub loan_to_value: String,
    pub valid_from: String,
    pub valid_to: String,
    // The rules.
    pub size_classes: Vec<String>,
    pub industry_prefixes: String,
    pub districts: String,
    pub min_score: String,
    pub min_grade: String,
    pub min_years: String,
    pub min_tax_grade: String,
    pub no_active_dishonesty: bool,
    pub max_tax_arrears: String,
    pub max_si_arrears_months: String,
    pub first_loan_only: bool,
    pub loan_maturing_within: String,
    pub confirmed_receivables: bool,
    pub appraised_ip: bool,
    pub designations: Vec<String>,
}

/// The percentage fields (typed as percent, sent as fractions).
const PERCENT: [&str; 5] = [
    "rate_min",
    "rate_max",
    "annual_fee_rate",
    "advance_ratio",
    "loan_to_value",
];

impl ProductForm {
    fn parse(body: &[u8]) -> ProductForm {
        let mut f = ProductForm::default();
        for (k, v) in form_urlencoded::parse(body) {
            let v = v.trim().to_string();
            match k.as_ref() {
                "csrf" => f.csrf = v,
                "kind" => f.kind = v,
                "subtype" => f.subtype = v,
                "name" => f.name = v,
                "description" => f.description = v,
                "amount_min" => f.amount_min = v,
                "amount_max" => f.amount_max = v,
                "term_min_months" => f.term_min_months = v,
                "term_max_months" => f.term_max_months = v,
                "rate_min" => f.rate_min = v,
                "rate_max" => f.rate_max = v,
                "annual_fee_rate" => f.annual_fee_rate = v,
                "guarantee_scheme_id" => f.guarantee_scheme_id = v,
                "advance_ratio" => f.advance_ratio = v,
                "loan_to_value" => f.loan_to_value = v,
                "valid_from" => f.valid_from = v,
                "valid_to" => f.valid_to = v,
                "size_classes" => f.size_classes.push(v),
                "industry_prefixes" => f.industry_prefixes = v,
                "districts" => f.districts = v,
                "min_score" => f.min_score = v,
                "min_grade" => f.min_grade = v,
                "min_years" => f.min_years = v,
                "min_tax_grade" => f.min_tax_grade = v,
                "no_active_dishonesty" => f.no_active_dishonesty = true,
                "max_tax_arrears" => f.max_tax_arrears = v,
                "max_si_arrears_months" => f.max_si_arrears_months = v,
                "first_loan_only" => f.first_loan_only = true,
                "loan_maturing_within" => f.loan_maturing_within = v,
                "confirmed_receivables" => f.confirmed_receivables = true,
                "appraised_ip" => f.appraised_ip = true,
                "designations" => f.designations.push(v),
                _ => {}
            }
        }
        f
    }

    /// The form of a published product, to edit it.
    fn of(spec: &ProductSpec) -> ProductForm {
        let pct = |d: Option<rust_decimal::Decimal>| d.map(percent_of_fraction).unwrap_or_default();
        let mut f = ProductForm {
            kind: spec.kind.as_str().into(),
            subtype: spec
                .subtype
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            name: spec.name.clone(),
            description: spec.description.clone().unwrap_or_default(),
            amount_min: spec.amount_min.to_string(),
            amount_max: spec.amount_max.to_string(),
            term_min_months: spec.term_min_months.to_string(),
            term_max_months: spec.term_max_months.to_string(),
            rate_min: pct(spec.rate_min),
            rate_max: pct(spec.rate_max),
            annual_fee_rate: pct(Some(spec.annual_fee_rate).filter(|d| !d.is_zero())),
            guarantee_scheme_id: spec.guarantee_scheme_id.clone().unwrap_or_default(),
            advance_ratio: pct(spec.advance_ratio),
            loan_to_value: pct(spec.loan_to_value),
            valid_from: spec.valid_from.to_string(),
            valid_to: spec.valid_to.map(|d| d.to_string()).unwrap_or_default(),
            ..Default::default()
        };
        for r in &spec.rules {
            match r {
                Rule::SizeClass { any_of } => {
                    f.size_classes = any_of.iter().map(|c| c.as_str().to_string()).collect()
                }
                Rule::IndustryPrefix { any_of } => f.industry_prefixes = any_of.join(", "),
                Rule::District { any_of } => f.districts = any_of.join(", "),
                Rule::MinScore { score } => f.min_score = score.to_string(),
                Rule::MinGrade { grade } => f.min_grade = grade.to_string(),
                Rule::MinYearsInOperation { years } => f.min_years = years.to_string(),
                Rule::MinTaxGrade { grade } => f.min_tax_grade = grade.to_string(),
                Rule::NoActiveDishonesty => f.no_active_dishonesty = true,
                Rule::MaxTaxArrears { amount } => f.max_tax_arrears = amount.to_string(),
                Rule::MaxSiArrearsMonths { months } => f.max_si_arrears_months = months.to_string(),
                Rule::FirstLoanOnly => f.first_loan_only = true,
                Rule::LoanMaturingWithin { days } => f.loan_maturing_within = days.to_string(),
                Rule::ConfirmedReceivables => f.confirmed_receivables = true,
                Rule::AppraisedIp => f.appraised_ip = true,
                Rule::Designation { any_of } => {
                    f.designations = any_of.iter().map(|d| d.as_str().to_string()).collect()
                }
            }
        }
        f
    }

    /// The product as the API's JSON body: percentages as fractions, amounts without separators, numbers
    /// as numbers, empty fields left out, one rule per rule field filled in.
    fn body(&self, t: &T) -> Result<Value, FieldErrors> {
        let mut faults = FieldErrors::default();
        let mut o = Map::new();
        let text = |o: &mut Map<String, Value>, k: &str, v: &str| {
            if !v.is_empty() {
                o.insert(k.into(), json!(v));
            }
        };
        text(&mut o, "kind", &self.kind);
        text(&mut o, "subtype", &self.subtype);
        o.insert("name".into(), json!(self.name));
        text(&mut o, "description", &self.description);
        text(&mut o, "amount_min", &plain_amount(&self.amount_min));
        text(&mut o, "amount_max", &plain_amount(&self.amount_max));
        text(&mut o, "guarantee_scheme_id", &self.guarantee_scheme_id);
        text(&mut o, "valid_from", &self.valid_from);
        text(&mut o, "valid_to", &self.valid_to);
        let whole = |name: &str, v: &str, faults: &mut FieldErrors| -> Option<i64> {
            if v.is_empty() {
                return None;
            }
            v.parse::<i64>()
                .map_err(|_| faults.0.push((name.into(), t.t("rule-whole-number"))))
                .ok()
        };
        for k in ["term_min_months", "term_max_months"] {
            let v = if k == "term_min_months" {
                &self.term_min_months
            } else {
                &self.term_max_months
            };
            if let Some(n) = whole(k, v, &mut faults) {
                o.insert(k.into(), json!(n));
            }
        }
        let percents = [
            &self.rate_min,
            &self.rate_max,
            &self.annual_fee_rate,
            &self.advance_ratio,
            &self.loan_to_value,
        ];
        for (k, v) in PERCENT.iter().zip(percents) {
            match fraction_of_percent(v) {
                Ok(Some(f)) => {
                    o.insert((*k).into(), json!(f));
                }
                Ok(None) => {}
                Err(_) => faults.0.push(((*k).into(), t.t("policy-percent-format"))),
            }
        }
        let items = |s: &str| -> Vec<String> {
            s.split([',', '，', '、', ' '])
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect()
        };
        let mut rules = Vec::new();
        if !self.size_classes.is_empty() {
            rules.push(json!({"type": "size_class", "any_of": self.size_classes}));
        }
        if !self.industry_prefixes.is_empty() {
            rules
                .push(json!({"type": "industry_prefix", "any_of": items(&self.industry_prefixes)}));
        }
        if !self.districts.is_empty() {
            rules.push(json!({"type": "district", "any_of": items(&self.districts)}));
        }
        if let Some(n) = whole("min_score", &self.min_score, &mut faults) {
            rules.push(json!({"type": "min_score", "score": n}));
        }
        if !self.min_grade.is_empty() {
            rules.push(json!({"type": "min_grade", "grade": self.min_grade}));
        }
        if let Some(n) = whole("min_years", &self.min_years, &mut faults) {
            rules.push(json!({"type": "min_years_in_operation", "years": n}));
        }
        if !self.min_tax_grade.is_empty() {
            rules.push(json!({"type": "min_tax_grade", "grade": self.min_tax_grade}));
        }
        if self.no_active_dishonesty {
            rules.push(json!({"type": "no_active_dishonesty"}));
        }
        if !self.max_tax_arrears.is_empty() {
            rules.push(
                json!({"type": "max_tax_arrears", "amount": plain_amount(&self.max_tax_arrears)}),
            );
        }
        if let Some(n) = whole(
            "max_si_arrears_months",
            &self.max_si_arrears_months,
            &mut faults,
        ) {
            rules.push(json!({"type": "max_si_arrears_months", "months": n}));
        }
        if self.first_loan_only {
            rules.push(json!({"type": "first_loan_only"}));
        }
        if let Some(n) = whole(
            "loan_maturing_within",
            &self.loan_maturing_within,
            &mut faults,
        ) {
            rules.push(json!({"type": "loan_maturing_within", "days": n}));
        }
        if self.confirmed_receivables {
            rules.push(json!({"type": "confirmed_receivables"}));
        }
        if self.appraised_ip {
            rules.push(json!({"type": "appraised_ip"}));
        }
        if !self.designations.is_empty() {
            rules.push(json!({"type": "designation", "any_of": self.designations}));
        }
        o.insert("rules".into(), Value::Array(rules));
        if faults.is_empty() {
            Ok(Value::Object(o))
        } else {
            Err(faults)
        }
    }
}

/// Where the page shows a fault the API names by its JSON path (`rules[2].score` → the rule's field).
fn form_field(api: &str, body: &Value) -> String {
    let Some(rest) = api.strip_prefix("rules[") else {
        return api.to_string();
    };
    let i: usize = rest
        .split(']')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let ty = body["rules"][i]["type"].as_str().unwrap_or("");
    match ty {
        "size_class" => "size_classes",
        "industry_prefix" => "industry_prefixes",
        "district" => "districts",
        "min_years_in_operation" => "min_years",
        "designation" => "designations",
        other => other,
    }
    .to_string()
}

async fn own_products(state: &AppState, s: &BankStaff) -> actix_web::Result<Vec<ProductView>> {
    let b = Browse {
        kind: None,
        institution: Some(s.bank.clone()),
        include_withdrawn: true,
        after: None,
        limit: 500,
    };
    products::browse(state.ctx(), b)
        .await
        .map_err(|e| super::layout::unavailable(ServiceError::from(e)))
}

/// The bank's products, newest first, each with its terms and rules in words.
#[get("/bank/products")]
pub async fn list(state: web::Data<AppState>, s: BankStaff) -> actix_web::Result<HttpResponse> {
    let t = &s.t;
    let mut all = own_products(&state, &s).await?;
    all.reverse();
    let body = html! {
        div.card {
            h1 { (t.t("products-title")) }
            p { (t.t("products-intro")) " " a.button href="/bank/products/new" { (t.t("products-new")) } }
        }
        @for p in &all {
            div.card.product id={ "product-" (p.id) } {
                h2 { (p.spec.name) " " span class={ "pill " (p.status) } { (t.code("product-status", p.status)) } }
                p.muted { (t.code("kind", p.spec.kind.as_str())) @if let Some(st) = p.spec.subtype { " · " (t.code("subtype", st.as_str())) } }
                (words::terms(t, &p.spec))
                h3 { (t.t("rules-title")) }
                (words::rules(t, &p.spec))
                @if p.status == "active" {
                    p {
                        a.button.secondary href={ "/bank/products/" (p.id) "/edit" } { (t.t("products-edit")) }
                        " "
                        form.inline method="post" action={ "/bank/products/" (p.id) "/withdraw" } {
                            input type="hidden" name="csrf" value=(s.who.csrf);
                            button.danger type="submit" { (t.t("products-withdraw")) }
                        }
                    }
                }
            }
        }
    };
    Ok(s.page(&t.t("products-title"), "/bank/products", body))
}

#[get("/bank/products/new")]
pub async fn new_form(state: web::Data<AppState>, s: BankStaff) -> actix_web::Result<HttpResponse> {
    let f = ProductForm {
        kind: "bank_loan".into(),
        valid_from: state.clock.today().to_string(),
        ..Default::default()
    };
    Ok(render(
        &s,
        &f,
        None,
        &FieldErrors::default(),
        StatusCode::OK,
    ))
}

#[get("/bank/products/{id}/edit")]
pub async fn edit_form(
    state: web::Data<AppState>,
    s: BankStaff,
    id: web::Path<String>,
) -> actix_web::Result<HttpResponse> {
    match products::get(state.ctx(), &id).await {
        Ok(p) if p.institution_id == s.bank && p.status == "active" => Ok(render(
            &s,
            &ProductForm::of(&p.spec),
            Some(&p.id),
            &FieldErrors::default(),
            StatusCode::OK,
        )),
        Ok(_) => s.refusal(ServiceError::NotFound(format!("no product {id} of yours"))),
        Err(e) => s.refusal(e),
    }
}

fn render(
    s: &BankStaff,
    f: &ProductForm,
    id: Option<&str>,
    e: &FieldErrors,
    status: StatusCode,
) -> HttpResponse {
    let t = &s.t;
    let action = id.map_or_else(
        || "/bank/products".to_string(),
        |id| format!("/bank/products/{id}"),
    );
    let title = t.t(if id.is_some() {
        "products-edit"
    } else {
        "products-new"
    });
    let shown = [
        "kind",
        "subtype",
        "name",
        "description",
        "amount_min",
        "amount_max",
        "term_min_months",
        "term_max_months",
        "rate_min",
        "rate_max",
        "annual_fee_rate",
        "guarantee_scheme_id",
        "advance_ratio",
        "loan_to_value",
        "valid_from",
        "valid_to",
        "size_classes",
        "industry_prefixes",
        "districts",
        "min_score",
        "min_grade",
        "min_years",
        "min_tax_grade",
        "max_tax_arrears",
        "max_si_arrears_months",
        "loan_maturing_within",
        "designations",
    ];
    let others = e.others(&shown);
    let checks = |name: &'static str, options: Vec<(&'static str, String)>, chosen: &[String]| {
        html! {
            fieldset {
                legend { (t.t(&format!("product-{name}"))) }
                @for (v, label) in &options {
                    div.field.check {
                        input id={ (name) "-" (v) } name=(name) type="checkbox" value=(v) checked[chosen.iter().any(|c| c == v)];
                        label for={ (name) "-" (v) } { (label) }
                    }
                }
                @if let Some(m) = e.get(name) { p.error role="alert" { (m) } }
            }
        }
    };
    let select = |name: &'static str, options: Vec<(&'static str, String)>, chosen: &str| {
        html! {
            div.field {
                label for=(name) { (t.t(&format!("product-{name}"))) }
                @let err = e.get(name);
                select id=(name) name=(name) aria-invalid=[err.as_ref().map(|_| "true")]
                    aria-describedby=[err.as_ref().map(|_| format!("{name}-error"))] {
                    @for (v, label) in &options { option value=(v) selected[chosen == *v] { (label) } }
                }
                @if let Some(m) = &err { p.error id={ (name) "-error" } role="alert" { (m) } }
            }
        }
    };
    let tick = |name: &'static str, on: bool| {
        html! {
            div.field.check {
                input id=(name) name=(name) type="checkbox" value="1" checked[on];
                label for=(name) { (t.t(&format!("product-{name}"))) }
            }
        }
    };
    let grades = ["AAA", "AA", "A", "BBB", "BB", "B", "C"];
    let body = html! {
        div.card {
            h1 { (title) }
            p { (t.t("products-form-intro")) }
            @if !others.is_empty() { p.error role="alert" { (others.join(" ")) } }
            form method="post" action=(action) {
                input type="hidden" name="csrf" value=(s.who.csrf);
                @if id.is_some() { input type="hidden" name="kind" value=(f.kind); }
                @else {
                    (select("kind", KINDS.iter().map(|k| (k.as_str(), t.code("kind", k.as_str()))).collect(), &f.kind))
                }
                (select("subtype", std::iter::once(("", t.t("product-subtype-none"))).chain([LoanSubtype::CreditLoan, LoanSubtype::FirstLoan, LoanSubtype::Renewal, LoanSubtype::MediumLongTerm].iter().map(|k| (k.as_str(), t.code("subtype", k.as_str())))).collect(), &f.subtype))
                (field(&t.t("product-name"), "name", "text", &f.name, e))
                (field(&t.t("product-description"), "description", "text", &f.description, e))
                (field(&t.t("product-amount_min"), "amount_min", "text", &f.amount_min, e))
                (field(&t.t("product-amount_max"), "amount_max", "text", &f.amount_max, e))
                (field(&t.t("product-term_min_months"), "term_min_months", "number", &f.term_min_months, e))
                (field(&t.t("product-term_max_months"), "term_max_months", "number", &f.term_max_months, e))
                (field(&t.t("product-rate_min"), "rate_min", "text", &f.rate_min, e))
                (field(&t.t("product-rate_max"), "rate_max", "text", &f.rate_max, e))
                (field(&t.t("product-annual_fee_rate"), "annual_fee_rate", "text", &f.annual_fee_rate, e))
                (field(&t.t("product-guarantee_scheme_id"), "guarantee_scheme_id", "text", &f.guarantee_scheme_id, e))
                (field(&t.t("product-advance_ratio"), "advance_ratio", "text", &f.advance_ratio, e))
                (field(&t.t("product-loan_to_value"), "loan_to_value", "text", &f.loan_to_value, e))
                (field(&t.t("product-valid_from"), "valid_from", "date", &f.valid_from, e))
                (field(&t.t("product-valid_to"), "valid_to", "date", &f.valid_to, e))
                h2 { (t.t("rules-title")) }
                p.help { (t.t("products-rules-intro")) }
                (checks("size_classes", [SizeClass::Micro, SizeClass::Small, SizeClass::Medium].iter().map(|c| (c.as_str(), t.code("size", c.as_str()))).collect(), &f.size_classes))
                (field(&t.t("product-industry_prefixes"), "industry_prefixes", "text", &f.industry_prefixes, e))
                (field(&t.t("product-districts"), "districts", "text", &f.districts, e))
                (field(&t.t("product-min_score"), "min_score", "number", &f.min_score, e))
                (select("min_grade", std::iter::once(("", t.t("product-no-rule"))).chain(grades.iter().map(|g| (*g, g.to_string()))).collect(), &f.min_grade))
                (field(&t.t("product-min_years"), "min_years", "number", &f.min_years, e))
                (select("min_tax_grade", std::iter::once(("", t.t("product-no-rule"))).chain(["A", "B", "M", "C", "D"].iter().map(|g| (*g, g.to_string()))).collect(), &f.min_tax_grade))
                (tick("no_active_dishonesty", f.no_active_dishonesty))
                (field(&t.t("product-max_tax_arrears"), "max_tax_arrears", "text", &f.max_tax_arrears, e))
                (field(&t.t("product-max_si_arrears_months"), "max_si_arrears_months", "number", &f.max_si_arrears_months, e))
                (tick("first_loan_only", f.first_loan_only))
                (field(&t.t("product-loan_maturing_within"), "loan_maturing_within", "number", &f.loan_maturing_within, e))
                (tick("confirmed_receivables", f.confirmed_receivables))
                (tick("appraised_ip", f.appraised_ip))
                (checks("designations", Designation::ALL.iter().map(|d| (d.as_str(), t.code("designation", d.as_str()))).collect(), &f.designations))
                button type="submit" { (t.t(if id.is_some() { "products-save" } else { "products-publish" })) }
            }
        }
    };
    super::layout::with_status(s.page(&title, "/bank/products", body), status)
}

/// The form read and checked as the API checks a body: the product's spec, or the faults by field.
fn read(
    t: &T,
    f: &ProductForm,
) -> Result<(ProductSpec, Vec<crate::service::Violation>, Value), FieldErrors> {
    let json = f.body(t)?;
    let by_field = |v: Vec<crate::service::Violation>| {
        let mut e = FieldErrors::of(t, &v);
        for (field, _) in e.0.iter_mut() {
            *field = form_field(field, &json);
        }
        e
    };
    match crate::api::extract::with_rules::<ProductSpec>(&json) {
        Ok((mut spec, rules, read)) => {
            spec.rules = rules;
            Ok((
                spec,
                read.into_iter().map(|e| e.into_violation()).collect(),
                json,
            ))
        }
        Err(crate::api::error::ApiError::Validation { errors, .. }) => Err(by_field(
            errors.into_iter().map(|e| e.into_violation()).collect(),
        )),
        Err(e) => Err(FieldErrors(vec![("name".into(), e.to_string())])),
    }
}

/// What publishing or saving came to: the product's list, or the form with its faults.
fn answer(
    s: &BankStaff,
    f: &ProductForm,
    id: Option<&str>,
    json: &Value,
    done: Result<ProductView, ProductError>,
) -> actix_web::Result<HttpResponse> {
    match done {
        Ok(p) => Ok(see_other(&format!("/bank/products#product-{}", p.id))),
        Err(ProductError::Invalid(v)) => {
            let mut e = FieldErrors::of(&s.t, &v);
            for (field, _) in e.0.iter_mut() {
                *field = form_field(field, json);
            }
            Ok(render(s, f, id, &e, StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => s.refusal(e),
    }
}

#[post("/bank/products")]
pub async fn publish(
    state: web::Data<AppState>,
    s: BankStaff,
    body: web::Bytes,
) -> actix_web::Result<HttpResponse> {
    let f = ProductForm::parse(&body);
    if let Some(r) = s.forged(&f.csrf) {
        return Ok(r);
    }
    let (spec, faults, json) = match read(&s.t, &f) {
        Ok(x) => x,
        Err(e) => return Ok(render(&s, &f, None, &e, StatusCode::UNPROCESSABLE_ENTITY)),
    };
    let done = products::publish(state.ctx(), &s.actor, spec, faults).await;
    answer(&s, &f, None, &json, done)
}

#[post("/bank/products/{id}")]
pub async fn save(
    state: web::Data<AppState>,
    s: BankStaff,
    id: web::Path<String>,
    body: web::Bytes,
) -> actix_web::Result<HttpResponse> {
    let f = ProductForm::parse(&body);
    if let Some(r) = s.forged(&f.csrf) {
        return Ok(r);
    }
    let (spec, faults, json) = match read(&s.t, &f) {
        Ok(x) => x,
        Err(e) => {
            return Ok(render(
                &s,
                &f,
                Some(&id),
                &e,
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
    };
    let done = products::update(state.ctx(), &s.actor, &id, spec, faults).await;
    answer(&s, &f, Some(&id), &json, done)
}

#[post("/bank/products/{id}/withdraw")]
pub async fn withdraw(
    state: web::Data<AppState>,
    s: BankStaff,
    id: web::Path<String>,
    f: web::Form<CsrfForm>,
) -> actix_web::Result<HttpResponse> {
    if let Some(r) = s.forged(&f.csrf) {
        return Ok(r);
    }
    match products::withdraw(state.ctx(), &s.actor, &id).await {
        Ok(p) => Ok(see_other(&format!("/bank/products#product-{}", p.id))),
        Err(e) => s.refusal(e),
    }
}
