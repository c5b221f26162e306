//! Vulnerability ids: what kind of id a string is, told by its prefix.
//!
//! A finding is keyed by its CVE when it has one, else by a GHSA id, else by the advisory's
//! own id (`PYSEC-…`, `GO-…`, `RUSTSEC-…`, `DSA-…`, `USN-…`). Prefixes compare in any case:
//! reports and ignore files written by people say `cve-2024-1234` too. Ids come from
//! untrusted input, so the prefix is read with `get`, never a byte slice that could split
//! a character.

/// What kind of vulnerability id a string is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdKind {
    /// `CVE-YYYY-N…`, the CVE Program's id.
    Cve,
    /// `GHSA-xxxx-xxxx-xxxx`, a GitHub Security Advisory.
    Ghsa,
    /// Any other advisory id (`PYSEC-`, `GO-`, `RUSTSEC-`, `OSV-`, `DSA-`, `USN-`…).
    Other,
}

impl IdKind {
    /// The kind of `id`.
    pub fn of(id: &str) -> IdKind {
        if has_prefix(id, "CVE-") {
            IdKind::Cve
        } else if has_prefix(id, "GHSA-") {
            IdKind::Ghsa
        } else {
            IdKind::Other
        }
    }
}

/// Whether `id` starts with `prefix` (ASCII, any case) and has something after it.
fn has_prefix(id: &str, prefix: &str) -> bool {
    id.len() > prefix.len()
        && id
            .get(..prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

/// Whether `id` is a CVE id (`CVE-…` in any case, with something after the dash).
pub fn is_cve(id: &str) -> bool {
    IdKind::of(id) == IdKind::Cve
}

/// Whether `id` is a GitHub Security Advisory id (`GHSA-…`, any case).
pub fn is_ghsa(id: &str) -> bool {
    IdKind::of(id) == IdKind::Ghsa
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_prefix() {
        assert_eq!(IdKind::of("CVE-2024-35195"), IdKind::Cve);
        assert_eq!(IdKind::of("cve-2024-35195"), IdKind::Cve);
        assert_eq!(IdKind::of("GHSA-9wx4-h78v-vm56"), IdKind::Ghsa);
        assert_eq!(IdKind::of("ghsa-9wx4-h78v-vm56"), IdKind::Ghsa);
        for other in [
            "PYSEC-2023-74",
            "GO-2024-2611",
            "DSA-5497-1",
            "CVEX-1",
            "GHS-1",
            "",
        ] {
            assert_eq!(IdKind::of(other), IdKind::Other, "{other}");
        }
    }

    #[test]
    fn untrusted_ids_never_panic() {
        // A multi-byte character across the prefix's end is not a CVE, not a panic.
        assert!(!is_cve("CV€-1") && !is_cve("CVE€") && is_cve("cve-1") && !is_cve("CVE-"));
        assert!(!is_ghsa("GHS€-1") && is_ghsa("GHSA-x") && !is_ghsa("GHSA-"));
    }
}
