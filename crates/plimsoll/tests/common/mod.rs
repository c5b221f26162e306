//! Helpers shared by the binary's integration tests (`mod common;` in each file): running
//! the binary in a clean environment, reading its output, finding the workspace's files.
//! The report schemas and sample reports of plimsoll-report's tests are re-exported.
#![allow(dead_code)]

#[path = "../../../plimsoll-report/tests/common/mod.rs"]
pub mod report;

#[allow(unused_imports)]
pub use report::{package_set, validate_cyclonedx, validate_report, validate_sarif, validate_spdx};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The binary, with none of the caller's `PLIMSOLL_*` variables (a developer's
/// `PLIMSOLL_DB` or `PLIMSOLL_SCANNERS` must not change what a test sees) and `NO_COLOR=1`.
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_plimsoll"));
    for (k, _) in std::env::vars_os() {
        if k.to_str().is_some_and(|k| k.starts_with("PLIMSOLL_")) {
            c.env_remove(k);
        }
    }
    c.env("NO_COLOR", "1");
    c
}

/// `plimsoll ARGS` in a clean environment, with `cache` as its cache directory.
pub fn command(args: &[&str], cache: &Path) -> Command {
    let mut c = bin();
    c.args(args).env("PLIMSOLL_CACHE_DIR", cache);
    c
}

/// Runs `plimsoll ARGS` (see [`command`]).
pub fn plimsoll(args: &[&str], cache: &Path) -> Output {
    command(args, cache).output().expect("run plimsoll")
}

/// Runs `plimsoll ARGS` with `env` set on top of the clean environment.
pub fn plimsoll_env(args: &[&str], cache: &Path, env: &[(&str, &str)]) -> Output {
    let mut c = command(args, cache);
    c.envs(env.iter().copied());
    c.output().expect("run plimsoll")
}

/// `plimsoll image demo/demo-image.tar --db demo/osv ARGS`: the bundled demo image against
/// the bundled demo advisories.
pub fn scan_demo(args: &[&str], cache: &Path) -> Output {
    let root = root();
    let mut c = bin();
    c.arg("image")
        .arg(root.join("demo/demo-image.tar"))
        .arg("--db")
        .arg(root.join("demo/osv"))
        .args(args)
        .env("PLIMSOLL_CACHE_DIR", cache);
    c.output().expect("run plimsoll")
}

/// The workspace root (`demo/`, `crates/…` are below it).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Output bytes as text, invalid UTF-8 replaced.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

pub fn stderr(out: &Output) -> String {
    text(&out.stderr)
}

/// `out`, after asserting it exited 0 (the message shows its stderr).
pub fn ok(out: &Output) -> &Output {
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(out));
    out
}

/// Standard output as JSON, after asserting the run exited 0.
pub fn json(out: &Output) -> serde_json::Value {
    ok(out);
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

/// A path as `&str`, for argument lists.
pub fn s(p: &Path) -> &str {
    p.to_str().expect("test paths are UTF-8")
}

/// Standard error, after asserting the run exited 0 (what a command reports on success).
pub fn ok_stderr(out: &Output) -> String {
    stderr(ok(out))
}
