//! Package URLs (<https://github.com/package-url/purl-spec>), built with the `packageurl`
//! crate so that encoding (`:` in epochs, `@` in npm scopes, `+` in versions) is right.

/// Builds a purl; `namespace` may contain `/` (Go modules). Returns the canonical string.
pub fn purl(
    ty: &str,
    namespace: Option<&str>,
    name: &str,
    version: &str,
    qualifiers: &[(&str, &str)],
) -> String {
    let build = || -> Result<String, packageurl::Error> {
        let mut p = packageurl::PackageUrl::new(ty, name)?;
        if let Some(ns) = namespace.filter(|n| !n.is_empty()) {
            p.with_namespace(ns)?;
        }
        if !version.is_empty() {
            p.with_version(version)?;
        }
        for (k, v) in qualifiers {
            if !v.is_empty() {
                p.add_qualifier(*k, *v)?;
            }
        }
        Ok(p.to_string())
    };
    // A name the purl spec refuses (empty) still needs an identifier: fall back to the
    // generic type rather than failing the whole inventory.
    build().unwrap_or_else(|_| format!("pkg:generic/{}@{}", pct(name), pct(version)))
}

fn pct(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_the_spec() {
        assert_eq!(
            purl(
                "deb",
                Some("debian"),
                "zlib1g",
                "1:1.2.13.dfsg-1",
                &[("arch", "amd64"), ("distro", "debian-12")]
            ),
            "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12"
        );
        assert_eq!(
            purl("npm", Some("@babel"), "core", "7.23.0", &[]),
            "pkg:npm/%40babel/core@7.23.0"
        );
        assert_eq!(
            purl("pypi", None, "requests", "2.31.0", &[]),
            "pkg:pypi/requests@2.31.0"
        );
        assert_eq!(
            purl("golang", Some("github.com/google"), "uuid", "v1.6.0", &[]),
            "pkg:golang/github.com/google/uuid@v1.6.0"
        );
    }
}
