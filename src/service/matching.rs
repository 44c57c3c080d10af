//! Matching (Art 21, 27-30): the products a firm qualifies for, ranked by what they really cost, and the
//! near misses with every rule missed said in words. The firm itself or the government side asks.

use super::access::{may_act_for_firm, Actor};
use super::{Context, ServiceError};
use crate::domain::grade::{Grade, TaxGrade};
use crate::domain::matching::{
    match_products, Applicant, Ask, Check, Cost, Designation, Matches, Product, PublicMoney,
};
use crate::domain::subsidy::Drawn;
use crate::domain::{Money, Uscc};
use crate::financing::{self, CatalogueError, Snapshot};
use crate::store::StoreError;
use chrono::NaiveDate;
use serde::Serialize;
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
    /// What the firm has drawn from the policies already (once per firm, exclusivity per firm).
    pub drawn: Vec<Drawn>,
}

impl Matched {
    /// The live policies and the firm's draws, as offers are priced with them.
    pub fn money(&self) -> PublicMoney<'_> {
        PublicMoney {
            policies: &self.catalogue.policies,
            drawn: &self.drawn,
        }
    }

    /// Offers cheapest first, near misses, and what was checked (borrowing the held catalogue).
    pub fn result(&self) -> Matches<'_> {
        match_products(
            &self.catalogue.products,
            self.money(),
            &self.applicant,
            &self.ask,
        )
    }
}

/// The firm's approved draws as exclusivity reads them (each keyed by the contract it was drawn on).
pub fn drawn_by(
    c: &mut crate::store::DbConn,
    uscc: &str,
    policies: &[crate::domain::subsidy::Policy],
) -> Result<Vec<Drawn>, StoreError> {
    use crate::store::guarantees::{approved_draws, Draws};
    Ok(approved_draws(c, Draws::Firm(uscc))?
        .into_iter()
        .filter_map(|(pid, l)| {
            let p = policies.iter().find(|p| p.id == pid)?;
            Some(Drawn::new(p, l.firm_uscc?, l.guarantee_id?))
        })
        .collect())
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
    let (u, today, snap) = (firm.to_string(), ask.on, catalogue.clone());
    let (applicant, drawn) = ctx
        .db
        .run(move |c| {
            let a = financing::applicant(c, &u, today)?;
            let d = match a {
                Some(_) => drawn_by(c, &u, &snap.policies)?,
                None => Vec::new(),
            };
            Ok((a, d))
        })
        .await?;
    let applicant = applicant.ok_or_else(|| MatchError::UnknownFirm(firm.to_string()))?;
    Ok(Matched {
        applicant,
        ask,
        catalogue,
        drawn,
    })
}

/// A product as a firm compares it: its terms and the lender's name.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProductBrief<'a> {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub product: &'a Product,
    pub institution_name: Option<&'a str>,
}

/// An eligible product and what it really costs.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OfferView<'a> {
    /// 1 for the cheapest.
    pub rank: usize,
    pub product: ProductBrief<'a>,
    /// Interest, fees, guarantee fee and subsidies, as rates and in yuan over the term.
    #[schema(value_type = Object)]
    pub cost: &'a Cost,
}

/// A product the firm misses by one or two rules, each said in words.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NearMissView<'a> {
    pub product: ProductBrief<'a>,
    #[schema(value_type = Vec<Object>)]
    pub failed: &'a [Check],
    #[schema(value_type = Object)]
    pub cost_if_eligible: &'a Cost,
}

/// The facts the rules read.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Facts<'a> {
    pub size_class: Option<&'static str>,
    pub industry_code: &'a str,
    pub district: &'a str,
    pub years_in_operation: i32,
    pub score: Option<i32>,
    pub grade: Option<Grade>,
    pub tax_grade: Option<TaxGrade>,
    pub active_dishonesty_listings: Option<i64>,
    pub tax_arrears: Option<Money>,
    pub si_arrears_months: Option<i64>,
    pub has_had_bank_loan: bool,
    pub days_to_nearest_maturity: Option<i64>,
    pub confirmed_receivables: Money,
    pub unpledged_ip_value: Money,
    #[schema(value_type = Vec<String>)]
    pub designations: &'a [Designation],
}

/// A firm's matches for an ask.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MatchesView<'a> {
    pub uscc: &'a str,
    pub amount: Money,
    pub term_months: i32,
    pub on: NaiveDate,
    pub facts: Facts<'a>,
    pub offers: Vec<OfferView<'a>>,
    pub near_misses: Vec<NearMissView<'a>>,
    /// Products valid today that the firm fails by more than two rules.
    pub not_eligible: usize,
    pub products_checked: usize,
}

impl Matched {
    /// The ranked result with the facts it was matched on (`m`: [`Matched::result`]).
    pub fn view<'a>(&'a self, m: &'a Matches<'a>) -> MatchesView<'a> {
        let names = &self.catalogue.institution_names;
        let brief = |p: &'a Product| ProductBrief {
            product: p,
            institution_name: names.get(&p.institution_id).map(String::as_str),
        };
        let a = &self.applicant;
        MatchesView {
            uscc: &a.uscc,
            amount: self.ask.amount,
            term_months: self.ask.term_months,
            on: self.ask.on,
            facts: Facts {
                size_class: a.size_class.map(|c| c.as_str()),
                industry_code: &a.industry_code,
                district: &a.district,
                years_in_operation: a.years_in_operation,
                score: a.score,
                grade: a.grade,
                tax_grade: a.tax_grade,
                active_dishonesty_listings: a.active_dishonesty,
                tax_arrears: a.tax_arrears,
                si_arrears_months: a.si_arrears_months,
                has_had_bank_loan: a.has_bank_loan,
                days_to_nearest_maturity: a.days_to_maturity,
                confirmed_receivables: a.confirmed_receivables,
                unpledged_ip_value: a.appraised_ip,
                designations: &a.designations,
            },
            offers: m
                .offers
                .iter()
                .enumerate()
                .map(|(i, o)| OfferView {
                    rank: i + 1,
                    product: brief(o.product),
                    cost: &o.cost,
                })
                .collect(),
            near_misses: m
                .near_misses
                .iter()
                .map(|n| NearMissView {
                    product: brief(n.product),
                    failed: &n.failed,
                    cost_if_eligible: &n.cost,
                })
                .collect(),
            not_eligible: m.not_eligible,
            products_checked: m.checked,
        }
    }
}
