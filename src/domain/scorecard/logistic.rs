//! Logistic regression by Newton's method (iteratively reweighted least squares), written here: a
//! scorecard has tens of WoE columns, so each step is a small dense system solved by Cholesky, with a
//! tiny ridge so that a column that separates perfectly cannot send a coefficient to infinity. No BLAS,
//! no extra build, the same answer on every machine.

/// A fitted model: `logit P(y = 1) = intercept + Σ coef_j × x_j`.
#[derive(Debug, Clone, PartialEq)]
pub struct Logit {
    pub intercept: f64,
    pub coef: Vec<f64>,
    pub iterations: usize,
    pub converged: bool,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LogitError {
    #[error("the target holds one class only")]
    OneClass,
    #[error("no rows")]
    Empty,
    #[error("the system is singular")]
    Singular,
}

pub fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

impl Logit {
    pub fn predict(&self, x: &[f64]) -> f64 {
        sigmoid(self.intercept + self.coef.iter().zip(x).map(|(b, v)| b * v).sum::<f64>())
    }
}

/// Solve `a x = b` for a symmetric positive definite `a` (row-major, n × n) by Cholesky.
fn cholesky_solve(a: &[f64], b: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum();
            if i == j {
                let d = a[i * n + i] - s;
                if d <= 0.0 || !d.is_finite() {
                    return None;
                }
                l[i * n + i] = d.sqrt();
            } else {
                l[i * n + j] = (a[i * n + j] - s) / l[j * n + j];
            }
        }
    }
    let mut y = vec![0.0; n];
    for i in 0..n {
        let s: f64 = (0..i).map(|k| l[i * n + k] * y[k]).sum();
        y[i] = (b[i] - s) / l[i * n + i];
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let s: f64 = (i + 1..n).map(|k| l[k * n + i] * x[k]).sum();
        x[i] = (y[i] - s) / l[i * n + i];
    }
    Some(x)
}

#[allow(clippy::needless_range_loop)] // rows and targets share the index
/// Fit on rows `x` (each of the same width) and targets `y` (1 = the event). `ridge` is added to the
/// diagonal of every coefficient but the intercept.
pub fn fit(x: &[Vec<f64>], y: &[bool], ridge: f64) -> Result<Logit, LogitError> {
    let n = x.len();
    if n == 0 {
        return Err(LogitError::Empty);
    }
    let events = y.iter().filter(|v| **v).count();
    if events == 0 || events == n {
        return Err(LogitError::OneClass);
    }
    let p = x[0].len() + 1;
    // Start at the base rate.
    let rate = events as f64 / n as f64;
    let mut beta = vec![0.0; p];
    beta[0] = (rate / (1.0 - rate)).ln();
    let row = |i: usize, k: usize| if k == 0 { 1.0 } else { x[i][k - 1] };
    let mut iterations = 0;
    let mut converged = false;
    while iterations < 50 {
        iterations += 1;
        let mut h = vec![0.0; p * p];
        let mut g = vec![0.0; p];
        for i in 0..n {
            let z: f64 = (0..p).map(|k| beta[k] * row(i, k)).sum();
            let mu = sigmoid(z);
            let w = (mu * (1.0 - mu)).max(1e-10);
            let r = f64::from(u8::from(y[i])) - mu;
            for a in 0..p {
                let xa = row(i, a);
                g[a] += xa * r;
                for b in 0..=a {
                    h[a * p + b] += w * xa * row(i, b);
                }
            }
        }
        for a in 0..p {
            for b in 0..a {
                h[b * p + a] = h[a * p + b];
            }
            if a > 0 {
                h[a * p + a] += ridge;
                g[a] -= ridge * beta[a];
            }
        }
        let step = cholesky_solve(&h, &g, p).ok_or(LogitError::Singular)?;
        let size = step.iter().fold(0.0f64, |m, s| m.max(s.abs()));
        for k in 0..p {
            beta[k] += step[k];
        }
        if size < 1e-9 {
            converged = true;
            break;
        }
    }
    Ok(Logit {
        intercept: beta[0],
        coef: beta[1..].to_vec(),
        iterations,
        converged,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn one_binary_column_has_the_closed_form() {
        // x = 0: 10 events in 40; x = 1: 30 in 40. The MLE is the log odds per group:
        // intercept ln(10/30), slope ln(30/10) − ln(10/30) = 2 ln 3.
        let mut x = Vec::new();
        let mut y = Vec::new();
        for (v, events) in [(0.0, 10), (1.0, 30)] {
            for k in 0..40 {
                x.push(vec![v]);
                y.push(k < events);
            }
        }
        let m = fit(&x, &y, 0.0).unwrap();
        assert!(m.converged);
        assert!((m.intercept - (1.0f64 / 3.0).ln()).abs() < 1e-8);
        assert!((m.coef[0] - 2.0 * 3.0f64.ln()).abs() < 1e-8);
    }

    #[test]
    fn recovers_known_coefficients() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let truth = (-1.0, [0.8, -1.5]);
        let mut x = Vec::new();
        let mut y = Vec::new();
        for _ in 0..20_000 {
            let a: f64 = rng.random_range(-2.0..2.0);
            let b: f64 = rng.random_range(-2.0..2.0);
            let p = sigmoid(truth.0 + truth.1[0] * a + truth.1[1] * b);
            x.push(vec![a, b]);
            y.push(rng.random_bool(p));
        }
        let m = fit(&x, &y, 1e-6).unwrap();
        assert!((m.intercept - truth.0).abs() < 0.08, "{m:?}");
        assert!((m.coef[0] - truth.1[0]).abs() < 0.08, "{m:?}");
        assert!((m.coef[1] - truth.1[1]).abs() < 0.08, "{m:?}");
    }

    #[test]
    fn refuses_one_class_and_survives_separation() {
        assert_eq!(
            fit(&[vec![1.0], vec![2.0]], &[true, true], 0.0),
            Err(LogitError::OneClass)
        );
        // Perfect separation: the ridge keeps the coefficient finite.
        let x: Vec<Vec<f64>> = (0..20).map(|i| vec![f64::from(i)]).collect();
        let y: Vec<bool> = (0..20).map(|i| i >= 10).collect();
        let m = fit(&x, &y, 1e-3).unwrap();
        assert!(m.coef[0].is_finite() && m.coef[0] > 0.0);
    }
}
