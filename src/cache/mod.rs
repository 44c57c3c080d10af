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
    async fn delete(&self, key: &str) -> Result<(), CacheError>;
    fn kind(&self) -> &'static str;
}

pub type SharedCache = Arc<dyn Cache>;

/// In-process cache with a per-entry time to live.
pub struct MemoryCache {
    inner: moka::future::Cache<String, (Vec<u8>, std::time::Instant)>,
}

impl MemoryCache {
    pub fn new(max_entries: u64) -> Self {
        MemoryCache {
            inner: moka::future::Cache::builder()
                .max_capacity(max_entries)
                .build(),
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
    async fn delete(&self, key: &str) -> Result<(), CacheError> {
        self.inner.invalidate(key).await;
        Ok(())
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
    async fn delete(&self, key: &str) -> Result<(), CacheError> {
        let mut c = self.conn.clone();
        redis::cmd("DEL")
            .arg(self.key(key))
            .query_async::<()>(&mut c)
            .await?;
        Ok(())
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
    }
}
