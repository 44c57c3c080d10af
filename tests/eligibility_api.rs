//! Issue 20 §8: the size class public money relies on. A firm's own edit of its size figures is a
//! declaration that does not move its class until the government confirms it or the sources agree;
//! eligibility is classified from verified data (insured headcount, invoiced revenue of the last 12
//! months) where the hub has it, and says which figure came from where.

mod common;
use common::spawn_app;
use credithub::demo::demo_uscc;
use credithub::domain::month::Month;
use credithub::domain::role::Role;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn self_edits_are_declarations_and_verified_data_decide() {
    let app = spawn_app().await;
    let gov = app.gov_key().await;
    let uscc = demo_uscc(7, "310115").to_string();
    let (s, b) = app
        .post(
            "/v1/firms",
            Some(&gov),
            &json!({"uscc": uscc, "name": "上海锦程软件有限公司", "industry": "I6510", "district": "pudong",
                "established_on": "2015-03-01", "registered_capital": "5000000", "employees": 120,
                "revenue": "25000000", "total_assets": "18000000"}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["size_class"], "medium");
    let firm = app.key(Role::Firm, None, Some(&uscc)).await;
    let patch = |key: String, body: serde_json::Value| {
        let (app, uscc) = (&app, uscc.clone());
        async move {
            app.send_json(
                Method::PATCH,
                &format!("/v1/firms/{uscc}"),
                Some(&key),
                &body,
            )
            .await
        }
    };

    // The firm says it has 500 people: recorded, pending; its class and figures do not move.
    let (s, b) = patch(
        firm.clone(),
        json!({"employees": 500, "name": "上海锦程软件股份有限公司"}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["size_class"], "medium");
    assert_eq!(b["employees"], 120);
    assert_eq!(b["name"], "上海锦程软件股份有限公司", "other fields apply");
    assert_eq!(b["declaration"]["status"], "pending");
    assert_eq!(b["declaration"]["employees"], 500);
    let pending = b["declaration"]["id"].as_str().unwrap().to_string();

    // No verified data yet: eligibility reads the registry and says so.
    let (s, e) = app
        .get(&format!("/v1/firms/{uscc}/eligibility"), Some(&firm))
        .await;
    assert_eq!(s, 200, "{e}");
    assert_eq!(e["size_class"], "medium");
    assert!(
        e["figures"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["source"] == "registry"),
        "{e}"
    );
    assert_eq!(e["pending_declaration"]["id"], pending.as_str());

    // The sources report 8 insured people and 30,000 yuan invoiced a month (360,000 in 12 months): for
    // public money the firm is micro, whatever its registry entry says, and each figure names its source.
    let last = Month::last_complete(chrono::Utc::now().date_naive());
    let si = json!({"source": "social_insurance", "rows": [
        {"uscc": uscc, "kind": "insured_headcount", "period": last.to_string(), "value": "8"}]});
    let (s, r) = app.post("/v1/signals", Some(&gov), &si).await;
    assert_eq!(s, 201, "{r}");
    let rows: Vec<_> = (0..12)
        .map(|k| json!({"uscc": uscc, "kind": "invoiced_revenue", "period": last.plus(-k).to_string(), "value": "30000.00"}))
        .collect();
    let (s, r) = app
        .post(
            "/v1/signals",
            Some(&gov),
            &json!({"source": "tax", "rows": rows}),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    let (_, e) = app
        .get(&format!("/v1/firms/{uscc}/eligibility"), Some(&gov))
        .await;
    assert_eq!(e["size_class"], "micro", "{e}");
    assert_eq!(e["registry_size_class"], "medium");
    let fig = |k: &str| {
        e["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["indicator"] == k)
            .unwrap()
            .clone()
    };
    assert_eq!(
        (
            fig("employees")["value"].as_str(),
            fig("employees")["source"].as_str()
        ),
        (Some("8"), Some("social_insurance"))
    );
    assert_eq!(fig("employees")["period"], last.to_string().as_str());
    assert_eq!(
        (
            fig("revenue")["value"].as_str(),
            fig("revenue")["source"].as_str()
        ),
        (Some("360000.00"), Some("tax"))
    );
    assert_eq!(fig("total_assets")["source"], "registry");

    // A declaration the sources agree with applies at once, and replaces the pending one.
    let (s, b) = patch(firm.clone(), json!({"employees": 8})).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["declaration"]["status"], "confirmed");
    assert_eq!(b["declaration"]["decided_by"], "sources");
    assert_eq!(b["employees"], 8);
    assert_eq!(b["size_class"], "micro");
    let (_, list) = app
        .get(&format!("/v1/firms/{uscc}/declarations"), Some(&firm))
        .await;
    let old = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == pending.as_str())
        .unwrap()
        .clone();
    assert_eq!(old["status"], "rejected");
    assert_eq!(old["decided_by"], "superseded");

    // One they do not agree with waits for the government, who rejects it; a second decision is 409.
    let (_, b) = patch(firm.clone(), json!({"employees": 300})).await;
    assert_eq!(b["declaration"]["status"], "pending");
    assert_eq!(b["size_class"], "micro");
    let id = b["declaration"]["id"].as_str().unwrap().to_string();
    let path = format!("/v1/firms/{uscc}/declarations/{id}/decide");
    let (s, _) = app
        .post(&path, Some(&firm), &json!({"confirm": true}))
        .await;
    assert_eq!(s, 403, "a firm does not confirm its own declaration");
    let (s, d) = app
        .post(
            &path,
            Some(&gov),
            &json!({"confirm": false, "note": "不符合参保记录"}),
        )
        .await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["declaration"]["status"], "rejected");
    assert_eq!(d["firm"]["employees"], 8);
    let (s, _) = app.post(&path, Some(&gov), &json!({"confirm": true})).await;
    assert_eq!(s, 409);

    // The government confirms another: the figures enter the registry and the class follows.
    let (_, b) = patch(
        firm.clone(),
        json!({"employees": 150, "revenue": "26000000"}),
    )
    .await;
    let id = b["declaration"]["id"].as_str().unwrap().to_string();
    let (s, d) = app
        .post(
            &format!("/v1/firms/{uscc}/declarations/{id}/decide"),
            Some(&gov),
            &json!({"confirm": true}),
        )
        .await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["firm"]["employees"], 150);
    assert_eq!(d["firm"]["size_class"], "medium");
    assert_eq!(d["declaration"]["status"], "confirmed");

    // The government's own edits apply at once, as before; banks do not read eligibility.
    let (s, b) = patch(gov.clone(), json!({"employees": 99})).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["size_class"], "small");
    assert!(b.get("declaration").is_none());
    let bank = app.key(Role::Bank, Some("Bank A"), None).await;
    let (s, _) = app
        .get(&format!("/v1/firms/{uscc}/eligibility"), Some(&bank))
        .await;
    assert_eq!(s, 403);
}
