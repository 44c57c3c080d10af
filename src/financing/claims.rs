//! Reconciling an agency's subsidy claim batch against its contracts and the policy's earlier approvals
//! (DOMAIN.md §8): loads what `domain::subsidy::reconcile` needs and turns its result into stored lines.

use crate::domain::matching::Applicant;
use crate::domain::matching::Designation;
use crate::domain::subsidy::{
    self, parse_year_days, year_days_text, Approved, ClaimLine, Contract, Drawn, Policy,
    PolicySpec, SchemeKind, Totals,
};
use crate::domain::Money;
use crate::store::applications::LoanRow;
use crate::store::guarantees::{self as store, GuaranteeRow, LineRow, PolicyRow};
use crate::store::products::{self, ProductRow};
use crate::store::{applications, firms, DbConn, Result, StoreError};
use rustc_hash::FxHashMap;
use std::collections::HashMap;

pub fn spec_of(row: &PolicyRow) -> Result<PolicySpec> {
    serde_json::from_str(&row.spec)
        .map_err(|e| StoreError::Config(format!("policy {}: {e}", row.id)))
}

/// The borrowers' registry rows, designations and the size classes public money relies on (verified
/// figures first, issue 20 §8), loaded once for many contracts.
struct Borrowers {
    registry: HashMap<String, firms::FirmRow>,
    designations: HashMap<String, Vec<applications::Held>>,
    classes: super::EligibleClasses,
}

impl Borrowers {
    /// The borrowers of contracts starting on the days given (uscc, start).
    fn load(conn: &mut DbConn, starts: Vec<(String, chrono::NaiveDate)>) -> Result<Borrowers> {
        let (registry, classes) = super::EligibleClasses::load(conn, &starts)?;
        let usccs: Vec<String> = registry.keys().cloned().collect();
        let mut designations: HashMap<String, Vec<applications::Held>> = HashMap::new();
        for h in applications::designations_of(conn, &usccs)? {
            designations.entry(h.0.clone()).or_default().push(h);
        }
        Ok(Borrowers {
            registry,
            designations,
            classes,
        })
    }

    /// The firm as the rules read it on `day` (its registry facts, the size class it had then for
    /// eligibility, and the designations then in force).
    fn applicant(&self, uscc: &str, day: chrono::NaiveDate, had_loan: bool) -> Result<Applicant> {
        let firm = self.registry.get(uscc).ok_or(StoreError::NotFound)?;
        let mut a = subsidy::borrower(
            uscc,
            self.classes.on(uscc, day),
            &firm.industry_code,
            &firm.district,
        );
        a.has_bank_loan = had_loan;
        a.designations = self
            .designations
            .get(uscc)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter(|h| applications::in_force(h, day))
            .filter_map(|h| Designation::parse(&h.1))
            .collect();
        Ok(a)
    }
}

/// What the hub knows of applications: the loan each became and the guarantee scheme its product relies
/// on, with the scheme's kind (a scheme that states none is commercial).
#[derive(Default)]
struct Links {
    loan: HashMap<String, String>,
    scheme: HashMap<String, (String, SchemeKind)>,
}

fn spec_value(row: &ProductRow) -> serde_json::Value {
    serde_json::from_str(&row.spec).unwrap_or_default()
}

impl Links {
    fn load(conn: &mut DbConn, mut apps: Vec<String>) -> Result<Links> {
        apps.sort();
        apps.dedup();
        let mut out = Links::default();
        if apps.is_empty() {
            return Ok(out);
        }
        let rows = applications::products_and_loans(conn, &apps)?;
        let mut schemes: HashMap<String, Option<(String, SchemeKind)>> = HashMap::new();
        for (app, product, loan) in rows {
            if let Some(l) = loan {
                out.loan.insert(app.clone(), l);
            }
            if !schemes.contains_key(&product) {
                let scheme = match products::get(conn, &product)? {
                    Some(p) => match spec_value(&p)["guarantee_scheme_id"].as_str() {
                        Some(sid) => {
                            let kind = products::get(conn, sid)?
                                .and_then(|s| {
                                    serde_json::from_value(spec_value(&s)["scheme_kind"].clone())
                                        .ok()
                                })
                                .unwrap_or(SchemeKind::Commercial);
                            Some((sid.to_string(), kind))
                        }
                        None => None,
                    },
                    None => None,
                };
                schemes.insert(product.clone(), scheme);
            }
            if let Some(Some(s)) = schemes.get(&product) {
                out.scheme.insert(app, s.clone());
            }
        }
        Ok(out)
    }
}

/// The loan a guarantee contract guarantees, as exclusivity keys it: the loan its application became,
/// else the contract itself.
fn guarantee_loan_key(g: &GuaranteeRow, links: &Links) -> String {
    g.application_id
        .as_ref()
        .and_then(|a| links.loan.get(a).cloned())
        .unwrap_or_else(|| format!("guarantee:{}", g.id))
}

/// Stored contracts as the subsidy rules see them (their borrowers' registry facts and the designations
/// in force when each started), loaded in a few queries however many there are.
pub fn contracts_of(
    conn: &mut DbConn,
    rows: &[GuaranteeRow],
) -> Result<FxHashMap<String, Contract>> {
    let who = Borrowers::load(
        conn,
        rows.iter()
            .map(|g| (g.firm_uscc.clone(), g.start_on))
            .collect(),
    )?;
    let links = Links::load(
        conn,
        rows.iter()
            .filter_map(|g| g.application_id.clone())
            .collect(),
    )?;
    rows.iter()
        .map(|g| {
            let firm = who.applicant(&g.firm_uscc, g.start_on, !g.first_loan)?;
            Ok((g.id.clone(), contract(g, firm, &links)?))
        })
        .collect()
}

/// One guarantee contract, from its row and its borrower.
fn contract(g: &GuaranteeRow, firm: Applicant, links: &Links) -> Result<Contract> {
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
        firm,
        balance_changes: Vec::new(),
        loan_key: guarantee_loan_key(g, links),
        scheme: g
            .application_id
            .as_ref()
            .and_then(|a| links.scheme.get(a).cloned()),
    })
}

/// Loans as interest subsidies see them (issue 20 §1): the principal with its reported balances, the
/// loan's interest rate in place of the fee rate (zero when not on record: the rules then say so), the
/// lender as the claimant, the scheme its product relies on.
pub fn loan_contracts(conn: &mut DbConn, loans: &[LoanRow]) -> Result<FxHashMap<String, Contract>> {
    let who = Borrowers::load(
        conn,
        loans
            .iter()
            .map(|l| (l.firm_uscc.clone(), l.start_on))
            .collect(),
    )?;
    let links = Links::load(
        conn,
        loans
            .iter()
            .filter_map(|l| l.application_id.clone())
            .collect(),
    )?;
    let ids: Vec<String> = loans.iter().map(|l| l.id.clone()).collect();
    let mut balances: HashMap<String, Vec<(chrono::NaiveDate, Money)>> = HashMap::new();
    for b in applications::balances_of(conn, &ids)? {
        balances
            .entry(b.loan_id)
            .or_default()
            .push((b.as_of, Money::from_fen(b.outstanding_fen)));
    }
    loans
        .iter()
        .map(|l| {
            let rate = match l.interest_rate.as_deref() {
                Some(r) => r
                    .parse::<rust_decimal::Decimal>()
                    .map_err(|e| StoreError::Config(format!("loan {} interest rate: {e}", l.id)))?,
                None => rust_decimal::Decimal::ZERO,
            };
            let c = Contract {
                id: l.id.clone(),
                agency_id: l.institution_id.clone(),
                firm_uscc: l.firm_uscc.clone(),
                guaranteed: Money::from_fen(l.amount_fen),
                loan: Some(Money::from_fen(l.amount_fen)),
                fee_rate: rate,
                start: l.start_on,
                end: l.maturity_on,
                early_end: l.closed_on,
                firm: who.applicant(&l.firm_uscc, l.start_on, !l.first_loan)?,
                balance_changes: balances.remove(&l.id).unwrap_or_default(),
                loan_key: l.id.clone(),
                scheme: l
                    .application_id
                    .as_ref()
                    .and_then(|a| links.scheme.get(a).cloned()),
            };
            Ok((l.id.clone(), c))
        })
        .collect()
}

/// The policies whose approved lines reconciling under `policy` reads: itself (caps, duplicates, once
/// per firm) and, when it belongs to an exclusivity group, every other policy of the group.
fn members(conn: &mut DbConn, policy: &Policy) -> Result<HashMap<String, Policy>> {
    let mut out = HashMap::new();
    if let Some(group) = policy.exclusive.as_ref().map(|e| e.group.as_str()) {
        for row in store::list_policies(conn)? {
            let p = spec_of(&row)?.policy(&row.id);
            if p.exclusive.as_ref().is_some_and(|e| e.group == group) {
                out.insert(row.id.clone(), p);
            }
        }
    }
    out.insert(policy.id.clone(), policy.clone());
    Ok(out)
}

/// The draws exclusivity reads from `lines` (approved lines of the `members`), each keyed by its loan.
fn draws(
    conn: &mut DbConn,
    members: &HashMap<String, Policy>,
    lines: &[(String, LineRow)],
) -> Result<Vec<Drawn>> {
    // Guarantee lines are keyed by the loan their contract's application became.
    let gids: Vec<String> = lines
        .iter()
        .filter(|(p, _)| members.get(p).is_some_and(|p| !p.formula.on_loans()))
        .filter_map(|(_, l)| l.guarantee_id.clone())
        .collect();
    let grows = store::by_ids(conn, &gids)?;
    let links = Links::load(
        conn,
        grows
            .iter()
            .filter_map(|g| g.application_id.clone())
            .collect(),
    )?;
    let keys: HashMap<&str, String> = grows
        .iter()
        .map(|g| (g.id.as_str(), guarantee_loan_key(g, &links)))
        .collect();
    Ok(lines
        .iter()
        .filter_map(|(pid, l)| {
            let p = members.get(pid)?;
            let id = l.guarantee_id.clone()?;
            let loan_key = if p.formula.on_loans() {
                id
            } else {
                keys.get(id.as_str()).cloned()?
            };
            Some(Drawn::new(p, l.firm_uscc.clone()?, loan_key))
        })
        .collect())
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
    let p = spec_of(policy)?.policy(&policy.id);
    let mut numbers: Vec<String> = lines.iter().map(|l| l.contract_no.clone()).collect();
    numbers.sort();
    numbers.dedup();
    // An interest subsidy is claimed on the bank's loans, by loan id; a fee subsidy on the agency's
    // guarantee contracts, by contract number.
    let (contracts, by_no): (_, FxHashMap<String, String>) = if p.formula.on_loans() {
        let loans = applications::loans_of(conn, agency, &numbers)?;
        (
            loan_contracts(conn, &loans)?,
            loans.iter().map(|l| (l.id.clone(), l.id.clone())).collect(),
        )
    } else {
        let rows = store::by_numbers(conn, agency, &numbers)?;
        (
            contracts_of(conn, &rows)?,
            rows.iter()
                .map(|g| (g.contract_no.clone(), g.id.clone()))
                .collect(),
        )
    };
    // One read of the approved lines: this policy's count against caps and duplicates; with those of
    // its group they are the draws exclusivity reads.
    let members = members(conn, &p)?;
    let ids: Vec<String> = members.keys().cloned().collect();
    let approved = store::approved_draws(
        conn,
        store::Draws::Policies {
            ids: &ids,
            except: batch_id,
        },
    )?;
    let drawn = if p.once_per_firm || p.exclusive.is_some() {
        draws(conn, &members, &approved)?
    } else {
        Vec::new()
    };
    let prior: Vec<Approved> = approved
        .into_iter()
        .filter(|(pid, _)| *pid == policy.id)
        .filter_map(|(_, l)| {
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
    let r = subsidy::reconcile(&p, agency, &contracts, &prior, &drawn, &claim);
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
                    .map(|c| c.as_str())
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
