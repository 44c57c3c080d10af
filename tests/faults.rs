//! The faults a deployment meets, injected into real services: a Redis of the test's own stopped and
//! started again, a Redis whose ACL refuses the hub's deletes, PostgreSQL backends terminated and
//! connections refused, oversized and slow uploads. Each test says what must hold.

mod common;
use common::{
    firms_with_profiles, in_days, institution_id, spawn_app, spawn_app_with, Options, OwnRedis,
    TestApp,
};
use credithub::domain::role::Role;
use serde_json::json;
use std::time::{Duration, Instant};

/// A bank with a live consent from the first of `n` firms; (bank key, firms, profile path).
async fn bank_with_consent(app: &TestApp, seed: u64) -> (String, Vec<(String, String)>, String) {
    let f = firms_with_profiles(app, seed, 2).await;
    let bank = app.key(Role::Bank, Some("Bank A"), None).await;
    let id = institution_id(app, &bank, "Bank A").await;
    let (status, c) = app
        .post(
            "/v1/consents",
            Some(&f[0].1),
            &json!({"institution_id": id, "purpose": "credit_assessment", "expires_at": in_days(30)}),
        )
        .await;
    assert_eq!(status, 201, "{c}");
    let path = format!("/v1/firms/{}/profile?purpose=credit_assessment", f[0].0);
    (bank, f, path)
}

/// A GET answered, and how long it took.
async fn timed_get(app: &TestApp, path: &str, key: &str) -> (u16, Duration) {
    let t = Instant::now();
    let (status, _) = app.get(path, Some(key)).await;
    (status, t.elapsed())
}

#[tokio::test]
async fn with_redis_away_every_request_is_answered_within_a_second_and_redis_is_used_again_when_back(
) {
    let Some(mut redis) = OwnRedis::start() else {
        panic!("redis-server is needed for the fault tests (CI installs it)");
    };
    let app = spawn_app_with(Options {
        redis_url: Some(redis.url()),
        ..Default::default()
    })
    .await;
    let (bank, f, path) = bank_with_consent(&app, 71).await;
    let firm_path = format!("/v1/firms/{}", f[1].0);
    for _ in 0..3 {
        assert_eq!(app.get(&path, Some(&bank)).await.0, 200);
    }
    assert!(redis
        .cli(&["DBSIZE"])
        .is_some_and(|n| n.trim().parse::<u64>().unwrap_or(0) > 0));

    redis.down();
    // Served from the database, each within a second: the profile under consent (key, consent and
    // profile read from the database, the rate limit per process), and a firm's own registry entry.
    let mut slowest = Duration::ZERO;
    for i in 0..40 {
        let (status, took) = timed_get(&app, &path, &bank).await;
        assert_eq!(status, 200, "request {i} with Redis away");
        slowest = slowest.max(took);
        let (status, took) = timed_get(&app, &firm_path, &f[1].1).await;
        assert_eq!(status, 200, "firm request {i} with Redis away");
        slowest = slowest.max(took);
    }
    assert!(slowest < Duration::from_secs(1), "slowest {slowest:?}");
    let (status, ready) = app.get("/readyz", None).await;
    assert_eq!(
        (status, ready["cache_state"].as_str()),
        (200, Some("unreachable")),
        "{ready}"
    );

    // Back: within two seconds the hub writes to it again (every worker) and says it is up.
    assert!(redis.up());
    let back = Instant::now();
    loop {
        for _ in 0..4 {
            assert_eq!(app.get(&path, Some(&bank)).await.0, 200);
        }
        let keys = redis
            .cli(&["DBSIZE"])
            .and_then(|n| n.trim().parse::<u64>().ok())
            .unwrap_or(0);
        if keys > 0 && app.get("/readyz", None).await.1["cache_state"] == "up" {
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(2),
            "Redis not used again 2 s after it came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Redis answers but refuses the hub's deletes (an ACL without DEL and UNLINK): the consent and key
/// revocations are stored, answered 200, and refused on the very next request although the cache
/// still holds the consent and the key.
#[tokio::test]
async fn a_revocation_bites_on_the_next_request_when_the_cache_cannot_delete() {
    let Some(redis) = OwnRedis::start() else {
        panic!("redis-server is needed for the fault tests (CI installs it)");
    };
    redis
        .cli(&[
            "ACL",
            "SETUSER",
            "hub",
            "on",
            ">hub-pass",
            "~*",
            "&*",
            "+@all",
            "-del",
            "-unlink",
        ])
        .expect("ACL SETUSER");
    let url = format!("redis://hub:hub-pass@127.0.0.1:{}", redis.port);
    let app = spawn_app_with(Options {
        redis_url: Some(url),
        ..Default::default()
    })
    .await;
    let (bank, f, path) = bank_with_consent(&app, 72).await;
    for _ in 0..3 {
        assert_eq!(app.get(&path, Some(&bank)).await.0, 200);
    }
    let (_, list) = app.get("/v1/consents", Some(&f[0].1)).await;
    let id = list["items"][0]["id"].as_str().unwrap().to_string();

    let (status, c) = app
        .send_json(
            reqwest::Method::DELETE,
            &format!("/v1/consents/{id}"),
            Some(&f[0].1),
            &json!({}),
        )
        .await;
    assert_eq!(
        (status, c["status"].as_str()),
        (200, Some("revoked")),
        "{c}"
    );
    // The cached consents are still there (the delete was refused) ...
    let cached = redis
        .cli(&["KEYS", "*consent*"])
        .expect("KEYS")
        .lines()
        .count();
    assert!(cached > 0, "the refused DEL should have left the entry");
    // ... and the next read is refused all the same, and logged as denied.
    let (status, e) = app.get(&path, Some(&bank)).await;
    assert_eq!(status, 403, "{e}");
    assert!(
        e["detail"].as_str().unwrap().contains("consent.revoked"),
        "{e}"
    );
    let (_, log) = app
        .get(&format!("/v1/firms/{}/access-log", f[0].0), Some(&f[0].1))
        .await;
    assert_eq!(log["items"][0]["result"], "denied", "{log}");

    // A key revoked while the cache keeps its principal fails at once, on every route.
    let admin = app.key(Role::Admin, None, None).await;
    let _second_admin = app.key(Role::Admin, None, None).await;
    let other_bank = app.key(Role::Bank, Some("Bank B"), None).await;
    assert_eq!(app.get("/v1/consents", Some(&other_bank)).await.0, 200);
    let (_, keys) = app.get("/v1/keys", Some(&admin)).await;
    let other_id = keys
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["institution"] == "Bank B")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _) = app
        .send_json(
            reqwest::Method::DELETE,
            &format!("/v1/keys/{other_id}"),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(app.get("/v1/consents", Some(&other_bank)).await.0, 401);
    assert_eq!(
        app.get(&path.replace(&f[0].0, &f[1].0), Some(&other_bank))
            .await
            .0,
        401
    );
}

#[tokio::test]
async fn a_key_cannot_revoke_itself_nor_the_last_admin_key() {
    let app = spawn_app().await;
    let admin = app.key(Role::Admin, None, None).await;
    let (_, keys) = app.get("/v1/keys", Some(&admin)).await;
    let own = keys[0]["id"].as_str().unwrap().to_string();
    let revoke = |id: String, key: String| {
        let app = &app;
        async move {
            app.send_json(
                reqwest::Method::DELETE,
                &format!("/v1/keys/{id}"),
                Some(&key),
                &json!({}),
            )
            .await
        }
    };
    let (status, e) = revoke(own.clone(), admin.clone()).await;
    assert_eq!(status, 409, "{e}");
    assert!(e["detail"].as_str().unwrap().contains("itself"), "{e}");
    // Through the CLI (no key of its own), the last admin key is refused too.
    let out = app.cli(&["keys", "revoke", &own]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("last active admin key"));
    // With a second admin key, the first can be revoked by it.
    let second = app.key(Role::Admin, None, None).await;
    assert_eq!(revoke(own, second).await.0, 200);
}

/// Terminated PostgreSQL backends (as in a restart): the pool replaces its dead connections and the
/// access-log writer retries its batch on a fresh one, so not one request fails; while connections are
/// refused, requests answer 503 with Retry-After, and all is well again after.
#[tokio::test]
async fn terminated_postgres_connections_fail_no_request_and_refused_ones_answer_503() {
    let app = spawn_app_with(Options {
        db_wait: Duration::from_secs(1),
        ..Default::default()
    })
    .await;
    let Some(dbname) = app.pg_database() else {
        return; // PostgreSQL only (CI runs the suite on it too).
    };
    let admin_url = std::env::var("DATABASE_URL").unwrap();
    let psql = |sql: String| {
        let out = std::process::Command::new("psql")
            .args([&admin_url, "-Atqc", &sql])
            .output()
            .expect("psql");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let (bank, f, path) = bank_with_consent(&app, 73).await;
    for _ in 0..5 {
        assert_eq!(app.get(&path, Some(&bank)).await.0, 200);
    }
    let terminate = format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{dbname}' AND pid <> pg_backend_pid()"
    );
    psql(terminate.clone());
    for i in 0..10 {
        let (status, e) = app.get(&path, Some(&bank)).await;
        assert_eq!(
            status, 200,
            "request {i} after the backends were terminated: {e}"
        );
    }
    let (_, log) = app
        .get(
            &format!("/v1/firms/{}/access-log?limit=100", f[0].0),
            Some(&f[0].1),
        )
        .await;
    let ok = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["result"] == "ok")
        .count();
    assert_eq!(ok, 15, "every 200 has its access-log row");

    // The database refuses connections: 503 with Retry-After, never 500.
    // (ALLOW_CONNECTIONS binds superusers too, unlike CONNECTION LIMIT.)
    psql(format!(
        "ALTER DATABASE \"{dbname}\" ALLOW_CONNECTIONS false"
    ));
    psql(terminate);
    let r = app
        .client
        .get(app.url(&path))
        .bearer_auth(&bank)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 503);
    assert_eq!(r.headers()["retry-after"], "1");
    let (status, _) = common::read(r).await;
    assert_eq!(status, 503);
    psql(format!(
        "ALTER DATABASE \"{dbname}\" ALLOW_CONNECTIONS true"
    ));
    assert_eq!(app.get(&path, Some(&bank)).await.0, 200);
}

/// The documented 10,000-row `POST /v1/signals` fits the JSON limit; a larger body is 413 naming it.
#[tokio::test]
async fn a_ten_thousand_row_json_batch_is_accepted_and_a_larger_body_is_413() {
    let app = spawn_app().await;
    let gov = app.gov_key().await;
    let firms = app.register_firms(74, 20).await;
    let rows: Vec<_> = (0..10_000)
        .map(|i| {
            let m = i % 500;
            json!({"uscc": firms[i % 20], "kind": "tax_paid",
                   "period": format!("{}-{:02}", 1990 + m / 12, m % 12 + 1), "value": "100.00"})
        })
        .collect();
    let body = json!({"source": "tax", "rows": rows});
    assert!(serde_json::to_vec(&body).unwrap().len() > 262_144);
    let (status, run) = app.post("/v1/signals", Some(&gov), &body).await;
    assert_eq!(status, 201, "{run}");
    assert_eq!(run["received"], 10_000);

    let small = spawn_app_with(Options {
        body_limits: credithub::config::BodyLimits {
            json_limit: 1024,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let gov = small.gov_key().await;
    let (status, e) = small.post("/v1/signals", Some(&gov), &body).await;
    assert_eq!(status, 413, "{e}");
    assert!(
        e["detail"]
            .as_str()
            .unwrap()
            .contains("CREDITHUB_JSON_LIMIT"),
        "{e}"
    );
}

/// Send request headers (and `body`), then read the answer, over a plain socket: the test controls how
/// much of the declared body is sent and when.
async fn raw_request(base: &str, head: &str, body: &[u8]) -> (String, Duration) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let t = Instant::now();
    s.write_all(head.as_bytes()).await.unwrap();
    // The server may answer and stop reading before all of it is sent.
    let _ = s.write_all(body).await;
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
        .await
        .expect("an answer before the body was sent")
        .unwrap();
    (String::from_utf8_lossy(&buf[..n]).to_string(), t.elapsed())
}

/// A 300 MB upload is refused from its `Content-Length` before a byte of it is read, and so is a
/// JSON body declared over the JSON limit.
#[tokio::test]
async fn an_oversized_upload_is_refused_with_413_before_it_is_read() {
    let app = spawn_app().await;
    let gov = app.gov_key().await;
    let head = format!(
        "POST /v1/signals/import?source=tax HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {gov}\r\nContent-Type: text/csv\r\nContent-Length: 300000000\r\n\r\n"
    );
    let (answer, took) = raw_request(&app.base, &head, b"uscc,kind,period,value\n").await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("CREDITHUB_UPLOAD_LIMIT"), "{answer}");
    assert!(took < Duration::from_secs(2), "{took:?}");
    let head = format!(
        "POST /v1/signals HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {gov}\r\nContent-Type: application/json\r\nContent-Length: 20000000\r\n\r\n"
    );
    let (answer, _) = raw_request(&app.base, &head, b"{").await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
}

/// An upload over the limit without a `Content-Length` (chunked) is cut off at the limit with 413, and
/// uploads past the cap on concurrent ones are answered 503 with Retry-After.
#[tokio::test]
async fn a_chunked_upload_past_the_limit_is_413_and_the_upload_cap_is_503() {
    let app = spawn_app_with(Options {
        body_limits: credithub::config::BodyLimits {
            upload_limit: 64 * 1024,
            max_uploads: 1,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let gov = app.gov_key().await;
    // 200 KiB in chunked transfer encoding: no Content-Length to refuse it by.
    let mut body = Vec::new();
    for _ in 0..25 {
        body.extend_from_slice(format!("{:x}\r\n", 8192).as_bytes());
        body.extend_from_slice(&[b'x'; 8192]);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"0\r\n\r\n");
    let head = format!(
        "POST /v1/signals/import?source=tax HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {gov}\r\nContent-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    let (answer, _) = raw_request(&app.base, &head, &body).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    // A slow upload holds the one place; the next waits a second, then is told to retry.
    use tokio::io::AsyncWriteExt;
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    slow.write_all(format!("POST /v1/signals/import?source=tax HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {gov}\r\nContent-Type: text/csv\r\nContent-Length: 1000\r\n\r\nuscc,kind").as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    let r = app
        .client
        .post(app.url("/v1/signals/import?source=tax"))
        .bearer_auth(&gov)
        .header("content-type", "text/csv")
        .body("uscc,kind,period,value\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 503);
    assert_eq!(r.headers()["retry-after"], "1");
    drop(slow);
}

/// A run killed with SIGKILL midway stored nothing and leaves a trace: its `running` row, marked
/// `failed` (interrupted) by the next start-up.
#[tokio::test]
async fn an_ingestion_killed_midway_is_recorded_and_marked_interrupted() {
    let app = spawn_app().await;
    let gov = app.gov_key().await;
    let firms = app.register_firms(75, 50).await;
    let dir = std::env::temp_dir().join(format!("credithub-kill-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("rows.csv");
    let mut csv = String::from("uscc,kind,period,value\n");
    for i in 0..400_000usize {
        let m = i / 50 % 600;
        csv.push_str(&format!(
            "{},tax_paid,{}-{:02},{}.00\n",
            firms[i % 50],
            1960 + m / 12,
            m % 12 + 1,
            i % 1000
        ));
    }
    std::fs::write(&file, csv).unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_credithub"));
    cmd.args(["ingest", "--source", "tax", &file.display().to_string()])
        .env("DATABASE_URL", &app.db_url)
        .env("CREDITHUB_CACHE_NAMESPACE", &app.cache_namespace)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().unwrap();
    // Wait for its run to be recorded as running, then kill it.
    let started = Instant::now();
    let run_id = loop {
        let (_, runs) = app.get("/v1/ingestion-runs", Some(&gov)).await;
        if let Some(r) = runs["items"].as_array().and_then(|a| a.first()) {
            assert_eq!(r["status"], "running", "{r}");
            break r["id"].as_str().unwrap().to_string();
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no run recorded"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    child.kill().unwrap();
    child.wait().unwrap();
    let (_, run) = app
        .get(&format!("/v1/ingestion-runs/{run_id}"), Some(&gov))
        .await;
    assert_eq!(run["status"], "running", "{run}");
    // The next start-up (here: the next ingest) marks it; nothing of it was stored.
    std::fs::write(&file, "uscc,kind,period,value\n").unwrap();
    let out = app.cli(&["ingest", "--source", "tax", &file.display().to_string()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, run) = app
        .get(&format!("/v1/ingestion-runs/{run_id}"), Some(&gov))
        .await;
    assert_eq!(run["status"], "failed", "{run}");
    assert!(
        run["error"].as_str().unwrap().starts_with("interrupted"),
        "{run}"
    );
    let (_, signals) = app
        .get(&format!("/v1/firms/{}/signals", firms[0]), Some(&gov))
        .await;
    assert_eq!(signals.as_array().map(Vec::len), Some(0), "{signals}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// On SQLite the access log has a file of its own (its commits never wait behind an import's write
/// lock); a database from before keeps its rows: they are brought over when it is next opened.
#[test]
fn sqlite_access_log_rows_of_an_older_version_are_brought_over() {
    use diesel::RunQueryDsl;
    let dir = std::env::temp_dir().join(format!("credithub-log-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let main = dir.join("hub.db").display().to_string();
    let log = credithub::store::backend::sqlite_access_log_path(&main);
    assert!(log.ends_with("hub.access.db"), "{log}");
    {
        let db = credithub::store::Db::open(&main, 2).unwrap();
        // As an older version wrote it: into the main file.
        diesel::sql_query(
            "INSERT INTO access_log (id, at, key_id, role, firm_uscc, route, result) \
             VALUES ('01-old', '2026-11-01 00:00:00', 'k', 'bank', '91310115MA1003FYBX', 'GET /', 'ok')",
        )
        .execute(&mut *db.conn().unwrap())
        .unwrap();
    }
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{log}{suffix}"));
    }
    let db = credithub::store::Db::open(&main, 2).unwrap();
    let n: Vec<credithub::store::access_log::AccessRow> =
        credithub::store::access_log::list(&mut db.log_conn().unwrap(), &Default::default(), 10)
            .unwrap();
    assert_eq!(
        n.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["01-old"]
    );
    // Once: opening again brings nothing twice.
    drop(db);
    let db = credithub::store::Db::open(&main, 2).unwrap();
    let n =
        credithub::store::access_log::list(&mut db.log_conn().unwrap(), &Default::default(), 10)
            .unwrap();
    assert_eq!(n.len(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}
