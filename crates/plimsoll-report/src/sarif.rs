//! SARIF 2.1.0 (<https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html>), shaped
//! for GitHub code scanning
//! (<https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning>).
//!
//! One rule per vulnerability id, one result per finding. Traps GitHub sets:
//! - every result needs a location, and `artifactLocation.uri` must be relative to the
//!   repository (an absolute URI or path is dropped or rejected): the package's path in the
//!   image, which has no leading slash, percent-encoded where it is no valid URI reference;
//! - the alert's severity comes from the rule's `properties."security-severity"`, a *string*
//!   holding a number from 0.0 to 10.0 (over 9.0 critical, 7.0 high, 4.0 medium, else low);
//!   without it GitHub falls back to the result's `level`;
//! - alerts are tracked across uploads by `partialFingerprints`: a stable hash of the
//!   vulnerability, the package and its path, so a re-scan does not open new alerts.

use crate::summary;
use plimsoll_model::{Finding, Report, Severity};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The report as a SARIF 2.1.0 log with one run.
pub fn to_sarif(report: &Report) -> Value {
    let pkgs = summary::packages_by_id(report);
    let findings = summary::sorted(&report.vulnerabilities);
    // Rules are shared by every package a vulnerability affects: the most severe rating wins.
    let mut by_id: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &findings {
        by_id.entry(f.id.as_str()).or_default().push(f);
    }
    let mut index = BTreeMap::new();
    let mut rules = Vec::new();
    for (i, (id, fs)) in by_id.iter().enumerate() {
        index.insert(*id, i);
        rules.push(rule(id, fs));
    }
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let p = pkgs.get(f.package_id.as_str()).copied();
            let name = p.map(|p| p.name.as_str()).unwrap_or(&f.package_name);
            let installed = summary::installed(f, p);
            let path = summary::path(f, p);
            let mut msg = format!(
                "{name} {installed} is affected by {} ({})",
                f.id, f.severity
            );
            if f.fixed_versions.is_empty() {
                msg.push_str(&format!("; no fixed version ({})", f.status.as_str()));
            } else {
                msg.push_str(&format!("; fixed in {}", f.fixed_versions.join(", ")));
            }
            if let Some((i, c)) = summary::layer(report, f) {
                msg.push_str(&format!("; layer {i}"));
                if let Some(c) = c {
                    msg.push_str(&format!(": {}", summary::short_created_by(c, 120)));
                }
            }
            if let Some(path) = path {
                msg.push_str(&format!("; found in {path}"));
            }
            let uri = artifact_uri(path.unwrap_or(&report.artifact.name));
            let mut fp = Sha256::new();
            for part in [
                f.id.as_str(),
                p.map(|p| p.purl.as_str()).unwrap_or(name),
                &uri,
            ] {
                fp.update(part.as_bytes());
                fp.update([0]);
            }
            let fp: String = fp.finalize()[..16]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            let mut props = Map::new();
            props.insert("package_id".into(), json!(f.package_id));
            props.insert("installed_version".into(), json!(installed));
            props.insert("fixed_versions".into(), json!(f.fixed_versions));
            props.insert("status".into(), json!(f.status.as_str()));
            props.insert("severity".into(), json!(f.severity));
            if let Some(l) = f.layer {
                props.insert("layer".into(), json!(l));
            }
            props.insert("kev".into(), json!(f.kev));
            if let Some(e) = &f.epss {
                props.insert("epss".into(), json!(e.score));
            }
            if let Some(r) = &f.risk {
                props.insert("risk".into(), json!(r.score));
                props.insert("risk_factors".into(), json!(r.factors));
            }
            if let Some(line) = summary::risk_line(f) {
                msg.push_str(&format!("; {line}"));
            }
            json!({
                "ruleId": f.id,
                "ruleIndex": index[f.id.as_str()],
                "level": level(f.severity),
                "message": {"text": msg},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri},
                        "region": {"startLine": 1},
                    },
                    "message": {"text": format!("{name} {installed}")},
                }],
                "partialFingerprints": {"plimsoll/vulnerability/v1": fp},
                "properties": Value::Object(props),
            })
        })
        .collect();
    let mut sarif = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "plimsoll",
                "version": crate::TOOL_VERSION,
                "semanticVersion": crate::TOOL_VERSION,
                "informationUri": crate::TOOL_URI,
                "rules": rules,
            }},
            "results": results,
            "properties": run_properties(report),
        }],
    });
    // A layer that failed made the run incomplete: SARIF says so in an invocation.
    let failed = crate::failed_layer_lines(report);
    if !failed.is_empty() {
        let notes: Vec<Value> = failed
            .iter()
            .map(|l| json!({"level": "error", "message": {"text": l}}))
            .collect();
        sarif["runs"][0]["invocations"] = json!([{
            "executionSuccessful": false,
            "toolExecutionNotifications": notes,
        }]);
    }
    sarif
}

fn rule(id: &str, fs: &[&Finding]) -> Value {
    // `fs` is sorted most severe first.
    let top = fs[0];
    let title = fs.iter().find_map(|f| f.title.as_deref());
    let short = title.unwrap_or(id);
    let mut full = match title {
        Some(t) => format!("{id}: {t}"),
        None => id.to_string(),
    };
    if !top.aliases.is_empty() {
        full.push_str(&format!(" (also {})", top.aliases.join(", ")));
    }
    let score = fs
        .iter()
        .filter_map(|f| f.cvss.as_ref().map(|c| c.score))
        .filter(|s| s.is_finite() && (0.0..=10.0).contains(s))
        .fold(None, |m: Option<f64>, s| Some(m.map_or(s, |m| m.max(s))));
    let mut props = Map::new();
    props.insert(
        "tags".into(),
        json!(["vulnerability", "security", top.severity.as_str()]),
    );
    // The score only where it agrees with the label shown (a distribution may rate a
    // CVSS 7.5 as low for its build): GitHub sorts and filters alerts by this number.
    let sev = match (score, top.severity) {
        (Some(s), label) if Severity::from_cvss(s) == label => Some(format!("{s:.1}")),
        (_, Severity::Critical) => Some("9.5".into()),
        (_, Severity::High) => Some("8.0".into()),
        (_, Severity::Medium) => Some("5.5".into()),
        (_, Severity::Low) => Some("2.0".into()),
        // No rating at all: leave GitHub to the result's level.
        (_, Severity::Unknown) => None,
    };
    if let Some(s) = sev {
        props.insert("security-severity".into(), json!(s));
    }
    let url = summary::osv_url(id);
    json!({
        "id": id,
        "shortDescription": {"text": short},
        "fullDescription": {"text": full},
        "helpUri": url,
        "help": {
            "text": format!("{full}. Details: {url}"),
            "markdown": match title {
                Some(t) => format!("**{}**: {}\n\n[Details on OSV]({url})",
                    crate::markdown::escape(id), crate::markdown::escape(t)),
                None => format!("**{}**\n\n[Details on OSV]({url})", crate::markdown::escape(id)),
            },
        },
        "defaultConfiguration": {"level": level(top.severity)},
        "properties": Value::Object(props),
    })
}

/// CRITICAL and HIGH are errors, MEDIUM a warning, the rest notes.
fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Unknown => "note",
    }
}

/// A relative URI reference for an image path: no leading slash, reserved and non-ASCII
/// characters percent-encoded (a space or `%` in a path is no valid URI; a colon in the
/// first segment would read as a scheme).
fn artifact_uri(path: &str) -> String {
    let p = path.trim_start_matches('/');
    let p = if p.is_empty() { "." } else { p };
    summary::percent_encode(p, |c| {
        c.is_ascii_alphanumeric() || "-._~/!$&'()*+,;=@".contains(c)
    })
}

fn run_properties(r: &Report) -> Value {
    let a = &r.artifact;
    let mut p = Map::new();
    p.insert("scanner_version".into(), json!(crate::TOOL_VERSION));
    p.insert("artifact".into(), json!(a.name));
    if let Some(d) = &a.digest {
        p.insert("artifact_digest".into(), json!(d));
    }
    if let Some(d) = &r.database {
        p.insert("database_built_at".into(), json!(d.built_at));
        p.insert("database_age_seconds".into(), json!(d.age_seconds));
        p.insert("database_records".into(), json!(d.records));
    }
    p.insert("suppressed".into(), json!(r.suppressed.len()));
    if let Some(g) = &r.gate {
        p.insert("gate".into(), json!(g));
    }
    Value::Object(p)
}
