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
//!
//! Secrets, misconfigurations and malware are rules and results too, as Trivy writes secrets:
//! one rule per secret rule id (`aws-access-key-id`), misconfiguration check id and malware
//! id, whatever the number of findings, and one result per finding located at its file and
//! line. A secret result carries its match redacted and nothing else of the value; one found
//! in the image config or history (no file) is located at the image, its message saying
//! where. Should a misconfiguration or malware id equal a vulnerability id already listed,
//! its results share that rule (rule ids are unique in a run).

use crate::kinds;
use crate::summary;
use plimsoll_model::{Finding, Report, SecretSource, Severity};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The report as a SARIF 2.1.0 log with one run.
pub fn to_sarif(report: &Report) -> Value {
    let mut pkgs = summary::packages_by_id(report);
    for p in &report.removed_packages {
        pkgs.entry(p.id.as_str()).or_insert(p);
    }
    let findings = summary::sorted(&report.vulnerabilities);
    let removed = summary::sorted(&report.removed_vulnerabilities);
    // Rules are shared by every package a vulnerability affects: the most severe rating wins.
    // A vulnerability found only in removed packages (`--layers all`) gets its rule from
    // those.
    let mut by_id: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &findings {
        by_id.entry(f.id.as_str()).or_default().push(f);
    }
    let mut removed_only: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &removed {
        if !by_id.contains_key(f.id.as_str()) {
            removed_only.entry(f.id.as_str()).or_default().push(f);
        }
    }
    let mut index = BTreeMap::new();
    let mut rules = Vec::new();
    for (i, (id, fs)) in by_id.iter().chain(&removed_only).enumerate() {
        index.insert(*id, i);
        rules.push(rule(id, fs));
    }
    let result = |f: &&Finding| {
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
        // A removed package's finding is a note: informational, apart from the gate.
        let span = (f.removed_in_layer.is_some()).then(|| crate::layers::finding_span(f));
        if let Some(span) = &span {
            msg.push_str(&format!(
                    "; informational: {span} (not in the final filesystem, still in the earlier layer's blob)"
                ));
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
        if let Some(n) = f.removed_in_layer {
            props.insert("removed_in_layer".into(), json!(n));
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
            "level": if span.is_some() { "note" } else { level(f.severity) },
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
    };
    let mut results: Vec<Value> = findings.iter().chain(&removed).map(result).collect();
    other_kinds(report, &mut index, &mut rules, &mut results);
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
    if !r.suppressed_secrets.is_empty() {
        p.insert(
            "suppressed_secrets".into(),
            json!(r.suppressed_secrets.len()),
        );
    }
    if let Some(g) = &r.gate {
        p.insert("gate".into(), json!(g));
    }
    Value::Object(p)
}

/// A result's fingerprint for GitHub: a hash of the parts, hex.
fn fingerprint(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    h.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A rule of a finding kind beside vulnerabilities: `kind` tags it, `severity` is the most
/// severe of its findings.
fn kind_rule(
    id: &str,
    kind: &str,
    title: &str,
    full: &str,
    help: &str,
    severity: Severity,
) -> Value {
    let mut props = Map::new();
    props.insert("tags".into(), json!([kind, "security", severity.as_str()]));
    if let Some(s) = kinds::security_severity(severity) {
        props.insert("security-severity".into(), json!(s));
    }
    json!({
        "id": id,
        "shortDescription": {"text": title},
        "fullDescription": {"text": full},
        "help": {
            "text": help,
            "markdown": crate::markdown::escape(help),
        },
        "defaultConfiguration": {"level": level(severity)},
        "properties": Value::Object(props),
    })
}

/// A result's one location: `path` (relative URI) at `line`, else the image itself.
fn location(report: &Report, path: Option<&str>, line: Option<u64>, text: &str) -> Value {
    let uri = artifact_uri(path.unwrap_or(&report.artifact.name));
    let line = line.filter(|l| *l >= 1).unwrap_or(1);
    json!({
        "physicalLocation": {
            "artifactLocation": {"uri": uri},
            "region": {"startLine": line},
        },
        "message": {"text": text},
    })
}

/// Rules and results of the secrets, misconfigurations and malware.
fn other_kinds<'a>(
    report: &'a Report,
    index: &mut BTreeMap<&'a str, usize>,
    rules: &mut Vec<Value>,
    results: &mut Vec<Value>,
) {
    let mut rule_index = |id: &'a str, make: &dyn Fn() -> Value| -> usize {
        *index.entry(id).or_insert_with(|| {
            rules.push(make());
            rules.len() - 1
        })
    };
    for s in kinds::sorted_secrets(&report.secrets) {
        // Sorted most severe first: the first finding of a rule makes it.
        let i = rule_index(&s.rule_id, &|| {
            kind_rule(
                &s.rule_id,
                "secret",
                &s.title,
                &format!("{} ({} secret, rule {})", s.title, s.category, s.rule_id),
                "A secret ships with the image: anyone who can pull the image can read it. \
                 Rotate it, then remove it from the build; deleting the file in a later layer \
                 does not remove it from the earlier layer's blob.",
                s.severity,
            )
        });
        let place = kinds::secret_where(s);
        let mut msg = format!(
            "Secret {} ({}) in {place}: {}",
            s.title, s.severity, s.redacted
        );
        if let Some(l) = kinds::layer_text(report, s.layer, s.layer_created_by.as_deref(), 120) {
            msg.push_str(&format!("; {l}"));
        }
        if let Some(d) = kinds::deleted_note(s) {
            msg.push_str(&format!("; {d}"));
        }
        let path = (s.source == SecretSource::File)
            .then_some(s.path.as_deref())
            .flatten();
        let mut props = Map::new();
        props.insert("kind".into(), json!("secret"));
        props.insert("category".into(), json!(s.category));
        props.insert("source".into(), json!(s.source));
        props.insert("severity".into(), json!(s.severity));
        if let Some(p) = &s.path {
            props.insert("path".into(), json!(p));
        }
        if let Some(l) = s.layer {
            props.insert("layer".into(), json!(l));
        }
        if let Some(d) = s.deleted_in_layer {
            props.insert("deleted_in_layer".into(), json!(d));
        }
        props.insert("redacted".into(), json!(s.redacted));
        props.insert("fingerprint".into(), json!(s.fingerprint));
        let layer = s.layer.map(|l| l.to_string()).unwrap_or_default();
        results.push(json!({
            "ruleId": s.rule_id,
            "ruleIndex": i,
            "level": level(s.severity),
            "message": {"text": msg},
            "locations": [location(report, path, s.line, &place)],
            "partialFingerprints": {
                "plimsoll/secret/v1": fingerprint(&[&s.rule_id, &s.fingerprint, &layer]),
            },
            "properties": Value::Object(props),
        }));
    }
    for m in kinds::sorted_misconfigurations(&report.misconfigurations) {
        let i = rule_index(&m.id, &|| {
            kind_rule(
                &m.id,
                "misconfiguration",
                &m.title,
                &format!("{}: {}", m.id, m.title),
                m.resolution.as_deref().unwrap_or(&m.title),
                m.severity,
            )
        });
        let place = kinds::misconfiguration_where(m);
        let mut msg = format!("{} ({}) in {place}: {}", m.title, m.severity, m.message);
        if let Some(l) = kinds::layer_text(report, m.layer, None, 120) {
            msg.push_str(&format!("; {l}"));
        }
        if let Some(r) = &m.resolution {
            msg.push_str(&format!("; fix: {r}"));
        }
        let mut props = Map::new();
        props.insert("kind".into(), json!("misconfiguration"));
        props.insert("severity".into(), json!(m.severity));
        if let Some(l) = m.layer {
            props.insert("layer".into(), json!(l));
        }
        let line = m.line.map(|l| l.to_string()).unwrap_or_default();
        results.push(json!({
            "ruleId": m.id,
            "ruleIndex": i,
            "level": level(m.severity),
            "message": {"text": msg},
            "locations": [location(report, m.path.as_deref(), m.line, &place)],
            "partialFingerprints": {
                "plimsoll/misconfiguration/v1":
                    fingerprint(&[&m.id, m.path.as_deref().unwrap_or(""), &line]),
            },
            "properties": Value::Object(props),
        }));
    }
    for m in kinds::sorted_malware(&report.malware) {
        let i = rule_index(&m.id, &|| {
            let mut r = kind_rule(
                &m.id,
                "malware",
                &m.title,
                &format!("{}: {}", m.id, m.title),
                &format!(
                    "A known-malicious file or package ({}, matched by {}): remove it and \
                     find how it got into the build.",
                    m.title, m.data_source
                ),
                m.severity,
            );
            if m.id.starts_with("MAL-") {
                r["helpUri"] = json!(summary::osv_url(&m.id));
            }
            r
        });
        let mut msg = format!(
            "Malware {} ({}) at {}: {}; matched by {}",
            m.id, m.severity, m.path, m.title, m.data_source
        );
        if let Some(l) = kinds::layer_text(report, m.layer, m.layer_created_by.as_deref(), 120) {
            msg.push_str(&format!("; {l}"));
        }
        let mut props = Map::new();
        props.insert("kind".into(), json!("malware"));
        props.insert("severity".into(), json!(m.severity));
        props.insert("data_source".into(), json!(m.data_source));
        if let Some(l) = m.layer {
            props.insert("layer".into(), json!(l));
        }
        if let Some(d) = &m.digest {
            props.insert("digest".into(), json!(d));
        }
        if let Some(p) = &m.package_id {
            props.insert("package_id".into(), json!(p));
        }
        results.push(json!({
            "ruleId": m.id,
            "ruleIndex": i,
            "level": level(m.severity),
            "message": {"text": msg},
            "locations": [location(report, Some(&m.path), None, &m.path)],
            "partialFingerprints": {
                "plimsoll/malware/v1": fingerprint(&[&m.id, &m.path]),
            },
            "properties": Value::Object(props),
        }));
    }
}
