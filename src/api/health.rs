//! Operational routes: liveness, readiness (database reachable; the cache's state reported), Prometheus
//! metrics.

use super::error::{ApiError, ApiResult, JsonLine};
use super::AppState;
use crate::store::backend;
use actix_web::{get, web, HttpResponse};
use prometheus::Encoder;
use serde_json::json;

/// The process is up.
#[utoipa::path(tag = "operations", responses((status = 200, description = "process is up")))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json_line(json!({"status": "ok"}))
}

/// The database answers.
#[utoipa::path(tag = "operations", responses(
    (status = 200, description = "database reachable"),
    (status = 503, description = "database unreachable", body = super::error::Problem, content_type = "application/problem+json")))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    state
        .db
        .run(backend::ping)
        .await
        .map_err(|e| ApiError::Unavailable(format!("database not reachable: {e}")))?;
    Ok(HttpResponse::Ok().json_line(json!({
        "status": "ready",
        "database": state.db.backend().as_str(),
        "cache": state.cache.kind(),
        // `up`, or `unreachable` while requests are served without it (the database answers them).
        "cache_state": state.cache.state(),
    })))
}

/// Prometheus text exposition.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let mut buf = Vec::new();
    prometheus::TextEncoder::new()
        .encode(&state.metrics.registry.gather(), &mut buf)
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(buf))
}
