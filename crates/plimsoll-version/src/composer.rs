//! Composer (Packagist) versions: Composer's `VersionParser::normalize`, then PHP's
//! `version_compare` on the normalized strings, which is how Composer orders them.
//!
//! Normalization: trim, drop `+build` metadata, `v` prefix dropped, one to four numeric parts
//! padded to four (`1.2` → `1.2.0.0`), or a date version (`2010-01-02` → `2010.01.02`);
//! stability suffixes expanded (`a` → `alpha`, `b` → `beta`, `rc` → `RC`, `p`/`pl` →
//! `patch`, `stable` dropped) and `-dev` kept.
//!
//! Branch names (`dev-foo`, `master`, `1.x-dev`) are refused: they are not ordered versions,
//! and a scanner must not guess where an unversioned checkout sits. composer/semver 3 reads
//! `master`, `trunk` and `default` as the branches `dev-<name>` (Composer 1 read them as
//! `9999999-dev`, above every release). composer.json-only forms (` as ` aliases,
//! `@stability` flags) are refused too. Date versions follow Composer's pattern exactly (a
//! year, one to six two-digit groups, up to two short groups: `20100102.0.3.4` is refused).
//!
//! `version_compare` order of special forms: unknown < `dev` < `alpha` < `beta` < `RC` <
//! number (release) < `patch`/`pl`/`p`.

use std::cmp::Ordering;

use crate::ParseError;

const SCHEME: &str = "Composer";

/// A normalized Composer version.
#[derive(Debug, Clone)]
pub struct Version {
    original: String,
    normalized: String,
}

impl Version {
    /// The version as given.
    pub fn as_str(&self) -> &str {
        &self.original
    }

    /// Composer's normalized form, e.g. `1.0.0.0-beta2`.
    pub fn normalized(&self) -> &str {
        &self.normalized
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
        php_version_compare(&self.normalized, &other.normalized)
    }
}

const STABILITIES: [&str; 9] = [
    "stable", "beta", "b", "rc", "alpha", "a", "patch", "pl", "p",
];

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    if s.len() >= prefix.len()
        && s.is_char_boundary(prefix.len())
        && s[..prefix.len()].eq_ignore_ascii_case(prefix)
    {
        Some(&s[prefix.len()..])
    } else {
        None
    }
}

/// `([.-]?dev)?$`: whether the rest is empty (Some(false)) or a dev suffix (Some(true)).
fn parse_dev(rest: &str) -> Option<bool> {
    if rest.is_empty() {
        return Some(false);
    }
    let r = rest
        .strip_prefix('.')
        .or_else(|| rest.strip_prefix('-'))
        .unwrap_or(rest);
    if r.eq_ignore_ascii_case("dev") {
        Some(true)
    } else {
        None
    }
}

/// `(?:[.-]?\d+)*` greedily: returns the matched part and the rest.
fn parse_numbers(s: &str) -> (&str, &str) {
    let b = s.as_bytes();
    let mut end = 0;
    loop {
        let mut i = end;
        if i < b.len() && (b[i] == b'.' || b[i] == b'-') {
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            break;
        }
        end = i;
    }
    (&s[..end], &s[end..])
}

/// The modifier `[._-]?(?:(stability)((?:[.-]?\d+)*+)?)?([.-]?dev)?$`, rendered as
/// Composer renders it (`-beta2`, `-dev`, …).
fn parse_modifier(m: &str) -> Option<String> {
    let mut candidates = vec![m];
    if let Some(r) = m
        .strip_prefix('.')
        .or_else(|| m.strip_prefix('_'))
        .or_else(|| m.strip_prefix('-'))
    {
        candidates.insert(0, r);
    }
    for body in candidates {
        for stab in STABILITIES {
            let Some(rest) = strip_prefix_ci(body, stab) else {
                continue;
            };
            let (nums, rest) = parse_numbers(rest);
            let Some(dev) = parse_dev(rest) else {
                continue;
            };
            let mut out = String::new();
            let expanded = match stab {
                "a" | "alpha" => "alpha",
                "b" | "beta" => "beta",
                "rc" => "RC",
                "p" | "pl" | "patch" => "patch",
                _ => "",
            };
            if !expanded.is_empty() {
                out.push('-');
                out.push_str(expanded);
                out.push_str(nums.trim_start_matches(['.', '-']));
            }
            if dev {
                out.push_str("-dev");
            }
            return Some(out);
        }
        if let Some(dev) = parse_dev(body) {
            return Some(if dev {
                "-dev".to_string()
            } else {
                String::new()
            });
        }
    }
    None
}

fn classical(v: &str) -> Option<String> {
    let b = v.as_bytes();
    let mut i = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i == 0 || i > 5 {
        return None;
    }
    let mut parts = vec![&v[..i]];
    while parts.len() < 4 && i < b.len() && b[i] == b'.' {
        let start = i + 1;
        let mut j = start;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j == start {
            break;
        }
        parts.push(&v[start..j]);
        i = j;
    }
    let modifier = parse_modifier(&v[i..])?;
    while parts.len() < 4 {
        parts.push("0");
    }
    Some(parts.join(".") + &modifier)
}

/// Whether `p` is all of `\d{4}(?:[.:-]?\d{2}){1,6}(?:[.:-]?\d{1,3}){0,2}`, Composer's date
/// pattern: a year, one to six two-digit groups, then up to two groups of one to three digits.
fn is_date(p: &[u8]) -> bool {
    fn digits(p: &[u8], at: usize, n: usize) -> bool {
        p.len() >= at + n && p[at..at + n].iter().all(u8::is_ascii_digit)
    }
    /// From byte `at`, having read `pairs` two-digit groups and `tails` short groups.
    fn rest(
        p: &[u8],
        at: usize,
        pairs: usize,
        tails: usize,
        seen: &mut Vec<(usize, usize, usize)>,
    ) -> bool {
        if at == p.len() {
            return pairs >= 1;
        }
        if seen.contains(&(at, pairs, tails)) {
            return false;
        }
        seen.push((at, pairs, tails));
        let sep = usize::from(matches!(p[at], b'.' | b':' | b'-'));
        let body = at + sep;
        if tails == 0 && pairs < 6 && digits(p, body, 2) && rest(p, body + 2, pairs + 1, 0, seen) {
            return true;
        }
        pairs >= 1
            && tails < 2
            && (1..=3).any(|n| digits(p, body, n) && rest(p, body + n, pairs, tails + 1, seen))
    }
    digits(p, 0, 4) && rest(p, 4, 0, 0, &mut Vec::new())
}

fn datetime(v: &str) -> Option<String> {
    let b = v.as_bytes();
    if b.len() < 6 || !b[..4].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut end = 4;
    while end < b.len() && (b[end].is_ascii_digit() || matches!(b[end], b'.' | b':' | b'-')) {
        end += 1;
    }
    // The modifier cannot start with a digit, so at most one cut works: the date ends
    // where its digits do and the rest is a modifier.
    for cut in (6..=end).rev() {
        if !b[cut - 1].is_ascii_digit() || b.get(cut).is_some_and(u8::is_ascii_digit) {
            continue;
        }
        if !is_date(&b[..cut]) {
            continue;
        }
        if let Some(modifier) = parse_modifier(&v[cut..]) {
            let date: String = v[..cut]
                .chars()
                .map(|c| if c.is_ascii_digit() { c } else { '.' })
                .collect();
            return Some(date + &modifier);
        }
    }
    None
}

/// Composer's `VersionParser::normalize` for versions that have an order.
pub fn normalize(s: &str) -> Result<String, ParseError> {
    let err = |why: &str| ParseError::new(SCHEME, s, why);
    let mut v = s.trim();
    if v.is_empty() {
        return Err(err("empty version"));
    }
    if v.chars().any(char::is_whitespace) {
        return Err(err("whitespace inside the version"));
    }
    if let Some((head, meta)) = v.split_once('+') {
        if head.is_empty() || meta.is_empty() {
            return Err(err("empty version or build metadata"));
        }
        v = head;
    }
    // composer/semver 3 normalizes `master`, `trunk` and `default` to `dev-<name>` like any
    // other branch (Composer 1 read them as `9999999-dev`, above every release).
    if matches!(v, "master" | "trunk" | "default") || strip_prefix_ci(v, "dev-").is_some() {
        return Err(err("a branch name, not an ordered version"));
    }
    let body = v
        .strip_prefix('v')
        .or_else(|| v.strip_prefix('V'))
        .unwrap_or(v);
    classical(body)
        .or_else(|| datetime(body))
        .ok_or_else(|| err("not a Composer version"))
}

/// Parses and normalizes a Composer version.
pub fn parse(s: &str) -> Result<Version, ParseError> {
    Ok(Version {
        original: s.to_string(),
        normalized: normalize(s)?,
    })
}

/// Compares two Composer versions.
pub fn compare(a: &str, b: &str) -> Result<Ordering, ParseError> {
    Ok(parse(a)?.cmp(&parse(b)?))
}

/// PHP's `php_canonicalize_version`: `-`, `_`, `+` and other non-alphanumerics become
/// `.`, and a `.` goes between a digit and a non-digit.
fn canonicalize(v: &str) -> String {
    let b = v.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len() * 2);
    let Some(&first) = b.first() else {
        return String::new();
    };
    out.push(first);
    let isdig = |c: u8| c.is_ascii_digit();
    let isndig = |c: u8| !c.is_ascii_digit() && c != b'.';
    let mut lp = first;
    for &c in &b[1..] {
        let last = out.last().copied().unwrap_or(0);
        if matches!(c, b'-' | b'_' | b'+') || !c.is_ascii_alphanumeric() {
            if last != b'.' {
                out.push(b'.');
            }
        } else if (isndig(lp) && isdig(c)) || (isdig(lp) && isndig(c)) {
            if last != b'.' {
                out.push(b'.');
            }
            out.push(c);
        } else {
            out.push(c);
        }
        lp = c;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn special_form(form: &str) -> i32 {
    const FORMS: [(&str, i32); 10] = [
        ("dev", 0),
        ("alpha", 1),
        ("a", 1),
        ("beta", 2),
        ("b", 2),
        ("RC", 3),
        ("rc", 3),
        ("#", 4),
        ("pl", 5),
        ("p", 5),
    ];
    FORMS
        .iter()
        .find(|(name, _)| form.starts_with(name))
        .map_or(-1, |(_, order)| *order)
}

fn numeric_cmp(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn starts_digit(s: &str) -> bool {
    s.as_bytes().first().is_some_and(u8::is_ascii_digit)
}

/// The leading digits of a part (PHP reads it with `strtol`).
fn leading_digits(s: &str) -> &str {
    let end = s
        .bytes()
        .position(|c| !c.is_ascii_digit())
        .unwrap_or(s.len());
    &s[..end]
}

/// PHP's `version_compare` (without an operator).
fn php_version_compare(a: &str, b: &str) -> Ordering {
    let ca = canonicalize(a);
    let cb = canonicalize(b);
    let pa: Vec<&str> = ca.split('.').filter(|p| !p.is_empty()).collect();
    let pb: Vec<&str> = cb.split('.').filter(|p| !p.is_empty()).collect();
    let mut i = 0;
    while i < pa.len() && i < pb.len() {
        let (x, y) = (pa[i], pb[i]);
        let c = match (starts_digit(x), starts_digit(y)) {
            (true, true) => numeric_cmp(leading_digits(x), leading_digits(y)),
            (false, false) => special_form(x).cmp(&special_form(y)),
            (true, false) => special_form("#N#").cmp(&special_form(y)),
            (false, true) => special_form(x).cmp(&special_form("#N#")),
        };
        if c != Ordering::Equal {
            return c;
        }
        i += 1;
    }
    if i < pa.len() {
        if starts_digit(pa[i]) {
            Ordering::Greater
        } else {
            special_form(pa[i]).cmp(&special_form("#N#"))
        }
    } else if i < pb.len() {
        if starts_digit(pb[i]) {
            Ordering::Less
        } else {
            special_form("#N#").cmp(&special_form(pb[i]))
        }
    } else {
        Ordering::Equal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        compare(a, b).unwrap()
    }

    /// composer/semver VersionParserTest::successfulNormalizedVersions (input, normalized).
    const NORMALIZED: &[(&str, &str)] = &[
        ("1.0.0", "1.0.0.0"),
        ("1.2.3.4", "1.2.3.4"),
        ("1.0.0RC1dev", "1.0.0.0-RC1-dev"),
        ("1.0.0-rC15-dev", "1.0.0.0-RC15-dev"),
        ("1.0.0.RC.15-dev", "1.0.0.0-RC15-dev"),
        ("1.0.0-rc1", "1.0.0.0-RC1"),
        ("1.0.0-pl3", "1.0.0.0-patch3"),
        ("1.0-dev", "1.0.0.0-dev"),
        ("0", "0.0.0.0"),
        ("10.4.13-beta", "10.4.13.0-beta"),
        ("10.4.13beta2", "10.4.13.0-beta2"),
        ("10.4.13beta.2", "10.4.13.0-beta2"),
        ("10.4.13-b", "10.4.13.0-beta"),
        ("10.4.13-b5", "10.4.13.0-beta5"),
        ("v1.0.0", "1.0.0.0"),
        ("v20100102", "20100102"),
        ("2010.01.02", "2010.01.02.0"),
        ("2010-01-02", "2010.01.02"),
        ("2010-01-02.5", "2010.01.02.5"),
        ("20100102-203040", "20100102.203040"),
        ("20100102203040-10", "20100102203040.10"),
        ("20100102-203040-p1", "20100102.203040-patch1"),
        // composer/semver 3.x VersionParserTest additions.
        ("1.0.0.pl3-dev", "1.0.0.0-patch3-dev"),
        ("v1.13.11-beta.0", "1.13.11.0-beta0"),
        ("1.13.11.0-beta0", "1.13.11.0-beta0"),
        ("2010.01", "2010.01.0.0"),
        ("2010.1.555", "2010.1.555.0"),
        ("2010.10.200", "2010.10.200.0"),
        ("20230131.0.0", "20230131.0.0"),
        ("202301310000.0.0", "202301310000.0.0"),
        ("20100102", "20100102"),
        ("20100102.0", "20100102.0"),
        ("20100102.1.0", "20100102.1.0"),
        ("20100102.0.3", "20100102.0.3"),
        ("2010-01-02-10-20-30.0.3", "2010.01.02.10.20.30.0.3"),
        ("2010-01-02-10-20-30.5", "2010.01.02.10.20.30.5"),
        ("2012.06.07", "2012.06.07.0"),
        ("201903.0", "201903.0"),
        ("201903.0-p2", "201903.0-patch2"),
        ("1.0.0-beta.5+foo", "1.0.0.0-beta5"),
        ("1.0.0-alpha2.1+foo", "1.0.0.0-alpha2.1"),
        ("1.0.0-alpha-2.1-3+foo", "1.0.0.0-alpha2.1-3"),
        ("1.0.0+foo@dev", "1.0.0.0"),
        ("00.01.03.04", "00.01.03.04"),
        ("000.001.003.004", "000.001.003.004"),
        ("0.000.103.204", "0.000.103.204"),
        ("0700", "0700.0.0.0"),
        ("1.0.0 ", "1.0.0.0"),
        ("1.0.0+foo", "1.0.0.0"),
        ("1.0.0-alpha.3.1+foo", "1.0.0.0-alpha3.1"),
        ("1.0.0-stable", "1.0.0.0"),
        (" 1.0.0", "1.0.0.0"),
    ];

    /// composer/semver VersionParserTest::failingNormalizedVersions, plus branch names.
    const BAD: &[&str] = &[
        "",
        "a",
        "1.0.0-meh",
        "1.0.0.0.0",
        "feature-foo",
        "1.0 .2",
        "dev-foo",
        "1.x-dev",
        "1.0.0+",
        "+foo",
        // composer/semver 3.x failingNormalizedVersions.
        "1.0.0+foo bar",
        "1.0.1-SNAPSHOT",
        "1.0.0<1.0.5-dev",
        "1.0.0-dev<1.0.5-dev",
        "foo bar-dev",
        " as ",
        " as 1.2",
        "^",
        "^8 || ^",
        "~",
        "~1 ~",
        "~1",
        "^1",
        "1.*",
        "20100102.0.3.4",
        // Branches (normalized to `dev-…` by composer/semver 3).
        "master",
        "dev-master",
        "trunk",
        "dev-trunk",
        "DEV-FOOBAR",
    ];

    /// composer/semver tests/ComparatorTest.php compareProvider, numeric versions (the
    /// `dev-foo` rows are branches, refused here): (a, b, a vs b).
    const COMPARATOR: &[(&str, &str, Ordering)] = &[
        ("1.25.0", "1.24.0", Ordering::Greater),
        ("1.25.0", "1.25.0", Ordering::Equal),
        ("1.25.0", "1.26.0", Ordering::Less),
        ("1.0.0", "1.2-dev", Ordering::Less),
        ("1.25.0-beta2.1", "1.25.0-b.3", Ordering::Less),
        ("1.25.0-b2.1", "1.25.0beta.3", Ordering::Less),
        ("1.25.0-b-2.1", "1.25.0-rc", Ordering::Less),
        ("1.25.0-beta2.1", "1.25.0-b.2.1", Ordering::Equal),
        ("1.25.0beta2.1", "1.25.0-b2.1", Ordering::Equal),
    ];

    #[test]
    fn upstream_comparator() {
        for &(a, b, want) in COMPARATOR {
            assert_eq!(cmp(a, b), want, "{a} vs {b}");
            assert_eq!(cmp(b, a), want.reverse(), "{b} vs {a}");
        }
    }

    /// PHP manual / php-src `version_compare` behaviour on normalized strings (a < b).
    const PHP_LESS: &[(&str, &str)] = &[
        ("5.2", "5.2.0"),
        ("1.0rc1", "1.0"),
        ("5.3.0-dev", "5.3.0"),
        ("1.0.0-dev", "1.0.0-alpha"),
        ("1.0.0-alpha", "1.0.0-beta"),
        ("1.0.0-beta", "1.0.0-RC"),
        ("1.0.0-RC1", "1.0.0"),
        ("1.0.0", "1.0.0-pl1"),
        ("1.0.0-foo", "1.0.0-dev"),
        ("1.0.0-beta2", "1.0.0-beta10"),
        ("1.10", "1.10.0"),
        ("1.9", "1.10"),
    ];

    /// Composer order after normalization (ascending).
    const ORDER: &[&str] = &[
        "0.1",
        "0.9.9",
        "1.0.0-dev",
        "1.0.0-alpha",
        "1.0.0-alpha1",
        "1.0.0-alpha.2",
        "1.0.0-a3",
        "1.0.0-beta",
        "1.0.0-b2",
        "1.0.0-beta10",
        "1.0.0-RC1",
        "1.0.0-rc2",
        "1.0.0",
        "1.0.0-patch1",
        "1.0.0-pl2",
        "1.0.0.1",
        "1.0.1-dev",
        "1.0.1",
        "1.1",
        "1.1.1",
        "1.10",
        "2",
        "2.0.1-beta1",
        "v2.0.1",
        "10",
        "2010.01.02",
        "9999999-dev",
        "20100102",
        "20100102.1",
    ];

    #[test]
    fn upstream_normalization() {
        for (input, out) in NORMALIZED {
            assert_eq!(normalize(input).unwrap(), *out, "{input:?}");
        }
        for b in BAD {
            assert!(normalize(b).is_err(), "{b:?} must be refused");
        }
    }

    #[test]
    fn php_version_compare_cases() {
        for (a, b) in PHP_LESS {
            assert_eq!(php_version_compare(a, b), Ordering::Less, "{a} < {b}");
            assert_eq!(php_version_compare(b, a), Ordering::Greater, "{b} > {a}");
        }
        assert_eq!(php_version_compare("1.0.0", "1.0.0"), Ordering::Equal);
        assert_eq!(php_version_compare("1.0-rc1", "1.0RC1"), Ordering::Equal);
        assert_eq!(php_version_compare("1-rc1", "1.rc.1"), Ordering::Equal);
    }

    #[test]
    fn composer_order() {
        for (i, low) in ORDER.iter().enumerate() {
            for high in &ORDER[i + 1..] {
                assert_eq!(cmp(low, high), Ordering::Less, "{low} < {high}");
            }
        }
        assert_eq!(cmp("1.0", "1.0.0.0"), Ordering::Equal);
        assert_eq!(cmp("v1.0.0-RC1", "1.0.0rc1"), Ordering::Equal);
        assert_eq!(cmp("1.0.0-b2", "1.0.0-beta.2"), Ordering::Equal);
    }

    #[test]
    fn total_order_properties() {
        let mut all: Vec<&str> = ORDER.to_vec();
        // The first normalization inputs (the later ones are dates, far above the rest);
        // the triple loop is cubic, so the list stays short.
        all.extend(NORMALIZED.iter().take(24).map(|(a, _)| *a));
        let v: Vec<Version> = all.iter().map(|s| parse(s).unwrap()).collect();
        check_total(&v);
    }

    /// Antisymmetry over all pairs and transitivity over all triples.
    fn check_total(v: &[Version]) {
        for a in v {
            assert_eq!(a.cmp(a), Ordering::Equal);
            for b in v {
                assert_eq!(a.cmp(b), b.cmp(a).reverse(), "{a:?} / {b:?}");
                for c in v {
                    let (ab, bc, ac) = (a.cmp(b), b.cmp(c), a.cmp(c));
                    if ab != Ordering::Greater && bc != Ordering::Greater {
                        assert_ne!(ac, Ordering::Greater, "{a:?} <= {b:?} <= {c:?}");
                        if ab == Ordering::Less || bc == Ordering::Less {
                            assert_eq!(ac, Ordering::Less, "{a:?} < {c:?}");
                        }
                    }
                }
            }
        }
    }
}
