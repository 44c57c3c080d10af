//! The firm's remedies (Art 58, issue 21) through the API: credit repair from application to the
//! recomputed profile and the told bank; disputes upheld (signal superseded, history kept) and
//! rejected; deadlines and overdue flags on a fixed clock; who sees what; evidence files.

mod common;

use common::*;
use credithub::domain::role::Role;
use serde_json::{json, Value};

/// A firm with a tax history, a tax department (remit: tax) and an economy department (remit: the
/// other sources), a bank holding a post-loan monitoring consent and one holding a credit assessment.
struct Setup {
    app: TestApp,
    uscc: String,
    firm: String,
    admin: String,
    tax: String,
    tax_id: String,
    econ: String,
    bank: String,
    bank2: String,
}

async fn setup_with(opts: Options) -> Setup {
    let app = spawn_app_with(opts).await;
    let f = firms_with_profiles(&app, 91, 1).await;
    let (uscc, firm) = f[0].clone();
    let admin = app.key(Role::Admin, None, None).await;
    let tax = app.key(Role::Government, Some("Tax Service"), None).await;
    let econ = app
        .key(Role::Government, Some("Economy Commission"), None)
        .await;
    let tax_id = institution_id(&app, &admin, "Tax Service").await;
    let econ_id = institution_id(&app, &admin, "Economy Commission").await;
    for (id, sources) in [
        (&tax_id, json!(["tax"])),
        (
            &econ_id,
            json!(["public_credit", "utility", "social_insurance", "customs"]),
        ),
    ] {
        let (s, b) = app
            .send_json(
                reqwest::Method::PUT,
                &format!("/v1/institutions/{id}/remit"),
                Some(&admin),
                &json!({ "sources": sources }),
            )
            .await;
        assert_eq!(s, 200, "{b}");
    }
    let bank = app.key(Role::Bank, Some("Bank A"), None).await;
    let bank2 = app.key(Role::Bank, Some("Bank B"), None).await;
    for (key, name, purpose) in [
        (&bank, "Bank A", "post_loan_monitoring"),
        (&bank2, "Bank B", "credit_assessment"),
    ] {
        let id = institution_id(&app, key, name).await;
        let (s, c) = app
            .post(
                "/v1/consents",
                Some(&firm),
                &json!({"institution_id": id, "purpose": purpose, "expires_at": in_days(90)}),
            )
            .await;
        assert_eq!(s, 201, "{c}");
    }
    Setup {
        app,
        uscc,
        firm,
        admin,
        tax,
        tax_id,
        econ,
        bank,
        bank2,
    }
}

async fn setup() -> Setup {
    setup_with(Options::default()).await
}

impl Setup {
    /// Send public-credit rows as the tax department would.
    async fn penalty(&self, id: &str, decided: &str, severity: &str) -> Value {
        let (s, run) = self
            .app
            .post(
                "/v1/signals",
                Some(&self.admin),
                &json!({"source": "public_credit", "rows": [{
                    "uscc": self.uscc, "kind": "administrative_penalty", "record_id": id,
                    "start_date": decided, "authority": "国家税务总局上海市税务局",
                    "category": "tax_penalty", "severity": severity,
                    "legal_basis": "《中华人民共和国税收征收管理法》第六十二条"}]}),
            )
            .await;
        assert_eq!(s, 201, "{run}");
        run
    }

    async fn score(&self) -> i64 {
        let (s, p) = self
            .app
            .get(
                &format!("/v1/firms/{}/profile", self.uscc),
                Some(&self.admin),
            )
            .await;
        assert_eq!(s, 200, "{p}");
        p["score"].as_i64().unwrap()
    }

    async fn profile_as(&self, key: &str, purpose: &str) -> Value {
        let (s, p) = self
            .app
            .get(
                &format!("/v1/firms/{}/profile?purpose={purpose}", self.uscc),
                Some(key),
            )
            .await;
        assert_eq!(s, 200, "{p}");
        as_profile_document(&p);
        p
    }
}

fn days_ago(n: i64) -> String {
    (credithub::clock::system::today_cst() - chrono::Duration::days(n)).to_string()
}

#[tokio::test]
async fn a_repair_goes_from_application_to_a_recomputed_profile_and_the_bank_is_told() {
    let s = setup().await;
    let app = &s.app;
    s.penalty("XZCF-1", &days_ago(130), "general").await;
    let before = s.score().await;

    // The firm sees the record, open to repair.
    let (st, recs) = app
        .get(
            &format!("/v1/firms/{}/public-credit-records", s.uscc),
            Some(&s.firm),
        )
        .await;
    assert_eq!(st, 200, "{recs}");
    let rec = &recs["items"][0];
    assert_eq!(rec["category"], "tax_penalty");
    assert_eq!(rec["may_apply"], true, "{rec}");

    // Apply: a statement and a reference.
    let (st, r) = app
        .post(
            "/v1/remedies/repairs",
            Some(&s.firm),
            &json!({"record_id": "XZCF-1", "statement": "罚款已缴清，承诺守法经营",
                    "references": ["缴款书 No. 3101-2026-0001"]}),
        )
        .await;
    assert_eq!(st, 201, "{r}");
    let id = r["id"].as_str().unwrap().to_string();
    assert_eq!(r["status"], "submitted");
    assert_eq!(r["owner"], "tax");
    assert!(r["accept_due"].is_string() && r["decide_due"].is_string());
    assert_eq!(r["overdue"], false);

    // A PDF as proof, stored with its hash and read back as sent.
    let pdf = b"%PDF-1.4\n% receipt of payment\n%%EOF\n".to_vec();
    let resp = app
        .client
        .post(app.url(&format!("/v1/remedies/{id}/files?filename=receipt.pdf")))
        .bearer_auth(&s.firm)
        .header("Content-Type", "application/pdf")
        .body(pdf.clone())
        .send()
        .await
        .unwrap();
    let (st, f) = read(resp).await;
    assert_eq!(st, 201, "{f}");
    use sha2::Digest;
    assert_eq!(f["sha256"], hex::encode(sha2::Sha256::digest(&pdf)));
    let got = app
        .client
        .get(app.url(&format!(
            "/v1/remedies/{id}/files/{}",
            f["id"].as_str().unwrap()
        )))
        .bearer_auth(&s.tax)
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.bytes().await.unwrap().to_vec(), pdf);

    // The tax department was told; the economy department does not see it.
    let (_, inbox) = app.get("/v1/notifications", Some(&s.tax)).await;
    assert!(
        inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "remedy_to_handle" && n["subject"] == id.as_str()),
        "{inbox}"
    );
    assert_eq!(
        app.get(&format!("/v1/remedies/{id}"), Some(&s.econ))
            .await
            .0,
        404
    );

    // Deciding before accepting is a conflict; accept, then repair.
    let (st, b) = app
        .post(
            &format!("/v1/remedies/{id}/decide"),
            Some(&s.tax),
            &json!({"outcome": "repaired"}),
        )
        .await;
    assert_eq!(st, 409, "{b}");
    let (st, b) = app
        .post(
            &format!("/v1/remedies/{id}/accept"),
            Some(&s.tax),
            &json!({}),
        )
        .await;
    assert_eq!(st, 200, "{b}");
    assert_eq!(b["status"], "accepted");
    assert_eq!(b["working_days_to_accept"], 0);
    let today = credithub::clock::system::today_cst().to_string();
    let (st, b) = app
        .post(
            &format!("/v1/remedies/{id}/decide"),
            Some(&s.tax),
            &json!({"outcome": "repaired", "repaired_on": today}),
        )
        .await;
    assert_eq!(st, 200, "{b}");
    assert_eq!(b["status"], "repaired");
    assert_eq!(b["repaired_on"], today.as_str());
    assert!(b["correction_run_id"].is_string());

    // The record stops counting from today: the score rose at once.
    let after = s.score().await;
    assert!(after > before, "score {before} -> {after}");
    let (_, recs) = app
        .get(
            &format!("/v1/firms/{}/public-credit-records", s.uscc),
            Some(&s.firm),
        )
        .await;
    assert_eq!(recs["items"][0]["repaired_on"], today.as_str());
    assert_eq!(recs["items"][0]["may_apply"], false);
    // History kept: the original row and the repaired one.
    let (_, hist) = app
        .get(
            &format!(
                "/v1/firms/{}/signals?kind=administrative_penalty&history=true",
                s.uscc
            ),
            Some(&s.admin),
        )
        .await;
    assert_eq!(hist.as_array().map(Vec::len), Some(2), "{hist}");

    // Both consented banks are told; the monitoring one also reads an event.
    for bank in [&s.bank, &s.bank2] {
        let (_, inbox) = app.get("/v1/notifications", Some(bank)).await;
        let n = inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["kind"] == "profile_changed")
            .cloned();
        let n = n.unwrap_or_else(|| panic!("no profile_changed: {inbox}"));
        assert_eq!(n["detail"]["score_after"], after.to_string());
    }
    let (st, ev) = app.get("/v1/monitoring-events", Some(&s.bank)).await;
    assert_eq!(st, 200, "{ev}");
    let ev = &ev["items"][0];
    assert_eq!(ev["kind"], "record_repaired");
    assert_eq!(ev["remedy_id"], id.as_str());
    assert_eq!(ev["score_before"], before);
    assert_eq!(ev["score_after"], after);
    let (_, ev2) = app.get("/v1/monitoring-events", Some(&s.bank2)).await;
    assert_eq!(ev2["items"].as_array().map(Vec::len), Some(0), "{ev2}");

    // The history says who did what, and the firm was told of each move.
    let (_, d) = app.get(&format!("/v1/remedies/{id}"), Some(&s.firm)).await;
    let actions: Vec<&str> = d["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["submitted", "file_added", "accepted", "repaired"]);
    assert_eq!(d["steps"][2]["actor"], s.tax_id.as_str());
    assert_eq!(d["files"][0]["filename"], "receipt.pdf");
    let (_, inbox) = app.get("/v1/notifications", Some(&s.firm)).await;
    assert!(
        inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["kind"] == "remedy_moved")
            .count()
            >= 2
    );

    // A second application on the repaired record is refused with the rule.
    let (st, b) = app
        .post(
            "/v1/remedies/repairs",
            Some(&s.firm),
            &json!({"record_id": "XZCF-1", "statement": "again", "references": ["x"]}),
        )
        .await;
    assert_eq!(st, 422, "{b}");
    assert_eq!(
        field_rules(&b),
        [(
            "record_id".to_string(),
            "repair.already_repaired".to_string()
        )]
    );
}

#[tokio::test]
async fn repair_is_refused_before_the_minimum_publication_and_without_proof() {
    let s = setup().await;
    let app = &s.app;
    // General severity: three months from the decision. Decided 20 days ago: too early.
    s.penalty("XZCF-2", &days_ago(20), "general").await;
    let (st, b) = app
        .post(
            "/v1/remedies/repairs",
            Some(&s.firm),
            &json!({"record_id": "XZCF-2", "statement": " ", "references": []}),
        )
        .await;
    assert_eq!(st, 422, "{b}");
    let rules = field_rules(&b);
    assert!(
        rules.contains(&("record_id".into(), "repair.too_early".into())),
        "{rules:?}"
    );
    assert!(
        rules.contains(&("statement".into(), "statement.required".into())),
        "{rules:?}"
    );
    assert!(
        rules.contains(&("references".into(), "repair.proof_required".into())),
        "{rules:?}"
    );
    // A minor one may be repaired at once.
    s.penalty("XZCF-3", &days_ago(1), "minor").await;
    let (st, b) = app
        .post(
            "/v1/remedies/repairs",
            Some(&s.firm),
            &json!({"record_id": "XZCF-3", "statement": "已改正", "references": ["整改报告"]}),
        )
        .await;
    assert_eq!(st, 201, "{b}");
    // One open application per record.
    let (st, _) = app
        .post(
            "/v1/remedies/repairs",
            Some(&s.firm),
            &json!({"record_id": "XZCF-3", "statement": "已改正", "references": ["整改报告"]}),
        )
        .await;
    assert_eq!(st, 409);
    // The department refuses to accept, with a reason in writing.
    let id = b["id"].as_str().unwrap();
    let (st, _) = app
        .post(
            &format!("/v1/remedies/{id}/accept"),
            Some(&s.tax),
            &json!({"not_accepted_reason": " "}),
        )
        .await;
    assert_eq!(st, 422);
    let (st, r) = app
        .post(
            &format!("/v1/remedies/{id}/accept"),
            Some(&s.tax),
            &json!({"not_accepted_reason": "缴款凭证不清晰，请补正后重新申请"}),
        )
        .await;
    assert_eq!(st, 200, "{r}");
    assert_eq!(r["status"], "not_accepted");
    // An unknown record is 404; a bank cannot apply.
    let (st, _) = app
        .post(
            "/v1/remedies/repairs",
            Some(&s.firm),
            &json!({"record_id": "nope", "statement": "x", "references": ["y"]}),
        )
        .await;
    assert_eq!(st, 404);
    let (st, _) = app
        .post(
            "/v1/remedies/repairs",
            Some(&s.bank),
            &json!({"record_id": "XZCF-2", "statement": "x", "references": ["y"]}),
        )
        .await;
    assert_eq!(st, 403);
}

#[tokio::test]
async fn an_upheld_dispute_corrects_the_signal_with_history_kept_and_a_rejected_one_is_kept() {
    let s = setup().await;
    let app = &s.app;
    let month =
        credithub::domain::month::Month::last_complete(credithub::clock::system::today_cst())
            .to_string();
    let (st, run) = app
        .post(
            "/v1/signals",
            Some(&s.admin),
            &json!({"source": "utility", "rows": [
                {"uscc": s.uscc, "kind": "utility_days_late", "period": month, "value": "30"}]}),
        )
        .await;
    assert_eq!(st, 201, "{run}");
    let before = s.score().await;

    let (st, d) = app
        .post(
            "/v1/remedies/disputes",
            Some(&s.firm),
            &json!({"signal_kind": "utility_days_late", "period": month,
                    "statement": "电费已按时缴纳，迟缴系供电公司系统错误", "claimed_value": "0",
                    "references": ["银行回单 2026-11-05"]}),
        )
        .await;
    assert_eq!(st, 201, "{d}");
    let id = d["id"].as_str().unwrap().to_string();
    assert_eq!(d["owner"], "utility");
    // While open: the profile shows it disputed, to the firm and to the consented bank; same score.
    let (_, p) = app
        .get(&format!("/v1/firms/{}/profile", s.uscc), Some(&s.firm))
        .await;
    assert_eq!(p["disputed"][0]["dispute_id"], id.as_str(), "{p}");
    assert_eq!(p["score"].as_i64(), Some(before));
    let p = s.profile_as(&s.bank, "post_loan_monitoring").await;
    assert_eq!(p["disputed"][0]["kind"], "utility_days_late");
    // The tax department cannot decide it; the economy department upholds it with the value.
    let (st, _) = app
        .post(
            &format!("/v1/remedies/{id}/decide"),
            Some(&s.tax),
            &json!({"outcome": "upheld", "correction": {"value": "0"}}),
        )
        .await;
    assert_eq!(st, 404);
    let (st, b) = app
        .post(
            &format!("/v1/remedies/{id}/decide"),
            Some(&s.econ),
            &json!({"outcome": "upheld", "correction": {"value": "-3"}}),
        )
        .await;
    assert_eq!(st, 422, "{b}");
    assert_eq!(field_rules(&b)[0].1, "correction.negative_amount");
    let (st, b) = app
        .post(
            &format!("/v1/remedies/{id}/decide"),
            Some(&s.econ),
            &json!({"outcome": "upheld", "correction": {"value": "0"}, "reason": "供电公司确认系统错误"}),
        )
        .await;
    assert_eq!(st, 200, "{b}");
    assert_eq!(b["status"], "upheld");
    // The signal is superseded (history kept) by a row whose source record is the dispute.
    let (_, hist) = app
        .get(
            &format!(
                "/v1/firms/{}/signals?kind=utility_days_late&history=true",
                s.uscc
            ),
            Some(&s.admin),
        )
        .await;
    let rows: Vec<&Value> = hist
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["period"] == month.as_str())
        .collect();
    assert_eq!(rows.len(), 2, "{hist}");
    let current = rows.iter().find(|r| r["superseded_at"].is_null()).unwrap();
    assert_eq!(current["value"], "0");
    assert_eq!(current["record_id"], format!("dispute:{id}"));
    // The profile no longer shows it disputed, and is recomputed on the corrected value.
    let (_, p) = app
        .get(&format!("/v1/firms/{}/profile", s.uscc), Some(&s.firm))
        .await;
    assert!(p.get("disputed").is_none(), "{p}");
    assert!(s.score().await >= before);

    // A second dispute, rejected: kept with its reason; the value stands.
    let (_, d2) = app
        .post(
            "/v1/remedies/disputes",
            Some(&s.firm),
            &json!({"signal_kind": "tax_paid", "period": month, "statement": "税额有误"}),
        )
        .await;
    let id2 = d2["id"].as_str().unwrap();
    assert_eq!(d2["owner"], "tax");
    let (st, _) = app
        .post(
            &format!("/v1/remedies/{id2}/decide"),
            Some(&s.tax),
            &json!({"outcome": "rejected"}),
        )
        .await;
    assert_eq!(st, 422);
    let (st, b) = app
        .post(
            &format!("/v1/remedies/{id2}/decide"),
            Some(&s.tax),
            &json!({"outcome": "rejected", "reason": "申报数据核对无误"}),
        )
        .await;
    assert_eq!(st, 200, "{b}");
    assert_eq!(b["status"], "rejected");
    assert_eq!(b["outcome_reason"], "申报数据核对无误");
    let (_, hist) = app
        .get(
            &format!("/v1/firms/{}/signals?kind=tax_paid&history=true", s.uscc),
            Some(&s.admin),
        )
        .await;
    assert!(
        hist.as_array()
            .unwrap()
            .iter()
            .filter(|r| r["period"] == month.as_str())
            .count()
            == 1
    );
}

#[tokio::test]
async fn deadlines_count_working_days_and_overdue_requests_are_flagged() {
    // Friday 2026-09-25 is the Mid-Autumn holiday; received Thursday 24 September 10:00 (CST).
    let at = chrono::NaiveDate::from_ymd_opt(2026, 9, 24)
        .unwrap()
        .and_hms_opt(2, 0, 0)
        .unwrap();
    let clock = credithub::clock::Clock::fixed(at);
    let s = setup_with(Options {
        clock: clock.clone(),
        ..Default::default()
    })
    .await;
    let app = &s.app;
    s.penalty("XZCF-9", "2026-01-05", "general").await;
    let (st, r) = app
        .post(
            "/v1/remedies/repairs",
            Some(&s.firm),
            &json!({"record_id": "XZCF-9", "statement": "已缴清", "references": ["凭证"]}),
        )
        .await;
    assert_eq!(st, 201, "{r}");
    // 3 working days: Fri 25 off, Sat 26 off, Sun 27 off... Mon 28 (1), Tue 29 (2), Wed 30 (3).
    assert_eq!(r["accept_due"], "2026-09-30");
    // 10 working days: 28, 29, 30 Sep, then 1-7 Oct off, 8, 9, Sat 10 (make-up), 12, 13, 14, 15.
    assert_eq!(r["decide_due"], "2026-10-15");
    let id = r["id"].as_str().unwrap().to_string();
    let (_, list) = app.get("/v1/remedies?overdue=true", Some(&s.tax)).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0), "{list}");
    // On 1 October (a holiday, after the acceptance deadline) it is overdue, for the department and the
    // dashboard.
    clock.set(
        chrono::NaiveDate::from_ymd_opt(2026, 10, 1)
            .unwrap()
            .and_hms_opt(2, 0, 0)
            .unwrap(),
    );
    let (_, r) = app.get(&format!("/v1/remedies/{id}"), Some(&s.tax)).await;
    assert_eq!(r["overdue"], true, "{r}");
    assert_eq!(r["due"], "2026-09-30");
    let (_, list) = app.get("/v1/remedies?overdue=true", Some(&s.tax)).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    let (st, o) = app.get("/v1/remedies/overview", Some(&s.econ)).await;
    assert_eq!(st, 200, "{o}");
    let tax = o["departments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["institution_id"] == s.tax_id.as_str())
        .unwrap();
    assert_eq!(
        (tax["requests"].as_i64(), tax["overdue"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(tax["overdue_share"], "1");
    // Accepted late, then decided on 9 October: late steps recorded, working days counted.
    let (_, b) = app
        .post(
            &format!("/v1/remedies/{id}/accept"),
            Some(&s.tax),
            &json!({}),
        )
        .await;
    assert_eq!(b["late_steps"], json!(["accept"]));
    clock.set(
        chrono::NaiveDate::from_ymd_opt(2026, 10, 9)
            .unwrap()
            .and_hms_opt(2, 0, 0)
            .unwrap(),
    );
    let (st, b) = app
        .post(
            &format!("/v1/remedies/{id}/decide"),
            Some(&s.tax),
            &json!({"outcome": "refused", "reason": "罚款尚未缴清"}),
        )
        .await;
    assert_eq!(st, 200, "{b}");
    // 25 (off), 28, 29, 30, 8, 9 October: five working days.
    assert_eq!(b["working_days_to_decide"], 5);
    assert_eq!(b["overdue"], false);
    let (_, o) = app.get("/v1/remedies/overview", Some(&s.admin)).await;
    let tax = o["departments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["institution_id"] == s.tax_id.as_str())
        .unwrap();
    assert_eq!(tax["median_working_days"], "5");
    assert_eq!(tax["late"], 1);
}

#[tokio::test]
async fn each_party_sees_only_its_own_requests() {
    let s = setup().await;
    let app = &s.app;
    s.penalty("XZCF-4", &days_ago(1), "minor").await;
    let (_, r) = app
        .post(
            "/v1/remedies/repairs",
            Some(&s.firm),
            &json!({"record_id": "XZCF-4", "statement": "x", "references": ["y"]}),
        )
        .await;
    let id = r["id"].as_str().unwrap();
    let other = app.register_firms(92, 1).await.pop().unwrap();
    let other_key = app.key(Role::Firm, None, Some(&other)).await;
    assert_eq!(
        app.get(&format!("/v1/remedies/{id}"), Some(&other_key))
            .await
            .0,
        404
    );
    let (_, l) = app.get("/v1/remedies", Some(&other_key)).await;
    assert_eq!(l["items"].as_array().map(Vec::len), Some(0));
    let (_, l) = app.get("/v1/remedies", Some(&s.econ)).await;
    assert_eq!(l["items"].as_array().map(Vec::len), Some(0), "{l}");
    let (_, l) = app.get("/v1/remedies", Some(&s.tax)).await;
    assert_eq!(l["items"].as_array().map(Vec::len), Some(1));
    let (_, l) = app.get("/v1/remedies", Some(&s.admin)).await;
    assert_eq!(l["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(app.get("/v1/remedies", Some(&s.bank)).await.0, 403);
    assert_eq!(
        app.get(&format!("/v1/remedies/{id}"), Some(&s.bank))
            .await
            .0,
        403
    );
    assert_eq!(app.get("/v1/remedies/overview", Some(&s.firm)).await.0, 403);
    // The firm cannot decide its own request; another firm's records are not its to read.
    assert_eq!(
        app.post(
            &format!("/v1/remedies/{id}/accept"),
            Some(&s.firm),
            &json!({})
        )
        .await
        .0,
        403
    );
    assert_eq!(
        app.get(
            &format!("/v1/firms/{other}/public-credit-records"),
            Some(&s.firm)
        )
        .await
        .0,
        403
    );
    // Only the administrator sets a remit, of known sources, on a government department.
    let (st, b) = app
        .send_json(
            reqwest::Method::PUT,
            &format!("/v1/institutions/{}/remit", s.tax_id),
            Some(&s.tax),
            &json!({"sources": ["tax"]}),
        )
        .await;
    assert_eq!(st, 403, "{b}");
    let (st, b) = app
        .send_json(
            reqwest::Method::PUT,
            &format!("/v1/institutions/{}/remit", s.tax_id),
            Some(&s.admin),
            &json!({"sources": ["tax", "rumours"]}),
        )
        .await;
    assert_eq!(st, 422, "{b}");
    assert_eq!(
        field_rules(&b),
        [("sources[1]".to_string(), "source.unknown".to_string())]
    );
}

#[tokio::test]
async fn evidence_files_are_pdf_jpeg_or_png_within_the_size_limit() {
    let s = setup().await;
    let app = &s.app;
    s.penalty("XZCF-5", &days_ago(1), "minor").await;
    let (_, r) = app
        .post(
            "/v1/remedies/repairs",
            Some(&s.firm),
            &json!({"record_id": "XZCF-5", "statement": "x", "references": ["y"]}),
        )
        .await;
    let id = r["id"].as_str().unwrap();
    let send = |ct: &'static str, body: Vec<u8>| {
        app.client
            .post(app.url(&format!("/v1/remedies/{id}/files?filename=f")))
            .bearer_auth(&s.firm)
            .header("Content-Type", ct)
            .body(body)
            .send()
    };
    // A PNG and a JPEG by their content.
    let png = [
        &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A][..],
        b"rest",
    ]
    .concat();
    let (st, f) = read(send("image/png", png).await.unwrap()).await;
    assert_eq!(
        (st, f["content_type"].as_str()),
        (201, Some("image/png")),
        "{f}"
    );
    let (st, f) = read(
        send("image/jpeg", vec![0xFF, 0xD8, 0xFF, 0xE0, 1, 2])
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (st, f["content_type"].as_str()),
        (201, Some("image/jpeg")),
        "{f}"
    );
    // A Word file that calls itself a PDF is refused by its content.
    let (st, b) = read(
        send("application/pdf", b"PK\x03\x04word".to_vec())
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, 422, "{b}");
    assert_eq!(field_rules(&b)[0].1, "file.type");
    // A text body is not a file type taken.
    let (st, _) = read(send("text/plain", b"hello".to_vec()).await.unwrap()).await;
    assert_eq!(st, 415);
    // Over 5 MiB: 413.
    let big = [b"%PDF-".to_vec(), vec![b'x'; 5 << 20]].concat();
    let (st, _) = read(send("application/pdf", big).await.unwrap()).await;
    assert_eq!(st, 413);
    // Only the firm adds evidence.
    let resp = app
        .client
        .post(app.url(&format!("/v1/remedies/{id}/files")))
        .bearer_auth(&s.tax)
        .header("Content-Type", "application/pdf")
        .body(b"%PDF-1.4".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
}

#[tokio::test]
async fn unlisted_public_credit_records_and_those_without_a_basis_are_quarantined() {
    let s = setup().await;
    let (st, run) = s
        .app
        .post(
            "/v1/signals",
            Some(&s.admin),
            &json!({"source": "public_credit", "rows": [
                {"uscc": s.uscc, "kind": "dishonesty_listing", "record_id": "L-1", "start_date": days_ago(10),
                 "authority": "某协会", "category": "industry_blacklist", "legal_basis": "协会章程"},
                {"uscc": s.uscc, "kind": "dishonesty_listing", "record_id": "L-2", "start_date": days_ago(10),
                 "authority": "国家税务总局上海市税务局", "category": "tax_major_violation"},
                {"uscc": s.uscc, "kind": "late_tax_rumour", "record_id": "L-3", "start_date": days_ago(10),
                 "authority": "x", "category": "tax_penalty", "legal_basis": "y"}]}),
        )
        .await;
    assert_eq!(st, 201, "{run}");
    assert_eq!(run["quarantined"], 3, "{run}");
    let (_, rejects) = s
        .app
        .get(
            &format!("/v1/ingestion-runs/{}/rejects", run["id"].as_str().unwrap()),
            Some(&s.admin),
        )
        .await;
    let codes: Vec<String> = rejects["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reasons"][0]["code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        codes,
        [
            "unlisted_dishonesty_kind",
            "missing_legal_basis",
            "unlisted_dishonesty_kind"
        ]
    );
}
