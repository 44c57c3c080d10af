//! The shop window and the firm's offers. `/catalogue` is open to all: the published products, filtered
//! by kind, institution, amount and term, each with its terms and rules in words. `/firm/offers` is the
//! signed-in firm's own: amount and term in, the offers it qualifies for ranked by all-in cost with each
//! component in yuan and as a rate, and the near misses with each rule missed, the firm's own figure and,
//! where a what-if can say it, what would fix it.

use super::layout::{page, FieldErrors, Frame, Lang, T};
use super::session::{signed_in, Person};
use super::words;
use crate::api::AppState;
use crate::domain::grade::Grade;
use crate::domain::matching::{Check, ProductKind};
use crate::domain::Money;
use crate::service::matching::{self, MatchesView, NearMissView};
use crate::service::profiles::{self, ChangeInput};
use crate::service::{products, ServiceError};
use actix_web::{get, web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use std::collections::HashMap;

/// The ask and the filter, as the form sends them.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct OfferForm {
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub term_months: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub institution: String,
}

fn kind_select(t: &T, selected: &str, with_schemes: bool) -> Markup {
    html! {
        div.field {
            label for="kind" { (t.t("kind")) }
            select id="kind" name="kind" {
                option value="" selected[selected.is_empty()] { (t.t("kind-all")) }
                @for k in ProductKind::ALL {
                    @if with_schemes || k != ProductKind::GuaranteeScheme {
                        option value=(k.as_str()) selected[selected == k.as_str()] { (t.code("kind", k.as_str())) }
                    }
                }
            }
        }
    }
}

/// Parse the amount and term (defaults 500,000 yuan over 12 months).
fn ask_of(
    form: &OfferForm,
    today: chrono::NaiveDate,
    t: &T,
) -> Result<crate::domain::matching::Ask, FieldErrors> {
    let amount = if form.amount.trim().is_empty() {
        "500000".to_string()
    } else {
        form.amount.replace([',', '，', ' '], "").replace('元', "")
    };
    let term = if form.term_months.trim().is_empty() {
        Ok(12)
    } else {
        form.term_months.trim().parse::<i32>()
    };
    let Ok(term) = term else {
        return Err(FieldErrors(vec![(
            "term_months".into(),
            t.t("rule-whole-number"),
        )]));
    };
    crate::service::applications::ask(&amount, term, today).map_err(|v| FieldErrors::of(t, &v))
}

#[get("/firm/offers")]
pub async fn offers_page(
    state: web::Data<AppState>,
    p: Person,
    q: web::Query<OfferForm>,
) -> actix_web::Result<HttpResponse> {
    let t = &p.t;
    let form = q.into_inner();
    let (view_markup, errors) = match ask_of(&form, state.clock.today(), t) {
        Err(e) => (html! {}, e),
        Ok(ask) => {
            let m = match matching::for_firm(state.ctx(), &p.actor(), &p.firm, ask).await {
                Ok(m) => m,
                Err(e) => {
                    return super::layout::refusal(t, Some(&p.frame()), ServiceError::from(e))
                }
            };
            let result = m.result();
            let view = m.view(&result);
            let fixes = fixes(&state, &p, &view).await?;
            (
                render_offers(t, &view, &form.kind, &fixes, p.is_owner()),
                FieldErrors::default(),
            )
        }
    };
    let body = html! {
        div.card {
            h1 { (t.t("offers-title")) }
            p { (t.t("offers-intro")) }
            form.inline-form method="get" action="/firm/offers" {
                (super::layout::field(&t.t("ask-amount"), "amount", "text", if form.amount.is_empty() { "500000" } else { &form.amount }, &errors))
                (super::layout::field(&t.t("ask-term"), "term_months", "number", if form.term_months.is_empty() { "12" } else { &form.term_months }, &errors))
                (kind_select(t, &form.kind, false))
                button type="submit" { (t.t("offers-run")) }
            }
            @for e in errors.others(&["amount", "term_months"]) { p.error role="alert" { (e) } }
        }
        (view_markup)
    };
    Ok(p.page(&t.t("offers-title"), "/firm/offers", body))
}

/// What a single what-if would do for the near misses that want a better score or grade: (words of the
/// change, the score and grade it gives), computed once for the page.
async fn fixes(
    state: &AppState,
    p: &Person,
    view: &MatchesView<'_>,
) -> actix_web::Result<Vec<(String, i32, Option<Grade>)>> {
    let wanted = view.near_misses.iter().any(|n| {
        n.failed
            .iter()
            .any(|c| matches!(base(c), "min_score" | "min_grade"))
    });
    if !wanted || view.facts.score.is_none() {
        return Ok(Vec::new());
    }
    let t = &p.t;
    let candidates = [
        ("fix-arrears", vec![ChangeInput::ArrearsCleared]),
        (
            "fix-on-time",
            vec![ChangeInput::NoLateUtilityPayments { months: 12 }],
        ),
        (
            "fix-repaired",
            vec![ChangeInput::RecordsRepaired {
                record_ids: Vec::new(),
            }],
        ),
        (
            "fix-all",
            vec![
                ChangeInput::ArrearsCleared,
                ChangeInput::NoLateUtilityPayments { months: 12 },
                ChangeInput::RecordsRepaired {
                    record_ids: Vec::new(),
                },
            ],
        ),
    ];
    let mut out = Vec::new();
    let firm = &p.firm;
    for (key, changes) in candidates {
        let w = profiles::what_if(state.ctx(), &p.actor(), firm, None, changes)
            .await
            .map_err(|e| super::layout::unavailable(ServiceError::from(e)))?;
        if w.score_change <= 0 {
            continue;
        }
        let score = w.what_if.score.as_i64().unwrap_or_default() as i32;
        let grade = w.what_if.grade.as_str().and_then(|g| g.parse().ok());
        out.push((t.t(key), score, grade));
    }
    Ok(out)
}

fn base(c: &Check) -> &str {
    c.rule.strip_prefix("scheme.").unwrap_or(&c.rule)
}

/// The first fix that meets what a near miss's score or grade rule needs.
fn fix_for(
    n: &NearMissView<'_>,
    view: &MatchesView<'_>,
    fixes: &[(String, i32, Option<Grade>)],
    t: &T,
) -> Option<String> {
    use crate::domain::matching::Rule;
    let failed: Vec<&str> = n.failed.iter().map(base).collect();
    if failed
        .iter()
        .any(|r| !matches!(*r, "min_score" | "min_grade"))
    {
        return None;
    }
    let mut rules = n.product.product.spec.rules.iter().collect::<Vec<_>>();
    rules.retain(|r| matches!(r, Rule::MinScore { .. } | Rule::MinGrade { .. }));
    let meets = |score: i32, grade: Option<Grade>| {
        rules.iter().all(|r| match r {
            Rule::MinScore { score: need } => score >= *need,
            Rule::MinGrade { grade: need } => grade.is_some_and(|g| g >= *need),
            _ => true,
        })
    };
    let now = view.facts.score?;
    fixes
        .iter()
        .find(|(_, s, g)| meets(*s, *g))
        .map(|(words, s, _)| {
            t.with(
                "fix-gives",
                &[
                    ("change", words.clone()),
                    ("from", now.to_string()),
                    ("to", s.to_string()),
                ],
            )
        })
}

fn render_offers(
    t: &T,
    v: &MatchesView<'_>,
    kind: &str,
    fixes: &[(String, i32, Option<Grade>)],
    owner: bool,
) -> Markup {
    let shown = |k: ProductKind| kind.is_empty() || kind == k.as_str();
    let offers: Vec<_> = v
        .offers
        .iter()
        .filter(|o| shown(o.product.product.spec.kind))
        .collect();
    let misses: Vec<_> = v
        .near_misses
        .iter()
        .filter(|n| shown(n.product.product.spec.kind))
        .collect();
    let apply_href = |id: &str| {
        format!(
            "/firm/apply?product={id}&amount={}&term_months={}",
            v.amount, v.term_months
        )
    };
    html! {
        div.card {
            h2 { (t.with("offers-for", &[("amount", t.money(v.amount)), ("months", v.term_months.to_string())])) }
            p.muted { (t.with("offers-checked", &[("offers", offers.len().to_string()), ("checked", v.products_checked.to_string())])) }
            @if offers.is_empty() { p.notice { (t.t("offers-none")) } }
            ol.offers {
                @for o in &offers {
                    li.offer id={ "offer-" (o.product.product.id) } {
                        div.offer-head {
                            span.rank { (o.rank) }
                            div {
                                h3 { (o.product.product.spec.name) }
                                p.muted { (o.product.institution_name.unwrap_or(&o.product.product.institution_id)) " · " (t.code("kind", o.product.product.spec.kind.as_str())) }
                            }
                            div.total {
                                div.big { (t.percent(o.cost.all_in_rate)) }
                                div.muted { (t.t("all-in-rate")) }
                            }
                        }
                        (words::cost(t, o.cost))
                        @if owner && o.product.product.spec.kind != ProductKind::GuaranteeScheme {
                            p { a.button href=(apply_href(&o.product.product.id)) { (t.t("apply-this")) } }
                        }
                    }
                }
            }
        }
        @if !misses.is_empty() {
            div.card {
                h2 { (t.t("near-misses-title")) }
                p { (t.t("near-misses-intro")) }
                ul.misses {
                    @for n in &misses {
                        li {
                            h3 { (n.product.product.spec.name) }
                            p.muted { (n.product.institution_name.unwrap_or(&n.product.product.institution_id)) " · " (t.t("if-eligible")) " " (t.percent(n.cost_if_eligible.all_in_rate)) " (" (t.money(n.cost_if_eligible.all_in_total)) ")" }
                            ul {
                                @for c in n.failed {
                                    li { (missed(t, c, n, v)) }
                                }
                            }
                            @if let Some(fix) = fix_for(n, v, fixes, t) { p.fix { (fix) } }
                        }
                    }
                }
            }
        }
    }
}

/// A missed rule in words: what the product asks and what the firm has.
fn missed(t: &T, c: &Check, n: &NearMissView<'_>, v: &MatchesView<'_>) -> String {
    let rule = base(c);
    let product_rule = n
        .product
        .product
        .spec
        .rules
        .iter()
        .find(|r| r.type_name() == rule);
    let need = match (rule, product_rule) {
        (_, Some(r)) => words::requirement(t, r),
        ("amount", _) => t.with(
            "need-amount",
            &[
                ("from", t.money(n.product.product.spec.amount_min)),
                ("to", t.money(n.product.product.spec.amount_max)),
            ],
        ),
        ("term", _) => t.with(
            "need-term",
            &[
                ("from", n.product.product.spec.term_min_months.to_string()),
                ("to", n.product.product.spec.term_max_months.to_string()),
            ],
        ),
        // A rule of the scheme the loan relies on: the service's own words.
        _ => return c.message.clone(),
    };
    match words::fact(t, rule, &v.facts) {
        Some(have) => t.with("missed", &[("need", need), ("have", have)]),
        None => need,
    }
}

/// The public catalogue: every live product (filter by kind, institution, amount and term).
#[get("/catalogue")]
pub async fn catalogue(
    state: web::Data<AppState>,
    req: HttpRequest,
    q: web::Query<OfferForm>,
) -> actix_web::Result<HttpResponse> {
    let t = T(Lang::of(&req));
    let who = signed_in(&state, &req).await?;
    let form = q.into_inner();
    let mut errors = FieldErrors::default();
    let amount = form
        .amount
        .trim()
        .replace([',', '，'], "")
        .replace('元', "");
    let amount = if amount.is_empty() {
        None
    } else {
        match Money::parse(&amount) {
            Ok(m) => Some(m),
            Err(_) => {
                errors.0.push(("amount".into(), t.t("rule-money_format")));
                None
            }
        }
    };
    let term = match form.term_months.trim() {
        "" => None,
        s => match s.parse::<i32>() {
            Ok(m) => Some(m),
            Err(_) => {
                errors
                    .0
                    .push(("term_months".into(), t.t("rule-whole-number")));
                None
            }
        },
    };
    let kind = (!form.kind.is_empty()).then_some(form.kind.as_str());
    let b = match products::Browse::parse(kind, None, false, None, 500) {
        Ok(b) => b,
        Err(e) => return super::layout::refusal(&t, None, ServiceError::from(e)),
    };
    let list = products::browse(state.ctx(), b)
        .await
        .map_err(|e| super::layout::unavailable(ServiceError::from(e)))?;
    let names: HashMap<String, String> = crate::service::institutions::public_names(state.ctx())
        .await
        .map_err(super::layout::unavailable)?;
    let institution = form.institution.trim();
    let today = state.clock.today();
    let shown: Vec<_> = list
        .iter()
        .filter(|p| p.spec.valid_on(today))
        .filter(|p| institution.is_empty() || p.institution_id == institution)
        .filter(|p| amount.is_none_or(|a| p.spec.amount_min <= a && a <= p.spec.amount_max))
        .filter(|p| term.is_none_or(|m| p.spec.term_min_months <= m && m <= p.spec.term_max_months))
        .collect();
    let mut institutions: Vec<(&String, &String)> = names
        .iter()
        .filter(|(id, _)| list.iter().any(|p| &p.institution_id == *id))
        .collect();
    institutions.sort_by(|a, b| a.1.cmp(b.1));
    let body = html! {
        div.card {
            h1 { (t.t("catalogue-title")) }
            p { (t.t("catalogue-intro")) }
            @if who.is_none() { p.notice { (t.t("catalogue-sign-in")) " " a href="/" { (t.t("sign-in")) } } }
            form.inline-form method="get" action="/catalogue" {
                (kind_select(&t, &form.kind, true))
                div.field {
                    label for="institution" { (t.t("institution")) }
                    select id="institution" name="institution" {
                        option value="" selected[institution.is_empty()] { (t.t("institution-all")) }
                        @for (id, name) in &institutions { option value=(id) selected[institution == id.as_str()] { (name) } }
                    }
                }
                (super::layout::field(&t.t("ask-amount"), "amount", "text", &form.amount, &errors))
                (super::layout::field(&t.t("ask-term"), "term_months", "number", &form.term_months, &errors))
                button type="submit" { (t.t("filter")) }
            }
            p.muted { (t.with("catalogue-count", &[("count", shown.len().to_string())])) }
        }
        @for p in &shown {
            div.card.product id={ "product-" (p.id) } {
                h2 { (p.spec.name) }
                p.muted { (names.get(&p.institution_id).unwrap_or(&p.institution_id)) " · " (t.code("kind", p.spec.kind.as_str()))
                    @if let Some(s) = p.spec.subtype { " · " (t.code("subtype", s.as_str())) } }
                @if let Some(d) = &p.spec.description { p { (d) } }
                (words::terms(&t, &p.spec))
                h3 { (t.t("rules-title")) }
                (words::rules(&t, &p.spec))
            }
        }
    };
    let frame = who.as_ref().map(|w| Frame {
        csrf: &w.csrf,
        unread: 0,
        nav: super::layout::Nav::of(&w.account.membership),
    });
    Ok(page(
        &t,
        &t.t("catalogue-title"),
        "/catalogue",
        frame.as_ref(),
        body,
    ))
}
