//! Stored consents. A consent is never deleted: revocation stamps `revoked_at`.

use super::schema::{access_log, consents};
use super::{DbConn, Result};
use diesel::prelude::*;

#[derive(
    Debug, Clone, PartialEq, Queryable, Insertable, Selectable, serde::Serialize, serde::Deserialize,
)]
#[diesel(table_name = consents)]
pub struct ConsentRow {
    pub id: String,
    pub firm_uscc: String,
    pub institution_id: String,
    pub purpose: String,
    /// Comma-separated scope items.
    pub scope: String,
    pub data_months: i32,
    pub max_queries_per_month: Option<i32>,
    pub data_life_days: i32,
    pub document_ref: Option<String>,
    pub granted_by: String,
    pub granted_key_id: String,
    pub valid_from: chrono::NaiveDateTime,
    pub expires_at: chrono::NaiveDateTime,
    pub revoked_at: Option<chrono::NaiveDateTime>,
    pub created_at: chrono::NaiveDateTime,
    /// When the firm (or a government officer, for a paper authorisation) confirmed it; a firm's own
    /// grant is confirmed as it is made.
    #[serde(default)]
    pub confirmed_at: Option<chrono::NaiveDateTime>,
    /// `firm` or `government`.
    #[serde(default)]
    pub confirmed_by: Option<String>,
    #[serde(default)]
    pub confirmed_key_id: Option<String>,
    #[serde(default)]
    pub refused_at: Option<chrono::NaiveDateTime>,
    #[serde(default)]
    pub refused_reason: Option<String>,
}

impl ConsentRow {
    pub fn scope_items(&self) -> Vec<&str> {
        self.scope.split(',').filter(|s| !s.is_empty()).collect()
    }
    pub fn status(&self, now: chrono::NaiveDateTime) -> crate::domain::consent::Status {
        crate::domain::consent::status(
            crate::domain::consent::Stamps {
                confirmed: self.confirmed_at.is_some(),
                refused: self.refused_at.is_some(),
                valid_from: self.valid_from,
                expires_at: self.expires_at,
                revoked_at: self.revoked_at,
            },
            now,
        )
    }
}

pub fn insert(conn: &mut DbConn, row: &ConsentRow) -> Result<()> {
    diesel::insert_into(consents::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn get(conn: &mut DbConn, id: &str) -> Result<Option<ConsentRow>> {
    Ok(consents::table.find(id).first(conn).optional()?)
}

/// Who may list: a firm its own, an institution those granted to it, everyone else all.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub firm: Option<String>,
    pub institution: Option<String>,
    /// Ids below this (newest first paging).
    pub before: Option<String>,
    /// Only those awaiting confirmation (neither confirmed, refused nor revoked; expiry is the caller's).
    pub awaiting: bool,
}

pub fn list(conn: &mut DbConn, f: &Filter, limit: i64) -> Result<Vec<ConsentRow>> {
    let mut q = consents::table.into_boxed();
    if f.awaiting {
        q = q.filter(awaiting());
    }
    if let Some(u) = &f.firm {
        q = q.filter(consents::firm_uscc.eq(u.clone()));
    }
    if let Some(i) = &f.institution {
        q = q.filter(consents::institution_id.eq(i.clone()));
    }
    if let Some(b) = &f.before {
        q = q.filter(consents::id.lt(b.clone()));
    }
    Ok(q.order(consents::id.desc()).limit(limit).load(conn)?)
}

/// The consents an institution holds from a firm for a purpose, newest first (live or not: the caller
/// says why none is live).
pub fn for_query(
    conn: &mut DbConn,
    institution: &str,
    firm: &str,
    purpose: &str,
) -> Result<Vec<ConsentRow>> {
    Ok(consents::table
        .filter(consents::institution_id.eq(institution.to_string()))
        .filter(consents::firm_uscc.eq(firm.to_string()))
        .filter(consents::purpose.eq(purpose.to_string()))
        .order(consents::id.desc())
        .limit(20)
        .load(conn)?)
}

/// Stamp the revocation (once); returns the row as it now is.
pub fn revoke(
    conn: &mut DbConn,
    id: &str,
    at: chrono::NaiveDateTime,
) -> Result<Option<ConsentRow>> {
    diesel::update(
        consents::table
            .find(id)
            .filter(consents::revoked_at.is_null()),
    )
    .set(consents::revoked_at.eq(Some(at)))
    .execute(conn)?;
    get(conn, id)
}

type Awaiting = diesel::dsl::And<
    diesel::dsl::And<
        diesel::dsl::IsNull<consents::confirmed_at>,
        diesel::dsl::IsNull<consents::refused_at>,
    >,
    diesel::dsl::IsNull<consents::revoked_at>,
>;

/// Neither confirmed, refused nor revoked: awaiting the firm (expiry is the caller's to judge).
fn awaiting() -> Awaiting {
    consents::confirmed_at
        .is_null()
        .and(consents::refused_at.is_null())
        .and(consents::revoked_at.is_null())
}

/// Confirm a pending consent (once); `None` if it was not pending.
pub fn confirm(
    conn: &mut DbConn,
    id: &str,
    by: &str,
    key_id: &str,
    at: chrono::NaiveDateTime,
) -> Result<Option<ConsentRow>> {
    let n = diesel::update(consents::table.find(id).filter(awaiting()))
        .set((
            consents::confirmed_at.eq(Some(at)),
            consents::confirmed_by.eq(Some(by.to_string())),
            consents::confirmed_key_id.eq(Some(key_id.to_string())),
        ))
        .execute(conn)?;
    if n == 0 {
        return Ok(None);
    }
    get(conn, id)
}

/// The firm refuses a pending consent (once); `None` if it was not pending.
pub fn refuse(
    conn: &mut DbConn,
    id: &str,
    reason: Option<&str>,
    at: chrono::NaiveDateTime,
) -> Result<Option<ConsentRow>> {
    let n = diesel::update(consents::table.find(id).filter(awaiting()))
        .set((
            consents::refused_at.eq(Some(at)),
            consents::refused_reason.eq(reason.map(str::to_string)),
        ))
        .execute(conn)?;
    if n == 0 {
        return Ok(None);
    }
    get(conn, id)
}

/// Successful queries under a consent since `since` (its frequency limit counts these).
pub fn queries_since(
    conn: &mut DbConn,
    consent: &str,
    since: chrono::NaiveDateTime,
) -> Result<i64> {
    Ok(access_log::table
        .filter(access_log::consent_id.eq(consent.to_string()))
        .filter(access_log::at.ge(since))
        .filter(access_log::result.eq("ok"))
        .count()
        .get_result(conn)?)
}
