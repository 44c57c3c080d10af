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
    None {
        purpose: Purpose,
    },
    /// Registered by the institution, not yet confirmed by the firm (or verified by an officer).
    Unconfirmed {
        id: String,
    },
    /// The firm refused to confirm it.
    RefusedByFirm {
        id: String,
    },
    NotYetValid {
        id: String,
        from: NaiveDateTime,
    },
    Expired {
        id: String,
        at: NaiveDateTime,
    },
    Revoked {
        id: String,
        at: NaiveDateTime,
    },
    QuotaUsed {
        id: String,
        limit: i64,
    },
    OutOfRange {
        id: String,
        months: i32,
    },
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::None { .. } => "consent.missing",
            Refusal::Unconfirmed { .. } => "consent.pending",
            Refusal::RefusedByFirm { .. } => "consent.refused",
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
            Refusal::Unconfirmed { id } => write!(
                f,
                "consent {id} awaits the firm's confirmation (or a government officer's check of the signed document)"
            ),
            Refusal::RefusedByFirm { id } => {
                write!(f, "the firm refused to confirm consent {id}")
            }
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

/// Where a consent stands at an instant (Art 58: only the firm's own act makes it live).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Registered by an institution; waits for the firm to confirm it (or an officer to verify the paper).
    Pending,
    /// The firm refused to confirm it.
    Refused,
    /// Confirmed, but its validity starts later.
    Scheduled,
    Active,
    Expired,
    Revoked,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Refused => "refused",
            Status::Scheduled => "scheduled",
            Status::Active => "active",
            Status::Expired => "expired",
            Status::Revoked => "revoked",
        }
    }
}

/// The stamps a consent's status is read from.
#[derive(Debug, Clone, Copy)]
pub struct Stamps {
    pub confirmed: bool,
    pub refused: bool,
    pub valid_from: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

/// The lifecycle state of a consent at `now`.
pub fn status(s: Stamps, now: NaiveDateTime) -> Status {
    match s {
        Stamps {
            revoked_at: Some(_),
            ..
        } => Status::Revoked,
        Stamps { refused: true, .. } => Status::Refused,
        _ if now >= s.expires_at => Status::Expired,
        Stamps {
            confirmed: false, ..
        } => Status::Pending,
        _ if now < s.valid_from => Status::Scheduled,
        _ => Status::Active,
    }
}

/// Whether `as_of` (a month's first day) lies within the consent's data range ending at `today`.
pub fn within_range(data_months: i32, as_of: NaiveDate, today: NaiveDate) -> bool {
    let earliest = today
        .checked_sub_months(chrono::Months::new(data_months.max(0) as u32))
        .unwrap_or(today);
    as_of >= earliest
}

#[cfg(test)]
mod status_tests {
    use super::*;

    #[test]
    fn only_a_confirmed_consent_in_its_window_is_active() {
        let t = |h: u32| {
            chrono::NaiveDate::from_ymd_opt(2026, 12, 1)
                .and_then(|d| d.and_hms_opt(h, 0, 0))
                .expect("valid instant")
        };
        let base = Stamps {
            confirmed: true,
            refused: false,
            valid_from: t(2),
            expires_at: t(10),
            revoked_at: None,
        };
        let cases = [
            (base, t(5), Status::Active),
            (base, t(1), Status::Scheduled),
            (base, t(10), Status::Expired),
            (
                Stamps {
                    confirmed: false,
                    ..base
                },
                t(5),
                Status::Pending,
            ),
            (
                Stamps {
                    confirmed: false,
                    ..base
                },
                t(11),
                Status::Expired,
            ),
            (
                Stamps {
                    refused: true,
                    confirmed: false,
                    ..base
                },
                t(5),
                Status::Refused,
            ),
            (
                Stamps {
                    revoked_at: Some(t(4)),
                    ..base
                },
                t(5),
                Status::Revoked,
            ),
            (
                Stamps {
                    revoked_at: Some(t(4)),
                    ..base
                },
                t(11),
                Status::Revoked,
            ),
        ];
        for (stamps, now, want) in cases {
            assert_eq!(status(stamps, now), want, "{stamps:?} at {now}");
        }
    }
}
