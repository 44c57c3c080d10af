//! Institutions: banks, guarantee agencies and the government side.

use super::schema::institutions;
use super::{DbConn, Result};
use crate::clock::system::now;
use diesel::prelude::*;
use serde::Serialize;

#[derive(Debug, Clone, Queryable, Insertable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = institutions)]
pub struct Institution {
    pub id: String,
    pub name: String,
    /// `bank`, `guarantor` or `government`.
    pub kind: String,
    #[schema(value_type = String)]
    pub created_at: chrono::NaiveDateTime,
    /// Requests per second per key (token bucket refill); unset: the configured default.
    pub rate_per_sec: Option<i32>,
    /// Bucket size (the burst a key may send at once); unset: the configured default.
    pub rate_burst: Option<i32>,
    /// Requests per key per day (China Standard Time); unset: no quota.
    pub daily_quota: Option<i32>,
}

pub const KINDS: [&str; 3] = ["bank", "guarantor", "government"];

pub fn find_by_name(conn: &mut DbConn, name: &str) -> Result<Option<Institution>> {
    Ok(institutions::table
        .filter(institutions::name.eq(name))
        .first(conn)
        .optional()?)
}

pub fn get(conn: &mut DbConn, id: &str) -> Result<Institution> {
    Ok(institutions::table.find(id).first(conn)?)
}

/// The institution of that name, created with `kind` if it does not exist yet. An existing one of another
/// kind is a conflict (a bank cannot also be a guarantee agency under one name).
pub fn ensure(conn: &mut DbConn, name: &str, kind: &str) -> Result<Institution> {
    if let Some(existing) = find_by_name(conn, name)? {
        if existing.kind != kind {
            return Err(super::StoreError::Conflict(format!(
                "institution '{name}' exists as a {}, not a {kind}",
                existing.kind
            )));
        }
        return Ok(existing);
    }
    let inst = Institution {
        id: uuid::Uuid::now_v7().to_string(),
        name: name.to_string(),
        kind: kind.to_string(),
        created_at: now(),
        rate_per_sec: None,
        rate_burst: None,
        daily_quota: None,
    };
    diesel::insert_into(institutions::table)
        .values(&inst)
        .execute(conn)?;
    Ok(inst)
}

pub fn list(conn: &mut DbConn) -> Result<Vec<Institution>> {
    Ok(institutions::table
        .order(institutions::name.asc())
        .load(conn)?)
}

/// Every institution's name, by id.
pub fn names(conn: &mut DbConn) -> Result<std::collections::HashMap<String, String>> {
    Ok(institutions::table
        .select((institutions::id, institutions::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}

/// Set an institution's limits (None: back to the default).
pub fn set_limits(
    conn: &mut DbConn,
    id: &str,
    rate_per_sec: Option<i32>,
    rate_burst: Option<i32>,
    daily_quota: Option<i32>,
) -> Result<Institution> {
    let n = diesel::update(institutions::table.find(id))
        .set((
            institutions::rate_per_sec.eq(rate_per_sec),
            institutions::rate_burst.eq(rate_burst),
            institutions::daily_quota.eq(daily_quota),
        ))
        .execute(conn)?;
    if n == 0 {
        return Err(super::StoreError::NotFound);
    }
    get(conn, id)
}
