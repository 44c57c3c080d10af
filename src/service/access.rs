//! Who is acting, and who may see and do what: the rules in one place, each with its test.

use crate::domain::ids::InstitutionId;
use crate::domain::role::Role;
use crate::domain::Uscc;
use serde::{Deserialize, Serialize};

/// The party behind a request: parsed once, when its key (or later its session) is authenticated, so
/// that a firm always has its USCC and an institution its id.
// Externally tagged (`{"bank": {"institution": …}}`): it is read from the cached principal on every bank
// request, and an internally tagged enum would be buffered first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    Firm { uscc: Uscc },
    Bank { institution: InstitutionId },
    Agency { institution: InstitutionId },
    Government { institution: InstitutionId },
    Admin,
}

/// A stored key whose role and owner do not fit together (a firm key without a firm, say).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a {role} key needs {needs}")]
pub struct Misfit {
    pub role: Role,
    pub needs: &'static str,
}

impl Actor {
    /// From a stored key's role and owner.
    pub fn of_key(
        role: Role,
        institution: Option<&str>,
        firm: Option<&str>,
    ) -> Result<Actor, Misfit> {
        let institution = || {
            institution.and_then(InstitutionId::new).ok_or(Misfit {
                role,
                needs: "an institution",
            })
        };
        Ok(match role {
            Role::Firm => Actor::Firm {
                uscc: firm.and_then(|u| Uscc::parse(u).ok()).ok_or(Misfit {
                    role,
                    needs: "a valid firm USCC",
                })?,
            },
            Role::Bank => Actor::Bank {
                institution: institution()?,
            },
            Role::Guarantor => Actor::Agency {
                institution: institution()?,
            },
            Role::Government => Actor::Government {
                institution: institution()?,
            },
            Role::Admin => Actor::Admin,
        })
    }

    pub fn role(&self) -> Role {
        match self {
            Actor::Firm { .. } => Role::Firm,
            Actor::Bank { .. } => Role::Bank,
            Actor::Agency { .. } => Role::Guarantor,
            Actor::Government { .. } => Role::Government,
            Actor::Admin => Role::Admin,
        }
    }

    /// The institution a bank, agency or government actor belongs to.
    pub fn institution(&self) -> Option<&str> {
        match self {
            Actor::Bank { institution }
            | Actor::Agency { institution }
            | Actor::Government { institution } => Some(institution.as_str()),
            Actor::Firm { .. } | Actor::Admin => None,
        }
    }

    /// The firm a firm actor is.
    pub fn firm(&self) -> Option<&Uscc> {
        match self {
            Actor::Firm { uscc } => Some(uscc),
            _ => None,
        }
    }

    /// Who acted, as steps and records name them: the firm's USCC, the institution's id, `admin`.
    pub fn who(&self) -> String {
        match self {
            Actor::Firm { uscc } => uscc.to_string(),
            Actor::Admin => "admin".into(),
            a => a.institution().unwrap_or("").to_string(),
        }
    }

    /// The government side (the department and the platform's administrators) acts for everyone.
    pub fn is_government_side(&self) -> bool {
        matches!(self, Actor::Government { .. } | Actor::Admin)
    }

    /// A lender or guarantor: reads profiles only under a consent.
    pub fn is_institution(&self) -> bool {
        matches!(self, Actor::Bank { .. } | Actor::Agency { .. })
    }
}

/// A consent is seen by its firm, its institution and the government side (Art 58: nobody sees
/// another party's consents).
pub fn may_see_consent(actor: &Actor, firm: &str, institution: &str) -> bool {
    match actor {
        Actor::Government { .. } | Actor::Admin => true,
        Actor::Firm { uscc } => uscc.as_str() == firm,
        Actor::Bank { institution: i } | Actor::Agency { institution: i } => *i == institution,
    }
}

/// A firm's own data and acts: the firm itself, or the government side on its behalf.
pub fn may_act_for_firm(actor: &Actor, firm: &str) -> bool {
    match actor {
        Actor::Government { .. } | Actor::Admin => true,
        Actor::Firm { uscc } => uscc.as_str() == firm,
        Actor::Bank { .. } | Actor::Agency { .. } => false,
    }
}

/// [`may_act_for_firm`], with the words of a refusal.
pub fn firm_access(actor: &Actor, firm: &str) -> Result<(), String> {
    if may_act_for_firm(actor, firm) {
        return Ok(());
    }
    Err(match actor.role() {
        Role::Firm => format!("a firm key acts only for its own firm, not {firm}"),
        other => format!(
            "a {other} key cannot act on the firm registry; banks see firm data through consented profiles"
        ),
    })
}

/// An agency's own records (contracts, claim batches, metrics): that agency, or the government side.
/// Who claims public money: a guarantee agency (fee subsidies, on its contracts) or a bank (interest
/// subsidies, on its loans).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claimant {
    Agency(InstitutionId),
    Bank(InstitutionId),
}

impl Claimant {
    pub fn institution(&self) -> &InstitutionId {
        match self {
            Claimant::Agency(i) | Claimant::Bank(i) => i,
        }
    }
}

impl Actor {
    /// The actor as a subsidy claimant (an agency or a bank).
    pub fn claimant(&self) -> Option<Claimant> {
        match self {
            Actor::Agency { institution } => Some(Claimant::Agency(institution.clone())),
            Actor::Bank { institution } => Some(Claimant::Bank(institution.clone())),
            _ => None,
        }
    }
}

/// A claim batch is seen by its claimant (agency or bank) and the government side.
pub fn may_see_claim(actor: &Actor, claimant: &str) -> bool {
    match actor.claimant() {
        Some(c) => *c.institution() == claimant,
        None => actor.is_government_side(),
    }
}

pub fn may_see_agency(actor: &Actor, agency: &str) -> bool {
    match actor {
        Actor::Government { .. } | Actor::Admin => true,
        Actor::Agency { institution } => *institution == agency,
        Actor::Firm { .. } | Actor::Bank { .. } => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIRM: &str = "91310101MA1003FYBL";
    const OTHER: &str = "91310118MA1003Q6RY";

    fn id(s: &str) -> InstitutionId {
        InstitutionId::new(s).unwrap()
    }

    fn actors() -> [Actor; 6] {
        [
            Actor::Firm {
                uscc: Uscc::parse(FIRM).unwrap(),
            },
            Actor::Firm {
                uscc: Uscc::parse(OTHER).unwrap(),
            },
            Actor::Bank {
                institution: id("bank-a"),
            },
            Actor::Agency {
                institution: id("agency-a"),
            },
            Actor::Government {
                institution: id("gov"),
            },
            Actor::Admin,
        ]
    }

    #[test]
    fn consents_are_seen_by_their_parties_and_the_government_side() {
        let want = [true, false, true, false, true, true];
        for (a, w) in actors().iter().zip(want) {
            assert_eq!(may_see_consent(a, FIRM, "bank-a"), w, "{a:?}");
        }
        let want = [true, false, false, true, true, true];
        for (a, w) in actors().iter().zip(want) {
            assert_eq!(may_see_consent(a, FIRM, "agency-a"), w, "{a:?}");
        }
    }

    #[test]
    fn a_firm_acts_for_itself_and_institutions_never_for_it() {
        let want = [true, false, false, false, true, true];
        for (a, w) in actors().iter().zip(want) {
            assert_eq!(may_act_for_firm(a, FIRM), w, "{a:?}");
        }
    }

    #[test]
    fn agency_records_are_the_agencys_and_the_governments() {
        let want = [false, false, false, true, true, true];
        for (a, w) in actors().iter().zip(want) {
            assert_eq!(may_see_agency(a, "agency-a"), w, "{a:?}");
        }
    }

    #[test]
    fn keys_become_actors_only_with_their_owner() {
        assert_eq!(
            Actor::of_key(Role::Firm, None, Some(FIRM))
                .unwrap()
                .firm()
                .unwrap()
                .as_str(),
            FIRM
        );
        assert!(Actor::of_key(Role::Firm, None, Some("not a uscc")).is_err());
        assert!(Actor::of_key(Role::Bank, None, None).is_err());
        assert_eq!(
            Actor::of_key(Role::Guarantor, Some("a"), None)
                .unwrap()
                .role(),
            Role::Guarantor
        );
        assert_eq!(Actor::of_key(Role::Admin, None, None), Ok(Actor::Admin));
        // Round trip through the cache's JSON.
        for a in actors() {
            let back: Actor = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
            assert_eq!(back, a);
        }
    }
}
