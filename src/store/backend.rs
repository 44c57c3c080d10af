//! The one place that dispatches on the concrete backend: migrations, connection settings, and (later)
//! upserts and PostgreSQL COPY, which diesel's `MultiConnection` cannot express.

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

/// Insert firm rows, skipping those whose key exists: one multi-row `INSERT … ON CONFLICT DO NOTHING` per
/// chunk on PostgreSQL; `INSERT OR IGNORE` per row inside one transaction on SQLite (diesel has no
/// batched upsert there, and SQLite's per-row cost inside a transaction is small).
pub fn insert_ignoring_conflicts(
    conn: &mut DbConn,
    rows: &[super::firms::FirmRow],
) -> Result<usize> {
    use super::schema::firms;
    use diesel::prelude::*;
    match conn {
        DbConn::Postgres(c) => c.transaction(|c| {
            let mut n = 0;
            for chunk in rows.chunks(1000) {
                n += diesel::insert_into(firms::table)
                    .values(chunk)
                    .on_conflict_do_nothing()
                    .execute(c)?;
            }
            Ok(n)
        }),
        DbConn::Sqlite(c) => c.transaction(|c| {
            let mut n = 0;
            for row in rows {
                n += diesel::insert_or_ignore_into(firms::table)
                    .values(row)
                    .execute(c)?;
            }
            Ok(n)
        }),
    }
}

/// Cheap liveness query for `/readyz`.
pub fn ping(conn: &mut DbConn) -> Result<()> {
    match conn {
        DbConn::Postgres(c) => c.batch_execute("SELECT 1"),
        DbConn::Sqlite(c) => c.batch_execute("SELECT 1"),
    }
    .map_err(StoreError::from)
}
