//! Issue 21 on the pages, on the demo: the firm applies for repair of its tax penalty with a correction
//! statement and a PDF, the tax department's officer accepts and repairs it, the firm's score rises the
//! same minute and the bank holding its monitoring consent reads the event; a disputed utility late
//! payment is upheld and corrected with history kept; the desk shows every department's figures.

mod common;

use common::pages::Demo;
use serde_json::Value;

fn location(p: &common::pages::Page) -> String {
    p.location.clone().unwrap_or_default()
}

async fn score(d: &Demo) -> i64 {
    let v = d
        .api(
            &format!("/v1/firms/{}/profile", d.var("FIRM_USCC")),
            "ADMIN_KEY",
        )
        .await;
    v["score"].as_i64().unwrap()
}

#[tokio::test]
async fn a_demo_firm_gets_its_penalty_repaired_and_a_utility_dispute_upheld_on_the_pages() {
    let d = Demo::new().await;
    let firm = d.var("FIRM_USCC").to_string();
    let penalty = credithub::demo::DEMO_PENALTY_ID;
    let before = score(&d).await;

    // The firm's page lists the penalty, open to repair.
    let mut owner = d.owner().await;
    let page = owner.get("/firm/remedies").await;
    assert_eq!(page.status, 200);
    page.shows("信用修复与异议");
    page.shows(penalty);
    page.shows("税务行政处罚");
    page.shows("可申请修复");
    let csrf = page.csrf();

    // A text file is refused beside the file field; nothing is filed.
    let fields = [
        ("csrf", csrf.as_str()),
        ("record_id", penalty),
        (
            "statement",
            "罚款及滞纳金已于上月缴清，承诺今后依法按期申报纳税。",
        ),
        ("references", "缴款书 No. 331012026000123"),
    ];
    let bad = owner
        .post_file(
            "/firm/remedies/repair",
            &fields,
            "receipt.txt",
            b"paid".to_vec(),
        )
        .await;
    assert_eq!(bad.status, 422);
    bad.shows("只接受 PDF、JPEG、PNG 文件");
    // With a PDF it is filed and opens on its page, with its deadlines.
    let pdf = b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n".to_vec();
    let filed = owner
        .post_file("/firm/remedies/repair", &fields, "缴款书.pdf", pdf.clone())
        .await;
    assert_eq!(filed.status, 303, "{}", filed.html);
    let at = location(&filed);
    let id = at.rsplit('/').next().unwrap().to_string();
    let page = owner.get(&at).await;
    page.shows("已提交");
    page.shows("受理时限");
    page.shows("缴款书.pdf");

    // The tax department's officer sees it, accepts, and repairs it.
    let mut tax = d.signed_in("tax").await;
    let desk = tax.get("/gov/remedies").await;
    assert_eq!(desk.status, 200);
    desk.shows(&id);
    desk.shows("各部门办理情况");
    let detail = tax.get(&format!("/gov/remedies/{id}")).await;
    let (st, file) = tax
        .download(&format!(
            "/gov/remedies/{id}/files/{}",
            d.app
                .get(&format!("/v1/remedies/{id}"), Some(d.var("ADMIN_KEY")))
                .await
                .1["files"][0]["id"]
                .as_str()
                .unwrap()
        ))
        .await;
    assert_eq!((st, file), (200, pdf));
    let csrf = detail.csrf();
    let r = tax
        .post(
            &format!("/gov/remedies/{id}/act"),
            &[("csrf", &csrf), ("outcome", "accept")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.html);
    let r = tax
        .post(
            &format!("/gov/remedies/{id}/act"),
            &[
                ("csrf", &csrf),
                ("outcome", "repaired"),
                ("repaired_on", ""),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.html);
    tax.get(&format!("/gov/remedies/{id}"))
        .await
        .shows("已修复");

    // The score rose the same minute; the bank holding the monitoring consent reads the event.
    let after = score(&d).await;
    assert!(after > before, "score {before} -> {after}");
    let ev = d.api("/v1/monitoring-events", "BANK_KEY").await;
    let ev: Vec<&Value> = ev["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["remedy_id"] == id.as_str())
        .collect();
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0]["kind"], "record_repaired");
    assert_eq!(ev[0]["score_after"], after);
    let page = owner.get("/firm/remedies").await;
    page.shows("已于");

    // A disputed utility late payment: marked on the profile while open, upheld by the department that
    // owns utility data, corrected with history kept.
    let month =
        credithub::domain::month::Month::last_complete(credithub::clock::system::today_cst())
            .to_string();
    let csrf = page.csrf();
    let filed = owner
        .post_file(
            "/firm/remedies/dispute",
            &[
                ("csrf", &csrf),
                ("signal_kind", "utility_days_late"),
                ("period", &month),
                (
                    "dispute_statement",
                    "电费已按时缴纳，迟缴记录系供电公司系统错误。",
                ),
                ("claimed_value", "0"),
                ("dispute_references", "银行回单"),
            ],
            "回单.png",
            [
                &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A][..],
                b"img",
            ]
            .concat(),
        )
        .await;
    assert_eq!(filed.status, 303, "{}", filed.html);
    let dispute = location(&filed).rsplit('/').next().unwrap().to_string();
    let p = d
        .api(&format!("/v1/firms/{firm}/profile"), "ADMIN_KEY")
        .await;
    assert_eq!(p["disputed"][0]["dispute_id"], dispute.as_str());
    let mut gov = d.signed_in("gov").await;
    let detail = gov.get(&format!("/gov/remedies/{dispute}")).await;
    assert_eq!(detail.status, 200, "{}", detail.html);
    let r = gov
        .post(
            &format!("/gov/remedies/{dispute}/act"),
            &[
                ("csrf", &detail.csrf()),
                ("outcome", "upheld"),
                ("value", "0"),
                ("reason", "供电公司确认"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.html);
    let hist = d
        .api(
            &format!("/v1/firms/{firm}/signals?kind=utility_days_late&history=true"),
            "ADMIN_KEY",
        )
        .await;
    let rows: Vec<&Value> = hist
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["period"] == month.as_str())
        .collect();
    assert!(rows.len() >= 2, "{hist}");
    let current = rows.iter().find(|r| r["superseded_at"].is_null()).unwrap();
    assert_eq!(current["value"], "0");
    assert_eq!(current["record_id"], format!("dispute:{dispute}"));
    // The firm's page lists both requests with their outcome.
    let page = owner.get("/firm/remedies").await;
    page.shows("异议成立");
    page.shows("已修复");
    // The tax officer does not see the utility dispute.
    assert_eq!(
        tax.get(&format!("/gov/remedies/{dispute}")).await.status,
        404
    );
}
