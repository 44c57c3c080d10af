//! Receivables (Art 27, 54): a firm registers one it is owed; only the debtor answers it, once (confirm,
//! or dispute with a reason); a confirmed, unfinanced, not-yet-due receivable can back receivable
//! financing.

use super::access::Actor;
use super::{Context, ServiceError, Violation};
use crate::domain::states::{ReceivableStatus, TransitionError};
use crate::domain::{Money, Uscc};
use crate::store::receivables::{self as store, ReceivableRow};
use crate::store::{firms, StoreError};
use chrono::NaiveDate;

#[derive(Debug, thiserror::Error)]
pub enum ReceivableError {
    #[error("the receivable breaks {} rule(s)", .0.len())]
    Invalid(Vec<Violation>),
    #[error("no firm {0} is registered")]
    UnknownFirm(String),
    /// Absent, or not owed by the actor's firm (the same to the caller).
    #[error("no receivable {0} owed by this key's firm")]
    NotOwed(String),
    #[error("invoice {invoice} of debtor {debtor} is already registered")]
    Registered { invoice: String, debtor: String },
    #[error("receivable {id}: {error}")]
    Transition { id: String, error: TransitionError },
    #[error("{0}")]
    Forbidden(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for ReceivableError {
    fn from(e: diesel::result::Error) -> Self {
        ReceivableError::Store(e.into())
    }
}

impl From<ReceivableError> for ServiceError {
    fn from(e: ReceivableError) -> Self {
        match e {
            ReceivableError::Invalid(v) => ServiceError::Invalid(v),
            ReceivableError::UnknownFirm(_) | ReceivableError::NotOwed(_) => {
                ServiceError::NotFound(e.to_string())
            }
            ReceivableError::Registered { .. } | ReceivableError::Transition { .. } => {
                ServiceError::Conflict(e.to_string())
            }
            ReceivableError::Forbidden(m) => ServiceError::Forbidden(m.into()),
            ReceivableError::Store(s) => ServiceError::Store(s),
        }
    }
}

/// A receivable as the creditor states it, already parsed.
#[derive(Debug, Clone)]
pub struct NewReceivable {
    pub debtor: Uscc,
    pub invoice_no: String,
    pub amount: Money,
    pub due_on: NaiveDate,
}

impl NewReceivable {
    /// From a form's raw fields; every fault at once.
    pub fn parse(
        debtor: &str,
        invoice_no: &str,
        amount: &str,
        due_on: &str,
    ) -> Result<NewReceivable, Vec<Violation>> {
        let mut f = super::Faults::default();
        let debtor = f.check(super::uscc("debtor_uscc", debtor));
        let amount = f.check(super::positive_money("amount", "amount", amount));
        let due_on = f.check(super::date("due_on", "due_on", due_on));
        let new = match (debtor, amount, due_on) {
            (Some(debtor), Some(amount), Some(due_on)) => Some(NewReceivable {
                debtor,
                invoice_no: invoice_no.to_string(),
                amount,
                due_on,
            }),
            _ => None,
        };
        f.done(new)
    }
}

/// The creditor registers a receivable it is owed: pending until the debtor answers.
#[tracing::instrument(skip(ctx, r), fields(creditor = %creditor, invoice = %r.invoice_no))]
pub async fn register(
    ctx: &Context,
    creditor: &Uscc,
    r: NewReceivable,
) -> Result<ReceivableRow, ReceivableError> {
    let mut errors = Vec::new();
    if r.debtor == *creditor {
        errors.push(Violation::new(
            "debtor_uscc",
            "receivable.self",
            "a firm cannot owe itself",
        ));
    }
    let invoice = r.invoice_no.trim().to_string();
    if invoice.is_empty() || invoice.len() > 64 {
        errors.push(Violation::new(
            "invoice_no",
            "length",
            "invoice_no must be 1-64 characters",
        ));
    }
    if r.due_on < ctx.clock.today() {
        errors.push(Violation::new(
            "due_on",
            "date.past",
            "due_on is in the past: an overdue receivable cannot be financed",
        ));
    }
    if !errors.is_empty() {
        return Err(ReceivableError::Invalid(errors));
    }
    let row = ReceivableRow {
        id: uuid::Uuid::now_v7().to_string(),
        creditor_uscc: creditor.to_string(),
        debtor_uscc: r.debtor.to_string(),
        invoice_no: invoice,
        amount_fen: r.amount.fen(),
        due_on: r.due_on,
        status: ReceivableStatus::Pending,
        dispute_reason: None,
        registered_at: ctx.clock.now(),
        decided_at: None,
        financed_application_id: None,
        financed_at: None,
    };
    let stored = row.clone();
    ctx.db
        .run_as(move |c| {
            crate::store::backend::write_transaction(c, |c| {
                if !firms::exists(c, &stored.creditor_uscc)? {
                    return Err(ReceivableError::UnknownFirm(stored.creditor_uscc.clone()));
                }
                store::insert_receivable(c, &stored).map_err(|e| match e {
                    StoreError::Conflict(_) => ReceivableError::Registered {
                        invoice: stored.invoice_no.clone(),
                        debtor: stored.debtor_uscc.clone(),
                    },
                    other => ReceivableError::Store(other),
                })?;
                // The debtor, if it is on the hub, is asked to confirm or dispute (Art 27, 54).
                if firms::exists(c, &stored.debtor_uscc)? {
                    super::notifications::tell(
                        c,
                        &stored.debtor_uscc,
                        super::notifications::Kind::ReceivableToAnswer,
                        &stored.id,
                        &[
                            ("creditor", &stored.creditor_uscc),
                            ("invoice", &stored.invoice_no),
                            ("amount", &Money::from_fen(stored.amount_fen).to_string()),
                        ],
                        stored.registered_at,
                    )?;
                }
                Ok(())
            })
        })
        .await?;
    Ok(row)
}

/// Which receivables to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// What the firm is owed.
    Creditor,
    /// What it owes.
    Debtor,
}

/// A firm's receivables on one side; the government side sees all. Newest first, up to `limit + 1`.
pub async fn list(
    ctx: &Context,
    actor: &Actor,
    side: Side,
    before: Option<String>,
    limit: i64,
) -> Result<Vec<ReceivableRow>, ReceivableError> {
    let (creditor, debtor) = match (actor, side) {
        (Actor::Firm { uscc }, Side::Creditor) => (Some(uscc.to_string()), None),
        (Actor::Firm { uscc }, Side::Debtor) => (None, Some(uscc.to_string())),
        (a, _) if a.is_government_side() => (None, None),
        _ => {
            return Err(ReceivableError::Forbidden(
                "receivables are seen by their firms and the government",
            ))
        }
    };
    Ok(ctx
        .db
        .run(move |c| {
            store::list_receivables(
                c,
                creditor.as_deref(),
                debtor.as_deref(),
                before.as_deref(),
                limit + 1,
            )
        })
        .await?)
}

/// The debtor's answer.
#[derive(Debug, Clone)]
pub enum Answer {
    Confirm,
    Dispute { reason: String },
}

/// The debtor answers a pending receivable, once; to anyone else it does not exist.
#[tracing::instrument(skip(ctx, answer), fields(receivable = %id))]
pub async fn answer(
    ctx: &Context,
    actor: &Actor,
    id: &str,
    answer: Answer,
) -> Result<ReceivableRow, ReceivableError> {
    let Actor::Firm { uscc } = actor else {
        return Err(ReceivableError::Forbidden(
            "only the debtor's firm answers a receivable",
        ));
    };
    let (i, debtor, at) = (id.to_string(), uscc.to_string(), ctx.clock.now());
    ctx.db
        .run_as(move |c| {
            let row = store::get_receivable(c, &i)?
                .filter(|r| r.debtor_uscc == debtor)
                .ok_or_else(|| ReceivableError::NotOwed(i.clone()))?;
            let (status, reason) = match answer {
                Answer::Confirm => (row.status.confirm(), None),
                Answer::Dispute { reason } => (row.status.dispute(), Some(reason)),
            };
            let status = status.map_err(|error| ReceivableError::Transition {
                id: i.clone(),
                error,
            })?;
            // The update is conditional on `pending`: an answer that raced in first wins.
            if !store::decide_receivable(c, &i, status, reason, at)? {
                let now = store::get_receivable(c, &i)?.map_or(row.status, |r| r.status);
                return Err(ReceivableError::Transition {
                    id: i.clone(),
                    error: TransitionError {
                        action: "an answer",
                        from: now.as_str(),
                        needs: vec![ReceivableStatus::Pending.as_str()],
                    },
                });
            }
            store::get_receivable(c, &i)?.ok_or_else(|| ReceivableError::NotOwed(i.clone()))
        })
        .await
}

/// A receivable and where it stands.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ReceivableView {
    pub id: String,
    pub creditor_uscc: String,
    pub debtor_uscc: String,
    pub invoice_no: String,
    pub amount: Money,
    pub due_on: NaiveDate,
    pub status: ReceivableStatus,
    pub dispute_reason: Option<String>,
    pub registered_at: String,
    pub decided_at: Option<String>,
    /// Hours from registration to the debtor's answer, to the hundredth.
    pub confirmation_hours: Option<f64>,
    pub financed_application_id: Option<String>,
    pub financed_at: Option<String>,
}

impl ReceivableView {
    pub fn of(r: &ReceivableRow) -> Self {
        use crate::domain::rfc3339 as ts;
        ReceivableView {
            id: r.id.clone(),
            creditor_uscc: r.creditor_uscc.clone(),
            debtor_uscc: r.debtor_uscc.clone(),
            invoice_no: r.invoice_no.clone(),
            amount: Money::from_fen(r.amount_fen),
            due_on: r.due_on,
            status: r.status,
            dispute_reason: r.dispute_reason.clone(),
            registered_at: ts(r.registered_at),
            decided_at: r.decided_at.map(ts),
            confirmation_hours: r
                .decided_at
                .map(|d| ((d - r.registered_at).num_seconds() as f64 / 36.0).round() / 100.0),
            financed_application_id: r.financed_application_id.clone(),
            financed_at: r.financed_at.map(ts),
        }
    }
}

/// How quickly a debtor answers (Art 54).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Latency {
    pub debtor_uscc: String,
    pub decided: i64,
    pub pending: i64,
    pub mean_hours_to_answer: Option<f64>,
}

/// `debtor`'s receivables decided, still pending, and the mean hours to answer: the firm itself or the
/// government side.
pub async fn latency(
    ctx: &Context,
    actor: &Actor,
    debtor: &Uscc,
) -> Result<Latency, ReceivableError> {
    if !super::access::may_act_for_firm(actor, debtor.as_str()) {
        return Err(ReceivableError::Forbidden(
            "a debtor's answering record is its own and the government's",
        ));
    }
    let u = debtor.to_string();
    let (decided, pending, mean) = ctx.db.run(move |c| store::debtor_latency(c, &u)).await?;
    Ok(Latency {
        debtor_uscc: debtor.to_string(),
        decided,
        pending,
        mean_hours_to_answer: mean.map(|h| (h * 100.0).round() / 100.0),
    })
}

/// A payment as the creditor or the debtor states it (Art 54).
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentInput {
    /// YYYY-MM-DD, not in the future.
    pub paid_on: String,
    /// Yuan, a decimal string; with the payments before it, not above the receivable's amount.
    pub amount: String,
}

/// A receivable's payments and what is left.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PaymentsView {
    pub receivable_id: String,
    pub amount: Money,
    pub due_on: NaiveDate,
    pub paid: Money,
    pub outstanding: Money,
    /// Still owed at the end of the due date (what Art 54 counts as overdue).
    pub overdue_at_due_date: Money,
    pub payments: Vec<PaymentItem>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PaymentItem {
    pub paid_on: NaiveDate,
    pub amount: Money,
    /// `creditor` or `debtor`.
    pub recorded_by: String,
}

fn payments_view(r: &ReceivableRow, ps: &[store::PaymentRow]) -> PaymentsView {
    let paid: i64 = ps.iter().map(|p| p.amount_fen).sum();
    let by_due: i64 = ps
        .iter()
        .filter(|p| p.paid_on <= r.due_on)
        .map(|p| p.amount_fen)
        .sum();
    PaymentsView {
        receivable_id: r.id.clone(),
        amount: Money::from_fen(r.amount_fen),
        due_on: r.due_on,
        paid: Money::from_fen(paid),
        outstanding: Money::from_fen(r.amount_fen - paid),
        overdue_at_due_date: Money::from_fen((r.amount_fen - by_due).max(0)),
        payments: ps
            .iter()
            .map(|p| PaymentItem {
                paid_on: p.paid_on,
                amount: Money::from_fen(p.amount_fen),
                recorded_by: p.recorded_by.clone(),
            })
            .collect(),
    }
}

/// The creditor or the debtor records a payment on a receivable (Art 54): not in the future, not before
/// the receivable was registered, and never more in all than its amount. To anyone else it does not exist.
#[tracing::instrument(skip(ctx, input), fields(receivable = %id))]
pub async fn pay(
    ctx: &Context,
    actor: &Actor,
    id: &str,
    input: PaymentInput,
) -> Result<PaymentsView, ReceivableError> {
    let Actor::Firm { uscc } = actor else {
        return Err(ReceivableError::Forbidden(
            "a payment is recorded by the receivable's creditor or its debtor",
        ));
    };
    let mut f = super::Faults::default();
    let on = f.check(super::date("paid_on", "paid_on", &input.paid_on));
    let amount = f.check(super::positive_money("amount", "amount", &input.amount));
    let (on, amount) = f.done(on.zip(amount)).map_err(ReceivableError::Invalid)?;
    let (i, me, at, today) = (
        id.to_string(),
        uscc.to_string(),
        ctx.clock.now(),
        ctx.clock.today(),
    );
    ctx.db
        .run_as(move |c| {
            crate::store::backend::write_transaction(c, |c| {
                let r = store::get_receivable(c, &i)?
                    .filter(|r| r.creditor_uscc == me || r.debtor_uscc == me)
                    .ok_or_else(|| ReceivableError::NotOwed(i.clone()))?;
                let bad = |field: &str, rule: &'static str, m: String| ReceivableError::Invalid(vec![Violation::new(field, rule, m)]);
                let registered = (r.registered_at + chrono::Duration::hours(8)).date();
                if on > today || on < registered {
                    return Err(bad("paid_on", "range.order", format!("paid_on must fall between the registration {registered} and today {today}")));
                }
                let before = store::payments_of(c, std::slice::from_ref(&r.id))?;
                let paid: i64 = before.iter().map(|p| p.amount_fen).sum();
                if paid + amount.fen() > r.amount_fen {
                    return Err(bad(
                        "amount",
                        "range.order",
                        format!("{} paid already; {} more would exceed the receivable's {}", Money::from_fen(paid), amount, Money::from_fen(r.amount_fen)),
                    ));
                }
                store::insert_payment(
                    c,
                    &store::PaymentRow {
                        id: uuid::Uuid::now_v7().to_string(),
                        receivable_id: r.id.clone(),
                        paid_on: on,
                        amount_fen: amount.fen(),
                        recorded_by: if r.creditor_uscc == me { "creditor" } else { "debtor" }.into(),
                        recorded_at: at,
                    },
                )?;
                let all = store::payments_of(c, std::slice::from_ref(&r.id))?;
                Ok(payments_view(&r, &all))
            })
        })
        .await
}
