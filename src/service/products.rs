//! The financing catalogue (Art 21, 27-30, 37): banks publish loans, receivable financing and IP-pledge
//! loans, guarantee agencies publish guarantee schemes; the publisher alone changes or withdraws its
//! product; anyone reads the catalogue. Every change tells the matching catalogue to reload.

use super::access::Actor;
use super::{Context, Faults, ServiceError, Violation};
use crate::domain::matching::{ProductKind, ProductSpec};
use crate::domain::rfc3339 as ts;
use crate::financing::{parse_row, Catalogue, CatalogueError};
use crate::store::products::{self as store, Filter, ProductRow};
use crate::store::StoreError;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ProductError {
    #[error("{} input(s) break a rule", .0.len())]
    Invalid(Vec<Violation>),
    #[error("{0}")]
    Forbidden(String),
    #[error("no product {0}")]
    NotFound(String),
    #[error("product {0} is withdrawn")]
    Withdrawn(String),
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ProductError> for ServiceError {
    fn from(e: ProductError) -> Self {
        match e {
            ProductError::Invalid(v) => ServiceError::Invalid(v),
            ProductError::Forbidden(m) => ServiceError::Forbidden(m),
            ProductError::NotFound(_) => ServiceError::NotFound(e.to_string()),
            ProductError::Withdrawn(_) => ServiceError::Conflict(e.to_string()),
            ProductError::Catalogue(c) => c.into(),
            ProductError::Store(s) => ServiceError::Store(s),
        }
    }
}

fn invalid(field: &str, rule: &'static str, message: impl Into<String>) -> ProductError {
    ProductError::Invalid(vec![Violation::new(field, rule, message)])
}

/// A product as served: its specification, who publishes it, whether it is live.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProductView {
    pub id: String,
    pub institution_id: String,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub spec: ProductSpec,
    /// `active` or `withdrawn`.
    pub status: &'static str,
    pub created_at: String,
    pub updated_at: String,
    pub withdrawn_at: Option<String>,
}

impl ProductView {
    /// The stored product; a specification that does not read back is a read error.
    pub fn of(row: &ProductRow) -> Result<Self, StoreError> {
        let p = parse_row(row)
            .ok_or_else(|| StoreError::Config(format!("product {}: stored spec", row.id)))?;
        Ok(ProductView {
            id: p.id,
            institution_id: p.institution_id,
            spec: p.spec,
            status: if row.withdrawn_at.is_some() {
                "withdrawn"
            } else {
                "active"
            },
            created_at: ts(row.created_at),
            updated_at: ts(row.updated_at),
            withdrawn_at: row.withdrawn_at.map(ts),
        })
    }
}

/// A specification with every broken field (`faults`: those reading it already found, its rules).
fn checked(spec: ProductSpec, mut faults: Vec<Violation>) -> Result<ProductSpec, ProductError> {
    faults.extend(spec.violations().into_iter().map(|v| Violation {
        field: v.field,
        rule: v.rule.into(),
        message: v.message,
    }));
    if faults.is_empty() {
        Ok(spec)
    } else {
        Err(ProductError::Invalid(faults))
    }
}

/// Who may publish which kind: banks lend, guarantee agencies guarantee.
fn publisher(actor: &Actor, kind: ProductKind) -> Result<String, ProductError> {
    match (actor, kind.is_lending()) {
        (Actor::Bank { institution }, true) | (Actor::Agency { institution }, false) => {
            Ok(institution.to_string())
        }
        (Actor::Bank { .. }, false) => Err(invalid(
            "kind",
            "product.publisher",
            "guarantee schemes are published by guarantee agencies, not banks",
        )),
        (Actor::Agency { .. }, true) => Err(invalid(
            "kind",
            "product.publisher",
            format!(
                "a guarantee agency publishes guarantee_scheme products, not {}",
                kind.as_str()
            ),
        )),
        (other, _) => Err(ProductError::Forbidden(format!(
            "a {} key does not publish products; banks and guarantee agencies do",
            other.role()
        ))),
    }
}

/// A loan may rely on a live guarantee scheme only.
async fn check_scheme(ctx: &Context, spec: &ProductSpec) -> Result<(), ProductError> {
    let Some(id) = spec.guarantee_scheme_id.clone() else {
        return Ok(());
    };
    let field = "guarantee_scheme_id";
    match ctx.db.run(move |c| store::get(c, &id)).await? {
        Some(r) if r.kind == "guarantee_scheme" && r.withdrawn_at.is_none() => Ok(()),
        Some(r) if r.kind != "guarantee_scheme" => Err(invalid(
            field,
            "scheme.kind",
            format!("product {} is a {}, not a guarantee scheme", r.id, r.kind),
        )),
        Some(r) => Err(invalid(
            field,
            "scheme.withdrawn",
            format!("guarantee scheme {} is withdrawn", r.id),
        )),
        None => Err(invalid(field, "scheme.unknown", "no such guarantee scheme")),
    }
}

/// Publish a product (bank: `bank_loan`, `receivable_financing`, `ip_pledge`; guarantee agency:
/// `guarantee_scheme`).
#[tracing::instrument(skip_all, fields(kind = spec.kind.as_str()))]
pub async fn publish(
    ctx: &Context,
    actor: &Actor,
    spec: ProductSpec,
    faults: Vec<Violation>,
) -> Result<ProductView, ProductError> {
    let spec = checked(spec, faults)?;
    let institution = publisher(actor, spec.kind)?;
    check_scheme(ctx, &spec).await?;
    let at = ctx.clock.now();
    let row = ProductRow {
        id: uuid::Uuid::now_v7().to_string(),
        institution_id: institution,
        kind: spec.kind.as_str().into(),
        name: spec.name.trim().to_string(),
        spec: serde_json::to_string(&spec).map_err(|e| StoreError::Config(e.to_string()))?,
        created_at: at,
        updated_at: at,
        withdrawn_at: None,
    };
    let stored = row.clone();
    ctx.db.run(move |c| store::insert(c, &stored)).await?;
    Catalogue::changed(&ctx.cache).await?;
    Ok(ProductView::of(&row)?)
}

/// The actor's own live product `id`.
async fn owned(ctx: &Context, actor: &Actor, id: &str) -> Result<ProductRow, ProductError> {
    if !actor.is_institution() {
        return Err(ProductError::Forbidden(format!(
            "a {} key does not change products; their publishers do",
            actor.role()
        )));
    }
    let i = id.to_string();
    let row = ctx
        .db
        .run(move |c| store::get(c, &i))
        .await?
        .ok_or_else(|| ProductError::NotFound(id.to_string()))?;
    if Some(row.institution_id.as_str()) != actor.institution() {
        return Err(ProductError::Forbidden(format!(
            "product {id} belongs to another institution; only its publisher changes it"
        )));
    }
    if row.withdrawn_at.is_some() {
        return Err(ProductError::Withdrawn(id.to_string()));
    }
    Ok(row)
}

/// Replace a product's specification (its publisher only). The kind cannot change.
#[tracing::instrument(skip(ctx, actor, spec, faults))]
pub async fn update(
    ctx: &Context,
    actor: &Actor,
    id: &str,
    spec: ProductSpec,
    faults: Vec<Violation>,
) -> Result<ProductView, ProductError> {
    let row = owned(ctx, actor, id).await?;
    let spec = checked(spec, faults)?;
    if spec.kind.as_str() != row.kind {
        return Err(invalid(
            "kind",
            "product.kind_fixed",
            format!(
                "product {} is a {}; publish a new product for another kind",
                row.id, row.kind
            ),
        ));
    }
    if spec.guarantee_scheme_id.as_deref() == Some(row.id.as_str()) {
        return Err(invalid(
            "guarantee_scheme_id",
            "scheme.self",
            "a product cannot rely on itself",
        ));
    }
    check_scheme(ctx, &spec).await?;
    let text = serde_json::to_string(&spec).map_err(|e| StoreError::Config(e.to_string()))?;
    let (pid, name, at) = (
        row.id.clone(),
        spec.name.trim().to_string(),
        ctx.clock.now(),
    );
    let updated = ctx
        .db
        .run(move |c| {
            store::update(c, &pid, &name, &text, at)?;
            store::get(c, &pid)
        })
        .await?
        .ok_or_else(|| ProductError::NotFound(row.id.clone()))?;
    Catalogue::changed(&ctx.cache).await?;
    Ok(ProductView::of(&updated)?)
}

/// Withdraw a product (its publisher only): it leaves the catalogue; applications keep their history.
#[tracing::instrument(skip(ctx, actor))]
pub async fn withdraw(ctx: &Context, actor: &Actor, id: &str) -> Result<ProductView, ProductError> {
    let row = owned(ctx, actor, id).await?;
    let (pid, at) = (row.id.clone(), ctx.clock.now());
    let updated = ctx
        .db
        .run(move |c| {
            store::withdraw(c, &pid, at)?;
            store::get(c, &pid)
        })
        .await?
        .ok_or_else(|| ProductError::NotFound(row.id.clone()))?;
    Catalogue::changed(&ctx.cache).await?;
    Ok(ProductView::of(&updated)?)
}

/// What the public catalogue is filtered by.
#[derive(Debug, Clone, Default)]
pub struct Browse {
    pub kind: Option<ProductKind>,
    pub institution: Option<String>,
    pub include_withdrawn: bool,
    pub after: Option<String>,
    pub limit: i64,
}

impl Browse {
    /// From the raw filters; an unknown kind is named.
    pub fn parse(
        kind: Option<&str>,
        institution: Option<String>,
        include_withdrawn: bool,
        after: Option<String>,
        limit: i64,
    ) -> Result<Browse, ProductError> {
        let mut f = Faults::default();
        let kind = kind.and_then(|k| {
            f.check(ProductKind::parse(k).ok_or_else(|| {
                Violation::new(
                    "kind",
                    "product.kind",
                    format!("'{k}' is not a product kind; use bank_loan, guarantee_scheme, receivable_financing or ip_pledge"),
                )
            }))
        });
        let b = Browse {
            kind,
            institution,
            include_withdrawn,
            after,
            limit,
        };
        f.done(Some(b)).map_err(ProductError::Invalid)
    }
}

/// The public catalogue, oldest first: up to `limit + 1` products after `after` (the extra one says
/// there is a next page).
pub async fn browse(ctx: &Context, b: Browse) -> Result<Vec<ProductView>, ProductError> {
    let limit = b.limit;
    let f = Filter {
        institution: b.institution,
        kind: b.kind.map(|k| k.as_str().to_string()),
        include_withdrawn: b.include_withdrawn,
        after: b.after,
    };
    let rows = ctx.db.run(move |c| store::list(c, &f, limit + 1)).await?;
    Ok(rows
        .iter()
        .map(ProductView::of)
        .collect::<Result<_, StoreError>>()?)
}

/// One product (withdrawn ones too).
pub async fn get(ctx: &Context, id: &str) -> Result<ProductView, ProductError> {
    let key = id.to_string();
    let row = ctx
        .db
        .run(move |c| store::get(c, &key))
        .await?
        .ok_or_else(|| ProductError::NotFound(id.to_string()))?;
    Ok(ProductView::of(&row)?)
}
