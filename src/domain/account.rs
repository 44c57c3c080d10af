//! Accounts of people (issue 16): what a person is in their firm, where their account stands, the
//! password rule and the sign-in lockout policy. Pure: the service applies them.

use chrono::{Duration, NaiveDateTime};

/// What a person may do in their firm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberRole {
    /// Grants and revokes consents, applies, invites members, resets their passwords.
    Owner,
    /// Reads.
    Member,
}

impl MemberRole {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberRole::Owner => "owner",
            MemberRole::Member => "member",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [MemberRole::Owner, MemberRole::Member]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

/// Where an account stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    /// Created; the person has not set a password through the activation link yet.
    Pending,
    Active,
    /// Signed out everywhere and refused at sign-in until reinstated.
    Suspended,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Pending => "pending",
            AccountStatus::Active => "active",
            AccountStatus::Suspended => "suspended",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [
            AccountStatus::Pending,
            AccountStatus::Active,
            AccountStatus::Suspended,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

/// An activation or reset link is good for this long.
pub const LINK_VALID_HOURS: i64 = 72;
/// A session lasts this long from sign-in.
pub const SESSION_HOURS: i64 = 12;
/// This many failed sign-ins in a row lock the account …
pub const ACCOUNT_FAILURES: i32 = 5;
/// … for this long.
pub const ACCOUNT_LOCK_MINUTES: i64 = 15;
/// This many failed sign-ins from one address within the window refuse that address …
pub const ADDRESS_FAILURES: i64 = 20;
/// … counted over this window, and refused until the oldest of them leaves it.
pub const ADDRESS_WINDOW_MINUTES: i64 = 15;

pub const PASSWORD_MIN_CHARS: usize = 10;
pub const PASSWORD_MAX_CHARS: usize = 128;

/// Every rule a new password breaks, as (rule, message).
pub fn password_faults(password: &str, login: &str) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let n = password.chars().count();
    if n < PASSWORD_MIN_CHARS {
        out.push((
            "password.length",
            format!("a password needs at least {PASSWORD_MIN_CHARS} characters (密码至少 {PASSWORD_MIN_CHARS} 个字符)"),
        ));
    }
    if n > PASSWORD_MAX_CHARS {
        out.push((
            "password.length",
            format!("a password has at most {PASSWORD_MAX_CHARS} characters"),
        ));
    }
    if !login.is_empty() && password.to_lowercase().contains(&login.to_lowercase()) {
        out.push((
            "password.contains_login",
            "a password must not contain the login (密码不能包含登录名)".into(),
        ));
    }
    let kinds = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|k| **k)
    .count();
    if n >= PASSWORD_MIN_CHARS && kinds < 2 {
        out.push((
            "password.variety",
            "a password needs two kinds of characters: letters, digits or symbols (密码需包含至少两类字符)".into(),
        ));
    }
    out
}

/// After a failed sign-in with `failures_before` failures in a row: the new count and, when it reaches
/// the limit, until when the account is locked.
pub fn after_failure(failures_before: i32, at: NaiveDateTime) -> (i32, Option<NaiveDateTime>) {
    let n = failures_before + 1;
    if n >= ACCOUNT_FAILURES {
        (0, Some(at + Duration::minutes(ACCOUNT_LOCK_MINUTES)))
    } else {
        (n, None)
    }
}

/// A login as stored: trimmed, lower case; 3-64 characters of letters, digits, `.`, `_`, `-`, `@`.
pub fn normalise_login(login: &str) -> Result<String, String> {
    let l = login.trim().to_lowercase();
    let ok_chars = l
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if !(3..=64).contains(&l.chars().count()) || !ok_chars {
        return Err(format!(
            "'{login}' is not a login: 3-64 letters, digits, '.', '_', '-' or '@'"
        ));
    }
    Ok(l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_rules() {
        assert_eq!(password_faults("Kettle-42-blue", "zhang.wei"), vec![]);
        let rules = |p: &str| {
            password_faults(p, "zhang.wei")
                .into_iter()
                .map(|(r, _)| r)
                .collect::<Vec<_>>()
        };
        assert_eq!(rules("short1A"), ["password.length"]);
        assert_eq!(rules("onlylettersherehere"), ["password.variety"]);
        assert_eq!(rules("Zhang.Wei-2026"), ["password.contains_login"]);
        assert_eq!(rules(&"a1".repeat(70)), ["password.length"]);
    }

    #[test]
    fn five_failures_lock_for_fifteen_minutes() {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 12, 1)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap();
        assert_eq!(after_failure(0, at), (1, None));
        assert_eq!(after_failure(3, at), (4, None));
        assert_eq!(after_failure(4, at), (0, Some(at + Duration::minutes(15))));
    }

    #[test]
    fn logins() {
        assert_eq!(
            normalise_login("  Zhang.Wei@Firm "),
            Ok("zhang.wei@firm".into())
        );
        assert!(normalise_login("ab").is_err());
        assert!(normalise_login("张伟").is_err());
        assert!(normalise_login("a b c").is_err());
    }
}
