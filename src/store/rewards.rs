//! Agencies' reward claims (issue 17): what an agency-reward policy computed for an agency over a period,
//! and where its payment stands.

use super::schema::reward_claims;
use super::{DbConn, Result};
use crate::domain::states::RewardStatus;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Selectable)]
#[diesel(table_name = reward_claims)]
pub struct RewardClaimRow {
    pub id: String,
    pub policy_id: String,
    pub agency_id: String,
    pub from_on: NaiveDate,
    /// Exclusive.
    pub to_on: NaiveDate,
    pub eligible_contracts: i32,
    pub average_balance_fen: i64,
    pub reward_fen: i64,
    pub status: RewardStatus,
    pub claimed_at: NaiveDateTime,
    pub approved_at: Option<NaiveDateTime>,
    pub paid_at: Option<NaiveDateTime>,
    /// The part earned on small and micro firms' guarantees; `None` for claims made before it was kept.
    pub small_micro_fen: Option<i64>,
}

pub fn insert(conn: &mut DbConn, row: &RewardClaimRow) -> Result<()> {
    diesel::insert_into(reward_claims::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn save(conn: &mut DbConn, row: &RewardClaimRow) -> Result<()> {
    diesel::update(reward_claims::table.find(&row.id))
        .set((
            reward_claims::status.eq(&row.status),
            reward_claims::eligible_contracts.eq(row.eligible_contracts),
            reward_claims::average_balance_fen.eq(row.average_balance_fen),
            reward_claims::reward_fen.eq(row.reward_fen),
            reward_claims::approved_at.eq(row.approved_at),
            reward_claims::paid_at.eq(row.paid_at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn get(conn: &mut DbConn, id: &str) -> Result<Option<RewardClaimRow>> {
    Ok(reward_claims::table.find(id).first(conn).optional()?)
}

/// An agency's claims under a policy whose period overlaps `[from, to)`.
pub fn overlapping(
    conn: &mut DbConn,
    policy: &str,
    agency: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<RewardClaimRow>> {
    Ok(reward_claims::table
        .filter(reward_claims::policy_id.eq(policy))
        .filter(reward_claims::agency_id.eq(agency))
        .filter(reward_claims::from_on.lt(to))
        .filter(reward_claims::to_on.gt(from))
        .load(conn)?)
}

/// Claims, newest first: one agency's, or (none) every agency's.
pub fn list(conn: &mut DbConn, agency: Option<&str>, limit: i64) -> Result<Vec<RewardClaimRow>> {
    let mut q = reward_claims::table.into_boxed();
    if let Some(a) = agency {
        q = q.filter(reward_claims::agency_id.eq(a.to_string()));
    }
    Ok(q.order(reward_claims::id.desc()).limit(limit).load(conn)?)
}
