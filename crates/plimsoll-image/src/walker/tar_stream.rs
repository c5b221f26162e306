//! Reading one layer's tar stream: decompression, the `diff_id` hash, bounded tar metadata,
//! entries and whiteouts, captured files and streaming inspectors.

use super::matcher::Dropped;
use super::{
    CapturedFile, Compression, Entry, EntryKind, LayerWalk, Limits, NormPath, Progress,
    WalkContext, normalize_path,
};
use crate::digest::{Digest, Hasher, verify_error};
use crate::inspect::{Candidate, HEAD_LEN};
use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read};
use std::sync::atomic::Ordering;

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
pub(crate) const MAX_PATH_LEN: usize = 4096;

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
            let known = if captured_now {
                out.captured.last().map(|c| c.data.as_slice())
            } else {
                whole.as_deref()
            };
            if known.is_none() && head.len() < HEAD_LEN {
                let more = (HEAD_LEN - head.len()) as u64;
                if let Err(e) = (&mut entry).take(more).read_to_end(&mut head) {
                    result = Err(TarError::Io(e, Some(path.clone())));
                    break 'entries;
                }
            }
            let candidate = Candidate {
                path: &path,
                size,
                mode,
                head: known.unwrap_or(&head),
            };
            let wanting: Vec<usize> = (0..ctx.inspectors.len())
                .filter(|&i| ctx.inspectors[i].wants(&candidate))
                .collect();
            if !wanting.is_empty() {
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
