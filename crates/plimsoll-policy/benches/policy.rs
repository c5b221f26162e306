//! Policy evaluation and risk scoring on an image-sized report.
//!
//! `cargo bench -p plimsoll-policy` measures, on one report: `risk::score_report` (every
//! finding scored and the list ordered), `policy::parse` of the starter policy, and
//! `Policy::evaluate` of the starter policy (fixable HIGH+, KEV, CVE SLOs, EPSS, licenses,
//! root, image age). The report is `PLIMSOLL_BENCH_REPORT` (a native JSON report, e.g. of
//! the big test image scanned with scripts/bench.sh's full database) when set, else one
//! generated here with the big image's shape: 190 Debian packages with licenses, 800
//! findings across them with CVSS v3.1 vectors, a fix status, an EPSS score on a quarter and
//! publication dates over ten years.

use criterion::{BatchSize, Criterion};
use plimsoll_model::{
    Artifact, ArtifactKind, Cvss, EpssScore, Finding, FixStatus, ImageConfig, Package, Report,
    Severity,
};
use plimsoll_policy::{policy, risk};
use std::hint::black_box;

fn generated() -> Report {
    let mut artifact = Artifact::new(
        "oci:images/oci:big",
        ArtifactKind::ContainerImage,
        "oci-layout",
    );
    artifact.reference = Some("registry.example.com/payments/api:1.4".into());
    artifact.created = Some("2026-06-01T00:00:00Z".into());
    artifact.config = Some(ImageConfig {
        exposed_ports: vec!["8080/tcp".into()],
        ..ImageConfig::default()
    });
    let licenses = [
        "GPL-2.0-or-later",
        "LGPL-2.1-or-later",
        "MIT",
        "BSD-3-Clause",
        "GPL-3.0-only OR Artistic-1.0-Perl",
    ];
    let packages: Vec<Package> = (0..190)
        .map(|i| {
            let purl = format!("pkg:deb/debian/pkg{i}@1.{i}-1?arch=amd64&distro=debian-12");
            Package {
                id: purl.clone(),
                purl,
                kind: "deb".into(),
                ecosystem: "Debian:12".into(),
                name: format!("pkg{i}"),
                version: format!("1.{i}-1"),
                licenses: vec![licenses[i % licenses.len()].into()],
                ..Package::default()
            }
        })
        .collect();
    let vectors = [
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
        ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", 8.1),
        ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N", 5.4),
        ("CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:N/I:N/A:L", 2.5),
    ];
    let severities = [
        Severity::Critical,
        Severity::High,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ];
    let vulnerabilities = (0..800)
        .map(|i| {
            let p = &packages[(i * 7) % packages.len()];
            let (vector, score) = vectors[i % vectors.len()];
            let fixed = i % 3 != 0;
            Finding {
                id: format!("CVE-{}-{}", 2016 + i % 10, 10_000 + i),
                aliases: vec![format!("DEBIAN-CVE-{}-{}", 2016 + i % 10, 10_000 + i)],
                package_id: p.id.clone(),
                package_name: p.name.clone(),
                matched_ecosystem: "Debian:12".into(),
                matched_name: p.name.clone(),
                installed_version: p.version.clone(),
                fixed_versions: if fixed {
                    vec![format!("{}+deb12u1", p.version)]
                } else {
                    vec![]
                },
                status: if fixed {
                    FixStatus::Fixed
                } else {
                    FixStatus::Affected
                },
                severity: severities[(i / 5) % severities.len()],
                severity_source: Some("debian".into()),
                cvss: Some(Cvss {
                    version: "3.1".into(),
                    vector: vector.into(),
                    score,
                }),
                kev: i % 97 == 0,
                epss: (i % 4 == 0).then(|| EpssScore {
                    score: (i % 100) as f64 / 400.0,
                    percentile: 0.5,
                }),
                layer: Some(i % 3),
                layer_created_by: Some("RUN /bin/sh -c apt-get install -y build-essential".into()),
                path: Some("var/lib/dpkg/status".into()),
                data_source: format!("DEBIAN-CVE-{}-{}", 2016 + i % 10, 10_000 + i),
                title: Some("a vulnerability".into()),
                upstream_match: false,
                risk: None,
                published: Some(format!("{}-{:02}-15T00:00:00Z", 2016 + i % 10, 1 + i % 12)),
                in_base_image: Some(i % 3 == 0),
                removed_in_layer: None,
            }
        })
        .collect();
    Report {
        packages,
        vulnerabilities,
        ..Report::new(artifact)
    }
}

fn main() {
    let report = match std::env::var_os("PLIMSOLL_BENCH_REPORT") {
        Some(p) => {
            let text = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.to_string_lossy()));
            serde_json::from_slice(&text).unwrap_or_else(|e| panic!("{}: {e}", p.to_string_lossy()))
        }
        None => generated(),
    };
    eprintln!(
        "report: {} packages, {} findings",
        report.packages.len(),
        report.vulnerabilities.len()
    );
    let today: jiff::civil::Date = "2026-12-02".parse().unwrap();
    let starter = policy::parse("starter.yaml", policy::STARTER).unwrap();

    let mut c = Criterion::default().configure_from_args();
    c.bench_function("risk::score_report", |b| {
        b.iter_batched(
            || report.clone(),
            |mut r| {
                risk::score_report(&mut r);
                r
            },
            BatchSize::LargeInput,
        )
    });
    c.bench_function("policy::parse starter", |b| {
        b.iter(|| policy::parse("starter.yaml", black_box(policy::STARTER)).unwrap())
    });
    let mut scored = report.clone();
    risk::score_report(&mut scored);
    c.bench_function("Policy::evaluate starter", |b| {
        b.iter(|| starter.evaluate(black_box(&scored), today))
    });
    c.final_summary();
}
