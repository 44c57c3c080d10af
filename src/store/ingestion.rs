//! Ingestion runs (what arrived, what became of it) and the rows each run quarantined.

use super::schema::{ingestion_rejects, ingestion_runs};
use super::{DbConn, Result};
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, AsChangeset)]
#[diesel(table_name = ingestion_runs, treat_none_as_null = true)]
pub struct RunRow {
    pub id: String,
    pub source: String,
    pub origin: String,
    pub status: String,
    pub received: i64,
    pub accepted: i64,
    pub superseded: i64,
    pub duplicate: i64,
    pub quarantined: i64,
    pub error: Option<String>,
    pub started_at: chrono::NaiveDateTime,
    pub finished_at: Option<chrono::NaiveDateTime>,
    /// `host:pid` of the process running it.
    pub runner: Option<String>,
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "localhost".into())
}

/// This process, as a run's `runner`.
pub fn this_runner() -> String {
    format!("{}:{}", host_name(), std::process::id())
}

/// Whether `runner` names a process of this host that no longer runs (never true for another host's).
fn runner_is_dead(runner: &str) -> bool {
    let Some((host, pid)) = runner.rsplit_once(':') else {
        return false;
    };
    host == host_name()
        && pid.parse::<u32>().is_ok_and(|p| {
            p != std::process::id() && !std::path::Path::new(&format!("/proc/{p}")).exists()
        })
}

/// A run still `running` after this long is taken as interrupted, whatever its host says.
pub const STALE_AFTER: chrono::TimeDelta = chrono::TimeDelta::hours(6);

/// Mark `failed` ("interrupted") the runs left `running` by a process that died: one of this host whose
/// process is gone, or any older than `stale`. Returns how many.
pub fn interrupt_stale(conn: &mut DbConn, stale: chrono::Duration) -> Result<usize> {
    let running: Vec<RunRow> = ingestion_runs::table
        .filter(ingestion_runs::status.eq("running"))
        .load(conn)?;
    let at = crate::clock::system::now();
    let mut n = 0;
    for mut r in running {
        let dead = r.runner.as_deref().is_some_and(runner_is_dead) || at - r.started_at > stale;
        if dead {
            r.status = "failed".into();
            r.error = Some(format!(
                "interrupted: the process running it ({}) stopped before it finished; nothing of it was stored",
                r.runner.as_deref().unwrap_or("unknown")
            ));
            r.finished_at = Some(at);
            diesel::update(
                ingestion_runs::table
                    .find(&r.id)
                    .filter(ingestion_runs::status.eq("running")),
            )
            .set(&r)
            .execute(conn)?;
            n += 1;
        }
    }
    Ok(n)
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable)]
#[diesel(table_name = ingestion_rejects)]
pub struct RejectRow {
    pub run_id: String,
    pub line_no: i64,
    pub raw: String,
    /// JSON array of `{code, message}`.
    pub reasons: String,
}

pub fn insert_run(conn: &mut DbConn, run: &RunRow) -> Result<()> {
    diesel::insert_into(ingestion_runs::table)
        .values(run)
        .execute(conn)?;
    Ok(())
}

pub fn update_run(conn: &mut DbConn, run: &RunRow) -> Result<()> {
    diesel::update(ingestion_runs::table.find(&run.id))
        .set(run)
        .execute(conn)?;
    Ok(())
}

pub fn insert_rejects(conn: &mut DbConn, rows: &[RejectRow]) -> Result<()> {
    for chunk in rows.chunks(1000) {
        crate::on_backend!(&mut *conn, |c| diesel::insert_into(
            ingestion_rejects::table
        )
        .values(chunk)
        .execute(c))?;
    }
    Ok(())
}

pub fn get_run(conn: &mut DbConn, id: &str) -> Result<RunRow> {
    Ok(ingestion_runs::table.find(id).first(conn)?)
}

/// Runs newest first; `before` is the id of the last run of the previous page (ids are time-ordered UUIDv7).
pub fn list_runs(
    conn: &mut DbConn,
    source: Option<&str>,
    before: Option<&str>,
    limit: i64,
) -> Result<Vec<RunRow>> {
    let mut q = ingestion_runs::table.into_boxed();
    if let Some(s) = source {
        q = q.filter(ingestion_runs::source.eq(s.to_string()));
    }
    if let Some(b) = before {
        q = q.filter(ingestion_runs::id.lt(b.to_string()));
    }
    Ok(q.order(ingestion_runs::id.desc()).limit(limit).load(conn)?)
}

pub fn rejects(
    conn: &mut DbConn,
    run_id: &str,
    after_line: i64,
    limit: i64,
) -> Result<Vec<RejectRow>> {
    Ok(ingestion_rejects::table
        .filter(ingestion_rejects::run_id.eq(run_id))
        .filter(ingestion_rejects::line_no.gt(after_line))
        .order(ingestion_rejects::line_no.asc())
        .limit(limit)
        .load(conn)?)
}
