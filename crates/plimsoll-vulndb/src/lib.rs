//! The vulnerability database: one SQLite file built from OSV records, CISA KEV and FIRST
//! EPSS, opened read-only when scanning.
//!
//! This crate owns the schema, the importers, the download of updates from an OSV-shaped
//! bucket (`fetch`), offline import and export, and lookups by (ecosystem, normalized package
//! name). It does not decide whether a package is affected: range evaluation lives in
//! `plimsoll-version::osv` and matching in `plimsoll-match`.
//!
//! - [`Builder`] writes a database into a temporary file next to the target and renames it
//!   into place only once it is complete and checked, so a crash or a concurrent scan never
//!   sees half a database, and a good database is never replaced by a broken one.
//! - [`Db`] opens a finished database read-only and answers the matcher's lookups.
//! - [`import_paths`] and [`export`] are the `db import` / `db export` entry points;
//!   [`cached_db_for`] builds a database from an OSV directory or zip on the fly.
//!
//! The layout is described for `sqlite3` users in `docs/db.md`.

mod build;
pub mod cpe;
mod db;
mod feeds;
pub use feeds::blocklist;
pub mod fetch;
mod import;
pub mod managed;
pub mod osv;
mod schema;
pub mod update;

pub use build::{Builder, ImportSummary, Limits, Skipped, osv_source_name};
pub use db::{Advisory, BlocklistHit, Db, Epss, Kev, Lookup, ScanInfo, SourceInfo, Status};
pub use feeds::nvd::{NvdDocument, NvdRecord, parse_nvd_document, parse_nvd_item};
pub use import::{EXPORT_MAGIC, InputKind, cached_db_for, export, import_paths, sniff};
pub use osv::{Affected, Record, Severity, base_ecosystem, normalize_name};
pub use schema::SCHEMA_VERSION;

use std::path::PathBuf;

/// Errors that stop an operation. Problems with single records are not errors: they are
/// reported in [`ImportSummary`] and the rest is imported.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: SQLite: {source}", path.display())]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("{}: not a SQLite database", path.display())]
    NotSqlite { path: PathBuf },
    #[error("{}: not a plimsoll vulnerability database: {reason}", path.display())]
    NotPlimsoll { path: PathBuf, reason: String },
    #[error(
        "{}: the database has schema version {found}, newer than this plimsoll reads ({supported}); upgrade plimsoll, or rebuild the database with this version (`plimsoll db update`)",
        path.display()
    )]
    NewerSchema {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error(
        "{}: the database has schema version {found}, older than this plimsoll reads ({supported}); rebuild it (`plimsoll db update`)",
        path.display()
    )]
    OlderSchema {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    /// An input file that cannot be imported at all (not a zip, not a known format, over a
    /// size limit...). `input` names the file and, where it applies, the archive entry.
    #[error("{input}: {reason}")]
    Input { input: String, reason: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

pub(crate) trait SqlCtx<T> {
    fn at(self, path: &std::path::Path) -> Result<T>;
}

impl<T> SqlCtx<T> for rusqlite::Result<T> {
    fn at(self, path: &std::path::Path) -> Result<T> {
        self.map_err(|source| Error::Sqlite {
            path: path.to_owned(),
            source,
        })
    }
}

pub(crate) trait IoCtx<T> {
    fn at(self, path: &std::path::Path) -> Result<T>;
}

impl<T> IoCtx<T> for std::io::Result<T> {
    fn at(self, path: &std::path::Path) -> Result<T> {
        self.map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })
    }
}

/// Now, as RFC 3339 UTC to the second.
pub(crate) fn now_rfc3339() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| jiff::Timestamp::now().to_string())
}

/// How long ago an RFC 3339 timestamp was (zero if it is in the future); `None` if it does
/// not parse.
pub fn age(rfc3339: &str) -> Option<std::time::Duration> {
    let t: jiff::Timestamp = rfc3339.parse().ok()?;
    let secs = jiff::Timestamp::now().as_second() - t.as_second();
    Some(std::time::Duration::from_secs(secs.max(0) as u64))
}
