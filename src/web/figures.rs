//! Guarantee agencies' figures in words and charts (Art 28), shared by the agency's own page and the
//! government's monitoring board: the periods they are taken over (the quarters of a year, the year to
//! date), a table of the figures, and what each flag means.

use super::chart;
use super::layout::T;
use crate::service::agencies::AgencyMetrics;
use chrono::{Datelike, NaiveDate};
use maud::{html, Markup};
use rust_decimal::Decimal;

/// The quarters of `year` that have begun by `today`: (label, first day, the day after the last),
/// the one running cut at tomorrow.
pub fn quarters(year: i32, today: NaiveDate) -> Vec<(String, NaiveDate, NaiveDate)> {
    let tomorrow = today.succ_opt().unwrap_or(today);
    (0..4)
        .filter_map(|q| {
            let from = NaiveDate::from_ymd_opt(year, q * 3 + 1, 1)?;
            let end = if q == 3 {
                NaiveDate::from_ymd_opt(year + 1, 1, 1)?
            } else {
                NaiveDate::from_ymd_opt(year, q * 3 + 4, 1)?
            };
            (from <= today).then(|| (format!("{year} Q{}", q + 1), from, end.min(tomorrow)))
        })
        .collect()
}

/// The year asked for (`?year=`), else this one; a year outside 2000-2100 reads as this one.
pub fn year_of(q: Option<i32>, today: NaiveDate) -> i32 {
    q.filter(|y| (2000..=2100).contains(y))
        .unwrap_or_else(|| today.year())
}

fn ratio(t: &T, v: &Option<String>) -> String {
    v.as_deref()
        .and_then(|s| s.parse::<Decimal>().ok())
        .map_or_else(|| "—".into(), |d| t.percent(d))
}

fn number(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "—".into())
}

/// A flag in words: what it means and the rule behind it (`leverage_low: …` → the catalogue's words).
pub fn flag(t: &T, f: &str) -> String {
    let code = f.split(':').next().unwrap_or(f);
    t.try_t(&format!("flag-{code}"))
        .unwrap_or_else(|| f.to_string())
}

/// The figures of each period (or agency): a row each.
pub fn table(t: &T, caption: &str, rows: &[(String, AgencyMetrics)]) -> Markup {
    html! {
        div.scroll tabindex="0" {
            table.figures {
                caption { (caption) }
                thead { tr {
                    th scope="col" { "" }
                    th scope="col" .num { (t.t("fig-balance")) }
                    th scope="col" .num { (t.t("fig-net-assets")) }
                    th scope="col" .num { (t.t("fig-leverage")) }
                    th scope="col" .num { (t.t("fig-compensation-rate")) }
                    th scope="col" .num { (t.t("fig-small-micro")) }
                    th scope="col" .num { (t.t("fig-fee-rate")) }
                    th scope="col" .num { (t.t("fig-subsidies-approved")) }
                    th scope="col" .num { (t.t("fig-subsidies-paid")) }
                    th scope="col" { (t.t("fig-flags")) }
                } }
                tbody {
                    @for (label, m) in rows {
                        @let x = &m.metrics;
                        tr {
                            th scope="row" { (label) }
                            td.num { (t.money(x.balance)) }
                            td.num { (x.net_assets.map_or_else(|| "—".into(), |n| t.money(n))) }
                            td.num { (number(&x.leverage)) }
                            td.num { (ratio(t, &x.compensation_rate)) }
                            td.num { (ratio(t, &x.small_micro_share_amount)) " / " (ratio(t, &x.small_micro_share_count)) }
                            td.num { (ratio(t, &x.average_fee_rate)) }
                            td.num { (t.money(m.subsidies_approved)) }
                            td.num { (t.money(m.subsidies_paid)) }
                            td {
                                @if x.flags.is_empty() { (t.t("fig-no-flags")) }
                                @for f in &x.flags { div.flag { (flag(t, f)) } }
                            }
                        }
                    }
                }
            }
        }
        p.help { (t.t("fig-small-micro-help")) }
    }
}

/// Leverage and the compensation rate of each row as bars, with the flags' thresholds (Art 28).
pub fn charts(t: &T, id: &str, rows: &[(String, AgencyMetrics)]) -> Markup {
    let value = |s: &Option<String>| s.as_deref().and_then(|v| v.parse::<f64>().ok());
    let leverage: Vec<(String, f64, String)> = rows
        .iter()
        .map(|(l, m)| {
            let v = value(&m.metrics.leverage);
            (l.clone(), v.unwrap_or(0.0), number(&m.metrics.leverage))
        })
        .collect();
    let comp: Vec<(String, f64, String)> = rows
        .iter()
        .map(|(l, m)| {
            let v = value(&m.metrics.compensation_rate);
            (
                l.clone(),
                v.unwrap_or(0.0) * 100.0,
                ratio(t, &m.metrics.compensation_rate),
            )
        })
        .collect();
    let lev_min = crate::domain::agency::MIN_LEVERAGE;
    let comp_max = crate::domain::agency::MAX_COMPENSATION_RATE;
    let f = |d: Decimal| d.to_string().parse::<f64>().unwrap_or(0.0);
    html! {
        div.charts {
            figure {
                (chart::bars(&format!("{id}-leverage"), &t.t("fig-leverage"), &t.t("fig-leverage-desc"), &leverage,
                    Some((f(lev_min), lev_min.to_string()))))
                figcaption { (t.t("fig-leverage-desc")) }
            }
            figure {
                (chart::bars(&format!("{id}-compensation"), &t.t("fig-compensation-rate"), &t.t("fig-compensation-desc"), &comp,
                    Some((f(comp_max) * 100.0, t.percent(comp_max)))))
                figcaption { (t.t("fig-compensation-desc")) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quarters_begun_by_today_the_running_one_cut_at_tomorrow() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        let q = quarters(2026, d(2026, 12, 4));
        assert_eq!(q.len(), 4);
        assert_eq!((q[0].1, q[0].2), (d(2026, 1, 1), d(2026, 4, 1)));
        assert_eq!((q[3].1, q[3].2), (d(2026, 10, 1), d(2026, 12, 5)));
        let q = quarters(2026, d(2026, 4, 1));
        assert_eq!(q.len(), 2);
        assert_eq!(q[1].2, d(2026, 4, 2));
        assert_eq!(quarters(2025, d(2026, 4, 1))[3].2, d(2026, 1, 1));
        assert!(quarters(2027, d(2026, 4, 1)).is_empty());
        assert_eq!(year_of(Some(1900), d(2026, 1, 1)), 2026);
    }
}
