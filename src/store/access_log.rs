//! The access log: one row per profile access (who, with which key, which firm, purpose, consent, the scope
//! returned, when, the result). Append-only: nothing here updates or deletes, and the database refuses it.

use super::schema::{access_log, api_keys, consents};
use super::{DbConn, Result};
use diesel::prelude::*;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Selectable)]
#[diesel(table_name = access_log, treat_none_as_default_value = false)]
pub struct AccessRow {
    /// UUIDv7: time-ordered.
    pub id: String,
    pub at: chrono::NaiveDateTime,
    pub key_id: String,
    pub role: String,
    pub institution_id: Option<String>,
    pub firm_uscc: String,
    pub purpose: Option<String>,
    pub consent_id: Option<String>,
    pub scope: Option<String>,
    pub route: String,
    /// `ok`, `denied` or `not_found`.
    pub result: String,
    pub reason: Option<String>,
    /// Made by the hub for every request.
    pub request_id: Option<String>,
    /// The caller's own `X-Request-Id`, if it sent one (kept beside the hub's, never instead of it).
    pub client_request_id: Option<String>,
}

/// What the database says was revoked among a batch's keys and consents.
#[derive(Debug, Default)]
pub struct Revoked {
    pub keys: std::collections::HashSet<String>,
    pub consents: HashMap<String, chrono::NaiveDateTime>,
}

/// Of `keys` and `consents`, those revoked, in one query (the database is the truth; a cache entry may
/// be older than a revocation).
pub fn revoked(conn: &mut DbConn, keys: &[&str], consents: &[&str]) -> Result<Revoked> {
    let key_rows = api_keys::table
        .filter(api_keys::id.eq_any(keys))
        .filter(api_keys::revoked_at.is_not_null())
        .select((
            api_keys::id,
            api_keys::revoked_at,
            diesel::dsl::sql::<diesel::sql_types::Bool>("1 = 1"),
        ));
    let consent_rows = consents::table
        .filter(consents::id.eq_any(consents))
        .filter(consents::revoked_at.is_not_null())
        .select((
            consents::id,
            consents::revoked_at,
            diesel::dsl::sql::<diesel::sql_types::Bool>("1 = 0"),
        ));
    // UNION ALL is not expressible over `MultiConnection`: the same statement, per backend.
    let rows: Vec<(String, Option<chrono::NaiveDateTime>, bool)> =
        crate::on_backend!(conn, |c| key_rows.union_all(consent_rows).load(c))?;
    let mut out = Revoked::default();
    for (id, at, is_key) in rows {
        match (is_key, at) {
            (true, _) => {
                out.keys.insert(id);
            }
            (false, Some(at)) => {
                out.consents.insert(id, at);
            }
            (false, None) => {}
        }
    }
    Ok(out)
}

/// Append rows all or nothing, durable when this returns: on PostgreSQL one `COPY` (a single statement,
/// atomic on its own, so no BEGIN/COMMIT round trips); on SQLite multi-row inserts in one transaction.
pub fn append(conn: &mut DbConn, rows: &[AccessRow]) -> Result<()> {
    super::backend::atomic_bulk(conn, |conn| {
        Ok(crate::bulk_insert!(conn, access_log::table, rows, 500)?)
    })
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub firm: Option<String>,
    pub institution: Option<String>,
    pub before: Option<String>,
}

/// Newest first.
pub fn list(conn: &mut DbConn, f: &Filter, limit: i64) -> Result<Vec<AccessRow>> {
    let mut q = access_log::table.into_boxed();
    if let Some(u) = &f.firm {
        q = q.filter(access_log::firm_uscc.eq(u.clone()));
    }
    if let Some(i) = &f.institution {
        q = q.filter(access_log::institution_id.eq(i.clone()));
    }
    if let Some(b) = &f.before {
        q = q.filter(access_log::id.lt(b.clone()));
    }
    Ok(q.order(access_log::id.desc()).limit(limit).load(conn)?)
}
