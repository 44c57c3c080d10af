//! Financing products and matching (Art 21, 27-30, 37): a product's eligibility is a list of typed rules
//! (data, not code); matching checks a firm against every product, prices the ones it qualifies for by
//! their all-in annual cost, and explains the ones it misses by one or two rules.

use super::district::parse_district;
use super::grade::{Grade, TaxGrade};
use super::money::Money;
use super::rate::{Rate, RateError, Ratio};
use super::size_class::SizeClass;
use super::subsidy::{self, Cap, Contract, Drawn, Policy, SchemeKind};
use chrono::NaiveDate;
use rust_decimal::prelude::*;
use serde::{Deserialize, Serialize};

/// A product failed by at most this many rules is a near miss, explained to the firm.
pub const NEAR_MISS_RULES: usize = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductKind {
    BankLoan,
    GuaranteeScheme,
    ReceivableFinancing,
    IpPledge,
}

impl ProductKind {
    pub const ALL: [ProductKind; 4] = [
        ProductKind::BankLoan,
        ProductKind::GuaranteeScheme,
        ProductKind::ReceivableFinancing,
        ProductKind::IpPledge,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ProductKind::BankLoan => "bank_loan",
            ProductKind::GuaranteeScheme => "guarantee_scheme",
            ProductKind::ReceivableFinancing => "receivable_financing",
            ProductKind::IpPledge => "ip_pledge",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
    /// A guarantee scheme is published by a guarantee agency; everything else lends, so a bank publishes it.
    pub fn is_lending(self) -> bool {
        self != ProductKind::GuaranteeScheme
    }
}

/// Bank loan subtypes (Art 21): credit loans (信用贷款), first loans (首贷), renewal without repaying the
/// principal first (无还本续贷), medium and long-term loans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoanSubtype {
    CreditLoan,
    FirstLoan,
    Renewal,
    MediumLongTerm,
}

impl LoanSubtype {
    pub fn as_str(self) -> &'static str {
        match self {
            LoanSubtype::CreditLoan => "credit_loan",
            LoanSubtype::FirstLoan => "first_loan",
            LoanSubtype::Renewal => "renewal",
            LoanSubtype::MediumLongTerm => "medium_long_term",
        }
    }
}

/// Public designations a firm can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Designation {
    /// 专精特新 (specialised, refined, distinctive, innovative).
    SpecialisedInnovative,
    /// 专精特新"小巨人".
    LittleGiant,
    /// 高新技术企业.
    HighTech,
}

impl Designation {
    pub const ALL: [Designation; 3] = [
        Designation::SpecialisedInnovative,
        Designation::LittleGiant,
        Designation::HighTech,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Designation::SpecialisedInnovative => "specialised_innovative",
            Designation::LittleGiant => "little_giant",
            Designation::HighTech => "high_tech",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }
    pub fn keys() -> String {
        Self::ALL.map(Designation::as_str).join(", ")
    }
}

/// One eligibility rule. Unknown types are refused when a product is published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Rule {
    SizeClass {
        any_of: Vec<SizeClass>,
    },
    /// GB/T 4754 code prefixes (`C`, `I65`).
    IndustryPrefix {
        any_of: Vec<String>,
    },
    /// District keys, codes or names; stored as keys.
    District {
        any_of: Vec<String>,
    },
    MinScore {
        score: i32,
    },
    MinGrade {
        grade: Grade,
    },
    MinYearsInOperation {
        years: i32,
    },
    MinTaxGrade {
        grade: TaxGrade,
    },
    NoActiveDishonesty,
    /// Tax arrears at most this many yuan (latest month).
    MaxTaxArrears {
        amount: Money,
    },
    /// Social-insurance arrears at most this many months.
    MaxSiArrearsMonths {
        months: i64,
    },
    /// No bank loan ever recorded for the firm (首贷).
    FirstLoanOnly,
    /// A loan of the firm matures within this many days (无还本续贷).
    LoanMaturingWithin {
        days: i64,
    },
    /// Confirmed, unfinanced, not-yet-due receivables × the product's advance ratio cover the amount.
    ConfirmedReceivables,
    /// Unpledged appraised patents and trademarks × the product's loan-to-value cover the amount.
    AppraisedIp,
    /// Holds any of these designations.
    Designation {
        any_of: Vec<Designation>,
    },
}

pub const RULE_TYPES: &[&str] = &[
    "size_class",
    "industry_prefix",
    "district",
    "min_score",
    "min_grade",
    "min_years_in_operation",
    "min_tax_grade",
    "no_active_dishonesty",
    "max_tax_arrears",
    "max_si_arrears_months",
    "first_loan_only",
    "loan_maturing_within",
    "confirmed_receivables",
    "appraised_ip",
    "designation",
];

impl Rule {
    pub fn type_name(&self) -> &'static str {
        match self {
            Rule::SizeClass { .. } => "size_class",
            Rule::IndustryPrefix { .. } => "industry_prefix",
            Rule::District { .. } => "district",
            Rule::MinScore { .. } => "min_score",
            Rule::MinGrade { .. } => "min_grade",
            Rule::MinYearsInOperation { .. } => "min_years_in_operation",
            Rule::MinTaxGrade { .. } => "min_tax_grade",
            Rule::NoActiveDishonesty => "no_active_dishonesty",
            Rule::MaxTaxArrears { .. } => "max_tax_arrears",
            Rule::MaxSiArrearsMonths { .. } => "max_si_arrears_months",
            Rule::FirstLoanOnly => "first_loan_only",
            Rule::LoanMaturingWithin { .. } => "loan_maturing_within",
            Rule::ConfirmedReceivables => "confirmed_receivables",
            Rule::AppraisedIp => "appraised_ip",
            Rule::Designation { .. } => "designation",
        }
    }

    /// Parse one rule from JSON, with a message that names the rule types when the type is unknown.
    pub fn from_json(v: &serde_json::Value) -> Result<Rule, Violation> {
        let ty = v.get("type").and_then(|t| t.as_str());
        match ty {
            None => Err(Violation::new(
                "type",
                "rule.type_required",
                format!("a rule needs a \"type\", one of {}", RULE_TYPES.join(", ")),
            )),
            Some(t) if !RULE_TYPES.contains(&t) => Err(Violation::new(
                "type",
                "rule.unknown_type",
                format!(
                    "'{t}' is not a rule type; use one of {}",
                    RULE_TYPES.join(", ")
                ),
            )),
            Some(t) => match grade_fault(t, v) {
                Some(fault) => Err(fault),
                None => serde_json::from_value::<Rule>(v.clone())
                    .map_err(|e| Violation::new("", "rule.parameters", format!("rule '{t}': {e}")))
                    .and_then(|r| r.normalised()),
            },
        }
    }

    /// Check parameters and bring them to canonical form (district keys, upper-case prefixes).
    pub fn normalised(self) -> Result<Rule, Violation> {
        let bad = |rule: &str, msg: String| Err(Violation::new("", rule, msg));
        Ok(match self {
            Rule::SizeClass { any_of } if any_of.is_empty() => {
                return bad(
                    "rule.empty",
                    "size_class: any_of lists no size class".into(),
                )
            }
            Rule::IndustryPrefix { any_of } => {
                if any_of.is_empty() {
                    return bad(
                        "rule.empty",
                        "industry_prefix: any_of lists no prefix".into(),
                    );
                }
                let mut out = Vec::new();
                for p in any_of {
                    let p = p.trim().to_ascii_uppercase();
                    let mut chars = p.chars();
                    let ok = chars.next().is_some_and(|c| c.is_ascii_uppercase())
                        && chars.all(|c| c.is_ascii_digit())
                        && p.len() <= 5;
                    if !ok {
                        return bad(
                            "industry.prefix",
                            format!("'{p}' is not a GB/T 4754 code prefix (a section letter and up to 4 digits, e.g. C or I65)"),
                        );
                    }
                    out.push(p);
                }
                Rule::IndustryPrefix { any_of: out }
            }
            Rule::District { any_of } => {
                if any_of.is_empty() {
                    return bad("rule.empty", "district: any_of lists no district".into());
                }
                let mut out = Vec::new();
                for d in any_of {
                    match parse_district(&d) {
                        Some(d) => out.push(d.key.to_string()),
                        None => {
                            return bad(
                                "district.unknown",
                                format!(
                                    "'{d}' is not a Shanghai district; use one of {}",
                                    super::district::keys()
                                ),
                            )
                        }
                    }
                }
                Rule::District { any_of: out }
            }
            Rule::MinScore { score } if !(300..=900).contains(&score) => {
                return bad(
                    "score.range",
                    format!("min_score {score} is outside the 300-900 scale"),
                )
            }
            Rule::MinYearsInOperation { years } if !(0..=100).contains(&years) => {
                return bad("years.range", format!("{years} years is outside 0-100"))
            }
            Rule::MaxTaxArrears { amount } if amount < Money::ZERO => {
                return bad(
                    "money.non_negative",
                    "max_tax_arrears: amount is negative".into(),
                )
            }
            Rule::MaxSiArrearsMonths { months } if months < 0 => {
                return bad(
                    "months.range",
                    "max_si_arrears_months: months is negative".into(),
                )
            }
            Rule::LoanMaturingWithin { days } if !(1..=366).contains(&days) => {
                return bad(
                    "days.range",
                    format!("loan_maturing_within: {days} days is outside 1-366"),
                )
            }
            Rule::Designation { any_of } if any_of.is_empty() => {
                return bad(
                    "rule.empty",
                    "designation: any_of lists no designation".into(),
                )
            }
            other => other,
        })
    }
}

/// A grade rule naming a grade that does not exist, in the words of its own rule.
fn grade_fault(ty: &str, v: &serde_json::Value) -> Option<Violation> {
    let given = v.get("grade").and_then(|g| g.as_str())?;
    let (rule, fault) = match ty {
        "min_grade" => ("grade.unknown", given.parse::<Grade>().err()?),
        "min_tax_grade" => ("tax_grade.unknown", given.parse::<TaxGrade>().err()?),
        _ => return None,
    };
    Some(Violation::new("", rule, fault))
}

/// A broken constraint of a product specification: which field, which rule, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub field: String,
    pub rule: String,
    pub message: String,
}

impl Violation {
    pub fn new(field: &str, rule: &str, message: impl Into<String>) -> Self {
        Violation {
            field: field.into(),
            rule: rule.into(),
            message: message.into(),
        }
    }
}

/// A product as its institution publishes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductSpec {
    pub kind: ProductKind,
    /// Bank loans only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtype: Option<LoanSubtype>,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub amount_min: Money,
    pub amount_max: Money,
    pub term_min_months: i32,
    pub term_max_months: i32,
    /// Annual interest rate, or the bottom of its range (lending products).
    #[serde(
        default,
        with = "rust_decimal::serde::str_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub rate_min: Option<Decimal>,
    /// Top of the rate range; the rate a firm gets within the range follows its grade.
    #[serde(
        default,
        with = "rust_decimal::serde::str_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub rate_max: Option<Decimal>,
    /// Other fees, as an annual rate on the amount.
    #[serde(default, with = "rust_decimal::serde::str")]
    pub annual_fee_rate: Decimal,
    /// The government guarantee scheme this loan relies on (its fee is part of the loan's cost).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guarantee_scheme_id: Option<String>,
    /// Guarantee schemes: annual fee rate on the guaranteed amount.
    #[serde(
        default,
        with = "rust_decimal::serde::str_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub fee_rate: Option<Decimal>,
    /// Guarantee schemes: share of the loan guaranteed.
    #[serde(
        default,
        with = "rust_decimal::serde::str_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub coverage_ratio: Option<Decimal>,
    /// Guarantee schemes: what kind of guarantee it is (the municipal policy-based fund, another
    /// government guarantee, commercial); policies may require a kind (issue 20 §3). Default commercial.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme_kind: Option<SchemeKind>,
    /// Receivable financing: the share of confirmed receivables advanced.
    #[serde(
        default,
        with = "rust_decimal::serde::str_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub advance_ratio: Option<Decimal>,
    /// IP pledges: loan-to-value against the appraised value.
    #[serde(
        default,
        with = "rust_decimal::serde::str_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub loan_to_value: Option<Decimal>,
    pub valid_from: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<NaiveDate>,
    #[serde(default)]
    pub rules: Vec<Rule>,
}

fn fraction(
    field: &str,
    v: Option<Decimal>,
    required: bool,
    max: Decimal,
    out: &mut Vec<Violation>,
) {
    match v {
        None if required => out.push(Violation::new(
            field,
            "required",
            format!("{field} is required for this product type"),
        )),
        Some(d) if d < Decimal::ZERO || d > max => out.push(Violation::new(
            field,
            "rate.range",
            format!("{field} {d} is outside 0-{max} (a decimal fraction: 0.035 is 3.5%)"),
        )),
        _ => {}
    }
}

impl ProductSpec {
    /// Every constraint broken, at once. `scheme_ok` says whether a named scheme exists and is a scheme.
    pub fn violations(&self) -> Vec<Violation> {
        let mut v = Vec::new();
        let one = Decimal::ONE;
        if self.name.trim().is_empty() {
            v.push(Violation::new("name", "required", "name is empty"));
        }
        if self.amount_min <= Money::ZERO {
            v.push(Violation::new(
                "amount_min",
                "money.positive",
                "amount_min must be above zero",
            ));
        }
        if self.amount_max < self.amount_min {
            v.push(Violation::new(
                "amount_max",
                "range.order",
                format!(
                    "amount_max {} is below amount_min {}",
                    self.amount_max, self.amount_min
                ),
            ));
        }
        if !(1..=360).contains(&self.term_min_months) {
            v.push(Violation::new(
                "term_min_months",
                "term.range",
                "term_min_months must be 1-360",
            ));
        }
        if self.term_max_months < self.term_min_months || self.term_max_months > 360 {
            v.push(Violation::new(
                "term_max_months",
                "term.range",
                "term_max_months must be at least term_min_months and at most 360",
            ));
        }
        if let Some(to) = self.valid_to {
            if to < self.valid_from {
                v.push(Violation::new(
                    "valid_to",
                    "range.order",
                    "valid_to is before valid_from",
                ));
            }
        }
        let lending = self.kind.is_lending();
        fraction(
            "rate_min",
            self.rate_min,
            lending,
            Decimal::new(36, 2),
            &mut v,
        );
        fraction(
            "rate_max",
            self.rate_max,
            false,
            Decimal::new(36, 2),
            &mut v,
        );
        if let (Some(lo), Some(hi)) = (self.rate_min, self.rate_max) {
            if hi < lo {
                v.push(Violation::new(
                    "rate_max",
                    "range.order",
                    "rate_max is below rate_min",
                ));
            }
        }
        fraction(
            "annual_fee_rate",
            Some(self.annual_fee_rate),
            false,
            Decimal::new(1, 1),
            &mut v,
        );
        let scheme = self.kind == ProductKind::GuaranteeScheme;
        fraction(
            "fee_rate",
            self.fee_rate,
            scheme,
            Decimal::new(1, 1),
            &mut v,
        );
        fraction("coverage_ratio", self.coverage_ratio, scheme, one, &mut v);
        fraction(
            "advance_ratio",
            self.advance_ratio,
            self.kind == ProductKind::ReceivableFinancing,
            one,
            &mut v,
        );
        fraction(
            "loan_to_value",
            self.loan_to_value,
            self.kind == ProductKind::IpPledge,
            one,
            &mut v,
        );
        let only = |field: &str, set: bool, kind: &str, v: &mut Vec<Violation>| {
            if set {
                v.push(Violation::new(
                    field,
                    "field.not_applicable",
                    format!("{field} applies to {kind} products only"),
                ));
            }
        };
        only(
            "subtype",
            self.subtype.is_some() && self.kind != ProductKind::BankLoan,
            "bank_loan",
            &mut v,
        );
        if self.kind == ProductKind::BankLoan && self.subtype.is_none() {
            v.push(Violation::new(
                "subtype",
                "required",
                "a bank_loan needs a subtype: credit_loan, first_loan, renewal or medium_long_term",
            ));
        }
        if !scheme {
            only(
                "fee_rate",
                self.fee_rate.is_some(),
                "guarantee_scheme",
                &mut v,
            );
            only(
                "coverage_ratio",
                self.coverage_ratio.is_some(),
                "guarantee_scheme",
                &mut v,
            );
            only(
                "scheme_kind",
                self.scheme_kind.is_some(),
                "guarantee_scheme",
                &mut v,
            );
        } else {
            only("rate_min", self.rate_min.is_some(), "lending", &mut v);
            only("rate_max", self.rate_max.is_some(), "lending", &mut v);
            only(
                "guarantee_scheme_id",
                self.guarantee_scheme_id.is_some(),
                "lending",
                &mut v,
            );
        }
        only(
            "advance_ratio",
            self.advance_ratio.is_some() && self.kind != ProductKind::ReceivableFinancing,
            "receivable_financing",
            &mut v,
        );
        only(
            "loan_to_value",
            self.loan_to_value.is_some() && self.kind != ProductKind::IpPledge,
            "ip_pledge",
            &mut v,
        );
        if self.kind == ProductKind::ReceivableFinancing
            && !self.rules.contains(&Rule::ConfirmedReceivables)
        {
            v.push(Violation::new(
                "rules",
                "rule.required",
                "receivable_financing needs the confirmed_receivables rule",
            ));
        }
        if self.kind == ProductKind::IpPledge && !self.rules.contains(&Rule::AppraisedIp) {
            v.push(Violation::new(
                "rules",
                "rule.required",
                "ip_pledge needs the appraised_ip rule",
            ));
        }
        if self.subtype == Some(LoanSubtype::FirstLoan)
            && !self.rules.contains(&Rule::FirstLoanOnly)
        {
            v.push(Violation::new(
                "rules",
                "rule.required",
                "a first_loan product needs the first_loan_only rule",
            ));
        }
        if self.subtype == Some(LoanSubtype::Renewal)
            && !self
                .rules
                .iter()
                .any(|r| matches!(r, Rule::LoanMaturingWithin { .. }))
        {
            v.push(Violation::new(
                "rules",
                "rule.required",
                "a renewal product needs the loan_maturing_within rule",
            ));
        }
        v
    }

    pub fn valid_on(&self, day: NaiveDate) -> bool {
        self.valid_from <= day && self.valid_to.is_none_or(|to| day <= to)
    }
}

/// What lending costs: the rate range (the grade picks the rate inside it) and the guarantee scheme the
/// loan relies on. Subsidies are not the product's: they come from the live policies (issue 20 §6).
#[derive(Debug, Clone, PartialEq)]
pub struct Lending {
    pub rate_min: Rate,
    /// `rate_min` when the product publishes a single rate.
    pub rate_max: Rate,
    pub guarantee_scheme_id: Option<String>,
}

/// What a guarantee scheme charges and covers, and its kind.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemeTerms {
    pub fee_rate: Rate,
    pub coverage: Ratio,
    pub kind: SchemeKind,
}

/// A product's terms by its kind: each kind has the terms it needs and no others, none defaulted at use.
/// Built from a [`ProductSpec`] (the published form) by [`ProductSpec::terms`].
#[derive(Debug, Clone, PartialEq)]
pub enum ProductTerms {
    BankLoan {
        subtype: LoanSubtype,
        lending: Lending,
    },
    GuaranteeScheme(SchemeTerms),
    ReceivableFinancing {
        lending: Lending,
        /// The share of confirmed receivables advanced.
        advance: Ratio,
    },
    IpPledge {
        lending: Lending,
        /// Loan-to-value against the appraised value.
        loan_to_value: Ratio,
    },
}

impl ProductTerms {
    pub fn lending(&self) -> Option<&Lending> {
        match self {
            ProductTerms::BankLoan { lending, .. }
            | ProductTerms::ReceivableFinancing { lending, .. }
            | ProductTerms::IpPledge { lending, .. } => Some(lending),
            ProductTerms::GuaranteeScheme(_) => None,
        }
    }

    pub fn scheme(&self) -> Option<&SchemeTerms> {
        match self {
            ProductTerms::GuaranteeScheme(s) => Some(s),
            _ => None,
        }
    }

    /// The guarantee scheme this product relies on.
    pub fn guarantee_scheme_id(&self) -> Option<&str> {
        self.lending()?.guarantee_scheme_id.as_deref()
    }

    /// The ratios the collateral rules read: the product's own, the whole value where it has none.
    pub fn ratios(&self) -> Ratios {
        match self {
            ProductTerms::ReceivableFinancing { advance, .. } => Ratios {
                advance: *advance,
                ..Ratios::WHOLE
            },
            ProductTerms::IpPledge { loan_to_value, .. } => Ratios {
                loan_to_value: *loan_to_value,
                ..Ratios::WHOLE
            },
            _ => Ratios::WHOLE,
        }
    }
}

/// A field a kind requires, typed; its absence or range is a violation.
fn typed<T>(
    field: &str,
    v: Option<Decimal>,
    new: fn(Decimal) -> Result<T, RateError>,
) -> Result<Option<T>, Violation> {
    v.map(new)
        .transpose()
        .map_err(|e| Violation::new(field, e.rule(), format!("{field}: {e}")))
}

fn required<T>(field: &str, v: Result<Option<T>, Violation>) -> Result<T, Violation> {
    v?.ok_or_else(|| {
        Violation::new(
            field,
            "required",
            format!("{field} is required for this product type"),
        )
    })
}

impl ProductSpec {
    /// The terms of its kind, or every constraint it breaks.
    pub fn terms(&self) -> Result<ProductTerms, Vec<Violation>> {
        let faults = self.violations();
        if !faults.is_empty() {
            return Err(faults);
        }
        self.typed_terms().map_err(|v| vec![v])
    }

    fn typed_terms(&self) -> Result<ProductTerms, Violation> {
        let lending = || -> Result<Lending, Violation> {
            let rate_min = required("rate_min", typed("rate_min", self.rate_min, Rate::new))?;
            Ok(Lending {
                rate_min,
                rate_max: typed("rate_max", self.rate_max, Rate::new)?.unwrap_or(rate_min),
                guarantee_scheme_id: self.guarantee_scheme_id.clone(),
            })
        };
        Ok(match self.kind {
            ProductKind::BankLoan => ProductTerms::BankLoan {
                subtype: self.subtype.ok_or_else(|| {
                    Violation::new("subtype", "required", "a bank_loan needs a subtype")
                })?,
                lending: lending()?,
            },
            ProductKind::GuaranteeScheme => ProductTerms::GuaranteeScheme(SchemeTerms {
                fee_rate: required("fee_rate", typed("fee_rate", self.fee_rate, Rate::new))?,
                coverage: required(
                    "coverage_ratio",
                    typed("coverage_ratio", self.coverage_ratio, Ratio::new),
                )?,
                kind: self.scheme_kind.unwrap_or(SchemeKind::Commercial),
            }),
            ProductKind::ReceivableFinancing => ProductTerms::ReceivableFinancing {
                lending: lending()?,
                advance: required(
                    "advance_ratio",
                    typed("advance_ratio", self.advance_ratio, Ratio::new),
                )?,
            },
            ProductKind::IpPledge => ProductTerms::IpPledge {
                lending: lending()?,
                loan_to_value: required(
                    "loan_to_value",
                    typed("loan_to_value", self.loan_to_value, Ratio::new),
                )?,
            },
        })
    }
}

/// A published product: its id and institution, its specification as published and its typed terms.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Product {
    pub id: String,
    pub institution_id: String,
    #[serde(flatten)]
    pub spec: ProductSpec,
    #[serde(skip)]
    pub terms: ProductTerms,
}

impl Product {
    /// A product whose specification holds; every broken constraint otherwise.
    pub fn new(
        id: impl Into<String>,
        institution_id: impl Into<String>,
        spec: ProductSpec,
    ) -> Result<Product, Vec<Violation>> {
        Ok(Product {
            id: id.into(),
            institution_id: institution_id.into(),
            terms: spec.terms()?,
            spec,
        })
    }
}

/// What matching knows about the firm: its registry entry, its newest profile, its loans, receivables and IP.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Applicant {
    pub uscc: String,
    pub size_class: Option<SizeClass>,
    pub industry_code: String,
    pub district: String,
    pub years_in_operation: i32,
    pub score: Option<i32>,
    pub grade: Option<Grade>,
    pub tax_grade: Option<TaxGrade>,
    pub active_dishonesty: Option<i64>,
    pub tax_arrears: Option<Money>,
    pub si_arrears_months: Option<i64>,
    pub has_bank_loan: bool,
    /// Days until the nearest maturity of an outstanding loan.
    pub days_to_maturity: Option<i64>,
    /// Confirmed, unfinanced, not-yet-due receivables.
    pub confirmed_receivables: Money,
    /// Appraised value of unpledged patents and trademarks.
    pub appraised_ip: Money,
    pub designations: Vec<Designation>,
}

/// What the firm asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ask {
    pub amount: Money,
    pub term_months: i32,
    pub on: NaiveDate,
}

/// A rule the firm fails, and why in words ("score 612, needs 650").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// The rule type (`min_score`), `amount` / `term`, or `scheme.<rule>` for the relied-on scheme's rules.
    pub rule: std::borrow::Cow<'static, str>,
    pub message: String,
}

/// `None` when the rule passes; the words are only written for a failure.
fn check(rule: &'static str, passed: bool, message: impl FnOnce() -> String) -> Option<Check> {
    (!passed).then(|| Check {
        rule: rule.into(),
        message: message(),
    })
}

fn list<T: AsRef<str>>(xs: &[T]) -> String {
    xs.iter()
        .map(|x| x.as_ref())
        .collect::<Vec<_>>()
        .join(" / ")
}

/// Whether `have × ratio` covers the amount.
fn covers(have: Money, ratio: Decimal, amount: Money) -> bool {
    have.to_decimal() * ratio >= amount.to_decimal()
}

/// `have × ratio`, shown to the fen.
fn covered(have: Money, ratio: Decimal) -> Money {
    Money::round_yuan(have.to_decimal() * ratio).unwrap_or_default()
}

/// What the collateral rules read from a product: its advance ratio and loan-to-value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ratios {
    pub advance: Ratio,
    pub loan_to_value: Ratio,
}

impl Ratios {
    /// The whole value counts (a rule outside a product that lends against a share of it).
    pub const WHOLE: Ratios = Ratios {
        advance: Ratio::ONE,
        loan_to_value: Ratio::ONE,
    };
}

/// Check one rule for the firm and the ask (`p`: the product's ratios): `None` if it passes.
pub fn check_rule(rule: &Rule, p: Ratios, a: &Applicant, ask: &Ask) -> Option<Check> {
    let t = rule.type_name();
    match rule {
        Rule::SizeClass { any_of } => match a.size_class {
            Some(c) => check(t, any_of.contains(&c), || {
                format!(
                    "size class {}, needs {}",
                    c.as_str(),
                    list(&any_of.iter().map(|c| c.as_str()).collect::<Vec<_>>())
                )
            }),
            None => check(t, false, || "size class unknown".into()),
        },
        Rule::IndustryPrefix { any_of } => check(
            t,
            any_of
                .iter()
                .any(|p| a.industry_code.starts_with(p.as_str())),
            || format!("industry {}, needs {}", a.industry_code, list(any_of)),
        ),
        Rule::District { any_of } => check(t, any_of.contains(&a.district), || {
            format!("district {}, needs {}", a.district, list(any_of))
        }),
        Rule::MinScore { score } => match a.score {
            Some(s) => check(t, s >= *score, || format!("score {s}, needs {score}")),
            None => check(t, false, || {
                format!("no credit profile yet, needs score {score}")
            }),
        },
        Rule::MinGrade { grade } => match a.grade {
            Some(g) => check(t, g >= *grade, || {
                format!("grade {g}, needs {grade} or better")
            }),
            None => check(t, false, || {
                format!("no credit profile yet, needs grade {grade}")
            }),
        },
        Rule::MinYearsInOperation { years } => check(t, a.years_in_operation >= *years, || {
            format!("{} years in operation, needs {years}", a.years_in_operation)
        }),
        Rule::MinTaxGrade { grade } => match a.tax_grade {
            Some(g) => check(t, g >= *grade, || {
                format!("tax grade {g}, needs {grade} or better")
            }),
            None => check(t, false, || {
                format!("no tax grade reported, needs {grade} or better")
            }),
        },
        Rule::NoActiveDishonesty => match a.active_dishonesty {
            Some(0) => check(t, true, || "no active dishonesty listing".into()),
            Some(n) => check(t, false, || {
                format!("{n} active dishonesty listing(s), needs none")
            }),
            None => check(t, false, || {
                "no credit profile yet, needs a clean public-credit record".into()
            }),
        },
        Rule::MaxTaxArrears { amount } => match a.tax_arrears {
            Some(have) => check(t, have <= *amount, || {
                format!("tax arrears {have} yuan, at most {amount} allowed")
            }),
            None => check(t, false, || {
                format!("tax arrears not reported, at most {amount} yuan allowed")
            }),
        },
        Rule::MaxSiArrearsMonths { months } => match a.si_arrears_months {
            Some(have) => check(t, have <= *months, || {
                format!("social insurance {have} month(s) in arrears, at most {months} allowed")
            }),
            None => check(t, false, || {
                format!("social-insurance arrears not reported, at most {months} month(s) allowed")
            }),
        },
        Rule::FirstLoanOnly => check(t, !a.has_bank_loan, || {
            if a.has_bank_loan {
                "has had a bank loan; first loans only".into()
            } else {
                "no bank loan before".into()
            }
        }),
        Rule::LoanMaturingWithin { days } => match a.days_to_maturity {
            Some(d) => check(t, d >= 0 && d <= *days, || {
                format!("nearest loan matures in {d} days, needs one within {days}")
            }),
            None => check(t, false, || {
                format!("no outstanding loan, needs one maturing within {days} days")
            }),
        },
        Rule::ConfirmedReceivables => {
            let ratio = p.advance.get();
            check(
                t,
                covers(a.confirmed_receivables, ratio, ask.amount),
                || {
                    format!(
                        "confirmed receivables {} yuan × advance {} = {} yuan, needs {}",
                        a.confirmed_receivables,
                        ratio,
                        covered(a.confirmed_receivables, ratio),
                        ask.amount
                    )
                },
            )
        }
        Rule::AppraisedIp => {
            let ratio = p.loan_to_value.get();
            check(t, covers(a.appraised_ip, ratio, ask.amount), || {
                format!(
                    "unpledged appraised IP {} yuan × LTV {} = {} yuan, needs {}",
                    a.appraised_ip,
                    ratio,
                    covered(a.appraised_ip, ratio),
                    ask.amount
                )
            })
        }
        Rule::Designation { any_of } => {
            check(t, any_of.iter().any(|d| a.designations.contains(d)), || {
                format!(
                    "designations {}, needs {}",
                    if a.designations.is_empty() {
                        "none".to_string()
                    } else {
                        list(
                            &a.designations
                                .iter()
                                .map(|d| d.as_str())
                                .collect::<Vec<_>>(),
                        )
                    },
                    list(&any_of.iter().map(|d| d.as_str()).collect::<Vec<_>>())
                )
            })
        }
    }
}

/// The checks a product fails for a firm and an ask: amount and term ranges first, then its rules, then
/// the rules of the scheme it relies on (prefixed `scheme.`). Empty: the firm qualifies.
pub fn failures(
    product: &Product,
    scheme: Option<&Product>,
    a: &Applicant,
    ask: &Ask,
) -> Vec<Check> {
    let p = &product.spec;
    let mut out = Vec::new();
    out.extend(check(
        "amount",
        p.amount_min <= ask.amount && ask.amount <= p.amount_max,
        || {
            format!(
                "asks {} yuan, product lends {}-{}",
                ask.amount, p.amount_min, p.amount_max
            )
        },
    ));
    out.extend(check(
        "term",
        p.term_min_months <= ask.term_months && ask.term_months <= p.term_max_months,
        || {
            format!(
                "asks {} months, product runs {}-{}",
                ask.term_months, p.term_min_months, p.term_max_months
            )
        },
    ));
    let ratios = product.terms.ratios();
    out.extend(p.rules.iter().filter_map(|r| check_rule(r, ratios, a, ask)));
    if let Some(scheme) = scheme {
        let s = &scheme.spec;
        out.extend(check("scheme.amount", ask.amount <= s.amount_max, || {
            format!(
                "asks {} yuan, the guarantee scheme covers up to {}",
                ask.amount, s.amount_max
            )
        }));
        let ratios = scheme.terms.ratios();
        out.extend(s.rules.iter().filter_map(|r| {
            check_rule(r, ratios, a, ask).map(|mut c| {
                c.rule = format!("scheme.{}", c.rule).into();
                c
            })
        }));
    }
    out
}

/// The all-in annual cost of an offer, every component shown: rates as exact decimals on the amount, and
/// yuan over the whole term (each rounded once to the fen, half away from zero; the total is their sum).
/// The subsidies come from the live policies the offer qualifies under, each named with its amount and
/// the cap that binds; the subsidy rates are those amounts as a yearly rate on the amount.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cost {
    #[serde(serialize_with = "normalized")]
    pub interest_rate: Decimal,
    #[serde(serialize_with = "normalized")]
    pub fee_rate: Decimal,
    /// The scheme's fee × its coverage: the guarantee fee as a rate on the loan.
    #[serde(serialize_with = "normalized")]
    pub guarantee_fee_rate: Decimal,
    #[serde(serialize_with = "normalized")]
    pub guarantee_fee_subsidy_rate: Decimal,
    #[serde(serialize_with = "normalized")]
    pub interest_subsidy_rate: Decimal,
    /// interest + fees + guarantee fee − subsidies.
    #[serde(serialize_with = "normalized")]
    pub all_in_rate: Decimal,
    pub interest: Money,
    pub fees: Money,
    pub guarantee_fee: Money,
    pub guarantee_fee_subsidy: Money,
    pub interest_subsidy: Money,
    /// Sum of the yuan components over the term.
    pub all_in_total: Money,
    /// The guarantee scheme the loan relies on (its fee and fee subsidies are in this cost).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheme: Option<Box<SchemeUsed>>,
    /// The policies that pay on this offer, each with its amount.
    pub subsidies: Vec<Subsidy>,
    /// Policies the offer qualifies under but does not draw: exclusive with a better one, or already
    /// drawn by the firm; each says why.
    pub forgone: Vec<Forgone>,
    /// The same loan without its scheme (no guarantee fee, no fee subsidy, no subsidy that needs the
    /// scheme's channel): what the scheme adds or saves ("this loan with scheme X" vs "without").
    /// `None` for a loan that relies on no scheme.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub without_scheme: Option<Box<Cost>>,
}

/// The scheme a loan relies on, as the offer shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SchemeUsed {
    pub id: String,
    pub name: String,
    pub kind: SchemeKind,
    #[serde(serialize_with = "normalized")]
    pub fee_rate: Decimal,
    #[serde(serialize_with = "normalized")]
    pub coverage_ratio: Decimal,
}

/// One policy's expected payment on an offer (issue 20 §6).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Subsidy {
    pub policy_id: String,
    pub policy_name: String,
    /// `interest_subsidy`, `share_of_fee` or `rate_points`.
    pub kind: &'static str,
    /// An interest subsidy's yearly rate for this firm, with the rate-table row that gave it.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "normalized_opt"
    )]
    pub rate: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_row: Option<String>,
    /// Over the whole term, after caps, rounded once.
    pub amount: Money,
    /// The days it pays for (a day cap shortens them).
    pub days: i64,
    /// The caps that bind, in the order applied.
    pub caps: Vec<Cap>,
}

/// A policy an offer could draw from but does not, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Forgone {
    pub policy_id: String,
    pub policy_name: String,
    /// What it would have paid.
    pub amount: Money,
    pub reason: String,
}

fn normalized_opt<S: serde::Serializer>(d: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.collect_str(&d.normalize()),
        None => s.serialize_none(),
    }
}

/// A rate as its shortest exact decimal string (`0.0080` → `"0.008"`).
fn normalized<S: serde::Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&d.normalize())
}

/// `amount × rate × months / 12`, rounded once to the fen, half away from zero, in exact integer
/// arithmetic (the matching hot path prices hundreds of offers per request).
pub fn over_term(amount: Money, rate: Decimal, months: i32) -> Money {
    let num = i128::from(amount.fen()) * rate.mantissa() * i128::from(months);
    let den = 12 * 10i128.pow(rate.scale());
    let (n, d) = (2 * num.abs() + den, 2 * den);
    // 64-bit division when both fit (nearly always): several times cheaper than 128-bit.
    let q = match (u64::try_from(n), u64::try_from(d)) {
        (Ok(n), Ok(d)) => i128::from(n / d),
        _ => n / d,
    };
    Money::from_fen(i64::try_from(if num < 0 { -q } else { q }).unwrap_or(i64::MAX))
}

/// The rate a firm gets inside a product's range: the bottom for AAA, the top for C, in even steps
/// between; the top without a profile.
pub fn priced_rate(l: &Lending, grade: Option<Grade>) -> Decimal {
    let (lo, hi) = (l.rate_min.get(), l.rate_max.get());
    if hi == lo {
        return lo;
    }
    // In millionths, exactly: lo + (hi − lo) × i / 6, rounded half away from zero to 6 places.
    let micros = |d: Decimal| {
        let m = d.mantissa();
        let scale = d.scale();
        if scale <= 6 {
            m * 10i128.pow(6 - scale)
        } else {
            m / 10i128.pow(scale - 6)
        }
    };
    let steps = (Grade::ALL.len() - 1) as i128;
    let i = grade.map_or(steps, |g| g.rank() as i128);
    let num = (micros(hi) - micros(lo)) * i;
    let r = micros(lo) + (2 * num + steps) / (2 * steps);
    Decimal::from_i128_with_scale(r, 6)
}

/// The live subsidy policies matching prices offers with, and what the firm has drawn already (once
/// per firm, exclusivity per firm).
#[derive(Debug, Clone, Copy, Default)]
pub struct PublicMoney<'a> {
    pub policies: &'a [Policy],
    pub drawn: &'a [Drawn],
}

/// A live policy that the firm and the ask pass whatever the product (window, loan ceiling, firm rules):
/// found once per request, with the firm's interest rate under it and why the firm may not draw from it
/// (once per firm, exclusive per firm), so pricing each offer only checks the product's own terms.
#[derive(Debug, Clone)]
pub struct Quotable<'a> {
    pub policy: &'a Policy,
    rate: Decimal,
    row: Option<&'a str>,
    barred: Option<String>,
    /// An interest subsidy's quote on any loan of the ask whose own rate is at least `rate` (the
    /// subsidy then does not depend on the loan): computed once, not once per offer.
    at_rate: Option<(Money, Vec<Cap>, i64)>,
}

/// The policies of `money` that may pay on a new loan of `ask` to `a`.
pub fn quotable<'a>(money: PublicMoney<'a>, a: &Applicant, ask: &Ask) -> Vec<Quotable<'a>> {
    if money.policies.is_empty() {
        return Vec::new();
    }
    let probe = Contract {
        firm: a.clone(),
        firm_uscc: a.uscc.clone(),
        ..offer_contract(ask, ask.amount, Decimal::ONE)
    };
    money
        .policies
        .iter()
        .filter(|p| !matches!(p.formula, subsidy::Formula::AgencyReward { .. }))
        .filter(|p| subsidy::firm_ineligibility(p, &probe).is_none())
        .map(|p| {
            let (rate, row) = p.rate_for(&probe);
            Quotable {
                policy: p,
                rate,
                row,
                barred: subsidy::exclusion(p, &probe, money.drawn),
                at_rate: p
                    .formula
                    .on_loans()
                    .then(|| subsidy::quote(p, &offer_contract(ask, ask.amount, rate), rate)),
            }
        })
        .collect()
}

/// A new loan (or its guarantee) of `ask` as the subsidy rules quote it: `[on, on + term)`, no firm facts
/// (those are checked once, by [`quotable`]).
fn offer_contract(ask: &Ask, amount: Money, rate: Decimal) -> Contract {
    let end = ask
        .on
        .checked_add_months(chrono::Months::new(ask.term_months.max(0) as u32))
        .unwrap_or(ask.on);
    Contract {
        id: String::new(),
        agency_id: String::new(),
        firm_uscc: String::new(),
        guaranteed: amount,
        loan: Some(ask.amount),
        fee_rate: rate,
        start: ask.on,
        end,
        early_end: None,
        firm: Applicant::default(),
        balance_changes: Vec::new(),
        loan_key: String::new(),
        scheme: None,
    }
}

/// The policies that would pay on a new loan of `ask` at `loan_rate` (relying on `scheme`), best of each
/// exclusivity group; the ones forgone, with why.
pub fn subsidies(
    ready: &[Quotable<'_>],
    ask: &Ask,
    loan_rate: Decimal,
    scheme: Option<&Product>,
) -> (Vec<Subsidy>, Vec<Forgone>) {
    let mut paid: Vec<(Subsidy, Option<&str>)> = Vec::new();
    let mut forgone = Vec::new();
    if ready.is_empty() {
        return (Vec::new(), forgone);
    }
    let terms = scheme.and_then(|s| Some((s, s.terms.scheme()?)));
    let channel = terms.map(|(s, t)| (s.id.as_str(), t.kind));
    let loan = offer_contract(ask, ask.amount, loan_rate);
    let guarantee = terms.map(|(_, t)| {
        let g = Money::round_yuan(ask.amount.to_decimal() * t.coverage.get()).unwrap_or_default();
        offer_contract(ask, g, t.fee_rate.get())
    });
    for q in ready {
        let p = q.policy;
        if p.channel.as_ref().is_some_and(|ch| !ch.admits(channel)) {
            continue;
        }
        let c = if p.formula.on_loans() {
            &loan
        } else {
            match &guarantee {
                Some(g) => g,
                None => continue,
            }
        };
        // The product's own terms: the scheme's fee and the guaranteed amount.
        if p.max_fee_rate.is_some_and(|m| c.fee_rate > m)
            || p.max_guaranteed.is_some_and(|m| c.guaranteed > m)
        {
            continue;
        }
        let (amount, caps, days) = match &q.at_rate {
            Some(quoted) if c.fee_rate >= q.rate => quoted.clone(),
            _ => subsidy::quote(p, c, q.rate),
        };
        if amount <= Money::ZERO {
            continue;
        }
        if let Some(why) = &q.barred {
            forgone.push(Forgone {
                policy_id: p.id.clone(),
                policy_name: p.name.clone(),
                amount,
                reason: why.clone(),
            });
            continue;
        }
        let interest = p.formula.on_loans();
        paid.push((
            Subsidy {
                policy_id: p.id.clone(),
                policy_name: p.name.clone(),
                kind: p.formula.kind(),
                rate: interest.then_some(q.rate),
                rate_row: q.row.map(str::to_string),
                amount,
                days,
                caps,
            },
            p.exclusive.as_ref().map(|e| e.group.as_str()),
        ));
    }
    // Of each exclusivity group the firm draws the policy that pays most (the first published on a tie).
    let best: Vec<bool> = paid
        .iter()
        .enumerate()
        .map(|(k, (s, group))| {
            group.is_none_or(|g| {
                paid.iter().enumerate().all(|(i, (x, h))| {
                    *h != Some(g) || x.amount < s.amount || (x.amount == s.amount && i >= k)
                })
            })
        })
        .collect();
    let winner = |g: &str| {
        paid.iter()
            .zip(&best)
            .find(|((_, h), b)| **b && *h == Some(g))
            .map(|((s, _), _)| (s.policy_name.clone(), s.amount))
    };
    let reasons: Vec<Option<String>> = paid
        .iter()
        .zip(&best)
        .map(|((_, group), b)| match (b, group) {
            (false, Some(g)) => winner(g).map(|(name, amount)| {
                format!(
                    "exclusive with '{name}' (group {g}), which pays {amount} yuan on this loan"
                )
            }),
            _ => None,
        })
        .collect();
    let mut out: Vec<Subsidy> = Vec::with_capacity(paid.len());
    for ((s, _), reason) in paid.into_iter().zip(reasons) {
        match reason {
            Some(reason) => forgone.push(Forgone {
                policy_id: s.policy_id,
                policy_name: s.policy_name,
                amount: s.amount,
                reason,
            }),
            None => out.push(s),
        }
    }
    (out, forgone)
}

/// `part` yuan over the term as a yearly rate on the amount (exact to 6 places).
fn yearly(part: Money, ask: &Ask) -> Decimal {
    if part == Money::ZERO {
        return Decimal::ZERO;
    }
    let base = ask.amount.to_decimal() * Decimal::from(ask.term_months) / Decimal::from(12);
    if base.is_zero() {
        return Decimal::ZERO;
    }
    (part.to_decimal() / base).round_dp(6)
}

/// What an offer costs with the scheme it relies on, and (when it has one) without it; `ready`: the
/// policies [`quotable`] found for the firm and the ask.
pub fn cost(
    p: &Product,
    scheme: Option<&Product>,
    grade: Option<Grade>,
    ask: &Ask,
    ready: &[Quotable<'_>],
) -> Cost {
    let interest_rate = p
        .terms
        .lending()
        .map_or(Decimal::ZERO, |l| priced_rate(l, grade));
    let fee_rate = p.spec.annual_fee_rate;
    let lender = (
        interest_rate,
        fee_rate,
        over_term(ask.amount, interest_rate, ask.term_months),
        over_term(ask.amount, fee_rate, ask.term_months),
    );
    let mut c = priced(lender, scheme, ask, ready);
    if scheme.is_some() {
        c.without_scheme = Some(Box::new(priced(lender, None, ask, ready)));
    }
    c
}

/// The cost from the lender's part (interest rate, fee rate and their yuan over the term), the scheme's
/// fee and the policies' subsidies.
fn priced(
    (interest_rate, fee_rate, interest, fees): (Decimal, Decimal, Money, Money),
    scheme: Option<&Product>,
    ask: &Ask,
    ready: &[Quotable<'_>],
) -> Cost {
    let guarantor = scheme.and_then(|s| Some((s, s.terms.scheme()?)));
    let guarantee_fee_rate =
        guarantor.map_or(Decimal::ZERO, |(_, s)| s.fee_rate.get() * s.coverage.get());
    let guarantee_fee = over_term(ask.amount, guarantee_fee_rate, ask.term_months);
    let (subsidies, forgone) = subsidies(ready, ask, interest_rate, scheme);
    let sum = |interest: bool| {
        Money::from_fen(
            subsidies
                .iter()
                .filter(|s| (s.kind == "interest_subsidy") == interest)
                .map(|s| s.amount.fen())
                .sum(),
        )
    };
    let (interest_subsidy, guarantee_fee_subsidy) = (sum(true), sum(false));
    let (interest_subsidy_rate, guarantee_fee_subsidy_rate) = (
        yearly(interest_subsidy, ask),
        yearly(guarantee_fee_subsidy, ask),
    );
    let all_in_rate = interest_rate + fee_rate + guarantee_fee_rate
        - guarantee_fee_subsidy_rate
        - interest_subsidy_rate;
    let all_in_total = Money::from_fen(
        interest.fen() + fees.fen() + guarantee_fee.fen()
            - guarantee_fee_subsidy.fen()
            - interest_subsidy.fen(),
    );
    Cost {
        interest_rate,
        fee_rate,
        guarantee_fee_rate,
        guarantee_fee_subsidy_rate,
        interest_subsidy_rate,
        all_in_rate,
        interest,
        fees,
        guarantee_fee,
        guarantee_fee_subsidy,
        interest_subsidy,
        all_in_total,
        scheme: guarantor.map(|(s, t)| {
            Box::new(SchemeUsed {
                id: s.id.clone(),
                name: s.spec.name.clone(),
                kind: t.kind,
                fee_rate: t.fee_rate.get(),
                coverage_ratio: t.coverage.get(),
            })
        }),
        subsidies,
        forgone,
        without_scheme: None,
    }
}

/// A product the firm qualifies for, priced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Offer<'a> {
    pub product: &'a Product,
    pub cost: Cost,
}

/// A product the firm misses by one or two checks: which, in words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NearMiss<'a> {
    pub product: &'a Product,
    pub failed: Vec<Check>,
    /// What it would cost if the firm got there.
    pub cost: Cost,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Matches<'a> {
    pub offers: Vec<Offer<'a>>,
    pub near_misses: Vec<NearMiss<'a>>,
    /// Products valid today that the firm fails by more than two checks.
    pub not_eligible: usize,
    /// Lending products checked (valid today; schemes are priced inside the loans that rely on them).
    pub checked: usize,
}

/// Match a firm against a catalogue: offers cheapest first (all-in rate, then product id), near misses
/// with the fewest failed checks first. Guarantee schemes are never offers of their own: a scheme is a
/// way to a loan, priced inside the loans that rely on it.
pub fn match_products<'a>(
    catalogue: &'a [Product],
    money: PublicMoney<'_>,
    a: &Applicant,
    ask: &Ask,
) -> Matches<'a> {
    let mut m = Matches {
        offers: Vec::with_capacity(catalogue.len() / 2),
        near_misses: Vec::with_capacity(catalogue.len() / 2),
        not_eligible: 0,
        checked: 0,
    };
    let ready = quotable(money, a, ask);
    // Schemes are few: look them up in their own short list.
    let schemes: Vec<&Product> = catalogue
        .iter()
        .filter(|s| s.spec.kind == ProductKind::GuaranteeScheme && s.spec.valid_on(ask.on))
        .collect();
    for p in catalogue {
        if !p.spec.valid_on(ask.on) || !p.spec.kind.is_lending() {
            continue;
        }
        let wanted = p.terms.guarantee_scheme_id();
        let scheme = wanted.and_then(|id| schemes.iter().find(|s| s.id == id).copied());
        m.checked += 1;
        if wanted.is_some() && scheme.is_none() {
            // The scheme it relies on is withdrawn or expired: the loan cannot be made as published.
            m.not_eligible += 1;
            continue;
        }
        let failed = failures(p, scheme, a, ask);
        if failed.len() > NEAR_MISS_RULES {
            m.not_eligible += 1;
            continue;
        }
        let cost = cost(p, scheme, a.grade, ask, &ready);
        if failed.is_empty() {
            m.offers.push(Offer { product: p, cost });
        } else {
            m.near_misses.push(NearMiss {
                product: p,
                failed,
                cost,
            });
        }
    }
    // Rates compared as integers at a common scale (sorting rescales no decimals).
    let key = |d: Decimal| d.mantissa() * 10i128.pow(28 - d.scale());
    m.offers
        .sort_by_cached_key(|o| (key(o.cost.all_in_rate), o.product.id.as_str()));
    m.near_misses.sort_by_cached_key(|n| {
        (
            n.failed.len(),
            key(n.cost.all_in_rate),
            n.product.id.as_str(),
        )
    });
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn loan(rules: Vec<Rule>) -> ProductSpec {
        ProductSpec {
            kind: ProductKind::BankLoan,
            subtype: Some(LoanSubtype::CreditLoan),
            name: "credit loan".into(),
            description: None,
            amount_min: Money::from_yuan(100_000),
            amount_max: Money::from_yuan(3_000_000),
            term_min_months: 6,
            term_max_months: 36,
            rate_min: Some(dec!(0.0345)),
            rate_max: Some(dec!(0.0465)),
            annual_fee_rate: Decimal::ZERO,
            guarantee_scheme_id: None,
            fee_rate: None,
            coverage_ratio: None,
            scheme_kind: None,
            advance_ratio: None,
            loan_to_value: None,
            valid_from: d("2026-01-01"),
            valid_to: None,
            rules,
        }
    }

    fn product(id: &str, spec: ProductSpec) -> Product {
        Product::new(id, "bank", spec).expect("a valid test product")
    }

    fn firm() -> Applicant {
        Applicant {
            uscc: "91310115MA1K3YJ12Y".into(),
            size_class: Some(SizeClass::Small),
            industry_code: "C3911".into(),
            district: "pudong".into(),
            years_in_operation: 6,
            score: Some(700),
            grade: Some(Grade::BBB),
            tax_grade: Some(TaxGrade::B),
            active_dishonesty: Some(0),
            tax_arrears: Some(Money::ZERO),
            si_arrears_months: Some(0),
            has_bank_loan: true,
            days_to_maturity: Some(40),
            confirmed_receivables: Money::from_yuan(800_000),
            appraised_ip: Money::from_yuan(2_000_000),
            designations: vec![Designation::HighTech],
        }
    }

    fn ask(amount: i64) -> Ask {
        Ask {
            amount: Money::from_yuan(amount),
            term_months: 12,
            on: d("2026-11-25"),
        }
    }

    /// Each rule type: a passing firm, a failing one, and the sentence the failing one reads.
    #[test]
    fn every_rule_passes_fails_and_says_why() {
        let p = Ratios {
            advance: Ratio::new(dec!(0.8)).unwrap(),
            loan_to_value: Ratio::new(dec!(0.5)).unwrap(),
        };
        let ok = firm();
        type Case = (Rule, fn(&mut Applicant), &'static str);
        let cases: Vec<Case> = vec![
            (
                Rule::SizeClass {
                    any_of: vec![SizeClass::Micro, SizeClass::Small],
                },
                |a| a.size_class = Some(SizeClass::Medium),
                "size class medium, needs micro / small",
            ),
            (
                Rule::IndustryPrefix {
                    any_of: vec!["C39".into(), "I65".into()],
                },
                |a| a.industry_code = "F5123".into(),
                "industry F5123, needs C39 / I65",
            ),
            (
                Rule::District {
                    any_of: vec!["pudong".into()],
                },
                |a| a.district = "minhang".into(),
                "district minhang, needs pudong",
            ),
            (
                Rule::MinScore { score: 650 },
                |a| a.score = Some(612),
                "score 612, needs 650",
            ),
            (
                Rule::MinGrade { grade: Grade::BBB },
                |a| a.grade = Some(Grade::BB),
                "grade BB, needs BBB or better",
            ),
            (
                Rule::MinYearsInOperation { years: 3 },
                |a| a.years_in_operation = 2,
                "2 years in operation, needs 3",
            ),
            (
                Rule::MinTaxGrade { grade: TaxGrade::B },
                |a| a.tax_grade = Some(TaxGrade::M),
                "tax grade M, needs B or better",
            ),
            (
                Rule::NoActiveDishonesty,
                |a| a.active_dishonesty = Some(1),
                "1 active dishonesty listing(s), needs none",
            ),
            (
                Rule::MaxTaxArrears {
                    amount: Money::from_yuan(10_000),
                },
                |a| a.tax_arrears = Some(Money::from_fen(1_200_050)),
                "tax arrears 12000.50 yuan, at most 10000.00 allowed",
            ),
            (
                Rule::MaxSiArrearsMonths { months: 0 },
                |a| a.si_arrears_months = Some(3),
                "social insurance 3 month(s) in arrears, at most 0 allowed",
            ),
            (
                Rule::FirstLoanOnly,
                |a| a.has_bank_loan = true,
                "has had a bank loan; first loans only",
            ),
            (
                Rule::LoanMaturingWithin { days: 60 },
                |a| a.days_to_maturity = Some(90),
                "nearest loan matures in 90 days, needs one within 60",
            ),
            (
                Rule::ConfirmedReceivables,
                |a| a.confirmed_receivables = Money::from_yuan(500_000),
                "confirmed receivables 500000.00 yuan × advance 0.8 = 400000.00 yuan, needs 500000.00",
            ),
            (
                Rule::AppraisedIp,
                |a| a.appraised_ip = Money::from_yuan(600_000),
                "unpledged appraised IP 600000.00 yuan × LTV 0.5 = 300000.00 yuan, needs 500000.00",
            ),
            (
                Rule::Designation {
                    any_of: vec![Designation::SpecialisedInnovative, Designation::HighTech],
                },
                |a| a.designations.clear(),
                "designations none, needs specialised_innovative / high_tech",
            ),
        ];
        assert_eq!(cases.len(), RULE_TYPES.len(), "a case per rule type");
        for (rule, spoil, said) in cases {
            let mut good = ok.clone();
            if rule == Rule::FirstLoanOnly {
                good.has_bank_loan = false;
            }
            let pass = check_rule(&rule, p, &good, &ask(500_000));
            assert_eq!(pass, None, "{rule:?} should pass");
            let mut bad = good.clone();
            spoil(&mut bad);
            let fail = check_rule(&rule, p, &bad, &ask(500_000)).expect("should fail");
            assert_eq!(fail.message, said, "{rule:?}");
            assert_eq!(fail.rule, rule.type_name());
        }
    }

    #[test]
    fn missing_data_fails_and_says_so() {
        let a = Applicant {
            score: None,
            grade: None,
            tax_grade: None,
            active_dishonesty: None,
            ..firm()
        };
        for (r, said) in [
            (
                Rule::MinScore { score: 650 },
                "no credit profile yet, needs score 650",
            ),
            (
                Rule::MinTaxGrade { grade: TaxGrade::B },
                "no tax grade reported, needs B or better",
            ),
        ] {
            let c = check_rule(&r, Ratios::WHOLE, &a, &ask(500_000)).expect("fails");
            assert_eq!(c.message, said);
        }
    }

    #[test]
    fn unknown_rule_types_and_bad_parameters_are_refused() {
        let e = Rule::from_json(&serde_json::json!({"type": "min_turnover", "amount": "1"}))
            .unwrap_err();
        assert_eq!(e.rule, "rule.unknown_type");
        assert!(
            e.message.contains("'min_turnover' is not a rule type"),
            "{}",
            e.message
        );
        let e =
            Rule::from_json(&serde_json::json!({"type": "min_score", "score": 950})).unwrap_err();
        assert_eq!(e.rule, "score.range");
        let e =
            Rule::from_json(&serde_json::json!({"type": "min_score", "points": 600})).unwrap_err();
        assert_eq!(e.rule, "rule.parameters");
        let r = Rule::from_json(
            &serde_json::json!({"type": "district", "any_of": ["浦东新区", "310104"]}),
        )
        .unwrap();
        assert_eq!(
            r,
            Rule::District {
                any_of: vec!["pudong".into(), "xuhui".into()]
            }
        );
        let r = Rule::from_json(&serde_json::json!({"type": "no_active_dishonesty"})).unwrap();
        assert_eq!(r, Rule::NoActiveDishonesty);
    }

    #[test]
    fn integer_pricing_equals_decimal_pricing() {
        let mut rng = 1u64;
        for _ in 0..2000 {
            rng = rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let fen = (rng >> 20) as i64 % 1_000_000_000 - 10_000;
            let rate = Decimal::new((rng >> 7) as i64 % 100_000, 6);
            let months = (rng >> 40) as i32 % 120 + 1;
            let amount = Money::from_fen(fen);
            let exact = Money::round_yuan(
                amount.to_decimal() * rate * Decimal::from(months) / Decimal::from(12),
            )
            .unwrap();
            assert_eq!(
                over_term(amount, rate, months),
                exact,
                "{amount} {rate} {months}"
            );
        }
        // Exactly half a fen rounds away from zero.
        assert_eq!(
            over_term(Money::from_fen(1), dec!(0.5), 12),
            Money::from_fen(1)
        );
        assert_eq!(
            over_term(Money::from_fen(-1), dec!(0.5), 12),
            Money::from_fen(-1)
        );
    }

    #[test]
    fn rate_follows_grade_within_the_range() {
        let p = product("p", loan(vec![]));
        let l = p.terms.lending().unwrap();
        assert_eq!(priced_rate(l, Some(Grade::AAA)), dec!(0.0345));
        assert_eq!(priced_rate(l, Some(Grade::C)), dec!(0.0465));
        assert_eq!(priced_rate(l, Some(Grade::BBB)), dec!(0.0405));
        assert_eq!(priced_rate(l, None), dec!(0.0465));
    }

    #[test]
    fn all_in_cost_adds_guarantee_fee_and_takes_off_subsidies() {
        let scheme = ProductSpec {
            kind: ProductKind::GuaranteeScheme,
            subtype: None,
            rate_min: None,
            rate_max: None,
            fee_rate: Some(dec!(0.01)),
            coverage_ratio: Some(dec!(0.8)),
            amount_max: Money::from_yuan(10_000_000),
            ..loan(vec![])
        };
        let p = ProductSpec {
            rate_min: Some(dec!(0.0385)),
            rate_max: None,
            annual_fee_rate: dec!(0.001),
            guarantee_scheme_id: Some("s".into()),
            ..loan(vec![])
        };
        let a = Ask {
            amount: Money::from_yuan(1_000_000),
            term_months: 18,
            on: d("2026-11-25"),
        };
        let (p, scheme) = (product("p", p), product("s", scheme));
        // The offer priced under half the fee and a 0.5% interest subsidy, in exclusivity `group` or none.
        let priced = |group: Option<serde_json::Value>| {
            let policies = vec![
                policy(
                    "fee",
                    serde_json::json!({"kind": "share_of_fee", "share": "0.5"}),
                    group.clone(),
                ),
                policy(
                    "interest",
                    serde_json::json!({"kind": "interest_subsidy", "rate": "0.005"}),
                    group,
                ),
            ];
            let money = PublicMoney {
                policies: &policies,
                drawn: &[],
            };
            cost(
                &p,
                Some(&scheme),
                Some(Grade::A),
                &a,
                &quotable(money, &firm(), &a),
            )
        };
        let c = priced(None);
        assert_eq!(c.interest_rate, dec!(0.0385));
        assert_eq!(c.guarantee_fee_rate, dec!(0.008));
        assert_eq!(c.interest, Money::from_yuan(57_750));
        assert_eq!(c.guarantee_fee, Money::from_yuan(12_000));
        assert_eq!(c.fees, Money::from_yuan(1_500));
        // The policies pay by the days: 2026-11-25 to 2028-05-25 is 547 days (2028 is a leap year).
        // Fee: 50% × 1% × 800,000 × 547 / 365 = 5,994.5205… → 5,994.52.
        // Interest: 0.5% × 1,000,000 × 547 / 365 = 7,493.1506… → 7,493.15.
        assert_eq!(c.guarantee_fee_subsidy, Money::parse("5994.52").unwrap());
        assert_eq!(c.interest_subsidy, Money::parse("7493.15").unwrap());
        let named: Vec<(&str, Money, i64)> = c
            .subsidies
            .iter()
            .map(|s| (s.policy_id.as_str(), s.amount, s.days))
            .collect();
        assert_eq!(
            named,
            vec![
                ("fee", Money::parse("5994.52").unwrap(), 547),
                ("interest", Money::parse("7493.15").unwrap(), 547)
            ]
        );
        // 57,750 + 1,500 + 12,000 − 5,994.52 − 7,493.15
        assert_eq!(c.all_in_total, Money::parse("57762.33").unwrap());
        // As yearly rates on the amount: 5,994.52 / 1,500,000 and 7,493.15 / 1,500,000, to 6 places.
        assert_eq!(c.guarantee_fee_subsidy_rate, dec!(0.003996));
        assert_eq!(c.interest_subsidy_rate, dec!(0.004995));
        assert_eq!(c.all_in_rate, dec!(0.038509));
        assert_eq!(c.scheme.as_ref().map(|s| s.id.as_str()), Some("s"));
        // Without the scheme: no guarantee fee and no fee subsidy; the interest subsidy stays.
        let w = c.without_scheme.as_deref().unwrap();
        assert_eq!(
            (w.guarantee_fee, w.guarantee_fee_subsidy),
            (Money::ZERO, Money::ZERO)
        );
        assert_eq!(w.interest_subsidy, Money::parse("7493.15").unwrap());
        // 57,750 + 1,500 − 7,493.15
        assert_eq!(w.all_in_total, Money::parse("51756.85").unwrap());
        assert!(w.without_scheme.is_none());
        // Exclusive with each other: the offer draws the larger, and says why it forgoes the other.
        let c = priced(Some(serde_json::json!({"group": "g"})));
        assert_eq!(c.subsidies.len(), 1);
        assert_eq!(c.subsidies[0].policy_id, "interest");
        assert_eq!(c.guarantee_fee_subsidy, Money::ZERO);
        assert_eq!(c.forgone.len(), 1);
        assert_eq!(c.forgone[0].policy_id, "fee");
        assert!(
            c.forgone[0].reason.contains("policy interest"),
            "{}",
            c.forgone[0].reason
        );
        // Rounded once per component, half away from zero: 333.33 × 0.0385 × 1 = 12.833205 -> 12.83
        let small = Ask {
            amount: Money::from_fen(33_333),
            term_months: 12,
            on: a.on,
        };
        assert_eq!(
            cost(&p, None, Some(Grade::A), &small, &[]).interest,
            Money::from_fen(1283)
        );
    }

    /// A policy for the tests: every firm, 2026-2027, the formula given.
    fn policy(
        id: &str,
        formula: serde_json::Value,
        exclusive: Option<serde_json::Value>,
    ) -> Policy {
        let mut v = serde_json::json!({
            "name": format!("policy {id}"), "window_from": "2026-01-01", "window_to": "2027-12-31",
            "formula": formula,
        });
        if let Some(e) = exclusive {
            v["exclusive"] = e;
        }
        serde_json::from_value::<subsidy::PolicySpec>(v)
            .unwrap()
            .policy(id)
    }

    #[test]
    fn ranking_by_all_in_cost_and_near_misses_explained() {
        let mk = product;
        let scheme = ProductSpec {
            kind: ProductKind::GuaranteeScheme,
            subtype: None,
            rate_min: None,
            rate_max: None,
            fee_rate: Some(dec!(0.01)),
            coverage_ratio: Some(dec!(1)),
            amount_max: Money::from_yuan(2_000_000),
            ..loan(vec![])
        };
        let catalogue = vec![
            mk(
                "a-cheap-guaranteed",
                ProductSpec {
                    rate_min: Some(dec!(0.03)),
                    rate_max: None,
                    guarantee_scheme_id: Some("s".into()),
                    ..loan(vec![])
                },
            ),
            mk(
                "b-plain",
                ProductSpec {
                    rate_min: Some(dec!(0.036)),
                    rate_max: None,
                    ..loan(vec![])
                },
            ),
            mk("c-near", loan(vec![Rule::MinScore { score: 750 }])),
            mk(
                "d-far",
                loan(vec![
                    Rule::MinScore { score: 750 },
                    Rule::FirstLoanOnly,
                    Rule::MinTaxGrade { grade: TaxGrade::A },
                ]),
            ),
            mk(
                "e-expired",
                ProductSpec {
                    valid_to: Some(d("2026-06-30")),
                    ..loan(vec![])
                },
            ),
            mk("s", scheme),
        ];
        let policies = vec![policy(
            "fee",
            serde_json::json!({"kind": "share_of_fee", "share": "0.5"}),
            None,
        )];
        let money = PublicMoney {
            policies: &policies,
            drawn: &[],
        };
        let m = match_products(&catalogue, money, &firm(), &ask(500_000));
        let ids: Vec<_> = m.offers.iter().map(|o| o.product.id.as_str()).collect();
        // a: 0.03 + 0.01 − 0.005 (half the fee, from the policy: 50% × 1% × 500,000 × 365/365 = 2,500)
        // = 0.035 < b: 0.036. The scheme is never an offer of its own: it is part of a.
        assert_eq!(ids, ["a-cheap-guaranteed", "b-plain"]);
        assert_eq!(
            m.offers[0].cost.guarantee_fee_subsidy,
            Money::from_yuan(2_500)
        );
        assert_eq!(m.offers[0].cost.subsidies[0].policy_name, "policy fee");
        assert_eq!(m.near_misses.len(), 1);
        assert_eq!(m.near_misses[0].product.id, "c-near");
        assert_eq!(m.near_misses[0].failed[0].message, "score 700, needs 750");
        assert_eq!(m.not_eligible, 1);
        assert_eq!(m.checked, 4);
        // Without the policy the guaranteed loan pays its whole fee and ranks after the plain one.
        let m = match_products(&catalogue, PublicMoney::default(), &firm(), &ask(500_000));
        let ids: Vec<_> = m.offers.iter().map(|o| o.product.id.as_str()).collect();
        assert_eq!(ids, ["b-plain", "a-cheap-guaranteed"]);
        // Amount over the scheme's ceiling: the guaranteed loan becomes a near miss that says so.
        let m = match_products(&catalogue, money, &firm(), &ask(3_000_000));
        assert!(m
            .offers
            .iter()
            .all(|o| o.product.id != "a-cheap-guaranteed"));
    }

    #[test]
    fn spec_violations_name_each_field() {
        let mut p = loan(vec![]);
        p.kind = ProductKind::ReceivableFinancing;
        p.amount_max = Money::from_yuan(1);
        p.rate_min = Some(dec!(0.5));
        let v = p.violations();
        let fields: Vec<_> = v
            .iter()
            .map(|v| (v.field.as_str(), v.rule.as_str()))
            .collect();
        for want in [
            ("amount_max", "range.order"),
            ("rate_min", "rate.range"),
            ("advance_ratio", "required"),
            ("subtype", "field.not_applicable"),
            ("rules", "rule.required"),
        ] {
            assert!(fields.contains(&want), "{want:?} in {fields:?}");
        }
        assert!(loan(vec![]).violations().is_empty());
    }
}
