//! A realistic report and small helpers shared by the policy tests.

pub(super) use super::parse;
use super::schema::Policy;
use jiff::civil::Date;
pub(super) use plimsoll_model::GateResult;
use plimsoll_model::{
    Artifact, ArtifactKind, Cvss, EpssScore, Finding, FixStatus, Gate, ImageConfig, Layer, Package,
    Report, Severity,
};

pub(super) fn date(s: &str) -> Date {
    s.parse().unwrap()
}

pub(super) fn finding(
    id: &str,
    pkg: &str,
    sev: Severity,
    fixed: &[&str],
    published: &str,
) -> Finding {
    Finding {
        id: id.into(),
        aliases: vec![],
        package_id: format!("pkg:{pkg}"),
        package_name: pkg.into(),
        matched_ecosystem: "Debian:12".into(),
        matched_name: pkg.into(),
        installed_version: "1.0".into(),
        fixed_versions: fixed.iter().map(|s| s.to_string()).collect(),
        status: if fixed.is_empty() {
            FixStatus::Affected
        } else {
            FixStatus::Fixed
        },
        severity: sev,
        severity_source: None,
        cvss: None,
        kev: false,
        epss: None,
        layer: Some(0),
        layer_created_by: None,
        path: None,
        data_source: id.into(),
        title: None,
        upstream_match: false,
        risk: None,
        published: Some(format!("{published}T12:00:00Z")),
        in_base_image: None,
        removed_in_layer: None,
    }
}

pub(super) fn package(name: &str, eco: &str, purl: &str, licenses: &[&str]) -> Package {
    Package {
        id: format!("pkg:{name}"),
        kind: "deb".into(),
        ecosystem: eco.into(),
        name: name.into(),
        version: "1.0".into(),
        purl: purl.into(),
        licenses: licenses.iter().map(|s| s.to_string()).collect(),
        ..Package::default()
    }
}

/// A Debian 12 application image shaped like the demo: libssl3 (two CVEs), libwebp7
/// (exploited), requests from PyPI.
pub(super) fn report() -> Report {
    let mut webp = finding(
        "CVE-2023-4863",
        "libwebp7",
        Severity::High,
        &["1.2.4-0.2+deb12u1"],
        "2023-09-12",
    );
    webp.kev = true;
    webp.epss = Some(EpssScore {
        score: 0.94,
        percentile: 0.99,
    });
    webp.cvss = Some(Cvss {
        version: "3.1".into(),
        vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H".into(),
        score: 8.8,
    });
    webp.in_base_image = Some(true);
    let mut req = finding(
        "CVE-2024-35195",
        "requests",
        Severity::Medium,
        &["2.32.0"],
        "2024-05-20",
    );
    req.aliases = vec!["GHSA-9wx4-h78v-vm56".into()];
    req.in_base_image = Some(false);
    req.cvss = Some(Cvss {
        version: "3.1".into(),
        vector: "CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:H/I:H/A:N".into(),
        score: 5.6,
    });
    Report {
        packages: vec![
            package(
                "libssl3",
                "Debian:12",
                "pkg:deb/debian/libssl3@1.0",
                &["Apache-2.0"],
            ),
            package(
                "libwebp7",
                "Debian:12",
                "pkg:deb/debian/libwebp7@1.0",
                &["BSD-3-Clause"],
            ),
            package("requests", "PyPI", "pkg:pypi/requests@1.0", &["Apache-2.0"]),
            package(
                "readline",
                "Debian:12",
                "pkg:deb/debian/readline@1.0",
                &["GPL-3.0-or-later"],
            ),
            package("dual", "npm", "pkg:npm/dual@1.0", &["MIT OR GPL-3.0-only"]),
            package(
                "event-stream",
                "npm",
                "pkg:npm/event-stream@3.3.6",
                &["MIT"],
            ),
        ],
        vulnerabilities: vec![
            webp,
            req,
            finding(
                "CVE-2023-5678",
                "libssl3",
                Severity::Low,
                &["3.0.13-1~deb12u1"],
                "2023-11-06",
            ),
            finding(
                "CVE-2024-0727",
                "libssl3",
                Severity::Medium,
                &[],
                "2024-01-26",
            ),
        ],
        ..Report::new(Artifact {
            reference: Some("registry.example.com/payments/api:1.4".into()),
            config: Some(ImageConfig {
                user: String::new(),
                labels: [("team".to_string(), "payments".to_string())].into(),
                ..ImageConfig::default()
            }),
            created: Some("2026-01-02T03:04:05Z".into()),
            layers: vec![
                Layer::default(),
                Layer {
                    index: 1,
                    ..Layer::default()
                },
            ],
            ..Artifact::new(
                "registry.example.com/payments/api:1.4",
                ArtifactKind::ContainerImage,
                "registry",
            )
        })
    }
}

pub(super) fn run(yaml: &str, today: &str) -> Gate {
    policy(yaml).evaluate(&report(), date(today))
}

pub(super) fn hits(g: &Gate, rule: &str) -> Vec<String> {
    let Some(v) = g.violations.iter().find(|v| v.rule == rule) else {
        return vec![];
    };
    let mut out: Vec<String> = v.findings.iter().map(|f| f.id.clone()).collect();
    out.extend(v.secrets.iter().map(|s| s.fingerprint.clone()));
    out.extend(v.packages.iter().cloned());
    out.extend(v.image.iter().cloned());
    out
}

pub(super) fn policy(yaml: &str) -> Policy {
    parse("p.yaml", yaml).unwrap()
}

/// The same image with what the secret analyzer finds in it: an AWS key in the app's
/// .env, an SSH private key the build copied in, a JWT in a test fixture, and a database
/// password in an Env variable.
pub(super) fn report_with_secrets() -> Report {
    use crate::secret::finding as secret;
    let mut r = report();
    let mut env = secret("generic-password", Severity::Low, "DB_PASSWORD", 0, 1);
    env.source = plimsoll_model::SecretSource::Env;
    env.line = None;
    env.layer = None;
    env.fingerprint = "env:DB_PASSWORD:generic-password:0".into();
    let mut key = secret("aws-access-key-id", Severity::Critical, "app/.env", 3, 1);
    key.in_base_image = Some(false);
    r.secrets = vec![
        key,
        secret("private-key", Severity::High, "root/.ssh/id_rsa", 1, 1),
        secret(
            "jwt",
            Severity::Medium,
            "app/tests/fixtures/token.txt",
            2,
            1,
        ),
        env,
    ];
    r
}

pub(super) fn run_secrets(yaml: &str, today: &str) -> Gate {
    policy(yaml).evaluate(&report_with_secrets(), date(today))
}
