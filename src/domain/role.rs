//! The roles an API key can carry, and the kind of institution each institutional role belongs to.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Bank,
    Guarantor,
    Government,
    Firm,
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Bank,
        Role::Guarantor,
        Role::Government,
        Role::Firm,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Bank => "bank",
            Role::Guarantor => "guarantor",
            Role::Government => "government",
            Role::Firm => "firm",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The institution kind a key of this role must belong to, if any.
    pub fn institution_kind(self) -> Option<&'static str> {
        match self {
            Role::Bank => Some("bank"),
            Role::Guarantor => Some("guarantor"),
            Role::Government => Some("government"),
            Role::Firm | Role::Admin => None,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
