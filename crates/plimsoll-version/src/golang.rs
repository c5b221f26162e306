//! Go module versions, ordered as `golang.org/x/mod/semver.Compare` orders them.
//!
//! A `v` prefix is required. `vMAJOR` and `vMAJOR.MINOR` are shorthands for `vMAJOR.0.0` and
//! `vMAJOR.MINOR.0` (without prerelease or build). Build metadata, including `+incompatible`,
//! is ignored for ordering. Pseudo-versions (`v0.0.0-20191109021931-daa7c04131f5`,
//! `v1.2.4-0.20191109021931-daa7c04131f5`, `v1.2.3-pre.0.20191109021931-daa7c04131f5`) are
//! ordinary SemVer prereleases and order as such. Unlike `semver.Compare`, which sorts invalid
//! versions below all valid ones, invalid versions are refused. Go toolchain versions as our
//! catalog writes them (`v1.21.5`, `v1.20.0-rc.1`) are plain module-style versions.

use std::cmp::Ordering;
use std::fmt;

use crate::ParseError;
use crate::semver::{Identifier, cmp_digits, cmp_prerelease, parse_build, parse_prerelease};

const SCHEME: &str = "Go";

/// A Go module version. `Eq`/`Ord` ignore build metadata (`+incompatible`).
#[derive(Debug, Clone)]
pub struct Version {
    /// Digits without leading zeros (Go allows any length).
    pub major: String,
    pub minor: String,
    pub patch: String,
    pub pre: Vec<Identifier>,
    pub build: Vec<String>,
}

impl Version {
    /// `+incompatible`: a v2+ module without a go.mod.
    pub fn is_incompatible(&self) -> bool {
        self.build.len() == 1 && self.build[0] == "incompatible"
    }

    /// Whether this is a pseudo-version, by the pattern of Go's `module.IsPseudoVersion`:
    /// `vX.0.0-yyyymmddhhmmss-rev`, or `vX.Y.Z-[pre.]0.yyyymmddhhmmss-rev`.
    pub fn is_pseudo(&self) -> bool {
        let n = self.pre.len();
        let Some(Identifier::AlphaNumeric(last)) = self.pre.last() else {
            return false;
        };
        let Some((ts, rev)) = last.split_once('-') else {
            return false;
        };
        let shape = ts.len() == 14
            && ts.bytes().all(|c| c.is_ascii_digit())
            && !rev.is_empty()
            && rev.bytes().all(|c| c.is_ascii_alphanumeric());
        let base = if n == 1 {
            self.minor == "0" && self.patch == "0"
        } else {
            self.pre[n - 2] == Identifier::Numeric("0".to_string())
        };
        shape && base
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_digits(&self.major, &other.major)
            .then_with(|| cmp_digits(&self.minor, &other.minor))
            .then_with(|| cmp_digits(&self.patch, &other.patch))
            .then_with(|| cmp_prerelease(&self.pre, &other.pre))
    }
}

crate::eq_and_partial_ord_from_ord!(Version);

impl fmt::Display for Version {
    /// The canonical form (`semver.Canonical` plus the build metadata).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}.{}.{}", self.major, self.minor, self.patch)?;
        crate::semver::write_pre_build(f, &self.pre, &self.build)
    }
}

impl std::str::FromStr for Version {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        parse(s)
    }
}

/// Splits a leading number (no leading zero) off `s`.
fn number<'a>(s: &'a str, part: &str, input: &str) -> Result<(String, &'a str), ParseError> {
    let end = s
        .bytes()
        .position(|c| !c.is_ascii_digit())
        .unwrap_or(s.len());
    let (n, rest) = s.split_at(end);
    if n.is_empty() {
        return Err(ParseError::new(
            SCHEME,
            input,
            format!("{part} is not a number"),
        ));
    }
    if n.len() > 1 && n.starts_with('0') {
        return Err(ParseError::new(
            SCHEME,
            input,
            format!("{part} has a leading zero"),
        ));
    }
    Ok((n.to_string(), rest))
}

/// Parses a Go module version (`v` prefix required).
pub fn parse(s: &str) -> Result<Version, ParseError> {
    let input = s;
    let Some(s) = s.strip_prefix('v') else {
        return Err(ParseError::new(SCHEME, input, "missing the \"v\" prefix"));
    };
    let (major, rest) = number(s, "major", input)?;
    let zero = || "0".to_string();
    if rest.is_empty() {
        return Ok(Version {
            major,
            minor: zero(),
            patch: zero(),
            pre: vec![],
            build: vec![],
        });
    }
    let Some(rest) = rest.strip_prefix('.') else {
        return Err(ParseError::new(
            SCHEME,
            input,
            "expected \".\" after the major version",
        ));
    };
    let (minor, rest) = number(rest, "minor", input)?;
    if rest.is_empty() {
        return Ok(Version {
            major,
            minor,
            patch: zero(),
            pre: vec![],
            build: vec![],
        });
    }
    let Some(rest) = rest.strip_prefix('.') else {
        return Err(ParseError::new(
            SCHEME,
            input,
            "expected \".\" after the minor version",
        ));
    };
    let (patch, rest) = number(rest, "patch", input)?;
    let (rest, build) = match rest.split_once('+') {
        Some((r, b)) => (r, parse_build(b, SCHEME, input)?),
        None => (rest, Vec::new()),
    };
    let pre = if rest.is_empty() {
        Vec::new()
    } else if let Some(p) = rest.strip_prefix('-') {
        parse_prerelease(p, SCHEME, input)?
    } else {
        return Err(ParseError::new(
            SCHEME,
            input,
            "unexpected text after the patch version",
        ));
    };
    Ok(Version {
        major,
        minor,
        patch,
        pre,
        build,
    })
}

/// Compares two Go module versions.
pub fn compare(a: &str, b: &str) -> Result<Ordering, ParseError> {
    Ok(parse(a)?.cmp(&parse(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::semver::check_total_order;

    /// golang.org/x/mod/semver `semver_test.go`, the `tests` table: input and canonical form
    /// ("" = invalid). Valid rows are in ascending order; rows with equal canonical forms
    /// compare equal (that is how `TestCompare` uses the table).
    const X_MOD_TESTS: &[(&str, &str)] = &[
        ("bad", ""),
        ("v1-alpha.beta.gamma", ""),
        ("v1-pre", ""),
        ("v1+meta", ""),
        ("v1-pre+meta", ""),
        ("v1.2-pre", ""),
        ("v1.2+meta", ""),
        ("v1.2-pre+meta", ""),
        ("v1.0.0-alpha", "v1.0.0-alpha"),
        ("v1.0.0-alpha.1", "v1.0.0-alpha.1"),
        ("v1.0.0-alpha.beta", "v1.0.0-alpha.beta"),
        ("v1.0.0-beta", "v1.0.0-beta"),
        ("v1.0.0-beta.2", "v1.0.0-beta.2"),
        ("v1.0.0-beta.11", "v1.0.0-beta.11"),
        ("v1.0.0-rc.1", "v1.0.0-rc.1"),
        ("v1", "v1.0.0"),
        ("v1.0", "v1.0.0"),
        ("v1.0.0", "v1.0.0"),
        ("v1.2", "v1.2.0"),
        ("v1.2.0", "v1.2.0"),
        ("v1.2.3-456", "v1.2.3-456"),
        ("v1.2.3-456.789", "v1.2.3-456.789"),
        ("v1.2.3-456-789", "v1.2.3-456-789"),
        ("v1.2.3-456a", "v1.2.3-456a"),
        ("v1.2.3-pre", "v1.2.3-pre"),
        ("v1.2.3-pre+meta", "v1.2.3-pre"),
        ("v1.2.3-pre.1", "v1.2.3-pre.1"),
        ("v1.2.3-zzz", "v1.2.3-zzz"),
        ("v1.2.3", "v1.2.3"),
        ("v1.2.3+meta", "v1.2.3"),
        ("v1.2.3+meta-pre", "v1.2.3"),
        ("v1.2.3+meta-pre.sha.256a", "v1.2.3"),
    ];

    /// Pseudo-versions (Go modules reference, "Pseudo-versions") for the property check.
    const PSEUDO: &[&str] = &[
        "v0.0.0-20170915032832-14c0d48ead0c",
        "v0.0.0-20191109021931-daa7c04131f5",
        "v0.0.0-20191109021931-daa7c04131f6",
        "v1.2.3-pre.0.20191109021931-daa7c04131f5",
    ];

    #[test]
    fn x_mod_semver_table() {
        for (input, canonical) in X_MOD_TESTS {
            match parse(input) {
                Ok(v) => {
                    let mut c = v.clone();
                    c.build.clear();
                    assert_eq!(c.to_string(), *canonical, "canonical of {input}");
                }
                Err(_) => assert_eq!(*canonical, "", "{input} should parse"),
            }
        }
        let valid: Vec<(usize, &str, &str)> = X_MOD_TESTS
            .iter()
            .enumerate()
            .filter(|(_, (_, c))| !c.is_empty())
            .map(|(i, (v, c))| (i, *v, *c))
            .collect();
        for (i, a, ca) in &valid {
            for (j, b, cb) in &valid {
                let want = if ca == cb { Ordering::Equal } else { i.cmp(j) };
                assert_eq!(compare(a, b), Ok(want), "compare({a}, {b})");
            }
        }
    }

    #[test]
    fn pseudo_versions_and_incompatible() {
        let lt = [
            (
                "v0.0.0-20170915032832-14c0d48ead0c",
                "v0.0.0-20191109021931-daa7c04131f5",
            ),
            ("v0.0.0-20191109021931-daa7c04131f5", "v0.1.0"),
            // vX.Y.(Z+1)-0.timestamp-rev sits between vX.Y.Z and vX.Y.(Z+1)
            ("v1.2.3", "v1.2.4-0.20191109021931-daa7c04131f5"),
            (
                "v1.2.4-0.20191109021931-daa7c04131f5",
                "v1.2.4-0.20200101000000-000000000000",
            ),
            ("v1.2.4-0.20200101000000-000000000000", "v1.2.4-rc.1"),
            ("v1.2.4-0.20200101000000-000000000000", "v1.2.4"),
            // vX.Y.Z-pre.0.timestamp-rev sits between vX.Y.Z-pre and vX.Y.Z-pre.1
            ("v1.2.3-pre", "v1.2.3-pre.0.20191109021931-daa7c04131f5"),
            ("v1.2.3-pre.0.20191109021931-daa7c04131f5", "v1.2.3-pre.1"),
            ("v1.2.3-pre.0.20191109021931-daa7c04131f5", "v1.2.3"),
            ("v2.0.0+incompatible", "v2.0.1+incompatible"),
            ("v2.0.0+incompatible", "v2.1.0"),
            ("v1.20.0-rc.1", "v1.20.0"),
            ("v1.20.0-rc.1", "v1.20.0-rc.2"),
            ("v1.20.0", "v1.21.5"),
            ("v1.9.0", "v1.10.0"),
            ("v99999999999999999999.0.0", "v100000000000000000000.0.0"),
        ];
        for (a, b) in lt {
            assert_eq!(compare(a, b), Ok(Ordering::Less), "{a} < {b}");
            assert_eq!(compare(b, a), Ok(Ordering::Greater), "{b} > {a}");
        }
        assert_eq!(
            compare("v2.0.0+incompatible", "v2.0.0"),
            Ok(Ordering::Equal)
        );
        assert!(parse("v2.0.0+incompatible").unwrap().is_incompatible());
        for p in [
            "v0.0.0-20191109021931-daa7c04131f5",
            "v1.2.4-0.20191109021931-daa7c04131f5",
            "v1.2.3-pre.0.20191109021931-daa7c04131f5",
        ] {
            assert!(parse(p).unwrap().is_pseudo(), "{p}");
        }
        for p in ["v1.2.3", "v1.2.3-pre", "v1.20.0-rc.1"] {
            assert!(!parse(p).unwrap().is_pseudo(), "{p}");
        }
        for bad in [
            "1.2.3",
            "v",
            "v01.2.3",
            "v1.02.3",
            "v1.2.03",
            "v1.2.3-",
            "v1.2.3-01",
            "v1.2.3+",
            "v1.2.3.4",
            "go1.21.5",
            "V1.2.3",
            "v1.2.3 ",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn ordering_properties() {
        let mut all: Vec<&str> = X_MOD_TESTS
            .iter()
            .filter(|(_, c)| !c.is_empty())
            .map(|(v, _)| *v)
            .collect();
        all.extend(PSEUDO);
        all.extend([
            "v1.2.4-0.20191109021931-daa7c04131f5",
            "v1.2.3-pre.1",
            "v2.0.0+incompatible",
            "v2.0.0",
            "v2.0.1+incompatible",
            "v1.20.0-rc.1",
            "v1.20.0-rc.2",
            "v1.21.5",
            "v1.10.0",
            "v1.9.0",
            "v0.0.0",
            "v0.0.1-0",
            "v99999999999999999999.0.0",
            "v0.0.0-0",
            "v0.0.0-0.0",
            "v0.0.0--",
            "v0.1.0-alpha+build.1",
            "v1.2.3-0.20191109021931-daa7c04131f5",
            "v2.3.4-0.20191109021931-daa7c04131f5+incompatible",
            "v3.0.0+incompatible",
            "v1.22.0-rc.1",
            "v1.22",
            "v10",
            "v10.1",
            "v0.0.0-20180101000000-000000000000",
        ]);
        assert!(all.len() >= 50);
        let vs: Vec<Version> = all.iter().map(|v| parse(v).unwrap()).collect();
        check_total_order(&all, &vs);
        let mut sorted = vs.clone();
        sorted.sort();
        for v in &vs {
            assert_eq!(parse(&v.to_string()).unwrap(), *v, "round trip {v}");
        }
    }
}
