//! OSV evaluation and version comparison cost, the inner loop of matching: one `evaluate`
//! per (installed package, candidate advisory entry). `cargo bench -p plimsoll-version`.

use criterion::{Criterion, criterion_group, criterion_main};
use plimsoll_version::osv::{Range, evaluate};
use plimsoll_version::{Scheme, compare};
use std::hint::black_box;

fn ranges(json: &str) -> Vec<Range> {
    serde_json::from_str(json).expect("bench fixture")
}

fn bench(c: &mut Criterion) {
    // GHSA-jfh8-c2jp-5v3q, log4j-core: three Maven ranges.
    let log4j = ranges(
        r#"[
        {"type": "ECOSYSTEM", "events": [{"introduced": "2.13.0"}, {"fixed": "2.15.0"}]},
        {"type": "ECOSYSTEM", "events": [{"introduced": "2.0-beta9"}, {"fixed": "2.3.1"}]},
        {"type": "ECOSYSTEM", "events": [{"introduced": "2.4"}, {"fixed": "2.12.2"}]}]"#,
    );
    c.bench_function("evaluate maven 3 ranges", |b| {
        b.iter(|| evaluate(Scheme::Maven, black_box("2.14.1"), &log4j, &[]))
    });

    // A Debian record: one range.
    let deb = ranges(
        r#"[{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.36-9+deb12u3"}]}]"#,
    );
    c.bench_function("evaluate dpkg 1 range", |b| {
        b.iter(|| evaluate(Scheme::Dpkg, black_box("2.36-9+deb12u2"), &deb, &[]))
    });

    // An Ubuntu-style record: a range plus a 300-entry versions list, version not listed.
    let listed: Vec<String> = (0..300)
        .map(|i| format!("1.{i}-0ubuntu{}", i % 7))
        .collect();
    c.bench_function("evaluate dpkg 1 range + 300 versions", |b| {
        b.iter(|| evaluate(Scheme::Dpkg, black_box("2.0-1ubuntu1"), &deb, &listed))
    });

    // The same, with the installed version past the fix: the list is scanned under dpkg
    // equality (every entry parsed), the slow path.
    c.bench_function("evaluate dpkg 1 range + 300 versions, not affected", |b| {
        b.iter(|| evaluate(Scheme::Dpkg, black_box("3.0-1"), &deb, &listed))
    });

    c.bench_function("compare rpm", |b| {
        b.iter(|| {
            compare(
                Scheme::Rpm,
                black_box("1:2.36-9.el9_4.2"),
                black_box("1:2.36-10.el9"),
            )
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
