//! Matching (Art 21, 27-30): the products a firm qualifies for, ranked by what they really cost, and the
//! near misses with every rule missed said in words. The firm itself or the government side asks.

use super::access::{may_act_for_firm, Actor};
use super::{Context, ServiceError};
use crate::domain::matching::{match_products, Applicant, Ask, Matches};
use crate::domain::Uscc;
use crate::financing::{self, CatalogueError, Snapshot};
use crate::store::StoreError;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum MatchError {
    #[error("a {0} key cannot see a firm's matches; the firm or the government can")]
    Forbidden(crate::domain::role::Role),
    #[error("no firm {0} is registered")]
    UnknownFirm(String),
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<MatchError> for ServiceError {
    fn from(e: MatchError) -> Self {
        match e {
            MatchError::Forbidden(_) => ServiceError::Forbidden(e.to_string()),
            MatchError::UnknownFirm(_) => ServiceError::NotFound(e.to_string()),
            MatchError::Catalogue(c) => c.into(),
            MatchError::Store(s) => ServiceError::Store(s),
        }
    }
}

/// A firm's facts and the catalogue they were matched against; [`Matched::result`] ranks the offers.
pub struct Matched {
    pub applicant: Applicant,
    pub ask: Ask,
    pub catalogue: Arc<Snapshot>,
}

impl Matched {
    /// Offers cheapest first, near misses, and what was checked (borrowing the held catalogue).
    pub fn result(&self) -> Matches<'_> {
        match_products(&self.catalogue.products, &self.applicant, &self.ask)
    }
}

/// Match `firm` for `ask`.
#[tracing::instrument(skip(ctx, ask), fields(firm = %firm))]
pub async fn for_firm(
    ctx: &Context,
    actor: &Actor,
    firm: &Uscc,
    ask: Ask,
) -> Result<Matched, MatchError> {
    if !may_act_for_firm(actor, firm.as_str()) {
        return Err(MatchError::Forbidden(actor.role()));
    }
    let catalogue = ctx.catalogue.current(&ctx.db, &ctx.cache).await?;
    let (u, today) = (firm.to_string(), ask.on);
    let applicant = ctx
        .db
        .run(move |c| financing::applicant(c, &u, today))
        .await?
        .ok_or_else(|| MatchError::UnknownFirm(firm.to_string()))?;
    Ok(Matched {
        applicant,
        ask,
        catalogue,
    })
}
