//! Arbitrary bytes as an image archive file (`docker save` output, possibly gzipped, or an
//! oci-archive): indexed, sniffed, opened both ways and, when that succeeds, scanned.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plimsoll_image::ImageSource;
use plimsoll_image::archive::{ArchiveIndex, sniff};

fuzz_target!(|data: &[u8]| {
    let dir = plimsoll_fuzz::workdir();
    let path = dir.join("input.tar");
    std::fs::write(&path, data).expect("write input");
    if let Ok(idx) = ArchiveIndex::open(&path, &dir.join("spool")) {
        for name in ["manifest.json", "index.json", "oci-layout", "repositories"] {
            if idx.contains(name) {
                let _ = idx.read_member(name, 1 << 20);
            }
        }
    }
    let _ = sniff(&path, None);
    plimsoll_fuzz::open_and_scan(ImageSource::DockerArchive {
        path: path.clone(),
        name: None,
    });
    plimsoll_fuzz::open_and_scan(ImageSource::OciArchive { path, name: None });
});
