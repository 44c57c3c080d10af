//! The application layer: one module per use-case area. Each operation takes typed input and the
//! [`Actor`], owns its transaction, cache eviction and tracing span, and returns its own error enum;
//! every such enum converts into [`ServiceError`], which `api/` maps to HTTP in one place. The API, the
//! CLI and (later) the pages call the same operations.
//!
//! Areas: `access` (who may see what), `keys`, `consents`, `profiles` (the read path banks use, history,
//! what-if), `applications` (and loans), `matching`, `guarantees`, `uploads` (contract and claim files),
//! `claims`, `reconciliation` (its report and exports), `policies`, `agencies` (their figures),
//! `receivables`, `assets` (IP, reported loans, designations), `institutions`, `signals`,
//! `products` (publishing the catalogue), `firms` (the registry and the size class), `accounts` (people:
//! provisioning with one-time links, passwords, sessions, lockouts, the sign-in audit).

pub mod access;
pub mod access_log;
pub mod accounts;
pub mod agencies;
pub mod applications;
pub mod assets;
pub mod claims;
pub mod consents;
pub mod firms;
pub mod guarantees;
pub mod institutions;
pub mod keys;
pub mod matching;
pub mod notifications;
pub mod overview;
pub mod policies;
pub mod products;
pub mod profiles;
pub mod receivables;
pub mod reconciliation;
pub mod remedies;
pub mod reports;
pub mod rewards;
pub mod scorecards;
pub mod signals;
pub mod spreadsheet;
pub mod uploads;

pub use access::{Actor, Claimant};

use crate::audit::Audit;
use crate::cache::SharedCache;
use crate::clock::Clock;
use crate::profile::Profiles;
use crate::store::{Db, StoreError};

/// What an operation reaches: the database, the cache, the clock, the profile service and the access
/// log.
#[derive(Clone)]
pub struct Context {
    pub db: Db,
    pub cache: SharedCache,
    pub clock: Clock,
    /// The product catalogue matching and applications read.
    pub catalogue: std::sync::Arc<crate::financing::Catalogue>,
    /// The scorecard in force and the profile snapshots.
    pub profiles: Profiles,
    /// The durable access log (group commit).
    pub audit: Audit,
    /// The data-quality thresholds the statistics flag against.
    pub watch: crate::domain::statistics::Watch,
}

impl Context {
    /// On the system clock, with a catalogue and an access-log writer of its own (the command line's).
    pub fn new(db: Db, profiles: Profiles) -> std::io::Result<Self> {
        Ok(Context {
            audit: Audit::start(db.clone())?,
            cache: profiles.cache.clone(),
            db,
            clock: Clock::system(),
            catalogue: Default::default(),
            profiles,
            watch: Default::default(),
        })
    }
}

/// A page read with `limit + 1` rows: at most `limit` of them, and whether more follow.
pub fn split_page<T>(mut rows: Vec<T>, limit: i64) -> (Vec<T>, bool) {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit.max(0) as usize);
    (rows, more)
}

/// Reads only the government side (the department, the platform's administrators) may make.
pub fn government_side(actor: &Actor, what: &str) -> Result<(), ServiceError> {
    if actor.is_government_side() {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(format!(
            "{what} are for the government side"
        )))
    }
}

/// One input that breaks a rule: which field, which rule (a stable id), and what is wrong in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub field: String,
    pub rule: std::borrow::Cow<'static, str>,
    pub message: String,
}

impl Violation {
    pub fn new(
        field: impl Into<String>,
        rule: impl Into<std::borrow::Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        Violation {
            field: field.into(),
            rule: rule.into(),
            message: message.into(),
        }
    }
}

/// An amount above zero, or the rule it breaks (`field` names it, `name` says it in words).
pub fn positive_money(field: &str, name: &str, s: &str) -> Result<crate::domain::Money, Violation> {
    use crate::domain::Money;
    match Money::parse(s) {
        Ok(m) if m > Money::ZERO => Ok(m),
        Ok(_) => Err(Violation::new(
            field,
            "money.positive",
            format!("{name} must be above zero"),
        )),
        Err(e) => Err(Violation::new(field, e.rule(), format!("{name} '{s}' {e}"))),
    }
}

/// A calendar date `YYYY-MM-DD`, or the rule it breaks (`field` names it, `name` says it in words).
pub fn date(field: &str, name: &str, s: &str) -> Result<chrono::NaiveDate, Violation> {
    s.trim().parse().map_err(|_| {
        Violation::new(
            field,
            "date.format",
            format!("{name} '{s}' is not a date YYYY-MM-DD"),
        )
    })
}

/// A USCC, or the rule it breaks (GB 32100-2015).
pub fn uscc(field: &str, s: &str) -> Result<crate::domain::Uscc, Violation> {
    crate::domain::Uscc::parse(s).map_err(|e| Violation::new(field, e.rule(), e.to_string()))
}

/// The faults of one input, collected so that every one is answered at once.
#[derive(Debug, Default)]
pub struct Faults(pub Vec<Violation>);

impl Faults {
    /// The value, or `None` with its fault kept.
    pub fn check<T>(&mut self, r: Result<T, Violation>) -> Option<T> {
        r.map_err(|v| self.0.push(v)).ok()
    }

    pub fn push(
        &mut self,
        field: impl Into<String>,
        rule: impl Into<std::borrow::Cow<'static, str>>,
        message: impl Into<String>,
    ) {
        self.0.push(Violation::new(field, rule, message));
    }

    /// `value` when nothing broke a rule (then every part of it is `Some`).
    pub fn done<T>(self, value: Option<T>) -> Result<T, Vec<Violation>> {
        match value {
            Some(v) if self.0.is_empty() => Ok(v),
            _ => Err(self.0),
        }
    }
}

/// What any operation's error comes to, for a front end to show.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The input breaks these rules; nothing was changed.
    #[error("{} input(s) break a rule", .0.len())]
    Invalid(Vec<Violation>),
    /// Absent, or not visible to this actor (the same answer, so nothing leaks).
    #[error("{0}")]
    NotFound(String),
    /// The input cannot be read as the format it claims (broken CSV or JSON).
    #[error("{0}")]
    Unreadable(String),
    /// A format the operation does not take.
    #[error("{0}")]
    Unsupported(String),
    /// Who is asking is no longer known (the key was revoked while the request ran).
    #[error("{0}")]
    Unauthenticated(String),
    /// This actor may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The record's state or another record stands in the way.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Cache(#[from] crate::cache::CacheError),
}

impl From<crate::financing::CatalogueError> for ServiceError {
    fn from(e: crate::financing::CatalogueError) -> Self {
        match e {
            crate::financing::CatalogueError::Store(s) => ServiceError::Store(s),
            crate::financing::CatalogueError::Cache(c) => ServiceError::Cache(c),
        }
    }
}
