//! Suppression through the real binary: ignore files (named, and Trivy's `.trivyignore` found
//! in the working directory), expiry, VEX documents (OpenVEX and CycloneDX), and the gate
//! once everything is suppressed. The demo image (`demo/demo-image.tar`, scanned with
//! `--db demo/osv`) has two findings: CVE-2023-5678 in libssl3 (alias DEBIAN-CVE-2023-5678)
//! and CVE-2024-35195 in requests (alias GHSA-9wx4-h78v-vm56).

mod common;

use common::{root, stderr};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Output;

const REQUESTS: &str = "pkg:pypi/requests@2.31.0";

/// A working directory (for default ignore files) with its own cache.
struct Dir(tempfile::TempDir);

impl Dir {
    fn new() -> Dir {
        Dir(tempfile::tempdir().unwrap())
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn scan(&self, extra: &[&str]) -> Output {
        let root = root();
        common::bin()
            .current_dir(self.0.path())
            .arg("image")
            .arg(root.join("demo/demo-image.tar"))
            .arg("--db")
            .arg(root.join("demo/osv"))
            .args(extra)
            .env("PLIMSOLL_CACHE_DIR", self.0.path().join("cache"))
            .output()
            .expect("run plimsoll")
    }

    /// The JSON report of a scan that must succeed; it must validate against the schema.
    fn report(&self, extra: &[&str]) -> Value {
        let mut args = vec!["-f", "json"];
        args.extend_from_slice(extra);
        let out = self.scan(&args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        common::validate_report(&report).unwrap();
        report
    }
}

fn ids(report: &Value, key: &str) -> Vec<String> {
    let mut v: Vec<String> = report[key]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["id"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn warnings(report: &Value) -> Vec<String> {
    report["warnings"]
        .as_array()
        .map(|a| a.iter().map(|w| w.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

fn openvex(status: &str, extra: &str) -> String {
    format!(
        r#"{{
  "@context": "https://openvex.dev/ns/v0.2.0",
  "@id": "https://example.invalid/vex/demo-1",
  "author": "Demo Maintainers <security@example.invalid>",
  "timestamp": "2026-11-30T12:00:00Z",
  "version": 1,
  "statements": [
    {{
      "vulnerability": {{"name": "CVE-2024-35195", "aliases": ["GHSA-9wx4-h78v-vm56"]}},
      "products": [{{"@id": "{REQUESTS}"}}],
      "status": "{status}"{extra}
    }}
  ]
}}
"#
    )
}

#[test]
fn an_ignore_file_suppresses_a_finding_by_its_ghsa_alias() {
    let d = Dir::new();
    let f = d.write(
        "accepted.txt",
        "# requests: we never send credentials across redirects\nGHSA-9wx4-h78v-vm56 exp:2999-01-01\n",
    );
    let r = d.report(&["--ignorefile", f.to_str().unwrap()]);
    assert_eq!(ids(&r, "vulnerabilities"), ["CVE-2023-5678"]);
    assert_eq!(ids(&r, "suppressed"), ["CVE-2024-35195"]);
    let s = &r["suppressed"][0];
    assert_eq!(s["suppressed_by"], "ignorefile");
    assert_eq!(
        s["reason"],
        format!(
            "{}:2: GHSA-9wx4-h78v-vm56 (expires 2999-01-01)",
            f.display()
        )
    );
    assert_eq!(s["package_name"], "requests");
    assert!(warnings(&r).is_empty(), "{:?}", warnings(&r));
}

#[test]
fn a_trivyignore_in_the_working_directory_is_read_by_default() {
    let d = Dir::new();
    d.write(".trivyignore", "CVE-2023-5678\nCVE-2019-0001 # long gone\n");
    let r = d.report(&[]);
    assert_eq!(ids(&r, "vulnerabilities"), ["CVE-2024-35195"]);
    assert_eq!(
        r["suppressed"][0]["reason"],
        ".trivyignore:1: CVE-2023-5678"
    );
    // The entry that matched nothing is reported as stale.
    assert_eq!(
        warnings(&r),
        [".trivyignore:2: ignore entry for CVE-2019-0001 matched no finding (stale: remove it?)"]
    );
    // The table's summary counts what was suppressed.
    let out = d.scan(&[]);
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("Suppressed: 1 (ignorefile: 1)"), "{table}");
    // A named ignore file replaces the defaults.
    let other = d.write("other.yaml", "vulnerabilities: []\n");
    let r = d.report(&["--ignorefile", other.to_str().unwrap()]);
    assert_eq!(ids(&r, "vulnerabilities").len(), 2);
}

#[test]
fn an_expired_entry_does_not_apply_and_the_report_says_so() {
    let d = Dir::new();
    d.write(
        ".plimsollignore",
        "vulnerabilities:\n  - id: DEBIAN-CVE-2023-5678\n    expired_at: 2020-01-01\n    \
         statement: until the base image moves to 3.0.13\n",
    );
    let r = d.report(&[]);
    assert_eq!(
        ids(&r, "vulnerabilities"),
        ["CVE-2023-5678", "CVE-2024-35195"]
    );
    assert!(r.get("suppressed").is_none(), "{r}");
    assert_eq!(
        warnings(&r),
        [
            ".plimsollignore:2: ignore entry for DEBIAN-CVE-2023-5678 expired on 2020-01-01 and no longer applies"
        ]
    );
}

#[test]
fn vex_not_affected_for_the_requests_purl_suppresses_it() {
    let d = Dir::new();
    let v = d.write(
        "vex.openvex.json",
        &openvex(
            "not_affected",
            r#", "justification": "vulnerable_code_not_in_execute_path",
      "impact_statement": "The service never disables certificate verification.""#,
        ),
    );
    let r = d.report(&["--vex", v.to_str().unwrap()]);
    assert_eq!(ids(&r, "vulnerabilities"), ["CVE-2023-5678"]);
    assert_eq!(r["suppressed"][0]["suppressed_by"], "vex");
    assert_eq!(
        r["suppressed"][0]["reason"],
        format!(
            "{}: not_affected (vulnerable_code_not_in_execute_path): The service never \
             disables certificate verification.",
            v.display()
        )
    );
}

#[test]
fn vex_affected_does_not_suppress() {
    let d = Dir::new();
    let v = d.write(
        "vex.json",
        &openvex(
            "affected",
            r#", "action_statement": "Upgrade requests to 2.32.0""#,
        ),
    );
    let r = d.report(&["--vex", v.to_str().unwrap()]);
    assert_eq!(
        ids(&r, "vulnerabilities"),
        ["CVE-2023-5678", "CVE-2024-35195"]
    );
    assert!(r.get("suppressed").is_none());
}

#[test]
fn cyclonedx_vex_for_the_image_suppresses_its_libssl3_finding() {
    let d = Dir::new();
    // The image named by its digest as the metadata component; the finding's package by a
    // bom-ref; the state `resolved`.
    let v = d.write(
        "vex.cdx.json",
        r#"{
  "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
  "serialNumber": "urn:uuid:6c1f1c2e-5d0a-4c43-9a54-0d3f3f2b7a11",
  "metadata": {"component": {"type": "container", "name": "demo", "bom-ref": "img",
    "purl": "pkg:oci/demo@sha256%3A4d70a30a50b3ec0529ff7c3efa951fe00e0214276b37cedd73ed46a06b4c93ef?tag=latest"}},
  "components": [{"type": "library", "name": "libssl3", "bom-ref": "libssl3",
    "purl": "pkg:deb/debian/libssl3@3.0.11-1~deb12u2"}],
  "vulnerabilities": [
    {"id": "CVE-2023-5678", "analysis": {"state": "resolved", "detail": "patched in our build"},
     "affects": [{"ref": "libssl3"}]},
    {"id": "CVE-2024-35195", "analysis": {"state": "in_triage"}, "affects": [{"ref": "img"}]}
  ]
}"#,
    );
    let r = d.report(&["--vex", v.to_str().unwrap()]);
    assert_eq!(ids(&r, "vulnerabilities"), ["CVE-2024-35195"]);
    assert_eq!(
        r["suppressed"][0]["reason"],
        format!("{}: resolved: patched in our build", v.display())
    );
}

#[test]
fn the_gate_passes_once_both_findings_are_suppressed() {
    let d = Dir::new();
    let v = d.write(
        "vex.json",
        &openvex("fixed", r#", "status_notes": "backported""#),
    );
    let out = d.scan(&["--vex", v.to_str().unwrap(), "--exit-code", "1"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    d.write(".plimsollignore", "CVE-2023-5678 # LOW, accepted\n");
    let out = d.scan(&["--vex", v.to_str().unwrap(), "--exit-code", "1"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.contains("Suppressed: 2 (ignorefile: 1, vex: 1)"),
        "{table}"
    );
    let r = d.report(&["--vex", v.to_str().unwrap(), "--exit-code", "1"]);
    assert_eq!(r["gate"]["result"], "pass");
    assert!(
        r["gate"]["reasons"][0]
            .as_str()
            .unwrap()
            .contains("(2 suppressed)"),
        "{r}"
    );
}

#[test]
fn bad_suppression_files_are_input_errors_with_line_and_column() {
    let d = Dir::new();
    let missing = d.0.path().join("missing.yaml");
    let out = d.scan(&["--ignorefile", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("missing.yaml: no such file"),
        "{}",
        stderr(&out)
    );

    let bad = d.write(
        "bad.yaml",
        "vulnerabilities:\n  - id: CVE-2023-5678\n    expires: 2027-01-01\n",
    );
    let out = d.scan(&["--ignorefile", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(&format!("{}:3:5: unknown field `expires`", bad.display())),
        "{}",
        stderr(&out)
    );

    let v = d.write(
        "vex.json",
        &openvex("not_affected", r#", "justification": "it_is_fine""#),
    );
    let out = d.scan(&["--vex", v.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{}:11:", v.display()))
            && err.contains("statements[0].justification: unknown variant `it_is_fine`"),
        "{err}"
    );

    // A broken default file is an error too; a scan that looks for no vulnerabilities
    // (`--scanners none`) does not read it.
    d.write(".trivyignore", "CVE-2023-5678 exp:tomorrow\n");
    let out = d.scan(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(".trivyignore:1:19: "),
        "{}",
        stderr(&out)
    );
    let inventory_only = common::bin()
        .current_dir(d.0.path())
        .arg("image")
        .arg(root().join("demo/demo-image.tar"))
        .args(["--scanners", "none"])
        .env("PLIMSOLL_CACHE_DIR", d.0.path().join("cache"))
        .env_remove("PLIMSOLL_DB")
        .output()
        .unwrap();
    assert_eq!(
        inventory_only.status.code(),
        Some(0),
        "{}",
        stderr(&inventory_only)
    );
}
