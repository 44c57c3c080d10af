//! What else backs financing (Art 27): patents and trademarks a firm registers with their appraisal, and
//! loans a bank reports from outside the hub (the first-loan and renewal rules read them), and the
//! designations the government grants (专精特新, 高新技术). Every fault of an input is named at once; the
//! firm must be registered and a registration number is used once.

use super::access::Actor;
use super::{date, positive_money, uscc, Context, Faults, ServiceError, Violation};
use crate::domain::matching::Designation;
use crate::domain::rfc3339 as ts;
use crate::domain::states::{LoanKind, LoanStatus};
use crate::domain::{Money, Uscc};
use crate::store::applications::{self as apps, LoanRow};
use crate::store::backend::write_transaction;
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
    #[error("no loan {0} of this bank is on record")]
    UnknownLoan(String),
    #[error("{kind} {number} is already registered")]
    Registered { kind: String, number: String },
    /// A firm's own records, read by someone who is neither the firm nor the government side.
    #[error("{0}")]
    NotYours(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for AssetError {
    fn from(e: diesel::result::Error) -> Self {
        StoreError::from(e).into()
    }
}

impl From<AssetError> for ServiceError {
    fn from(e: AssetError) -> Self {
        match e {
            AssetError::Invalid(v) => ServiceError::Invalid(v),
            AssetError::Forbidden(_) => ServiceError::Forbidden(e.to_string()),
            AssetError::UnknownFirm(_) | AssetError::UnknownLoan(_) => {
                ServiceError::NotFound(e.to_string())
            }
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
    /// `credit` (信用贷款: no guarantee, no collateral), `guaranteed` or `collateral`; default `credit`.
    pub kind: Option<String>,
    /// The borrower's total credit line at this bank (单户授信总额; the inclusive small/micro basis reads
    /// it); default the amount.
    pub credit_line: Option<String>,
    /// The yearly interest rate as a decimal fraction (`"0.0385"`); interest subsidies need it.
    pub interest_rate: Option<String>,
    /// The id of the loan (of this bank, to this firm) this one renews without principal repayment
    /// (无还本续贷): it repays that loan on `start_on`.
    pub renews_loan_id: Option<String>,
    /// Whether the firm never had a bank loan before (首贷户) as the bank knows it; default: no loan of
    /// the firm on record before this one.
    pub first_loan: Option<bool>,
}

/// A loan's outstanding principal at a date, as its bank reports it (at each period end, at least).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BalanceReport {
    pub as_of: String,
    pub outstanding: String,
    /// Days the oldest unpaid instalment is past due on `as_of` (0 when current). Banks report it
    /// monthly so outcomes are knowable (DOMAIN §12: more than 90 days past due within 12 months of
    /// disbursement is bad).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 3650)]
    pub days_past_due: Option<i32>,
}

/// The most days past due a report may carry (ten years).
pub const MAX_DAYS_PAST_DUE: i32 = 3_650;

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
    pub kind: LoanKind,
    pub first_loan: bool,
    pub renews_loan_id: Option<String>,
    /// The borrower's total credit line at the lender (the amount unless reported).
    pub credit_line: Money,
    /// The borrower's size class when the loan was made.
    pub size_class: Option<String>,
    /// Term over one year (贷款通则 Art 8: short-term is up to one year).
    pub medium_long_term: bool,
    /// The yearly interest rate, when known (interest subsidies need it).
    pub interest_rate: Option<String>,
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
            kind: l.kind,
            first_loan: l.first_loan,
            renews_loan_id: l.renews_loan_id.clone(),
            credit_line: Money::from_fen(l.credit_line_fen.unwrap_or(l.amount_fen)),
            size_class: l.size_class.clone(),
            medium_long_term: crate::domain::lending::medium_long_term(l.start_on, l.maturity_on),
            interest_rate: l.interest_rate.clone(),
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
    let kind = match r.kind.as_deref() {
        None => Some(LoanKind::Credit),
        Some(k) => f.check(LoanKind::parse(k).map_err(|e| {
            Violation::new(
                "kind",
                "kind.unknown",
                format!("{e}; use credit, guaranteed or collateral"),
            )
        })),
    };
    let credit_line = match r.credit_line.as_deref() {
        None => None,
        Some(s) => f
            .check(positive_money("credit_line", "credit_line", s))
            .map(Some),
    };
    if let (Some(Some(line)), Some(a)) = (credit_line, amount) {
        if line < a {
            f.push(
                "credit_line",
                "range.order",
                "credit_line is the borrower's whole credit line at the bank; it cannot be below this loan's amount",
            );
        }
    }
    let interest_rate = match r.interest_rate.as_deref() {
        None => None,
        Some(s) => f
            .check(
                s.trim()
                    .parse::<rust_decimal::Decimal>()
                    .ok()
                    .and_then(|d| crate::domain::rate::Rate::new(d).ok())
                    .ok_or_else(|| {
                        Violation::new(
                            "interest_rate",
                            "rate.range",
                            format!("interest_rate '{s}' is not a yearly rate from 0 to 1 (0.0385 is 3.85%)"),
                        )
                    }),
            )
            .map(|r| Some(r.get().normalize().to_string())),
    };
    let (((firm, amount), (start_on, maturity_on)), (outstanding, kind)) = f
        .done(
            firm.zip(amount)
                .zip(start.zip(maturity))
                .zip(outstanding.zip(kind)),
        )
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
        kind,
        first_loan: false,
        renews_loan_id: r.renews_loan_id.clone(),
        credit_line_fen: credit_line.flatten().map(Money::fen),
        size_class: None,
        interest_rate: interest_rate.flatten(),
    };
    let (stated_first, at, today) = (r.first_loan, row.created_at, ctx.clock.today());
    let row = ctx
        .db
        .run_as(move |c| {
            write_transaction(c, |c| {
                let mut row = row;
                let firm = firms::get_many(c, std::slice::from_ref(&row.firm_uscc))?
                    .into_iter()
                    .next()
                    .ok_or_else(|| AssetError::UnknownFirm(row.firm_uscc.clone()))?;
                // The class public money and the inclusive-loan statistics rely on (issue 20 §8).
                row.size_class = Some(
                    crate::financing::eligible_size_class(c, &firm, row.start_on)?
                        .map_or(firm.size_class, |k| k.as_str().to_string()),
                );
                row.first_loan = match stated_first {
                    Some(b) => b,
                    None => !apps::had_loan_before(c, &row.firm_uscc, row.start_on)?,
                };
                if let Some(old) = &row.renews_loan_id {
                    renewal_of(c, &row, old)?;
                }
                apps::insert_loan(c, &row)?;
                let mut moves = vec![(row.start_on, row.amount_fen)];
                if row.outstanding_fen != row.amount_fen {
                    // Outstanding as of the report (or nothing from maturity, when repaid already).
                    moves.push((
                        row.closed_on.unwrap_or(today.max(row.start_on)),
                        row.outstanding_fen,
                    ));
                }
                for (as_of, outstanding_fen) in moves {
                    apps::record_balance(
                        c,
                        &apps::BalanceRow {
                            loan_id: row.id.clone(),
                            as_of,
                            outstanding_fen,
                            reported_at: at,
                            days_past_due: None,
                        },
                    )?;
                }
                Ok::<_, AssetError>(row)
            })
        })
        .await?;
    Ok(LoanView::of(&row))
}

/// A renewal repays `old` (a loan of the same bank to the same firm, outstanding, maturing on or after
/// the renewal's start) on the renewal's start: `old` is closed as repaid with a zero balance then.
fn renewal_of(c: &mut crate::store::DbConn, new: &LoanRow, old: &str) -> Result<(), AssetError> {
    let bad = |why: String| {
        AssetError::Invalid(vec![Violation::new("renews_loan_id", "loan.renewal", why)])
    };
    let Some(mut o) = apps::get_loan(c, old)? else {
        return Err(bad(format!("no loan {old} is on record")));
    };
    if o.institution_id != new.institution_id || o.firm_uscc != new.firm_uscc {
        return Err(bad(format!(
            "loan {old} is not this bank's loan to {}",
            new.firm_uscc
        )));
    }
    if o.status != LoanStatus::Outstanding || o.maturity_on < new.start_on {
        return Err(bad(format!(
            "loan {old} is not outstanding on {} (a renewal without principal repayment is signed before the old loan matures)",
            new.start_on
        )));
    }
    o.status = LoanStatus::Repaid;
    o.outstanding_fen = 0;
    o.closed_on = Some(new.start_on);
    apps::save_loan(c, &o)?;
    apps::record_balance(
        c,
        &apps::BalanceRow {
            loan_id: o.id,
            as_of: new.start_on,
            outstanding_fen: 0,
            reported_at: new.created_at,
            days_past_due: None,
        },
    )?;
    Ok(())
}

/// `bank` reports loan `id`'s outstanding principal on a date (no later than today, not before the loan
/// started, not above its amount); nothing outstanding closes it as repaid on that date.
#[tracing::instrument(skip(ctx, r), fields(bank = %bank, loan = %id))]
pub async fn report_balance(
    ctx: &Context,
    bank: &str,
    id: &str,
    r: BalanceReport,
) -> Result<LoanView, AssetError> {
    let mut f = Faults::default();
    let as_of = f.check(date("as_of", "as_of", &r.as_of));
    let outstanding = f.check(Money::parse_non_negative(&r.outstanding).map_err(|e| {
        Violation::new(
            "outstanding",
            e.rule(),
            format!("outstanding '{}' {e}", r.outstanding),
        )
    }));
    if let Some(d) = r
        .days_past_due
        .filter(|d| !(0..=MAX_DAYS_PAST_DUE).contains(d))
    {
        f.push(
            "days_past_due",
            "range.days_past_due",
            format!("days_past_due {d} must be between 0 and {MAX_DAYS_PAST_DUE}"),
        );
    }
    let days_past_due = r.days_past_due;
    let (as_of, outstanding) = f
        .done(as_of.zip(outstanding))
        .map_err(AssetError::Invalid)?;
    let (bank, id, now, today) = (
        bank.to_string(),
        id.to_string(),
        ctx.clock.now(),
        ctx.clock.today(),
    );
    let row = ctx
        .db
        .run_as(move |c| {
            write_transaction(c, |c| {
                let mut l = apps::get_loan(c, &id)?
                    .filter(|l| l.institution_id == bank)
                    .ok_or_else(|| AssetError::UnknownLoan(id.clone()))?;
                let bad = |field: &str, rule: &'static str, why: String| {
                    AssetError::Invalid(vec![Violation::new(field, rule, why)])
                };
                if as_of < l.start_on || as_of > today {
                    return Err(bad(
                        "as_of",
                        "range.order",
                        format!(
                            "as_of must fall between the loan's start {} and today {today}",
                            l.start_on
                        ),
                    ));
                }
                if outstanding.fen() > l.amount_fen {
                    return Err(bad(
                        "outstanding",
                        "range.order",
                        "outstanding is above the loan's amount".into(),
                    ));
                }
                if l.status != LoanStatus::Outstanding {
                    return Err(bad(
                        "outstanding",
                        "loan.closed",
                        format!(
                            "loan {id} is {} since {}; its balance no longer moves",
                            l.status,
                            l.closed_on.map_or_else(String::new, |d| d.to_string())
                        ),
                    ));
                }
                apps::record_balance(
                    c,
                    &apps::BalanceRow {
                        loan_id: l.id.clone(),
                        as_of,
                        outstanding_fen: outstanding.fen(),
                        reported_at: now,
                        days_past_due,
                    },
                )?;
                l.outstanding_fen = apps::balance_now(c, &l.id)?.unwrap_or(outstanding.fen());
                if l.outstanding_fen == 0 {
                    l.status = LoanStatus::Repaid;
                    l.closed_on = Some(as_of);
                }
                apps::save_loan(c, &l)?;
                Ok(l)
            })
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
