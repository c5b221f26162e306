//! Packages found by binary classification × NVD's CPE match criteria.
//!
//! Only packages with `found_by: binary`, no ecosystem and CPE names are matched here: a
//! package that has an ecosystem is matched through that ecosystem's advisories and never
//! through CPEs. CPE matching of ecosystem packages (a Python library named `requests`
//! against every product called `requests`) is the source of the false positives Grype
//! users report, so it is never done.
//!
//! Each of the package's CPE names gives a vendor and product; every vulnerable criterion
//! stored for them is evaluated on the package's version (`plimsoll_version::generic`).
//! A CVE is one finding whichever criteria or CPE names matched; its fix is the
//! `versionEndExcluding` of a matching range; severity and CVSS are NVD's.

use plimsoll_model::{Cvss, EpssScore, Finding, FixStatus, Layer, Package, Severity};
use plimsoll_vulndb::Db;
use plimsoll_vulndb::cpe::{Criteria, parse_cpe};
use std::collections::{BTreeMap, HashMap};

/// The `matched_ecosystem` of findings made here.
pub const MATCHED_ECOSYSTEM: &str = "cpe";

/// Whether the package is matched through CPE criteria rather than an ecosystem.
pub fn is_cpe_matched(pkg: &Package) -> bool {
    pkg.found_by.as_deref() == Some(plimsoll_model::FOUND_BY_BINARY)
        && pkg.ecosystem.is_empty()
        && !pkg.cpes.is_empty()
}

/// Criteria lookups by (vendor, product), once per scan.
pub(crate) type CriteriaCache = HashMap<(String, String), Vec<Criteria>>;

/// The findings of one binary package.
pub(crate) fn findings(
    pkg: &Package,
    layers: &[Layer],
    db: &Db,
    cache: &mut CriteriaCache,
    warnings: &mut Vec<String>,
) -> plimsoll_vulndb::Result<Vec<Finding>> {
    // CVE → (matched vendor:product, fixed versions).
    let mut hits: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    for name in &pkg.cpes {
        let Some(c) = parse_cpe(name) else { continue };
        let key = (c.vendor.clone(), c.product.clone());
        if !cache.contains_key(&key) {
            let found = db.cpe_criteria(&c.vendor, &c.product)?;
            cache.insert(key.clone(), found);
        }
        for cr in &cache[&key] {
            match cr.affects(&pkg.version) {
                Some(true) => {
                    let e = hits
                        .entry(cr.cve.clone())
                        .or_insert_with(|| (format!("{}:{}", cr.vendor, cr.product), Vec::new()));
                    if let Some(f) = cr.fixed()
                        && !e.1.iter().any(|x| x == f)
                    {
                        e.1.push(f.to_string());
                    }
                }
                Some(false) => {}
                None => warnings.push(format!(
                    "{} {}: {} criterion {} could not be compared with this version",
                    pkg.name,
                    plimsoll_model::text::escape_controls(&pkg.version),
                    cr.cve,
                    plimsoll_model::text::escape_controls(&cr.criteria)
                )),
            }
        }
    }
    let loc = pkg.locations.first();
    let (layer, layer_created_by) = crate::layer_of(pkg, layers);
    let mut out = Vec::new();
    for (cve, (matched, fixed)) in hits {
        let facts = db.nvd_cve(&cve)?.unwrap_or_default();
        let cvss = facts.cvss.as_ref().map(|(v, s, vec)| Cvss {
            version: v.clone(),
            vector: vec.clone(),
            score: *s,
        });
        let severity = match facts.severity.as_deref() {
            Some("LOW") => Severity::Low,
            Some("MEDIUM") => Severity::Medium,
            Some("HIGH") => Severity::High,
            Some("CRITICAL") => Severity::Critical,
            _ => cvss
                .as_ref()
                .map_or(Severity::Unknown, |c| Severity::from_cvss(c.score)),
        };
        let severity_source = cvss.as_ref().map(|c| match c.version.as_str() {
            "2.0" => "nvd_cvss_v2".to_string(),
            v => format!("nvd_cvss_v{}", v.split('.').next().unwrap_or(v)),
        });
        out.push(Finding {
            id: cve.clone(),
            aliases: Vec::new(),
            package_id: pkg.id.clone(),
            package_name: pkg.name.clone(),
            matched_ecosystem: MATCHED_ECOSYSTEM.into(),
            matched_name: matched,
            installed_version: pkg.version.clone(),
            status: if fixed.is_empty() {
                FixStatus::Affected
            } else {
                FixStatus::Fixed
            },
            fixed_versions: fixed,
            severity,
            severity_source,
            cvss,
            kev: db.kev(&cve)?.is_some(),
            epss: db.epss(&cve)?.map(|e| EpssScore {
                score: e.score,
                percentile: e.percentile,
            }),
            layer,
            layer_created_by: layer_created_by.clone(),
            path: loc.map(|l| l.path.clone()),
            data_source: "nvd".into(),
            title: facts.description.map(|d| title_of(&d)),
            upstream_match: false,
            risk: None,
            published: facts.published.map(|p| rfc3339(&p)),
            in_base_image: None,
            removed_in_layer: pkg.removed_in_layer,
        });
    }
    out.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.id.cmp(&b.id)));
    Ok(out)
}

/// The first sentence of a description, at most 200 characters.
fn title_of(d: &str) -> String {
    let first = d.split(". ").next().unwrap_or(d).trim();
    let mut t: String = first.chars().take(200).collect();
    if t.len() < first.len() {
        t.push('…');
    }
    t
}

/// NVD writes times without a zone (`2023-11-06T16:15:42.670`), in UTC: the report's
/// `published` is RFC 3339.
fn rfc3339(t: &str) -> String {
    if t.ends_with('Z') || t.contains('+') || t.len() < 19 {
        t.to_string()
    } else {
        format!("{t}Z")
    }
}

/// `plimsoll explain` for a CPE finding: the NVD record and its criteria for the matched
/// vendor and product, each evaluated again for the installed version.
pub(crate) fn explain(
    db: &Db,
    finding: &Finding,
) -> plimsoll_vulndb::Result<Vec<crate::explain::RecordWhy>> {
    let Some((vendor, product)) = finding.matched_name.split_once(':') else {
        return Ok(Vec::new());
    };
    let Some(facts) = db.nvd_cve(&finding.id)? else {
        return Ok(Vec::new());
    };
    let entries = db
        .cpe_criteria(vendor, product)?
        .into_iter()
        .filter(|c| c.cve == finding.id)
        .map(|c| {
            let bounds: Vec<String> = [
                ("versionStartIncluding", &c.start_including),
                ("versionStartExcluding", &c.start_excluding),
                ("versionEndIncluding", &c.end_including),
                ("versionEndExcluding", &c.end_excluding),
            ]
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k} {v}")))
            .collect();
            let range = if bounds.is_empty() {
                format!("CPE {}", c.criteria)
            } else {
                format!("CPE {}: {}", c.criteria, bounds.join(", "))
            };
            crate::explain::EntryWhy {
                ecosystem: MATCHED_ECOSYSTEM.into(),
                name: finding.matched_name.clone(),
                matched: if c.affects(&finding.installed_version) == Some(true) {
                    vec![range.clone()]
                } else {
                    Vec::new()
                },
                ranges: vec![range],
                listed_versions: 0,
            }
        })
        .collect();
    Ok(vec![crate::explain::RecordWhy {
        id: facts.cve,
        summary: facts.description,
        published: facts.published,
        modified: facts.modified.unwrap_or_default(),
        aliases: Vec::new(),
        upstream: Vec::new(),
        entries,
    }])
}
