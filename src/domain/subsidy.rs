//! Guarantee fee subsidies (Art 28), exactly as DOMAIN.md §8 states them: the days of a contract's active
//! interval inside a claim period, a formula (`share_of_fee`, `rate_points`), caps applied in order (per
//! contract, per firm per calendar year in proportion to days, the policy's budget), one rounding per line
//! to the fen, and reconciliation of an agency's claim lines into statuses whose totals are the sums of lines.

use super::matching::{check_rule, Applicant, Ask, Ratios, Rule};
use super::money::Money;
use super::size_class::SizeClass;
use chrono::{Datelike, NaiveDate};
use rust_decimal::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A guarantee contract as the subsidy rules see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Contract {
    pub id: String,
    pub agency_id: String,
    pub firm_uscc: String,
    /// Guaranteed amount `G`.
    pub guaranteed: Money,
    /// The guaranteed loan's amount (reward tiers band by it; `None`: the guaranteed amount).
    pub loan: Option<Money>,
    /// Annual fee rate `f`.
    pub fee_rate: Decimal,
    /// `[start, end)`.
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// Released (repaid early) or called (compensated) before `end`.
    pub early_end: Option<NaiveDate>,
    /// The firm as eligibility rules read it.
    pub firm: Applicant,
    /// Changes of the principal after `start` (a loan's reported balances, oldest first): from each date
    /// on, the principal is that amount. Empty: `guaranteed` throughout (a guarantee contract).
    pub balance_changes: Vec<(NaiveDate, Money)>,
    /// The loan this contract finances or guarantees: a loan and its guarantee share it, so a policy
    /// exclusive per loan sees both (issue 20 §2).
    pub loan_key: String,
    /// The guarantee scheme the loan relies on, with its kind (eligibility by channel, §3).
    pub scheme: Option<(String, SchemeKind)>,
}

/// What kind of guarantee a scheme is (issue 20 §3): the municipal policy-based guarantee fund
/// (政策性融资担保基金), another government financing guarantee (政府性融资担保), or a commercial one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SchemeKind {
    PolicyFund,
    Government,
    Commercial,
}

impl SchemeKind {
    pub const ALL: [SchemeKind; 3] = [
        SchemeKind::PolicyFund,
        SchemeKind::Government,
        SchemeKind::Commercial,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            SchemeKind::PolicyFund => "policy_fund",
            SchemeKind::Government => "government",
            SchemeKind::Commercial => "commercial",
        }
    }
}

impl Contract {
    /// The end of the active interval `[start, min(end, early_end))`.
    pub fn active_end(&self) -> NaiveDate {
        self.early_end.map_or(self.end, |r| r.min(self.end))
    }
    /// Days of `[from, to)` inside the active interval, per calendar year (oldest first).
    pub fn days_by_year(&self, from: NaiveDate, to: NaiveDate) -> Vec<(i32, i64)> {
        let a = from.max(self.start);
        let b = to.min(self.active_end());
        let mut out = Vec::new();
        let mut cur = a;
        while cur < b {
            let next_year = NaiveDate::from_ymd_opt(cur.year() + 1, 1, 1).unwrap_or(b);
            let stop = next_year.min(b);
            out.push((cur.year(), (stop - cur).num_days()));
            cur = stop;
        }
        out
    }
    /// The principal on `day` (the last change on or before it; `guaranteed` before any).
    fn principal_on(&self, day: NaiveDate) -> Money {
        self.balance_changes
            .iter()
            .rev()
            .find(|(on, _)| *on <= day)
            .map_or(self.guaranteed, |(_, m)| *m)
    }
    /// Σ principal × days over `[from, to)` inside the active interval, exact: the base every formula
    /// multiplies by its yearly rate and divides by 365.
    pub fn balance_days(&self, from: NaiveDate, to: NaiveDate) -> Decimal {
        let a = from.max(self.start);
        let b = to.min(self.active_end());
        if a >= b {
            return Decimal::ZERO;
        }
        if self.balance_changes.is_empty() {
            return self.guaranteed.to_decimal() * Decimal::from((b - a).num_days());
        }
        // Segment boundaries: the period's ends and every change inside it.
        let mut cuts: Vec<NaiveDate> = vec![a];
        cuts.extend(
            self.balance_changes
                .iter()
                .map(|(on, _)| *on)
                .filter(|on| *on > a && *on < b),
        );
        cuts.push(b);
        cuts.windows(2)
            .map(|w| self.principal_on(w[0]).to_decimal() * Decimal::from((w[1] - w[0]).num_days()))
            .sum()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Formula {
    /// `p × G × f × d / 365`.
    ShareOfFee {
        #[serde(with = "rust_decimal::serde::str")]
        share: Decimal,
    },
    /// `min(q, f) × G × d / 365`: never more than the fee itself.
    RatePoints {
        #[serde(with = "rust_decimal::serde::str")]
        rate: Decimal,
    },
    /// An interest subsidy (贴息, Art 18, 37) on a loan: `min(q, i) × P × d / 365` on the outstanding
    /// principal `P` at the loan's interest rate `i` (never more than the interest itself). `q` is the
    /// rate of the first row of the policy's rate table the firm fits, else this rate.
    InterestSubsidy {
        #[serde(with = "rust_decimal::serde::str")]
        rate: Decimal,
    },
    /// The agency reward kind: `r × G × d / 365` summed over the agency's eligible guarantees, i.e. a yearly
    /// rate on their average balance over the period. Computed for an agency and a period, not claimed.
    AgencyReward {
        #[serde(with = "rust_decimal::serde::str")]
        rate: Decimal,
    },
}

impl Formula {
    /// The formula's kind as published (`share_of_fee`, `rate_points`, `agency_reward`).
    pub fn kind(&self) -> &'static str {
        match self {
            Formula::ShareOfFee { .. } => "share_of_fee",
            Formula::RatePoints { .. } => "rate_points",
            Formula::InterestSubsidy { .. } => "interest_subsidy",
            Formula::AgencyReward { .. } => "agency_reward",
        }
    }
    /// Whether it is paid on loans (claimed by their banks) rather than on guarantee contracts.
    pub fn on_loans(&self) -> bool {
        matches!(self, Formula::InterestSubsidy { .. })
    }
    /// The subsidy over `[from, to)` of a contract, exact (`q`: the interest subsidy's rate for the
    /// firm, [`Policy::rate_for`]; the other kinds carry their own).
    pub fn amount(&self, c: &Contract, from: NaiveDate, to: NaiveDate, q: Decimal) -> Decimal {
        let bd = c.balance_days(from, to);
        let y = Decimal::from(365);
        match *self {
            Formula::ShareOfFee { share } => share * c.fee_rate * bd / y,
            Formula::RatePoints { rate } => rate.min(c.fee_rate) * bd / y,
            Formula::InterestSubsidy { .. } => q.min(c.fee_rate) * bd / y,
            Formula::AgencyReward { rate } => rate * bd / y,
        }
    }
}

/// One row of an interest subsidy's rate table (issue 20 §1; the Dalian plan: 2% for agricultural firms,
/// 1.5% for high-tech firms): a firm that passes every rule gets `rate`; the first row it fits wins, and
/// a firm that fits none gets the formula's own rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateRow {
    pub label: String,
    pub rules: Vec<Rule>,
    #[serde(with = "rust_decimal::serde::str")]
    pub rate: Decimal,
}

/// Whether a policy's exclusivity holds per loan or per firm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Per {
    #[default]
    Loan,
    Firm,
}

/// An exclusivity group across policies (issue 20 §2): a loan (or a firm) draws from one policy of the
/// group only; the first approved draw wins and later claims under the others are `excluded`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exclusive {
    pub group: String,
    #[serde(default)]
    pub per: Per,
}

/// The channel a loan must come through (issue 20 §3): a guarantee under one of these schemes, or under
/// a scheme of one of these kinds (the municipal policy-based guarantee fund: `policy_fund`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Channel {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schemes: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scheme_kinds: Vec<SchemeKind>,
}

impl Channel {
    /// Whether a loan relying on `scheme` comes through the channel.
    pub fn admits(&self, scheme: Option<(&str, SchemeKind)>) -> bool {
        scheme.is_some_and(|(id, kind)| {
            self.schemes.iter().any(|s| s == id) || self.scheme_kinds.contains(&kind)
        })
    }
    /// Why the contract's loan does not come through the channel; `None` when it does.
    pub fn refuses(&self, scheme: Option<(&str, SchemeKind)>) -> Option<String> {
        if self.admits(scheme) {
            return None;
        }
        let mut wanted: Vec<String> = self.schemes.clone();
        wanted.extend(self.scheme_kinds.iter().map(|k| k.as_str().to_string()));
        let wanted = wanted.join(" / ");
        Some(match scheme {
            None => format!("the loan relies on no guarantee scheme; the policy requires {wanted}"),
            Some((id, kind)) => format!(
                "the loan relies on scheme {id} ({}); the policy requires {wanted}",
                kind.as_str()
            ),
        })
    }
}

/// One tier of an agency reward (issue 20 §4; the 2012 national guarantee fund measures): guarantees to
/// borrowers of these size classes (none listed: any) on loans up to `max_loan` (none: any) earn `rate` a
/// year on their balance. Each guarantee counts in the first tier it fits; one that fits none earns the
/// formula's own rate (the rest).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RewardTier {
    pub label: String,
    #[serde(default)]
    pub size_classes: Vec<SizeClass>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_loan: Option<Money>,
    #[serde(with = "rust_decimal::serde::str")]
    pub rate: Decimal,
}

impl RewardTier {
    fn fits(&self, c: &Contract) -> bool {
        let class_ok = self.size_classes.is_empty()
            || c.firm
                .size_class
                .is_some_and(|s| self.size_classes.contains(&s));
        let loan = c.loan.unwrap_or(c.guaranteed);
        class_ok && self.max_loan.is_none_or(|m| loan <= m)
    }
    /// Every guarantee this tier takes, an earlier tier takes first.
    fn shadowed_by(&self, earlier: &RewardTier) -> bool {
        let classes = earlier.size_classes.is_empty()
            || (!self.size_classes.is_empty()
                && self
                    .size_classes
                    .iter()
                    .all(|c| earlier.size_classes.contains(c)));
        let loans = match (earlier.max_loan, self.max_loan) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(e), Some(m)) => m <= e,
        };
        classes && loans
    }
}

/// The longest day cap a policy may state.
pub const MAX_DAYS: i64 = 36_500;

/// A published policy: its id and its specification as published (read through `Deref`).
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub id: String,
    pub spec: PolicySpec,
}

impl std::ops::Deref for Policy {
    type Target = PolicySpec;
    fn deref(&self) -> &PolicySpec {
        &self.spec
    }
}

impl std::ops::DerefMut for Policy {
    fn deref_mut(&mut self) -> &mut PolicySpec {
        &mut self.spec
    }
}

impl Policy {
    /// The interest subsidy's yearly rate for the contract's firm, with the rate-table row that gave it
    /// (`None`: the formula's own rate); zero for the other kinds, which carry their own.
    pub fn rate_for(&self, c: &Contract) -> (Decimal, Option<&str>) {
        let Formula::InterestSubsidy { rate } = self.formula else {
            return (Decimal::ZERO, None);
        };
        let ask = Ask {
            amount: c.loan.unwrap_or(c.guaranteed),
            term_months: 12,
            on: c.start,
        };
        self.rate_table
            .iter()
            .find(|row| {
                row.rules
                    .iter()
                    .all(|r| check_rule(r, Ratios::WHOLE, &c.firm, &ask).is_none())
            })
            .map_or((rate, None), |row| (row.rate, Some(row.label.as_str())))
    }
    /// The contract as the policy subsidises it: its active interval cut at `max_days` from its start.
    pub fn clipped(&self, c: &Contract) -> Contract {
        let mut out = c.clone();
        if let Some(cut) = self
            .max_days
            .and_then(|d| u64::try_from(d).ok())
            .and_then(|d| c.start.checked_add_days(chrono::Days::new(d)))
        {
            out.end = out.end.min(cut);
        }
        out
    }
    /// The subsidy over `[from, to)` of the (clipped) contract, exact, before caps.
    pub fn amount(&self, c: &Contract, from: NaiveDate, to: NaiveDate) -> Decimal {
        self.formula.amount(c, from, to, self.rate_for(c).0)
    }
}

/// A policy as the government publishes it (`POST /v1/subsidy-policies`); rules are parsed one by one by
/// the route (`matching::Rule::from_json`) so each fault is named.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySpec {
    pub name: String,
    pub window_from: NaiveDate,
    pub window_to: NaiveDate,
    #[serde(default)]
    pub rules: Vec<Rule>,
    #[serde(
        default,
        with = "rust_decimal::serde::str_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_fee_rate: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_guaranteed: Option<Money>,
    pub formula: Formula,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap_per_contract: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap_per_firm_year: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<Money>,
    /// An agency reward's tiers, first fit wins; the formula's rate is the rest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reward_tiers: Vec<RewardTier>,
    /// An interest subsidy's rates by firm category, first fit wins; the formula's rate is the rest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rate_table: Vec<RateRow>,
    /// Subsidised days per loan or contract, counted from its start (the Dalian plan: one year).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_days: Option<i64>,
    /// Loans above this amount are not covered (a per-loan ceiling: 20 million in Beijing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_loan: Option<Money>,
    /// A firm draws from this policy on one loan only: the first approved wins.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub once_per_firm: bool,
    /// The exclusivity group it belongs to, per loan or per firm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclusive: Option<Exclusive>,
    /// The guarantee channel the loan must come through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    /// The text and date the policy was published under (shown with it; an official's file keeps it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl PolicySpec {
    /// Every broken constraint, as (field, rule, message).
    pub fn violations(&self) -> Vec<(String, &'static str, String)> {
        let mut v = Vec::new();
        if self.name.trim().is_empty() {
            v.push(("name".into(), "required", "name is empty".into()));
        }
        if self.window_to < self.window_from {
            v.push((
                "window_to".into(),
                "range.order",
                "window_to is before window_from".into(),
            ));
        }
        let fraction = |d: Decimal| d >= Decimal::ZERO && d <= Decimal::ONE;
        match self.formula {
            Formula::ShareOfFee { share } if !fraction(share) => v.push((
                "formula.share".into(),
                "rate.range",
                format!("share {share} is outside 0-1"),
            )),
            Formula::RatePoints { rate }
            | Formula::AgencyReward { rate }
            | Formula::InterestSubsidy { rate }
                if !fraction(rate) =>
            {
                v.push((
                    "formula.rate".into(),
                    "rate.range",
                    format!("rate {rate} is outside 0-1"),
                ));
            }
            _ => {}
        }
        if self.max_fee_rate.is_some_and(|r| !fraction(r)) {
            v.push((
                "max_fee_rate".into(),
                "rate.range",
                "max_fee_rate is outside 0-1".into(),
            ));
        }
        for (field, m) in [
            ("max_guaranteed", self.max_guaranteed),
            ("cap_per_contract", self.cap_per_contract),
            ("cap_per_firm_year", self.cap_per_firm_year),
            ("budget", self.budget),
        ] {
            if m.is_some_and(|m| m <= Money::ZERO) {
                v.push((
                    field.into(),
                    "money.positive",
                    format!("{field} must be above zero"),
                ));
            }
        }
        if !self.reward_tiers.is_empty() && !matches!(self.formula, Formula::AgencyReward { .. }) {
            v.push((
                "reward_tiers".into(),
                "tiers.formula",
                "reward tiers belong to an agency_reward policy (its rate is the rest)".into(),
            ));
        }
        // A row of a table (a reward tier, a rate row): a label and a yearly rate.
        let row = |v: &mut Vec<_>, at: String, what: &str, label: &str, rate: Decimal| {
            if label.trim().is_empty() {
                v.push((
                    format!("{at}.label"),
                    "required",
                    format!("a {what} needs a label"),
                ));
            }
            if !fraction(rate) {
                v.push((
                    format!("{at}.rate"),
                    "rate.range",
                    format!("rate {rate} is outside 0-1"),
                ));
            }
        };
        for (k, t) in self.reward_tiers.iter().enumerate() {
            row(
                &mut v,
                format!("reward_tiers[{k}]"),
                "tier",
                &t.label,
                t.rate,
            );
            if t.max_loan.is_some_and(|m| m <= Money::ZERO) {
                v.push((
                    format!("reward_tiers[{k}].max_loan"),
                    "money.positive",
                    "max_loan must be above zero".into(),
                ));
            }
            if let Some(e) = self.reward_tiers[..k].iter().find(|e| t.shadowed_by(e)) {
                v.push((
                    format!("reward_tiers[{k}]"),
                    "tiers.unreachable",
                    format!(
                        "tier '{}' takes every guarantee tier '{}' would: it can never apply",
                        e.label, t.label
                    ),
                ));
            }
        }
        let interest = matches!(self.formula, Formula::InterestSubsidy { .. });
        if !self.rate_table.is_empty() && !interest {
            v.push((
                "rate_table".into(),
                "rates.formula",
                "a rate table belongs to an interest_subsidy policy (its rate is the rest)".into(),
            ));
        }
        if interest && self.max_fee_rate.is_some() {
            v.push((
                "max_fee_rate".into(),
                "rates.formula",
                "max_fee_rate limits a guarantee fee; an interest subsidy has none".into(),
            ));
        }
        for (k, r) in self.rate_table.iter().enumerate() {
            row(
                &mut v,
                format!("rate_table[{k}]"),
                "rate row",
                &r.label,
                r.rate,
            );
            if let Some(e) = self.rate_table[..k].iter().find(|e| e.rules.is_empty()) {
                v.push((
                    format!("rate_table[{k}]"),
                    "rates.unreachable",
                    format!(
                        "row '{}' has no rules and takes every firm: row '{}' can never apply",
                        e.label, r.label
                    ),
                ));
            }
        }
        if self.max_days.is_some_and(|d| !(1..=MAX_DAYS).contains(&d)) {
            v.push((
                "max_days".into(),
                "days.range",
                format!("max_days must be 1 to {MAX_DAYS} (a hundred years)"),
            ));
        }
        if self.max_loan.is_some_and(|m| m <= Money::ZERO) {
            v.push((
                "max_loan".into(),
                "money.positive",
                "max_loan must be above zero".into(),
            ));
        }
        if self
            .exclusive
            .as_ref()
            .is_some_and(|e| e.group.trim().is_empty())
        {
            v.push((
                "exclusive.group".into(),
                "required",
                "an exclusivity group needs a name".into(),
            ));
        }
        if self
            .channel
            .as_ref()
            .is_some_and(|c| c.schemes.is_empty() && c.scheme_kinds.is_empty())
        {
            v.push((
                "channel".into(),
                "channel.empty",
                "a channel names at least one scheme or scheme kind".into(),
            ));
        }
        // Issue 20 §7: caps that contradict each other are refused, every one at once. A cap above a
        // wider one can never bind: the published text would promise what the other cap forbids.
        let above =
            |small: Option<Money>, large: Option<Money>| small.zip(large).filter(|(s, l)| s > l);
        if let Some((c, y)) = above(self.cap_per_contract, self.cap_per_firm_year) {
            v.push((
                "cap_per_contract".into(),
                "caps.order",
                format!("cap_per_contract {c} is above cap_per_firm_year {y}: a contract could never draw it"),
            ));
        }
        if let Some((c, b)) = above(self.cap_per_contract, self.budget) {
            v.push((
                "cap_per_contract".into(),
                "caps.budget",
                format!("cap_per_contract {c} is above the whole budget {b}"),
            ));
        }
        if let Some((y, b)) = above(self.cap_per_firm_year, self.budget) {
            v.push((
                "cap_per_firm_year".into(),
                "caps.budget",
                format!("cap_per_firm_year {y} is above the whole budget {b}"),
            ));
        }
        v
    }

    pub fn policy(&self, id: &str) -> Policy {
        Policy {
            id: id.into(),
            spec: self.clone(),
        }
    }
}

/// An agency's reward under an `agency_reward` policy over `[from, to)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reward {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: i64,
    /// Contracts active in the period that qualify, and those that do not (with the first reason each).
    pub eligible: usize,
    pub excluded: Vec<(String, String)>,
    /// Average daily balance of the eligible guarantees over the period.
    pub average_balance: Money,
    /// The reward, rounded once to the fen.
    pub reward: Money,
    /// The part earned on small and micro firms' guarantees (Art 17 counts it), rounded once.
    pub small_micro: Money,
    /// Per tier (the policy's tiers, then the rest at the formula's rate), when the policy has tiers.
    pub tiers: Vec<TierReward>,
}

/// What one tier of an agency reward earned; each tier rounded once (the total is rounded once from
/// the exact sum, so it may differ from the tiers' sum by a fen per tier).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TierReward {
    pub label: String,
    #[schema(value_type = String)]
    #[serde(with = "rust_decimal::serde::str")]
    pub rate: Decimal,
    pub guarantees: usize,
    pub average_balance: Money,
    pub reward: Money,
}

/// The reward for `contracts` (one agency's) under an agency-reward policy; `None` for other kinds.
pub fn agency_reward(
    policy: &Policy,
    contracts: &[Contract],
    from: NaiveDate,
    to: NaiveDate,
) -> Option<Reward> {
    let period = (to - from).num_days().max(0);
    let mut eligible = 0;
    let mut excluded = Vec::new();
    let mut balance_days = Decimal::ZERO;
    let mut total = Decimal::ZERO;
    let mut small_micro = Decimal::ZERO;
    let Formula::AgencyReward { rate: rest } = policy.formula else {
        return None;
    };
    // Per tier: guarantees, balance-days, exact amount; the last slot is the rest.
    let mut per: Vec<(usize, Decimal, Decimal)> =
        vec![(0, Decimal::ZERO, Decimal::ZERO); policy.reward_tiers.len() + 1];
    for c in contracts {
        let d: i64 = c.days_by_year(from, to).iter().map(|x| x.1).sum();
        if d == 0 {
            continue;
        }
        if let Some(why) = ineligibility(policy, c) {
            excluded.push((c.id.clone(), why));
            continue;
        }
        eligible += 1;
        let bd = c.balance_days(from, to);
        balance_days += bd;
        let tier = policy
            .reward_tiers
            .iter()
            .position(|t| t.fits(c))
            .unwrap_or(policy.reward_tiers.len());
        let rate = policy.reward_tiers.get(tier).map_or(rest, |t| t.rate);
        let amount = Formula::AgencyReward { rate }.amount(c, from, to, rate);
        per[tier].0 += 1;
        per[tier].1 += bd;
        per[tier].2 += amount;
        total += amount;
        if c.firm.size_class.is_some_and(SizeClass::is_small_or_micro) {
            small_micro += amount;
        }
    }
    let average = if period > 0 {
        balance_days / Decimal::from(period)
    } else {
        Decimal::ZERO
    };
    let tiers = if policy.reward_tiers.is_empty() {
        Vec::new()
    } else {
        per.iter()
            .enumerate()
            .map(|(k, (n, bd, amount))| {
                let (label, rate) = policy
                    .reward_tiers
                    .get(k)
                    .map_or(("rest".to_string(), rest), |t| (t.label.clone(), t.rate));
                TierReward {
                    label,
                    rate,
                    guarantees: *n,
                    average_balance: round(if period > 0 {
                        *bd / Decimal::from(period)
                    } else {
                        Decimal::ZERO
                    }),
                    reward: round(*amount),
                }
            })
            .collect()
    };
    Some(Reward {
        from,
        to,
        days: period,
        eligible,
        excluded,
        average_balance: round(average),
        reward: round(total),
        small_micro: round(small_micro),
        tiers,
    })
}

/// `2026:184,2027:181` and back.
pub fn year_days_text(days: &[(i32, i64)]) -> String {
    days.iter()
        .map(|(y, d)| format!("{y}:{d}"))
        .collect::<Vec<_>>()
        .join(",")
}

pub fn parse_year_days(s: &str) -> Vec<(i32, i64)> {
    s.split(',')
        .filter_map(|p| {
            let (y, d) = p.split_once(':')?;
            Some((y.parse().ok()?, d.parse().ok()?))
        })
        .collect()
}

/// Why a contract or its firm fails the policy; `None` when it qualifies.
pub fn ineligibility(p: &Policy, c: &Contract) -> Option<String> {
    if let Some(why) = outside_window(p, c) {
        return Some(why);
    }
    if let Some(max) = p.max_fee_rate {
        if c.fee_rate > max {
            return Some(format!(
                "fee rate {}, the policy allows at most {}",
                c.fee_rate.normalize(),
                max.normalize()
            ));
        }
    }
    if let Some(max) = p.max_guaranteed {
        if c.guaranteed > max {
            return Some(format!(
                "guaranteed {} yuan, the policy covers at most {max}",
                c.guaranteed
            ));
        }
    }
    if let Some(why) = over_ceiling(p, c) {
        return Some(why);
    }
    if p.formula.on_loans() && c.fee_rate <= Decimal::ZERO {
        return Some(
            "the loan's interest rate is not on record: report it with the loan (interest_rate)"
                .into(),
        );
    }
    if let Some(why) = p
        .channel
        .as_ref()
        .and_then(|ch| ch.refuses(c.scheme.as_ref().map(|(id, k)| (id.as_str(), *k))))
    {
        return Some(format!("channel: {why}"));
    }
    failed_rule(p, c)
}

/// Why the firm and the loan's size fail the policy, whatever the product (its window, loan ceiling and
/// rules): what matching checks once per request, before pricing each offer.
pub fn firm_ineligibility(p: &Policy, c: &Contract) -> Option<String> {
    outside_window(p, c)
        .or_else(|| over_ceiling(p, c))
        .or_else(|| failed_rule(p, c))
}

fn outside_window(p: &Policy, c: &Contract) -> Option<String> {
    (c.start < p.window_from || c.start > p.window_to).then(|| {
        format!(
            "contract starts {}, the policy covers contracts starting {} to {}",
            c.start, p.window_from, p.window_to
        )
    })
}

fn over_ceiling(p: &Policy, c: &Contract) -> Option<String> {
    let loan = c.loan.unwrap_or(c.guaranteed);
    p.max_loan
        .filter(|max| loan > *max)
        .map(|max| format!("loan of {loan} yuan, the policy covers loans of at most {max}"))
}

/// The first of the policy's firm rules the contract's borrower fails. The rules read the same facts as
/// product matching; a policy has no collateral ratios.
fn failed_rule(p: &Policy, c: &Contract) -> Option<String> {
    let ask = Ask {
        amount: c.loan.unwrap_or(c.guaranteed),
        term_months: 12,
        on: c.start,
    };
    p.rules
        .iter()
        .find_map(|r| check_rule(r, Ratios::WHOLE, &c.firm, &ask))
        .map(|f| format!("{}: {}", f.rule, f.message))
}

/// A claim line of an agency's batch: contract, period `[from, to)`, amount claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimLine {
    pub line_no: usize,
    pub contract_id: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub claimed: Money,
}

/// A line approved earlier under the same policy: it makes overlapping claims duplicates and uses up caps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approved {
    pub contract_id: String,
    pub firm_uscc: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub approved: Money,
    /// Its days per calendar year (an approved amount counts toward each year's cap in proportion).
    pub days_by_year: Vec<(i32, i64)>,
}

/// A claim line's outcome (stored as its text, `store::states`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    UnknownContract,
    Duplicate,
    Ineligible,
    /// Exclusivity: the firm or loan already drew from this policy (once per firm) or another of its group.
    Excluded,
    Capped,
    Matched,
    OverClaimed,
    UnderClaimed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::UnknownContract => "unknown_contract",
            Status::Duplicate => "duplicate",
            Status::Ineligible => "ineligible",
            Status::Excluded => "excluded",
            Status::Capped => "capped",
            Status::Matched => "matched",
            Status::OverClaimed => "over_claimed",
            Status::UnderClaimed => "under_claimed",
        }
    }

    pub const ALL: [Status; 8] = [
        Status::UnknownContract,
        Status::Duplicate,
        Status::Ineligible,
        Status::Excluded,
        Status::Capped,
        Status::Matched,
        Status::OverClaimed,
        Status::UnderClaimed,
    ];

    pub fn parse(s: &str) -> Result<Status, crate::domain::states::UnknownStatus> {
        Status::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| crate::domain::states::UnknownStatus {
                what: "claim line",
                value: s.to_string(),
            })
    }

    /// The lines whose approved amount counts against caps, budgets and duplicates once approved.
    pub const PAYABLE: [Status; 4] = [
        Status::Capped,
        Status::Matched,
        Status::OverClaimed,
        Status::UnderClaimed,
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Cap {
    PerContract,
    PerFirmYear,
    Budget,
}

impl Cap {
    pub fn as_str(self) -> &'static str {
        match self {
            Cap::PerContract => "per_contract",
            Cap::PerFirmYear => "per_firm_year",
            Cap::Budget => "budget",
        }
    }
}

/// One reconciled line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineResult {
    pub line_no: usize,
    pub contract_id: String,
    pub status: Status,
    pub claimed: Money,
    /// The subsidy after caps, rounded once to the fen (0 for unknown, duplicate, ineligible lines).
    pub computed: Money,
    pub approved: Money,
    /// claimed − approved.
    pub difference: Money,
    /// Days of the period inside the contract's active interval.
    pub days: i64,
    /// Those days per calendar year.
    pub days_by_year: Vec<(i32, i64)>,
    /// The subsidy before caps, to the fen, for reference.
    pub before_caps: Money,
    /// The caps that cut it, in the order applied.
    pub caps: Vec<Cap>,
    /// Why it is unknown, a duplicate (of an approved claim, or of an earlier line of the batch that was
    /// reconciled to an amount) or ineligible.
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Totals {
    pub claimed: Money,
    pub computed: Money,
    pub approved: Money,
    pub difference: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reconciliation {
    pub lines: Vec<LineResult>,
    pub totals: Totals,
}

fn overlaps(a: (NaiveDate, NaiveDate), b: (NaiveDate, NaiveDate)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

fn round(d: Decimal) -> Money {
    Money::round_yuan(d).unwrap_or(Money::ZERO)
}

/// What earlier approvals and earlier lines of this batch have used of each cap.
#[derive(Default)]
struct Usage<'a> {
    contract: FxHashMap<&'a str, Decimal>,
    firm_year: FxHashMap<(&'a str, i32), Decimal>,
    total: Decimal,
}

impl<'a> Usage<'a> {
    /// `raw` after the policy's caps, in order (per contract, per firm per year in proportion to days,
    /// the budget), given what is used already; the caps that cut it.
    fn capped(
        &self,
        policy: &Policy,
        c: &Contract,
        days_by_year: &[(i32, i64)],
        raw: Decimal,
    ) -> (Decimal, Vec<Cap>) {
        let days: i64 = days_by_year.iter().map(|d| d.1).sum();
        let mut amount = raw;
        let mut caps = Vec::new();
        if let Some(cap) = policy.cap_per_contract {
            let used = self
                .contract
                .get(c.id.as_str())
                .copied()
                .unwrap_or_default();
            let room = (cap.to_decimal() - used).max(Decimal::ZERO);
            if amount > room {
                amount = room;
                caps.push(Cap::PerContract);
            }
        }
        if let (Some(cap), true) = (policy.cap_per_firm_year, days > 0) {
            let mut total = Decimal::ZERO;
            let mut cut = false;
            for (y, d) in days_by_year {
                let share = amount * Decimal::from(*d) / Decimal::from(days);
                let used = self
                    .firm_year
                    .get(&(c.firm_uscc.as_str(), *y))
                    .copied()
                    .unwrap_or_default();
                let room = (cap.to_decimal() - used).max(Decimal::ZERO);
                if share > room {
                    cut = true;
                    total += room;
                } else {
                    total += share;
                }
            }
            if cut {
                amount = total;
                caps.push(Cap::PerFirmYear);
            }
        }
        if let Some(budget) = policy.budget {
            let room = (budget.to_decimal() - self.total).max(Decimal::ZERO);
            if amount > room {
                amount = room;
                caps.push(Cap::Budget);
            }
        }
        (amount, caps)
    }

    fn add(&mut self, contract: &'a str, firm: &'a str, days: &[(i32, i64)], amount: Decimal) {
        if amount.is_zero() {
            return;
        }
        *self.contract.entry(contract).or_default() += amount;
        let all: i64 = days.iter().map(|d| d.1).sum();
        if all > 0 {
            for (y, d) in days {
                *self.firm_year.entry((firm, *y)).or_default() +=
                    amount * Decimal::from(*d) / Decimal::from(all);
            }
        }
        self.total += amount;
    }
}

/// A draw exclusivity reads: a payable line approved under a policy, for a firm's loan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drawn {
    pub policy_id: String,
    pub policy_name: String,
    pub group: Option<String>,
    pub firm_uscc: String,
    pub loan_key: String,
}

impl Drawn {
    /// A draw under `p` by `firm` on the loan `loan_key`.
    pub fn new(p: &Policy, firm_uscc: String, loan_key: String) -> Drawn {
        Drawn {
            policy_id: p.id.clone(),
            policy_name: p.name.clone(),
            group: p.exclusive.as_ref().map(|e| e.group.clone()),
            firm_uscc,
            loan_key,
        }
    }
    pub fn of(p: &Policy, c: &Contract) -> Drawn {
        Drawn::new(p, c.firm_uscc.clone(), c.loan_key.clone())
    }
}

/// Why the contract may not draw from the policy, given what was drawn (issue 20 §1-2): once per firm,
/// or another policy of its exclusivity group already drawn for the loan (or the firm); `None` when free.
pub fn exclusion(p: &Policy, c: &Contract, drawn: &[Drawn]) -> Option<String> {
    if p.once_per_firm {
        if let Some(d) = drawn
            .iter()
            .find(|d| d.policy_id == p.id && d.firm_uscc == c.firm_uscc && d.loan_key != c.loan_key)
        {
            return Some(format!(
                "once per firm: the firm already drew from this policy on loan {}",
                d.loan_key
            ));
        }
    }
    let e = p.exclusive.as_ref()?;
    drawn
        .iter()
        .find(|d| {
            d.policy_id != p.id
                && d.group.as_deref() == Some(e.group.as_str())
                && match e.per {
                    Per::Loan => d.loan_key == c.loan_key,
                    Per::Firm => d.firm_uscc == c.firm_uscc,
                }
        })
        .map(|d| {
            format!(
                "exclusive with policy {} '{}' (group {}): the {} already drew from it",
                d.policy_id,
                d.policy_name,
                e.group,
                match e.per {
                    Per::Loan => "loan",
                    Per::Firm => "firm",
                }
            )
        })
}

/// Reconcile an agency's claim batch under a policy. `contracts` are the agency's own (others are
/// unknown to it); `prior` are the lines approved earlier under the policy (they take precedence); lines
/// are taken in line-number order.
///
/// `drawn` are the approved draws that exclusivity reads: this policy's own (once per firm) and those of
/// the other policies of its exclusivity group; the batch's own payable lines join them as they go.
pub fn reconcile<'a, S: std::hash::BuildHasher>(
    policy: &Policy,
    agency_id: &str,
    contracts: &'a HashMap<String, Contract, S>,
    prior: &'a [Approved],
    drawn: &[Drawn],
    lines: &[ClaimLine],
) -> Reconciliation {
    let mut drawn: Vec<Drawn> = drawn.to_vec();
    let mut usage = Usage::default();
    for a in prior {
        usage.add(
            &a.contract_id,
            &a.firm_uscc,
            &a.days_by_year,
            a.approved.to_decimal(),
        );
    }
    let mut ordered: Vec<&ClaimLine> = lines.iter().collect();
    ordered.sort_by_key(|l| l.line_no);
    // Per contract: the approved periods, and the periods of this batch's lines reconciled so far.
    let mut approved_periods: FxHashMap<&str, Vec<&Approved>> = FxHashMap::default();
    for a in prior {
        approved_periods
            .entry(a.contract_id.as_str())
            .or_default()
            .push(a);
    }
    let mut seen: FxHashMap<&str, Vec<(NaiveDate, NaiveDate, usize)>> = FxHashMap::default();
    let mut out = Vec::with_capacity(lines.len());
    for line in ordered {
        let rejected = |status, reason: Option<String>, days_by_year: &[(i32, i64)]| LineResult {
            line_no: line.line_no,
            contract_id: line.contract_id.clone(),
            status,
            claimed: line.claimed,
            computed: Money::ZERO,
            approved: Money::ZERO,
            difference: line.claimed,
            days: days_by_year.iter().map(|d| d.1).sum(),
            days_by_year: days_by_year.to_vec(),
            before_caps: Money::ZERO,
            caps: Vec::new(),
            reason,
        };
        let Some(c) = contracts
            .get(&line.contract_id)
            .filter(|c| c.agency_id == agency_id)
        else {
            out.push(rejected(
                Status::UnknownContract,
                Some(format!("no contract {} of this agency", line.contract_id)),
                &[],
            ));
            continue;
        };
        let period = (line.from, line.to);
        // The days the policy subsidises: the contract's, cut at its day cap.
        let clipped = policy.clipped(c);
        let days_by_year = clipped.days_by_year(line.from, line.to);
        let days: i64 = days_by_year.iter().map(|d| d.1).sum();
        let dup_prior = approved_periods
            .get(c.id.as_str())
            .and_then(|v| v.iter().find(|a| overlaps((a.from, a.to), period)));
        let dup_batch = seen
            .get(c.id.as_str())
            .and_then(|v| v.iter().find(|(f, t, _)| overlaps((*f, *t), period)))
            .copied();
        if let Some(a) = dup_prior {
            out.push(rejected(
                Status::Duplicate,
                Some(format!(
                    "overlaps the approved claim for {} to {}",
                    a.from, a.to
                )),
                &days_by_year,
            ));
            continue;
        }
        if let Some((f, t, n)) = dup_batch {
            out.push(rejected(
                Status::Duplicate,
                Some(format!("overlaps line {n} of this batch ({f} to {t})")),
                &days_by_year,
            ));
            continue;
        }
        if let Some(why) = ineligibility(policy, c) {
            out.push(rejected(Status::Ineligible, Some(why), &days_by_year));
            continue;
        }
        if let Some(why) = exclusion(policy, c, &drawn) {
            out.push(rejected(Status::Excluded, Some(why), &days_by_year));
            continue;
        }
        // Only lines that are reconciled to an amount block later overlapping ones.
        seen.entry(c.id.as_str())
            .or_default()
            .push((line.from, line.to, line.line_no));
        let raw = policy.amount(&clipped, line.from, line.to);
        let (amount, caps) = usage.capped(policy, c, &days_by_year, raw);
        let computed = round(amount);
        let (status, approved) = if !caps.is_empty() {
            (Status::Capped, computed.min(line.claimed))
        } else if line.claimed == computed {
            (Status::Matched, computed)
        } else if line.claimed > computed {
            (Status::OverClaimed, computed)
        } else {
            (Status::UnderClaimed, line.claimed)
        };
        usage.add(&c.id, &c.firm_uscc, &days_by_year, approved.to_decimal());
        drawn.push(Drawn::of(policy, c));
        out.push(LineResult {
            line_no: line.line_no,
            contract_id: c.id.clone(),
            status,
            claimed: line.claimed,
            computed,
            approved,
            difference: Money::from_fen(line.claimed.fen() - approved.fen()),
            days,
            days_by_year,
            before_caps: round(raw),
            caps,
            reason: None,
        });
    }
    let mut totals = Totals::default();
    for l in &out {
        totals.claimed = Money::from_fen(totals.claimed.fen() + l.claimed.fen());
        totals.computed = Money::from_fen(totals.computed.fen() + l.computed.fen());
        totals.approved = Money::from_fen(totals.approved.fen() + l.approved.fen());
        totals.difference = Money::from_fen(totals.difference.fen() + l.difference.fen());
    }
    Reconciliation { lines: out, totals }
}

/// What a policy would pay on a contract over its whole life, with nothing drawn yet (an offer's
/// expected subsidy, issue 20 §6): the amount after caps rounded once to the fen, the caps that bind, the
/// subsidised days.
/// `q` is an interest subsidy's rate for the firm ([`Policy::rate_for`]; matching finds it once per
/// request).
pub fn quote(policy: &Policy, c: &Contract, q: Decimal) -> (Money, Vec<Cap>, i64) {
    let clipped = policy.clipped(c);
    let days_by_year = clipped.days_by_year(c.start, c.end);
    let days = days_by_year.iter().map(|d| d.1).sum();
    let raw = policy.formula.amount(&clipped, c.start, c.end, q);
    let (amount, caps) = Usage::default().capped(policy, c, &days_by_year, raw);
    (round(amount), caps, days)
}

/// What a policy will still owe on the contracts it has paid on (issue 20 §7): for each contract with
/// the end of its last approved period and what was approved on it so far, the subsidy from that end to
/// the end of its subsidised interval (day cap, early end), within what its per-contract cap leaves;
/// the exact sum rounded once. Yearly caps and the budget are left to the budget view to compare.
pub fn forecast(policy: &Policy, accruing: &[(Contract, NaiveDate, Money)]) -> Money {
    let mut total = Decimal::ZERO;
    for (c, last_to, approved) in accruing {
        let clipped = policy.clipped(c);
        let end = clipped.active_end();
        if *last_to >= end {
            continue;
        }
        let mut amount = policy.amount(&clipped, *last_to, end);
        if let Some(cap) = policy.cap_per_contract {
            amount = amount.min((cap.to_decimal() - approved.to_decimal()).max(Decimal::ZERO));
        }
        total += amount;
    }
    round(total)
}

/// The real policies of DOMAIN §8a as data (issue 20 §5): files an official can adapt and publish as
/// they are (`POST /v1/subsidy-policies` takes each file as its body); `credithub demo` publishes them.
pub const SHIPPED: [(&str, &str); 6] = [
    (
        "beijing-first-loan-interest",
        include_str!("policies/beijing-first-loan-interest.json"),
    ),
    (
        "beijing-first-loan-guarantee-fee",
        include_str!("policies/beijing-first-loan-guarantee-fee.json"),
    ),
    (
        "dalian-jinpu-first-loan",
        include_str!("policies/dalian-jinpu-first-loan.json"),
    ),
    (
        "jingan-guarantee-fund-interest",
        include_str!("policies/jingan-guarantee-fund-interest.json"),
    ),
    (
        "jingan-guarantee-fund-fee",
        include_str!("policies/jingan-guarantee-fund-fee.json"),
    ),
    (
        "national-guarantee-fund-2012",
        include_str!("policies/national-guarantee-fund-2012.json"),
    ),
];

/// A shipped policy by its file name, parsed.
pub fn shipped(name: &str) -> Result<PolicySpec, String> {
    let (_, text) = SHIPPED
        .iter()
        .find(|(n, _)| *n == name)
        .ok_or_else(|| format!("no shipped policy {name}"))?;
    serde_json::from_str(text).map_err(|e| format!("policy file {name}: {e}"))
}

/// The firm facts of a contract's borrower, for policies whose rules read only registry facts.
pub fn borrower(
    uscc: &str,
    size_class: Option<SizeClass>,
    industry: &str,
    district: &str,
) -> Applicant {
    Applicant {
        uscc: uscc.into(),
        size_class,
        industry_code: industry.into(),
        district: district.into(),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn contract(id: &str, firm: &str, g: i64, f: Decimal, s: &str, e: &str) -> Contract {
        Contract {
            id: id.into(),
            agency_id: "agency".into(),
            firm_uscc: firm.into(),
            guaranteed: Money::from_yuan(g),
            loan: None,
            fee_rate: f,
            start: d(s),
            end: d(e),
            early_end: None,
            firm: borrower(firm, Some(SizeClass::Small), "C3911", "pudong"),
            balance_changes: vec![],
            loan_key: format!("loan-{id}"),
            scheme: None,
        }
    }

    /// The reconciliation with nothing drawn elsewhere (exclusivity has its own tests).
    fn reconcile<S: std::hash::BuildHasher>(
        p: &Policy,
        agency: &str,
        cs: &HashMap<String, Contract, S>,
        prior: &[Approved],
        lines: &[ClaimLine],
    ) -> Reconciliation {
        super::reconcile(p, agency, cs, prior, &[], lines)
    }

    fn policy(formula: Formula) -> Policy {
        PolicySpec {
            name: "policy p".into(),
            window_from: d("2025-01-01"),
            window_to: d("2027-12-31"),
            rules: vec![Rule::SizeClass {
                any_of: vec![SizeClass::Micro, SizeClass::Small],
            }],
            max_fee_rate: Some(dec!(0.02)),
            max_guaranteed: None,
            formula,
            cap_per_contract: None,
            cap_per_firm_year: None,
            budget: None,
            reward_tiers: vec![],
            rate_table: vec![],
            max_days: None,
            max_loan: None,
            once_per_firm: false,
            exclusive: None,
            channel: None,
            source: None,
        }
        .policy("p")
    }

    fn line(n: usize, c: &str, from: &str, to: &str, claimed: &str) -> ClaimLine {
        ClaimLine {
            line_no: n,
            contract_id: c.into(),
            from: d(from),
            to: d(to),
            claimed: Money::parse(claimed).unwrap(),
        }
    }

    fn book(cs: Vec<Contract>) -> HashMap<String, Contract> {
        cs.into_iter().map(|c| (c.id.clone(), c)).collect()
    }

    const HALF: Formula = Formula::ShareOfFee { share: dec!(0.5) };

    #[test]
    fn a_contract_inside_one_claim_period() {
        // 1,000,000 × 1% × 0.5 × 365/365 = 5,000.00; the contract runs [2026-01-01, 2027-01-01): 365 days.
        let cs = book(vec![contract(
            "c1",
            "f1",
            1_000_000,
            dec!(0.01),
            "2026-01-01",
            "2027-01-01",
        )]);
        let r = reconcile(
            &policy(HALF),
            "agency",
            &cs,
            &[],
            &[line(1, "c1", "2026-01-01", "2027-01-01", "5000.00")],
        );
        let l = &r.lines[0];
        assert_eq!(
            (l.status, l.days, l.computed, l.approved),
            (
                Status::Matched,
                365,
                Money::from_yuan(5000),
                Money::from_yuan(5000)
            )
        );
        // A quarter: 90 days of it.
        let r = reconcile(
            &policy(HALF),
            "agency",
            &cs,
            &[],
            &[line(1, "c1", "2026-01-01", "2026-04-01", "1300")],
        );
        let l = &r.lines[0];
        // 5,000 × 90 / 365 = 1,232.876… → 1,232.88
        assert_eq!(
            (l.status, l.days, l.computed, l.approved),
            (
                Status::OverClaimed,
                90,
                Money::from_fen(123_288),
                Money::from_fen(123_288)
            )
        );
    }

    #[test]
    fn a_yearly_cap_binding_in_the_second_year_of_a_contract_that_spans_two() {
        // 2,000,000 × 1.5% × 1 = 30,000 a year; [2026-07-01, 2027-07-01): 184 days in 2026, 181 in 2027.
        let cs = book(vec![
            contract(
                "c1",
                "f1",
                2_000_000,
                dec!(0.015),
                "2026-07-01",
                "2027-07-01",
            ),
            contract(
                "c0",
                "f1",
                1_000_000,
                dec!(0.01),
                "2027-01-01",
                "2028-01-01",
            ),
        ]);
        let mut p = policy(Formula::ShareOfFee { share: dec!(1) });
        p.cap_per_firm_year = Some(Money::from_yuan(20_000));
        // The same firm already had 10,000 approved for 2027 under this policy.
        let prior = vec![Approved {
            contract_id: "c0".into(),
            firm_uscc: "f1".into(),
            from: d("2027-01-01"),
            to: d("2028-01-01"),
            approved: Money::from_yuan(10_000),
            days_by_year: vec![(2027, 365)],
        }];
        let r = reconcile(
            &p,
            "agency",
            &cs,
            &prior,
            &[line(1, "c1", "2026-07-01", "2027-07-01", "30000")],
        );
        let l = &r.lines[0];
        // 2026: 30,000 × 184/365 = 15,123.287…, under the cap; 2027: 14,876.71… cut to the 10,000 left.
        assert_eq!(l.status, Status::Capped);
        assert_eq!(l.caps, vec![Cap::PerFirmYear]);
        assert_eq!(l.before_caps, Money::from_yuan(30_000));
        assert_eq!(l.computed, Money::from_fen(2_512_329));
        assert_eq!(l.approved, Money::from_fen(2_512_329));
        assert_eq!(l.difference, Money::from_fen(3_000_000 - 2_512_329));
    }

    #[test]
    fn early_release_and_a_call_end_the_active_interval() {
        let mut released = contract("r", "f1", 1_000_000, dec!(0.01), "2026-01-01", "2027-01-01");
        released.early_end = Some(d("2026-03-01")); // 59 days active
        let mut called = contract("k", "f2", 1_000_000, dec!(0.01), "2026-01-01", "2027-01-01");
        called.early_end = Some(d("2026-02-01")); // 31 days active
        let cs = book(vec![released, called]);
        let r = reconcile(
            &policy(HALF),
            "agency",
            &cs,
            &[],
            &[
                line(1, "r", "2026-01-01", "2027-01-01", "808.22"),
                line(2, "k", "2026-01-01", "2027-01-01", "5000"),
            ],
        );
        // 5,000 × 59/365 = 808.2191… → 808.22; 5,000 × 31/365 = 424.6575… → 424.66
        assert_eq!(
            (r.lines[0].days, r.lines[0].status, r.lines[0].computed),
            (59, Status::Matched, Money::from_fen(80_822))
        );
        assert_eq!(
            (r.lines[1].days, r.lines[1].status, r.lines[1].approved),
            (31, Status::OverClaimed, Money::from_fen(42_466))
        );
    }

    #[test]
    fn exactly_half_a_fen_rounds_away_from_zero() {
        // rate_points: min(5%, 5%) × 36.50 × 1/365 = 0.005 → 0.01
        let mut c = contract("c", "f1", 0, dec!(0.05), "2026-01-01", "2027-01-01");
        c.guaranteed = Money::from_fen(3650);
        let mut p = policy(Formula::RatePoints { rate: dec!(0.08) });
        p.max_fee_rate = None;
        let r = reconcile(
            &p,
            "agency",
            &book(vec![c]),
            &[],
            &[line(1, "c", "2026-03-01", "2026-03-02", "0.01")],
        );
        assert_eq!(
            (r.lines[0].computed, r.lines[0].status),
            (Money::from_fen(1), Status::Matched)
        );
    }

    #[test]
    fn every_status_in_order_and_totals_are_sums() {
        let mut big_fee = contract(
            "fee",
            "f3",
            1_000_000,
            dec!(0.03),
            "2026-01-01",
            "2027-01-01",
        );
        big_fee.fee_rate = dec!(0.03);
        let mut medium = contract(
            "med",
            "f4",
            1_000_000,
            dec!(0.01),
            "2026-01-01",
            "2027-01-01",
        );
        medium.firm.size_class = Some(SizeClass::Medium);
        let mut other_agency = contract(
            "oth",
            "f5",
            1_000_000,
            dec!(0.01),
            "2026-01-01",
            "2027-01-01",
        );
        other_agency.agency_id = "someone else".into();
        let cs = book(vec![
            contract(
                "c1",
                "f1",
                1_000_000,
                dec!(0.01),
                "2026-01-01",
                "2027-01-01",
            ),
            contract(
                "c2",
                "f2",
                3_650_000,
                dec!(0.01),
                "2026-01-01",
                "2027-01-01",
            ),
            big_fee,
            medium,
            other_agency,
        ]);
        let mut p = policy(HALF);
        p.cap_per_contract = Some(Money::from_yuan(10_000));
        let prior = vec![Approved {
            contract_id: "c1".into(),
            firm_uscc: "f1".into(),
            from: d("2026-01-01"),
            to: d("2026-04-01"),
            approved: Money::from_fen(123_288),
            days_by_year: vec![(2026, 90)],
        }];
        let lines = vec![
            line(1, "nope", "2026-01-01", "2026-02-01", "1"),
            line(2, "oth", "2026-01-01", "2026-02-01", "1"),
            line(3, "c1", "2026-03-01", "2026-05-01", "1"), // overlaps the approved Q1
            line(4, "c1", "2026-04-01", "2026-07-01", "1246.58"), // 91 days: 1,246.575… → 1,246.58
            line(5, "c1", "2026-06-01", "2026-08-01", "1"), // overlaps line 4
            line(6, "fee", "2026-01-01", "2027-01-01", "1"),
            line(7, "med", "2026-01-01", "2027-01-01", "1"),
            line(8, "c2", "2026-01-01", "2027-01-01", "18250"), // 18,250 before the 10,000 cap
            line(9, "c2", "2027-01-01", "2028-01-01", "1"), // after the contract's end: no days, nothing due
            line(10, "c1", "2026-07-01", "2027-01-01", "2000"), // 184 days: 2,520.55 due, 2,000 claimed
        ];
        let r = reconcile(&p, "agency", &cs, &prior, &lines);
        let got: Vec<(usize, Status)> = r.lines.iter().map(|l| (l.line_no, l.status)).collect();
        assert_eq!(
            got,
            vec![
                (1, Status::UnknownContract),
                (2, Status::UnknownContract),
                (3, Status::Duplicate),
                (4, Status::Matched),
                (5, Status::Duplicate),
                (6, Status::Ineligible),
                (7, Status::Ineligible),
                (8, Status::Capped),
                (9, Status::OverClaimed),
                (10, Status::UnderClaimed),
            ]
        );
        assert_eq!(
            r.lines[5].reason.as_deref(),
            Some("fee rate 0.03, the policy allows at most 0.02")
        );
        assert_eq!(
            r.lines[6].reason.as_deref(),
            Some("size_class: size class medium, needs micro / small")
        );
        assert_eq!(r.lines[7].approved, Money::from_yuan(10_000));
        assert_eq!(r.lines[7].caps, vec![Cap::PerContract]);
        assert_eq!(r.lines[8].computed, Money::ZERO);
        assert_eq!(r.lines[8].approved, Money::ZERO);
        assert_eq!(r.lines[9].computed, Money::from_fen(252_055));
        assert_eq!(r.lines[9].approved, Money::from_yuan(2_000));
        let sum =
            |f: fn(&LineResult) -> Money| Money::from_fen(r.lines.iter().map(|l| f(l).fen()).sum());
        assert_eq!(r.totals.claimed, sum(|l| l.claimed));
        assert_eq!(r.totals.approved, sum(|l| l.approved));
        assert_eq!(r.totals.computed, sum(|l| l.computed));
        assert_eq!(r.totals.difference, sum(|l| l.difference));
    }

    #[test]
    fn the_budget_goes_to_earlier_lines_first() {
        let cs = book(vec![
            contract("a", "f1", 1_000_000, dec!(0.01), "2026-01-01", "2027-01-01"),
            contract("b", "f2", 1_000_000, dec!(0.01), "2026-01-01", "2027-01-01"),
        ]);
        let mut p = policy(HALF);
        p.budget = Some(Money::from_yuan(7_000));
        let r = reconcile(
            &p,
            "agency",
            &cs,
            &[],
            &[
                line(2, "b", "2026-01-01", "2027-01-01", "5000"),
                line(1, "a", "2026-01-01", "2027-01-01", "5000"),
            ],
        );
        assert_eq!(
            (r.lines[0].line_no, r.lines[0].status, r.lines[0].approved),
            (1, Status::Matched, Money::from_yuan(5000))
        );
        assert_eq!(
            (r.lines[1].line_no, r.lines[1].status, r.lines[1].approved),
            (2, Status::Capped, Money::from_yuan(2000))
        );
        assert_eq!(r.lines[1].caps, vec![Cap::Budget]);
    }

    #[test]
    fn contradictory_caps_are_refused_all_at_once() {
        let spec = |c: Option<i64>, y: Option<i64>, b: Option<i64>| PolicySpec {
            name: "caps".into(),
            window_from: d("2026-01-01"),
            window_to: d("2026-12-31"),
            rules: vec![],
            max_fee_rate: None,
            max_guaranteed: None,
            formula: HALF,
            cap_per_contract: c.map(Money::from_yuan),
            cap_per_firm_year: y.map(Money::from_yuan),
            budget: b.map(Money::from_yuan),
            reward_tiers: vec![],
            rate_table: vec![],
            max_days: None,
            max_loan: None,
            once_per_firm: false,
            exclusive: None,
            channel: None,
            source: None,
        };
        let rules = |s: &PolicySpec| -> Vec<(String, &'static str)> {
            s.violations().into_iter().map(|(f, r, _)| (f, r)).collect()
        };
        // 60,000 a contract, 50,000 a firm-year, 40,000 in all: three contradictions, named together.
        assert_eq!(
            rules(&spec(Some(60_000), Some(50_000), Some(40_000))),
            vec![
                ("cap_per_contract".to_string(), "caps.order"),
                ("cap_per_contract".to_string(), "caps.budget"),
                ("cap_per_firm_year".to_string(), "caps.budget"),
            ]
        );
        // Equal caps and the demo's caps (20,000 / 50,000 / 5,000,000) are consistent.
        assert!(rules(&spec(Some(50_000), Some(50_000), Some(50_000))).is_empty());
        assert!(rules(&spec(Some(20_000), Some(50_000), Some(5_000_000))).is_empty());
        assert!(rules(&spec(Some(20_000), None, None)).is_empty());
    }

    /// The national guarantee fund measures (2012, DOMAIN §8a): micro-firm loans up to 1 million earn
    /// 3 %, small- (and micro-) firm loans up to 5 million 2 %, the rest 0.5 %, on the yearly balance.
    #[test]
    fn reward_tiers_of_the_2012_measures_with_their_boundaries() {
        let mut p = policy(Formula::AgencyReward { rate: dec!(0.005) });
        p.rules = vec![];
        p.max_fee_rate = None;
        // The tiers as shipped (src/domain/policies/national-guarantee-fund-2012.json).
        let shipped = shipped("national-guarantee-fund-2012").unwrap();
        p.reward_tiers = shipped.reward_tiers.clone();
        assert_eq!(shipped.formula, Formula::AgencyReward { rate: dec!(0.005) });
        let g = |id: &str, class: SizeClass, loan: i64, guaranteed: i64| {
            let mut c = contract(id, id, guaranteed, dec!(0.01), "2026-01-01", "2027-01-01");
            c.firm.size_class = Some(class);
            c.loan = Some(Money::from_yuan(loan));
            c
        };
        let cs = vec![
            // Exactly 1,000,000 to a micro firm: the first tier. 3% × 800,000 × 365/365 = 24,000.
            g("m1", SizeClass::Micro, 1_000_000, 800_000),
            // 1,000,001 to a micro firm: past the first band, into the second. 2% × 800,000 = 16,000.
            g("m2", SizeClass::Micro, 1_000_001, 800_000),
            // Exactly 5,000,000 to a small firm: the second tier. 2% × 4,000,000 = 80,000.
            g("s1", SizeClass::Small, 5_000_000, 4_000_000),
            // 5,000,001 to a small firm, and any medium firm: the rest. 0.5% × 4,000,000 = 20,000;
            // 0.5% × 1,000,000 = 5,000.
            g("s2", SizeClass::Small, 5_000_001, 4_000_000),
            g("md", SizeClass::Medium, 500_000, 1_000_000),
        ];
        let r = agency_reward(&p, &cs, d("2026-01-01"), d("2027-01-01")).unwrap();
        let by: Vec<(&str, usize, Money)> = r
            .tiers
            .iter()
            .map(|t| (t.label.as_str(), t.guarantees, t.reward))
            .collect();
        assert_eq!(
            by,
            vec![
                ("微型企业 ≤ 100万 micro ≤ 1M", 1, Money::from_yuan(24_000)),
                ("小微企业 ≤ 500万 small ≤ 5M", 2, Money::from_yuan(96_000)),
                ("rest", 2, Money::from_yuan(25_000)),
            ]
        );
        // The total: 24,000 + 96,000 + 25,000.
        assert_eq!(r.reward, Money::from_yuan(145_000));
        assert_eq!(r.tiers[1].average_balance, Money::from_yuan(4_800_000));
        // A tier no guarantee can reach is refused when published, as is a tier on a fee subsidy.
        let mut spec = PolicySpec {
            name: "tiers".into(),
            window_from: d("2026-01-01"),
            window_to: d("2026-12-31"),
            rules: vec![],
            max_fee_rate: None,
            max_guaranteed: None,
            formula: Formula::AgencyReward { rate: dec!(0.005) },
            ..p.spec.clone()
        };
        assert!(spec.violations().is_empty(), "{:?}", spec.violations());
        spec.reward_tiers.push(RewardTier {
            label: "micro ≤ 500k".into(),
            size_classes: vec![SizeClass::Micro],
            max_loan: Some(Money::from_yuan(500_000)),
            rate: dec!(0.04),
        });
        spec.formula = HALF;
        let rules: Vec<&str> = spec.violations().iter().map(|v| v.1).collect();
        assert_eq!(rules, vec!["tiers.formula", "tiers.unreachable"]);
    }

    #[test]
    fn an_agency_reward_is_a_rate_on_the_average_balance() {
        // 2% a year on small/micro guarantees of at most 5,000,000 at a fee rate of at most 1.5%.
        let mut p = policy(Formula::AgencyReward { rate: dec!(0.02) });
        p.max_fee_rate = Some(dec!(0.015));
        p.max_guaranteed = Some(Money::from_yuan(5_000_000));
        let mut big = contract(
            "big",
            "f2",
            6_000_000,
            dec!(0.01),
            "2026-01-01",
            "2027-01-01",
        );
        big.firm.size_class = Some(SizeClass::Small);
        let mut medium = contract(
            "med",
            "f3",
            1_000_000,
            dec!(0.01),
            "2026-01-01",
            "2027-01-01",
        );
        medium.firm.size_class = Some(SizeClass::Medium);
        let cs = vec![
            // the whole of 2026: 1,000,000 × 365 days
            contract("a", "f1", 1_000_000, dec!(0.01), "2026-01-01", "2027-01-01"),
            // from July: 2,000,000 × 184 days of 2026
            contract(
                "b",
                "f1",
                2_000_000,
                dec!(0.012),
                "2026-07-01",
                "2027-07-01",
            ),
            big,
            medium,
            contract(
                "fee",
                "f4",
                1_000_000,
                dec!(0.02),
                "2026-01-01",
                "2027-01-01",
            ),
        ];
        let r = agency_reward(&p, &cs, d("2026-01-01"), d("2027-01-01")).unwrap();
        assert_eq!((r.days, r.eligible, r.excluded.len()), (365, 2, 3));
        // (1,000,000 × 365 + 2,000,000 × 184) / 365 = 2,008,219.178… ; reward 2% of that over a year.
        assert_eq!(r.average_balance, Money::from_fen(200_821_918));
        assert_eq!(r.reward, Money::from_fen(4_016_438));
        assert!(agency_reward(&policy(HALF), &cs, d("2026-01-01"), d("2027-01-01")).is_none());
    }

    /// A loan as interest subsidies see it: principal, the loan's own rate, `[start, end)`.
    fn loan(id: &str, firm: &str, principal: i64, rate: Decimal, s: &str, e: &str) -> Contract {
        let mut c = contract(id, firm, principal, rate, s, e);
        c.loan = Some(Money::from_yuan(principal));
        c.loan_key = id.into();
        c
    }

    fn dalian() -> Policy {
        shipped("dalian-jinpu-first-loan").unwrap().policy("dalian")
    }

    #[test]
    fn the_shipped_policies_parse_and_hold() {
        for (name, _) in SHIPPED {
            let spec = shipped(name).unwrap();
            assert!(
                spec.violations().is_empty(),
                "{name}: {:?}",
                spec.violations()
            );
            assert!(spec.source.is_some(), "{name} says where it comes from");
        }
    }

    #[test]
    fn dalian_rates_by_category_with_the_year_boundary_and_the_one_year_cap() {
        let p = dalian();
        // A first loan of 1,000,000 at 4.2% from 2026-07-01 for two years.
        let mut agri = loan(
            "L1",
            "agri",
            1_000_000,
            dec!(0.042),
            "2026-07-01",
            "2028-07-01",
        );
        agri.firm.industry_code = "A0141".into();
        let mut tech = loan(
            "L2",
            "tech",
            1_000_000,
            dec!(0.042),
            "2026-07-01",
            "2028-07-01",
        );
        tech.firm.designations = vec![super::super::matching::Designation::HighTech];
        let other = loan(
            "L3",
            "other",
            1_000_000,
            dec!(0.042),
            "2026-07-01",
            "2028-07-01",
        );
        assert_eq!(p.rate_for(&agri).0, dec!(0.02));
        assert_eq!(p.rate_for(&tech).0, dec!(0.015));
        assert_eq!(p.rate_for(&other), (dec!(0.01), None));
        let cs = book(vec![agri, tech, other]);
        let lines = [
            // 2026-07-01 to 2027-01-01 is 184 days (31+31+30+31+30+31), all in 2026:
            // 2% × 1,000,000 × 184 / 365 = 10,082.1917… → 10,082.19.
            line(1, "L1", "2026-07-01", "2027-01-01", "10082.19"),
            // All of 2027 is claimed, but the one-year cap ends the subsidy on 2027-07-01 (365 days from
            // the start): 181 days (31+28+31+30+31+30). 2% × 1,000,000 × 181 / 365 = 9,917.8082… → 9,917.81.
            line(2, "L1", "2027-01-01", "2028-01-01", "9917.81"),
            // 1.5% × 1,000,000 × 184 / 365 = 7,561.6438… → 7,561.64.
            line(3, "L2", "2026-07-01", "2027-01-01", "7561.64"),
            // 1% × 1,000,000 × 184 / 365 = 5,041.0958… → 5,041.10.
            line(4, "L3", "2026-07-01", "2027-01-01", "5041.10"),
        ];
        let r = super::reconcile(&p, "agency", &cs, &[], &[], &lines);
        type Line = (Status, i64, Money, Vec<(i32, i64)>);
        let got: Vec<Line> = r
            .lines
            .iter()
            .map(|l| (l.status, l.days, l.computed, l.days_by_year.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    Status::Matched,
                    184,
                    Money::parse("10082.19").unwrap(),
                    vec![(2026, 184)]
                ),
                (
                    Status::Matched,
                    181,
                    Money::parse("9917.81").unwrap(),
                    vec![(2027, 181)]
                ),
                (
                    Status::Matched,
                    184,
                    Money::parse("7561.64").unwrap(),
                    vec![(2026, 184)]
                ),
                (
                    Status::Matched,
                    184,
                    Money::parse("5041.10").unwrap(),
                    vec![(2026, 184)]
                ),
            ]
        );
        // 184 + 181 = 365: exactly the one year the plan pays for.
        assert_eq!(r.lines[0].days + r.lines[1].days, 365);
    }

    #[test]
    fn an_interest_subsidy_follows_the_outstanding_principal_and_never_exceeds_the_interest() {
        let mut p = dalian();
        p.exclusive = None;
        let mut l = loan(
            "L1",
            "agri",
            1_000_000,
            dec!(0.042),
            "2026-07-01",
            "2028-07-01",
        );
        l.firm.industry_code = "A0141".into();
        // Half repaid on 2026-10-01: 92 days at 1,000,000 (Jul–Sep), 92 days at 500,000 (Oct–Dec).
        l.balance_changes = vec![(d("2026-10-01"), Money::from_yuan(500_000))];
        // 2% × (1,000,000 × 92 + 500,000 × 92) / 365 = 2% × 138,000,000 / 365 = 7,561.6438… → 7,561.64.
        let cs = book(vec![l.clone()]);
        let r = reconcile(
            &p,
            "agency",
            &cs,
            &[],
            &[line(1, "L1", "2026-07-01", "2027-01-01", "7561.64")],
        );
        assert_eq!(
            (r.lines[0].status, r.lines[0].computed),
            (Status::Matched, Money::parse("7561.64").unwrap())
        );
        // A loan at 1.2% gets 1.2%, not the 2% the table gives: 1.2% × 1,000,000 × 184 / 365 = 6,049.3150… → 6,049.32.
        let mut cheap = l;
        cheap.balance_changes.clear();
        cheap.fee_rate = dec!(0.012);
        let cs = book(vec![cheap]);
        let r = reconcile(
            &p,
            "agency",
            &cs,
            &[],
            &[line(1, "L1", "2026-07-01", "2027-01-01", "6049.32")],
        );
        assert_eq!(
            (r.lines[0].status, r.lines[0].computed),
            (Status::Matched, Money::parse("6049.32").unwrap())
        );
    }

    #[test]
    fn once_per_firm_across_two_loans_and_the_loan_ceiling() {
        let p = dalian();
        let first = loan("L1", "f", 1_000_000, dec!(0.04), "2026-03-01", "2027-03-01");
        let second = loan("L2", "f", 2_000_000, dec!(0.04), "2026-06-01", "2027-06-01");
        // 10,000,001 is past the plan's 10 million.
        let big = loan(
            "L3",
            "g",
            10_000_001,
            dec!(0.04),
            "2026-06-01",
            "2027-06-01",
        );
        let cs = book(vec![first, second, big]);
        let lines = [
            line(1, "L1", "2026-03-01", "2026-06-01", "2520.55"),
            line(2, "L2", "2026-06-01", "2026-09-01", "5041.10"),
            line(3, "L3", "2026-06-01", "2026-09-01", "1"),
        ];
        let r = reconcile(&p, "agency", &cs, &[], &lines);
        // L1: 1% × 1,000,000 × 92 / 365 = 2,520.5479… → 2,520.55.
        assert_eq!(
            (r.lines[0].status, r.lines[0].computed),
            (Status::Matched, Money::parse("2520.55").unwrap())
        );
        assert_eq!(r.lines[1].status, Status::Excluded);
        assert!(
            r.lines[1]
                .reason
                .as_deref()
                .unwrap()
                .contains("once per firm"),
            "{:?}",
            r.lines[1].reason
        );
        assert!(r.lines[1].reason.as_deref().unwrap().contains("L1"));
        assert_eq!(r.lines[2].status, Status::Ineligible);
        assert!(
            r.lines[2].reason.as_deref().unwrap().contains("10000000"),
            "{:?}",
            r.lines[2].reason
        );
        // The same firm's second loan in a later batch, with L1 approved before: excluded again.
        let drawn = [Drawn::of(&p, &cs["L1"])];
        let r = super::reconcile(
            &p,
            "agency",
            &cs,
            &[],
            &drawn,
            &[line(1, "L2", "2026-06-01", "2026-09-01", "5041.10")],
        );
        assert_eq!(r.lines[0].status, Status::Excluded);
        // Another period of the same loan is not a second loan.
        let r = super::reconcile(
            &p,
            "agency",
            &cs,
            &[],
            &drawn,
            &[line(1, "L1", "2026-06-01", "2026-09-01", "2520.55")],
        );
        assert_eq!(r.lines[0].status, Status::Matched);
    }

    #[test]
    fn beijing_either_an_interest_or_a_fee_subsidy_never_both() {
        let interest = shipped("beijing-first-loan-interest")
            .unwrap()
            .policy("bj-interest");
        let fee = shipped("beijing-first-loan-guarantee-fee")
            .unwrap()
            .policy("bj-fee");
        // The loan K drew the interest subsidy; its guarantee contract G (same loan) claims the fee subsidy.
        let mut k = loan("K", "f", 2_000_000, dec!(0.04), "2026-01-01", "2027-01-01");
        k.firm.has_bank_loan = false;
        let drawn = [Drawn::of(&interest, &k)];
        let mut g = contract("G", "f", 1_600_000, dec!(0.01), "2026-01-01", "2027-01-01");
        g.loan = Some(Money::from_yuan(2_000_000));
        g.loan_key = "K".into();
        let cs = book(vec![g.clone()]);
        let claim = [line(1, "G", "2026-01-01", "2026-04-01", "1972.60")];
        let r = super::reconcile(&fee, "agency", &cs, &[], &drawn, &claim);
        assert_eq!(r.lines[0].status, Status::Excluded);
        let why = r.lines[0].reason.clone().unwrap();
        assert!(
            why.contains("bj-interest") && why.contains("first_loan_support"),
            "{why}"
        );
        // Without that draw the fee subsidy pays: 50% × 1% × 1,600,000 × 90 / 365 = 1,972.6027… → 1,972.60.
        let r = super::reconcile(&fee, "agency", &cs, &[], &[], &claim);
        assert_eq!(
            (r.lines[0].status, r.lines[0].computed),
            (Status::Matched, Money::parse("1972.60").unwrap())
        );
        // A firm that borrowed before is not a first loan.
        let mut not_first = g;
        not_first.firm.has_bank_loan = true;
        let cs = book(vec![not_first]);
        assert_eq!(
            super::reconcile(&fee, "agency", &cs, &[], &[], &claim).lines[0].status,
            Status::Ineligible
        );
    }

    #[test]
    fn jingan_pays_only_through_the_municipal_policy_fund() {
        let p = shipped("jingan-guarantee-fund-interest")
            .unwrap()
            .policy("ja");
        let mut through = loan("L1", "f", 1_000_000, dec!(0.04), "2026-01-01", "2027-01-01");
        through.firm.district = "jingan".into();
        through.scheme = Some(("scheme-1".into(), SchemeKind::PolicyFund));
        let mut other = through.clone();
        other.id = "L2".into();
        other.scheme = Some(("scheme-2".into(), SchemeKind::Commercial));
        let mut none = through.clone();
        none.id = "L3".into();
        none.scheme = None;
        let mut elsewhere = through.clone();
        elsewhere.id = "L4".into();
        elsewhere.firm.district = "pudong".into();
        let cs = book(vec![through, other, none, elsewhere]);
        let lines: Vec<ClaimLine> = (1..=4)
            .map(|k| line(k, &format!("L{k}"), "2026-01-01", "2026-04-01", "2465.75"))
            .collect();
        let r = reconcile(&p, "agency", &cs, &[], &lines);
        // 1% × 1,000,000 × 90 / 365 = 2,465.7534… → 2,465.75.
        assert_eq!(
            (r.lines[0].status, r.lines[0].computed),
            (Status::Matched, Money::parse("2465.75").unwrap())
        );
        for l in &r.lines[1..] {
            assert_eq!(l.status, Status::Ineligible, "{:?}", l.reason);
        }
        assert!(r.lines[1]
            .reason
            .as_deref()
            .unwrap()
            .starts_with("channel:"));
        assert!(r.lines[3]
            .reason
            .as_deref()
            .unwrap()
            .starts_with("district"));
    }

    #[test]
    fn a_forecast_is_what_approved_contracts_will_still_accrue() {
        let p = dalian();
        let mut l = loan(
            "L1",
            "agri",
            1_000_000,
            dec!(0.042),
            "2026-07-01",
            "2028-07-01",
        );
        l.firm.industry_code = "A0141".into();
        // Approved to 2027-01-01; the one-year cap leaves 181 days: 9,917.81 (as above).
        let f = forecast(
            &p,
            &[(
                l.clone(),
                d("2027-01-01"),
                Money::parse("10082.19").unwrap(),
            )],
        );
        assert_eq!(f, Money::parse("9917.81").unwrap());
        // Approved to the end of its subsidised year: nothing more.
        assert_eq!(
            forecast(&p, &[(l, d("2027-07-01"), Money::ZERO)]),
            Money::ZERO
        );
    }

    proptest! {
        /// However loans and claims fall between two exclusive policies (one on loans, one on their
        /// guarantees), approving each batch in turn never lets a loan draw from both; interest totals
        /// are the sums of lines.
        #[test]
        fn no_exclusive_pair_is_ever_both_approved(
            batches in prop::collection::vec((any::<bool>(), prop::collection::vec((0usize..5, 0i64..300, 1i64..120), 1..8)), 1..10),
        ) {
            let interest = shipped("beijing-first-loan-interest").unwrap().policy("i");
            let fee = shipped("beijing-first-loan-guarantee-fee").unwrap().policy("f");
            let loans = book((0..5).map(|k| loan(&format!("K{k}"), &format!("f{k}"), 1_000_000, dec!(0.04), "2026-01-01", "2027-06-01")).collect());
            let guarantees = book((0..5).map(|k| {
                let mut g = contract(&format!("K{k}"), &format!("f{k}"), 800_000, dec!(0.01), "2026-01-01", "2027-06-01");
                g.loan = Some(Money::from_yuan(1_000_000));
                g.loan_key = format!("K{k}");
                g
            }).collect());
            let mut drawn: Vec<Drawn> = Vec::new();
            let base = d("2026-01-01");
            for (on_loans, specs) in batches {
                let (p, cs) = if on_loans { (&interest, &loans) } else { (&fee, &guarantees) };
                let lines: Vec<ClaimLine> = specs.iter().enumerate().map(|(n, (k, start, len))| ClaimLine {
                    line_no: n + 1,
                    contract_id: format!("K{k}"),
                    from: base + chrono::Duration::days(*start),
                    to: base + chrono::Duration::days(start + len),
                    claimed: Money::from_yuan(1),
                }).collect();
                let r = super::reconcile(p, "agency", cs, &[], &drawn, &lines);
                let sum: i64 = r.lines.iter().map(|l| l.approved.fen()).sum();
                prop_assert_eq!(r.totals.approved.fen(), sum);
                for l in &r.lines {
                    if Status::PAYABLE.contains(&l.status) {
                        drawn.push(Drawn::of(p, &cs[&l.contract_id]));
                    }
                }
            }
            for k in 0..5 {
                let key = format!("K{k}");
                let policies: std::collections::HashSet<&str> = drawn.iter().filter(|d| d.loan_key == key).map(|d| d.policy_id.as_str()).collect();
                prop_assert!(policies.len() <= 1, "loan {} drew from {:?}", key, policies);
            }
        }

        /// Over random batches: totals are the sums of lines, nothing approved above what was claimed or
        /// computed, and no cap is ever exceeded.
        #[test]
        fn totals_are_sums_and_caps_hold(
            specs in prop::collection::vec((0usize..6, 0i64..400, 1i64..200, 0i64..2_000_000), 1..40),
            cap in 1i64..20_000,
            budget in 1i64..100_000,
            interest in any::<bool>(),
        ) {
            let cs = book((0..6).map(|i| contract(&format!("c{i}"), &format!("f{}", i % 3), 500_000 + 100_000 * i as i64, dec!(0.012), "2026-01-01", "2027-06-01")).collect());
            // The same caps hold for an interest subsidy (on the contracts as loans, with a day cap).
            let mut p = if interest {
                let mut p = policy(Formula::InterestSubsidy { rate: dec!(0.02) });
                p.max_fee_rate = None;
                p.max_days = Some(300);
                p
            } else {
                policy(HALF)
            };
            p.cap_per_contract = Some(Money::from_yuan(cap));
            p.cap_per_firm_year = Some(Money::from_yuan(cap));
            p.budget = Some(Money::from_yuan(budget));
            let base = d("2026-01-01");
            let lines: Vec<ClaimLine> = specs.iter().enumerate().map(|(n, (c, start, len, claimed))| ClaimLine {
                line_no: n + 1,
                contract_id: format!("c{c}"),
                from: base + chrono::Duration::days(*start),
                to: base + chrono::Duration::days(start + len),
                claimed: Money::from_fen(*claimed),
            }).collect();
            let r = reconcile(&p, "agency", &cs, &[], &lines);
            prop_assert_eq!(r.lines.len(), lines.len());
            let sum = |f: fn(&LineResult) -> i64| r.lines.iter().map(f).sum::<i64>();
            prop_assert_eq!(r.totals.claimed.fen(), sum(|l| l.claimed.fen()));
            prop_assert_eq!(r.totals.computed.fen(), sum(|l| l.computed.fen()));
            prop_assert_eq!(r.totals.approved.fen(), sum(|l| l.approved.fen()));
            prop_assert_eq!(r.totals.difference.fen(), sum(|l| l.difference.fen()));
            let mut per_contract: HashMap<&str, i64> = HashMap::new();
            for l in &r.lines {
                prop_assert!(l.approved <= l.claimed && l.approved <= l.computed);
                *per_contract.entry(l.contract_id.as_str()).or_default() += l.approved.fen();
            }
            // Each line rounds once, so a cap may be passed by at most half a fen per line.
            for (_, v) in per_contract {
                prop_assert!(v <= cap * 100 + lines.len() as i64);
            }
            prop_assert!(r.totals.approved.fen() <= budget * 100 + lines.len() as i64);
        }
    }
}
