//! The firm's remedies over HTTP (Art 58, issue 21): a firm applies for credit repair or disputes a
//! record, adds evidence and follows its requests; the department whose remit owns the record accepts,
//! decides and sees its figures; the administrator sets the remits; banks read their monitoring events.

use super::auth::{FirmKey, Principal};
use super::error::{ApiError, ApiResult, FieldError, JsonLine};
use super::extract::{
    content_length, cursor_position, page, page_limit, parse_uscc, read_limited, Json, Query,
};
use super::{AppState, Items, Page};
use crate::domain::states::{RemedyKind, RemedyStatus};
use crate::service::remedies::{
    self, Correction, DisputeDecision, Evidence, ListFilter, NewDispute, NewRepair, Overview,
    RecordView, RemedyDetail, RemedyView, RepairDecision,
};
use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RepairRequest {
    /// The public-credit record's id at its source.
    pub record_id: String,
    /// The statement of correction and the public credit commitment (信用承诺书).
    pub statement: String,
    /// Proof that every obligation is fulfilled: payment slips, decision numbers. Files are added
    /// with `POST /v1/remedies/{id}/files`.
    #[serde(default)]
    pub references: Vec<String>,
}

/// A firm applies for credit repair of one of its public-credit records (DOMAIN §13): refused with
/// the rule (`repair.too_early` with the first day it may apply, `repair.not_repairable`, …) when the
/// rules do not allow it yet.
#[utoipa::path(tag = "remedies", security(("bearer" = [])), request_body = RepairRequest,
    responses((status = 201, description = "submitted to the department that owns the record", body = RemedyView)))]
#[post("/v1/remedies/repairs")]
pub async fn apply_repair(
    state: web::Data<AppState>,
    firm: FirmKey,
    body: Json<RepairRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    let view = remedies::apply_repair(
        state.ctx(),
        &firm.who.actor,
        &firm.uscc,
        NewRepair {
            record_id: b.record_id,
            statement: b.statement,
            references: b.references,
            files: vec![],
        },
    )
    .await?;
    Ok(HttpResponse::Created().json_line(view))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisputeRequest {
    /// The signal kind: `utility_days_late`, `tax_arrears`, `administrative_penalty`, …
    pub signal_kind: String,
    /// `YYYY-MM` (or `YYYY`) of a periodic signal.
    pub period: Option<String>,
    /// The record's id (public-credit records).
    pub record_id: Option<String>,
    /// What is wrong.
    pub statement: String,
    /// What the firm says the value is.
    pub claimed_value: Option<String>,
    #[serde(default)]
    pub references: Vec<String>,
}

/// A firm disputes a signal or record (异议): the owning department answers within 20 days; meanwhile
/// the profile shows it as disputed, the score unchanged.
#[utoipa::path(tag = "remedies", security(("bearer" = [])), request_body = DisputeRequest,
    responses((status = 201, description = "the dispute, open", body = RemedyView)))]
#[post("/v1/remedies/disputes")]
pub async fn open_dispute(
    state: web::Data<AppState>,
    firm: FirmKey,
    body: Json<DisputeRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    let view = remedies::open_dispute(
        state.ctx(),
        &firm.who.actor,
        &firm.uscc,
        NewDispute {
            kind: b.signal_kind,
            period: b.period,
            record_id: b.record_id,
            statement: b.statement,
            claimed_value: b.claimed_value,
            references: b.references,
            files: vec![],
        },
    )
    .await?;
    Ok(HttpResponse::Created().json_line(view))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemedyList {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub status: Option<String>,
    pub firm_uscc: Option<String>,
    pub overdue: Option<bool>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Requests: a firm its own, a department those in its remit (overdue ones with `overdue=true`), the
/// administrator all. Newest first.
#[utoipa::path(tag = "remedies", security(("bearer" = [])), params(
    ("type" = Option<RemedyKind>, Query), ("status" = Option<RemedyStatus>, Query),
    ("firm_uscc" = Option<String>, Query), ("overdue" = Option<bool>, Query),
    ("limit" = Option<i64>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, description = "newest first", body = Page<RemedyView>)))]
#[get("/v1/remedies")]
pub async fn list_remedies(
    state: web::Data<AppState>,
    who: Principal,
    q: Query<RemedyList>,
) -> ApiResult<HttpResponse> {
    let q = q.0;
    let mut errors = Vec::new();
    let limit = page_limit(q.limit)
        .map_err(|e| errors.push(e))
        .unwrap_or(50);
    let before = cursor_position("remedies", q.cursor.as_deref(), &mut errors);
    let kind = q.kind.as_deref().and_then(|k| {
        RemedyKind::parse(k)
            .map_err(|_| {
                errors.push(FieldError::new(
                    "type",
                    "type.unknown",
                    "type is repair or dispute",
                ))
            })
            .ok()
    });
    let status = q.status.as_deref().and_then(|s| {
        RemedyStatus::parse(s)
            .map_err(|e| errors.push(FieldError::new("status", "status.unknown", e.to_string())))
            .ok()
    });
    let firm = match q.firm_uscc.as_deref().map(|u| parse_uscc("firm_uscc", u)) {
        Some(Err(e)) => {
            errors.extend(e.field_errors());
            None
        }
        Some(Ok(u)) => Some(u),
        None => None,
    };
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    let filter = ListFilter {
        status,
        kind,
        firm,
        overdue: q.overdue.unwrap_or(false),
        before,
    };
    let rows = remedies::list(state.ctx(), &who.actor, filter, limit + 1).await?;
    let (items, next_cursor) = page(rows, limit, "remedies", |r| &r.id);
    Ok(HttpResponse::Ok().json_line(Page { items, next_cursor }))
}

/// Per department: requests, open, overdue, late, the overdue share and the median working days to a
/// decision, against the deadlines in force (government side).
#[utoipa::path(tag = "remedies", security(("bearer" = [])),
    responses((status = 200, body = Overview)))]
#[get("/v1/remedies/overview")]
pub async fn remedies_overview(
    state: web::Data<AppState>,
    who: Principal,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json_line(remedies::overview(state.ctx(), &who.actor).await?))
}

/// A firm's public-credit records, each with whether it may be repaired now and from when.
#[utoipa::path(tag = "remedies", security(("bearer" = [])), params(("uscc" = String, Path)),
    responses((status = 200, body = Items<RecordView>)))]
#[get("/v1/firms/{uscc}/public-credit-records")]
pub async fn firm_records(
    state: web::Data<AppState>,
    who: Principal,
    uscc: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let uscc = parse_uscc("uscc", &uscc)?;
    let items = remedies::records(state.ctx(), &who.actor, &uscc).await?;
    Ok(HttpResponse::Ok().json_line(Items { items }))
}

/// One request with its steps (who, when) and its evidence files.
#[utoipa::path(tag = "remedies", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = RemedyDetail)))]
#[get("/v1/remedies/{id}")]
pub async fn get_remedy(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json_line(remedies::get(state.ctx(), &who.actor, &id).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileName {
    pub filename: Option<String>,
}

/// The firm adds an evidence file to its open request: the body is the file (PDF, JPEG or PNG, told
/// by its content; at most 5 MiB), stored with its SHA-256.
#[utoipa::path(tag = "remedies", security(("bearer" = [])), params(("id" = String, Path), ("filename" = Option<String>, Query)),
    request_body(description = "the file's bytes: a PDF, a JPEG or a PNG (told by its content, at most 5 MiB)",
        content((String = "application/pdf"), (String = "image/jpeg"), (String = "image/png"),
            (String = "application/octet-stream"))),
    responses((status = 201, body = remedies::FileView)))]
#[post("/v1/remedies/{id}/files")]
pub async fn add_remedy_file(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
    q: Query<FileName>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let mut payload = payload.into_inner();
    let ct = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if ![
        "application/pdf",
        "image/jpeg",
        "image/png",
        "application/octet-stream",
    ]
    .contains(&essence.as_str())
    {
        return Err(ApiError::UnsupportedMediaType(
            "send the file as application/pdf, image/jpeg or image/png".into(),
        ));
    }
    let limit = remedies::MAX_FILE_BYTES;
    let bytes = read_limited(&mut payload, limit, content_length(&req), || {
        super::extract::too_large("the evidence file", limit, "a fixed 5 MiB per file")
    })
    .await?;
    let view = remedies::add_file(
        state.ctx(),
        &who.actor,
        &id,
        Evidence {
            filename: q.0.filename.unwrap_or_else(|| "evidence".into()),
            bytes: bytes.to_vec(),
        },
    )
    .await?;
    Ok(HttpResponse::Created().json_line(view))
}

/// An evidence file, as uploaded (its SHA-256 in `ETag`).
#[utoipa::path(tag = "remedies", security(("bearer" = [])), params(("id" = String, Path), ("file_id" = String, Path)),
    responses((status = 200, description = "the file", content_type = "application/octet-stream", body = Vec<u8>)))]
#[get("/v1/remedies/{id}/files/{file_id}")]
pub async fn get_remedy_file(
    state: web::Data<AppState>,
    who: Principal,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, file_id) = path.into_inner();
    let (meta, bytes) = remedies::file(state.ctx(), &who.actor, &id, &file_id).await?;
    Ok(HttpResponse::Ok()
        .content_type(meta.content_type.as_str())
        .insert_header((
            actix_web::http::header::ETAG,
            format!("\"{}\"", meta.sha256),
        ))
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"{}\"",
                meta.filename
                    .replace(|c: char| !c.is_ascii_graphic() && c != ' ', "_")
            ),
        ))
        .body(bytes))
}

#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptRequest {
    /// Given: the application is not accepted, for this reason (in writing).
    pub not_accepted_reason: Option<String>,
}

/// The department accepts a repair application for verification, or (with a reason) does not.
#[utoipa::path(tag = "remedies", security(("bearer" = [])), params(("id" = String, Path)), request_body = AcceptRequest,
    responses((status = 200, body = RemedyView)))]
#[post("/v1/remedies/{id}/accept")]
pub async fn accept_remedy(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
    body: Json<AcceptRequest>,
) -> ApiResult<HttpResponse> {
    let view = remedies::accept(state.ctx(), &who.actor, &id, body.0.not_accepted_reason).await?;
    Ok(HttpResponse::Ok().json_line(view))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecideRequest {
    /// A repair: `repaired` or `refused`; a dispute: `upheld`, `rejected` or `undecidable`.
    pub outcome: String,
    /// `repaired`: the record stops counting from this day (not in the future).
    pub repaired_on: Option<String>,
    /// Required for `refused`, `rejected` and `undecidable`.
    pub reason: Option<String>,
    /// `upheld`: the corrected value (or a record's end_date or severity).
    pub correction: Option<Correction>,
}

/// The department decides: a repair is repaired (from a date) or refused; a dispute is upheld (the
/// signal corrected through ingestion, history kept), rejected or undecidable. The profile is
/// recomputed at once and the banks reading it under a live consent are told.
#[utoipa::path(tag = "remedies", security(("bearer" = [])), params(("id" = String, Path)), request_body = DecideRequest,
    responses((status = 200, body = RemedyView)))]
#[post("/v1/remedies/{id}/decide")]
pub async fn decide_remedy(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
    body: Json<DecideRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    let reason = || b.reason.clone().unwrap_or_default();
    let ctx = state.ctx();
    let view = match b.outcome.as_str() {
        "repaired" => {
            let on = match b.repaired_on.as_deref() {
                Some(d) => {
                    let mut errors = Vec::new();
                    match super::extract::date_value("repaired_on", "repaired_on", d, &mut errors) {
                        Some(d) => d,
                        None => return Err(ApiError::fields(errors)),
                    }
                }
                None => ctx.clock.today(),
            };
            remedies::decide_repair(ctx, &who.actor, &id, RepairDecision::Repaired { on }).await?
        }
        "refused" => {
            remedies::decide_repair(ctx, &who.actor, &id, RepairDecision::Refused { reason: reason() })
                .await?
        }
        "upheld" => {
            remedies::decide_dispute(
                ctx,
                &who.actor,
                &id,
                DisputeDecision::Upheld {
                    correction: b.correction.unwrap_or_default(),
                    reason: b.reason.clone(),
                },
            )
            .await?
        }
        "rejected" => {
            remedies::decide_dispute(ctx, &who.actor, &id, DisputeDecision::Rejected { reason: reason() })
                .await?
        }
        "undecidable" => {
            remedies::decide_dispute(
                ctx,
                &who.actor,
                &id,
                DisputeDecision::Undecidable { reason: reason() },
            )
            .await?
        }
        other => {
            return Err(ApiError::field(
                "outcome",
                "outcome.unknown",
                format!("'{other}' is not an outcome; use repaired, refused, upheld, rejected or undecidable"),
            ))
        }
    };
    Ok(HttpResponse::Ok().json_line(view))
}

#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Remit {
    /// The sources whose requests the department handles.
    pub sources: Vec<String>,
}

/// Set a government department's remit (administrator): the sources whose repair applications and
/// disputes it handles.
#[utoipa::path(tag = "remedies", security(("bearer" = [])), params(("id" = String, Path)), request_body = Remit,
    responses((status = 200, body = Remit)))]
#[put("/v1/institutions/{id}/remit")]
pub async fn set_remit(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
    body: Json<Remit>,
) -> ApiResult<HttpResponse> {
    let sources = remedies::set_remit(state.ctx(), &who.actor, &id, body.0.sources).await?;
    Ok(HttpResponse::Ok().json_line(Remit { sources }))
}

/// A department's remit (the government side).
#[utoipa::path(tag = "remedies", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = Remit)))]
#[get("/v1/institutions/{id}/remit")]
pub async fn get_remit(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    if !who.actor.is_government_side() {
        return Err(ApiError::Forbidden(
            "remits are read by the government side".into(),
        ));
    }
    let sources = remedies::remit_of(state.ctx(), &id).await?;
    Ok(HttpResponse::Ok().json_line(Remit { sources }))
}

/// A post-loan monitoring event: a firm's profile changed by a repair or an upheld dispute.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MonitoringEvent {
    pub id: String,
    pub consent_id: String,
    pub firm_uscc: String,
    /// `record_repaired` or `signal_corrected`.
    pub kind: String,
    /// The remedy that caused it.
    pub remedy_id: String,
    pub score_before: Option<i64>,
    pub score_after: Option<i64>,
    pub at: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The events of the firms a bank (or agency) monitors under a post-loan monitoring consent, oldest
/// first; the cursor reads on from the last one seen.
#[utoipa::path(tag = "remedies", security(("bearer" = [])), params(("limit" = Option<i64>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = Page<MonitoringEvent>)))]
#[get("/v1/monitoring-events")]
pub async fn monitoring_events(
    state: web::Data<AppState>,
    who: Principal,
    q: Query<EventsQuery>,
) -> ApiResult<HttpResponse> {
    let mut errors = Vec::new();
    let limit = page_limit(q.0.limit)
        .map_err(|e| errors.push(e))
        .unwrap_or(100);
    let after = cursor_position("monitoring", q.0.cursor.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    let rows = remedies::monitoring_events(state.ctx(), &who.actor, after, limit + 1).await?;
    let (rows, next_cursor) = page(rows, limit, "monitoring", |r| &r.id);
    let items = rows
        .into_iter()
        .map(|r| {
            let d: serde_json::Value = serde_json::from_str(&r.detail).unwrap_or_default();
            MonitoringEvent {
                score_before: d["score_before"].as_i64(),
                score_after: d["score_after"].as_i64(),
                id: r.id,
                consent_id: r.consent_id,
                firm_uscc: r.firm_uscc,
                kind: r.kind,
                remedy_id: r.subject,
                at: crate::domain::rfc3339(r.at),
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json_line(Page { items, next_cursor }))
}
