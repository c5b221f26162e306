//! Index, manifest and config JSON, as an OCI layout directory or a docker-archive holds
//! them. The input is parts separated by `plimsoll_fuzz::SEP`; part 0 is the top document
//! and the others are blobs stored under their sha256. `$D<n>`, `$H<n>` and `$S<n>` in a
//! part become part n's digest, hex and size (see `plimsoll_fuzz::link`), so a fuzzer that
//! cannot compute sha256 still reaches manifests, configs and layers. The first byte picks
//! the container:
//!
//! - even: an OCI layout directory, part 0 is `index.json`;
//! - odd: a docker-archive (plain tar), part 0 is `manifest.json`, blobs are members
//!   `blobs/sha256/<hex>` (as Docker 25+ writes them).
#![no_main]

use libfuzzer_sys::fuzz_target;
use plimsoll_image::ImageSource;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let parts = plimsoll_fuzz::split(rest, 10);
    let parts = plimsoll_fuzz::link(&parts);
    let dir = plimsoll_fuzz::workdir();
    if mode % 2 == 0 {
        let layout = dir.join("layout");
        let _ = std::fs::remove_dir_all(&layout);
        let blobs = layout.join("blobs/sha256");
        std::fs::create_dir_all(&blobs).expect("mkdir");
        std::fs::write(
            layout.join("oci-layout"),
            br#"{"imageLayoutVersion":"1.0.0"}"#,
        )
        .expect("write");
        std::fs::write(layout.join("index.json"), &parts[0].0).expect("write");
        for (bytes, digest) in &parts[1..] {
            std::fs::write(blobs.join(digest.hex()), bytes).expect("write");
        }
        for name in [None, Some("latest".to_string())] {
            plimsoll_fuzz::open_and_scan(ImageSource::OciLayout {
                dir: layout.clone(),
                name,
            });
        }
    } else {
        let mut b = tar::Builder::new(Vec::new());
        let mut add = |name: &str, bytes: &[u8]| {
            let mut h = tar::Header::new_gnu();
            h.set_size(bytes.len() as u64);
            h.set_mode(0o644);
            h.set_entry_type(tar::EntryType::Regular);
            b.append_data(&mut h, name, bytes).expect("tar");
        };
        add("manifest.json", &parts[0].0);
        for (bytes, digest) in &parts[1..] {
            add(&format!("blobs/sha256/{}", digest.hex()), bytes);
        }
        let path = dir.join("docker-archive.tar");
        std::fs::write(&path, b.into_inner().expect("tar")).expect("write");
        for name in [None, Some("app:1".to_string())] {
            plimsoll_fuzz::open_and_scan(ImageSource::DockerArchive {
                path: path.clone(),
                name,
            });
        }
    }
});
