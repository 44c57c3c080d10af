//! Consent (Art 58: lawful, necessary, relevant): a firm lets one institution see its credit profile for a
//! purpose, within a scope, for a time. Shaped after the consent artefacts of mature open-data systems
//! (DOMAIN.md §10): purpose, scope, data range, frequency, data life, a status with times, instant revocation.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    CreditAssessment,
    PostLoanMonitoring,
    GuaranteeReview,
}

impl Purpose {
    pub const ALL: [Purpose; 3] = [
        Purpose::CreditAssessment,
        Purpose::PostLoanMonitoring,
        Purpose::GuaranteeReview,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::CreditAssessment => "credit_assessment",
            Purpose::PostLoanMonitoring => "post_loan_monitoring",
            Purpose::GuaranteeReview => "guarantee_review",
        }
    }
    pub fn parse(s: &str) -> Option<Purpose> {
        Purpose::ALL.into_iter().find(|p| p.as_str() == s)
    }
    pub fn keys() -> String {
        Purpose::ALL.map(Purpose::as_str).join(", ")
    }
}

/// What a consent may cover: the profile's score block and its sections.
pub const SCOPES: &[&str] = &[
    "score",
    "firm",
    "tax",
    "social_insurance",
    "utility",
    "customs",
    "public_credit",
];

/// Art 58 "necessary": a consent lasts at most a year.
pub const MAX_DAYS: i64 = 366;

/// Why a query under a consent is refused, said plainly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    None { purpose: Purpose },
    NotYetValid { id: String, from: NaiveDateTime },
    Expired { id: String, at: NaiveDateTime },
    Revoked { id: String, at: NaiveDateTime },
    QuotaUsed { id: String, limit: i64 },
    OutOfRange { id: String, months: i32 },
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::None { .. } => "consent.missing",
            Refusal::NotYetValid { .. } => "consent.not_yet_valid",
            Refusal::Expired { .. } => "consent.expired",
            Refusal::Revoked { .. } => "consent.revoked",
            Refusal::QuotaUsed { .. } => "consent.frequency",
            Refusal::OutOfRange { .. } => "consent.data_range",
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let t = |x: &NaiveDateTime| super::rfc3339(*x);
        match self {
            Refusal::None { purpose } => write!(
                f,
                "no consent from this firm for {} is on record for your institution",
                purpose.as_str()
            ),
            Refusal::NotYetValid { id, from } => {
                write!(f, "consent {id} is valid only from {}", t(from))
            }
            Refusal::Expired { id, at } => write!(f, "consent {id} expired at {}", t(at)),
            Refusal::Revoked { id, at } => {
                write!(f, "consent {id} was revoked by the firm at {}", t(at))
            }
            Refusal::QuotaUsed { id, limit } => {
                write!(f, "consent {id} allows {limit} queries a month, all used")
            }
            Refusal::OutOfRange { id, months } => write!(
                f,
                "consent {id} covers only the last {months} months of data"
            ),
        }
    }
}

/// The lifecycle state of a consent at `now`.
pub fn status(
    valid_from: NaiveDateTime,
    expires_at: NaiveDateTime,
    revoked_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> &'static str {
    match revoked_at {
        Some(_) => "revoked",
        None if now >= expires_at => "expired",
        None if now < valid_from => "pending",
        None => "active",
    }
}

/// Whether `as_of` (a month's first day) lies within the consent's data range ending at `today`.
pub fn within_range(data_months: i32, as_of: NaiveDate, today: NaiveDate) -> bool {
    let earliest = today
        .checked_sub_months(chrono::Months::new(data_months.max(0) as u32))
        .unwrap_or(today);
    as_of >= earliest
}
