//! Applications (Art 21, 27): a firm applies to a product it qualifies for, which grants the institution
//! the consent it needs to read the firm's profile; the institution decides, disburses, records
//! repayments and default. First loans and credit loans are flagged (Art 21 figures). Every move is one
//! transaction: the application (status-guarded), its loan and its event, or nothing.

use super::access::Actor;
use super::consents::{evict, Grant};
use super::{Context, ServiceError, Violation};
use crate::domain::consent::{Purpose, MAX_DAYS, SCOPES};
use crate::domain::matching::{self, Ask, LoanSubtype, Product, ProductKind, ProductTerms};
use crate::domain::rate::Ratio;
use crate::domain::states::{ApplicationAction, ApplicationStatus, LoanKind, LoanStatus};
use crate::domain::Money;
use crate::financing;
use crate::store::applications::{self as store, ApplicationRow, EventRow, Filter, LoanRow};
use crate::store::backend::write_transaction;
use crate::store::{consents, institutions, receivables, DbConn, StoreError};
use chrono::{Months, NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Why an institution declines: stable codes, so outcomes can be counted and later used for refitting.
pub const DECLINE_CODES: &[&str] = &[
    "score_too_low",
    "insufficient_repayment_capacity",
    "insufficient_collateral",
    "incomplete_documents",
    "outside_policy",
    "other",
];

/// How long the consent created by an application lasts unless the firm says otherwise.
pub const DEFAULT_CONSENT_DAYS: i64 = 90;
/// The consent an application grants covers every section (`SCOPES`), this many months of history, and
/// the institution may keep what it read this many days.
pub const CONSENT_DATA_MONTHS: i32 = 24;
pub const CONSENT_DATA_LIFE_DAYS: i32 = 365;

/// The purpose of the consent an application grants: a loan's credit assessment, a scheme's review.
pub fn consent_purpose(kind: ProductKind) -> Purpose {
    if kind.is_lending() {
        Purpose::CreditAssessment
    } else {
        Purpose::GuaranteeReview
    }
}

/// What a firm can pledge today: confirmed receivables not yet financed or due, and unpledged IP.
pub async fn pledgeable(
    ctx: &Context,
    firm: &crate::domain::Uscc,
) -> Result<
    (
        Vec<receivables::ReceivableRow>,
        Vec<receivables::IpAssetRow>,
    ),
    ApplicationError,
> {
    let (u, today) = (firm.to_string(), ctx.clock.today());
    Ok(ctx
        .db
        .run(move |c| {
            Ok((
                receivables::financeable(c, &u, today)?,
                receivables::pledgeable(c, &u)?,
            ))
        })
        .await?)
}

#[derive(Debug, thiserror::Error)]
pub enum ApplicationError {
    #[error("the request breaks {} rule(s)", .0.len())]
    Invalid(Vec<Violation>),
    /// Absent, or not the actor's to see.
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(&'static str),
    /// The application's (or its loan's, or its collateral's) state stands in the way.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Catalogue(#[from] financing::CatalogueError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for ApplicationError {
    fn from(e: diesel::result::Error) -> Self {
        ApplicationError::Store(e.into())
    }
}

impl From<ApplicationError> for ServiceError {
    fn from(e: ApplicationError) -> Self {
        match e {
            ApplicationError::Invalid(v) => ServiceError::Invalid(v),
            ApplicationError::NotFound(m) => ServiceError::NotFound(m),
            ApplicationError::Forbidden(m) => ServiceError::Forbidden(m.into()),
            ApplicationError::Conflict(m) => ServiceError::Conflict(m),
            ApplicationError::Catalogue(c) => c.into(),
            ApplicationError::Store(s) => ServiceError::Store(s),
        }
    }
}

fn invalid(
    field: &str,
    rule: impl Into<std::borrow::Cow<'static, str>>,
    message: impl Into<String>,
) -> ApplicationError {
    ApplicationError::Invalid(vec![Violation::new(field, rule, message)])
}

/// An application as the firm sends it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationInput {
    pub product_id: String,
    /// Yuan, a decimal string.
    pub amount: String,
    pub term_months: i32,
    /// Receivable financing: the receivables to finance (default: confirmed ones, earliest due first,
    /// until they cover the amount).
    pub receivable_ids: Option<Vec<String>>,
    /// IP pledge: the assets to pledge (default: unpledged ones until they cover the amount).
    pub ip_asset_ids: Option<Vec<String>>,
    /// The firm agrees that the institution reads its credit profile for this application.
    #[serde(default)]
    pub confirm_consent: bool,
    /// Days the consent lasts (1-366: at most a year; default 90).
    pub consent_days: Option<i64>,
}

/// The institution's decision.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    /// `approve` or `decline`.
    pub decision: String,
    /// Approve: yuan (default: the amount asked).
    pub amount: Option<String>,
    /// Approve: the annual rate (lending) or fee rate (guarantee), a decimal fraction.
    pub rate: Option<String>,
    /// Approve: months (default: the term asked).
    pub term_months: Option<i32>,
    /// Decline: one of the decline codes.
    pub code: Option<String>,
    pub reason: Option<String>,
}

/// A dated event with an optional amount (disbursement, repayment, default).
#[derive(Debug, Clone, Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DatedAmount {
    /// YYYY-MM-DD (default today).
    pub on: Option<String>,
    /// Yuan (repayments).
    pub amount: Option<String>,
    pub detail: Option<String>,
}

/// An application with its events (in the order they happened).
#[derive(Debug, Clone)]
pub struct Detailed {
    pub application: ApplicationRow,
    pub events: Vec<EventRow>,
}

/// Parse an amount and a term into an ask as of `today` (matching and applications).
pub fn ask(amount: &str, term_months: i32, today: NaiveDate) -> Result<Ask, Vec<Violation>> {
    let mut errors = Vec::new();
    let amount = super::positive_money("amount", "amount", amount)
        .map_err(|v| errors.push(v))
        .ok();
    if !(1..=360).contains(&term_months) {
        errors.push(Violation::new(
            "term_months",
            "term.range",
            "term_months must be 1-360",
        ));
    }
    match amount {
        Some(amount) if errors.is_empty() => Ok(Ask {
            amount,
            term_months,
            on: today,
        }),
        _ => Err(errors),
    }
}

/// Pick collateral covering `need` fen of value from `(id, value)` candidates, or check the named ones.
fn collateral(
    field: &str,
    named: Option<&[String]>,
    candidates: &[(String, i64)],
    need_fen: Decimal,
) -> Result<Vec<String>, Violation> {
    let chosen: Vec<(String, i64)> = match named {
        Some(ids) => {
            let mut out = Vec::new();
            for id in ids {
                match candidates.iter().find(|(c, _)| c == id) {
                    Some(c) => out.push(c.clone()),
                    None => {
                        return Err(Violation::new(
                            field,
                            "collateral.unavailable",
                            format!("{id} is not one of this firm's available assets (confirmed, unfinanced and not due; or unpledged)"),
                        ))
                    }
                }
            }
            out
        }
        None => {
            let mut out = Vec::new();
            let mut sum = 0i64;
            for c in candidates {
                if Decimal::from(sum) >= need_fen {
                    break;
                }
                sum += c.1;
                out.push(c.clone());
            }
            out
        }
    };
    let total: i64 = chosen.iter().map(|c| c.1).sum();
    if Decimal::from(total) < need_fen {
        return Err(Violation::new(
            field,
            "collateral.insufficient",
            format!(
                "the assets cover {} yuan of value, the amount needs {} yuan",
                Money::from_fen(total),
                (need_fen / Decimal::ONE_HUNDRED).round_dp(2)
            ),
        ));
    }
    Ok(chosen.into_iter().map(|c| c.0).collect())
}

/// A stored product's advance or loan-to-value ratio, which its kind requires and which must lend
/// something.
fn ratio_of(p: &Product, name: &str, v: Ratio) -> Result<Decimal, ApplicationError> {
    Some(v.get()).filter(|r| *r > Decimal::ZERO).ok_or_else(|| {
        ApplicationError::Conflict(format!("product {} states no usable {name}", p.id))
    })
}

/// Apply to a product. The firm must qualify now; the error lists each failed rule otherwise.
#[tracing::instrument(skip(ctx, input), fields(firm = %firm, product = %input.product_id))]
pub async fn create(
    ctx: &Context,
    firm: &crate::domain::Uscc,
    key_id: &str,
    input: ApplicationInput,
) -> Result<ApplicationRow, ApplicationError> {
    let r = input;
    let uscc = firm.to_string();
    let ask =
        ask(&r.amount, r.term_months, ctx.clock.today()).map_err(ApplicationError::Invalid)?;
    let days = r.consent_days.unwrap_or(DEFAULT_CONSENT_DAYS);
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(invalid(
            "consent_days",
            "range",
            format!("consent_days must be 1 to {MAX_DAYS} (a consent lasts at most a year)"),
        ));
    }
    let snap = ctx.catalogue.current(&ctx.db, &ctx.cache).await?;
    let product: Product = snap
        .products
        .iter()
        .find(|p| p.id == r.product_id)
        .cloned()
        .ok_or_else(|| {
            invalid(
                "product_id",
                "product.unknown",
                format!("no live product {}", r.product_id),
            )
        })?;
    if !product.spec.valid_on(ask.on) {
        return Err(invalid(
            "product_id",
            "product.not_valid",
            format!("product {} is not offered on {}", product.id, ask.on),
        ));
    }
    if !product.spec.kind.is_lending() {
        return Err(invalid(
            "product_id",
            "product.scheme",
            format!(
                "product {} is a guarantee scheme: apply for a loan that relies on it",
                product.id
            ),
        ));
    }
    let wanted = product.terms.guarantee_scheme_id();
    let scheme: Option<&Product> = wanted.and_then(|id| {
        snap.products
            .iter()
            .find(|s| s.id == id && s.spec.valid_on(ask.on))
    });
    if wanted.is_some() && scheme.is_none() {
        return Err(invalid(
            "product_id",
            "scheme.unavailable",
            "the guarantee scheme this loan relies on is no longer offered",
        ));
    }
    let (u, today, inst) = (uscc.clone(), ask.on, product.institution_id.clone());
    let held = snap.clone();
    let (applicant, financeable, pledgeable, inst_name, drawn) = ctx
        .db
        .run(move |c| {
            Ok((
                financing::applicant(c, &u, today)?,
                receivables::financeable(c, &u, today)?,
                receivables::pledgeable(c, &u)?,
                institutions::get(c, &inst)?.name,
                super::matching::drawn_by(c, &u, &held.policies)?,
            ))
        })
        .await?;
    let a = applicant
        .ok_or_else(|| ApplicationError::NotFound(format!("no firm {uscc} is registered")))?;
    let failed: Vec<Violation> = matching::failures(&product, scheme, &a, &ask)
        .into_iter()
        .map(|c| Violation::new("product_id", format!("eligibility.{}", c.rule), c.message))
        .collect();
    if !failed.is_empty() {
        return Err(ApplicationError::Invalid(failed));
    }
    let purpose = consent_purpose(product.spec.kind);
    if !r.confirm_consent {
        return Err(invalid(
            "confirm_consent",
            "consent.confirm",
            format!(
                "applying lets {inst_name} read your credit profile (all sections) for {} for {days} days; send confirm_consent: true to agree",
                purpose.as_str()
            ),
        ));
    }
    let amount = ask.amount.to_decimal() * Decimal::ONE_HUNDRED;
    // What backs it, and the ratio of its value the product lends against.
    let backing = match product.terms {
        ProductTerms::ReceivableFinancing { advance, .. } => Some((
            "receivable_ids",
            r.receivable_ids.as_deref(),
            financeable
                .iter()
                .map(|x| (x.id.clone(), x.amount_fen))
                .collect::<Vec<_>>(),
            ("advance_ratio", advance),
        )),
        ProductTerms::IpPledge { loan_to_value, .. } => Some((
            "ip_asset_ids",
            r.ip_asset_ids.as_deref(),
            pledgeable
                .iter()
                .map(|x| (x.id.clone(), x.appraised_value_fen))
                .collect(),
            ("loan_to_value", loan_to_value),
        )),
        _ => None,
    };
    let chosen = match backing {
        Some((field, named, candidates, (ratio_name, ratio))) => {
            let ratio = ratio_of(&product, ratio_name, ratio)?;
            collateral(field, named, &candidates, amount / ratio)
                .map_err(|e| ApplicationError::Invalid(vec![e]))?
        }
        None => Vec::new(),
    };
    let money = matching::PublicMoney {
        policies: &snap.policies,
        drawn: &drawn,
    };
    let cost = matching::cost(
        &product,
        scheme,
        a.grade,
        &ask,
        &matching::quotable(money, &a, &ask),
    );
    let at = ctx.clock.now();
    // The firm's own application grants it.
    let consent = Grant {
        firm: uscc.clone(),
        institution: product.institution_id.clone(),
        purpose,
        scope: SCOPES.iter().map(|s| s.to_string()).collect(),
        data_months: CONSENT_DATA_MONTHS,
        max_queries_per_month: None,
        data_life_days: CONSENT_DATA_LIFE_DAYS,
        valid_from: at,
        expires_at: at + chrono::Duration::days(days),
    }
    .by_firm(key_id, at);
    let app = ApplicationRow {
        id: uuid::Uuid::now_v7().to_string(),
        firm_uscc: uscc.clone(),
        product_id: product.id.clone(),
        institution_id: product.institution_id.clone(),
        amount_fen: ask.amount.fen(),
        term_months: ask.term_months,
        status: ApplicationStatus::Submitted,
        consent_id: consent.id.clone(),
        first_loan: product.spec.kind.is_lending() && !a.has_bank_loan,
        credit_loan: matches!(product.terms, ProductTerms::BankLoan { .. })
            && product.terms.guarantee_scheme_id().is_none(),
        collateral: chosen.join(","),
        quoted_cost: serde_json::to_string(&cost)
            .map_err(|e| StoreError::Config(format!("the quoted cost: {e}")))?,
        approved_amount_fen: None,
        approved_rate: None,
        approved_term_months: None,
        decline_code: None,
        decline_reason: None,
        loan_id: None,
        created_at: at,
        updated_at: at,
    };
    let event = EventRow {
        id: uuid::Uuid::now_v7().to_string(),
        application_id: app.id.clone(),
        kind: "submitted".into(),
        amount_fen: Some(app.amount_fen),
        on_date: Some(today),
        detail: Some(format!(
            "consent {} granted to {inst_name} for {}",
            consent.id,
            purpose.as_str()
        )),
        key_id: key_id.to_string(),
        at,
    };
    let (c2, a2) = (consent.clone(), app.clone());
    ctx.db
        .run(move |c| {
            write_transaction(c, |c| {
                consents::insert(c, &c2)?;
                store::insert(c, &a2)?;
                store::add_event(c, &event)?;
                super::notifications::tell(
                    c,
                    &a2.institution_id,
                    super::notifications::Kind::ApplicationNew,
                    &a2.id,
                    &[
                        ("firm", &a2.firm_uscc),
                        ("product", &a2.product_id),
                        ("amount", &Money::from_fen(a2.amount_fen).to_string()),
                    ],
                    a2.created_at,
                )?;
                Ok::<_, StoreError>(())
            })
        })
        .await?;
    // A new consent: the bank's next profile query must see it.
    evict(ctx, &consent).await;
    Ok(app)
}

/// Who sees an application: its firm, its institution, the government side.
fn visible(actor: &Actor, a: &ApplicationRow) -> bool {
    match actor {
        Actor::Firm { uscc } => uscc.as_str() == a.firm_uscc,
        Actor::Bank { institution } | Actor::Agency { institution } => {
            *institution == a.institution_id
        }
        Actor::Government { .. } | Actor::Admin => true,
    }
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub status: Option<ApplicationStatus>,
    pub before: Option<String>,
    pub limit: i64,
}

/// A firm's applications; an institution's inbox; the government side sees all. Newest first, up to
/// `limit + 1` (one more tells that there is a next page).
pub async fn list(
    ctx: &Context,
    actor: &Actor,
    q: ListQuery,
) -> Result<Vec<ApplicationRow>, ApplicationError> {
    let mut f = Filter {
        status: q.status,
        before: q.before,
        ..Default::default()
    };
    match actor {
        Actor::Firm { uscc } => f.firm = Some(uscc.to_string()),
        Actor::Bank { institution } | Actor::Agency { institution } => {
            f.institution = Some(institution.to_string())
        }
        Actor::Government { .. } | Actor::Admin => {}
    }
    let limit = q.limit;
    Ok(ctx.db.run(move |c| store::list(c, &f, limit + 1)).await?)
}

/// One application with its events, if the actor may see it.
pub async fn get(ctx: &Context, actor: &Actor, id: &str) -> Result<Detailed, ApplicationError> {
    let key = id.to_string();
    let (row, events) = ctx
        .db
        .run(move |c| Ok((store::get(c, &key)?, store::events(c, &key)?)))
        .await?;
    let application = row
        .filter(|a| visible(actor, a))
        .ok_or_else(|| ApplicationError::NotFound(format!("no application {id}")))?;
    Ok(Detailed {
        application,
        events,
    })
}

/// What a move changes: the application, perhaps its loan, and the event that records it.
struct Step {
    application: ApplicationRow,
    loan: Option<LoanRow>,
    event: EventRow,
}

/// Who acts on an application: the firm that applied, or the institution it went to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Party {
    Firm,
    Institution,
}

/// Load, check who may act, apply `f` and write the application (status-guarded), its loan and its
/// event in one transaction; anything that fails leaves nothing written.
async fn transition<F>(
    ctx: &Context,
    actor: &Actor,
    key_id: &str,
    id: &str,
    party: Party,
    f: F,
) -> Result<Detailed, ApplicationError>
where
    F: FnOnce(&mut DbConn, ApplicationRow, &Event) -> Result<Step, ApplicationError>
        + Send
        + 'static,
{
    let ev = Event {
        key_id: key_id.to_string(),
        at: ctx.clock.now(),
        today: ctx.clock.today(),
    };
    let may = match party {
        Party::Firm => matches!(actor, Actor::Firm { .. }),
        Party::Institution => actor.is_institution(),
    };
    let (i, actor) = (id.to_string(), actor.clone());
    ctx.db
        .run_as(move |c| {
            write_transaction(c, |c| {
                let Some(row) = store::get(c, &i)?.filter(|a| visible(&actor, a)) else {
                    return Err(ApplicationError::NotFound(format!("no application {i}")));
                };
                if !may {
                    return Err(ApplicationError::Forbidden(match party {
                        Party::Firm => "only the applying firm does this",
                        Party::Institution => {
                            "only the institution the application went to does this"
                        }
                    }));
                }
                let before = row.status;
                let step = f(c, row, &ev)?;
                if let Some(l) = &step.loan {
                    match store::get_loan(c, &l.id)? {
                        Some(_) => store::save_loan(c, l)?,
                        None => store::insert_loan(c, l)?,
                    }
                    // The balance after the move, on its date (Art 21 statistics read balances at dates).
                    if let Some(on) = step.event.on_date {
                        store::record_balance(
                            c,
                            &store::BalanceRow {
                                loan_id: l.id.clone(),
                                as_of: on,
                                outstanding_fen: l.outstanding_fen,
                                reported_at: ev.at,
                                days_past_due: None,
                            },
                        )?;
                    }
                }
                let new = step.application;
                if !store::save_if(c, &new, before)? {
                    return Err(ApplicationError::Conflict(format!(
                        "application {} changed meanwhile; read it again",
                        new.id
                    )));
                }
                store::add_event(c, &step.event)?;
                // The firm is told of every move it did not make itself.
                if party == Party::Institution {
                    super::notifications::tell(
                        c,
                        &new.firm_uscc,
                        super::notifications::Kind::ApplicationChanged,
                        &new.id,
                        &[
                            ("status", new.status.as_str()),
                            ("institution", &new.institution_id),
                        ],
                        ev.at,
                    )?;
                }
                let events = store::events(c, &new.id)?;
                Ok(Detailed {
                    application: new,
                    events,
                })
            })
        })
        .await
}

/// The status `action` leads to, or the conflict that says why it cannot happen now.
fn next_status(
    a: &ApplicationRow,
    action: ApplicationAction,
) -> Result<ApplicationStatus, ApplicationError> {
    a.status
        .after(action)
        .map_err(|e| ApplicationError::Conflict(format!("application {}: {e}", a.id)))
}

/// The record of one move: who, when, and the day it happened on (China Standard Time).
struct Event {
    key_id: String,
    at: NaiveDateTime,
    today: NaiveDate,
}

impl Event {
    fn of(
        &self,
        a: &ApplicationRow,
        kind: &str,
        amount: Option<i64>,
        on: Option<NaiveDate>,
        detail: Option<String>,
    ) -> EventRow {
        EventRow {
            id: uuid::Uuid::now_v7().to_string(),
            application_id: a.id.clone(),
            kind: kind.into(),
            amount_fen: amount,
            on_date: on,
            detail,
            key_id: self.key_id.clone(),
            at: self.at,
        }
    }
}

/// A decision, checked: approve with amount, rate and term, or decline with a code.
enum Decision {
    Approve {
        amount: Option<Money>,
        rate: Decimal,
        term_months: Option<i32>,
    },
    Decline {
        code: String,
        reason: Option<String>,
    },
}

fn decision(r: DecisionInput) -> Result<Decision, ApplicationError> {
    let mut errors = Vec::new();
    let approve = match r.decision.as_str() {
        "approve" => true,
        "decline" => false,
        other => {
            return Err(invalid(
                "decision",
                "decision.unknown",
                format!("'{other}' is not approve or decline"),
            ))
        }
    };
    let amount = match r.amount.as_deref().map(Money::parse) {
        Some(Ok(m)) if m > Money::ZERO => Some(m),
        Some(Ok(_)) => {
            errors.push(Violation::new(
                "amount",
                "money.positive",
                "amount must be above zero",
            ));
            None
        }
        Some(Err(e)) => {
            errors.push(Violation::new("amount", e.rule(), format!("amount {e}")));
            None
        }
        None => None,
    };
    let rate = match r.rate.as_deref().map(crate::domain::rate::Rate::parse) {
        Some(Ok(d)) if d.get() <= Decimal::new(36, 2) => Some(d.get()),
        Some(_) => {
            errors.push(Violation::new(
                "rate",
                "rate.range",
                "rate must be a decimal fraction from 0 to 0.36",
            ));
            None
        }
        None => None,
    };
    if approve && r.rate.is_none() {
        errors.push(Violation::new(
            "rate",
            "required",
            "an approval states the rate",
        ));
    }
    let code = if approve {
        None
    } else {
        match r.code.as_deref() {
            Some(c) if DECLINE_CODES.contains(&c) => Some(c.to_string()),
            Some(c) => {
                errors.push(Violation::new(
                    "code",
                    "decline.code",
                    format!(
                        "'{c}' is not a decline code; use one of {}",
                        DECLINE_CODES.join(", ")
                    ),
                ));
                None
            }
            None => {
                errors.push(Violation::new(
                    "code",
                    "required",
                    format!("a decline gives a code: {}", DECLINE_CODES.join(", ")),
                ));
                None
            }
        }
    };
    if !errors.is_empty() {
        return Err(ApplicationError::Invalid(errors));
    }
    Ok(match (rate, code) {
        (Some(rate), _) if approve => Decision::Approve {
            amount,
            rate,
            term_months: r.term_months,
        },
        (_, Some(code)) => Decision::Decline {
            code,
            reason: r.reason,
        },
        _ => return Err(ApplicationError::Invalid(errors)),
    })
}

/// The institution approves (amount, rate, term) or declines (a code and a reason). A loan that relies
/// on a government guarantee scheme gets its guarantee contract at approval.
#[tracing::instrument(skip(ctx, input), fields(application = %id))]
pub async fn decide(
    ctx: &Context,
    actor: &Actor,
    key_id: &str,
    id: &str,
    input: DecisionInput,
) -> Result<Detailed, ApplicationError> {
    let d = decision(input)?;
    let snap = ctx.catalogue.current(&ctx.db, &ctx.cache).await?;
    let products = snap.products.clone();
    transition(
        ctx,
        actor,
        key_id,
        id,
        Party::Institution,
        move |c, mut a, ev| {
            let today = ev.today;
            let decided = next_status(
                &a,
                match d {
                    Decision::Approve { .. } => ApplicationAction::Approve,
                    Decision::Decline { .. } => ApplicationAction::Decline,
                },
            )?;
            let product = match products.iter().find(|p| p.id == a.product_id) {
                Some(p) => p.clone(),
                None => crate::store::products::get(c, &a.product_id)?
                    .as_ref()
                    .and_then(financing::parse_row)
                    .ok_or_else(|| {
                        ApplicationError::Conflict(format!("product {} is gone", a.product_id))
                    })?,
            };
            a.updated_at = ev.at;
            a.status = decided;
            let event = match d {
                Decision::Approve {
                    amount,
                    rate,
                    term_months,
                } => {
                    let amount = amount.unwrap_or(Money::from_fen(a.amount_fen));
                    let term = term_months.unwrap_or(a.term_months);
                    let mut errs = Vec::new();
                    if amount < product.spec.amount_min || amount > product.spec.amount_max {
                        errs.push(Violation::new(
                            "amount",
                            "amount.range",
                            format!(
                                "the product lends {}-{}",
                                product.spec.amount_min, product.spec.amount_max
                            ),
                        ));
                    }
                    if term < product.spec.term_min_months || term > product.spec.term_max_months {
                        errs.push(Violation::new(
                            "term_months",
                            "term.range",
                            format!(
                                "the product runs {}-{} months",
                                product.spec.term_min_months, product.spec.term_max_months
                            ),
                        ));
                    }
                    if let Some(l) = product.terms.lending() {
                        let (lo, hi) = (l.rate_min, l.rate_max);
                        if rate < lo.get() || rate > hi.get() {
                            errs.push(Violation::new(
                                "rate",
                                "rate.range",
                                format!("the product's rate is {lo}-{hi}"),
                            ));
                        }
                    }
                    if !errs.is_empty() {
                        return Err(ApplicationError::Invalid(errs));
                    }
                    a.approved_amount_fen = Some(amount.fen());
                    a.approved_rate = Some(rate.normalize().to_string());
                    a.approved_term_months = Some(term);
                    let mut detail = format!("rate {}, {term} months", rate.normalize());
                    if let Some(scheme) = product
                        .terms
                        .guarantee_scheme_id()
                        .and_then(|sid| products.iter().find(|p| p.id == sid))
                    {
                        let g = scheme_guarantee(c, &a, scheme, amount, term, today, ev.at)?;
                        detail.push_str(&format!(
                            "; guarantee contract {} with {}",
                            g.contract_no, scheme.spec.name
                        ));
                        crate::store::guarantees::insert(c, &[g])?;
                    }
                    ev.of(
                        &a,
                        "approved",
                        Some(amount.fen()),
                        Some(today),
                        Some(detail),
                    )
                }
                Decision::Decline { code, reason } => {
                    let detail = format!("{code}: {}", reason.as_deref().unwrap_or(""));
                    a.decline_code = Some(code);
                    a.decline_reason = reason;
                    ev.of(&a, "declined", None, Some(today), Some(detail))
                }
            };
            Ok(Step {
                application: a,
                loan: None,
                event,
            })
        },
    )
    .await
}

/// The guarantee contract a scheme-backed loan gets at approval.
fn scheme_guarantee(
    c: &mut DbConn,
    a: &ApplicationRow,
    scheme: &Product,
    amount: Money,
    term: i32,
    start: NaiveDate,
    at: NaiveDateTime,
) -> Result<crate::store::guarantees::GuaranteeRow, ApplicationError> {
    let terms = scheme.terms.scheme().ok_or_else(|| {
        ApplicationError::Conflict(format!("product {} is not a guarantee scheme", scheme.id))
    })?;
    let (coverage, fee_rate) = (terms.coverage.get(), terms.fee_rate.get());
    let guaranteed = Money::round_yuan(amount.to_decimal() * coverage)
        .map_err(|e| ApplicationError::Conflict(format!("the guaranteed amount {e}")))?;
    let end_on = start
        .checked_add_months(Months::new(term.unsigned_abs()))
        .ok_or_else(|| ApplicationError::Conflict(format!("a term of {term} months")))?;
    Ok(crate::store::guarantees::GuaranteeRow {
        id: uuid::Uuid::now_v7().to_string(),
        agency_id: scheme.institution_id.clone(),
        contract_no: format!("APP-{}", a.id),
        firm_uscc: a.firm_uscc.clone(),
        lender: institutions::get(c, &a.institution_id)?.name,
        loan_amount_fen: amount.fen(),
        guaranteed_fen: guaranteed.fen(),
        fee_rate: fee_rate.normalize().to_string(),
        start_on: start,
        end_on,
        released_on: None,
        called_on: None,
        compensation_fen: None,
        application_id: Some(a.id.clone()),
        first_loan: a.first_loan,
        created_at: at,
    })
}

/// The day of an event: the one given (not in the future), else today.
pub fn on_date(s: Option<&str>, today: NaiveDate) -> Result<NaiveDate, ApplicationError> {
    match s {
        None => Ok(today),
        Some(s) => {
            let d = s.parse::<NaiveDate>().map_err(|_| {
                invalid(
                    "on",
                    "date.format",
                    format!("on '{s}' is not a date YYYY-MM-DD"),
                )
            })?;
            if d > today {
                return Err(invalid("on", "date.future", "on is in the future"));
            }
            Ok(d)
        }
    }
}

/// The firm withdraws an application not yet disbursed.
#[tracing::instrument(skip(ctx), fields(application = %id))]
pub async fn withdraw(
    ctx: &Context,
    actor: &Actor,
    key_id: &str,
    id: &str,
) -> Result<Detailed, ApplicationError> {
    transition(ctx, actor, key_id, id, Party::Firm, move |_, mut a, ev| {
        a.status = next_status(&a, ApplicationAction::Withdraw)?;
        a.updated_at = ev.at;
        let event = ev.of(&a, "withdrawn", None, Some(ev.today), None);
        Ok(Step {
            application: a,
            loan: None,
            event,
        })
    })
    .await
}

/// The institution records the disbursement: the loan starts, and the receivables it finances or the
/// assets pledged for it are marked so that they cannot back anything else (a conflict if one already
/// does).
#[tracing::instrument(skip(ctx, input), fields(application = %id))]
pub async fn disburse(
    ctx: &Context,
    actor: &Actor,
    key_id: &str,
    id: &str,
    input: DatedAmount,
) -> Result<Detailed, ApplicationError> {
    let on = on_date(input.on.as_deref(), ctx.clock.today())?;
    let snap = ctx.catalogue.current(&ctx.db, &ctx.cache).await?;
    let kinds: std::collections::HashMap<String, (ProductKind, Option<LoanSubtype>)> = snap
        .products
        .iter()
        .map(|p| (p.id.clone(), (p.spec.kind, p.spec.subtype)))
        .collect();
    transition(ctx, actor, key_id, id, Party::Institution, move |c, mut a, ev| {
        let disbursed = next_status(&a, ApplicationAction::Disburse)?;
        let (kind, subtype) = match kinds.get(&a.product_id) {
            Some(k) => *k,
            None => crate::store::products::get(c, &a.product_id)?
                .and_then(|p| ProductKind::parse(&p.kind))
                .map(|k| (k, None))
                .ok_or_else(|| {
                    ApplicationError::Conflict(format!("product {} is gone", a.product_id))
                })?,
        };
        if !kind.is_lending() {
            return Err(ApplicationError::Conflict(
                "a guarantee is not disbursed; the loan it backs is".into(),
            ));
        }
        let ids = a.collateral_ids();
        let ok = match kind {
            ProductKind::ReceivableFinancing => {
                receivables::finance(c, &ids, &a.firm_uscc, &a.id, on, ev.at)?
            }
            ProductKind::IpPledge => receivables::pledge(c, &ids, &a.firm_uscc, &a.id, ev.at)?,
            _ => true,
        };
        if !ok {
            // The error rolls back whatever part was marked.
            return Err(ApplicationError::Conflict(format!(
                "the {} backing application {} {} already financed or pledged elsewhere, or no longer eligible",
                if kind == ProductKind::IpPledge { "assets" } else { "receivables" },
                a.id,
                if ids.len() == 1 { "is" } else { "are" }
            )));
        }
        let amount = a.approved_amount_fen.unwrap_or(a.amount_fen);
        let term = a.approved_term_months.unwrap_or(a.term_months);
        let maturity_on = on
            .checked_add_months(Months::new(term.unsigned_abs()))
            .ok_or_else(|| ApplicationError::Conflict(format!("a term of {term} months")))?;
        // A renewal without principal repayment (无还本续贷) repays the borrower's loan at this lender that
        // matures first from the day on.
        let renews_loan_id = match subtype {
            Some(LoanSubtype::Renewal) => store::firm_loans(c, &a.firm_uscc)?
                .into_iter()
                .filter(|l| l.institution_id == a.institution_id)
                .filter(|l| l.status == LoanStatus::Outstanding && l.maturity_on >= on)
                .min_by_key(|l| l.maturity_on)
                .map(|l| l.id),
            _ => None,
        };
        let loan = LoanRow {
            id: uuid::Uuid::now_v7().to_string(),
            firm_uscc: a.firm_uscc.clone(),
            institution_id: a.institution_id.clone(),
            application_id: Some(a.id.clone()),
            amount_fen: amount,
            start_on: on,
            maturity_on,
            outstanding_fen: amount,
            status: LoanStatus::Outstanding,
            closed_on: None,
            created_at: ev.at,
            kind: match kind {
                ProductKind::ReceivableFinancing | ProductKind::IpPledge => LoanKind::Collateral,
                _ if a.credit_loan => LoanKind::Credit,
                _ => LoanKind::Guaranteed,
            },
            first_loan: !store::had_loan_before(c, &a.firm_uscc, on)?,
            renews_loan_id,
            credit_line_fen: None,
            // The class public money and the inclusive-loan statistics rely on (issue 20 §8).
            size_class: {
                let firm = crate::store::firms::get(c, &a.firm_uscc)?;
                crate::financing::eligible_size_class(c, &firm, on)?
                    .map_or(firm.size_class, |k| k.as_str().to_string())
                    .into()
            },
            interest_rate: a.approved_rate.clone(),
        };
        a.status = disbursed;
        a.loan_id = Some(loan.id.clone());
        a.updated_at = ev.at;
        let detail = format!("loan {} matures {}", loan.id, loan.maturity_on);
        let event = ev.of(&a, "disbursed", Some(amount), Some(on), Some(detail));
        Ok(Step {
            application: a,
            loan: Some(loan),
            event,
        })
    })
    .await
}

/// The loan a disbursed application opened.
fn loan_of(c: &mut DbConn, a: &ApplicationRow) -> Result<LoanRow, ApplicationError> {
    a.loan_id
        .as_deref()
        .map(|l| store::get_loan(c, l))
        .transpose()?
        .flatten()
        .ok_or_else(|| ApplicationError::Conflict(format!("application {} has no loan", a.id)))
}

/// The institution records a repayment; the loan is repaid when nothing is outstanding.
#[tracing::instrument(skip(ctx, input), fields(application = %id))]
pub async fn repay(
    ctx: &Context,
    actor: &Actor,
    key_id: &str,
    id: &str,
    input: DatedAmount,
) -> Result<Detailed, ApplicationError> {
    let on = on_date(input.on.as_deref(), ctx.clock.today())?;
    let amount = match input.amount.as_deref().map(Money::parse) {
        Some(Ok(m)) if m > Money::ZERO => m,
        Some(Err(e)) => return Err(invalid("amount", e.rule(), format!("amount {e}"))),
        _ => {
            return Err(invalid(
                "amount",
                "required",
                "a repayment states its amount, above zero",
            ))
        }
    };
    transition(
        ctx,
        actor,
        key_id,
        id,
        Party::Institution,
        move |c, mut a, ev| {
            next_status(&a, ApplicationAction::Repay { clears: false })?;
            let mut loan = loan_of(c, &a)?;
            if amount.fen() > loan.outstanding_fen {
                return Err(invalid(
                    "amount",
                    "repayment.excess",
                    format!(
                        "{} yuan is outstanding",
                        Money::from_fen(loan.outstanding_fen)
                    ),
                ));
            }
            loan.outstanding_fen -= amount.fen();
            let clears = loan.outstanding_fen == 0;
            loan.status = loan
                .status
                .repay(clears)
                .map_err(|e| ApplicationError::Conflict(format!("loan {}: {e}", loan.id)))?;
            a.status = next_status(&a, ApplicationAction::Repay { clears })?;
            if clears {
                loan.closed_on = Some(on);
            }
            a.updated_at = ev.at;
            let detail = format!("{} outstanding", Money::from_fen(loan.outstanding_fen));
            let event = ev.of(&a, "repayment", Some(amount.fen()), Some(on), Some(detail));
            Ok(Step {
                application: a,
                loan: Some(loan),
                event,
            })
        },
    )
    .await
}

/// The institution records a default on a disbursed loan.
#[tracing::instrument(skip(ctx, input), fields(application = %id))]
pub async fn default(
    ctx: &Context,
    actor: &Actor,
    key_id: &str,
    id: &str,
    input: DatedAmount,
) -> Result<Detailed, ApplicationError> {
    let on = on_date(input.on.as_deref(), ctx.clock.today())?;
    transition(
        ctx,
        actor,
        key_id,
        id,
        Party::Institution,
        move |c, mut a, ev| {
            a.status = next_status(&a, ApplicationAction::Default)?;
            let mut loan = loan_of(c, &a)?;
            loan.status = loan
                .status
                .default_now()
                .map_err(|e| ApplicationError::Conflict(format!("loan {}: {e}", loan.id)))?;
            a.updated_at = ev.at;
            let event = ev.of(
                &a,
                "defaulted",
                Some(loan.outstanding_fen),
                Some(on),
                input.detail.clone(),
            );
            Ok(Step {
                application: a,
                loan: Some(loan),
                event,
            })
        },
    )
    .await
}

/// One event in an application's life.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EventView {
    /// `applied`, `approved`, `declined`, `withdrawn`, `disbursed`, `repaid`, `defaulted`, ….
    pub kind: String,
    pub amount: Option<Money>,
    pub on: Option<NaiveDate>,
    pub detail: Option<String>,
    pub at: String,
}

/// An application (with its events when read one at a time).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApplicationView {
    pub id: String,
    pub firm_uscc: String,
    pub product_id: String,
    pub institution_id: String,
    pub amount: Money,
    pub term_months: i32,
    pub status: ApplicationStatus,
    /// The consent the application granted the institution.
    pub consent_id: String,
    pub first_loan: bool,
    pub credit_loan: bool,
    /// Receivables financed or assets pledged.
    pub collateral: Vec<String>,
    /// The cost quoted when the firm applied.
    #[schema(value_type = Object)]
    pub quoted_cost: serde_json::Value,
    pub approved_amount: Option<Money>,
    pub approved_rate: Option<String>,
    pub approved_term_months: Option<i32>,
    pub decline_code: Option<String>,
    pub decline_reason: Option<String>,
    pub loan_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<EventView>>,
}

impl ApplicationView {
    /// The application as stored; a quote that is not JSON is a read error, not an empty quote.
    pub fn of(a: &ApplicationRow, events: Option<&[EventRow]>) -> Result<Self, StoreError> {
        use crate::domain::rfc3339 as ts;
        Ok(ApplicationView {
            id: a.id.clone(),
            firm_uscc: a.firm_uscc.clone(),
            product_id: a.product_id.clone(),
            institution_id: a.institution_id.clone(),
            amount: Money::from_fen(a.amount_fen),
            term_months: a.term_months,
            status: a.status,
            consent_id: a.consent_id.clone(),
            first_loan: a.first_loan,
            credit_loan: a.credit_loan,
            collateral: a.collateral_ids(),
            quoted_cost: serde_json::from_str(&a.quoted_cost).map_err(|e| {
                StoreError::Config(format!("application {}: stored quote: {e}", a.id))
            })?,
            approved_amount: a.approved_amount_fen.map(Money::from_fen),
            approved_rate: a.approved_rate.clone(),
            approved_term_months: a.approved_term_months,
            decline_code: a.decline_code.clone(),
            decline_reason: a.decline_reason.clone(),
            loan_id: a.loan_id.clone(),
            created_at: ts(a.created_at),
            updated_at: ts(a.updated_at),
            events: events.map(|evs| {
                evs.iter()
                    .map(|e| EventView {
                        kind: e.kind.clone(),
                        amount: e.amount_fen.map(Money::from_fen),
                        on: e.on_date,
                        detail: e.detail.clone(),
                        at: ts(e.at),
                    })
                    .collect()
            }),
        })
    }
}

impl Detailed {
    pub fn view(&self) -> Result<ApplicationView, StoreError> {
        ApplicationView::of(&self.application, Some(&self.events))
    }
}
