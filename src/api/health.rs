//! Operational routes: liveness, readiness (database reachable; the cache's state reported), Prometheus
//! metrics.

use super::error::{ApiError, ApiResult, JsonLine};
use super::AppState;
use crate::store::backend;
use actix_web::{get, web, HttpResponse};
use prometheus::Encoder;

/// Liveness.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: &'static str,
}

/// Readiness.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Ready {
    /// `ready`.
    pub status: &'static str,
    /// `postgres` or `sqlite`.
    pub database: &'static str,
    /// `redis` or `memory`.
    pub cache: &'static str,
    /// `up`, or `unreachable` while requests are served without it (the database answers them).
    pub cache_state: &'static str,
}

/// The process is up.
#[utoipa::path(tag = "operations", responses((status = 200, description = "process is up", body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json_line(Health { status: "ok" })
}

/// The database answers.
#[utoipa::path(tag = "operations", responses(
    (status = 200, description = "database reachable", body = Ready),
    (status = 503, description = "database unreachable", body = super::error::Problem, content_type = "application/problem+json")))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    state
        .db
        .run(backend::ping)
        .await
        .map_err(|e| ApiError::Unavailable(format!("database not reachable: {e}")))?;
    Ok(HttpResponse::Ok().json_line(Ready {
        status: "ready",
        database: state.db.backend().as_str(),
        cache: state.cache.kind(),
        cache_state: state.cache.state(),
    }))
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
