//! Layer walker throughput on synthetic layers: a gzip layer of mixed file sizes (the
//! common case: decompress, hash twice, read headers) and a layer of many tiny files (the
//! per-entry cost). `cargo bench -p plimsoll-image --bench walker`.
//! Whole-image figures against real images are in `scripts/bench.sh`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use plimsoll_image::walker::{Interest, Limits, Matcher, WalkContext, walk_layer};
use plimsoll_testkit::{Compression, LayerBuilder, compress, sha256};
use std::hint::black_box;

fn mixed_layer() -> Vec<u8> {
    let mut l = LayerBuilder::new();
    let mut seed = 1u64;
    for i in 0..2000 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let size = (seed >> 48) as usize % 16384;
        // Text-like content compresses like real files do (not like zeros or noise).
        let data: Vec<u8> = (0..size)
            .map(|j| b"abcdefghij klmnop\n"[(j * 7 + i) % 18])
            .collect();
        l = l.file(&format!("usr/lib/pkg{}/file{i}.py", i % 40), data);
    }
    l.tar()
}

fn tiny_layer(n: usize) -> Vec<u8> {
    let mut l = LayerBuilder::new();
    for i in 0..n {
        l = l.file(&format!("data/{}/{i}.txt", i % 100), b"x");
    }
    l.tar()
}

fn bench(c: &mut Criterion) {
    let interests = vec![Interest {
        pattern: "**/*.dist-info/METADATA".into(),
        max_size: 1 << 20,
        magic: None,
        keep: None,
    }];
    let matcher = Matcher::new(&interests).unwrap();
    let limits = Limits::default();
    let mut g = c.benchmark_group("walk_layer");
    g.sample_size(10);
    for (name, tar) in [
        ("mixed_2000_files", mixed_layer()),
        ("tiny_20000_files", tiny_layer(20_000)),
    ] {
        let diff_id = plimsoll_image::Digest::parse(&sha256(&tar)).unwrap();
        g.throughput(Throughput::Bytes(tar.len() as u64));
        for comp in [Compression::Gzip, Compression::Zstd, Compression::None] {
            let blob = compress(&tar, comp);
            g.bench_function(format!("{name}/{comp:?}"), |b| {
                b.iter(|| {
                    let ctx = WalkContext::new(&matcher, &limits);
                    let w = walk_layer(0, &blob[..], Some(&diff_id), &ctx);
                    assert!(w.error.is_none());
                    black_box(w.entries.len())
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
