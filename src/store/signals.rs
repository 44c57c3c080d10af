//! Stored credit signals: the current value per (firm, source, kind, period, event) and every value it
//! replaced. A correction marks the current row superseded and adds the next version.

use super::schema::{firms, signals};
use super::{DbConn, Result};
use crate::domain::signals::{Signal, Value};
use crate::domain::Money;
use diesel::prelude::*;
use std::collections::HashSet;

#[derive(Debug, Clone, PartialEq, Queryable, Insertable)]
#[diesel(table_name = signals)]
pub struct SignalRow {
    pub uscc: String,
    pub source: String,
    pub kind: String,
    pub period: String,
    pub event_key: String,
    pub version: i32,
    pub value_fen: Option<i64>,
    pub value_num: Option<String>,
    pub value_code: Option<String>,
    pub event_start: Option<chrono::NaiveDate>,
    pub event_end: Option<chrono::NaiveDate>,
    pub authority: Option<String>,
    pub repaired_on: Option<chrono::NaiveDate>,
    pub record_id: Option<String>,
    pub run_id: String,
    pub ingested_at: chrono::NaiveDateTime,
    pub superseded_at: Option<chrono::NaiveDateTime>,
    /// Public credit (Art 58): the record's severity and legal basis (its category is `value_code`).
    pub severity: Option<String>,
    pub legal_basis: Option<String>,
}

/// The columns one [`Value`] fills, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredValue<'a> {
    pub fen: Option<i64>,
    pub num: Option<String>,
    pub code: Option<&'static str>,
    pub start: Option<chrono::NaiveDate>,
    pub end: Option<chrono::NaiveDate>,
    pub authority: Option<&'a str>,
    pub repaired_on: Option<chrono::NaiveDate>,
    pub severity: Option<&'static str>,
    pub legal_basis: Option<&'a str>,
}

impl<'a> StoredValue<'a> {
    pub fn of(v: &'a Value) -> Self {
        let mut out = StoredValue {
            fen: None,
            num: None,
            code: None,
            start: None,
            end: None,
            authority: None,
            repaired_on: None,
            severity: None,
            legal_basis: None,
        };
        match v {
            Value::Money(m) => out.fen = Some(m.fen()),
            Value::Count(n) => out.num = Some(n.to_string()),
            Value::Quantity(d) => out.num = Some(d.to_string()),
            Value::Code(c) => out.code = Some(c),
            Value::Event {
                start,
                end,
                authority,
                repaired_on,
                category,
                severity,
                legal_basis,
            } => {
                out.start = Some(*start);
                out.end = *end;
                out.authority = Some(authority);
                out.repaired_on = *repaired_on;
                // The category of the closed list is the record's code.
                out.code = Some(category);
                out.severity = Some(severity.as_str());
                out.legal_basis = Some(legal_basis);
            }
            // The budget in fen (summed by the statistics); the reserved flag as a code.
            Value::Award {
                amount,
                budget,
                reserved,
                buyer,
                awarded_on,
            } => {
                out.fen = Some(amount.fen());
                out.num = Some(budget.fen().to_string());
                out.code = reserved.map(|r| if r { "reserved" } else { "open" });
                out.start = Some(*awarded_on);
                out.authority = Some(buyer);
            }
        }
        out
    }
}

impl SignalRow {
    pub fn new(s: &Signal, run_id: &str, version: i32, at: chrono::NaiveDateTime) -> Self {
        let v = StoredValue::of(&s.value);
        SignalRow {
            uscc: s.uscc.to_string(),
            source: s.source.as_str().to_string(),
            kind: s.kind.to_string(),
            period: s.period.clone(),
            event_key: s.event_key.clone(),
            version,
            value_fen: v.fen,
            value_num: v.num,
            value_code: v.code.map(str::to_string),
            event_start: v.start,
            event_end: v.end,
            authority: v.authority.map(str::to_string),
            repaired_on: v.repaired_on,
            record_id: s.record_id.clone(),
            run_id: run_id.to_string(),
            ingested_at: at,
            superseded_at: None,
            severity: v.severity.map(str::to_string),
            legal_basis: v.legal_basis.map(str::to_string),
        }
    }

    /// Same value (and same source record), ignoring version and provenance.
    pub fn same_value(&self, other: &SignalRow) -> bool {
        (
            &self.value_fen,
            &self.value_num,
            &self.value_code,
            &self.event_start,
            &self.event_end,
            &self.authority,
            &self.repaired_on,
            &self.record_id,
            &self.severity,
            &self.legal_basis,
        ) == (
            &other.value_fen,
            &other.value_num,
            &other.value_code,
            &other.event_start,
            &other.event_end,
            &other.authority,
            &other.repaired_on,
            &other.record_id,
            &other.severity,
            &other.legal_basis,
        )
    }

    /// The value as text: yuan for money, the number, the code; events carry theirs in the event fields.
    pub fn value_text(&self) -> Option<String> {
        // A public-credit record's code is its category, not a value.
        if self.event_start.is_some() && self.value_fen.is_none() {
            return None;
        }
        self.value_fen
            .map(|f| Money::from_fen(f).to_string())
            .or_else(|| self.value_num.clone())
            .or_else(|| self.value_code.clone())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Merge {
    Inserted,
    Superseded,
    Duplicate,
}

/// Store a signal: new key → version 1; same value as the current one → nothing (a duplicate);
/// a different value → the current row is superseded and the next version stored.
pub fn merge(
    conn: &mut DbConn,
    s: &Signal,
    run_id: &str,
    at: chrono::NaiveDateTime,
) -> Result<Merge> {
    let key = signals::uscc
        .eq(s.uscc.as_str())
        .and(signals::source.eq(s.source.as_str()))
        .and(signals::kind.eq(s.kind))
        .and(signals::period.eq(&s.period))
        .and(signals::event_key.eq(&s.event_key));
    let current: Option<SignalRow> = signals::table
        .filter(key)
        .filter(signals::superseded_at.is_null())
        .first(conn)
        .optional()?;
    match current {
        None => {
            diesel::insert_into(signals::table)
                .values(SignalRow::new(s, run_id, 1, at))
                .execute(conn)?;
            Ok(Merge::Inserted)
        }
        Some(cur) => {
            let new = SignalRow::new(s, run_id, cur.version + 1, at);
            if cur.same_value(&new) {
                return Ok(Merge::Duplicate);
            }
            diesel::update(
                signals::table
                    .filter(key)
                    .filter(signals::version.eq(cur.version)),
            )
            .set(signals::superseded_at.eq(Some(at)))
            .execute(conn)?;
            diesel::insert_into(signals::table)
                .values(new)
                .execute(conn)?;
            Ok(Merge::Superseded)
        }
    }
}

/// Serialize writers of signals for the rest of the transaction: a merge reads the current rows and then
/// writes, so no other ingestion may add a current row in between (PostgreSQL: a transaction-scoped
/// advisory lock; SQLite: the transaction is already the only writer, begun with BEGIN IMMEDIATE).
pub fn lock_for_merge(conn: &mut DbConn) -> Result<()> {
    super::backend::writers_take_turns(conn, 7262840176152025)
}

/// Which of these USCCs are registered firms.
pub fn known_firms(conn: &mut DbConn, usccs: &[String]) -> Result<HashSet<String>> {
    let mut out = HashSet::new();
    for chunk in usccs.chunks(500) {
        let found: Vec<String> = firms::table
            .filter(firms::uscc.eq_any(chunk))
            .select(firms::uscc)
            .load(conn)?;
        out.extend(found);
    }
    Ok(out)
}

/// A firm's signals, current only or with history, by source, kind, period, version.
pub fn for_firm(
    conn: &mut DbConn,
    uscc: &str,
    kind: Option<&str>,
    history: bool,
) -> Result<Vec<SignalRow>> {
    let mut q = signals::table
        .filter(signals::uscc.eq(uscc.to_string()))
        .into_boxed();
    if let Some(k) = kind {
        q = q.filter(signals::kind.eq(k.to_string()));
    }
    if !history {
        q = q.filter(signals::superseded_at.is_null());
    }
    Ok(q.order((
        signals::source.asc(),
        signals::kind.asc(),
        signals::period.asc(),
        signals::event_key.asc(),
        signals::version.asc(),
    ))
    .load(conn)?)
}

/// A firm's current rows of one source (its public-credit records, say), by kind, period and key.
pub fn current_of_source(conn: &mut DbConn, uscc: &str, source: &str) -> Result<Vec<SignalRow>> {
    Ok(signals::table
        .filter(signals::uscc.eq(uscc.to_string()))
        .filter(signals::source.eq(source.to_string()))
        .filter(signals::superseded_at.is_null())
        .order((
            signals::kind.asc(),
            signals::period.asc(),
            signals::event_key.asc(),
        ))
        .load(conn)?)
}

pub fn count_current(conn: &mut DbConn) -> Result<i64> {
    Ok(signals::table
        .filter(signals::superseded_at.is_null())
        .count()
        .get_result(conn)?)
}
