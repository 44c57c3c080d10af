//! Stored credit profiles: immutable, versioned snapshots per firm, and the signal rows a profile is
//! computed from.

use super::schema::{firms, profiles, signals};
use super::{DbConn, Result};
use diesel::dsl::max;
use diesel::prelude::*;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Selectable)]
#[diesel(table_name = profiles)]
pub struct ProfileRow {
    pub uscc: String,
    pub version: i32,
    pub as_of: String,
    pub scorecard_version: String,
    pub score: i32,
    pub grade: String,
    pub fingerprint: String,
    pub cause: String,
    pub body: String,
    pub computed_at: chrono::NaiveDateTime,
}

/// A snapshot without its body, for history lists.
#[derive(Debug, Clone, PartialEq, Queryable)]
pub struct ProfileSummary {
    pub version: i32,
    pub as_of: String,
    pub scorecard_version: String,
    pub score: i32,
    pub grade: String,
    pub cause: String,
    pub computed_at: chrono::NaiveDateTime,
}

/// Insert snapshots (multi-row inserts per backend, in chunks).
pub fn insert(conn: &mut DbConn, rows: &[ProfileRow]) -> Result<()> {
    for chunk in rows.chunks(200) {
        crate::on_backend!(&mut *conn, |c| diesel::insert_into(profiles::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(())
}

/// The snapshot current at `as_of` (the newest whose month is not after it), or the newest of all.
pub fn current(conn: &mut DbConn, uscc: &str, as_of: Option<&str>) -> Result<Option<ProfileRow>> {
    let mut q = profiles::table
        .filter(profiles::uscc.eq(uscc.to_string()))
        .into_boxed();
    if let Some(m) = as_of {
        q = q.filter(profiles::as_of.le(m.to_string()));
    }
    Ok(q.order((profiles::as_of.desc(), profiles::version.desc()))
        .first(conn)
        .optional()?)
}

/// A firm's snapshots, newest month first (and newest version first within a month), after `cursor`.
pub fn history(
    conn: &mut DbConn,
    uscc: &str,
    cursor: Option<(String, i32)>,
    limit: i64,
) -> Result<Vec<ProfileSummary>> {
    let mut q = profiles::table
        .filter(profiles::uscc.eq(uscc.to_string()))
        .into_boxed();
    if let Some((m, v)) = cursor {
        q = q.filter(
            profiles::as_of
                .lt(m.clone())
                .or(profiles::as_of.eq(m).and(profiles::version.lt(v))),
        );
    }
    Ok(q.order((profiles::as_of.desc(), profiles::version.desc()))
        .select((
            profiles::version,
            profiles::as_of,
            profiles::scorecard_version,
            profiles::score,
            profiles::grade,
            profiles::cause,
            profiles::computed_at,
        ))
        .limit(limit)
        .load(conn)?)
}

/// Serialize profile writers per firm for the rest of the transaction: a recompute reads each firm's
/// highest version and then writes the next, so two recomputes of one firm (two ingestion runs finishing
/// together) must take turns. PostgreSQL: the firms' rows locked `FOR NO KEY UPDATE`, in USCC order so
/// two writers never wait on each other crosswise (inserts that only reference a firm are not blocked);
/// SQLite: the write transaction is already the only writer.
pub fn lock_firms(conn: &mut DbConn, usccs: &[String]) -> Result<()> {
    let mut sorted = usccs.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    for chunk in sorted.chunks(1_000) {
        let q = firms::table
            .filter(firms::uscc.eq_any(chunk))
            .order(firms::uscc)
            .select(firms::uscc);
        crate::lock_rows!(&mut *conn, q, String)?;
    }
    Ok(())
}

/// Per firm: its highest version and newest as-of month so far.
pub fn heads(conn: &mut DbConn, usccs: &[String]) -> Result<HashMap<String, (i32, String)>> {
    let rows: Vec<(String, Option<i32>, Option<String>)> = profiles::table
        .filter(profiles::uscc.eq_any(usccs))
        .group_by(profiles::uscc)
        .select((profiles::uscc, max(profiles::version), max(profiles::as_of)))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(u, v, m)| Some((u, (v?, m?))))
        .collect())
}

/// Per firm: the fingerprint of its newest snapshot for each of these months.
pub fn fingerprints(
    conn: &mut DbConn,
    usccs: &[String],
    months: &[String],
) -> Result<HashMap<(String, String), String>> {
    let rows: Vec<(String, String, i32, String)> = profiles::table
        .filter(profiles::uscc.eq_any(usccs))
        .filter(profiles::as_of.eq_any(months))
        .select((
            profiles::uscc,
            profiles::as_of,
            profiles::version,
            profiles::fingerprint,
        ))
        .order(profiles::version.asc())
        .load(conn)?;
    // Ascending versions: the last one written per key is the newest.
    Ok(rows.into_iter().map(|(u, m, _, f)| ((u, m), f)).collect())
}

/// What a profile reads of one current signal.
#[derive(Debug, Clone, PartialEq, Queryable)]
pub struct ObsRow {
    pub uscc: String,
    pub kind: String,
    pub period: String,
    pub value_fen: Option<i64>,
    pub value_num: Option<String>,
    pub value_code: Option<String>,
    pub event_start: Option<chrono::NaiveDate>,
    pub event_end: Option<chrono::NaiveDate>,
    pub repaired_on: Option<chrono::NaiveDate>,
    pub record_id: Option<String>,
}

/// The current signals of these firms that profiles as of the months `from..=to` read: for each group of
/// monthly kinds the months its lookback reaches, tax grades from `from_year`, and every public-credit
/// record (one query per group, each an index range per firm).
pub fn inputs(
    conn: &mut DbConn,
    usccs: &[String],
    groups: &[(&[&str], String)],
    from_year: &str,
    to: &str,
) -> Result<Vec<ObsRow>> {
    let columns = (
        signals::uscc,
        signals::kind,
        signals::period,
        signals::value_fen,
        signals::value_num,
        signals::value_code,
        signals::event_start,
        signals::event_end,
        signals::repaired_on,
        signals::record_id,
    );
    let current = || {
        signals::table
            .filter(signals::uscc.eq_any(usccs))
            .filter(signals::superseded_at.is_null())
            .filter(signals::period.le(to.to_string()))
    };
    let mut out: Vec<ObsRow> = current()
        .filter(
            signals::source.eq("public_credit").or(signals::kind
                .eq("tax_grade")
                .and(signals::period.ge(from_year.to_string()))),
        )
        .select(columns)
        .load(conn)?;
    for (kinds, from) in groups {
        out.extend(
            current()
                .filter(signals::kind.eq_any(*kinds))
                .filter(signals::period.ge(from.clone()))
                .select(columns)
                .load::<ObsRow>(conn)?,
        );
    }
    Ok(out)
}

/// Firm facts a profile needs: established date and size class.
pub fn firm_facts(
    conn: &mut DbConn,
    usccs: &[String],
) -> Result<Vec<(String, chrono::NaiveDate, String)>> {
    Ok(firms::table
        .filter(firms::uscc.eq_any(usccs))
        .select((firms::uscc, firms::established_on, firms::size_class))
        .load(conn)?)
}

/// Every registered firm's USCC, in order.
pub fn all_firms(conn: &mut DbConn) -> Result<Vec<String>> {
    Ok(firms::table
        .select(firms::uscc)
        .order(firms::uscc.asc())
        .load(conn)?)
}

/// A firm's newest snapshot of a month: (firm, score, scorecard version, body when asked).
pub type MonthScore = (String, i32, String, Option<String>);

/// The newest snapshot of every firm as of `as_of`.
pub fn month_scores(conn: &mut DbConn, as_of: &str, with_body: bool) -> Result<Vec<MonthScore>> {
    let rows: Vec<(String, i32, i32, String)> = profiles::table
        .filter(profiles::as_of.eq(as_of.to_string()))
        .select((
            profiles::uscc,
            profiles::version,
            profiles::score,
            profiles::scorecard_version,
        ))
        .load(conn)?;
    let mut newest: HashMap<String, (i32, i32, String)> = HashMap::new();
    for (u, v, s, card) in rows {
        let e = newest.entry(u).or_insert((v, s, card.clone()));
        if v >= e.0 {
            *e = (v, s, card);
        }
    }
    let mut out = Vec::with_capacity(newest.len());
    for (u, (v, s, card)) in newest {
        let body = if with_body {
            profiles::table
                .find((u.clone(), v))
                .select(profiles::body)
                .first::<String>(conn)
                .optional()?
        } else {
            None
        };
        out.push((u, s, card, body));
    }
    out.sort();
    Ok(out)
}
