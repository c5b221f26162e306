//! Per-layer cache of walk results, so that a re-scan reads no layer blob at all.
//!
//! What one walk of a layer yields (its entries, whiteouts, opaque directories, the captured
//! file contents analyzers asked for, warnings and sizes: a [`LayerWalk`]) is stored at
//! `<cache dir>/layers/<key>`, `<key>` being the hex SHA-256 of
//!
//! - [`LAYER_CACHE_FORMAT`] and this crate's version (a new release never reads an older
//!   release's entries: the walker's rules may have changed);
//! - the capture rules: every [`Interest`](crate::walker::Interest) (pattern, size bound,
//!   magic, the name of its keep test) in order, every
//!   [`Inspector`](crate::inspect::Inspector)'s fingerprint (its rules) in order, and the
//!   per-layer limits, so that a scan with other catalogers, inspector rules or limits
//!   never sees a walk made for different ones;
//! - the layer's identity: its blob digest (verified while the blob was read) and its
//!   `diff_id` from the image config (verified against the uncompressed stream). Both are
//!   part of the key when known, so a config that claims a cached `diff_id` for another
//!   blob misses, and is walked (and fails its `diff_id` check) as on a cold scan.
//!
//! Only complete, verified walks are stored: a layer with an error, or one where a file was
//! skipped because the image-wide capture budget (`--max-capture`) ran out (which depends on
//! the other layers), is walked again next time.
//!
//! An entry is written to a temporary file in the same directory and renamed into place,
//! so readers never see half of one. Its layout: a 16-byte magic, the format (u32 LE), the
//! key (32 bytes), the length of the decoded payload (u64 LE), then one zstd frame with its
//! content checksum holding the payload: the [`postcard`] encoding of the walk without the
//! file contents, then the contents one after another. Reading checks the magic, format and
//! key, decodes at most the stated length (never allocating by a length read from the file:
//! buffers grow with data actually decoded, and the length is bounded), checks the zstd
//! checksum, and checks that the contents' lengths add up. A file that fails any check is
//! reported as a warning and the layer is walked again (and the entry rewritten).

use crate::digest::Digest;
use crate::inspect::{Hit, Inspected};
use crate::walker::{CapturedFile, Compression, Entry, LayerWalk, WalkOptions};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// Version of the entry layout and of the walk rules it records; bump it whenever either
/// changes.
pub const LAYER_CACHE_FORMAT: u32 = 2;

const MAGIC: &[u8; 16] = b"PLIMSOLL-LAYER\0\0";
const HEADER_LEN: usize = 16 + 4 + 32 + 8;
/// Largest decoded payload accepted, whatever the header says (the walker captures at most
/// `--max-capture` bytes, 1 GiB by default, over a whole image).
const MAX_PAYLOAD: u64 = 4 << 30;

/// The directory of layer walk results, `<cache dir>/layers`.
#[derive(Debug, Clone)]
pub struct LayerCache {
    dir: PathBuf,
}

/// Which cache entry a layer's walk is stored under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerKey([u8; 32]);

impl LayerKey {
    pub fn hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Hash of the capture rules a walk was made with (see the module docs).
#[derive(Debug, Clone)]
pub struct RulesFingerprint([u8; 32]);

impl RulesFingerprint {
    pub fn new(opts: &WalkOptions) -> RulesFingerprint {
        let mut h = Sha256::new();
        let mut put = |b: &[u8]| {
            h.update((b.len() as u64).to_le_bytes());
            h.update(b);
        };
        put(&LAYER_CACHE_FORMAT.to_le_bytes());
        put(env!("CARGO_PKG_VERSION").as_bytes());
        for i in &opts.interests {
            put(i.pattern.as_bytes());
            put(&i.max_size.to_le_bytes());
            match i.magic {
                Some(m) => put(&[&[1u8][..], m].concat()),
                None => put(&[0]),
            }
            match i.keep {
                Some(k) => put(&[b"k:", k.name.as_bytes()].concat()),
                None => put(&[0]),
            }
        }
        put(b"inspectors");
        for i in &opts.inspectors {
            put(i.fingerprint().as_bytes());
        }
        let l = &opts.limits;
        put(&l.max_layer_size.to_le_bytes());
        put(&l.max_entries.to_le_bytes());
        put(&(l.max_warnings as u64).to_le_bytes());
        RulesFingerprint(h.finalize().into())
    }
}

/// Why a cache entry was not used.
#[derive(Debug)]
pub struct Invalid {
    pub path: PathBuf,
    pub reason: String,
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.reason)
    }
}

/// What is stored of one [`CapturedFile`]; the data follows the metadata.
#[derive(Serialize, Deserialize)]
struct StoredCapture {
    path: String,
    interests: Vec<usize>,
    mode: u32,
    len: u64,
}

/// What is stored of one [`Inspected`] (the layer is the entry's).
#[derive(Serialize, Deserialize)]
struct StoredInspected {
    path: String,
    inspector: usize,
    hits: Vec<Hit>,
}

/// Warnings start with `layer N: `; the prefix is taken off so an entry can serve the same
/// layer at another position of another image.
#[derive(Serialize, Deserialize)]
struct StoredWarning {
    prefixed: bool,
    text: String,
}

#[derive(Serialize)]
struct StoredRef<'a> {
    entries: &'a [Entry],
    whiteouts: &'a [String],
    opaque_dirs: &'a [String],
    captured: Vec<StoredCapture>,
    inspected: Vec<StoredInspected>,
    warnings: Vec<StoredWarning>,
    uncompressed_size: u64,
    compressed_size: u64,
    compression: Option<u8>,
    diff_id: Option<String>,
}

#[derive(Deserialize)]
struct Stored {
    entries: Vec<Entry>,
    whiteouts: Vec<String>,
    opaque_dirs: Vec<String>,
    captured: Vec<StoredCapture>,
    inspected: Vec<StoredInspected>,
    warnings: Vec<StoredWarning>,
    uncompressed_size: u64,
    compressed_size: u64,
    compression: Option<u8>,
    diff_id: Option<String>,
}

fn compression_code(c: Compression) -> u8 {
    match c {
        Compression::None => 0,
        Compression::Gzip => 1,
        Compression::Zstd => 2,
    }
}

fn compression_of(code: u8) -> Option<Compression> {
    match code {
        0 => Some(Compression::None),
        1 => Some(Compression::Gzip),
        2 => Some(Compression::Zstd),
        _ => None,
    }
}

impl LayerCache {
    /// The layer cache inside a cache directory (the blob cache's: `--cache-dir`).
    pub fn new(cache_dir: &Path) -> LayerCache {
        LayerCache {
            dir: cache_dir.join("layers"),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The key of a layer, or `None` when the layer has neither a blob digest nor a
    /// `diff_id` to be known by.
    pub fn key(
        rules: &RulesFingerprint,
        digest: Option<&Digest>,
        diff_id: Option<&Digest>,
    ) -> Option<LayerKey> {
        if digest.is_none() && diff_id.is_none() {
            return None;
        }
        let mut h = Sha256::new();
        let mut put = |b: &[u8]| {
            h.update((b.len() as u64).to_le_bytes());
            h.update(b);
        };
        put(&rules.0);
        put(digest.map(|d| d.to_string()).unwrap_or_default().as_bytes());
        put(diff_id
            .map(|d| d.to_string())
            .unwrap_or_default()
            .as_bytes());
        Some(LayerKey(h.finalize().into()))
    }

    pub fn path(&self, key: &LayerKey) -> PathBuf {
        self.dir.join(key.hex())
    }

    /// Whether a walk may be stored: complete, verified, and not cut by the image-wide
    /// capture budget.
    pub fn storable(walk: &LayerWalk) -> bool {
        walk.error.is_none() && walk.diff_id.is_some() && !walk.capture_budget_hit
    }

    /// Reads the walk stored under `key`, re-numbered as layer `index`; `interests` and
    /// `inspectors` are how many the walk options have (captured files or hits naming
    /// others are refused). `Ok(None)`: no entry.
    pub fn load(
        &self,
        key: &LayerKey,
        index: usize,
        interests: usize,
        inspectors: usize,
    ) -> Result<Option<LayerWalk>, Invalid> {
        let path = self.path(key);
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            // No cache there at all (not even a directory): nothing to say per layer; a
            // store says once that the cache cannot be written.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                ) =>
            {
                return Ok(None);
            }
            Err(e) => {
                return Err(Invalid {
                    path,
                    reason: format!("unreadable: {e}"),
                });
            }
        };
        decode(
            io::BufReader::with_capacity(256 * 1024, file),
            key,
            index,
            (interests, inspectors),
        )
        .map(Some)
        .map_err(|reason| Invalid { path, reason })
    }

    /// Stores a walk under `key`, atomically. Errors (a full disk, a read-only cache) are
    /// returned for the caller to mention; the scan goes on either way.
    pub fn store(&self, key: &LayerKey, walk: &LayerWalk) -> io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let tmp = tempfile::Builder::new()
            .prefix(&crate::temp_prefix(".tmp-"))
            .tempfile_in(&self.dir)?;
        let mut w = io::BufWriter::with_capacity(256 * 1024, tmp);
        encode(&mut w, key, walk)?;
        let tmp = w.into_inner().map_err(|e| e.into_error())?;
        tmp.persist(self.path(key)).map_err(|e| e.error)?;
        Ok(())
    }
}

fn encode(w: &mut impl Write, key: &LayerKey, walk: &LayerWalk) -> io::Result<()> {
    let prefix = format!("layer {}: ", walk.index);
    let meta = StoredRef {
        entries: &walk.entries,
        whiteouts: &walk.whiteouts,
        opaque_dirs: &walk.opaque_dirs,
        captured: walk
            .captured
            .iter()
            .map(|c| StoredCapture {
                path: c.path.clone(),
                interests: c.interests.clone(),
                mode: c.mode,
                len: c.data.len() as u64,
            })
            .collect(),
        inspected: walk
            .inspected
            .iter()
            .map(|h| StoredInspected {
                path: h.path.clone(),
                inspector: h.inspector,
                hits: h.hits.clone(),
            })
            .collect(),
        warnings: walk
            .warnings
            .iter()
            .map(|t| match t.strip_prefix(&prefix) {
                Some(rest) => StoredWarning {
                    prefixed: true,
                    text: rest.to_string(),
                },
                None => StoredWarning {
                    prefixed: false,
                    text: t.clone(),
                },
            })
            .collect(),
        uncompressed_size: walk.uncompressed_size,
        compressed_size: walk.compressed_size,
        compression: walk.compression.map(compression_code),
        diff_id: walk.diff_id.as_ref().map(|d| d.to_string()),
    };
    let meta = postcard::to_allocvec(&meta).map_err(io::Error::other)?;
    let data_len: u64 = walk.captured.iter().map(|c| c.data.len() as u64).sum();
    let payload_len = 8 + meta.len() as u64 + data_len;
    w.write_all(MAGIC)?;
    w.write_all(&LAYER_CACHE_FORMAT.to_le_bytes())?;
    w.write_all(&key.0)?;
    w.write_all(&payload_len.to_le_bytes())?;
    // Level 1: captured executables and package databases shrink 3-4x at ~400 MB/s; the
    // higher levels cost more time than the disk they save.
    let mut z = zstd::stream::write::Encoder::new(w, 1)?;
    z.include_checksum(true)?;
    z.write_all(&(meta.len() as u64).to_le_bytes())?;
    z.write_all(&meta)?;
    for c in &walk.captured {
        z.write_all(&c.data)?;
    }
    z.finish()?.flush()
}

fn decode(
    mut r: impl io::BufRead,
    key: &LayerKey,
    index: usize,
    (interests, inspectors): (usize, usize),
) -> Result<LayerWalk, String> {
    let mut header = [0u8; HEADER_LEN];
    r.read_exact(&mut header)
        .map_err(|e| format!("truncated header: {e}"))?;
    if &header[..16] != MAGIC {
        return Err("not a plimsoll layer cache entry".into());
    }
    let format = u32::from_le_bytes(header[16..20].try_into().unwrap_or_default());
    if format != LAYER_CACHE_FORMAT {
        return Err(format!(
            "format {format}, this version reads {LAYER_CACHE_FORMAT}"
        ));
    }
    if header[20..52] != key.0 {
        return Err("stored under another key".into());
    }
    let payload_len = u64::from_le_bytes(header[52..60].try_into().unwrap_or_default());
    if !(8..=MAX_PAYLOAD).contains(&payload_len) {
        return Err(format!("implausible payload length {payload_len}"));
    }
    let z = zstd::stream::read::Decoder::with_buffer(r).map_err(|e| format!("zstd: {e}"))?;
    // Every read below is bounded by what the header says is left, and buffers grow with
    // what is actually decoded, never by a length read from the file.
    let mut z = z.take(payload_len);
    let corrupt = |e: io::Error| format!("corrupt or truncated: {e}");
    let mut len8 = [0u8; 8];
    z.read_exact(&mut len8).map_err(corrupt)?;
    let meta_len = u64::from_le_bytes(len8);
    if meta_len > payload_len - 8 {
        return Err("metadata length past the end".into());
    }
    let mut meta = Vec::new();
    (&mut z)
        .take(meta_len)
        .read_to_end(&mut meta)
        .map_err(corrupt)?;
    if meta.len() as u64 != meta_len {
        return Err("truncated metadata".into());
    }
    let stored: Stored = postcard::from_bytes(&meta).map_err(|e| format!("metadata: {e}"))?;
    drop(meta);
    let data_len = stored
        .captured
        .iter()
        .try_fold(0u64, |a, c| a.checked_add(c.len));
    if data_len != Some(payload_len - 8 - meta_len) {
        return Err("captured contents do not add up to what is stored".into());
    }
    if let Some(c) = stored
        .captured
        .iter()
        .find(|c| c.interests.is_empty() || c.interests.iter().any(|&i| i >= interests))
    {
        return Err(format!("{}: interest out of range", c.path));
    }
    if let Some(h) = stored
        .inspected
        .iter()
        .find(|h| h.hits.is_empty() || h.inspector >= inspectors)
    {
        return Err(format!("{}: inspector out of range", h.path));
    }
    let mut datas = Vec::with_capacity(stored.captured.len());
    for c in &stored.captured {
        let mut d = Vec::new();
        (&mut z).take(c.len).read_to_end(&mut d).map_err(corrupt)?;
        if d.len() as u64 != c.len {
            return Err(format!("{}: truncated contents", c.path));
        }
        datas.push(d);
    }
    // The frame must end exactly here; reaching its end checks its checksum.
    let mut z = z.into_inner();
    let mut rest = [0u8; 1];
    match z.read(&mut rest) {
        Ok(0) => {}
        Ok(_) => return Err("data after the payload".into()),
        Err(e) => return Err(corrupt(e)),
    }
    let compression = match stored.compression {
        None => None,
        Some(c) => Some(compression_of(c).ok_or_else(|| format!("compression code {c}"))?),
    };
    let diff_id = match stored.diff_id {
        None => None,
        Some(d) => Some(d.parse::<Digest>().map_err(|e| format!("diff_id: {e}"))?),
    };
    let captured = stored
        .captured
        .into_iter()
        .zip(datas)
        .map(|(c, data)| CapturedFile {
            layer: index,
            path: c.path,
            interests: c.interests,
            mode: c.mode,
            data,
        })
        .collect();
    let warnings = stored
        .warnings
        .into_iter()
        .map(|w| {
            if w.prefixed {
                format!("layer {index}: {}", w.text)
            } else {
                w.text
            }
        })
        .collect();
    Ok(LayerWalk {
        index,
        entries: stored.entries,
        whiteouts: stored.whiteouts,
        opaque_dirs: stored.opaque_dirs,
        captured,
        inspected: stored
            .inspected
            .into_iter()
            .map(|h| Inspected {
                layer: index,
                path: h.path,
                inspector: h.inspector,
                hits: h.hits,
            })
            .collect(),
        warnings,
        uncompressed_size: stored.uncompressed_size,
        compressed_size: stored.compressed_size,
        compression,
        diff_id,
        error: None,
        capture_budget_hit: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::walker::EntryKind;

    fn walk() -> LayerWalk {
        LayerWalk {
            index: 3,
            entries: vec![
                Entry {
                    path: "etc/os-release".into(),
                    kind: EntryKind::File,
                    size: 12,
                    mode: 0o644,
                    uid: 0,
                    gid: 0,
                },
                Entry {
                    path: "lib".into(),
                    kind: EntryKind::Symlink("usr/lib".into()),
                    size: 0,
                    mode: 0o777,
                    uid: 1,
                    gid: 2,
                },
            ],
            whiteouts: vec!["etc/motd".into()],
            opaque_dirs: vec!["opt".into()],
            captured: vec![CapturedFile {
                layer: 3,
                path: "etc/os-release".into(),
                interests: vec![0, 2],
                mode: 0o644,
                data: b"ID=debian\n\x00\xff".to_vec(),
            }],
            inspected: vec![Inspected {
                layer: 3,
                path: "root/.aws/credentials".into(),
                inspector: 1,
                hits: vec![Hit {
                    rule: "aws-access-key-id".into(),
                    line: 2,
                    detail: "AKIA****".into(),
                }],
            }],
            warnings: vec!["layer 3: x climbs out".into(), "other".into()],
            uncompressed_size: 10240,
            compressed_size: 300,
            compression: Some(Compression::Gzip),
            diff_id: Some(Digest::sha256_of(b"tar")),
            error: None,
            capture_budget_hit: false,
        }
    }

    fn bytes(key: &LayerKey) -> Vec<u8> {
        let mut v = Vec::new();
        encode(&mut v, key, &walk()).unwrap();
        v
    }

    #[test]
    fn round_trip_renumbers_the_layer() {
        let key = LayerKey([7; 32]);
        let b = bytes(&key);
        let w = decode(&b[..], &key, 5, (3, 2)).unwrap();
        assert_eq!(w.index, 5);
        assert_eq!(w.entries, walk().entries);
        assert_eq!(w.whiteouts, ["etc/motd"]);
        assert_eq!(w.opaque_dirs, ["opt"]);
        assert_eq!(w.captured[0].layer, 5);
        assert_eq!(w.captured[0].data, walk().captured[0].data);
        assert_eq!(w.captured[0].interests, [0, 2]);
        assert_eq!(w.inspected[0].layer, 5);
        assert_eq!(
            (w.inspected[0].path.as_str(), w.inspected[0].inspector),
            ("root/.aws/credentials", 1)
        );
        assert_eq!(w.inspected[0].hits, walk().inspected[0].hits);
        // A hit naming an inspector the scan does not have is refused.
        assert!(
            decode(&b[..], &key, 5, (3, 1))
                .unwrap_err()
                .contains("inspector")
        );
        assert_eq!(w.warnings, ["layer 5: x climbs out", "other"]);
        assert_eq!(
            (w.uncompressed_size, w.compressed_size, w.compression),
            (10240, 300, Some(Compression::Gzip))
        );
        assert_eq!(w.diff_id, walk().diff_id);
        // Interests the current rules do not have are refused.
        assert!(
            decode(&b[..], &key, 5, (2, 2))
                .unwrap_err()
                .contains("interest")
        );
        // An entry copied under another key is refused.
        assert!(decode(&b[..], &LayerKey([8; 32]), 5, (3, 2)).is_err());
    }

    #[test]
    fn every_truncation_and_bit_flip_is_an_error_not_a_panic() {
        let key = LayerKey([7; 32]);
        let b = bytes(&key);
        for n in 0..b.len() {
            assert!(
                decode(&b[..n], &key, 0, (3, 2)).is_err(),
                "truncated at {n}"
            );
        }
        for i in 0..b.len() {
            for bit in [0x01u8, 0x80] {
                let mut c = b.clone();
                c[i] ^= bit;
                // Some flips land in bytes no check covers (the zstd frame header's unused
                // bits); those must still decode to the same walk.
                if let Ok(w) = decode(&c[..], &key, 3, (3, 2)) {
                    assert_eq!(w.entries, walk().entries, "flip at {i}");
                    assert_eq!(w.captured[0].data, walk().captured[0].data, "flip at {i}");
                }
            }
        }
    }

    #[test]
    fn key_covers_digest_diff_id_and_rules() {
        let a = Digest::sha256_of(b"a");
        let b = Digest::sha256_of(b"b");
        let rules = RulesFingerprint::new(&WalkOptions::default());
        let k = |d: Option<&Digest>, i: Option<&Digest>| LayerCache::key(&rules, d, i);
        assert_eq!(k(None, None), None);
        assert_ne!(k(Some(&a), Some(&b)), k(Some(&b), Some(&b)));
        assert_ne!(k(Some(&a), Some(&b)), k(Some(&a), Some(&a)));
        assert_ne!(k(Some(&a), None), k(None, Some(&a)));
        let mut o = WalkOptions::default();
        o.limits.max_entries = 5;
        let other = RulesFingerprint::new(&o);
        assert_ne!(LayerCache::key(&other, Some(&a), None), k(Some(&a), None));
    }
}
