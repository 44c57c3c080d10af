//! Credit profiles over HTTP (Art 26, 58): the newest or as-of snapshot, a firm's snapshot history, and
//! what-if scoring. The firm itself and the government role read them; banks and guarantee agencies read
//! the profile (one or up to 1,000 at once) through a live consent, reduced to its scope, and every such
//! access is logged.

use super::auth::Principal;
use super::error::{ApiError, ApiResult, JsonLine, Problem};
use super::extract::{both, decode_cursor, encode_cursor, page_limit, parse_uscc, Json, Query};
use super::middleware::RequestId;
use super::AppState;
use crate::domain::consent::Purpose;
use crate::domain::month::Month;
use crate::service::profiles::{
    self, consent_cache_key, Ask, BulkItem, Caller, ChangeInput, Prefetched, SnapshotView,
    WhatIfView,
};
use actix_web::{get, post, web, HttpMessage, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

/// The request ids the middleware gave this request.
fn request_ids(req: &HttpRequest) -> Option<RequestId> {
    req.extensions().get::<RequestId>().cloned()
}

/// The access log's view of this request: who, through which route, with which request ids, when.
fn caller<'a>(
    state: &AppState,
    who: &'a Principal,
    ids: &'a Option<RequestId>,
    route: &'static str,
) -> Caller<'a> {
    Caller {
        actor: &who.actor,
        key_id: &who.key_id,
        route,
        at: state.clock.now(),
        request_id: ids.as_ref().map(|r| r.0.as_str()),
        client_request_id: ids.as_ref().and_then(|r| r.1.as_deref()),
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

/// A firm's credit profile: score (300–900), grade, the four largest adverse contributions as reason
/// codes (zh/en), and per source its indicators, coverage and the signals each used.
#[utoipa::path(tag = "profiles", security(("bearer" = [])), params(("uscc" = String, Path), ProfileParams), responses(
    (status = 200, description = "the profile", body = crate::service::profiles::ProfileDocument),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json")))]
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
    let q = q?.0;
    let uscc = parse_uscc("uscc", &uscc)?;
    let today = state.clock.today();
    let ask = Ask::parse(
        &who.actor,
        uscc,
        q.purpose.as_deref(),
        q.as_of.as_deref(),
        today,
    )?;
    let prefetched = prefetched(&guessed, read, &who, &ask);
    let ids = request_ids(&req);
    let caller = caller(&state, &who, &ids, "GET /v1/firms/{uscc}/profile");
    let read = profiles::read(state.ctx(), &caller, &ask, prefetched).await?;
    let mut resp = HttpResponse::Ok();
    if let Some((id, scope)) = &read.consent {
        resp.insert_header(("x-consent-id", id.as_str()));
        resp.insert_header(("x-consent-scope", scope.as_str()));
    }
    Ok(resp.content_type("application/json").body(read.body))
}

/// Which of the values read at the guessed keys were read under the keys the checked request needs.
fn prefetched(
    guessed: &[String],
    read: Option<Vec<Option<Vec<u8>>>>,
    who: &Principal,
    ask: &Ask,
) -> Prefetched {
    let Some(read) = read else {
        return Prefetched::default();
    };
    let want = [
        Some(crate::cache::keys::profile(ask.uscc.as_str())),
        consent_cache_key(&who.actor, &ask.uscc, ask.purpose),
    ];
    let mut got = guessed.iter().zip(read).zip(want).map(|((g, v), w)| {
        (w.is_some() && crate::cache::with_institution(g, who.institution()) == w).then_some(v)
    });
    Prefetched {
        profile: got.next().flatten(),
        consents: got.next().flatten(),
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
        profiles::consents_key(crate::cache::INSTITUTION, uscc.as_str(), purpose),
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
    (status = 200, description = "per USCC, in the order asked, `status` ok (with `profile`), withheld or not_found (with `rule` and `reason`)", body = BulkAnswer),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/v1/profiles/query")]
pub async fn bulk_query(
    state: web::Data<AppState>,
    who: Principal,
    req: HttpRequest,
    body: Json<BulkQuery>,
) -> ApiResult<HttpResponse> {
    let q = body.0;
    let ids = request_ids(&req);
    let caller = caller(&state, &who, &ids, "POST /v1/profiles/query");
    let (purpose, as_of) = (q.purpose.as_deref(), q.as_of.as_deref());
    let results = profiles::read_many(state.ctx(), &caller, purpose, as_of, &q.usccs).await?;
    Ok(HttpResponse::Ok().json_line(BulkAnswer { results }))
}

/// Per USCC, in the order asked.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BulkAnswer {
    pub results: Vec<BulkItem>,
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
pub struct HistoryPage {
    pub items: Vec<SnapshotView>,
    pub next_cursor: Option<String>,
}

/// A firm's profile snapshots, newest month first.
#[utoipa::path(tag = "profiles", security(("bearer" = [])), params(("uscc" = String, Path), HistoryParams), responses(
    (status = 200, body = HistoryPage),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[get("/v1/firms/{uscc}/profile/history")]
pub async fn profile_history(
    state: web::Data<AppState>,
    who: Principal,
    uscc: web::Path<String>,
    q: Query<HistoryParams>,
) -> ApiResult<HttpResponse> {
    let uscc = parse_uscc("uscc", &uscc)?;
    let (limit, cursor) = both(
        page_limit(q.0.limit),
        q.0.cursor.as_deref().map(history_cursor).transpose(),
    )?;
    let (items, next) = profiles::history(state.ctx(), &who.actor, &uscc, limit, cursor).await?;
    let next_cursor = next.map(|(m, v)| encode_cursor("profile", &format!("{m}:{v}")));
    Ok(HttpResponse::Ok().json_line(HistoryPage { items, next_cursor }))
}

/// A history cursor's month and version.
fn history_cursor(c: &str) -> Result<(Month, i32), super::error::FieldError> {
    decode_cursor("profile", c).and_then(|pos| {
        pos.rsplit_once(':')
            .and_then(|(m, v)| Some((Month::parse(m)?, v.parse::<i32>().ok()?)))
            .ok_or_else(|| {
                super::error::FieldError::new(
                    "cursor",
                    "cursor.invalid",
                    "cursor is not one this API returned",
                )
            })
    })
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WhatIfRequest {
    /// `YYYY-MM`; default the last complete month.
    pub as_of: Option<String>,
    /// 1 to 20 changes, applied in order.
    pub changes: Vec<ChangeInput>,
}

/// What-if: the score and grade the firm would have with these changes. Nothing is stored.
#[utoipa::path(tag = "profiles", security(("bearer" = [])), params(("uscc" = String, Path)), request_body = WhatIfRequest, responses(
    (status = 200, description = "current and hypothetical score, grade and reasons", body = WhatIfView),
    (status = 422, body = Problem, content_type = "application/problem+json")))]
#[post("/v1/firms/{uscc}/profile/what-if")]
pub async fn what_if(
    state: web::Data<AppState>,
    who: Principal,
    uscc: web::Path<String>,
    body: Json<WhatIfRequest>,
) -> ApiResult<HttpResponse> {
    let uscc = parse_uscc("uscc", &uscc)?;
    let WhatIfRequest { as_of, changes } = body.0;
    let view = profiles::what_if(state.ctx(), &who.actor, &uscc, as_of.as_deref(), changes).await?;
    Ok(HttpResponse::Ok().json_line(view))
}
