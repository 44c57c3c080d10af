//! Reconciling an agency's subsidy claim batch against its contracts and the policy's earlier approvals
//! (DOMAIN.md §8): loads what `domain::subsidy::reconcile` needs and turns its result into stored lines.

use crate::domain::matching::Designation;
use crate::domain::subsidy::{
    self, parse_year_days, year_days_text, Approved, ClaimLine, Contract, PolicySpec, Totals,
};
use crate::domain::{Money, SizeClass};
use crate::store::guarantees::{self as store, GuaranteeRow, LineRow, PolicyRow};
use crate::store::{applications, firms, DbConn, Result, StoreError};
use rustc_hash::FxHashMap;
use std::collections::HashMap;

pub fn spec_of(row: &PolicyRow) -> Result<PolicySpec> {
    serde_json::from_str(&row.spec)
        .map_err(|e| StoreError::Config(format!("policy {}: {e}", row.id)))
}

/// Stored contracts as the subsidy rules see them (their borrowers' registry facts and the designations
/// in force when each started), loaded in a few queries however many there are.
pub fn contracts_of(
    conn: &mut DbConn,
    rows: &[GuaranteeRow],
) -> Result<FxHashMap<String, Contract>> {
    let mut usccs: Vec<String> = rows.iter().map(|g| g.firm_uscc.clone()).collect();
    usccs.sort();
    usccs.dedup();
    let registry: HashMap<String, firms::FirmRow> = firms::get_many(conn, &usccs)?
        .into_iter()
        .map(|f| (f.uscc.clone(), f))
        .collect();
    let mut designations: HashMap<String, Vec<applications::Held>> = HashMap::new();
    for h in applications::designations_of(conn, &usccs)? {
        designations.entry(h.0.clone()).or_default().push(h);
    }
    rows.iter()
        .map(|g| {
            let firm = registry.get(&g.firm_uscc).ok_or(StoreError::NotFound)?;
            let held = designations
                .get(&g.firm_uscc)
                .map(Vec::as_slice)
                .unwrap_or_default();
            Ok((g.id.clone(), contract(g, firm, held)?))
        })
        .collect()
}

/// One contract, from its row, its borrower and the borrower's designations.
pub fn contract(
    g: &GuaranteeRow,
    firm: &firms::FirmRow,
    designations: &[applications::Held],
) -> crate::store::Result<Contract> {
    let mut a = subsidy::borrower(
        &g.firm_uscc,
        SizeClass::parse(&firm.size_class),
        &firm.industry_code,
        &firm.district,
    );
    a.has_bank_loan = !g.first_loan;
    a.designations = designations
        .iter()
        .filter(|h| applications::in_force(h, g.start_on))
        .filter_map(|h| Designation::parse(&h.1))
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
        loan: Some(Money::from_fen(g.loan_amount_fen)),
        fee_rate: g.fee_rate()?.get(),
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
    let contracts = contracts_of(conn, &rows)?;
    let by_no: FxHashMap<String, String> = rows
        .iter()
        .map(|g| (g.contract_no.clone(), g.id.clone()))
        .collect();
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
    let submitted: FxHashMap<usize, &Submitted> = lines.iter().map(|l| (l.line_no, l)).collect();
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
                status: l.status,
                computed_fen: l.computed.fen(),
                approved_fen: l.approved.fen(),
                difference_fen: l.difference.fen(),
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
                size_class: known
                    .and_then(|c| c.firm.size_class)
                    .map(|k| k.as_str().to_string()),
            }
        })
        .collect();
    Ok((out, r.totals))
}
