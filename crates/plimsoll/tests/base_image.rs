//! Base image separation through the real binary: the bundled demo image (label and history),
//! an OCI layout whose manifest carries the base annotations, `--base-image` against a real
//! registry on loopback with a base and an application image that shares its layers, and
//! `--exclude-base-image`. Scanned with `--db demo/osv`, whose two advisories match libssl3
//! (a Debian package) and requests (pip-installed).

mod common;

use common::{root, text};
use plimsoll_testkit::demo::{DPKG_STATUS, OS_RELEASE, REQUESTS_METADATA, demo_image};
use plimsoll_testkit::registry::Registry;
use plimsoll_testkit::{BuiltImage, ImageBuilder};
use serde_json::Value;
use std::path::Path;
use std::process::Output;

const LIBSSL: &str = "CVE-2023-5678";
const REQUESTS: &str = "CVE-2024-35195";

fn run(args: &[&str], cache: &Path) -> Output {
    let db = root().join("demo/osv");
    let mut all: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
    // `inventory` matches nothing, so takes no database.
    if args.first() != Some(&"inventory") {
        all.push("--db".as_ref());
        all.push(db.as_os_str());
    }
    common::bin()
        .args(all)
        .env("PLIMSOLL_CACHE_DIR", cache)
        .output()
        .expect("run plimsoll")
}

/// `plimsoll image REF --format json ARGS…`: must succeed and validate against the schema.
fn report(reference: &str, args: &[&str]) -> Value {
    let cache = tempfile::tempdir().unwrap();
    let mut all = vec!["image", reference, "-f", "json"];
    all.extend_from_slice(args);
    let out = run(&all, cache.path());
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    common::validate_report(&r).unwrap();
    r
}

/// `id -> in_base_image` of the findings under `key` (`vulnerabilities`, `suppressed`).
fn marks(r: &Value, key: &str) -> Vec<(String, Value)> {
    let mut v: Vec<(String, Value)> = r[key]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["in_base_image"].clone(),
            )
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

fn demo() -> String {
    root().join("demo/demo-image.tar").display().to_string()
}

/// The demo image's history: `ADD` (layer 0), `CMD ["bash"]`, `ENV`, then three layers of
/// its own; its label names `debian:12`.
#[test]
fn demo_image_base_is_its_labelled_first_layer() {
    let r = report(&demo(), &[]);
    let b = &r["artifact"]["base_image"];
    assert_eq!(b["method"], "label", "{b}");
    assert_eq!(b["name"], "docker.io/library/debian:12");
    assert_eq!(b["layers"], 1);
    assert_eq!(
        b["detail"],
        "config label org.opencontainers.image.base.name names it; history entry 1 (CMD [\"bash\"]) ends it"
    );
    assert_eq!(
        marks(&r, "vulnerabilities"),
        [
            (LIBSSL.to_string(), Value::Bool(true)),
            (REQUESTS.to_string(), Value::Bool(false))
        ]
    );

    // The table shows them apart; the summary and inventory views say how it was decided.
    let cache = tempfile::tempdir().unwrap();
    let t = text(&run(&["image", &demo()], cache.path()).stdout);
    let base_at = t
        .find("\nBase image docker.io/library/debian:12 (layer 0, decided by label): Total: 1 ")
        .unwrap_or_else(|| panic!("{t}"));
    let app_at = t.find("\nApplication (layers 1–3): Total: 1 ").unwrap();
    let (libssl_at, requests_at) = (t.find(LIBSSL).unwrap(), t.find(REQUESTS).unwrap());
    assert!(
        base_at < libssl_at && libssl_at < app_at && app_at < requests_at,
        "{t}"
    );
    let inv = text(&run(&["inventory", &demo()], cache.path()).stdout);
    assert!(
        inv.contains("\nBase image: docker.io/library/debian:12, layer 0 (label: "),
        "{inv}"
    );
}

#[test]
fn exclude_base_image_moves_exactly_the_base_findings_to_suppressed() {
    let r = report(&demo(), &["--exclude-base-image"]);
    assert_eq!(
        marks(&r, "vulnerabilities"),
        [(REQUESTS.to_string(), Value::Bool(false))]
    );
    assert_eq!(
        marks(&r, "suppressed"),
        [(LIBSSL.to_string(), Value::Bool(true))]
    );
    let s = &r["suppressed"][0];
    assert_eq!(s["suppressed_by"], "exclude-base-image");
    assert_eq!(
        s["reason"],
        "layer 0 is from base image docker.io/library/debian:12 (layer 0, decided by label)"
    );

    // The gate counts only the application's finding: libssl3's is LOW, requests' MEDIUM.
    let cache = tempfile::tempdir().unwrap();
    let d = demo();
    let gated = |extra: &[&str]| {
        let mut a = vec!["image", d.as_str(), "-q"];
        a.extend_from_slice(extra);
        run(&a, cache.path()).status.code()
    };
    assert_eq!(gated(&["--exit-code", "5", "--severity", "LOW"]), Some(5));
    assert_eq!(
        gated(&[
            "--exit-code",
            "5",
            "--severity",
            "LOW",
            "--exclude-base-image"
        ]),
        Some(0)
    );

    // explain says where the suppressed finding came from, and how that was decided.
    let out = run(
        &["explain", LIBSSL, &demo(), "--exclude-base-image"],
        cache.path(),
    );
    let e = text(&out.stdout);
    assert!(
        e.contains("in base image: yes (base image docker.io/library/debian:12 (layer 0, decided by label))"),
        "{e}"
    );
    assert!(
        e.contains("Suppressed by exclude-base-image: layer 0 is from"),
        "{e}"
    );
    let e = text(&run(&["explain", REQUESTS, &demo()], cache.path()).stdout);
    assert!(e.contains("in base image: no ("), "{e}");
}

/// An OCI layout whose manifest names the base: the annotations win over the label.
#[test]
fn oci_layout_with_base_annotations() {
    let dir = tempfile::tempdir().unwrap();
    let digest = format!("sha256:{}", "ab".repeat(32));
    demo_image()
        .annotation(
            "org.opencontainers.image.base.name",
            "docker.io/library/debian:12.5",
        )
        .annotation("org.opencontainers.image.base.digest", &digest)
        .write_oci_layout(dir.path(), None);
    let r = report(&format!("oci:{}", dir.path().display()), &[]);
    let b = &r["artifact"]["base_image"];
    assert_eq!(b["method"], "annotation", "{b}");
    assert_eq!(b["name"], "docker.io/library/debian:12.5");
    assert_eq!(b["digest"], digest.as_str());
    assert_eq!(b["layers"], 1);
    assert!(
        b["detail"]
            .as_str()
            .unwrap()
            .starts_with("manifest annotation org.opencontainers.image.base.name names it"),
        "{b}"
    );
}

/// A FROM scratch image: no base image, no `in_base_image`, and `--exclude-base-image` says
/// it excluded nothing.
#[test]
fn no_base_image_told_apart() {
    let dir = tempfile::tempdir().unwrap();
    app_layers(ImageBuilder::new().layer("COPY rootfs / # buildkit", debian_files))
        .write_oci_layout(dir.path(), None);
    let r = report(
        &format!("oci:{}", dir.path().display()),
        &["--exclude-base-image"],
    );
    assert!(
        r["artifact"].get("base_image").is_none(),
        "{}",
        r["artifact"]
    );
    assert_eq!(
        marks(&r, "vulnerabilities"),
        [
            (LIBSSL.to_string(), Value::Null),
            (REQUESTS.to_string(), Value::Null)
        ]
    );
    assert!(r["suppressed"].is_null());
    let w = r["warnings"].to_string();
    assert!(
        w.contains("--exclude-base-image: no base image could be told apart"),
        "{w}"
    );
}

fn debian_files(l: plimsoll_testkit::LayerBuilder) -> plimsoll_testkit::LayerBuilder {
    l.file("usr/lib/os-release", OS_RELEASE)
        .symlink("etc/os-release", "../usr/lib/os-release")
        .file("var/lib/dpkg/status", DPKG_STATUS)
}

fn app_layers(b: ImageBuilder) -> ImageBuilder {
    b.layer(
        "RUN /bin/sh -c pip install requests==2.31.0 # buildkit",
        |l| {
            l.file(
                "usr/local/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA",
                REQUESTS_METADATA,
            )
        },
    )
    .layer("COPY app /app # buildkit", |l| {
        l.file("app/server.py", "print('hi')\n")
    })
    .entrypoint(&["python3", "/app/server.py"])
}

/// A base of two layers whose history has no CMD (so history alone cannot tell it), and an
/// application built on it, both pushed to a real registry: `--base-image` compares diff_ids.
#[test]
fn base_image_flag_against_a_registry() {
    let Some(reg) = Registry::anonymous() else {
        return;
    };
    let base = ImageBuilder::new()
        .layer("ADD rootfs.tar / # buildkit", debian_files)
        .layer(
            "RUN /bin/sh -c apt-get install -y ca-certificates # buildkit",
            |l| l.file("etc/ssl/certs/ca-certificates.crt", "certs"),
        );
    let built_base: BuiltImage = base.build();
    let base_digest = reg.push("library/base", "1", &built_base);
    reg.push("team/app", "1", &app_layers(base).build());
    let other = ImageBuilder::new().layer("ADD other.tar / # buildkit", |l| l.file("x", "y"));
    reg.push("library/other", "1", &other.build());
    let (app, base_ref, other_ref) = (
        format!("{}/team/app:1", reg.host()),
        format!("{}/library/base:1", reg.host()),
        format!("{}/library/other:1", reg.host()),
    );

    assert!(report(&app, &[])["artifact"].get("base_image").is_none());

    let r = report(&app, &["--base-image", &base_ref]);
    let b = &r["artifact"]["base_image"];
    assert_eq!(b["method"], "base-image", "{b}");
    assert_eq!(b["name"], base_ref.as_str());
    assert_eq!(b["digest"], base_digest.as_str());
    assert_eq!(b["layers"], 2);
    assert_eq!(
        marks(&r, "vulnerabilities"),
        [
            (LIBSSL.to_string(), Value::Bool(true)),
            (REQUESTS.to_string(), Value::Bool(false))
        ]
    );
    // Only the base's manifest and config were fetched, never its layers.
    let log = reg.log();
    assert!(
        log.contains(&format!("library/base/blobs/{}", built_base.config.digest)),
        "{log}"
    );
    for l in &built_base.layers {
        assert!(
            !log.contains(&format!("library/base/blobs/{}", l.digest)),
            "{log}"
        );
    }

    // Not its base: a warning naming both, and the decision falls through (to nothing here).
    let r = report(&app, &["--base-image", &other_ref]);
    assert!(r["artifact"].get("base_image").is_none());
    let w = r["warnings"][0].as_str().unwrap();
    assert!(
        w.contains(&format!(
            "--base-image {other_ref} is not the base of {app}"
        )),
        "{w}"
    );

    // A base that cannot be opened is an input error naming it.
    let cache = tempfile::tempdir().unwrap();
    let missing = format!("{}/library/missing:1", reg.host());
    let out = run(&["image", &app, "--base-image", &missing], cache.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains(&format!("--base-image {missing}: ")),
        "{}",
        text(&out.stderr)
    );
}
