//! SemVer 2.0.0 precedence (<https://semver.org/#spec-item-11>), as used by OSV `SEMVER`
//! ranges and npm/crates.io.
//!
//! Parsing is strict SemVer 2.0.0 (`MAJOR.MINOR.PATCH[-PRE][+BUILD]`, no leading zeros in
//! numeric parts), with one leniency: a single leading `v` is accepted and stripped, because
//! OSV records and tags in the wild carry it (OSV's schema says SEMVER versions have no `v`).
//! Build metadata is kept but ignored for ordering and equality: `1.0.0+a == 1.0.0+b`.
//! Major, minor and patch must fit in a `u64` (as in the `semver` crate); larger ones are refused.

use std::cmp::Ordering;
use std::fmt;

use crate::ParseError;

const SCHEME: &str = "SemVer";

/// One dot-separated prerelease identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identifier {
    /// Digits only, no leading zero (kept as text: any length).
    Numeric(String),
    /// Contains a non-digit.
    AlphaNumeric(String),
}

impl Ord for Identifier {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Identifier::Numeric(a), Identifier::Numeric(b)) => cmp_digits(a, b),
            (Identifier::Numeric(_), Identifier::AlphaNumeric(_)) => Ordering::Less,
            (Identifier::AlphaNumeric(_), Identifier::Numeric(_)) => Ordering::Greater,
            (Identifier::AlphaNumeric(a), Identifier::AlphaNumeric(b)) => {
                a.as_bytes().cmp(b.as_bytes())
            }
        }
    }
}

impl PartialOrd for Identifier {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Identifier::Numeric(s) | Identifier::AlphaNumeric(s) => f.write_str(s),
        }
    }
}

/// A SemVer 2.0.0 version. `Eq`/`Ord` follow precedence: build metadata is ignored.
#[derive(Debug, Clone)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    pub pre: Vec<Identifier>,
    pub build: Vec<String>,
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| cmp_prerelease(&self.pre, &other.pre))
    }
}

crate::eq_and_partial_ord_from_ord!(Version);

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        write_pre_build(f, &self.pre, &self.build)
    }
}

impl std::str::FromStr for Version {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        parse(s)
    }
}

/// Compares digit strings without leading zeros numerically (any length).
pub(crate) fn cmp_digits(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// SemVer prerelease precedence; an empty prerelease (a release) sorts last.
/// Writes `-pre.ids+build.ids` as SemVer spells them (shared with Go versions).
pub(crate) fn write_pre_build(
    f: &mut fmt::Formatter<'_>,
    pre: &[Identifier],
    build: &[String],
) -> fmt::Result {
    for (i, id) in pre.iter().enumerate() {
        f.write_str(if i == 0 { "-" } else { "." })?;
        write!(f, "{id}")?;
    }
    for (i, b) in build.iter().enumerate() {
        f.write_str(if i == 0 { "+" } else { "." })?;
        f.write_str(b)?;
    }
    Ok(())
}

pub(crate) fn cmp_prerelease(a: &[Identifier], b: &[Identifier]) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => a.cmp(b),
    }
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-'
}

/// Checks a numeric core part: digits, no leading zero.
pub(crate) fn core_digits<'a>(
    s: &'a str,
    part: &str,
    scheme: &'static str,
    input: &str,
) -> Result<&'a str, ParseError> {
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return Err(ParseError::new(
            scheme,
            input,
            format!("{part} is not a number"),
        ));
    }
    if s.len() > 1 && s.starts_with('0') {
        return Err(ParseError::new(
            scheme,
            input,
            format!("{part} has a leading zero"),
        ));
    }
    Ok(s)
}

/// A version split the SemVer 2.0.0 way: `MAJOR.MINOR.PATCH` checked with [`core_digits`],
/// prerelease identifiers after the first `-`, build identifiers after the first `+`.
pub(crate) struct Parts<'a> {
    pub core: [&'a str; 3],
    pub pre: Vec<Identifier>,
    pub build: Vec<String>,
}

/// Splits `s` (already stripped of any prefix the scheme allows) into [`Parts`]; errors name
/// `input` under `scheme`. Shared by SemVer and Hex, whose grammars differ only in that.
pub(crate) fn split<'a>(
    s: &'a str,
    scheme: &'static str,
    input: &str,
) -> Result<Parts<'a>, ParseError> {
    let (s, build) = match s.split_once('+') {
        Some((rest, b)) => (rest, parse_build(b, scheme, input)?),
        None => (s, Vec::new()),
    };
    let (core, pre) = match s.split_once('-') {
        Some((core, p)) => (core, parse_prerelease(p, scheme, input)?),
        None => (s, Vec::new()),
    };
    let mut parts = core.split('.');
    let (Some(ma), Some(mi), Some(pa), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ParseError::new(scheme, input, "expected MAJOR.MINOR.PATCH"));
    };
    Ok(Parts {
        core: [
            core_digits(ma, "major", scheme, input)?,
            core_digits(mi, "minor", scheme, input)?,
            core_digits(pa, "patch", scheme, input)?,
        ],
        pre,
        build,
    })
}

/// Parses dot-separated prerelease identifiers (the text after `-`).
pub(crate) fn parse_prerelease(
    s: &str,
    scheme: &'static str,
    input: &str,
) -> Result<Vec<Identifier>, ParseError> {
    s.split('.')
        .map(|id| {
            if id.is_empty() || !id.bytes().all(is_ident_char) {
                Err(ParseError::new(
                    scheme,
                    input,
                    format!("bad prerelease identifier {id:?}"),
                ))
            } else if id.bytes().all(|c| c.is_ascii_digit()) {
                if id.len() > 1 && id.starts_with('0') {
                    Err(ParseError::new(
                        scheme,
                        input,
                        format!("numeric prerelease identifier {id:?} has a leading zero"),
                    ))
                } else {
                    Ok(Identifier::Numeric(id.to_string()))
                }
            } else {
                Ok(Identifier::AlphaNumeric(id.to_string()))
            }
        })
        .collect()
}

/// Parses dot-separated build identifiers (the text after `+`).
pub(crate) fn parse_build(
    s: &str,
    scheme: &'static str,
    input: &str,
) -> Result<Vec<String>, ParseError> {
    s.split('.')
        .map(|id| {
            if id.is_empty() || !id.bytes().all(is_ident_char) {
                Err(ParseError::new(
                    scheme,
                    input,
                    format!("bad build identifier {id:?}"),
                ))
            } else {
                Ok(id.to_string())
            }
        })
        .collect()
}

/// Parses a SemVer 2.0.0 version; a leading `v` is accepted and stripped.
pub fn parse(s: &str) -> Result<Version, ParseError> {
    let Parts { core, pre, build } = split(s.strip_prefix('v').unwrap_or(s), SCHEME, s)?;
    let number = |n: &str, part: &str| {
        n.parse()
            .map_err(|_| ParseError::new(SCHEME, s, format!("{part} is too large")))
    };
    Ok(Version {
        major: number(core[0], "major")?,
        minor: number(core[1], "minor")?,
        patch: number(core[2], "patch")?,
        pre,
        build,
    })
}

/// Compares two SemVer versions by precedence.
pub fn compare(a: &str, b: &str) -> Result<Ordering, ParseError> {
    Ok(parse(a)?.cmp(&parse(b)?))
}

/// Test helper shared by the scheme modules: pairwise antisymmetry and consistency with
/// `Eq`, reflexivity, and transitivity over all triples.
#[cfg(test)]
pub(crate) fn check_total_order<T: Ord + fmt::Debug>(names: &[&str], vs: &[T]) {
    for (i, a) in vs.iter().enumerate() {
        assert_eq!(a.cmp(a), Ordering::Equal, "{} reflexive", names[i]);
        for (j, b) in vs.iter().enumerate() {
            let ab = a.cmp(b);
            assert_eq!(
                ab,
                b.cmp(a).reverse(),
                "antisymmetry {} {}",
                names[i],
                names[j]
            );
            assert_eq!(
                ab == Ordering::Equal,
                a == b,
                "Eq agrees with Ord {} {}",
                names[i],
                names[j]
            );
            for (k, c) in vs.iter().enumerate() {
                let bc = b.cmp(c);
                if ab != Ordering::Greater && bc != Ordering::Greater {
                    let ac = a.cmp(c);
                    assert_ne!(
                        ac,
                        Ordering::Greater,
                        "transitivity {} {} {}",
                        names[i],
                        names[j],
                        names[k]
                    );
                    if ab == Ordering::Less || bc == Ordering::Less {
                        assert_eq!(
                            ac,
                            Ordering::Less,
                            "transitivity {} {} {}",
                            names[i],
                            names[j],
                            names[k]
                        );
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// semver.org, spec item 11: precedence examples, ascending.
    const SEMVER_ORG: &[&str] = &[
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "2.0.0",
        "2.1.0",
        "2.1.1",
    ];

    /// node-semver `test/fixtures/comparisons.js` (strict and `v`-prefixed rows): first > second.
    const NODE_GREATER: &[(&str, &str)] = &[
        ("0.0.0", "0.0.0-foo"),
        ("0.0.1", "0.0.0"),
        ("1.0.0", "0.9.9"),
        ("0.10.0", "0.9.0"),
        ("0.99.0", "0.10.0"),
        ("2.0.0", "1.2.3"),
        ("v0.0.0", "0.0.0-foo"),
        ("v0.0.1", "0.0.0"),
        ("v1.0.0", "0.9.9"),
        ("v0.10.0", "0.9.0"),
        ("v0.99.0", "0.10.0"),
        ("v2.0.0", "1.2.3"),
        ("0.0.0", "v0.0.0-foo"),
        ("0.0.1", "v0.0.0"),
        ("1.0.0", "v0.9.9"),
        ("0.10.0", "v0.9.0"),
        ("0.99.0", "v0.10.0"),
        ("2.0.0", "v1.2.3"),
        ("1.2.3", "1.2.3-asdf"),
        ("1.2.3", "1.2.3-4"),
        ("1.2.3", "1.2.3-4-foo"),
        ("1.2.3-5-foo", "1.2.3-5"),
        ("1.2.3-5", "1.2.3-4"),
        ("1.2.3-5-foo", "1.2.3-5-Foo"),
        ("3.0.0", "2.7.2+asdf"),
        ("1.2.3-a.10", "1.2.3-a.5"),
        ("1.2.3-a.b", "1.2.3-a.5"),
        ("1.2.3-a.b", "1.2.3-a"),
        ("1.2.3-a.b.c.10.d.5", "1.2.3-a.b.c.5.d.100"),
        ("1.2.3-r2", "1.2.3-r100"),
        ("1.2.3-r100", "1.2.3-R2"),
    ];

    /// node-semver `test/fixtures/equality.js` (rows valid without loose mode).
    const NODE_EQUAL: &[(&str, &str)] = &[
        ("1.2.3", "v1.2.3"),
        ("1.2.3-beta", "v1.2.3-beta"),
        ("1.2.3+build", "1.2.3+otherbuild"),
        ("1.2.3-beta+build", "1.2.3-beta+otherbuild"),
        ("1.2.3+build", "v1.2.3+otherbuild"),
        ("1.0.0+a", "1.0.0+b"),
    ];

    const INVALID: &[&str] = &[
        "",
        "1",
        "1.2",
        "1.2.3.4",
        "01.2.3",
        "1.02.3",
        "1.2.03",
        "1.2.3-",
        "1.2.3-01",
        "1.2.3-a..b",
        "1.2.3+",
        "1.2.3+a..b",
        "1.2.3-a_b",
        "a.b.c",
        " 1.2.3",
        "1.2.3 ",
        "vv1.2.3",
        "1.2.3-ü",
        "99999999999999999999.0.0",
    ];

    #[test]
    fn semver_org_precedence() {
        for w in SEMVER_ORG.windows(2) {
            assert_eq!(
                compare(w[0], w[1]),
                Ok(Ordering::Less),
                "{} < {}",
                w[0],
                w[1]
            );
            assert_eq!(
                compare(w[1], w[0]),
                Ok(Ordering::Greater),
                "{} > {}",
                w[1],
                w[0]
            );
        }
    }

    #[test]
    fn node_semver_comparisons() {
        for (a, b) in NODE_GREATER {
            assert_eq!(compare(a, b), Ok(Ordering::Greater), "{a} > {b}");
            assert_eq!(compare(b, a), Ok(Ordering::Less), "{b} < {a}");
        }
        for (a, b) in NODE_EQUAL {
            assert_eq!(compare(a, b), Ok(Ordering::Equal), "{a} == {b}");
        }
    }

    #[test]
    fn invalid_refused() {
        for v in INVALID {
            assert!(parse(v).is_err(), "{v:?} should not parse");
        }
    }

    #[test]
    fn display_round_trips() {
        for v in SEMVER_ORG
            .iter()
            .chain(["1.2.3-a.b.c.10.d.5+x.y-z", "0.0.0+007"].iter())
        {
            let p = parse(v).unwrap();
            assert_eq!(p.to_string(), *v);
            let q = parse(&p.to_string()).unwrap();
            assert_eq!(p, q);
            assert_eq!(p.build, q.build);
        }
    }

    #[test]
    fn ordering_properties() {
        let mut all: Vec<&str> = SEMVER_ORG.to_vec();
        for (a, b) in NODE_GREATER.iter().chain(NODE_EQUAL) {
            all.push(a);
            all.push(b);
        }
        all.extend([
            "1.0.0-0",
            "1.0.0-0.0",
            "1.0.0--",
            "1.0.0-a-",
            "18446744073709551615.0.0",
        ]);
        let vs: Vec<Version> = all.iter().map(|v| parse(v).unwrap()).collect();
        assert!(vs.len() >= 50);
        check_total_order(&all, &vs);
    }
}
