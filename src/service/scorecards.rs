//! A score banks can trust (issue 19): loan outcomes with the profile at the decision, validation of
//! the registered cards on them, fitting a challenger from the hub's own outcomes, the registry
//! (champion, challengers in shadow, promotion as a recorded government act) and monitoring of the live
//! score distribution. Government and administrator only; banks never see shadow scores.

use super::access::Actor;
use super::{Context, ServiceError, Violation};
use crate::domain::features::{indicator_spec, IndicatorValue, Indicators, INDICATORS};
use crate::domain::month::Month;
use crate::domain::outcome::{Outcome, Performance, WINDOW_MONTHS};
use crate::domain::scorecard::binning::Column;
use crate::domain::scorecard::fit::{self, FitOptions, Fitted, Table};
use crate::domain::scorecard::metrics::{self, PsiThresholds, Stability};
use crate::domain::scorecard::validation::{self, Case, ValidateOptions, Validation};
use crate::domain::scorecard::Scorecard;
use crate::profile::Profiles;
use crate::store::scorecards::{self as store, ScorecardRow};
use crate::store::StoreError;
use chrono::NaiveDate;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

/// What went wrong with a scorecard operation, in its own terms.
#[derive(Debug, thiserror::Error)]
pub enum ScorecardError {
    #[error("{} input(s) break a rule", .0.len())]
    Invalid(Vec<Violation>),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    /// A version registered twice, a card that is not a challenger promoted, a fit that stopped.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for ScorecardError {
    fn from(e: diesel::result::Error) -> Self {
        ScorecardError::Store(e.into())
    }
}

impl From<ScorecardError> for ServiceError {
    fn from(e: ScorecardError) -> Self {
        match e {
            ScorecardError::Invalid(v) => ServiceError::Invalid(v),
            ScorecardError::NotFound(m) => ServiceError::NotFound(m),
            ScorecardError::Forbidden(m) => ServiceError::Forbidden(m),
            ScorecardError::Conflict(m) => ServiceError::Conflict(m),
            ScorecardError::Store(s) => ServiceError::Store(s),
        }
    }
}

/// Indicators a fitted hub card may not use (Art 58: only lawful, relevant data; the size class
/// decides eligibility for public money, it is not creditworthiness).
pub const NOT_SCORED: &[&str] = &["size_class"];

fn government(actor: &Actor) -> Result<(), ScorecardError> {
    if actor.is_government_side() {
        Ok(())
    } else {
        Err(ScorecardError::Forbidden(
            "scorecards are validated, fitted and promoted by the government side".into(),
        ))
    }
}

/// One loan with its outcome and the indicators at its decision.
#[derive(Debug, Clone)]
pub struct LoanCase {
    pub loan_id: String,
    pub uscc: String,
    pub start_on: NaiveDate,
    /// The last complete month at the decision: the profile the lender saw was as of it.
    pub month: Month,
    pub outcome: Outcome,
    pub bad_on: Option<NaiveDate>,
    pub indicators: Indicators,
}

/// Every loan that started in `from..=to`, its outcome over `window_months` as of today and its
/// indicators at the decision.
pub async fn outcomes(
    ctx: &Context,
    window_months: u32,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Vec<LoanCase>, ScorecardError> {
    let today = ctx.clock.today();
    let cases = ctx
        .db
        .run(move |c| {
            let (loans, balances) =
                crate::store::applications::loans_before(c, today.succ_opt().unwrap_or(today))?;
            let mut reports: HashMap<String, Vec<(NaiveDate, Option<i32>)>> = HashMap::new();
            for b in balances {
                reports
                    .entry(b.loan_id)
                    .or_default()
                    .push((b.as_of, b.days_past_due));
            }
            let picked: Vec<_> = loans
                .into_iter()
                .filter(|l| {
                    from.is_none_or(|f| l.start_on >= f) && to.is_none_or(|t| l.start_on <= t)
                })
                .collect();
            let keys: Vec<(String, Month)> = picked
                .iter()
                .map(|l| (l.firm_uscc.clone(), Month::last_complete(l.start_on)))
                .collect();
            let ind = crate::profile::indicators_at(c, &keys)?;
            let mut out = Vec::with_capacity(picked.len());
            for (l, key) in picked.into_iter().zip(keys) {
                let perf = Performance {
                    start: l.start_on,
                    maturity: l.maturity_on,
                    status: l.status,
                    closed_on: l.closed_on,
                    reports: reports.remove(&l.id).unwrap_or_default(),
                };
                let (outcome, bad_on) = perf.outcome(window_months, today);
                let Some(indicators) = ind.get(&key).cloned() else {
                    continue;
                };
                out.push(LoanCase {
                    loan_id: l.id,
                    uscc: l.firm_uscc,
                    start_on: l.start_on,
                    month: key.1,
                    outcome,
                    bad_on,
                    indicators,
                });
            }
            Ok::<_, StoreError>(out)
        })
        .await?;
    Ok(cases)
}

/// What validation is asked for.
#[derive(Debug, Clone, Default)]
pub struct ValidateQuery {
    /// Cards by version; none: the champion and the challengers.
    pub versions: Vec<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub window_months: Option<u32>,
    pub development: Option<(Month, Month)>,
    pub recent: Option<(Month, Month)>,
    /// A card from a file (the command line's `--scorecard`), validated beside the others.
    pub extra: Option<Arc<Scorecard>>,
}

/// The cards a validation covers.
async fn cards_for(
    ctx: &Context,
    versions: &[String],
) -> Result<Vec<Arc<Scorecard>>, ScorecardError> {
    if versions.is_empty() {
        let live = ctx.profiles.cards().await?;
        return Ok(std::iter::once(live.champion)
            .chain(live.challengers)
            .collect());
    }
    let mut out = Vec::new();
    for v in versions {
        let vv = v.clone();
        let row = ctx.db.run(move |c| store::get(c, &vv)).await?;
        let row = row.ok_or_else(|| ScorecardError::NotFound(format!("no scorecard {v}")))?;
        let card = ctx
            .profiles
            .parse_card(&row.version, &row.body)
            .ok_or_else(|| ScorecardError::Conflict(format!("scorecard {v} no longer parses")))?;
        out.push(card);
    }
    Ok(out)
}

/// The performance window runs 1 to 60 months.
fn check_window(window: u32) -> Result<(), ScorecardError> {
    if (1..=60).contains(&window) {
        return Ok(());
    }
    Err(ScorecardError::Invalid(vec![Violation::new(
        "window_months",
        "range.window",
        format!("the performance window runs 1 to 60 months, not {window}"),
    )]))
}

/// The default windows: the recent one is the last six decision months, development everything before
/// (`empty`: the month both are when there are no loans).
fn windows(
    cases: &[LoanCase],
    q: &ValidateQuery,
    empty: Month,
) -> ((Month, Month), (Month, Month)) {
    let first = cases.iter().map(|c| c.month).min().unwrap_or(empty);
    let last = cases.iter().map(|c| c.month).max().unwrap_or(empty);
    let recent = q.recent.unwrap_or((last.plus(-5).max(first), last));
    let development = q.development.unwrap_or((first, recent.0.plus(-1)));
    (development, recent)
}

/// Validate the cards on the same outcomes.
pub async fn validate(
    ctx: &Context,
    actor: &Actor,
    q: ValidateQuery,
) -> Result<Vec<Validation>, ScorecardError> {
    government(actor)?;
    let window = q.window_months.unwrap_or(WINDOW_MONTHS);
    check_window(window)?;
    let mut cards = cards_for(ctx, &q.versions).await?;
    if let Some(extra) = &q.extra {
        cards.insert(0, extra.clone());
    }
    let cases = outcomes(ctx, window, q.from, q.to).await?;
    let (development, recent) = windows(&cases, &q, Month::last_complete(ctx.clock.today()));
    let opts = ValidateOptions {
        window_months: window,
        development,
        recent,
        thresholds: PsiThresholds::default(),
        auc_floor: 0.7,
    };
    Ok(cards
        .iter()
        .map(|card| {
            let scored: Vec<Case> = cases
                .iter()
                .map(|c| Case {
                    month: c.month,
                    outcome: c.outcome,
                    scored: card.score(&c.indicators),
                })
                .collect();
            validation::validate(card, &scored, &opts)
        })
        .collect())
}

/// The hub's outcomes as a table: one column per scorable indicator, `bad` 0/1, the loan id and start
/// (excluded from fitting). Indeterminate loans are left out.
pub fn outcome_table(cases: &[LoanCase]) -> Table {
    let decided: Vec<&LoanCase> = cases
        .iter()
        .filter(|c| c.outcome != Outcome::Indeterminate)
        .collect();
    let mut names = vec!["loan_id".to_string(), "start_on".to_string()];
    let mut columns = vec![
        Column::Text(decided.iter().map(|c| Some(c.loan_id.clone())).collect()),
        Column::Text(
            decided
                .iter()
                .map(|c| Some(c.start_on.to_string()))
                .collect(),
        ),
    ];
    for (key, _, unit) in INDICATORS
        .iter()
        .filter(|(k, _, _)| !NOT_SCORED.contains(k))
    {
        names.push(key.to_string());
        let value = |c: &LoanCase| c.indicators.get(key).and_then(|i| i.value.clone());
        columns.push(if *unit == "code" {
            Column::Text(
                decided
                    .iter()
                    .map(|c| match value(c) {
                        Some(IndicatorValue::Code(s)) => Some(s),
                        _ => None,
                    })
                    .collect(),
            )
        } else {
            Column::Number(
                decided
                    .iter()
                    .map(|c| value(c).and_then(|v| v.number()).and_then(|d| d.to_f64()))
                    .collect(),
            )
        });
    }
    names.push("bad".into());
    columns.push(Column::Number(
        decided
            .iter()
            .map(|c| Some(if c.outcome == Outcome::Bad { 1.0 } else { 0.0 }))
            .collect(),
    ));
    Table { names, columns }
}

/// The same table as CSV (what `--from-hub` fits on, and a bank's data scientist can download).
pub fn table_csv(t: &Table) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(&t.names);
    for i in 0..t.rows() {
        let row: Vec<String> = t
            .columns
            .iter()
            .map(|c| match c {
                Column::Number(v) => v[i].map_or(String::new(), |x| format!("{x}")),
                Column::Text(v) => v[i].clone().unwrap_or_default(),
            })
            .collect();
        let _ = w.write_record(&row);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Fit options for the hub's own outcomes: the indicators, target `bad`, loan id and start excluded.
pub fn hub_fit_options(version: &str) -> FitOptions {
    let mut o = FitOptions::new("bad", version);
    o.exclude = vec!["loan_id".into(), "start_on".into()];
    o.hub_inputs = true;
    o.data = "the hub's loan outcomes".into();
    o
}

/// Fit a card on the hub's outcomes (loans decided in `from..=to`), split for testing by the seed.
pub async fn fit_from_hub(
    ctx: &Context,
    actor: &Actor,
    opts: FitOptions,
    window_months: u32,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Fitted, ScorecardError> {
    government(actor)?;
    check_window(window_months)?;
    let cases = outcomes(ctx, window_months, from, to).await?;
    let table = outcome_table(&cases);
    tokio::task::spawn_blocking(move || fit::fit(&table, None, &opts, &|_, _, _| {}))
        .await
        .map_err(|e| ScorecardError::Conflict(format!("the fit stopped: {e}")))?
        .map_err(|e| {
            ScorecardError::Invalid(vec![Violation::new("data", "fit.data", e.to_string())])
        })
}

/// Fit a card on the hub's outcomes and register it as a challenger (`note` says where it was asked).
pub async fn fit_challenger(
    ctx: &Context,
    actor: &Actor,
    opts: FitOptions,
    window_months: u32,
    note: &str,
) -> Result<(Fitted, ScorecardView), ScorecardError> {
    let fitted = fit_from_hub(ctx, actor, opts, window_months, None, None).await?;
    let view = register(ctx, actor, fitted.toml.clone(), "fitted", Some(note.into())).await?;
    Ok((fitted, view))
}

/// A registered card as listed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ScorecardView {
    pub version: String,
    /// `champion`, `challenger` or `retired`.
    pub role: String,
    pub origin: String,
    pub registered_by: String,
    pub registered_at: String,
    pub promoted_by: Option<String>,
    pub promoted_at: Option<String>,
    pub note: Option<String>,
    pub characteristics: Vec<String>,
    /// Shadow scores stored (challengers).
    pub shadow_scores: i64,
    /// The figures the card embeds from its fit, if any.
    #[schema(value_type = Option<Object>)]
    pub embedded_validation: Option<serde_json::Value>,
}

impl ScorecardView {
    fn of(r: &ScorecardRow, card: Option<&Scorecard>, shadows: i64) -> ScorecardView {
        ScorecardView {
            version: r.version.clone(),
            role: r.role.clone(),
            origin: r.origin.clone(),
            registered_by: r.registered_by.clone(),
            registered_at: crate::domain::rfc3339(r.registered_at),
            promoted_by: r.promoted_by.clone(),
            promoted_at: r.promoted_at.map(crate::domain::rfc3339),
            note: r.note.clone(),
            characteristics: card
                .map(|c| {
                    c.characteristics
                        .iter()
                        .map(|x| x.indicator.clone())
                        .collect()
                })
                .unwrap_or_default(),
            shadow_scores: shadows,
            embedded_validation: card
                .and_then(|c| c.validation.as_ref())
                .and_then(|v| serde_json::to_value(v).ok()),
        }
    }
}

pub async fn list(ctx: &Context, actor: &Actor) -> Result<Vec<ScorecardView>, ScorecardError> {
    government(actor)?;
    let rows = ctx
        .db
        .run(|c| {
            let rows = store::list(c)?;
            let mut out = Vec::new();
            for r in rows {
                let n = store::shadow_count(c, &r.version)?;
                out.push((r, n));
            }
            Ok::<_, StoreError>(out)
        })
        .await?;
    Ok(rows
        .iter()
        .map(|(r, n)| {
            let card = ctx.profiles.parse_card(&r.version, &r.body);
            ScorecardView::of(r, card.as_deref(), *n)
        })
        .collect())
}

/// Register a card as a challenger: it must parse and score hub indicators; its version must be new.
pub async fn register(
    ctx: &Context,
    actor: &Actor,
    body: String,
    origin: &str,
    note: Option<String>,
) -> Result<ScorecardView, ScorecardError> {
    government(actor)?;
    let card = Scorecard::parse(&body).map_err(|e| {
        ScorecardError::Invalid(vec![Violation::new("body", "scorecard.invalid", e.0)])
    })?;
    if card.inputs != crate::domain::scorecard::Inputs::Hub {
        return Err(ScorecardError::Invalid(vec![Violation::new(
            "body",
            "scorecard.inputs",
            "the hub scores its indicators: a card fitted on other columns cannot be registered",
        )]));
    }
    if let Some(c) = card.characteristics.iter().find(|c| {
        NOT_SCORED.contains(&c.indicator.as_str()) || indicator_spec(&c.indicator).is_none()
    }) {
        return Err(ScorecardError::Invalid(vec![Violation::new(
            "body",
            "scorecard.unlawful",
            format!("'{}' may not be scored (Art 58)", c.indicator),
        )]));
    }
    let row = ScorecardRow {
        version: card.version.clone(),
        role: "challenger".into(),
        body,
        origin: origin.to_string(),
        registered_by: actor.who(),
        registered_at: ctx.clock.now(),
        promoted_by: None,
        promoted_at: None,
        note,
    };
    let r = row.clone();
    ctx.db
        .run_as(move |c| {
            crate::store::backend::write_transaction(c, |c| {
                if store::get(c, &r.version)?.is_some() {
                    return Err(ScorecardError::Conflict(format!(
                        "scorecard {} is registered already; give the new card a new version",
                        r.version
                    )));
                }
                store::insert(c, &r)?;
                Ok(())
            })
        })
        .await?;
    tracing::info!(version = %row.version, by = %row.registered_by, "scorecard registered as a challenger");
    Ok(ScorecardView::of(&row, Some(&card), 0))
}

/// What a promotion did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Promotion {
    pub champion: String,
    pub previous: Option<String>,
    pub promoted_by: String,
    pub promoted_at: String,
    /// The newest month's profiles recomputed with the new champion.
    pub recomputed: crate::profile::RecomputeReport,
}

/// Promote a challenger (a government act, recorded): the champion before it retires; the newest
/// month's profiles are recomputed at once, so later profiles carry its version; profiles already
/// issued keep theirs.
pub async fn promote(
    ctx: &Context,
    actor: &Actor,
    version: &str,
) -> Result<Promotion, ScorecardError> {
    government(actor)?;
    let (v, by, at) = (version.to_string(), actor.who(), ctx.clock.now());
    let by2 = by.clone();
    let previous = ctx
        .db
        .run_as(move |c| {
            crate::store::backend::write_transaction(c, |c| {
                let row = store::get(c, &v)?
                    .ok_or_else(|| ScorecardError::NotFound(format!("no scorecard {v}")))?;
                if row.role != "challenger" {
                    return Err(ScorecardError::Conflict(format!(
                        "scorecard {v} is {}; only a challenger is promoted",
                        row.role
                    )));
                }
                Ok(store::promote(c, &v, &by2, at)?)
            })
        })
        .await?;
    tracing::info!(version, by = %by, ?previous, "scorecard promoted to champion");
    let recomputed = recompute_newest(ctx, &format!("promotion:{version}")).await?;
    Ok(Promotion {
        champion: version.to_string(),
        previous,
        promoted_by: by,
        promoted_at: crate::domain::rfc3339(at),
        recomputed,
    })
}

/// Every firm's profile as of the last complete month, with the cards now in force (a new champion's
/// profiles, a new challenger's shadow scores).
pub async fn recompute_newest(
    ctx: &Context,
    cause: &str,
) -> Result<crate::profile::RecomputeReport, ScorecardError> {
    let firms = ctx.db.run(crate::store::profiles::all_firms).await?;
    let month = Month::last_complete(ctx.clock.today());
    Ok(ctx
        .profiles
        .recompute(firms, vec![month], cause, &|_| {})
        .await?)
}

/// Start-up: the configured card becomes the champion when the registry has none; an explicitly
/// configured card the registry lacks is registered as a challenger (the registry's champion stays).
pub async fn register_configured(profiles: &Profiles, explicit: bool) -> anyhow::Result<()> {
    let card = profiles.card.clone();
    let Some(body) = card.source.clone() else {
        return Ok(());
    };
    let row = ScorecardRow {
        version: card.version.clone(),
        role: "champion".into(),
        body,
        origin: if explicit { "uploaded" } else { "shipped" }.into(),
        registered_by: "configuration".into(),
        registered_at: crate::clock::system::now(),
        promoted_by: Some("configuration".into()),
        promoted_at: Some(crate::clock::system::now()),
        note: None,
    };
    profiles
        .db
        .run(move |c| {
            if store::ensure_champion(c, &row)? {
                return Ok(());
            }
            if store::get(c, &row.version)?.is_none() {
                tracing::warn!(version = %row.version, "the configured scorecard is not the registry's champion: registered as a challenger");
                store::insert(
                    c,
                    &ScorecardRow {
                        role: "challenger".into(),
                        promoted_by: None,
                        promoted_at: None,
                        ..row
                    },
                )?;
            }
            Ok::<_, StoreError>(())
        })
        .await?;
    Ok(())
}

/// One month of the live score distribution against the champion's development sample.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MonitoredMonth {
    pub as_of: String,
    pub profiles: usize,
    pub psi: f64,
    pub bins: usize,
    pub flag: Stability,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MissingShare {
    pub indicator: String,
    pub missing: f64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Monitoring {
    pub champion: String,
    /// `development`: the card's own development sample; otherwise the month named (an expert card
    /// has no development sample, so its first monitored month is the baseline).
    pub baseline: String,
    pub baseline_rows: u64,
    pub months: Vec<MonitoredMonth>,
    /// Per characteristic of the champion, the share of the newest month's profiles without a value.
    pub missing: Vec<MissingShare>,
    pub thresholds: PsiThresholds,
}

/// The champion's live distribution over the last `months` complete months.
pub async fn monitoring(
    ctx: &Context,
    actor: &Actor,
    months: u32,
) -> Result<Monitoring, ScorecardError> {
    government(actor)?;
    if !(1..=24).contains(&months) {
        return Err(ScorecardError::Invalid(vec![Violation::new(
            "months",
            "range.months",
            format!("monitoring shows 1 to 24 months, not {months}"),
        )]));
    }
    let champion = ctx.profiles.cards().await?.champion;
    let last = Month::last_complete(ctx.clock.today());
    let list: Vec<Month> = (0..months.clamp(1, 24) as i32)
        .rev()
        .map(|k| last.plus(-k))
        .collect();
    let keys: Vec<String> = list.iter().map(Month::to_string).collect();
    let newest = last.to_string();
    let data = ctx
        .db
        .run(move |c| {
            let mut out = Vec::new();
            for k in &keys {
                out.push((
                    k.clone(),
                    crate::store::profiles::month_scores(c, k, *k == newest)?,
                ));
            }
            Ok::<_, StoreError>(out)
        })
        .await?;
    let thresholds = PsiThresholds::default();
    let scores_of = |rows: &[crate::store::profiles::MonthScore]| -> Vec<f64> {
        rows.iter()
            .filter(|r| r.2 == champion.version)
            .map(|r| f64::from(r.1))
            .collect()
    };
    let (baseline, baseline_rows, edges, expected) = match &champion.development {
        Some(d) => (
            "development".to_string(),
            d.rows,
            d.edges.clone(),
            d.shares.clone(),
        ),
        None => {
            let first = data.iter().find(|(_, rows)| !scores_of(rows).is_empty());
            match first {
                Some((k, rows)) => {
                    let s = scores_of(rows);
                    let e = metrics::quantile_edges(&s, 10);
                    let sh = metrics::shares(&s, &e);
                    (k.clone(), s.len() as u64, e, sh)
                }
                None => (String::new(), 0, Vec::new(), vec![1.0]),
            }
        }
    };
    let mut out_months = Vec::new();
    for (k, rows) in &data {
        let s = scores_of(rows);
        if s.is_empty() {
            continue;
        }
        let psi = metrics::psi(&expected, &metrics::shares(&s, &edges));
        out_months.push(MonitoredMonth {
            as_of: k.clone(),
            profiles: s.len(),
            psi,
            bins: edges.len() + 1,
            flag: thresholds.read(psi),
        });
    }
    // Missing values per characteristic in the newest month's stored profiles.
    let mut missing = Vec::new();
    if let Some((_, rows)) = data.last() {
        let bodies: Vec<serde_json::Value> = rows
            .iter()
            .filter_map(|r| r.3.as_deref())
            .filter_map(|b| serde_json::from_str(b).ok())
            .collect();
        for ch in &champion.characteristics {
            let absent = bodies
                .iter()
                .filter(|b| indicator_value(b, &ch.indicator).is_none())
                .count();
            missing.push(MissingShare {
                indicator: ch.indicator.clone(),
                missing: absent as f64 / bodies.len().max(1) as f64,
            });
        }
    }
    Ok(Monitoring {
        champion: champion.version.clone(),
        baseline,
        baseline_rows,
        months: out_months,
        missing,
        thresholds,
    })
}

/// An indicator's value in a stored profile body (`sections.*.indicators[]`).
fn indicator_value<'a>(body: &'a serde_json::Value, key: &str) -> Option<&'a serde_json::Value> {
    body.get("sections")?
        .as_object()?
        .values()
        .filter_map(|s| s.get("indicators")?.as_array())
        .flatten()
        .find(|i| i.get("key").and_then(|k| k.as_str()) == Some(key))
        .and_then(|i| i.get("value"))
        .filter(|v| !v.is_null())
}
