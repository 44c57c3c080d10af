//! Receivables and IP (Art 27, 54): register a receivable a buyer owes the firm; as a debtor, confirm or
//! dispute what suppliers registered, each with how long it has waited; register patents and trademarks
//! with their appraisals.

use super::layout::{field, FieldErrors, T};
use super::session::Person;
use crate::api::AppState;
use crate::domain::Money;
use crate::service::assets::{self, IpRequest};
use crate::service::receivables::{self, Answer, NewReceivable, Side};
use crate::service::ServiceError;
use crate::store::receivables::ReceivableRow;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use maud::{html, Markup};

#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct ReceivableForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub debtor_uscc: String,
    #[serde(default)]
    pub invoice_no: String,
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub due_on: String,
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct IpForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub number: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub appraised_value: String,
    #[serde(default)]
    pub appraised_on: String,
}

#[get("/firm/assets")]
pub async fn page(state: web::Data<AppState>, p: Person) -> actix_web::Result<HttpResponse> {
    render(
        &state,
        &p,
        &Default::default(),
        &Default::default(),
        &FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

async fn render(
    state: &AppState,
    p: &Person,
    rf: &ReceivableForm,
    ipf: &IpForm,
    errors: &FieldErrors,
    status: StatusCode,
) -> actix_web::Result<HttpResponse> {
    let t = &p.t;
    let actor = p.actor();
    let ctx = state.ctx();
    let (mine, owed, ip) = match (
        receivables::list(ctx, &actor, Side::Creditor, None, 200).await,
        receivables::list(ctx, &actor, Side::Debtor, None, 200).await,
        assets::list_ip(ctx, &actor).await,
    ) {
        (Ok(a), Ok(b), Ok(c)) => (a, b, c),
        (Err(e), ..) | (_, Err(e), _) => {
            return super::layout::refusal(t, Some(&p.frame()), ServiceError::from(e))
        }
        (_, _, Err(e)) => {
            return super::layout::refusal(t, Some(&p.frame()), ServiceError::from(e))
        }
    };
    let owner = p.is_owner();
    let now = state.clock.now();
    let body = html! {
        div.card {
            h1 { (t.t("assets-title")) }
            p { (t.t("assets-intro")) }
        }
        div.card id="owed" {
            h2 { (t.t("owed-title")) }
            p { (t.t("owed-intro")) }
            @if owed.is_empty() { p { (t.t("none-yet")) } }
            @else { (receivable_table(t, p, &owed, true, owner, now)) }
        }
        div.card id="mine" {
            h2 { (t.t("mine-title")) }
            @if mine.is_empty() { p { (t.t("none-yet")) } }
            @else { (receivable_table(t, p, &mine, false, owner, now)) }
            @if owner {
                h3 { (t.t("register-receivable")) }
                form method="post" action="/firm/receivables" novalidate {
                    input type="hidden" name="csrf" value=(p.who.csrf);
                    (field(&t.t("debtor-uscc"), "debtor_uscc", "text", &rf.debtor_uscc, errors))
                    (field(&t.t("invoice-no"), "invoice_no", "text", &rf.invoice_no, errors))
                    (field(&t.t("ask-amount"), "amount", "text", &rf.amount, errors))
                    (field(&t.t("due-date"), "due_on", "date", &rf.due_on, errors))
                    button type="submit" { (t.t("register")) }
                }
            }
        }
        div.card id="ip" {
            h2 { (t.t("ip-title")) }
            @if ip.is_empty() { p { (t.t("none-yet")) } }
            @else {
                div.scroll tabindex="0" { table {
                    thead { tr { th scope="col" { (t.t("ip-kind")) } th scope="col" { (t.t("ip-number")) } th scope="col" { (t.t("ip-name")) } th.num scope="col" { (t.t("ip-value")) } th scope="col" { (t.t("ip-appraised-on")) } th scope="col" { (t.t("status")) } } }
                    tbody { @for a in &ip { tr {
                        td { (t.code("ip", &a.kind)) } td { (a.number) } td { (a.title) }
                        td.num { (t.money(a.appraised_value)) } td { (t.date(a.appraised_on)) }
                        td { (if a.pledged_application_id.is_some() { t.t("ip-pledged") } else { t.t("ip-free") }) }
                    } } }
                } }
            }
            @if owner {
                h3 { (t.t("register-ip")) }
                form method="post" action="/firm/ip" novalidate {
                    input type="hidden" name="csrf" value=(p.who.csrf);
                    div.field {
                        label for="kind" { (t.t("ip-kind")) }
                        select id="kind" name="kind" {
                            @for k in ["patent", "trademark"] { option value=(k) selected[ipf.kind == k] { (t.code("ip", k)) } }
                        }
                    }
                    (field(&t.t("ip-number"), "number", "text", &ipf.number, errors))
                    (field(&t.t("ip-name"), "title", "text", &ipf.title, errors))
                    (field(&t.t("ip-value"), "appraised_value", "text", &ipf.appraised_value, errors))
                    (field(&t.t("ip-appraised-on"), "appraised_on", "date", &ipf.appraised_on, errors))
                    button type="submit" { (t.t("register")) }
                }
            }
        }
    };
    Ok(super::layout::with_status(
        p.page(&t.t("assets-title"), "/firm/assets", body),
        status,
    ))
}

fn receivable_table(
    t: &T,
    p: &Person,
    rows: &[ReceivableRow],
    as_debtor: bool,
    owner: bool,
    now: chrono::NaiveDateTime,
) -> Markup {
    html! {
        div.scroll tabindex="0" { table {
            thead { tr {
                th scope="col" { (t.t(if as_debtor { "creditor" } else { "debtor" })) }
                th scope="col" { (t.t("invoice-no")) }
                th.num scope="col" { (t.t("ask-amount")) }
                th scope="col" { (t.t("due-date")) }
                th scope="col" { (t.t("status")) }
                th scope="col" { (t.t("waiting")) }
                @if as_debtor && owner { th scope="col" { (t.t("actions")) } }
            } }
            tbody { @for r in rows {
                @let pending = r.status.as_str() == "pending";
                @let waited = (r.decided_at.unwrap_or(now) - r.registered_at).num_days();
                tr id={ "receivable-" (r.id) } {
                    td.mono { (if as_debtor { &r.creditor_uscc } else { &r.debtor_uscc }) }
                    td { (r.invoice_no) }
                    td.num { (t.money(Money::from_fen(r.amount_fen))) }
                    td { (t.date(r.due_on)) }
                    td { span class={ "pill " (r.status.as_str()) } { (t.code("receivable", r.status.as_str())) }
                        @if let Some(d) = &r.dispute_reason { div.muted { (d) } } }
                    td { (t.with(if pending { "waiting-days" } else { "answered-days" }, &[("days", waited.to_string())])) }
                    @if as_debtor && owner {
                        td { @if pending {
                            form.inline method="post" action={ "/firm/receivables/" (r.id) "/confirm" } {
                                input type="hidden" name="csrf" value=(p.who.csrf);
                                button type="submit" { (t.t("confirm")) }
                            }
                            form method="post" action={ "/firm/receivables/" (r.id) "/dispute" } {
                                input type="hidden" name="csrf" value=(p.who.csrf);
                                label for={ "reason-" (r.id) } { (t.t("dispute-reason")) }
                                input type="text" id={ "reason-" (r.id) } name="reason" required;
                                button.secondary type="submit" { (t.t("dispute")) }
                            }
                        } }
                    }
                }
            } }
        } }
    }
}

#[post("/firm/receivables")]
pub async fn register_receivable(
    state: web::Data<AppState>,
    p: Person,
    f: web::Form<ReceivableForm>,
) -> actix_web::Result<HttpResponse> {
    let f = f.into_inner();
    if let Some(r) = p.refused(&f.csrf) {
        return Ok(r);
    }
    let t = &p.t;
    let amount = f.amount.replace([',', '，', ' '], "").replace('元', "");
    let errors = match NewReceivable::parse(&f.debtor_uscc, &f.invoice_no, &amount, &f.due_on) {
        Err(v) => FieldErrors::of(t, &v),
        Ok(new) => match receivables::register(state.ctx(), &p.firm, new).await {
            Ok(_) => return Ok(super::layout::see_other("/firm/assets#mine")),
            Err(receivables::ReceivableError::Invalid(v)) => FieldErrors::of(t, &v),
            Err(e) => return super::layout::refusal(t, Some(&p.frame()), ServiceError::from(e)),
        },
    };
    render(
        &state,
        &p,
        &f,
        &IpForm::default(),
        &errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

#[derive(Debug, serde::Deserialize)]
pub struct AnswerForm {
    pub csrf: String,
    #[serde(default)]
    pub reason: String,
}

async fn answer(
    state: &AppState,
    p: &Person,
    id: &str,
    f: &AnswerForm,
    a: Answer,
) -> actix_web::Result<HttpResponse> {
    if let Some(r) = p.refused(&f.csrf) {
        return Ok(r);
    }
    match receivables::answer(state.ctx(), &p.actor(), id, a).await {
        Ok(_) => Ok(super::layout::see_other("/firm/assets#owed")),
        Err(e) => super::layout::refusal(&p.t, Some(&p.frame()), ServiceError::from(e)),
    }
}

#[post("/firm/receivables/{id}/confirm")]
pub async fn confirm(
    state: web::Data<AppState>,
    p: Person,
    id: web::Path<String>,
    f: web::Form<AnswerForm>,
) -> actix_web::Result<HttpResponse> {
    answer(&state, &p, &id, &f, Answer::Confirm).await
}

#[post("/firm/receivables/{id}/dispute")]
pub async fn dispute(
    state: web::Data<AppState>,
    p: Person,
    id: web::Path<String>,
    f: web::Form<AnswerForm>,
) -> actix_web::Result<HttpResponse> {
    let reason = f.reason.trim().to_string();
    if reason.is_empty() {
        return Ok(p.stop(StatusCode::UNPROCESSABLE_ENTITY, "dispute-needs-reason"));
    }
    answer(&state, &p, &id, &f, Answer::Dispute { reason }).await
}

#[post("/firm/ip")]
pub async fn register_ip(
    state: web::Data<AppState>,
    p: Person,
    f: web::Form<IpForm>,
) -> actix_web::Result<HttpResponse> {
    let f = f.into_inner();
    if let Some(r) = p.refused(&f.csrf) {
        return Ok(r);
    }
    let t = &p.t;
    let req = IpRequest {
        kind: f.kind.clone(),
        number: f.number.clone(),
        title: f.title.clone(),
        appraised_value: f
            .appraised_value
            .replace([',', '，', ' '], "")
            .replace('元', ""),
        appraised_on: f.appraised_on.clone(),
    };
    let errors = match assets::register_ip(state.ctx(), &p.firm, req).await {
        Ok(_) => return Ok(super::layout::see_other("/firm/assets#ip")),
        Err(assets::AssetError::Invalid(v)) => FieldErrors::of(t, &v),
        Err(e) => return super::layout::refusal(t, Some(&p.frame()), ServiceError::from(e)),
    };
    render(
        &state,
        &p,
        &ReceivableForm::default(),
        &f,
        &errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}
