//! The per-layer cache: a warm scan reads no layer blob and yields what a cold one does;
//! damaged entries are walked again with a warning; changed layers or rules never hit.

use plimsoll_image::walker::Interest;
use plimsoll_image::{
    ImageScan, ImageSource, LayerCache, OpenOptions, WalkOptions, open, scan_image_cached,
};
use plimsoll_testkit::{Compression, ImageBuilder};
use std::path::Path;

fn interests(patterns: &[&str]) -> Vec<Interest> {
    patterns
        .iter()
        .map(|p| Interest {
            pattern: p.to_string(),
            max_size: 1 << 20,
            magic: None,
            keep: None,
        })
        .collect()
}

fn opts() -> WalkOptions {
    WalkOptions {
        interests: interests(&["var/lib/dpkg/status", "etc/os-release", "**/METADATA"]),
        ..WalkOptions::default()
    }
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

/// Everything of a scan the inventory and the report read, in comparable form.
fn facts(s: &ImageScan) -> String {
    let mut out = String::new();
    for l in &s.layers {
        out += &format!("{l:?}\n");
    }
    for (p, n) in s.tree.iter() {
        out += &format!("{p} {n:?}\n");
    }
    for c in &s.captured {
        out += &format!(
            "{} {} {:?} {} {:?}\n",
            c.layer, c.path, c.interests, c.mode, c.data
        );
    }
    out += &format!("{:?}", s.warnings);
    out
}

fn image() -> ImageBuilder {
    ImageBuilder::new()
        .layer("ADD rootfs /", |l| {
            l.file("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n")
                .file("var/lib/dpkg/status", "Package: a\nVersion: 1\n")
                .file("etc/motd", "hi\n")
                .symlink("usr/bin/python3", "python3.11")
                .raw_file(b"../escape", "x")
        })
        .layer("RUN pip install", |l| {
            l.file(
                "usr/lib/python3/site-packages/x-1.0.dist-info/METADATA",
                "Name: x\nVersion: 1.0\n",
            )
            .whiteout("etc/motd")
            .opaque("opt")
        })
}

fn layer_blobs(layout: &Path) -> Vec<std::path::PathBuf> {
    let img = image().build();
    img.layers
        .iter()
        .map(|b| {
            layout
                .join("blobs/sha256")
                .join(b.digest.trim_start_matches("sha256:"))
        })
        .collect()
}

fn entries(cache: &LayerCache) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(cache.dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

#[test]
fn warm_scan_reads_no_blob_and_matches_the_cold_scan() {
    let tmp = tempfile::tempdir().unwrap();
    let layout = tmp.path().join("img");
    image().write_oci_layout(&layout, None);
    let cache = LayerCache::new(&tmp.path().join("cache"));
    let o = opts();

    let uncached = scan(&layout, &o, None);
    assert!(!cache.dir().exists(), "no cache given, nothing written");
    let cold = scan(&layout, &o, Some(&cache));
    assert_eq!(entries(&cache).len(), 2, "one entry per layer");
    assert_eq!(facts(&cold), facts(&uncached));
    assert!(
        cold.warnings.iter().any(|w| w.starts_with("layer 0: ")),
        "the walk's own warnings are kept: {:?}",
        cold.warnings
    );

    // The blobs are gone: a warm scan must not need them.
    for b in layer_blobs(&layout) {
        std::fs::remove_file(b).unwrap();
    }
    let warm = scan(&layout, &o, Some(&cache));
    assert_eq!(facts(&warm), facts(&cold));
    assert!(warm.layer_errors().next().is_none());

    // Without the cache the missing blobs are errors, as they should be.
    let bare = scan(&layout, &o, None);
    assert_eq!(bare.layer_errors().count(), 2);
}

#[test]
fn damaged_entries_are_walked_again_with_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let layout = tmp.path().join("img");
    image().write_oci_layout(&layout, None);
    let cache = LayerCache::new(&tmp.path().join("cache"));
    let o = opts();
    let cold = scan(&layout, &o, Some(&cache));
    let files = entries(&cache);
    let good: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();

    type Damage = (&'static str, fn(&mut Vec<u8>));
    let damage: [Damage; 5] = [
        ("truncated", |b| b.truncate(b.len() / 2)),
        ("checksum cut off", |b| b.truncate(b.len() - 2)),
        ("byte flipped in the frame", |b| {
            let i = b.len() - 8;
            b[i] ^= 0x55
        }),
        ("length in the header", |b| b[52] ^= 0x01),
        ("empty", |b| b.clear()),
    ];
    for (what, f) in damage {
        for (path, bytes) in files.iter().zip(&good) {
            let mut b = bytes.clone();
            f(&mut b);
            std::fs::write(path, b).unwrap();
        }
        let s = scan(&layout, &o, Some(&cache));
        let notes: Vec<&String> = s
            .warnings
            .iter()
            .filter(|w| w.contains("layer cache entry"))
            .collect();
        assert_eq!(notes.len(), 2, "{what}: {:?}", s.warnings);
        assert!(notes[0].contains("read again"), "{what}: {}", notes[0]);
        let mut expected = cold.warnings.clone();
        expected.extend(notes.iter().map(|s| s.to_string()));
        assert_eq!(s.warnings, expected, "{what}");
        assert_eq!(facts_without_warnings(&s), facts_without_warnings(&cold));
        // The entries were rewritten: the next scan uses them silently.
        let again = scan(&layout, &o, Some(&cache));
        assert_eq!(facts(&again), facts(&cold), "{what}");
    }
}

fn facts_without_warnings(s: &ImageScan) -> String {
    let f = facts(s);
    f[..f.rfind('[').unwrap()].to_string()
}

#[test]
fn changed_layers_and_changed_rules_do_not_hit() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = LayerCache::new(&tmp.path().join("cache"));
    let o = opts();
    let one = tmp.path().join("one");
    image().write_oci_layout(&one, None);
    scan(&layout_ok(&one), &o, Some(&cache));
    assert_eq!(entries(&cache).len(), 2);

    // The same image with one byte changed in the first layer: its entry is not served.
    let two = tmp.path().join("two");
    ImageBuilder::new()
        .layer("ADD rootfs /", |l| {
            l.file("etc/os-release", "ID=debian\nVERSION_ID=\"13\"\n")
                .file("var/lib/dpkg/status", "Package: a\nVersion: 1\n")
                .file("etc/motd", "hi\n")
                .symlink("usr/bin/python3", "python3.11")
                .raw_file(b"../escape", "x")
        })
        .layer("RUN pip install", |l| {
            l.file(
                "usr/lib/python3/site-packages/x-1.0.dist-info/METADATA",
                "Name: x\nVersion: 1.0\n",
            )
            .whiteout("etc/motd")
            .opaque("opt")
        })
        .write_oci_layout(&two, None);
    let s = scan(&two, &o, Some(&cache));
    let os = s
        .captured
        .iter()
        .find(|c| c.path == "etc/os-release")
        .unwrap();
    assert!(String::from_utf8_lossy(&os.data).contains("\"13\""));
    assert_eq!(
        entries(&cache).len(),
        3,
        "the unchanged top layer is shared"
    );

    // Other capture rules (another cataloger set): no hit, a walk with the new rules.
    let mut other = opts();
    other.interests.pop();
    let s = scan(&one, &other, Some(&cache));
    assert!(s.captured.iter().all(|c| !c.path.ends_with("METADATA")));
    assert_eq!(entries(&cache).len(), 5);

    // The same layers compressed differently (other blob digests, same diff_ids): walked,
    // not served from the gzip layout's entries.
    let three = tmp.path().join("three");
    image()
        .compression(Compression::Zstd)
        .write_oci_layout(&three, None);
    let s = scan(&three, &o, Some(&cache));
    assert!(s.layers.iter().all(|l| l.compression == Some("zstd")));
    assert_eq!(entries(&cache).len(), 7);
}

fn layout_ok(p: &Path) -> std::path::PathBuf {
    assert!(p.join("oci-layout").is_file());
    p.to_path_buf()
}

#[test]
fn a_layer_that_failed_is_not_cached() {
    let tmp = tempfile::tempdir().unwrap();
    let layout = tmp.path().join("img");
    image().write_oci_layout(&layout, None);
    let blobs = layer_blobs(&layout);
    let mut b = std::fs::read(&blobs[1]).unwrap();
    let n = b.len();
    b[n / 2] ^= 0xff;
    std::fs::write(&blobs[1], b).unwrap();
    let cache = LayerCache::new(&tmp.path().join("cache"));
    let s = scan(&layout, &opts(), Some(&cache));
    assert_eq!(s.layer_errors().count(), 1);
    assert_eq!(entries(&cache).len(), 1, "only the good layer is stored");
    let s = scan(&layout, &opts(), Some(&cache));
    assert_eq!(s.layer_errors().count(), 1, "and the bad one fails again");
}
