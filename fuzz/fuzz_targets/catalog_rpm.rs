//! The rpm database readers of plimsoll-catalog on arbitrary bytes. The first byte picks
//! the entry point; the rest is the file:
//! 0: Berkeley DB hash reader (`rpm::bdb::read`), then each value as a header;
//! 1: ndb reader (`rpm::ndb::read`), then each blob as a header;
//! 2: one header blob (`rpm::header::Header`): every accessor and the file list;
//! 3: the whole cataloger (format told by magic: SQLite, Berkeley DB or ndb).
#![no_main]

use libfuzzer_sys::fuzz_target;
use plimsoll_catalog::rpm::{RpmCataloger, bdb, header, ndb};
use plimsoll_catalog::{Cataloger, Context, Distro};

fn header(blob: &[u8]) {
    let Ok(h) = header::Header::parse(blob) else {
        return;
    };
    for tag in [
        header::NAME,
        header::VERSION,
        header::RELEASE,
        header::ARCH,
        header::LICENSE,
        header::SOURCERPM,
        header::MODULARITYLABEL,
    ] {
        let _ = h.string(tag);
        let _ = h.string_array(tag);
    }
    let _ = h.int32(header::EPOCH);
    let _ = h.int32_array(header::DIRINDEXES);
    if let Ok(files) = h.files() {
        assert!(files.iter().all(|f| !f.starts_with('/')));
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 4 {
        0 => {
            if let Ok(kv) = bdb::read(rest) {
                let total: usize = kv.iter().map(|(k, v)| k.len() + v.len()).sum();
                assert!(total <= rest.len(), "{total} bytes out of {}", rest.len());
                for (_, v) in &kv {
                    header(v);
                }
            }
        }
        1 => {
            if let Ok(blobs) = ndb::read(rest) {
                for (_, b) in blobs {
                    header(b);
                }
            }
        }
        2 => header(rest),
        _ => {
            let ctx = Context {
                distro: Some(Distro {
                    id: "rocky".into(),
                    version_id: "9.3".into(),
                    ..Distro::default()
                }),
                ..Context::default()
            };
            if let Ok(p) = RpmCataloger.parse("var/lib/rpm/Packages", rest, &ctx) {
                for pkg in &p.packages {
                    assert!(!pkg.name.is_empty());
                    assert!(pkg.purl.starts_with("pkg:"), "{}", pkg.purl);
                }
                for (path, owner) in &p.owned_files {
                    assert!(!path.starts_with('/') && !owner.is_empty());
                }
            }
        }
    }
});
