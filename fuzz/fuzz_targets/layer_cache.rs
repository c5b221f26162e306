//! Arbitrary bytes as a layer cache entry (`<cache dir>/layers/<key>`), read back with the
//! production reader. The first byte picks how much of the entry is made valid, so that the
//! fuzzer gets past each check in turn: 0 the raw file; 1 a valid header (magic, format,
//! key) before the rest; 2 a valid header and a valid zstd frame of the stated length around
//! the rest (the postcard metadata and file contents themselves). Whatever it reads must be
//! an error or a walk whose captured files are consistent, never a panic or a huge
//! allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plimsoll_image::Digest;
use plimsoll_image::layer_cache::{LAYER_CACHE_FORMAT, LayerCache, RulesFingerprint};
use std::sync::OnceLock;

struct Fixture {
    _dir: tempfile::TempDir,
    cache: LayerCache,
    key: plimsoll_image::layer_cache::LayerKey,
    interests: usize,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let opts = plimsoll_fuzz::walk_options();
        let digest =
            Digest::parse(&format!("sha256:{}", "ab".repeat(32))).expect("a valid digest");
        let key = LayerCache::key(&RulesFingerprint::new(&opts), Some(&digest), None)
            .expect("a key");
        Fixture {
            cache: LayerCache::new(dir.path()),
            _dir: dir,
            key,
            interests: opts.interests.len(),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut entry = Vec::new();
    if mode % 3 != 0 {
        entry.extend_from_slice(b"PLIMSOLL-LAYER\0\0");
        entry.extend_from_slice(&LAYER_CACHE_FORMAT.to_le_bytes());
        entry.extend_from_slice(&hex32(&f.key.hex()));
    }
    match mode % 3 {
        0 | 1 => entry.extend_from_slice(rest),
        _ => {
            entry.extend_from_slice(&(rest.len() as u64).to_le_bytes());
            entry.extend_from_slice(&zstd::bulk::compress(rest, 1).expect("compress"));
        }
    }
    std::fs::create_dir_all(f.cache.dir()).expect("cache dir");
    std::fs::write(f.cache.path(&f.key), &entry).expect("write entry");
    if let Ok(Some(walk)) = f.cache.load(&f.key, 3, f.interests, 1) {
        assert_eq!(walk.index, 3);
        for c in &walk.captured {
            assert_eq!(c.layer, 3);
            assert!(c.interests.iter().all(|&i| i < f.interests));
        }
    }
});

fn hex32(hex: &str) -> Vec<u8> {
    (0..32)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}
