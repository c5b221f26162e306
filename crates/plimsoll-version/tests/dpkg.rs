//! dpkg ordering: dpkg's own `lib/dpkg/t/t-version.c` cases restated as data, plus the
//! Debian Policy `~` examples.

use std::cmp::Ordering;

use plimsoll_version::{Scheme, compare, dpkg};

/// `dpkg_version_compare` / `dpkg_version_relate` cases of t-version.c, the version objects
/// (epoch, upstream, revision) written as strings.
const COMPARE: &[(&str, &str, i8)] = &[
    ("1:0", "2:0", -1),
    ("0:1-1", "0:2-1", -1),
    ("0:1-1", "0:1-2", -1),
    ("0:0-0", "0:0-0", 0),
    ("0:0-00", "0:00-0", 0),
    ("1:2-3", "1:2-3", 0),
    ("0:0-0", "1:0-0", -1),
    ("1:0-0", "0:0-0", 1),
    ("0:a-0", "0:b-0", -1),
    ("0:b-0", "0:a-0", 1),
    ("0:0-a", "0:0-b", -1),
    ("0:0-b", "0:0-a", 1),
    ("0:1-1", "0:1-1", 0),
    ("0:1-1", "0:2-1", -1),
    ("0:2-1", "0:1-1", 1),
];

/// `parseversion` successes of t-version.c: input, then (epoch, upstream, revision).
const PARSE_OK: &[(&str, (u32, &str, &str))] = &[
    ("0", (0, "0", "")),
    ("0:0", (0, "0", "")),
    ("0:0-", (0, "0", "")),
    ("0:0-0", (0, "0", "0")),
    ("0:0.0-0.0", (0, "0.0", "0.0")),
    ("1:0", (1, "0", "")),
    ("5:1", (5, "1", "")),
    ("0:0-0-0", (0, "0-0", "0")),
    ("0:0-0-0-0", (0, "0-0-0", "0")),
    ("0:0:0-0", (0, "0:0", "0")),
    ("0:0:0:0-0", (0, "0:0:0", "0")),
    ("0:0:0-0-0", (0, "0:0-0", "0")),
    ("0:0-0:0-0", (0, "0-0:0", "0")),
    ("0:09azAZ.-+~:-0", (0, "09azAZ.-+~:", "0")),
    ("0:0-azAZ09.+~", (0, "0", "azAZ09.+~")),
    ("  \t0:0-1", (0, "0", "1")),
    ("0:0-1\t  ", (0, "0", "1")),
    ("\t  0:0-1  \t", (0, "0", "1")),
];

/// `parseversion` errors of t-version.c (dpkg refuses these).
const PARSE_ERR: &[&str] = &[
    "",
    "  ",
    "0:",
    "0:0 0-1",
    "-1:0-1",
    "999999999999999999999999:0-1",
    "a:0-0",
    "A:0-0",
    "-0",
    "0:-0",
];

/// t-version.c cases where dpkg only warns (and `dpkg --compare-versions` proceeds).
fn parse_warn() -> Vec<String> {
    let mut v = vec!["0:abc3-0".to_string(), "0:0-0:0".to_string()];
    for c in "!#@$%&/|\\<>()[]{};,_=*^'".chars() {
        v.push(format!("0:0{c}-0"));
    }
    for c in "!#@$%&/|\\<>()[]{}:;,_=*^'".chars() {
        v.push(format!("0:0-{c}"));
    }
    v
}

fn ord(n: i8) -> Ordering {
    n.cmp(&0)
}

#[test]
fn upstream_compare_cases() {
    for &(a, b, want) in COMPARE {
        assert_eq!(dpkg::compare(a, b), Ok(ord(want)), "{a} vs {b}");
        assert_eq!(compare(Scheme::Dpkg, a, b), Ok(ord(want)), "{a} vs {b}");
    }
}

#[test]
fn upstream_parse_cases() {
    for &(s, (e, u, r)) in PARSE_OK {
        let v = dpkg::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"));
        assert_eq!((v.epoch(), v.upstream(), v.revision()), (e, u, r), "{s:?}");
        assert_eq!(dpkg::parse(&v.to_string()).unwrap(), v, "round trip {s:?}");
    }
    // "0", "0:0" and "0:0-" all equal the object (0, "0", "").
    assert_eq!(dpkg::compare("0", "0:0-"), Ok(Ordering::Equal));
    for s in PARSE_ERR {
        assert!(dpkg::parse(s).is_err(), "{s:?} should be refused");
    }
    let warn = parse_warn();
    assert_eq!(warn.len(), 51);
    for s in &warn {
        assert!(dpkg::parse(s).is_ok(), "{s:?} is only a dpkg warning");
    }
}

#[test]
fn missing_revision_equals_zero() {
    assert_eq!(dpkg::compare("1.0", "1.0-0"), Ok(Ordering::Equal));
    assert_eq!(dpkg::compare("1.0", "0:1.0-0"), Ok(Ordering::Equal));
    assert_eq!(dpkg::compare("1.0", "1.0-1"), Ok(Ordering::Less));
}

/// Debian Policy 5.6.12: `~~` < `~~a` < `~` < (end) < `a`; plus common archive cases.
#[test]
fn tilde_and_friends() {
    let ascending = [
        "1.0~~",
        "1.0~~a",
        "1.0~",
        "1.0~rc1",
        "1.0~rc2",
        "1.0",
        "1.0-0.1",
        "1.0-1~bpo1",
        "1.0-1",
        "1.0-1+b1",
        "1.0-1.1",
        "1.0-2",
        "1.0a",
        "1.0+dfsg",
        "1.0.1",
        "1.1",
        "1.10",
        "1:0.1",
    ];
    for w in ascending.windows(2) {
        assert_eq!(
            dpkg::compare(w[0], w[1]),
            Ok(Ordering::Less),
            "{} < {}",
            w[0],
            w[1]
        );
    }
}

/// Hand-built list for the order axioms.
const LIST: &[&str] = &[
    "0",
    "0.0",
    "0.1",
    "0.10",
    "0.9",
    "1",
    "1.0",
    "1.0-0",
    "1.0-1",
    "1.0-1ubuntu1",
    "1.0-1+deb12u1",
    "1.0~rc1",
    "1.0~rc1-1",
    "1.0~~",
    "1.0~",
    "1.0a",
    "1.0+b1",
    "1.0.0",
    "1.00",
    "1.01",
    "1.1",
    "1.1~beta",
    "1.1-0.1",
    "2",
    "2.0",
    "10",
    "1:0",
    "1:1.0-1",
    "2:0.1",
    "1.2.3-4",
    "1.2.3-4.1",
    "1.2.3-10",
    "1.2.3+dfsg-1",
    "1.2.3+dfsg1-1",
    "1.2.3-1~bpo11+1",
    "3.0.pre",
    "3.0-pre",
    "3.0a1",
    "3.0.a1",
    "20240101",
    "2024.01.01",
    "7.88.1-10+deb12u5",
    "7.88.1-10+deb12u12",
    "5:1.2",
    "0:1.2",
    "1.2-a",
    "1.2-A",
    "1.2-.",
    "1.2-+",
    "9.9z",
    "9.9Z",
];

#[test]
fn order_axioms_on_a_hand_built_list() {
    let vs: Vec<dpkg::Version> = LIST.iter().map(|s| dpkg::parse(s).unwrap()).collect();
    for a in &vs {
        assert_eq!(a.cmp(a), Ordering::Equal, "reflexive {a}");
        assert_eq!(dpkg::parse(&a.to_string()).unwrap(), *a, "round trip {a}");
        for b in &vs {
            assert_eq!(a.cmp(b), b.cmp(a).reverse(), "antisymmetric {a} {b}");
            for c in &vs {
                if a <= b && b <= c {
                    assert!(a <= c, "transitive {a} <= {b} <= {c}");
                }
            }
        }
    }
}

/// Found by the `versions` fuzz target: with a NUL accepted inside a version,
/// "0.0.\u{cb}0" <= "2\u{3}1-" <= "\0.\x002" held but the first compared greater than the last.
#[test]
fn nul_bytes_are_refused() {
    for s in ["\0.\x002", "1.0\0", "1:\x002", "1.0-\x001"] {
        let e = dpkg::parse(s).unwrap_err();
        assert!(e.reason.contains("NUL"), "{s:?}: {e}");
    }
    let (a, b, c) = ("0.0.\u{cb}0.\u{cb}1'0", "2\u{3}1-", "2");
    let ab = dpkg::compare(a, b).unwrap();
    let bc = dpkg::compare(b, c).unwrap();
    let ac = dpkg::compare(a, c).unwrap();
    if ab != Ordering::Greater && bc != Ordering::Greater {
        assert_ne!(ac, Ordering::Greater);
    }
}
