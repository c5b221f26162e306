//! The scan engine: one call from a source and settled [`ScanSettings`] to a finished
//! [`Report`].
//!
//! [`scan`] opens the source (an image, a directory or an SBOM), collects every analyzer's
//! interests and inspectors, makes one walk of the layers (through the layer cache), runs
//! the analyzers over their shares of it, then matches the packages against the
//! vulnerability database, applies suppressions, tells the base image apart, scores risk
//! and decides the gate. A front end (the `plimsoll` binary, a server) resolves the
//! settings, calls [`scan`] and renders the report; no scan logic lives anywhere else.
//!
//! Order matters and is fixed here: VEX, then ignore files, then `--ignore-unfixed`, then
//! `--exclude-base-image` (last, so that an ignore entry for a base-image finding still
//! counts as used), then risk, then the policy or the `--exit-code` gate.

pub mod analyzer;
mod binaries;
pub mod db;
mod error;
pub mod hardening;
pub mod malware;
pub mod packages;
pub mod secrets;
pub mod settings;

pub use analyzer::{Analyzer, Input};
pub use error::{Result, ScanError};
pub use malware::{MalwareHash, MalwareSettings, YaraRules};
pub use settings::{
    DbSettings, GateSettings, Layers, ScanSettings, Scanner, Scanners, SecretSettings,
};

use plimsoll_image::{self as image, ImageScan, ImageSource, WalkOptions};
use plimsoll_model::{self as model, Report};
use std::path::PathBuf;
use std::sync::Arc;

/// What is scanned.
#[derive(Debug, Clone)]
pub enum Source {
    /// An image reference: a registry reference, `docker-archive:PATH`, `oci:DIR[:TAG]`…
    Image(String),
    /// A directory or unpacked root filesystem, read as one layer.
    Dir(PathBuf),
    /// An SBOM's bytes (CycloneDX or SPDX JSON), and what to call it.
    Sbom { name: String, bytes: Vec<u8> },
}

/// A finished scan.
pub struct Scanned {
    pub report: Report,
    /// The vulnerability database the scan matched against (`explain` reads it again).
    pub db: Option<plimsoll_vulndb::Db>,
    /// Layers that could not be read completely (corrupt, digest mismatch), each naming the
    /// input and the layer: the report covers everything else, and the scan's input was
    /// unreadable (exit 2).
    pub layer_errors: Vec<String>,
}

/// What a front end hears while a scan runs: notes for people and progress counters to
/// draw. Every method does nothing by default.
pub trait Observer: Sync {
    /// Something a person watching should know now (a database download starting).
    fn note(&self, _message: &str) {}
    /// The walk of `layers` layers of `bytes` stored bytes starts; counters returned here
    /// are updated as blobs stream.
    fn walk_started(&self, _bytes: u64, _layers: usize) -> Option<Arc<image::walker::Progress>> {
        None
    }
    fn walk_finished(&self) {}
    /// A database download starts; `progress` is updated as it goes.
    fn download_started(&self, _progress: Arc<plimsoll_vulndb::fetch::Progress>) {}
    fn download_finished(&self) {}
}

/// An observer that hears nothing.
pub struct Silent;

impl Observer for Silent {}

/// `--exit-code`, `--policy` and `--ignore-unfixed` need a scanner whose findings they
/// judge.
pub const NEEDS_SCANNER: &str = "--exit-code, --policy and --ignore-unfixed judge findings, \
     which --scanners none does not look for: drop --scanners none";

/// The analyzers the settings ask for, in a fixed order (their findings and warnings come
/// out in this order).
pub fn analyzers(s: &ScanSettings) -> Vec<Box<dyn Analyzer>> {
    let all = s.layers == Layers::All;
    let mut v: Vec<Box<dyn Analyzer>> = vec![Box::new(packages::Packages::new(all))];
    if s.scanners.has(Scanner::Secret) {
        let rules = s
            .secrets
            .rules
            .clone()
            .unwrap_or_else(|| Arc::new(plimsoll_secret::Scanner::builtin()));
        v.push(Box::new(secrets::Secrets::new(
            rules,
            s.secrets.max_file_size,
        )));
    }
    if s.scanners.has(Scanner::Misconfig) {
        v.push(Box::new(hardening::Hardening::new(s.hardening.clone())));
    }
    if s.scanners.has(Scanner::Malware) {
        v.push(Box::new(malware::Malware::new(s.malware.clone())));
    }
    v
}

/// Scans `source` as `settings` say. Errors are the input's (exit 2) or internal; a layer
/// that could not be read is not an error but is named in [`Scanned::layer_errors`].
pub fn scan(source: &Source, settings: &ScanSettings, observer: &dyn Observer) -> Result<Scanned> {
    let s = settings;
    let vulns = s.scanners.has(Scanner::Vuln);
    // OSV's malicious-package records are in the vulnerability database too.
    let needs_db = vulns || s.scanners.has(Scanner::Malware);
    let judges = s.gate.enabled || s.policy.is_some() || s.suppressions.ignore_unfixed;
    if judges && s.scanners.is_empty() {
        return Err(ScanError::Input(NEEDS_SCANNER.into()));
    }
    // The database is settled before anything is read: a bad --db, or --offline without
    // a database, fails before any download.
    let prepared = if needs_db {
        Some(db::prepare(s)?)
    } else {
        None
    };
    let analyzers = analyzers(s);
    let (mut report, layer_errors) = match source {
        Source::Image(reference) => scan_image(reference, &analyzers, s, observer)?,
        Source::Dir(dir) => scan_dir(dir, &analyzers, s)?,
        Source::Sbom { name, bytes } => {
            let sbom = plimsoll_report::read_sbom_full(bytes)
                .map_err(|e| ScanError::Input(format!("{name}: {e}")))?;
            // Packages an SBOM of `--layers all` marks removed stay apart, as in the scan
            // that wrote it.
            let (removed, packages): (Vec<model::Package>, Vec<model::Package>) = sbom
                .packages
                .into_iter()
                .partition(|p| p.removed_in_layer.is_some());
            let report = Report {
                packages,
                removed_packages: removed,
                warnings: sbom.warnings,
                ..Report::new(model::Artifact {
                    os: sbom.os,
                    ..model::Artifact::new(
                        name.clone(),
                        model::ArtifactKind::Sbom,
                        sbom.format.name(),
                    )
                })
            };
            (report, Vec::new())
        }
    };
    let db = match prepared {
        Some(p) => match_vulnerabilities(&mut report, p, s, observer)?,
        None => None,
    };
    for a in &analyzers {
        a.matched(db.as_ref(), &mut report);
    }
    // Nothing looked for, nothing to judge (`--scanners none`: the inventory alone).
    if !s.scanners.is_empty() {
        judge(&mut report, s);
    }
    Ok(Scanned {
        report,
        db,
        layer_errors,
    })
}

/// Opens the image (and `--base-image`), walks it once for every analyzer, and runs them.
fn scan_image(
    reference: &str,
    analyzers: &[Box<dyn Analyzer>],
    s: &ScanSettings,
    observer: &dyn Observer,
) -> Result<(Report, Vec<String>)> {
    let source = ImageSource::parse(reference).map_err(ScanError::input)?;
    let img = image::open(reference, source, &s.open).map_err(ScanError::input)?;
    let base = match &s.base_image {
        Some(r) => {
            // Manifest and config only, for the scanned image's platform.
            let source = ImageSource::parse(r)
                .map_err(|e| ScanError::Input(format!("--base-image {r}: {e}")))?;
            let mut opts = s.open.clone();
            opts.platform = Some(img.platform.clone());
            Some(
                image::open(r, source, &opts)
                    .map_err(|e| ScanError::Input(format!("--base-image {r}: {e}")))?,
            )
        }
        None => None,
    };
    let (base_image, base_warnings) = image::base_image(&img, base.as_ref());
    drop(base);
    let (mut walk, shares) = walk_options(analyzers, s);
    let total: u64 = img.layers.iter().map(|l| l.size).sum();
    walk.progress = observer.walk_started(total, img.layers.len());
    let layers =
        (!s.open.no_cache && s.layer_cache).then(|| image::LayerCache::new(s.open.cache.dir()));
    let walked = image::scan_image_cached(&img, &walk, layers.as_ref());
    observer.walk_finished();
    let walked = walked.map_err(ScanError::input)?;
    let mut artifact = image::artifact(&img, &walked);
    // Analyzers mark what came with the base image: it is known before they run.
    artifact.base_image = base_image;
    let (mut report, errors) = analyze(analyzers, &shares, walked, Some(&img), artifact);
    report.warnings.extend(base_warnings);
    Ok((report, errors))
}

/// Walks a directory as one layer for every analyzer, and runs them.
fn scan_dir(
    dir: &std::path::Path,
    analyzers: &[Box<dyn Analyzer>],
    s: &ScanSettings,
) -> Result<(Report, Vec<String>)> {
    let (walk, shares) = walk_options(analyzers, s);
    let walked = image::scan_dir(dir, &walk).map_err(ScanError::input)?;
    let l = walked.layers.first().cloned().unwrap_or_default();
    let artifact = model::Artifact {
        layers: vec![model::Layer {
            index: 0,
            uncompressed_size: l.uncompressed_size,
            entries: l.entries,
            files_in_final: l.files_in_final,
            error: l.error.clone(),
            ..model::Layer::default()
        }],
        files: walked.tree.len() as u64,
        ..model::Artifact::new(
            dir.display().to_string(),
            model::ArtifactKind::Filesystem,
            "directory",
        )
    };
    Ok(analyze(analyzers, &shares, walked, None, artifact))
}

/// Each analyzer's ranges in the walk's lists of interests and inspectors.
struct Share {
    interests: std::ops::Range<usize>,
    inspectors: std::ops::Range<usize>,
}

/// One walk's options for every analyzer: their interests and inspectors one after
/// another, and where each analyzer's lie.
fn walk_options(analyzers: &[Box<dyn Analyzer>], s: &ScanSettings) -> (WalkOptions, Vec<Share>) {
    let mut walk = WalkOptions {
        limits: s.limits.clone(),
        ..WalkOptions::default()
    };
    let mut shares = Vec::new();
    for a in analyzers {
        let (i0, n0) = (walk.interests.len(), walk.inspectors.len());
        walk.interests.extend(a.interests());
        walk.inspectors.extend(a.inspectors());
        shares.push(Share {
            interests: i0..walk.interests.len(),
            inspectors: n0..walk.inspectors.len(),
        });
    }
    (walk, shares)
}

/// The report of a walk: the artifact, the walk's warnings and every analyzer's findings,
/// with the errors of the layers that could not be read.
fn analyze(
    analyzers: &[Box<dyn Analyzer>],
    shares: &[Share],
    mut walked: ImageScan,
    image: Option<&image::Image>,
    artifact: model::Artifact,
) -> (Report, Vec<String>) {
    let mut report = Report::new(artifact);
    report.warnings = std::mem::take(&mut walked.warnings);
    let owners = std::sync::OnceLock::new();
    for (a, share) in analyzers.iter().zip(shares) {
        let input = Input {
            walk: walked.view_of(share.interests.clone(), share.inspectors.clone()),
            image,
            owners: &owners,
        };
        a.analyze(&input, &mut report);
    }
    let errors = walked.layer_errors().map(|(_, e)| e.to_string()).collect();
    (report, errors)
}

/// Risk scores for the vulnerabilities of removed packages, highest first, as for the
/// others. No suppression applies to them (VEX and ignore files judge what ships in the
/// final filesystem); a policy rule with `removed: true` judges them, with its exceptions.
fn score_removed(report: &mut Report) {
    let image = plimsoll_policy::risk::ImageFacts::of(&report.artifact);
    for f in &mut report.removed_vulnerabilities {
        f.risk = Some(plimsoll_policy::risk::score(f, &image));
    }
    let key = |f: &model::Finding| f.risk.as_ref().map_or(0.0, |r| r.score);
    report
        .removed_vulnerabilities
        .sort_by(|a, b| key(b).total_cmp(&key(a)));
}

pub(crate) fn match_options(s: &ScanSettings) -> plimsoll_match::MatchOptions {
    plimsoll_match::MatchOptions {
        comprehensive: s.comprehensive,
    }
}

/// Downloads or refreshes the database as needed, matches the report's packages against
/// it and records which database it was.
fn match_vulnerabilities(
    report: &mut Report,
    prepared: db::Prepared,
    s: &ScanSettings,
    observer: &dyn Observer,
) -> Result<Option<plimsoll_vulndb::Db>> {
    let Some(o) = db::open(prepared, &report.packages, s, observer)? else {
        report.warnings.push(
            "no package belongs to an ecosystem with vulnerability data: nothing was matched, and no database was downloaded".into(),
        );
        return Ok(None);
    };
    let outcome =
        plimsoll_match::match_report(report, &o.db, &match_options(s)).map_err(ScanError::input)?;
    // Malicious packages are malware, not vulnerabilities: reported only by the malware
    // scanner, always CRITICAL, never waiting on a fix (so never hidden by
    // --ignore-unfixed, which judges vulnerabilities).
    let (malicious, vulnerabilities) = malware::split_malicious_packages(outcome.findings);
    if s.scanners.has(Scanner::Malware) {
        report.malware.extend(malicious);
    }
    if s.scanners.has(Scanner::Vuln) {
        report.vulnerabilities = vulnerabilities;
    }
    report.warnings.extend(o.warnings);
    report.warnings.extend(outcome.warnings);
    match_removed(report, &o.db, s)?;
    report.database = Some(o.info);
    report.mark_base_image();
    Ok(Some(o.db))
}

/// `--layers all`: the vulnerabilities of the packages later layers removed, into
/// `removed_vulnerabilities` (informational: apart from the gate's findings). Their
/// ecosystems do not count in `database.missing_data` (which fails gates); one the database
/// lacks is a warning.
fn match_removed(report: &mut Report, db: &plimsoll_vulndb::Db, s: &ScanSettings) -> Result<()> {
    if report.removed_packages.is_empty() {
        return Ok(());
    }
    let opts = match_options(s);
    let outcome = plimsoll_match::match_packages(
        &report.removed_packages,
        &report.artifact.layers,
        db,
        &opts,
    )
    .map_err(ScanError::input)?;
    report.removed_vulnerabilities = outcome.findings;
    report.warnings.extend(outcome.warnings);
    let missing = plimsoll_match::missing_data(&report.removed_packages, db, &opts)
        .map_err(ScanError::input)?;
    for m in missing {
        report.warnings.push(format!(
            "--layers all: the vulnerability database has no advisories for {m} among the packages later layers removed: those were not checked"
        ));
    }
    Ok(())
}

/// Suppression, base image, risk, then the gate.
fn judge(report: &mut Report, s: &ScanSettings) {
    // VEX, then ignore files, then --ignore-unfixed, then --exclude-base-image (last, so an
    // ignore entry for a base-image finding still counts as used, not stale).
    let today = plimsoll_policy::today_utc();
    s.suppressions.apply(report, today);
    if s.exclude_base_image {
        if report.artifact.base_image.is_none() {
            report.warnings.push(
                "--exclude-base-image: no base image could be told apart (pass --base-image REF), so no finding was excluded".into(),
            );
        }
        report.exclude_base_image();
    }
    plimsoll_policy::risk::score_report(report);
    score_removed(report);
    if let Some(p) = &s.policy {
        report.gate = Some(p.evaluate(report, today));
    } else if s.gate.enabled {
        report.gate = Some(plimsoll_policy::gate(report, &s.gate.severities));
    }
}
