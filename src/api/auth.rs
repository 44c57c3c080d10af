//! `Authorization: Bearer <key>`: the key's hash is looked up (cache first, then the database) and becomes
//! a `Principal` with one role. Handlers state which roles may pass.

use super::error::ApiError;
use super::AppState;
use crate::cache::Metered;
use crate::config::KEY_CACHE_TTL_SECS;
use crate::domain::role::Role;
use crate::service::Actor;
use crate::store::{institutions, keys};
use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Who is calling.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Principal {
    pub key_id: String,
    /// Who the key acts as (parsed once, when the key was verified).
    pub actor: Actor,
    /// The institution's own limits, where it has any (else the configured defaults apply).
    #[serde(default)]
    pub limits: Limits,
}

/// Per-key request limits: a token bucket and an optional daily quota.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Limits {
    pub per_sec: Option<u32>,
    pub burst: Option<u32>,
    pub daily_quota: Option<u32>,
}

impl Principal {
    pub fn role(&self) -> Role {
        self.actor.role()
    }
    /// The key's institution (banks, agencies, the government).
    pub fn institution(&self) -> Option<&str> {
        self.actor.institution()
    }
    pub fn institution_id(&self) -> Option<String> {
        self.institution().map(str::to_string)
    }
    /// The agency whose records a guarantor key is limited to (`None` for the government side).
    pub fn only_agency(&self) -> Option<String> {
        match &self.actor {
            Actor::Agency { institution } => Some(institution.to_string()),
            _ => None,
        }
    }
    /// The key's firm (firm keys).
    pub fn firm(&self) -> Option<&str> {
        self.actor.firm().map(|u| u.as_str())
    }
    pub fn firm_uscc(&self) -> Option<String> {
        self.firm().map(str::to_string)
    }
    /// 403 unless the key has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.role()) {
            return Ok(());
        }
        let allowed: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        Err(ApiError::Forbidden(format!(
            "this route needs a key with role {}; this key has role {}",
            allowed.join(" or "),
            self.role()
        )))
    }

    /// Government and admin act for everyone; a firm key only for its own USCC.
    pub fn require_firm_access(&self, uscc: &str) -> Result<(), ApiError> {
        crate::service::access::firm_access(&self.actor, uscc).map_err(ApiError::Forbidden)
    }
}

/// The caller's principal, whether a token was already taken from its bucket (a cached principal and its
/// token come in one round trip), and what that round trip read at `also` (see
/// [`crate::cache::Cache::get_and_take_token`]; empty when the principal was not cached).
/// `verified_later`: the request's access-log row is checked against the database before the reply
/// (see [`crate::audit`]), so a cached principal may be used as it is; otherwise a cached principal's key
/// is checked against the database here, so a revoked key fails on its next request whatever the cache
/// holds.
async fn authenticate(
    state: &AppState,
    header: Option<String>,
    also: &[&str],
    verified_later: bool,
) -> Result<(Principal, Metered, Vec<Option<Vec<u8>>>), ApiError> {
    let header = header
        .ok_or_else(|| ApiError::Unauthorized("send Authorization: Bearer <api key>".into()))?;
    let token = header
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError::Unauthorized("the Authorization header must be 'Bearer <api key>'".into())
        })?;
    let hash = keys::hash_key(token);
    let ckey = crate::cache::keys::api_key(&hash);
    let cached = state
        .cache
        .get_and_take_token(&ckey, state.limits.per_sec, state.limits.burst, also)
        .await?;
    if let Some(read) = cached {
        if let Ok(p) = serde_json::from_slice::<Principal>(&read.value) {
            if !verified_later {
                let id = p.key_id.clone();
                if state.db.run(move |c| keys::is_revoked(c, &id)).await? {
                    return Err(ApiError::Unauthorized(
                        "this API key has been revoked".into(),
                    ));
                }
            }
            return Ok((p, read.metered, read.also));
        }
    }
    let h = hash.clone();
    let row = state.db.run(move |c| keys::find_by_hash(c, &h)).await?;
    let row = row.ok_or_else(|| ApiError::Unauthorized("unknown API key".into()))?;
    if row.revoked_at.is_some() {
        return Err(ApiError::Unauthorized(
            "this API key has been revoked".into(),
        ));
    }
    let role = Role::parse(&row.role).ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!(
            "stored key {} has unknown role {}",
            row.id,
            row.role
        ))
    })?;
    let limits = match row.institution_id.clone() {
        None => Limits::default(),
        Some(id) => {
            let inst = state.db.run(move |c| institutions::get(c, &id)).await?;
            let pos = |v: Option<i32>| v.and_then(|x| u32::try_from(x).ok());
            Limits {
                per_sec: pos(inst.rate_per_sec),
                burst: pos(inst.rate_burst),
                daily_quota: pos(inst.daily_quota),
            }
        }
    };
    let actor = Actor::of_key(
        role,
        row.institution_id.as_deref(),
        row.firm_uscc.as_deref(),
    )
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored key {}: {e}", row.id)))?;
    let p = Principal {
        key_id: row.id,
        actor,
        limits,
    };
    let bytes = serde_json::to_vec(&p).map_err(|e| ApiError::Internal(e.into()))?;
    state
        .cache
        .set(&ckey, &bytes, Duration::from_secs(KEY_CACHE_TTL_SECS))
        .await?;
    Ok((p, Metered::NotMetered, Vec::new()))
}

/// Rate limit and daily quota per key (Redis when configured, so all server instances share them);
/// `metered`: what authentication already did about the token.
async fn meter(state: &AppState, p: &Principal, metered: Metered) -> Result<(), ApiError> {
    let clock = state.clock.clone();
    let per_sec = p.limits.per_sec.unwrap_or(state.limits.per_sec);
    let burst = p.limits.burst.unwrap_or(state.limits.burst).max(1);
    let wait = match metered {
        Metered::Taken => None,
        Metered::Wait(w) => Some(w),
        Metered::NotMetered => state.cache.take_token(&p.key_id, per_sec, burst).await?,
    };
    if let Some(wait) = wait {
        return Err(ApiError::TooManyRequests {
            detail: format!(
                "this key may send {per_sec} requests a second (bursts of {burst}); retry shortly"
            ),
            retry_after_secs: wait.as_secs_f64().ceil().max(1.0) as u64,
        });
    }
    if let Some(quota) = p.limits.daily_quota {
        let today = clock.today();
        let n = state
            .cache
            .incr(
                &crate::cache::keys::quota(&p.key_id, today),
                Duration::from_secs(2 * 86_400),
            )
            .await?;
        if n > i64::from(quota) {
            let now = chrono::Utc::now().naive_utc() + chrono::Duration::hours(8);
            let midnight = (today + chrono::Days::new(1))
                .and_hms_opt(0, 0, 0)
                .unwrap_or(now);
            return Err(ApiError::TooManyRequests {
                detail: format!("this key's daily quota of {quota} requests is used up until midnight (China Standard Time)"),
                retry_after_secs: (midnight - now).num_seconds().max(1) as u64,
            });
        }
    }
    Ok(())
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(principal_with(&req, &[], false).await?.0) })
    }
}

/// The caller's principal (authenticated and metered, as the extractor does) and, when its key was
/// cached, the values at `also` read in the same cache round trip (`None` if they were not read; see
/// [`crate::cache::Cache::get_and_take_token`] for [`crate::cache::INSTITUTION`] in a key).
/// For routes whose every answer waits for an access-log row: a cached key is not checked against the
/// database here, the access-log writer checks it (with the consent) before the reply leaves.
pub async fn principal_reading(
    req: &HttpRequest,
    also: &[&str],
) -> Result<(Principal, Option<Vec<Option<Vec<u8>>>>), ApiError> {
    principal_with(req, also, true).await
}

async fn principal_with(
    req: &HttpRequest,
    also: &[&str],
    verified_later: bool,
) -> Result<(Principal, Option<Vec<Option<Vec<u8>>>>), ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("app state missing")))?;
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let (p, metered, read) = authenticate(state, header, also, verified_later).await?;
    meter(state, &p, metered).await?;
    Ok((p, Some(read).filter(|r| r.len() == also.len())))
}

/// A firm's key: the handler's signature says only a firm may call it, and gives its USCC.
pub struct FirmKey {
    pub who: Principal,
    pub uscc: crate::domain::Uscc,
}

/// A guarantee agency's key, with the agency's institution id.
pub struct AgencyKey {
    pub who: Principal,
    pub agency: crate::domain::ids::InstitutionId,
}

/// A bank's key, with the bank's institution id.
pub struct BankKey {
    pub who: Principal,
    pub bank: crate::domain::ids::InstitutionId,
}

fn wrong_role(who: &Principal, needs: &str) -> ApiError {
    ApiError::Forbidden(format!(
        "this route needs a {needs} key; this key has role {}",
        who.role()
    ))
}

macro_rules! role_extractor {
    ($t:ident, $needs:literal, |$who:ident| $pick:expr) => {
        impl FromRequest for $t {
            type Error = ApiError;
            type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                let req = req.clone();
                Box::pin(async move {
                    let $who = principal_with(&req, &[], false).await?.0;
                    match $pick {
                        Some(v) => Ok(v),
                        None => Err(wrong_role(&$who, $needs)),
                    }
                })
            }
        }
    };
}

role_extractor!(FirmKey, "firm", |who| match &who.actor {
    Actor::Firm { uscc } => Some(FirmKey {
        uscc: uscc.clone(),
        who: who.clone(),
    }),
    _ => None,
});
role_extractor!(AgencyKey, "guarantor", |who| match &who.actor {
    Actor::Agency { institution } => Some(AgencyKey {
        agency: institution.clone(),
        who: who.clone(),
    }),
    _ => None,
});
/// A subsidy claimant's key: a guarantee agency (fee subsidies) or a bank (interest subsidies).
pub struct ClaimantKey {
    pub who: Principal,
    pub claimant: crate::service::Claimant,
}

role_extractor!(ClaimantKey, "guarantor or bank", |who| who
    .actor
    .claimant()
    .map(|claimant| ClaimantKey {
        claimant,
        who: who.clone(),
    }));
role_extractor!(BankKey, "bank", |who| match &who.actor {
    Actor::Bank { institution } => Some(BankKey {
        bank: institution.clone(),
        who: who.clone(),
    }),
    _ => None,
});
