//! The durable access log, written with group commit: requests hand their rows to one writer, which
//! commits whatever has queued up in one transaction and then answers each request. A reply leaves only
//! after its row is committed; under load many requests share one commit instead of each paying for one.

use crate::store::access_log::{self, AccessRow};
use crate::store::{backend::write_transaction, Db, StoreError};
use tokio::sync::{mpsc, oneshot};

/// Most rows in one commit.
const MAX_BATCH: usize = 2_000;

type Pending = (Vec<AccessRow>, oneshot::Sender<Result<(), String>>);

#[derive(Clone)]
pub struct Audit {
    tx: mpsc::Sender<Pending>,
}

impl Audit {
    /// Start the writer on the current tokio runtime.
    pub fn start(db: Db) -> Audit {
        let (tx, rx) = mpsc::channel::<Pending>(16_384);
        tokio::spawn(writer(db, rx));
        Audit { tx }
    }

    /// Append `rows` and wait until they are committed.
    pub async fn record(&self, rows: Vec<AccessRow>) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let (done, wait) = oneshot::channel();
        self.tx
            .send((rows, done))
            .await
            .map_err(|_| StoreError::Config("the access-log writer has stopped".into()))?;
        wait.await
            .map_err(|_| StoreError::Config("the access-log writer has stopped".into()))?
            .map_err(StoreError::Config)
    }
}

async fn writer(db: Db, mut rx: mpsc::Receiver<Pending>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        let mut n = batch[0].0.len();
        while n < MAX_BATCH {
            match rx.try_recv() {
                Ok(p) => {
                    n += p.0.len();
                    batch.push(p);
                }
                Err(_) => break,
            }
        }
        let rows: Vec<AccessRow> = batch.iter().flat_map(|(r, _)| r.iter().cloned()).collect();
        let result = db
            .run(move |c| write_transaction(c, |c| access_log::append(c, &rows)))
            .await
            .map_err(|e| e.to_string());
        if let Err(e) = &result {
            tracing::error!(error = %e, rows = n, "access log not written; the requests fail");
        }
        for (_, done) in batch {
            let _ = done.send(result.clone());
        }
    }
}
