//! Matching speed: an image-sized inventory against a database of the real corpus's size.
//!
//! `cargo bench -p plimsoll-match` builds `PLIMSOLL_BENCH_RECORDS` (default 300,000)
//! synthetic OSV records into a database once (Debian records per source package with an
//! entry per release and an urgency, GHSA/PYSEC-style PyPI and npm records with CVSS v3 and
//! aliases), then measures `match_report` on 1,000 packages shaped like a Debian image with
//! a Python and a Node layer: 400 binary debs (three per source package), 300 PyPI and 300
//! npm packages, about half of them named in the database.

use criterion::Criterion;
use plimsoll_match::{MatchOptions, match_report};
use plimsoll_model::{Artifact, ArtifactKind, Location, Package, Report, SourcePackage};
use plimsoll_vulndb::{Builder, Db};
use serde_json::json;
use std::hint::black_box;
use std::time::Instant;

/// splitmix64: deterministic spread of names and versions.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const NAMES: u64 = 20_000;

fn record(rng: &mut Rng, i: u64) -> serde_json::Value {
    let cve = format!("CVE-{}-{}", 2010 + i % 15, 10_000 + i);
    let modified = "2024-06-01T00:00:00Z";
    let fix = format!("{}.{}.{}", rng.below(4), rng.below(20), rng.below(20));
    match rng.below(10) {
        0..=4 => {
            let name = format!("src{}", rng.below(NAMES));
            let affected: Vec<_> = ["Debian:11", "Debian:12", "Debian:13"]
                .iter()
                .map(|eco| {
                    json!({"package": {"ecosystem": eco, "name": name},
                           "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": format!("{fix}-1+deb12u1")}]}],
                           "ecosystem_specific": {"urgency": "medium"}})
                })
                .collect();
            json!({"id": format!("DEBIAN-{cve}"), "modified": modified, "upstream": [cve], "affected": affected})
        }
        k => {
            let (eco, kind) = if k < 8 {
                ("PyPI", "ECOSYSTEM")
            } else {
                ("npm", "SEMVER")
            };
            let name = format!("lib{}", rng.below(NAMES));
            json!({"id": format!("GHSA-b{:07x}", i), "modified": modified, "aliases": [cve, format!("PYSEC-2024-{i}")],
                   "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H"}],
                   "affected": [{"package": {"ecosystem": eco, "name": name},
                                 "ranges": [{"type": kind, "events": [{"introduced": "0"}, {"fixed": fix}]}]}],
                   "database_specific": {"severity": "HIGH"}})
        }
    }
}

fn package(rng: &mut Rng, i: usize, src_of: &mut String) -> Package {
    let v = format!("{}.{}.{}", rng.below(4), rng.below(20), rng.below(20));
    let loc = |layer, path: &str| {
        vec![Location {
            layer: Some(layer),
            path: path.into(),
        }]
    };
    let (kind, eco, name, version, source, locations) = if i < 400 {
        // Three binary packages per source package, as in Debian images (libc6, libc-bin
        // and locales from glibc).
        if i.is_multiple_of(3) {
            *src_of = format!("src{}", rng.below(NAMES));
        }
        let src = src_of.clone();
        let version = format!("{v}-1");
        (
            "deb",
            "Debian:12",
            format!("{src}-bin{}", i % 3),
            version.clone(),
            Some(SourcePackage { name: src, version }),
            loc(0, "var/lib/dpkg/status"),
        )
    } else {
        let eco = if i < 700 { "PyPI" } else { "npm" };
        let name = format!("lib{}", rng.below(NAMES));
        (
            if eco == "PyPI" { "python" } else { "npm" },
            eco,
            name,
            v,
            None,
            loc(1, "app/x"),
        )
    };
    Package {
        id: format!("p{i}"),
        kind: kind.into(),
        ecosystem: eco.into(),
        name,
        version,
        source,
        locations,
        ..Package::default()
    }
}

fn main() {
    let n: u64 = std::env::var("PLIMSOLL_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vuln.db");
    let t = Instant::now();
    let mut rng = Rng(42);
    let mut b = Builder::create(&path).unwrap();
    let mut i = 0;
    while i < n {
        let batch: Vec<_> = (i..n.min(i + 10_000))
            .map(|k| record(&mut rng, k))
            .collect();
        i += batch.len() as u64;
        let bytes = serde_json::to_vec(&batch).unwrap();
        b.import_osv_json("osv:bench", "bench.json", &bytes)
            .unwrap();
    }
    b.commit().unwrap();
    eprintln!("built {n} records in {:.1}s", t.elapsed().as_secs_f64());

    let db = Db::open(&path).unwrap();
    let report = Report {
        packages: {
            let mut src = String::new();
            (0..1000).map(|i| package(&mut rng, i, &mut src)).collect()
        },
        ..Report::new(Artifact {
            layers: Vec::new(),
            files: 0,
            ..Artifact::new("bench", ArtifactKind::ContainerImage, "docker-archive")
        })
    };
    let opts = MatchOptions::default();
    let out = match_report(&report, &db, &opts).unwrap();
    eprintln!(
        "1,000 packages: {} findings, {} lookups, {} warnings",
        out.findings.len(),
        out.stats.lookups,
        out.warnings.len()
    );
    let mut c = Criterion::default().configure_from_args();
    c.bench_function("match_report_1000_packages", |bch| {
        bch.iter(|| black_box(match_report(&report, &db, &opts).unwrap()))
    });
    // The database's share: the same lookups without evaluation or merging.
    c.bench_function("lookups_only_1000_packages", |bch| {
        bch.iter(|| {
            let mut n = 0;
            for p in &report.packages {
                let name = p.source.as_ref().map_or(&p.name, |s| &s.name);
                n += db.advisories(&p.ecosystem, name).unwrap().len();
            }
            black_box(n)
        })
    });
    c.final_summary();
}
