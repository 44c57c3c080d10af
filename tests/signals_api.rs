//! Signal ingestion over HTTP: quarantine with counts that add up, idempotent re-ingest, corrections that
//! supersede with history, formats, roles, and a run that fails midway leaving nothing behind.

mod common;
use common::{field_rules, spawn_app, TestApp};
use credithub::demo::demo_firm;
use credithub::domain::role::Role;
use credithub::store::Backend;
use serde_json::{json, Value};

async fn firms(app: &TestApp, n: u64) -> Vec<String> {
    app.register_firms(11, n).await
}

async fn import(app: &TestApp, key: &str, source: &str, ct: &str, body: String) -> (u16, Value) {
    let r = app
        .client
        .post(app.url(&format!("/v1/signals/import?source={source}")))
        .bearer_auth(key)
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    common::read(r).await
}

fn adds_up(run: &Value) {
    let n = |k: &str| run[k].as_i64().unwrap();
    assert_eq!(
        n("received"),
        n("accepted") + n("duplicate") + n("quarantined"),
        "{run}"
    );
}

#[tokio::test]
async fn every_bad_row_is_quarantined_with_its_reason_and_line() {
    let app = spawn_app().await;
    let gov = app.gov_key().await;
    let f = firms(&app, 2).await;
    let unregistered = demo_firm(99, 5).uscc;
    let csv = format!(
        "uscc,kind,period,value\n\
         {a},tax_paid,2026-01,1200.00\n\
         91110000600037341M,tax_paid,2026-01,5\n\
         {u},tax_paid,2026-01,5\n\
         {a},vat_paid,2026-01,5\n\
         {a},tax_paid,2026-02,-5\n\
         {a},tax_paid,2099-01,5\n\
         {a},tax_paid,2026-03\n\
         {a},water_m3,2026-01,5\n\
         {a},tax_grade,2025,E\n\
         {a},tax_paid,2026-04,1.005\n\
         {b},tax_grade,2025,A\n",
        a = f[0],
        b = f[1],
        u = unregistered
    );
    let (status, run) = import(&app, &gov, "tax", "text/csv", csv).await;
    assert_eq!(status, 201, "{run}");
    assert_eq!(run["status"], "completed");
    assert_eq!(
        (
            run["received"].as_i64(),
            run["accepted"].as_i64(),
            run["quarantined"].as_i64()
        ),
        (Some(11), Some(2), Some(9))
    );
    adds_up(&run);

    let (status, page) = app
        .get(
            &format!("/v1/ingestion-runs/{}/rejects", run["id"].as_str().unwrap()),
            Some(&gov),
        )
        .await;
    assert_eq!(status, 200);
    let got: Vec<(i64, String)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["line_no"].as_i64().unwrap(),
                r["reasons"][0]["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: Vec<(i64, String)> = [
        (3, "bad_uscc"),
        (4, "unknown_firm"),
        (5, "unknown_kind"),
        (6, "negative_amount"),
        (7, "future_period"),
        (8, "malformed_row"),
        (9, "wrong_source"),
        (10, "unknown_code"),
        (11, "bad_amount"),
    ]
    .into_iter()
    .map(|(l, c)| (l, c.to_string()))
    .collect();
    assert_eq!(got, want);
    assert!(page["items"][0]["raw"]
        .as_str()
        .unwrap()
        .starts_with("91110000600037341M,tax_paid"));

    // Only the two good rows were stored.
    let (_, stored) = app
        .get(&format!("/v1/firms/{}/signals", f[0]), Some(&gov))
        .await;
    assert_eq!(stored.as_array().unwrap().len(), 1, "{stored}");
    assert_eq!(stored[0]["value"], "1200.00");

    // Paging through rejects.
    let (_, p1) = app
        .get(
            &format!(
                "/v1/ingestion-runs/{}/rejects?limit=4",
                run["id"].as_str().unwrap()
            ),
            Some(&gov),
        )
        .await;
    assert_eq!(p1["items"].as_array().unwrap().len(), 4);
    let c = p1["next_cursor"].as_str().unwrap();
    let (_, p2) = app
        .get(
            &format!(
                "/v1/ingestion-runs/{}/rejects?limit=10&cursor={c}",
                run["id"].as_str().unwrap()
            ),
            Some(&gov),
        )
        .await;
    assert_eq!(p2["items"].as_array().unwrap().len(), 5);
    assert!(p2["next_cursor"].is_null());
}

#[tokio::test]
async fn reingest_is_idempotent_and_corrections_keep_history() {
    let app = spawn_app().await;
    let gov = app.gov_key().await;
    let f = firms(&app, 1).await;
    let rows = |v: &str| {
        format!("uscc,kind,period,value\n{u},insured_headcount,2026-01,40\n{u},insured_headcount,2026-02,{v}\n", u = f[0])
    };
    let (_, first) = import(&app, &gov, "social_insurance", "text/csv", rows("42")).await;
    assert_eq!(
        (first["accepted"].as_i64(), first["duplicate"].as_i64()),
        (Some(2), Some(0))
    );
    let (_, again) = import(&app, &gov, "social_insurance", "text/csv", rows("42")).await;
    assert_eq!(
        (again["accepted"].as_i64(), again["duplicate"].as_i64()),
        (Some(0), Some(2)),
        "{again}"
    );
    adds_up(&again);
    let (_, fixed) = import(&app, &gov, "social_insurance", "text/csv", rows("45")).await;
    assert_eq!(
        (
            fixed["accepted"].as_i64(),
            fixed["superseded"].as_i64(),
            fixed["duplicate"].as_i64()
        ),
        (Some(1), Some(1), Some(1)),
        "{fixed}"
    );
    let (_, current) = app
        .get(
            &format!("/v1/firms/{}/signals?kind=insured_headcount", f[0]),
            Some(&gov),
        )
        .await;
    let values: Vec<&str> = current
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, ["40", "45"]);
    let (_, history) = app
        .get(
            &format!(
                "/v1/firms/{}/signals?kind=insured_headcount&history=true",
                f[0]
            ),
            Some(&gov),
        )
        .await;
    let feb: Vec<&Value> = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["period"] == "2026-02")
        .collect();
    assert_eq!(feb.len(), 2);
    assert_eq!(
        (feb[0]["version"].as_i64(), feb[0]["value"].as_str()),
        (Some(1), Some("42"))
    );
    assert!(feb[0]["superseded_at"].is_string());
    assert_eq!(
        (feb[1]["version"].as_i64(), feb[1]["value"].as_str()),
        (Some(2), Some("45"))
    );
    assert!(feb[1]["superseded_at"].is_null());
    assert_eq!(feb[1]["run_id"], fixed["id"]);

    // Runs are listed newest first with counts that add up.
    let (_, runs) = app
        .get("/v1/ingestion-runs?source=social_insurance", Some(&gov))
        .await;
    let ids: Vec<&Value> = runs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["id"])
        .collect();
    assert_eq!(ids, [&fixed["id"], &again["id"], &first["id"]]);
    runs["items"].as_array().unwrap().iter().for_each(adds_up);
}

#[tokio::test]
async fn json_and_ndjson_batches_and_events() {
    let app = spawn_app().await;
    let gov = app.gov_key().await;
    let f = firms(&app, 1).await;
    let batch = json!({"source": "public_credit", "rows": [
        {"uscc": f[0], "kind": "administrative_penalty", "record_id": "SH-2025-001", "start_date": "2025-03-04",
         "authority": "上海市市场监督管理局", "category": "market_penalty", "severity": "general",
         "legal_basis": "《中华人民共和国行政处罚法》第二十八条"},
        {"uscc": f[0], "kind": "dishonesty_listing", "record_id": "L-9", "start_date": "2024-06-01", "authority": "上海市高级人民法院",
         "category": "court_dishonest_debtor", "legal_basis": "《最高人民法院关于公布失信被执行人名单信息的若干规定》"},
        "not an object",
        {"uscc": f[0], "kind": "administrative_penalty", "colour": "red"}
    ]});
    let (status, run) = app.post("/v1/signals", Some(&gov), &batch).await;
    assert_eq!(status, 201, "{run}");
    assert_eq!(
        (run["accepted"].as_i64(), run["quarantined"].as_i64()),
        (Some(2), Some(2))
    );
    // Credit repair arrives as a correction of the same record (Art 58).
    let ndjson = format!(
        "{{\"uscc\":\"{u}\",\"kind\":\"administrative_penalty\",\"record_id\":\"SH-2025-001\",\"start_date\":\"2025-03-04\",\"authority\":\"上海市市场监督管理局\",\"repaired_on\":\"2025-09-01\",\"category\":\"market_penalty\",\"severity\":\"general\",\"legal_basis\":\"《中华人民共和国行政处罚法》第二十八条\"}}\n",
        u = f[0]
    );
    let (status, run) = import(&app, &gov, "public_credit", "application/x-ndjson", ndjson).await;
    assert_eq!(status, 201, "{run}");
    assert_eq!(run["superseded"], 1);
    let (_, s) = app
        .get(
            &format!("/v1/firms/{}/signals?kind=administrative_penalty", f[0]),
            Some(&gov),
        )
        .await;
    assert_eq!(s[0]["repaired_on"], "2025-09-01");
    assert_eq!(s[0]["period"], "2025-03");
    assert_eq!(s[0]["version"], 2);
}

#[tokio::test]
async fn bad_requests_and_roles() {
    let app = spawn_app().await;
    let gov = app.gov_key().await;
    let bank = app.key(Role::Bank, Some("Test Bank"), None).await;
    let (status, body) = import(&app, &gov, "weather", "text/csv", "uscc\n".into()).await;
    assert_eq!((status, field_rules(&body)[0].0.as_str()), (422, "source"));
    let (status, _) = import(&app, &gov, "tax", "application/pdf", "x".into()).await;
    assert_eq!(status, 415);
    let (status, body) = import(&app, &gov, "tax", "text/csv", "uscc,colour\n".into()).await;
    assert_eq!(status, 422);
    assert!(body["detail"].as_str().unwrap().contains("colour"));
    let (status, _) = import(&app, &bank, "tax", "text/csv", "uscc,kind\n".into()).await;
    assert_eq!(status, 403);
    let (status, _) = app.get("/v1/ingestion-runs", Some(&bank)).await;
    assert_eq!(status, 403);
    let (status, _) = app.get("/v1/ingestion-runs/nope", Some(&gov)).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_run_that_fails_midway_stores_nothing() {
    let app = spawn_app().await;
    let gov = app.gov_key().await;
    let f = firms(&app, 1).await;
    // Make the database refuse the 3rd row's period, after two rows were written in the transaction.
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || {
        use diesel::RunQueryDsl;
        let mut c = db.conn().unwrap();
        let stmts: &[&str] = match db.backend() {
            Backend::Sqlite => &["CREATE TRIGGER boom BEFORE INSERT ON signals WHEN NEW.period = '2020-03' BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"],
            Backend::Postgres => &[
                "CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN IF NEW.period = '2020-03' THEN RAISE EXCEPTION 'disk on fire'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
                "CREATE TRIGGER boom BEFORE INSERT ON signals FOR EACH ROW EXECUTE FUNCTION boom()",
            ],
        };
        for s in stmts {
            diesel::sql_query(*s).execute(&mut *c).unwrap();
        }
    })
    .await
    .unwrap();
    let csv = format!("uscc,kind,period,value\n{u},tax_paid,2020-01,1\n{u},tax_paid,2020-02,2\n{u},tax_paid,2020-03,3\n", u = f[0]);
    let (status, body) = import(&app, &gov, "tax", "text/csv", csv).await;
    assert_eq!(status, 500, "{body}");
    let (_, stored) = app
        .get(&format!("/v1/firms/{}/signals", f[0]), Some(&gov))
        .await;
    assert_eq!(
        stored.as_array().unwrap().len(),
        0,
        "rolled back whole: {stored}"
    );
    let (_, runs) = app.get("/v1/ingestion-runs", Some(&gov)).await;
    assert_eq!(runs["items"][0]["status"], "failed");
    assert!(
        runs["items"][0]["error"]
            .as_str()
            .unwrap()
            .contains("disk on fire"),
        "{runs}"
    );
}

#[tokio::test]
async fn a_key_repeated_within_one_batch_keeps_both_values_in_order() {
    let app = spawn_app().await;
    let gov = app.gov_key().await;
    let f = firms(&app, 1).await;
    let csv = format!(
        "uscc,kind,period,value\n{u},tax_paid,2026-01,10\n{u},tax_paid,2026-01,10\n{u},tax_paid,2026-01,12\n{u},tax_paid,2026-02,7\n",
        u = f[0]
    );
    let (_, run) = import(&app, &gov, "tax", "text/csv", csv).await;
    assert_eq!(
        (
            run["accepted"].as_i64(),
            run["superseded"].as_i64(),
            run["duplicate"].as_i64()
        ),
        (Some(3), Some(1), Some(1)),
        "{run}"
    );
    adds_up(&run);
    let (_, history) = app
        .get(
            &format!("/v1/firms/{}/signals?kind=tax_paid&history=true", f[0]),
            Some(&gov),
        )
        .await;
    let jan: Vec<(i64, &str)> = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["period"] == "2026-01")
        .map(|s| (s["version"].as_i64().unwrap(), s["value"].as_str().unwrap()))
        .collect();
    assert_eq!(jan, [(1, "10.00"), (2, "12.00")]);
}

#[tokio::test]
async fn concurrent_runs_over_the_same_keys_each_supersede_in_turn() {
    let app = spawn_app().await;
    let gov = app.gov_key().await;
    let f = firms(&app, 1).await;
    let periods: Vec<String> = (1..=24)
        .map(|m| format!("{}-{:02}", 2024 + (m - 1) / 12, (m - 1) % 12 + 1))
        .collect();
    let batch = |value: usize| {
        let mut csv = String::from("uscc,kind,period,value\n");
        for p in &periods {
            csv.push_str(&format!("{},insured_headcount,{p},{}\n", f[0], 10 + value));
        }
        csv
    };
    // Eight runs with other values for the same 24 keys at once: each reads the current rows and writes
    // the next version, so they must take turns, never both write version 1 (or both version 2, ...).
    let runs = futures_util::future::join_all(
        (0..8).map(|i| import(&app, &gov, "social_insurance", "text/csv", batch(i))),
    )
    .await;
    let (mut accepted, mut superseded) = (0, 0);
    for (status, run) in &runs {
        assert_eq!(*status, 201, "{run}");
        adds_up(run);
        accepted += run["accepted"].as_i64().unwrap();
        superseded += run["superseded"].as_i64().unwrap();
    }
    assert_eq!((accepted, superseded), (8 * 24, 7 * 24));
    let (_, history) = app
        .get(
            &format!(
                "/v1/firms/{}/signals?kind=insured_headcount&history=true",
                f[0]
            ),
            Some(&gov),
        )
        .await;
    let history = history.as_array().unwrap();
    assert_eq!(history.len(), 8 * 24);
    for p in &periods {
        let versions: Vec<(i64, bool)> = history
            .iter()
            .filter(|s| s["period"] == p.as_str())
            .map(|s| (s["version"].as_i64().unwrap(), s["superseded_at"].is_null()))
            .collect();
        let expected: Vec<(i64, bool)> = (1..=8).map(|v| (v, v == 8)).collect();
        assert_eq!(versions, expected, "period {p}");
    }
}
