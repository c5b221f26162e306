//! Issue 12, items 3 and 12, through the real binary: no value an image's build recorded
//! (build arguments, `ENV`/`ARG` values, secret-looking flags, URLs and tokens in
//! `created_by`, `Entrypoint`, `Cmd` and `Labels`) reaches any output, and no control
//! character from an image, an SBOM or an explored report reaches a terminal.

mod common;

use common::root;
use plimsoll_testkit::{Compression, ImageBuilder, demo, sha256};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Colour is left to the terminal here (`NO_COLOR` unset), as a user's shell would.
fn plimsoll(args: &[&str], cache: &Path) -> Output {
    let mut c = common::command(args, cache);
    c.env_remove("NO_COLOR");
    c.output().expect("run plimsoll")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// requests 2.31.0, which the demo advisories (`demo/osv`) hold CVE-2024-35195 for, so
/// that every finding format names the layer that installed it.
const REQUESTS: &str = "Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\n";
const SITE: &str = "usr/local/lib/python3.11/site-packages";

/// Every planted value contains `planted`; none may be printed.
fn image_with_planted_secrets() -> ImageBuilder {
    ImageBuilder::new()
        .compression(Compression::Gzip)
        .layer("/bin/sh -c #(nop) ADD file:0a1b2c in / ", |l| {
            l.file("usr/lib/os-release", demo::OS_RELEASE)
        })
        .layer(
            "RUN |2 API_TOKEN=tok-planted-1 DATABASE_URL=postgres://admin:pw-planted-2@db:5432/app \
             /bin/sh -c pip install requests==2.31.0 # buildkit",
            |l| {
                l.file(
                    &format!("{SITE}/requests-2.31.0.dist-info/METADATA"),
                    REQUESTS,
                )
            },
        )
        // Builders that made a layer per instruction recorded ENV and ARG as layers too.
        .layer(
            "/bin/sh -c #(nop)  ENV DB_PASSWORD=pw-planted-3 MODE=\"mode planted 4\"",
            |l| l.file("etc/env-step", ""),
        )
        .layer("/bin/sh -c #(nop)  ENV LEGACY_VALUE value planted 5", |l| {
            l.file("etc/legacy-step", "")
        })
        .layer("ARG DEPLOY_KEY=key-planted-6", |l| {
            l.file("etc/arg-step", "")
        })
        .layer(
            "RUN /bin/sh -c ./deploy --password=pw-planted-7 --token tok-planted-8 \
             https://bot:pw-planted-9@git.example/r AKIAPLANTED000000010 \
             ghp_planted0011aaaaaaaaaaaaaaaaaaaaaaaaa # buildkit",
            |l| l.file("app/deployed", ""),
        )
        .env("DATABASE_URL=postgres://admin:pw-planted-12@db/app")
        .env("PATH=/usr/local/bin:/usr/bin")
        .entrypoint(&["/app/run", "--token", "tok-planted-13"])
        .cmd(&[
            "--api-key=key-planted-14",
            "serve",
            "postgres://u:pw-planted-15@db/x",
        ])
        .label("com.example.auth-token", "lab-planted-16")
        .label("com.example.repo", "https://ci:pw-planted-17@git.example/r")
        .label("com.example.notify", "xoxb-planted00018-abcdefghij")
        .label("org.opencontainers.image.title", "leaks")
}

#[test]
fn planted_build_values_reach_no_output_format() {
    let tmp = tempfile::tempdir().unwrap();
    let img = tmp.path().join("img.tar");
    image_with_planted_secrets().write_oci_archive(&img, Some("leaks"));
    let img = img.to_str().unwrap();
    let db = root().join("demo/osv");
    let db = db.to_str().unwrap();
    let mut runs: Vec<(String, Vec<&str>)> = Vec::new();
    for f in [
        "table",
        "json",
        "cyclonedx",
        "spdx-json",
        "sarif",
        "junit",
        "markdown",
    ] {
        runs.push((
            format!("image --format {f}"),
            vec!["image", img, "--db", db, "--format", f],
        ));
    }
    runs.push((
        "image --group-by layer".into(),
        vec!["image", img, "--db", db, "--group-by", "layer"],
    ));
    for f in ["table", "json"] {
        runs.push((
            format!("image --scanners none --format {f}"),
            vec!["image", img, "--scanners", "none", "--format", f],
        ));
        runs.push((
            format!("inventory --format {f}"),
            vec!["inventory", img, "--format", f],
        ));
    }
    let mut everything = String::new();
    for (name, args) in &runs {
        let out = plimsoll(args, tmp.path());
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(0), "{name}: {stderr}");
        for s in [&stdout, &stderr] {
            assert!(
                !s.contains("planted"),
                "{name}: a planted value is printed:\n{}",
                s.lines()
                    .filter(|l| l.contains("planted"))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
        everything.push_str(&stdout);
    }
    // The names stay, and what the image's own history needs is still said.
    for name in [
        "API_TOKEN=****",
        "DATABASE_URL=****",
        "DB_PASSWORD=****",
        "MODE=****",
        "LEGACY_VALUE ****",
        "DEPLOY_KEY=****",
        "--password=****",
        "--token ****",
        "https://bot:****@git.example/r",
        "pip install requests==2.31.0",
        "com.example.auth-token",
    ] {
        assert!(everything.contains(name), "{name} is missing");
    }
    // The finding formats tell the layer by its (redacted) instruction.
    let sarif = text(&plimsoll(
        &["image", img, "--db", db, "--format", "sarif"],
        tmp.path(),
    ))
    .0;
    assert!(sarif.contains("CVE-2024-35195"), "{sarif}");
    assert!(sarif.contains("API_TOKEN=****"), "{sarif}");
    let json: serde_json::Value = serde_json::from_str(
        &text(&plimsoll(
            &["image", img, "--scanners", "none", "--format", "json"],
            tmp.path(),
        ))
        .0,
    )
    .unwrap();
    let c = &json["artifact"]["config"];
    assert_eq!(
        c["entrypoint"],
        serde_json::json!(["/app/run", "--token", "****"])
    );
    assert_eq!(
        c["cmd"],
        serde_json::json!(["--api-key=****", "serve", "postgres://u:****@db/x"])
    );
    assert_eq!(c["labels"]["org.opencontainers.image.title"], "leaks");
    assert_eq!(c["env_names"], serde_json::json!(["DATABASE_URL", "PATH"]));
}

/// `ESC ] 0 ; pwned BEL` sets a terminal's title; `ESC [ 2 J` clears it; U+009B is the
/// one-character CSI; U+202E reverses what follows.
const OSC: &str = "\x1b]0;pwned\x07";
const CSI: &str = "\x1b[2J";

fn assert_no_controls(what: &str, bytes: &[u8]) {
    let s = String::from_utf8_lossy(bytes);
    for (c, name) in [
        ('\x1b', "ESC"),
        ('\x07', "BEL"),
        ('\u{9b}', "CSI"),
        ('\u{202e}', "RLO"),
    ] {
        assert!(
            !s.contains(c),
            "{what}: a raw {name} is printed:\n{}",
            s.lines()
                .filter(|l| l.contains(c))
                .map(|l| format!("{l:?}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

fn hostile_image() -> ImageBuilder {
    let evil_metadata = format!(
        "Metadata-Version: 2.1\nName: evil{OSC}pkg\nVersion: 1.0{CSI}\nLicense: MIT\u{9b}31m\u{202e}\n"
    );
    ImageBuilder::new()
        .layer("/bin/sh -c #(nop) ADD file:0a1b2c in / ", |l| {
            l.file("usr/lib/os-release", demo::OS_RELEASE)
        })
        .layer(
            &format!("RUN /bin/sh -c pip install requests{OSC} # buildkit"),
            |l| {
                l.file(
                    &format!("{SITE}/requests-2.31.0.dist-info/METADATA"),
                    REQUESTS,
                )
                .file(
                    &format!("{SITE}/evil-1.0.dist-info/METADATA"),
                    evil_metadata,
                )
            },
        )
        .user(&format!("app{CSI}"))
        .entrypoint(&[&format!("/app/run{OSC}")])
        .expose(&format!("80{CSI}/tcp"))
        .env(&format!("EVIL{OSC}=1"))
        .label(
            &format!("com.example.k{CSI}"),
            &format!("v{OSC}\nFAKE LINE"),
        )
}

#[test]
fn control_characters_from_an_image_are_escaped_in_tables_and_markdown() {
    let tmp = tempfile::tempdir().unwrap();
    let img = tmp.path().join("img.tar");
    hostile_image().write_oci_archive(&img, Some("evil"));
    let img = img.to_str().unwrap();
    let db = root().join("demo/osv");
    let db = db.to_str().unwrap();
    let runs: &[(&str, Vec<&str>)] = &[
        ("image table", vec!["image", img, "--db", db]),
        (
            "image table by layer",
            vec!["image", img, "--db", db, "--group-by", "layer"],
        ),
        (
            "image markdown",
            vec!["image", img, "--db", db, "-f", "markdown"],
        ),
        (
            "image --scanners none",
            vec!["image", img, "--scanners", "none"],
        ),
        ("inventory", vec!["inventory", img]),
        (
            "explain",
            vec!["explain", "CVE-2024-35195", img, "--db", db],
        ),
    ];
    let mut all = String::new();
    for (what, args) in runs {
        let out = plimsoll(args, tmp.path());
        assert_eq!(out.status.code(), Some(0), "{what}: {}", text(&out).1);
        assert_no_controls(what, &out.stdout);
        assert_no_controls(what, &out.stderr);
        all.push_str(&text(&out).0);
    }
    // Escaped, visibly, where they were. (Markdown doubles the backslash.)
    for want in [
        "evil\\x1b]0;pwned\\x07pkg",  // the package name (inventory)
        "1.0\\x1b[2J",                // its version
        "app\\x1b[2J",                // User
        "/app/run\\x1b]0;pwned\\x07", // Entrypoint
        "80\\x1b[2J/tcp",             // ports
        "EVIL\\x1b]0;pwned\\x07",     // env names
        "com.example.k\\x1b[2J=v\\x1b]0;pwned\\x07\\nFAKE LINE", // a label, on one line
        "pip install requests\\x1b]0;pwned\\x07", // created_by
    ] {
        assert!(all.contains(want), "{want} is missing from:\n{all}");
    }
    assert!(!all.lines().any(|l| l.starts_with("FAKE LINE")));
    // The machine formats escape C0 controls by their own rules (JSON `\u001b`, XML
    // character references); JSON leaves C1 and bidi characters as they are, which is
    // valid JSON.
    for f in ["json", "sarif", "junit", "cyclonedx", "spdx-json"] {
        let out = plimsoll(&["image", img, "--db", db, "-f", f], tmp.path());
        assert_eq!(out.status.code(), Some(0), "{f}: {}", text(&out).1);
        assert!(
            !out.stdout.contains(&0x1b) && !out.stdout.contains(&0x07),
            "{f}: a raw ESC or BEL"
        );
    }
    // explain names the layer by its instruction.
    assert!(all.contains("layer 1: RUN /bin/sh -c pip install requests\\x1b]0;pwned\\x07"));
}

#[test]
fn tar_entry_names_in_errors_are_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("layout");
    let built = ImageBuilder::new()
        .compression(Compression::None)
        .layer("ADD rootfs /", |l| {
            l.raw_file(format!("evil{OSC}name").as_bytes(), "x")
                .file("etc/big", vec![b'a'; 8192])
        })
        .write_oci_layout(&dir, Some("v1"));
    // Garble the header of the entry after the hostile one, and make the layout describe
    // the garbled layer (its digest is its diff_id, uncompressed): the tar reader fails
    // there, and the error names the last entry read.
    let mut data = built.layers[0].data.clone();
    data[1024..1024 + 512].fill(0xff);
    let config = rewrite(
        &dir,
        &built.config.data,
        &[(&built.layers[0].digest, &data)],
    );
    let manifest = rewrite(
        &dir,
        &built.manifest.data,
        &[
            (&built.layers[0].digest, &data),
            (&built.config.digest, &config),
        ],
    );
    let index = std::fs::read_to_string(dir.join("index.json")).unwrap();
    let index = index.replace(&built.manifest.digest, &sha256(&manifest));
    std::fs::write(dir.join("index.json"), index).unwrap();
    let reference = format!("oci:{}:v1", dir.display());
    let out = plimsoll(&["image", &reference, "--scanners", "none"], tmp.path());
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_no_controls("layer error", &out.stderr);
    assert!(
        stderr.contains("evil\\x1b]0;pwned\\x07name"),
        "the entry is named, escaped: {stderr}"
    );
}

/// Writes `blobs` under their digests, and `doc` with each blob's old digest replaced by
/// its new one (all are the same length); returns the new `doc`.
fn rewrite(dir: &Path, doc: &[u8], blobs: &[(&str, &[u8])]) -> Vec<u8> {
    let mut text = String::from_utf8(doc.to_vec()).unwrap();
    for (old, data) in blobs {
        let new = sha256(data);
        std::fs::write(blob_path(dir, &new), data).unwrap();
        text = text.replace(old, &new);
    }
    let out = text.into_bytes();
    std::fs::write(blob_path(dir, &sha256(&out)), &out).unwrap();
    out
}

fn blob_path(dir: &Path, digest: &str) -> PathBuf {
    dir.join("blobs/sha256")
        .join(digest.trim_start_matches("sha256:"))
}

#[test]
fn sbom_component_names_are_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let sbom = tmp.path().join("bom.json");
    let doc = serde_json::json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "components": [{
            "type": "library",
            "name": format!("left{OSC}pad\u{202e}"),
            "version": format!("1.3.0{CSI}")
        }]
    });
    std::fs::write(&sbom, serde_json::to_vec(&doc).unwrap()).unwrap();
    let sbom = sbom.to_str().unwrap();
    let mut all = String::new();
    for f in ["table", "markdown"] {
        let out = plimsoll(
            &["sbom", sbom, "--scanners", "none", "--format", f],
            tmp.path(),
        );
        assert_eq!(out.status.code(), Some(0), "{f}: {}", text(&out).1);
        assert_no_controls(f, &out.stdout);
        assert_no_controls(f, &out.stderr);
        all.push_str(&text(&out).0);
    }
    assert!(
        all.contains("left\\x1b]0;pwned\\x07pad\\u{202e}"),
        "escaped name missing:\n{all}"
    );
}

/// A native report with a finding, as `image --format json` writes it, then made hostile.
fn hostile_report(tmp: &Path) -> PathBuf {
    let out = plimsoll(
        &[
            "image",
            root().join("demo/demo-image.tar").to_str().unwrap(),
            "--db",
            root().join("demo/osv").to_str().unwrap(),
            "--format",
            "json",
        ],
        tmp,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
    let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["artifact"]["name"] = format!("img{OSC}").into();
    v["artifact"]["reference"] = format!("img{OSC}").into();
    for f in v["vulnerabilities"].as_array_mut().unwrap() {
        f["package_name"] = format!("pkg{CSI}").into();
        f["installed_version"] = format!("1{OSC}").into();
    }
    let path = tmp.join("hostile.json");
    std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
    path
}

#[test]
fn explore_escapes_untrusted_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let report = hostile_report(tmp.path());
    // An unreadable report's name is quoted in a warning.
    let bad = tmp.path().join(format!("bad{OSC}.json"));
    std::fs::write(&bad, "{").unwrap();
    let out = plimsoll(
        &["explore", report.to_str().unwrap(), bad.to_str().unwrap()],
        tmp.path(),
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_no_controls("explore stdout", &out.stdout);
    assert_no_controls("explore stderr", &out.stderr);
    assert!(stdout.contains("pkg\\x1b[2J"), "{stdout}");
    assert!(stdout.contains("img\\x1b]0;pwned\\x07"), "{stdout}");
    assert!(stderr.contains("bad\\x1b]0;pwned\\x07.json"), "{stderr}");
}

/// Runs `args` with stdout on a pseudo-terminal (util-linux `script`), so that colour is
/// wanted unless the environment says otherwise.
fn on_a_terminal(args: &[&str], term: &str, cache: &Path) -> Vec<u8> {
    let mut cmd = shell_quote(env!("CARGO_BIN_EXE_plimsoll"));
    for a in args {
        cmd.push(' ');
        cmd.push_str(&shell_quote(a));
    }
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("TERM", term)
        .env("PLIMSOLL_CACHE_DIR", cache)
        .env_remove("NO_COLOR")
        .output()
        .expect("util-linux script runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[test]
fn term_dumb_gets_no_colour_even_on_a_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let report = tmp.path().join("r.json");
    let out = plimsoll(
        &[
            "image",
            root().join("demo/demo-image.tar").to_str().unwrap(),
            "--db",
            root().join("demo/osv").to_str().unwrap(),
            "-f",
            "json",
            "-o",
            report.to_str().unwrap(),
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
    let report = report.to_str().unwrap();
    let coloured = on_a_terminal(&["explore", report], "xterm-256color", tmp.path());
    assert!(
        coloured.windows(2).any(|w| w == b"\x1b["),
        "a terminal that knows colour gets it (else this test proves nothing): {}",
        String::from_utf8_lossy(&coloured)
    );
    assert!(String::from_utf8_lossy(&coloured).contains("CVE-2024-35195"));
    let dumb = on_a_terminal(&["explore", report], "dumb", tmp.path());
    assert!(String::from_utf8_lossy(&dumb).contains("CVE-2024-35195"));
    assert!(
        !dumb.contains(&0x1b),
        "TERM=dumb: {}",
        String::from_utf8_lossy(&dumb)
    );
}
