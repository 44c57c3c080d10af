//! The firm registry (Art 2, 7): register, read, list and update firms; every write recomputes the size
//! class under the current standard. A firm acts for itself; the government side for every firm.

use super::access::{may_act_for_firm, Actor};
use super::Context;
use super::{ServiceError, Violation};
use crate::domain::district::{self, parse_district};
use crate::domain::size_class::{Classification, Indicators};
use crate::domain::{Money, SizeClass, Standard, Uscc};
use crate::store::firms::{self as store, FirmFilter, FirmRow};
use crate::store::StoreError;
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum FirmError {
    #[error("{} input(s) break a rule", .0.len())]
    Invalid(Vec<Violation>),
    #[error("{0}")]
    Forbidden(String),
    #[error("no firm {0} is registered")]
    NotFound(String),
    #[error("firm {0} is already registered")]
    Registered(String),
    /// A declaration decided already.
    #[error("{0}")]
    Decided(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<FirmError> for ServiceError {
    fn from(e: FirmError) -> Self {
        match e {
            FirmError::Invalid(v) => ServiceError::Invalid(v),
            FirmError::Forbidden(m) => ServiceError::Forbidden(m),
            FirmError::NotFound(_) => ServiceError::NotFound(e.to_string()),
            FirmError::Registered(_) | FirmError::Decided(_) => {
                ServiceError::Conflict(e.to_string())
            }
            FirmError::Store(s) => ServiceError::Store(s),
        }
    }
}

/// The firm itself, or the government side on its behalf.
fn acts_for(actor: &Actor, uscc: &str) -> Result<(), FirmError> {
    if may_act_for_firm(actor, uscc) {
        return Ok(());
    }
    Err(FirmError::Forbidden(match actor {
        Actor::Firm { .. } => format!("a firm key acts only for its own firm, not {uscc}"),
        other => format!(
            "a {} key cannot act on the firm registry; banks see firm data through consented profiles",
            other.role()
        ),
    }))
}

/// A firm to register. Money in yuan as decimal strings; the indicators the industry's row needs are required.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FirmInput {
    #[schema(example = "91310115MA1K4LXK3D")]
    pub uscc: String,
    pub name: String,
    /// Row key or GB/T 4754 code (`C1310`).
    pub industry: String,
    /// District key (`pudong`), code (`310115`) or name (`浦东新区`).
    pub district: String,
    /// `YYYY-MM-DD`.
    pub established_on: String,
    pub registered_capital: String,
    pub employees: Option<i64>,
    pub revenue: Option<String>,
    pub total_assets: Option<String>,
}

/// Fields to change; absent fields stay as they are. The size class is recomputed.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FirmPatch {
    pub name: Option<String>,
    pub industry: Option<String>,
    pub district: Option<String>,
    pub established_on: Option<String>,
    pub registered_capital: Option<String>,
    pub employees: Option<i64>,
    pub revenue: Option<String>,
    pub total_assets: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FirmView {
    pub uscc: String,
    pub name: String,
    pub industry: String,
    pub industry_row: String,
    pub district: String,
    /// The district's administrative code (null only for a stored district the hub no longer knows).
    pub district_code: Option<String>,
    pub established_on: String,
    pub registered_capital: String,
    pub employees: Option<i64>,
    pub revenue: Option<String>,
    pub total_assets: Option<String>,
    pub size_class: String,
    pub size_standard: String,
    /// The classification with the indicators that decided it.
    pub classification: Option<Classification>,
    pub created_at: String,
    pub updated_at: String,
    /// The declaration a firm's own edit of its size figures made (issue 20 §8): pending until the
    /// government confirms it or the sources agree; the size class is unchanged meanwhile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declaration: Option<DeclarationView>,
}

/// A firm's own statement of its size figures.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeclarationView {
    pub id: String,
    pub employees: Option<i64>,
    pub revenue: Option<String>,
    pub total_assets: Option<String>,
    /// `pending`, `confirmed` or `rejected`.
    pub status: String,
    pub declared_at: String,
    /// Who decided: the government institution, `sources` (the verified data agreed), `superseded`.
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub note: Option<String>,
}

/// Stored fen as a yuan decimal string.
fn yuan(fen: Option<i64>) -> Option<String> {
    fen.map(|v| Money::from_fen(v).to_string())
}

impl From<&store::DeclarationRow> for DeclarationView {
    fn from(r: &store::DeclarationRow) -> Self {
        DeclarationView {
            id: r.id.clone(),
            employees: r.employees,
            revenue: yuan(r.revenue_fen),
            total_assets: yuan(r.total_assets_fen),
            status: r.status.clone(),
            declared_at: crate::domain::rfc3339(r.declared_at),
            decided_by: r.decided_by.clone(),
            decided_at: r.decided_at.map(crate::domain::rfc3339),
            note: r.note.clone(),
        }
    }
}

impl From<&FirmRow> for FirmView {
    fn from(r: &FirmRow) -> Self {
        let indicators = Indicators {
            employees: r.employees.map(|e| e.max(0) as u64),
            revenue: r.revenue_fen.map(Money::from_fen),
            total_assets: r.total_assets_fen.map(Money::from_fen),
        };
        let std = Standard::current();
        FirmView {
            declaration: None,
            uscc: r.uscc.clone(),
            name: r.name.clone(),
            industry: r.industry_code.clone(),
            industry_row: r.industry_row.clone(),
            district: r.district.clone(),
            district_code: parse_district(&r.district).map(|d| d.code.to_string()),
            established_on: r.established_on.to_string(),
            registered_capital: Money::from_fen(r.registered_capital_fen).to_string(),
            employees: r.employees,
            revenue: yuan(r.revenue_fen),
            total_assets: yuan(r.total_assets_fen),
            size_class: r.size_class.clone(),
            size_standard: r.size_standard.clone(),
            classification: std
                .industry(&r.industry_code)
                .ok()
                .and_then(|i| std.classify(&i, &indicators).ok()),
            created_at: r.created_at.and_utc().to_rfc3339(),
            updated_at: r.updated_at.and_utc().to_rfc3339(),
        }
    }
}

pub fn input_of(r: &FirmRow) -> FirmInput {
    FirmInput {
        uscc: r.uscc.clone(),
        name: r.name.clone(),
        industry: r.industry_code.clone(),
        district: r.district.clone(),
        established_on: r.established_on.to_string(),
        registered_capital: Money::from_fen(r.registered_capital_fen).to_string(),
        employees: r.employees,
        revenue: yuan(r.revenue_fen),
        total_assets: yuan(r.total_assets_fen),
    }
}

/// Turn input into a row, collecting every field's fault; the size class comes from the current standard.
pub fn validate(
    input: &FirmInput,
    today: chrono::NaiveDate,
    at: chrono::NaiveDateTime,
) -> Result<FirmRow, Vec<Violation>> {
    let mut errors = Vec::new();
    let uscc = Uscc::parse(&input.uscc)
        .map_err(|e| errors.push(Violation::new("uscc", e.rule(), e.to_string())))
        .ok();
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        errors.push(Violation::new(
            "name",
            "length",
            "name must have 1 to 200 characters",
        ));
    }
    let district = parse_district(&input.district);
    if district.is_none() {
        errors.push(Violation::new(
            "district",
            "district.unknown",
            format!(
                "'{}' is not a Shanghai district; use one of {}",
                input.district,
                district::keys()
            ),
        ));
    }
    let established =
        match chrono::NaiveDate::parse_from_str(input.established_on.trim(), "%Y-%m-%d") {
            Ok(d) if d > today => {
                errors.push(Violation::new(
                    "established_on",
                    "date.not_future",
                    "established_on is in the future",
                ));
                None
            }
            Ok(d) => Some(d),
            Err(_) => {
                errors.push(Violation::new(
                    "established_on",
                    "date.format",
                    "established_on must be a date YYYY-MM-DD",
                ));
                None
            }
        };
    let capital = Money::parse_non_negative(&input.registered_capital)
        .map_err(|e| {
            errors.push(Violation::new(
                "registered_capital",
                e.rule(),
                format!("registered_capital {e}"),
            ))
        })
        .ok();
    let ind = parse_indicators(
        input.employees,
        input.revenue.as_deref(),
        input.total_assets.as_deref(),
        &mut errors,
    );
    let class = classify(&input.industry, &ind, &mut errors);
    match (uscc, district, established, capital, class) {
        (Some(uscc), Some(district), Some(established), Some(capital), Some(class))
            if errors.is_empty() =>
        {
            Ok(FirmRow {
                uscc: uscc.to_string(),
                name: name.to_string(),
                industry_code: class.industry_code.clone(),
                industry_row: class.row.clone(),
                district: district.key.to_string(),
                established_on: established,
                registered_capital_fen: capital.fen(),
                employees: ind.employees.map(|e| e as i64),
                revenue_fen: ind.revenue.map(Money::fen),
                total_assets_fen: ind.total_assets.map(Money::fen),
                size_class: class.size_class.as_str().to_string(),
                size_standard: class.standard.clone(),
                created_at: at,
                updated_at: at,
            })
        }
        _ => Err(errors),
    }
}

/// Turn the indicator fields into typed values, collecting every fault.
pub fn parse_indicators(
    employees: Option<i64>,
    revenue: Option<&str>,
    total_assets: Option<&str>,
    errors: &mut Vec<Violation>,
) -> crate::domain::size_class::Indicators {
    let mut money = |field: &str, v: Option<&str>| {
        v.and_then(|s| match crate::domain::Money::parse_non_negative(s) {
            Ok(m) => Some(m),
            Err(e) => {
                errors.push(Violation::new(field, e.rule(), format!("{field} {e}")));
                None
            }
        })
    };
    let revenue = money("revenue", revenue);
    let total_assets = money("total_assets", total_assets);
    let employees = match employees {
        Some(n) if n < 0 => {
            errors.push(Violation::new(
                "employees",
                "non_negative",
                "employees must not be negative",
            ));
            None
        }
        other => other.map(|n| n as u64),
    };
    crate::domain::size_class::Indicators {
        employees,
        revenue,
        total_assets,
    }
}

/// Classify, turning the standard's faults into field errors (industry, or each missing indicator).
pub fn classify(
    industry: &str,
    ind: &crate::domain::size_class::Indicators,
    errors: &mut Vec<Violation>,
) -> Option<crate::domain::size_class::Classification> {
    let std = crate::domain::Standard::current();
    let industry = match std.industry(industry) {
        Ok(i) => i,
        Err(e) => {
            errors.push(Violation::new("industry", e.rule(), e.to_string()));
            return None;
        }
    };
    let result = match std.classify(&industry, ind) {
        Ok(c) => Some(c),
        Err(crate::domain::size_class::ClassifyError::Missing {
            row,
            standard,
            missing,
        }) => {
            // An indicator that was given but failed to parse is reported for that fault, not as missing.
            let given_but_bad: Vec<String> = errors.iter().map(|e| e.field.clone()).collect();
            for m in missing
                .into_iter()
                .filter(|m| !given_but_bad.iter().any(|f| f == m))
            {
                errors.push(Violation::new(
                    m,
                    "size_standard.required",
                    format!("the '{row}' row of the {standard} size standard needs {m}"),
                ));
            }
            None
        }
        Err(crate::domain::size_class::ClassifyError::Industry(e)) => {
            errors.push(Violation::new("industry", e.rule(), e.to_string()));
            None
        }
    };
    result.filter(|_| errors.is_empty())
}

/// What the registry is filtered by.
#[derive(Debug, Clone, Default)]
pub struct ListFilter<'a> {
    pub district: Option<&'a str>,
    pub industry: Option<&'a str>,
    pub size_class: Option<&'a str>,
}

/// A store filter from the raw filters, every fault named (`after`: where the page starts).
pub fn filter(p: &ListFilter<'_>, after: Option<String>) -> Result<FirmFilter, Vec<Violation>> {
    let mut errors = Vec::new();
    let mut f = FirmFilter::default();
    if let Some(d) = p.district {
        match parse_district(d) {
            Some(d) => f.district = Some(d.key.to_string()),
            None => errors.push(Violation::new(
                "district",
                "district.unknown",
                format!(
                    "'{d}' is not a Shanghai district; use one of {}",
                    district::keys()
                ),
            )),
        }
    }
    if let Some(i) = p.industry {
        let std = Standard::current();
        if std.row(i).is_some() {
            f.industry_row = Some(i.to_string());
        } else if !i.is_empty()
            && i.len() <= 5
            && i.as_bytes()[0].is_ascii_alphabetic()
            && i.bytes().skip(1).all(|b| b.is_ascii_digit())
        {
            f.industry_code_prefix = Some(i.to_ascii_uppercase());
        } else {
            errors.push(Violation::new(
                "industry",
                "industry.format",
                format!(
                    "'{i}' is neither a row key ({}) nor a GB/T 4754 code prefix",
                    std.row_keys().join(", ")
                ),
            ));
        }
    }
    if let Some(c) = p.size_class {
        match SizeClass::parse(c) {
            Some(c) => f.size_class = Some(c.as_str().to_string()),
            None => errors.push(Violation::new(
                "size_class",
                "size_class.unknown",
                "size_class must be micro, small, medium or large",
            )),
        }
    }
    f.after = after;
    if errors.is_empty() {
        Ok(f)
    } else {
        Err(errors)
    }
}

/// Register a firm: the government side registers any firm, a firm only its own USCC.
#[tracing::instrument(skip(ctx, actor, input), fields(firm = %input.uscc))]
pub async fn register(
    ctx: &Context,
    actor: &Actor,
    input: &FirmInput,
) -> Result<FirmRow, FirmError> {
    if !matches!(actor, Actor::Firm { .. }) && !actor.is_government_side() {
        return Err(FirmError::Forbidden(format!(
            "a {} key cannot register firms",
            actor.role()
        )));
    }
    let row = validate(input, ctx.clock.today(), ctx.clock.now()).map_err(FirmError::Invalid)?;
    acts_for(actor, &row.uscc)?;
    let r = row.clone();
    ctx.db
        .run(move |c| store::insert(c, &r))
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => FirmError::Registered(row.uscc.clone()),
            other => other.into(),
        })?;
    Ok(row)
}

/// One firm's registry entry.
pub async fn get(ctx: &Context, actor: &Actor, uscc: &Uscc) -> Result<FirmRow, FirmError> {
    acts_for(actor, uscc.as_str())?;
    let u = uscc.to_string();
    ctx.db
        .run(move |c| store::get(c, &u))
        .await
        .map_err(|e| match e {
            StoreError::NotFound => FirmError::NotFound(uscc.to_string()),
            other => other.into(),
        })
}

/// Change a firm's registry entry; absent fields stay, and the size class is recomputed from the result.
/// The government side's edits apply at once. A firm's own edit of its employees, revenue or total
/// assets is a declaration (issue 20 §8): it applies at once only when the sources agree (the insured
/// headcount, the invoiced revenue of the last 12 months); otherwise it waits for the government, and the
/// size class public money relies on does not move.
#[tracing::instrument(skip(ctx, actor, p), fields(firm = %uscc))]
pub async fn update(
    ctx: &Context,
    actor: &Actor,
    uscc: &Uscc,
    p: FirmPatch,
) -> Result<(FirmRow, Option<DeclarationView>), FirmError> {
    let old = get(ctx, actor, uscc).await?;
    let base = input_of(&old);
    // A firm's own figures are a declaration: they apply at once only when the sources agree.
    let declared = matches!(actor, Actor::Firm { .. })
        && (p.employees.is_some() || p.revenue.is_some() || p.total_assets.is_some());
    let mut declaration = None;
    if declared {
        let mut errors = Vec::new();
        let ind = parse_indicators(
            p.employees,
            p.revenue.as_deref(),
            p.total_assets.as_deref(),
            &mut errors,
        );
        if !errors.is_empty() {
            return Err(FirmError::Invalid(errors));
        }
        let last = crate::domain::month::Month::last_complete(ctx.clock.today());
        let verified = verified(ctx, uscc.as_str(), last).await?;
        let agree = crate::domain::eligibility::sources_agree(&ind, &verified, last);
        declaration = Some(store::DeclarationRow {
            id: uuid::Uuid::now_v7().to_string(),
            uscc: uscc.to_string(),
            employees: p.employees,
            revenue_fen: ind.revenue.map(Money::fen),
            total_assets_fen: ind.total_assets.map(Money::fen),
            status: if agree { "confirmed" } else { "pending" }.into(),
            declared_at: ctx.clock.now(),
            decided_by: agree.then(|| "sources".to_string()),
            decided_at: agree.then(|| ctx.clock.now()),
            note: agree.then(|| "the verified data agree".to_string()),
        });
    }
    let figures_apply = declaration.as_ref().is_none_or(|d| d.status == "confirmed");
    let (employees, revenue, total_assets) = if figures_apply {
        (
            p.employees.or(base.employees),
            p.revenue.or(base.revenue),
            p.total_assets.or(base.total_assets),
        )
    } else {
        (base.employees, base.revenue, base.total_assets)
    };
    let merged = FirmInput {
        uscc: base.uscc,
        name: p.name.unwrap_or(base.name),
        industry: p.industry.unwrap_or(base.industry),
        district: p.district.unwrap_or(base.district),
        established_on: p.established_on.unwrap_or(base.established_on),
        registered_capital: p.registered_capital.unwrap_or(base.registered_capital),
        employees,
        revenue,
        total_assets,
    };
    let row = FirmRow {
        created_at: old.created_at,
        ..validate(&merged, ctx.clock.today(), ctx.clock.now()).map_err(FirmError::Invalid)?
    };
    let (r, d) = (row.clone(), declaration.clone());
    ctx.db
        .run(move |c| {
            crate::store::backend::write_transaction(c, |c| {
                store::update(c, &r)?;
                if let Some(d) = &d {
                    store::insert_declaration(c, d)?;
                }
                Ok::<_, StoreError>(())
            })
        })
        .await?;
    Ok((row, declaration.as_ref().map(DeclarationView::from)))
}

/// The verified size figures of a firm for the 12 months up to `last`.
async fn verified(
    ctx: &Context,
    uscc: &str,
    last: crate::domain::month::Month,
) -> Result<crate::domain::eligibility::Verified, FirmError> {
    let u = uscc.to_string();
    Ok(ctx
        .db
        .run(move |c| {
            crate::financing::VerifiedFigures::load(c, std::slice::from_ref(&u), last, last)
        })
        .await?
        .of(uscc)
        .clone())
}

/// The size class public money relies on, from verified data where the hub has it, with each figure's
/// source; the registry's class and any pending declaration beside it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Eligibility {
    pub uscc: String,
    /// The class for eligibility (verified figures first).
    #[schema(value_type = String)]
    pub size_class: String,
    /// The class the registry's figures give.
    pub registry_size_class: String,
    pub classification: Option<Classification>,
    /// Each figure used and where it came from.
    pub figures: Vec<crate::domain::eligibility::Figure>,
    pub pending_declaration: Option<DeclarationView>,
}

pub async fn eligibility(
    ctx: &Context,
    actor: &Actor,
    uscc: &Uscc,
) -> Result<Eligibility, FirmError> {
    let row = get(ctx, actor, uscc).await?;
    let today = ctx.clock.today();
    Ok(ctx.db.run(move |c| eligibility_on(c, &row, today)).await?)
}

/// [`eligibility`] read on `c` (the overview reads it in its own round trip).
pub fn eligibility_on(
    c: &mut crate::store::DbConn,
    row: &FirmRow,
    today: chrono::NaiveDate,
) -> Result<Eligibility, StoreError> {
    let last = crate::domain::month::Month::last_complete(today);
    let (figures, classification) = crate::financing::classified(c, row, last)?;
    let pending = store::declarations(c, &row.uscc)?
        .into_iter()
        .find(|d| d.status == "pending");
    Ok(Eligibility {
        uscc: row.uscc.clone(),
        size_class: classification.as_ref().map_or(row.size_class.clone(), |c| {
            c.size_class.as_str().to_string()
        }),
        registry_size_class: row.size_class.clone(),
        classification,
        figures,
        pending_declaration: pending.as_ref().map(DeclarationView::from),
    })
}

/// A firm's declarations, newest first (the firm itself or the government side).
pub async fn declarations(
    ctx: &Context,
    actor: &Actor,
    uscc: &Uscc,
) -> Result<Vec<DeclarationView>, FirmError> {
    get(ctx, actor, uscc).await?;
    let u = uscc.to_string();
    Ok(ctx
        .db
        .run(move |c| store::declarations(c, &u))
        .await?
        .iter()
        .map(DeclarationView::from)
        .collect())
}

/// The government confirms (the figures enter the registry and the class is recomputed) or rejects a
/// pending declaration, with a note.
pub async fn decide_declaration(
    ctx: &Context,
    actor: &Actor,
    uscc: &Uscc,
    id: &str,
    confirm: bool,
    note: Option<String>,
) -> Result<(FirmRow, DeclarationView), FirmError> {
    if !actor.is_government_side() {
        return Err(FirmError::Forbidden(
            "declarations are confirmed or rejected by the government side".into(),
        ));
    }
    let old = get(ctx, actor, uscc).await?;
    let i = id.to_string();
    let d = ctx
        .db
        .run(move |c| store::get_declaration(c, &i))
        .await?
        .filter(|d| d.uscc == uscc.as_str())
        .ok_or_else(|| FirmError::NotFound(format!("declaration {id} of {uscc}")))?;
    if d.status != "pending" {
        return Err(FirmError::Decided(format!(
            "declaration {id} is {} already",
            d.status
        )));
    }
    let base = input_of(&old);
    let row = if confirm {
        let merged = FirmInput {
            employees: d.employees.or(base.employees),
            revenue: yuan(d.revenue_fen).or(base.revenue.clone()),
            total_assets: yuan(d.total_assets_fen).or(base.total_assets.clone()),
            ..base
        };
        FirmRow {
            created_at: old.created_at,
            ..validate(&merged, ctx.clock.today(), ctx.clock.now()).map_err(FirmError::Invalid)?
        }
    } else {
        old
    };
    let (r, by, at, status) = (
        row.clone(),
        actor.who(),
        ctx.clock.now(),
        if confirm { "confirmed" } else { "rejected" },
    );
    let (i, n) = (id.to_string(), note.clone());
    let done = ctx
        .db
        .run(move |c| {
            crate::store::backend::write_transaction(c, |c| {
                if !store::decide_declaration(c, &i, status, &by, at, n.as_deref())? {
                    return Ok(false);
                }
                if confirm {
                    store::update(c, &r)?;
                }
                Ok::<_, StoreError>(true)
            })
        })
        .await?;
    if !done {
        return Err(FirmError::Decided(format!(
            "declaration {id} was decided meanwhile"
        )));
    }
    let i = id.to_string();
    let d = ctx
        .db
        .run(move |c| store::get_declaration(c, &i))
        .await?
        .ok_or_else(|| FirmError::NotFound(format!("declaration {id}")))?;
    Ok((row, DeclarationView::from(&d)))
}

/// The registry in USCC order (the government side): up to `limit + 1` rows (the extra one says there is
/// a next page).
pub async fn list(
    ctx: &Context,
    actor: &Actor,
    filter: FirmFilter,
    limit: i64,
) -> Result<Vec<FirmRow>, FirmError> {
    if !actor.is_government_side() {
        return Err(FirmError::Forbidden(format!(
            "a {} key cannot list the registry; the government can",
            actor.role()
        )));
    }
    Ok(ctx
        .db
        .run(move |c| store::list(c, &filter, limit + 1))
        .await?)
}
