//! The demo image's two findings, the report the suppression targets apply rules to.

use plimsoll_model::{
    Artifact, ArtifactKind, Finding, FixStatus, Package, Report, Severity,
};

const LIBSSL: &str = "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12";
const REQUESTS: &str = "pkg:pypi/requests@2.31.0";

fn finding(id: &str, alias: &str, purl: &str, name: &str, path: &str) -> Finding {
    Finding {
        id: id.into(),
        aliases: vec![alias.into()],
        package_id: purl.into(),
        package_name: name.into(),
        matched_ecosystem: "Debian:12".into(),
        matched_name: name.into(),
        installed_version: "1".into(),
        fixed_versions: vec![],
        status: FixStatus::Affected,
        severity: Severity::Low,
        severity_source: None,
        cvss: None,
        kev: false,
        epss: None,
        layer: Some(0),
        layer_created_by: None,
        path: Some(path.into()),
        data_source: id.into(),
        title: None,
        upstream_match: false,
        risk: None,
        published: Some("2023-11-06T16:15:42Z".into()),
        in_base_image: Some(path.starts_with("var/")),
        removed_in_layer: None,
    }
}

pub fn report() -> Report {
    let pkg = |purl: &str, name: &str| Package {
        id: purl.into(),
        purl: purl.into(),
        name: name.into(),
        version: "1".into(),
        ..Package::default()
    };
    let mut artifact = Artifact::new("demo", ArtifactKind::ContainerImage, "oci-archive");
    artifact.digest =
        Some("sha256:4d70a30a50b3ec0529ff7c3efa951fe00e0214276b37cedd73ed46a06b4c93ef".into());
    artifact.reference = Some("ghcr.io/acme/demo:1.4".into());
    Report {
        packages: vec![pkg(LIBSSL, "libssl3"), pkg(REQUESTS, "requests")],
        vulnerabilities: vec![
            finding("CVE-2023-5678", "DEBIAN-CVE-2023-5678", LIBSSL, "libssl3", "var/lib/dpkg/status"),
            finding(
                "CVE-2024-35195",
                "GHSA-9wx4-h78v-vm56",
                REQUESTS,
                "requests",
                "usr/local/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA",
            ),
        ],
        ..Report::new(artifact)
    }
}

/// Applying suppression moves findings, never loses or duplicates one, and says why.
pub fn check(s: &plimsoll_policy::Suppressions) {
    for today in ["2026-12-02", "1970-01-01", "9999-12-31"] {
        let mut r = report();
        s.apply(&mut r, today.parse().unwrap());
        assert_eq!(r.vulnerabilities.len() + r.suppressed.len(), 2);
        for x in &r.suppressed {
            assert!(!x.reason.is_empty());
            assert!(matches!(
                x.suppressed_by.as_str(),
                "vex" | "ignorefile" | "ignore-unfixed"
            ));
        }
    }
}
