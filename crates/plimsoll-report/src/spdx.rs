//! SPDX 2.3 JSON.
//!
//! SPDX 2.3 has no findings of any kind: vulnerabilities are left out, and each secret,
//! misconfiguration and malware finding is an annotation of the image package
//! (`plimsoll:secret: {…}`, `plimsoll:misconfiguration: {…}`, `plimsoll:malware: {…}`), the
//! native report's object as compact JSON, the secret's match redacted as the report holds it.
//!
//! Packages a later layer removed (`--layers all`) are packages of the document with a
//! `plimsoll:removed_in_layer` annotation, related to the image by `OTHER` (with a comment
//! saying which layers), not `CONTAINS`: the final filesystem does not hold them.

use crate::licenses::{license_ref, spdx_expression};
use plimsoll_model::{ArtifactKind, Package, Report};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashSet};

/// The report as an SPDX 2.3 document, created now.
pub fn to_spdx(report: &Report) -> Value {
    to_spdx_at(report, &crate::now_rfc3339())
}

/// SPDX identifiers allow only letters, digits, `.` and `-`.
fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// The report as an SPDX 2.3 document with the given RFC 3339 creation time.
pub fn to_spdx_at(report: &Report, created: &str) -> Value {
    let a = &report.artifact;
    let uuid = crate::report_uuid(report);
    let tool = format!("Tool: plimsoll-{}", crate::TOOL_VERSION);
    let mut packages = Vec::new();
    let mut relationships = Vec::new();
    let mut extracted: BTreeMap<String, String> = BTreeMap::new();

    let (root_id, purpose) = match a.kind {
        ArtifactKind::Filesystem => ("SPDXRef-Filesystem", "FILE"),
        _ => ("SPDXRef-Image", "CONTAINER"),
    };
    let mut root = Map::new();
    root.insert("SPDXID".into(), json!(root_id));
    root.insert("name".into(), json!(a.name));
    if let Some(d) = &a.digest {
        root.insert("versionInfo".into(), json!(d));
    }
    root.insert("downloadLocation".into(), json!("NOASSERTION"));
    root.insert("filesAnalyzed".into(), json!(false));
    root.insert("licenseConcluded".into(), json!("NOASSERTION"));
    root.insert("licenseDeclared".into(), json!("NOASSERTION"));
    root.insert("primaryPackagePurpose".into(), json!(purpose));
    let mut root_notes = vec![
        format!("plimsoll:artifact:kind: {}", kind_name(a.kind)),
        format!("plimsoll:artifact:source: {}", a.source),
    ];
    for l in &a.layers {
        if let Some(d) = &l.diff_id {
            root_notes.push(format!("plimsoll:layer:diff_id: {d}"));
        }
    }
    for l in crate::failed_layer_lines(report) {
        root_notes.push(format!("plimsoll:layer:error: {l}"));
    }
    if !report.suppressed_secrets.is_empty() {
        root_notes.push(format!(
            "plimsoll:suppressed_secrets: {}",
            report.suppressed_secrets.len()
        ));
    }
    for (name, value) in crate::kinds::native_objects(report, true) {
        root_notes.push(format!("plimsoll:{name}: {value}"));
    }
    root.insert(
        "annotations".into(),
        annotations(&tool, created, &root_notes),
    );
    packages.push(Value::Object(root));
    relationships.push(json!({
        "spdxElementId": "SPDXRef-DOCUMENT",
        "relatedSpdxElement": root_id,
        "relationshipType": "DESCRIBES",
    }));

    let mut seen = HashSet::new();
    if let Some(os) = &a.os {
        let id = "SPDXRef-OperatingSystem";
        seen.insert(id.to_string());
        packages.push(json!({
            "SPDXID": id,
            "name": os.family,
            "versionInfo": os.version,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": "NOASSERTION",
            "primaryPackagePurpose": "OPERATING_SYSTEM",
        }));
        relationships.push(json!({
            "spdxElementId": root_id,
            "relatedSpdxElement": id,
            "relationshipType": "CONTAINS",
        }));
    }
    let removed = report.removed_packages.iter().map(|p| (p, true));
    for (p, is_removed) in report.packages.iter().map(|p| (p, false)).chain(removed) {
        let base = format!(
            "SPDXRef-Package-{}-{}-{}",
            sanitize(&p.kind),
            sanitize(&p.name),
            sanitize(&p.version)
        );
        let mut id = base.clone();
        let mut n = 1;
        while !seen.insert(id.clone()) {
            n += 1;
            id = format!("{base}-{n}");
        }
        packages.push(package(report, p, &id, &tool, created, &mut extracted));
        if is_removed {
            // Not in the final filesystem: the image's layer blobs hold it, which is no
            // CONTAINS a consumer would count as shipped (docs/layers.md).
            relationships.push(json!({
                "spdxElementId": root_id,
                "relatedSpdxElement": id,
                "relationshipType": "OTHER",
                "comment": format!(
                    "removed by a later layer ({}): in an earlier layer's blob, not in the final filesystem",
                    crate::layers::package_span(p)
                ),
            }));
            continue;
        }
        relationships.push(json!({
            "spdxElementId": root_id,
            "relatedSpdxElement": id,
            "relationshipType": "CONTAINS",
        }));
    }
    let mut doc = Map::new();
    doc.insert("spdxVersion".into(), json!("SPDX-2.3"));
    doc.insert("dataLicense".into(), json!("CC0-1.0"));
    doc.insert("SPDXID".into(), json!("SPDXRef-DOCUMENT"));
    doc.insert("name".into(), json!(a.name));
    doc.insert(
        "documentNamespace".into(),
        json!(format!(
            "https://spdx.org/spdxdocs/plimsoll-{}-{uuid}",
            sanitize(&a.name)
        )),
    );
    doc.insert(
        "creationInfo".into(),
        json!({"created": created, "creators": [tool]}),
    );
    if !extracted.is_empty() {
        doc.insert(
            "hasExtractedLicensingInfos".into(),
            Value::Array(
                extracted
                    .iter()
                    .map(|(id, text)| json!({"licenseId": id, "extractedText": text, "name": text}))
                    .collect(),
            ),
        );
    }
    doc.insert("packages".into(), Value::Array(packages));
    doc.insert("relationships".into(), Value::Array(relationships));
    Value::Object(doc)
}

fn kind_name(k: ArtifactKind) -> &'static str {
    match k {
        ArtifactKind::ContainerImage => "container_image",
        ArtifactKind::Filesystem => "filesystem",
        ArtifactKind::Sbom => "sbom",
    }
}

/// Trivy writes facts SPDX has no field for as `Key: value` annotations by the tool; so do we,
/// with the same names as the CycloneDX properties.
fn annotations(tool: &str, created: &str, notes: &[String]) -> Value {
    Value::Array(
        notes
            .iter()
            .map(|c| {
                json!({
                    "annotator": tool,
                    "annotationDate": created,
                    "annotationType": "OTHER",
                    "comment": c,
                })
            })
            .collect(),
    )
}

/// `licenseDeclared`: the licenses ANDed, each an SPDX expression or a `LicenseRef-` recorded
/// in `hasExtractedLicensingInfos`.
fn declared(ls: &[String], extracted: &mut BTreeMap<String, String>) -> String {
    if ls.is_empty() {
        return "NOASSERTION".into();
    }
    let parts: Vec<String> = ls
        .iter()
        .map(|l| match spdx_expression(l) {
            Some(e) if ls.len() > 1 && e.contains(' ') => format!("({e})"),
            Some(e) => e,
            None => {
                let mut r = license_ref(l);
                // Two different strings that sanitize alike get distinct refs.
                let mut n = 1;
                while extracted.get(&r).is_some_and(|t| t != l) {
                    n += 1;
                    r = format!("{}-{n}", license_ref(l));
                }
                extracted.insert(r.clone(), l.clone());
                r
            }
        })
        .collect();
    parts.join(" AND ")
}

fn package(
    report: &Report,
    p: &Package,
    id: &str,
    tool: &str,
    created: &str,
    extracted: &mut BTreeMap<String, String>,
) -> Value {
    let mut m = Map::new();
    m.insert("SPDXID".into(), json!(id));
    m.insert("name".into(), json!(p.name));
    if !p.version.is_empty() {
        m.insert("versionInfo".into(), json!(p.version));
    }
    m.insert("downloadLocation".into(), json!("NOASSERTION"));
    m.insert("filesAnalyzed".into(), json!(false));
    m.insert("licenseConcluded".into(), json!("NOASSERTION"));
    m.insert(
        "licenseDeclared".into(),
        json!(declared(&p.licenses, extracted)),
    );
    m.insert("copyrightText".into(), json!("NOASSERTION"));
    if let Some(loc) = p.locations.first() {
        let layer = loc
            .layer
            .map(|l| format!(" (layer {l})"))
            .unwrap_or_default();
        m.insert(
            "sourceInfo".into(),
            json!(format!(
                "acquired package info from {} package data: {}{layer}",
                p.kind, loc.path
            )),
        );
    }
    let mut refs = Vec::new();
    if !p.purl.is_empty() {
        refs.push(json!({
            "referenceCategory": "PACKAGE-MANAGER",
            "referenceType": "purl",
            "referenceLocator": p.purl,
        }));
    }
    for cpe in &p.cpes {
        refs.push(json!({
            "referenceCategory": "SECURITY",
            "referenceType": "cpe23Type",
            "referenceLocator": cpe,
        }));
    }
    if !refs.is_empty() {
        m.insert("externalRefs".into(), Value::Array(refs));
    }
    m.insert(
        "primaryPackagePurpose".into(),
        json!(if p.kind == "binary" {
            "APPLICATION"
        } else {
            "LIBRARY"
        }),
    );
    let mut notes = vec![
        format!("plimsoll:id: {}", p.id),
        format!("plimsoll:package:type: {}", p.kind),
    ];
    if let Some(n) = p.removed_in_layer {
        notes.push(format!("plimsoll:removed_in_layer: {n}"));
    }
    if !p.ecosystem.is_empty() {
        notes.push(format!("plimsoll:ecosystem: {}", p.ecosystem));
    }
    for l in &p.licenses {
        notes.push(format!("plimsoll:license: {l}"));
    }
    if let Some(loc) = p.locations.first()
        && let Some(i) = loc.layer
    {
        notes.push(format!("plimsoll:layer: {i}"));
        if let Some(l) = report.artifact.layers.iter().find(|l| l.index == i) {
            if let Some(d) = &l.digest {
                notes.push(format!("plimsoll:layer:digest: {d}"));
            }
            if let Some(d) = &l.diff_id {
                notes.push(format!("plimsoll:layer:diff_id: {d}"));
            }
            if let Some(d) = &l.created_by {
                notes.push(format!("plimsoll:layer:created_by: {d}"));
            }
        }
    }
    for loc in &p.locations {
        notes.push(format!(
            "plimsoll:location: {}",
            crate::cyclonedx::location_value(loc)
        ));
    }
    if let Some(s) = &p.source {
        notes.push(format!("plimsoll:source:name: {}", s.name));
        notes.push(format!("plimsoll:source:version: {}", s.version));
    }
    if let Some(a) = &p.arch {
        notes.push(format!("plimsoll:arch: {a}"));
    }
    if let Some(o) = &p.owned_by {
        notes.push(format!("plimsoll:owned_by: {o}"));
    }
    if !p.origin.is_unknown() {
        notes.push(format!("plimsoll:origin: {}", p.origin));
    }
    for (k, v) in &p.metadata {
        notes.push(format!("plimsoll:metadata:{k}: {v}"));
    }
    m.insert("annotations".into(), annotations(tool, created, &notes));
    Value::Object(m)
}
