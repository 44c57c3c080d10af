//! Issue 20: support policies as they are written. The real policies of DOMAIN §8a, published from the
//! files they ship as; offers priced with them (named, in yuan, exclusivity respected, a guarantee scheme
//! never an offer of its own); a bank's interest-subsidy claim reconciled line by line against an
//! independent computation here; once per firm; the claimant checks; the budget.

mod common;
use common::{field_rules, spawn_app};
use credithub::demo::demo_uscc;
use credithub::domain::role::Role;
use rust_decimal::prelude::*;
use serde_json::{json, Value};
use std::collections::HashMap;

/// `principal × rate × days / 365`, rounded once to the fen, half away from zero: the test's own sum.
fn interest(principal: i64, rate: &str, days: i64) -> String {
    let exact = Decimal::from(principal) * Decimal::from_str(rate).unwrap() * Decimal::from(days)
        / Decimal::from(365);
    format!(
        "{:.2}",
        exact.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
    )
}

fn names(items: &Value, key: &str) -> Vec<String> {
    items[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["policy_name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_real_policies_price_offers_and_reconcile_interest_claims() {
    let app = spawn_app().await;
    let gov = app.gov_key().await;

    // The six files of the four policies, published as they are.
    let mut ids: HashMap<&str, String> = HashMap::new();
    for (name, text) in credithub::domain::subsidy::SHIPPED {
        let body: Value = serde_json::from_str(text).unwrap();
        let (s, p) = app.post("/v1/subsidy-policies", Some(&gov), &body).await;
        assert_eq!(s, 201, "{name}: {p}");
        ids.insert(name, p["id"].as_str().unwrap().to_string());
    }
    let dalian = ids["dalian-jinpu-first-loan"].clone();

    // An agricultural micro firm in Pudong that never borrowed.
    let uscc = demo_uscc(11, "310115").to_string();
    let (s, f) = app
        .post(
            "/v1/firms",
            Some(&gov),
            &json!({"uscc": uscc, "name": "上海嘉禾农业发展有限公司", "industry": "A0141", "district": "pudong",
                "established_on": "2018-05-01", "registered_capital": "1000000", "employees": 6,
                "revenue": "800000", "total_assets": "900000"}),
        )
        .await;
    assert_eq!(s, 201, "{f}");
    let firm = app.key(Role::Firm, None, Some(&uscc)).await;
    let bank = app.key(Role::Bank, Some("申城银行 Bank A"), None).await;
    let agency = app
        .key(Role::Guarantor, Some("浦江担保 Agency P"), None)
        .await;

    // A first loan at a fixed 4%, and a loan relying on the municipal policy fund's scheme.
    let (s, scheme) = app
        .post(
            "/v1/products",
            Some(&agency),
            &json!({"kind": "guarantee_scheme", "name": "政策性融资担保 policy fund scheme", "amount_min": "100000",
                "amount_max": "5000000", "term_min_months": 3, "term_max_months": 36, "fee_rate": "0.01",
                "coverage_ratio": "0.8", "scheme_kind": "policy_fund", "valid_from": "2026-01-01"}),
        )
        .await;
    assert_eq!(s, 201, "{scheme}");
    for body in [
        json!({"kind": "bank_loan", "subtype": "first_loan", "name": "首贷 first loan", "amount_min": "100000",
            "amount_max": "3000000", "term_min_months": 6, "term_max_months": 24, "rate_min": "0.04",
            "valid_from": "2026-01-01", "rules": [{"type": "first_loan_only"}]}),
        json!({"kind": "bank_loan", "subtype": "credit_loan", "name": "担保贷 guaranteed loan", "amount_min": "100000",
            "amount_max": "3000000", "term_min_months": 6, "term_max_months": 24, "rate_min": "0.04",
            "guarantee_scheme_id": scheme["id"], "valid_from": "2026-01-01"}),
    ] {
        let (s, p) = app.post("/v1/products", Some(&bank), &body).await;
        assert_eq!(s, 201, "{p}");
    }
    // A product may no longer carry a subsidy of its own: subsidies are the policies'.
    let (s, p) = app
        .post(
            "/v1/products",
            Some(&bank),
            &json!({"kind": "bank_loan", "subtype": "credit_loan", "name": "x", "amount_min": "100000",
                "amount_max": "300000", "term_min_months": 6, "term_max_months": 24, "rate_min": "0.04",
                "interest_subsidy_rate": "0.01", "valid_from": "2026-01-01"}),
        )
        .await;
    assert_eq!(s, 422, "{p}");

    // 1,000,000 for 12 months from today: 365 days (the Dalian plan's one year; no 29 February in it).
    let (s, m) = app
        .get(
            &format!("/v1/firms/{uscc}/matches?amount=1000000&term_months=12"),
            Some(&firm),
        )
        .await;
    assert_eq!(s, 200, "{m}");
    let offers = m["offers"].as_array().unwrap();
    assert_eq!(offers.len(), 2, "two loans, no scheme on its own: {m}");
    assert!(offers
        .iter()
        .all(|o| o["product"]["kind"] != "guarantee_scheme"));
    let days = m["offers"][0]["cost"]["subsidies"][0]["days"]
        .as_i64()
        .unwrap();
    assert_eq!(days, 365);
    for o in offers {
        let c = &o["cost"];
        // The Dalian plan's 2% for agriculture: 2% × 1,000,000 × 365 / 365 = 20,000.00, named.
        assert_eq!(
            names(c, "subsidies"),
            ["大连金普新区首贷贴息 Dalian Jinpu New Area first-loan interest subsidy"],
            "{c}"
        );
        assert_eq!(
            c["subsidies"][0]["amount"],
            interest(1_000_000, "0.02", 365)
        );
        assert_eq!(c["subsidies"][0]["rate"], "0.02");
        assert_eq!(c["interest_subsidy"], "20000.00");
        assert_eq!(c["guarantee_fee_subsidy"], "0.00");
        // Beijing's interest subsidy (1%: 10,000) is forgone: the loan draws one first-loan support.
        let forgone = names(c, "forgone");
        assert!(
            forgone.iter().any(|n| n.starts_with("北京市首贷贴息")),
            "{c}"
        );
        assert!(c["forgone"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("first_loan_support"));
    }
    // With the scheme, Beijing's guarantee fee subsidy (50% × 1% × 800,000 = 4,000) is forgone too.
    let guaranteed = offers
        .iter()
        .find(|o| o["product"]["name"] == "担保贷 guaranteed loan")
        .unwrap();
    assert!(names(&guaranteed["cost"], "forgone")
        .iter()
        .any(|n| n.starts_with("北京市首贷担保费补贴")));
    assert_eq!(guaranteed["cost"]["scheme"]["kind"], "policy_fund");
    assert_eq!(guaranteed["cost"]["guarantee_fee"], "8000.00");

    // The bank lends 1,000,000 at 4.2% from 2026-07-01 and reports it; its first loan.
    let (s, loan) = app
        .post(
            "/v1/loans",
            Some(&bank),
            &json!({"firm_uscc": uscc, "amount": "1000000", "start_on": "2026-07-01",
                "maturity_on": "2028-07-01", "interest_rate": "0.042"}),
        )
        .await;
    assert_eq!(s, 201, "{loan}");
    let loan_id = loan["id"].as_str().unwrap().to_string();
    let (s, bad) = app
        .post(
            "/v1/loans",
            Some(&bank),
            &json!({"firm_uscc": uscc, "amount": "1000", "start_on": "2026-07-01",
                "maturity_on": "2027-07-01", "interest_rate": "4.2%"}),
        )
        .await;
    assert_eq!(s, 422, "{bad}");
    assert!(field_rules(&bad).contains(&("interest_rate".into(), "rate.range".into())));

    // It claims the interest subsidy for the third quarter: 92 days, 2% × 1,000,000 × 92 / 365.
    let q3 = interest(1_000_000, "0.02", 92);
    assert_eq!(q3, "5041.10");
    let claim = |lines: Value| json!({"policy_id": dalian, "lines": lines});
    let (s, b) = app
        .post(
            "/v1/subsidy-claims",
            Some(&bank),
            &claim(json!([
                {"contract_no": loan_id, "from": "2026-07-01", "to": "2026-10-01", "claimed": q3},
                {"contract_no": loan_id, "from": "2026-09-01", "to": "2026-10-01", "claimed": "100"},
                {"contract_no": "no-such-loan", "from": "2026-07-01", "to": "2026-10-01", "claimed": "1"},
            ])),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let batch = b["id"].as_str().unwrap().to_string();
    let (s, r) = app
        .get(&format!("/v1/reconciliations/{batch}"), Some(&bank))
        .await;
    assert_eq!(s, 200, "{r}");
    let lines = r["lines"].as_array().unwrap();
    let statuses: Vec<&str> = lines
        .iter()
        .map(|l| l["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["matched", "duplicate", "unknown_contract"],
        "{r}"
    );
    assert_eq!(lines[0]["computed"], q3.as_str());
    assert_eq!(lines[0]["days"], 92);
    assert_eq!(r["totals"]["approved"], q3.as_str());
    // The totals are the sums of the lines.
    let sum: Decimal = lines
        .iter()
        .map(|l| Decimal::from_str(l["claimed"].as_str().unwrap()).unwrap())
        .sum();
    assert_eq!(r["totals"]["claimed"], format!("{sum:.2}"));

    // An agency cannot claim an interest subsidy, nor a bank a fee subsidy.
    let (s, e) = app
        .post(
            "/v1/subsidy-claims",
            Some(&agency),
            &claim(json!([{"contract_no": loan_id, "from": "2026-07-01", "to": "2026-10-01", "claimed": "1"}])),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(
        field_rules(&e),
        [("policy_id".to_string(), "policy.claimant".to_string())]
    );
    let (s, e) = app
        .post(
            "/v1/subsidy-claims",
            Some(&bank),
            &json!({"policy_id": ids["beijing-first-loan-guarantee-fee"], "lines": [
                {"contract_no": "G-1", "from": "2026-07-01", "to": "2026-10-01", "claimed": "1"}]}),
        )
        .await;
    assert_eq!(s, 422, "{e}");

    // The government approves; the budget shows it committed, then paid, and forecasts the rest of the
    // subsidised year: 2026-10-01 to 2027-07-01 is 273 days (92 + 273 = 365).
    let (s, a) = app
        .post(
            &format!("/v1/subsidy-claims/{batch}/approve"),
            Some(&gov),
            &json!({}),
        )
        .await;
    assert_eq!(s, 200, "{a}");
    let budget = || {
        let (app, gov, dalian) = (&app, gov.clone(), dalian.clone());
        async move {
            let (s, b) = app
                .get(&format!("/v1/subsidy-policies/{dalian}/budget"), Some(&gov))
                .await;
            assert_eq!(s, 200, "{b}");
            b
        }
    };
    let b = budget().await;
    assert_eq!(b["committed"], q3.as_str());
    assert_eq!(b["paid"], "0.00");
    assert_eq!(b["forecast"], interest(1_000_000, "0.02", 273));
    assert_eq!(b["remaining"], "29994958.90");
    let (s, _) = app
        .post(
            &format!("/v1/subsidy-claims/{batch}/paid"),
            Some(&gov),
            &json!({}),
        )
        .await;
    assert_eq!(s, 200);
    let b = budget().await;
    assert_eq!(
        (b["committed"].as_str(), b["paid"].as_str()),
        (Some("0.00"), Some(q3.as_str()))
    );

    // Once per firm: its second loan (a renewal of sorts at another bank) is excluded, naming the first.
    let bank2 = app.key(Role::Bank, Some("沪东银行 Bank B"), None).await;
    let (s, l2) = app
        .post(
            "/v1/loans",
            Some(&bank2),
            &json!({"firm_uscc": uscc, "amount": "500000", "start_on": "2026-09-01",
                "maturity_on": "2027-09-01", "interest_rate": "0.04", "first_loan": true}),
        )
        .await;
    assert_eq!(s, 201, "{l2}");
    let (s, b2) = app
        .post(
            "/v1/subsidy-claims?dry_run=true",
            Some(&bank2),
            &claim(json!([{"contract_no": l2["id"], "from": "2026-09-01", "to": "2026-10-01", "claimed": "1"}])),
        )
        .await;
    assert_eq!(s, 200, "{b2}");
    let line = &b2["lines"][0];
    assert_eq!(line["status"], "excluded", "{b2}");
    assert!(
        line["reason"].as_str().unwrap().contains(&loan_id),
        "{line}"
    );

    // The firm's own offers now say the Dalian plan is drawn already.
    let (_, m) = app
        .get(
            &format!("/v1/firms/{uscc}/matches?amount=1000000&term_months=12"),
            Some(&firm),
        )
        .await;
    for o in m["offers"].as_array().unwrap() {
        assert!(
            !names(&o["cost"], "subsidies")
                .iter()
                .any(|n| n.starts_with("大连")),
            "{o}"
        );
    }
}
