//! JUnit XML for CI systems that show test reports (GitLab, Jenkins, Azure Pipelines…).
//!
//! JUnit XML has no formal standard; this follows the shape those systems read
//! (<https://github.com/testmoapp/junitxml>): `<testsuites>` with one `<testsuite>` per
//! ecosystem, one `<testcase>` per package (`classname` the ecosystem, `name` the package and
//! version, `file` its path), and one `<failure>` per finding (`type` the severity, `message`
//! one line, the text the details). A package with no finding is a passing test case, so the
//! report shows what was checked. The scanner version and the database's build time and age
//! are `<property>` elements of each suite.
//!
//! Secrets, misconfigurations and malware get a suite each (`secrets`, `misconfigurations`,
//! `malware`), present only when the report holds that kind: one failed test case per finding,
//! `file` and `line` where it is, its match redacted for a secret.
//!
//! Packages a later layer removed (`--layers all`) get a `removed-layers` suite: one
//! skipped test case per package (informational, never a failure), its message saying
//! where it came and went and its vulnerabilities.
//!
//! Everything written is escaped for XML 1.0: `&`, `<`, `>`, `"` and `'` as entities, and the
//! control characters XML 1.0 cannot carry at all (anything below U+0020 but tab, newline and
//! carriage return, and U+FFFE/U+FFFF) replaced with U+FFFD.

use crate::{kinds, summary};
use plimsoll_model::{Finding, Package, Report};
use std::collections::BTreeMap;
use std::fmt::Write;

/// The report as a JUnit XML document.
pub fn to_junit(report: &Report) -> String {
    let mut by_pkg: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in summary::sorted(&report.vulnerabilities) {
        by_pkg.entry(f.package_id.as_str()).or_default().push(f);
    }
    // Ecosystem -> packages, in report order. Findings whose package is not in the inventory
    // still get a test case (under their matched ecosystem).
    let mut suites: BTreeMap<String, Vec<Case>> = BTreeMap::new();
    for p in &report.packages {
        let fs = by_pkg.remove(p.id.as_str()).unwrap_or_default();
        suites
            .entry(eco(&p.ecosystem, &p.kind))
            .or_default()
            .push(Case { pkg: Some(p), fs });
    }
    for (_, fs) in by_pkg {
        suites
            .entry(eco(&fs[0].matched_ecosystem, ""))
            .or_default()
            .push(Case { pkg: None, fs });
    }
    let tests: usize = suites.values().map(Vec::len).sum();
    let failures: usize = suites
        .values()
        .flatten()
        .filter(|c| !c.fs.is_empty())
        .count();
    // A layer that failed (digest mismatch, corrupt blob) is an error test case: the
    // packages it may hold were not checked.
    let failed_layers = summary::failed_layer_lines(report);
    let errors = failed_layers.len();
    let kind_cases = kind_cases(report);
    let failures = failures + kind_cases.iter().map(|(_, cs)| cs.len()).sum::<usize>();
    let tests = tests + errors + kind_cases.iter().map(|(_, cs)| cs.len()).sum::<usize>();
    let tests = tests + report.removed_packages.len();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\">",
        attr(&format!("plimsoll {}", report.artifact.name))
    );
    if errors > 0 {
        let _ = writeln!(
            out,
            "  <testsuite name=\"layers\" tests=\"{errors}\" failures=\"0\" errors=\"{errors}\" skipped=\"0\">"
        );
        for (l, line) in report
            .artifact
            .layers
            .iter()
            .filter(|l| l.error.is_some())
            .zip(&failed_layers)
        {
            let _ = writeln!(
                out,
                "    <testcase classname=\"layers\" name=\"layer {}\">\n      <error type=\"layer\" message=\"{}\"/>\n    </testcase>",
                l.index,
                attr(line)
            );
        }
        out.push_str("  </testsuite>\n");
    }
    for (eco, cases) in &suites {
        let failed = cases.iter().filter(|c| !c.fs.is_empty()).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\" errors=\"0\" skipped=\"0\">",
            attr(eco),
            cases.len()
        );
        out.push_str("    <properties>\n");
        for (k, v) in properties(report) {
            let _ = writeln!(
                out,
                "      <property name=\"{}\" value=\"{}\"/>",
                attr(&k),
                attr(&v)
            );
        }
        out.push_str("    </properties>\n");
        for c in cases {
            case(report, eco, c, &mut out);
        }
        out.push_str("  </testsuite>\n");
    }
    for (kind, cases) in &kind_cases {
        let n = cases.len();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{kind}\" tests=\"{n}\" failures=\"{n}\" errors=\"0\" skipped=\"0\">"
        );
        out.push_str("    <properties>\n");
        for (k, v) in properties(report) {
            let _ = writeln!(
                out,
                "      <property name=\"{}\" value=\"{}\"/>",
                attr(&k),
                attr(&v)
            );
        }
        out.push_str("    </properties>\n");
        for c in cases {
            let file = c
                .file
                .as_deref()
                .map(|p| format!(" file=\"{}\"", attr(p)))
                .unwrap_or_default();
            let line = c.line.map(|l| format!(" line=\"{l}\"")).unwrap_or_default();
            let _ = writeln!(
                out,
                "    <testcase classname=\"{kind}\" name=\"{}\"{file}{line}>\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                attr(&c.name),
                attr(&c.message),
                c.severity,
                text(c.details.trim_end())
            );
        }
        out.push_str("  </testsuite>\n");
    }
    crate::layers::junit(report, attr, text, &mut out);
    out.push_str("</testsuites>\n");
    out
}

/// One failed test case of a finding kind beside vulnerabilities.
struct KindCase {
    name: String,
    file: Option<String>,
    line: Option<u64>,
    severity: plimsoll_model::Severity,
    message: String,
    details: String,
}

/// A suite per finding kind the report holds (`secrets`, `misconfigurations`, `malware`),
/// one failed test case per finding. A secret's match is written redacted, as the report
/// holds it.
fn kind_cases(r: &Report) -> Vec<(&'static str, Vec<KindCase>)> {
    let mut suites = Vec::new();
    let layer = |l: Option<usize>, own: Option<&str>| kinds::layer_text(r, l, own, 200);
    let secrets: Vec<KindCase> = kinds::sorted_secrets(&r.secrets)
        .into_iter()
        .map(|s| {
            let place = kinds::secret_where(s);
            let mut details = format!("{} ({})\nRule: {}\n", s.title, s.category, s.rule_id);
            if let Some(l) = layer(s.layer, s.layer_created_by.as_deref()) {
                let _ = writeln!(details, "{l}");
            }
            if let Some(d) = kinds::deleted_note(s) {
                let _ = writeln!(details, "{d}");
            }
            let _ = writeln!(details, "Match: {}", s.redacted);
            KindCase {
                name: format!("{} {place}", s.rule_id),
                file: (s.source == plimsoll_model::SecretSource::File)
                    .then(|| s.path.clone())
                    .flatten(),
                line: s.line,
                severity: s.severity,
                message: format!(
                    "{} ({}): {} in {place}: {}",
                    s.rule_id, s.severity, s.title, s.redacted
                ),
                details,
            }
        })
        .collect();
    if !secrets.is_empty() {
        suites.push(("secrets", secrets));
    }
    let misconfigurations: Vec<KindCase> = kinds::sorted_misconfigurations(&r.misconfigurations)
        .into_iter()
        .map(|m| {
            let place = kinds::misconfiguration_where(m);
            let mut details = format!("{}\n{}\n", m.title, m.message);
            if let Some(l) = layer(m.layer, None) {
                let _ = writeln!(details, "{l}");
            }
            if let Some(res) = &m.resolution {
                let _ = writeln!(details, "Fix: {res}");
            }
            KindCase {
                name: format!("{} {place}", m.id),
                file: m.path.clone(),
                line: m.line,
                severity: m.severity,
                message: format!("{} ({}): {} in {place}", m.id, m.severity, m.title),
                details,
            }
        })
        .collect();
    if !misconfigurations.is_empty() {
        suites.push(("misconfigurations", misconfigurations));
    }
    let malware: Vec<KindCase> = kinds::sorted_malware(&r.malware)
        .into_iter()
        .map(|m| {
            let mut details = format!("{}\nMatched by: {}\n", m.title, m.data_source);
            if let Some(d) = &m.digest {
                let _ = writeln!(details, "Digest: {d}");
            }
            if let Some(p) = &m.package_id {
                let _ = writeln!(details, "Package: {p}");
            }
            if let Some(l) = layer(m.layer, m.layer_created_by.as_deref()) {
                let _ = writeln!(details, "{l}");
            }
            KindCase {
                name: format!("{} {}", m.id, m.path),
                file: Some(m.path.clone()),
                line: None,
                severity: m.severity,
                message: format!("{} ({}): {} at {}", m.id, m.severity, m.title, m.path),
                details,
            }
        })
        .collect();
    if !malware.is_empty() {
        suites.push(("malware", malware));
    }
    suites
}

struct Case<'a> {
    pkg: Option<&'a Package>,
    fs: Vec<&'a Finding>,
}

fn eco(e: &str, kind: &str) -> String {
    if !e.is_empty() {
        e.to_string()
    } else if !kind.is_empty() {
        kind.to_string()
    } else {
        "unknown".into()
    }
}

fn properties(r: &Report) -> Vec<(String, String)> {
    let mut v = vec![
        (
            "plimsoll.version".to_string(),
            crate::TOOL_VERSION.to_string(),
        ),
        ("artifact".into(), r.artifact.name.clone()),
    ];
    if let Some(d) = &r.artifact.digest {
        v.push(("artifact.digest".into(), d.clone()));
    }
    if let Some(d) = &r.database {
        if let Some(b) = &d.built_at {
            v.push(("database.built_at".into(), b.clone()));
        }
        if let Some(a) = d.age_seconds {
            v.push(("database.age_seconds".into(), a.to_string()));
        }
    }
    v.push(("suppressed".into(), r.suppressed.len().to_string()));
    if !r.suppressed_secrets.is_empty() {
        v.push((
            "suppressed_secrets".into(),
            r.suppressed_secrets.len().to_string(),
        ));
    }
    v
}

fn case(r: &Report, eco: &str, c: &Case, out: &mut String) {
    let (name, version) = match c.pkg {
        Some(p) => (p.name.as_str(), p.version.as_str()),
        None => (
            c.fs[0].package_name.as_str(),
            c.fs[0].installed_version.as_str(),
        ),
    };
    let path = c
        .pkg
        .and_then(|p| p.locations.first())
        .map(|l| l.path.as_str())
        .or_else(|| c.fs.first().and_then(|f| f.path.as_deref()));
    let file = path
        .map(|p| format!(" file=\"{}\"", attr(p)))
        .unwrap_or_default();
    let head = format!(
        "    <testcase classname=\"{}\" name=\"{}\"{file}",
        attr(eco),
        attr(&format!("{name}@{version}"))
    );
    if c.fs.is_empty() {
        let _ = writeln!(out, "{head}/>");
        return;
    }
    let _ = writeln!(out, "{head}>");
    for f in &c.fs {
        let fixed = if f.fixed_versions.is_empty() {
            format!("no fixed version ({})", f.status.as_str())
        } else {
            format!("fixed in {}", f.fixed_versions.join(", "))
        };
        let risk = f
            .risk
            .as_ref()
            .map(|r| format!(", risk {:.1}", r.score))
            .unwrap_or_default();
        let message = format!("{} ({}{risk}): {name} {version}, {fixed}", f.id, f.severity);
        let mut details = String::new();
        if let Some(t) = &f.title {
            let _ = writeln!(details, "{t}");
        }
        if !f.aliases.is_empty() {
            let _ = writeln!(details, "Aliases: {}", f.aliases.join(", "));
        }
        if let Some(c) = &f.cvss {
            let _ = writeln!(details, "CVSS {}: {} {}", c.version, c.score, c.vector);
        }
        if let Some(r) = &f.risk {
            let _ = writeln!(details, "Risk {:.1}: {}", r.score, summary::risk_factors(r));
        }
        if let Some((i, created)) = summary::layer(r, f) {
            let _ = writeln!(
                details,
                "Layer {i}: {}",
                created
                    .map(|c| summary::short_created_by(c, 200))
                    .unwrap_or_default()
            );
        }
        let _ = writeln!(details, "{}", summary::osv_url(&f.id));
        let _ = writeln!(
            out,
            "      <failure message=\"{}\" type=\"{}\">{}</failure>",
            attr(&message),
            f.severity,
            text(details.trim_end())
        );
    }
    out.push_str("    </testcase>\n");
}

fn escape(s: &str, in_attr: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if in_attr => out.push_str("&quot;"),
            '\'' if in_attr => out.push_str("&apos;"),
            // Attribute values are normalized: keep line breaks by writing them as references.
            '\n' if in_attr => out.push_str("&#10;"),
            '\r' if in_attr => out.push_str("&#13;"),
            '\t' if in_attr => out.push_str("&#9;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn attr(s: &str) -> String {
    escape(s, true)
}

fn text(s: &str) -> String {
    escape(s, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_xml() {
        assert_eq!(attr("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
        assert_eq!(text("x\u{1}y\n\"z\""), "x\u{FFFD}y\n\"z\"");
        assert_eq!(attr("a\nb"), "a&#10;b");
    }
}
