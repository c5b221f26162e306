//! Name and version validation shared by the language catalogers: a field from a lockfile
//! or package manifest is untrusted, and one that is empty, too long or holds characters the
//! ecosystem never allows is not a package (a corrupt or hostile file), so it is skipped.

/// Whether `s` is non-empty, at most `max_len` bytes, and every byte satisfies `allowed`.
pub(crate) fn valid_token(s: &str, max_len: usize, allowed: impl Fn(u8) -> bool) -> bool {
    !s.is_empty() && s.len() <= max_len && s.bytes().all(allowed)
}

/// ASCII letters and digits, and the bytes of `extra`.
pub(crate) fn alnum_or(extra: &'static [u8]) -> impl Fn(u8) -> bool {
    move |b| b.is_ascii_alphanumeric() || extra.contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        assert!(valid_token("zope.interface", 200, alnum_or(b"-_.")));
        assert!(!valid_token("", 200, alnum_or(b"-_.")));
        assert!(!valid_token("a b", 200, alnum_or(b"-_.")));
        assert!(!valid_token(&"a".repeat(201), 200, alnum_or(b"-_.")));
        assert!(valid_token("1.0.0+local", 200, alnum_or(b".-+")));
        assert!(!valid_token("1.0!0", 200, alnum_or(b".-+")));
    }
}
