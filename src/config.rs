//! One typed configuration, from flags and environment, with defaults that run out of the box.

use clap::Args;

pub const DEFAULT_DATABASE_URL: &str = "./data/credithub.db";

/// Where the hub keeps its data; shared by every subcommand.
#[derive(Debug, Clone, Args)]
pub struct StoreConfig {
    /// `postgres://…` for PostgreSQL; a file path (or `sqlite://path`) for the embedded SQLite default.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,
    /// `redis://…` for the shared cache; without it an in-process cache is used.
    #[arg(long, env = "REDIS_URL", global = true)]
    pub redis_url: Option<String>,
    /// Connections in the database pool.
    #[arg(long, env = "CREDITHUB_DB_POOL", default_value_t = 16, global = true)]
    pub db_pool: u32,
    /// Prefix of every cache key, so several hubs can share one Redis.
    #[arg(
        long,
        env = "CREDITHUB_CACHE_NAMESPACE",
        default_value = "credithub",
        global = true
    )]
    pub cache_namespace: String,
    /// A scorecard TOML to score with instead of the shipped one (checked at start-up).
    #[arg(long, env = "CREDITHUB_SCORECARD", global = true)]
    pub scorecard: Option<std::path::PathBuf>,
    /// Seconds a profile stays in the cache. Recomputes in this process (or anywhere, with Redis)
    /// replace the cached profile at once; see README on the in-process cache.
    #[arg(
        long,
        env = "CREDITHUB_PROFILE_CACHE_TTL_SECS",
        default_value_t = 300,
        global = true
    )]
    pub profile_cache_ttl: u64,
    /// Requests a second per API key, unless its institution has its own limit.
    #[arg(
        long,
        env = "CREDITHUB_RATE_PER_SEC",
        default_value_t = 50,
        global = true
    )]
    pub rate_per_sec: u32,
    /// Burst (token-bucket size) per API key, unless its institution has its own.
    #[arg(
        long,
        env = "CREDITHUB_RATE_BURST",
        default_value_t = 100,
        global = true
    )]
    pub rate_burst: u32,
    /// Milliseconds to open a Redis connection before giving up (the request is served without the cache).
    #[arg(
        long,
        env = "CREDITHUB_REDIS_CONNECT_TIMEOUT_MS",
        default_value_t = 250,
        global = true
    )]
    pub redis_connect_timeout_ms: u64,
    /// Milliseconds to wait for one Redis answer before giving up (as above).
    #[arg(
        long,
        env = "CREDITHUB_REDIS_RESPONSE_TIMEOUT_MS",
        default_value_t = 500,
        global = true
    )]
    pub redis_response_timeout_ms: u64,
    /// Seconds a request waits for a database connection before it is answered 503.
    #[arg(
        long,
        env = "CREDITHUB_DB_WAIT_SECS",
        default_value_t = 5,
        global = true
    )]
    pub db_wait_secs: u64,
    /// Data quality (Art 26): a source whose coverage of the registry for the last complete month is
    /// under this share is flagged (Shanghai's public-data standard: at least 90% updated on time).
    #[arg(
        long,
        env = "CREDITHUB_COVERAGE_FLOOR",
        default_value = "0.90",
        global = true
    )]
    pub coverage_floor: rust_decimal::Decimal,
    /// Data quality (Art 26): a source that has sent nothing for this many days is flagged.
    #[arg(
        long,
        env = "CREDITHUB_SILENT_DAYS",
        default_value_t = 35,
        global = true
    )]
    pub silent_days: i64,
}

impl Default for StoreConfig {
    /// What the flags default to (with no environment): the embedded SQLite file, the in-process cache.
    fn default() -> Self {
        StoreConfig {
            database_url: DEFAULT_DATABASE_URL.into(),
            redis_url: None,
            db_pool: 16,
            cache_namespace: "credithub".into(),
            scorecard: None,
            profile_cache_ttl: 300,
            rate_per_sec: 50,
            rate_burst: 100,
            redis_connect_timeout_ms: 250,
            redis_response_timeout_ms: 500,
            db_wait_secs: 5,
            coverage_floor: rust_decimal::Decimal::new(90, 2),
            silent_days: 35,
        }
    }
}

impl StoreConfig {
    /// The data-quality thresholds the statistics flag against.
    pub fn watch(&self) -> crate::domain::statistics::Watch {
        crate::domain::statistics::Watch {
            coverage_floor: self.coverage_floor,
            silent_days: self.silent_days,
        }
    }
    /// The Redis deadlines configured.
    pub fn redis_timeouts(&self) -> crate::cache::Timeouts {
        let d = crate::cache::Timeouts::default();
        crate::cache::Timeouts {
            connect: std::time::Duration::from_millis(self.redis_connect_timeout_ms.max(1)),
            response: std::time::Duration::from_millis(self.redis_response_timeout_ms.max(1)),
            retry: d.retry,
        }
    }

    /// The scorecard in force: the file given, or the shipped one.
    pub fn load_scorecard(&self) -> anyhow::Result<crate::domain::scorecard::Scorecard> {
        use crate::domain::scorecard::Scorecard;
        use anyhow::Context;
        match &self.scorecard {
            None => Ok(Scorecard::default_card()),
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("reading the scorecard {}", p.display()))?;
                Scorecard::parse(&text).with_context(|| format!("in {}", p.display()))
            }
        }
    }
}

/// How long a verified API key stays cached before the database is asked again.
pub const KEY_CACHE_TTL_SECS: u64 = 30;

/// Request body limits and the cap on uploads in flight.
#[derive(Debug, Clone, Copy, Args)]
pub struct BodyLimits {
    /// Largest JSON body, in bytes (16 MiB: a 10,000-row `POST /v1/signals` fits).
    #[arg(long, env = "CREDITHUB_JSON_LIMIT", default_value_t = 16 << 20)]
    pub json_limit: usize,
    /// Largest upload (signal imports, guarantee ledgers, claim batches), in bytes (256 MiB).
    #[arg(long, env = "CREDITHUB_UPLOAD_LIMIT", default_value_t = 256 << 20)]
    pub upload_limit: usize,
    /// Uploads read at once; one more is answered 503 with Retry-After.
    #[arg(long, env = "CREDITHUB_MAX_UPLOADS", default_value_t = 4)]
    pub max_uploads: usize,
}

impl Default for BodyLimits {
    fn default() -> Self {
        BodyLimits {
            json_limit: 16 << 20,
            upload_limit: 256 << 20,
            max_uploads: 4,
        }
    }
}
