//! The fleet view (`plimsoll explore REPORT.json…`): many native JSON reports, one per image,
//! read back and folded into the vulnerabilities that matter most across all of them and the
//! images ranked by risk. The offline form of a vulnerability explorer; `docs/explore.md`
//! documents the output and `docs/explore.schema.json` is its JSON Schema.
//!
//! The traps, and what this module does about them:
//!
//! - **One vulnerability, several ids.** One report names a finding `CVE-2024-35195`, another
//!   (scanned with an older database, before GHSA had the CVE) `GHSA-9wx4-h78v-vm56`. A
//!   finding is keyed by its id when it is a CVE, else by the one CVE among its aliases;
//!   a key that is not a CVE is then merged into the one key that lists it as an alias.
//!   An id that is the alias of two different vulnerabilities (a DSA that fixed several
//!   CVEs) merges nothing: that would make two vulnerabilities one.
//! - **The same image twice.** Reports with the same manifest digest are one image, counted
//!   once: the report scanned with the newest database (`database.built_at`) is kept, the
//!   first on the command line when that ties. Reports without a digest (directories,
//!   SBOMs) are each their own image.
//! - **Older reports without risk scores** are scored here with plimsoll-policy's formula,
//!   from their own findings and image facts, so every image ranks on the same scale.
//!
//! Everything here is pure: [`read_report`] parses bytes the caller read (with a size
//! limit), and [`Explorer`] folds reports in one at a time keeping only their findings (not
//! their packages or layers, so a fleet of large reports does not stay in memory) into a
//! [`Fleet`]. Rendering is not here: the fleet's JSON is its serde form, and its terminal
//! table is `plimsoll_report::explore::explore_table`, beside every other table.

use plimsoll_model::{
    EpssScore, Finding, FixStatus, OLDEST_READABLE_SCHEMA_VERSION, Report, SCHEMA_VERSION, Scanner,
    Severity, is_cve,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Version of the explore output (`docs/explore.md`). Bumped only when a field changes
/// meaning.
pub const EXPLORE_VERSION: u32 = 1;

/// Largest report `explore` reads by default: plimsoll's report of a large image with
/// thousands of packages is tens of MiB; this leaves room and still bounds memory.
pub const MAX_REPORT_SIZE: u64 = 512 << 20;

/// A finding at or above this risk counts as high risk (the images' tie-breaker).
pub const HIGH_RISK: f64 = 7.0;

/// Parses one native JSON report. `file` names it in errors: `FILE:LINE:COLUMN: message`
/// for JSON errors (with the field path when the JSON is well-formed but a field is not
/// what the report schema says), `FILE: message` for a report of another schema version or
/// no report at all. Findings without a risk score (reports written before risk scores
/// existed) are scored with the same formula a scan uses.
pub fn read_report(file: &str, bytes: &[u8]) -> Result<Report, String> {
    /// The one field read when the whole report does not parse: another version's report
    /// must be refused for its version, not for the first field that changed.
    #[derive(Deserialize)]
    struct Probe {
        schema_version: Option<u64>,
    }
    // A derived struct also deserializes from a JSON array: look at the first byte.
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        None => return Err(format!("{file}: empty file")),
        Some(b'{') => {}
        Some(_) => {
            serde_json::from_slice::<serde::de::IgnoredAny>(bytes)
                .map_err(|e| json_error(file, &e, ""))?;
            return Err(format!(
                "{file}: not a JSON object: not a plimsoll native JSON report"
            ));
        }
    }
    let mut report = match parse_report(file, bytes) {
        Ok(report) => match version_error(file, Some(u64::from(report.schema_version))) {
            Some(e) => return Err(e),
            None => report,
        },
        Err(e) => {
            let probe: Probe =
                serde_json::from_slice(bytes).map_err(|e| json_error(file, &e, ""))?;
            return Err(version_error(file, probe.schema_version).unwrap_or(e));
        }
    };
    plimsoll_policy::risk::score_unscored(&mut report);
    Ok(report)
}

/// The whole report, or the error in it with its field path.
fn parse_report(file: &str, bytes: &[u8]) -> Result<Report, String> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let report: Report = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." {
            String::new()
        } else {
            format!("{path}: ")
        };
        json_error(file, e.inner(), &path)
    })?;
    de.end().map_err(|e| json_error(file, &e, ""))?;
    Ok(report)
}

/// Why a report of `schema_version` is refused, or `None` when it is the one this
/// plimsoll reads.
fn version_error(file: &str, schema_version: Option<u64>) -> Option<String> {
    match schema_version {
        None => Some(format!(
            "{file}: no schema_version: not a plimsoll native JSON report (write one with \
             `plimsoll image REF -f json`)"
        )),
        Some(v)
            if !(u64::from(OLDEST_READABLE_SCHEMA_VERSION)..=u64::from(SCHEMA_VERSION))
                .contains(&v) =>
        {
            Some(format!(
                "{file}: schema_version {v} is not one this plimsoll reads (it reads \
                 schema_version {OLDEST_READABLE_SCHEMA_VERSION} to {SCHEMA_VERSION})"
            ))
        }
        Some(_) => None,
    }
}

/// `FILE:LINE:COLUMN: [PATH: ]message`, serde_json's own " at line L column C" suffix moved
/// to the front where editors and people look for it.
fn json_error(file: &str, e: &serde_json::Error, path: &str) -> String {
    let msg = e.to_string();
    let msg = match msg.rfind(" at line ") {
        Some(i) if e.line() > 0 => &msg[..i],
        _ => msg.as_str(),
    };
    if e.line() > 0 {
        format!("{file}:{}:{}: {path}{msg}", e.line(), e.column())
    } else {
        format!("{file}: {path}{msg}")
    }
}

/// What to keep and how much to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExploreOptions {
    /// Only findings of these severities count, everywhere (empty: all).
    pub severities: Vec<Severity>,
    /// List only the N vulnerabilities of highest risk (`None`: all).
    pub top: Option<usize>,
    /// List only the N images of highest risk (`None`: all).
    pub top_images: Option<usize>,
}

/// The fleet: what [`Explorer::finish`] returns, serialized as the JSON output.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Fleet {
    pub explore_version: u32,
    pub scanner: Scanner,
    pub summary: FleetSummary,
    /// The vulnerabilities of highest risk across all images, highest first.
    pub vulnerabilities: Vec<FleetVulnerability>,
    /// The images, highest risk first.
    pub images: Vec<FleetImage>,
    /// Reports of an image already counted (same digest), not counted again.
    pub duplicates: Vec<Duplicate>,
    /// Files that could not be explored, and why.
    pub unreadable: Vec<Unreadable>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FleetSummary {
    /// Reports read (duplicates included, unreadable files not).
    pub reports: usize,
    /// Distinct images (`reports` minus `duplicates`).
    pub images: usize,
    pub duplicates: usize,
    pub unreadable: usize,
    /// Findings counted over all images (one per vulnerability and package and image).
    pub findings: usize,
    /// Distinct vulnerabilities after merging aliases.
    pub vulnerabilities: usize,
    /// Distinct vulnerabilities by their highest severity.
    pub by_severity: SeverityCounts,
    /// How many of `vulnerabilities` and `images` are listed (`--top`, `--top-images`).
    pub vulnerabilities_listed: usize,
    pub images_listed: usize,
    /// The `--severity` filter; empty when every severity counts.
    pub severity_filter: Vec<Severity>,
}

/// Counts by severity, most severe first.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub struct SeverityCounts {
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub unknown: usize,
}

impl SeverityCounts {
    fn add(&mut self, s: Severity) {
        match s {
            Severity::Critical => self.critical += 1,
            Severity::High => self.high += 1,
            Severity::Medium => self.medium += 1,
            Severity::Low => self.low += 1,
            Severity::Unknown => self.unknown += 1,
        }
    }

    /// Critical, high, medium, low, unknown.
    pub fn as_array(&self) -> [usize; 5] {
        [
            self.critical,
            self.high,
            self.medium,
            self.low,
            self.unknown,
        ]
    }
}

/// One vulnerability across the fleet.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FleetVulnerability {
    /// The CVE when one is known, else the advisory id.
    pub id: String,
    /// Every other id any report gave it, sorted.
    pub aliases: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The highest risk of its findings, 0–10.
    pub risk: f64,
    /// The highest severity of its findings.
    pub severity: Severity,
    /// The highest CVSS base score of its findings.
    pub cvss_score: Option<f64>,
    pub kev: bool,
    /// The highest EPSS score of its findings.
    pub epss: Option<EpssScore>,
    /// Whether every finding of it has a released fix.
    pub fixed_everywhere: bool,
    /// Findings of it over all images.
    pub findings: usize,
    /// Images it affects (`images.len()`).
    pub image_count: usize,
    /// Each affected package version, with how many images have it.
    pub packages: Vec<VulnerablePackage>,
    /// The images it affects, highest risk first.
    pub images: Vec<AffectedImage>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct VulnerablePackage {
    pub name: String,
    pub installed_version: String,
    pub fixed_versions: Vec<String>,
    pub images: usize,
}

/// An image a vulnerability affects.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AffectedImage {
    /// The image's `rank` in `images[]` (which may be cut by `--top-images`).
    pub rank: usize,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// The highest risk of the vulnerability's findings in this image.
    pub risk: f64,
    /// True when every affected package came with the base image, false when at least one
    /// did not (the image's own layers bring it in), absent when the report could not tell.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_base_image: Option<bool>,
    pub packages: Vec<AffectedPackage>,
}

/// One finding of a vulnerability in one image.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AffectedPackage {
    pub name: String,
    pub installed_version: String,
    pub status: FixStatus,
    pub fixed_versions: Vec<String>,
    pub risk: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_base_image: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<usize>,
}

/// One image of the fleet and its risk.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FleetImage {
    /// 1 for the image of highest risk.
    pub rank: usize,
    /// The report file it came from (`-` for standard input).
    pub file: String,
    pub name: String,
    pub kind: plimsoll_model::ArtifactKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// `debian 12`, when the report detected it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    /// The image's risk: the highest risk of its findings (0 with none).
    pub risk: f64,
    /// Findings at or above risk [`HIGH_RISK`] (7.0): the first tie-breaker.
    pub high_risk_findings: usize,
    /// The sum of its findings' risks: the second tie-breaker.
    pub risk_sum: f64,
    pub findings: usize,
    /// Distinct vulnerabilities among its findings.
    pub vulnerabilities: usize,
    pub by_severity: SeverityCounts,
    /// Findings in CISA KEV.
    pub kev: usize,
    /// Findings with a released fix.
    pub fixable: usize,
    /// Findings whose package came with the base image; absent when the report could not
    /// tell base layers apart.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_base_image: Option<usize>,
    /// Findings the scan suppressed (not counted anywhere else).
    pub suppressed: usize,
}

/// A report of an image already counted.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Duplicate {
    pub file: String,
    pub name: String,
    pub digest: String,
    /// The file whose report was counted instead.
    pub kept: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Unreadable {
    pub file: String,
    pub error: String,
}

/// One image while the fleet is being read: its identity and its counted findings.
struct Image {
    file: String,
    name: String,
    kind: plimsoll_model::ArtifactKind,
    reference: Option<String>,
    digest: Option<String>,
    os: Option<String>,
    built_at: Option<String>,
    findings: Vec<Finding>,
    suppressed: usize,
    base_known: bool,
}

/// Folds reports into a [`Fleet`], one at a time.
pub struct Explorer {
    opts: ExploreOptions,
    images: Vec<Image>,
    by_digest: HashMap<String, usize>,
    /// (file, name, digest) of reports not counted.
    duplicates: Vec<(String, String, String)>,
    unreadable: Vec<Unreadable>,
    reports: usize,
}

impl Explorer {
    pub fn new(opts: ExploreOptions) -> Explorer {
        Explorer {
            opts,
            images: Vec::new(),
            by_digest: HashMap::new(),
            duplicates: Vec::new(),
            unreadable: Vec::new(),
            reports: 0,
        }
    }

    /// Adds the report read from `file` ([`read_report`] scores the findings an older report
    /// left unscored; a finding still without a risk score counts as 0).
    pub fn add(&mut self, file: &str, report: Report) {
        self.reports += 1;
        let a = report.artifact;
        let filter = &self.opts.severities;
        let image = Image {
            file: file.to_string(),
            name: a.name,
            kind: a.kind,
            reference: a.reference,
            digest: a.digest.clone(),
            os: a.os.map(|o| format!("{} {}", o.family, o.version)),
            built_at: report.database.and_then(|d| d.built_at),
            findings: report
                .vulnerabilities
                .into_iter()
                .filter(|f| filter.is_empty() || filter.contains(&f.severity))
                .collect(),
            suppressed: report.suppressed.len(),
            base_known: a.base_image.is_some(),
        };
        let Some(digest) = a.digest else {
            self.images.push(image);
            return;
        };
        match self.by_digest.get(&digest) {
            None => {
                self.by_digest.insert(digest, self.images.len());
                self.images.push(image);
            }
            Some(&i) => {
                // RFC 3339 UTC times as plimsoll writes them compare as strings.
                let newer = match (&image.built_at, &self.images[i].built_at) {
                    (Some(new), Some(old)) => new > old,
                    (Some(_), None) => true,
                    _ => false,
                };
                if newer {
                    let old = std::mem::replace(&mut self.images[i], image);
                    self.duplicates.push((old.file, old.name, digest));
                } else {
                    self.duplicates.push((image.file, image.name, digest));
                }
            }
        }
    }

    /// Records a file that could not be read or parsed; `error` names it.
    pub fn add_unreadable(&mut self, file: &str, error: &str) {
        self.unreadable.push(Unreadable {
            file: file.to_string(),
            error: error.to_string(),
        });
    }

    pub fn finish(self) -> Fleet {
        let Explorer {
            opts,
            images,
            by_digest,
            duplicates,
            unreadable,
            reports,
        } = self;
        let keys = vulnerability_keys(&images);

        // Images, ranked.
        let mut ranked: Vec<(usize, FleetImage)> = images
            .iter()
            .enumerate()
            .map(|(i, im)| {
                let mut by_severity = SeverityCounts::default();
                let mut distinct = BTreeSet::new();
                for (j, f) in im.findings.iter().enumerate() {
                    by_severity.add(f.severity);
                    distinct.insert(&keys[&(i, j)]);
                }
                let fleet_image = FleetImage {
                    rank: 0,
                    file: im.file.clone(),
                    name: im.name.clone(),
                    kind: im.kind,
                    reference: im.reference.clone(),
                    digest: im.digest.clone(),
                    os: im.os.clone(),
                    risk: im.findings.iter().map(risk).fold(0.0, f64::max),
                    high_risk_findings: im.findings.iter().filter(|f| risk(f) >= HIGH_RISK).count(),
                    risk_sum: round1(im.findings.iter().map(risk).sum()),
                    findings: im.findings.len(),
                    vulnerabilities: distinct.len(),
                    by_severity,
                    kev: im.findings.iter().filter(|f| f.kev).count(),
                    fixable: im
                        .findings
                        .iter()
                        .filter(|f| f.status == FixStatus::Fixed)
                        .count(),
                    in_base_image: (im.base_known
                        || im.findings.iter().any(|f| f.in_base_image.is_some()))
                    .then(|| {
                        im.findings
                            .iter()
                            .filter(|f| f.in_base_image == Some(true))
                            .count()
                    }),
                    suppressed: im.suppressed,
                };
                (i, fleet_image)
            })
            .collect();
        ranked.sort_by(|(_, a), (_, b)| {
            b.risk
                .total_cmp(&a.risk)
                .then(b.high_risk_findings.cmp(&a.high_risk_findings))
                .then(b.risk_sum.total_cmp(&a.risk_sum))
                .then_with(|| a.name.cmp(&b.name))
                .then_with(|| a.file.cmp(&b.file))
        });
        let mut rank_of = vec![0; images.len()];
        for (r, (i, im)) in ranked.iter_mut().enumerate() {
            im.rank = r + 1;
            rank_of[*i] = r + 1;
        }

        // Vulnerabilities: the findings of each key, image by image.
        let mut groups: BTreeMap<&str, Vec<(usize, &Finding)>> = BTreeMap::new();
        for (i, im) in images.iter().enumerate() {
            for (j, f) in im.findings.iter().enumerate() {
                groups.entry(&keys[&(i, j)]).or_default().push((i, f));
            }
        }
        let findings: usize = images.iter().map(|im| im.findings.len()).sum();
        let mut vulns: Vec<FleetVulnerability> = groups
            .into_iter()
            .map(|(key, fs)| vulnerability(key, &fs, &images, &rank_of))
            .collect();
        vulns.sort_by(|a, b| {
            b.risk
                .total_cmp(&a.risk)
                .then(b.image_count.cmp(&a.image_count))
                .then(b.kev.cmp(&a.kev))
                .then_with(|| {
                    let e = |v: &FleetVulnerability| v.epss.as_ref().map_or(-1.0, |e| e.score);
                    e(b).total_cmp(&e(a))
                })
                .then(b.severity.cmp(&a.severity))
                .then_with(|| a.id.cmp(&b.id))
        });
        let mut by_severity = SeverityCounts::default();
        for v in &vulns {
            by_severity.add(v.severity);
        }
        let total = vulns.len();
        if let Some(n) = opts.top {
            vulns.truncate(n);
        }
        let mut fleet_images: Vec<FleetImage> = ranked.into_iter().map(|(_, im)| im).collect();
        let image_total = fleet_images.len();
        if let Some(n) = opts.top_images {
            fleet_images.truncate(n);
        }
        let mut dups: Vec<Duplicate> = duplicates
            .into_iter()
            .map(|(file, name, digest)| Duplicate {
                kept: by_digest
                    .get(&digest)
                    .map(|&i| images[i].file.clone())
                    .unwrap_or_default(),
                file,
                name,
                digest,
            })
            .collect();
        dups.sort_by(|a, b| a.file.cmp(&b.file));
        Fleet {
            explore_version: EXPLORE_VERSION,
            scanner: Scanner::default(),
            summary: FleetSummary {
                reports,
                images: image_total,
                duplicates: dups.len(),
                unreadable: unreadable.len(),
                findings,
                vulnerabilities: total,
                by_severity,
                vulnerabilities_listed: vulns.len(),
                images_listed: fleet_images.len(),
                severity_filter: opts.severities.clone(),
            },
            vulnerabilities: vulns,
            images: fleet_images,
            duplicates: dups,
            unreadable,
        }
    }
}

/// A finding's risk score, 0 when it has none.
fn risk(f: &Finding) -> f64 {
    f.risk.as_ref().map_or(0.0, |r| r.score)
}

/// `x` to one decimal. `+ 0.0` turns `-0.0` (the sum of no findings' risks, as Rust adds
/// floats) into `0.0`, so an image without findings does not read `-0.0`.
fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0 + 0.0
}

/// Whether the part of an id before its first `-` is in capitals (`GHSA-9wx4-…`).
fn prefix_upper(id: &str) -> bool {
    let prefix = id.split('-').next().unwrap_or("");
    !prefix.chars().any(|c| c.is_ascii_lowercase())
}

/// The key (the vulnerability's display id) of every finding, by (image, finding) index.
///
/// First each finding's own key: its id when that is a CVE, else the single CVE among its
/// aliases, else its id. Then a key that is not a CVE and that exactly one other key lists
/// among its ids is merged into that key (one step: a GHSA id seen alone in an older report
/// joins the CVE a newer report gives it). Ids compare in any case, as
/// [`Finding::is_named`] does.
fn vulnerability_keys(images: &[Image]) -> HashMap<(usize, usize), String> {
    let own = |f: &Finding| -> String {
        if is_cve(&f.id) {
            return f.id.to_ascii_uppercase();
        }
        let mut cves: Vec<String> = f
            .aliases
            .iter()
            .filter(|a| is_cve(a))
            .map(|a| a.to_ascii_uppercase())
            .collect();
        cves.sort();
        cves.dedup();
        match cves.as_slice() {
            [one] => one.clone(),
            _ => f.id.to_ascii_uppercase(),
        }
    };
    // Upper-cased id -> the keys of findings listing it (as id or alias) under another key.
    let mut listed_by: HashMap<String, BTreeSet<String>> = HashMap::new();
    let mut keys = HashMap::new();
    for (i, im) in images.iter().enumerate() {
        for (j, f) in im.findings.iter().enumerate() {
            let k = own(f);
            for id in std::iter::once(&f.id).chain(&f.aliases) {
                let id = id.to_ascii_uppercase();
                if id != k {
                    listed_by.entry(id).or_default().insert(k.clone());
                }
            }
            keys.insert((i, j), k);
        }
    }
    for k in keys.values_mut() {
        if is_cve(k) {
            continue;
        }
        if let Some(others) = listed_by.get(k.as_str())
            && others.len() == 1
        {
            *k = others.first().cloned().unwrap_or_default();
        }
    }
    keys
}

/// One vulnerability from its findings (image index, finding).
fn vulnerability(
    key: &str,
    fs: &[(usize, &Finding)],
    images: &[Image],
    rank_of: &[usize],
) -> FleetVulnerability {
    // The display id as a report spelled it (GHSA ids are lower case after the prefix).
    let spellings = || {
        fs.iter()
            .flat_map(|(_, f)| std::iter::once(&f.id).chain(&f.aliases))
            .filter(|x| x.eq_ignore_ascii_case(key))
    };
    let id = spellings()
        .find(|x| prefix_upper(x))
        .or_else(|| spellings().next())
        .cloned()
        .unwrap_or_else(|| key.to_string());
    let mut aliases: BTreeMap<String, String> = BTreeMap::new();
    for (_, f) in fs {
        for a in std::iter::once(&f.id).chain(&f.aliases) {
            if !a.eq_ignore_ascii_case(key) {
                // One spelling per id: the first with its prefix in capitals (`GHSA-…`, as
                // the databases write it) over a report's lower-case one.
                let e = aliases
                    .entry(a.to_ascii_uppercase())
                    .or_insert_with(|| a.clone());
                if !prefix_upper(e) && prefix_upper(a) {
                    *e = a.clone();
                }
            }
        }
    }
    let mut aliases: Vec<String> = aliases.into_values().collect();
    aliases.sort();

    let mut per_image: BTreeMap<usize, Vec<&Finding>> = BTreeMap::new();
    for (i, f) in fs {
        per_image.entry(*i).or_default().push(f);
    }
    let mut affected: Vec<AffectedImage> = per_image
        .iter()
        .map(|(&i, fs)| {
            let im = &images[i];
            let mut packages: Vec<AffectedPackage> = fs
                .iter()
                .map(|f| AffectedPackage {
                    name: f.package_name.clone(),
                    installed_version: f.installed_version.clone(),
                    status: f.status,
                    fixed_versions: f.fixed_versions.clone(),
                    risk: risk(f),
                    in_base_image: f.in_base_image,
                    layer: f.layer,
                })
                .collect();
            packages.sort_by(|a, b| {
                (&a.name, &a.installed_version).cmp(&(&b.name, &b.installed_version))
            });
            let in_base_image = if fs.iter().any(|f| f.in_base_image == Some(false)) {
                Some(false)
            } else if fs.iter().all(|f| f.in_base_image == Some(true)) {
                Some(true)
            } else {
                None
            };
            AffectedImage {
                rank: rank_of[i],
                name: im.name.clone(),
                reference: im.reference.clone(),
                digest: im.digest.clone(),
                risk: fs.iter().copied().map(risk).fold(0.0, f64::max),
                in_base_image,
                packages,
            }
        })
        .collect();
    affected.sort_by(|a, b| b.risk.total_cmp(&a.risk).then(a.rank.cmp(&b.rank)));

    // (name, version) -> (fixed versions, images).
    type Versions<'a> = BTreeMap<(&'a str, &'a str), (BTreeSet<&'a str>, BTreeSet<usize>)>;
    let mut packages: Versions = BTreeMap::new();
    for (i, f) in fs {
        let e = packages
            .entry((&f.package_name, &f.installed_version))
            .or_default();
        e.0.extend(f.fixed_versions.iter().map(String::as_str));
        e.1.insert(*i);
    }
    let findings = fs.iter().map(|(_, f)| *f);
    FleetVulnerability {
        id,
        aliases,
        title: fs.iter().find_map(|(_, f)| f.title.clone()),
        risk: findings.clone().map(risk).fold(0.0, f64::max),
        severity: findings
            .clone()
            .map(|f| f.severity)
            .max()
            .unwrap_or_default(),
        cvss_score: findings
            .clone()
            .filter_map(|f| f.cvss.as_ref().map(|c| c.score))
            .reduce(f64::max),
        kev: findings.clone().any(|f| f.kev),
        epss: findings
            .clone()
            .filter_map(|f| f.epss.clone())
            .reduce(|a, b| if b.score > a.score { b } else { a }),
        fixed_everywhere: findings.clone().all(|f| f.status == FixStatus::Fixed),
        findings: fs.len(),
        image_count: affected.len(),
        packages: packages
            .into_iter()
            .map(|((name, version), (fixed, imgs))| VulnerablePackage {
                name: name.to_string(),
                installed_version: version.to_string(),
                fixed_versions: fixed.into_iter().map(str::to_string).collect(),
                images: imgs.len(),
            })
            .collect(),
        images: affected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_findings_sum_to_zero_not_minus_zero() {
        let none: f64 = std::iter::empty::<f64>().sum();
        assert_eq!(serde_json::to_string(&round1(none)).unwrap(), "0.0");
        assert_eq!(format!("{:.1}", round1(none)), "0.0");
        assert_eq!(round1(24.24), 24.2);
    }
    use plimsoll_model::{Artifact, ArtifactKind, Cvss, DatabaseInfo, Risk};

    const NET: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";

    /// A finding as the matcher writes it, scored `risk`.
    fn finding(id: &str, aliases: &[&str], package: &str, version: &str, risk: f64) -> Finding {
        Finding {
            id: id.into(),
            aliases: aliases.iter().map(|s| s.to_string()).collect(),
            package_id: format!("pkg:pypi/{package}@{version}"),
            package_name: package.into(),
            matched_ecosystem: "PyPI".into(),
            matched_name: package.into(),
            installed_version: version.into(),
            fixed_versions: vec!["99".into()],
            status: FixStatus::Fixed,
            severity: Severity::from_cvss(risk.min(10.0)),
            severity_source: Some("ghsa".into()),
            cvss: Some(Cvss {
                version: "3.1".into(),
                vector: NET.into(),
                score: risk,
            }),
            kev: false,
            epss: None,
            layer: Some(1),
            layer_created_by: None,
            path: None,
            data_source: id.into(),
            title: None,
            upstream_match: false,
            risk: Some(Risk {
                score: risk,
                factors: vec![],
            }),
            published: None,
            in_base_image: None,
            removed_in_layer: None,
        }
    }

    fn report(name: &str, digest: Option<&str>, findings: Vec<Finding>) -> Report {
        Report {
            vulnerabilities: findings,
            ..Report::new(Artifact {
                digest: digest.map(str::to_string),
                ..Artifact::new(name, ArtifactKind::ContainerImage, "registry")
            })
        }
    }

    #[test]
    fn reads_schema_versions_1_and_2_and_refuses_others() {
        let mut r = report(
            "demo:1",
            None,
            vec![finding("CVE-2023-4911", &[], "libc6", "2.36-9", 7.8)],
        );
        for v in [1, 2] {
            r.schema_version = v;
            let bytes = serde_json::to_vec(&r).unwrap();
            let back = read_report("r.json", &bytes).unwrap();
            assert_eq!(back.schema_version, v);
            assert_eq!(back.vulnerabilities.len(), 1);
        }
        for v in [0, 3] {
            r.schema_version = v;
            let e = read_report("r.json", &serde_json::to_vec(&r).unwrap()).unwrap_err();
            assert_eq!(
                e,
                format!(
                    "r.json: schema_version {v} is not one this plimsoll reads (it reads \
                     schema_version 1 to 2)"
                )
            );
        }
    }

    fn fleet(reports: Vec<(&str, Report)>, opts: ExploreOptions) -> Fleet {
        let mut e = Explorer::new(opts);
        for (file, r) in reports {
            e.add(file, r);
        }
        e.finish()
    }

    fn find<'a>(f: &'a Fleet, id: &str) -> &'a FleetVulnerability {
        f.vulnerabilities
            .iter()
            .find(|v| v.id == id)
            .unwrap_or_else(|| panic!("no {id}: {:#?}", f.vulnerabilities))
    }

    #[test]
    fn a_ghsa_id_without_its_cve_joins_the_cve_in_any_case() {
        let f = fleet(
            vec![
                (
                    "old.json",
                    report(
                        "web",
                        None,
                        vec![finding(
                            "ghsa-9wx4-h78v-vm56",
                            &[],
                            "requests",
                            "2.31.0",
                            5.6,
                        )],
                    ),
                ),
                (
                    "new.json",
                    report(
                        "api",
                        None,
                        vec![finding(
                            "CVE-2024-35195",
                            &["GHSA-9wx4-h78v-vm56"],
                            "requests",
                            "2.31.0",
                            6.1,
                        )],
                    ),
                ),
                // PYSEC's record names the CVE among its aliases: keyed by the CVE.
                (
                    "pysec.json",
                    report(
                        "worker",
                        None,
                        vec![finding(
                            "PYSEC-2024-60",
                            &["CVE-2024-3651", "GHSA-jjg7-2v4v-x38h"],
                            "idna",
                            "3.6",
                            7.5,
                        )],
                    ),
                ),
                (
                    "idna.json",
                    report(
                        "api2",
                        None,
                        vec![finding(
                            "CVE-2024-3651",
                            &["GHSA-jjg7-2v4v-x38h", "PYSEC-2024-60"],
                            "idna",
                            "3.6",
                            7.5,
                        )],
                    ),
                ),
            ],
            ExploreOptions::default(),
        );
        assert_eq!(f.summary.vulnerabilities, 2, "{:#?}", f.vulnerabilities);
        let r = find(&f, "CVE-2024-35195");
        assert_eq!(r.image_count, 2);
        assert_eq!(r.risk, 6.1);
        assert_eq!(r.aliases, ["GHSA-9wx4-h78v-vm56"]);
        let names: BTreeSet<&str> = r.images.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["api", "web"].into());
        assert_eq!(r.packages.len(), 1);
        assert_eq!(r.packages[0].images, 2);
        let idna = find(&f, "CVE-2024-3651");
        assert_eq!(idna.image_count, 2);
        assert_eq!(idna.aliases, ["GHSA-jjg7-2v4v-x38h", "PYSEC-2024-60"]);
    }

    #[test]
    fn an_advisory_of_several_cves_merges_nothing() {
        // DSA-5514-1 fixed CVE-2023-4911 and CVE-2023-4806 in glibc: both findings list it.
        let f = fleet(
            vec![
                (
                    "a.json",
                    report(
                        "a",
                        None,
                        vec![
                            finding("CVE-2023-4911", &["DSA-5514-1"], "libc6", "2.36-9", 7.8),
                            finding("CVE-2023-4806", &["DSA-5514-1"], "libc6", "2.36-9", 5.9),
                        ],
                    ),
                ),
                (
                    "b.json",
                    report(
                        "b",
                        None,
                        vec![finding("DSA-5514-1", &[], "libc6", "2.36-9", 7.8)],
                    ),
                ),
            ],
            ExploreOptions::default(),
        );
        let ids: BTreeSet<&str> = f.vulnerabilities.iter().map(|v| v.id.as_str()).collect();
        assert_eq!(ids, ["CVE-2023-4806", "CVE-2023-4911", "DSA-5514-1"].into());
        assert!(f.vulnerabilities.iter().all(|v| v.image_count == 1));
    }

    #[test]
    fn the_same_digest_counts_once_keeping_the_newest_database() {
        let d = "sha256:4d70a30a50b3ec0529ff7c3efa951fe00e0214276b37cedd73ed46a06b4c93ef";
        let with_db = |built: &str, fs: Vec<Finding>| Report {
            database: Some(DatabaseInfo {
                path: "db".into(),
                schema_version: 1,
                built_at: Some(built.into()),
                age_seconds: None,
                records: 1,
                sources: vec![],
                ..Default::default()
            }),
            ..report("demo:1", Some(d), fs)
        };
        let one = finding("CVE-2023-5678", &[], "libssl3", "3.0.11", 3.5);
        let two = finding("CVE-2024-35195", &[], "requests", "2.31.0", 5.1);
        let f = fleet(
            vec![
                (
                    "monday.json",
                    with_db("2026-11-30T00:00:00Z", vec![one.clone()]),
                ),
                (
                    "tuesday.json",
                    with_db("2026-12-01T00:00:00Z", vec![one.clone(), two.clone()]),
                ),
                (
                    "again.json",
                    with_db("2026-12-01T00:00:00Z", vec![one.clone()]),
                ),
            ],
            ExploreOptions::default(),
        );
        assert_eq!((f.summary.reports, f.summary.images), (3, 1));
        assert_eq!(f.images[0].file, "tuesday.json");
        assert_eq!(f.images[0].findings, 2);
        let dups: Vec<(&str, &str)> = f
            .duplicates
            .iter()
            .map(|d| (d.file.as_str(), d.kept.as_str()))
            .collect();
        // Tuesday's report replaced Monday's; the tie with it keeps the first.
        assert_eq!(
            dups,
            [
                ("again.json", "tuesday.json"),
                ("monday.json", "tuesday.json")
            ]
        );
        assert_eq!(find(&f, "CVE-2023-5678").image_count, 1);
        // Without a digest, two reports of the same name are two images.
        let f = fleet(
            vec![
                ("a.json", report("/srv", None, vec![one.clone()])),
                ("b.json", report("/srv", None, vec![one])),
            ],
            ExploreOptions::default(),
        );
        assert_eq!(f.summary.images, 2);
    }

    #[test]
    fn images_rank_by_highest_risk_then_high_risk_count_then_sum() {
        let fs = |risks: &[f64]| -> Vec<Finding> {
            risks
                .iter()
                .enumerate()
                .map(|(i, r)| finding(&format!("CVE-2024-{:04}", i + 1), &[], "p", "1", *r))
                .collect()
        };
        let f = fleet(
            vec![
                ("a", report("few-high", None, fs(&[9.8, 7.5, 2.0]))),
                ("b", report("more-high", None, fs(&[9.8, 7.5, 7.0]))),
                (
                    "c",
                    report("same-count-bigger-sum", None, fs(&[9.8, 7.5, 6.9])),
                ),
                ("d", report("top", None, fs(&[10.0]))),
                ("e", report("clean", None, vec![])),
            ],
            ExploreOptions::default(),
        );
        let order: Vec<(&str, usize)> =
            f.images.iter().map(|i| (i.name.as_str(), i.rank)).collect();
        assert_eq!(
            order,
            [
                ("top", 1),
                ("more-high", 2),
                ("same-count-bigger-sum", 3),
                ("few-high", 4),
                ("clean", 5)
            ]
        );
        assert_eq!(f.images[1].high_risk_findings, 3);
        assert_eq!(f.images[2].risk_sum, 24.2);
        assert_eq!(f.images[4].risk, 0.0);
        // The vulnerability shared by four images names their ranks, highest risk first.
        let shared = find(&f, "CVE-2024-0001");
        assert_eq!(shared.image_count, 4);
        assert_eq!(shared.images[0].rank, 1);
        assert_eq!(shared.risk, 10.0);

        let cut = fleet(
            vec![("a", report("x", None, fs(&[9.8, 7.5, 2.0])))],
            ExploreOptions {
                top: Some(1),
                top_images: Some(0),
                ..Default::default()
            },
        );
        assert_eq!(cut.vulnerabilities.len(), 1);
        assert_eq!(cut.vulnerabilities[0].risk, 9.8);
        assert_eq!(cut.summary.vulnerabilities, 3);
        assert!(cut.images.is_empty());
        assert_eq!(cut.summary.images, 1);
    }

    #[test]
    fn an_id_with_a_multi_byte_character_is_explored_without_a_panic() {
        // `€` takes bytes 2..5: byte 4 is inside it, where `is_cve` once sliced.
        let f = fleet(
            vec![(
                "odd.json",
                report(
                    "x",
                    None,
                    vec![
                        finding("CV€-1", &["CV€-2", "CVE-2024-0001"], "p", "1", 5.0),
                        finding("CV€-3", &[], "q", "1", 4.0),
                    ],
                ),
            )],
            ExploreOptions::default(),
        );
        assert_eq!(find(&f, "CVE-2024-0001").aliases, ["CV€-1", "CV€-2"]);
        assert_eq!(find(&f, "CV€-3").image_count, 1);
        assert!(!is_cve("CV€-1") && !is_cve("CVE€") && is_cve("cve-1") && !is_cve("CVE-"));
    }

    #[test]
    fn severity_filter_counts_only_those_findings() {
        let f = fleet(
            vec![(
                "a",
                report(
                    "x",
                    None,
                    vec![
                        finding("CVE-2021-44906", &[], "minimist", "1.2.5", 9.8),
                        finding("CVE-2024-35195", &[], "requests", "2.31.0", 5.6),
                    ],
                ),
            )],
            ExploreOptions {
                severities: vec![Severity::Critical],
                ..Default::default()
            },
        );
        assert_eq!(f.summary.findings, 1);
        assert_eq!(f.images[0].by_severity.critical, 1);
        assert_eq!(f.images[0].by_severity.medium, 0);
        assert_eq!(f.vulnerabilities[0].id, "CVE-2021-44906");
    }

    #[test]
    fn base_image_per_image_is_all_or_not() {
        let mut base = finding("CVE-2010-4756", &[], "libc6", "2.36-9", 3.0);
        base.in_base_image = Some(true);
        let mut app = finding("CVE-2010-4756", &[], "libc-bin", "2.36-9", 3.0);
        app.in_base_image = Some(false);
        let f = fleet(
            vec![
                ("a", report("only-base", None, vec![base.clone()])),
                ("b", report("mixed", None, vec![base.clone(), app])),
                (
                    "c",
                    report(
                        "unknown",
                        None,
                        vec![finding("CVE-2010-4756", &[], "libc6", "2.36-9", 3.0)],
                    ),
                ),
            ],
            ExploreOptions::default(),
        );
        let v = find(&f, "CVE-2010-4756");
        let by: BTreeMap<&str, Option<bool>> = v
            .images
            .iter()
            .map(|i| (i.name.as_str(), i.in_base_image))
            .collect();
        assert_eq!(
            by,
            [
                ("mixed", Some(false)),
                ("only-base", Some(true)),
                ("unknown", None)
            ]
            .into()
        );
        let counts: BTreeMap<&str, Option<usize>> = f
            .images
            .iter()
            .map(|i| (i.name.as_str(), i.in_base_image))
            .collect();
        assert_eq!(counts["mixed"], Some(1));
        assert_eq!(counts["unknown"], None);
        // Two packages of one image: two findings, one image.
        assert_eq!((v.findings, v.image_count), (4, 3));
    }

    #[test]
    fn reading_reports() {
        let mut r = report(
            "demo",
            None,
            vec![finding("CVE-2024-35195", &[], "requests", "2.31.0", 5.6)],
        );
        r.vulnerabilities[0].risk = None;
        let text = serde_json::to_string_pretty(&r).unwrap();
        // Unscored (an older report): scored as a scan would have.
        let read = read_report("old.json", text.as_bytes()).unwrap();
        let risk = read.vulnerabilities[0].risk.as_ref().unwrap();
        assert_eq!(risk.factors[0].factor, "cvss");
        assert_eq!(
            risk.score, 6.6,
            "5.6 + 0.5 for the network vector + 0.5 for the fix"
        );

        let e = read_report(
            "v9.json",
            text.replace("\"schema_version\": 2", "\"schema_version\": 9")
                .as_bytes(),
        )
        .unwrap_err();
        assert!(e.starts_with("v9.json: schema_version 9 is not"), "{e}");
        // Refused for its version, not for a field of the other shape.
        let e = read_report("v3.json", br#"{"schema_version": 3, "artifact": 5}"#).unwrap_err();
        assert!(e.starts_with("v3.json: schema_version 3 is not"), "{e}");
        let e = read_report("sbom.json", br#"{"bomFormat": "CycloneDX"}"#).unwrap_err();
        assert!(e.starts_with("sbom.json: no schema_version"), "{e}");
        let e = read_report("cut.json", &text.as_bytes()[..40]).unwrap_err();
        assert!(e.starts_with("cut.json:"), "{e}");
        let (line, col) = (e.split(':').nth(1).unwrap(), e.split(':').nth(2).unwrap());
        assert!(
            line.parse::<u32>().unwrap() > 1 && col.parse::<u32>().is_ok(),
            "{e}"
        );
        let bad = text.replacen("\"status\": \"fixed\"", "\"status\": \"patched\"", 1);
        let e = read_report("bad.json", bad.as_bytes()).unwrap_err();
        assert!(
            e.contains(": vulnerabilities[0].status: unknown variant `patched`"),
            "{e}"
        );
        assert!(!e.contains(" at line "), "the position is in front: {e}");
        let e = read_report("trailing.json", format!("{text} x").as_bytes()).unwrap_err();
        assert!(e.starts_with("trailing.json:"), "{e}");
        assert!(
            read_report("a.json", b"[1]")
                .unwrap_err()
                .contains("not a JSON object")
        );
        assert_eq!(
            read_report("e.json", b"  \n").unwrap_err(),
            "e.json: empty file"
        );
    }
}
