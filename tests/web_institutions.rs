//! The institutions' pages (issue 17) through the real server on the demo data: a guarantee agency
//! uploads its ledger as XLSX with Chinese headers and a GBK claims CSV, reads every fault and every
//! discrepancy per line, downloads the reconciliation as XLSX (read back and compared with the page and
//! the API), withdraws a batch; the government approves and records payment on its page and creates
//! accounts; a bank officer decides and disburses an application from the inbox; and isolation — an
//! agency never sees another's batches or contracts, a bank never another's applications — through the
//! pages as through the API.

mod common;
use common::pages::{by_id, Browser, Demo, PASSWORD};
use common::sheets::{fen, gbk, ledger_workbook, reconciled_lines};
use common::spawn_app;
use credithub::demo::{DEMO_BANK_2, DEMO_GUARANTOR_2};
use serde_json::{json, Value};

#[tokio::test]
async fn an_agency_uploads_its_ledger_and_the_faults_come_all_at_once() {
    let d = Demo::new().await;
    let mut a = d.signed_in("agency").await;
    // Its home is its contracts.
    let home = a.get("/").await;
    assert_eq!(home.location.as_deref(), Some("/agency/contracts"));
    let form = a.get("/agency/contracts/upload").await;
    assert_eq!(form.status, 200);
    let csrf = form.csrf();
    let firm = d.var("FIRM_USCC").to_string();
    let book = ledger_workbook(&[("WEB-1", &firm), ("WEB-2", &firm)], "yyyy/m/d");

    // The first sheet is the title: it has none of the columns, and says so.
    let r = a
        .post_file(
            "/agency/contracts/upload",
            &[("csrf", &csrf)],
            "台账.xlsx",
            book.clone(),
        )
        .await;
    assert_eq!(r.status, 422);
    // A dry run on the named sheet checks both rows and stores nothing.
    let fields = [("csrf", csrf.as_str()), ("sheet", "台账"), ("dry_run", "1")];
    let r = a
        .post_file(
            "/agency/contracts/upload",
            &fields,
            "台账.xlsx",
            book.clone(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.html);
    r.shows("检查通过：2 行均无问题");
    let found = a.get("/agency/contracts?q=WEB-").await;
    found.shows("没有符合条件的合同");
    // Registered for real.
    let r = a
        .post_file(
            "/agency/contracts/upload",
            &[("csrf", &csrf), ("sheet", "台账")],
            "台账.xlsx",
            book,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.html);
    r.shows("已登记 2 份担保合同");
    let found = a.get("/agency/contracts?q=web-").await;
    found.shows("WEB-1");
    found.shows("WEB-2");
    found.shows("在保");

    // A GBK ledger with one fault of each kind: every one of them in one answer, by line and column,
    // with the workbook of faults beside the rows; nothing stored.
    let stranger = credithub::demo::demo_uscc(90_000, "310115");
    let text = format!(
        "合同编号,统一社会信用代码,贷款银行,贷款金额,担保金额,保费费率,起始日,到期日\n\
         GBK-1,{firm},申城银行,\"1,000,000\",800000元,1%,2026/1/1,2027年1月1日\n\
         WEB-1,{firm},申城银行,1000000,800000,1%,2026/1/1,2027/1/1\n\
         GBK-1,{firm},申城银行,1000000,800000,1%,2026/1/1,2027/1/1\n\
         GBK-3,{stranger},申城银行,1000000,800000,1%,2026/13/1,2027/1/1\n"
    );
    let r = a
        .post_file(
            "/agency/contracts/upload",
            &[("csrf", &csrf), ("charset", "gbk")],
            "ledger.csv",
            gbk(&text),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.html);
    r.shows("文件中有 4 处问题");
    for rule in [
        "contract.on_file",
        "contract.duplicate",
        "firm.unknown",
        "date.format",
    ] {
        r.shows(rule);
    }
    r.shows("未保存任何数据");
    r.shows("data:application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;base64,");
    let gbk1 = a.get("/agency/contracts?q=GBK-").await;
    gbk1.shows("没有符合条件的合同");

    // A file the readers do not take is said beside the field.
    let r = a
        .post_file(
            "/agency/contracts/upload",
            &[("csrf", &csrf)],
            "ledger.xls",
            b"not a workbook".to_vec(),
        )
        .await;
    assert_eq!(r.status, 422);
    r.shows("id=\"file-error\"");
    // A forged token is refused.
    let r = a
        .post_file(
            "/agency/contracts/upload",
            &[("csrf", "forged")],
            "台账.xlsx",
            ledger_workbook(&[("WEB-9", &firm)], "yyyy/m/d"),
        )
        .await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn an_agency_files_a_gbk_claim_batch_and_the_government_approves_it_on_its_page() {
    let d = Demo::new().await;
    let mut a = d.signed_in("agency").await;
    let page = a.get("/agency/batches").await;
    assert_eq!(page.status, 200);
    let csrf = page.csrf();
    let policies = d.api("/v1/subsidy-policies", "GUARANTOR_KEY").await;
    let policy = policies["items"][0]["id"].as_str().unwrap().to_string();
    let claims = gbk("合同编号,起始日,截止日,申请金额\n\
         PJ-0000,2026/1/1,2026/7/1,\"1,000.00\"\n\
         PJ-0002,2026/1/1,2026/7/1,900元\n\
         PJ-0004,2026/1/1,2026/7/1,3719.18\n\
         PJ-9999,2026/1/1,2026/7/1,10\n");
    let fields = [
        ("csrf", csrf.as_str()),
        ("policy_id", policy.as_str()),
        ("idempotency_key", "web-h1"),
    ];
    // A dry run shows the reconciliation and files nothing (the demo filed last half-year's already).
    let filed = || async {
        d.api("/v1/subsidy-claims", "GUARANTOR_KEY").await["items"]
            .as_array()
            .unwrap()
            .len()
    };
    let before = filed().await;
    let mut dry = fields.to_vec();
    dry.push(("dry_run", "1"));
    let r = a
        .post_file("/agency/batches", &dry, "claims.csv", claims.clone())
        .await;
    assert_eq!(r.status, 200, "{}", r.html);
    r.shows("核对结果（未保存）");
    r.shows("合同不存在");
    assert_eq!(filed().await, before);
    // Filed: reconciled at once, then its page.
    let r = a
        .post_file("/agency/batches", &fields, "claims.csv", claims.clone())
        .await;
    assert_eq!(r.status, 303, "{}", r.html);
    let at = r.location.clone().unwrap();
    let id = at.trim_start_matches("/claims/").to_string();
    // The same form sent twice files one batch.
    let again = a
        .post_file("/agency/batches", &fields, "claims.csv", claims.clone())
        .await;
    assert_eq!(again.location.as_deref(), Some(at.as_str()));

    let batch = a.get(&at).await;
    assert_eq!(batch.status, 200);
    assert_eq!(by_id(&batch, "batch-status"), "已核对");
    batch.shows("PJ-9999");
    batch.shows("no contract PJ-9999");
    // The totals are the sums of the lines, and the API's.
    let report = d
        .api(&format!("/v1/reconciliations/{id}"), "GUARANTOR_KEY")
        .await;
    // Each line says the size class the subsidy relied on (issue 20 §8), in words.
    let class = report["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|l| l["size_class"].as_str())
        .expect("a known contract's class")
        .to_string();
    batch.shows("企业规模（补贴依据）");
    batch.shows(match class.as_str() {
        "micro" => "微型企业",
        "small" => "小型企业",
        "medium" => "中型企业",
        _ => "大型企业",
    });
    for k in ["claimed", "computed", "approved", "difference"] {
        let total = fen(&by_id(&batch, &format!("total-{k}")));
        assert_eq!(total, fen(&by_id(&batch, &format!("sum-{k}"))), "{k}");
        let api = report["totals"][k].as_str().unwrap();
        assert_eq!(total, fen(api), "{k}: {api}");
    }
    // Filtered to one status, the table holds those lines only.
    let unknown = a.get(&format!("{at}?status=unknown_contract")).await;
    unknown.shows("PJ-9999");
    assert!(!unknown.html.contains("PJ-0002"));
    // The workbook read back: its totals are the page's, its lines the API's.
    let (status, xlsx) = a.download(&format!("{at}/reconciliation.xlsx")).await;
    assert_eq!(status, 200);
    let lines = reconciled_lines(&xlsx);
    assert_eq!(lines.len(), report["lines"].as_array().unwrap().len());
    let approved: f64 = lines.iter().map(|l| l.1).sum();
    assert_eq!(
        (approved * 100.0).round() as i64,
        fen(&by_id(&batch, "total-approved"))
    );
    let (status, csv) = a.download(&format!("{at}/reconciliation.csv")).await;
    assert_eq!(status, 200);
    assert!(String::from_utf8(csv)
        .unwrap()
        .contains("PJ-9999,2026-01-01"));

    // A second batch is withdrawn before approval: it stays, withdrawn, and cannot be approved.
    let mut second = fields.to_vec();
    second[2] = ("idempotency_key", "web-h1-again");
    let r = a
        .post_file("/agency/batches", &second, "claims.csv", claims)
        .await;
    let other = r.location.clone().unwrap();
    let w = a
        .post(&format!("{other}/withdraw"), &[("csrf", &csrf)])
        .await;
    assert_eq!(w.status, 303, "{}", w.html);
    assert_eq!(by_id(&a.get(&other).await, "batch-status"), "已撤回");
    let other_id = other.trim_start_matches("/claims/");
    let v = d
        .api(&format!("/v1/reconciliations/{other_id}"), "GUARANTOR_KEY")
        .await;
    assert_eq!(v["status"], "withdrawn");
    assert!(v["withdrawn_at"].is_string());
    // The agency cannot approve its own batch.
    let r = a.post(&format!("{at}/approve"), &[("csrf", &csrf)]).await;
    assert_eq!(r.status, 403);

    // The other agency sees neither batch, on the pages or through the API.
    let mut other_agency = d.staff_of("df.staff", DEMO_GUARANTOR_2).await;
    assert_eq!(other_agency.get(&at).await.status, 404);
    assert_eq!(
        other_agency
            .download(&format!("{at}/reconciliation.xlsx"))
            .await
            .0,
        404
    );
    let list = other_agency.get("/agency/batches").await;
    assert!(!list.html.contains(&id));
    let (status, _) = d
        .app
        .get(
            &format!("/v1/reconciliations/{id}"),
            Some(d.var("GUARANTOR2_KEY")),
        )
        .await;
    assert_eq!(status, 404);
    // Nor the first agency's contracts.
    let contracts = other_agency.get("/agency/contracts?q=PJ-").await;
    contracts.shows("没有符合条件的合同");

    // The government: the batch waits for approval on its page (the withdrawn one does not).
    let mut g = d.signed_in("gov").await;
    let queue = g.get("/gov/batches").await;
    assert_eq!(queue.status, 200);
    queue.shows(&id);
    assert!(!queue.html.contains(other_id));
    let page = g.get(&at).await;
    let gcsrf = page.csrf();
    page.shows("审批通过");
    let r = g.post(&format!("{at}/approve"), &[("csrf", &gcsrf)]).await;
    assert_eq!(r.status, 303);
    let page = g.get(&at).await;
    assert_eq!(by_id(&page, "batch-status"), "已审批");
    let r = g.post(&format!("{at}/paid"), &[("csrf", &gcsrf)]).await;
    assert_eq!(r.status, 303);
    assert_eq!(by_id(&g.get(&at).await, "batch-status"), "已拨付");
    let v = d
        .api(&format!("/v1/reconciliations/{id}"), "GUARANTOR_KEY")
        .await;
    assert_eq!(v["status"], "paid");
    // Approving twice is refused with the reason.
    let r = g.post(&format!("{at}/approve"), &[("csrf", &gcsrf)]).await;
    assert_eq!(r.status, 409);
    // The agency was told at each step.
    let inbox = a.get("/notifications").await;
    inbox.shows("已拨付");
}

/// The first demo firm applies through the API for one of the demo bank's loans it qualifies for: the
/// application's id and the offer it took.
async fn apply_to_the_demo_bank(d: &Demo) -> (String, Value) {
    let firm = d.var("FIRM_USCC").to_string();
    let m = d
        .api(
            &format!("/v1/firms/{firm}/matches?amount=500000&term_months=12"),
            "FIRM_KEY",
        )
        .await;
    let bank_id =
        common::institution_id(&d.app, d.var("GOV_KEY"), credithub::demo::DEMO_BANK).await;
    let offer = m["offers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["product"]["kind"] == "bank_loan" && o["product"]["institution_id"] == bank_id)
        .unwrap_or_else(|| panic!("no bank loan offer: {m}"))
        .clone();
    let (status, app) = d
        .app
        .post(
            "/v1/applications",
            Some(d.var("FIRM_KEY")),
            &json!({"product_id": offer["product"]["id"], "amount": "500000", "term_months": 12, "confirm_consent": true}),
        )
        .await;
    assert_eq!(status, 201, "{app}");
    (app["id"].as_str().unwrap().to_string(), offer)
}

#[tokio::test]
async fn a_bank_queries_many_profiles_at_once_and_reads_its_own_query_log() {
    let d = Demo::new().await;
    let (_, _) = apply_to_the_demo_bank(&d).await;
    let firm = d.var("FIRM_USCC").to_string();
    let other = d.var("GROWING_USCC").to_string();
    let mut b = d.signed_in("bank").await;
    let form = b.get("/bank/bulk").await;
    assert_eq!(form.status, 200);
    let csrf = form.csrf();
    // Typed and in a file: the consented firm is read, the other withheld, a bad code said as such.
    let r = b
        .post_file(
            "/bank/bulk",
            &[
                ("csrf", &csrf),
                ("usccs", &format!("{firm}\n12345")),
                ("purpose", "credit_assessment"),
            ],
            "firms.csv",
            format!("统一社会信用代码\n{other}\n").into_bytes(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.html);
    let rows = {
        // The answer was the workbook itself (the response body).
        use calamine::{Reader, Xlsx};
        let bytes = r.bytes.clone();
        let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let range = wb.worksheet_range("画像 Profiles").unwrap();
        range
            .rows()
            .skip(1)
            .map(|row| (row[0].to_string(), row[1].to_string(), row[6].to_string()))
            .collect::<Vec<_>>()
    };
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(
        (rows[0].0.as_str(), rows[0].1.as_str()),
        (firm.as_str(), "ok")
    );
    assert_eq!(
        (rows[1].1.as_str(), rows[1].2.as_str()),
        ("withheld", "uscc.invalid")
    );
    assert_eq!(
        (rows[2].0.as_str(), rows[2].1.as_str()),
        (other.as_str(), "withheld")
    );
    // Nothing to query is said beside the field.
    let r = b
        .post_file(
            "/bank/bulk",
            &[
                ("csrf", &csrf),
                ("usccs", ""),
                ("purpose", "credit_assessment"),
            ],
            "empty.csv",
            b"uscc\n".to_vec(),
        )
        .await;
    assert_eq!(r.status, 422);
    r.shows("id=\"usccs-error\"");
    // The query log: the bulk reads are there, under the officer's account, and filter by firm.
    let log = b
        .get(&format!("/bank/queries?firm={}", firm.to_lowercase()))
        .await;
    assert_eq!(log.status, 200, "{}", log.html);
    log.shows(&firm);
    log.shows("account:");
    assert!(!log.html.contains(&other));
    let all = b.get("/bank/queries").await;
    all.shows(&other);
    // Another bank's officer sees none of this bank's queries.
    let mut hd = d.staff_of("hd.queries", DEMO_BANK_2).await;
    let theirs = hd.get("/bank/queries").await;
    assert!(!theirs.html.contains(&firm));
}

#[tokio::test]
async fn a_bank_officer_decides_and_disburses_from_the_inbox() {
    let d = Demo::new().await;
    let firm = d.var("FIRM_USCC").to_string();
    let (id, offer) = apply_to_the_demo_bank(&d).await;
    let (lo, hi) = (
        offer["product"]["rate_min"].as_str().unwrap().to_string(),
        offer["product"]["rate_max"].as_str().unwrap().to_string(),
    );

    let mut b = d.signed_in("bank").await;
    assert_eq!(
        b.get("/").await.location.as_deref(),
        Some("/bank/applications")
    );
    let inbox = b.get("/bank/applications?status=submitted").await;
    inbox.shows(&id);
    inbox.shows(&firm);
    let page = b.get(&format!("/bank/applications/{id}")).await;
    assert_eq!(page.status, 200);
    // The profile as the consent lets the bank see it: the API's score, and the consent beside it.
    let (status, profile) = d
        .app
        .get(
            &format!("/v1/firms/{firm}/profile?purpose=credit_assessment"),
            Some(d.var("BANK_KEY")),
        )
        .await;
    assert_eq!(status, 200, "{profile}");
    assert_eq!(by_id(&page, "score"), profile["score"].to_string());
    page.shows("id=\"consent\"");
    page.shows("授信审查");
    // The page's read is in the firm's access log, under the officer's account.
    let log = d
        .api(&format!("/v1/firms/{firm}/access-log?limit=50"), "FIRM_KEY")
        .await;
    assert!(
        log["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["key_id"].as_str().unwrap_or("").starts_with("account:")),
        "{log}"
    );

    // A rate outside the product's range is said beside the field, and nothing changes.
    let csrf = page.csrf();
    let too_high = (hi.parse::<f64>().unwrap() * 100.0 + 5.0).to_string();
    let r = b
        .post(
            &format!("/bank/applications/{id}/decide"),
            &[
                ("csrf", &csrf),
                ("decision", "approve"),
                ("amount", "400000"),
                ("rate_percent", &too_high),
                ("term_months", "12"),
            ],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.html);
    r.shows("id=\"rate_percent-error\"");
    assert_eq!(by_id(&r, "status"), "已提交");
    // Within the range: approved, then disbursed.
    // Exact: a float's 0.036 × 100 is 3.5999999999999996, below the product's floor.
    let rate = (lo.parse::<rust_decimal::Decimal>().unwrap() * rust_decimal::Decimal::ONE_HUNDRED)
        .normalize()
        .to_string();
    let r = b
        .post(
            &format!("/bank/applications/{id}/decide"),
            &[
                ("csrf", &csrf),
                ("decision", "approve"),
                ("amount", "400,000"),
                ("rate_percent", &rate),
                ("term_months", "12"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.html);
    let page = b.get(&format!("/bank/applications/{id}")).await;
    assert_eq!(by_id(&page, "status"), "已批准");
    let r = b
        .post(
            &format!("/bank/applications/{id}/disburse"),
            &[("csrf", &csrf), ("on", "")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.html);
    let v = d.api(&format!("/v1/applications/{id}"), "FIRM_KEY").await;
    assert_eq!(v["status"], "disbursed");
    assert_eq!(v["approved_amount"], "400000.00");
    // A repayment of part of it keeps the loan running.
    let r = b
        .post(
            &format!("/bank/applications/{id}/repay"),
            &[("csrf", &csrf), ("amount", "100000"), ("on", "")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.html);
    let page = b.get(&format!("/bank/applications/{id}")).await;
    page.shows("¥100,000.00");

    // The other bank sees none of it; the agency's and the firm's people are kept out.
    let mut other = d.staff_of("hd.staff", DEMO_BANK_2).await;
    assert_eq!(
        other.get(&format!("/bank/applications/{id}")).await.status,
        404
    );
    assert!(!other.get("/bank/applications").await.html.contains(&id));
    let mut agency = d.signed_in("agency").await;
    assert_eq!(agency.get("/bank/applications").await.status, 403);
    assert_eq!(b.get("/agency/contracts").await.status, 403);
    assert_eq!(b.get("/gov/batches").await.status, 403);
    let mut owner = d.signed_in("owner").await;
    assert_eq!(
        owner.get("/bank/applications").await.location.as_deref(),
        Some("/")
    );
}

#[tokio::test]
async fn the_government_creates_first_accounts_resets_and_suspends_on_its_page() {
    let d = Demo::new().await;
    let mut g = d.signed_in("gov").await;
    let page = g.get("/gov/users").await;
    assert_eq!(page.status, 200);
    let csrf = page.csrf();
    // Every fault beside its field, nothing created.
    let r = g
        .post(
            "/gov/users",
            &[
                ("csrf", &csrf),
                ("party", "staff"),
                ("login", "x"),
                ("display_name", ""),
                ("institution", "新成立的担保公司"),
                ("kind", ""),
            ],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.html);
    r.shows("id=\"login-error\"");
    r.shows("id=\"display_name-error\"");
    // An institution not known yet needs its kind.
    let r = g
        .post(
            "/gov/users",
            &[
                ("csrf", &csrf),
                ("party", "staff"),
                ("login", "xin.danbao"),
                ("display_name", "周强"),
                ("institution", "新成立的担保公司"),
                ("kind", ""),
            ],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.html);
    r.shows("id=\"institution-error\"");
    // With its kind: the institution and its first account, the link shown once.
    let r = g
        .post(
            "/gov/users",
            &[
                ("csrf", &csrf),
                ("party", "staff"),
                ("login", "xin.danbao"),
                ("display_name", "周强"),
                ("institution", "新成立的担保公司"),
                ("kind", "guarantor"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.html);
    let link = r.html.split("/activate/").nth(1).unwrap();
    let token = &link[..link.find('<').unwrap()];
    // The person sets a password through it and lands on the agency's pages.
    let mut p = Browser::new(&d.app);
    let form = p.get(&format!("/activate/{token}")).await;
    assert_eq!(form.status, 200);
    let set = p
        .post(
            &format!("/activate/{token}"),
            &[
                ("csrf", &form.csrf()),
                ("password", PASSWORD),
                ("password_again", PASSWORD),
            ],
        )
        .await;
    assert_eq!(set.status, 303, "{}", set.html);
    assert_eq!(p.sign_in("xin.danbao", PASSWORD).await.status, 303);
    assert_eq!(
        p.get("/").await.location.as_deref(),
        Some("/agency/contracts")
    );
    let contracts = p.get("/agency/contracts").await;
    contracts.shows("没有符合条件的合同");

    // A firm's first account.
    let firm = d.var("GROWING_USCC").to_string();
    let r = g
        .post(
            "/gov/users",
            &[
                ("csrf", &csrf),
                ("party", "firm"),
                ("login", "growing.owner"),
                ("display_name", "钱多"),
                ("firm", &firm),
                ("role", "owner"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.html);
    r.shows("已为 growing.owner（钱多）创建企业账户");

    // A reset voids the earlier link; suspension ends the person's session at once.
    let r = g
        .post(
            "/gov/users/reset",
            &[("csrf", &csrf), ("login", "growing.owner")],
        )
        .await;
    assert_eq!(r.status, 200);
    r.shows("已为 growing.owner（钱多）发出新链接");
    let r = g
        .post(
            "/gov/users/suspend",
            &[("csrf", &csrf), ("login", "xin.danbao")],
        )
        .await;
    assert_eq!(r.status, 200);
    r.shows("账户 xin.danbao 已停用");
    assert_eq!(
        p.get("/agency/contracts").await.location.as_deref(),
        Some("/")
    );
    // Only the government side has this page.
    let mut b = d.signed_in("bank").await;
    assert_eq!(b.get("/gov/users").await.status, 403);
}

#[tokio::test]
async fn staff_accounts_are_made_from_the_command_line() {
    let app = spawn_app().await;
    let out = app.cli(&[
        "users",
        "create",
        "--institution",
        "命令行银行",
        "--kind",
        "bank",
        "--login",
        "cli.bank",
        "--name",
        "吴刚",
        "--base-url",
        "http://hub.example",
    ]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("bank staff of"), "{said}");
    assert!(said.contains("http://hub.example/activate/"), "{said}");
    // An institution not known and no kind: refused, saying why.
    let out = app.cli(&[
        "users",
        "create",
        "--institution",
        "无名机构",
        "--login",
        "cli.none",
        "--name",
        "某人",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("institution.unknown"));
}

#[tokio::test]
async fn a_long_batch_is_shown_a_page_at_a_time_with_the_sums_of_every_line() {
    let d = Demo::new().await;
    let policies = d.api("/v1/subsidy-policies", "GUARANTOR_KEY").await;
    let policy = policies["items"][0]["id"].as_str().unwrap();
    let mut csv = String::from("contract_no,from,to,claimed\n");
    for i in 0..250 {
        csv.push_str(&format!("NO-{i:03},2026-01-01,2026-07-01,{}.00\n", i + 1));
    }
    let r = d
        .app
        .client
        .post(d.app.url(&format!("/v1/subsidy-claims?policy_id={policy}")))
        .bearer_auth(d.var("GUARANTOR_KEY"))
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    let (status, b) = common::read(r).await;
    assert_eq!(status, 201, "{b}");
    let id = b["id"].as_str().unwrap();
    let mut a = d.signed_in("agency").await;
    let first = a.get(&format!("/claims/{id}")).await;
    first.shows("第 1 页，共 2 页");
    first.shows("NO-199");
    assert!(!first.html.contains("NO-200"));
    // 1 + 2 + … + 250 yuan claimed, over both pages.
    assert_eq!(fen(&by_id(&first, "sum-claimed")), 3_137_500);
    assert_eq!(fen(&by_id(&first, "total-claimed")), 3_137_500);
    let second = a.get(&format!("/claims/{id}?page=2")).await;
    second.shows("NO-249");
    assert!(!second.html.contains("NO-199"));
    let filtered = a
        .get(&format!("/claims/{id}?status=unknown_contract&page=2"))
        .await;
    filtered.shows("NO-249");
}

#[tokio::test]
async fn an_agency_reads_its_own_figures_and_the_government_sees_every_agency_flagged_first() {
    let d = Demo::new().await;
    let mut a = d.signed_in("agency").await;
    let page = a.get("/agency/metrics").await;
    assert_eq!(page.status, 200, "{}", page.html);
    page.shows("年初至今");
    page.shows("id=\"agency-leverage\"");
    page.shows("id=\"agency-compensation\"");
    // The year to date row is the API's figures for the same period.
    let agency =
        common::institution_id(&d.app, d.var("GOV_KEY"), credithub::demo::DEMO_GUARANTOR).await;
    let today = chrono::Utc::now().date_naive();
    let year = chrono::Datelike::year(&today);
    let tomorrow = today.succ_opt().unwrap();
    let m = d
        .api(
            &format!("/v1/guarantors/{agency}/metrics?from={year}-01-01&to={tomorrow}"),
            "GOV_KEY",
        )
        .await;
    let balance = credithub::domain::Money::parse(m["balance"].as_str().unwrap()).unwrap();
    page.shows(&credithub::web::layout::T(credithub::web::Lang::Zh).money(balance));
    // Another year's link, and a year that has not begun.
    let next = a.get(&format!("/agency/metrics?year={}", year + 1)).await;
    next.shows("这一年还没有开始");

    // The board: the second agency (under-used capital, often called) is flagged, and comes first.
    let mut g = d.signed_in("gov").await;
    let board = g.get("/gov/agencies").await;
    assert_eq!(board.status, 200, "{}", board.html);
    board.shows("放大倍数低于 5 倍");
    board.shows("代偿率高于 5%");
    let first = board.html.find("东方融资担保").unwrap();
    let second = board.html.find("浦江融资担保 Pujiang").unwrap();
    assert!(first < second, "the flagged agency first");
    // Only the government has the board; an agency has only its own figures.
    assert_eq!(a.get("/gov/agencies").await.status, 403);
    let mut b = d.signed_in("bank").await;
    assert_eq!(b.get("/agency/metrics").await.status, 403);
}

/// A form's fields as the browser sends them.
fn pairs<'a>(f: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    f.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test]
async fn the_government_publishes_a_policy_on_its_page_with_the_api_checks() {
    let d = Demo::new().await;
    let mut g = d.signed_in("gov").await;
    let page = g.get("/gov/policies").await;
    assert_eq!(page.status, 200, "{}", page.html);
    page.shows("上海市小微企业融资担保费补贴");
    let csrf = page.csrf();
    let form = |name: &'static str, from: &'static str, to: &'static str, pct: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("name", name.to_string()),
            ("window_from", from.to_string()),
            ("window_to", to.to_string()),
            ("formula", "share_of_fee".to_string()),
            ("formula_percent", pct.to_string()),
            ("size_classes", "micro".to_string()),
            ("size_classes", "small".to_string()),
            ("cap_per_contract", "3,000".to_string()),
            ("budget", "1,000,000元".to_string()),
        ]
    };
    // A window that ends before it starts, and a share that is not a number: both beside their fields.
    let f = form("", "2026-07-01", "2026-01-01", "half");
    let r = g.post("/gov/policies", &pairs(&f)).await;
    assert_eq!(r.status, 422, "{}", r.html);
    r.shows("id=\"formula_percent-error\"");
    let f = form("", "2026-07-01", "2026-01-01", "50");
    let r = g.post("/gov/policies", &pairs(&f)).await;
    assert_eq!(r.status, 422, "{}", r.html);
    r.shows("id=\"name-error\"");
    r.shows("id=\"window_to-error\"");
    // A good one is published and listed in words, and the agencies can claim under it.
    let f = form("页面发布的补贴", "2026-01-01", "2026-12-31", "40");
    let r = g.post("/gov/policies", &pairs(&f)).await;
    assert_eq!(r.status, 200, "{}", r.html);
    r.shows("政策已发布");
    r.shows("补贴担保费的 40.00%");
    r.shows("¥3,000.00");
    let (_, list) = d
        .app
        .get("/v1/subsidy-policies", Some(d.var("GUARANTOR_KEY")))
        .await;
    let p = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "页面发布的补贴")
        .unwrap();
    assert_eq!(p["formula"]["share"], "0.4");
    assert_eq!(p["cap_per_contract"], "3000.00");
    let mut a = d.signed_in("agency").await;
    a.get("/agency/batches").await.shows("页面发布的补贴");
    assert_eq!(a.get("/gov/policies").await.status, 403);
}

/// Issue 20: an interest subsidy with rates by firm category, a day cap, once per firm and an
/// exclusivity group, and an agency reward with tiers, published from the page; a rate row whose rate is
/// not a number and a tier no guarantee can reach are said beside their cells. The bank claims interest
/// subsidies on its own page; the agency's page offers fee subsidies only.
#[tokio::test]
async fn the_page_publishes_rate_tables_and_tiers_and_banks_claim_interest() {
    let d = Demo::new().await;
    let mut g = d.signed_in("gov").await;
    let page = g.get("/gov/policies").await;
    // The demo's real policies, in words: Dalian's rate table, the 2012 tiers, budgets.
    page.shows("大连金普新区首贷贴息");
    page.shows("农业企业 agricultural");
    page.shows("微型企业 ≤ 100万");
    // Every policy's card carries its money, all read together.
    let published = d.api("/v1/subsidy-policies", "GOV_KEY").await;
    let n = published["items"].as_array().unwrap().len();
    assert!(n >= 8, "{published}");
    assert_eq!(page.html.matches("已批未付").count(), n);
    let csrf = page.csrf();
    let interest = |pct: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("name", "页面发布的贴息".to_string()),
            ("window_from", "2026-01-01".to_string()),
            ("window_to", "2027-12-31".to_string()),
            ("formula", "interest_subsidy".to_string()),
            ("formula_percent", "1".to_string()),
            ("max_loan", "10,000,000".to_string()),
            ("max_days", "365".to_string()),
            ("once_per_firm", "1".to_string()),
            ("exclusive_group", "page_first_loan".to_string()),
            ("rate_row_0_label", "农业".to_string()),
            ("rate_row_0_industry", "A".to_string()),
            ("rate_row_0_percent", pct.to_string()),
            ("rate_row_1_label", "高新".to_string()),
            ("rate_row_1_designation", "high_tech".to_string()),
            ("rate_row_1_percent", "1.5".to_string()),
        ]
    };
    let f = interest("two");
    let r = g.post("/gov/policies", &pairs(&f)).await;
    assert_eq!(r.status, 422, "{}", r.html);
    r.shows("id=\"rate_row_0_percent-error\"");
    let f = interest("2");
    let r = g.post("/gov/policies", &pairs(&f)).await;
    assert_eq!(r.status, 200, "{}", r.html);
    r.shows("政策已发布");
    let (_, list) = d
        .app
        .get("/v1/subsidy-policies", Some(d.var("GOV_KEY")))
        .await;
    let p = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "页面发布的贴息")
        .unwrap()
        .clone();
    assert_eq!(
        p["formula"],
        serde_json::json!({"kind": "interest_subsidy", "rate": "0.01"})
    );
    assert_eq!(p["rate_table"][0]["rate"], "0.02");
    assert_eq!(p["rate_table"][0]["rules"][0]["any_of"][0], "A");
    assert_eq!(p["rate_table"][1]["rules"][0]["any_of"][0], "high_tech");
    assert_eq!(
        (p["max_days"].as_i64(), p["once_per_firm"].as_bool()),
        (Some(365), Some(true))
    );
    assert_eq!(p["exclusive"]["group"], "page_first_loan");
    // Tiers: the second can never apply (the first takes every guarantee it would): beside its label.
    let tiers = |second_max: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("name", "页面发布的奖励".to_string()),
            ("window_from", "2026-01-01".to_string()),
            ("window_to", "2026-12-31".to_string()),
            ("formula", "agency_reward".to_string()),
            ("formula_percent", "0.5".to_string()),
            ("tier_0_label", "小微 ≤ 500万".to_string()),
            ("tier_0_classes", "micro small".to_string()),
            ("tier_0_max_loan", "5,000,000".to_string()),
            ("tier_0_percent", "2".to_string()),
            ("tier_1_label", "微型 ≤ 100万".to_string()),
            ("tier_1_classes", "micro".to_string()),
            ("tier_1_max_loan", second_max.to_string()),
            ("tier_1_percent", "3".to_string()),
        ]
    };
    let f = tiers("1,000,000");
    let r = g.post("/gov/policies", &pairs(&f)).await;
    assert_eq!(r.status, 422, "{}", r.html);
    r.shows("id=\"tier_1_label-error\"");
    // Without a ceiling it takes micro loans above 5 million: reachable, published, shown by tier.
    let f = tiers("");
    let r = g.post("/gov/policies", &pairs(&f)).await;
    assert_eq!(r.status, 200, "{}", r.html);
    r.shows("<td>微型 ≤ 100万</td><td>微型企业</td><td class=\"num\">不设</td><td class=\"num\">3.00%</td>");
    // The bank's claims page offers the interest subsidies; the agency's the fee subsidies.
    let mut b = d.signed_in("bank").await;
    let page = b.get("/bank/subsidy-claims").await;
    assert_eq!(page.status, 200, "{}", page.html);
    page.shows("页面发布的贴息");
    page.shows("大连金普新区首贷贴息");
    assert!(
        !page.html.contains("上海市小微企业融资担保费补贴"),
        "no fee subsidy for a bank"
    );
    let mut a = d.signed_in("agency").await;
    let page = a.get("/agency/batches").await;
    assert!(
        !page.html.contains("页面发布的贴息"),
        "no interest subsidy for an agency"
    );
    assert_eq!(a.get("/bank/subsidy-claims").await.status, 403);
}

#[tokio::test]
async fn an_agency_claims_its_computed_reward_and_the_government_approves_and_pays_it() {
    let d = Demo::new().await;
    let mut a = d.signed_in("agency").await;
    let year = chrono::Datelike::year(&chrono::Utc::now().date_naive());
    let from = format!("{year}-01-01");
    let to = format!("{year}-07-01");
    // A contract started before the policy's window: running in the period, but left out of the reward.
    let (status, g) = d
        .app
        .post(
            "/v1/guarantees",
            Some(d.var("GUARANTOR_KEY")),
            &json!({"contract_no": "OLD-2024", "firm_uscc": d.var("FIRM_USCC"), "lender": "申城银行",
                "loan_amount": "1000000", "guaranteed": "800000", "fee_rate": "0.01",
                "start_on": "2024-06-01", "end_on": format!("{}-06-01", year + 1)}),
        )
        .await;
    assert_eq!(status, 201, "{g}");
    let page = a.get(&format!("/agency/rewards?from={from}&to={to}")).await;
    assert_eq!(page.status, 200, "{}", page.html);
    page.shows("融资担保机构小微业务奖励");
    // What the page computes is the API's reward for the same period.
    let policies = d.api("/v1/subsidy-policies", "GUARANTOR_KEY").await;
    let policy = policies["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["formula"]["kind"] == "agency_reward")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let agency =
        common::institution_id(&d.app, d.var("GOV_KEY"), credithub::demo::DEMO_GUARANTOR).await;
    let r = d
        .api(
            &format!("/v1/subsidy-policies/{policy}/rewards/{agency}?from={from}&to={to}"),
            "GUARANTOR_KEY",
        )
        .await;
    let reward = credithub::domain::Money::parse(r["reward"].as_str().unwrap()).unwrap();
    assert!(reward > credithub::domain::Money::ZERO, "{r}");
    let shown = credithub::web::layout::T(credithub::web::Lang::Zh).money(reward);
    page.shows(&shown);
    // The contracts left out are named by the agency's own numbers, with the reason.
    let old = r["excluded"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["contract_no"] == "OLD-2024")
        .unwrap_or_else(|| panic!("the old contract is not left out: {r}"));
    page.shows(&format!(
        "OLD-2024</span> — {}",
        old["reason"].as_str().unwrap()
    ));
    // Claimed from the page: listed as claimed.
    let csrf = page.csrf();
    let fields = [
        ("csrf", csrf.as_str()),
        ("policy_id", policy.as_str()),
        ("from", from.as_str()),
        ("to", to.as_str()),
    ];
    let r = a.post("/agency/rewards", &fields).await;
    assert_eq!(r.status, 303, "{}", r.html);
    let list = a.get(&format!("/agency/rewards?from={from}&to={to}")).await;
    list.shows("已申报");
    // The same period again, or one that overlaps it, is refused with the claim it overlaps.
    let r = a.post("/agency/rewards", &fields).await;
    assert_eq!(r.status, 409, "{}", r.html);
    r.shows("overlaps the claim");
    let (status, _) = d
        .app
        .post(
            "/v1/reward-claims",
            Some(d.var("GUARANTOR_KEY")),
            &json!({"policy_id": policy, "from": format!("{year}-03-01"), "to": format!("{year}-08-01")}),
        )
        .await;
    assert_eq!(status, 409);
    // The next period through the API.
    let (status, next) = d
        .app
        .post(
            "/v1/reward-claims",
            Some(d.var("GUARANTOR_KEY")),
            &json!({"policy_id": policy, "from": to, "to": format!("{year}-10-01")}),
        )
        .await;
    assert_eq!(status, 201, "{next}");
    assert_eq!(next["status"], "claimed");
    // Only its agency and the government see the claims; a bank cannot claim.
    // (Beside the one the demo claimed, approved and paid for last year.)
    let own = d.api("/v1/reward-claims", "GUARANTOR_KEY").await;
    let this_year = own["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["from"].as_str().unwrap().starts_with(&year.to_string()))
        .count();
    assert_eq!(this_year, 2);
    let theirs = d.api("/v1/reward-claims", "GUARANTOR2_KEY").await;
    assert_eq!(theirs["items"].as_array().unwrap().len(), 0);
    let (status, _) = d
        .app
        .post(
            "/v1/reward-claims",
            Some(d.var("BANK_KEY")),
            &json!({"policy_id": policy, "from": from, "to": to}),
        )
        .await;
    assert_eq!(status, 403);
    // The government approves the first on its page (computed again: the same contracts, the same
    // amount), then records the payment; the agency is told.
    let mut g = d.signed_in("gov").await;
    let queue = g.get("/gov/rewards").await;
    assert_eq!(queue.status, 200, "{}", queue.html);
    let first = own["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["from"] == from.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let gcsrf = queue.csrf();
    let r = g
        .post(
            &format!("/gov/rewards/{first}/approve"),
            &[("csrf", &gcsrf)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.html);
    let r = g
        .post(&format!("/gov/rewards/{first}/paid"), &[("csrf", &gcsrf)])
        .await;
    assert_eq!(r.status, 303, "{}", r.html);
    let own = d.api("/v1/reward-claims", "GUARANTOR_KEY").await;
    let paid = own["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == first.as_str())
        .unwrap()
        .clone();
    assert_eq!(paid["status"], "paid");
    assert_eq!(paid["reward"], reward.to_string());
    let r = g
        .post(&format!("/gov/rewards/{first}/paid"), &[("csrf", &gcsrf)])
        .await;
    assert_eq!(r.status, 409, "paid once");
    a.get("/notifications").await.shows("机构奖励申报已拨付");
    // The agency's own pages never approve.
    let (status, _) = d
        .app
        .post(
            &format!("/v1/reward-claims/{first}/approve"),
            Some(d.var("GUARANTOR_KEY")),
            &json!({}),
        )
        .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn a_bank_publishes_edits_and_withdraws_its_products_with_the_api_checks() {
    let d = Demo::new().await;
    let mut b = d.signed_in("bank").await;
    let bank = common::institution_id(&d.app, d.var("GOV_KEY"), credithub::demo::DEMO_BANK).await;
    // A product's terms as the hub reads them (rates as numbers: 0.055 is 0.0550), its rules a set.
    let spec_of = |v: &Value| {
        let mut v = v.clone();
        for k in [
            "id",
            "institution_id",
            "status",
            "created_at",
            "updated_at",
            "withdrawn_at",
        ] {
            v.as_object_mut().unwrap().remove(k);
        }
        let mut spec: credithub::domain::matching::ProductSpec = serde_json::from_value(v).unwrap();
        spec.rules.sort_by_key(|r| r.type_name());
        spec
    };
    let listed = |v: &Value| -> Vec<Value> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["institution_id"] == bank.as_str())
            .cloned()
            .collect()
    };
    // Every demo product of the bank, opened for editing and saved as it stands, is unchanged: the form
    // holds every term and every rule.
    let before = listed(&d.app.get("/v1/products?limit=100", None).await.1);
    assert!(!before.is_empty());
    for p in &before {
        let id = p["id"].as_str().unwrap();
        let form = b.get(&format!("/bank/products/{id}/edit")).await;
        assert_eq!(form.status, 200, "{}", form.html);
        let fields = common::pages::form_fields(&form, &format!("/bank/products/{id}"));
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let r = b.post(&format!("/bank/products/{id}"), &pairs).await;
        assert_eq!(r.status, 303, "{id}: {}", r.html);
        let (_, after) = d.app.get(&format!("/v1/products/{id}"), None).await;
        assert_eq!(
            spec_of(&after),
            spec_of(p),
            "{id} changed by a save as it stands"
        );
    }
    // A new product with faults: each beside its field, nothing published.
    let form = b.get("/bank/products/new").await;
    let csrf = form.csrf();
    let mut fields: Vec<(&str, String)> = vec![
        ("csrf", csrf.clone()),
        ("kind", "bank_loan".into()),
        ("subtype", "".into()),
        ("name", "页面贷".into()),
        ("amount_min", "1,000,000".into()),
        ("amount_max", "100,000".into()),
        ("term_min_months", "6".into()),
        ("term_max_months", "36".into()),
        ("rate_min", "3.2".into()),
        ("rate_max", "abc".into()),
        ("valid_from", "2026-01-01".into()),
        ("min_score", "650".into()),
        ("size_classes", "micro".into()),
        ("size_classes", "small".into()),
        ("first_loan_only", "1".into()),
    ];
    let r = b.post("/bank/products", &pairs(&fields)).await;
    assert_eq!(r.status, 422, "{}", r.html);
    r.shows("id=\"rate_max-error\"");
    fields[9].1 = "4.5".into();
    let r = b.post("/bank/products", &pairs(&fields)).await;
    assert_eq!(r.status, 422, "{}", r.html);
    r.shows("id=\"amount_max-error\"");
    r.shows("id=\"subtype-error\"");
    fields[5].1 = "3,000,000".into();
    fields[2].1 = "first_loan".into();
    let r = b.post("/bank/products", &pairs(&fields)).await;
    assert_eq!(r.status, 303, "{}", r.html);
    let after = listed(&d.app.get("/v1/products?limit=100", None).await.1);
    let new = after.iter().find(|p| p["name"] == "页面贷").unwrap();
    assert_eq!(new["rate_min"], "0.032");
    assert_eq!(new["amount_max"], "3000000.00");
    assert_eq!(new["rules"].as_array().unwrap().len(), 3, "{new}");
    let id = new["id"].as_str().unwrap().to_string();
    // In the public catalogue; then withdrawn, it leaves it.
    let cat = Browser::new(&d.app).get("/catalogue").await;
    cat.shows("页面贷");
    let list = b.get("/bank/products").await;
    list.shows("页面贷");
    let r = b
        .post(&format!("/bank/products/{id}/withdraw"), &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status, 303);
    let cat = Browser::new(&d.app).get("/catalogue").await;
    assert!(!cat.html.contains("页面贷"));
    // Another bank's officer cannot edit or withdraw this bank's products.
    let mut other = d.staff_of("hd.products", DEMO_BANK_2).await;
    let first = before[0]["id"].as_str().unwrap();
    assert_eq!(
        other
            .get(&format!("/bank/products/{first}/edit"))
            .await
            .status,
        404
    );
    let ocsrf = other.get("/bank/products").await.csrf();
    let r = other
        .post(
            &format!("/bank/products/{first}/withdraw"),
            &[("csrf", &ocsrf)],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.html);
}

/// Issue 18: the government's statistics page puts the missed targets first (the demo's thinly
/// capitalised agency), charts leverage and coverage, and downloads each section and the yearly report
/// with the API's numbers; nobody else has them.
#[tokio::test]
async fn the_government_reads_the_statistics_and_the_yearly_report_on_its_pages() {
    use calamine::{Data, Reader};
    let d = Demo::new().await;
    let mut g = d.signed_in("gov").await;
    let page = g.get("/gov/statistics").await;
    assert_eq!(page.status, 200, "{}", page.html);
    page.shows("未达标与预警");
    page.shows("leverage_low");
    page.shows("id=\"chart-leverage\"");
    page.shows("id=\"chart-coverage\"");
    page.shows("id=\"chart-inclusive-quarters\"");
    page.shows("id=\"chart-subsidies-quarters\"");
    let flags = page.html.find("id=\"flags\"").unwrap();
    let census = page.html.find("id=\"part-census\"").unwrap();
    assert!(flags < census, "the flags come first");
    // The lending section as a workbook holds the API's figures.
    let year = chrono::Datelike::year(&chrono::Utc::now().date_naive());
    let api = d
        .api(&format!("/v1/statistics/lending?year={year}"), "GOV_KEY")
        .await;
    let (status, bytes) = g
        .download(&format!("/gov/statistics/lending.xlsx?year={year}"))
        .await;
    assert_eq!(status, 200);
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let sheet = wb.worksheet_range("lending").unwrap();
    let row = sheet
        .rows()
        .find(|r| r.get(1) == Some(&Data::String("granted_amount".into())))
        .unwrap();
    let want: f64 = common::figure_value(&api, "granted_amount")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(row[2], Data::Float(want));
    assert!(want > 0.0, "the demo reports loans");
    // Drill-down: a bank's row links to its loans.
    let link = page.html.find("/gov/loans?lender=").unwrap();
    let href: String = page.html[link..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let loans = g.get(&href.replace("&amp;", "&")).await;
    assert_eq!(loans.status, 200, "{}", loans.html);
    loans.shows("贷款明细");
    loans.shows("¥");
    let (status, csv) = g
        .download(&format!("/gov/statistics/census.csv?year={year}"))
        .await;
    assert_eq!(status, 200);
    assert!(String::from_utf8(csv)
        .unwrap()
        .starts_with("part,table,keys,column,value"));
    // The yearly report: its five parts on one printable page, and its workbook.
    let report = g.get(&format!("/gov/reports/yearly?year={year}")).await;
    assert_eq!(report.status, 200, "{}", report.html);
    for part in [
        "一、中小企业基本情况",
        "二、扶持政策及落实情况",
        "三、资金使用情况",
        "四、存在的问题及措施",
        "五、其他事项",
    ] {
        report.shows(part);
    }
    let (status, bytes) = g
        .download(&format!("/gov/reports/yearly.xlsx?year={year}"))
        .await;
    assert_eq!(status, 200);
    let wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(wb.sheet_names()[0], "contents");
    // Only the government side.
    let mut b = d.signed_in("bank").await;
    assert_eq!(b.get("/gov/statistics").await.status, 403);
    assert_eq!(
        b.download(&format!("/gov/reports/yearly.xlsx?year={year}"))
            .await
            .0,
        403
    );
    let mut firm = d.signed_in("owner").await;
    assert_ne!(firm.get("/gov/statistics").await.status, 200);
}
