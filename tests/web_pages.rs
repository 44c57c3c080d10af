//! The first pages (issue 16) through the real server: activation through a one-time link, sign-in with
//! CSRF and lockout, the signed-in home, the language switch, sign-out, the stylesheet.

mod common;
use common::{spawn_app, TestApp};
use credithub::domain::ids::InstitutionId;
use credithub::service::accounts::{self, Issuer, NewAccount};
use credithub::service::{Actor, Context};
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use std::collections::HashMap;

const PASSWORD: &str = "Kettle-42-blue";

/// A browser without JavaScript: it keeps cookies and does not follow redirects.
struct Browser {
    base: String,
    client: reqwest::Client,
    cookies: HashMap<String, String>,
}

struct Page {
    status: u16,
    location: Option<String>,
    set_cookies: Vec<String>,
    html: String,
}

impl Page {
    /// The value of a hidden `csrf` field.
    fn csrf(&self) -> String {
        let at = self
            .html
            .find("name=\"csrf\" value=\"")
            .expect("a csrf field")
            + 19;
        self.html[at..].split('"').next().unwrap().to_string()
    }
}

impl Browser {
    fn new(app: &TestApp) -> Browser {
        Browser {
            base: app.base.clone(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: HashMap::new(),
        }
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Page {
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let resp = req.header(COOKIE, cookie).send().await.unwrap();
        let set_cookies: Vec<String> = resp
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        for c in &set_cookies {
            let (pair, attrs) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() || attrs.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), v.to_string());
            }
        }
        Page {
            status: resp.status().as_u16(),
            location: resp
                .headers()
                .get(LOCATION)
                .map(|v| v.to_str().unwrap().to_string()),
            set_cookies,
            html: resp.text().await.unwrap(),
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        let req = self.client.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let req = self.client.post(format!("{}{path}", self.base)).form(form);
        self.send(req).await
    }

    async fn sign_in(&mut self, login: &str, password: &str) -> Page {
        let csrf = self.get("/").await.csrf();
        self.post(
            "/sign-in",
            &[("login", login), ("password", password), ("csrf", &csrf)],
        )
        .await
    }
}

/// A firm with a pending owner account "zhang.wei" and its link token.
async fn provisioned(app: &TestApp) -> (Context, String, String) {
    let firm = app.register_firms(63, 1).await.remove(0);
    let ctx = Context::new(app.db.clone(), app.profiles.clone()).unwrap();
    let gov = Actor::Government {
        institution: InstitutionId::new("gov").unwrap(),
    };
    let issued = accounts::create(
        &ctx,
        Issuer::Platform(&gov),
        NewAccount {
            login: "zhang.wei",
            display_name: "张伟",
            firm: &firm,
            role: "owner",
        },
    )
    .await
    .unwrap();
    (ctx, firm, issued.token)
}

#[tokio::test]
async fn an_owner_activates_signs_in_in_chinese_switches_to_english_and_signs_out() {
    let app = spawn_app().await;
    let (_, firm, token) = provisioned(&app).await;
    let mut b = Browser::new(&app);

    // The home page before sign-in is the sign-in form, in Chinese.
    let home = b.get("/").await;
    assert_eq!(home.status, 200);
    assert!(home.html.contains("<html lang=\"zh-CN\">"), "{}", home.html);
    assert!(home.html.contains("<label for=\"login\">登录名</label>"));
    assert!(home.html.contains("href=\"/docs/\""), "links the API docs");

    // Activation: the form names the account; the faults are said beside the field.
    let path = format!("/activate/{token}");
    let form = b.get(&path).await;
    assert_eq!(form.status, 200);
    assert!(form.html.contains("zhang.wei（张伟）"), "{}", form.html);
    let csrf = form.csrf();
    let differ = b
        .post(
            &path,
            &[
                ("password", PASSWORD),
                ("password_again", "other-42-pw"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert!(
        differ.html.contains("两次输入的密码不一致"),
        "{}",
        differ.html
    );
    let csrf = differ.csrf();
    let short = b
        .post(
            &path,
            &[
                ("password", "short"),
                ("password_again", "short"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert!(
        short.html.contains("密码长度须为 10 至 128 个字符"),
        "{}",
        short.html
    );
    assert!(short.html.contains("id=\"password-error\" role=\"alert\""));
    let no_token = b
        .post(
            &path,
            &[
                ("password", PASSWORD),
                ("password_again", PASSWORD),
                ("csrf", "forged"),
            ],
        )
        .await;
    assert!(no_token.html.contains("表单已过期"), "{}", no_token.html);
    let csrf = no_token.csrf();
    let done = b
        .post(
            &path,
            &[
                ("password", PASSWORD),
                ("password_again", PASSWORD),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(
        (done.status, done.location.as_deref()),
        (303, Some("/?activated=1"))
    );
    // The link worked once.
    let used = b.get(&path).await;
    assert_eq!(used.status, 404);
    assert!(used.html.contains("此链接无效、已使用或已过期"));

    // A wrong password is said on the form; the right one sets an HttpOnly, SameSite=Lax session cookie.
    let wrong = b.sign_in("zhang.wei", "not-the-password-1").await;
    assert!(wrong.html.contains("登录名或密码错误"), "{}", wrong.html);
    assert!(
        wrong.html.contains("value=\"zhang.wei\""),
        "the login stays in the form"
    );
    let ok = b.sign_in("zhang.wei", PASSWORD).await;
    assert_eq!((ok.status, ok.location.as_deref()), (303, Some("/")));
    let session = ok
        .set_cookies
        .iter()
        .find(|c| c.starts_with("credithub_session="))
        .expect("a session cookie");
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax"),
        "{session}"
    );
    assert!(!session.contains("Secure"), "not behind TLS by default");

    let mine = b.get("/").await;
    assert!(mine.html.contains("您好，张伟"), "{}", mine.html);
    assert!(mine.html.contains(&firm));
    assert!(mine.html.contains("负责人"));
    assert!(
        mine.html.contains("<td>登录</td>"),
        "the sign-in is in the trail"
    );

    // English, remembered.
    let switch = b
        .send(
            b.client
                .get(format!("{}/language?to=en", b.base))
                .header("referer", format!("{}/", b.base)),
        )
        .await;
    assert_eq!(
        (switch.status, switch.location.as_deref()),
        (303, Some("/"))
    );
    let en = b.get("/").await;
    assert!(
        en.html.contains("<html lang=\"en\">") && en.html.contains("Hello, 张伟"),
        "{}",
        en.html
    );
    assert!(en.html.contains("Owner (grants consents, applies)"));

    // Sign-out needs the session's token; then the old cookie signs no one in.
    let old = b.cookies["credithub_session"].clone();
    let forged = b.post("/sign-out", &[("csrf", "forged")]).await;
    assert_eq!(forged.status, 403);
    let csrf = b.get("/").await.csrf();
    let out = b.post("/sign-out", &[("csrf", &csrf)]).await;
    assert_eq!((out.status, out.location.as_deref()), (303, Some("/")));
    assert!(!b.cookies.contains_key("credithub_session"));
    b.cookies.insert("credithub_session".into(), old);
    let after = b.get("/").await;
    assert!(
        after.html.contains("action=\"/sign-in\""),
        "signed out: {}",
        after.html
    );
}

#[tokio::test]
async fn sign_in_without_the_form_token_or_after_five_failures_is_refused_with_the_time() {
    let app = spawn_app().await;
    let (ctx, _, token) = provisioned(&app).await;
    accounts::set_password(&ctx, &token, PASSWORD)
        .await
        .unwrap();
    let mut b = Browser::new(&app);
    // No CSRF cookie and token: refused, no session.
    let forged = b
        .post(
            "/sign-in",
            &[
                ("login", "zhang.wei"),
                ("password", PASSWORD),
                ("csrf", "x"),
            ],
        )
        .await;
    assert_eq!(forged.status, 200);
    assert!(forged.html.contains("表单已过期"), "{}", forged.html);
    assert!(!b.cookies.contains_key("credithub_session"));
    for _ in 0..4 {
        let p = b.sign_in("zhang.wei", "wrong-password-1").await;
        assert_eq!(p.status, 200);
    }
    let locked = b.sign_in("zhang.wei", "wrong-password-1").await;
    assert_eq!(locked.status, 429);
    assert!(locked.html.contains("账户已锁定至"), "{}", locked.html);
    let still = b.sign_in("zhang.wei", PASSWORD).await;
    assert_eq!(still.status, 429, "locked: the right password waits too");
}

#[tokio::test]
async fn the_stylesheet_is_embedded_and_cached_and_a_bad_link_says_so() {
    let app = spawn_app().await;
    let mut b = Browser::new(&app);
    let css = b
        .send(b.client.get(format!("{}/assets/site.css", b.base)))
        .await;
    assert_eq!(css.status, 200);
    assert!(css.html.contains(":root"));
    let r = reqwest::get(format!("{}/assets/site.css", app.base))
        .await
        .unwrap();
    assert_eq!(r.headers()["cache-control"], "public, max-age=86400");
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    let bad = b.get("/activate/not-a-token").await;
    assert_eq!(bad.status, 404);
    assert!(bad.html.contains("此链接无效"));
    // English before sign-in from Accept-Language.
    let en = b
        .send(
            b.client
                .get(format!("{}/", b.base))
                .header("accept-language", "en-GB,en;q=0.9"),
        )
        .await;
    assert!(en.html.contains("<html lang=\"en\">"), "{}", en.html);
}

#[tokio::test]
async fn who_saw_my_data_lists_each_query_of_the_firm_and_nothing_of_others() {
    let app = spawn_app().await;
    let (ctx, firm, token) = provisioned(&app).await;
    accounts::set_password(&ctx, &token, PASSWORD)
        .await
        .unwrap();
    let other = app.register_firms(64, 1).await.remove(0);
    let gov = app.gov_key().await;
    // The government side reads this firm's profile (none yet) and another firm's: both are logged.
    for u in [&firm, &other] {
        let (status, _) = app.get(&format!("/v1/firms/{u}/profile"), Some(&gov)).await;
        assert_eq!(status, 404);
    }
    let mut b = Browser::new(&app);
    assert_eq!(
        b.get("/firm/access-log").await.location.as_deref(),
        Some("/"),
        "signed out: to sign-in"
    );
    b.sign_in("zhang.wei", PASSWORD).await;
    let p = b.get("/firm/access-log").await;
    assert_eq!(p.status, 200);
    assert!(p.html.contains("谁查询了我的数据"), "{}", p.html);
    assert_eq!(p.html.matches("<td>无画像</td>").count(), 1, "{}", p.html);
    // The querying institution by its name, the same row the API lists.
    assert!(p.html.contains("<td>Test Commission</td>"), "{}", p.html);
    let api_rows = app
        .get(&format!("/v1/firms/{firm}/access-log"), Some(&gov))
        .await
        .1;
    assert_eq!(api_rows["items"].as_array().unwrap().len(), 1);
    assert_eq!(api_rows["items"][0]["result"], "not_found");
    assert!(
        !p.html.contains(&other),
        "another firm's rows are never shown"
    );
    // In English too.
    b.cookies.insert("credithub_lang".into(), "en".into());
    let en = b.get("/firm/access-log").await;
    assert!(en.html.contains("Who saw my data") && en.html.contains("<td>No profile</td>"));
}
