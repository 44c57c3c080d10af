//! GB/T 4754-2017 industry codes and their rows of the 2011 SME size standard (DOMAIN.md §2a).

/// The sections of GB/T 4754-2017 and the division numbers each holds.
const SECTIONS: [(char, u8, u8); 20] = [
    ('A', 1, 5),
    ('B', 6, 12),
    ('C', 13, 43),
    ('D', 44, 46),
    ('E', 47, 50),
    ('F', 51, 52),
    ('G', 53, 60),
    ('H', 61, 62),
    ('I', 63, 65),
    ('J', 66, 69),
    ('K', 70, 70),
    ('L', 71, 72),
    ('M', 73, 75),
    ('N', 76, 79),
    ('O', 80, 82),
    ('P', 83, 83),
    ('Q', 84, 85),
    ('R', 86, 90),
    ('S', 91, 96),
    ('T', 97, 97),
];

/// Where a listed prefix leads: a row of the standard, or outside it (with the reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Row(&'static str),
    Outside(&'static str),
    /// A section split over several rows: the division is needed.
    Ambiguous(&'static str),
}

/// DOMAIN.md §2a; a code maps by its longest listed prefix.
const PREFIXES: &[(&str, Target)] = &[
    ("A", Target::Row("agriculture")),
    ("B", Target::Row("industry")),
    ("C", Target::Row("industry")),
    ("D", Target::Row("industry")),
    ("E", Target::Row("construction")),
    ("F", Target::Ambiguous("section F is split into wholesale (F51) and retail (F52)")),
    ("F51", Target::Row("wholesale")),
    ("F52", Target::Row("retail")),
    ("G", Target::Ambiguous("section G is split into rail (G53), transport (G54-G58), warehousing (G59) and postal services (G60)")),
    ("G53", Target::Outside("rail transport (G53) is outside the 2011 SME size standard")),
    ("G54", Target::Row("transport")),
    ("G55", Target::Row("transport")),
    ("G56", Target::Row("transport")),
    ("G57", Target::Row("transport")),
    ("G58", Target::Row("transport")),
    ("G59", Target::Row("warehousing")),
    ("G60", Target::Row("postal")),
    ("H", Target::Ambiguous("section H is split into accommodation (H61) and catering (H62)")),
    ("H61", Target::Row("accommodation")),
    ("H62", Target::Row("catering")),
    ("I", Target::Ambiguous("section I is split into information transmission (I63, I64) and software and IT services (I65)")),
    ("I63", Target::Row("information_transmission")),
    ("I64", Target::Row("information_transmission")),
    ("I65", Target::Row("software_it")),
    ("J", Target::Outside("finance (section J) has its own size standard (2015) and is outside the 2011 standard")),
    ("K", Target::Row("other")),
    ("K701", Target::Row("real_estate_development")),
    ("K702", Target::Row("property_management")),
    ("L", Target::Row("leasing_business_services")),
    ("M", Target::Row("other")),
    ("N", Target::Row("other")),
    ("O", Target::Row("other")),
    ("P", Target::Row("other")),
    ("Q", Target::Row("other")),
    ("R", Target::Row("other")),
    ("S", Target::Outside("public administration (section S) is outside the 2011 SME size standard")),
    ("T", Target::Outside("international organisations (section T) are outside the 2011 SME size standard")),
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndustryError {
    #[error("'{0}' is neither a row key of the size standard nor a GB/T 4754 code (a section letter A-T followed by 0, 2, 3 or 4 digits, e.g. C, C13, C131, C1310)")]
    Format(String),
    #[error("GB/T 4754 division {division:02} does not belong to section {section} (it holds divisions {from:02}-{to:02})")]
    Division {
        section: char,
        division: u8,
        from: u8,
        to: u8,
    },
    #[error("{0}")]
    OutsideStandard(&'static str),
    #[error("{0}; give the division (at least 3 characters)")]
    Ambiguous(&'static str),
}

impl IndustryError {
    pub fn rule(&self) -> &'static str {
        match self {
            IndustryError::Format(_) => "industry.format",
            IndustryError::Division { .. } => "industry.division",
            IndustryError::OutsideStandard(_) => "industry.outside_standard",
            IndustryError::Ambiguous(_) => "industry.ambiguous",
        }
    }
}

/// A firm's industry: the code as given (normalised) and the row of the size standard it falls in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Industry {
    /// The GB/T 4754 code, or the row key when the caller gave a row key.
    pub code: String,
    pub row: &'static str,
}

/// Parse a row key (`software_it`) or a GB/T 4754 code at any depth (`I`, `I65`, `I651`, `I6510`).
pub fn parse_industry(input: &str, row_keys: &[&'static str]) -> Result<Industry, IndustryError> {
    let s = input.trim();
    if let Some(row) = row_keys.iter().find(|k| **k == s) {
        return Ok(Industry {
            code: (*row).to_string(),
            row,
        });
    }
    let code = s.to_ascii_uppercase();
    let bytes = code.as_bytes();
    let well_formed = !bytes.is_empty()
        && bytes[0].is_ascii_uppercase()
        && matches!(bytes.len(), 1 | 3 | 4 | 5)
        && bytes[1..].iter().all(u8::is_ascii_digit);
    let section = SECTIONS
        .iter()
        .find(|(l, _, _)| bytes.first() == Some(&(*l as u8)));
    let Some(&(letter, from, to)) = section.filter(|_| well_formed) else {
        return Err(IndustryError::Format(s.to_string()));
    };
    if code.len() >= 3 {
        let division: u8 = code[1..3]
            .parse()
            .map_err(|_| IndustryError::Format(s.to_string()))?;
        if !(from..=to).contains(&division) {
            return Err(IndustryError::Division {
                section: letter,
                division,
                from,
                to,
            });
        }
    }
    let target = PREFIXES
        .iter()
        .filter(|(p, _)| code.starts_with(p))
        .max_by_key(|(p, _)| p.len())
        .map(|(_, t)| *t)
        .ok_or_else(|| IndustryError::Format(s.to_string()))?;
    match target {
        Target::Row(row) => Ok(Industry { code, row }),
        Target::Outside(why) => Err(IndustryError::OutsideStandard(why)),
        Target::Ambiguous(why) => Err(IndustryError::Ambiguous(why)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    const KEYS: &[&str] = &["industry", "software_it", "other"];

    #[test]
    fn table() {
        let row = |s: &str| parse_industry(s, KEYS).map(|i| i.row);
        assert_eq!(row("C"), Ok("industry"));
        assert_eq!(row("c1310"), Ok("industry"));
        assert_eq!(row("F51"), Ok("wholesale"));
        assert_eq!(row("F5211"), Ok("retail"));
        assert_eq!(row("G54"), Ok("transport"));
        assert_eq!(row("G599"), Ok("warehousing"));
        assert_eq!(row("I6510"), Ok("software_it"));
        assert_eq!(row("I64"), Ok("information_transmission"));
        assert_eq!(row("K7010"), Ok("real_estate_development"));
        assert_eq!(row("K7020"), Ok("property_management"));
        assert_eq!(row("K7030"), Ok("other"));
        assert_eq!(row("L72"), Ok("leasing_business_services"));
        assert_eq!(row("M73"), Ok("other"));
        assert_eq!(row("software_it"), Ok("software_it"));
        assert!(matches!(row("J66"), Err(IndustryError::OutsideStandard(_))));
        assert!(matches!(row("G53"), Err(IndustryError::OutsideStandard(_))));
        assert!(matches!(row("S91"), Err(IndustryError::OutsideStandard(_))));
        assert!(matches!(row("F"), Err(IndustryError::Ambiguous(_))));
        assert!(matches!(
            row("C05"),
            Err(IndustryError::Division { division: 5, .. })
        ));
        assert!(matches!(row("C1"), Err(IndustryError::Format(_))));
        assert!(matches!(row("Z12"), Err(IndustryError::Format(_))));
        assert!(matches!(row("banking"), Err(IndustryError::Format(_))));
    }
}
