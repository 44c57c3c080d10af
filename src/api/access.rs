//! Who may read a firm's profile, and what of it: the firm itself and the government side read all of it;
//! a bank or guarantee agency reads it only under a live consent from the firm for the purpose it names,
//! reduced to the consent's scope and data range. Every access, granted or refused, goes to the access log
//! (committed before the reply).

use super::auth::Principal;
use super::error::{ApiError, ApiResult, FieldError};
use super::middleware::RequestId;
use super::AppState;
use crate::audit::Refused;
use crate::domain::consent::{self, Purpose, Refusal, Status, SCOPES};
use crate::domain::month::Month;
use crate::domain::role::Role;
use crate::domain::Uscc;
use crate::service::Actor;
use crate::store::access_log::AccessRow;
use crate::store::consents::{self, ConsentRow};

use actix_web::{HttpMessage, HttpRequest};
use serde_json::Value;
use std::time::Duration;

/// How long a firm's consents for one institution and purpose stay cached; creating or revoking one
/// evicts them at once.
const CONSENT_CACHE_TTL: Duration = Duration::from_secs(60);

/// What the caller may read.
#[derive(Debug, Clone)]
pub enum Access {
    /// The firm itself, the government side.
    Full,
    /// What this consent allows.
    Consent(Box<ConsentRow>),
}

impl Access {
    pub fn consent_id(&self) -> Option<String> {
        match self {
            Access::Full => None,
            Access::Consent(c) => Some(c.id.clone()),
        }
    }
    pub fn scope_text(&self) -> String {
        match self {
            Access::Full => "all".into(),
            Access::Consent(c) => c.scope.clone(),
        }
    }
}

/// The request's facts the access log needs.
pub struct Caller<'a> {
    pub who: &'a Principal,
    pub route: &'static str,
    pub request_id: Option<String>,
    pub client_request_id: Option<String>,
    /// When the request was taken (the app's clock).
    pub at: chrono::NaiveDateTime,
}

impl<'a> Caller<'a> {
    pub fn new(who: &'a Principal, req: &HttpRequest, route: &'static str) -> Self {
        let ids = req.extensions().get::<RequestId>().cloned();
        let at = req
            .app_data::<actix_web::web::Data<super::AppState>>()
            .map_or_else(crate::clock::system::now, |s| s.clock.now());
        Caller {
            who,
            route,
            at,
            request_id: ids.as_ref().map(|r| r.0.clone()),
            client_request_id: ids.and_then(|r| r.1),
        }
    }

    pub fn log(
        &self,
        uscc: &str,
        purpose: Option<Purpose>,
        access: Option<&Access>,
        result: &str,
        reason: Option<String>,
    ) -> AccessRow {
        AccessRow {
            id: uuid::Uuid::now_v7().to_string(),
            at: self.at,
            key_id: self.who.key_id.clone(),
            role: self.who.role().as_str().into(),
            institution_id: self.who.institution_id(),
            firm_uscc: uscc.to_string(),
            purpose: purpose.map(|p| p.as_str().to_string()),
            consent_id: access.and_then(Access::consent_id),
            scope: access.map(Access::scope_text),
            route: self.route.into(),
            result: result.into(),
            reason,
            request_id: self.request_id.clone(),
            client_request_id: self.client_request_id.clone(),
        }
    }
}

/// The `purpose` a bank or guarantor must name; others may leave it out.
pub fn parse_purpose(who: &Principal, purpose: Option<&str>) -> ApiResult<Option<Purpose>> {
    match (purpose, who.role()) {
        (None, Role::Bank | Role::Guarantor) => Err(ApiError::field(
            "purpose",
            "required",
            format!(
                "a {} names the purpose of its query: {}",
                who.role(),
                Purpose::keys()
            ),
        )),
        (None, _) => Ok(None),
        (Some(p), _) => Purpose::parse(p).map(Some).ok_or_else(|| {
            ApiError::field(
                "purpose",
                "purpose.unknown",
                format!("'{p}' is not a purpose; use one of {}", Purpose::keys()),
            )
        }),
    }
}

/// Where `institution`'s consents for `uscc` and `purpose` (credit assessment when none is named) are
/// cached.
pub fn consents_key(institution: &str, uscc: &str, purpose: Option<Purpose>) -> String {
    crate::cache::keys::consent(
        institution,
        uscc,
        purpose.unwrap_or(Purpose::CreditAssessment).as_str(),
    )
}

/// Where a bank's or guarantor's consents for `uscc` and `purpose` are cached; `None` for callers that need
/// no consent.
pub fn consent_cache_key(who: &Principal, uscc: &Uscc, purpose: Option<Purpose>) -> Option<String> {
    match &who.actor {
        Actor::Bank { institution } | Actor::Agency { institution } => {
            Some(consents_key(institution, uscc.as_str(), purpose))
        }
        _ => None,
    }
}

/// The consents: from `cached` (what the caller already read from the cache under their key), else the
/// cache, else the database.
async fn consents_for(
    state: &AppState,
    cached: Option<Vec<u8>>,
    institution: &str,
    uscc: &str,
    purpose: Purpose,
) -> ApiResult<Vec<ConsentRow>> {
    let key = &consents_key(institution, uscc, Some(purpose));
    let cached = match cached {
        Some(b) => Some(b),
        None => state.cache.get(key).await?,
    };
    if let Some(b) = cached {
        if let Ok(v) = serde_json::from_slice::<Vec<ConsentRow>>(&b) {
            return Ok(v);
        }
    }
    let (i, u) = (institution.to_string(), uscc.to_string());
    let rows = state
        .db
        .run(move |c| consents::for_query(c, &i, &u, purpose.as_str()))
        .await?;
    let bytes = serde_json::to_vec(&rows).map_err(|e| ApiError::Internal(e.into()))?;
    // Fill only an empty key: a revocation's eviction is never overwritten by an older read.
    state
        .cache
        .set_if_absent(key, &bytes, CONSENT_CACHE_TTL)
        .await?;
    Ok(rows)
}

/// Decide whether the caller may read `uscc`'s profile (as of `as_of`, if given), without logging.
/// `cached_consents`: what the caller already read from the cache under [`consent_cache_key`], if it did.
pub async fn decide(
    state: &AppState,
    who: &Principal,
    uscc: &Uscc,
    purpose: Option<Purpose>,
    as_of: Option<Month>,
    cached_consents: Option<Vec<u8>>,
) -> ApiResult<Result<Access, (String, String)>> {
    let clock = state.clock.clone();
    match &who.actor {
        Actor::Firm { .. } | Actor::Government { .. } | Actor::Admin => {
            Ok(match who.require_firm_access(uscc.as_str()) {
                Ok(()) => Ok(Access::Full),
                Err(e) => Err(("firm.own".into(), e.to_string())),
            })
        }
        Actor::Bank { institution } | Actor::Agency { institution } => {
            let purpose = purpose.unwrap_or(Purpose::CreditAssessment);
            let rows =
                consents_for(state, cached_consents, institution, uscc.as_str(), purpose).await?;
            let at = clock.now();
            let live = rows.iter().find(|c| c.status(at) == Status::Active);
            let refusal = match (live, rows.first()) {
                (Some(c), _) => {
                    let range_ok = as_of.is_none_or(|m| {
                        consent::within_range(c.data_months, m.first_day(), clock.today())
                    });
                    if !range_ok {
                        Some(Refusal::OutOfRange {
                            id: c.id.clone(),
                            months: c.data_months,
                        })
                    } else if let Some(limit) = c.max_queries_per_month {
                        let since = Month::of(clock.today())
                            .first_day()
                            .and_hms_opt(0, 0, 0)
                            .unwrap_or(at)
                            - chrono::Duration::hours(8);
                        let id = c.id.clone();
                        let used = state
                            .db
                            .run_log(move |conn| consents::queries_since(conn, &id, since))
                            .await?;
                        (used >= i64::from(limit)).then(|| Refusal::QuotaUsed {
                            id: c.id.clone(),
                            limit: i64::from(limit),
                        })
                    } else {
                        None
                    }
                }
                (None, None) => Some(Refusal::None { purpose }),
                (None, Some(c)) => {
                    let id = c.id.clone();
                    Some(match c.status(at) {
                        Status::Revoked => Refusal::Revoked {
                            id,
                            at: c.revoked_at.unwrap_or(at),
                        },
                        Status::Pending => Refusal::Unconfirmed { id },
                        Status::Refused => Refusal::RefusedByFirm { id },
                        Status::Scheduled => Refusal::NotYetValid {
                            id,
                            from: c.valid_from,
                        },
                        Status::Expired | Status::Active => Refusal::Expired {
                            id,
                            at: c.expires_at,
                        },
                    })
                }
            };
            Ok(match (refusal, live) {
                (None, Some(c)) => Ok(Access::Consent(Box::new(c.clone()))),
                (Some(r), _) => Err((r.code().to_string(), r.to_string())),
                (None, None) => Err((
                    "consent.missing".into(),
                    Refusal::None { purpose }.to_string(),
                )),
            })
        }
    }
}

/// Decide, and on a refusal log it and answer 403 naming the missing or expired consent.
pub async fn authorize(
    state: &AppState,
    caller: &Caller<'_>,
    uscc: &Uscc,
    purpose: Option<Purpose>,
    as_of: Option<Month>,
    cached_consents: Option<Vec<u8>>,
) -> ApiResult<Access> {
    match decide(state, caller.who, uscc, purpose, as_of, cached_consents).await? {
        Ok(a) => Ok(a),
        Err((code, why)) => {
            let refused = state
                .audit
                .record_one(caller.log(
                    uscc.as_str(),
                    purpose,
                    None,
                    "denied",
                    Some(format!("{code}: {why}")),
                ))
                .await?;
            Err(match refused {
                Some(r) => refusal_error(&r),
                None => ApiError::Forbidden(format!("{why} ({code})")),
            })
        }
    }
}

/// The answer to a request the access-log writer refused on the database's word (see [`crate::audit`]).
pub fn refusal_error(r: &Refused) -> ApiError {
    let (code, why) = refusal_words(r);
    match r {
        Refused::Key => ApiError::Unauthorized(why),
        Refused::Consent { .. } => ApiError::Forbidden(format!("{why} ({code})")),
    }
}

/// The rule and words for a request (or a bulk result) the writer refused.
pub fn refusal_words(r: &Refused) -> (String, String) {
    match r {
        Refused::Key => ("key.revoked".into(), "this API key has been revoked".into()),
        Refused::Consent { id, at } => {
            let r = Refusal::Revoked {
                id: id.clone(),
                at: *at,
            };
            (r.code().into(), r.to_string())
        }
    }
}

/// The profile as this access may see it: the stored bytes when the consent covers everything, else
/// the sections, reasons and windows outside the consent removed.
pub fn reduce(body: &[u8], access: &Access) -> ApiResult<Vec<u8>> {
    let Access::Consent(c) = access else {
        return Ok(body.to_vec());
    };
    let scope = c.scope_items();
    if scope.len() == SCOPES.len() && c.data_months >= 24 {
        return Ok(body.to_vec());
    }
    let mut v: Value = serde_json::from_slice(body).map_err(|e| ApiError::Internal(e.into()))?;
    if let Some(obj) = v.as_object_mut() {
        if let Some(Value::Object(sections)) = obj.get_mut("sections") {
            sections.retain(|k, _| scope.contains(&k.as_str()));
            for s in sections.values_mut() {
                if let Some(Value::Array(list)) = s.get_mut("indicators") {
                    list.retain(|i| {
                        i["window_months"]
                            .as_i64()
                            .is_none_or(|w| w <= i64::from(c.data_months))
                    });
                }
            }
        }
        if scope.contains(&"score") {
            if let Some(Value::Array(reasons)) = obj.get_mut("reasons") {
                reasons.retain(|r| r["section"].as_str().is_some_and(|s| scope.contains(&s)));
            }
        } else {
            for k in ["score", "grade", "points", "reasons"] {
                obj.remove(k);
            }
        }
        obj.insert("scope".into(), Value::from(scope.clone()));
        obj.insert("consent_id".into(), Value::from(c.id.clone()));
    }
    serde_json::to_vec(&v).map_err(|e| ApiError::Internal(e.into()))
}

/// A `purpose` query parameter error as a field error (bulk requests name it in the body).
pub fn purpose_error(e: ApiError) -> Vec<FieldError> {
    match e {
        ApiError::Validation { errors, .. } => errors,
        other => vec![FieldError::new("purpose", "purpose", other.to_string())],
    }
}
