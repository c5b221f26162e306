//! Helpers shared by the fuzz targets and the seed generator (`examples/seeds.rs`).

use plimsoll_image::walker::{Interest, Limits, WalkOptions};
use plimsoll_image::{BlobCache, Digest, ImageScan, ImageSource, OpenOptions};
use std::path::Path;
use std::sync::OnceLock;

/// A scratch directory for the whole fuzzing process (files are overwritten per input).
pub fn workdir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        tempfile::Builder::new()
            .prefix("plimsoll-fuzz-")
            .tempdir()
            .expect("temp dir")
    })
    .path()
}

/// Opens `source` as the CLI does (host platform, no registry, no blob cache; spool space
/// in the scratch directory) and, if it opened, walks and merges its layers.
pub fn open_and_scan(source: ImageSource) {
    let opts = OpenOptions {
        cache: BlobCache::new(workdir().join("cache")),
        no_cache: true,
        ..OpenOptions::default()
    };
    let Ok(image) = plimsoll_image::open("fuzz-input", source, &opts) else {
        return;
    };
    let _ = image.labels();
    if let Ok(scan) = plimsoll_image::scan_image(&image, &walk_options()) {
        check_scan(&scan);
        let _ = plimsoll_image::artifact(&image, &scan);
    }
}

/// Separates the parts of a multi-part input (layers of `walk_layer`, documents and blobs of
/// `manifest`). `0xff` never occurs in JSON and rarely in tar headers.
pub const SEP: &[u8] = b"\xffBLOB\xff";

/// Interests like the analyzers register: everything up to 1 MiB, and one exact path.
pub fn interests() -> Vec<Interest> {
    vec![
        Interest {
            pattern: "**/*".into(),
            max_size: 1 << 20,
            magic: None,
            keep: None,
        },
        Interest {
            pattern: "etc/os-release".into(),
            max_size: 64 << 10,
            magic: None,
            keep: None,
        },
    ]
}

/// Production limits, except the uncompressed layer size: a 1 MiB input can inflate to
/// about 1 GiB of gzip output, which only makes runs slow without reaching new code.
pub fn walk_options() -> WalkOptions {
    WalkOptions {
        interests: interests(),
        limits: Limits {
            max_layer_size: 256 << 20,
            ..Limits::default()
        },
        inspectors: Vec::new(),
        progress: None,
    }
}

/// Exercises the merged tree: symlink resolution of fixed paths and of (some of) the
/// paths present, and the captured-file view.
pub fn check_scan(scan: &ImageScan) {
    for p in [
        "etc/os-release",
        "/usr/lib/os-release",
        "a/b/../c",
        "",
        "..",
    ] {
        let _ = scan.tree.resolve(p);
    }
    let paths: Vec<String> = scan
        .tree
        .iter()
        .take(64)
        .map(|(p, _)| p.to_string())
        .collect();
    for p in &paths {
        let _ = scan.tree.resolve(p);
        let _ = scan.tree.resolve(&format!("{p}/x"));
    }
    let _ = scan.final_files().count();
    let _ = scan.layer_errors().count();
}

/// Splits an input at [`SEP`], keeping at most `max` parts (the last takes the rest).
pub fn split(data: &[u8], max: usize) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let mut rest = data;
    while parts.len() + 1 < max {
        match rest.windows(SEP.len()).position(|w| w == SEP) {
            Some(i) => {
                parts.push(&rest[..i]);
                rest = &rest[i + SEP.len()..];
            }
            None => break,
        }
    }
    parts.push(rest);
    parts
}

/// Makes content-addressed parts reachable for a fuzzer that cannot compute sha256: in part
/// `i`, `$D<j>`, `$H<j>` and `$S<j>` (for a later part `j`, one digit) become part `j`'s
/// digest (`sha256:<hex>`), hex and size, after `j`'s own substitutions. Returns the parts
/// with their digests.
pub fn link(parts: &[&[u8]]) -> Vec<(Vec<u8>, Digest)> {
    let mut done: Vec<Option<(Vec<u8>, Digest)>> = vec![None; parts.len()];
    for i in (0..parts.len()).rev() {
        let src = parts[i];
        let mut out = Vec::with_capacity(src.len());
        let mut k = 0;
        while k < src.len() {
            if src[k] == b'$'
                && k + 2 < src.len()
                && matches!(src[k + 1], b'D' | b'H' | b'S')
                && src[k + 2].is_ascii_digit()
            {
                let j = usize::from(src[k + 2] - b'0');
                if j > i
                    && let Some(Some((bytes, d))) = done.get(j)
                {
                    match src[k + 1] {
                        b'D' => out.extend_from_slice(d.to_string().as_bytes()),
                        b'H' => out.extend_from_slice(d.hex().as_bytes()),
                        _ => out.extend_from_slice(bytes.len().to_string().as_bytes()),
                    }
                    k += 3;
                    continue;
                }
            }
            out.push(src[k]);
            k += 1;
        }
        let d = Digest::sha256_of(&out);
        done[i] = Some((out, d));
    }
    done.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_and_link() {
        let data = [&b"{\"d\":\"$D1\",\"s\":$S1}"[..], SEP, b"abc"].concat();
        let parts = split(&data, 10);
        assert_eq!(parts.len(), 2);
        let linked = link(&parts);
        let want = format!("{{\"d\":\"{}\",\"s\":3}}", Digest::sha256_of(b"abc"));
        assert_eq!(linked[0].0, want.as_bytes());
    }
}
