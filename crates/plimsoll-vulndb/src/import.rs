//! `db import`, `db export`, and databases built on the fly from OSV data.
//!
//! Inputs are recognized by content, not by name ([`sniff`]): a directory is an OSV tree;
//! `PK` starts a zip (an OSV `all.zip`); `{`/`[` is JSON (a CISA KEV feed when it has
//! `catalogVersion` and `vulnerabilities`, an NVD CVE JSON 2.0 document when it has
//! `"format": "NVD_CVE"` or `vulnerabilities` without `catalogVersion`, else OSV records);
//! gzip holding an NVD document is one too (NVD's `nvdcve-2.0-YYYY.json.gz`); gzip or plain
//! text starting with `#model_version` or `cve,` is an EPSS CSV; text whose first line that
//! is not blank or a comment is a sha256 hash, or whose comments or first line hold a
//! MalwareBazaar CSV header, is a blocklist (`feeds::blocklist`); [`EXPORT_MAGIC`] is a
//! plimsoll export;
//! `SQLite format 3` is a plimsoll database file.
//!
//! An export is [`EXPORT_MAGIC`], the export format (u32 LE, 1), the schema version
//! (u32 LE), the database size (u64 LE), then the database file as one zstd frame. The
//! header lets an importer refuse an export of another schema before decompressing it.

use crate::build::{Builder, ImportSummary, read_bounded};
use crate::schema::SCHEMA_VERSION;
use crate::{Db, Error, IoCtx, Result};
use serde::Deserialize;
use serde::de::IgnoredAny;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

/// The first 16 bytes of a plimsoll export file.
pub const EXPORT_MAGIC: &[u8; 16] = b"PLIMSOLL-VULNDB\0";
const EXPORT_FORMAT: u32 = 1;
const EXPORT_HEADER_LEN: usize = 32;

/// What an input file or directory holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// A directory of OSV JSON files (recursive).
    OsvDir,
    /// One OSV record, or a JSON array of records.
    OsvJson,
    /// A zip of OSV JSON files (`all.zip`).
    OsvZip,
    /// CISA `known_exploited_vulnerabilities.json`.
    Kev,
    /// FIRST EPSS CSV, plain.
    EpssCsv,
    /// FIRST EPSS CSV, gzip-compressed (`epss_scores-current.csv.gz`).
    EpssCsvGz,
    /// An NVD CVE JSON 2.0 document (API answer or yearly feed).
    NvdJson,
    /// The same, gzip-compressed (`nvdcve-2.0-2023.json.gz`).
    NvdJsonGz,
    /// A `plimsoll db export` file.
    Export,
    /// A plimsoll SQLite database file.
    Database,
    /// A sha256 blocklist: one hash a line, or a MalwareBazaar CSV export.
    Blocklist,
}

fn bad(path: &Path, reason: impl Into<String>) -> Error {
    Error::Input {
        input: path.display().to_string(),
        reason: reason.into(),
    }
}

/// Recognizes an input by its content.
pub fn sniff(path: &Path) -> Result<InputKind> {
    let meta = std::fs::metadata(path).at(path)?;
    if meta.is_dir() {
        return Ok(InputKind::OsvDir);
    }
    let mut head = [0u8; 512];
    let mut f = File::open(path).at(path)?;
    let mut n = 0;
    while n < head.len() {
        match f.read(&mut head[n..]).at(path)? {
            0 => break,
            k => n += k,
        }
    }
    let head = &head[..n];
    if head.starts_with(EXPORT_MAGIC) {
        return Ok(InputKind::Export);
    }
    if head.starts_with(b"SQLite format 3\0") {
        return Ok(InputKind::Database);
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Ok(InputKind::OsvZip);
    }
    if head.starts_with(&[0x1f, 0x8b]) {
        let mut first = [0u8; 32];
        let mut gz = flate2::read::GzDecoder::new(head);
        let k = gz.read(&mut first).unwrap_or(0);
        if is_epss_start(&first[..k]) {
            return Ok(InputKind::EpssCsvGz);
        }
        let mut gz = flate2::read::GzDecoder::new(File::open(path).at(path)?);
        let mut start = [0u8; 512];
        let k = read_up_to(&mut gz, &mut start);
        let text = String::from_utf8_lossy(&start[..k]);
        if text.trim_start().starts_with('{') && text.contains("\"NVD_CVE\"") {
            return Ok(InputKind::NvdJsonGz);
        }
        return Err(bad(
            path,
            "a gzip file that is not an EPSS CSV or an NVD JSON feed",
        ));
    }
    if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        return Err(bad(path, "a zstd file without the plimsoll export header"));
    }
    if is_epss_start(head) {
        return Ok(InputKind::EpssCsv);
    }
    let text = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let first = text.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| matches!(b, b'#' | b'"') || b.is_ascii_hexdigit())
        && is_blocklist(path)?
    {
        return Ok(InputKind::Blocklist);
    }
    match first {
        Some(b'[') => Ok(InputKind::OsvJson),
        Some(b'{') => {
            // Deciding KEV versus OSV needs the top-level keys; read the document once.
            #[derive(Deserialize)]
            struct Probe {
                #[serde(rename = "catalogVersion")]
                catalog_version: Option<IgnoredAny>,
                vulnerabilities: Option<IgnoredAny>,
                #[serde(rename = "bomFormat")]
                bom_format: Option<IgnoredAny>,
                #[serde(rename = "spdxVersion")]
                spdx_version: Option<IgnoredAny>,
                format: Option<String>,
            }
            let f = File::open(path).at(path)?;
            let probe: Option<Probe> =
                serde_json::from_reader(BufReader::new(f.take(512 << 20))).ok();
            match probe {
                Some(Probe {
                    catalog_version: Some(_),
                    vulnerabilities: Some(_),
                    ..
                }) => Ok(InputKind::Kev),
                Some(Probe {
                    format: Some(f), ..
                }) if f == "NVD_CVE" => Ok(InputKind::NvdJson),
                Some(Probe {
                    vulnerabilities: Some(_),
                    catalog_version: None,
                    ..
                }) => Ok(InputKind::NvdJson),
                // Unreadable JSON whose head says NVD: let the NVD reader say what is wrong.
                None if String::from_utf8_lossy(head).contains("\"NVD_CVE\"") => {
                    Ok(InputKind::NvdJson)
                }
                Some(Probe {
                    bom_format: Some(_),
                    ..
                }) => Err(bad(path, sbom_not_data("a CycloneDX SBOM"))),
                Some(Probe {
                    spdx_version: Some(_),
                    ..
                }) => Err(bad(path, sbom_not_data("an SPDX SBOM"))),
                _ => Ok(InputKind::OsvJson),
            }
        }
        _ if n == 0 => Err(bad(path, "empty file")),
        _ => Err(bad(
            path,
            "not an OSV JSON file, directory or zip, a KEV feed, an EPSS CSV, a sha256 blocklist, an NVD JSON 2.0 file, or a plimsoll export",
        )),
    }
}

/// An SBOM given where vulnerability data was expected.
fn sbom_not_data(what: &str) -> String {
    format!(
        "{what}, not vulnerability data (scan it with `plimsoll sbom FILE`); a database is \
         built from OSV JSON files, directories and zips, KEV and EPSS feeds, or a `db export` file"
    )
}

/// Whether the first 64 KiB of a text file tell a blocklist (a MalwareBazaar export's
/// comment banner alone is some 600 bytes).
fn is_blocklist(path: &Path) -> Result<bool> {
    let mut head = Vec::new();
    File::open(path)
        .at(path)?
        .take(64 << 10)
        .read_to_end(&mut head)
        .at(path)?;
    let mut p = crate::feeds::blocklist::Parser::new();
    for line in head.split(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if !matches!(p.line(line), crate::feeds::blocklist::Line::Nothing) {
            break;
        }
        if p.format().is_some() {
            break;
        }
    }
    Ok(p.format().is_some())
}

/// Reads until `buf` is full or the stream ends (or fails: what was read counts).
fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> usize {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    n
}

fn is_epss_start(b: &[u8]) -> bool {
    b.starts_with(b"#model_version") || b.starts_with(b"cve,")
}

/// Imports each path into `builder`, by its sniffed kind, in order. Single records that
/// cannot be read are reported in the summary's `skipped` and the rest is imported; but a
/// path that yields nothing usable at all (unknown format, damaged zip or export, an SBOM,
/// an empty directory, a file whose every record was skipped) is an error naming it and
/// why, and the builder must then be dropped: an import that read nothing must not leave
/// an empty database behind for a later scan to take as clean.
pub fn import_paths(builder: &mut Builder, paths: &[PathBuf]) -> Result<ImportSummary> {
    let mut summary = ImportSummary::default();
    for path in paths {
        let one = import_one(builder, path)?;
        if !one.usable() {
            return Err(bad(path, nothing_usable(&one)));
        }
        summary.merge(one);
    }
    Ok(summary)
}

/// Why an input's summary holds nothing usable.
fn nothing_usable(s: &ImportSummary) -> String {
    match s.skipped.first() {
        Some(first) if s.skipped_count == 1 => format!("nothing could be imported: {first}"),
        Some(first) => format!(
            "nothing could be imported: {} entries skipped, the first: {first}",
            s.skipped_count
        ),
        None => match s.warnings.first() {
            Some(w) => format!(
                "no OSV record, KEV entry, EPSS score, blocklisted hash or NVD CVE found ({w})"
            ),
            None => {
                "no OSV record, KEV entry, EPSS score, blocklisted hash or NVD CVE found".into()
            }
        },
    }
}

fn import_one(builder: &mut Builder, path: &Path) -> Result<ImportSummary> {
    let kind = sniff(path)?;
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    let source = format!("import:{}", abs.display());
    let input = path.display().to_string();
    let limits = builder.limits();
    let osv = |s: Result<ImportSummary>, b: &mut Builder| {
        let s = s?;
        b.touch_local_source(&source, &abs)?;
        Ok(s)
    };
    match kind {
        InputKind::OsvDir => osv(builder.import_osv_dir(&source, path), builder),
        InputKind::OsvZip => osv(builder.import_osv_zip(&source, path, true), builder),
        InputKind::OsvJson => {
            let bytes = read_bounded(path, limits.max_feed_bytes.max(limits.max_record_bytes))
                .map_err(|reason| bad(path, reason))?;
            osv(builder.import_osv_json(&source, &input, &bytes), builder)
        }
        InputKind::Kev => {
            let bytes =
                read_bounded(path, limits.max_feed_bytes).map_err(|reason| bad(path, reason))?;
            builder.import_kev(&input, &bytes, None)
        }
        InputKind::NvdJson => {
            let bytes =
                read_bounded(path, limits.max_feed_bytes).map_err(|reason| bad(path, reason))?;
            builder.import_nvd(&input, &bytes)
        }
        InputKind::NvdJsonGz => {
            let f = File::open(path).at(path)?;
            let mut bytes = Vec::new();
            flate2::read::GzDecoder::new(BufReader::new(f))
                .take(limits.max_feed_bytes + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| bad(path, format!("gzip: {e}")))?;
            builder.import_nvd(&input, &bytes)
        }
        InputKind::EpssCsv => {
            let f = File::open(path).at(path)?;
            builder.import_epss(&input, BufReader::new(f), None)
        }
        InputKind::EpssCsvGz => {
            let f = File::open(path).at(path)?;
            let gz = flate2::read::GzDecoder::new(BufReader::new(f));
            builder.import_epss(&input, BufReader::new(gz), None)
        }
        InputKind::Blocklist => {
            let f = File::open(path).at(path)?;
            let source = format!("blocklist:{}", abs.display());
            let s = builder.import_blocklist(&source, &input, &mut BufReader::new(f))?;
            builder.touch_local_source(&source, &abs)?;
            Ok(s)
        }
        InputKind::Database => {
            check_whole(path, path)?;
            builder.replace_with(path)?;
            Ok(ImportSummary {
                replaced_by_export: true,
                ..Default::default()
            })
        }
        InputKind::Export => {
            let dir = builder
                .target()
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map(Path::to_owned)
                .unwrap_or_else(|| PathBuf::from("."));
            let tmp = tempfile::Builder::new()
                .prefix(".plimsoll-import.")
                .suffix(".tmp")
                .tempfile_in(&dir)
                .at(&dir)?;
            unpack_export(path, tmp.path(), limits.max_export_bytes)?;
            check_whole(tmp.path(), path)?;
            builder.replace_with(tmp.path())?;
            Ok(ImportSummary {
                replaced_by_export: true,
                ..Default::default()
            })
        }
    }
}

/// Checks a database file about to replace the one being built (`input` names it: the
/// export it was unpacked from): a plimsoll database of this schema that passes SQLite's
/// `quick_check`. An export damaged inside its zstd frame (exports written before frame
/// checksums were added) can decompress to the declared size and still be garbage.
fn check_whole(db_file: &Path, input: &Path) -> Result<()> {
    // The unpacked file of an export is a temporary name the user never saw.
    let damaged = |e: Error| {
        let mut e = e.to_string().replace('\n', "; ");
        if db_file != input {
            e = e.replace(&db_file.display().to_string(), "the database inside");
        }
        bad(input, format!("damaged: {e}"))
    };
    // A database file given as it is names itself in Db::open's errors.
    let db = Db::open(db_file).map_err(|e| if db_file == input { e } else { damaged(e) })?;
    db.quick_check().map_err(damaged)
}

fn unpack_export(path: &Path, out: &Path, max: u64) -> Result<()> {
    let mut f = BufReader::new(File::open(path).at(path)?);
    let mut header = [0u8; EXPORT_HEADER_LEN];
    f.read_exact(&mut header)
        .map_err(|_| bad(path, "truncated plimsoll export header"))?;
    let u32_at =
        |i: usize| u32::from_le_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]);
    let format = u32_at(16);
    let schema = u32_at(20);
    let mut size_bytes = [0u8; 8];
    size_bytes.copy_from_slice(&header[24..32]);
    let size = u64::from_le_bytes(size_bytes);
    if format != EXPORT_FORMAT {
        return Err(bad(
            path,
            format!("export format {format}, this plimsoll reads {EXPORT_FORMAT}"),
        ));
    }
    if schema > SCHEMA_VERSION {
        return Err(Error::NewerSchema {
            path: path.to_owned(),
            found: schema,
            supported: SCHEMA_VERSION,
        });
    }
    if schema < SCHEMA_VERSION {
        return Err(Error::OlderSchema {
            path: path.to_owned(),
            found: schema,
            supported: SCHEMA_VERSION,
        });
    }
    if size > max {
        return Err(bad(
            path,
            format!("declares {size} bytes, over the limit of {max}"),
        ));
    }
    let dec = zstd::stream::read::Decoder::new(f).map_err(|e| bad(path, format!("zstd: {e}")))?;
    let mut w = std::io::BufWriter::new(File::create(out).at(out)?);
    let copied = std::io::copy(&mut dec.take(size + 1), &mut w)
        .map_err(|e| bad(path, format!("damaged export (zstd): {e}")))?;
    if copied != size {
        return Err(bad(
            path,
            format!("export holds {copied} bytes, its header says {size}: truncated or damaged"),
        ));
    }
    w.flush().at(out)?;
    Ok(())
}

/// Writes the database at `db` as one zstd-compressed export file `out` (atomically).
/// Returns the size of the export.
pub fn export(db: &Path, out: &Path) -> Result<u64> {
    Db::open(db)?;
    let size = std::fs::metadata(db).at(db)?.len();
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_owned)
        .unwrap_or_else(|| PathBuf::from("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".plimsoll-export.")
        .suffix(".tmp")
        .tempfile_in(&dir)
        .at(&dir)?;
    {
        let mut w = std::io::BufWriter::new(tmp.as_file_mut());
        let mut header = Vec::with_capacity(EXPORT_HEADER_LEN);
        header.extend_from_slice(EXPORT_MAGIC);
        header.extend_from_slice(&EXPORT_FORMAT.to_le_bytes());
        header.extend_from_slice(&SCHEMA_VERSION.to_le_bytes());
        header.extend_from_slice(&size.to_le_bytes());
        w.write_all(&header).at(out)?;
        let mut enc = zstd::stream::write::Encoder::new(&mut w, 6).at(out)?;
        // A checksum of the content in the frame: a bit flipped anywhere in transit fails
        // the import rather than unpacking to a subtly different database.
        enc.include_checksum(true).at(out)?;
        let mut src = File::open(db).at(db)?;
        let copied = std::io::copy(&mut src, &mut enc).at(db)?;
        if copied != size {
            return Err(bad(db, "the database changed size while being exported"));
        }
        enc.finish().at(out)?;
        w.flush().at(out)?;
    }
    tmp.as_file().sync_all().at(out)?;
    let written = tmp.as_file().metadata().at(out)?.len();
    tmp.persist(out).map_err(|e| Error::Io {
        path: out.to_owned(),
        source: e.error,
    })?;
    Ok(written)
}

/// A database built from an OSV directory, zip or JSON file (or any other importable
/// input), cached under `cache_dir` by a key over the input's absolute path and its files'
/// names, sizes and modification times (reading every byte to hash it would cost as much as
/// the import it saves). The cached database is reused while the key matches; otherwise it
/// is rebuilt. A plimsoll database file is returned as is.
/// Returns the database path, and the import summary when it was (re)built.
pub fn cached_db_for(input: &Path, cache_dir: &Path) -> Result<(PathBuf, Option<ImportSummary>)> {
    if sniff(input)? == InputKind::Database {
        Db::open(input)?;
        return Ok((input.to_owned(), None));
    }
    let abs = std::path::absolute(input).unwrap_or_else(|_| input.to_owned());
    let mut h = Sha256::new();
    h.update(format!(
        "plimsoll-vulndb {} schema {SCHEMA_VERSION}\n",
        env!("CARGO_PKG_VERSION")
    ));
    h.update(abs.to_string_lossy().as_bytes());
    h.update(b"\n");
    let mut listing = Vec::new();
    fingerprint(&abs, &abs, 0, &mut listing);
    listing.sort();
    for line in &listing {
        h.update(line.as_bytes());
        h.update(b"\n");
    }
    let digest = h.finalize();
    let key: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    let db_path = cache_dir.join(format!("osv-{key}.db"));
    if db_path.exists() && Db::open(&db_path).is_ok() {
        return Ok((db_path, None));
    }
    let mut b = Builder::create(&db_path)?;
    let summary = import_paths(&mut b, &[input.to_owned()])?;
    b.commit()?;
    Ok((db_path, Some(summary)))
}

fn fingerprint(root: &Path, path: &Path, depth: usize, out: &mut Vec<String>) {
    let Ok(meta) = std::fs::metadata(path) else {
        return;
    };
    if meta.is_dir() {
        if depth > 32 {
            return;
        }
        let Ok(entries) = std::fs::read_dir(path) else {
            return;
        };
        for e in entries.flatten() {
            if e.file_type()
                .is_ok_and(|t| t.is_dir() || t.is_file() || t.is_symlink())
            {
                if e.file_type().is_ok_and(|t| t.is_symlink()) && e.path().is_dir() {
                    continue;
                }
                fingerprint(root, &e.path(), depth + 1, out);
            }
        }
    } else {
        let rel = path.strip_prefix(root).unwrap_or(path);
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        out.push(format!("{}\t{}\t{mtime}", rel.display(), meta.len()));
    }
}
