//! Matching speed (issue: financing products and matching): one firm against a 1,000-product catalogue,
//! in memory — every rule checked, every eligible product priced, offers and near misses sorted.
//! Target ≤ 200 µs. `cargo bench --bench matching`.
//!
//! Issue 20 prices offers with the live subsidy policies: the same catalogue is matched with none (as
//! before), with the six shipped policy files for a firm that has borrowed (the first-loan policies do
//! not apply), and for an agricultural first-time borrower (every first-loan policy is quoted and the
//! exclusivity group resolved on every offer).

use chrono::NaiveDate;
use credithub::domain::grade::{Grade, TaxGrade};
use credithub::domain::matching::{match_products, Applicant, Ask, Designation, PublicMoney};
use credithub::domain::subsidy::{shipped, Policy, SHIPPED};
use credithub::domain::{Money, SizeClass};
use credithub::financing::synthetic;
use criterion::{black_box, criterion_group, criterion_main, Criterion};

fn firm() -> Applicant {
    Applicant {
        uscc: "91310115MA1K3YJ12Y".into(),
        size_class: Some(SizeClass::Small),
        industry_code: "C3911".into(),
        district: "pudong".into(),
        years_in_operation: 6,
        score: Some(720),
        grade: Some(Grade::A),
        tax_grade: Some(TaxGrade::B),
        active_dishonesty: Some(0),
        tax_arrears: Some(Money::ZERO),
        si_arrears_months: Some(0),
        has_bank_loan: true,
        days_to_maturity: Some(60),
        confirmed_receivables: Money::from_yuan(900_000),
        appraised_ip: Money::from_yuan(1_500_000),
        designations: vec![Designation::HighTech],
    }
}

fn bench(c: &mut Criterion) {
    let catalogue = synthetic::catalogue(1_000, 42);
    let a = firm();
    let ask = Ask {
        amount: Money::from_yuan(500_000),
        term_months: 12,
        on: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
    };
    let policies: Vec<Policy> = SHIPPED
        .iter()
        .map(|(name, _)| shipped(name).expect("a shipped policy").policy(name))
        .collect();
    let first = Applicant {
        industry_code: "A0141".into(),
        has_bank_loan: false,
        ..firm()
    };
    let none = PublicMoney::default();
    let live = PublicMoney {
        policies: &policies,
        drawn: &[],
    };
    for (label, who, money) in [
        ("no policies", &a, none),
        ("6 policies, borrowed before", &a, live),
        ("6 policies, first loan", &first, live),
    ] {
        let m = match_products(&catalogue, money, who, &ask);
        let quoted: usize = m
            .offers
            .iter()
            .map(|o| o.cost.subsidies.len() + o.cost.forgone.len())
            .sum();
        println!(
            "1,000 products, {label}: {} offers, {} near misses, {} not eligible, {quoted} policy quotes on offers",
            m.offers.len(),
            m.near_misses.len(),
            m.not_eligible
        );
        c.bench_function(&format!("match one firm x 1,000 products, {label}"), |b| {
            b.iter(|| {
                match_products(
                    black_box(&catalogue),
                    money,
                    black_box(who),
                    black_box(&ask),
                )
                .offers
                .len()
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
