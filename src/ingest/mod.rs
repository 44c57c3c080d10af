//! The ingestion pipeline: a batch of raw rows → validated signals (merged idempotently, corrections
//! superseding with history kept) + quarantined rows with their reasons, all in one transaction.
//! A run that fails midway is rolled back whole and recorded as failed.

pub mod format;
pub mod pull;

use crate::clock::system::{now, today_cst};
use crate::domain::signals::{validate, Reason, Signal, Source};
use crate::store::backend::write_transaction;
use crate::store::ingestion::{self, RejectRow, RunRow};
use crate::store::signals::{self, Merge};
use crate::store::{DbConn, StoreError};
use format::Line;
use rustc_hash::FxHashSet;

/// Where a run's rows came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Api,
    Import,
    Pull,
    /// A correction made by a remedy (Art 58): a repair's date, or an upheld dispute's value.
    Remedy,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Api => "api",
            Origin::Import => "import",
            Origin::Pull => "pull",
            Origin::Remedy => "remedy",
        }
    }
}

/// A stored run and the firms whose valid rows it carried (their profiles are due for a recompute).
#[derive(Debug, Clone)]
pub struct Ingested {
    pub run: RunRow,
    pub firms: Vec<String>,
}

/// Validate and merge one chunk of a run inside its transaction; counts go to `run`, the firms whose
/// valid rows it carried to `touched`.
fn merge_chunk(
    c: &mut DbConn,
    source: Source,
    today: chrono::NaiveDate,
    started: chrono::NaiveDateTime,
    run: &mut RunRow,
    lines: Vec<Line>,
    touched: &mut FxHashSet<String>,
) -> Result<(), StoreError> {
    let clock = std::time::Instant::now();
    let rows = lines.len() as i64;
    let verdicts = check_all(&lines, source, today);
    let mut checked: Vec<(Line, Result<Signal, Vec<Reason>>)> =
        lines.into_iter().zip(verdicts).collect();
    // A signal for a firm the registry does not know is quarantined, not stored.
    let usccs = firms_of(&checked);
    let validated = clock.elapsed();
    let known = signals::known_firms(c, &usccs)?;
    for (_, v) in checked.iter_mut() {
        if let Ok(s) = v {
            if !known.contains(s.uscc.as_str()) {
                *v = Err(vec![Reason::new(
                    "unknown_firm",
                    format!("no firm {} is registered", s.uscc),
                )]);
            }
        }
    }
    run.received += rows;
    let mut rejects = Vec::new();
    // Rows whose key is first seen in this chunk merge in bulk; a key repeated within the chunk is
    // merged after, row by row in order, so a later row supersedes an earlier one as it would have in
    // two batches. (A later chunk reads what an earlier one stored, in the same transaction.)
    let mut seen = FxHashSet::default();
    let mut bulk = Vec::new();
    let mut repeats = Vec::new();
    for (line, v) in checked.iter() {
        match v {
            Ok(s) => {
                if seen.insert((
                    s.uscc.as_str(),
                    s.kind,
                    s.period.as_str(),
                    s.event_key.as_str(),
                )) {
                    bulk.push(s);
                } else {
                    repeats.push(s);
                }
            }
            Err(reasons) => {
                run.quarantined += 1;
                rejects.push(RejectRow {
                    run_id: run.id.clone(),
                    line_no: line.line_no,
                    raw: line.raw.clone(),
                    reasons: serde_json::to_string(reasons).unwrap_or_default(),
                });
            }
        }
    }
    let out = crate::store::bulk::merge(c, &bulk, &run.id, started)?;
    tracing::debug!(?validated, merged = ?clock.elapsed(), rows, "ingest chunk timings");
    run.accepted += out.inserted + out.superseded;
    run.superseded += out.superseded;
    run.duplicate += out.duplicate;
    for s in repeats {
        match signals::merge(c, s, &run.id, started)? {
            Merge::Inserted => run.accepted += 1,
            Merge::Superseded => {
                run.accepted += 1;
                run.superseded += 1;
            }
            Merge::Duplicate => run.duplicate += 1,
        }
    }
    ingestion::insert_rejects(c, &rejects)?;
    // The firms whose rows are stored: those of the valid rows that the registry knows.
    touched.extend(usccs.into_iter().filter(|u| known.contains(u.as_str())));
    Ok(())
}

/// The distinct firms of the valid rows, sorted.
fn firms_of(checked: &[(Line, Result<Signal, Vec<Reason>>)]) -> Vec<String> {
    let mut usccs: Vec<&str> = checked
        .iter()
        .filter_map(|(_, v)| v.as_ref().ok().map(|s| s.uscc.as_str()))
        .collect();
    usccs.sort_unstable();
    usccs.dedup();
    usccs.into_iter().map(str::to_string).collect()
}

/// Validate every line, in order; a large batch is split over the machine's cores.
fn check_all(
    lines: &[Line],
    source: Source,
    today: chrono::NaiveDate,
) -> Vec<Result<Signal, Vec<Reason>>> {
    let check = |l: &Line| match &l.row {
        Ok(raw) => validate(raw, source, today),
        Err(e) => Err(vec![Reason::new("malformed_row", e.clone())]),
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    if threads < 2 || lines.len() < 20_000 {
        return lines.iter().map(check).collect();
    }
    let per = lines.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let parts: Vec<_> = lines
            .chunks(per)
            .map(|part| scope.spawn(move || part.iter().map(check).collect::<Vec<_>>()))
            .collect();
        parts
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// Ingest one batch for one source. `progress(done, total)` is called as rows are written.
pub fn run(
    conn: &mut DbConn,
    source: Source,
    origin: Origin,
    lines: Vec<Line>,
    progress: &dyn Fn(u64, u64),
) -> Result<Ingested, StoreError> {
    run_then(conn, source, origin, lines, progress, &|_| Ok(()))
}

/// As [`run`], and `also` runs inside the same transaction (a pull saves its cursor there, so a crash
/// never leaves the cursor ahead of, or behind, what was stored).
pub fn run_then(
    conn: &mut DbConn,
    source: Source,
    origin: Origin,
    lines: Vec<Line>,
    progress: &dyn Fn(u64, u64),
    also: &dyn Fn(&mut DbConn) -> Result<(), StoreError>,
) -> Result<Ingested, StoreError> {
    let total = lines.len() as u64;
    let mut once = Some(lines);
    let mut next = || Ok(once.take());
    run_chunks(conn, source, origin, total, &mut next, progress, also)
}

/// Ingest a batch that arrives a chunk at a time (`next` gives the next chunk of rows, `None` at the end;
/// an error aborts the run): every chunk in the one transaction, so the run is still all or nothing,
/// while only one chunk's rows are held at a time. `total` is what `progress` counts towards (rows, or
/// any measure the caller's chunks advance, 0 if unknown).
pub fn run_chunks(
    conn: &mut DbConn,
    source: Source,
    origin: Origin,
    total: u64,
    next: &mut dyn FnMut() -> Result<Option<Vec<Line>>, StoreError>,
    progress: &dyn Fn(u64, u64),
    also: &dyn Fn(&mut DbConn) -> Result<(), StoreError>,
) -> Result<Ingested, StoreError> {
    let today = today_cst();
    let started = now();
    let mut run = RunRow {
        id: uuid::Uuid::now_v7().to_string(),
        source: source.as_str().to_string(),
        origin: origin.as_str().to_string(),
        status: "running".into(),
        received: 0,
        accepted: 0,
        superseded: 0,
        duplicate: 0,
        quarantined: 0,
        error: None,
        started_at: started,
        finished_at: None,
        runner: Some(ingestion::this_runner()),
    };
    // On SQLite, this process's runs take turns from here (the running row below needs the write lock
    // too, which another run holds for its whole transaction).
    let turn = crate::store::backend::one_merge_at_a_time(conn);
    // Committed on its own before the data transaction: a process killed midway leaves a `running` run
    // (marked `failed`, interrupted, when the hub next starts or the run is older than the stale limit).
    ingestion::insert_run(conn, &run)?;
    let mut touched = FxHashSet::<String>::default();
    let result = write_transaction::<RunRow, StoreError, _>(conn, |c| {
        let mut run = run.clone();
        run.status = "completed".into();
        signals::lock_for_merge(c)?;
        while let Some(lines) = next()? {
            merge_chunk(c, source, today, started, &mut run, lines, &mut touched)?;
            progress(run.received as u64, total.max(run.received as u64));
        }
        run.finished_at = Some(now());
        ingestion::update_run(c, &run)?;
        also(c)?;
        Ok(run)
    });
    drop(turn);
    let mut firms: Vec<String> = touched.into_iter().collect();
    firms.sort_unstable();
    match result {
        Ok(r) => {
            progress(r.received as u64, r.received as u64);
            Ok(Ingested { run: r, firms })
        }
        Err(e) => {
            // Nothing of the batch was kept; the run says so.
            run.status = "failed".into();
            run.error = Some(e.to_string());
            run.finished_at = Some(now());
            if let Err(e2) = ingestion::update_run(conn, &run) {
                tracing::warn!(run = %run.id, error = %e2, "could not mark the failed run; it is marked interrupted at the next start");
            }
            Err(e)
        }
    }
}
