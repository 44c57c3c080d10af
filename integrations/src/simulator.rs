//! A stand-in for the six upstream feeds: a real HTTP server speaking each source's wire format, with
//! deterministic, internally consistent histories per firm (a growing firm pays more tax, hires and uses
//! more power; a distressed firm falls behind on utilities, social insurance and tax), and faults on request
//! (5xx, slow responses, malformed rows, duplicates) through `POST /_sim/faults`.

use crate::customs::Qyxy;
use crate::procurement::Zbgg;
use crate::public_credit::Xyjl;
use crate::social_insurance::Jfjl;
use crate::tax::Nsxx;
use crate::utility::{Bill, BillLine};
use crate::{Envelope, SourceId};
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The simulated procurement buyers (the first reserves well under 30% for SMEs).
pub const BUYERS: [&str; 6] = [
    "上海市某区卫生健康委员会",
    "上海市教育委员会",
    "上海市交通委员会",
    "上海市经济和信息化委员会",
    "上海市某区城市管理行政执法局",
    "上海市生态环境局",
];
const AWARDS_PER_BUYER_MONTH: usize = 3;

/// What the simulator knows of a firm.
#[derive(Debug, Clone)]
pub struct SimFirm {
    pub uscc: String,
    pub employees: u64,
    /// Yearly operating revenue, yuan.
    pub revenue_yuan: f64,
}

#[derive(Debug, Clone)]
pub struct SimConfig {
    pub firms: Vec<SimFirm>,
    /// Months of history per firm, ending with `last_month`.
    pub months: u32,
    /// (year, month) of the newest period served.
    pub last_month: (i32, u32),
    pub client_id: String,
    pub client_secret: String,
}

impl SimConfig {
    /// 36 months ending with last month (China Standard Time), demo credentials.
    pub fn new(firms: Vec<SimFirm>) -> Self {
        use chrono::Datelike;
        let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
        let last = if today.month() == 1 {
            (today.year() - 1, 12)
        } else {
            (today.year(), today.month() - 1)
        };
        SimConfig {
            firms,
            months: 36,
            last_month: last,
            client_id: "credithub".into(),
            client_secret: "demo-secret".into(),
        }
    }
}

/// Faults to inject into the next responses of the record routes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Answer the next N record requests with `fail_status` (default 503).
    pub fail_next: u32,
    pub fail_status: u16,
    /// Delay the next N record responses by `slow_ms`.
    pub slow_next: u32,
    pub slow_ms: u64,
    /// Put a malformed record (bad amount) and an unreadable one into the next N pages.
    pub malformed_next: u32,
    /// Repeat the first record at the end of the next N pages.
    pub duplicate_next: u32,
}

struct State {
    config: SimConfig,
    faults: Mutex<Faults>,
    token: String,
    served: AtomicU64,
}

/// A running simulator.
pub struct Simulator {
    pub base_url: String,
    pub handle: actix_web::dev::ServerHandle,
    state: Arc<State>,
}

impl Simulator {
    pub fn set_faults(&self, f: Faults) {
        if let Ok(mut g) = self.state.faults.lock() {
            *g = f;
        }
    }
    /// Record pages served so far.
    pub fn pages_served(&self) -> u64 {
        self.state.served.load(Ordering::Relaxed)
    }
}

/// FNV-1a of `s`: a stable seed from a text (a USCC, a loan's key).
pub fn hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Trajectory {
    Growing,
    Stable,
    Distressed,
}

/// Which way a firm's history goes (30% growing, 50% stable, 20% distressed), from its USCC.
pub fn trajectory(uscc: &str) -> Trajectory {
    match hash(uscc) % 10 {
        0..=2 => Trajectory::Growing,
        3..=7 => Trajectory::Stable,
        _ => Trajectory::Distressed,
    }
}

struct MonthCtx<'a> {
    firm: &'a SimFirm,
    traj: Trajectory,
    /// 0 = oldest month.
    t: u32,
    months: u32,
    year: i32,
    month: u32,
    rng: StdRng,
}

impl MonthCtx<'_> {
    /// Activity level relative to the firm's registered scale.
    fn level(&self) -> f64 {
        let from_end = self.months - 1 - self.t;
        match self.traj {
            Trajectory::Growing => 0.55 * 1.025f64.powi(self.t as i32),
            Trajectory::Stable => 1.0,
            Trajectory::Distressed if from_end < 12 => 1.0 - 0.05 * (12 - from_end) as f64,
            Trajectory::Distressed => 1.0,
        }
    }
    /// Months before the newest one.
    fn months_before_last(&self) -> u32 {
        self.months - 1 - self.t
    }
    fn noise(&mut self) -> f64 {
        self.rng.random_range(0.9..1.1)
    }
    fn ym(&self) -> String {
        format!("{:04}{:02}", self.year, self.month)
    }
    fn ym_dash(&self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }
}

fn money(x: f64) -> String {
    format!("{:.2}", x.max(0.0))
}

impl State {
    fn month_of(&self, t: u32) -> (i32, u32) {
        let (ly, lm) = self.config.last_month;
        let back = (self.config.months - 1 - t) as i32;
        let idx = ly * 12 + lm as i32 - 1 - back;
        (idx.div_euclid(12), idx.rem_euclid(12) as u32 + 1)
    }

    fn ctx(&self, firm_idx: usize, t: u32, salt: u64) -> MonthCtx<'_> {
        let firm = &self.config.firms[firm_idx];
        let (year, month) = self.month_of(t);
        MonthCtx {
            firm,
            traj: trajectory(&firm.uscc),
            t,
            months: self.config.months,
            year,
            month,
            rng: StdRng::seed_from_u64(
                hash(&firm.uscc) ^ (t as u64 + 1).wrapping_mul(0x9E37_79B9) ^ salt,
            ),
        }
    }

    /// Highest sequence number of a source.
    fn max_seq(&self, source: SourceId) -> u64 {
        let n = self.config.firms.len() as u64;
        match source {
            SourceId::PublicCredit => n * 2,
            SourceId::Procurement => {
                (BUYERS.len() * AWARDS_PER_BUYER_MONTH) as u64 * self.config.months as u64
            }
            _ => n * self.config.months as u64,
        }
    }

    /// The record with sequence number `seq` (1-based), if that slot holds one.
    fn record(&self, source: SourceId, seq: u64) -> Option<serde_json::Value> {
        let m = self.config.months as u64;
        let to_json = |v: Result<serde_json::Value, serde_json::Error>| v.ok();
        if source == SourceId::PublicCredit {
            let (firm_idx, slot) = (((seq - 1) / 2) as usize, (seq - 1) % 2);
            return to_json(serde_json::to_value(self.event(firm_idx, slot)?));
        }
        if source == SourceId::Procurement {
            return to_json(serde_json::to_value(self.award(seq)?));
        }
        let (firm_idx, t) = (((seq - 1) / m) as usize, ((seq - 1) % m) as u32);
        let mut c = self.ctx(firm_idx, t, source as u64);
        let rev_month = c.firm.revenue_yuan / 12.0;
        let level = c.level();
        let distressed_late = c.traj == Trajectory::Distressed && c.months_before_last() < 6;
        let uscc = c.firm.uscc.clone();
        let v = match source {
            SourceId::Tax => {
                let invoiced = rev_month * level * c.noise();
                let rate = c.rng.random_range(0.03..0.06);
                let (paid, arrears) = if distressed_late {
                    (
                        invoiced * rate * 0.3,
                        invoiced * rate * 0.7 * (6 - c.months_before_last()) as f64,
                    )
                } else {
                    (invoiced * rate, 0.0)
                };
                let grade = (c.month == 12).then(|| match c.traj {
                    Trajectory::Growing => "A",
                    Trajectory::Stable => "B",
                    Trajectory::Distressed if c.months_before_last() < 12 => "C",
                    Trajectory::Distressed => "B",
                });
                serde_json::to_value(Nsxx {
                    jlid: format!("NS{}{}", c.ym(), &uscc[8..17]),
                    nsrsbh: uscc,
                    ssq: c.ym(),
                    jnse: money(paid),
                    kpje: money(invoiced),
                    qsje: money(arrears),
                    xydj: grade.map(str::to_string),
                    pjnd: grade.map(|_| c.year.to_string()),
                })
            }
            SourceId::SocialInsurance => {
                let heads = ((c.firm.employees as f64) * level).round().max(1.0) as i64;
                let paid = heads as f64 * 1850.0 * c.noise();
                let arrears = if distressed_late {
                    (6 - c.months_before_last()) as i64
                } else {
                    0
                };
                serde_json::to_value(Jfjl {
                    id: format!("SI{}{}", c.ym(), &uscc[8..17]),
                    dwtyxydm: uscc,
                    tjny: c.ym_dash(),
                    cbrs: heads,
                    sjje: money(if arrears > 0 { paid * 0.4 } else { paid }),
                    qjys: arrears,
                })
            }
            SourceId::Utility => {
                // The utility's newest month is late for one firm in eight: its coverage of the
                // registry dips under 90% for the last complete month (what Art 26's data-quality
                // figures flag).
                if c.t + 1 == c.months && hash(&uscc) % 8 == 3 {
                    return None;
                }
                let kwh = (rev_month / 100.0 * level * c.noise()).max(50.0);
                let water = kwh / 50.0 * c.noise();
                let gas = kwh / 20.0 * c.noise();
                let overdue = match c.traj {
                    Trajectory::Distressed if c.months_before_last() < 9 => {
                        c.rng.random_range(5..40)
                    }
                    Trajectory::Stable if c.rng.random_bool(0.05) => c.rng.random_range(1..6),
                    _ => 0,
                };
                let line = |code: &str, usage: f64, price: f64| BillLine {
                    util_type: code.into(),
                    usage: format!("{usage:.1}"),
                    amount: money((usage * 10.0).round() / 10.0 * price),
                };
                serde_json::to_value(Bill {
                    bill_no: format!("UB{}{}", c.ym(), &uscc[8..17]),
                    uscc,
                    bill_month: c.ym(),
                    lines: vec![
                        line("01", kwh, 0.9),
                        line("02", water, 5.0),
                        line("03", gas, 3.5),
                    ],
                    overdue_days: overdue,
                })
            }
            SourceId::Customs => {
                if !hash(&uscc).is_multiple_of(4) {
                    return None; // three firms in four do not trade across the border
                }
                let class = match c.traj {
                    Trajectory::Growing if hash(&uscc).is_multiple_of(3) => "1",
                    Trajectory::Distressed if c.months_before_last() < 3 => "3",
                    _ => "2",
                };
                serde_json::to_value(Qyxy {
                    id: format!("HG{}{}", c.ym(), &uscc[8..17]),
                    tyshxydm: uscc,
                    ny: c.ym_dash(),
                    xyjb: class.into(),
                    jkze: money(rev_month * 0.2 * level * c.noise()),
                    ckze: money(rev_month * 0.3 * level * c.noise()),
                })
            }
            SourceId::PublicCredit | SourceId::Procurement => return None,
        };
        to_json(v)
    }

    /// Public-credit events: distressed firms get a penalty (and one in five a dishonesty listing);
    /// one stable firm in seven has an old penalty that was repaired.
    fn event(&self, firm_idx: usize, slot: u64) -> Option<Xyjl> {
        let firm = &self.config.firms[firm_idx];
        let h = hash(&firm.uscc);
        let (kind, months_ago, repaired_after) = match (trajectory(&firm.uscc), slot) {
            (Trajectory::Distressed, 0) => ("XZCF", 8, None),
            (Trajectory::Distressed, 1) if h.is_multiple_of(5) => ("SXMD", 3, None),
            (Trajectory::Stable, 0) if h.is_multiple_of(7) => ("XZCF", 24, Some(6)),
            _ => return None,
        };
        let t = self.config.months.checked_sub(1 + months_ago)?;
        let (y, m) = self.month_of(t);
        let day = 1 + (h % 27) as u32;
        let date = |y: i32, m: u32| format!("{y:04}-{m:02}-{day:02}");
        let repaired = repaired_after.map(|after| {
            let (ry, rm) = self.month_of(t + after);
            date(ry, rm)
        });
        Some(Xyjl {
            jlbh: format!("{kind}-{}-{}", &firm.uscc[8..17], slot),
            tyshxydm: firm.uscc.clone(),
            lx: kind.into(),
            rdrq: date(y, m),
            jzrq: None,
            rdjg: if kind == "SXMD" {
                "上海市高级人民法院".into()
            } else {
                "上海市市场监督管理局".into()
            },
            xfrq: repaired,
            lb: Some(
                if kind == "SXMD" {
                    "court_dishonest_debtor"
                } else {
                    "market_penalty"
                }
                .into(),
            ),
            yzcd: (kind == "XZCF").then(|| "general".into()),
            flyj: Some(
                if kind == "SXMD" {
                    "《中华人民共和国民事诉讼法》第二百六十六条"
                } else {
                    "《中华人民共和国行政处罚法》第二十八条"
                }
                .into(),
            ),
        })
    }

    /// Procurement award `seq`: each buyer awards a few projects every month; a project reserved for
    /// SMEs goes to a firm under 300 staff, mostly one under 100; the first buyer reserves little.
    fn award(&self, seq: u64) -> Option<Zbgg> {
        let firms = &self.config.firms;
        if firms.is_empty() {
            return None;
        }
        let per_month = (BUYERS.len() * AWARDS_PER_BUYER_MONTH) as u64;
        let t = ((seq - 1) / per_month) as u32;
        let within = (seq - 1) % per_month;
        let buyer = (within / AWARDS_PER_BUYER_MONTH as u64) as usize;
        let lot = within % AWARDS_PER_BUYER_MONTH as u64;
        let mut rng = StdRng::seed_from_u64(seq.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0x9_4D04);
        let (y, m) = self.month_of(t);
        let reserve_share = if buyer == 0 { 0.12 } else { 0.55 };
        let reserved = rng.random_bool(reserve_share);
        let pick = |rng: &mut StdRng, fits: &dyn Fn(&SimFirm) -> bool| -> Option<&SimFirm> {
            let start = rng.random_range(0..firms.len());
            (0..firms.len())
                .map(|i| &firms[(start + i) % firms.len()])
                .find(|f| fits(f))
        };
        let supplier = if reserved {
            let small = rng.random_bool(0.7);
            pick(&mut rng, &|f| f.employees < if small { 100 } else { 300 })
        } else {
            pick(&mut rng, &|_| true)
        }?;
        let budget = rng.random_range(200_000.0..5_000_000.0_f64).round();
        let amount = (budget * rng.random_range(0.85..0.98)).round();
        let day = rng.random_range(1..=28);
        let flag = if rng.random_range(0..25) == 0 {
            None
        } else {
            Some(if reserved { "1" } else { "0" }.to_string())
        };
        Some(Zbgg {
            xmbh: format!("SHCG-{y:04}{m:02}-{buyer}{lot:02}"),
            cgrmc: BUYERS[buyer].to_string(),
            ysje: money(budget),
            zxqy: flag,
            gysdm: supplier.uscc.clone(),
            zbje: money(amount),
            zbrq: format!("{y:04}-{m:02}-{day:02}"),
        })
    }

    fn page(&self, source: SourceId, since: u64, size: u64, faults: &mut Faults) -> Envelope {
        let max = self.max_seq(source);
        let mut records = Vec::new();
        let mut seq = since;
        while seq < max && (records.len() as u64) < size {
            seq += 1;
            if let Some(r) = self.record(source, seq) {
                records.push(r);
            }
        }
        if faults.malformed_next > 0 && !records.is_empty() {
            faults.malformed_next -= 1;
            let mut bad = records[0].clone();
            if let Some(obj) = bad.as_object_mut() {
                for (_, v) in obj.iter_mut().filter(|(k, _)| {
                    ["jnse", "sjje", "jkze", "overdueDays", "rdrq"].contains(&k.as_str())
                }) {
                    *v = serde_json::json!("N/A");
                }
            }
            records.insert(0, bad);
            records.push(serde_json::json!({"unexpected": "shape"}));
        }
        if faults.duplicate_next > 0 && !records.is_empty() {
            faults.duplicate_next -= 1;
            records.push(records[0].clone());
        }
        Envelope {
            records,
            next_since: seq.to_string(),
            has_more: seq < max,
        }
    }
}

#[derive(Deserialize)]
struct TokenRequest {
    client_id: String,
    client_secret: String,
}

async fn token(state: web::Data<Arc<State>>, body: web::Json<TokenRequest>) -> HttpResponse {
    if body.client_id != state.config.client_id || body.client_secret != state.config.client_secret
    {
        return HttpResponse::Unauthorized().json(serde_json::json!({"error": "invalid_client"}));
    }
    HttpResponse::Ok().json(serde_json::json!({"access_token": state.token, "token_type": "Bearer", "expires_in": 3600}))
}

#[derive(Deserialize)]
struct PageQuery {
    since: Option<String>,
    page_size: Option<u64>,
}

async fn records(
    state: web::Data<Arc<State>>,
    req: HttpRequest,
    q: web::Query<PageQuery>,
    source: SourceId,
) -> HttpResponse {
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if auth != format!("Bearer {}", state.token) {
        return HttpResponse::Unauthorized().json(serde_json::json!({"error": "invalid_token"}));
    }
    let since = match q.since.as_deref().unwrap_or("0").parse::<u64>() {
        Ok(s) => s,
        Err(_) => {
            return HttpResponse::BadRequest()
                .json(serde_json::json!({"error": "since must be a cursor this feed returned"}))
        }
    };
    let size = q.page_size.unwrap_or(1000).clamp(1, 10_000);
    let (delay, fail, env) = {
        let Ok(mut f) = state.faults.lock() else {
            return HttpResponse::InternalServerError().finish();
        };
        let delay = (f.slow_next > 0).then(|| {
            f.slow_next -= 1;
            f.slow_ms
        });
        let fail = (f.fail_next > 0).then(|| {
            f.fail_next -= 1;
            if f.fail_status == 0 {
                503
            } else {
                f.fail_status
            }
        });
        let env = if fail.is_none() {
            Some(state.page(source, since, size, &mut f))
        } else {
            None
        };
        (delay, fail, env)
    };
    if let Some(ms) = delay {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    if let Some(status) = fail {
        let code = actix_web::http::StatusCode::from_u16(status)
            .unwrap_or(actix_web::http::StatusCode::SERVICE_UNAVAILABLE);
        return HttpResponse::build(code).json(serde_json::json!({"error": "injected fault"}));
    }
    state.served.fetch_add(1, Ordering::Relaxed);
    HttpResponse::Ok().json(env)
}

async fn set_faults(state: web::Data<Arc<State>>, body: web::Json<Faults>) -> HttpResponse {
    if let Ok(mut f) = state.faults.lock() {
        *f = body.into_inner();
    }
    HttpResponse::NoContent().finish()
}

/// Start the simulator on `bind` (`127.0.0.1:0` for any free port) on the current tokio runtime.
pub fn start(config: SimConfig, bind: &str) -> std::io::Result<Simulator> {
    let state = Arc::new(State {
        token: format!("sim-{:016x}", hash(&config.client_secret) ^ 0x5eed),
        config,
        faults: Mutex::new(Faults::default()),
        served: AtomicU64::new(0),
    });
    let listener = std::net::TcpListener::bind(bind)?;
    let base_url = format!("http://{}", listener.local_addr()?);
    let data = web::Data::new(state.clone());
    let server = HttpServer::new(move || {
        let mut app = App::new()
            .app_data(data.clone())
            .route("/oauth/token", web::post().to(token))
            .route("/_sim/faults", web::post().to(set_faults));
        for source in SourceId::ALL {
            app = app.route(
                source.path(),
                web::get().to(
                    move |s: web::Data<Arc<State>>, r: HttpRequest, q: web::Query<PageQuery>| {
                        records(s, r, q, source)
                    },
                ),
            );
        }
        app
    })
    .workers(2)
    .listen(listener)?
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    Ok(Simulator {
        base_url,
        handle,
        state,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(n: usize) -> State {
        let firms = (0..n)
            .map(|i| SimFirm {
                uscc: format!("91310115MA1{:06}X", i),
                employees: 50,
                revenue_yuan: 12_000_000.0,
            })
            .collect();
        let mut config = SimConfig::new(firms);
        config.last_month = (2026, 10);
        State {
            config,
            faults: Mutex::new(Faults::default()),
            token: "t".into(),
            served: AtomicU64::new(0),
        }
    }

    #[test]
    fn months_run_back_from_the_last() {
        let s = state(1);
        assert_eq!(s.month_of(35), (2026, 10));
        assert_eq!(s.month_of(0), (2023, 11));
        assert_eq!(s.month_of(25), (2025, 12));
    }

    #[test]
    fn paging_covers_every_record_once() {
        let s = state(7);
        let mut since = 0;
        let mut n = 0;
        loop {
            let page = s.page(SourceId::Tax, since, 10, &mut Faults::default());
            n += page.records.len();
            since = page.next_since.parse().unwrap();
            if !page.has_more {
                break;
            }
        }
        assert_eq!(n, 7 * 36);
    }

    #[test]
    fn histories_are_deterministic_and_consistent() {
        let s = state(40);
        assert_eq!(
            s.record(SourceId::Utility, 5),
            s.record(SourceId::Utility, 5)
        );
        // A growing firm insures more people at the end than at the start; a distressed one fewer.
        for (i, f) in s.config.firms.iter().enumerate() {
            let heads = |t: u64| {
                s.record(SourceId::SocialInsurance, i as u64 * 36 + t + 1)
                    .unwrap()["cbrs"]
                    .as_i64()
                    .unwrap()
            };
            match trajectory(&f.uscc) {
                Trajectory::Growing => assert!(heads(35) > heads(0)),
                Trajectory::Distressed => assert!(heads(35) < heads(0)),
                Trajectory::Stable => assert_eq!(heads(35), heads(0)),
            }
        }
    }
}
