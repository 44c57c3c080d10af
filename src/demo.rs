//! `credithub demo`: a realistic, deterministic data set of Shanghai firms, the demo institutions, and one
//! API key per role, so a newcomer can try every route at once. Seeding is idempotent; keys are new each run.

use crate::domain::district::DISTRICTS;
use crate::domain::role::Role;
use crate::domain::size_class::Indicators;
use crate::domain::{Money, Standard, Uscc};
use crate::store::firms::{self, FirmRow};
use crate::store::{keys, now, Db, StoreError};
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
    /// A firm whose simulated history grows, and one in distress (for comparing their profiles).
    pub growing_firm: Option<String>,
    pub distressed_firm: Option<String>,
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
    let mut keys_out = Vec::new();
    let plan: [(&'static str, Role, Option<&str>, Option<&str>); 5] = [
        ("ADMIN_KEY", Role::Admin, None, None),
        ("GOV_KEY", Role::Government, Some(DEMO_GOVERNMENT), None),
        ("BANK_KEY", Role::Bank, Some(DEMO_BANK), None),
        ("GUARANTOR_KEY", Role::Guarantor, Some(DEMO_GUARANTOR), None),
        ("FIRM_KEY", Role::Firm, None, Some(first_firm.as_str())),
    ];
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
    Ok(DemoReport {
        firms_total: firms as usize,
        firms_new: new,
        keys: keys_out,
        first_firm,
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
    })
}

/// The keys file `source`d by the README's examples.
pub fn keys_env(report: &DemoReport) -> String {
    let mut out = String::from("# credithub demo keys (secrets: keep this file private)\n");
    for k in &report.keys {
        out.push_str(&format!("export {}={}\n", k.var, k.secret));
    }
    out.push_str(&format!("export FIRM_USCC={}\n", report.first_firm));
    for (var, u) in [
        ("GROWING_USCC", &report.growing_firm),
        ("DISTRESSED_USCC", &report.distressed_firm),
    ] {
        if let Some(u) = u {
            out.push_str(&format!("export {var}={u}\n"));
        }
    }
    out
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
