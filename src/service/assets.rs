//! What else backs financing (Art 27): patents and trademarks a firm registers with their appraisal, and
//! loans a bank reports from outside the hub (the first-loan and renewal rules read them). The input is
//! checked at the edge; here the firm must be registered and a registration number is used once.

use super::{Context, ServiceError};
use crate::domain::states::LoanStatus;
use crate::domain::{Money, Uscc};
use crate::store::applications::{self as apps, LoanRow};
use crate::store::receivables::{self as store, IpAssetRow};
use crate::store::{firms, StoreError};
use chrono::NaiveDate;

#[derive(Debug, thiserror::Error)]
pub enum AssetError {
    #[error("no firm {0} is registered")]
    UnknownFirm(String),
    #[error("{kind} {number} is already registered")]
    Registered { kind: String, number: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<AssetError> for ServiceError {
    fn from(e: AssetError) -> Self {
        match e {
            AssetError::UnknownFirm(_) => ServiceError::NotFound(e.to_string()),
            AssetError::Registered { .. } => ServiceError::Conflict(e.to_string()),
            AssetError::Store(s) => ServiceError::Store(s),
        }
    }
}

fn registered(c: &mut crate::store::DbConn, uscc: &str) -> Result<(), AssetError> {
    match firms::exists(c, uscc)? {
        true => Ok(()),
        false => Err(AssetError::UnknownFirm(uscc.to_string())),
    }
}

/// A patent or trademark, as checked at the edge.
#[derive(Debug, Clone)]
pub struct NewIp {
    /// `patent` or `trademark`.
    pub kind: String,
    pub number: String,
    pub title: String,
    pub appraised_value: Money,
    pub appraised_on: NaiveDate,
}

/// The owner registers an asset; free to pledge until an IP-pledge loan is disbursed against it.
#[tracing::instrument(skip(ctx, ip), fields(owner = %owner, number = %ip.number))]
pub async fn register_ip(ctx: &Context, owner: &Uscc, ip: NewIp) -> Result<IpAssetRow, AssetError> {
    let row = IpAssetRow {
        id: uuid::Uuid::now_v7().to_string(),
        owner_uscc: owner.to_string(),
        kind: ip.kind,
        number: ip.number,
        title: ip.title,
        appraised_value_fen: ip.appraised_value.fen(),
        appraised_on: ip.appraised_on,
        pledged_application_id: None,
        pledged_at: None,
        created_at: ctx.clock.now(),
    };
    let stored = row.clone();
    ctx.db
        .run_as(move |c| {
            registered(c, &stored.owner_uscc)?;
            store::insert_ip(c, &stored).map_err(|e| match e {
                StoreError::Conflict(_) => AssetError::Registered {
                    kind: stored.kind.clone(),
                    number: stored.number.clone(),
                },
                other => AssetError::Store(other),
            })
        })
        .await?;
    Ok(row)
}

/// A loan a bank reports, as checked at the edge (maturity after start, outstanding not above amount).
#[derive(Debug, Clone)]
pub struct ReportedLoan {
    pub firm: Uscc,
    pub amount: Money,
    pub start_on: NaiveDate,
    pub maturity_on: NaiveDate,
    pub outstanding: Money,
}

/// Record a loan `bank` made outside the hub; repaid already when nothing is outstanding.
#[tracing::instrument(skip(ctx, loan), fields(bank = %bank, firm = %loan.firm))]
pub async fn report_loan(
    ctx: &Context,
    bank: &str,
    loan: ReportedLoan,
) -> Result<LoanRow, AssetError> {
    let repaid = loan.outstanding == Money::ZERO;
    let row = LoanRow {
        id: uuid::Uuid::now_v7().to_string(),
        firm_uscc: loan.firm.to_string(),
        institution_id: bank.to_string(),
        application_id: None,
        amount_fen: loan.amount.fen(),
        start_on: loan.start_on,
        maturity_on: loan.maturity_on,
        outstanding_fen: loan.outstanding.fen(),
        status: if repaid {
            LoanStatus::Repaid
        } else {
            LoanStatus::Outstanding
        },
        closed_on: repaid.then_some(loan.maturity_on),
        created_at: ctx.clock.now(),
    };
    let stored = row.clone();
    ctx.db
        .run_as(move |c| {
            registered(c, &stored.firm_uscc)?;
            apps::insert_loan(c, &stored).map_err(AssetError::from)
        })
        .await?;
    Ok(row)
}
