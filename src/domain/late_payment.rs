//! Late payment to SMEs (Art 54; 保障中小企业款项支付条例, State Council Decree 802, in force 2025-06-01;
//! DOMAIN §11): government bodies and public institutions pay an SME within 30 days of delivery (60 if
//! the contract says so), large firms within 60 days; the hub holds each receivable's agreed due date
//! (the contract's, within those limits) and its payments, so a receivable is overdue when what was paid
//! by its due date falls short of its amount. Per debtor: receivables due, overdue count and amount, days
//! late, and how long the debtor took to confirm — the list a city publishes.

use super::money::Money;
use super::size_class::SizeClass;
use super::statistics::{divide, Figure, Table, Unit};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// Who owes: the kinds Decree 802 binds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DebtorKind {
    /// A government body or public institution: its USCC's registration-department code is `1`
    /// (机构编制, GB 32100-2015). Pays within 30 days (60 if agreed).
    Government,
    /// A large firm (Art 2 size class). Pays within 60 days.
    LargeFirm,
}

impl DebtorKind {
    /// `None`: an SME owes (the decree protects SMEs as creditors; it does not bind them as debtors).
    pub fn of(uscc: &str, size_class: Option<SizeClass>) -> Option<DebtorKind> {
        if uscc.starts_with('1') {
            Some(DebtorKind::Government)
        } else if size_class == Some(SizeClass::Large) {
            Some(DebtorKind::LargeFirm)
        } else {
            None
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            DebtorKind::Government => "government",
            DebtorKind::LargeFirm => "large_firm",
        }
    }
    /// The longest term the decree allows from delivery.
    pub fn max_days(self) -> i64 {
        60
    }
}

/// One receivable as the late-payment figures read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Receivable {
    pub debtor: String,
    pub debtor_name: String,
    pub kind: DebtorKind,
    pub amount: Money,
    pub due_on: NaiveDate,
    pub disputed: bool,
    /// (paid on, amount), oldest first.
    pub payments: Vec<(NaiveDate, Money)>,
    /// Hours from registration to the debtor's answer.
    pub confirmation_hours: Option<Decimal>,
}

impl Receivable {
    /// Paid on or before `d`.
    fn paid_by(&self, d: NaiveDate) -> Money {
        Money::from_fen(
            self.payments
                .iter()
                .filter(|p| p.0 <= d)
                .map(|p| p.1.fen())
                .sum(),
        )
    }
    /// What was still owed at the end of the due date.
    pub fn overdue_amount(&self) -> Money {
        Money::from_fen((self.amount.fen() - self.paid_by(self.due_on).fen()).max(0))
    }
    /// Days from the due date to full payment, or to `today` while unpaid; 0 when paid on time.
    pub fn days_late(&self, today: NaiveDate) -> i64 {
        if self.overdue_amount() == Money::ZERO {
            return 0;
        }
        let mut paid = 0;
        for (on, m) in &self.payments {
            paid += m.fen();
            if paid >= self.amount.fen() {
                return (*on - self.due_on).num_days().max(0);
            }
        }
        (today - self.due_on).num_days().max(0)
    }
}

#[derive(Debug, Default, Clone)]
struct Tally {
    name: String,
    kind: Option<DebtorKind>,
    due: usize,
    disputed: usize,
    overdue: usize,
    overdue_amount: i64,
    unpaid_now: usize,
    days: Vec<i64>,
    hours: Vec<Decimal>,
}

const ART54: &str = "Art 54; 保障中小企业款项支付条例 (Decree 802): government bodies pay SMEs within 30 days of delivery (60 if agreed), large firms within 60; overdue = not paid in full by the agreed due date";

/// The city's figures and the per-debtor list (receivables due before `today` in the period; disputed
/// ones are counted apart, not as late), overdue debtors first.
pub fn figures(rs: &[Receivable], today: NaiveDate) -> (Vec<Figure>, Table) {
    let mut by: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut city = Tally::default();
    for r in rs.iter().filter(|r| r.due_on < today) {
        let t = by.entry(r.debtor.as_str()).or_default();
        t.name = r.debtor_name.clone();
        t.kind = Some(r.kind);
        for t in [t, &mut city] {
            t.due += 1;
            if r.disputed {
                t.disputed += 1;
                continue;
            }
            if let Some(h) = r.confirmation_hours {
                t.hours.push(h);
            }
            let o = r.overdue_amount();
            if o > Money::ZERO {
                t.overdue += 1;
                t.overdue_amount += o.fen();
                t.days.push(r.days_late(today));
                if r.paid_by(today) < r.amount {
                    t.unpaid_now += 1;
                }
            }
        }
    }
    let mean = |xs: &[Decimal]| divide(xs.iter().sum(), Decimal::from(xs.len()), 2);
    let days = |t: &Tally| -> (Option<Decimal>, Option<Decimal>) {
        let d: Vec<Decimal> = t.days.iter().map(|x| Decimal::from(*x)).collect();
        (mean(&d), d.iter().copied().max())
    };
    let n = |x: usize| Decimal::from(x);
    let (mean_days, max_days) = days(&city);
    let counted = city.due - city.disputed;
    let figures = vec![
        Figure::amount("debtors", Unit::Count, n(by.len()), ART54),
        Figure::amount("receivables_due", Unit::Count, n(city.due), ART54),
        Figure::amount(
            "disputed",
            Unit::Count,
            n(city.disputed),
            "Art 54: disputed receivables are counted apart (the undisputed part is due on time)",
        ),
        Figure::amount("overdue", Unit::Count, n(city.overdue), ART54),
        Figure::ratio(
            "overdue_share",
            Unit::Share,
            n(city.overdue),
            n(counted),
            4,
            ART54,
        )
        .target(
            "0",
            |v| v > Decimal::ZERO,
            |v| {
                format!(
                    "{} of the receivables due to SMEs were paid late or not at all (Art 54)",
                    super::statistics::percent(v)
                )
            },
        ),
        Figure::amount(
            "overdue_amount",
            Unit::Yuan,
            Decimal::new(city.overdue_amount, 2),
            ART54,
        ),
        Figure::amount("still_unpaid", Unit::Count, n(city.unpaid_now), ART54),
        Figure::maybe("mean_days_late", Unit::Days, mean_days, ART54),
        Figure::maybe("max_days_late", Unit::Days, max_days, ART54),
        Figure::maybe(
            "mean_confirmation_hours",
            Unit::Ratio,
            mean(&city.hours),
            "Art 27, 54: hours from a receivable's registration to the debtor's answer",
        ),
    ];
    let mut table = Table::new(
        "per_debtor",
        &["debtor", "debtor_uscc", "debtor_kind"],
        &[
            "receivables_due",
            "disputed",
            "overdue",
            "overdue_amount",
            "still_unpaid",
            "mean_days_late",
            "max_days_late",
            "mean_confirmation_hours",
        ],
    );
    let mut rows: Vec<(&str, &Tally)> = by.iter().map(|(k, v)| (*k, v)).collect();
    rows.sort_by(|a, b| {
        b.1.overdue_amount
            .cmp(&a.1.overdue_amount)
            .then(a.0.cmp(b.0))
    });
    for (uscc, t) in rows {
        let (m, x) = days(t);
        let flags = if t.overdue > 0 {
            vec![format!(
                "{}: {} receivable(s) due to SMEs paid late or unpaid, {} yuan overdue (Art 54)",
                t.name,
                t.overdue,
                Money::from_fen(t.overdue_amount)
            )]
        } else {
            vec![]
        };
        table.push(
            vec![
                t.name.clone(),
                uscc.to_string(),
                t.kind.map_or("", DebtorKind::as_str).to_string(),
            ],
            vec![
                Some(n(t.due)),
                Some(n(t.disputed)),
                Some(n(t.overdue)),
                Some(Decimal::new(t.overdue_amount, 2)),
                Some(n(t.unpaid_now)),
                m,
                x,
                mean(&t.hours),
            ],
            flags,
        );
    }
    (figures, table)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    fn r(debtor: &str, amount: i64, due: NaiveDate, payments: &[(NaiveDate, i64)]) -> Receivable {
        Receivable {
            debtor: debtor.into(),
            debtor_name: debtor.to_uppercase(),
            kind: DebtorKind::Government,
            amount: Money::from_yuan(amount),
            due_on: due,
            disputed: false,
            payments: payments
                .iter()
                .map(|(d, a)| (*d, Money::from_yuan(*a)))
                .collect(),
            confirmation_hours: Some(dec!(10)),
        }
    }

    #[test]
    fn the_debtor_kind_follows_the_uscc_and_the_class() {
        assert_eq!(
            DebtorKind::of("11310000MB2F00000X", None),
            Some(DebtorKind::Government)
        );
        assert_eq!(
            DebtorKind::of("91310000MA1F00000X", Some(SizeClass::Large)),
            Some(DebtorKind::LargeFirm)
        );
        assert_eq!(
            DebtorKind::of("91310000MA1F00000X", Some(SizeClass::Small)),
            None
        );
    }

    /// G owes: R1 100,000 due 03-31, paid 60,000 on 03-20 and 40,000 on 04-30 (overdue 40,000, 30 days
    /// late); R2 50,000 due 04-15, paid in full 04-10 (on time); R3 20,000 due 05-01, nothing paid by
    /// 06-01 (overdue 20,000, 31 days late, still unpaid); R4 due after today (not counted). Overdue 2 of
    /// 3 = 66.67%, 60,000 yuan, mean 30.5 days, max 31.
    #[test]
    fn overdue_is_what_was_unpaid_at_the_due_date() {
        let today = d(6, 1);
        let rs = [
            r(
                "g",
                100_000,
                d(3, 31),
                &[(d(3, 20), 60_000), (d(4, 30), 40_000)],
            ),
            r("g", 50_000, d(4, 15), &[(d(4, 10), 50_000)]),
            r("g", 20_000, d(5, 1), &[]),
            r("g", 10_000, d(7, 1), &[]),
        ];
        assert_eq!(rs[0].overdue_amount(), Money::from_yuan(40_000));
        assert_eq!(rs[0].days_late(today), 30);
        assert_eq!(rs[1].days_late(today), 0);
        assert_eq!(rs[2].days_late(today), 31);
        let (f, t) = figures(&rs, today);
        let get = |k: &str| f.iter().find(|x| x.key == k).unwrap().value;
        assert_eq!(get("receivables_due"), Some(dec!(3)));
        assert_eq!(get("overdue_share"), Some(dec!(0.6667)));
        assert_eq!(get("overdue_amount"), Some(dec!(60000.00)));
        assert_eq!(get("mean_days_late"), Some(dec!(30.5)));
        assert_eq!(get("max_days_late"), Some(dec!(31)));
        assert_eq!(get("still_unpaid"), Some(dec!(1)));
        assert_eq!(t.rows[0].flags.len(), 1);
    }
}
