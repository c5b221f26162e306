//! The streaming layer walker.
//!
//! A layer is a tar stream, gzip- or zstd-compressed or plain. Compression is told by the
//! first bytes (`1f 8b` gzip, `28 b5 2f fd` zstd), not by the media type: registries and
//! archives mislabel layers. Each layer is read exactly once, front to back, and never
//! unpacked to disk; while it streams the walker
//!
//! - verifies the blob digest and size (the caller wraps the blob in a
//!   [`VerifyingReader`](crate::digest::VerifyingReader)) and the uncompressed `diff_id`;
//! - records every entry (path, type, size, mode, link target) with PAX and GNU long names;
//! - records whiteouts: `.wh.NAME` deletes `NAME` from lower layers and `.wh..wh..opq`
//!   makes its directory opaque (lower layers' contents hidden), per the OCI layer spec
//!   <https://github.com/opencontainers/image-spec/blob/main/layer.md#whiteouts>;
//! - hands the contents of files matching the registered [`Interest`]s (bounded in size)
//!   to the caller, so analyzers never need a second pass.
//!
//! Layers are walked in parallel ([`walk_layers`]); [`FileTree::merge`] then applies them
//! in order to give the final filesystem in which each file knows the layer that last wrote
//! it. Paths are normalized to root-relative form without a leading slash. Entries whose
//! path climbs out of the root (`../x`) are dropped with a warning; absolute paths are
//! taken relative to the root, as `docker load` does.
//!
//! Traps handled here: hard links name another entry of the same tar (never a host path);
//! a tar ends with two zero blocks that may be followed by padding, which still counts for
//! the `diff_id`; GNU sparse entries have a logical size far above their stored size, so a
//! "10 GB" sparse file costs nothing unless an analyzer asks for its contents.

mod matcher;
mod tar_stream;
mod tree;

pub use matcher::Matcher;
pub(crate) use tar_stream::TarMetadataBound;
pub use tar_stream::walk_layer;
pub use tree::{FileTree, LayerEntries, Node, ResolveError};

use crate::digest::Digest;
use crate::inspect::{Inspected, Inspector};
use std::sync::atomic::{AtomicU64, Ordering};

/// A path pattern an analyzer wants to see the contents of.
#[derive(Debug, Clone)]
pub struct Interest {
    /// Glob over root-relative paths (`var/lib/dpkg/status`, `**/*.dist-info/METADATA`);
    /// `*` stops at `/`, `**` crosses directories.
    pub pattern: String,
    /// Files larger than this are reported in a warning and not captured.
    pub max_size: u64,
    /// Only files starting with these bytes are wanted (`\x7fELF` for executables): others
    /// are passed over silently, without reading more than the prefix.
    pub magic: Option<&'static [u8]>,
    /// A test on the whole captured contents: files failing it are dropped right away (for
    /// this interest) rather than held until analysis, which would find nothing in them.
    pub keep: Option<Keep>,
}

/// See [`Interest::keep`]. `name` identifies the test and its version in the layer cache's
/// key (change it when the test changes: a cached walk records what the old test kept).
#[derive(Clone, Copy)]
pub struct Keep {
    pub name: &'static str,
    pub test: fn(&[u8]) -> bool,
}

impl std::fmt::Debug for Keep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Keep({})", self.name)
    }
}

/// Limits that keep memory and time bounded on hostile input. Each has a CLI flag.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Uncompressed bytes per layer (`--max-layer-size`).
    pub max_layer_size: u64,
    /// Tar entries per layer (`--max-entries`).
    pub max_entries: u64,
    /// Bytes of captured file contents over the whole image (`--max-capture`).
    pub max_capture_total: u64,
    /// Warnings kept per layer; the rest are counted.
    pub max_warnings: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_layer_size: 64 << 30,
            max_entries: 10_000_000,
            max_capture_total: 1 << 30,
            max_warnings: 100,
        }
    }
}

/// What a walk looks for and how far it may go.
#[derive(Debug, Clone, Default)]
pub struct WalkOptions {
    pub interests: Vec<Interest>,
    pub limits: Limits,
    /// Inspectors that read files as they stream ([`crate::inspect`]).
    pub inspectors: Vec<std::sync::Arc<dyn Inspector>>,
    /// Counters a front end may poll to show progress.
    pub progress: Option<std::sync::Arc<Progress>>,
}

/// Progress of a walk, updated as blobs stream; read it from another thread.
#[derive(Debug, Default)]
pub struct Progress {
    /// Blob bytes read so far, over all layers.
    pub bytes: AtomicU64,
    /// Layers finished.
    pub layers_done: AtomicU64,
}

/// Compression detected from a blob's first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    pub fn sniff(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }
}

/// Type of a filesystem entry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum EntryKind {
    File,
    Dir,
    Symlink(String),
    /// Hard link to another root-relative path of the same layer.
    HardLink(String),
    /// Character or block device, FIFO.
    Special,
}

/// One entry of a layer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    pub path: String,
    pub kind: EntryKind,
    pub size: u64,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
}

/// Contents of a file matching an [`Interest`], as it was in one layer.
#[derive(Debug, Clone)]
pub struct CapturedFile {
    pub layer: usize,
    pub path: String,
    /// Indexes into [`WalkOptions::interests`] of every pattern that matched.
    pub interests: Vec<usize>,
    pub mode: u32,
    pub data: Vec<u8>,
}

/// Everything learned from one layer.
#[derive(Debug, Clone, Default)]
pub struct LayerWalk {
    pub index: usize,
    pub entries: Vec<Entry>,
    /// Paths deleted from lower layers by `.wh.` files.
    pub whiteouts: Vec<String>,
    /// Directories made opaque by `.wh..wh..opq`.
    pub opaque_dirs: Vec<String>,
    pub captured: Vec<CapturedFile>,
    /// What the inspectors found, file by file.
    pub inspected: Vec<Inspected>,
    pub warnings: Vec<String>,
    pub uncompressed_size: u64,
    pub compressed_size: u64,
    pub compression: Option<Compression>,
    /// sha256 of the uncompressed tar, as computed.
    pub diff_id: Option<Digest>,
    /// Set when the layer could not be read to the end; what came before is kept.
    pub error: Option<String>,
    /// A file was skipped because the image-wide capture budget (`--max-capture`) ran out:
    /// what this walk captured depends on the other layers, so it is not cached.
    pub capture_budget_hit: bool,
}

impl LayerWalk {
    /// Forgets everything the layer's tar said: its entries, whiteouts, opaque directories,
    /// captured files and the warnings naming its paths. An image layer that failed
    /// (digest or diff_id mismatch, corrupt or truncated blob) was streamed before it could
    /// be verified, so nothing read from it can be trusted to reach a report; its counts
    /// and its error stay.
    pub fn discard_contents(&mut self) {
        self.entries = Vec::new();
        self.whiteouts = Vec::new();
        self.opaque_dirs = Vec::new();
        self.captured = Vec::new();
        self.inspected = Vec::new();
        self.warnings = Vec::new();
    }
}

/// Shared state of a multi-layer walk.
pub struct WalkContext<'a> {
    pub matcher: &'a Matcher,
    pub limits: &'a Limits,
    pub inspectors: &'a [std::sync::Arc<dyn Inspector>],
    pub progress: Option<&'a Progress>,
    pub(crate) captured_total: AtomicU64,
}

impl<'a> WalkContext<'a> {
    pub fn new(matcher: &'a Matcher, limits: &'a Limits) -> Self {
        WalkContext {
            matcher,
            limits,
            inspectors: &[],
            progress: None,
            captured_total: AtomicU64::new(0),
        }
    }

    /// Counts `bytes` of contents captured elsewhere (a cached walk) against the image-wide
    /// budget; false, counting nothing, when they do not fit.
    pub(crate) fn reserve_capture(&self, bytes: u64) -> bool {
        let before = self.captured_total.fetch_add(bytes, Ordering::Relaxed);
        if before.saturating_add(bytes) > self.limits.max_capture_total {
            self.captured_total.fetch_sub(bytes, Ordering::Relaxed);
            return false;
        }
        true
    }
}

/// Outcome of normalizing a tar path.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum NormPath {
    /// The root itself (`./`): nothing to record.
    Root,
    Ok(String),
    Escapes,
}

/// Normalizes a tar entry name to a root-relative path: drops `.` and empty components,
/// resolves `..` lexically, and reports names that climb above the root.
pub(crate) fn normalize_path(raw: &[u8]) -> NormPath {
    let s = String::from_utf8_lossy(raw);
    let mut parts: Vec<&str> = Vec::new();
    for c in s.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return NormPath::Escapes;
                }
            }
            c => parts.push(c),
        }
    }
    if parts.is_empty() {
        NormPath::Root
    } else {
        NormPath::Ok(parts.join("/"))
    }
}

/// Resolves a link target relative to the link's own directory, within the image root.
/// Absolute targets start at the image root; `..` never climbs above it (the kernel clamps
/// `/..` to `/` too).
pub fn resolve_link(link_path: &str, target: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    if !target.starts_with('/') {
        parts.extend(link_path.split('/'));
        parts.pop();
    }
    for c in target.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::tar_stream::MAX_PATH_LEN;
    use super::*;
    use std::io;

    #[test]
    fn normalizes_paths() {
        assert_eq!(
            normalize_path(b"./etc/passwd"),
            NormPath::Ok("etc/passwd".into())
        );
        assert_eq!(normalize_path(b"/etc//x/"), NormPath::Ok("etc/x".into()));
        assert_eq!(normalize_path(b"a/../b"), NormPath::Ok("b".into()));
        assert_eq!(normalize_path(b"../../etc/shadow"), NormPath::Escapes);
        assert_eq!(normalize_path(b"./"), NormPath::Root);
    }

    #[test]
    fn resolves_links_within_root() {
        assert_eq!(
            resolve_link("usr/bin/python3", "python3.11"),
            "usr/bin/python3.11"
        );
        assert_eq!(
            resolve_link("usr/lib/x", "../../../../etc/passwd"),
            "etc/passwd"
        );
        assert_eq!(resolve_link("a/b", "/etc/os-release"), "etc/os-release");
    }

    fn entry(path: &str, kind: EntryKind) -> Entry {
        Entry {
            path: path.into(),
            kind,
            size: 1,
            mode: 0o644,
            uid: 0,
            gid: 0,
        }
    }

    #[test]
    fn tree_symlink_loops_and_chains() {
        let mut t = FileTree::new();
        t.apply(LayerEntries {
            index: 0,
            entries: vec![
                entry("etc", EntryKind::Dir),
                entry("usr/lib/os-release", EntryKind::File),
                entry(
                    "etc/os-release",
                    EntryKind::Symlink("../usr/lib/os-release".into()),
                ),
                entry("lib", EntryKind::Symlink("usr/lib".into())),
                entry("a", EntryKind::Symlink("b".into())),
                entry("b", EntryKind::Symlink("/a".into())),
            ],
            whiteouts: vec![],
            opaque_dirs: vec![],
        });
        assert_eq!(t.resolve("etc/os-release").unwrap().0, "usr/lib/os-release");
        assert_eq!(
            t.resolve("/lib/os-release").unwrap().0,
            "usr/lib/os-release"
        );
        assert_eq!(t.resolve("a"), Err(ResolveError::Loop("a".into())));
        assert_eq!(t.resolve("nope"), Err(ResolveError::Missing("nope".into())));
    }

    /// A raw tar header block (GNU format) with the given type, name and size.
    fn header(kind: tar::EntryType, name: &[u8], size: u64) -> Vec<u8> {
        let mut h = tar::Header::new_gnu();
        h.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name);
        h.set_entry_type(kind);
        h.set_size(size);
        h.set_mode(0o644);
        h.set_cksum();
        h.as_bytes().to_vec()
    }

    fn padded(data: &[u8]) -> Vec<u8> {
        let mut v = data.to_vec();
        v.resize(data.len().div_ceil(512) * 512, 0);
        v
    }

    fn walk(tar: &[u8]) -> LayerWalk {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        io::Write::write_all(&mut gz, tar).unwrap();
        let blob = gz.finish().unwrap();
        let m = Matcher::new(&[]).unwrap();
        let limits = Limits::default();
        walk_layer(0, &blob[..], None, &WalkContext::new(&m, &limits))
    }

    /// The tar crate reads a GNU long name or PAX header whole into memory: before the
    /// bound, a 255 KiB gzip layer holding a 256 MiB long name made the walk peak at 1.2 GB.
    #[test]
    fn huge_long_name_or_pax_header_is_an_error_not_an_allocation() {
        for kind in [tar::EntryType::GNULongName, tar::EntryType::XHeader] {
            let name = vec![b'a'; 8 << 20];
            let tar = [
                header(tar::EntryType::Regular, b"first", 0),
                header(kind, b"././@LongLink", name.len() as u64),
                padded(&name),
                header(tar::EntryType::Regular, b"x", 0),
                vec![0; 1024],
            ]
            .concat();
            let w = walk(&tar);
            let err = w.error.expect("refused");
            assert!(err.contains("long names or PAX headers"), "{err}");
            assert_eq!(w.entries.len(), 1, "entries before it are kept");
        }
    }

    #[test]
    fn names_over_path_max_are_skipped_and_big_entries_still_pass() {
        let long = vec![b'n'; MAX_PATH_LEN + 1];
        let big = vec![7u8; 3 << 20];
        let tar = [
            // Data skipped by the tar reader must not count against the metadata bound.
            header(tar::EntryType::Regular, b"big", big.len() as u64),
            big,
            header(
                tar::EntryType::GNULongName,
                b"././@LongLink",
                long.len() as u64,
            ),
            padded(&long),
            header(tar::EntryType::Regular, b"x", 0),
            header(tar::EntryType::Regular, b"after", 0),
            vec![0; 1024],
        ]
        .concat();
        let w = walk(&tar);
        assert_eq!(w.error, None);
        let paths: Vec<&str> = w.entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["big", "after"]);
        assert!(
            w.warnings[0].contains("over 4096 bytes"),
            "{:?}",
            w.warnings
        );
    }

    #[test]
    fn gnu_sparse_entry_followed_by_more_entries() {
        // 512 stored bytes at offset 1 MiB of a file of 1 MiB + 512.
        let mut h = tar::Header::new_gnu();
        h.as_gnu_mut().unwrap().name[..6].copy_from_slice(b"sparse");
        h.set_entry_type(tar::EntryType::GNUSparse);
        h.set_size(512);
        h.set_mode(0o644);
        let gnu = h.as_gnu_mut().unwrap();
        gnu.sparse[0].offset = *b"00004000000\0";
        gnu.sparse[0].numbytes = *b"00000001000\0";
        gnu.realsize = *b"00004001000\0";
        h.set_cksum();
        let tar = [
            h.as_bytes().to_vec(),
            vec![1; 512],
            header(tar::EntryType::Regular, b"after", 0),
            vec![0; 1024],
        ]
        .concat();
        let w = walk(&tar);
        assert_eq!(w.error, None);
        assert_eq!(w.entries.len(), 2);
        assert_eq!(w.entries[0].size, (1 << 20) + 512);
    }

    #[test]
    fn file_replacing_directory_hides_children() {
        let mut t = FileTree::new();
        t.apply(LayerEntries {
            index: 0,
            entries: vec![entry("d", EntryKind::Dir), entry("d/x", EntryKind::File)],
            whiteouts: vec![],
            opaque_dirs: vec![],
        });
        t.apply(LayerEntries {
            index: 1,
            entries: vec![entry("d", EntryKind::File)],
            whiteouts: vec![],
            opaque_dirs: vec![],
        });
        assert!(t.get("d/x").is_none());
        assert_eq!(t.get("d").unwrap().layer, 1);
    }
}
