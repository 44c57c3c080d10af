//! The financing catalogue over HTTP (Art 21, 27-30, 37): banks publish loans, receivable financing and
//! IP-pledge loans, guarantee agencies publish guarantee schemes; anyone reads the catalogue; a firm sees
//! the products it qualifies for, ranked by all-in cost, and the ones it narrowly misses, explained.

use super::auth::Principal;
use super::error::{ApiResult, FieldError, JsonLine};
use super::extract::{both, decode_cursor, page, page_limit, parse_uscc, with_rules, Json, Query};
use super::{AppState, Page};
use crate::domain::matching::{Ask, ProductSpec};
use crate::service::products::{self, Browse, ProductView};
use crate::service::Violation;

use actix_web::{delete, get, post, put, web, HttpResponse};
use serde::Deserialize;
use serde_json::Value;

/// A specification from its JSON, and the faults reading it found (its rules, one by one).
fn read_spec(body: &Value) -> ApiResult<(ProductSpec, Vec<Violation>)> {
    let (mut spec, rules, faults) = with_rules::<ProductSpec>(body)?;
    spec.rules = rules;
    Ok((
        spec,
        faults.into_iter().map(FieldError::into_violation).collect(),
    ))
}

/// Publish a product (bank: `bank_loan`, `receivable_financing`, `ip_pledge`; guarantee agency:
/// `guarantee_scheme`). Eligibility rules are typed data; unknown rule types are refused.
#[utoipa::path(tag = "products", security(("bearer" = [])), responses(
    (status = 201, description = "the product", body = ProductView),
    (status = 422, body = super::error::Problem, content_type = "application/problem+json")))]
#[post("/v1/products")]
pub async fn create_product(
    state: web::Data<AppState>,
    who: Principal,
    body: Json<Value>,
) -> ApiResult<HttpResponse> {
    let (spec, faults) = read_spec(&body.0)?;
    let view = products::publish(state.ctx(), &who.actor, spec, faults).await?;
    Ok(HttpResponse::Created()
        .insert_header(("location", format!("/v1/products/{}", view.id)))
        .json_line(view))
}

/// Replace a product's specification (its publisher only). The kind cannot change.
#[utoipa::path(tag = "products", security(("bearer" = [])), params(("id" = String, Path)), responses(
    (status = 200, description = "the product", body = ProductView),
    (status = 422, body = super::error::Problem, content_type = "application/problem+json")))]
#[put("/v1/products/{id}")]
pub async fn update_product(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
    body: Json<Value>,
) -> ApiResult<HttpResponse> {
    let (spec, faults) = read_spec(&body.0)?;
    let view = products::update(state.ctx(), &who.actor, &id, spec, faults).await?;
    Ok(HttpResponse::Ok().json_line(view))
}

/// Withdraw a product (its publisher only): it leaves the catalogue; applications keep their history.
#[utoipa::path(tag = "products", security(("bearer" = [])), params(("id" = String, Path)), responses(
    (status = 200, description = "the withdrawn product", body = ProductView)))]
#[delete("/v1/products/{id}")]
pub async fn withdraw_product(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let view = products::withdraw(state.ctx(), &who.actor, &id).await?;
    Ok(HttpResponse::Ok().json_line(view))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub kind: Option<String>,
    pub institution_id: Option<String>,
    /// Include withdrawn products.
    pub all: Option<bool>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The public catalogue, oldest first (`kind`, `institution_id`, `all=true` for withdrawn ones too).
#[utoipa::path(tag = "products", params(
    ("kind" = Option<String>, Query), ("institution_id" = Option<String>, Query),
    ("all" = Option<bool>, Query), ("limit" = Option<i64>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, description = "a page of products", body = Page<ProductView>)))]
#[get("/v1/products")]
pub async fn list_products(
    state: web::Data<AppState>,
    q: Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.0;
    let (limit, after) = both(
        page_limit(q.limit),
        q.cursor
            .as_deref()
            .map(|c| decode_cursor("products", c))
            .transpose(),
    )?;
    let all = q.all.unwrap_or(false);
    let b = Browse::parse(q.kind.as_deref(), q.institution_id, all, after, limit)?;
    let rows = products::browse(state.ctx(), b).await?;
    let (items, next_cursor) = page(rows, limit, "products", |r| &r.id);
    Ok(HttpResponse::Ok().json_line(Page { items, next_cursor }))
}

#[utoipa::path(tag = "products", params(("id" = String, Path)), responses(
    (status = 200, description = "the product", body = ProductView), (status = 404, body = super::error::Problem)))]
#[get("/v1/products/{id}")]
pub async fn get_product(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json_line(products::get(state.ctx(), &id).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchQuery {
    /// Yuan, a decimal string.
    pub amount: String,
    pub term_months: i32,
}

pub fn parse_ask(amount: &str, term_months: i32, today: chrono::NaiveDate) -> ApiResult<Ask> {
    crate::service::applications::ask(amount, term_months, today)
        .map_err(|v| crate::service::ServiceError::Invalid(v).into())
}

/// The firm's matches: eligible products ranked by all-in annual cost (interest + fees + guarantee fee −
/// subsidies, each component shown), and near misses with each failed rule said plainly.
#[utoipa::path(tag = "products", security(("bearer" = [])), params(("uscc" = String, Path),
    ("amount" = String, Query), ("term_months" = i32, Query)), responses(
    (status = 200, description = "offers and near misses", body = crate::service::matching::MatchesView),
    (status = 422, body = super::error::Problem, content_type = "application/problem+json")))]
#[get("/v1/firms/{uscc}/matches")]
pub async fn firm_matches(
    state: web::Data<AppState>,
    who: Principal,
    uscc: web::Path<String>,
    q: Query<MatchQuery>,
) -> ApiResult<HttpResponse> {
    let uscc = parse_uscc("uscc", &uscc)?;
    let ask = parse_ask(&q.0.amount, q.0.term_months, state.clock.today())?;
    let matched = crate::service::matching::for_firm(state.ctx(), &who.actor, &uscc, ask).await?;
    let m = matched.result();
    Ok(HttpResponse::Ok().json_line(matched.view(&m)))
}
