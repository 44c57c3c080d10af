//! Matching benchmark, part two (issue: financing products and matching): every firm in a database ×
//! a 1,000-product synthetic catalogue, matched in memory (`domain::matching`: every rule checked,
//! offers priced and ranked, near misses explained) and, in the same run, the same eligibility written as
//! one SQL query on PostgreSQL over the same facts. Both must find the same number of offers and near
//! misses; the figures are wall-clock for each. `benches/load/match_sql.sh` runs it after a demo.
//!   DATABASE_URL=postgres://… cargo run --release --example match_vs_sql -- [PRODUCTS] [AMOUNT] [TERM]

use credithub::clock::system::today_cst;
use credithub::domain::matching::{
    match_products, Applicant, Ask, Product, ProductKind, PublicMoney, Rule,
};
use credithub::domain::Money;
use credithub::financing::{applicant, synthetic};
use credithub::store::{profiles, Db};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use std::time::Instant;

#[derive(QueryableByName)]
struct Counts {
    #[diesel(sql_type = BigInt)]
    offers: i64,
    #[diesel(sql_type = BigInt)]
    near: i64,
}

fn text(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn array<T: AsRef<str>>(xs: &[T]) -> String {
    format!(
        "ARRAY[{}]::text[]",
        xs.iter()
            .map(|x| text(x.as_ref()))
            .collect::<Vec<_>>()
            .join(",")
    )
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or("NULL".into(), |v| v.to_string())
}

/// One row of `bench_rules`: (type, number, list).
fn rule_row(r: &Rule) -> (String, String, String) {
    let none = "NULL".to_string();
    let (n, list) = match r {
        Rule::SizeClass { any_of } => (
            none,
            array(&any_of.iter().map(|c| c.as_str()).collect::<Vec<_>>()),
        ),
        Rule::IndustryPrefix { any_of } | Rule::District { any_of } => (none, array(any_of)),
        Rule::MinScore { score } => (score.to_string(), none),
        Rule::MinGrade { grade } => (grade.rank().to_string(), none),
        Rule::MinYearsInOperation { years } => (years.to_string(), none),
        Rule::MinTaxGrade { grade } => (grade.rank().to_string(), none),
        Rule::MaxTaxArrears { amount } => (amount.fen().to_string(), none),
        Rule::MaxSiArrearsMonths { months } => (months.to_string(), none),
        Rule::LoanMaturingWithin { days } => (days.to_string(), none),
        Rule::Designation { any_of } => (
            none,
            array(&any_of.iter().map(|d| d.as_str()).collect::<Vec<_>>()),
        ),
        Rule::NoActiveDishonesty
        | Rule::FirstLoanOnly
        | Rule::ConfirmedReceivables
        | Rule::AppraisedIp => (none.clone(), none),
    };
    (r.type_name().to_string(), n, list)
}

fn facts_row(a: &Applicant) -> String {
    format!(
        "({},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{})",
        text(&a.uscc),
        text(a.size_class.map_or("", |c| c.as_str())),
        text(&a.industry_code),
        text(&a.district),
        a.years_in_operation,
        opt(a.score),
        opt(a.grade.map(|g| g.rank())),
        opt(a.tax_grade.map(|g| g.rank())),
        opt(a.active_dishonesty),
        opt(a.tax_arrears.map(Money::fen)),
        opt(a.si_arrears_months),
        a.has_bank_loan,
        opt(a.days_to_maturity),
        a.confirmed_receivables.fen(),
        a.appraised_ip.fen(),
        array(
            &a.designations
                .iter()
                .map(|d| d.as_str())
                .collect::<Vec<_>>()
        ),
    )
}

const QUERY: &str = "
WITH pairs AS (
  SELECT (CASE WHEN $1 BETWEEN p.amount_min AND p.amount_max THEN 0 ELSE 1 END)
       + (CASE WHEN $2 BETWEEN p.term_min AND p.term_max THEN 0 ELSE 1 END)
       + (SELECT count(*) FROM bench_rules r WHERE r.product_id = p.id AND NOT COALESCE(CASE r.rule
            WHEN 'size_class' THEN f.size_class = ANY (r.list)
            WHEN 'industry_prefix' THEN EXISTS (SELECT 1 FROM unnest(r.list) x WHERE starts_with(f.industry_code, x))
            WHEN 'district' THEN f.district = ANY (r.list)
            WHEN 'min_score' THEN f.score >= r.n
            WHEN 'min_grade' THEN f.grade_rank <= r.n
            WHEN 'min_years_in_operation' THEN f.years >= r.n
            WHEN 'min_tax_grade' THEN f.tax_grade_rank <= r.n
            WHEN 'no_active_dishonesty' THEN f.dishonesty = 0
            WHEN 'max_tax_arrears' THEN f.tax_arrears <= r.n
            WHEN 'max_si_arrears_months' THEN f.si_arrears <= r.n
            WHEN 'first_loan_only' THEN NOT f.has_loan
            WHEN 'loan_maturing_within' THEN f.days_to_maturity BETWEEN 0 AND r.n
            WHEN 'confirmed_receivables' THEN f.receivables * p.advance >= $1
            WHEN 'appraised_ip' THEN f.ip * p.ltv >= $1
            WHEN 'designation' THEN f.designations && r.list
            WHEN 'scheme_amount' THEN $1 <= r.n
          END, false)) AS failed
  FROM bench_facts f CROSS JOIN bench_products p
)
SELECT count(*) FILTER (WHERE failed = 0) AS offers,
       count(*) FILTER (WHERE failed BETWEEN 1 AND 2) AS near
FROM pairs";

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(Ok(1000), |s| s.parse())?;
    let amount = Money::parse(&args.next().unwrap_or_else(|| "500000".into()))
        .map_err(|e| anyhow::anyhow!("amount {e}"))?;
    let term: i32 = args.next().map_or(Ok(12), |s| s.parse())?;
    let url = std::env::var("DATABASE_URL")?;
    anyhow::ensure!(
        url.starts_with("postgres"),
        "DATABASE_URL must name a PostgreSQL database"
    );
    let db = Db::connect(&url, 2)?;
    let today = today_cst();
    let ask = Ask {
        amount,
        term_months: term,
        on: today,
    };
    let catalogue: Vec<Product> = synthetic::catalogue(n, 42);

    let t = Instant::now();
    let mut conn = db.conn()?;
    let firms: Vec<Applicant> = profiles::all_firms(&mut conn)?
        .iter()
        .filter_map(|u| applicant(&mut conn, u, today).transpose())
        .collect::<Result<_, _>>()?;
    println!(
        "facts of {} firms loaded in {:.1} s (not timed below)",
        firms.len(),
        t.elapsed().as_secs_f64()
    );

    // In memory: the matching the API runs, for every firm.
    let t = Instant::now();
    let (mut offers, mut near) = (0usize, 0usize);
    for a in &firms {
        let m = match_products(&catalogue, PublicMoney::default(), a, &ask);
        offers += m.offers.len();
        near += m.near_misses.len();
    }
    let mem = t.elapsed().as_secs_f64();

    // The same facts and rules as tables, and the same eligibility as one query.
    let mut pg = diesel::PgConnection::establish(&url)?;
    for ddl in [
        "CREATE TEMP TABLE bench_facts (uscc text, size_class text, industry_code text, district text, years int, score int, grade_rank int, tax_grade_rank int, dishonesty bigint, tax_arrears bigint, si_arrears bigint, has_loan bool, days_to_maturity bigint, receivables bigint, ip bigint, designations text[])",
        "CREATE TEMP TABLE bench_products (id text PRIMARY KEY, amount_min bigint, amount_max bigint, term_min int, term_max int, advance numeric, ltv numeric)",
        "CREATE TEMP TABLE bench_rules (product_id text, rule text, n bigint, list text[])",
    ] {
        diesel::sql_query(ddl).execute(&mut pg)?;
    }
    for chunk in firms.chunks(500) {
        let rows: Vec<String> = chunk.iter().map(facts_row).collect();
        diesel::sql_query(format!("INSERT INTO bench_facts VALUES {}", rows.join(",")))
            .execute(&mut pg)?;
    }
    let mut products = Vec::new();
    let mut rules = Vec::new();
    // A guarantee scheme is never matched on its own (issue 20): only lending products are rows.
    for p in catalogue.iter().filter(|p| p.spec.kind.is_lending()) {
        let s = &p.spec;
        products.push(format!(
            "({},{},{},{},{},{},{})",
            text(&p.id),
            s.amount_min.fen(),
            s.amount_max.fen(),
            s.term_min_months,
            s.term_max_months,
            opt(s.advance_ratio),
            opt(s.loan_to_value)
        ));
        let mut all: Vec<(String, String, String)> = s.rules.iter().map(rule_row).collect();
        if let Some(scheme) = s
            .guarantee_scheme_id
            .as_ref()
            .and_then(|id| catalogue.iter().find(|c| &c.id == id))
        {
            anyhow::ensure!(
                scheme.spec.kind == ProductKind::GuaranteeScheme,
                "scheme kind"
            );
            all.push((
                "scheme_amount".into(),
                scheme.spec.amount_max.fen().to_string(),
                "NULL".into(),
            ));
            all.extend(scheme.spec.rules.iter().map(rule_row));
        }
        for (rule, n, list) in all {
            rules.push(format!("({},{},{n},{list})", text(&p.id), text(&rule)));
        }
    }
    diesel::sql_query(format!(
        "INSERT INTO bench_products VALUES {}",
        products.join(",")
    ))
    .execute(&mut pg)?;
    for chunk in rules.chunks(1000) {
        diesel::sql_query(format!(
            "INSERT INTO bench_rules VALUES {}",
            chunk.join(",")
        ))
        .execute(&mut pg)?;
    }
    diesel::sql_query("CREATE INDEX ON bench_rules (product_id)").execute(&mut pg)?;
    for t in ["bench_facts", "bench_products", "bench_rules"] {
        diesel::sql_query(format!("ANALYZE {t}")).execute(&mut pg)?;
    }

    let t = Instant::now();
    let sql: Counts = diesel::sql_query(QUERY)
        .bind::<BigInt, _>(amount.fen())
        .bind::<diesel::sql_types::Integer, _>(term)
        .get_result(&mut pg)?;
    let sql_s = t.elapsed().as_secs_f64();

    let pairs = firms.len() * catalogue.len();
    println!(
        "{} firms x {} products = {pairs} pairs, asking {amount} yuan for {term} months",
        firms.len(),
        catalogue.len()
    );
    println!(
        "in memory: {mem:.3} s ({:.0} pairs/s, {:.0} us per firm): {offers} offers, {near} near misses (priced, ranked, explained)",
        pairs as f64 / mem,
        mem * 1e6 / firms.len().max(1) as f64
    );
    println!(
        "one SQL query on PostgreSQL: {sql_s:.3} s ({:.0} pairs/s): {} offers, {} near misses (counted only)",
        pairs as f64 / sql_s,
        sql.offers,
        sql.near
    );
    println!("in memory is {:.1}x faster", sql_s / mem);
    anyhow::ensure!(
        sql.offers as usize == offers && sql.near as usize == near,
        "the SQL query and the in-memory matching disagree"
    );
    println!("both find the same offers and near misses");
    Ok(())
}
