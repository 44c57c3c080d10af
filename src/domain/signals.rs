//! The canonical credit-signal model (Art 26, DOMAIN.md §3): per firm, source, kind and period one value;
//! and the validation that turns a raw row into a signal or into the reasons it was quarantined.

use super::money::Money;
use super::public_credit::{self, Severity};
use super::uscc::Uscc;
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Tax,
    SocialInsurance,
    Utility,
    Customs,
    PublicCredit,
    /// Government procurement awards (Art 49): what the statistics read, not a credit indicator.
    Procurement,
}

impl Source {
    pub const ALL: [Source; 6] = [
        Source::Tax,
        Source::SocialInsurance,
        Source::Utility,
        Source::Customs,
        Source::PublicCredit,
        Source::Procurement,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Tax => "tax",
            Source::SocialInsurance => "social_insurance",
            Source::Utility => "utility",
            Source::Customs => "customs",
            Source::PublicCredit => "public_credit",
            Source::Procurement => "procurement",
        }
    }
    pub fn parse(s: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|x| x.as_str() == s)
    }
    pub fn keys() -> String {
        Source::ALL.map(Source::as_str).join(", ")
    }
}

/// What a kind's value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    /// Yuan, exact to the fen, not negative.
    Money,
    /// A whole number, not negative (persons, months, days).
    Count,
    /// A decimal quantity, not negative (kWh, m³).
    Quantity,
    /// One code of a closed list.
    Code(&'static [&'static str]),
    /// A dated record (listing, penalty) with its authority; no value.
    Event,
    /// A procurement award: the amount (the value), the project's budget, whether it was reserved for
    /// SMEs, the buyer (the authority), the award date (the start date), keyed by the project's number.
    Award,
}

/// What a kind's period is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodType {
    Month,
    Year,
    /// The month of the event's start date.
    EventStart,
}

#[derive(Debug, Clone, Copy)]
pub struct KindSpec {
    pub key: &'static str,
    pub source: Source,
    pub value: ValueType,
    pub period: PeriodType,
    pub description: &'static str,
}

pub const TAX_GRADES: &[&str] = &["A", "B", "M", "C", "D"];
pub const CUSTOMS_CLASSES: &[&str] = &["advanced_certified", "general", "dishonest"];

/// DOMAIN.md §3, one line per kind.
pub const KINDS: &[KindSpec] = &[
    KindSpec {
        key: "tax_grade",
        source: Source::Tax,
        value: ValueType::Code(TAX_GRADES),
        period: PeriodType::Year,
        description: "yearly tax credit grade (纳税信用等级) A/B/M/C/D",
    },
    KindSpec {
        key: "tax_paid",
        source: Source::Tax,
        value: ValueType::Money,
        period: PeriodType::Month,
        description: "tax paid in the month, yuan",
    },
    KindSpec {
        key: "invoiced_revenue",
        source: Source::Tax,
        value: ValueType::Money,
        period: PeriodType::Month,
        description: "invoiced revenue (开票收入) in the month, yuan",
    },
    KindSpec {
        key: "tax_arrears",
        source: Source::Tax,
        value: ValueType::Money,
        period: PeriodType::Month,
        description: "tax arrears outstanding at month end, yuan",
    },
    KindSpec {
        key: "insured_headcount",
        source: Source::SocialInsurance,
        value: ValueType::Count,
        period: PeriodType::Month,
        description: "persons insured in the month",
    },
    KindSpec {
        key: "contributions_paid",
        source: Source::SocialInsurance,
        value: ValueType::Money,
        period: PeriodType::Month,
        description: "social-insurance contributions paid, yuan",
    },
    KindSpec {
        key: "si_arrears_months",
        source: Source::SocialInsurance,
        value: ValueType::Count,
        period: PeriodType::Month,
        description: "months of contributions in arrears",
    },
    KindSpec {
        key: "electricity_kwh",
        source: Source::Utility,
        value: ValueType::Quantity,
        period: PeriodType::Month,
        description: "electricity consumed, kWh",
    },
    KindSpec {
        key: "water_m3",
        source: Source::Utility,
        value: ValueType::Quantity,
        period: PeriodType::Month,
        description: "water consumed, m³",
    },
    KindSpec {
        key: "gas_m3",
        source: Source::Utility,
        value: ValueType::Quantity,
        period: PeriodType::Month,
        description: "gas consumed, m³",
    },
    KindSpec {
        key: "utility_billed",
        source: Source::Utility,
        value: ValueType::Money,
        period: PeriodType::Month,
        description: "utility bills issued in the month, yuan",
    },
    KindSpec {
        key: "utility_days_late",
        source: Source::Utility,
        value: ValueType::Count,
        period: PeriodType::Month,
        description: "days the month's bills were paid late",
    },
    KindSpec {
        key: "customs_class",
        source: Source::Customs,
        value: ValueType::Code(CUSTOMS_CLASSES),
        period: PeriodType::Month,
        description: "customs enterprise credit class",
    },
    KindSpec {
        key: "import_value",
        source: Source::Customs,
        value: ValueType::Money,
        period: PeriodType::Month,
        description: "imports declared in the month, yuan",
    },
    KindSpec {
        key: "export_value",
        source: Source::Customs,
        value: ValueType::Money,
        period: PeriodType::Month,
        description: "exports declared in the month, yuan",
    },
    KindSpec {
        key: "dishonesty_listing",
        source: Source::PublicCredit,
        value: ValueType::Event,
        period: PeriodType::EventStart,
        description: "dishonesty listing (失信名单)",
    },
    KindSpec {
        key: "administrative_penalty",
        source: Source::PublicCredit,
        value: ValueType::Event,
        period: PeriodType::EventStart,
        description: "administrative penalty (行政处罚)",
    },
    KindSpec {
        key: "procurement_award",
        source: Source::Procurement,
        value: ValueType::Award,
        period: PeriodType::EventStart,
        description: "government procurement award (中标), yuan, with the project's budget and whether it was reserved for SMEs",
    },
];

pub fn kind(key: &str) -> Option<&'static KindSpec> {
    KINDS.iter().find(|k| k.key == key)
}

/// A row as it arrives from a file, an API call or a connector's mapping: every field text, unchecked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRow {
    pub uscc: Option<String>,
    pub kind: Option<String>,
    /// `YYYY-MM` (monthly kinds) or `YYYY` (yearly kinds); events take it from `start_date`.
    pub period: Option<String>,
    pub value: Option<String>,
    /// The source's own id of the record (required for events).
    pub record_id: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub authority: Option<String>,
    /// Credit repair (信用修复, Art 58): from this date the record stops counting.
    pub repaired_on: Option<String>,
    /// Procurement awards: the project's budget, yuan.
    #[serde(default)]
    pub budget: Option<String>,
    /// Procurement awards: `true` (reserved for SMEs, 专门面向中小企业) or `false`; absent when unsaid.
    #[serde(default)]
    pub reserved_for_smes: Option<String>,
    /// Public credit (Art 58): the record's category, one of the closed list (`public_credit.toml`).
    #[serde(default)]
    pub category: Option<String>,
    /// Public credit: `minor`, `general` or `serious` (fixed by the category for listings).
    #[serde(default)]
    pub severity: Option<String>,
    /// Public credit: the law or rule the decision rests on.
    #[serde(default)]
    pub legal_basis: Option<String>,
}

/// A validated value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Money(Money),
    Count(i64),
    Quantity(Decimal),
    Code(&'static str),
    Event {
        start: NaiveDate,
        end: Option<NaiveDate>,
        authority: String,
        repaired_on: Option<NaiveDate>,
        /// The category of the closed list (Art 58).
        category: &'static str,
        severity: Severity,
        legal_basis: String,
    },
    Award {
        amount: Money,
        budget: Money,
        reserved: Option<bool>,
        buyer: String,
        awarded_on: NaiveDate,
    },
}

/// A validated signal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signal {
    pub uscc: Uscc,
    pub source: Source,
    pub kind: &'static str,
    /// `YYYY-MM` or `YYYY`.
    pub period: String,
    /// Distinguishes several events of one kind in one month: the record id; empty for periodic kinds.
    pub event_key: String,
    pub value: Value,
    pub record_id: Option<String>,
}

/// Why a row was quarantined: a stable code and the words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    pub code: String,
    pub message: String,
}

impl Reason {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Reason {
            code: code.to_string(),
            message: message.into(),
        }
    }
}

fn date(field: &str, s: &str, reasons: &mut Vec<Reason>) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| {
            reasons.push(Reason::new(
                "bad_date",
                format!("{field} '{s}' is not a date YYYY-MM-DD"),
            ))
        })
        .ok()
}

fn parse_month(s: &str) -> Option<NaiveDate> {
    let (y, m) = s.split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, 1)
}

/// Art 58: a public-credit record counts only in a category of the closed list, of its kind, with its
/// severity and its own legal basis; the category's key, the severity and the basis, or the faults.
fn listed_category(
    kind: &str,
    raw: &RawRow,
    reasons: &mut Vec<Reason>,
) -> Option<(&'static str, Severity, String)> {
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let category = match text(&raw.category) {
        None => {
            reasons.push(Reason::new(
                "unlisted_dishonesty_kind",
                "category is missing: only the listed public-credit categories count (Art 58)",
            ));
            None
        }
        Some(c) => match public_credit::category(&c) {
            None => {
                reasons.push(Reason::new(
                    "unlisted_dishonesty_kind",
                    format!("'{c}' is not a listed public-credit category (Art 58)"),
                ));
                None
            }
            Some(cat) if cat.kind != kind => {
                reasons.push(Reason::new(
                    "category_kind_mismatch",
                    format!("category '{c}' is recorded as {}, not {kind}", cat.kind),
                ));
                None
            }
            Some(cat) => Some(cat),
        },
    };
    let said = match text(&raw.severity) {
        None => None,
        Some(s) => match Severity::parse(&s) {
            Some(v) => Some(v),
            None => {
                reasons.push(Reason::new(
                    "bad_severity",
                    format!("severity '{s}' is not minor, general or serious"),
                ));
                return None;
            }
        },
    };
    let legal_basis = text(&raw.legal_basis);
    if legal_basis.is_none() {
        reasons.push(Reason::new(
            "missing_legal_basis",
            "legal_basis is missing: a record without its legal basis is refused (Art 58)",
        ));
    }
    let cat = category?;
    let severity = match (cat.severity, said) {
        (Some(fixed), Some(s)) if fixed != s => {
            reasons.push(Reason::new(
                "severity_mismatch",
                format!(
                    "category '{}' is always {}, not {}",
                    cat.key,
                    fixed.as_str(),
                    s.as_str()
                ),
            ));
            return None;
        }
        (Some(fixed), _) => fixed,
        (None, Some(s)) => s,
        (None, None) => {
            reasons.push(Reason::new(
                "missing_severity",
                format!("category '{}' needs the record's severity", cat.key),
            ));
            return None;
        }
    };
    Some((cat.key.as_str(), severity, legal_basis?))
}

/// Validate a raw row for `source`, as of `today` (China Standard Time). Every fault is collected.
pub fn validate(raw: &RawRow, source: Source, today: NaiveDate) -> Result<Signal, Vec<Reason>> {
    let mut reasons = Vec::new();
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let uscc = match text(&raw.uscc) {
        None => {
            reasons.push(Reason::new("missing_uscc", "uscc is missing"));
            None
        }
        Some(u) => Uscc::parse(&u)
            .map_err(|e| reasons.push(Reason::new("bad_uscc", format!("uscc '{u}': {e}"))))
            .ok(),
    };
    let spec = match text(&raw.kind) {
        None => {
            reasons.push(Reason::new("missing_kind", "kind is missing"));
            None
        }
        Some(k) => match kind(&k) {
            // Art 58: what counts as dishonesty is a closed list; nothing outside it is stored.
            None if source == Source::PublicCredit => {
                reasons.push(Reason::new(
                    "unlisted_dishonesty_kind",
                    format!("'{k}' is not a listed public-credit record kind"),
                ));
                None
            }
            None => {
                reasons.push(Reason::new(
                    "unknown_kind",
                    format!("'{k}' is not a signal kind"),
                ));
                None
            }
            Some(s) if s.source != source => {
                reasons.push(Reason::new(
                    "wrong_source",
                    format!(
                        "kind '{k}' belongs to source {}, not {}",
                        s.source.as_str(),
                        source.as_str()
                    ),
                ));
                None
            }
            Some(s) => Some(s),
        },
    };
    let record_id = text(&raw.record_id);
    let this_month = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
    let mut result = None;
    if let Some(spec) = spec {
        let value_text = text(&raw.value);
        let value = match spec.value {
            ValueType::Event => {
                if value_text.is_some() {
                    reasons.push(Reason::new(
                        "unexpected_value",
                        format!("{} records carry no value", spec.key),
                    ));
                }
                let start = match text(&raw.start_date) {
                    Some(s) => date("start_date", &s, &mut reasons),
                    None => {
                        reasons.push(Reason::new("missing_start_date", "start_date is missing"));
                        None
                    }
                };
                let end = text(&raw.end_date).and_then(|s| date("end_date", &s, &mut reasons));
                let repaired =
                    text(&raw.repaired_on).and_then(|s| date("repaired_on", &s, &mut reasons));
                let authority = text(&raw.authority);
                if authority.is_none() {
                    reasons.push(Reason::new("missing_authority", "authority is missing"));
                }
                if record_id.is_none() {
                    reasons.push(Reason::new(
                        "missing_record_id",
                        "record_id is missing (events are keyed by it)",
                    ));
                }
                if let Some(s) = start {
                    if s > today {
                        reasons.push(Reason::new(
                            "future_date",
                            format!("start_date {s} is in the future"),
                        ));
                    }
                    if end.is_some_and(|e| e < s) {
                        reasons.push(Reason::new(
                            "end_before_start",
                            "end_date is before start_date",
                        ));
                    }
                    if repaired.is_some_and(|r| r < s) {
                        reasons.push(Reason::new(
                            "repair_before_start",
                            "repaired_on is before start_date",
                        ));
                    }
                }
                if repaired.is_some_and(|r| r > today) {
                    reasons.push(Reason::new("future_date", "repaired_on is in the future"));
                }
                let listed = listed_category(spec.key, raw, &mut reasons);
                match (start, authority, listed) {
                    (Some(start), Some(authority), Some((category, severity, legal_basis))) => {
                        Some(Value::Event {
                            start,
                            end,
                            authority,
                            repaired_on: repaired,
                            category,
                            severity,
                            legal_basis,
                        })
                    }
                    _ => None,
                }
            }
            ValueType::Award => {
                let money = |field: &str, v: Option<String>, reasons: &mut Vec<Reason>| match v {
                    None => {
                        reasons.push(Reason::new(
                            &format!("missing_{field}"),
                            format!("{field} is missing"),
                        ));
                        None
                    }
                    Some(v) => match parse_value(ValueType::Money, &v, field, reasons) {
                        Some(Value::Money(m)) => Some(m),
                        _ => None,
                    },
                };
                let amount = money("value", value_text, &mut reasons);
                let budget = money("budget", text(&raw.budget), &mut reasons);
                let reserved = match text(&raw.reserved_for_smes).as_deref() {
                    None => None,
                    Some(r) => match crate::domain::signals::yes_no(r) {
                        Some(b) => Some(b),
                        None => {
                            reasons.push(Reason::new(
                                "bad_flag",
                                format!("reserved_for_smes '{r}' is not true or false"),
                            ));
                            None
                        }
                    },
                };
                let buyer = text(&raw.authority);
                if buyer.is_none() {
                    reasons.push(Reason::new(
                        "missing_authority",
                        "authority (the buyer) is missing",
                    ));
                }
                if record_id.is_none() {
                    reasons.push(Reason::new(
                        "missing_record_id",
                        "record_id (the project's number) is missing; awards are keyed by it",
                    ));
                }
                let on = match text(&raw.start_date) {
                    Some(s) => date("start_date", &s, &mut reasons),
                    None => {
                        reasons.push(Reason::new(
                            "missing_start_date",
                            "start_date (the award date) is missing",
                        ));
                        None
                    }
                };
                if on.is_some_and(|d| d > today) {
                    reasons.push(Reason::new(
                        "future_date",
                        "start_date (the award date) is in the future",
                    ));
                }
                match (amount, budget, buyer, on) {
                    (Some(amount), Some(budget), Some(buyer), Some(awarded_on)) => {
                        Some(Value::Award {
                            amount,
                            budget,
                            reserved,
                            buyer,
                            awarded_on,
                        })
                    }
                    _ => None,
                }
            }
            vt => match value_text {
                None => {
                    reasons.push(Reason::new("missing_value", "value is missing"));
                    None
                }
                Some(v) => parse_value(vt, &v, spec.key, &mut reasons),
            },
        };
        let period = match spec.period {
            PeriodType::EventStart => match &value {
                Some(Value::Event { start, .. })
                | Some(Value::Award {
                    awarded_on: start, ..
                }) => Some(format!("{:04}-{:02}", start.year(), start.month())),
                _ => None,
            },
            PeriodType::Month => match text(&raw.period) {
                None => {
                    reasons.push(Reason::new("missing_period", "period is missing (YYYY-MM)"));
                    None
                }
                Some(p) => match parse_month(&p) {
                    None => {
                        reasons.push(Reason::new(
                            "bad_period",
                            format!("period '{p}' is not a month YYYY-MM"),
                        ));
                        None
                    }
                    Some(m) if m > this_month => {
                        reasons.push(Reason::new(
                            "future_period",
                            format!("period {p} is in the future"),
                        ));
                        None
                    }
                    Some(_) => Some(p),
                },
            },
            PeriodType::Year => match text(&raw.period) {
                None => {
                    reasons.push(Reason::new("missing_period", "period is missing (YYYY)"));
                    None
                }
                Some(p) => match p.parse::<i32>().ok().filter(|y| p.len() == 4 && *y >= 1900) {
                    None => {
                        reasons.push(Reason::new(
                            "bad_period",
                            format!("period '{p}' is not a year YYYY"),
                        ));
                        None
                    }
                    Some(y) if y > today.year() => {
                        reasons.push(Reason::new(
                            "future_period",
                            format!("period {p} is in the future"),
                        ));
                        None
                    }
                    Some(_) => Some(p),
                },
            },
        };
        if let (Some(value), Some(period)) = (value, period) {
            let event_key = if matches!(spec.value, ValueType::Event | ValueType::Award) {
                record_id.clone().unwrap_or_default()
            } else {
                String::new()
            };
            result = Some((spec, value, period, event_key));
        }
    }
    match (uscc, result) {
        (Some(uscc), Some((spec, value, period, event_key))) if reasons.is_empty() => Ok(Signal {
            uscc,
            source,
            kind: spec.key,
            period,
            event_key,
            value,
            record_id,
        }),
        _ => Err(reasons),
    }
}

/// `true`/`false`, `1`/`0`, `yes`/`no`, `是`/`否`.
pub fn yes_no(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "y" | "是" => Some(true),
        "false" | "0" | "no" | "n" | "否" => Some(false),
        _ => None,
    }
}

fn parse_value(vt: ValueType, v: &str, kind: &str, reasons: &mut Vec<Reason>) -> Option<Value> {
    match vt {
        ValueType::Money => match Money::parse(v) {
            Ok(m) if m.fen() < 0 => {
                reasons.push(Reason::new(
                    "negative_amount",
                    format!("{kind} {v} is negative"),
                ));
                None
            }
            Ok(m) => Some(Value::Money(m)),
            Err(e) => {
                reasons.push(Reason::new("bad_amount", format!("{kind} '{v}' {e}")));
                None
            }
        },
        ValueType::Count => match v.parse::<i64>() {
            Ok(n) if n < 0 => {
                reasons.push(Reason::new(
                    "negative_amount",
                    format!("{kind} {v} is negative"),
                ));
                None
            }
            Ok(n) => Some(Value::Count(n)),
            Err(_) => {
                reasons.push(Reason::new(
                    "bad_number",
                    format!("{kind} '{v}' is not a whole number"),
                ));
                None
            }
        },
        ValueType::Quantity => match v.parse::<Decimal>() {
            Ok(d) if d.is_sign_negative() && !d.is_zero() => {
                reasons.push(Reason::new(
                    "negative_amount",
                    format!("{kind} {v} is negative"),
                ));
                None
            }
            Ok(d) => Some(Value::Quantity(d.normalize())),
            Err(_) => {
                reasons.push(Reason::new(
                    "bad_number",
                    format!("{kind} '{v}' is not a decimal number"),
                ));
                None
            }
        },
        ValueType::Code(codes) => match codes.iter().find(|c| c.eq_ignore_ascii_case(v)) {
            Some(c) => Some(Value::Code(c)),
            None => {
                reasons.push(Reason::new(
                    "unknown_code",
                    format!("{kind} '{v}' is not one of {}", codes.join(", ")),
                ));
                None
            }
        },
        ValueType::Event | ValueType::Award => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
    }
    fn row(kind: &str, period: &str, value: &str) -> RawRow {
        RawRow {
            uscc: Some("91110000600037341L".into()),
            kind: Some(kind.into()),
            period: Some(period.into()),
            value: Some(value.into()),
            ..Default::default()
        }
    }
    fn codes(r: Result<Signal, Vec<Reason>>) -> Vec<String> {
        r.err()
            .unwrap_or_default()
            .into_iter()
            .map(|r| r.code)
            .collect()
    }

    #[test]
    fn valid_rows() {
        let s = validate(&row("tax_paid", "2026-10", "1234.50"), Source::Tax, today()).unwrap();
        assert_eq!(s.value, Value::Money(Money::from_fen(123450)));
        assert_eq!(s.period, "2026-10");
        let s = validate(&row("tax_grade", "2025", "b"), Source::Tax, today()).unwrap();
        assert_eq!(s.value, Value::Code("B"));
        let s = validate(
            &row("electricity_kwh", "2026-11", "1200.50"),
            Source::Utility,
            today(),
        )
        .unwrap();
        assert_eq!(s.value, Value::Quantity("1200.5".parse().unwrap()));
        let ev = RawRow {
            uscc: Some("91110000600037341L".into()),
            kind: Some("administrative_penalty".into()),
            record_id: Some("P-1".into()),
            start_date: Some("2025-03-04".into()),
            authority: Some("上海市市场监督管理局".into()),
            repaired_on: Some("2025-09-01".into()),
            category: Some("market_penalty".into()),
            severity: Some("general".into()),
            legal_basis: Some("《中华人民共和国行政处罚法》第二十八条".into()),
            ..Default::default()
        };
        let s = validate(&ev, Source::PublicCredit, today()).unwrap();
        assert_eq!(
            (s.period.as_str(), s.event_key.as_str()),
            ("2025-03", "P-1")
        );
        assert!(matches!(
            s.value,
            Value::Event {
                category: "market_penalty",
                severity: Severity::General,
                ..
            }
        ));
    }

    #[test]
    fn every_fault_is_named() {
        let t = today();
        assert_eq!(
            codes(validate(&RawRow::default(), Source::Tax, t)),
            ["missing_uscc", "missing_kind"]
        );
        let mut r = row("tax_paid", "2026-10", "1");
        r.uscc = Some("91110000600037341M".into());
        assert_eq!(codes(validate(&r, Source::Tax, t)), ["bad_uscc"]);
        assert_eq!(
            codes(validate(&row("tax_paid", "2026-10", "-1"), Source::Tax, t)),
            ["negative_amount"]
        );
        assert_eq!(
            codes(validate(
                &row("tax_paid", "2026-10", "1.001"),
                Source::Tax,
                t
            )),
            ["bad_amount"]
        );
        assert_eq!(
            codes(validate(&row("tax_paid", "2026-12", "1"), Source::Tax, t)),
            ["future_period"]
        );
        assert_eq!(
            codes(validate(&row("tax_paid", "2026-13", "1"), Source::Tax, t)),
            ["bad_period"]
        );
        assert_eq!(
            codes(validate(&row("tax_grade", "2027", "A"), Source::Tax, t)),
            ["future_period"]
        );
        assert_eq!(
            codes(validate(&row("tax_grade", "2025", "E"), Source::Tax, t)),
            ["unknown_code"]
        );
        assert_eq!(
            codes(validate(&row("vat", "2025-01", "1"), Source::Tax, t)),
            ["unknown_kind"]
        );
        assert_eq!(
            codes(validate(&row("water_m3", "2025-01", "1"), Source::Tax, t)),
            ["wrong_source"]
        );
        assert_eq!(
            codes(validate(
                &row("insured_headcount", "2025-01", "3.5"),
                Source::SocialInsurance,
                t
            )),
            ["bad_number"]
        );
        let ev = RawRow {
            uscc: Some("91110000600037341L".into()),
            kind: Some("dishonesty_listing".into()),
            start_date: Some("2027-01-01".into()),
            ..Default::default()
        };
        assert_eq!(
            codes(validate(&ev, Source::PublicCredit, t)),
            [
                "missing_authority",
                "missing_record_id",
                "future_date",
                "unlisted_dishonesty_kind",
                "missing_legal_basis"
            ]
        );
    }

    /// Art 58: never widen what counts as dishonesty.
    #[test]
    fn only_listed_public_credit_records_with_a_basis_count() {
        let t = today();
        let listing = |category: &str, severity: Option<&str>, basis: Option<&str>| RawRow {
            uscc: Some("91110000600037341L".into()),
            kind: Some("dishonesty_listing".into()),
            record_id: Some("L-1".into()),
            start_date: Some("2026-01-04".into()),
            authority: Some("国家税务总局上海市税务局".into()),
            category: Some(category.into()),
            severity: severity.map(Into::into),
            legal_basis: basis.map(Into::into),
            ..Default::default()
        };
        let basis = Some("《重大税收违法失信主体信息公布管理办法》第六条");
        // A listed category takes its fixed severity.
        let s = validate(
            &listing("tax_major_violation", None, basis),
            Source::PublicCredit,
            t,
        );
        assert!(matches!(
            s.unwrap().value,
            Value::Event {
                severity: Severity::Serious,
                ..
            }
        ));
        assert_eq!(
            codes(validate(
                &listing("bad_debtor_blacklist", None, basis),
                Source::PublicCredit,
                t
            )),
            ["unlisted_dishonesty_kind"]
        );
        assert_eq!(
            codes(validate(
                &listing("tax_major_violation", None, None),
                Source::PublicCredit,
                t
            )),
            ["missing_legal_basis"]
        );
        assert_eq!(
            codes(validate(
                &listing("tax_penalty", None, basis),
                Source::PublicCredit,
                t
            )),
            ["category_kind_mismatch"]
        );
        assert_eq!(
            codes(validate(
                &listing("tax_major_violation", Some("minor"), basis),
                Source::PublicCredit,
                t
            )),
            ["severity_mismatch"]
        );
        let mut no_authority = listing("tax_major_violation", None, basis);
        no_authority.authority = None;
        assert_eq!(
            codes(validate(&no_authority, Source::PublicCredit, t)),
            ["missing_authority"]
        );
        // A penalty needs its own severity.
        let mut penalty = listing("tax_penalty", None, basis);
        penalty.kind = Some("administrative_penalty".into());
        assert_eq!(
            codes(validate(&penalty, Source::PublicCredit, t)),
            ["missing_severity"]
        );
        penalty.severity = Some("grave".into());
        assert_eq!(
            codes(validate(&penalty, Source::PublicCredit, t)),
            ["bad_severity"]
        );
        // A kind of record outside the list is quarantined as such, not as an unknown kind.
        let mut other = penalty.clone();
        other.kind = Some("bad_credit_rumour".into());
        assert_eq!(
            codes(validate(&other, Source::PublicCredit, t)),
            ["unlisted_dishonesty_kind"]
        );
    }
}
