//! Test harness: the real actix app on a random port against a real database of its own.
//! SQLite (default): a temp file per test. PostgreSQL (`DATABASE_URL` set): a database per test, cloned
//! from a template that has every migration applied (as crates.io's test suite does), dropped at the end.
//! Redis (`REDIS_URL` set): the real Redis, under a key namespace of the test's own.
#![allow(dead_code)]

pub mod pages;
pub mod sheets;

use credithub::domain::role::Role;
use credithub::startup::{Application, Config};
use credithub::store::{keys, Db};
use diesel::{Connection, PgConnection, RunQueryDsl};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

enum DbGuard {
    Sqlite(std::path::PathBuf),
    Postgres { admin_url: String, name: String },
}

impl Drop for DbGuard {
    fn drop(&mut self) {
        match self {
            DbGuard::Sqlite(path) => {
                let log =
                    credithub::store::backend::sqlite_access_log_path(&path.display().to_string());
                for file in [path.display().to_string(), log] {
                    for suffix in ["", "-wal", "-shm"] {
                        let _ = std::fs::remove_file(format!("{file}{suffix}"));
                    }
                }
            }
            DbGuard::Postgres { admin_url, name } => {
                if let Ok(mut c) = PgConnection::establish(admin_url) {
                    let _ = diesel::sql_query(format!(
                        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                    ))
                    .execute(&mut c);
                }
            }
        }
    }
}

pub struct TestApp {
    pub base: String,
    pub db: Db,
    /// What the CLI needs to reach the same database and cache namespace.
    pub db_url: String,
    pub cache_namespace: String,
    pub cache: credithub::cache::SharedCache,
    pub profiles: credithub::profile::Profiles,
    pub clock: credithub::clock::Clock,
    pub client: reqwest::Client,
    server: actix_web::dev::ServerHandle,
    _guard: DbGuard,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Stop accepting; the runtime ends with the test.
        drop(self.server.stop(false));
    }
}

fn migrations_fingerprint() -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
    let mut files = Vec::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("migrations dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut h = Sha256::new();
    for f in files {
        h.update(f.to_string_lossy().as_bytes());
        h.update(std::fs::read(&f).expect("migration file"));
    }
    hex::encode(h.finalize())[..16].to_string()
}

fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map(|(b, q)| (b, Some(q)))
        .unwrap_or((url, None));
    let cut = base.rfind('/').expect("postgres URL has a path");
    let mut out = format!("{}/{name}", &base[..cut]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// The template database, made once per migration set (under an advisory lock, since test binaries run
/// in parallel).
fn pg_template(admin_url: &str) -> String {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    TEMPLATE
        .get_or_init(|| {
            let name = format!("credithub_tpl_{}", migrations_fingerprint());
            let mut admin = PgConnection::establish(admin_url).expect("connect to DATABASE_URL");
            diesel::sql_query("SELECT pg_advisory_lock(727274)")
                .execute(&mut admin)
                .expect("lock");
            let exists = diesel::sql_query(format!(
                "SELECT 1 FROM pg_database WHERE datname = '{name}'"
            ))
            .execute(&mut admin)
            .expect("query pg_database")
                > 0;
            if !exists {
                let building = format!("{name}_building");
                diesel::sql_query(format!(
                    "DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)"
                ))
                .execute(&mut admin)
                .expect("drop");
                diesel::sql_query(format!("CREATE DATABASE \"{building}\""))
                    .execute(&mut admin)
                    .expect("create template");
                {
                    let db = Db::connect(&replace_db_name(admin_url, &building), 1)
                        .expect("connect template");
                    db.migrate().expect("migrate template");
                }
                diesel::sql_query(format!(
                    "ALTER DATABASE \"{building}\" RENAME TO \"{name}\""
                ))
                .execute(&mut admin)
                .expect("rename");
            }
            diesel::sql_query("SELECT pg_advisory_unlock(727274)")
                .execute(&mut admin)
                .expect("unlock");
            name
        })
        .clone()
}

fn fresh_database() -> (String, DbGuard) {
    let id = uuid::Uuid::new_v4().simple().to_string();
    match std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
    {
        Some(admin_url) => {
            // Before this process's first PostgreSQL connection (see the function's note).
            credithub::store::openssl_without_exit_cleanup();
            let template = pg_template(&admin_url);
            let name = format!("credithub_t_{id}");
            let mut admin = PgConnection::establish(&admin_url).expect("connect to DATABASE_URL");
            diesel::sql_query(format!(
                "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
            ))
            .execute(&mut admin)
            .expect("clone template");
            (
                replace_db_name(&admin_url, &name),
                DbGuard::Postgres { admin_url, name },
            )
        }
        None => {
            let path = std::env::temp_dir().join(format!("credithub-test-{id}.db"));
            (path.display().to_string(), DbGuard::Sqlite(path))
        }
    }
}

/// How a test's app differs from the default.
pub struct Options {
    /// The Redis to use (default: `REDIS_URL`, else the in-process cache).
    pub redis_url: Option<String>,
    /// How long a request waits for a database connection.
    pub db_wait: std::time::Duration,
    pub body_limits: credithub::config::BodyLimits,
    /// The app's clock (default: the system clock).
    pub clock: credithub::clock::Clock,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            redis_url: std::env::var("REDIS_URL").ok(),
            db_wait: credithub::store::DEFAULT_WAIT,
            body_limits: Default::default(),
            clock: credithub::clock::Clock::system(),
        }
    }
}

/// Start the real app on 127.0.0.1:0 against a fresh database (and Redis when `REDIS_URL` is set).
pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

/// As [`spawn_app`], with `opts`: the production wiring ([`credithub::startup::Application::build`]),
/// with a database and a cache namespace of the test's own.
pub async fn spawn_app_with(opts: Options) -> TestApp {
    let (url, guard) = fresh_database();
    let namespace = format!("credithub-test:{}", uuid::Uuid::new_v4().simple());
    let store = credithub::config::StoreConfig {
        database_url: url.clone(),
        redis_url: opts.redis_url,
        db_pool: 8,
        cache_namespace: namespace.clone(),
        rate_per_sec: 1000,
        rate_burst: 1000,
        db_wait_secs: opts.db_wait.as_secs(),
        ..Default::default()
    };
    let config = Config {
        store,
        bind: "127.0.0.1:0".into(),
        body_limits: opts.body_limits,
        clock: opts.clock,
        web: Default::default(),
    };
    let app = Application::build(config).await.expect("build the app");
    let base = format!("http://127.0.0.1:{}", app.port());
    let (db, cache, profiles, clock) = (
        app.db().clone(),
        app.cache().clone(),
        app.profiles().clone(),
        app.clock().clone(),
    );
    let server = app.serve().expect("serve");
    let handle = server.handle();
    tokio::spawn(server);
    TestApp {
        base,
        db,
        db_url: url,
        cache_namespace: namespace,
        cache,
        profiles,
        clock,
        client: reqwest::Client::new(),
        server: handle,
        _guard: guard,
    }
}

impl TestApp {
    /// Register `n` demo firms (seed `seed`) straight through the store; returns their USCCs.
    pub async fn register_firms(&self, seed: u64, n: u64) -> Vec<String> {
        let rows: Vec<_> = (0..n)
            .map(|i| credithub::demo::demo_firm(seed, i))
            .collect();
        let usccs = rows.iter().map(|r| r.uscc.clone()).collect();
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || {
            credithub::store::firms::insert_many_new(&mut db.conn().unwrap(), &rows).unwrap()
        })
        .await
        .unwrap();
        usccs
    }

    /// Run the `credithub` binary against this app's database and cache namespace.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_credithub"));
        cmd.args(args)
            .env("DATABASE_URL", &self.db_url)
            .env("CREDITHUB_CACHE_NAMESPACE", &self.cache_namespace)
            .env("RUST_LOG", "warn");
        if std::env::var("REDIS_URL").is_err() {
            cmd.env_remove("REDIS_URL");
        }
        cmd.output().expect("run credithub")
    }

    /// The database name of a PostgreSQL test app (`None` on SQLite).
    pub fn pg_database(&self) -> Option<String> {
        self.db_url
            .starts_with("postgres")
            .then(|| {
                let base = self.db_url.split('?').next().unwrap_or(&self.db_url);
                base.rsplit('/').next().map(str::to_string)
            })
            .flatten()
    }

    /// Mint a key the way `credithub keys create` does.
    pub async fn key(&self, role: Role, institution: Option<&str>, firm: Option<&str>) -> String {
        let db = self.db.clone();
        let (inst, firm) = (institution.map(str::to_string), firm.map(str::to_string));
        tokio::task::spawn_blocking(move || {
            let mut c = db.conn().expect("conn");
            keys::provision(&mut c, role, inst.as_deref(), firm.as_deref(), None)
                .expect("provision")
                .1
        })
        .await
        .expect("join")
    }

    pub async fn gov_key(&self) -> String {
        self.key(Role::Government, Some("Test Commission"), None)
            .await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str, key: Option<&str>) -> (u16, Value) {
        let mut rb = self.client.get(self.url(path));
        if let Some(k) = key {
            rb = rb.bearer_auth(k);
        }
        read(rb.send().await.expect("request")).await
    }

    pub async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        key: Option<&str>,
        body: &Value,
    ) -> (u16, Value) {
        let mut rb = self.client.request(method, self.url(path)).json(body);
        if let Some(k) = key {
            rb = rb.bearer_auth(k);
        }
        read(rb.send().await.expect("request")).await
    }

    pub async fn post(&self, path: &str, key: Option<&str>, body: &Value) -> (u16, Value) {
        self.send_json(reqwest::Method::POST, path, key, body).await
    }
}

/// Status and JSON body; every error must be problem+json with the RFC 9457 members.
pub async fn read(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    if status >= 400 {
        assert_eq!(
            ct, "application/problem+json",
            "error {status} must be problem+json: {body}"
        );
        assert_problem(&body, status);
    }
    (status, body)
}

pub fn assert_problem(body: &Value, status: u16) {
    assert!(
        body["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("urn:credithub:problem:")),
        "type: {body}"
    );
    assert!(
        body["title"].as_str().is_some_and(|t| !t.is_empty()),
        "title: {body}"
    );
    assert_eq!(body["status"], status, "status member: {body}");
    assert!(
        body["detail"].as_str().is_some_and(|t| !t.is_empty()),
        "detail: {body}"
    );
}

/// The rules named by a validation problem, as (field, rule) pairs.
pub fn field_rules(body: &Value) -> Vec<(String, String)> {
    body["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap_or("").to_string(),
                        e["rule"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A Redis server of the test's own, on a free port, that the test can stop and start again (a fault
/// injected into a real service). Stopped when dropped.
pub struct OwnRedis {
    pub port: u16,
    child: Option<std::process::Child>,
    dir: std::path::PathBuf,
}

impl OwnRedis {
    /// `None` where no `redis-server` is installed (CI installs it).
    pub fn start() -> Option<OwnRedis> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let dir = std::env::temp_dir().join(format!("credithub-redis-{port}"));
        std::fs::create_dir_all(&dir).ok()?;
        let mut r = OwnRedis {
            port,
            child: None,
            dir,
        };
        r.up().then_some(r)
    }

    /// Start (again) on the same port; whether it answers.
    pub fn up(&mut self) -> bool {
        let child = std::process::Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                &self.dir.display().to_string(),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
        let Ok(child) = child else { return false };
        self.child = Some(child);
        for _ in 0..100 {
            if self.cli(&["PING"]).is_some_and(|o| o.trim() == "PONG") {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        false
    }

    /// Stop it (SIGKILL: gone at once, as a crashed or partitioned Redis).
    pub fn down(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Run `redis-cli` against it as the default user; its output.
    pub fn cli(&self, args: &[&str]) -> Option<String> {
        let out = std::process::Command::new("redis-cli")
            .args(["-p", &self.port.to_string()])
            .args(args)
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).to_string())
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.down();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Firms with a stored profile (computed from whatever signals they have), and a key for each.
pub async fn firms_with_profiles(app: &TestApp, seed: u64, n: u64) -> Vec<(String, String)> {
    let usccs = app.register_firms(seed, n).await;
    let gov = app.gov_key().await;
    let mut rows = Vec::new();
    for u in &usccs {
        for i in 0..24 {
            let period = credithub::domain::month::Month::last_complete(
                credithub::clock::system::today_cst(),
            )
            .plus(-i)
            .to_string();
            rows.push(serde_json::json!({"uscc": u, "kind": "tax_paid", "period": period, "value": "900.00"}));
        }
    }
    let (status, run) = app
        .post(
            "/v1/signals",
            Some(&gov),
            &serde_json::json!({"source": "tax", "rows": rows}),
        )
        .await;
    assert_eq!(status, 201, "{run}");
    let mut out = Vec::new();
    for u in usccs {
        let k = app.key(Role::Firm, None, Some(&u)).await;
        out.push((u, k));
    }
    out
}

pub async fn institution_id(app: &TestApp, key: &str, name: &str) -> String {
    let (status, list) = app.get("/v1/institutions", Some(key)).await;
    assert_eq!(status, 200, "{list}");
    list.as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == name)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

pub fn in_days(d: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(d)).to_rfc3339()
}

/// A served profile read through its published schema type (unknown fields refused at every level):
/// what the API serves and what `/openapi.json` says it serves cannot drift apart.
#[allow(dead_code)]
pub fn as_profile_document(v: &Value) -> credithub::service::profiles::ProfileDocument {
    serde_json::from_value(v.clone())
        .unwrap_or_else(|e| panic!("the profile does not match its schema: {e}\n{v}"))
}

/// `credithub demo` (12 firms) run on the app's own database; the keys file's values (keys, USCCs, the
/// demo accounts' passwords).
#[allow(dead_code)]
pub async fn demo_env(app: &TestApp) -> std::collections::HashMap<String, String> {
    let keys = std::env::temp_dir().join(format!("credithub-demo-{}.env", uuid::Uuid::new_v4()));
    let out = app.cli(&[
        "demo",
        "--firms",
        "12",
        "--keys-file",
        keys.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&keys).unwrap();
    let _ = std::fs::remove_file(&keys);
    text.lines()
        .filter_map(|l| l.strip_prefix("export "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A statistics section's figure `key` (issue 18's `GET /v1/statistics/{part}` answers).
pub fn figure<'a>(section: &'a Value, key: &str) -> &'a Value {
    section["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key"] == key)
        .unwrap_or_else(|| panic!("no figure {key} in {section}"))
}

/// The value of a section's figure `key`, as the API writes it (`None`: no value).
pub fn figure_value(section: &Value, key: &str) -> Option<String> {
    figure(section, key)["value"].as_str().map(str::to_string)
}
