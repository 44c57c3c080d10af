//! Weight-of-evidence binning of one characteristic against a good/bad target: fine classes at
//! quantiles (numbers) or per category (text), merged until every bin holds at least the minimum share
//! of rows, numbers into a monotonic trend of bad rates where one fits, at most `max_bins`; missing
//! values are a bin of their own. WoE = ln(%good / %bad) with ½ added to empty cells; IV = Σ (%good −
//! %bad) × WoE.

use serde::Serialize;

/// A column's values: numbers or text, `None` when missing.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    Number(Vec<Option<f64>>),
    Text(Vec<Option<String>>),
}

impl Column {
    pub fn len(&self) -> usize {
        match self {
            Column::Number(v) => v.len(),
            Column::Text(v) => v.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Which values fall in a bin.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Range {
    /// Numbers from the previous bin's bound up to (not including) `below`; `None` takes the rest.
    Numbers {
        below: Option<f64>,
    },
    Codes {
        codes: Vec<String>,
    },
    Missing,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bin {
    pub range: Range,
    pub goods: usize,
    pub bads: usize,
    pub woe: f64,
    pub iv: f64,
}

impl Bin {
    pub fn rows(&self) -> usize {
        self.goods + self.bads
    }
    pub fn bad_rate(&self) -> f64 {
        self.bads as f64 / self.rows().max(1) as f64
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Binning {
    pub name: String,
    pub numeric: bool,
    /// Whether the numeric bins' bad rates run one way.
    pub monotonic: bool,
    pub bins: Vec<Bin>,
    pub iv: f64,
}

impl Binning {
    /// The bin a value falls in.
    pub fn index_number(&self, v: Option<f64>) -> Option<usize> {
        match v {
            None => self.bins.iter().position(|b| b.range == Range::Missing),
            Some(x) => self.bins.iter().position(
                |b| matches!(b.range, Range::Numbers { below } if below.is_none_or(|e| x < e)),
            ),
        }
    }
    pub fn index_text(&self, v: Option<&str>) -> Option<usize> {
        match v {
            None => self.bins.iter().position(|b| b.range == Range::Missing),
            Some(s) => self.bins.iter().position(
                |b| matches!(&b.range, Range::Codes { codes } if codes.iter().any(|c| c == s)),
            ),
        }
    }
    /// The WoE of row `i` of `col` (a value no bin holds gets the lowest WoE; a missing value with no
    /// missing bin gets 0, the sample's own odds).
    pub fn woe(&self, col: &Column, i: usize) -> f64 {
        let idx = match col {
            Column::Number(v) => self.index_number(v[i]),
            Column::Text(v) => self.index_text(v[i].as_deref()),
        };
        let missing = match col {
            Column::Number(v) => v[i].is_none(),
            Column::Text(v) => v[i].is_none(),
        };
        match idx {
            Some(k) => self.bins[k].woe,
            None if missing => 0.0,
            None => self
                .bins
                .iter()
                .map(|b| b.woe)
                .fold(f64::INFINITY, f64::min),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BinningOptions {
    /// The least share of all rows a bin (other than the missing bin) holds.
    pub min_share: f64,
    pub max_bins: usize,
    /// Fine classes before merging.
    pub fine: usize,
    /// The least bads a bin holds, so that no bin's WoE rests on one or two defaults.
    pub min_bads: usize,
}

impl Default for BinningOptions {
    fn default() -> Self {
        BinningOptions {
            min_share: 0.05,
            max_bins: 8,
            fine: 20,
            min_bads: 5,
        }
    }
}

/// A class being merged: its range (numbers: its upper bound; text: its codes), goods and bads.
#[derive(Debug, Clone)]
struct Class {
    below: Option<f64>,
    codes: Vec<String>,
    goods: usize,
    bads: usize,
}

impl Class {
    fn rows(&self) -> usize {
        self.goods + self.bads
    }
    fn rate(&self) -> f64 {
        self.bads as f64 / self.rows().max(1) as f64
    }
    fn absorb(&mut self, other: Class) {
        self.goods += other.goods;
        self.bads += other.bads;
        self.codes.extend(other.codes);
        // Numbers: merged neighbours keep the upper one's bound.
        if other.below.is_none()
            || self
                .below
                .is_some_and(|b| other.below.is_some_and(|o| o > b))
        {
            self.below = other.below;
        }
    }
}

/// Merge classes `k` and `k + 1`.
fn merge(classes: &mut Vec<Class>, k: usize) {
    let next = classes.remove(k + 1);
    classes[k].absorb(next);
}

/// Merge the smallest class into its neighbour with the nearer bad rate until each holds `min_rows`
/// and `min_bads`.
fn merge_small(classes: &mut Vec<Class>, min_rows: usize, min_bads: usize) {
    while classes.len() > 1 {
        let Some((k, _)) = classes
            .iter()
            .enumerate()
            .filter(|(_, c)| c.rows() < min_rows || c.bads < min_bads)
            .min_by_key(|(_, c)| c.rows())
        else {
            return;
        };
        let left = k.checked_sub(1);
        let right = (k + 1 < classes.len()).then_some(k + 1);
        let rate = classes[k].rate();
        let target = match (left, right) {
            (Some(l), Some(r)) => {
                if (classes[l].rate() - rate).abs() <= (classes[r].rate() - rate).abs() {
                    l
                } else {
                    r
                }
            }
            (Some(l), None) => l,
            (None, Some(r)) => r,
            (None, None) => return,
        };
        merge(classes, k.min(target));
    }
}

/// Merge adjacent classes whose bad rates break the trend (`rising`: bad rate grows with the value).
fn make_monotonic(classes: &mut Vec<Class>, rising: bool) {
    loop {
        let broken = classes.windows(2).position(|w| {
            if rising {
                w[1].rate() < w[0].rate()
            } else {
                w[1].rate() > w[0].rate()
            }
        });
        match broken {
            Some(k) => merge(classes, k),
            None => return,
        }
    }
}

/// Merge the adjacent pair with the nearest bad rates until at most `max` remain.
fn cap(classes: &mut Vec<Class>, max: usize) {
    while classes.len() > max.max(1) {
        let k = classes
            .windows(2)
            .enumerate()
            .min_by(|(_, a), (_, b)| {
                (a[0].rate() - a[1].rate())
                    .abs()
                    .total_cmp(&(b[0].rate() - b[1].rate()).abs())
            })
            .map_or(0, |(k, _)| k);
        merge(classes, k);
    }
}

fn woe_iv(goods: usize, bads: usize, total_goods: usize, total_bads: usize) -> (f64, f64) {
    let g = (goods as f64 + 0.5) / (total_goods as f64 + 0.5);
    let b = (bads as f64 + 0.5) / (total_bads as f64 + 0.5);
    let woe = (g / b).ln();
    (woe, (g - b) * woe)
}

/// Bin `col` against `bad` (same length).
pub fn bin(name: &str, col: &Column, bad: &[bool], opts: &BinningOptions) -> Binning {
    let total_bads = bad.iter().filter(|b| **b).count();
    let total_goods = bad.len() - total_bads;
    let min_rows = ((bad.len() as f64 * opts.min_share).ceil() as usize).max(1);
    let mut missing = Class {
        below: None,
        codes: Vec::new(),
        goods: 0,
        bads: 0,
    };
    let (mut classes, numeric) = match col {
        Column::Number(values) => {
            let mut present: Vec<(f64, bool)> = Vec::new();
            for (v, b) in values.iter().zip(bad) {
                match v {
                    Some(x) => present.push((*x, *b)),
                    None if *b => missing.bads += 1,
                    None => missing.goods += 1,
                }
            }
            present.sort_by(|a, b| a.0.total_cmp(&b.0));
            let xs: Vec<f64> = present.iter().map(|p| p.0).collect();
            let edges = super::metrics::quantile_edges(&xs, opts.fine);
            let mut classes: Vec<Class> = edges
                .iter()
                .map(|e| Some(*e))
                .chain([None])
                .map(|below| Class {
                    below,
                    codes: Vec::new(),
                    goods: 0,
                    bads: 0,
                })
                .collect();
            for (x, b) in present {
                let k = edges.partition_point(|e| *e <= x);
                if b {
                    classes[k].bads += 1;
                } else {
                    classes[k].goods += 1;
                }
            }
            classes.retain(|c| c.rows() > 0 || c.below.is_none());
            (classes, true)
        }
        Column::Text(values) => {
            let mut by: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
            for (v, b) in values.iter().zip(bad) {
                match v {
                    Some(s) => {
                        let e = by.entry(s.as_str()).or_default();
                        if *b {
                            e.1 += 1;
                        } else {
                            e.0 += 1;
                        }
                    }
                    None if *b => missing.bads += 1,
                    None => missing.goods += 1,
                }
            }
            let mut classes: Vec<Class> = by
                .into_iter()
                .map(|(code, (goods, bads))| Class {
                    below: None,
                    codes: vec![code.to_string()],
                    goods,
                    bads,
                })
                .collect();
            // Categories in order of bad rate, so neighbours are alike.
            classes.sort_by(|a, b| a.rate().total_cmp(&b.rate()));
            (classes, false)
        }
    };
    merge_small(&mut classes, min_rows, opts.min_bads.min(total_bads / 4));
    let mut monotonic = !numeric;
    if numeric && classes.len() > 1 {
        let before = classes.clone();
        let rising = classes[classes.len() - 1].rate() >= classes[0].rate();
        make_monotonic(&mut classes, rising);
        monotonic = true;
        // A U-shaped relation would collapse into one bin: keep the shape instead.
        if classes.len() < 2 && before.len() >= 2 {
            classes = before;
            monotonic = false;
        }
    }
    cap(&mut classes, opts.max_bins);
    let mut bins: Vec<Bin> = classes
        .into_iter()
        .map(|c| {
            let (woe, iv) = woe_iv(c.goods, c.bads, total_goods, total_bads);
            Bin {
                range: if numeric {
                    Range::Numbers { below: c.below }
                } else {
                    let mut codes = c.codes;
                    codes.sort();
                    Range::Codes { codes }
                },
                goods: c.goods,
                bads: c.bads,
                woe,
                iv,
            }
        })
        .collect();
    if missing.rows() > 0 {
        let (woe, iv) = woe_iv(missing.goods, missing.bads, total_goods, total_bads);
        bins.push(Bin {
            range: Range::Missing,
            goods: missing.goods,
            bads: missing.bads,
            woe,
            iv,
        });
    }
    let iv = bins.iter().map(|b| b.iv).sum();
    Binning {
        name: name.to_string(),
        numeric,
        monotonic,
        bins,
        iv,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// A noisy rising risk over 0..100 with 5 % missing.
    fn sample(n: usize) -> (Column, Vec<bool>) {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let mut v = Vec::new();
        let mut y = Vec::new();
        for _ in 0..n {
            let x: f64 = rng.random_range(0.0..100.0);
            let p = 0.02 + 0.3 * x / 100.0;
            y.push(rng.random_bool(p));
            v.push((rng.random_range(0..20) != 0).then_some(x));
        }
        (Column::Number(v), y)
    }

    #[test]
    fn numeric_bins_are_monotonic_and_hold_the_minimum_share() {
        let (col, y) = sample(5_000);
        let opts = BinningOptions::default();
        let b = bin("x", &col, &y, &opts);
        assert!(b.monotonic);
        let body: Vec<&Bin> = b
            .bins
            .iter()
            .filter(|b| b.range != Range::Missing)
            .collect();
        assert!(body.len() >= 2 && body.len() <= opts.max_bins);
        for w in body.windows(2) {
            assert!(w[1].bad_rate() >= w[0].bad_rate(), "{b:?}");
        }
        for bin in &body {
            assert!(bin.rows() as f64 >= 0.05 * 5_000.0, "{bin:?}");
        }
        // Rising risk: WoE (log of good over bad) falls.
        assert!(body[0].woe > body[body.len() - 1].woe);
        // Missing is its own bin; every row is counted once.
        assert!(b.bins.iter().any(|b| b.range == Range::Missing));
        assert_eq!(b.bins.iter().map(Bin::rows).sum::<usize>(), 5_000);
        assert!(b.iv > 0.1);
        // The last numeric bin takes the rest.
        assert_eq!(body.last().unwrap().range, Range::Numbers { below: None });
    }

    #[test]
    fn woe_and_iv_by_hand() {
        // Two codes: a (goods 30, bads 10), b (goods 70, bads 90); totals G 100, B 100.
        // WoE(a) = ln((30.5/100.5) / (10.5/100.5)) = ln(30.5/10.5); WoE(b) = ln(70.5/90.5).
        let mut v = Vec::new();
        let mut y = Vec::new();
        for (code, g, b) in [("a", 30, 10), ("b", 70, 90)] {
            for k in 0..g + b {
                v.push(Some(code.to_string()));
                y.push(k >= g);
            }
        }
        let b = bin("c", &Column::Text(v), &y, &BinningOptions::default());
        let a = b
            .bins
            .iter()
            .find(|x| {
                x.range
                    == Range::Codes {
                        codes: vec!["a".into()],
                    }
            })
            .unwrap();
        assert!((a.woe - (30.5f64 / 10.5).ln()).abs() < 1e-12);
        let iv_a = (30.5 / 100.5 - 10.5 / 100.5) * (30.5f64 / 10.5).ln();
        let iv_b = (70.5 / 100.5 - 90.5 / 100.5) * (70.5f64 / 90.5).ln();
        assert!((b.iv - (iv_a + iv_b)).abs() < 1e-12);
    }

    #[test]
    fn rare_categories_merge_with_the_nearest_bad_rate() {
        // "z" holds 1 % of rows: it joins a neighbour in bad-rate order.
        let mut v = Vec::new();
        let mut y = Vec::new();
        for (code, g, b) in [("x", 450, 50), ("y", 300, 190), ("z", 5, 5)] {
            for k in 0..g + b {
                v.push(Some(code.to_string()));
                y.push(k >= g);
            }
        }
        let b = bin("c", &Column::Text(v), &y, &BinningOptions::default());
        assert_eq!(b.bins.len(), 2);
        assert!(b.bins.iter().any(|x| x.range
            == Range::Codes {
                codes: vec!["y".into(), "z".into()]
            }));
    }
}
