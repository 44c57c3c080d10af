//! Financing over HTTP: banks and guarantee agencies publish products with typed eligibility rules; a firm
//! sees the ones it qualifies for ranked by all-in cost (guarantee fee and subsidies shown) and its near
//! misses explained; receivables confirmed by their debtor and IP assets back financing exactly once;
//! applications run submitted → approved → disbursed → repaid, each institution seeing only its own.
//! Both backends, both caches.

mod common;
use common::{field_rules, spawn_app, TestApp};
use credithub::clock::system::today_cst;
use credithub::domain::month::Month;
use credithub::domain::role::Role;
use serde_json::{json, Value};

const BANK_A: &str = "Bank A";
const BANK_B: &str = "Bank B";
const AGENCY: &str = "Agency G";

/// A firm with a stored profile (24 months of tax paid), and its key.
async fn firm(app: &TestApp, seed: u64) -> (String, String) {
    let u = app.register_firms(seed, 1).await.remove(0);
    let gov = app.gov_key().await;
    let rows: Vec<Value> = (0..24)
        .map(|i| {
            let period = Month::last_complete(today_cst()).plus(-i).to_string();
            json!({"uscc": u, "kind": "tax_paid", "period": period, "value": "900.00"})
        })
        .collect();
    let (status, run) = app
        .post(
            "/v1/signals",
            Some(&gov),
            &json!({"source": "tax", "rows": rows}),
        )
        .await;
    assert_eq!(status, 201, "{run}");
    let k = app.key(Role::Firm, None, Some(&u)).await;
    (u, k)
}

fn loan(name: &str, rate: &str, rules: Value) -> Value {
    json!({
        "kind": "bank_loan", "subtype": "credit_loan", "name": name,
        "amount_min": "100000", "amount_max": "3000000", "term_min_months": 6, "term_max_months": 36,
        "rate_min": rate, "valid_from": "2026-01-01", "rules": rules,
    })
}

async fn publish(app: &TestApp, key: &str, body: Value) -> String {
    let (status, p) = app.post("/v1/products", Some(key), &body).await;
    assert_eq!(status, 201, "{p}");
    p["id"].as_str().unwrap().to_string()
}

async fn matches(app: &TestApp, uscc: &str, key: &str, amount: &str) -> Value {
    let (status, m) = app
        .get(
            &format!("/v1/firms/{uscc}/matches?amount={amount}&term_months=12"),
            Some(key),
        )
        .await;
    assert_eq!(status, 200, "{m}");
    m
}

fn offer_names(m: &Value) -> Vec<String> {
    m["offers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["product"]["name"].as_str().unwrap().to_string())
        .collect()
}

fn near_miss<'a>(m: &'a Value, name: &str) -> &'a Value {
    m["near_misses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["product"]["name"] == name)
        .unwrap_or_else(|| panic!("{name} is not a near miss: {m}"))
}

#[tokio::test]
async fn publishing_checks_rules_kinds_and_ownership() {
    let app = spawn_app().await;
    let bank_a = app.key(Role::Bank, Some(BANK_A), None).await;
    let bank_b = app.key(Role::Bank, Some(BANK_B), None).await;
    let agency = app.key(Role::Guarantor, Some(AGENCY), None).await;

    // An unknown rule type, a bad parameter and a broken range: every fault named at once.
    let mut bad = loan(
        "bad",
        "0.5",
        json!([{"type": "min_turnover", "amount": "1"}, {"type": "min_score", "score": 950}]),
    );
    bad["amount_max"] = json!("10");
    let (status, p) = app.post("/v1/products", Some(&bank_a), &bad).await;
    assert_eq!(status, 422, "{p}");
    let rules = field_rules(&p);
    for want in [
        ("rules[0].type", "rule.unknown_type"),
        ("rules[1]", "score.range"),
        ("amount_max", "range.order"),
        ("rate_min", "rate.range"),
    ] {
        assert!(
            rules.contains(&(want.0.into(), want.1.into())),
            "{want:?} in {rules:?}"
        );
    }
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("'min_turnover' is not a rule type"),
        "{p}"
    );

    // Banks lend, agencies guarantee.
    let scheme = json!({
        "kind": "guarantee_scheme", "name": "scheme", "amount_min": "100000", "amount_max": "5000000",
        "term_min_months": 3, "term_max_months": 36, "fee_rate": "0.01", "coverage_ratio": "0.8",
        "valid_from": "2026-01-01",
    });
    let (status, p) = app.post("/v1/products", Some(&bank_a), &scheme).await;
    assert_eq!(status, 422, "{p}");
    assert_eq!(
        field_rules(&p),
        vec![("kind".to_string(), "product.publisher".to_string())]
    );
    let (status, _) = app
        .post("/v1/products", Some(&agency), &loan("x", "0.04", json!([])))
        .await;
    assert_eq!(status, 422);
    let scheme_id = publish(&app, &agency, scheme).await;

    // A loan may rely on a guarantee scheme, not on another loan.
    let plain = publish(&app, &bank_a, loan("plain", "0.04", json!([]))).await;
    let mut relying = loan("relying", "0.04", json!([]));
    relying["guarantee_scheme_id"] = json!(plain);
    let (status, p) = app.post("/v1/products", Some(&bank_a), &relying).await;
    assert_eq!(status, 422, "{p}");
    assert_eq!(field_rules(&p)[0].1, "scheme.kind");
    relying["guarantee_scheme_id"] = json!(scheme_id);
    let relying_id = publish(&app, &bank_a, relying.clone()).await;

    // Public read; only the publisher changes or withdraws.
    let (status, list) = app.get("/v1/products?kind=bank_loan", None).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    relying["rate_min"] = json!("0.039");
    let (status, p) = app
        .send_json(
            reqwest::Method::PUT,
            &format!("/v1/products/{relying_id}"),
            Some(&bank_b),
            &relying,
        )
        .await;
    assert_eq!(status, 403, "{p}");
    let (status, p) = app
        .send_json(
            reqwest::Method::PUT,
            &format!("/v1/products/{relying_id}"),
            Some(&bank_a),
            &relying,
        )
        .await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["rate_min"], "0.039");
    let (status, _) = app
        .send_json(
            reqwest::Method::DELETE,
            &format!("/v1/products/{plain}"),
            Some(&bank_b),
            &json!({}),
        )
        .await;
    assert_eq!(status, 403);
    let (status, p) = app
        .send_json(
            reqwest::Method::DELETE,
            &format!("/v1/products/{plain}"),
            Some(&bank_a),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["status"], "withdrawn");
    let (_, list) = app.get("/v1/products?kind=bank_loan", None).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

/// A catalogue over one firm (`uscc`, `score`): a guarantee scheme for its size class and a loan relying on
/// it, a plain loan, a loan one point above its score (`picky`), one it misses by three rules (`far`),
/// receivable financing and an IP-pledge loan.
struct Market {
    app: TestApp,
    uscc: String,
    firm_key: String,
    score: i64,
}

async fn market() -> Market {
    let app = spawn_app().await;
    let bank = app.key(Role::Bank, Some(BANK_A), None).await;
    let agency = app.key(Role::Guarantor, Some(AGENCY), None).await;
    let (u, firm_key) = firm(&app, 61).await;
    let facts = matches(&app, &u, &firm_key, "500000").await["facts"].clone();
    let score = facts["score"].as_i64().expect("the firm has a profile");
    let size = facts["size_class"].as_str().unwrap().to_string();

    let scheme = publish(&app, &agency, json!({
        "kind": "guarantee_scheme", "name": "G scheme", "amount_min": "100000", "amount_max": "2000000",
        "term_min_months": 3, "term_max_months": 36, "fee_rate": "0.01", "coverage_ratio": "0.8",
        "valid_from": "2026-01-01",
        "rules": [{"type": "size_class", "any_of": [size]}],
    }))
    .await;
    // What public money pays is the policies': half of any guarantee fee, and 0.1% a year of interest on
    // loans through this scheme (a channel by scheme id).
    let gov = app.gov_key().await;
    for policy in [
        json!({"name": "half the fee", "window_from": "2026-01-01", "window_to": "2030-12-31",
            "formula": {"kind": "share_of_fee", "share": "0.5"}}),
        json!({"name": "scheme interest", "window_from": "2026-01-01", "window_to": "2030-12-31",
            "formula": {"kind": "interest_subsidy", "rate": "0.001"}, "channel": {"schemes": [scheme]}}),
    ] {
        let (status, p) = app.post("/v1/subsidy-policies", Some(&gov), &policy).await;
        assert_eq!(status, 201, "{p}");
    }
    let mut guaranteed = loan(
        "guaranteed",
        "0.0330",
        json!([{"type": "no_active_dishonesty"}]),
    );
    guaranteed["guarantee_scheme_id"] = json!(scheme);
    publish(&app, &bank, guaranteed).await;
    publish(
        &app,
        &bank,
        loan(
            "plain",
            "0.0360",
            json!([{"type": "min_score", "score": 300}]),
        ),
    )
    .await;
    publish(
        &app,
        &bank,
        loan(
            "picky",
            "0.0300",
            json!([{"type": "min_score", "score": score + 1}]),
        ),
    )
    .await;
    publish(
        &app,
        &bank,
        loan(
            "far",
            "0.0300",
            json!([
        {"type": "min_score", "score": 900}, {"type": "min_years_in_operation", "years": 100},
        {"type": "designation", "any_of": ["little_giant"]}]),
        ),
    )
    .await;
    publish(&app, &bank, json!({
        "kind": "receivable_financing", "name": "receivables", "amount_min": "10000", "amount_max": "1000000",
        "term_min_months": 1, "term_max_months": 12, "rate_min": "0.0380", "advance_ratio": "0.8",
        "valid_from": "2026-01-01", "rules": [{"type": "confirmed_receivables"}],
    }))
    .await;
    publish(&app, &bank, json!({
        "kind": "ip_pledge", "name": "patents", "amount_min": "10000", "amount_max": "1000000",
        "term_min_months": 1, "term_max_months": 36, "rate_min": "0.0390", "loan_to_value": "0.5",
        "valid_from": "2026-01-01", "rules": [{"type": "appraised_ip"}],
    }))
    .await;

    Market {
        app,
        uscc: u,
        firm_key,
        score,
    }
}

impl Market {
    async fn matches(&self, amount: &str) -> Value {
        matches(&self.app, &self.uscc, &self.firm_key, amount).await
    }
}

#[tokio::test]
async fn matches_rank_by_all_in_cost_with_every_component_shown() {
    let mk = market().await;
    let m = mk.matches("500000").await;
    // guaranteed: 0.033 + 0.01 × 0.8 − 0.004 − 0.001 = 0.036, tied with plain (0.036), ahead by id. The
    // scheme is part of the guaranteed loan, never an offer of its own.
    assert_eq!(offer_names(&m), ["guaranteed", "plain"], "{m}");
    let g = &m["offers"][0]["cost"];
    assert_eq!(g["interest_rate"], "0.033");
    assert_eq!(g["guarantee_fee_rate"], "0.008");
    assert_eq!(g["interest"], "16500.00");
    assert_eq!(g["guarantee_fee"], "4000.00");
    assert_eq!(g["scheme"]["name"], "G scheme");
    // The policies pay by the days of the next 12 months (365, or 366 over a 29 February):
    // half the fee 50% × 1% × 400,000 × d / 365, interest 0.1% × 500,000 × d / 365.
    let days = g["subsidies"][0]["days"].as_i64().unwrap();
    let yuan = |x: i64| {
        format!(
            "{:.2}",
            (rust_decimal::Decimal::from(x * days) / rust_decimal::Decimal::from(365))
                .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        )
    };
    assert_eq!(g["guarantee_fee_subsidy"], yuan(2_000));
    assert_eq!(g["interest_subsidy"], yuan(500));
    let named: Vec<&str> = g["subsidies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["policy_name"].as_str().unwrap())
        .collect();
    assert_eq!(named, ["half the fee", "scheme interest"]);
    if days == 365 {
        assert_eq!(g["guarantee_fee_subsidy_rate"], "0.004");
        assert_eq!(g["interest_subsidy_rate"], "0.001");
        assert_eq!(g["all_in_rate"], "0.036");
        assert_eq!(g["all_in_total"], "18000.00");
    }
    // The plain loan relies on no scheme: no fee subsidy, and the scheme-only interest subsidy is not its.
    assert_eq!(m["offers"][1]["cost"]["subsidies"], json!([]));
}

#[tokio::test]
async fn near_misses_say_each_rule_missed_and_far_misses_are_only_counted() {
    let mk = market().await;
    let m = mk.matches("500000").await;
    let score = mk.score;
    assert_eq!(
        near_miss(&m, "picky")["failed"][0]["message"],
        format!("score {score}, needs {}", score + 1)
    );
    assert_eq!(
        near_miss(&m, "receivables")["failed"][0]["message"],
        "confirmed receivables 0.00 yuan × advance 0.8 = 0.00 yuan, needs 500000.00"
    );
    assert!(m["near_misses"]
        .as_array()
        .unwrap()
        .iter()
        .all(|n| n["product"]["name"] != "far"));
    assert_eq!(m["not_eligible"], 1);
    // Above the scheme's ceiling the guaranteed loan is a near miss that says so.
    let big = mk.matches("2500000").await;
    assert_eq!(
        near_miss(&big, "guaranteed")["failed"][0]["message"],
        "asks 2500000.00 yuan, the guarantee scheme covers up to 2000000.00"
    );
}

#[tokio::test]
async fn a_confirmed_receivable_and_an_appraised_patent_bring_their_products_in() {
    let mk = market().await;
    let (app, u, firm_key) = (&mk.app, &mk.uscc, &mk.firm_key);
    let debtor = app.register_firms(62, 1).await.remove(0);
    let debtor_key = app.key(Role::Firm, None, Some(&debtor)).await;
    let due = (today_cst() + chrono::Duration::days(90)).to_string();
    let (status, r) = app
        .post("/v1/receivables", Some(firm_key), &json!({"debtor_uscc": debtor, "invoice_no": "INV-1", "amount": "700000", "due_on": due}))
        .await;
    assert_eq!(status, 201, "{r}");
    let rid = r["id"].as_str().unwrap();
    // Only the debtor answers: to the creditor itself the receivable is not there to confirm.
    let confirm = format!("/v1/receivables/{rid}/confirm");
    assert_eq!(app.post(&confirm, Some(firm_key), &json!({})).await.0, 404);
    let (status, r) = app.post(&confirm, Some(&debtor_key), &json!({})).await;
    assert_eq!((status, &r["status"]), (200, &json!("confirmed")), "{r}");
    let (status, _) = app
        .post(
            &format!("/v1/receivables/{rid}/dispute"),
            Some(&debtor_key),
            &json!({"reason": "x"}),
        )
        .await;
    assert_eq!(
        status, 409,
        "a confirmed receivable is not disputed afterwards"
    );
    let (status, lat) = app
        .get(
            &format!("/v1/debtors/{debtor}/confirmation-latency"),
            Some(&debtor_key),
        )
        .await;
    assert_eq!((status, &lat["decided"]), (200, &json!(1)), "{lat}");
    let (status, a) = app
        .post("/v1/ip-assets", Some(firm_key), &json!({"kind": "patent", "number": "ZL202310000001.1", "title": "a valve", "appraised_value": "1200000", "appraised_on": "2026-06-30"}))
        .await;
    assert_eq!(status, 201, "{a}");
    let m = matches(app, u, firm_key, "500000").await;
    assert_eq!(
        offer_names(&m),
        ["guaranteed", "plain", "receivables", "patents"],
        "{m}"
    );
    assert_eq!(m["facts"]["confirmed_receivables"], "700000.00");
    assert_eq!(m["facts"]["unpledged_ip_value"], "1200000.00");
    // 700,000 × 0.8 = 560,000 covers 500,000, not 600,000.
    let m = matches(app, u, firm_key, "600000").await;
    assert_eq!(
        near_miss(&m, "receivables")["failed"][0]["message"],
        "confirmed receivables 700000.00 yuan × advance 0.8 = 560000.00 yuan, needs 600000.00"
    );
}

#[tokio::test]
async fn another_firm_cannot_read_the_matches_and_bad_input_is_named() {
    let mk = market().await;
    let (app, u) = (&mk.app, &mk.uscc);
    let (_, other_key) = firm(app, 63).await;
    let (status, _) = app
        .get(
            &format!("/v1/firms/{u}/matches?amount=1&term_months=12"),
            Some(&other_key),
        )
        .await;
    assert_eq!(status, 403);
    let (status, p) = app
        .get(
            &format!("/v1/firms/{u}/matches?amount=1.001&term_months=0"),
            Some(&mk.firm_key),
        )
        .await;
    assert_eq!(status, 422);
    let rules = field_rules(&p);
    assert!(
        rules.contains(&("amount".into(), "money.precision".into())),
        "{rules:?}"
    );
    assert!(
        rules.contains(&("term_months".into(), "term.range".into())),
        "{rules:?}"
    );
}

async fn apply(app: &TestApp, key: &str, body: Value) -> (u16, Value) {
    app.post("/v1/applications", Some(key), &body).await
}

/// Bank A's first-loan product and another, bank B, the government and one firm that has had no loan.
struct Desk {
    app: TestApp,
    bank_a: String,
    bank_b: String,
    gov: String,
    uscc: String,
    firm_key: String,
    first: String,
    other: String,
}

async fn desk() -> Desk {
    let app = spawn_app().await;
    let bank_a = app.key(Role::Bank, Some(BANK_A), None).await;
    let bank_b = app.key(Role::Bank, Some(BANK_B), None).await;
    let gov = app.gov_key().await;
    let (uscc, firm_key) = firm(&app, 71).await;
    let first = publish(&app, &bank_a, {
        let mut l = loan("first loan", "0.0350", json!([{"type": "first_loan_only"}]));
        l["subtype"] = json!("first_loan");
        l["rate_max"] = json!("0.0450");
        l
    })
    .await;
    let other = publish(&app, &bank_a, loan("other", "0.0400", json!([]))).await;
    Desk {
        app,
        bank_a,
        bank_b,
        gov,
        uscc,
        firm_key,
        first,
        other,
    }
}

impl Desk {
    /// The firm applies for 500,000 over 12 months, confirming the consent.
    async fn applied(&self, product: &str) -> Value {
        let (status, a) = apply(&self.app, &self.firm_key, json!({"product_id": product, "amount": "500000", "term_months": 12, "confirm_consent": true})).await;
        assert_eq!(status, 201, "{a}");
        a
    }

    async fn act(&self, id: &str, step: &str, key: &str, body: Value) -> (u16, Value) {
        self.app
            .post(&format!("/v1/applications/{id}/{step}"), Some(key), &body)
            .await
    }

    fn profile(&self) -> String {
        format!("/v1/firms/{}/profile?purpose=credit_assessment", self.uscc)
    }
}

#[tokio::test]
async fn an_ineligible_application_names_the_rule_it_fails() {
    let d = desk().await;
    let (status, p) = apply(
        &d.app,
        &d.firm_key,
        json!({"product_id": d.first, "amount": "5000000", "term_months": 12}),
    )
    .await;
    assert_eq!(status, 422, "{p}");
    assert_eq!(
        field_rules(&p),
        vec![("product_id".to_string(), "eligibility.amount".to_string())]
    );
}

#[tokio::test]
async fn an_application_spells_out_the_consent_it_needs_until_the_firm_confirms_it() {
    let d = desk().await;
    let (status, p) = apply(
        &d.app,
        &d.firm_key,
        json!({"product_id": d.first, "amount": "500000", "term_months": 12}),
    )
    .await;
    assert_eq!(status, 422, "{p}");
    assert_eq!(field_rules(&p)[0].1, "consent.confirm");
    assert!(p["detail"].as_str().unwrap().contains("Bank A"), "{p}");
    assert_eq!(d.app.get(&d.profile(), Some(&d.bank_a)).await.0, 403);
}

#[tokio::test]
async fn applying_grants_the_lender_a_consent_and_no_one_else() {
    let d = desk().await;
    let a = d.applied(&d.first).await;
    assert_eq!(a["status"], "submitted");
    assert_eq!(a["first_loan"], true);
    assert_eq!(a["credit_loan"], true);
    assert_eq!(d.app.get(&d.profile(), Some(&d.bank_a)).await.0, 200);
    assert_eq!(d.app.get(&d.profile(), Some(&d.bank_b)).await.0, 403);
}

#[tokio::test]
async fn another_bank_sees_nothing_of_an_application_and_the_firm_cannot_decide_it() {
    let d = desk().await;
    let id = d.applied(&d.first).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, inbox_b) = d.app.get("/v1/applications", Some(&d.bank_b)).await;
    assert_eq!(inbox_b["items"].as_array().unwrap().len(), 0);
    assert_eq!(
        d.app
            .get(&format!("/v1/applications/{id}"), Some(&d.bank_b))
            .await
            .0,
        404
    );
    let approve = json!({"decision": "approve", "rate": "0.0380"});
    assert_eq!(
        d.act(&id, "decision", &d.bank_b, approve.clone()).await.0,
        404
    );
    let (_, inbox_a) = d
        .app
        .get("/v1/applications?status=submitted", Some(&d.bank_a))
        .await;
    assert_eq!(inbox_a["items"].as_array().unwrap().len(), 1);
    let (_, all) = d.app.get("/v1/applications", Some(&d.gov)).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 1);
    assert_eq!(d.act(&id, "decision", &d.firm_key, approve).await.0, 403);
}

#[tokio::test]
async fn a_rate_outside_the_product_is_refused_and_nothing_is_disbursed_before_approval() {
    let d = desk().await;
    let id = d.applied(&d.first).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, p) = d
        .act(
            &id,
            "decision",
            &d.bank_a,
            json!({"decision": "approve", "rate": "0.0600"}),
        )
        .await;
    assert_eq!(status, 422, "{p}");
    assert_eq!(
        field_rules(&p),
        vec![("rate".to_string(), "rate.range".to_string())]
    );
    assert_eq!(
        d.act(&id, "disbursement", &d.bank_a, json!({})).await.0,
        409
    );
}

#[tokio::test]
async fn an_approved_loan_is_disbursed_repaid_in_full_and_ends_the_first_loan_offer() {
    let d = desk().await;
    let id = d.applied(&d.first).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, a) = d
        .act(
            &id,
            "decision",
            &d.bank_a,
            json!({"decision": "approve", "rate": "0.0380", "amount": "400000"}),
        )
        .await;
    assert_eq!(status, 200, "{a}");
    assert_eq!(a["status"], "approved");
    assert_eq!(a["approved_amount"], "400000.00");
    let (status, a) = d.act(&id, "disbursement", &d.bank_a, json!({})).await;
    assert_eq!((status, &a["status"]), (200, &json!("disbursed")), "{a}");
    let (status, p) = d
        .act(&id, "repayments", &d.bank_a, json!({"amount": "400000.01"}))
        .await;
    assert_eq!(status, 422, "more than is outstanding: {p}");
    for amount in ["150000", "250000"] {
        let (status, a) = d
            .act(&id, "repayments", &d.bank_a, json!({"amount": amount}))
            .await;
        assert_eq!(status, 200, "{a}");
    }
    let (_, a) = d
        .app
        .get(&format!("/v1/applications/{id}"), Some(&d.firm_key))
        .await;
    assert_eq!(a["status"], "repaid");
    let kinds: Vec<&str> = a["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "submitted",
            "approved",
            "disbursed",
            "repayment",
            "repayment"
        ]
    );
    // The firm reads its own loans; the lender and the government side read them elsewhere or here.
    let path = format!("/v1/firms/{}/loans", d.uscc);
    let (status, loans) = d.app.get(&path, Some(&d.firm_key)).await;
    assert_eq!(status, 200, "{loans}");
    let l = &loans["items"][0];
    assert_eq!(
        (
            loans["items"].as_array().unwrap().len(),
            l["status"].as_str(),
            l["amount"].as_str()
        ),
        (1, Some("repaid"), Some("400000.00"))
    );
    assert_eq!(
        (l["outstanding"].as_str(), l["application_id"].as_str()),
        (Some("0.00"), Some(id.as_str()))
    );
    assert_eq!(d.app.get(&path, Some(&d.gov)).await.0, 200);
    let (status, p) = d.app.get(&path, Some(&d.bank_a)).await;
    assert_eq!(status, 403, "{p}");
    let unknown = d.app.register_firms(72, 1).await.remove(0);
    let (status, none) = d
        .app
        .get(&format!("/v1/firms/{unknown}/loans"), Some(&d.gov))
        .await;
    assert_eq!(
        (status, none["items"].as_array().map(|i| i.len())),
        (200, Some(0)),
        "{none}"
    );
    // Now the firm has had a loan: the first-loan product is a near miss that says why.
    let m = matches(&d.app, &d.uscc, &d.firm_key, "500000").await;
    assert_eq!(
        near_miss(&m, "first loan")["failed"][0]["message"],
        "has had a bank loan; first loans only"
    );
}

#[tokio::test]
async fn a_decline_needs_a_known_code_and_a_declined_application_cannot_be_withdrawn() {
    let d = desk().await;
    let b = d.applied(&d.other).await;
    let bid = b["id"].as_str().unwrap();
    assert_eq!(b["first_loan"], true, "the firm has had no loan yet");
    let (status, _) = d
        .act(
            bid,
            "decision",
            &d.bank_a,
            json!({"decision": "decline", "code": "dislike"}),
        )
        .await;
    assert_eq!(status, 422);
    let (status, b) = d
        .act(bid, "decision", &d.bank_a, json!({"decision": "decline", "code": "insufficient_repayment_capacity", "reason": "cash flow"}))
        .await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(b["decline_code"], "insufficient_repayment_capacity");
    assert_eq!(d.act(bid, "withdraw", &d.firm_key, json!({})).await.0, 409);
}

#[tokio::test]
async fn a_receivable_and_a_patent_back_financing_only_once() {
    let app = spawn_app().await;
    let bank = app.key(Role::Bank, Some(BANK_A), None).await;
    let (u, firm_key) = firm(&app, 81).await;
    let debtor = app.register_firms(82, 1).await.remove(0);
    let debtor_key = app.key(Role::Firm, None, Some(&debtor)).await;
    let rf = publish(&app, &bank, json!({
        "kind": "receivable_financing", "name": "receivables", "amount_min": "10000", "amount_max": "1000000",
        "term_min_months": 1, "term_max_months": 12, "rate_min": "0.0380", "advance_ratio": "0.8",
        "valid_from": "2026-01-01", "rules": [{"type": "confirmed_receivables"}],
    }))
    .await;
    let ip = publish(&app, &bank, json!({
        "kind": "ip_pledge", "name": "patents", "amount_min": "10000", "amount_max": "1000000",
        "term_min_months": 1, "term_max_months": 36, "rate_min": "0.0390", "loan_to_value": "0.5",
        "valid_from": "2026-01-01", "rules": [{"type": "appraised_ip"}],
    }))
    .await;
    let due = (today_cst() + chrono::Duration::days(60)).to_string();
    let (_, r) = app
        .post("/v1/receivables", Some(&firm_key), &json!({"debtor_uscc": debtor, "invoice_no": "INV-9", "amount": "500000", "due_on": due}))
        .await;
    let rid = r["id"].as_str().unwrap().to_string();
    let (status, _) = app
        .post(
            "/v1/receivables",
            Some(&firm_key),
            &json!({"debtor_uscc": debtor, "invoice_no": "INV-9", "amount": "1", "due_on": due}),
        )
        .await;
    assert_eq!(status, 409, "the same invoice twice");
    // Unconfirmed: it backs nothing.
    let (status, p) = apply(
        &app,
        &firm_key,
        json!({"product_id": rf, "amount": "300000", "term_months": 6, "confirm_consent": true}),
    )
    .await;
    assert_eq!(status, 422, "{p}");
    assert_eq!(field_rules(&p)[0].1, "eligibility.confirmed_receivables");
    app.post(
        &format!("/v1/receivables/{rid}/confirm"),
        Some(&debtor_key),
        &json!({}),
    )
    .await;
    let (_, pat) = app
        .post("/v1/ip-assets", Some(&firm_key), &json!({"kind": "patent", "number": "ZL1", "title": "t", "appraised_value": "800000", "appraised_on": "2026-03-01"}))
        .await;
    let pid = pat["id"].as_str().unwrap().to_string();

    // Two applications on the same receivable (and two on the same patent), both approved.
    let mut ids = Vec::new();
    for (product, field, asset) in [
        (&rf, "receivable_ids", &rid),
        (&rf, "receivable_ids", &rid),
        (&ip, "ip_asset_ids", &pid),
        (&ip, "ip_asset_ids", &pid),
    ] {
        let (status, a) = apply(&app, &firm_key, json!({"product_id": product, "amount": "300000", "term_months": 6, field: [asset], "confirm_consent": true})).await;
        assert_eq!(status, 201, "{a}");
        assert_eq!(a["collateral"], json!([asset]));
        let id = a["id"].as_str().unwrap().to_string();
        let (status, a) = app
            .post(
                &format!("/v1/applications/{id}/decision"),
                Some(&bank),
                &json!({"decision": "approve", "rate": a["quoted_cost"]["interest_rate"]}),
            )
            .await;
        assert_eq!(status, 200, "{a}");
        ids.push(id);
    }
    for pair in ids.chunks(2) {
        let (status, a) = app
            .post(
                &format!("/v1/applications/{}/disbursement", pair[0]),
                Some(&bank),
                &json!({}),
            )
            .await;
        assert_eq!(status, 200, "{a}");
        let (status, p) = app
            .post(
                &format!("/v1/applications/{}/disbursement", pair[1]),
                Some(&bank),
                &json!({}),
            )
            .await;
        assert_eq!(status, 409, "{p}");
        assert!(
            p["detail"]
                .as_str()
                .unwrap()
                .contains("already financed or pledged"),
            "{p}"
        );
        // Nothing of the refused disbursement was kept.
        let (_, a) = app
            .get(&format!("/v1/applications/{}", pair[1]), Some(&bank))
            .await;
        assert_eq!(a["status"], "approved");
        assert_eq!(a["loan_id"], Value::Null);
    }
    let (_, list) = app.get("/v1/receivables", Some(&firm_key)).await;
    assert_eq!(list["items"][0]["financed_application_id"], ids[0].as_str());
    let (_, assets) = app.get("/v1/ip-assets", Some(&firm_key)).await;
    assert_eq!(assets["items"][0]["pledge_status"], "pledged");
    assert_eq!(
        assets["items"][0]["pledged_application_id"],
        ids[2].as_str()
    );
    // Financed and pledged: the firm has nothing left to back either product.
    let m = matches(&app, &u, &firm_key, "100000").await;
    assert_eq!(m["facts"]["confirmed_receivables"], "0.00");
    assert_eq!(m["facts"]["unpledged_ip_value"], "0.00");
}

#[tokio::test]
async fn designations_and_renewals_from_reported_loans() {
    let app = spawn_app().await;
    let bank = app.key(Role::Bank, Some(BANK_A), None).await;
    let gov = app.gov_key().await;
    let (u, firm_key) = firm(&app, 91).await;
    let mut renewal = loan(
        "renewal",
        "0.0370",
        json!([
            {"type": "loan_maturing_within", "days": 60},
            {"type": "designation", "any_of": ["specialised_innovative", "high_tech"]},
        ]),
    );
    renewal["subtype"] = json!("renewal");
    publish(&app, &bank, renewal).await;
    let m = matches(&app, &u, &firm_key, "500000").await;
    let failed = near_miss(&m, "renewal")["failed"].clone();
    assert_eq!(
        failed[0]["message"],
        "no outstanding loan, needs one maturing within 60 days"
    );
    assert_eq!(
        failed[1]["message"],
        "designations none, needs specialised_innovative / high_tech"
    );

    let (status, d) = app
        .send_json(reqwest::Method::PUT, &format!("/v1/firms/{u}/designations"), Some(&gov), &json!({"items": [{"designation": "high_tech", "granted_on": "2025-01-01"}, {"designation": "unicorn", "granted_on": "2025-01-01"}]}))
        .await;
    assert_eq!(status, 422, "{d}");
    assert_eq!(
        field_rules(&d),
        vec![(
            "items[1].designation".to_string(),
            "designation.unknown".to_string()
        )]
    );
    let (status, d) = app
        .send_json(
            reqwest::Method::PUT,
            &format!("/v1/firms/{u}/designations"),
            Some(&gov),
            &json!({"items": [{"designation": "high_tech", "granted_on": "2025-01-01"}]}),
        )
        .await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["in_force"], json!(["high_tech"]));
    let (status, _) = app
        .send_json(
            reqwest::Method::PUT,
            &format!("/v1/firms/{u}/designations"),
            Some(&firm_key),
            &json!({"items": []}),
        )
        .await;
    assert_eq!(status, 403, "a firm does not designate itself");
    let start = (today_cst() - chrono::Duration::days(300)).to_string();
    let maturity = (today_cst() + chrono::Duration::days(30)).to_string();
    let (status, l) = app
        .post("/v1/loans", Some(&bank), &json!({"firm_uscc": u, "amount": "800000", "start_on": start, "maturity_on": maturity}))
        .await;
    assert_eq!(status, 201, "{l}");
    let m = matches(&app, &u, &firm_key, "500000").await;
    assert_eq!(offer_names(&m), ["renewal"], "{m}");
    assert_eq!(m["facts"]["days_to_nearest_maturity"], 30);
}

#[tokio::test]
async fn reported_loans_are_listed_for_their_bank_and_the_government() {
    let app = spawn_app().await;
    let bank = app.key(Role::Bank, Some(BANK_A), None).await;
    let other = app.key(Role::Bank, Some("Bank B"), None).await;
    let gov = app.gov_key().await;
    let (u, firm_key) = firm(&app, 92).await;
    // A second firm (the registry's demo codes depend on the index, not the seed).
    let v = app.register_firms(93, 2).await.remove(1);
    assert_ne!(u, v);
    let start = (today_cst() - chrono::Duration::days(100)).to_string();
    let maturity = (today_cst() + chrono::Duration::days(200)).to_string();
    for (key, f, amount) in [
        (&bank, &u, "800000"),
        (&bank, &v, "300000"),
        (&other, &u, "100000"),
    ] {
        let (status, l) = app
            .post("/v1/loans", Some(key), &json!({"firm_uscc": f, "amount": amount, "start_on": start, "maturity_on": maturity}))
            .await;
        assert_eq!(status, 201, "{l}");
    }
    let amounts = |v: &Value| -> Vec<String> {
        let mut a: Vec<String> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["amount"].as_str().unwrap().to_string())
            .collect();
        a.sort();
        a
    };
    // A bank its own; the other bank its one; the government all, or one firm's.
    let (status, mine) = app.get("/v1/loans", Some(&bank)).await;
    assert_eq!(status, 200, "{mine}");
    assert_eq!(amounts(&mine), ["300000.00", "800000.00"]);
    let (_, theirs) = app.get("/v1/loans", Some(&other)).await;
    assert_eq!(amounts(&theirs), ["100000.00"]);
    let (_, all) = app
        .get(&format!("/v1/loans?firm_uscc={u}"), Some(&gov))
        .await;
    assert_eq!(amounts(&all), ["100000.00", "800000.00"]);
    let (_, open) = app
        .get("/v1/loans?status=outstanding&limit=2", Some(&gov))
        .await;
    assert_eq!(open["items"].as_array().unwrap().len(), 2);
    // Paged: the cursor brings the third.
    let cursor = open["next_cursor"].as_str().unwrap();
    let (_, next) = app
        .get(
            &format!("/v1/loans?status=outstanding&limit=2&cursor={cursor}"),
            Some(&gov),
        )
        .await;
    assert_eq!(next["items"].as_array().unwrap().len(), 1);
    assert!(next["next_cursor"].is_null());
    // Bad filters are named; a firm reads its own elsewhere.
    let (status, bad) = app
        .get("/v1/loans?status=late&firm_uscc=123", Some(&gov))
        .await;
    assert_eq!(status, 422, "{bad}");
    let fields: Vec<String> = field_rules(&bad).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["firm_uscc", "status"]);
    let (status, _) = app.get("/v1/loans", Some(&firm_key)).await;
    assert_eq!(status, 403);
}
