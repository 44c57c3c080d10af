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
    inner: std::sync::Arc<Writer>,
}

/// The queue into the writer thread, and the thread.
struct Writer {
    tx: Option<mpsc::Sender<Pending>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Writer {
    /// Close the queue and wait for the writer to commit what it holds and let go of its connection, so
    /// no thread is still closing a database connection while the process exits (libpq's TLS clean-up
    /// would race with OpenSSL's own at exit).
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(t) = self.thread.take() {
            if t.join().is_err() {
                tracing::error!("the access-log writer panicked");
            }
        }
    }
}

fn stopped() -> StoreError {
    StoreError::Config("the access-log writer has stopped".into())
}

impl Audit {
    /// Start the writer thread; it ends, and is waited for, when the last `Audit` handle is dropped.
    pub fn start(db: Db) -> std::io::Result<Audit> {
        let (tx, rx) = mpsc::channel::<Pending>();
        let thread = std::thread::Builder::new()
            .name("access-log".into())
            .spawn(move || writer(db, &rx))?;
        Ok(Audit {
            inner: std::sync::Arc::new(Writer {
                tx: Some(tx),
                thread: Some(thread),
            }),
        })
    }

    /// Append `rows` and wait until they are committed.
    pub async fn record(&self, rows: Vec<AccessRow>) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let (done, wait) = oneshot::channel();
        let tx = self.inner.tx.as_ref().ok_or_else(stopped)?;
        tx.send((rows, done)).map_err(|_| stopped())?;
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

/// Runs until the queue closes; the connection and `db` are let go before it returns.
fn writer(db: Db, rx: &mpsc::Receiver<Pending>) {
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
