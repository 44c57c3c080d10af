//! A small key-value cache: Redis when `REDIS_URL` is set, in-process (moka) otherwise. Values are bytes
//! with a time to live; keys are namespaced so several hubs (or tests) can share one Redis.

pub mod keys;
pub mod resilient;

use async_trait::async_trait;
pub use resilient::{Resilient, Timeouts};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("redis did not answer within {0:?}")]
    Timeout(Duration),
    #[error("redis is unreachable; skipped")]
    Unavailable,
}

impl CacheError {
    /// The connection, not the command, failed: Redis is away (refused, dropped, timed out).
    pub fn is_connection_fault(&self) -> bool {
        match self {
            CacheError::Redis(e) => {
                e.is_io_error()
                    || e.is_timeout()
                    || e.is_connection_dropped()
                    || e.is_connection_refusal()
                    || e.is_unrecoverable_error()
            }
            CacheError::Timeout(_) | CacheError::Unavailable => true,
        }
    }
}

#[async_trait]
pub trait Cache: Send + Sync {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError>;
    /// Several keys in one round trip, in order.
    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>, CacheError>;
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
    /// In one step: the value at `key` and, when it is a JSON object with a `key_id` (an API key's cached
    /// principal), one token taken from that key's bucket ([`Cache::take_token`] with `key_id`), at the
    /// object's `limits.per_sec` / `limits.burst` where set, else at `per_sec` / `burst`. `None`: nothing
    /// is cached under `key`.
    /// With a metered principal, also the values at `also` (in order), where [`INSTITUTION`] in a key
    /// stands for the object's `institution_id` (no value if it has none); otherwise `also` reads nothing
    /// and the list is empty.
    async fn get_and_take_token(
        &self,
        key: &str,
        per_sec: u32,
        burst: u32,
        also: &[&str],
    ) -> Result<Option<KeyRead>, CacheError>;
    /// Add one to the counter `key` (created with `ttl`) and return the new count.
    async fn incr(&self, key: &str, ttl: Duration) -> Result<i64, CacheError>;
    fn kind(&self) -> &'static str;
    /// `up`, or `unreachable` while calls skip it (see [`Resilient`]).
    fn state(&self) -> &'static str {
        "up"
    }
}

pub type SharedCache = Arc<dyn Cache>;

/// In a key given to [`Cache::get_and_take_token`]'s `also`: the cached principal's institution.
pub const INSTITUTION: &str = "{institution_id}";

/// What [`Cache::get_and_take_token`] read and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRead {
    pub value: Vec<u8>,
    pub metered: Metered,
    /// The values at the keys asked for besides, in order; empty if the value names no bucket.
    pub also: Vec<Option<Vec<u8>>>,
}

/// `key` with [`INSTITUTION`] replaced by `institution`; `None` if it needs one and there is none.
pub fn with_institution(key: &str, institution: Option<&str>) -> Option<String> {
    match (key.contains(INSTITUTION), institution) {
        (false, _) => Some(key.to_string()),
        (true, Some(i)) => Some(key.replacen(INSTITUTION, i, 1)),
        (true, None) => None,
    }
}

/// What [`Cache::get_and_take_token`] did about the bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metered {
    /// A token was taken.
    Taken,
    /// The bucket is empty: one is available after this long.
    Wait(Duration),
    /// The value names no bucket; nothing was taken.
    NotMetered,
}

impl Metered {
    fn of(wait: Option<Duration>) -> Self {
        wait.map_or(Metered::Taken, Metered::Wait)
    }
}

/// The part of a cached principal that names its bucket (and its institution).
#[derive(serde::Deserialize)]
struct BucketOf {
    key_id: String,
    #[serde(default)]
    limits: BucketLimits,
    #[serde(default)]
    institution_id: Option<String>,
}

#[derive(serde::Deserialize, Default)]
struct BucketLimits {
    per_sec: Option<u32>,
    burst: Option<u32>,
}

/// The token bucket in Lua: refilled at `rate` a second up to `burst`, on Redis's clock, so every server
/// instance shares one bucket. Returns 0 when a token was taken, else the milliseconds until one is there.
macro_rules! take_lua {
    () => {
        r"
        local function take(key, rate, burst)
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            local b = redis.call('HMGET', key, 'tokens', 'ts')
            local tokens = tonumber(b[1]) or burst
            local ts = tonumber(b[2]) or now
            tokens = math.min(burst, tokens + (now - ts) * rate / 1000)
            local wait = 0
            if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) * 1000 / rate) end
            redis.call('HSET', key, 'tokens', tostring(tokens), 'ts', now)
            redis.call('PEXPIRE', key, math.ceil(burst * 1000 / rate) + 1000)
            return wait
        end
        "
    };
}

static TAKE_TOKEN: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| {
    redis::Script::new(concat!(
        take_lua!(),
        "return take(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]))"
    ))
});

/// GET a cached principal, take a token from its key's bucket (`ARGV[3]` .. key_id) and GET the keys
/// `ARGV[5..]` (`ARGV[4]` in one stands for the principal's institution_id): one round trip. Those keys
/// are built here, so this suits one Redis, not a cluster. Sent as EVALSHA in a pipeline; loaded and sent
/// again when Redis does not know it.
static GET_AND_TAKE: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| {
    redis::Script::new(concat!(
        take_lua!(),
        r"
        local v = redis.call('GET', KEYS[1])
        if not v then return false end
        local ok, p = pcall(cjson.decode, v)
        if not ok or type(p) ~= 'table' or type(p.key_id) ~= 'string' then return {v, -1, {}} end
        local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
        if type(p.limits) == 'table' then
            if type(p.limits.per_sec) == 'number' then rate = p.limits.per_sec end
            if type(p.limits.burst) == 'number' then burst = p.limits.burst end
        end
        local wait = take(ARGV[3] .. p.key_id, math.max(rate, 1), math.max(burst, 1))
        local also = {}
        for i = 5, #ARGV do
            local k = ARGV[i]
            local s, e = string.find(k, ARGV[4], 1, true)
            if s then
                if type(p.institution_id) == 'string' then
                    k = string.sub(k, 1, s - 1) .. p.institution_id .. string.sub(k, e + 1)
                else
                    k = nil
                end
            end
            also[i - 4] = k and redis.call('GET', k) or false
        end
        return {v, wait, also}
        "
    ))
});

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
    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>, CacheError> {
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            out.push(self.get(k).await?);
        }
        Ok(out)
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
    async fn get_and_take_token(
        &self,
        key: &str,
        per_sec: u32,
        burst: u32,
        also: &[&str],
    ) -> Result<Option<KeyRead>, CacheError> {
        let Some(value) = self.get(key).await? else {
            return Ok(None);
        };
        let Ok(b) = serde_json::from_slice::<BucketOf>(&value) else {
            return Ok(Some(KeyRead {
                value,
                metered: Metered::NotMetered,
                also: Vec::new(),
            }));
        };
        let metered = Metered::of(
            self.take_token(
                &b.key_id,
                b.limits.per_sec.unwrap_or(per_sec),
                b.limits.burst.unwrap_or(burst).max(1),
            )
            .await?,
        );
        let mut got = Vec::with_capacity(also.len());
        for k in also {
            got.push(match with_institution(k, b.institution_id.as_deref()) {
                Some(k) => self.get(&k).await?,
                None => None,
            });
        }
        Ok(Some(KeyRead {
            value,
            metered,
            also: got,
        }))
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

/// Redis through a multiplexed, self-reconnecting connection manager, plus one multiplexed connection per
/// single-threaded runtime thread (each actix-web worker): a command sent from a worker is written and its
/// reply read on that worker, without handing it to another thread and back. A per-thread connection that
/// fails (its runtime gone, or Redis restarted) is dropped and the command goes through the manager.
pub struct RedisCache {
    client: redis::Client,
    timeouts: Timeouts,
    shared: redis::aio::ConnectionManager,
    /// Tells this cache's per-thread connections from another cache's (tests open several).
    id: u64,
    namespace: String,
}

/// A thread's own connection for one cache, or when opening one last failed.
#[derive(Clone)]
enum Local {
    Open(redis::aio::MultiplexedConnection),
    FailedAt(std::time::Instant),
}

/// After a failed attempt, a thread uses the shared manager this long before it tries to open its own
/// connection again (no connect attempt, and no warning, on every request while Redis is away).
const LOCAL_RETRY: Duration = Duration::from_secs(1);

thread_local! {
    static LOCAL_CONNS: std::cell::RefCell<Vec<(u64, Local)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

fn local_conn(id: u64) -> Option<Local> {
    LOCAL_CONNS.with_borrow(|v| v.iter().find(|(i, _)| *i == id).map(|(_, c)| c.clone()))
}

fn set_local_conn(id: u64, conn: Option<Local>) {
    LOCAL_CONNS.with_borrow_mut(|v| {
        v.retain(|(i, _)| *i != id);
        v.extend(conn.map(|c| (id, c)));
    });
}

/// The connection one command goes through.
enum Conn {
    Shared(redis::aio::ConnectionManager),
    /// This thread's connection, and the manager to fall back on if it fails.
    Local {
        id: u64,
        conn: redis::aio::MultiplexedConnection,
        shared: redis::aio::ConnectionManager,
    },
}

impl Conn {
    fn shared(&mut self) -> &mut redis::aio::ConnectionManager {
        match self {
            Conn::Shared(s) | Conn::Local { shared: s, .. } => s,
        }
    }
}

/// A per-thread connection whose error says the connection itself is gone.
fn connection_gone(e: &redis::RedisError) -> bool {
    e.is_io_error() || e.is_unrecoverable_error()
}

impl redis::aio::ConnectionLike for Conn {
    fn req_packed_command<'a>(
        &'a mut self,
        cmd: &'a redis::Cmd,
    ) -> redis::RedisFuture<'a, redis::Value> {
        Box::pin(async move {
            if let Conn::Local { id, conn, .. } = self {
                match conn.req_packed_command(cmd).await {
                    Err(e) if connection_gone(&e) => set_local_conn(*id, None),
                    done => return done,
                }
            }
            self.shared().req_packed_command(cmd).await
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> redis::RedisFuture<'a, Vec<redis::Value>> {
        Box::pin(async move {
            if let Conn::Local { id, conn, .. } = self {
                match conn.req_packed_commands(cmd, offset, count).await {
                    Err(e) if connection_gone(&e) => set_local_conn(*id, None),
                    done => return done,
                }
            }
            self.shared().req_packed_commands(cmd, offset, count).await
        })
    }

    fn get_db(&self) -> i64 {
        match self {
            Conn::Shared(s) => s.get_db(),
            Conn::Local { conn, .. } => conn.get_db(),
        }
    }
}

impl RedisCache {
    pub async fn connect(url: &str, namespace: &str) -> Result<Self, CacheError> {
        Self::connect_with(url, namespace, Timeouts::default()).await
    }
    /// Every connection (the shared manager's and each worker's) with `timeouts`' connect and response
    /// deadlines; the manager reconnects once per attempt instead of backing off for minutes.
    pub async fn connect_with(
        url: &str,
        namespace: &str,
        timeouts: Timeouts,
    ) -> Result<Self, CacheError> {
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let client = redis::Client::open(url)?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(timeouts.connect)
            .set_response_timeout(timeouts.response)
            .set_number_of_retries(1)
            .set_max_delay(100);
        let shared = redis::aio::ConnectionManager::new_with_config(client.clone(), config).await?;
        Ok(RedisCache {
            client,
            timeouts,
            shared,
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            namespace: namespace.to_string(),
        })
    }
    fn key(&self, key: &str) -> String {
        format!("{}:{key}", self.namespace)
    }
    /// On a single-threaded runtime (an actix-web worker), this thread's own connection, opened on first
    /// use; elsewhere (a multi-threaded runtime, whose tasks move between threads) the shared manager.
    async fn conn(&self) -> Conn {
        let shared = self.shared.clone();
        let single_threaded = tokio::runtime::Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::CurrentThread);
        if !single_threaded {
            return Conn::Shared(shared);
        }
        let conn = match local_conn(self.id) {
            Some(Local::Open(c)) => c,
            Some(Local::FailedAt(at)) if at.elapsed() < LOCAL_RETRY => return Conn::Shared(shared),
            _ => {
                let config = redis::AsyncConnectionConfig::new()
                    .set_connection_timeout(self.timeouts.connect)
                    .set_response_timeout(self.timeouts.response);
                match self
                    .client
                    .get_multiplexed_async_connection_with_config(&config)
                    .await
                {
                    Ok(c) => {
                        set_local_conn(self.id, Some(Local::Open(c.clone())));
                        c
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "no per-thread Redis connection; using the shared one");
                        set_local_conn(self.id, Some(Local::FailedAt(std::time::Instant::now())));
                        return Conn::Shared(shared);
                    }
                }
            }
        };
        Conn::Local {
            id: self.id,
            conn,
            shared,
        }
    }
}

#[async_trait]
impl Cache for RedisCache {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        let mut c = self.conn().await;
        Ok(redis::cmd("GET")
            .arg(self.key(key))
            .query_async(&mut c)
            .await?)
    }
    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>, CacheError> {
        let mut c = self.conn().await;
        let mut cmd = redis::cmd("MGET");
        for k in keys {
            cmd.arg(self.key(k));
        }
        Ok(cmd.query_async(&mut c).await?)
    }
    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), CacheError> {
        let mut c = self.conn().await;
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
        let mut c = self.conn().await;
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
        let mut c = self.conn().await;
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
        let mut c = self.conn().await;
        let wait: i64 = TAKE_TOKEN
            .key(self.key(&format!("rl:{key}")))
            .arg(per_sec.max(1))
            .arg(burst.max(1))
            .invoke_async(&mut c)
            .await?;
        Ok((wait > 0).then(|| Duration::from_millis(wait as u64)))
    }
    async fn get_and_take_token(
        &self,
        key: &str,
        per_sec: u32,
        burst: u32,
        also: &[&str],
    ) -> Result<Option<KeyRead>, CacheError> {
        // Keys that name the institution are read by the script; the others (large values such as a
        // profile, which would only be copied in and out of Lua) by an MGET sent in the same write.
        let (templated, plain): (Vec<usize>, Vec<usize>) =
            (0..also.len()).partition(|&i| also[i].contains(INSTITUTION));
        let mut pipe = redis::pipe();
        pipe.cmd("EVALSHA")
            .arg(GET_AND_TAKE.get_hash())
            .arg(1)
            .arg(self.key(key))
            .arg(per_sec)
            .arg(burst)
            .arg(self.key("rl:"))
            .arg(INSTITUTION);
        for &i in &templated {
            pipe.arg(self.key(also[i]));
        }
        if !plain.is_empty() {
            pipe.cmd("MGET");
            for &i in &plain {
                pipe.arg(self.key(also[i]));
            }
        }
        let mut c = self.conn().await;
        let replies = match pipe.query_async::<Vec<redis::Value>>(&mut c).await {
            // Redis does not know the script (restarted, or flushed): load it and send again.
            Err(e) if e.kind() == redis::ErrorKind::NoScriptError => {
                GET_AND_TAKE.load_async(&mut c).await?;
                pipe.query_async(&mut c).await?
            }
            replies => replies?,
        };
        let mut replies = replies.into_iter();
        let mut next = || replies.next().unwrap_or(redis::Value::Nil);
        let scripted: Option<(Vec<u8>, i64, Vec<Option<Vec<u8>>>)> =
            redis::from_redis_value(&next())?;
        let mut mget: Vec<Option<Vec<u8>>> = redis::from_redis_value(&next())?;
        Ok(scripted.map(|(value, wait, from_script)| {
            let metered = match wait {
                w if w < 0 => Metered::NotMetered,
                0 => Metered::Taken,
                w => Metered::Wait(Duration::from_millis(w as u64)),
            };
            let also = match metered {
                Metered::NotMetered => Vec::new(),
                _ => {
                    let mut out = vec![None; also.len()];
                    for (&i, v) in templated.iter().zip(from_script) {
                        out[i] = v;
                    }
                    for (&i, v) in plain.iter().zip(mget.drain(..)) {
                        out[i] = v;
                    }
                    out
                }
            };
            KeyRead {
                value,
                metered,
                also,
            }
        }))
    }
    async fn incr(&self, key: &str, ttl: Duration) -> Result<i64, CacheError> {
        let mut c = self.conn().await;
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

/// Redis if a URL is given (behind [`Resilient`], with the default deadlines), in-process otherwise.
pub async fn open(redis_url: Option<&str>, namespace: &str) -> Result<SharedCache, CacheError> {
    open_with(redis_url, namespace, Timeouts::default()).await
}

/// As [`open`], with the given Redis deadlines.
pub async fn open_with(
    redis_url: Option<&str>,
    namespace: &str,
    timeouts: Timeouts,
) -> Result<SharedCache, CacheError> {
    Ok(match redis_url {
        Some(url) => Arc::new(Resilient::new(
            Arc::new(RedisCache::connect_with(url, namespace, timeouts).await?),
            timeouts,
        )),
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

    /// On the in-process cache, and on Redis too when `REDIS_URL` is set.
    #[tokio::test]
    async fn reads_several_keys_and_meters_a_cached_principal() {
        several_keys_and_meter(&MemoryCache::new(10)).await;
        if let Ok(url) = std::env::var("REDIS_URL") {
            let ns = format!("test-{}", uuid::Uuid::new_v4());
            let c = RedisCache::connect(&url, &ns).await.unwrap();
            several_keys_and_meter(&c).await;
            // A Redis that lost its scripts (restarted, or flushed) gets the script again.
            let mut conn = c.conn().await;
            redis::cmd("SCRIPT")
                .arg("FLUSH")
                .query_async::<()>(&mut conn)
                .await
                .unwrap();
            let p = br#"{"key_id":"k4","institution_id":"i1"}"#;
            c.set("apikey:h4", p, Duration::from_secs(60))
                .await
                .unwrap();
            let read = c
                .get_and_take_token("apikey:h4", 10, 10, &["a", "consent:{institution_id}:x"])
                .await
                .unwrap()
                .unwrap();
            assert_eq!(read.metered, Metered::Taken);
            assert_eq!(read.also, vec![Some(b"1".to_vec()), Some(b"c".to_vec())]);
        }
    }

    /// A worker thread's own Redis connection dies with the runtime it was opened on; the next runtime on
    /// that thread must not fail on it (the command goes through the shared manager, and a new per-thread
    /// connection is opened).
    #[test]
    fn a_thread_connection_outlived_by_its_thread_is_replaced() {
        let Ok(url) = std::env::var("REDIS_URL") else {
            return;
        };
        let main = tokio::runtime::Runtime::new().unwrap();
        let ns = format!("test-{}", uuid::Uuid::new_v4());
        let cache = main.block_on(RedisCache::connect(&url, &ns)).unwrap();
        for round in 0..3u8 {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                cache
                    .set("k", &[round], Duration::from_secs(60))
                    .await
                    .unwrap();
                assert_eq!(cache.get("k").await.unwrap(), Some(vec![round]));
                assert!(
                    matches!(local_conn(cache.id), Some(Local::Open(_))),
                    "round {round}"
                );
            });
        }
    }

    /// A worker that cannot open its own connection uses the shared one, and does not try again on every
    /// command.
    #[tokio::test]
    async fn a_thread_that_cannot_connect_uses_the_shared_connection() {
        let Ok(url) = std::env::var("REDIS_URL") else {
            return;
        };
        let mut c = RedisCache::connect(&url, &format!("test-{}", uuid::Uuid::new_v4()))
            .await
            .unwrap();
        // Nothing listens on port 1: opening a connection of its own fails at once.
        c.client = redis::Client::open("redis://127.0.0.1:1").unwrap();
        c.set("k", b"v", Duration::from_secs(60)).await.unwrap();
        let Some(Local::FailedAt(first)) = local_conn(c.id) else {
            panic!("the failed attempt is remembered");
        };
        assert_eq!(c.get("k").await.unwrap(), Some(b"v".to_vec()));
        assert!(matches!(local_conn(c.id), Some(Local::FailedAt(at)) if at == first));
    }

    async fn several_keys_and_meter(c: &dyn Cache) {
        let ttl = Duration::from_secs(60);
        c.set("a", b"1", ttl).await.unwrap();
        c.set("c", b"3", ttl).await.unwrap();
        assert_eq!(
            c.get_many(&["a", "b", "c"]).await.unwrap(),
            vec![Some(b"1".to_vec()), None, Some(b"3".to_vec())]
        );

        assert_eq!(
            c.get_and_take_token("nobody", 1, 1, &["a"]).await.unwrap(),
            None
        );
        // The principal's own limits (a burst of 2, one a second) win over the defaults given.
        let p = br#"{"key_id":"k1","role":"bank","institution_id":"i1","limits":{"per_sec":1,"burst":2,"daily_quota":null}}"#;
        c.set("apikey:h1", p, ttl).await.unwrap();
        c.set("consent:i1:x", b"c", ttl).await.unwrap();
        let also = [
            "consent:{institution_id}:x",
            "b",
            "a",
            "consent:{institution_id}:y",
        ];
        let meter = || async {
            c.get_and_take_token("apikey:h1", 100, 100, &also)
                .await
                .unwrap()
        };
        let first = meter().await.unwrap();
        assert_eq!(
            (first.value.as_slice(), first.metered),
            (&p[..], Metered::Taken)
        );
        // The institution is the principal's; a key with no value reads as none.
        assert_eq!(
            first.also,
            vec![Some(b"c".to_vec()), None, Some(b"1".to_vec()), None]
        );
        assert_eq!(meter().await.map(|m| m.metered), Some(Metered::Taken));
        match meter().await.map(|m| m.metered) {
            Some(Metered::Wait(w)) => assert!(w > Duration::ZERO && w <= Duration::from_secs(1)),
            other => panic!("third request within a second of a burst of 2: {other:?}"),
        }
        // It is the key's own bucket: take_token with the key id sees it empty as well.
        assert!(c.take_token("k1", 1, 2).await.unwrap().is_some());
        // Without limits of its own the defaults apply; without an institution, keys that need one read
        // nothing.
        c.set("apikey:h2", br#"{"key_id":"k2"}"#, ttl)
            .await
            .unwrap();
        let read = c
            .get_and_take_token("apikey:h2", 1, 1, &["consent:{institution_id}:x", "a"])
            .await
            .unwrap()
            .unwrap();
        assert_eq!(read.metered, Metered::Taken);
        assert_eq!(read.also, vec![None, Some(b"1".to_vec())]);
        assert!(matches!(
            c.get_and_take_token("apikey:h2", 1, 1, &[])
                .await
                .unwrap()
                .map(|m| m.metered),
            Some(Metered::Wait(_))
        ));
        // A value that names no key is not metered, and nothing else is read.
        c.set("apikey:h3", b"not json", ttl).await.unwrap();
        assert_eq!(
            c.get_and_take_token("apikey:h3", 1, 1, &["a"])
                .await
                .unwrap(),
            Some(KeyRead {
                value: b"not json".to_vec(),
                metered: Metered::NotMetered,
                also: Vec::new()
            })
        );
    }
}
