//! The layer walker on synthetic images: whiteouts, opaque directories, links, overwrites,
//! compression, long names, and hostile input.

use plimsoll_image::walker::{
    EntryKind, Interest, Keep, Limits, Matcher, WalkContext, WalkOptions, walk_layer,
};
use plimsoll_image::{Digest, ImageScan, ImageSource, OpenOptions, open, scan_image};
use plimsoll_testkit::{Compression, ImageBuilder, LayerBuilder, compress, sha256};

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

fn walk_one(
    blob: &[u8],
    diff_id: Option<&str>,
    opts: &WalkOptions,
) -> plimsoll_image::walker::LayerWalk {
    let matcher = Matcher::new(&opts.interests).unwrap();
    let ctx = WalkContext::new(&matcher, &opts.limits);
    let d = diff_id.map(|d| Digest::parse(d).unwrap());
    walk_layer(0, blob, d.as_ref(), &ctx)
}

fn scan_layout(img: &ImageBuilder, opts: &WalkOptions) -> ImageScan {
    let dir = tempfile::tempdir().unwrap();
    img.write_oci_layout(dir.path(), None);
    let src = ImageSource::parse(dir.path().to_str().unwrap()).unwrap();
    let image = open("test", src, &OpenOptions::default()).unwrap();
    scan_image(&image, opts).unwrap()
}

#[test]
fn whiteouts_opaque_dirs_and_overwrites_give_the_final_view() {
    let img = ImageBuilder::new()
        .layer("ADD rootfs.tar /", |l| {
            l.dir("etc")
                .file("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n")
                .file("etc/motd", "hello")
                .dir("var/cache/apt")
                .file("var/cache/apt/pkgcache.bin", "x".repeat(100))
                .file("var/cache/apt/srcpkgcache.bin", "y")
                .file("usr/bin/tool", "v1")
        })
        .empty_step("ENV LANG=C.UTF-8")
        .layer("RUN rm /etc/motd && rm -rf /var/cache/apt/*", |l| {
            l.whiteout("etc/motd")
                .opaque("var/cache/apt")
                .file("var/cache/apt/new", "n")
        })
        .layer("COPY tool /usr/bin/tool", |l| l.file("usr/bin/tool", "v2"));
    let scan = scan_layout(&img, &WalkOptions::default());
    let t = &scan.tree;
    assert!(t.get("etc/motd").is_none(), "whiteout removes the file");
    assert!(
        t.get("var/cache/apt/pkgcache.bin").is_none(),
        "opaque dir hides lower files"
    );
    assert_eq!(
        t.get("var/cache/apt/new").unwrap().layer,
        1,
        "same-layer file survives"
    );
    assert_eq!(t.get("etc/os-release").unwrap().layer, 0);
    assert_eq!(
        t.get("usr/bin/tool").unwrap().layer,
        2,
        "overwrite moves attribution"
    );
    assert_eq!(t.get("usr/bin/tool").unwrap().size, 2);
    assert_eq!(scan.layers[1].whiteouts, vec!["etc/motd".to_string()]);
    assert_eq!(
        scan.layers[1].opaque_dirs,
        vec!["var/cache/apt".to_string()]
    );
    assert_eq!(
        scan.layers.iter().map(|l| l.files_in_final).sum::<u64>(),
        t.len() as u64
    );
    assert!(scan.layers.iter().all(|l| l.error.is_none()));
}

#[test]
fn whiteout_of_a_directory_removes_its_tree() {
    let img = ImageBuilder::new()
        .layer("base", |l| {
            l.file("usr/share/doc/a/copyright", "a")
                .file("usr/share/doc/b/copyright", "b")
                .file("usr/share/docs-keep", "k")
        })
        .layer("RUN rm -rf /usr/share/doc", |l| l.whiteout("usr/share/doc"));
    let scan = scan_layout(&img, &WalkOptions::default());
    assert!(scan.tree.get("usr/share/doc/a/copyright").is_none());
    assert!(scan.tree.get("usr/share/doc/b/copyright").is_none());
    assert!(
        scan.tree.get("usr/share/docs-keep").is_some(),
        "prefix sibling stays"
    );
}

#[test]
fn captured_files_keep_every_layer_version_and_final_files_pick_the_last() {
    let img = ImageBuilder::new()
        .layer("base", |l| l.file("var/lib/dpkg/status", "Package: a\n"))
        .layer("RUN apt-get install b", |l| {
            l.file("var/lib/dpkg/status", "Package: a\n\nPackage: b\n")
                .file("etc/os-release", "ID=debian\n")
        });
    let opts = WalkOptions {
        interests: interests(&["var/lib/dpkg/status", "etc/os-release"]),
        ..WalkOptions::default()
    };
    let scan = scan_layout(&img, &opts);
    let versions: Vec<(usize, &str)> = scan
        .captured
        .iter()
        .filter(|c| c.path == "var/lib/dpkg/status")
        .map(|c| (c.layer, std::str::from_utf8(&c.data).unwrap()))
        .collect();
    assert_eq!(
        versions,
        vec![(0, "Package: a\n"), (1, "Package: a\n\nPackage: b\n")]
    );
    let finals: Vec<(&str, usize)> = scan
        .final_files()
        .map(|c| (c.path.as_str(), c.layer))
        .collect();
    assert_eq!(finals.len(), 2);
    assert!(finals.contains(&("var/lib/dpkg/status", 1)));
    let os = scan
        .final_files()
        .find(|c| c.path == "etc/os-release")
        .unwrap();
    assert_eq!(os.interests, vec![1]);
}

#[test]
fn links_are_resolved_inside_the_image() {
    let img = ImageBuilder::new().layer("base", |l| {
        l.file("usr/lib/os-release", "ID=alpine\n")
            .symlink("etc/os-release", "../usr/lib/os-release")
            .symlink("etc/passwd", "/../../../../etc/shadow-not-here")
            .file("usr/bin/python3.11", "elf")
            .hardlink("usr/bin/python3", "usr/bin/python3.11")
            .symlink("loop/a", "b")
            .symlink("loop/b", "a")
    });
    let opts = WalkOptions {
        interests: interests(&["usr/bin/python3*"]),
        ..WalkOptions::default()
    };
    let scan = scan_layout(&img, &opts);
    let t = &scan.tree;
    assert_eq!(t.resolve("etc/os-release").unwrap().0, "usr/lib/os-release");
    assert!(
        t.resolve("etc/passwd").is_err(),
        "target outside stays inside and is missing"
    );
    assert_eq!(
        t.get("usr/bin/python3").unwrap().kind,
        EntryKind::HardLink("usr/bin/python3.11".into())
    );
    assert_eq!(
        t.resolve("usr/bin/python3").unwrap().0,
        "usr/bin/python3.11"
    );
    let err = t.resolve("loop/a").unwrap_err().to_string();
    assert!(err.contains("too many levels of symbolic links"), "{err}");
    // The hard link's contents are its target's.
    let py: Vec<&[u8]> = scan
        .captured
        .iter()
        .filter(|c| c.path.starts_with("usr/bin/python3"))
        .map(|c| &c.data[..])
        .collect();
    assert_eq!(py, vec![&b"elf"[..], &b"elf"[..]]);
}

#[test]
fn gzip_zstd_and_plain_layers_are_sniffed_by_content() {
    let layer = LayerBuilder::new().file("a", "1").file("b/c", "2");
    let tar = layer.tar();
    for c in [Compression::None, Compression::Gzip, Compression::Zstd] {
        let blob = compress(&tar, c);
        let w = walk_one(&blob, Some(&sha256(&tar)), &WalkOptions::default());
        assert!(w.error.is_none(), "{c:?}: {:?}", w.error);
        assert_eq!(w.entries.len(), 2, "{c:?}");
        assert_eq!(w.uncompressed_size, tar.len() as u64);
        assert_eq!(w.compressed_size, blob.len() as u64);
        assert_eq!(w.diff_id.unwrap().to_string(), sha256(&tar));
    }
}

#[test]
fn long_names_pax_and_gnu() {
    let long = format!("usr/lib/{}/file.txt", "d".repeat(150));
    let pax_long = format!("opt/{}/METADATA", "p".repeat(200));
    let layer = LayerBuilder::new()
        .file(&long, "gnu")
        .pax_file(&pax_long, "pax");
    let opts = WalkOptions {
        interests: interests(&["**/METADATA"]),
        ..WalkOptions::default()
    };
    let w = walk_one(&layer.tar(), None, &opts);
    let paths: Vec<&str> = w.entries.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, vec![long.as_str(), pax_long.as_str()]);
    assert_eq!(w.captured.len(), 1);
    assert_eq!(w.captured[0].data, b"pax");
}

#[test]
fn hostile_paths_are_dropped_or_normalized_with_warnings() {
    let layer = LayerBuilder::new()
        .raw_file(b"../../etc/evil", "x")
        .raw_file(b"/etc/absolute", "y")
        .raw_file(b"./ok/../fine", "z");
    let w = walk_one(&layer.tar(), None, &WalkOptions::default());
    let paths: Vec<&str> = w.entries.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, vec!["etc/absolute", "fine"]);
    assert!(
        w.warnings
            .iter()
            .any(|m| m.contains("../../etc/evil") && m.contains("climbs out"))
    );
    assert!(
        w.warnings
            .iter()
            .any(|m| m.contains("/etc/absolute") && m.contains("absolute"))
    );
    assert!(w.error.is_none());
}

#[test]
fn diff_id_mismatch_is_an_error_naming_both_digests() {
    let tar = LayerBuilder::new().file("a", "1").tar();
    let wrong = sha256(b"something else");
    let w = walk_one(
        &compress(&tar, Compression::Gzip),
        Some(&wrong),
        &WalkOptions::default(),
    );
    let e = w.error.unwrap();
    assert!(
        e.contains("diff_id mismatch") && e.contains(&wrong) && e.contains(&sha256(&tar)),
        "{e}"
    );
}

#[test]
fn truncated_and_corrupt_layers_keep_what_was_read() {
    let mut layer = LayerBuilder::new();
    for i in 0..200 {
        layer = layer.file(&format!("f/{i:03}"), vec![b'x'; 700]);
    }
    let tar = layer.tar();
    // Truncated plain tar: entries before the cut survive, the error names the last path.
    let w = walk_one(&tar[..tar.len() / 2], None, &WalkOptions::default());
    let e = w.error.clone().unwrap();
    assert!(
        e.contains("corrupt or truncated") && e.contains("after entry f/"),
        "{e}"
    );
    assert!(w.entries.len() > 50 && w.entries.len() < 200);

    // Truncated gzip.
    let gz = compress(&tar, Compression::Gzip);
    let w = walk_one(&gz[..gz.len() - 40], None, &WalkOptions::default());
    assert!(w.error.is_some());

    // Corrupted gzip body.
    let mut bad = gz.clone();
    let mid = bad.len() / 2;
    for b in &mut bad[mid..mid + 16] {
        *b ^= 0x5a;
    }
    let w = walk_one(&bad, None, &WalkOptions::default());
    assert!(w.error.unwrap().contains("corrupt or truncated"));

    // Garbage that is no archive at all.
    let w = walk_one(&[0x42u8; 3000], None, &WalkOptions::default());
    assert!(w.error.is_some());
}

#[test]
fn corrupt_blob_reports_the_digest_mismatch_as_the_cause() {
    let img = ImageBuilder::new().layer("base", |l| {
        let mut l = l;
        for i in 0..100 {
            l = l.file(&format!("f{i}"), format!("content {i}").repeat(50));
        }
        l
    });
    let dir = tempfile::tempdir().unwrap();
    let built = img.write_oci_layout(dir.path(), None);
    let digest = &built.layers[0].digest;
    let p = dir
        .path()
        .join("blobs/sha256")
        .join(digest.trim_start_matches("sha256:"));
    let mut data = std::fs::read(&p).unwrap();
    let mid = data.len() / 2;
    data[mid] ^= 0xff;
    std::fs::write(&p, data).unwrap();
    let src = ImageSource::parse(dir.path().to_str().unwrap()).unwrap();
    let image = open("corrupt", src, &OpenOptions::default()).unwrap();
    let scan = scan_image(&image, &WalkOptions::default()).unwrap();
    let (idx, e) = scan.layer_errors().next().unwrap();
    assert_eq!(idx, 0);
    assert!(e.contains("digest mismatch") && e.contains(digest), "{e}");
    assert!(e.contains("layer 0"), "{e}");
}

#[test]
fn limits_bound_entries_size_and_captures() {
    let mut layer = LayerBuilder::new();
    for i in 0..50 {
        layer = layer.file(&format!("f{i}"), "x");
    }
    let opts = WalkOptions {
        limits: Limits {
            max_entries: 10,
            ..Limits::default()
        },
        ..WalkOptions::default()
    };
    let w = walk_one(&layer.tar(), None, &opts);
    assert!(w.error.unwrap().contains("--max-entries"));
    assert_eq!(w.entries.len(), 10);

    // A large file of zeros: bounded by --max-layer-size, never buffered.
    let big = LayerBuilder::new().zeros("big.img", 8 << 20).tar();
    let gz = compress(&big, Compression::Gzip);
    let opts = WalkOptions {
        limits: Limits {
            max_layer_size: 1 << 20,
            ..Limits::default()
        },
        ..WalkOptions::default()
    };
    let w = walk_one(&gz, None, &opts);
    assert!(w.error.unwrap().contains("--max-layer-size"));

    // A file over the per-interest size limit is skipped with a warning, not read into memory.
    let opts = WalkOptions {
        interests: vec![Interest {
            pattern: "*.img".into(),
            max_size: 1024,
            magic: None,
            keep: None,
        }],
        ..WalkOptions::default()
    };
    let w = walk_one(&gz, None, &opts);
    assert!(w.error.is_none());
    assert!(w.captured.is_empty());
    assert!(
        w.warnings
            .iter()
            .any(|m| m.contains("big.img") && m.contains("1024-byte limit"))
    );

    // Total capture budget across files.
    let layer = LayerBuilder::new()
        .file("a.txt", vec![b'a'; 600])
        .file("b.txt", vec![b'b'; 600]);
    let opts = WalkOptions {
        interests: interests(&["*.txt"]),
        limits: Limits {
            max_capture_total: 1000,
            ..Limits::default()
        },
        inspectors: Vec::new(),
        progress: None,
    };
    let w = walk_one(&layer.tar(), None, &opts);
    assert_eq!(w.captured.len(), 1);
    assert!(w.warnings.iter().any(|m| m.contains("--max-capture")));
}

#[test]
fn warnings_are_bounded() {
    let mut layer = LayerBuilder::new();
    for i in 0..500 {
        layer = layer.raw_file(format!("../x{i}").as_bytes(), "");
    }
    let w = walk_one(&layer.tar(), None, &WalkOptions::default());
    assert_eq!(w.warnings.len(), 101);
    assert!(w.warnings.last().unwrap().contains("400 more warnings"));
}

#[test]
fn a_10_gb_sparse_file_costs_nothing_unless_asked_for_and_then_is_refused() {
    const TEN_GB: u64 = 10 << 30;
    let tar = LayerBuilder::new()
        .file("etc/os-release", "ID=debian\n")
        .sparse("var/log/lastlog", TEN_GB, b"tail")
        .file("after", "still read")
        .tar();
    let gz = compress(&tar, Compression::Gzip);
    assert!(gz.len() < 4096);
    let opts = WalkOptions {
        interests: interests(&["var/log/*"]),
        ..WalkOptions::default()
    };
    let w = walk_one(&gz, Some(&sha256(&tar)), &opts);
    assert!(w.error.is_none(), "{:?}", w.error);
    let sparse = w
        .entries
        .iter()
        .find(|e| e.path == "var/log/lastlog")
        .unwrap();
    assert_eq!(sparse.size, TEN_GB, "the logical size is reported");
    assert!(w.entries.iter().any(|e| e.path == "after"));
    assert!(w.captured.is_empty());
    assert!(
        w.warnings
            .iter()
            .any(|m| m.contains("var/log/lastlog") && m.contains("limit")),
        "{:?}",
        w.warnings
    );
}

#[test]
fn magic_prefix_keeps_only_matching_files() {
    let layer = LayerBuilder::new()
        .file("usr/bin/tool", b"\x7fELF\x02\x01\x01 binary")
        .file("usr/bin/script", "#!/bin/sh\necho hi\n")
        .file("usr/bin/big-text", "x".repeat(5000));
    let opts = WalkOptions {
        interests: vec![Interest {
            pattern: "usr/bin/*".into(),
            max_size: 1024,
            magic: Some(b"\x7fELF"),
            keep: None,
        }],
        ..WalkOptions::default()
    };
    let w = walk_one(&layer.tar(), None, &opts);
    assert!(w.error.is_none());
    let got: Vec<(&str, &[u8])> = w
        .captured
        .iter()
        .map(|c| (c.path.as_str(), &c.data[..]))
        .collect();
    assert_eq!(
        got,
        vec![("usr/bin/tool", &b"\x7fELF\x02\x01\x01 binary"[..])]
    );
    assert!(
        w.warnings.is_empty(),
        "a non-matching file over the size limit is not worth a warning: {:?}",
        w.warnings
    );
    assert_eq!(w.entries.len(), 3);
}

/// A hard link to a file whose first bytes showed it is not wanted (Debian's `uncompress`,
/// a link to the `gunzip` shell script, where executables are looked for) is passed over
/// silently; a hard link to a wanted file skipped for its size still draws the warning.
#[test]
fn hard_links_to_unwanted_files_draw_no_warning() {
    let layer = LayerBuilder::new()
        .file("usr/bin/gunzip", "#!/bin/sh\nexec gzip -d \"$@\"\n")
        .hardlink("usr/bin/uncompress", "usr/bin/gunzip")
        .file("usr/bin/big", format!("\x7fELF{}", "x".repeat(2000)))
        .hardlink("usr/bin/big2", "usr/bin/big")
        .file("usr/bin/tool", "\x7fELF tool")
        .hardlink("usr/bin/tool2", "usr/bin/tool");
    let opts = WalkOptions {
        interests: vec![Interest {
            pattern: "usr/bin/*".into(),
            max_size: 1024,
            magic: Some(b"\x7fELF"),
            keep: None,
        }],
        ..WalkOptions::default()
    };
    let w = walk_one(&layer.tar(), None, &opts);
    assert!(w.error.is_none(), "{:?}", w.error);
    assert!(
        !w.warnings.iter().any(|m| m.contains("uncompress")),
        "{:?}",
        w.warnings
    );
    assert!(
        w.warnings
            .iter()
            .any(|m| m.contains("usr/bin/big2 is a hard link to usr/bin/big")),
        "{:?}",
        w.warnings
    );
    let mut kept: Vec<&str> = w.captured.iter().map(|c| c.path.as_str()).collect();
    kept.sort();
    assert_eq!(kept, ["usr/bin/tool", "usr/bin/tool2"]);
}

#[test]
fn keep_test_drops_refused_files_and_their_hard_links_and_refunds_the_budget() {
    let layer = LayerBuilder::new()
        .file("usr/bin/go-tool", b"\x7fELF go buildinfo here")
        .file("usr/bin/plain", b"\x7fELF nothing")
        .hardlink("usr/bin/plain2", "usr/bin/plain")
        .hardlink("usr/bin/go-tool2", "usr/bin/go-tool")
        .file("etc/conf", b"\x7fELF nothing either");
    let keep = Keep {
        name: "test: mentions go",
        test: |d| d.windows(2).any(|w| w == b"go"),
    };
    let opts = WalkOptions {
        interests: vec![
            Interest {
                pattern: "usr/bin/*".into(),
                max_size: 1024,
                magic: Some(b"\x7fELF"),
                keep: Some(keep),
            },
            // No keep test: this interest takes the file whatever its contents.
            Interest {
                pattern: "etc/*".into(),
                max_size: 1024,
                magic: None,
                keep: None,
            },
        ],
        limits: Limits {
            // Room for the kept files only if refused ones are given back.
            max_capture_total: 23 + 19,
            ..Limits::default()
        },
        ..WalkOptions::default()
    };
    let w = walk_one(&layer.tar(), None, &opts);
    assert!(w.error.is_none());
    let got: Vec<&str> = w.captured.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(got, ["usr/bin/go-tool", "usr/bin/go-tool2", "etc/conf"]);
    assert!(w.warnings.is_empty(), "{:?}", w.warnings);
    assert!(!w.capture_budget_hit);
    assert_eq!(w.entries.len(), 5, "refused files are still entries");
}
