//! Incremental updates (`fetch::EcosystemUpdate`), atomic replacement, export/import and the
//! on-the-fly cache.

mod common;

use common::*;
use plimsoll_vulndb::fetch::{EcosystemUpdate, SourceState};
use plimsoll_vulndb::{Builder, Db, Error, cached_db_for, export, import_paths, osv_source_name};

fn state(url: &str) -> SourceState {
    SourceState {
        url: url.into(),
        etag: Some("\"abc\"".into()),
        last_modified: None,
        newest_modified: Some("2024-11-18T16:26:26Z".into()),
        fetched_at: "2025-03-14T10:00:00Z".into(),
    }
}

fn pypi_npm(dir: &std::path::Path) -> std::path::PathBuf {
    let target = dir.join("vuln.db");
    let pypi = dir.join("PyPI-all.zip");
    let npm = dir.join("npm-all.zip");
    write_zip(&pypi, &entries_of("pypi"));
    write_zip(&npm, &entries_of("npm"));
    let mut b = Builder::create(&target).unwrap();
    let s = b
        .apply(
            &osv_source_name("PyPI"),
            EcosystemUpdate::Full {
                zip: tempfile::TempPath::try_from_path(pypi).unwrap(),
                state: state("https://osv.example/PyPI/all.zip"),
            },
        )
        .unwrap();
    assert_eq!((s.records_imported, s.skipped_count), (4, 0));
    let s = b
        .apply(
            &osv_source_name("npm"),
            EcosystemUpdate::Full {
                zip: tempfile::TempPath::try_from_path(npm).unwrap(),
                state: state("https://osv.example/npm/all.zip"),
            },
        )
        .unwrap();
    // GHSA-44cc-43rp-5947 is in both zips with the same `modified`: rewritten, not doubled.
    assert_eq!(s.records_imported, 3);
    b.commit().unwrap();
    target
}

#[test]
fn full_replacement_keeps_records_another_source_still_has() {
    let tmp = tempfile::tempdir().unwrap();
    let target = pypi_npm(tmp.path());
    let db = Db::open(&target).unwrap();
    let st = db.status().unwrap();
    assert_eq!(st.records, 6);
    let src = |n: &str| st.sources.iter().find(|s| s.name == n).unwrap().clone();
    assert_eq!(src("osv:PyPI").records, 4);
    assert_eq!(src("osv:npm").records, 3);
    assert_eq!(
        src("osv:PyPI").state.unwrap().etag.as_deref(),
        Some("\"abc\"")
    );
    assert_eq!(
        src("osv:npm").fetched_at.as_deref(),
        Some("2025-03-14T10:00:00Z")
    );
    drop(db);

    // The next PyPI zip no longer has the jupyterlab GHSA nor GHSA-j8r2-6x86-q33q.
    let smaller: Vec<_> = entries_of("pypi")
        .into_iter()
        .filter(|(n, _)| !n.starts_with("GHSA-44cc") && !n.starts_with("GHSA-j8r2"))
        .collect();
    let zip = tmp.path().join("PyPI-all-2.zip");
    write_zip(&zip, &smaller);
    let mut b = Builder::update(&target).unwrap();
    let s = b
        .apply(
            "osv:PyPI",
            EcosystemUpdate::Full {
                zip: tempfile::TempPath::try_from_path(zip).unwrap(),
                state: state("https://osv.example/PyPI/all.zip"),
            },
        )
        .unwrap();
    assert_eq!(s.records_removed, 1, "{s:#?}");
    b.commit().unwrap();
    let db = Db::open(&target).unwrap();
    assert_eq!(
        ids(&db.advisories("PyPI", "requests").unwrap()),
        ["GHSA-652x-xj99-gmcc", "PYSEC-2023-74"]
    );
    // Still delivered by npm, so still there, PyPI entries included.
    assert_eq!(
        ids(&db.advisories("PyPI", "jupyterlab").unwrap()),
        ["GHSA-44cc-43rp-5947"]
    );
    let st = db.status().unwrap();
    assert_eq!(st.records, 5);
    assert_eq!(
        st.sources
            .iter()
            .find(|s| s.name == "osv:PyPI")
            .unwrap()
            .records,
        2
    );
    assert!(db.ids_by_alias("CVE-2023-32681").unwrap() == ["PYSEC-2023-74"]);
}

#[test]
fn changed_records_upsert_and_newer_copies_win() {
    let tmp = tempfile::tempdir().unwrap();
    let target = pypi_npm(tmp.path());
    let mut newer: serde_json::Value =
        serde_json::from_slice(&fixture("osv/pypi/GHSA-j8r2-6x86-q33q.json")).unwrap();
    newer["modified"] = "2025-01-01T00:00:00Z".into();
    newer["affected"][0]["ranges"][0]["events"][1]["fixed"] = "2.31.1".into();
    let mut older: serde_json::Value =
        serde_json::from_slice(&fixture("osv/npm/GHSA-gx9m-whjm-85jf.json")).unwrap();
    older["modified"] = "2020-01-01T00:00:00Z".into();
    older["summary"] = "stale".into();
    let fresh =
        br#"{"id":"PYSEC-2025-1","modified":"2025-02-01T00:00:00Z","aliases":["CVE-2025-0001"],
        "affected":[{"package":{"ecosystem":"PyPI","name":"Zope.Interface"},
        "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"6.0"}]}]}]}"#;
    let mut b = Builder::update(&target).unwrap();
    let s = b
        .apply(
            "osv:PyPI",
            EcosystemUpdate::Changed {
                records: vec![
                    (
                        "GHSA-j8r2-6x86-q33q".into(),
                        serde_json::to_vec(&newer).unwrap(),
                    ),
                    (
                        "GHSA-gx9m-whjm-85jf".into(),
                        serde_json::to_vec(&older).unwrap(),
                    ),
                    ("PYSEC-2025-1".into(), fresh.to_vec()),
                ],
                state: state("https://osv.example/PyPI/modified_id.csv"),
            },
        )
        .unwrap();
    assert_eq!((s.records_imported, s.records_kept), (2, 1));
    assert_eq!(
        b.source_state("osv:PyPI").unwrap().unwrap().url,
        "https://osv.example/PyPI/modified_id.csv"
    );
    let s = b
        .apply(
            "osv:npm",
            EcosystemUpdate::Unchanged {
                state: SourceState {
                    fetched_at: "2025-03-15T00:00:00Z".into(),
                    ..state("https://osv.example/npm/all.zip")
                },
            },
        )
        .unwrap();
    assert_eq!(s.records_imported, 0);
    b.commit().unwrap();

    let db = Db::open(&target).unwrap();
    let advs = db.advisories("PyPI", "requests").unwrap();
    let ghsa = advs
        .iter()
        .find(|a| a.record.id == "GHSA-j8r2-6x86-q33q")
        .unwrap();
    assert_eq!(ghsa.record.modified, "2025-01-01T00:00:00Z");
    assert_eq!(
        ghsa.affected[0].ranges[0].events[1],
        plimsoll_version::osv::Event::Fixed("2.31.1".into())
    );
    let dp = db.advisories("npm", "dompurify").unwrap();
    assert_ne!(dp[0].record.summary.as_deref(), Some("stale"));
    assert_eq!(
        ids(&db.advisories("PyPI", "zope-interface").unwrap()),
        ["PYSEC-2025-1"]
    );
    let st = db.status().unwrap();
    let npm = st.sources.iter().find(|s| s.name == "osv:npm").unwrap();
    assert_eq!(npm.fetched_at.as_deref(), Some("2025-03-15T00:00:00Z"));
    assert_eq!(npm.records, 3);
}

#[test]
fn an_unfinished_build_leaves_the_old_database_and_no_temporary_file() {
    let tmp = tempfile::tempdir().unwrap();
    let target = pypi_npm(tmp.path());
    let before = std::fs::read(&target).unwrap();
    {
        let mut b = Builder::update(&target).unwrap();
        let zip = tmp.path().join("more.zip");
        write_zip(&zip, &entries_of("debian"));
        b.import_osv_zip("osv:Debian", &zip, true).unwrap();
        // Dropped without commit: a crash, an error, a cancelled update.
    }
    assert_eq!(std::fs::read(&target).unwrap(), before);
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // Readers that opened the old file keep reading it while a new one is renamed in place.
    let reader = Db::open(&target).unwrap();
    let mut b = Builder::create(&target).unwrap();
    import_paths(&mut b, &[osv_dir().join("debian")]).unwrap();
    b.commit().unwrap();
    assert_eq!(reader.status().unwrap().records, 6);
    assert_eq!(Db::open(&target).unwrap().status().unwrap().records, 3);
}

#[test]
fn export_then_import_round_trips() {
    let tmp = tempfile::tempdir().unwrap();
    let target = pypi_npm(tmp.path());
    let out = tmp.path().join("plimsoll-db.zst");
    let n = export(&target, &out).unwrap();
    assert_eq!(n, std::fs::metadata(&out).unwrap().len());
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.starts_with(plimsoll_vulndb::EXPORT_MAGIC));
    assert!(bytes.len() < std::fs::metadata(&target).unwrap().len() as usize);

    let other = tmp.path().join("air-gapped/vuln.db");
    let mut b = Builder::create(&other).unwrap();
    let s = import_paths(
        &mut b,
        &[
            out.clone(),
            fixtures().join("feeds/known_exploited_vulnerabilities.json"),
        ],
    )
    .unwrap();
    assert!(s.replaced_by_export);
    assert_eq!(s.kev_entries, 3);
    b.commit().unwrap();
    let db = Db::open(&other).unwrap();
    assert_eq!(db.status().unwrap().records, 6);
    assert_eq!(ids(&db.advisories("PyPI", "requests").unwrap()).len(), 3);
    assert!(db.kev("CVE-2021-44228").unwrap().is_some());

    // An export from a newer schema is refused before anything is decompressed.
    let mut newer = bytes.clone();
    newer[20..24].copy_from_slice(&99u32.to_le_bytes());
    let newer_path = tmp.path().join("newer.zst");
    std::fs::write(&newer_path, &newer).unwrap();
    let mut b = Builder::create(&tmp.path().join("x.db")).unwrap();
    let e = import_paths(&mut b, &[newer_path]).unwrap_err();
    assert!(matches!(e, Error::NewerSchema { found: 99, .. }), "{e}");

    // A truncated export, and one with a bit flipped inside its zstd frame, are refused
    // with a message naming them.
    let cut = tmp.path().join("cut.zst");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let mut flipped = bytes.clone();
    let mid = 32 + (bytes.len() - 32) / 2;
    flipped[mid] ^= 0x01;
    let flipped_path = tmp.path().join("flipped.zst");
    std::fs::write(&flipped_path, &flipped).unwrap();
    // An export written before exports had a checksum, of a database damaged inside: the
    // zstd frame is intact, the database is not, and SQLite's check catches it.
    let mut db_bytes = std::fs::read(&target).unwrap();
    let size = db_bytes.len();
    let page = 4096 * (size / 4096 / 2);
    db_bytes[page..page + 4096].fill(0xa5);
    let mut old_style = bytes[..32].to_vec();
    old_style[24..32].copy_from_slice(&(size as u64).to_le_bytes());
    old_style.extend(zstd::encode_all(&db_bytes[..], 3).unwrap());
    let old_style_path = tmp.path().join("old-style-damaged.zst");
    std::fs::write(&old_style_path, &old_style).unwrap();
    for bad in [cut, flipped_path, old_style_path] {
        let e = import_paths(&mut b, std::slice::from_ref(&bad))
            .unwrap_err()
            .to_string();
        let name = bad.file_name().unwrap().to_str().unwrap();
        assert!(
            e.contains(name) && (e.contains("damaged") || e.contains("truncated")),
            "{e}"
        );
    }
}

#[test]
fn cached_database_is_reused_until_the_input_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let osv = tmp.path().join("osv");
    std::fs::create_dir_all(&osv).unwrap();
    for (name, bytes) in entries_of("pypi") {
        std::fs::write(osv.join(name), bytes).unwrap();
    }
    let cache = tmp.path().join("cache");
    let (db1, built) = cached_db_for(&osv, &cache).unwrap();
    assert_eq!(built.unwrap().records_imported, 4);
    let (db2, built) = cached_db_for(&osv, &cache).unwrap();
    assert_eq!(db1, db2);
    assert!(built.is_none());
    std::fs::write(
        osv.join("GO-2022-0969.json"),
        fixture("osv/go/GO-2022-0969.json"),
    )
    .unwrap();
    let (db3, built) = cached_db_for(&osv, &cache).unwrap();
    assert_ne!(db3, db1);
    assert_eq!(built.unwrap().records_imported, 5);
    assert_eq!(
        ids(&Db::open(&db3).unwrap().advisories("Go", "stdlib").unwrap()),
        ["GO-2022-0969"]
    );
    // A database file is used as it is.
    let (same, built) = cached_db_for(&db3, &cache).unwrap();
    assert_eq!((same, built.is_none()), (db3, true));
}

#[test]
fn databases_that_cannot_be_read_are_refused_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let junk = tmp.path().join("junk.db");
    std::fs::write(&junk, b"this is not a database at all, just text").unwrap();
    let e = Db::open(&junk).err().unwrap();
    assert!(matches!(e, Error::NotSqlite { .. }), "{e}");
    assert!(e.to_string().contains("junk.db"));
    // An update never replaces a file it cannot read as a database.
    assert!(Builder::update(&junk).is_err());
    assert_eq!(
        std::fs::read(&junk).unwrap(),
        b"this is not a database at all, just text"
    );

    let target = pypi_npm(tmp.path());
    let newer = tmp.path().join("newer.db");
    std::fs::copy(&target, &newer).unwrap();
    let c = rusqlite::Connection::open(&newer).unwrap();
    c.execute(
        "UPDATE meta SET value = '99' WHERE key = 'schema_version'",
        [],
    )
    .unwrap();
    drop(c);
    let e = Db::open(&newer).err().unwrap();
    assert!(matches!(e, Error::NewerSchema { found: 99, .. }), "{e}");
    assert!(
        e.to_string().contains("newer than this plimsoll reads"),
        "{e}"
    );
    assert!(Builder::update(&newer).is_err());

    let plain = tmp.path().join("plain.db");
    rusqlite::Connection::open(&plain)
        .unwrap()
        .execute_batch("CREATE TABLE t(x)")
        .unwrap();
    let e = Db::open(&plain).err().unwrap();
    assert!(matches!(e, Error::NotPlimsoll { .. }), "{e}");
}
