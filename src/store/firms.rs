//! The firm registry, keyed by USCC.

use super::schema::firms;
use super::{DbConn, Result};
use diesel::prelude::*;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, AsChangeset)]
#[diesel(table_name = firms, treat_none_as_null = true)]
pub struct FirmRow {
    pub uscc: String,
    pub name: String,
    pub industry_code: String,
    pub industry_row: String,
    pub district: String,
    pub established_on: chrono::NaiveDate,
    pub registered_capital_fen: i64,
    pub employees: Option<i64>,
    pub revenue_fen: Option<i64>,
    pub total_assets_fen: Option<i64>,
    pub size_class: String,
    pub size_standard: String,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, row: &FirmRow) -> Result<()> {
    diesel::insert_into(firms::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Insert many rows in one transaction, skipping USCCs already registered (demo seeding, bulk
/// registration). Returns how many were new.
pub fn insert_many_new(conn: &mut DbConn, rows: &[FirmRow]) -> Result<usize> {
    Ok(crate::insert_ignoring_conflicts!(conn, firms::table, rows)?)
}

pub fn get(conn: &mut DbConn, uscc: &str) -> Result<FirmRow> {
    Ok(firms::table.find(uscc).first(conn)?)
}

/// Whether `uscc` is registered (without reading its row).
pub fn exists(conn: &mut DbConn, uscc: &str) -> Result<bool> {
    Ok(diesel::select(diesel::dsl::exists(firms::table.find(uscc))).get_result(conn)?)
}

pub fn update(conn: &mut DbConn, row: &FirmRow) -> Result<()> {
    let n = diesel::update(firms::table.find(&row.uscc))
        .set(row)
        .execute(conn)?;
    if n == 0 {
        return Err(super::StoreError::NotFound);
    }
    Ok(())
}

#[derive(Debug, Default, Clone)]
pub struct FirmFilter {
    pub district: Option<String>,
    pub industry_row: Option<String>,
    /// A GB/T 4754 code prefix (`C13` matches `C1310`).
    pub industry_code_prefix: Option<String>,
    pub size_class: Option<String>,
    /// Keyset pagination: only firms with a USCC after this one.
    pub after: Option<String>,
}

/// Firms in USCC order, at most `limit`.
pub fn list(conn: &mut DbConn, filter: &FirmFilter, limit: i64) -> Result<Vec<FirmRow>> {
    let mut q = firms::table.into_boxed();
    if let Some(d) = &filter.district {
        q = q.filter(firms::district.eq(d.clone()));
    }
    if let Some(r) = &filter.industry_row {
        q = q.filter(firms::industry_row.eq(r.clone()));
    }
    if let Some(p) = &filter.industry_code_prefix {
        // Codes are [A-T][0-9]*, so the prefix has no LIKE wildcards in it.
        q = q.filter(firms::industry_code.like(format!("{p}%")));
    }
    if let Some(c) = &filter.size_class {
        q = q.filter(firms::size_class.eq(c.clone()));
    }
    if let Some(a) = &filter.after {
        q = q.filter(firms::uscc.gt(a.clone()));
    }
    Ok(q.order(firms::uscc.asc()).limit(limit).load(conn)?)
}

pub fn count(conn: &mut DbConn) -> Result<i64> {
    Ok(firms::table.count().get_result(conn)?)
}

/// Many firms by USCC (those registered).
pub fn get_many(conn: &mut DbConn, usccs: &[String]) -> Result<Vec<FirmRow>> {
    let mut out = Vec::new();
    for chunk in usccs.chunks(5_000) {
        out.extend(
            firms::table
                .filter(firms::uscc.eq_any(chunk.to_vec()))
                .load::<FirmRow>(conn)?,
        );
    }
    Ok(out)
}

/// A firm's own edit of its size figures (issue 20 §8), waiting for the government or the sources.
#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Selectable)]
#[diesel(table_name = super::schema::firm_declarations)]
pub struct DeclarationRow {
    pub id: String,
    pub uscc: String,
    pub employees: Option<i64>,
    pub revenue_fen: Option<i64>,
    pub total_assets_fen: Option<i64>,
    /// `pending`, `confirmed` or `rejected`.
    pub status: String,
    pub declared_at: chrono::NaiveDateTime,
    pub decided_by: Option<String>,
    pub decided_at: Option<chrono::NaiveDateTime>,
    pub note: Option<String>,
}

pub fn insert_declaration(conn: &mut DbConn, row: &DeclarationRow) -> Result<()> {
    use super::schema::firm_declarations as d;
    // A new declaration replaces the firm's pending one.
    diesel::update(
        d::table
            .filter(d::uscc.eq(&row.uscc))
            .filter(d::status.eq("pending")),
    )
    .set((
        d::status.eq("rejected"),
        d::decided_by.eq(Some("superseded")),
        d::decided_at.eq(Some(row.declared_at)),
        d::note.eq(Some("replaced by a newer declaration")),
    ))
    .execute(conn)?;
    diesel::insert_into(d::table).values(row).execute(conn)?;
    Ok(())
}

/// A firm's declarations, newest first.
pub fn declarations(conn: &mut DbConn, uscc: &str) -> Result<Vec<DeclarationRow>> {
    use super::schema::firm_declarations as d;
    Ok(d::table
        .filter(d::uscc.eq(uscc))
        .order(d::declared_at.desc())
        .load(conn)?)
}

pub fn get_declaration(conn: &mut DbConn, id: &str) -> Result<Option<DeclarationRow>> {
    use super::schema::firm_declarations as d;
    Ok(d::table.find(id).first(conn).optional()?)
}

/// Decide a pending declaration; false when it was no longer pending.
pub fn decide_declaration(
    conn: &mut DbConn,
    id: &str,
    status: &str,
    by: &str,
    at: chrono::NaiveDateTime,
    note: Option<&str>,
) -> Result<bool> {
    use super::schema::firm_declarations as d;
    let n = diesel::update(d::table.find(id).filter(d::status.eq("pending")))
        .set((
            d::status.eq(status),
            d::decided_by.eq(Some(by)),
            d::decided_at.eq(Some(at)),
            d::note.eq(note),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// A firm's verified size figures as stored, each kind as `YYYY-MM=value` items joined by commas in no
/// order: insured headcounts (as stored, decimal text) and invoiced revenues (fen).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VerifiedText {
    pub headcount: String,
    pub revenue: String,
}

#[derive(QueryableByName)]
struct FiguresRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    uscc: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    figures: Option<String>,
}

/// The verified size figures of `usccs` up to `to` (a month), by firm: insured headcount from social
/// insurance from `headcount_from`, invoiced revenue from tax from `revenue_from`, current rows only. Aggregated to one row per firm and
/// kind where they lie (two years of a city's firms are millions of monthly rows), in a few queries
/// however many firms; the current-signals index leads with the firm. A firm with none is absent.
pub fn verified_figures(
    conn: &mut DbConn,
    usccs: &[String],
    headcount_from: crate::domain::month::Month,
    revenue_from: crate::domain::month::Month,
    to: crate::domain::month::Month,
) -> Result<HashMap<String, VerifiedText>> {
    let agg = super::backend::string_agg(conn);
    let mut out: HashMap<String, VerifiedText> = HashMap::new();
    // Registry USCCs are checked on entry; anything but letters and digits is refused, never quoted.
    if let Some(bad) = usccs
        .iter()
        .find(|u| !u.bytes().all(|b| b.is_ascii_alphanumeric()))
    {
        return Err(super::StoreError::Config(format!("not a USCC: {bad:?}")));
    }
    for chunk in usccs.chunks(5_000) {
        let list = chunk
            .iter()
            .map(|u| format!("'{u}'"))
            .collect::<Vec<_>>()
            .join(",");
        // One query per kind: each reads the current-signals index (uscc, source, kind, period).
        for (source, kind, from) in [
            ("social_insurance", "insured_headcount", headcount_from),
            ("tax", "invoiced_revenue", revenue_from),
        ] {
            let q = format!(
                "SELECT uscc, {agg}(period || '=' || COALESCE(value_num, CAST(value_fen AS TEXT)), ',') AS figures
                 FROM signals
                 WHERE uscc IN ({list}) AND source = '{source}' AND kind = '{kind}' AND superseded_at IS NULL
                   AND period >= '{from}' AND period <= '{to}'
                 GROUP BY uscc"
            );
            for r in diesel::sql_query(q).load::<FiguresRow>(conn)? {
                let t = out.entry(r.uscc).or_default();
                let figures = r.figures.unwrap_or_default();
                if kind == "insured_headcount" {
                    t.headcount = figures;
                } else {
                    t.revenue = figures;
                }
            }
        }
    }
    Ok(out)
}
