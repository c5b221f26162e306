//! The vulnerability database of a scan: settled before the image is read (so that a bad
//! `--db`, or `--offline` without a database, fails before any download), then opened —
//! and, for plimsoll's managed database, downloaded or refreshed by the rules of
//! [`plimsoll_vulndb::managed`] — once the packages are known.

use crate::Observer;
use crate::error::{Result, ScanError};
use crate::settings::{DbSettings, ScanSettings};
use plimsoll_model::{DatabaseInfo, DatabaseSource, Package};
use plimsoll_vulndb::{self as vulndb, fetch, managed};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// What a scan says about the database it used.
pub struct Opened {
    pub db: vulndb::Db,
    pub info: DatabaseInfo,
    pub warnings: Vec<String>,
}

/// The database a scan will read.
pub enum Prepared {
    /// The database named with `--db` (a database file, or an OSV directory, zip or JSON
    /// file imported on the fly): the user's data, used as it is and never refreshed.
    Given(Box<Opened>),
    /// plimsoll's own database, `<cache>/db/plimsoll.db`: downloaded when missing,
    /// refreshed when a day old or lacking an ecosystem the scan needs, unless `--offline`.
    Managed {
        path: PathBuf,
        /// The database as it is, opened (and so checked) early; `None` when missing.
        db: Option<vulndb::Db>,
    },
}

/// The managed database's file in a cache directory.
pub fn managed_path(cache_dir: &Path) -> PathBuf {
    cache_dir.join("db").join("plimsoll.db")
}

/// Settles the database of a scan that looks for vulnerabilities.
pub fn prepare(s: &ScanSettings) -> Result<Prepared> {
    if let Some(given) = &s.db.given {
        return Ok(Prepared::Given(Box::new(open_given(
            given,
            &s.cache_dir,
            s.db.max_age,
        )?)));
    }
    let path = managed_path(&s.cache_dir);
    if path.exists() {
        let db = vulndb::Db::open(&path).map_err(ScanError::input)?;
        return Ok(Prepared::Managed { path, db: Some(db) });
    }
    if s.db.offline {
        return Err(ScanError::Input(format!(
            "no vulnerability database at {}, and --offline forbids downloading one: run `plimsoll db update` first (or `plimsoll db import FILE…` on a machine without network), give --db PATH, or scan without the vuln scanner",
            path.display()
        )));
    }
    Ok(Prepared::Managed { path, db: None })
}

/// Opens the database of a scan whose packages are known: a managed database is first
/// downloaded or refreshed as needed. A refresh that fails leaves the database as it was
/// and becomes a warning; a first download that fails is an error, since a scan without
/// data would look clean. `None` when there is no database and nothing to fetch (no
/// package of an ecosystem OSV publishes).
pub fn open(
    prepared: Prepared,
    packages: &[Package],
    s: &ScanSettings,
    observer: &dyn Observer,
) -> Result<Option<Opened>> {
    let opts = crate::match_options(s);
    let (path, mut db) = match prepared {
        Prepared::Given(o) => return Ok(Some(check_coverage(*o, packages, s)?)),
        Prepared::Managed { path, db } => (path, db),
    };
    let exists = db.is_some();
    let needed: Vec<String> = plimsoll_match::needed_ecosystems(packages, &opts)
        .into_iter()
        .collect();
    let current = match &db {
        Some(d) => Some((
            d.scan_info().map_err(ScanError::input)?,
            d.ecosystems().map_err(ScanError::input)?,
        )),
        None => None,
    };
    let plan = managed::refresh_plan(current.as_ref().map(|(i, e)| (i, e.as_slice())), &needed);
    let mut warnings = Vec::new();
    match plan {
        // Nothing of OSV to fetch (no package of an ecosystem OSV publishes).
        Some(r) if r.ecosystems.is_empty() && !exists => {
            refuse_unchecked_gate(packages, s)?;
            return Ok(None);
        }
        Some(r) if r.ecosystems.is_empty() => {}
        Some(r) if s.db.offline => warnings.push(format!("{}; not refreshed (--offline)", r.why)),
        Some(r) => {
            observer.note(&format!(
                "{}: fetching {} into {}",
                r.why,
                r.ecosystems.join(", "),
                path.display()
            ));
            let progress = Arc::new(fetch::Progress::default());
            let client = fetch::Client::new(fetch::FetchOptions {
                osv_base_url: s.db.osv_url.trim_end_matches('/').to_string(),
                // A scan should not wait long for a refresh it can do without.
                attempts: if exists { 2 } else { 3 },
                ..fetch::FetchOptions::default()
            })
            .with_progress(progress.clone());
            let uopts = vulndb::update::UpdateOptions {
                ecosystems: r.ecosystems.clone(),
                kev_url: Some(s.db.kev_url.clone()),
                epss_url: Some(s.db.epss_url.clone()),
            };
            observer.download_started(progress);
            let result = vulndb::update::update(&path, &client, &uopts);
            observer.download_finished();
            // The update renamed a new file into place (or left the old one): read that.
            db = None;
            match result {
                Ok(rep) => {
                    for (source, error) in rep.failures() {
                        warnings.push(format!(
                            "vulnerability data: {source} could not be updated ({error}); it keeps its previous data"
                        ));
                    }
                }
                Err(e) if exists => warnings.push(format!(
                    "the vulnerability database {} could not be refreshed ({e}); scanning with the data it has",
                    path.display()
                )),
                Err(e) => {
                    return Err(ScanError::Input(format!(
                        "could not download the vulnerability database into {}: {e} (on a machine without network: `plimsoll db import FILE…`, then scan with --offline)",
                        path.display()
                    )));
                }
            }
        }
        None => {}
    }
    let db = match db {
        Some(d) => d,
        None => vulndb::Db::open(&path).map_err(ScanError::input)?,
    };
    let mut opened = describe(db, &path, s.db.max_age)?;
    warnings.append(&mut opened.warnings);
    opened.warnings = warnings;
    Ok(Some(check_coverage(opened, packages, s)?))
}

/// Whether the scan has a gate that missing data fails.
fn has_gate(s: &ScanSettings) -> bool {
    s.gate.enabled || s.policy.is_some()
}

/// Records which ecosystems the packages need that the database has no advisories for
/// (`plimsoll_match::coverage`), each with a warning: those packages were not checked, and
/// every gate fails for it unless `--allow-missing-data` accepts it.
fn check_coverage(mut o: Opened, packages: &[Package], s: &ScanSettings) -> Result<Opened> {
    let missing = plimsoll_match::missing_data(packages, &o.db, &crate::match_options(s))
        .map_err(ScanError::input)?;
    let DbSettings {
        allow_missing_data, ..
    } = s.db;
    for m in &missing {
        let consequence = if allow_missing_data {
            "; accepted by --allow-missing-data"
        } else if has_gate(s) {
            "; the gate fails for it (--allow-missing-data accepts it)"
        } else {
            ""
        };
        o.warnings.push(format!(
            "NOT CHECKED: the vulnerability database {} has no advisories for {m}: those packages were not checked for vulnerabilities{consequence}",
            o.info.path
        ));
    }
    o.info.missing_data_allowed = allow_missing_data && !missing.is_empty();
    o.info.missing_data = missing;
    Ok(o)
}

/// With no database and nothing `db update` could fetch for these packages (Photon OS, say),
/// a gate would judge packages nobody checked: refused unless `--allow-missing-data`.
fn refuse_unchecked_gate(packages: &[Package], s: &ScanSettings) -> Result<()> {
    if !has_gate(s) || s.db.allow_missing_data {
        return Ok(());
    }
    let missing = plimsoll_match::coverage::missing_in(packages, &[], &crate::match_options(s));
    if missing.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = missing.iter().map(ToString::to_string).collect();
    Err(ScanError::Input(format!(
        "no vulnerability data for {}, and `db update` fetches none for it: the gate cannot judge packages it could not check (import their advisories with `plimsoll db import`, or accept the gap with --allow-missing-data)",
        list.join(", ")
    )))
}

/// Opens the database given to a scan with `--db`: a database file, or an OSV directory,
/// zip or JSON file imported on the fly into `<cache dir>/db/osv/` (reused while unchanged).
/// Warns when it is older than `max_age`.
pub fn open_given(path: &Path, cache_dir: &Path, max_age: Duration) -> Result<Opened> {
    let cache_db = cache_dir.join("db").join("osv");
    let (db_file, summary) = vulndb::cached_db_for(path, &cache_db).map_err(ScanError::input)?;
    let mut warnings = Vec::new();
    if let Some(s) = summary {
        for sk in s.skipped.iter() {
            warnings.push(format!("vulnerability data: skipped {sk}"));
        }
        for w in s.warnings.iter() {
            warnings.push(format!("vulnerability data: {w}"));
        }
    }
    let db = vulndb::Db::open(&db_file).map_err(ScanError::input)?;
    let mut opened = describe(db, path, max_age)?;
    // NVD's CPE criteria are data too (for binaries found by classification).
    if opened.info.records == 0 && !opened.db.has_cpe_data().map_err(ScanError::input)? {
        return Err(ScanError::Input(format!(
            "{}: the vulnerability database holds no advisory record: a scan against it would check nothing",
            path.display()
        )));
    }
    warnings.append(&mut opened.warnings);
    opened.warnings = warnings;
    Ok(opened)
}

/// What a report says about an opened database (`path` as the user knows it), with a
/// warning when it is older than `max_age`.
fn describe(db: vulndb::Db, path: &Path, max_age: Duration) -> Result<Opened> {
    let mut warnings = Vec::new();
    let st = db.scan_info().map_err(ScanError::input)?;
    let age = st.built_at.as_deref().and_then(vulndb::age);
    if let Some(age) = age
        && age > max_age
    {
        warnings.push(format!(
            "the vulnerability database {} was built {} ago, more than --db-max-age {}: run `plimsoll db update`",
            path.display(),
            managed::human_age(age),
            managed::human_age(max_age)
        ));
    }
    Ok(Opened {
        db,
        info: DatabaseInfo {
            path: path.display().to_string(),
            schema_version: st.schema_version,
            built_at: st.built_at.clone(),
            age_seconds: age.map(|a| a.as_secs()),
            records: st.records,
            sources: st
                .sources
                .iter()
                .map(|s| DatabaseSource {
                    name: s.name.clone(),
                    fetched_at: s.fetched_at.clone(),
                })
                .collect(),
            ..Default::default()
        },
        warnings,
    })
}
