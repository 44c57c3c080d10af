//! Consents over HTTP (Art 58): a firm grants an institution access to its profile for a purpose, within
//! a scope, for at most a year, and revokes it at any time; an institution may register a consent the
//! firm signed on paper by citing the signed document, and such a consent stays `pending` until the firm
//! confirms it (or a government officer verifies the signed document). Nobody sees another party's
//! consents.

use super::auth::Principal;
use super::error::{ApiResult, JsonLine};
use super::extract::{both, decode_cursor, page, page_limit, rfc3339 as ts, Json, Query};
use super::AppState;
use crate::service::consents::{self, ConsentInput, ListQuery};
use crate::store::consents::ConsentRow;
use actix_web::{delete, get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConsentView {
    pub id: String,
    pub firm_uscc: String,
    pub institution_id: String,
    pub purpose: String,
    pub scope: Vec<String>,
    pub data_months: i32,
    pub max_queries_per_month: Option<i32>,
    pub data_life_days: i32,
    pub document_ref: Option<String>,
    /// `firm` (granted with the firm's key) or `institution` (registered with a signed document).
    pub granted_by: String,
    pub valid_from: String,
    pub expires_at: String,
    pub revoked_at: Option<String>,
    /// `pending` (awaiting the firm's confirmation), `refused`, `scheduled` (confirmed, valid later),
    /// `active`, `expired` or `revoked`.
    pub status: String,
    pub created_at: String,
    /// When and by whom (`firm`, or `government` for an officer who verified the signed paper) it was
    /// confirmed.
    pub confirmed_at: Option<String>,
    pub confirmed_by: Option<String>,
    pub refused_at: Option<String>,
    pub refused_reason: Option<String>,
}

impl ConsentView {
    /// The consent as it stands at `now`.
    pub fn of(r: &ConsentRow, now: chrono::NaiveDateTime) -> Self {
        ConsentView {
            id: r.id.clone(),
            firm_uscc: r.firm_uscc.clone(),
            institution_id: r.institution_id.clone(),
            purpose: r.purpose.clone(),
            scope: r.scope_items().into_iter().map(str::to_string).collect(),
            data_months: r.data_months,
            max_queries_per_month: r.max_queries_per_month,
            data_life_days: r.data_life_days,
            document_ref: r.document_ref.clone(),
            granted_by: r.granted_by.clone(),
            valid_from: ts(r.valid_from),
            expires_at: ts(r.expires_at),
            revoked_at: r.revoked_at.map(ts),
            status: r.status(now).as_str().into(),
            created_at: ts(r.created_at),
            confirmed_at: r.confirmed_at.map(ts),
            confirmed_by: r.confirmed_by.clone(),
            refused_at: r.refused_at.map(ts),
            refused_reason: r.refused_reason.clone(),
        }
    }
}

/// Grant a consent (firm key for its own USCC: active at once), or register one signed on paper (bank or
/// guarantor key, with `document_ref`: `pending` until the firm confirms it, or a government officer
/// verifies the document).
#[utoipa::path(tag = "consents", security(("bearer" = [])), request_body = ConsentInput, responses(
    (status = 201, body = ConsentView),
    (status = 422, body = super::error::Problem, content_type = "application/problem+json")))]
#[post("/v1/consents")]
pub async fn create_consent(
    state: web::Data<AppState>,
    who: Principal,
    body: Json<ConsentInput>,
) -> ApiResult<HttpResponse> {
    let row = consents::create(state.ctx(), &who.actor, &who.key_id, body.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/consents/{}", row.id)))
        .json_line(ConsentView::of(&row, state.clock.now())))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ConsentListParams {
    /// Government and admin only: one firm's consents.
    pub firm_uscc: Option<String>,
    /// `pending`: only those awaiting confirmation.
    pub status: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConsentPage {
    /// On a firm's first page: every consent awaiting its confirmation (newest first, at most 100),
    /// before the rest.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<ConsentView>,
    pub items: Vec<ConsentView>,
    pub next_cursor: Option<String>,
}

/// Consents, newest first: a firm sees its own (those awaiting its confirmation first), an institution
/// those granted to it, the government all.
#[utoipa::path(tag = "consents", security(("bearer" = [])), params(ConsentListParams), responses((status = 200, body = ConsentPage)))]
#[get("/v1/consents")]
pub async fn list_consents(
    state: web::Data<AppState>,
    who: Principal,
    q: Query<ConsentListParams>,
) -> ApiResult<HttpResponse> {
    let (limit, before) = both(
        page_limit(q.0.limit),
        q.0.cursor
            .as_deref()
            .map(|c| decode_cursor("consent", c))
            .transpose(),
    )?;
    let (firm, status) = (q.0.firm_uscc.as_deref(), q.0.status.as_deref());
    let q = ListQuery::parse(&who.actor, firm, status, before, limit)?;
    let listed = consents::list(state.ctx(), &who.actor, q).await?;
    let (rows, next_cursor) = page(listed.rows, limit, "consent", |r| &r.id);
    let at = state.clock.now();
    Ok(HttpResponse::Ok().json_line(ConsentPage {
        pending: listed
            .pending
            .iter()
            .map(|r| ConsentView::of(r, at))
            .collect(),
        items: rows.iter().map(|r| ConsentView::of(r, at)).collect(),
        next_cursor,
    }))
}

/// One consent (to its firm, its institution, the government side).
#[utoipa::path(tag = "consents", security(("bearer" = [])), params(("id" = String, Path)), responses((status = 200, body = ConsentView), (status = 404, body = super::error::Problem, content_type = "application/problem+json")))]
#[get("/v1/consents/{id}")]
pub async fn get_consent(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let c = consents::get(state.ctx(), &who.actor, &id).await?;
    Ok(HttpResponse::Ok().json_line(ConsentView::of(&c, state.clock.now())))
}

/// Revoke a consent (the firm; admin). It bites on the very next query, with either cache.
#[utoipa::path(tag = "consents", security(("bearer" = [])), params(("id" = String, Path)), responses((status = 200, body = ConsentView), (status = 404, body = super::error::Problem, content_type = "application/problem+json")))]
#[delete("/v1/consents/{id}")]
pub async fn revoke_consent(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let row = consents::revoke(state.ctx(), &who.actor, &id).await?;
    Ok(HttpResponse::Ok().json_line(ConsentView::of(&row, state.clock.now())))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefuseRequest {
    /// Why the firm refuses (shown to the institution).
    pub reason: Option<String>,
}

/// Confirm a consent an institution registered: the firm's own key (its act makes it live), or a
/// government key whose officer verified the signed document (recorded as `government`, with the key).
#[utoipa::path(tag = "consents", security(("bearer" = [])), params(("id" = String, Path)), responses(
    (status = 200, body = ConsentView),
    (status = 404, body = super::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "not pending", body = super::error::Problem, content_type = "application/problem+json")))]
#[post("/v1/consents/{id}/confirm")]
pub async fn confirm_consent(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let row = consents::confirm(state.ctx(), &who.actor, &who.key_id, &id).await?;
    Ok(HttpResponse::Ok().json_line(ConsentView::of(&row, state.clock.now())))
}

/// The firm refuses a consent an institution registered in its name.
#[utoipa::path(tag = "consents", security(("bearer" = [])), params(("id" = String, Path)), request_body = RefuseRequest, responses(
    (status = 200, body = ConsentView),
    (status = 404, body = super::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "not pending", body = super::error::Problem, content_type = "application/problem+json")))]
#[post("/v1/consents/{id}/refuse")]
pub async fn refuse_consent(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
    body: Option<Json<RefuseRequest>>,
) -> ApiResult<HttpResponse> {
    let reason = body.and_then(|b| b.0.reason);
    let row = consents::refuse(state.ctx(), &who.actor, &id, reason).await?;
    Ok(HttpResponse::Ok().json_line(ConsentView::of(&row, state.clock.now())))
}
