//! How misconfigurations (the hardening checks, `PLIM-IMG-…`) are named in gate reasons,
//! policy violations and warnings: by severity, check id and where.

use plimsoll_model::Misconfiguration;

/// Where a misconfiguration is, for people: `srv/app/.env (layer 2)`, `config`,
/// `config, history entry 3 (layer 1)`.
pub(crate) fn place(m: &Misconfiguration) -> String {
    let mut out = m.path.clone().unwrap_or_else(|| "config".into());
    if let Some(l) = m.line {
        out.push_str(&format!(", history entry {l}"));
    }
    if let Some(l) = m.layer {
        out.push_str(&format!(" (layer {l})"));
    }
    out
}

/// `HIGH misconfiguration PLIM-IMG-002 at usr/local/bin/helper (layer 1)`.
pub(crate) fn line(m: &Misconfiguration) -> String {
    format!("{} misconfiguration {} at {}", m.severity, m.id, place(m))
}

/// A misconfiguration built the way the hardening analyzer writes one, for tests.
#[cfg(test)]
pub(crate) fn finding(
    id: &str,
    severity: plimsoll_model::Severity,
    path: &str,
    layer: Option<usize>,
) -> Misconfiguration {
    Misconfiguration {
        id: id.into(),
        title: id.into(),
        severity,
        message: format!("{path} is wrong"),
        path: Some(path.into()),
        line: None,
        layer,
        layer_created_by: None,
        resolution: Some("fix it".into()),
    }
}
