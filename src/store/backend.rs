//! The one place that dispatches on the concrete backend: migrations, connection settings, write
//! transactions, and the generic helpers for what diesel's `MultiConnection` cannot express (bulk inserts
//! with PostgreSQL's COPY, inserts that skip conflicts, row locks, staging tables). It names no aggregate;
//! the aggregates call these helpers and never match on the backend themselves.

use super::{DbConn, Result, StoreError};
use diesel::connection::SimpleConnection;
use diesel::RunQueryDsl;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

/// Run `$body` with `$c` bound to the concrete connection, for statements `MultiConnection` cannot express
/// (multi-row inserts, `ON CONFLICT` upserts, `COPY`). The body is written once and compiled per backend.
#[macro_export]
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::store::DbConn::Postgres($c) => $body,
            $crate::store::DbConn::Sqlite($c) => $body,
        }
    };
}

/// Insert `$rows` (a slice of `Insertable` rows) into `$table`: one `COPY` on PostgreSQL, multi-row
/// `INSERT`s of `$chunk` rows on SQLite. Not a transaction of its own: call it inside one (or through
/// [`atomic_bulk`]). A `diesel::QueryResult<()>`.
#[macro_export]
macro_rules! bulk_insert {
    ($conn:expr, $table:expr, $rows:expr, $chunk:expr) => {{
        use diesel::RunQueryDsl as _;
        match $conn {
            $crate::store::DbConn::Postgres(c) => diesel::copy_from($table)
                .from_insertable($rows)
                .execute(c)
                .map(|_| ()),
            $crate::store::DbConn::Sqlite(c) => $rows.chunks($chunk).try_for_each(|chunk| {
                diesel::insert_into($table)
                    .values(chunk)
                    .execute(c)
                    .map(|_| ())
            }),
        }
    }};
}

/// Insert `$rows` into `$table`, skipping rows whose key exists, in one transaction: multi-row
/// `INSERT … ON CONFLICT DO NOTHING` per 1,000 rows on PostgreSQL, `INSERT OR IGNORE` per row on SQLite
/// (diesel has no batched upsert there; a row inside a transaction costs little). How many were new, as a
/// `diesel::QueryResult<usize>`.
#[macro_export]
macro_rules! insert_ignoring_conflicts {
    ($conn:expr, $table:expr, $rows:expr) => {{
        use diesel::{Connection as _, RunQueryDsl as _};
        match $conn {
            $crate::store::DbConn::Postgres(c) => c.transaction(|c| {
                $rows.chunks(1000).try_fold(0, |n, chunk| {
                    diesel::insert_into($table)
                        .values(chunk)
                        .on_conflict_do_nothing()
                        .execute(c)
                        .map(|k| n + k)
                })
            }),
            $crate::store::DbConn::Sqlite(c) => c.transaction(|c| {
                $rows.iter().try_fold(0, |n, row| {
                    diesel::insert_or_ignore_into($table)
                        .values(row)
                        .execute(c)
                        .map(|k| n + k)
                })
            }),
        }
    }};
}

/// Lock the rows `$query` selects (a select of one column of type `$t`) for the rest of the transaction
/// where other writers can run at once: `FOR NO KEY UPDATE` on PostgreSQL (inserts that only reference
/// the rows are not blocked); nothing on SQLite, whose write transaction is already the only writer.
/// A `diesel::QueryResult<()>`.
#[macro_export]
macro_rules! lock_rows {
    ($conn:expr, $query:expr, $t:ty) => {{
        use diesel::RunQueryDsl as _;
        match $conn {
            $crate::store::DbConn::Postgres(c) => {
                $query.for_no_key_update().load::<$t>(c).map(|_| ())
            }
            $crate::store::DbConn::Sqlite(_) => Ok(()),
        }
    }};
}

/// Serialize writers of one kind for the rest of the transaction: a transaction-scoped advisory lock on
/// `key` on PostgreSQL; nothing on SQLite, whose write transaction (BEGIN IMMEDIATE) is already the only
/// writer.
pub fn writers_take_turns(conn: &mut DbConn, key: i64) -> Result<()> {
    if let DbConn::Postgres(c) = conn {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({key})")).execute(c)?;
    }
    Ok(())
}

/// Run `f`, a bulk write, all or nothing: on SQLite in a write transaction; on PostgreSQL as it is, a
/// `COPY` being one atomic statement (no BEGIN/COMMIT round trips).
pub fn atomic_bulk<T, F>(conn: &mut DbConn, f: F) -> Result<T>
where
    F: FnOnce(&mut DbConn) -> Result<T>,
{
    match conn {
        DbConn::Postgres(_) => f(conn),
        DbConn::Sqlite(_) => write_transaction(conn, f),
    }
}

/// Create an empty temporary table `name` with `columns`, for the rest of the transaction (PostgreSQL
/// drops it at commit; on SQLite call [`drop_staging`] when done).
pub fn create_staging(conn: &mut DbConn, name: &str, columns: &str) -> Result<()> {
    match conn {
        DbConn::Postgres(c) => c.batch_execute(&format!(
            "DROP TABLE IF EXISTS {name}; CREATE TEMP TABLE {name} ({columns}) ON COMMIT DROP"
        ))?,
        DbConn::Sqlite(c) => c.batch_execute(&format!(
            "DROP TABLE IF EXISTS temp.{name}; CREATE TEMP TABLE {name} ({columns})"
        ))?,
    }
    Ok(())
}

/// After filling a staging table: planner statistics where the planner needs them (PostgreSQL).
pub fn analyze_staging(conn: &mut DbConn, name: &str) -> Result<()> {
    if let DbConn::Postgres(c) = conn {
        c.batch_execute(&format!("ANALYZE {name}"))?;
    }
    Ok(())
}

/// Drop a staging table where the commit does not (SQLite).
pub fn drop_staging(conn: &mut DbConn, name: &str) -> Result<()> {
    if let DbConn::Sqlite(c) = conn {
        c.batch_execute(&format!("DROP TABLE temp.{name}"))?;
    }
    Ok(())
}

/// Whether the access log lives in a database file of its own (SQLite: the writer then needs a
/// connection to the main file as well, to check keys and consents).
pub fn separate_access_log(backend: super::Backend) -> bool {
    backend == super::Backend::Sqlite
}

/// The SQL aggregate that joins texts with a separator (`AGG(expr, ',')`), skipping NULLs.
pub fn string_agg(conn: &DbConn) -> &'static str {
    match conn {
        DbConn::Postgres(_) => "string_agg",
        DbConn::Sqlite(_) => "group_concat",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Postgres => "postgres",
            Backend::Sqlite => "sqlite",
        }
    }
}

/// Which backend a `DATABASE_URL` names, and the URL diesel wants for it.
pub fn resolve_url(url: &str) -> (Backend, String) {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        (Backend::Postgres, url.to_string())
    } else {
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        (Backend::Sqlite, path.to_string())
    }
}

/// Open one connection of `backend` at `url`.
pub fn establish(backend: Backend, url: &str) -> diesel::ConnectionResult<DbConn> {
    use diesel::Connection;
    match backend {
        Backend::Postgres => diesel::PgConnection::establish(url).map(DbConn::Postgres),
        Backend::Sqlite => diesel::SqliteConnection::establish(url).map(DbConn::Sqlite),
    }
}

/// What a pool needs before its first connection: on PostgreSQL, OpenSSL set up without its exit
/// clean-up; on SQLite the file's folder, WAL mode (a property of the file: set once, here, rather than
/// from every pooled connection, which would contend for the lock it needs while the pool fills), and the
/// access log's own file. SQLite answers with the two files' paths (main, access log).
pub fn prepare(backend: Backend, url: &str) -> Result<Option<(String, String)>> {
    match backend {
        Backend::Postgres => {
            super::openssl_without_exit_cleanup();
            Ok(None)
        }
        Backend::Sqlite => {
            if let Some(dir) = std::path::Path::new(url)
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
            {
                std::fs::create_dir_all(dir).map_err(|e| {
                    StoreError::Config(format!("cannot create {}: {e}", dir.display()))
                })?;
            }
            enable_wal(url)?;
            let log = sqlite_access_log_path(url);
            prepare_sqlite_access_log(&log)?;
            Ok(Some((url.to_string(), log)))
        }
    }
}

pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

pub fn on_connect(conn: &mut DbConn) -> diesel::QueryResult<()> {
    match conn {
        DbConn::Sqlite(c) => c.batch_execute(
            "PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
        ),
        DbConn::Postgres(_) => Ok(()),
    }
}

/// Put a SQLite database file in WAL mode (persistent; readers never block the writer).
pub fn enable_wal(path: &str) -> Result<()> {
    use diesel::Connection;
    let mut c = diesel::SqliteConnection::establish(path)
        .map_err(|e| StoreError::Config(format!("opening {path}: {e}")))?;
    c.batch_execute("PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL;")?;
    Ok(())
}

/// A write transaction. On SQLite it begins IMMEDIATE, taking the write lock up front (waiting under
/// `busy_timeout`), so a transaction that reads before it writes cannot fail on the read→write upgrade
/// when another writer got in between; on PostgreSQL it is a plain transaction.
pub fn write_transaction<T, E, F>(conn: &mut DbConn, f: F) -> std::result::Result<T, E>
where
    F: FnOnce(&mut DbConn) -> std::result::Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    match conn {
        DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
        DbConn::Postgres(c) => AnsiTransactionManager::begin_transaction(c)?,
    }
    let out = f(conn);
    let end = match (&out, &mut *conn) {
        (Ok(_), DbConn::Sqlite(c)) => AnsiTransactionManager::commit_transaction(c),
        (Ok(_), DbConn::Postgres(c)) => AnsiTransactionManager::commit_transaction(c),
        (Err(_), DbConn::Sqlite(c)) => AnsiTransactionManager::rollback_transaction(c),
        (Err(_), DbConn::Postgres(c)) => AnsiTransactionManager::rollback_transaction(c),
    };
    match (out, end) {
        (Ok(v), Ok(())) => Ok(v),
        (Ok(_), Err(e)) => Err(e.into()),
        (Err(e), _) => Err(e),
    }
}

/// On SQLite the access log lives in a database file of its own (`<name>.access.db` beside the main
/// file): its group commits then never wait for the main file's one write lock, which a long import
/// holds for the whole run (readers' replies wait for their access-log rows). The same table as the
/// PostgreSQL migrations make, append-only by triggers; made here, idempotently, when the file is opened.
const SQLITE_ACCESS_LOG: &str = "
CREATE TABLE IF NOT EXISTS access_log (
    id TEXT PRIMARY KEY NOT NULL,
    at TIMESTAMP NOT NULL,
    key_id TEXT NOT NULL,
    role TEXT NOT NULL,
    institution_id TEXT,
    firm_uscc TEXT NOT NULL,
    purpose TEXT,
    consent_id TEXT,
    scope TEXT,
    route TEXT NOT NULL,
    result TEXT NOT NULL CHECK (result IN ('ok', 'denied', 'not_found')),
    reason TEXT,
    request_id TEXT,
    client_request_id TEXT
);
CREATE INDEX IF NOT EXISTS access_log_firm_idx ON access_log (firm_uscc, id);
CREATE INDEX IF NOT EXISTS access_log_institution_idx ON access_log (institution_id, id);
CREATE INDEX IF NOT EXISTS access_log_consent_idx ON access_log (consent_id, at);
CREATE TRIGGER IF NOT EXISTS access_log_no_update BEFORE UPDATE ON access_log
BEGIN
    SELECT RAISE(ABORT, 'access_log is append-only');
END;
CREATE TRIGGER IF NOT EXISTS access_log_no_delete BEFORE DELETE ON access_log
BEGIN
    SELECT RAISE(ABORT, 'access_log is append-only');
END;
";

/// The access-log file that goes with the SQLite database at `path`.
pub fn sqlite_access_log_path(path: &str) -> String {
    match path.strip_suffix(".db") {
        Some(stem) => format!("{stem}.access.db"),
        None => format!("{path}.access.db"),
    }
}

/// Make the access-log file `log` of a SQLite database (WAL, the table).
pub fn prepare_sqlite_access_log(log: &str) -> Result<()> {
    use diesel::Connection;
    let mut c = diesel::SqliteConnection::establish(log)
        .map_err(|e| StoreError::Config(format!("opening {log}: {e}")))?;
    c.batch_execute("PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL;")?;
    c.batch_execute(SQLITE_ACCESS_LOG)?;
    Ok(())
}

/// Bring the access-log rows an older version kept in the main file `main` over to `log`, once (when
/// `log` has none yet); run after the migrations. The main file's table stays, append-only, unused.
pub fn bring_over_sqlite_access_log(main: &str, log: &str) -> Result<usize> {
    use diesel::Connection;
    let mut c = diesel::SqliteConnection::establish(log)
        .map_err(|e| StoreError::Config(format!("opening {log}: {e}")))?;
    c.batch_execute("PRAGMA busy_timeout = 10000;")?;
    let esc = main.replace('\'', "''");
    c.batch_execute(&format!("ATTACH DATABASE '{esc}' AS hub"))?;
    let moved = diesel::sql_query(
        "INSERT INTO main.access_log (id, at, key_id, role, institution_id, firm_uscc, purpose, consent_id, scope, route, result, reason, request_id, client_request_id)
         SELECT id, at, key_id, role, institution_id, firm_uscc, purpose, consent_id, scope, route, result, reason, request_id, client_request_id
         FROM hub.access_log WHERE NOT EXISTS (SELECT 1 FROM main.access_log LIMIT 1)",
    )
    .execute(&mut c);
    c.batch_execute("DETACH DATABASE hub")?;
    Ok(moved?)
}

/// On SQLite, one ingestion merge at a time in this process: they would otherwise wait for the one write
/// lock under `busy_timeout` and fail after it while a long import holds it. (PostgreSQL runs take turns
/// on a transaction-scoped advisory lock instead, `signals::lock_for_merge`.) Hold the guard across the
/// write transaction.
pub fn one_merge_at_a_time(conn: &DbConn) -> Option<std::sync::MutexGuard<'static, ()>> {
    static MERGE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    match conn {
        DbConn::Sqlite(_) => Some(MERGE.lock().unwrap_or_else(|e| e.into_inner())),
        DbConn::Postgres(_) => None,
    }
}

/// Apply pending migrations; returns the versions applied.
pub fn run_migrations(conn: &mut DbConn) -> Result<Vec<String>> {
    let applied = match conn {
        DbConn::Postgres(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
    }
    .map_err(|e| StoreError::Migration(e.to_string()))?;
    Ok(applied.into_iter().map(|v| v.to_string()).collect())
}

/// Cheap liveness query for `/readyz`.
pub fn ping(conn: &mut DbConn) -> Result<()> {
    match conn {
        DbConn::Postgres(c) => c.batch_execute("SELECT 1"),
        DbConn::Sqlite(c) => c.batch_execute("SELECT 1"),
    }
    .map_err(StoreError::from)
}
