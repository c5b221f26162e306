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
        removed_in_layer: None,
        origin: "installed".into(),
        metadata: BTreeMap::new(),
        ..Package::default()
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
        packages: vec![
            libc, perl, tzdata, pyyaml_deb, pyyaml, babel, lodash, uuid, serde, weird,
        ],
        ..Report::new(Artifact {
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
            base_image: None,
            files: 12,
        })
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

/// Validates against the vendored SARIF 2.1.0 schema (`sarif-schema-2.1.0.json`).
pub fn validate_sarif(doc: &Value) -> Result<(), String> {
    validate(
        &[(
            "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json",
            "sarif-schema-2.1.0.json",
        )],
        "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json",
        doc,
    )
}

/// Validates against the native report's schema, `docs/report.schema.json`.
pub fn validate_report(doc: &Value) -> Result<(), String> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/report.schema.json");
    let schema: Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
    let mut schemas = boon::Schemas::new();
    let mut c = boon::Compiler::new();
    c.enable_format_assertions();
    c.add_resource("https://plimsoll.invalid/report.schema.json", schema)
        .unwrap();
    let idx = c
        .compile("https://plimsoll.invalid/report.schema.json", &mut schemas)
        .map_err(|e| format!("{e:#}"))?;
    schemas.validate(doc, idx).map_err(|e| format!("{e:#}"))
}

#[allow(clippy::too_many_arguments)]
fn finding(
    r: &Report,
    id: &str,
    aliases: &[&str],
    package: &str,
    severity: Severity,
    status: FixStatus,
    fixed: &[&str],
    cvss: Option<(&str, &str, f64)>,
) -> Finding {
    let p = r
        .packages
        .iter()
        .find(|p| p.name == package)
        .unwrap_or_else(|| panic!("no package {package}"));
    let loc = &p.locations[0];
    let layer = loc.layer.unwrap();
    let (eco, name, version) = match &p.source {
        Some(s) => (p.ecosystem.clone(), s.name.clone(), s.version.clone()),
        None => (p.ecosystem.clone(), p.name.clone(), p.version.clone()),
    };
    Finding {
        id: id.into(),
        aliases: aliases.iter().map(|s| s.to_string()).collect(),
        package_id: p.id.clone(),
        package_name: p.name.clone(),
        matched_ecosystem: eco,
        matched_name: name,
        installed_version: version,
        fixed_versions: fixed.iter().map(|s| s.to_string()).collect(),
        status,
        severity,
        severity_source: Some(if cvss.is_some() { "cvss_v3" } else { "ghsa" }.into()),
        cvss: cvss.map(|(version, vector, score)| Cvss {
            version: version.into(),
            vector: vector.into(),
            score,
        }),
        kev: false,
        epss: None,
        layer: Some(layer),
        layer_created_by: r.artifact.layers[layer].created_by.clone(),
        path: Some(loc.path.clone()),
        data_source: id.into(),
        title: None,
        upstream_match: false,
        risk: None,
        published: None,
        in_base_image: None,
        removed_in_layer: None,
    }
}

/// [`sample_report`] scanned against a database: seven findings (one CRITICAL) in layers 0,
/// 2 and 3 (layer 1 brought packages but no finding), one suppressed, a failed gate. The
/// records are real ones reduced to their facts (ids, packages, fixed versions, scores).
pub fn vuln_report() -> Report {
    let mut r = sample_report();
    let extra = [
        pkg(
            "npm",
            "npm",
            "braces",
            "3.0.2",
            "pkg:npm/braces@3.0.2",
            &["MIT"],
            2,
            "app/node_modules/braces/package.json",
        ),
        pkg(
            "go-module",
            "Go",
            "stdlib",
            "go1.21.0",
            "pkg:golang/stdlib@go1.21.0",
            &["BSD-3-Clause"],
            3,
            "usr/local/bin/app",
        ),
        pkg(
            "go-module",
            "Go",
            "golang.org/x/crypto",
            "v0.30.0",
            "pkg:golang/golang.org/x/crypto@v0.30.0",
            &["BSD-3-Clause"],
            3,
            "usr/local/bin/app",
        ),
    ];
    r.packages.extend(extra);
    const V31: &str = "3.1";
    let mut v = vec![
        finding(
            &r,
            "CVE-2024-2961",
            &["DSA-5678-1"],
            "libc6",
            Severity::High,
            FixStatus::Fixed,
            &["2.36-9+deb12u7"],
            Some((V31, "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", 8.1)),
        ),
        finding(
            &r,
            "CVE-2024-33599",
            &[],
            "libc6",
            Severity::High,
            FixStatus::Fixed,
            &["2.36-9+deb12u7"],
            None,
        ),
        finding(
            &r,
            "CVE-2011-4116",
            &[],
            "perl-base",
            Severity::Low,
            FixStatus::WillNotFix,
            &[],
            Some((V31, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N", 7.5)),
        ),
        finding(
            &r,
            "CVE-2024-4068",
            &["GHSA-grv7-fg5c-xmjg"],
            "braces",
            Severity::High,
            FixStatus::Fixed,
            &["3.0.3"],
            Some((V31, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5)),
        ),
        finding(
            &r,
            "CVE-2025-13465",
            &["GHSA-xxjr-mmjv-4gpg"],
            "lodash",
            Severity::Medium,
            FixStatus::Fixed,
            &["4.17.23"],
            None,
        ),
        finding(
            &r,
            "CVE-2023-44487",
            &["GHSA-qppj-fm5r-hxr3", "GO-2023-2102"],
            "stdlib",
            Severity::High,
            FixStatus::Fixed,
            &["1.20.10", "1.21.3"],
            Some((V31, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5)),
        ),
        finding(
            &r,
            "CVE-2024-45337",
            &["GHSA-v778-237x-gjrc", "GO-2024-3321"],
            "golang.org/x/crypto",
            Severity::Critical,
            FixStatus::Fixed,
            &["v0.31.0"],
            Some((V31, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N", 9.1)),
        ),
    ];
    v[0].severity_source = Some("debian".into());
    v[0].data_source = "DEBIAN-CVE-2024-2961, DSA-5678-1".into();
    v[0].title = Some("glibc: out-of-bounds write in iconv ISO-2022-CN-EXT".into());
    v[2].severity_source = Some("debian".into());
    v[3].title = Some("Uncontrolled resource consumption in braces".into());
    v[4].title = Some("Prototype pollution in _.unset and _.omit | lodash".into());
    v[5].kev = true;
    v[5].epss = Some(EpssScore {
        score: 0.94,
        percentile: 0.999,
    });
    v[5].title = Some("HTTP/2 rapid reset can cause excessive work in net/http".into());
    v[6].title = Some("Misuse of ServerConfig.PublicKeyCallback in golang.org/x/crypto".into());
    let suppressed = finding(
        &r,
        "CVE-2023-31484",
        &[],
        "perl-base",
        Severity::High,
        FixStatus::Affected,
        &[],
        Some((V31, "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", 8.1)),
    );
    r.vulnerabilities = v;
    r.suppressed = vec![Suppressed {
        finding: suppressed,
        suppressed_by: plimsoll_model::SuppressedBy::IgnoreUnfixed,
        reason: "no fixed version released (--ignore-unfixed)".into(),
    }];
    r.gate = Some(Gate {
        result: plimsoll_model::GateResult::Fail,
        reasons: vec!["5 findings of severity HIGH or CRITICAL remain (--exit-code 1)".into()],
        ..Gate::default()
    });
    r.database = Some(DatabaseInfo {
        path: "plimsoll.db".into(),
        schema_version: 1,
        built_at: Some("2026-11-29T06:00:00Z".into()),
        age_seconds: Some(2 * 86_400 + 3 * 3600),
        records: 412_345,
        sources: vec![
            DatabaseSource {
                name: "osv:Debian".into(),
                fetched_at: Some("2026-11-29T05:58:10Z".into()),
            },
            DatabaseSource {
                name: "kev".into(),
                fetched_at: None,
            },
        ],
        ..Default::default()
    });
    // Scored and ordered as a scan does (the risk factors of each finding).
    plimsoll_policy::risk::score_report(&mut r);
    r
}

/// Compares `actual` with the committed `tests/snapshots/NAME`; with `PLIMSOLL_BLESS=1` set,
/// writes it instead (then review the diff before committing). The scanner version is
/// written `[VERSION]`, so that a release does not rewrite every snapshot.
pub fn assert_snapshot(name: &str, actual: &str) {
    let actual = actual.replace(env!("CARGO_PKG_VERSION"), "[VERSION]");
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("PLIMSOLL_BLESS").is_some() {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&p).unwrap_or_else(|_| {
        panic!(
            "no snapshot {}: run with PLIMSOLL_BLESS=1 and review it",
            p.display()
        )
    });
    if expected != actual {
        panic!(
            "{name} differs from its snapshot (PLIMSOLL_BLESS=1 rewrites it)\n--- expected\n{expected}\n--- actual\n{actual}"
        );
    }
}

/// [`vuln_report`] with every other finding kind, as the analyzers write them: four secrets
/// of three rules (an AWS key id in a file and in `Env`, a private key a later layer deleted,
/// a GitHub token in history), one secret an ignore file suppressed, a Dockerfile
/// misconfiguration, and two malware findings (a file by hash, and a malicious npm package).
pub fn kinds_report() -> Report {
    let mut r = vuln_report();
    let created = |l: usize| r.artifact.layers[l].created_by.clone();
    let secret = |rule: &str, category: &str, title: &str, severity: Severity| SecretFinding {
        rule_id: rule.into(),
        category: category.into(),
        title: title.into(),
        severity,
        source: SecretSource::File,
        path: None,
        line: None,
        layer: None,
        layer_created_by: None,
        deleted_in_layer: None,
        redacted: String::new(),
        fingerprint: String::new(),
        in_base_image: None,
    };
    let aws_file = SecretFinding {
        path: Some("app/config/settings.env".into()),
        line: Some(3),
        layer: Some(2),
        layer_created_by: created(2),
        redacted: "AKIA****".into(),
        fingerprint: "app/config/settings.env:aws-access-key-id:3".into(),
        ..secret(
            "aws-access-key-id",
            "AWS",
            "AWS Access Key ID",
            Severity::Critical,
        )
    };
    let aws_env = SecretFinding {
        source: SecretSource::Env,
        path: Some("AWS_ACCESS_KEY_ID".into()),
        redacted: "AKIA****".into(),
        fingerprint: "env:AWS_ACCESS_KEY_ID:aws-access-key-id:0".into(),
        ..secret(
            "aws-access-key-id",
            "AWS",
            "AWS Access Key ID",
            Severity::Critical,
        )
    };
    let key = SecretFinding {
        path: Some("root/.ssh/id_rsa".into()),
        line: Some(1),
        layer: Some(2),
        layer_created_by: created(2),
        deleted_in_layer: Some(3),
        redacted: "-----BEGIN RSA PRIVATE KEY-----****".into(),
        fingerprint: "root/.ssh/id_rsa:private-key-rsa:1".into(),
        ..secret(
            "private-key-rsa",
            "Private key",
            "RSA private key",
            Severity::High,
        )
    };
    let gh = SecretFinding {
        source: SecretSource::History,
        layer: Some(1),
        layer_created_by: created(1),
        redacted: "ghp_****".into(),
        fingerprint: "history:1:github-pat:0".into(),
        ..secret(
            "github-pat",
            "GitHub",
            "GitHub personal access token",
            Severity::Critical,
        )
    };
    let test_key = SecretFinding {
        path: Some("app/node_modules/aws-sdk/test/fixtures.js".into()),
        line: Some(12),
        layer: Some(2),
        layer_created_by: created(2),
        redacted: "AKIA****".into(),
        fingerprint: "app/node_modules/aws-sdk/test/fixtures.js:aws-access-key-id:12".into(),
        ..secret(
            "aws-access-key-id",
            "AWS",
            "AWS Access Key ID",
            Severity::Critical,
        )
    };
    r.secrets = vec![aws_file, aws_env, key, gh];
    r.suppressed_secrets = vec![SuppressedSecret {
        secret: test_key,
        suppressed_by: plimsoll_model::SuppressedBy::Ignorefile,
        reason: ".plimsollignore: package test fixtures".into(),
    }];
    r.misconfigurations = vec![Misconfiguration {
        id: "PLIM-DF-002".into(),
        title: "Image runs as root".into(),
        severity: Severity::High,
        message: "The image config sets no USER: containers run as root".into(),
        path: None,
        line: None,
        layer: None,
        layer_created_by: None,
        resolution: Some("Add `USER 10001` after the last RUN".into()),
    }];
    let flatmap = r
        .packages
        .iter()
        .find(|p| p.name == "lodash")
        .map(|p| p.id.clone());
    r.malware = vec![
        MalwareFinding {
            id: "MAL-2025-1234".into(),
            title: "Malicious code in lodash (npm)".into(),
            severity: Severity::Critical,
            path: "app/package-lock.json".into(),
            layer: Some(2),
            layer_created_by: created(2),
            digest: None,
            package_id: flatmap,
            data_source: "OSV MAL".into(),
            ..Default::default()
        },
        MalwareFinding {
            id: "eicar-test-file".into(),
            title: "EICAR anti-virus test file".into(),
            severity: Severity::Medium,
            path: "usr/local/share/eicar.com".into(),
            layer: Some(3),
            layer_created_by: created(3),
            digest: Some(
                "sha256:275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f".into(),
            ),
            package_id: None,
            data_source: "hash list".into(),
            ..Default::default()
        },
    ];
    r
}
