//! Signal ingestion over HTTP (government side, Art 26): small JSON batches, streamed CSV/NDJSON files,
//! the runs with their counts and quarantined rows, and a firm's stored signals with their history.

use super::auth::Principal;
use super::error::{ApiError, ApiResult, JsonLine};
use super::extract::parse_uscc;
use super::extract::{page_limit, Json, Query};
use super::AppState;
use crate::domain::role::Role;
use crate::domain::signals::{RawRow, Source};
use crate::ingest::format::{Format, Line};
use crate::ingest::Origin;
use crate::profile::RecomputeReport;
use crate::service::signals as service;
use crate::store::ingestion::RunRow;
use crate::store::signals::SignalRow;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

/// Largest file accepted by `POST /v1/signals/import`.
/// Most rows in one `POST /v1/signals`.
pub const JSON_ROWS_LIMIT: usize = 10_000;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RunView {
    pub id: String,
    pub source: String,
    /// `api`, `import` or `pull`.
    pub origin: String,
    /// `completed` or `failed` (a failed run stored nothing).
    pub status: String,
    /// received = accepted + duplicate + quarantined.
    pub received: i64,
    pub accepted: i64,
    /// Of the accepted, how many corrected (superseded) a stored value.
    pub superseded: i64,
    pub duplicate: i64,
    pub quarantined: i64,
    pub error: Option<String>,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub rejects: String,
    /// Profiles recomputed for the firms the run touched (on the reply to an ingestion only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profiles: Option<RecomputeReport>,
}

impl From<RunRow> for RunView {
    fn from(r: RunRow) -> Self {
        RunView {
            rejects: format!("/v1/ingestion-runs/{}/rejects", r.id),
            profiles: None,
            id: r.id,
            source: r.source,
            origin: r.origin,
            status: r.status,
            received: r.received,
            accepted: r.accepted,
            superseded: r.superseded,
            duplicate: r.duplicate,
            quarantined: r.quarantined,
            error: r.error,
            started_at: r.started_at.and_utc().to_rfc3339(),
            finished_at: r.finished_at.map(|t| t.and_utc().to_rfc3339()),
        }
    }
}

fn parse_source(field: &str, s: &str) -> ApiResult<Source> {
    Source::parse(s).ok_or_else(|| {
        ApiError::field(
            field,
            "source.unknown",
            format!("'{s}' is not a source; use one of {}", Source::keys()),
        )
    })
}

async fn ingest(
    state: &AppState,
    source: Source,
    origin: Origin,
    lines: Vec<Line>,
) -> ApiResult<HttpResponse> {
    let imported = service::ingest_rows(state.ctx(), source, origin, lines).await?;
    Ok(created(imported))
}

/// The run, with the profiles recomputed after it.
fn created(imported: service::Imported) -> HttpResponse {
    let mut view = RunView::from(imported.run);
    view.profiles = Some(imported.profiles);
    HttpResponse::Created()
        .insert_header(("Location", format!("/v1/ingestion-runs/{}", view.id)))
        .json_line(view)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignalBatch {
    /// `tax`, `social_insurance`, `utility`, `customs` or `public_credit`.
    pub source: String,
    /// Rows with the fields `uscc`, `kind`, `period`, `value`, `record_id`, `start_date`, `end_date`,
    /// `authority`, `repaired_on`; a row that does not fit is quarantined, not refused.
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<serde_json::Value>,
}

/// Ingest a small batch of signals (up to 10,000 rows) for one source.
#[utoipa::path(tag = "signals", security(("bearer" = [])), request_body = SignalBatch, responses(
    (status = 201, body = RunView), (status = 422, body = super::error::Problem, content_type = "application/problem+json")))]
#[post("/v1/signals")]
pub async fn post_signals(
    state: web::Data<AppState>,
    who: Principal,
    body: Json<SignalBatch>,
) -> ApiResult<HttpResponse> {
    who.require(&[Role::Government, Role::Admin])?;
    let source = parse_source("source", &body.0.source)?;
    if body.0.rows.len() > JSON_ROWS_LIMIT {
        return Err(ApiError::field(
            "rows",
            "rows.limit",
            format!("at most {JSON_ROWS_LIMIT} rows; send larger batches to /v1/signals/import"),
        ));
    }
    let lines = body
        .0
        .rows
        .into_iter()
        .enumerate()
        .map(|(i, v)| Line {
            line_no: i as i64 + 1,
            raw: v.to_string(),
            row: serde_json::from_value::<RawRow>(v).map_err(|e| format!("not a signal row: {e}")),
        })
        .collect();
    ingest(&state, source, Origin::Api, lines).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportParams {
    /// `tax`, `social_insurance`, `utility`, `customs` or `public_credit`.
    pub source: String,
}

/// Import a file of signals: `text/csv` (header row; columns as in the JSON rows) or
/// `application/x-ndjson`, up to 256 MiB, streamed. Every row ends as a signal or a quarantined row.
#[utoipa::path(tag = "signals", security(("bearer" = [])), params(ImportParams), request_body(content = String, content_type = "text/csv"), responses(
    (status = 201, body = RunView),
    (status = 413, body = super::error::Problem, content_type = "application/problem+json"),
    (status = 415, body = super::error::Problem, content_type = "application/problem+json")))]
#[post("/v1/signals/import")]
pub async fn import_signals(
    state: web::Data<AppState>,
    who: Principal,
    req: HttpRequest,
    q: Query<ImportParams>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    who.require(&[Role::Government, Role::Admin])?;
    let source = parse_source("source", &q.0.source)?;
    let ct = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let fmt = Format::from_media_type(ct).ok_or_else(|| {
        ApiError::UnsupportedMediaType(format!(
            "Content-Type '{ct}': send text/csv or application/x-ndjson"
        ))
    })?;
    // Written to a temporary file as it arrives, then merged a chunk at a time inside the run's one
    // transaction: memory holds one network chunk, then one chunk of rows.
    let file = super::upload::spool(&state, &req, payload).await?;
    let imported = service::import_file(
        state.ctx(),
        source,
        fmt,
        file.path.clone(),
        Default::default(),
    )
    .await;
    drop(file);
    Ok(created(imported?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RunListParams {
    pub source: Option<String>,
    /// 1 to 500; default 50.
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RunPage {
    pub items: Vec<RunView>,
    pub next_cursor: Option<String>,
}

/// Ingestion runs, newest first (government, admin).
#[utoipa::path(tag = "signals", security(("bearer" = [])), params(RunListParams), responses((status = 200, body = RunPage)))]
#[get("/v1/ingestion-runs")]
pub async fn list_runs(
    state: web::Data<AppState>,
    who: Principal,
    q: Query<RunListParams>,
) -> ApiResult<HttpResponse> {
    who.require(&[Role::Government, Role::Admin])?;
    let limit = page_limit(q.0.limit).map_err(|e| ApiError::fields(vec![e]))?;
    let source =
        q.0.source
            .as_deref()
            .map(|s| parse_source("source", s))
            .transpose()?;
    let before = q.0.cursor.clone();
    let (rows, more) = service::runs(state.ctx(), &who.actor, source, before, limit).await?;
    let next_cursor = more.then(|| rows.last().map(|r| r.id.clone())).flatten();
    Ok(HttpResponse::Ok().json_line(RunPage {
        items: rows.into_iter().map(RunView::from).collect(),
        next_cursor,
    }))
}

/// One run with its counts (government, admin).
#[utoipa::path(tag = "signals", security(("bearer" = [])), params(("id" = String, Path)), responses((status = 200, body = RunView)))]
#[get("/v1/ingestion-runs/{id}")]
pub async fn get_run(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    who.require(&[Role::Government, Role::Admin])?;
    let run = service::run(state.ctx(), &who.actor, &id).await?;
    Ok(HttpResponse::Ok().json_line(RunView::from(run)))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RejectView {
    pub line_no: i64,
    pub raw: String,
    #[schema(value_type = Vec<Object>)]
    pub reasons: serde_json::Value,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RejectPage {
    pub items: Vec<RejectView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RejectParams {
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The rows a run quarantined, by line number, each with its raw text and reasons.
#[utoipa::path(tag = "signals", security(("bearer" = [])), params(("id" = String, Path), RejectParams), responses((status = 200, body = RejectPage)))]
#[get("/v1/ingestion-runs/{id}/rejects")]
pub async fn list_rejects(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
    q: Query<RejectParams>,
) -> ApiResult<HttpResponse> {
    who.require(&[Role::Government, Role::Admin])?;
    let limit = page_limit(q.0.limit).map_err(|e| ApiError::fields(vec![e]))?;
    let after: i64 = match &q.0.cursor {
        None => 0,
        Some(c) => c.parse().map_err(|_| {
            ApiError::field(
                "cursor",
                "cursor.invalid",
                "cursor is not one this API returned",
            )
        })?,
    };
    let (rows, more) = service::rejects(state.ctx(), &who.actor, &id, after, limit).await?;
    let next_cursor = more
        .then(|| rows.last().map(|r| r.line_no.to_string()))
        .flatten();
    // Stored reasons that do not parse are an error, never an empty list.
    let items = rows
        .into_iter()
        .map(|r| {
            let reasons = serde_json::from_str(&r.reasons).map_err(|e| {
                ApiError::Internal(anyhow::anyhow!(
                    "reject on line {}: stored reasons do not parse: {e}",
                    r.line_no
                ))
            })?;
            Ok(RejectView {
                line_no: r.line_no,
                raw: r.raw,
                reasons,
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(HttpResponse::Ok().json_line(RejectPage { items, next_cursor }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SignalView {
    pub source: String,
    pub kind: String,
    pub period: String,
    pub version: i32,
    /// Yuan for money kinds, the number or code otherwise; absent for events.
    pub value: Option<String>,
    pub record_id: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub authority: Option<String>,
    pub repaired_on: Option<String>,
    /// Public credit (Art 58): the category of the closed list, the severity, the legal basis.
    pub category: Option<String>,
    pub severity: Option<String>,
    pub legal_basis: Option<String>,
    pub run_id: String,
    pub ingested_at: String,
    /// Set when a later correction replaced this value.
    pub superseded_at: Option<String>,
}

impl From<SignalRow> for SignalView {
    fn from(r: SignalRow) -> Self {
        SignalView {
            value: r.value_text(),
            source: r.source,
            kind: r.kind,
            period: r.period,
            version: r.version,
            record_id: r.record_id,
            start_date: r.event_start.map(|d| d.to_string()),
            end_date: r.event_end.map(|d| d.to_string()),
            authority: r.authority,
            repaired_on: r.repaired_on.map(|d| d.to_string()),
            category: r
                .value_code
                .clone()
                .filter(|_| r.event_start.is_some() && r.value_fen.is_none()),
            severity: r.severity,
            legal_basis: r.legal_basis,
            run_id: r.run_id,
            ingested_at: r.ingested_at.and_utc().to_rfc3339(),
            superseded_at: r.superseded_at.map(|t| t.and_utc().to_rfc3339()),
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FirmSignalParams {
    pub kind: Option<String>,
    /// Include values replaced by corrections.
    pub history: Option<bool>,
}

/// A firm's stored signals (government, admin, the firm itself).
#[utoipa::path(tag = "signals", security(("bearer" = [])), params(("uscc" = String, Path), FirmSignalParams), responses((status = 200, body = [SignalView])))]
#[get("/v1/firms/{uscc}/signals")]
pub async fn firm_signals(
    state: web::Data<AppState>,
    who: Principal,
    uscc: web::Path<String>,
    q: Query<FirmSignalParams>,
) -> ApiResult<HttpResponse> {
    let uscc = parse_uscc("uscc", &uscc)?;
    let (kind, history) = (q.0.kind.as_deref(), q.0.history.unwrap_or(false));
    let rows = service::of_firm(state.ctx(), &who.actor, &uscc, kind, history).await?;
    Ok(HttpResponse::Ok().json_line(rows.into_iter().map(SignalView::from).collect::<Vec<_>>()))
}
