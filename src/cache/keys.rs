//! Every cache key the hub builds, in one place (the cache adds its namespace in front).

/// A verified API key's principal, by the key's hash.
pub fn api_key(hash: &str) -> String {
    format!("apikey:{hash}")
}

/// The consents an institution holds for a firm and purpose.
pub fn consent(institution: &str, uscc: &str, purpose: &str) -> String {
    format!("consent:{institution}:{uscc}:{purpose}")
}

/// A firm's newest profile.
pub fn profile(uscc: &str) -> String {
    format!("profile:{uscc}")
}

/// A key's request count on a day (its daily quota).
pub fn quota(key_id: &str, day: chrono::NaiveDate) -> String {
    format!("quota:{key_id}:{day}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_are_distinct_per_kind() {
        let d = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let all = [
            super::api_key("x"),
            super::consent("i", "u", "p"),
            super::profile("u"),
            super::quota("k", d),
        ];
        assert_eq!(all[3], "quota:k:2026-12-01");
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a.split(':').next(), b.split(':').next());
            }
        }
    }
}
