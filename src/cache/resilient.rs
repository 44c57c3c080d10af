//! The cache is an accelerator, never the truth: this layer keeps a failing Redis from failing or
//! stalling a request. Every call has a deadline; a connection fault (refused, dropped, timed out) opens a
//! breaker so later calls skip Redis at once, and one call at a time probes it again after
//! [`Timeouts::retry`]. While Redis is away, reads miss (callers read the database), writes are skipped
//! and the keys they touched are deleted once Redis answers again (so nothing written meanwhile is
//! outlived by an older cached value), and rate limits and quotas count in a per-process bucket.

use super::{Cache, CacheError, KeyRead, MemoryCache};
use async_trait::async_trait;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Redis deadlines (DESIGN: every Redis call has a connect and a response timeout).
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// Opening a connection.
    pub connect: Duration,
    /// One command's (or pipeline's) answer.
    pub response: Duration,
    /// After a fault, how long calls skip Redis before one call tries it again.
    pub retry: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_millis(250),
            response: Duration::from_millis(500),
            retry: Duration::from_millis(500),
        }
    }
}

/// Most keys remembered for deletion while Redis is away; past it the oldest writes are forgotten and
/// a warning says so (their entries then live out their time to live).
const MAX_PENDING_DELETES: usize = 100_000;

#[derive(Debug, Default)]
struct Breaker {
    /// Set while Redis is considered away: calls skip it until then.
    open_until: Option<Instant>,
    /// One call is trying Redis again.
    probing: bool,
    /// When the current outage began (for the log line when it ends).
    since: Option<Instant>,
}

/// What a call may do now.
enum Gate {
    /// Redis is up: call it.
    Closed,
    /// This call probes Redis after an outage.
    Probe,
    /// Skip Redis.
    Open,
}

pub struct Resilient {
    inner: Arc<dyn Cache>,
    local: MemoryCache,
    timeouts: Timeouts,
    breaker: Mutex<Breaker>,
    pending: Arc<Mutex<HashSet<String>>>,
    draining: Arc<std::sync::atomic::AtomicBool>,
}

impl Resilient {
    pub fn new(inner: Arc<dyn Cache>, timeouts: Timeouts) -> Self {
        Resilient {
            inner,
            local: MemoryCache::new(10_000),
            timeouts,
            breaker: Mutex::new(Breaker::default()),
            pending: Default::default(),
            draining: Default::default(),
        }
    }

    fn breaker(&self) -> std::sync::MutexGuard<'_, Breaker> {
        self.breaker.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn gate(&self) -> Gate {
        let mut b = self.breaker();
        match b.open_until {
            None => Gate::Closed,
            Some(t) if Instant::now() >= t && !b.probing => {
                b.probing = true;
                Gate::Probe
            }
            Some(_) => Gate::Open,
        }
    }

    fn succeeded(&self, gate: &Gate) {
        if matches!(gate, Gate::Probe) {
            let mut b = self.breaker();
            let outage = b.since.map(|s| s.elapsed());
            *b = Breaker::default();
            drop(b);
            tracing::warn!(?outage, "Redis answers again; the cache is back in use");
        }
        self.drain();
    }

    fn failed(&self, gate: &Gate, e: &CacheError) {
        if !e.is_connection_fault() {
            if matches!(gate, Gate::Probe) {
                // The server answered (with an error): it is there.
                self.succeeded(gate);
            }
            return;
        }
        let mut b = self.breaker();
        let first = b.open_until.is_none();
        b.open_until = Some(Instant::now() + self.timeouts.retry);
        b.probing = false;
        b.since.get_or_insert_with(Instant::now);
        drop(b);
        if first {
            tracing::warn!(error = %e, retry = ?self.timeouts.retry, "Redis is away; serving from the database and per-process rate limits until it answers");
        }
    }

    /// Run one Redis call under the breaker and the deadline.
    async fn call<T>(
        &self,
        f: impl std::future::Future<Output = Result<T, CacheError>>,
    ) -> Result<T, CacheError> {
        let gate = self.gate();
        if matches!(gate, Gate::Open) {
            return Err(CacheError::Unavailable);
        }
        // A connect and an answer may both be needed for one call.
        let deadline = self.timeouts.connect + self.timeouts.response;
        let out = match tokio::time::timeout(deadline, f).await {
            Ok(r) => r,
            Err(_) => Err(CacheError::Timeout(deadline)),
        };
        match &out {
            Ok(_) => self.succeeded(&gate),
            Err(e) => self.failed(&gate, e),
        }
        out
    }

    /// Remember `key` for deletion once Redis answers again.
    fn forget_later(&self, key: &str, e: &CacheError) {
        let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        if p.len() >= MAX_PENDING_DELETES {
            tracing::warn!(key, "too many cache writes missed while Redis was away; this one's entry lives out its time to live");
            return;
        }
        if p.insert(key.to_string()) && !matches!(e, CacheError::Unavailable) {
            tracing::warn!(key, error = %e, "cache write failed; the key is deleted when Redis answers");
        }
    }

    /// Delete the keys whose writes were missed, in the background, once.
    fn drain(&self) {
        use std::sync::atomic::Ordering;
        if self.pending.lock().map(|p| p.is_empty()).unwrap_or(true)
            || self.draining.swap(true, Ordering::AcqRel)
            || tokio::runtime::Handle::try_current().is_err()
        {
            return;
        }
        let (inner, pending, draining) = (
            self.inner.clone(),
            self.pending.clone(),
            self.draining.clone(),
        );
        let deadline = self.timeouts.connect + self.timeouts.response;
        tokio::spawn(async move {
            let keys: Vec<String> = pending
                .lock()
                .map(|mut p| p.drain().collect())
                .unwrap_or_default();
            let mut left = Vec::new();
            for k in keys {
                match tokio::time::timeout(deadline, inner.delete(&k)).await {
                    Ok(Ok(())) => {}
                    _ => left.push(k),
                }
            }
            if !left.is_empty() {
                tracing::warn!(
                    keys = left.len(),
                    "cache deletes still failing; tried again later"
                );
                if let Ok(mut p) = pending.lock() {
                    p.extend(left);
                }
            }
            draining.store(false, Ordering::Release);
        });
    }

    /// Keys whose deletion waits for Redis (tests, `/readyz`).
    pub fn pending_deletes(&self) -> usize {
        self.pending.lock().map(|p| p.len()).unwrap_or(0)
    }
}

#[async_trait]
impl Cache for Resilient {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        Ok(self.call(self.inner.get(key)).await.unwrap_or(None))
    }
    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>, CacheError> {
        Ok(self
            .call(self.inner.get_many(keys))
            .await
            .unwrap_or_else(|_| vec![None; keys.len()]))
    }
    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), CacheError> {
        if let Err(e) = self.call(self.inner.set(key, value, ttl)).await {
            self.forget_later(key, &e);
        }
        Ok(())
    }
    async fn set_if_absent(
        &self,
        key: &str,
        value: &[u8],
        ttl: Duration,
    ) -> Result<bool, CacheError> {
        match self.call(self.inner.set_if_absent(key, value, ttl)).await {
            Ok(stored) => Ok(stored),
            Err(e) => {
                self.forget_later(key, &e);
                Ok(false)
            }
        }
    }
    async fn delete(&self, key: &str) -> Result<(), CacheError> {
        if let Err(e) = self.call(self.inner.delete(key)).await {
            self.forget_later(key, &e);
        }
        Ok(())
    }
    async fn take_token(
        &self,
        key: &str,
        per_sec: u32,
        burst: u32,
    ) -> Result<Option<Duration>, CacheError> {
        match self.call(self.inner.take_token(key, per_sec, burst)).await {
            Ok(w) => Ok(w),
            // Per process while Redis is away: each instance grants at most the key's rate.
            Err(_) => self.local.take_token(key, per_sec, burst).await,
        }
    }
    async fn get_and_take_token(
        &self,
        key: &str,
        per_sec: u32,
        burst: u32,
        also: &[&str],
    ) -> Result<Option<KeyRead>, CacheError> {
        // A miss: the caller reads the principal from the database and meters it with take_token.
        Ok(self
            .call(self.inner.get_and_take_token(key, per_sec, burst, also))
            .await
            .unwrap_or(None))
    }
    async fn incr(&self, key: &str, ttl: Duration) -> Result<i64, CacheError> {
        match self.call(self.inner.incr(key, ttl)).await {
            Ok(n) => Ok(n),
            Err(_) => self.local.incr(key, ttl).await,
        }
    }
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }
    fn state(&self) -> &'static str {
        match self.breaker().open_until {
            None => "up",
            Some(_) => "unreachable",
        }
    }
}
