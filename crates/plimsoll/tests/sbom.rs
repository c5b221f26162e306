//! SBOM out and in through the binary: `inventory --format cyclonedx|spdx-json` validates
//! against the official schemas, and `sbom` of it gives back the same packages.

mod common;

use plimsoll_model::{Package, Report};
use plimsoll_testkit::ImageBuilder;
use std::path::Path;
use std::process::Output;

/// The inventory is the subject here: no vulnerability database, no download. Every run
/// here must succeed.
fn plimsoll(args: &[&str], cache: &Path) -> Output {
    let out = common::plimsoll_env(args, cache, &[("PLIMSOLL_SCANNERS", "none")]);
    common::ok(&out);
    out
}

fn report(out: &Output) -> Report {
    serde_json::from_slice(&out.stdout).expect("stdout is a JSON report")
}

/// `inventory IMAGE` in both SBOM formats: each validates, and `sbom` of each gives the
/// packages of `inventory --format json` exactly. Returns the inventory's packages.
fn round_trip(image: &str, tmp: &Path) -> Vec<Package> {
    let cache = tmp.join("cache");
    let inv = report(&plimsoll(
        &["inventory", image, "--format", "json", "--no-progress"],
        &cache,
    ));
    for (format, validate, source) in [
        (
            "cyclonedx",
            common::validate_cyclonedx as fn(&serde_json::Value) -> Result<(), String>,
            "cyclonedx",
        ),
        ("spdx-json", common::validate_spdx, "spdx"),
    ] {
        let file = tmp.join(format!("sbom.{format}.json"));
        plimsoll(
            &[
                "inventory",
                image,
                "--format",
                format,
                "-o",
                file.to_str().unwrap(),
                "--no-progress",
            ],
            &cache,
        );
        let doc: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        validate(&doc).unwrap_or_else(|e| panic!("{format}: {e}"));
        let back = report(&plimsoll(
            &["sbom", file.to_str().unwrap(), "--format", "json"],
            &cache,
        ));
        assert_eq!(back.artifact.kind, plimsoll_model::ArtifactKind::Sbom);
        assert_eq!(back.artifact.source, source);
        assert_eq!(back.artifact.os, inv.artifact.os, "{format}");
        assert_eq!(
            common::package_set(&back.packages),
            common::package_set(&inv.packages),
            "{format}"
        );
        assert_eq!(back.packages, inv.packages, "{format}");
        // An SBOM read in can be written out again, still valid.
        for (again, check) in [
            (
                "cyclonedx",
                common::validate_cyclonedx as fn(&serde_json::Value) -> Result<(), String>,
            ),
            ("spdx-json", common::validate_spdx),
        ] {
            let out = plimsoll(&["sbom", file.to_str().unwrap(), "--format", again], &cache);
            let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            check(&doc).unwrap_or_else(|e| panic!("{format} -> {again}: {e}"));
            let back2: Report = {
                let f2 = tmp.join(format!("again.{again}.json"));
                std::fs::write(&f2, &out.stdout).unwrap();
                report(&plimsoll(
                    &["sbom", f2.to_str().unwrap(), "--format", "json"],
                    &cache,
                ))
            };
            assert_eq!(back2.packages, inv.packages, "{format} -> {again}");
        }
        // The table of an SBOM lists the same packages.
        let table = plimsoll(&["sbom", file.to_str().unwrap()], &cache);
        let table = String::from_utf8(table.stdout).unwrap();
        for p in &inv.packages {
            assert!(table.contains(&p.name), "{format} table lacks {}", p.name);
        }
    }
    inv.packages
}

#[test]
fn demo_image_sbom_round_trips() {
    let tmp = tempfile::tempdir().unwrap();
    let demo = common::root().join("demo/demo-image.tar");
    let pkgs = round_trip(demo.to_str().unwrap(), tmp.path());
    // The demo image has a dpkg status and a pip-installed dist-info.
    assert!(pkgs.iter().any(|p| p.kind == "deb"), "{pkgs:?}");
    assert!(pkgs.iter().any(|p| p.name == "requests"), "{pkgs:?}");
}

const DPKG_STATUS: &str = "\
Package: zlib1g
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 168
Maintainer: Mark Brown <broonie@debian.org>
Architecture: amd64
Multi-Arch: same
Source: zlib
Version: 1:1.2.13.dfsg-1
Description: compression library - runtime

Package: libgcc-s1
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 140
Maintainer: Debian GCC Maintainers <debian-gcc@lists.debian.org>
Architecture: amd64
Multi-Arch: same
Source: gcc-12 (12.2.0-14)
Version: 12.2.0-14
Description: GCC support library

Package: tzdata
Status: deinstall ok config-files
Priority: required
Section: localization
Installed-Size: 2000
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Architecture: all
Version: 2024a-0+deb12u1
Description: time zone and daylight-saving time data
";

#[test]
fn synthetic_image_sbom_round_trips() {
    let tmp = tempfile::tempdir().unwrap();
    let img = ImageBuilder::new()
        .layer("ADD rootfs.tar /", |l| {
            l.file(
                "etc/os-release",
                "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
            )
            .file("var/lib/dpkg/status", DPKG_STATUS)
        })
        .layer("COPY app /app", |l| {
            l.file(
                "app/node_modules/@babel/core/package.json",
                r#"{"name":"@babel/core","version":"7.24.0","license":"MIT"}"#,
            )
            .file(
                "app/node_modules/left-pad/package.json",
                r#"{"name":"left-pad","version":"1.3.0","license":"WTFPL"}"#,
            )
        });
    let path = tmp.path().join("image.tar");
    img.write_docker_archive(&path, &["synthetic:1"], false);
    let pkgs = round_trip(path.to_str().unwrap(), tmp.path());
    let names: Vec<&str> = pkgs.iter().map(|p| p.name.as_str()).collect();
    // The dpkg cataloger is in: the installed debs are there, the removed one is not.
    assert!(names.contains(&"zlib1g"), "{names:?}");
    assert!(names.contains(&"libgcc-s1"), "{names:?}");
    assert!(!names.contains(&"tzdata"), "{names:?}");
    assert!(names.contains(&"@babel/core"), "{names:?}");
    assert!(names.contains(&"left-pad"), "{names:?}");
    let zlib = pkgs.iter().find(|p| p.name == "zlib1g").unwrap();
    assert_eq!(zlib.version, "1:1.2.13.dfsg-1");
    assert_eq!(zlib.locations[0].layer, Some(0));
}

#[test]
fn sbom_bad_input_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        common::bin()
            .args(args)
            .env("PLIMSOLL_CACHE_DIR", tmp.path())
            .env("PLIMSOLL_SCANNERS", "none")
            .output()
            .unwrap()
    };
    let missing = tmp.path().join("missing.json");
    let out = run(&["sbom", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.json"));
    let not_sbom = tmp.path().join("x.json");
    std::fs::write(&not_sbom, r#"{"hello": "world"}"#).unwrap();
    let out = run(&["sbom", not_sbom.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("x.json") && err.contains("CycloneDX"), "{err}");
    let spdx3 = tmp.path().join("v3.json");
    std::fs::write(&spdx3, r#"{"spdxVersion": "SPDX-3.0"}"#).unwrap();
    assert_eq!(
        run(&["sbom", spdx3.to_str().unwrap()]).status.code(),
        Some(2)
    );
}

#[test]
fn sbom_reads_standard_input() {
    let tmp = tempfile::tempdir().unwrap();
    let doc = br#"{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,
        "components":[{"type":"library","name":"lodash","version":"4.17.21",
        "purl":"pkg:npm/lodash@4.17.21"}]}"#;
    let mut child = common::bin()
        .args(["sbom", "-", "--format", "json"])
        .env("PLIMSOLL_CACHE_DIR", tmp.path())
        .env("PLIMSOLL_SCANNERS", "none")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(doc).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let r: Report = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r.packages.len(), 1);
    assert_eq!(r.packages[0].ecosystem, "npm");
    assert_eq!(r.packages[0].name, "lodash");
}
