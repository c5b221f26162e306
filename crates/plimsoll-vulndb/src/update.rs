//! `plimsoll db update`: fetch what changed since the last update ([`crate::fetch`]), apply
//! it to a copy of the database ([`Builder::update`]), and rename the copy into place.
//!
//! Each source is fetched completely before anything of it is applied, so a download that
//! fails midway leaves that source exactly as it was, with its saved state untouched: the
//! next update asks again from the same point. Sources that did succeed are still applied
//! and committed, since each is consistent on its own; the failures are returned so the
//! caller exits non-zero. An error while writing the copy aborts the whole update and the
//! database on disk stays as it was.

use crate::fetch::{self, Client, EcosystemUpdate};
use crate::{Builder, Error, ImportSummary, IoCtx, Result, osv_source_name};
use std::path::{Path, PathBuf};

/// The ecosystems `db update` fetches by default: those whose packages plimsoll catalogs
/// and whose data OSV publishes (Photon OS, Amazon and Oracle Linux publish none).
pub const DEFAULT_ECOSYSTEMS: &[&str] = &[
    "Debian",
    "Ubuntu",
    "Alpine",
    "Wolfi",
    "Chainguard",
    "Red Hat",
    "Rocky Linux",
    "AlmaLinux",
    "SUSE",
    "openSUSE",
    "Azure Linux",
    "PyPI",
    "npm",
    "Go",
    "Maven",
    "crates.io",
    "RubyGems",
    "NuGet",
    "Packagist",
    "Hex",
    "Pub",
];

/// `sources.name` of the KEV and EPSS feeds.
pub const KEV_SOURCE: &str = "kev";
pub const EPSS_SOURCE: &str = "epss";

/// What to update.
#[derive(Debug, Clone, Default)]
pub struct UpdateOptions {
    /// OSV ecosystems; empty means [`DEFAULT_ECOSYSTEMS`], `["all"]` every ecosystem the
    /// bucket's `ecosystems.txt` lists.
    pub ecosystems: Vec<String>,
    /// CISA KEV feed URL; `None` skips it.
    pub kev_url: Option<String>,
    /// FIRST EPSS CSV (gzip) URL; `None` skips it.
    pub epss_url: Option<String>,
}

/// How one source was brought up to date.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "how")]
pub enum Fetched {
    /// The whole `all.zip` (first update, or too many changes for record-by-record).
    Full,
    /// Only the records listed as changed in `modified_id.csv`.
    Incremental { records: usize },
    /// Nothing new (304 Not Modified, or no newer line).
    Unchanged,
    /// A whole feed document (KEV, EPSS).
    Document,
    /// The source failed; the message names it and why.
    Failed { error: String },
}

/// What an update did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct UpdateReport {
    /// The database written.
    pub path: PathBuf,
    /// Per source (`osv:PyPI`, `kev`, `epss`): how it was fetched.
    pub sources: Vec<(String, Fetched)>,
    pub summary: ImportSummary,
}

impl UpdateReport {
    /// The sources that failed, with their messages.
    pub fn failures(&self) -> impl Iterator<Item = (&str, &str)> {
        self.sources.iter().filter_map(|(s, f)| match f {
            Fetched::Failed { error } => Some((s.as_str(), error.as_str())),
            _ => None,
        })
    }
}

/// Brings the database at `target` (created if missing) up to date from the network.
/// Returns an error, leaving `target` as it was, when nothing could be fetched at all or
/// the copy could not be written.
pub fn update(target: &Path, client: &Client, opts: &UpdateOptions) -> Result<UpdateReport> {
    let ecosystems: Vec<String> = if opts.ecosystems.is_empty() {
        DEFAULT_ECOSYSTEMS.iter().map(|s| s.to_string()).collect()
    } else if opts.ecosystems.len() == 1 && opts.ecosystems[0].eq_ignore_ascii_case("all") {
        fetch::list_ecosystems(client).map_err(|e| Error::Input {
            input: client.options().osv_base_url.clone(),
            reason: e.to_string(),
        })?
    } else {
        opts.ecosystems.clone()
    };
    if let Some(dir) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).at(dir)?;
    }
    let mut builder = Builder::update(target)?;
    let tmp_parent = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".plimsoll-update.{}-", std::process::id()))
        .tempdir_in(tmp_parent)
        .at(tmp_parent)?;
    let mut report = UpdateReport {
        path: target.to_owned(),
        sources: Vec::new(),
        summary: ImportSummary::default(),
    };
    for eco in &ecosystems {
        let source = osv_source_name(eco);
        let prev = builder.source_state(&source)?;
        let fetched = match fetch::update_ecosystem(client, eco, prev.as_ref(), tmp.path()) {
            Ok(update) => {
                let how = match &update {
                    EcosystemUpdate::Unchanged { .. } => Fetched::Unchanged,
                    EcosystemUpdate::Full { .. } => Fetched::Full,
                    EcosystemUpdate::Changed { records, .. } => Fetched::Incremental {
                        records: records.len(),
                    },
                };
                report.summary.merge(builder.apply(&source, update)?);
                how
            }
            Err(e) => Fetched::Failed {
                error: e.to_string(),
            },
        };
        report.sources.push((source, fetched));
    }
    if let Some(url) = &opts.kev_url {
        let prev = builder.source_state(KEV_SOURCE)?;
        let max = builder.limits().max_feed_bytes;
        let fetched = match fetch::fetch_document(client, "CISA KEV", url, prev.as_ref(), max) {
            Ok(Some((bytes, state))) => {
                report
                    .summary
                    .merge(builder.import_kev(url, &bytes, Some(&state))?);
                Fetched::Document
            }
            Ok(None) => Fetched::Unchanged,
            Err(e) => Fetched::Failed {
                error: e.to_string(),
            },
        };
        report.sources.push((KEV_SOURCE.into(), fetched));
    }
    if let Some(url) = &opts.epss_url {
        let prev = builder.source_state(EPSS_SOURCE)?;
        // The gzip is a few MB; the bound applies to what it inflates to, in import_epss.
        let max = builder.limits().max_feed_bytes;
        let fetched = match fetch::fetch_document(client, "FIRST EPSS", url, prev.as_ref(), max) {
            Ok(Some((bytes, state))) => {
                // Served as a .csv.gz file; a mirror may hand out the plain CSV instead.
                let summary = if bytes.starts_with(&[0x1f, 0x8b]) {
                    let gz = flate2::read::MultiGzDecoder::new(&bytes[..]);
                    builder.import_epss(url, std::io::BufReader::new(gz), Some(&state))?
                } else {
                    builder.import_epss(url, &bytes[..], Some(&state))?
                };
                report.summary.merge(summary);
                Fetched::Document
            }
            Ok(None) => Fetched::Unchanged,
            Err(e) => Fetched::Failed {
                error: e.to_string(),
            },
        };
        report.sources.push((EPSS_SOURCE.into(), fetched));
    }
    let all_failed = report
        .sources
        .iter()
        .all(|(_, f)| matches!(f, Fetched::Failed { .. }));
    if all_failed && !report.sources.is_empty() {
        let why: Vec<String> = report.failures().map(|(_, e)| e.to_string()).collect();
        return Err(Error::Input {
            input: client.options().osv_base_url.clone(),
            reason: format!("nothing could be fetched: {}", why.join("; ")),
        });
    }
    report.path = builder.commit()?;
    Ok(report)
}
