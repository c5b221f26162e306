//! GitHub-flavoured Markdown for pull-request comments
//! (<https://github.github.com/gfm/>).
//!
//! A heading naming the image, the summary and provenance lines, one table of every finding
//! (most severe first; two, the base image's and the application's, when the report tells
//! the base image apart), and a collapsed `<details>` block per layer that brought findings in.
//! Every cell is escaped: a `|` would end the cell, and package names, versions and titles come
//! from the scanned image and the advisory data, so `<`, `[`, `*`… are escaped too (GFM
//! renders raw HTML and links in comments).
//!
//! Secrets, misconfigurations and malware follow, a `###` section and table each, only for
//! the kinds the report holds. A secret's match is shown redacted, as the report holds it.

use crate::{kinds, summary};
use plimsoll_model::{Finding, Package, Report};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

/// The report as a Markdown comment. Control characters in the report's strings are
/// escaped ([`crate::terminal_text`]): the comment is also read in terminals and CI logs.
pub fn to_markdown(report: &Report) -> String {
    crate::terminal_text(report, false, |r, _| {
        let mut out = markdown_text(r);
        other_kinds(r, &mut out);
        crate::layers::markdown(r, escape, &mut out);
        out
    })
}

fn markdown_text(report: &Report) -> String {
    let mut out = String::new();
    let pkgs = summary::packages_by_id(report);
    let a = &report.artifact;
    let _ = writeln!(out, "## plimsoll: {}\n", escape(&a.name));
    let c = summary::counts(&report.vulnerabilities);
    let mut line = format!(
        "**{} vulnerabilities** ({}) in {} packages",
        report.vulnerabilities.len(),
        summary::by_severity(&c),
        report.packages.len()
    );
    if !report.suppressed.is_empty() {
        let _ = write!(line, ", {} suppressed", report.suppressed.len());
    }
    if let Some(g) = &report.gate {
        let _ = write!(line, ". Gate: **{}**", escape(g.result.as_str()));
    }
    let _ = writeln!(out, "{line}\n");
    for l in summary::failed_layer_lines(report) {
        let _ = writeln!(out, "- **error**: {}\n", escape(&l));
    }
    if let Some(g) = &report.gate {
        for r in &g.reasons {
            let _ = writeln!(out, "- {}", escape(r));
        }
        for x in &g.exceptions {
            let _ = writeln!(
                out,
                "- exception {} ({}): {}",
                escape(&x.at),
                if x.expired {
                    format!("expired {}", x.expires)
                } else {
                    format!("until {}", x.expires)
                },
                escape(&x.justification)
            );
        }
        for w in &g.warnings {
            let _ = writeln!(out, "- warning: {}", escape(w));
        }
        if !g.reasons.is_empty() {
            out.push('\n');
        }
    }
    let _ = writeln!(
        out,
        "<sub>{}</sub>\n",
        escape(&summary::provenance_line(report))
    );
    if report.vulnerabilities.is_empty() {
        out.push_str("No vulnerabilities found.\n");
        return out;
    }
    let sorted = summary::sorted(&report.vulnerabilities);
    match summary::split_base(report, &report.vulnerabilities) {
        None => {
            findings_table(&mut out, &pkgs, &sorted);
            out.push('\n');
        }
        Some((b, base, app)) => {
            let n = a.layers.len().max(b.layers);
            let name = b
                .name
                .as_deref()
                .or(b.digest.as_deref())
                .map(|n| format!(" <code>{}</code>", escape(n)))
                .unwrap_or_default();
            let parts = [
                (
                    format!(
                        "Base image{name} ({}, decided by {})",
                        summary::span(0, b.layers),
                        escape(&b.method)
                    ),
                    base,
                ),
                (format!("Application ({})", summary::span(b.layers, n)), app),
            ];
            for (title, fs) in parts {
                let c = summary::counts(&fs);
                let _ = writeln!(
                    out,
                    "### {title}: {} vulnerabilities ({})\n",
                    fs.len(),
                    summary::by_severity(&c)
                );
                if !fs.is_empty() {
                    findings_table(&mut out, &pkgs, &summary::sorted(&fs));
                    out.push('\n');
                }
            }
        }
    }
    let mut per_layer: BTreeMap<Option<usize>, Vec<&Finding>> = BTreeMap::new();
    for f in sorted {
        per_layer.entry(f.layer).or_default().push(f);
    }
    for (li, fs) in per_layer {
        let title = match li {
            Some(i) => {
                let created = summary::layer(report, fs[0])
                    .and_then(|(_, c)| c)
                    .map(|c| summary::short_created_by(c, 100))
                    .unwrap_or_default();
                format!("Layer {i}: <code>{}</code>", escape(&created))
            }
            None => "Not attributed to a layer".into(),
        };
        let c = summary::counts(fs.iter().copied());
        let _ = writeln!(
            out,
            "<details><summary>{title}: {} vulnerabilities ({})</summary>\n",
            fs.len(),
            summary::by_severity(&c)
        );
        for f in fs {
            let p = pkgs.get(f.package_id.as_str()).copied();
            let _ = writeln!(
                out,
                "- {} {} in {} {}{}",
                f.severity,
                link(&f.id),
                escape(&f.package_name),
                escape(summary::installed(f, p)),
                summary::path(f, p)
                    .map(|p| format!(" (`{}`)", p.replace('`', "'")))
                    .unwrap_or_default()
            );
        }
        out.push_str("\n</details>\n\n");
    }
    out
}

/// One table row per finding, in the order given.
fn findings_table(out: &mut String, pkgs: &HashMap<&str, &Package>, fs: &[&Finding]) {
    out.push_str(
        "| Severity | Vulnerability | Package | Installed | Fixed | Status | Layer | Risk |\n",
    );
    out.push_str("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for f in fs {
        let p = pkgs.get(f.package_id.as_str()).copied();
        let kev = if f.kev { " (KEV)" } else { "" };
        let _ = writeln!(
            out,
            "| {}{kev} | {} | {} | {} | {} | {} | {} | {} |",
            f.severity,
            link(&f.id),
            escape(&f.package_name),
            escape(summary::installed(f, p)),
            escape(&f.fixed_versions.join(", ")),
            f.status.as_str(),
            f.layer.map(|l| l.to_string()).unwrap_or_default(),
            f.risk
                .as_ref()
                .map(|r| format!(
                    "{:.1} <sub>{}</sub>",
                    r.score,
                    escape(&summary::risk_factors(r))
                ))
                .unwrap_or_default()
        );
    }
}

/// The sections of the finding kinds beside vulnerabilities.
fn other_kinds(r: &Report, out: &mut String) {
    let layer = |layer: Option<usize>, own: Option<&str>| {
        kinds::layer_text(r, layer, own, 60)
            .map(|l| escape(&l))
            .unwrap_or_default()
    };
    if !r.secrets.is_empty() || !r.suppressed_secrets.is_empty() {
        let _ = writeln!(
            out,
            "### Secrets: {}\n",
            kinds::total(r.secrets.iter().map(|s| s.severity))
        );
        if let Some(l) = kinds::suppressed_secrets_line(r) {
            let _ = writeln!(out, "{}\n", escape(&l));
        }
        if !r.secrets.is_empty() {
            out.push_str("| Severity | Rule | Title | Where | Layer | Match |\n");
            out.push_str("| --- | --- | --- | --- | --- | --- |\n");
            for s in kinds::sorted_secrets(&r.secrets) {
                let mut l = layer(s.layer, s.layer_created_by.as_deref());
                if let Some(d) = kinds::deleted_note(s) {
                    let _ = write!(
                        l,
                        "{}**{}**",
                        if l.is_empty() { "" } else { "; " },
                        escape(&d)
                    );
                }
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {l} | {} |",
                    s.severity,
                    escape(&s.rule_id),
                    escape(&s.title),
                    escape(&kinds::secret_where(s)),
                    escape(&s.redacted)
                );
            }
            out.push('\n');
        }
    }
    if !r.misconfigurations.is_empty() {
        let _ = writeln!(
            out,
            "### Misconfigurations: {}\n",
            kinds::total(r.misconfigurations.iter().map(|m| m.severity))
        );
        out.push_str("| Severity | Check | Title | Where | Layer | Message |\n");
        out.push_str("| --- | --- | --- | --- | --- | --- |\n");
        for m in kinds::sorted_misconfigurations(&r.misconfigurations) {
            let mut msg = escape(&m.message);
            if let Some(res) = &m.resolution {
                let _ = write!(msg, " Fix: {}", escape(res));
            }
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {msg} |",
                m.severity,
                escape(&m.id),
                escape(&m.title),
                escape(&kinds::misconfiguration_where(m)),
                layer(m.layer, None)
            );
        }
        out.push('\n');
    }
    if !r.malware.is_empty() {
        let _ = writeln!(
            out,
            "### Malware: {}\n",
            kinds::total(r.malware.iter().map(|m| m.severity))
        );
        out.push_str("| Severity | Id | Title | Path | Layer | Matched by |\n");
        out.push_str("| --- | --- | --- | --- | --- | --- |\n");
        for m in kinds::sorted_malware(&r.malware) {
            let mut by = escape(&m.data_source);
            if let Some(d) = &m.digest {
                let _ = write!(by, " {}", escape(d));
            }
            let id = if m.id.starts_with("MAL-") {
                link(&m.id)
            } else {
                escape(&m.id)
            };
            let _ = writeln!(
                out,
                "| {} | {id} | {} | {} | {} | {by} |",
                m.severity,
                escape(&m.title),
                escape(&m.path),
                layer(m.layer, m.layer_created_by.as_deref())
            );
        }
        out.push('\n');
    }
}

fn link(id: &str) -> String {
    format!("[{}]({})", escape(id), summary::osv_url(id))
}

/// Text for a Markdown table cell or line: ASCII punctuation that Markdown or HTML gives a
/// meaning backslash-escaped, `&` as an entity, line breaks as spaces.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '|' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '!' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_cells() {
        assert_eq!(escape("a|b"), "a\\|b");
        assert_eq!(escape("<script>&"), "\\<script\\>&amp;");
        assert_eq!(escape("x\ny"), "x y");
        assert_eq!(escape("2.36-9+deb12u4"), "2.36-9+deb12u4");
    }
}
