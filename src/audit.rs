//! The durable access log, written with group commit: requests hand their rows to one writer thread,
//! which commits whatever has queued up in one transaction and then answers each request. A reply leaves
//! only after its row is committed; under load many requests share one commit instead of each paying for
//! one. The writer is a plain thread that blocks on its queue and on the database, so a batch costs no
//! hop through the async executor or its blocking pool. (Three writers committing batches side by side
//! were slower under the load benchmark: smaller batches, more commits, on a CPU-bound machine.)
//!
//! Before a batch is written the writer asks the database which of its keys and consents were revoked
//! (one query per batch): a row served from a cached key or consent that the database has since revoked
//! is written as `denied` and its request refused. So a revocation bites on the very next request through
//! any instance, whatever the cache holds or failed to delete.

use crate::store::access_log::{self, AccessRow};
use crate::store::{Db, DbConn, StoreError};
use std::sync::mpsc;
use tokio::sync::oneshot;

/// Most rows in one commit.
const MAX_BATCH: usize = 2_000;

/// Why a row the handler would have served was refused by the database's word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// The API key was revoked.
    Key,
    /// The consent was revoked at this instant.
    Consent {
        id: String,
        at: chrono::NaiveDateTime,
    },
}

/// Per row of a request, in order: `None` where it stands as the handler wrote it.
pub type Verdicts = Vec<Option<Refused>>;

type Pending = (Vec<AccessRow>, oneshot::Sender<Result<Verdicts, String>>);

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

    /// Append `rows` and wait until they are committed; what the database refused among them.
    pub async fn record(&self, rows: Vec<AccessRow>) -> Result<Verdicts, StoreError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let (done, wait) = oneshot::channel();
        let tx = self.inner.tx.as_ref().ok_or_else(stopped)?;
        tx.send((rows, done)).map_err(|_| stopped())?;
        wait.await
            .map_err(|_| stopped())?
            .map_err(StoreError::Unavailable)
    }

    /// As [`Audit::record`] for one row: `Some` if the database refused it.
    pub async fn record_one(&self, row: AccessRow) -> Result<Option<Refused>, StoreError> {
        Ok(self.record(vec![row]).await?.pop().flatten())
    }
}

/// Mark the rows whose key or consent the database says was revoked, and say so per row.
fn verify(conn: &mut DbConn, rows: &mut [AccessRow]) -> Result<Verdicts, StoreError> {
    let mut keys: Vec<&str> = rows.iter().map(|r| r.key_id.as_str()).collect();
    keys.sort_unstable();
    keys.dedup();
    let mut consents: Vec<&str> = rows
        .iter()
        .filter(|r| r.result == "ok")
        .filter_map(|r| r.consent_id.as_deref())
        .collect();
    consents.sort_unstable();
    consents.dedup();
    let revoked = access_log::revoked(conn, &keys, &consents)?;
    let mut verdicts = Vec::with_capacity(rows.len());
    for r in rows.iter_mut() {
        let refused = if revoked.keys.contains(&r.key_id) {
            Some(Refused::Key)
        } else {
            match (&r.consent_id, r.result.as_str()) {
                (Some(c), "ok") => revoked.consents.get(c).map(|at| Refused::Consent {
                    id: c.clone(),
                    at: *at,
                }),
                _ => None,
            }
        };
        if let Some(why) = &refused {
            r.result = "denied".into();
            r.reason = Some(match why {
                Refused::Key => "key.revoked: this API key has been revoked".into(),
                Refused::Consent { id, at } => format!(
                    "consent.revoked: consent {id} was revoked by the firm at {}",
                    crate::domain::rfc3339(*at)
                ),
            });
        }
        verdicts.push(refused);
    }
    Ok(verdicts)
}

/// The writer's connections: the access log's, and on SQLite the main file's (for the check), since the
/// access log has a file of its own there.
struct Conns {
    log: crate::store::PooledConn,
    main: Option<crate::store::PooledConn>,
}

impl Conns {
    fn open(db: &Db) -> Result<Conns, StoreError> {
        Ok(Conns {
            log: db.log_conn()?,
            main: crate::store::backend::separate_access_log(db.backend())
                .then(|| db.conn())
                .transpose()?,
        })
    }
}

/// Verify (against the main database) and append (to the access log).
fn write(c: &mut Conns, rows: &mut [AccessRow]) -> Result<Verdicts, StoreError> {
    let verdicts = match &mut c.main {
        Some(main) => verify(main, rows)?,
        None => verify(&mut c.log, rows)?,
    };
    access_log::append(&mut c.log, rows)?;
    Ok(verdicts)
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
        let sizes: Vec<usize> = groups.iter().map(Vec::len).collect();
        let mut rows: Vec<AccessRow> = groups.into_iter().flatten().collect();
        let t = std::time::Instant::now();
        let attempt = |c: Result<Conns, StoreError>, rows: &mut Vec<AccessRow>| {
            c.and_then(|mut c| write(&mut c, rows).map(|v| (v, c)))
        };
        let kept = conn.take();
        let fresh = kept.is_none();
        let first = attempt(kept.map_or_else(|| Conns::open(&db), Ok), &mut rows);
        let result = match first {
            Ok((v, c)) => {
                conn = Some(c);
                Ok(v)
            }
            // A kept connection that died (the database restarted, the backend was terminated): the
            // COPY is one statement, so nothing of the batch committed; once more on a fresh connection.
            Err(e) if !fresh => {
                tracing::warn!(error = %e, rows = n, "access log batch failed on the kept connection; retrying once on a fresh one");
                attempt(Conns::open(&db), &mut rows).map(|(v, c)| {
                    tracing::warn!(rows = n, "access log batch committed on a fresh connection");
                    conn = Some(c);
                    v
                })
            }
            Err(e) => Err(e),
        }
        .map_err(|e| e.to_string());
        tracing::trace!(rows = n, took = ?t.elapsed(), "access log batch committed");
        if let Err(e) = &result {
            tracing::error!(error = %e, rows = n, "access log not written; the requests fail with 503");
        }
        let mut verdicts = result.map(Vec::into_iter);
        for (done, size) in waiting.into_iter().zip(sizes) {
            let mine = match &mut verdicts {
                Ok(all) => Ok(all.by_ref().take(size).collect()),
                Err(e) => Err(e.clone()),
            };
            let _ = done.send(mine);
        }
    }
}
