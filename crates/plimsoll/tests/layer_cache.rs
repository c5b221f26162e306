//! The layer cache through the real binary: a warm re-scan gives the same report as a cold
//! one, `--no-layer-cache` neither reads nor writes it, and a damaged entry is a warning.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

/// The demo scan as JSON.
fn scan(extra: &[&str], cache: &Path) -> Output {
    common::scan_demo(&[&["--format", "json"], extra].concat(), cache)
}

fn report(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "exit {:?}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    // `--db DIR` builds the database on each run: its build time may tick between runs.
    let db = v["database"].as_object_mut().expect("database");
    db.remove("built_at");
    db.remove("age_seconds");
    db.remove("sources");
    v
}

fn layer_entries(cache: &Path) -> Vec<PathBuf> {
    match std::fs::read_dir(cache.join("layers")) {
        Ok(d) => d.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

#[test]
fn cold_and_warm_scans_give_the_same_report() {
    let tmp = tempfile::tempdir().unwrap();
    let uncached = report(&scan(&["--no-layer-cache"], tmp.path()));
    assert!(
        layer_entries(tmp.path()).is_empty(),
        "--no-layer-cache writes nothing"
    );
    let cold = report(&scan(&[], tmp.path()));
    let entries = layer_entries(tmp.path());
    assert_eq!(
        entries.len(),
        4,
        "one per layer of the demo image: {entries:?}"
    );
    let warm = report(&scan(&[], tmp.path()));
    assert!(
        !cold["vulnerabilities"].as_array().unwrap().is_empty(),
        "the demo has findings"
    );
    assert_eq!(cold, uncached);
    assert_eq!(warm, cold);

    // A damaged entry: the same report, plus a warning naming the entry.
    let victim = &entries[0];
    let mut b = std::fs::read(victim).unwrap();
    b.truncate(b.len() - 3);
    std::fs::write(victim, b).unwrap();
    let out = scan(&[], tmp.path());
    let damaged = report(&out);
    let warnings = damaged["warnings"].as_array().unwrap();
    let note = warnings
        .iter()
        .filter_map(|w| w.as_str())
        .find(|w| w.contains("layer cache entry"))
        .unwrap_or_else(|| panic!("a warning about the entry: {warnings:?}"));
    assert!(note.contains(&victim.display().to_string()), "{note}");
    assert_eq!(cold.get("warnings"), None, "the demo scan has no warnings");
    let mut without = damaged.clone();
    without.as_object_mut().unwrap().remove("warnings");
    assert_eq!(without, cold);
    assert_eq!(report(&scan(&[], tmp.path())), cold, "rewritten");
}
