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

use plimsoll_model::{Layer, Report};
use serde_json::Value;
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
    let out = Command::new(env!("CARGO_BIN_EXE_plimsoll"))
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
    let Some(dir) = images_dir("apps_image_language_packages_and_binaries") else {
        return;
    };
    if !dir.join("oci/index.json").is_file()
        || !std::fs::read_to_string(dir.join("oci/index.json"))
            .unwrap_or_default()
            .contains("\"apps\"")
    {
        eprintln!("skipping: no `apps` image (rerun scripts/build-test-images.sh)");
        return;
    }
    let r = scan(&format!("oci:{}:apps", dir.join("oci").display()));
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
                p.origin.clone(),
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
            e("cargo", "ryu", "1.0.18", 5, "installed"),
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
            e("npm", "lodash", "4.17.21", 4, "declared"),
            e("npm", "lodash", "4.17.21", 4, "installed"),
            e("npm", "minimist", "1.2.8", 4, "declared"),
            e("npm", "minimist", "1.2.8", 4, "installed"),
            e("python", "certifi", "2024.2.2", 3, "installed"),
            e("python", "idna", "3.6", 3, "installed"),
            e("python", "requests", "2.31.0", 3, "installed"),
            e("python", "urllib3", "2.2.1", 3, "installed"),
        ]
    );
    // The OS packages stay where the python image put them.
    assert_eq!(r.packages.iter().filter(|p| p.kind == "deb").count(), 110);
    let req = r.packages.iter().find(|p| p.name == "requests").unwrap();
    assert_eq!(req.purl, "pkg:pypi/requests@2.31.0");
    assert_eq!(req.ecosystem, "PyPI");
    assert!(
        req.owned_by.is_none(),
        "pip-installed, not the distribution's"
    );
}
