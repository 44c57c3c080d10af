//! Issue 18: the government's statistics and the yearly report, through the API and the CLI, on
//! hand-made data whose figures are worked out in the comments.

mod common;

use chrono::Datelike;
use common::{field_rules, spawn_app, TestApp};
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

fn figure<'a>(s: &'a Value, key: &str) -> &'a Value {
    s["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key"] == key)
        .unwrap_or_else(|| panic!("no figure {key} in {s}"))
}

fn value(s: &Value, key: &str) -> Option<String> {
    figure(s, key)["value"].as_str().map(str::to_string)
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
