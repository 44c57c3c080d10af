//! Credit profiles (Art 26, 58): the newest or as-of snapshot, one or up to 1,000 at once, a firm's
//! snapshot history and what-if scoring.
//!
//! Who may read what: the firm itself and the government side read all of a profile; a bank or guarantee
//! agency reads it only under a live consent from the firm for the purpose it names, reduced to the
//! consent's scope and data range. Every access, granted or refused, goes to the access log, committed
//! before the answer is given; the log's writer refuses a row whose key or consent the database says was
//! revoked since the cache read them, and so the read.

use super::access::{may_act_for_firm, Actor};
use super::{Context, ServiceError, Violation};
use crate::audit::Refused;
use crate::domain::consent::{self, Purpose, Refusal, Status, SCOPES};
use crate::domain::month::Month;
use crate::domain::signals::TAX_GRADES;
use crate::domain::what_if::Change;
use crate::domain::Uscc;
use crate::store::access_log::AccessRow;
use crate::store::consents::{self, ConsentRow};
use crate::store::{firms, profiles as store, StoreError};
use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::time::Duration;

/// How long a firm's consents for one institution and purpose stay cached; creating or revoking one
/// evicts them at once.
const CONSENT_CACHE_TTL: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("{} input(s) break a rule", .0.len())]
    Invalid(Vec<Violation>),
    /// No consent (or not this actor's firm): the rule and the words, both logged.
    #[error("{reason} ({rule})")]
    Withheld { rule: String, reason: String },
    /// The key was revoked while the request ran.
    #[error("this API key has been revoked")]
    KeyRevoked,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// A stored profile that is not JSON.
    #[error("stored profile of {0} is not JSON: {1}")]
    Corrupt(String, String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Cache(#[from] crate::cache::CacheError),
}

impl From<ProfileError> for ServiceError {
    fn from(e: ProfileError) -> Self {
        match e {
            ProfileError::Invalid(v) => ServiceError::Invalid(v),
            ProfileError::Withheld { .. } | ProfileError::Forbidden(_) => {
                ServiceError::Forbidden(e.to_string())
            }
            ProfileError::KeyRevoked => ServiceError::Unauthenticated(e.to_string()),
            ProfileError::NotFound(m) => ServiceError::NotFound(m),
            ProfileError::Corrupt(..) => ServiceError::Store(StoreError::Config(e.to_string())),
            ProfileError::Store(s) => ServiceError::Store(s),
            ProfileError::Cache(c) => ServiceError::Cache(c),
        }
    }
}

impl From<Refused> for ProfileError {
    fn from(r: Refused) -> Self {
        match r {
            Refused::Key => ProfileError::KeyRevoked,
            Refused::Consent { .. } => {
                let (rule, reason) = refusal_words(&r);
                ProfileError::Withheld { rule, reason }
            }
        }
    }
}

/// What the caller may read.
#[derive(Debug, Clone)]
pub enum Access {
    /// The firm itself, the government side.
    Full,
    /// What this consent allows.
    Consent(Box<ConsentRow>),
}

impl Access {
    pub fn consent_id(&self) -> Option<String> {
        match self {
            Access::Full => None,
            Access::Consent(c) => Some(c.id.clone()),
        }
    }
    pub fn scope_text(&self) -> String {
        match self {
            Access::Full => "all".into(),
            Access::Consent(c) => c.scope.clone(),
        }
    }
}

/// Who reads, through which route, for the access log.
#[derive(Debug, Clone, Copy)]
pub struct Caller<'a> {
    pub actor: &'a Actor,
    /// The API key (or session) the request came with.
    pub key_id: &'a str,
    pub route: &'static str,
    pub request_id: Option<&'a str>,
    pub client_request_id: Option<&'a str>,
    /// When the request was taken (the app's clock).
    pub at: NaiveDateTime,
}

impl Caller<'_> {
    fn log(
        &self,
        uscc: &str,
        purpose: Option<Purpose>,
        access: Option<&Access>,
        result: &str,
        reason: Option<String>,
    ) -> AccessRow {
        AccessRow {
            id: uuid::Uuid::now_v7().to_string(),
            at: self.at,
            key_id: self.key_id.to_string(),
            role: self.actor.role().as_str().into(),
            institution_id: self.actor.institution().map(str::to_string),
            firm_uscc: uscc.to_string(),
            purpose: purpose.map(|p| p.as_str().to_string()),
            consent_id: access.and_then(Access::consent_id),
            scope: access.map(Access::scope_text),
            route: self.route.into(),
            result: result.into(),
            reason,
            request_id: self.request_id.map(str::to_string),
            client_request_id: self.client_request_id.map(str::to_string),
        }
    }
}

/// The `purpose` a bank or guarantor must name; others may leave it out.
pub fn parse_purpose(actor: &Actor, purpose: Option<&str>) -> Result<Option<Purpose>, Violation> {
    match purpose {
        None if actor.is_institution() => Err(Violation::new(
            "purpose",
            "required",
            format!(
                "a {} names the purpose of its query: {}",
                actor.role(),
                Purpose::keys()
            ),
        )),
        None => Ok(None),
        Some(p) => Purpose::parse(p).map(Some).ok_or_else(|| {
            Violation::new(
                "purpose",
                "purpose.unknown",
                format!("'{p}' is not a purpose; use one of {}", Purpose::keys()),
            )
        }),
    }
}

/// A month `YYYY-MM` not after `today`'s.
pub fn parse_month(field: &str, s: &str, today: NaiveDate) -> Result<Month, Violation> {
    let m = Month::parse(s).ok_or_else(|| {
        Violation::new(
            field,
            "month.format",
            format!("{field} '{s}' is not a month YYYY-MM"),
        )
    })?;
    if m > Month::of(today) {
        return Err(Violation::new(
            field,
            "month.future",
            format!("{field} {m} is in the future"),
        ));
    }
    Ok(m)
}

/// Where `institution`'s consents for `uscc` and `purpose` (credit assessment when none is named) are
/// cached.
pub fn consents_key(institution: &str, uscc: &str, purpose: Option<Purpose>) -> String {
    crate::cache::keys::consent(
        institution,
        uscc,
        purpose.unwrap_or(Purpose::CreditAssessment).as_str(),
    )
}

/// Where a bank's or guarantor's consents for `uscc` and `purpose` are cached; `None` for callers that need
/// no consent.
pub fn consent_cache_key(actor: &Actor, uscc: &Uscc, purpose: Option<Purpose>) -> Option<String> {
    match actor {
        Actor::Bank { institution } | Actor::Agency { institution } => {
            Some(consents_key(institution, uscc.as_str(), purpose))
        }
        _ => None,
    }
}

/// The consents: from `cached` (what the caller already read from the cache under their key), else the
/// cache, else the database.
async fn consents_for(
    ctx: &Context,
    cached: Option<Vec<u8>>,
    institution: &str,
    uscc: &str,
    purpose: Purpose,
) -> Result<Vec<ConsentRow>, ProfileError> {
    let key = &consents_key(institution, uscc, Some(purpose));
    let cached = match cached {
        Some(b) => Some(b),
        None => ctx.cache.get(key).await?,
    };
    if let Some(b) = cached {
        if let Ok(v) = serde_json::from_slice::<Vec<ConsentRow>>(&b) {
            return Ok(v);
        }
    }
    let (i, u) = (institution.to_string(), uscc.to_string());
    let rows = ctx
        .db
        .run(move |c| consents::for_query(c, &i, &u, purpose.as_str()))
        .await?;
    let bytes = serde_json::to_vec(&rows).map_err(|e| StoreError::Config(e.to_string()))?;
    // Fill only an empty key: a revocation's eviction is never overwritten by an older read.
    ctx.cache
        .set_if_absent(key, &bytes, CONSENT_CACHE_TTL)
        .await?;
    Ok(rows)
}

/// Why a profile is withheld: a stable rule id and the words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withheld {
    pub rule: String,
    pub reason: String,
}

/// Whether `actor` may read `uscc`'s profile (as of `as_of`, if given), without logging.
/// `cached_consents`: what the caller already read from the cache under [`consent_cache_key`], if it did.
pub async fn decide(
    ctx: &Context,
    actor: &Actor,
    uscc: &Uscc,
    purpose: Option<Purpose>,
    as_of: Option<Month>,
    cached_consents: Option<Vec<u8>>,
) -> Result<Result<Access, Withheld>, ProfileError> {
    let withheld = |r: Refusal| {
        Err(Withheld {
            rule: r.code().to_string(),
            reason: r.to_string(),
        })
    };
    let institution = match actor {
        Actor::Bank { institution } | Actor::Agency { institution } => institution,
        _ if may_act_for_firm(actor, uscc.as_str()) => return Ok(Ok(Access::Full)),
        _ => {
            return Ok(Err(Withheld {
                rule: "firm.own".into(),
                reason: format!("a firm key acts only for its own firm, not {uscc}"),
            }))
        }
    };
    let purpose = purpose.unwrap_or(Purpose::CreditAssessment);
    let rows = consents_for(ctx, cached_consents, institution, uscc.as_str(), purpose).await?;
    let (at, today) = (ctx.clock.now(), ctx.clock.today());
    let Some(c) = rows.iter().find(|c| c.status(at) == Status::Active) else {
        return Ok(withheld(match rows.first() {
            None => Refusal::None { purpose },
            Some(c) => lapsed(c, at),
        }));
    };
    if !as_of.is_none_or(|m| consent::within_range(c.data_months, m.first_day(), today)) {
        return Ok(withheld(Refusal::OutOfRange {
            id: c.id.clone(),
            months: c.data_months,
        }));
    }
    if let Some(limit) = c.max_queries_per_month {
        // The month begins at midnight China time.
        let since = Month::of(today)
            .first_day()
            .and_hms_opt(0, 0, 0)
            .unwrap_or(at)
            - chrono::Duration::hours(8);
        let id = c.id.clone();
        let used = ctx
            .db
            .run_log(move |conn| consents::queries_since(conn, &id, since))
            .await?;
        if used >= i64::from(limit) {
            return Ok(withheld(Refusal::QuotaUsed {
                id: c.id.clone(),
                limit: i64::from(limit),
            }));
        }
    }
    Ok(Ok(Access::Consent(Box::new(c.clone()))))
}

/// Why the newest of a firm's consents for the purpose, not active at `at`, does not serve.
fn lapsed(c: &ConsentRow, at: NaiveDateTime) -> Refusal {
    let id = c.id.clone();
    match c.status(at) {
        Status::Revoked => Refusal::Revoked {
            id,
            at: c.revoked_at.unwrap_or(at),
        },
        Status::Pending => Refusal::Unconfirmed { id },
        Status::Refused => Refusal::RefusedByFirm { id },
        Status::Scheduled => Refusal::NotYetValid {
            id,
            from: c.valid_from,
        },
        Status::Expired | Status::Active => Refusal::Expired {
            id,
            at: c.expires_at,
        },
    }
}

/// Decide, and on a refusal log it and refuse naming the missing or expired consent.
async fn authorize(
    ctx: &Context,
    caller: &Caller<'_>,
    uscc: &Uscc,
    purpose: Option<Purpose>,
    as_of: Option<Month>,
    cached_consents: Option<Vec<u8>>,
) -> Result<Access, ProfileError> {
    match decide(ctx, caller.actor, uscc, purpose, as_of, cached_consents).await? {
        Ok(a) => Ok(a),
        Err(Withheld { rule, reason }) => {
            let row = caller.log(
                uscc.as_str(),
                purpose,
                None,
                "denied",
                Some(format!("{rule}: {reason}")),
            );
            Err(match ctx.audit.record_one(row).await? {
                Some(r) => r.into(),
                None => ProfileError::Withheld { rule, reason },
            })
        }
    }
}

/// The rule and words for a request (or a bulk result) the log's writer refused.
pub fn refusal_words(r: &Refused) -> (String, String) {
    match r {
        Refused::Key => ("key.revoked".into(), "this API key has been revoked".into()),
        Refused::Consent { id, at } => {
            let r = Refusal::Revoked {
                id: id.clone(),
                at: *at,
            };
            (r.code().into(), r.to_string())
        }
    }
}

/// The credit profile document as served by `GET /v1/firms/{uscc}/profile` (and inside a bulk answer).
/// It is rendered once when computed and stored; this type is its schema, and the tests read every
/// profile they fetch through it (unknown fields refused at every level), so the two cannot drift.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileDocument {
    #[schema(pattern = "^[0-9A-HJ-NPQRTUWXY]{18}$")]
    pub uscc: String,
    /// The month its indicators end with (`YYYY-MM`).
    #[schema(pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])$")]
    pub as_of: String,
    pub scorecard_version: String,
    /// 300–900; left out when the consent's scope has no `score`.
    #[schema(minimum = 300, maximum = 900)]
    pub score: Option<i32>,
    pub grade: Option<crate::domain::grade::Grade>,
    /// The scorecard points before scaling.
    pub points: Option<i32>,
    /// The four largest adverse contributions, largest first (within the consent's sections).
    pub reasons: Option<Vec<ProfileReason>>,
    /// Per section (`firm`, `tax`, `social_insurance`, `utility`, `customs`, `public_credit`) the
    /// consent covers.
    pub sections: std::collections::BTreeMap<String, ProfileSection>,
    /// The snapshot's version, why and when it was computed.
    pub version: Option<i32>,
    pub cause: Option<String>,
    pub computed_at: Option<String>,
    /// Under a consent that does not cover everything: what it covers, and which consent.
    pub scope: Option<Vec<String>>,
    pub consent_id: Option<String>,
    /// Records the firm disputes while the owning department has not decided (Art 58): shown, the
    /// score unchanged until the decision.
    pub disputed: Option<Vec<DisputedRecord>>,
}

/// A record under dispute (异议).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisputedRecord {
    pub dispute_id: String,
    pub section: String,
    pub kind: String,
    pub period: String,
    pub record_id: Option<String>,
    pub since: String,
}

/// One adverse contribution, in both languages.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileReason {
    pub code: String,
    pub section: Option<String>,
    pub indicator: String,
    pub points_lost: i32,
    pub zh: String,
    pub en: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileSection {
    /// `full`, `partial` or `missing`: how much of the section's data the hub has.
    #[schema(pattern = "^(full|partial|missing)$")]
    pub coverage: String,
    pub indicators: Vec<ProfileIndicator>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileIndicator {
    pub key: String,
    /// `yuan`, `ratio`, `months`, `days`, `persons`, `years`, `count` or `code`.
    pub unit: String,
    pub window_months: Option<u32>,
    /// A decimal as a string (yuan, a fraction for ratios) or a code; null when the data is missing.
    pub value: Option<String>,
    #[schema(pattern = "^(full|partial|missing)$")]
    pub coverage: String,
    pub months_with_data: Option<u32>,
    /// The signals it read.
    pub signals: Vec<ProfileSignals>,
    /// What the indicator scored, and could have.
    pub points: Option<i32>,
    pub max_points: Option<i32>,
}

/// Which signals an indicator read: a kind over a span of periods, or named records.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileSignals {
    pub kind: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub count: u32,
    pub records: Option<Vec<String>>,
}

/// The profile as this access may see it: the stored bytes when the consent covers everything, else
/// the sections, reasons and windows outside the consent removed.
pub fn reduce(uscc: &Uscc, body: &[u8], access: &Access) -> Result<Vec<u8>, ProfileError> {
    let Access::Consent(c) = access else {
        return Ok(body.to_vec());
    };
    let scope = c.scope_items();
    if scope.len() == SCOPES.len() && c.data_months >= 24 {
        return Ok(body.to_vec());
    }
    let corrupt = |e: serde_json::Error| ProfileError::Corrupt(uscc.to_string(), e.to_string());
    let mut v: Value = serde_json::from_slice(body).map_err(corrupt)?;
    if let Some(obj) = v.as_object_mut() {
        if let Some(Value::Object(sections)) = obj.get_mut("sections") {
            sections.retain(|k, _| scope.contains(&k.as_str()));
            for s in sections.values_mut() {
                if let Some(Value::Array(list)) = s.get_mut("indicators") {
                    list.retain(|i| {
                        i["window_months"]
                            .as_i64()
                            .is_none_or(|w| w <= i64::from(c.data_months))
                    });
                }
            }
        }
        // A disputed record is shown only where its section is in the consent's scope.
        if let Some(Value::Array(disputed)) = obj.get_mut("disputed") {
            disputed.retain(|d| d["section"].as_str().is_some_and(|s| scope.contains(&s)));
        }
        if scope.contains(&"score") {
            if let Some(Value::Array(reasons)) = obj.get_mut("reasons") {
                reasons.retain(|r| r["section"].as_str().is_some_and(|s| scope.contains(&s)));
            }
        } else {
            for k in ["score", "grade", "points", "reasons"] {
                obj.remove(k);
            }
        }
        obj.insert("scope".into(), Value::from(scope.clone()));
        obj.insert("consent_id".into(), Value::from(c.id.clone()));
    }
    serde_json::to_vec(&v).map_err(corrupt)
}

/// The stored profile bytes: the one current at `as_of`, else the newest (`cached`: what the caller
/// already read from the cache under the newest profile's key, if it did).
async fn load(
    ctx: &Context,
    uscc: &Uscc,
    as_of: Option<Month>,
    cached: Option<Vec<u8>>,
) -> Result<Option<Vec<u8>>, StoreError> {
    match as_of {
        None if cached.is_some() => ctx.profiles.latest_from(uscc.as_str(), cached).await,
        None => ctx.profiles.latest(uscc.as_str()).await,
        Some(m) => {
            let u = uscc.to_string();
            Ok(ctx
                .db
                .run(move |c| store::current(c, &u, Some(&m.to_string())))
                .await?
                .map(|r| r.body.into_bytes()))
        }
    }
}

/// The 404 that says whether the firm is unknown or has no profile yet.
async fn not_found(ctx: &Context, uscc: &Uscc, what: String) -> ProfileError {
    let u = uscc.to_string();
    match ctx.db.run(move |c| firms::exists(c, &u)).await {
        Ok(false) => ProfileError::NotFound(format!("no firm {uscc} is registered")),
        _ => ProfileError::NotFound(what),
    }
}

/// One profile asked for.
#[derive(Debug, Clone)]
pub struct Ask {
    pub uscc: Uscc,
    pub purpose: Option<Purpose>,
    pub as_of: Option<Month>,
}

impl Ask {
    /// From the raw `purpose` and `as_of`; every broken rule at once.
    pub fn parse(
        actor: &Actor,
        uscc: Uscc,
        purpose: Option<&str>,
        as_of: Option<&str>,
        today: NaiveDate,
    ) -> Result<Ask, ProfileError> {
        let purpose = parse_purpose(actor, purpose);
        let as_of = as_of.map(|s| parse_month("as_of", s, today)).transpose();
        match (purpose, as_of) {
            (Ok(purpose), Ok(as_of)) => Ok(Ask {
                uscc,
                purpose,
                as_of,
            }),
            (p, m) => Err(ProfileError::Invalid(
                p.err().into_iter().chain(m.err()).collect(),
            )),
        }
    }
}

/// What the caller's cache round trip already read for this request: per key, `None` when it was not
/// read under the key the checked request needs, `Some(None)` when it was read and absent.
#[derive(Debug, Default)]
pub struct Prefetched {
    pub profile: Option<Option<Vec<u8>>>,
    pub consents: Option<Option<Vec<u8>>>,
}

/// A profile as its reader may see it.
#[derive(Debug)]
pub struct Read {
    /// JSON, ending with a newline.
    pub body: Vec<u8>,
    /// The consent it was read under: id and scope.
    pub consent: Option<(String, String)>,
}

/// Read one profile: decide access (logging a refusal), read the snapshot, log the read durably and
/// answer. A refusal still wins, and nothing read is returned without access. What the cache lacks is
/// read from the database, the consent check and the profile read at the same time.
#[tracing::instrument(level = "debug", skip_all, fields(firm = %ask.uscc))]
pub async fn read(
    ctx: &Context,
    caller: &Caller<'_>,
    ask: &Ask,
    prefetched: Prefetched,
) -> Result<Read, ProfileError> {
    let Ask {
        uscc,
        purpose,
        as_of,
    } = ask;
    let (consents, profile) = match (consent_cache_key(caller.actor, uscc, *purpose), as_of) {
        (_, Some(_)) => (None, None),
        (None, None) => (None, prefetched.profile.flatten()),
        (Some(ck), None) => match prefetched {
            Prefetched {
                profile: Some(profile),
                consents: Some(consents),
            } => (consents, profile),
            // Not read with the key (it was not cached, or the keys differ): both in one round trip.
            _ => {
                let pk = crate::cache::keys::profile(uscc.as_str());
                let mut got = ctx.cache.get_many(&[&ck, &pk]).await?.into_iter();
                (got.next().flatten(), got.next().flatten())
            }
        },
    };
    let (access, body) = futures_util::join!(
        authorize(ctx, caller, uscc, *purpose, *as_of, consents),
        load(ctx, uscc, *as_of, profile)
    );
    let access = access?;
    let Some(body) = body? else {
        let when = as_of.map(|m| format!(" as of {m}")).unwrap_or_default();
        let e = not_found(
            ctx,
            uscc,
            format!("firm {uscc} has no credit profile{when} yet"),
        )
        .await;
        let row = caller.log(
            uscc.as_str(),
            *purpose,
            Some(&access),
            "not_found",
            Some(e.to_string()),
        );
        return Err(match ctx.audit.record_one(row).await? {
            Some(r) => r.into(),
            None => e,
        });
    };
    let mut body = reduce(uscc, &body, &access)?;
    if body.last() != Some(&b'\n') {
        body.push(b'\n');
    }
    // Durable before the answer leaves, and refused if the database has revoked the key or the
    // consent since the cache read them.
    let row = caller.log(uscc.as_str(), *purpose, Some(&access), "ok", None);
    if let Some(r) = ctx.audit.record_one(row).await? {
        return Err(r.into());
    }
    let consent = match access {
        Access::Full => None,
        Access::Consent(c) => Some((c.id, c.scope)),
    };
    Ok(Read { body, consent })
}

/// One firm's result in a bulk query, in the order asked.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum BulkItem {
    /// The profile, reduced to the consent it was read under (none for the government side).
    Ok {
        uscc: String,
        consent_id: Option<String>,
        #[schema(value_type = ProfileDocument)]
        profile: Value,
    },
    /// Not readable: `rule` and `reason` say why.
    Withheld {
        uscc: String,
        rule: String,
        reason: String,
    },
    /// Readable, but the firm has no profile yet.
    NotFound {
        uscc: String,
        rule: String,
        reason: String,
    },
}

/// Up to 1,000 profiles at once: each firm's profile (reduced to its consent) or the reason it is
/// withheld; every firm's access is logged (one durable write for all).
#[tracing::instrument(skip_all, fields(firms = usccs.len()))]
pub async fn read_many(
    ctx: &Context,
    caller: &Caller<'_>,
    purpose: Option<&str>,
    as_of: Option<&str>,
    usccs: &[String],
) -> Result<Vec<BulkItem>, ProfileError> {
    let mut errors = Vec::new();
    let purpose = parse_purpose(caller.actor, purpose)
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    if usccs.is_empty() || usccs.len() > 1000 {
        errors.push(Violation::new("usccs", "length", "give 1 to 1000 USCCs"));
    }
    let as_of = as_of.and_then(|s| {
        parse_month("as_of", s, ctx.clock.today())
            .map_err(|e| errors.push(e))
            .ok()
    });
    if !errors.is_empty() {
        return Err(ProfileError::Invalid(errors));
    }
    let mut results = Vec::with_capacity(usccs.len());
    // One row per result, but for malformed USCCs (`None`).
    let mut log = Vec::with_capacity(usccs.len());
    for raw in usccs {
        let Ok(uscc) = Uscc::parse(raw) else {
            results.push(BulkItem::Withheld {
                uscc: raw.clone(),
                rule: "uscc.invalid".into(),
                reason: format!("'{raw}' is not a valid USCC"),
            });
            log.push(None);
            continue;
        };
        let (row, item) = match decide(ctx, caller.actor, &uscc, purpose, as_of, None).await? {
            Err(Withheld { rule, reason }) => (
                caller.log(
                    uscc.as_str(),
                    purpose,
                    None,
                    "denied",
                    Some(format!("{rule}: {reason}")),
                ),
                BulkItem::Withheld {
                    uscc: uscc.to_string(),
                    rule,
                    reason,
                },
            ),
            Ok(access) => match load(ctx, &uscc, as_of, None).await? {
                None => (
                    caller.log(uscc.as_str(), purpose, Some(&access), "not_found", None),
                    BulkItem::NotFound {
                        uscc: uscc.to_string(),
                        rule: "profile.missing".into(),
                        reason: "no credit profile for this firm".into(),
                    },
                ),
                Some(b) => (
                    caller.log(uscc.as_str(), purpose, Some(&access), "ok", None),
                    BulkItem::Ok {
                        uscc: uscc.to_string(),
                        consent_id: access.consent_id(),
                        profile: serde_json::from_slice(&reduce(&uscc, &b, &access)?)
                            .map_err(|e| ProfileError::Corrupt(uscc.to_string(), e.to_string()))?,
                    },
                ),
            },
        };
        results.push(item);
        log.push(Some(row));
    }
    let verdicts = ctx
        .audit
        .record(log.iter().flatten().cloned().collect())
        .await?;
    let mut verdicts = verdicts.into_iter();
    for (r, row) in results.iter_mut().zip(&log) {
        let Some(row) = row else { continue };
        if let Some(Some(refused)) = verdicts.next() {
            let (rule, reason) = refusal_words(&refused);
            *r = BulkItem::Withheld {
                uscc: row.firm_uscc.clone(),
                rule,
                reason,
            };
        }
    }
    Ok(results)
}

/// History and what-if are the firm's own tools (and the government's); banks read the profile itself,
/// under a consent.
fn own_or_government(actor: &Actor, uscc: &Uscc) -> Result<(), ProfileError> {
    if actor.is_institution() {
        return Err(ProfileError::Forbidden(format!(
            "a {} reads only the profile itself (GET /v1/firms/{uscc}/profile?purpose=…), under the firm's consent",
            actor.role()
        )));
    }
    if may_act_for_firm(actor, uscc.as_str()) {
        Ok(())
    } else {
        Err(ProfileError::Forbidden(format!(
            "a firm key acts only for its own firm, not {uscc}"
        )))
    }
}

/// One snapshot in a firm's history.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SnapshotView {
    pub version: i32,
    /// The month its indicators end with.
    pub as_of: String,
    pub score: i32,
    pub grade: String,
    pub scorecard_version: String,
    /// `demo`, `recompute`, `pull`, `ingestion:<run id>`.
    pub cause: String,
    pub computed_at: String,
    /// The full snapshot.
    pub href: String,
}

/// Where a history page starts: after this month and version.
pub type HistoryCursor = (Month, i32);

/// A firm's profile snapshots, newest month first: up to `limit` after `after`, and where the next page
/// starts.
#[tracing::instrument(skip(ctx, actor), fields(firm = %uscc))]
pub async fn history(
    ctx: &Context,
    actor: &Actor,
    uscc: &Uscc,
    limit: i64,
    after: Option<HistoryCursor>,
) -> Result<(Vec<SnapshotView>, Option<HistoryCursor>), ProfileError> {
    own_or_government(actor, uscc)?;
    let (u, first_page) = (uscc.to_string(), after.is_none());
    let cursor = after.map(|(m, v)| (m.to_string(), v));
    let mut rows = ctx
        .db
        .run(move |c| store::history(c, &u, cursor, limit + 1))
        .await?;
    if rows.is_empty() && first_page {
        return Err(not_found(ctx, uscc, format!("firm {uscc} has no credit profile yet")).await);
    }
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last()
            .and_then(|r| Some((Month::parse(&r.as_of)?, r.version)))
    } else {
        None
    };
    let items = rows
        .into_iter()
        .map(|r| SnapshotView {
            href: format!("/v1/firms/{uscc}/profile?as_of={}", r.as_of),
            version: r.version,
            as_of: r.as_of,
            score: r.score,
            grade: r.grade,
            scorecard_version: r.scorecard_version,
            cause: r.cause,
            computed_at: crate::domain::rfc3339(r.computed_at),
        })
        .collect();
    Ok((items, next))
}

/// One hypothetical change.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChangeInput {
    /// Utility bills of the last `months` months (1–24) paid on time.
    NoLateUtilityPayments { months: i64 },
    /// Tax and social-insurance arrears cleared.
    ArrearsCleared,
    /// Insured headcount up (or down) by `delta` persons over the last three months.
    HeadcountChange { delta: i64 },
    /// Public-credit records repaired (信用修复, Art 58): those named, or all active ones.
    RecordsRepaired {
        #[serde(default)]
        record_ids: Vec<String>,
    },
    /// A tax credit grade (A, B, M, C, D) for the as-of year.
    TaxGrade { grade: String },
}

impl ChangeInput {
    /// The change it asks for, or the rule it breaks (`at`: its place in the list).
    fn to_change(&self, at: usize) -> Result<Change, Violation> {
        let field = |f: &str| format!("changes[{at}].{f}");
        Ok(match self {
            ChangeInput::NoLateUtilityPayments { months } if (1..=24).contains(months) => {
                Change::NoLateUtilityPayments {
                    months: *months as u32,
                }
            }
            ChangeInput::NoLateUtilityPayments { months } => {
                return Err(Violation::new(
                    field("months"),
                    "range",
                    format!("months must be 1 to 24, not {months}"),
                ))
            }
            ChangeInput::ArrearsCleared => Change::ArrearsCleared,
            ChangeInput::HeadcountChange { delta } if *delta != 0 && delta.abs() <= 100_000 => {
                Change::HeadcountChange { delta: *delta }
            }
            ChangeInput::HeadcountChange { delta } => {
                return Err(Violation::new(
                    field("delta"),
                    "range",
                    format!(
                        "delta must be a non-zero number of persons within ±100000, not {delta}"
                    ),
                ))
            }
            ChangeInput::RecordsRepaired { record_ids } => Change::RecordsRepaired {
                record_ids: record_ids.clone(),
            },
            ChangeInput::TaxGrade { grade } => match TAX_GRADES.iter().find(|g| **g == grade) {
                Some(g) => Change::TaxGrade { grade: g },
                None => {
                    return Err(Violation::new(
                        field("grade"),
                        "code.unknown",
                        format!("grade '{grade}' is not one of {}", TAX_GRADES.join(", ")),
                    ))
                }
            },
        })
    }
}

/// Score and grade with the reasons, before or after the changes.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ScoreSummary {
    #[schema(value_type = Option<i32>)]
    pub score: Value,
    #[schema(value_type = Option<String>)]
    pub grade: Value,
    #[schema(value_type = Option<Vec<Object>>)]
    pub reasons: Value,
}

impl ScoreSummary {
    fn of(v: &Value) -> Self {
        ScoreSummary {
            score: v["score"].clone(),
            grade: v["grade"].clone(),
            reasons: v["reasons"].clone(),
        }
    }
}

/// An indicator the changes move.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChangedIndicator {
    pub indicator: String,
    #[schema(value_type = Option<Object>)]
    pub before: Value,
    #[schema(value_type = Option<Object>)]
    pub after: Value,
}

/// What-if: the current and the hypothetical score; nothing is stored.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WhatIfView {
    pub uscc: String,
    pub as_of: String,
    /// Always false: a what-if stores nothing.
    pub stored: bool,
    pub changes: Vec<ChangeInput>,
    pub current: ScoreSummary,
    pub what_if: ScoreSummary,
    pub score_change: i32,
    pub changed_indicators: Vec<ChangedIndicator>,
}

/// The score and grade the firm would have as of `as_of` (default the last complete month) with these
/// 1 to 20 changes, applied in order. Nothing is stored.
#[tracing::instrument(skip(ctx, actor, changes), fields(firm = %uscc))]
pub async fn what_if(
    ctx: &Context,
    actor: &Actor,
    uscc: &Uscc,
    as_of: Option<&str>,
    changes: Vec<ChangeInput>,
) -> Result<WhatIfView, ProfileError> {
    own_or_government(actor, uscc)?;
    let mut errors = Vec::new();
    let as_of = match as_of {
        None => Some(Month::last_complete(ctx.clock.today())),
        Some(s) => parse_month("as_of", s, ctx.clock.today())
            .map_err(|e| errors.push(e))
            .ok(),
    };
    if changes.is_empty() || changes.len() > 20 {
        errors.push(Violation::new("changes", "length", "give 1 to 20 changes"));
    }
    let mut asked = Vec::with_capacity(changes.len());
    for (i, c) in changes.iter().enumerate() {
        match c.to_change(i) {
            Ok(c) => asked.push(c),
            Err(e) => errors.push(e),
        }
    }
    let (Some(as_of), true) = (as_of, errors.is_empty()) else {
        return Err(ProfileError::Invalid(errors));
    };
    let Some(w) = ctx.profiles.what_if(uscc.as_str(), as_of, asked).await? else {
        return Err(ProfileError::NotFound(format!(
            "no firm {uscc} is registered"
        )));
    };
    Ok(WhatIfView {
        uscc: uscc.to_string(),
        as_of: as_of.to_string(),
        stored: false,
        changes,
        current: ScoreSummary::of(&w.before),
        what_if: ScoreSummary::of(&w.after),
        score_change: w.score_change,
        changed_indicators: w
            .changed
            .iter()
            .map(|(k, (b, a))| ChangedIndicator {
                indicator: k.to_string(),
                before: json!(b),
                after: json!(a),
            })
            .collect(),
    })
}
