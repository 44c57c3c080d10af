//! Applications for financing, their events (decision, disbursement, repayments, default), the loans the
//! hub knows of, and firms' designations (the facts first-loan, renewal and designation rules read).

use super::schema::{application_events, applications, firm_designations, loan_balances, loans};
use super::{DbConn, Result};
use crate::domain::states::{ApplicationStatus, LoanKind, LoanStatus};
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Selectable)]
#[diesel(table_name = applications)]
pub struct ApplicationRow {
    pub id: String,
    pub firm_uscc: String,
    pub product_id: String,
    pub institution_id: String,
    pub amount_fen: i64,
    pub term_months: i32,
    pub status: ApplicationStatus,
    pub consent_id: String,
    pub first_loan: bool,
    pub credit_loan: bool,
    pub collateral: String,
    pub quoted_cost: String,
    pub approved_amount_fen: Option<i64>,
    pub approved_rate: Option<String>,
    pub approved_term_months: Option<i32>,
    pub decline_code: Option<String>,
    pub decline_reason: Option<String>,
    pub loan_id: Option<String>,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

impl ApplicationRow {
    pub fn collateral_ids(&self) -> Vec<String> {
        self.collateral
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Selectable)]
#[diesel(table_name = application_events)]
pub struct EventRow {
    pub id: String,
    pub application_id: String,
    pub kind: String,
    pub amount_fen: Option<i64>,
    pub on_date: Option<chrono::NaiveDate>,
    pub detail: Option<String>,
    pub key_id: String,
    pub at: chrono::NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Selectable)]
#[diesel(table_name = loans)]
pub struct LoanRow {
    pub id: String,
    pub firm_uscc: String,
    pub institution_id: String,
    pub application_id: Option<String>,
    pub amount_fen: i64,
    pub start_on: chrono::NaiveDate,
    pub maturity_on: chrono::NaiveDate,
    pub outstanding_fen: i64,
    pub status: LoanStatus,
    pub closed_on: Option<chrono::NaiveDate>,
    pub created_at: chrono::NaiveDateTime,
    pub kind: LoanKind,
    /// No loan of the borrower on record before this one (首贷户, DOMAIN §11).
    pub first_loan: bool,
    /// The loan this one renews without principal repayment (无还本续贷).
    pub renews_loan_id: Option<String>,
    /// The borrower's total credit line at the lender (单户授信总额); `None`: the amount.
    pub credit_line_fen: Option<i64>,
    /// The borrower's size class when the loan was made.
    pub size_class: Option<String>,
    /// The yearly interest rate as a decimal text (`"0.0385"`), when known (interest subsidies need it).
    pub interest_rate: Option<String>,
}

/// A loan's outstanding principal as reported (or moved through the hub) on a date.
#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Selectable)]
#[diesel(table_name = loan_balances)]
pub struct BalanceRow {
    pub loan_id: String,
    pub as_of: chrono::NaiveDate,
    pub outstanding_fen: i64,
    pub reported_at: chrono::NaiveDateTime,
    /// Days the oldest unpaid instalment is past due on `as_of` (issue 19: outcomes), when reported.
    pub days_past_due: Option<i32>,
}

/// Record `outstanding` on `as_of` (a later report for the same date replaces it).
pub fn record_balance(conn: &mut DbConn, row: &BalanceRow) -> Result<()> {
    diesel::delete(
        loan_balances::table
            .filter(loan_balances::loan_id.eq(&row.loan_id))
            .filter(loan_balances::as_of.eq(row.as_of)),
    )
    .execute(conn)?;
    diesel::insert_into(loan_balances::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The latest balance reported for `loan`.
pub fn balance_now(conn: &mut DbConn, loan: &str) -> Result<Option<i64>> {
    Ok(loan_balances::table
        .filter(loan_balances::loan_id.eq(loan))
        .order(loan_balances::as_of.desc())
        .select(loan_balances::outstanding_fen)
        .first(conn)
        .optional()?)
}

/// Whether `firm` has any loan on record starting before `on` (a first loan has none).
pub fn had_loan_before(conn: &mut DbConn, firm: &str, on: chrono::NaiveDate) -> Result<bool> {
    let n: i64 = loans::table
        .filter(loans::firm_uscc.eq(firm))
        .filter(loans::start_on.le(on))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

pub fn insert(conn: &mut DbConn, row: &ApplicationRow) -> Result<()> {
    diesel::insert_into(applications::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn get(conn: &mut DbConn, id: &str) -> Result<Option<ApplicationRow>> {
    Ok(applications::table.find(id).first(conn).optional()?)
}

/// Write the application as it now is, but only if its status is still `expected` (a concurrent
/// decision loses instead of overwriting).
pub fn save_if(
    conn: &mut DbConn,
    row: &ApplicationRow,
    expected: ApplicationStatus,
) -> Result<bool> {
    let n = diesel::update(
        applications::table
            .find(&row.id)
            .filter(applications::status.eq(expected)),
    )
    .set((
        applications::status.eq(&row.status),
        applications::approved_amount_fen.eq(row.approved_amount_fen),
        applications::approved_rate.eq(&row.approved_rate),
        applications::approved_term_months.eq(row.approved_term_months),
        applications::decline_code.eq(&row.decline_code),
        applications::decline_reason.eq(&row.decline_reason),
        applications::loan_id.eq(&row.loan_id),
        applications::updated_at.eq(row.updated_at),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub firm: Option<String>,
    pub institution: Option<String>,
    pub status: Option<ApplicationStatus>,
    pub before: Option<String>,
}

pub fn list(conn: &mut DbConn, f: &Filter, limit: i64) -> Result<Vec<ApplicationRow>> {
    let mut q = applications::table.into_boxed();
    if let Some(u) = &f.firm {
        q = q.filter(applications::firm_uscc.eq(u.clone()));
    }
    if let Some(i) = &f.institution {
        q = q.filter(applications::institution_id.eq(i.clone()));
    }
    if let Some(s) = &f.status {
        q = q.filter(applications::status.eq(*s));
    }
    if let Some(b) = &f.before {
        q = q.filter(applications::id.lt(b.clone()));
    }
    Ok(q.order(applications::id.desc()).limit(limit).load(conn)?)
}

pub fn add_event(conn: &mut DbConn, row: &EventRow) -> Result<()> {
    diesel::insert_into(application_events::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn events(conn: &mut DbConn, application: &str) -> Result<Vec<EventRow>> {
    Ok(application_events::table
        .filter(application_events::application_id.eq(application.to_string()))
        .order(application_events::id.asc())
        .load(conn)?)
}

pub fn insert_loan(conn: &mut DbConn, row: &LoanRow) -> Result<()> {
    diesel::insert_into(loans::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn get_loan(conn: &mut DbConn, id: &str) -> Result<Option<LoanRow>> {
    Ok(loans::table.find(id).first(conn).optional()?)
}

pub fn save_loan(conn: &mut DbConn, row: &LoanRow) -> Result<()> {
    diesel::update(loans::table.find(&row.id))
        .set((
            loans::outstanding_fen.eq(row.outstanding_fen),
            loans::status.eq(&row.status),
            loans::closed_on.eq(row.closed_on),
        ))
        .execute(conn)?;
    Ok(())
}

/// Loans by id, up to `limit` after `after`: one lender's or every lender's, of one firm or all, of
/// one status or all.
pub fn list_loans(
    conn: &mut DbConn,
    lender: Option<&str>,
    firm: Option<&str>,
    status: Option<LoanStatus>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<LoanRow>> {
    let mut q = loans::table.into_boxed();
    if let Some(l) = lender {
        q = q.filter(loans::institution_id.eq(l.to_string()));
    }
    if let Some(f) = firm {
        q = q.filter(loans::firm_uscc.eq(f.to_string()));
    }
    if let Some(s) = status {
        q = q.filter(loans::status.eq(s));
    }
    if let Some(a) = after {
        q = q.filter(loans::id.gt(a.to_string()));
    }
    Ok(q.order(loans::id.asc()).limit(limit).load(conn)?)
}

pub fn firm_loans(conn: &mut DbConn, firm: &str) -> Result<Vec<LoanRow>> {
    Ok(loans::table
        .filter(loans::firm_uscc.eq(firm.to_string()))
        .order(loans::maturity_on.asc())
        .load(conn)?)
}

/// A firm's designations in force on `day`, sorted.
pub fn designations(conn: &mut DbConn, firm: &str, day: chrono::NaiveDate) -> Result<Vec<String>> {
    let mut out: Vec<String> = designations_of(conn, &[firm.to_string()])?
        .into_iter()
        .filter(|h| in_force(h, day))
        .map(|h| h.1)
        .collect();
    out.sort();
    Ok(out)
}

/// Whether a held designation is in force on `day`: granted on or before it, not expired before it.
pub fn in_force(h: &Held, day: chrono::NaiveDate) -> bool {
    h.2 <= day && h.3.is_none_or(|to| to >= day)
}

/// Replace a firm's designations.
pub fn set_designations(
    conn: &mut DbConn,
    firm: &str,
    rows: &[(String, chrono::NaiveDate, Option<chrono::NaiveDate>)],
) -> Result<()> {
    diesel::delete(
        firm_designations::table.filter(firm_designations::firm_uscc.eq(firm.to_string())),
    )
    .execute(conn)?;
    for (d, from, to) in rows {
        diesel::insert_into(firm_designations::table)
            .values((
                firm_designations::firm_uscc.eq(firm),
                firm_designations::designation.eq(d),
                firm_designations::granted_on.eq(from),
                firm_designations::expires_on.eq(to),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// A designation held: (firm, designation, granted on, expires on).
pub type Held = (String, String, chrono::NaiveDate, Option<chrono::NaiveDate>);

/// The designations of many firms.
pub fn designations_of(conn: &mut DbConn, firms: &[String]) -> Result<Vec<Held>> {
    let mut out = Vec::new();
    for chunk in firms.chunks(5_000) {
        out.extend(
            firm_designations::table
                .filter(firm_designations::firm_uscc.eq_any(chunk.to_vec()))
                .select((
                    firm_designations::firm_uscc,
                    firm_designations::designation,
                    firm_designations::granted_on,
                    firm_designations::expires_on,
                ))
                .load::<Held>(conn)?,
        );
    }
    Ok(out)
}

/// Every loan that started before `to`, with its reported balances before `to` (oldest first): what the
/// lending statistics read.
pub fn loans_before(
    conn: &mut DbConn,
    to: chrono::NaiveDate,
) -> Result<(Vec<LoanRow>, Vec<BalanceRow>)> {
    let rows = loans::table
        .filter(loans::start_on.lt(to))
        .order(loans::id.asc())
        .load(conn)?;
    let balances = loan_balances::table
        .filter(loan_balances::as_of.lt(to))
        .order((loan_balances::loan_id.asc(), loan_balances::as_of.asc()))
        .load(conn)?;
    Ok((rows, balances))
}

/// The loans of `institution` among `ids` (interest-subsidy claims name loans by id).
pub fn loans_of(conn: &mut DbConn, institution: &str, ids: &[String]) -> Result<Vec<LoanRow>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(5_000) {
        out.extend(
            loans::table
                .filter(loans::institution_id.eq(institution.to_string()))
                .filter(loans::id.eq_any(chunk.to_vec()))
                .load::<LoanRow>(conn)?,
        );
    }
    Ok(out)
}

/// Loans by id, whoever lent them.
pub fn loans_by_ids(conn: &mut DbConn, ids: &[String]) -> Result<Vec<LoanRow>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(5_000) {
        out.extend(
            loans::table
                .filter(loans::id.eq_any(chunk.to_vec()))
                .load::<LoanRow>(conn)?,
        );
    }
    Ok(out)
}

/// The reported balances of these loans, oldest first per loan.
pub fn balances_of(conn: &mut DbConn, ids: &[String]) -> Result<Vec<BalanceRow>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(5_000) {
        out.extend(
            loan_balances::table
                .filter(loan_balances::loan_id.eq_any(chunk.to_vec()))
                .order((loan_balances::loan_id.asc(), loan_balances::as_of.asc()))
                .load::<BalanceRow>(conn)?,
        );
    }
    Ok(out)
}

/// `(application id, product id, loan id)` of these applications.
pub fn products_and_loans(
    conn: &mut DbConn,
    ids: &[String],
) -> Result<Vec<(String, String, Option<String>)>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(5_000) {
        out.extend(
            applications::table
                .filter(applications::id.eq_any(chunk.to_vec()))
                .select((
                    applications::id,
                    applications::product_id,
                    applications::loan_id,
                ))
                .load::<(String, String, Option<String>)>(conn)?,
        );
    }
    Ok(out)
}
