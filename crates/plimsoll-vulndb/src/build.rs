//! Writing a database: fresh builds, incremental updates, and every importer's SQL.
//!
//! A [`Builder`] owns a temporary file in the target's directory (so the final rename stays
//! on one filesystem and is atomic). An update first copies the existing database into it.
//! Everything is written in one transaction with the journal off and `synchronous=OFF`: a
//! failed build is simply a temporary file that gets deleted, so there is nothing to roll
//! back. [`Builder::commit`] creates the lookup indexes, runs `PRAGMA quick_check`, reopens
//! the file as a reader would, fsyncs it and renames it over the target.
//!
//! A record id may arrive from several sources (a GHSA covering PyPI and npm is in both
//! `PyPI/all.zip` and `npm/all.zip`): `records.id` is unique, `record_sources` links each
//! record to every source that delivered it, the copy with the newest `modified` wins, and a
//! full replacement of one source deletes only the records no other source still delivers.

use crate::fetch::{EcosystemUpdate, SourceState};
use crate::osv::{ParsedRecord, cmp_modified, parse_record};
use crate::schema::{INDEXES, SCHEMA_VERSION, TABLES};
use crate::{Db, Error, IoCtx, Result, SqlCtx, now_rfc3339};
use plimsoll_model::is_cve;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// Size limits for untrusted input. The defaults fit the whole OSV corpus with room to spare.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest single OSV record (a file or a zip entry), declared and actual size.
    pub max_record_bytes: u64,
    /// Most bytes decompressed from one zip archive (all entries together).
    pub max_archive_bytes: u64,
    /// Most entries in one zip archive.
    pub max_archive_entries: usize,
    /// Largest KEV JSON or decompressed EPSS CSV.
    pub max_feed_bytes: u64,
    /// Largest decompressed export file.
    pub max_export_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_record_bytes: 16 << 20,
            max_archive_bytes: 16 << 30,
            max_archive_entries: 4_000_000,
            max_feed_bytes: 256 << 20,
            max_export_bytes: 64 << 30,
        }
    }
}

/// How many skipped records and warnings a summary keeps in full (the counts go on).
const KEEP_MESSAGES: usize = 1000;

/// A record (or feed entry) that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The file, and the archive entry where there is one (`PyPI.zip:GHSA-x.json`).
    pub input: String,
    /// The record id, when it could be read.
    pub id: Option<String>,
    pub reason: String,
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.id {
            Some(id) => write!(f, "{}: record {id}: {}", self.input, self.reason),
            None => write!(f, "{}: {}", self.input, self.reason),
        }
    }
}

/// What an import did.
#[derive(Debug, Default, Clone, Serialize)]
pub struct ImportSummary {
    /// OSV records inserted or replaced by a newer copy.
    pub records_imported: u64,
    /// OSV records not written because the database already had a newer copy.
    pub records_kept: u64,
    /// OSV records removed because a full replacement of their source no longer had them.
    pub records_removed: u64,
    pub kev_entries: u64,
    pub epss_scores: u64,
    /// An export (or database file) replaced the database being built.
    pub replaced_by_export: bool,
    pub skipped_count: u64,
    /// The first skipped records (at most 1000; `skipped_count` has the total).
    pub skipped: Vec<Skipped>,
    pub warning_count: u64,
    /// The first warnings (at most 1000; `warning_count` has the total).
    pub warnings: Vec<String>,
}

impl ImportSummary {
    pub(crate) fn skip(&mut self, input: &str, id: Option<String>, reason: impl Into<String>) {
        self.skipped_count += 1;
        if self.skipped.len() < KEEP_MESSAGES {
            self.skipped.push(Skipped {
                input: input.to_owned(),
                id,
                reason: reason.into(),
            });
        }
    }

    pub(crate) fn warn(&mut self, w: impl Into<String>) {
        self.warning_count += 1;
        if self.warnings.len() < KEEP_MESSAGES {
            self.warnings.push(w.into());
        }
    }

    /// Whether the import brought anything a scan can use: a record (written, or kept
    /// because the database had a newer copy), a KEV entry, an EPSS score, or a whole
    /// database (an export).
    pub fn usable(&self) -> bool {
        self.records_imported + self.records_kept + self.kev_entries + self.epss_scores > 0
            || self.replaced_by_export
    }

    /// Adds another summary's counts and messages to this one.
    pub fn merge(&mut self, other: ImportSummary) {
        self.records_imported += other.records_imported;
        self.records_kept += other.records_kept;
        self.records_removed += other.records_removed;
        self.kev_entries += other.kev_entries;
        self.epss_scores += other.epss_scores;
        self.replaced_by_export |= other.replaced_by_export;
        self.skipped_count += other.skipped_count;
        self.warning_count += other.warning_count;
        let room = KEEP_MESSAGES.saturating_sub(self.skipped.len());
        self.skipped.extend(other.skipped.into_iter().take(room));
        let room = KEEP_MESSAGES.saturating_sub(self.warnings.len());
        self.warnings.extend(other.warnings.into_iter().take(room));
    }
}

/// The `sources.name` of an OSV ecosystem fetched from the bucket: `osv:PyPI`.
pub fn osv_source_name(ecosystem: &str) -> String {
    format!("osv:{ecosystem}")
}

enum Put {
    Written(i64),
    Kept(i64),
}

/// Builds a database into a temporary file and renames it over the target on [`commit`].
///
/// [`commit`]: Builder::commit
pub struct Builder {
    // Declared first so it is dropped (closed) before the temporary file is deleted.
    conn: Option<Connection>,
    target: PathBuf,
    tmp: Option<tempfile::TempPath>,
    limits: Limits,
}

impl Builder {
    /// Starts an empty database that will replace `target` (which need not exist).
    pub fn create(target: &Path) -> Result<Builder> {
        let mut b = Builder::temp_for(target)?;
        b.open_conn()?;
        b.conn()
            .execute_batch(TABLES)
            .and_then(|_| {
                b.conn().execute(
                    "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?1)",
                    [SCHEMA_VERSION.to_string()],
                )
            })
            .at(b.tmp_path())?;
        b.begin()?;
        Ok(b)
    }

    /// Starts from a copy of the database at `target`, or an empty one if there is none.
    /// An existing file that is not a readable plimsoll database of this schema is an error:
    /// it is left alone rather than silently rebuilt from less data.
    pub fn update(target: &Path) -> Result<Builder> {
        if !target.exists() {
            return Builder::create(target);
        }
        Db::open(target)?;
        let mut b = Builder::temp_for(target)?;
        std::fs::copy(target, b.tmp_path()).at(target)?;
        b.open_conn()?;
        // A database from an older build of this schema may lack tables added since.
        b.conn().execute_batch(TABLES).at(b.tmp_path())?;
        b.begin()?;
        Ok(b)
    }

    /// Replaces the default size limits.
    pub fn with_limits(mut self, limits: Limits) -> Builder {
        self.limits = limits;
        self
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The file this builder will replace.
    pub fn target(&self) -> &Path {
        &self.target
    }

    fn temp_for(target: &Path) -> Result<Builder> {
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&dir).at(&dir)?;
        let stem = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "plimsoll.db".into());
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".{stem}.{}-", std::process::id()))
            .suffix(".tmp")
            .tempfile_in(&dir)
            .at(&dir)?
            .into_temp_path();
        Ok(Builder {
            target: target.to_owned(),
            tmp: Some(tmp),
            conn: None,
            limits: Limits::default(),
        })
    }

    fn tmp_path(&self) -> &Path {
        self.tmp.as_deref().unwrap_or(&self.target)
    }

    fn open_conn(&mut self) -> Result<()> {
        let path = self.tmp_path().to_owned();
        let conn = Connection::open(&path).at(&path)?;
        conn.execute_batch(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA locking_mode=EXCLUSIVE;
             PRAGMA cache_size=-131072; PRAGMA foreign_keys=OFF;",
        )
        .at(&path)?;
        conn.set_prepared_statement_cache_capacity(64);
        self.conn = Some(conn);
        Ok(())
    }

    fn begin(&self) -> Result<()> {
        self.conn().execute_batch("BEGIN").at(self.tmp_path())
    }

    fn conn(&self) -> &Connection {
        // Set by every constructor and only taken by `commit` and `replace_with`, which
        // restore it or consume the builder.
        self.conn.as_ref().expect("builder connection is open")
    }

    fn source_id(&self, name: &str, kind: &str) -> Result<i64> {
        let c = self.conn();
        c.prepare_cached("INSERT OR IGNORE INTO sources(name, kind) VALUES (?1, ?2)")
            .and_then(|mut s| s.execute(params![name, kind]))
            .and_then(|_| {
                c.prepare_cached("SELECT sid FROM sources WHERE name = ?1")?
                    .query_row([name], |r| r.get(0))
            })
            .at(self.tmp_path())
    }

    /// Records a source's fetch state (`sources.state`, `url`, `fetched_at`).
    pub fn set_source_state(&mut self, name: &str, kind: &str, state: &SourceState) -> Result<()> {
        self.source_id(name, kind)?;
        let json = serde_json::to_string(state).unwrap_or_default();
        self.conn()
            .execute(
                "UPDATE sources SET url = ?2, state = ?3, fetched_at = ?4 WHERE name = ?1",
                params![name, state.url, json, state.fetched_at],
            )
            .at(self.tmp_path())?;
        Ok(())
    }

    /// `fetched_at` is the state's when there is one, else now (a local import).
    fn set_source_details(
        &self,
        name: &str,
        records: u64,
        details: &serde_json::Value,
        state: Option<&SourceState>,
    ) -> Result<()> {
        let fetched_at = state.map_or_else(now_rfc3339, |s| s.fetched_at.clone());
        self.conn()
            .execute(
                "UPDATE sources SET records = ?2, details = ?3, fetched_at = ?4 WHERE name = ?1",
                params![name, records as i64, details.to_string(), fetched_at],
            )
            .at(self.tmp_path())?;
        Ok(())
    }

    /// Marks a locally imported source: its `url` is the path, `fetched_at` now.
    pub(crate) fn touch_local_source(&self, name: &str, path: &Path) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE sources SET url = ?2, fetched_at = ?3 WHERE name = ?1",
                params![name, path.display().to_string(), now_rfc3339()],
            )
            .at(self.tmp_path())?;
        Ok(())
    }

    /// The fetch state stored for a source, if any.
    pub fn source_state(&self, name: &str) -> Result<Option<SourceState>> {
        let json: Option<Option<String>> = self
            .conn()
            .query_row("SELECT state FROM sources WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()
            .at(self.tmp_path())?;
        Ok(json.flatten().and_then(|j| serde_json::from_str(&j).ok()))
    }

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

    /// Replaces the KEV table with a CISA `known_exploited_vulnerabilities.json` feed.
    /// A feed that cannot be read at all leaves the table as it was.
    pub fn import_kev(
        &mut self,
        input: &str,
        bytes: &[u8],
        state: Option<&SourceState>,
    ) -> Result<ImportSummary> {
        #[derive(Deserialize)]
        struct Feed<'a> {
            #[serde(rename = "catalogVersion")]
            catalog_version: Option<String>,
            #[serde(rename = "dateReleased")]
            date_released: Option<String>,
            #[serde(borrow)]
            vulnerabilities: Vec<&'a RawValue>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Entry {
            #[serde(rename = "cveID")]
            cve_id: String,
            vendor_project: Option<String>,
            product: Option<String>,
            vulnerability_name: Option<String>,
            date_added: String,
            due_date: Option<String>,
            known_ransomware_campaign_use: Option<String>,
            cwes: Option<Vec<String>>,
        }
        if bytes.len() as u64 > self.limits.max_feed_bytes {
            return Err(Error::Input {
                input: input.into(),
                reason: format!(
                    "{} bytes, over the feed limit of {}",
                    bytes.len(),
                    self.limits.max_feed_bytes
                ),
            });
        }
        let feed: Feed<'_> = serde_json::from_slice(bytes).map_err(|e| Error::Input {
            input: input.into(),
            reason: format!("not a CISA KEV feed: {e}"),
        })?;
        let mut summary = ImportSummary::default();
        let mut rows = Vec::with_capacity(feed.vulnerabilities.len());
        for (i, raw) in feed.vulnerabilities.iter().enumerate() {
            match serde_json::from_str::<Entry>(raw.get()) {
                Ok(e) if is_cve(&e.cve_id) => rows.push(e),
                Ok(e) => summary.skip(
                    &format!("{input}: vulnerabilities[{i}]"),
                    Some(e.cve_id),
                    "not a CVE id",
                ),
                Err(e) => summary.skip(
                    &format!("{input}: vulnerabilities[{i}]"),
                    None,
                    e.to_string(),
                ),
            }
        }
        if rows.is_empty() && !feed.vulnerabilities.is_empty() {
            return Err(Error::Input {
                input: input.into(),
                reason: "no readable entry in the KEV feed; the existing KEV data is kept".into(),
            });
        }
        let path = self.tmp_path().to_owned();
        let c = self.conn();
        c.execute("DELETE FROM kev", []).at(&path)?;
        {
            let mut ins = c
                .prepare_cached(
                    "INSERT OR REPLACE INTO kev(cve, vendor_project, product, vulnerability_name,
                     date_added, due_date, known_ransomware, cwes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .at(&path)?;
            for e in &rows {
                let ransomware = e
                    .known_ransomware_campaign_use
                    .as_deref()
                    .is_some_and(|k| k.eq_ignore_ascii_case("known"));
                let cwes = e
                    .cwes
                    .as_ref()
                    .map(|c| serde_json::to_string(c).unwrap_or_default());
                ins.execute(params![
                    e.cve_id,
                    e.vendor_project,
                    e.product,
                    e.vulnerability_name,
                    e.date_added,
                    e.due_date,
                    ransomware,
                    cwes
                ])
                .at(&path)?;
            }
        }
        summary.kev_entries = rows.len() as u64;
        self.source_id("kev", "kev")?;
        if let Some(state) = state {
            self.set_source_state("kev", "kev", state)?;
        }
        let details = serde_json::json!({
            "catalog_version": feed.catalog_version,
            "date_released": feed.date_released,
            "input": input,
        });
        self.set_source_details("kev", summary.kev_entries, &details, state)?;
        Ok(summary)
    }

    /// Replaces the EPSS table with a FIRST `epss_scores-*.csv` (already decompressed):
    /// `#model_version:…,score_date:…`, then `cve,epss,percentile`, then one line per CVE.
    pub fn import_epss(
        &mut self,
        input: &str,
        reader: impl BufRead,
        state: Option<&SourceState>,
    ) -> Result<ImportSummary> {
        let bad = |reason: String| Error::Input {
            input: input.into(),
            reason,
        };
        let mut reader = reader.take(self.limits.max_feed_bytes + 1);
        let mut summary = ImportSummary::default();
        let mut line = String::new();
        let mut model_version = None;
        let mut score_date = None;
        let mut columns: Option<(usize, usize, usize)> = None;
        let mut rows: Vec<(String, f64, f64)> = Vec::new();
        let mut read = 0u64;
        let mut lineno = 0u64;
        loop {
            line.clear();
            let n = reader
                .read_line(&mut line)
                .map_err(|e| bad(format!("cannot read line {}: {e}", lineno + 1)))?;
            if n == 0 {
                break;
            }
            lineno += 1;
            read += n as u64;
            if read > self.limits.max_feed_bytes {
                return Err(bad(format!(
                    "larger than the feed limit of {} bytes",
                    self.limits.max_feed_bytes
                )));
            }
            let l = line.trim_end_matches(['\r', '\n']);
            if l.is_empty() {
                continue;
            }
            if let Some(meta) = l.strip_prefix('#') {
                for part in meta.split(',') {
                    match part.split_once(':') {
                        Some(("model_version", v)) => model_version = Some(v.to_owned()),
                        Some(("score_date", v)) => score_date = Some(v.to_owned()),
                        _ => {}
                    }
                }
                continue;
            }
            let fields: Vec<&str> = l.split(',').map(str::trim).collect();
            let Some((ci, si, pi)) = columns else {
                let pos = |name: &str| fields.iter().position(|f| f.eq_ignore_ascii_case(name));
                match (pos("cve"), pos("epss"), pos("percentile")) {
                    (Some(c), Some(s), Some(p)) => columns = Some((c, s, p)),
                    _ => {
                        return Err(bad(format!(
                            "line {lineno}: expected the header `cve,epss,percentile`, found {l:?}"
                        )));
                    }
                }
                continue;
            };
            let get = |i: usize| fields.get(i).copied().unwrap_or("");
            let cve = get(ci);
            let score = get(si).parse::<f64>();
            let pct = get(pi).parse::<f64>();
            match (score, pct) {
                (Ok(s), Ok(p))
                    if is_cve(cve)
                        && cve.len() < 64
                        && (0.0..=1.0).contains(&s)
                        && (0.0..=1.0).contains(&p) =>
                {
                    rows.push((cve.to_owned(), s, p))
                }
                _ => summary.skip(
                    &format!("{input}: line {lineno}"),
                    None,
                    format!("not a `cve,epss,percentile` row: {l:.80}"),
                ),
            }
        }
        if columns.is_none() {
            return Err(bad(
                "no `cve,epss,percentile` header: not an EPSS CSV".into()
            ));
        }
        if rows.is_empty() {
            return Err(bad(
                "no readable EPSS row; the existing EPSS data is kept".into()
            ));
        }
        let path = self.tmp_path().to_owned();
        let c = self.conn();
        c.execute("DELETE FROM epss", []).at(&path)?;
        {
            let mut ins = c
                .prepare_cached(
                    "INSERT OR REPLACE INTO epss(cve, score, percentile) VALUES (?1, ?2, ?3)",
                )
                .at(&path)?;
            for (cve, s, p) in &rows {
                ins.execute(params![cve, s, p]).at(&path)?;
            }
        }
        summary.epss_scores = rows.len() as u64;
        self.source_id("epss", "epss")?;
        if let Some(state) = state {
            self.set_source_state("epss", "epss", state)?;
        }
        let details = serde_json::json!({
            "model_version": model_version,
            "score_date": score_date,
            "input": input,
        });
        self.set_source_details("epss", summary.epss_scores, &details, state)?;
        Ok(summary)
    }

    /// Replaces everything built so far with the database file at `db_file` (a decompressed
    /// export), which the caller has checked is a whole plimsoll database of this schema
    /// (`import::check_whole`: opened, schema and `quick_check`).
    pub(crate) fn replace_with(&mut self, db_file: &Path) -> Result<()> {
        if let Some(conn) = self.conn.take() {
            conn.close().map_err(|(_, e)| e).at(self.tmp_path())?;
        }
        std::fs::copy(db_file, self.tmp_path()).at(db_file)?;
        self.open_conn()?;
        self.conn().execute_batch(TABLES).at(self.tmp_path())?;
        self.begin()
    }

    /// Finishes the database and renames it over the target. Nothing replaces the target
    /// unless the new file passes `PRAGMA quick_check` and opens as a reader would open it.
    pub fn commit(mut self) -> Result<PathBuf> {
        let path = self.tmp_path().to_owned();
        {
            let c = self.conn();
            c.execute_batch(INDEXES).at(&path)?;
            c.execute_batch(
                "UPDATE sources SET records =
                    (SELECT count(*) FROM record_sources s WHERE s.sid = sources.sid)
                 WHERE kind = 'osv';
                 DELETE FROM ecosystem_counts;
                 INSERT INTO ecosystem_counts(ecosystem, records)
                    SELECT ecosystem, count(DISTINCT rid) FROM affected GROUP BY ecosystem;
                 INSERT OR REPLACE INTO meta(key, value)
                    SELECT 'records', count(*) FROM records;",
            )
            .at(&path)?;
            c.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?1), ('built_at', ?2)",
                params![SCHEMA_VERSION.to_string(), now_rfc3339()],
            )
            .at(&path)?;
            c.execute_batch("COMMIT; PRAGMA journal_mode=DELETE;")
                .at(&path)?;
            let check: String = c
                .query_row("PRAGMA quick_check", [], |r| r.get(0))
                .at(&path)?;
            if check != "ok" {
                return Err(Error::NotPlimsoll {
                    path,
                    reason: format!(
                        "the new database failed its integrity check ({check}); the old one is kept"
                    ),
                });
            }
        }
        if let Some(conn) = self.conn.take() {
            conn.close().map_err(|(_, e)| e).at(&path)?;
        }
        Db::open(&path)?;
        File::open(&path).and_then(|f| f.sync_all()).at(&path)?;
        let tmp = self.tmp.take().expect("temporary path is set until commit");
        tmp.persist(&self.target).map_err(|e| Error::Io {
            path: self.target.clone(),
            source: e.error,
        })?;
        if let Some(dir) = self.target.parent().filter(|p| !p.as_os_str().is_empty()) {
            // Make the rename itself durable; not all platforms can open a directory.
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(self.target.clone())
    }
}

fn delete_children(c: &Connection, rid: i64) -> rusqlite::Result<()> {
    c.prepare_cached("DELETE FROM affected WHERE rid = ?1")?
        .execute([rid])?;
    c.prepare_cached("DELETE FROM record_aliases WHERE rid = ?1")?
        .execute([rid])?;
    Ok(())
}

/// Reads a whole file, refusing one larger than `max` bytes (checked on what is read, not
/// only on the metadata, which a growing file could outrun).
pub(crate) fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>, String> {
    let f = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    if len > max {
        return Err(format!("{len} bytes, over the per-record limit of {max}"));
    }
    let mut buf = Vec::with_capacity(len as usize);
    f.take(max + 1)
        .read_to_end(&mut buf)
        .map_err(|e| format!("cannot read: {e}"))?;
    if buf.len() as u64 > max {
        return Err(format!("over the per-record limit of {max} bytes"));
    }
    Ok(buf)
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
