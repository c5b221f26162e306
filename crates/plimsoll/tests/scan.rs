//! The first end-to-end scan: the bundled demo image against the bundled demo advisories
//! (`demo/osv`, real OSV records reduced to facts), through the real binary, in every
//! format. The JSON must validate against docs/report.schema.json, SARIF against the
//! official 2.1.0 schema and the CycloneDX VDR against CycloneDX 1.6.

mod common;

use common::{root, scan_demo as scan};
use std::process::Output;

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn demo_scan_finds_each_vulnerability_in_the_layer_that_brought_it() {
    let cache = tempfile::tempdir().unwrap();
    let text = stdout(&scan(&["-f", "json"], cache.path()));
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    common::validate_report(&report).unwrap();
    let mut got: Vec<(String, String, String, String, u64, String)> = report["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["id"].as_str().unwrap().to_string(),
                v["package_name"].as_str().unwrap().to_string(),
                v["installed_version"].as_str().unwrap().to_string(),
                v["fixed_versions"][0].as_str().unwrap().to_string(),
                v["layer"].as_u64().unwrap(),
                v["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    let want = [
        // openssl's advisory names the source package; libssl3 is its binary.
        (
            "CVE-2023-5678",
            "libssl3",
            "3.0.11-1~deb12u2",
            "3.0.13-1~deb12u1",
            0,
            "LOW",
        ),
        // The pip-installed requests 2.31.0; GHSA id kept as an alias of the CVE.
        (
            "CVE-2024-35195",
            "requests",
            "2.31.0",
            "2.32.0",
            1,
            "MEDIUM",
        ),
    ];
    let want: Vec<_> = want
        .iter()
        .map(|(a, b, c, d, e, f)| {
            (
                a.to_string(),
                b.to_string(),
                c.to_string(),
                d.to_string(),
                *e,
                f.to_string(),
            )
        })
        .collect();
    assert_eq!(got, want);
    let requests = report["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == "CVE-2024-35195")
        .unwrap();
    assert_eq!(requests["aliases"][0], "GHSA-9wx4-h78v-vm56");
    assert_eq!(requests["status"], "fixed");
    assert!(
        requests["layer_created_by"]
            .as_str()
            .unwrap()
            .contains("pip install")
    );
    // zlib1g and base-files have no advisory in the demo data: no finding, no warning.
    assert!(
        report["database"]["path"]
            .as_str()
            .unwrap()
            .ends_with("demo/osv")
    );
}

#[test]
fn demo_scan_in_every_format() {
    let cache = tempfile::tempdir().unwrap();
    let sarif: serde_json::Value =
        serde_json::from_str(&stdout(&scan(&["-f", "sarif"], cache.path()))).unwrap();
    common::validate_sarif(&sarif).unwrap();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 2);

    let cdx: serde_json::Value =
        serde_json::from_str(&stdout(&scan(&["-f", "cyclonedx"], cache.path()))).unwrap();
    common::validate_cyclonedx(&cdx).unwrap();
    assert_eq!(cdx["vulnerabilities"].as_array().unwrap().len(), 2);

    let md = stdout(&scan(&["-f", "markdown"], cache.path()));
    assert!(
        md.contains("CVE-2023-5678") && md.contains("CVE-2024-35195"),
        "{md}"
    );

    let junit = stdout(&scan(&["-f", "junit"], cache.path()));
    assert_eq!(junit.matches("<failure").count(), 2, "{junit}");

    let table = stdout(&scan(&[], cache.path()));
    assert!(table.contains("Total: 2"), "{table}");
    assert!(!table.contains('\u{1b}'), "NO_COLOR: no escape codes");
    let layers = stdout(&scan(&["--group-by", "layer"], cache.path()));
    assert!(
        layers.contains("Layer 1: RUN pip install --no-cache-dir requests==2.31.0"),
        "{layers}"
    );
}

#[test]
fn the_gate_fails_with_the_exit_code_only_for_counted_findings() {
    let cache = tempfile::tempdir().unwrap();
    // Without --exit-code, findings do not change the exit code and there is no gate.
    let out = scan(&["-f", "json"], cache.path());
    assert_eq!(out.status.code(), Some(0));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(r.get("gate").is_none());

    // Every severity counts by default: the two findings fail the gate.
    let out = scan(&["-f", "json", "--exit-code", "5"], cache.path());
    assert_eq!(out.status.code(), Some(5));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    common::validate_report(&r).unwrap();
    assert_eq!(r["gate"]["result"], "fail");
    let reasons = r["gate"]["reasons"].to_string();
    assert!(
        reasons.contains("2 unsuppressed vulnerabilities"),
        "{reasons}"
    );
    assert!(
        reasons.contains("MEDIUM CVE-2024-35195 in requests 2.31.0 (fixed in 2.32.0, layer 1)"),
        "{reasons}"
    );

    // Only MEDIUM and up counts: requests still fails it.
    let out = scan(
        &[
            "-f",
            "json",
            "--exit-code",
            "5",
            "--severity",
            "MEDIUM,HIGH,CRITICAL",
        ],
        cache.path(),
    );
    assert_eq!(out.status.code(), Some(5));

    // Only HIGH and CRITICAL: nothing counts, the gate passes and says what it checked.
    let out = scan(
        &[
            "-f",
            "json",
            "--exit-code",
            "5",
            "--severity",
            "high,critical",
        ],
        cache.path(),
    );
    assert_eq!(out.status.code(), Some(0));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["gate"]["result"], "pass");
    assert!(
        r["gate"]["reasons"][0]
            .as_str()
            .unwrap()
            .contains("CRITICAL, HIGH")
    );

    // Both demo findings have a fix: --ignore-unfixed keeps them, and suppresses nothing.
    let out = scan(&["-f", "json", "--ignore-unfixed"], cache.path());
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["vulnerabilities"].as_array().unwrap().len(), 2);
    assert!(r.get("suppressed").is_none());

    // Usage errors exit 2, never 0 or N.
    assert_eq!(
        scan(&["--severity", "SEVERE", "--exit-code", "5"], cache.path())
            .status
            .code(),
        Some(2)
    );
    let root = root();
    let bare = |args: &[&str]| {
        common::bin()
            .arg("image")
            .arg(root.join("demo/demo-image.tar"))
            .args(args)
            .env("PLIMSOLL_CACHE_DIR", cache.path())
            .env_remove("PLIMSOLL_DB")
            .env_remove("PLIMSOLL_SCANNERS")
            .env_remove("PLIMSOLL_OFFLINE")
            .output()
            .unwrap()
    };
    let out = bare(&["--exit-code", "5", "--scanners", "none"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a gate over a scan that looks for no vulnerabilities is refused"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("drop --scanners none"));
    // No database in the cache and --offline: a clear error before the image is read.
    let out = bare(&["--exit-code", "5", "--offline"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no vulnerability database at")
            && err.contains("--offline forbids downloading")
            && err.contains("plimsoll db update"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "no report without a database");
}

/// Findings come ordered by risk, each with its factors; `--top 1` shows only the riskiest
/// in the table, while the JSON report keeps both.
#[test]
fn findings_are_ordered_by_risk_and_top_trims_the_table() {
    let cache = tempfile::tempdir().unwrap();
    let out = scan(&["-f", "json"], cache.path());
    assert!(out.status.success());
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let v = r["vulnerabilities"].as_array().unwrap();
    let scores: Vec<f64> = v
        .iter()
        .map(|f| f["risk"]["score"].as_f64().unwrap())
        .collect();
    assert_eq!(v.len(), 2);
    assert!(scores[0] >= scores[1], "{scores:?}");
    // requests: CVSS 5.6 with a local vector and a fix released; libssl3: Debian's LOW.
    assert_eq!(v[0]["id"], "CVE-2024-35195");
    let factors: Vec<&str> = v[0]["risk"]["factors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["factor"].as_str().unwrap())
        .collect();
    assert_eq!(factors, ["cvss", "attack_vector", "fix_available"]);
    assert_eq!(v[1]["risk"]["factors"][0]["factor"], "severity");

    let out = scan(&["--top", "1"], cache.path());
    assert!(out.status.success());
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("Total: 2 "), "{table}");
    assert!(
        table.contains("CVE-2024-35195") && !table.contains("CVE-2023-5678"),
        "{table}"
    );
    assert!(table.contains("--top 1"), "{table}");
}

/// `explain` tells one finding in full: the advisory by any of its names, the range that
/// holds the installed version, the layer and instruction, the risk factors, and whether an
/// exception hides it. An id that is no finding exits 2.
#[test]
fn explain_tells_why_a_finding_matched() {
    let cache = tempfile::tempdir().unwrap();
    let root = root();
    let explain = |args: &[&str]| {
        common::bin()
            .arg("explain")
            .args(args)
            .arg(root.join("demo/demo-image.tar"))
            .arg("--db")
            .arg(root.join("demo/osv"))
            .env("PLIMSOLL_CACHE_DIR", cache.path())
            .env_remove("PLIMSOLL_DB")
            .env_remove("PLIMSOLL_SCANNERS")
            .env_remove("PLIMSOLL_OFFLINE")
            .current_dir(cache.path())
            .output()
            .unwrap()
    };
    let out = explain(&["ghsa-9wx4-h78v-vm56"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "CVE-2024-35195 in requests 2.31.0 (PyPI)",
        "Aliases: GHSA-9wx4-h78v-vm56",
        "ECOSYSTEM: introduced 0, fixed 2.32.0",
        "2.31.0 is in: range 1 (ECOSYSTEM: introduced 0, fixed 2.32.0)",
        "layer 1: RUN /bin/sh -c pip install --no-cache-dir requests==2.31.0",
        "Risk 5.1 of 10:",
        "-1.0 attack_vector: attack vector: local",
        "Not suppressed",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }

    // The Debian finding: matched through the source package of libssl3.
    let out = explain(&["CVE-2023-5678"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("compared as openssl"), "{text}");
    assert!(text.contains("DEBIAN-CVE-2023-5678"), "{text}");

    // Suppressed findings are explained too, with the rule that hides them.
    std::fs::write(
        cache.path().join("ignore.txt"),
        "CVE-2024-35195 # accepted\n",
    )
    .unwrap();
    let out = explain(&["CVE-2024-35195", "--ignorefile", "ignore.txt"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Suppressed by ignorefile: ignore.txt:1: CVE-2024-35195"),
        "{text}"
    );

    let out = explain(&["CVE-2099-0001"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("CVE-2099-0001: not a finding of"));
}
