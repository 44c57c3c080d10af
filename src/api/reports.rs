//! The government's statistics (Art 7, 17, 21, 26, 28) and the yearly SME report (Art 62-63): JSON, or
//! with the path ending `.csv` / `.xlsx`, a file.

use super::auth::Principal;
use super::error::{ApiError, ApiResult, JsonLine};
use super::extract::Query;
use super::AppState;
use crate::domain::statistics::Section;
use crate::service::reports::{self, export, Part, Period, Yearly};
use actix_web::{get, web, HttpResponse};
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PeriodQuery {
    /// A calendar year (the default: this year so far).
    pub year: Option<String>,
    /// Or a period: from (inclusive) and to (exclusive), YYYY-MM-DD.
    pub from: Option<String>,
    pub to: Option<String>,
}

/// `name.csv` → (`name`, `csv`); `name` → (`name`, `json`).
fn format_of(path: &str) -> (&str, &str) {
    match path.rsplit_once('.') {
        Some((bare, kind @ ("csv" | "xlsx"))) => (bare, kind),
        _ => (path, "json"),
    }
}

fn file(bytes: Vec<u8>, kind: &str, name: &str) -> HttpResponse {
    let content_type = match kind {
        "csv" => "text/csv; charset=utf-8",
        _ => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    };
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"{name}.{kind}\""),
        ))
        .body(bytes)
}

fn internal(e: &dyn std::fmt::Display) -> ApiError {
    ApiError::Internal(anyhow::anyhow!("{e}"))
}

/// One part of the statistics over a year or a period: `census` (Art 7), `subsidies` (Art 17),
/// `lending` (Art 21), `guarantees` (Art 28), `procurement` (Art 49), `late-payment` (Art 54), `data-quality` (Art 26); every figure with its numerator,
/// denominator, rule and flag, and the breakdown tables. `census.csv` / `census.xlsx` for a file. The
/// government side only.
#[utoipa::path(tag = "statistics", security(("bearer" = [])), params(("part" = String, Path, description = "census, subsidies, lending, guarantees, procurement, late-payment or data-quality; with .csv or .xlsx for a file"), PeriodQuery),
    responses((status = 200, description = "the section (`.csv`, `.xlsx`: as a file)", body = Section),
        (status = 403, body = super::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = super::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = super::error::Problem, content_type = "application/problem+json")))]
#[get("/v1/statistics/{part}")]
pub async fn statistics(
    state: web::Data<AppState>,
    who: Principal,
    part: web::Path<String>,
    q: Query<PeriodQuery>,
) -> ApiResult<HttpResponse> {
    let (bare, kind) = format_of(&part);
    let part = Part::parse(bare)?;
    let period = Period::of(
        q.0.year.as_deref(),
        q.0.from.as_deref(),
        q.0.to.as_deref(),
        state.ctx().clock.today(),
    )?;
    let s = reports::section(state.ctx(), &who.actor, part, period).await?;
    let name = format!("{}-{}-{}", bare, s.from, s.to);
    Ok(match kind {
        "csv" => file(export::csv(&s).map_err(|e| internal(&e))?, kind, &name),
        "xlsx" => file(
            export::xlsx(std::slice::from_ref(&s)).map_err(|e| internal(&e))?,
            kind,
            &name,
        ),
        _ => HttpResponse::Ok().json_line(s),
    })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct YearQuery {
    /// The report's calendar year (the default: this year so far).
    pub year: Option<String>,
}

/// The yearly SME development report (Art 62-63): the five parts Art 63 lists — basic situation,
/// support policies and their implementation, use of funds, problems found (every flag), other matters —
/// as JSON, or `yearly.xlsx` as a workbook (a contents sheet, one sheet per part). The government side only.
#[utoipa::path(tag = "statistics", security(("bearer" = [])), params(("name" = String, Path, description = "yearly, or yearly.xlsx"), YearQuery),
    responses((status = 200, description = "the report (`.xlsx`: as a workbook)", body = Yearly),
        (status = 403, body = super::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = super::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = super::error::Problem, content_type = "application/problem+json")))]
#[get("/v1/reports/{name}")]
pub async fn yearly(
    state: web::Data<AppState>,
    who: Principal,
    name: web::Path<String>,
    q: Query<YearQuery>,
) -> ApiResult<HttpResponse> {
    let (bare, kind) = format_of(&name);
    if bare != "yearly" || kind == "csv" {
        return Err(ApiError::NotFound(format!(
            "no report '{name}'; there is yearly (JSON) and yearly.xlsx"
        )));
    }
    let today = state.ctx().clock.today();
    let period = Period::of(q.0.year.as_deref(), None, None, today)?;
    let year = chrono::Datelike::year(&period.from);
    let y = reports::yearly(state.ctx(), &who.actor, year, |_, _, _| {}).await?;
    Ok(match kind {
        "xlsx" => file(
            export::yearly_xlsx(&y).map_err(|e| internal(&e))?,
            kind,
            &format!("sme-report-{year}"),
        ),
        _ => HttpResponse::Ok().json_line(y),
    })
}
