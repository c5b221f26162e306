//! Package URL patterns, as ignore files and VEX statements use them.
//!
//! A pattern matches a package when every part the pattern names is equal: a pattern
//! without a version matches every version, and qualifiers the pattern does not name
//! (`arch`, `distro`, `repository_url`…) are not compared. This is how `.trivyignore.yaml`
//! `purls` behave, and what VEX users expect when a statement names
//! `pkg:deb/debian/openssl@3.0.11-1~deb12u2` and the scanner reports the same package
//! with `?arch=amd64&distro=debian-12` (the mismatch behind grype#1589 and #1836).
//!
//! Case follows the purl specification's type definitions: the `packageurl` crate lowercases
//! the type and, per type, the namespace and name (`deb`, `apk` vendors, `npm`, `pypi`,
//! `github`…); on top of that, PyPI names compare in their PEP 503 normal form (runs of
//! `-`, `_`, `.` are one `-`) and OCI names are lowercased, as their type definitions say.

use plimsoll_model::ecosystem::pep503;
use std::str::FromStr;

/// A parsed purl, normalized for comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purl {
    ty: String,
    namespace: Option<String>,
    name: String,
    version: Option<String>,
    qualifiers: Vec<(String, String)>,
    subpath: Option<String>,
}

impl Purl {
    /// Parses a purl; the error says what is wrong with it.
    pub fn parse(s: &str) -> Result<Purl, String> {
        let p = packageurl::PackageUrl::from_str(s.trim()).map_err(|e| e.to_string())?;
        let ty = p.ty().to_ascii_lowercase();
        let mut name = p.name().to_string();
        let mut version = p.version().filter(|v| !v.is_empty()).map(str::to_string);
        match ty.as_str() {
            "pypi" => {
                name = pep503(&name);
                version = version.map(|v| v.to_ascii_lowercase());
            }
            "oci" => name = name.to_ascii_lowercase(),
            _ => {}
        }
        let mut qualifiers: Vec<_> = p
            .qualifiers()
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        qualifiers.sort();
        Ok(Purl {
            ty,
            namespace: p.namespace().filter(|n| !n.is_empty()).map(str::to_string),
            name,
            version,
            qualifiers,
            subpath: p
                .subpath()
                .map(|s| s.trim_matches('/').to_string())
                .filter(|s| !s.is_empty()),
        })
    }

    /// Whether `self`, read as a pattern, matches `target`: type, namespace and name equal,
    /// and the version, each qualifier and the subpath equal where `self` names them.
    pub fn matches(&self, target: &Purl) -> bool {
        self.ty == target.ty
            && self.namespace == target.namespace
            && self.name == target.name
            && self
                .version
                .as_ref()
                .is_none_or(|v| target.version.as_ref() == Some(v))
            && self
                .subpath
                .as_ref()
                .is_none_or(|s| target.subpath.as_ref() == Some(s))
            && self
                .qualifiers
                .iter()
                .all(|(k, v)| target.qualifier(k) == Some(v.as_str()))
    }

    pub fn ty(&self) -> &str {
        &self.ty
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    pub fn qualifier(&self, key: &str) -> Option<&str> {
        self.qualifiers
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, target: &str) -> bool {
        Purl::parse(pattern)
            .unwrap()
            .matches(&Purl::parse(target).unwrap())
    }

    #[test]
    fn a_pattern_matches_what_it_names_and_ignores_the_rest() {
        let pkg = "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12";
        assert!(m("pkg:deb/debian/libssl3", pkg));
        assert!(m("pkg:deb/debian/libssl3@3.0.11-1~deb12u2", pkg));
        assert!(m("pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64", pkg));
        assert!(!m(
            "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=arm64",
            pkg
        ));
        assert!(!m("pkg:deb/debian/libssl3@3.0.13-1~deb12u1", pkg));
        assert!(!m("pkg:deb/ubuntu/libssl3", pkg));
        assert!(!m("pkg:rpm/debian/libssl3", pkg));
        // The target's missing qualifier cannot satisfy the pattern's.
        assert!(!m(
            "pkg:pypi/requests?file_name=x.whl",
            "pkg:pypi/requests@2.31.0"
        ));
    }

    #[test]
    fn case_and_encoding_follow_the_purl_spec() {
        // deb names and vendors are case-insensitive; the epoch's `:` may be encoded.
        assert!(m(
            "pkg:DEB/Debian/LibSSL3@3.0.11-1~deb12u2",
            "pkg:deb/debian/libssl3@3.0.11-1~deb12u2"
        ));
        assert!(m(
            "pkg:deb/debian/zlib1g@1%3A1.2.13.dfsg-1",
            "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64"
        ));
        // PyPI: PEP 503 names.
        assert!(m(
            "pkg:pypi/Typing_Extensions@4.8.0",
            "pkg:pypi/typing-extensions@4.8.0"
        ));
        // Maven names are case-sensitive.
        assert!(!m(
            "pkg:maven/org.apache.logging.log4j/Log4j-Core@2.14.1",
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
        ));
        // npm scopes are encoded in purls.
        assert!(m("pkg:npm/%40babel/core", "pkg:npm/%40babel/core@7.23.0"));
    }

    #[test]
    fn bad_purls_are_errors_not_panics() {
        for s in [
            "",
            "pkg:",
            "pkg:deb",
            "deb/debian/x",
            "pkg:/x",
            "pkg:pypi/a/b",
        ] {
            assert!(Purl::parse(s).is_err(), "{s}");
        }
    }

    #[test]
    fn pep503_normal_form() {
        assert_eq!(pep503("Foo.Bar__baz--Qux"), "foo-bar-baz-qux");
        assert_eq!(pep503("requests"), "requests");
    }
}
