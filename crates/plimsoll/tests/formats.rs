//! `--format` per command: a format that makes no sense for a command is refused (exit 2)
//! before anything is read, with a message naming the formats the command takes; every
//! format a command takes is written.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn plimsoll(args: &[&str], cache: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plimsoll"))
        .args(args)
        .env("PLIMSOLL_CACHE_DIR", cache)
        .env("NO_COLOR", "1")
        .env_remove("PLIMSOLL_DB")
        .env_remove("PLIMSOLL_SCANNERS")
        .env_remove("PLIMSOLL_OFFLINE")
        .env_remove("PLIMSOLL_POLICY")
        .output()
        .expect("run plimsoll")
}

const INVENTORY: &str = "table, json, cyclonedx or spdx-json";

/// Every refused (command line, format, what the message must say). The inputs do not
/// exist: a refusal that came after reading them would be about them instead.
fn refusals(missing: &str) -> Vec<(Vec<String>, &'static str, String)> {
    let mut v = Vec::new();
    for f in ["sarif", "markdown", "junit"] {
        v.push((
            vec!["inventory".into(), missing.into()],
            f,
            format!("inventory writes {INVENTORY}, not {f}: "),
        ));
    }
    for f in [
        "json",
        "cyclonedx",
        "spdx-json",
        "sarif",
        "markdown",
        "junit",
    ] {
        v.push((
            vec!["explain".into(), "CVE-2023-4911".into(), missing.into()],
            f,
            format!("explain writes table, not {f}: explain tells one finding in prose"),
        ));
    }
    for f in ["cyclonedx", "spdx-json", "sarif", "markdown", "junit"] {
        v.push((
            vec!["explore".into(), missing.into()],
            f,
            format!("explore writes table or json, not {f}: the other formats describe one image"),
        ));
    }
    v
}

#[test]
fn formats_a_command_does_not_take_are_refused_before_anything_is_read() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("no-such-input.tar");
    let missing = missing.to_str().unwrap();
    let out_file = tmp.path().join("report.out");
    let cases = refusals(missing);
    assert_eq!(cases.len(), 14);
    for (args, format, want) in cases {
        let mut a: Vec<&str> = args.iter().map(String::as_str).collect();
        a.extend(["--format", format, "-o", out_file.to_str().unwrap()]);
        let out = plimsoll(&a, &tmp.path().join("cache"));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{a:?}: {stderr}");
        assert!(
            stderr.starts_with(&format!("error: {want}")),
            "{a:?}\nwant: {want}\ngot: {stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(out.stdout.is_empty());
        assert!(!out_file.exists(), "{a:?} wrote {}", out_file.display());
        assert!(!tmp.path().join("cache").exists(), "{a:?} made its cache");
    }
}

#[test]
fn inventory_writes_each_format_it_takes() {
    let tmp = tempfile::tempdir().unwrap();
    let demo = root().join("demo/demo-image.tar");
    for format in ["table", "json", "cyclonedx", "spdx-json"] {
        let out = plimsoll(
            &["inventory", demo.to_str().unwrap(), "--format", format],
            tmp.path(),
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        match format {
            "table" => assert!(stdout.contains("packages"), "{stdout}"),
            "json" => {
                let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
                assert_eq!(v["schema_version"], 2);
                assert!(!v["packages"].as_array().unwrap().is_empty());
            }
            "cyclonedx" => {
                let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
                assert_eq!(v["bomFormat"], "CycloneDX");
            }
            _ => {
                let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
                assert_eq!(v["spdxVersion"], "SPDX-2.3");
            }
        }
    }
}

/// `fs` takes every format, the findings ones included (here with no findings to report).
#[test]
fn fs_writes_every_format() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rootfs");
    std::fs::create_dir_all(dir.join("etc")).unwrap();
    std::fs::write(
        dir.join("etc/os-release"),
        "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12\"\n",
    )
    .unwrap();
    for format in [
        "table",
        "json",
        "cyclonedx",
        "spdx-json",
        "sarif",
        "markdown",
        "junit",
    ] {
        let out = plimsoll(
            &[
                "fs",
                dir.to_str().unwrap(),
                "--scanners",
                "none",
                "--format",
                format,
            ],
            &tmp.path().join("cache"),
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        match format {
            "sarif" => {
                let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
                assert_eq!(v["version"], "2.1.0");
            }
            "junit" => assert!(stdout.starts_with("<?xml"), "{stdout}"),
            "markdown" => assert!(stdout.starts_with("## plimsoll: "), "{stdout}"),
            _ => assert!(!stdout.is_empty()),
        }
    }
}
