//! A Debian 12 image's inventory (OS packages with their `Source:`, a pip layer, a Node app,
//! a Rust and a Go binary, a jar) matched against fixture OSV records for exactly those
//! packages: the finding set, and the packages that must not match.

use plimsoll_match::{MatchOptions, MatchOutcome, match_report};
use plimsoll_model::{
    Artifact, ArtifactKind, FixStatus, Layer, Location, Package, Report, Severity, SourcePackage,
};
use plimsoll_vulndb::{Builder, Db};
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The fixture DB: every OSV record under `fixtures/osv`, the KEV feed and the EPSS scores.
fn fixture_db(dir: &Path) -> Db {
    let path = dir.join("vuln.db");
    let mut b = Builder::create(&path).unwrap();
    let s = b
        .import_osv_dir("osv:fixtures", &fixtures().join("osv"))
        .unwrap();
    assert!(s.skipped.is_empty(), "{:?}", s.skipped);
    let kev = std::fs::read(fixtures().join("feeds/known_exploited_vulnerabilities.json")).unwrap();
    b.import_kev("kev.json", &kev, None).unwrap();
    let epss = std::fs::read(fixtures().join("feeds/epss_scores-2025-03-14.csv")).unwrap();
    b.import_epss("epss.csv", &epss[..], None).unwrap();
    b.commit().unwrap();
    Db::open(&path).unwrap()
}

fn layer(index: usize, created_by: &str) -> Layer {
    Layer {
        index,
        created_by: Some(created_by.into()),
        ..Layer::default()
    }
}

fn pkg(kind: &str, eco: &str, name: &str, version: &str, layer: usize, path: &str) -> Package {
    Package {
        id: format!("{kind}:{name}@{version}:{path}"),
        kind: kind.into(),
        ecosystem: eco.into(),
        name: name.into(),
        version: version.into(),
        locations: vec![Location {
            layer: Some(layer),
            path: path.into(),
        }],
        ..Package::default()
    }
}

fn deb(name: &str, version: &str, source: &str, source_version: &str, layer: usize) -> Package {
    Package {
        source: Some(SourcePackage {
            name: source.into(),
            version: source_version.into(),
        }),
        purl: format!("pkg:deb/debian/{name}@{version}?arch=amd64&distro=debian-12"),
        ..pkg(
            "deb",
            "Debian:12",
            name,
            version,
            layer,
            "var/lib/dpkg/status",
        )
    }
}

const BASE: &str = "# debian.sh --arch 'amd64' out/ 'bookworm' '@1694390400'";
const APT: &str = "RUN /bin/sh -c apt-get install -y libwebp7 libwebpdemux2 python3-urllib3";
const PIP: &str = "RUN /bin/sh -c pip install requests==2.25.1 ecdsa==0.18.0";
const APP: &str = "COPY app /app # buildkit";
const JAR: &str = "COPY lib/log4j-core-2.14.1.jar /opt/lib/ # buildkit";

fn image() -> Report {
    let urllib3_deb = deb(
        "python3-urllib3",
        "1.26.12-1",
        "python-urllib3",
        "1.26.12-1",
        1,
    );
    let mut urllib3_pip = pkg(
        "python",
        "PyPI",
        "urllib3",
        "1.26.12",
        1,
        "usr/lib/python3/dist-packages/urllib3-1.26.12.egg-info/PKG-INFO",
    );
    urllib3_pip.owned_by = Some(urllib3_deb.id.clone());
    let site = "usr/local/lib/python3.11/site-packages";
    let packages = vec![
        deb("libc6", "2.36-9+deb12u1", "glibc", "2.36-9+deb12u1", 0),
        deb(
            "openssl",
            "3.0.11-1~deb12u2",
            "openssl",
            "3.0.11-1~deb12u2",
            0,
        ),
        deb(
            "libssl3",
            "3.0.11-1~deb12u2",
            "openssl",
            "3.0.11-1~deb12u2",
            0,
        ),
        deb("libwebp7", "1.2.4-0.2", "libwebp", "1.2.4-0.2", 1),
        // A binNMU: the binary's version is not the source's.
        deb("libwebpdemux2", "1.2.4-0.2+b1", "libwebp", "1.2.4-0.2", 1),
        // Built from the fixed source: must not match, whatever its binary version.
        deb(
            "libwebpmux3",
            "1.2.4-0.2+deb12u1+b1",
            "libwebp",
            "1.2.4-0.2+deb12u1",
            1,
        ),
        urllib3_deb,
        urllib3_pip,
        pkg(
            "python",
            "PyPI",
            "requests",
            "2.25.1",
            2,
            &format!("{site}/requests-2.25.1.dist-info/METADATA"),
        ),
        pkg(
            "python",
            "PyPI",
            "ecdsa",
            "0.18.0",
            2,
            &format!("{site}/ecdsa-0.18.0.dist-info/METADATA"),
        ),
        // Just above a `last_affected` bound: not affected.
        pkg(
            "python",
            "PyPI",
            "ecdsa",
            "0.19.0",
            3,
            "app/venv/lib/python3.11/site-packages/ecdsa-0.19.0.dist-info/METADATA",
        ),
        pkg(
            "npm",
            "npm",
            "lodash",
            "4.17.20",
            3,
            "app/node_modules/lodash/package.json",
        ),
        // Only a withdrawn record names it.
        pkg(
            "npm",
            "npm",
            "semver",
            "7.3.8",
            3,
            "app/node_modules/semver/package.json",
        ),
        pkg("cargo", "crates.io", "time", "0.2.22", 3, "app/bin/server"),
        pkg("go-module", "Go", "stdlib", "v1.19.0", 3, "app/bin/worker"),
        pkg(
            "go-module",
            "Go",
            "golang.org/x/net",
            "v0.0.0-20220826154423-83b083e8dc8b",
            3,
            "app/bin/worker",
        ),
        pkg(
            "maven",
            "Maven",
            "org.apache.logging.log4j:log4j-core",
            "2.14.1",
            4,
            "opt/lib/log4j-core-2.14.1.jar",
        ),
    ];
    Report {
        packages,
        ..Report::new(Artifact {
            layers: vec![
                layer(0, BASE),
                layer(1, APT),
                layer(2, PIP),
                layer(3, APP),
                layer(4, JAR),
            ],
            files: 0,
            ..Artifact::new(
                "docker-archive:vulnerable.tar",
                ArtifactKind::ContainerImage,
                "docker-archive",
            )
        })
    }
}

/// (id, package name, installed version compared, fixed versions, status, layer)
type Row = (
    String,
    String,
    String,
    Vec<String>,
    FixStatus,
    Option<usize>,
);

fn rows(out: &MatchOutcome) -> Vec<Row> {
    let mut r: Vec<Row> = out
        .findings
        .iter()
        .map(|f| {
            (
                f.id.clone(),
                f.package_name.clone(),
                f.installed_version.clone(),
                f.fixed_versions.clone(),
                f.status,
                f.layer,
            )
        })
        .collect();
    r.sort_by(|a, b| (&a.1, &a.0).cmp(&(&b.1, &b.0)));
    r
}

fn row(id: &str, pkg: &str, v: &str, fixed: &[&str], status: FixStatus, layer: usize) -> Row {
    (
        id.into(),
        pkg.into(),
        v.into(),
        fixed.iter().map(|s| s.to_string()).collect(),
        status,
        Some(layer),
    )
}

fn find<'a>(out: &'a MatchOutcome, id: &str, pkg: &str) -> &'a plimsoll_model::Finding {
    out.findings
        .iter()
        .find(|f| f.id == id && f.package_name == pkg)
        .unwrap_or_else(|| panic!("no finding {id} for {pkg}"))
}

#[test]
fn finding_set_of_a_debian_image() {
    let tmp = tempfile::tempdir().unwrap();
    let db = fixture_db(tmp.path());
    let out = match_report(&image(), &db, &MatchOptions::default()).unwrap();
    use FixStatus::*;
    let glibc_fix = ["2.36-9+deb12u3"];
    let expected = vec![
        row("CVE-2024-23342", "ecdsa", "0.18.0", &[], Affected, 2),
        row(
            "CVE-2022-27664",
            "golang.org/x/net",
            "v0.0.0-20220826154423-83b083e8dc8b",
            &["0.0.0-20220906165146-f3363e06e74c"],
            Fixed,
            3,
        ),
        row("CVE-2010-4756", "libc6", "2.36-9+deb12u1", &[], Affected, 0),
        row(
            "CVE-2023-4527",
            "libc6",
            "2.36-9+deb12u1",
            &glibc_fix,
            Fixed,
            0,
        ),
        row(
            "CVE-2023-4806",
            "libc6",
            "2.36-9+deb12u1",
            &glibc_fix,
            Fixed,
            0,
        ),
        row(
            "CVE-2023-4911",
            "libc6",
            "2.36-9+deb12u1",
            &glibc_fix,
            Fixed,
            0,
        ),
        row(
            "CVE-2023-5678",
            "libssl3",
            "3.0.11-1~deb12u2",
            &["3.0.13-1~deb12u1"],
            Fixed,
            0,
        ),
        row(
            "CVE-2023-4863",
            "libwebp7",
            "1.2.4-0.2",
            &["1.2.4-0.2+deb12u1"],
            Fixed,
            1,
        ),
        row(
            "CVE-2023-4863",
            "libwebpdemux2",
            "1.2.4-0.2",
            &["1.2.4-0.2+deb12u1"],
            Fixed,
            1,
        ),
        row(
            "CVE-2021-23337",
            "lodash",
            "4.17.20",
            &["4.17.21"],
            Fixed,
            3,
        ),
        row(
            "CVE-2023-5678",
            "openssl",
            "3.0.11-1~deb12u2",
            &["3.0.13-1~deb12u1"],
            Fixed,
            0,
        ),
        row(
            "CVE-2021-44228",
            "org.apache.logging.log4j:log4j-core",
            "2.14.1",
            &["2.15.0"],
            Fixed,
            4,
        ),
        row(
            "CVE-2023-32681",
            "requests",
            "2.25.1",
            &["2.31.0"],
            Fixed,
            2,
        ),
        row("CVE-2022-27664", "stdlib", "v1.19.0", &["1.19.1"], Fixed, 3),
        row("CVE-2020-26235", "time", "0.2.22", &["0.2.23"], Fixed, 3),
    ];
    assert_eq!(rows(&out), expected);
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    assert_eq!(out.stats.skipped_owned, 1);

    // Alias pairs merged into one finding, the CVE as id.
    let req = find(&out, "CVE-2023-32681", "requests");
    assert_eq!(req.aliases, ["GHSA-j8r2-6x86-q33q", "PYSEC-2023-74"]);
    assert_eq!(req.data_source, "GHSA-j8r2-6x86-q33q, PYSEC-2023-74");
    assert_eq!(req.epss.as_ref().map(|e| e.score), Some(0.00132));
    assert!(!req.kev);
    assert_eq!(req.layer_created_by.as_deref(), Some(PIP));
    assert_eq!(
        req.path.as_deref(),
        Some("usr/local/lib/python3.11/site-packages/requests-2.25.1.dist-info/METADATA")
    );
    assert_eq!(req.matched_ecosystem, "PyPI");
    assert_eq!(req.severity, Severity::Medium); // CVSS 3.1 6.1
    assert_eq!(req.severity_source.as_deref(), Some("cvss_v3"));

    // DEBIAN-CVE + DSA merged; the source package and version are what was compared.
    let webp = find(&out, "CVE-2023-4863", "libwebpdemux2");
    assert_eq!(webp.aliases, ["DEBIAN-CVE-2023-4863", "DSA-5497-1"]);
    assert_eq!(webp.matched_ecosystem, "Debian:12");
    assert_eq!(webp.matched_name, "libwebp");
    assert!(webp.kev);
    assert_eq!(webp.epss.as_ref().map(|e| e.score), Some(0.39526));
    // Debian has no rating for it ("not yet assigned"): the CVE record's CVSS decides.
    assert_eq!(webp.severity, Severity::High);
    assert_eq!(webp.severity_source.as_deref(), Some("cvss_v3"));
    assert_eq!(webp.cvss.as_ref().map(|c| c.score), Some(8.8));
    assert_eq!(webp.layer_created_by.as_deref(), Some(APT));

    // One DSA for three CVEs: one finding per CVE, the DSA among each one's aliases.
    let looney = find(&out, "CVE-2023-4911", "libc6");
    assert_eq!(looney.aliases, ["DEBIAN-CVE-2023-4911", "DSA-5514-1"]);
    assert_eq!(find(&out, "CVE-2023-4806", "libc6").aliases, ["DSA-5514-1"]);
    assert_eq!(looney.layer_created_by.as_deref(), Some(BASE));

    // The distribution's own rating wins for distribution packages.
    let eol = find(&out, "CVE-2010-4756", "libc6");
    assert_eq!(eol.severity, Severity::Low);
    assert_eq!(eol.severity_source.as_deref(), Some("debian"));
    assert_eq!(
        find(&out, "CVE-2023-5678", "openssl").severity,
        Severity::Low
    );

    // No CVSS: the GHSA label.
    let ecdsa = find(&out, "CVE-2024-23342", "ecdsa");
    assert_eq!(ecdsa.severity, Severity::High);
    assert_eq!(ecdsa.severity_source.as_deref(), Some("ghsa"));

    let log4j = find(
        &out,
        "CVE-2021-44228",
        "org.apache.logging.log4j:log4j-core",
    );
    assert!(log4j.kev);
    assert_eq!(log4j.severity, Severity::Critical);
    assert_eq!(log4j.aliases, ["GHSA-jfh8-c2jp-5v3q"]);
    let go = find(&out, "CVE-2022-27664", "stdlib");
    assert_eq!(go.aliases, ["GHSA-69cg-p879-7622", "GO-2022-0969"]);
    assert!(out.findings.iter().all(|f| !f.upstream_match));
}

#[test]
fn comprehensive_matches_owned_packages_upstream() {
    let tmp = tempfile::tempdir().unwrap();
    let db = fixture_db(tmp.path());
    let opts = MatchOptions {
        comprehensive: true,
    };
    let out = match_report(&image(), &db, &opts).unwrap();
    let extra: Vec<_> = out.findings.iter().filter(|f| f.upstream_match).collect();
    assert_eq!(extra.len(), 1, "{extra:?}");
    let f = extra[0];
    assert_eq!(f.id, "CVE-2023-43804");
    assert_eq!(f.package_name, "urllib3");
    assert_eq!(f.fixed_versions, ["1.26.17"]);
    assert_eq!(f.aliases, ["GHSA-v845-jxx5-vc9f", "PYSEC-2023-192"]);
    assert_eq!(out.stats.skipped_owned, 0);
    assert_eq!(out.findings.len(), 16);
}

#[test]
fn distro_packages_without_a_release_are_not_matched() {
    let tmp = tempfile::tempdir().unwrap();
    let db = fixture_db(tmp.path());
    let mut report = image();
    for p in &mut report.packages {
        if p.kind == "deb" {
            p.ecosystem = "Debian".into();
        }
    }
    let out = match_report(&report, &db, &MatchOptions::default()).unwrap();
    assert!(
        out.findings
            .iter()
            .all(|f| !f.matched_ecosystem.starts_with("Debian"))
    );
    assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
    assert!(out.warnings[0].contains("release"), "{}", out.warnings[0]);
}

#[test]
fn ubuntu_and_alpine_name_source_packages() {
    let tmp = tempfile::tempdir().unwrap();
    let db = fixture_db(tmp.path());
    let mut report = image();
    let mut ubuntu = pkg(
        "deb",
        "Ubuntu:22.04:LTS",
        "libwebp7",
        "1.2.2-2ubuntu0.22.04.1",
        0,
        "var/lib/dpkg/status",
    );
    ubuntu.source = Some(SourcePackage {
        name: "libwebp".into(),
        version: "1.2.2-2ubuntu0.22.04.1".into(),
    });
    let mut alpine = pkg(
        "apk",
        "Alpine:v3.19",
        "libcurl",
        "8.3.0-r0",
        0,
        "lib/apk/db/installed",
    );
    alpine.source = Some(SourcePackage {
        name: "curl".into(),
        version: "8.3.0-r0".into(),
    });
    // Same origin in a release the record does not list: no match.
    let mut alpine_old = alpine.clone();
    alpine_old.id = "apk:libcurl-3.17".into();
    alpine_old.ecosystem = "Alpine:v3.17".into();
    report.packages = vec![ubuntu, alpine, alpine_old];
    let out = match_report(&report, &db, &MatchOptions::default()).unwrap();
    assert_eq!(out.findings.len(), 2, "{:?}", out.findings);
    let u = find(&out, "CVE-2023-4863", "libwebp7");
    assert_eq!(u.fixed_versions, ["1.2.2-2ubuntu0.22.04.2"]);
    assert_eq!(u.severity, Severity::High);
    assert_eq!(u.severity_source.as_deref(), Some("ubuntu"));
    assert_eq!(u.aliases, ["UBUNTU-CVE-2023-4863"]);
    let a = find(&out, "CVE-2023-38545", "libcurl");
    assert_eq!(a.matched_name, "curl");
    assert_eq!(a.fixed_versions, ["8.4.0-r0"]);
    assert_eq!(a.status, FixStatus::Fixed);
}

#[test]
fn unparsable_versions_are_unknown_with_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let db = fixture_db(tmp.path());
    let mut report = image();
    report.packages = vec![pkg("python", "PyPI", "requests", "2.25.1-custom!", 0, "x")];
    let out = match_report(&report, &db, &MatchOptions::default()).unwrap();
    assert!(!out.findings.is_empty());
    assert!(out.findings.iter().all(|f| f.status == FixStatus::Unknown));
    assert!(
        out.warnings
            .iter()
            .any(|w| w.contains("requests") && w.contains("GHSA-652x-xj99-gmcc")),
        "{:?}",
        out.warnings
    );
}

#[test]
fn rpm_packages_match_by_binary_or_source_rpm_name() {
    let tmp = tempfile::tempdir().unwrap();
    let db = fixture_db(tmp.path());
    let mut report = image();
    let rpm = |name: &str| {
        let mut p = pkg(
            "rpm",
            "AlmaLinux:9",
            name,
            "2.34-60.el9",
            0,
            "var/lib/rpm/rpmdb.sqlite",
        );
        p.source = Some(SourcePackage {
            name: "glibc".into(),
            version: "2.34-60.el9".into(),
        });
        p
    };
    let mut fixed = rpm("glibc-common");
    fixed.id = "rpm:glibc-common-fixed".into();
    fixed.version = "2.34-60.el9_2.7".into();
    report.packages = vec![rpm("glibc-common"), rpm("glibc-minimal-langpack"), fixed];
    let out = match_report(&report, &db, &MatchOptions::default()).unwrap();
    let got: Vec<(&str, &str, &str)> = out
        .findings
        .iter()
        .map(|f| {
            (
                f.package_name.as_str(),
                f.matched_name.as_str(),
                f.id.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("glibc-common", "glibc-common", "CVE-2023-4911"),
            ("glibc-minimal-langpack", "glibc", "CVE-2023-4911"),
        ]
    );
    assert!(
        out.findings
            .iter()
            .all(|f| f.fixed_versions == ["2.34-60.el9_2.7"])
    );
    assert_eq!(out.findings[0].aliases, ["ALSA-2023:5453"]);
}
