//! `plimsoll db update|import|export|status` and `--db` on scans: the real binary against a
//! real HTTP server on loopback serving an OSV-shaped bucket (plimsoll-testkit's `Bucket`),
//! with real OSV records reduced to their facts (the vulndb crate's fixtures).

mod common;

use common::{ok_stderr, plimsoll};
use plimsoll_testkit::bucket::{Bucket, Fault};
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../plimsoll-vulndb/tests/fixtures")
}

fn record(rel: &str) -> Vec<u8> {
    std::fs::read(fixtures().join("osv").join(rel)).unwrap()
}

fn status(db: &Path, cache: &Path) -> serde_json::Value {
    let out = plimsoll(
        &["db", "status", "--db", db.to_str().unwrap(), "-f", "json"],
        cache,
    );
    ok_stderr(&out);
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A bucket with PyPI and npm, a KEV feed and an EPSS file.
fn bucket() -> Bucket {
    let b = Bucket::start();
    b.publish(
        "PyPI",
        &[
            record("pypi/GHSA-652x-xj99-gmcc.json"),
            record("pypi/PYSEC-2023-74.json"),
        ],
    );
    b.publish("npm", &[record("npm/GHSA-c2qf-rxjj-qqgw.json")]);
    b.put(
        "kev.json",
        std::fs::read(fixtures().join("feeds/known_exploited_vulnerabilities.json")).unwrap(),
    );
    let csv = std::fs::read(fixtures().join("feeds/epss_scores-2025-03-14.csv")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &csv).unwrap();
    b.put("epss.csv.gz", gz.finish().unwrap());
    b
}

fn update_args<'a>(b: &'a str, db: &'a str, kev: &'a str, epss: &'a str) -> Vec<&'a str> {
    vec![
        "db",
        "update",
        "--db",
        db,
        "--osv-url",
        b,
        "--kev-url",
        kev,
        "--epss-url",
        epss,
        // Fewer retries than the default keeps the failure cases quick.
        "--retries",
        "1",
        "--ecosystems",
        "PyPI,npm",
    ]
}

#[test]
fn update_fetches_in_full_then_only_what_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let b = bucket();
    let url = b.url();
    let (kev, epss) = (format!("{url}/kev.json"), format!("{url}/epss.csv.gz"));
    let db = tmp.path().join("db/plimsoll.db");
    let dbs = db.to_str().unwrap();
    let args = update_args(&url, dbs, &kev, &epss);

    let err = ok_stderr(&plimsoll(&args, tmp.path()));
    assert!(err.contains("osv:PyPI: downloaded in full"), "{err}");
    let st = status(&db, tmp.path());
    assert_eq!(st["ecosystems"]["PyPI"], 2, "{st:#}");
    assert_eq!(st["ecosystems"]["npm"], 1);
    assert!(st["kev_entries"].as_u64().unwrap() > 0, "{st:#}");
    assert!(st["epss_scores"].as_u64().unwrap() > 0, "{st:#}");
    assert_eq!(st["schema_version"], 1);
    assert!(st["age_seconds"].as_u64().unwrap() < 600);

    // Nothing changed: no zip and no feed body is downloaded again.
    b.clear_log();
    let err = ok_stderr(&plimsoll(&args, tmp.path()));
    assert!(err.contains("osv:PyPI: unchanged"), "{err}");
    assert!(
        err.contains("kev: unchanged") && err.contains("epss: unchanged"),
        "{err}"
    );
    let got: Vec<_> = b
        .requests()
        .into_iter()
        .filter(|r| r.status == 200)
        .collect();
    assert!(
        got.iter().all(|r| r.path.ends_with("modified_id.csv")),
        "only the modification lists are read: {got:#?}"
    );

    // One new PyPI record: only it is fetched.
    let mut pysec: serde_json::Value =
        serde_json::from_slice(&record("pypi/GHSA-j8r2-6x86-q33q.json")).unwrap();
    pysec["modified"] = "2030-01-01T00:00:00Z".into();
    b.publish(
        "PyPI",
        &[
            record("pypi/GHSA-652x-xj99-gmcc.json"),
            record("pypi/PYSEC-2023-74.json"),
            serde_json::to_vec(&pysec).unwrap(),
        ],
    );
    b.clear_log();
    let err = ok_stderr(&plimsoll(&args, tmp.path()));
    assert!(err.contains("osv:PyPI: 1 changed records"), "{err}");
    let fetched: Vec<String> = b
        .requests()
        .into_iter()
        .filter(|r| r.status == 200 && r.path.ends_with(".json") && r.path.contains('/'))
        .map(|r| r.path)
        .collect();
    assert_eq!(fetched, ["PyPI/GHSA-j8r2-6x86-q33q.json"]);
    assert_eq!(status(&db, tmp.path())["ecosystems"]["PyPI"], 3);
}

#[test]
fn an_interrupted_update_keeps_the_good_database() {
    let tmp = tempfile::tempdir().unwrap();
    let b = bucket();
    let url = b.url();
    let (kev, epss) = (format!("{url}/kev.json"), format!("{url}/epss.csv.gz"));
    let db = tmp.path().join("plimsoll.db");
    let dbs = db.to_str().unwrap();
    ok_stderr(&plimsoll(&update_args(&url, dbs, &kev, &epss), tmp.path()));
    let before = std::fs::read(&db).unwrap();

    // A new ecosystem whose all.zip is cut off midway, every time it is asked for.
    b.publish("crates.io", &[record("crates.io/RUSTSEC-2020-0071.json")]);
    b.fail("crates.io/all.zip", Fault::DropAfter(100), 100);
    let mut args = update_args(&url, dbs, &kev, &epss);
    *args.last_mut().unwrap() = "PyPI,npm,crates.io";
    let out = plimsoll(&args, tmp.path());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("osv:crates.io: FAILED"), "{err}");
    assert!(err.contains("crates.io"), "{err}");
    // The other sources were unchanged, so the database has the same records, and no
    // temporary file is left beside it.
    let st = status(&db, tmp.path());
    assert!(st["ecosystems"].get("crates.io").is_none(), "{st:#}");
    assert_eq!(st["ecosystems"]["PyPI"], 2);
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "plimsoll.db" && n != "db")
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");

    // Every source failing (the bucket is gone): the database file is not touched at all.
    drop(b);
    let out = plimsoll(&update_args(&url, dbs, &kev, &epss), tmp.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing could be fetched"));
    let after = std::fs::read(&db).unwrap();
    assert_eq!(before.len(), after.len());
    assert_eq!(status(&db, tmp.path())["ecosystems"]["PyPI"], 2);
}

#[test]
fn import_export_round_trip_and_status() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("a.db");
    let osv = fixtures().join("osv");
    let kev = fixtures().join("feeds/known_exploited_vulnerabilities.json");
    let epss = fixtures().join("feeds/epss_scores-2025-03-14.csv");
    ok_stderr(&plimsoll(
        &[
            "db",
            "import",
            "--db",
            db.to_str().unwrap(),
            osv.to_str().unwrap(),
            kev.to_str().unwrap(),
            epss.to_str().unwrap(),
        ],
        tmp.path(),
    ));
    let a = status(&db, tmp.path());
    assert!(a["records"].as_u64().unwrap() >= 14, "{a:#}");
    assert_eq!(a["ecosystems"]["Debian:12"], 3);
    assert!(a["kev_entries"].as_u64().unwrap() > 0);

    let export = tmp.path().join("plimsoll-db.zst");
    ok_stderr(&plimsoll(
        &[
            "db",
            "export",
            "--db",
            db.to_str().unwrap(),
            export.to_str().unwrap(),
        ],
        tmp.path(),
    ));
    let magic = plimsoll_vulndb::EXPORT_MAGIC;
    assert!(std::fs::read(&export).unwrap().starts_with(magic));
    let b = tmp.path().join("b.db");
    ok_stderr(&plimsoll(
        &[
            "db",
            "import",
            "--db",
            b.to_str().unwrap(),
            export.to_str().unwrap(),
        ],
        tmp.path(),
    ));
    let bs = status(&b, tmp.path());
    for k in [
        "records",
        "withdrawn",
        "kev_entries",
        "epss_scores",
        "ecosystems",
    ] {
        assert_eq!(a[k], bs[k], "{k}");
    }

    // The table form names the database and its sources.
    let out = plimsoll(&["db", "status", "--db", b.to_str().unwrap()], tmp.path());
    ok_stderr(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Schema version  1") && text.contains("Debian:12"),
        "{text}"
    );
}

#[test]
fn bad_databases_exit_2_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let junk = tmp.path().join("junk.db");
    std::fs::write(&junk, b"not a database at all").unwrap();
    let missing = tmp.path().join("missing.db");
    for (args, needle) in [
        (
            vec!["db", "status", "--db", missing.to_str().unwrap()],
            "no database",
        ),
        (
            vec!["db", "status", "--db", junk.to_str().unwrap()],
            "junk.db",
        ),
        (
            vec!["db", "export", "--db", junk.to_str().unwrap(), "/dev/null"],
            "junk.db",
        ),
        (
            vec![
                "fs",
                tmp.path().to_str().unwrap(),
                "--db",
                missing.to_str().unwrap(),
            ],
            "missing.db",
        ),
        (
            vec![
                "db",
                "import",
                "--db",
                junk.to_str().unwrap(),
                junk.to_str().unwrap(),
            ],
            "junk.db",
        ),
    ] {
        let out = plimsoll(&args, tmp.path());
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    // The junk file that `db import` refused to build on is left as it was.
    assert_eq!(std::fs::read(&junk).unwrap(), b"not a database at all");
}

#[test]
fn scans_take_an_osv_directory_as_db_and_state_its_age() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(
        root.join("etc/os-release"),
        "ID=debian\nVERSION_ID=\"12\"\n",
    )
    .unwrap();
    let osv = fixtures().join("osv");
    let cache = tmp.path().join("cache");
    let scan = |extra: &[&str]| {
        let mut args = vec![
            "fs",
            root.to_str().unwrap(),
            "--db",
            osv.to_str().unwrap(),
            "-f",
            "json",
        ];
        args.extend_from_slice(extra);
        plimsoll(&args, &cache)
    };
    let out = scan(&[]);
    ok_stderr(&out);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = &report["database"];
    assert_eq!(d["path"], osv.to_str().unwrap());
    assert_eq!(d["schema_version"], 1);
    assert!(d["records"].as_u64().unwrap() >= 14, "{d:#}");
    assert!(d["built_at"].as_str().unwrap().ends_with('Z'));
    // Imported once into the cache, then reused.
    let cached: Vec<_> = std::fs::read_dir(cache.join("db/osv")).unwrap().collect();
    assert_eq!(cached.len(), 1);
    let built = d["built_at"].clone();
    // built_at is rounded to the nearest second: wait past it.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let out = scan(&["--db-max-age", "0s"]);
    ok_stderr(&out);
    let again: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        again["database"]["built_at"], built,
        "the cached build is reused"
    );
    let warned = String::from_utf8_lossy(&out.stderr);
    assert!(
        warned.contains("--db-max-age") && warned.contains("db update"),
        "{warned}"
    );
    // A bad age is a usage error.
    assert_eq!(scan(&["--db-max-age", "5 weeks"]).status.code(), Some(2));
}

/// The database's `built_at`, set back by `days` (as if it were built that long ago).
fn age_database(db: &Path, days: u64) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let then = std::time::SystemTime::now() - std::time::Duration::from_secs(days * 86_400);
    let secs = then
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let stamp = jiff::Timestamp::from_second(secs).unwrap().to_string();
    conn.execute("UPDATE meta SET value = ?1 WHERE key = 'built_at'", [stamp])
        .unwrap();
}

/// `plimsoll image` without `--db`: the first scan downloads the advisories of the
/// ecosystems the image needs (and no others) into the cache; the next scans reuse them
/// without a request; a day-old database is refreshed incrementally; a refresh that fails
/// leaves a warning and the scan goes on with the data it has.
#[test]
fn scans_download_a_missing_database_and_refresh_it() {
    let demo_osv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo/osv");
    let demo_record = |f: &str| std::fs::read(demo_osv.join(f)).unwrap();
    let b = bucket(); // PyPI and npm, KEV, EPSS
    b.publish(
        "PyPI",
        &[
            record("pypi/GHSA-652x-xj99-gmcc.json"),
            record("pypi/PYSEC-2023-74.json"),
            demo_record("GHSA-9wx4-h78v-vm56.json"),
        ],
    );
    b.publish("Debian", &[demo_record("DEBIAN-CVE-2023-5678.json")]);
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let url = b.url();
    let (kev, epss) = (format!("{url}/kev.json"), format!("{url}/epss.csv.gz"));
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo/demo-image.tar");
    let scan = |extra: &[&str]| {
        let mut cmd = common::bin();
        cmd.arg("image")
            .arg(&demo)
            .args(["-f", "json"])
            .args(extra)
            .env("PLIMSOLL_CACHE_DIR", &cache)
            .env("PLIMSOLL_OSV_URL", &url)
            .env("PLIMSOLL_KEV_URL", &kev)
            .env("PLIMSOLL_EPSS_URL", &epss)
            .env_remove("PLIMSOLL_DB")
            .env_remove("PLIMSOLL_SCANNERS")
            .env_remove("PLIMSOLL_OFFLINE");
        let out = cmd.output().expect("run plimsoll");
        let stderr = ok_stderr(&out);
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (report, stderr)
    };
    let ids = |r: &serde_json::Value| -> Vec<String> {
        let mut v: Vec<String> = r["vulnerabilities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                format!(
                    "{} {}",
                    f["id"].as_str().unwrap(),
                    f["package_name"].as_str().unwrap()
                )
            })
            .collect();
        v.sort();
        v
    };
    let want = vec![
        "CVE-2023-5678 libssl3".to_string(),
        "CVE-2024-35195 requests".to_string(),
    ];
    let osv_paths = |b: &Bucket| -> Vec<String> {
        let mut p: Vec<String> = b
            .requests()
            .iter()
            .map(|r| r.path.clone())
            .filter(|p| p.contains('/'))
            .collect();
        p.sort();
        p
    };

    // First scan: no database yet. Debian and PyPI are fetched in full, npm is not.
    let (r, stderr) = scan(&[]);
    assert_eq!(ids(&r), want, "{stderr}");
    let db_file = cache.join("db/plimsoll.db");
    assert_eq!(r["database"]["path"], db_file.to_str().unwrap());
    assert!(
        stderr.contains("no vulnerability database yet: fetching Debian, PyPI"),
        "{stderr}"
    );
    let first = osv_paths(&b);
    assert!(first.contains(&"Debian/all.zip".to_string()), "{first:?}");
    assert!(first.contains(&"PyPI/all.zip".to_string()), "{first:?}");
    assert!(!first.iter().any(|p| p.starts_with("npm/")), "{first:?}");
    let st = status(&db_file, &cache);
    assert!(st["kev_entries"].as_u64().unwrap() > 0, "{st:#}");

    // Second scan: fresh and complete, so not one request.
    b.clear_log();
    let (r, stderr) = scan(&[]);
    assert_eq!(ids(&r), want);
    assert!(b.requests().is_empty(), "{:?}", b.requests());
    assert!(!stderr.contains("fetching"), "{stderr}");

    // Two days old: refreshed record by record (the csv, no zip), then fresh again.
    age_database(&db_file, 2);
    b.clear_log();
    let (r, stderr) = scan(&[]);
    assert_eq!(ids(&r), want);
    assert!(
        stderr.contains("the vulnerability database is 2 d 0 h old: fetching Debian, PyPI"),
        "{stderr}"
    );
    let refresh = osv_paths(&b);
    assert!(
        refresh.contains(&"Debian/modified_id.csv".to_string()),
        "{refresh:?}"
    );
    assert!(
        !refresh.iter().any(|p| p.ends_with("all.zip")),
        "{refresh:?}"
    );
    let age = r["database"]["age_seconds"].as_u64().unwrap();
    assert!(age < 3600, "refreshed: {age} s old");

    // --offline on a stale database: no request, a warning, the same findings.
    age_database(&db_file, 2);
    b.clear_log();
    let (r, stderr) = scan(&["--offline"]);
    assert_eq!(ids(&r), want);
    assert!(b.requests().is_empty(), "{:?}", b.requests());
    assert!(stderr.contains("not refreshed (--offline)"), "{stderr}");

    // The feed is gone: the refresh fails, the scan goes on with what it has.
    drop(b);
    let (r, stderr) = scan(&[]);
    assert_eq!(ids(&r), want);
    assert!(
        stderr.contains("could not be refreshed") || stderr.contains("could not be updated"),
        "{stderr}"
    );
}

/// A first download that fails is an error naming the database, never a clean report.
#[test]
fn a_failed_first_download_exits_2() {
    let b = Bucket::start();
    let url = b.url();
    drop(b); // nothing listens there any more
    let tmp = tempfile::tempdir().unwrap();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo/demo-image.tar");
    let out = common::bin()
        .arg("image")
        .arg(&demo)
        .args(["--exit-code", "1"])
        .env("PLIMSOLL_CACHE_DIR", tmp.path())
        .env("PLIMSOLL_OSV_URL", &url)
        .env("PLIMSOLL_KEV_URL", format!("{url}/kev.json"))
        .env("PLIMSOLL_EPSS_URL", format!("{url}/epss.csv.gz"))
        .env_remove("PLIMSOLL_DB")
        .env_remove("PLIMSOLL_SCANNERS")
        .env_remove("PLIMSOLL_OFFLINE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("could not download the vulnerability database into")
            && err.contains("plimsoll.db"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}
