//! `GET /v1/uscc/{code}` over HTTP: the valid case and every fault of GB 32100-2015.

mod common;
use common::{field_rules, spawn_app};

#[tokio::test]
async fn valid_code_is_broken_into_its_parts() {
    let app = spawn_app().await;
    let (status, body) = app.get("/v1/uscc/91110000600037341L", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["valid"], true);
    assert_eq!(body["normalized"], "91110000600037341L");
    assert_eq!(body["authority"], "9");
    assert_eq!(body["entity_type"], "1");
    assert_eq!(body["division"], "110000");
    assert_eq!(body["organization_code"], "600037341");
    assert_eq!(body["check"], "L");
    // Normalisation: lower case, spaces and dashes.
    let (status, body) = app.get("/v1/uscc/9111-0000-6000%2037341l", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["normalized"], "91110000600037341L");
}

#[tokio::test]
async fn every_fault_is_named() {
    let app = spawn_app().await;
    let cases = [
        (
            "91110000600037341",
            "uscc.length",
            "18 characters, found 17",
        ),
        ("91110000600037341LX", "uscc.length", "found 19"),
        ("91110000600O37341L", "uscc.character", "position 12"),
        ("9111000060003734IL", "uscc.character", "'I' at position 17"),
        ("91110000600037341S", "uscc.character", "'S' at position 18"),
        ("911A0000600037341L", "uscc.division_digit", "position 4"),
        ("9111000X600037341L", "uscc.division_digit", "position 8"),
        (
            "91110000600037341M",
            "uscc.check_character",
            "expected 'L', found 'M'",
        ),
    ];
    for (code, rule, words) in cases {
        let (status, body) = app.get(&format!("/v1/uscc/{code}"), None).await;
        assert_eq!(status, 422, "{code}: {body}");
        assert_eq!(
            field_rules(&body),
            vec![("code".to_string(), rule.to_string())],
            "{code}: {body}"
        );
        assert!(
            body["detail"].as_str().unwrap().contains(words),
            "{code}: {body}"
        );
    }
}
