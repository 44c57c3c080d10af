//! The Unified Social Credit Code (统一社会信用代码, GB 32100-2015): a `Uscc` exists only when valid.

use std::fmt;

/// GB 32100-2015 §4: the 31 code characters (no I, O, Z, S, V).
pub const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// GB 32100-2015 §5: weights of positions 1..17 (3^i mod 31).
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// Why a string is not a USCC; each variant names the exact fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsccError {
    #[error("a USCC has 18 characters, found {found}")]
    Length { found: usize },
    #[error("character '{ch}' at position {position} is not in the USCC alphabet (0-9 and A-Y without I, O, Z, S, V)")]
    Character { position: usize, ch: char },
    #[error("position {position} is part of the administrative division code (positions 3-8) and must be a digit, found '{ch}'")]
    DivisionDigit { position: usize, ch: char },
    #[error("check character expected '{expected}', found '{found}'")]
    Check { expected: char, found: char },
}

impl UsccError {
    /// Stable machine-readable rule name, used in problem+json field errors.
    pub fn rule(&self) -> &'static str {
        match self {
            UsccError::Length { .. } => "uscc.length",
            UsccError::Character { .. } => "uscc.character",
            UsccError::DivisionDigit { .. } => "uscc.division_digit",
            UsccError::Check { .. } => "uscc.check_character",
        }
    }
}

/// A valid, normalised USCC.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uscc(String);

fn value_of(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

/// The check character for the first 17 characters (all already in the alphabet).
pub fn check_char(first17: &[u8]) -> char {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(&c, w)| value_of(c).unwrap_or(0) * w)
        .sum();
    ALPHABET[((31 - sum % 31) % 31) as usize] as char
}

impl Uscc {
    /// Normalise (trim, drop spaces and dashes, upper-case) and validate.
    pub fn parse(input: &str) -> Result<Self, UsccError> {
        let norm: String = input
            .trim()
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .flat_map(|c| c.to_uppercase())
            .collect();
        let chars: Vec<char> = norm.chars().collect();
        if chars.len() != 18 {
            return Err(UsccError::Length { found: chars.len() });
        }
        for (i, &ch) in chars.iter().enumerate() {
            if !ch.is_ascii() || value_of(ch as u8).is_none() {
                return Err(UsccError::Character {
                    position: i + 1,
                    ch,
                });
            }
            if (2..8).contains(&i) && !ch.is_ascii_digit() {
                return Err(UsccError::DivisionDigit {
                    position: i + 1,
                    ch,
                });
            }
        }
        let expected = check_char(&norm.as_bytes()[..17]);
        if chars[17] != expected {
            return Err(UsccError::Check {
                expected,
                found: chars[17],
            });
        }
        Ok(Uscc(norm))
    }

    /// Build a valid code from its 17-character body by appending the check character.
    pub fn with_check(body17: &str) -> Result<Self, UsccError> {
        if body17.len() != 17 {
            return Err(UsccError::Length {
                found: body17.len() + 1,
            });
        }
        let check = check_char(body17.as_bytes());
        Uscc::parse(&format!("{body17}{check}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Position 1: registering authority (9 = market regulator).
    pub fn authority(&self) -> char {
        self.0.as_bytes()[0] as char
    }
    /// Position 2: entity type under that authority.
    pub fn entity_type(&self) -> char {
        self.0.as_bytes()[1] as char
    }
    /// Positions 3-8: administrative division code.
    pub fn division(&self) -> &str {
        &self.0[2..8]
    }
    /// Positions 9-17: organisation code.
    pub fn organization_code(&self) -> &str {
        &self.0[8..17]
    }
    /// Position 18: check character.
    pub fn check(&self) -> char {
        self.0.as_bytes()[17] as char
    }
    pub fn authority_name(&self) -> &'static str {
        match self.authority() {
            '1' => "organisation establishment (机构编制)",
            '5' => "civil affairs (民政)",
            '9' => "market regulation (工商/市场监管)",
            'Y' => "other",
            _ => "other registering authority",
        }
    }
    pub fn entity_type_name(&self) -> &'static str {
        match (self.authority(), self.entity_type()) {
            ('9', '1') => "enterprise (企业)",
            ('9', '2') => "individual business (个体工商户)",
            ('9', '3') => "farmers' cooperative (农民专业合作社)",
            _ => "other entity type",
        }
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Uscc {
    type Err = UsccError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uscc::parse(s)
    }
}

/// As its 18 characters.
impl serde::Serialize for Uscc {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Only a valid USCC deserializes (normalised as [`Uscc::parse`] does).
impl<'de> serde::Deserialize<'de> for Uscc {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Uscc::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases: &[(&str, Result<&str, UsccError>)] = &[
            ("91110000600037341L", Ok("91110000600037341L")),
            (" 9111-0000 6000-37341l ", Ok("91110000600037341L")),
            ("91110000600037341", Err(UsccError::Length { found: 17 })),
            ("91110000600037341LL", Err(UsccError::Length { found: 19 })),
            (
                "91110000600O37341L",
                Err(UsccError::Character {
                    position: 12,
                    ch: 'O',
                }),
            ),
            (
                "9111000060003734IL",
                Err(UsccError::Character {
                    position: 17,
                    ch: 'I',
                }),
            ),
            (
                "911A0000600037341L",
                Err(UsccError::DivisionDigit {
                    position: 4,
                    ch: 'A',
                }),
            ),
            (
                "91110000600037341M",
                Err(UsccError::Check {
                    expected: 'L',
                    found: 'M',
                }),
            ),
            (
                "91110000600037341中",
                Err(UsccError::Character {
                    position: 18,
                    ch: '中',
                }),
            ),
        ];
        for (input, want) in cases {
            let got = Uscc::parse(input).map(|u| u.0);
            assert_eq!(
                got.as_deref().map_err(Clone::clone),
                want.clone(),
                "{input}"
            );
        }
    }

    #[test]
    fn parts() {
        let u = Uscc::parse("91110000600037341L").unwrap();
        assert_eq!(u.authority(), '9');
        assert_eq!(u.entity_type(), '1');
        assert_eq!(u.division(), "110000");
        assert_eq!(u.organization_code(), "600037341");
        assert_eq!(u.check(), 'L');
    }

    #[test]
    fn with_check_round_trips() {
        let u = Uscc::with_check("91310115MA1K3YJ12").unwrap();
        assert_eq!(Uscc::parse(u.as_str()).unwrap(), u);
    }
}
