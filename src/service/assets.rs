//! What else backs financing (Art 27): patents and trademarks a firm registers with their appraisal, and
//! loans a bank reports from outside the hub (the first-loan and renewal rules read them), and the
//! designations the government grants (专精特新, 高新技术). Every fault of an input is named at once; the
//! firm must be registered and a registration number is used once.

use super::access::Actor;
use super::{date, positive_money, uscc, Context, Faults, ServiceError, Violation};
use crate::domain::matching::Designation;
use crate::domain::rfc3339 as ts;
use crate::domain::states::LoanStatus;
use crate::domain::{Money, Uscc};
use crate::store::applications::{self as apps, LoanRow};
use crate::store::receivables::{self as store, IpAssetRow};
use crate::store::{firms, StoreError};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum AssetError {
    #[error("{} input(s) break a rule", .0.len())]
    Invalid(Vec<Violation>),
    #[error("a {0} key cannot set designations; the government does")]
    Forbidden(crate::domain::role::Role),
    #[error("no firm {0} is registered")]
    UnknownFirm(String),
    #[error("{kind} {number} is already registered")]
    Registered { kind: String, number: String },
    /// A firm's own records, read by someone who is neither the firm nor the government side.
    #[error("{0}")]
    NotYours(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<AssetError> for ServiceError {
    fn from(e: AssetError) -> Self {
        match e {
            AssetError::Invalid(v) => ServiceError::Invalid(v),
            AssetError::Forbidden(_) => ServiceError::Forbidden(e.to_string()),
            AssetError::UnknownFirm(_) => ServiceError::NotFound(e.to_string()),
            AssetError::Registered { .. } => ServiceError::Conflict(e.to_string()),
            AssetError::NotYours(m) => ServiceError::Forbidden(m),
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

/// A patent or trademark as a firm sends it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IpRequest {
    /// `patent` or `trademark`.
    pub kind: String,
    /// The registration number (e.g. ZL202310123456.7, or a trademark registration number).
    pub number: String,
    pub title: String,
    /// Yuan, a decimal string.
    pub appraised_value: String,
    /// YYYY-MM-DD, not in the future.
    pub appraised_on: String,
}

/// A patent or trademark with its appraisal and pledge.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IpView {
    pub id: String,
    pub owner_uscc: String,
    pub kind: String,
    pub number: String,
    pub title: String,
    pub appraised_value: Money,
    pub appraised_on: NaiveDate,
    /// `free`, or `pledged` once an IP-pledge loan is disbursed against it.
    pub pledge_status: &'static str,
    pub pledged_application_id: Option<String>,
    pub pledged_at: Option<String>,
    pub created_at: String,
}

impl IpView {
    pub fn of(a: &IpAssetRow) -> Self {
        IpView {
            id: a.id.clone(),
            owner_uscc: a.owner_uscc.clone(),
            kind: a.kind.clone(),
            number: a.number.clone(),
            title: a.title.clone(),
            appraised_value: Money::from_fen(a.appraised_value_fen),
            appraised_on: a.appraised_on,
            pledge_status: if a.pledged_application_id.is_some() {
                "pledged"
            } else {
                "free"
            },
            pledged_application_id: a.pledged_application_id.clone(),
            pledged_at: a.pledged_at.map(ts),
            created_at: ts(a.created_at),
        }
    }
}

/// The owner registers an asset; free to pledge until an IP-pledge loan is disbursed against it.
#[tracing::instrument(skip(ctx, r), fields(owner = %owner, number = %r.number))]
pub async fn register_ip(ctx: &Context, owner: &Uscc, r: IpRequest) -> Result<IpView, AssetError> {
    let mut f = Faults::default();
    if !matches!(r.kind.as_str(), "patent" | "trademark") {
        f.push(
            "kind",
            "ip.kind",
            format!("'{}' is not patent or trademark", r.kind),
        );
    }
    let number = r.number.trim().to_string();
    if number.is_empty() || number.len() > 64 {
        f.push("number", "length", "number must be 1-64 characters");
    }
    if r.title.trim().is_empty() {
        f.push("title", "required", "title is empty");
    }
    let value = f.check(positive_money(
        "appraised_value",
        "appraised_value",
        &r.appraised_value,
    ));
    let on = f.check(date("appraised_on", "appraised_on", &r.appraised_on));
    if on.is_some_and(|d| d > ctx.clock.today()) {
        f.push(
            "appraised_on",
            "date.future",
            "appraised_on is in the future",
        );
    }
    let (value, on) = f.done(value.zip(on)).map_err(AssetError::Invalid)?;
    let row = IpAssetRow {
        id: uuid::Uuid::now_v7().to_string(),
        owner_uscc: owner.to_string(),
        kind: r.kind,
        number,
        title: r.title.trim().to_string(),
        appraised_value_fen: value.fen(),
        appraised_on: on,
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
    Ok(IpView::of(&row))
}

/// A loan a bank reports from outside the hub.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoanReport {
    pub firm_uscc: String,
    pub amount: String,
    pub start_on: String,
    pub maturity_on: String,
    /// Outstanding principal; default the whole amount.
    pub outstanding: Option<String>,
}

/// A loan the hub knows of (disbursed through an application, or reported by its bank).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LoanView {
    pub id: String,
    pub firm_uscc: String,
    pub institution_id: String,
    pub application_id: Option<String>,
    pub amount: Money,
    pub start_on: NaiveDate,
    pub maturity_on: NaiveDate,
    pub outstanding: Money,
    pub status: LoanStatus,
    pub closed_on: Option<NaiveDate>,
}

impl LoanView {
    pub fn of(l: &LoanRow) -> Self {
        LoanView {
            id: l.id.clone(),
            firm_uscc: l.firm_uscc.clone(),
            institution_id: l.institution_id.clone(),
            application_id: l.application_id.clone(),
            amount: Money::from_fen(l.amount_fen),
            start_on: l.start_on,
            maturity_on: l.maturity_on,
            outstanding: Money::from_fen(l.outstanding_fen),
            status: l.status,
            closed_on: l.closed_on,
        }
    }
}

/// Record a loan `bank` made outside the hub (maturity after start, outstanding not above the amount);
/// repaid already when nothing is outstanding.
#[tracing::instrument(skip(ctx, r), fields(bank = %bank, firm = %r.firm_uscc))]
pub async fn report_loan(ctx: &Context, bank: &str, r: LoanReport) -> Result<LoanView, AssetError> {
    let mut f = Faults::default();
    let firm = f.check(uscc("firm_uscc", &r.firm_uscc));
    let amount = f.check(positive_money("amount", "amount", &r.amount));
    let start = f.check(date("start_on", "start_on", &r.start_on));
    let maturity = f.check(date("maturity_on", "maturity_on", &r.maturity_on));
    if let (Some(s), Some(m)) = (start, maturity) {
        if m <= s {
            f.push(
                "maturity_on",
                "range.order",
                "maturity_on must be after start_on",
            );
        }
    }
    let outstanding = match r.outstanding.as_deref() {
        Some(s) => f.check(Money::parse_non_negative(s).map_err(|e| {
            Violation::new("outstanding", e.rule(), format!("outstanding '{s}' {e}"))
        })),
        None => amount,
    };
    if let (Some(o), Some(a)) = (outstanding, amount) {
        if o > a {
            f.push(
                "outstanding",
                "range.order",
                "outstanding is above the amount",
            );
        }
    }
    let (((firm, amount), (start_on, maturity_on)), outstanding) = f
        .done(firm.zip(amount).zip(start.zip(maturity)).zip(outstanding))
        .map_err(AssetError::Invalid)?;
    let repaid = outstanding == Money::ZERO;
    let row = LoanRow {
        id: uuid::Uuid::now_v7().to_string(),
        firm_uscc: firm.to_string(),
        institution_id: bank.to_string(),
        application_id: None,
        amount_fen: amount.fen(),
        start_on,
        maturity_on,
        outstanding_fen: outstanding.fen(),
        status: if repaid {
            LoanStatus::Repaid
        } else {
            LoanStatus::Outstanding
        },
        closed_on: repaid.then_some(maturity_on),
        created_at: ctx.clock.now(),
    };
    let stored = row.clone();
    ctx.db
        .run_as(move |c| {
            registered(c, &stored.firm_uscc)?;
            apps::insert_loan(c, &stored).map_err(AssetError::from)
        })
        .await?;
    Ok(LoanView::of(&row))
}

/// One designation as the government sends it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DesignationItem {
    /// `specialised_innovative` (专精特新), `little_giant` (小巨人), `high_tech` (高新技术企业).
    pub designation: String,
    pub granted_on: String,
    pub expires_on: Option<String>,
}

/// A firm's designations in force today.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DesignationsView {
    pub uscc: String,
    pub in_force: Vec<String>,
}

/// The government sets a firm's designations, replacing the previous list.
#[tracing::instrument(skip(ctx, actor, items), fields(firm = %firm))]
pub async fn set_designations(
    ctx: &Context,
    actor: &Actor,
    firm: &Uscc,
    items: &[DesignationItem],
) -> Result<DesignationsView, AssetError> {
    if !actor.is_government_side() {
        return Err(AssetError::Forbidden(actor.role()));
    }
    let mut f = Faults::default();
    let mut rows = Vec::new();
    for (i, it) in items.iter().enumerate() {
        if Designation::parse(&it.designation).is_none() {
            f.push(
                format!("items[{i}].designation"),
                "designation.unknown",
                format!(
                    "'{}' is not a designation; use one of {}",
                    it.designation,
                    Designation::keys()
                ),
            );
        }
        let (at, until) = (
            format!("items[{i}].granted_on"),
            format!("items[{i}].expires_on"),
        );
        let from = f.check(date(&at, &at, &it.granted_on));
        let to = it
            .expires_on
            .as_deref()
            .and_then(|s| f.check(date(&until, &until, s)));
        if from.zip(to).is_some_and(|(f, t)| t < f) {
            f.push(until, "range.order", "expires_on is before granted_on");
        }
        if let Some(from) = from {
            rows.push((it.designation.clone(), from, to));
        }
    }
    let mut seen: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    seen.sort_unstable();
    if seen.windows(2).any(|w| w[0] == w[1]) {
        f.push(
            "items",
            "designation.duplicate",
            "a designation is listed twice",
        );
    }
    f.done(Some(())).map_err(AssetError::Invalid)?;
    let (u, today) = (firm.to_string(), ctx.clock.today());
    let in_force = ctx
        .db
        .run_as(move |c| {
            registered(c, &u)?;
            crate::store::backend::write_transaction(c, |c| {
                apps::set_designations(c, &u, &rows)?;
                apps::designations(c, &u, today)
            })
            .map_err(AssetError::from)
        })
        .await?;
    Ok(DesignationsView {
        uscc: firm.to_string(),
        in_force,
    })
}

/// The firm itself or the government side, and a registered firm.
async fn own_firm(ctx: &Context, actor: &Actor, firm: &Uscc, what: &str) -> Result<(), AssetError> {
    if !super::access::may_act_for_firm(actor, firm.as_str()) {
        return Err(AssetError::NotYours(format!(
            "a firm's {what} are for the firm and the government side"
        )));
    }
    let u = firm.to_string();
    match ctx.db.run(move |c| firms::get(c, &u)).await {
        Ok(_) => Ok(()),
        Err(StoreError::NotFound) => Err(AssetError::UnknownFirm(firm.to_string())),
        Err(e) => Err(e.into()),
    }
}

/// A firm's loans, through the hub or reported by its banks, the nearest maturity first.
#[tracing::instrument(skip(ctx, actor), fields(firm = %firm))]
pub async fn firm_loans(
    ctx: &Context,
    actor: &Actor,
    firm: &Uscc,
) -> Result<Vec<LoanView>, AssetError> {
    own_firm(ctx, actor, firm, "loans").await?;
    let u = firm.to_string();
    let rows = ctx.db.run(move |c| apps::firm_loans(c, &u)).await?;
    Ok(rows.iter().map(LoanView::of).collect())
}

/// What a list of loans is narrowed to.
#[derive(Debug, Clone, Default)]
pub struct LoanFilter {
    pub firm: Option<Uscc>,
    pub status: Option<crate::domain::states::LoanStatus>,
    /// The government side: one lender's.
    pub lender: Option<String>,
}

/// The loans the hub knows of (issue 18: Art 21 reads them): a bank its own (through the hub or reported
/// by it), the government side every lender's; by id, up to `limit` after `after`.
#[tracing::instrument(skip(ctx, actor, filter))]
pub async fn loans(
    ctx: &Context,
    actor: &Actor,
    filter: LoanFilter,
    after: Option<String>,
    limit: i64,
) -> Result<(Vec<LoanView>, bool), AssetError> {
    let lender = match actor {
        Actor::Bank { institution } => Some(institution.to_string()),
        a if a.is_government_side() => filter.lender.clone(),
        _ => {
            return Err(AssetError::NotYours(
                "loans are listed for their bank and the government side; a firm reads its own at GET /v1/firms/{uscc}/loans".into(),
            ))
        }
    };
    let firm = filter.firm.map(|u| u.to_string());
    let rows = ctx
        .db
        .run(move |c| {
            apps::list_loans(
                c,
                lender.as_deref(),
                firm.as_deref(),
                filter.status,
                after.as_deref(),
                limit + 1,
            )
        })
        .await?;
    let (rows, more) = super::split_page(rows, limit);
    Ok((rows.iter().map(LoanView::of).collect(), more))
}

/// The guarantee contracts agencies registered for a firm, the newest first.
#[tracing::instrument(skip(ctx, actor), fields(firm = %firm))]
pub async fn firm_guarantees(
    ctx: &Context,
    actor: &Actor,
    firm: &Uscc,
) -> Result<Vec<super::guarantees::GuaranteeView>, AssetError> {
    own_firm(ctx, actor, firm, "guarantee contracts").await?;
    let u = firm.to_string();
    let rows = ctx
        .db
        .run(move |c| crate::store::guarantees::of_firm(c, &u))
        .await?;
    Ok(rows
        .iter()
        .map(super::guarantees::GuaranteeView::of)
        .collect())
}

/// Patents and trademarks: a firm its own, the government side all (up to 500, newest first).
pub async fn list_ip(ctx: &Context, actor: &Actor) -> Result<Vec<IpView>, AssetError> {
    let owner = match actor {
        Actor::Firm { uscc } => Some(uscc.to_string()),
        Actor::Government { .. } | Actor::Admin => None,
        Actor::Bank { .. } | Actor::Agency { .. } => {
            return Err(AssetError::NotYours(
                "patents and trademarks are for their firm and the government side".into(),
            ))
        }
    };
    let rows = ctx
        .db
        .run(move |c| store::list_ip(c, owner.as_deref(), 500))
        .await?;
    Ok(rows.iter().map(IpView::of).collect())
}
