//! `plimsoll vercmp`: the real binary, every ecosystem name and alias, batch mode and errors.
//! The pairs are taken from each ecosystem's upstream vectors (the library's own tests hold
//! the full tables); here they check that each name reaches the right ordering.

mod common;

use std::io::Write;
use std::process::{Output, Stdio};

fn vercmp(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = common::bin()
        .arg("vercmp")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run plimsoll");
    let mut pipe = child.stdin.take().unwrap();
    pipe.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(pipe);
    child.wait_with_output().unwrap()
}

fn answer(eco: &str, a: &str, b: &str) -> String {
    let out = vercmp(&[eco, a, b], None);
    assert!(
        out.status.success(),
        "{eco} {a} {b}: exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// (ecosystem names that must all give this ordering, a, b, expected)
const CASES: &[(&[&str], &str, &str, &str)] = &[
    // dpkg t-version.c: `~` sorts before the end, epochs win.
    (
        &["Debian", "Debian:12", "Ubuntu:22.04:LTS", "deb", "dpkg"],
        "1.0~rc1",
        "1.0",
        "-1",
    ),
    (&["Debian", "deb"], "1:0.9", "2.0", "1"),
    (&["deb"], "0:1.0-1", "1.0-1", "0"),
    // rpmvercmp.at: `^` sorts after the end, `~` before; letters before digits.
    (
        &[
            "Red Hat",
            "Rocky Linux:9",
            "AlmaLinux:8",
            "rpm",
            "SUSE:Linux Enterprise Server 15 SP5",
        ],
        "1.0^git1",
        "1.0",
        "1",
    ),
    (&["rpm"], "1.0~rc1", "1.0", "-1"),
    (&["rpm"], "1.0a", "1.0.1", "-1"),
    // apk-tools version.data: suffixes and -rN.
    (
        &["Alpine", "Alpine:v3.19", "Wolfi", "Chainguard", "apk"],
        "1.2.3_rc1",
        "1.2.3",
        "-1",
    ),
    (&["apk"], "1.2.3-r1", "1.2.3-r0", "1"),
    (&["apk"], "1.2.3_p1", "1.2.3", "1"),
    // PEP 440: dev < pre < final < post; normalization.
    (&["PyPI", "pypi", "pep440"], "1.0.dev1", "1.0a1", "-1"),
    (&["PyPI"], "1.0-post1", "1.0.post1", "0"),
    (&["pypi"], "1!0.1", "2.0", "1"),
    // SemVer 2.0: prerelease precedence, build ignored.
    (
        &["npm", "crates.io", "semver", "cargo"],
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "-1",
    ),
    (&["semver"], "1.0.0+build.1", "1.0.0+build.2", "0"),
    // Go: +incompatible, pseudo-versions sort before the release.
    (
        &["Go", "go"],
        "v0.0.0-20210101000000-abcdefabcdef",
        "v0.0.1",
        "-1",
    ),
    (&["go"], "v2.0.0+incompatible", "v1.9.9", "1"),
    // Maven ComparableVersion: qualifiers.
    (
        &[
            "Maven",
            "maven",
            "Maven:https://repo.maven.apache.org/maven2",
        ],
        "1.0-alpha-1",
        "1.0",
        "-1",
    ),
    (&["maven"], "1.0-SNAPSHOT", "1.0", "-1"),
    (&["maven"], "1.0.0", "1", "0"),
    // RubyGems: a letter makes a prerelease.
    (&["RubyGems", "gem", "rubygems"], "1.0.a", "1.0", "-1"),
    (&["gem"], "1.0", "1.0.0", "0"),
    // NuGet: case-insensitive prerelease labels, 4-part versions.
    (&["NuGet", "nuget"], "1.0.0-ALPHA", "1.0.0-alpha", "0"),
    (&["nuget"], "1.0.0.1", "1.0.0", "1"),
    // Composer: stability flags.
    (
        &["Packagist", "composer", "packagist"],
        "1.0.0-beta2",
        "1.0.0-RC1",
        "-1",
    ),
    (&["composer"], "v2.0", "2.0.0", "0"),
    // Hex (Elixir Version): build ignored, prerelease precedence.
    (&["Hex", "hex"], "1.0.0-rc.1", "1.0.0", "-1"),
    // Pub: build metadata is ordered, after the release.
    (&["Pub", "pub"], "1.0.0+1", "1.0.0", "1"),
];

#[test]
fn every_ecosystem_name_reaches_its_ordering() {
    for (names, a, b, want) in CASES {
        for eco in *names {
            assert_eq!(&answer(eco, a, b), want, "{eco}: {a} vs {b}");
            let reversed = match *want {
                "-1" => "1",
                "1" => "-1",
                _ => "0",
            };
            assert_eq!(answer(eco, b, a), reversed, "{eco}: {b} vs {a}");
        }
    }
}

#[test]
fn batch_answers_each_line() {
    let out = vercmp(
        &["deb", "--batch"],
        Some("1.0\t1.1\n2.0\t2.0\r\n\n1:1\t2\n1.0~~\t1.0~\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "-1\n0\n1\n-1\n");
}

#[test]
fn batch_stops_at_an_unparsable_line_naming_it() {
    let out = vercmp(
        &["PyPI", "--batch"],
        Some("1.0\t2.0\nnot a version\t1.0\n3\t2\n"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "-1\n");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("line 2") && err.contains("not a version"),
        "{err}"
    );
    let out = vercmp(&["PyPI", "--batch"], Some("1.0 2.0\n"));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("A<TAB>B"));
}

#[test]
fn bad_versions_and_ecosystems_exit_2_with_a_message() {
    for (eco, a, b, needle) in [
        ("npm", "1.x", "2.0.0", "1.x"),
        ("go", "1.2.3", "v1.2.3", "\"v\""),
        ("deb", "1.0", "a:1", "a:1"),
        ("nosuch", "1", "2", "unknown ecosystem"),
    ] {
        let out = vercmp(&[eco, a, b], None);
        assert_eq!(out.status.code(), Some(2), "{eco} {a} {b}");
        assert!(out.stdout.is_empty());
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains(needle), "{eco} {a} {b}: {err}");
    }
    let out = vercmp(&["deb", "1.0"], None);
    assert_eq!(out.status.code(), Some(2), "a missing B is a usage error");
}
