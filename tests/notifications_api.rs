//! Institutions' notifications over the API (issue 17): a bank is told of a new application and of a
//! consent a firm grants or revokes; another bank is told nothing; read marks them; a firm key reads its
//! own inbox (the pages' one).

mod common;
use common::{demo_env, in_days, spawn_app};
use serde_json::{json, Value};

fn kinds(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_bank_is_told_of_applications_and_consents_and_no_other_bank_is() {
    let app = spawn_app().await;
    let env = demo_env(&app).await;
    let (firm, bank, bank2) = (&env["FIRM_KEY"], &env["BANK_KEY"], &env["BANK2_KEY"]);
    // The firm grants the lender of a bank loan a consent, then revokes it.
    let (_, products) = app.get("/v1/products?kind=bank_loan&limit=200", None).await;
    let product = &products["items"][0];
    let lender = product["institution_id"].as_str().unwrap().to_string();
    let (status, c) = app
        .post(
            "/v1/consents",
            Some(firm),
            &json!({"institution_id": lender, "purpose": "credit_assessment", "expires_at": in_days(30)}),
        )
        .await;
    assert_eq!(status, 201, "{c}");
    let id = c["id"].as_str().unwrap();
    let r = app
        .client
        .delete(app.url(&format!("/v1/consents/{id}")))
        .bearer_auth(firm)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    // The lender is told, newest first; the other demo bank is told nothing.
    let (_, n1) = app.get("/v1/notifications", Some(bank)).await;
    let (_, n2) = app.get("/v1/notifications", Some(bank2)).await;
    let (teller, told, other) = if kinds(&n1).iter().any(|k| k == "consent_granted") {
        (bank, n1, n2)
    } else {
        (bank2, n2, n1)
    };
    let k = kinds(&told);
    assert_eq!(&k[..2], ["consent_revoked", "consent_granted"], "{told}");
    assert_eq!(told["items"][0]["subject"], id);
    assert_eq!(
        told["items"][0]["detail"]["firm"],
        env["FIRM_USCC"].as_str()
    );
    assert!(
        !kinds(&other).iter().any(|k| k.starts_with("consent_")),
        "{other}"
    );
    // An application: the lender is told, with the firm and the product.
    let (status, a) = app
        .post(
            "/v1/applications",
            Some(firm),
            &json!({"product_id": product["id"], "amount": "500000", "term_months": 12, "confirm_consent": true}),
        )
        .await;
    if status == 201 {
        let (_, n) = app.get("/v1/notifications", Some(teller)).await;
        assert_eq!(n["items"][0]["kind"], "application_new", "{n}");
        assert_eq!(n["items"][0]["subject"], a["id"]);
        assert_eq!(n["items"][0]["detail"]["product"], product["id"]);
    } else {
        // The first product may not fit the demo firm: the refusal names why, and no one is told.
        assert_eq!(status, 422, "{a}");
    }
    // Read: every one marked, and none unread after.
    let (status, m) = app
        .post("/v1/notifications/read", Some(teller), &json!({}))
        .await;
    assert_eq!(status, 200, "{m}");
    assert!(m["marked"].as_u64().unwrap() >= 2);
    let (_, after) = app.get("/v1/notifications", Some(teller)).await;
    assert!(after["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|n| n["read"] == true));
    // A firm key reads the firm's inbox.
    let (status, mine) = app.get("/v1/notifications?limit=5", Some(firm)).await;
    assert_eq!(status, 200, "{mine}");
}
