//! SBOMs written by Syft and Trivy (small documents written by hand after their documented
//! formats: Syft's `syft:` properties and `sourceInfo`, Trivy's `aquasecurity:trivy:`
//! properties and `Key: value` annotations) read into the expected packages.

mod common;

use plimsoll_model::{Location, OsInfo, Package};
use plimsoll_report::read_sbom;

fn read(name: &str) -> (Option<OsInfo>, Vec<Package>) {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    let bytes = std::fs::read(p).unwrap();
    // The hand-written documents are themselves valid against the official schemas. The
    // real ones are read as the tools wrote them: Trivy 0.59.1's SPDX is not valid (it
    // writes `primaryPackagePurpose: OPERATING-SYSTEM`, the schema says OPERATING_SYSTEM).
    let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    if name.starts_with("real/") {
        // not validated
    } else if name.ends_with(".cdx.json") {
        common::validate_cyclonedx(&doc).unwrap();
    } else {
        common::validate_spdx(&doc).unwrap();
    }
    read_sbom(&bytes).unwrap()
}

/// kind, ecosystem, name, version, source "name version", first location, licenses.
fn facts(ps: &[Package]) -> Vec<String> {
    let mut v: Vec<String> = ps
        .iter()
        .map(|p| {
            let src = p
                .source
                .as_ref()
                .map(|s| format!("{} {}", s.name, s.version))
                .unwrap_or_default();
            let loc = p
                .locations
                .first()
                .map(|l| format!("{:?}:{}", l.layer, l.path))
                .unwrap_or_default();
            format!(
                "{} | {} | {} | {} | {src} | {loc} | {}",
                p.kind,
                p.ecosystem,
                p.name,
                p.version,
                p.licenses.join(";")
            )
        })
        .collect();
    v.sort();
    v
}

fn debian(v: &str) -> Option<OsInfo> {
    Some(OsInfo {
        family: "debian".into(),
        version: v.into(),
    })
}

#[test]
fn syft_cyclonedx() {
    let (os, pkgs) = read("syft.cdx.json");
    assert_eq!(os, debian("12"));
    assert_eq!(
        facts(&pkgs),
        [
            "deb | Debian:12 | libssl3 | 3.0.11-1~deb12u2 | openssl 3.0.11-1~deb12u2 | None:var/lib/dpkg/status | Apache-2.0",
            "deb | Debian:12 | zlib1g | 1:1.2.13.dfsg-1 | zlib 1:1.2.13.dfsg-1 | None:var/lib/dpkg/status | Zlib-like",
            "go-module | Go | github.com/google/uuid | v1.6.0 |  | None:usr/local/bin/app | ",
            "npm | npm | @babel/core | 7.24.0 |  | None:app/node_modules/@babel/core/package.json | MIT",
            "python | PyPI | requests | 2.31.0 |  | None:usr/local/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA | Apache 2.0",
        ]
    );
    // Syft names no layer order: the layer's diff_id is kept.
    let ssl = pkgs.iter().find(|p| p.name == "libssl3").unwrap();
    assert_eq!(
        ssl.metadata.get("layer_diff_id").map(String::as_str),
        Some("sha256:aaaa000000000000000000000000000000000000000000000000000000000000")
    );
    assert_eq!(ssl.arch.as_deref(), Some("amd64"));
    let requests = pkgs.iter().find(|p| p.name == "requests").unwrap();
    assert_eq!(requests.locations.len(), 2);
    assert_eq!(requests.purl, "pkg:pypi/requests@2.31.0");
}

#[test]
fn trivy_cyclonedx() {
    let (os, pkgs) = read("trivy.cdx.json");
    assert_eq!(os, debian("12.5"));
    // Layers by the image's DiffID list; the "Python" application component is no package.
    assert_eq!(
        facts(&pkgs),
        [
            "deb | Debian:12 | libssl3 | 3.0.11-1~deb12u2 | openssl 3.0.11-1~deb12u2 | None: | Apache-2.0",
            "deb | Debian:12 | zlib1g | 1:1.2.13.dfsg-1 | zlib 1:1.2.13.dfsg-1 | None: | Zlib",
            "npm | npm | @babel/core | 7.24.0 |  | None:app/node_modules/@babel/core/package.json | MIT",
            "python | PyPI | requests | 2.31.0 |  | None:usr/local/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA | Apache 2.0",
        ]
    );
}

#[test]
fn syft_spdx() {
    let (os, pkgs) = read("syft.spdx.json");
    assert_eq!(os, None);
    // The image (CONTAINER) is not a package; the dpkg status file is picked out of the
    // paths sourceInfo lists; a LicenseRef is read back as its extracted text.
    assert_eq!(
        facts(&pkgs),
        [
            "deb | Debian:12 | libssl3 | 3.0.11-1~deb12u2 | openssl 3.0.11-1~deb12u2 | None:var/lib/dpkg/status | Apache-2.0",
            "npm | npm | @babel/core | 7.24.0 |  | None:app/node_modules/@babel/core/package.json | MIT",
            "python | PyPI | requests | 2.31.0 |  | None:usr/local/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA | Apache 2.0",
        ]
    );
}

#[test]
fn trivy_spdx() {
    let (os, pkgs) = read("trivy.spdx.json");
    assert_eq!(os, debian("12.5"));
    assert_eq!(
        facts(&pkgs),
        [
            "deb | Debian:12 | libssl3 | 3.0.11-1~deb12u2 | openssl 3.0.11-1~deb12u2 | None: | Apache-2.0",
            "python | PyPI | requests | 2.31.0 |  | None:usr/local/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA | ",
        ]
    );
    assert_eq!(
        pkgs[0].locations,
        vec![Location {
            layer: None,
            path: String::new()
        }]
    );
}

/// Documents written by the real tools for `demo/demo-image.tar` (see
/// `tests/data/real/README.md`) read to the packages plimsoll itself finds in that image.
#[test]
fn real_syft_and_trivy_documents() {
    let expected = [
        ("deb", "base-files", "12.4+deb12u5"),
        ("deb", "libssl3", "3.0.11-1~deb12u2"),
        ("deb", "zlib1g", "1:1.2.13.dfsg-1"),
        ("python", "requests", "2.31.0"),
    ];
    for name in [
        "real/syft-demo.cdx.json",
        "real/syft-demo.spdx.json",
        "real/trivy-demo.cdx.json",
        "real/trivy-demo.spdx.json",
    ] {
        let (_, pkgs) = read(name);
        let mut got: Vec<(&str, &str, &str)> = pkgs
            .iter()
            .map(|p| (p.kind.as_str(), p.name.as_str(), p.version.as_str()))
            .collect();
        got.sort();
        assert_eq!(got, expected, "{name}");
        for p in &pkgs {
            let eco = if p.kind == "deb" { "Debian:12" } else { "PyPI" };
            assert_eq!(p.ecosystem, eco, "{name}: {}", p.name);
        }
        let ssl = pkgs.iter().find(|p| p.name == "libssl3").unwrap();
        assert_eq!(
            ssl.source.as_ref().map(|s| s.name.as_str()),
            Some("openssl"),
            "{name}"
        );
        if name.starts_with("real/trivy") {
            // Trivy's DiffID list is sorted by value, not layer order: no index is derived.
            assert!(
                pkgs.iter()
                    .all(|p| p.locations.iter().all(|l| l.layer.is_none()))
            );
            assert!(ssl.metadata.contains_key("layer_diff_id"), "{name}");
        }
    }
}
