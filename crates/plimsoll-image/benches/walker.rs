//! Layer walker throughput on synthetic layers: a gzip layer of mixed file sizes (the
//! common case: decompress, hash twice, read headers) and a layer of many tiny files (the
//! per-entry cost). `cargo bench -p plimsoll-image --bench walker`. Then a whole image of
//! both layers scanned without the layer cache and from a warm one (`scan_image/*`).
//! Whole-image figures against real images are in `scripts/bench.sh`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use plimsoll_image::walker::{Interest, Limits, Matcher, WalkContext, walk_layer};
use plimsoll_image::{ImageSource, LayerCache, OpenOptions, WalkOptions, scan_image_cached};
use plimsoll_testkit::{Compression, ImageBuilder, LayerBuilder, compress, sha256};
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

    // A whole image: walked (no layer cache), then served from a warm layer cache.
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("img");
    let mut img = ImageBuilder::new();
    for (name, tar) in [("mixed", mixed_layer()), ("tiny", tiny_layer(20_000))] {
        img = img.layer(name, |mut l| {
            let mut a = tar::Archive::new(&tar[..]);
            for e in a.entries().unwrap() {
                let mut e = e.unwrap();
                let path = e.path().unwrap().to_string_lossy().into_owned();
                let mut data = Vec::new();
                std::io::Read::read_to_end(&mut e, &mut data).unwrap();
                l = l.file(&path, data);
            }
            l
        });
    }
    img.write_oci_layout(&layout, None);
    let input = format!("oci:{}", layout.display());
    let image = plimsoll_image::open(
        &input,
        ImageSource::parse(&input).unwrap(),
        &OpenOptions::default(),
    )
    .unwrap();
    let opts = WalkOptions {
        interests: interests.clone(),
        ..WalkOptions::default()
    };
    let cache = LayerCache::new(&dir.path().join("cache"));
    scan_image_cached(&image, &opts, Some(&cache)).unwrap();
    let mut g = c.benchmark_group("scan_image");
    g.sample_size(10);
    g.bench_function("no_layer_cache", |b| {
        b.iter(|| black_box(scan_image_cached(&image, &opts, None).unwrap().tree.len()))
    });
    g.bench_function("warm_layer_cache", |b| {
        b.iter(|| {
            let s = scan_image_cached(&image, &opts, Some(&cache)).unwrap();
            assert!(s.warnings.is_empty());
            black_box(s.tree.len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
