//! Guarantee contracts, fee-subsidy policies, claim batches with their reconciled lines, agencies' net
//! assets.

use super::schema::{agency_net_assets, claim_batches, claim_lines, guarantees, subsidy_policies};
use super::{DbConn, Result};
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Selectable)]
#[diesel(table_name = guarantees, treat_none_as_default_value = false)]
pub struct GuaranteeRow {
    pub id: String,
    pub agency_id: String,
    pub contract_no: String,
    pub firm_uscc: String,
    pub lender: String,
    pub loan_amount_fen: i64,
    pub guaranteed_fen: i64,
    pub fee_rate: String,
    pub start_on: chrono::NaiveDate,
    pub end_on: chrono::NaiveDate,
    pub released_on: Option<chrono::NaiveDate>,
    pub called_on: Option<chrono::NaiveDate>,
    pub compensation_fen: Option<i64>,
    pub application_id: Option<String>,
    pub first_loan: bool,
    pub created_at: chrono::NaiveDateTime,
}

impl GuaranteeRow {
    /// The stored yearly fee rate; a text that is not a rate is an error (never read as 0%).
    pub fn fee_rate(&self) -> super::Result<crate::domain::rate::Rate> {
        crate::domain::rate::Rate::parse(&self.fee_rate).map_err(|e| {
            super::StoreError::Config(format!("guarantee {}: stored fee rate {e}", self.id))
        })
    }
}

/// Insert contracts; a contract number the agency already used is a conflict.
pub fn insert(conn: &mut DbConn, rows: &[GuaranteeRow]) -> Result<()> {
    Ok(crate::bulk_insert!(conn, guarantees::table, rows, 1_000)?)
}

pub fn get(conn: &mut DbConn, id: &str) -> Result<Option<GuaranteeRow>> {
    Ok(guarantees::table.find(id).first(conn).optional()?)
}

/// An agency's contracts by their numbers.
pub fn by_numbers(
    conn: &mut DbConn,
    agency: &str,
    numbers: &[String],
) -> Result<Vec<GuaranteeRow>> {
    // Many numbers: one pass over the agency's contracts beats hundreds of long IN lists.
    if numbers.len() > 20_000 {
        let wanted: std::collections::HashSet<&str> = numbers.iter().map(String::as_str).collect();
        return Ok(guarantees::table
            .filter(guarantees::agency_id.eq(agency))
            .load::<GuaranteeRow>(conn)?
            .into_iter()
            .filter(|g| wanted.contains(g.contract_no.as_str()))
            .collect());
    }
    let mut out = Vec::new();
    for chunk in numbers.chunks(5_000) {
        out.extend(
            guarantees::table
                .filter(guarantees::agency_id.eq(agency))
                .filter(guarantees::contract_no.eq_any(chunk.to_vec()))
                .load::<GuaranteeRow>(conn)?,
        );
    }
    Ok(out)
}

/// Contracts by id (in chunks: a long IN list has a limit).
pub fn by_ids(conn: &mut DbConn, ids: &[String]) -> Result<Vec<GuaranteeRow>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(5_000) {
        out.extend(
            guarantees::table
                .filter(guarantees::id.eq_any(chunk.to_vec()))
                .load::<GuaranteeRow>(conn)?,
        );
    }
    Ok(out)
}

/// Where a contract stands on a day: running, released early (repaid), called (compensated), or past
/// its end date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContractState {
    Active,
    Released,
    Called,
    Ended,
}

impl ContractState {
    pub const ALL: [ContractState; 4] = [
        ContractState::Active,
        ContractState::Released,
        ContractState::Called,
        ContractState::Ended,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ContractState::Active => "active",
            ContractState::Released => "released",
            ContractState::Called => "called",
            ContractState::Ended => "ended",
        }
    }
    pub fn parse(s: &str) -> Option<ContractState> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
    /// The state on `today` of a contract called, released or ending on these days (the same rule the
    /// list filter below applies in SQL).
    pub fn of(
        called_on: Option<chrono::NaiveDate>,
        released_on: Option<chrono::NaiveDate>,
        end_on: chrono::NaiveDate,
        today: chrono::NaiveDate,
    ) -> ContractState {
        match (called_on, released_on) {
            (Some(_), _) => ContractState::Called,
            (None, Some(_)) => ContractState::Released,
            (None, None) if end_on <= today => ContractState::Ended,
            (None, None) => ContractState::Active,
        }
    }
}

/// What a list of contracts is narrowed to: a contract number or borrower USCC containing `text`, and a
/// state on `today`.
#[derive(Debug, Clone, Default)]
pub struct ContractFilter {
    pub text: Option<String>,
    pub state: Option<(ContractState, chrono::NaiveDate)>,
}

pub fn list(
    conn: &mut DbConn,
    agency: Option<&str>,
    filter: &ContractFilter,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<GuaranteeRow>> {
    let mut q = guarantees::table.into_boxed();
    if let Some(a) = agency {
        q = q.filter(guarantees::agency_id.eq(a.to_string()));
    }
    if let Some(text) = filter.text.as_deref().filter(|t| !t.is_empty()) {
        let like = format!("%{}%", text.replace(['%', '_'], ""));
        q = q.filter(
            guarantees::contract_no
                .like(like.clone())
                .or(guarantees::firm_uscc.like(like)),
        );
    }
    if let Some((state, today)) = filter.state {
        q = match state {
            ContractState::Called => q.filter(guarantees::called_on.is_not_null()),
            ContractState::Released => q.filter(
                guarantees::called_on
                    .is_null()
                    .and(guarantees::released_on.is_not_null()),
            ),
            ContractState::Ended => q.filter(
                guarantees::called_on
                    .is_null()
                    .and(guarantees::released_on.is_null())
                    .and(guarantees::end_on.le(today)),
            ),
            ContractState::Active => q.filter(
                guarantees::called_on
                    .is_null()
                    .and(guarantees::released_on.is_null())
                    .and(guarantees::end_on.gt(today)),
            ),
        };
    }
    if let Some(a) = after {
        q = q.filter(guarantees::id.gt(a.to_string()));
    }
    Ok(q.order(guarantees::id.asc()).limit(limit).load(conn)?)
}

/// A firm's contracts, the newest start first.
pub fn of_firm(conn: &mut DbConn, firm: &str) -> Result<Vec<GuaranteeRow>> {
    Ok(guarantees::table
        .filter(guarantees::firm_uscc.eq(firm.to_string()))
        .order((guarantees::start_on.desc(), guarantees::id.asc()))
        .load(conn)?)
}

/// Record a release (early repayment) or a call (compensation paid), once, and not before the start or
/// after the end.
pub fn end_early(
    conn: &mut DbConn,
    id: &str,
    on: chrono::NaiveDate,
    compensation_fen: Option<i64>,
) -> Result<bool> {
    let base = guarantees::table
        .find(id)
        .filter(guarantees::released_on.is_null())
        .filter(guarantees::called_on.is_null());
    let n = match compensation_fen {
        None => diesel::update(base)
            .set(guarantees::released_on.eq(Some(on)))
            .execute(conn)?,
        Some(c) => diesel::update(base)
            .set((
                guarantees::called_on.eq(Some(on)),
                guarantees::compensation_fen.eq(Some(c)),
            ))
            .execute(conn)?,
    };
    Ok(n == 1)
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Selectable)]
#[diesel(table_name = subsidy_policies)]
pub struct PolicyRow {
    pub id: String,
    pub name: String,
    pub spec: String,
    pub created_at: chrono::NaiveDateTime,
}

pub fn insert_policy(conn: &mut DbConn, row: &PolicyRow) -> Result<()> {
    diesel::insert_into(subsidy_policies::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn get_policy(conn: &mut DbConn, id: &str) -> Result<Option<PolicyRow>> {
    Ok(subsidy_policies::table.find(id).first(conn).optional()?)
}

pub fn list_policies(conn: &mut DbConn) -> Result<Vec<PolicyRow>> {
    Ok(subsidy_policies::table
        .order(subsidy_policies::id.asc())
        .load(conn)?)
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Selectable)]
#[diesel(table_name = claim_batches)]
pub struct BatchRow {
    pub id: String,
    pub agency_id: String,
    pub policy_id: String,
    pub idempotency_key: Option<String>,
    pub body_hash: String,
    pub status: crate::domain::states::BatchStatus,
    pub lines: i32,
    pub claimed_fen: i64,
    pub computed_fen: i64,
    pub approved_fen: i64,
    pub difference_fen: i64,
    pub submitted_at: chrono::NaiveDateTime,
    pub reconciled_at: chrono::NaiveDateTime,
    pub approved_at: Option<chrono::NaiveDateTime>,
    pub paid_at: Option<chrono::NaiveDateTime>,
    /// When its agency withdrew it (before approval).
    pub withdrawn_at: Option<chrono::NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Selectable)]
#[diesel(table_name = claim_lines, treat_none_as_default_value = false)]
pub struct LineRow {
    pub batch_id: String,
    pub line_no: i32,
    pub contract_no: String,
    pub guarantee_id: Option<String>,
    pub firm_uscc: Option<String>,
    pub from_on: chrono::NaiveDate,
    pub to_on: chrono::NaiveDate,
    pub claimed_fen: i64,
    pub status: crate::domain::subsidy::Status,
    pub computed_fen: i64,
    pub approved_fen: i64,
    pub difference_fen: i64,
    /// Days of the period inside the contract's active interval, per calendar year: `2026:184,2027:181`.
    pub year_days: String,
    pub before_caps_fen: i64,
    pub caps: String,
    pub reason: Option<String>,
    /// The firm's size class when the line was reconciled (Art 17 statistics count by it).
    pub size_class: Option<String>,
}

impl BatchRow {
    /// The batch's totals, from its reconciliation.
    pub fn set_totals(&mut self, t: &crate::domain::subsidy::Totals) {
        self.claimed_fen = t.claimed.fen();
        self.computed_fen = t.computed.fen();
        self.approved_fen = t.approved.fen();
        self.difference_fen = t.difference.fen();
    }
}

pub fn insert_batch(conn: &mut DbConn, row: &BatchRow) -> Result<()> {
    diesel::insert_into(claim_batches::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn save_batch(conn: &mut DbConn, row: &BatchRow) -> Result<()> {
    diesel::update(claim_batches::table.find(&row.id))
        .set((
            claim_batches::status.eq(&row.status),
            claim_batches::claimed_fen.eq(row.claimed_fen),
            claim_batches::computed_fen.eq(row.computed_fen),
            claim_batches::approved_fen.eq(row.approved_fen),
            claim_batches::difference_fen.eq(row.difference_fen),
            claim_batches::reconciled_at.eq(row.reconciled_at),
            claim_batches::approved_at.eq(row.approved_at),
            claim_batches::paid_at.eq(row.paid_at),
            claim_batches::withdrawn_at.eq(row.withdrawn_at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn get_batch(conn: &mut DbConn, id: &str) -> Result<Option<BatchRow>> {
    Ok(claim_batches::table.find(id).first(conn).optional()?)
}

pub fn batch_by_key(conn: &mut DbConn, agency: &str, key: &str) -> Result<Option<BatchRow>> {
    Ok(claim_batches::table
        .filter(claim_batches::agency_id.eq(agency))
        .filter(claim_batches::idempotency_key.eq(key))
        .first(conn)
        .optional()?)
}

pub fn list_batches(conn: &mut DbConn, agency: Option<&str>, limit: i64) -> Result<Vec<BatchRow>> {
    let mut q = claim_batches::table.into_boxed();
    if let Some(a) = agency {
        q = q.filter(claim_batches::agency_id.eq(a.to_string()));
    }
    Ok(q.order(claim_batches::id.desc()).limit(limit).load(conn)?)
}

/// Replace a batch's lines (a reconciliation is redone when the batch is approved).
pub fn set_lines(conn: &mut DbConn, batch: &str, rows: &[LineRow]) -> Result<()> {
    diesel::delete(claim_lines::table.filter(claim_lines::batch_id.eq(batch))).execute(conn)?;
    Ok(crate::bulk_insert!(conn, claim_lines::table, rows, 1_000)?)
}

pub fn lines(conn: &mut DbConn, batch: &str) -> Result<Vec<LineRow>> {
    Ok(claim_lines::table
        .filter(claim_lines::batch_id.eq(batch))
        .order(claim_lines::line_no.asc())
        .load(conn)?)
}

/// Which approved lines to read (issue 20: what caps, duplicates and exclusivity count).
#[derive(Debug, Clone, Copy)]
pub enum Draws<'a> {
    /// Those of these policies, outside batch `except` (the batch being reconciled).
    Policies { ids: &'a [String], except: &'a str },
    /// A firm's, under any policy (once per firm and exclusivity per firm when its offers are priced).
    Firm(&'a str),
}

/// Lines with an approved amount in approved or paid batches, each with its batch's policy.
pub fn approved_draws(conn: &mut DbConn, which: Draws<'_>) -> Result<Vec<(String, LineRow)>> {
    let mut q = claim_lines::table
        .inner_join(claim_batches::table.on(claim_batches::id.eq(claim_lines::batch_id)))
        .filter(claim_batches::status.eq_any(crate::domain::states::BatchStatus::COUNTED))
        .filter(claim_lines::guarantee_id.is_not_null())
        .filter(claim_lines::status.eq_any(crate::domain::subsidy::Status::PAYABLE))
        .select((claim_batches::policy_id, LineRow::as_select()))
        .into_boxed();
    match which {
        Draws::Policies { ids, except } => {
            q = q
                .filter(claim_batches::policy_id.eq_any(ids.to_vec()))
                .filter(claim_batches::id.ne(except.to_string()));
        }
        Draws::Firm(firm) => q = q.filter(claim_lines::firm_uscc.eq(firm.to_string())),
    }
    Ok(q.load(conn)?)
}

/// Approved amounts under a policy by where the money stands: `(committed, paid)` in fen, claim lines
/// of approved batches and paid batches, and the agency rewards approved and paid.
pub fn spent(conn: &mut DbConn, policy: &str) -> Result<(i64, i64)> {
    use crate::domain::states::{BatchStatus, RewardStatus};
    let mut committed = 0i64;
    let mut paid = 0i64;
    for (st, fen) in claim_batches::table
        .filter(claim_batches::policy_id.eq(policy))
        .select((claim_batches::status, claim_batches::approved_fen))
        .load::<(String, i64)>(conn)?
    {
        if st == BatchStatus::Approved.as_str() {
            committed += fen;
        } else if st == BatchStatus::Paid.as_str() {
            paid += fen;
        }
    }
    for (st, fen) in super::schema::reward_claims::table
        .filter(super::schema::reward_claims::policy_id.eq(policy))
        .select((
            super::schema::reward_claims::status,
            super::schema::reward_claims::reward_fen,
        ))
        .load::<(String, i64)>(conn)?
    {
        if st == RewardStatus::Approved.as_str() {
            committed += fen;
        } else if st == RewardStatus::Paid.as_str() {
            paid += fen;
        }
    }
    Ok((committed, paid))
}

/// Report an agency's net assets on a date (a later report for the same date replaces it).
pub fn report_net_assets(
    conn: &mut DbConn,
    agency: &str,
    as_of: chrono::NaiveDate,
    fen: i64,
    at: chrono::NaiveDateTime,
) -> Result<()> {
    diesel::delete(
        agency_net_assets::table
            .filter(agency_net_assets::agency_id.eq(agency))
            .filter(agency_net_assets::as_of.eq(as_of)),
    )
    .execute(conn)?;
    diesel::insert_into(agency_net_assets::table)
        .values((
            agency_net_assets::agency_id.eq(agency),
            agency_net_assets::as_of.eq(as_of),
            agency_net_assets::net_assets_fen.eq(fen),
            agency_net_assets::reported_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The agency's latest net assets reported for a date on or before `day`.
pub fn net_assets_on(
    conn: &mut DbConn,
    agency: &str,
    day: chrono::NaiveDate,
) -> Result<Option<i64>> {
    Ok(agency_net_assets::table
        .filter(agency_net_assets::agency_id.eq(agency))
        .filter(agency_net_assets::as_of.le(day))
        .order(agency_net_assets::as_of.desc())
        .select(agency_net_assets::net_assets_fen)
        .first(conn)
        .optional()?)
}

/// Subsidies approved and paid to an agency with their approval / payment in `[from, to)`.
pub fn subsidies_between(
    conn: &mut DbConn,
    agency: &str,
    from: chrono::NaiveDateTime,
    to: chrono::NaiveDateTime,
) -> Result<(i64, i64)> {
    let batches: Vec<BatchRow> = claim_batches::table
        .filter(claim_batches::agency_id.eq(agency))
        .filter(claim_batches::status.eq_any(crate::domain::states::BatchStatus::COUNTED))
        .load(conn)?;
    let within = |t: Option<chrono::NaiveDateTime>| t.is_some_and(|t| from <= t && t < to);
    let approved = batches
        .iter()
        .filter(|b| within(b.approved_at))
        .map(|b| b.approved_fen)
        .sum();
    let paid = batches
        .iter()
        .filter(|b| within(b.paid_at))
        .map(|b| b.approved_fen)
        .sum();
    Ok((approved, paid))
}

impl LineRow {
    /// Days of the period inside the contract's active interval.
    pub fn days(&self) -> i64 {
        crate::domain::subsidy::parse_year_days(&self.year_days)
            .iter()
            .map(|d| d.1)
            .sum()
    }
}
