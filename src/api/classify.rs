//! `POST /v1/classify`: the SME size class of a firm's indicators under the current standard (Art 2).
//! Public: a pure computation on the caller's own numbers.

use super::error::{ApiResult, JsonLine};
use super::extract::Json;
use crate::domain::size_class::Classification;
use crate::service::firms::{classify, parse_indicators};
use actix_web::{post, HttpResponse};
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassifyRequest {
    /// A row key of the standard (`software_it`) or a GB/T 4754 code at any depth (`I65`, `I6510`).
    pub industry: String,
    /// 从业人员, persons.
    pub employees: Option<i64>,
    /// 营业收入, yuan as a decimal string.
    pub revenue: Option<String>,
    /// 资产总额, yuan as a decimal string.
    pub total_assets: Option<String>,
}

/// Classify a firm as micro, small, medium or large under the 2011 standard, and say which indicators decided.
#[utoipa::path(tag = "firms", request_body = ClassifyRequest, responses(
    (status = 200, body = Classification),
    (status = 422, description = "unknown industry, outside the standard, or an indicator missing", body = super::error::Problem, content_type = "application/problem+json")))]
#[post("/v1/classify")]
pub async fn classify_route(body: Json<ClassifyRequest>) -> ApiResult<HttpResponse> {
    let r = body.0;
    let mut errors = Vec::new();
    let ind = parse_indicators(
        r.employees,
        r.revenue.as_deref(),
        r.total_assets.as_deref(),
        &mut errors,
    );
    match classify(&r.industry, &ind, &mut errors) {
        Some(c) if errors.is_empty() => Ok(HttpResponse::Ok().json_line(c)),
        _ => Err(crate::service::ServiceError::Invalid(errors).into()),
    }
}
