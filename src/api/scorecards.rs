//! Scorecards over HTTP (issue 19): the registry (champion, challengers in shadow, retired), validation
//! of the cards on the hub's loan outcomes (JSON or a workbook), a challenger fitted from the outcomes,
//! promotion as a recorded government act, and monitoring of the live score distribution. Government
//! and administrator only: banks see the champion's score in profiles, never a shadow score.

use super::auth::Principal;
use super::error::{ApiError, ApiResult, JsonLine};
use super::extract::{Json, Query};
use super::{AppState, Items};
use crate::domain::role::Role;
use crate::domain::scorecard::validation::Validation;
use crate::service::scorecards::{self, Monitoring, Promotion, ScorecardView, ValidateQuery};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

const GOVERNMENT: &[Role] = &[Role::Government, Role::Admin];

/// Every registered card, oldest first, with its role and the shadow scores it has.
#[utoipa::path(tag = "scorecards", security(("bearer" = [])),
    responses((status = 200, description = "the registry", body = Items<ScorecardView>),
        (status = 403, body = super::error::Problem, content_type = "application/problem+json")))]
#[get("/v1/scorecards")]
pub async fn list_scorecards(
    state: web::Data<AppState>,
    who: Principal,
) -> ApiResult<HttpResponse> {
    who.require(GOVERNMENT)?;
    let items = scorecards::list(state.ctx(), &who.actor).await?;
    Ok(HttpResponse::Ok().json_line(Items { items }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// The card as TOML (the format of `src/domain/scorecards/expert-2026.1.toml`, or what
    /// `credithub scorecard fit --from-hub` writes).
    pub toml: String,
    pub note: Option<String>,
}

/// Register a card as a challenger: scored in shadow beside the champion from the next recompute.
#[utoipa::path(tag = "scorecards", security(("bearer" = [])), request_body = RegisterRequest,
    responses((status = 201, description = "registered as a challenger", body = ScorecardView),
        (status = 409, body = super::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = super::error::Problem, content_type = "application/problem+json")))]
#[post("/v1/scorecards")]
pub async fn register_scorecard(
    state: web::Data<AppState>,
    who: Principal,
    body: Json<RegisterRequest>,
) -> ApiResult<HttpResponse> {
    who.require(GOVERNMENT)?;
    let b = body.0;
    let view = scorecards::register(state.ctx(), &who.actor, b.toml, "uploaded", b.note).await?;
    Ok(HttpResponse::Created().json_line(view))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FitRequest {
    /// The new card's version (unique in the registry).
    pub version: String,
    /// Register the fitted card as a challenger (default true).
    pub register: Option<bool>,
    #[schema(minimum = 1, maximum = 60)]
    pub window_months: Option<u32>,
    pub seed: Option<u64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FitResult {
    pub version: String,
    pub toml: String,
    pub train: Option<crate::domain::scorecard::fit::Ranking>,
    pub test: Option<crate::domain::scorecard::fit::Ranking>,
    /// Each candidate indicator: its IV, kept or why dropped, its coefficient.
    #[schema(value_type = Vec<Object>)]
    pub selection: Vec<crate::domain::scorecard::fit::Selection>,
    pub registered: Option<ScorecardView>,
}

/// Fit a challenger on the hub's own loan outcomes (70 % to fit, 30 % held out to test, by the seed).
#[utoipa::path(tag = "scorecards", security(("bearer" = [])), request_body = FitRequest,
    responses((status = 201, description = "the fitted card", body = FitResult),
        (status = 409, body = super::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = super::error::Problem, content_type = "application/problem+json")))]
#[post("/v1/scorecards/fit")]
pub async fn fit_scorecard(
    state: web::Data<AppState>,
    who: Principal,
    body: Json<FitRequest>,
) -> ApiResult<HttpResponse> {
    who.require(GOVERNMENT)?;
    let b = body.0;
    let version = b.version.trim().to_string();
    if version.is_empty() || version.len() > 64 {
        return Err(ApiError::field(
            "version",
            "scorecard.version",
            "a version of 1 to 64 characters",
        ));
    }
    let mut opts = scorecards::hub_fit_options(&version);
    if let Some(s) = b.seed {
        opts.seed = s;
    }
    let ctx = state.ctx();
    let window = b
        .window_months
        .unwrap_or(crate::domain::outcome::WINDOW_MONTHS);
    let (fitted, registered) = if b.register.unwrap_or(true) {
        let note = "fitted on the hub's loan outcomes";
        let (f, v) = scorecards::fit_challenger(ctx, &who.actor, opts, window, note).await?;
        (f, Some(v))
    } else {
        let f = scorecards::fit_from_hub(ctx, &who.actor, opts, window, None, None).await?;
        (f, None)
    };
    Ok(HttpResponse::Created().json_line(FitResult {
        version,
        toml: fitted.toml,
        train: fitted.train,
        test: fitted.test,
        selection: fitted.selection,
        registered,
    }))
}

/// Promote a challenger to champion (a government act, recorded with who and when): the champion
/// before it retires, the newest month's profiles are recomputed with it; profiles already issued keep
/// the version they were computed with.
#[utoipa::path(tag = "scorecards", security(("bearer" = [])), params(("version" = String, Path)),
    responses((status = 200, description = "promoted", body = Promotion),
        (status = 404, body = super::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = super::error::Problem, content_type = "application/problem+json")))]
#[post("/v1/scorecards/{version}/promote")]
pub async fn promote_scorecard(
    state: web::Data<AppState>,
    who: Principal,
    version: web::Path<String>,
) -> ApiResult<HttpResponse> {
    who.require(GOVERNMENT)?;
    let p = scorecards::promote(state.ctx(), &who.actor, &version).await?;
    Ok(HttpResponse::Ok().json_line(p))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ValidationQuery {
    /// Loans disbursed from this day.
    pub from: Option<String>,
    /// Loans disbursed up to this day.
    pub to: Option<String>,
    /// The performance window in months (default 12).
    #[param(minimum = 1, maximum = 60)]
    pub window_months: Option<u32>,
}

/// The champion and challengers validated on the same loan outcomes: AUC, Gini, KS, bad rates per
/// grade and band with 95 % intervals, calibration, PSI and CSI with flags. `Accept:` the XLSX media
/// type for a workbook.
#[utoipa::path(tag = "scorecards", security(("bearer" = [])), params(ValidationQuery),
    responses((status = 200, description = "one validation per card",
        content((Items<Validation> = "application/json"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 403, body = super::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = super::error::Problem, content_type = "application/problem+json")))]
#[get("/v1/scorecards/validation")]
pub async fn scorecard_validation(
    state: web::Data<AppState>,
    who: Principal,
    req: HttpRequest,
    q: Query<ValidationQuery>,
) -> ApiResult<HttpResponse> {
    who.require(GOVERNMENT)?;
    let q = q.0;
    let mut errors = Vec::new();
    let mut day = |field: &str, s: Option<&str>| {
        s.and_then(|s| super::extract::date_value(field, field, s, &mut errors))
    };
    let (from, to) = (day("from", q.from.as_deref()), day("to", q.to.as_deref()));
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    let query = ValidateQuery {
        from,
        to,
        window_months: q.window_months,
        ..Default::default()
    };
    let items = scorecards::validate(state.ctx(), &who.actor, query).await?;
    let xlsx = crate::service::spreadsheet::XLSX;
    if super::extract::wants_xlsx(&req) {
        let bytes = crate::service::spreadsheet::validation_workbook(&items)
            .map_err(|e| ApiError::Internal(e.into()))?;
        return Ok(HttpResponse::Ok()
            .content_type(xlsx)
            .insert_header((
                "content-disposition",
                "attachment; filename=\"scorecard-validation.xlsx\"",
            ))
            .body(bytes));
    }
    Ok(HttpResponse::Ok().json_line(Items { items }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MonitoringQuery {
    /// Complete months to show, newest last (default 6, at most 24).
    #[param(minimum = 1, maximum = 24)]
    pub months: Option<u32>,
}

/// The champion's live score distribution per month against its development sample (PSI with flags)
/// and the share of the newest profiles without a value per characteristic.
#[utoipa::path(tag = "scorecards", security(("bearer" = [])), params(MonitoringQuery),
    responses((status = 200, description = "monitoring", body = Monitoring),
        (status = 403, body = super::error::Problem, content_type = "application/problem+json")))]
#[get("/v1/scorecards/monitoring")]
pub async fn scorecard_monitoring(
    state: web::Data<AppState>,
    who: Principal,
    q: Query<MonitoringQuery>,
) -> ApiResult<HttpResponse> {
    who.require(GOVERNMENT)?;
    let m = scorecards::monitoring(state.ctx(), &who.actor, q.0.months.unwrap_or(6)).await?;
    Ok(HttpResponse::Ok().json_line(m))
}
