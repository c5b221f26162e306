//! Issue 12, item 1: a gate never passes on advisory data it could not read.
//!
//! The real binary scans the demo image (Debian 12 packages and the PyPI `requests`) with
//! `--db` inputs that hold nothing usable: a damaged zip, a damaged `db export` file, an
//! empty directory, an SBOM. Each must exit 2 naming the input, never print a clean report.
//! A database lacking an ecosystem the image needs fails the gate unless
//! `--allow-missing-data` accepts it, and `db import` of an input that yields nothing exits 2
//! and leaves the database as it was.

mod common;

use common::{ok_stderr, plimsoll, plimsoll_env, s, stderr};
use std::path::{Path, PathBuf};
use std::process::Output;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../plimsoll-vulndb/tests/fixtures/osv")
}

fn demo(dir: &Path) -> PathBuf {
    let img = dir.join("demo.tar");
    std::fs::write(&img, plimsoll_testkit::demo::demo_archive()).unwrap();
    img
}

/// A database of every fixture record (Debian 12 and PyPI among them), and its export.
fn good_db_and_export(dir: &Path) -> (PathBuf, PathBuf) {
    let db = dir.join("good.db");
    ok_stderr(&plimsoll(
        &["db", "import", "--db", s(&db), s(&fixtures())],
        dir,
    ));
    let export = dir.join("good.export");
    ok_stderr(&plimsoll(
        &["db", "export", "--db", s(&db), s(&export)],
        dir,
    ));
    (db, export)
}

/// The BAD inputs of the issue, each with a word its error must contain.
fn bad_inputs(dir: &Path, export: &Path) -> Vec<(PathBuf, &'static str)> {
    let records: Vec<(String, Vec<u8>)> =
        ["pypi/GHSA-652x-xj99-gmcc.json", "debian/DSA-5497-1.json"]
            .iter()
            .map(|r| {
                (
                    r.rsplit('/').next().unwrap().to_string(),
                    std::fs::read(fixtures().join(r)).unwrap(),
                )
            })
            .collect();
    let zip = plimsoll_testkit::bucket::osv_zip(&records);
    let corrupt_zip = dir.join("corrupt.zip");
    std::fs::write(&corrupt_zip, &zip[..zip.len() / 2]).unwrap();

    let bytes = std::fs::read(export).unwrap();
    let truncated = dir.join("truncated.export");
    std::fs::write(&truncated, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let mut flipped_bytes = bytes.clone();
    let mid = 32 + (bytes.len() - 32) / 2;
    flipped_bytes[mid] ^= 0x10;
    let flipped = dir.join("flipped.export");
    std::fs::write(&flipped, &flipped_bytes).unwrap();

    let empty = dir.join("empty-dir");
    std::fs::create_dir_all(&empty).unwrap();

    let cyclonedx = dir.join("sbom.cdx.json");
    ok_stderr(&plimsoll(
        &[
            "inventory",
            s(&demo(dir)),
            "-f",
            "cyclonedx",
            "-o",
            s(&cyclonedx),
        ],
        dir,
    ));
    let spdx = dir.join("sbom.spdx.json");
    ok_stderr(&plimsoll(
        &[
            "inventory",
            s(&demo(dir)),
            "-f",
            "spdx-json",
            "-o",
            s(&spdx),
        ],
        dir,
    ));
    vec![
        (corrupt_zip, "zip"),
        (truncated, "damaged export"),
        (flipped, "damaged export"),
        (empty, "no OSV record"),
        (cyclonedx, "CycloneDX SBOM, not vulnerability data"),
        (spdx, "SPDX SBOM, not vulnerability data"),
    ]
}

#[test]
fn a_db_that_yields_nothing_exits_2_naming_it_and_never_passes_the_gate() {
    let tmp = tempfile::tempdir().unwrap();
    let img = demo(tmp.path());
    let (_, export) = good_db_and_export(tmp.path());
    for (bad, why) in bad_inputs(tmp.path(), &export) {
        for format in ["table", "json"] {
            let out = plimsoll(
                &[
                    "image",
                    s(&img),
                    "--db",
                    s(&bad),
                    "--offline",
                    "--exit-code",
                    "4",
                    "-f",
                    format,
                ],
                &tmp.path().join("cache"),
            );
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{bad:?} ({format}): {err}");
            let name = bad.file_name().unwrap().to_str().unwrap();
            assert!(
                err.contains(name) && err.contains(why),
                "{bad:?}: the error names the input and why: {err}"
            );
            let report = String::from_utf8_lossy(&out.stdout);
            assert!(
                !report.contains("Total: 0") && !report.contains("\"pass\""),
                "{bad:?}: no clean report: {report}"
            );
        }
    }
    // Nothing empty was left in the cache for a later scan to reuse.
    let cached = tmp.path().join("cache/db/osv");
    let left: Vec<_> = std::fs::read_dir(&cached)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn db_import_of_a_damaged_export_exits_2_and_keeps_the_old_database() {
    let tmp = tempfile::tempdir().unwrap();
    let (good, export) = good_db_and_export(tmp.path());
    let before = std::fs::read(&good).unwrap();
    for (bad, why) in bad_inputs(tmp.path(), &export) {
        let out = plimsoll(&["db", "import", "--db", s(&good), s(&bad)], tmp.path());
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {err}");
        let name = bad.file_name().unwrap().to_str().unwrap();
        assert!(
            err.contains(name) && err.contains(why) && err.contains("is unchanged"),
            "{bad:?}: {err}"
        );
        assert!(
            std::fs::read(&good).unwrap() == before,
            "{bad:?}: the database was changed"
        );
        // Nor is a new database created from nothing.
        let fresh = tmp.path().join("fresh.db");
        let out = plimsoll(&["db", "import", "--db", s(&fresh), s(&bad)], tmp.path());
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("was not created"), "{}", stderr(&out));
        assert!(!fresh.exists(), "{bad:?}");
    }
    // No temporary file of the refused imports is left beside the database.
    let names: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(names.is_empty(), "{names:?}");

    // One good input with a damaged one: all or nothing, the database is unchanged.
    let out = plimsoll(
        &[
            "db",
            "import",
            "--db",
            s(&good),
            s(&fixtures().join("pypi")),
            s(&tmp.path().join("empty-dir")),
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(std::fs::read(&good).unwrap() == before);

    // The undamaged export still imports, and single bad records inside a good input stay
    // warnings: the import goes on.
    let copy = tmp.path().join("copy.db");
    ok_stderr(&plimsoll(
        &["db", "import", "--db", s(&copy), s(&export)],
        tmp.path(),
    ));
    let mixed = tmp.path().join("mixed.json");
    std::fs::write(
        &mixed,
        format!(
            "[{}, {{\"id\": \"BROKEN-1\"}}]",
            String::from_utf8(std::fs::read(fixtures().join("pypi/PYSEC-2023-74.json")).unwrap())
                .unwrap()
        ),
    )
    .unwrap();
    let err = ok_stderr(&plimsoll(
        &["db", "import", "--db", s(&copy), s(&mixed)],
        tmp.path(),
    ));
    assert!(
        err.contains("1 records imported") && err.contains("1 skipped"),
        "{err}"
    );
}

/// A database of the PyPI fixtures alone.
fn pypi_only_db(dir: &Path) -> PathBuf {
    let db = dir.join("pypi.db");
    ok_stderr(&plimsoll(
        &["db", "import", "--db", s(&db), s(&fixtures().join("pypi"))],
        dir,
    ));
    db
}

fn json_scan(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (Output, serde_json::Value) {
    let mut all = args.to_vec();
    all.extend(["-f", "json"]);
    let out = plimsoll_env(&all, dir, env);
    let v = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out, v)
}

#[test]
fn a_database_without_the_images_ecosystem_fails_the_gate_unless_accepted() {
    let tmp = tempfile::tempdir().unwrap();
    let img = demo(tmp.path());
    let db = pypi_only_db(tmp.path());
    let base = ["image", s(&img), "--db", s(&db), "--offline"];
    fn join<'a>(base: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
        let mut v = base.to_vec();
        v.extend_from_slice(extra);
        v
    }

    // The --exit-code gate fails, and says why in the report and on stderr.
    let (out, v) = json_scan(tmp.path(), &join(&base, &["--exit-code", "4"]), &[]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(v["gate"]["result"], "fail", "{:#}", v["gate"]);
    let reasons = v["gate"]["reasons"].to_string();
    assert!(
        reasons.contains("Debian:12") && reasons.contains("--allow-missing-data"),
        "{reasons}"
    );
    assert_eq!(
        v["database"]["missing_data"],
        serde_json::json!([{"ecosystem": "Debian:12", "packages": 3}])
    );
    assert!(v["database"].get("missing_data_allowed").is_none());
    assert!(
        v["warnings"].to_string().contains("Debian:12"),
        "{:#}",
        v["warnings"]
    );
    assert!(stderr(&out).contains("NOT CHECKED"), "{}", stderr(&out));
    // PyPI is there: only Debian is missing.
    assert!(!reasons.contains("PyPI"), "{reasons}");

    // The table says it too.
    let out = plimsoll(&join(&base, &["--exit-code", "4"]), tmp.path());
    assert_eq!(out.status.code(), Some(4));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("Gate: fail") && table.contains("no advisories for Debian:12"),
        "{table}"
    );

    // A policy gate fails the same way, although no rule is violated.
    let policy = tmp.path().join("p.yaml");
    std::fs::write(
        &policy,
        "version: 1\nrules:\n  - name: critical\n    action: block\n    when:\n      severity: CRITICAL\n",
    )
    .unwrap();
    let (out, v) = json_scan(tmp.path(), &join(&base, &["--policy", s(&policy)]), &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        v["gate"]["violations"]
            .as_array()
            .is_none_or(|a| a.is_empty())
    );
    assert!(v["gate"]["reasons"].to_string().contains("Debian:12"));

    // Accepted explicitly (flag or environment): the gate passes, and the report says what
    // was accepted.
    for (extra, env) in [
        (&["--allow-missing-data"][..], &[][..]),
        (&[][..], &[("PLIMSOLL_ALLOW_MISSING_DATA", "true")][..]),
    ] {
        let mut args = join(&base, &["--exit-code", "4"]);
        args.extend_from_slice(extra);
        let (out, v) = json_scan(tmp.path(), &args, env);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(v["gate"]["result"], "pass");
        assert_eq!(v["database"]["missing_data_allowed"], true);
        assert!(
            v["gate"]["reasons"]
                .to_string()
                .contains("accepted by --allow-missing-data"),
            "{:#}",
            v["gate"]
        );
        let mut args = join(&base, &["--policy", s(&policy)]);
        args.extend_from_slice(extra);
        let (out, _) = json_scan(tmp.path(), &args, env);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }

    // No gate: the scan reports (exit 0) and warns.
    let out = plimsoll(&base, tmp.path());
    let err = ok_stderr(&out);
    assert!(
        err.contains("NOT CHECKED") && err.contains("Debian:12 (3 packages not checked)"),
        "{err}"
    );

    // With every ecosystem the image needs, nothing is missing and the gate judges findings.
    let full = tmp.path().join("full.db");
    ok_stderr(&plimsoll(
        &["db", "import", "--db", s(&full), s(&fixtures())],
        tmp.path(),
    ));
    let (out, v) = json_scan(
        tmp.path(),
        &[
            "image",
            s(&img),
            "--db",
            s(&full),
            "--offline",
            "--exit-code",
            "4",
            "--severity",
            "CRITICAL",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        v["database"].get("missing_data").is_none(),
        "{:#}",
        v["database"]
    );
}

#[test]
fn a_database_file_without_records_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let img = demo(tmp.path());
    // A database with a KEV feed and nothing else: no advisory to match.
    let db = tmp.path().join("kev-only.db");
    ok_stderr(&plimsoll(
        &[
            "db",
            "import",
            "--db",
            s(&db),
            s(&fixtures().join("../feeds/known_exploited_vulnerabilities.json")),
        ],
        tmp.path(),
    ));
    let out = plimsoll(
        &[
            "image",
            s(&img),
            "--db",
            s(&db),
            "--offline",
            "--exit-code",
            "4",
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("kev-only.db") && stderr(&out).contains("no advisory record"),
        "{}",
        stderr(&out)
    );
}

/// No database yet, and nothing `db update` could fetch for the packages (OSV publishes no
/// Photon OS data): a gate would judge packages nobody checked.
#[test]
fn a_gate_over_packages_no_source_covers_is_refused_unless_accepted() {
    let tmp = tempfile::tempdir().unwrap();
    let bom = tmp.path().join("photon.cdx.json");
    std::fs::write(
        &bom,
        r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": [
            {"type": "library", "name": "openssl", "version": "3.0.8-1.ph5",
             "purl": "pkg:rpm/photon/openssl@3.0.8-1.ph5?arch=x86_64&distro=photon-5.0"}]}"#,
    )
    .unwrap();
    let cache = tmp.path().join("cache");
    // A mirror that is never reached: nothing is fetched.
    let base = ["sbom", s(&bom), "--osv-url", "http://127.0.0.1:9"];
    let mut gated = base.to_vec();
    gated.extend(["--exit-code", "1"]);
    let out = plimsoll(&gated, &cache);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Photon OS:5.0 (1 package not checked)"),
        "{}",
        stderr(&out)
    );
    gated.push("--allow-missing-data");
    ok_stderr(&plimsoll(&gated, &cache));
    // Without a gate: reported, with a warning.
    ok_stderr(&plimsoll(&base, &cache));
}

/// Debian sid's `/etc/os-release` has no `VERSION_ID`: its packages cannot be asked about
/// (Debian advisories are release-scoped), so however much the database holds, a gate over
/// them fails unless the gap is accepted.
#[test]
fn packages_of_an_unknown_release_fail_the_gate_unless_accepted() {
    let tmp = tempfile::tempdir().unwrap();
    let (db, _) = good_db_and_export(tmp.path());
    let img = tmp.path().join("sid.tar");
    plimsoll_testkit::ImageBuilder::new()
        .layer("ADD rootfs /", |l| {
            l.file(
                "etc/os-release",
                "PRETTY_NAME=\"Debian GNU/Linux trixie/sid\"\nNAME=\"Debian GNU/Linux\"\nID=debian\n",
            )
            .file(
                "var/lib/dpkg/status",
                "Package: openssl\nStatus: install ok installed\nArchitecture: amd64\nVersion: 3.0.9-1\n\n",
            )
        })
        .write_docker_archive(&img, &["sid:latest"], false);
    let base = [
        "image",
        s(&img),
        "--db",
        s(&db),
        "--offline",
        "--exit-code",
        "4",
    ];

    let (out, v) = json_scan(tmp.path(), &base, &[]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(
        v["database"]["missing_data"],
        serde_json::json!([{"ecosystem": "Debian (release unknown)", "packages": 1}])
    );
    assert!(
        v["gate"]["reasons"]
            .to_string()
            .contains("Debian (release unknown)"),
        "{:#}",
        v["gate"]
    );

    let mut args = base.to_vec();
    args.push("--allow-missing-data");
    let (out, v) = json_scan(tmp.path(), &args, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(v["gate"]["result"], "pass");
}
