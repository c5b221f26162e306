//! CycloneDX 1.6 JSON.

use crate::licenses::{is_expression, is_spdx_id, spdx_expression};
use plimsoll_model::{ArtifactKind, Package, Report};
use serde_json::{Map, Value, json};
use std::collections::HashSet;

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
        refs.push(r);
    }
    let mut dependencies = vec![json!({"ref": root_ref, "dependsOn": refs})];
    dependencies.extend(refs.iter().map(|r| json!({"ref": r})));
    let mut tool = Map::new();
    tool.insert("type".into(), json!("application"));
    tool.insert("name".into(), json!("plimsoll"));
    tool.insert("version".into(), json!(crate::TOOL_VERSION));
    json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": format!("urn:uuid:{}", crate::report_uuid(report)),
        "version": 1,
        "metadata": {
            "timestamp": timestamp,
            "tools": {"components": [Value::Object(tool)]},
            "component": Value::Object(root),
        },
        "components": components,
        "dependencies": dependencies,
    })
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
    if !p.origin.is_empty() {
        props.push(prop("plimsoll:origin", &p.origin));
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
