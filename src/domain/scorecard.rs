//! The scorecard as versioned data: binned indicators → points → a 300–900 score and a grade, with the
//! largest adverse contributions as reason codes in Chinese and English. The default card ships in
//! `scorecards/`; another can be loaded from a file at start-up.

use super::features::{indicator_spec, IndicatorValue, Indicators};
use rust_decimal::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

pub mod binning;
pub mod fit;
pub mod logistic;
pub mod metrics;
pub mod validation;

pub const DEFAULT_TOML: &str = include_str!("scorecards/expert-2026.1.toml");

/// How many adverse contributions a profile names.
pub const REASON_COUNT: usize = 4;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("scorecard: {0}")]
pub struct ScorecardError(pub String);

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradeBand {
    pub grade: super::grade::Grade,
    pub min_score: i32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bin {
    /// Numeric bins: the value is below this (the last bin has none).
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub below: Option<Decimal>,
    /// Code bins: the codes that fall here.
    pub codes: Option<Vec<String>>,
    pub points: i32,
    /// A reason code and sentences for this bin, instead of the characteristic's.
    pub reason: Option<String>,
    pub zh: Option<String>,
    pub en: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MissingBin {
    pub points: i32,
    pub reason: String,
    pub zh: String,
    pub en: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Characteristic {
    /// A hub indicator, or (on a card with `inputs = "columns"`) a column of the data scored.
    pub indicator: String,
    /// `number` or `code`: required for columns, taken from the indicator otherwise.
    pub kind: Option<String>,
    pub reason: String,
    pub zh: String,
    pub en: String,
    pub missing: Option<MissingBin>,
    pub bins: Vec<Bin>,
    /// A fitted card's information value and regression coefficient (shown, not used to score).
    pub iv: Option<f64>,
    pub coefficient: Option<f64>,
}

/// What a card scores: the hub's indicators, or the columns of a table (a bank's own data).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Inputs {
    #[default]
    Hub,
    Columns,
}

/// Points scaling (DOMAIN §12): a fitted card's score is `base_points` plus its characteristics'
/// points; `score = offset + factor × ln(odds)` gives the odds back.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scaling {
    pub base_score: f64,
    /// Good:bad odds at the base score.
    pub base_odds: f64,
    pub pdo: f64,
    pub base_points: i32,
}

impl Scaling {
    /// The probability of going bad at `score`.
    pub fn pd(&self, score: f64) -> f64 {
        let factor = self.pdo / std::f64::consts::LN_2;
        let offset = self.base_score - factor * self.base_odds.ln();
        let odds = ((score - offset) / factor).exp();
        1.0 / (1.0 + odds)
    }
}

/// The score distribution of a fitted card's development sample (PSI is measured against it).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Development {
    pub rows: u64,
    pub edges: Vec<f64>,
    pub shares: Vec<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scorecard {
    pub version: String,
    pub min_score: i32,
    pub max_score: i32,
    pub grades: Vec<GradeBand>,
    #[serde(default)]
    pub inputs: Inputs,
    pub scaling: Option<Scaling>,
    pub development: Option<Development>,
    /// Figures of the fit on its test data, as written by `credithub scorecard fit`.
    pub validation: Option<toml::Table>,
    pub characteristics: Vec<Characteristic>,
    /// The TOML the card was read from (what the registry stores).
    #[serde(skip)]
    pub source: Option<String>,
}

/// One adverse contribution, said plainly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReasonCode {
    pub code: String,
    pub indicator: String,
    pub points_lost: i32,
    pub zh: String,
    pub en: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contribution {
    pub indicator: String,
    pub value: Option<IndicatorValue>,
    pub points: i32,
    pub max_points: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<ReasonCode>,
}

impl Contribution {
    pub fn lost(&self) -> i32 {
        self.max_points - self.points
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scored {
    pub scorecard_version: String,
    pub score: i32,
    pub grade: super::grade::Grade,
    pub points: i32,
    pub reasons: Vec<ReasonCode>,
    pub contributions: Vec<Contribution>,
}

impl Characteristic {
    fn max_points(&self) -> i32 {
        self.bins
            .iter()
            .map(|b| b.points)
            .chain(self.missing.as_ref().map(|m| m.points))
            .max()
            .unwrap_or(0)
    }
    fn min_points(&self) -> i32 {
        self.bins
            .iter()
            .map(|b| b.points)
            .chain(self.missing.as_ref().map(|m| m.points))
            .min()
            .unwrap_or(0)
    }

    fn bin(&self, value: &IndicatorValue) -> Option<&Bin> {
        match value {
            IndicatorValue::Number(v) => self.bins.iter().find(|b| b.below.is_none_or(|x| *v < x)),
            IndicatorValue::Code(c) => self
                .bins
                .iter()
                .find(|b| b.codes.as_ref().is_some_and(|cs| cs.contains(c))),
        }
    }

    fn score(&self, value: Option<&IndicatorValue>) -> Contribution {
        let max_points = self.max_points();
        let (points, code, zh, en) = match (value, &self.missing) {
            (None, Some(m)) => (m.points, &m.reason, &m.zh, &m.en),
            (None, None) => (0, &self.reason, &self.zh, &self.en),
            (Some(v), _) => match self.bin(v) {
                Some(b) => (
                    b.points,
                    b.reason.as_ref().unwrap_or(&self.reason),
                    b.zh.as_ref().unwrap_or(&self.zh),
                    b.en.as_ref().unwrap_or(&self.en),
                ),
                // A code no bin lists scores as the worst bin.
                None => (self.min_points(), &self.reason, &self.zh, &self.en),
            },
        };
        let reason = (points < max_points).then(|| ReasonCode {
            code: code.clone(),
            indicator: self.indicator.clone(),
            points_lost: max_points - points,
            zh: fill(zh, value),
            en: fill(en, value),
        });
        Contribution {
            indicator: self.indicator.clone(),
            value: value.cloned(),
            points,
            max_points,
            reason,
        }
    }
}

/// Put the value into a sentence: `{value}`, `{pct}` (signed percentage), `{abs_pct}`.
fn fill(template: &str, value: Option<&IndicatorValue>) -> String {
    let shown = match value {
        None => "—".to_string(),
        // Money (two decimals, from fen) keeps its fen; other numbers show at most two decimals.
        Some(IndicatorValue::Number(d)) if d.scale() == 2 => d.to_string(),
        Some(IndicatorValue::Number(d)) => d.round_dp(2).normalize().to_string(),
        Some(IndicatorValue::Code(c)) => c.clone(),
    };
    let pct = |abs: bool| match value.and_then(IndicatorValue::number) {
        Some(d) => {
            let p = (d * Decimal::ONE_HUNDRED)
                .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
            let p = if abs { p.abs() } else { p };
            if !abs && p.is_sign_positive() && !p.is_zero() {
                format!("+{p}%")
            } else {
                format!("{p}%")
            }
        }
        None => "—".to_string(),
    };
    template
        .replace("{value}", &shown)
        .replace("{abs_pct}", &pct(true))
        .replace("{pct}", &pct(false))
}

impl Scorecard {
    /// Parse and check a scorecard.
    pub fn parse(text: &str) -> Result<Scorecard, ScorecardError> {
        let mut card: Scorecard =
            toml::from_str(text).map_err(|e| ScorecardError(e.to_string()))?;
        card.check()?;
        card.source = Some(text.to_string());
        Ok(card)
    }

    /// The card shipped with the hub.
    pub fn default_card() -> Scorecard {
        Scorecard::parse(DEFAULT_TOML).expect("the shipped scorecard is valid (tested)")
    }

    fn check(&self) -> Result<(), ScorecardError> {
        let err = |m: String| Err(ScorecardError(m));
        if self.version.trim().is_empty() {
            return err("version is empty".into());
        }
        if self.min_score >= self.max_score {
            return err("min_score must be below max_score".into());
        }
        if self.grades.is_empty()
            || self
                .grades
                .windows(2)
                .any(|w| w[0].min_score <= w[1].min_score)
            || self.grades.last().map(|g| g.min_score) != Some(self.min_score)
        {
            return err("grades must run from the best down, with strictly falling min_score, the last at min_score".into());
        }
        let mut seen = HashSet::new();
        for c in &self.characteristics {
            let unit = match (self.inputs, c.kind.as_deref()) {
                (Inputs::Columns, Some(k @ ("number" | "code"))) => k,
                (Inputs::Columns, _) => {
                    return err(format!(
                        "'{}': a column's kind is 'number' or 'code'",
                        c.indicator
                    ))
                }
                (Inputs::Hub, _) => match indicator_spec(&c.indicator) {
                    Some((_, _, unit)) => unit,
                    None => return err(format!("'{}' is not an indicator", c.indicator)),
                },
            };
            if !seen.insert(c.indicator.as_str()) {
                return err(format!("'{}' is scored twice", c.indicator));
            }
            if c.bins.is_empty() {
                return err(format!("'{}' has no bins", c.indicator));
            }
            if c.bins.iter().any(|b| b.points < 0)
                || c.missing.as_ref().is_some_and(|m| m.points < 0)
            {
                return err(format!("'{}': points are never negative", c.indicator));
            }
            if unit == "code" {
                if c.bins
                    .iter()
                    .any(|b| b.below.is_some() || b.codes.as_ref().is_none_or(|v| v.is_empty()))
                {
                    return err(format!(
                        "'{}' is a code: every bin lists codes and none has 'below'",
                        c.indicator
                    ));
                }
            } else {
                let (last, rest) = c.bins.split_last().expect("not empty");
                if last.below.is_some() || last.codes.is_some() {
                    return err(format!(
                        "'{}': the last bin has no 'below' (it takes the rest)",
                        c.indicator
                    ));
                }
                let bounds: Option<Vec<Decimal>> = rest.iter().map(|b| b.below).collect();
                match bounds {
                    Some(b)
                        if b.windows(2).all(|w| w[0] < w[1])
                            && rest.iter().all(|b| b.codes.is_none()) => {}
                    _ => {
                        return err(format!(
                            "'{}': every bin but the last has 'below', rising, and no codes",
                            c.indicator
                        ))
                    }
                }
            }
        }
        if self.characteristics.is_empty() {
            return err("no characteristics".into());
        }
        if let Some(s) = &self.scaling {
            if !(s.pdo > 0.0 && s.base_odds > 0.0 && s.base_score.is_finite()) {
                return err("scaling: pdo and base_odds are positive".into());
            }
        }
        if let Some(d) = &self.development {
            if d.shares.len() != d.edges.len() + 1 || d.edges.windows(2).any(|w| w[0] >= w[1]) {
                return err("development: one share more than edges, edges rising".into());
            }
        }
        Ok(())
    }

    fn range(&self) -> (i32, i32) {
        self.characteristics.iter().fold((0, 0), |(lo, hi), c| {
            (lo + c.min_points(), hi + c.max_points())
        })
    }

    /// The score for a total of points: linear from [lowest, highest] onto [min_score, max_score],
    /// rounded half away from zero.
    pub fn scale(&self, points: i32) -> i32 {
        if let Some(s) = &self.scaling {
            return (s.base_points + points).clamp(self.min_score, self.max_score);
        }
        let (lo, hi) = self.range();
        if hi == lo {
            return self.max_score;
        }
        let span = Decimal::from(self.max_score - self.min_score);
        let x = Decimal::from(points - lo) * span / Decimal::from(hi - lo);
        let x = x.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
        (self.min_score + x.to_i32().unwrap_or(0)).clamp(self.min_score, self.max_score)
    }

    /// The band the score falls in; the lowest grade below every band (a loaded card's last band starts
    /// at the scale's minimum, so only an out-of-scale score gets there).
    pub fn grade(&self, score: i32) -> super::grade::Grade {
        self.grades
            .iter()
            .find(|g| score >= g.min_score)
            .map_or(super::grade::Grade::C, |g| g.grade)
    }

    pub fn score(&self, ind: &Indicators) -> Scored {
        self.score_row(&|name| ind.get(name).and_then(|i| i.value.clone()))
    }

    /// Score any row: `value(name)` gives each characteristic's value (a CSV row, an indicator list).
    pub fn score_row(&self, value: &dyn Fn(&str) -> Option<IndicatorValue>) -> Scored {
        let contributions: Vec<Contribution> = self
            .characteristics
            .iter()
            .map(|c| c.score(value(&c.indicator).as_ref()))
            .collect();
        let points = contributions.iter().map(|c| c.points).sum();
        let score = self.scale(points);
        let mut adverse: Vec<&Contribution> =
            contributions.iter().filter(|c| c.lost() > 0).collect();
        // Largest loss first; ties keep the card's order.
        adverse.sort_by_key(|c| std::cmp::Reverse(c.lost()));
        let reasons = adverse
            .into_iter()
            .take(REASON_COUNT)
            .filter_map(|c| c.reason.clone())
            .collect();
        Scored {
            scorecard_version: self.version.clone(),
            score,
            grade: self.grade(score),
            points,
            reasons,
            contributions,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::features::{compute, FirmFacts, Obs, INDICATORS};
    use crate::domain::grade::Grade;
    use crate::domain::month::Month;
    use proptest::prelude::*;

    #[test]
    fn the_shipped_card_is_valid_and_spans_the_scale() {
        let card = Scorecard::default_card();
        let (lo, hi) = card.range();
        assert_eq!(card.scale(lo), 300);
        assert_eq!(card.scale(hi), 900);
        assert_eq!(card.grade(900), Grade::AAA);
        assert_eq!(card.grade(860), Grade::AAA);
        assert_eq!(card.grade(859), Grade::AA);
        assert_eq!(card.grade(539), Grade::C);
    }

    #[test]
    fn bad_cards_are_refused_with_the_reason() {
        let base = DEFAULT_TOML;
        let cases = [
            (
                base.replace("indicator = \"tax_grade\"", "indicator = \"shoe_size\""),
                "not an indicator",
            ),
            (
                base.replace(
                    "{ below = \"0.15\", points = 60 }",
                    "{ below = \"0.9\", points = 60 }",
                ),
                "rising",
            ),
            (
                base.replace(
                    "{ grade = \"AA\", min_score = 800 }",
                    "{ grade = \"AA\", min_score = 900 }",
                ),
                "falling",
            ),
            (
                base.replace(
                    "{ codes = [\"B\"], points = 80 }",
                    "{ below = \"1\", points = 80 }",
                ),
                "is a code",
            ),
            (
                base.replace("version = \"expert-2026.1\"", "version = \"x\"\nextra = 1"),
                "unknown field",
            ),
        ];
        for (text, want) in cases {
            let e = Scorecard::parse(&text).unwrap_err();
            assert!(e.0.contains(want), "{e} should say {want}");
        }
    }

    fn num(v: &str) -> Option<IndicatorValue> {
        Some(IndicatorValue::Number(v.parse().unwrap()))
    }

    #[test]
    fn bins_missing_and_sentences() {
        let card = Scorecard::default_card();
        let late = card
            .characteristics
            .iter()
            .find(|c| c.indicator == "utility_late_count_12m")
            .unwrap();
        let table = [
            ("0", 80),
            ("1", 50),
            ("2.5", 50),
            ("3", 20),
            ("5", 20),
            ("6", 0),
            ("40", 0),
        ];
        for (v, want) in table {
            assert_eq!(late.score(num(v).as_ref()).points, want, "{v}");
        }
        let c = late.score(num("3").as_ref());
        let r = c.reason.unwrap();
        assert_eq!((r.code.as_str(), r.points_lost), ("UTILITY_LATE", 60));
        assert_eq!(r.zh, "近12个月水电费逾期3次");
        let arrears = card
            .characteristics
            .iter()
            .find(|c| c.indicator == "tax_arrears")
            .unwrap();
        let money = Some(IndicatorValue::Number(Decimal::new(44174440, 2)));
        assert_eq!(
            arrears.score(money.as_ref()).reason.unwrap().en,
            "tax arrears of 441744.40 yuan outstanding"
        );
        assert_eq!(r.en, "utilities paid late 3 times in 12 months");
        // Missing is its own bin, not zero.
        let m = late.score(None);
        assert_eq!(m.points, 40);
        assert_eq!(m.reason.unwrap().code, "NO_UTILITY_DATA");
        // A bin's own words, with a signed or absolute percentage.
        let yoy = card
            .characteristics
            .iter()
            .find(|c| c.indicator == "tax_paid_yoy")
            .unwrap();
        assert_eq!(
            yoy.score(num("-0.4523").as_ref()).reason.unwrap().en,
            "tax paid down 45% year on year"
        );
        assert_eq!(
            yoy.score(num("0.05").as_ref()).reason.unwrap().en,
            "tax paid changed +5% year on year: no growth"
        );
        assert_eq!(yoy.score(num("0.25").as_ref()).reason, None);
    }

    fn facts() -> FirmFacts {
        FirmFacts {
            established_on: chrono::NaiveDate::from_ymd_opt(2015, 1, 1).unwrap(),
            size_class: "small".into(),
        }
    }

    /// Random histories over the kinds the card reads.
    fn arb_obs() -> impl Strategy<Value = Vec<Obs>> {
        let kinds = [
            "tax_paid",
            "invoiced_revenue",
            "tax_arrears",
            "insured_headcount",
            "si_arrears_months",
            "utility_days_late",
            "electricity_kwh",
        ];
        let monthly = prop::collection::vec((0usize..kinds.len(), 0i32..30, 0u32..2000), 0..160);
        let grade = prop::option::of(prop::sample::select(vec!["A", "B", "M", "C", "D"]));
        (monthly, grade).prop_map(move |(rows, grade)| {
            let end = Month::parse("2026-10").unwrap();
            let mut seen = HashSet::new();
            let mut obs: Vec<Obs> = rows
                .into_iter()
                .filter(|(k, ago, _)| seen.insert((*k, *ago)))
                .map(|(k, ago, v)| Obs {
                    kind: kinds[k],
                    period: end.plus(-ago).to_string(),
                    num: Some(Decimal::from(if kinds[k] == "si_arrears_months" {
                        v % 6
                    } else if kinds[k] == "utility_days_late" {
                        v % 90
                    } else {
                        v
                    })),
                    code: None,
                    event: None,
                })
                .collect();
            if let Some(g) = grade {
                obs.push(Obs {
                    kind: "tax_grade",
                    period: "2026".into(),
                    num: None,
                    code: Some(g.into()),
                    event: None,
                });
            }
            obs
        })
    }

    proptest! {
        /// The reason codes are the true largest adverse contributions, in order, and the points add up.
        #[test]
        fn reasons_are_the_largest_adverse_contributions(obs in arb_obs()) {
            let card = Scorecard::default_card();
            let ind = compute(&facts(), &obs, Month::parse("2026-10").unwrap());
            let s = card.score(&ind);
            prop_assert_eq!(s.points, s.contributions.iter().map(|c| c.points).sum::<i32>());
            prop_assert!((300..=900).contains(&s.score));
            let mut losses: Vec<i32> = s.contributions.iter().map(|c| c.max_points - c.points).filter(|l| *l > 0).collect();
            losses.sort_unstable_by(|a, b| b.cmp(a));
            losses.truncate(REASON_COUNT);
            let named: Vec<i32> = s.reasons.iter().map(|r| r.points_lost).collect();
            prop_assert_eq!(named, losses);
            // No unnamed contribution lost more than the smallest named one.
            if s.reasons.len() == REASON_COUNT {
                let floor = s.reasons.last().unwrap().points_lost;
                let named_ind: HashSet<&str> = s.reasons.iter().map(|r| r.indicator.as_str()).collect();
                for c in &s.contributions {
                    if !named_ind.contains(c.indicator.as_str()) {
                        prop_assert!(c.max_points - c.points <= floor);
                    }
                }
            }
            // Scored indicators exist.
            for c in &s.contributions {
                prop_assert!(INDICATORS.iter().any(|(k, _, _)| *k == c.indicator));
            }
        }
    }
}
