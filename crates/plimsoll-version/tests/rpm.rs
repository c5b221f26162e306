//! rpm ordering: rpm's own `tests/rpmvercmp.at` vectors restated as data.

use std::cmp::Ordering;

use plimsoll_version::{Scheme, compare, rpm};

/// `RPMVERCMP(a, b, result)` cases from rpm's tests/rpmvercmp.at, including the caret and
/// tilde-and-caret groups and the "oddities" block (ASCII-only segments, RhBug:811992).
const RPMVERCMP: &[(&str, &str, i8)] = &[
    ("1.0", "1.0", 0),
    ("1.0", "2.0", -1),
    ("2.0", "1.0", 1),
    ("2.0.1", "2.0.1", 0),
    ("2.0", "2.0.1", -1),
    ("2.0.1", "2.0", 1),
    ("2.0.1a", "2.0.1a", 0),
    ("2.0.1a", "2.0.1", 1),
    ("2.0.1", "2.0.1a", -1),
    ("5.5p1", "5.5p1", 0),
    ("5.5p1", "5.5p2", -1),
    ("5.5p2", "5.5p1", 1),
    ("5.5p10", "5.5p10", 0),
    ("5.5p1", "5.5p10", -1),
    ("5.5p10", "5.5p1", 1),
    ("10xyz", "10.1xyz", -1),
    ("10.1xyz", "10xyz", 1),
    ("xyz10", "xyz10", 0),
    ("xyz10", "xyz10.1", -1),
    ("xyz10.1", "xyz10", 1),
    ("xyz.4", "xyz.4", 0),
    ("xyz.4", "8", -1),
    ("8", "xyz.4", 1),
    ("xyz.4", "2", -1),
    ("2", "xyz.4", 1),
    ("5.5p2", "5.6p1", -1),
    ("5.6p1", "5.5p2", 1),
    ("5.6p1", "6.5p1", -1),
    ("6.5p1", "5.6p1", 1),
    ("6.0.rc1", "6.0", 1),
    ("6.0", "6.0.rc1", -1),
    ("10b2", "10a1", 1),
    ("10a2", "10b2", -1),
    ("1.0aa", "1.0aa", 0),
    ("1.0a", "1.0aa", -1),
    ("1.0aa", "1.0a", 1),
    ("10.0001", "10.0001", 0),
    ("10.0001", "10.1", 0),
    ("10.1", "10.0001", 0),
    ("10.0001", "10.0039", -1),
    ("10.0039", "10.0001", 1),
    ("4.999.9", "5.0", -1),
    ("5.0", "4.999.9", 1),
    ("20101121", "20101121", 0),
    ("20101121", "20101122", -1),
    ("20101122", "20101121", 1),
    ("2_0", "2_0", 0),
    ("2.0", "2_0", 0),
    ("2_0", "2.0", 0),
    ("a", "a", 0),
    ("a+", "a+", 0),
    ("a+", "a_", 0),
    ("a_", "a+", 0),
    ("+a", "+a", 0),
    ("+a", "_a", 0),
    ("_a", "+a", 0),
    ("+_", "+_", 0),
    ("_+", "+_", 0),
    ("_+", "_+", 0),
    ("+", "_", 0),
    ("_", "+", 0),
    ("1.0~rc1", "1.0~rc1", 0),
    ("1.0~rc1", "1.0", -1),
    ("1.0", "1.0~rc1", 1),
    ("1.0~rc1", "1.0~rc2", -1),
    ("1.0~rc2", "1.0~rc1", 1),
    ("1.0~rc1~git123", "1.0~rc1~git123", 0),
    ("1.0~rc1~git123", "1.0~rc1", -1),
    ("1.0~rc1", "1.0~rc1~git123", 1),
    ("1.0^", "1.0^", 0),
    ("1.0^", "1.0", 1),
    ("1.0", "1.0^", -1),
    ("1.0^git1", "1.0^git1", 0),
    ("1.0^git1", "1.0", 1),
    ("1.0", "1.0^git1", -1),
    ("1.0^git1", "1.0^git2", -1),
    ("1.0^git2", "1.0^git1", 1),
    ("1.0^git1", "1.01", -1),
    ("1.01", "1.0^git1", 1),
    ("1.0^20160101", "1.0^20160101", 0),
    ("1.0^20160101", "1.0.1", -1),
    ("1.0.1", "1.0^20160101", 1),
    ("1.0^20160101^git1", "1.0^20160101^git1", 0),
    ("1.0^20160102", "1.0^20160101^git1", 1),
    ("1.0^20160101^git1", "1.0^20160102", -1),
    ("1.0~rc1^git1", "1.0~rc1^git1", 0),
    ("1.0~rc1^git1", "1.0~rc1", 1),
    ("1.0~rc1", "1.0~rc1^git1", -1),
    ("1.0^git1~pre", "1.0^git1~pre", 0),
    ("1.0^git1", "1.0^git1~pre", 1),
    ("1.0^git1~pre", "1.0^git1", -1),
    // Oddities, documented upstream as rpm's actual behaviour.
    ("1b.fc17", "1b.fc17", 0),
    ("1b.fc17", "1.fc17", -1),
    ("1.fc17", "1b.fc17", 1),
    ("1g.fc17", "1g.fc17", 0),
    ("1g.fc17", "1.fc17", 1),
    ("1.fc17", "1g.fc17", -1),
    ("1.1.α", "1.1.α", 0),
    ("1.1.α", "1.1.β", 0),
    ("1.1.β", "1.1.α", 0),
    ("1.1.αα", "1.1.α", 0),
    ("1.1.α", "1.1.ββ", 0),
    ("1.1.ββ", "1.1.αα", 0),
];

fn ord(n: i8) -> Ordering {
    n.cmp(&0)
}

#[test]
fn upstream_rpmvercmp_vectors() {
    assert_eq!(RPMVERCMP.len(), 103);
    for &(a, b, want) in RPMVERCMP {
        assert_eq!(rpm::rpmvercmp(a, b), ord(want), "rpmvercmp({a}, {b})");
        assert_eq!(
            compare(Scheme::Rpm, a, b),
            Ok(ord(want)),
            "compare(Rpm, {a}, {b})"
        );
    }
}

#[test]
fn evr() {
    let cases: &[(&str, &str, i8)] = &[
        ("1.0-1", "0:1.0-1", 0),
        (":1.0-1", "1.0-1", 0),
        ("1:1.0-1", "2.0-1", 1),
        ("1:1.0-1", "2:0.1-1", -1),
        ("1.0-2", "1.0-10", -1),
        ("1.0-1.el9", "1.0-1.el9_1", -1),
        ("1.0", "1.0-1", -1),
        ("1.0~rc1-5", "1.0-1", -1),
        ("2.0-1-2", "2.0-1-10", -1),
        ("01:1.0", "1:1.0", 0),
    ];
    for &(a, b, want) in cases {
        assert_eq!(rpm::compare(a, b), Ok(ord(want)), "{a} vs {b}");
        assert_eq!(rpm::compare(b, a), Ok(ord(-want)), "{b} vs {a}");
    }
    let v = rpm::parse("3:1.2.3-4.fc40").unwrap();
    assert_eq!(
        (v.epoch(), v.version(), v.release()),
        ("3", "1.2.3", Some("4.fc40"))
    );
    let v = rpm::parse("1.2-3-4").unwrap();
    assert_eq!((v.version(), v.release()), ("1.2-3", Some("4")));
    let v = rpm::parse("1.2").unwrap();
    assert_eq!((v.epoch(), v.release()), ("0", None));
}

#[test]
fn refused() {
    for s in ["", "1.0 -1", " 1.0", "1:", "1:-1", "-1", "1.0-"] {
        assert!(rpm::parse(s).is_err(), "{s:?} should be refused");
    }
}

#[test]
fn display_round_trips() {
    for s in ["1.0", "1:1.0-1", "1.0^git1-2.fc40", "2.0-1-2"] {
        let v = rpm::parse(s).unwrap();
        assert_eq!(v.to_string(), s);
        assert_eq!(rpm::parse(&v.to_string()).unwrap(), v);
    }
}

/// Hand-built list for the order axioms (rpmvercmp is not a total order on arbitrary
/// punctuation, so the list sticks to versions rpm packages use).
const LIST: &[&str] = &[
    "0.1",
    "0.9",
    "0.10",
    "1",
    "1.0",
    "1.0~rc1",
    "1.0~rc2",
    "1.0~~",
    "1.0^",
    "1.0^git1",
    "1.0^git2",
    "1.0^20160101",
    "1.0.1",
    "1.00.1",
    "1.01",
    "1.0a",
    "1.0b",
    "1.0aa",
    "1.0-1",
    "1.0-2",
    "1.0-10",
    "1.0-1.el9",
    "1.0-1.el9_2",
    "1.0-1.fc40",
    "1:0.1",
    "1:1.0-1",
    "2:0",
    "10",
    "10.0001",
    "10.1",
    "2.0.1a",
    "5.5p1",
    "5.5p10",
    "6.0.rc1",
    "6.0",
    "20101121",
    "xyz10",
    "xyz.4",
    "a",
    "b",
    "1a",
    "1b",
    "1.0.0",
    "1.0.0.0",
    "2.0",
    "2.0-0",
    "3.0~beta",
    "3.0~beta.1",
    "3.0~rc",
    "3.0",
    "3.0.post1",
];

#[test]
fn order_axioms_on_a_hand_built_list() {
    let vs: Vec<rpm::Version> = LIST.iter().map(|s| rpm::parse(s).unwrap()).collect();
    for a in &vs {
        assert_eq!(a.cmp(a), Ordering::Equal, "reflexive {a}");
        assert_eq!(rpm::parse(&a.to_string()).unwrap(), *a, "round trip {a}");
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
