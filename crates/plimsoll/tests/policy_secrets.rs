//! Secrets through the real binary's gates: a policy's secret rule blocks and its
//! exception excuses, an ignore file suppresses by rule id, and `--exit-code --severity`
//! counts secrets; no planted value reaches the report.

mod common;

use common::root;
use plimsoll_testkit::{Compression, ImageBuilder, demo};
use std::path::Path;
use std::process::Output;

/// Fake credentials with the real shapes (not AWS's documented example key, which is
/// allowed as an example).
const AWS_KEY: &str = "AKIAQYLPMN5HHHFPZAM2";
const GITHUB_PAT: &str = "ghp_R8mX2vLq9TzW4bNc7PdK1sHf6JgY3eUa0iOp";

/// A Debian image whose application layer ships an `.env` with an AWS key and a CI script
/// with a GitHub token.
fn write_image(path: &Path) {
    ImageBuilder::new()
        .compression(Compression::Gzip)
        .layer("/bin/sh -c #(nop) ADD file:0a1b2c in / ", |l| {
            l.file("usr/lib/os-release", demo::OS_RELEASE)
        })
        .layer("COPY . /app # buildkit", |l| {
            l.file(
                "app/.env",
                format!("AWS_ACCESS_KEY_ID={AWS_KEY}\nREGION=eu-west-1\n"),
            )
            .file(
                "app/ci/publish.sh",
                format!("#!/bin/sh\nexport GITHUB_TOKEN={GITHUB_PAT}\ngit push\n"),
            )
        })
        .write_oci_archive(path, Some("app"));
}

fn scan(dir: &Path, extra: &[&str]) -> (Output, serde_json::Value) {
    let img = dir.join("img.tar");
    if !img.exists() {
        write_image(&img);
    }
    let db = root().join("demo/osv");
    let mut args = vec![
        "image",
        img.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        "-f",
        "json",
        "--no-progress",
    ];
    args.extend_from_slice(extra);
    let mut c = common::command(&args, &dir.join("cache"));
    c.current_dir(dir);
    let out = c.output().expect("run plimsoll");
    for value in [AWS_KEY, GITHUB_PAT] {
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains(value)
                && !String::from_utf8_lossy(&out.stderr).contains(value),
            "{value} printed"
        );
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    if !v.is_null() {
        common::validate_report(&v).unwrap();
    }
    (out, v)
}

const POLICY: &str = "rules:
  - {name: secrets-high, action: block, when: {kind: secret, severity: HIGH}}
  - {name: secrets-other, action: alert, when: {kind: secret, severity: [MEDIUM, LOW, UNKNOWN]}}
exceptions:
  - {secret: github-pat, expires: 2099-01-01, justification: revoked on 2026-11-30}
";

#[test]
fn secrets_are_gated_by_policy_ignore_files_and_the_severity_gate() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("p.yaml"), POLICY).unwrap();

    // The policy blocks the AWS key; its exception excuses the revoked token.
    let (out, v) = scan(d, &["--policy", "p.yaml"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let gate = &v["gate"];
    assert_eq!(gate["result"], "fail", "{gate:#}");
    let violation = &gate["violations"][0];
    assert_eq!(violation["rule"], "secrets-high");
    assert_eq!(violation["action"], "block");
    assert_eq!(
        violation["secrets"][0]["fingerprint"], "app/.env:aws-access-key-id:1",
        "{gate:#}"
    );
    assert_eq!(violation["secrets"].as_array().unwrap().len(), 1);
    assert_eq!(
        gate["exceptions"][0]["secrets"][0]["rule_id"], "github-pat",
        "{gate:#}"
    );

    // An ignore file in the working directory suppresses both by rule id: the gate passes.
    std::fs::write(d.join(".trivyignore"), "aws-access-key-id\ngithub-pat\n").unwrap();
    let (out, v) = scan(d, &["--policy", "p.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{v:#}");
    assert_eq!(v["gate"]["result"], "pass");
    let suppressed = v["suppressed_secrets"].as_array().unwrap();
    assert_eq!(suppressed.len(), 2, "{v:#}");
    assert!(
        suppressed
            .iter()
            .all(|s| s["suppressed_by"] == "ignorefile")
    );
    assert!(v["secrets"].as_array().is_none_or(|a| a.is_empty()));
    std::fs::remove_file(d.join(".trivyignore")).unwrap();

    // --exit-code with --severity counts secrets, as Trivy's does.
    let (out, v) = scan(d, &["--exit-code", "3", "--severity", "CRITICAL"]);
    assert_eq!(out.status.code(), Some(3), "{v:#}");
    let reasons: Vec<&str> = v["gate"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r.as_str())
        .collect();
    assert!(
        reasons.contains(&"2 unsuppressed secrets of CRITICAL"),
        "{reasons:?}"
    );
}
