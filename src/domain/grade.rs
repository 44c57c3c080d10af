//! Grades as ordered values: the profile grade (AAA … C, from the scorecard) and the tax credit grade
//! (纳税信用等级 A, B, M, C, D). A better grade compares greater, so a rule reads `have >= need`.

use std::fmt;
use std::str::FromStr;

macro_rules! grade_enum {
    ($(#[$doc:meta])* $name:ident, $what:literal, [$($v:ident),+]) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($v),+
        }

        impl $name {
            /// Best first.
            pub const ALL: &'static [$name] = &[$($name::$v),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$v => stringify!($v)),+
                }
            }

            /// Its place from the best (0) down.
            pub fn rank(self) -> usize {
                self as usize
            }

            /// The labels, best first, for messages.
            pub fn labels() -> String {
                Self::ALL.iter().map(|g| g.as_str()).collect::<Vec<_>>().join(", ")
            }
        }

        impl PartialOrd for $name {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        /// Better is greater.
        impl Ord for $name {
            fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                other.rank().cmp(&self.rank())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|g| g.as_str() == s)
                    .ok_or_else(|| format!(concat!("'{}' is not a ", $what, "; use one of {}"), s, Self::labels()))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some(Self::ALL.iter().map(|g| g.as_str())))
                    .description(Some(concat!("a ", $what, ", best first in the list")))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

grade_enum!(
    /// The profile grade the scorecard gives a score.
    Grade,
    "grade",
    [AAA, AA, A, BBB, BB, B, C]
);

grade_enum!(
    /// The yearly tax credit grade (纳税信用等级).
    TaxGrade,
    "tax grade",
    [A, B, M, C, D]
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn better_is_greater() {
        assert!(Grade::AAA > Grade::AA && Grade::BBB > Grade::BB && Grade::B > Grade::C);
        assert!(
            TaxGrade::A > TaxGrade::B && TaxGrade::B > TaxGrade::M && TaxGrade::C > TaxGrade::D
        );
        let mut all = Grade::ALL.to_vec();
        all.sort();
        assert_eq!(all.first(), Some(&Grade::C));
        assert_eq!(all.last(), Some(&Grade::AAA));
    }

    #[test]
    fn parse_and_show() {
        for g in Grade::ALL {
            assert_eq!(g.as_str().parse::<Grade>(), Ok(*g));
            assert_eq!(serde_json::to_string(g).unwrap(), format!("\"{g}\""));
        }
        assert_eq!(
            "aa".parse::<Grade>(),
            Err("'aa' is not a grade; use one of AAA, AA, A, BBB, BB, B, C".into())
        );
        assert_eq!("M".parse::<TaxGrade>(), Ok(TaxGrade::M));
        assert!("M".parse::<Grade>().is_err());
        let e = serde_json::from_str::<TaxGrade>("\"E\"").unwrap_err();
        assert!(e.to_string().contains("'E' is not a tax grade"), "{e}");
    }
}
