//! OSV records into the database: one record, an array, a directory tree, an `all.zip`, or
//! an update from the bucket (`fetch`). The record format itself (parsing, validation) is
//! [`crate::osv`]; this file is the SQL: upserts where the newest `modified` wins, aliases,
//! and the replacement of a source's full content.

use crate::build::{Builder, ImportSummary, read_bounded};
use crate::fetch::EcosystemUpdate;
use crate::osv::{ParsedRecord, cmp_modified, parse_record};
use crate::{Error, IoCtx, Result, SqlCtx};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::value::RawValue;
use std::collections::HashSet;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

enum Put {
    Written(i64),
    Kept(i64),
}

impl Builder {
    /// Applies one ecosystem's update from `fetch` to source `source` (e.g. `osv:PyPI`):
    /// `Full` replaces the source's records with the zip's, `Changed` upserts each record,
    /// `Unchanged` only stores the new state.
    pub fn apply(&mut self, source: &str, update: EcosystemUpdate) -> Result<ImportSummary> {
        let mut summary = ImportSummary::default();
        let state = match update {
            EcosystemUpdate::Unchanged { state } => state,
            EcosystemUpdate::Full { zip, state } => {
                summary = self.import_osv_zip(source, &zip, true)?;
                state
            }
            EcosystemUpdate::Changed { records, state } => {
                let sid = self.source_id(source, "osv")?;
                for (id, json) in records {
                    let input = format!("{source}/{id}.json");
                    self.import_record_bytes(sid, &json, &input, &mut summary, None)?;
                }
                state
            }
        };
        self.set_source_state(source, "osv", &state)?;
        Ok(summary)
    }

    /// Imports one OSV JSON document (a record, or an array of records) under `source`,
    /// updating records already present. `input` names it in messages.
    pub fn import_osv_json(
        &mut self,
        source: &str,
        input: &str,
        bytes: &[u8],
    ) -> Result<ImportSummary> {
        let sid = self.source_id(source, "osv")?;
        let mut summary = ImportSummary::default();
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if first == Some(&b'[') {
            let items: Vec<&RawValue> = match serde_json::from_slice(bytes) {
                Ok(v) => v,
                Err(e) => {
                    summary.skip(input, None, format!("not a JSON array of OSV records: {e}"));
                    return Ok(summary);
                }
            };
            for (i, item) in items.into_iter().enumerate() {
                let name = format!("{input}[{i}]");
                self.import_record_bytes(sid, item.get().as_bytes(), &name, &mut summary, None)?;
            }
        } else {
            self.import_record_bytes(sid, bytes, input, &mut summary, None)?;
        }
        Ok(summary)
    }

    /// Imports every `*.json` under `dir` (recursively, not following directory symlinks)
    /// as the full content of `source`: records of `source` no longer there are removed.
    pub fn import_osv_dir(&mut self, source: &str, dir: &Path) -> Result<ImportSummary> {
        let sid = self.source_id(source, "osv")?;
        let mut files = Vec::new();
        let mut summary = ImportSummary::default();
        collect_json(dir, 0, &mut files, &mut summary);
        files.sort();
        let mut seen = HashSet::new();
        let mut read_errors = 0u64;
        let max = self.limits.max_record_bytes;
        for file in files {
            let input = file.display().to_string();
            match read_bounded(&file, max) {
                Ok(bytes) => {
                    self.import_record_bytes(sid, &bytes, &input, &mut summary, Some(&mut seen))?
                }
                Err(reason) => {
                    read_errors += 1;
                    summary.skip(&input, None, reason);
                }
            }
        }
        self.finish_replacement(sid, source, &seen, read_errors, &mut summary)?;
        Ok(summary)
    }

    /// Imports an OSV `all.zip` under `source`. With `replace`, the zip is the source's full
    /// content: records of `source` it lacks are removed — unless some entries could not be
    /// read, in which case nothing is removed (a damaged archive must not delete good data).
    pub fn import_osv_zip(
        &mut self,
        source: &str,
        zip_path: &Path,
        replace: bool,
    ) -> Result<ImportSummary> {
        let zname = zip_path.display().to_string();
        let file = File::open(zip_path).at(zip_path)?;
        let mut zip = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| Error::Input {
            input: zname.clone(),
            reason: format!("not a readable zip archive (truncated or damaged?): {e}"),
        })?;
        if zip.len() > self.limits.max_archive_entries {
            return Err(Error::Input {
                input: zname,
                reason: format!(
                    "{} entries, more than the limit of {}",
                    zip.len(),
                    self.limits.max_archive_entries
                ),
            });
        }
        let sid = self.source_id(source, "osv")?;
        let mut summary = ImportSummary::default();
        let mut seen = HashSet::new();
        let mut read_errors = 0u64;
        let mut total = 0u64;
        let max = self.limits.max_record_bytes;
        let mut buf = Vec::new();
        for i in 0..zip.len() {
            let mut entry = match zip.by_index(i) {
                Ok(e) => e,
                Err(e) => {
                    read_errors += 1;
                    summary.skip(
                        &format!("{zname}: entry {i}"),
                        None,
                        format!("unreadable: {e}"),
                    );
                    continue;
                }
            };
            let name = entry
                .name()
                .map(|n| n.into_owned())
                .unwrap_or_else(|_| format!("entry {i}"));
            let input = format!("{zname}:{name}");
            if entry.is_dir() || !name.ends_with(".json") {
                continue;
            }
            let declared = entry.size();
            if declared > max {
                read_errors += 1;
                summary.skip(
                    &input,
                    None,
                    format!("declares {declared} bytes, over the per-record limit of {max}"),
                );
                continue;
            }
            buf.clear();
            if let Err(e) = (&mut entry).take(max + 1).read_to_end(&mut buf) {
                read_errors += 1;
                summary.skip(&input, None, format!("cannot decompress: {e}"));
                continue;
            }
            if buf.len() as u64 > max {
                read_errors += 1;
                summary.skip(
                    &input,
                    None,
                    format!(
                        "expands past the per-record limit of {max} bytes (declared {declared})"
                    ),
                );
                continue;
            }
            total += buf.len() as u64;
            if total > self.limits.max_archive_bytes {
                read_errors += 1;
                summary.warn(format!(
                    "{zname}: stopped at entry {i}: more than {} bytes decompressed in total (zip bomb?)",
                    self.limits.max_archive_bytes
                ));
                break;
            }
            drop(entry);
            let seen = replace.then_some(&mut seen);
            self.import_record_bytes(sid, &buf, &input, &mut summary, seen)?;
        }
        if replace {
            self.finish_replacement(sid, source, &seen, read_errors, &mut summary)?;
        }
        Ok(summary)
    }

    /// After a full import of `sid`: unlink the records it no longer has, and delete those
    /// that no other source has either.
    fn finish_replacement(
        &mut self,
        sid: i64,
        source: &str,
        seen: &HashSet<i64>,
        read_errors: u64,
        summary: &mut ImportSummary,
    ) -> Result<()> {
        let path = self.tmp_path().to_owned();
        let c = self.conn();
        let linked: Vec<i64> = c
            .prepare_cached("SELECT rid FROM record_sources WHERE sid = ?1")
            .and_then(|mut s| s.query_map([sid], |r| r.get(0))?.collect())
            .at(&path)?;
        let gone: Vec<i64> = linked.into_iter().filter(|r| !seen.contains(r)).collect();
        if gone.is_empty() {
            return Ok(());
        }
        if read_errors > 0 {
            summary.warn(format!(
                "{source}: {read_errors} entries could not be read, so the {} records missing from this import were kept",
                gone.len()
            ));
            return Ok(());
        }
        for rid in gone {
            c.prepare_cached("DELETE FROM record_sources WHERE rid = ?1 AND sid = ?2")
                .and_then(|mut s| s.execute([rid, sid]))
                .at(&path)?;
            let others: i64 = c
                .prepare_cached("SELECT count(*) FROM record_sources WHERE rid = ?1")
                .and_then(|mut s| s.query_row([rid], |r| r.get(0)))
                .at(&path)?;
            if others == 0 {
                delete_children(c, rid).at(&path)?;
                c.prepare_cached("DELETE FROM records WHERE rid = ?1")
                    .and_then(|mut s| s.execute([rid]))
                    .at(&path)?;
                summary.records_removed += 1;
            }
        }
        Ok(())
    }

    fn import_record_bytes(
        &mut self,
        sid: i64,
        bytes: &[u8],
        input: &str,
        summary: &mut ImportSummary,
        seen: Option<&mut HashSet<i64>>,
    ) -> Result<()> {
        if bytes.len() as u64 > self.limits.max_record_bytes {
            summary.skip(
                input,
                None,
                format!(
                    "{} bytes, over the per-record limit of {}",
                    bytes.len(),
                    self.limits.max_record_bytes
                ),
            );
            return Ok(());
        }
        let mut warnings = Vec::new();
        let parsed = parse_record(bytes, &mut warnings);
        for w in warnings {
            summary.warn(format!("{input}: {w}"));
        }
        match parsed {
            Ok(p) => {
                let rid = match self.put_record(sid, &p)? {
                    Put::Written(rid) => {
                        summary.records_imported += 1;
                        rid
                    }
                    Put::Kept(rid) => {
                        summary.records_kept += 1;
                        rid
                    }
                };
                if let Some(seen) = seen {
                    seen.insert(rid);
                }
            }
            Err(e) => summary.skip(input, e.id, e.reason),
        }
        Ok(())
    }

    /// Inserts or replaces one record; an existing copy with a newer `modified` is kept.
    fn put_record(&mut self, sid: i64, p: &ParsedRecord) -> Result<Put> {
        let path = self.tmp_path().to_owned();
        let c = self.conn();
        let r = &p.record;
        let existing: Option<(i64, String)> = c
            .prepare_cached("SELECT rid, modified FROM records WHERE id = ?1")
            .and_then(|mut s| {
                s.query_row([&r.id], |row| Ok((row.get(0)?, row.get(1)?)))
                    .optional()
            })
            .at(&path)?;
        let json = |v: &Vec<String>| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
        let severity = serde_json::to_string(&r.severity).unwrap_or_else(|_| "[]".into());
        let rid = match existing {
            Some((rid, old)) => {
                c.prepare_cached("INSERT OR IGNORE INTO record_sources(rid, sid) VALUES (?1, ?2)")
                    .and_then(|mut s| s.execute([rid, sid]))
                    .at(&path)?;
                if cmp_modified(&r.modified, &old) == std::cmp::Ordering::Less {
                    return Ok(Put::Kept(rid));
                }
                c.prepare_cached(
                    "UPDATE records SET modified = ?2, published = ?3, withdrawn = ?4, summary = ?5,
                     aliases = ?6, upstream = ?7, related = ?8, severity = ?9, severity_label = ?10,
                     max_cvss = ?11, database_specific = ?12 WHERE rid = ?1",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        rid,
                        r.modified,
                        r.published,
                        r.withdrawn,
                        r.summary,
                        json(&r.aliases),
                        json(&r.upstream),
                        json(&r.related),
                        severity,
                        r.severity_label,
                        r.max_cvss,
                        r.database_specific
                    ])
                })
                .at(&path)?;
                delete_children(c, rid).at(&path)?;
                rid
            }
            None => {
                c.prepare_cached(
                    "INSERT INTO records(id, modified, published, withdrawn, summary, aliases,
                     upstream, related, severity, severity_label, max_cvss, database_specific)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        r.id,
                        r.modified,
                        r.published,
                        r.withdrawn,
                        r.summary,
                        json(&r.aliases),
                        json(&r.upstream),
                        json(&r.related),
                        severity,
                        r.severity_label,
                        r.max_cvss,
                        r.database_specific
                    ])
                })
                .at(&path)?;
                let rid = c.last_insert_rowid();
                c.prepare_cached("INSERT INTO record_sources(rid, sid) VALUES (?1, ?2)")
                    .and_then(|mut s| s.execute([rid, sid]))
                    .at(&path)?;
                rid
            }
        };
        {
            let mut ins = c
                .prepare_cached(
                    "INSERT INTO affected(rid, ecosystem, base_ecosystem, name, entries)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .at(&path)?;
            for pkg in &p.packages {
                let entries = serde_json::to_string(&pkg.entries).unwrap_or_else(|_| "[]".into());
                ins.execute(params![
                    rid,
                    pkg.ecosystem,
                    crate::osv::base_ecosystem(&pkg.ecosystem),
                    pkg.name,
                    entries
                ])
                .at(&path)?;
            }
        }
        {
            let mut ins = c
                .prepare_cached("INSERT INTO record_aliases(alias, rid, kind) VALUES (?1, ?2, ?3)")
                .at(&path)?;
            let mut done = HashSet::new();
            for (list, kind) in [(&r.aliases, "alias"), (&r.upstream, "upstream")] {
                for a in list {
                    if a != &r.id && done.insert(a.as_str()) {
                        ins.execute(params![a, rid, kind]).at(&path)?;
                    }
                }
            }
        }
        Ok(Put::Written(rid))
    }
}

fn delete_children(c: &Connection, rid: i64) -> rusqlite::Result<()> {
    c.prepare_cached("DELETE FROM affected WHERE rid = ?1")?
        .execute([rid])?;
    c.prepare_cached("DELETE FROM record_aliases WHERE rid = ?1")?
        .execute([rid])?;
    Ok(())
}

/// Deep enough for any real OSV checkout; bounds a hostile tree.
const MAX_DIR_DEPTH: usize = 32;

fn collect_json(dir: &Path, depth: usize, out: &mut Vec<PathBuf>, summary: &mut ImportSummary) {
    if depth > MAX_DIR_DEPTH {
        summary.warn(format!(
            "{}: deeper than {MAX_DIR_DEPTH} directories; not read",
            dir.display()
        ));
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            summary.skip(
                &dir.display().to_string(),
                None,
                format!("cannot list directory: {e}"),
            );
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        // `file_type` does not follow symlinks: a symlinked directory is not entered (no
        // loops), a symlinked file is read through `metadata`.
        let Ok(ft) = entry.file_type() else { continue };
        if ft.is_dir() {
            collect_json(&path, depth + 1, out, summary);
        } else if path.extension().is_some_and(|e| e == "json")
            && (ft.is_file() || std::fs::metadata(&path).is_ok_and(|m| m.is_file()))
        {
            out.push(path);
        }
    }
}
