//! Issue 12, the image side, through the real binary: a layer that fails verification
//! reaches no output and every format says it failed; `--timeout` is a deadline; SIGINT and
//! SIGTERM leave no temporary behind, stale ones are swept, `--no-cache` writes no cache,
//! and a cache directory that cannot be written is named and skipped.

mod common;

use common::text;
use plimsoll_testkit::{Compression, ImageBuilder, compress};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn cmd(args: &[&str], cache: &Path) -> Command {
    // The image side is the subject here: no vulnerability database, no download.
    let mut c = common::command(args, cache);
    c.env("PLIMSOLL_SCANNERS", "none");
    c
}

fn plimsoll(args: &[&str], cache: &Path) -> Output {
    cmd(args, cache).output().expect("run plimsoll")
}

const PLANTED: &str = "planted-evil";

fn dpkg_status(name: &str) -> String {
    format!(
        "Package: {name}\nStatus: install ok installed\nVersion: 6.6.6-1\nArchitecture: amd64\n\n"
    )
}

/// A Debian image whose second layer installs `trusted-tool`.
fn image() -> ImageBuilder {
    ImageBuilder::new()
        .layer("base", |l| {
            l.file("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n")
                .file("var/lib/dpkg/status", dpkg_status("base-files"))
                .file("etc/shadow-planted-check", "base")
        })
        .layer("RUN apt-get install trusted-tool", |l| {
            l.file(
                "var/lib/dpkg/status",
                dpkg_status("base-files") + &dpkg_status("trusted-tool"),
            )
        })
}

/// The other tar put in place of layer 1: a package, a file and a whiteout that must not
/// be believed.
fn impostor_tar() -> Vec<u8> {
    plimsoll_testkit::LayerBuilder::new()
        .file(
            "var/lib/dpkg/status",
            dpkg_status("base-files") + &dpkg_status(PLANTED),
        )
        .file("opt/planted-evil/run.sh", "#!/bin/sh\n")
        .whiteout("etc/shadow-planted-check")
        .tar()
}

/// Every format of a scan of `input`: each exits 2, names the failed layer, and holds
/// nothing of the impostor layer.
fn assert_failed_layer_is_reported_and_not_inventoried(input: &str, cache: &Path, why: &str) {
    for format in [
        "json",
        "cyclonedx",
        "spdx-json",
        "sarif",
        "markdown",
        "junit",
        "table",
    ] {
        for command in ["image", "inventory"] {
            // inventory refuses the findings formats (tests/formats.rs).
            if command == "inventory" && ["sarif", "markdown", "junit"].contains(&format) {
                continue;
            }
            let out = plimsoll(&[command, input, "--format", format], cache);
            let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
            assert_eq!(out.status.code(), Some(2), "{command} {format}: {stderr}");
            assert!(
                stderr.contains("layer 1") && stderr.contains(why),
                "{command} {format}: {stderr}"
            );
            for planted in [PLANTED, "opt/planted-evil", "shadow-planted-check"] {
                assert!(
                    !stdout.contains(planted),
                    "{command} {format}: {planted} from the unverified layer is in the output:\n{stdout}"
                );
            }
            // Markdown escapes `_`.
            let said = if format == "markdown" {
                why.replace('_', "\\_")
            } else {
                why.to_string()
            };
            assert!(
                stdout.contains(&said),
                "{command} {format}: the output does not say that layer 1 failed:\n{stdout}"
            );
            let v = || serde_json::from_str::<serde_json::Value>(&stdout).unwrap();
            match format {
                "json" => {
                    let v = v();
                    assert!(v["artifact"]["layers"][1]["error"].is_string());
                    let names: Vec<&str> = v["packages"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|p| p["name"].as_str().unwrap())
                        .collect();
                    // Layer 0 is intact, and still inventoried.
                    assert_eq!(names, ["base-files"], "{stdout}");
                }
                "cyclonedx" => {
                    let v = v();
                    let props = v["metadata"]["properties"].as_array().unwrap();
                    assert!(
                        props.iter().any(|p| p["name"] == "plimsoll:layer:error"
                            && p["value"].as_str().unwrap().contains("layer 1")),
                        "{stdout}"
                    );
                }
                "spdx-json" => assert!(stdout.contains("plimsoll:layer:error: layer 1")),
                "sarif" => {
                    let inv = &v()["runs"][0]["invocations"][0];
                    assert_eq!(inv["executionSuccessful"], false, "{stdout}");
                    assert_eq!(inv["toolExecutionNotifications"][0]["level"], "error");
                }
                "junit" => {
                    assert!(stdout.contains("errors=\"1\""), "{stdout}");
                    assert!(stdout.contains("<error type=\"layer\""), "{stdout}");
                }
                "markdown" => assert!(stdout.contains("**error**: layer 1"), "{stdout}"),
                _ => assert!(stdout.contains("ERROR"), "{stdout}"),
            }
        }
    }
}

/// Issue 12 item 4: a blob that is a valid gzip of another tar. The walk reads it all
/// before the digest can be checked; nothing it said may reach a report.
#[test]
fn layer_failing_its_digest_reaches_no_output() {
    let tmp = tempfile::tempdir().unwrap();
    let layout = tmp.path().join("layout");
    let built = image().write_oci_layout(&layout, None);
    let blob = layout
        .join("blobs/sha256")
        .join(built.layers[1].digest.trim_start_matches("sha256:"));
    std::fs::write(&blob, compress(&impostor_tar(), Compression::Gzip)).unwrap();
    assert_failed_layer_is_reported_and_not_inventoried(
        layout.to_str().unwrap(),
        &tmp.path().join("cache"),
        // The impostor is larger than the descriptor says: the size check fails first.
        "blob verification failed",
    );
}

/// The same through a docker-archive, whose legacy layers have no blob digest: the
/// config's diff_id is what fails.
#[test]
fn layer_failing_its_diff_id_reaches_no_output() {
    let tmp = tempfile::tempdir().unwrap();
    let built = image().build();
    let mut swapped = built.clone();
    swapped.tars[1] = impostor_tar();
    // write_docker_archive names members after each tar's own hash; the config (and so the
    // diff_ids) is the genuine image's.
    let path = tmp.path().join("img.tar");
    plimsoll_testkit::write_docker_archive(&path, &[(&["app:1"], &swapped)], false);
    assert_failed_layer_is_reported_and_not_inventoried(
        path.to_str().unwrap(),
        &tmp.path().join("cache"),
        "diff_id mismatch",
    );
}

/// A server on loopback that accepts connections and never answers, for at most 60 s.
fn stalled_server() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        let end = Instant::now() + Duration::from_secs(60);
        while Instant::now() < end {
            match listener.accept() {
                Ok((s, _)) => held.push(s),
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    });
    port
}

/// Issue 12 item 8: `--timeout` bounds the whole request, retries and backoff included.
/// A registry on loopback that never answers: before, `--timeout 3` took 38 s (five
/// attempts, two schemes each, with backoff); now about the timeout.
#[test]
fn timeout_is_a_deadline_against_a_stalled_registry() {
    let port = stalled_server();
    let tmp = tempfile::tempdir().unwrap();
    let reference = format!("127.0.0.1:{port}/app:1");
    let start = Instant::now();
    let out = plimsoll(
        &["image", &reference, "--timeout", "2", "--no-cache"],
        tmp.path(),
    );
    let took = start.elapsed();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--timeout 2s"), "{err}");
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
    // A loose bound on purpose: the behaviour is "about 2 s", the machine may be loaded.
    assert!(took < Duration::from_secs(10), "took {took:?}: {err}");
}

/// The same for `db update` against a stalled OSV bucket: before, `--timeout 3` took 23 s.
#[test]
fn timeout_is_a_deadline_for_db_update() {
    let port = stalled_server();
    let tmp = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let start = Instant::now();
    let out = plimsoll(
        &[
            "db",
            "update",
            "--osv-url",
            &url,
            "--ecosystems",
            "PyPI",
            "--no-kev",
            "--no-epss",
            "--timeout",
            "2",
        ],
        tmp.path(),
    );
    let took = start.elapsed();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(&url), "{err}");
    assert!(took < Duration::from_secs(10), "took {took:?}: {err}");
}

/// A gzip docker-archive large enough that its decompressed spool exists for a while.
fn big_gzip_archive(dir: &Path) -> PathBuf {
    let path = dir.join("big.tar.gz");
    ImageBuilder::new()
        .layer("base", |l| l.file("etc/os-release", "ID=debian\n"))
        .layer("RUN fetch data", |l| l.zeros("data/blob", 384 << 20))
        .write_docker_archive(&path, &["big:1"], true);
    path
}

/// Entries of `dir` whose names start with `prefix`.
fn named(dir: &Path, prefix: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(prefix))
                .collect()
        })
        .unwrap_or_default()
}

/// Waits (at most 60 s) until a file starting with `prefix` exists in `dir`, while `child`
/// runs.
fn wait_for(child: &mut Child, dir: &Path, prefix: &str) {
    let end = Instant::now() + Duration::from_secs(60);
    while named(dir, prefix).is_empty() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("plimsoll ended ({status}) before {prefix}* appeared in {dir:?}");
        }
        assert!(Instant::now() < end, "no {prefix}* in {dir:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{sig}"), &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{sig}");
}

/// Issue 12 item 9: SIGTERM or SIGINT while a gzip docker-archive is being decompressed
/// and scanned: the spool (`<cache>/tmp/archive-<pid>-…`) is removed, and the exit status
/// is 128 + the signal.
#[test]
fn interrupted_archive_scan_removes_its_spool() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = big_gzip_archive(tmp.path());
    for (sig, code) in [("TERM", 143), ("INT", 130)] {
        let cache = tmp.path().join(format!("cache-{sig}"));
        let mut child = cmd(&["image", archive.to_str().unwrap()], &cache)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let spool = format!("archive-{}-", child.id());
        wait_for(&mut child, &cache.join("tmp"), &spool);
        signal(&child, sig);
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(code), "SIG{sig}: {status}");
        assert_eq!(named(&cache.join("tmp"), "archive-"), Vec::<String>::new());
    }
}

/// OSV records enough for an import that lasts a while.
fn many_osv_records(dir: &Path, n: usize) {
    std::fs::create_dir_all(dir).unwrap();
    for i in 0..n {
        let rec = serde_json::json!({
            "schema_version": "1.6.0",
            "id": format!("PYSEC-2099-{i}"),
            "modified": "2024-01-01T00:00:00Z",
            "summary": "planted for an interrupted import",
            "affected": [{
                "package": {"ecosystem": "PyPI", "name": format!("pkg-{i}")},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0"}]}],
                "versions": (0..20).map(|v| format!("0.{v}")).collect::<Vec<_>>(),
            }],
        });
        std::fs::write(
            dir.join(format!("PYSEC-2099-{i}.json")),
            serde_json::to_vec(&rec).unwrap(),
        )
        .unwrap();
    }
}

/// `db import` interrupted: its `.NAME.<pid>-….tmp` beside the database is removed and the
/// database it was replacing is intact.
#[test]
fn interrupted_db_import_removes_its_temporary_and_keeps_the_database() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let dbdir = tmp.path().join("dbdir");
    let db = dbdir.join("vulns.db");
    let db_arg = db.to_str().unwrap().to_string();
    let small = tmp.path().join("small");
    many_osv_records(&small, 3);
    let out = plimsoll(
        &["db", "import", "--db", &db_arg, small.to_str().unwrap()],
        &cache,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let before = std::fs::read(&db).unwrap();
    let big = tmp.path().join("big");
    many_osv_records(&big, 60_000);
    for (sig, code) in [("TERM", 143), ("INT", 130)] {
        let mut child = cmd(
            &["db", "import", "--db", &db_arg, big.to_str().unwrap()],
            &cache,
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
        let temp = format!(".vulns.db.{}-", child.id());
        wait_for(&mut child, &dbdir, &temp);
        signal(&child, sig);
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(code), "SIG{sig}: {status}");
        assert_eq!(named(&dbdir, "."), Vec::<String>::new());
        assert_eq!(std::fs::read(&db).unwrap(), before, "the database changed");
    }
    let out = plimsoll(&["db", "status", "--db", &db_arg, "-f", "json"], &cache);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// Temporaries whose process is gone are swept when plimsoll starts; a live process's are
/// left alone, and so is every other file.
#[test]
fn stale_temporaries_are_swept_at_start() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let spool_dir = cache.join("tmp");
    let db_dir = cache.join("db");
    std::fs::create_dir_all(&spool_dir).unwrap();
    std::fs::create_dir_all(&db_dir).unwrap();
    // No pid reaches 4294967 (the kernel's maximum is 4194304).
    let dead = [
        spool_dir.join("archive-4294967-AbCdEf"),
        spool_dir.join("download-4294967-AbCdEf"),
        db_dir.join(".plimsoll.db.4294967-AbCdEf.tmp"),
        db_dir.join(".plimsoll.db.4294967-AbCdEf.tmp-journal"),
    ];
    // This test process is alive: its "spool" is kept.
    let live = spool_dir.join(format!("archive-{}-AbCdEf", std::process::id()));
    let unrelated = [spool_dir.join("notes.txt"), db_dir.join("plimsoll.db.bak")];
    for p in dead.iter().chain([&live]).chain(&unrelated) {
        std::fs::write(p, b"x").unwrap();
    }
    let update_dir = db_dir.join(".plimsoll-update.4294967-AbCdEf");
    std::fs::create_dir_all(update_dir.join("sub")).unwrap();
    let layout = tmp.path().join("layout");
    image().write_oci_layout(&layout, None);
    let out = plimsoll(&["inventory", layout.to_str().unwrap()], &cache);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for p in dead.iter().chain([&update_dir]) {
        assert!(!p.exists(), "{p:?} was not swept");
    }
    for p in unrelated.iter().chain([&live]) {
        assert!(p.exists(), "{p:?} was removed");
    }
}

/// `--no-cache` writes nothing to the cache directory, not even the gzip spool (it goes to
/// the system's temporary directory, and is removed at the end).
#[test]
fn no_cache_leaves_the_cache_directory_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("img.tar.gz");
    image().write_docker_archive(&archive, &["app:1"], true);
    let cache = tmp.path().join("cache");
    let sys_tmp = tmp.path().join("systmp");
    std::fs::create_dir(&sys_tmp).unwrap();
    let child = cmd(
        &[
            "inventory",
            archive.to_str().unwrap(),
            "--no-cache",
            "-f",
            "json",
        ],
        &cache,
    )
    .env("TMPDIR", &sys_tmp)
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("trusted-tool"));
    assert!(!cache.exists(), "--no-cache created {cache:?}");
    assert_eq!(named(&sys_tmp, ""), Vec::<String>::new());
}

/// A cache directory that cannot be written (here: a file stands where it should be) is
/// named with the real cause, and the scan goes on without it: the cache only saves work.
#[test]
fn unwritable_cache_directory_is_named_and_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("img.tar.gz");
    image().write_docker_archive(&archive, &["app:1"], true);
    let cache = tmp.path().join("not-a-dir");
    std::fs::write(&cache, b"a file").unwrap();
    let sys_tmp = tmp.path().join("systmp");
    std::fs::create_dir(&sys_tmp).unwrap();
    let out = cmd(
        &["inventory", archive.to_str().unwrap(), "-f", "json"],
        &cache,
    )
    .env("TMPDIR", &sys_tmp)
    .output()
    .unwrap();
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(text(&out.stdout).contains("trusted-tool"));
    let cache_name = cache.display().to_string();
    assert!(
        err.contains(&cache_name) && err.contains("Not a directory"),
        "{err}"
    );
    assert!(!err.contains("No such file"), "{err}");
    assert_eq!(named(&sys_tmp, ""), Vec::<String>::new());
}
