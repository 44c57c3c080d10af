//! SME size classification (Art 2) under a versioned size standard; the 2011 national standard ships as data.

use super::industry::{parse_industry, Industry, IndustryError};
use super::money::Money;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SizeClass {
    Micro,
    Small,
    Medium,
    Large,
}

impl SizeClass {
    pub const ALL: [SizeClass; 4] = [
        SizeClass::Micro,
        SizeClass::Small,
        SizeClass::Medium,
        SizeClass::Large,
    ];
    /// Small and micro firms: the ones Art 17's third, Art 21's inclusive loans and Art 49's 60% count.
    pub fn is_small_or_micro(self) -> bool {
        matches!(self, SizeClass::Small | SizeClass::Micro)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            SizeClass::Micro => "micro",
            SizeClass::Small => "small",
            SizeClass::Medium => "medium",
            SizeClass::Large => "large",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        SizeClass::ALL.into_iter().find(|c| c.as_str() == s)
    }
    /// The standard's rules on a row's verdicts: large outside the SME ceiling ("or": meeting any of its
    /// bounds is inside); medium when every medium lower bound is met, else small when every small one
    /// is; micro below.
    fn from_verdicts(inside_ceiling: bool, medium: bool, small: bool) -> SizeClass {
        if !inside_ceiling {
            SizeClass::Large
        } else if medium {
            SizeClass::Medium
        } else if small {
            SizeClass::Small
        } else {
            SizeClass::Micro
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Indicator {
    Employees,
    Revenue,
    TotalAssets,
}

impl Indicator {
    pub fn as_str(self) -> &'static str {
        match self {
            Indicator::Employees => "employees",
            Indicator::Revenue => "revenue",
            Indicator::TotalAssets => "total_assets",
        }
    }
    /// The standard states money in 10,000 yuan (万元); requests state it in yuan.
    fn unit_in_request(self) -> Decimal {
        match self {
            Indicator::Employees => Decimal::ONE,
            _ => Decimal::from(10_000),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Bound {
    pub indicator: Indicator,
    /// In the standard's units: persons, or 10,000 yuan.
    pub value: u64,
}

impl Bound {
    /// Whether the firm's indicator meets the bound: below it for the SME ceiling, at least it for a
    /// lower bound (a missing indicator counts as zero).
    fn met(&self, ind: &Indicators, ceiling: bool) -> bool {
        let value = ind.get(self.indicator).unwrap_or_default();
        let bound = Decimal::from(self.value) * self.indicator.unit_in_request();
        if ceiling {
            value < bound
        } else {
            value >= bound
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Row {
    pub key: String,
    pub name: String,
    pub ceiling: Vec<Bound>,
    pub medium: Vec<Bound>,
    pub small: Vec<Bound>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Standard {
    pub version: String,
    pub source: String,
    pub rows: Vec<Row>,
}

/// The indicators of one firm, in request units (persons, yuan).
#[derive(Debug, Clone, Copy, Default)]
pub struct Indicators {
    pub employees: Option<u64>,
    pub revenue: Option<Money>,
    pub total_assets: Option<Money>,
}

impl Indicators {
    fn get(&self, i: Indicator) -> Option<Decimal> {
        match i {
            Indicator::Employees => self.employees.map(Decimal::from),
            Indicator::Revenue => self.revenue.map(Money::to_decimal),
            Indicator::TotalAssets => self.total_assets.map(Money::to_decimal),
        }
    }
}

/// One indicator that decided the class, with the bound it was held against.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Deciding {
    /// `employees`, `revenue` or `total_assets`.
    pub indicator: &'static str,
    /// The firm's value, in persons or yuan.
    pub value: String,
    /// The bound, in the same unit as `value`.
    pub bound: String,
    /// `sme_ceiling`, `medium_lower_bound` or `small_lower_bound`.
    pub rule: &'static str,
    /// Whether the value met the bound (`at_least` for lower bounds, `below` for the ceiling).
    pub met: bool,
    pub explanation: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Classification {
    #[schema(value_type = String, example = "small")]
    pub size_class: SizeClass,
    pub standard: String,
    pub row: String,
    pub industry_code: String,
    pub deciding: Vec<Deciding>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClassifyError {
    #[error(transparent)]
    Industry(#[from] IndustryError),
    #[error("the '{row}' row of the {standard} standard needs {}", missing.join(", "))]
    Missing {
        row: String,
        standard: String,
        missing: Vec<&'static str>,
    },
}

static STANDARD_2011: OnceLock<Standard> = OnceLock::new();

impl Standard {
    /// The 2011 national standard, parsed once from the data shipped in the binary.
    pub fn current() -> &'static Standard {
        STANDARD_2011.get_or_init(|| {
            toml::from_str(include_str!("size_standard_2011.toml"))
                .expect("the shipped size standard is valid TOML (tested)")
        })
    }

    pub fn row_keys(&self) -> Vec<&str> {
        self.rows.iter().map(|r| r.key.as_str()).collect()
    }

    pub fn industry(&self, input: &str) -> Result<Industry, IndustryError> {
        // Row keys are 'static in the shipped data's lifetime; collect them once per call.
        let keys: Vec<&'static str> = Standard::current()
            .rows
            .iter()
            .map(|r| r.key.as_str())
            .collect();
        parse_industry(input, &keys)
    }

    pub fn row(&self, key: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.key == key)
    }

    /// The indicators a row needs, in a stable order.
    pub fn required(row: &Row) -> Vec<Indicator> {
        let mut out = Vec::new();
        for b in row.ceiling.iter().chain(&row.medium).chain(&row.small) {
            if !out.contains(&b.indicator) {
                out.push(b.indicator);
            }
        }
        out
    }

    /// Classify a firm. Rules of the standard: SME only inside the ceiling ("or"); medium and small need
    /// all of their lower bounds ("and"), a firm that misses one drops a class; micro is below small.
    pub fn classify(
        &self,
        industry: &Industry,
        ind: &Indicators,
    ) -> Result<Classification, ClassifyError> {
        let row = self
            .row(industry.row)
            .ok_or_else(|| ClassifyError::Industry(IndustryError::Format(industry.code.clone())))?;
        let missing: Vec<&'static str> = Self::required(row)
            .into_iter()
            .filter(|i| ind.get(*i).is_none())
            .map(Indicator::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(ClassifyError::Missing {
                row: row.key.clone(),
                standard: self.version.clone(),
                missing,
            });
        }
        let judge = |b: &Bound, rule: &'static str| -> Deciding {
            let value = ind.get(b.indicator).unwrap_or_default();
            let bound = Decimal::from(b.value) * b.indicator.unit_in_request();
            let met = b.met(ind, rule == "sme_ceiling");
            let unit = if b.indicator == Indicator::Employees {
                "persons"
            } else {
                "yuan"
            };
            let relation = match (rule, met) {
                ("sme_ceiling", true) => "below",
                ("sme_ceiling", false) => "not below",
                (_, true) => "at least",
                (_, false) => "below",
            };
            let what = match rule {
                "sme_ceiling" => "the SME ceiling",
                "medium_lower_bound" => "the medium lower bound",
                _ => "the small lower bound",
            };
            Deciding {
                indicator: b.indicator.as_str(),
                value: value.normalize().to_string(),
                bound: bound.to_string(),
                rule,
                met,
                explanation: format!(
                    "{} {} {unit} is {relation} {what} of {} {unit}",
                    b.indicator.as_str(),
                    value.normalize(),
                    bound
                ),
            }
        };
        let ceiling: Vec<Deciding> = row
            .ceiling
            .iter()
            .map(|b| judge(b, "sme_ceiling"))
            .collect();
        let medium: Vec<Deciding> = row
            .medium
            .iter()
            .map(|b| judge(b, "medium_lower_bound"))
            .collect();
        let small: Vec<Deciding> = row
            .small
            .iter()
            .map(|b| judge(b, "small_lower_bound"))
            .collect();
        let size_class = SizeClass::from_verdicts(
            ceiling.iter().any(|d| d.met),
            medium.iter().all(|d| d.met),
            small.iter().all(|d| d.met),
        );
        let deciding = match size_class {
            SizeClass::Large => ceiling,
            SizeClass::Medium => medium,
            SizeClass::Small => medium.into_iter().filter(|d| !d.met).collect(),
            SizeClass::Micro => small.into_iter().filter(|d| !d.met).collect(),
        };
        Ok(Classification {
            size_class,
            standard: self.version.clone(),
            row: row.key.clone(),
            industry_code: industry.code.clone(),
            deciding,
        })
    }

    /// The class alone, without the reasons (classifying many firms at many dates); `None` when an
    /// indicator the row needs is missing. Always [`Standard::classify`]'s class.
    pub fn size_class(&self, industry: &Industry, ind: &Indicators) -> Option<SizeClass> {
        let row = self.row(industry.row)?;
        if Self::required(row)
            .into_iter()
            .any(|i| ind.get(i).is_none())
        {
            return None;
        }
        Some(SizeClass::from_verdicts(
            row.ceiling.iter().any(|b| b.met(ind, true)),
            row.medium.iter().all(|b| b.met(ind, false)),
            row.small.iter().all(|b| b.met(ind, false)),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify(
        industry: &str,
        x: Option<u64>,
        y_wan: Option<i64>,
        z_wan: Option<i64>,
    ) -> Result<SizeClass, ClassifyError> {
        let std = Standard::current();
        let ind = std.industry(industry)?;
        let indicators = Indicators {
            employees: x,
            revenue: y_wan.map(|w| Money::from_yuan(w * 10_000)),
            total_assets: z_wan.map(|w| Money::from_yuan(w * 10_000)),
        };
        std.classify(&ind, &indicators).map(|c| c.size_class)
    }

    #[test]
    fn shipped_standard_loads_with_all_rows() {
        let keys = Standard::current().row_keys();
        assert_eq!(keys.len(), 16);
        assert!(keys.contains(&"leasing_business_services"));
    }

    #[test]
    fn industry_row_boundaries() {
        use SizeClass::*;
        let c = |x, y| classify("industry", Some(x), Some(y), None).unwrap();
        assert_eq!(c(300, 2000), Medium);
        assert_eq!(c(299, 2000), Small); // misses one medium bound: drops a class
        assert_eq!(c(300, 1999), Small);
        assert_eq!(c(20, 300), Small);
        assert_eq!(c(19, 5000), Micro); // misses one small bound
        assert_eq!(c(999, 50000), Medium); // inside the ceiling by employees
        assert_eq!(c(1000, 39999), Medium); // inside the ceiling by revenue
        assert_eq!(c(1000, 40000), Large);
    }

    #[test]
    fn single_indicator_rows() {
        use SizeClass::*;
        assert_eq!(
            classify("agriculture", None, Some(19999), None).unwrap(),
            Medium
        );
        assert_eq!(
            classify("agriculture", None, Some(20000), None).unwrap(),
            Large
        );
        assert_eq!(
            classify("agriculture", None, Some(49), None).unwrap(),
            Micro
        );
        assert_eq!(classify("other", Some(9), None, None).unwrap(), Micro);
        assert_eq!(classify("other", Some(10), None, None).unwrap(), Small);
        assert_eq!(classify("other", Some(300), None, None).unwrap(), Large);
    }

    #[test]
    fn missing_indicator_is_an_error() {
        let e = classify("construction", None, Some(100), None).unwrap_err();
        assert_eq!(
            e,
            ClassifyError::Missing {
                row: "construction".into(),
                standard: "2011".into(),
                missing: vec!["total_assets"]
            }
        );
    }

    #[test]
    fn deciding_names_the_missed_bound() {
        let std = Standard::current();
        let ind = std.industry("I65").unwrap();
        let c = std
            .classify(
                &ind,
                &Indicators {
                    employees: Some(50),
                    revenue: Some(Money::from_yuan(20_000_000)),
                    total_assets: None,
                },
            )
            .unwrap();
        assert_eq!(c.size_class, SizeClass::Small);
        assert_eq!(c.deciding.len(), 1);
        assert_eq!(c.deciding[0].indicator, "employees");
        assert_eq!(c.deciding[0].bound, "100");
        assert!(!c.deciding[0].met);
    }

    proptest::proptest! {
        /// The bulk classification (class alone) is always the full one's class, on every row of the
        /// standard, including where an indicator is missing.
        #[test]
        fn the_class_alone_is_classifys_class(
            row in 0usize..16,
            x in proptest::option::of(0u64..3_000),
            y in proptest::option::of(0i64..3_000_000_000),
            z in proptest::option::of(0i64..3_000_000_000),
        ) {
            let std = Standard::current();
            let key = std.row_keys()[row].to_string();
            let ind = std.industry(&key).unwrap();
            let indicators = Indicators {
                employees: x,
                revenue: y.map(Money::from_yuan),
                total_assets: z.map(Money::from_yuan),
            };
            proptest::prop_assert_eq!(
                std.size_class(&ind, &indicators),
                std.classify(&ind, &indicators).ok().map(|c| c.size_class)
            );
        }
    }
}
