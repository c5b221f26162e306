//! Hex (Elixir/Erlang) package versions, ordered as Elixir's `Version.compare/2` orders them
//! (<https://hexdocs.pm/elixir/Version.html>).
//!
//! Grammar, as `Version.Parser.parse_version` reads it: the text before the first `+` and
//! then before the first `-` must be exactly `MAJOR.MINOR.PATCH`, each a non-empty run of
//! ASCII digits without a leading zero (`0` itself is fine, `01` is refused; any size:
//! Erlang integers are unbounded). `2.3` and `2` are refused, unlike Hex requirements
//! (`~> 2.3`). After `-`, dot-separated non-empty pre-release identifiers of
//! `[0-9A-Za-z-]`; a numeric one with a leading zero (`2.3.0-01`) is refused. After `+`,
//! dot-separated non-empty build identifiers of the same characters, ignored when
//! comparing (`2.0.1+build0` == `2.0.1`). No `v` prefix, no surrounding whitespace.
//!
//! Order: SemVer 2.0 precedence. Numbers compare as numbers; a release is above its
//! pre-releases; pre-release lists compare element-wise in Erlang term order (an integer
//! below a binary, binaries bytewise) and a shorter list that is a prefix of a longer one
//! is lower.

use std::cmp::Ordering;
use std::fmt;

use crate::ParseError;
use crate::semver::{Identifier, cmp_digits, cmp_prerelease};

const SCHEME: &str = "Hex";

/// A Hex version. `Eq`/`Ord` ignore build metadata, as `Version.compare/2` does.
#[derive(Debug, Clone)]
pub struct Version {
    /// Digits without leading zeros, any length.
    pub major: String,
    pub minor: String,
    pub patch: String,
    pub pre: Vec<Identifier>,
    pub build: Vec<String>,
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
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        crate::semver::write_pre_build(f, &self.pre, &self.build)
    }
}

impl std::str::FromStr for Version {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        parse(s)
    }
}

/// Parses a version as Elixir's `Version.parse/1` does.
pub fn parse(s: &str) -> Result<Version, ParseError> {
    let crate::semver::Parts { core, pre, build } = crate::semver::split(s, SCHEME, s)?;
    let [major, minor, patch] = core.map(str::to_string);
    Ok(Version {
        major,
        minor,
        patch,
        pre,
        build,
    })
}

/// Compares two Hex versions.
pub fn compare(a: &str, b: &str) -> Result<Ordering, ParseError> {
    Ok(parse(a)?.cmp(&parse(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::check_total;

    /// elixir lib/elixir/test/elixir/version_test.exs, "compare": (a, b, a vs b), and the
    /// `Version.compare/2` doc examples.
    const COMPARE: &[(&str, &str, Ordering)] = &[
        ("1.0.1", "1.0.0", Ordering::Greater),
        ("1.1.0", "1.0.1", Ordering::Greater),
        ("2.1.1", "1.2.2", Ordering::Greater),
        ("1.0.0", "1.0.0-dev", Ordering::Greater),
        ("1.2.3-dev", "0.1.2", Ordering::Greater),
        ("1.0.0-a.b", "1.0.0-a", Ordering::Greater),
        ("1.0.0-b", "1.0.0-a.b", Ordering::Greater),
        ("1.0.0-a", "1.0.0-0", Ordering::Greater),
        ("1.0.0-a.b", "1.0.0-a.a", Ordering::Greater),
        ("1.0.0", "1.0.1", Ordering::Less),
        ("1.0.1", "1.1.0", Ordering::Less),
        ("1.2.2", "2.1.1", Ordering::Less),
        ("1.0.0-dev", "1.0.0", Ordering::Less),
        ("0.1.2", "1.2.3-dev", Ordering::Less),
        ("1.0.0-a", "1.0.0-a.b", Ordering::Less),
        ("1.0.0-a.b", "1.0.0-b", Ordering::Less),
        ("1.0.0-0", "1.0.0-a", Ordering::Less),
        ("1.0.0-a.a", "1.0.0-a.b", Ordering::Less),
        ("1.0.0", "1.0.0", Ordering::Equal),
        ("1.0.0-dev", "1.0.0-dev", Ordering::Equal),
        ("1.0.0-a", "1.0.0-a", Ordering::Equal),
        // Version.compare/2 docs.
        ("2.0.1-alpha1", "2.0.0", Ordering::Greater),
        ("1.0.0-beta", "1.0.0-rc1", Ordering::Less),
        ("1.0.0-10", "1.0.0-2", Ordering::Greater),
        ("2.0.1+build0", "2.0.1", Ordering::Equal),
        // Matching tests of version_test.exs restated as comparisons.
        ("1.2.3", "1.2.3-alpha", Ordering::Greater),
        ("1.2.3-alpha.1", "1.2.3-alpha", Ordering::Greater),
        (
            "1.2.3-alpha.beta.sigma",
            "1.2.3-alpha.beta",
            Ordering::Greater,
        ),
        ("1.2.3-alpha.10", "1.2.3-alpha.1", Ordering::Greater),
        ("0.10.2-dev", "0.10.2", Ordering::Less),
        ("0.9.3", "0.9.3+dev", Ordering::Equal),
    ];

    #[test]
    fn upstream_compare_vectors() {
        for &(a, b, want) in COMPARE {
            assert_eq!(compare(a, b).unwrap(), want, "{a} vs {b}");
            assert_eq!(compare(b, a).unwrap(), want.reverse(), "{b} vs {a}");
        }
    }

    /// version_test.exs "parse": accepted, with the parts Elixir reports.
    #[test]
    fn upstream_parse() {
        let v = parse("1.4.5-6-g3318bd5+ignore").unwrap();
        assert_eq!((&v.major[..], &v.minor[..], &v.patch[..]), ("1", "4", "5"));
        assert_eq!(v.pre, [Identifier::AlphaNumeric("6-g3318bd5".into())]);
        let v = parse("1.4.5-6.7.eight").unwrap();
        assert_eq!(
            v.pre,
            [
                Identifier::Numeric("6".into()),
                Identifier::Numeric("7".into()),
                Identifier::AlphaNumeric("eight".into())
            ]
        );
        assert!(parse("1.4.5+ignore").unwrap().pre.is_empty());
        for s in ["1.0.0", "1.0.0-dev", "1.0.0+lol", "1.0.0-dev+lol"] {
            assert_eq!(parse(s).unwrap().to_string(), s, "to_string");
        }
        // Erlang integers are unbounded.
        assert_eq!(
            compare("1.0.99999999999999999999999", "1.0.9999999999999999999999").unwrap(),
            Ordering::Greater
        );
    }

    /// version_test.exs "parse" and "invalid compare" refusals, plus the grammar's edges.
    #[test]
    fn upstream_refusals() {
        for s in [
            "foobar",
            "2.3",
            "2",
            "2.3.0-01",
            "1.0",
            "foo",
            "2.0-alpha1",
            "01.2.3",
            "1.02.3",
            "1.2.03",
            "v1.2.3",
            " 1.2.3",
            "1.2.3 ",
            "1.2.3-",
            "1.2.3+",
            "1.2.3-a..b",
            "1.2.3+a..b",
            "1.2.3.4",
            "1.2.3-a_b",
            "",
            "1..2",
        ] {
            assert!(parse(s).is_err(), "{s:?} should be refused");
        }
        // A leading zero is refused only in numeric pre-release identifiers.
        assert!(parse("1.2.3-0a").is_ok());
        assert!(parse("1.2.3+01").is_ok());
        assert!(parse("0.0.0-0").is_ok());
    }

    #[test]
    fn order_properties() {
        let v: Vec<Version> = [
            "0.0.0-0",
            "0.0.0",
            "0.1.2",
            "0.9.3",
            "0.9.3+dev",
            "0.10.2-dev",
            "0.10.2",
            "1.0.0-0",
            "1.0.0-10",
            "1.0.0-2",
            "1.0.0-a",
            "1.0.0-a.a",
            "1.0.0-a.b",
            "1.0.0-b",
            "1.0.0-dev",
            "1.0.0",
            "1.0.0+lol",
            "1.0.1",
            "1.2.3-alpha",
            "1.2.3-alpha.1",
            "1.2.3-alpha.10",
            "1.2.3-alpha.beta",
            "1.2.3",
            "2.0.1-alpha1",
            "2.0.1",
            "10.0.0",
            "99999999999999999999.0.0",
        ]
        .iter()
        .map(|s| parse(s).unwrap())
        .collect();
        check_total(&v);
    }
}
