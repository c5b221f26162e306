//! Writing a database: fresh builds, incremental updates, source bookkeeping and the final
//! check and rename. Each feed's import (OSV, KEV, EPSS) is in its own file under `feeds/`.
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

use crate::fetch::SourceState;
use crate::schema::{INDEXES, SCHEMA_VERSION, TABLES};
use crate::{Db, Error, IoCtx, Result, SqlCtx, now_rfc3339};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use std::fs::File;
use std::io::Read;
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
    /// sha256 hashes of blocklisted files (hash lists, MalwareBazaar CSV).
    pub blocklist_hashes: u64,
    /// NVD CVE records inserted or replaced (`db import` of NVD JSON 2.0).
    #[serde(default)]
    pub nvd_cves: u64,
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
    /// because the database had a newer copy), a KEV entry, an EPSS score, a blocklisted hash, or a whole
    /// database (an export).
    pub fn usable(&self) -> bool {
        self.records_imported
            + self.records_kept
            + self.kev_entries
            + self.epss_scores
            + self.blocklist_hashes
            + self.nvd_cves
            > 0
            || self.replaced_by_export
    }

    /// Adds another summary's counts and messages to this one.
    pub fn merge(&mut self, other: ImportSummary) {
        self.records_imported += other.records_imported;
        self.records_kept += other.records_kept;
        self.records_removed += other.records_removed;
        self.kev_entries += other.kev_entries;
        self.epss_scores += other.epss_scores;
        self.blocklist_hashes += other.blocklist_hashes;
        self.nvd_cves += other.nvd_cves;
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

/// Builds a database into a temporary file and renames it over the target on [`commit`].
///
/// [`commit`]: Builder::commit
pub struct Builder {
    // Declared first so it is dropped (closed) before the temporary file is deleted.
    conn: Option<Connection>,
    target: PathBuf,
    tmp: Option<tempfile::TempPath>,
    pub(crate) limits: Limits,
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

    pub(crate) fn tmp_path(&self) -> &Path {
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

    pub(crate) fn conn(&self) -> &Connection {
        // Set by every constructor and only taken by `commit` and `replace_with`, which
        // restore it or consume the builder.
        self.conn.as_ref().expect("builder connection is open")
    }

    pub(crate) fn source_id(&self, name: &str, kind: &str) -> Result<i64> {
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
    pub(crate) fn set_source_details(
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
