//! Streaming inspectors: they read every file they want while its layer streams (files a
//! later layer deletes too), keep only their hits, and the layer cache keeps the hits under
//! a key that holds the inspectors' rules.

use plimsoll_image::inspect::{Candidate, Hit, Inspector};
use plimsoll_image::walker::Interest;
use plimsoll_image::{
    ImageScan, ImageSource, LayerCache, OpenOptions, WalkOptions, open, scan_dir, scan_image_cached,
};
use plimsoll_testkit::ImageBuilder;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Finds lines containing `needle` in `*.conf` files, reading 7 bytes at a time (so that a
/// line crosses reads), and counts the files it read.
#[derive(Debug)]
struct Needle {
    needle: &'static str,
    read: AtomicUsize,
}

impl Inspector for Needle {
    fn fingerprint(&self) -> String {
        format!("needle:{}", self.needle)
    }
    fn wants(&self, file: &Candidate<'_>) -> bool {
        file.path.ends_with(".conf")
    }
    fn inspect(&self, _path: &str, data: &mut dyn Read) -> std::io::Result<Vec<Hit>> {
        self.read.fetch_add(1, Ordering::Relaxed);
        let mut all = Vec::new();
        let mut buf = [0u8; 7];
        loop {
            let n = data.read(&mut buf)?;
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buf[..n]);
        }
        Ok(String::from_utf8_lossy(&all)
            .lines()
            .enumerate()
            .filter(|(_, l)| l.contains(self.needle))
            .map(|(i, _)| Hit {
                rule: "needle".into(),
                line: i as u64 + 1,
                detail: format!("{}****", &self.needle[..2]),
            })
            .collect())
    }
}

fn needle(n: &'static str) -> Arc<Needle> {
    Arc::new(Needle {
        needle: n,
        read: AtomicUsize::new(0),
    })
}

fn image() -> ImageBuilder {
    ImageBuilder::new()
        .layer("ADD rootfs /", |l| {
            l.file("etc/app.conf", "a=1\nkey=HUNTER2\n")
                .file("etc/os-release", "ID=debian\nHUNTER2\n")
        })
        .layer("RUN setup", |l| {
            l.file("opt/setup.conf", "x\ny\nz HUNTER2\n")
                .file("opt/readme.txt", "HUNTER2")
        })
        .layer("RUN rm /opt/setup.conf", |l| l.whiteout("opt/setup.conf"))
}

fn scan(layout: &Path, opts: &WalkOptions, cache: Option<&LayerCache>) -> ImageScan {
    let input = format!("oci:{}", layout.display());
    let img = open(
        &input,
        ImageSource::parse(&input).unwrap(),
        &OpenOptions::default(),
    )
    .unwrap();
    scan_image_cached(&img, opts, cache).unwrap()
}

fn hits(s: &ImageScan) -> Vec<(usize, String, u64)> {
    s.inspected
        .iter()
        .flat_map(|i| i.hits.iter().map(|h| (i.layer, i.path.clone(), h.line)))
        .collect()
}

#[test]
fn inspectors_read_every_wanted_file_of_every_layer_once_and_deleted_ones_too() {
    let dir = tempfile::tempdir().unwrap();
    image().write_oci_layout(dir.path(), None);
    let n = needle("HUNTER2");
    let opts = WalkOptions {
        // os-release is captured by an interest and inspected from the captured bytes; it
        // is not a .conf, so the inspector does not want it.
        interests: vec![Interest {
            pattern: "etc/os-release".into(),
            max_size: 1 << 20,
            magic: None,
            keep: None,
        }],
        inspectors: vec![n.clone()],
        ..WalkOptions::default()
    };
    let s = scan(dir.path(), &opts, None);
    assert_eq!(
        hits(&s),
        [
            (0, "etc/app.conf".into(), 2),
            (1, "opt/setup.conf".into(), 3)
        ]
    );
    assert_eq!(n.read.load(Ordering::Relaxed), 2);
    // The deleted file is gone from the tree, and the view says which layer removed it.
    let v = s.view();
    assert!(s.tree.get("opt/setup.conf").is_none());
    assert_eq!(v.removed_after("opt/setup.conf", 1), Some(2));
    assert_eq!(v.removed_after("etc/app.conf", 0), None);
    assert_eq!(s.captured.len(), 1, "inspection captures nothing");
}

#[test]
fn cached_walks_keep_the_hits_and_other_rules_miss() {
    let dir = tempfile::tempdir().unwrap();
    let cache_dir = tempfile::tempdir().unwrap();
    image().write_oci_layout(dir.path(), None);
    let cache = LayerCache::new(cache_dir.path());
    let n = needle("HUNTER2");
    let opts = WalkOptions {
        inspectors: vec![n.clone()],
        ..WalkOptions::default()
    };
    let cold = scan(dir.path(), &opts, Some(&cache));
    assert_eq!(n.read.load(Ordering::Relaxed), 2);
    let warm = scan(dir.path(), &opts, Some(&cache));
    assert_eq!(
        n.read.load(Ordering::Relaxed),
        2,
        "a warm scan reads no file"
    );
    assert_eq!(hits(&cold), hits(&warm));

    // Other rules: the cache misses and the layers are read again.
    let other = needle("a=1");
    let opts = WalkOptions {
        inspectors: vec![other.clone()],
        ..WalkOptions::default()
    };
    let s = scan(dir.path(), &opts, Some(&cache));
    assert_eq!(other.read.load(Ordering::Relaxed), 2);
    assert_eq!(hits(&s), [(0, "etc/app.conf".into(), 1)]);
}

#[test]
fn a_directory_is_inspected_like_a_layer() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("etc")).unwrap();
    std::fs::write(dir.path().join("etc/app.conf"), "one\nHUNTER2\n").unwrap();
    std::fs::write(dir.path().join("etc/other.txt"), "HUNTER2\n").unwrap();
    let opts = WalkOptions {
        inspectors: vec![needle("HUNTER2")],
        ..WalkOptions::default()
    };
    let s = scan_dir(dir.path(), &opts).unwrap();
    assert_eq!(hits(&s), [(0, "etc/app.conf".into(), 2)]);
}

/// Counts every byte of `*.bin` files and where the last marker is: to tell a file read
/// whole from one cut short.
#[derive(Debug)]
struct Counter(&'static str);

impl Inspector for Counter {
    fn fingerprint(&self) -> String {
        format!("counter:{}", self.0)
    }
    fn wants(&self, file: &Candidate<'_>) -> bool {
        file.path.ends_with(".bin")
    }
    fn inspect(&self, _path: &str, data: &mut dyn Read) -> std::io::Result<Vec<Hit>> {
        let mut buf = vec![0u8; 100_003];
        let (mut total, mut sum) = (0u64, 0u64);
        loop {
            let n = data.read(&mut buf)?;
            if n == 0 {
                break;
            }
            total += n as u64;
            sum = buf[..n]
                .iter()
                .fold(sum, |s, b| s.wrapping_mul(31).wrapping_add(u64::from(*b)));
        }
        Ok(vec![Hit {
            rule: self.0.into(),
            line: total,
            detail: sum.to_string(),
        }])
    }
}

#[test]
fn a_large_file_several_inspectors_want_is_streamed_to_each_whole() {
    let dir = tempfile::tempdir().unwrap();
    let size = plimsoll_image::inspect::MAX_SHARED_INSPECTION as usize + 3_000_017;
    let data: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
    ImageBuilder::new()
        .layer("COPY big /", |l| {
            l.file("opt/big.bin", &data).file("opt/small.bin", b"abc")
        })
        .write_oci_layout(dir.path(), None);
    let opts = WalkOptions {
        inspectors: vec![
            Arc::new(Counter("a")),
            Arc::new(Counter("b")),
            Arc::new(Counter("c")),
        ],
        ..WalkOptions::default()
    };
    let s = scan(dir.path(), &opts, None);
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    let big: Vec<&Hit> = s
        .inspected
        .iter()
        .filter(|i| i.path == "opt/big.bin")
        .flat_map(|i| &i.hits)
        .collect();
    assert_eq!(big.len(), 3, "{big:?}");
    assert!(
        big.iter()
            .all(|h| h.line == size as u64 && h.detail == big[0].detail)
    );
    let mut rules: Vec<&str> = big.iter().map(|h| h.rule.as_str()).collect();
    rules.sort();
    assert_eq!(rules, ["a", "b", "c"]);
}
