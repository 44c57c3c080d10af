//! Bulk merge of a batch of signals whose keys are distinct. The current rows for the batch's firms are
//! read once and each incoming row is classified against them in memory: same value → duplicate; another
//! value → the current row is superseded and the next version written; a new key → version 1. What is
//! written goes straight into `signals` (PostgreSQL `COPY`, SQLite multi-row inserts: the only
//! backend-specific part); superseded keys are staged and marked with one set-based UPDATE.
//!
//! The caller holds [`super::signals::lock_for_merge`] in the same transaction, so no other writer adds a
//! current row between the read and the write.

use super::schema::{signals, signals_stage};
use super::signals::StoredValue;
use super::{backend, DbConn, Result};
use crate::domain::signals::Signal;
use diesel::prelude::*;
use rustc_hash::FxHashMap;

/// A row as written: `signals` without `superseded_at` (NULL for a row just written), 18 columns, which
/// is what diesel's `COPY` takes.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = signals, treat_none_as_default_value = false)]
struct NewRow<'a> {
    uscc: &'a str,
    source: &'static str,
    kind: &'static str,
    period: &'a str,
    event_key: &'a str,
    version: i32,
    value_fen: Option<i64>,
    value_num: Option<String>,
    value_code: Option<&'static str>,
    event_start: Option<chrono::NaiveDate>,
    event_end: Option<chrono::NaiveDate>,
    authority: Option<&'a str>,
    repaired_on: Option<chrono::NaiveDate>,
    record_id: Option<&'a str>,
    run_id: &'a str,
    ingested_at: chrono::NaiveDateTime,
    severity: Option<&'static str>,
    legal_basis: Option<&'a str>,
}

impl<'a> NewRow<'a> {
    fn new(s: &'a Signal, version: i32, run_id: &'a str, at: chrono::NaiveDateTime) -> Self {
        let v = StoredValue::of(&s.value);
        NewRow {
            uscc: s.uscc.as_str(),
            source: s.source.as_str(),
            kind: s.kind,
            period: &s.period,
            event_key: &s.event_key,
            version,
            value_fen: v.fen,
            value_num: v.num,
            value_code: v.code,
            event_start: v.start,
            event_end: v.end,
            authority: v.authority,
            repaired_on: v.repaired_on,
            record_id: s.record_id.as_deref(),
            run_id,
            ingested_at: at,
            severity: v.severity,
            legal_basis: v.legal_basis,
        }
    }

    fn key(&self) -> Key<'_> {
        (
            self.uscc,
            self.source,
            self.kind,
            self.period,
            self.event_key,
        )
    }
}

/// The key of a superseded row, staged for the UPDATE that marks it.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = signals_stage, treat_none_as_default_value = false)]
struct StageKey<'a> {
    uscc: &'a str,
    source: &'a str,
    kind: &'a str,
    period: &'a str,
    event_key: &'a str,
}

/// A current row: its key, version and value.
#[derive(Debug, Queryable)]
struct Current {
    uscc: String,
    source: String,
    kind: String,
    period: String,
    event_key: String,
    version: i32,
    value_fen: Option<i64>,
    value_num: Option<String>,
    value_code: Option<String>,
    event_start: Option<chrono::NaiveDate>,
    event_end: Option<chrono::NaiveDate>,
    authority: Option<String>,
    repaired_on: Option<chrono::NaiveDate>,
    record_id: Option<String>,
    severity: Option<String>,
    legal_basis: Option<String>,
}

type Key<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str);

impl Current {
    fn key(&self) -> Key<'_> {
        (
            &self.uscc,
            &self.source,
            &self.kind,
            &self.period,
            &self.event_key,
        )
    }

    /// Same value (and same source record) as `r`: [`super::signals::SignalRow::same_value`] for a row
    /// about to be written.
    fn same_value(&self, r: &NewRow<'_>) -> bool {
        self.value_fen == r.value_fen
            && self.value_num == r.value_num
            && self.value_code.as_deref() == r.value_code
            && self.event_start == r.event_start
            && self.event_end == r.event_end
            && self.authority.as_deref() == r.authority
            && self.repaired_on == r.repaired_on
            && self.record_id.as_deref() == r.record_id
            && self.severity.as_deref() == r.severity
            && self.legal_basis.as_deref() == r.legal_basis
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BulkOutcome {
    pub inserted: i64,
    pub superseded: i64,
    pub duplicate: i64,
}

/// The current rows of the batch's firms and sources.
fn load_current(conn: &mut DbConn, rows: &[NewRow<'_>]) -> Result<Vec<Current>> {
    let mut usccs: Vec<&str> = rows.iter().map(|r| r.uscc).collect();
    usccs.sort_unstable();
    usccs.dedup();
    let mut sources: Vec<&str> = rows.iter().map(|r| r.source).collect();
    sources.sort_unstable();
    sources.dedup();
    let mut out = Vec::new();
    for chunk in usccs.chunks(500) {
        let found: Vec<Current> = signals::table
            .filter(signals::uscc.eq_any(chunk))
            .filter(signals::source.eq_any(&sources))
            .filter(signals::superseded_at.is_null())
            .select((
                signals::uscc,
                signals::source,
                signals::kind,
                signals::period,
                signals::event_key,
                signals::version,
                signals::value_fen,
                signals::value_num,
                signals::value_code,
                signals::event_start,
                signals::event_end,
                signals::authority,
                signals::repaired_on,
                signals::record_id,
                signals::severity,
                signals::legal_basis,
            ))
            .load(conn)?;
        out.extend(found);
    }
    Ok(out)
}

/// Merge `batch` (distinct keys) inside the caller's transaction, as written by run `run_id` at `at`.
pub fn merge(
    conn: &mut DbConn,
    batch: &[&Signal],
    run_id: &str,
    at: chrono::NaiveDateTime,
) -> Result<BulkOutcome> {
    if batch.is_empty() {
        return Ok(BulkOutcome::default());
    }
    let t = std::time::Instant::now();
    let mut rows: Vec<NewRow<'_>> = batch
        .iter()
        .map(|s| NewRow::new(s, 1, run_id, at))
        .collect();
    let current = load_current(conn, &rows)?;
    let by_key: FxHashMap<Key<'_>, &Current> = current.iter().map(|c| (c.key(), c)).collect();
    let loaded = t.elapsed();

    let mut out = BulkOutcome::default();
    let mut superseded = Vec::new();
    rows.retain_mut(|r| match by_key.get(&r.key()) {
        None => {
            out.inserted += 1;
            true
        }
        Some(c) if c.same_value(r) => {
            out.duplicate += 1;
            false
        }
        Some(c) => {
            out.superseded += 1;
            r.version = c.version + 1;
            superseded.push(StageKey {
                uscc: r.uscc,
                source: r.source,
                kind: r.kind,
                period: r.period,
                event_key: r.event_key,
            });
            true
        }
    });
    let classified = t.elapsed();
    supersede(conn, &superseded, at)?;
    let marked = t.elapsed();
    // SQLite takes at most 32,766 bound values a statement: 1,800 rows of 18 columns.
    crate::bulk_insert!(conn, signals::table, &rows, 1800)?;
    tracing::debug!(current = current.len(), ?loaded, ?classified, ?marked, written = ?t.elapsed(), ?out, "bulk merge");
    Ok(out)
}

/// Mark the current rows of `keys` superseded at `at`: the keys are staged in a temporary table and
/// marked with one UPDATE driven from it, so it probes the signals index instead of scanning all signals.
fn supersede(conn: &mut DbConn, keys: &[StageKey<'_>], at: chrono::NaiveDateTime) -> Result<()> {
    if keys.is_empty() {
        return Ok(());
    }
    const COLUMNS: &str =
        "uscc TEXT NOT NULL, source TEXT NOT NULL, kind TEXT NOT NULL, period TEXT NOT NULL, event_key TEXT NOT NULL";
    backend::create_staging(conn, "signals_stage", COLUMNS)?;
    crate::bulk_insert!(conn, signals_stage::table, keys, 5000)?;
    backend::analyze_staging(conn, "signals_stage")?;
    // `at` is a timestamp generated here, never caller text.
    let at = at.format("%Y-%m-%d %H:%M:%S%.6f");
    diesel::sql_query(format!(
        "UPDATE signals SET superseded_at = '{at}' WHERE superseded_at IS NULL AND \
         (uscc, source, kind, period, event_key) IN \
         (SELECT uscc, source, kind, period, event_key FROM signals_stage)"
    ))
    .execute(conn)?;
    backend::drop_staging(conn, "signals_stage")
}
