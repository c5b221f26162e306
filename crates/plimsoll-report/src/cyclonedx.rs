//! CycloneDX 1.6 JSON (<https://cyclonedx.org/docs/1.6/json/>).
//!
//! Components carry `bom-ref`s from the report's package ids. When the report has findings,
//! the BOM is also a vulnerability disclosure report (VDR): `vulnerabilities[]`, one entry per
//! vulnerability id with `affects[].ref` naming every affected component's `bom-ref`, the
//! ratings (a CVSS rating with its `method` — `CVSSv2`, `CVSSv3`, `CVSSv31`, `CVSSv4` — and
//! the severity label of its source), and a `recommendation` naming the fixed versions.
//! Traps: `ratings[].severity` is lower case; `method` has no value for CVSS 3.0 other than
//! `CVSSv3`; every `affects[].ref` must be a `bom-ref` that exists in the BOM.
//!
//! The other finding kinds: CycloneDX 1.6 has no type for a secret or a misconfiguration (a
//! `vulnerabilities[]` entry must name a known vulnerability affecting components; Trivy
//! leaves secrets out of its CycloneDX). So each secret, misconfiguration and malware file is
//! a property of the image component (`metadata.component`), named `plimsoll:secret`,
//! `plimsoll:misconfiguration` or `plimsoll:malware`, whose value is the native report's
//! object as compact JSON, the secret's match redacted as the report holds it. Every malware
//! finding is also a `vulnerabilities[]` entry (first, before the vulnerabilities), affecting
//! its package's component or, for a file, the image.

use crate::licenses::{is_expression, is_spdx_id, spdx_expression};
use plimsoll_model::{ArtifactKind, Finding, Package, Report, Severity};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};

/// The report as a CycloneDX 1.6 BOM, timestamped now.
pub fn to_cyclonedx(report: &Report) -> Value {
    to_cyclonedx_at(report, &crate::now_rfc3339())
}

/// The report as a CycloneDX 1.6 BOM with the given RFC 3339 timestamp.
pub fn to_cyclonedx_at(report: &Report, timestamp: &str) -> Value {
    let a = &report.artifact;
    let root_ref = root_ref(report);
    let mut root = Map::new();
    root.insert(
        "type".into(),
        json!(match a.kind {
            ArtifactKind::Filesystem => "application",
            _ => "container",
        }),
    );
    root.insert("bom-ref".into(), json!(root_ref));
    root.insert("name".into(), json!(a.name));
    if let Some(d) = &a.digest {
        root.insert("version".into(), json!(d));
    }
    let mut root_props = vec![
        prop("plimsoll:artifact:kind", kind_name(a.kind)),
        prop("plimsoll:artifact:source", &a.source),
    ];
    if let Some(r) = &a.reference {
        root_props.push(prop("plimsoll:artifact:reference", r));
    }
    if let Some(c) = &a.config_digest {
        root_props.push(prop("plimsoll:artifact:config_digest", c));
    }
    if let Some(p) = &a.platform {
        root_props.push(prop("plimsoll:artifact:platform", &p.to_string()));
    }
    for l in &a.layers {
        if let Some(d) = &l.diff_id {
            root_props.push(prop("plimsoll:layer:diff_id", d));
        }
    }
    root_props.extend(
        crate::kinds::native_objects(report, false)
            .into_iter()
            .map(|(name, value)| prop(&format!("plimsoll:{name}"), &value)),
    );
    root.insert("properties".into(), Value::Array(root_props));

    let mut components = Vec::new();
    let mut refs = Vec::new();
    if let Some(os) = &a.os {
        let r = format!("os:{}@{}", os.family, os.version);
        components.push(json!({
            "type": "operating-system",
            "bom-ref": r,
            "name": os.family,
            "version": os.version,
        }));
        refs.push(r);
    }
    let mut seen: HashSet<String> = refs.iter().cloned().collect();
    seen.insert(root_ref.clone());
    let mut ref_of: HashMap<&str, String> = HashMap::new();
    for p in &report.packages {
        let mut r = if p.id.is_empty() {
            format!("{}@{}", p.name, p.version)
        } else {
            p.id.clone()
        };
        let mut n = 1;
        while !seen.insert(r.clone()) {
            n += 1;
            r = format!("{}#{n}", p.id);
        }
        components.push(component(report, p, &r));
        ref_of.entry(p.id.as_str()).or_insert_with(|| r.clone());
        refs.push(r);
    }
    // `--layers all`: packages a later layer removed are components of scope `excluded`
    // (in the artifact, its layer blobs, but not at run time) with `plimsoll:removed_in_layer`,
    // and no dependency of the image.
    let mut removed_refs = Vec::new();
    let mut removed_ref_of: HashMap<&str, String> = HashMap::new();
    for p in &report.removed_packages {
        let mut r = format!("removed:{}", p.id);
        let mut n = 1;
        while !seen.insert(r.clone()) {
            n += 1;
            r = format!("removed:{}#{n}", p.id);
        }
        let mut c = component(report, p, &r);
        c["scope"] = json!("excluded");
        components.push(c);
        removed_ref_of
            .entry(p.id.as_str())
            .or_insert_with(|| r.clone());
        removed_refs.push(r);
    }
    let mut dependencies = vec![json!({"ref": root_ref, "dependsOn": refs})];
    dependencies.extend(refs.iter().chain(&removed_refs).map(|r| json!({"ref": r})));
    let mut tool = Map::new();
    tool.insert("type".into(), json!("application"));
    tool.insert("name".into(), json!("plimsoll"));
    tool.insert("version".into(), json!(crate::TOOL_VERSION));
    let mut metadata = Map::new();
    metadata.insert("timestamp".into(), json!(timestamp));
    metadata.insert("tools".into(), json!({"components": [Value::Object(tool)]}));
    metadata.insert("component".into(), Value::Object(root));
    let mut meta_props = vec![prop("plimsoll:scanner:version", crate::TOOL_VERSION)];
    if let Some(d) = &report.database {
        if let Some(b) = &d.built_at {
            meta_props.push(prop("plimsoll:database:built_at", b));
        }
        if let Some(a) = d.age_seconds {
            meta_props.push(prop("plimsoll:database:age_seconds", &a.to_string()));
        }
        meta_props.push(prop("plimsoll:database:records", &d.records.to_string()));
    }
    if !report.suppressed.is_empty() {
        meta_props.push(prop(
            "plimsoll:suppressed",
            &report.suppressed.len().to_string(),
        ));
    }
    if !report.suppressed_secrets.is_empty() {
        meta_props.push(prop(
            "plimsoll:suppressed_secrets",
            &report.suppressed_secrets.len().to_string(),
        ));
    }
    for l in crate::failed_layer_lines(report) {
        meta_props.push(prop("plimsoll:layer:error", &l));
    }
    metadata.insert("properties".into(), Value::Array(meta_props));
    let mut bom = json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": format!("urn:uuid:{}", crate::report_uuid(report)),
        "version": 1,
        "metadata": Value::Object(metadata),
        "components": components,
        "dependencies": dependencies,
    });
    // Malicious packages first, as every format lists malware.
    let mut vulns = Vec::new();
    malware(report, &ref_of, &root_ref, &mut vulns);
    if !report.vulnerabilities.is_empty()
        && let Value::Array(v) = vulnerabilities(report, &ref_of)
    {
        vulns.extend(v);
    }
    removed_vulnerabilities(report, &removed_ref_of, &mut vulns);
    if !vulns.is_empty() {
        bom["vulnerabilities"] = Value::Array(vulns);
    }
    bom
}

/// The vulnerabilities of removed packages (`--layers all`), as entries of their own
/// (`bom-ref` `vulnerability:removed:…`) affecting the excluded components, each with
/// `plimsoll:removed_in_layer` and `plimsoll:informational`: a consumer that gates on the
/// VDR can tell them from what ships in the final filesystem.
fn removed_vulnerabilities(report: &Report, ref_of: &HashMap<&str, String>, out: &mut Vec<Value>) {
    if report.removed_vulnerabilities.is_empty() {
        return;
    }
    let mut r = Report::new(report.artifact.clone());
    r.packages = report.removed_packages.clone();
    r.vulnerabilities = report.removed_vulnerabilities.clone();
    let Value::Array(vs) = vulnerabilities(&r, ref_of) else {
        return;
    };
    for mut v in vs {
        let id = v["id"].as_str().unwrap_or_default().to_string();
        let layers: Vec<String> = r
            .vulnerabilities
            .iter()
            .filter(|f| f.id == id)
            .map(crate::layers::finding_span)
            .collect();
        if let Some(b) = v["bom-ref"].as_str() {
            v["bom-ref"] = json!(b.replacen("vulnerability:", "vulnerability:removed:", 1));
        }
        let mut props = match v.get("properties") {
            Some(Value::Array(p)) => p.clone(),
            _ => Vec::new(),
        };
        props.push(prop("plimsoll:informational", "true"));
        for f in r.vulnerabilities.iter().filter(|f| f.id == id) {
            if let Some(n) = f.removed_in_layer {
                props.push(prop("plimsoll:removed_in_layer", &n.to_string()));
            }
        }
        props.push(prop("plimsoll:layers", &layers.join("; ")));
        v["properties"] = Value::Array(props);
        out.push(v);
    }
}

/// Every malware finding is a `vulnerabilities[]` entry with `plimsoll:kind` `malware`:
/// a malicious package (OSV `MAL-` records) affects its component; a malicious file (hash
/// blocklist, YARA, EICAR) affects the image (`metadata.component`), whose `plimsoll:malware`
/// property also carries the native object (tags and metadata included).
fn malware(report: &Report, ref_of: &HashMap<&str, String>, root_ref: &str, out: &mut Vec<Value>) {
    let mut seen: HashSet<String> = out
        .iter()
        .filter_map(|v| v["bom-ref"].as_str().map(str::to_string))
        .collect();
    for m in crate::kinds::sorted_malware(&report.malware) {
        let r = m
            .package_id
            .as_deref()
            .and_then(|p| ref_of.get(p))
            .map_or(root_ref, String::as_str);
        let mut bref = format!("malware:{}", m.id);
        let mut n = 1;
        while !seen.insert(bref.clone()) {
            n += 1;
            bref = format!("malware:{}#{n}", m.id);
        }
        let source = if m.id.starts_with("MAL-") {
            json!({"name": m.data_source, "url": crate::summary::osv_url(&m.id)})
        } else {
            json!({"name": m.data_source})
        };
        let mut props = vec![
            prop("plimsoll:kind", "malware"),
            prop("plimsoll:path", &m.path),
        ];
        if let Some(l) = m.layer {
            props.push(prop("plimsoll:layer", &l.to_string()));
        }
        if let Some(d) = &m.digest {
            props.push(prop("plimsoll:digest", d));
        }
        if let Some(d) = m.deleted_in_layer {
            props.push(prop("plimsoll:deleted_in_layer", &d.to_string()));
        }
        for t in &m.tags {
            props.push(prop("plimsoll:tag", t));
        }
        out.push(json!({
            "bom-ref": bref,
            "id": m.id,
            "source": source,
            "ratings": [{
                "source": {"name": m.data_source},
                "severity": label(m.severity),
                "method": "other",
            }],
            "description": m.title,
            "recommendation": format!("Remove {}: it is known to be malicious", m.path),
            "affects": [{"ref": r}],
            "properties": props,
        }));
    }
}

/// The VDR section: one entry per vulnerability id, affecting every package it was found in.
fn vulnerabilities(report: &Report, ref_of: &HashMap<&str, String>) -> Value {
    let mut by_id: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in crate::summary::sorted(&report.vulnerabilities) {
        by_id.entry(f.id.as_str()).or_default().push(f);
    }
    let pkgs = crate::summary::packages_by_id(report);
    let mut out = Vec::new();
    let mut seen_refs = HashSet::new();
    for (id, fs) in by_id {
        let source = json!({"name": "OSV", "url": crate::summary::osv_url(id)});
        let mut v = Map::new();
        let mut bref = format!("vulnerability:{id}");
        let mut n = 1;
        while !seen_refs.insert(bref.clone()) {
            n += 1;
            bref = format!("vulnerability:{id}#{n}");
        }
        v.insert("bom-ref".into(), json!(bref));
        v.insert("id".into(), json!(id));
        v.insert("source".into(), source.clone());
        let mut aliases: Vec<&str> = fs
            .iter()
            .flat_map(|f| f.aliases.iter().map(String::as_str))
            .filter(|a| *a != id)
            .collect();
        aliases.sort_unstable();
        aliases.dedup();
        if !aliases.is_empty() {
            let refs: Vec<Value> = aliases
                .iter()
                .map(|a| {
                    json!({"id": a, "source": {"name": "OSV", "url": crate::summary::osv_url(a)}})
                })
                .collect();
            v.insert("references".into(), Value::Array(refs));
        }
        v.insert("ratings".into(), Value::Array(ratings(&fs, &source)));
        if let Some(t) = fs.iter().find_map(|f| f.title.as_deref()) {
            v.insert("description".into(), json!(t));
        }
        let mut recs = Vec::new();
        let mut affects = Vec::new();
        for f in &fs {
            let p = pkgs.get(f.package_id.as_str()).copied();
            let installed = crate::summary::installed(f, p);
            if !f.fixed_versions.is_empty() {
                let r = format!(
                    "Upgrade {} to {}",
                    f.package_name,
                    f.fixed_versions.join(" or ")
                );
                if !recs.contains(&r) {
                    recs.push(r);
                }
            }
            // A finding whose package is not a component cannot be referenced: the BOM
            // would be invalid. It stays in the native report.
            // One entry per component: the schema wants `affects` items unique.
            if let Some(r) = ref_of.get(f.package_id.as_str())
                && !affects.iter().any(|a: &Value| a["ref"] == r.as_str())
            {
                affects.push(json!({
                    "ref": r,
                    "versions": [{"version": installed, "status": "affected"}],
                }));
            }
        }
        if !recs.is_empty() {
            v.insert("recommendation".into(), json!(recs.join("; ")));
        }
        v.insert("affects".into(), Value::Array(affects));
        let top = fs[0];
        let mut props = vec![
            prop("plimsoll:status", top.status.as_str()),
            prop(
                "plimsoll:kev",
                if fs.iter().any(|f| f.kev) {
                    "true"
                } else {
                    "false"
                },
            ),
        ];
        if let Some(e) = fs.iter().find_map(|f| f.epss.as_ref()) {
            props.push(prop("plimsoll:epss:score", &e.score.to_string()));
            props.push(prop("plimsoll:epss:percentile", &e.percentile.to_string()));
        }
        // The highest risk among the vulnerability's findings, with its factors.
        if let Some((r, _)) = fs
            .iter()
            .filter_map(|f| f.risk.as_ref().map(|r| (r, f)))
            .max_by(|a, b| a.0.score.total_cmp(&b.0.score))
        {
            props.push(prop("plimsoll:risk", &format!("{:.1}", r.score)));
            props.push(prop(
                "plimsoll:risk:factors",
                &crate::summary::risk_factors(r),
            ));
        }
        let mut sources: Vec<&str> = fs.iter().map(|f| f.data_source.as_str()).collect();
        sources.sort_unstable();
        sources.dedup();
        for s in sources {
            props.push(prop("plimsoll:data_source", s));
        }
        v.insert("properties".into(), Value::Array(props));
        out.push(Value::Object(v));
    }
    Value::Array(out)
}

/// A CVSS rating per distinct vector, and the label of each distinct severity source.
fn ratings(fs: &[&Finding], osv: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for f in fs {
        if let Some(c) = &f.cvss
            && c.score.is_finite()
            && seen.insert(("cvss", c.vector.clone()))
        {
            let method = match c.version.as_str() {
                "2.0" | "2" => "CVSSv2",
                "3.0" | "3" => "CVSSv3",
                "3.1" => "CVSSv31",
                "4.0" | "4" => "CVSSv4",
                _ => "other",
            };
            out.push(json!({
                "source": osv,
                "score": c.score,
                "severity": label(Severity::from_cvss(c.score)),
                "method": method,
                "vector": c.vector,
            }));
        }
        let by = f.severity_source.as_deref().unwrap_or("plimsoll");
        if (!by.starts_with("cvss") || f.cvss.is_none()) && seen.insert(("label", by.to_string())) {
            out.push(json!({
                "source": {"name": by},
                "severity": label(f.severity),
                "method": "other",
            }));
        }
    }
    out
}

fn label(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "critical",
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
        Severity::Unknown => "unknown",
    }
}

fn kind_name(k: ArtifactKind) -> &'static str {
    match k {
        ArtifactKind::ContainerImage => "container_image",
        ArtifactKind::Filesystem => "filesystem",
        ArtifactKind::Sbom => "sbom",
    }
}

fn root_ref(report: &Report) -> String {
    let a = &report.artifact;
    match &a.digest {
        Some(d) => format!("{}@{d}", a.name),
        None => a.name.clone(),
    }
}

fn prop(name: &str, value: &str) -> Value {
    json!({"name": name, "value": value})
}

/// The `licenses` array: one `{license:{id}}` or `{license:{name}}` per license, or a single
/// `{expression}` when any of them is an SPDX expression (the schema allows no mixing).
pub(crate) fn licenses(ls: &[String]) -> (Value, bool) {
    if ls.iter().any(|l| is_expression(l)) {
        let expr = if ls.len() == 1 {
            ls[0].clone()
        } else {
            ls.iter()
                .map(|l| {
                    if is_expression(l) {
                        format!("({l})")
                    } else {
                        l.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(" AND ")
        };
        let expr = spdx_expression(&expr).unwrap_or(expr);
        return (json!([{"expression": expr}]), ls.len() > 1);
    }
    let v = ls
        .iter()
        .map(|l| {
            if is_spdx_id(l) {
                json!({"license": {"id": l}})
            } else {
                json!({"license": {"name": l}})
            }
        })
        .collect();
    (Value::Array(v), false)
}

fn component(report: &Report, p: &Package, bom_ref: &str) -> Value {
    let mut c = Map::new();
    c.insert("type".into(), json!("library"));
    c.insert("bom-ref".into(), json!(bom_ref));
    c.insert("name".into(), json!(p.name));
    if !p.version.is_empty() {
        c.insert("version".into(), json!(p.version));
    }
    if !p.licenses.is_empty() {
        let (ls, merged) = licenses(&p.licenses);
        c.insert("licenses".into(), ls);
        if merged {
            // Keep the list as declared: the expression above joined it.
            let mut props = Vec::new();
            for l in &p.licenses {
                props.push(prop("plimsoll:license", l));
            }
            c.insert("x-licenses".into(), Value::Array(props));
        }
    }
    if !p.purl.is_empty() {
        c.insert("purl".into(), json!(p.purl));
    }
    // CycloneDX has room for one CPE; every one is also a property.
    if let Some(cpe) = p.cpes.first() {
        c.insert("cpe".into(), json!(cpe));
    }
    let mut props = Vec::new();
    if let Some(Value::Array(x)) = c.remove("x-licenses") {
        props.extend(x);
    }
    props.push(prop("plimsoll:package:type", &p.kind));
    if !p.ecosystem.is_empty() {
        props.push(prop("plimsoll:ecosystem", &p.ecosystem));
    }
    if let Some(loc) = p.locations.first() {
        if let Some(i) = loc.layer {
            props.push(prop("plimsoll:layer", &i.to_string()));
            if let Some(l) = report.artifact.layers.iter().find(|l| l.index == i) {
                if let Some(d) = &l.digest {
                    props.push(prop("plimsoll:layer:digest", d));
                }
                if let Some(d) = &l.diff_id {
                    props.push(prop("plimsoll:layer:diff_id", d));
                }
                if let Some(d) = &l.created_by {
                    props.push(prop("plimsoll:layer:created_by", d));
                }
            }
        }
        props.push(prop("plimsoll:path", &loc.path));
    }
    for loc in &p.locations {
        props.push(prop("plimsoll:location", &location_value(loc)));
    }
    if let Some(s) = &p.source {
        props.push(prop("plimsoll:source:name", &s.name));
        props.push(prop("plimsoll:source:version", &s.version));
    }
    if let Some(a) = &p.arch {
        props.push(prop("plimsoll:arch", a));
    }
    if let Some(o) = &p.owned_by {
        props.push(prop("plimsoll:owned_by", o));
    }
    if let Some(n) = p.removed_in_layer {
        props.push(prop("plimsoll:removed_in_layer", &n.to_string()));
    }
    if !p.origin.is_unknown() {
        props.push(prop("plimsoll:origin", p.origin.as_str()));
    }
    if let Some(f) = &p.found_by {
        props.push(prop("plimsoll:found_by", f));
    }
    for cpe in &p.cpes {
        props.push(prop("plimsoll:cpe", cpe));
    }
    for (k, v) in &p.metadata {
        props.push(prop(&format!("plimsoll:metadata:{k}"), v));
    }
    c.insert("properties".into(), Value::Array(props));
    Value::Object(c)
}

/// `LAYER:PATH`, or `:PATH` without a layer.
pub(crate) fn location_value(l: &plimsoll_model::Location) -> String {
    match l.layer {
        Some(i) => format!("{i}:{}", l.path),
        None => format!(":{}", l.path),
    }
}
