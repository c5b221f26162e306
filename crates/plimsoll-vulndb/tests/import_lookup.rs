//! A database built from the fixture records, KEV and EPSS, read back through the lookup API.

mod common;

use common::*;
use plimsoll_version::osv::{Event, RangeKind};
use plimsoll_vulndb::{Builder, Db, Lookup, import_paths};
use std::io::Write;

fn build(dir: &std::path::Path) -> Db {
    let target = dir.join("vuln.db");
    let mut b = Builder::create(&target).unwrap();
    let gz = dir.join("epss_scores-current.csv.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(&fixture("feeds/epss_scores-2025-03-14.csv"))
        .unwrap();
    enc.finish().unwrap();
    let summary = import_paths(
        &mut b,
        &[
            osv_dir(),
            fixtures().join("feeds/known_exploited_vulnerabilities.json"),
            gz,
        ],
    )
    .unwrap();
    assert_eq!(summary.skipped, vec![], "{summary:#?}");
    assert_eq!(summary.warnings, Vec::<String>::new());
    // 15 files, one record (GHSA-44cc-43rp-5947) in two directories.
    assert_eq!(summary.records_imported + summary.records_kept, 15);
    assert_eq!(summary.kev_entries, 3);
    assert_eq!(summary.epss_scores, 4);
    b.commit().unwrap();
    Db::open(&target).unwrap()
}

#[test]
fn debian_records_by_release_with_urgency() {
    let tmp = tempfile::tempdir().unwrap();
    let db = build(tmp.path());
    let advs = db.advisories("Debian:12", "libwebp").unwrap();
    assert_eq!(ids(&advs), ["DEBIAN-CVE-2023-4863", "DSA-5497-1"]);
    let deb = &advs[0];
    assert_eq!(deb.record.upstream, ["CVE-2023-4863"]);
    assert_eq!(deb.record.cves(), ["CVE-2023-4863"]);
    assert_eq!(deb.ecosystem, "Debian:12");
    assert_eq!(deb.affected.len(), 1);
    let a = &deb.affected[0];
    assert_eq!(a.vendor_severity.as_deref(), Some("not yet assigned"));
    assert_eq!(a.ranges[0].kind, RangeKind::Ecosystem);
    assert_eq!(
        a.ranges[0].events,
        [
            Event::Introduced("0".into()),
            Event::Fixed("1.2.4-0.2+deb12u1".into())
        ]
    );
    assert_eq!(
        a.purl.as_deref(),
        Some("pkg:deb/debian/libwebp?arch=source")
    );

    let glibc = db.advisories("Debian:12", "glibc").unwrap();
    assert_eq!(ids(&glibc), ["DEBIAN-CVE-2010-4756"]);
    assert_eq!(
        glibc[0].affected[0].ecosystem_specific_json(),
        Some(r#"{"urgency":"unimportant"}"#)
    );
    assert!(glibc[0].affected[0].ranges[0].events == [Event::Introduced("0".into())]);

    // Never matched without a release; the base lookup spans releases on purpose.
    assert!(db.advisories("Debian", "libwebp").unwrap().is_empty());
    assert!(db.advisories("Debian:10", "libwebp").unwrap().is_empty());
    let all = db
        .lookup(&Lookup {
            ecosystem: "Debian",
            name: "libwebp",
            whole_base: true,
            include_withdrawn: false,
        })
        .unwrap();
    let got: Vec<(&str, &str)> = all
        .iter()
        .map(|a| (a.record.id.as_str(), a.ecosystem.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("DEBIAN-CVE-2023-4863", "Debian:11"),
            ("DEBIAN-CVE-2023-4863", "Debian:12"),
            ("DEBIAN-CVE-2023-4863", "Debian:13"),
            ("DSA-5497-1", "Debian:11"),
            ("DSA-5497-1", "Debian:12"),
        ]
    );
}

#[test]
fn ubuntu_priority_binaries_and_cvss() {
    let tmp = tempfile::tempdir().unwrap();
    let db = build(tmp.path());
    let advs = db.advisories("Ubuntu:22.04:LTS", "libwebp").unwrap();
    assert_eq!(ids(&advs), ["UBUNTU-CVE-2023-4863"]);
    let r = &advs[0].record;
    assert_eq!(r.severity_label.as_deref(), Some("high"));
    assert_eq!(r.related, ["USN-6369-1"]);
    assert_eq!(r.severity[0].kind, "Ubuntu");
    assert_eq!(r.severity[0].base_score, None);
    assert_eq!(r.severity[1].cvss_version.as_deref(), Some("3.1"));
    assert_eq!(r.severity[1].base_score, Some(8.8));
    assert_eq!(r.max_cvss, Some(8.8));
    let a = &advs[0].affected[0];
    assert_eq!(a.vendor_severity.as_deref(), Some("high"));
    assert_eq!(a.versions, ["1.2.2-1", "1.2.2-2", "1.2.2-2ubuntu0.22.04.1"]);
    let es: serde_json::Value = serde_json::from_str(a.ecosystem_specific_json().unwrap()).unwrap();
    assert_eq!(es["binaries"][0]["binary_name"], "libwebp7");
    assert_eq!(es["availability"], "No subscription required");
}

#[test]
fn alpine_by_branch() {
    let tmp = tempfile::tempdir().unwrap();
    let db = build(tmp.path());
    assert_eq!(
        ids(&db.advisories("Alpine:v3.19", "curl").unwrap()),
        ["ALPINE-CVE-2023-38545"]
    );
    assert!(db.advisories("Alpine:v3.17", "curl").unwrap().is_empty());
}

#[test]
fn pypi_names_aliases_and_scores() {
    let tmp = tempfile::tempdir().unwrap();
    let db = build(tmp.path());
    // PYSEC spells the project "Requests"; PEP 503 makes every spelling meet.
    for name in ["requests", "Requests", "REQUESTS"] {
        let advs = db.advisories("PyPI", name).unwrap();
        assert_eq!(
            ids(&advs),
            [
                "GHSA-652x-xj99-gmcc",
                "GHSA-j8r2-6x86-q33q",
                "PYSEC-2023-74"
            ],
            "{name}"
        );
    }
    let advs = db.advisories("PyPI", "requests").unwrap();
    let v2 = &advs[0].record.severity[0];
    assert_eq!(
        (v2.kind.as_str(), v2.cvss_version.as_deref(), v2.base_score),
        ("CVSS_V2", Some("2.0"), Some(5.0))
    );
    let ghsa = &advs[1];
    assert_eq!(ghsa.record.severity_label.as_deref(), Some("MODERATE"));
    assert_eq!(ghsa.record.severity[0].base_score, Some(6.1));
    assert_eq!(
        ghsa.affected[0].vendor_severity.as_deref(),
        Some("MODERATE")
    );
    let dbs: serde_json::Value =
        serde_json::from_str(ghsa.record.database_specific.as_deref().unwrap()).unwrap();
    assert_eq!(dbs["cwe_ids"][0], "CWE-200");
    assert_eq!(
        ghsa.record.summary.as_deref(),
        Some("Unintended leak of Proxy-Authorization header in requests")
    );
    // The PYSEC record's GIT range is kept beside its ECOSYSTEM range.
    let pysec = &advs[2];
    assert_eq!(pysec.affected[0].name, "Requests");
    let kinds: Vec<RangeKind> = pysec.affected[0].ranges.iter().map(|r| r.kind).collect();
    assert_eq!(kinds, [RangeKind::Ecosystem, RangeKind::Git]);
    assert_eq!(
        pysec.affected[0].ranges[1].repo.as_deref(),
        Some("https://github.com/psf/requests")
    );

    assert_eq!(
        db.ids_by_alias("CVE-2023-32681").unwrap(),
        ["GHSA-j8r2-6x86-q33q", "PYSEC-2023-74"]
    );
    assert_eq!(
        db.ids_by_alias("GHSA-j8r2-6x86-q33q").unwrap(),
        ["PYSEC-2023-74"]
    );
    assert_eq!(
        db.ids_by_alias("CVE-2023-4863").unwrap(),
        ["DEBIAN-CVE-2023-4863", "DSA-5497-1", "UBUNTU-CVE-2023-4863"]
    );
    let rec = db.record("PYSEC-2023-74").unwrap().unwrap();
    assert_eq!(rec.cves(), ["CVE-2023-32681"]);
    assert!(db.record("PYSEC-0000-0").unwrap().is_none());
}

#[test]
fn one_record_across_ecosystems_is_stored_once() {
    let tmp = tempfile::tempdir().unwrap();
    let db = build(tmp.path());
    let py = db.advisories("PyPI", "JupyterLab").unwrap();
    assert_eq!(ids(&py), ["GHSA-44cc-43rp-5947"]);
    // Two affected entries for one package stay two entries.
    assert_eq!(py[0].affected.len(), 2);
    assert_eq!(
        ids(&db.advisories("PyPI", "notebook").unwrap()),
        ["GHSA-44cc-43rp-5947"]
    );
    let npm = db.advisories("npm", "@jupyterlab/apputils").unwrap();
    assert_eq!(ids(&npm), ["GHSA-44cc-43rp-5947"]);
    assert_eq!(npm[0].affected[0].ranges[0].kind, RangeKind::Semver);
    let status = db.status().unwrap();
    assert_eq!(status.records, 14);
}

#[test]
fn withdrawn_records_are_kept_but_not_returned() {
    let tmp = tempfile::tempdir().unwrap();
    let db = build(tmp.path());
    assert!(db.advisories("npm", "semver").unwrap().is_empty());
    let all = db
        .lookup(&Lookup {
            ecosystem: "npm",
            name: "semver",
            whole_base: false,
            include_withdrawn: true,
        })
        .unwrap();
    assert_eq!(ids(&all), ["GHSA-c2qf-rxjj-qqgw"]);
    assert_eq!(
        all[0].record.withdrawn.as_deref(),
        Some("2023-06-22T00:00:00Z")
    );
    let status = db.status().unwrap();
    assert_eq!(status.withdrawn, 1);
    // What scans report agrees with `db status`, withdrawn records counted.
    let info = db.scan_info().unwrap();
    assert!(info.records > 1);
    assert_eq!(
        (info.records, &info.built_at, info.sources.len()),
        (status.records, &status.built_at, status.sources.len())
    );
    assert!(info.built_at.is_some());
    // A database from before `meta.records`: the count is made instead.
    drop(db);
    let path = tmp.path().join("vuln.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute("DELETE FROM meta WHERE key = 'records'", [])
        .unwrap();
    drop(conn);
    assert_eq!(
        Db::open(&path).unwrap().scan_info().unwrap().records,
        status.records
    );
}

#[test]
fn cvss_v4_rustsec_go_and_maven() {
    let tmp = tempfile::tempdir().unwrap();
    let db = build(tmp.path());
    let dp = db.advisories("npm", "DOMPurify").unwrap();
    assert_eq!(ids(&dp), ["GHSA-gx9m-whjm-85jf"]);
    let v4 = &dp[0].record.severity[1];
    assert_eq!(v4.kind, "CVSS_V4");
    assert_eq!(v4.cvss_version.as_deref(), Some("4.0"));
    let s = v4.base_score.unwrap();
    assert!((0.0..=10.0).contains(&s) && s > 0.0, "{s}");
    assert_eq!(dp[0].record.severity_label.as_deref(), Some("HIGH"));

    let rs = db.advisories("crates.io", "time").unwrap();
    assert_eq!(ids(&rs), ["RUSTSEC-2020-0071"]);
    assert_eq!(rs[0].record.severity[0].base_score, Some(5.9));
    assert_eq!(
        rs[0].record.aliases,
        ["CVE-2020-26235", "GHSA-wcg3-cvx6-7396"]
    );
    assert!(
        rs[0].affected[0]
            .database_specific_json()
            .unwrap()
            .contains("memory-corruption")
    );

    let go = db.advisories("Go", "stdlib").unwrap();
    assert_eq!(ids(&go), ["GO-2022-0969"]);
    assert_eq!(go[0].affected[0].ranges[0].events.len(), 4);
    assert!(
        go[0].affected[0]
            .ecosystem_specific_json()
            .unwrap()
            .contains("\"path\":\"net/http\"")
    );
    assert_eq!(
        ids(&db.advisories("Go", "golang.org/x/net").unwrap()),
        ["GO-2022-0969"]
    );
    // Go module paths are case-sensitive.
    assert!(db.advisories("Go", "golang.org/X/net").unwrap().is_empty());

    let mv = db
        .advisories("Maven", "org.apache.logging.log4j:log4j-core")
        .unwrap();
    assert_eq!(ids(&mv), ["GHSA-jfh8-c2jp-5v3q"]);
    assert_eq!(mv[0].record.max_cvss, Some(10.0));
    assert_eq!(
        mv[0].affected[0].vendor_severity.as_deref(),
        Some("CRITICAL")
    );
}

#[test]
fn kev_epss_and_status() {
    let tmp = tempfile::tempdir().unwrap();
    let db = build(tmp.path());
    let kev = db.kev("CVE-2021-44228").unwrap().unwrap();
    assert!(kev.known_ransomware);
    assert_eq!(kev.date_added, "2021-12-10");
    assert_eq!(kev.due_date.as_deref(), Some("2021-12-24"));
    assert_eq!(kev.product.as_deref(), Some("Log4j2"));
    assert!(!db.kev("CVE-2023-4863").unwrap().unwrap().known_ransomware);
    assert!(db.kev("CVE-2023-32681").unwrap().is_none());
    let e = db.epss("CVE-2023-4863").unwrap().unwrap();
    assert_eq!((e.score, e.percentile), (0.39526, 0.97212));
    assert!(db.epss("CVE-1999-0001").unwrap().is_none());

    let st = db.status().unwrap();
    assert_eq!(st.schema_version, plimsoll_vulndb::SCHEMA_VERSION);
    assert!(st.built_at.as_deref().unwrap().ends_with('Z'));
    assert_eq!((st.kev_entries, st.epss_scores), (3, 4));
    let kev_src = st.sources.iter().find(|s| s.name == "kev").unwrap();
    assert_eq!(kev_src.records, 3);
    assert_eq!(
        kev_src.details.as_ref().unwrap()["catalog_version"],
        "2025.03.14"
    );
    let epss_src = st.sources.iter().find(|s| s.name == "epss").unwrap();
    assert_eq!(
        epss_src.details.as_ref().unwrap()["model_version"],
        "v2025.03.14"
    );
    assert_eq!(
        epss_src.details.as_ref().unwrap()["score_date"],
        "2025-03-14T12:55:00Z"
    );
    let osv_src = st.sources.iter().find(|s| s.kind == "osv").unwrap();
    assert!(osv_src.name.starts_with("import:"));
    assert!(osv_src.url.as_deref().unwrap().ends_with("fixtures/osv"));
    assert!(osv_src.fetched_at.is_some());
    assert!(kev_src.fetched_at.is_some());
    assert_eq!(osv_src.records, 14);
    let count = |e: &str| st.ecosystems.iter().find(|(k, _)| k == e).map(|(_, n)| *n);
    assert_eq!(count("Debian:12"), Some(3));
    assert_eq!(count("Debian:13"), Some(1));
    assert_eq!(count("PyPI"), Some(4));
    assert_eq!(count("npm"), Some(3));
}

#[test]
fn blocklists_import_by_content_and_are_looked_up_by_hash() {
    let tmp = tempfile::tempdir().unwrap();
    let db_path = tmp.path().join("b.db");
    let eicar = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f";
    let list = tmp.path().join("list.txt");
    std::fs::write(
        &list,
        format!(
            "# ours\n{} EICAR\n{}\n",
            eicar.to_uppercase(),
            "e".repeat(64)
        ),
    )
    .unwrap();
    let csv = tmp.path().join("full.csv");
    std::fs::write(
        &csv,
        format!(
            "################################################################\n\
             # MalwareBazaar full malware samples dump (CSV)                #\n\
             ################################################################\n\
             #\n\
             # \"first_seen_utc\",\"sha256_hash\",\"md5_hash\",\"sha1_hash\",\"reporter\",\"file_name\",\"file_type_guess\",\"mime_type\",\"signature\",\"clamav\",\"vtpercent\",\"imphash\",\"ssdeep\",\"tlsh\"\n\
             \"2026-11-30 08:03:12\", \"{eicar}\", \"n/a\", \"n/a\", \"abuse_ch\", \"eicar.com\", \"com\", \"text/plain\", \"n/a\", \"n/a\", \"n/a\", \"n/a\", \"n/a\", \"n/a\"\n"
        ),
    )
    .unwrap();
    assert_eq!(
        plimsoll_vulndb::sniff(&list).unwrap(),
        plimsoll_vulndb::InputKind::Blocklist
    );
    assert_eq!(
        plimsoll_vulndb::sniff(&csv).unwrap(),
        plimsoll_vulndb::InputKind::Blocklist
    );
    let mut b = Builder::create(&db_path).unwrap();
    let s = import_paths(&mut b, &[list.clone(), csv.clone()]).unwrap();
    assert_eq!(s.blocklist_hashes, 3);
    b.commit().unwrap();
    let db = Db::open(&db_path).unwrap();
    let hits = db.blocklisted(eicar).unwrap();
    let names: Vec<_> = hits.iter().map(|h| h.name.as_deref()).collect();
    assert_eq!(names, [Some("eicar.com"), Some("EICAR")], "{hits:?}");
    assert!(hits[0].source.ends_with("full.csv") && hits[0].source.starts_with("blocklist:"));
    assert_eq!(db.blocklisted(&"e".repeat(64)).unwrap().len(), 1);
    assert!(db.blocklisted(&"0".repeat(64)).unwrap().is_empty());
    // Importing the list again with other hashes replaces that list's hashes only.
    std::fs::write(&list, format!("{}\n", "d".repeat(64))).unwrap();
    let mut b = Builder::update(&db_path).unwrap();
    import_paths(&mut b, &[list]).unwrap();
    b.commit().unwrap();
    let db = Db::open(&db_path).unwrap();
    assert_eq!(db.blocklisted(eicar).unwrap().len(), 1);
    assert!(db.blocklisted(&"e".repeat(64)).unwrap().is_empty());
    assert_eq!(db.blocklisted(&"d".repeat(64)).unwrap().len(), 1);
}
