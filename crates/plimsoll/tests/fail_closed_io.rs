//! Issue 12, items 5, 10 and 11 through the real binary: reads of user files are bounded
//! (`/dev/zero`, a FIFO), an output never replaces an input, the output is checked before
//! anything is read, and write errors end the run with a clear code (broken pipe: 141,
//! quietly; anything else: 2, with a message). Also: a policy without rules is refused.
//!
//! The demo image (`demo/demo-image.tar`) is scanned with `--db demo/osv` where a database is
//! needed.

mod common;

use common::{root, s, stderr};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn demo_image() -> PathBuf {
    root().join("demo/demo-image.tar")
}

fn demo_osv() -> PathBuf {
    root().join("demo/osv")
}

/// The binary, in `dir` (for default ignore files) with its own cache, no colour, and none
/// of the environment that would change what it reads.
fn cmd(dir: &Path) -> Command {
    let mut c = common::bin();
    c.current_dir(dir)
        .env("PLIMSOLL_CACHE_DIR", dir.join("cache"));
    c
}

fn run(dir: &Path, args: &[&str]) -> Output {
    cmd(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run plimsoll")
}

/// Asserts exit 2 with an error that contains every one of `needles`.
fn assert_input_error(out: &Output, needles: &[&str]) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    for n in needles {
        assert!(err.contains(n), "stderr lacks {n:?}: {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

/// A database built from the demo advisories, at `dir/vuln.db`.
fn demo_db(dir: &Path) -> PathBuf {
    let db = dir.join("vuln.db");
    let out = run(dir, &["db", "import", s(&demo_osv()), "--db", s(&db)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    db
}

const POLICY: &str = "version: 1\nrules:\n  - name: no-critical\n    action: block\n    when:\n      severity: CRITICAL\n";

/// A FIFO at `path` with a writer that sends zeros until its reader goes away.
struct EndlessFifo {
    writer: std::process::Child,
}

impl EndlessFifo {
    fn new(path: &Path) -> EndlessFifo {
        let st = Command::new("mkfifo").arg(path).status().expect("mkfifo");
        assert!(st.success());
        let writer = Command::new("sh")
            .arg("-c")
            .arg("exec cat /dev/zero > \"$0\"")
            .arg(path)
            .stderr(Stdio::null())
            .spawn()
            .expect("start the FIFO's writer");
        EndlessFifo { writer }
    }
}

impl Drop for EndlessFifo {
    fn drop(&mut self) {
        let _ = self.writer.kill();
        let _ = self.writer.wait();
    }
}

// Item 5: unbounded reads.

#[test]
fn policy_check_of_an_endless_device_is_refused_by_size() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["policy", "check", "/dev/zero"]);
    assert_input_error(&out, &["/dev/zero", "too large for a policy file"]);
}

#[test]
fn policy_vex_and_ignorefile_on_an_endless_device_are_refused_by_size() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path());
    let image = demo_image();
    for (flag, what) in [
        ("--policy", "a policy file"),
        ("--vex", "a VEX document"),
        ("--ignorefile", "an ignore file"),
    ] {
        let out = run(
            dir.path(),
            &["image", s(&image), "--db", s(&db), flag, "/dev/zero"],
        );
        assert_input_error(&out, &["/dev/zero", &format!("too large for {what}")]);
    }
}

#[test]
fn a_fifo_that_never_ends_is_read_only_up_to_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("policy.fifo");
    let _w = EndlessFifo::new(&fifo);
    let out = run(dir.path(), &["policy", "check", s(&fifo)]);
    assert_input_error(&out, &["policy.fifo", "too large for a policy file"]);

    let vex = dir.path().join("vex.fifo");
    let _w = EndlessFifo::new(&vex);
    let out = run(
        dir.path(),
        &[
            "image",
            s(&demo_image()),
            "--scanners",
            "none",
            "--vex",
            s(&vex),
        ],
    );
    assert_input_error(&out, &["vex.fifo", "too large for a VEX document"]);
}

#[test]
fn vercmp_batch_reads_bounded_lines() {
    let dir = tempfile::tempdir().unwrap();
    let out = cmd(dir.path())
        .args(["vercmp", "deb", "--batch"])
        .stdin(std::fs::File::open("/dev/zero").unwrap())
        .output()
        .unwrap();
    assert_input_error(&out, &["standard input line 1", "longer than"]);
}

// Smaller: a policy without rules.

#[test]
fn a_policy_without_rules_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path());
    for (name, text) in [
        ("empty.yaml", ""),
        ("version-only.yaml", "version: 1\n"),
        ("no-rules.yaml", "version: 1\nrules: []\n"),
    ] {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        let out = run(dir.path(), &["policy", "check", s(&p)]);
        assert_eq!(out.status.code(), Some(2), "{name}: {}", stderr(&out));
        assert!(stderr(&out).contains(name), "{}", stderr(&out));
        if text.is_empty() {
            continue;
        }
        assert!(stderr(&out).contains("no rules"), "{}", stderr(&out));
        let out = run(
            dir.path(),
            &["image", s(&demo_image()), "--db", s(&db), "--policy", s(&p)],
        );
        assert_input_error(&out, &[name, "no rules"]);
    }
    // A policy with a rule still passes the check.
    let p = dir.path().join("good.yaml");
    std::fs::write(&p, POLICY).unwrap();
    let out = run(dir.path(), &["policy", "check", s(&p)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

// Item 10: an output never replaces an input.

#[test]
fn an_image_is_never_replaced_by_its_report() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("img.tar");
    std::fs::copy(demo_image(), &img).unwrap();
    let before = std::fs::read(&img).unwrap();
    let link = dir.path().join("link.tar");
    std::os::unix::fs::symlink(&img, &link).unwrap();
    let hard = dir.path().join("hard.tar");
    std::fs::hard_link(&img, &hard).unwrap();
    // The same file spelled four ways, each for three commands.
    for out_path in ["img.tar", "./img.tar", "link.tar", "hard.tar"] {
        let archive = format!("docker-archive:{}", s(&img));
        for args in [
            vec!["image", "img.tar", "--scanners", "none", "-f", "json"],
            vec!["image", &archive, "--scanners", "none"],
            vec!["inventory", "img.tar"],
        ] {
            let mut args = args.clone();
            args.extend(["-o", out_path]);
            let out = run(dir.path(), &args);
            assert_input_error(&out, &[out_path, "same file as an input"]);
        }
    }
    assert!(
        std::fs::read(&img).unwrap() == before,
        "the image is intact"
    );
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn scan_inputs_are_never_replaced_by_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path());
    let vex = dir.path().join("vex.json");
    let vex_text = r#"{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "x", "author": "a", "timestamp": "2024-01-01T00:00:00Z", "version": 1, "statements": []}"#;
    std::fs::write(&vex, vex_text).unwrap();
    let ignore = dir.path().join("ignore.txt");
    std::fs::write(&ignore, "CVE-2000-0001\n").unwrap();
    let policy = dir.path().join("policy.yaml");
    std::fs::write(&policy, POLICY).unwrap();
    let trivyignore = dir.path().join(".trivyignore");
    std::fs::write(&trivyignore, "CVE-2000-0002\n").unwrap();
    let image = demo_image();
    let db_size = std::fs::metadata(&db).unwrap().len();
    for (extra, target) in [
        (vec!["--db", s(&db)], &db),
        (vec!["--db", s(&db), "--vex", s(&vex)], &vex),
        (vec!["--db", s(&db), "--ignorefile", s(&ignore)], &ignore),
        (vec!["--db", s(&db), "--policy", s(&policy)], &policy),
        (vec!["--db", s(&db)], &trivyignore),
    ] {
        let before = std::fs::read(target).unwrap();
        let mut args = vec!["image", s(&image), "-o", s(target)];
        args.extend(extra);
        let out = run(dir.path(), &args);
        assert_input_error(&out, &[s(target), "same file as an input"]);
        assert!(
            std::fs::read(target).unwrap() == before,
            "{target:?} intact"
        );
    }
    assert_eq!(std::fs::metadata(&db).unwrap().len(), db_size);

    // An SBOM and explored reports, likewise.
    let sbom = dir.path().join("sbom.json");
    let out = run(
        dir.path(),
        &["inventory", s(&image), "-f", "cyclonedx", "-o", s(&sbom)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let before = std::fs::read(&sbom).unwrap();
    let out = run(
        dir.path(),
        &[
            "sbom",
            "sbom.json",
            "--scanners",
            "none",
            "-o",
            "./sbom.json",
        ],
    );
    assert_input_error(&out, &["sbom.json", "same file as an input"]);
    assert!(std::fs::read(&sbom).unwrap() == before);

    let report = dir.path().join("report.json");
    let out = run(
        dir.path(),
        &[
            "image",
            s(&image),
            "--db",
            s(&db),
            "-f",
            "json",
            "-o",
            s(&report),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let before = std::fs::read(&report).unwrap();
    let out = run(
        dir.path(),
        &["explore", s(&report), "-f", "json", "-o", s(&report)],
    );
    assert_input_error(&out, &["report.json", "same file as an input"]);
    assert!(std::fs::read(&report).unwrap() == before);
}

#[test]
fn db_export_and_import_never_replace_the_database_with_itself() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path());
    let before = std::fs::read(&db).unwrap();
    let link = dir.path().join("db-link");
    std::os::unix::fs::symlink(&db, &link).unwrap();
    for file in [s(&db), "./vuln.db", s(&link)] {
        let out = run(dir.path(), &["db", "export", file, "--db", s(&db)]);
        assert_input_error(&out, &[file, "same file as an input"]);
        let out = run(dir.path(), &["db", "import", file, "--db", "vuln.db"]);
        assert_input_error(&out, &["vuln.db", "same file as an input"]);
    }
    assert!(
        std::fs::read(&db).unwrap() == before,
        "the database is intact"
    );
    // Exporting elsewhere still works.
    let out = run(dir.path(), &["db", "export", "export.zst", "--db", s(&db)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

// Item 11: the output is checked first; write errors have one meaning.

#[test]
fn a_bad_output_path_is_refused_before_anything_is_read() {
    let dir = tempfile::tempdir().unwrap();
    // The image does not exist: the error must be about -o, found first.
    let missing_image = dir.path().join("no-such-image.tar");
    let out = run(
        dir.path(),
        &[
            "image",
            s(&missing_image),
            "--scanners",
            "none",
            "-o",
            "no/such/dir/report.json",
        ],
    );
    assert_input_error(
        &out,
        &["no/such/dir/report.json", "no/such/dir", "does not exist"],
    );
    assert!(!stderr(&out).contains("no-such-image"), "{}", stderr(&out));

    let out = run(
        dir.path(),
        &["image", s(&missing_image), "--scanners", "none", "-o", "."],
    );
    assert_input_error(&out, &["is a directory"]);
    assert!(!stderr(&out).contains("no-such-image"), "{}", stderr(&out));

    // The same for a scan with a database: -o comes before --db.
    let out = run(
        dir.path(),
        &[
            "image",
            s(&demo_image()),
            "--db",
            s(&dir.path().join("no-such-db")),
            "-o",
            "missing/r.json",
        ],
    );
    assert_input_error(&out, &["missing/r.json", "does not exist"]);
    assert!(!stderr(&out).contains("no-such-db"), "{}", stderr(&out));
}

#[test]
fn vex_and_ignore_files_are_read_before_the_image() {
    let dir = tempfile::tempdir().unwrap();
    let missing_image = s(&dir.path().join("no-such-image.tar")).to_string();
    for flag in ["--vex", "--ignorefile"] {
        let missing = format!("missing{flag}");
        let out = run(
            dir.path(),
            &[
                "image",
                &missing_image,
                "--scanners",
                "none",
                flag,
                &missing,
            ],
        );
        assert_input_error(&out, &[&missing, "no such file"]);
        assert!(
            !stderr(&out).contains("no-such-image"),
            "{flag} is read before the image: {}",
            stderr(&out)
        );
    }
}

/// Standard output on `/dev/full`: every write fails with ENOSPC.
fn dev_full() -> std::fs::File {
    std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full")
}

#[test]
fn a_full_standard_output_is_exit_2_with_a_message_never_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path());
    let policy = dir.path().join("policy.yaml");
    std::fs::write(&policy, POLICY).unwrap();
    let image = demo_image();
    let cases: Vec<Vec<&str>> = vec![
        vec!["db", "status", "--db", s(&db)],
        vec!["db", "status", "--db", s(&db), "-f", "json"],
        vec!["policy", "check", s(&policy)],
        vec!["policy", "init", "-"],
        vec!["vercmp", "deb", "1.0", "2.0"],
        vec!["image", s(&image), "--db", s(&db)],
        vec!["image", s(&image), "--scanners", "none", "-f", "json"],
    ];
    for args in cases {
        let out = cmd(dir.path())
            .args(&args)
            .stdin(Stdio::null())
            .stdout(dev_full())
            .output()
            .unwrap();
        assert_input_error(
            &out,
            &["writing standard output", "No space left on device"],
        );
    }
    let out = cmd(dir.path())
        .args(["vercmp", "deb", "--batch"])
        .stdin(std::fs::File::open(write(dir.path(), "pairs", "1.0\t2.0\n2.0\t1.0\n")).unwrap())
        .stdout(dev_full())
        .output()
        .unwrap();
    assert_input_error(
        &out,
        &["writing standard output", "No space left on device"],
    );
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Runs with standard output on a pipe whose reader is already gone (`| head -1` after the
/// first line, made deterministic).
fn with_broken_pipe(c: &mut Command) -> Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    c.stdout(writer).stderr(Stdio::piped()).output().unwrap()
}

#[test]
fn a_broken_pipe_ends_quietly_with_141() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path());
    let pairs = write(dir.path(), "pairs", &"1.0\t2.0\n".repeat(100_000));
    let image = demo_image();
    let cases: Vec<(Vec<&str>, Option<&Path>)> = vec![
        (vec!["db", "status", "--db", s(&db)], None),
        (vec!["vercmp", "deb", "--batch"], Some(&pairs)),
        (vec!["vercmp", "deb", "1", "2"], None),
        (vec!["image", s(&image), "--db", s(&db)], None),
    ];
    for (args, stdin) in cases {
        let mut c = cmd(dir.path());
        c.args(&args);
        match stdin {
            Some(p) => c.stdin(std::fs::File::open(p).unwrap()),
            None => c.stdin(Stdio::null()),
        };
        let out = with_broken_pipe(&mut c);
        assert_eq!(out.status.code(), Some(141), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            !err.contains("panicked") && !err.contains("error"),
            "{args:?} ends quietly: {err}"
        );
    }
}

#[test]
fn a_closed_standard_output_is_exit_2_not_a_lost_report() {
    let dir = tempfile::tempdir().unwrap();
    // The demo image's summary, with standard output redirected by a shell.
    let scan_with = |redirect: &str| {
        Command::new("sh")
            .arg("-c")
            .arg(format!(
                "exec \"$0\" image \"$1\" --scanners none {redirect}"
            ))
            .arg(env!("CARGO_BIN_EXE_plimsoll"))
            .arg(demo_image())
            .current_dir(dir.path())
            .env("PLIMSOLL_CACHE_DIR", dir.path().join("cache"))
            .env_remove("PLIMSOLL_SCANNERS")
            .output()
            .unwrap()
    };
    assert_input_error(&scan_with(">&-"), &["standard output is closed"]);
    // Discarding on purpose still works.
    let out = scan_with("> /dev/null");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn a_failed_scan_leaves_no_older_report_and_a_good_one_replaces_it_whole() {
    let dir = tempfile::tempdir().unwrap();
    let demo = demo_image();
    // The image's summary as JSON, to `-o dest`.
    let summary_to = |image: &str, dest: &str| {
        run(
            dir.path(),
            &[
                "image",
                image,
                "--scanners",
                "none",
                "-f",
                "json",
                "-o",
                dest,
            ],
        )
    };
    let report = write(dir.path(), "report.json", "{\"old\": true}\n");
    // A scan that fails after the output was checked (the image does not exist).
    let out = summary_to("no-such-image.tar", "report.json");
    assert_input_error(&out, &["no-such-image.tar"]);
    assert!(
        !report.exists(),
        "the older report is gone, so it cannot pass for this run's"
    );

    write(dir.path(), "report.json", "{\"old\": true}\n");
    let out = summary_to(s(&demo), "report.json");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(v["schema_version"], 2);
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "cache")
        .collect();
    names.sort();
    assert_eq!(names, ["report.json"], "no temporary file is left");

    // A device is written in place: -o /dev/stdout on a pipe.
    let out = summary_to(s(&demo), "/dev/stdout");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema_version"], 2);
}
