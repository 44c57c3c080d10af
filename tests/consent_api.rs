//! Banks read profiles only under the firm's consent: grant → query → revoke → denied at once; expiry,
//! purpose, scope and data range, frequency; every access in the firm's log, which nothing can change;
//! isolation between banks; rate limits and quotas with 429 and Retry-After. Both backends, both caches.

mod common;
use common::{
    as_profile_document, field_rules, firms_with_profiles, in_days, institution_id, spawn_app,
    TestApp,
};
use credithub::clock::system::today_cst;
use credithub::domain::month::Month;
use credithub::domain::role::Role;
use serde_json::{json, Value};

/// GET with the response headers.
async fn get_h(app: &TestApp, path: &str, key: &str) -> (u16, reqwest::header::HeaderMap, Value) {
    let r = app
        .client
        .get(app.url(path))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    let h = r.headers().clone();
    let (s, b) = common::read(r).await;
    (s, h, b)
}

async fn log_of(app: &TestApp, uscc: &str, key: &str) -> Vec<Value> {
    let (status, page) = app
        .get(&format!("/v1/firms/{uscc}/access-log"), Some(key))
        .await;
    assert_eq!(status, 200, "{page}");
    page["items"].as_array().unwrap().clone()
}

/// One firm with a profile and Bank A, which has no consent yet.
struct Granting {
    app: TestApp,
    uscc: String,
    firm_key: String,
    bank: String,
    bank_id: String,
}

async fn granting() -> Granting {
    let app = spawn_app().await;
    let f = firms_with_profiles(&app, 51, 1).await;
    let (uscc, firm_key) = f[0].clone();
    let bank = app.key(Role::Bank, Some("Bank A"), None).await;
    let bank_id = institution_id(&app, &bank, "Bank A").await;
    Granting {
        app,
        uscc,
        firm_key,
        bank,
        bank_id,
    }
}

impl Granting {
    fn path(&self) -> String {
        format!("/v1/firms/{}/profile?purpose=credit_assessment", self.uscc)
    }

    /// The firm grants Bank A credit assessment for 90 days; the consent's id.
    async fn grant(&self) -> String {
        let (status, c) = self
            .app
            .post(
                "/v1/consents",
                Some(&self.firm_key),
                &json!({
            "institution_id": self.bank_id, "purpose": "credit_assessment", "expires_at": in_days(90)}),
            )
            .await;
        assert_eq!(status, 201, "{c}");
        c["id"].as_str().unwrap().to_string()
    }

    async fn revoke(&self, id: &str) -> (u16, Value) {
        let r = self
            .app
            .client
            .delete(self.app.url(&format!("/v1/consents/{id}")))
            .bearer_auth(&self.firm_key)
            .send()
            .await
            .unwrap();
        common::read(r).await
    }

    /// Asked without a purpose (422), without a consent (403), granted and read, asked for another
    /// purpose (403), revoked and asked again (403): five requests, four of them logged.
    async fn the_whole_story(&self) -> String {
        let _ = self
            .app
            .get(
                &format!("/v1/firms/{}/profile", self.uscc),
                Some(&self.bank),
            )
            .await;
        assert_eq!(self.app.get(&self.path(), Some(&self.bank)).await.0, 403);
        let cid = self.grant().await;
        assert_eq!(self.app.get(&self.path(), Some(&self.bank)).await.0, 200);
        let other = format!(
            "/v1/firms/{}/profile?purpose=post_loan_monitoring",
            self.uscc
        );
        assert_eq!(self.app.get(&other, Some(&self.bank)).await.0, 403);
        assert_eq!(self.revoke(&cid).await.0, 200);
        assert_eq!(self.app.get(&self.path(), Some(&self.bank)).await.0, 403);
        cid
    }
}

#[tokio::test]
async fn a_bank_names_its_purpose_and_needs_a_consent() {
    let g = granting().await;
    let (status, e) = g
        .app
        .get(&format!("/v1/firms/{}/profile", g.uscc), Some(&g.bank))
        .await;
    assert_eq!(
        (status, field_rules(&e)),
        (422, vec![("purpose".to_string(), "required".to_string())])
    );
    let (status, e) = g.app.get(&g.path(), Some(&g.bank)).await;
    assert_eq!(status, 403, "{e}");
    assert!(e["detail"].as_str().unwrap().contains("no consent"), "{e}");
}

#[tokio::test]
async fn a_consent_opens_the_profile_for_its_purpose_only() {
    let g = granting().await;
    let (status, c) = g
        .app
        .post(
            "/v1/consents",
            Some(&g.firm_key),
            &json!({
        "institution_id": g.bank_id, "purpose": "credit_assessment", "expires_at": in_days(90)}),
        )
        .await;
    assert_eq!(status, 201, "{c}");
    assert_eq!(
        (
            c["status"].as_str(),
            c["granted_by"].as_str(),
            c["data_months"].as_i64()
        ),
        (Some("active"), Some("firm"), Some(24))
    );
    assert_eq!(c["scope"].as_array().unwrap().len(), 7);
    let cid = c["id"].as_str().unwrap();
    let (status, h, p) = get_h(&g.app, &g.path(), &g.bank).await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(h["x-consent-id"].to_str().unwrap(), cid);
    assert_eq!(p["uscc"], g.uscc.as_str());
    assert!(p["score"].is_i64());
    // Another purpose is another consent.
    let (status, e) = g
        .app
        .get(
            &format!("/v1/firms/{}/profile?purpose=post_loan_monitoring", g.uscc),
            Some(&g.bank),
        )
        .await;
    assert_eq!(status, 403);
    assert!(
        e["detail"]
            .as_str()
            .unwrap()
            .contains("post_loan_monitoring"),
        "{e}"
    );
}

#[tokio::test]
async fn a_revoked_consent_refuses_the_very_next_query_whatever_the_cache_holds() {
    let g = granting().await;
    let cid = g.grant().await;
    assert_eq!(
        g.app.get(&g.path(), Some(&g.bank)).await.0,
        200,
        "cached now"
    );
    let (status, c) = g.revoke(&cid).await;
    assert_eq!(
        (status, c["status"].as_str()),
        (200, Some("revoked")),
        "{c}"
    );
    let (status, e) = g.app.get(&g.path(), Some(&g.bank)).await;
    assert_eq!(status, 403, "{e}");
    assert!(e["detail"].as_str().unwrap().contains("revoked"), "{e}");
}

#[tokio::test]
async fn the_firm_sees_every_access_newest_first_and_the_government_the_same_log() {
    let g = granting().await;
    let cid = g.the_whole_story().await;
    let (app, u) = (&g.app, g.uscc.as_str());
    // Every access, newest first, with key, purpose, consent, scope and result (the 422 is not an access).
    let log = log_of(app, u, &g.firm_key).await;
    let summary: Vec<(String, String)> = log
        .iter()
        .map(|r| {
            (
                r["result"].as_str().unwrap().to_string(),
                r["purpose"].as_str().unwrap_or("-").to_string(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("denied", "credit_assessment"),
            ("denied", "post_loan_monitoring"),
            ("ok", "credit_assessment"),
            ("denied", "credit_assessment")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    let ok = &log[2];
    assert_eq!(
        (
            ok["consent_id"].as_str(),
            ok["scope"].as_str(),
            ok["institution_id"].as_str()
        ),
        (
            Some(cid.as_str()),
            Some("score,firm,tax,social_insurance,utility,customs,public_credit"),
            Some(g.bank_id.as_str())
        )
    );
    assert!(ok["request_id"].is_string());
    assert!(
        log[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("consent.revoked"),
        "{}",
        log[0]
    );
    // The firm's own read is logged too; the government reads the same log.
    let (status, _) = app
        .get(&format!("/v1/firms/{u}/profile"), Some(&g.firm_key))
        .await;
    assert_eq!(status, 200);
    let gov = app.gov_key().await;
    let log = log_of(app, u, &gov).await;
    assert_eq!(
        (log.len(), log[0]["role"].as_str(), log[0]["scope"].as_str()),
        (5, Some("firm"), Some("all"))
    );
}

#[tokio::test]
async fn the_access_log_is_append_only_in_the_database_itself() {
    let g = granting().await;
    g.the_whole_story().await;
    let db = g.app.db.clone();
    let refused = tokio::task::spawn_blocking(move || {
        use diesel::RunQueryDsl;
        let mut c = db.log_conn().unwrap();
        let upd = diesel::sql_query("UPDATE access_log SET result = 'ok'").execute(&mut *c);
        let del = diesel::sql_query("DELETE FROM access_log").execute(&mut *c);
        (upd.is_err(), del.is_err())
    })
    .await
    .unwrap();
    assert_eq!(refused, (true, true));
    let gov = g.app.gov_key().await;
    assert_eq!(log_of(&g.app, &g.uscc, &gov).await.len(), 4);
}

#[tokio::test]
async fn expiry_validity_frequency_and_data_range() {
    let app = spawn_app().await;
    let f = firms_with_profiles(&app, 52, 3).await;
    let bank = app.key(Role::Bank, Some("Bank A"), None).await;
    let bank_id = institution_id(&app, &bank, "Bank A").await;
    let grant = |firm: usize, extra: Value| {
        let mut body = json!({"institution_id": bank_id, "purpose": "credit_assessment", "expires_at": in_days(30)});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        (f[firm].1.clone(), body)
    };
    // Expires two seconds from now.
    let expires = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let (k, b) = grant(0, json!({"expires_at": expires}));
    assert_eq!(app.post("/v1/consents", Some(&k), &b).await.0, 201);
    let p0 = format!("/v1/firms/{}/profile?purpose=credit_assessment", f[0].0);
    assert_eq!(app.get(&p0, Some(&bank)).await.0, 200);
    tokio::time::sleep(std::time::Duration::from_millis(2300)).await;
    let (status, e) = app.get(&p0, Some(&bank)).await;
    assert_eq!(status, 403);
    assert!(e["detail"].as_str().unwrap().contains("expired"), "{e}");

    // Not valid yet.
    let (k, b) = grant(
        1,
        json!({"valid_from": in_days(2), "expires_at": in_days(20)}),
    );
    let (status, c) = app.post("/v1/consents", Some(&k), &b).await;
    assert_eq!((status, c["status"].as_str()), (201, Some("scheduled")));
    let p1 = format!("/v1/firms/{}/profile?purpose=credit_assessment", f[1].0);
    let (status, e) = app.get(&p1, Some(&bank)).await;
    assert_eq!(status, 403);
    assert!(
        e["detail"].as_str().unwrap().contains("valid only from"),
        "{e}"
    );

    // Two queries a month, twelve months of data, no customs or social insurance.
    let (k, b) = grant(
        2,
        json!({"max_queries_per_month": 2, "data_months": 12, "scope": ["score", "tax", "utility", "firm"]}),
    );
    assert_eq!(app.post("/v1/consents", Some(&k), &b).await.0, 201);
    let p2 = format!("/v1/firms/{}/profile?purpose=credit_assessment", f[2].0);
    let (status, h, p) = get_h(&app, &p2, &bank).await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(
        h["x-consent-scope"].to_str().unwrap(),
        "score,firm,tax,utility"
    );
    let sections: Vec<&String> = p["sections"].as_object().unwrap().keys().collect();
    assert_eq!(sections, ["firm", "tax", "utility"]);
    let doc = as_profile_document(&p);
    assert_eq!(
        doc.scope.map(|s| s.len()),
        Some(4),
        "a reduced profile says its scope"
    );
    let tax_keys: Vec<&str> = p["sections"]["tax"]["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_str().unwrap())
        .collect();
    assert!(
        tax_keys.contains(&"tax_paid_12m")
            && !tax_keys.contains(&"tax_paid_24m")
            && !tax_keys.contains(&"tax_paid_yoy"),
        "{tax_keys:?}"
    );
    for r in p["reasons"].as_array().unwrap() {
        assert!(
            ["tax", "utility", "firm"].contains(&r["section"].as_str().unwrap()),
            "{r}"
        );
    }
    // Older than the data range.
    let old = Month::last_complete(today_cst()).plus(-14);
    let (status, e) = app.get(&format!("{p2}&as_of={old}"), Some(&bank)).await;
    assert_eq!(status, 403);
    assert!(
        e["detail"].as_str().unwrap().contains("last 12 months"),
        "{e}"
    );
    // The second query this month is the last.
    assert_eq!(app.get(&p2, Some(&bank)).await.0, 200);
    let (status, e) = app.get(&p2, Some(&bank)).await;
    assert_eq!(status, 403);
    assert!(
        e["detail"].as_str().unwrap().contains("2 queries a month"),
        "{e}"
    );
}

#[tokio::test]
async fn consent_requests_are_checked_field_by_field() {
    let app = spawn_app().await;
    let f = firms_with_profiles(&app, 53, 1).await;
    let (u, firm_key) = (&f[0].0, &f[0].1);
    let bank = app.key(Role::Bank, Some("Bank A"), None).await;
    let gov = app.gov_key().await;
    let bank_id = institution_id(&app, &bank, "Bank A").await;
    let gov_id = institution_id(&app, &gov, "Test Commission").await;
    let cases = [
        (
            json!({"institution_id": bank_id, "purpose": "marketing", "scope": ["tax", "dna"], "expires_at": in_days(400)}),
            vec![
                ("purpose", "purpose.unknown"),
                ("scope[1]", "scope.unknown"),
                ("expires_at", "consent.max_validity"),
            ],
        ),
        (
            json!({"institution_id": bank_id, "purpose": "credit_assessment", "expires_at": "next week", "data_months": 40}),
            vec![("data_months", "range"), ("expires_at", "instant.format")],
        ),
        (
            json!({"institution_id": gov_id, "purpose": "credit_assessment", "expires_at": in_days(10)}),
            vec![("institution_id", "institution.kind")],
        ),
        (
            json!({"institution_id": "nope", "purpose": "credit_assessment", "expires_at": in_days(10)}),
            vec![("institution_id", "institution.unknown")],
        ),
        (
            json!({"purpose": "credit_assessment", "expires_at": in_days(-1)}),
            vec![
                ("institution_id", "required"),
                ("expires_at", "consent.past"),
            ],
        ),
    ];
    for (body, want) in cases {
        let (status, e) = app.post("/v1/consents", Some(firm_key), &body).await;
        assert_eq!(status, 422, "{e}");
        let want: Vec<(String, String)> = want
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(field_rules(&e), want, "{body}");
    }
    // A bank registers a consent only with the signed document's reference.
    let (status, e) = app
        .post(
            "/v1/consents",
            Some(&bank),
            &json!({"firm_uscc": u, "purpose": "credit_assessment", "expires_at": in_days(30)}),
        )
        .await;
    assert_eq!(
        (status, field_rules(&e)),
        (
            422,
            vec![("document_ref".to_string(), "required".to_string())]
        )
    );
    let (status, c) = app
        .post(
            "/v1/consents",
            Some(&bank),
            &json!({"firm_uscc": u, "purpose": "credit_assessment",
        "expires_at": in_days(30), "document_ref": "AUTH-2026-00042 (signed, scanned)"}),
        )
        .await;
    assert_eq!(status, 201, "{c}");
    assert_eq!(
        (c["granted_by"].as_str(), c["institution_id"].as_str()),
        (Some("institution"), Some(bank_id.as_str()))
    );
    // Art 58: the bank's registration alone is not the firm's consent; it waits, listed first for the firm.
    assert_eq!(c["status"], "pending", "{c}");
    let profile = format!("/v1/firms/{u}/profile?purpose=credit_assessment");
    let (status, e) = app.get(&profile, Some(&bank)).await;
    assert_eq!(status, 403, "{e}");
    assert!(
        e["detail"].as_str().unwrap().contains("consent.pending"),
        "{e}"
    );
    let (_, list) = app.get("/v1/consents", Some(firm_key)).await;
    assert_eq!(
        list["pending"][0]["document_ref"],
        "AUTH-2026-00042 (signed, scanned)"
    );
    // The bank cannot confirm its own registration; the firm can.
    let confirm = format!("/v1/consents/{}/confirm", c["id"].as_str().unwrap());
    assert_eq!(app.post(&confirm, Some(&bank), &json!({})).await.0, 403);
    let (status, done) = app.post(&confirm, Some(firm_key), &json!({})).await;
    assert_eq!(
        (status, done["status"].as_str()),
        (200, Some("active")),
        "{done}"
    );
    assert_eq!(done["confirmed_by"], "firm");
    assert_eq!(app.get(&profile, Some(&bank)).await.0, 200);
    // Confirmed once: a second confirmation is a conflict.
    assert_eq!(app.post(&confirm, Some(firm_key), &json!({})).await.0, 409);
}

#[tokio::test]
async fn a_bank_never_sees_another_banks_consents_or_queries() {
    let app = spawn_app().await;
    let f = firms_with_profiles(&app, 54, 2).await;
    let a = app.key(Role::Bank, Some("Bank A"), None).await;
    let b = app.key(Role::Bank, Some("Bank B"), None).await;
    let a_id = institution_id(&app, &a, "Bank A").await;
    let (_, c) = app.post("/v1/consents", Some(&f[0].1), &json!({"institution_id": a_id, "purpose": "credit_assessment", "expires_at": in_days(30)})).await;
    let cid = c["id"].as_str().unwrap().to_string();
    let path = format!("/v1/firms/{}/profile?purpose=credit_assessment", f[0].0);
    assert_eq!(app.get(&path, Some(&a)).await.0, 200);
    assert_eq!(app.get(&path, Some(&b)).await.0, 403);

    // Consents: list, read, revoke.
    let (_, la) = app.get("/v1/consents", Some(&a)).await;
    let (_, lb) = app.get("/v1/consents", Some(&b)).await;
    assert_eq!(
        (
            la["items"].as_array().unwrap().len(),
            lb["items"].as_array().unwrap().len()
        ),
        (1, 0)
    );
    assert_eq!(
        app.get(&format!("/v1/consents/{cid}"), Some(&a)).await.0,
        200
    );
    assert_eq!(
        app.get(&format!("/v1/consents/{cid}"), Some(&b)).await.0,
        404
    );
    let r = app
        .client
        .delete(app.url(&format!("/v1/consents/{cid}")))
        .bearer_auth(&b)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    // Another firm sees neither the consent nor the log.
    assert_eq!(
        app.get(&format!("/v1/consents/{cid}"), Some(&f[1].1))
            .await
            .0,
        404
    );
    let (_, l1) = app.get("/v1/consents", Some(&f[1].1)).await;
    assert!(l1["items"].as_array().unwrap().is_empty());
    assert_eq!(
        app.get(&format!("/v1/firms/{}/access-log", f[0].0), Some(&f[1].1))
            .await
            .0,
        403
    );
    // Queries: each bank sees its own only; no bank reads a firm's log.
    let (_, qa) = app.get("/v1/access-log", Some(&a)).await;
    let (_, qb) = app.get("/v1/access-log", Some(&b)).await;
    let results = |q: &Value| {
        q["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["result"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        (results(&qa), results(&qb)),
        (vec!["ok".to_string()], vec!["denied".to_string()])
    );
    assert_eq!(
        app.get(&format!("/v1/firms/{}/access-log", f[0].0), Some(&a))
            .await
            .0,
        403
    );
    let gov = app.gov_key().await;
    let (_, all) = app.get("/v1/access-log", Some(&gov)).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    // Bulk: each firm's profile or the reason it is withheld, each access logged.
    let body = json!({"purpose": "credit_assessment", "usccs": [f[0].0, f[1].0, "not-a-code"]});
    let (status, r) = app.post("/v1/profiles/query", Some(&a), &body).await;
    assert_eq!(status, 200, "{r}");
    let st: Vec<&str> = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["status"].as_str().unwrap())
        .collect();
    assert_eq!(st, ["ok", "withheld", "withheld"]);
    assert_eq!(r["results"][0]["profile"]["uscc"], f[0].0.as_str());
    assert_eq!(r["results"][1]["rule"], "consent.missing");
    let (_, qa) = app.get("/v1/access-log", Some(&a)).await;
    assert_eq!(qa["items"].as_array().unwrap().len(), 3);
    let (status, e) = app
        .post("/v1/profiles/query", Some(&a), &json!({"usccs": []}))
        .await;
    assert_eq!(status, 422);
    assert_eq!(
        field_rules(&e),
        vec![
            ("purpose".to_string(), "required".to_string()),
            ("usccs".to_string(), "length".to_string())
        ]
    );
}

#[tokio::test]
async fn rate_limits_and_quotas_answer_429_with_retry_after() {
    let app = spawn_app().await;
    let admin = app.key(Role::Admin, None, None).await;
    let bank = app.key(Role::Bank, Some("Bank A"), None).await;
    let other = app.key(Role::Bank, Some("Bank B"), None).await;
    let a_id = institution_id(&app, &admin, "Bank A").await;
    let b_id = institution_id(&app, &admin, "Bank B").await;
    let put = |id: &str, body: Value| {
        let r = app
            .client
            .put(app.url(&format!("/v1/institutions/{id}/limits")))
            .bearer_auth(&admin)
            .json(&body)
            .send();
        async move { common::read(r.await.unwrap()).await }
    };
    let (status, v) = put(
        &a_id,
        json!({"rate_per_sec": 1, "rate_burst": 2, "daily_quota": null}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["limits"]["rate_burst"], 2);
    let (status, e) = put(
        &b_id,
        json!({"rate_per_sec": 0, "rate_burst": 5, "daily_quota": 3}),
    )
    .await;
    assert_eq!(
        (status, field_rules(&e)),
        (422, vec![("rate_per_sec".to_string(), "range".to_string())])
    );
    assert_eq!(
        put(
            &b_id,
            json!({"rate_per_sec": 1000, "rate_burst": 1000, "daily_quota": 3})
        )
        .await
        .0,
        200
    );
    // Only the administrator sets limits.
    let gov = app.gov_key().await;
    let r = app
        .client
        .put(app.url(&format!("/v1/institutions/{a_id}/limits")))
        .bearer_auth(&gov)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);

    // Bank A: a burst of two, then 429 with Retry-After.
    for _ in 0..2 {
        assert_eq!(app.get("/v1/consents", Some(&bank)).await.0, 200);
    }
    let r = app
        .client
        .get(app.url("/v1/consents"))
        .bearer_auth(&bank)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
    let (_, body) = common::read(r).await;
    assert_eq!(body["type"], "urn:credithub:problem:rate-limited");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(app.get("/v1/consents", Some(&bank)).await.0, 200);

    // Bank B: three requests a day.
    for _ in 0..3 {
        assert_eq!(app.get("/v1/consents", Some(&other)).await.0, 200);
    }
    let r = app
        .client
        .get(app.url("/v1/consents"))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 429);
    assert!(
        r.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            <= 86_400
    );
    let (_, body) = common::read(r).await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("daily quota of 3"),
        "{body}"
    );
}
