//! Maven versions, ordered as Maven's `ComparableVersion` orders them.
//!
//! The string is lower-cased and split into items on `.`, on `-` and on digit/letter
//! transitions. A `-` between two digits opens a sub-list (so `1-1` differs from `1.1`).
//! Trailing "null" items (0, the empty qualifier, `ga`, `final`, empty lists) are dropped.
//! Qualifiers order `alpha` < `beta` < `milestone` < `rc` (= `cr`) < `snapshot` < release
//! (`""`, `ga`, `final`) < `sp`, then unknown qualifiers lexically. An integer item is
//! greater than a list, which is greater than a string.

use std::cmp::Ordering;

use crate::ParseError;

const SCHEME: &str = "Maven";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    /// Decimal digits without leading zeros ("" is zero).
    Int(String),
    Str(String),
    List(Vec<Item>),
}

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
const RELEASE_INDEX: usize = 5;

/// Rank of a qualifier: known ones by position, unknown ones after them, lexically.
fn qualifier_key(q: &str) -> (usize, &str) {
    match QUALIFIERS.iter().position(|k| *k == q) {
        Some(i) => (i, ""),
        None => (QUALIFIERS.len(), q),
    }
}

fn int_cmp(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

impl Item {
    fn int(digits: &str) -> Item {
        Item::Int(digits.trim_start_matches('0').to_string())
    }

    fn string(value: &str, followed_by_digit: bool) -> Item {
        let mut v = value;
        if followed_by_digit && v.len() == 1 {
            v = match v {
                "a" => "alpha",
                "b" => "beta",
                "m" => "milestone",
                other => other,
            };
        }
        let v = match v {
            "ga" | "final" => "",
            "cr" => "rc",
            other => other,
        };
        Item::Str(v.to_string())
    }

    fn parse_item(is_digit: bool, buf: &str) -> Item {
        if is_digit {
            Item::int(buf)
        } else {
            Item::string(buf, false)
        }
    }

    fn is_null(&self) -> bool {
        match self {
            Item::Int(d) => d.is_empty(),
            Item::Str(s) => qualifier_key(s) == (RELEASE_INDEX, ""),
            Item::List(l) => l.is_empty(),
        }
    }

    /// Compares with an absent item (the other version is shorter).
    fn cmp_none(&self) -> Ordering {
        match self {
            Item::Int(d) => {
                if d.is_empty() {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            Item::Str(s) => qualifier_key(s).cmp(&(RELEASE_INDEX, "")),
            // Every item counts, as in later Maven releases (the first-item-only rule of
            // Maven 3.0 made `1-0.1` equal to `1`, which is not transitive).
            Item::List(l) => l
                .iter()
                .map(Item::cmp_none)
                .find(|o| *o != Ordering::Equal)
                .unwrap_or(Ordering::Equal),
        }
    }

    fn cmp_item(&self, other: &Item) -> Ordering {
        match (self, other) {
            (Item::Int(a), Item::Int(b)) => int_cmp(a, b),
            (Item::Int(_), _) => Ordering::Greater,
            (Item::Str(a), Item::Str(b)) => qualifier_key(a).cmp(&qualifier_key(b)),
            (Item::Str(_), _) => Ordering::Less,
            (Item::List(_), Item::Int(_)) => Ordering::Less,
            (Item::List(_), Item::Str(_)) => Ordering::Greater,
            (Item::List(a), Item::List(b)) => list_cmp(a, b),
        }
    }
}

fn list_cmp(a: &[Item], b: &[Item]) -> Ordering {
    let n = a.len().max(b.len());
    for i in 0..n {
        let r = match (a.get(i), b.get(i)) {
            (Some(l), Some(r)) => l.cmp_item(r),
            (Some(l), None) => l.cmp_none(),
            (None, Some(r)) => r.cmp_none().reverse(),
            (None, None) => Ordering::Equal,
        };
        if r != Ordering::Equal {
            return r;
        }
    }
    Ordering::Equal
}

fn normalize(list: &mut Vec<Item>) {
    while list.last().is_some_and(Item::is_null) {
        list.pop();
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
/// sub-list that belongs as the last item of the one before it.
fn add(stack: &mut [Vec<Item>], item: Item) {
    if let Some(top) = stack.last_mut() {
        top.push(item);
    }
}

/// Parses a Maven version. Maven accepts any string; only the empty string and strings
/// with whitespace or control characters are refused here.
pub fn parse(s: &str) -> Result<Version, ParseError> {
    if s.is_empty() {
        return Err(ParseError::new(SCHEME, s, "empty version"));
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ParseError::new(
            SCHEME,
            s,
            "whitespace or control character",
        ));
    }
    let v = s.to_lowercase();
    let bytes: Vec<char> = v.chars().collect();
    let mut stack: Vec<Vec<Item>> = vec![Vec::new()];
    let mut is_digit = false;
    let mut start = 0usize;
    let sub = |a: usize, b: usize| bytes[a..b].iter().collect::<String>();
    for i in 0..bytes.len() {
        let c = bytes[i];
        if c == '.' || c == '-' {
            if i == start {
                add(&mut stack, Item::Int(String::new()));
            } else {
                add(&mut stack, Item::parse_item(is_digit, &sub(start, i)));
            }
            start = i + 1;
            if c == '-' && is_digit {
                if let Some(top) = stack.last_mut() {
                    normalize(top);
                }
                if bytes.get(i + 1).is_some_and(char::is_ascii_digit) {
                    stack.push(Vec::new());
                }
            }
        } else if c.is_ascii_digit() {
            if !is_digit && i > start {
                add(&mut stack, Item::string(&sub(start, i), true));
                start = i;
            }
            is_digit = true;
        } else {
            if is_digit && i > start {
                add(&mut stack, Item::parse_item(true, &sub(start, i)));
                start = i;
            }
            is_digit = false;
        }
    }
    if bytes.len() > start {
        add(
            &mut stack,
            Item::parse_item(is_digit, &sub(start, bytes.len())),
        );
    }
    while stack.len() > 1 {
        let mut top = stack.pop().unwrap_or_default();
        normalize(&mut top);
        add(&mut stack, Item::List(top));
    }
    let mut items = stack.pop().unwrap_or_default();
    normalize(&mut items);
    Ok(Version {
        original: s.to_string(),
        items,
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

    /// Same test: VERSIONS_NUMBER (ascending).
    const NUMBER_ORDER: &[&str] = &[
        "2.0", "2-1", "2.0.a", "2.0.0.a", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c",
        "2.1-1", "2.1.0.1", "2.2", "2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2",
        "11.m11", "11", "11.a", "11b", "11c", "11m",
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
    ];

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
        all.extend([
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
