//! API keys: revocation, the same for the admin route and the CLI. The key is marked revoked in the
//! database (which every later request checks) and its cached principal is dropped.

use super::{Context, ServiceError};
use crate::store::keys::{self, ApiKeyRow};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum RevokeError {
    #[error("no key with id or prefix '{0}'")]
    NotFound(String),
    /// The caller's own key, or the last active admin key.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Store(StoreError),
}

impl From<RevokeError> for ServiceError {
    fn from(e: RevokeError) -> Self {
        match e {
            RevokeError::NotFound(_) => ServiceError::NotFound(e.to_string()),
            RevokeError::Refused(m) => ServiceError::Conflict(m),
            RevokeError::Store(s) => ServiceError::Store(s),
        }
    }
}

/// Revoke the key with this id or prefix. `acting`: the key doing it (an admin's own key is refused);
/// `None` from the command line.
#[tracing::instrument(skip(ctx), fields(key = %id))]
pub async fn revoke(
    ctx: &Context,
    acting: Option<&str>,
    id: &str,
) -> Result<ApiKeyRow, RevokeError> {
    let (wanted, me) = (id.to_string(), acting.map(str::to_string));
    let row = ctx
        .db
        .run(move |c| keys::revoke(c, &wanted, me.as_deref()))
        .await
        .map_err(|e| match e {
            StoreError::NotFound => RevokeError::NotFound(id.to_string()),
            StoreError::Conflict(m) => RevokeError::Refused(m),
            other => RevokeError::Store(other),
        })?;
    // The database already refuses the key; a failed delete only leaves a cached copy that every
    // non-profile route checks against the database, and the access-log writer checks for the rest.
    if let Err(e) = ctx
        .cache
        .delete(&crate::cache::keys::api_key(&row.key_hash))
        .await
    {
        tracing::warn!(error = %e, "revoked key's cache entry not deleted");
    }
    Ok(row)
}

/// Every key with its institution's name, newest first (the platform's administrators).
pub async fn list(
    ctx: &Context,
    actor: &super::Actor,
) -> Result<Vec<(ApiKeyRow, Option<String>)>, ServiceError> {
    if *actor != super::Actor::Admin {
        return Err(ServiceError::Forbidden(
            "keys are for the platform's administrators".into(),
        ));
    }
    Ok(ctx.db.run(keys::list).await?)
}
