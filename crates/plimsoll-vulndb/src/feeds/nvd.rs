//! NVD CVE JSON 2.0 (the API's answers and the yearly `nvdcve-2.0-YYYY.json` feeds) into the
//! `nvd_cves` and `cpe_matches` tables. <https://nvd.nist.gov/developers/vulnerabilities>
//!
//! Only what CPE matching needs is kept: per CVE its English description, publication and
//! modification times and the best CVSS metric (v3.1, else v3.0, else v4.0, else v2; NVD's
//! own `Primary` score before a CNA's); per vulnerable `cpeMatch` of its `configurations`,
//! the criteria's part, vendor, product, version and update and the four range bounds.
//! Criteria with `vulnerable: false` (the platform of an `AND` configuration: "running on
//! Windows") are not stored, and a vulnerable criterion is taken to apply on any platform.
//!
//! These rows are read only for packages found by binary classification (`plimsoll-match`'s
//! CPE matching), never for packages with an ecosystem.
//!
//! A CVE arriving again replaces its rows when its `lastModified` is not older. A record
//! that cannot be read is skipped and named in the summary; a file without any readable CVE
//! is an error naming it, and nothing of it is written.

use crate::build::{Builder, ImportSummary};
use crate::cpe::{Criteria, parse_cpe};
use crate::schema::CPE_TABLES;
use crate::{Error, Result, SqlCtx};
use plimsoll_model::is_cve;
use rusqlite::{OptionalExtension, params};
use serde::Deserialize;
use serde_json::value::RawValue;

/// The top level of an NVD 2.0 document.
#[derive(Deserialize)]
struct Document<'a> {
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(borrow)]
    vulnerabilities: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct Item {
    cve: Cve,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Cve {
    id: String,
    #[serde(default)]
    published: Option<String>,
    #[serde(default)]
    last_modified: Option<String>,
    #[serde(default)]
    vuln_status: Option<String>,
    #[serde(default)]
    descriptions: Vec<Description>,
    #[serde(default)]
    metrics: Metrics,
    #[serde(default)]
    configurations: Vec<Configuration>,
}

#[derive(Deserialize)]
struct Description {
    lang: String,
    value: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Metrics {
    #[serde(default)]
    cvss_metric_v31: Vec<Metric>,
    #[serde(default)]
    cvss_metric_v30: Vec<Metric>,
    #[serde(default)]
    cvss_metric_v40: Vec<Metric>,
    #[serde(default)]
    cvss_metric_v2: Vec<Metric>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Metric {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    cvss_data: CvssData,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CvssData {
    version: String,
    vector_string: String,
    base_score: f64,
    #[serde(default)]
    base_severity: Option<String>,
}

#[derive(Deserialize)]
struct Configuration {
    #[serde(default)]
    nodes: Vec<Node>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Node {
    #[serde(default)]
    negate: bool,
    #[serde(default)]
    cpe_match: Vec<CpeMatch>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CpeMatch {
    vulnerable: bool,
    criteria: String,
    #[serde(default)]
    version_start_including: Option<String>,
    #[serde(default)]
    version_start_excluding: Option<String>,
    #[serde(default)]
    version_end_including: Option<String>,
    #[serde(default)]
    version_end_excluding: Option<String>,
}

/// Longest text kept of a description.
const MAX_DESCRIPTION: usize = 4096;
/// Most criteria kept of one CVE (the largest real records list a few thousand).
const MAX_CRITERIA: usize = 20_000;
/// Longest bound or criteria string.
const MAX_FIELD: usize = 256;

/// One CVE as stored.
#[derive(Debug, Clone)]
pub struct NvdRecord {
    pub id: String,
    pub published: Option<String>,
    pub modified: String,
    pub description: Option<String>,
    pub cvss: Option<(String, f64, String)>,
    pub severity: Option<String>,
    pub criteria: Vec<Criteria>,
}

/// Whether a document's top level is NVD's (`"format": "NVD_CVE"`), for sniffing.
pub(crate) fn is_nvd_format(format: Option<&str>) -> bool {
    format == Some("NVD_CVE")
}

/// A whole NVD document read: its header, its readable records, and the items that could not
/// be read (index, CVE id when known, reason).
#[derive(Debug, Default)]
pub struct NvdDocument {
    pub format: Option<String>,
    pub version: Option<String>,
    pub timestamp: Option<String>,
    pub records: Vec<NvdRecord>,
    pub skipped: Vec<(usize, Option<String>, String)>,
}

/// Reads an NVD CVE JSON 2.0 document; an error when it is not one at all.
pub fn parse_nvd_document(bytes: &[u8]) -> std::result::Result<NvdDocument, String> {
    let doc: Document<'_> = serde_json::from_slice(bytes)
        .map_err(|e| format!("not an NVD CVE JSON 2.0 document: {e}"))?;
    if let Some(f) = doc.format.as_deref().filter(|f| !is_nvd_format(Some(f))) {
        return Err(format!(
            "format {:?}, not NVD_CVE",
            plimsoll_model::text::escape_controls(f)
        ));
    }
    let mut out = NvdDocument {
        format: doc.format,
        version: doc.version,
        timestamp: doc.timestamp,
        ..NvdDocument::default()
    };
    for (i, raw) in doc.vulnerabilities.iter().enumerate() {
        match parse_nvd_item(raw.get()) {
            Ok(p) => out.records.push(p),
            Err((id, reason)) => out.skipped.push((i, id, reason)),
        }
    }
    Ok(out)
}

/// Reads one `vulnerabilities[]` item.
pub fn parse_nvd_item(raw: &str) -> std::result::Result<NvdRecord, (Option<String>, String)> {
    let item: Item = serde_json::from_str(raw).map_err(|e| (None, e.to_string()))?;
    let c = item.cve;
    let id = c.id.trim().to_string();
    if !is_cve(&id) {
        return Err((Some(id), "not a CVE id".into()));
    }
    let fail = |reason: String| (Some(id.clone()), reason);
    if c.vuln_status.as_deref() == Some("Rejected") {
        return Err(fail("rejected by NVD".into()));
    }
    let mut criteria = Vec::new();
    for node in c.configurations.iter().flat_map(|cfg| &cfg.nodes) {
        // A negated node says where the product is *not* vulnerable.
        if node.negate {
            continue;
        }
        for m in node.cpe_match.iter().filter(|m| m.vulnerable) {
            let bounds = [
                &m.version_start_including,
                &m.version_start_excluding,
                &m.version_end_including,
                &m.version_end_excluding,
            ];
            if m.criteria.len() > MAX_FIELD
                || bounds
                    .iter()
                    .any(|b| b.as_ref().is_some_and(|b| b.len() > MAX_FIELD))
            {
                return Err(fail("a cpeMatch field is too long".into()));
            }
            let Some(mut cr) = parse_cpe(&m.criteria) else {
                return Err(fail(format!(
                    "criteria {:?} is not a CPE 2.3 name",
                    plimsoll_model::text::escape_controls(&m.criteria)
                )));
            };
            cr.start_including = m.version_start_including.clone();
            cr.start_excluding = m.version_start_excluding.clone();
            cr.end_including = m.version_end_including.clone();
            cr.end_excluding = m.version_end_excluding.clone();
            if !criteria.contains(&cr) {
                criteria.push(cr);
            }
            if criteria.len() > MAX_CRITERIA {
                return Err(fail(format!("more than {MAX_CRITERIA} criteria")));
            }
        }
    }
    let description = c
        .descriptions
        .iter()
        .find(|d| d.lang == "en")
        .or(c.descriptions.first())
        .map(|d| {
            plimsoll_model::text::escape_controls(&d.value)
                .chars()
                .take(MAX_DESCRIPTION)
                .collect::<String>()
        });
    let m = &c.metrics;
    let pick = |list: &[Metric]| -> Option<(String, f64, String, Option<String>)> {
        let best = list
            .iter()
            .find(|x| x.kind.as_deref() == Some("Primary"))
            .or(list.first())?;
        let d = &best.cvss_data;
        (d.base_score.is_finite() && (0.0..=10.0).contains(&d.base_score)).then(|| {
            (
                d.version.clone(),
                d.base_score,
                d.vector_string.clone(),
                d.base_severity.clone(),
            )
        })
    };
    let best = pick(&m.cvss_metric_v31)
        .or_else(|| pick(&m.cvss_metric_v30))
        .or_else(|| pick(&m.cvss_metric_v40))
        .or_else(|| pick(&m.cvss_metric_v2));
    let severity = best.as_ref().map(|(_, score, _, label)| {
        label
            .clone()
            .filter(|l| ["LOW", "MEDIUM", "HIGH", "CRITICAL"].contains(&l.as_str()))
            .unwrap_or_else(|| {
                plimsoll_model::Severity::from_cvss(*score)
                    .as_str()
                    .to_string()
            })
    });
    Ok(NvdRecord {
        modified: c
            .last_modified
            .clone()
            .or_else(|| c.published.clone())
            .unwrap_or_default(),
        published: c.published,
        description,
        cvss: best.map(|(v, s, vec, _)| (v, s, vec)),
        severity,
        criteria,
        id,
    })
}

impl Builder {
    /// Imports an NVD CVE JSON 2.0 document. Records that cannot be read are skipped and
    /// named; a document without one readable CVE is an error and writes nothing.
    pub fn import_nvd(&mut self, input: &str, bytes: &[u8]) -> Result<ImportSummary> {
        let bad = |reason: String| Error::Input {
            input: input.into(),
            reason,
        };
        if bytes.len() as u64 > self.limits.max_feed_bytes {
            return Err(bad(format!(
                "{} bytes, over the feed limit of {}",
                bytes.len(),
                self.limits.max_feed_bytes
            )));
        }
        let doc = parse_nvd_document(bytes).map_err(bad)?;
        let mut summary = ImportSummary::default();
        for (i, id, reason) in &doc.skipped {
            summary.skip(
                &format!("{input}: vulnerabilities[{i}]"),
                id.clone(),
                reason.clone(),
            );
        }
        let parsed = &doc.records;
        if parsed.is_empty() {
            let why = match summary.skipped.first() {
                Some(s) => format!(
                    "no readable CVE record ({} skipped; the first: {s})",
                    summary.skipped_count
                ),
                None => "no CVE record in `vulnerabilities`".into(),
            };
            return Err(bad(why));
        }
        let path = self.tmp_path().to_owned();
        let c = self.conn();
        c.execute_batch(CPE_TABLES).at(&path)?;
        let mut criteria = 0u64;
        {
            let mut older = c
                .prepare_cached("SELECT modified FROM nvd_cves WHERE cve = ?1")
                .at(&path)?;
            let mut del = c
                .prepare_cached("DELETE FROM cpe_matches WHERE cve = ?1")
                .at(&path)?;
            let mut ins_cve = c
                .prepare_cached(
                    "INSERT OR REPLACE INTO nvd_cves(cve, published, modified, description, \
                     cvss_version, cvss_score, cvss_vector, severity) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .at(&path)?;
            let mut ins_match = c
                .prepare_cached(
                    "INSERT INTO cpe_matches(cve, part, vendor, product, version, version_update, \
                     start_including, start_excluding, end_including, end_excluding, criteria) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                )
                .at(&path)?;
            for p in parsed {
                let have: Option<String> = older
                    .query_row([&p.id], |r| r.get(0))
                    .optional()
                    .at(&path)?;
                if have.is_some_and(|h| h > p.modified) {
                    summary.records_kept += 1;
                    continue;
                }
                del.execute([&p.id]).at(&path)?;
                let (cv, cs, cvec) = match &p.cvss {
                    Some((v, s, vec)) => (Some(v.as_str()), Some(*s), Some(vec.as_str())),
                    None => (None, None, None),
                };
                ins_cve
                    .execute(params![
                        p.id,
                        p.published,
                        p.modified,
                        p.description,
                        cv,
                        cs,
                        cvec,
                        p.severity
                    ])
                    .at(&path)?;
                for m in &p.criteria {
                    ins_match
                        .execute(params![
                            p.id,
                            m.part,
                            m.vendor,
                            m.product,
                            m.version,
                            m.update,
                            m.start_including,
                            m.start_excluding,
                            m.end_including,
                            m.end_excluding,
                            m.criteria,
                        ])
                        .at(&path)?;
                    criteria += 1;
                }
                summary.nvd_cves += 1;
            }
        }
        let source = format!("nvd:{input}");
        self.source_id(&source, "nvd")?;
        let details = serde_json::json!({
            "input": input,
            "format": doc.format,
            "version": doc.version,
            "timestamp": doc.timestamp,
            "cves": summary.nvd_cves,
            "cpe_criteria": criteria,
        });
        self.set_source_details(&source, summary.nvd_cves, &details, None)?;
        Ok(summary)
    }
}
