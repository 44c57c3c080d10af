//! Credit indicators (features) of one firm as of a month, from its current signals over trailing
//! windows. Every indicator names the signals it used; a source with no data in a window is reported
//! as missing coverage, never as zero. Art 58: repaired records and records past their publication
//! period stop counting.

use super::month::Month;
use chrono::NaiveDate;
use rust_decimal::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// A record of the public-credit source (listing or penalty) as it bears on the score.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventObs {
    pub record_id: String,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
    pub repaired_on: Option<NaiveDate>,
}

/// One current signal, reduced to what the indicators read. Money is in yuan.
#[derive(Debug, Clone, PartialEq)]
pub struct Obs {
    pub kind: &'static str,
    /// `YYYY-MM` or `YYYY`.
    pub period: String,
    pub num: Option<Decimal>,
    pub code: Option<String>,
    pub event: Option<EventObs>,
}

/// What the registry knows of the firm itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirmFacts {
    pub established_on: NaiveDate,
    pub size_class: String,
}

/// The sections of a profile: one per source, and the firm's own facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    Firm,
    Tax,
    SocialInsurance,
    Utility,
    Customs,
    PublicCredit,
}

impl Section {
    pub const ALL: [Section; 6] = [
        Section::Firm,
        Section::Tax,
        Section::SocialInsurance,
        Section::Utility,
        Section::Customs,
        Section::PublicCredit,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Section::Firm => "firm",
            Section::Tax => "tax",
            Section::SocialInsurance => "social_insurance",
            Section::Utility => "utility",
            Section::Customs => "customs",
            Section::PublicCredit => "public_credit",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum IndicatorValue {
    /// A decimal, serialised as a string (yuan for money, a fraction for ratios).
    Number(#[serde(with = "rust_decimal::serde::str")] Decimal),
    Code(String),
}

impl IndicatorValue {
    pub fn number(&self) -> Option<Decimal> {
        match self {
            IndicatorValue::Number(d) => Some(*d),
            IndicatorValue::Code(_) => None,
        }
    }
    pub fn code(&self) -> Option<&str> {
        match self {
            IndicatorValue::Code(c) => Some(c),
            IndicatorValue::Number(_) => None,
        }
    }
}

impl std::fmt::Display for IndicatorValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IndicatorValue::Number(d) => write!(f, "{}", d.normalize()),
            IndicatorValue::Code(c) => f.write_str(c),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Coverage {
    /// Data for every month of the window (or the fact exists).
    Full,
    /// Data for some months of the window; the value is computed from those.
    Partial,
    /// No data: the value is absent, not zero.
    Missing,
}

/// Which signals an indicator read: a kind over a span of periods, or named records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Used {
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    pub count: u32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub records: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Indicator {
    pub key: &'static str,
    #[serde(skip)]
    pub section: Section,
    pub unit: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_months: Option<u32>,
    pub value: Option<IndicatorValue>,
    pub coverage: Coverage,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub months_with_data: Option<u32>,
    pub signals: Vec<Used>,
}

/// Every indicator key, its section and unit: the scorecard may bin only these.
pub const INDICATORS: &[(&str, Section, &str)] = &[
    ("firm_age_years", Section::Firm, "years"),
    ("size_class", Section::Firm, "code"),
    ("tax_paid_3m", Section::Tax, "yuan"),
    ("tax_paid_12m", Section::Tax, "yuan"),
    ("tax_paid_24m", Section::Tax, "yuan"),
    ("tax_paid_yoy", Section::Tax, "ratio"),
    ("revenue_12m", Section::Tax, "yuan"),
    ("revenue_volatility_12m", Section::Tax, "ratio"),
    ("tax_grade", Section::Tax, "code"),
    ("tax_arrears", Section::Tax, "yuan"),
    ("insured_headcount", Section::SocialInsurance, "persons"),
    ("headcount_trend_12m", Section::SocialInsurance, "ratio"),
    ("contributions_paid_12m", Section::SocialInsurance, "yuan"),
    ("si_arrears_months", Section::SocialInsurance, "months"),
    ("utility_on_time_ratio_12m", Section::Utility, "ratio"),
    ("utility_late_count_12m", Section::Utility, "months"),
    ("utility_worst_late_days_12m", Section::Utility, "days"),
    ("electricity_trend_12m", Section::Utility, "ratio"),
    ("utility_billed_12m", Section::Utility, "yuan"),
    ("customs_class", Section::Customs, "code"),
    ("trade_volume_12m", Section::Customs, "yuan"),
    ("trade_growth_yoy", Section::Customs, "ratio"),
    (
        "active_dishonesty_listings",
        Section::PublicCredit,
        "records",
    ),
    ("active_penalties", Section::PublicCredit, "records"),
];

pub fn indicator_spec(key: &str) -> Option<(&'static str, Section, &'static str)> {
    INDICATORS.iter().copied().find(|(k, _, _)| *k == key)
}

/// Art 58 and the national rules on credit repair (失信行为纠正后的信用信息修复管理办法, 2023): a record
/// the source sends without an end of publication is published for these many years from its start.
pub const PENALTY_PUBLICATION_YEARS: i32 = 1;
pub const LISTING_PUBLICATION_YEARS: i32 = 3;

/// How many months (the as-of month included) of each monthly kind the indicators read; a store needs to
/// load no more. Yearly tax grades: the as-of year and the two before. Public-credit records: all of them.
/// Kinds not listed (water, gas) are not read.
pub const LOOKBACK: &[(&[&str], i32)] = &[
    (&["tax_paid", "import_value", "export_value"], 24),
    (&["insured_headcount", "electricity_kwh"], 15),
    (
        &[
            "invoiced_revenue",
            "contributions_paid",
            "utility_days_late",
            "utility_billed",
            "customs_class",
        ],
        12,
    ),
    (&["tax_arrears", "si_arrears_months"], 3),
];
pub const GRADE_LOOKBACK_YEARS: i32 = 2;

/// The indicators of one firm as of `as_of` (windows end with that month, inclusive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Indicators {
    pub as_of: String,
    pub list: Vec<Indicator>,
}

impl Indicators {
    pub fn get(&self, key: &str) -> Option<&Indicator> {
        self.list.iter().find(|i| i.key == key)
    }
}

/// Monthly values of one kind, by month.
type Series = BTreeMap<Month, Decimal>;

struct Input<'a> {
    monthly: HashMap<&'static str, Series>,
    codes: HashMap<&'static str, BTreeMap<String, String>>,
    events: Vec<(&'static str, &'a EventObs)>,
}

fn index(obs: &[Obs]) -> Input<'_> {
    let mut input = Input {
        monthly: HashMap::new(),
        codes: HashMap::new(),
        events: Vec::new(),
    };
    for o in obs {
        if let Some(e) = &o.event {
            input.events.push((o.kind, e));
        } else if let Some(c) = &o.code {
            input
                .codes
                .entry(o.kind)
                .or_default()
                .insert(o.period.clone(), c.clone());
        } else if let (Some(n), Some(m)) = (o.num, Month::parse(&o.period)) {
            input.monthly.entry(o.kind).or_default().insert(m, n);
        }
    }
    input
}

/// The values of `kind` in the `n` months ending with `end`.
fn window(input: &Input, kind: &str, end: Month, n: i32) -> Vec<(Month, Decimal)> {
    input
        .monthly
        .get(kind)
        .map(|s| {
            s.range(end.plus(1 - n)..=end)
                .map(|(m, v)| (*m, *v))
                .collect()
        })
        .unwrap_or_default()
}

fn used(kind: &'static str, points: &[(Month, Decimal)]) -> Option<Used> {
    Some(Used {
        kind,
        from: Some(points.first()?.0.to_string()),
        to: Some(points.last()?.0.to_string()),
        count: points.len() as u32,
        records: Vec::new(),
    })
}

fn coverage(have: usize, want: i32) -> Coverage {
    match have {
        0 => Coverage::Missing,
        h if h as i32 >= want => Coverage::Full,
        _ => Coverage::Partial,
    }
}

fn ratio(num: Decimal, den: Decimal) -> Option<Decimal> {
    (!den.is_zero()).then(|| (num / den).round_dp(4))
}

struct Builder<'a> {
    input: &'a Input<'a>,
    as_of: Month,
    list: Vec<Indicator>,
}

impl Builder<'_> {
    fn push(
        &mut self,
        key: &'static str,
        window_months: Option<u32>,
        value: Option<IndicatorValue>,
        coverage: Coverage,
        months_with_data: Option<u32>,
        signals: Vec<Used>,
    ) {
        let (_, section, unit) = indicator_spec(key).expect("every indicator is listed");
        let coverage = if value.is_none() {
            Coverage::Missing
        } else {
            coverage
        };
        self.list.push(Indicator {
            key,
            section,
            unit,
            window_months,
            value,
            coverage,
            months_with_data,
            signals,
        });
    }

    /// Sum of `kinds` over the trailing `n` months.
    fn sum(&mut self, key: &'static str, kinds: &[&'static str], n: i32) {
        let mut total = Decimal::ZERO;
        let mut months = std::collections::BTreeSet::new();
        let mut signals = Vec::new();
        for k in kinds {
            let w = window(self.input, k, self.as_of, n);
            total += w.iter().map(|(_, v)| *v).sum::<Decimal>();
            months.extend(w.iter().map(|(m, _)| *m));
            signals.extend(used(k, &w));
        }
        let have = months.len();
        let value = (have > 0).then_some(IndicatorValue::Number(total));
        self.push(
            key,
            Some(n as u32),
            value,
            coverage(have, n),
            Some(have as u32),
            signals,
        );
    }

    /// Last 12 months of `kinds` against the 12 before, as growth (0.10 = +10%). Needs 9 months in each.
    fn yoy(&mut self, key: &'static str, kinds: &[&'static str]) {
        let mut now = Decimal::ZERO;
        let mut before = Decimal::ZERO;
        let (mut have_now, mut have_before) = (0, 0);
        let mut signals = Vec::new();
        for k in kinds {
            let w = window(self.input, k, self.as_of, 24);
            let (a, b): (Vec<_>, Vec<_>) = w.iter().partition(|(m, _)| self.as_of.since(*m) < 12);
            now += a.iter().map(|(_, v)| *v).sum::<Decimal>();
            before += b.iter().map(|(_, v)| *v).sum::<Decimal>();
            have_now = have_now.max(a.len());
            have_before = have_before.max(b.len());
            signals.extend(used(k, &w));
        }
        let value = (have_now >= 9 && have_before >= 9)
            .then(|| ratio(now - before, before))
            .flatten()
            .map(IndicatorValue::Number);
        let cov = if have_now == 12 && have_before == 12 {
            Coverage::Full
        } else {
            Coverage::Partial
        };
        self.push(
            key,
            Some(24),
            value,
            cov,
            Some((have_now + have_before) as u32),
            signals,
        );
    }

    /// The most recent value of `kind` in the last 3 months.
    fn latest(&mut self, key: &'static str, kind: &'static str) {
        let w = window(self.input, kind, self.as_of, 3);
        let value = w.last().map(|(_, v)| IndicatorValue::Number(*v));
        let signals = w
            .last()
            .and_then(|p| used(kind, std::slice::from_ref(p)))
            .into_iter()
            .collect();
        self.push(key, Some(3), value, Coverage::Full, None, signals);
    }

    /// Mean of the last 3 months of `kind` against the same 3 months a year earlier (seasonally fair).
    fn trend(&mut self, key: &'static str, kind: &'static str) {
        let recent = window(self.input, kind, self.as_of, 3);
        let year_ago = window(self.input, kind, self.as_of.plus(-12), 3);
        let mean = |w: &[(Month, Decimal)]| {
            (!w.is_empty())
                .then(|| w.iter().map(|(_, v)| *v).sum::<Decimal>() / Decimal::from(w.len()))
        };
        let value = match (mean(&recent), mean(&year_ago)) {
            (Some(a), Some(b)) => ratio(a - b, b).map(IndicatorValue::Number),
            _ => None,
        };
        let have = recent.len() + year_ago.len();
        let mut signals: Vec<Used> = used(kind, &year_ago).into_iter().collect();
        signals.extend(used(kind, &recent));
        self.push(
            key,
            Some(15),
            value,
            coverage(have, 6),
            Some(have as u32),
            signals,
        );
    }

    fn latest_code(&mut self, key: &'static str, kind: &'static str, yearly: bool) {
        let bound = if yearly {
            self.as_of.year().to_string()
        } else {
            self.as_of.to_string()
        };
        let oldest = if yearly {
            (self.as_of.year() - GRADE_LOOKBACK_YEARS).to_string()
        } else {
            self.as_of.plus(-11).to_string()
        };
        let found = self.input.codes.get(kind).and_then(|m| {
            m.range(oldest..=bound)
                .next_back()
                .map(|(p, c)| (p.clone(), c.clone()))
        });
        let (value, signals) = match found {
            Some((p, c)) => (
                Some(IndicatorValue::Code(c)),
                vec![Used {
                    kind,
                    from: Some(p.clone()),
                    to: Some(p),
                    count: 1,
                    records: Vec::new(),
                }],
            ),
            None => (None, Vec::new()),
        };
        self.push(key, None, value, Coverage::Full, None, signals);
    }

    /// Public-credit records that count at the end of the as-of month.
    fn active(&mut self, key: &'static str, kind: &'static str, default_years: i32) {
        let day = self.as_of.last_day();
        let mut records: Vec<String> = self
            .input
            .events
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, e)| *e)
            .filter(|e| counts(e, day, default_years))
            .map(|e| e.record_id.clone())
            .collect();
        records.sort();
        let n = records.len();
        let signals = if n == 0 {
            Vec::new()
        } else {
            vec![Used {
                kind,
                from: None,
                to: None,
                count: n as u32,
                records,
            }]
        };
        // The source publishes records, not their absence: no record is a count of zero.
        self.push(
            key,
            None,
            Some(IndicatorValue::Number(Decimal::from(n))),
            Coverage::Full,
            None,
            signals,
        );
    }
}

/// Art 58: a record counts from its start until the end of its publication (its end date, or the default
/// period) unless it was repaired on or before `day`.
pub fn counts(e: &EventObs, day: NaiveDate, default_years: i32) -> bool {
    if e.start > day || e.repaired_on.is_some_and(|r| r <= day) {
        return false;
    }
    let end = e.end.unwrap_or_else(|| {
        e.start
            .checked_add_months(chrono::Months::new(12 * default_years as u32))
            .unwrap_or(e.start)
            .pred_opt()
            .unwrap_or(e.start)
    });
    day <= end
}

/// Compute every indicator of the firm as of `as_of`.
pub fn compute(facts: &FirmFacts, obs: &[Obs], as_of: Month) -> Indicators {
    let input = index(obs);
    let mut b = Builder {
        input: &input,
        as_of,
        list: Vec::with_capacity(INDICATORS.len()),
    };
    let age_days = (as_of.last_day() - facts.established_on).num_days().max(0);
    let age = (Decimal::from(age_days) / Decimal::from(365)).round_dp(1);
    let firm_used = |kind| Used {
        kind,
        from: None,
        to: None,
        count: 1,
        records: Vec::new(),
    };
    b.push(
        "firm_age_years",
        None,
        Some(IndicatorValue::Number(age)),
        Coverage::Full,
        None,
        vec![firm_used("established_on")],
    );
    b.push(
        "size_class",
        None,
        Some(IndicatorValue::Code(facts.size_class.clone())),
        Coverage::Full,
        None,
        vec![firm_used("size_class")],
    );

    b.sum("tax_paid_3m", &["tax_paid"], 3);
    b.sum("tax_paid_12m", &["tax_paid"], 12);
    b.sum("tax_paid_24m", &["tax_paid"], 24);
    b.yoy("tax_paid_yoy", &["tax_paid"]);
    b.sum("revenue_12m", &["invoiced_revenue"], 12);
    volatility(&mut b);
    b.latest_code("tax_grade", "tax_grade", true);
    b.latest("tax_arrears", "tax_arrears");

    b.latest("insured_headcount", "insured_headcount");
    b.trend("headcount_trend_12m", "insured_headcount");
    b.sum("contributions_paid_12m", &["contributions_paid"], 12);
    b.latest("si_arrears_months", "si_arrears_months");

    utility_lateness(&mut b);
    b.trend("electricity_trend_12m", "electricity_kwh");
    b.sum("utility_billed_12m", &["utility_billed"], 12);

    b.latest_code("customs_class", "customs_class", false);
    b.sum("trade_volume_12m", &["import_value", "export_value"], 12);
    b.yoy("trade_growth_yoy", &["import_value", "export_value"]);

    b.active(
        "active_dishonesty_listings",
        "dishonesty_listing",
        LISTING_PUBLICATION_YEARS,
    );
    b.active(
        "active_penalties",
        "administrative_penalty",
        PENALTY_PUBLICATION_YEARS,
    );
    Indicators {
        as_of: as_of.to_string(),
        list: b.list,
    }
}

/// Coefficient of variation (standard deviation / mean) of monthly invoiced revenue over 12 months;
/// needs 6 months.
fn volatility(b: &mut Builder) {
    let w = window(b.input, "invoiced_revenue", b.as_of, 12);
    let n = Decimal::from(w.len());
    let value = (w.len() >= 6)
        .then(|| {
            let mean = w.iter().map(|(_, v)| *v).sum::<Decimal>() / n;
            let var = w
                .iter()
                .map(|(_, v)| (*v - mean) * (*v - mean))
                .sum::<Decimal>()
                / n;
            ratio(var.sqrt()?, mean)
        })
        .flatten()
        .map(IndicatorValue::Number);
    let have = w.len();
    b.push(
        "revenue_volatility_12m",
        Some(12),
        value,
        coverage(have, 12),
        Some(have as u32),
        used("invoiced_revenue", &w).into_iter().collect(),
    );
}

fn utility_lateness(b: &mut Builder) {
    let w = window(b.input, "utility_days_late", b.as_of, 12);
    let have = w.len();
    let late = w
        .iter()
        .filter(|(_, d)| d.is_sign_positive() && !d.is_zero())
        .count();
    let worst = w.iter().map(|(_, d)| *d).max();
    let cov = coverage(have, 12);
    let signals: Vec<Used> = used("utility_days_late", &w).into_iter().collect();
    let on_time = ratio(Decimal::from(have - late), Decimal::from(have));
    b.push(
        "utility_on_time_ratio_12m",
        Some(12),
        on_time.map(IndicatorValue::Number),
        cov,
        Some(have as u32),
        signals.clone(),
    );
    b.push(
        "utility_late_count_12m",
        Some(12),
        (have > 0).then_some(IndicatorValue::Number(Decimal::from(late))),
        cov,
        Some(have as u32),
        signals.clone(),
    );
    b.push(
        "utility_worst_late_days_12m",
        Some(12),
        worst.map(IndicatorValue::Number),
        cov,
        Some(have as u32),
        signals,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn m(s: &str) -> Month {
        Month::parse(s).unwrap()
    }
    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }
    fn facts() -> FirmFacts {
        FirmFacts {
            established_on: d("2020-06-30"),
            size_class: "small".into(),
        }
    }
    /// `n` monthly values of `kind` ending with `end`, the i-th (oldest first) from `f(i)`.
    fn series(kind: &'static str, end: &str, n: i32, f: impl Fn(i32) -> Decimal) -> Vec<Obs> {
        (0..n)
            .map(|i| Obs {
                kind,
                period: m(end).plus(i - n + 1).to_string(),
                num: Some(f(i)),
                code: None,
                event: None,
            })
            .collect()
    }
    fn code(kind: &'static str, period: &str, c: &str) -> Obs {
        Obs {
            kind,
            period: period.into(),
            num: None,
            code: Some(c.into()),
            event: None,
        }
    }
    fn event(
        kind: &'static str,
        id: &str,
        start: &str,
        end: Option<&str>,
        repaired: Option<&str>,
    ) -> Obs {
        Obs {
            kind,
            period: start[..7].into(),
            num: None,
            code: None,
            event: Some(EventObs {
                record_id: id.into(),
                start: d(start),
                end: end.map(d),
                repaired_on: repaired.map(d),
            }),
        }
    }
    fn value(ind: &Indicators, key: &str) -> Option<String> {
        ind.get(key).unwrap().value.as_ref().map(|v| v.to_string())
    }

    #[test]
    fn every_listed_indicator_is_computed_once() {
        let ind = compute(&facts(), &[], m("2026-10"));
        let keys: Vec<&str> = ind.list.iter().map(|i| i.key).collect();
        let listed: Vec<&str> = INDICATORS.iter().map(|(k, _, _)| *k).collect();
        assert_eq!(keys, listed);
    }

    #[test]
    fn no_data_is_missing_coverage_not_zero() {
        let ind = compute(&facts(), &[], m("2026-10"));
        for key in [
            "tax_paid_12m",
            "tax_paid_yoy",
            "tax_grade",
            "tax_arrears",
            "insured_headcount",
            "headcount_trend_12m",
            "utility_late_count_12m",
            "utility_on_time_ratio_12m",
            "customs_class",
            "trade_volume_12m",
        ] {
            let i = ind.get(key).unwrap();
            assert_eq!(i.value, None, "{key}");
            assert_eq!(i.coverage, Coverage::Missing, "{key}");
            assert!(i.signals.is_empty(), "{key}");
        }
        // Public credit publishes records, so no record is a zero count.
        assert_eq!(
            value(&ind, "active_dishonesty_listings").as_deref(),
            Some("0")
        );
        assert_eq!(value(&ind, "firm_age_years").as_deref(), Some("6.3"));
        assert_eq!(value(&ind, "size_class").as_deref(), Some("small"));
    }

    #[test]
    fn tax_sums_growth_and_windows() {
        // 24 months: 1,000 a month in the first year, 1,200 in the second.
        let obs = series("tax_paid", "2026-10", 24, |i| {
            if i < 12 {
                dec!(1000)
            } else {
                dec!(1200)
            }
        });
        let ind = compute(&facts(), &obs, m("2026-10"));
        let table = [
            ("tax_paid_3m", "3600"),
            ("tax_paid_12m", "14400"),
            ("tax_paid_24m", "26400"),
            ("tax_paid_yoy", "0.2"),
        ];
        for (key, want) in table {
            assert_eq!(value(&ind, key).as_deref(), Some(want), "{key}");
            assert_eq!(ind.get(key).unwrap().coverage, Coverage::Full, "{key}");
        }
        let used = &ind.get("tax_paid_12m").unwrap().signals[0];
        assert_eq!(
            (used.from.as_deref(), used.to.as_deref(), used.count),
            (Some("2025-11"), Some("2026-10"), 12)
        );
        // As of a month earlier, the window shifts and the later month is not seen.
        let earlier = compute(&facts(), &obs, m("2026-09"));
        assert_eq!(value(&earlier, "tax_paid_3m").as_deref(), Some("3600"));
        assert_eq!(
            earlier.get("tax_paid_24m").unwrap().coverage,
            Coverage::Partial
        );
        // Growth needs 9 months in each year.
        let short = series("tax_paid", "2026-10", 20, |_| dec!(5));
        assert_eq!(
            value(&compute(&facts(), &short, m("2026-10")), "tax_paid_yoy"),
            None
        );
    }

    #[test]
    fn revenue_volatility() {
        let flat = series("invoiced_revenue", "2026-10", 12, |_| dec!(100));
        assert_eq!(
            value(
                &compute(&facts(), &flat, m("2026-10")),
                "revenue_volatility_12m"
            )
            .as_deref(),
            Some("0")
        );
        // Alternating 50 / 150: mean 100, standard deviation 50.
        let swing = series("invoiced_revenue", "2026-10", 12, |i| {
            if i % 2 == 0 {
                dec!(50)
            } else {
                dec!(150)
            }
        });
        let ind = compute(&facts(), &swing, m("2026-10"));
        assert_eq!(
            value(&ind, "revenue_volatility_12m").as_deref(),
            Some("0.5")
        );
        assert_eq!(value(&ind, "revenue_12m").as_deref(), Some("1200"));
        let few = series("invoiced_revenue", "2026-10", 5, |_| dec!(1));
        assert_eq!(
            value(
                &compute(&facts(), &few, m("2026-10")),
                "revenue_volatility_12m"
            ),
            None
        );
    }

    #[test]
    fn latest_grade_class_and_arrears() {
        let mut obs = vec![
            code("tax_grade", "2024", "C"),
            code("tax_grade", "2025", "A"),
            code("tax_grade", "2027", "D"),
            code("customs_class", "2026-03", "general"),
            code("customs_class", "2026-08", "advanced_certified"),
        ];
        obs.extend(series("tax_arrears", "2026-09", 2, |i| {
            Decimal::from(500 - 500 * i)
        }));
        let ind = compute(&facts(), &obs, m("2026-10"));
        assert_eq!(value(&ind, "tax_grade").as_deref(), Some("A"));
        assert_eq!(
            value(&ind, "customs_class").as_deref(),
            Some("advanced_certified")
        );
        assert_eq!(value(&ind, "tax_arrears").as_deref(), Some("0"));
        assert_eq!(
            ind.get("tax_arrears").unwrap().signals[0].to.as_deref(),
            Some("2026-09")
        );
        // Arrears older than 3 months are stale: missing, not carried forward.
        let stale = series("tax_arrears", "2026-06", 1, |_| dec!(9));
        assert_eq!(
            value(&compute(&facts(), &stale, m("2026-10")), "tax_arrears"),
            None
        );
        // A grade more than two years old does not count.
        let old = vec![code("tax_grade", "2023", "A")];
        assert_eq!(
            value(&compute(&facts(), &old, m("2026-10")), "tax_grade"),
            None
        );
    }

    #[test]
    fn headcount_and_its_trend() {
        // 15 months: 10 persons a year ago, growing by one a month.
        let obs = series("insured_headcount", "2026-10", 15, |i| {
            Decimal::from(10 + i)
        });
        let ind = compute(&facts(), &obs, m("2026-10"));
        assert_eq!(value(&ind, "insured_headcount").as_deref(), Some("24"));
        // Mean of the last 3 (22, 23, 24) = 23 against the same months a year earlier (10, 11, 12) = 11.
        assert_eq!(
            value(&ind, "headcount_trend_12m").as_deref(),
            Some("1.0909")
        );
        assert_eq!(ind.get("headcount_trend_12m").unwrap().signals.len(), 2);
        let si = series("si_arrears_months", "2026-10", 3, Decimal::from);
        assert_eq!(
            value(&compute(&facts(), &si, m("2026-10")), "si_arrears_months").as_deref(),
            Some("2")
        );
    }

    #[test]
    fn utility_lateness_and_trend() {
        // 12 months, late in three of them (5, 30, 2 days).
        let late = [0, 5, 0, 0, 30, 0, 0, 0, 2, 0, 0, 0];
        let obs = series("utility_days_late", "2026-10", 12, |i| {
            Decimal::from(late[i as usize])
        });
        let ind = compute(&facts(), &obs, m("2026-10"));
        assert_eq!(value(&ind, "utility_late_count_12m").as_deref(), Some("3"));
        assert_eq!(
            value(&ind, "utility_worst_late_days_12m").as_deref(),
            Some("30")
        );
        assert_eq!(
            value(&ind, "utility_on_time_ratio_12m").as_deref(),
            Some("0.75")
        );
        // Partial coverage: six months, on time.
        let six = series("utility_days_late", "2026-10", 6, |_| Decimal::ZERO);
        let ind = compute(&facts(), &six, m("2026-10"));
        assert_eq!(
            ind.get("utility_late_count_12m").unwrap().coverage,
            Coverage::Partial
        );
        assert_eq!(
            value(&ind, "utility_on_time_ratio_12m").as_deref(),
            Some("1")
        );
        // Electricity down by a quarter on the same months a year ago.
        let kwh = series("electricity_kwh", "2026-10", 15, |i| {
            if i < 3 {
                dec!(1000)
            } else {
                dec!(750)
            }
        });
        assert_eq!(
            value(
                &compute(&facts(), &kwh, m("2026-10")),
                "electricity_trend_12m"
            )
            .as_deref(),
            Some("-0.25")
        );
    }

    #[test]
    fn customs_trade_volume_and_growth() {
        let mut obs = series("import_value", "2026-10", 24, |_| dec!(100));
        obs.extend(series("export_value", "2026-10", 24, |i| {
            if i < 12 {
                dec!(100)
            } else {
                dec!(300)
            }
        }));
        let ind = compute(&facts(), &obs, m("2026-10"));
        assert_eq!(value(&ind, "trade_volume_12m").as_deref(), Some("4800"));
        assert_eq!(value(&ind, "trade_growth_yoy").as_deref(), Some("1"));
        assert_eq!(ind.get("trade_volume_12m").unwrap().signals.len(), 2);
    }

    #[test]
    fn lookback_is_all_the_indicators_read() {
        // 36 months of every kind, and grades for five years: reading only what LOOKBACK names gives
        // the same indicators, as of the newest month and as of months before it.
        let mut all = Vec::new();
        for spec in crate::domain::signals::KINDS {
            match spec.period {
                crate::domain::signals::PeriodType::Month => {
                    if spec.key == "customs_class" {
                        for i in 0..36 {
                            let c =
                                ["general", "advanced_certified", "dishonest"][(i % 3) as usize];
                            all.push(code("customs_class", &m("2026-10").plus(-i).to_string(), c));
                        }
                    } else {
                        all.extend(series(spec.key, "2026-10", 36, |i| {
                            Decimal::from(100 + i * i % 37)
                        }));
                    }
                }
                crate::domain::signals::PeriodType::Year => {
                    for y in 2022..=2026 {
                        all.push(code(
                            "tax_grade",
                            &y.to_string(),
                            ["A", "B", "C"][(y % 3) as usize],
                        ));
                    }
                }
                crate::domain::signals::PeriodType::EventStart => {
                    all.push(event(spec.key, "E1", "2024-05-06", None, None));
                }
            }
        }
        for as_of in ["2026-10", "2026-01", "2025-06"] {
            let as_of = m(as_of);
            let kept: Vec<Obs> = all
                .iter()
                .filter(|o| {
                    if o.event.is_some() {
                        return true;
                    }
                    if o.kind == "tax_grade" {
                        let y: i32 = o.period.parse().unwrap();
                        return y >= as_of.year() - GRADE_LOOKBACK_YEARS && y <= as_of.year();
                    }
                    let p = Month::parse(&o.period).unwrap();
                    LOOKBACK.iter().any(|(kinds, n)| {
                        kinds.contains(&o.kind) && p > as_of.plus(-*n) && p <= as_of
                    })
                })
                .cloned()
                .collect();
            assert!(kept.len() < all.len());
            assert_eq!(
                compute(&facts(), &kept, as_of),
                compute(&facts(), &all, as_of),
                "{as_of}"
            );
        }
    }

    #[test]
    fn public_credit_records_follow_art_58() {
        let obs = vec![
            // Listed in March 2026, repaired on 15 June 2026: counts March to May, not from June.
            event(
                "dishonesty_listing",
                "L1",
                "2026-03-10",
                None,
                Some("2026-06-15"),
            ),
            // A penalty without an end date is published for a year from its start.
            event("administrative_penalty", "P1", "2025-02-01", None, None),
            // A penalty whose publication ends on a given day.
            event(
                "administrative_penalty",
                "P2",
                "2026-01-05",
                Some("2026-04-30"),
                None,
            ),
        ];
        let table = [
            ("2026-01", "0", "2"),
            ("2026-02", "0", "1"),
            ("2026-03", "1", "1"),
            ("2026-04", "1", "1"),
            ("2026-05", "1", "0"),
            ("2026-06", "0", "0"),
        ];
        for (as_of, listings, penalties) in table {
            let ind = compute(&facts(), &obs, m(as_of));
            assert_eq!(
                value(&ind, "active_dishonesty_listings").as_deref(),
                Some(listings),
                "{as_of}"
            );
            assert_eq!(
                value(&ind, "active_penalties").as_deref(),
                Some(penalties),
                "{as_of}"
            );
        }
        let ind = compute(&facts(), &obs, m("2026-04"));
        assert_eq!(
            ind.get("active_penalties").unwrap().signals[0].records,
            vec!["P2"]
        );
        // P1 ran 2025-02-01 .. 2026-01-31 inclusive.
        let p1 = EventObs {
            record_id: "P1".into(),
            start: d("2025-02-01"),
            end: None,
            repaired_on: None,
        };
        assert!(counts(&p1, d("2026-01-31"), 1));
        assert!(!counts(&p1, d("2026-02-01"), 1));
    }
}
