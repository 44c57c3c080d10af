//! The API contract at the edge: unknown fields and columns refused on every body (422 naming them,
//! nothing stored), money only in plain decimal notation, JSON answers ending with a newline, 405 with
//! `Allow` for a known path asked with another method, and the OpenAPI document as a snapshot.
//! Both backends, both caches.

mod common;
use common::{field_rules, spawn_app, TestApp};
use credithub::domain::role::Role;
use serde_json::{json, Value};

/// An agency with one registered firm, and a fee-subsidy policy to claim under.
struct Agency {
    app: TestApp,
    key: String,
    firm: String,
    policy: String,
}

impl Agency {
    async fn new() -> Agency {
        let app = spawn_app().await;
        let key = app.key(Role::Guarantor, Some("Agency A"), None).await;
        let gov = app.gov_key().await;
        let firm = app.register_firms(15, 1).await.remove(0);
        let (status, p) = app
            .post(
                "/v1/subsidy-policies",
                Some(&gov),
                &json!({
                "name": "contract test", "window_from": "2025-01-01", "window_to": "2026-12-31",
                "formula": {"kind": "share_of_fee", "share": "0.5"}, "max_fee_rate": "0.015"}),
            )
            .await;
        assert_eq!(status, 201, "{p}");
        let policy = p["id"].as_str().unwrap().to_string();
        Agency {
            app,
            key,
            firm,
            policy,
        }
    }

    /// As [`Agency::new`], with contract G-1 registered.
    async fn with_contract() -> Agency {
        let a = Agency::new().await;
        let (status, body) = a
            .send(
                "/v1/guarantees",
                "application/json",
                a.contract("G-1").to_string(),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        a
    }

    fn contract(&self, no: &str) -> Value {
        json!({"contract_no": no, "firm_uscc": self.firm, "lender": "Bank A", "loan_amount": "1000000",
               "guaranteed": "800000", "fee_rate": "0.01", "start_on": "2026-01-01", "end_on": "2027-01-01"})
    }

    async fn send(&self, path: &str, content_type: &str, body: String) -> (u16, Value) {
        let resp = self
            .app
            .client
            .post(self.app.url(path))
            .bearer_auth(&self.key)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        common::read(resp).await
    }

    async fn contracts(&self) -> usize {
        let (status, list) = self.app.get("/v1/guarantees", Some(&self.key)).await;
        assert_eq!(status, 200, "{list}");
        list["items"].as_array().unwrap().len()
    }

    /// A contract changed by `change` is refused with exactly this field and rule, and nothing is stored.
    async fn refuses_contract(&self, change: impl FnOnce(&mut Value), field: &str, rule: &str) {
        let mut c = self.contract("G-1");
        change(&mut c);
        let (status, body) = self
            .send("/v1/guarantees", "application/json", c.to_string())
            .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(
            field_rules(&body),
            vec![(field.to_string(), rule.to_string())]
        );
        assert_eq!(self.contracts().await, 0);
    }

    async fn batches(&self) -> usize {
        let (status, list) = self.app.get("/v1/subsidy-claims", Some(&self.key)).await;
        assert_eq!(status, 200, "{list}");
        list["items"].as_array().unwrap().len()
    }
}

#[tokio::test]
async fn a_contract_with_an_unknown_field_is_refused_and_not_stored() {
    let a = Agency::new().await;
    a.refuses_contract(|c| c["colour"] = json!("blue"), "colour", "field.unknown")
        .await;
}

#[tokio::test]
async fn a_ledger_csv_with_a_misspelt_column_is_refused_and_not_stored() {
    let a = Agency::new().await;
    let csv = format!(
        "contract_no,firm_uscc,lender,loan_amount,guaranteed,fee_rate,start_on,end_on,first_lone\n\
         G-1,{},Bank A,1000000,800000,0.01,2026-01-01,2027-01-01,true\n",
        a.firm
    );
    let (status, body) = a.send("/v1/guarantees", "text/csv", csv).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        field_rules(&body),
        vec![(
            "line 1: first_lone".to_string(),
            "column.unknown".to_string()
        )]
    );
    assert_eq!(a.contracts().await, 0);
}

#[tokio::test]
async fn an_ndjson_ledger_row_with_an_unknown_key_is_named_by_its_line() {
    let a = Agency::new().await;
    let mut second = a.contract("G-2");
    second["colour"] = json!("blue");
    let body = format!("{}\n{}\n", a.contract("G-1"), second);
    let (status, problem) = a.send("/v1/guarantees", "application/x-ndjson", body).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(
        field_rules(&problem),
        vec![("line 2: colour".to_string(), "field.unknown".to_string())]
    );
    assert_eq!(a.contracts().await, 0);
}

#[tokio::test]
async fn a_claim_line_with_an_unknown_field_is_refused_and_no_batch_stored() {
    let a = Agency::with_contract().await;
    let batch = json!({"policy_id": a.policy, "lines": [
        {"contract_no": "G-1", "from": "2026-01-01", "to": "2026-07-01", "claimd": "100"}]});
    let (status, body) = a
        .send("/v1/subsidy-claims", "application/json", batch.to_string())
        .await;
    assert_eq!(status, 422, "{body}");
    let rules = field_rules(&body);
    assert!(
        rules.contains(&("line 1: claimd".to_string(), "field.unknown".to_string())),
        "{rules:?}"
    );
    assert_eq!(a.batches().await, 0);
}

#[tokio::test]
async fn a_claim_batch_with_an_unknown_member_is_refused_and_not_stored() {
    let a = Agency::with_contract().await;
    let batch = json!({"policy_id": a.policy, "dry_run": true, "lines": [
        {"contract_no": "G-1", "from": "2026-01-01", "to": "2026-07-01", "claimed": "100"}]});
    let (status, body) = a
        .send("/v1/subsidy-claims", "application/json", batch.to_string())
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        field_rules(&body),
        vec![("dry_run".to_string(), "field.unknown".to_string())]
    );
    // A claims CSV with an unknown column is refused the same way.
    let (status, body) = a
        .send(
            &format!("/v1/subsidy-claims?policy_id={}", a.policy),
            "text/csv",
            "contract_no,from,to,claimed,colour\nG-1,2026-01-01,2026-07-01,100,x\n".into(),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        field_rules(&body),
        vec![("line 1: colour".to_string(), "column.unknown".to_string())]
    );
    assert_eq!(a.batches().await, 0);
}

#[tokio::test]
async fn money_in_exponent_notation_is_refused() {
    let a = Agency::new().await;
    a.refuses_contract(
        |c| c["loan_amount"] = json!("1e6"),
        "loan_amount",
        "money.format",
    )
    .await;
}

#[tokio::test]
async fn json_answers_end_with_one_newline() {
    let app = spawn_app().await;
    for (path, want) in [
        ("/healthz", 200),
        ("/openapi.json", 200),
        ("/v1/products", 200),
        ("/v1/uscc/91110000600037341L", 200),
        ("/v1/uscc/91110000600037341M", 422),
        ("/v1/nothing-here", 404),
    ] {
        let resp = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), want);
        let text = resp.text().await.unwrap();
        assert!(
            text.ends_with("}\n") && !text.ends_with("\n\n"),
            "{path}: {:?}",
            &text[text.len().saturating_sub(40)..]
        );
        let _: Value = serde_json::from_str(&text).unwrap();
    }
}

#[tokio::test]
async fn a_known_path_with_another_method_is_405_with_allow() {
    let app = spawn_app().await;
    for method in ["TRACE", "PUT", "DELETE"] {
        let resp = app
            .client
            .request(method.parse().unwrap(), app.url("/v1/firms"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 405, "{method}");
        assert_eq!(resp.headers()["allow"], "GET, POST");
        let (_, body) = common::read(resp).await;
        assert_eq!(body["type"], "urn:credithub:problem:method-not-allowed");
    }
    let (status, body) = app.get("/v1/no-such-thing", None).await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test]
async fn the_openapi_document_is_the_one_reviewed() {
    let app = spawn_app().await;
    let (status, doc) = app.get("/openapi.json", None).await;
    assert_eq!(status, 200);
    // Every problem a route can answer is declared, as problem+json.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (code, resp) in op["responses"].as_object().unwrap() {
                if code.starts_with('4') || code.starts_with('5') {
                    assert!(
                        resp["content"]["application/problem+json"].is_object(),
                        "{method} {path} {code}"
                    );
                }
            }
        }
    }
    insta::assert_json_snapshot!("openapi", doc);
}
