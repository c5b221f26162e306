//! OSV range evaluation against real records' ranges, reduced to their facts (id, package,
//! ecosystem, ranges, versions), plus boundary, ordering and bad-input cases.

use plimsoll_version::Scheme;
use plimsoll_version::osv::{Evaluation, MatchedBy, Problem, Range, Verdict, evaluate};

/// One `affected[]` entry: the ecosystem's scheme, its `ranges` as OSV JSON, and `versions`.
struct Entry {
    id: &'static str,
    scheme: Scheme,
    ranges: &'static str,
    versions: &'static [&'static str],
}

/// Expected: installed version, then `Some(fixed versions)` when affected, `None` when not.
type Checks = &'static [(&'static str, Option<&'static [&'static str]>)];

fn ranges(e: &Entry) -> Vec<Range> {
    serde_json::from_str(e.ranges).unwrap_or_else(|err| panic!("{}: {err}", e.id))
}

fn run(e: &Entry, installed: &str) -> Evaluation {
    let versions: Vec<String> = e.versions.iter().map(|s| s.to_string()).collect();
    evaluate(e.scheme, installed, &ranges(e), &versions)
}

fn check(e: &Entry, checks: Checks) {
    for &(installed, want) in checks {
        let got = run(e, installed);
        assert!(
            got.problems.is_empty(),
            "{} {installed}: {:?}",
            e.id,
            got.problems
        );
        match want {
            Some(fixed) => {
                assert_eq!(got.verdict, Verdict::Affected, "{} {installed}", e.id);
                assert_eq!(got.fixed, fixed, "{} {installed}: fixed", e.id);
            }
            None => {
                assert_eq!(got.verdict, Verdict::NotAffected, "{} {installed}", e.id);
                assert!(got.fixed.is_empty() && got.matched_by.is_empty());
            }
        }
    }
}

/// GHSA-jfh8-c2jp-5v3q (CVE-2021-44228, Log4Shell), org.apache.logging.log4j:log4j-core,
/// Maven. The record has three `affected[]` entries for the package, one range each; the
/// union is evaluated here as three ranges.
const LOG4J: Entry = Entry {
    id: "GHSA-jfh8-c2jp-5v3q",
    scheme: Scheme::Maven,
    ranges: r#"[
        {"type": "ECOSYSTEM", "events": [{"introduced": "2.13.0"}, {"fixed": "2.15.0"}]},
        {"type": "ECOSYSTEM", "events": [{"introduced": "2.0-beta9"}, {"fixed": "2.3.1"}]},
        {"type": "ECOSYSTEM", "events": [{"introduced": "2.4"}, {"fixed": "2.12.2"}]}
    ]"#,
    versions: &[],
};

#[test]
fn log4j_core_maven_ranges() {
    check(
        &LOG4J,
        &[
            ("2.14.1", Some(&["2.15.0"])),
            ("2.13.0", Some(&["2.15.0"])),
            ("2.15.0", None),
            ("2.15.0-rc1", Some(&["2.15.0"])),
            ("2.16.0", None),
            ("2.12.1", Some(&["2.12.2"])),
            ("2.12.2", None),
            ("2.4", Some(&["2.12.2"])),
            ("2.4.0", Some(&["2.12.2"])),
            ("2.3.1", None),
            ("2.3.2", None),
            ("2.3", Some(&["2.3.1"])),
            ("2.0", Some(&["2.3.1"])),
            ("2.0-beta9", Some(&["2.3.1"])),
            ("2.0-beta8", None),
            ("2.0-alpha1", None),
            ("1.2.17", None),
        ],
    );
    let e = run(&LOG4J, "2.14.1");
    assert_eq!(e.matched_by, [MatchedBy::Range(0)]);
}

/// The same facts as one range with three introduced/fixed pairs, events shuffled: the
/// evaluator sorts them as the schema's pseudocode does.
#[test]
fn log4j_core_as_one_unsorted_range() {
    let e = Entry {
        ranges: r#"[{"type": "ECOSYSTEM", "events": [
            {"fixed": "2.12.2"}, {"introduced": "2.13.0"}, {"fixed": "2.3.1"},
            {"introduced": "2.4"}, {"fixed": "2.15.0"}, {"introduced": "2.0-beta9"}
        ]}]"#,
        ..LOG4J
    };
    check(
        &e,
        &[
            ("2.14.1", Some(&["2.15.0"])),
            ("2.12.1", Some(&["2.12.2"])),
            ("2.12.2", None),
            ("2.3.0", Some(&["2.3.1"])),
            ("2.3.1", None),
            ("2.0-beta8", None),
            ("2.17.1", None),
        ],
    );
}

/// GHSA-c2qf-rxjj-qqgw (CVE-2022-25883), npm `semver`, SEMVER ranges.
#[test]
fn npm_semver_redos_semver_ranges() {
    let e = Entry {
        id: "GHSA-c2qf-rxjj-qqgw",
        scheme: Scheme::Semver,
        ranges: r#"[
            {"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "5.7.2"}]},
            {"type": "SEMVER", "events": [{"introduced": "6.0.0"}, {"fixed": "6.3.1"}]},
            {"type": "SEMVER", "events": [{"introduced": "7.0.0"}, {"fixed": "7.5.2"}]}
        ]"#,
        versions: &[],
    };
    check(
        &e,
        &[
            ("0.0.1", Some(&["5.7.2"])),
            ("5.7.1", Some(&["5.7.2"])),
            ("5.7.2", None),
            ("5.99.0", None),
            ("6.0.0-rc.1", None),
            ("6.0.0", Some(&["6.3.1"])),
            ("6.3.0", Some(&["6.3.1"])),
            ("6.3.1", None),
            ("7.5.1", Some(&["7.5.2"])),
            ("7.5.2-beta.1", Some(&["7.5.2"])),
            ("7.5.2", None),
            ("7.5.2+build.1", None),
            ("v7.5.1", Some(&["7.5.2"])),
        ],
    );
}

/// GO-2023-2102 (CVE-2023-39325, HTTP/2 rapid reset): golang.org/x/net and the standard
/// library. Go's database writes SEMVER versions without `v`, and `1.21.0-0` to take in
/// the release candidates; installed Go versions carry the `v`.
#[test]
fn go_vulndb_semver_ranges() {
    let xnet = Entry {
        id: "GO-2023-2102 golang.org/x/net",
        scheme: Scheme::Go,
        ranges: r#"[{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "0.17.0"}]}]"#,
        versions: &[],
    };
    check(
        &xnet,
        &[
            ("v0.16.0", Some(&["0.17.0"])),
            ("v0.0.0-20230905205125-5f4e2b6d6f6d", Some(&["0.17.0"])),
            ("v0.17.0", None),
            ("v0.18.0", None),
        ],
    );
    let stdlib = Entry {
        id: "GO-2023-2102 stdlib",
        scheme: Scheme::Go,
        ranges: r#"[{"type": "SEMVER", "events": [
            {"introduced": "0"}, {"fixed": "1.20.10"},
            {"introduced": "1.21.0-0"}, {"fixed": "1.21.3"}
        ]}]"#,
        versions: &[],
    };
    check(
        &stdlib,
        &[
            ("v1.20.9", Some(&["1.20.10"])),
            ("v1.20.10", None),
            ("v1.21.0-rc.2", Some(&["1.21.3"])),
            ("v1.21.2", Some(&["1.21.3"])),
            ("v1.21.3", None),
        ],
    );
}

/// GitHub's Go advisories use ECOSYSTEM ranges written without the `v`.
#[test]
fn go_ecosystem_range_without_v() {
    let e = Entry {
        id: "GHSA-qppj-fm5r-hxr3 golang.org/x/net",
        scheme: Scheme::Go,
        ranges: r#"[{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "0.17.0"}]}]"#,
        versions: &[],
    };
    check(&e, &[("v0.16.0", Some(&["0.17.0"])), ("v0.17.0", None)]);
}

/// GHSA-w596-4wvx-j9j6 (CVE-2022-42969), PyPI `py`: no fix, `last_affected` 1.11.0.
#[test]
fn pypi_last_affected_is_inclusive() {
    let e = Entry {
        id: "GHSA-w596-4wvx-j9j6",
        scheme: Scheme::Pep440,
        ranges: r#"[{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"last_affected": "1.11.0"}]}]"#,
        versions: &[],
    };
    check(
        &e,
        &[
            ("1.4.34", Some(&[])),
            ("1.11.0rc1", Some(&[])),
            ("1.11.0", Some(&[])),
            ("1.11", Some(&[])),
            ("1.11.0.post1", None),
            ("1.11.1", None),
            ("2.0.0.dev1", None),
        ],
    );
}

/// GHSA-22wj-vf5f-wrvj (CVE-2022-45868), Maven com.h2database:h2, `last_affected` 2.1.214
/// (the schema's own example of last_affected).
#[test]
fn maven_last_affected() {
    let e = Entry {
        id: "GHSA-22wj-vf5f-wrvj",
        scheme: Scheme::Maven,
        ranges: r#"[{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"last_affected": "2.1.214"}]}]"#,
        versions: &[],
    };
    check(
        &e,
        &[
            ("2.1.214", Some(&[])),
            ("2.1.212", Some(&[])),
            ("2.2.220", None),
            ("2.1.214.1", None),
        ],
    );
}

/// DEBIAN-CVE-2010-4756, glibc on Debian:12: "unimportant", never fixed, so only
/// `introduced: "0"`: every version is affected and there is no fix to name.
#[test]
fn debian_unfixed_introduced_zero() {
    let e = Entry {
        id: "DEBIAN-CVE-2010-4756",
        scheme: Scheme::Dpkg,
        ranges: r#"[{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]"#,
        versions: &[],
    };
    check(
        &e,
        &[
            ("2.36-9+deb12u4", Some(&[])),
            ("2.36-9+deb12u10", Some(&[])),
            ("0", Some(&[])),
            ("1:0", Some(&[])),
        ],
    );
}

/// DEBIAN-CVE-2023-4911 (Looney Tunables), glibc on Debian:12, fixed by DSA-5514-1.
#[test]
fn debian_fixed() {
    let e = Entry {
        id: "DEBIAN-CVE-2023-4911",
        scheme: Scheme::Dpkg,
        ranges: r#"[{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.36-9+deb12u3"}]}]"#,
        versions: &[],
    };
    check(
        &e,
        &[
            ("2.36-9+deb12u2", Some(&["2.36-9+deb12u3"])),
            ("2.36-9", Some(&["2.36-9+deb12u3"])),
            ("2.36-9+deb12u3", None),
            ("2.36-9+deb12u4", None),
            ("2.36-9+deb12u3~bpo1", Some(&["2.36-9+deb12u3"])),
            ("1:2.0-1", None),
        ],
    );
}

/// ALPINE-CVE-2022-37434, zlib on Alpine:v3.16, fixed in 1.2.12-r2 (secfixes).
#[test]
fn alpine_r_fixes() {
    let e = Entry {
        id: "ALPINE-CVE-2022-37434",
        scheme: Scheme::Apk,
        ranges: r#"[{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2.12-r2"}]}]"#,
        versions: &[],
    };
    check(
        &e,
        &[
            ("1.2.12-r1", Some(&["1.2.12-r2"])),
            ("1.2.12", Some(&["1.2.12-r2"])),
            ("1.2.11-r4", Some(&["1.2.12-r2"])),
            ("1.2.12-r2", None),
            ("1.2.12-r3", None),
            ("1.2.13-r0", None),
        ],
    );
}

/// A `versions` list matches by exact string and by equality under the scheme, and counts
/// even where no range covers the version (affected = listed OR in a range).
#[test]
fn versions_list() {
    let e = Entry {
        id: "versions list",
        scheme: Scheme::Pep440,
        ranges: r#"[{"type": "ECOSYSTEM", "events": [{"introduced": "2.0"}, {"fixed": "2.1"}]}]"#,
        versions: &["1.0", "1.5.post1", "not-a-version-tag"],
    };
    check(
        &e,
        &[
            ("1.0", Some(&[])),
            ("1.0.0", Some(&[])),
            ("1.5-1", Some(&[])),
            ("1.5", None),
            ("2.0.1", Some(&["2.1"])),
            ("2.1", None),
        ],
    );
    assert_eq!(run(&e, "1.0").matched_by, [MatchedBy::Listed]);
    let both = Entry {
        versions: &["2.0.5"],
        ..e
    };
    assert_eq!(
        run(&both, "2.0.5").matched_by,
        [MatchedBy::Listed, MatchedBy::Range(0)]
    );
    // An unparsable installed version can still be listed by its exact string.
    let got = run(&e, "not-a-version-tag");
    assert_eq!(got.verdict, Verdict::Affected);
    assert_eq!(got.matched_by, [MatchedBy::Listed]);
}

/// `limit`: no real ECOSYSTEM record with a limit is known to us (the schema means it for
/// GIT ranges); these cases follow the schema's `BeforeLimits` definition.
#[test]
fn limits() {
    let e = Entry {
        id: "limit",
        scheme: Scheme::Semver,
        ranges: r#"[{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"limit": "2.0.0"}]}]"#,
        versions: &[],
    };
    check(
        &e,
        &[
            ("0.9.0", None),
            ("1.0.0", Some(&[])),
            ("1.9.9", Some(&[])),
            ("2.0.0-rc.1", Some(&[])),
            ("2.0.0", None),
            ("3.0.0", None),
        ],
    );
    let star = Entry {
        ranges: r#"[{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"fixed": "3.0.0"}, {"limit": "*"}]}]"#,
        ..e
    };
    check(&star, &[("2.5.0", Some(&["3.0.0"])), ("3.0.0", None)]);
    // Several limits: below any one of them is enough.
    let two = Entry {
        ranges: r#"[{"type": "SEMVER", "events": [{"introduced": "0"}, {"limit": "1.5.0"}, {"limit": "2.5.0"}]}]"#,
        ..e
    };
    check(&two, &[("2.0.0", Some(&[])), ("2.5.0", None)]);
}

/// Overlapping ranges: both match, each names its own fix.
#[test]
fn overlapping_ranges_report_every_fix() {
    let e = Entry {
        id: "overlap",
        scheme: Scheme::Dpkg,
        ranges: r#"[
            {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.5-1"}]},
            {"type": "ECOSYSTEM", "events": [{"introduced": "1.2-1"}, {"fixed": "1.4-1"}]},
            {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.5-1"}]}
        ]"#,
        versions: &[],
    };
    check(
        &e,
        &[
            ("1.3-1", Some(&["1.5-1", "1.4-1"])),
            ("1.1-1", Some(&["1.5-1"])),
            ("1.4-1", Some(&["1.5-1"])),
            ("1.5-1", None),
        ],
    );
    assert_eq!(
        run(&e, "1.3-1").matched_by,
        [
            MatchedBy::Range(0),
            MatchedBy::Range(1),
            MatchedBy::Range(2)
        ]
    );
}

/// Events at the same version keep the record's order: an empty interval stays empty, a
/// re-introduction at the fix version re-opens it.
#[test]
fn ties_keep_record_order() {
    let empty = Entry {
        id: "tie",
        scheme: Scheme::Semver,
        ranges: r#"[{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"fixed": "1.0.0"}]}]"#,
        versions: &[],
    };
    check(&empty, &[("1.0.0", None), ("0.9.0", None)]);
    let reopened = Entry {
        ranges: r#"[{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.0.0"}, {"introduced": "1.0.0"}, {"fixed": "2.0.0"}]}]"#,
        ..empty
    };
    check(
        &reopened,
        &[("1.0.0", Some(&["2.0.0"])), ("0.5.0", Some(&["1.0.0"]))],
    );
    // A single affected version: introduced and last_affected at one version.
    let single = Entry {
        ranges: r#"[{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"last_affected": "1.0.0"}]}]"#,
        ..empty
    };
    check(
        &single,
        &[("1.0.0", Some(&[])), ("1.0.1", None), ("0.9.9", None)],
    );
}

/// SEMVER ranges use SemVer whatever the ecosystem, with osv.dev's coercion of short and
/// zero-padded versions.
#[test]
fn semver_range_in_a_non_semver_ecosystem() {
    let e = Entry {
        id: "semver in PyPI",
        scheme: Scheme::Pep440,
        ranges: r#"[{"type": "SEMVER", "events": [{"introduced": "1.2"}, {"fixed": "1.10.0"}]}]"#,
        versions: &[],
    };
    // Under PEP 440 `1.10.0-rc.1` would be a pre-release of 1.10.0 too, but `01.5.0` would
    // not parse as SemVer without coercion.
    check(
        &e,
        &[
            ("1.2.0", Some(&["1.10.0"])),
            ("1.9.0", Some(&["1.10.0"])),
            ("01.5.0", Some(&["1.10.0"])),
            ("1.10.0", None),
            ("1.1.9", None),
        ],
    );
}

#[test]
fn git_ranges_are_skipped_and_git_only_is_reported() {
    let git = r#"[{"type": "GIT", "repo": "https://github.com/madler/zlib",
        "events": [{"introduced": "0"}, {"fixed": "eff308af425b67093bab25f80f1ae950166bece1"}]}]"#;
    let only = Entry {
        id: "git only",
        scheme: Scheme::Dpkg,
        ranges: git,
        versions: &[],
    };
    let got = run(&only, "1:1.2.13.dfsg-1");
    assert_eq!(got.verdict, Verdict::Undetermined);
    assert_eq!(got.problems, [Problem::GitOnly]);

    // With a versions list (osv.dev fills it from the git tags) the list decides.
    let tagged = Entry {
        versions: &["v1.2.11", "v1.2.12"],
        ..only
    };
    assert_eq!(run(&tagged, "v1.2.12").verdict, Verdict::Affected);
    let got = run(&tagged, "1:1.2.13.dfsg-1");
    assert_eq!(got.verdict, Verdict::NotAffected, "{:?}", got.problems);

    // Beside an evaluable range, the GIT range is simply skipped.
    let mixed = Entry {
        ranges: r#"[
            {"type": "GIT", "repo": "https://github.com/madler/zlib", "events": [{"introduced": "0"}]},
            {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1:1.2.13.dfsg-1"}]}
        ]"#,
        ..only
    };
    check(
        &mixed,
        &[
            ("1:1.2.11.dfsg-2", Some(&["1:1.2.13.dfsg-1"])),
            ("1:1.2.13.dfsg-1", None),
        ],
    );
}

#[test]
fn unparsable_installed_version_is_undetermined() {
    // dpkg refuses an epoch with nothing after the colon.
    let e = Entry {
        id: "DEBIAN-CVE-2023-4911",
        scheme: Scheme::Dpkg,
        ranges: r#"[{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.36-9+deb12u3"}]}]"#,
        versions: &[],
    };
    let got = run(&e, "1:");
    assert_eq!(got.verdict, Verdict::Undetermined);
    assert!(
        matches!(&got.problems[..], [Problem::InstalledUnparsable(err)] if err.version == "1:"),
        "{:?}",
        got.problems
    );
    // An unparsable installed version does not silently skip an `introduced: "0"` range
    // either: "0" would match everything, but the version is not a version.
    let zero = Entry {
        ranges: r#"[{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]"#,
        ..e
    };
    assert_eq!(run(&zero, "1:").verdict, Verdict::Undetermined);
}

#[test]
fn unparsable_event_version_is_undetermined_unless_another_range_matches() {
    let e = Entry {
        id: "bad event",
        scheme: Scheme::Apk,
        ranges: r#"[
            {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2.3_foo"}]},
            {"type": "ECOSYSTEM", "events": [{"introduced": "2.0-r0"}, {"fixed": "2.1-r0"}]}
        ]"#,
        versions: &[],
    };
    let got = run(&e, "1.0-r0");
    assert_eq!(got.verdict, Verdict::Undetermined);
    assert!(
        matches!(&got.problems[..], [Problem::EventUnparsable { range: 0, error }] if error.version == "1.2.3_foo"),
        "{:?}",
        got.problems
    );
    let got = run(&e, "2.0-r1");
    assert_eq!(got.verdict, Verdict::Affected);
    assert_eq!(got.fixed, ["2.1-r0"]);
    assert_eq!(got.problems.len(), 1, "the bad range is still reported");
}

#[test]
fn invalid_and_empty_entries_are_undetermined() {
    let no_introduced = Entry {
        id: "no introduced",
        scheme: Scheme::Semver,
        ranges: r#"[{"type": "SEMVER", "events": [{"fixed": "1.0.0"}]}]"#,
        versions: &[],
    };
    let got = run(&no_introduced, "0.5.0");
    assert_eq!(got.verdict, Verdict::Undetermined);
    assert!(matches!(
        got.problems[..],
        [Problem::InvalidRange { range: 0, .. }]
    ));

    let no_events = Entry {
        ranges: r#"[{"type": "SEMVER", "events": []}]"#,
        ..no_introduced
    };
    assert_eq!(run(&no_events, "0.5.0").verdict, Verdict::Undetermined);

    let empty = Entry {
        ranges: "[]",
        ..no_introduced
    };
    let got = run(&empty, "0.5.0");
    assert_eq!(
        (got.verdict, &got.problems[..]),
        (Verdict::Undetermined, &[Problem::Empty][..])
    );
}

#[test]
fn ranges_round_trip_through_json() {
    let rs = ranges(&LOG4J);
    let json = serde_json::to_string(&rs).unwrap();
    let back: Vec<Range> = serde_json::from_str(&json).unwrap();
    assert_eq!(rs, back);
    assert!(
        json.contains(
            r#"{"type":"ECOSYSTEM","events":[{"introduced":"2.13.0"},{"fixed":"2.15.0"}]}"#
        )
    );
}

/// Pub orders build metadata, so a fix published as a build of the same version counts;
/// Hex ignores it. (Constructed from the two orderings' rules, not from a record.)
#[test]
fn pub_and_hex_orderings_apply_to_ecosystem_ranges() {
    let ranges =
        r#"[{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0.0+1"}]}]"#;
    let pub_entry = Entry {
        id: "pub build fix",
        scheme: Scheme::Pub,
        ranges,
        versions: &[],
    };
    check(
        &pub_entry,
        &[
            ("1.0.0", Some(&["1.0.0+1"])),
            ("1.0.0+1", None),
            ("1.0.0+2", None),
        ],
    );
    let hex_entry = Entry {
        id: "hex build fix",
        scheme: Scheme::Hex,
        ..pub_entry
    };
    check(
        &hex_entry,
        &[("1.0.0", None), ("0.9.9", Some(&["1.0.0+1"]))],
    );
}
