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

use crate::digest::{Digest, Hasher, verify_error};
use crate::inspect::{Inspected, Inspector};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use std::collections::{BTreeMap, HashMap};
use std::io::{self, BufRead, BufReader, Read};
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

/// A file of a layer that was not captured because of its contents: its first bytes (as
/// far as the magic tests read) and the keep tests that refused it.
struct Dropped {
    head: Vec<u8>,
    refused: Vec<&'static str>,
}

/// Compiled interests, shared by the layers of one walk.
pub struct Matcher {
    set: GlobSet,
    max_sizes: Vec<u64>,
    magics: Vec<Option<&'static [u8]>>,
    keeps: Vec<Option<Keep>>,
}

impl Matcher {
    pub fn new(interests: &[Interest]) -> Result<Matcher, String> {
        let mut b = GlobSetBuilder::new();
        for i in interests {
            let g = GlobBuilder::new(i.pattern.trim_start_matches('/'))
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .map_err(|e| format!("bad interest pattern {:?}: {e}", i.pattern))?;
            b.add(g);
        }
        Ok(Matcher {
            set: b.build().map_err(|e| e.to_string())?,
            max_sizes: interests.iter().map(|i| i.max_size).collect(),
            magics: interests.iter().map(|i| i.magic).collect(),
            keeps: interests.iter().map(|i| i.keep).collect(),
        })
    }

    pub fn matches(&self, path: &str) -> Vec<usize> {
        if self.max_sizes.is_empty() {
            return Vec::new();
        }
        self.set.matches(path)
    }

    /// Longest magic prefix to read before deciding, or 0 when some interest takes any file.
    fn magic_len(&self, idx: &[usize]) -> usize {
        if idx.iter().any(|&i| self.magics[i].is_none()) {
            return 0;
        }
        idx.iter()
            .filter_map(|&i| self.magics[i].map(<[u8]>::len))
            .max()
            .unwrap_or(0)
    }

    /// Keeps the interests whose magic (if any) `head` starts with.
    fn filter_magic(&self, idx: Vec<usize>, head: &[u8]) -> Vec<usize> {
        idx.into_iter()
            .filter(|&i| self.magics[i].is_none_or(|m| head.starts_with(m)))
            .collect()
    }

    /// Splits the interests into those that keep `data` and the names of the keep tests
    /// that refused it (each test runs once per file).
    fn filter_keep(&self, idx: Vec<usize>, data: &[u8]) -> (Vec<usize>, Vec<&'static str>) {
        let mut results: Vec<(&'static str, bool)> = Vec::new();
        let mut kept = Vec::new();
        for i in idx {
            let Some(k) = self.keeps[i] else {
                kept.push(i);
                continue;
            };
            let ok = match results.iter().find(|(n, _)| *n == k.name) {
                Some(&(_, r)) => r,
                None => {
                    let r = (k.test)(data);
                    results.push((k.name, r));
                    r
                }
            };
            if ok {
                kept.push(i);
            }
        }
        let refused = results.into_iter().filter(|r| !r.1).map(|r| r.0).collect();
        (kept, refused)
    }

    /// Whether a file dropped for its contents would be dropped for every interest in
    /// `idx` too (a hard link to it has the same bytes): each has a magic its first bytes
    /// fail, or a keep test that refused it.
    fn refuses(&self, idx: &[usize], d: &Dropped) -> bool {
        idx.iter().all(|&i| {
            self.magics[i].is_some_and(|m| d.head.len() >= m.len() && !d.head.starts_with(m))
                || self.keeps[i].is_some_and(|k| d.refused.contains(&k.name))
        })
    }

    fn max_size(&self, idx: &[usize]) -> u64 {
        idx.iter().map(|&i| self.max_sizes[i]).max().unwrap_or(0)
    }
}

/// Shared state of a multi-layer walk.
pub struct WalkContext<'a> {
    pub matcher: &'a Matcher,
    pub limits: &'a Limits,
    pub inspectors: &'a [std::sync::Arc<dyn Inspector>],
    pub progress: Option<&'a Progress>,
    captured_total: AtomicU64,
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

struct Warnings<'a> {
    list: &'a mut Vec<String>,
    max: usize,
    dropped: usize,
}

impl Warnings<'_> {
    fn push(&mut self, w: String) {
        if self.list.len() < self.max {
            self.list.push(w);
        } else {
            self.dropped += 1;
        }
    }
}

/// Reader that hashes and counts what passes, refusing to go past a size limit.
struct DiffIdReader<R> {
    inner: R,
    hasher: Hasher,
    count: u64,
    limit: u64,
}

impl<R: Read> Read for DiffIdReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        if self.count > self.limit {
            return Err(io::Error::other(LimitExceeded));
        }
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

#[derive(Debug)]
struct LimitExceeded;
impl std::fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("uncompressed layer size limit exceeded")
    }
}
impl std::error::Error for LimitExceeded {}

/// Walks one layer blob. `blob` should already verify its digest (a `VerifyingReader`);
/// `diff_id`, when known, is checked against the uncompressed stream. Never fails: errors
/// end up in [`LayerWalk::error`] with what was read before them.
pub fn walk_layer(
    index: usize,
    blob: impl Read,
    diff_id: Option<&Digest>,
    ctx: &WalkContext<'_>,
) -> LayerWalk {
    let mut out = LayerWalk {
        index,
        ..LayerWalk::default()
    };
    let mut counted = CountingReader {
        inner: blob,
        count: 0,
        progress: ctx.progress,
    };
    let mut buffered = BufReader::with_capacity(256 * 1024, &mut counted);
    let head = match buffered.fill_buf() {
        Ok(h) => h.to_vec(),
        Err(e) => {
            out.error = Some(describe_io(&e, "reading layer"));
            return out;
        }
    };
    let compression = Compression::sniff(&head);
    out.compression = Some(compression);

    let result = {
        let decoder: Box<dyn Read + '_> = match compression {
            Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(&mut buffered)),
            Compression::Zstd => match zstd::stream::read::Decoder::with_buffer(&mut buffered) {
                Ok(d) => Box::new(d),
                Err(e) => {
                    out.error = Some(format!("zstd: {e}"));
                    return out;
                }
            },
            Compression::None => Box::new(&mut buffered),
        };
        // The tar reader asks for 512 bytes at a time; buffering here makes the decoder,
        // its CRC and the diff_id hasher work on large chunks (their per-call cost made a
        // layer of a million tiny files 3x slower than plain decompression).
        let mut tar_stream = BufReader::with_capacity(
            256 * 1024,
            DiffIdReader {
                inner: decoder,
                hasher: Hasher::new(
                    diff_id.map_or(crate::digest::Algorithm::Sha256, |d| d.algorithm()),
                ),
                count: 0,
                limit: ctx.limits.max_layer_size,
            },
        );
        let r = read_tar(&mut tar_stream, ctx, &mut out);
        // Trailing padding after the end-of-archive blocks still belongs to the diff_id.
        let r = r.and_then(|()| {
            io::copy(&mut tar_stream, &mut io::sink())
                .map(|_| ())
                .map_err(|e| TarError::Io(e, None))
        });
        let tar_stream = tar_stream.into_inner();
        out.uncompressed_size = tar_stream.count;
        match r {
            Ok(()) => Ok(tar_stream.hasher.finish()),
            Err(e) => Err(e),
        }
    };

    match result {
        Ok(actual) => {
            // Drain what the decompressor did not need, so the blob digest is checked.
            if let Err(e) = io::copy(&mut buffered, &mut io::sink()) {
                out.error = Some(describe_io(&e, "verifying blob"));
            } else if let Some(expected) = diff_id
                && *expected != actual
            {
                out.error = Some(format!(
                    "diff_id mismatch: the config says {expected}, the uncompressed layer hashes to {actual}"
                ));
            }
            out.diff_id = Some(actual);
        }
        Err(e) => {
            let limit = matches!(&e, TarError::Limit(_))
                || matches!(&e, TarError::Io(io, _) if is_limit(io));
            let mut message = e.describe(ctx.limits);
            // A corrupt blob usually shows up as a decompression or tar error first; if the
            // blob fails verification, that is the real cause and the message says so.
            if !limit {
                match io::copy(&mut buffered, &mut io::sink()) {
                    Err(ve) if verify_error(&ve).is_some() => {
                        message = describe_io(&ve, "verifying blob");
                    }
                    _ => {}
                }
            }
            out.error = Some(message);
        }
    }
    drop(buffered);
    out.compressed_size = counted.count;
    out
}

fn is_limit(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|i| i.is::<LimitExceeded>())
}

fn describe_io(e: &io::Error, what: &str) -> String {
    match verify_error(e) {
        Some(v) => format!("blob verification failed: {v}"),
        None => format!("{what}: {e}"),
    }
}

struct CountingReader<'a, R> {
    inner: R,
    count: u64,
    progress: Option<&'a Progress>,
}

impl<R: Read> Read for CountingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        if let Some(p) = self.progress {
            p.bytes.fetch_add(n as u64, Ordering::Relaxed);
        }
        Ok(n)
    }
}

enum TarError {
    /// I/O or format error, with the path of the last entry read, if any.
    Io(io::Error, Option<String>),
    Limit(String),
}

impl TarError {
    fn describe(&self, limits: &Limits) -> String {
        match self {
            TarError::Io(e, last) => {
                let base = if is_limit(e) {
                    format!(
                        "uncompressed size exceeds the limit of {} bytes (raise it with --max-layer-size)",
                        limits.max_layer_size
                    )
                } else if verify_error(e).is_some() {
                    describe_io(e, "")
                } else {
                    format!("corrupt or truncated layer: {e}")
                };
                match last {
                    Some(p) => format!("{base} (after entry {p})"),
                    None => base,
                }
            }
            TarError::Limit(m) => m.clone(),
        }
    }
}

/// Most bytes of GNU long names, PAX headers and sparse maps allowed before one entry. The
/// tar crate reads them whole into memory, so without a bound a small gzip layer could make
/// it allocate gigabytes; real ones are a few KiB.
pub(crate) const MAX_TAR_METADATA: u64 = 1 << 20;
/// Longest entry path or link target kept (Linux's `PATH_MAX`); longer ones are skipped.
const MAX_PATH_LEN: usize = 4096;

/// Keeps the tar parser from reading more than [`MAX_TAR_METADATA`] past the end of the
/// previous entry's data while it looks for the next entry. Wrap the stream with
/// [`TarMetadataBound::reader`] and fetch entries with [`TarMetadataBound::next_entry`].
pub(crate) struct TarMetadataBound {
    pos: std::cell::Cell<u64>,
    limit: std::cell::Cell<u64>,
    next_limit: std::cell::Cell<u64>,
}

pub(crate) struct MetadataGuard<'a, R> {
    inner: R,
    bound: &'a TarMetadataBound,
}

impl<R: Read> Read for MetadataGuard<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let b = self.bound;
        b.pos.set(b.pos.get() + n as u64);
        if b.pos.get() > b.limit.get() {
            return Err(io::Error::other(format!(
                "more than {MAX_TAR_METADATA} bytes of long names or PAX headers before an entry"
            )));
        }
        Ok(n)
    }
}

impl TarMetadataBound {
    pub(crate) fn new() -> Self {
        TarMetadataBound {
            pos: std::cell::Cell::new(0),
            limit: std::cell::Cell::new(MAX_TAR_METADATA),
            next_limit: std::cell::Cell::new(MAX_TAR_METADATA),
        }
    }

    pub(crate) fn reader<R: Read>(&self, inner: R) -> MetadataGuard<'_, R> {
        MetadataGuard { inner, bound: self }
    }

    /// `entries.next()`, bounded; reading an entry's own data is not.
    pub(crate) fn next_entry<'a, R: Read>(
        &self,
        entries: &mut tar::Entries<'a, R>,
    ) -> Option<io::Result<tar::Entry<'a, R>>> {
        self.limit.set(self.next_limit.get());
        let mut next = entries.next();
        self.limit.set(u64::MAX);
        if let Some(Ok(entry)) = next.as_mut() {
            // The reader stops right after the headers: the data starts here, padded to 512.
            let data = stored_size(entry).div_ceil(512).saturating_mul(512);
            self.next_limit.set(
                self.pos
                    .get()
                    .saturating_add(data)
                    .saturating_add(MAX_TAR_METADATA),
            );
        }
        next
    }
}

/// Bytes stored after an entry's header: `size()` is the logical size for GNU sparse files.
fn stored_size<R: Read>(entry: &mut tar::Entry<'_, R>) -> u64 {
    if !entry.header().entry_type().is_gnu_sparse() {
        return entry.size();
    }
    let pax_size = entry.pax_extensions().ok().flatten().and_then(|mut x| {
        x.find_map(|e| {
            let e = e.ok()?;
            (e.key_bytes() == b"size").then_some(())?;
            std::str::from_utf8(e.value_bytes()).ok()?.parse().ok()
        })
    });
    pax_size.unwrap_or_else(|| entry.header().entry_size().unwrap_or(0))
}

fn read_tar<R: Read>(
    stream: &mut R,
    ctx: &WalkContext<'_>,
    out: &mut LayerWalk,
) -> Result<(), TarError> {
    let bound = TarMetadataBound::new();
    let mut archive = tar::Archive::new(bound.reader(stream));
    let mut last_path: Option<String> = None;
    let mut captured_by_path: HashMap<String, usize> = HashMap::new();
    // Files dropped for their contents (a shell script where an executable was looked for,
    // an executable with no Go or Rust build data): a hard link to one needs no warning.
    let mut dropped: HashMap<String, Dropped> = HashMap::new();
    let mut warn_list = Vec::new();
    let mut warnings = Warnings {
        list: &mut warn_list,
        max: ctx.limits.max_warnings,
        dropped: 0,
    };
    let layer = out.index;
    let mut entries = archive.entries().map_err(|e| TarError::Io(e, None))?;
    let mut count: u64 = 0;
    let mut result = Ok(());
    'entries: while let Some(entry) = bound.next_entry(&mut entries) {
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => {
                result = Err(TarError::Io(e, last_path.clone()));
                break;
            }
        };
        count += 1;
        if count > ctx.limits.max_entries {
            result = Err(TarError::Limit(format!(
                "more than {} entries (raise it with --max-entries)",
                ctx.limits.max_entries
            )));
            break;
        }
        let raw = entry.path_bytes().into_owned();
        let link_len = entry.link_name_bytes().map_or(0, |l| l.len());
        if raw.len() > MAX_PATH_LEN || link_len > MAX_PATH_LEN {
            warnings.push(format!(
                "layer {layer}: entry {:?} has a name or link target over {MAX_PATH_LEN} bytes; ignored",
                String::from_utf8_lossy(&raw[..raw.len().min(100)])
            ));
            continue;
        }
        let path = match normalize_path(&raw) {
            NormPath::Root => continue,
            NormPath::Escapes => {
                warnings.push(format!(
                    "layer {layer}: entry {:?} climbs out of the image root; ignored",
                    String::from_utf8_lossy(&raw)
                ));
                continue;
            }
            NormPath::Ok(p) => p,
        };
        if raw.first() == Some(&b'/') {
            warnings.push(format!(
                "layer {layer}: entry {:?} has an absolute path; read as {path:?}",
                String::from_utf8_lossy(&raw)
            ));
        }
        last_path = Some(path.clone());
        let (dir, base) = match path.rsplit_once('/') {
            Some((d, b)) => (d, b),
            None => ("", path.as_str()),
        };
        if let Some(name) = base.strip_prefix(".wh.") {
            if name == ".wh..opq" {
                out.opaque_dirs.push(dir.to_string());
            } else if name.starts_with(".wh.") {
                // Other AUFS metadata (`.wh..wh.plnk`, `.wh..wh.aufs`): not part of the view.
            } else if !name.is_empty() {
                out.whiteouts.push(if dir.is_empty() {
                    name.to_string()
                } else {
                    format!("{dir}/{name}")
                });
            }
            continue;
        }
        let header = entry.header();
        let mode = header.mode().unwrap_or(0);
        let uid = header.uid().unwrap_or(0);
        let gid = header.gid().unwrap_or(0);
        let etype = header.entry_type();
        let size = entry.size();
        let link_target = || -> Option<String> {
            entry
                .link_name_bytes()
                .map(|l| String::from_utf8_lossy(&l).into_owned())
        };
        let kind = match etype {
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
                EntryKind::File
            }
            tar::EntryType::Directory => EntryKind::Dir,
            tar::EntryType::Symlink => EntryKind::Symlink(link_target().unwrap_or_default()),
            tar::EntryType::Link => match link_target().map(|t| normalize_path(t.as_bytes())) {
                Some(NormPath::Ok(t)) => EntryKind::HardLink(t),
                _ => {
                    warnings.push(format!(
                        "layer {layer}: hard link {path:?} points outside the image; ignored"
                    ));
                    continue;
                }
            },
            tar::EntryType::Char | tar::EntryType::Block | tar::EntryType::Fifo => {
                EntryKind::Special
            }
            _ => continue,
        };

        let interests = match kind {
            EntryKind::File | EntryKind::HardLink(_) => ctx.matcher.matches(&path),
            _ => Vec::new(),
        };
        // What the capture below read of the file: its first bytes (`head`), or all of it
        // (a captured file, or one its keep tests refused): inspectors read on from there.
        let mut head = Vec::new();
        let mut whole: Option<Vec<u8>> = None;
        let mut captured_now = false;
        if !interests.is_empty() {
            match &kind {
                EntryKind::File => 'capture: {
                    let mut interests = interests;
                    let want = ctx.matcher.magic_len(&interests);
                    if want > 0 {
                        if let Err(e) = (&mut entry).take(want as u64).read_to_end(&mut head) {
                            result = Err(TarError::Io(e, Some(path.clone())));
                            break 'entries;
                        }
                        interests = ctx.matcher.filter_magic(interests, &head);
                        if interests.is_empty() {
                            let refused = Vec::new();
                            let head = head.clone();
                            dropped.insert(path.clone(), Dropped { head, refused });
                            break 'capture;
                        }
                    }
                    let max = ctx.matcher.max_size(&interests);
                    if size > max {
                        warnings.push(format!(
                            "layer {layer}: {path}: {size} bytes, over the {max}-byte limit for analysis; skipped"
                        ));
                    } else if ctx.captured_total.fetch_add(size, Ordering::Relaxed) + size
                        > ctx.limits.max_capture_total
                    {
                        ctx.captured_total.fetch_sub(size, Ordering::Relaxed);
                        out.capture_budget_hit = true;
                        warnings.push(format!(
                            "layer {layer}: {path}: total analysed content over {} bytes (raise it with --max-capture); skipped",
                            ctx.limits.max_capture_total
                        ));
                    } else {
                        let mut data = Vec::with_capacity(size as usize);
                        data.extend_from_slice(&head);
                        let rest = (max + 1).saturating_sub(head.len() as u64);
                        if let Err(e) = (&mut entry).take(rest).read_to_end(&mut data) {
                            result = Err(TarError::Io(e, Some(path.clone())));
                            break 'entries;
                        }
                        let (interests, refused) = ctx.matcher.filter_keep(interests, &data);
                        if interests.is_empty() {
                            ctx.captured_total.fetch_sub(size, Ordering::Relaxed);
                            let head = head.clone();
                            dropped.insert(path.clone(), Dropped { head, refused });
                            whole = Some(data);
                            break 'capture;
                        }
                        captured_now = true;
                        captured_by_path.insert(path.clone(), out.captured.len());
                        out.captured.push(CapturedFile {
                            layer,
                            path: path.clone(),
                            interests,
                            mode,
                            data,
                        });
                    }
                }
                // A link to a file dropped for its contents: the link's interests would drop
                // the same bytes too.
                EntryKind::HardLink(target)
                    if dropped
                        .get(target)
                        .is_some_and(|d| ctx.matcher.refuses(&interests, d)) => {}
                EntryKind::HardLink(target) => match captured_by_path.get(target) {
                    Some(&i) => {
                        let data = out.captured[i].data.clone();
                        captured_by_path.insert(path.clone(), out.captured.len());
                        out.captured.push(CapturedFile {
                            layer,
                            path: path.clone(),
                            interests,
                            mode,
                            data,
                        });
                    }
                    None => warnings.push(format!(
                        "layer {layer}: {path} is a hard link to {target}, whose contents were not kept; skipped"
                    )),
                },
                _ => {}
            }
        }
        if kind == EntryKind::File && !ctx.inspectors.is_empty() {
            let wanting: Vec<usize> = (0..ctx.inspectors.len())
                .filter(|&i| ctx.inspectors[i].wants(&path, size))
                .collect();
            if !wanting.is_empty() {
                let known = if captured_now {
                    out.captured.last().map(|c| c.data.as_slice())
                } else {
                    whole.as_deref()
                };
                let file = crate::inspect::Wanted {
                    layer,
                    path: &path,
                    size,
                    known,
                    prefix: &head,
                };
                match crate::inspect::run(
                    ctx.inspectors,
                    &wanting,
                    &file,
                    &mut entry,
                    &mut out.inspected,
                ) {
                    Ok(None) => {}
                    Ok(Some(note)) => warnings.push(format!("layer {layer}: {note}")),
                    Err(e) => {
                        result = Err(TarError::Io(e, Some(path.clone())));
                        break 'entries;
                    }
                }
            }
        }
        out.entries.push(Entry {
            path,
            kind,
            size,
            mode,
            uid,
            gid,
        });
    }
    if warnings.dropped > 0 {
        let n = warnings.dropped;
        warn_list.push(format!("layer {layer}: {n} more warnings not shown"));
    }
    out.warnings.append(&mut warn_list);
    result
}

/// One node of the merged filesystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Index of the layer that last wrote this path.
    pub layer: usize,
    pub kind: EntryKind,
    pub size: u64,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
}

/// The merged view of an image's layers: every path present in the final image, with the
/// layer that last wrote it.
#[derive(Debug, Clone, Default)]
pub struct FileTree {
    nodes: BTreeMap<String, Node>,
}

/// Symlink resolution failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error("{0}: too many levels of symbolic links")]
    Loop(String),
    #[error("{0}: no such file in the image")]
    Missing(String),
}

impl FileTree {
    pub fn new() -> FileTree {
        FileTree::default()
    }

    /// Applies one layer on top of what is there. Whiteouts and opaque directories of a
    /// layer hide only lower layers' files, so they are applied before its own entries.
    pub fn apply(&mut self, layer: LayerEntries) {
        for dir in &layer.opaque_dirs {
            self.remove_children(dir);
        }
        for path in &layer.whiteouts {
            self.nodes.remove(path);
            self.remove_children(path);
        }
        for e in layer.entries {
            let node = Node {
                layer: layer.index,
                kind: e.kind,
                size: e.size,
                mode: e.mode,
                uid: e.uid,
                gid: e.gid,
            };
            // One lookup per entry: this loop runs once per file of the image.
            match self.nodes.entry(e.path) {
                std::collections::btree_map::Entry::Vacant(v) => {
                    v.insert(node);
                }
                std::collections::btree_map::Entry::Occupied(mut o) => {
                    let hides_children =
                        o.get().kind == EntryKind::Dir && node.kind != EntryKind::Dir;
                    let key = hides_children.then(|| o.key().clone());
                    o.insert(node);
                    if let Some(k) = key {
                        // A file replacing a directory hides everything below it.
                        self.remove_children(&k);
                    }
                }
            }
        }
    }

    fn remove_children(&mut self, dir: &str) {
        if dir.is_empty() {
            self.nodes.clear();
            return;
        }
        let prefix = format!("{dir}/");
        let keys: Vec<String> = self
            .nodes
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(k, _)| k.clone())
            .collect();
        for k in keys {
            self.nodes.remove(&k);
        }
    }

    fn has_children(&self, dir: &str) -> bool {
        let prefix = format!("{dir}/");
        self.nodes
            .range(prefix.clone()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(&prefix))
    }

    pub fn get(&self, path: &str) -> Option<&Node> {
        self.nodes.get(path.trim_start_matches('/'))
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Node)> {
        self.nodes.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Follows symbolic links (in every path component) inside the image, never on the
    /// host, up to 40 links as Linux does. Returns the final path and its node.
    pub fn resolve(&self, path: &str) -> Result<(String, &Node), ResolveError> {
        let mut pending: Vec<String> = path
            .split('/')
            .filter(|c| !c.is_empty() && *c != ".")
            .map(str::to_string)
            .rev()
            .collect();
        let mut done: Vec<String> = Vec::new();
        let mut links = 0;
        while let Some(c) = pending.pop() {
            if c == ".." {
                done.pop();
                continue;
            }
            done.push(c);
            let cur = done.join("/");
            let Some(node) = self.nodes.get(&cur) else {
                // Tars often omit parent directories: a path with children is a directory.
                if !pending.is_empty() && self.has_children(&cur) {
                    continue;
                }
                return Err(ResolveError::Missing(path.to_string()));
            };
            let target = match &node.kind {
                EntryKind::Symlink(t) => t.clone(),
                EntryKind::HardLink(t) => {
                    // Hard links share contents: continue from the target path.
                    done = t.split('/').map(str::to_string).collect();
                    continue;
                }
                _ => continue,
            };
            links += 1;
            if links > 40 {
                return Err(ResolveError::Loop(path.to_string()));
            }
            done.pop();
            if target.starts_with('/') {
                done.clear();
            }
            for t in target.split('/').rev() {
                if !t.is_empty() && t != "." {
                    pending.push(t.to_string());
                }
            }
        }
        let fin = done.join("/");
        match self.nodes.get(&fin) {
            Some(n) => Ok((fin, n)),
            None => Err(ResolveError::Missing(path.to_string())),
        }
    }
}

/// The parts of a [`LayerWalk`] that [`FileTree::apply`] consumes.
pub struct LayerEntries {
    pub index: usize,
    pub entries: Vec<Entry>,
    pub whiteouts: Vec<String>,
    pub opaque_dirs: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

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
