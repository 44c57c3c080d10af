//! The connectors against the real simulator over HTTP: full pull, retry on injected 5xx, cursor resume
//! after a pull dies midway, malformed and duplicate rows, a clear error on 4xx.

mod common;
use common::{spawn_app, TestApp};
use credithub::demo::{demo_firm, sim_firms};
use credithub::ingest::pull::{pull_source, PullError, PullReport};
use credithub::store::firms;
use credithub_integrations::client::{Client, Credentials, RetryPolicy, UpstreamError};
use credithub_integrations::simulator::{start, Faults, SimConfig, Simulator};
use credithub_integrations::SourceId;
use std::time::Duration;

const FIRMS: u64 = 12;

async fn setup() -> (TestApp, Simulator) {
    let app = spawn_app().await;
    let rows: Vec<_> = (0..FIRMS).map(|i| demo_firm(5, i)).collect();
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || {
        firms::insert_many_new(&mut db.conn().unwrap(), &rows).unwrap()
    })
    .await
    .unwrap();
    let sim = start(SimConfig::new(sim_firms(5, FIRMS)), "127.0.0.1:0").unwrap();
    (app, sim)
}

fn client(sim: &Simulator, secret: &str) -> Client {
    let mut c = Client::new(
        &sim.base_url,
        Credentials {
            client_id: "credithub".into(),
            client_secret: secret.into(),
        },
        Duration::from_millis(500),
    );
    c.retry = RetryPolicy {
        attempts: 4,
        base: Duration::from_millis(5),
        max: Duration::from_millis(20),
    };
    c
}

async fn pull(app: &TestApp, c: &Client, id: SourceId, page: u32) -> Result<PullReport, PullError> {
    pull_source(&app.db, c, id, page, &|_| {}).await
}

#[tokio::test]
async fn pulls_every_source_in_pages_and_stops_at_the_end() {
    let (app, sim) = setup().await;
    let c = client(&sim, "demo-secret");
    for id in SourceId::ALL {
        let r = pull(&app, &c, id, 100).await.unwrap();
        let (received, accepted) = (r.total(|x| x.received), r.total(|x| x.accepted));
        assert_eq!(
            received,
            accepted,
            "{}: every simulated row is valid",
            id.name()
        );
        assert_eq!(r.total(|x| x.quarantined), 0);
        if id != SourceId::PublicCredit && id != SourceId::Customs {
            assert!(
                r.pages >= 4,
                "{}: {} pages of 100 records",
                id.name(),
                r.pages
            );
        }
        // A second pull finds nothing new and stores nothing twice.
        let again = pull(&app, &c, id, 100).await.unwrap();
        assert_eq!(again.total(|x| x.received), 0, "{}", id.name());
    }
    // Tax: 12 firms × 36 months × 3 kinds + one grade per December.
    let gov = app.gov_key().await;
    let (_, runs) = app
        .get("/v1/ingestion-runs?source=tax&limit=500", Some(&gov))
        .await;
    let total: i64 = runs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["accepted"].as_i64().unwrap())
        .sum();
    assert_eq!(total, (FIRMS * 36 * 3 + FIRMS * 3) as i64);
    assert!(runs["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["origin"] == "pull"));
}

#[tokio::test]
async fn retries_injected_5xx_and_slow_responses() {
    let (app, sim) = setup().await;
    let c = client(&sim, "demo-secret");
    sim.set_faults(Faults {
        fail_next: 3,
        fail_status: 503,
        ..Default::default()
    });
    let r = pull(&app, &c, SourceId::SocialInsurance, 1000)
        .await
        .unwrap();
    assert_eq!(r.total(|x| x.accepted), (FIRMS * 36 * 3) as i64);
    // A response slower than the client's timeout is retried too.
    sim.set_faults(Faults {
        slow_next: 1,
        slow_ms: 800,
        ..Default::default()
    });
    let r = pull(&app, &c, SourceId::PublicCredit, 1000).await.unwrap();
    assert!(r.total(|x| x.accepted) > 0);
    // More failures than attempts: a clear error, and nothing stored past the cursor.
    sim.set_faults(Faults {
        fail_next: 10,
        fail_status: 502,
        ..Default::default()
    });
    let e = pull(&app, &c, SourceId::Utility, 1000).await.unwrap_err();
    assert!(
        matches!(
            e,
            PullError::Upstream(UpstreamError::Exhausted { attempts: 4, .. })
        ),
        "{e}"
    );
    assert!(e.to_string().contains("502"), "{e}");
}

#[tokio::test]
async fn a_pull_that_dies_midway_resumes_from_its_cursor() {
    let (app, sim) = setup().await;
    let c = client(&sim, "demo-secret");
    // Page size 50 over 432 tax records: 9 pages. Let three through, then fail hard.
    let served_before = sim.pages_served();
    let fail_after = async {
        while sim.pages_served() < served_before + 3 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        sim.set_faults(Faults {
            fail_next: 1000,
            fail_status: 500,
            ..Default::default()
        });
    };
    let (first, _) = tokio::join!(pull(&app, &c, SourceId::Tax, 50), fail_after);
    assert!(first.is_err(), "the pull died");
    let gov = app.gov_key().await;
    let (_, runs) = app.get("/v1/ingestion-runs?source=tax", Some(&gov)).await;
    let stored_pages = runs["items"].as_array().unwrap().len();
    assert!(
        (3..9).contains(&stored_pages),
        "{stored_pages} pages stored before the crash"
    );

    sim.set_faults(Faults::default());
    let second = pull(&app, &c, SourceId::Tax, 50).await.unwrap();
    assert_eq!(
        second.pages as usize,
        9 - stored_pages,
        "resumed after the last stored page"
    );
    assert_eq!(second.total(|x| x.duplicate), 0, "nothing fetched twice");
    let (_, runs) = app.get("/v1/ingestion-runs?source=tax", Some(&gov)).await;
    let accepted: i64 = runs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["accepted"].as_i64().unwrap())
        .sum();
    assert_eq!(accepted, (FIRMS * 36 * 3 + FIRMS * 3) as i64);
}

#[tokio::test]
async fn malformed_and_duplicate_records_are_counted() {
    let (app, sim) = setup().await;
    let c = client(&sim, "demo-secret");
    sim.set_faults(Faults {
        malformed_next: 1,
        duplicate_next: 1,
        ..Default::default()
    });
    let r = pull(&app, &c, SourceId::Customs, 1000).await.unwrap();
    let run = &r.runs[0];
    assert_eq!(run.received, run.accepted + run.duplicate + run.quarantined);
    assert!(
        run.duplicate >= 3,
        "the repeated record's three rows: {run:?}"
    );
    assert!(
        run.quarantined >= 2,
        "a bad amount and an unreadable record: {run:?}"
    );
    let gov = app.gov_key().await;
    let (_, rejects) = app
        .get(
            &format!("/v1/ingestion-runs/{}/rejects", run.id),
            Some(&gov),
        )
        .await;
    let codes: Vec<&str> = rejects["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reasons"][0]["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"bad_amount") && codes.contains(&"malformed_row"),
        "{codes:?}"
    );
}

#[tokio::test]
async fn wrong_credentials_are_a_clear_error_not_a_retry_loop() {
    let (app, sim) = setup().await;
    let c = client(&sim, "wrong");
    let e = pull(&app, &c, SourceId::Tax, 100).await.unwrap_err();
    assert!(
        matches!(
            e,
            PullError::Upstream(UpstreamError::Client { status: 401, .. })
        ),
        "{e}"
    );
    assert!(e.to_string().contains("invalid_client"), "{e}");
}
