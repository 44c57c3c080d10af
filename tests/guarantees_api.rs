//! Guarantees and fee subsidies over HTTP, one behaviour per test: contracts registered singly or in
//! batches that store nothing unless every row is good; releases and calls; a policy; claim batches
//! reconciled line by line with totals equal to the sums of lines, idempotent by key, private to their
//! agency; approval makes later overlapping claims duplicates; the agency's figures and reward. Both
//! backends, both caches.

mod common;
use common::{field_rules, spawn_app, TestApp};
use credithub::domain::role::Role;
use serde_json::{json, Value};

async fn send(
    app: &TestApp,
    path: &str,
    key: &str,
    ct: &str,
    body: String,
    idem: Option<&str>,
) -> (u16, Value) {
    let mut rb = app
        .client
        .post(app.url(path))
        .bearer_auth(key)
        .header("content-type", ct)
        .body(body);
    if let Some(k) = idem {
        rb = rb.header("idempotency-key", k);
    }
    common::read(rb.send().await.unwrap()).await
}

async fn get_text(app: &TestApp, path: &str, key: &str) -> (u16, String) {
    let r = app
        .client
        .get(app.url(path))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

const HEADER: &str =
    "contract_no,firm_uscc,lender,loan_amount,guaranteed,fee_rate,start_on,end_on\n";

/// Batch 1: G-1's first half-year, G-2 over its cap, G-3 under-claimed, an unknown contract, and G-1
/// again overlapping the first line.
const CLAIM: &str = "contract_no,from,to,claimed\n\
                     G-1,2026-01-01,2026-07-01,2479.45\n\
                     G-2,2026-03-01,2027-03-01,9000\n\
                     G-3,2026-01-01,2027-01-01,500\n\
                     G-9,2026-01-01,2026-02-01,10\n\
                     G-1,2026-06-01,2026-08-01,100\n";

/// Agency A's ledger, Agency B beside it, the government.
struct Ledger {
    app: TestApp,
    agency: String,
    other: String,
    gov: String,
    firms: Vec<String>,
}

/// G-1 for firm 0 (one JSON contract), G-2 and G-3 for firms 1 and 2 (a CSV batch); G-3 released on
/// 2026-04-01, after 90 active days.
async fn ledger() -> Ledger {
    let app = spawn_app().await;
    let agency = app.key(Role::Guarantor, Some("Agency A"), None).await;
    let other = app.key(Role::Guarantor, Some("Agency B"), None).await;
    let gov = app.gov_key().await;
    let firms = app.register_firms(5, 3).await;
    let l = Ledger {
        app,
        agency,
        other,
        gov,
        firms,
    };
    let (status, g) = l.contract("G-1", 0, "1000000", "1000000", "0.01").await;
    assert_eq!(status, 201, "{g}");
    let good = format!(
        "{HEADER}G-2,{f1},Bank A,2000000,1600000,0.012,2026-03-01,2027-03-01\nG-3,{f2},Bank B,500000,400000,0.015,2026-01-01,2027-01-01\n",
        f1 = l.firms[1],
        f2 = l.firms[2]
    );
    let (status, r) = send(&l.app, "/v1/guarantees", &l.agency, "text/csv", good, None).await;
    assert_eq!((status, &r["created"]), (201, &json!(2)), "{r}");
    let g3 = l.id_of("G-3").await;
    let (status, rel) = l
        .app
        .post(
            &format!("/v1/guarantees/{g3}/release"),
            Some(&l.agency),
            &json!({"on": "2026-04-01"}),
        )
        .await;
    assert_eq!(status, 200, "{rel}");
    l
}

impl Ledger {
    /// Agency A registers contract `no` for firm `firm` over 2026, as one JSON object.
    async fn contract(
        &self,
        no: &str,
        firm: usize,
        loan: &str,
        guaranteed: &str,
        fee: &str,
    ) -> (u16, Value) {
        self.app
            .post("/v1/guarantees", Some(&self.agency), &json!({
                "contract_no": no, "firm_uscc": self.firms[firm], "lender": "Bank A", "loan_amount": loan,
                "guaranteed": guaranteed, "fee_rate": fee, "start_on": "2026-01-01", "end_on": "2027-01-01"}))
            .await
    }

    async fn id_of(&self, no: &str) -> String {
        list_id(&self.app, &self.agency, no).await
    }

    /// The policy: half the fee, fee rate at most 1.5%, 6,000 a contract.
    async fn policy(&self) -> String {
        let (status, p) = self
            .app
            .post("/v1/subsidy-policies", Some(&self.gov), &json!({
                "name": "test", "window_from": "2025-01-01", "window_to": "2026-12-31",
                "formula": {"kind": "share_of_fee", "share": "0.5"}, "max_fee_rate": "0.015", "cap_per_contract": "6000"}))
            .await;
        assert_eq!(status, 201, "{p}");
        p["id"].as_str().unwrap().to_string()
    }

    /// Agency A claims `csv` under `policy`.
    async fn claim(&self, policy: &str, csv: &str, key: Option<&str>) -> (u16, Value) {
        let path = format!("/v1/subsidy-claims?policy_id={policy}");
        send(
            &self.app,
            &path,
            &self.agency,
            "text/csv",
            csv.to_string(),
            key,
        )
        .await
    }

    /// The policy and batch 1, submitted under the key `batch-1`.
    async fn batch(&self) -> (String, String) {
        let policy = self.policy().await;
        let (status, b) = self.claim(&policy, CLAIM, Some("batch-1")).await;
        assert_eq!(status, 201, "{b}");
        (policy, b["id"].as_str().unwrap().to_string())
    }

    async fn report(&self, id: &str) -> Value {
        let (status, rep) = self
            .app
            .get(&format!("/v1/reconciliations/{id}"), Some(&self.agency))
            .await;
        assert_eq!(status, 200, "{rep}");
        rep
    }

    /// The government acts on batch `id` (`approve`, `paid`).
    async fn decide(&self, id: &str, step: &str, key: &str) -> (u16, Value) {
        self.app
            .post(
                &format!("/v1/subsidy-claims/{id}/{step}"),
                Some(key),
                &json!({}),
            )
            .await
    }

    async fn count(&self, key: &str) -> usize {
        let (_, list) = self.app.get("/v1/guarantees", Some(key)).await;
        list["items"].as_array().unwrap().len()
    }
}

fn statuses(report: &Value) -> Vec<String> {
    report["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["status"].as_str().unwrap().to_string())
        .collect()
}

fn fen(v: &Value) -> i64 {
    (v.as_str().unwrap().parse::<f64>().unwrap() * 100.0).round() as i64
}

#[tokio::test]
async fn a_batch_with_bad_rows_stores_nothing_and_names_each_fault() {
    let l = ledger().await;
    let bad = format!(
        "{HEADER}G-4,{f1},Bank A,2000000,1600000,0.012,2026-03-01,2027-03-01\nG-5,{f1},Bank A,100,200,0.01,2026-01-01,2025-01-01\nG-6,NOT-A-USCC,Bank A,1,1,0.01,2026-01-01,2026-02-01\n",
        f1 = l.firms[1]
    );
    let (status, p) = send(&l.app, "/v1/guarantees", &l.agency, "text/csv", bad, None).await;
    assert_eq!(status, 422, "{p}");
    let rules = field_rules(&p);
    for want in [
        ("line 3: end_on", "range.order"),
        ("line 3: guaranteed", "range.order"),
        ("line 4: firm_uscc", "uscc.length"),
    ] {
        assert!(
            rules
                .iter()
                .any(|(f, r)| f == want.0 && r.starts_with(want.1.split('.').next().unwrap())),
            "{want:?} in {rules:?}"
        );
    }
    assert_eq!(
        l.count(&l.agency).await,
        3,
        "nothing of the bad batch was stored"
    );
}

#[tokio::test]
async fn a_contract_number_is_used_once_per_agency() {
    let l = ledger().await;
    let (status, p) = l.contract("G-1", 0, "1", "1", "0.01").await;
    assert_eq!(status, 422, "{p}");
    assert_eq!(
        field_rules(&p),
        vec![("contract_no".to_string(), "contract.on_file".to_string())]
    );
    assert!(p.to_string().contains("G-1"), "names the contract: {p}");
}

#[tokio::test]
async fn a_released_contract_cannot_be_called_and_is_the_agencys_alone() {
    let l = ledger().await;
    let g3 = l.id_of("G-3").await;
    let (status, _) = l
        .app
        .post(
            &format!("/v1/guarantees/{g3}/call"),
            Some(&l.agency),
            &json!({"on": "2026-05-01", "compensation": "1"}),
        )
        .await;
    assert_eq!(status, 409);
    let (status, _) = l
        .app
        .post(
            &format!("/v1/guarantees/{g3}/release"),
            Some(&l.other),
            &json!({"on": "2026-04-01"}),
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_policy_with_an_unknown_rule_is_refused_and_every_key_reads_policies() {
    let l = ledger().await;
    let (status, p) = l
        .app
        .post("/v1/subsidy-policies", Some(&l.gov), &json!({
            "name": "test", "window_from": "2025-01-01", "window_to": "2026-12-31",
            "rules": [{"type": "size_class", "any_of": ["micro", "small", "medium"]}, {"type": "bogus"}],
            "formula": {"kind": "share_of_fee", "share": "0.5"}, "max_fee_rate": "0.015", "cap_per_contract": "6000"}))
        .await;
    assert_eq!(status, 422, "{p}");
    assert_eq!(
        field_rules(&p),
        vec![("rules[1].type".to_string(), "rule.unknown_type".to_string())]
    );
    let policy = l.policy().await;
    let (status, got) = l
        .app
        .get(&format!("/v1/subsidy-policies/{policy}"), Some(&l.other))
        .await;
    assert_eq!(
        (status, &got["formula"]["kind"]),
        (200, &json!("share_of_fee"))
    );
}

#[tokio::test]
async fn claim_lines_with_faults_are_named_by_line() {
    let l = ledger().await;
    let policy = l.policy().await;
    let path = format!("/v1/subsidy-claims?policy_id={policy}");
    let (status, p) = l
        .app
        .post(&path, Some(&l.agency), &json!({"lines": [{"contract_no": "G-1", "from": "2026-01-01", "to": "2026-02-01", "claimed": 12.5}]}))
        .await;
    assert_eq!(status, 422, "{p}");
    assert_eq!(
        field_rules(&p),
        vec![("line 1: claimed".to_string(), "type".to_string())]
    );
    let bad = "contract_no,from,to,claimed\nG-1,2026-13-01,2026-07-01,1.001\n";
    let (status, p) = l.claim(&policy, bad, None).await;
    assert_eq!(status, 422, "{p}");
    let rules = field_rules(&p);
    assert!(
        rules.contains(&("line 2: from".into(), "date.format".into())),
        "{rules:?}"
    );
    assert!(
        rules.contains(&("line 2: claimed".into(), "money.precision".into())),
        "{rules:?}"
    );
}

#[tokio::test]
async fn a_batch_is_reconciled_line_by_line_and_its_totals_are_the_sums() {
    let l = ledger().await;
    let (_, id) = l.batch().await;
    let rep = l.report(&id).await;
    let lines = rep["lines"].as_array().unwrap();
    // G-1: 181 days of 10,000 × 1% × 0.5 = 2,479.45 matched; G-2: 1,600,000 × 1.2% × 0.5 = 9,600 cut
    // to 6,000; G-3: 400,000 × 1.5% × 0.5 × 90/365 = 739.73, claimed 500; G-9 unknown; G-1 again overlaps.
    assert_eq!(
        statuses(&rep),
        [
            "matched",
            "capped",
            "under_claimed",
            "unknown_contract",
            "duplicate"
        ]
    );
    assert_eq!(lines[1]["approved"], "6000.00");
    assert_eq!(lines[1]["caps"], json!(["per_contract"]));
    assert_eq!(lines[2]["computed"], "739.73");
    assert_eq!(lines[2]["days"], 90);
    for k in ["claimed", "computed", "approved", "difference"] {
        let sum: i64 = lines.iter().map(|l| fen(&l[k])).sum();
        assert_eq!(fen(&rep["totals"][k]), sum, "{k}");
    }
    assert_eq!(rep["totals"]["approved"], "8979.45");
}

#[tokio::test]
async fn the_same_key_is_the_same_batch_and_another_body_under_it_is_refused() {
    let l = ledger().await;
    let (policy, id) = l.batch().await;
    let (status, again) = l.claim(&policy, CLAIM, Some("batch-1")).await;
    assert_eq!((status, again["id"].as_str()), (200, Some(id.as_str())));
    let (status, _) = l
        .claim(&policy, &CLAIM.replace("500", "501"), Some("batch-1"))
        .await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn the_report_downloads_as_csv_and_as_a_workbook_with_the_same_totals() {
    let l = ledger().await;
    let (_, id) = l.batch().await;
    let rep = l.report(&id).await;
    let (status, csv) = get_text(&l.app, &format!("/v1/reconciliations/{id}.csv"), &l.agency).await;
    assert_eq!(status, 200);
    assert!(
        csv.lines()
            .nth(2)
            .unwrap()
            .contains("capped,9000.00,6000.00,6000.00,3000.00"),
        "{csv}"
    );
    // The workbook opens, its amounts are numbers, and its totals match the JSON report.
    let r = l
        .app
        .client
        .get(l.app.url(&format!("/v1/reconciliations/{id}.xlsx")))
        .bearer_auth(&l.agency)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().await.unwrap().to_vec();
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    use calamine::{Data, Reader};
    let summary = wb.worksheet_range("Summary").unwrap();
    let lines_sheet = wb.worksheet_range("Lines").unwrap();
    let cell = |d: &Data| match d {
        Data::Float(f) => (f * 100.0).round() as i64,
        other => panic!("not a number: {other:?}"),
    };
    let rows: Vec<_> = lines_sheet.rows().skip(1).collect();
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[1][4], Data::String("capped".into()));
    for (col, key, summary_row) in [
        (5, "claimed", 5),
        (6, "computed", 6),
        (7, "approved", 7),
        (8, "difference", 8),
    ] {
        let sheet_sum: i64 = rows.iter().map(|r| cell(&r[col])).sum();
        let json_total = fen(&rep["totals"][key]);
        assert_eq!(sheet_sum, json_total, "{key}");
        assert_eq!(
            cell(summary.get((summary_row, 1)).unwrap()),
            json_total,
            "{key}"
        );
    }
}

#[tokio::test]
async fn another_agency_sees_nothing_of_a_batch() {
    let l = ledger().await;
    let (_, id) = l.batch().await;
    let (status, _) = l
        .app
        .get(&format!("/v1/reconciliations/{id}"), Some(&l.other))
        .await;
    assert_eq!(status, 404);
    let (_, list) = l.app.get("/v1/subsidy-claims", Some(&l.other)).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn approved_lines_count_against_later_claims_and_payment_follows_approval() {
    let l = ledger().await;
    let (policy, id) = l.batch().await;
    assert_eq!(
        l.decide(&id, "paid", &l.gov).await.0,
        409,
        "paid before approval"
    );
    assert_eq!(
        l.decide(&id, "approve", &l.agency).await.0,
        403,
        "the agency approves nothing"
    );
    let (status, a) = l.decide(&id, "approve", &l.gov).await;
    assert_eq!((status, &a["status"]), (200, &json!("approved")), "{a}");
    // A later claim overlapping G-1's approved half-year is a duplicate, and G-2's cap is used up.
    let later =
        "contract_no,from,to,claimed\nG-1,2026-03-01,2026-09-01,1\nG-2,2026-03-01,2026-04-01,1\n";
    let (_, b2) = l.claim(&policy, later, Some("batch-2")).await;
    let rep2 = l.report(b2["id"].as_str().unwrap()).await;
    assert_eq!(statuses(&rep2), ["duplicate", "duplicate"], "{rep2}");
    let (status, paid) = l.decide(&id, "paid", &l.gov).await;
    assert_eq!((status, paid["status"].as_str()), (200, Some("paid")));
}

/// Batch 1 approved and paid; G-5 (fee 2%) called on 2026-06-01 with 300,000 paid. The agency's id.
async fn monitored(l: &Ledger) -> String {
    let (_, id) = l.batch().await;
    assert_eq!(l.decide(&id, "approve", &l.gov).await.0, 200);
    assert_eq!(l.decide(&id, "paid", &l.gov).await.0, 200);
    let (status, g5) = l
        .app
        .post("/v1/guarantees", Some(&l.agency), &json!({
            "contract_no": "G-5", "firm_uscc": l.firms[0], "lender": "Bank A", "loan_amount": "500000",
            "guaranteed": "500000", "fee_rate": "0.02", "start_on": "2026-01-15", "end_on": "2027-01-15"}))
        .await;
    assert_eq!(status, 201, "{g5}");
    let g5 = g5["id"].as_str().unwrap();
    let (status, c) = l
        .app
        .post(
            &format!("/v1/guarantees/{g5}/call"),
            Some(&l.agency),
            &json!({"on": "2026-06-01", "compensation": "300000"}),
        )
        .await;
    assert_eq!(status, 200, "{c}");
    c["agency_id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn the_agencys_figures_flag_low_leverage_and_high_compensation() {
    let l = ledger().await;
    let agency_id = monitored(&l).await;
    let metrics = format!("/v1/guarantors/{agency_id}/metrics?from=2026-01-01&to=2027-01-01");
    let (_, m) = l.app.get(&metrics, Some(&l.agency)).await;
    assert!(
        m["flags"][0]
            .as_str()
            .unwrap()
            .starts_with("net_assets_missing"),
        "{m}"
    );
    let net_assets = format!("/v1/guarantors/{agency_id}/net-assets");
    let (status, _) = l
        .app
        .post(
            &net_assets,
            Some(&l.agency),
            &json!({"as_of": "2025-12-31", "net_assets": "1000000"}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = l
        .app
        .post(
            &net_assets,
            Some(&l.other),
            &json!({"as_of": "2025-12-31", "net_assets": "1"}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, m) = l.app.get(&metrics, Some(&l.gov)).await;
    assert_eq!(status, 200, "{m}");
    // In force on 2026-12-31: G-1 (1,000,000) and G-2 (1,600,000): leverage 2.6.
    assert_eq!(m["balance"], "2600000.00");
    assert_eq!(m["leverage"], "2.6");
    // Paid 300,000 on G-5 / ended in 2026: G-3 released (400,000) and G-5 called (500,000).
    assert_eq!(m["compensation_rate"], "0.3333");
    assert_eq!(m["subsidies_approved"], "8979.45");
    assert_eq!(m["subsidies_paid"], "8979.45");
    let flags: Vec<&str> = m["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(
        flags[0].starts_with("leverage_low") && flags[1].starts_with("compensation_high"),
        "{flags:?}"
    );
    assert_eq!(l.app.get(&metrics, Some(&l.other)).await.0, 404);
}

#[tokio::test]
async fn an_agency_reward_is_paid_on_the_average_balance_of_eligible_guarantees() {
    let l = ledger().await;
    let agency_id = monitored(&l).await;
    // 2% a year on the average balance of guarantees at a fee rate of at most 1.5%.
    let (status, rp) = l
        .app
        .post(
            "/v1/subsidy-policies",
            Some(&l.gov),
            &json!({
            "name": "reward", "window_from": "2025-01-01", "window_to": "2026-12-31",
            "formula": {"kind": "agency_reward", "rate": "0.02"}, "max_fee_rate": "0.015"}),
        )
        .await;
    assert_eq!(status, 201, "{rp}");
    let rid = rp["id"].as_str().unwrap();
    let (status, r) = l
        .app
        .get(
            &format!(
                "/v1/subsidy-policies/{rid}/rewards/{agency_id}?from=2026-01-01&to=2027-01-01"
            ),
            Some(&l.agency),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    // G-1 1,000,000 × 365 days + G-2 1,600,000 × 306 + G-3 400,000 × 90 (released) = 890,600,000 / 365
    assert_eq!(r["average_balance"], "2440000.00");
    assert_eq!(r["reward"], "48800.00");
    assert_eq!(r["eligible_contracts"], 3);
    assert_eq!(
        r["excluded"][0]["reason"],
        "fee rate 0.02, the policy allows at most 0.015"
    );
    // A reward policy is not claimed line by line.
    let line = "contract_no,from,to,claimed\nG-1,2026-01-01,2026-02-01,1\n";
    let (status, p) = l.claim(rid, line, None).await;
    assert_eq!(status, 422, "{p}");
    assert_eq!(
        field_rules(&p),
        vec![("policy_id".to_string(), "policy.kind".to_string())]
    );
}

async fn list_id(app: &TestApp, key: &str, no: &str) -> String {
    let (_, list) = app.get("/v1/guarantees", Some(key)).await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["contract_no"] == no)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn an_approved_guaranteed_loan_makes_the_guarantee_contract() {
    let app = spawn_app().await;
    let agency = app.key(Role::Guarantor, Some("Agency A"), None).await;
    let bank = app.key(Role::Bank, Some("Bank A"), None).await;
    let firm = app.register_firms(9, 1).await.remove(0);
    let firm_key = app.key(Role::Firm, None, Some(&firm)).await;
    let (_, scheme) = app
        .post("/v1/products", Some(&agency), &json!({
            "kind": "guarantee_scheme", "name": "scheme", "amount_min": "100000", "amount_max": "5000000",
            "term_min_months": 3, "term_max_months": 36, "fee_rate": "0.01", "coverage_ratio": "0.8",
            "valid_from": "2026-01-01"}))
        .await;
    let (status, product) = app
        .post("/v1/products", Some(&bank), &json!({
            "kind": "bank_loan", "subtype": "medium_long_term", "name": "guaranteed", "amount_min": "100000",
            "amount_max": "3000000", "term_min_months": 6, "term_max_months": 36, "rate_min": "0.035",
            "guarantee_scheme_id": scheme["id"], "valid_from": "2026-01-01"}))
        .await;
    assert_eq!(status, 201, "{product}");
    let (status, a) = app
        .post("/v1/applications", Some(&firm_key), &json!({
            "product_id": product["id"], "amount": "1000000", "term_months": 12, "confirm_consent": true}))
        .await;
    assert_eq!(status, 201, "{a}");
    let id = a["id"].as_str().unwrap();
    let (status, a) = app
        .post(
            &format!("/v1/applications/{id}/decision"),
            Some(&bank),
            &json!({"decision": "approve", "rate": "0.035", "amount": "900000"}),
        )
        .await;
    assert_eq!(status, 200, "{a}");
    let (_, list) = app.get("/v1/guarantees", Some(&agency)).await;
    let g = &list["items"][0];
    assert_eq!(g["contract_no"], format!("APP-{id}"));
    assert_eq!(g["application_id"], id);
    assert_eq!(g["firm_uscc"], firm);
    assert_eq!(g["lender"], "Bank A");
    assert_eq!(g["loan_amount"], "900000.00");
    assert_eq!(g["guaranteed"], "720000.00");
    assert_eq!(g["fee_rate"], "0.01");
    // The firm sees the contract made for it; the bank does not read it here.
    let path = format!("/v1/firms/{firm}/guarantees");
    let (status, mine) = app.get(&path, Some(&firm_key)).await;
    assert_eq!(status, 200, "{mine}");
    assert_eq!(mine["items"][0]["contract_no"], format!("APP-{id}"));
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    assert_eq!(app.get(&path, Some(&bank)).await.0, 403);
    let gov = app.gov_key().await;
    // A valid USCC of no registered firm: 404 naming it.
    let stranger = credithub::demo::demo_firm(99, 0).uscc;
    let (status, p) = app
        .get(&format!("/v1/firms/{stranger}/guarantees"), Some(&gov))
        .await;
    assert_eq!(status, 404, "{p}");
    assert!(p["detail"].as_str().unwrap().contains(&stranger), "{p}");
}

/// Issue 20 §7: a policy whose caps contradict each other is refused with every contradiction named,
/// and nothing is published.
#[tokio::test]
async fn contradictory_caps_are_refused_all_at_once() {
    let app = spawn_app().await;
    let gov = app.gov_key().await;
    let (status, body) = app
        .post(
            "/v1/subsidy-policies",
            Some(&gov),
            &json!({
            "name": "caps", "window_from": "2026-01-01", "window_to": "2026-12-31",
            "formula": {"kind": "share_of_fee", "share": "0.5"},
            "cap_per_contract": "60000", "cap_per_firm_year": "50000", "budget": "40000"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let rules = field_rules(&body);
    for want in [
        ("cap_per_contract", "caps.order"),
        ("cap_per_contract", "caps.budget"),
        ("cap_per_firm_year", "caps.budget"),
    ] {
        assert!(
            rules.contains(&(want.0.to_string(), want.1.to_string())),
            "{want:?} in {body}"
        );
    }
    let (_, list) = app.get("/v1/subsidy-policies", Some(&gov)).await;
    assert!(!list.to_string().contains("\"caps\""), "{list}");
}

/// Issue 20 §4: one reward policy with tiers (by loan band here; by size class too in the domain's
/// worked example of the 2012 measures): each guarantee in the first tier it fits, the reward per tier
/// and in total, and the total claimable.
#[tokio::test]
async fn a_tiered_agency_reward_is_split_by_tier() {
    let l = ledger().await;
    let agency_id = monitored(&l).await;
    let (status, rp) = l
        .app
        .post(
            "/v1/subsidy-policies",
            Some(&l.gov),
            &json!({
            "name": "tiered", "window_from": "2025-01-01", "window_to": "2026-12-31",
            "formula": {"kind": "agency_reward", "rate": "0.005"}, "max_fee_rate": "0.015",
            "reward_tiers": [
                {"label": "loans ≤ 1M", "max_loan": "1000000", "rate": "0.03"},
                {"label": "loans ≤ 2M", "max_loan": "2000000", "rate": "0.02"}]}),
        )
        .await;
    assert_eq!(status, 201, "{rp}");
    let rid = rp["id"].as_str().unwrap().to_string();
    let path =
        format!("/v1/subsidy-policies/{rid}/rewards/{agency_id}?from=2026-01-01&to=2027-01-01");
    let (status, r) = l.app.get(&path, Some(&l.agency)).await;
    assert_eq!(status, 200, "{r}");
    // G-1: loan 1,000,000 (exactly the first band), 1,000,000 × 365 days × 3% = 30,000.
    // G-3: loan 500,000, 400,000 × 90 days × 3% / 365 = 2,958.904…; the first tier: 32,958.90.
    // G-2: loan 2,000,000 (exactly the second band), 1,600,000 × 306 days × 2% / 365 = 26,827.397… → 26,827.40.
    // Total, rounded once: 59,786.301… → 59,786.30.
    let tiers = r["tiers"].as_array().unwrap();
    let row = |k: usize| {
        (
            tiers[k]["label"].as_str().unwrap().to_string(),
            tiers[k]["guarantees"].as_u64().unwrap(),
            tiers[k]["reward"].as_str().unwrap().to_string(),
        )
    };
    assert_eq!(row(0), ("loans ≤ 1M".into(), 2, "32958.90".into()));
    assert_eq!(row(1), ("loans ≤ 2M".into(), 1, "26827.40".into()));
    assert_eq!(row(2), ("rest".into(), 0, "0.00".into()));
    assert_eq!(r["reward"], "59786.30");
    let (status, c) = l
        .app
        .post(
            "/v1/reward-claims",
            Some(&l.agency),
            &json!({"policy_id": rid, "from": "2026-01-01", "to": "2027-01-01"}),
        )
        .await;
    assert_eq!(status, 201, "{c}");
    assert!(c.to_string().contains("59786.30"), "{c}");
    // A tier no guarantee can reach is refused, with its index.
    let (status, bad) = l
        .app
        .post(
            "/v1/subsidy-policies",
            Some(&l.gov),
            &json!({
            "name": "shadowed", "window_from": "2025-01-01", "window_to": "2026-12-31",
            "formula": {"kind": "agency_reward", "rate": "0.005"},
            "reward_tiers": [
                {"label": "all", "rate": "0.03"},
                {"label": "small", "size_classes": ["small"], "rate": "0.02"}]}),
        )
        .await;
    assert_eq!(status, 422, "{bad}");
    assert_eq!(
        field_rules(&bad),
        vec![(
            "reward_tiers[1]".to_string(),
            "tiers.unreachable".to_string()
        )]
    );
}
