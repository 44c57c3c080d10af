//! Data quality per source (Art 26): when data last arrived, coverage (registry firms with data for the
//! last complete month / firms in the registry; DOMAIN §11), quarantine and supersession rates with the
//! top quarantine reasons, and pull failures over the period — flagged when coverage is under the
//! deployment's floor or a source has sent nothing for its silent-day limit.

use super::{Period, ReportError};
use crate::domain::month::Month;
use crate::domain::signals::Source;
use crate::domain::statistics::{divide, percent, Figure, Section, Table, Unit, Watch};
use crate::store::statistics as stats;
use crate::store::DbConn;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};

/// Quarantined rows read for the top reasons, at most (per period).
const REASONS_READ: i64 = 100_000;

pub fn section(
    c: &mut DbConn,
    period: Period,
    today: NaiveDate,
    watch: Watch,
) -> Result<Section, ReportError> {
    let end = period.to.min(today);
    let month = Month::last_complete(end);
    let (from_t, to_t) = (
        super::super::agencies::utc_start(period.from),
        super::super::agencies::utc_start(period.to),
    );
    let registry = crate::store::firms::count(c)?;
    let with_data: HashMap<String, i64> = stats::firms_with_data(c, &month)?
        .into_iter()
        .map(|r| (r.key, r.n))
        .collect();
    let last: HashMap<String, Option<chrono::NaiveDateTime>> =
        stats::last_received(c, to_t)?.into_iter().collect();
    let runs = stats::runs_between(c, from_t, to_t)?;
    let mut table = Table::new(
        "per_source",
        &["source", "last_received"],
        &[
            "days_silent",
            "firms_with_data",
            "registry_firms",
            "coverage",
            "runs",
            "received",
            "quarantined",
            "quarantine_rate",
            "superseded",
            "supersession_rate",
            "pull_failures",
        ],
    );
    let mut reasons_table = Table::new("top_reasons", &["source", "code"], &["rows"]);
    let floor = watch.coverage_floor;
    let mut covered = Vec::new();
    for source in Source::ALL {
        let s = source.as_str();
        let mine: Vec<&stats::RunFacts> = runs.iter().filter(|r| r.source == s).collect();
        let sum = |f: fn(&stats::RunFacts) -> i64| -> i64 { mine.iter().map(|r| f(r)).sum() };
        let (received, quarantined, superseded) = (
            sum(|r| r.received),
            sum(|r| r.quarantined),
            sum(|r| r.superseded),
        );
        let failures = mine.iter().filter(|r| r.status == "failed").count() as i64;
        let last_at = last.get(s).copied().flatten();
        // Dates in China Standard Time.
        let last_day = last_at.map(|t| (t + chrono::Duration::hours(8)).date());
        let silent = last_day.map(|d| (end - d).num_days().max(0));
        // Public-credit records and procurement awards arrive as events, only for firms that have one:
        // coverage does not apply.
        // Customs declares only for firms that trade across the border: its coverage is shown, not
        // held to the floor.
        let monthly = !matches!(source, Source::PublicCredit | Source::Procurement);
        let universal = monthly && source != Source::Customs;
        let firms = with_data.get(s).copied().unwrap_or(0);
        let coverage = monthly
            .then(|| divide(firms.into(), registry.into(), 4))
            .flatten();
        let mut flags = Vec::new();
        if let Some(cv) = coverage.filter(|cv| universal && *cv < floor) {
            flags.push(format!(
                "{s}: coverage {} for {month} is under the floor {} ({firms} of {registry} registry firms)",
                percent(cv),
                percent(floor)
            ));
        }
        match silent {
            Some(d) if d >= watch.silent_days => flags.push(format!(
                "{s}: nothing received for {d} days (since {}; the limit is {} days)",
                last_day.map_or_else(String::new, |d| d.to_string()),
                watch.silent_days
            )),
            None => flags.push(format!("{s}: nothing received before {}", period.to)),
            _ => {}
        }
        if let Some(cv) = coverage.filter(|_| universal) {
            covered.push(cv);
        }
        table.push(
            vec![
                s.into(),
                last_day.map_or_else(String::new, |d| d.to_string()),
            ],
            vec![
                silent.map(Decimal::from),
                monthly.then_some(firms.into()),
                Some(registry.into()),
                coverage,
                Some(mine.len().into()),
                Some(received.into()),
                Some(quarantined.into()),
                divide(quarantined.into(), received.into(), 4),
                Some(superseded.into()),
                divide(superseded.into(), received.into(), 4),
                Some(failures.into()),
            ],
            flags,
        );
        // The top quarantine reasons of the period's runs.
        let ids: Vec<String> = mine
            .iter()
            .filter(|r| r.quarantined > 0)
            .map(|r| r.id.clone())
            .collect();
        let mut codes: BTreeMap<String, i64> = BTreeMap::new();
        for (_, reasons) in stats::reject_reasons(c, &ids, REASONS_READ)? {
            let parsed: Vec<serde_json::Value> = serde_json::from_str(&reasons).unwrap_or_default();
            for r in parsed {
                if let Some(code) = r.get("code").and_then(|x| x.as_str()) {
                    *codes.entry(code.to_string()).or_default() += 1;
                }
            }
        }
        let mut top: Vec<(String, i64)> = codes.into_iter().collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        for (code, n) in top.into_iter().take(5) {
            reasons_table.push(vec![s.into(), code], vec![Some(n.into())], vec![]);
        }
    }
    let lowest = covered.iter().copied().min();
    let figures = vec![
        Figure::amount("registry_firms", Unit::Count, registry.into(), "Art 26; DOMAIN §11"),
        Figure::amount(
            "lowest_coverage",
            Unit::Share,
            lowest.unwrap_or_default(),
            &format!("Art 26; DOMAIN §11 (coverage = firms with data for {month} / firms in the registry, of tax, social insurance and utilities; Shanghai's standard ≥ 90%)"),
        )
        .target(&format!("≥ {}", percent(floor)), |v| v < floor, |v| {
            format!("the lowest source coverage {} for {month} is under the floor {}", percent(v), percent(floor))
        }),
        Figure::amount(
            "sources_flagged",
            Unit::Count,
            table.rows.iter().filter(|r| !r.flags.is_empty()).count().into(),
            "Art 26",
        ),
    ];
    let mut s = Section::new(
        "data-quality",
        period.from,
        period.to,
        figures,
        vec![table, reasons_table],
    );
    // The per-source flags say it; the lowest-coverage figure would say it twice.
    s.flags.retain(|f| f.figure != "lowest_coverage");
    Ok(s)
}
