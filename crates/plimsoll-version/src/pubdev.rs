//! Pub (Dart) package versions, ordered as `package:pub_semver`'s `Version.compareTo` orders
//! them (<https://pub.dev/packages/pub_semver>).
//!
//! Grammar: `Version.parse` matches the whole string against
//! `(\d+).(\d+).(\d+)(-ident(.ident)*)?(\+ident(.ident)*)?` with identifiers of
//! `[0-9A-Za-z-]+`. Traps:
//! - The two dots between the numbers are *unescaped* in pub_semver's pattern, so they match
//!   any one character: `1x2x3` parses as 1.2.3 and `12345` as 1.3.5 (the regex engine tries
//!   the longest major first, then backtracks). This module reproduces the match, including
//!   its backtracking order.
//! - Leading zeros are allowed everywhere and ignored for comparison and equality:
//!   `01.2.3` == `1.2.3`, `1.2.3-01` == `1.2.3-1`. Major, minor and patch must fit Dart's
//!   64-bit `int` (`int.parse` throws otherwise, and so does `Version.parse`).
//! - A pre-release or build identifier that Dart's `int.tryParse` accepts is a number, any
//!   other is a string. `int.tryParse` takes an optional `-` sign and a `0x` hex prefix, so
//!   `-1` is the number -1 and `0x10` is 16; a decimal too big for 64 bits stays a string.
//! - **Build metadata is ordered**, unlike SemVer: a version without build is below the
//!   same version with one (`1.0.0` < `1.0.0+1`), and builds compare like pre-releases.
//!
//! Order: major, minor, patch; a version without pre-release is above one with; pre-release
//! lists, then build lists, element-wise with numbers below strings, strings by UTF-16 code
//! units (ASCII here: bytewise), and a missing element below a present one.
//! `Display` is the text as given, as `Version.toString()` is.

use std::cmp::Ordering;
use std::fmt;

use crate::ParseError;

const SCHEME: &str = "Pub";

/// One pre-release or build identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// What `int.tryParse` reads as a 64-bit integer.
    Number(i64),
    Text(String),
}

impl Ord for Part {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Part::Number(a), Part::Number(b)) => a.cmp(b),
            (Part::Number(_), Part::Text(_)) => Ordering::Less,
            (Part::Text(_), Part::Number(_)) => Ordering::Greater,
            (Part::Text(a), Part::Text(b)) => a.as_bytes().cmp(b.as_bytes()),
        }
    }
}

impl PartialOrd for Part {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A Pub version. `Eq`/`Ord` are pub_semver's `==`/`compareTo` (build included).
#[derive(Debug, Clone)]
pub struct Version {
    pub major: i64,
    pub minor: i64,
    pub patch: i64,
    pub pre: Vec<Part>,
    pub build: Vec<Part>,
    text: String,
}

impl Version {
    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                // Slice order is pub_semver's `_compareLists`: element-wise, and a list
                // that is a prefix of the other is lower.
                _ => self.pre.cmp(&other.pre),
            })
            // Unlike pre-releases, "no build" is the *lower* one; that is also what slice
            // order gives for an empty list.
            .then_with(|| self.build.cmp(&other.build))
    }
}

crate::eq_and_partial_ord_from_ord!(Version);

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for Version {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        parse(s)
    }
}

/// Dart's `int.tryParse` on an identifier (which holds only `[0-9A-Za-z-]`): an optional
/// `-`, then decimal digits or `0x`/`0X` and hex digits, within 64 bits.
fn dart_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s),
    };
    let (digits, radix) = match body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        Some(h) => (h, 16),
        None => (body, 10),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    // Through i128 so that the most negative value parses like Dart's.
    let magnitude = i128::from_str_radix(digits, radix).ok()?;
    i64::try_from(if neg { -magnitude } else { magnitude }).ok()
}

fn parts(s: &str) -> Vec<Part> {
    s.split('.')
        .map(|p| match dart_int(p) {
            Some(n) => Part::Number(n),
            None => Part::Text(p.to_string()),
        })
        .collect()
}

fn is_ident(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
}

fn dotted_idents(s: &str) -> bool {
    s.split('.').all(is_ident)
}

/// Pre-release and build texts, each present or not.
type Suffix<'a> = (Option<&'a str>, Option<&'a str>);

/// Splits what follows the patch number into pre-release and build, as the optional
/// groups of the pattern followed by `$` allow; `None` if they cannot match.
fn suffix(rest: &str) -> Option<Suffix<'_>> {
    let (before_build, build) = match rest.split_once('+') {
        Some((a, b)) => (a, Some(b)),
        None => (rest, None),
    };
    let pre = if before_build.is_empty() {
        None
    } else {
        Some(before_build.strip_prefix('-')?)
    };
    if pre.is_some_and(|p| !dotted_idents(p)) || build.is_some_and(|b| !dotted_idents(b)) {
        return None;
    }
    Some((pre, build))
}

/// A character the regex `.` matches: one UTF-16 code unit that is not a line terminator
/// (so not a character outside the Basic Multilingual Plane, which is two units).
fn dot_matches(c: char) -> bool {
    !matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}') && (c as u32) < 0x10000
}

/// Longest version text accepted. pub_semver has no limit, but the pattern's backtracking
/// is quadratic in runs of digits; no published version comes near this.
pub const MAX_LEN: usize = 512;

/// The pattern's match: the three number texts and the pre-release and build texts (empty
/// when absent), trying the alternatives in the order a backtracking regex engine does
/// (greedy `\d+`, longest first).
fn match_version(s: &str) -> Option<[&str; 5]> {
    let b = s.as_bytes();
    // run_end[i]: end of the run of ASCII digits starting at byte i (i when none).
    let mut run_end = vec![b.len(); b.len() + 1];
    for i in (0..b.len()).rev() {
        run_end[i] = if b[i].is_ascii_digit() {
            run_end[i + 1]
        } else {
            i
        };
    }
    run_end[b.len()] = b.len();
    // Where a patch number ends, the rest must be the optional groups; memoized because
    // many (major, minor) splits lead to the same patch end.
    let mut suffix_at: Vec<Option<Option<Suffix<'_>>>> = vec![None; b.len() + 1];
    // The character at byte i, if the regex `.` matches it, with its length.
    let dot_at = |i: usize| {
        s[i..]
            .chars()
            .next()
            .filter(|&c| dot_matches(c))
            .map(char::len_utf8)
    };

    for l1 in (1..=run_end[0]).rev() {
        let Some(w1) = dot_at(l1) else { continue };
        let q = l1 + w1;
        for l2 in (1..=run_end[q] - q).rev() {
            let p = q + l2;
            let Some(w2) = dot_at(p) else { continue };
            let r = p + w2;
            // A shorter patch would leave a digit where only `-`, `+` or the end may stand.
            let e = run_end[r];
            if e == r {
                continue;
            }
            if let Some((pre, build)) = *suffix_at[e].get_or_insert_with(|| suffix(&s[e..])) {
                return Some([
                    &s[..l1],
                    &s[q..p],
                    &s[r..e],
                    pre.unwrap_or(""),
                    build.unwrap_or(""),
                ]);
            }
        }
    }
    None
}

/// Parses a version as pub_semver's `Version.parse` does.
pub fn parse(s: &str) -> Result<Version, ParseError> {
    if s.len() > MAX_LEN {
        return Err(ParseError::new(
            SCHEME,
            &s[..s.floor_char_boundary(64)],
            format!("longer than {MAX_LEN} bytes"),
        ));
    }
    let [ma, mi, pa, pre, build] = match_version(s)
        .ok_or_else(|| ParseError::new(SCHEME, s, "not MAJOR.MINOR.PATCH[-pre][+build]"))?;
    let number = |d: &str, part: &str| {
        d.parse::<i64>()
            .map_err(|_| ParseError::new(SCHEME, s, format!("{part} does not fit 64 bits")))
    };
    Ok(Version {
        major: number(ma, "major")?,
        minor: number(mi, "minor")?,
        patch: number(pa, "patch")?,
        pre: if pre.is_empty() {
            Vec::new()
        } else {
            parts(pre)
        },
        build: if build.is_empty() {
            Vec::new()
        } else {
            parts(build)
        },
        text: s.to_string(),
    })
}

/// Compares two Pub versions.
pub fn compare(a: &str, b: &str) -> Result<Ordering, ParseError> {
    Ok(parse(a)?.cmp(&parse(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::check_total;

    /// pub_semver test/version_test.dart, "comparison": a correctly sorted list.
    const SORTED: &[&str] = &[
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0-rc.1+build.1",
        "1.0.0",
        "1.0.0+0.3.7",
        "1.3.7+build",
        "1.3.7+build.2.b8f12d7",
        "1.3.7+build.11.e0f985a",
        "2.0.0",
        "2.1.0",
        "2.2.0",
        "2.11.0",
        "2.11.1",
    ];

    #[test]
    fn upstream_sorted_list() {
        for (i, a) in SORTED.iter().enumerate() {
            for (j, b) in SORTED.iter().enumerate() {
                assert_eq!(compare(a, b).unwrap(), i.cmp(&j), "{a} vs {b}");
            }
        }
        // "prioritize()" list, ordered by compareTo where it agrees (pre-releases aside).
        assert_eq!(compare("1.0.0", "1.0.0+build").unwrap(), Ordering::Less);
    }

    /// version_test.dart "equality": leading zeros do not count.
    #[test]
    fn upstream_equality() {
        for (a, b) in [
            ("01.2.3", "1.2.3"),
            ("1.02.3", "1.2.3"),
            ("1.2.03", "1.2.3"),
            ("1.2.3-01", "1.2.3-1"),
            ("1.2.3+01", "1.2.3+1"),
        ] {
            assert_eq!(parse(a).unwrap(), parse(b).unwrap(), "{a} == {b}");
        }
        // "preserves leading zeroes": toString is the text given.
        let s = "001.02.0003-01.dev+pre.002";
        assert_eq!(parse(s).unwrap().to_string(), s);
    }

    /// version_test.dart "parse()": accepted and refused strings.
    #[test]
    fn upstream_parse() {
        let v = parse("12.34.56").unwrap();
        assert_eq!((v.major, v.minor, v.patch), (12, 34, 56));
        assert_eq!(
            parse("1.2.3-alpha.1").unwrap().pre,
            [Part::Text("alpha".into()), Part::Number(1)]
        );
        assert_eq!(
            parse("1.2.3-x.7.z-92").unwrap().pre,
            [
                Part::Text("x".into()),
                Part::Number(7),
                Part::Text("z-92".into())
            ]
        );
        assert_eq!(
            parse("1.2.3+build.1").unwrap().build,
            [Part::Text("build".into()), Part::Number(1)]
        );
        let v = parse("1.0.0-rc-1+build-1").unwrap();
        assert_eq!(v.pre, [Part::Text("rc-1".into())]);
        assert_eq!(v.build, [Part::Text("build-1".into())]);
        for s in [
            "1.0",
            "1.2.3.4",
            "1234",
            "-2.3.4",
            "1.3-pre",
            "1.3+build",
            "1.3+bu?!3ild",
        ] {
            assert!(parse(s).is_err(), "{s:?} should be refused");
        }
    }

    /// The unescaped dots of pub_semver's pattern, and Dart's `int.tryParse` on identifiers.
    #[test]
    fn pattern_and_int_quirks() {
        let v = parse("1x2x3").unwrap();
        assert_eq!((v.major, v.minor, v.patch), (1, 2, 3));
        let v = parse("12345").unwrap();
        assert_eq!((v.major, v.minor, v.patch), (1, 3, 5));
        let v = parse("1.23-4").unwrap();
        assert_eq!((v.major, v.minor, v.patch, v.pre.len()), (1, 23, 4, 0));
        assert!(parse("1.2.3 ").is_err());
        assert!(parse("1\n2.3").is_err());
        assert!(
            parse("1\u{1F600}2.3").is_err(),
            "two UTF-16 units are not one `.`"
        );
        assert!(parse("1\u{e9}2.3").is_ok());
        assert!(parse("9223372036854775807.0.0").is_ok());
        assert!(parse("9223372036854775808.0.0").is_err());
        // Bounded work on hostile input. The regex's first match takes the longest major,
        // which does not fit 64 bits, so pub refuses these too.
        assert!(parse(&"1".repeat(MAX_LEN)).is_err());
        assert!(parse(&format!("{}-{}", "1.".repeat(MAX_LEN / 4), "1")).is_err());
        assert!(parse(&"1".repeat(MAX_LEN + 1)).is_err());

        assert_eq!(parse("1.0.0-0x10").unwrap().pre, [Part::Number(16)]);
        assert_eq!(parse("1.0.0--1").unwrap().pre, [Part::Number(-1)]);
        assert_eq!(
            parse("1.0.0-99999999999999999999").unwrap().pre,
            [Part::Text("99999999999999999999".into())]
        );
        assert_eq!(parse("1.0.0-16").unwrap(), parse("1.0.0-0x10").unwrap());
        assert_eq!(compare("1.0.0--1", "1.0.0-0").unwrap(), Ordering::Less);
    }

    #[test]
    fn order_properties() {
        let mut names: Vec<&str> = SORTED.to_vec();
        names.extend([
            "0.0.0",
            "01.2.3",
            "1.2.3",
            "1.2.3-01",
            "1.2.3-1",
            "1.2.3+1",
            "1.2.3+01",
            "1.0.0-0x10",
            "1.0.0--1",
            "1.0.0-99999999999999999999",
            "12345",
            "1.0.0+a.1",
            "1.0.0+a",
            "1.0.0+1",
        ]);
        let v: Vec<Version> = names.iter().map(|s| parse(s).unwrap()).collect();
        check_total(&v);
    }
}
