//! The hardening checks (`--scanners misconfig`) end to end: an image with one finding of
//! every check planted in a known layer (and near misses: a setuid file dpkg owns, sticky
//! directories, a symlink, an `.env.example`, a host key's `.pub`) gives exactly those
//! findings with their ids and layers, in every format; a distroless image with a shell is
//! reported; the gate and a policy judge misconfigurations.

mod common;

use common::{json, ok, plimsoll, s, text};
use plimsoll_testkit::hardening::{Expected, distroless_with_shell, planted};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

fn write(dir: &Path) -> (String, Vec<Expected>) {
    let (img, expected) = planted();
    img.write_oci_layout(dir, Some("planted"));
    (format!("oci:{}:planted", s(dir)), expected)
}

fn found(r: &Value) -> BTreeSet<(String, String, Option<u64>)> {
    r["misconfigurations"]
        .as_array()
        .expect("misconfigurations")
        .iter()
        .map(|m| {
            (
                m["id"].as_str().unwrap().to_string(),
                m["path"].as_str().unwrap_or("").to_string(),
                m["layer"].as_u64(),
            )
        })
        .collect()
}

fn want(expected: &[Expected]) -> BTreeSet<(String, String, Option<u64>)> {
    expected
        .iter()
        .map(|e| {
            (
                e.id.to_string(),
                e.path.to_string(),
                e.layer.map(|l| l as u64),
            )
        })
        .collect()
}

#[test]
fn every_planted_check_is_found_in_its_layer_and_nothing_else() {
    let img = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let (reference, expected) = write(img.path());
    let out = plimsoll(
        &["image", &reference, "--scanners", "misconfig", "-f", "json"],
        cache.path(),
    );
    let r = json(ok(&out));
    common::validate_report(&r).unwrap();
    assert_eq!(found(&r), want(&expected), "{:#}", r["misconfigurations"]);
    let all = r["misconfigurations"].as_array().unwrap();
    let by_id = |id: &str| all.iter().find(|m| m["id"] == id).unwrap();

    // Every finding has its check's severity and remediation.
    assert_eq!(by_id("PLIM-IMG-001")["severity"], "HIGH");
    assert_eq!(by_id("PLIM-IMG-015")["severity"], "LOW");
    assert!(all.iter().all(|m| m["resolution"].is_string()), "{all:#?}");
    // Layer findings carry their layer's created_by; a history entry without a layer its
    // own line (with its number).
    let curl = by_id("PLIM-IMG-014");
    assert_eq!(curl["line"], 3);
    assert!(
        curl["layer_created_by"]
            .as_str()
            .unwrap()
            .contains("curl -fsSL https://get.example.com/install.sh | sh"),
        "{curl:#}"
    );
    let ssh = by_id("PLIM-IMG-012");
    assert_eq!(
        (ssh["line"].as_u64(), ssh["layer"].as_u64()),
        (Some(8), None)
    );
    assert_eq!(ssh["layer_created_by"], "EXPOSE map[22/tcp:{}]");
    assert_eq!(
        by_id("PLIM-IMG-010")["layer_created_by"],
        "COPY . /srv/app # buildkit"
    );
    // The deleted credentials are still in layer 3's blob, and the finding says so.
    let aws = by_id("PLIM-IMG-011");
    assert!(
        aws["message"]
            .as_str()
            .unwrap()
            .contains("layer 4 deleted it"),
        "{aws:#}"
    );
    // The .git directory once, not once per file.
    assert_eq!(all.iter().filter(|m| m["id"] == "PLIM-IMG-009").count(), 1);
    // Contents of key files are never read into the report.
    let whole = text(&out.stdout);
    assert!(!whole.contains("BEGIN OPENSSH") && !whole.contains("[default]"));

    // Every format shows them: a SARIF rule per check id with the remediation as help.
    for (format, needles) in [
        (
            "table",
            vec!["PLIM-IMG-002", "usr/local/bin/helper", "layer 1: RUN"],
        ),
        (
            "markdown",
            vec![
                "PLIM-IMG-009",
                "srv/app/.git",
                "layer 2: COPY . /srv/app",
                "image history, entry 8",
            ],
        ),
        (
            "junit",
            vec![
                "PLIM-IMG-011",
                "root/.aws/credentials",
                "layer 3: COPY credentials",
            ],
        ),
        (
            "cyclonedx",
            vec!["PLIM-IMG-005", "srv/uploads", r#"\"layer\":1"#],
        ),
    ] {
        let out = plimsoll(
            &["image", &reference, "--scanners", "misconfig", "-f", format],
            cache.path(),
        );
        let t = text(&ok(&out).stdout);
        for n in needles {
            assert!(t.contains(n), "{format} lacks {n}:\n{t}");
        }
    }
    let out = plimsoll(
        &[
            "image",
            &reference,
            "--scanners",
            "misconfig",
            "-f",
            "sarif",
        ],
        cache.path(),
    );
    let sarif = json(ok(&out));
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    // The image config is no file: its findings are located at the image.
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let root = results
        .iter()
        .find(|r| r["ruleId"] == "PLIM-IMG-001")
        .unwrap();
    let uri = root["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str();
    assert_ne!(uri, Some("config"), "{root:#}");
    for e in &expected {
        let rule = rules
            .iter()
            .find(|r| r["id"] == e.id)
            .unwrap_or_else(|| panic!("no SARIF rule {}", e.id));
        assert!(
            rule["help"]["text"].as_str().is_some_and(|h| !h.is_empty()),
            "{rule:#}"
        );
    }
}

#[test]
fn a_distroless_image_with_a_shell_and_a_clean_one() {
    let img = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let (builder, expected) = distroless_with_shell();
    builder.write_oci_layout(img.path(), Some("d"));
    let reference = format!("oci:{}:d", s(img.path()));
    let out = plimsoll(
        &["image", &reference, "--scanners", "misconfig", "-f", "json"],
        cache.path(),
    );
    let r = json(ok(&out));
    // Numeric user, a HEALTHCHECK, an epoch creation time (reproducible build): only the
    // shell and pip.
    assert_eq!(found(&r), want(&expected), "{:#}", r["misconfigurations"]);
    let m = &r["misconfigurations"][0];
    assert!(
        m["message"].as_str().unwrap().contains("Distroless"),
        "{m:#}"
    );
}

#[test]
fn the_gate_counts_misconfigurations_by_severity() {
    let img = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let (reference, _) = write(img.path());
    let gate = |sev: &str| {
        plimsoll(
            &[
                "image",
                &reference,
                "--scanners",
                "misconfig",
                "--exit-code",
                "4",
                "--severity",
                sev,
                "-f",
                "json",
            ],
            cache.path(),
        )
    };
    let out = gate("HIGH");
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let reasons = r["gate"]["reasons"].to_string();
    assert!(reasons.contains("PLIM-IMG-002"), "{reasons}");
    let out = gate("CRITICAL");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn max_image_age_sets_and_turns_off_the_age_check() {
    let img = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let (reference, _) = write(img.path());
    let ids = |extra: &[&str]| {
        let mut args = vec!["image", &reference, "--scanners", "misconfig", "-f", "json"];
        args.extend_from_slice(extra);
        let r = json(ok(&plimsoll(&args, cache.path())));
        found(&r)
            .into_iter()
            .map(|(id, _, _)| id)
            .collect::<BTreeSet<_>>()
    };
    assert!(ids(&[]).contains("PLIM-IMG-016"));
    assert!(!ids(&["--max-image-age", "0"]).contains("PLIM-IMG-016"));
    // Created 2020-01-02: about 2,500 days before this was written.
    assert!(!ids(&["--max-image-age", "100000"]).contains("PLIM-IMG-016"));
}

#[test]
fn a_directory_scan_reports_files_not_its_own_checkout() {
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join(".git")).unwrap();
    std::fs::write(root.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    std::fs::create_dir_all(root.join("vendor/lib/.git")).unwrap();
    std::fs::write(root.join("vendor/lib/.git/HEAD"), "ref: refs/heads/main\n").unwrap();
    std::fs::write(root.join(".env"), "DEBUG=1\n").unwrap();
    std::fs::write(root.join(".env.example"), "DEBUG=\n").unwrap();
    let out = plimsoll(
        &["fs", s(root), "--scanners", "misconfig", "-f", "json"],
        cache.path(),
    );
    let r = json(ok(&out));
    let ids: BTreeSet<(String, String)> = found(&r).into_iter().map(|(id, p, _)| (id, p)).collect();
    assert_eq!(
        ids,
        BTreeSet::from([
            ("PLIM-IMG-009".to_string(), "vendor/lib/.git".to_string()),
            ("PLIM-IMG-010".to_string(), ".env".to_string()),
        ]),
        "{:#}",
        r["misconfigurations"]
    );
}

#[test]
fn a_policy_selects_misconfigurations_by_check_id_and_path() {
    let img = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let (reference, _) = write(img.path());
    let policy = img.path().join("policy.yaml");
    std::fs::write(
        &policy,
        "rules:
  - {name: no-unowned-setuid, action: block, when: {kind: misconfiguration, rule_ids: [PLIM-IMG-002, PLIM-IMG-003]}}
  - {name: app-leaks, action: alert, when: {kind: misconfiguration, paths: ['srv/**']}}
exceptions:
  - {misconfiguration: PLIM-IMG-003, expires: 2999-01-01, justification: 'mail group helper, reviewed'}
",
    )
    .unwrap();
    let out = plimsoll(
        &[
            "image",
            &reference,
            "--scanners",
            "misconfig",
            "--policy",
            s(&policy),
            "-f",
            "json",
        ],
        cache.path(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    common::validate_report(&r).unwrap();
    let violated = |rule: &str| -> Vec<String> {
        r["gate"]["violations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["rule"] == rule)
            .map(|v| {
                v["misconfigurations"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| m["fingerprint"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(
        violated("no-unowned-setuid"),
        ["usr/local/bin/helper:PLIM-IMG-002"]
    );
    assert_eq!(
        violated("app-leaks"),
        [
            "srv/app.log:PLIM-IMG-004",
            "srv/uploads:PLIM-IMG-005",
            "srv/app/.git:PLIM-IMG-009",
            "srv/app/.env:PLIM-IMG-010"
        ]
    );
    let used = r["gate"]["exceptions"][0]["misconfigurations"][0]["fingerprint"].clone();
    assert_eq!(used, "usr/local/bin/mailgrp:PLIM-IMG-003");
}

#[test]
fn explain_tells_a_check_and_each_of_its_findings() {
    let img = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let (reference, _) = write(img.path());
    let out = plimsoll(
        &[
            "explain",
            "plim-img-011",
            &reference,
            "--scanners",
            "misconfig",
        ],
        cache.path(),
    );
    let t = text(&ok(&out).stdout);
    assert!(t.starts_with("PLIM-IMG-011 in "), "{t}");
    for needle in [
        "Severity: HIGH",
        "Found in: root/.aws/credentials",
        "Layer: 3: COPY credentials /root/.aws/credentials # buildkit",
        "layer 4 deleted it",
        "Fix: Use build secrets",
        "Fingerprint: root/.aws/credentials:PLIM-IMG-011",
    ] {
        assert!(t.contains(needle), "no {needle:?} in:\n{t}");
    }
    // A fingerprint names one finding of a check that has several.
    let out = plimsoll(
        &[
            "explain",
            "config:PLIM-IMG-014:3",
            &reference,
            "--scanners",
            "misconfig",
        ],
        cache.path(),
    );
    let t = text(&ok(&out).stdout);
    assert!(t.contains("Found in: the image history, entry 3"), "{t}");
}

#[test]
fn an_ignore_file_suppresses_misconfigurations() {
    let img = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let (reference, expected) = write(img.path());
    let ignore = img.path().join(".trivyignore.yaml");
    std::fs::write(
        &ignore,
        "misconfigurations:
  - id: PLIM-IMG-015
    statement: Kubernetes probes
  - fingerprint: config:PLIM-IMG-014:3
  - id: AVD-DS-0002
",
    )
    .unwrap();
    let out = plimsoll(
        &[
            "image",
            &reference,
            "--scanners",
            "misconfig",
            "--ignorefile",
            s(&ignore),
            "-f",
            "json",
        ],
        cache.path(),
    );
    let r = json(ok(&out));
    common::validate_report(&r).unwrap();
    let ids: BTreeSet<String> = found(&r).into_iter().map(|(id, _, _)| id).collect();
    assert_eq!(ids.len(), expected.len() - 2);
    assert!(!ids.contains("PLIM-IMG-015") && !ids.contains("PLIM-IMG-014"));
    let gone: Vec<&str> = r["suppressed_misconfigurations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["reason"].as_str().unwrap())
        .collect();
    assert_eq!(gone.len(), 2, "{gone:?}");
    assert!(
        gone.iter()
            .any(|g| g.ends_with("misconfiguration PLIM-IMG-015: Kubernetes probes"))
    );
}
