//! `Authorization: Bearer <key>`: the key's hash is looked up (cache first, then the database) and becomes
//! a `Principal` with one role. Handlers state which roles may pass.

use super::error::ApiError;
use super::AppState;
use crate::config::KEY_CACHE_TTL_SECS;
use crate::domain::role::Role;
use crate::store::keys;
use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Who is calling.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Principal {
    pub key_id: String,
    pub role: Role,
    pub institution_id: Option<String>,
    pub firm_uscc: Option<String>,
}

impl Principal {
    /// 403 unless the key has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            return Ok(());
        }
        let allowed: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        Err(ApiError::Forbidden(format!(
            "this route needs a key with role {}; this key has role {}",
            allowed.join(" or "),
            self.role
        )))
    }

    /// Government and admin act for everyone; a firm key only for its own USCC.
    pub fn require_firm_access(&self, uscc: &str) -> Result<(), ApiError> {
        match self.role {
            Role::Government | Role::Admin => Ok(()),
            Role::Firm if self.firm_uscc.as_deref() == Some(uscc) => Ok(()),
            Role::Firm => Err(ApiError::Forbidden(format!("a firm key acts only for its own firm, not {uscc}"))),
            other => Err(ApiError::Forbidden(format!(
                "a {other} key cannot act on the firm registry; banks see firm data through consented profiles"
            ))),
        }
    }
}

pub fn cache_key(hash: &str) -> String {
    format!("apikey:{hash}")
}

async fn authenticate(state: &AppState, header: Option<String>) -> Result<Principal, ApiError> {
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
    let ckey = cache_key(&hash);
    if let Some(bytes) = state.cache.get(&ckey).await? {
        if let Ok(p) = serde_json::from_slice::<Principal>(&bytes) {
            return Ok(p);
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
    let p = Principal {
        key_id: row.id,
        role,
        institution_id: row.institution_id,
        firm_uscc: row.firm_uscc,
    };
    let bytes = serde_json::to_vec(&p).map_err(|e| ApiError::Internal(e.into()))?;
    state
        .cache
        .set(&ckey, &bytes, Duration::from_secs(KEY_CACHE_TTL_SECS))
        .await?;
    Ok(p)
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let header = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Box::pin(async move {
            let state =
                state.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("app state missing")))?;
            authenticate(&state, header).await
        })
    }
}
