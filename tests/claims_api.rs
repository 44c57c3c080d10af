//! Fee-subsidy claims, one behaviour per test: every line status and totals that are the sums of the
//! lines (the report as a snapshot), idempotency by key, approval then payment (never a step twice, never
//! out of order), approved lines making later overlapping claims duplicates, and batches private to their
//! agency and the government. Both backends, both caches.

mod common;
use common::{field_rules, spawn_app, TestApp};
use credithub::domain::role::Role;
use serde_json::{json, Value};

/// An agency with contracts G-1..G-4 under a policy: half the fee, fee rate at most 1.5%, 6,000 a
/// contract.
struct Agency {
    app: TestApp,
    key: String,
    gov: String,
    policy: String,
}

const CONTRACTS: &str =
    "contract_no,firm_uscc,lender,loan_amount,guaranteed,fee_rate,start_on,end_on\n";

impl Agency {
    async fn new() -> Agency {
        let app = spawn_app().await;
        let key = app.key(Role::Guarantor, Some("Agency A"), None).await;
        let gov = app.gov_key().await;
        let f = app.register_firms(5, 2).await;
        let ledger = format!(
            "{CONTRACTS}G-1,{a},Bank A,1000000,1000000,0.01,2026-01-01,2027-01-01\n\
             G-2,{a},Bank A,2000000,1600000,0.012,2026-03-01,2027-03-01\n\
             G-3,{b},Bank B,500000,400000,0.015,2026-01-01,2027-01-01\n\
             G-4,{b},Bank B,500000,400000,0.02,2026-01-01,2027-01-01\n",
            a = f[0],
            b = f[1]
        );
        let agency = Agency {
            app,
            key,
            gov,
            policy: String::new(),
        };
        let (status, body) = agency
            .send("/v1/guarantees", "text/csv", ledger, None)
            .await;
        assert_eq!(status, 201, "{body}");
        let (status, p) = agency
            .app
            .post(
                "/v1/subsidy-policies",
                Some(&agency.gov),
                &json!({
                "name": "half the fee", "window_from": "2025-01-01", "window_to": "2026-12-31",
                "formula": {"kind": "share_of_fee", "share": "0.5"}, "max_fee_rate": "0.015",
                "cap_per_contract": "6000"}),
            )
            .await;
        assert_eq!(status, 201, "{p}");
        Agency {
            policy: p["id"].as_str().unwrap().to_string(),
            ..agency
        }
    }

    async fn send(
        &self,
        path: &str,
        content_type: &str,
        body: String,
        key: Option<&str>,
    ) -> (u16, Value) {
        let mut rb = self
            .app
            .client
            .post(self.app.url(path))
            .bearer_auth(&self.key)
            .header("content-type", content_type)
            .body(body);
        if let Some(k) = key {
            rb = rb.header("idempotency-key", k);
        }
        common::read(rb.send().await.unwrap()).await
    }

    /// Submit claim lines `contract_no,from,to,claimed`; the answer.
    async fn claim(&self, lines: &[&str], key: Option<&str>) -> (u16, Value) {
        let body = format!("contract_no,from,to,claimed\n{}\n", lines.join("\n"));
        let path = format!("/v1/subsidy-claims?policy_id={}", self.policy);
        self.send(&path, "text/csv", body, key).await
    }

    async fn claimed(&self, lines: &[&str]) -> String {
        let (status, b) = self.claim(lines, None).await;
        assert_eq!(status, 201, "{b}");
        b["id"].as_str().unwrap().to_string()
    }

    async fn report(&self, batch: &str, key: &str) -> (u16, Value) {
        self.app
            .get(&format!("/v1/reconciliations/{batch}"), Some(key))
            .await
    }

    async fn step(&self, batch: &str, step: &str) -> (u16, Value) {
        self.app
            .post(
                &format!("/v1/subsidy-claims/{batch}/{step}"),
                Some(&self.gov),
                &json!({}),
            )
            .await
    }
}

/// The report without its ids and instants: what the agency checks line by line.
fn figures(report: &Value) -> Value {
    let keep = [
        "line_no",
        "contract_no",
        "from",
        "to",
        "status",
        "claimed",
        "computed",
        "approved",
        "difference",
        "days",
        "before_caps",
        "caps",
        "reason",
    ];
    let lines: Vec<Value> = report["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            keep.iter()
                .map(|k| (k.to_string(), l[*k].clone()))
                .collect::<serde_json::Map<_, _>>()
                .into()
        })
        .collect();
    json!({"status": report["status"], "totals": report["totals"], "lines": lines})
}

fn yuan(v: &Value) -> rust_decimal::Decimal {
    v.as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn every_line_is_reconciled_and_the_totals_are_the_sums_of_the_lines() {
    let a = Agency::new().await;
    let id = a
        .claimed(&[
            "G-1,2026-01-01,2026-07-01,2479.45", // 181 days × 10,000 × 1% × 0.5: matched
            "G-2,2026-03-01,2027-03-01,9000",    // 9,600 computed, cut to 6,000: capped
            "G-3,2026-01-01,2026-07-01,500",     // 1,487.67 computed: under-claimed
            "G-1,2026-07-01,2026-12-01,3000",    // 2,095.89 computed: over-claimed
            "G-4,2026-01-01,2026-07-01,100",     // fee rate 2% above the policy's 1.5%: ineligible
            "G-9,2026-01-01,2026-02-01,10",      // no such contract
            "G-1,2026-06-01,2026-08-01,100",     // overlaps the first line: duplicate
        ])
        .await;
    let (status, report) = a.report(&id, &a.key).await;
    assert_eq!(status, 200, "{report}");
    let lines = report["lines"].as_array().unwrap();
    for k in ["claimed", "computed", "approved", "difference"] {
        let sum: rust_decimal::Decimal = lines.iter().map(|l| yuan(&l[k])).sum();
        assert_eq!(yuan(&report["totals"][k]), sum, "{k}");
    }
    insta::assert_json_snapshot!("reconciliation", figures(&report));
}

#[tokio::test]
async fn the_same_key_and_body_is_the_same_batch_and_another_body_is_refused() {
    let a = Agency::new().await;
    let line = ["G-1,2026-01-01,2026-07-01,2479.45"];
    let (status, first) = a.claim(&line, Some("2026-H1")).await;
    assert_eq!(status, 201, "{first}");
    let (status, again) = a.claim(&line, Some("2026-H1")).await;
    assert_eq!((status, &again["id"]), (200, &first["id"]));
    let (status, other) = a
        .claim(&["G-1,2026-01-01,2026-07-01,2479.46"], Some("2026-H1"))
        .await;
    assert_eq!(status, 409, "{other}");
    let (_, list) = a.app.get("/v1/subsidy-claims", Some(&a.key)).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_batch_is_approved_then_paid_and_no_step_happens_twice_or_early() {
    let a = Agency::new().await;
    let id = a.claimed(&["G-1,2026-01-01,2026-07-01,2479.45"]).await;
    let (status, early) = a.step(&id, "paid").await;
    assert_eq!(status, 409, "payment before approval: {early}");
    let (status, b) = a.step(&id, "approve").await;
    assert_eq!(
        (status, b["status"].as_str()),
        (200, Some("approved")),
        "{b}"
    );
    assert!(b["approved_at"].is_string());
    let (status, _) = a.step(&id, "approve").await;
    assert_eq!(status, 409, "approved once");
    let (status, b) = a.step(&id, "paid").await;
    assert_eq!((status, b["status"].as_str()), (200, Some("paid")), "{b}");
    assert!(b["paid_at"].is_string());
    let (status, _) = a.step(&id, "paid").await;
    assert_eq!(status, 409, "paid once");
    // An agency cannot approve its own batch.
    let (status, _) = a
        .app
        .post(
            &format!("/v1/subsidy-claims/{id}/approve"),
            Some(&a.key),
            &json!({}),
        )
        .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn approved_lines_make_a_later_overlapping_claim_a_duplicate() {
    let a = Agency::new().await;
    let first = a.claimed(&["G-1,2026-01-01,2026-07-01,2479.45"]).await;
    // Before approval a second batch may claim the same days (only approval counts).
    let pending = a.claimed(&["G-1,2026-03-01,2026-04-01,100"]).await;
    let (_, r) = a.report(&pending, &a.key).await;
    assert_ne!(r["lines"][0]["status"], "duplicate", "{r}");
    assert_eq!(a.step(&first, "approve").await.0, 200);
    let later = a.claimed(&["G-1,2026-03-01,2026-04-01,100"]).await;
    let (_, r) = a.report(&later, &a.key).await;
    assert_eq!(r["lines"][0]["status"], "duplicate", "{r}");
    assert_eq!(r["totals"]["approved"], "0.00");
}

#[tokio::test]
async fn a_batch_is_seen_by_its_claimant_and_the_government_only() {
    let a = Agency::new().await;
    let id = a.claimed(&["G-1,2026-01-01,2026-07-01,2479.45"]).await;
    let other = a.app.key(Role::Guarantor, Some("Agency B"), None).await;
    let bank = a.app.key(Role::Bank, Some("Bank A"), None).await;
    assert_eq!(a.report(&id, &a.gov).await.0, 200);
    assert_eq!(a.report(&id, &other).await.0, 404, "another agency");
    // A bank claims interest subsidies: another claimant's batch reads as absent to it, as to an agency.
    assert_eq!(a.report(&id, &bank).await.0, 404, "a bank");
    let f = a.app.register_firms(9, 1).await;
    let firm = a.app.key(Role::Firm, None, Some(&f[0])).await;
    assert_eq!(a.report(&id, &firm).await.0, 403, "a firm");
    let (_, list) = a.app.get("/v1/subsidy-claims", Some(&other)).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    let (_, list) = a.app.get("/v1/subsidy-claims", Some(&a.gov)).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_claim_under_an_unknown_policy_is_refused_naming_the_policy() {
    let a = Agency::new().await;
    let (status, body) = a
        .send(
            "/v1/subsidy-claims?policy_id=no-such-policy",
            "text/csv",
            "contract_no,from,to,claimed\nG-1,2026-01-01,2026-07-01,1\n".into(),
            None,
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        field_rules(&body),
        vec![("policy_id".to_string(), "policy.unknown".to_string())]
    );
    let (_, list) = a.app.get("/v1/subsidy-claims", Some(&a.key)).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn an_agency_withdraws_a_batch_before_approval_and_it_never_counts() {
    let a = Agency::new().await;
    let id = a.claimed(&["G-1,2026-01-01,2026-07-01,2479.45"]).await;
    let withdraw = |key: String, id: String| {
        let app = &a.app;
        async move {
            app.post(
                &format!("/v1/subsidy-claims/{id}/withdraw"),
                Some(&key),
                &json!({}),
            )
            .await
        }
    };
    // Another agency's withdrawal finds nothing; the government cannot withdraw for the agency.
    let other = a.app.key(Role::Guarantor, Some("Agency B"), None).await;
    assert_eq!(withdraw(other, id.clone()).await.0, 404);
    assert_eq!(withdraw(a.gov.clone(), id.clone()).await.0, 403);
    let (status, b) = withdraw(a.key.clone(), id.clone()).await;
    assert_eq!(
        (status, b["status"].as_str()),
        (200, Some("withdrawn")),
        "{b}"
    );
    assert!(b["withdrawn_at"].is_string());
    // Its report is kept; it is never approved, and withdrawn once.
    let (_, r) = a.report(&id, &a.key).await;
    assert_eq!(r["lines"].as_array().unwrap().len(), 1);
    assert_eq!(a.step(&id, "approve").await.0, 409);
    assert_eq!(withdraw(a.key.clone(), id.clone()).await.0, 409);
    // Its days are free for a later claim, which is then not a duplicate.
    let later = a.claimed(&["G-1,2026-01-01,2026-07-01,2479.45"]).await;
    assert_eq!(a.step(&later, "approve").await.0, 200);
    let (_, r) = a.report(&later, &a.key).await;
    assert_eq!(r["lines"][0]["status"], "matched", "{r}");
    // An approved batch cannot be withdrawn.
    assert_eq!(withdraw(a.key.clone(), later).await.0, 409);
}
