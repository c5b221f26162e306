//! Shared by the tests: the vendored official schemas, and a realistic report.
#![allow(dead_code)]

use plimsoll_model::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

fn load(name: &str) -> Value {
    // Also used by the binary's tests (crates/plimsoll/tests/sbom.rs): found from either.
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../plimsoll-report/tests/schemas")
        .join(name);
    serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap()
}

/// Validates against a compiled schema; the error lists every violation.
fn validate(resources: &[(&str, &str)], root: &str, doc: &Value) -> Result<(), String> {
    let mut schemas = boon::Schemas::new();
    let mut c = boon::Compiler::new();
    c.enable_format_assertions();
    for (url, file) in resources {
        c.add_resource(url, load(file)).unwrap();
    }
    let idx = c
        .compile(root, &mut schemas)
        .map_err(|e| format!("{e:#}"))?;
    schemas.validate(doc, idx).map_err(|e| format!("{e:#}"))
}

/// CycloneDX 1.6 (`bom-1.6.schema.json` with its `spdx` and `jsf-0.82` siblings).
pub fn validate_cyclonedx(doc: &Value) -> Result<(), String> {
    validate(
        &[
            (
                "http://cyclonedx.org/schema/bom-1.6.schema.json",
                "bom-1.6.SNAPSHOT.schema.json",
            ),
            (
                "http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json",
                "spdx.SNAPSHOT.schema.json",
            ),
            (
                "http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json",
                "jsf-0.82.SNAPSHOT.schema.json",
            ),
        ],
        "http://cyclonedx.org/schema/bom-1.6.schema.json",
        doc,
    )?;
    // The packaged schema dropped the `$schema` enum (see tests/schemas/README.md): check it.
    if let Some(s) = doc.get("$schema")
        && s != "http://cyclonedx.org/schema/bom-1.6.schema.json"
    {
        return Err(format!("$schema {s}"));
    }
    Ok(())
}

/// SPDX 2.3 (`spdx-schema.json` of the 2.3 specification).
pub fn validate_spdx(doc: &Value) -> Result<(), String> {
    validate(
        &[("http://spdx.org/rdf/terms/2.3", "spdx-schema-2.3.json")],
        "http://spdx.org/rdf/terms/2.3",
        doc,
    )
}

#[allow(clippy::too_many_arguments)]
fn pkg(
    kind: &str,
    ecosystem: &str,
    name: &str,
    version: &str,
    purl: &str,
    licenses: &[&str],
    layer: usize,
    path: &str,
) -> Package {
    Package {
        id: format!("{purl}#{path}"),
        kind: kind.into(),
        ecosystem: ecosystem.into(),
        name: name.into(),
        version: version.into(),
        purl: purl.into(),
        source: None,
        licenses: licenses.iter().map(|s| s.to_string()).collect(),
        arch: purl
            .split(['?', '&'])
            .find_map(|q| q.strip_prefix("arch="))
            .map(str::to_string),
        locations: vec![Location {
            layer: Some(layer),
            path: path.into(),
        }],
        owned_by: None,
        origin: "installed".into(),
        metadata: BTreeMap::new(),
    }
}

/// A Debian image with OS packages (one with an epoch and a source package), a Python
/// package owned by a deb, a scoped npm package, a Go module and a crate.
pub fn sample_report() -> Report {
    let layer = |i: usize, created_by: &str| Layer {
        index: i,
        digest: Some(format!("sha256:{:064x}", i + 1)),
        diff_id: Some(format!("sha256:{:064x}", i + 100)),
        created_by: Some(created_by.into()),
        size: 100,
        uncompressed_size: 300,
        entries: 3,
        files_in_final: 3,
        ..Layer::default()
    };
    let mut libc = pkg(
        "deb",
        "Debian:12",
        "libc6",
        "2.36-9+deb12u4",
        "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc",
        &["LGPL-2.1+", "GPL-2.0+"],
        0,
        "var/lib/dpkg/status",
    );
    libc.source = Some(SourcePackage {
        name: "glibc".into(),
        version: "2.36-9+deb12u4".into(),
    });
    let mut perl = pkg(
        "deb",
        "Debian:12",
        "perl-base",
        "5.36.0-7+deb12u1",
        "pkg:deb/debian/perl-base@5.36.0-7%2Bdeb12u1?arch=amd64&distro=debian-12&upstream=perl",
        &["GPL-1.0+ OR Artistic-1.0-Perl"],
        0,
        "var/lib/dpkg/status",
    );
    perl.source = Some(SourcePackage {
        name: "perl".into(),
        version: "5.36.0-7+deb12u1".into(),
    });
    let mut tzdata = pkg(
        "deb",
        "Debian:12",
        "debconf",
        "1:1.5.82",
        "pkg:deb/debian/debconf@1%3A1.5.82?arch=all&distro=debian-12",
        &["BSD-2-Clause", "public-domain"],
        1,
        "var/lib/dpkg/status",
    );
    tzdata.metadata.insert("epoch".into(), "1".into());
    let mut pyyaml_deb = pkg(
        "deb",
        "Debian:12",
        "python3-yaml",
        "6.0-3+b2",
        "pkg:deb/debian/python3-yaml@6.0-3%2Bb2?arch=amd64&distro=debian-12&upstream=pyyaml%406.0-3",
        &["MIT"],
        1,
        "var/lib/dpkg/status",
    );
    pyyaml_deb.source = Some(SourcePackage {
        name: "pyyaml".into(),
        version: "6.0-3".into(),
    });
    let mut pyyaml = pkg(
        "python",
        "PyPI",
        "pyyaml",
        "6.0",
        "pkg:pypi/pyyaml@6.0",
        &["MIT"],
        1,
        "usr/lib/python3/dist-packages/PyYAML-6.0.egg-info/PKG-INFO",
    );
    pyyaml.owned_by = Some(pyyaml_deb.id.clone());
    let babel = pkg(
        "npm",
        "npm",
        "@babel/core",
        "7.24.0",
        "pkg:npm/%40babel/core@7.24.0",
        &["MIT"],
        2,
        "app/node_modules/@babel/core/package.json",
    );
    let mut lodash = pkg(
        "npm",
        "npm",
        "lodash",
        "4.17.21",
        "pkg:npm/lodash@4.17.21",
        &["MIT"],
        2,
        "app/package-lock.json",
    );
    lodash.origin = "declared".into();
    let uuid = pkg(
        "go-module",
        "Go",
        "github.com/google/uuid",
        "v1.6.0",
        "pkg:golang/github.com/google/uuid@v1.6.0",
        &[],
        3,
        "usr/local/bin/app",
    );
    let serde = pkg(
        "cargo",
        "crates.io",
        "serde",
        "1.0.197",
        "pkg:cargo/serde@1.0.197",
        &["MIT OR Apache-2.0"],
        3,
        "usr/local/bin/tool",
    );
    let weird = pkg(
        "python",
        "PyPI",
        "oddlib",
        "0.1",
        "pkg:pypi/oddlib@0.1",
        &["Some Custom License (see LICENSE)"],
        2,
        "usr/local/lib/python3.11/site-packages/oddlib-0.1.dist-info/METADATA",
    );
    Report {
        schema_version: SCHEMA_VERSION,
        artifact: Artifact {
            name: "registry.example/app:1.0".into(),
            kind: ArtifactKind::ContainerImage,
            source: "docker-archive".into(),
            reference: None,
            digest: Some(format!("sha256:{:064x}", 0xabcdefu64)),
            index_digest: None,
            media_type: None,
            config_digest: Some(format!("sha256:{:064x}", 0x1234u64)),
            platform: Some(Platform {
                os: "linux".into(),
                architecture: "amd64".into(),
                variant: None,
            }),
            os: Some(OsInfo {
                family: "debian".into(),
                version: "12.5".into(),
            }),
            config: None,
            created: None,
            layers: vec![
                layer(0, "/bin/sh -c #(nop) ADD file:abc in / "),
                layer(
                    1,
                    "RUN /bin/sh -c apt-get install -y python3-yaml # buildkit",
                ),
                layer(2, "COPY app /app # buildkit"),
                layer(3, "COPY bin /usr/local/bin # buildkit"),
            ],
            files: 12,
        },
        packages: vec![
            libc, perl, tzdata, pyyaml_deb, pyyaml, babel, lodash, uuid, serde, weird,
        ],
        vulnerabilities: Vec::new(),
        suppressed: Vec::new(),
        gate: None,
        database: None,
        warnings: vec![],
    }
}

/// What must survive a round trip, sorted: kind, ecosystem, name, version, purl, locations,
/// source, owned_by.
pub fn package_set(ps: &[Package]) -> Vec<String> {
    let mut v: Vec<String> = ps
        .iter()
        .map(|p| {
            format!(
                "{} {} {} {} {} {:?} {:?} {:?}",
                p.kind, p.ecosystem, p.name, p.version, p.purl, p.locations, p.source, p.owned_by
            )
        })
        .collect();
    v.sort();
    v
}
