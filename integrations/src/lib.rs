//! Connectors for the upstream credit-data sources of Art 26 (DOMAIN.md §3): one module per source with its
//! wire types (the source's own field names and codes) and their mapping to canonical signal rows; a
//! `reqwest` client that pulls incrementally (token, keyset paging on a `since` cursor, retries with
//! exponential backoff and jitter); and a simulator that serves every source's wire format over real HTTP.

pub mod client;
pub mod customs;
pub mod procurement;
pub mod public_credit;
pub mod simulator;
pub mod social_insurance;
pub mod tax;
pub mod utility;

use serde::{Deserialize, Serialize};

/// The five upstream sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceId {
    Tax,
    SocialInsurance,
    Utility,
    Customs,
    PublicCredit,
    Procurement,
}

impl SourceId {
    pub const ALL: [SourceId; 6] = [
        SourceId::Tax,
        SourceId::SocialInsurance,
        SourceId::Utility,
        SourceId::Customs,
        SourceId::PublicCredit,
        SourceId::Procurement,
    ];
    /// The canonical source name (as credithub's signals use it).
    pub fn name(self) -> &'static str {
        match self {
            SourceId::Tax => "tax",
            SourceId::SocialInsurance => "social_insurance",
            SourceId::Utility => "utility",
            SourceId::Customs => "customs",
            SourceId::PublicCredit => "public_credit",
            SourceId::Procurement => "procurement",
        }
    }
    pub fn parse(s: &str) -> Option<SourceId> {
        SourceId::ALL.into_iter().find(|x| x.name() == s)
    }
    /// The upstream's path for its records.
    pub fn path(self) -> &'static str {
        match self {
            SourceId::Tax => "/tax/api/v1/nsxx",
            SourceId::SocialInsurance => "/si/v2/contributions",
            SourceId::Utility => "/utility/v1/bills",
            SourceId::Customs => "/customs/v1/credit",
            SourceId::PublicCredit => "/credit/v1/records",
            SourceId::Procurement => "/procurement/v1/awards",
        }
    }
    /// Map one wire record (as JSON) to canonical rows, or say why it cannot be read.
    pub fn map(self, record: &serde_json::Value) -> Result<Vec<CanonicalRow>, String> {
        fn go<T: serde::de::DeserializeOwned>(
            v: &serde_json::Value,
            f: fn(T) -> Vec<CanonicalRow>,
        ) -> Result<Vec<CanonicalRow>, String> {
            serde_json::from_value::<T>(v.clone())
                .map(f)
                .map_err(|e| format!("unreadable record: {e}"))
        }
        match self {
            SourceId::Tax => go(record, tax::map),
            SourceId::SocialInsurance => go(record, social_insurance::map),
            SourceId::Utility => go(record, utility::map),
            SourceId::Customs => go(record, customs::map),
            SourceId::PublicCredit => go(record, public_credit::map),
            SourceId::Procurement => go(record, procurement::map),
        }
    }
}

/// A canonical signal row, every field text: credithub validates it (and quarantines what fails).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CanonicalRow {
    pub uscc: Option<String>,
    pub kind: Option<String>,
    pub period: Option<String>,
    pub value: Option<String>,
    pub record_id: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub authority: Option<String>,
    pub repaired_on: Option<String>,
    /// Procurement awards: the project's budget, yuan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<String>,
    /// Procurement awards: `true` when the project was reserved for SMEs, `false` when open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserved_for_smes: Option<String>,
    /// Public credit (Art 58): the record's category of the closed list, its severity, its legal basis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_basis: Option<String>,
}

impl CanonicalRow {
    pub fn periodic(
        uscc: &str,
        kind: &str,
        period: &str,
        value: impl Into<String>,
        record_id: &str,
    ) -> Self {
        CanonicalRow {
            uscc: Some(uscc.to_string()),
            kind: Some(kind.to_string()),
            period: Some(period.to_string()),
            value: Some(value.into()),
            record_id: Some(record_id.to_string()),
            ..Default::default()
        }
    }
}

/// `YYYYMM` → `YYYY-MM`; anything else is passed on unchanged for validation to reject.
pub fn month_dash(yyyymm: &str) -> String {
    if yyyymm.len() == 6 && yyyymm.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}-{}", &yyyymm[..4], &yyyymm[4..])
    } else {
        yyyymm.to_string()
    }
}

/// One page as every simulated upstream sends it: records after `since`, in order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Envelope {
    pub records: Vec<serde_json::Value>,
    /// Pass back as `since` for the next page; also the cursor to persist.
    pub next_since: String,
    pub has_more: bool,
}
