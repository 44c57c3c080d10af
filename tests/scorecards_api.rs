//! Issue 19 through the API on the demo: the registry, a challenger scored in shadow (stored, never in
//! a bank's profile), days past due reported by a bank, validation of both cards on the same outcomes
//! (JSON and workbook), monitoring, and promotion as a government act that later profiles carry.

mod common;

use common::{demo_env, spawn_app};
use serde_json::json;

#[tokio::test]
async fn challenger_in_shadow_then_promoted() {
    let app = spawn_app().await;
    let env = demo_env(&app).await;
    let (gov, bank, firm) = (&env["GOV_KEY"], &env["BANK_KEY"], &env["FIRM_USCC"]);

    // The shipped card is the champion; banks do not see the registry.
    let (s, list) = app.get("/v1/scorecards", Some(gov)).await;
    assert_eq!(s, 200, "{list}");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    assert_eq!(
        (items[0]["version"].as_str(), items[0]["role"].as_str()),
        (Some("expert-2026.1"), Some("champion"))
    );
    let (s, _) = app.get("/v1/scorecards", Some(bank)).await;
    assert_eq!(s, 403);

    // A challenger: the expert card with tax grade B worth less.
    let toml = credithub::domain::scorecard::DEFAULT_TOML
        .replace(
            "version = \"expert-2026.1\"",
            "version = \"challenger-2026.2\"",
        )
        .replace(
            "{ codes = [\"B\"], points = 80 }",
            "{ codes = [\"B\"], points = 55 }",
        );
    let (s, v) = app
        .post(
            "/v1/scorecards",
            Some(gov),
            &json!({"toml": toml, "note": "test"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["role"], "challenger");
    let (s, again) = app
        .post("/v1/scorecards", Some(gov), &json!({"toml": toml}))
        .await;
    assert_eq!(s, 409, "{again}");
    let (s, bad) = app
        .post("/v1/scorecards", Some(gov), &json!({"toml": "version = 1"}))
        .await;
    assert_eq!(s, 422, "{bad}");
    assert_eq!(bad["errors"][0]["field"], "body");
    let unlawful = credithub::domain::scorecard::DEFAULT_TOML
        .replace("version = \"expert-2026.1\"", "version = \"sized\"")
        .replace(
            "indicator = \"customs_class\"",
            "indicator = \"size_class\"",
        );
    let (s, bad) = app
        .post("/v1/scorecards", Some(gov), &json!({"toml": unlawful}))
        .await;
    assert_eq!(s, 422, "{bad}");

    // A recompute scores the challenger in shadow: stored, and never in the bank's profile.
    let out = app.cli(&["recompute", "--all"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, list) = app.get("/v1/scorecards", Some(gov)).await;
    let ch = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["version"] == "challenger-2026.2")
        .unwrap()
        .clone();
    assert!(ch["shadow_scores"].as_i64().unwrap() >= 12, "{ch}");
    let path = format!("/v1/firms/{firm}/profile?purpose=post_loan_monitoring");
    let (s, p) = app.get(&path, Some(bank)).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["scorecard_version"], "expert-2026.1");
    assert!(!p.to_string().contains("challenger-2026.2"));

    // A bank reports days past due on one of its loans; a negative count is refused by name.
    let (s, loans) = app
        .get("/v1/loans?status=outstanding&limit=5", Some(bank))
        .await;
    assert_eq!(s, 200, "{loans}");
    let loan = loans["items"][0]["id"].as_str().unwrap().to_string();
    let today = chrono::Utc::now().date_naive().to_string();
    let (s, l) = app
        .post(
            &format!("/v1/loans/{loan}/balances"),
            Some(bank),
            &json!({"as_of": today, "outstanding": "1.00", "days_past_due": 120}),
        )
        .await;
    assert_eq!(s, 200, "{l}");
    let (s, e) = app
        .post(
            &format!("/v1/loans/{loan}/balances"),
            Some(bank),
            &json!({"as_of": today, "outstanding": "1.00", "days_past_due": -1}),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["errors"][0]["field"], "days_past_due");

    // Both cards validated on the same loans.
    let (s, val) = app.get("/v1/scorecards/validation", Some(gov)).await;
    assert_eq!(s, 200, "{val}");
    let vals = val["items"].as_array().unwrap();
    assert_eq!(vals.len(), 2);
    assert_eq!(vals[0]["loans"], vals[1]["loans"]);
    assert!(vals[0]["loans"].as_u64().unwrap() > 0, "{val}");
    assert!(vals.iter().any(|v| v["version"] == "challenger-2026.2"));
    let (s, _) = app.get("/v1/scorecards/validation", Some(bank)).await;
    assert_eq!(s, 403);
    let res = app
        .client
        .get(format!("{}/v1/scorecards/validation", app.base))
        .bearer_auth(gov)
        .header("accept", credithub::service::spreadsheet::XLSX)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.bytes().await.unwrap().starts_with(b"PK"));
    let (s, m) = app
        .get("/v1/scorecards/monitoring?months=3", Some(gov))
        .await;
    assert_eq!(s, 200, "{m}");
    assert_eq!(m["champion"], "expert-2026.1");
    let (s, e) = app
        .get("/v1/scorecards/monitoring?months=0", Some(gov))
        .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["errors"][0]["field"], "months");
    let (s, e) = app
        .get("/v1/scorecards/validation?window_months=0", Some(gov))
        .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["errors"][0]["field"], "window_months");

    // Promotion: a government act, recorded; the newest profiles carry the new version.
    let (s, _) = app
        .post(
            "/v1/scorecards/challenger-2026.2/promote",
            Some(bank),
            &json!({}),
        )
        .await;
    assert_eq!(s, 403);
    let (s, p) = app
        .post(
            "/v1/scorecards/challenger-2026.2/promote",
            Some(gov),
            &json!({}),
        )
        .await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["previous"], "expert-2026.1");
    assert!(p["recomputed"]["stored"].as_u64().unwrap() > 0, "{p}");
    let (s, again) = app
        .post(
            "/v1/scorecards/challenger-2026.2/promote",
            Some(gov),
            &json!({}),
        )
        .await;
    assert_eq!(s, 409, "{again}");
    let (_, p) = app.get(&path, Some(bank)).await;
    assert_eq!(p["scorecard_version"], "challenger-2026.2", "{p}");
    // Profiles already issued keep the version they were computed with.
    let (s, h) = app
        .get(&format!("/v1/firms/{firm}/profile/history"), Some(gov))
        .await;
    assert_eq!(s, 200, "{h}");
    assert!(h.to_string().contains("expert-2026.1"), "{h}");
    let (_, list) = app.get("/v1/scorecards", Some(gov)).await;
    let old = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["version"] == "expert-2026.1")
        .unwrap()
        .clone();
    assert_eq!(old["role"], "retired");
}

/// The government's page: the registry, the champion's validation with its ROC curve and bad rate by
/// grade, monitoring; a challenger registered through the API is promoted from the page.
#[tokio::test]
async fn the_government_page_compares_and_promotes() {
    let d = common::pages::Demo::new().await;
    let mut gov = d.signed_in("gov").await;
    let p = gov.get("/gov/scorecards").await;
    assert_eq!(p.status, 200, "{}", p.html);
    assert!(
        p.html.contains("expert-2026.1")
            && p.html.contains("roc-title")
            && p.html.contains("id=\"monitoring\""),
        "{}",
        p.html
    );
    let toml = credithub::domain::scorecard::DEFAULT_TOML
        .replace("version = \"expert-2026.1\"", "version = \"page-2026.3\"");
    let (s, v) = d
        .app
        .post(
            "/v1/scorecards",
            Some(&d.env["GOV_KEY"]),
            &json!({"toml": toml}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let page = gov.get("/gov/scorecards").await;
    let csrf = page.csrf();
    let r = gov
        .post(
            "/gov/scorecards/page-2026.3/promote",
            &[("csrf", csrf.as_str())],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.html);
    let after = gov.get("/gov/scorecards").await;
    assert!(after.html.contains("page-2026.3"));
    let (_, list) = d.app.get("/v1/scorecards", Some(&d.env["GOV_KEY"])).await;
    let c = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["version"] == "page-2026.3")
        .unwrap()
        .clone();
    assert_eq!(c["role"], "champion", "{c}");
    // The owner of a firm is refused the page.
    let mut owner = d.signed_in("owner").await;
    assert_ne!(owner.get("/gov/scorecards").await.status, 200);
}
