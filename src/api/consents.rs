//! Consents over HTTP (Art 58): a firm grants an institution access to its profile for a purpose, within
//! a scope, for at most a year, and revokes it at any time; an institution may register a consent the
//! firm signed on paper by citing the signed document, and such a consent stays `pending` until the firm
//! confirms it (or a government officer verifies the signed document). Nobody sees another party's
//! consents.

use super::auth::Principal;
use super::error::{ApiError, ApiResult, FieldError};
use super::extract::{cursor_position, page, page_limit, rfc3339 as ts, Json, Query};
use super::uscc::parse_uscc;
use super::AppState;
use crate::domain::consent::{self, Purpose, MAX_DAYS, SCOPES};
use crate::domain::role::Role;
use crate::store::consents::{self as store, ConsentRow, Filter};
use crate::store::{firms, institutions, now, StoreError};
use actix_web::{delete, get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};

pub fn cache_key(institution: &str, uscc: &str, purpose: &str) -> String {
    format!("consent:{institution}:{uscc}:{purpose}")
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentRequest {
    /// The institution granted access (a firm's request).
    pub institution_id: Option<String>,
    /// The firm that consents (an institution's request).
    pub firm_uscc: Option<String>,
    /// `credit_assessment`, `post_loan_monitoring` or `guarantee_review`.
    pub purpose: String,
    /// What may be seen: `score`, `firm`, `tax`, `social_insurance`, `utility`, `customs`, `public_credit`.
    /// Default: all.
    pub scope: Option<Vec<String>>,
    /// Months of history that may be seen (1-36, default 24): older as-of profiles and longer windows are withheld.
    pub data_months: Option<i32>,
    /// Queries a month allowed under this consent (default: no limit).
    pub max_queries_per_month: Option<i32>,
    /// Days the institution may keep what it fetched (default 365).
    pub data_life_days: Option<i32>,
    /// Reference of the signed authorisation (required when an institution registers the consent).
    pub document_ref: Option<String>,
    /// RFC 3339 instant; default now.
    pub valid_from: Option<String>,
    /// RFC 3339 instant, at most a year after `valid_from`.
    pub expires_at: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConsentView {
    pub id: String,
    pub firm_uscc: String,
    pub institution_id: String,
    pub purpose: String,
    pub scope: Vec<String>,
    pub data_months: i32,
    pub max_queries_per_month: Option<i32>,
    pub data_life_days: i32,
    pub document_ref: Option<String>,
    /// `firm` (granted with the firm's key) or `institution` (registered with a signed document).
    pub granted_by: String,
    pub valid_from: String,
    pub expires_at: String,
    pub revoked_at: Option<String>,
    /// `pending` (awaiting the firm's confirmation), `refused`, `scheduled` (confirmed, valid later),
    /// `active`, `expired` or `revoked`.
    pub status: String,
    pub created_at: String,
    /// When and by whom (`firm`, or `government` for an officer who verified the signed paper) it was
    /// confirmed.
    pub confirmed_at: Option<String>,
    pub confirmed_by: Option<String>,
    pub refused_at: Option<String>,
    pub refused_reason: Option<String>,
}

impl From<&ConsentRow> for ConsentView {
    fn from(r: &ConsentRow) -> Self {
        ConsentView {
            id: r.id.clone(),
            firm_uscc: r.firm_uscc.clone(),
            institution_id: r.institution_id.clone(),
            purpose: r.purpose.clone(),
            scope: r.scope_items().into_iter().map(str::to_string).collect(),
            data_months: r.data_months,
            max_queries_per_month: r.max_queries_per_month,
            data_life_days: r.data_life_days,
            document_ref: r.document_ref.clone(),
            granted_by: r.granted_by.clone(),
            valid_from: ts(r.valid_from),
            expires_at: ts(r.expires_at),
            revoked_at: r.revoked_at.map(ts),
            status: r.status(now()).as_str().into(),
            created_at: ts(r.created_at),
            confirmed_at: r.confirmed_at.map(ts),
            confirmed_by: r.confirmed_by.clone(),
            refused_at: r.refused_at.map(ts),
            refused_reason: r.refused_reason.clone(),
        }
    }
}

fn instant(field: &str, s: &str, errors: &mut Vec<FieldError>) -> Option<chrono::NaiveDateTime> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.naive_utc())
        .map_err(|_| {
            errors.push(FieldError::new(
                field,
                "instant.format",
                format!("{field} '{s}' is not an RFC 3339 instant (2026-12-01T00:00:00+08:00)"),
            ))
        })
        .ok()
}

/// Grant a consent (firm key for its own USCC: active at once), or register one signed on paper (bank or
/// guarantor key, with `document_ref`: `pending` until the firm confirms it, or a government officer
/// verifies the document).
#[utoipa::path(tag = "consents", security(("bearer" = [])), request_body = ConsentRequest, responses(
    (status = 201, body = ConsentView),
    (status = 422, body = super::error::Problem, content_type = "application/problem+json")))]
#[post("/v1/consents")]
pub async fn create_consent(
    state: web::Data<AppState>,
    who: Principal,
    body: Json<ConsentRequest>,
) -> ApiResult<HttpResponse> {
    who.require(&[Role::Firm, Role::Bank, Role::Guarantor])?;
    let r = body.0;
    let mut errors = Vec::new();
    let (firm, institution, granted_by) = match who.role {
        Role::Firm => {
            if r.firm_uscc
                .as_deref()
                .is_some_and(|u| Some(u) != who.firm_uscc.as_deref())
            {
                errors.push(FieldError::new(
                    "firm_uscc",
                    "firm.own",
                    "a firm key grants consent only for its own firm",
                ));
            }
            if r.institution_id.is_none() {
                errors.push(FieldError::new(
                    "institution_id",
                    "required",
                    "institution_id: the bank or guarantee agency to grant access to",
                ));
            }
            (
                who.firm_uscc.clone().unwrap_or_default(),
                r.institution_id.clone().unwrap_or_default(),
                "firm",
            )
        }
        _ => {
            if r.institution_id
                .as_deref()
                .is_some_and(|i| Some(i) != who.institution_id.as_deref())
            {
                errors.push(FieldError::new(
                    "institution_id",
                    "institution.own",
                    "an institution registers consents only for itself",
                ));
            }
            if r.document_ref
                .as_deref()
                .is_none_or(|d| d.trim().is_empty())
            {
                errors.push(FieldError::new("document_ref", "required", "an institution registers a consent only with the reference of the firm's signed authorisation"));
            }
            let firm = match r.firm_uscc.as_deref() {
                None => {
                    errors.push(FieldError::new(
                        "firm_uscc",
                        "required",
                        "firm_uscc: the firm that signed",
                    ));
                    String::new()
                }
                Some(u) => match parse_uscc("firm_uscc", u) {
                    Ok(u) => u.to_string(),
                    Err(ApiError::Validation { errors: e, .. }) => {
                        errors.extend(e);
                        String::new()
                    }
                    Err(other) => return Err(other),
                },
            };
            (
                firm,
                who.institution_id.clone().unwrap_or_default(),
                "institution",
            )
        }
    };
    let purpose = Purpose::parse(&r.purpose);
    if purpose.is_none() {
        errors.push(FieldError::new(
            "purpose",
            "purpose.unknown",
            format!(
                "'{}' is not a purpose; use one of {}",
                r.purpose,
                Purpose::keys()
            ),
        ));
    }
    let scope: Vec<String> = match &r.scope {
        None => SCOPES.iter().map(|s| s.to_string()).collect(),
        Some(items) => {
            for (i, s) in items.iter().enumerate() {
                if !SCOPES.contains(&s.as_str()) {
                    errors.push(FieldError::new(
                        format!("scope[{i}]"),
                        "scope.unknown",
                        format!("'{s}' is not a scope item; use {}", SCOPES.join(", ")),
                    ));
                }
            }
            if items.is_empty() {
                errors.push(FieldError::new(
                    "scope",
                    "length",
                    "scope needs at least one item",
                ));
            }
            let mut v = items.clone();
            v.sort_by_key(|s| SCOPES.iter().position(|x| x == s));
            v.dedup();
            v
        }
    };
    let data_months = r.data_months.unwrap_or(24);
    if !(1..=36).contains(&data_months) {
        errors.push(FieldError::new(
            "data_months",
            "range",
            "data_months must be 1 to 36",
        ));
    }
    if r.max_queries_per_month.is_some_and(|n| n < 1) {
        errors.push(FieldError::new(
            "max_queries_per_month",
            "range",
            "max_queries_per_month must be at least 1 (leave it out for no limit)",
        ));
    }
    let data_life_days = r.data_life_days.unwrap_or(365);
    if !(1..=3650).contains(&data_life_days) {
        errors.push(FieldError::new(
            "data_life_days",
            "range",
            "data_life_days must be 1 to 3650",
        ));
    }
    let at = now();
    let valid_from = match &r.valid_from {
        None => Some(at),
        Some(s) => instant("valid_from", s, &mut errors),
    };
    let expires_at = instant("expires_at", &r.expires_at, &mut errors);
    if let (Some(f), Some(e)) = (valid_from, expires_at) {
        if e <= at {
            errors.push(FieldError::new(
                "expires_at",
                "consent.past",
                "expires_at is in the past",
            ));
        } else if e <= f {
            errors.push(FieldError::new(
                "expires_at",
                "consent.order",
                "expires_at must be after valid_from",
            ));
        } else if (e - f) > chrono::Duration::days(MAX_DAYS) {
            errors.push(FieldError::new(
                "expires_at",
                "consent.max_validity",
                "a consent lasts at most one year",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    let (Some(purpose), Some(valid_from), Some(expires_at)) = (purpose, valid_from, expires_at)
    else {
        return Err(ApiError::fields(errors));
    };
    let by_firm = granted_by == "firm";
    let row = ConsentRow {
        id: uuid::Uuid::now_v7().to_string(),
        firm_uscc: firm,
        institution_id: institution,
        purpose: purpose.as_str().into(),
        scope: scope.join(","),
        data_months,
        max_queries_per_month: r.max_queries_per_month,
        data_life_days,
        document_ref: r.document_ref.map(|d| d.trim().to_string()),
        granted_by: granted_by.into(),
        granted_key_id: who.key_id.clone(),
        valid_from,
        expires_at,
        revoked_at: None,
        created_at: at,
        // The firm's own grant is its confirmation; an institution's registration waits for one.
        confirmed_at: by_firm.then_some(at),
        confirmed_by: by_firm.then(|| "firm".to_string()),
        confirmed_key_id: by_firm.then(|| who.key_id.clone()),
        refused_at: None,
        refused_reason: None,
    };
    let stored = row.clone();
    let result = state
        .db
        .run(move |c| {
            let inst = match institutions::get(c, &stored.institution_id) {
                Err(StoreError::NotFound) => {
                    return Ok(Err(FieldError::new(
                        "institution_id",
                        "institution.unknown",
                        format!("no institution {}", stored.institution_id),
                    )))
                }
                other => other?,
            };
            if !matches!(inst.kind.as_str(), "bank" | "guarantor") {
                return Ok(Err(FieldError::new(
                    "institution_id",
                    "institution.kind",
                    format!(
                        "{} is a {}; consents go to banks and guarantee agencies",
                        inst.name, inst.kind
                    ),
                )));
            }
            match firms::get(c, &stored.firm_uscc) {
                Err(StoreError::NotFound) => {
                    return Ok(Err(FieldError::new(
                        "firm_uscc",
                        "firm.unknown",
                        format!("no firm {} is registered", stored.firm_uscc),
                    )))
                }
                other => other?,
            };
            store::insert(c, &stored)?;
            Ok::<_, StoreError>(Ok(()))
        })
        .await?;
    result.map_err(|e| ApiError::fields(vec![e]))?;
    // A query refused a moment ago may be cached as "no consent": forget it.
    evict(&state, &row).await;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/consents/{}", row.id)))
        .json(ConsentView::from(&row)))
}

/// Whether `who` may see this consent: its firm, its institution, the government side.
fn visible(who: &Principal, c: &ConsentRow) -> bool {
    match who.role {
        Role::Government | Role::Admin => true,
        Role::Firm => who.firm_uscc.as_deref() == Some(c.firm_uscc.as_str()),
        Role::Bank | Role::Guarantor => {
            who.institution_id.as_deref() == Some(c.institution_id.as_str())
        }
    }
}

/// Forget the cached consents of `row`'s institution, firm and purpose. A failed delete is retried by the
/// cache layer; a revocation bites regardless (the access-log writer checks the database).
async fn evict(state: &AppState, row: &ConsentRow) {
    let _ = state
        .cache
        .delete(&cache_key(
            &row.institution_id,
            &row.firm_uscc,
            &row.purpose,
        ))
        .await;
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ConsentListParams {
    /// Government and admin only: one firm's consents.
    pub firm_uscc: Option<String>,
    /// `pending`: only those awaiting confirmation.
    pub status: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConsentPage {
    /// On a firm's first page: every consent awaiting its confirmation (newest first, at most 100),
    /// before the rest.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<ConsentView>,
    pub items: Vec<ConsentView>,
    pub next_cursor: Option<String>,
}

/// Consents, newest first: a firm sees its own (those awaiting its confirmation first), an institution
/// those granted to it, the government all.
#[utoipa::path(tag = "consents", security(("bearer" = [])), params(ConsentListParams), responses((status = 200, body = ConsentPage)))]
#[get("/v1/consents")]
pub async fn list_consents(
    state: web::Data<AppState>,
    who: Principal,
    q: Query<ConsentListParams>,
) -> ApiResult<HttpResponse> {
    let mut errors = Vec::new();
    let limit = page_limit(q.0.limit)
        .map_err(|e| errors.push(e))
        .unwrap_or(0);
    let before = cursor_position("consent", q.0.cursor.as_deref(), &mut errors);
    let awaiting = match q.0.status.as_deref() {
        None => false,
        Some("pending") => true,
        Some(other) => {
            errors.push(FieldError::new(
                "status",
                "status.unknown",
                format!("'{other}' is not a status to filter by; use pending"),
            ));
            false
        }
    };
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    let first_page = before.is_none() && !awaiting && who.role == Role::Firm;
    let mut f = Filter {
        before,
        awaiting,
        ..Default::default()
    };
    match who.role {
        Role::Firm => f.firm = who.firm_uscc.clone(),
        Role::Bank | Role::Guarantor => f.institution = who.institution_id.clone(),
        Role::Government | Role::Admin => {
            if let Some(u) = &q.0.firm_uscc {
                f.firm = Some(parse_uscc("firm_uscc", u)?.to_string());
            }
        }
    }
    let (rows, pending) = state
        .db
        .run(move |c| {
            let rows = store::list(c, &f, limit + 1)?;
            let pending = match first_page {
                true => store::list(
                    c,
                    &Filter {
                        awaiting: true,
                        before: None,
                        ..f
                    },
                    100,
                )?,
                false => Vec::new(),
            };
            Ok((rows, pending))
        })
        .await?;
    let (rows, next_cursor) = page(rows, limit, "consent", |r| &r.id);
    let at = now();
    Ok(HttpResponse::Ok().json(ConsentPage {
        pending: pending
            .iter()
            .filter(|c| c.status(at) == consent::Status::Pending)
            .map(ConsentView::from)
            .collect(),
        items: rows.iter().map(ConsentView::from).collect(),
        next_cursor,
    }))
}

async fn find_visible(state: &AppState, who: &Principal, id: &str) -> ApiResult<ConsentRow> {
    let i = id.to_string();
    match state.db.run(move |c| store::get(c, &i)).await? {
        Some(c) if visible(who, &c) => Ok(c),
        // Another party's consent is as good as absent.
        _ => Err(ApiError::NotFound(format!(
            "no consent {id} visible to this key"
        ))),
    }
}

/// One consent (to its firm, its institution, the government side).
#[utoipa::path(tag = "consents", security(("bearer" = [])), params(("id" = String, Path)), responses((status = 200, body = ConsentView), (status = 404, body = super::error::Problem, content_type = "application/problem+json")))]
#[get("/v1/consents/{id}")]
pub async fn get_consent(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let c = find_visible(&state, &who, &id).await?;
    Ok(HttpResponse::Ok().json(ConsentView::from(&c)))
}

/// Revoke a consent (the firm; admin). It bites on the very next query, with either cache.
#[utoipa::path(tag = "consents", security(("bearer" = [])), params(("id" = String, Path)), responses((status = 200, body = ConsentView), (status = 404, body = super::error::Problem, content_type = "application/problem+json")))]
#[delete("/v1/consents/{id}")]
pub async fn revoke_consent(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    who.require(&[Role::Firm, Role::Admin])?;
    let c = find_visible(&state, &who, &id).await?;
    let i = c.id.clone();
    let row = state
        .db
        .run(move |conn| store::revoke(conn, &i, now()))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no consent {}", c.id)))?;
    evict(&state, &row).await;
    Ok(HttpResponse::Ok().json(ConsentView::from(&row)))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefuseRequest {
    /// Why the firm refuses (shown to the institution).
    pub reason: Option<String>,
}

/// Confirm a consent an institution registered: the firm's own key (its act makes it live), or a
/// government key whose officer verified the signed document (recorded as `government`, with the key).
#[utoipa::path(tag = "consents", security(("bearer" = [])), params(("id" = String, Path)), responses(
    (status = 200, body = ConsentView),
    (status = 404, body = super::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "not pending", body = super::error::Problem, content_type = "application/problem+json")))]
#[post("/v1/consents/{id}/confirm")]
pub async fn confirm_consent(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    who.require(&[Role::Firm, Role::Government])?;
    let c = find_visible(&state, &who, &id).await?;
    pending_or_conflict(&c)?;
    let by = match who.role {
        Role::Firm => "firm",
        _ => "government",
    };
    let (i, key) = (c.id.clone(), who.key_id.clone());
    let row = state
        .db
        .run(move |conn| store::confirm(conn, &i, by, &key, now()))
        .await?
        .ok_or_else(|| ApiError::Conflict(format!("consent {} is no longer pending", c.id)))?;
    evict(&state, &row).await;
    Ok(HttpResponse::Ok().json(ConsentView::from(&row)))
}

/// The firm refuses a consent an institution registered in its name.
#[utoipa::path(tag = "consents", security(("bearer" = [])), params(("id" = String, Path)), request_body = RefuseRequest, responses(
    (status = 200, body = ConsentView),
    (status = 404, body = super::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "not pending", body = super::error::Problem, content_type = "application/problem+json")))]
#[post("/v1/consents/{id}/refuse")]
pub async fn refuse_consent(
    state: web::Data<AppState>,
    who: Principal,
    id: web::Path<String>,
    body: Option<Json<RefuseRequest>>,
) -> ApiResult<HttpResponse> {
    who.require(&[Role::Firm])?;
    let c = find_visible(&state, &who, &id).await?;
    pending_or_conflict(&c)?;
    let reason = body
        .and_then(|b| b.0.reason)
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    let i = c.id.clone();
    let row = state
        .db
        .run(move |conn| store::refuse(conn, &i, reason.as_deref(), now()))
        .await?
        .ok_or_else(|| ApiError::Conflict(format!("consent {} is no longer pending", c.id)))?;
    evict(&state, &row).await;
    Ok(HttpResponse::Ok().json(ConsentView::from(&row)))
}

fn pending_or_conflict(c: &ConsentRow) -> ApiResult<()> {
    match c.status(now()) {
        consent::Status::Pending => Ok(()),
        other => Err(ApiError::Conflict(format!(
            "consent {} is {}; only a pending consent can be confirmed or refused",
            c.id,
            other.as_str()
        ))),
    }
}
