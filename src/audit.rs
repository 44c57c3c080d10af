//! The durable access log, written with group commit: requests hand their rows to one writer thread,
//! which commits whatever has queued up in one transaction and then answers each request. A reply leaves
//! only after its row is committed; under load many requests share one commit instead of each paying for
//! one. The writer is a plain thread that blocks on its queue and on the database, so a batch costs no
//! hop through the async executor or its blocking pool. (Three writers committing batches side by side
//! were slower under the load benchmark: smaller batches, more commits, on a CPU-bound machine.)

use crate::store::access_log::{self, AccessRow};
use crate::store::{Db, StoreError};
use std::sync::mpsc;
use tokio::sync::oneshot;

/// Most rows in one commit.
const MAX_BATCH: usize = 2_000;

type Pending = (Vec<AccessRow>, oneshot::Sender<Result<(), String>>);

#[derive(Clone)]
pub struct Audit {
    tx: mpsc::Sender<Pending>,
}

fn stopped() -> StoreError {
    StoreError::Config("the access-log writer has stopped".into())
}

impl Audit {
    /// Start the writer thread; it ends when the last `Audit` handle is dropped.
    pub fn start(db: Db) -> std::io::Result<Audit> {
        let (tx, rx) = mpsc::channel::<Pending>();
        std::thread::Builder::new()
            .name("access-log".into())
            .spawn(move || writer(&db, &rx))?;
        Ok(Audit { tx })
    }

    /// Append `rows` and wait until they are committed.
    pub async fn record(&self, rows: Vec<AccessRow>) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let (done, wait) = oneshot::channel();
        self.tx.send((rows, done)).map_err(|_| stopped())?;
        wait.await
            .map_err(|_| stopped())?
            .map_err(StoreError::Config)
    }
}

/// Whatever has queued up (at least one request's rows, at most about `MAX_BATCH` rows); `None` once
/// every `Audit` handle is gone.
fn next_batch(rx: &mpsc::Receiver<Pending>) -> Option<(Vec<Pending>, usize)> {
    let first = rx.recv().ok()?;
    let mut n = first.0.len();
    let mut batch = vec![first];
    while n < MAX_BATCH {
        match rx.try_recv() {
            Ok(p) => {
                n += p.0.len();
                batch.push(p);
            }
            Err(_) => break,
        }
    }
    Some((batch, n))
}

fn writer(db: &Db, rx: &mpsc::Receiver<Pending>) {
    // The writer keeps one connection (checked out once, not per batch); after an error it takes a fresh one.
    let mut conn = None;
    while let Some((batch, n)) = next_batch(rx) {
        let (groups, waiting): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
        let rows: Vec<AccessRow> = groups.into_iter().flatten().collect();
        let t = std::time::Instant::now();
        let result = match conn.take() {
            Some(c) => Ok(c),
            None => db.conn(),
        }
        .and_then(|mut c| {
            access_log::append(&mut c, &rows)?;
            conn = Some(c);
            Ok(())
        })
        .map_err(|e| e.to_string());
        tracing::trace!(rows = n, took = ?t.elapsed(), "access log batch committed");
        if let Err(e) = &result {
            tracing::error!(error = %e, rows = n, "access log not written; the requests fail");
        }
        for done in waiting {
            let _ = done.send(result.clone());
        }
    }
}
