//! Receivables (Art 27, 54) and IP assets (Art 27): what can back receivable financing and IP pledges.
//! Financing a receivable or pledging an asset is a conditional update, so neither can happen twice.

use super::schema::{ip_assets, receivables};
use super::{DbConn, Result};
use crate::domain::states::ReceivableStatus;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Selectable)]
#[diesel(table_name = receivables)]
pub struct ReceivableRow {
    pub id: String,
    pub creditor_uscc: String,
    pub debtor_uscc: String,
    pub invoice_no: String,
    pub amount_fen: i64,
    pub due_on: chrono::NaiveDate,
    pub status: ReceivableStatus,
    pub dispute_reason: Option<String>,
    pub registered_at: chrono::NaiveDateTime,
    pub decided_at: Option<chrono::NaiveDateTime>,
    pub financed_application_id: Option<String>,
    pub financed_at: Option<chrono::NaiveDateTime>,
}

pub fn insert_receivable(conn: &mut DbConn, row: &ReceivableRow) -> Result<()> {
    diesel::insert_into(receivables::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn get_receivable(conn: &mut DbConn, id: &str) -> Result<Option<ReceivableRow>> {
    Ok(receivables::table.find(id).first(conn).optional()?)
}

/// The debtor's answer, once: a pending receivable becomes confirmed or disputed.
pub fn decide_receivable(
    conn: &mut DbConn,
    id: &str,
    status: ReceivableStatus,
    reason: Option<String>,
    at: chrono::NaiveDateTime,
) -> Result<bool> {
    let n = diesel::update(
        receivables::table
            .find(id)
            .filter(receivables::status.eq(ReceivableStatus::Pending)),
    )
    .set((
        receivables::status.eq(status),
        receivables::dispute_reason.eq(reason),
        receivables::decided_at.eq(Some(at)),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Receivables a firm is owed (`creditor`) or owes (`debtor`), newest first.
pub fn list_receivables(
    conn: &mut DbConn,
    creditor: Option<&str>,
    debtor: Option<&str>,
    before: Option<&str>,
    limit: i64,
) -> Result<Vec<ReceivableRow>> {
    let mut q = receivables::table.into_boxed();
    if let Some(c) = creditor {
        q = q.filter(receivables::creditor_uscc.eq(c.to_string()));
    }
    if let Some(d) = debtor {
        q = q.filter(receivables::debtor_uscc.eq(d.to_string()));
    }
    if let Some(b) = before {
        q = q.filter(receivables::id.lt(b.to_string()));
    }
    Ok(q.order(receivables::id.desc()).limit(limit).load(conn)?)
}

/// Confirmed, unfinanced receivables of a firm still not due on `today`: what receivable financing may
/// advance against.
pub fn financeable(
    conn: &mut DbConn,
    creditor: &str,
    today: chrono::NaiveDate,
) -> Result<Vec<ReceivableRow>> {
    Ok(receivables::table
        .filter(receivables::creditor_uscc.eq(creditor.to_string()))
        .filter(receivables::status.eq(ReceivableStatus::Confirmed))
        .filter(receivables::financed_application_id.is_null())
        .filter(receivables::due_on.gt(today))
        .order(receivables::id.asc())
        .load(conn)?)
}

/// Mark receivables financed by an application: all or none (false if any was financed meanwhile, or is
/// no longer confirmed and not yet due).
pub fn finance(
    conn: &mut DbConn,
    ids: &[String],
    creditor: &str,
    application: &str,
    today: chrono::NaiveDate,
    at: chrono::NaiveDateTime,
) -> Result<bool> {
    let n = diesel::update(
        receivables::table
            .filter(receivables::id.eq_any(ids.to_vec()))
            .filter(receivables::creditor_uscc.eq(creditor.to_string()))
            .filter(receivables::status.eq(ReceivableStatus::Confirmed))
            .filter(receivables::financed_application_id.is_null())
            .filter(receivables::due_on.gt(today)),
    )
    .set((
        receivables::financed_application_id.eq(Some(application.to_string())),
        receivables::financed_at.eq(Some(at)),
    ))
    .execute(conn)?;
    Ok(n == ids.len())
}

/// Confirmation latency per debtor: decided receivables, and the mean hours from registration to the
/// debtor's answer (for the late-payment report, Art 54).
pub fn debtor_latency(conn: &mut DbConn, debtor: &str) -> Result<(i64, i64, Option<f64>)> {
    let rows: Vec<(chrono::NaiveDateTime, Option<chrono::NaiveDateTime>)> = receivables::table
        .filter(receivables::debtor_uscc.eq(debtor.to_string()))
        .select((receivables::registered_at, receivables::decided_at))
        .load(conn)?;
    let decided: Vec<f64> = rows
        .iter()
        .filter_map(|(r, d)| d.map(|d| (d - *r).num_seconds() as f64 / 3600.0))
        .collect();
    let pending = rows.len() as i64 - decided.len() as i64;
    let mean = (!decided.is_empty()).then(|| decided.iter().sum::<f64>() / decided.len() as f64);
    Ok((decided.len() as i64, pending, mean))
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Selectable)]
#[diesel(table_name = ip_assets)]
pub struct IpAssetRow {
    pub id: String,
    pub owner_uscc: String,
    /// `patent` or `trademark`.
    pub kind: String,
    pub number: String,
    pub title: String,
    pub appraised_value_fen: i64,
    pub appraised_on: chrono::NaiveDate,
    pub pledged_application_id: Option<String>,
    pub pledged_at: Option<chrono::NaiveDateTime>,
    pub created_at: chrono::NaiveDateTime,
}

pub fn insert_ip(conn: &mut DbConn, row: &IpAssetRow) -> Result<()> {
    diesel::insert_into(ip_assets::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn list_ip(conn: &mut DbConn, owner: Option<&str>, limit: i64) -> Result<Vec<IpAssetRow>> {
    let mut q = ip_assets::table.into_boxed();
    if let Some(o) = owner {
        q = q.filter(ip_assets::owner_uscc.eq(o.to_string()));
    }
    Ok(q.order(ip_assets::id.desc()).limit(limit).load(conn)?)
}

/// A firm's unpledged assets: what an IP pledge may lend against.
pub fn pledgeable(conn: &mut DbConn, owner: &str) -> Result<Vec<IpAssetRow>> {
    Ok(ip_assets::table
        .filter(ip_assets::owner_uscc.eq(owner.to_string()))
        .filter(ip_assets::pledged_application_id.is_null())
        .order(ip_assets::id.asc())
        .load(conn)?)
}

/// Register the pledge of assets for an application: all or none.
pub fn pledge(
    conn: &mut DbConn,
    ids: &[String],
    owner: &str,
    application: &str,
    at: chrono::NaiveDateTime,
) -> Result<bool> {
    let n = diesel::update(
        ip_assets::table
            .filter(ip_assets::id.eq_any(ids.to_vec()))
            .filter(ip_assets::owner_uscc.eq(owner.to_string()))
            .filter(ip_assets::pledged_application_id.is_null()),
    )
    .set((
        ip_assets::pledged_application_id.eq(Some(application.to_string())),
        ip_assets::pledged_at.eq(Some(at)),
    ))
    .execute(conn)?;
    Ok(n == ids.len())
}

/// A payment on a receivable (Art 54).
#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Selectable)]
#[diesel(table_name = super::schema::receivable_payments)]
pub struct PaymentRow {
    pub id: String,
    pub receivable_id: String,
    pub paid_on: chrono::NaiveDate,
    pub amount_fen: i64,
    /// `creditor` or `debtor`.
    pub recorded_by: String,
    pub recorded_at: chrono::NaiveDateTime,
}

pub fn insert_payment(conn: &mut DbConn, row: &PaymentRow) -> Result<()> {
    diesel::insert_into(super::schema::receivable_payments::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The payments of these receivables, oldest first.
pub fn payments_of(conn: &mut DbConn, ids: &[String]) -> Result<Vec<PaymentRow>> {
    use super::schema::receivable_payments as p;
    let mut out = Vec::new();
    for chunk in ids.chunks(1_000) {
        out.extend(
            p::table
                .filter(p::receivable_id.eq_any(chunk))
                .order((p::receivable_id.asc(), p::paid_on.asc(), p::id.asc()))
                .load::<PaymentRow>(conn)?,
        );
    }
    Ok(out)
}

/// A receivable with its debtor's registry name and class (`None`: not registered).
pub type DueRow = (ReceivableRow, Option<String>, Option<String>);

/// Receivables due in `[from, to)`, with their debtors' registry name and class.
pub fn due_between(
    conn: &mut DbConn,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> Result<Vec<DueRow>> {
    use super::schema::firms;
    let rows: Vec<ReceivableRow> = receivables::table
        .filter(receivables::due_on.ge(from))
        .filter(receivables::due_on.lt(to))
        .order((receivables::debtor_uscc.asc(), receivables::due_on.asc()))
        .load(conn)?;
    let mut debtors: Vec<String> = rows.iter().map(|r| r.debtor_uscc.clone()).collect();
    debtors.sort();
    debtors.dedup();
    let mut facts = std::collections::HashMap::new();
    for chunk in debtors.chunks(1_000) {
        let f: Vec<(String, String, String)> = firms::table
            .filter(firms::uscc.eq_any(chunk))
            .select((firms::uscc, firms::name, firms::size_class))
            .load(conn)?;
        for (u, n, c) in f {
            facts.insert(u, (n, c));
        }
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let f = facts.get(&r.debtor_uscc).cloned();
            (r, f.as_ref().map(|x| x.0.clone()), f.map(|x| x.1))
        })
        .collect())
}
