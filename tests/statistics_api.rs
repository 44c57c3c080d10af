//! Issue 18: the government's statistics and the yearly report, through the API and the CLI, on
//! hand-made data whose figures are worked out in the comments.

mod common;

use chrono::Datelike;
use common::{field_rules, figure, figure_value as value, spawn_app, TestApp};
use credithub::clock::system::today_cst;
use credithub::demo::demo_uscc;
use credithub::domain::role::Role;
use serde_json::{json, Value};

/// Last year: every day of it is over, so balances and months are complete.
fn year() -> i32 {
    today_cst().year() - 1
}

fn day(y: i32, m: u32, d: u32) -> String {
    format!("{y:04}-{m:02}-{d:02}")
}

/// Register a firm through the API: `employees` and `revenue` decide its class (software_it row:
/// 30 staff / 5,000,000 yuan is small; 120 / 25,000,000 is medium; 5 / 500,000 micro).
async fn firm(
    app: &TestApp,
    gov: &str,
    i: u64,
    employees: i64,
    revenue: &str,
    established: &str,
) -> String {
    let uscc = demo_uscc(i, "310115").to_string();
    let (status, body) = app
        .post(
            "/v1/firms",
            Some(gov),
            &json!({
                "uscc": uscc, "name": format!("统计测试企业{i}"), "industry": "I6510", "district": "pudong",
                "established_on": established, "registered_capital": "1000000",
                "employees": employees, "revenue": revenue, "total_assets": "1000000"
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    uscc
}

async fn loan(app: &TestApp, bank: &str, body: Value) -> String {
    let (status, l) = app.post("/v1/loans", Some(bank), &body).await;
    assert_eq!(status, 201, "{l}");
    l["id"].as_str().unwrap().to_string()
}

/// A small book at one bank over last year `Y`:
/// - L1: small firm S, 1,000,000, from Y-1-06-01 to Y-06-01; the bank reports it repaid on Y-06-01 (a
///   loan that matured inside the period: in the start balance, not in the end one).
/// - L2: medium firm M, 1,000,000 guaranteed, Y-1-07-01 to Y+1-07-01; renewed on Y-04-01 by L4.
/// - L3: small firm S2 (no loan before: a first loan), 500,000 credit, Y-03-01 to Y+1-09-01 (18 months:
///   medium/long term); reported at 400,000 on Y-09-30.
/// - L4: M, 1,000,000 guaranteed, Y-04-01 to Y+1-04-01 (12 months: short), renewing L2 without principal
///   repayment (L2 closes on Y-04-01).
/// - L5: medium firm M2 at another bank with a 12,000,000 credit line, 2,000,000 from Y-05-01: not inclusive
///   anyway (medium).
///
/// All loans, start (end of Y-1-12-31): L1 1,000,000 + L2 1,000,000 = 2,000,000. End (Y-12-31): L3
/// 400,000, L4 1,000,000 and L5 2,000,000 make 3,400,000: growth +70%. Inclusive (small/micro, line ≤ 10M): start L1
/// 1,000,000, end L3 400,000: −60%, below +70%: flagged (两增). Inclusive borrowers 1 (S) → 1 (S2): not
/// flagged. Granted in Y: L3, L4, L5 = 3,500,000; credit 500,000 / 3,500,000 = 0.1429; first 0.1429;
/// renewal 1,000,000 / 3,500,000 = 0.2857; medium/long (L3 only) 0.1429.
async fn small_book(app: &TestApp, gov: &str) -> (String, String) {
    let y = year();
    let bank = app.key(Role::Bank, Some("Bank A"), None).await;
    let other = app.key(Role::Bank, Some("Bank B"), None).await;
    let s = firm(app, gov, 1, 30, "5000000", "2015-03-01").await;
    let s2 = firm(app, gov, 2, 30, "5000000", &day(y, 2, 1)).await;
    let m = firm(app, gov, 3, 120, "25000000", "2010-01-01").await;
    let m2 = firm(app, gov, 4, 120, "25000000", "2012-01-01").await;
    let l1 = loan(app, &bank, json!({"firm_uscc": s, "amount": "1000000", "start_on": day(y - 1, 6, 1), "maturity_on": day(y, 6, 1)})).await;
    let (status, closed) = app
        .post(
            &format!("/v1/loans/{l1}/balances"),
            Some(&bank),
            &json!({"as_of": day(y, 6, 1), "outstanding": "0"}),
        )
        .await;
    assert_eq!(status, 200, "{closed}");
    assert_eq!(closed["status"], "repaid");
    let l2 = loan(app, &bank, json!({"firm_uscc": m, "amount": "1000000", "start_on": day(y - 1, 7, 1), "maturity_on": day(y + 1, 7, 1), "kind": "guaranteed"})).await;
    let l3 = loan(app, &bank, json!({"firm_uscc": s2, "amount": "500000", "start_on": day(y, 3, 1), "maturity_on": day(y + 1, 9, 1)})).await;
    let (status, _) = app
        .post(
            &format!("/v1/loans/{l3}/balances"),
            Some(&bank),
            &json!({"as_of": day(y, 9, 30), "outstanding": "400000"}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, l4) = app
        .post("/v1/loans", Some(&bank), &json!({"firm_uscc": m, "amount": "1000000", "start_on": day(y, 4, 1), "maturity_on": day(y + 1, 4, 1), "kind": "guaranteed", "renews_loan_id": l2}))
        .await;
    assert_eq!(status, 201, "{l4}");
    assert_eq!(l4["first_loan"], false);
    assert_eq!(l4["renews_loan_id"], l2.as_str());
    loan(app, &other, json!({"firm_uscc": m2, "amount": "2000000", "start_on": day(y, 5, 1), "maturity_on": day(y + 1, 5, 1), "credit_line": "12000000", "kind": "collateral"})).await;
    (bank, l3)
}

#[tokio::test]
async fn lending_figures_follow_the_balances_banks_report() {
    let app = spawn_app().await;
    let gov = app.gov_key().await;
    let (bank, l3) = small_book(&app, &gov).await;
    let (status, s) = app
        .get(
            &format!("/v1/statistics/lending?year={}", year()),
            Some(&gov),
        )
        .await;
    assert_eq!(status, 200, "{s}");
    for (key, want) in [
        ("all_loans_balance_start", "2000000"),
        ("all_loans_balance_end", "3400000"),
        ("all_loans_growth", "0.7"),
        ("inclusive_balance_start", "1000000"),
        ("inclusive_balance_end", "400000"),
        ("inclusive_growth", "-0.6"),
        ("inclusive_borrowers_growth", "0"),
        ("granted_amount", "3500000"),
        ("credit_loan_share_amount", "0.1429"),
        ("first_loan_share_amount", "0.1429"),
        ("renewal_share_amount", "0.2857"),
        ("medium_long_term_share_amount", "0.1429"),
        ("non_performing_ratio", "0"),
    ] {
        let got: rust_decimal::Decimal = value(&s, key).unwrap().parse().unwrap();
        assert_eq!(got, want.parse::<rust_decimal::Decimal>().unwrap(), "{key}");
    }
    // Every figure names its parts and its rule; the missed 两增 target is a flag that says by how much.
    let g = figure(&s, "inclusive_growth");
    assert_eq!(g["numerator"], "-600000.00");
    assert_eq!(g["denominator"], "1000000.00");
    assert!(g["rule"].as_str().unwrap().contains("Art 21"));
    assert!(g["flag"].as_str().unwrap().contains("-60%"), "{g}");
    assert!(figure(&s, "inclusive_borrowers_growth")["flag"].is_null());
    assert!(s["flags"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["figure"] == "inclusive_growth"));
    // Per bank: Bank A's own growth (2,000,000 → 1,400,000: −30%) and Bank B's.
    let banks = s["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["key"] == "per_bank")
        .unwrap();
    let rows = banks["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{banks}");
    let a = rows.iter().find(|r| r["keys"][0] == "Bank A").unwrap();
    assert_eq!(
        a["values"][2]
            .as_str()
            .unwrap()
            .parse::<rust_decimal::Decimal>()
            .unwrap(),
        rust_decimal::Decimal::new(-3, 1)
    );
    // The balance route names its faults; another bank's loan is not found.
    let (status, bad) = app
        .post(
            &format!("/v1/loans/{l3}/balances"),
            Some(&bank),
            &json!({"as_of": day(year() - 5, 1, 1), "outstanding": "600000"}),
        )
        .await;
    assert_eq!(status, 422, "{bad}");
    assert_eq!(field_rules(&bad)[0].0, "as_of");
    let (status, bad) = app
        .post(
            &format!("/v1/loans/{l3}/balances"),
            Some(&bank),
            &json!({"as_of": day(year(), 10, 1), "outstanding": "900000"}),
        )
        .await;
    assert_eq!(status, 422, "{bad}");
    assert_eq!(
        field_rules(&bad),
        [("outstanding".to_string(), "range.order".to_string())]
    );
    let other = app.key(Role::Bank, Some("Bank C"), None).await;
    let (status, _) = app
        .post(
            &format!("/v1/loans/{l3}/balances"),
            Some(&other),
            &json!({"as_of": day(year(), 10, 1), "outstanding": "100"}),
        )
        .await;
    assert_eq!(status, 404);
    // A renewal must renew an outstanding loan of the same bank and firm.
    let (status, bad) = app
        .post("/v1/loans", Some(&other), &json!({"firm_uscc": demo_uscc(3, "310115").to_string(), "amount": "10", "start_on": day(year(), 4, 1), "maturity_on": day(year() + 1, 4, 1), "renews_loan_id": l3}))
        .await;
    assert_eq!(status, 422, "{bad}");
    assert_eq!(
        field_rules(&bad)[0],
        ("renews_loan_id".to_string(), "loan.renewal".to_string())
    );
    // As CSV: one row per value.
    let r = app
        .client
        .get(app.url(&format!("/v1/statistics/lending.csv?year={}", year())))
        .bearer_auth(&gov)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = r.text().await.unwrap();
    assert!(csv.starts_with("part,table,keys,column,value\n"), "{csv}");
    assert!(
        csv.contains("lending,figures,inclusive_growth,value,-0.6\n"),
        "{csv}"
    );
}

/// Census of year Y: S and M from before Y, S2 established in Y (1 new firm). Tax paid: S 1,000.00 a
/// month for the twelve months of Y (12,000.00) and M 2,500.50 in March only; invoiced revenue S
/// 10,000.00 in December; insured headcount in December (the last complete month): S 28, M 110 → 138;
/// a November headcount of S is not counted.
#[tokio::test]
async fn the_census_counts_firms_signals_and_new_firms_by_class() {
    let app = spawn_app().await;
    let gov = app.gov_key().await;
    let y = year();
    let s = firm(&app, &gov, 11, 30, "5000000", "2015-03-01").await;
    firm(&app, &gov, 12, 30, "5000000", &day(y, 2, 1)).await;
    let m = firm(&app, &gov, 13, 120, "25000000", "2010-01-01").await;
    let mut tax: Vec<Value> = (1..=12)
        .map(|mo| json!({"uscc": s, "kind": "tax_paid", "period": format!("{y}-{mo:02}"), "value": "1000.00"}))
        .collect();
    tax.push(
        json!({"uscc": m, "kind": "tax_paid", "period": format!("{y}-03"), "value": "2500.50"}),
    );
    tax.push(json!({"uscc": s, "kind": "invoiced_revenue", "period": format!("{y}-12"), "value": "10000.00"}));
    let (status, run) = app
        .post(
            "/v1/signals",
            Some(&gov),
            &json!({"source": "tax", "rows": tax}),
        )
        .await;
    assert_eq!(status, 201, "{run}");
    let si = json!([
        {"uscc": s, "kind": "insured_headcount", "period": format!("{y}-12"), "value": "28"},
        {"uscc": s, "kind": "insured_headcount", "period": format!("{y}-11"), "value": "31"},
        {"uscc": m, "kind": "insured_headcount", "period": format!("{y}-12"), "value": "110"},
    ]);
    let (status, run) = app
        .post(
            "/v1/signals",
            Some(&gov),
            &json!({"source": "social_insurance", "rows": si}),
        )
        .await;
    assert_eq!(status, 201, "{run}");
    let (status, c) = app
        .get(&format!("/v1/statistics/census?year={y}"), Some(&gov))
        .await;
    assert_eq!(status, 200, "{c}");
    assert_eq!(value(&c, "firms").as_deref(), Some("3"));
    assert_eq!(value(&c, "new_firms").as_deref(), Some("1"));
    assert_eq!(value(&c, "tax_paid").as_deref(), Some("14500.50"));
    assert_eq!(value(&c, "invoiced_revenue").as_deref(), Some("10000.00"));
    assert_eq!(value(&c, "insured_headcount").as_deref(), Some("138"));
    assert_eq!(value(&c, "small_micro_share").as_deref(), Some("0.6667"));
    let by_class = c["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["key"] == "by_size_class")
        .unwrap();
    let small = by_class["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["keys"][0] == "small")
        .unwrap();
    // firms, new firms, headcount, revenue, tax.
    assert_eq!(
        small["values"],
        json!(["2", "1", "28", "10000.00", "12000.00"])
    );
    // A period by dates: only March; the new firm (February) is not new in it.
    let (_, march) = app
        .get(
            &format!(
                "/v1/statistics/census?from={}&to={}",
                day(y, 3, 1),
                day(y, 4, 1)
            ),
            Some(&gov),
        )
        .await;
    assert_eq!(value(&march, "tax_paid").as_deref(), Some("3500.50"));
    assert_eq!(value(&march, "new_firms").as_deref(), Some("0"));
}

#[tokio::test]
async fn statistics_are_for_the_government_side_only() {
    let app = spawn_app().await;
    let gov = app.gov_key().await;
    let u = app.register_firms(7, 1).await.remove(0);
    for key in [
        app.key(Role::Bank, Some("Bank A"), None).await,
        app.key(Role::Guarantor, Some("Agency G"), None).await,
        app.key(Role::Firm, None, Some(&u)).await,
    ] {
        for path in [
            "/v1/statistics/census",
            "/v1/statistics/lending.xlsx",
            "/v1/reports/yearly",
            "/v1/reports/yearly.xlsx",
        ] {
            let (status, body) = app.get(path, Some(&key)).await;
            assert_eq!(status, 403, "{path}: {body}");
        }
    }
    let (status, _) = app.get("/v1/statistics/census", None).await;
    assert_eq!(status, 401);
    let (status, body) = app.get("/v1/statistics/weather", Some(&gov)).await;
    assert_eq!(status, 404, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("data-quality"),
        "{body}"
    );
    let (status, body) = app.get("/v1/statistics/census?year=1850", Some(&gov)).await;
    assert_eq!(status, 422);
    assert_eq!(
        field_rules(&body),
        [("year".to_string(), "year.format".to_string())]
    );
    let (status, body) = app
        .get(
            "/v1/statistics/census?year=2025&from=2025-01-01",
            Some(&gov),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(
        field_rules(&body),
        [("year".to_string(), "period.either".to_string())]
    );
    let (status, _) = app.get("/v1/reports/monthly", Some(&gov)).await;
    assert_eq!(status, 404);
}

/// The yearly report's workbook (through the API and the CLI) holds the numbers of its JSON: every figure
/// of every section, on the sheet of its part, in the row its key names.
#[tokio::test]
async fn the_yearly_workbook_holds_the_numbers_of_the_json() {
    use calamine::{Data, Reader};
    let app = spawn_app().await;
    let gov = app.gov_key().await;
    small_book(&app, &gov).await;
    let y = year();
    let (status, report) = app
        .get(&format!("/v1/reports/yearly?year={y}"), Some(&gov))
        .await;
    assert_eq!(status, 200, "{report}");
    let parts: Vec<&str> = report["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        parts,
        ["basic_situation", "policies", "funds", "problems", "other"]
    );
    // Problems: every flag, the lending one among them.
    assert!(report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["figure"] == "inclusive_growth"));
    let r = app
        .client
        .get(app.url(&format!("/v1/reports/yearly.xlsx?year={y}")))
        .bearer_auth(&gov)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let from_api = r.bytes().await.unwrap().to_vec();
    let path = std::env::temp_dir().join(format!("sme-report-{}.xlsx", uuid::Uuid::new_v4()));
    let out = app.cli(&[
        "report",
        "yearly",
        "--year",
        &y.to_string(),
        "--out",
        path.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("problems found"));
    let from_cli = std::fs::read(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    for bytes in [from_api, from_cli] {
        let mut wb: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(
            wb.sheet_names(),
            [
                "contents",
                "basic_situation",
                "policies",
                "funds",
                "problems",
                "other"
            ]
        );
        let mut checked = 0;
        for p in report["parts"].as_array().unwrap() {
            let sheet = wb.worksheet_range(p["key"].as_str().unwrap()).unwrap();
            for s in p["sections"].as_array().unwrap() {
                for f in s["figures"].as_array().unwrap() {
                    let key = f["key"].as_str().unwrap();
                    let row = sheet
                        .rows()
                        .find(|r| r.get(1) == Some(&Data::String(key.into())))
                        .unwrap_or_else(|| panic!("no row {key} on {}", p["key"]));
                    match f["value"].as_str() {
                        Some(v) => {
                            let want: f64 = v.parse().unwrap();
                            let Data::Float(got) = row[2] else {
                                panic!("{key}: {:?}", row[2])
                            };
                            assert!(
                                (got - want).abs() <= 1e-9 * want.abs().max(1.0),
                                "{key}: {got} ≠ {want}"
                            );
                            checked += 1;
                        }
                        None => assert_eq!(row[2], Data::Empty, "{key}"),
                    }
                }
            }
        }
        assert!(checked > 30, "{checked} figures compared");
    }
}

/// Art 49 on hand-made award notices posted to the sixth source, `procurement`: buyer A (P1 reserved,
/// 1,000,000, two lots: 400,000 to small S and 500,000 to medium M; P2 open, 3,000,000, 2,800,000 to M;
/// P3 with no reserved flag, 1,000,000, 900,000 to S) reserves 1,000,000 / 5,000,000 = 20%, under 30%;
/// of its reserved awards (900,000) small firms got 400,000 = 44.44%, under 60%. Buyer B (Q1 reserved,
/// 2,000,000, 1,800,000 to S) is not flagged. A notice republished with another amount supersedes the
/// first (history kept); a notice without a budget is quarantined with its reason.
#[tokio::test]
async fn procurement_awards_give_each_buyers_reserved_shares() {
    let app = spawn_app().await;
    let gov = app.gov_key().await;
    let y = year();
    let s = firm(&app, &gov, 21, 30, "5000000", "2015-03-01").await;
    let m = firm(&app, &gov, 22, 120, "25000000", "2010-01-01").await;
    let award = |buyer: &str,
                 project: &str,
                 who: &str,
                 amount: &str,
                 budget: &str,
                 reserved: Option<bool>| {
        let mut v = json!({"uscc": who, "kind": "procurement_award", "record_id": project, "authority": buyer,
            "start_date": day(y, 5, 10), "value": amount, "budget": budget});
        if let Some(r) = reserved {
            v["reserved_for_smes"] = json!(r.to_string());
        }
        v
    };
    let rows = json!([
        award("采购人A", "P1", &s, "400000", "1000000", Some(true)),
        award("采购人A", "P1", &m, "500000", "1000000", Some(true)),
        award("采购人A", "P2", &m, "2700000", "3000000", Some(false)),
        award("采购人A", "P3", &s, "900000", "1000000", None),
        award("采购人B", "Q1", &s, "1800000", "2000000", Some(true)),
        {"uscc": s, "kind": "procurement_award", "record_id": "P9", "authority": "采购人A", "start_date": day(y, 6, 1), "value": "10"},
    ]);
    let (status, run) = app
        .post(
            "/v1/signals",
            Some(&gov),
            &json!({"source": "procurement", "rows": rows}),
        )
        .await;
    assert_eq!(status, 201, "{run}");
    assert_eq!(
        (run["accepted"].as_i64(), run["quarantined"].as_i64()),
        (Some(5), Some(1)),
        "{run}"
    );
    let (_, rejects) = app
        .get(
            &format!("/v1/ingestion-runs/{}/rejects", run["id"].as_str().unwrap()),
            Some(&gov),
        )
        .await;
    assert_eq!(
        rejects["items"][0]["reasons"][0]["code"], "missing_budget",
        "{rejects}"
    );
    // P2 republished: 2,800,000.
    let (status, again) = app
        .post("/v1/signals", Some(&gov), &json!({"source": "procurement", "rows": [award("采购人A", "P2", &m, "2800000", "3000000", Some(false))]}))
        .await;
    assert_eq!(status, 201);
    assert_eq!(again["superseded"], 1, "{again}");
    let (status, p) = app
        .get(&format!("/v1/statistics/procurement?year={y}"), Some(&gov))
        .await;
    assert_eq!(status, 200, "{p}");
    let buyers = p["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["key"] == "per_buyer")
        .unwrap();
    let a = &buyers["rows"][0];
    assert_eq!(a["keys"][0], "采购人A", "the flagged buyer first: {buyers}");
    let col = |name: &str| {
        buyers["measures"]
            .as_array()
            .unwrap()
            .iter()
            .position(|x| x == name)
            .unwrap()
    };
    let dec = |v: &Value| {
        v.as_str()
            .unwrap()
            .parse::<rust_decimal::Decimal>()
            .unwrap()
    };
    assert_eq!(
        dec(&a["values"][col("procurement_budget")]),
        "5000000".parse().unwrap()
    );
    assert_eq!(
        dec(&a["values"][col("reserved_share")]),
        "0.2".parse().unwrap()
    );
    assert_eq!(
        dec(&a["values"][col("reserved_small_micro_share")]),
        "0.4444".parse().unwrap()
    );
    assert_eq!(
        dec(&a["values"][col("awarded")]),
        "4600000".parse().unwrap()
    );
    assert_eq!(
        dec(&a["values"][col("projects_without_reserved_flag")]),
        "1".parse().unwrap()
    );
    assert_eq!(a["flags"].as_array().unwrap().len(), 2, "{a}");
    assert!(buyers["rows"][1]["flags"].is_null(), "{buyers}");
    // The city: reserved 3,000,000 of 7,000,000 = 42.86%; of reserved awards 2,700,000, small 2,200,000.
    assert_eq!(value(&p, "reserved_share").as_deref(), Some("0.4286"));
    assert_eq!(
        value(&p, "reserved_small_micro_share").as_deref(),
        Some("0.8148")
    );
    assert_eq!(value(&p, "buyers_flagged").as_deref(), Some("1"));
    assert!(
        p["flags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["subject"] == "采购人A"
                && f["message"].as_str().unwrap().contains("under 30%"))
    );
    // The awards for the drill-down.
    let list = p["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["key"] == "awards")
        .unwrap();
    assert_eq!(list["rows"].as_array().unwrap().len(), 5);
}

/// Art 54 on hand-made receivables owed by a government body (USCC category 1) to a small firm, recorded
/// as due in the past (the registration route only takes future due dates) and paid through the API:
/// R1 100,000 due 03-31, 60,000 paid 03-20 by the creditor and 40,000 on 04-30 by the debtor (40,000
/// overdue, 30 days late); R2 50,000 due 04-15 paid 04-10 (on time); R3 20,000 due 05-01, unpaid
/// (20,000 overdue, still unpaid). Overdue 2 of 3, 60,000 yuan; a large firm's receivable paid on time
/// is listed without a flag; a receivable owed by an SME is not Decree 802's.
#[tokio::test]
async fn late_payment_lists_each_debtor_against_its_due_dates() {
    use credithub::store::receivables::{insert_receivable, ReceivableRow};
    let app = spawn_app().await;
    let gov = app.gov_key().await;
    let y = year();
    let s = firm(&app, &gov, 31, 30, "5000000", "2015-03-01").await;
    let big = firm(&app, &gov, 32, 2000, "900000000", "2001-01-01").await;
    let small_debtor = firm(&app, &gov, 33, 30, "5000000", "2016-01-01").await;
    let body = credithub::domain::Uscc::with_check("11310115MB0000009")
        .unwrap()
        .to_string();
    let mut g = credithub::demo::demo_firm(31, 0);
    g.uscc = body.clone();
    g.name = "某区建设管理委员会".into();
    let registered = chrono::NaiveDate::from_ymd_opt(y, 1, 5)
        .unwrap()
        .and_hms_opt(1, 0, 0)
        .unwrap();
    let rows: Vec<(String, String, i64, (u32, u32))> = vec![
        ("R1".into(), body.clone(), 100_000, (3, 31)),
        ("R2".into(), body.clone(), 50_000, (4, 15)),
        ("R3".into(), body.clone(), 20_000, (5, 1)),
        ("R4".into(), big.clone(), 70_000, (6, 30)),
        ("R5".into(), small_debtor.clone(), 10_000, (6, 30)),
    ];
    let (db, rs, creditor) = (app.db.clone(), rows.clone(), s.clone());
    tokio::task::spawn_blocking(move || {
        let mut c = db.conn().unwrap();
        credithub::store::firms::insert_many_new(&mut c, &[g]).unwrap();
        for (id, debtor, yuan, (m, d)) in rs {
            insert_receivable(
                &mut c,
                &ReceivableRow {
                    id,
                    creditor_uscc: creditor.clone(),
                    debtor_uscc: debtor.clone(),
                    invoice_no: format!("INV-{debtor}-{m}-{d}"),
                    amount_fen: yuan * 100,
                    due_on: chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap(),
                    status: credithub::domain::states::ReceivableStatus::Confirmed,
                    dispute_reason: None,
                    registered_at: registered,
                    decided_at: Some(registered + chrono::Duration::hours(12)),
                    financed_application_id: None,
                    financed_at: None,
                },
            )
            .unwrap();
        }
    })
    .await
    .unwrap();
    let creditor_key = app.key(Role::Firm, None, Some(&s)).await;
    let debtor_key = app.key(Role::Firm, None, Some(&body)).await;
    let big_key = app.key(Role::Firm, None, Some(&big)).await;
    for (key, id, on, amount) in [
        (&creditor_key, "R1", day(y, 3, 20), "60000"),
        (&debtor_key, "R1", day(y, 4, 30), "40000"),
        (&creditor_key, "R2", day(y, 4, 10), "50000"),
        (&big_key, "R4", day(y, 6, 1), "70000"),
    ] {
        let (status, v) = app
            .post(
                &format!("/v1/receivables/{id}/payments"),
                Some(key),
                &json!({"paid_on": on, "amount": amount}),
            )
            .await;
        assert_eq!(status, 201, "{v}");
    }
    // The payments' faults are named; a stranger does not see the receivable.
    let (status, v) = app
        .post(
            "/v1/receivables/R1/payments",
            Some(&creditor_key),
            &json!({"paid_on": day(y, 5, 1), "amount": "1"}),
        )
        .await;
    assert_eq!(status, 422, "{v}");
    assert_eq!(
        field_rules(&v),
        [("amount".to_string(), "range.order".to_string())]
    );
    let (status, v) = app
        .post(
            "/v1/receivables/R3/payments",
            Some(&creditor_key),
            &json!({"paid_on": day(y - 2, 1, 1), "amount": "1"}),
        )
        .await;
    assert_eq!(status, 422, "{v}");
    let stranger = app.key(Role::Firm, None, Some(&small_debtor)).await;
    let (status, _) = app
        .post(
            "/v1/receivables/R1/payments",
            Some(&stranger),
            &json!({"paid_on": day(y, 5, 1), "amount": "1"}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .post(
            "/v1/receivables/R1/payments",
            Some(&gov),
            &json!({"paid_on": day(y, 5, 1), "amount": "1"}),
        )
        .await;
    assert_eq!(status, 403);
    let (status, l) = app
        .get(&format!("/v1/statistics/late-payment?year={y}"), Some(&gov))
        .await;
    assert_eq!(status, 200, "{l}");
    assert_eq!(value(&l, "receivables_due").as_deref(), Some("4"));
    assert_eq!(value(&l, "overdue").as_deref(), Some("2"));
    assert_eq!(value(&l, "overdue_amount").as_deref(), Some("60000.00"));
    assert_eq!(value(&l, "still_unpaid").as_deref(), Some("1"));
    assert_eq!(
        value(&l, "overdue_share")
            .unwrap()
            .parse::<rust_decimal::Decimal>()
            .unwrap(),
        rust_decimal::Decimal::new(5, 1)
    );
    let t = l["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["key"] == "per_debtor")
        .unwrap();
    let rows = t["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "the SME debtor is not listed: {t}");
    assert_eq!(
        rows[0]["keys"][1],
        body.as_str(),
        "the overdue debtor first"
    );
    assert_eq!(rows[0]["keys"][2], "government");
    // Max days late: R3, unpaid, counted to the end of the period (05-01 to the next 01-01: 245 days).
    assert_eq!(rows[0]["values"][6], "245");
    assert_eq!(rows[0]["flags"].as_array().unwrap().len(), 1);
    assert_eq!(rows[1]["keys"][2], "large_firm");
    assert!(rows[1]["flags"].is_null());
}

/// A firm that changes size class after its loan: the loan counts by the class it had when it was made
/// (small: inclusive), not the registry's class now (medium).
#[tokio::test]
async fn a_loan_counts_by_the_class_its_borrower_had_when_it_was_made() {
    let app = spawn_app().await;
    let gov = app.gov_key().await;
    let y = year();
    let bank = app.key(Role::Bank, Some("Bank A"), None).await;
    let s = firm(&app, &gov, 41, 30, "5000000", "2015-03-01").await;
    loan(&app, &bank, json!({"firm_uscc": s, "amount": "300000", "start_on": day(y, 2, 1), "maturity_on": day(y + 1, 2, 1)})).await;
    let (status, grown) = app
        .send_json(
            reqwest::Method::PATCH,
            &format!("/v1/firms/{s}"),
            Some(&gov),
            &json!({"employees": 150, "revenue": "30000000"}),
        )
        .await;
    assert_eq!(status, 200, "{grown}");
    assert_eq!(grown["size_class"], "medium");
    let (_, l) = app
        .get(&format!("/v1/statistics/lending?year={y}"), Some(&gov))
        .await;
    assert_eq!(
        value(&l, "inclusive_balance_end").as_deref(),
        Some("300000.00")
    );
    // The census reads the registry as it is now.
    let (_, c) = app
        .get(&format!("/v1/statistics/census?year={y}"), Some(&gov))
        .await;
    assert_eq!(value(&c, "small_micro_share").as_deref(), Some("0"));
}
