//! The terminal table of findings (`--format table`), grouped by package or by layer.
//!
//! Grouped by package (the default), a table per ecosystem lists each vulnerable package once
//! with its findings under it, most severe first. Grouped by layer (`--group-by layer`), each
//! layer shows its instruction and the packages and findings it brought in: the view that
//! tells a developer which Dockerfile line to change. Both end with Trivy's summary line
//! (`Total: 6 (CRITICAL: 1, …)`) and the suppressed count. Secrets, misconfigurations and
//! malware follow in a table each ([`crate::kinds`]), before the gate.
//!
//! When the report tells the base image apart (`artifact.base_image`), either view comes in
//! two parts, the base image's findings and the application's, each with its own total: a
//! team sees what it owns and what a base image update would fix.
//!
//! Colour is the caller's decision ([`TableOptions::color`]): it must be off when `NO_COLOR`
//! is set (<https://no-color.org>), `TERM` is `dumb` or the output is not a terminal
//! ([`color_wanted`]). Without it the output
//! holds no escape sequence at all.

use crate::summary::{self, short_created_by};
use comfy_table::{
    Attribute, Cell, Color, ContentArrangement, Table, presets::UTF8_FULL_CONDENSED,
};
use plimsoll_model::{Finding, Report, Severity};
use std::collections::BTreeMap;
use std::fmt::Write;

/// How findings are grouped in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupBy {
    /// A table per ecosystem, each vulnerable package once with its findings.
    #[default]
    Package,
    /// Per layer: its instruction, what it brought in, and the findings.
    Layer,
}

/// Options of [`vulnerability_table`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableOptions {
    /// ANSI colours for severities. Off when `NO_COLOR` is set or stdout is no terminal.
    pub color: bool,
    /// Table width in columns (the terminal's).
    pub width: u16,
    pub group_by: GroupBy,
    /// Show only the first N findings, which are those of highest risk in a scored report
    /// (`--top N`); the summary lines still count all of them.
    pub top: Option<usize>,
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions {
            color: false,
            width: 140,
            group_by: GroupBy::Package,
            top: None,
        }
    }
}

/// The findings of a report as terminal tables, with a header naming the artifact, the
/// scanner version and the database's build time and age, and the summary lines.
/// Control characters in the report's strings are escaped ([`crate::terminal_text`]).
pub fn vulnerability_table(report: &Report, opts: &TableOptions) -> String {
    crate::terminal_text(report, opts.color, |r, color| {
        table_text(r, &TableOptions { color, ..*opts })
    })
}

fn table_text(report: &Report, opts: &TableOptions) -> String {
    let mut out = String::new();
    let a = &report.artifact;
    let os =
        a.os.as_ref()
            .map(|o| format!(" ({} {})", o.family, o.version))
            .unwrap_or_default();
    let _ = writeln!(out, "{}{os}", a.name);
    let _ = writeln!(out, "{}", summary::provenance_line(report));
    let _ = writeln!(out, "{}", summary::total_line(&report.vulnerabilities));
    for l in summary::failed_layer_lines(report) {
        let _ = writeln!(out, "ERROR: {l}");
    }
    if let Some(s) = summary::suppressed_line(report) {
        let _ = writeln!(out, "{s}");
    }
    // Malware before any vulnerability: it is the one finding that is never a matter of
    // waiting for a fix.
    crate::kinds::malware_table(report, (opts.width, opts.color), &mut out);
    let trimmed;
    let shown = match opts.top {
        Some(n) if n < report.vulnerabilities.len() => {
            // The findings are in risk order already (plimsoll-policy's `score_report`).
            let mut r = report.clone();
            r.vulnerabilities.truncate(n);
            let _ = writeln!(
                out,
                "Showing the {n} of highest risk (--top {n}); the JSON report has all {}",
                report.vulnerabilities.len()
            );
            trimmed = r;
            &trimmed
        }
        _ => report,
    };
    match summary::split_base(report, &report.vulnerabilities) {
        None => match opts.group_by {
            GroupBy::Package => by_package(shown, opts, &mut out),
            GroupBy::Layer => by_layer(shown, opts, &mut out, &|_| true),
        },
        Some((b, base, app)) => {
            // Two parts, each with its own counts (of all findings, also under --top): what
            // the base image brought, and what the team that builds this image owns.
            let name = b
                .name
                .as_deref()
                .or(b.digest.as_deref())
                .map(|n| format!(" {n}"))
                .unwrap_or_default();
            let n = report.artifact.layers.len().max(b.layers);
            let parts = [
                (
                    format!(
                        "Base image{name} ({}, decided by {})",
                        summary::span(0, b.layers),
                        b.method
                    ),
                    base,
                    true,
                ),
                (
                    format!("Application ({})", summary::span(b.layers, n)),
                    app,
                    false,
                ),
            ];
            let (shown_base, shown_app) = match summary::split_base(shown, &shown.vulnerabilities) {
                Some((_, x, y)) => (x, y),
                None => (Vec::new(), Vec::new()),
            };
            for ((title, all, in_base), part) in parts.into_iter().zip([shown_base, shown_app]) {
                let _ = writeln!(out, "\n{title}: {}", summary::total_line(&all));
                let mut r = shown.clone();
                r.vulnerabilities = part;
                match opts.group_by {
                    GroupBy::Package => by_package(&r, opts, &mut out),
                    GroupBy::Layer => by_layer(&r, opts, &mut out, &|l| {
                        b.holds(l).unwrap_or(false) == in_base
                    }),
                }
            }
        }
    }
    if shown.vulnerabilities.iter().any(|f| f.risk.is_some()) {
        let _ = writeln!(out, "\n{}", summary::RISK_LEGEND);
    }
    crate::kinds::tables_but_malware(report, (opts.width, opts.color), &mut out);
    if let Some(g) = &report.gate {
        gate(g, &mut out);
    }
    out
}

/// The gate's decision, then a policy's exceptions and warnings.
fn gate(g: &plimsoll_model::Gate, out: &mut String) {
    let _ = writeln!(out, "\nGate: {}", g.result);
    for r in &g.reasons {
        let _ = writeln!(out, "  - {r}");
    }
    if !g.exceptions.is_empty() {
        let _ = writeln!(out, "Exceptions:");
        for x in &g.exceptions {
            let mut what: Vec<String> = x
                .findings
                .iter()
                .map(|f| format!("{} in {}", f.id, f.package_name))
                .collect();
            if !x.packages.is_empty() {
                what.push(format!("{} packages", x.packages.len()));
            }
            if x.image {
                what.push("the image".into());
            }
            let state = if x.expired {
                format!("EXPIRED {}, no longer applies", x.expires)
            } else {
                format!("until {}", x.expires)
            };
            let _ = writeln!(
                out,
                "  - {} ({state}): {} [{}]: {}",
                x.at,
                what.join(", "),
                x.rules.join(", "),
                x.justification
            );
        }
    }
    if !g.warnings.is_empty() {
        let _ = writeln!(out, "Policy warnings:");
        for w in &g.warnings {
            let _ = writeln!(out, "  - {w}");
        }
    }
}

/// A table in the house style, `(width, color)` wide and coloured.
pub(crate) fn new_table((width, color): (u16, bool), header: Vec<&str>) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width)
        .set_header(header);
    if color {
        t.enforce_styling();
    } else {
        t.force_no_tty();
    }
    t
}

pub(crate) fn severity_cell(s: Severity, color: bool) -> Cell {
    let c = Cell::new(s.as_str());
    if !color {
        return c;
    }
    match s {
        Severity::Critical => c.fg(Color::Red).add_attribute(Attribute::Bold),
        Severity::High => c.fg(Color::Red),
        Severity::Medium => c.fg(Color::Yellow),
        Severity::Low => c.fg(Color::Blue),
        Severity::Unknown => c.fg(Color::DarkGrey),
    }
}

/// The id, marked when the vulnerability is known to be exploited (CISA KEV): the first
/// thing to fix.
fn id_cell(f: &Finding) -> String {
    if f.kev {
        format!("{} (KEV)", f.id)
    } else {
        f.id.clone()
    }
}

/// Whether to colour: on a terminal, unless `NO_COLOR` is set to a non-empty value
/// (<https://no-color.org>) or `TERM` is `dumb` (a terminal that knows no escape
/// sequences). The caller passes whether stdout is a terminal.
pub fn color_wanted(is_terminal: bool) -> bool {
    color_wanted_in(
        is_terminal,
        std::env::var_os("NO_COLOR").as_deref(),
        std::env::var_os("TERM").as_deref(),
    )
}

fn color_wanted_in(
    is_terminal: bool,
    no_color: Option<&std::ffi::OsStr>,
    term: Option<&std::ffi::OsStr>,
) -> bool {
    is_terminal && no_color.is_none_or(|v| v.is_empty()) && term.is_none_or(|t| t != "dumb")
}

fn fixed(f: &Finding) -> String {
    f.fixed_versions.join(", ")
}

fn by_package(report: &Report, opts: &TableOptions, out: &mut String) {
    let pkgs = summary::packages_by_id(report);
    // Ecosystem -> package id -> findings, each list most severe first.
    let mut groups: BTreeMap<&str, BTreeMap<(&str, &str), Vec<&Finding>>> = BTreeMap::new();
    for f in summary::sorted(&report.vulnerabilities) {
        let p = pkgs.get(f.package_id.as_str()).copied();
        let eco = p
            .map(|p| p.ecosystem.as_str())
            .filter(|e| !e.is_empty())
            .unwrap_or(f.matched_ecosystem.as_str());
        groups
            .entry(eco)
            .or_default()
            .entry((f.package_name.as_str(), f.package_id.as_str()))
            .or_default()
            .push(f);
    }
    for (eco, packages) in groups {
        let c = summary::counts(packages.values().flatten().copied());
        let (np, nv) = (packages.len(), c.iter().sum::<usize>());
        let _ = writeln!(
            out,
            "\n{eco}: {np} vulnerable package{}, {nv} vulnerabilit{} ({})",
            if np == 1 { "" } else { "s" },
            if nv == 1 { "y" } else { "ies" },
            summary::by_severity(&c)
        );
        let mut t = new_table(
            (opts.width, opts.color),
            vec![
                "Package",
                "Vulnerability",
                "Severity",
                "Risk",
                "Status",
                "Installed",
                "Fixed",
                "Layer",
            ],
        );
        for fs in packages.values() {
            for (i, f) in fs.iter().enumerate() {
                let p = pkgs.get(f.package_id.as_str()).copied();
                let layer = summary::layer(report, f)
                    .map(|(i, c)| match c {
                        Some(c) => format!("{i} {}", short_created_by(c, 30)),
                        None => i.to_string(),
                    })
                    .unwrap_or_default();
                t.add_row(vec![
                    Cell::new(if i == 0 { f.package_name.as_str() } else { "" }),
                    Cell::new(id_cell(f)),
                    severity_cell(f.severity, opts.color),
                    Cell::new(risk_cell(f)),
                    Cell::new(f.status.as_str()),
                    Cell::new(summary::installed(f, p)),
                    Cell::new(fixed(f)),
                    Cell::new(layer),
                ]);
            }
        }
        let _ = writeln!(out, "{t}");
    }
}

/// The layers `keep` accepts (`None`: findings not attributed to a layer), each with what it
/// brought in.
fn by_layer(
    report: &Report,
    opts: &TableOptions,
    out: &mut String,
    keep: &dyn Fn(Option<usize>) -> bool,
) {
    let pkgs = summary::packages_by_id(report);
    let mut per_layer: BTreeMap<Option<usize>, Vec<&Finding>> = BTreeMap::new();
    for f in summary::sorted(&report.vulnerabilities) {
        per_layer.entry(f.layer).or_default().push(f);
    }
    let layers: Vec<Option<usize>> = report
        .artifact
        .layers
        .iter()
        .map(|l| Some(l.index))
        .chain(
            per_layer
                .keys()
                .copied()
                .filter(|k| k.is_none_or(|i| !report.artifact.layers.iter().any(|l| l.index == i))),
        )
        .filter(|l| keep(*l))
        .collect();
    for li in layers {
        let fs = per_layer.get(&li).map(Vec::as_slice).unwrap_or(&[]);
        let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
        for p in &report.packages {
            if p.locations.first().and_then(|l| l.layer) == li {
                *kinds.entry(p.kind.as_str()).or_default() += 1;
            }
        }
        let brought: usize = kinds.values().sum();
        let kinds = if kinds.is_empty() {
            String::new()
        } else {
            let k: Vec<String> = kinds.iter().map(|(k, n)| format!("{k}: {n}")).collect();
            format!(" ({})", k.join(", "))
        };
        let title = match li {
            Some(i) => {
                let created = report
                    .artifact
                    .layers
                    .iter()
                    .find(|l| l.index == i)
                    .and_then(|l| l.created_by.as_deref())
                    .or_else(|| fs.first().and_then(|f| f.layer_created_by.as_deref()))
                    .map(|c| short_created_by(c, 100))
                    .unwrap_or_else(|| "(no history entry)".into());
                format!("Layer {i}: {created}")
            }
            None => "Not attributed to a layer".to_string(),
        };
        let c = summary::counts(fs.iter().copied());
        let _ = writeln!(
            out,
            "\n{title}\n  {brought} packages{kinds}, {} vulnerabilities ({})",
            fs.len(),
            summary::by_severity(&c)
        );
        if fs.is_empty() {
            continue;
        }
        let mut t = new_table(
            (opts.width, opts.color),
            vec![
                "Package",
                "Vulnerability",
                "Severity",
                "Risk",
                "Status",
                "Installed",
                "Fixed",
                "Path",
            ],
        );
        for f in fs {
            let p = pkgs.get(f.package_id.as_str()).copied();
            t.add_row(vec![
                Cell::new(&f.package_name),
                Cell::new(id_cell(f)),
                severity_cell(f.severity, opts.color),
                Cell::new(risk_cell(f)),
                Cell::new(f.status.as_str()),
                Cell::new(summary::installed(f, p)),
                Cell::new(fixed(f)),
                Cell::new(summary::path(f, p).unwrap_or("")),
            ]);
        }
        let _ = writeln!(out, "{t}");
    }
}

/// The risk score to one decimal (`-` when the report was not scored).
fn risk_cell(f: &Finding) -> String {
    f.risk
        .as_ref()
        .map_or_else(|| "-".to_string(), |r| format!("{:.1}", r.score))
}

#[cfg(test)]
mod tests {
    use super::color_wanted_in;
    use std::ffi::OsStr;

    #[test]
    fn colour_only_on_a_terminal_that_wants_it() {
        let s = |x: &'static str| Some(OsStr::new(x));
        assert!(color_wanted_in(true, None, s("xterm-256color")));
        assert!(color_wanted_in(true, s(""), None));
        assert!(!color_wanted_in(false, None, s("xterm")));
        assert!(!color_wanted_in(true, s("1"), s("xterm")));
        assert!(!color_wanted_in(true, None, s("dumb")));
    }
}
