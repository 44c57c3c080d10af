//! Bulk merge of a batch of signals whose keys are distinct: stage them (PostgreSQL `COPY`, SQLite
//! multi-row inserts: the only backend-specific part), then classify and apply them with set-based SQL
//! that both backends run as written: same value as the current row → duplicate; a different value →
//! the current row is superseded and the next version inserted; a new key → version 1.

use super::schema::signals_stage;
use super::signals::SignalRow;
use super::{DbConn, Result};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = signals_stage, treat_none_as_default_value = false)]
struct StageRow<'a> {
    uscc: &'a str,
    source: &'a str,
    kind: &'a str,
    period: &'a str,
    event_key: &'a str,
    value_fen: Option<i64>,
    value_num: Option<&'a str>,
    value_code: Option<&'a str>,
    event_start: Option<chrono::NaiveDate>,
    event_end: Option<chrono::NaiveDate>,
    authority: Option<&'a str>,
    repaired_on: Option<chrono::NaiveDate>,
    record_id: Option<&'a str>,
}

impl<'a> From<&'a SignalRow> for StageRow<'a> {
    fn from(r: &'a SignalRow) -> Self {
        StageRow {
            uscc: &r.uscc,
            source: &r.source,
            kind: &r.kind,
            period: &r.period,
            event_key: &r.event_key,
            value_fen: r.value_fen,
            value_num: r.value_num.as_deref(),
            value_code: r.value_code.as_deref(),
            event_start: r.event_start,
            event_end: r.event_end,
            authority: r.authority.as_deref(),
            repaired_on: r.repaired_on,
            record_id: r.record_id.as_deref(),
        }
    }
}

const STAGE_COLUMNS: &str = "uscc TEXT NOT NULL, source TEXT NOT NULL, kind TEXT NOT NULL, period TEXT NOT NULL, \
    event_key TEXT NOT NULL, value_fen BIGINT, value_num TEXT, value_code TEXT, event_start DATE, event_end DATE, \
    authority TEXT, repaired_on DATE, record_id TEXT, outcome TEXT NOT NULL DEFAULT 'new', version INTEGER NOT NULL DEFAULT 1";

const STAGE_INDEX: &str = "CREATE UNIQUE INDEX signals_stage_key ON signals_stage (uscc, source, kind, period, event_key)";

const KEY_MATCH: &str =
    "c.uscc = s.uscc AND c.source = s.source AND c.kind = s.kind AND c.period = s.period \
    AND c.event_key = s.event_key AND c.superseded_at IS NULL";

const SAME_VALUE: &str = "c.value_fen IS NOT DISTINCT FROM s.value_fen AND c.value_num IS NOT DISTINCT FROM s.value_num \
    AND c.value_code IS NOT DISTINCT FROM s.value_code AND c.event_start IS NOT DISTINCT FROM s.event_start \
    AND c.event_end IS NOT DISTINCT FROM s.event_end AND c.authority IS NOT DISTINCT FROM s.authority \
    AND c.repaired_on IS NOT DISTINCT FROM s.repaired_on AND c.record_id IS NOT DISTINCT FROM s.record_id";

const DATA_COLUMNS: &str =
    "uscc, source, kind, period, event_key, value_fen, value_num, value_code, event_start, \
    event_end, authority, repaired_on, record_id";

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BulkOutcome {
    pub inserted: i64,
    pub superseded: i64,
    pub duplicate: i64,
}

#[derive(QueryableByName)]
struct OutcomeCount {
    #[diesel(sql_type = Text)]
    outcome: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Merge `rows` (distinct keys; their `version`, `run_id`, `ingested_at` are set here) inside the caller's
/// transaction.
pub fn merge(
    conn: &mut DbConn,
    rows: &[SignalRow],
    run_id: &str,
    at: chrono::NaiveDateTime,
) -> Result<BulkOutcome> {
    if rows.is_empty() {
        return Ok(BulkOutcome::default());
    }
    let stage: Vec<StageRow<'_>> = rows.iter().map(StageRow::from).collect();
    match conn {
        DbConn::Postgres(c) => {
            c.batch_execute(&format!(
                "DROP TABLE IF EXISTS signals_stage; CREATE TEMP TABLE signals_stage ({STAGE_COLUMNS}) ON COMMIT DROP"
            ))?;
            diesel::copy_from(signals_stage::table)
                .from_insertable(&stage)
                .execute(c)?;
            c.batch_execute(&format!("{STAGE_INDEX}; ANALYZE signals_stage"))?;
        }
        DbConn::Sqlite(c) => {
            c.batch_execute(&format!(
                "DROP TABLE IF EXISTS temp.signals_stage; CREATE TEMP TABLE signals_stage ({STAGE_COLUMNS})"
            ))?;
            for chunk in stage.chunks(2000) {
                diesel::insert_into(signals_stage::table)
                    .values(chunk)
                    .execute(c)?;
            }
            c.batch_execute(STAGE_INDEX)?;
        }
    }
    // `at` and `run_id` are generated here (a timestamp and a UUID), never caller text.
    let at = at.format("%Y-%m-%d %H:%M:%S%.6f").to_string();
    let run_id: String = run_id
        .chars()
        .filter(|c| c.is_ascii_hexdigit() || *c == '-')
        .collect();
    let stmts = [
        // Rows are staged as 'new' (version 1); one pass over the keys already stored marks the rest: the same
        // value is a duplicate, another value supersedes the current row.
        format!(
            "UPDATE signals_stage AS s SET outcome = CASE WHEN {SAME_VALUE} THEN 'dup' ELSE 'sup' END, \
             version = c.version + 1 FROM signals AS c WHERE {KEY_MATCH}"
        ),
        // Driven from the (small) stage, so it probes the signals index instead of scanning all signals.
        format!(
            "UPDATE signals SET superseded_at = '{at}' WHERE superseded_at IS NULL AND \
             (uscc, source, kind, period, event_key) IN \
             (SELECT uscc, source, kind, period, event_key FROM signals_stage WHERE outcome = 'sup')"
        ),
        format!(
            "INSERT INTO signals ({DATA_COLUMNS}, version, run_id, ingested_at) \
             SELECT {DATA_COLUMNS}, version, '{run_id}', '{at}' FROM signals_stage WHERE outcome IN ('new', 'sup')"
        ),
    ];
    for (i, s) in stmts.iter().enumerate() {
        let t = std::time::Instant::now();
        let n = diesel::sql_query(s.as_str()).execute(conn)?;
        tracing::debug!(step = i, rows = n, took = ?t.elapsed(), "bulk merge step");
    }
    let counts: Vec<OutcomeCount> = crate::on_backend!(&mut *conn, |c| diesel::sql_query(
        "SELECT outcome, COUNT(*) AS n FROM signals_stage GROUP BY outcome"
    )
    .load(c))?;
    let mut out = BulkOutcome::default();
    for OutcomeCount { outcome, n } in counts {
        match outcome.as_str() {
            "dup" => out.duplicate = n,
            "sup" => out.superseded = n,
            _ => out.inserted = n,
        }
    }
    if let DbConn::Sqlite(c) = conn {
        c.batch_execute("DROP TABLE temp.signals_stage")?;
    }
    Ok(out)
}
