//! Consents (Art 58): a firm grants an institution access to its profile for a purpose, within a scope,
//! for at most a year, and revokes it at any time; an institution registers one the firm signed on paper
//! (pending until the firm confirms it, or a government officer verifies the document); the firm may
//! refuse it. Each change evicts the cached consents of its (institution, firm, purpose) after commit.

use super::access::{may_see_consent, Actor};
use super::{Context, ServiceError, Violation};
use crate::domain::consent::{Purpose, Status, MAX_DAYS, SCOPES};
use crate::domain::Uscc;
use crate::store::consents::{self as store, ConsentRow, Filter};
use crate::store::{firms, institutions, StoreError};
use chrono::NaiveDateTime;

#[derive(Debug, thiserror::Error)]
pub enum ConsentError {
    #[error("the consent breaks {} rule(s)", .0.len())]
    Invalid(Vec<Violation>),
    /// Absent or another party's (the same to the caller).
    #[error("no consent {0} visible to this key")]
    NotVisible(String),
    #[error("consent {id} is {status}; only a pending consent can be confirmed or refused")]
    NotPending { id: String, status: &'static str },
    #[error("{0}")]
    Forbidden(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ConsentError> for ServiceError {
    fn from(e: ConsentError) -> Self {
        match e {
            ConsentError::Invalid(v) => ServiceError::Invalid(v),
            ConsentError::NotVisible(_) => ServiceError::NotFound(e.to_string()),
            ConsentError::NotPending { .. } => ServiceError::Conflict(e.to_string()),
            ConsentError::Forbidden(m) => ServiceError::Forbidden(m.into()),
            ConsentError::Store(s) => ServiceError::Store(s),
        }
    }
}

/// A consent as asked for (the API's JSON body; a page's form later).
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentInput {
    /// The institution granted access (a firm's request).
    pub institution_id: Option<String>,
    /// The firm that consents (an institution's request).
    pub firm_uscc: Option<String>,
    /// `credit_assessment`, `post_loan_monitoring` or `guarantee_review`.
    pub purpose: String,
    /// What may be seen: `score`, `firm`, `tax`, `social_insurance`, `utility`, `customs`, `public_credit`.
    /// Default: all.
    pub scope: Option<Vec<String>>,
    /// Months of history that may be seen (1-36, default 24): older as-of profiles and longer windows are withheld.
    pub data_months: Option<i32>,
    /// Queries a month allowed under this consent (default: no limit).
    pub max_queries_per_month: Option<i32>,
    /// Days the institution may keep what it fetched (default 365).
    pub data_life_days: Option<i32>,
    /// Reference of the signed authorisation (required when an institution registers the consent).
    pub document_ref: Option<String>,
    /// RFC 3339 instant; default now.
    pub valid_from: Option<String>,
    /// RFC 3339 instant, at most a year after `valid_from`.
    pub expires_at: String,
}

/// What a consent grants, once every rule holds.
#[derive(Debug, Clone)]
pub struct Grant {
    pub firm: String,
    pub institution: String,
    pub purpose: Purpose,
    pub scope: Vec<String>,
    pub data_months: i32,
    pub max_queries_per_month: Option<i32>,
    pub data_life_days: i32,
    pub valid_from: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

impl Grant {
    /// The consent a firm gives by its own act (its key, its application): live at once, confirmed by it.
    /// The one constructor of a firm's consent.
    pub fn by_firm(self, key_id: &str, at: NaiveDateTime) -> ConsentRow {
        let mut row = self.row(None, "firm", key_id, at);
        row.confirmed_at = Some(at);
        row.confirmed_by = Some("firm".into());
        row.confirmed_key_id = Some(key_id.to_string());
        row
    }

    /// A consent an institution registers from the firm's signed document: pending.
    fn registered(self, document_ref: String, key_id: &str, at: NaiveDateTime) -> ConsentRow {
        self.row(Some(document_ref), "institution", key_id, at)
    }

    fn row(
        self,
        document_ref: Option<String>,
        granted_by: &str,
        key_id: &str,
        at: NaiveDateTime,
    ) -> ConsentRow {
        ConsentRow {
            id: uuid::Uuid::now_v7().to_string(),
            firm_uscc: self.firm,
            institution_id: self.institution,
            purpose: self.purpose.as_str().into(),
            scope: self.scope.join(","),
            data_months: self.data_months,
            max_queries_per_month: self.max_queries_per_month,
            data_life_days: self.data_life_days,
            document_ref,
            granted_by: granted_by.into(),
            granted_key_id: key_id.to_string(),
            valid_from: self.valid_from,
            expires_at: self.expires_at,
            revoked_at: None,
            created_at: at,
            confirmed_at: None,
            confirmed_by: None,
            confirmed_key_id: None,
            refused_at: None,
            refused_reason: None,
        }
    }
}

/// The longest a consent may last from `valid_from` (Art 58 "necessary": a year).
pub fn longest(valid_from: NaiveDateTime) -> NaiveDateTime {
    valid_from + chrono::Duration::days(MAX_DAYS)
}

fn instant(field: &str, s: &str, errors: &mut Vec<Violation>) -> Option<NaiveDateTime> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.naive_utc())
        .map_err(|_| {
            errors.push(Violation::new(
                field,
                "instant.format",
                format!("{field} '{s}' is not an RFC 3339 instant (2026-12-01T00:00:00+08:00)"),
            ))
        })
        .ok()
}

/// Who grants, for whom, and on what ground: the firm for itself, or an institution citing a document.
fn parties(
    actor: &Actor,
    r: &ConsentInput,
    errors: &mut Vec<Violation>,
) -> Result<(String, String, Option<String>), ConsentError> {
    match actor {
        Actor::Firm { uscc } => {
            if r.firm_uscc.as_deref().is_some_and(|u| u != uscc.as_str()) {
                errors.push(Violation::new(
                    "firm_uscc",
                    "firm.own",
                    "a firm key grants consent only for its own firm",
                ));
            }
            let institution = r.institution_id.clone().unwrap_or_else(|| {
                errors.push(Violation::new(
                    "institution_id",
                    "required",
                    "institution_id: the bank or guarantee agency to grant access to",
                ));
                String::new()
            });
            Ok((uscc.to_string(), institution, None))
        }
        Actor::Bank { institution } | Actor::Agency { institution } => {
            if r.institution_id
                .as_deref()
                .is_some_and(|i| *institution != i)
            {
                errors.push(Violation::new(
                    "institution_id",
                    "institution.own",
                    "an institution registers consents only for itself",
                ));
            }
            let document = r
                .document_ref
                .as_deref()
                .map(str::trim)
                .filter(|d| !d.is_empty());
            if document.is_none() {
                errors.push(Violation::new("document_ref", "required", "an institution registers a consent only with the reference of the firm's signed authorisation"));
            }
            let firm = match r.firm_uscc.as_deref().map(Uscc::parse) {
                None => {
                    errors.push(Violation::new(
                        "firm_uscc",
                        "required",
                        "firm_uscc: the firm that signed",
                    ));
                    String::new()
                }
                Some(Ok(u)) => u.to_string(),
                Some(Err(e)) => {
                    errors.push(Violation::new("firm_uscc", e.rule(), e.to_string()));
                    String::new()
                }
            };
            Ok((firm, institution.to_string(), document.map(str::to_string)))
        }
        Actor::Government { .. } | Actor::Admin => Err(ConsentError::Forbidden(
            "consents are granted by the firm or registered by the institution it signed for",
        )),
    }
}

/// Every rule of a consent's terms; the terms when all hold.
fn terms(
    r: &ConsentInput,
    firm: String,
    institution: String,
    at: NaiveDateTime,
    errors: &mut Vec<Violation>,
) -> Option<Grant> {
    let purpose = Purpose::parse(&r.purpose);
    if purpose.is_none() {
        errors.push(Violation::new(
            "purpose",
            "purpose.unknown",
            format!(
                "'{}' is not a purpose; use one of {}",
                r.purpose,
                Purpose::keys()
            ),
        ));
    }
    let scope: Vec<String> = match &r.scope {
        None => SCOPES.iter().map(|s| s.to_string()).collect(),
        Some(items) => {
            for (i, s) in items.iter().enumerate() {
                if !SCOPES.contains(&s.as_str()) {
                    errors.push(Violation::new(
                        format!("scope[{i}]"),
                        "scope.unknown",
                        format!("'{s}' is not a scope item; use {}", SCOPES.join(", ")),
                    ));
                }
            }
            if items.is_empty() {
                errors.push(Violation::new(
                    "scope",
                    "length",
                    "scope needs at least one item",
                ));
            }
            let mut v = items.clone();
            v.sort_by_key(|s| SCOPES.iter().position(|x| x == s));
            v.dedup();
            v
        }
    };
    let data_months = r.data_months.unwrap_or(24);
    if !(1..=36).contains(&data_months) {
        errors.push(Violation::new(
            "data_months",
            "range",
            "data_months must be 1 to 36",
        ));
    }
    if r.max_queries_per_month.is_some_and(|n| n < 1) {
        errors.push(Violation::new(
            "max_queries_per_month",
            "range",
            "max_queries_per_month must be at least 1 (leave it out for no limit)",
        ));
    }
    let data_life_days = r.data_life_days.unwrap_or(365);
    if !(1..=3650).contains(&data_life_days) {
        errors.push(Violation::new(
            "data_life_days",
            "range",
            "data_life_days must be 1 to 3650",
        ));
    }
    let valid_from = match &r.valid_from {
        None => Some(at),
        Some(s) => instant("valid_from", s, errors),
    };
    let expires_at = instant("expires_at", &r.expires_at, errors);
    if let (Some(f), Some(e)) = (valid_from, expires_at) {
        if e <= at {
            errors.push(Violation::new(
                "expires_at",
                "consent.past",
                "expires_at is in the past",
            ));
        } else if e <= f {
            errors.push(Violation::new(
                "expires_at",
                "consent.order",
                "expires_at must be after valid_from",
            ));
        } else if e > longest(f) {
            errors.push(Violation::new(
                "expires_at",
                "consent.max_validity",
                "a consent lasts at most one year",
            ));
        }
    }
    Some(Grant {
        firm,
        institution,
        purpose: purpose?,
        scope,
        data_months,
        max_queries_per_month: r.max_queries_per_month,
        data_life_days,
        valid_from: valid_from?,
        expires_at: expires_at?,
    })
}

/// The institution must be a bank or guarantee agency, the firm registered.
fn check_parties(
    c: &mut crate::store::DbConn,
    row: &ConsentRow,
) -> Result<Option<Violation>, StoreError> {
    let inst = match institutions::get(c, &row.institution_id) {
        Err(StoreError::NotFound) => {
            return Ok(Some(Violation::new(
                "institution_id",
                "institution.unknown",
                format!("no institution {}", row.institution_id),
            )))
        }
        other => other?,
    };
    if !matches!(inst.kind.as_str(), "bank" | "guarantor") {
        return Ok(Some(Violation::new(
            "institution_id",
            "institution.kind",
            format!(
                "{} is a {}; consents go to banks and guarantee agencies",
                inst.name, inst.kind
            ),
        )));
    }
    Ok((!firms::exists(c, &row.firm_uscc)?).then(|| {
        Violation::new(
            "firm_uscc",
            "firm.unknown",
            format!("no firm {} is registered", row.firm_uscc),
        )
    }))
}

/// Forget the cached consents of `row`'s institution, firm and purpose (after the commit). A failed
/// delete is retried by the cache layer; a revocation bites regardless (the access-log writer checks the
/// database).
pub async fn evict(ctx: &Context, row: &ConsentRow) {
    let key = crate::cache::keys::consent(&row.institution_id, &row.firm_uscc, &row.purpose);
    if let Err(e) = ctx.cache.delete(&key).await {
        tracing::warn!(error = %e, consent = %row.id, "cached consents not evicted");
    }
}

/// Grant a consent (a firm for itself: active at once), or register one signed on paper (a bank or
/// agency, citing `document_ref`: pending until confirmed).
#[tracing::instrument(skip(ctx, input), fields(actor = ?actor.role(), purpose = %input.purpose))]
pub async fn create(
    ctx: &Context,
    actor: &Actor,
    key_id: &str,
    input: ConsentInput,
) -> Result<ConsentRow, ConsentError> {
    let mut errors = Vec::new();
    let at = ctx.clock.now();
    let (firm, institution, document) = parties(actor, &input, &mut errors)?;
    let grant = terms(&input, firm, institution, at, &mut errors);
    let grant = match grant {
        Some(g) if errors.is_empty() => g,
        _ => return Err(ConsentError::Invalid(errors)),
    };
    let row = match document {
        None => grant.by_firm(key_id, at),
        Some(doc) => grant.registered(doc, key_id, at),
    };
    let stored = row.clone();
    let refused = ctx
        .db
        .run(move |c| {
            if let Some(v) = check_parties(c, &stored)? {
                return Ok(Some(v));
            }
            crate::store::backend::write_transaction(c, |c| {
                store::insert(c, &stored)?;
                // A firm's grant is told to the institution; a consent an institution registered in
                // the firm's name waits for the firm, which is told.
                let told = match stored.granted_by.as_str() {
                    "firm" => Some((
                        &stored.institution_id,
                        super::notifications::Kind::ConsentGranted,
                        ("firm", &stored.firm_uscc),
                    )),
                    "institution" => Some((
                        &stored.firm_uscc,
                        super::notifications::Kind::ConsentPending,
                        ("institution", &stored.institution_id),
                    )),
                    _ => None,
                };
                if let Some((to, kind, (party, who))) = told {
                    super::notifications::tell(
                        c,
                        to,
                        kind,
                        &stored.id,
                        &[(party, who), ("purpose", &stored.purpose)],
                        stored.created_at,
                    )?;
                }
                Ok::<_, StoreError>(())
            })?;
            Ok(None)
        })
        .await?;
    if let Some(v) = refused {
        return Err(ConsentError::Invalid(vec![v]));
    }
    // A query refused a moment ago may be cached as "no consent": forget it.
    evict(ctx, &row).await;
    Ok(row)
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// The government side: one firm's consents.
    pub firm: Option<Uscc>,
    /// Only those awaiting confirmation.
    pub awaiting: bool,
    pub before: Option<String>,
    pub limit: i64,
}

impl ListQuery {
    /// From the raw filters: `firm` (heeded for the government side only) and `status` (`pending`).
    pub fn parse(
        actor: &Actor,
        firm: Option<&str>,
        status: Option<&str>,
        before: Option<String>,
        limit: i64,
    ) -> Result<ListQuery, ConsentError> {
        let mut f = super::Faults::default();
        let awaiting = match status {
            None => false,
            Some("pending") => true,
            Some(other) => {
                f.push(
                    "status",
                    "status.unknown",
                    format!("'{other}' is not a status to filter by; use pending"),
                );
                false
            }
        };
        let firm = match (actor.is_government_side(), firm) {
            (true, Some(u)) => f.check(super::uscc("firm_uscc", u)),
            _ => None,
        };
        let q = ListQuery {
            firm,
            awaiting,
            before,
            limit,
        };
        f.done(Some(q)).map_err(ConsentError::Invalid)
    }
}

/// A page of consents, and on a firm's first page those awaiting its confirmation.
#[derive(Debug, Clone)]
pub struct Listed {
    pub pending: Vec<ConsentRow>,
    /// Up to `limit + 1` rows (one more tells that there is a next page).
    pub rows: Vec<ConsentRow>,
}

/// A firm sees its own, an institution those granted to it, the government side all (or one firm's).
pub async fn list(ctx: &Context, actor: &Actor, q: ListQuery) -> Result<Listed, ConsentError> {
    let first_page = q.before.is_none() && !q.awaiting && matches!(actor, Actor::Firm { .. });
    let mut f = Filter {
        before: q.before,
        awaiting: q.awaiting,
        ..Default::default()
    };
    match actor {
        Actor::Firm { uscc } => f.firm = Some(uscc.to_string()),
        Actor::Bank { institution } | Actor::Agency { institution } => {
            f.institution = Some(institution.to_string())
        }
        Actor::Government { .. } | Actor::Admin => f.firm = q.firm.map(|u| u.to_string()),
    }
    let limit = q.limit;
    let at = ctx.clock.now();
    let (rows, pending) = ctx
        .db
        .run(move |c| {
            let rows = store::list(c, &f, limit + 1)?;
            let pending = match first_page {
                true => store::list(
                    c,
                    &Filter {
                        awaiting: true,
                        before: None,
                        ..f
                    },
                    100,
                )?,
                false => Vec::new(),
            };
            Ok((rows, pending))
        })
        .await?;
    Ok(Listed {
        pending: pending
            .into_iter()
            .filter(|c| c.status(at) == Status::Pending)
            .collect(),
        rows,
    })
}

/// One consent, if the actor may see it.
pub async fn get(ctx: &Context, actor: &Actor, id: &str) -> Result<ConsentRow, ConsentError> {
    let i = id.to_string();
    match ctx.db.run(move |c| store::get(c, &i)).await? {
        Some(c) if may_see_consent(actor, &c.firm_uscc, &c.institution_id) => Ok(c),
        // Another party's consent is as good as absent.
        _ => Err(ConsentError::NotVisible(id.to_string())),
    }
}

/// Revoke (the firm, or an administrator): it bites on the very next query.
#[tracing::instrument(skip(ctx), fields(consent = %id))]
pub async fn revoke(ctx: &Context, actor: &Actor, id: &str) -> Result<ConsentRow, ConsentError> {
    if !matches!(actor, Actor::Firm { .. } | Actor::Admin) {
        return Err(ConsentError::Forbidden(
            "a consent is revoked by its firm (or an administrator)",
        ));
    }
    let c = get(ctx, actor, id).await?;
    let (i, at) = (c.id.clone(), ctx.clock.now());
    let row = ctx
        .db
        .run(move |conn| {
            crate::store::backend::write_transaction(conn, |conn| {
                let row = store::revoke(conn, &i, at)?;
                // The institution is told at once: its next query is refused.
                if let Some(r) = &row {
                    super::notifications::tell(
                        conn,
                        &r.institution_id,
                        super::notifications::Kind::ConsentRevoked,
                        &r.id,
                        &[("firm", &r.firm_uscc), ("purpose", &r.purpose)],
                        at,
                    )?;
                }
                Ok::<_, StoreError>(row)
            })
        })
        .await?
        .ok_or_else(|| ConsentError::NotVisible(c.id.clone()))?;
    evict(ctx, &row).await;
    Ok(row)
}

fn pending(c: &ConsentRow, at: NaiveDateTime) -> Result<(), ConsentError> {
    match c.status(at) {
        Status::Pending => Ok(()),
        other => Err(ConsentError::NotPending {
            id: c.id.clone(),
            status: other.as_str(),
        }),
    }
}

/// Confirm a consent an institution registered: the firm (its act makes it live), or a government
/// officer who verified the signed document (recorded as `government`, with the key).
#[tracing::instrument(skip(ctx), fields(consent = %id))]
pub async fn confirm(
    ctx: &Context,
    actor: &Actor,
    key_id: &str,
    id: &str,
) -> Result<ConsentRow, ConsentError> {
    let by = match actor {
        Actor::Firm { .. } => "firm",
        Actor::Government { .. } => "government",
        _ => {
            return Err(ConsentError::Forbidden(
                "a consent is confirmed by its firm, or by a government officer who verified the signed document",
            ))
        }
    };
    let c = get(ctx, actor, id).await?;
    let at = ctx.clock.now();
    pending(&c, at)?;
    let (i, key) = (c.id.clone(), key_id.to_string());
    settle(ctx, c, move |conn| store::confirm(conn, &i, by, &key, at)).await
}

/// Write a pending consent's answer (`None` from `answer`: it was answered meanwhile), then evict.
async fn settle<F>(ctx: &Context, c: ConsentRow, answer: F) -> Result<ConsentRow, ConsentError>
where
    F: FnOnce(&mut crate::store::DbConn) -> Result<Option<ConsentRow>, StoreError> + Send + 'static,
{
    let row = ctx.db.run(answer).await?.ok_or(ConsentError::NotPending {
        id: c.id,
        status: "no longer pending",
    })?;
    evict(ctx, &row).await;
    Ok(row)
}

/// The firm refuses a consent an institution registered in its name.
#[tracing::instrument(skip(ctx, reason), fields(consent = %id))]
pub async fn refuse(
    ctx: &Context,
    actor: &Actor,
    id: &str,
    reason: Option<String>,
) -> Result<ConsentRow, ConsentError> {
    if !matches!(actor, Actor::Firm { .. }) {
        return Err(ConsentError::Forbidden(
            "only the firm refuses a consent registered in its name",
        ));
    }
    let c = get(ctx, actor, id).await?;
    let at = ctx.clock.now();
    pending(&c, at)?;
    let reason = reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    let i = c.id.clone();
    settle(ctx, c, move |conn| {
        store::refuse(conn, &i, reason.as_deref(), at)
    })
    .await
}
