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
    report_figures(&app, &gov, &uscc, last, "8", "30000.00").await;
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

/// The sources report `heads` insured people in `last` (social insurance) and `monthly` yuan invoiced in
/// each of the 12 months up to it (tax).
async fn report_figures(
    app: &common::TestApp,
    gov: &str,
    uscc: &str,
    last: Month,
    heads: &str,
    monthly: &str,
) {
    let headcount = json!([{"uscc": uscc, "kind": "insured_headcount", "period": last.to_string(), "value": heads}]);
    let revenue: Vec<_> = (0..12)
        .map(|k| json!({"uscc": uscc, "kind": "invoiced_revenue", "period": last.plus(-k).to_string(), "value": monthly}))
        .collect();
    for (source, rows) in [("social_insurance", headcount), ("tax", json!(revenue))] {
        let (s, r) = app
            .post(
                "/v1/signals",
                Some(gov),
                &json!({"source": source, "rows": rows}),
            )
            .await;
        assert_eq!(s, 201, "{r}");
    }
}

/// A decimal figure as the statistics serialise it (number or text).
fn dec(v: &serde_json::Value) -> rust_decimal::Decimal {
    let t = v.as_str().map_or_else(|| v.to_string(), str::to_string);
    t.parse().unwrap_or_else(|e| panic!("{v}: {e}"))
}

/// Issue 20 §8: public money pays on the class the borrower had for public money when its contract or
/// loan started (verified figures of the 12 months before, else the registry), not on the registry's
/// figures: the claim reconciliation, the agency reward's tiers and small/micro part, and the Art 17
/// statistics (fee and interest subsidies) all read it.
#[tokio::test]
async fn public_money_pays_on_the_verified_class_at_the_contract_start() {
    let app = spawn_app().await;
    let gov = app.gov_key().await;
    let agency = app.key(Role::Guarantor, Some("Agency A"), None).await;
    let bank = app.key(Role::Bank, Some("Bank A"), None).await;
    // X: medium by its registry figures, micro by the sources in 2025. Y: the other way round.
    let (x, y) = (
        demo_uscc(11, "310106").to_string(),
        demo_uscc(12, "310106").to_string(),
    );
    for (uscc, employees, revenue) in [(&x, 120, "25000000"), (&y, 8, "300000")] {
        let (s, b) = app
            .post(
                "/v1/firms",
                Some(&gov),
                &json!({"uscc": uscc, "name": format!("静安软件 {employees}"), "industry": "I6510",
                    "district": "jingan", "established_on": "2015-03-01", "registered_capital": "5000000",
                    "employees": employees, "revenue": revenue}),
            )
            .await;
        assert_eq!(s, 201, "{b}");
    }
    let dec2025 = Month::new(2025, 12).unwrap();
    for (uscc, heads, monthly) in [(&x, "8", "30000.00"), (&y, "150", "2000000.00")] {
        report_figures(&app, &gov, uscc, dec2025, heads, monthly).await;
    }
    // Today the sources hold nothing recent: eligibility now reads the registry (X medium) — but the
    // contracts below started in January 2026, when the 2025 figures were the verified ones.
    let (_, e) = app
        .get(&format!("/v1/firms/{x}/eligibility"), Some(&gov))
        .await;
    assert_eq!(e["size_class"], "medium", "{e}");

    for (no, uscc) in [("G-X", &x), ("G-Y", &y)] {
        let (s, g) = app
            .post("/v1/guarantees", Some(&agency), &json!({
                "contract_no": no, "firm_uscc": uscc, "lender": "Bank A", "loan_amount": "1000000",
                "guaranteed": "1000000", "fee_rate": "0.01", "start_on": "2026-01-01", "end_on": "2027-01-01"}))
            .await;
        assert_eq!(s, 201, "{g}");
    }
    let mut loans = Vec::new();
    for uscc in [&x, &y] {
        let (s, l) = app
            .post(
                "/v1/loans",
                Some(&bank),
                &json!({"firm_uscc": uscc, "amount": "1000000", "start_on": "2026-01-01",
                    "maturity_on": "2027-01-01", "interest_rate": "0.04"}),
            )
            .await;
        assert_eq!(s, 201, "{l}");
        loans.push(l);
    }
    // The loan keeps the class public money relied on when it was made.
    assert_eq!(loans[0]["size_class"], "micro", "{}", loans[0]);
    assert_eq!(loans[1]["size_class"], "medium", "{}", loans[1]);

    let small_only = json!([{"type": "size_class", "any_of": ["micro", "small"]}]);
    let publish = |body: serde_json::Value| {
        let (app, gov) = (&app, gov.clone());
        async move {
            let (s, p) = app.post("/v1/subsidy-policies", Some(&gov), &body).await;
            assert_eq!(s, 201, "{p}");
            p["id"].as_str().unwrap().to_string()
        }
    };
    let fee = publish(
        json!({"name": "小微担保费补贴", "window_from": "2025-01-01", "window_to": "2026-12-31",
        "rules": small_only, "formula": {"kind": "share_of_fee", "share": "0.5"}}),
    )
    .await;
    let interest = publish(
        json!({"name": "小微贴息", "window_from": "2025-01-01", "window_to": "2026-12-31",
        "rules": small_only, "formula": {"kind": "interest_subsidy", "rate": "0.01"}}),
    )
    .await;
    let reward = publish(
        json!({"name": "担保奖补", "window_from": "2025-01-01", "window_to": "2026-12-31",
        "formula": {"kind": "agency_reward", "rate": "0.005"},
        "reward_tiers": [{"label": "micro", "size_classes": ["micro"], "rate": "0.03"}]}),
    )
    .await;

    // Fee subsidy, Q1 2026 (90 days): X pays 0.5 × 1,000,000 × 0.01 × 90 / 365 = 1,232.876… → 1,232.88;
    // Y is refused for the class it had, whatever its registry says.
    let lines = |a: &str, b: &str| {
        json!([{"contract_no": a, "from": "2026-01-01", "to": "2026-04-01", "claimed": "1232.88"},
            {"contract_no": b, "from": "2026-01-01", "to": "2026-04-01", "claimed": "1232.88"}])
    };
    let (s, fb) = app
        .post(
            "/v1/subsidy-claims",
            Some(&agency),
            &json!({"policy_id": fee, "lines": lines("G-X", "G-Y")}),
        )
        .await;
    assert_eq!(s, 201, "{fb}");
    let report = |id: String, key: String| {
        let app = &app;
        async move {
            let (s, r) = app
                .get(&format!("/v1/reconciliations/{id}"), Some(&key))
                .await;
            assert_eq!(s, 200, "{r}");
            r
        }
    };
    let r = report(fb["id"].as_str().unwrap().into(), agency.clone()).await;
    let l = &r["lines"];
    assert_eq!(
        (l[0]["status"].as_str(), l[0]["approved"].as_str()),
        (Some("matched"), Some("1232.88")),
        "{r}"
    );
    assert_eq!(l[0]["size_class"], "micro", "{r}");
    assert_eq!(l[1]["status"], "ineligible", "{r}");
    assert!(l[1]["reason"].as_str().unwrap().contains("medium"), "{r}");

    // Interest subsidy, same quarter: 0.01 × 1,000,000 × 90 / 365 = 2,465.753… → 2,465.75 for X only.
    let (ix, iy) = (
        loans[0]["id"].as_str().unwrap(),
        loans[1]["id"].as_str().unwrap(),
    );
    let mut il = lines(ix, iy);
    for line in il.as_array_mut().unwrap() {
        line["claimed"] = json!("2465.75");
    }
    let (s, ib) = app
        .post(
            "/v1/subsidy-claims",
            Some(&bank),
            &json!({"policy_id": interest, "lines": il}),
        )
        .await;
    assert_eq!(s, 201, "{ib}");
    let r = report(ib["id"].as_str().unwrap().into(), bank.clone()).await;
    let l = &r["lines"];
    assert_eq!(
        (l[0]["status"].as_str(), l[0]["approved"].as_str()),
        (Some("matched"), Some("2465.75")),
        "{r}"
    );
    assert_eq!(l[1]["status"], "ineligible", "{r}");

    // The reward's tiers: X's guarantee in the micro tier (3% of 1,000,000 over all of 2026 = 30,000),
    // Y's at the formula's 0.5% (5,000); the small/micro part is X's.
    let (_, inst) = app.get("/v1/guarantees", Some(&agency)).await;
    let agency_id = inst["items"][0]["agency_id"].as_str().unwrap().to_string();
    let (s, rw) = app
        .get(
            &format!(
                "/v1/subsidy-policies/{reward}/rewards/{agency_id}?from=2026-01-01&to=2027-01-01"
            ),
            Some(&agency),
        )
        .await;
    assert_eq!(s, 200, "{rw}");
    assert_eq!(rw["reward"], "35000.00", "{rw}");
    assert_eq!(rw["small_micro"], "30000.00", "{rw}");
    assert_eq!(rw["tiers"][0]["label"], "micro");
    assert_eq!(rw["tiers"][0]["guarantees"], 1);
    assert_eq!(rw["tiers"][0]["reward"], "30000.00");
    // Monitoring (Art 28) counts the same way: half the amount guaranteed went to a small or micro firm.
    let (s, m) = app
        .get(
            &format!("/v1/guarantors/{agency_id}/metrics?from=2026-01-01&to=2027-01-01"),
            Some(&agency),
        )
        .await;
    assert_eq!(s, 200, "{m}");
    assert_eq!(
        dec(&m["small_micro_share_amount"]),
        "0.5".parse().unwrap(),
        "{m}"
    );

    // Art 17: approved, both batches count by the class on their lines, each kind in its row.
    for b in [&fb, &ib] {
        let (s, a) = app
            .post(
                &format!("/v1/subsidy-claims/{}/approve", b["id"].as_str().unwrap()),
                Some(&gov),
                &json!({}),
            )
            .await;
        assert_eq!(s, 200, "{a}");
    }
    let (s, st) = app.get("/v1/statistics/subsidies", Some(&gov)).await;
    assert_eq!(s, 200, "{st}");
    let figure = |k: &str| {
        dec(&st["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["key"] == k)
            .unwrap_or_else(|| panic!("{k} in {st}"))["value"])
    };
    let total: rust_decimal::Decimal = "3698.63".parse().unwrap();
    assert_eq!(figure("approved_all"), total);
    assert_eq!(figure("approved_small_micro"), total);
    let by_kind = st["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["key"] == "by_kind")
        .unwrap();
    let row = |kind: &str| {
        by_kind["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["keys"] == json!([kind, "approved"]))
            .unwrap_or_else(|| panic!("{kind} in {by_kind}"))["values"]
            .clone()
    };
    assert_eq!(dec(&row("fee_subsidy")[0]), "1232.88".parse().unwrap());
    assert_eq!(dec(&row("interest_subsidy")[0]), "2465.75".parse().unwrap());
}

/// A batch's classes (many firms: the figures read aggregated where they lie) are the eligibility
/// route's (one firm: a row per month), firm by firm, across micro, small and medium.
#[tokio::test]
async fn a_batch_classifies_as_the_route_does() {
    let app = spawn_app().await;
    let gov = app.gov_key().await;
    let last = Month::last_complete(chrono::Utc::now().date_naive());
    let mut usccs = Vec::new();
    for k in 0..12u64 {
        let uscc = demo_uscc(40 + k, "310104").to_string();
        // Registry: medium for all; sources: micro, small, medium in turn.
        let (s, b) = app
            .post(
                "/v1/firms",
                Some(&gov),
                &json!({"uscc": uscc, "name": format!("徐汇软件 {k}"), "industry": "I6510",
                    "district": "xuhui", "established_on": "2016-01-01", "registered_capital": "1000000",
                    "employees": 150, "revenue": "20000000"}),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        let (n, monthly) =
            [(5, "10000.00"), (50, "100000.00"), (150, "1000000.00")][k as usize % 3];
        report_figures(&app, &gov, &uscc, last, &n.to_string(), monthly).await;
        usccs.push(uscc);
    }
    let today = chrono::Utc::now().date_naive();
    let all = usccs.clone();
    let classes = app
        .db
        .run(move |c| {
            let days: Vec<_> = all.iter().map(|u| (u.clone(), today)).collect();
            let (_, classes) = credithub::financing::EligibleClasses::load(c, &days)?;
            Ok(all
                .iter()
                .map(|u| classes.on(u, today).map(|k| k.as_str().to_string()))
                .collect::<Vec<_>>())
        })
        .await
        .unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for (uscc, class) in usccs.iter().zip(classes) {
        let (s, e) = app
            .get(&format!("/v1/firms/{uscc}/eligibility"), Some(&gov))
            .await;
        assert_eq!(s, 200, "{e}");
        assert_eq!(class.as_deref(), e["size_class"].as_str(), "{uscc}: {e}");
        seen.insert(class.unwrap());
    }
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        ["medium", "micro", "small"]
    );
}
