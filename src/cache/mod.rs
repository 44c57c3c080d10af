//! A small key-value cache: Redis when `REDIS_URL` is set, in-process (moka) otherwise. Values are bytes
//! with a time to live; keys are namespaced so several hubs (or tests) can share one Redis.

use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
}

#[async_trait]
pub trait Cache: Send + Sync {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError>;
    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), CacheError>;
    /// Store only if the key holds nothing (or only an expired value); returns whether it stored.
    /// Readers that fill the cache on a miss use this, so they never overwrite a newer value a writer
    /// stored meanwhile.
    async fn set_if_absent(
        &self,
        key: &str,
        value: &[u8],
        ttl: Duration,
    ) -> Result<bool, CacheError>;
    async fn delete(&self, key: &str) -> Result<(), CacheError>;
    /// Token bucket: take one token from the bucket `key` (refilled at `per_sec`, holding at most
    /// `burst`). `None` if taken; otherwise how long until one is available.
    async fn take_token(
        &self,
        key: &str,
        per_sec: u32,
        burst: u32,
    ) -> Result<Option<Duration>, CacheError>;
    /// Add one to the counter `key` (created with `ttl`) and return the new count.
    async fn incr(&self, key: &str, ttl: Duration) -> Result<i64, CacheError>;
    fn kind(&self) -> &'static str;
}

pub type SharedCache = Arc<dyn Cache>;

/// In-process cache with a per-entry time to live.
pub struct MemoryCache {
    inner: moka::future::Cache<String, (Vec<u8>, std::time::Instant)>,
    /// Token buckets and counters: (tokens or count, last refill or expiry).
    meters: std::sync::Mutex<std::collections::HashMap<String, (f64, std::time::Instant)>>,
}

impl MemoryCache {
    pub fn new(max_entries: u64) -> Self {
        MemoryCache {
            inner: moka::future::Cache::builder()
                .max_capacity(max_entries)
                .build(),
            meters: Default::default(),
        }
    }
}

#[async_trait]
impl Cache for MemoryCache {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        match self.inner.get(key).await {
            Some((v, expires)) if expires > std::time::Instant::now() => Ok(Some(v)),
            Some(_) => {
                self.inner.invalidate(key).await;
                Ok(None)
            }
            None => Ok(None),
        }
    }
    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), CacheError> {
        self.inner
            .insert(
                key.to_string(),
                (value.to_vec(), std::time::Instant::now() + ttl),
            )
            .await;
        Ok(())
    }
    async fn set_if_absent(
        &self,
        key: &str,
        value: &[u8],
        ttl: Duration,
    ) -> Result<bool, CacheError> {
        use moka::ops::compute::Op;
        let now = std::time::Instant::now();
        let out = self
            .inner
            .entry(key.to_string())
            .and_compute_with(|cur| {
                let live = cur.is_some_and(|e| e.value().1 > now);
                std::future::ready(if live {
                    Op::Nop
                } else {
                    Op::Put((value.to_vec(), now + ttl))
                })
            })
            .await;
        Ok(matches!(
            out,
            moka::ops::compute::CompResult::Inserted(_)
                | moka::ops::compute::CompResult::ReplacedWith(_)
        ))
    }
    async fn delete(&self, key: &str) -> Result<(), CacheError> {
        self.inner.invalidate(key).await;
        Ok(())
    }
    async fn take_token(
        &self,
        key: &str,
        per_sec: u32,
        burst: u32,
    ) -> Result<Option<Duration>, CacheError> {
        let now = std::time::Instant::now();
        let mut m = self.meters.lock().unwrap_or_else(|e| e.into_inner());
        if m.len() > 100_000 {
            // Idle buckets are full buckets: forgetting them changes nothing.
            let idle = Duration::from_secs_f64(f64::from(burst) / f64::from(per_sec.max(1)));
            m.retain(|_, (_, t)| now.duration_since(*t) < idle);
        }
        let (tokens, last) = m
            .entry(format!("rl:{key}"))
            .or_insert((f64::from(burst), now));
        let rate = f64::from(per_sec.max(1));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * rate).min(f64::from(burst));
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(None)
        } else {
            Ok(Some(Duration::from_secs_f64((1.0 - *tokens) / rate)))
        }
    }
    async fn incr(&self, key: &str, ttl: Duration) -> Result<i64, CacheError> {
        let now = std::time::Instant::now();
        let mut m = self.meters.lock().unwrap_or_else(|e| e.into_inner());
        let (count, expires) = m.entry(format!("n:{key}")).or_insert((0.0, now + ttl));
        if *expires <= now {
            *count = 0.0;
            *expires = now + ttl;
        }
        *count += 1.0;
        Ok(*count as i64)
    }
    fn kind(&self) -> &'static str {
        "memory"
    }
}

/// Redis through a multiplexed, self-reconnecting connection manager.
pub struct RedisCache {
    conn: redis::aio::ConnectionManager,
    namespace: String,
}

impl RedisCache {
    pub async fn connect(url: &str, namespace: &str) -> Result<Self, CacheError> {
        let client = redis::Client::open(url)?;
        let conn = redis::aio::ConnectionManager::new(client).await?;
        Ok(RedisCache {
            conn,
            namespace: namespace.to_string(),
        })
    }
    fn key(&self, key: &str) -> String {
        format!("{}:{key}", self.namespace)
    }
}

#[async_trait]
impl Cache for RedisCache {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        let mut c = self.conn.clone();
        Ok(redis::cmd("GET")
            .arg(self.key(key))
            .query_async(&mut c)
            .await?)
    }
    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), CacheError> {
        let mut c = self.conn.clone();
        let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        redis::cmd("SET")
            .arg(self.key(key))
            .arg(value)
            .arg("PX")
            .arg(ms)
            .query_async::<()>(&mut c)
            .await?;
        Ok(())
    }
    async fn set_if_absent(
        &self,
        key: &str,
        value: &[u8],
        ttl: Duration,
    ) -> Result<bool, CacheError> {
        let mut c = self.conn.clone();
        let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let set: Option<String> = redis::cmd("SET")
            .arg(self.key(key))
            .arg(value)
            .arg("PX")
            .arg(ms)
            .arg("NX")
            .query_async(&mut c)
            .await?;
        Ok(set.is_some())
    }
    async fn delete(&self, key: &str) -> Result<(), CacheError> {
        let mut c = self.conn.clone();
        redis::cmd("DEL")
            .arg(self.key(key))
            .query_async::<()>(&mut c)
            .await?;
        Ok(())
    }
    async fn take_token(
        &self,
        key: &str,
        per_sec: u32,
        burst: u32,
    ) -> Result<Option<Duration>, CacheError> {
        // One atomic script; the clock is Redis's, so every server instance shares one bucket.
        const SCRIPT: &str = r"
            local rate = tonumber(ARGV[1])
            local burst = tonumber(ARGV[2])
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
            local tokens = tonumber(b[1]) or burst
            local ts = tonumber(b[2]) or now
            tokens = math.min(burst, tokens + (now - ts) * rate / 1000)
            local wait = 0
            if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) * 1000 / rate) end
            redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', now)
            redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
            return wait";
        let mut c = self.conn.clone();
        let wait: i64 = redis::Script::new(SCRIPT)
            .key(self.key(&format!("rl:{key}")))
            .arg(per_sec.max(1))
            .arg(burst.max(1))
            .invoke_async(&mut c)
            .await?;
        Ok((wait > 0).then(|| Duration::from_millis(wait as u64)))
    }
    async fn incr(&self, key: &str, ttl: Duration) -> Result<i64, CacheError> {
        let mut c = self.conn.clone();
        let k = self.key(&format!("n:{key}"));
        let (n,): (i64,) = redis::pipe()
            .atomic()
            .cmd("INCR")
            .arg(&k)
            .cmd("PEXPIRE")
            .arg(&k)
            .arg(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1))
            .arg("NX")
            .ignore()
            .query_async(&mut c)
            .await?;
        Ok(n)
    }
    fn kind(&self) -> &'static str {
        "redis"
    }
}

/// Redis if a URL is given, in-process otherwise.
pub async fn open(redis_url: Option<&str>, namespace: &str) -> Result<SharedCache, CacheError> {
    Ok(match redis_url {
        Some(url) => Arc::new(RedisCache::connect(url, namespace).await?),
        None => Arc::new(MemoryCache::new(100_000)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_cache_expires_and_deletes() {
        let c = MemoryCache::new(10);
        c.set("a", b"1", Duration::from_millis(30)).await.unwrap();
        assert_eq!(c.get("a").await.unwrap(), Some(b"1".to_vec()));
        tokio::time::sleep(Duration::from_millis(40)).await;
        assert_eq!(c.get("a").await.unwrap(), None);
        c.set("b", b"2", Duration::from_secs(60)).await.unwrap();
        c.delete("b").await.unwrap();
        assert_eq!(c.get("b").await.unwrap(), None);
        // set_if_absent never overwrites a live value, but fills an empty or expired key.
        assert!(c
            .set_if_absent("b", b"3", Duration::from_millis(30))
            .await
            .unwrap());
        assert!(!c
            .set_if_absent("b", b"4", Duration::from_secs(60))
            .await
            .unwrap());
        assert_eq!(c.get("b").await.unwrap(), Some(b"3".to_vec()));
        tokio::time::sleep(Duration::from_millis(40)).await;
        assert!(c
            .set_if_absent("b", b"5", Duration::from_secs(60))
            .await
            .unwrap());
        assert_eq!(c.get("b").await.unwrap(), Some(b"5".to_vec()));
    }
}
