//! Credit profiles through the real app: recomputed after ingestion (never stale, with either cache),
//! snapshots with history and as-of, credit repair counted from its repair date (Art 58), what-if,
//! `credithub recompute`, and who may read a profile.

mod common;
use common::{as_profile_document, assert_problem, field_rules, spawn_app, TestApp};
use credithub::clock::system::today_cst;
use credithub::domain::month::Month;
use credithub::domain::role::Role;
use serde_json::{json, Value};

fn as_of() -> Month {
    Month::last_complete(today_cst())
}

/// `n` monthly rows of `kind` ending at the default as-of month, the i-th (oldest first) `f(i)`.
fn monthly(uscc: &str, kind: &str, n: i32, f: impl Fn(i32) -> String) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"uscc": uscc, "kind": kind, "period": as_of().plus(i - n + 1).to_string(), "value": f(i)}))
        .collect()
}

async fn ingest(app: &TestApp, key: &str, source: &str, rows: Vec<Value>) -> Value {
    let (status, run) = app
        .post(
            "/v1/signals",
            Some(key),
            &json!({"source": source, "rows": rows}),
        )
        .await;
    assert_eq!(status, 201, "{run}");
    assert_eq!(run["quarantined"], 0, "{run}");
    run
}

/// A steady firm: 24 months of tax, 15 of headcount and utilities, all on time.
async fn steady_history(app: &TestApp, gov: &str, uscc: &str) {
    let mut tax = monthly(uscc, "tax_paid", 24, |_| "1000.00".into());
    tax.extend(monthly(uscc, "invoiced_revenue", 12, |_| "50000.00".into()));
    tax.extend(monthly(uscc, "tax_arrears", 1, |_| "0".into()));
    tax.push(json!({"uscc": uscc, "kind": "tax_grade", "period": (as_of().year() - 1).to_string(), "value": "B"}));
    ingest(app, gov, "tax", tax).await;
    let mut si = monthly(uscc, "insured_headcount", 15, |_| "12".into());
    si.extend(monthly(uscc, "si_arrears_months", 1, |_| "0".into()));
    ingest(app, gov, "social_insurance", si).await;
    let mut ut = monthly(uscc, "utility_days_late", 12, |_| "0".into());
    ut.extend(monthly(uscc, "electricity_kwh", 15, |_| "2000".into()));
    ingest(app, gov, "utility", ut).await;
}

fn reason_codes(p: &Value) -> Vec<String> {
    p["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap().to_string())
        .collect()
}

fn indicator<'a>(p: &'a Value, section: &str, key: &str) -> &'a Value {
    p["sections"][section]["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["key"] == key)
        .unwrap_or_else(|| panic!("{key} in {p}"))
}

#[tokio::test]
async fn a_profile_follows_every_ingestion_and_is_never_stale() {
    let app = spawn_app().await;
    let gov = app.gov_key().await;
    let u = app.register_firms(41, 1).await.remove(0);
    let firm_key = app.key(Role::Firm, None, Some(&u)).await;
    steady_history(&app, &gov, &u).await;

    let (status, p1) = app
        .get(&format!("/v1/firms/{u}/profile"), Some(&firm_key))
        .await;
    assert_eq!(status, 200, "{p1}");
    let doc = as_profile_document(&p1);
    assert_eq!(
        doc.grade.map(|g| g.to_string()),
        p1["grade"].as_str().map(str::to_string)
    );
    assert!(
        doc.score.is_some() && doc.scope.is_none(),
        "the firm reads all of it"
    );
    assert_eq!(p1["as_of"], as_of().to_string());
    assert_eq!(p1["scorecard_version"], "expert-2026.1");
    assert!(
        p1["cause"].as_str().unwrap().starts_with("ingestion:"),
        "{p1}"
    );
    let v1 = p1["version"].as_i64().unwrap();
    // Coverage: customs sent nothing, so it is missing, not zero; the indicators name their signals.
    assert_eq!(p1["sections"]["customs"]["coverage"], "missing");
    assert_eq!(
        indicator(&p1, "customs", "trade_volume_12m")["value"],
        Value::Null
    );
    let late = indicator(&p1, "utility", "utility_late_count_12m");
    assert_eq!(late["value"], "0");
    assert_eq!(late["signals"][0]["kind"], "utility_days_late");
    assert_eq!(late["signals"][0]["count"], 12);
    assert!(
        !reason_codes(&p1).contains(&"UTILITY_LATE".to_string()),
        "{p1}"
    );
    // Read it twice so it is cached.
    let (_, again) = app.get(&format!("/v1/firms/{u}/profile"), Some(&gov)).await;
    assert_eq!(again, p1);

    // Corrections: the last four months' bills were paid late. The very next read shows it.
    let late_rows = monthly(&u, "utility_days_late", 4, |i| format!("{}", 10 + i * 20));
    let run = ingest(&app, &gov, "utility", late_rows).await;
    assert_eq!(run["superseded"], 4, "{run}");
    assert_eq!(run["profiles"]["stored"], 1, "{run}");
    let (_, p2) = app
        .get(&format!("/v1/firms/{u}/profile"), Some(&firm_key))
        .await;
    assert_eq!(
        p2["version"].as_i64().unwrap(),
        v1 + 1,
        "stale profile served: {p2}"
    );
    assert_eq!(
        indicator(&p2, "utility", "utility_late_count_12m")["value"],
        "4"
    );
    assert_eq!(
        indicator(&p2, "utility", "utility_worst_late_days_12m")["value"],
        "70"
    );
    assert!(
        p2["score"].as_i64() < p1["score"].as_i64(),
        "{} → {}",
        p1["score"],
        p2["score"]
    );
    let r = p2["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "UTILITY_LATE")
        .expect("reason");
    assert_eq!(r["en"], "utilities paid late 4 times in 12 months");
    assert_eq!(r["zh"], "近12个月水电费逾期4次");

    // Re-sending the same rows changes nothing and stores no new snapshot.
    let late_rows = monthly(&u, "utility_days_late", 4, |i| format!("{}", 10 + i * 20));
    let run = ingest(&app, &gov, "utility", late_rows).await;
    assert_eq!(
        (
            run["duplicate"].as_i64(),
            run["profiles"]["stored"].as_i64()
        ),
        (Some(4), Some(0))
    );

    // History: newest first, both versions, each linking to its snapshot.
    let (status, h) = app
        .get(&format!("/v1/firms/{u}/profile/history"), Some(&firm_key))
        .await;
    assert_eq!(status, 200, "{h}");
    let versions: Vec<i64> = h["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions.len() as i64, v1 + 1);
    assert_eq!(versions[0], v1 + 1);
    assert_eq!(h["items"][0]["score"], p2["score"]);
}

#[tokio::test]
async fn recompute_backfills_history_and_as_of_returns_what_was_current_then() {
    let app = spawn_app().await;
    let gov = app.gov_key().await;
    let u = app.register_firms(42, 1).await.remove(0);
    steady_history(&app, &gov, &u).await;
    // A dishonesty listing five months ago, repaired (信用修复) in the middle of the month before last.
    let m = as_of();
    let start = m.plus(-5).first_day();
    let repaired = m.plus(-1).first_day() + chrono::Days::new(14);
    let listing = json!({"uscc": u, "kind": "dishonesty_listing", "record_id": "SX-1", "start_date": start.to_string(),
        "authority": "上海市第一中级人民法院", "repaired_on": repaired.to_string(),
        "category": "court_dishonest_debtor", "legal_basis": "《中华人民共和国民事诉讼法》第二百六十六条"});
    ingest(&app, &gov, "public_credit", vec![listing]).await;

    // credithub recompute --firm U --months 6: one snapshot per month, the listing counting until it was repaired.
    let out = app.cli(&["recompute", "--firm", &u, "--months", "6"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("1 firms") && text.contains("snapshots stored"),
        "{text}"
    );

    let mut scores = Vec::new();
    for back in (0..6).rev() {
        let month = m.plus(-back).to_string();
        let (status, p) = app
            .get(&format!("/v1/firms/{u}/profile?as_of={month}"), Some(&gov))
            .await;
        assert_eq!(status, 200, "{p}");
        assert_eq!(p["as_of"], month);
        let listed = indicator(&p, "public_credit", "active_dishonesty_listings")["value"].clone();
        // Listed from its start month; not counted from the repair month on (repaired before month end).
        let want = if (2..=5).contains(&back) { "1" } else { "0" };
        assert_eq!(listed, want, "as of {month}: {p}");
        if want == "1" {
            assert!(
                reason_codes(&p).contains(&"DISHONESTY_LISTED".to_string()),
                "{p}"
            );
        }
        scores.push((back, p["score"].as_i64().unwrap()));
    }
    let at = |b: i32| scores.iter().find(|(x, _)| *x == b).unwrap().1;
    assert!(
        at(1) > at(2) + 50,
        "repair must lift the score from its month: {scores:?}"
    );
    // Before any snapshot's month there is no profile; an as-of between snapshots gets the one current then.
    let (status, p) = app
        .get(
            &format!("/v1/firms/{u}/profile?as_of={}", m.plus(-30)),
            Some(&gov),
        )
        .await;
    assert_eq!(status, 404, "{p}");
    assert!(
        p["detail"].as_str().unwrap().contains("no credit profile"),
        "{p}"
    );

    // The newest snapshot is for the last complete month, whichever process computed it.
    let (_, latest) = app.get(&format!("/v1/firms/{u}/profile"), Some(&gov)).await;
    assert_eq!(latest["as_of"], m.to_string());

    // Running it again changes nothing.
    let out = app.cli(&["recompute", "--all", "--months", "6"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("0 snapshots stored, 6 unchanged"), "{text}");
    // History pages with a cursor.
    let (_, h1) = app
        .get(
            &format!("/v1/firms/{u}/profile/history?limit=4"),
            Some(&gov),
        )
        .await;
    let cursor = h1["next_cursor"].as_str().expect("a next page").to_string();
    let (_, h2) = app
        .get(
            &format!("/v1/firms/{u}/profile/history?limit=4&cursor={cursor}"),
            Some(&gov),
        )
        .await;
    let months: Vec<String> = h1["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(h2["items"].as_array().unwrap())
        .map(|i| format!("{}#{}", i["as_of"].as_str().unwrap(), i["version"]))
        .collect();
    let mut sorted = months.clone();
    sorted.sort();
    sorted.reverse();
    sorted.dedup();
    assert_eq!(months, sorted, "newest first, no repeats");

    // CLI errors are plain.
    let out = app.cli(&["recompute", "--firm", "91310000MA1FL0000X"]);
    assert!(!out.status.success());
    let out = app.cli(&["recompute", "--all", "--as-of", "2026-13"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a month"));
}

#[tokio::test]
async fn what_if_answers_without_storing() {
    let app = spawn_app().await;
    let gov = app.gov_key().await;
    let u = app.register_firms(43, 1).await.remove(0);
    let firm_key = app.key(Role::Firm, None, Some(&u)).await;
    steady_history(&app, &gov, &u).await;
    let mut bad = monthly(&u, "utility_days_late", 6, |_| "25".into());
    bad.extend(monthly(&u, "tax_arrears", 1, |_| "80000.00".into()));
    ingest(&app, &gov, "utility", bad[..6].to_vec()).await;
    ingest(&app, &gov, "tax", bad[6..].to_vec()).await;
    let (_, before) = app
        .get(&format!("/v1/firms/{u}/profile/history"), Some(&gov))
        .await;

    let body = json!({"changes": [
        {"type": "no_late_utility_payments", "months": 6},
        {"type": "arrears_cleared"},
        {"type": "headcount_change", "delta": 10}
    ]});
    let (status, w) = app
        .post(
            &format!("/v1/firms/{u}/profile/what-if"),
            Some(&firm_key),
            &body,
        )
        .await;
    assert_eq!(status, 200, "{w}");
    assert_eq!(w["stored"], false);
    let (now, then) = (
        w["current"]["score"].as_i64().unwrap(),
        w["what_if"]["score"].as_i64().unwrap(),
    );
    assert!(then > now + 50, "{w}");
    assert_eq!(w["score_change"].as_i64().unwrap(), then - now);
    let codes = |v: &Value| {
        v["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["code"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert!(
        codes(&w["current"]).contains(&"UTILITY_LATE".to_string()),
        "{w}"
    );
    assert!(
        !codes(&w["what_if"]).contains(&"UTILITY_LATE".to_string()),
        "{w}"
    );
    assert!(
        !codes(&w["what_if"]).contains(&"TAX_ARREARS".to_string()),
        "{w}"
    );
    let changed: Vec<&str> = w["changed_indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["indicator"].as_str().unwrap())
        .collect();
    for k in ["utility_late_count_12m", "tax_arrears", "insured_headcount"] {
        assert!(changed.contains(&k), "{k} in {changed:?}");
    }
    // The current score is the stored profile's.
    let (_, p) = app.get(&format!("/v1/firms/{u}/profile"), Some(&gov)).await;
    assert_eq!(p["score"].as_i64().unwrap(), now);
    let (_, after) = app
        .get(&format!("/v1/firms/{u}/profile/history"), Some(&gov))
        .await;
    assert_eq!(before, after, "what-if stored something");

    // Every faulty change is named.
    let bad = json!({"as_of": "2026-1", "changes": [
        {"type": "no_late_utility_payments", "months": 0},
        {"type": "tax_grade", "grade": "Z"},
        {"type": "headcount_change", "delta": 0}
    ]});
    let (status, e) = app
        .post(
            &format!("/v1/firms/{u}/profile/what-if"),
            Some(&firm_key),
            &bad,
        )
        .await;
    assert_problem(&e, 422);
    assert_eq!(status, 422);
    let rules = field_rules(&e);
    for want in [
        ("as_of", "month.format"),
        ("changes[0].months", "range"),
        ("changes[1].grade", "code.unknown"),
        ("changes[2].delta", "range"),
    ] {
        assert!(
            rules.contains(&(want.0.to_string(), want.1.to_string())),
            "{want:?} in {rules:?}"
        );
    }
    let (status, e) = app
        .post(
            &format!("/v1/firms/{u}/profile/what-if"),
            Some(&firm_key),
            &json!({"changes": [{"type": "win_lottery"}]}),
        )
        .await;
    assert_eq!(status, 422, "{e}");
    let (status, e) = app
        .post(
            &format!("/v1/firms/{u}/profile/what-if"),
            Some(&firm_key),
            &json!({"changes": []}),
        )
        .await;
    assert_eq!(
        (status, field_rules(&e)),
        (422, vec![("changes".to_string(), "length".to_string())])
    );
}

#[tokio::test]
async fn only_the_firm_and_the_government_read_profiles() {
    let app = spawn_app().await;
    let gov = app.gov_key().await;
    let f = app.register_firms(44, 2).await;
    steady_history(&app, &gov, &f[0]).await;
    let path = format!("/v1/firms/{}/profile", f[0]);
    let own = app.key(Role::Firm, None, Some(&f[0])).await;
    let other = app.key(Role::Firm, None, Some(&f[1])).await;
    let bank = app.key(Role::Bank, Some("Test Bank"), None).await;
    let admin = app.key(Role::Admin, None, None).await;
    for (key, want) in [
        (&own, 200),
        (&gov, 200),
        (&admin, 200),
        (&other, 403),
        // A bank must name its purpose, and then needs a consent.
        (&bank, 422),
    ] {
        let (status, body) = app.get(&path, Some(key)).await;
        assert_eq!(status, want, "{body}");
    }
    let (status, body) = app
        .get(&format!("{path}?purpose=credit_assessment"), Some(&bank))
        .await;
    assert_eq!(status, 403);
    assert!(
        body["detail"].as_str().unwrap().contains("consent"),
        "{body}"
    );
    let (status, _) = app.get(&path, None).await;
    assert_eq!(status, 401);
    let (status, body) = app
        .get(&format!("/v1/firms/{}/profile/history", f[0]), Some(&other))
        .await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = app
        .post(
            &format!("/v1/firms/{}/profile/what-if", f[0]),
            Some(&bank),
            &json!({"changes": [{"type": "arrears_cleared"}]}),
        )
        .await;
    assert_eq!(status, 403, "{body}");

    // Registered without signals: no profile yet. Not registered: no firm.
    let (status, body) = app
        .get(&format!("/v1/firms/{}/profile", f[1]), Some(&gov))
        .await;
    assert_eq!(status, 404);
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("no credit profile"),
        "{body}"
    );
    let unknown = credithub::demo::demo_firm(45, 0).uscc;
    let (status, body) = app
        .get(&format!("/v1/firms/{unknown}/profile"), Some(&gov))
        .await;
    assert_eq!(status, 404);
    assert!(
        body["detail"].as_str().unwrap().contains("no firm"),
        "{body}"
    );
    for (q, rule) in [
        ("as_of=2026-1", "month.format"),
        ("as_of=2999-01", "month.future"),
    ] {
        let (status, body) = app.get(&format!("{path}?{q}"), Some(&gov)).await;
        assert_eq!(
            (status, field_rules(&body)),
            (422, vec![("as_of".to_string(), rule.to_string())])
        );
    }
    let (status, body) = app
        .get(
            &format!("/v1/firms/{}/profile/history?cursor=nope", f[0]),
            Some(&gov),
        )
        .await;
    assert_eq!(
        (status, field_rules(&body)),
        (
            422,
            vec![("cursor".to_string(), "cursor.invalid".to_string())]
        )
    );
}

#[tokio::test]
async fn readers_never_overwrite_a_newer_cached_profile() {
    // The cache rule the profile service relies on, against this run's cache (Redis when REDIS_URL is set).
    let app = spawn_app().await;
    let ttl = std::time::Duration::from_secs(60);
    let c = &app.cache;
    c.set("profile:x", b"new", ttl).await.unwrap();
    assert!(!c.set_if_absent("profile:x", b"old", ttl).await.unwrap());
    assert_eq!(c.get("profile:x").await.unwrap(), Some(b"new".to_vec()));
    c.delete("profile:x").await.unwrap();
    assert!(c.set_if_absent("profile:x", b"fill", ttl).await.unwrap());
    assert_eq!(c.get("profile:x").await.unwrap(), Some(b"fill".to_vec()));
}
