//! Property tests: for every scheme, versions drawn from a strategy that yields valid ones
//! (a regex over each grammar, kept to small alphabets so that ties and near-ties are
//! frequent), checked for a total order (reflexive, antisymmetric, transitive), for
//! agreement between `compare` and the parsed `AnyVersion`, and for `parse(display(v))`
//! round trips where the module has a `Display`. Plus the OSV evaluator against a plain
//! interval check. Case counts are modest so the suite stays fast.

use std::cmp::Ordering;

use plimsoll_version::osv::{Event, Range, RangeKind, Verdict, evaluate};
use plimsoll_version::{Scheme, apk, compare, dpkg, golang, hex, pep440, pubdev, rpm, semver};
use proptest::prelude::*;

const SEMVER_ID: &str = "(0|[1-9][0-9]?|[a-z-][a-z0-9-]{0,3}|[0-9][a-z-][0-9a-z]?)";
const BUILD_ID: &str = "[0-9a-z-]{1,3}";

fn semver_re() -> String {
    format!(
        "(0|[1-9][0-9]?)\\.(0|[1-9])\\.(0|[1-9][0-9]?)(-{SEMVER_ID}(\\.{SEMVER_ID}){{0,2}})?(\\+{BUILD_ID}(\\.{BUILD_ID})?)?"
    )
}

/// A regex per scheme whose every match the scheme's parser accepts.
fn grammar(scheme: Scheme) -> String {
    match scheme {
        Scheme::Dpkg => "([0-9]:)?[0-9][0-9a-z.+~]{0,5}(-[0-9a-z.+~]{1,4})?".into(),
        Scheme::Rpm => "([0-9]:)?[0-9][0-9a-z._+~^]{0,5}(-[0-9a-z._+~^]{1,4})?".into(),
        Scheme::Apk => "[0-9]{1,2}(\\.[0-9]{1,2}){0,2}[a-c]?(_(alpha|beta|pre|rc|p|cvs|git)[0-9]{0,2})?(-r[0-9]{1,2})?".into(),
        Scheme::Pep440 => "([1-2]!)?[0-9]{1,2}(\\.[0-9]{1,2}){0,2}((a|b|rc|alpha|c)[0-9]{0,2})?(\\.post[0-9]{1,2}|-[0-9])?(\\.dev[0-9]?)?(\\+[a-z0-9]{1,3}(\\.[a-z0-9]{1,3})?)?".into(),
        Scheme::Semver | Scheme::Hex => semver_re(),
        Scheme::Go => format!("v({}|(0|[1-9][0-9]?)(\\.(0|[1-9]))?)", semver_re()),
        Scheme::Pub => "[0-9]{1,3}\\.[0-9]{1,2}\\.[0-9]{1,2}(-(0x[0-9a-f]|[0-9a-z-]{1,3})(\\.[0-9a-z-]{1,3}){0,2})?(\\+[0-9a-z-]{1,3}(\\.[0-9a-z-]{1,3})?)?".into(),
        Scheme::Maven => "[0-9]{1,2}([.-]([0-9]{1,2}|alpha|beta|milestone|rc|cr|snapshot|ga|final|sp|[a-z]{1,2}[0-9]?)){0,4}".into(),
        Scheme::NuGet => "[0-9]{1,2}(\\.[0-9]{1,2}){0,3}(-[0-9A-Za-z-]{1,3}(\\.[0-9A-Za-z-]{1,3}){0,2})?(\\+[0-9a-z]{1,3})?".into(),
        Scheme::RubyGems => "[0-9]{1,2}(\\.([0-9]{1,2}|[a-z]{1,2}[0-9]?)){0,3}(-[0-9a-z]{1,3})?".into(),
        Scheme::Composer => "v?[0-9]{1,2}(\\.[0-9]{1,2}){0,3}([-._]?(alpha|beta|RC|a|b|rc|p|pl|patch|stable)[0-9]{0,2})?([.-]?dev)?".into(),
    }
}

fn version(scheme: Scheme) -> BoxedStrategy<String> {
    proptest::string::string_regex(&grammar(scheme))
        .expect("valid regex")
        .boxed()
}

fn triple(scheme: Scheme) -> impl Strategy<Value = (String, String, String)> {
    (version(scheme), version(scheme), version(scheme))
}

fn cmp(scheme: Scheme, a: &str, b: &str) -> Result<Ordering, TestCaseError> {
    compare(scheme, a, b).map_err(|e| TestCaseError::fail(format!("generated {a:?}/{b:?}: {e}")))
}

fn check_order(scheme: Scheme, (a, b, c): &(String, String, String)) -> Result<(), TestCaseError> {
    let vs = [a.as_str(), b.as_str(), c.as_str()];
    for x in vs {
        prop_assert_eq!(cmp(scheme, x, x)?, Ordering::Equal, "{} reflexive", x);
        let px = scheme
            .parse(x)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        for y in vs {
            let xy = cmp(scheme, x, y)?;
            prop_assert_eq!(
                xy,
                cmp(scheme, y, x)?.reverse(),
                "{} / {} antisymmetric",
                x,
                y
            );
            let py = scheme
                .parse(y)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(
                px.compare(&py),
                Some(xy),
                "AnyVersion agrees on {} / {}",
                x,
                y
            );
            for z in vs {
                let (yz, xz) = (cmp(scheme, y, z)?, cmp(scheme, x, z)?);
                if xy != Ordering::Greater && yz != Ordering::Greater {
                    prop_assert_ne!(xz, Ordering::Greater, "{} <= {} <= {}", x, y, z);
                    if xy == Ordering::Less || yz == Ordering::Less {
                        prop_assert_eq!(xz, Ordering::Less, "{} < {} (via {})", x, z, y);
                    }
                }
            }
        }
    }
    Ok(())
}

/// `parse(display(v)) == v`, and display is a fixed point after one round.
fn check_round_trip<V, E>(
    parse: impl Fn(&str) -> Result<V, E>,
    s: &str,
) -> Result<(), TestCaseError>
where
    V: Ord + std::fmt::Display + std::fmt::Debug,
    E: std::fmt::Display,
{
    let v = parse(s).map_err(|e| TestCaseError::fail(format!("generated {s:?}: {e}")))?;
    let shown = v.to_string();
    let back = parse(&shown)
        .map_err(|e| TestCaseError::fail(format!("display {shown:?} of {s:?}: {e}")))?;
    prop_assert_eq!(back.cmp(&v), Ordering::Equal, "{:?} -> {:?}", s, shown);
    prop_assert_eq!(back.to_string(), shown);
    Ok(())
}

macro_rules! scheme_properties {
    ($($name:ident: $scheme:expr, $round_trip:expr;)*) => {$(
        mod $name {
            use super::*;
            proptest! {
                #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]
                #[test]
                fn total_order(t in triple($scheme)) {
                    check_order($scheme, &t)?;
                }
                #[test]
                fn round_trip(s in version($scheme)) {
                    let f: Option<fn(&str) -> Result<(), TestCaseError>> = $round_trip;
                    match f {
                        Some(f) => f(&s)?,
                        // No Display: the type keeps the input text; parse must still accept it.
                        None => { Scheme::parse($scheme, &s).map_err(|e| TestCaseError::fail(e.to_string()))?; }
                    }
                }
            }
        }
    )*};
}

scheme_properties! {
    dpkg_props: Scheme::Dpkg, Some(|s| check_round_trip(dpkg::parse, s));
    rpm_props: Scheme::Rpm, Some(|s| check_round_trip(rpm::parse, s));
    apk_props: Scheme::Apk, Some(|s| check_round_trip(apk::parse, s));
    pep440_props: Scheme::Pep440, Some(|s| check_round_trip(pep440::parse, s));
    semver_props: Scheme::Semver, Some(|s| check_round_trip(semver::parse, s));
    go_props: Scheme::Go, Some(|s| check_round_trip(golang::parse, s));
    hex_props: Scheme::Hex, Some(|s| check_round_trip(hex::parse, s));
    pub_props: Scheme::Pub, Some(|s| check_round_trip(pubdev::parse, s));
    maven_props: Scheme::Maven, None;
    nuget_props: Scheme::NuGet, None;
    rubygems_props: Scheme::RubyGems, None;
    composer_props: Scheme::Composer, None;
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// The OSV walk over shuffled events agrees with a plain check of the half-open
    /// intervals the events describe.
    #[test]
    fn osv_evaluation_matches_intervals(
        bounds in proptest::collection::vec(0u32..40, 1..7),
        installed in 0u32..42,
        zero_start in any::<bool>(),
        last_affected in any::<bool>(),
        limit in proptest::option::of(0u32..42),
        shuffle in any::<u64>(),
    ) {
        let v = |n: u32| format!("1.{n}.0");
        let mut bounds = bounds;
        bounds.sort_unstable();
        bounds.dedup();
        // Pairs (introduced, fixed); an odd count leaves the last interval open, or closes it
        // with `last_affected` just above its start (so only the start is affected).
        let mut events = Vec::new();
        let mut intervals = Vec::new();
        for pair in bounds.chunks(2) {
            let lo = pair[0];
            let intro = if zero_start && events.is_empty() { "0".to_string() } else { v(lo) };
            events.push(Event::Introduced(intro.clone()));
            let lo = if intro == "0" { 0 } else { lo };
            match pair.get(1) {
                Some(&hi) => {
                    events.push(Event::Fixed(v(hi)));
                    intervals.push((lo, Some(hi)));
                }
                // At `1.<lo>.5`, not at `1.<lo>.0`: events at one version keep the record's
                // order, which the shuffle below would change.
                None if last_affected => {
                    events.push(Event::LastAffected(format!("1.{}.5", pair[0])));
                    intervals.push((lo, Some(pair[0] + 1)));
                }
                None => intervals.push((lo, None)),
            }
        }
        if let Some(l) = limit {
            events.push(Event::Limit(v(l)));
        }
        // A deterministic shuffle from the drawn seed.
        let mut seed = shuffle | 1;
        for i in (1..events.len()).rev() {
            seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
            events.swap(i, (seed % (i as u64 + 1)) as usize);
        }
        let range = Range { kind: RangeKind::Semver, repo: None, events };
        let got = evaluate(Scheme::Semver, &v(installed), std::slice::from_ref(&range), &[]);
        let below_limit = limit.is_none_or(|l| installed < l);
        let want = intervals
            .iter()
            .find(|(lo, hi)| below_limit && installed >= *lo && hi.is_none_or(|h| installed < h));
        // A last_affected interval has no fix to name.
        let closed_by_fix = |hi: u32| events_fixed(&range, &v(hi));
        prop_assert!(got.problems.is_empty());
        match want {
            Some((_, hi)) => {
                prop_assert_eq!(got.verdict, Verdict::Affected, "{:?} in {:?}", installed, intervals);
                let fixed: Vec<String> =
                    hi.iter().filter(|&&h| closed_by_fix(h)).map(|&h| v(h)).collect();
                prop_assert_eq!(got.fixed, fixed);
            }
            None => prop_assert_eq!(got.verdict, Verdict::NotAffected, "{:?} outside {:?}", installed, intervals),
        }
    }
}

fn events_fixed(range: &Range, version: &str) -> bool {
    range
        .events
        .iter()
        .any(|e| matches!(e, Event::Fixed(f) if f == version))
}
