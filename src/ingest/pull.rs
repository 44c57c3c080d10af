//! `credithub pull`: run the connectors against an upstream (the real feeds, or the simulator), page by
//! page from each source's persisted cursor; every page is one ingestion run, stored with its cursor in
//! one transaction, so a pull that dies midway resumes where it stopped.

use super::format::Line;
use super::{run_then, Origin};
use crate::domain::signals::{RawRow, Source};
use crate::store::ingestion::RunRow;
use crate::store::{cursors, Db, StoreError};
use credithub_integrations::client::{Client, UpstreamError};
use credithub_integrations::{CanonicalRow, SourceId};

#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<CanonicalRow> for RawRow {
    fn from(c: CanonicalRow) -> Self {
        RawRow {
            uscc: c.uscc,
            kind: c.kind,
            period: c.period,
            value: c.value,
            record_id: c.record_id,
            start_date: c.start_date,
            end_date: c.end_date,
            authority: c.authority,
            repaired_on: c.repaired_on,
            budget: c.budget,
            reserved_for_smes: c.reserved_for_smes,
            category: c.category,
            severity: c.severity,
            legal_basis: c.legal_basis,
        }
    }
}

/// What one source's pull did.
#[derive(Debug, Default)]
pub struct PullReport {
    pub pages: u64,
    pub runs: Vec<RunRow>,
    pub cursor: String,
    /// Firms whose signals arrived (their profiles are due for a recompute).
    pub firms: std::collections::BTreeSet<String>,
}

impl PullReport {
    pub fn total(&self, f: fn(&RunRow) -> i64) -> i64 {
        self.runs.iter().map(f).sum()
    }
}

pub fn source_of(id: SourceId) -> Source {
    match id {
        SourceId::Tax => Source::Tax,
        SourceId::SocialInsurance => Source::SocialInsurance,
        SourceId::Utility => Source::Utility,
        SourceId::Customs => Source::Customs,
        SourceId::PublicCredit => Source::PublicCredit,
        SourceId::Procurement => Source::Procurement,
    }
}

/// Pull one source to the end of its feed. `on_page(report)` is told after each stored page.
pub async fn pull_source(
    db: &Db,
    client: &Client,
    id: SourceId,
    page_size: u32,
    on_page: &(dyn Fn(&PullReport) + Sync),
) -> Result<PullReport, PullError> {
    let name = id.name();
    let mut report = PullReport {
        cursor: db
            .run(move |c| cursors::get(c, name))
            .await?
            .unwrap_or_else(|| "0".into()),
        ..Default::default()
    };
    loop {
        let page = client.fetch_page(id, &report.cursor, page_size).await?;
        let mut lines = Vec::new();
        for pl in page.lines {
            match pl.rows {
                Ok(rows) => lines.extend(
                    rows.into_iter()
                        .map(|r| (pl.raw.clone(), Ok(RawRow::from(r)))),
                ),
                Err(e) => lines.push((pl.raw, Err(e))),
            }
        }
        let lines: Vec<Line> = lines
            .into_iter()
            .enumerate()
            .map(|(i, (raw, row))| Line {
                line_no: i as i64 + 1,
                raw,
                row,
            })
            .collect();
        let next = page.next_since.clone();
        if lines.is_empty() {
            // Nothing new: move the cursor, record no run.
            db.run(move |c| cursors::set(c, name, &next)).await?;
            report.cursor = page.next_since;
            if !page.has_more {
                return Ok(report);
            }
            continue;
        }
        let ingested = db
            .run(move |c| {
                run_then(c, source_of(id), Origin::Pull, lines, &|_, _| {}, &|c| {
                    cursors::set(c, name, &next)
                })
            })
            .await?;
        report.pages += 1;
        report.runs.push(ingested.run);
        report.firms.extend(ingested.firms);
        report.cursor = page.next_since;
        on_page(&report);
        if !page.has_more {
            return Ok(report);
        }
    }
}
