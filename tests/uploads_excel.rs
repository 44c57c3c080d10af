//! Uploads as an agency's back office makes them (issue 17): a contract ledger and a claim batch saved
//! by Excel on Chinese Windows (GBK CSV), an XLSX workbook written here with Chinese headers, Excel
//! dates, thousands separators and 元, a named sheet, a UTF-8 BOM; a file with one fault of every kind
//! answered at once by line and column; a dry run that stores nothing.

mod common;
use common::sheets::{self, gbk};
use common::{field_rules, spawn_app, TestApp};
use credithub::domain::role::Role;
use serde_json::{json, Value};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn upload(app: &TestApp, path: &str, key: &str, ct: &str, body: Vec<u8>) -> (u16, Value) {
    let r = app
        .client
        .post(app.url(path))
        .bearer_auth(key)
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    common::read(r).await
}

struct Agency {
    app: TestApp,
    key: String,
    firms: Vec<String>,
}

async fn agency() -> Agency {
    let app = spawn_app().await;
    let key = app.key(Role::Guarantor, Some("担保公司甲"), None).await;
    let firms = app.register_firms(17, 3).await;
    Agency { app, key, firms }
}

impl Agency {
    async fn count(&self) -> usize {
        let (_, list) = self
            .app
            .get("/v1/guarantees?limit=200", Some(&self.key))
            .await;
        list["items"].as_array().unwrap().len()
    }
}

/// The agency's firms' ledger, numbers XL-1, XL-2, …
fn ledger_workbook(firms: &[String]) -> Vec<u8> {
    let numbers: Vec<String> = (1..=firms.len()).map(|r| format!("XL-{r}")).collect();
    let rows: Vec<(&str, &str)> = numbers
        .iter()
        .zip(firms)
        .map(|(n, f)| (n.as_str(), f.as_str()))
        .collect();
    sheets::ledger_workbook(&rows, "yyyy/m/d")
}

#[tokio::test]
async fn an_xlsx_ledger_with_chinese_headers_and_excel_dates_is_registered_from_its_named_sheet() {
    let a = agency().await;
    let book = ledger_workbook(&a.firms);
    // The first sheet is a title page: without ?sheet= its header is refused by name.
    let (status, p) = upload(&a.app, "/v1/guarantees", &a.key, XLSX, book.clone()).await;
    assert_eq!(status, 422, "{p}");
    assert!(p.to_string().contains("2026年担保台账"), "{p}");
    let sheet = "/v1/guarantees?sheet=%E5%8F%B0%E8%B4%A6";
    let (status, p) = upload(&a.app, sheet, &a.key, XLSX, book).await;
    assert_eq!(status, 201, "{p}");
    assert_eq!(p["created"], 3);
    let (_, list) = a.app.get("/v1/guarantees?limit=10", Some(&a.key)).await;
    let g = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["contract_no"] == "XL-1")
        .unwrap()
        .clone();
    assert_eq!(g["guaranteed"], "1600000.50");
    assert_eq!(g["fee_rate"], "0.012");
    assert_eq!(g["start_on"], "2026-01-01");
    assert_eq!(g["end_on"], "2027-01-01");
    // A sheet that is not there is named with the ones that are.
    let (status, p) = upload(
        &a.app,
        "/v1/guarantees?sheet=x",
        &a.key,
        XLSX,
        ledger_workbook(&a.firms),
    )
    .await;
    assert_eq!(status, 400, "{p}");
    assert!(p["detail"].as_str().unwrap().contains("说明, 台账"), "{p}");
}

#[tokio::test]
async fn a_gbk_ledger_and_a_gbk_claim_batch_saved_by_excel_are_read() {
    let a = agency().await;
    let ledger = format!(
        "序号,合同编号,企业名称,统一社会信用代码,贷款银行,贷款金额,担保金额,保费费率,起始日,到期日,是否首贷\n\
         1,GB-1,甲公司,{},申城银行,\"1,000,000.00\",800000元,0.01,2026/1/1,2027年1月1日,是\n\
         2,GB-2,乙公司,{},申城银行,500000,500000,1%,46023,2027-01-01,否\n",
        a.firms[0], a.firms[1]
    );
    let (status, p) = upload(&a.app, "/v1/guarantees", &a.key, "text/csv", gbk(&ledger)).await;
    assert_eq!(status, 201, "{p}");
    assert_eq!(a.count().await, 2);
    // The same as UTF-8 with a byte-order mark, and GBK named by its charset: read alike (a dry run).
    let again = ledger.replace("GB-", "BOM-");
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(again.as_bytes());
    let (status, p) = upload(
        &a.app,
        "/v1/guarantees?dry_run=true",
        &a.key,
        "text/csv",
        bom,
    )
    .await;
    assert_eq!((status, p["valid"].as_u64()), (200, Some(2)), "{p}");
    let named = upload(
        &a.app,
        "/v1/guarantees?dry_run=true",
        &a.key,
        "text/csv; charset=GBK",
        gbk(&ledger.replace("GB-", "CS-")),
    )
    .await;
    assert_eq!(named.0, 200, "{}", named.1);
    assert_eq!(a.count().await, 2, "a dry run stores nothing");

    // The claim batch, GBK, Chinese headers, amounts with separators.
    let (status, policy) = a
        .app
        .post(
            "/v1/subsidy-policies",
            Some(&a.app.gov_key().await),
            &json!({
            "name": "test", "window_from": "2025-01-01", "window_to": "2026-12-31",
            "formula": {"kind": "share_of_fee", "share": "0.5"}, "max_fee_rate": "0.015"}),
        )
        .await;
    assert_eq!(status, 201, "{policy}");
    let claims = "合同编号,起始日,截止日,申请金额\nGB-1,2026/1/1,2026/7/1,\"1,983.56元\"\nGB-2,2026年1月1日,2026年4月1日,616.44\n";
    let path = format!(
        "/v1/subsidy-claims?policy_id={}",
        policy["id"].as_str().unwrap()
    );
    // A dry run first: the report as it would be, nothing stored.
    let (status, dry) = upload(
        &a.app,
        &format!("{path}&dry_run=true"),
        &a.key,
        "text/csv",
        gbk(claims),
    )
    .await;
    assert_eq!(status, 200, "{dry}");
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["lines"].as_array().unwrap().len(), 2, "{dry}");
    let (_, batches) = a.app.get("/v1/subsidy-claims", Some(&a.key)).await;
    assert_eq!(batches["items"].as_array().unwrap().len(), 0, "{batches}");
    let (status, b) = upload(&a.app, &path, &a.key, "text/csv", gbk(claims)).await;
    assert_eq!(status, 201, "{b}");
    let (_, report) = a
        .app
        .get(
            &format!("/v1/reconciliations/{}", b["id"].as_str().unwrap()),
            Some(&a.key),
        )
        .await;
    let lines = report["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2, "{report}");
    // 800,000 × 1% × 181/365 / 2 = 1,983.56; 500,000 × 1% × 90/365 / 2 = 616.44.
    assert!(lines.iter().all(|l| l["status"] == "matched"), "{report}");
    // The agency is told where its batch stands (the dry run told it nothing).
    let (_, n) = a.app.get("/v1/notifications", Some(&a.key)).await;
    let items = n["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{n}");
    assert_eq!(items[0]["kind"], "batch_moved");
    assert_eq!(items[0]["detail"]["status"], "reconciled");
    assert_eq!(items[0]["subject"], b["id"]);
}

#[tokio::test]
async fn every_fault_of_a_ledger_is_answered_at_once_by_line_and_column() {
    let a = agency().await;
    let (status, p) = upload(
        &a.app,
        "/v1/guarantees",
        &a.key,
        "text/csv",
        format!(
            "合同编号,统一社会信用代码,贷款银行,贷款金额,担保金额,保费费率,起始日,到期日\n\
             ON-FILE,{f0},Bank,100,100,0.01,2026-01-01,2027-01-01\n",
            f0 = a.firms[0]
        )
        .into_bytes(),
    )
    .await;
    assert_eq!(status, 201, "{p}");
    let unknown = credithub::demo::demo_uscc(999_999, "310101").to_string();
    let file = format!(
        "合同编号,统一社会信用代码,贷款银行,贷款金额,担保金额,保费费率,起始日,到期日\n\
         OK-1,{f0},Bank,100,100,0.01,2026-01-01,2027-01-01\n\
         BAD-USCC,123,Bank,100,100,0.01,2026-01-01,2027-01-01\n\
         NOBODY,{unknown},Bank,100,100,0.01,2026-01-01,2027-01-01\n\
         OK-1,{f1},Bank,100,100,0.01,2026-01-01,2027-01-01\n\
         ON-FILE,{f1},Bank,100,100,0.01,2026-01-01,2027-01-01\n\
         BAD-DATE,{f1},Bank,100,100,0.01,2026-13-01,2027-01-01\n\
         BAD-AMOUNT,{f1},Bank,一百,100,0.01,2026-01-01,2027-01-01\n\
         SHORT,{f1},Bank\n\
         ON-FILE,{unknown},Bank,100,100,0.01,2026-13-01,2027-01-01\n",
        f0 = a.firms[0],
        f1 = a.firms[1]
    );
    let (status, p) = upload(&a.app, "/v1/guarantees", &a.key, "text/csv", gbk(&file)).await;
    assert_eq!(status, 422, "{p}");
    let rules = field_rules(&p);
    for (field, rule) in [
        ("line 3: firm_uscc", "uscc.length"),
        ("line 4: firm_uscc", "firm.unknown"),
        ("line 5: contract_no", "contract.duplicate"),
        ("line 6: contract_no", "contract.on_file"),
        ("line 7: start_on", "date.format"),
        ("line 8: loan_amount", "money.format"),
        ("line 9: loan_amount", "required"),
        // A row with a bad cell still has its borrower and number checked against the database.
        ("line 10: start_on", "date.format"),
        ("line 10: firm_uscc", "firm.unknown"),
        ("line 10: contract_no", "contract.on_file"),
        ("line 10: contract_no", "contract.duplicate"),
    ] {
        assert!(
            rules.iter().any(|(f, r)| f == field && r == rule),
            "{field} {rule} in {rules:?}"
        );
    }
    // In line order, and the duplicate names the line it first appeared on.
    let lines: Vec<usize> = rules
        .iter()
        .map(|(f, _)| {
            f.split(':')
                .next()
                .unwrap()
                .trim_start_matches("line ")
                .parse()
                .unwrap()
        })
        .collect();
    assert!(lines.windows(2).all(|w| w[0] <= w[1]), "{lines:?}");
    assert!(p.to_string().contains("first on line 2"), "{p}");
    assert_eq!(a.count().await, 1, "nothing of the file was stored");
    // An unknown column is refused by its name.
    let (status, p) = upload(
        &a.app,
        "/v1/guarantees",
        &a.key,
        "text/csv",
        "合同编号,金额？\nA,1\n".as_bytes().to_vec(),
    )
    .await;
    assert_eq!(status, 422, "{p}");
    assert!(
        field_rules(&p)
            .iter()
            .any(|(f, r)| f == "line 1: 金额？" && r == "column.unknown"),
        "{p}"
    );
}

#[tokio::test]
async fn the_faults_come_back_as_a_workbook_beside_the_agencys_own_rows() {
    let a = agency().await;
    let file = format!(
        "合同编号,企业名称,统一社会信用代码,贷款银行,贷款金额,担保金额,保费费率,起始日,到期日\n\
         R-1,甲,{f0},Bank,100,100,0.01,2026/1/1,2027/1/1\n\
         R-2,乙,{f1},Bank,100,200,0.01,2026/1/1,2027/1/1\n\
         R-3,丙,{f1},Bank,100,100,0.01,2026/1/1,2025/1/1\n",
        f0 = a.firms[0],
        f1 = a.firms[1]
    );
    let r = a
        .app
        .client
        .post(a.app.url("/v1/guarantees"))
        .bearer_auth(&a.key)
        .header("content-type", "text/csv")
        .header("accept", XLSX)
        .body(gbk(&file))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    assert_eq!(r.headers()["content-type"], XLSX);
    let bytes = r.bytes().await.unwrap();
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    use calamine::Reader;
    let sheet = wb.worksheet_range("核对结果").unwrap();
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    // The agency's own rows, in place (row N is line N), with the faults beside each.
    assert_eq!(rows[0][0], "合同编号");
    assert_eq!(rows[0][9], "问题 Faults");
    assert_eq!(rows[1][0], "R-1");
    assert_eq!(
        rows[1].get(9).map(String::as_str).unwrap_or(""),
        "",
        "a good row has no fault"
    );
    assert_eq!(rows[2][1], "乙");
    assert!(rows[2][9].contains("guaranteed"), "{:?}", rows[2]);
    assert!(rows[3][9].contains("end_on"), "{:?}", rows[3]);
    assert_eq!(a.count().await, 0);
}
