//! `credithub scorecard …` (issue 19): fit a card on any CSV or on the hub's outcomes, score a CSV with
//! a card, validate the registered cards on the hub's outcomes. Parses, calls the domain or the
//! service, prints.

use anyhow::Context as _;
use clap::Subcommand;
use credithub::domain::scorecard::binning::Range;
use credithub::domain::scorecard::fit::{self, FitOptions, Fitted, Table};
use credithub::domain::scorecard::Scorecard;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum ScorecardCommand {
    /// Fit a scorecard: WoE binning, IV selection, logistic regression, points scaling; writes a TOML
    /// the hub loads, and prints the binning table, IVs, coefficients and test metrics.
    Fit {
        /// The training data: a CSV with a header (numbers and text; empty, NA, null are missing).
        #[arg(
            long,
            required_unless_present = "from_hub",
            conflicts_with = "from_hub"
        )]
        data: Option<PathBuf>,
        /// The target column (0/1, or labels such as good/bad).
        #[arg(long, default_value = "bad")]
        target: String,
        /// Which target value is bad (default: 1 for 0/1, `bad` for good/bad labels).
        #[arg(long)]
        bad_value: Option<String>,
        /// Test data; without it, a share of the rows is held out (--test-share, by --seed).
        #[arg(long)]
        test: Option<PathBuf>,
        /// Fit on the hub's own loan outcomes (the database configured) instead of a CSV.
        #[arg(long)]
        from_hub: bool,
        /// With --from-hub: register the fitted card as a challenger.
        #[arg(long, requires = "from_hub")]
        register: bool,
        /// Where to write the card.
        #[arg(long)]
        out: PathBuf,
        /// The new card's version (default: fitted-<date>).
        #[arg(long)]
        version: Option<String>,
        /// Columns not to use (ids, dates); repeat or separate with commas.
        #[arg(long, value_delimiter = ',')]
        exclude: Vec<String>,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        #[arg(long, default_value_t = 0.3)]
        test_share: f64,
        /// The least share of rows a bin holds.
        #[arg(long, default_value_t = 0.05)]
        min_bin_share: f64,
        #[arg(long, default_value_t = 8)]
        max_bins: usize,
        /// Characteristics with a lower information value are dropped.
        #[arg(long, default_value_t = 0.02)]
        iv_floor: f64,
        /// Of two characteristics whose WoE correlate above this, the one with less IV goes.
        #[arg(long, default_value_t = 0.7)]
        correlation_ceiling: f64,
        #[arg(long, default_value_t = 600.0)]
        base_score: f64,
        /// Good:bad odds at the base score.
        #[arg(long, default_value_t = 30.0)]
        base_odds: f64,
        /// Points to double the odds.
        #[arg(long, default_value_t = 50.0)]
        pdo: f64,
        /// With --from-hub: the performance window in months.
        #[arg(long, default_value_t = 12)]
        window_months: u32,
    },
    /// Score every row of a CSV with a card: the rows in order with score, grade and reason codes.
    Score {
        #[arg(long)]
        scorecard: PathBuf,
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Validate the champion and challengers (or a card from a file) on the hub's loan outcomes.
    Validate {
        /// A card to validate beside the registered ones.
        #[arg(long)]
        scorecard: Option<PathBuf>,
        /// Loans disbursed from this day (YYYY-MM-DD).
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        to: Option<String>,
        #[arg(long, default_value_t = 12)]
        window_months: u32,
        /// Write the full figures as JSON here.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Write the figures as a workbook here.
        #[arg(long)]
        xlsx: Option<PathBuf>,
    },
    /// Write the hub's loan outcomes with the indicators at each decision as a CSV (what --from-hub
    /// fits on).
    Export {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 12)]
        window_months: u32,
    },
}

fn bar(len: u64) -> ProgressBar {
    ProgressBar::new(len).with_style(
        ProgressStyle::with_template("{msg:24} [{bar:40}] {pos}/{len} steps ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    )
}

fn read_table(p: &PathBuf) -> anyhow::Result<Table> {
    let bytes = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
    Table::from_csv(&bytes).with_context(|| format!("reading {}", p.display()))
}

/// Print the binning table, IVs, coefficients and metrics of a fit.
pub fn print_fit(f: &Fitted, seconds: f64) {
    println!("\ncharacteristics by information value:");
    println!(
        "  {:<28} {:>8}  {:<10} {:>12}",
        "column", "IV", "kept", "coefficient"
    );
    let mut sel = f.selection.clone();
    sel.sort_by(|a, b| b.iv.total_cmp(&a.iv));
    for s in &sel {
        println!(
            "  {:<28} {:>8.4}  {:<10} {:>12}",
            s.name,
            s.iv,
            if s.kept {
                "yes"
            } else {
                s.dropped.as_deref().unwrap_or("no")
            },
            s.coefficient.map_or(String::new(), |c| format!("{c:.4}"))
        );
    }
    println!("\nbinning of the kept characteristics (WoE = ln(%good / %bad)):");
    for b in &f.binnings {
        if !sel.iter().any(|s| s.kept && s.name == b.name) {
            continue;
        }
        println!(
            "  {} (IV {:.4}{})",
            b.name,
            b.iv,
            if b.numeric && !b.monotonic {
                ", not monotonic"
            } else {
                ""
            }
        );
        let mut lower: Option<f64> = None;
        for bin in &b.bins {
            let label = match &bin.range {
                Range::Numbers { below } => {
                    let l = format!(
                        "[{}, {})",
                        lower.map_or("-inf".into(), |x| format!("{x}")),
                        below.map_or("+inf".into(), |x| format!("{x}"))
                    );
                    lower = *below;
                    l
                }
                Range::Codes { codes } => codes.join(","),
                Range::Missing => "missing".into(),
            };
            println!(
                "    {:<34} rows {:>7}  bad {:>6}  bad rate {:>6.2}%  WoE {:>7.3}",
                label,
                bin.rows(),
                bin.bads,
                bin.bad_rate() * 100.0,
                bin.woe
            );
        }
    }
    println!(
        "\nintercept {:.4} ({} iterations{})",
        f.model.intercept,
        f.model.iterations,
        if f.model.converged {
            ""
        } else {
            ", not converged"
        }
    );
    for (name, r) in [("train", f.train), ("test", f.test)] {
        if let Some(r) = r {
            println!(
                "{name:<5}: {} rows, {} bad; AUC {:.4}, Gini {:.4}, KS {:.4}",
                r.rows, r.bads, r.auc, r.gini, r.ks
            );
        }
    }
    if f.skipped > 0 {
        println!("{} row(s) without a target left out", f.skipped);
    }
    println!("fitted in {seconds:.2} s");
}

pub fn fit_csv(
    data: &PathBuf,
    test: Option<&PathBuf>,
    out: &PathBuf,
    opts: FitOptions,
) -> anyhow::Result<()> {
    let t = std::time::Instant::now();
    let train = read_table(data)?;
    let test = test.map(read_table).transpose()?;
    let pb = bar(1);
    let f = fit::fit(&train, test.as_ref(), &opts, &|done, total, what| {
        pb.set_length(total as u64);
        pb.set_position(done as u64);
        pb.set_message(what.to_string());
    })?;
    pb.finish_and_clear();
    std::fs::write(out, &f.toml).with_context(|| format!("writing {}", out.display()))?;
    print_fit(&f, t.elapsed().as_secs_f64());
    println!("card {} written to {}", opts.version, out.display());
    Ok(())
}

/// Score every row of `data` with the card; the rows in order with score, grade and reasons.
pub fn score_csv(card: &PathBuf, data: &PathBuf, out: &PathBuf) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(card).with_context(|| format!("reading {}", card.display()))?;
    let card = Scorecard::parse(&text)?;
    let bytes = std::fs::read(data).with_context(|| format!("reading {}", data.display()))?;
    let table = Table::from_csv(&bytes)?;
    let missing: Vec<&str> = card
        .characteristics
        .iter()
        .map(|c| c.indicator.as_str())
        .filter(|n| table.column(n).is_none())
        .collect();
    if !missing.is_empty() {
        anyhow::bail!(
            "{} lacks the column(s) the card scores: {}",
            data.display(),
            missing.join(", ")
        );
    }
    let mut rd = csv::ReaderBuilder::new()
        .from_reader(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes));
    let mut head = rd.headers()?.clone();
    for h in ["score", "grade", "reasons"] {
        head.push_field(h);
    }
    let mut w =
        csv::Writer::from_path(out).with_context(|| format!("writing {}", out.display()))?;
    w.write_record(&head)?;
    for (i, rec) in rd.records().enumerate() {
        let mut rec = rec?;
        let s = card.score_row(&|name| fit::cell(&table, name, i));
        let reasons: Vec<String> = s.reasons.iter().map(|r| r.code.clone()).collect();
        rec.push_field(&s.score.to_string());
        rec.push_field(&s.grade.to_string());
        rec.push_field(&reasons.join(" "));
        w.write_record(&rec)?;
    }
    w.flush()?;
    println!(
        "{} rows scored with {} into {}",
        table.rows(),
        card.version,
        out.display()
    );
    Ok(())
}

/// Print a validation per card.
pub fn print_validation(items: &[credithub::domain::scorecard::validation::Validation]) {
    for v in items {
        println!(
            "\n{}: {} loans ({} bad, {} good, {} indeterminate), window {} months",
            v.version, v.loans, v.bad, v.good, v.indeterminate, v.window_months
        );
        if let Some(r) = v.ranking {
            println!("  AUC {:.4}  Gini {:.4}  KS {:.4}", r.auc, r.gini, r.ks);
        }
        println!("  bad rate by grade:");
        for g in &v.by_grade {
            println!(
                "    {:<4} loans {:>6}  bad {:>5}  {:>6.2}% (95% CI {:.2}–{:.2}%)",
                g.label,
                g.loans,
                g.bads,
                g.bad_rate * 100.0,
                g.ci_low * 100.0,
                g.ci_high * 100.0
            );
        }
        let st = &v.stability;
        println!(
            "  PSI {} ({} bins; development {}..{} {} loans, recent {}..{} {} loans)",
            st.psi.map_or("—".into(), |p| format!("{p:.4}")),
            st.psi_bins,
            st.development_from,
            st.development_to,
            st.development_loans,
            st.recent_from,
            st.recent_to,
            st.recent_loans
        );
        if !v.flags.is_empty() {
            println!("  flags: {}", v.flags.join(", "));
        }
    }
}
