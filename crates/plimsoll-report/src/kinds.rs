//! The finding kinds beside vulnerabilities — secrets, misconfigurations and malware — and
//! what every format says of them the same way: the order they are listed in, where each
//! one is, its layer, and the terminal tables.
//!
//! A secret finding carries its match only redacted (`AKIA****`): that, the rule, the place
//! and the layer are all any format writes of it. Nothing else from the image's file
//! contents is ever added here. A layer's `created_by` is taken from the artifact's layer
//! list, which the image crate redacted ([`plimsoll_model::redact`]); a finding's own copy
//! is redacted again before use, since a build argument baked into a `RUN` line is exactly
//! what the secret scanner looks for in history.

use crate::summary::{SEVERITIES, short_created_by};
use crate::table::{new_table, severity_cell};
use comfy_table::{Cell, ColumnConstraint, Table};
use plimsoll_model::{
    MalwareFinding, Misconfiguration, Report, SecretFinding, SecretSource, Severity,
};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Counts by severity, indexed like [`SEVERITIES`].
pub(crate) fn counts(sevs: impl IntoIterator<Item = Severity>) -> [usize; 5] {
    let mut c = [0; 5];
    for s in sevs {
        c[SEVERITIES.iter().position(|x| *x == s).unwrap_or(4)] += 1;
    }
    c
}

/// `3 (CRITICAL: 0, HIGH: 2, MEDIUM: 1, LOW: 0, UNKNOWN: 0)`.
pub(crate) fn total(sevs: impl IntoIterator<Item = Severity>) -> String {
    let c = counts(sevs);
    format!(
        "{} ({})",
        c.iter().sum::<usize>(),
        crate::summary::by_severity(&c)
    )
}

/// Secrets most severe first, then by place (path, line) and rule.
pub(crate) fn sorted_secrets(v: &[SecretFinding]) -> Vec<&SecretFinding> {
    let mut v: Vec<&SecretFinding> = v.iter().collect();
    v.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.source.cmp(&b.source))
            .then_with(|| a.path.cmp(&b.path))
            .then_with(|| a.line.cmp(&b.line))
            .then_with(|| a.rule_id.cmp(&b.rule_id))
            .then_with(|| a.layer.cmp(&b.layer))
    });
    v
}

/// Misconfigurations most severe first, then by file, line and check.
pub(crate) fn sorted_misconfigurations(v: &[Misconfiguration]) -> Vec<&Misconfiguration> {
    let mut v: Vec<&Misconfiguration> = v.iter().collect();
    v.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.path.cmp(&b.path))
            .then_with(|| a.line.cmp(&b.line))
            .then_with(|| a.id.cmp(&b.id))
    });
    v
}

/// Malware most severe first, then by path and id.
pub(crate) fn sorted_malware(v: &[MalwareFinding]) -> Vec<&MalwareFinding> {
    let mut v: Vec<&MalwareFinding> = v.iter().collect();
    v.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.path.cmp(&b.path))
            .then_with(|| a.id.cmp(&b.id))
    });
    v
}

/// Where a secret is, on one line: `etc/app.env:3`, `Env AWS_SECRET_ACCESS_KEY`,
/// `label org.example.token`, `history`.
pub(crate) fn secret_where(s: &SecretFinding) -> String {
    let path = s.path.as_deref().unwrap_or("");
    match s.source {
        SecretSource::File => match s.line {
            Some(l) => format!("{path}:{l}"),
            None => path.to_string(),
        },
        SecretSource::Env => format!("Env {path}"),
        SecretSource::Label => format!("label {path}"),
        SecretSource::History => match s.layer {
            Some(_) => "history (created_by)".into(),
            None => "history (created_by, no layer)".into(),
        },
    }
}

/// `path:line`, `path`, `image config` or `image history, entry N`: where a
/// misconfiguration is (the hardening checks give the image config and history the path
/// `config`, and a history finding the entry's number as its line).
pub(crate) fn misconfiguration_where(m: &Misconfiguration) -> String {
    match (m.path.as_deref(), m.line) {
        (Some("config") | None, Some(l)) => format!("image history, entry {l}"),
        (Some("config") | None, None) => "image config".into(),
        (Some(p), Some(l)) => format!("{p}:{l}"),
        (Some(p), None) => p.to_string(),
    }
}

/// The file a misconfiguration is in, if it is in a file (not the image config).
pub(crate) fn misconfiguration_file(m: &Misconfiguration) -> Option<&str> {
    m.path.as_deref().filter(|p| *p != "config")
}

/// A layer's `created_by` as every format shows it: the artifact's (redacted where the
/// image was read), else the finding's own, redacted here.
pub(crate) fn created_by<'a>(
    r: &'a Report,
    layer: usize,
    own: Option<&'a str>,
) -> Option<Cow<'a, str>> {
    r.artifact
        .layers
        .iter()
        .find(|l| l.index == layer)
        .and_then(|l| l.created_by.as_deref())
        .map(Cow::Borrowed)
        .or_else(|| own.map(|c| Cow::Owned(plimsoll_model::redact::created_by(c))))
}

/// `layer 2: COPY app /app`, or `layer 2`, cut at `max` characters of instruction.
pub(crate) fn layer_text(
    r: &Report,
    layer: Option<usize>,
    own: Option<&str>,
    max: usize,
) -> Option<String> {
    let i = layer?;
    Some(match created_by(r, i, own) {
        Some(c) => format!("layer {i}: {}", short_created_by(&c, max)),
        None => format!("layer {i}"),
    })
}

/// `added in layer 2, removed in layer 3`: a file a later layer deleted that anyone with
/// the image can still extract from the earlier layer's blob ([`crate::layer_span`]).
pub(crate) fn deleted_note(s: &SecretFinding) -> Option<String> {
    crate::layer_span(s.layer, s.deleted_in_layer)
}

/// The same note for a malware finding in a file a later layer removed.
pub(crate) fn malware_deleted_note(m: &MalwareFinding) -> Option<String> {
    crate::layer_span(m.layer, m.deleted_in_layer)
}

/// `Suppressed secrets: 2 (ignorefile: 2)`, or `None`.
pub(crate) fn suppressed_secrets_line(r: &Report) -> Option<String> {
    if r.suppressed_secrets.is_empty() {
        return None;
    }
    let mut by: BTreeMap<&str, usize> = BTreeMap::new();
    for s in &r.suppressed_secrets {
        *by.entry(s.suppressed_by.as_str()).or_default() += 1;
    }
    let parts: Vec<String> = by.iter().map(|(k, n)| format!("{k}: {n}")).collect();
    Some(format!(
        "Suppressed secrets: {} ({})",
        r.suppressed_secrets.len(),
        parts.join(", ")
    ))
}

/// `(kind, compact JSON)` per secret, misconfiguration and malware finding, in the native
/// report's form: how the SBOM formats, which have no place for them, carry them (a
/// CycloneDX property, an SPDX annotation). A secret's `layer_created_by` is left out (the
/// layer index names the layer; the image's layer list has its instruction). Malware matched
/// to a package is left out unless `with_packages`: CycloneDX says it as a vulnerability.
pub(crate) fn native_objects(r: &Report, with_packages: bool) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for s in sorted_secrets(&r.secrets) {
        let s = SecretFinding {
            layer_created_by: None,
            ..s.clone()
        };
        if let Ok(v) = serde_json::to_string(&s) {
            out.push(("secret", v));
        }
    }
    for m in sorted_misconfigurations(&r.misconfigurations) {
        if let Ok(v) = serde_json::to_string(m) {
            out.push(("misconfiguration", v));
        }
    }
    let packages: std::collections::HashSet<&str> =
        r.packages.iter().map(|p| p.id.as_str()).collect();
    for m in sorted_malware(&r.malware) {
        let as_vulnerability = m
            .package_id
            .as_deref()
            .is_some_and(|p| packages.contains(p));
        if (with_packages || !as_vulnerability)
            && let Ok(v) = serde_json::to_string(m)
        {
            out.push(("malware", v));
        }
    }
    out
}

/// The terminal sections, one table per kind the report holds (nothing for a kind it does
/// not hold), each headed by its total like Trivy's, malware first; at least 140 columns
/// wide, so that a path and its line stay on one line.
pub(crate) fn tables(r: &Report, (width, color): (u16, bool), out: &mut String) {
    malware_table(r, (width, color), out);
    tables_but_malware(r, (width, color), out);
}

/// The malware table, when the report holds malware: what every format shows first.
pub(crate) fn malware_table(r: &Report, (width, color): (u16, bool), out: &mut String) {
    let width = width.max(140);
    if !r.malware.is_empty() {
        let _ = writeln!(
            out,
            "\nMalware: {}",
            total(r.malware.iter().map(|m| m.severity))
        );
        let mut t = new_table(
            (width, color),
            vec!["Severity", "Id", "Title", "Path", "Layer", "Matched by"],
        );
        for m in sorted_malware(&r.malware) {
            let mut by = m.data_source.clone();
            if let Some(d) = &m.digest {
                let (alg, hex) = d.split_once(':').unwrap_or(("", d));
                let hex: String = hex.chars().take(12).collect();
                let _ = write!(by, "\n{alg}:{hex}");
            }
            if let Some(p) = package(r, m) {
                let _ = write!(by, "\npackage {p}");
            }
            if !m.tags.is_empty() {
                let _ = write!(by, "\ntags {}", m.tags.join(", "));
            }
            let mut layer =
                layer_text(r, m.layer, m.layer_created_by.as_deref(), 30).unwrap_or_default();
            if let Some(d) = malware_deleted_note(m) {
                if !layer.is_empty() {
                    layer.push('\n');
                }
                layer.push_str(&d);
            }
            t.add_row(vec![
                severity_cell(m.severity, color),
                Cell::new(&m.id),
                Cell::new(&m.title),
                Cell::new(&m.path),
                Cell::new(layer),
                Cell::new(by),
            ]);
        }
        unwrapped(&mut t, &[0, 1, 3]);
        let _ = writeln!(out, "{t}");
    }
}

/// [`tables`] but malware (which the vulnerability table shows before the vulnerabilities).
pub(crate) fn tables_but_malware(r: &Report, (width, color): (u16, bool), out: &mut String) {
    let width = width.max(140);
    if !r.secrets.is_empty() || !r.suppressed_secrets.is_empty() {
        let _ = writeln!(
            out,
            "\nSecrets: {}",
            total(r.secrets.iter().map(|s| s.severity))
        );
        if let Some(l) = suppressed_secrets_line(r) {
            let _ = writeln!(out, "{l}");
        }
        if !r.secrets.is_empty() {
            let mut t = new_table(
                (width, color),
                vec!["Severity", "Rule", "Title", "Where", "Layer", "Match"],
            );
            for s in sorted_secrets(&r.secrets) {
                let mut layer =
                    layer_text(r, s.layer, s.layer_created_by.as_deref(), 30).unwrap_or_default();
                if let Some(d) = deleted_note(s) {
                    if !layer.is_empty() {
                        layer.push('\n');
                    }
                    layer.push_str(&d);
                }
                t.add_row(vec![
                    severity_cell(s.severity, color),
                    Cell::new(&s.rule_id),
                    Cell::new(&s.title),
                    Cell::new(secret_where(s)),
                    Cell::new(layer),
                    Cell::new(&s.redacted),
                ]);
            }
            unwrapped(&mut t, &[0, 1, 3, 5]);
            let _ = writeln!(out, "{t}");
        }
    }
    if !r.misconfigurations.is_empty() {
        let _ = writeln!(
            out,
            "\nMisconfigurations: {}",
            total(r.misconfigurations.iter().map(|m| m.severity))
        );
        let mut t = new_table(
            (width, color),
            vec!["Severity", "Check", "Title", "Where", "Layer", "Message"],
        );
        for m in sorted_misconfigurations(&r.misconfigurations) {
            let mut msg = m.message.clone();
            if let Some(res) = &m.resolution {
                let _ = write!(msg, "\nFix: {res}");
            }
            t.add_row(vec![
                severity_cell(m.severity, color),
                Cell::new(&m.id),
                Cell::new(&m.title),
                Cell::new(misconfiguration_where(m)),
                Cell::new(
                    layer_text(r, m.layer, m.layer_created_by.as_deref(), 30).unwrap_or_default(),
                ),
                Cell::new(msg),
            ]);
        }
        unwrapped(&mut t, &[0, 1, 3]);
        let _ = writeln!(out, "{t}");
    }
    crate::layers::table(r, (width, color), out);
}

/// Columns never wrapped (severity, id, place, match): a path and its line, or a match, cut
/// in two reads as two things; the others wrap instead.
fn unwrapped(t: &mut Table, columns: &[usize]) {
    for &i in columns {
        if let Some(c) = t.column_mut(i) {
            c.set_constraint(ColumnConstraint::ContentWidth);
        }
    }
}

/// `lodash 4.17.21`: the package a malware finding names, else its id as written.
pub(crate) fn package(r: &Report, m: &MalwareFinding) -> Option<String> {
    let id = m.package_id.as_deref()?;
    Some(match r.packages.iter().find(|p| p.id == id) {
        Some(p) => format!("{} {}", p.name, p.version),
        None => id.to_string(),
    })
}

/// The `security-severity` GitHub reads (a number as a string, 0.0–10.0) for a severity
/// label; `None` for an unknown one.
pub(crate) fn security_severity(s: Severity) -> Option<&'static str> {
    match s {
        Severity::Critical => Some("9.5"),
        Severity::High => Some("8.0"),
        Severity::Medium => Some("5.5"),
        Severity::Low => Some("2.0"),
        Severity::Unknown => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plimsoll_model::{Artifact, ArtifactKind, Layer};

    #[test]
    fn a_findings_own_created_by_is_redacted_and_the_artifacts_preferred() {
        let mut r = Report::new(Artifact::new("app", ArtifactKind::ContainerImage, "x"));
        let own = "RUN |1 GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789 /bin/sh -c make";
        // No such layer in the artifact: the finding's copy, redacted.
        let shown = layer_text(&r, Some(1), Some(own), 200).unwrap();
        assert!(!shown.contains("ghp_abc"), "{shown}");
        assert!(shown.starts_with("layer 1: "), "{shown}");
        r.artifact.layers.push(Layer {
            index: 1,
            created_by: Some("RUN |1 GITHUB_TOKEN=**** /bin/sh -c make".into()),
            ..Layer::default()
        });
        assert_eq!(
            layer_text(&r, Some(1), Some(own), 200).unwrap(),
            "layer 1: RUN |1 GITHUB_TOKEN=**** /bin/sh -c make"
        );
        assert_eq!(layer_text(&r, None, Some(own), 200), None);
    }
}
