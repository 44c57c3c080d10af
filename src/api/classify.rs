//! `POST /v1/classify`: the SME size class of a firm's indicators under the current standard (Art 2).
//! Public: a pure computation on the caller's own numbers.

use super::error::{ApiError, ApiResult, FieldError};
use super::extract::Json;
use crate::domain::size_class::{Classification, ClassifyError, Indicators};
use crate::domain::{Money, Standard};
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

/// Turn the indicator fields into typed values, collecting every fault.
pub fn parse_indicators(
    employees: Option<i64>,
    revenue: Option<&str>,
    total_assets: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> Indicators {
    let mut money = |field: &str, v: Option<&str>| {
        v.and_then(|s| match Money::parse_non_negative(s) {
            Ok(m) => Some(m),
            Err(e) => {
                errors.push(FieldError::new(field, e.rule(), format!("{field} {e}")));
                None
            }
        })
    };
    let revenue = money("revenue", revenue);
    let total_assets = money("total_assets", total_assets);
    let employees = match employees {
        Some(n) if n < 0 => {
            errors.push(FieldError::new(
                "employees",
                "non_negative",
                "employees must not be negative",
            ));
            None
        }
        other => other.map(|n| n as u64),
    };
    Indicators {
        employees,
        revenue,
        total_assets,
    }
}

/// Classify, turning the standard's faults into field errors (industry, or each missing indicator).
pub fn classify(
    industry: &str,
    ind: &Indicators,
    errors: &mut Vec<FieldError>,
) -> Option<Classification> {
    let std = Standard::current();
    let industry = match std.industry(industry) {
        Ok(i) => i,
        Err(e) => {
            errors.push(FieldError::new("industry", e.rule(), e.to_string()));
            return None;
        }
    };
    let result = match std.classify(&industry, ind) {
        Ok(c) => Some(c),
        Err(ClassifyError::Missing {
            row,
            standard,
            missing,
        }) => {
            // An indicator that was given but failed to parse is reported for that fault, not as missing.
            let given_but_bad: Vec<String> = errors.iter().map(|e| e.field.clone()).collect();
            for m in missing
                .into_iter()
                .filter(|m| !given_but_bad.iter().any(|f| f == m))
            {
                errors.push(FieldError::new(
                    m,
                    "size_standard.required",
                    format!("the '{row}' row of the {standard} size standard needs {m}"),
                ));
            }
            None
        }
        Err(ClassifyError::Industry(e)) => {
            errors.push(FieldError::new("industry", e.rule(), e.to_string()));
            None
        }
    };
    result.filter(|_| errors.is_empty())
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
        Some(c) if errors.is_empty() => Ok(HttpResponse::Ok().json(c)),
        _ => Err(ApiError::fields(errors)),
    }
}
