//! A card's validation on loan outcomes (issue 19, DOMAIN §12): ranking (AUC, Gini, KS), bad rates per
//! grade and per score band with Wilson intervals, calibration (predicted against observed), and
//! stability between a development window and a recent one (PSI of the score, CSI per characteristic),
//! each with its flag.

use super::fit::Ranking;
use super::logistic;
use super::metrics::{self, CurvePoint, Obs, PsiThresholds, Stability};
use super::{Scorecard, Scored};
use crate::domain::month::Month;
use crate::domain::outcome::Outcome;
use serde::Serialize;
use std::collections::BTreeMap;

/// One loan as validation reads it: its decision month, outcome, and the card's scoring of the profile
/// at the decision.
#[derive(Debug, Clone)]
pub struct Case {
    pub month: Month,
    pub outcome: Outcome,
    pub scored: Scored,
}

#[derive(Debug, Clone, Copy)]
pub struct ValidateOptions {
    pub window_months: u32,
    /// Development and recent windows of decision months (inclusive); PSI / CSI compare them.
    pub development: (Month, Month),
    pub recent: (Month, Month),
    pub thresholds: PsiThresholds,
    /// AUC below this is flagged (DOMAIN §12: 0.7–0.8 acceptable).
    pub auc_floor: f64,
}

/// A row of bad rates: per grade, per score band, or per calibration band.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RateRow {
    pub label: String,
    pub loans: usize,
    pub bads: usize,
    pub bad_rate: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// The card's predicted bad rate (mean over the row's loans), for calibration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicted: Option<f64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Csi {
    pub indicator: String,
    pub csi: f64,
    pub bins: usize,
    pub flag: Stability,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StabilityReport {
    pub development_from: String,
    pub development_to: String,
    pub development_loans: usize,
    pub recent_from: String,
    pub recent_to: String,
    pub recent_loans: usize,
    /// PSI over the development sample's score deciles; `None` when a window is empty.
    pub psi: Option<f64>,
    pub psi_bins: usize,
    pub flag: Option<Stability>,
    pub csi: Vec<Csi>,
    pub thresholds: PsiThresholds,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Validation {
    pub version: String,
    pub window_months: u32,
    pub loans: usize,
    pub bad: usize,
    pub good: usize,
    pub indeterminate: usize,
    /// On the loans with an outcome (bad or good); `None` when either class is empty.
    pub ranking: Option<Ranking>,
    pub ks_score: Option<f64>,
    pub by_grade: Vec<RateRow>,
    pub by_band: Vec<RateRow>,
    /// `scaling`: the card's own odds; `fitted`: a logistic of the outcome on the score fitted to this
    /// sample (an expert card states no odds).
    pub calibration_basis: String,
    pub calibration: Vec<RateRow>,
    pub stability: StabilityReport,
    /// ROC points (bad share refused against good share refused), at most 101.
    pub roc: Vec<CurvePoint>,
    pub flags: Vec<String>,
}

fn rate_row(label: String, cases: &[(&Case, f64)]) -> RateRow {
    let loans = cases.len();
    let bads = cases
        .iter()
        .filter(|(c, _)| c.outcome == Outcome::Bad)
        .count();
    let (ci_low, ci_high) = metrics::wilson(bads, loans);
    RateRow {
        label,
        loans,
        bads,
        bad_rate: bads as f64 / loans.max(1) as f64,
        ci_low,
        ci_high,
        predicted: (loans > 0).then(|| cases.iter().map(|(_, p)| p).sum::<f64>() / loans as f64),
    }
}

/// Score bands of 50 points over the card's scale, lowest first.
fn band(score: i32, min: i32) -> i32 {
    min + (score - min).div_euclid(50) * 50
}

fn in_window(m: Month, w: (Month, Month)) -> bool {
    m >= w.0 && m <= w.1
}

pub fn validate(card: &Scorecard, cases: &[Case], opts: &ValidateOptions) -> Validation {
    let decided: Vec<&Case> = cases
        .iter()
        .filter(|c| c.outcome != Outcome::Indeterminate)
        .collect();
    let obs: Vec<Obs> = decided
        .iter()
        .map(|c| Obs {
            score: f64::from(c.scored.score),
            bad: c.outcome == Outcome::Bad,
        })
        .collect();
    let ranking = Ranking::of(&obs);
    let ks_score = metrics::ks(&obs).map(|k| k.1);
    // Predicted bad rate per loan: the card's odds, else a logistic on the score fitted here.
    let (basis, predict): (&str, Box<dyn Fn(i32) -> f64>) = match &card.scaling {
        Some(s) => {
            let s = s.clone();
            ("scaling", Box::new(move |x| s.pd(f64::from(x))))
        }
        None => {
            let x: Vec<Vec<f64>> = obs
                .iter()
                .map(|o| vec![(o.score - 600.0) / 100.0])
                .collect();
            let y: Vec<bool> = obs.iter().map(|o| o.bad).collect();
            match logistic::fit(&x, &y, 1e-6) {
                Ok(m) => (
                    "fitted",
                    Box::new(move |s| m.predict(&[(f64::from(s) - 600.0) / 100.0])),
                ),
                Err(_) => ("none", Box::new(|_| f64::NAN)),
            }
        }
    };
    let with_p: Vec<(&Case, f64)> = decided
        .iter()
        .map(|c| (*c, predict(c.scored.score)))
        .collect();
    let mut by_grade = Vec::new();
    for g in &card.grades {
        let rows: Vec<(&Case, f64)> = with_p
            .iter()
            .filter(|(c, _)| c.scored.grade == g.grade)
            .cloned()
            .collect();
        by_grade.push(rate_row(g.grade.to_string(), &rows));
    }
    let mut bands: BTreeMap<i32, Vec<(&Case, f64)>> = BTreeMap::new();
    for (c, p) in &with_p {
        bands
            .entry(band(c.scored.score, card.min_score))
            .or_default()
            .push((*c, *p));
    }
    let by_band: Vec<RateRow> = bands
        .iter()
        .map(|(lo, rows)| rate_row(format!("{lo}–{}", lo + 49), rows))
        .collect();
    // Calibration: deciles of the predicted bad rate.
    let mut sorted = with_p.clone();
    sorted.sort_by(|a, b| a.1.total_cmp(&b.1));
    let calibration = if basis == "none" {
        Vec::new()
    } else {
        let n = sorted.len();
        (0..10)
            .filter_map(|k| {
                let part = &sorted[k * n / 10..(k + 1) * n / 10];
                (!part.is_empty()).then(|| rate_row(format!("{}", k + 1), part))
            })
            .collect()
    };
    // Stability: every loan scored in a window counts, outcome or not.
    let dev: Vec<&Case> = cases
        .iter()
        .filter(|c| in_window(c.month, opts.development))
        .collect();
    let recent: Vec<&Case> = cases
        .iter()
        .filter(|c| in_window(c.month, opts.recent))
        .collect();
    let dev_scores: Vec<f64> = dev.iter().map(|c| f64::from(c.scored.score)).collect();
    let recent_scores: Vec<f64> = recent.iter().map(|c| f64::from(c.scored.score)).collect();
    let edges = metrics::quantile_edges(&dev_scores, 10);
    let both = !dev.is_empty() && !recent.is_empty();
    let psi = both.then(|| {
        metrics::psi(
            &metrics::shares(&dev_scores, &edges),
            &metrics::shares(&recent_scores, &edges),
        )
    });
    let mut csi = Vec::new();
    if both {
        for (k, ch) in card.characteristics.iter().enumerate() {
            // A characteristic's classes are the points it gave (a bin, or missing).
            let class = |c: &Case| c.scored.contributions.get(k).map_or(i32::MIN, |x| x.points);
            let mut keys: Vec<i32> = dev.iter().chain(&recent).map(|c| class(c)).collect();
            keys.sort_unstable();
            keys.dedup();
            let share = |set: &[&Case]| -> Vec<f64> {
                keys.iter()
                    .map(|key| {
                        set.iter().filter(|c| class(c) == *key).count() as f64
                            / set.len().max(1) as f64
                    })
                    .collect()
            };
            let v = metrics::psi(&share(&dev), &share(&recent));
            csi.push(Csi {
                indicator: ch.indicator.clone(),
                csi: v,
                bins: keys.len(),
                flag: opts.thresholds.read(v),
            });
        }
    }
    let flag = psi.map(|p| opts.thresholds.read(p));
    let mut flags = Vec::new();
    match ranking {
        Some(r) if r.auc < opts.auc_floor => flags.push(format!("auc_below_{}", opts.auc_floor)),
        None => flags.push("no_outcomes".into()),
        _ => {}
    }
    if let Some(f) = flag.filter(|f| *f != Stability::Stable) {
        flags.push(format!("psi_{}", f.as_str()));
    }
    for c in csi.iter().filter(|c| c.flag == Stability::Shift) {
        flags.push(format!("csi_shift:{}", c.indicator));
    }
    let count = |o: Outcome| cases.iter().filter(|c| c.outcome == o).count();
    Validation {
        version: card.version.clone(),
        window_months: opts.window_months,
        loans: cases.len(),
        bad: count(Outcome::Bad),
        good: count(Outcome::Good),
        indeterminate: count(Outcome::Indeterminate),
        ranking,
        ks_score,
        by_grade,
        by_band,
        calibration_basis: basis.to_string(),
        calibration,
        stability: StabilityReport {
            development_from: opts.development.0.to_string(),
            development_to: opts.development.1.to_string(),
            development_loans: dev.len(),
            recent_from: opts.recent.0.to_string(),
            recent_to: opts.recent.1.to_string(),
            recent_loans: recent.len(),
            psi,
            psi_bins: edges.len() + 1,
            flag,
            csi,
            thresholds: opts.thresholds,
        },
        roc: metrics::thin(&metrics::curve(&obs), 101),
        flags,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::features::IndicatorValue;

    #[test]
    fn figures_on_a_small_book() {
        let card = Scorecard::default_card();
        let grade_a = || {
            card.score_row(&|name| match name {
                "tax_grade" => Some(IndicatorValue::Code("A".into())),
                _ => None,
            })
        };
        let grade_d = || {
            card.score_row(&|name| match name {
                "tax_grade" => Some(IndicatorValue::Code("D".into())),
                _ => None,
            })
        };
        let m = |s: &str| Month::parse(s).unwrap();
        let mut cases = Vec::new();
        // Development (2025): 8 A-grade loans, 1 bad; 4 D-grade, 3 bad. Recent (2026): D-grade only.
        for k in 0..8 {
            cases.push(Case {
                month: m("2025-03"),
                outcome: if k == 0 { Outcome::Bad } else { Outcome::Good },
                scored: grade_a(),
            });
        }
        for k in 0..4 {
            cases.push(Case {
                month: m("2025-04"),
                outcome: if k < 3 { Outcome::Bad } else { Outcome::Good },
                scored: grade_d(),
            });
        }
        for _ in 0..5 {
            cases.push(Case {
                month: m("2026-02"),
                outcome: Outcome::Indeterminate,
                scored: grade_d(),
            });
        }
        let opts = ValidateOptions {
            window_months: 12,
            development: (m("2025-01"), m("2025-12")),
            recent: (m("2026-01"), m("2026-06")),
            thresholds: PsiThresholds::default(),
            auc_floor: 0.7,
        };
        let v = validate(&card, &cases, &opts);
        assert_eq!((v.loans, v.bad, v.good, v.indeterminate), (17, 4, 8, 5));
        // Pairs (good, bad): goods 7 A + 1 D; bads 1 A + 3 D. Good above bad: 7 × 3 = 21;
        // ties: 7 × 1 (A, A) + 1 × 3 (D, D) = 10 → AUC = (21 + 5) / 32.
        let r = v.ranking.unwrap();
        assert!((r.auc - 26.0 / 32.0).abs() < 1e-12, "{r:?}");
        // The recent window is all D: a shift in the score and in the tax grade.
        assert_eq!(v.stability.flag, Some(Stability::Shift));
        assert!(
            v.flags.iter().any(|f| f == "csi_shift:tax_grade"),
            "{:?}",
            v.flags
        );
        assert_eq!(v.calibration_basis, "fitted");
        let total: usize = v.by_grade.iter().map(|g| g.loans).sum();
        assert_eq!(total, 12);
    }
}
