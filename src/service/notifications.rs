//! The in-app inbox (issue 16): what a firm is told. Written where the event happens — a consent an
//! institution registered in the firm's name (to confirm or refuse), an application's move, a receivable
//! a supplier registered against the firm (to confirm or dispute, Art 27, 54) — and, when the inbox is
//! read, each institution's query of the profile (from the access log) and each consent that ends within
//! seven days. Each is written once; reading marks it read.

use super::access::Actor;
use super::Context;
use crate::store::notifications::{self as store, NotificationRow};
use crate::store::{DbConn, StoreError};
use chrono::NaiveDateTime;
use std::collections::BTreeMap;

/// A consent about to end is announced this many days before.
pub const CONSENT_WARNING_DAYS: i64 = 7;

/// What happened, in the inbox's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    ProfileQueried,
    ConsentExpiring,
    ConsentPending,
    ApplicationChanged,
    ReceivableToAnswer,
    /// To an institution (issue 17): a firm applied to it.
    ApplicationNew,
    /// A firm granted it a consent, or revoked one.
    ConsentGranted,
    ConsentRevoked,
    /// An agency's claim batch moved: reconciled, approved, paid.
    BatchMoved,
    /// An agency's reward claim moved: claimed, approved, paid.
    RewardMoved,
    /// To a department (issue 21): a repair application or a dispute in its remit arrived.
    RemedyToHandle,
    /// To a firm: its repair application or dispute moved.
    RemedyMoved,
    /// To an institution holding a live consent: a firm's profile changed by a repair or a dispute.
    ProfileChanged,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::ProfileQueried => "profile_queried",
            Kind::ConsentExpiring => "consent_expiring",
            Kind::ConsentPending => "consent_pending",
            Kind::ApplicationChanged => "application_changed",
            Kind::ReceivableToAnswer => "receivable_to_answer",
            Kind::ApplicationNew => "application_new",
            Kind::ConsentGranted => "consent_granted",
            Kind::ConsentRevoked => "consent_revoked",
            Kind::BatchMoved => "batch_moved",
            Kind::RewardMoved => "reward_moved",
            Kind::RemedyToHandle => "remedy_to_handle",
            Kind::RemedyMoved => "remedy_moved",
            Kind::ProfileChanged => "profile_changed",
        }
    }
}

/// A notification for `recipient` (a USCC or an institution id).
fn row(
    recipient: &str,
    kind: Kind,
    subject: &str,
    detail: &[(&str, &str)],
    at: NaiveDateTime,
) -> NotificationRow {
    NotificationRow {
        id: uuid::Uuid::now_v7().to_string(),
        recipient: recipient.to_string(),
        kind: kind.as_str().into(),
        subject: subject.to_string(),
        detail: detail
            .iter()
            .map(|(k, v)| format!("{k}={}", v.replace([';', '='], " ")))
            .collect::<Vec<_>>()
            .join(";"),
        created_at: at,
        read_at: None,
    }
}

/// Tell `recipient` (a USCC or an institution id) of an event, inside the transaction that makes it.
pub fn tell(
    conn: &mut DbConn,
    recipient: &str,
    kind: Kind,
    subject: &str,
    detail: &[(&str, &str)],
    at: NaiveDateTime,
) -> Result<(), StoreError> {
    store::add(conn, &[row(recipient, kind, subject, detail, at)]).map(|_| ())
}

/// One notification as shown.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct NotificationView {
    pub id: String,
    /// `profile_queried`, `consent_expiring`, `consent_pending`, `application_changed`,
    /// `receivable_to_answer` (a firm's); `application_new`, `consent_granted`, `consent_revoked`,
    /// `batch_moved`, `reward_moved`, `remedy_to_handle`, `profile_changed` (an institution's);
    /// `remedy_moved` (a firm's).
    pub kind: String,
    /// What it is about: an access-log row, a consent, an application, a receivable, a claim batch.
    pub subject: String,
    /// The event's own words (an institution, a status, a firm, …).
    pub detail: BTreeMap<String, String>,
    #[serde(serialize_with = "utc")]
    #[schema(value_type = String)]
    pub at: NaiveDateTime,
    pub read: bool,
}

fn utc<S: serde::Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::domain::rfc3339(*t))
}

impl From<NotificationRow> for NotificationView {
    fn from(r: NotificationRow) -> Self {
        NotificationView {
            detail: r
                .detail
                .split(';')
                .filter_map(|p| p.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            id: r.id,
            kind: r.kind,
            subject: r.subject,
            at: r.created_at,
            read: r.read_at.is_some(),
        }
    }
}

/// The inbox's owner: a firm its USCC, an institution its id; the administrator has none.
fn recipient(actor: &Actor) -> Option<String> {
    match actor {
        Actor::Firm { uscc } => Some(uscc.to_string()),
        Actor::Bank { institution }
        | Actor::Agency { institution }
        | Actor::Government { institution } => Some(institution.to_string()),
        Actor::Admin => None,
    }
}

/// Add what the access log and the consents say since the inbox was last read (a firm's), and count
/// what is unread: three round trips (the mark; the access log, which SQLite keeps in a file of its own;
/// the rest in one go).
async fn refresh(ctx: &Context, firm: &str) -> Result<i64, StoreError> {
    let f = firm.to_string();
    let mark = ctx.db.run(move |c| store::access_mark(c, &f)).await?;
    let f = firm.to_string();
    let queries = ctx
        .db
        .run_log(move |c| store::queries_after(c, &f, mark.as_deref(), 500))
        .await?;
    let now = ctx.clock.now();
    let until = now + chrono::Duration::days(CONSENT_WARNING_DAYS);
    let f = firm.to_string();
    ctx.db
        .run(move |c| {
            let mut rows: Vec<NotificationRow> = queries
                .iter()
                .map(|(id, at, institution, purpose, result)| {
                    let mut r = row(
                        &f,
                        Kind::ProfileQueried,
                        id,
                        &[
                            ("institution", institution.as_deref().unwrap_or("")),
                            ("purpose", purpose.as_deref().unwrap_or("")),
                            ("result", result),
                        ],
                        *at,
                    );
                    // Ordered by when the query was made.
                    r.id = format!("{}-{id}", uuid_at(*at));
                    r
                })
                .collect();
            for (id, institution, ends) in store::consents_ending(c, &f, now, until)? {
                rows.push(row(
                    &f,
                    Kind::ConsentExpiring,
                    &id,
                    &[
                        ("institution", &institution),
                        ("expires_at", &crate::domain::rfc3339(ends)),
                    ],
                    now,
                ));
            }
            store::add(c, &rows)?;
            if let Some((last, ..)) = queries.last() {
                store::set_access_mark(c, &f, last)?;
            }
            store::unread(c, &f)
        })
        .await
}

/// A sortable prefix for a time (so that an access-log query sorts where it happened).
fn uuid_at(at: NaiveDateTime) -> String {
    let ms = at.and_utc().timestamp_millis().max(0) as u64;
    let u = uuid::Builder::from_unix_timestamp_millis(ms, &[0; 10]).into_uuid();
    u.to_string()[..23].to_string()
}

/// How many of the actor's notifications are unread (a firm's inbox is brought up to date first).
pub async fn unread(ctx: &Context, actor: &Actor) -> Result<i64, StoreError> {
    match (actor, recipient(actor)) {
        (Actor::Firm { uscc }, _) => refresh(ctx, uscc.as_str()).await,
        (_, Some(r)) => ctx.db.run(move |c| store::unread(c, &r)).await,
        (_, None) => Ok(0),
    }
}

/// A page of the actor's notifications, newest first, and whether more follow.
pub async fn list(
    ctx: &Context,
    actor: &Actor,
    before: Option<String>,
    limit: i64,
) -> Result<(Vec<NotificationView>, bool), StoreError> {
    if let Actor::Firm { uscc } = actor {
        refresh(ctx, uscc.as_str()).await?;
    }
    page(ctx, actor, before, limit).await
}

/// As [`list`], for a caller that brought the inbox up to date in this request already ([`unread`]).
pub async fn page(
    ctx: &Context,
    actor: &Actor,
    before: Option<String>,
    limit: i64,
) -> Result<(Vec<NotificationView>, bool), StoreError> {
    let Some(r) = recipient(actor) else {
        return Ok((Vec::new(), false));
    };
    let rows = ctx
        .db
        .run(move |c| store::list(c, &r, before.as_deref(), limit + 1))
        .await?;
    let (rows, more) = super::split_page(rows, limit);
    Ok((rows.into_iter().map(NotificationView::from).collect(), more))
}

/// Mark these notifications (or, with `None`, all) of the actor's read, in one statement; how many
/// changed.
pub async fn mark_read(
    ctx: &Context,
    actor: &Actor,
    ids: Option<Vec<String>>,
) -> Result<usize, StoreError> {
    let Some(r) = recipient(actor) else {
        return Ok(0);
    };
    let at = ctx.clock.now();
    ctx.db
        .run(move |c| store::mark_read(c, &r, ids.as_deref(), at))
        .await
}
