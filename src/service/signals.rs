//! Signals (Art 26): a batch of rows or a file is ingested in one run (every row ends as a signal or a
//! quarantined row), then the profiles of the firms it touched are recomputed, so a profile read after the
//! answer already reflects the run. The API and `credithub ingest` both come here.

use super::{Context, ServiceError, Violation};
use crate::domain::month::Month;
use crate::domain::signals::Source;
use crate::ingest::format::{self, Line};
use crate::ingest::{self, Origin};
use crate::profile::RecomputeReport;
use crate::store::ingestion::{self as runs, RejectRow, RunRow};
use crate::store::signals::{self as store, SignalRow};
use crate::store::StoreError;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum SignalError {
    /// The file could not be read as its format (nothing was stored).
    #[error("{0}")]
    Unreadable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<SignalError> for ServiceError {
    fn from(e: SignalError) -> Self {
        match e {
            SignalError::Unreadable(m) => {
                ServiceError::Invalid(vec![Violation::new("body", "file.format", m)])
            }
            SignalError::Store(s) => ServiceError::Store(s),
        }
    }
}

/// A run and the profiles recomputed after it.
#[derive(Debug, Clone)]
pub struct Imported {
    pub run: RunRow,
    pub profiles: RecomputeReport,
}

/// How far a long import has got: rows read, then firms recomputed.
#[derive(Clone, Default)]
pub struct Progress {
    pub rows: Option<Arc<dyn Fn(u64) + Send + Sync>>,
    pub firms: Option<Arc<dyn Fn(u64) + Send + Sync>>,
}

async fn recompute(
    ctx: &Context,
    ingested: ingest::Ingested,
    progress: &Progress,
) -> Result<Imported, SignalError> {
    let as_of = Month::last_complete(ctx.clock.today());
    let on_firm = progress.firms.clone();
    let report = ctx
        .profiles
        .recompute(
            ingested.firms,
            vec![as_of],
            &format!("ingestion:{}", ingested.run.id),
            &move |n| {
                if let Some(f) = &on_firm {
                    f(n)
                }
            },
        )
        .await?;
    Ok(Imported {
        run: ingested.run,
        profiles: report,
    })
}

/// Ingest rows already read (a JSON batch, a pull page).
#[tracing::instrument(skip(ctx, lines), fields(source = %source.as_str(), rows = lines.len()))]
pub async fn ingest_rows(
    ctx: &Context,
    source: Source,
    origin: Origin,
    lines: Vec<Line>,
) -> Result<Imported, SignalError> {
    let ingested = ctx
        .db
        .run(move |c| ingest::run(c, source, origin, lines, &|_, _| {}))
        .await?;
    recompute(ctx, ingested, &Progress::default()).await
}

/// Work done inside an ingestion run's transaction.
pub type Also = Box<dyn Fn(&mut crate::store::DbConn) -> Result<(), StoreError> + Send>;

/// As [`ingest_rows`], and `also` runs inside the run's transaction (a remedy's decision is stored with
/// the correction it makes, or not at all).
pub async fn ingest_rows_then(
    ctx: &Context,
    source: Source,
    origin: Origin,
    lines: Vec<Line>,
    also: Also,
) -> Result<Imported, SignalError> {
    let ingested = ctx
        .db
        .run(move |c| ingest::run_then(c, source, origin, lines, &|_, _| {}, &*also))
        .await?;
    recompute(ctx, ingested, &Progress::default()).await
}

/// Ingest a file (CSV with a header row, or NDJSON) a chunk at a time inside the run's one transaction:
/// memory holds one chunk of rows. A chunk that cannot be read aborts the run (nothing stored).
#[tracing::instrument(skip(ctx, progress), fields(source = %source.as_str(), file = %path.display()))]
pub async fn import_file(
    ctx: &Context,
    source: Source,
    fmt: format::Format,
    path: std::path::PathBuf,
    progress: Progress,
) -> Result<Imported, SignalError> {
    let on_rows = progress.rows.clone();
    let ingested = ctx
        .db
        .run_as(move |c| {
            let file = std::fs::File::open(&path)
                .map_err(|e| SignalError::Unreadable(format!("reading {}: {e}", path.display())))?;
            let reader = std::io::BufReader::with_capacity(1 << 20, file);
            let mut chunks = format::Chunks::new(fmt, reader)
                .map_err(|e| SignalError::Unreadable(e.to_string()))?;
            let mut bad = None;
            let out = ingest::run_chunks(
                c,
                source,
                Origin::Import,
                0,
                &mut || {
                    chunks.next_chunk().map_err(|e| {
                        let msg = e.to_string();
                        bad = Some(msg.clone());
                        StoreError::Config(msg)
                    })
                },
                &|done, _| {
                    if let Some(f) = &on_rows {
                        f(done)
                    }
                },
                &|_| Ok(()),
            );
            match bad {
                Some(m) => Err(SignalError::Unreadable(m)),
                None => Ok(out?),
            }
        })
        .await?;
    recompute(ctx, ingested, &progress).await
}

/// A firm's stored signals (of one kind when asked; with the values corrections replaced when
/// `history`): the firm itself and the government side.
#[tracing::instrument(skip(ctx, actor), fields(firm = %firm))]
pub async fn of_firm(
    ctx: &Context,
    actor: &super::Actor,
    firm: &crate::domain::Uscc,
    kind: Option<&str>,
    history: bool,
) -> Result<Vec<SignalRow>, ServiceError> {
    super::access::firm_access(actor, firm.as_str()).map_err(ServiceError::Forbidden)?;
    if let Some(k) = kind.filter(|k| crate::domain::signals::kind(k).is_none()) {
        return Err(ServiceError::Invalid(vec![Violation::new(
            "kind",
            "kind.unknown",
            format!("'{k}' is not a signal kind"),
        )]));
    }
    let (u, kind) = (firm.to_string(), kind.map(str::to_string));
    Ok(ctx
        .db
        .run(move |c| store::for_firm(c, &u, kind.as_deref(), history))
        .await?)
}

/// Ingestion runs, newest first, up to `limit` before the run `before` (the government side).
pub async fn runs(
    ctx: &Context,
    actor: &super::Actor,
    source: Option<Source>,
    before: Option<String>,
    limit: i64,
) -> Result<(Vec<RunRow>, bool), ServiceError> {
    super::government_side(actor, "ingestion runs")?;
    let rows = ctx
        .db
        .run(move |c| runs::list_runs(c, source.map(Source::as_str), before.as_deref(), limit + 1))
        .await?;
    Ok(super::split_page(rows, limit))
}

/// One ingestion run with its counts (the government side).
pub async fn run(ctx: &Context, actor: &super::Actor, id: &str) -> Result<RunRow, ServiceError> {
    super::government_side(actor, "ingestion runs")?;
    let wanted = id.to_string();
    ctx.db
        .run(move |c| runs::get_run(c, &wanted))
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ServiceError::NotFound(format!("no ingestion run {id}")),
            other => other.into(),
        })
}

/// The rows a run quarantined, by line number after `after_line` (the government side).
pub async fn rejects(
    ctx: &Context,
    actor: &super::Actor,
    id: &str,
    after_line: i64,
    limit: i64,
) -> Result<(Vec<RejectRow>, bool), ServiceError> {
    let run = run(ctx, actor, id).await?;
    let rows = ctx
        .db
        .run(move |c| runs::rejects(c, &run.id, after_line, limit + 1))
        .await?;
    Ok(super::split_page(rows, limit))
}
