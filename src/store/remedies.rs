//! The firm's remedies (Art 58, issue 21): credit-repair applications and disputes with their steps and
//! evidence files, the departments' remits, and the events banks under a monitoring consent read.
//! A decision is a conditional update on the status it needs, so no step can happen twice.

use super::schema::{
    department_remits, monitoring_events, remedy_files, remedy_requests, remedy_steps,
};
use super::{DbConn, Result};
use crate::domain::states::{RemedyKind, RemedyStatus};
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Selectable)]
#[diesel(table_name = remedy_requests)]
pub struct RemedyRow {
    pub id: String,
    pub kind: RemedyKind,
    pub firm_uscc: String,
    pub source: String,
    pub owner: String,
    pub signal_kind: String,
    pub period: String,
    pub event_key: String,
    pub record_id: Option<String>,
    pub status: RemedyStatus,
    pub statement: String,
    pub claimed_value: Option<String>,
    /// The references the firm gave, as a JSON list of strings.
    pub refs: String,
    pub submitted_at: chrono::NaiveDateTime,
    pub accept_due: Option<chrono::NaiveDate>,
    pub decide_due: chrono::NaiveDate,
    pub accepted_at: Option<chrono::NaiveDateTime>,
    pub decided_at: Option<chrono::NaiveDateTime>,
    pub handled_by: Option<String>,
    pub outcome_reason: Option<String>,
    pub repaired_on: Option<chrono::NaiveDate>,
    pub correction_run_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Selectable)]
#[diesel(table_name = remedy_steps)]
pub struct StepRow {
    pub id: String,
    pub request_id: String,
    pub at: chrono::NaiveDateTime,
    pub action: String,
    pub actor: String,
    pub detail: Option<String>,
}

/// A file's record without its bytes.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = remedy_files)]
pub struct FileMeta {
    pub id: String,
    pub request_id: String,
    pub filename: String,
    pub content_type: String,
    pub sha256: String,
    pub size_bytes: i64,
    pub uploaded_at: chrono::NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = remedy_files)]
pub struct NewFile {
    pub id: String,
    pub request_id: String,
    pub filename: String,
    pub content_type: String,
    pub sha256: String,
    pub size_bytes: i64,
    pub bytes: Vec<u8>,
    pub uploaded_at: chrono::NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Selectable)]
#[diesel(table_name = monitoring_events)]
pub struct MonitoringEventRow {
    pub id: String,
    pub institution_id: String,
    pub consent_id: String,
    pub firm_uscc: String,
    pub kind: String,
    pub subject: String,
    pub detail: String,
    pub at: chrono::NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, row: &RemedyRow) -> Result<()> {
    diesel::insert_into(remedy_requests::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn get(conn: &mut DbConn, id: &str) -> Result<Option<RemedyRow>> {
    Ok(remedy_requests::table.find(id).first(conn).optional()?)
}

pub fn add_step(conn: &mut DbConn, step: &StepRow) -> Result<()> {
    diesel::insert_into(remedy_steps::table)
        .values(step)
        .execute(conn)?;
    Ok(())
}

pub fn steps(conn: &mut DbConn, request: &str) -> Result<Vec<StepRow>> {
    Ok(remedy_steps::table
        .filter(remedy_steps::request_id.eq(request))
        .order((remedy_steps::at.asc(), remedy_steps::id.asc()))
        .load(conn)?)
}

pub fn add_file(conn: &mut DbConn, f: &NewFile) -> Result<()> {
    diesel::insert_into(remedy_files::table)
        .values(f)
        .execute(conn)?;
    Ok(())
}

pub fn files(conn: &mut DbConn, request: &str) -> Result<Vec<FileMeta>> {
    Ok(remedy_files::table
        .filter(remedy_files::request_id.eq(request))
        .select(FileMeta::as_select())
        .order(remedy_files::id.asc())
        .load(conn)?)
}

/// A file of a request, with its bytes.
pub fn file(conn: &mut DbConn, request: &str, id: &str) -> Result<Option<(FileMeta, Vec<u8>)>> {
    Ok(remedy_files::table
        .filter(remedy_files::request_id.eq(request))
        .filter(remedy_files::id.eq(id))
        .select((FileMeta::as_select(), remedy_files::bytes))
        .first(conn)
        .optional()?)
}

/// Which requests to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub firm: Option<String>,
    /// Only requests whose owner is one of these sources (a department's remit); `None`: all.
    pub owners: Option<Vec<String>>,
    pub status: Option<RemedyStatus>,
    pub kind: Option<RemedyKind>,
    /// Only those open past their deadline on this day: a submitted repair past `accept_due`, an
    /// accepted repair or an open dispute past `decide_due` (the deadline `RemedyView::of` shows).
    pub overdue_on: Option<chrono::NaiveDate>,
    pub before: Option<String>,
}

/// Requests, newest first, up to `limit`.
pub fn list(conn: &mut DbConn, f: &Filter, limit: i64) -> Result<Vec<RemedyRow>> {
    let mut q = remedy_requests::table.into_boxed();
    if let Some(firm) = &f.firm {
        q = q.filter(remedy_requests::firm_uscc.eq(firm.clone()));
    }
    if let Some(owners) = &f.owners {
        q = q.filter(remedy_requests::owner.eq_any(owners.clone()));
    }
    if let Some(s) = f.status {
        q = q.filter(remedy_requests::status.eq(s));
    }
    if let Some(k) = f.kind {
        q = q.filter(remedy_requests::kind.eq(k));
    }
    if let Some(today) = f.overdue_on {
        use remedy_requests::{accept_due, decide_due, kind, status};
        q = q.filter(
            status
                .eq(RemedyStatus::Submitted)
                .and(kind.eq(RemedyKind::Repair))
                .and(accept_due.lt(today))
                .or(status
                    .eq(RemedyStatus::Submitted)
                    .and(kind.eq(RemedyKind::Dispute))
                    .and(decide_due.lt(today)))
                .or(status.eq(RemedyStatus::Accepted).and(decide_due.lt(today))),
        );
    }
    if let Some(b) = &f.before {
        q = q.filter(remedy_requests::id.lt(b.clone()));
    }
    Ok(q.order(remedy_requests::id.desc())
        .limit(limit)
        .load(conn)?)
}

/// An open request of the same kind on the same record (one at a time).
pub fn open_on_record(
    conn: &mut DbConn,
    kind: RemedyKind,
    firm: &str,
    signal_kind: &str,
    period: &str,
    event_key: &str,
) -> Result<Option<String>> {
    Ok(remedy_requests::table
        .filter(remedy_requests::kind.eq(kind))
        .filter(remedy_requests::firm_uscc.eq(firm))
        .filter(remedy_requests::signal_kind.eq(signal_kind))
        .filter(remedy_requests::period.eq(period))
        .filter(remedy_requests::event_key.eq(event_key))
        .filter(remedy_requests::status.eq_any([RemedyStatus::Submitted, RemedyStatus::Accepted]))
        .select(remedy_requests::id)
        .first(conn)
        .optional()?)
}

/// The open disputes of these firms: what each profile shows as disputed.
pub fn open_disputes(conn: &mut DbConn, usccs: &[String]) -> Result<Vec<RemedyRow>> {
    let mut out = Vec::new();
    for chunk in usccs.chunks(500) {
        out.extend(
            remedy_requests::table
                .filter(remedy_requests::firm_uscc.eq_any(chunk))
                .filter(remedy_requests::kind.eq(RemedyKind::Dispute))
                .filter(remedy_requests::status.eq(RemedyStatus::Submitted))
                .order(remedy_requests::id.asc())
                .load::<RemedyRow>(conn)?,
        );
    }
    Ok(out)
}

/// The officer's step: the status moves from `from` to `to` only if it is still `from`.
pub struct Move<'a> {
    pub id: &'a str,
    pub from: RemedyStatus,
    pub to: RemedyStatus,
    pub at: chrono::NaiveDateTime,
    pub by: &'a str,
    pub reason: Option<String>,
    pub repaired_on: Option<chrono::NaiveDate>,
    pub correction_run_id: Option<String>,
}

pub fn advance(conn: &mut DbConn, m: &Move<'_>) -> Result<bool> {
    let target = remedy_requests::table
        .find(m.id)
        .filter(remedy_requests::status.eq(m.from));
    let n = if m.to == RemedyStatus::Accepted {
        diesel::update(target)
            .set((
                remedy_requests::status.eq(m.to),
                remedy_requests::accepted_at.eq(Some(m.at)),
                remedy_requests::handled_by.eq(Some(m.by.to_string())),
            ))
            .execute(conn)?
    } else {
        diesel::update(target)
            .set((
                remedy_requests::status.eq(m.to),
                remedy_requests::decided_at.eq(Some(m.at)),
                remedy_requests::handled_by.eq(Some(m.by.to_string())),
                remedy_requests::outcome_reason.eq(m.reason.clone()),
                remedy_requests::repaired_on.eq(m.repaired_on),
                remedy_requests::correction_run_id.eq(m.correction_run_id.clone()),
            ))
            .execute(conn)?
    };
    Ok(n == 1)
}

/// The ingestion run that stored a request's correction.
pub fn set_correction_run(conn: &mut DbConn, id: &str, run: &str) -> Result<()> {
    diesel::update(remedy_requests::table.find(id))
        .set(remedy_requests::correction_run_id.eq(Some(run.to_string())))
        .execute(conn)?;
    Ok(())
}

/// Every request (for the dashboard's figures per department): id, owner, status, submitted, the
/// deadlines, and when it was accepted and decided.
pub fn all(conn: &mut DbConn) -> Result<Vec<RemedyRow>> {
    Ok(remedy_requests::table
        .order(remedy_requests::id.asc())
        .load(conn)?)
}

/// The sources in a department's remit.
pub fn remit(conn: &mut DbConn, institution: &str) -> Result<Vec<String>> {
    Ok(department_remits::table
        .filter(department_remits::institution_id.eq(institution))
        .select(department_remits::source)
        .order(department_remits::source.asc())
        .load(conn)?)
}

/// Every department's remit: (institution, source).
pub fn remits(conn: &mut DbConn) -> Result<Vec<(String, String)>> {
    Ok(department_remits::table
        .select((department_remits::institution_id, department_remits::source))
        .order((
            department_remits::institution_id.asc(),
            department_remits::source.asc(),
        ))
        .load(conn)?)
}

/// Replace a department's remit.
pub fn set_remit(conn: &mut DbConn, institution: &str, sources: &[String]) -> Result<()> {
    diesel::delete(
        department_remits::table.filter(department_remits::institution_id.eq(institution)),
    )
    .execute(conn)?;
    let rows: Vec<_> = sources
        .iter()
        .map(|s| {
            (
                department_remits::institution_id.eq(institution),
                department_remits::source.eq(s.as_str()),
            )
        })
        .collect();
    // One row a statement: `MultiConnection` has no multi-row insert (see `backend::bulk_insert`), and
    // a remit holds a handful of sources.
    for r in rows {
        diesel::insert_into(department_remits::table)
            .values(r)
            .execute(conn)?;
    }
    Ok(())
}

/// The departments whose remit holds `source`.
pub fn departments_for(conn: &mut DbConn, source: &str) -> Result<Vec<String>> {
    Ok(department_remits::table
        .filter(department_remits::source.eq(source))
        .select(department_remits::institution_id)
        .load(conn)?)
}

pub fn add_monitoring_events(conn: &mut DbConn, rows: &[MonitoringEventRow]) -> Result<()> {
    // A firm has a few monitoring consents: one row a statement (`MultiConnection` has no multi-row
    // insert; `bulk_insert!` is for large batches).
    for r in rows {
        diesel::insert_into(monitoring_events::table)
            .values(r)
            .execute(conn)?;
    }
    Ok(())
}

/// An institution's monitoring events after `after` (oldest first), up to `limit`.
pub fn monitoring_events(
    conn: &mut DbConn,
    institution: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<MonitoringEventRow>> {
    let mut q = monitoring_events::table
        .filter(monitoring_events::institution_id.eq(institution))
        .into_boxed();
    if let Some(a) = after {
        q = q.filter(monitoring_events::id.gt(a.to_string()));
    }
    Ok(q.order(monitoring_events::id.asc())
        .limit(limit)
        .load(conn)?)
}
