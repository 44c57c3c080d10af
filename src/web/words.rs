//! Products in words: a rule as a requirement a person reads ("信用评分不低于 650"), a firm's own fact
//! beside a rule it misses, a product's terms, an offer's cost line by line, and an application's events.

use super::layout::T;
use crate::domain::matching::{Cost, ProductSpec, Rule};
use crate::service::matching::Facts;
use maud::{html, Markup};

fn joined(t: &T, prefix: &str, codes: impl Iterator<Item = String>) -> String {
    t.join(codes.map(|c| t.code(prefix, &c)))
}

/// A rule as a requirement.
pub fn requirement(t: &T, rule: &Rule) -> String {
    let a = |k: &'static str, v: String| [(k, v)];
    match rule {
        Rule::SizeClass { any_of } => t.with(
            "req-size_class",
            &a(
                "list",
                joined(t, "size", any_of.iter().map(|c| c.as_str().to_string())),
            ),
        ),
        Rule::IndustryPrefix { any_of } => {
            t.with("req-industry_prefix", &a("list", any_of.join(" / ")))
        }
        Rule::District { any_of } => t.with(
            "req-district",
            &a("list", joined(t, "district", any_of.iter().cloned())),
        ),
        Rule::MinScore { score } => t.with("req-min_score", &a("score", score.to_string())),
        Rule::MinGrade { grade } => t.with("req-min_grade", &a("grade", grade.to_string())),
        Rule::MinYearsInOperation { years } => {
            t.with("req-min_years_in_operation", &a("years", years.to_string()))
        }
        Rule::MinTaxGrade { grade } => t.with("req-min_tax_grade", &a("grade", grade.to_string())),
        Rule::NoActiveDishonesty => t.t("req-no_active_dishonesty"),
        Rule::MaxTaxArrears { amount } => {
            t.with("req-max_tax_arrears", &a("amount", t.money(*amount)))
        }
        Rule::MaxSiArrearsMonths { months } => t.with(
            "req-max_si_arrears_months",
            &a("months", months.to_string()),
        ),
        Rule::FirstLoanOnly => t.t("req-first_loan_only"),
        Rule::LoanMaturingWithin { days } => {
            t.with("req-loan_maturing_within", &a("days", days.to_string()))
        }
        Rule::ConfirmedReceivables => t.t("req-confirmed_receivables"),
        Rule::AppraisedIp => t.t("req-appraised_ip"),
        Rule::Designation { any_of } => t.with(
            "req-designation",
            &a(
                "list",
                joined(
                    t,
                    "designation",
                    any_of.iter().map(|d| d.as_str().to_string()),
                ),
            ),
        ),
    }
}

/// What the firm has, for a rule it misses (the rule's type, without a `scheme.` prefix).
pub fn fact(t: &T, rule_type: &str, f: &Facts) -> Option<String> {
    let none = || t.t("fact-none");
    Some(match rule_type {
        "size_class" => f.size_class.map(|c| t.code("size", c)).unwrap_or_else(none),
        "industry_prefix" => f.industry_code.to_string(),
        "district" => t.code("district", f.district),
        "min_score" => f.score.map(|s| s.to_string()).unwrap_or_else(none),
        "min_grade" => f.grade.map(|g| g.to_string()).unwrap_or_else(none),
        "min_years_in_operation" => {
            t.with("fact-years", &[("years", f.years_in_operation.to_string())])
        }
        "min_tax_grade" => f.tax_grade.map(|g| g.to_string()).unwrap_or_else(none),
        "no_active_dishonesty" => f
            .active_dishonesty_listings
            .map(|n| t.with("fact-listings", &[("count", n.to_string())]))
            .unwrap_or_else(none),
        "max_tax_arrears" => f.tax_arrears.map(|m| t.money(m)).unwrap_or_else(none),
        "max_si_arrears_months" => f
            .si_arrears_months
            .map(|m| t.with("fact-months", &[("months", m.to_string())]))
            .unwrap_or_else(none),
        "first_loan_only" => t.t(if f.has_had_bank_loan {
            "fact-had-loan"
        } else {
            "fact-no-loan"
        }),
        "loan_maturing_within" => f
            .days_to_nearest_maturity
            .map(|d| t.with("fact-days", &[("days", d.to_string())]))
            .unwrap_or_else(|| t.t("fact-no-outstanding")),
        "confirmed_receivables" => t.money(f.confirmed_receivables),
        "appraised_ip" => t.money(f.unpledged_ip_value),
        "designation" if f.designations.is_empty() => t.t("fact-no-designation"),
        "designation" => joined(
            t,
            "designation",
            f.designations.iter().map(|d| d.as_str().to_string()),
        ),
        _ => return None,
    })
}

/// A product's terms: amounts, term, rate range or fee, coverage, advance, loan-to-value, validity.
pub fn terms(t: &T, s: &ProductSpec) -> Markup {
    html! {
        dl.terms {
            dt { (t.t("term-amount")) } dd { (t.money(s.amount_min)) " – " (t.money(s.amount_max)) }
            dt { (t.t("term-months")) } dd { (t.with("months-range", &[("from", s.term_min_months.to_string()), ("to", s.term_max_months.to_string())])) }
            @if let (Some(lo), Some(hi)) = (s.rate_min, s.rate_max) {
                dt { (t.t("term-rate")) } dd { (t.percent(lo)) " – " (t.percent(hi)) " " span.muted { (t.t("term-rate-note")) } }
            }
            @if !s.annual_fee_rate.is_zero() { dt { (t.t("term-fee")) } dd { (t.percent(s.annual_fee_rate)) } }
            @if let Some(f) = s.fee_rate { dt { (t.t("term-guarantee-fee")) } dd { (t.percent(f)) } }
            @if let Some(c) = s.coverage_ratio { dt { (t.t("term-coverage")) } dd { (t.percent(c)) } }
            @if let Some(k) = s.scheme_kind { dt { (t.t("term-scheme-kind")) } dd { (t.code("scheme-kind", k.as_str())) } }
            @if let Some(x) = s.advance_ratio { dt { (t.t("term-advance")) } dd { (t.percent(x)) } }
            @if let Some(x) = s.loan_to_value { dt { (t.t("term-ltv")) } dd { (t.percent(x)) } }
            dt { (t.t("term-valid")) } dd {
                (t.date(s.valid_from)) " – "
                @if let Some(to) = s.valid_to { (t.date(to)) } @else { (t.t("term-open")) }
            }
        }
    }
}

/// The product's rules as requirements (or that anyone qualifies).
pub fn rules(t: &T, s: &ProductSpec) -> Markup {
    html! {
        @if s.rules.is_empty() {
            p { (t.t("rules-none")) }
        } @else {
            ul.rules { @for r in &s.rules { li { (requirement(t, r)) } } }
        }
    }
}

/// An offer's cost: each component as a rate and in yuan over the term; subsidies as deductions.
pub fn cost(t: &T, c: &Cost) -> Markup {
    // Interest always shows; another component only when the offer has it.
    let row = |key: &str, rate: rust_decimal::Decimal, yuan: crate::domain::Money, minus: bool| {
        html! {
            @if key == "cost-interest" || !rate.is_zero() || yuan.fen() != 0 {
            tr {
                th scope="row" { (t.t(key)) }
                td.num { @if minus { "−" } (t.percent(rate)) }
                td.num { @if minus { "−" } (t.money(yuan)) }
            }
            }
        }
    };
    html! {
        table.cost {
            thead { tr { th scope="col" { (t.t("cost-part")) } th.num scope="col" { (t.t("cost-rate")) } th.num scope="col" { (t.t("cost-yuan")) } } }
            tbody {
                (row("cost-interest", c.interest_rate, c.interest, false))
                (row("cost-fees", c.fee_rate, c.fees, false))
                (row("cost-guarantee-fee", c.guarantee_fee_rate, c.guarantee_fee, false))
                (row("cost-guarantee-subsidy", c.guarantee_fee_subsidy_rate, c.guarantee_fee_subsidy, true))
                (row("cost-interest-subsidy", c.interest_subsidy_rate, c.interest_subsidy, true))
            }
            tfoot { tr { th scope="row" { (t.t("cost-total")) } td.num { strong { (t.percent(c.all_in_rate)) } } td.num { strong { (t.money(c.all_in_total)) } } } }
        }
        @if let Some(sc) = &c.scheme {
            p.muted.scheme-used { (t.with("cost-scheme", &[("name", sc.name.clone()), ("kind", t.code("scheme-kind", sc.kind.as_str())), ("fee", t.percent(sc.fee_rate)), ("coverage", t.percent(sc.coverage_ratio))])) }
        }
        @if let Some(w) = &c.without_scheme {
            p.muted.without-scheme { (t.with("cost-without-scheme", &[("rate", t.percent(w.all_in_rate)), ("total", t.money(w.all_in_total))])) }
        }
        @if !c.subsidies.is_empty() {
            ul.subsidies aria-label=(t.t("cost-subsidies")) {
                @for x in &c.subsidies {
                    li {
                        strong { (x.policy_name) } " · " (t.money(x.amount))
                        " · " (t.with("cost-subsidy-days", &[("days", x.days.to_string())]))
                        @if let Some(r) = x.rate { " · " (t.percent(r)) }
                        @if let Some(row) = &x.rate_row { " (" (row) ")" }
                        @for cap in &x.caps { " · " span.flag { (t.code("cap", cap.as_str())) } }
                    }
                }
            }
        }
        @if !c.forgone.is_empty() {
            details.forgone {
                summary { (t.with("cost-forgone", &[("count", c.forgone.len().to_string())])) }
                ul { @for x in &c.forgone { li { strong { (x.policy_name) } " · " (t.money(x.amount)) div.muted { (x.reason) } } } }
            }
        }
    }
}

/// An application's events in the order they happened: what, when, how much, and any detail.
pub fn events(t: &T, events: &[crate::service::applications::EventView]) -> Markup {
    html! {
        div.card {
            h2 { (t.t("events-title")) }
            ol.events {
                @for e in events {
                    li {
                        strong { (t.code("event", &e.kind)) }
                        " · " (chrono::DateTime::parse_from_rfc3339(&e.at).map(|d| t.instant(d.naive_utc())).unwrap_or_else(|_| e.at.clone()))
                        @if let Some(a) = e.amount { " · " (t.money(a)) }
                        @if let Some(d) = &e.detail { div.muted { (d) } }
                    }
                }
            }
        }
    }
}
