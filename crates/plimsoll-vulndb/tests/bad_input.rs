//! Malformed records, oversized files, zip bombs, truncated archives: clear messages naming
//! the input and record, and the rest imported.

mod common;

use common::*;
use plimsoll_vulndb::{Builder, Db, Limits, import_paths, sniff};

const GOOD: &str = r#"{"id":"GHSA-good-good-good","modified":"2024-01-01T00:00:00Z",
  "affected":[{"package":{"ecosystem":"npm","name":"left-pad"},
  "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.3.0"}]}]}]}"#;

#[test]
fn malformed_records_are_skipped_with_their_id_and_the_rest_imported() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("osv");
    std::fs::create_dir_all(dir.join("nested/deeper")).unwrap();
    std::fs::write(dir.join("good.json"), GOOD).unwrap();
    std::fs::write(
        dir.join("wrong-types.json"),
        r#"{"id":"GHSA-bad1-bad1-bad1","modified":"2024-01-01T00:00:00Z","aliases":5}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("nested/no-id.json"),
        r#"{"modified":"2024-01-01T00:00:00Z"}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("nested/no-modified.json"),
        r#"{"id":"PYSEC-2099-1"}"#,
    )
    .unwrap();
    std::fs::write(dir.join("nested/deeper/garbage.json"), b"\x00\xffnot json").unwrap();
    std::fs::write(dir.join("nested/notes.txt"), "ignored: not *.json").unwrap();
    // One unknown range type and one malformed event: the record stays, those ranges go.
    std::fs::write(
        dir.join("nested/unknown-range.json"),
        r#"{"id":"GHSA-rang-rang-rang","modified":"2024-01-01T00:00:00Z",
        "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:BOGUS"}],
        "affected":[{"package":{"ecosystem":"PyPI","name":"flask"},
          "ranges":[{"type":"FUTURE_KIND","events":[{"introduced":"0"}]},
                    {"type":"ECOSYSTEM","events":[{"introduced":"0","fixed":"1"}]},
                    {"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.2.5"}]}]}]}"#,
    )
    .unwrap();
    let target = tmp.path().join("vuln.db");
    let mut b = Builder::create(&target).unwrap();
    let s = import_paths(&mut b, &[dir]).unwrap();
    b.commit().unwrap();
    assert_eq!(s.records_imported, 2, "{s:#?}");
    assert_eq!(s.skipped_count, 4, "{s:#?}");
    let find = |file: &str| s.skipped.iter().find(|k| k.input.ends_with(file)).unwrap();
    let wrong = find("wrong-types.json");
    assert_eq!(wrong.id.as_deref(), Some("GHSA-bad1-bad1-bad1"));
    assert!(wrong.reason.contains("invalid type"), "{}", wrong.reason);
    assert!(find("no-id.json").reason.contains("no `id`"));
    let nm = find("no-modified.json");
    assert_eq!(
        (nm.id.as_deref(), nm.reason.as_str()),
        (Some("PYSEC-2099-1"), "record has no `modified`")
    );
    assert!(
        find("garbage.json")
            .to_string()
            .contains("not a valid OSV record")
    );
    assert_eq!(s.warning_count, 3, "{:#?}", s.warnings);
    assert!(s.warnings.iter().all(|w| w.contains("GHSA-rang-rang-rang")));
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains("range 0 skipped") && w.contains("FUTURE_KIND"))
    );
    assert!(s.warnings.iter().any(|w| w.contains("range 1 skipped")));
    assert!(s.warnings.iter().any(|w| w.contains("not scored")));

    let db = Db::open(&target).unwrap();
    let flask = db.advisories("PyPI", "Flask").unwrap();
    assert_eq!(flask.len(), 1);
    assert_eq!(flask[0].affected[0].skipped_ranges, 2);
    assert_eq!(flask[0].affected[0].ranges.len(), 1);
    assert_eq!(flask[0].record.severity[0].base_score, None);
    assert_eq!(
        ids(&db.advisories("npm", "left-pad").unwrap()),
        ["GHSA-good-good-good"]
    );
}

#[test]
fn oversized_records_are_refused_by_declared_and_actual_size() {
    let tmp = tempfile::tempdir().unwrap();
    let limits = Limits {
        max_record_bytes: 4096,
        ..Limits::default()
    };
    let padded = GOOD.replace("left-pad", &format!("left-pad{}", "x".repeat(5000)));
    let dir = tmp.path().join("osv");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("big.json"), &padded).unwrap();
    std::fs::write(dir.join("good.json"), GOOD).unwrap();
    let zip = tmp.path().join("all.zip");
    write_zip(
        &zip,
        &[
            ("big.json".into(), padded.clone().into_bytes()),
            ("good.json".into(), GOOD.as_bytes().to_vec()),
        ],
    );
    let mut b = Builder::create(&tmp.path().join("v.db"))
        .unwrap()
        .with_limits(limits);
    let s = import_paths(&mut b, &[dir, zip]).unwrap();
    assert_eq!(s.records_imported + s.records_kept, 2, "{s:#?}");
    assert_eq!(s.skipped_count, 2);
    assert!(
        s.skipped.iter().any(
            |k| k.input.ends_with("big.json") && k.reason.contains("over the per-record limit")
        )
    );
    assert!(
        s.skipped
            .iter()
            .any(|k| k.input.ends_with("all.zip:big.json") && k.reason.contains("declares"))
    );
}

#[test]
fn a_zip_bomb_stops_at_the_archive_limit_and_deletes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("v.db");
    let first = tmp.path().join("first.zip");
    write_zip(&first, &[("good.json".into(), GOOD.as_bytes().to_vec())]);
    let mut b = Builder::create(&target).unwrap();
    b.import_osv_zip("osv:npm", &first, true).unwrap();
    b.commit().unwrap();

    // 200 entries of 1 MiB of spaces around a record: ~1 KiB each compressed.
    let filler = {
        let mut v = b"{\"id\":\"X\",\"modified\":\"2024-01-01T00:00:00Z\"".to_vec();
        v.extend(std::iter::repeat_n(b' ', 1 << 20));
        v.push(b'}');
        v
    };
    let entries: Vec<(String, Vec<u8>)> = (0..200)
        .map(|i| (format!("bomb-{i}.json"), filler.clone()))
        .collect();
    let bomb = tmp.path().join("bomb.zip");
    write_zip(&bomb, &entries);
    assert!(std::fs::metadata(&bomb).unwrap().len() < 2 << 20);
    let mut b = Builder::update(&target).unwrap().with_limits(Limits {
        max_archive_bytes: 8 << 20,
        ..Limits::default()
    });
    let s = b.import_osv_zip("osv:npm", &bomb, true).unwrap();
    assert!(s.records_imported <= 8, "{}", s.records_imported);
    assert!(
        s.warnings.iter().any(|w| w.contains("zip bomb")),
        "{:#?}",
        s.warnings
    );
    // The damaged replacement did not delete the record the previous zip had.
    assert!(
        s.warnings.iter().any(|w| w.contains("were kept")),
        "{:#?}",
        s.warnings
    );
    b.commit().unwrap();
    let db = Db::open(&target).unwrap();
    assert_eq!(
        ids(&db.advisories("npm", "left-pad").unwrap()),
        ["GHSA-good-good-good"]
    );
}

#[test]
fn an_input_that_yields_nothing_is_an_error_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = tmp.path().join("all.zip");
    write_zip(&zip, &entries_of("debian"));
    let bytes = std::fs::read(&zip).unwrap();
    let cut = tmp.path().join("cut.zip");
    std::fs::write(&cut, &bytes[..bytes.len() - 40]).unwrap();
    let unknown = tmp.path().join("notes.bin");
    std::fs::write(&unknown, b"\x7fELF\x02\x01\x01").unwrap();
    let empty = tmp.path().join("empty.json");
    std::fs::write(&empty, b"").unwrap();
    let missing = tmp.path().join("missing.zip");
    let empty_dir = tmp.path().join("empty-dir");
    std::fs::create_dir_all(&empty_dir).unwrap();
    let no_records = tmp.path().join("array.json");
    std::fs::write(
        &no_records,
        br#"[{"id": "X-1"}, {"modified": "2024-01-01T00:00:00Z"}]"#,
    )
    .unwrap();
    // A MalwareBazaar export with its header and no row.
    let header_only = tmp.path().join("recent.csv");
    std::fs::write(
        &header_only,
        "# \"first_seen_utc\",\"sha256_hash\",\"md5_hash\",\"file_name\",\"signature\"\n",
    )
    .unwrap();
    let sbom = tmp.path().join("bom.json");
    std::fs::write(
        &sbom,
        br#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": []}"#,
    )
    .unwrap();
    for (bad, why) in [
        (&cut, "not a readable zip archive"),
        (&unknown, "not an OSV JSON file"),
        (&empty, "empty file"),
        (&missing, "No such file"),
        (
            &empty_dir,
            "no OSV record, KEV entry, EPSS score, blocklisted hash or NVD CVE found",
        ),
        (&header_only, "no sha256 hash found"),
        (&no_records, "nothing could be imported: 2 entries skipped"),
        (&sbom, "a CycloneDX SBOM, not vulnerability data"),
    ] {
        let mut b = Builder::create(&tmp.path().join("v.db")).unwrap();
        // Before or after a good input: the import fails either way.
        for paths in [[zip.clone(), bad.clone()], [bad.clone(), zip.clone()]] {
            let e = import_paths(&mut b, &paths).unwrap_err().to_string();
            let name = bad.file_name().unwrap().to_str().unwrap();
            assert!(e.contains(name) && e.contains(why), "{bad:?}: {e}");
        }
    }
    let mut b = Builder::create(&tmp.path().join("v.db")).unwrap();
    let s = import_paths(&mut b, &[zip]).unwrap();
    assert_eq!(s.records_imported, 3);
    b.commit().unwrap();
}

#[test]
fn kev_and_epss_inputs_are_sniffed_and_bad_rows_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let kev = fixtures().join("feeds/known_exploited_vulnerabilities.json");
    assert_eq!(sniff(&kev).unwrap(), plimsoll_vulndb::InputKind::Kev);
    let csv = tmp.path().join("epss.csv");
    let mut text = String::from_utf8(fixture("feeds/epss_scores-2025-03-14.csv")).unwrap();
    text.push_str("CVE-2024-9999,1.7,0.5\nnonsense\n");
    std::fs::write(&csv, text).unwrap();
    assert_eq!(sniff(&csv).unwrap(), plimsoll_vulndb::InputKind::EpssCsv);
    let mut feed: serde_json::Value =
        serde_json::from_slice(&fixture("feeds/known_exploited_vulnerabilities.json")).unwrap();
    feed["vulnerabilities"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"cveID": 7}));
    let kev2 = tmp.path().join("kev.json");
    std::fs::write(&kev2, serde_json::to_vec(&feed).unwrap()).unwrap();
    let target = tmp.path().join("v.db");
    let mut b = Builder::create(&target).unwrap();
    let s = import_paths(&mut b, &[kev2, csv]).unwrap();
    assert_eq!(
        (s.kev_entries, s.epss_scores, s.skipped_count),
        (3, 4, 3),
        "{s:#?}"
    );
    assert!(
        s.skipped
            .iter()
            .any(|k| k.input.ends_with("vulnerabilities[3]"))
    );
    assert!(s.skipped.iter().any(|k| k.input.ends_with("line 7")));
    // A broken feed does not wipe what the database had.
    let broken = tmp.path().join("broken.json");
    std::fs::write(
        &broken,
        br#"{"catalogVersion":"x","vulnerabilities":[{"nope":1}]}"#,
    )
    .unwrap();
    let e = import_paths(&mut b, &[broken]).unwrap_err().to_string();
    assert!(
        e.contains("broken.json") && e.contains("existing KEV data is kept"),
        "{e}"
    );
    b.commit().unwrap();
    assert_eq!(Db::open(&target).unwrap().status().unwrap().kev_entries, 3);
}

/// Issue 12, item 7: one record with 20,000 distinct affected packages. Grouping its
/// packages was quadratic (100,000 took 40 s in release); it must import, and each package
/// must be found. No time is asserted: the structure is (see `osv::parse_record`).
#[test]
fn a_record_with_20000_packages_imports_and_each_is_found() {
    let tmp = tempfile::tempdir().unwrap();
    let n = 20_000;
    let affected: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            serde_json::json!({
                "package": {"ecosystem": "PyPI", "name": format!("crafted-{i}")},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0"}]}]
            })
        })
        .collect();
    let rec = serde_json::json!({
        "id": "CRAFTED-1", "modified": "2025-01-01T00:00:00Z", "affected": affected
    });
    let file = tmp.path().join("crafted.json");
    std::fs::write(&file, serde_json::to_vec(&rec).unwrap()).unwrap();
    let target = tmp.path().join("v.db");
    let mut b = Builder::create(&target).unwrap();
    let s = import_paths(&mut b, &[file]).unwrap();
    assert_eq!((s.records_imported, s.skipped_count), (1, 0), "{s:#?}");
    b.commit().unwrap();
    let db = Db::open(&target).unwrap();
    for name in ["crafted-0", "Crafted_9999", "crafted-19999"] {
        assert_eq!(
            ids(&db.advisories("PyPI", name).unwrap()),
            ["CRAFTED-1"],
            "{name}"
        );
    }
    assert_eq!(db.ecosystems().unwrap(), [("PyPI".to_string(), 1)]);
}
