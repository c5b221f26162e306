//! Reading a finished database: the matcher's lookups and `db status`.
//!
//! A database file is never modified in place (builders write a new file and rename it), so
//! it is opened read-only with SQLite's `immutable` flag: no locks and no journal checks on
//! every query. A scan that has the file open keeps reading the old inode when an update
//! renames a new one into place. A [`Db`] is one connection: open one per thread.

use crate::fetch::SourceState;
use crate::osv::{Affected, Record, Severity, base_ecosystem, normalize_name};
use crate::schema::SCHEMA_VERSION;
use crate::{Error, IoCtx, Result, SqlCtx};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row};
use serde::Serialize;
use std::io::Read;
use std::path::{Path, PathBuf};

/// One record's affected entries for one package: what a lookup returns.
#[derive(Debug, Clone)]
pub struct Advisory {
    pub record: Record,
    /// The full ecosystem of the entries (`Debian:12`).
    pub ecosystem: String,
    /// The normalized package name.
    pub name: String,
    /// Usually one entry; a record may list the same package more than once (e.g. two
    /// version lines with separate ranges and `ecosystem_specific`).
    pub affected: Vec<Affected>,
}

/// A KEV catalog entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Kev {
    pub cve: String,
    pub vendor_project: Option<String>,
    pub product: Option<String>,
    pub vulnerability_name: Option<String>,
    pub date_added: String,
    pub due_date: Option<String>,
    /// `knownRansomwareCampaignUse` is `Known`.
    pub known_ransomware: bool,
}

/// An EPSS score (model version and score date are in [`Status::sources`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Epss {
    pub cve: String,
    pub score: f64,
    pub percentile: f64,
}

/// What to look up.
#[derive(Debug, Clone, Copy)]
pub struct Lookup<'a> {
    /// A full ecosystem (`Debian:12`, `PyPI`) or, with `whole_base`, a base (`Debian`).
    pub ecosystem: &'a str,
    /// The package name as the inventory has it; normalized before the lookup.
    pub name: &'a str,
    /// Match every ecosystem with this base (`Ubuntu` finds `Ubuntu:22.04:LTS` and
    /// `Ubuntu:Pro:22.04:LTS`; `Maven` finds `Maven:https://…` too).
    pub whole_base: bool,
    /// Return withdrawn records too (never counted as matches by the matcher).
    pub include_withdrawn: bool,
}

/// One row of `sources`.
#[derive(Debug, Clone, Serialize)]
pub struct SourceInfo {
    pub name: String,
    /// `osv`, `kev` or `epss`.
    pub kind: String,
    pub url: Option<String>,
    pub state: Option<SourceState>,
    pub records: u64,
    pub fetched_at: Option<String>,
    /// KEV `catalog_version`/`date_released`, EPSS `model_version`/`score_date`.
    pub details: Option<serde_json::Value>,
}

/// What `db status` shows.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub path: PathBuf,
    pub schema_version: u32,
    pub built_at: Option<String>,
    pub records: u64,
    pub withdrawn: u64,
    pub kev_entries: u64,
    pub epss_scores: u64,
    pub sources: Vec<SourceInfo>,
    /// Records per full ecosystem (`Debian:12`), sorted by ecosystem.
    pub ecosystems: Vec<(String, u64)>,
}

/// The part of [`Status`] a scan report needs (see [`Db::scan_info`]).
#[derive(Debug, Clone, Serialize)]
pub struct ScanInfo {
    pub schema_version: u32,
    pub built_at: Option<String>,
    /// Records, withdrawn ones included.
    pub records: u64,
    pub sources: Vec<SourceInfo>,
}

/// A blocklist that names a file's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlocklistHit {
    /// The name the list gives the file (a malware family), if any.
    pub name: Option<String>,
    /// The list's `sources.name`: `blocklist:<absolute path>`.
    pub source: String,
}

/// A database opened read-only.
pub struct Db {
    conn: Connection,
    path: PathBuf,
}

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// The columns `record_row` reads, in its order; a macro so the statements below are
/// constants rather than strings formatted on every lookup.
macro_rules! record_select {
    () => {
        "SELECT r.id, r.modified, r.published, r.withdrawn, r.summary, r.aliases, r.upstream, \
         r.related, r.severity, r.severity_label, r.max_cvss, r.database_specific FROM records r "
    };
}
const RECORD_BY_RID: &str = concat!(record_select!(), "WHERE r.rid = ?1");
const RECORD_BY_ID: &str = concat!(record_select!(), "WHERE r.id = ?1");

impl Db {
    /// Opens a database read-only, refusing files that are not SQLite, not a plimsoll
    /// database, or of another schema version.
    pub fn open(path: &Path) -> Result<Db> {
        let mut head = [0u8; 16];
        let mut f = std::fs::File::open(path).at(path)?;
        let n = read_up_to(&mut f, &mut head).at(path)?;
        if n < 16 || &head != SQLITE_MAGIC {
            return Err(Error::NotSqlite {
                path: path.to_owned(),
            });
        }
        drop(f);
        let conn = Connection::open_with_flags(
            uri_for(path),
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .at(path)?;
        conn.set_prepared_statement_cache_capacity(32);
        // Map the whole file (SQLite clamps this to its compile-time maximum, 2 GiB): with the
        // 256 MiB mapped before, lookups on a 360 MiB database paid a pread per page beyond it,
        // and a batch of 1,000 lookups (8,179 advisories) took 126 ms rather than 97 ms.
        let _ = conn.execute_batch("PRAGMA mmap_size=17179869184;");
        let version: Option<String> = conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| Error::NotPlimsoll {
                path: path.to_owned(),
                reason: format!("no readable `meta` table ({e})"),
            })?;
        let Some(version) = version else {
            return Err(Error::NotPlimsoll {
                path: path.to_owned(),
                reason: "no schema_version in `meta`".into(),
            });
        };
        let found: u32 = version.trim().parse().map_err(|_| Error::NotPlimsoll {
            path: path.to_owned(),
            reason: format!("schema_version {version:?} is not a number"),
        })?;
        if found > SCHEMA_VERSION {
            return Err(Error::NewerSchema {
                path: path.to_owned(),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        if found < SCHEMA_VERSION {
            return Err(Error::OlderSchema {
                path: path.to_owned(),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        Ok(Db {
            conn,
            path: path.to_owned(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection, for lookups kept in their own modules (`cpe`).
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The non-withdrawn advisories for a package in exactly this ecosystem (`Debian:12`,
    /// `PyPI`), the name normalized with [`normalize_name`].
    pub fn advisories(&self, ecosystem: &str, name: &str) -> Result<Vec<Advisory>> {
        self.lookup(&Lookup {
            ecosystem,
            name,
            whole_base: false,
            include_withdrawn: false,
        })
    }

    /// A lookup with every option; results are sorted by record id.
    pub fn lookup(&self, q: &Lookup<'_>) -> Result<Vec<Advisory>> {
        let name = normalize_name(q.ecosystem, q.name);
        let base = base_ecosystem(q.ecosystem);
        // Two simple statements rather than one join: SQLite runs the join ~20 µs slower per
        // call even when nothing matches (measured), and most lookups of a scan match nothing.
        let mut stmt = if q.whole_base {
            self.conn
                .prepare_cached("SELECT rid, ecosystem, name, entries FROM affected WHERE name = ?1 AND base_ecosystem = ?2")
        } else {
            self.conn.prepare_cached(
                "SELECT rid, ecosystem, name, entries FROM affected \
                 WHERE name = ?1 AND base_ecosystem = ?2 AND ecosystem = ?3",
            )
        }
        .at(&self.path)?;
        let map = |r: &Row<'_>| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        };
        let rows: Vec<(i64, String, String, String)> = if q.whole_base {
            stmt.query_map(rusqlite::params![name, base], map)
                .and_then(|rows| rows.collect())
        } else {
            stmt.query_map(rusqlite::params![name, base, q.ecosystem], map)
                .and_then(|rows| rows.collect())
        }
        .at(&self.path)?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let corrupt = |reason: String| Error::NotPlimsoll {
            path: self.path.clone(),
            reason,
        };
        let mut rec_stmt = self.conn.prepare_cached(RECORD_BY_RID).at(&self.path)?;
        let mut out = Vec::with_capacity(rows.len());
        for (rid, ecosystem, name, entries) in rows {
            let Some(record) = rec_stmt
                .query_row([rid], record_row)
                .optional()
                .at(&self.path)?
            else {
                continue;
            };
            let record = record.map_err(corrupt)?;
            if record.withdrawn.is_some() && !q.include_withdrawn {
                continue;
            }
            let affected = serde_json::from_str::<Vec<Affected>>(&entries).map_err(|e| {
                corrupt(format!(
                    "record {}: bad affected JSON in the database: {e}",
                    record.id
                ))
            })?;
            out.push(Advisory {
                record,
                ecosystem,
                name,
                affected,
            });
        }
        out.sort_by(|a, b| (&a.record.id, &a.ecosystem).cmp(&(&b.record.id, &b.ecosystem)));
        Ok(out)
    }

    /// SQLite's `PRAGMA quick_check` over the whole file: an error naming the first problem
    /// when the file is damaged. Reads every page, so it is for imports, not scans.
    pub fn quick_check(&self) -> Result<()> {
        let check: String = self
            .conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .at(&self.path)?;
        if check == "ok" {
            Ok(())
        } else {
            Err(Error::NotPlimsoll {
                path: self.path.clone(),
                reason: format!("failed SQLite's integrity check: {check}"),
            })
        }
    }

    /// One record by id (withdrawn or not), without its affected entries.
    pub fn record(&self, id: &str) -> Result<Option<Record>> {
        let r = self
            .conn
            .prepare_cached(RECORD_BY_ID)
            .and_then(|mut s| s.query_row([id], record_row).optional())
            .at(&self.path)?;
        r.transpose().map_err(|reason| Error::NotPlimsoll {
            path: self.path.clone(),
            reason,
        })
    }

    /// Ids of the records that name `alias` in `aliases` or `upstream` (e.g. the GHSA,
    /// PYSEC and DEBIAN-CVE records of one CVE), sorted.
    pub fn ids_by_alias(&self, alias: &str) -> Result<Vec<String>> {
        self.conn
            .prepare_cached(
                "SELECT DISTINCT r.id FROM record_aliases x JOIN records r ON r.rid = x.rid \
                 WHERE x.alias = ?1 ORDER BY r.id",
            )
            .and_then(|mut s| s.query_map([alias], |r| r.get(0))?.collect())
            .at(&self.path)
    }

    /// The KEV entry of a CVE, if it is in the catalog.
    pub fn kev(&self, cve: &str) -> Result<Option<Kev>> {
        self.conn
            .prepare_cached(
                "SELECT cve, vendor_project, product, vulnerability_name, date_added, due_date, \
                 known_ransomware FROM kev WHERE cve = ?1",
            )
            .and_then(|mut s| {
                s.query_row([cve], |r| {
                    Ok(Kev {
                        cve: r.get(0)?,
                        vendor_project: r.get(1)?,
                        product: r.get(2)?,
                        vulnerability_name: r.get(3)?,
                        date_added: r.get(4)?,
                        due_date: r.get(5)?,
                        known_ransomware: r.get(6)?,
                    })
                })
                .optional()
            })
            .at(&self.path)
    }

    /// The blocklists that name a file's sha256 (64 lowercase hex digits), with the name
    /// each gives it. A database built before the `blocklist` table existed has none.
    pub fn blocklisted(&self, sha256: &str) -> Result<Vec<BlocklistHit>> {
        let has_table: bool = self
            .conn
            .prepare_cached(
                "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'blocklist'",
            )
            .and_then(|mut s| s.query_row([], |r| r.get(0)))
            .at(&self.path)?;
        if !has_table {
            return Ok(Vec::new());
        }
        self.conn
            .prepare_cached(
                "SELECT b.name, s.name FROM blocklist b JOIN sources s USING (sid) \
                 WHERE b.sha256 = ?1 ORDER BY s.name",
            )
            .and_then(|mut s| {
                s.query_map([sha256], |r| {
                    Ok(BlocklistHit {
                        name: r.get(0)?,
                        source: r.get(1)?,
                    })
                })?
                .collect()
            })
            .at(&self.path)
    }

    /// The EPSS score of a CVE.
    pub fn epss(&self, cve: &str) -> Result<Option<Epss>> {
        self.conn
            .prepare_cached("SELECT cve, score, percentile FROM epss WHERE cve = ?1")
            .and_then(|mut s| {
                s.query_row([cve], |r| {
                    Ok(Epss {
                        cve: r.get(0)?,
                        score: r.get(1)?,
                        percentile: r.get(2)?,
                    })
                })
                .optional()
            })
            .at(&self.path)
    }

    /// Sources, counts, schema version and build time.
    pub fn status(&self) -> Result<Status> {
        let c = &self.conn;
        let p = &self.path;
        let built_at = self.built_at()?;
        let count = |sql: &str| -> Result<u64> {
            c.query_row(sql, [], |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
                .at(p)
        };
        let records = count("SELECT count(*) FROM records")?;
        let withdrawn = count("SELECT count(*) FROM records WHERE withdrawn IS NOT NULL")?;
        let kev_entries = count("SELECT count(*) FROM kev")?;
        let epss_scores = count("SELECT count(*) FROM epss")?;
        let sources = self.sources()?;
        let ecosystems = self.ecosystems()?;
        Ok(Status {
            path: self.path.clone(),
            schema_version: SCHEMA_VERSION,
            built_at,
            records,
            withdrawn,
            kev_entries,
            epss_scores,
            sources,
            ecosystems,
        })
    }

    /// `meta.built_at`: when the database was last written.
    fn built_at(&self) -> Result<Option<String>> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = 'built_at'", [], |r| {
                r.get(0)
            })
            .optional()
            .at(&self.path)
    }

    /// Records per full ecosystem (`Debian:12`), sorted by ecosystem: the small
    /// `ecosystem_counts` table kept at build time, no scan of `affected`.
    pub fn ecosystems(&self) -> Result<Vec<(String, u64)>> {
        self.conn
            .prepare_cached("SELECT ecosystem, records FROM ecosystem_counts ORDER BY ecosystem")
            .and_then(|mut s| {
                s.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .at(&self.path)
    }

    /// The rows of `sources`, by name.
    pub fn sources(&self) -> Result<Vec<SourceInfo>> {
        let c = &self.conn;
        let p = &self.path;
        c
            .prepare("SELECT name, kind, url, state, records, fetched_at, details FROM sources ORDER BY name")
            .and_then(|mut s| {
                s.query_map([], |r| {
                    let state: Option<String> = r.get(3)?;
                    let details: Option<String> = r.get(6)?;
                    Ok(SourceInfo {
                        name: r.get(0)?,
                        kind: r.get(1)?,
                        url: r.get(2)?,
                        state: state.and_then(|s| serde_json::from_str(&s).ok()),
                        records: r.get::<_, i64>(4)? as u64,
                        fetched_at: r.get(5)?,
                        details: details.and_then(|s| serde_json::from_str(&s).ok()),
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .at(p)
    }

    /// What a scan report says about the database: [`Db::status`] without the counts that
    /// read whole tables (withdrawn records, KEV, EPSS). On a 200,000-record database those
    /// took 80 ms and mapped 245 MB of it into memory, at the start of every scan.
    pub fn scan_info(&self) -> Result<ScanInfo> {
        let c = &self.conn;
        let p = &self.path;
        let built_at = self.built_at()?;
        // Stored at build time; databases built before `meta.records` existed count it (from
        // the `records.id` index: still 6 MB read on 200,000 records, ~20 ms).
        let stored: Option<String> = c
            .query_row("SELECT value FROM meta WHERE key = 'records'", [], |r| {
                r.get(0)
            })
            .optional()
            .at(p)?;
        let records = match stored.and_then(|v| v.trim().parse::<u64>().ok()) {
            Some(n) => n,
            None => c
                .query_row("SELECT count(*) FROM records", [], |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
                .at(p)?,
        };
        Ok(ScanInfo {
            schema_version: SCHEMA_VERSION,
            built_at,
            records,
            sources: self.sources()?,
        })
    }
}

fn read_up_to(f: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// `file:` URI with `immutable=1`; every byte outside the unreserved set is percent-encoded
/// so paths with `?`, `#` or `%` stay paths.
fn uri_for(path: &Path) -> String {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    let mut uri = String::from("file:");
    for b in abs.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            uri.push(b as char);
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push_str("?immutable=1");
    uri
}

type Decoded<T> = std::result::Result<T, String>;

fn json_col<T: serde::de::DeserializeOwned + Default>(
    row: &Row<'_>,
    i: usize,
    what: &str,
) -> rusqlite::Result<Decoded<T>> {
    let text: Option<String> = row.get(i)?;
    Ok(match text {
        None => Ok(T::default()),
        Some(t) => {
            serde_json::from_str(&t).map_err(|e| format!("bad {what} JSON in the database: {e}"))
        }
    })
}

fn record_row(row: &Row<'_>) -> rusqlite::Result<Decoded<Record>> {
    let aliases = json_col::<Vec<String>>(row, 5, "aliases")?;
    let upstream = json_col::<Vec<String>>(row, 6, "upstream")?;
    let related = json_col::<Vec<String>>(row, 7, "related")?;
    let severity = json_col::<Vec<Severity>>(row, 8, "severity")?;
    let (aliases, upstream, related, severity) = match (aliases, upstream, related, severity) {
        (Ok(a), Ok(u), Ok(r), Ok(s)) => (a, u, r, s),
        (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), _) | (.., Err(e)) => return Ok(Err(e)),
    };
    Ok(Ok(Record {
        id: row.get(0)?,
        modified: row.get(1)?,
        published: row.get(2)?,
        withdrawn: row.get(3)?,
        summary: row.get(4)?,
        aliases,
        upstream,
        related,
        severity,
        severity_label: row.get(9)?,
        max_cvss: row.get(10)?,
        database_specific: row.get(11)?,
    }))
}
