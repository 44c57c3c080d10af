//! The firm registry over HTTP: registration, reads, updates that recompute the class, pagination,
//! filters, and who may do what.

mod common;
use common::{field_rules, spawn_app};
use credithub::demo::demo_uscc;
use credithub::domain::role::Role;
use reqwest::Method;
use serde_json::{json, Value};

fn firm(uscc: &str) -> Value {
    json!({
        "uscc": uscc,
        "name": "上海锦程软件有限公司",
        "industry": "I6510",
        "district": "pudong",
        "established_on": "2015-03-01",
        "registered_capital": "5000000",
        "employees": 120,
        "revenue": "25000000.50",
        "total_assets": "18000000"
    })
}

#[tokio::test]
async fn register_read_update_and_duplicate() {
    let app = spawn_app().await;
    let gov = app.gov_key().await;
    let uscc = demo_uscc(1, "310115").to_string();
    let (status, body) = app.post("/v1/firms", Some(&gov), &firm(&uscc)).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["size_class"], "medium");
    assert_eq!(body["industry_row"], "software_it");
    assert_eq!(body["district_code"], "310115");
    assert_eq!(body["revenue"], "25000000.50");
    assert_eq!(body["registered_capital"], "5000000.00");

    let (status, again) = app.get(&format!("/v1/firms/{uscc}"), Some(&gov)).await;
    assert_eq!(status, 200);
    assert_eq!(again["name"], "上海锦程软件有限公司");
    assert_eq!(again["classification"]["size_class"], "medium");

    // Same USCC again, even written differently: 409.
    let lower = uscc.to_lowercase();
    let (status, body) = app.post("/v1/firms", Some(&gov), &firm(&lower)).await;
    assert_eq!(status, 409, "{body}");

    // Fewer staff: the class is recomputed and the deciding indicator named.
    let (status, body) = app
        .send_json(
            Method::PATCH,
            &format!("/v1/firms/{uscc}"),
            Some(&gov),
            &json!({"employees": 99}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["size_class"], "small");
    assert_eq!(
        body["classification"]["deciding"][0]["indicator"],
        "employees"
    );
    assert_eq!(body["created_at"], again["created_at"]);
    let (_, stored) = app.get(&format!("/v1/firms/{uscc}"), Some(&gov)).await;
    assert_eq!(stored["size_class"], "small");
    assert_eq!(stored["employees"], 99);

    // A patch that breaks a rule changes nothing.
    let (status, body) = app
        .send_json(
            Method::PATCH,
            &format!("/v1/firms/{uscc}"),
            Some(&gov),
            &json!({"industry": "J66", "revenue": "-5"}),
        )
        .await;
    assert_eq!(status, 422);
    let rules = field_rules(&body);
    assert!(
        rules.contains(&("industry".into(), "industry.outside_standard".into())),
        "{body}"
    );
    assert!(
        rules.contains(&("revenue".into(), "money.non_negative".into())),
        "{body}"
    );
    let (_, unchanged) = app.get(&format!("/v1/firms/{uscc}"), Some(&gov)).await;
    assert_eq!(unchanged["industry"], "I6510");

    let missing = demo_uscc(2, "310115");
    let (status, _) = app.get(&format!("/v1/firms/{missing}"), Some(&gov)).await;
    assert_eq!(status, 404);
    let (status, _) = app
        .send_json(
            Method::PATCH,
            &format!("/v1/firms/{missing}"),
            Some(&gov),
            &json!({}),
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn every_invalid_field_is_reported_at_once() {
    let app = spawn_app().await;
    let gov = app.gov_key().await;
    let body = json!({
        "uscc": "91310115MA1K4LXK3X",
        "name": "",
        "industry": "other",
        "district": "beijing",
        "established_on": "2999-01-01",
        "registered_capital": "1.001",
    });
    let (status, resp) = app.post("/v1/firms", Some(&gov), &body).await;
    assert_eq!(status, 422, "{resp}");
    let rules = field_rules(&resp);
    for (field, rule) in [
        ("uscc", "uscc.check_character"),
        ("name", "length"),
        ("district", "district.unknown"),
        ("established_on", "date.not_future"),
        ("registered_capital", "money.precision"),
        ("employees", "size_standard.required"),
    ] {
        assert!(
            rules.contains(&(field.into(), rule.into())),
            "{field}/{rule} missing in {resp}"
        );
    }
    let (_, page) = app.get("/v1/firms", Some(&gov)).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 0, "nothing stored");
}

#[tokio::test]
async fn pagination_and_filters() {
    let app = spawn_app().await;
    let gov = app.gov_key().await;
    let mut all = Vec::new();
    for i in 0..7u64 {
        let district = if i % 2 == 0 { "310115" } else { "310106" };
        let uscc = demo_uscc(100 + i, district).to_string();
        let mut f = firm(&uscc);
        f["district"] = json!(district);
        f["employees"] = json!(5 + i * 40); // 5 .. 245: micro, small, medium
        let (status, body) = app.post("/v1/firms", Some(&gov), &f).await;
        assert_eq!(status, 201, "{body}");
        all.push(uscc);
    }
    all.sort();
    // Walk all pages of 3.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/firms?limit=3&cursor={c}"),
            None => "/v1/firms?limit=3".to_string(),
        };
        let (status, page) = app.get(&path, Some(&gov)).await;
        assert_eq!(status, 200, "{page}");
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 3);
        seen.extend(
            items
                .iter()
                .map(|f| f["uscc"].as_str().unwrap().to_string()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, all, "every firm once, in USCC order");

    let (_, page) = app.get("/v1/firms?district=jingan", Some(&gov)).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 3);
    assert!(page["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["district"] == "jingan"));
    let (_, page) = app.get("/v1/firms?size_class=micro", Some(&gov)).await;
    assert!(page["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["size_class"] == "micro"));
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let (_, page) = app.get("/v1/firms?industry=I65", Some(&gov)).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 7);
    let (_, page) = app
        .get("/v1/firms?industry=software_it&district=pudong", Some(&gov))
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 4);
    let (_, page) = app.get("/v1/firms?industry=C13", Some(&gov)).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 0);

    for (q, field) in [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=x", "limit"),
        ("cursor=bogus", "cursor"),
        ("size_class=huge", "size_class"),
        ("district=mars", "district"),
        ("industry=%25", "industry"),
    ] {
        let (status, body) = app.get(&format!("/v1/firms?{q}"), Some(&gov)).await;
        assert_eq!(status, 422, "{q}: {body}");
        assert_eq!(field_rules(&body)[0].0, field, "{q}: {body}");
    }
}

#[tokio::test]
async fn authentication_and_roles() {
    let app = spawn_app().await;
    let own = demo_uscc(7, "310104").to_string();
    let other = demo_uscc(8, "310104").to_string();
    let firm_key = app.key(Role::Firm, None, Some(&own)).await;
    let bank = app.key(Role::Bank, Some("Test Bank"), None).await;
    let guarantor = app.key(Role::Guarantor, Some("Test Guarantee"), None).await;
    let admin = app.key(Role::Admin, None, None).await;

    // No key, a malformed header, an unknown key: 401.
    let (status, _) = app.get("/v1/firms", None).await;
    assert_eq!(status, 401);
    let r = app
        .client
        .get(app.url("/v1/firms"))
        .header("authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    assert_eq!(common::read(r).await.0, 401);
    let (status, body) = app.get("/v1/firms", Some("chk_not-a-real-key")).await;
    assert_eq!(status, 401);
    assert!(body["detail"].as_str().unwrap().contains("unknown"));

    // A firm registers itself, not another firm.
    let (status, body) = app.post("/v1/firms", Some(&firm_key), &firm(&own)).await;
    assert_eq!(status, 201, "{body}");
    let (status, _) = app.post("/v1/firms", Some(&firm_key), &firm(&other)).await;
    assert_eq!(status, 403);
    let (status, _) = app.post("/v1/firms", Some(&admin), &firm(&other)).await;
    assert_eq!(status, 201);
    let (status, _) = app.get(&format!("/v1/firms/{own}"), Some(&firm_key)).await;
    assert_eq!(status, 200);
    let (status, _) = app
        .get(&format!("/v1/firms/{other}"), Some(&firm_key))
        .await;
    assert_eq!(status, 403);
    let (status, _) = app
        .send_json(
            Method::PATCH,
            &format!("/v1/firms/{other}"),
            Some(&firm_key),
            &json!({"employees": 3}),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = app.get("/v1/firms", Some(&firm_key)).await;
    assert_eq!(status, 403);

    // Banks and guarantee agencies do not read the registry directly (consented profiles come later).
    for k in [&bank, &guarantor] {
        let (status, body) = app.get(&format!("/v1/firms/{own}"), Some(k)).await;
        assert_eq!(status, 403, "{body}");
        let (status, _) = app.get("/v1/firms", Some(k)).await;
        assert_eq!(status, 403);
        let (status, _) = app
            .post(
                "/v1/firms",
                Some(k),
                &firm(&demo_uscc(9, "310104").to_string()),
            )
            .await;
        assert_eq!(status, 403);
    }

    // A revoked key stops working on its very next request, cached or not.
    let victim = app
        .key(Role::Government, Some("Test Commission"), None)
        .await;
    let (status, _) = app.get("/v1/firms", Some(&victim)).await; // now cached
    assert_eq!(status, 200);
    let (status, _) = app
        .send_json(
            Method::DELETE,
            &format!("/v1/keys/{}", &victim[..12]),
            Some(&firm_key),
            &json!({}),
        )
        .await;
    assert_eq!(status, 403, "only admins revoke");
    let (status, body) = app
        .send_json(
            Method::DELETE,
            &format!("/v1/keys/{}", &victim[..12]),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["revoked_at"].is_string());
    let (status, body) = app.get("/v1/firms", Some(&victim)).await;
    assert_eq!(status, 401);
    assert!(
        body["detail"].as_str().unwrap().contains("revoked"),
        "{body}"
    );
    let (status, _) = app
        .send_json(
            Method::DELETE,
            "/v1/keys/chk_nothing",
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(status, 404);

    // Revoked in the database (as `credithub keys revoke` does) before first use: refused at once.
    let unused = app.key(Role::Admin, None, None).await;
    let db = app.db.clone();
    let prefix = unused[..12].to_string();
    tokio::task::spawn_blocking(move || {
        credithub::store::keys::revoke(&mut db.conn().unwrap(), &prefix, None)
    })
    .await
    .unwrap()
    .unwrap();
    let (status, _) = app.get("/v1/firms", Some(&unused)).await;
    assert_eq!(status, 401);

    // Keys are listed without their secrets.
    let (status, list) = app.get("/v1/keys", Some(&admin)).await;
    assert_eq!(status, 200);
    let text = list.to_string();
    assert!(
        !text.contains(&admin) && !text.contains(&bank),
        "secrets never leave the hub"
    );
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["role"] == "bank" && k["institution"] == "Test Bank"));
}

#[tokio::test]
async fn operations_routes_and_docs() {
    let app = spawn_app().await;
    let (status, body) = app.get("/healthz", None).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
    let (status, body) = app.get("/readyz", None).await;
    assert_eq!(status, 200);
    let expected_db = if std::env::var("DATABASE_URL").is_ok_and(|u| u.starts_with("postgres")) {
        "postgres"
    } else {
        "sqlite"
    };
    assert_eq!(body["database"], expected_db);
    let expected_cache = if std::env::var("REDIS_URL").is_ok() {
        "redis"
    } else {
        "memory"
    };
    assert_eq!(body["cache"], expected_cache);

    let (status, _) = app.get("/nope", None).await;
    assert_eq!(status, 404);

    let r = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    // The hub makes its own id (a caller could choose or repeat one); the caller's is echoed beside it.
    let hub_id = r.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(hub_id).is_ok(), "{hub_id}");
    assert_eq!(r.headers()["x-client-request-id"], "abc-123");

    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(
            "credithub_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"}"
        ),
        "{metrics}"
    );

    let (status, spec) = app.get("/openapi.json", None).await;
    assert_eq!(status, 200);
    for path in [
        "/v1/uscc/{code}",
        "/v1/classify",
        "/v1/firms",
        "/v1/firms/{uscc}",
        "/readyz",
    ] {
        assert!(
            spec["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
    let docs = app.client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    let html = docs.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(
        !html.contains("https://"),
        "the docs page must not load anything from the internet"
    );
    let js = app
        .client
        .get(app.url("/docs/swagger-ui-bundle.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(js.status(), 200, "Swagger UI is served from the binary");
}
