//! The aggregate reads the statistics need (issue 18): grouped in the database so that a city's registry
//! (100,000 firms, three years of monthly signals) is summed where it lies. Dates and months are bound as
//! literals built from typed values (`NaiveDate`, `Month`), never from input text, so both backends read
//! one SQL text; amounts are summed as BIGINT on both.

use super::schema::{ingestion_rejects, ingestion_runs, reward_claims};
use super::{DbConn, Result};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

/// Firms registered before `to`, by size class × industry row × district, with those established in
/// `[from, to)`. Market entities only: USCC registration-department code 9 (GB 32100-2015; government
/// bodies, code 1, are in the registry as buyers and debtors, not as firms).
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct FirmCell {
    #[diesel(sql_type = Text)]
    pub size_class: String,
    #[diesel(sql_type = Text)]
    pub industry_row: String,
    #[diesel(sql_type = Text)]
    pub district: String,
    #[diesel(sql_type = BigInt)]
    pub firms: i64,
    #[diesel(sql_type = BigInt)]
    pub new_firms: i64,
}

fn day(d: NaiveDate) -> String {
    format!("'{}'", d.format("%Y-%m-%d"))
}

fn instant(t: NaiveDateTime) -> String {
    format!("'{}'", t.format("%Y-%m-%d %H:%M:%S"))
}

pub fn firms_by_cell(conn: &mut DbConn, from: NaiveDate, to: NaiveDate) -> Result<Vec<FirmCell>> {
    let q = format!(
        "SELECT size_class, industry_row, district, CAST(COUNT(*) AS BIGINT) AS firms,
                CAST(SUM(CASE WHEN established_on >= {f} THEN 1 ELSE 0 END) AS BIGINT) AS new_firms
         FROM firms WHERE established_on < {t} AND uscc LIKE '9%'
         GROUP BY size_class, industry_row, district
         ORDER BY size_class, industry_row, district",
        f = day(from),
        t = day(to)
    );
    Ok(diesel::sql_query(q).load(conn)?)
}

/// A signal kind summed over months per size class × industry row × district (current signals only).
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct SignalCell {
    #[diesel(sql_type = Text)]
    pub size_class: String,
    #[diesel(sql_type = Text)]
    pub industry_row: String,
    #[diesel(sql_type = Text)]
    pub district: String,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub total: Option<i64>,
}

/// Sum `kinds` (money kinds in fen, count kinds as integers) over months `first..=last` (`YYYY-MM`).
pub fn signal_sums(
    conn: &mut DbConn,
    kinds: &[&'static str],
    first: &crate::domain::month::Month,
    last: &crate::domain::month::Month,
) -> Result<Vec<SignalCell>> {
    let list = kinds
        .iter()
        .map(|k| format!("'{k}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let q = format!(
        "SELECT f.size_class AS size_class, f.industry_row AS industry_row, f.district AS district, s.kind AS kind,
                CAST(SUM(COALESCE(s.value_fen, CAST(s.value_num AS BIGINT))) AS BIGINT) AS total
         FROM signals s JOIN firms f ON f.uscc = s.uscc AND f.uscc LIKE '9%'
         WHERE s.superseded_at IS NULL AND s.kind IN ({list}) AND s.period >= '{first}' AND s.period <= '{last}'
         GROUP BY f.size_class, f.industry_row, f.district, s.kind"
    );
    Ok(diesel::sql_query(q).load(conn)?)
}

#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct Counted {
    #[diesel(sql_type = Text)]
    pub key: String,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// Firms holding each designation on `on`.
pub fn designations_on(conn: &mut DbConn, on: NaiveDate) -> Result<Vec<Counted>> {
    let q = format!(
        "SELECT designation AS key, CAST(COUNT(DISTINCT firm_uscc) AS BIGINT) AS n FROM firm_designations
         WHERE granted_on <= {d} AND (expires_on IS NULL OR expires_on > {d})
         GROUP BY designation ORDER BY designation",
        d = day(on)
    );
    Ok(diesel::sql_query(q).load(conn)?)
}

/// Firms with a current signal of each source for `month` (coverage, Art 26).
pub fn firms_with_data(
    conn: &mut DbConn,
    month: &crate::domain::month::Month,
) -> Result<Vec<Counted>> {
    let q = format!(
        "SELECT source AS key, CAST(COUNT(DISTINCT uscc) AS BIGINT) AS n FROM signals
         WHERE superseded_at IS NULL AND period = '{month}' GROUP BY source"
    );
    Ok(diesel::sql_query(q).load(conn)?)
}

/// Subsidy amounts by the claim line's size class (the class public money relied on when the contract
/// or loan started, stored with the line): approved in `[from, to)` (`moved = approved_at`)
/// or paid in it (`paid_at`), of batches approved or paid.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct ClassSum {
    #[diesel(sql_type = Nullable<Text>)]
    pub size_class: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub fen: Option<i64>,
    #[diesel(sql_type = BigInt)]
    pub lines: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moved {
    Approved,
    Paid,
}

impl Moved {
    /// The instant column that dates the move, and the statuses a batch or claim has once moved so.
    fn column_and_statuses(self) -> (&'static str, &'static str) {
        match self {
            Moved::Approved => ("approved_at", "'approved', 'paid'"),
            Moved::Paid => ("paid_at", "'paid'"),
        }
    }
}

/// Which claim lines: guarantee fee subsidies (the batches agencies filed) or interest subsidies (banks').
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claimed {
    Fees,
    Interest,
}

/// The lines of one claimant kind's batches, by size class.
pub fn subsidies_by_class(
    conn: &mut DbConn,
    claimed: Claimed,
    moved: Moved,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<Vec<ClassSum>> {
    let (column, statuses) = moved.column_and_statuses();
    let q = format!(
        "SELECT l.size_class AS size_class, CAST(SUM(l.approved_fen) AS BIGINT) AS fen, CAST(COUNT(*) AS BIGINT) AS lines
         FROM claim_lines l JOIN claim_batches b ON b.id = l.batch_id
         JOIN institutions i ON i.id = b.agency_id AND i.kind = '{kind}'
         WHERE b.status IN ({statuses}) AND b.{column} >= {f} AND b.{column} < {t} AND l.approved_fen > 0
         GROUP BY l.size_class",
        kind = match claimed {
            Claimed::Fees => "guarantor",
            Claimed::Interest => "bank",
        },
        f = instant(from),
        t = instant(to)
    );
    Ok(diesel::sql_query(q).load(conn)?)
}

/// Reward claims approved (or paid) in `[from, to)`: (reward, small-and-micro part if kept).
pub fn rewards_moved(
    conn: &mut DbConn,
    moved: Moved,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<Vec<(i64, Option<i64>)>> {
    let q =
        reward_claims::table.select((reward_claims::reward_fen, reward_claims::small_micro_fen));
    Ok(match moved {
        Moved::Approved => q
            .filter(reward_claims::approved_at.ge(from))
            .filter(reward_claims::approved_at.lt(to))
            .load(conn)?,
        Moved::Paid => q
            .filter(reward_claims::paid_at.ge(from))
            .filter(reward_claims::paid_at.lt(to))
            .load(conn)?,
    })
}

/// One ingestion run as data quality reads it.
#[derive(Debug, Clone, PartialEq, Queryable)]
pub struct RunFacts {
    pub id: String,
    pub source: String,
    pub status: String,
    pub received: i64,
    pub superseded: i64,
    pub quarantined: i64,
    pub started_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
    pub accepted: i64,
}

/// Runs started in `[from, to)`.
pub fn runs_between(
    conn: &mut DbConn,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<Vec<RunFacts>> {
    Ok(ingestion_runs::table
        .filter(ingestion_runs::started_at.ge(from))
        .filter(ingestion_runs::started_at.lt(to))
        .select((
            ingestion_runs::id,
            ingestion_runs::source,
            ingestion_runs::status,
            ingestion_runs::received,
            ingestion_runs::superseded,
            ingestion_runs::quarantined,
            ingestion_runs::started_at,
            ingestion_runs::finished_at,
            ingestion_runs::accepted,
        ))
        .order(ingestion_runs::started_at.asc())
        .load(conn)?)
}

/// Per source: when a run that accepted data last finished (before `to`).
pub fn last_received(
    conn: &mut DbConn,
    to: NaiveDateTime,
) -> Result<Vec<(String, Option<NaiveDateTime>)>> {
    use diesel::dsl::max;
    Ok(ingestion_runs::table
        .filter(ingestion_runs::accepted.gt(0))
        .filter(ingestion_runs::finished_at.lt(to))
        .group_by(ingestion_runs::source)
        .select((ingestion_runs::source, max(ingestion_runs::finished_at)))
        .load(conn)?)
}

/// The reasons (JSON arrays of `{code, message}`) of up to `limit` quarantined rows of these runs.
pub fn reject_reasons(
    conn: &mut DbConn,
    runs: &[String],
    limit: i64,
) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for chunk in runs.chunks(500) {
        let left = limit - out.len() as i64;
        if left <= 0 {
            break;
        }
        out.extend(
            ingestion_rejects::table
                .filter(ingestion_rejects::run_id.eq_any(chunk))
                .select((ingestion_rejects::run_id, ingestion_rejects::reasons))
                .limit(left)
                .load::<(String, String)>(conn)?,
        );
    }
    Ok(out)
}

/// Per policy: fee-subsidy batches and agency rewards approved (or paid) in `[from, to)`, in fen.
pub fn funds_by_policy(
    conn: &mut DbConn,
    moved: Moved,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<Vec<Counted>> {
    let (column, statuses) = moved.column_and_statuses();
    let (f, t) = (instant(from), instant(to));
    let q = format!(
        "SELECT key, CAST(SUM(n) AS BIGINT) AS n FROM (
             SELECT policy_id AS key, approved_fen AS n FROM claim_batches
              WHERE status IN ({statuses}) AND {column} >= {f} AND {column} < {t}
             UNION ALL
             SELECT policy_id AS key, reward_fen AS n FROM reward_claims
              WHERE status IN ({statuses}) AND {column} >= {f} AND {column} < {t}
         ) moved GROUP BY key ORDER BY key"
    );
    Ok(diesel::sql_query(q).load(conn)?)
}

/// A current procurement award signal (Art 49) with its supplier's registry class.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct AwardRow {
    #[diesel(sql_type = Text)]
    pub supplier: String,
    #[diesel(sql_type = Text)]
    pub project: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub buyer: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub amount_fen: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub budget_fen: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub reserved: Option<String>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Date>)]
    pub awarded_on: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Text>)]
    pub size_class: Option<String>,
}

/// Awards dated in `[from, to)` (current versions), optionally of one buyer.
pub fn awards_between(conn: &mut DbConn, from: NaiveDate, to: NaiveDate) -> Result<Vec<AwardRow>> {
    let q = format!(
        "SELECT s.uscc AS supplier, s.event_key AS project, s.authority AS buyer, s.value_fen AS amount_fen,
                s.value_num AS budget_fen, s.value_code AS reserved, s.event_start AS awarded_on, f.size_class AS size_class
         FROM signals s LEFT JOIN firms f ON f.uscc = s.uscc
         WHERE s.superseded_at IS NULL AND s.source = 'procurement' AND s.kind = 'procurement_award'
           AND s.period >= '{m0}' AND s.period <= '{m1}'
           AND s.event_start >= {f} AND s.event_start < {t}
         ORDER BY s.authority, s.event_key, s.uscc",
        // The award month is the period: the statistics index narrows by it first.
        m0 = crate::domain::month::Month::of(from),
        m1 = crate::domain::month::Month::of(to.pred_opt().unwrap_or(to)),
        f = day(from),
        t = day(to)
    );
    Ok(diesel::sql_query(q).load(conn)?)
}
