//! `plimsoll explain`'s text (the tables of the other commands are plimsoll-report's).

use plimsoll_model::{self as model, text::escape_controls_keep_newlines};
use std::fmt::Write;

/// `plimsoll explain`: one finding, told in full. Its text comes from the image and the
/// advisories: control characters are escaped, line feeds but the layout's own kept.
pub fn explain(
    report: &model::Report,
    f: &model::Finding,
    suppressed: Option<&model::Suppressed>,
    records: &[plimsoll_match::explain::RecordWhy],
) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{} in {} {} ({}), {}",
        f.id, f.package_name, f.installed_version, f.matched_ecosystem, report.artifact.name
    );
    if let Some(t) = &f.title {
        let _ = writeln!(o, "  {t}");
    }
    if !f.aliases.is_empty() {
        let _ = writeln!(o, "Aliases: {}", f.aliases.join(", "));
    }
    let source = f
        .severity_source
        .as_deref()
        .map(|s| format!(" (from {s})"))
        .unwrap_or_default();
    let _ = writeln!(o, "Severity: {}{source}", f.severity.as_str());
    if let Some(c) = &f.cvss {
        let _ = writeln!(o, "CVSS {}: {} {}", c.version, c.score, c.vector);
    }
    if f.kev {
        let _ = writeln!(
            o,
            "Exploited: listed in CISA's Known Exploited Vulnerabilities catalog"
        );
    }
    if let Some(e) = &f.epss {
        let _ = writeln!(
            o,
            "EPSS: {:.3} probability of exploitation in 30 days ({:.0}th percentile)",
            e.score,
            (e.percentile * 100.0).floor()
        );
    }
    let status = match f.status {
        model::FixStatus::Fixed => format!("fixed in {}", f.fixed_versions.join(", ")),
        model::FixStatus::Affected => "affected, no fix released".into(),
        model::FixStatus::WillNotFix => "the distribution will not fix it".into(),
        model::FixStatus::Unknown => "unknown".into(),
    };
    let _ = writeln!(o, "Status: {status}");

    let _ = writeln!(o, "\nWhy it matched:");
    let _ = writeln!(
        o,
        "  {} {} was compared as {} {} under {}",
        f.package_name,
        f.installed_version,
        f.matched_name,
        f.installed_version,
        f.matched_ecosystem
    );
    if f.upstream_match {
        let _ = writeln!(
            o,
            "  matched upstream although a distribution package owns it (--detection-priority comprehensive)"
        );
    }
    for r in records {
        let mut head = r.id.clone();
        if let Some(s) = &r.summary {
            head.push_str(&format!(": {s}"));
        }
        let _ = writeln!(o, "  {head}");
        let dates = match &r.published {
            Some(p) => format!("published {p}, modified {}", r.modified),
            None => format!("modified {}", r.modified),
        };
        let _ = writeln!(o, "    {dates}");
        let ids: Vec<&str> = r
            .aliases
            .iter()
            .chain(r.upstream.iter())
            .map(String::as_str)
            .collect();
        if !ids.is_empty() {
            let _ = writeln!(o, "    names: {}", ids.join(", "));
        }
        for e in &r.entries {
            let _ = writeln!(o, "    {} {}:", e.ecosystem, e.name);
            for range in &e.ranges {
                let _ = writeln!(o, "      {range}");
            }
            if e.listed_versions > 0 {
                let _ = writeln!(o, "      {} versions listed", e.listed_versions);
            }
            if e.matched.is_empty() {
                let _ = writeln!(o, "      does not hold {}", f.installed_version);
            } else {
                let _ = writeln!(
                    o,
                    "      {} is in: {}",
                    f.installed_version,
                    e.matched.join("; ")
                );
            }
        }
    }

    let _ = writeln!(o, "\nWhere it came from:");
    match (f.layer, &f.layer_created_by) {
        (Some(l), Some(c)) => {
            let _ = writeln!(o, "  layer {l}: {c}");
        }
        (Some(l), None) => {
            let _ = writeln!(o, "  layer {l}");
        }
        _ => {}
    }
    if let Some(span) = plimsoll_report::layer_span(f.layer, f.removed_in_layer) {
        let _ = writeln!(
            o,
            "  {span}: not in the final filesystem, still in layer {}'s blob (--layers all; informational unless a policy rule says removed: true)",
            f.layer.unwrap_or_default()
        );
    }
    if let Some(p) = &f.path {
        let _ = writeln!(o, "  path: {p}");
    }
    match (&report.artifact.base_image, f.in_base_image) {
        (Some(b), Some(yes)) => {
            let _ = writeln!(
                o,
                "  in base image: {} ({})",
                if yes { "yes" } else { "no" },
                b.describe()
            );
            let _ = writeln!(o, "    {}", b.detail);
        }
        (Some(_), None) => {
            let _ = writeln!(o, "  in base image: unknown (not attributed to a layer)");
        }
        (None, _) => {
            let _ = writeln!(o, "  in base image: unknown (no base image told apart)");
        }
    }

    if let Some(r) = &f.risk {
        let _ = writeln!(o, "\nRisk {:.1} of 10:", r.score);
        for x in &r.factors {
            let _ = writeln!(o, "  {:+.1} {}: {}", x.points, x.factor, x.detail);
        }
    }
    let _ = writeln!(o);
    match suppressed {
        Some(s) => {
            let _ = writeln!(o, "Suppressed by {}: {}", s.suppressed_by, s.reason);
        }
        None => {
            let _ = writeln!(
                o,
                "Not suppressed: no VEX statement, ignore entry or --ignore-unfixed applies."
            );
        }
    }
    if let Some(g) = &report.gate {
        // The image's gate, which this finding may have no part in: say what decided it.
        let blocking: Vec<&str> = g
            .violations
            .iter()
            .filter(|v| v.action == model::Action::Block)
            .map(|v| v.rule.as_str())
            .collect();
        if blocking.is_empty() {
            let _ = writeln!(o, "Gate (the whole image): {}", g.result);
        } else {
            let _ = writeln!(
                o,
                "Gate (the whole image): {}, blocked by {}",
                g.result,
                blocking.join(", ")
            );
        }
    }
    escape_controls_keep_newlines(&o).into_owned()
}

/// `plimsoll explain RULE-ID|FINGERPRINT`: one secret finding, told in full. Only the
/// redacted match is shown; paths and build commands come from the image, so control
/// characters are escaped.
/// `explain ID` for a malware finding: what matched, where, and how it got there.
pub fn explain_malware(report: &model::Report, m: &model::MalwareFinding) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{} (malware) in {}", m.id, report.artifact.name);
    let _ = writeln!(o, "  {}", m.title);
    let _ = writeln!(o, "Severity: {}", m.severity.as_str());
    let _ = writeln!(o, "Found in: {}", m.path);
    if let Some(p) = &m.package_id {
        let name = report
            .packages
            .iter()
            .find(|x| &x.id == p)
            .map_or(p.clone(), |x| format!("{} {}", x.name, x.version));
        let _ = writeln!(o, "Package: {name}");
    }
    if let Some(l) = m.layer {
        let _ = writeln!(
            o,
            "Layer: {l}: {}",
            m.layer_created_by.as_deref().unwrap_or("(no history)")
        );
    }
    deleted_line(&mut o, m.layer, m.deleted_in_layer);
    let _ = writeln!(o, "Matched by: {}", m.data_source);
    if let Some(d) = &m.digest {
        let _ = writeln!(o, "Digest: {d}");
    }
    if !m.tags.is_empty() {
        let _ = writeln!(o, "Tags: {}", m.tags.join(", "));
    }
    for (k, v) in &m.meta {
        let _ = writeln!(o, "Meta: {k} = {v}");
    }
    o
}

pub fn explain_secret(
    report: &model::Report,
    s: &model::SecretFinding,
    suppressed: Option<&model::SuppressedSecret>,
) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{} ({}) in {}",
        s.rule_id, s.category, report.artifact.name
    );
    let _ = writeln!(o, "  {}", s.title);
    let _ = writeln!(o, "Severity: {}", s.severity.as_str());
    let place = match (s.source, &s.path, s.line) {
        (model::SecretSource::File, Some(p), Some(l)) => format!("{p}, line {l}"),
        (model::SecretSource::Env, Some(p), _) => format!("the image config's Env, {p}"),
        (model::SecretSource::Label, Some(p), _) => format!("the image config's label {p}"),
        (model::SecretSource::History, _, _) => "the image history (a created_by line)".into(),
        (src, p, _) => format!("{} {}", src.as_str(), p.as_deref().unwrap_or_default()),
    };
    let _ = writeln!(o, "Found in: {place}");
    if let Some(l) = s.layer {
        let _ = writeln!(
            o,
            "Layer: {l}: {}",
            s.layer_created_by.as_deref().unwrap_or("(no history)")
        );
    }
    deleted_line(&mut o, s.layer, s.deleted_in_layer);
    match s.in_base_image {
        Some(true) => {
            let _ = writeln!(o, "Base image: yes, it came with the base image");
        }
        Some(false) => {
            let _ = writeln!(o, "Base image: no, this image's own layers added it");
        }
        None => {}
    }
    let _ = writeln!(o, "Match: {} (redacted)", s.redacted);
    let _ = writeln!(o, "Fingerprint: {}", s.fingerprint);
    if let Some(sup) = suppressed {
        let _ = writeln!(
            o,
            "Suppressed: by {}: {}",
            sup.suppressed_by.as_str(),
            sup.reason
        );
    }
    escape_controls_keep_newlines(&o).into_owned()
}

/// `plimsoll explain PLIM-IMG-…`: one misconfiguration, told in full (docs/hardening.md
/// says why each check matters).
pub fn explain_misconfiguration(report: &model::Report, m: &model::Misconfiguration) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{} in {}", m.id, report.artifact.name);
    let _ = writeln!(o, "  {}", m.title);
    let _ = writeln!(o, "Severity: {}", m.severity.as_str());
    let place = match (m.path.as_deref(), m.line) {
        (Some("config") | None, Some(l)) => format!("the image history, entry {l}"),
        (Some("config") | None, None) => "the image config".to_string(),
        (Some(p), _) => p.to_string(),
    };
    let _ = writeln!(o, "Found in: {place}");
    if let Some(l) = m.layer {
        let _ = writeln!(
            o,
            "Layer: {l}: {}",
            m.layer_created_by.as_deref().unwrap_or("(no history)")
        );
    } else if let Some(c) = &m.layer_created_by {
        let _ = writeln!(o, "History: {c}");
    }
    let _ = writeln!(o, "What: {}", m.message);
    if let Some(r) = &m.resolution {
        let _ = writeln!(o, "Fix: {r}");
    }
    let _ = writeln!(o, "Fingerprint: {}", m.fingerprint());
    let _ = writeln!(o, "Docs: docs/hardening.md#{}", m.id.to_ascii_lowercase());
    escape_controls_keep_newlines(&o).into_owned()
}

/// `explain`'s policy part: every rule in file order, fired, excused or skipped, and why.
pub fn rule_traces(file: &str, traces: &[plimsoll_policy::policy::RuleTrace]) -> String {
    use plimsoll_policy::policy::Outcome;
    let mut o = String::new();
    let _ = writeln!(o, "Policy {file}:");
    if traces.is_empty() {
        let _ = writeln!(o, "  (no rules)");
    }
    for t in traces {
        let verdict = match t.outcome {
            Outcome::Fired => format!("FIRED ({})", t.action),
            Outcome::Excused => format!("excused ({})", t.action),
            Outcome::Skipped => "skipped".to_string(),
        };
        let _ = writeln!(o, "  {} ({}): {verdict}", t.rule, t.at);
        for r in &t.reasons {
            let _ = writeln!(o, "      {r}");
        }
    }
    escape_controls_keep_newlines(&o).into_owned()
}

/// `Deleted: added in layer M, removed in layer N; still readable…` for a secret or
/// malware in a file a later layer deleted.
fn deleted_line(o: &mut String, layer: Option<usize>, deleted: Option<usize>) {
    if let Some(span) = plimsoll_report::layer_span(layer, deleted) {
        let _ = writeln!(
            o,
            "Deleted: {span}; still readable from layer {}'s blob: anyone who pulls the image can read it",
            layer.unwrap_or_default()
        );
    }
}
