//! End-to-end tests on real images built from Debian's packages by
//! `scripts/build-test-images.sh`. Skipped (with a note) unless `PLIMSOLL_E2E_IMAGES` names
//! the directory that script wrote:
//!
//! ```sh
//! sudo scripts/build-test-images.sh images          # add --many-files for the 1M-file image
//! PLIMSOLL_E2E_IMAGES=images cargo test -p plimsoll --test e2e_real_images -- --nocapture
//! ```
//!
//! The facts asserted are those the script guarantees: `base` is one debootstrap minbase
//! layer; `python` adds a layer installing python3 and a layer deleting `/usr/share/doc`
//! and `/var/lib/apt/lists/*`; `python` is also written as docker-archive and oci-archive.
//! `apps` adds a pip, an npm and a binaries layer of deliberately old packages, scanned
//! against the advisories of `tests/fixtures/e2e-osv` for the exact finding set.

mod common;

use plimsoll_model::{Layer, Report};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The images directory, or `None` (after printing why) when the tier is not enabled.
fn images_dir(test: &str) -> Option<PathBuf> {
    let Some(dir) = std::env::var_os("PLIMSOLL_E2E_IMAGES") else {
        eprintln!(
            "skipping {test}: set PLIMSOLL_E2E_IMAGES=<dir> (built by scripts/build-test-images.sh) to run the real-image tests"
        );
        return None;
    };
    let dir = PathBuf::from(dir);
    // Relative paths are taken from the current directory, else from the workspace root
    // (cargo runs integration tests in the crate's directory).
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let found = [dir.clone(), root.join(&dir)]
        .into_iter()
        .find(|d| d.join("oci/index.json").is_file());
    match found {
        Some(d) => Some(d),
        None => panic!(
            "PLIMSOLL_E2E_IMAGES={} has no oci/index.json: run scripts/build-test-images.sh {} first",
            dir.display(),
            dir.display()
        ),
    }
}

/// Runs `plimsoll image REF --format json` and parses the report; panics with stderr on
/// a non-zero exit.
fn scan(reference: &str) -> Report {
    let out = common::bin()
        .args([
            "image",
            reference,
            "--format",
            "json",
            "--quiet",
            "--scanners",
            "none",
        ])
        .output()
        .expect("run plimsoll");
    assert!(
        out.status.success(),
        "plimsoll image {reference} exited with {:?}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "plimsoll image {reference}: bad JSON report: {e}\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn read_json(path: &Path) -> Value {
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&data).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn blob(layout: &Path, digest: &str) -> Value {
    let (alg, hex) = digest.split_once(':').expect("digest");
    read_json(&layout.join("blobs").join(alg).join(hex))
}

/// Reads the OCI layout directly (without plimsoll) and returns the config of `tag`.
fn layout_config(layout: &Path, tag: &str) -> Value {
    let index = read_json(&layout.join("index.json"));
    let desc = index["manifests"]
        .as_array()
        .expect("manifests")
        .iter()
        .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == tag)
        .unwrap_or_else(|| panic!("tag {tag} not in {}", layout.display()));
    let manifest = blob(layout, desc["digest"].as_str().unwrap());
    blob(layout, manifest["config"]["digest"].as_str().unwrap())
}

fn config_diff_ids(config: &Value) -> Vec<String> {
    config["rootfs"]["diff_ids"]
        .as_array()
        .expect("rootfs.diff_ids")
        .iter()
        .map(|d| d.as_str().unwrap().to_string())
        .collect()
}

fn diff_ids(r: &Report) -> Vec<String> {
    r.artifact
        .layers
        .iter()
        .map(|l| l.diff_id.clone().expect("every layer has a diff_id"))
        .collect()
}

fn assert_clean(reference: &str, r: &Report) {
    for l in &r.artifact.layers {
        assert_eq!(l.error, None, "{reference}: layer {} has an error", l.index);
        assert!(
            l.uncompressed_size > 0,
            "{reference}: layer {} measured no bytes",
            l.index
        );
    }
}

fn created_by(l: &Layer) -> &str {
    l.created_by.as_deref().unwrap_or("")
}

#[test]
fn base_is_one_minbase_layer() {
    let Some(dir) = images_dir("base_is_one_minbase_layer") else {
        return;
    };
    let layout = dir.join("oci");
    let reference = format!("oci:{}:base", layout.display());
    let r = scan(&reference);
    assert_clean(&reference, &r);
    assert_eq!(r.artifact.layers.len(), 1, "{reference}: layers");
    let l = &r.artifact.layers[0];
    assert!(
        created_by(l).contains("debootstrap --variant=minbase"),
        "{l:?}"
    );
    assert_eq!(l.compression.as_deref(), Some("gzip"));
    // A bookworm minbase has some 5,000 to 7,000 entries.
    assert!(l.entries > 1000, "{reference}: only {} entries", l.entries);
    assert!(
        r.artifact.files > 1000,
        "{reference}: only {} files",
        r.artifact.files
    );
    assert_eq!(
        l.files_in_final, r.artifact.files,
        "one layer: every file comes from it"
    );
    assert!(l.deletions.is_empty() && l.opaque_dirs.is_empty());
    assert_eq!(
        diff_ids(&r),
        config_diff_ids(&layout_config(&layout, "base"))
    );
    let p = r.artifact.platform.as_ref().expect("platform");
    assert_eq!((p.os.as_str(), p.architecture.as_str()), ("linux", "amd64"));
}

/// Checks the `python` image as read from one of its forms, and returns its diff_ids.
fn check_python(reference: &str, config: &Value) -> Vec<String> {
    let r = scan(reference);
    assert_clean(reference, &r);
    let layers = &r.artifact.layers;
    assert_eq!(layers.len(), 3, "{reference}: layers");

    assert!(
        created_by(&layers[0]).contains("debootstrap --variant=minbase"),
        "{reference}: layer 0 created_by {:?}",
        layers[0].created_by
    );
    assert!(
        created_by(&layers[1]).contains("apt-get install")
            && created_by(&layers[1]).contains("python3"),
        "{reference}: layer 1 created_by {:?}",
        layers[1].created_by
    );
    assert!(
        created_by(&layers[2]).contains("rm -rf /usr/share/doc"),
        "{reference}: layer 2 created_by {:?}",
        layers[2].created_by
    );

    // Layer 0: the minbase rootfs.
    assert!(
        layers[0].entries > 1000,
        "{reference}: {} entries",
        layers[0].entries
    );
    assert!(layers[0].deletions.is_empty());
    // Layer 1: python3 and its libraries, plus the apt lists.
    assert!(
        layers[1].entries > 500,
        "{reference}: {} entries",
        layers[1].entries
    );
    // Layer 2 deletes, and adds (almost) nothing.
    let del = &layers[2].deletions;
    assert!(
        del.iter().any(|d| d == "usr/share/doc"),
        "{reference}: layer 2 deletions {del:?}"
    );
    assert!(
        del.iter().any(|d| d.starts_with("var/lib/apt/lists/")),
        "{reference}: layer 2 deletions {del:?}"
    );
    assert!(
        layers[2].entries < 50,
        "{reference}: layer 2 has {} entries",
        layers[2].entries
    );
    // The deleted documentation no longer counts: every layer loses files to layer 2.
    assert!(layers[0].files_in_final < layers[0].entries);
    assert!(layers[1].files_in_final < layers[1].entries);
    assert!(layers[1].files_in_final > 100);
    let total: u64 = layers.iter().map(|l| l.files_in_final).sum();
    assert_eq!(
        total, r.artifact.files,
        "{reference}: files_in_final add up"
    );
    assert!(
        r.artifact.files > 1000,
        "{reference}: {} files",
        r.artifact.files
    );

    let ids = diff_ids(&r);
    assert_eq!(ids, config_diff_ids(config), "{reference}: diff_ids");
    ids
}

#[test]
fn python_image_in_all_three_forms() {
    let Some(dir) = images_dir("python_image_in_all_three_forms") else {
        return;
    };
    let layout = dir.join("oci");
    let config = layout_config(&layout, "python");
    let forms = [
        format!("oci:{}:python", layout.display()),
        format!("oci-archive:{}", dir.join("python.oci.tar").display()),
        format!("docker-archive:{}", dir.join("python.docker.tar").display()),
    ];
    let ids: Vec<Vec<String>> = forms.iter().map(|f| check_python(f, &config)).collect();
    assert_eq!(ids[0], ids[1], "OCI layout and oci-archive disagree");
    assert_eq!(ids[0], ids[2], "OCI layout and docker-archive disagree");
    // The base layer is shared with `base`.
    assert_eq!(
        ids[0][0],
        config_diff_ids(&layout_config(&layout, "base"))[0]
    );
}

#[test]
fn big_image_when_built() {
    let Some(dir) = images_dir("big_image_when_built") else {
        return;
    };
    if !dir.join("big.oci.tar").is_file() {
        eprintln!("skipping big_image_when_built: no big.oci.tar (built without --no-big?)");
        return;
    }
    let layout = dir.join("oci");
    let config = layout_config(&layout, "big");
    for reference in [
        format!("oci:{}:big", layout.display()),
        format!("oci-archive:{}", dir.join("big.oci.tar").display()),
        format!("docker-archive:{}", dir.join("big.docker.tar").display()),
    ] {
        let r = scan(&reference);
        assert_clean(&reference, &r);
        assert_eq!(r.artifact.layers.len(), 4, "{reference}");
        let l = &r.artifact.layers[3];
        assert!(created_by(l).contains("build-essential"), "{l:?}");
        assert!(l.entries > 5000, "{reference}: {} entries", l.entries);
        assert!(l.uncompressed_size > 200 << 20, "{reference}: {l:?}");
        assert_eq!(diff_ids(&r), config_diff_ids(&config), "{reference}");
    }
}

#[test]
fn many_files_when_built() {
    let Some(dir) = images_dir("many_files_when_built") else {
        return;
    };
    let layout = dir.join("many-files");
    if !layout.join("index.json").is_file() {
        eprintln!(
            "skipping many_files_when_built: no many-files/ (scripts/build-test-images.sh --many-files)"
        );
        return;
    }
    let reference = format!("oci:{}", layout.display());
    let r = scan(&reference);
    assert_clean(&reference, &r);
    assert_eq!(r.artifact.layers.len(), 1);
    let l = &r.artifact.layers[0];
    // 1,000,000 files, 1,000 directories and `many/`.
    assert_eq!(l.entries, 1_001_001, "{reference}");
    assert_eq!(r.artifact.files, 1_001_001, "{reference}");
    assert_eq!(
        diff_ids(&r),
        config_diff_ids(&layout_config(&layout, "latest"))
    );
}

/// `(name, version)` of the dpkg packages in a report.
fn debs(r: &Report) -> std::collections::BTreeSet<(String, String)> {
    r.packages
        .iter()
        .filter(|p| p.kind == "deb")
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect()
}

#[test]
fn inventory_matches_dpkg_and_attributes_layers() {
    let Some(dir) = images_dir("inventory_matches_dpkg_and_attributes_layers") else {
        return;
    };
    // dpkg's own view of the base rootfs the image was made from.
    let admindir = dir.join("work/rootfs-base/var/lib/dpkg");
    let base = scan(&format!("oci:{}:base", dir.join("oci").display()));
    assert_eq!(
        base.artifact
            .os
            .as_ref()
            .map(|o| (o.family.as_str(), o.version.as_str())),
        Some(("debian", "12"))
    );
    if admindir.is_dir() {
        let out = Command::new("dpkg-query")
            .arg(format!("--admindir={}", admindir.display()))
            .args(["-W", "-f", "${db:Status-Abbrev} ${Package} ${Version}\n"])
            .output()
            .expect("dpkg-query");
        let expected: std::collections::BTreeSet<(String, String)> =
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter(|l| l.starts_with("ii"))
                .filter_map(|l| {
                    let mut w = l.split_whitespace().skip(1);
                    Some((w.next()?.to_string(), w.next()?.to_string()))
                })
                .collect();
        assert!(expected.len() > 50);
        assert_eq!(
            debs(&base),
            expected,
            "plimsoll and dpkg-query agree on the base image"
        );
    }
    for p in base.packages.iter().filter(|p| p.kind == "deb") {
        assert_eq!(p.ecosystem, "Debian:12");
        assert!(
            p.purl.starts_with("pkg:deb/debian/") && p.purl.contains('@'), // names like libstdc++6 are percent-encoded
            "{}",
            p.purl
        );
        assert!(p.purl.contains("distro=debian-12"), "{}", p.purl);
        assert_eq!(p.locations[0].layer, Some(0));
    }

    let python = scan(&format!("oci:{}:python", dir.join("oci").display()));
    let layer_of = |name: &str| {
        python
            .packages
            .iter()
            .find(|p| p.kind == "deb" && p.name == name)
            .unwrap_or_else(|| panic!("{name} missing"))
            .locations[0]
            .layer
    };
    assert_eq!(
        layer_of("python3"),
        Some(1),
        "installed by the apt-get layer"
    );
    assert_eq!(layer_of("python3.11-minimal"), Some(1));
    assert_eq!(layer_of("base-files"), Some(0), "untouched by later layers");
    assert!(debs(&python).is_superset(&debs(&base)));
    // The deleting layer rewrote no package database: nothing belongs to it.
    assert!(
        python
            .packages
            .iter()
            .all(|p| p.locations[0].layer != Some(2))
    );
}

#[test]
fn apps_image_language_packages_and_binaries() {
    let Some(reference) = apps_image("apps_image_language_packages_and_binaries") else {
        return;
    };
    let r = scan(&reference);
    let mut langs: Vec<(String, String, String, Option<usize>, String)> = r
        .packages
        .iter()
        .filter(|p| p.kind != "deb")
        .map(|p| {
            (
                p.kind.clone(),
                p.name.clone(),
                p.version.clone(),
                p.locations[0].layer,
                p.origin.to_string(),
            )
        })
        .collect();
    langs.sort();
    let e = |k: &str, n: &str, v: &str, l: usize, o: &str| {
        (
            k.to_string(),
            n.to_string(),
            v.to_string(),
            Some(l),
            o.to_string(),
        )
    };
    assert_eq!(
        langs,
        vec![
            e("cargo", "itoa", "1.0.11", 5, "installed"),
            e("cargo", "maybe-uninit", "2.0.0", 5, "installed"),
            e("cargo", "ryu", "1.0.18", 5, "installed"),
            e("cargo", "smallvec", "0.6.14", 5, "installed"),
            e("cargo", "smallvec", "1.6.0", 5, "installed"),
            e("go-module", "example.com/dep", "v0.0.0", 5, "installed"),
            e(
                "go-module",
                "github.com/fake/greet",
                "v1.2.3",
                5,
                "installed"
            ),
            e(
                "go-module",
                "github.com/fork/fake",
                "v0.1.1",
                5,
                "installed"
            ),
            e("go-module", "stdlib", "v1.19.8", 5, "installed"),
            e("npm", "ip", "1.1.8", 4, "installed"),
            e("npm", "lodash", "4.17.20", 4, "installed"),
            e("npm", "minimist", "1.2.5", 4, "installed"),
            e("python", "certifi", "2024.2.2", 3, "installed"),
            e("python", "ecdsa", "0.19.0", 3, "installed"),
            e("python", "idna", "3.6", 3, "installed"),
            e("python", "requests", "2.31.0", 3, "installed"),
            e("python", "urllib3", "2.2.1", 3, "installed"),
        ]
    );
    // The OS packages stay where the python image put them.
    assert_eq!(r.packages.iter().filter(|p| p.kind == "deb").count(), 110);
    // npm's lockfile names what node_modules holds: one package each, with both paths.
    for p in r.packages.iter().filter(|p| p.kind == "npm") {
        let paths: Vec<&str> = p.locations.iter().map(|l| l.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                format!("app/node_modules/{}/package.json", p.name).as_str(),
                "app/package-lock.json"
            ],
            "{}",
            p.name
        );
    }
    let req = r.packages.iter().find(|p| p.name == "requests").unwrap();
    assert_eq!(req.purl, "pkg:pypi/requests@2.31.0");
    assert_eq!(req.ecosystem, "PyPI");
    assert!(
        req.owned_by.is_none(),
        "pip-installed, not the distribution's"
    );
}

/// `oci:DIR/oci:apps`, or `None` (with a note) when the real images or the `apps` image are
/// not built.
fn apps_image(test: &str) -> Option<String> {
    let dir = images_dir(test)?;
    if !std::fs::read_to_string(dir.join("oci/index.json"))
        .unwrap_or_default()
        .contains("\"apps\"")
    {
        eprintln!("skipping {test}: no `apps` image (rerun scripts/build-test-images.sh)");
        return None;
    }
    Some(format!("oci:{}:apps", dir.join("oci").display()))
}

/// The advisories written for the `apps` image (tests/fixtures/e2e-osv/README.md lists each
/// record, where it came from and what it tests).
fn e2e_osv() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/e2e-osv")
}

/// Runs `plimsoll image REF --db e2e-osv --quiet ARGS` with its own cache directory and
/// returns standard output; panics with stderr on a non-zero exit.
fn scan_with_db(reference: &str, cache: &Path, args: &[&str]) -> String {
    let out = common::bin()
        .args(["image", reference, "--quiet", "--db"])
        .arg(e2e_osv())
        .args(args)
        .env("PLIMSOLL_CACHE_DIR", cache)
        .env("NO_COLOR", "1")
        .env_remove("PLIMSOLL_DB")
        .output()
        .expect("run plimsoll");
    assert!(
        out.status.success(),
        "plimsoll image {reference} {args:?} exited with {:?}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 report")
}

/// One expected finding: id, package, installed version, fixed versions, status, layer and
/// the path where the package was found.
type Row = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static str,
    u64,
    &'static str,
);

/// A [`Row`] read from a report.
type OwnedRow = (String, String, String, Vec<String>, String, u64, String);

const PIP: &str = "usr/local/lib/python3.11/dist-packages";
/// Stands for the glibc version of the image (bookworm's current point release when the
/// image was built), taken from the report's `libc6`.
const GLIBC: &str = "<glibc>";

/// Every finding of the `apps` image against `e2e-osv`, sorted. Paths under `PIP` are
/// written without that prefix.
const APPS_FINDINGS: &[Row] = &[
    // glibc's tracker record has no fix (`unimportant`); both binary packages of the source
    // package match, in the debootstrap layer.
    (
        "CVE-2010-4756",
        "libc-bin",
        "2.36-9+deb12u14",
        &[],
        "affected",
        0,
        "var/lib/dpkg/status",
    ),
    (
        "CVE-2010-4756",
        "libc6",
        "2.36-9+deb12u14",
        &[],
        "affected",
        0,
        "var/lib/dpkg/status",
    ),
    (
        "CVE-2020-28500",
        "lodash",
        "4.17.20",
        &["4.17.21"],
        "fixed",
        4,
        "app/node_modules/lodash/package.json",
    ),
    (
        "CVE-2021-23337",
        "lodash",
        "4.17.20",
        &["4.17.21"],
        "fixed",
        4,
        "app/node_modules/lodash/package.json",
    ),
    // RUSTSEC-2021-0003: 1.6.0 is before the 1.x fix; 0.6.14 (same binary) is the 0.6 fix.
    (
        "CVE-2021-25900",
        "smallvec",
        "1.6.0",
        &["1.6.1"],
        "fixed",
        5,
        "usr/local/bin/vuln-audit",
    ),
    (
        "CVE-2021-44906",
        "minimist",
        "1.2.5",
        &["1.2.6"],
        "fixed",
        4,
        "app/node_modules/minimist/package.json",
    ),
    // go-hello's toolchain, as the Go database names it.
    (
        "CVE-2023-24539",
        "stdlib",
        "v1.19.8",
        &["1.19.9"],
        "fixed",
        5,
        "usr/local/bin/go-hello",
    ),
    // `last_affected: 1.1.8` and the image has 1.1.8: affected, with no fix.
    (
        "CVE-2023-42282",
        "ip",
        "1.1.8",
        &[],
        "affected",
        4,
        "app/node_modules/ip/package.json",
    ),
    (
        "CVE-2024-29415",
        "ip",
        "1.1.8",
        &["2.0.1"],
        "fixed",
        4,
        "app/node_modules/ip/package.json",
    ),
    (
        "CVE-2024-35195",
        "requests",
        "2.31.0",
        &["2.32.2"],
        "fixed",
        3,
        "requests-2.31.0.dist-info/METADATA",
    ),
    // GHSA-jjg7-2v4v-x38h and PYSEC-2024-60: one finding, named by the CVE.
    (
        "CVE-2024-3651",
        "idna",
        "3.6",
        &["3.7"],
        "fixed",
        3,
        "idna-3.6.dist-info/METADATA",
    ),
    // Only the 2.x range matched: its fix alone is offered.
    (
        "CVE-2024-37891",
        "urllib3",
        "2.2.1",
        &["2.2.2"],
        "fixed",
        3,
        "urllib3-2.2.1.dist-info/METADATA",
    ),
    // The advisory writes the calendar version zero-padded, as published.
    (
        "CVE-2024-39689",
        "certifi",
        "2024.2.2",
        &["2024.07.04"],
        "fixed",
        3,
        "certifi-2024.2.2.dist-info/METADATA",
    ),
];

/// Ids (and aliases) of records in `e2e-osv` that name a package of the image but must not
/// produce a finding, each for the reason given.
const APPS_NOT_MATCHED: &[(&str, &str)] = &[
    (
        "CVE-2023-32681",
        "requests 2.31.0 is exactly the fixed version",
    ),
    (
        "GHSA-j8r2-6x86-q33q",
        "requests 2.31.0 is exactly the fixed version",
    ),
    ("CVE-2023-45803", "urllib3 2.2.1 is past the 2.0.7 fix"),
    ("PYSEC-2023-212", "urllib3 2.2.1 is past the 2.0.7 fix"),
    (
        "CVE-2024-23342",
        "ecdsa 0.19.0 is past last_affected 0.18.0",
    ),
    (
        "GHSA-wj6h-64fc-37mp",
        "ecdsa 0.19.0 is past last_affected 0.18.0",
    ),
    (
        "CVE-2021-41720",
        "GHSA-8p5q-j9m2-g8wr (lodash <= 4.17.21) is withdrawn",
    ),
    ("GHSA-8p5q-j9m2-g8wr", "withdrawn"),
    ("CVE-2023-24536", "go1.19.8 is exactly the fixed version"),
    ("GO-2023-1705", "go1.19.8 is exactly the fixed version"),
    ("CVE-2019-15551", "smallvec 0.6.14 is past the 0.6.10 fix"),
    (
        "RUSTSEC-2019-0009",
        "smallvec 0.6.14 is past the 0.6.10 fix",
    ),
    ("CVE-2023-4911", "bookworm's glibc is past 2.36-9+deb12u3"),
    ("CVE-2023-4527", "bookworm's glibc is past 2.36-9+deb12u3"),
    ("CVE-2023-4806", "bookworm's glibc is past 2.36-9+deb12u3"),
    ("DSA-5514-1", "bookworm's glibc is past 2.36-9+deb12u3"),
];

/// The `created_by` each layer of `apps` starts with (the script writes these).
const APPS_LAYERS: &[(u64, &str, &str)] = &[
    // (index, created_by prefix, how the table shortens it)
    (
        0,
        "debootstrap --variant=minbase",
        "0 debootstrap --variant=minbase",
    ),
    (
        3,
        "/bin/sh -c pip install --no-deps",
        "3 RUN pip install --no-deps",
    ),
    (
        4,
        "/bin/sh -c cd /app && npm install",
        "4 RUN cd /app && npm install",
    ),
    (
        5,
        "COPY go-hello tiny-audit vuln-audit",
        "5 COPY go-hello tiny-audit",
    ),
];

fn str_set<'a>(values: impl IntoIterator<Item = &'a Value>) -> BTreeSet<String> {
    values
        .into_iter()
        .map(|v| v.as_str().expect("a string").to_string())
        .collect()
}

#[test]
fn apps_image_finding_set() {
    let Some(reference) = apps_image("apps_image_finding_set") else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();

    let json: Value = serde_json::from_str(&scan_with_db(
        &reference,
        cache.path(),
        &["--format", "json"],
    ))
    .expect("JSON report");
    common::validate_report(&json).unwrap();
    let vulns = json["vulnerabilities"].as_array().expect("vulnerabilities");

    // The exact finding set.
    let mut got: Vec<OwnedRow> = vulns
        .iter()
        .map(|v| {
            let path = v["path"].as_str().expect("path");
            (
                v["id"].as_str().unwrap().to_string(),
                v["package_name"].as_str().unwrap().to_string(),
                v["installed_version"].as_str().unwrap().to_string(),
                v["fixed_versions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f.as_str().unwrap().to_string())
                    .collect(),
                v["status"].as_str().unwrap().to_string(),
                v["layer"].as_u64().expect("layer"),
                path.strip_prefix(&format!("{PIP}/"))
                    .unwrap_or(path)
                    .to_string(),
            )
        })
        .collect();
    got.sort();
    let glibc = json["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["type"] == "deb" && p["name"] == "libc6")
        .and_then(|p| p["version"].as_str())
        .expect("libc6 in the inventory");
    let mut want: Vec<OwnedRow> = APPS_FINDINGS
        .iter()
        .map(|&(id, name, version, fixed, status, layer, path)| {
            (
                id.to_string(),
                name.to_string(),
                if version == GLIBC { glibc } else { version }.to_string(),
                fixed.iter().map(|f| f.to_string()).collect::<Vec<_>>(),
                status.to_string(),
                layer,
                path.to_string(),
            )
        })
        .collect();
    want.sort();
    assert_eq!(got, want, "{reference}: finding set");

    // Each finding names its layer's instruction, and the package it points at is there.
    let packages: BTreeMap<&str, &Value> = json["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p))
        .collect();
    for v in vulns {
        let layer = v["layer"].as_u64().unwrap();
        let &(_, prefix, _) = APPS_LAYERS
            .iter()
            .find(|l| l.0 == layer)
            .unwrap_or_else(|| panic!("finding in unexpected layer {layer}: {v}"));
        let created_by = v["layer_created_by"].as_str().expect("layer_created_by");
        assert!(created_by.starts_with(prefix), "{v}");
        assert_eq!(
            json["artifact"]["layers"][layer as usize]["created_by"].as_str(),
            Some(created_by)
        );
        let p = packages[v["package_id"].as_str().unwrap()];
        assert_eq!(p["name"], v["package_name"]);
        assert_eq!(p["locations"][0]["layer"], v["layer"]);
        assert_eq!(p["locations"][0]["path"], v["path"]);
    }

    // The alias pair is one finding; the other ids of each finding are kept.
    let by_id = |id: &str| -> Vec<&Value> { vulns.iter().filter(|v| v["id"] == id).collect() };
    let idna = by_id("CVE-2024-3651");
    assert_eq!(idna.len(), 1, "one finding for the GHSA/PYSEC pair");
    assert_eq!(
        str_set(idna[0]["aliases"].as_array().unwrap()),
        ["GHSA-jjg7-2v4v-x38h", "PYSEC-2024-60"]
            .map(String::from)
            .into(),
    );
    for (id, alias) in [
        ("CVE-2021-25900", "RUSTSEC-2021-0003"),
        ("CVE-2023-24539", "GO-2023-1751"),
        ("CVE-2023-42282", "GHSA-78xj-cgh5-2h22"),
        ("CVE-2010-4756", "DEBIAN-CVE-2010-4756"),
    ] {
        for v in by_id(id) {
            assert!(
                str_set(v["aliases"].as_array().unwrap()).contains(alias),
                "{v}"
            );
        }
    }

    // What must not match, under any of its ids, found or suppressed.
    let mut seen = BTreeSet::new();
    for v in vulns
        .iter()
        .chain(json["suppressed"].as_array().into_iter().flatten())
    {
        seen.insert(v["id"].as_str().unwrap().to_string());
        seen.extend(str_set(v["aliases"].as_array().unwrap()));
    }
    for (id, why) in APPS_NOT_MATCHED {
        assert!(!seen.contains(*id), "{id} matched, but must not: {why}");
    }
    for (name, version) in [("smallvec", "0.6.14"), ("ecdsa", "0.19.0")] {
        assert!(
            !vulns
                .iter()
                .any(|v| v["package_name"] == name && v["installed_version"] == version),
            "{name} {version} has a finding"
        );
    }

    // The table names, for a finding of each layer, the layer and its shortened instruction.
    let table = scan_with_db(&reference, cache.path(), &["--format", "table"]);
    for &(_, _, shown) in APPS_LAYERS {
        assert!(table.contains(shown), "table lacks {shown:?}:\n{table}");
    }
    assert!(table.contains("Total: 13 "), "{table}");

    // SARIF and CycloneDX of the same scan carry the same vulnerability ids.
    let ids = str_set(vulns.iter().map(|v| &v["id"]));
    let sarif: Value = serde_json::from_str(&scan_with_db(
        &reference,
        cache.path(),
        &["--format", "sarif"],
    ))
    .expect("SARIF");
    common::validate_sarif(&sarif).unwrap();
    let run = &sarif["runs"][0];
    let rules = str_set(
        run["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| &r["id"]),
    );
    assert_eq!(rules, ids, "SARIF rules");
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), vulns.len(), "one SARIF result per finding");
    assert_eq!(str_set(results.iter().map(|r| &r["ruleId"])), ids);

    let bom: Value = serde_json::from_str(&scan_with_db(
        &reference,
        cache.path(),
        &["--format", "cyclonedx"],
    ))
    .expect("CycloneDX");
    common::validate_cyclonedx(&bom).unwrap();
    let bom_vulns = bom["vulnerabilities"].as_array().unwrap();
    assert_eq!(
        str_set(bom_vulns.iter().map(|v| &v["id"])),
        ids,
        "CycloneDX"
    );
    assert_eq!(
        bom_vulns.len(),
        ids.len(),
        "one CycloneDX vulnerability per id"
    );
}

/// A policy over the `apps` image's real findings: each rule's violations are exactly the
/// findings (or packages) of the plain report that its conditions select, an exception in
/// force excuses its finding and an expired one does not, an out-of-scope rule is skipped,
/// and the block rule fails the scan with the exit code.
#[test]
fn apps_image_policy_gate() {
    let Some(reference) = apps_image("apps_image_policy_gate") else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    let plain: Value = serde_json::from_str(&scan_with_db(
        &reference,
        cache.path(),
        &["--format", "json"],
    ))
    .expect("JSON report");
    let vulns = plain["vulnerabilities"].as_array().unwrap();

    let policy = cache.path().join("policy.yaml");
    std::fs::write(
        &policy,
        "rules:
  - name: fixable-high
    action: block
    when: {severity: HIGH, fix_available: true}
  - name: no-npm
    action: alert
    when: {ecosystems: {deny: [npm]}}
  - name: unfixable
    action: alert
    when: {fix_available: false}
  - name: elsewhere
    action: block
    scope: {images: [\"registry.example.com/**\"]}
    when: {severity: LOW}
exceptions:
  - vulnerability: CVE-2021-23337
    expires: 2099-01-01
    justification: lodash template() is never given user input
  - vulnerability: CVE-2021-44906
    expires: 2020-01-01
    justification: expired long ago
",
    )
    .unwrap();
    let out = common::bin()
        .args([
            "image",
            &reference,
            "--quiet",
            "--format",
            "json",
            "--exit-code",
            "9",
        ])
        .arg("--db")
        .arg(e2e_osv())
        .arg("--policy")
        .arg(&policy)
        .env("PLIMSOLL_CACHE_DIR", cache.path())
        .env_remove("PLIMSOLL_DB")
        .output()
        .expect("run plimsoll");
    assert_eq!(
        out.status.code(),
        Some(9),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let gated: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    common::validate_report(&gated).unwrap();
    let gate = &gated["gate"];
    assert_eq!(gate["result"], "fail");

    let rule = |name: &str| -> &Value {
        gate["violations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["rule"] == name)
            .unwrap_or_else(|| panic!("no violation of {name}: {gate}"))
    };
    let finding_ids = |v: &Value| -> BTreeSet<String> {
        v["findings"]
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
            .collect()
    };
    let select = |keep: &dyn Fn(&Value) -> bool| -> BTreeSet<String> {
        vulns
            .iter()
            .filter(|f| keep(f))
            .map(|f| {
                format!(
                    "{} {}",
                    f["id"].as_str().unwrap(),
                    f["package_name"].as_str().unwrap()
                )
            })
            .collect()
    };

    let high = select(&|f| {
        matches!(f["severity"].as_str(), Some("HIGH" | "CRITICAL"))
            && f["status"] == "fixed"
            && f["id"] != "CVE-2021-23337"
    });
    assert!(
        high.contains("CVE-2021-44906 minimist"),
        "the expired exception excuses nothing: {high:?}"
    );
    assert_eq!(finding_ids(rule("fixable-high")), high);
    assert_eq!(rule("fixable-high")["action"], "block");

    let unfixable = select(&|f| f["status"] != "fixed");
    assert!(unfixable.contains("CVE-2010-4756 libc6"), "{unfixable:?}");
    assert_eq!(finding_ids(rule("unfixable")), unfixable);

    let npm: BTreeSet<String> = plain["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["ecosystem"] == "npm")
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect();
    assert!(
        npm.iter().any(|p| p.starts_with("pkg:npm/lodash@")),
        "{npm:?}"
    );
    let denied: BTreeSet<String> = rule("no-npm")["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    assert_eq!(denied, npm);

    assert!(
        gate["violations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v["rule"] != "elsewhere"),
        "{gate}"
    );
    let exceptions = gate["exceptions"].as_array().unwrap();
    let used = exceptions
        .iter()
        .find(|e| e["justification"].as_str().unwrap().starts_with("lodash"))
        .expect("the lodash exception");
    assert_eq!(used["expired"], false);
    assert_eq!(used["findings"][0]["id"], "CVE-2021-23337");
    let expired = exceptions
        .iter()
        .find(|e| e["justification"] == "expired long ago")
        .expect("the expired exception is reported");
    assert_eq!(expired["expired"], true);
}

/// The real Debian base with the malware and hardening scanners: no malware, no package
/// found by binary classification (dpkg owns every executable), and only the two documented
/// hardening findings (docs/hardening.md): it runs as root and has no HEALTHCHECK. Its
/// setuid programs (su, passwd, mount…) belong to packages and are not reported.
#[test]
fn base_has_no_malware_and_only_the_documented_hardening_findings() {
    let Some(dir) = images_dir("base_has_no_malware_and_only_the_documented_hardening_findings")
    else {
        return;
    };
    let reference = format!("oci:{}:base", dir.join("oci").display());
    let cache = tempfile::tempdir().unwrap();
    let out = scan_with_db(
        &reference,
        cache.path(),
        &[
            "--scanners",
            "vuln,malware,misconfig",
            "--malware-hash",
            "all",
            "--format",
            "json",
        ],
    );
    let r: Report = serde_json::from_str(&out).unwrap();
    assert!(r.malware.is_empty(), "{:#?}", r.malware);
    let ids: BTreeSet<&str> = r.misconfigurations.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(
        ids,
        BTreeSet::from(["PLIM-IMG-001", "PLIM-IMG-015"]),
        "{:#?}",
        r.misconfigurations
    );
    assert!(
        r.packages.iter().all(|p| p.found_by.is_none()),
        "{:#?}",
        r.packages
            .iter()
            .filter(|p| p.found_by.is_some())
            .collect::<Vec<_>>()
    );
}
