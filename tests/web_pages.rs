//! The first pages (issue 16) through the real server: activation through a one-time link, sign-in with
//! CSRF and lockout, the signed-in home, the language switch, sign-out, the stylesheet; and on the demo
//! data every firm page: the overview, what-if, offers, apply with the consent shown, applications,
//! consents (grant, revoke, confirm), receivables, the inbox, the public catalogue, members and isolation.

mod common;
use common::pages::{by_id, Browser, Demo, PASSWORD};
use common::{spawn_app, TestApp};
use credithub::domain::ids::InstitutionId;
use credithub::service::accounts::{self, Issuer, NewAccount};
use credithub::service::{Actor, Context};

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
    differ.shows("两次输入的密码不一致");
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
    short.shows("密码长度须为 10 至 128 个字符");
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
        mine.html.contains("尚未为本企业生成信用画像"),
        "no profile yet: {}",
        mine.html
    );
    let account = b.get("/account").await;
    assert!(
        account.html.contains("<td>登录</td>"),
        "the sign-in is in the trail: {}",
        account.html
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
    // Remembered on the account: another browser, signed in, is in English too.
    let mut other = Browser::new(&app);
    other.sign_in("zhang.wei", PASSWORD).await;
    let there = other.get("/").await;
    assert!(there.html.contains("<html lang=\"en\">"), "{}", there.html);

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

/// The apply form for 12 months and a 90-day consent, ticked or not.
fn apply_form<'a>(
    csrf: &'a str,
    product: &'a str,
    amount: &'a str,
    consent: bool,
) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("csrf", csrf),
        ("product", product),
        ("amount", amount),
        ("term_months", "12"),
        ("consent_days", "90"),
    ];
    if consent {
        f.push(("confirm_consent", "1"));
    }
    f
}

#[tokio::test]
async fn the_overview_shows_the_profile_the_api_serves_with_its_history_and_sources() {
    let d = Demo::new().await;
    let (status, profile) = d
        .app
        .get(
            &format!("/v1/firms/{}/profile", d.var("FIRM_USCC")),
            Some(d.var("FIRM_KEY")),
        )
        .await;
    assert_eq!(status, 200);
    let mut b = d.owner().await;
    let p = b.get("/").await;
    assert_eq!(p.status, 200);
    let score = profile["score"].as_i64().unwrap();
    assert!(
        p.html.contains(&format!(
            "<span class=\"value\" id=\"score\">{score}</span>"
        )),
        "score {score}: {}",
        p.html
    );
    assert!(p.html.contains(&format!(
        "id=\"grade\">{}</strong>",
        profile["grade"].as_str().unwrap()
    )));
    // The first reason in Chinese, as the profile words it.
    let reason = profile["reasons"][0]["zh"].as_str().unwrap();
    assert!(p.html.contains(reason), "{reason}");
    // The score history: an SVG with a title, one point per month, and the same numbers as a table.
    assert!(p.html.contains("<svg class=\"chart\" id=\"score-history\""));
    assert!(
        p.html.matches("<circle").count() >= 6,
        "a year of monthly profiles"
    );
    assert!(p.html.contains("评分走势（表格）"));
    // Coverage per source and the size class with what decided it.
    for s in ["税务", "社保", "水电气", "海关", "公共信用"] {
        assert!(
            p.html.contains(&format!("<th scope=\"row\">{s}</th>")),
            "{s}"
        );
    }
    // The size class public money relies on (issue 20 §8): the eligibility route's, each figure with
    // its source in words; a declaration of the firm's own waits beside it and moves nothing.
    let uscc = d.var("FIRM_USCC").to_string();
    let eligibility = d
        .api(&format!("/v1/firms/{uscc}/eligibility"), "FIRM_KEY")
        .await;
    let class = eligibility["size_class"].as_str().unwrap();
    let word = |c: &str| match c {
        "micro" => "微型企业",
        "small" => "小型企业",
        "medium" => "中型企业",
        _ => "大型企业",
    };
    assert_eq!(by_id(&p, "size-class"), word(class));
    p.shows("融资与补贴按此规模认定");
    let figures = p.html.split("id=\"size-figures\"").nth(1).unwrap();
    let figures = &figures[..figures.find("</ul>").unwrap()];
    for f in eligibility["figures"].as_array().unwrap() {
        let source = match f["source"].as_str().unwrap() {
            "social_insurance" => "社保",
            "tax" => "税务",
            _ => "登记信息",
        };
        assert!(figures.contains(source), "{f} in {figures}");
    }
    assert!(!p.html.contains("id=\"size-pending\""));
    let (status, b2) = d
        .app
        .send_json(
            reqwest::Method::PATCH,
            &format!("/v1/firms/{uscc}"),
            Some(d.var("FIRM_KEY")),
            &serde_json::json!({"employees": 5000}),
        )
        .await;
    assert_eq!(status, 200, "{b2}");
    let p2 = b.get("/").await;
    assert_eq!(by_id(&p2, "size-class"), word(class));
    assert!(by_id(&p2, "size-pending").contains("5000"), "{}", p2.html);
    // Looking at its own page is not a query of the firm: the log holds only the API read above.
    let log = b.get("/firm/access-log").await;
    assert_eq!(
        log.html.matches("<td>本企业</td>").count(),
        1,
        "{}",
        log.html
    );
}

#[tokio::test]
async fn what_if_answers_as_the_api_does_and_names_a_bad_field() {
    let d = Demo::new().await;
    let uscc = d.var("DISTRESSED_USCC").to_string();
    let body = serde_json::json!({"changes": [{"type": "arrears_cleared"}, {"type": "no_late_utility_payments", "months": 12}]});
    let (status, api) = d
        .app
        .post(
            &format!("/v1/firms/{uscc}/profile/what-if"),
            Some(&d.app.gov_key().await),
            &body,
        )
        .await;
    assert_eq!(status, 200, "{api}");
    // The buyer (the distressed demo firm) gets its own account to compare.
    let out = d.app.cli(&[
        "users",
        "create",
        "--firm",
        &uscc,
        "--login",
        "buyer.owner",
        "--name",
        "王芳",
    ]);
    assert!(out.status.success());
    let link = String::from_utf8_lossy(&out.stdout).to_string();
    let token = link
        .split("/activate/")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let ctx = Context::new(d.app.db.clone(), d.app.profiles.clone()).unwrap();
    accounts::set_password(&ctx, &token, PASSWORD)
        .await
        .unwrap();
    let mut b = Browser::new(&d.app);
    b.sign_in("buyer.owner", PASSWORD).await;
    let p = b
        .get("/firm/what-if?run=1&arrears_cleared=1&on_time_months=12")
        .await;
    assert_eq!(p.status, 200);
    let after = api["what_if"]["score"].as_i64().unwrap();
    assert!(
        p.html
            .contains(&format!("id=\"what-if-score\">{after}</div>")),
        "{after}: {}",
        p.html
    );
    assert!(p.html.contains("试算结果未保存"));
    // A month count out of range is said beside its field; a non-number too.
    let bad = b.get("/firm/what-if?run=1&on_time_months=30").await;
    assert!(bad.html.contains("aria-invalid=\"true\""), "{}", bad.html);
    assert!(
        bad.html.contains("months must be 1 to 24") || bad.html.contains("超出允许的范围"),
        "{}",
        bad.html
    );
    // The distressed firm's near misses on score say what would fix them.
    let offers = b.get("/firm/offers?amount=500000&term_months=12").await;
    assert!(
        offers
            .html
            .contains("如何达到：结清欠税和社保欠费后，评分从"),
        "{}",
        offers.html
    );
    let nan = b.get("/firm/what-if?run=1&headcount=lots").await;
    assert!(nan.html.contains("请输入整数"), "{}", nan.html);
}

#[tokio::test]
async fn offers_rank_what_the_api_ranks_and_apply_shows_the_consent_before_it_grants_it() {
    let d = Demo::new().await;
    let uscc = d.var("FIRM_USCC").to_string();
    let (_, api) = d
        .app
        .get(
            &format!("/v1/firms/{uscc}/matches?amount=500000&term_months=12"),
            Some(d.var("FIRM_KEY")),
        )
        .await;
    let first = &api["offers"][0];
    let mut b = d.owner().await;
    let p = b.get("/firm/offers?amount=500000&term_months=12").await;
    assert_eq!(p.status, 200);
    let name = first["product"]["name"].as_str().unwrap();
    let at = p.html.find("<li class=\"offer\"").expect("an offer");
    assert!(
        p.html[at..].starts_with(&format!(
            "<li class=\"offer\" id=\"offer-{}\"",
            first["product"]["id"].as_str().unwrap()
        )),
        "the cheapest first"
    );
    assert!(p.html.contains(name));
    // Its total in yuan, as money is written: ¥ and thousands separators.
    let total: rust_decimal::Decimal = first["cost"]["all_in_total"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let yuan = credithub::web::layout::T(credithub::web::Lang::Zh)
        .money(credithub::domain::Money::round_yuan(total).unwrap());
    assert!(p.html.contains(&yuan), "{yuan}");
    assert!(
        p.html.contains("差一点就符合条件") != api["near_misses"].as_array().unwrap().is_empty()
    );
    // Apply for a bank loan among the offers: the form shows the consent in full.
    let loan = api["offers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["product"]["kind"] == "bank_loan")
        .expect("a bank loan on offer");
    let id = loan["product"]["id"].as_str().unwrap();
    let form = b
        .get(&format!(
            "/firm/apply?product={id}&amount=500000&term_months=12"
        ))
        .await;
    assert_eq!(form.status, 200, "{}", form.html);
    assert!(form.html.contains("id=\"consent-terms\""));
    assert!(
        form.html.contains("授信审查")
            && form.html.contains("24 个月")
            && form.html.contains("365 天")
    );
    // Without ticking the consent: refused, said beside the box, nothing stored.
    let csrf = form.csrf();
    let refused = b
        .post("/firm/apply", &apply_form(&csrf, id, "500,000", false))
        .await;
    assert_eq!(refused.status, 422);
    refused.shows("id=\"confirm_consent-error\"");
    let (_, apps) = d.app.get("/v1/applications", Some(d.var("FIRM_KEY"))).await;
    let before = apps["items"].as_array().unwrap().len();
    // Forged token: refused.
    let forged = b
        .post("/firm/apply", &apply_form("forged", id, "500000", true))
        .await;
    assert_eq!(forged.status, 403);
    let done = b
        .post("/firm/apply", &apply_form(&csrf, id, "500000", true))
        .await;
    assert_eq!(done.status, 303, "{}", done.html);
    let detail = b.get(done.location.as_deref().unwrap()).await;
    assert!(
        detail.html.contains("申请已提交") && detail.html.contains("已提交"),
        "{}",
        detail.html
    );
    let (_, apps) = d.app.get("/v1/applications", Some(d.var("FIRM_KEY"))).await;
    assert_eq!(apps["items"].as_array().unwrap().len(), before + 1);
    // The consent it granted is active on the consents page; revoke it there after a confirmation.
    let consent = apps["items"][0]["consent_id"].as_str().unwrap().to_string();
    let page = b.get("/firm/consents").await;
    page.shows(&format!("id=\"consent-{consent}\""));
    let confirm = b.get(&format!("/firm/consents/{consent}/revoke")).await;
    assert!(confirm.html.contains("撤回立即生效"));
    let csrf = confirm.csrf();
    let revoked = b
        .post(
            &format!("/firm/consents/{consent}/revoke"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(revoked.status, 303);
    let (_, c) = d
        .app
        .get(&format!("/v1/consents/{consent}"), Some(d.var("FIRM_KEY")))
        .await;
    assert_eq!(c["status"], "revoked", "{c}");
    // The bank decides: the firm's inbox says so, with the count in the header.
    let app_id = apps["items"][0]["id"].as_str().unwrap().to_string();
    let (s, _) = d
        .app
        .post(
            &format!("/v1/applications/{app_id}/decision"),
            Some(d.var("BANK_KEY")),
            &serde_json::json!({"decision": "decline", "code": "other", "reason": "test"}),
        )
        .await;
    assert_eq!(s, 200);
    let home = b.get("/").await;
    assert!(
        home.html.contains("class=\"badge\""),
        "an unread count: {}",
        home.html
    );
    let inbox = b.get("/notifications").await;
    inbox.shows("处理了您的申请：已拒绝");
    let after = b.get("/").await;
    assert!(!after.html.contains("class=\"badge\""), "read once shown");
}

#[tokio::test]
async fn a_member_reads_but_cannot_apply_grant_or_revoke_and_another_firms_data_never_shows() {
    let d = Demo::new().await;
    let mut m = Browser::new(&d.app);
    assert_eq!(
        m.sign_in("demo.member", d.var("DEMO_MEMBER_PASSWORD"))
            .await
            .status,
        303
    );
    let consents = m.get("/firm/consents").await;
    assert_eq!(consents.status, 200);
    assert!(
        !consents.html.contains("action=\"/firm/consents\""),
        "no grant form for a member"
    );
    let csrf = consents.csrf();
    let grant = m
        .post(
            "/firm/consents",
            &[
                ("csrf", &csrf),
                ("institution_id", "x"),
                ("purpose", "credit_assessment"),
                ("expires_on", "2099-01-01"),
            ],
        )
        .await;
    assert_eq!(grant.status, 403);
    assert!(grant.html.contains("只有企业负责人"));
    let apply = m.get("/firm/apply?product=x").await;
    assert_eq!(apply.status, 403);
    // Another firm's application is as good as absent.
    let (status, other) = d
        .app
        .post(
            "/v1/applications",
            Some(d.var("BUYER_KEY")),
            &serde_json::json!({"product_id": "none", "amount": "1000", "term_months": 12, "confirm_consent": true}),
        )
        .await;
    assert_eq!(status, 422, "{other}");
    let mut o = d.owner().await;
    let missing = o
        .get("/firm/applications/01900000-0000-7000-8000-000000000000")
        .await;
    assert_eq!(missing.status, 404);
    let page = o.get("/firm/assets").await;
    assert!(
        !page.html.contains(d.var("GROWING_USCC")),
        "no third firm's receivables"
    );
}

#[tokio::test]
async fn a_pending_consent_is_announced_and_confirmed_and_a_receivable_is_answered_on_the_page() {
    let d = Demo::new().await;
    let uscc = d.var("FIRM_USCC").to_string();
    let (s, c) = d
        .app
        .post(
            "/v1/consents",
            Some(d.var("BANK_KEY")),
            &serde_json::json!({"firm_uscc": uscc, "purpose": "post_loan_monitoring", "document_ref": "SQ-2026-001", "expires_at": common::in_days(30)}),
        )
        .await;
    assert_eq!(s, 201, "{c}");
    let id = c["id"].as_str().unwrap().to_string();
    let mut b = d.owner().await;
    let inbox = b.get("/notifications").await;
    assert!(inbox.html.contains("等待您确认"), "{}", inbox.html);
    let page = b.get("/firm/consents").await;
    assert!(page.html.contains("SQ-2026-001"));
    let csrf = page.csrf();
    let ok = b
        .post(&format!("/firm/consents/{id}/confirm"), &[("csrf", &csrf)])
        .await;
    assert_eq!(ok.status, 303);
    let (_, c) = d
        .app
        .get(&format!("/v1/consents/{id}"), Some(d.var("FIRM_KEY")))
        .await;
    assert_eq!(c["status"], "active", "{c}");
    // A supplier registers a receivable against the demo firm: it waits on the firm's page.
    let (s, r) = d
        .app
        .post(
            "/v1/receivables",
            Some(d.var("BUYER_KEY")),
            &serde_json::json!({"debtor_uscc": uscc, "invoice_no": "FP-77", "amount": "12345.60", "due_on": &common::in_days(60)[..10]}),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    let assets = b.get("/firm/assets").await;
    assert!(
        assets.html.contains("FP-77") && assets.html.contains("¥12,345.60"),
        "{}",
        assets.html
    );
    let inbox = b.get("/notifications").await;
    assert!(inbox.html.contains("FP-77"), "{}", inbox.html);
    let csrf = assets.csrf();
    let rid = r["id"].as_str().unwrap();
    let no_reason = b
        .post(
            &format!("/firm/receivables/{rid}/dispute"),
            &[("csrf", &csrf), ("reason", " ")],
        )
        .await;
    assert_eq!(no_reason.status, 422);
    let disputed = b
        .post(
            &format!("/firm/receivables/{rid}/dispute"),
            &[("csrf", &csrf), ("reason", "goods not delivered")],
        )
        .await;
    assert_eq!(disputed.status, 303);
    let again = b.get("/firm/assets").await;
    assert!(again.html.contains("有异议") && again.html.contains("goods not delivered"));
}

#[tokio::test]
async fn the_catalogue_is_open_to_all_and_filters_by_kind_and_amount() {
    let d = Demo::new().await;
    let mut anon = Browser::new(&d.app);
    let all = anon.get("/catalogue").await;
    assert_eq!(all.status, 200);
    let (_, api) = d.app.get("/v1/products?limit=200", None).await;
    let n = api["items"].as_array().unwrap().len();
    assert!(
        all.html.contains(&format!("共 {n} 个产品")),
        "{n}: {}",
        all.html
    );
    assert!(all.html.contains("申请条件"));
    let schemes = anon.get("/catalogue?kind=guarantee_scheme").await;
    assert!(schemes.html.matches("class=\"card product\"").count() < n);
    assert!(!schemes.html.contains("银行贷款 ·"));
    let huge = anon.get("/catalogue?amount=999999999999").await;
    assert!(huge.html.contains("共 0 个产品"), "{}", huge.html);
    let bad = anon.get("/catalogue?amount=abc").await;
    assert!(bad.html.contains("请输入金额"), "{}", bad.html);
}
