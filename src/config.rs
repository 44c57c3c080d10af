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
}

/// How long a verified API key stays cached before the database is asked again.
pub const KEY_CACHE_TTL_SECS: u64 = 30;
