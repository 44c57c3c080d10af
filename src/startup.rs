//! The one wiring of the hub: `Application::build(Config)` opens the database (migrated), the cache
//! (Redis with its deadlines, or in-process), the profile service and the access-log writer, and binds
//! the listener; `serve` starts answering. `main` and the tests both go through it, so the tests run the
//! production wiring and differ only in their config and clock.

use crate::api::{self, AppState, DefaultLimits};
use crate::cache::SharedCache;
use crate::clock::Clock;
use crate::config::{BodyLimits, StoreConfig};
use crate::profile::Profiles;
use crate::store::Db;
use anyhow::Context;
use std::net::TcpListener;
use std::time::Duration;

/// What a running hub is made from.
#[derive(Debug, Clone)]
pub struct Config {
    pub store: StoreConfig,
    /// Listen address (`127.0.0.1:0` for any free port).
    pub bind: String,
    pub body_limits: BodyLimits,
    pub clock: Clock,
    /// How the pages set their cookies.
    pub web: crate::web::WebConfig,
}

impl Config {
    /// The defaults on this store: `127.0.0.1:8080`, default body limits, the system clock.
    pub fn new(store: StoreConfig) -> Self {
        Config {
            store,
            bind: "127.0.0.1:8080".into(),
            body_limits: BodyLimits::default(),
            clock: Clock::system(),
            web: Default::default(),
        }
    }
}

/// The database of `cfg`, migrated (blocking: call off the async executor, or before it starts).
pub fn open_db(cfg: &StoreConfig) -> anyhow::Result<Db> {
    Db::open_with(
        &cfg.database_url,
        cfg.db_pool,
        Duration::from_secs(cfg.db_wait_secs.max(1)),
    )
    .with_context(|| format!("opening the database at {}", cfg.database_url))
}

/// The profile service over `db` and the cache `cfg` names. `serving`: this process answers requests,
/// so it keeps its in-process cache current (a CLI run writes only to a shared Redis).
pub async fn open_profiles(cfg: &StoreConfig, db: &Db, serving: bool) -> anyhow::Result<Profiles> {
    let cache = crate::cache::open_with(
        cfg.redis_url.as_deref(),
        &cfg.cache_namespace,
        cfg.redis_timeouts(),
    )
    .await
    .context("connecting to Redis")?;
    let profiles = Profiles::new(
        db.clone(),
        cache,
        cfg.load_scorecard()?,
        Duration::from_secs(cfg.profile_cache_ttl),
        serving || cfg.redis_url.is_some(),
    );
    crate::service::scorecards::register_configured(&profiles, cfg.scorecard.is_some())
        .await
        .context("registering the configured scorecard")?;
    Ok(profiles)
}

/// A hub, wired and bound, not yet answering.
pub struct Application {
    listener: TcpListener,
    state: AppState,
    port: u16,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let store = config.store.clone();
        let db = tokio::task::spawn_blocking(move || open_db(&store))
            .await
            .context("opening the database")??;
        let profiles = open_profiles(&config.store, &db, true).await?;
        let listener =
            TcpListener::bind(&config.bind).with_context(|| format!("binding {}", config.bind))?;
        let port = listener.local_addr()?.port();
        let limits = DefaultLimits {
            per_sec: config.store.rate_per_sec.max(1),
            burst: config.store.rate_burst.max(1),
        };
        let mut state = AppState::new(db, profiles.cache.clone(), profiles, limits)?;
        state.ctx.watch = config.store.watch();
        let state = state
            .with_body_limits(config.body_limits)
            .with_web(config.web)
            .with_clock(config.clock);
        Ok(Application {
            listener,
            state,
            port,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }
    pub fn db(&self) -> &Db {
        &self.state.db
    }
    pub fn cache(&self) -> &SharedCache {
        &self.state.cache
    }
    pub fn profiles(&self) -> &Profiles {
        &self.state.profiles
    }
    pub fn clock(&self) -> &Clock {
        &self.state.clock
    }

    /// Start answering (call within a tokio runtime); the server runs until it is stopped.
    pub fn serve(self) -> std::io::Result<actix_web::dev::Server> {
        tracing::info!(
            port = self.port,
            database = self.state.db.backend().as_str(),
            cache = self.state.cache.kind(),
            "credithub serving; docs at /docs/"
        );
        api::serve(self.listener, self.state)
    }
}
