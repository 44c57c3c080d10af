//! Reconciling an agency's subsidy claim batch against its contracts and the policy's earlier approvals
//! (DOMAIN.md §8): loads what `domain::subsidy::reconcile` needs and turns its result into stored lines.

use crate::domain::matching::Designation;
use crate::domain::subsidy::{
    self, parse_year_days, year_days_text, Approved, ClaimLine, Contract, PolicySpec, Totals,
};
use crate::domain::{Money, SizeClass};
use crate::store::guarantees::{self as store, GuaranteeRow, LineRow, PolicyRow};
use crate::store::{applications, firms, DbConn, Result, StoreError};
use std::collections::HashMap;

pub fn spec_of(row: &PolicyRow) -> Result<PolicySpec> {
    serde_json::from_str(&row.spec)
        .map_err(|e| StoreError::Config(format!("policy {}: {e}", row.id)))
}

/// A stored contract as the subsidy rules see it (its borrower's registry facts and designations).
pub fn contract(conn: &mut DbConn, g: &GuaranteeRow) -> Result<Contract> {
    let firm = firms::get(conn, &g.firm_uscc)?;
    let mut a = subsidy::borrower(
        &g.firm_uscc,
        SizeClass::parse(&firm.size_class),
        &firm.industry_code,
        &firm.district,
    );
    a.has_bank_loan = !g.first_loan;
    a.designations = applications::designations(conn, &g.firm_uscc, g.start_on)?
        .iter()
        .filter_map(|d| Designation::parse(d))
        .collect();
    let early = match (g.released_on, g.called_on) {
        (Some(r), Some(c)) => Some(r.min(c)),
        (r, c) => r.or(c),
    };
    Ok(Contract {
        id: g.id.clone(),
        agency_id: g.agency_id.clone(),
        firm_uscc: g.firm_uscc.clone(),
        guaranteed: Money::from_fen(g.guaranteed_fen),
        fee_rate: g.fee_rate.parse().unwrap_or_default(),
        start: g.start_on,
        end: g.end_on,
        early_end: early,
        firm: a,
    })
}

/// A claim line as submitted: the agency's contract number, the period, the amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    pub line_no: usize,
    pub contract_no: String,
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    pub claimed: Money,
}

/// Reconcile `lines` of `agency` under `policy`, against every line approved under it outside
/// `batch_id`; the lines to store and their totals.
pub fn reconcile(
    conn: &mut DbConn,
    policy: &PolicyRow,
    agency: &str,
    batch_id: &str,
    lines: &[Submitted],
) -> Result<(Vec<LineRow>, Totals)> {
    let spec = spec_of(policy)?;
    let mut numbers: Vec<String> = lines.iter().map(|l| l.contract_no.clone()).collect();
    numbers.sort();
    numbers.dedup();
    let rows = store::by_numbers(conn, agency, &numbers)?;
    let mut by_no: HashMap<String, String> = HashMap::new();
    let mut contracts: HashMap<String, Contract> = HashMap::new();
    for g in &rows {
        by_no.insert(g.contract_no.clone(), g.id.clone());
        contracts.insert(g.id.clone(), contract(conn, g)?);
    }
    let prior: Vec<Approved> = store::approved_lines(conn, &policy.id, batch_id)?
        .into_iter()
        .filter_map(|l| {
            Some(Approved {
                contract_id: l.guarantee_id?,
                firm_uscc: l.firm_uscc?,
                from: l.from_on,
                to: l.to_on,
                approved: Money::from_fen(l.approved_fen),
                days_by_year: parse_year_days(&l.year_days),
            })
        })
        .collect();
    let claim: Vec<ClaimLine> = lines
        .iter()
        .map(|l| ClaimLine {
            line_no: l.line_no,
            // Unknown numbers stay as they are: they cannot collide with a contract id.
            contract_id: by_no
                .get(&l.contract_no)
                .cloned()
                .unwrap_or_else(|| l.contract_no.clone()),
            from: l.from,
            to: l.to,
            claimed: l.claimed,
        })
        .collect();
    let r = subsidy::reconcile(&spec.policy(&policy.id), agency, &contracts, &prior, &claim);
    let submitted: HashMap<usize, &Submitted> = lines.iter().map(|l| (l.line_no, l)).collect();
    let out = r
        .lines
        .iter()
        .map(|l| {
            let s = submitted[&l.line_no];
            let known = contracts.get(&l.contract_id);
            LineRow {
                batch_id: batch_id.to_string(),
                line_no: l.line_no as i32,
                contract_no: s.contract_no.clone(),
                guarantee_id: known.map(|c| c.id.clone()),
                firm_uscc: known.map(|c| c.firm_uscc.clone()),
                from_on: s.from,
                to_on: s.to,
                claimed_fen: l.claimed.fen(),
                status: l.status.as_str().into(),
                computed_fen: l.computed.fen(),
                approved_fen: l.approved.fen(),
                difference_fen: l.difference.fen(),
                days: l.days,
                year_days: year_days_text(&l.days_by_year),
                before_caps_fen: l.before_caps.fen(),
                caps: l
                    .caps
                    .iter()
                    .map(|c| match c {
                        subsidy::Cap::PerContract => "per_contract",
                        subsidy::Cap::PerFirmYear => "per_firm_year",
                        subsidy::Cap::Budget => "budget",
                    })
                    .collect::<Vec<_>>()
                    .join(","),
                reason: l.reason.clone(),
            }
        })
        .collect();
    Ok((out, r.totals))
}
