//! NuGet versions, ordered as NuGet's `VersionComparer.Default` orders them.
//!
//! One to four numeric parts (missing ones are 0, so `1.0.0.0` == `1.0` == `1`, leading
//! zeros ignored), an optional `-` release label of dot-separated alphanumeric/hyphen
//! identifiers, and optional `+` metadata that is ignored. A version without a label is
//! greater than one with; label identifiers compare numerically when both are numbers,
//! a number is lower than a string, strings compare case-insensitively, and a shorter
//! label that is a prefix of a longer one is lower.

use std::cmp::Ordering;

use crate::ParseError;

const SCHEME: &str = "NuGet";

#[derive(Debug, Clone)]
enum Ident {
    Num(u64),
    Str(String),
}

fn ident_cmp(a: &Ident, b: &Ident) -> Ordering {
    match (a, b) {
        (Ident::Num(x), Ident::Num(y)) => x.cmp(y),
        (Ident::Num(_), Ident::Str(_)) => Ordering::Less,
        (Ident::Str(_), Ident::Num(_)) => Ordering::Greater,
        (Ident::Str(x), Ident::Str(y)) => x.cmp(y),
    }
}

/// A parsed NuGet version.
#[derive(Debug, Clone)]
pub struct Version {
    original: String,
    parts: [u32; 4],
    /// Lower-cased label identifiers; empty for a release.
    label: Vec<Ident>,
}

impl Version {
    /// The version as given.
    pub fn as_str(&self) -> &str {
        &self.original
    }

    /// Whether the version has a release label.
    pub fn is_prerelease(&self) -> bool {
        !self.label.is_empty()
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.parts.cmp(&other.parts).then_with(|| {
            match (self.label.is_empty(), other.label.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => {
                    for (l, r) in self.label.iter().zip(&other.label) {
                        let c = ident_cmp(l, r);
                        if c != Ordering::Equal {
                            return c;
                        }
                    }
                    self.label.len().cmp(&other.label.len())
                }
            }
        })
    }
}

fn ident_ok(x: &str) -> bool {
    !x.is_empty() && x.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Parses a NuGet version (NuGetVersion's lenient form: 1 to 4 numeric parts).
pub fn parse(s: &str) -> Result<Version, ParseError> {
    let err = |why: &str| ParseError::new(SCHEME, s, why);
    let v = s.trim();
    let (v, meta) = match v.split_once('+') {
        Some((a, m)) => (a, Some(m)),
        None => (v, None),
    };
    if let Some(m) = meta
        && !m.split('.').all(ident_ok)
    {
        return Err(err("invalid metadata"));
    }
    let (nums, label) = match v.split_once('-') {
        Some((a, l)) => (a, Some(l)),
        None => (v, None),
    };
    let mut parts = [0u32; 4];
    let pieces: Vec<&str> = nums.split('.').collect();
    if pieces.len() > 4 {
        return Err(err("more than four numeric parts"));
    }
    for (slot, p) in parts.iter_mut().zip(&pieces) {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err("numeric part is not a number"));
        }
        *slot = p
            .parse::<u32>()
            .ok()
            .filter(|n| *n <= i32::MAX as u32)
            .ok_or_else(|| err("numeric part too large"))?;
    }
    let mut ids = Vec::new();
    if let Some(l) = label {
        for x in l.split('.') {
            if !ident_ok(x) {
                return Err(err("invalid release label"));
            }
            ids.push(if x.bytes().all(|b| b.is_ascii_digit()) {
                match x.parse::<u64>() {
                    Ok(n) => Ident::Num(n),
                    Err(_) => Ident::Str(x.to_string()),
                }
            } else {
                Ident::Str(x.to_ascii_lowercase())
            });
        }
    }
    Ok(Version {
        original: s.to_string(),
        parts,
        label: ids,
    })
}

/// Compares two NuGet versions.
pub fn compare(a: &str, b: &str) -> Result<Ordering, ParseError> {
    Ok(parse(a)?.cmp(&parse(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        compare(a, b).unwrap()
    }

    /// NuGet/NuGet.Client VersionComparerTests: VersionComparisonDefaultEqual, plus the
    /// normalization NuGetVersion applies (four parts, leading zeros).
    const EQUAL: &[(&str, &str)] = &[
        ("1.0.0", "1.0.0"),
        ("1.0.0-BETA", "1.0.0-beta"),
        ("1.0.0-BETA+AA", "1.0.0-beta+aa"),
        ("1.0.0-BETA.X.y.5.77.0+AA", "1.0.0-beta.x.y.5.77.0+aa"),
        ("1.0.0.0", "1.0"),
        ("1.0", "1"),
        ("01.002.0003", "1.2.3"),
        ("1.0.0+a", "1.0.0+b"),
        ("1.0.0-01", "1.0.0-1"),
    ];

    /// Same file: VersionComparisonDefaultLess and VersionComparisonDefaultNotEqual
    /// (restated as first < second).
    const LESS: &[(&str, &str)] = &[
        ("0.0.0", "1.0.0"),
        ("1.0.0", "1.1.0"),
        ("1.0.0", "1.0.1"),
        ("1.999.9999", "2.1.1"),
        ("1.0.0-BETA", "1.0.0-beta2"),
        ("1.0.0-beta+AA", "1.0.0+aa"),
        ("1.0.0-BETA", "1.0.0-beta.1+AA"),
        ("1.0.0-BETA.X.y.5.77.0+AA", "1.0.0-beta.x.y.5.79.0+aa"),
        ("1.0.0-BETA.X.y.5.79.0+AA", "1.0.0-beta.x.y.5.790.0+abc"),
        ("1.0.0", "1.0.0.1"),
        ("1.0.0-alpha", "1.0.0.1-alpha"),
        // SemVer 2.0 spec precedence example
        ("1.0.0-alpha", "1.0.0-alpha.1"),
        ("1.0.0-alpha.1", "1.0.0-alpha.beta"),
        ("1.0.0-alpha.beta", "1.0.0-beta"),
        ("1.0.0-beta", "1.0.0-beta.2"),
        ("1.0.0-beta.2", "1.0.0-beta.11"),
        ("1.0.0-beta.11", "1.0.0-rc.1"),
        ("1.0.0-rc.1", "1.0.0"),
    ];

    const BAD: &[&str] = &[
        "",
        "1.0.0.0.0",
        "a.b",
        "1.0-",
        "1.0.0-beta..1",
        "1.0.0+",
        "1..0",
        "-1.0",
        "1.0.0-be_ta",
        "3000000000.0",
    ];

    #[test]
    fn upstream_equal() {
        for (a, b) in EQUAL {
            assert_eq!(cmp(a, b), Ordering::Equal, "{a} == {b}");
            assert_eq!(cmp(b, a), Ordering::Equal, "{b} == {a}");
        }
    }

    #[test]
    fn upstream_less() {
        for (a, b) in LESS {
            assert_eq!(cmp(a, b), Ordering::Less, "{a} < {b}");
            assert_eq!(cmp(b, a), Ordering::Greater, "{b} > {a}");
        }
    }

    #[test]
    fn refuses_malformed() {
        for b in BAD {
            assert!(parse(b).is_err(), "{b:?} must be refused");
        }
    }

    #[test]
    fn total_order_properties() {
        let mut all: Vec<&str> = Vec::new();
        for (a, b) in EQUAL.iter().chain(LESS) {
            all.push(a);
            all.push(b);
        }
        all.extend([
            "2.0.0-RC.1",
            "2.0.0-rc.1.x",
            "2.0.0-1",
            "2.0.0-1a",
            "2147483647.0",
        ]);
        let v: Vec<Version> = all.iter().map(|s| parse(s).unwrap()).collect();
        check_total(&v);
    }

    use crate::testutil::check_total;
}
