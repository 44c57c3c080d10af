//! `credithub demo`: a realistic, deterministic data set of Shanghai firms, the demo institutions, and one
//! API key per role, so a newcomer can try every route at once. Seeding is idempotent; keys are new each run.

use crate::clock::system::{now, today_cst};
use crate::domain::district::DISTRICTS;
use crate::domain::role::Role;
use crate::domain::size_class::Indicators;
use crate::domain::{Money, Standard, Uscc};
use crate::store::firms::{self, FirmRow};
use crate::store::{keys, Db, StoreError};
use chrono::NaiveDate;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// (GB/T 4754 code, words in the firm's name, weight, revenue per employee in 10,000 yuan)
const INDUSTRIES: &[(&str, &str, u32, f64)] = &[
    ("C3911", "电子科技", 8, 60.0),
    ("C1310", "食品", 4, 80.0),
    ("C3484", "机械制造", 7, 70.0),
    ("C2929", "塑料制品", 4, 50.0),
    ("F5179", "贸易", 10, 200.0),
    ("F5261", "商贸", 8, 60.0),
    ("I6510", "软件", 10, 40.0),
    ("I6450", "网络科技", 5, 50.0),
    ("G5430", "物流", 5, 40.0),
    ("G5960", "仓储", 2, 30.0),
    ("H6210", "餐饮管理", 6, 20.0),
    ("H6110", "酒店管理", 2, 25.0),
    ("E4710", "建设工程", 4, 90.0),
    ("K7010", "置业", 1, 300.0),
    ("K7020", "物业管理", 3, 15.0),
    ("L7212", "商务咨询", 8, 35.0),
    ("M7340", "生物科技", 5, 45.0),
    ("A0141", "农业发展", 2, 30.0),
];

const WORDS: &[&str] = &[
    "锦程", "宏达", "瑞丰", "华信", "恒通", "嘉禾", "天成", "新元", "鼎盛", "启航", "云帆", "金桥",
    "同创", "博远", "振华", "凯旋", "普润", "海纳", "明德", "智联", "申旺", "浦兴", "汇川", "东湖",
    "星河", "光启",
];

/// District weights (more firms in Pudong, Minhang, Jiading, Songjiang).
const DISTRICT_WEIGHTS: [u32; 16] = [4, 5, 4, 5, 4, 3, 4, 9, 5, 7, 14, 3, 7, 5, 5, 2];

/// Demo firm number `i` gets this USCC: market regulator, enterprise, its district, an `MA1…` organisation code.
pub fn demo_uscc(i: u64, district_code: &str) -> Uscc {
    const ALPHABET: &[u8] = crate::domain::uscc::ALPHABET;
    let mut n = (i.wrapping_mul(7919) + 104_729) % 31u64.pow(6); // a bijection on [0, 31^6)
    let mut tail = [b'0'; 6];
    for slot in tail.iter_mut().rev() {
        *slot = ALPHABET[(n % 31) as usize];
        n /= 31;
    }
    let body = format!(
        "91{district_code}MA1{}",
        std::str::from_utf8(&tail).unwrap_or("000000")
    );
    Uscc::with_check(&body).expect("demo codes are built from the alphabet")
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T], weight: impl Fn(&T) -> u32) -> &'a T {
    let total: u32 = items.iter().map(&weight).sum();
    let mut x = rng.random_range(0..total);
    for it in items {
        let w = weight(it);
        if x < w {
            return it;
        }
        x -= w;
    }
    &items[items.len() - 1]
}

/// The `i`-th demo firm; deterministic in (`seed`, `i`).
pub fn demo_firm(seed: u64, i: u64) -> FirmRow {
    let mut rng = StdRng::seed_from_u64(seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let di = {
        let idx: Vec<usize> = (0..DISTRICTS.len()).collect();
        *pick(&mut rng, &idx, |&k| DISTRICT_WEIGHTS[k])
    };
    let district = DISTRICTS[di];
    let &(code, word, _, per_head) = pick(&mut rng, INDUSTRIES, |t| t.2);
    // Most firms are micro or small: employees log-uniform over 1..800.
    let employees = (800f64.powf(rng.random::<f64>())).round().max(1.0) as u64;
    let revenue_wan = (employees as f64 * per_head * rng.random_range(0.3..1.8)).max(5.0);
    let assets_wan = revenue_wan * rng.random_range(0.4..2.5);
    let capital_wan = (10f64 * 500f64.powf(rng.random::<f64>())).round();
    let year = rng.random_range(1996..=2025);
    let established =
        chrono::NaiveDate::from_ymd_opt(year, rng.random_range(1..=12), rng.random_range(1..=28))
            .unwrap_or_default();
    let name = format!(
        "上海{}{}{}有限公司",
        WORDS[rng.random_range(0..WORDS.len())],
        WORDS[rng.random_range(0..WORDS.len())],
        word
    );
    let revenue = Money::from_fen((revenue_wan * 1_000_000.0).round() as i64);
    let total_assets = Money::from_fen((assets_wan * 1_000_000.0).round() as i64);
    let std = Standard::current();
    let industry = std.industry(code).expect("demo industry codes are valid");
    let class = std
        .classify(
            &industry,
            &Indicators {
                employees: Some(employees),
                revenue: Some(revenue),
                total_assets: Some(total_assets),
            },
        )
        .expect("demo firms carry every indicator");
    let at = now();
    FirmRow {
        uscc: demo_uscc(i, district.code).to_string(),
        name,
        industry_code: industry.code,
        industry_row: class.row,
        district: district.key.to_string(),
        established_on: established,
        registered_capital_fen: Money::from_yuan(capital_wan as i64 * 10_000).fen(),
        employees: Some(employees as i64),
        revenue_fen: Some(revenue.fen()),
        total_assets_fen: Some(total_assets.fen()),
        size_class: class.size_class.as_str().to_string(),
        size_standard: class.standard,
        created_at: at,
        updated_at: at,
    }
}

/// The demo firms as the upstream simulator sees them.
pub fn sim_firms(seed: u64, n: u64) -> Vec<credithub_integrations::simulator::SimFirm> {
    (0..n)
        .map(|i| {
            let f = demo_firm(seed, i);
            credithub_integrations::simulator::SimFirm {
                uscc: f.uscc,
                employees: f.employees.unwrap_or(1).max(1) as u64,
                revenue_yuan: f.revenue_fen.unwrap_or(0) as f64 / 100.0,
            }
        })
        .collect()
}

pub const DEMO_BANK: &str = "申城商业银行 Shencheng Commercial Bank (demo)";
pub const DEMO_GUARANTOR: &str = "浦江融资担保 Pujiang Financing Guarantee (demo)";
pub const DEMO_GOVERNMENT: &str =
    "上海市经济信息化委 Municipal Commission of Economy and Informatization (demo)";

/// A key minted for the demo: the shell variable it is written to, its role, and the secret.
pub struct DemoKey {
    pub var: &'static str,
    pub role: Role,
    pub owner: String,
    pub secret: String,
}

pub struct DemoReport {
    pub firms_total: usize,
    pub firms_new: usize,
    pub keys: Vec<DemoKey>,
    pub first_firm: String,
    /// Demo firm 1, which owes the first firm a confirmed receivable.
    pub buyer_firm: Option<String>,
    /// A firm whose simulated history grows, and one in distress (for comparing their profiles).
    pub growing_firm: Option<String>,
    pub distressed_firm: Option<String>,
    /// A small or micro agricultural firm (GB/T 4754 section A) the demo lends nothing to: its first-loan
    /// offers show the first-loan policies (issue 20: the Dalian plan's 2% for agriculture).
    pub agri_firm: Option<String>,
}

/// The first demo firm whose simulated history follows `t`.
fn first_with(
    seed: u64,
    firms: u64,
    t: credithub_integrations::simulator::Trajectory,
) -> Option<String> {
    (0..firms)
        .map(|i| demo_firm(seed, i).uscc)
        .find(|u| credithub_integrations::simulator::trajectory(u) == t)
}

/// Seed `firms` demo firms (skipping those already there) and mint one key per role.
/// `progress` is told how many firms have been written so far.
pub fn seed(
    db: &Db,
    firms: u64,
    seed: u64,
    progress: &dyn Fn(u64),
) -> Result<DemoReport, StoreError> {
    let mut conn = db.conn()?;
    let mut new = 0;
    let chunk = 5_000u64;
    let mut start = 0;
    while start < firms {
        let end = (start + chunk).min(firms);
        let rows: Vec<FirmRow> = (start..end).map(|i| demo_firm(seed, i)).collect();
        new += firms::insert_many_new(&mut conn, &rows)?;
        progress(end);
        start = end;
    }
    let first_firm = demo_firm(seed, 0).uscc;
    // Demo firm 1 buys from firm 0: it confirms firm 0's receivables with its own key.
    let buyer = (firms > 1).then(|| demo_firm(seed, 1).uscc);
    let mut keys_out = Vec::new();
    let mut plan: Vec<(&'static str, Role, Option<&str>, Option<&str>)> = vec![
        ("ADMIN_KEY", Role::Admin, None, None),
        ("GOV_KEY", Role::Government, Some(DEMO_GOVERNMENT), None),
        ("TAX_KEY", Role::Government, Some(DEMO_TAX_DEPARTMENT), None),
        ("BANK_KEY", Role::Bank, Some(DEMO_BANK), None),
        ("BANK2_KEY", Role::Bank, Some(DEMO_BANK_2), None),
        ("GUARANTOR_KEY", Role::Guarantor, Some(DEMO_GUARANTOR), None),
        (
            "GUARANTOR2_KEY",
            Role::Guarantor,
            Some(DEMO_GUARANTOR_2),
            None,
        ),
        ("FIRM_KEY", Role::Firm, None, Some(first_firm.as_str())),
    ];
    if let Some(b) = &buyer {
        plan.push(("BUYER_KEY", Role::Firm, None, Some(b.as_str())));
    }
    for (var, role, inst, firm) in plan {
        let (_, secret) = keys::provision(&mut conn, role, inst, firm, Some("demo"))
            .map_err(|e| StoreError::Config(e.to_string()))?;
        let owner = inst
            .or(firm)
            .unwrap_or("platform administrator")
            .to_string();
        keys_out.push(DemoKey {
            var,
            role,
            owner,
            secret,
        });
    }
    let report = DemoReport {
        firms_total: firms as usize,
        firms_new: new,
        keys: keys_out,
        first_firm,
        buyer_firm: buyer.clone(),
        growing_firm: first_with(
            seed,
            firms,
            credithub_integrations::simulator::Trajectory::Growing,
        ),
        distressed_firm: first_with(
            seed,
            firms,
            credithub_integrations::simulator::Trajectory::Distressed,
        ),
        // A stable firm: never the growing one (whose loan is seeded) nor the distressed one.
        agri_firm: (2..firms).map(|i| demo_firm(seed, i)).find_map(|f| {
            (f.industry_code.starts_with('A')
                && matches!(f.size_class.as_str(), "micro" | "small")
                && credithub_integrations::simulator::trajectory(&f.uscc)
                    == credithub_integrations::simulator::Trajectory::Stable)
                .then_some(f.uscc)
        }),
    };
    if let Some(b) = &buyer {
        seed_financing(db, &report, b, seed)?;
    }
    Ok(report)
}

/// A second demo bank, so the catalogue compares lenders.
pub const DEMO_BANK_2: &str = "沪东农商银行 Hudong Rural Commercial Bank (demo)";

fn product(
    conn: &mut crate::store::DbConn,
    institution: &str,
    spec: serde_json::Value,
) -> Result<String, StoreError> {
    use crate::domain::matching::ProductSpec;
    let spec: ProductSpec = serde_json::from_value(spec)
        .map_err(|e| StoreError::Config(format!("demo product: {e}")))?;
    let at = now();
    let row = crate::store::products::ProductRow {
        id: uuid::Uuid::now_v7().to_string(),
        institution_id: institution.to_string(),
        kind: spec.kind.as_str().into(),
        name: spec.name.clone(),
        spec: serde_json::to_string(&spec).map_err(|e| StoreError::Config(e.to_string()))?,
        created_at: at,
        updated_at: at,
        withdrawn_at: None,
    };
    crate::store::products::insert(conn, &row)?;
    Ok(row.id)
}

/// The demo catalogue (all four product types, two banks and the guarantee agency) and, for the first
/// demo firm, what lets it try them: a receivable its buyer (demo firm 1) has confirmed, an appraised
/// patent, a 高新技术企业 designation; and a loan maturing soon for the growing firm (a renewal). Seeded once.
pub fn seed_financing(
    db: &Db,
    report: &DemoReport,
    buyer: &str,
    seed: u64,
) -> Result<(), StoreError> {
    use crate::store::{applications as apps, institutions, receivables};
    use serde_json::json;
    let mut conn = db.conn()?;
    let bank = institutions::ensure(&mut conn, DEMO_BANK, "bank")?;
    if !crate::store::products::list(
        &mut conn,
        &crate::store::products::Filter {
            institution: Some(bank.id.clone()),
            include_withdrawn: true,
            ..Default::default()
        },
        1,
    )?
    .is_empty()
    {
        return Ok(());
    }
    let bank2 = institutions::ensure(&mut conn, DEMO_BANK_2, "bank")?;
    let agency = institutions::ensure(&mut conn, DEMO_GUARANTOR, "guarantor")?;
    let agency2 = institutions::ensure(&mut conn, DEMO_GUARANTOR_2, "guarantor")?;
    let today = today_cst();
    let from = format!("{}-01-01", chrono::Datelike::year(&today));
    crate::store::backend::write_transaction(&mut conn, |c| {
        let scheme = product(
            c,
            &agency.id,
            json!({
                "kind": "guarantee_scheme", "name": "浦江小微政府性融资担保 Small and micro government financing guarantee",
                "amount_min": "100000", "amount_max": "10000000", "term_min_months": 3, "term_max_months": 36,
                "fee_rate": "0.0100", "coverage_ratio": "0.80", "scheme_kind": "policy_fund", "valid_from": from,
                "rules": [{"type": "size_class", "any_of": ["micro", "small"]}, {"type": "no_active_dishonesty"}],
            }),
        )?;
        product(
            c,
            &agency2.id,
            json!({
                "kind": "guarantee_scheme", "name": "东方科技型企业融资担保 Technology SME financing guarantee",
                "amount_min": "500000", "amount_max": "20000000", "term_min_months": 6, "term_max_months": 36,
                "fee_rate": "0.0120", "coverage_ratio": "0.70", "scheme_kind": "government", "valid_from": from,
                "rules": [{"type": "designation", "any_of": ["specialised_innovative", "little_giant", "high_tech"]},
                          {"type": "no_active_dishonesty"}],
            }),
        )?;
        for spec in [
            json!({"kind": "bank_loan", "subtype": "credit_loan", "name": "申城信用快贷 Shencheng credit loan",
                "amount_min": "100000", "amount_max": "3000000", "term_min_months": 6, "term_max_months": 36,
                "rate_min": "0.0345", "rate_max": "0.0550", "valid_from": from, "rules": [
                    {"type": "min_grade", "grade": "BBB"}, {"type": "no_active_dishonesty"},
                    {"type": "min_years_in_operation", "years": 2}, {"type": "max_si_arrears_months", "months": 0}]}),
            json!({"kind": "bank_loan", "subtype": "first_loan", "name": "申城首贷通 Shencheng first loan",
                "amount_min": "50000", "amount_max": "1000000", "term_min_months": 6, "term_max_months": 24,
                "rate_min": "0.0330", "rate_max": "0.0450", "valid_from": from, "rules": [
                    {"type": "first_loan_only"}, {"type": "min_score", "score": 600},
                    {"type": "size_class", "any_of": ["micro", "small"]}]}),
            json!({"kind": "bank_loan", "subtype": "renewal", "name": "申城无还本续贷 Shencheng renewal without repayment",
                "amount_min": "100000", "amount_max": "5000000", "term_min_months": 6, "term_max_months": 36,
                "rate_min": "0.0360", "rate_max": "0.0480", "valid_from": from, "rules": [
                    {"type": "loan_maturing_within", "days": 90}, {"type": "min_grade", "grade": "BB"},
                    {"type": "no_active_dishonesty"}]}),
            json!({"kind": "bank_loan", "subtype": "credit_loan", "name": "申城担保贷 Shencheng guaranteed loan",
                "amount_min": "100000", "amount_max": "5000000", "term_min_months": 6, "term_max_months": 36,
                "rate_min": "0.0380", "guarantee_scheme_id": scheme, "valid_from": from, "rules": [
                    {"type": "min_score", "score": 540}]}),
            json!({"kind": "receivable_financing", "name": "申城应收账款融资 Shencheng receivable financing",
                "amount_min": "50000", "amount_max": "5000000", "term_min_months": 1, "term_max_months": 12,
                "rate_min": "0.0400", "advance_ratio": "0.80", "valid_from": from, "rules": [
                    {"type": "confirmed_receivables"}, {"type": "no_active_dishonesty"}]}),
            json!({"kind": "ip_pledge", "name": "申城知识产权质押贷 Shencheng IP pledge loan",
                "amount_min": "100000", "amount_max": "10000000", "term_min_months": 6, "term_max_months": 36,
                "rate_min": "0.0380", "rate_max": "0.0450", "loan_to_value": "0.50", "valid_from": from, "rules": [
                    {"type": "appraised_ip"}, {"type": "min_grade", "grade": "B"}]}),
            json!({"kind": "bank_loan", "subtype": "credit_loan", "name": "申城专精特新贷 Shencheng specialised-innovative loan",
                "amount_min": "500000", "amount_max": "10000000", "term_min_months": 12, "term_max_months": 36,
                "rate_min": "0.0320", "valid_from": from, "rules": [
                    {"type": "designation", "any_of": ["specialised_innovative", "little_giant"]},
                    {"type": "min_score", "score": 650}]}),
        ] {
            product(c, &bank.id, spec)?;
        }
        for spec in [
            json!({"kind": "bank_loan", "subtype": "medium_long_term", "name": "沪东中长期技改贷 Hudong medium/long-term loan",
                "amount_min": "1000000", "amount_max": "20000000", "term_min_months": 24, "term_max_months": 60,
                "rate_min": "0.0420", "annual_fee_rate": "0.0010", "valid_from": from, "rules": [
                    {"type": "min_years_in_operation", "years": 5}, {"type": "min_grade", "grade": "A"}]}),
            json!({"kind": "bank_loan", "subtype": "credit_loan", "name": "沪东制造业信用贷 Hudong manufacturing credit loan",
                "amount_min": "100000", "amount_max": "3000000", "term_min_months": 6, "term_max_months": 24,
                "rate_min": "0.0390", "rate_max": "0.0500", "valid_from": from, "rules": [
                    {"type": "industry_prefix", "any_of": ["C"]}, {"type": "min_tax_grade", "grade": "B"},
                    {"type": "no_active_dishonesty"}]}),
        ] {
            product(c, &bank2.id, spec)?;
        }
        let firm = &report.first_firm;
        let at = now();
        receivables::insert_receivable(
            c,
            &receivables::ReceivableRow {
                id: uuid::Uuid::now_v7().to_string(),
                creditor_uscc: firm.clone(),
                debtor_uscc: buyer.to_string(),
                invoice_no: "31000262110000001".into(),
                amount_fen: Money::from_yuan(800_000).fen(),
                due_on: today + chrono::Duration::days(120),
                status: crate::domain::states::ReceivableStatus::Confirmed,
                dispute_reason: None,
                registered_at: at - chrono::Duration::hours(30),
                decided_at: Some(at),
                financed_application_id: None,
                financed_at: None,
            },
        )?;
        receivables::insert_ip(
            c,
            &receivables::IpAssetRow {
                id: uuid::Uuid::now_v7().to_string(),
                owner_uscc: firm.clone(),
                kind: "patent".into(),
                number: "ZL202310000001.1".into(),
                title: "一种高效换热装置 A high-efficiency heat exchanger".into(),
                appraised_value_fen: Money::from_yuan(2_400_000).fen(),
                appraised_on: today - chrono::Duration::days(60),
                pledged_application_id: None,
                pledged_at: None,
                created_at: at,
            },
        )?;
        apps::set_designations(
            c,
            firm,
            &[(
                "high_tech".into(),
                today - chrono::Duration::days(400),
                None,
            )],
        )?;
        if let Some(g) = &report.growing_firm {
            let class = crate::store::firms::get(c, g)?.size_class;
            apps::insert_loan(
                c,
                &apps::LoanRow {
                    id: uuid::Uuid::now_v7().to_string(),
                    firm_uscc: g.clone(),
                    institution_id: bank.id.clone(),
                    application_id: None,
                    amount_fen: Money::from_yuan(1_000_000).fen(),
                    start_on: today - chrono::Duration::days(320),
                    maturity_on: today + chrono::Duration::days(45),
                    outstanding_fen: Money::from_yuan(1_000_000).fen(),
                    status: crate::domain::states::LoanStatus::Outstanding,
                    closed_on: None,
                    created_at: at,
                    kind: crate::domain::states::LoanKind::Credit,
                    first_loan: true,
                    renews_loan_id: None,
                    credit_line_fen: None,
                    size_class: Some(class),
                    interest_rate: Some("0.0385".into()),
                },
            )?;
        }
        seed_loans(c, report, seed, &[&bank.id, &bank2.id])?;
        seed_late_payment(c, report, seed)?;
        seed_guarantees(c, report, seed, &agency.id, &agency2.id)
    })
}

/// The demo government buyer (a district construction commission: a government body, USCC category 1).
pub const DEMO_GOVERNMENT_BUYER: &str =
    "上海市某区建设和管理委员会 District construction commission (demo)";

/// Art 54: the demo government buyer owes demo firms for works delivered this year and last; most
/// receivables were paid on time, some late, a few are still unpaid past their due date.
fn seed_late_payment(
    c: &mut crate::store::DbConn,
    report: &DemoReport,
    seed: u64,
) -> Result<(), StoreError> {
    use crate::domain::states::ReceivableStatus;
    use crate::store::receivables::{self as r, PaymentRow, ReceivableRow};
    let today = today_cst();
    let at = now();
    let uscc =
        Uscc::with_check("11310115MB0000001").map_err(|e| StoreError::Config(e.to_string()))?;
    let mut gov = demo_firm(seed, 0);
    gov.uscc = uscc.to_string();
    gov.name = DEMO_GOVERNMENT_BUYER.into();
    gov.size_class = "large".into();
    gov.employees = Some(400);
    crate::store::firms::insert_many_new(c, &[gov])?;
    let firms = report.firms_total.max(1) as u64;
    let mut rng = StdRng::seed_from_u64(seed ^ 0x54);
    for k in 0..40u64 {
        let creditor = demo_firm(seed, (k * 7 + 3) % firms).uscc;
        let due = today - chrono::Duration::days(rng.random_range(20..400));
        let registered = (due - chrono::Duration::days(45))
            .and_hms_opt(2, 0, 0)
            .unwrap_or(at);
        let amount = Money::from_yuan(rng.random_range(5..80) * 10_000);
        let id = uuid::Uuid::now_v7().to_string();
        r::insert_receivable(
            c,
            &ReceivableRow {
                id: id.clone(),
                creditor_uscc: creditor,
                debtor_uscc: uscc.to_string(),
                invoice_no: format!("3100026{:010}", 2_000_000 + k),
                amount_fen: amount.fen(),
                due_on: due,
                status: ReceivableStatus::Confirmed,
                dispute_reason: None,
                registered_at: registered,
                decided_at: Some(registered + chrono::Duration::hours(rng.random_range(4..300))),
                financed_application_id: None,
                financed_at: None,
            },
        )?;
        // Three in five paid on time, one in four late (10 to 90 days), the rest still unpaid.
        let roll = rng.random_range(0..20);
        let paid_on = match roll {
            0..=11 => Some(due - chrono::Duration::days(rng.random_range(0..10))),
            12..=16 => Some(due + chrono::Duration::days(rng.random_range(10..90))),
            _ => None,
        };
        if let Some(on) = paid_on.filter(|d| *d <= today) {
            r::insert_payment(
                c,
                &PaymentRow {
                    id: uuid::Uuid::now_v7().to_string(),
                    receivable_id: id,
                    paid_on: on,
                    amount_fen: amount.fen(),
                    recorded_by: "creditor".into(),
                    recorded_at: at,
                },
            )?;
        }
    }
    Ok(())
}

/// Two years of loans the demo banks report (Art 21 statistics): every kind, first loans and renewals
/// without principal repayment, a few defaults, credit lines above the inclusive ceiling for some
/// medium firms, with balances reported at each quarter end. Deterministic for the seed.
fn seed_loans(
    c: &mut crate::store::DbConn,
    report: &DemoReport,
    seed: u64,
    banks: &[&str],
) -> Result<(), StoreError> {
    use crate::domain::states::{LoanKind, LoanStatus};
    use crate::store::applications::{self as apps, BalanceRow, LoanRow};
    let today = today_cst();
    let at = now();
    let firms = report.firms_total.max(1) as u64;
    let mut rng = StdRng::seed_from_u64(seed ^ 0x10a5);
    let first_day =
        NaiveDate::from_ymd_opt(chrono::Datelike::year(&today) - 1, 1, 1).unwrap_or(today);
    let span = (today - first_day).num_days().max(1);
    let mut had: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut made: Vec<LoanRow> = Vec::new();
    let n = (firms * 2).min(4_000);
    let mut starts: Vec<i64> = (0..n).map(|_| rng.random_range(0..span)).collect();
    starts.sort_unstable();
    for (k, offset) in starts.into_iter().enumerate() {
        let firm = demo_firm(seed, rng.random_range(0..firms));
        let start = first_day + chrono::Duration::days(offset);
        if report.agri_firm.as_ref() == Some(&firm.uscc) {
            // Its first loan is still to come (the first-loan policies' example).
            continue;
        }
        let months = *[6u32, 12, 12, 12, 24, 36]
            .get(rng.random_range(0..6))
            .unwrap_or(&12);
        let maturity = start
            .checked_add_months(chrono::Months::new(months))
            .unwrap_or(start);
        let small = matches!(firm.size_class.as_str(), "small" | "micro");
        let amount =
            Money::from_yuan(if small { 100_000 } else { 1_000_000 } * rng.random_range(1..=20));
        let credit_line =
            (!small && rng.random_range(0..4) == 0).then(|| Money::from_yuan(12_000_000).fen());
        let kind = match rng.random_range(0..10) {
            0..=3 => LoanKind::Credit,
            4..=7 => LoanKind::Guaranteed,
            _ => LoanKind::Collateral,
        };
        let bank = banks[k % banks.len()];
        // A renewal takes over an outstanding loan of the same bank and firm maturing within 90 days.
        let renews = made
            .iter_mut()
            .filter(|o| {
                o.firm_uscc == firm.uscc
                    && o.institution_id == bank
                    && o.status == LoanStatus::Outstanding
            })
            .find(|o| o.maturity_on >= start && (o.maturity_on - start).num_days() <= 90);
        let renews_loan_id = renews.map(|o| {
            o.status = LoanStatus::Repaid;
            o.outstanding_fen = 0;
            o.closed_on = Some(start);
            o.id.clone()
        });
        made.push(LoanRow {
            id: uuid::Uuid::now_v7().to_string(),
            first_loan: had.insert(firm.uscc.clone()),
            firm_uscc: firm.uscc,
            institution_id: bank.to_string(),
            application_id: None,
            amount_fen: amount.fen(),
            start_on: start,
            maturity_on: maturity,
            outstanding_fen: amount.fen(),
            status: LoanStatus::Outstanding,
            closed_on: None,
            created_at: at,
            kind,
            renews_loan_id,
            credit_line_fen: credit_line,
            size_class: Some(firm.size_class),
            // LPR 3.45% plus a spread by lender.
            interest_rate: Some(if bank == banks[0] { "0.0385" } else { "0.0420" }.into()),
        });
    }
    // Balances at each quarter end: straight-line repayment; matured loans repaid, one in 25 defaulted.
    let mut balances = Vec::new();
    for (k, l) in made.iter_mut().enumerate() {
        balances.push((l.id.clone(), l.start_on, l.amount_fen));
        let term = (l.maturity_on - l.start_on).num_days().max(1);
        // Defaults fall on distressed firms (issue 19: outcomes consistent with the latent risk).
        let defaults = k % 5 == 2
            && credithub_integrations::simulator::trajectory(&l.firm_uscc)
                == credithub_integrations::simulator::Trajectory::Distressed;
        let mut q = first_day;
        while q < today {
            let quarter_end = q
                .checked_add_months(chrono::Months::new(3))
                .unwrap_or(today)
                .pred_opt()
                .unwrap_or(q);
            q = quarter_end.succ_opt().unwrap_or(today);
            if quarter_end <= l.start_on
                || quarter_end >= today
                || l.closed_on.is_some_and(|c| c <= quarter_end)
            {
                continue;
            }
            if quarter_end >= l.maturity_on {
                if defaults {
                    l.status = LoanStatus::Defaulted;
                } else {
                    l.status = LoanStatus::Repaid;
                    l.outstanding_fen = 0;
                    l.closed_on = Some(l.maturity_on);
                    balances.push((l.id.clone(), l.maturity_on, 0));
                }
                break;
            }
            let left = (l.maturity_on - quarter_end).num_days();
            let out = l.amount_fen / 2 + l.amount_fen / 2 * left / term;
            l.outstanding_fen = out;
            balances.push((l.id.clone(), quarter_end, out));
        }
    }
    for l in &made {
        apps::insert_loan(c, l)?;
    }
    for (loan_id, as_of, outstanding_fen) in balances {
        apps::record_balance(
            c,
            &BalanceRow {
                loan_id,
                as_of,
                outstanding_fen,
                reported_at: at,
                days_past_due: None,
            },
        )?;
    }
    // A renewed loan closes with a zero balance the day its renewal starts.
    for l in made.iter().filter(|l| l.renews_loan_id.is_some()) {
        if let Some(old) = &l.renews_loan_id {
            apps::record_balance(
                c,
                &BalanceRow {
                    loan_id: old.clone(),
                    as_of: l.start_on,
                    outstanding_fen: 0,
                    reported_at: at,
                    days_past_due: None,
                },
            )?;
        }
    }
    Ok(())
}

/// A second demo guarantee agency: thinly capitalised and often called, so its metrics are flagged.
pub const DEMO_GUARANTOR_2: &str = "东方融资担保 Dongfang Financing Guarantee (demo)";

/// Guarantee data for the reconciliation and monitoring examples: 300 contracts between the two agencies
/// over the demo firms (some released early, a few called), each agency's net assets, and a fee-subsidy
/// policy. Contract numbers are `PJ-0000`… (Pujiang) and `DF-0001`… (Dongfang).
fn seed_guarantees(
    c: &mut crate::store::DbConn,
    report: &DemoReport,
    seed: u64,
    pujiang: &str,
    dongfang: &str,
) -> Result<(), StoreError> {
    use crate::store::guarantees::{self as g, GuaranteeRow, PolicyRow};
    let today = today_cst();
    let firms = report.firms_total.max(1) as u64;
    let at = now();
    let mut rows = Vec::new();
    for k in 0..300u64 {
        let second = k % 2 == 1;
        let guaranteed = Money::from_yuan(200_000 + (k * 7919 % 30) as i64 * 50_000);
        let start = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap_or(today)
            + chrono::Duration::days((k * 13 % 480) as i64);
        if start >= today {
            continue;
        }
        let end = start
            .checked_add_months(chrono::Months::new(12))
            .unwrap_or(start);
        let mut released_on = None;
        let mut called_on = None;
        let mut compensation_fen = None;
        if k % 17 == 0 && start + chrono::Duration::days(100) < today {
            released_on = Some(start + chrono::Duration::days(100));
        } else if second && k % 12 == 1 && start + chrono::Duration::days(150) < today {
            called_on = Some(start + chrono::Duration::days(150));
            compensation_fen = Some(guaranteed.fen() * 6 / 10);
        }
        rows.push(GuaranteeRow {
            id: uuid::Uuid::now_v7().to_string(),
            agency_id: if second { dongfang } else { pujiang }.to_string(),
            contract_no: format!("{}-{k:04}", if second { "DF" } else { "PJ" }),
            firm_uscc: demo_firm(seed, k % firms).uscc,
            lender: if k % 3 == 0 { DEMO_BANK_2 } else { DEMO_BANK }.to_string(),
            loan_amount_fen: guaranteed.fen() * 5 / 4,
            guaranteed_fen: guaranteed.fen(),
            fee_rate: if second && k % 4 == 1 {
                "0.02"
            } else if second {
                "0.012"
            } else {
                "0.01"
            }
            .to_string(),
            start_on: start,
            end_on: end,
            released_on,
            called_on,
            compensation_fen,
            application_id: None,
            first_loan: k % 5 == 0,
            created_at: at,
        });
    }
    g::insert(c, &rows)?;
    let year_end = NaiveDate::from_ymd_opt(2025, 12, 31).unwrap_or(today);
    g::report_net_assets(c, pujiang, year_end, Money::from_yuan(15_000_000).fen(), at)?;
    g::report_net_assets(
        c,
        dongfang,
        year_end,
        Money::from_yuan(60_000_000).fen(),
        at,
    )?;
    let fee = serde_json::json!({
        "name": "上海市小微企业融资担保费补贴 Shanghai small and micro guarantee fee subsidy (demo)",
        "window_from": "2025-01-01", "window_to": "2026-12-31",
        "rules": [{"type": "size_class", "any_of": ["micro", "small"]}],
        "max_fee_rate": "0.015", "formula": {"kind": "share_of_fee", "share": "0.5"},
        "cap_per_contract": "20000", "cap_per_firm_year": "50000", "budget": "5000000",
    });
    // The agencies' reward (the national guarantee fund measures, DOMAIN §8a): a yearly rate on the
    // average balance of guarantees to small and micro firms. Published after the fee subsidy, so the
    // fee subsidy stays the first policy listed.
    let reward = serde_json::json!({
        "name": "融资担保机构小微业务奖励 Agency reward for small and micro guarantees (demo)",
        "window_from": "2025-01-01", "window_to": "2026-12-31",
        "rules": [{"type": "size_class", "any_of": ["micro", "small"]}],
        "formula": {"kind": "agency_reward", "rate": "0.01"},
    });
    // Then the real policies of DOMAIN §8a, as shipped (issue 20 §5).
    let mut specs = Vec::new();
    for spec in [fee, reward] {
        specs.push(
            serde_json::from_value::<crate::domain::subsidy::PolicySpec>(spec)
                .map_err(|e| StoreError::Config(format!("demo policy: {e}")))?,
        );
    }
    for (name, _) in crate::domain::subsidy::SHIPPED {
        specs.push(crate::domain::subsidy::shipped(name).map_err(StoreError::Config)?);
    }
    for (k, spec) in specs.into_iter().enumerate() {
        g::insert_policy(
            c,
            &PolicyRow {
                id: uuid::Uuid::now_v7().to_string(),
                name: spec.name.clone(),
                spec: serde_json::to_string(&spec)
                    .map_err(|e| StoreError::Config(e.to_string()))?,
                created_at: at + chrono::Duration::milliseconds(k as i64),
            },
        )?;
    }
    Ok(())
}

/// The keys file `source`d by the README's examples.
pub fn keys_env(report: &DemoReport) -> String {
    let mut out = String::from("# credithub demo keys (secrets: keep this file private)\n");
    for k in &report.keys {
        out.push_str(&format!("export {}={}\n", k.var, k.secret));
    }
    out.push_str(&format!("export FIRM_USCC={}\n", report.first_firm));
    for (var, u) in [
        ("BUYER_USCC", &report.buyer_firm),
        ("GROWING_USCC", &report.growing_firm),
        ("DISTRESSED_USCC", &report.distressed_firm),
        ("AGRI_USCC", &report.agri_firm),
    ] {
        if let Some(u) = u {
            out.push_str(&format!("export {var}={u}\n"));
        }
    }
    out
}

/// Public money moving through the real paths (Art 17 statistics): each demo agency claims the fee
/// subsidy for the second half of last year on its contracts (the reconciliation decides each line),
/// the government approves both batches and pays the first agency's; the first agency claims its
/// reward for the same half-year, approved and paid. Once: nothing is claimed when any batch exists.
pub async fn seed_public_money(ctx: &crate::service::Context) -> anyhow::Result<()> {
    use crate::financing::claims::Submitted;
    use crate::service::{claims, rewards, Actor};
    use crate::store::guarantees as g;
    use rust_decimal::Decimal;
    let (batches, policies, agencies) = ctx
        .db
        .run(|c| {
            Ok((
                g::list_batches(c, None, 1)?,
                g::list_policies(c)?,
                crate::store::institutions::list(c)?,
            ))
        })
        .await?;
    if !batches.is_empty() {
        return Ok(());
    }
    let year = chrono::Datelike::year(&today_cst()) - 1;
    let (from, to) = (
        NaiveDate::from_ymd_opt(year, 7, 1).unwrap_or_default(),
        NaiveDate::from_ymd_opt(year + 1, 1, 1).unwrap_or_default(),
    );
    let (Some(fee), Some(reward)) = (policies.first(), policies.get(1)) else {
        return Ok(());
    };
    let gov = Actor::Admin;
    for (k, name) in [DEMO_GUARANTOR, DEMO_GUARANTOR_2].iter().enumerate() {
        let Some(agency) = agencies.iter().find(|i| i.name == *name) else {
            continue;
        };
        let a = agency.id.clone();
        let rows = ctx
            .db
            .run(move |c| g::list(c, Some(&a), &Default::default(), None, i64::MAX))
            .await?;
        let mut lines = Vec::new();
        for r in rows {
            let (s, e) = (r.start_on.max(from), r.end_on.min(to));
            if s >= e {
                continue;
            }
            // What the agency thinks it is owed: half the fee for the days (the policy's share).
            let days = Decimal::from((e - s).num_days());
            let rate: Decimal = r.fee_rate.parse().unwrap_or_default();
            let claimed = Decimal::new(r.guaranteed_fen, 2) * rate * days
                / Decimal::from(365)
                / Decimal::from(2);
            lines.push(Submitted {
                line_no: lines.len() + 1,
                contract_no: r.contract_no,
                from: s,
                to: e,
                claimed: Money::round_yuan(claimed).unwrap_or(Money::ZERO),
            });
        }
        if lines.is_empty() {
            continue;
        }
        let Some(claimant) = Actor::Agency {
            institution: crate::domain::ids::InstitutionId::new(agency.id.clone())
                .ok_or_else(|| anyhow::anyhow!("an agency without an id"))?,
        }
        .claimant() else {
            continue;
        };
        let filed = claims::submit(
            ctx,
            &claimant,
            claims::NewBatch {
                policy_id: fee.id.clone(),
                lines,
                idempotency_key: Some(format!("demo-{year}-h2")),
                body_hash: format!("demo-{year}-h2-{k}"),
            },
        )
        .await?;
        claims::approve(ctx, &gov, &filed.batch.id).await?;
        if k == 0 {
            claims::pay(ctx, &gov, &filed.batch.id).await?;
            let Some(institution) = crate::domain::ids::InstitutionId::new(agency.id.clone())
            else {
                continue;
            };
            let who = Actor::Agency { institution };
            let claim =
                rewards::claim(ctx, &who, &reward.id, &from.to_string(), &to.to_string()).await?;
            rewards::approve(ctx, &gov, &claim.id).await?;
            rewards::pay(ctx, &gov, &claim.id).await?;
        }
    }
    Ok(())
}

/// The demo tax department (Art 58, issue 21): its officer handles repair applications and disputes of
/// tax records, the tax penalties among them.
pub const DEMO_TAX_DEPARTMENT: &str = "上海市税务局 Shanghai Tax Service (demo)";

/// The demo firm's record that credit repair can reach.
pub const DEMO_PENALTY_ID: &str = "XZCF-TAX-2026-0815";

/// What the remedies' tour needs (issue 21), seeded once and idempotent: the remits (the tax department
/// handles tax records; the economy department the other sources), a general-severity tax penalty on the
/// first demo firm decided four months ago (so repair is open to it), a utility bill paid 12 days late
/// last month (to dispute), and the first demo bank's post-loan monitoring consent on the firm. With
/// `signals` false (`demo --skip-signals`) the penalty and the bill are left out: no signal is written.
pub async fn seed_remedies(
    ctx: &crate::service::Context,
    firm: &str,
    signals: bool,
) -> anyhow::Result<()> {
    use crate::domain::signals::{RawRow, Source};
    use crate::ingest::format::Line;
    use crate::store::{consents, institutions, remedies};
    let today = ctx.clock.today();
    let decided = today
        .checked_sub_months(chrono::Months::new(4))
        .unwrap_or(today);
    let last = crate::domain::month::Month::last_complete(today);
    let f = firm.to_string();
    let now = ctx.clock.now();
    ctx.db
        .run(move |c| {
            let tax = institutions::ensure(c, DEMO_TAX_DEPARTMENT, "government")?;
            let gov = institutions::ensure(c, DEMO_GOVERNMENT, "government")?;
            let bank = institutions::ensure(c, DEMO_BANK, "bank")?;
            remedies::set_remit(c, &tax.id, &["tax".into()])?;
            let others: Vec<String> = ["customs", "public_credit", "social_insurance", "utility"]
                .map(String::from)
                .to_vec();
            remedies::set_remit(c, &gov.id, &others)?;
            let held = consents::for_query(c, &bank.id, &f, "post_loan_monitoring")?;
            if !held
                .iter()
                .any(|k| k.revoked_at.is_none() && k.expires_at > now)
            {
                consents::insert(
                    c,
                    &consents::ConsentRow {
                        id: uuid::Uuid::now_v7().to_string(),
                        firm_uscc: f.clone(),
                        institution_id: bank.id.clone(),
                        purpose: "post_loan_monitoring".into(),
                        scope: crate::domain::consent::SCOPES.join(","),
                        data_months: 24,
                        max_queries_per_month: None,
                        data_life_days: 365,
                        document_ref: Some("demo loan contract".into()),
                        granted_by: "firm".into(),
                        granted_key_id: "demo".into(),
                        valid_from: now,
                        expires_at: now + chrono::Duration::days(365),
                        revoked_at: None,
                        created_at: now,
                        confirmed_at: Some(now),
                        confirmed_by: Some("firm".into()),
                        confirmed_key_id: Some("demo".into()),
                        refused_at: None,
                        refused_reason: None,
                    },
                )?;
            }
            Ok::<_, StoreError>(())
        })
        .await?;
    let line = |raw: RawRow| Line {
        line_no: 1,
        raw: String::new(),
        row: Ok(raw),
    };
    let penalty = RawRow {
        uscc: Some(firm.to_string()),
        kind: Some("administrative_penalty".into()),
        record_id: Some(DEMO_PENALTY_ID.into()),
        start_date: Some(decided.to_string()),
        authority: Some("国家税务总局上海市浦东新区税务局".into()),
        category: Some("tax_penalty".into()),
        severity: Some("general".into()),
        legal_basis: Some("《中华人民共和国税收征收管理法》第六十二条".into()),
        ..Default::default()
    };
    // Once: a second demo run (after the tour repaired it) leaves the record as it stands.
    let f = firm.to_string();
    let has_penalty = ctx
        .db
        .run(move |c| {
            Ok::<_, StoreError>(
                crate::store::signals::for_firm(c, &f, Some("administrative_penalty"), true)?
                    .iter()
                    .any(|s| s.event_key == DEMO_PENALTY_ID),
            )
        })
        .await?;
    if signals && !has_penalty {
        crate::service::signals::ingest_rows(
            ctx,
            Source::PublicCredit,
            crate::ingest::Origin::Api,
            vec![line(penalty)],
        )
        .await?;
        let late = RawRow {
            uscc: Some(firm.to_string()),
            kind: Some("utility_days_late".into()),
            period: Some(last.to_string()),
            value: Some("12".into()),
            ..Default::default()
        };
        crate::service::signals::ingest_rows(
            ctx,
            Source::Utility,
            crate::ingest::Origin::Api,
            vec![line(late)],
        )
        .await?;
    }
    Ok(())
}

/// Issue 19: two years of loan outcomes consistent with the firms' simulated latent risk. Each demo
/// loan's chance of going more than 90 days past due within a year of disbursement rises with what its
/// borrower's indicators showed at the decision (falling headcount, arrears, late utility bills,
/// volatile revenue) and with the firm's hidden trajectory (distressed firms default more); a loan that
/// goes bad gets its bank's monthly days-past-due reports (35, 65, 95 days …) from the month it fell
/// behind. The weights are not the expert card's, so a card fitted on the outcomes can rank them better.
/// Deterministic for the seed; a second run finds the reports in place and writes nothing new.
pub async fn seed_outcomes(ctx: &crate::service::Context, seed: u64) -> anyhow::Result<usize> {
    use crate::domain::outcome::WINDOW_MONTHS;
    use crate::store::applications::{self as apps, BalanceRow};
    use credithub_integrations::simulator::{trajectory, Trajectory};
    let cases = crate::service::scorecards::outcomes(ctx, WINDOW_MONTHS, None, None).await?;
    let today = ctx.clock.today();
    let at = now();
    let num = |c: &crate::service::scorecards::LoanCase, k: &str| {
        c.indicators
            .get(k)
            .and_then(|i| i.value.as_ref())
            .and_then(|v| v.number())
            .and_then(|d| rust_decimal::prelude::ToPrimitive::to_f64(&d))
    };
    let mut reports = Vec::new();
    for c in &cases {
        let mut rng = StdRng::seed_from_u64(
            seed ^ credithub_integrations::simulator::hash(&format!("{}{}", c.uscc, c.start_on)),
        );
        let mut z: f64 = -3.4;
        z += match trajectory(&c.uscc) {
            Trajectory::Distressed => 1.5,
            Trajectory::Growing => -0.6,
            Trajectory::Stable => 0.0,
        };
        if num(c, "headcount_trend_12m").is_some_and(|x| x < -0.05) {
            z += 1.0;
        }
        if num(c, "si_arrears_months").is_some_and(|x| x > 0.0) {
            z += 0.9;
        }
        if num(c, "tax_arrears").is_some_and(|x| x > 0.0) {
            z += 0.8;
        }
        if num(c, "utility_late_count_12m").is_some_and(|x| x >= 2.0) {
            z += 0.7;
        }
        if num(c, "revenue_volatility_12m").is_some_and(|x| x > 0.3) {
            z += 0.5;
        }
        if num(c, "tax_paid_yoy").is_some_and(|x| x > 0.1) {
            z -= 0.5;
        }
        z += rng.random_range(-0.6..0.6);
        if !rng.random_bool(1.0 / (1.0 + (-z).exp())) {
            continue;
        }
        // Behind from month 2 to 9 after disbursement; 95 days past due three months later.
        let behind = rng.random_range(2..=9u32);
        for (k, dpd) in [35, 65, 95, 125].into_iter().enumerate() {
            let Some(d) = c
                .start_on
                .checked_add_months(chrono::Months::new(behind + k as u32))
            else {
                continue;
            };
            if d <= today {
                reports.push((c.loan_id.clone(), d, dpd));
            }
        }
    }
    let n = reports.len();
    ctx.db
        .run(move |c| {
            crate::store::backend::write_transaction(c, |c| {
                for (loan_id, as_of, dpd) in reports {
                    let Some(l) = apps::get_loan(c, &loan_id)? else {
                        continue;
                    };
                    // The balance the bank reports is the last one it reported before.
                    let outstanding = l.amount_fen.min(l.outstanding_fen.max(l.amount_fen / 2));
                    apps::record_balance(
                        c,
                        &BalanceRow {
                            loan_id,
                            as_of,
                            outstanding_fen: outstanding,
                            reported_at: at,
                            days_past_due: Some(dpd),
                        },
                    )?;
                }
                Ok::<_, StoreError>(())
            })
        })
        .await?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_usccs_are_valid_and_distinct() {
        let mut seen = std::collections::HashSet::new();
        for i in 0..20_000 {
            let u = demo_uscc(i, "310115");
            assert!(Uscc::parse(u.as_str()).is_ok());
            assert!(seen.insert(u));
        }
    }

    #[test]
    fn demo_firms_are_deterministic_and_classified() {
        let (a, b) = (demo_firm(7, 3), demo_firm(7, 3));
        assert_eq!(
            FirmRow {
                created_at: a.created_at,
                updated_at: a.updated_at,
                ..b
            },
            a
        );
        assert_ne!(demo_firm(7, 4).uscc, a.uscc);
        let classes: std::collections::HashSet<String> =
            (0..2000).map(|i| demo_firm(1, i).size_class).collect();
        assert!(
            classes.contains("micro") && classes.contains("small") && classes.contains("medium"),
            "{classes:?}"
        );
    }
}
