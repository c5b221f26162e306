//! RubyGems versions, ordered as `Gem::Version#<=>` orders them.
//!
//! Accepted: `[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?`, surrounded by
//! optional whitespace; a blank string is `0`. A `-` reads as `.pre.`. Segments are runs of
//! digits or of letters; a version with a letter segment is a prerelease. Trailing zeros of
//! the numeric part and of the part after the first letter segment are insignificant;
//! missing segments count as 0; a string segment is lower than a number.

use std::cmp::Ordering;

use crate::ParseError;

const SCHEME: &str = "RubyGems";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// Decimal digits without leading zeros ("" is zero).
    Num(String),
    Str(String),
}

impl Segment {
    fn is_zero(&self) -> bool {
        matches!(self, Segment::Num(d) if d.is_empty())
    }
}

fn seg_cmp(a: &Segment, b: &Segment) -> Ordering {
    match (a, b) {
        (Segment::Num(x), Segment::Num(y)) => x.len().cmp(&y.len()).then_with(|| x.cmp(y)),
        (Segment::Str(_), Segment::Num(_)) => Ordering::Less,
        (Segment::Num(_), Segment::Str(_)) => Ordering::Greater,
        (Segment::Str(x), Segment::Str(y)) => x.as_bytes().cmp(y.as_bytes()),
    }
}

/// A parsed RubyGems version.
#[derive(Debug, Clone)]
pub struct Version {
    original: String,
    /// `canonical_segments`: trailing zeros removed from the numeric and the string part.
    segments: Vec<Segment>,
}

impl Version {
    /// The version as given.
    pub fn as_str(&self) -> &str {
        &self.original
    }

    /// Whether the version contains a letter (`Gem::Version#prerelease?`).
    pub fn is_prerelease(&self) -> bool {
        self.segments.iter().any(|s| matches!(s, Segment::Str(_)))
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
        let zero = Segment::Num(String::new());
        let n = self.segments.len().max(other.segments.len());
        for i in 0..n {
            let l = self.segments.get(i).unwrap_or(&zero);
            let r = other.segments.get(i).unwrap_or(&zero);
            let c = seg_cmp(l, r);
            if c != Ordering::Equal {
                return c;
            }
        }
        Ordering::Equal
    }
}

fn well_formed(v: &str) -> bool {
    let (release, pre) = match v.split_once('-') {
        Some((r, p)) => (r, Some(p)),
        None => (v, None),
    };
    let mut parts = release.split('.');
    let first_ok = parts
        .next()
        .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if !first_ok || !parts.all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric())) {
        return false;
    }
    match pre {
        None => true,
        Some(p) => p
            .split('.')
            .all(|x| !x.is_empty() && x.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')),
    }
}

/// Parses a RubyGems version; refuses what `Gem::Version.new` refuses.
pub fn parse(s: &str) -> Result<Version, ParseError> {
    let trimmed = s.trim_matches(|c: char| c.is_ascii_whitespace());
    let v = if trimmed.is_empty() { "0" } else { trimmed };
    if !well_formed(v) {
        return Err(ParseError::new(
            SCHEME,
            s,
            "malformed version number string",
        ));
    }
    let v = v.replace('-', ".pre.");
    let mut segs = Vec::new();
    let bytes = v.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_digit() || b.is_ascii_alphabetic() {
            let digit = b.is_ascii_digit();
            let start = i;
            while i < bytes.len()
                && (if digit {
                    bytes[i].is_ascii_digit()
                } else {
                    bytes[i].is_ascii_alphabetic()
                })
            {
                i += 1;
            }
            let run = &v[start..i];
            segs.push(if digit {
                Segment::Num(run.trim_start_matches('0').to_string())
            } else {
                Segment::Str(run.to_string())
            });
        } else {
            i += 1;
        }
    }
    let split = segs
        .iter()
        .position(|x| matches!(x, Segment::Str(_)))
        .unwrap_or(segs.len());
    let mut strings = segs.split_off(split);
    while segs.last().is_some_and(Segment::is_zero) {
        segs.pop();
    }
    while strings.last().is_some_and(Segment::is_zero) {
        strings.pop();
    }
    segs.extend(strings);
    Ok(Version {
        original: s.to_string(),
        segments: segs,
    })
}

/// Compares two RubyGems versions.
pub fn compare(a: &str, b: &str) -> Result<Ordering, ParseError> {
    Ok(parse(a)?.cmp(&parse(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        compare(a, b).unwrap()
    }

    /// rubygems/rubygems test/rubygems/test_gem_version.rb: `assert_version_equal` cases
    /// (test_equals2, test_initialize) and the `<=>` == 0 cases of test_spaceship.
    const EQUAL: &[(&str, &str)] = &[
        ("1.2", "1.2"),
        ("1.2.b1", "1.2.b.1"),
        ("1.0", "1.0 "),
        ("1.0", " 1.0 "),
        ("1.0", "1.0\n"),
        ("1.0", "\n1.0\n"),
        ("1", "1"),
        ("1.0", "1.0.0"),
        ("", "0"),
        // test_bump / test_release targets compared with their written forms
        ("5.3", "5.3"),
        ("1.2.0", "1.2"),
    ];

    /// Same file: refute_version_equal, test_spaceship and test_semver (first < second).
    const LESS: &[(&str, &str)] = &[
        ("1.2", "1.3"),
        ("1.0.a", "1.0"),
        ("0.0.0", "1.8.2"),
        ("1.8.2.a", "1.8.2"),
        ("1.8.2.a", "1.8.2.b"),
        ("1.8.2.a9", "1.8.2.a10"),
        ("1.0.0-alpha", "1.0.0-alpha.1"),
        ("1.0.0-alpha.1", "1.0.0-beta.2"),
        ("1.0.0-beta.2", "1.0.0-beta.11"),
        ("1.0.0-beta.11", "1.0.0-rc.1"),
        ("1.0.0-rc.1", "1.0.0"),
        // test_release: a prerelease is lower than its release
        ("1.2.0.a", "1.2.0"),
        ("1.1.rc10", "1.1"),
        ("1.9.3.alpha.5", "1.9.3"),
    ];

    /// Same file: test_initialize_bad.
    const BAD: &[&str] = &["junk", "1.0\n2.0", "1..2", "1.0-", ".1", "1.2_3"];

    /// Same file: test_prerelease.
    const PRERELEASE: &[&str] = &["1.2.0.a", "2.9.b", "22.1.50.0.d", "1.2.d.42", "1.A"];
    const RELEASE: &[&str] = &["1.2.0", "2.9", "22.1.50.0"];

    #[test]
    fn upstream_equal() {
        for (a, b) in EQUAL {
            assert_eq!(cmp(a, b), Ordering::Equal, "{a:?} == {b:?}");
            assert_eq!(cmp(b, a), Ordering::Equal, "{b:?} == {a:?}");
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
    fn upstream_bad_and_prerelease() {
        for b in BAD {
            assert!(parse(b).is_err(), "{b:?} must be refused");
        }
        for p in PRERELEASE {
            assert!(parse(p).unwrap().is_prerelease(), "{p}");
        }
        for r in RELEASE {
            assert!(!parse(r).unwrap().is_prerelease(), "{r}");
        }
    }

    #[test]
    fn strings_below_numbers_and_case_sensitive() {
        assert_eq!(cmp("1.a", "1.0.1"), Ordering::Less);
        assert_eq!(cmp("1.B", "1.a"), Ordering::Less);
        assert_eq!(cmp("1.0.a.0", "1.0.a"), Ordering::Equal);
        assert_eq!(cmp("01.002", "1.2"), Ordering::Equal);
    }

    #[test]
    fn total_order_properties() {
        let all = [
            "0",
            "0.1",
            "0.1.a",
            "0.9",
            "1",
            "1.0.0.1",
            "1.0.a",
            "1.0.b",
            "1.0.b1",
            "1.0.b2",
            "1.0.b10",
            "1.0.rc1",
            "1.0-rc2",
            "1.0-pre",
            "1.0.pre.1",
            "1.1",
            "1.1.0.a",
            "1.1.1",
            "1.2.b1",
            "1.2.b.1",
            "1.2.B",
            "1.8.2",
            "1.8.2.a",
            "1.8.2.a9",
            "1.8.2.a10",
            "1.8.2.b",
            "1.9.3.alpha.5",
            "1.10",
            "2",
            "2.0.0",
            "2.0.0.0.1",
            "2.a",
            "2.z",
            "10",
            "10.0.a",
            "10.a.0",
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "3.0.0-x-y",
            "3.0.0.x",
            "99999999999999999999",
            "100000000000000000000",
            "5.2.4",
            "5.3",
            "22.1.50.0.d",
            "1.2.d.42",
            "1.A",
        ];
        let v: Vec<Version> = all.iter().map(|s| parse(s).unwrap()).collect();
        check_total(&v);
    }

    use crate::testutil::check_total;
}
