//! Lending to SMEs (Art 21, DOMAIN.md §11): balances at period ends from the balances banks report,
//! inclusive small/micro loans (普惠型小微企业贷款) on the NFRA and the central bank's bases, the 两增
//! targets (inclusive growth not below all-loan growth; inclusive borrowers not fewer than at the start),
//! non-performing ratio, and the shares of credit, first, renewal and medium/long-term loans among those
//! granted in the period, for the city and per bank.

use super::money::Money;
use super::size_class::SizeClass;
use super::states::{LoanKind, LoanStatus};
use super::statistics::{percent, Figure, Table, Unit};
use chrono::{Months, NaiveDate};
use rust_decimal::prelude::*;
use std::collections::{BTreeMap, HashSet};

/// The inclusive small/micro ceiling on the borrower's total credit line: 10 million yuan
/// (NFRA/CBIRC: "单户授信总额1000万元以下(含)", at most; the central bank: "小于1000万元", below).
pub const INCLUSIVE_CREDIT_LINE: Money = Money::from_yuan(10_000_000);

/// A term over one year is medium or long term (贷款通则 Art 8: short-term loans run up to one year).
pub fn medium_long_term(start: NaiveDate, maturity: NaiveDate) -> bool {
    start
        .checked_add_months(Months::new(12))
        .is_some_and(|year| maturity > year)
}

/// One loan as the statistics read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Loan {
    pub id: String,
    pub lender: String,
    pub borrower: String,
    /// The borrower's class when the loan was made.
    pub size_class: Option<SizeClass>,
    pub amount: Money,
    /// The borrower's total credit line at the lender.
    pub credit_line: Money,
    pub start: NaiveDate,
    pub maturity: NaiveDate,
    pub kind: LoanKind,
    pub first_loan: bool,
    pub renewal: bool,
    pub status: LoanStatus,
    pub closed_on: Option<NaiveDate>,
    /// Outstanding principal reported at dates, oldest first.
    pub balances: Vec<(NaiveDate, Money)>,
}

/// Which inclusive basis a figure uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// NFRA: credit line at most 10 million (the basis the report uses).
    Nfra,
    /// The central bank: credit line below 10 million.
    Pboc,
}

impl Loan {
    /// Outstanding at the end of day `d`: nothing before it starts or once it is closed as repaid;
    /// otherwise the latest balance reported on or before `d` (the amount when none is).
    pub fn balance_on(&self, d: NaiveDate) -> Money {
        if d < self.start {
            return Money::ZERO;
        }
        if self.status == LoanStatus::Repaid && self.closed_on.is_some_and(|c| c <= d) {
            return Money::ZERO;
        }
        self.balances
            .iter()
            .rev()
            .find(|(on, _)| *on <= d)
            .map_or(self.amount, |(_, b)| *b)
    }
    /// An inclusive small/micro loan (DOMAIN §11): to a small or micro borrower whose total credit line
    /// is within the basis's ceiling.
    pub fn inclusive(&self, basis: Basis) -> bool {
        self.size_class.is_some_and(SizeClass::is_small_or_micro)
            && match basis {
                Basis::Nfra => self.credit_line <= INCLUSIVE_CREDIT_LINE,
                Basis::Pboc => self.credit_line < INCLUSIVE_CREDIT_LINE,
            }
    }
    /// Non-performing at the end of `d`: defaulted by then with a balance.
    fn non_performing_on(&self, d: NaiveDate) -> bool {
        self.status == LoanStatus::Defaulted && self.balance_on(d) > Money::ZERO
    }
}

/// What Art 21 reads of a set of loans over `[from, to)`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    pub all_start: Decimal,
    pub all_end: Decimal,
    pub inclusive_start: Decimal,
    pub inclusive_end: Decimal,
    pub inclusive_end_pboc: Decimal,
    pub inclusive_borrowers_start: usize,
    pub inclusive_borrowers_end: usize,
    pub borrowers_end: usize,
    pub non_performing_end: Decimal,
    /// Loans granted in the period: count and amount, all and of each kind.
    pub granted: (usize, Decimal),
    pub inclusive_granted: (usize, Decimal),
    pub credit: (usize, Decimal),
    pub first: (usize, Decimal),
    pub renewal: (usize, Decimal),
    pub medium_long: (usize, Decimal),
}

/// Tally `loans` over `[from, to)`: balances at the end of the day before `from` and of the last day.
pub fn tally<'a>(
    loans: impl IntoIterator<Item = &'a Loan>,
    from: NaiveDate,
    to: NaiveDate,
) -> Tally {
    let start = from.pred_opt().unwrap_or(from);
    let end = to.pred_opt().unwrap_or(to);
    let mut t = Tally::default();
    let (mut inc_start, mut inc_end, mut all_end) =
        (HashSet::new(), HashSet::new(), HashSet::new());
    let add = |x: &mut (usize, Decimal), l: &Loan| {
        x.0 += 1;
        x.1 += l.amount.to_decimal();
    };
    for l in loans {
        let (b0, b1) = (
            l.balance_on(start).to_decimal(),
            l.balance_on(end).to_decimal(),
        );
        t.all_start += b0;
        t.all_end += b1;
        if b1 > Decimal::ZERO {
            all_end.insert(l.borrower.as_str());
        }
        if l.inclusive(Basis::Nfra) {
            t.inclusive_start += b0;
            t.inclusive_end += b1;
            if b0 > Decimal::ZERO {
                inc_start.insert(l.borrower.as_str());
            }
            if b1 > Decimal::ZERO {
                inc_end.insert(l.borrower.as_str());
            }
        }
        if l.inclusive(Basis::Pboc) {
            t.inclusive_end_pboc += b1;
        }
        if l.non_performing_on(end) {
            t.non_performing_end += b1;
        }
        if from <= l.start && l.start < to {
            add(&mut t.granted, l);
            if l.inclusive(Basis::Nfra) {
                add(&mut t.inclusive_granted, l);
            }
            if l.kind == LoanKind::Credit {
                add(&mut t.credit, l);
            }
            // 首贷户: a small/micro firm's first loan on record.
            if l.first_loan && l.size_class.is_some_and(SizeClass::is_small_or_micro) {
                add(&mut t.first, l);
            }
            if l.renewal {
                add(&mut t.renewal, l);
            }
            if medium_long_term(l.start, l.maturity) {
                add(&mut t.medium_long, l);
            }
        }
    }
    t.inclusive_borrowers_start = inc_start.len();
    t.inclusive_borrowers_end = inc_end.len();
    t.borrowers_end = all_end.len();
    t
}

const ART21: &str =
    "Art 21; DOMAIN §11 (NFRA inclusive small/micro basis: credit line ≤ 10,000,000 yuan)";

/// The city's figures from a tally, with the 两增 flags.
pub fn figures(t: &Tally) -> Vec<Figure> {
    let n = |x: usize| Decimal::from(x);
    let all_growth = Figure::growth("all_loans_growth", t.all_start, t.all_end, ART21);
    let bar = all_growth.value;
    let inclusive_growth = Figure::growth(
        "inclusive_growth",
        t.inclusive_start,
        t.inclusive_end,
        ART21,
    )
    .target(
        "≥ all_loans_growth (两增)",
        |v| bar.is_some_and(|b| v < b),
        |v| {
            format!(
                "inclusive small/micro loan growth {} is below the growth of all loans {} (两增)",
                percent(v),
                bar.map_or_else(String::new, percent)
            )
        },
    );
    let borrowers_start = n(t.inclusive_borrowers_start);
    let borrowers = Figure::ratio(
        "inclusive_borrowers_growth",
        Unit::Growth,
        n(t.inclusive_borrowers_end) - borrowers_start,
        borrowers_start,
        4,
        ART21,
    )
    .target(
        "≥ 0 (两增: borrowers not fewer than at the start)",
        |v| v < Decimal::ZERO,
        |_| {
            format!(
                "{} small/micro firms have an inclusive loan balance at the end, fewer than the {} at the start (两增)",
                t.inclusive_borrowers_end, t.inclusive_borrowers_start
            )
        },
    );
    let share = |key: &str, x: &(usize, Decimal), rule: &str| {
        [
            Figure::ratio(
                &format!("{key}_share_count"),
                Unit::Share,
                n(x.0),
                n(t.granted.0),
                4,
                rule,
            ),
            Figure::ratio(
                &format!("{key}_share_amount"),
                Unit::Share,
                x.1,
                t.granted.1,
                4,
                rule,
            ),
        ]
    };
    let mut out = vec![
        Figure::amount("all_loans_balance_start", Unit::Yuan, t.all_start, ART21),
        Figure::amount("all_loans_balance_end", Unit::Yuan, t.all_end, ART21),
        all_growth,
        Figure::amount("inclusive_balance_start", Unit::Yuan, t.inclusive_start, ART21),
        Figure::amount("inclusive_balance_end", Unit::Yuan, t.inclusive_end, ART21),
        Figure::amount(
            "inclusive_balance_end_pboc",
            Unit::Yuan,
            t.inclusive_end_pboc,
            "Art 21; DOMAIN §11 (the central bank's basis: credit line < 10,000,000 yuan)",
        ),
        inclusive_growth,
        Figure::amount("inclusive_borrowers_start", Unit::Count, borrowers_start, ART21),
        Figure::amount("inclusive_borrowers_end", Unit::Count, n(t.inclusive_borrowers_end), ART21),
        borrowers,
        Figure::amount("borrowers_end", Unit::Count, n(t.borrowers_end), ART21),
        Figure::ratio(
            "non_performing_ratio",
            Unit::Share,
            t.non_performing_end,
            t.all_end,
            4,
            "Art 21 (两控: the non-performing ratio kept in check); defaulted balances / all balances at the end",
        ),
        Figure::amount("granted_count", Unit::Count, n(t.granted.0), ART21),
        Figure::amount("granted_amount", Unit::Yuan, t.granted.1, ART21),
    ];
    out.extend(share("inclusive", &t.inclusive_granted, ART21));
    out.extend(share(
        "credit_loan",
        &t.credit,
        "Art 21; DOMAIN §11 (信用贷款: no guarantee, no collateral)",
    ));
    out.extend(share(
        "first_loan",
        &t.first,
        "Art 21; DOMAIN §11 (首贷户: a small/micro firm's first loan on record)",
    ));
    out.extend(share(
        "renewal",
        &t.renewal,
        "Art 21; 金规〔2024〕13号 (无还本续贷: signed before the old loan matures, repaying it)",
    ));
    out.extend(share(
        "medium_long_term",
        &t.medium_long,
        "Art 21; 贷款通则 Art 8 (term over one year)",
    ));
    out
}

/// The figures each bank's row shows, in order.
const PER_BANK: [&str; 15] = [
    "all_loans_balance_start",
    "all_loans_balance_end",
    "all_loans_growth",
    "inclusive_balance_start",
    "inclusive_balance_end",
    "inclusive_growth",
    "inclusive_borrowers_start",
    "inclusive_borrowers_end",
    "granted_count",
    "granted_amount",
    "credit_loan_share_amount",
    "first_loan_share_amount",
    "renewal_share_amount",
    "medium_long_term_share_amount",
    "non_performing_ratio",
];

/// The per-bank table: balances, growth, inclusive growth against the bank's own all-loan growth, and
/// the shares of what it granted; a bank missing 两增 is flagged on its row.
pub fn per_bank(
    loans: &[Loan],
    from: NaiveDate,
    to: NaiveDate,
    names: &dyn Fn(&str) -> String,
) -> Table {
    let mut by: BTreeMap<&str, Vec<&Loan>> = BTreeMap::new();
    for l in loans {
        by.entry(l.lender.as_str()).or_default().push(l);
    }
    let mut table = Table::new("per_bank", &["bank", "bank_id"], &PER_BANK);
    for (bank, ls) in by {
        let t = tally(ls.iter().copied(), from, to);
        let f = figures(&t);
        let v = |k: &str| f.iter().find(|x| x.key == k).and_then(|x| x.value);
        let flags = f
            .iter()
            .filter(|x| x.key.starts_with("inclusive_"))
            .filter_map(|x| x.flag.clone())
            .collect();
        table.push(
            vec![names(bank), bank.to_string()],
            PER_BANK.iter().map(|k| v(k)).collect(),
            flags,
        );
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn loan(id: &str, class: SizeClass, yuan: i64, start: NaiveDate, maturity: NaiveDate) -> Loan {
        Loan {
            id: id.into(),
            lender: "bank-a".into(),
            borrower: format!("firm-{id}"),
            size_class: Some(class),
            amount: Money::from_yuan(yuan),
            credit_line: Money::from_yuan(yuan),
            start,
            maturity,
            kind: LoanKind::Credit,
            first_loan: false,
            renewal: false,
            status: LoanStatus::Outstanding,
            closed_on: None,
            balances: vec![(start, Money::from_yuan(yuan))],
        }
    }

    #[test]
    fn a_balance_is_the_latest_report_and_nothing_once_repaid() {
        let mut l = loan(
            "1",
            SizeClass::Small,
            1_000_000,
            d(2025, 3, 1),
            d(2026, 3, 1),
        );
        l.balances.push((d(2025, 9, 30), Money::from_yuan(600_000)));
        assert_eq!(l.balance_on(d(2025, 2, 28)), Money::ZERO);
        assert_eq!(l.balance_on(d(2025, 3, 1)), Money::from_yuan(1_000_000));
        assert_eq!(l.balance_on(d(2025, 12, 31)), Money::from_yuan(600_000));
        l.status = LoanStatus::Repaid;
        l.closed_on = Some(d(2026, 3, 1));
        assert_eq!(l.balance_on(d(2026, 2, 28)), Money::from_yuan(600_000));
        assert_eq!(l.balance_on(d(2026, 3, 1)), Money::ZERO);
    }

    #[test]
    fn medium_long_term_is_over_one_year() {
        assert!(!medium_long_term(d(2026, 1, 15), d(2027, 1, 15)));
        assert!(medium_long_term(d(2026, 1, 15), d(2027, 1, 16)));
    }

    #[test]
    fn the_inclusive_bases_differ_at_exactly_ten_million() {
        let mut l = loan(
            "1",
            SizeClass::Micro,
            2_000_000,
            d(2026, 1, 1),
            d(2026, 12, 1),
        );
        l.credit_line = Money::from_yuan(10_000_000);
        assert!(l.inclusive(Basis::Nfra));
        assert!(!l.inclusive(Basis::Pboc));
        l.size_class = Some(SizeClass::Medium);
        assert!(!l.inclusive(Basis::Nfra));
    }

    /// Year 2026. All loans: start 2,000,000 (A 1,000,000 small; B 1,000,000 medium), end 2,500,000
    /// (A matured and was repaid inside the year → 0; B 1,000,000; C new small 500,000; D new medium
    /// 1,000,000): growth +25%. Inclusive: start 1,000,000 (A), end 500,000 (C): growth −50% < +25%,
    /// flagged; borrowers 1 → 1: not flagged. Granted in 2026: C (credit, first, 500,000, 18 months:
    /// medium/long) and D (guaranteed renewal of B's sibling, 1,000,000, 12 months): credit share by
    /// amount 500,000 / 1,500,000 = 0.3333; first 0.3333; renewal 0.6667; medium/long 0.3333.
    #[test]
    fn art_21_figures_on_a_small_book() {
        let mut a = loan(
            "A",
            SizeClass::Small,
            1_000_000,
            d(2025, 6, 1),
            d(2026, 6, 1),
        );
        a.status = LoanStatus::Repaid;
        a.closed_on = Some(d(2026, 6, 1));
        let b = loan(
            "B",
            SizeClass::Medium,
            1_000_000,
            d(2025, 7, 1),
            d(2027, 7, 1),
        );
        let mut c = loan("C", SizeClass::Small, 500_000, d(2026, 3, 1), d(2027, 9, 1));
        c.first_loan = true;
        let mut dd = loan(
            "D",
            SizeClass::Medium,
            1_000_000,
            d(2026, 4, 1),
            d(2027, 4, 1),
        );
        dd.kind = LoanKind::Guaranteed;
        dd.renewal = true;
        let loans = [a, b, c, dd];
        let t = tally(&loans, d(2026, 1, 1), d(2027, 1, 1));
        assert_eq!((t.all_start, t.all_end), (dec!(2000000), dec!(2500000)));
        assert_eq!(
            (t.inclusive_start, t.inclusive_end),
            (dec!(1000000), dec!(500000))
        );
        let f = figures(&t);
        let get = |k: &str| f.iter().find(|x| x.key == k).unwrap();
        assert_eq!(get("all_loans_growth").value, Some(dec!(0.25)));
        assert_eq!(get("inclusive_growth").value, Some(dec!(-0.5)));
        assert!(get("inclusive_growth")
            .flag
            .as_deref()
            .unwrap()
            .contains("-50%"));
        assert_eq!(get("inclusive_borrowers_growth").value, Some(dec!(0)));
        assert_eq!(get("inclusive_borrowers_growth").flag, None);
        assert_eq!(get("credit_loan_share_amount").value, Some(dec!(0.3333)));
        assert_eq!(get("credit_loan_share_count").value, Some(dec!(0.5)));
        assert_eq!(get("first_loan_share_amount").value, Some(dec!(0.3333)));
        assert_eq!(get("renewal_share_amount").value, Some(dec!(0.6667)));
        assert_eq!(
            get("medium_long_term_share_amount").value,
            Some(dec!(0.3333))
        );
        assert_eq!(get("non_performing_ratio").value, Some(dec!(0)));
        let table = per_bank(&loans, d(2026, 1, 1), d(2027, 1, 1), &|b| b.to_uppercase());
        assert_eq!(table.rows.len(), 1);
        assert_eq!(
            table.get(&["BANK-A", "bank-a"], "inclusive_growth"),
            Some(dec!(-0.5))
        );
        assert_eq!(table.rows[0].flags.len(), 1);
    }

    #[test]
    fn a_defaulted_balance_is_non_performing() {
        let mut l = loan("1", SizeClass::Micro, 100_000, d(2025, 1, 1), d(2026, 1, 1));
        l.status = LoanStatus::Defaulted;
        let ok = loan("2", SizeClass::Micro, 300_000, d(2025, 1, 1), d(2027, 1, 1));
        let t = tally(&[l, ok], d(2026, 1, 1), d(2027, 1, 1));
        assert_eq!(t.non_performing_end, dec!(100000));
        let f = figures(&t);
        assert_eq!(
            f.iter()
                .find(|x| x.key == "non_performing_ratio")
                .unwrap()
                .value,
            Some(dec!(0.25))
        );
        // No loans started in the period: the shares have no value, and nothing is flagged for it.
        assert_eq!(
            f.iter()
                .find(|x| x.key == "credit_loan_share_amount")
                .unwrap()
                .value,
            None
        );
    }
}
