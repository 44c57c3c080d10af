//! The scorecard registry (issue 19): every card registered with its role (one champion, challengers,
//! retired ones), who registered and promoted it; and the challengers' shadow scores per firm and month.

use super::schema::{scorecards, shadow_scores};
use super::{DbConn, Result};
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Selectable)]
#[diesel(table_name = scorecards)]
pub struct ScorecardRow {
    pub version: String,
    /// `champion`, `challenger` or `retired`.
    pub role: String,
    pub body: String,
    /// `shipped`, `fitted` or `uploaded`.
    pub origin: String,
    pub registered_by: String,
    pub registered_at: chrono::NaiveDateTime,
    pub promoted_by: Option<String>,
    pub promoted_at: Option<chrono::NaiveDateTime>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Selectable)]
#[diesel(table_name = shadow_scores, treat_none_as_default_value = false)]
pub struct ShadowRow {
    pub uscc: String,
    pub as_of: String,
    pub scorecard_version: String,
    pub score: i32,
    pub grade: String,
    pub computed_at: chrono::NaiveDateTime,
}

pub fn list(conn: &mut DbConn) -> Result<Vec<ScorecardRow>> {
    Ok(scorecards::table
        .order(scorecards::registered_at.asc())
        .load(conn)?)
}

pub fn get(conn: &mut DbConn, version: &str) -> Result<Option<ScorecardRow>> {
    Ok(scorecards::table.find(version).first(conn).optional()?)
}

/// The champion, when one is registered.
pub fn champion(conn: &mut DbConn) -> Result<Option<ScorecardRow>> {
    Ok(scorecards::table
        .filter(scorecards::role.eq("champion"))
        .first(conn)
        .optional()?)
}

/// The champion and the challengers, champion first.
pub fn live(conn: &mut DbConn) -> Result<Vec<ScorecardRow>> {
    let mut rows: Vec<ScorecardRow> = scorecards::table
        .filter(scorecards::role.ne("retired"))
        .order(scorecards::registered_at.asc())
        .load(conn)?;
    rows.sort_by_key(|r| r.role != "champion");
    Ok(rows)
}

pub fn insert(conn: &mut DbConn, row: &ScorecardRow) -> Result<()> {
    diesel::insert_into(scorecards::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Register `row` as the champion when there is none (start-up); true when it was.
pub fn ensure_champion(conn: &mut DbConn, row: &ScorecardRow) -> Result<bool> {
    super::backend::write_transaction(conn, |c| {
        let has = scorecards::table
            .filter(scorecards::role.eq("champion"))
            .count()
            .get_result::<i64>(c)?;
        if has > 0 || get(c, &row.version)?.is_some() {
            return Ok(false);
        }
        insert(c, row)?;
        Ok(true)
    })
}

/// Make `version` the champion and the champion before it a retired card (call in a transaction).
pub fn promote(
    conn: &mut DbConn,
    version: &str,
    by: &str,
    at: chrono::NaiveDateTime,
) -> Result<Option<String>> {
    let before: Option<String> = scorecards::table
        .filter(scorecards::role.eq("champion"))
        .select(scorecards::version)
        .first(conn)
        .optional()?;
    diesel::update(scorecards::table.filter(scorecards::role.eq("champion")))
        .set(scorecards::role.eq("retired"))
        .execute(conn)?;
    diesel::update(scorecards::table.find(version))
        .set((
            scorecards::role.eq("champion"),
            scorecards::promoted_by.eq(Some(by)),
            scorecards::promoted_at.eq(Some(at)),
        ))
        .execute(conn)?;
    Ok(before)
}

/// Replace the shadow scores of `versions` for these firms and months with `rows`.
pub fn replace_shadows(
    conn: &mut DbConn,
    usccs: &[String],
    months: &[String],
    versions: &[String],
    rows: &[ShadowRow],
) -> Result<()> {
    if versions.is_empty() {
        return Ok(());
    }
    diesel::delete(
        shadow_scores::table
            .filter(shadow_scores::uscc.eq_any(usccs))
            .filter(shadow_scores::as_of.eq_any(months))
            .filter(shadow_scores::scorecard_version.eq_any(versions)),
    )
    .execute(conn)?;
    let rows = rows.to_vec();
    // SQLite takes at most 32,766 bound values a statement: 5,000 rows of 6 columns.
    crate::bulk_insert!(conn, shadow_scores::table, &rows, 5000)?;
    Ok(())
}

/// A challenger's shadow scores as of `as_of`.
pub fn shadows(conn: &mut DbConn, version: &str, as_of: &str) -> Result<Vec<ShadowRow>> {
    Ok(shadow_scores::table
        .filter(shadow_scores::scorecard_version.eq(version))
        .filter(shadow_scores::as_of.eq(as_of))
        .order(shadow_scores::uscc.asc())
        .load(conn)?)
}

/// How many shadow scores a card has.
pub fn shadow_count(conn: &mut DbConn, version: &str) -> Result<i64> {
    Ok(shadow_scores::table
        .filter(shadow_scores::scorecard_version.eq(version))
        .count()
        .get_result(conn)?)
}
