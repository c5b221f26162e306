//! Maven versions, ordered as Maven's `ComparableVersion` orders them in Maven 3.9 and 4
//! (<https://maven.apache.org/pom.html#version-order-specification>; the implementation
//! followed is apache/maven's `ComparableVersion`, compat/maven-artifact in 4.x).
//!
//! The string is lower-cased and read character by character into nested lists of items:
//! - `.` ends an item (an empty one is 0); `-` ends an item and opens a sub-list; a
//!   digit/letter transition also opens a sub-list.
//! - Letters followed by digits form one *combination* item (`rc1`, `alpha2`), and
//!   `X-1` reads as `X1`. A trailing qualifier after `.` is put in a sub-list like one after
//!   `-` (MNG-7644): `1.0.0.RC1` < `1.0.0-RC2` and `2.0.X` == `2-X` == `2.0.0.X`.
//! - Numbers drop leading zeros and are unbounded.
//! - Normalizing removes 0 items that end a list or stand before a qualifier (`1.0.0-rc1`
//!   == `1-rc1`); a list left holding only a sub-list is flattened.
//!
//! Qualifiers order `alpha` (`a` before a digit) < `beta` (`b`) < `milestone` (`m`) <
//! `rc` = `cr` < `snapshot` < release (nothing, `ga`, `final`, `release`) < `sp` < unknown
//! ones, lexically. A number is above a list, which is above a qualifier; a missing item
//! counts as "null" (0, or the release qualifier).
//!
//! Before 3.9 Maven read `1.0.0.RC1` as above `1.0.0-RC2` and did not treat `release` as
//! the release qualifier; the OSV database's own Maven ordering (osv.dev, after the POM
//! reference's prose) differs again in corner cases (`.qualifier` < `-qualifier`). For the
//! versions advisories name (`2.15.0`, `2.0-beta9`, `5.3.18`, `2.5.2.RELEASE`) all agree.
//!
//! As Maven does, versions longer than 256 UTF-16 units are refused (bounded work on
//! untrusted input); so are, here, the empty string and whitespace or control characters,
//! which no published version holds.

use std::cmp::Ordering;

use crate::ParseError;

const SCHEME: &str = "Maven";

/// Maven's `MAX_VERSION_LENGTH`.
pub const MAX_LEN: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    /// Decimal digits without leading zeros ("0" for zero).
    Int(String),
    /// A qualifier, lower-cased, `cr` read as `rc` and `a`/`b`/`m` before a digit as
    /// `alpha`/`beta`/`milestone`.
    Str(String),
    /// A qualifier and the number that follows it (`rc1`).
    Combination(String, String),
    List(Vec<Item>),
}

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
const RELEASE_QUALIFIERS: [&str; 3] = ["ga", "final", "release"];

/// Maven's `comparableQualifier`: known qualifiers become their index, unknown ones
/// `7-<name>`, compared as strings (Java `String.compareTo`, UTF-16 units).
fn comparable_qualifier(q: &str) -> String {
    if RELEASE_QUALIFIERS.contains(&q) {
        return "5".to_string();
    }
    match QUALIFIERS.iter().position(|k| *k == q) {
        Some(i) => i.to_string(),
        None => format!("{}-{q}", QUALIFIERS.len()),
    }
}

fn java_str_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

fn qualifier_cmp(a: &str, b: &str) -> Ordering {
    java_str_cmp(&comparable_qualifier(a), &comparable_qualifier(b))
}

fn int_cmp(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn strip_zeros(d: &str) -> String {
    let t = d.trim_start_matches('0');
    if t.is_empty() { "0".into() } else { t.into() }
}

fn qualifier(value: &str, followed_by_digit: bool) -> String {
    let v = match value {
        "a" if followed_by_digit => "alpha",
        "b" if followed_by_digit => "beta",
        "m" if followed_by_digit => "milestone",
        "cr" => "rc",
        other => other,
    };
    v.to_string()
}

impl Item {
    fn parse_item(is_combination: bool, is_digit: bool, buf: &str) -> Item {
        if is_combination {
            let buf = buf.replace('-', "");
            let at = buf.find(|c: char| c.is_ascii_digit()).unwrap_or(0);
            Item::Combination(qualifier(&buf[..at], true), strip_zeros(&buf[at..]))
        } else if is_digit {
            Item::Int(strip_zeros(buf))
        } else {
            Item::Str(qualifier(buf, false))
        }
    }

    fn is_null(&self) -> bool {
        match self {
            Item::Int(d) => d == "0",
            Item::Str(s) => s.is_empty(),
            Item::Combination(..) => false,
            Item::List(l) => l.is_empty(),
        }
    }

    /// `compareTo(null)`: against a missing item (the other version is shorter).
    fn cmp_none(&self) -> Ordering {
        match self {
            Item::Int(d) => {
                if d == "0" {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            Item::Str(s) => java_str_cmp(&comparable_qualifier(s), "5"),
            Item::Combination(q, d) => match java_str_cmp(&comparable_qualifier(q), "5") {
                // A release qualifier with a number: the number decides (`1-ga1` > `1`).
                Ordering::Equal => Item::Int(d.clone()).cmp_none(),
                o => o,
            },
            // Every item counts (MNG-6964), not only the first.
            Item::List(l) => l
                .iter()
                .map(Item::cmp_none)
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal),
        }
    }

    fn cmp_item(&self, other: &Item) -> Ordering {
        use Item::*;
        match (self, other) {
            (Int(a), Int(b)) => int_cmp(a, b),
            (Int(_), _) => Ordering::Greater,
            (Str(_) | Combination(..), Int(_)) => Ordering::Less,
            (Str(a), Str(b)) => qualifier_cmp(a, b),
            (Str(a), Combination(bq, bd)) => match qualifier_cmp(a, bq) {
                Ordering::Equal if Str(a.clone()).cmp_none().is_eq() => {
                    Int(bd.clone()).cmp_none().reverse()
                }
                // `X` < `X1`.
                Ordering::Equal => Ordering::Less,
                o => o,
            },
            (Combination(..), Str(_)) => other.cmp_item(self).reverse(),
            (Combination(aq, ad), Combination(bq, bd)) => {
                qualifier_cmp(aq, bq).then_with(|| int_cmp(ad, bd))
            }
            (Str(_) | Combination(..), List(_)) => other.cmp_item(self).reverse(),
            (List(_), Int(_)) => Ordering::Less,
            (List(l), Str(_) | Combination(..)) => {
                let mut r = match l.first() {
                    None => other.cmp_none().reverse(),
                    Some(first) => first.cmp_item(other),
                };
                for item in l.iter().skip(1) {
                    if r.is_ne() {
                        break;
                    }
                    r = item.cmp_none();
                }
                r
            }
            (List(a), List(b)) => list_cmp(a, b),
        }
    }
}

fn list_cmp(a: &[Item], b: &[Item]) -> Ordering {
    for i in 0..a.len().max(b.len()) {
        let r = match (a.get(i), b.get(i)) {
            (Some(l), Some(r)) => l.cmp_item(r),
            (Some(l), None) => l.cmp_none(),
            (None, Some(r)) => r.cmp_none().reverse(),
            (None, None) => Ordering::Equal,
        };
        if r.is_ne() {
            return r;
        }
    }
    Ordering::Equal
}

/// `ListItem.normalize`: from the end, drop null items that end the list or stand before a
/// qualifier (or a sub-list starting with one); then flatten a list holding only a list.
fn normalize(list: &mut Vec<Item>) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if !list[i].is_null() {
            continue;
        }
        let drop = match list.get(i + 1) {
            None | Some(Item::Str(_)) => true,
            Some(Item::List(next)) => {
                matches!(next.first(), Some(Item::Str(_) | Item::Combination(..)))
            }
            Some(_) => false,
        };
        if drop {
            list.remove(i);
        }
    }
    if let [Item::List(only)] = list.as_mut_slice() {
        let only = std::mem::take(only);
        *list = only;
    }
}

/// A parsed Maven version.
#[derive(Debug, Clone)]
pub struct Version {
    original: String,
    items: Vec<Item>,
}

impl Version {
    /// The version as given.
    pub fn as_str(&self) -> &str {
        &self.original
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
        list_cmp(&self.items, &other.items)
    }
}

/// Nested lists under construction: `stack[0]` is the top-level list, each further entry a
/// sub-list that belongs as the last item of the one before it (attached when it closes).
struct Lists(Vec<Vec<Item>>);

impl Lists {
    fn top(&mut self) -> &mut Vec<Item> {
        // Never empty: the top-level list is pushed first and never popped while parsing.
        let n = self.0.len() - 1;
        &mut self.0[n]
    }

    fn add(&mut self, item: Item) {
        self.top().push(item);
    }

    /// Maven's `list.add(list = new ListItem()); stack.push(list)`.
    fn open(&mut self) {
        self.0.push(Vec::new());
    }

    fn finish(mut self) -> Vec<Item> {
        while self.0.len() > 1 {
            let mut inner = self.0.pop().unwrap_or_default();
            normalize(&mut inner);
            self.add(Item::List(inner));
        }
        let mut items = self.0.pop().unwrap_or_default();
        normalize(&mut items);
        items
    }
}

/// Parses a Maven version as `ComparableVersion.parseVersion` does.
pub fn parse(s: &str) -> Result<Version, ParseError> {
    if s.is_empty() {
        return Err(ParseError::new(SCHEME, s, "empty version"));
    }
    if s.encode_utf16().count() > MAX_LEN {
        return Err(ParseError::new(
            SCHEME,
            &s[..s.floor_char_boundary(64)],
            format!("longer than {MAX_LEN} characters"),
        ));
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ParseError::new(
            SCHEME,
            s,
            "whitespace or control character",
        ));
    }
    let chars: Vec<char> = s.to_lowercase().chars().collect();
    let sub = |a: usize, b: usize| chars[a..b].iter().collect::<String>();
    let mut lists = Lists(vec![Vec::new()]);
    let (mut is_digit, mut is_combination, mut start) = (false, false, 0usize);
    for (i, &c) in chars.iter().enumerate() {
        if c == '.' {
            let item = if i == start {
                Item::Int("0".into())
            } else {
                Item::parse_item(is_combination, is_digit, &sub(start, i))
            };
            lists.add(item);
            is_combination = false;
            start = i + 1;
        } else if c == '-' {
            if i == start {
                lists.add(Item::Int("0".into()));
            } else {
                // `X-1` reads as `X1`: keep going, the `-` is dropped from the item.
                if !is_digit && chars.get(i + 1).is_some_and(char::is_ascii_digit) {
                    is_combination = true;
                    continue;
                }
                let item = Item::parse_item(is_combination, is_digit, &sub(start, i));
                lists.add(item);
            }
            start = i + 1;
            if !lists.top().is_empty() {
                lists.open();
            }
            is_combination = false;
        } else if c.is_ascii_digit() {
            if !is_digit && i > start {
                is_combination = true;
                if !lists.top().is_empty() {
                    lists.open();
                }
            }
            is_digit = true;
        } else {
            if is_digit && i > start {
                let item = Item::parse_item(is_combination, true, &sub(start, i));
                lists.add(item);
                start = i;
                lists.open();
                is_combination = false;
            }
            is_digit = false;
        }
    }
    if chars.len() > start {
        // A trailing qualifier after `.` goes in a sub-list, as after `-` (MNG-7644).
        if !is_digit && !lists.top().is_empty() {
            lists.open();
        }
        let item = Item::parse_item(is_combination, is_digit, &sub(start, chars.len()));
        lists.add(item);
    }
    Ok(Version {
        original: s.to_string(),
        items: lists.finish(),
    })
}

/// Compares two Maven versions.
pub fn compare(a: &str, b: &str) -> Result<Ordering, ParseError> {
    Ok(parse(a)?.cmp(&parse(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// apache/maven, maven-artifact ComparableVersionTest: VERSIONS_QUALIFIER (ascending).
    const QUALIFIER_ORDER: &[&str] = &[
        "1-alpha2snapshot",
        "1-alpha2",
        "1-alpha-123",
        "1-beta-2",
        "1-beta123",
        "1-m2",
        "1-m11",
        "1-rc",
        "1-cr2",
        "1-rc123",
        "1-SNAPSHOT",
        "1",
        "1-sp",
        "1-sp2",
        "1-sp123",
        "1-abc",
        "1-def",
        "1-pom-1",
        "1-1-snapshot",
        "1-1",
        "1-2",
        "1-123",
    ];

    /// Same test: VERSIONS_NUMBER (ascending), in its Maven 3.9 order (`2.0.a` now sorts
    /// right after `2.0`, and `2.0.0.a` equals it).
    const NUMBER_ORDER: &[&str] = &[
        "2.0", "2.0.a", "2-1", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c", "2.1-1",
        "2.1.0.1", "2.2", "2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2", "11.m11", "11",
        "11.a", "11b", "11c", "11m",
    ];

    /// Same test: checkVersionsEqual cases.
    const EQUAL: &[(&str, &str)] = &[
        ("1", "1"),
        ("1", "1.0"),
        ("1", "1.0.0"),
        ("1.0", "1.0.0"),
        ("1", "1-0"),
        ("1", "1.0-0"),
        ("1.0", "1.0-0"),
        ("1a", "1.a"),
        ("1a", "1-a"),
        ("1a", "1.0-a"),
        ("1a", "1.0.0-a"),
        ("1.0a", "1.0.a"),
        ("1.0.0a", "1.0.0.a"),
        ("1x", "1.x"),
        ("1x", "1-x"),
        ("1x", "1.0-x"),
        ("1x", "1.0.0-x"),
        ("1.0x", "1.0.x"),
        ("1.0.0x", "1.0.0.x"),
        ("1ga", "1"),
        ("1final", "1"),
        ("1cr", "1rc"),
        ("1a1", "1alpha1"),
        ("1b2", "1beta2"),
        ("1m3", "1milestone3"),
        ("1X", "1x"),
        ("1A", "1a"),
        ("1B", "1b"),
        ("1M", "1m"),
        ("1Ga", "1"),
        ("1GA", "1"),
        ("1Final", "1"),
        ("1FinaL", "1"),
        ("1FINAL", "1"),
        ("1Cr", "1Rc"),
        ("1cR", "1rC"),
        ("1m3", "1Milestone3"),
        ("1m3", "1MileStone3"),
        ("1m3", "1MILESTONE3"),
        (
            "1-abcdefghijklmnopqrstuvwxyz",
            "1-ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        ),
        // Maven 3.9 testVersionsEqual additions.
        ("1.0a", "1-a"),
        ("1.0.0a", "1-a"),
        ("1.0x", "1-x"),
        ("1.0.0x", "1-x"),
        ("1a1", "1-alpha-1"),
        ("1b2", "1-beta-2"),
        ("1m3", "1-milestone-3"),
        // testVersionsHaveSameOrderButAreNotEqual: release qualifiers order as none.
        ("1release", "1"),
        ("1RELEASE", "1"),
        ("1RELeaSE", "1"),
        // testVersionEqualWithLeadingZeroes / testVersionZeroEqualWithLeadingZeroes.
        ("0000000000000000001", "1"),
        ("000000001", "01"),
        ("0000000000000000000", "0"),
        ("00", "0"),
    ];

    /// Maven 3.9 ComparableVersionTest regression cases, each first < second.
    const MNG_LESS: &[(&str, &str)] = &[
        // MNG-5568: transitivity with an unusual version.
        ("6.1.0rc3", "6.1.0"),
        ("6.1.0rc3", "6.1H.5-beta"),
        ("6.1.0", "6.1H.5-beta"),
        // MNG-6572: numbers of every size.
        ("20190126.230843", "1234567890.12345"),
        ("1234567890.12345", "123456789012345.1H.5-beta"),
        (
            "123456789012345.1H.5-beta",
            "12345678901234567890.1H.5-beta",
        ),
        ("20190126.230843", "12345678901234567890.1H.5-beta"),
        // testLeadingZeroes.
        ("0.7", "2"),
        ("0.2", "1.0.7"),
        // MNG-6964: a "-0." sub-list counts all its items.
        ("1-0.alpha", "1"),
        ("1-0.beta", "1"),
        ("1-0.alpha", "1-0.beta"),
        // MNG-7714: final < sp.
        ("1.0.final-redhat", "1.0-sp1-redhat"),
        ("1.0.final-redhat", "1.0-sp-1-redhat"),
        ("1.0.final-redhat", "1.0-sp.1-redhat"),
    ];

    /// MNG-7644: `1.0.0.X1` < `1.0.0-X2` and `2-X` == `2.0.X` == `2.0.0.X` for any X.
    #[test]
    fn mng_7644_dot_qualifier_is_dash_qualifier() {
        for x in [
            "abc",
            "alpha",
            "a",
            "beta",
            "b",
            "def",
            "milestone",
            "m",
            "RC",
        ] {
            assert_eq!(
                cmp(&format!("1.0.0.{x}1"), &format!("1.0.0-{x}2")),
                Ordering::Less,
                "{x}"
            );
            assert_eq!(
                cmp(&format!("2-{x}"), &format!("2.0.{x}")),
                Ordering::Equal,
                "{x}"
            );
            assert_eq!(
                cmp(&format!("2-{x}"), &format!("2.0.0.{x}")),
                Ordering::Equal,
                "{x}"
            );
            assert_eq!(
                cmp(&format!("2.0.{x}"), &format!("2.0.0.{x}")),
                Ordering::Equal,
                "{x}"
            );
        }
    }

    #[test]
    fn upstream_regressions() {
        for (a, b) in MNG_LESS {
            assert_eq!(cmp(a, b), Ordering::Less, "{a} < {b}");
            assert_eq!(cmp(b, a), Ordering::Greater, "{b} > {a}");
        }
    }

    /// Maven refuses versions longer than 256 characters.
    #[test]
    fn length_limit() {
        assert!(parse(&"1.".repeat(128)[..MAX_LEN]).is_ok());
        assert!(parse(&"1-".repeat(129)).is_err());
    }

    /// Same test: testVersionComparing (first < second).
    const LESS: &[(&str, &str)] = &[
        ("1", "2"),
        ("1.5", "2"),
        ("1", "2.5"),
        ("1.0", "1.1"),
        ("1.1", "1.2"),
        ("1.0.0", "1.1"),
        ("1.0.1", "1.1"),
        ("1.1", "1.2.0"),
        ("1.0-alpha-1", "1.0"),
        ("1.0-alpha-1", "1.0-alpha-2"),
        ("1.0-alpha-1", "1.0-beta-1"),
        ("1.0-beta-1", "1.0-SNAPSHOT"),
        ("1.0-SNAPSHOT", "1.0"),
        ("1.0-alpha-1-SNAPSHOT", "1.0-alpha-1"),
        ("1.0", "1.0-1"),
        ("1.0-1", "1.0-2"),
        ("1.0.0", "1.0-1"),
        ("2.0-1", "2.0.1"),
        ("2.0.1-klm", "2.0.1-lmn"),
        ("2.0.1", "2.0.1-xyz"),
        ("2.0.1", "2.0.1-123"),
        ("2.0.1-xyz", "2.0.1-123"),
    ];

    fn cmp(a: &str, b: &str) -> Ordering {
        compare(a, b).unwrap()
    }

    fn check_ascending(list: &[&str]) {
        for i in 0..list.len() {
            for j in i + 1..list.len() {
                assert_eq!(
                    cmp(list[i], list[j]),
                    Ordering::Less,
                    "{} < {}",
                    list[i],
                    list[j]
                );
                assert_eq!(
                    cmp(list[j], list[i]),
                    Ordering::Greater,
                    "{} > {}",
                    list[j],
                    list[i]
                );
            }
        }
    }

    #[test]
    fn upstream_orders() {
        check_ascending(QUALIFIER_ORDER);
        check_ascending(NUMBER_ORDER);
    }

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
    fn refuses_empty_and_whitespace() {
        assert!(parse("").is_err());
        assert!(parse("1 .0").is_err());
    }

    #[test]
    fn sub_list_against_nothing() {
        assert_eq!(cmp("1", "1-0.1"), Ordering::Less);
        assert_eq!(cmp("1-0.0", "1"), Ordering::Equal);
    }

    #[test]
    fn big_numbers() {
        assert_eq!(
            cmp("1.99999999999999999999", "1.100000000000000000000"),
            Ordering::Less
        );
        assert_eq!(cmp("1.007", "1.7"), Ordering::Equal);
    }

    #[test]
    fn total_order_properties() {
        let mut all: Vec<&str> = QUALIFIER_ORDER
            .iter()
            .chain(NUMBER_ORDER)
            .copied()
            .collect();
        all.extend(MNG_LESS.iter().flat_map(|(a, b)| [*a, *b]));
        all.extend([
            "1.0.0.RC1",
            "1.0.0-RC2",
            "2.0.abc",
            "1-ga1",
            "1-ga2",
            "1release",
            "-",
            "a",
            "-a0",
            "1.0-alpha-1-SNAPSHOT",
            "1.0.0",
            "1-ga",
            "1-0.1",
            "1.0.0-final-1",
        ]);
        let v: Vec<Version> = all.iter().map(|s| parse(s).unwrap()).collect();
        check_total(&v);
    }

    use crate::testutil::check_total;
}
