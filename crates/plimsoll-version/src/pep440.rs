//! PEP 440 versions (PyPI), parsed and ordered as `packaging.version.Version` does.
//!
//! Accepted: leading/trailing whitespace, a leading `v`, any case, epochs `N!`, release
//! segments, pre-releases (`a`/`alpha`, `b`/`beta`, `rc`/`c`/`pre`/`preview`, separators
//! `.`/`-`/`_`, implicit number 0), post-releases (`.postN`, `-N`, `rev`, `r`, implicit 0),
//! dev releases (`.devN`) and local versions (`+abc.1`, separators `.`/`-`/`_`). Ordering is
//! `packaging`'s: trailing zeros of the release do not count (`1.0 == 1.0.0`), a dev release
//! of a final sorts before its pre-releases, `1.0.dev1 < 1.0a1 < 1.0 < 1.0.post1`, local
//! segments compare numerically when numeric and numeric beats alphanumeric. Numbers may be of
//! any length (compared as digit strings).

use std::cmp::Ordering;
use std::fmt;

use crate::ParseError;

const SCHEME: &str = "PEP 440";

/// A number of any length, stored without leading zeros.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Number(String);

impl Number {
    fn new(digits: &str) -> Number {
        let t = digits.trim_start_matches('0');
        Number(if t.is_empty() {
            "0".to_string()
        } else {
            t.to_string()
        })
    }
    fn zero() -> Number {
        Number("0".to_string())
    }
    fn is_zero(&self) -> bool {
        self.0 == "0"
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Pre-release kind, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PreKind {
    Alpha,
    Beta,
    Rc,
}

/// One local-version segment. Alphanumeric segments sort before numeric ones.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum LocalSegment {
    /// Lower-cased text (contains a letter).
    Text(String),
    Number(Number),
}

/// A PEP 440 version in normalized form.
#[derive(Debug, Clone)]
pub struct Version {
    pub epoch: Number,
    pub release: Vec<Number>,
    pub pre: Option<(PreKind, Number)>,
    pub post: Option<Number>,
    pub dev: Option<Number>,
    pub local: Vec<LocalSegment>,
}

impl Version {
    fn release_key(&self) -> &[Number] {
        let n = self
            .release
            .iter()
            .rposition(|x| !x.is_zero())
            .map_or(0, |i| i + 1);
        &self.release[..n]
    }

    /// `packaging`'s pre key: 0 = before everything (a bare dev release), 1 = a pre-release,
    /// 2 = no pre-release (after all pre-releases).
    fn pre_key(&self) -> (u8, Option<&(PreKind, Number)>) {
        match (&self.pre, &self.post, &self.dev) {
            (None, None, Some(_)) => (0, None),
            (Some(p), _, _) => (1, Some(p)),
            (None, _, _) => (2, None),
        }
    }

    pub fn is_prerelease(&self) -> bool {
        self.pre.is_some() || self.dev.is_some()
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| self.release_key().cmp(other.release_key()))
            .then_with(|| self.pre_key().cmp(&other.pre_key()))
            // No post release sorts first: None < Some.
            .then_with(|| self.post.cmp(&other.post))
            // No dev release sorts last.
            .then_with(|| match (&self.dev, &other.dev) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) => a.cmp(b),
            })
            // No local version sorts first; then segment-wise, shorter prefix first.
            .then_with(|| self.local.cmp(&other.local))
    }
}

crate::eq_and_partial_ord_from_ord!(Version);

impl fmt::Display for Version {
    /// The normalized form (as `str(packaging.version.Version(...))`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.epoch.is_zero() {
            write!(f, "{}!", self.epoch)?;
        }
        for (i, n) in self.release.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{n}")?;
        }
        if let Some((kind, n)) = &self.pre {
            let l = match kind {
                PreKind::Alpha => "a",
                PreKind::Beta => "b",
                PreKind::Rc => "rc",
            };
            write!(f, "{l}{n}")?;
        }
        if let Some(n) = &self.post {
            write!(f, ".post{n}")?;
        }
        if let Some(n) = &self.dev {
            write!(f, ".dev{n}")?;
        }
        for (i, s) in self.local.iter().enumerate() {
            f.write_str(if i == 0 { "+" } else { "." })?;
            match s {
                LocalSegment::Text(t) => f.write_str(t)?,
                LocalSegment::Number(n) => write!(f, "{n}")?,
            }
        }
        Ok(())
    }
}

impl std::str::FromStr for Version {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        parse(s)
    }
}

/// A cursor over the lower-cased input.
struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn eat_sep(&mut self) -> bool {
        matches!(self.peek(), Some(b'.' | b'-' | b'_')) && {
            self.pos += 1;
            true
        }
    }
    fn eat_str(&mut self, w: &str) -> bool {
        if self.s[self.pos..].starts_with(w.as_bytes()) {
            self.pos += w.len();
            true
        } else {
            false
        }
    }
    fn digits(&mut self) -> Option<Number> {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        (self.pos > start)
            .then(|| Number::new(std::str::from_utf8(&self.s[start..self.pos]).unwrap_or("0")))
    }
    /// `[-_.]?` then an optional number (implicit 0), as in `packaging`'s regex, whose
    /// separator may match even when no number follows.
    fn optional_number(&mut self) -> Number {
        self.eat_sep();
        self.digits().unwrap_or_else(Number::zero)
    }
}

/// Parses a PEP 440 version as `packaging.version.Version` does.
pub fn parse(s: &str) -> Result<Version, ParseError> {
    let input = s;
    let lower = s.trim().to_ascii_lowercase();
    let mut c = Cursor {
        s: lower.as_bytes(),
        pos: 0,
    };
    let err = |reason: &str| ParseError::new(SCHEME, input, reason.to_string());
    c.eat(b'v');

    // Epoch and release.
    let first = c.digits().ok_or_else(|| err("expected a release number"))?;
    let mut epoch = Number::zero();
    let mut release = vec![first];
    if c.eat(b'!') {
        epoch = release.pop().unwrap_or_else(Number::zero);
        release.push(
            c.digits()
                .ok_or_else(|| err("expected a release number after the epoch"))?,
        );
    }
    loop {
        let save = c.pos;
        if c.eat(b'.')
            && let Some(n) = c.digits()
        {
            release.push(n);
            continue;
        }
        c.pos = save;
        break;
    }

    // Pre-release.
    let mut pre = None;
    {
        let save = c.pos;
        c.eat_sep();
        let kind = if c.eat_str("alpha") || c.eat_str("a") {
            Some(PreKind::Alpha)
        } else if c.eat_str("beta") || c.eat_str("b") {
            Some(PreKind::Beta)
        } else if c.eat_str("preview") || c.eat_str("pre") || c.eat_str("rc") || c.eat_str("c") {
            Some(PreKind::Rc)
        } else {
            None
        };
        match kind {
            Some(k) => pre = Some((k, c.optional_number())),
            None => c.pos = save,
        }
    }

    // Post-release.
    let mut post = None;
    {
        let save = c.pos;
        if c.eat(b'-')
            && let Some(n) = c.digits()
        {
            post = Some(n);
        } else {
            c.pos = save;
            c.eat_sep();
            if c.eat_str("post") || c.eat_str("rev") || c.eat_str("r") {
                post = Some(c.optional_number());
            } else {
                c.pos = save;
            }
        }
    }

    // Dev release.
    let mut dev = None;
    {
        let save = c.pos;
        c.eat_sep();
        if c.eat_str("dev") {
            dev = Some(c.optional_number());
        } else {
            c.pos = save;
        }
    }

    // Local version.
    let mut local = Vec::new();
    if c.eat(b'+') {
        let rest = std::str::from_utf8(&c.s[c.pos..]).map_err(|_| err("invalid text"))?;
        for seg in rest.split(['.', '-', '_']) {
            if seg.is_empty() || !seg.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(err("invalid local version label"));
            }
            local.push(if seg.bytes().all(|b| b.is_ascii_digit()) {
                LocalSegment::Number(Number::new(seg))
            } else {
                LocalSegment::Text(seg.to_string())
            });
        }
        c.pos = c.s.len();
    }

    if c.pos != c.s.len() {
        return Err(err("unexpected text"));
    }
    Ok(Version {
        epoch,
        release,
        pre,
        post,
        dev,
        local,
    })
}

/// Compares two PEP 440 versions.
pub fn compare(a: &str, b: &str) -> Result<Ordering, ParseError> {
    Ok(parse(a)?.cmp(&parse(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::semver::check_total_order;

    /// PEP 440, "Summary of permitted suffixes and relative ordering": ascending.
    const PEP440_SPEC: &[&str] = &[
        "1.dev0",
        "1.0.dev456",
        "1.0a1",
        "1.0a2.dev456",
        "1.0a12.dev456",
        "1.0a12",
        "1.0b1.dev456",
        "1.0b2",
        "1.0b2.post345.dev456",
        "1.0b2.post345",
        "1.0rc1.dev456",
        "1.0rc1",
        "1.0",
        "1.0+abc.5",
        "1.0+abc.7",
        "1.0+5",
        "1.0.post456.dev34",
        "1.0.post456",
        "1.0.15",
        "1.1.dev1",
    ];

    /// `packaging` `tests/test_version.py`, `VERSIONS` (epoch 0 half): ascending. The test
    /// suite repeats the list with an explicit `1!` epoch; [`packaging_versions`] builds it.
    const PACKAGING_VERSIONS: &[&str] = &[
        "1.0.dev456",
        "1.0a1",
        "1.0a2.dev456",
        "1.0a12.dev456",
        "1.0a12",
        "1.0b1.dev456",
        "1.0b2",
        "1.0b2.post345.dev456",
        "1.0b2.post345",
        "1.0b2-346",
        "1.0c1.dev456",
        "1.0c1",
        "1.0rc2",
        "1.0c3",
        "1.0",
        "1.0.post456.dev34",
        "1.0.post456",
        "1.1.dev1",
        "1.2+123abc",
        "1.2+123abc456",
        "1.2+abc",
        "1.2+abc123",
        "1.2+abc123def",
        "1.2+1234.abc",
        "1.2+123456",
        "1.2.r32+123456",
        "1.2.rev33+123456",
    ];

    fn packaging_versions() -> Vec<String> {
        let mut v: Vec<String> = PACKAGING_VERSIONS.iter().map(|s| s.to_string()).collect();
        v.extend(PACKAGING_VERSIONS.iter().map(|s| format!("1!{s}")));
        v
    }

    /// Input and normalized form (`packaging` normalization tests, PEP 440 "Normalization").
    const NORMALIZED: &[(&str, &str)] = &[
        ("1.0dev", "1.0.dev0"),
        ("1.0.dev", "1.0.dev0"),
        ("1.0dev1", "1.0.dev1"),
        ("1.0-dev", "1.0.dev0"),
        ("1.0-dev1", "1.0.dev1"),
        ("1.0DEV", "1.0.dev0"),
        ("1.0_dev1", "1.0.dev1"),
        ("1.0a", "1.0a0"),
        ("1.0.a", "1.0a0"),
        ("1.0-a1", "1.0a1"),
        ("1.0_a_1", "1.0a1"),
        ("1.0alpha1", "1.0a1"),
        ("1.0.ALPHA1", "1.0a1"),
        ("1.0beta", "1.0b0"),
        ("1.0-beta.2", "1.0b2"),
        ("1.0b", "1.0b0"),
        ("1.0c1", "1.0rc1"),
        ("1.0C1", "1.0rc1"),
        ("1.0pre1", "1.0rc1"),
        ("1.0preview1", "1.0rc1"),
        ("1.0-rc-1", "1.0rc1"),
        ("1.0rc", "1.0rc0"),
        ("1.0post", "1.0.post0"),
        ("1.0.post", "1.0.post0"),
        ("1.0post1", "1.0.post1"),
        ("1.0-post1", "1.0.post1"),
        ("1.0_post_1", "1.0.post1"),
        ("1.0-1", "1.0.post1"),
        ("1.0r", "1.0.post0"),
        ("1.0-r4", "1.0.post4"),
        ("1.0.rev1", "1.0.post1"),
        ("1.0.POST1", "1.0.post1"),
        ("1.0a1.post2.dev3", "1.0a1.post2.dev3"),
        ("1.0.post1.dev1", "1.0.post1.dev1"),
        ("1.0-1-dev1", "1.0.post1.dev1"),
        ("1.0+ubuntu-1", "1.0+ubuntu.1"),
        ("1.0+ubuntu_1", "1.0+ubuntu.1"),
        ("1.0+UBUNTU.1", "1.0+ubuntu.1"),
        ("1.0+1.01", "1.0+1.1"),
        ("v1.0", "1.0"),
        ("V1.0", "1.0"),
        ("  1.0\t\n", "1.0"),
        ("0!1.0", "1.0"),
        ("01!1.0", "1!1.0"),
        ("1.01.002", "1.1.2"),
        ("1.0.0", "1.0.0"),
        ("2012.15", "2012.15"),
        ("1.0a.post1", "1.0a0.post1"),
    ];

    /// `packaging` `test_normalized_versions`, restated: each spelling of a suffix label,
    /// in lower and upper case, with separator ``/`.`/`-` and with or without a number,
    /// normalizes to the canonical form (`normalized prefix`, number or 0).
    const PACKAGING_LABELS: &[(&[&str], &str)] = &[
        (&["dev"], ".dev"),
        (&["a", "alpha"], "a"),
        (&["b", "beta"], "b"),
        (&["c", "rc"], "rc"),
        (&["post", "r", "rev"], ".post"),
    ];

    /// `packaging` `test_normalized_versions`: the rows not covered by the label pattern.
    const PACKAGING_NORMALIZED: &[(&str, &str)] = &[
        ("1.0-5", "1.0.post5"),
        ("1.0-r5", "1.0.post5"),
        ("1.0-rev5", "1.0.post5"),
        ("1.0+AbC", "1.0+abc"),
        ("1.01", "1.1"),
        ("1.0a05", "1.0a5"),
        ("1.0b07", "1.0b7"),
        ("1.0c056", "1.0rc56"),
        ("1.0rc09", "1.0rc9"),
        ("1.0.post000", "1.0.post0"),
        ("1.1.dev09000", "1.1.dev9000"),
        ("00!1.2", "1.2"),
        ("0100!0.0", "100!0.0"),
        ("v1.0", "1.0"),
        ("   v1.0\t\n", "1.0"),
    ];

    /// `packaging` `test_version_str_repr`: input and `str()`.
    const PACKAGING_STR: &[(&str, &str)] = &[
        ("1.0.dev456", "1.0.dev456"),
        ("1.0a1", "1.0a1"),
        ("1.0a2.dev456", "1.0a2.dev456"),
        ("1.0a12.dev456", "1.0a12.dev456"),
        ("1.0a12", "1.0a12"),
        ("1.0b1.dev456", "1.0b1.dev456"),
        ("1.0b2", "1.0b2"),
        ("1.0b2.post345.dev456", "1.0b2.post345.dev456"),
        ("1.0b2.post345", "1.0b2.post345"),
        ("1.0rc1.dev456", "1.0rc1.dev456"),
        ("1.0rc1", "1.0rc1"),
        ("1.0", "1.0"),
        ("1.0.post456.dev34", "1.0.post456.dev34"),
        ("1.0.post456", "1.0.post456"),
        ("1.0.1", "1.0.1"),
        ("0!1.0.2", "1.0.2"),
        ("1.0.3+7", "1.0.3+7"),
        ("0!1.0.4+8.0", "1.0.4+8.0"),
        ("1.0.5+9.5", "1.0.5+9.5"),
        ("1.2+1234.abc", "1.2+1234.abc"),
        ("1.2+123456", "1.2+123456"),
        ("1.2+123abc", "1.2+123abc"),
        ("1.2+123abc456", "1.2+123abc456"),
        ("1.2+abc", "1.2+abc"),
        ("1.2+abc123", "1.2+abc123"),
        ("1.2+abc123def", "1.2+abc123def"),
        ("1.1.dev1", "1.1.dev1"),
        ("7!1.0.dev456", "7!1.0.dev456"),
        ("7!1.0a1", "7!1.0a1"),
        ("7!1.0b2.post345.dev456", "7!1.0b2.post345.dev456"),
        ("7!1.0rc1", "7!1.0rc1"),
        ("7!1.0.post456.dev34", "7!1.0.post456.dev34"),
        ("7!1.0.4+8.0", "7!1.0.4+8.0"),
        ("7!1.1.dev1", "7!1.1.dev1"),
    ];

    /// `packaging` `test_version_is_prerelease`.
    const PACKAGING_IS_PRERELEASE: &[(&str, bool)] = &[
        ("1.0.dev0", true),
        ("1.0.dev1", true),
        ("1.0a1.dev1", true),
        ("1.0b1.dev1", true),
        ("1.0c1.dev1", true),
        ("1.0rc1.dev1", true),
        ("1.0a1", true),
        ("1.0b1", true),
        ("1.0c1", true),
        ("1.0rc1", true),
        ("1.0a1.post1.dev1", true),
        ("1.0b1.post1.dev1", true),
        ("1.0c1.post1.dev1", true),
        ("1.0rc1.post1.dev1", true),
        ("1.0a1.post1", true),
        ("1.0b1.post1", true),
        ("1.0c1.post1", true),
        ("1.0rc1.post1", true),
        ("1.0", false),
        ("1.0+dev", false),
        ("1.0.post1", false),
        ("1.0.post1+dev", false),
    ];

    #[test]
    fn packaging_normalization_and_str() {
        let mut n = 0;
        for (spellings, canon) in PACKAGING_LABELS {
            for spelling in *spellings {
                for label in [spelling.to_string(), spelling.to_ascii_uppercase()] {
                    for sep in ["", ".", "-"] {
                        for (num, want) in [("", "0"), ("1", "1")] {
                            let input = format!("1.0{sep}{label}{num}");
                            let v = parse(&input).unwrap_or_else(|e| panic!("{input}: {e}"));
                            assert_eq!(v.to_string(), format!("1.0{canon}{want}"), "{input}");
                            n += 1;
                        }
                    }
                }
            }
        }
        for (input, want) in PACKAGING_NORMALIZED.iter().chain(PACKAGING_STR) {
            let v = parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(v.to_string(), *want, "{input:?}");
            n += 1;
        }
        assert!(n > 150);
        assert_eq!(compare("1.0rc1", "1.0c1"), Ok(Ordering::Equal));
        for (input, want) in PACKAGING_IS_PRERELEASE {
            assert_eq!(parse(input).unwrap().is_prerelease(), *want, "{input}");
        }
    }

    /// `packaging` invalid-version cases, plus a few of ours.
    const INVALID: &[&str] = &[
        "",
        "french toast",
        "1.0+a+",
        "1.0++",
        "1.0+_foobar",
        "1.0+foo&asd",
        "1.0+1+1",
        "1.0+",
        "1.",
        ".1",
        "1..0",
        "1.0a1a1",
        "1.0.devx",
        "1!",
        "!1.0",
        "1.0-",
        "vv1.0",
        "1.0 1",
        "1.0é",
    ];

    fn assert_ascending(list: &[String]) {
        for (i, a) in list.iter().enumerate() {
            for (j, b) in list.iter().enumerate() {
                assert_eq!(compare(a, b), Ok(i.cmp(&j)), "compare({a}, {b})");
            }
        }
    }

    #[test]
    fn pep440_spec_ordering() {
        assert_ascending(
            &PEP440_SPEC
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>(),
        );
    }

    #[test]
    fn packaging_ordering() {
        assert_ascending(&packaging_versions());
    }

    #[test]
    fn normalization() {
        for (input, norm) in NORMALIZED {
            let v = parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(v.to_string(), *norm, "normalized {input:?}");
            assert_eq!(parse(norm).unwrap(), v, "{input:?} == {norm:?}");
        }
    }

    #[test]
    fn invalid_refused() {
        for v in INVALID {
            assert!(parse(v).is_err(), "{v:?} should not parse");
        }
    }

    #[test]
    fn equalities_and_brief_orderings() {
        for (a, b) in [
            ("1.0", "1.0.0"),
            ("1.0", "1.0.0.0"),
            ("1!1.0", "1!1.0.0"),
            ("1.0a1", "1.0.0a1"),
            ("1.0+1", "1.0+01"),
            ("1.0.dev1", "1.0.0.dev01"),
            ("1.0+abc", "1.0+ABC"),
            ("0!1", "1.0"),
        ] {
            assert_eq!(compare(a, b), Ok(Ordering::Equal), "{a} == {b}");
        }
        for (a, b) in [
            ("1.0.dev1", "1.0a1"),
            ("1.0a1", "1.0"),
            ("1.0", "1.0.post1"),
            ("1.0.post1.dev1", "1.0.post1"),
            ("1.0", "1.0.post1.dev1"),
            ("1.0", "1.0+local"),
            ("1.0+abc", "1.0+abc.1"),
            ("1.0+zzz", "1.0+0"),
            ("2.0", "1!0.1"),
            ("1.9", "1.10"),
            ("1.0rc1", "1.0.post0"),
            ("99999999999999999999", "100000000000000000000"),
        ] {
            assert_eq!(compare(a, b), Ok(Ordering::Less), "{a} < {b}");
            assert_eq!(compare(b, a), Ok(Ordering::Greater), "{b} > {a}");
        }
    }

    #[test]
    fn ordering_properties_and_round_trip() {
        let mut all: Vec<String> = packaging_versions();
        all.extend(PEP440_SPEC.iter().map(|s| s.to_string()));
        all.extend(NORMALIZED.iter().map(|(v, _)| v.to_string()));
        let names: Vec<&str> = all.iter().map(|s| s.as_str()).collect();
        let vs: Vec<Version> = names.iter().map(|v| parse(v).unwrap()).collect();
        assert!(vs.len() >= 50);
        check_total_order(&names, &vs);
        for v in &vs {
            let s = v.to_string();
            let again = parse(&s).unwrap();
            assert_eq!(again, *v, "round trip {s}");
            assert_eq!(again.to_string(), s, "normal form is stable {s}");
        }
    }
}
