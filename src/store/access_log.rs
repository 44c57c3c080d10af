//! The access log: one row per profile access (who, with which key, which firm, purpose, consent, the scope
//! returned, when, the result). Append-only: nothing here updates or deletes, and the database refuses it.

use super::backend::write_transaction;
use super::schema::access_log;
use super::{DbConn, Result};
use diesel::prelude::*;

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
    pub request_id: Option<String>,
}

/// Append rows all or nothing, durable when this returns: on PostgreSQL one `COPY` (a single statement,
/// atomic on its own, so no BEGIN/COMMIT round trips); on SQLite multi-row inserts in one transaction.
pub fn append(conn: &mut DbConn, rows: &[AccessRow]) -> Result<()> {
    match conn {
        DbConn::Postgres(c) => {
            diesel::copy_from(access_log::table)
                .from_insertable(rows)
                .execute(c)?;
            Ok(())
        }
        DbConn::Sqlite(_) => write_transaction(conn, |conn| {
            for chunk in rows.chunks(500) {
                crate::on_backend!(&mut *conn, |c| diesel::insert_into(access_log::table)
                    .values(chunk)
                    .execute(c))?;
            }
            Ok(())
        }),
    }
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
