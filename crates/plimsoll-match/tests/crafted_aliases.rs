//! Issue 12, item 7: records with thousands of aliases. Alias merging must stay linear in
//! the ids: a record naming N CVEs and M other ids gives N findings with one alias each (not
//! N×M), each id list is cut at `MAX_IDS_PER_LIST` with a warning, and a record with many
//! ids that are not CVEs is one finding.

use plimsoll_match::{MatchOptions, match_packages};
use plimsoll_model::{Location, Package};
use plimsoll_vulndb::osv::MAX_IDS_PER_LIST;
use plimsoll_vulndb::{Builder, Db};
use std::path::Path;

fn pypi(name: &str, version: &str) -> Package {
    Package {
        id: format!("pypi:{name}@{version}"),
        kind: "python".into(),
        ecosystem: "PyPI".into(),
        name: name.into(),
        version: version.into(),
        locations: vec![Location {
            layer: Some(0),
            path: format!("usr/lib/python3/dist-packages/{name}/METADATA"),
        }],
        ..Package::default()
    }
}

fn record(id: &str, package: &str, aliases: Vec<String>) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "modified": "2025-01-01T00:00:00Z",
        "aliases": aliases,
        "affected": [{
            "package": {"ecosystem": "PyPI", "name": package},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "9.0"}]}]
        }]
    })
}

/// Builds a database of `records`; returns it with the import's warnings.
fn db_of(dir: &Path, records: &[serde_json::Value]) -> (Db, Vec<String>) {
    let path = dir.join("v.db");
    let mut b = Builder::create(&path).unwrap();
    let json = serde_json::to_vec(records).unwrap();
    let s = b.import_osv_json("osv:test", "test.json", &json).unwrap();
    assert_eq!(s.records_imported as usize, records.len(), "{s:#?}");
    b.commit().unwrap();
    (Db::open(&path).unwrap(), s.warnings)
}

#[test]
fn many_ids_that_are_not_cves_make_one_finding_with_capped_aliases() {
    let tmp = tempfile::tempdir().unwrap();
    let aliases: Vec<String> = (0..50_000).map(|i| format!("OSV-2099-{i}")).collect();
    let (db, warnings) = db_of(
        tmp.path(),
        &[record("GHSA-aaaa-bbbb-cccc", "flask", aliases)],
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("GHSA-aaaa-bbbb-cccc") && w.contains("first 1000")),
        "{warnings:?}"
    );
    let out = match_packages(&[pypi("flask", "1.0")], &[], &db, &MatchOptions::default()).unwrap();
    assert_eq!(out.findings.len(), 1);
    let f = &out.findings[0];
    assert_eq!(f.id, "GHSA-aaaa-bbbb-cccc");
    assert_eq!(f.aliases.len(), MAX_IDS_PER_LIST);
}

#[test]
fn a_record_naming_many_cves_gives_one_finding_per_cve_with_one_alias_each() {
    let tmp = tempfile::tempdir().unwrap();
    let cves: Vec<String> = (0..5_000).map(|i| format!("CVE-2099-{i:05}")).collect();
    let mut aliases = cves.clone();
    // Other ids too: before, each was copied into every CVE's finding (N×M aliases).
    aliases.extend((0..500).map(|i| format!("OSV-2099-{i}")));
    let (db, _) = db_of(
        tmp.path(),
        &[
            record("GHSA-many-many-cves", "flask", aliases),
            // A record without a CVE that names the first: it joins every finding of it, once.
            record("PYSEC-2099-1", "flask", vec!["GHSA-many-many-cves".into()]),
        ],
    );
    let out = match_packages(
        &[pypi("flask", "1.0"), pypi("Flask", "2.0")],
        &[],
        &db,
        &MatchOptions::default(),
    )
    .unwrap();
    // Cut to the first 1000 aliases, all CVEs; two packages.
    assert_eq!(out.findings.len(), 2 * MAX_IDS_PER_LIST);
    for f in &out.findings {
        assert!(f.id.starts_with("CVE-2099-0"), "{}", f.id);
        assert_eq!(
            f.aliases,
            ["GHSA-many-many-cves", "PYSEC-2099-1"],
            "{}",
            f.id
        );
        assert_eq!(f.data_source, "GHSA-many-many-cves, PYSEC-2099-1");
    }
}

#[test]
fn the_matcher_caps_ids_of_a_database_built_elsewhere() {
    let tmp = tempfile::tempdir().unwrap();
    let (db, _) = db_of(
        tmp.path(),
        &[record("GHSA-xxxx-yyyy-zzzz", "flask", vec![])],
    );
    drop(db);
    // A database not built by this importer (or hand-edited) may hold any number of ids.
    let path = tmp.path().join("v.db");
    let aliases: Vec<String> = (0..3_000).map(|i| format!("CVE-2099-{i:05}")).collect();
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "UPDATE records SET aliases = ?1",
        [serde_json::to_string(&aliases).unwrap()],
    )
    .unwrap();
    drop(conn);
    let db = Db::open(&path).unwrap();
    let out = match_packages(&[pypi("flask", "1.0")], &[], &db, &MatchOptions::default()).unwrap();
    assert_eq!(out.findings.len(), MAX_IDS_PER_LIST);
    assert_eq!(
        out.warnings
            .iter()
            .filter(|w| w.contains("GHSA-xxxx-yyyy-zzzz") && w.contains("only the first 1000"))
            .count(),
        1,
        "{:?}",
        out.warnings
    );
}
