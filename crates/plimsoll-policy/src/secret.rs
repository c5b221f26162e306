//! How secret findings are named in gate reasons, policy violations and warnings: by
//! severity, rule id and where the secret is, never by its value (not even redacted).

use plimsoll_model::{SecretFinding, SecretSource};

/// Where a secret is, for people: `app/.env:3 (layer 1)`, `Env AWS_SECRET_ACCESS_KEY`,
/// `history of layer 2`; a file a later layer deleted says so.
pub(crate) fn place(s: &SecretFinding) -> String {
    let path = s.path.as_deref().unwrap_or("");
    let mut out = match s.source {
        SecretSource::File => match s.line {
            Some(l) => format!("{path}:{l}"),
            None => path.to_string(),
        },
        SecretSource::Env => format!("Env {path}"),
        SecretSource::Label => format!("label {path}"),
        SecretSource::History => "history".to_string(),
    };
    let mut facts = Vec::new();
    if let Some(l) = s.layer {
        facts.push(format!("layer {l}"));
    }
    if let Some(d) = s.deleted_in_layer {
        facts.push(format!("deleted in layer {d}, still in the image"));
    }
    if !facts.is_empty() {
        out.push_str(&format!(" ({})", facts.join(", ")));
    }
    out
}

/// `HIGH secret aws-access-key-id at app/.env:3 (layer 1)`.
pub(crate) fn line(s: &SecretFinding) -> String {
    format!("{} secret {} at {}", s.severity, s.rule_id, place(s))
}

/// A secret finding built the way the secret analyzer writes one, for tests.
#[cfg(test)]
pub(crate) fn finding(
    rule_id: &str,
    severity: plimsoll_model::Severity,
    path: &str,
    line: u64,
    layer: usize,
) -> SecretFinding {
    SecretFinding {
        rule_id: rule_id.into(),
        category: "test".into(),
        title: rule_id.replace('-', " "),
        severity,
        source: SecretSource::File,
        path: Some(path.into()),
        line: Some(line),
        layer: Some(layer),
        layer_created_by: Some("COPY . /app # buildkit".into()),
        deleted_in_layer: None,
        redacted: "AKIA****".into(),
        fingerprint: format!("{path}:{rule_id}:{line}"),
        in_base_image: None,
    }
}
