//! The inbox over the API (issues 16, 17): a firm's notifications (the pages' inbox) and an institution's
//! (a new application, a consent granted or revoked by a firm, a claim batch reconciled, approved or
//! paid), newest first, and marking them read.

use super::auth::Principal;
use super::error::{ApiError, ApiResult, JsonLine};
use super::extract::{cursor_position, encode_cursor, page_limit, Json, Query};
use super::AppState;
use crate::service::notifications::{self as service, NotificationView};
use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NotificationPage {
    pub items: Vec<NotificationView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NotificationParams {
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The caller's notifications, newest first (a firm key: the firm's; an institution's key: the
/// institution's; the administrator has none).
#[utoipa::path(tag = "notifications", security(("bearer" = [])), params(NotificationParams),
    responses((status = 200, body = NotificationPage)))]
#[get("/v1/notifications")]
pub async fn list_notifications(
    state: web::Data<AppState>,
    who: Principal,
    q: Query<NotificationParams>,
) -> ApiResult<HttpResponse> {
    let mut errors = Vec::new();
    let limit = page_limit(q.0.limit)
        .map_err(|e| errors.push(e))
        .unwrap_or(0);
    let before = cursor_position("notification", q.0.cursor.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    let (items, more) = service::list(state.ctx(), &who.actor, before, limit)
        .await
        .map_err(crate::service::ServiceError::from)?;
    let next_cursor = more
        .then(|| items.last().map(|n| encode_cursor("notification", &n.id)))
        .flatten();
    Ok(HttpResponse::Ok().json_line(NotificationPage { items, next_cursor }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkRead {
    /// One notification; none: all of the caller's.
    pub id: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Marked {
    pub marked: usize,
}

/// Mark the caller's notifications read: one, or all.
#[utoipa::path(tag = "notifications", security(("bearer" = [])), request_body = MarkRead,
    responses((status = 200, body = Marked),
    (status = 422, body = super::error::Problem, content_type = "application/problem+json")))]
#[post("/v1/notifications/read")]
pub async fn mark_read(
    state: web::Data<AppState>,
    who: Principal,
    body: Json<MarkRead>,
) -> ApiResult<HttpResponse> {
    let marked = service::mark_read(state.ctx(), &who.actor, body.0.id.map(|i| vec![i]))
        .await
        .map_err(crate::service::ServiceError::from)?;
    Ok(HttpResponse::Ok().json_line(Marked { marked }))
}
