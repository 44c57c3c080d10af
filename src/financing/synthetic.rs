//! A deterministic synthetic catalogue, for the matching benchmarks: products of every lending kind with
//! one to four rules drawn from every rule type, a few relying on guarantee schemes.

use crate::domain::grade::{Grade, TaxGrade};
use crate::domain::matching::{Designation, LoanSubtype, Product, ProductKind, ProductSpec, Rule};
use crate::domain::{Money, SizeClass};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;

fn rule(rng: &mut StdRng) -> Rule {
    match rng.random_range(0..13) {
        0 => Rule::SizeClass {
            any_of: vec![SizeClass::Micro, SizeClass::Small],
        },
        1 => Rule::IndustryPrefix {
            any_of: vec![["C", "I65", "F", "M"][rng.random_range(0..4)].to_string()],
        },
        2 => Rule::District {
            any_of: vec!["pudong".into(), "minhang".into(), "jiading".into()],
        },
        3 => Rule::MinScore {
            score: rng.random_range(500..800),
        },
        4 => Rule::MinGrade {
            grade: Grade::ALL[rng.random_range(1..6)],
        },
        5 => Rule::MinYearsInOperation {
            years: rng.random_range(1..8),
        },
        6 => Rule::MinTaxGrade {
            grade: TaxGrade::ALL[rng.random_range(0..3)],
        },
        7 => Rule::NoActiveDishonesty,
        8 => Rule::MaxTaxArrears {
            amount: Money::from_yuan(rng.random_range(0..3) * 10_000),
        },
        9 => Rule::MaxSiArrearsMonths {
            months: rng.random_range(0..3),
        },
        10 => Rule::FirstLoanOnly,
        11 => Rule::LoanMaturingWithin {
            days: rng.random_range(30..120),
        },
        _ => Rule::Designation {
            any_of: vec![Designation::SpecialisedInnovative, Designation::HighTech],
        },
    }
}

/// `n` products (ids `syn-00000`…), the first five of them guarantee schemes that some loans rely on.
pub fn catalogue(n: usize, seed: u64) -> Vec<Product> {
    let mut rng = StdRng::seed_from_u64(seed);
    let from = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();
    (0..n)
        .map(|i| {
            let kind = match i {
                0..5 => ProductKind::GuaranteeScheme,
                _ => match rng.random_range(0..10) {
                    0 => ProductKind::ReceivableFinancing,
                    1 => ProductKind::IpPledge,
                    _ => ProductKind::BankLoan,
                },
            };
            let mut rules: Vec<Rule> = (0..rng.random_range(1..=4))
                .map(|_| rule(&mut rng))
                .collect();
            match kind {
                ProductKind::ReceivableFinancing => rules.push(Rule::ConfirmedReceivables),
                ProductKind::IpPledge => rules.push(Rule::AppraisedIp),
                _ => {}
            }
            let lending = kind.is_lending();
            let lo = Decimal::new(rng.random_range(300..500), 4);
            let scheme = (kind == ProductKind::BankLoan && n > 5 && rng.random_range(0..4) == 0)
                .then(|| format!("syn-{:05}", rng.random_range(0..5)));
            let spec = ProductSpec {
                kind,
                subtype: (kind == ProductKind::BankLoan).then_some(LoanSubtype::CreditLoan),
                name: format!("synthetic {i}"),
                description: None,
                amount_min: Money::from_yuan(rng.random_range(1..=10) * 10_000),
                amount_max: Money::from_yuan(rng.random_range(5..=100) * 100_000),
                term_min_months: rng.random_range(1..=6),
                term_max_months: rng.random_range(12..=60),
                rate_min: lending.then_some(lo),
                rate_max: (lending && rng.random_bool(0.5)).then(|| lo + Decimal::new(100, 4)),
                annual_fee_rate: Decimal::ZERO,
                guarantee_scheme_id: scheme,
                fee_rate: (!lending).then(|| Decimal::new(rng.random_range(50..150), 4)),
                coverage_ratio: (!lending).then(|| Decimal::new(8, 1)),
                scheme_kind: None,
                advance_ratio: (kind == ProductKind::ReceivableFinancing)
                    .then(|| Decimal::new(8, 1)),
                loan_to_value: (kind == ProductKind::IpPledge).then(|| Decimal::new(5, 1)),
                valid_from: from,
                valid_to: None,
                rules,
            };
            // The generator only writes valid specifications (the test below checks 300 of them).
            Product::new(format!("syn-{i:05}"), format!("syn-bank-{}", i % 20), spec)
                .unwrap_or_else(|v| panic!("synthetic product {i} is invalid: {v:?}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn synthetic_products_are_valid_specifications() {
        for p in super::catalogue(300, 7) {
            assert_eq!(p.spec.violations(), vec![], "{}", p.id);
        }
    }
}
