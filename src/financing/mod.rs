//! Financing: the in-memory catalogue snapshot that matching runs over, and the facts about a firm that
//! eligibility rules read (registry, newest profile, designations, loans, receivables, IP assets).

use crate::cache::SharedCache;
use crate::domain::matching::{Applicant, Designation, Product, ProductSpec};
use crate::domain::{Money, SizeClass};
use crate::store::{self, applications, firms, products, profiles, receivables, Db, DbConn};
use chrono::{Datelike, NaiveDate};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

pub mod claims;
pub mod synthetic;

/// The cache key whose value changes whenever the catalogue does (shared by every server with Redis).
pub const STAMP_KEY: &str = "catalogue:stamp";
const STAMP_TTL: Duration = Duration::from_secs(24 * 3600);

/// The live products as of one catalogue stamp.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub stamp: String,
    pub products: Vec<Product>,
    /// Institution names by id (every publisher is an institution; names never change).
    pub institution_names: HashMap<String, String>,
    /// The published subsidy policies offers are priced with (issue 20 §6), oldest first; a stored
    /// policy that no longer parses is logged and left out.
    pub policies: Vec<crate::domain::subsidy::Policy>,
}

/// Why the catalogue could not be read: the database or the cache failed.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Cache(#[from] crate::cache::CacheError),
}

/// The catalogue snapshot, refreshed when the stamp in the cache changes (a product is published,
/// changed or withdrawn, here or on another server).
#[derive(Debug, Default)]
pub struct Catalogue {
    snap: RwLock<Arc<Snapshot>>,
}

/// A stored product, or `None` (logged) when its stored specification no longer holds.
pub fn parse_row(row: &products::ProductRow) -> Option<Product> {
    let spec = serde_json::from_str::<ProductSpec>(&row.spec)
        .map_err(
            |e| tracing::error!(product = %row.id, error = %e, "stored product does not parse"),
        )
        .ok()?;
    Product::new(row.id.clone(), row.institution_id.clone(), spec)
        .map_err(
            |v| tracing::error!(product = %row.id, faults = ?v, "stored product breaks its rules"),
        )
        .ok()
}

impl Catalogue {
    fn held(&self) -> Arc<Snapshot> {
        self.snap
            .read()
            .map(|s| s.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    /// The current snapshot: the held one while the stamp is unchanged, else reloaded from the database.
    pub async fn current(
        &self,
        db: &Db,
        cache: &SharedCache,
    ) -> Result<Arc<Snapshot>, CatalogueError> {
        let stamp = match cache.get(STAMP_KEY).await? {
            Some(b) => String::from_utf8_lossy(&b).into_owned(),
            None => {
                let fresh = uuid::Uuid::now_v7().to_string();
                cache
                    .set_if_absent(STAMP_KEY, fresh.as_bytes(), STAMP_TTL)
                    .await?;
                cache
                    .get(STAMP_KEY)
                    .await?
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or(fresh)
            }
        };
        let held = self.held();
        if held.stamp == stamp {
            return Ok(held);
        }
        let (rows, institution_names, policies) = db
            .run(|c| {
                Ok((
                    products::live(c)?,
                    store::institutions::names(c)?,
                    store::guarantees::list_policies(c)?,
                ))
            })
            .await?;
        let snap = Arc::new(Snapshot {
            stamp,
            products: rows.iter().filter_map(parse_row).collect(),
            institution_names,
            policies: policies
                .iter()
                .filter_map(|row| {
                    claims::spec_of(row)
                        .map_err(|e| tracing::error!(policy = %row.id, error = %e, "stored policy does not parse"))
                        .ok()
                        .map(|s| s.policy(&row.id))
                })
                .collect(),
        });
        if let Ok(mut w) = self.snap.write() {
            *w = snap.clone();
        }
        Ok(snap)
    }

    /// Call after a product or policy change commits: every server reloads on its next match.
    pub async fn changed(cache: &SharedCache) -> Result<(), CatalogueError> {
        let fresh = uuid::Uuid::now_v7().to_string();
        cache.set(STAMP_KEY, fresh.as_bytes(), STAMP_TTL).await?;
        Ok(())
    }
}

/// Whole years from `from` to `to`.
pub fn whole_years(from: NaiveDate, to: NaiveDate) -> i32 {
    let mut y = to.year() - from.year();
    if (to.month(), to.day()) < (from.month(), from.day()) {
        y -= 1;
    }
    y.max(0)
}

/// The indicator values of a stored profile body, by key (missing indicators are absent).
/// The indicator values of a stored profile body; a body that does not parse is an error, never a
/// profile without values.
fn indicator_values(body: &str) -> store::Result<HashMap<String, String>> {
    let mut out = HashMap::new();
    let v = serde_json::from_str::<Value>(body)
        .map_err(|e| store::StoreError::Config(format!("stored profile does not parse: {e}")))?;
    if let Some(sections) = v["sections"].as_object() {
        for s in sections.values() {
            for i in s["indicators"].as_array().into_iter().flatten() {
                if let (Some(k), Some(val)) = (i["key"].as_str(), i["value"].as_str()) {
                    out.insert(k.to_string(), val.to_string());
                }
            }
        }
    }
    Ok(out)
}

/// What the rules read about a firm on `today`; `None` when the firm is not registered.
/// A stored value of a typed kind: a text that does not parse is an error, never a default.
fn stored<T: std::str::FromStr<Err = String>>(text: &str, what: &str) -> store::Result<T> {
    text.parse()
        .map_err(|e| store::StoreError::Config(format!("stored {what}: {e}")))
}

/// The verified size figures of many firms (insured headcount, invoiced revenue), read in a few
/// queries for the months that classifying them on any day of a span needs (issue 20 §8).
#[derive(Debug, Default)]
pub struct VerifiedFigures(HashMap<String, crate::domain::eligibility::Verified>);

impl VerifiedFigures {
    /// The figures of `usccs` for the 12 months up to each last complete month from `first`'s to `last`'s.
    pub fn load(
        conn: &mut DbConn,
        usccs: &[String],
        first: crate::domain::month::Month,
        last: crate::domain::month::Month,
    ) -> store::Result<VerifiedFigures> {
        use crate::domain::eligibility::Verified;
        use crate::domain::eligibility::HEADCOUNT_MONTHS;
        use crate::domain::month::Month;
        let rows = firms::verified_figures(
            conn,
            usccs,
            first.plus(1 - HEADCOUNT_MONTHS),
            first.plus(-11),
            last,
        )?;
        fn items(text: &str) -> impl Iterator<Item = (Month, &str)> {
            text.split(',').filter_map(|item| {
                let (m, v) = item.split_once('=')?;
                Some((Month::parse(m)?, v))
            })
        }
        Ok(VerifiedFigures(
            rows.into_iter()
                .map(|(uscc, t)| {
                    let v = Verified {
                        headcount: items(&t.headcount)
                            .filter_map(|(m, n)| {
                                let n: rust_decimal::Decimal = n.parse().ok()?;
                                Some((m, rust_decimal::prelude::ToPrimitive::to_u64(&n.round())?))
                            })
                            .collect(),
                        revenue: items(&t.revenue)
                            .filter_map(|(m, fen)| Some((m, Money::from_fen(fen.parse().ok()?))))
                            .collect(),
                    };
                    (uscc, v)
                })
                .collect(),
        ))
    }

    /// Whether the hub holds any verified figure of the firm in the span loaded.
    pub fn has(&self, uscc: &str) -> bool {
        self.0.contains_key(uscc)
    }

    /// A firm's figures (none when the sources hold none).
    pub fn of(&self, uscc: &str) -> &crate::domain::eligibility::Verified {
        static NONE: crate::domain::eligibility::Verified = crate::domain::eligibility::Verified {
            headcount: Vec::new(),
            revenue: Vec::new(),
        };
        self.0.get(uscc).unwrap_or(&NONE)
    }
}

/// A firm's registry figures (its declarations once confirmed).
fn registry(firm: &firms::FirmRow) -> crate::domain::size_class::Indicators {
    crate::domain::size_class::Indicators {
        employees: firm.employees.map(|e| e.max(0) as u64),
        revenue: firm.revenue_fen.map(Money::from_fen),
        total_assets: firm.total_assets_fen.map(Money::from_fen),
    }
}

/// A firm classified for eligibility (issue 20 §8): from `verified` figures where the hub has them for
/// the 12 months up to `last`, its registry figures otherwise; each figure with where it came from, and
/// the classification (`None` when the figures or its industry do not classify).
pub fn classify(
    firm: &firms::FirmRow,
    verified: &crate::domain::eligibility::Verified,
    last: crate::domain::month::Month,
) -> (
    Vec<crate::domain::eligibility::Figure>,
    Option<crate::domain::size_class::Classification>,
) {
    use crate::domain::size_class::Standard;
    let (used, figures) = crate::domain::eligibility::figures(&registry(firm), verified, last);
    let std = Standard::current();
    let classification = std
        .industry(&firm.industry_code)
        .ok()
        .and_then(|i| std.classify(&i, &used).ok());
    (figures, classification)
}

/// [`classify`] on the figures the hub holds for the 12 months up to `last`.
pub fn classified(
    conn: &mut DbConn,
    firm: &firms::FirmRow,
    last: crate::domain::month::Month,
) -> store::Result<(
    Vec<crate::domain::eligibility::Figure>,
    Option<crate::domain::size_class::Classification>,
)> {
    let v = VerifiedFigures::load(conn, std::slice::from_ref(&firm.uscc), last, last)?;
    Ok(classify(firm, v.of(&firm.uscc), last))
}

/// The size class public money relies on for a loan or contract starting on `day`: [`classify`]'s
/// class on the 12 months before `day`'s month, else the registry's class. `industry` is the firm's,
/// parsed (`None`: it does not parse).
fn eligible_class(
    firm: &firms::FirmRow,
    industry: Option<&crate::domain::industry::Industry>,
    verified: &crate::domain::eligibility::Verified,
    day: NaiveDate,
) -> Option<SizeClass> {
    let last = crate::domain::month::Month::last_complete(day);
    let used = crate::domain::eligibility::used(&registry(firm), verified, last);
    industry
        .and_then(|i| crate::domain::size_class::Standard::current().size_class(i, &used))
        .or_else(|| SizeClass::parse(&firm.size_class))
}

/// A firm's industry as the size standard reads it.
fn industry_of(firm: &firms::FirmRow) -> Option<crate::domain::industry::Industry> {
    crate::domain::size_class::Standard::current()
        .industry(&firm.industry_code)
        .ok()
}

/// The size classes public money relies on, for many firms each on several days (contract starts):
/// the verified figures are read once; a firm the sources know nothing of is classified once.
#[derive(Debug, Default)]
pub struct EligibleClasses {
    fixed: HashMap<String, Option<SizeClass>>,
    by_month: HashMap<String, HashMap<crate::domain::month::Month, Option<SizeClass>>>,
}

impl EligibleClasses {
    /// The registry rows of the firms in `days` (uscc, day: a contract's or loan's start), by USCC,
    /// and their classes on each of those days.
    pub fn load(
        conn: &mut DbConn,
        days: &[(String, NaiveDate)],
    ) -> store::Result<(HashMap<String, firms::FirmRow>, EligibleClasses)> {
        let mut usccs: Vec<String> = days.iter().map(|d| d.0.clone()).collect();
        usccs.sort();
        usccs.dedup();
        let registry: HashMap<String, firms::FirmRow> = firms::get_many(conn, &usccs)?
            .into_iter()
            .map(|f| (f.uscc.clone(), f))
            .collect();
        let classes = Self::of(conn, &registry, days)?;
        Ok((registry, classes))
    }

    /// The classes of `firms` on each of `days`.
    fn of(
        conn: &mut DbConn,
        firms: &HashMap<String, firms::FirmRow>,
        days: &[(String, NaiveDate)],
    ) -> store::Result<EligibleClasses> {
        use crate::domain::month::Month;
        let mut out = EligibleClasses::default();
        let (Some(first), Some(last)) = (
            days.iter().map(|d| d.1).min(),
            days.iter().map(|d| d.1).max(),
        ) else {
            return Ok(out);
        };
        let started = std::time::Instant::now();
        let usccs: Vec<String> = firms.keys().cloned().collect();
        let verified = VerifiedFigures::load(
            conn,
            &usccs,
            Month::last_complete(first),
            Month::last_complete(last),
        )?;
        let read = started.elapsed();
        let mut industries = HashMap::new();
        for (uscc, firm) in firms {
            let industry = industry_of(firm);
            if verified.has(uscc) {
                industries.insert(uscc.as_str(), industry);
            } else {
                let class = eligible_class(firm, industry.as_ref(), verified.of(uscc), last);
                out.fixed.insert(uscc.clone(), class);
            }
        }
        for (uscc, day) in days {
            let (Some(firm), Some(industry)) = (firms.get(uscc), industries.get(uscc.as_str()))
            else {
                continue;
            };
            out.by_month
                .entry(uscc.clone())
                .or_default()
                .entry(Month::last_complete(*day))
                .or_insert_with(|| {
                    eligible_class(firm, industry.as_ref(), verified.of(uscc), *day)
                });
        }
        tracing::debug!(
            firms = firms.len(),
            with_figures = industries.len(),
            read_ms = read.as_millis() as u64,
            total_ms = started.elapsed().as_millis() as u64,
            "size classes for public money"
        );
        Ok(out)
    }

    /// The class of `uscc` on `day` (one of the days loaded); `None` when it does not classify.
    pub fn on(&self, uscc: &str, day: NaiveDate) -> Option<SizeClass> {
        match self.fixed.get(uscc) {
            Some(c) => *c,
            None => self
                .by_month
                .get(uscc)
                .and_then(|m| m.get(&crate::domain::month::Month::last_complete(day)))
                .copied()
                .flatten(),
        }
    }
}

/// The size class public money relies on for `firm` on `day` (a loan's start, a match's today):
/// [`eligible_class`] on what the hub holds.
pub fn eligible_size_class(
    conn: &mut DbConn,
    firm: &firms::FirmRow,
    day: NaiveDate,
) -> store::Result<Option<SizeClass>> {
    let last = crate::domain::month::Month::last_complete(day);
    let v = VerifiedFigures::load(conn, std::slice::from_ref(&firm.uscc), last, last)?;
    Ok(eligible_class(
        firm,
        industry_of(firm).as_ref(),
        v.of(&firm.uscc),
        day,
    ))
}

pub fn applicant(
    conn: &mut DbConn,
    uscc: &str,
    today: NaiveDate,
) -> store::Result<Option<Applicant>> {
    let firm = match firms::get(conn, uscc) {
        Ok(f) => f,
        Err(store::StoreError::NotFound) => return Ok(None),
        Err(e) => return Err(e),
    };
    let profile = profiles::current(conn, uscc, None)?;
    let values = profile
        .as_ref()
        .map(|p| indicator_values(&p.body))
        .transpose()?
        .unwrap_or_default();
    let number = |k: &str| {
        values
            .get(k)
            .and_then(|v| v.parse::<rust_decimal::Decimal>().ok())
    };
    let loans = applications::firm_loans(conn, uscc)?;
    let days_to_maturity = loans
        .iter()
        .filter(|l| {
            l.status == crate::domain::states::LoanStatus::Outstanding && l.maturity_on >= today
        })
        .map(|l| (l.maturity_on - today).num_days())
        .min();
    let confirmed: i64 = receivables::financeable(conn, uscc, today)?
        .iter()
        .map(|r| r.amount_fen)
        .sum();
    let ip: i64 = receivables::pledgeable(conn, uscc)?
        .iter()
        .map(|a| a.appraised_value_fen)
        .sum();
    let size_class = eligible_size_class(conn, &firm, today)?;
    Ok(Some(Applicant {
        uscc: uscc.to_string(),
        size_class,
        industry_code: firm.industry_code,
        district: firm.district,
        years_in_operation: whole_years(firm.established_on, today),
        score: profile.as_ref().map(|p| p.score),
        grade: profile
            .as_ref()
            .map(|p| stored(&p.grade, "profile grade"))
            .transpose()?,
        tax_grade: values
            .get("tax_grade")
            .map(|g| stored(g, "tax grade"))
            .transpose()?,
        // Public-credit counts are always computed when a profile exists (no records: zero).
        active_dishonesty: profile.as_ref().map(|_| {
            number("active_dishonesty_listings")
                .and_then(|d| d.to_string().parse().ok())
                .unwrap_or(0)
        }),
        tax_arrears: number("tax_arrears").and_then(|d| Money::round_yuan(d).ok()),
        si_arrears_months: number("si_arrears_months")
            .and_then(|d| d.trunc().to_string().parse().ok()),
        has_bank_loan: !loans.is_empty(),
        days_to_maturity,
        confirmed_receivables: Money::from_fen(confirmed),
        appraised_ip: Money::from_fen(ip),
        designations: applications::designations(conn, uscc, today)?
            .iter()
            .filter_map(|d| Designation::parse(d))
            .collect(),
    }))
}
