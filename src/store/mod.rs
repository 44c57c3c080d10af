//! Persistence over PostgreSQL and SQLite through one diesel code path (`MultiConnection`), with an r2d2 pool
//! and blocking work kept off the async executor.

pub mod access_log;
pub mod applications;
pub mod backend;
pub mod bulk;
pub mod consents;
pub mod cursors;
pub mod firms;
pub mod guarantees;
pub mod ingestion;
pub mod institutions;
pub mod keys;
pub mod notifications;
pub mod products;
pub mod profiles;
pub mod receivables;
pub mod remedies;
pub mod rewards;
pub mod schema;
pub mod scorecards;
pub mod signals;
pub mod states;
pub mod statistics;
pub mod users;

use diesel::r2d2::{CustomizeConnection, ManageConnection, Pool, PooledConnection, R2D2Connection};
use diesel::result::DatabaseErrorKind;
use std::time::Duration;

/// One connection type over both backends; the URL decides which one is used.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgres(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database pool: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    /// The database cannot be reached now (down, restarting, or the connection died mid-statement).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("query: {0}")]
    Query(#[source] diesel::result::Error),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("not found")]
    NotFound,
    #[error("migrations: {0}")]
    Migration(String),
    #[error("blocking task: {0}")]
    Join(#[from] tokio::task::JoinError),
    #[error("{0}")]
    Config(String),
}

impl From<diesel::result::Error> for StoreError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => StoreError::NotFound,
            diesel::result::Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                StoreError::Conflict(info.message().to_string())
            }
            diesel::result::Error::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                StoreError::Unavailable(info.message().to_string())
            }
            diesel::result::Error::DatabaseError(_, ref info)
                if connection_lost(info.message()) =>
            {
                StoreError::Unavailable(info.message().to_string())
            }
            other => StoreError::Query(other),
        }
    }
}

/// libpq's words for a connection that died or a server that is going away or not yet up (diesel
/// reports these as `Unknown`, without the SQLSTATE): 57P01-57P03, 08xxx; and SQLite's for a write lock
/// that stayed taken past `busy_timeout` (SQLITE_BUSY).
fn connection_lost(message: &str) -> bool {
    const SIGNS: [&str; 10] = [
        "terminating connection",
        "server closed the connection",
        "connection to server",
        "no connection to the server",
        "could not receive data from server",
        "could not send data to server",
        "the database system is shutting down",
        "the database system is starting up",
        // SQLite: the write lock was not free within busy_timeout.
        "database is locked",
        "database is busy",
    ];
    SIGNS.iter().any(|s| message.contains(s))
}

impl StoreError {
    /// Worth answering 503 with Retry-After: the database, not the request, is at fault.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Pool(_) | StoreError::Unavailable(_))
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

pub use backend::{resolve_url, Backend};

/// SQLite settings at connect (as vaultwarden does): wait on locks, WAL, NORMAL sync, enforced foreign keys.
#[derive(Debug)]
struct ConnectionSetup;

impl CustomizeConnection<DbConn, diesel::r2d2::Error> for ConnectionSetup {
    fn on_acquire(&self, conn: &mut DbConn) -> std::result::Result<(), diesel::r2d2::Error> {
        backend::on_connect(conn).map_err(diesel::r2d2::Error::QueryError)
    }
}

/// Opens connections of the one backend the URL names. (diesel's generic manager tries every backend of
/// the `MultiConnection` in turn, so a PostgreSQL that is merely down was logged as "Invalid connection
/// url for multiconnection" instead of libpq's reason.)
#[derive(Debug)]
pub struct Manager {
    url: String,
    backend: Backend,
}

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> std::result::Result<DbConn, Self::Error> {
        backend::establish(self.backend, &self.url).map_err(diesel::r2d2::Error::ConnectionError)
    }
    fn is_valid(&self, conn: &mut DbConn) -> std::result::Result<(), Self::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }
    fn has_broken(&self, conn: &mut DbConn) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

/// The pool. Cloning is cheap.
#[derive(Clone)]
pub struct Db {
    pool: Pool<Manager>,
    backend: Backend,
    /// SQLite: connections to the access-log file (see `backend::prepare_sqlite_access_log`), and the
    /// two files' paths; PostgreSQL keeps the access log in the one database.
    log_pool: Option<Pool<Manager>>,
    sqlite_files: Option<(String, String)>,
}

/// A connection checked out of a [`Db`] pool.
pub type PooledConn = PooledConnection<Manager>;

/// How long a request waits for a pooled connection by default before it is answered 503.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(5);

impl Db {
    /// Connect (creating the SQLite file's folder if needed) without running migrations.
    pub fn connect(url: &str, max_connections: u32) -> Result<Self> {
        Self::connect_with(url, max_connections, DEFAULT_WAIT)
    }

    /// As [`Db::connect`]; a caller waits at most `wait` for a connection.
    pub fn connect_with(url: &str, max_connections: u32, wait: Duration) -> Result<Self> {
        let (backend, url) = resolve_url(url);
        let sqlite_files = backend::prepare(backend, &url)?;
        let log_pool = match &sqlite_files {
            Some((_, log)) => {
                let log = log.clone();
                Some(
                    Pool::builder()
                        .max_size(max_connections.clamp(1, 4))
                        .connection_timeout(wait)
                        .connection_customizer(Box::new(ConnectionSetup))
                        .build(Manager { url: log, backend })?,
                )
            }
            None => None,
        };
        let manager = Manager { url, backend };
        let pool = Pool::builder()
            .max_size(max_connections)
            .connection_timeout(wait)
            .connection_customizer(Box::new(ConnectionSetup))
            .build(manager)?;
        Ok(Db {
            pool,
            backend,
            log_pool,
            sqlite_files,
        })
    }

    /// Connect and bring the schema up to date.
    pub fn open(url: &str, max_connections: u32) -> Result<Self> {
        Self::open_with(url, max_connections, DEFAULT_WAIT)
    }

    /// As [`Db::open`], with the wait for a connection.
    pub fn open_with(url: &str, max_connections: u32, wait: Duration) -> Result<Self> {
        let db = Self::connect_with(url, max_connections, wait)?;
        db.migrate()?;
        Ok(db)
    }

    pub fn max_connections(&self) -> u32 {
        self.pool.max_size()
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn migrate(&self) -> Result<Vec<String>> {
        let mut conn = self.conn()?;
        let applied = backend::run_migrations(&mut conn)?;
        if let Some((main, log)) = &self.sqlite_files {
            let moved = backend::bring_over_sqlite_access_log(main, log)?;
            if moved > 0 {
                tracing::info!(rows = moved, file = %log, "access log moved to its own file");
            }
        }
        Ok(applied)
    }

    /// A pooled connection, for synchronous callers (CLI, benches). Async code uses [`Db::run`].
    pub fn conn(&self) -> Result<PooledConnection<Manager>> {
        Ok(self.pool.get()?)
    }

    /// A connection to where the access log is kept (its own file on SQLite, the database on PostgreSQL).
    pub fn log_conn(&self) -> Result<PooledConnection<Manager>> {
        Ok(self.log_pool.as_ref().unwrap_or(&self.pool).get()?)
    }

    /// As [`Db::run`], on a connection to the access log ([`Db::log_conn`]).
    pub async fn run_log<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T> + Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.log_conn()?;
            f(&mut conn)
        })
        .await?
    }

    /// Run blocking diesel work on tokio's blocking pool, never on the async executor.
    pub async fn run<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await?
    }

    /// As [`Db::run`], for work that fails with an operation's own error (one that a store error
    /// converts into): a transaction can then end with "refused, because…" without a nested result.
    pub async fn run_as<T, E, F>(&self, f: F) -> std::result::Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut DbConn) -> std::result::Result<T, E> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(StoreError::from)?;
            f(&mut conn)
        })
        .await
        .map_err(|e| E::from(StoreError::from(e)))?
    }
}

#[link(name = "crypto")]
extern "C" {
    fn OPENSSL_init_crypto(opts: u64, settings: *const std::ffi::c_void) -> std::ffi::c_int;
}

/// `OPENSSL_INIT_NO_ATEXIT` (openssl/crypto.h).
const OPENSSL_INIT_NO_ATEXIT: u64 = 0x0008_0000;

/// Keep OpenSSL from freeing its global state in an exit handler. libpq's TLS (PostgreSQL connections
/// use it whenever the server offers it) runs on pool, writer and server threads; OpenSSL's own exit
/// handler freed that state while such a thread was still closing a connection, and the process crashed
/// on its way out (SIGSEGV in `OPENSSL_cleanup`, seen in a few test binaries out of a hundred runs). The
/// operating system reclaims the memory at exit anyway. Call it before the first PostgreSQL connection;
/// the first initialisation of OpenSSL decides, later calls change nothing.
pub fn openssl_without_exit_cleanup() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: OPENSSL_init_crypto is thread-safe and takes a null settings pointer; it only
        // initialises the library (here: without registering its atexit clean-up).
        let ok = unsafe { OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, std::ptr::null()) };
        if ok != 1 {
            tracing::warn!("OpenSSL would not initialise without its exit clean-up");
        }
    });
}
