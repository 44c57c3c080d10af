//! API keys: stored only as SHA-256 hashes of a 256-bit random secret; shown once at creation.

use super::schema::{api_keys, institutions};
use super::{DbConn, Result, StoreError};
use crate::clock::system::now;
use crate::domain::{role::Role, Uscc};
use base64::Engine;
use diesel::prelude::*;
use rand::RngCore;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = api_keys)]
pub struct ApiKeyRow {
    pub id: String,
    pub key_hash: String,
    pub prefix: String,
    pub role: String,
    pub institution_id: Option<String>,
    pub firm_uscc: Option<String>,
    pub label: String,
    pub created_at: chrono::NaiveDateTime,
    pub revoked_at: Option<chrono::NaiveDateTime>,
}

pub const KEY_PREFIX: &str = "chk_";

/// The stored form of a key: hex SHA-256 of the full key text.
pub fn hash_key(plaintext: &str) -> String {
    hex::encode(Sha256::digest(plaintext.as_bytes()))
}

/// 256 random bits, URL-safe base64 (API keys, link tokens, session ids, CSRF tokens).
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn new_secret() -> String {
    format!("{KEY_PREFIX}{}", random_secret())
}

pub struct NewKey<'a> {
    pub role: &'a str,
    pub institution_id: Option<&'a str>,
    pub firm_uscc: Option<&'a str>,
    pub label: &'a str,
}

/// Create a key; returns the stored row and the plaintext, which is never stored.
pub fn create(conn: &mut DbConn, new: NewKey<'_>) -> Result<(ApiKeyRow, String)> {
    let secret = new_secret();
    let row = ApiKeyRow {
        id: uuid::Uuid::now_v7().to_string(),
        key_hash: hash_key(&secret),
        prefix: secret[..12].to_string(),
        role: new.role.to_string(),
        institution_id: new.institution_id.map(str::to_string),
        firm_uscc: new.firm_uscc.map(str::to_string),
        label: new.label.to_string(),
        created_at: now(),
        revoked_at: None,
    };
    diesel::insert_into(api_keys::table)
        .values(&row)
        .execute(conn)?;
    Ok((row, secret))
}

pub fn find_by_hash(conn: &mut DbConn, hash: &str) -> Result<Option<ApiKeyRow>> {
    Ok(api_keys::table
        .filter(api_keys::key_hash.eq(hash))
        .first(conn)
        .optional()?)
}

/// Whether the key `id` is revoked (or gone): the truth a cached principal is checked against.
pub fn is_revoked(conn: &mut DbConn, id: &str) -> Result<bool> {
    let row: Option<Option<chrono::NaiveDateTime>> = api_keys::table
        .find(id)
        .select(api_keys::revoked_at)
        .first(conn)
        .optional()?;
    Ok(row.is_none_or(|r| r.is_some()))
}

/// All keys with their institution's name, newest first.
pub fn list(conn: &mut DbConn) -> Result<Vec<(ApiKeyRow, Option<String>)>> {
    Ok(api_keys::table
        .left_join(institutions::table)
        .select((api_keys::all_columns, institutions::name.nullable()))
        .order(api_keys::created_at.desc())
        .load(conn)?)
}

/// Revoke by id or by the key's shown prefix; returns the revoked row (with its hash, to evict caches).
/// Refused (conflict) for `acting_key`, the caller's own key, and for the last active admin key (no one
/// could administer the hub through the API after it).
pub fn revoke(
    conn: &mut DbConn,
    id_or_prefix: &str,
    acting_key: Option<&str>,
) -> Result<ApiKeyRow> {
    super::backend::write_transaction(conn, |conn| revoke_in(conn, id_or_prefix, acting_key))
}

fn revoke_in(conn: &mut DbConn, id_or_prefix: &str, acting_key: Option<&str>) -> Result<ApiKeyRow> {
    let matches: Vec<ApiKeyRow> = api_keys::table
        .filter(
            api_keys::id
                .eq(id_or_prefix)
                .or(api_keys::prefix.eq(id_or_prefix)),
        )
        .load(conn)?;
    let row = match matches.as_slice() {
        [] => return Err(StoreError::NotFound),
        [one] => one.clone(),
        _ => {
            return Err(StoreError::Conflict(format!(
                "'{id_or_prefix}' names several keys; use the key id"
            )))
        }
    };
    if acting_key == Some(row.id.as_str()) {
        return Err(StoreError::Conflict(
            "a key cannot revoke itself; revoke it with another admin key".into(),
        ));
    }
    if row.role == Role::Admin.as_str() && row.revoked_at.is_none() {
        let admins: i64 = api_keys::table
            .filter(api_keys::role.eq(Role::Admin.as_str()))
            .filter(api_keys::revoked_at.is_null())
            .count()
            .get_result(conn)?;
        if admins <= 1 {
            return Err(StoreError::Conflict(
                "this is the last active admin key; create another admin key first (credithub keys create --role admin)".into(),
            ));
        }
    }
    let at = now();
    diesel::update(api_keys::table.find(&row.id))
        .set(api_keys::revoked_at.eq(Some(at)))
        .execute(conn)?;
    Ok(ApiKeyRow {
        revoked_at: Some(at),
        ..row
    })
}

#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    #[error("a {role} key needs --institution NAME")]
    InstitutionRequired { role: Role },
    #[error("a firm key needs --firm USCC")]
    FirmRequired,
    #[error("a {role} key takes no --firm")]
    FirmNotAllowed { role: Role },
    #[error("a {role} key takes no --institution")]
    InstitutionNotAllowed { role: Role },
    #[error("--firm: {0}")]
    Uscc(#[from] crate::domain::uscc::UsccError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What `credithub keys create` does: check the role's requirements, create the institution if it is new,
/// and mint a key. Returns the row, the institution's name if any, and the plaintext key.
pub fn provision(
    conn: &mut DbConn,
    role: Role,
    institution: Option<&str>,
    firm: Option<&str>,
    label: Option<&str>,
) -> std::result::Result<(ApiKeyRow, String), ProvisionError> {
    let institution = institution.map(str::trim).filter(|s| !s.is_empty());
    let inst_id = match (role.institution_kind(), institution) {
        (Some(kind), Some(name)) => Some(super::institutions::ensure(conn, name, kind)?.id),
        (Some(_), None) => return Err(ProvisionError::InstitutionRequired { role }),
        (None, Some(_)) => return Err(ProvisionError::InstitutionNotAllowed { role }),
        (None, None) => None,
    };
    let firm = match (role, firm) {
        (Role::Firm, Some(f)) => Some(Uscc::parse(f)?),
        (Role::Firm, None) => return Err(ProvisionError::FirmRequired),
        (_, Some(_)) => return Err(ProvisionError::FirmNotAllowed { role }),
        (_, None) => None,
    };
    let default_label = format!("{role} key");
    let (row, secret) = create(
        conn,
        NewKey {
            role: role.as_str(),
            institution_id: inst_id.as_deref(),
            firm_uscc: firm.as_ref().map(Uscc::as_str),
            label: label.unwrap_or(&default_label),
        },
    )?;
    Ok((row, secret))
}
