//! Policy-gated scans of the bundled demo image (Debian 12 libssl3 and PyPI requests,
//! created 2026-01-02, user `app`) through the real binary: block fails with the exit code,
//! alert passes, exceptions excuse until they expire, and bad policy files name the line.

mod common;

use common::root;
use std::path::Path;
use std::process::Output;

/// `plimsoll ARGS` run in `dir`, with its cache below it.
fn plimsoll(args: &[&str], dir: &Path) -> Output {
    let mut c = common::command(args, &dir.join("cache"));
    c.current_dir(dir);
    c.output().expect("run plimsoll")
}

fn scan(policy: &str, extra: &[&str]) -> (Output, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.yaml"), policy).unwrap();
    let (img, db) = (root().join("demo/demo-image.tar"), root().join("demo/osv"));
    let mut args = vec![
        "image",
        img.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        "--policy",
        "p.yaml",
        "-f",
        "json",
        "--no-progress",
    ];
    args.extend_from_slice(extra);
    let out = plimsoll(&args, dir.path());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    if !v.is_null() {
        common::validate_report(&v).unwrap();
    }
    (out, v)
}

fn violated(v: &serde_json::Value) -> Vec<(String, String)> {
    v["gate"]["violations"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| {
                    (
                        x["rule"].as_str().unwrap().to_string(),
                        x["action"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

const SLO: &str = "rules:
  - name: medium-slo
    action: block
    when: {slo: {medium: 90}}
  - name: not-root
    action: alert
    when: {image: {runs_as_root: false}}
";

#[test]
fn a_block_rule_fails_the_scan_with_the_exit_code_and_alerts_do_not() {
    let (out, v) = scan(SLO, &[]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(v["gate"]["result"], "fail");
    assert_eq!(
        violated(&v),
        [
            ("medium-slo".into(), "block".into()),
            ("not-root".into(), "alert".into())
        ]
    );
    let f = &v["gate"]["violations"][0]["findings"][0];
    assert_eq!(f["id"], "CVE-2024-35195");
    assert!(f["detail"].as_str().unwrap().contains("MEDIUM SLO 90 days"));
    let (out, _) = scan(SLO, &["--exit-code", "7"]);
    assert_eq!(out.status.code(), Some(7));
    let (out, v) = scan(
        "rules:\n  - {name: a, action: alert, when: {severity: LOW}}\n",
        &[],
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(v["gate"]["result"], "pass");
    assert_eq!(
        v["gate"]["violations"][0]["findings"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn an_exception_excuses_until_it_expires() {
    let with = |expires: &str| {
        format!(
            "{SLO}exceptions:\n  - vulnerability: GHSA-9wx4-h78v-vm56\n    rules: [medium-slo]\n    expires: {expires}\n    justification: requests is only used for a health check\n"
        )
    };
    let (out, v) = scan(&with("2999-01-01"), &[]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(violated(&v), [("not-root".into(), "alert".into())]);
    assert_eq!(
        v["gate"]["exceptions"][0]["findings"][0]["id"],
        "CVE-2024-35195"
    );
    assert_eq!(v["gate"]["exceptions"][0]["at"], "p.yaml:9");
    let (out, v) = scan(&with("2020-01-01"), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(v["gate"]["exceptions"][0]["expired"], true);
    assert!(
        v["gate"]["warnings"][0]
            .as_str()
            .unwrap()
            .contains("expired on 2020-01-01")
    );
}

#[test]
fn policy_init_writes_a_valid_file_and_check_points_at_mistakes() {
    let dir = tempfile::tempdir().unwrap();
    let out = plimsoll(&["policy", "init"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    let out = plimsoll(&["policy", "check", "plimsoll-policy.yaml"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("10 rules"));
    let again = plimsoll(&["policy", "init"], dir.path());
    assert_eq!(
        again.status.code(),
        Some(2),
        "never overwrites without --force"
    );
    std::fs::write(
        dir.path().join("bad.yaml"),
        "rules:\n  - name: a\n    action: block\n    when:\n      severity: HIGH\n      fixable: true\n",
    )
    .unwrap();
    let out = plimsoll(&["policy", "check", "bad.yaml"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.yaml:6:"), "{err}");
    assert!(err.contains("fixable"), "{err}");
    // A scan with a bad policy stops before it scans.
    let (out, _) = scan("rules: [", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("p.yaml:"));
}

/// `in_base_image` acts on the demo image's label-and-history decision: libssl3 (layer 0)
/// is the base image's, requests (layer 1) the application's.
#[test]
fn in_base_image_rules_split_what_the_team_owns() {
    let ids = |v: &serde_json::Value, rule: usize| -> Vec<String> {
        v["gate"]["violations"][rule]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect()
    };
    let policy = "rules:
  - {name: ours, action: block, when: {severity: LOW, in_base_image: false}}
  - {name: base, action: alert, when: {severity: LOW, in_base_image: true}}
";
    let (out, v) = scan(policy, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        violated(&v),
        [
            ("ours".into(), "block".into()),
            ("base".into(), "alert".into())
        ]
    );
    assert_eq!(ids(&v, 0), ["CVE-2024-35195"]);
    assert_eq!(ids(&v, 1), ["CVE-2023-5678"]);

    // With the base image's findings excluded, only the application's rule can fire.
    let (out, v) = scan(policy, &["--exclude-base-image"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(violated(&v), [("ours".into(), "block".into())]);
}

/// `explain --policy` lists every rule for the one finding, fired, excused or skipped, each
/// with its reason, then the whole image's gate and the rules that blocked it.
#[test]
fn explain_traces_every_rule_for_one_finding() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("p.yaml"),
        "rules:
  - name: medium-slo
    action: block
    when: {slo: {medium: 90}}
  - name: high-only
    action: block
    when: {severity: HIGH}
  - name: pypi
    action: alert
    when: {ecosystems: {deny: [PyPI]}}
exceptions:
  - vulnerability: CVE-2024-35195
    rules: [medium-slo]
    expires: 2020-01-01
    justification: long expired
",
    )
    .unwrap();
    let (img, db) = (root().join("demo/demo-image.tar"), root().join("demo/osv"));
    let out = plimsoll(
        &[
            "explain",
            "CVE-2024-35195",
            img.to_str().unwrap(),
            "--db",
            db.to_str().unwrap(),
            "--policy",
            "p.yaml",
        ],
        dir.path(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let policy = &text[text
        .find("Policy p.yaml:")
        .unwrap_or_else(|| panic!("{text}"))..];
    let lines: Vec<&str> = policy.lines().map(str::trim).collect();
    assert_eq!(lines[1], "medium-slo (p.yaml:2): FIRED (block)", "{policy}");
    assert!(
        lines[2].starts_with("MEDIUM SLO of 90 days breached: disclosed "),
        "{policy}"
    );
    // The exception for this rule and finding has expired, and the trace says so.
    assert_eq!(
        lines[3], "exception at p.yaml:12 expired on 2020-01-01",
        "{policy}"
    );
    assert_eq!(lines[4], "high-only (p.yaml:5): skipped", "{policy}");
    assert_eq!(lines[5], "severity MEDIUM is below HIGH", "{policy}");
    assert_eq!(lines[6], "pypi (p.yaml:8): skipped", "{policy}");
    assert_eq!(lines[7], "judges packages, not vulnerabilities", "{policy}");
    assert!(
        text.contains("Gate (the whole image): fail, blocked by medium-slo"),
        "{text}"
    );
}
