//! The government's statistics and the yearly SME report (issue 18; DOMAIN.md §11): one section per
//! article — Art 7 census, Art 17 public money, Art 21 lending, Art 28 guarantees, Art 26 data quality —
//! each over a period, every figure with its numerator, denominator and rule; the yearly report (Art 62-63)
//! assembles them into the five parts Art 63 lists. Only the government side reads them.

mod census;
pub mod export;
mod guarantees;
mod late_payment;
mod lending;
mod money;
mod procurement;
mod quality;

use super::access::Actor;
use super::{Context, ServiceError, Violation};
use crate::domain::statistics::{Flag, Section};
use chrono::{Datelike, NaiveDate};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{} input(s) break a rule", .0.len())]
    Invalid(Vec<Violation>),
    #[error("statistics and reports are for the government side")]
    Forbidden,
    #[error("no statistics part '{0}'")]
    UnknownPart(String),
    #[error(transparent)]
    Agency(#[from] super::agencies::AgencyError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

impl From<ReportError> for ServiceError {
    fn from(e: ReportError) -> Self {
        match e {
            ReportError::Invalid(v) => ServiceError::Invalid(v),
            ReportError::Forbidden => ServiceError::Forbidden(e.to_string()),
            ReportError::UnknownPart(_) => ServiceError::NotFound(format!(
                "{e}; the parts are {}",
                Part::ALL
                    .iter()
                    .map(|p| p.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            ReportError::Agency(a) => a.into(),
            ReportError::Store(s) => ServiceError::Store(s),
        }
    }
}

/// The sections the statistics routes serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Part {
    /// Art 7: the SME census from the registry and the signals.
    Census,
    /// Art 17: public money to small and micro firms.
    Subsidies,
    /// Art 21: lending through the hub and reported to it.
    Lending,
    /// Art 28: the guarantee system.
    Guarantees,
    /// Art 49: government procurement for SMEs.
    Procurement,
    /// Art 54: late payment to SMEs.
    LatePayment,
    /// Art 26: data quality per source.
    DataQuality,
}

impl Part {
    pub const ALL: [Part; 7] = [
        Part::Census,
        Part::Subsidies,
        Part::Lending,
        Part::Guarantees,
        Part::Procurement,
        Part::LatePayment,
        Part::DataQuality,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Part::Census => "census",
            Part::Subsidies => "subsidies",
            Part::Lending => "lending",
            Part::Guarantees => "guarantees",
            Part::Procurement => "procurement",
            Part::LatePayment => "late-payment",
            Part::DataQuality => "data-quality",
        }
    }
    pub fn parse(s: &str) -> Result<Part, ReportError> {
        Part::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| ReportError::UnknownPart(s.to_string()))
    }
}

/// `[from, to)` in calendar dates (China Standard Time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    pub fn year(y: i32) -> Option<Period> {
        Some(Period {
            from: NaiveDate::from_ymd_opt(y, 1, 1)?,
            to: NaiveDate::from_ymd_opt(y + 1, 1, 1)?,
        })
    }
    /// From the query: `year`, or `from` and `to` (`to` exclusive), or the current year by default.
    pub fn of(
        year: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
        today: NaiveDate,
    ) -> Result<Period, ReportError> {
        let bad = |field: &str, rule: &'static str, m: String| {
            ReportError::Invalid(vec![Violation::new(field, rule, m)])
        };
        match (year, from, to) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => Err(bad(
                "year",
                "period.either",
                "give a year, or from and to; not both".into(),
            )),
            (Some(y), None, None) => y
                .parse::<i32>()
                .ok()
                .filter(|y| (2000..=2100).contains(y))
                .and_then(Period::year)
                .ok_or_else(|| {
                    bad(
                        "year",
                        "year.format",
                        format!("year '{y}' is not a year from 2000 to 2100"),
                    )
                }),
            (None, None, None) => Ok(Period::year(today.year()).unwrap_or(Period {
                from: today,
                to: today,
            })),
            (None, f, t) => {
                let (f, t) = super::agencies::period(f.unwrap_or(""), t.unwrap_or(""))
                    .map_err(ReportError::Invalid)?;
                Ok(Period { from: f, to: t })
            }
        }
    }
    /// The start of `from` and of `to` as UTC instants (stored instants are UTC).
    fn instants(self) -> (chrono::NaiveDateTime, chrono::NaiveDateTime) {
        (
            super::agencies::utc_start(self.from),
            super::agencies::utc_start(self.to),
        )
    }
}

fn government(actor: &Actor) -> Result<(), ReportError> {
    if actor.is_government_side() {
        Ok(())
    } else {
        Err(ReportError::Forbidden)
    }
}

/// One part of the statistics over a period.
#[tracing::instrument(skip(ctx, actor), fields(part = part.as_str(), from = %period.from, to = %period.to))]
pub async fn section(
    ctx: &Context,
    actor: &Actor,
    part: Part,
    period: Period,
) -> Result<Section, ReportError> {
    government(actor)?;
    let (today, watch) = (ctx.clock.today(), ctx.watch);
    ctx.db
        .run_as(move |c| compute(c, part, period, today, watch))
        .await
}

fn compute(
    c: &mut crate::store::DbConn,
    part: Part,
    period: Period,
    today: NaiveDate,
    watch: crate::domain::statistics::Watch,
) -> Result<Section, ReportError> {
    match part {
        Part::Census => census::section(c, period, today),
        Part::Subsidies => money::subsidies(c, period),
        Part::Lending => lending::section(c, period),
        Part::Guarantees => guarantees::section(c, period),
        Part::Procurement => procurement::section(c, period),
        Part::LatePayment => late_payment::section(c, period, today),
        Part::DataQuality => quality::section(c, period, today, watch),
    }
}

/// A step of the yearly report: the Art 63 part it belongs to, its name, and how it is computed.
type Step = (
    &'static str,
    &'static str,
    Box<dyn Fn(&mut crate::store::DbConn) -> Result<Section, ReportError>>,
);

/// One of the five parts Art 63 lists.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ReportPart {
    /// `basic_situation`, `policies`, `funds`, `problems`, `other`.
    pub key: String,
    pub sections: Vec<Section>,
}

/// The yearly SME development report (Art 62-63).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Yearly {
    pub year: i32,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Computed on this day; figures of the current year are so far.
    pub as_of: NaiveDate,
    pub parts: Vec<ReportPart>,
    /// Every flag of every section: the problems found (Art 63 (4)).
    pub problems: Vec<Flag>,
}

/// Build the yearly report for `year`; `progress` hears each section's name as it starts, and the count
/// of sections (`step`, `of`).
pub async fn yearly(
    ctx: &Context,
    actor: &Actor,
    year: i32,
    progress: impl Fn(&str, usize, usize) + Send + 'static,
) -> Result<Yearly, ReportError> {
    government(actor)?;
    let period = Period::year(year).ok_or_else(|| {
        ReportError::Invalid(vec![Violation::new(
            "year",
            "year.format",
            format!("{year} is not a year"),
        )])
    })?;
    let (today, watch) = (ctx.clock.today(), ctx.watch);
    ctx.db
        .run_as(move |c| {
            let steps: [Step; 9] = [
                (
                    "basic_situation",
                    "census",
                    Box::new(move |c| census::section(c, period, today)),
                ),
                (
                    "policies",
                    "policies",
                    Box::new(move |c| money::policies(c, period)),
                ),
                (
                    "policies",
                    "subsidies",
                    Box::new(move |c| money::subsidies(c, period)),
                ),
                (
                    "policies",
                    "guarantees",
                    Box::new(move |c| guarantees::section(c, period)),
                ),
                (
                    "policies",
                    "lending",
                    Box::new(move |c| lending::section(c, period)),
                ),
                (
                    "policies",
                    "procurement",
                    Box::new(move |c| procurement::section(c, period)),
                ),
                (
                    "policies",
                    "late-payment",
                    Box::new(move |c| late_payment::section(c, period, today)),
                ),
                ("funds", "funds", Box::new(move |c| money::funds(c, period))),
                (
                    "other",
                    "data-quality",
                    Box::new(move |c| quality::section(c, period, today, watch)),
                ),
            ];
            let of = steps.len();
            let mut parts: Vec<ReportPart> =
                ["basic_situation", "policies", "funds", "problems", "other"]
                    .iter()
                    .map(|k| ReportPart {
                        key: k.to_string(),
                        sections: Vec::new(),
                    })
                    .collect();
            for (i, (part, name, f)) in steps.iter().enumerate() {
                progress(name, i + 1, of);
                let s = f(c)?;
                if let Some(p) = parts.iter_mut().find(|p| p.key == *part) {
                    p.sections.push(s);
                }
            }
            let problems: Vec<Flag> = parts
                .iter()
                .flat_map(|p| p.sections.iter())
                .flat_map(|s| s.flags.clone())
                .collect();
            if let Some(p) = parts.iter_mut().find(|p| p.key == "problems") {
                p.sections.push(problems_section(&problems, period));
            }
            Ok(Yearly {
                year,
                from: period.from,
                to: period.to,
                as_of: today,
                parts,
                problems,
            })
        })
        .await
}

/// Art 63 (4): the problems found, one row per flag.
fn problems_section(flags: &[Flag], period: Period) -> Section {
    use crate::domain::statistics::{Figure, Table, Unit};
    let mut t = Table::new("flags", &["part", "figure", "subject", "message"], &[]);
    for f in flags {
        t.push(
            vec![
                f.part.clone(),
                f.figure.clone(),
                f.subject.clone().unwrap_or_default(),
                f.message.clone(),
            ],
            vec![],
            vec![],
        );
    }
    let n = Figure::amount(
        "flags",
        Unit::Count,
        flags.len().into(),
        "Art 63 (4): problems found",
    );
    // The flags stay with the sections that raised them: this one gathers none of its own.
    Section {
        part: "problems".into(),
        from: period.from,
        to: period.to,
        figures: vec![n],
        tables: vec![t],
        flags: Vec::new(),
    }
}

/// The shares the dashboard charts over a year's quarters (percent, whole numbers).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct QuarterShares {
    /// `2026Q1`…
    pub quarter: String,
    /// Art 21: inclusive small/micro loans among those granted in the quarter, by amount.
    pub inclusive_granted: Option<rust_decimal::Decimal>,
    /// Art 21: credit loans among those granted, by amount.
    pub credit_granted: Option<rust_decimal::Decimal>,
    /// Art 17: fee and interest subsidies and rewards approved in the quarter that went to small and micro
    /// firms.
    pub small_micro_subsidies: Option<rust_decimal::Decimal>,
}

/// Per quarter of `year` (those begun by today): the shares the dashboard charts. The loans are read once.
pub async fn quarters(
    ctx: &Context,
    actor: &Actor,
    year: i32,
) -> Result<Vec<QuarterShares>, ReportError> {
    government(actor)?;
    let Some(y) = Period::year(year) else {
        return Ok(Vec::new());
    };
    let today = ctx.clock.today();
    ctx.db
        .run_as(move |c| {
            let loans = lending::loans(c, y)?;
            let mut out = Vec::new();
            for q in 0..4u32 {
                let from = NaiveDate::from_ymd_opt(year, q * 3 + 1, 1).unwrap_or(y.from);
                let to = NaiveDate::from_ymd_opt(year, q * 3 + 4, 1).unwrap_or(y.to);
                if from > today {
                    break;
                }
                let p = Period { from, to };
                let t = crate::domain::lending::tally(&loans, from, to);
                let share =
                    |x: rust_decimal::Decimal| crate::domain::statistics::divide(x, t.granted.1, 4);
                let subsidies = money::subsidies(c, p)?;
                out.push(QuarterShares {
                    quarter: format!("{year}Q{}", q + 1),
                    inclusive_granted: share(t.inclusive_granted.1),
                    credit_granted: share(t.credit.1),
                    small_micro_subsidies: subsidies
                        .figure("approved_small_micro_share")
                        .and_then(|f| f.value),
                });
            }
            Ok(out)
        })
        .await
}
