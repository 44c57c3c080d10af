//! The firm registry over HTTP: extract, call `service::firms`, render.

use super::auth::Principal;
use super::error::{ApiError, ApiResult, JsonLine};
use super::extract::{both, decode_cursor, encode_cursor, page_limit, parse_uscc, Json, Query};
use super::AppState;
use crate::service::firms::{self, FirmInput, FirmPatch, FirmView, ListFilter};
use actix_web::{get, patch, post, web, HttpResponse};
use serde::{Deserialize, Serialize};

/// Register a firm. Government and admin keys register any firm; a firm key only its own USCC.
#[utoipa::path(tag = "firms", request_body = FirmInput, security(("bearer" = [])), responses(
    (status = 201, body = FirmView),
    (status = 409, description = "the USCC is already registered", body = super::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "a field is invalid", body = super::error::Problem, content_type = "application/problem+json")))]
#[post("/v1/firms")]
pub async fn create_firm(
    state: web::Data<AppState>,
    who: Principal,
    body: Json<FirmInput>,
) -> ApiResult<HttpResponse> {
    let row = firms::register(state.ctx(), &who.actor, &body.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/firms/{}", row.uscc)))
        .json_line(FirmView::from(&row)))
}

/// One firm's registry entry.
#[utoipa::path(tag = "firms", security(("bearer" = [])), params(("uscc" = String, Path)), responses(
    (status = 200, body = FirmView),
    (status = 404, body = super::error::Problem, content_type = "application/problem+json")))]
#[get("/v1/firms/{uscc}")]
pub async fn get_firm(
    state: web::Data<AppState>,
    who: Principal,
    uscc: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let uscc = parse_uscc("uscc", &uscc)?;
    let row = firms::get(state.ctx(), &who.actor, &uscc).await?;
    Ok(HttpResponse::Ok().json_line(FirmView::from(&row)))
}

/// Change a firm's registry entry; the size class is recomputed from the result.
#[utoipa::path(tag = "firms", security(("bearer" = [])), params(("uscc" = String, Path)), request_body = FirmPatch, responses(
    (status = 200, body = FirmView),
    (status = 422, body = super::error::Problem, content_type = "application/problem+json")))]
#[patch("/v1/firms/{uscc}")]
pub async fn patch_firm(
    state: web::Data<AppState>,
    who: Principal,
    uscc: web::Path<String>,
    body: Json<FirmPatch>,
) -> ApiResult<HttpResponse> {
    let uscc = parse_uscc("uscc", &uscc)?;
    let (row, declaration) = firms::update(state.ctx(), &who.actor, &uscc, body.0).await?;
    let mut view = FirmView::from(&row);
    view.declaration = declaration;
    Ok(HttpResponse::Ok().json_line(view))
}

/// The size class public money relies on (issue 20 §8): classified from verified data where the hub
/// has it (insured headcount, invoiced revenue of the last 12 months), each figure with its source,
/// beside the registry's class and any pending declaration.
#[utoipa::path(tag = "firms", security(("bearer" = [])), params(("uscc" = String, Path)), responses(
    (status = 200, body = firms::Eligibility),
    (status = 404, body = super::error::Problem, content_type = "application/problem+json")))]
#[get("/v1/firms/{uscc}/eligibility")]
pub async fn firm_eligibility(
    state: web::Data<AppState>,
    who: Principal,
    uscc: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let uscc = parse_uscc("uscc", &uscc)?;
    let e = firms::eligibility(state.ctx(), &who.actor, &uscc).await?;
    Ok(HttpResponse::Ok().json_line(e))
}

/// A firm's declarations of its size figures, newest first.
#[utoipa::path(tag = "firms", security(("bearer" = [])), params(("uscc" = String, Path)), responses(
    (status = 200, body = super::Items<firms::DeclarationView>),
    (status = 404, body = super::error::Problem, content_type = "application/problem+json")))]
#[get("/v1/firms/{uscc}/declarations")]
pub async fn firm_declarations(
    state: web::Data<AppState>,
    who: Principal,
    uscc: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let uscc = parse_uscc("uscc", &uscc)?;
    let items = firms::declarations(state.ctx(), &who.actor, &uscc).await?;
    Ok(HttpResponse::Ok().json_line(super::Items { items }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclarationDecision {
    /// true: the figures enter the registry and the class is recomputed; false: rejected.
    pub confirm: bool,
    pub note: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeclarationDecided {
    pub firm: FirmView,
    pub declaration: firms::DeclarationView,
}

/// The government confirms or rejects a firm's pending declaration.
#[utoipa::path(tag = "firms", security(("bearer" = [])), params(("uscc" = String, Path), ("id" = String, Path)),
    request_body = DeclarationDecision, responses(
    (status = 200, body = DeclarationDecided),
    (status = 404, body = super::error::Problem, content_type = "application/problem+json"),
    (status = 409, body = super::error::Problem, content_type = "application/problem+json")))]
#[post("/v1/firms/{uscc}/declarations/{id}/decide")]
pub async fn decide_declaration(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<(String, String)>,
    body: Json<DeclarationDecision>,
) -> ApiResult<HttpResponse> {
    let (uscc, id) = path.into_inner();
    let uscc = parse_uscc("uscc", &uscc)?;
    let b = body.0;
    let (row, declaration) =
        firms::decide_declaration(state.ctx(), &who.actor, &uscc, &id, b.confirm, b.note).await?;
    Ok(HttpResponse::Ok().json_line(DeclarationDecided {
        firm: FirmView::from(&row),
        declaration,
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// District key, code or name.
    pub district: Option<String>,
    /// A row key of the size standard, or a GB/T 4754 code prefix (`C13`).
    pub industry: Option<String>,
    /// `micro`, `small`, `medium` or `large`.
    pub size_class: Option<String>,
    /// 1 to 500; default 50.
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FirmPage {
    pub items: Vec<FirmView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// The registry, in USCC order, filtered and paginated (government and admin).
#[utoipa::path(tag = "firms", security(("bearer" = [])), params(ListParams), responses(
    (status = 200, body = FirmPage),
    (status = 422, body = super::error::Problem, content_type = "application/problem+json")))]
#[get("/v1/firms")]
pub async fn list_firms(
    state: web::Data<AppState>,
    who: Principal,
    q: Query<ListParams>,
) -> ApiResult<HttpResponse> {
    let p = q.0;
    let (limit, after) = both(
        page_limit(p.limit),
        p.cursor
            .as_deref()
            .map(|c| decode_cursor("firm", c))
            .transpose(),
    )?;
    let f = ListFilter {
        district: p.district.as_deref(),
        industry: p.industry.as_deref(),
        size_class: p.size_class.as_deref(),
    };
    let filter = firms::filter(&f, after)
        .map_err(|v| ApiError::from(crate::service::ServiceError::Invalid(v)))?;
    let mut rows = firms::list(state.ctx(), &who.actor, filter, limit).await?;
    let next_cursor = (rows.len() as i64 > limit)
        .then(|| {
            rows.truncate(limit as usize);
            rows.last().map(|r| encode_cursor("firm", &r.uscc))
        })
        .flatten();
    let items = rows.iter().map(FirmView::from).collect();
    Ok(HttpResponse::Ok().json_line(FirmPage { items, next_cursor }))
}
