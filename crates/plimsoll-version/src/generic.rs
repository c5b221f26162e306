//! The ordering of versions that belong to no ecosystem: those read out of binaries
//! (`3.0.11`, `1.1.1w`, `3.13.0rc2`, `2.8.5-dev3`) and NVD's CPE ranges over them.
//!
//! A version is cut into runs of digits and runs of letters; `.`, `-`, `_`, `+` and `~`
//! only separate runs. Runs are compared in order:
//! - digits as numbers (`1.10` > `1.9`; leading zeros do not count);
//! - a run of letters is a *pre-release* when it is one of `dev`, `snapshot`, `alpha` or
//!   `a`, `beta` or `b`, `pre`, `preview`, `m` (milestone), `rc` or `cr` — ordered in that
//!   order, and all before the release they lead up to (`3.0.0-alpha1` < `3.0.0-beta2` <
//!   `3.0.0rc1` < `3.0.0`); `a` and `b` count as pre-releases only when digits follow (Python's
//!   `3.12.0a1`);
//! - any other run of letters is a *post-release* (OpenSSL's letter releases: `1.1.1` <
//!   `1.1.1a` < `1.1.1w` < `1.1.1za`; Ruby's `2.7.7p221`; `1.0.2k-fips`), compared as text;
//! - where one version ends: the other is greater when its next run is a number or a
//!   post-release, smaller when it is a pre-release (`1.2` < `1.2.1`, `1.2rc1` < `1.2`).
//!
//! A number against letters at the same place: a pre-release is smaller; a post-release
//! is smaller than a number but greater than a zero, which counts as no run at all
//! (`1.0.2.0` = `1.0.2` < `1.0.2k` < `1.0.2.1`: no upstream mixes them).
//!
//! This is the ordering Grype's fuzzy comparison and NVD's own range evaluation agree on
//! for the products plimsoll classifies; it is a total order (tested with proptest).

use std::cmp::Ordering;

/// One run of a version.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Run<'a> {
    Num(&'a str),
    /// A pre-release marker with its rank.
    Pre(u8),
    Post(&'a str),
}

/// Rank of a pre-release word, `None` for other words. `a` and `b` need digits after them.
fn pre_rank(word: &str, digits_follow: bool) -> Option<u8> {
    Some(match word {
        "dev" | "snapshot" => 0,
        "alpha" => 1,
        "a" if digits_follow => 1,
        "beta" => 2,
        "b" if digits_follow => 2,
        "pre" | "preview" | "m" => 3,
        "rc" | "cr" => 4,
        _ => return None,
    })
}

fn runs(v: &str) -> Vec<Run<'_>> {
    let v = v.trim();
    let v = v
        .strip_prefix('v')
        .filter(|r| r.starts_with(|c: char| c.is_ascii_digit()))
        .unwrap_or(v);
    let b = v.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        if b[i].is_ascii_digit() {
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let n = v[start..i].trim_start_matches('0');
            out.push(Run::Num(n));
        } else if b[i].is_ascii_alphabetic() {
            while i < b.len() && b[i].is_ascii_alphabetic() {
                i += 1;
            }
            let word = &v[start..i];
            let digits_follow = b.get(i).is_some_and(u8::is_ascii_digit);
            let lower = word.to_ascii_lowercase();
            match pre_rank(&lower, digits_follow) {
                Some(r) => out.push(Run::Pre(r)),
                None => out.push(Run::Post(word)),
            }
        } else {
            // Separators and anything else only split runs.
            i += 1;
        }
    }
    out
}

fn cmp_num(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn cmp_run(a: &Run<'_>, b: &Run<'_>) -> Ordering {
    use Run::*;
    match (a, b) {
        (Num(x), Num(y)) => cmp_num(x, y),
        (Pre(x), Pre(y)) => x.cmp(y),
        (Post(x), Post(y)) => x.to_ascii_lowercase().cmp(&y.to_ascii_lowercase()),
        (Pre(_), _) => Ordering::Less,
        (_, Pre(_)) => Ordering::Greater,
        // A zero is no more than a missing run: `1.0` = `1` < `1a`.
        (Post(_), Num("")) => Ordering::Greater,
        (Num(""), Post(_)) => Ordering::Less,
        (Post(_), Num(_)) => Ordering::Less,
        (Num(_), Post(_)) => Ordering::Greater,
    }
}

/// Compares two versions as the module docs say.
pub fn compare(a: &str, b: &str) -> Ordering {
    let (ra, rb) = (runs(a), runs(b));
    for (x, y) in ra.iter().zip(&rb) {
        match cmp_run(x, y) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    let tail = |r: &Run<'_>| match r {
        Run::Pre(_) => Ordering::Less,
        Run::Num("") => Ordering::Equal,
        _ => Ordering::Greater,
    };
    match ra.len().cmp(&rb.len()) {
        Ordering::Equal => Ordering::Equal,
        // `1.2.0` equals `1.2`: trailing zero runs add nothing.
        Ordering::Greater => ra[rb.len()..]
            .iter()
            .map(tail)
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal),
        Ordering::Less => rb[ra.len()..]
            .iter()
            .map(tail)
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal)
            .reverse(),
    }
}

/// Whether a version has anything to compare (a digit).
pub fn is_comparable(v: &str) -> bool {
    v.bytes().any(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn ascending_sequences() {
        let seqs: &[&[&str]] = &[
            // OpenSSL letter releases come after the release they patch.
            &[
                "1.0.2",
                "1.0.2a",
                "1.0.2k",
                "1.0.2k-fips",
                "1.0.2zi",
                "1.0.3",
            ],
            &[
                "1.1.1",
                "1.1.1a",
                "1.1.1v",
                "1.1.1w",
                "1.1.1za",
                "3.0.0-alpha1",
                "3.0.0-alpha17",
                "3.0.0-beta1",
                "3.0.0",
                "3.0.1",
                "3.0.9",
                "3.0.10",
                "3.0.11",
                "3.1.0",
            ],
            // Python pre-releases.
            &[
                "3.12.0a1",
                "3.12.0a7",
                "3.12.0b1",
                "3.12.0rc1",
                "3.12.0rc3",
                "3.12.0",
                "3.12.1",
            ],
            // Ruby patch levels, PostgreSQL betas, HAProxy development releases.
            &["2.7.7", "2.7.7p221", "2.7.8"],
            &["15beta4", "15rc1", "15", "15.1", "16.1"],
            &["2.9-dev1", "2.9-dev12", "2.9.0", "2.9.1"],
            &["1.36.0", "1.36.1", "1.37.0"],
            &["v1.5.5", "1.5.6"],
            &["8.0.9", "8.0.35"],
            &["1.6", "1.7", "1.7.1"],
            &["17", "17.0.1", "17.0.9", "21"],
        ];
        for seq in seqs {
            for (i, a) in seq.iter().enumerate() {
                assert_eq!(compare(a, a), Equal, "{a}");
                for b in &seq[i + 1..] {
                    assert_eq!(compare(a, b), Less, "{a} < {b}");
                    assert_eq!(compare(b, a), Greater, "{b} > {a}");
                }
            }
        }
    }

    #[test]
    fn equal_spellings() {
        assert_eq!(compare("1.2", "1.2.0"), Equal);
        assert_eq!(compare("v1.2.3", "1.2.3"), Equal);
        assert_eq!(compare("1.02", "1.2"), Equal);
        assert_eq!(compare("3.0.0-beta1", "3.0.0beta1"), Equal);
        assert_eq!(compare("3.0.0-RC1", "3.0.0rc1"), Equal);
    }

    #[test]
    fn letters_alone_are_not_prereleases() {
        // `a` and `b` without digits are OpenSSL letters, not alpha and beta.
        assert_eq!(compare("1.0.1a", "1.0.1"), Greater);
        assert_eq!(compare("1.0.1b", "1.0.1a"), Greater);
        assert_eq!(compare("3.12.0b1", "3.12.0"), Less);
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn version() -> impl Strategy<Value = String> {
            proptest::string::string_regex(
                "v?[0-9]{1,3}([.-]?([0-9]{1,3}|[a-z]{1,3}|rc[0-9]|alpha|beta[0-9]?)){0,4}",
            )
            .unwrap()
        }

        proptest! {
            #[test]
            fn total_order(a in version(), b in version(), c in version()) {
                prop_assert_eq!(compare(&a, &b), compare(&b, &a).reverse());
                if compare(&a, &b) != Greater && compare(&b, &c) != Greater {
                    prop_assert_ne!(compare(&a, &c), Greater, "{} {} {}", a, b, c);
                }
            }
        }
    }
}
