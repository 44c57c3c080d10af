//! Ids as their own types, so an institution id cannot be passed where a firm or product is meant.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An institution (bank, guarantee agency, government department) as registered: a non-empty id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct InstitutionId(String);

impl InstitutionId {
    /// `None` for an empty or blank id.
    pub fn new(id: impl Into<String>) -> Option<InstitutionId> {
        let id = id.into();
        (!id.trim().is_empty()).then_some(InstitutionId(id))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for InstitutionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Read as the text it is (ids are compared and stored as text); it cannot be built without [`InstitutionId::new`].
impl std::ops::Deref for InstitutionId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for InstitutionId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for InstitutionId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for InstitutionId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for InstitutionId {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

impl From<InstitutionId> for String {
    fn from(id: InstitutionId) -> String {
        id.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_ids_are_not_ids() {
        assert_eq!(InstitutionId::new(""), None);
        assert_eq!(InstitutionId::new("  "), None);
        let id = InstitutionId::new("bank-a").unwrap();
        assert!(id == "bank-a" && id.as_str() == "bank-a");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"bank-a\"");
    }
}
