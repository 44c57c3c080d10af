//! How well a score ranks outcomes (DOMAIN §12): AUC with ties counted half, Gini, KS, the ROC and KS
//! curves, PSI / CSI with an empty-bin floor, bad rates with Wilson intervals. Higher scores mean lower
//! risk throughout. Pure functions over plain numbers, tested against tables worked by hand.

use serde::Serialize;

/// One scored outcome: the score and whether it went bad.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Obs {
    pub score: f64,
    pub bad: bool,
}

/// AUC = P(a good scores above a bad) + ½ P(they tie) (Mann-Whitney with average ranks). `None` when
/// either class is empty.
pub fn auc(obs: &[Obs]) -> Option<f64> {
    let bads = obs.iter().filter(|o| o.bad).count() as f64;
    let goods = obs.len() as f64 - bads;
    if bads == 0.0 || goods == 0.0 {
        return None;
    }
    let mut sorted: Vec<Obs> = obs.to_vec();
    sorted.sort_by(|a, b| a.score.total_cmp(&b.score));
    // Sum of the goods' average ranks (1-based) among all.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j < sorted.len() && sorted[j].score == sorted[i].score {
            j += 1;
        }
        let avg = (i + 1 + j) as f64 / 2.0;
        rank_sum += avg * sorted[i..j].iter().filter(|o| !o.bad).count() as f64;
        i = j;
    }
    Some((rank_sum - goods * (goods + 1.0) / 2.0) / (goods * bads))
}

/// Gini = 2 × AUC − 1.
pub fn gini(auc: f64) -> f64 {
    2.0 * auc - 1.0
}

/// A point of the ROC curve at a cut-off: refusing every score at or below it refuses `bad_share` of
/// the bads (true positive rate) and `good_share` of the goods (false positive rate).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CurvePoint {
    pub cutoff: f64,
    pub good_share: f64,
    pub bad_share: f64,
}

/// The cumulative shares at every distinct score, lowest first, starting at (0, 0).
pub fn curve(obs: &[Obs]) -> Vec<CurvePoint> {
    let bads = obs.iter().filter(|o| o.bad).count() as f64;
    let goods = obs.len() as f64 - bads;
    let mut sorted: Vec<Obs> = obs.to_vec();
    sorted.sort_by(|a, b| a.score.total_cmp(&b.score));
    let mut out = vec![CurvePoint {
        cutoff: sorted.first().map_or(0.0, |o| o.score - 1.0),
        good_share: 0.0,
        bad_share: 0.0,
    }];
    let (mut g, mut b) = (0.0, 0.0);
    let mut i = 0;
    while i < sorted.len() {
        let s = sorted[i].score;
        while i < sorted.len() && sorted[i].score == s {
            if sorted[i].bad {
                b += 1.0;
            } else {
                g += 1.0;
            }
            i += 1;
        }
        out.push(CurvePoint {
            cutoff: s,
            good_share: if goods > 0.0 { g / goods } else { 0.0 },
            bad_share: if bads > 0.0 { b / bads } else { 0.0 },
        });
    }
    out
}

/// KS = max |F_bad(s) − F_good(s)| over the distinct scores, and the score where it is reached.
pub fn ks(obs: &[Obs]) -> Option<(f64, f64)> {
    let bads = obs.iter().filter(|o| o.bad).count();
    if bads == 0 || bads == obs.len() {
        return None;
    }
    // The first score where the largest gap is reached.
    curve(obs)
        .into_iter()
        .map(|p| ((p.bad_share - p.good_share).abs(), p.cutoff))
        .fold(None, |best: Option<(f64, f64)>, x| match best {
            Some(b) if b.0 >= x.0 - 1e-12 => Some(b),
            _ => Some(x),
        })
}

/// At most `n` points of a curve, evenly spread, keeping the first and last (for a chart).
pub fn thin(points: &[CurvePoint], n: usize) -> Vec<CurvePoint> {
    if points.len() <= n || n < 2 {
        return points.to_vec();
    }
    (0..n)
        .map(|k| points[k * (points.len() - 1) / (n - 1)])
        .collect()
}

/// The floor an empty bin's share gets in PSI (DOMAIN §12).
pub const PSI_FLOOR: f64 = 0.0001;

/// PSI = Σ (a − e) × ln(a / e) over bins of shares; a share below the floor counts as the floor.
pub fn psi(expected: &[f64], actual: &[f64]) -> f64 {
    expected
        .iter()
        .zip(actual)
        .map(|(e, a)| {
            let (e, a) = (e.max(PSI_FLOOR), a.max(PSI_FLOOR));
            (a - e) * (a / e).ln()
        })
        .sum()
}

/// Shares of `values` in the bins cut at `edges` (a value below `edges[0]` is in bin 0, …, at or above
/// the last edge in the last bin: `edges.len() + 1` bins).
pub fn shares(values: &[f64], edges: &[f64]) -> Vec<f64> {
    let mut counts = vec![0usize; edges.len() + 1];
    for v in values {
        counts[edges.partition_point(|e| e <= v)] += 1;
    }
    let n = values.len().max(1) as f64;
    counts.into_iter().map(|c| c as f64 / n).collect()
}

/// Cut points giving about `bins` equally full bins of `values` (distinct, rising; fewer when values
/// repeat).
pub fn quantile_edges(values: &[f64], bins: usize) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    let mut edges: Vec<f64> = (1..bins)
        .filter_map(|k| v.get(k * v.len() / bins).copied())
        .collect();
    edges.dedup();
    // An edge at the minimum would leave the first bin empty.
    if edges.first() == v.first() {
        edges.remove(0);
    }
    edges
}

/// How a PSI reads (DOMAIN §12's convention; thresholds configurable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stability {
    Stable,
    Monitor,
    Shift,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PsiThresholds {
    pub monitor: f64,
    pub shift: f64,
}

impl Default for PsiThresholds {
    fn default() -> Self {
        PsiThresholds {
            monitor: 0.10,
            shift: 0.25,
        }
    }
}

impl Stability {
    /// As serialised: `stable`, `monitor`, `shift`.
    pub fn as_str(self) -> &'static str {
        match self {
            Stability::Stable => "stable",
            Stability::Monitor => "monitor",
            Stability::Shift => "shift",
        }
    }
}

impl PsiThresholds {
    pub fn read(&self, psi: f64) -> Stability {
        if psi > self.shift {
            Stability::Shift
        } else if psi >= self.monitor {
            Stability::Monitor
        } else {
            Stability::Stable
        }
    }
}

/// The Wilson score interval (95 %) for `k` successes in `n`.
pub fn wilson(k: usize, n: usize) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let z = 1.959_963_984_540_054_f64;
    let (n, p) = (n as f64, k as f64 / n as f64);
    let denom = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denom;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(score: f64, bad: bool) -> Obs {
        Obs { score, bad }
    }

    #[test]
    fn auc_counts_ties_half() {
        // Goods 3, 5, 5; bads 1, 5. Pairs (good > bad): 3>1, 5>1, 5>1 = 3; ties 5=5 twice = 1; 3<5 = 0.
        // AUC = (3 + 2 × ½) / (3 × 2) = 4 / 6.
        let obs = [
            o(3.0, false),
            o(5.0, false),
            o(5.0, false),
            o(1.0, true),
            o(5.0, true),
        ];
        assert!((auc(&obs).unwrap() - 4.0 / 6.0).abs() < 1e-12);
        assert!((gini(4.0 / 6.0) - 1.0 / 3.0).abs() < 1e-12);
        // Perfect and reversed rankings; one class only.
        assert_eq!(auc(&[o(9.0, false), o(1.0, true)]), Some(1.0));
        assert_eq!(auc(&[o(1.0, false), o(9.0, true)]), Some(0.0));
        assert_eq!(auc(&[o(1.0, false)]), None);
    }

    #[test]
    fn ks_by_hand() {
        // Scores 1..6; bads at 1, 2, 4; goods at 3, 5, 6. Cumulative at ≤2: bad 2/3, good 0 → 0.667;
        // ≤3: 2/3 vs 1/3; ≤4: 1 vs 1/3 → 0.667; max 2/3 first reached at 2.
        let obs = [
            o(1.0, true),
            o(2.0, true),
            o(3.0, false),
            o(4.0, true),
            o(5.0, false),
            o(6.0, false),
        ];
        let (k, at) = ks(&obs).unwrap();
        assert!((k - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(at, 2.0);
        let c = curve(&obs);
        assert_eq!(c.len(), 7);
        assert_eq!((c[6].good_share, c[6].bad_share), (1.0, 1.0));
    }

    #[test]
    fn psi_with_an_empty_bin() {
        // e = (0.5, 0.5, 0), a = (0.4, 0.4, 0.2): 2 × (−0.1 × ln 0.8) + (0.2 − 0.0001) × ln(0.2 / 0.0001).
        let want = 2.0 * (-0.1 * (0.8f64).ln()) + (0.2 - 0.0001) * (2000.0f64).ln();
        assert!((psi(&[0.5, 0.5, 0.0], &[0.4, 0.4, 0.2]) - want).abs() < 1e-12);
        assert_eq!(psi(&[0.3, 0.7], &[0.3, 0.7]), 0.0);
        let t = PsiThresholds::default();
        assert_eq!(t.read(0.05), Stability::Stable);
        assert_eq!(t.read(0.10), Stability::Monitor);
        assert_eq!(t.read(0.26), Stability::Shift);
    }

    #[test]
    fn bins_and_shares() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        let e = quantile_edges(&v, 5);
        assert_eq!(e, vec![3.0, 5.0, 7.0, 9.0]);
        assert_eq!(shares(&v, &e), vec![0.2; 5]);
        // Repeated values give fewer edges, never an empty first bin.
        assert_eq!(quantile_edges(&[1.0, 1.0, 1.0, 2.0], 4), vec![2.0]);
    }

    #[test]
    fn wilson_interval() {
        // 10 of 100: the textbook interval is 0.0552 to 0.1744.
        let (lo, hi) = wilson(10, 100);
        assert!((lo - 0.0552).abs() < 1e-4 && (hi - 0.1744).abs() < 1e-4);
        assert_eq!(wilson(0, 0), (0.0, 1.0));
    }
}
