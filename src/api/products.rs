//! The financing catalogue over HTTP (Art 21, 27-30, 37): banks publish loans, receivable financing and
//! IP-pledge loans, guarantee agencies publish guarantee schemes; anyone reads the catalogue; a firm sees
//! the products it qualifies for, ranked by all-in cost, and the ones it narrowly misses, explained.

use super::auth::Principal;
use super::error::{ApiError, ApiResult, FieldError, JsonLine};
use super::extract::{
    cursor_position, page, page_limit, parse_uscc, rfc3339 as ts, with_rules, Json, Query,
};
use super::AppState;
use crate::domain::matching::{Ask, ProductKind, ProductSpec};
use crate::domain::role::Role;
use crate::financing::{parse_row, Catalogue};
use crate::service::Actor;
use crate::store::products::{self as store, Filter, ProductRow};

use actix_web::{delete, get, post, put, web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// A product as served: its specification, who publishes it, whether it is live.
pub fn view(row: &ProductRow) -> Value {
    let mut v = match parse_row(row) {
        Some(p) => serde_json::to_value(&p).unwrap_or(Value::Null),
        None => json!({ "id": row.id, "institution_id": row.institution_id }),
    };
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "status".into(),
            json!(if row.withdrawn_at.is_some() {
                "withdrawn"
            } else {
                "active"
            }),
        );
        o.insert("created_at".into(), json!(ts(row.created_at)));
        o.insert("updated_at".into(), json!(ts(row.updated_at)));
        o.insert("withdrawn_at".into(), json!(row.withdrawn_at.map(ts)));
    }
    v
}

/// Parse and check a specification: every broken field at once, rules one by one (`rules[2].type`).
fn parse_spec(body: &Value) -> ApiResult<ProductSpec> {
    let (mut spec, rules, mut errors) = with_rules::<ProductSpec>(body)?;
    spec.rules = rules;
    errors.extend(
        spec.violations()
            .into_iter()
            .map(|v| FieldError::new(v.field, v.rule, v.message)),
    );
    if errors.is_empty() {
        Ok(spec)
    } else {
        Err(ApiError::fields(errors))
    }
}

/// Who may publish which kind: banks lend, guarantee agencies guarantee.
fn may_publish(who: &Principal, kind: ProductKind) -> ApiResult<String> {
    who.require(&[Role::Bank, Role::Guarantor])?;
    match (&who.actor, kind.is_lending()) {
        (Actor::Bank { institution }, true) | (Actor::Agency { institution }, false) => {
            Ok(institution.clone())
        }
        (Actor::Bank { .. }, false) => Err(ApiError::field(
            "kind",
            "product.publisher",
            "guarantee schemes are published by guarantee agencies, not banks",
        )),
        _ => Err(ApiError::field(
            "kind",
            "product.publisher",
            format!(
                "a guarantee agency publishes guarantee_scheme products, not {}",
                kind.as_str()
            ),
        )),
    }
}

/// A loan may rely on a live guarantee scheme only.
async fn check_scheme(state: &AppState, spec: &ProductSpec) -> ApiResult<()> {
    let Some(id) = spec.guarantee_scheme_id.clone() else {
        return Ok(());
    };
    let row = state.db.run(move |c| store::get(c, &id)).await?;
    match row {
        Some(r) if r.kind == "guarantee_scheme" && r.withdrawn_at.is_none() => Ok(()),
        Some(r) if r.kind != "guarantee_scheme" => Err(ApiError::field(
            "guarantee_scheme_id",
            "scheme.kind",
            format!("product {} is a {}, not a guarantee scheme", r.id, r.kind),
        )),
        Some(r) => Err(ApiError::field(
            "guarantee_scheme_id",
            "scheme.withdrawn",
            format!("guarantee scheme {} is withdrawn", r.id),
        )),
        None => Err(ApiError::field(
            "guarantee_scheme_id",
            "scheme.unknown",
            "no such guarantee scheme",
        )),
    }
}

/// Publish a product (bank: `bank_loan`, `receivable_financing`, `ip_pledge`; guarantee agency:
/// `guarantee_scheme`). Eligibility rules are typed data; unknown rule types are refused.
#[utoipa::path(tag = "products", security(("bearer" = [])), responses(
    (status = 201, description = "the product"),
    (status = 422, body = super::error::Problem, content_type = "application/problem+json")))]
#[post("/v1/products")]
pub async fn create_product(
    state: web::Data<AppState>,
    who: Principal,
    body: Json<Value>,
) -> ApiResult<HttpResponse> {
    let clock = state.clock.clone();
    let spec = parse_spec(&body.0)?;
    let institution = may_publish(&who, spec.kind)?;
    check_scheme(&state, &spec).await?;
    let at = clock.now();
    let row = ProductRow {
        id: uuid::Uuid::now_v7().to_string(),
        institution_id: institution,
        kind: spec.kind.as_str().into(),
        name: spec.name.trim().to_string(),
        spec: serde_json::to_string(&spec).map_err(|e| ApiError::Internal(e.into()))?,
        created_at: at,
        updated_at: at,
        withdrawn_at: None,
    };
    let stored = row.clone();
    state.db.run(move |c| store::insert(c, &stored)).await?;
    Catalogue::changed(&state.cache).await?;
    Ok(HttpResponse::Created()
        .insert_header(("location", format!("/v1/products/{}", row.id)))
        .json_line(view(&row)))
}

async fn owned(state: &AppState, who: &Principal, id: &str) -> ApiResult<ProductRow> {
    who.require(&[Role::Bank, Role::Guarantor])?;
    let i = id.to_string();
    let row = state
        .db
        .run(move |c| store::get(c, &i))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no product {id}")))?;
    if Some(row.institution_id.as_str()) != who.institution() {
        return Err(ApiError::Forbidden(format!(
            "product {id} belongs to another institution; only its publisher changes it"
        )));
    }
    if row.withdrawn_at.is_some() {
        return Err(ApiError::Conflict(format!("product {id} is withdrawn")));
    }
    Ok(row)
}

/// Replace a product's specification (its publisher only). The kind cannot change.
#[utoipa::path(tag = "products", security(("bearer" = [])), params(("id" = String, Path)), responses(
    (status = 200, description = "the product"),
    (status = 422, body = super::error::Problem, content_type = "application/problem+json")))]
#[put("/v1/products/{id}")]
pub async fn update_product(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
    body: Json<Value>,
) -> ApiResult<HttpResponse> {
    let clock = state.clock.clone();
    let row = owned(&state, &who, &id).await?;
    let spec = parse_spec(&body.0)?;
    if spec.kind.as_str() != row.kind {
        return Err(ApiError::field(
            "kind",
            "product.kind_fixed",
            format!(
                "product {} is a {}; publish a new product for another kind",
                row.id, row.kind
            ),
        ));
    }
    if spec.guarantee_scheme_id.as_deref() == Some(row.id.as_str()) {
        return Err(ApiError::field(
            "guarantee_scheme_id",
            "scheme.self",
            "a product cannot rely on itself",
        ));
    }
    check_scheme(&state, &spec).await?;
    let text = serde_json::to_string(&spec).map_err(|e| ApiError::Internal(e.into()))?;
    let (pid, name, at) = (row.id.clone(), spec.name.trim().to_string(), clock.now());
    let updated = state
        .db
        .run(move |c| {
            store::update(c, &pid, &name, &text, at)?;
            store::get(c, &pid)
        })
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no product {}", row.id)))?;
    Catalogue::changed(&state.cache).await?;
    Ok(HttpResponse::Ok().json_line(view(&updated)))
}

/// Withdraw a product (its publisher only): it leaves the catalogue; applications keep their history.
#[utoipa::path(tag = "products", security(("bearer" = [])), params(("id" = String, Path)), responses(
    (status = 200, description = "the withdrawn product")))]
#[delete("/v1/products/{id}")]
pub async fn withdraw_product(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let clock = state.clock.clone();
    let row = owned(&state, &who, &id).await?;
    let (pid, at) = (row.id.clone(), clock.now());
    let updated = state
        .db
        .run(move |c| {
            store::withdraw(c, &pid, at)?;
            store::get(c, &pid)
        })
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no product {}", row.id)))?;
    Catalogue::changed(&state.cache).await?;
    Ok(HttpResponse::Ok().json_line(view(&updated)))
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

#[derive(Debug, Serialize)]
struct Page {
    items: Vec<Value>,
    next_cursor: Option<String>,
}

/// The public catalogue, oldest first (`kind`, `institution_id`, `all=true` for withdrawn ones too).
#[utoipa::path(tag = "products", params(
    ("kind" = Option<String>, Query), ("institution_id" = Option<String>, Query),
    ("all" = Option<bool>, Query), ("limit" = Option<i64>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, description = "a page of products")))]
#[get("/v1/products")]
pub async fn list_products(
    state: web::Data<AppState>,
    q: Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.0;
    let mut errors = Vec::new();
    let limit = page_limit(q.limit)
        .map_err(|e| errors.push(e))
        .unwrap_or(50);
    if let Some(k) = &q.kind {
        if ProductKind::parse(k).is_none() {
            errors.push(FieldError::new(
                "kind",
                "product.kind",
                format!("'{k}' is not a product kind; use bank_loan, guarantee_scheme, receivable_financing or ip_pledge"),
            ));
        }
    }
    let after = cursor_position("products", q.cursor.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    let f = Filter {
        institution: q.institution_id,
        kind: q.kind,
        include_withdrawn: q.all.unwrap_or(false),
        after,
    };
    let rows = state.db.run(move |c| store::list(c, &f, limit + 1)).await?;
    let (rows, next_cursor) = page(rows, limit, "products", |r| &r.id);
    Ok(HttpResponse::Ok().json_line(Page {
        items: rows.iter().map(view).collect(),
        next_cursor,
    }))
}

#[utoipa::path(tag = "products", params(("id" = String, Path)), responses(
    (status = 200, description = "the product"), (status = 404, body = super::error::Problem)))]
#[get("/v1/products/{id}")]
pub async fn get_product(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let i = id.into_inner();
    let key = i.clone();
    let row = state
        .db
        .run(move |c| store::get(c, &key))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no product {i}")))?;
    Ok(HttpResponse::Ok().json_line(view(&row)))
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
    let matched = crate::service::matching::for_firm(&state.ctx(), &who.actor, &uscc, ask).await?;
    let m = matched.result();
    Ok(HttpResponse::Ok().json_line(matched.view(&m)))
}
