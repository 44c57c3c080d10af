//! `POST /v1/classify` over HTTP against DOMAIN.md §2, row by row, at and around every boundary.
//! The bounds below are copied from DOMAIN.md, independently of the shipped TOML, so a typo in either fails.

mod common;
use common::{field_rules, spawn_app, TestApp};
use serde_json::{json, Value};

type Bounds = &'static [(&'static str, i64)];
/// (row, SME ceiling (an SME is below ANY of these), medium lower bounds, small lower bounds); money in 万元.
const ROWS: &[(&str, Bounds, Bounds, Bounds)] = &[
    ("agriculture", &[("Y", 20000)], &[("Y", 500)], &[("Y", 50)]),
    (
        "industry",
        &[("X", 1000), ("Y", 40000)],
        &[("X", 300), ("Y", 2000)],
        &[("X", 20), ("Y", 300)],
    ),
    (
        "construction",
        &[("Y", 80000), ("Z", 80000)],
        &[("Y", 6000), ("Z", 5000)],
        &[("Y", 300), ("Z", 300)],
    ),
    (
        "wholesale",
        &[("X", 200), ("Y", 40000)],
        &[("X", 20), ("Y", 5000)],
        &[("X", 5), ("Y", 1000)],
    ),
    (
        "retail",
        &[("X", 300), ("Y", 20000)],
        &[("X", 50), ("Y", 500)],
        &[("X", 10), ("Y", 100)],
    ),
    (
        "transport",
        &[("X", 1000), ("Y", 30000)],
        &[("X", 300), ("Y", 3000)],
        &[("X", 20), ("Y", 200)],
    ),
    (
        "warehousing",
        &[("X", 200), ("Y", 30000)],
        &[("X", 100), ("Y", 1000)],
        &[("X", 20), ("Y", 100)],
    ),
    (
        "postal",
        &[("X", 1000), ("Y", 30000)],
        &[("X", 300), ("Y", 2000)],
        &[("X", 20), ("Y", 100)],
    ),
    (
        "accommodation",
        &[("X", 300), ("Y", 10000)],
        &[("X", 100), ("Y", 2000)],
        &[("X", 10), ("Y", 100)],
    ),
    (
        "catering",
        &[("X", 300), ("Y", 10000)],
        &[("X", 100), ("Y", 2000)],
        &[("X", 10), ("Y", 100)],
    ),
    (
        "information_transmission",
        &[("X", 2000), ("Y", 100000)],
        &[("X", 100), ("Y", 1000)],
        &[("X", 10), ("Y", 100)],
    ),
    (
        "software_it",
        &[("X", 300), ("Y", 10000)],
        &[("X", 100), ("Y", 1000)],
        &[("X", 10), ("Y", 50)],
    ),
    (
        "real_estate_development",
        &[("Y", 200000), ("Z", 10000)],
        &[("Y", 1000), ("Z", 5000)],
        &[("Y", 100), ("Z", 2000)],
    ),
    (
        "property_management",
        &[("X", 1000), ("Y", 5000)],
        &[("X", 300), ("Y", 1000)],
        &[("X", 100), ("Y", 500)],
    ),
    (
        "leasing_business_services",
        &[("X", 300), ("Z", 120000)],
        &[("X", 100), ("Z", 8000)],
        &[("X", 10), ("Z", 100)],
    ),
    ("other", &[("X", 300)], &[("X", 100)], &[("X", 10)]),
];

/// An indicator value "at" a bound, or the smallest step below it (1 person, 0.01 yuan).
#[derive(Clone, Copy)]
enum At {
    On,
    JustBelow,
}

fn set(body: &mut Value, ind: &str, wan_or_persons: i64, at: At) {
    match ind {
        "X" => body["employees"] = json!(wan_or_persons - matches!(at, At::JustBelow) as i64),
        _ => {
            let fen = wan_or_persons * 10_000 * 100 - matches!(at, At::JustBelow) as i64;
            let key = if ind == "Y" {
                "revenue"
            } else {
                "total_assets"
            };
            body[key] = json!(format!("{}.{:02}", fen / 100, fen % 100));
        }
    }
}

fn body_with(row: &str, values: &[(&str, i64, At)]) -> Value {
    let mut b = json!({ "industry": row });
    for &(ind, v, at) in values {
        set(&mut b, ind, v, at);
    }
    b
}

async fn class_of(app: &TestApp, body: &Value) -> String {
    let (status, resp) = app.post("/v1/classify", None, body).await;
    assert_eq!(status, 200, "{body} -> {resp}");
    assert_eq!(resp["standard"], "2011");
    assert!(
        resp["deciding"].as_array().is_some_and(|d| !d.is_empty()),
        "{resp}"
    );
    resp["size_class"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn every_row_at_and_around_its_boundaries() {
    let app = spawn_app().await;
    for &(row, ceiling, medium, small) in ROWS {
        let on = |b: Bounds| b.iter().map(|&(i, v)| (i, v, At::On)).collect::<Vec<_>>();
        // All medium bounds met: medium.
        assert_eq!(
            class_of(&app, &body_with(row, &on(medium))).await,
            "medium",
            "{row} at medium bounds"
        );
        // Missing any one medium bound drops a class ("and").
        for k in 0..medium.len() {
            let mut v = on(medium);
            v[k].2 = At::JustBelow;
            assert_eq!(
                class_of(&app, &body_with(row, &v)).await,
                "small",
                "{row}: just below medium {}",
                medium[k].0
            );
        }
        // All small bounds met: small; missing any one: micro ("or").
        assert_eq!(
            class_of(&app, &body_with(row, &on(small))).await,
            "small",
            "{row} at small bounds"
        );
        for k in 0..small.len() {
            let mut v = on(small);
            v[k].2 = At::JustBelow;
            assert_eq!(
                class_of(&app, &body_with(row, &v)).await,
                "micro",
                "{row}: just below small {}",
                small[k].0
            );
        }
        // At every ceiling value: large. Just below any one of them: back inside the SME ceiling.
        assert_eq!(
            class_of(&app, &body_with(row, &on(ceiling))).await,
            "large",
            "{row} at the ceiling"
        );
        for k in 0..ceiling.len() {
            let mut v = on(ceiling);
            v[k].2 = At::JustBelow;
            assert_eq!(
                class_of(&app, &body_with(row, &v)).await,
                "medium",
                "{row}: just below ceiling {}",
                ceiling[k].0
            );
        }
    }
}

#[tokio::test]
async fn deciding_names_the_indicator_and_bound() {
    let app = spawn_app().await;
    let (status, resp) = app
        .post(
            "/v1/classify",
            None,
            &json!({"industry": "C1310", "employees": 250, "revenue": "30000000"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(resp["size_class"], "small");
    assert_eq!(resp["row"], "industry");
    assert_eq!(resp["industry_code"], "C1310");
    assert_eq!(resp["deciding"][0]["indicator"], "employees");
    assert_eq!(resp["deciding"][0]["bound"], "300");
    assert_eq!(resp["deciding"][0]["rule"], "medium_lower_bound");
    assert_eq!(resp["deciding"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn industry_codes_map_by_longest_prefix() {
    let app = spawn_app().await;
    for (code, row) in [
        ("C", "industry"),
        ("C13", "industry"),
        ("F5211", "retail"),
        ("G599", "warehousing"),
        ("I6510", "software_it"),
        ("K7010", "real_estate_development"),
        ("K7020", "property_management"),
        ("K7030", "other"),
        ("L7212", "leasing_business_services"),
        ("M73", "other"),
        ("a0141", "agriculture"),
    ] {
        let (status, resp) = app
            .post("/v1/classify", None, &json!({"industry": code, "employees": 50, "revenue": "1000000", "total_assets": "1000000"}))
            .await;
        assert_eq!(status, 200, "{code}: {resp}");
        assert_eq!(resp["row"], row, "{code}");
    }
}

#[tokio::test]
async fn outside_the_standard_and_bad_input_are_422() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({"industry": "J66", "employees": 5}),
            "industry",
            "industry.outside_standard",
        ),
        (
            json!({"industry": "G53", "employees": 5}),
            "industry",
            "industry.outside_standard",
        ),
        (
            json!({"industry": "F", "employees": 5}),
            "industry",
            "industry.ambiguous",
        ),
        (
            json!({"industry": "C05", "employees": 5}),
            "industry",
            "industry.division",
        ),
        (
            json!({"industry": "banking", "employees": 5}),
            "industry",
            "industry.format",
        ),
        (
            json!({"industry": "industry", "employees": 5}),
            "revenue",
            "size_standard.required",
        ),
        (
            json!({"industry": "construction", "revenue": "1"}),
            "total_assets",
            "size_standard.required",
        ),
        (
            json!({"industry": "other", "employees": -1}),
            "employees",
            "non_negative",
        ),
        (
            json!({"industry": "retail", "employees": 5, "revenue": "1.001"}),
            "revenue",
            "money.precision",
        ),
        (
            json!({"industry": "retail", "employees": 5, "revenue": "lots"}),
            "revenue",
            "money.format",
        ),
        (
            json!({"industry": "retail", "employees": 5, "revenue": 100}),
            "revenue",
            "type",
        ),
        (json!({"employees": 5}), "industry", "required"),
        (
            json!({"industry": "other", "employees": 5, "staff": 1}),
            "staff",
            "unknown_field",
        ),
    ];
    for (body, field, rule) in cases {
        let (status, resp) = app.post("/v1/classify", None, &body).await;
        assert_eq!(status, 422, "{body}: {resp}");
        assert!(
            field_rules(&resp).contains(&(field.to_string(), rule.to_string())),
            "{body}: {resp}"
        );
    }
    // Finance is named as outside this standard.
    let (_, resp) = app
        .post(
            "/v1/classify",
            None,
            &json!({"industry": "J66", "employees": 5}),
        )
        .await;
    assert!(
        resp["detail"].as_str().unwrap().contains("finance"),
        "{resp}"
    );
    // Malformed JSON is a 400, a wrong media type a 415, both problem+json.
    let r = app
        .client
        .post(app.url("/v1/classify"))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(common::read(r).await.0, 400);
    let r = app
        .client
        .post(app.url("/v1/classify"))
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(common::read(r).await.0, 415);
}
