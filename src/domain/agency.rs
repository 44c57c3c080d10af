//! Guarantee agency monitoring (Art 28, DOMAIN.md §9): leverage on a date, compensation rate over a
//! period, the share of guarantees going to small and micro firms, the average fee rate, with the flags
//! the regulation implies (leverage below 5, compensation above 5%).

use super::money::Money;
use super::size_class::SizeClass;
use chrono::NaiveDate;
use rust_decimal::prelude::*;
use serde::Serialize;

/// Leverage below this is flagged (the regulation expects at least 5×).
pub const MIN_LEVERAGE: Decimal = Decimal::from_parts(5, 0, 0, false, 0);
/// A compensation rate above this (5%) is flagged.
pub const MAX_COMPENSATION_RATE: Decimal = Decimal::from_parts(5, 0, 0, false, 2);

/// One contract as monitoring reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Guarantee {
    pub guaranteed: Money,
    pub fee_rate: Decimal,
    pub start: NaiveDate,
    /// End of the active interval: `min(end, released, called)`.
    pub active_end: NaiveDate,
    pub called_on: Option<NaiveDate>,
    pub compensation: Option<Money>,
    pub size_class: Option<SizeClass>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Metrics {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Guarantee balance in force on the day before `to` (the period's last day).
    pub balance: Money,
    pub net_assets: Option<Money>,
    pub leverage: Option<String>,
    /// Compensation paid in the period.
    pub compensation_paid: Money,
    /// Guaranteed amounts of contracts whose active interval ended in the period.
    pub ended_guaranteed: Money,
    pub compensation_rate: Option<String>,
    /// Contracts active at some time in the period, and those of small and micro firms.
    pub contracts: usize,
    pub small_micro_contracts: usize,
    pub small_micro_share_count: Option<String>,
    pub small_micro_share_amount: Option<String>,
    /// Average fee rate, weighted by guaranteed amount, of the contracts active in the period.
    pub average_fee_rate: Option<String>,
    pub flags: Vec<String>,
}

fn ratio(a: Decimal, b: Decimal, dp: u32) -> Option<Decimal> {
    (!b.is_zero()).then(|| (a / b).round_dp(dp))
}

/// The metrics of an agency's contracts over `[from, to)`, with its net assets on the last day.
pub fn metrics(
    gs: &[Guarantee],
    net_assets: Option<Money>,
    from: NaiveDate,
    to: NaiveDate,
) -> Metrics {
    let last = to.pred_opt().unwrap_or(to);
    let active_on = |g: &Guarantee, d: NaiveDate| g.start <= d && d < g.active_end;
    let balance: i64 = gs
        .iter()
        .filter(|g| active_on(g, last))
        .map(|g| g.guaranteed.fen())
        .sum();
    let paid: i64 = gs
        .iter()
        .filter(|g| g.called_on.is_some_and(|c| from <= c && c < to))
        .filter_map(|g| g.compensation.map(Money::fen))
        .sum();
    let ended: i64 = gs
        .iter()
        .filter(|g| from <= g.active_end && g.active_end < to)
        .map(|g| g.guaranteed.fen())
        .sum();
    let in_period: Vec<&Guarantee> = gs
        .iter()
        .filter(|g| g.start < to && from < g.active_end)
        .collect();
    let small = |g: &&&Guarantee| matches!(g.size_class, Some(SizeClass::Small | SizeClass::Micro));
    let sm: Vec<&&Guarantee> = in_period.iter().filter(small).collect();
    let amount =
        |xs: &mut dyn Iterator<Item = &Guarantee>| -> i64 { xs.map(|g| g.guaranteed.fen()).sum() };
    let total_amount = amount(&mut in_period.iter().copied());
    let sm_amount = amount(&mut sm.iter().map(|g| **g));
    let weighted: Decimal = in_period
        .iter()
        .map(|g| g.fee_rate * Decimal::from(g.guaranteed.fen()))
        .sum();
    let leverage =
        net_assets.and_then(|n| ratio(Decimal::from(balance), Decimal::from(n.fen()), 2));
    let comp_rate = ratio(Decimal::from(paid), Decimal::from(ended), 4);
    let mut flags = Vec::new();
    match (net_assets, leverage) {
        (None, _) => flags.push("net_assets_missing: the agency has reported no net assets on or before the period's end".into()),
        (Some(_), Some(l)) if l < MIN_LEVERAGE => {
            flags.push(format!("leverage_low: leverage {l} is below {MIN_LEVERAGE}"))
        }
        _ => {}
    }
    if let Some(r) = comp_rate.filter(|r| *r > MAX_COMPENSATION_RATE) {
        flags.push(format!(
            "compensation_high: compensation rate {}% is above 5%",
            (r * Decimal::ONE_HUNDRED).normalize()
        ));
    }
    let s = |d: Option<Decimal>| d.map(|d| d.normalize().to_string());
    Metrics {
        from,
        to,
        balance: Money::from_fen(balance),
        net_assets,
        leverage: s(leverage),
        compensation_paid: Money::from_fen(paid),
        ended_guaranteed: Money::from_fen(ended),
        compensation_rate: s(comp_rate),
        contracts: in_period.len(),
        small_micro_contracts: sm.len(),
        small_micro_share_count: s(ratio(
            Decimal::from(sm.len()),
            Decimal::from(in_period.len()),
            4,
        )),
        small_micro_share_amount: s(ratio(
            Decimal::from(sm_amount),
            Decimal::from(total_amount),
            4,
        )),
        average_fee_rate: s(ratio(weighted, Decimal::from(total_amount), 6)),
        flags,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn g(amount: i64, fee: Decimal, s: &str, e: &str, class: SizeClass) -> Guarantee {
        Guarantee {
            guaranteed: Money::from_yuan(amount),
            fee_rate: fee,
            start: d(s),
            active_end: d(e),
            called_on: None,
            compensation: None,
            size_class: Some(class),
        }
    }

    #[test]
    fn leverage_compensation_shares_and_flags() {
        let mut called = g(
            1_000_000,
            dec!(0.02),
            "2025-06-01",
            "2026-03-01",
            SizeClass::Micro,
        );
        called.called_on = Some(d("2026-03-01"));
        called.compensation = Some(Money::from_yuan(800_000));
        let gs = vec![
            g(
                4_000_000,
                dec!(0.01),
                "2026-01-01",
                "2027-01-01",
                SizeClass::Small,
            ),
            g(
                5_000_000,
                dec!(0.015),
                "2025-01-01",
                "2026-06-01",
                SizeClass::Medium,
            ), // matured in the period
            called,
            g(
                9_000_000,
                dec!(0.01),
                "2027-01-01",
                "2028-01-01",
                SizeClass::Small,
            ), // not yet started
        ];
        let m = metrics(
            &gs,
            Some(Money::from_yuan(2_000_000)),
            d("2026-01-01"),
            d("2027-01-01"),
        );
        // On 2026-12-31 only the first is in force: 4,000,000 / 2,000,000.
        assert_eq!(m.balance, Money::from_yuan(4_000_000));
        assert_eq!(m.leverage.as_deref(), Some("2"));
        // 800,000 paid / (5,000,000 + 1,000,000 ended in 2026) = 13.33%
        assert_eq!(m.compensation_rate.as_deref(), Some("0.1333"));
        assert_eq!(m.contracts, 3);
        assert_eq!(m.small_micro_contracts, 2);
        assert_eq!(m.small_micro_share_amount.as_deref(), Some("0.5"));
        // (4M × 1% + 5M × 1.5% + 1M × 2%) / 10M = 1.35%
        assert_eq!(m.average_fee_rate.as_deref(), Some("0.0135"));
        assert_eq!(m.flags.len(), 2, "{:?}", m.flags);
        assert!(m.flags[0].starts_with("leverage_low: leverage 2 is below 5"));
        assert!(m.flags[1].starts_with("compensation_high: compensation rate 13.33%"));
        let healthy = metrics(
            &gs[..1],
            Some(Money::from_yuan(500_000)),
            d("2026-01-01"),
            d("2027-01-01"),
        );
        assert_eq!(healthy.leverage.as_deref(), Some("8"));
        assert!(healthy.flags.is_empty(), "{:?}", healthy.flags);
        assert_eq!(healthy.compensation_rate, None, "nothing ended: no rate");
    }
}
