//! NVD CVE JSON 2.0 imports: CPE criteria and CVE facts stored and read back, sniffing
//! (plain and gzip), and the all-or-nothing refusal of files that yield nothing.

mod common;

use common::*;
use plimsoll_vulndb::{Builder, Db, InputKind, import_paths, sniff};
use std::io::Write;

fn nvd_fixture() -> std::path::PathBuf {
    fixtures().join("feeds/nvdcve-2.0-openssl-busybox.json")
}

#[test]
fn criteria_and_facts_are_stored_and_read_back() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("vuln.db");
    assert_eq!(sniff(&nvd_fixture()).unwrap(), InputKind::NvdJson);
    let mut b = Builder::create(&target).unwrap();
    let summary = import_paths(&mut b, &[nvd_fixture()]).unwrap();
    assert_eq!(summary.nvd_cves, 3);
    assert_eq!(summary.skipped_count, 0);
    b.commit().unwrap();
    let db = Db::open(&target).unwrap();
    assert!(db.has_cpe_data().unwrap());

    let openssl = db.cpe_criteria("openssl", "openssl").unwrap();
    assert_eq!(openssl.len(), 4);
    assert!(openssl.iter().all(|c| c.cve == "CVE-2023-5678"));
    let hits: Vec<_> = openssl
        .iter()
        .filter(|c| c.affects("3.0.11") == Some(true))
        .collect();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].fixed(), Some("3.0.13"));
    assert!(openssl.iter().all(|c| c.affects("3.0.13") == Some(false)));
    assert!(openssl.iter().any(|c| c.affects("1.1.1w") == Some(true)));

    let busybox = db.cpe_criteria("busybox", "busybox").unwrap();
    let affected: Vec<&str> = busybox
        .iter()
        .filter(|c| c.affects("1.36.1") == Some(true))
        .map(|c| c.cve.as_str())
        .collect();
    assert_eq!(affected, ["CVE-2023-42366"]);
    let old: Vec<&str> = busybox
        .iter()
        .filter(|c| c.affects("1.34.1") == Some(true))
        .map(|c| c.cve.as_str())
        .collect();
    assert_eq!(old, ["CVE-2022-48174"]);

    let facts = db.nvd_cve("CVE-2023-5678").unwrap().unwrap();
    assert_eq!(facts.severity.as_deref(), Some("MEDIUM"));
    let (v, score, vector) = facts.cvss.unwrap();
    assert_eq!((v.as_str(), score), ("3.1", 5.3));
    assert!(vector.starts_with("CVSS:3.1/AV:N"));
    assert_eq!(facts.published.as_deref(), Some("2023-11-06T16:15:42.670"));
    assert!(facts.description.unwrap().contains("X9.42 DH keys"));
    assert!(db.nvd_cve("CVE-2000-0001").unwrap().is_none());
    // No OSV data came with it: the ecosystem table is untouched.
    assert!(db.cpe_criteria("haxx", "curl").unwrap().is_empty());
}

#[test]
fn a_database_without_nvd_data_answers_empty() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("vuln.db");
    let mut b = Builder::create(&target).unwrap();
    import_paths(
        &mut b,
        &[fixtures().join("feeds/known_exploited_vulnerabilities.json")],
    )
    .unwrap();
    b.commit().unwrap();
    let db = Db::open(&target).unwrap();
    assert!(!db.has_cpe_data().unwrap());
    assert!(db.cpe_criteria("openssl", "openssl").unwrap().is_empty());
    assert!(db.nvd_cve("CVE-2023-5678").unwrap().is_none());
}

#[test]
fn gzip_feeds_are_sniffed_and_imported() {
    let tmp = tempfile::tempdir().unwrap();
    let gz = tmp.path().join("nvdcve-2.0-2023.json.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(&std::fs::read(nvd_fixture()).unwrap())
        .unwrap();
    enc.finish().unwrap();
    assert_eq!(sniff(&gz).unwrap(), InputKind::NvdJsonGz);
    let mut b = Builder::create(&tmp.path().join("vuln.db")).unwrap();
    assert_eq!(import_paths(&mut b, &[gz]).unwrap().nvd_cves, 3);
}

#[test]
fn a_newer_copy_of_a_cve_replaces_its_criteria_and_an_older_one_is_kept_out() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("vuln.db");
    let text = std::fs::read_to_string(nvd_fixture()).unwrap();
    // OpenSSL's record, modified later with its 3.0 range closed at 3.0.12 instead.
    let newer = text
        .replace("2023-11-30T16:15:48.503", "2024-06-01T00:00:00.000")
        .replace("\"3.0.13\"", "\"3.0.12\"");
    let older = text.replace("2023-11-30T16:15:48.503", "2023-11-07T00:00:00.000");
    let (a, b_, c) = (
        tmp.path().join("a.json"),
        tmp.path().join("b.json"),
        tmp.path().join("c.json"),
    );
    std::fs::write(&a, &text).unwrap();
    std::fs::write(&b_, &newer).unwrap();
    std::fs::write(&c, &older).unwrap();
    let mut b = Builder::create(&target).unwrap();
    let s = import_paths(&mut b, &[a, b_, c]).unwrap();
    // c.json's OpenSSL record is older than b.json's; its other two equal what is stored.
    assert_eq!(s.records_kept, 1, "the older copy is not written");
    b.commit().unwrap();
    let db = Db::open(&target).unwrap();
    let openssl = db.cpe_criteria("openssl", "openssl").unwrap();
    assert_eq!(openssl.len(), 4, "replaced, not added");
    assert!(openssl.iter().any(|c| c.fixed() == Some("3.0.12")));
}

#[test]
fn files_that_yield_nothing_are_errors_naming_them() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("vuln.db");
    let cases: &[(&str, &str, &str)] = &[
        (
            "empty.json",
            r#"{"format":"NVD_CVE","version":"2.0","vulnerabilities":[]}"#,
            "no CVE record",
        ),
        (
            "bad-items.json",
            r#"{"format":"NVD_CVE","vulnerabilities":[{"cve":{"id":"not-a-cve"}},{"nope":1}]}"#,
            "no readable CVE record (2 skipped",
        ),
        (
            "bad-criteria.json",
            r#"{"format":"NVD_CVE","vulnerabilities":[{"cve":{"id":"CVE-2024-0001","configurations":[{"nodes":[{"cpeMatch":[{"vulnerable":true,"criteria":"cpe:/a:x:y"}]}]}]}}]}"#,
            "is not a CPE 2.3 name",
        ),
        (
            "other-format.json",
            r#"{"format":"SOMETHING_ELSE","vulnerabilities":[]}"#,
            "not NVD_CVE",
        ),
        (
            "truncated.json",
            r#"{"format":"NVD_CVE","vulnerabilities":[{"cve":{"id":"CVE-2023-5678""#,
            "not an NVD CVE JSON 2.0 document",
        ),
    ];
    for (name, body, why) in cases {
        let path = tmp.path().join(name);
        std::fs::write(&path, body).unwrap();
        let mut b = Builder::create(&target).unwrap();
        let good = nvd_fixture();
        let err = import_paths(&mut b, &[good, path.clone()])
            .unwrap_err()
            .to_string();
        assert!(err.contains(name), "{name}: {err}");
        assert!(err.contains(why), "{name}: {err}");
        drop(b);
        assert!(!target.exists(), "{name}: nothing is left behind");
    }
    // A record NVD rejected is skipped, named, and the rest imported.
    let text = std::fs::read_to_string(nvd_fixture()).unwrap().replacen(
        "\"vulnStatus\": \"Analyzed\"",
        "\"vulnStatus\": \"Rejected\"",
        1,
    );
    let path = tmp.path().join("with-rejected.json");
    std::fs::write(&path, text).unwrap();
    let mut b = Builder::create(&target).unwrap();
    let s = import_paths(&mut b, &[path]).unwrap();
    assert_eq!(s.nvd_cves, 2);
    assert_eq!(s.skipped[0].id.as_deref(), Some("CVE-2023-42366"));
    assert!(s.skipped[0].reason.contains("rejected"), "{:?}", s.skipped);
}
