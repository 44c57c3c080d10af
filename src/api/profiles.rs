//! Credit profiles over HTTP (Art 26, 58): the newest or as-of snapshot, a firm's snapshot history, and
//! what-if scoring. The firm itself and the government role read them; banks and guarantee agencies read
//! the profile (one or up to 1,000 at once) through a live consent, reduced to its scope, and every such
//! access is logged.

use super::access::{
    authorize, consent_cache_key, decide, parse_purpose, purpose_error, reduce, refusal_error,
    refusal_words, Access, Caller,
};
use super::auth::Principal;
use super::error::{ApiError, ApiResult, FieldError, JsonLine};
use super::extract::parse_uscc;
use super::extract::{decode_cursor, encode_cursor, page_limit, Json, Query};
use super::AppState;
use crate::domain::consent::Purpose;
use crate::domain::month::Month;
use crate::domain::role::Role;
use crate::domain::signals::TAX_GRADES;
use crate::domain::what_if::Change;
use crate::domain::Uscc;
use crate::store::profiles as store;
use crate::store::{firms, StoreError};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// History and what-if are the firm's own tools (and the government's); banks read the profile itself,
/// under a consent.
fn own_or_government(who: &Principal, uscc: &Uscc) -> ApiResult<()> {
    match who.role() {
        Role::Bank | Role::Guarantor => Err(ApiError::Forbidden(format!(
            "a {} reads only the profile itself (GET /v1/firms/{uscc}/profile?purpose=…), under the firm's consent",
            who.role()
        ))),
        _ => who.require_firm_access(uscc.as_str()),
    }
}

fn parse_month(field: &str, s: &str, today: chrono::NaiveDate) -> Result<Month, FieldError> {
    let m = Month::parse(s).ok_or_else(|| {
        FieldError::new(
            field,
            "month.format",
            format!("{field} '{s}' is not a month YYYY-MM"),
        )
    })?;
    if m > Month::of(today) {
        return Err(FieldError::new(
            field,
            "month.future",
            format!("{field} {m} is in the future"),
        ));
    }
    Ok(m)
}

/// 404 that says whether the firm is unknown or has no profile yet.
async fn not_found(state: &AppState, uscc: &Uscc, what: String) -> ApiError {
    let u = uscc.to_string();
    match state.db.run(move |c| firms::get(c, &u)).await {
        Err(StoreError::NotFound) => ApiError::NotFound(format!("no firm {uscc} is registered")),
        _ => ApiError::NotFound(what),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ProfileParams {
    /// `YYYY-MM`: the profile that was current then (the newest snapshot whose month is not after it).
    pub as_of: Option<String>,
    /// Banks and guarantee agencies: `credit_assessment`, `post_loan_monitoring` or `guarantee_review`;
    /// a live consent for it is needed.
    pub purpose: Option<String>,
}

/// The stored profile bytes: the newest, or the one current at `as_of`.
/// The profile as of `as_of` (else the newest); `cached`: what the caller already read from the cache
/// under the newest profile's key, if it did.
async fn load(
    state: &AppState,
    uscc: &Uscc,
    as_of: Option<Month>,
    cached: Option<Vec<u8>>,
) -> ApiResult<Option<Vec<u8>>> {
    Ok(match as_of {
        None if cached.is_some() => state.profiles.latest_from(uscc.as_str(), cached).await?,
        None => state.profiles.latest(uscc.as_str()).await?,
        Some(m) => {
            let u = uscc.to_string();
            state
                .db
                .run(move |c| store::current(c, &u, Some(&m.to_string())))
                .await?
                .map(|r| r.body.into_bytes())
        }
    })
}

/// A firm's credit profile: score (300–900), grade, the four largest adverse contributions as reason
/// codes (zh/en), and per source its indicators, coverage and the signals each used.
#[utoipa::path(tag = "profiles", security(("bearer" = [])), params(("uscc" = String, Path), ProfileParams), responses(
    (status = 200, description = "the profile", body = Object),
    (status = 403, body = super::error::Problem, content_type = "application/problem+json"),
    (status = 404, body = super::error::Problem, content_type = "application/problem+json")))]
#[get("/v1/firms/{uscc}/profile")]
pub async fn get_profile(
    state: web::Data<AppState>,
    req: HttpRequest,
    uscc: web::Path<String>,
    q: Result<Query<ProfileParams>, ApiError>,
) -> ApiResult<HttpResponse> {
    // A cached key's principal, its rate-limit token, a bank's consents and the newest profile come in
    // one cache round trip. The keys are taken from the request before it is checked: what was read is
    // used only under the keys the checked request needs.
    let guessed = prefetch_keys(&uscc, q.as_ref().ok());
    let also: Vec<&str> = guessed.iter().map(String::as_str).collect();
    let (who, read) = super::auth::principal_reading(&req, &also).await?;
    let q = q?;
    let uscc = parse_uscc("uscc", &uscc)?;
    let mut errors = Vec::new();
    let purpose = parse_purpose(&who, q.0.purpose.as_deref())
        .map_err(|e| errors.extend(purpose_error(e)))
        .ok()
        .flatten();
    let as_of = match &q.0.as_of {
        None => None,
        Some(s) => parse_month("as_of", s, state.clock.today())
            .map_err(|e| errors.push(e))
            .ok(),
    };
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    let caller = Caller::new(&who, &req, "GET /v1/firms/{uscc}/profile");
    // A refusal still wins, and nothing read is returned without access. What the cache lacks is read
    // from the database, the consent check and the profile read at the same time.
    let (consents, profile) = match (consent_cache_key(&who, &uscc, purpose), as_of) {
        (ck, None) => {
            let pk = crate::cache::keys::profile(uscc.as_str());
            let mut read = read.map(Vec::into_iter);
            let mut prefetched = |i: usize, want: &str| {
                let got = read.as_mut()?.next().flatten();
                guessed
                    .get(i)
                    .and_then(|k| crate::cache::with_institution(k, who.institution()))
                    .is_some_and(|k| k == want)
                    .then_some(got)
            };
            match (ck, prefetched(0, &pk)) {
                (None, profile) => (None, profile.flatten()),
                (Some(ck), profile) => match (prefetched(1, &ck), profile) {
                    (Some(consents), Some(profile)) => (consents, profile),
                    // Not read with the key (it was not cached, or the keys differ): both in one
                    // round trip now.
                    _ => {
                        let mut got = state.cache.get_many(&[&ck, &pk]).await?.into_iter();
                        (got.next().flatten(), got.next().flatten())
                    }
                },
            }
        }
        _ => (None, None),
    };
    let (access, body) = futures_util::join!(
        authorize(&state, &caller, &uscc, purpose, as_of, consents),
        load(&state, &uscc, as_of, profile)
    );
    let access = access?;
    match body? {
        Some(b) => {
            let mut out = reduce(&b, &access)?;
            if out.last() != Some(&b'\n') {
                out.push(b'\n');
            }
            // Durable before the reply leaves, and refused if the database has revoked the key or the
            // consent since the cache read them.
            if let Some(r) = state
                .audit
                .record_one(caller.log(uscc.as_str(), purpose, Some(&access), "ok", None))
                .await?
            {
                return Err(refusal_error(&r));
            }
            let mut resp = HttpResponse::Ok();
            if let Access::Consent(c) = &access {
                resp.insert_header(("x-consent-id", c.id.as_str()));
                resp.insert_header(("x-consent-scope", c.scope.as_str()));
            }
            Ok(resp.content_type("application/json").body(out))
        }
        None => {
            let when = as_of.map(|m| format!(" as of {m}")).unwrap_or_default();
            let e = not_found(
                &state,
                &uscc,
                format!("firm {uscc} has no credit profile{when} yet"),
            )
            .await;
            if let Some(r) = state
                .audit
                .record_one(caller.log(
                    uscc.as_str(),
                    purpose,
                    Some(&access),
                    "not_found",
                    Some(e.to_string()),
                ))
                .await?
            {
                return Err(refusal_error(&r));
            }
            Err(e)
        }
    }
}

/// The cache keys a profile request will read, from the unchecked request: the newest profile, then a
/// bank's consents for the purpose asked (the institution left for the cache to fill in). None for an
/// as-of request or a malformed USCC.
fn prefetch_keys(uscc: &str, q: Option<&Query<ProfileParams>>) -> Vec<String> {
    let Some(q) = q.filter(|q| q.0.as_of.is_none()) else {
        return Vec::new();
    };
    let Ok(uscc) = parse_uscc("uscc", uscc) else {
        return Vec::new();
    };
    let purpose = q.0.purpose.as_deref().and_then(Purpose::parse);
    vec![
        crate::cache::keys::profile(uscc.as_str()),
        super::access::consents_key(crate::cache::INSTITUTION, uscc.as_str(), purpose),
    ]
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkQuery {
    /// Required of banks and guarantee agencies.
    pub purpose: Option<String>,
    /// 1 to 1,000 USCCs.
    pub usccs: Vec<String>,
    /// `YYYY-MM`, as for a single profile.
    pub as_of: Option<String>,
}

/// Up to 1,000 profiles at once: each firm's profile (reduced to its consent) or the reason it is withheld.
/// Every firm's access is logged.
#[utoipa::path(tag = "profiles", security(("bearer" = [])), request_body = BulkQuery, responses(
    (status = 200, description = "`results`: per USCC, in the order asked, `status` ok (with `profile`), withheld or not_found (with `rule` and `reason`)", body = Object),
    (status = 422, body = super::error::Problem, content_type = "application/problem+json")))]
#[post("/v1/profiles/query")]
pub async fn bulk_query(
    state: web::Data<AppState>,
    who: Principal,
    req: HttpRequest,
    body: Json<BulkQuery>,
) -> ApiResult<HttpResponse> {
    let q = body.0;
    let mut errors = Vec::new();
    let purpose = parse_purpose(&who, q.purpose.as_deref())
        .map_err(|e| errors.extend(purpose_error(e)))
        .ok()
        .flatten();
    if q.usccs.is_empty() || q.usccs.len() > 1000 {
        errors.push(FieldError::new("usccs", "length", "give 1 to 1000 USCCs"));
    }
    let as_of = match &q.as_of {
        None => None,
        Some(s) => parse_month("as_of", s, state.clock.today())
            .map_err(|e| errors.push(e))
            .ok(),
    };
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    let caller = Caller::new(&who, &req, "POST /v1/profiles/query");
    let mut results = Vec::with_capacity(q.usccs.len());
    let mut log = Vec::with_capacity(q.usccs.len());
    for raw in &q.usccs {
        let Ok(uscc) = Uscc::parse(raw) else {
            results.push(json!({"uscc": raw, "status": "withheld", "rule": "uscc.invalid", "reason": format!("'{raw}' is not a valid USCC")}));
            continue;
        };
        match decide(&state, &who, &uscc, purpose, as_of, None).await? {
            Err((rule, why)) => {
                log.push(caller.log(
                    uscc.as_str(),
                    purpose,
                    None,
                    "denied",
                    Some(format!("{rule}: {why}")),
                ));
                results.push(json!({"uscc": uscc.to_string(), "status": "withheld", "rule": rule, "reason": why}));
            }
            Ok(access) => match load(&state, &uscc, as_of, None).await? {
                None => {
                    log.push(caller.log(uscc.as_str(), purpose, Some(&access), "not_found", None));
                    results.push(json!({"uscc": uscc.to_string(), "status": "not_found", "rule": "profile.missing", "reason": "no credit profile for this firm"}));
                }
                Some(b) => {
                    let profile: Value = serde_json::from_slice(&reduce(&b, &access)?)
                        .map_err(|e| ApiError::Internal(e.into()))?;
                    log.push(caller.log(uscc.as_str(), purpose, Some(&access), "ok", None));
                    results.push(json!({"uscc": uscc.to_string(), "status": "ok", "consent_id": access.consent_id(), "profile": profile}));
                }
            },
        }
    }
    // `log` and `results` run in step but for malformed USCCs, which have no row.
    let verdicts = state.audit.record(log).await?;
    let mut verdicts = verdicts.into_iter();
    for r in results.iter_mut() {
        if r["rule"] == "uscc.invalid" {
            continue;
        }
        if let Some(Some(refused)) = verdicts.next() {
            let (rule, why) = refusal_words(&refused);
            *r = json!({"uscc": r["uscc"].clone(), "status": "withheld", "rule": rule, "reason": why});
        }
    }
    Ok(HttpResponse::Ok().json_line(json!({ "results": results })))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HistoryParams {
    /// 1–500, default 50.
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SnapshotView {
    pub version: i32,
    /// The month its indicators end with.
    pub as_of: String,
    pub score: i32,
    pub grade: String,
    pub scorecard_version: String,
    /// `demo`, `recompute`, `pull`, `ingestion:<run id>`.
    pub cause: String,
    pub computed_at: String,
    /// The full snapshot.
    pub href: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HistoryPage {
    pub items: Vec<SnapshotView>,
    pub next_cursor: Option<String>,
}

/// A firm's profile snapshots, newest month first.
#[utoipa::path(tag = "profiles", security(("bearer" = [])), params(("uscc" = String, Path), HistoryParams), responses(
    (status = 200, body = HistoryPage),
    (status = 422, body = super::error::Problem, content_type = "application/problem+json")))]
#[get("/v1/firms/{uscc}/profile/history")]
pub async fn profile_history(
    state: web::Data<AppState>,
    who: Principal,
    uscc: web::Path<String>,
    q: Query<HistoryParams>,
) -> ApiResult<HttpResponse> {
    let uscc = parse_uscc("uscc", &uscc)?;
    own_or_government(&who, &uscc)?;
    let mut errors = Vec::new();
    let limit = page_limit(q.0.limit)
        .map_err(|e| errors.push(e))
        .unwrap_or(0);
    let cursor = match &q.0.cursor {
        None => None,
        Some(c) => decode_cursor("profile", c)
            .and_then(|pos| {
                pos.rsplit_once(':')
                    .and_then(|(m, v)| Some((Month::parse(m)?.to_string(), v.parse::<i32>().ok()?)))
                    .ok_or_else(|| {
                        FieldError::new(
                            "cursor",
                            "cursor.invalid",
                            "cursor is not one this API returned",
                        )
                    })
            })
            .map_err(|e| errors.push(e))
            .ok(),
    };
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    let u = uscc.to_string();
    let mut rows = state
        .db
        .run(move |c| store::history(c, &u, cursor, limit + 1))
        .await?;
    if rows.is_empty() && q.0.cursor.is_none() {
        return Err(not_found(
            &state,
            &uscc,
            format!("firm {uscc} has no credit profile yet"),
        )
        .await);
    }
    let next_cursor = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last()
            .map(|r| encode_cursor("profile", &format!("{}:{}", r.as_of, r.version)))
    } else {
        None
    };
    let items = rows
        .into_iter()
        .map(|r| SnapshotView {
            href: format!("/v1/firms/{uscc}/profile?as_of={}", r.as_of),
            version: r.version,
            as_of: r.as_of,
            score: r.score,
            grade: r.grade,
            scorecard_version: r.scorecard_version,
            cause: r.cause,
            computed_at: crate::domain::rfc3339(r.computed_at),
        })
        .collect();
    Ok(HttpResponse::Ok().json_line(HistoryPage { items, next_cursor }))
}

/// One hypothetical change.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChangeInput {
    /// Utility bills of the last `months` months (1–24) paid on time.
    NoLateUtilityPayments { months: i64 },
    /// Tax and social-insurance arrears cleared.
    ArrearsCleared,
    /// Insured headcount up (or down) by `delta` persons over the last three months.
    HeadcountChange { delta: i64 },
    /// Public-credit records repaired (信用修复, Art 58): those named, or all active ones.
    RecordsRepaired {
        #[serde(default)]
        record_ids: Vec<String>,
    },
    /// A tax credit grade (A, B, M, C, D) for the as-of year.
    TaxGrade { grade: String },
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WhatIfRequest {
    /// `YYYY-MM`; default the last complete month.
    pub as_of: Option<String>,
    /// 1 to 20 changes, applied in order.
    pub changes: Vec<ChangeInput>,
}

fn to_changes(changes: &[ChangeInput]) -> Result<Vec<Change>, Vec<FieldError>> {
    let mut errors = Vec::new();
    if changes.is_empty() || changes.len() > 20 {
        errors.push(FieldError::new("changes", "length", "give 1 to 20 changes"));
    }
    let mut out = Vec::new();
    for (i, c) in changes.iter().enumerate() {
        match c {
            ChangeInput::NoLateUtilityPayments { months } if (1..=24).contains(months) => {
                out.push(Change::NoLateUtilityPayments {
                    months: *months as u32,
                })
            }
            ChangeInput::NoLateUtilityPayments { months } => errors.push(FieldError::new(
                format!("changes[{i}].months"),
                "range",
                format!("months must be 1 to 24, not {months}"),
            )),
            ChangeInput::ArrearsCleared => out.push(Change::ArrearsCleared),
            ChangeInput::HeadcountChange { delta } if *delta != 0 && delta.abs() <= 100_000 => {
                out.push(Change::HeadcountChange { delta: *delta })
            }
            ChangeInput::HeadcountChange { delta } => errors.push(FieldError::new(
                format!("changes[{i}].delta"),
                "range",
                format!("delta must be a non-zero number of persons within ±100000, not {delta}"),
            )),
            ChangeInput::RecordsRepaired { record_ids } => out.push(Change::RecordsRepaired {
                record_ids: record_ids.clone(),
            }),
            ChangeInput::TaxGrade { grade } => {
                match TAX_GRADES.iter().find(|g| **g == grade.as_str()) {
                    Some(g) => out.push(Change::TaxGrade { grade: g }),
                    None => errors.push(FieldError::new(
                        format!("changes[{i}].grade"),
                        "code.unknown",
                        format!("grade '{grade}' is not one of {}", TAX_GRADES.join(", ")),
                    )),
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn summary(v: &Value) -> Value {
    json!({ "score": v["score"], "grade": v["grade"], "reasons": v["reasons"] })
}

/// What-if: the score and grade the firm would have with these changes. Nothing is stored.
#[utoipa::path(tag = "profiles", security(("bearer" = [])), params(("uscc" = String, Path)), request_body = WhatIfRequest, responses(
    (status = 200, description = "current and hypothetical score, grade and reasons", body = Object),
    (status = 422, body = super::error::Problem, content_type = "application/problem+json")))]
#[post("/v1/firms/{uscc}/profile/what-if")]
pub async fn what_if(
    state: web::Data<AppState>,
    who: Principal,
    uscc: web::Path<String>,
    body: Json<WhatIfRequest>,
) -> ApiResult<HttpResponse> {
    let clock = state.clock.clone();
    let uscc = parse_uscc("uscc", &uscc)?;
    own_or_government(&who, &uscc)?;
    let req = body.0;
    let mut errors = Vec::new();
    let as_of = match &req.as_of {
        None => Some(Month::last_complete(clock.today())),
        Some(s) => parse_month("as_of", s, state.clock.today())
            .map_err(|e| errors.push(e))
            .ok(),
    };
    let changes = to_changes(&req.changes).map_err(|e| errors.extend(e)).ok();
    let (Some(as_of), Some(changes), true) = (as_of, changes, errors.is_empty()) else {
        return Err(ApiError::fields(errors));
    };
    let Some(w) = state
        .profiles
        .what_if(uscc.as_str(), as_of, changes)
        .await?
    else {
        return Err(ApiError::NotFound(format!("no firm {uscc} is registered")));
    };
    let changed: Vec<Value> = w
        .changed
        .iter()
        .map(|(k, (b, a))| json!({ "indicator": k, "before": b, "after": a }))
        .collect();
    Ok(HttpResponse::Ok().json_line(json!({
        "uscc": uscc.to_string(),
        "as_of": as_of.to_string(),
        "stored": false,
        "changes": req.changes,
        "current": summary(&w.before),
        "what_if": summary(&w.after),
        "score_change": w.score_change,
        "changed_indicators": changed,
    })))
}
