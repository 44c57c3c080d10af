//! A firm's own overview (issue 16): its registry entry and size class with the indicators that decided
//! it, its newest credit profile (score, grade, reasons, coverage per source), the score over its profile
//! history and its designations in force. The firm reads its own data: this is not an institution's
//! access and is not written to the access log (which is for queries of the firm by others).

use super::access::Actor;
use super::firms::FirmView;
use super::profiles::ProfileDocument;
use super::{Context, ServiceError};
use crate::domain::Uscc;
use crate::store::{applications, profiles as store, StoreError};

/// How many months of history the chart shows.
pub const HISTORY_MONTHS: usize = 24;

/// One month's score (its newest snapshot).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScorePoint {
    pub as_of: String,
    pub score: i32,
    pub grade: String,
}

#[derive(Debug)]
pub struct Overview {
    pub firm: FirmView,
    /// None before the first profile is computed.
    pub profile: Option<ProfileDocument>,
    /// Oldest month first, at most [`HISTORY_MONTHS`].
    pub history: Vec<ScorePoint>,
    pub designations: Vec<String>,
    /// The size class public money relies on today, with where each figure came from and any
    /// declaration of the firm's still pending (issue 20 §8).
    pub eligibility: super::firms::Eligibility,
}

/// The overview of the actor's own firm.
#[tracing::instrument(skip(ctx, actor), fields(firm = %uscc))]
pub async fn of_firm(ctx: &Context, actor: &Actor, uscc: &Uscc) -> Result<Overview, ServiceError> {
    if !matches!(actor, Actor::Firm { uscc: own } if own == uscc) {
        return Err(ServiceError::Forbidden(
            "a firm's overview is for the firm itself".into(),
        ));
    }
    let (u, today) = (uscc.to_string(), ctx.clock.today());
    // The registry entry, its class for public money, the history and the designations in one round
    // trip; the profile from the cache (or the database) meanwhile.
    let reads = ctx.db.run(move |c| {
        let row = crate::store::firms::get(c, &u)?;
        let eligibility = super::firms::eligibility_on(c, &row, today)?;
        let rows = store::history(c, &u, None, (HISTORY_MONTHS * 4) as i64)?;
        Ok((
            row,
            eligibility,
            rows,
            applications::designations(c, &u, today)?,
        ))
    });
    let (reads, body) = futures_util::join!(reads, ctx.profiles.latest(uscc.as_str()));
    let (row, eligibility, rows, designations) = reads.map_err(|e| match e {
        StoreError::NotFound => ServiceError::NotFound(format!("no firm {uscc} is registered")),
        other => other.into(),
    })?;
    let body = body?;
    let profile = body
        .map(|b| {
            serde_json::from_slice::<ProfileDocument>(&b).map_err(|e| {
                ServiceError::Store(StoreError::Config(format!(
                    "stored profile of {uscc} does not read as a profile: {e}"
                )))
            })
        })
        .transpose()?;
    // Newest first, several versions a month: keep each month's newest.
    let mut history: Vec<ScorePoint> = Vec::new();
    for r in rows {
        if history.last().is_some_and(|p| p.as_of == r.as_of) {
            continue;
        }
        if history.len() == HISTORY_MONTHS {
            break;
        }
        history.push(ScorePoint {
            as_of: r.as_of,
            score: r.score,
            grade: r.grade,
        });
    }
    history.reverse();
    Ok(Overview {
        firm: FirmView::from(&row),
        profile,
        history,
        designations,
        eligibility,
    })
}
