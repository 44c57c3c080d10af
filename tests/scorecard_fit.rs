//! Issue 19: a bank's data scientist fits a scorecard from a CSV of their own with one command and gets
//! its metrics and a TOML the hub can load; `score` scores any CSV with it, rows in order. On the public
//! German credit data (tests/data/README.md says where it comes from and its licence).

use std::process::Command;

fn credithub(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_credithub"))
        .args(args)
        .output()
        .expect("run credithub")
}

#[test]
fn fit_and_score_a_public_data_set() {
    let dir = std::env::temp_dir().join(format!("credithub-fit-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/german_credit.csv");
    let card = dir.join("german.toml");
    let out = credithub(&[
        "scorecard",
        "fit",
        "--data",
        data,
        "--target",
        "creditability",
        "--version",
        "german-1",
        "--out",
        card.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The binning table, IVs, coefficients and test metrics are printed.
    assert!(
        text.contains("status_of_existing_checking_account"),
        "{text}"
    );
    assert!(text.contains("WoE") && text.contains("intercept"), "{text}");
    let test_line = text
        .lines()
        .find(|l| l.starts_with("test"))
        .expect("a test line");
    let auc: f64 = test_line
        .split("AUC ")
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(auc > 0.7, "{test_line}");
    // A card the hub reads, with its scaling, development sample and test figures.
    let toml = std::fs::read_to_string(&card).unwrap();
    let parsed = credithub::domain::scorecard::Scorecard::parse(&toml).unwrap();
    assert_eq!(parsed.version, "german-1");
    assert!(
        parsed.scaling.is_some() && parsed.development.is_some() && parsed.validation.is_some()
    );
    // Deterministic for the seed.
    let again = dir.join("again.toml");
    let out = credithub(&[
        "scorecard",
        "fit",
        "--data",
        data,
        "--target",
        "creditability",
        "--version",
        "german-1",
        "--out",
        again.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert_eq!(toml, std::fs::read_to_string(&again).unwrap());

    // Score the data: every row in order, with score, grade and reasons; identical rows score identically.
    let scores = dir.join("scores.csv");
    let out = credithub(&[
        "scorecard",
        "score",
        "--scorecard",
        card.to_str().unwrap(),
        "--data",
        data,
        "--out",
        scores.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut rd = csv::Reader::from_path(&scores).unwrap();
    let head = rd.headers().unwrap().clone();
    let last: Vec<&str> = head.iter().skip(head.len() - 3).collect();
    assert_eq!(last, ["score", "grade", "reasons"]);
    let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1000);
    let mut input = csv::Reader::from_path(data).unwrap();
    for (a, b) in input.records().map(Result::unwrap).zip(&rows) {
        assert_eq!(
            a.iter().collect::<Vec<_>>(),
            b.iter().take(a.len()).collect::<Vec<_>>()
        );
        let s: i32 = b[a.len()].parse().unwrap();
        assert!((300..=900).contains(&s));
    }
    let mut by_row: std::collections::HashMap<Vec<String>, String> = Default::default();
    for r in &rows {
        let key: Vec<String> = r.iter().take(head.len() - 3).map(str::to_string).collect();
        let score = r[head.len() - 3].to_string();
        assert_eq!(by_row.entry(key).or_insert(score.clone()), &score);
    }

    // Clear refusals: an unknown target column; a CSV without the card's columns.
    let out = credithub(&[
        "scorecard",
        "fit",
        "--data",
        data,
        "--target",
        "default_flag",
        "--out",
        dir.join("x.toml").to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("default_flag"));
    let other = dir.join("other.csv");
    std::fs::write(&other, "a,b\n1,2\n").unwrap();
    let out = credithub(&[
        "scorecard",
        "score",
        "--scorecard",
        card.to_str().unwrap(),
        "--data",
        other.to_str().unwrap(),
        "--out",
        dir.join("s.csv").to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("lacks the column"));
    let _ = std::fs::remove_dir_all(&dir);
}
