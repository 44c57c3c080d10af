//! The lifecycles: application, loan, receivable and claim batch statuses, each an enum whose moves are
//! functions returning `Result<_, TransitionError>`, so no layer spells a status or checks a move by hand.
//! Stored as their text (`as_str`), the words the API shows (the diesel mapping is in `store::states`).

use std::fmt;

/// A move its status does not allow: what was asked, the status it met, and the statuses it needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{action} needs status {}; this one is {from}", needs.join(" or "))]
pub struct TransitionError {
    pub action: &'static str,
    pub from: &'static str,
    pub needs: Vec<&'static str>,
}

/// A stored status text that is none of its enum's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{value}' is not a {what} status")]
pub struct UnknownStatus {
    pub what: &'static str,
    pub value: String,
}

macro_rules! status_enum {
    ($(#[$doc:meta])* $name:ident, $what:literal { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[derive(diesel::AsExpression, diesel::FromSqlRow)]
        #[diesel(sql_type = diesel::sql_types::Text)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            pub fn parse(s: &str) -> Result<Self, UnknownStatus> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(UnknownStatus { what: $what, value: other.to_string() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownStatus;
            fn from_str(s: &str) -> Result<Self, UnknownStatus> {
                $name::parse(s)
            }
        }
    };
}

/// The one move check: `to` if `from` is one of `needs`.
fn step<S: Copy + PartialEq + fmt::Display + Into<&'static str>>(
    from: S,
    needs: &[S],
    action: &'static str,
    to: S,
) -> Result<S, TransitionError> {
    if needs.contains(&from) {
        Ok(to)
    } else {
        Err(TransitionError {
            action,
            from: from.into(),
            needs: needs.iter().map(|s| (*s).into()).collect(),
        })
    }
}

macro_rules! into_str {
    ($($t:ty),+) => {$(
        impl From<$t> for &'static str {
            fn from(s: $t) -> &'static str {
                s.as_str()
            }
        }
    )+};
}

status_enum!(
    /// An application for financing (Art 21, 27).
    ApplicationStatus, "application" {
        Submitted = "submitted",
        Approved = "approved",
        Declined = "declined",
        Withdrawn = "withdrawn",
        Disbursed = "disbursed",
        Repaid = "repaid",
        Defaulted = "defaulted",
    }
);

/// What can happen to an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplicationAction {
    Approve,
    Decline,
    Withdraw,
    Disburse,
    /// A repayment; `clears` when it brings the outstanding principal to zero.
    Repay {
        clears: bool,
    },
    Default,
}

impl ApplicationAction {
    pub const ALL: [ApplicationAction; 7] = [
        ApplicationAction::Approve,
        ApplicationAction::Decline,
        ApplicationAction::Withdraw,
        ApplicationAction::Disburse,
        ApplicationAction::Repay { clears: false },
        ApplicationAction::Repay { clears: true },
        ApplicationAction::Default,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ApplicationAction::Approve | ApplicationAction::Decline => "a decision",
            ApplicationAction::Withdraw => "withdrawal",
            ApplicationAction::Disburse => "disbursement",
            ApplicationAction::Repay { .. } => "a repayment",
            ApplicationAction::Default => "a default",
        }
    }
}

impl ApplicationStatus {
    /// The status after `action`, or why it cannot happen now.
    pub fn after(self, action: ApplicationAction) -> Result<ApplicationStatus, TransitionError> {
        use ApplicationAction as A;
        use ApplicationStatus as S;
        let name = action.name();
        match action {
            A::Approve => step(self, &[S::Submitted], name, S::Approved),
            A::Decline => step(self, &[S::Submitted], name, S::Declined),
            A::Withdraw => step(self, &[S::Submitted, S::Approved], name, S::Withdrawn),
            A::Disburse => step(self, &[S::Approved], name, S::Disbursed),
            A::Repay { clears: true } => step(self, &[S::Disbursed], name, S::Repaid),
            A::Repay { clears: false } => step(self, &[S::Disbursed], name, S::Disbursed),
            A::Default => step(self, &[S::Disbursed], name, S::Defaulted),
        }
    }

    /// No further move is possible.
    pub fn is_final(self) -> bool {
        ApplicationAction::ALL
            .iter()
            .all(|a| self.after(*a).is_err())
    }
}

status_enum!(
    /// A loan the hub knows of (disbursed through an application, or reported by a bank).
    LoanStatus, "loan" {
        Outstanding = "outstanding",
        Repaid = "repaid",
        Defaulted = "defaulted",
    }
);

status_enum!(
    /// What a loan rests on (Art 21 counts credit loans, 信用贷款: on the borrower's creditworthiness alone,
    /// with no guarantee and no collateral; DOMAIN §11).
    LoanKind, "loan kind" {
        Credit = "credit",
        Guaranteed = "guaranteed",
        Collateral = "collateral",
    }
);

impl LoanStatus {
    /// A repayment: still outstanding, or repaid when it `clears` the principal.
    pub fn repay(self, clears: bool) -> Result<LoanStatus, TransitionError> {
        let to = if clears {
            LoanStatus::Repaid
        } else {
            LoanStatus::Outstanding
        };
        step(self, &[LoanStatus::Outstanding], "a repayment", to)
    }
    pub fn default_now(self) -> Result<LoanStatus, TransitionError> {
        step(
            self,
            &[LoanStatus::Outstanding],
            "a default",
            LoanStatus::Defaulted,
        )
    }
}

status_enum!(
    /// A receivable a firm registered (Art 37): its debtor confirms or disputes it.
    ReceivableStatus, "receivable" {
        Pending = "pending",
        Confirmed = "confirmed",
        Disputed = "disputed",
    }
);

impl ReceivableStatus {
    pub fn confirm(self) -> Result<ReceivableStatus, TransitionError> {
        step(
            self,
            &[ReceivableStatus::Pending],
            "confirmation",
            ReceivableStatus::Confirmed,
        )
    }
    pub fn dispute(self) -> Result<ReceivableStatus, TransitionError> {
        step(
            self,
            &[ReceivableStatus::Pending],
            "a dispute",
            ReceivableStatus::Disputed,
        )
    }
}

status_enum!(
    /// A fee-subsidy claim batch (Art 28): reconciled on submission, approved by the government, paid.
    BatchStatus, "claim batch" {
        Reconciled = "reconciled",
        Approved = "approved",
        Paid = "paid",
        Withdrawn = "withdrawn",
    }
);

impl BatchStatus {
    pub fn approve(self) -> Result<BatchStatus, TransitionError> {
        step(
            self,
            &[BatchStatus::Reconciled],
            "approval",
            BatchStatus::Approved,
        )
    }
    pub fn pay(self) -> Result<BatchStatus, TransitionError> {
        step(self, &[BatchStatus::Approved], "payment", BatchStatus::Paid)
    }
    /// The agency takes a batch back before it is approved (issue 17).
    pub fn withdraw(self) -> Result<BatchStatus, TransitionError> {
        step(
            self,
            &[BatchStatus::Reconciled],
            "withdrawal",
            BatchStatus::Withdrawn,
        )
    }
    /// Approved batches count against caps, budgets and duplicates.
    pub const COUNTED: [BatchStatus; 2] = [BatchStatus::Approved, BatchStatus::Paid];
}

status_enum!(
    /// An agency's claim for the reward an agency-reward policy computes (issue 17).
    RewardStatus, "reward claim" {
        Claimed = "claimed",
        Approved = "approved",
        Paid = "paid",
    }
);

impl RewardStatus {
    pub fn approve(self) -> Result<RewardStatus, TransitionError> {
        step(
            self,
            &[RewardStatus::Claimed],
            "approval",
            RewardStatus::Approved,
        )
    }
    pub fn pay(self) -> Result<RewardStatus, TransitionError> {
        step(
            self,
            &[RewardStatus::Approved],
            "payment",
            RewardStatus::Paid,
        )
    }
}

status_enum!(
    /// A firm's remedy (Art 58, issue 21): a credit-repair application or a dispute.
    RemedyKind, "remedy kind" {
        Repair = "repair",
        Dispute = "dispute",
    }
);

status_enum!(
    /// Where a remedy stands. A repair: submitted → accepted (or not accepted) → repaired or refused.
    /// A dispute: submitted (the record marked disputed) → upheld, rejected or undecidable.
    RemedyStatus, "remedy" {
        Submitted = "submitted",
        Accepted = "accepted",
        NotAccepted = "not_accepted",
        Repaired = "repaired",
        Refused = "refused",
        Upheld = "upheld",
        Rejected = "rejected",
        Undecidable = "undecidable",
    }
);

/// What an officer does with a remedy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemedyAction {
    Accept,
    NotAccept,
    Repair,
    Refuse,
    Uphold,
    Reject,
    Undecidable,
}

impl RemedyStatus {
    /// Still waiting for the department.
    pub fn is_open(self) -> bool {
        matches!(self, RemedyStatus::Submitted | RemedyStatus::Accepted)
    }

    /// The move `action` makes on a remedy of `kind` in this status.
    pub fn after(
        self,
        kind: RemedyKind,
        action: RemedyAction,
    ) -> Result<RemedyStatus, TransitionError> {
        use RemedyAction as A;
        use RemedyStatus as S;
        match (kind, action) {
            (RemedyKind::Repair, A::Accept) => {
                step(self, &[S::Submitted], "acceptance", S::Accepted)
            }
            (RemedyKind::Repair, A::NotAccept) => {
                step(self, &[S::Submitted], "non-acceptance", S::NotAccepted)
            }
            (RemedyKind::Repair, A::Repair) => step(self, &[S::Accepted], "a repair", S::Repaired),
            (RemedyKind::Repair, A::Refuse) => step(self, &[S::Accepted], "a refusal", S::Refused),
            (RemedyKind::Dispute, A::Uphold) => step(self, &[S::Submitted], "upholding", S::Upheld),
            (RemedyKind::Dispute, A::Reject) => {
                step(self, &[S::Submitted], "a rejection", S::Rejected)
            }
            (RemedyKind::Dispute, A::Undecidable) => step(
                self,
                &[S::Submitted],
                "recording as undecidable",
                S::Undecidable,
            ),
            (kind, _) => Err(TransitionError {
                action: match kind {
                    RemedyKind::Repair => "a dispute's decision",
                    RemedyKind::Dispute => "a repair's step",
                },
                from: self.as_str(),
                needs: vec![],
            }),
        }
    }
}

into_str!(
    RemedyStatus,
    RemedyKind,
    ApplicationStatus,
    LoanStatus,
    ReceivableStatus,
    BatchStatus,
    RewardStatus
);

#[cfg(test)]
mod tests {
    use super::*;
    use ApplicationAction as A;
    use ApplicationStatus as S;

    /// Every status × action: the status it leads to, or `None` where it is refused.
    #[test]
    fn application_table() {
        let table: &[(S, [Option<S>; 7])] = &[
            //             approve          decline          withdraw          disburse          repay part        repay all       default
            (
                S::Submitted,
                [
                    Some(S::Approved),
                    Some(S::Declined),
                    Some(S::Withdrawn),
                    None,
                    None,
                    None,
                    None,
                ],
            ),
            (
                S::Approved,
                [
                    None,
                    None,
                    Some(S::Withdrawn),
                    Some(S::Disbursed),
                    None,
                    None,
                    None,
                ],
            ),
            (S::Declined, [None, None, None, None, None, None, None]),
            (S::Withdrawn, [None, None, None, None, None, None, None]),
            (
                S::Disbursed,
                [
                    None,
                    None,
                    None,
                    None,
                    Some(S::Disbursed),
                    Some(S::Repaid),
                    Some(S::Defaulted),
                ],
            ),
            (S::Repaid, [None, None, None, None, None, None, None]),
            (S::Defaulted, [None, None, None, None, None, None, None]),
        ];
        assert_eq!(table.len(), S::ALL.len());
        for (from, row) in table {
            for (action, want) in A::ALL.iter().zip(row) {
                assert_eq!(from.after(*action).ok(), *want, "{from} × {action:?}");
            }
        }
        let e = S::Repaid.after(A::Disburse).unwrap_err();
        assert_eq!(
            e.to_string(),
            "disbursement needs status approved; this one is repaid"
        );
        assert!(S::Declined.is_final() && S::Repaid.is_final() && !S::Approved.is_final());
    }

    #[test]
    fn loan_receivable_and_batch_moves() {
        use LoanStatus as L;
        assert_eq!(L::Outstanding.repay(false), Ok(L::Outstanding));
        assert_eq!(L::Outstanding.repay(true), Ok(L::Repaid));
        assert!(L::Repaid.repay(true).is_err() && L::Defaulted.default_now().is_err());
        assert_eq!(L::Outstanding.default_now(), Ok(L::Defaulted));
        use ReceivableStatus as R;
        for r in R::ALL {
            assert_eq!(r.confirm().is_ok(), *r == R::Pending);
            assert_eq!(r.dispute().is_ok(), *r == R::Pending);
        }
        use BatchStatus as B;
        assert_eq!(B::Reconciled.approve(), Ok(B::Approved));
        assert_eq!(B::Approved.pay(), Ok(B::Paid));
        assert_eq!(B::Reconciled.withdraw(), Ok(B::Withdrawn));
        for b in [B::Approved, B::Paid, B::Withdrawn] {
            assert!(b.approve().is_err());
            assert!(b.withdraw().is_err());
        }
        for b in [B::Reconciled, B::Paid, B::Withdrawn] {
            assert!(b.pay().is_err());
        }
        use RewardStatus as W;
        assert_eq!(W::Claimed.approve(), Ok(W::Approved));
        assert_eq!(W::Approved.pay(), Ok(W::Paid));
        assert!(W::Claimed.pay().is_err());
        assert!(W::Paid.approve().is_err());
        assert!(W::Approved.approve().is_err());
    }

    #[test]
    fn texts_round_trip() {
        for s in S::ALL {
            assert_eq!(S::parse(s.as_str()), Ok(*s));
        }
        for s in LoanStatus::ALL {
            assert_eq!(LoanStatus::parse(s.as_str()), Ok(*s));
        }
        assert!(BatchStatus::parse("Approved").is_err());
    }
}
