//! Fitting a scorecard on any table (issue 19): WoE binning per characteristic, IV and selection (IV
//! floor, correlation ceiling, coefficients of the right sign), logistic regression on the WoE values,
//! points scaling onto 300–900 (DOMAIN §12: score = offset + factor × ln(odds), factor = PDO / ln 2,
//! offset = base score − factor × ln(base odds)), and a scorecard TOML the hub loads like the shipped
//! one, with its test metrics embedded. Deterministic for a seed.

use super::binning::{self, Binning, BinningOptions, Column, Range};
use super::logistic::{self, Logit};
use super::metrics::{self, Obs};
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::fmt::Write as _;

/// A table read from CSV: named columns of numbers or text.
#[derive(Debug, Clone)]
pub struct Table {
    pub names: Vec<String>,
    pub columns: Vec<Column>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    #[error("the CSV cannot be read: {0}")]
    Csv(String),
    #[error("there is no column '{0}'")]
    NoColumn(String),
    #[error("target '{column}': {detail}")]
    Target { column: String, detail: String },
    #[error("too few rows to fit: {0}")]
    TooFew(String),
    #[error("no characteristic passes the selection: {0}")]
    NothingSelected(String),
    #[error("the regression failed: {0}")]
    Regression(String),
}

/// Values read as missing.
fn is_missing(s: &str) -> bool {
    matches!(
        s.trim().to_ascii_lowercase().as_str(),
        "" | "na" | "n/a" | "nan" | "null" | "none" | "?"
    )
}

impl Table {
    /// Read a CSV with a header; a column whose every present value is a number is numeric.
    pub fn from_csv(bytes: &[u8]) -> Result<Table, FitError> {
        let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let mut rd = csv::ReaderBuilder::new().flexible(false).from_reader(text);
        let names: Vec<String> = rd
            .headers()
            .map_err(|e| FitError::Csv(e.to_string()))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        let mut raw: Vec<Vec<Option<String>>> = vec![Vec::new(); names.len()];
        for (line, rec) in rd.records().enumerate() {
            let rec = rec.map_err(|e| FitError::Csv(format!("line {}: {e}", line + 2)))?;
            for (k, v) in rec.iter().enumerate() {
                raw[k].push((!is_missing(v)).then(|| v.trim().to_string()));
            }
        }
        let columns = raw
            .into_iter()
            .map(|vals| {
                let numeric = vals
                    .iter()
                    .flatten()
                    .all(|s| s.parse::<f64>().is_ok_and(f64::is_finite));
                if numeric && vals.iter().any(Option::is_some) {
                    Column::Number(
                        vals.iter()
                            .map(|v| v.as_ref().and_then(|s| s.parse().ok()))
                            .collect(),
                    )
                } else {
                    Column::Text(vals)
                }
            })
            .collect();
        Ok(Table { names, columns })
    }

    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, Column::len)
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|k| &self.columns[k])
    }

    /// The target as bad / good per row (`None`: missing target, the row is left out). A 0/1 column's
    /// bad value is `1` unless told; a good/bad column's is `bad`.
    pub fn target(
        &self,
        name: &str,
        bad_value: Option<&str>,
    ) -> Result<Vec<Option<bool>>, FitError> {
        let col = self
            .column(name)
            .ok_or_else(|| FitError::NoColumn(name.to_string()))?;
        let labels: Vec<Option<String>> = match col {
            Column::Number(v) => v.iter().map(|x| x.map(|x| format!("{x}"))).collect(),
            Column::Text(v) => v.clone(),
        };
        let mut distinct: Vec<&str> = labels.iter().flatten().map(String::as_str).collect();
        distinct.sort_unstable();
        distinct.dedup();
        let err = |detail: String| FitError::Target {
            column: name.to_string(),
            detail,
        };
        if distinct.len() != 2 {
            return Err(err(format!(
                "a target holds exactly two values; found {}: {}",
                distinct.len(),
                distinct
                    .iter()
                    .take(6)
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let bad = match bad_value {
            Some(b) => b.to_string(),
            None if distinct == ["0", "1"] => "1".into(),
            None if distinct.iter().any(|d| d.eq_ignore_ascii_case("bad")) => distinct
                .iter()
                .find(|d| d.eq_ignore_ascii_case("bad"))
                .map(|d| d.to_string())
                .unwrap_or_default(),
            None => {
                return Err(err(format!(
                    "say which of '{}' and '{}' is bad with --bad-value",
                    distinct[0], distinct[1]
                )))
            }
        };
        // A numeric column written "1.0" still matches "1".
        let matches = |s: &str| {
            s == bad
                || s.parse::<f64>()
                    .ok()
                    .zip(bad.parse::<f64>().ok())
                    .is_some_and(|(a, b)| a == b)
        };
        if !distinct.iter().any(|d| matches(d)) {
            return Err(err(format!(
                "the bad value '{bad}' is not in the column (it holds {})",
                distinct.join(", ")
            )));
        }
        Ok(labels.iter().map(|l| l.as_deref().map(matches)).collect())
    }

    /// The rows at `idx`, in that order.
    pub fn take(&self, idx: &[usize]) -> Table {
        Table {
            names: self.names.clone(),
            columns: self
                .columns
                .iter()
                .map(|c| match c {
                    Column::Number(v) => Column::Number(idx.iter().map(|i| v[*i]).collect()),
                    Column::Text(v) => Column::Text(idx.iter().map(|i| v[*i].clone()).collect()),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct FitOptions {
    pub target: String,
    pub bad_value: Option<String>,
    /// Columns never used as characteristics (ids, dates).
    pub exclude: Vec<String>,
    pub binning: BinningOptions,
    pub iv_floor: f64,
    pub correlation_ceiling: f64,
    pub base_score: f64,
    /// Good:bad odds at the base score.
    pub base_odds: f64,
    pub pdo: f64,
    pub seed: u64,
    /// Held out for testing when no test table is given.
    pub test_share: f64,
    pub version: String,
    /// Where the data came from, written into the card.
    pub data: String,
    /// Hub indicators (true) or a bank's own columns.
    pub hub_inputs: bool,
}

impl FitOptions {
    pub fn new(target: &str, version: &str) -> FitOptions {
        FitOptions {
            target: target.to_string(),
            bad_value: None,
            exclude: Vec::new(),
            binning: BinningOptions::default(),
            iv_floor: 0.02,
            correlation_ceiling: 0.7,
            base_score: 600.0,
            base_odds: 30.0,
            pdo: 50.0,
            seed: 2026,
            test_share: 0.3,
            version: version.to_string(),
            data: String::new(),
            hub_inputs: false,
        }
    }
    pub fn factor(&self) -> f64 {
        self.pdo / std::f64::consts::LN_2
    }
    pub fn offset(&self) -> f64 {
        self.base_score - self.factor() * self.base_odds.ln()
    }
}

/// How a characteristic fared in selection.
#[derive(Debug, Clone, Serialize)]
pub struct Selection {
    pub name: String,
    pub iv: f64,
    pub kept: bool,
    /// Why it was dropped: `iv_floor`, `correlated:<kept column>`, `sign`, `constant`, `identifier`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dropped: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coefficient: Option<f64>,
}

/// Ranking figures of a card on one sample.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Ranking {
    pub rows: usize,
    pub bads: usize,
    pub auc: f64,
    pub gini: f64,
    pub ks: f64,
}

impl Ranking {
    pub fn of(obs: &[Obs]) -> Option<Ranking> {
        let auc = metrics::auc(obs)?;
        Some(Ranking {
            rows: obs.len(),
            bads: obs.iter().filter(|o| o.bad).count(),
            auc,
            gini: metrics::gini(auc),
            ks: metrics::ks(obs).map_or(0.0, |k| k.0),
        })
    }
}

/// Everything a fit produced.
#[derive(Debug, Clone)]
pub struct Fitted {
    pub binnings: Vec<Binning>,
    pub selection: Vec<Selection>,
    pub model: Logit,
    pub train: Option<Ranking>,
    pub test: Option<Ranking>,
    /// Rows left out for a missing target.
    pub skipped: usize,
    pub toml: String,
}

/// A progress report: `done` of `total` steps, what is being done.
pub type Progress<'a> = &'a (dyn Fn(usize, usize, &str) + Sync);

/// Split rows `0..n` into train and test, deterministic for the seed.
fn split(n: usize, share: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for i in 0..n {
        if rng.random_bool(share.clamp(0.0, 1.0)) {
            test.push(i);
        } else {
            train.push(i);
        }
    }
    (train, test)
}

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    if saa == 0.0 || sbb == 0.0 {
        return 0.0;
    }
    sab / (saa * sbb).sqrt()
}

/// A reason code from a column name: upper-case letters, digits and underscores.
fn reason_code(name: &str) -> String {
    let code: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if code.chars().all(|c| c == '_') {
        "COLUMN".into()
    } else {
        code
    }
}

fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// A number as the card writes it (shortest form that reads back the same).
fn decimal_text(x: f64) -> String {
    let s = format!("{x}");
    if s.contains('e') || s.contains("inf") || s.contains("NaN") {
        format!("{x:.6}")
    } else {
        s
    }
}

/// Fit on `table` (and test on `test`, or on a held-out share of `table`).
pub fn fit(
    table: &Table,
    test: Option<&Table>,
    opts: &FitOptions,
    progress: Progress,
) -> Result<Fitted, FitError> {
    let target = table.target(&opts.target, opts.bad_value.as_deref())?;
    let labelled: Vec<usize> = (0..table.rows()).filter(|i| target[*i].is_some()).collect();
    let skipped = table.rows() - labelled.len();
    let (train, test) = match test {
        Some(t) => {
            let tt = t.target(&opts.target, opts.bad_value.as_deref())?;
            let idx: Vec<usize> = (0..t.rows()).filter(|i| tt[*i].is_some()).collect();
            let y: Vec<bool> = idx.iter().filter_map(|i| tt[*i]).collect();
            (
                (
                    table.take(&labelled),
                    labelled.iter().filter_map(|i| target[*i]).collect(),
                ),
                Some((t.take(&idx), y)),
            )
        }
        None => {
            let (tr, te) = split(labelled.len(), opts.test_share, opts.seed);
            let tr: Vec<usize> = tr.into_iter().map(|k| labelled[k]).collect();
            let te: Vec<usize> = te.into_iter().map(|k| labelled[k]).collect();
            let y =
                |idx: &[usize]| -> Vec<bool> { idx.iter().filter_map(|i| target[*i]).collect() };
            (
                (table.take(&tr), y(&tr)),
                (!te.is_empty()).then(|| (table.take(&te), y(&te))),
            )
        }
    };
    let (train, y) = train;
    let bads = y.iter().filter(|b| **b).count();
    if bads < 10 || y.len() - bads < 10 {
        return Err(FitError::TooFew(format!(
            "{} rows with {bads} bad; at least 10 of each class are needed",
            y.len()
        )));
    }
    // Bin every candidate column.
    let candidates: Vec<usize> = (0..train.names.len())
        .filter(|k| train.names[*k] != opts.target && !opts.exclude.contains(&train.names[*k]))
        .collect();
    let steps = candidates.len() + 2;
    let mut binnings = Vec::new();
    let mut selection = Vec::new();
    for (done, k) in candidates.iter().enumerate() {
        let name = &train.names[*k];
        progress(done, steps, name);
        let col = &train.columns[*k];
        if let Column::Text(v) = col {
            let mut d: Vec<&String> = v.iter().flatten().collect();
            d.sort_unstable();
            d.dedup();
            if d.len() > 50 && d.len() * 2 > v.len() {
                selection.push(Selection {
                    name: name.clone(),
                    iv: 0.0,
                    kept: false,
                    dropped: Some("identifier".into()),
                    coefficient: None,
                });
                continue;
            }
        }
        let b = binning::bin(name, col, &y, &opts.binning);
        let dropped = if b.bins.len() < 2 {
            Some("constant".to_string())
        } else if b.iv < opts.iv_floor {
            Some("iv_floor".to_string())
        } else {
            None
        };
        selection.push(Selection {
            name: name.clone(),
            iv: b.iv,
            kept: dropped.is_none(),
            dropped,
            coefficient: None,
        });
        binnings.push((b, *k));
    }
    progress(candidates.len(), steps, "selection");
    // WoE columns of the survivors, by IV, highest first; a column too correlated with a kept one goes.
    binnings.sort_by(|a, b| b.0.iv.total_cmp(&a.0.iv));
    let woe_of =
        |b: &Binning, col: &Column| -> Vec<f64> { (0..col.len()).map(|i| b.woe(col, i)).collect() };
    let mut kept: Vec<(usize, Vec<f64>)> = Vec::new();
    for (pos, (b, k)) in binnings.iter().enumerate() {
        let Some(sel) = selection.iter_mut().find(|s| s.name == b.name) else {
            continue;
        };
        if !sel.kept {
            continue;
        }
        let w = woe_of(b, &train.columns[*k]);
        if let Some((other, _)) = kept
            .iter()
            .find(|(_, v)| pearson(v, &w).abs() > opts.correlation_ceiling)
        {
            sel.kept = false;
            sel.dropped = Some(format!("correlated:{}", binnings[*other].0.name));
            continue;
        }
        kept.push((pos, w));
    }
    // Fit; a coefficient of the wrong sign (more good evidence, more risk) drops its column and refits.
    let model = loop {
        if kept.is_empty() {
            return Err(FitError::NothingSelected(format!(
                "no column has IV ≥ {} with a sensible sign",
                opts.iv_floor
            )));
        }
        let x: Vec<Vec<f64>> = (0..y.len())
            .map(|i| kept.iter().map(|(_, w)| w[i]).collect())
            .collect();
        let m = logistic::fit(&x, &y, 1e-6).map_err(|e| FitError::Regression(e.to_string()))?;
        match m.coef.iter().position(|c| *c >= 0.0) {
            Some(bad) => {
                let (pos, _) = kept.remove(bad);
                if let Some(s) = selection
                    .iter_mut()
                    .find(|s| s.name == binnings[pos].0.name)
                {
                    s.kept = false;
                    s.dropped = Some("sign".into());
                }
            }
            None => break m,
        }
    };
    progress(candidates.len() + 1, steps, "scaling");
    for ((pos, _), c) in kept.iter().zip(&model.coef) {
        if let Some(s) = selection
            .iter_mut()
            .find(|s| s.name == binnings[*pos].0.name)
        {
            s.coefficient = Some(*c);
        }
    }
    let chosen: Vec<(&Binning, f64, usize)> = kept
        .iter()
        .zip(&model.coef)
        .map(|((pos, _), c)| (&binnings[*pos].0, *c, binnings[*pos].1))
        .collect();
    // Points per bin: −(β × WoE + α / n) × factor + offset / n, then each characteristic shifted so its
    // worst bin scores 0, the shifts gathered in base_points.
    let n = chosen.len() as f64;
    let (factor, offset) = (opts.factor(), opts.offset());
    let raw = |beta: f64, woe: f64| -(beta * woe + model.intercept / n) * factor + offset / n;
    let mut base = 0.0;
    let mut points: Vec<Vec<i64>> = Vec::new();
    for (b, beta, _) in &chosen {
        let p: Vec<f64> = b.bins.iter().map(|bin| raw(*beta, bin.woe)).collect();
        // A missing value with no missing bin scores as WoE 0.
        let neutral = raw(*beta, 0.0);
        let floor = p.iter().copied().fold(neutral, f64::min);
        base += floor;
        points.push(p.iter().map(|x| (x - floor).round() as i64).collect());
        points
            .last_mut()
            .expect("pushed")
            .push((neutral - floor).round() as i64);
    }
    let toml = card_toml(opts, &chosen, &points, base.round() as i64);
    let card = super::Scorecard::parse(&toml).map_err(|e| FitError::Regression(e.to_string()))?;
    let rank = |t: &Table, y: &[bool]| -> Option<Ranking> {
        let obs: Vec<Obs> = (0..y.len())
            .map(|i| Obs {
                score: f64::from(card.score_row(&|name| cell(t, name, i)).score),
                bad: y[i],
            })
            .collect();
        Ranking::of(&obs)
    };
    let train_rank = rank(&train, &y);
    let test_rank = test.as_ref().and_then(|(t, ty)| rank(t, ty));
    // The card embeds its development distribution (for PSI monitoring) and its test figures.
    let dev: Vec<f64> = (0..y.len())
        .map(|i| f64::from(card.score_row(&|name| cell(&train, name, i)).score))
        .collect();
    let edges = metrics::quantile_edges(&dev, 10);
    let shares = metrics::shares(&dev, &edges);
    let mut toml = toml;
    let list = |v: &[f64]| {
        v.iter()
            .map(|x| decimal_text(*x))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = write!(
        toml,
        "\n[development]\nrows = {}\nedges = [{}]\nshares = [{}]\n",
        y.len(),
        list(&edges),
        list(
            &shares
                .iter()
                .map(|s| (s * 1e6).round() / 1e6)
                .collect::<Vec<_>>()
        )
    );
    if let Some((r, (t, _))) = test_rank.as_ref().zip(test.as_ref()) {
        let _ = write!(
            toml,
            "\n[validation]\ndata = {}\nrows = {}\nbads = {}\nauc = {:.4}\ngini = {:.4}\nks = {:.4}\n",
            quoted(&format!("{} (test: {} rows)", opts.data, t.rows())),
            r.rows,
            r.bads,
            r.auc,
            r.gini,
            r.ks
        );
    }
    super::Scorecard::parse(&toml).map_err(|e| FitError::Regression(e.to_string()))?;
    progress(steps, steps, "done");
    Ok(Fitted {
        binnings: binnings.into_iter().map(|(b, _)| b).collect(),
        selection,
        model,
        train: train_rank,
        test: test_rank,
        skipped,
        toml,
    })
}

/// Row `i`'s value of column `name` as the card reads it.
pub fn cell(t: &Table, name: &str, i: usize) -> Option<crate::domain::features::IndicatorValue> {
    use crate::domain::features::IndicatorValue;
    match t.column(name)? {
        Column::Number(v) => v[i]
            .and_then(|x| rust_decimal::Decimal::from_str_exact(&decimal_text(x)).ok())
            .map(IndicatorValue::Number),
        Column::Text(v) => v[i].clone().map(IndicatorValue::Code),
    }
}

/// The card as TOML: characteristics in order of IV, each bin with its points, the missing bin, the
/// scaling and the expert card's grade cut-offs (the same 300–900 scale, so a grade means the same).
fn card_toml(
    opts: &FitOptions,
    chosen: &[(&Binning, f64, usize)],
    points: &[Vec<i64>],
    base: i64,
) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "# Fitted by `credithub scorecard fit` on {}: WoE binning, logistic regression on the WoE values,\n\
         # points scaled so that {} points are good:bad odds of {}:1 and {} points double the odds.\n\
         # Score = base_points + the points of each characteristic, clamped to 300–900.\n",
        if opts.data.is_empty() { "a table" } else { &opts.data },
        opts.base_score,
        opts.base_odds,
        opts.pdo
    );
    let _ = writeln!(t, "version = {}", quoted(&opts.version));
    if !opts.hub_inputs {
        t.push_str("inputs = \"columns\"\n");
    }
    t.push_str("min_score = 300\nmax_score = 900\n\n");
    // The shipped card's cut-offs, so a grade means the same score on either card.
    t.push_str("grades = [\n");
    for g in &super::Scorecard::default_card().grades {
        let _ = writeln!(
            t,
            "  {{ grade = \"{}\", min_score = {} }},",
            g.grade, g.min_score
        );
    }
    t.push_str("]\n\n");
    let _ = writeln!(
        t,
        "[scaling]\nbase_score = {}\nbase_odds = {}\npdo = {}\nbase_points = {base}\n",
        decimal_text(opts.base_score),
        decimal_text(opts.base_odds),
        decimal_text(opts.pdo)
    );
    for ((b, beta, _), pts) in chosen.iter().zip(points) {
        let code = reason_code(&b.name);
        let _ = writeln!(t, "[[characteristics]]\nindicator = {}", quoted(&b.name));
        if !opts.hub_inputs {
            let _ = writeln!(
                t,
                "kind = \"{}\"",
                if b.numeric { "number" } else { "code" }
            );
        }
        let _ = writeln!(
            t,
            "reason = {}\nzh = {}\nen = {}\niv = {:.4}\ncoefficient = {:.6}",
            quoted(&code),
            quoted(&format!("「{}」为{{value}}，低于最优分箱", b.name)),
            quoted(&format!("{} is {{value}}, below its best bin", b.name)),
            b.iv,
            beta
        );
        let neutral = pts[pts.len() - 1];
        let missing = b.bins.iter().position(|x| x.range == Range::Missing);
        let missing_points = missing.map_or(neutral, |k| pts[k]);
        let _ = writeln!(
            t,
            "missing = {{ points = {missing_points}, reason = {}, zh = {}, en = {} }}",
            quoted(&format!("NO_{code}")),
            quoted(&format!("「{}」缺失", b.name)),
            quoted(&format!("{} is missing", b.name))
        );
        t.push_str("bins = [\n");
        for (bin, p) in b.bins.iter().zip(pts) {
            match &bin.range {
                Range::Numbers { below: Some(e) } => {
                    let _ = writeln!(t, "  {{ below = \"{}\", points = {p} }},", decimal_text(*e));
                }
                Range::Numbers { below: None } => {
                    let _ = writeln!(t, "  {{ points = {p} }},");
                }
                Range::Codes { codes } => {
                    let list: Vec<String> = codes.iter().map(|c| quoted(c)).collect();
                    let _ = writeln!(t, "  {{ codes = [{}], points = {p} }},", list.join(", "));
                }
                Range::Missing => {}
            }
        }
        t.push_str("]\n\n");
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A synthetic table with a known logistic truth: risk rises with `debt`, falls with `years`,
    /// depends on `sector`, and `noise` carries nothing.
    fn synthetic(n: usize, seed: u64) -> (String, Vec<f64>, Vec<bool>) {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut csv = String::from("id,debt,years,sector,noise,target\n");
        let (mut truth, mut ys) = (Vec::new(), Vec::new());
        for i in 0..n {
            let debt: f64 = rng.random_range(0.0..1.0);
            let years: f64 = rng.random_range(0.0..20.0);
            let sector = ["farm", "shop", "tech"][rng.random_range(0..3)];
            let s = match sector {
                "farm" => 0.4,
                "shop" => 0.0,
                _ => -0.5,
            };
            let z = -2.5 + 2.5 * debt - 0.08 * years + s;
            let p = logistic::sigmoid(z);
            let y = rng.random_bool(p);
            let noise: f64 = rng.random_range(0.0..1.0);
            let debt_cell = if rng.random_range(0..25) == 0 {
                String::new()
            } else {
                format!("{debt:.4}")
            };
            let _ = writeln!(
                csv,
                "{i},{debt_cell},{years:.1},{sector},{noise:.4},{}",
                if y { "bad" } else { "good" }
            );
            truth.push(-p);
            ys.push(y);
        }
        (csv, truth, ys)
    }

    #[test]
    fn recovers_the_ranking_of_a_known_logistic_truth() {
        let (train, _, _) = synthetic(8_000, 1);
        let (test, truth, ys) = synthetic(4_000, 2);
        let train = Table::from_csv(train.as_bytes()).unwrap();
        let test = Table::from_csv(test.as_bytes()).unwrap();
        let mut opts = FitOptions::new("target", "fit-test.1");
        opts.exclude = vec!["id".into()];
        let f = fit(&train, Some(&test), &opts, &|_, _, _| {}).unwrap();
        let true_obs: Vec<Obs> = truth
            .iter()
            .zip(&ys)
            .map(|(s, b)| Obs { score: *s, bad: *b })
            .collect();
        let true_auc = metrics::auc(&true_obs).unwrap();
        let got = f.test.unwrap();
        assert!(
            (got.auc - true_auc).abs() < 0.02,
            "fitted test AUC {} vs true {}",
            got.auc,
            true_auc
        );
        // The noise column falls below the IV floor; the others carry the model.
        let sel = |n: &str| f.selection.iter().find(|s| s.name == n).unwrap();
        assert!(!sel("noise").kept);
        assert!(sel("debt").kept && sel("years").kept && sel("sector").kept);
        assert!(!f.selection.iter().any(|s| s.name == "id"));
        // The card loads, scores its own rows within the scale, and says where it was validated.
        let card = super::super::Scorecard::parse(&f.toml).unwrap();
        assert!(f.toml.contains("[validation]") && f.toml.contains("[development]"));
        let s = card.score_row(&|name| cell(&test, name, 0));
        assert!((300..=900).contains(&s.score));
        // Deterministic: the same fit twice gives the same card.
        let again = fit(&train, Some(&test), &opts, &|_, _, _| {}).unwrap();
        assert_eq!(f.toml, again.toml);
    }

    #[test]
    fn targets_as_numbers_or_labels() {
        let t = Table::from_csv(b"a,y,z\n1,0,good\n2,1,bad\n3,,bad\n").unwrap();
        assert_eq!(
            t.target("y", None).unwrap(),
            vec![Some(false), Some(true), None]
        );
        assert_eq!(
            t.target("z", None).unwrap(),
            vec![Some(false), Some(true), Some(true)]
        );
        assert_eq!(t.target("y", Some("0")).unwrap()[0], Some(true));
        let e = t.target("a", None).unwrap_err();
        assert!(e.to_string().contains("exactly two values"), "{e}");
        assert!(matches!(t.target("q", None), Err(FitError::NoColumn(_))));
        let u = Table::from_csv(b"y\nyes\nno\n").unwrap();
        assert!(u
            .target("y", None)
            .unwrap_err()
            .to_string()
            .contains("--bad-value"));
    }
}
