//! `GET /v1/uscc/{code}`: check a Unified Social Credit Code and show its parts (public: pure computation).

use super::error::{ApiResult, JsonLine};
use super::extract::parse_uscc;
use crate::domain::Uscc;
use actix_web::{get, web, HttpResponse};
use serde::Serialize;

#[derive(Serialize, utoipa::ToSchema)]
pub struct UsccInfo {
    pub valid: bool,
    pub normalized: String,
    pub authority: String,
    pub authority_name: &'static str,
    pub entity_type: String,
    pub entity_type_name: &'static str,
    pub division: String,
    pub organization_code: String,
    pub check: String,
}

impl From<&Uscc> for UsccInfo {
    fn from(u: &Uscc) -> Self {
        UsccInfo {
            valid: true,
            normalized: u.to_string(),
            authority: u.authority().to_string(),
            authority_name: u.authority_name(),
            entity_type: u.entity_type().to_string(),
            entity_type_name: u.entity_type_name(),
            division: u.division().to_string(),
            organization_code: u.organization_code().to_string(),
            check: u.check().to_string(),
        }
    }
}

/// Validate a USCC (GB 32100-2015). Spaces and dashes are ignored, lower case is accepted.
#[utoipa::path(tag = "firms", params(("code" = String, Path, description = "the code to check")), responses(
    (status = 200, body = UsccInfo),
    (status = 422, description = "the exact fault", body = super::error::Problem, content_type = "application/problem+json")))]
#[get("/v1/uscc/{code}")]
pub async fn check_uscc(code: web::Path<String>) -> ApiResult<HttpResponse> {
    let u = parse_uscc("code", &code)?;
    Ok(HttpResponse::Ok().json_line(UsccInfo::from(&u)))
}
