//! The OS package database parsers of plimsoll-catalog on arbitrary bytes: dpkg `status`,
//! distroless `status.d/*` control files and `*.md5sums`, `info/*.list`, and apk's
//! `installed`; then the layer attribution of `Catalog::inventory` over several versions of
//! one database. The first byte picks the mode; the rest is the file. Mode 5: a byte
//! choosing dpkg or apk by parity, then up to four layers' versions separated by
//! `\xffL\xff`, an empty part being a whiteout of the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plimsoll_catalog::apk::Apk;
use plimsoll_catalog::dpkg::Dpkg;
use plimsoll_catalog::{Catalog, Cataloger, Context, Distro};
use plimsoll_image::ImageScan;
use plimsoll_image::walker::{CapturedFile, Entry, EntryKind, LayerWalk, Matcher};

fn check(parsed: Result<plimsoll_catalog::Parsed, String>) {
    let Ok(p) = parsed else {
        return;
    };
    for pkg in &p.packages {
        assert!(!pkg.name.is_empty() && !pkg.version.is_empty());
        assert!(pkg.purl.starts_with("pkg:"), "{}", pkg.purl);
        assert!(pkg.source.is_some());
    }
    for (path, owner) in &p.owned_files {
        assert!(!path.starts_with('/') && !owner.is_empty());
    }
}

fn distro(id: &str, version: &str) -> Context {
    Context {
        distro: Some(Distro {
            id: id.into(),
            version_id: version.into(),
            ..Distro::default()
        }),
        ..Context::default()
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let debian = distro("debian", "12");
    match mode % 6 {
        0 => check(Dpkg.parse("var/lib/dpkg/status", rest, &debian)),
        1 => check(Dpkg.parse("var/lib/dpkg/status.d/libssl3", rest, &Context::default())),
        2 => check(Dpkg.parse("var/lib/dpkg/status.d/libssl3.md5sums", rest, &debian)),
        3 => check(Dpkg.parse("var/lib/dpkg/info/libssl3:amd64.list", rest, &debian)),
        4 => {
            check(Apk.parse("lib/apk/db/installed", rest, &distro("alpine", "3.19.1")));
            check(Apk.parse("lib/apk/db/installed", rest, &distro("wolfi", "")));
        }
        _ => attribution(rest),
    }
});

/// Several layers' versions of one database through `Catalog::inventory`.
fn attribution(data: &[u8]) {
    let Some((&which, data)) = data.split_first() else {
        return;
    };
    let apk = which & 1 == 1;
    let path = if apk {
        "lib/apk/db/installed"
    } else {
        "var/lib/dpkg/status"
    };
    let cat = Catalog::new(vec![Box::new(Dpkg), Box::new(Apk)]);
    let interests = cat.interests();
    let matcher = Matcher::new(&interests).unwrap();
    let parts: Vec<&[u8]> = split(data, b"\xffL\xff").take(4).collect();
    let mut walks = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let mut w = LayerWalk {
            index: i,
            ..LayerWalk::default()
        };
        if part.is_empty() {
            w.whiteouts.push(path.to_string());
        } else {
            w.entries.push(Entry {
                path: path.to_string(),
                kind: EntryKind::File,
                size: part.len() as u64,
                mode: 0o644,
                uid: 0,
                gid: 0,
            });
            w.captured.push(CapturedFile {
                layer: i,
                path: path.to_string(),
                interests: matcher.matches(path),
                mode: 0o644,
                data: part.to_vec(),
            });
        }
        walks.push(w);
    }
    let scan = ImageScan::from_walks(walks);
    let inv = cat.inventory(&scan);
    let written: Vec<usize> = (0..parts.len()).filter(|&i| !parts[i].is_empty()).collect();
    for p in &inv.packages {
        let layer = p.locations[0].layer.unwrap();
        assert!(written.contains(&layer), "layer {layer} never wrote {path}");
        assert!(p.owned_by.is_none());
    }
    if parts.last().is_some_and(|p| p.is_empty()) {
        assert!(
            inv.packages.is_empty(),
            "the final whiteout removes every package"
        );
    }
}

fn split<'a>(data: &'a [u8], sep: &'a [u8]) -> impl Iterator<Item = &'a [u8]> {
    let mut rest = Some(data);
    std::iter::from_fn(move || {
        let r = rest?;
        match r.windows(sep.len()).position(|w| w == sep) {
            Some(i) => {
                rest = Some(&r[i + sep.len()..]);
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}
