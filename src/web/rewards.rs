//! Agencies' rewards on the pages (Art 28, issue 17): the agency sees what each agency-reward policy
//! computes for it over a period (the qualifying contracts, the average balance, the reward, the
//! contracts left out and why) and claims it; the government approves the claims (computed again at
//! approval) and records their payment. Both see where each claim stands.

use super::claims::Names;
use super::layout::{see_other, FieldErrors, T};
use super::session::{AgencyStaff, CsrfForm, Official, Staff};
use crate::api::AppState;
use crate::domain::states::RewardStatus;
use crate::domain::subsidy::Formula;
use crate::service::agencies;
use crate::service::rewards::{self, RewardClaimView, RewardError};
use crate::service::ServiceError;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use chrono::Datelike;
use maud::{html, Markup};

#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct PeriodForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub policy_id: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
}

/// The claims as a table, with the government's buttons where it may move them.
fn claims_table(t: &T, csrf: &str, rows: &[RewardClaimView], names: &Names, gov: bool) -> Markup {
    html! {
        div.scroll tabindex="0" {
            table #reward-claims {
                caption { (t.t("rewards-claims")) }
                thead { tr {
                    @if gov { th scope="col" { (t.t("batch-agency")) } }
                    th scope="col" { (t.t("batch-policy")) }
                    th scope="col" { (t.t("line-period")) }
                    th scope="col" .num { (t.t("rewards-contracts")) }
                    th scope="col" .num { (t.t("rewards-average")) }
                    th scope="col" .num { (t.t("rewards-reward")) }
                    th scope="col" { (t.t("batch-status")) }
                    @if gov { th scope="col" { "" } }
                } }
                tbody {
                    @for r in rows {
                        tr id={ "reward-" (r.id) } {
                            @if gov { td { (names.institution(&r.agency_id)) } }
                            td { (names.policy(&r.policy_id)) }
                            td.period { (t.date(r.from)) " – " (t.date(r.to.pred_opt().unwrap_or(r.to))) }
                            td.num { (r.eligible_contracts) }
                            td.num { (t.money(r.average_balance)) }
                            td.num { (t.money(r.reward)) }
                            td { span class={ "pill " (r.status.as_str()) } { (t.code("reward", r.status.as_str())) } }
                            @if gov {
                                td {
                                    @let step = match r.status { RewardStatus::Claimed => Some(("approve", "batch-approve")), RewardStatus::Approved => Some(("paid", "batch-mark-paid")), RewardStatus::Paid => None };
                                    @if let Some((action, key)) = step {
                                        form.inline method="post" action={ "/gov/rewards/" (r.id) "/" (action) } {
                                            input type="hidden" name="csrf" value=(csrf);
                                            button type="submit" { (t.t(key)) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The agency-reward policies, each with what it computes for the agency over the period asked, and the
/// agency's claims.
#[get("/agency/rewards")]
pub async fn agency_rewards(
    state: web::Data<AppState>,
    s: AgencyStaff,
    q: web::Query<PeriodForm>,
) -> actix_web::Result<HttpResponse> {
    render(
        &state,
        &s,
        q.into_inner(),
        &FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

async fn render(
    state: &AppState,
    s: &AgencyStaff,
    mut f: PeriodForm,
    errors: &FieldErrors,
    status: StatusCode,
) -> actix_web::Result<HttpResponse> {
    let t = &s.t;
    let today = state.clock.today();
    if f.from.is_empty() {
        f.from = format!("{}-01-01", today.year());
    }
    if f.to.is_empty() {
        f.to = today.to_string();
    }
    let policies: Vec<_> = crate::service::policies::list(state.ctx())
        .await
        .map_err(|e| super::layout::unavailable(ServiceError::from(e)))?
        .into_iter()
        .filter(|p| matches!(p.spec.formula, Formula::AgencyReward { .. }))
        .collect();
    let mut computed = Vec::new();
    let mut faults = errors.0.clone();
    for p in &policies {
        match agencies::reward(state.ctx(), &s.actor, &p.id, &s.agency, &f.from, &f.to).await {
            Ok(r) => computed.push((p, Some(r))),
            Err(agencies::AgencyError::Invalid(v)) => {
                faults.extend(FieldErrors::of(t, &v).0);
                computed.push((p, None));
            }
            Err(e) => return s.refusal(e),
        }
    }
    faults.dedup();
    let errors = FieldErrors(faults);
    let claims = match rewards::list(state.ctx(), &s.actor).await {
        Ok(c) => c,
        Err(e) => return s.refusal(e),
    };
    let names = Names::load(state).await?;
    let body = html! {
        div.card {
            h1 { (t.t("rewards-title")) }
            p { (t.t("rewards-intro")) }
            form.filters method="get" action="/agency/rewards" {
                (super::layout::field(&t.t("rewards-from"), "from", "date", &f.from, &errors))
                (super::layout::field(&t.t("rewards-to"), "to", "date", &f.to, &errors))
                button type="submit" { (t.t("rewards-compute")) }
            }
            @let others = errors.others(&["from", "to"]);
            @if !others.is_empty() { p.error role="alert" { (others.join(" ")) } }
        }
        @if policies.is_empty() { div.card { p.notice { (t.t("rewards-no-policy")) } } }
        @for (p, r) in &computed {
            div.card.reward {
                h2 { (p.spec.name) }
                @if let Some(r) = r {
                    dl {
                        dt { (t.t("line-period")) } dd { (t.date(r.from)) " – " (t.date(r.to.pred_opt().unwrap_or(r.to))) " (" (t.with("days-n", &[("days", r.days.to_string())])) ")" }
                        dt { (t.t("rewards-contracts")) } dd { (r.eligible_contracts) }
                        dt { (t.t("rewards-average")) } dd { (t.money(r.average_balance)) }
                        dt { (t.t("rewards-reward")) } dd.reward-amount { strong { (t.money(r.reward)) } }
                    }
                    @if !r.tiers.is_empty() {
                        div.scroll tabindex="0" { table.tiers {
                            caption { (t.t("rewards-tiers")) }
                            thead { tr {
                                th scope="col" { (t.t("rewards-tier")) }
                                th.num scope="col" { (t.t("rewards-tier-rate")) }
                                th.num scope="col" { (t.t("rewards-contracts")) }
                                th.num scope="col" { (t.t("rewards-average")) }
                                th.num scope="col" { (t.t("rewards-reward")) }
                            } }
                            tbody { @for x in &r.tiers {
                                tr {
                                    td { (if x.label == "rest" { t.t("rewards-tier-rest") } else { x.label.clone() }) }
                                    td.num { (t.percent(x.rate)) }
                                    td.num { (x.guarantees) }
                                    td.num { (t.money(x.average_balance)) }
                                    td.num { (t.money(x.reward)) }
                                }
                            } }
                        } }
                    }
                    @if !r.excluded.is_empty() {
                        details {
                            summary { (t.with("rewards-excluded", &[("count", r.excluded.len().to_string())])) }
                            ul { @for x in r.excluded.iter().take(50) { li { span.mono { (x.contract_no) } " — " (x.reason) } } }
                        }
                    }
                    form method="post" action="/agency/rewards" {
                        input type="hidden" name="csrf" value=(s.who.csrf);
                        input type="hidden" name="policy_id" value=(p.id);
                        input type="hidden" name="from" value=(f.from);
                        input type="hidden" name="to" value=(f.to);
                        button type="submit" { (t.t("rewards-claim")) }
                    }
                }
            }
        }
        div.card {
            h2 { (t.t("rewards-claims")) }
            @if claims.is_empty() { p.notice { (t.t("rewards-none")) } }
            @else { (claims_table(t, &s.who.csrf, &claims, &names, false)) }
        }
    };
    Ok(super::layout::with_status(
        s.page(&t.t("rewards-title"), "/agency/rewards", body),
        status,
    ))
}

/// Claim the reward computed for the period; back to the page, which lists the claim.
#[post("/agency/rewards")]
pub async fn claim(
    state: web::Data<AppState>,
    s: AgencyStaff,
    f: web::Form<PeriodForm>,
) -> actix_web::Result<HttpResponse> {
    if let Some(r) = s.forged(&f.csrf) {
        return Ok(r);
    }
    let f = f.into_inner();
    let t = &s.t;
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    match rewards::claim(state.ctx(), &s.actor, &f.policy_id, &f.from, &f.to).await {
        Ok(c) => Ok(see_other(&format!(
            "/agency/rewards?from={}&to={}#reward-{}",
            c.from, c.to, c.id
        ))),
        Err(RewardError::Agency(agencies::AgencyError::Invalid(v))) => {
            render(&state, &s, f, &FieldErrors::of(t, &v), unprocessable).await
        }
        Err(e @ RewardError::Overlap { .. }) => {
            let errors = FieldErrors(vec![("period".into(), e.to_string())]);
            render(&state, &s, f, &errors, StatusCode::CONFLICT).await
        }
        Err(e) => s.refusal(e),
    }
}

/// Every agency's reward claims, those awaiting approval first.
#[get("/gov/rewards")]
pub async fn gov_rewards(
    state: web::Data<AppState>,
    s: Official,
) -> actix_web::Result<HttpResponse> {
    let t = &s.t;
    let mut claims = match rewards::list(state.ctx(), &s.actor).await {
        Ok(c) => c,
        Err(e) => return s.refusal(e),
    };
    let order = |st: RewardStatus| match st {
        RewardStatus::Claimed => 0,
        RewardStatus::Approved => 1,
        RewardStatus::Paid => 2,
    };
    claims.sort_by_key(|c| order(c.status));
    let names = Names::load(&state).await?;
    let body = html! {
        div.card {
            h1 { (t.t("gov-rewards-title")) }
            p { (t.t("gov-rewards-intro")) }
            @if claims.is_empty() { p.notice { (t.t("rewards-none")) } }
            @else { (claims_table(t, &s.who.csrf, &claims, &names, true)) }
        }
    };
    Ok(s.page(&t.t("gov-rewards-title"), "/gov/rewards", body))
}

/// Approve a reward claim or record its payment.
#[post("/gov/rewards/{id}/{step}")]
pub async fn move_claim(
    state: web::Data<AppState>,
    s: Official,
    path: web::Path<(String, String)>,
    f: web::Form<CsrfForm>,
) -> actix_web::Result<HttpResponse> {
    if let Some(r) = s.forged(&f.csrf) {
        return Ok(r);
    }
    let (id, step) = path.into_inner();
    let staff: &Staff = &s;
    let moved = match step.as_str() {
        "approve" => rewards::approve(state.ctx(), &staff.actor, &id).await,
        "paid" => rewards::pay(state.ctx(), &staff.actor, &id).await,
        _ => return Ok(HttpResponse::NotFound().finish()),
    };
    match moved {
        Ok(c) => Ok(see_other(&format!("/gov/rewards#reward-{}", c.id))),
        Err(e) => s.refusal(e),
    }
}
