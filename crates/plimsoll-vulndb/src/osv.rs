//! OSV records (<https://ossf.github.io/osv-schema/>) parsed into what the database stores.
//!
//! The parser is lenient where the data in the wild is, and strict where a record would
//! otherwise be misread:
//! - `id` and `modified` are required; a record without them is skipped with a reason.
//! - Each `affected[].ranges[]` entry is deserialized on its own, so one range of a type this
//!   version does not know (or with a malformed event) is skipped with a warning naming the
//!   record, and the rest of the record is kept. The entry then carries `skipped_ranges`, so a
//!   matcher can tell "no range" from "a range we could not read".
//! - `affected[]` entries without a `package` (GIT-only entries of the `CVE-`/Linux records)
//!   cannot be looked up by package name and are not stored.
//! - `aliases`, `upstream`, `related`, `severity`, `versions` may be `null` in some feeds.
//! - `ecosystem_specific` and `database_specific` are kept as compact JSON text: their shape
//!   differs per source (Debian `urgency`, Ubuntu `binaries`/`availability`, GHSA `severity`
//!   and `cwe_ids`, SUSE `binaries`, Go `imports`), and the matcher reads what it needs.
//!   `ranges[].database_specific` is dropped: the schema says it must never affect evaluation.
//! - Severities of type `CVSS_V2`, `CVSS_V3` and `CVSS_V4` are scored with the RustSec `cvss`
//!   crate (v2.0, v3.0, v3.1 and v4.0 base scores); an unparsable vector is kept with no score
//!   and a warning.
//! - Distribution records name the *source* package (`name`), release-scoped by the ecosystem
//!   string (`Debian:12`, `Alpine:v3.19`, `Ubuntu:22.04:LTS`): the database stores the full
//!   ecosystem and its base (`Debian`) so both can be looked up by index.

use plimsoll_model::is_cve;
use plimsoll_version::osv::Range;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::str::FromStr;

/// Longest record id accepted (real ids are under 64 bytes).
const MAX_ID_LEN: usize = 256;

/// One entry of `severity[]` (top level or per affected package).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Severity {
    /// `CVSS_V2`, `CVSS_V3`, `CVSS_V4` or `Ubuntu` (or whatever the record says).
    #[serde(rename = "type")]
    pub kind: String,
    /// The vector (`CVSS:3.1/AV:N/...`) or, for `Ubuntu`, the priority word.
    pub score: String,
    /// CVSS version of the vector: `2.0`, `3.0`, `3.1` or `4.0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss_version: Option<String>,
    /// CVSS base score computed from the vector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_score: Option<f64>,
}

/// One `affected[]` entry, as stored and as returned by lookups.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Affected {
    /// `package.name` exactly as the record spells it (lookups use the normalized name).
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<Range>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub severity: Vec<Severity>,
    /// Compact JSON text of `ecosystem_specific` (Debian `urgency`, Ubuntu `binaries`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem_specific: Option<Box<RawValue>>,
    /// Compact JSON text of this entry's `database_specific`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<Box<RawValue>>,
    /// The source's own severity word for this entry, extracted at import: Debian `urgency`,
    /// Ubuntu priority, or the `database_specific.severity` of the entry or the record (GHSA).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_severity: Option<String>,
    /// Ranges of this entry that could not be read (unknown type, malformed events).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub skipped_ranges: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Affected {
    /// `ecosystem_specific` as JSON text.
    pub fn ecosystem_specific_json(&self) -> Option<&str> {
        self.ecosystem_specific.as_deref().map(RawValue::get)
    }

    /// `database_specific` as JSON text.
    pub fn database_specific_json(&self) -> Option<&str> {
        self.database_specific.as_deref().map(RawValue::get)
    }
}

/// A record's facts shared by all its affected packages.
#[derive(Debug, Clone)]
pub struct Record {
    pub id: String,
    pub aliases: Vec<String>,
    pub upstream: Vec<String>,
    pub related: Vec<String>,
    pub published: Option<String>,
    pub modified: String,
    /// Set for withdrawn records: they are kept, but lookups skip them unless asked.
    pub withdrawn: Option<String>,
    pub summary: Option<String>,
    /// Top-level `severity[]`.
    pub severity: Vec<Severity>,
    /// Compact JSON text of the record's `database_specific` (GHSA `severity`, `cwe_ids`...).
    pub database_specific: Option<String>,
    /// The record's own severity word: GHSA `database_specific.severity` or the `Ubuntu`
    /// severity entry.
    pub severity_label: Option<String>,
    /// Highest CVSS base score among all of the record's severities (top level and affected).
    pub max_cvss: Option<f64>,
}

impl Record {
    /// Every CVE id the record is about: its own id, its aliases and its upstream ids.
    pub fn cves(&self) -> Vec<&str> {
        let mut out: Vec<&str> = std::iter::once(self.id.as_str())
            .chain(self.aliases.iter().map(String::as_str))
            .chain(self.upstream.iter().map(String::as_str))
            .filter(|s| is_cve(s))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// A parsed record ready to store: its facts and its affected entries grouped by
/// (full ecosystem, normalized name).
#[derive(Debug)]
pub struct ParsedRecord {
    pub record: Record,
    pub packages: Vec<PackageEntries>,
}

/// The affected entries of one record for one (ecosystem, normalized name).
#[derive(Debug)]
pub struct PackageEntries {
    pub ecosystem: String,
    pub name: String,
    pub entries: Vec<Affected>,
}

/// Why a record was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    /// The record id when it could be read.
    pub id: Option<String>,
    pub reason: String,
}

impl std::fmt::Display for RecordError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.id {
            Some(id) => write!(f, "record {id}: {}", self.reason),
            None => write!(f, "{}", self.reason),
        }
    }
}

#[derive(Deserialize)]
struct RawRecord<'a> {
    id: Option<String>,
    modified: Option<String>,
    published: Option<String>,
    withdrawn: Option<String>,
    aliases: Option<Vec<String>>,
    upstream: Option<Vec<String>>,
    related: Option<Vec<String>>,
    summary: Option<String>,
    severity: Option<Vec<RawSeverity>>,
    #[serde(borrow)]
    affected: Option<Vec<RawAffected<'a>>>,
    #[serde(borrow)]
    database_specific: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct RawSeverity {
    #[serde(rename = "type")]
    kind: String,
    score: String,
}

#[derive(Deserialize)]
struct RawAffected<'a> {
    package: Option<RawPackage>,
    #[serde(borrow)]
    ranges: Option<Vec<&'a RawValue>>,
    versions: Option<Vec<String>>,
    severity: Option<Vec<RawSeverity>>,
    #[serde(borrow)]
    ecosystem_specific: Option<&'a RawValue>,
    #[serde(borrow)]
    database_specific: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct RawPackage {
    ecosystem: String,
    name: String,
    purl: Option<String>,
}

/// Only the id, to name a record whose full parse failed.
#[derive(Deserialize)]
struct IdOnly {
    id: Option<serde_json::Value>,
}

/// Fields of `ecosystem_specific`/`database_specific` that carry a severity word.
#[derive(Deserialize, Default)]
struct SeverityHints {
    urgency: Option<serde_json::Value>,
    ubuntu_priority: Option<serde_json::Value>,
    severity: Option<serde_json::Value>,
}

impl SeverityHints {
    fn read(raw: Option<&RawValue>) -> SeverityHints {
        raw.and_then(|r| serde_json::from_str(r.get()).ok())
            .unwrap_or_default()
    }
}

fn word(v: &Option<serde_json::Value>) -> Option<String> {
    v.as_ref()
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Parses one OSV record. Warnings (skipped ranges, unscorable vectors) are pushed to
/// `warnings`, each naming the record.
pub fn parse_record(bytes: &[u8], warnings: &mut Vec<String>) -> Result<ParsedRecord, RecordError> {
    let raw: RawRecord<'_> = match serde_json::from_slice(bytes) {
        Ok(r) => r,
        Err(e) => {
            let id = serde_json::from_slice::<IdOnly>(bytes)
                .ok()
                .and_then(|i| i.id)
                .and_then(|v| v.as_str().map(str::to_owned))
                .filter(|s| !s.is_empty() && s.len() <= MAX_ID_LEN);
            return Err(RecordError {
                id,
                reason: format!("not a valid OSV record: {e}"),
            });
        }
    };
    let id = match raw.id {
        Some(id) if !id.trim().is_empty() && id.len() <= MAX_ID_LEN => id,
        Some(id) if id.len() > MAX_ID_LEN => {
            return Err(RecordError {
                id: None,
                reason: format!("record id is {} bytes long", id.len()),
            });
        }
        _ => {
            return Err(RecordError {
                id: None,
                reason: "record has no `id`".into(),
            });
        }
    };
    let Some(modified) = raw.modified.filter(|m| !m.trim().is_empty()) else {
        return Err(RecordError {
            id: Some(id),
            reason: "record has no `modified`".into(),
        });
    };

    let mut max_cvss: Option<f64> = None;
    let severity = score_all(
        &id,
        raw.severity.unwrap_or_default(),
        warnings,
        &mut max_cvss,
    );
    let ubuntu_top = severity
        .iter()
        .find(|s| s.kind == "Ubuntu")
        .map(|s| s.score.clone());
    let record_hints = SeverityHints::read(raw.database_specific);
    let severity_label = word(&record_hints.severity).or(ubuntu_top.clone());

    let mut packages: Vec<PackageEntries> = Vec::new();
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    for (i, aff) in raw.affected.unwrap_or_default().into_iter().enumerate() {
        let Some(pkg) = aff.package else { continue };
        if pkg.ecosystem.is_empty() || pkg.name.is_empty() {
            warnings.push(format!(
                "record {id}: affected[{i}] has an empty package ecosystem or name; skipped"
            ));
            continue;
        }
        let mut ranges = Vec::new();
        let mut skipped_ranges = 0u32;
        for (j, r) in aff.ranges.unwrap_or_default().into_iter().enumerate() {
            match serde_json::from_str::<Range>(r.get()) {
                Ok(range) => ranges.push(range),
                Err(e) => {
                    skipped_ranges += 1;
                    warnings.push(format!(
                        "record {id}: affected[{i}] ({} {}) range {j} skipped: {e}",
                        pkg.ecosystem, pkg.name
                    ));
                }
            }
        }
        let aff_severity = score_all(
            &id,
            aff.severity.unwrap_or_default(),
            warnings,
            &mut max_cvss,
        );
        let eco_hints = SeverityHints::read(aff.ecosystem_specific);
        let db_hints = SeverityHints::read(aff.database_specific);
        let vendor_severity = word(&eco_hints.urgency)
            .or_else(|| word(&eco_hints.ubuntu_priority))
            .or_else(|| word(&db_hints.ubuntu_priority))
            .or_else(|| {
                aff_severity
                    .iter()
                    .find(|s| s.kind == "Ubuntu")
                    .map(|s| s.score.clone())
            })
            .or_else(|| word(&db_hints.severity))
            .or_else(|| word(&eco_hints.severity))
            .or_else(|| severity_label.clone());
        let entry = Affected {
            name: pkg.name.clone(),
            purl: pkg.purl,
            ranges,
            versions: aff.versions.unwrap_or_default(),
            severity: aff_severity,
            ecosystem_specific: aff.ecosystem_specific.map(compact),
            database_specific: aff.database_specific.map(compact),
            vendor_severity,
            skipped_ranges,
        };
        let norm = normalize_name(&pkg.ecosystem, &pkg.name);
        // An index rather than a search of `packages`: a record listing N distinct packages
        // took N²/2 comparisons (100,000 packages: 40 s).
        match index.entry((pkg.ecosystem, norm)) {
            Entry::Occupied(e) => packages[*e.get()].entries.push(entry),
            Entry::Vacant(e) => {
                let (ecosystem, name) = e.key().clone();
                e.insert(packages.len());
                packages.push(PackageEntries {
                    ecosystem,
                    name,
                    entries: vec![entry],
                });
            }
        }
    }

    Ok(ParsedRecord {
        record: Record {
            aliases: id_list(&id, "aliases", raw.aliases, warnings),
            upstream: id_list(&id, "upstream", raw.upstream, warnings),
            related: id_list(&id, "related", raw.related, warnings),
            id,
            published: raw.published,
            modified,
            withdrawn: raw.withdrawn.filter(|w| !w.is_empty()),
            summary: raw.summary.filter(|s| !s.is_empty()),
            severity,
            database_specific: raw.database_specific.map(|r| compact(r).get().to_owned()),
            severity_label,
            max_cvss,
        },
        packages,
    })
}

/// Most ids kept in each of a record's `aliases`, `upstream` and `related` lists. Real
/// records name at most a few dozen (a DSA fixing many CVEs, a CVE with GHSA, PYSEC and
/// distribution ids); a list far longer is a broken or hostile feed, and every id of it would
/// become a finding for every package the record affects.
pub const MAX_IDS_PER_LIST: usize = 1000;

/// One of a record's id lists: duplicates and the record's own id dropped (first occurrence
/// kept), cut at [`MAX_IDS_PER_LIST`] with a warning naming the record.
fn id_list(
    id: &str,
    field: &str,
    list: Option<Vec<String>>,
    warnings: &mut Vec<String>,
) -> Vec<String> {
    let list = list.unwrap_or_default();
    let total = list.len();
    let mut seen = HashSet::with_capacity(total.min(MAX_IDS_PER_LIST));
    let mut out = Vec::with_capacity(total.min(MAX_IDS_PER_LIST));
    let mut distinct = 0usize;
    for a in list {
        if a.is_empty() || a == id || seen.contains(&a) {
            continue;
        }
        distinct += 1;
        if out.len() < MAX_IDS_PER_LIST {
            seen.insert(a.clone());
            out.push(a);
        }
    }
    if distinct > out.len() {
        warnings.push(format!(
            "record {id}: `{field}` lists {total} ids; only the first {MAX_IDS_PER_LIST} are kept (real records name a few dozen at most)"
        ));
    }
    out
}

fn score_all(
    id: &str,
    raw: Vec<RawSeverity>,
    warnings: &mut Vec<String>,
    max: &mut Option<f64>,
) -> Vec<Severity> {
    raw.into_iter()
        .map(|s| {
            let mut sev = Severity {
                kind: s.kind,
                score: s.score,
                cvss_version: None,
                base_score: None,
            };
            if sev.kind.starts_with("CVSS_") {
                match score_cvss(&sev.score) {
                    Ok((version, score)) => {
                        sev.cvss_version = Some(version.into());
                        sev.base_score = Some(score);
                        *max = Some(max.map_or(score, |m: f64| m.max(score)));
                    }
                    Err(e) => warnings.push(format!(
                        "record {id}: {} vector {:?} not scored: {e}",
                        sev.kind, sev.score
                    )),
                }
            }
            sev
        })
        .collect()
}

/// Scores a CVSS v2.0, v3.0, v3.1 or v4.0 base vector: `(version, base score)`.
///
/// v2 vectors have no `CVSS:` prefix (`AV:N/AC:L/Au:N/C:P/I:P/A:P`).
pub fn score_cvss(vector: &str) -> Result<(&'static str, f64), String> {
    let cvss = cvss::Cvss::from_str(vector.trim()).map_err(|e| e.to_string())?;
    let version = match &cvss {
        cvss::Cvss::CvssV20(_) => "2.0",
        cvss::Cvss::CvssV30(_) => "3.0",
        cvss::Cvss::CvssV31(_) => "3.1",
        cvss::Cvss::CvssV40(_) => "4.0",
        _ => return Err("unsupported CVSS version".into()),
    };
    let score = cvss.score();
    if !score.is_finite() {
        return Err("score is not a number".into());
    }
    Ok((version, score))
}

/// The base of an ecosystem string: `Debian:12` → `Debian`, `Ubuntu:Pro:22.04:LTS` → `Ubuntu`,
/// `Maven:https://repo…` → `Maven`.
pub use plimsoll_model::ecosystem::base_name as base_ecosystem;

/// A package name as the database stores and looks it up: the ecosystem's name rule from
/// the ecosystem table (PEP 503 for PyPI, lower case for npm, NuGet and Packagist, `-` for
/// `_` in crates.io, as written elsewhere).
pub use plimsoll_model::ecosystem::normalize_name;

/// JSON text without insignificant whitespace. The input was already validated by serde, so
/// only string literals need care.
fn compact(raw: &RawValue) -> Box<RawValue> {
    let s = raw.get();
    if !s.bytes().any(|b| b.is_ascii_whitespace()) {
        return raw.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut in_str = false;
    let mut escaped = false;
    for c in s.chars() {
        if in_str {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_str = false;
            }
        } else if c == '"' {
            in_str = true;
            out.push(c);
        } else if !c.is_ascii_whitespace() {
            out.push(c);
        }
    }
    // Removing whitespace outside strings keeps valid JSON valid.
    RawValue::from_string(out).unwrap_or_else(|_| raw.to_owned())
}

/// Compares two OSV timestamps: by time when both are RFC 3339, else as text.
pub(crate) fn cmp_modified(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<jiff::Timestamp>(), b.parse::<jiff::Timestamp>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cvss_vectors_score() {
        assert_eq!(
            score_cvss("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H").unwrap(),
            ("3.1", 10.0)
        );
        assert_eq!(
            score_cvss("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").unwrap(),
            ("3.0", 9.8)
        );
        assert_eq!(
            score_cvss("AV:N/AC:L/Au:N/C:P/I:P/A:P").unwrap(),
            ("2.0", 7.5)
        );
        assert_eq!(
            score_cvss("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N").unwrap(),
            ("4.0", 9.3)
        );
        assert!(score_cvss("CVSS:3.1/AV:Q").is_err());
        assert!(score_cvss("").is_err());
    }

    #[test]
    fn compact_keeps_strings() {
        let raw = RawValue::from_string("{ \"a\" : [ 1, \"x y\\\" z\" ] }".into()).unwrap();
        assert_eq!(compact(&raw).get(), "{\"a\":[1,\"x y\\\" z\"]}");
    }

    /// A record shaped like issue 12's: one record, many affected packages. Grouping went
    /// through a linear search per entry (quadratic); each entry must land in its own group,
    /// repeats of a package (in another spelling) in the same one.
    #[test]
    fn a_record_with_many_packages_groups_each_once() {
        let n = 20_000;
        let mut affected: Vec<serde_json::Value> = (0..n)
            .map(|i| serde_json::json!({"package": {"ecosystem": "PyPI", "name": format!("pkg-{i}")}}))
            .collect();
        affected.push(serde_json::json!({"package": {"ecosystem": "PyPI", "name": "PKG_7"}}));
        affected.push(serde_json::json!({"package": {"ecosystem": "npm", "name": "pkg-7"}}));
        let rec = serde_json::json!({"id": "X-1", "modified": "2024-01-01T00:00:00Z", "affected": affected});
        let mut warnings = Vec::new();
        let p = parse_record(&serde_json::to_vec(&rec).unwrap(), &mut warnings).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(p.packages.len(), n + 1);
        let pkg7: Vec<_> = p.packages.iter().filter(|g| g.name == "pkg-7").collect();
        assert_eq!(pkg7.len(), 2);
        assert_eq!(
            (pkg7[0].ecosystem.as_str(), pkg7[0].entries.len()),
            ("PyPI", 2)
        );
        assert_eq!(
            (pkg7[1].ecosystem.as_str(), pkg7[1].entries.len()),
            ("npm", 1)
        );
        // First-seen order is kept.
        assert_eq!(p.packages[0].name, "pkg-0");
        assert_eq!(p.packages[n].ecosystem, "npm");
    }

    #[test]
    fn id_lists_are_deduplicated_and_capped_with_a_warning() {
        let aliases: Vec<String> = (0..5000).map(|i| format!("CVE-2099-{i:05}")).collect();
        let rec = serde_json::json!({
            "id": "X-1", "modified": "2024-01-01T00:00:00Z",
            "aliases": aliases,
            "upstream": ["CVE-1", "CVE-1", "X-1", "", "CVE-2"],
        });
        let mut warnings = Vec::new();
        let p = parse_record(&serde_json::to_vec(&rec).unwrap(), &mut warnings).unwrap();
        assert_eq!(p.record.aliases.len(), MAX_IDS_PER_LIST);
        assert_eq!(p.record.aliases[0], "CVE-2099-00000");
        assert_eq!(p.record.upstream, ["CVE-1", "CVE-2"]);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].contains("record X-1")
                && warnings[0].contains("`aliases` lists 5000 ids")
                && warnings[0].contains("first 1000"),
            "{warnings:?}"
        );
    }

    #[test]
    fn modified_compares_by_time() {
        use std::cmp::Ordering::*;
        assert_eq!(
            cmp_modified("2024-01-01T00:00:00Z", "2024-01-01T00:00:00.5Z"),
            Less
        );
        assert_eq!(
            cmp_modified("2024-01-01T00:00:00Z", "2024-01-01T00:00:00.000Z"),
            Equal
        );
    }
}
