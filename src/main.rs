//! The `credithub` command line: serve, migrate, demo, ingest, pull, recompute, simulate-upstreams, keys.

mod scorecard_cli;
use anyhow::Context;
use clap::{Parser, Subcommand};
use credithub::config::StoreConfig;
use credithub::demo;
use credithub::domain::month::Month;
use credithub::domain::role::Role;
use credithub::profile::Profiles;
use credithub::startup::{open_db, open_profiles, Application, Config};
use credithub::store::{keys, Db};
use indicatif::{ProgressBar, ProgressStyle};

/// mimalloc: the request path allocates and frees many small buffers on two or more worker threads;
/// glibc's malloc spent over a tenth of the server's time there under load (perf, profile_bank.sh).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "credithub",
    version,
    about = "Financing-match and credit data hub for SMEs"
)]
struct Cli {
    #[command(flatten)]
    store: StoreConfig,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run migrations and serve the HTTP API.
    Serve {
        /// Address to listen on; `PORT` alone listens on 127.0.0.1:$PORT.
        #[arg(long, env = "CREDITHUB_BIND")]
        bind: Option<String>,
        /// Seed the demo data set first (as `credithub demo` does) and print fresh demo keys.
        #[arg(long)]
        demo: bool,
        /// Demo firms to seed with --demo.
        #[arg(long, default_value_t = 2000)]
        demo_firms: u64,
        #[command(flatten)]
        body_limits: credithub::config::BodyLimits,
        #[command(flatten)]
        web: credithub::web::WebConfig,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Seed a realistic demo data set and mint one API key per role.
    Demo {
        /// How many firms (up to 1,000,000).
        #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
        firms: u64,
        /// Seed of the generator; the same seed gives the same firms.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Where to write the keys as `export VAR=…` lines.
        #[arg(long, default_value = "./data/demo-keys.env")]
        keys_file: std::path::PathBuf,
        /// Register the firms and keys only; do not pull signals from the simulated upstreams.
        #[arg(long)]
        skip_signals: bool,
    },
    /// Ingest a CSV or NDJSON file of signals for one source, with a progress bar.
    Ingest {
        /// tax, social_insurance, utility, customs or public_credit.
        #[arg(long)]
        source: String,
        /// csv or ndjson; by default from the file's extension.
        #[arg(long)]
        format: Option<String>,
        file: std::path::PathBuf,
    },
    /// Pull signals from the upstream feeds through the connectors, from each source's saved cursor.
    Pull {
        /// tax, social_insurance, utility, customs, public_credit or all.
        #[arg(long, default_value = "all")]
        source: String,
        #[command(flatten)]
        upstream: UpstreamArgs,
        /// Records per page (one ingestion run per page).
        #[arg(long, default_value_t = 5000)]
        page_size: u32,
        /// Forget the saved cursor(s) and pull from the start (stored values are deduplicated).
        #[arg(long)]
        from_start: bool,
    },
    /// Serve the simulated upstream feeds (the stand-in for the real tax, social-insurance, utility,
    /// customs and public-credit feeds) for the demo firms.
    SimulateUpstreams {
        #[arg(long, default_value = "127.0.0.1:8090")]
        bind: String,
        /// Demo firms to serve histories for (the same firms `demo --firms N --seed S` registers).
        #[arg(long, default_value_t = 2000)]
        firms: u64,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
    /// Recompute credit profiles (one snapshot per firm and month where anything changed), with a
    /// progress bar.
    #[command(group(clap::ArgGroup::new("which").required(true).args(["all", "firm"])))]
    Recompute {
        /// Every registered firm.
        #[arg(long)]
        all: bool,
        /// One firm (repeat for several).
        #[arg(long)]
        firm: Vec<String>,
        /// The month the indicators end with; default the last complete month (China Standard Time).
        #[arg(long)]
        as_of: Option<String>,
        /// Also the months before it: a history of this many monthly snapshots ending at --as-of.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=120))]
        months: u32,
    },
    /// Manage API keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Manage people's accounts (sign-in on the pages); acts as the platform's administrator.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// The government's reports (acts as the platform's administrator).
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// Fit, score with and validate scorecards (issue 19); the hub's side acts as the administrator.
    Scorecard {
        #[command(subcommand)]
        command: scorecard_cli::ScorecardCommand,
    },
}

#[derive(Subcommand)]
enum ReportCommand {
    /// The yearly SME development report (Art 62-63) as an XLSX workbook (or JSON, by the extension),
    /// with a progress bar.
    Yearly {
        /// The calendar year; default this year so far.
        #[arg(long)]
        year: Option<i32>,
        /// report.xlsx, or report.json.
        #[arg(long)]
        out: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Create a firm's account, or a bank's, an agency's or a government department's staff account,
    /// and print its one-time activation link (valid 72 hours).
    Create {
        /// The firm's USCC (it must be registered).
        #[arg(
            long,
            required_unless_present = "institution",
            conflicts_with = "institution"
        )]
        firm: Option<String>,
        /// Or the institution the person works for (its name or id): staff act for it on its pages.
        #[arg(long)]
        institution: Option<String>,
        /// The institution's kind (bank, guarantor, government): needed when it is new.
        #[arg(long, requires = "institution")]
        kind: Option<String>,
        /// The sign-in name: 3-64 letters, digits, '.', '_', '-' or '@'.
        #[arg(long)]
        login: String,
        /// The person's name as shown on the pages.
        #[arg(long)]
        name: String,
        /// owner (grants consents, applies, invites members) or member (reads).
        #[arg(long, default_value = "owner")]
        role: String,
        /// Where the pages are served, for the printed link.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        base_url: String,
    },
    /// Print a new one-time link for an account (a lost password, or an expired activation link).
    Reset {
        #[arg(long)]
        login: String,
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        base_url: String,
    },
    /// Suspend an account: its sessions and links end now.
    Suspend {
        #[arg(long)]
        login: String,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Mint a key and print it once (only its hash is stored).
    Create {
        /// bank, guarantor, government, firm or admin.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// The institution's name (bank, guarantor, government); created if new.
        #[arg(long)]
        institution: Option<String>,
        /// The firm's USCC (firm keys).
        #[arg(long)]
        firm: Option<String>,
        #[arg(long)]
        label: Option<String>,
    },
    /// List keys (never their secrets).
    List,
    /// Revoke a key by id or shown prefix.
    Revoke { id: String },
}

#[derive(clap::Args, Clone)]
struct UpstreamArgs {
    /// Base URL of the upstream feeds (or of `credithub simulate-upstreams`).
    #[arg(
        long = "upstream",
        env = "CREDITHUB_UPSTREAM_URL",
        default_value = "http://127.0.0.1:8090"
    )]
    url: String,
    #[arg(
        long,
        env = "CREDITHUB_UPSTREAM_CLIENT_ID",
        default_value = "credithub"
    )]
    client_id: String,
    #[arg(
        long,
        env = "CREDITHUB_UPSTREAM_CLIENT_SECRET",
        default_value = "demo-secret",
        hide_env_values = true
    )]
    client_secret: String,
}

fn upstream_client(u: &UpstreamArgs) -> credithub_integrations::client::Client {
    credithub_integrations::client::Client::new(
        &u.url,
        credithub_integrations::client::Credentials {
            client_id: u.client_id.clone(),
            client_secret: u.client_secret.clone(),
        },
        std::time::Duration::from_secs(30),
    )
}

/// Pull the given sources with a progress line each; prints what every source brought.
async fn pull_sources(
    db: &Db,
    client: &credithub_integrations::client::Client,
    sources: &[credithub_integrations::SourceId],
    page_size: u32,
) -> anyhow::Result<Vec<String>> {
    let mut touched = std::collections::BTreeSet::new();
    for &id in sources {
        let bar = ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        bar.set_message(format!("pulling {}", id.name()));
        let report = credithub::ingest::pull::pull_source(db, client, id, page_size, &|r| {
            bar.set_message(format!(
                "pulling {}: page {}, {} rows received, {} quarantined",
                id.name(),
                r.pages,
                r.total(|x| x.received),
                r.total(|x| x.quarantined)
            ))
        })
        .await;
        bar.finish_and_clear();
        let report = report.with_context(|| format!("pulling {}", id.name()))?;
        println!(
            "{:<17} {:>3} pages  received {:>8}  accepted {:>8}  duplicate {:>7}  quarantined {:>6}  cursor {}",
            id.name(),
            report.pages,
            report.total(|r| r.received),
            report.total(|r| r.accepted),
            report.total(|r| r.duplicate),
            report.total(|r| r.quarantined),
            report.cursor
        );
        touched.extend(report.firms);
    }
    Ok(touched.into_iter().collect())
}

/// The profile service for a command: the configured card, the database and the cache.
fn default_as_of() -> Month {
    Month::last_complete(credithub::clock::system::today_cst())
}

/// Recompute profiles with a progress bar and print what it did.
async fn recompute_with_bar(
    profiles: &Profiles,
    firms: Vec<String>,
    months: Vec<Month>,
    cause: &str,
) -> anyhow::Result<()> {
    if firms.is_empty() {
        return Ok(());
    }
    let span = match (months.iter().min(), months.iter().max()) {
        (Some(a), Some(b)) if a != b => format!("{a}..{b}"),
        (Some(a), _) => a.to_string(),
        _ => return Ok(()),
    };
    let bar = ProgressBar::new(firms.len() as u64).with_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} firms ({per_sec}, eta {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(format!("profiles as of {span}"));
    let clock = std::time::Instant::now();
    let report = profiles
        .recompute(firms, months, cause, &|n| bar.set_position(n))
        .await;
    bar.finish_and_clear();
    let report = report?;
    let secs = clock.elapsed().as_secs_f64();
    println!(
        "profiles as of {span}: {} firms in {:.1} s ({:.0} firms/s); {} snapshots stored, {} unchanged",
        report.firms,
        secs,
        report.firms as f64 / secs.max(1e-9),
        report.stored,
        report.unchanged
    );
    Ok(())
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s)
        .ok_or_else(|| "expected one of bank, guarantor, government, firm, admin".to_string())
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,actix_server=warn"));
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    if std::env::var("CREDITHUB_LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

fn run_demo(
    db: &Db,
    firms: u64,
    seed: u64,
    keys_file: &std::path::Path,
    rt: &tokio::runtime::Runtime,
    pull_signals: bool,
    profiles: &Profiles,
) -> anyhow::Result<()> {
    let bar = ProgressBar::new(firms).with_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} firms ({per_sec}, eta {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message("seeding demo firms");
    let report = demo::seed(db, firms, seed, &|n| bar.set_position(n))?;
    bar.finish();
    // Signals come the way production's do: from the upstream feeds, through the connectors, over HTTP.
    rt.block_on(async {
        if !pull_signals {
            return Ok(());
        }
        let sim = credithub_integrations::simulator::start(
            credithub_integrations::simulator::SimConfig::new(demo::sim_firms(seed, firms)),
            "127.0.0.1:0",
        )?;
        println!(
            "demo: pulling 36 months of signals per firm from the simulated upstreams at {}",
            sim.base_url
        );
        let client = upstream_client(&UpstreamArgs {
            url: sim.base_url.clone(),
            client_id: "credithub".into(),
            client_secret: "demo-secret".into(),
        });
        let result = pull_sources(db, &client, &credithub_integrations::SourceId::ALL, 5000).await;
        sim.handle.stop(true).await;
        let firms = result?;
        // A year of monthly profiles, so history and as-of queries have something to show.
        let last = default_as_of();
        let months = (0..12).rev().map(|i| last.plus(-i)).collect();
        recompute_with_bar(profiles, firms, months, "demo").await
    })?;
    println!(
        "demo: {} firms ({} new), institutions and keys ready",
        report.firms_total, report.firms_new
    );
    println!(
        "demo keys (shown once; also written to {}):",
        keys_file.display()
    );
    for k in &report.keys {
        println!(
            "  {:<14} {:<10} {:<70} {}",
            k.var, k.role, k.owner, k.secret
        );
    }
    println!("  FIRM_USCC      {}", report.first_firm);
    if let (Some(g), Some(d)) = (&report.growing_firm, &report.distressed_firm) {
        println!("  GROWING_USCC   {g}   (a growing firm's history)");
        println!("  DISTRESSED_USCC {d}  (a distressed firm's history)");
    }
    rt.block_on(async {
        let ctx = credithub::service::Context::new(db.clone(), profiles.clone())?;
        demo::seed_public_money(&ctx).await?;
        if pull_signals {
            let n = demo::seed_outcomes(&ctx, seed).await?;
            println!(
                "demo: {n} days-past-due reports on the loans that went bad (issue 19's outcomes)"
            );
        }
        demo::seed_remedies(&ctx, &report.first_firm, pull_signals).await
    })?;
    let accounts = rt.block_on(demo_accounts(
        db,
        profiles,
        &report.first_firm,
        report.buyer_firm.as_deref(),
    ))?;
    println!(
        "demo sign-in on the pages, http://127.0.0.1:8080/ (new passwords on every demo run):"
    );
    for (role, login, password, firm) in &accounts {
        println!("  {role:<7} {login:<12} {password}   ({firm})");
    }
    if let Some(dir) = keys_file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut env = demo::keys_env(&report);
    for (role, login, password, _) in &accounts {
        let var = role.to_uppercase();
        env.push_str(&format!(
            "export DEMO_{var}_LOGIN={login}\nexport DEMO_{var}_PASSWORD={password}\n"
        ));
    }
    write_private(keys_file, &env)?;
    println!("try: source {} && curl -s -H \"Authorization: Bearer $GOV_KEY\" http://127.0.0.1:8080/v1/firms?limit=2", keys_file.display());
    Ok(())
}

/// The demo firm's owner and member accounts, the buyer firm's owner, and one staff account each of the
/// demo bank, the demo guarantee agency and the demo government department, each with a fresh password
/// (returned to be printed with whom they act for).
async fn demo_accounts(
    db: &Db,
    profiles: &Profiles,
    firm: &str,
    buyer: Option<&str>,
) -> anyhow::Result<Vec<(&'static str, &'static str, String, String)>> {
    use credithub::demo::{DEMO_BANK, DEMO_GOVERNMENT, DEMO_GUARANTOR, DEMO_TAX_DEPARTMENT};
    use credithub::service::accounts::{self, NewAccount, NewStaff, Newcomer};
    let ctx = credithub::service::Context::new(db.clone(), profiles.clone())?;
    let admin = credithub::service::Actor::Admin;
    let mut out = Vec::new();
    let people = [
        ("owner", "demo.owner", "张伟", Some(firm), "owner"),
        ("member", "demo.member", "李娜", Some(firm), "member"),
        ("buyer", "demo.buyer", "王芳", buyer, "owner"),
    ];
    let staff = [
        ("bank", "demo.bank", "陈静", DEMO_BANK, "bank"),
        ("agency", "demo.agency", "刘洋", DEMO_GUARANTOR, "guarantor"),
        ("gov", "demo.gov", "赵敏", DEMO_GOVERNMENT, "government"),
        ("tax", "demo.tax", "孙涛", DEMO_TAX_DEPARTMENT, "government"),
    ];
    let mut newcomers = Vec::new();
    for (label, login, name, firm, role) in people {
        let Some(firm) = firm else { continue };
        let new = NewAccount {
            login,
            display_name: name,
            firm,
            role,
        };
        newcomers.push((label, login, firm.to_string(), Newcomer::Firm(new)));
    }
    for (label, login, name, institution, kind) in staff {
        let new = NewStaff {
            login,
            display_name: name,
            institution,
            kind: Some(kind),
        };
        newcomers.push((label, login, institution.to_string(), Newcomer::Staff(new)));
    }
    for (label, login, of, new) in newcomers {
        // Letters and digits from the random part, and a symbol: the password rule holds.
        let password = format!("{}-{}", &accounts::new_secret()[..12], 7);
        accounts::provision_with_password(&ctx, &admin, new, &password)
            .await
            .map_err(|e| anyhow::anyhow!("demo account {login}: {e:?}"))?;
        out.push((label, login, password, of));
    }
    Ok(out)
}

fn ingest_file(
    profiles: &Profiles,
    rt: &tokio::runtime::Runtime,
    db: &Db,
    source: &str,
    format: Option<&str>,
    file: &std::path::Path,
) -> anyhow::Result<()> {
    use credithub::domain::signals::Source;
    use credithub::ingest::format::Format;
    use credithub::service::signals::{self, Progress};
    use credithub::service::Context;
    use std::sync::Arc;
    let source = Source::parse(source).ok_or_else(|| {
        anyhow::anyhow!(
            "--source '{source}' is not a source; use one of {}",
            Source::keys()
        )
    })?;
    let fmt = match format {
        Some("csv") => Format::Csv,
        Some("ndjson") | Some("jsonl") => Format::Ndjson,
        Some(other) => anyhow::bail!("--format '{other}': use csv or ndjson"),
        None => Format::from_path(file).ok_or_else(|| {
            anyhow::anyhow!(
                "cannot tell the format of {}; pass --format csv|ndjson",
                file.display()
            )
        })?,
    };
    let mut conn = db.conn()?;
    // A run a killed process left `running` is marked interrupted before this one starts.
    let swept = credithub::store::ingestion::interrupt_stale(
        &mut conn,
        credithub::store::ingestion::STALE_AFTER,
    )?;
    drop(conn);
    if swept > 0 {
        eprintln!("{swept} ingestion run(s) left running by a stopped process marked failed (interrupted)");
    }
    let rows = ProgressBar::new_spinner().with_style(
        ProgressStyle::with_template("ingesting {pos} rows ({per_sec})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    let firms = ProgressBar::hidden();
    let (r, f) = (rows.clone(), firms.clone());
    let progress = Progress {
        rows: Some(Arc::new(move |n| r.set_position(n))),
        firms: Some(Arc::new(move |n| {
            if f.is_hidden() {
                f.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                f.set_style(
                    ProgressStyle::with_template("profiles [{bar:40}] {pos} firms ({per_sec})")
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
            }
            f.set_position(n)
        })),
    };
    let ctx = Context::new(db.clone(), profiles.clone())?;
    let imported = rt.block_on(signals::import_file(
        &ctx,
        source,
        fmt,
        file.to_path_buf(),
        progress,
    ));
    rows.finish_and_clear();
    firms.finish_and_clear();
    let imported = imported?;
    let run = &imported.run;
    println!(
        "run {}: received {}, accepted {} ({} corrections), duplicate {}, quarantined {}",
        run.id, run.received, run.accepted, run.superseded, run.duplicate, run.quarantined
    );
    if run.quarantined > 0 {
        println!(
            "quarantined rows: GET /v1/ingestion-runs/{}/rejects",
            run.id
        );
    }
    let p = &imported.profiles;
    println!(
        "profiles: {} firm(s) recomputed as of the last complete month",
        p.firms
    );
    Ok(())
}

fn write_private(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

fn run_scorecard(
    store: &credithub::config::StoreConfig,
    command: scorecard_cli::ScorecardCommand,
) -> anyhow::Result<()> {
    use credithub::service::access::Actor;
    use credithub::service::scorecards;
    use scorecard_cli::ScorecardCommand as C;
    let hub = || -> anyhow::Result<(tokio::runtime::Runtime, credithub::service::Context)> {
        let db = open_db(store)?;
        let rt = runtime()?;
        let profiles = rt.block_on(open_profiles(store, &db, false))?;
        let ctx = credithub::service::Context::new(db, profiles)?;
        Ok((rt, ctx))
    };
    let date = |field: &str, s: Option<String>| -> anyhow::Result<Option<chrono::NaiveDate>> {
        s.map(|s| {
            s.parse()
                .map_err(|_| anyhow::anyhow!("--{field} '{s}' is not a date YYYY-MM-DD"))
        })
        .transpose()
    };
    match command {
        C::Fit {
            data,
            target,
            bad_value,
            test,
            from_hub,
            register,
            out,
            version,
            exclude,
            seed,
            test_share,
            min_bin_share,
            max_bins,
            iv_floor,
            correlation_ceiling,
            base_score,
            base_odds,
            pdo,
            window_months,
        } => {
            let version = version.unwrap_or_else(|| {
                format!(
                    "fitted-{}",
                    credithub::clock::system::today_cst().format("%Y%m%d")
                )
            });
            let mut opts = if from_hub {
                scorecards::hub_fit_options(&version)
            } else {
                credithub::domain::scorecard::fit::FitOptions::new(&target, &version)
            };
            opts.bad_value = bad_value;
            opts.exclude.extend(exclude);
            opts.seed = seed;
            opts.test_share = test_share;
            opts.binning.min_share = min_bin_share;
            opts.binning.max_bins = max_bins.max(2);
            opts.iv_floor = iv_floor;
            opts.correlation_ceiling = correlation_ceiling;
            opts.base_score = base_score;
            opts.base_odds = base_odds;
            opts.pdo = pdo;
            if let Some(d) = &data {
                opts.data = d
                    .file_name()
                    .map_or(String::new(), |n| n.to_string_lossy().into_owned());
                return scorecard_cli::fit_csv(d, test.as_ref(), &out, opts);
            }
            let (rt, ctx) = hub()?;
            let t = std::time::Instant::now();
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_message("reading the hub's outcomes and fitting");
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            let f = rt.block_on(scorecards::fit_from_hub(
                &ctx,
                &Actor::Admin,
                opts,
                window_months,
                None,
                None,
            ))?;
            bar.finish_and_clear();
            std::fs::write(&out, &f.toml).with_context(|| format!("writing {}", out.display()))?;
            scorecard_cli::print_fit(&f, t.elapsed().as_secs_f64());
            println!("card {version} written to {}", out.display());
            if register {
                let v = rt.block_on(scorecards::register(
                    &ctx,
                    &Actor::Admin,
                    f.toml.clone(),
                    "fitted",
                    Some("credithub scorecard fit --from-hub".into()),
                ))?;
                println!(
                    "registered {} as a challenger: it is scored in shadow from the next recompute",
                    v.version
                );
            }
            Ok(())
        }
        C::Score {
            scorecard,
            data,
            out,
        } => scorecard_cli::score_csv(&scorecard, &data, &out),
        C::Validate {
            scorecard,
            from,
            to,
            window_months,
            json,
            xlsx,
        } => {
            let extra = match scorecard {
                Some(p) => Some(std::sync::Arc::new(
                    credithub::domain::scorecard::Scorecard::parse(
                        &std::fs::read_to_string(&p)
                            .with_context(|| format!("reading {}", p.display()))?,
                    )?,
                )),
                None => None,
            };
            let q = scorecards::ValidateQuery {
                from: date("from", from)?,
                to: date("to", to)?,
                window_months: Some(window_months),
                extra,
                ..Default::default()
            };
            let (rt, ctx) = hub()?;
            let items = rt.block_on(scorecards::validate(&ctx, &Actor::Admin, q))?;
            scorecard_cli::print_validation(&items);
            if let Some(p) = json {
                std::fs::write(&p, serde_json::to_vec_pretty(&items)?)?;
                println!("figures written to {}", p.display());
            }
            if let Some(p) = xlsx {
                std::fs::write(
                    &p,
                    credithub::service::spreadsheet::validation_workbook(&items)?,
                )?;
                println!("workbook written to {}", p.display());
            }
            Ok(())
        }
        C::Export { out, window_months } => {
            let (rt, ctx) = hub()?;
            let cases = rt.block_on(scorecards::outcomes(&ctx, window_months, None, None))?;
            let table = scorecards::outcome_table(&cases);
            std::fs::write(&out, scorecards::table_csv(&table))?;
            println!(
                "{} loans with an outcome written to {} ({} still in their window)",
                table.rows(),
                out.display(),
                cases.len() - table.rows()
            );
            Ok(())
        }
    }
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_tracing();
    match cli.command {
        Command::Scorecard { command } => run_scorecard(&cli.store, command)?,
        Command::Migrate => {
            let db = Db::connect(&cli.store.database_url, 1)?;
            let applied = db.migrate()?;
            println!(
                "{} migration(s) applied on {}",
                applied.len(),
                db.backend().as_str()
            );
            for v in applied {
                println!("  {v}");
            }
        }
        Command::Demo {
            firms,
            seed,
            keys_file,
            skip_signals,
        } => {
            let db = open_db(&cli.store)?;
            let rt = runtime()?;
            let profiles = rt.block_on(open_profiles(&cli.store, &db, false))?;
            run_demo(&db, firms, seed, &keys_file, &rt, !skip_signals, &profiles)?;
        }
        Command::Pull {
            source,
            upstream,
            page_size,
            from_start,
        } => {
            use credithub_integrations::SourceId;
            let db = open_db(&cli.store)?;
            let sources: Vec<SourceId> = if source == "all" {
                SourceId::ALL.to_vec()
            } else {
                vec![SourceId::parse(&source).ok_or_else(|| {
                    anyhow::anyhow!("--source '{source}': use tax, social_insurance, utility, customs, public_credit or all")
                })?]
            };
            if from_start {
                let mut c = db.conn()?;
                for s in &sources {
                    credithub::store::cursors::reset(&mut c, s.name())?;
                }
            }
            let client = upstream_client(&upstream);
            runtime()?.block_on(async {
                let profiles = open_profiles(&cli.store, &db, false).await?;
                let firms = pull_sources(&db, &client, &sources, page_size).await?;
                recompute_with_bar(&profiles, firms, vec![default_as_of()], "pull").await
            })?;
        }
        Command::SimulateUpstreams { bind, firms, seed } => {
            runtime()?.block_on(async {
                let sim = credithub_integrations::simulator::start(
                    credithub_integrations::simulator::SimConfig::new(demo::sim_firms(seed, firms)),
                    &bind,
                )?;
                println!(
                    "simulated upstreams for {firms} demo firms (seed {seed}) at {}",
                    sim.base_url
                );
                println!(
                    "client id 'credithub', secret 'demo-secret'; faults: POST {}/_sim/faults",
                    sim.base_url
                );
                tokio::signal::ctrl_c().await?;
                sim.handle.stop(true).await;
                anyhow::Ok(())
            })?;
        }
        Command::Ingest {
            source,
            format,
            file,
        } => {
            let db = open_db(&cli.store)?;
            let rt = runtime()?;
            let profiles = rt.block_on(open_profiles(&cli.store, &db, false))?;
            ingest_file(&profiles, &rt, &db, &source, format.as_deref(), &file)?;
        }
        Command::Recompute {
            all,
            firm,
            as_of,
            months,
        } => {
            let as_of = match as_of {
                None => default_as_of(),
                Some(s) => Month::parse(&s)
                    .ok_or_else(|| anyhow::anyhow!("--as-of '{s}' is not a month YYYY-MM"))?,
            };
            if as_of > Month::of(credithub::clock::system::today_cst()) {
                anyhow::bail!("--as-of {as_of} is in the future");
            }
            let db = open_db(&cli.store)?;
            let mut conn = db.conn()?;
            let firms = if all {
                credithub::store::profiles::all_firms(&mut conn)?
            } else {
                let mut out = Vec::new();
                for f in firm {
                    let u = credithub::domain::Uscc::parse(&f)
                        .map_err(|e| anyhow::anyhow!("--firm '{f}': {e}"))?;
                    match credithub::store::firms::get(&mut conn, u.as_str()) {
                        Err(credithub::store::StoreError::NotFound) => {
                            anyhow::bail!("--firm {u}: no such firm is registered")
                        }
                        other => other?,
                    };
                    out.push(u.to_string());
                }
                out
            };
            drop(conn);
            if cli.store.redis_url.is_none() {
                eprintln!(
                    "note: no REDIS_URL; a server running with its in-process cache serves the new profiles \
                     once its cached copies expire (CREDITHUB_PROFILE_CACHE_TTL_SECS = {} s)",
                    cli.store.profile_cache_ttl
                );
            }
            let months = (0..months as i32).rev().map(|i| as_of.plus(-i)).collect();
            runtime()?.block_on(async {
                let profiles = open_profiles(&cli.store, &db, false).await?;
                recompute_with_bar(&profiles, firms, months, "recompute").await
            })?;
        }
        Command::Report {
            command: ReportCommand::Yearly { year, out },
        } => {
            use credithub::service::reports;
            let db = open_db(&cli.store)?;
            let year = year.unwrap_or_else(|| {
                chrono::Datelike::year(&credithub::clock::Clock::system().today())
            });
            let json = out.extension().is_some_and(|e| e == "json");
            runtime()?.block_on(async {
                let profiles = open_profiles(&cli.store, &db, false).await?;
                let mut ctx = credithub::service::Context::new(db.clone(), profiles)?;
                ctx.watch = cli.store.watch();
                let bar = ProgressBar::new(9).with_style(ProgressStyle::with_template(
                    "{bar:30} {pos}/{len} {msg} ({elapsed})",
                )?);
                let b = bar.clone();
                let report = reports::yearly(
                    &ctx,
                    &credithub::service::Actor::Admin,
                    year,
                    move |name, step, of| {
                        b.set_length(of as u64);
                        b.set_position(step.saturating_sub(1) as u64);
                        b.set_message(name.to_string());
                    },
                )
                .await
                .map_err(|e| match e {
                    reports::ReportError::Invalid(v) => anyhow::anyhow!(
                        "{}",
                        v.iter()
                            .map(|x| format!("{}: {}", x.field, x.message))
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                    other => anyhow::anyhow!("{other}"),
                })?;
                bar.set_position(bar.length().unwrap_or(0));
                bar.finish_with_message("done");
                let bytes = if json {
                    serde_json::to_vec_pretty(&report)?
                } else {
                    reports::export::yearly_xlsx(&report)?
                };
                std::fs::write(&out, bytes)
                    .with_context(|| format!("writing {}", out.display()))?;
                println!(
                    "{}: the {year} report ({} problems found) written",
                    out.display(),
                    report.problems.len()
                );
                anyhow::Ok(())
            })?;
        }
        Command::Users { command } => {
            use credithub::service::accounts::{self, Issuer, NewAccount};
            let db = open_db(&cli.store)?;
            let admin = credithub::service::Actor::Admin;
            runtime()?.block_on(async {
                let profiles = open_profiles(&cli.store, &db, false).await?;
                let ctx = credithub::service::Context::new(db.clone(), profiles)?;
                let show = |e: accounts::AccountError| match e {
                    accounts::AccountError::Invalid(v) => anyhow::anyhow!(
                        "{}",
                        v.iter()
                            .map(|v| format!("{}: {} ({})", v.field, v.message, v.rule))
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                    other => anyhow::anyhow!("{other}"),
                };
                let link = |base: &str, token: &str| {
                    format!("{}/activate/{token}", base.trim_end_matches('/'))
                };
                match command {
                    UsersCommand::Create {
                        firm,
                        institution,
                        kind,
                        login,
                        name,
                        role,
                        base_url,
                    } => {
                        let issued = match (firm, institution) {
                            (Some(firm), _) => {
                                let new = NewAccount {
                                    login: &login,
                                    display_name: &name,
                                    firm: &firm,
                                    role: &role,
                                };
                                accounts::create(&ctx, Issuer::Platform(&admin), new).await
                            }
                            (None, Some(institution)) => {
                                let new = accounts::NewStaff {
                                    login: &login,
                                    display_name: &name,
                                    institution: &institution,
                                    kind: kind.as_deref(),
                                };
                                accounts::create_staff(&ctx, &admin, new).await
                            }
                            (None, None) => anyhow::bail!("give --firm or --institution"),
                        }
                        .map_err(show)?;
                        let of = match &issued.account.membership {
                            accounts::Membership::Firm { firm, role } => {
                                format!("{} of {firm}", role.as_str())
                            }
                            accounts::Membership::Staff { actor } => format!(
                                "{} staff of {}",
                                actor.role().as_str(),
                                actor.institution().unwrap_or("the platform")
                            ),
                        };
                        println!(
                            "created {} ({}, {of}); activation link, valid until {} UTC, shown once:",
                            issued.account.login,
                            issued.account.display_name,
                            issued.expires_at.format("%Y-%m-%d %H:%M:%S")
                        );
                        println!("{}", link(&base_url, &issued.token));
                    }
                    UsersCommand::Reset { login, base_url } => {
                        let issued = accounts::issue_reset(&ctx, Issuer::Platform(&admin), &login)
                            .await
                            .map_err(show)?;
                        println!(
                            "new link for {}, valid until {} UTC (earlier links no longer work):",
                            issued.account.login,
                            issued.expires_at.format("%Y-%m-%d %H:%M:%S")
                        );
                        println!("{}", link(&base_url, &issued.token));
                    }
                    UsersCommand::Suspend { login } => {
                        let a = accounts::suspend(&ctx, &admin, &login).await.map_err(show)?;
                        println!("suspended {}: its sessions and links have ended", a.login);
                    }
                }
                anyhow::Ok(())
            })?;
        }
        Command::Keys { command } => {
            let db = open_db(&cli.store)?;
            let mut conn = db.conn()?;
            match command {
                KeysCommand::Create {
                    role,
                    institution,
                    firm,
                    label,
                } => {
                    let (row, secret) = keys::provision(
                        &mut conn,
                        role,
                        institution.as_deref(),
                        firm.as_deref(),
                        label.as_deref(),
                    )?;
                    println!("{secret}");
                    eprintln!(
                        "key {} ({} {}) created; the secret above is shown only once",
                        row.id, row.role, row.prefix
                    );
                }
                KeysCommand::List => {
                    println!(
                        "{:<36}  {:<12}  {:<10}  {:<8}  owner",
                        "id", "prefix", "role", "status"
                    );
                    for (k, inst) in keys::list(&mut conn)? {
                        let owner = inst.or(k.firm_uscc).unwrap_or_default();
                        let status = if k.revoked_at.is_some() {
                            "revoked"
                        } else {
                            "active"
                        };
                        println!(
                            "{:<36}  {:<12}  {:<10}  {:<8}  {owner}",
                            k.id, k.prefix, k.role, status
                        );
                    }
                }
                KeysCommand::Revoke { id } => {
                    // The database refuses the key from now on; a shared Redis cache is evicted at once,
                    // and a running server checks its in-process copy against the database.
                    drop(conn);
                    let row = runtime()?.block_on(async {
                        let profiles = open_profiles(&cli.store, &db, false).await?;
                        let ctx = credithub::service::Context::new(db.clone(), profiles)?;
                        anyhow::Ok(credithub::service::keys::revoke(&ctx, None, &id).await?)
                    })?;
                    println!("revoked key {} ({})", row.id, row.prefix);
                }
            }
        }
        Command::Serve {
            bind,
            demo,
            demo_firms,
            body_limits,
            web,
        } => {
            let bind = bind
                .or_else(|| std::env::var("PORT").ok().map(|p| format!("127.0.0.1:{p}")))
                .unwrap_or_else(|| "127.0.0.1:8080".to_string());
            let rt = runtime()?;
            let config = Config {
                bind,
                body_limits,
                web,
                ..Config::new(cli.store.clone())
            };
            let app = rt.block_on(Application::build(config))?;
            if demo {
                run_demo(
                    app.db(),
                    demo_firms,
                    2026,
                    std::path::Path::new("./data/demo-keys.env"),
                    &rt,
                    true,
                    app.profiles(),
                )?;
            }
            rt.block_on(async move { app.serve()?.await })?;
        }
    }
    Ok(())
}
