//! The pages in a real browser (issue 16): Debian's headless Chromium driven over WebDriver by
//! chromedriver, against the real server on the test's own database with the demo data. A newcomer's
//! path — sign in, read the overview, run a what-if, open offers, apply with the consent shown, revoke a
//! consent, read who saw the data, switch to English, sign out — on a desktop and a phone-sized window,
//! with axe-core run on every page (no serious or critical violation), and screenshots written to
//! `docs/screenshots/`.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (Debian's `chromium` and `chromium-driver`) and
//! axe-core from npm in `tests/browser/node_modules` (`npm ci --prefix tests/browser`): `tests/run.sh`
//! installs all three. Without them the test fails and says so.

mod common;
use common::sheets::{fen, gbk, ledger_workbook, reconciled_lines};
use common::{spawn_app, TestApp};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A chromedriver process and one browser session on it: a small WebDriver client over reqwest.
struct Driver {
    process: Child,
    base: String,
    http: reqwest::Client,
    profile: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
        // The browser outlives its driver unless its session is ended: end it by its profile, which
        // is this test's alone (also when the test failed midway).
        let _ = Command::new("pkill")
            .arg("-f")
            .arg(self.profile.display().to_string())
            .status();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn need(path: &str, what: &str) -> String {
    let p = std::env::var(what).unwrap_or_else(|_| path.to_string());
    assert!(
        Path::new(&p).exists(),
        "{p} is missing: the browser tests need Debian's chromium and chromium-driver and axe-core \
         (tests/run.sh installs them: apt-get install chromium chromium-driver; npm ci --prefix tests/browser)"
    );
    p
}

impl Driver {
    async fn start() -> Driver {
        let chromedriver = need("/usr/bin/chromedriver", "CHROMEDRIVER");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let process = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = http.get(format!("{base}/status")).send().await {
                if r.status().is_success() {
                    break;
                }
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile =
            std::env::temp_dir().join(format!("credithub-chromium-{}", uuid::Uuid::new_v4()));
        Driver {
            process,
            base,
            http,
            profile,
        }
    }

    async fn session(&self, width: u32, height: u32) -> Session {
        let chromium = need("/usr/bin/chromium", "CHROMIUM");
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                // What a browser on a Chinese desktop asks for.
                "prefs": {"intl.accept_languages": "zh-CN,zh"},
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", "--disable-quic", "--hide-scrollbars", "--lang=zh-CN",
                    format!("--user-data-dir={}", self.profile.display()),
                    format!("--window-size={width},{height}"),
                ]
            }
        }}});
        let r: Value = self
            .http
            .post(format!("{}/session", self.base))
            .json(&caps)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = r["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no browser session: {r}"))
            .to_string();
        Session {
            url: format!("{}/session/{id}", self.base),
            http: self.http.clone(),
        }
    }
}

struct Session {
    url: String,
    http: reqwest::Client,
}

impl Session {
    async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method, format!("{}{path}", self.url));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let v: Value = req.send().await.unwrap().json().await.unwrap();
        if v["value"].get("error").is_some() {
            panic!("webdriver {path}: {}", v["value"]);
        }
        v["value"].clone()
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.cmd(reqwest::Method::POST, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> Value {
        self.cmd(reqwest::Method::GET, path, None).await
    }

    async fn goto(&self, url: &str) {
        self.post("/url", json!({ "url": url })).await;
    }

    async fn find(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let r: Value = self
                .http
                .post(format!("{}/element", self.url))
                .json(&json!({"using": "css selector", "value": css}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if let Some(id) = r["value"][ELEMENT].as_str() {
                return id.to_string();
            }
            assert!(
                Instant::now() < deadline,
                "no element {css} on {}",
                self.path().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn click(&self, css: &str) {
        let e = self.find(css).await;
        self.post(&format!("/element/{e}/click"), json!({})).await;
    }

    async fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        self.post(&format!("/element/{e}/clear"), json!({})).await;
        self.post(&format!("/element/{e}/value"), json!({ "text": text }))
            .await;
    }

    /// The element's text; found again if the page changed under it (a form's answer arriving).
    async fn text(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let e = self.find(css).await;
            let r: Value = self
                .http
                .get(format!("{}/element/{e}/text", self.url))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            match r["value"].as_str() {
                Some(t) => return t.to_string(),
                // The page changed under the element (a form's answer arriving: the element went
                // stale, or its node left the document): find it again, until the deadline.
                None if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await
                }
                None => panic!("webdriver text of {css}: {}", r["value"]),
            }
        }
    }

    /// Wait until the element says `want` (a form's answer may still be loading); what it said last.
    async fn says(&self, css: &str, want: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let t = self.text(css).await;
            if t == want || Instant::now() >= deadline {
                return t;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Wait until the element's text holds `needle` (the page after a click may still be loading).
    async fn holds(&self, css: &str, needle: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if self.text(css).await.contains(needle) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Wait until the page's path and query hold `needle`: the click's page has arrived.
    async fn arrived(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.path().await.contains(needle) {
            assert!(
                Instant::now() < deadline,
                "never reached {needle}: at {}",
                self.path().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn script(&self, script: &str) -> Value {
        self.post("/execute/sync", json!({"script": script, "args": []}))
            .await
    }

    async fn path(&self) -> String {
        self.script("return location.pathname + location.search;")
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    async fn html_lang(&self) -> String {
        self.script("return document.documentElement.lang;")
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    async fn resize(&self, width: u32, height: u32) {
        self.post("/window/rect", json!({"width": width, "height": height}))
            .await;
    }

    /// axe-core on the page as it stands: the serious and critical violations, in words.
    async fn axe(&self, axe: &str) -> Vec<String> {
        let script = format!(
            "{axe}\nreturn axe.run(document, {{resultTypes: ['violations']}}).then(r => r.violations\
             .filter(v => v.impact === 'serious' || v.impact === 'critical')\
             .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.map(n => n.target.join(' ')).slice(0, 5).join(', ')));"
        );
        self.script(&script)
            .await
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    }

    /// A PNG of the whole page (the window grown to the page's height for the shot).
    async fn screenshot(&self, name: &str, width: u32) {
        // Measured at a short window, so that the page's own height is what counts.
        self.resize(width, 600).await;
        let h = self
            .script("return Math.min(4000, document.documentElement.scrollHeight);")
            .await
            .as_u64()
            .unwrap_or(900) as u32;
        self.resize(width, h.max(600)).await;
        let png = self.get("/screenshot").await;
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), bytes).unwrap();
    }

    /// Nothing wider than the window (no sideways scrolling on a phone).
    async fn fits(&self) -> bool {
        self.script("return document.documentElement.scrollWidth <= window.innerWidth + 1;")
            .await
            .as_bool()
            .unwrap_or(false)
    }
}

/// The app with the demo data, and the keys file's values.
async fn demo() -> (TestApp, HashMap<String, String>) {
    let app = spawn_app().await;
    let env = common::demo_env(&app).await;
    (app, env)
}

fn axe_source() -> String {
    let p = need(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/browser/node_modules/axe-core/axe.min.js"
        ),
        "AXE_CORE_JS",
    );
    std::fs::read_to_string(p).unwrap()
}

/// Every page a firm uses, checked by axe-core: no serious or critical violation.
async fn audit(s: &Session, axe: &str, page: &str, found: &mut Vec<String>) {
    for v in s.axe(axe).await {
        found.push(format!("{page}: {v}"));
    }
}

#[tokio::test]
async fn a_newcomer_signs_in_compares_applies_revokes_and_reads_who_saw_the_data_in_a_real_browser()
{
    let axe = axe_source();
    let (app, env) = demo().await;
    let driver = Driver::start().await;
    let s = driver.session(1280, 900).await;
    let base = &app.base;
    let mut violations = Vec::new();

    // Sign in, in Chinese.
    s.goto(&format!("{base}/")).await;
    assert_eq!(s.html_lang().await, "zh-CN");
    audit(&s, &axe, "sign-in", &mut violations).await;
    s.screenshot("sign-in-zh-desktop", 1280).await;
    s.type_into("#login", "demo.owner").await;
    s.type_into("#password", &env["DEMO_OWNER_PASSWORD"]).await;
    s.click("form[action='/sign-in'] button").await;

    // The overview: the score the API serves.
    let score = s.text("#score").await;
    let (_, profile) = app
        .get(
            &format!("/v1/firms/{}/profile", env["FIRM_USCC"]),
            Some(&env["FIRM_KEY"]),
        )
        .await;
    assert_eq!(score, profile["score"].to_string());
    s.find("svg#score-history").await;
    audit(&s, &axe, "overview", &mut violations).await;
    s.screenshot("overview-zh-desktop", 1280).await;

    // What moves my score.
    s.click("nav.sections a[href='/firm/what-if']").await;
    s.click("#arrears_cleared").await;
    s.type_into("#on_time_months", "12").await;
    s.click("form[action='/firm/what-if'] button").await;
    let after: i64 = s.text("#what-if-score").await.parse().unwrap();
    assert!((300..=900).contains(&after));
    audit(&s, &axe, "what-if", &mut violations).await;
    s.screenshot("what-if-zh-desktop", 1280).await;

    // Offers, then apply for the first bank loan with the consent shown.
    s.click("nav.sections a[href='/firm/offers']").await;
    s.type_into("#amount", "500000").await;
    s.click("form[action='/firm/offers'] button").await;
    s.find("li.offer").await;
    audit(&s, &axe, "offers", &mut violations).await;
    s.screenshot("offers-zh-desktop", 1280).await;
    s.click("li.offer a.button").await;
    s.find("#consent-terms").await;
    audit(&s, &axe, "apply", &mut violations).await;
    s.screenshot("apply-zh-desktop", 1280).await;
    s.click("#confirm_consent").await;
    s.click("form[action='/firm/apply'] button[type=submit]")
        .await;
    s.find("#status").await;
    assert!(
        s.path().await.starts_with("/firm/applications/"),
        "{}",
        s.path().await
    );
    audit(&s, &axe, "application", &mut violations).await;
    s.screenshot("application-zh-desktop", 1280).await;

    // Revoke the consent the application granted, after the confirmation step.
    s.click("nav.sections a[href='/firm/consents']").await;
    audit(&s, &axe, "consents", &mut violations).await;
    s.screenshot("consents-zh-desktop", 1280).await;
    s.click("#active a.button").await;
    s.click("button.danger").await;
    s.find("#revoked").await;
    let (_, apps) = app.get("/v1/applications", Some(&env["FIRM_KEY"])).await;
    let consent = apps["items"][0]["consent_id"].as_str().unwrap();
    let (_, c) = app
        .get(&format!("/v1/consents/{consent}"), Some(&env["FIRM_KEY"]))
        .await;
    assert_eq!(c["status"], "revoked");

    // Who saw my data, receivables and IP, the inbox, the catalogue.
    for (href, name) in [
        ("/firm/access-log", "access-log"),
        ("/firm/assets", "assets"),
        ("/firm/applications", "applications"),
        ("/firm/loans", "loans"),
    ] {
        s.click(&format!("nav.sections a[href='{href}']")).await;
        s.find("main h1").await;
        audit(&s, &axe, name, &mut violations).await;
        s.screenshot(&format!("{name}-zh-desktop"), 1280).await;
    }
    for (href, name) in [
        ("/notifications", "notifications"),
        ("/catalogue", "catalogue"),
    ] {
        s.click(&format!("header a[href='{href}']")).await;
        s.find("main h1").await;
        audit(&s, &axe, name, &mut violations).await;
        s.screenshot(&format!("{name}-zh-desktop"), 1280).await;
    }

    // English by the switch, remembered from page to page.
    s.goto(&format!("{base}/")).await;
    s.click("header a[lang=en]").await;
    assert_eq!(s.html_lang().await, "en");
    assert!(s.text("main h2").await.contains("Credit score"));
    s.screenshot("overview-en-desktop", 1280).await;
    s.click("nav.sections a[href='/firm/offers']").await;
    assert_eq!(s.html_lang().await, "en");
    audit(&s, &axe, "offers (en)", &mut violations).await;
    s.screenshot("offers-en-desktop", 1280).await;

    // A phone: the same pages fit a 390-pixel window, in both languages.
    for (lang, switch) in [("en", None), ("zh", Some("header a[lang=zh-CN]"))] {
        if let Some(sw) = switch {
            s.click(sw).await;
        }
        for (path, name) in [
            ("/", "overview"),
            ("/firm/offers", "offers"),
            ("/firm/consents", "consents"),
        ] {
            s.resize(390, 844).await;
            s.goto(&format!("{base}{path}")).await;
            s.find("main h1").await;
            assert!(s.fits().await, "{path} is wider than a phone ({lang})");
            audit(&s, &axe, &format!("{name} phone {lang}"), &mut violations).await;
            s.screenshot(&format!("{name}-{lang}-phone"), 390).await;
        }
    }

    // Sign out: back to the sign-in form, and the pages need signing in again.
    s.resize(1280, 900).await;
    s.goto(&format!("{base}/")).await;
    s.click("form[action='/sign-out'] button").await;
    s.find("form[action='/sign-in']").await;
    s.goto(&format!("{base}/firm/consents")).await;
    s.find("form[action='/sign-in']").await;

    s.cmd(reqwest::Method::DELETE, "", None).await;
    assert!(violations.is_empty(), "axe-core: {violations:#?}");
}

/// The session's cookies as a `Cookie` header, to fetch a download as the signed-in person.
async fn cookie_header(s: &Session) -> String {
    s.get("/cookie")
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{}={}",
                c["name"].as_str().unwrap(),
                c["value"].as_str().unwrap()
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Sign in on the sign-in page as `login` (after clearing any earlier session's cookies).
async fn sign_in_as(s: &Session, base: &str, login: &str, password: &str) {
    s.goto(&format!("{base}/")).await;
    s.cmd(reqwest::Method::DELETE, "/cookie", None).await;
    s.goto(&format!("{base}/")).await;
    s.type_into("#login", login).await;
    s.type_into("#password", password).await;
    s.click("form[action='/sign-in'] button").await;
}

/// Choose a file for the form's file input, as a person picks one.
async fn choose_file(s: &Session, path: &Path) {
    let e = s.find("#file").await;
    s.post(
        &format!("/element/{e}/value"),
        json!({ "text": path.display().to_string() }),
    )
    .await;
}

fn write_temp(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("credithub-upload-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[tokio::test]
async fn an_agency_the_government_and_a_bank_work_their_pages_in_a_real_browser() {
    let axe = axe_source();
    let (app, env) = demo().await;
    let driver = Driver::start().await;
    let s = driver.session(1280, 900).await;
    let base = &app.base;
    let mut violations = Vec::new();

    // The agency signs in and lands on its contracts.
    sign_in_as(&s, base, "demo.agency", &env["DEMO_AGENCY_PASSWORD"]).await;
    s.find("form.filters").await;
    assert_eq!(s.path().await, "/agency/contracts");
    audit(&s, &axe, "agency contracts", &mut violations).await;
    s.screenshot("agency-contracts-zh-desktop", 1280).await;

    // Its ledger as XLSX with Chinese headers, from the sheet 台账.
    let book = write_temp(
        "台账.xlsx",
        &ledger_workbook(
            &[
                ("BR-1", &env["FIRM_USCC"]),
                ("BR-2", &env["FIRM_USCC"]),
                ("BR-3", &env["FIRM_USCC"]),
            ],
            "yyyy年m月d日",
        ),
    );
    s.click("nav.sections a[href='/agency/contracts/upload']")
        .await;
    choose_file(&s, &book).await;
    s.type_into("#sheet", "台账").await;
    s.click("form[action='/agency/contracts/upload'] button[type=submit]")
        .await;
    assert!(s.holds("#outcome", "已登记 3 份担保合同").await);
    // The same ledger again, as GBK CSV, with faults: every one of them beside its line.
    let faulty = write_temp(
        "ledger.csv",
        &gbk(&format!(
            "合同编号,统一社会信用代码,贷款银行,贷款金额,担保金额,保费费率,起始日,到期日\n\
             BR-1,{f},申城银行,\"1,000,000\",800000元,1%,2026/1/1,2027年1月1日\n\
             BR-9,{f},申城银行,1000000,800000,1%,2026/2/30,2027/1/1\n",
            f = env["FIRM_USCC"]
        )),
    );
    choose_file(&s, &faulty).await;
    s.type_into("#sheet", "").await;
    s.click("#charset option[value=gbk]").await;
    s.click("form[action='/agency/contracts/upload'] button[type=submit]")
        .await;
    let faults = s.text("div.faults").await;
    assert!(faults.contains("contract.on_file"), "{faults}");
    assert!(faults.contains("date.format"), "{faults}");
    s.find("div.faults a[download]").await;
    audit(&s, &axe, "agency upload faults", &mut violations).await;
    s.screenshot("agency-upload-faults-zh-desktop", 1280).await;

    // A GBK claims CSV under the demo policy: reconciled at once, every line with its result.
    let claims = write_temp(
        "claims.csv",
        &gbk("合同编号,起始日,截止日,申请金额\nPJ-0000,2026/1/1,2026/7/1,\"1,000.00\"\nPJ-0002,2026/1/1,2026/7/1,900元\nPJ-0004,2026/1/1,2026/7/1,3719.18\nPJ-9999,2026/1/1,2026/7/1,10\n"),
    );
    s.click("nav.sections a[href='/agency/batches']").await;
    choose_file(&s, &claims).await;
    s.click("form[action='/agency/batches'] button[type=submit]")
        .await;
    assert_eq!(s.says("#batch-status", "已核对").await, "已核对");
    let batch = s.path().await;
    audit(&s, &axe, "agency batch", &mut violations).await;
    s.screenshot("agency-batch-zh-desktop", 1280).await;
    assert_eq!(
        fen(&s.text("#total-approved").await),
        fen(&s.text("#sum-approved").await)
    );
    // The workbook, downloaded as the signed-in agency and read back: its lines add up to the page's total.
    let cookie = cookie_header(&s).await;
    let xlsx = reqwest::Client::new()
        .get(format!("{base}{batch}/reconciliation.xlsx"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let approved: f64 = reconciled_lines(&xlsx).iter().map(|l| l.1).sum();
    assert_eq!(
        (approved * 100.0).round() as i64,
        fen(&s.text("#total-approved").await)
    );
    // Only the unknown contract, by the filter.
    s.click("nav.filter a[href$='status=unknown_contract']")
        .await;
    s.arrived("status=unknown_contract").await;
    assert!(s.text("table.lines tbody").await.contains("PJ-9999"));
    assert!(!s.text("table.lines tbody").await.contains("PJ-0002"));
    // A second batch filed and withdrawn before approval.
    s.click("nav.sections a[href='/agency/batches']").await;
    choose_file(&s, &claims).await;
    s.click("form[action='/agency/batches'] button[type=submit]")
        .await;
    s.arrived("/claims/").await;
    let second = s.path().await;
    assert_ne!(second, batch);
    s.click("form[action$='/withdraw'] button").await;
    assert_eq!(s.says("#batch-status", "已撤回").await, "已撤回");

    // Its reward under the agency-reward policy, claimed.
    s.click("nav.sections a[href='/agency/rewards']").await;
    s.find("dd.reward-amount").await;
    s.click("div.reward form button[type=submit]").await;
    assert!(s.holds("#reward-claims", "已申报").await);
    audit(&s, &axe, "agency rewards", &mut violations).await;
    s.screenshot("agency-rewards-zh-desktop", 1280).await;
    // Its own figures by quarter, with the flags' thresholds drawn.
    s.click("nav.sections a[href='/agency/metrics']").await;
    s.find("svg#agency-leverage").await;
    audit(&s, &axe, "agency figures", &mut violations).await;
    s.screenshot("agency-metrics-zh-desktop", 1280).await;

    // The government approves the first batch and records its payment on its pages.
    sign_in_as(&s, base, "demo.gov", &env["DEMO_GOV_PASSWORD"]).await;
    s.find("nav.filter").await;
    assert_eq!(s.path().await, "/gov/batches");
    audit(&s, &axe, "government batches", &mut violations).await;
    s.screenshot("gov-batches-zh-desktop", 1280).await;
    s.click(&format!("a[href='{batch}']")).await;
    s.click("form[action$='/approve'] button").await;
    assert_eq!(s.says("#batch-status", "已审批").await, "已审批");
    s.click("form[action$='/paid'] button").await;
    assert_eq!(s.says("#batch-status", "已拨付").await, "已拨付");
    let id = batch.trim_start_matches("/claims/");
    let (_, report) = app
        .get(
            &format!("/v1/reconciliations/{id}"),
            Some(&env["GUARANTOR_KEY"]),
        )
        .await;
    assert_eq!(report["status"], "paid");
    s.click("nav.sections a[href='/gov/users']").await;
    s.find("form[action='/gov/users']").await;
    audit(&s, &axe, "government accounts", &mut violations).await;
    s.screenshot("gov-users-zh-desktop", 1280).await;
    // The reward the agency claimed: approved.
    s.click("nav.sections a[href='/gov/rewards']").await;
    s.click("#reward-claims form[action$='/approve'] button")
        .await;
    assert!(s.holds("#reward-claims", "已审批").await);
    audit(&s, &axe, "government rewards", &mut violations).await;
    // The policies, and the form to publish one.
    s.click("nav.sections a[href='/gov/policies']").await;
    s.find("form[action='/gov/policies']").await;
    audit(&s, &axe, "government policies", &mut violations).await;
    s.screenshot("gov-policies-zh-desktop", 1280).await;
    // The monitoring board: the flagged agency first.
    s.click("nav.sections a[href='/gov/agencies']").await;
    assert!(s.holds("#flagged", "1 家触及预警").await);
    audit(&s, &axe, "agency monitoring", &mut violations).await;
    s.screenshot("gov-agencies-zh-desktop", 1280).await;

    // A firm applies through the API; the bank's officer decides and disburses from the inbox.
    let (_, m) = app
        .get(
            &format!(
                "/v1/firms/{}/matches?amount=500000&term_months=12",
                env["FIRM_USCC"]
            ),
            Some(&env["FIRM_KEY"]),
        )
        .await;
    let bank_id = common::institution_id(&app, &env["GOV_KEY"], credithub::demo::DEMO_BANK).await;
    let offer = m["offers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["product"]["kind"] == "bank_loan" && o["product"]["institution_id"] == bank_id)
        .unwrap()
        .clone();
    let (status, application) = app
        .post(
            "/v1/applications",
            Some(&env["FIRM_KEY"]),
            &json!({"product_id": offer["product"]["id"], "amount": "500000", "term_months": 12, "confirm_consent": true}),
        )
        .await;
    assert_eq!(status, 201, "{application}");
    let aid = application["id"].as_str().unwrap();
    sign_in_as(&s, base, "demo.bank", &env["DEMO_BANK_PASSWORD"]).await;
    s.find("form.filters").await;
    audit(&s, &axe, "bank inbox", &mut violations).await;
    s.screenshot("bank-inbox-zh-desktop", 1280).await;
    for (href, name) in [
        ("/bank/products", "bank-products"),
        ("/bank/queries", "bank-queries"),
        ("/bank/bulk", "bank-bulk"),
        ("/bank/subsidy-claims", "bank-subsidy-claims"),
    ] {
        s.click(&format!("nav.sections a[href='{href}']")).await;
        s.find("main h1").await;
        audit(&s, &axe, name, &mut violations).await;
    }
    s.goto(&format!("{base}/bank/products/new")).await;
    s.find("form[action='/bank/products']").await;
    audit(&s, &axe, "bank product form", &mut violations).await;
    s.screenshot("bank-product-form-zh-desktop", 1280).await;
    s.click("nav.sections a[href='/bank/applications']").await;
    s.click(&format!("a[href='/bank/applications/{aid}']"))
        .await;
    s.find("#consent").await;
    s.find("#score").await;
    audit(&s, &axe, "bank application", &mut violations).await;
    s.screenshot("bank-application-zh-desktop", 1280).await;
    // Exact: a float's 0.036 × 100 is 3.5999999999999996, below the product's floor.
    let rate: rust_decimal::Decimal = offer["product"]["rate_min"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    s.type_into(
        "#rate_percent",
        &(rate * rust_decimal::Decimal::ONE_HUNDRED)
            .normalize()
            .to_string(),
    )
    .await;
    s.click("#decide form button[type=submit]").await;
    assert_eq!(s.says("#status", "已批准").await, "已批准");
    s.click("#disburse button[type=submit]").await;
    assert_eq!(s.says("#status", "已放款").await, "已放款");
    let (_, v) = app
        .get(&format!("/v1/applications/{aid}"), Some(&env["FIRM_KEY"]))
        .await;
    assert_eq!(v["status"], "disbursed");

    // A phone: the officer's and the agency's working pages fit a 390-pixel window.
    for path in [
        "/bank/applications".to_string(),
        format!("/bank/applications/{aid}"),
    ] {
        s.resize(390, 844).await;
        s.goto(&format!("{base}{path}")).await;
        s.find("main h1").await;
        assert!(s.fits().await, "{path} is wider than a phone");
    }
    s.screenshot("bank-application-zh-phone", 390).await;

    s.cmd(reqwest::Method::DELETE, "", None).await;
    assert!(violations.is_empty(), "axe-core: {violations:#?}");
}

/// Issue 18: the government opens its statistics dashboard (the missed targets first, the charts, axe
/// clean), drills into the buyer under 30% and the flagged agency, and prints the yearly report to PDF
/// through Chromium (WebDriver's Print Page, A4): the PDF's text holds the API's numbers.
#[tokio::test]
async fn the_government_reads_its_dashboard_and_prints_the_yearly_report_to_pdf() {
    let axe = axe_source();
    let (app, env) = demo().await;
    let driver = Driver::start().await;
    let s = driver.session(1280, 900).await;
    let base = &app.base;
    let mut violations = Vec::new();
    sign_in_as(&s, base, "demo.gov", &env["DEMO_GOV_PASSWORD"]).await;
    s.find("nav.filter").await;
    s.click("nav.sections a[href='/gov/statistics']").await;
    s.find("#flags").await;
    assert!(
        s.holds("#flags", "under 30%").await,
        "the procurement buyer under 30% is flagged"
    );
    assert!(
        s.holds("#flags", "leverage_low").await,
        "the thin agency is flagged"
    );
    s.find("svg#chart-reserved").await;
    s.find("svg#chart-leverage").await;
    s.find("svg#chart-coverage").await;
    // Issue 19: the champion scorecard's drift beside the statistics' flags.
    assert!(
        s.holds("#score-drift", "PSI").await,
        "the score drift is on the dashboard"
    );
    audit(&s, &axe, "government statistics", &mut violations).await;
    s.screenshot("gov-statistics-zh-desktop", 1280).await;
    // Drill down: the per-buyer table names the buyer and its share; the agencies' table its leverage.
    assert!(
        s.holds("#part-procurement", "上海市某区卫生健康委员会")
            .await
    );
    assert!(s.holds("#part-guarantees", "东方融资担保").await);

    // The yearly report, printed.
    let year = chrono::Datelike::year(&chrono::Utc::now().date_naive());
    s.click(&format!("a[href='/gov/reports/yearly?year={year}']"))
        .await;
    s.find("article.report").await;
    audit(&s, &axe, "yearly report", &mut violations).await;
    let printed = s
        .post(
            "/print",
            json!({"orientation": "portrait", "page": {"width": 21.0, "height": 29.7}, "background": true}),
        )
        .await;
    use base64::Engine as _;
    let pdf = base64::engine::general_purpose::STANDARD
        .decode(printed.as_str().unwrap())
        .unwrap();
    assert!(pdf.starts_with(b"%PDF"), "a PDF");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("sme-report-zh.pdf"), &pdf).unwrap();
    let text = pdf_extract::extract_text_from_mem(&pdf).unwrap();
    let plain: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    // The API's figures, as the page writes them: the loans granted (yuan) and the overdue count.
    let (_, lending) = app
        .get(
            &format!("/v1/statistics/lending?year={year}"),
            Some(&env["GOV_KEY"]),
        )
        .await;
    let granted = common::figure_value(&lending, "granted_amount").unwrap();
    let shown = credithub::web::layout::T(credithub::web::Lang::Zh)
        .money(credithub::domain::Money::parse(&granted).unwrap());
    assert!(
        plain.contains(&shown),
        "the PDF shows {shown} (granted in {year})"
    );
    let (_, late) = app
        .get(
            &format!("/v1/statistics/late-payment?year={year}"),
            Some(&env["GOV_KEY"]),
        )
        .await;
    let amount = common::figure_value(&late, "overdue_amount").unwrap();
    let overdue = credithub::web::layout::T(credithub::web::Lang::Zh)
        .money(credithub::domain::Money::parse(&amount).unwrap());
    assert!(plain.contains(&overdue), "the PDF shows {overdue} overdue");
    s.cmd(reqwest::Method::DELETE, "", None).await;
    assert!(violations.is_empty(), "axe-core: {violations:#?}");
}

/// Issue 19: the government opens its scorecard page (the ROC curves, the bad rate by grade, the drift
/// table; axe clean; readable on a phone), sees a registered challenger beside the champion and promotes
/// it with the page's button; the registry then names it champion.
#[tokio::test]
async fn the_government_compares_scorecards_and_promotes_a_challenger() {
    let axe = axe_source();
    let (app, env) = demo().await;
    let toml = credithub::domain::scorecard::DEFAULT_TOML
        .replace(
            "version = \"expert-2026.1\"",
            "version = \"browser-2026.9\"",
        )
        .replace(
            "{ codes = [\"B\"], points = 80 }",
            "{ codes = [\"B\"], points = 60 }",
        );
    let (status, v) = app
        .post(
            "/v1/scorecards",
            Some(&env["GOV_KEY"]),
            &serde_json::json!({"toml": toml}),
        )
        .await;
    assert_eq!(status, 201, "{v}");
    let driver = Driver::start().await;
    let s = driver.session(1280, 900).await;
    let base = &app.base;
    let mut violations = Vec::new();
    sign_in_as(&s, base, "demo.gov", &env["DEMO_GOV_PASSWORD"]).await;
    s.find("nav.filter").await;
    s.click("nav.sections a[href='/gov/scorecards']").await;
    s.find("svg[aria-labelledby='roc-title roc-desc']").await;
    s.find("#registry").await;
    s.find("#monitoring").await;
    assert!(s.holds("#registry", "browser-2026.9").await);
    audit(&s, &axe, "government scorecards", &mut violations).await;
    s.screenshot("gov-scorecards-zh-desktop", 1280).await;
    s.click("form[action='/gov/scorecards/browser-2026.9/promote'] button")
        .await;
    // The promotion recomputes the newest month before the page comes back: wait for it.
    let mut promoted = serde_json::Value::Null;
    for _ in 0..100 {
        let (_, list) = app.get("/v1/scorecards", Some(&env["GOV_KEY"])).await;
        promoted = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["version"] == "browser-2026.9")
            .unwrap()
            .clone();
        if promoted["role"] == "champion" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    s.find("#registry").await;
    assert_eq!(promoted["role"], "champion", "{promoted}");
    assert_eq!(
        promoted["promoted_by"].as_str().map(|s| !s.is_empty()),
        Some(true)
    );
    s.resize(390, 844).await;
    s.goto(&format!("{base}/gov/scorecards")).await;
    s.find("main h1").await;
    assert!(s.fits().await, "/gov/scorecards is wider than a phone");
    s.cmd(reqwest::Method::DELETE, "", None).await;
    assert!(violations.is_empty(), "axe-core: {violations:#?}");
}
