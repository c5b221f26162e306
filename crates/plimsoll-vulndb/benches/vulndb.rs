//! Import speed, database size and lookup latency on a synthetic OSV corpus.
//!
//! `cargo bench -p plimsoll-vulndb` generates `PLIMSOLL_BENCH_RECORDS` (default 300,000)
//! realistic records into one deflate zip (the shape of the bucket's `all.zip`: pretty-printed
//! JSON, one file per record), times a fresh build from it once, prints records/s and the
//! database size, then measures with criterion a single `advisories` lookup and a batch of
//! 1,000 lookups (the shape of a scan: half the names have advisories, half none).
//! `PLIMSOLL_BENCH_KEEP=FILE` keeps a copy of the built database.
//!
//! The mix follows the real corpus: Debian records with one entry per release and an
//! urgency, Ubuntu records with version lists and binaries, Alpine per branch, GHSA with
//! CVSS v3 and `database_specific`, PyPI/Go/RustSec records with aliases, a few withdrawn.

use criterion::Criterion;
use plimsoll_vulndb::{Builder, Db};
use serde_json::json;
use std::hint::black_box;
use std::io::Write;
use std::time::Instant;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*: deterministic and good enough to spread names and versions.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const DEBIAN: [&str; 4] = ["Debian:11", "Debian:12", "Debian:13", "Debian:14"];
const UBUNTU: [&str; 3] = ["Ubuntu:20.04:LTS", "Ubuntu:22.04:LTS", "Ubuntu:24.04:LTS"];
const ALPINE: [&str; 3] = ["Alpine:v3.18", "Alpine:v3.19", "Alpine:v3.20"];
const LANG: [&str; 6] = ["PyPI", "npm", "Maven", "Go", "crates.io", "RubyGems"];

fn package(rng: &mut Rng, eco: &str) -> String {
    let n = rng.below(4000);
    match eco {
        "Maven" => format!("org.example{}:artifact-{n}", n % 97),
        "Go" => format!("github.com/org{}/mod{n}", n % 211),
        "npm" if n.is_multiple_of(5) => format!("@scope{}/pkg-{n}", n % 31),
        _ => format!("pkg-{n}"),
    }
}

fn version(rng: &mut Rng) -> String {
    format!("{}.{}.{}", rng.below(5), rng.below(20), rng.below(30))
}

fn record(rng: &mut Rng, i: usize) -> (String, serde_json::Value) {
    let year = 2005 + (i % 20);
    let cve = format!("CVE-{year}-{}", 10000 + i);
    let modified = format!(
        "2024-{:02}-{:02}T{:02}:00:00Z",
        1 + i % 12,
        1 + i % 28,
        i % 24
    );
    let kind = rng.below(100);
    let v3 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H";
    let (id, rec) = if kind < 38 {
        let id = format!("DEBIAN-{cve}");
        let name = package(rng, "Debian");
        let urg =
            ["unimportant", "low", "medium", "high", "not yet assigned"][rng.below(5) as usize];
        let affected: Vec<_> = DEBIAN
            .iter()
            .map(|eco| {
                let mut ev = vec![json!({"introduced": "0"})];
                if rng.below(3) > 0 {
                    ev.push(json!({"fixed": format!("{}-{}+deb12u{}", version(rng), rng.below(5), rng.below(9))}));
                }
                json!({"package": {"ecosystem": eco, "name": name, "purl": format!("pkg:deb/debian/{name}?arch=source")},
                       "ranges": [{"type": "ECOSYSTEM", "events": ev}],
                       "ecosystem_specific": {"urgency": urg}})
            })
            .collect();
        (
            id.clone(),
            json!({"id": id, "modified": modified, "upstream": [cve], "affected": affected}),
        )
    } else if kind < 55 {
        let id = format!("UBUNTU-{cve}");
        let name = package(rng, "Ubuntu");
        let affected: Vec<_> = UBUNTU
            .iter()
            .map(|eco| {
                let versions: Vec<String> = (0..8).map(|k| format!("1.{k}-{}ubuntu1", rng.below(4))).collect();
                json!({"package": {"ecosystem": eco, "name": name},
                       "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.9-1ubuntu0.1"}]}],
                       "versions": versions,
                       "ecosystem_specific": {"binaries": [{"binary_name": format!("lib{name}1"), "binary_version": "1.9-1ubuntu0.1"}],
                                              "availability": "No subscription required"}})
            })
            .collect();
        (
            id.clone(),
            json!({"id": id, "modified": modified, "upstream": [cve],
                   "severity": [{"type": "Ubuntu", "score": "medium"}, {"type": "CVSS_V3", "score": v3}],
                   "affected": affected}),
        )
    } else if kind < 65 {
        let id = format!("ALPINE-{cve}");
        let name = package(rng, "Alpine");
        let affected: Vec<_> = ALPINE
            .iter()
            .map(|eco| {
                json!({"package": {"ecosystem": eco, "name": name},
                       "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": format!("{}-r{}", version(rng), rng.below(4))}]}]})
            })
            .collect();
        (
            id.clone(),
            json!({"id": id, "modified": modified, "upstream": [cve], "affected": affected}),
        )
    } else {
        let eco = LANG[rng.below(LANG.len() as u64) as usize];
        let id = match eco {
            "Go" if kind.is_multiple_of(2) => format!("GO-{year}-{i}"),
            "crates.io" if kind.is_multiple_of(2) => format!("RUSTSEC-{year}-{i}"),
            "PyPI" if kind.is_multiple_of(3) => format!("PYSEC-{year}-{i}"),
            _ => format!(
                "GHSA-{:04x}-{:04x}-{:04x}",
                i % 65536,
                (i / 65536) % 65536,
                rng.below(65536)
            ),
        };
        let name = package(rng, eco);
        let kind_r = if matches!(eco, "npm" | "Go" | "crates.io") {
            "SEMVER"
        } else {
            "ECOSYSTEM"
        };
        let mut rec = json!({
            "id": id, "modified": modified, "published": "2023-01-01T00:00:00Z",
            "aliases": [cve, format!("GHSA-alias-{i}")],
            "summary": format!("Synthetic advisory {i} for {name}"),
            "severity": [{"type": "CVSS_V3", "score": v3}],
            "affected": [{"package": {"ecosystem": eco, "name": name},
                          "ranges": [{"type": kind_r, "events": [{"introduced": version(rng)}, {"fixed": version(rng)}]}]}],
            "database_specific": {"cwe_ids": ["CWE-79"], "github_reviewed": true, "severity": "HIGH"},
        });
        if i.is_multiple_of(200) {
            rec["withdrawn"] = json!("2024-06-01T00:00:00Z");
        }
        (id, rec)
    };
    (id, rec)
}

fn main() {
    let n: usize = std::env::var("PLIMSOLL_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300_000);
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("all.zip");
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut lookups: Vec<(String, String)> = Vec::new();
    let t = Instant::now();
    {
        let mut w = zip::ZipWriter::new(std::io::BufWriter::new(
            std::fs::File::create(&zip_path).unwrap(),
        ));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for i in 0..n {
            let (id, rec) = record(&mut rng, i);
            if lookups.len() < 1000 && i.is_multiple_of(97) {
                let p = &rec["affected"][0]["package"];
                lookups.push((
                    p["ecosystem"].as_str().unwrap().into(),
                    p["name"].as_str().unwrap().into(),
                ));
            }
            w.start_file(format!("{id}.json"), opts).unwrap();
            w.write_all(&serde_json::to_vec_pretty(&rec).unwrap())
                .unwrap();
        }
        w.finish().unwrap();
    }
    let zip_size = std::fs::metadata(&zip_path).unwrap().len();
    eprintln!(
        "generated {n} records in {:.1}s ({:.1} MiB zip)",
        t.elapsed().as_secs_f64(),
        zip_size as f64 / 1048576.0
    );

    let target = dir.path().join("vuln.db");
    let t = Instant::now();
    let mut b = Builder::create(&target).unwrap();
    let s = b.import_osv_zip("osv:all", &zip_path, true).unwrap();
    let imported = t.elapsed();
    b.commit().unwrap();
    let total = t.elapsed();
    let db_size = std::fs::metadata(&target).unwrap().len();
    eprintln!(
        "import: {} records ({} kept, {} skipped) in {:.1}s + commit {:.1}s = {:.0} records/s; DB {:.1} MiB",
        s.records_imported,
        s.records_kept,
        s.skipped_count,
        imported.as_secs_f64(),
        (total - imported).as_secs_f64(),
        n as f64 / total.as_secs_f64(),
        db_size as f64 / 1048576.0
    );

    if let Ok(keep) = std::env::var("PLIMSOLL_BENCH_KEEP") {
        // To look inside with sqlite3 afterwards.
        std::fs::copy(&target, keep).unwrap();
    }
    let db = Db::open(&target).unwrap();
    // Half hits (names taken from the corpus), half misses, as in a scan.
    let mut batch: Vec<(String, String)> = Vec::with_capacity(1000);
    for (k, (eco, name)) in lookups.iter().cycle().take(500).enumerate() {
        batch.push((eco.clone(), name.clone()));
        batch.push((eco.clone(), format!("not-in-db-{k}")));
    }
    let hits: usize = batch
        .iter()
        .map(|(e, n)| db.advisories(e, n).unwrap().len())
        .sum();
    eprintln!("batch of {} lookups returns {hits} advisories", batch.len());

    let mut c = Criterion::default().configure_from_args();
    let mut k = 0usize;
    c.bench_function("advisories_one_hit", |bch| {
        bch.iter(|| {
            let (e, n) = &lookups[k % lookups.len()];
            k += 1;
            black_box(db.advisories(e, n).unwrap())
        })
    });
    c.bench_function("advisories_one_miss", |bch| {
        bch.iter(|| black_box(db.advisories("PyPI", "no-such-package").unwrap()))
    });
    c.bench_function("advisories_batch_1000", |bch| {
        bch.iter(|| {
            let mut n = 0;
            for (e, name) in &batch {
                n += db.advisories(e, name).unwrap().len();
            }
            black_box(n)
        })
    });
    c.bench_function("kev_epss_one", |bch| {
        bch.iter(|| {
            (
                black_box(db.kev("CVE-2021-44228").unwrap()),
                black_box(db.epss("CVE-2021-44228").unwrap()),
            )
        })
    });
    // What a scan reads about the database on open: the full `db status` counts (before)
    // against `scan_info` (after).
    c.bench_function("status_full", |bch| {
        bch.iter(|| black_box(db.status().unwrap()))
    });
    c.bench_function("scan_info", |bch| {
        bch.iter(|| black_box(db.scan_info().unwrap()))
    });
    c.final_summary();
}
