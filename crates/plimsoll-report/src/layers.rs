//! What every format says of things a later layer removed: packages an earlier layer
//! installed (`removed_packages`, `--layers all`), their vulnerabilities
//! (`removed_vulnerabilities`), and findings in files a later layer deleted (a secret's
//! `deleted_in_layer`; malware alike). They are not in the final filesystem, but anyone who
//! can pull the image reads them from the earlier layer's blob (`docker save`), so every
//! format says where they came in and where they went, in the same words ([`layer_span`]).
//!
//! Removed packages' vulnerabilities are informational: no format counts them in its
//! totals or its pass/fail (the gate does not see them unless a policy rule says
//! `removed: true`, and then the gate's own reasons say so); each format shows them apart.

use crate::summary;
use crate::table::{new_table, severity_cell};
use comfy_table::{Cell, ColumnConstraint};
use plimsoll_model::{Finding, Package, Report};
use std::collections::HashMap;
use std::fmt::Write;

/// `added in layer 1, removed in layer 2`: the words every format uses for something a
/// later layer removed (a package) or deleted (a file holding a secret or malware). `None`
/// when nothing removed it (`removed` is `None`); `removed in layer 2` when the layer that
/// added it is unknown. Takes the two layers rather than a finding, so that every finding
/// kind can use it.
pub fn layer_span(added: Option<usize>, removed: Option<usize>) -> Option<String> {
    let n = removed?;
    Some(match added {
        Some(m) => format!("added in layer {m}, removed in layer {n}"),
        None => format!("removed in layer {n}"),
    })
}

/// A removed package's span (`added in layer 1, removed in layer 2`).
pub(crate) fn package_span(p: &Package) -> String {
    let added = p.locations.first().and_then(|l| l.layer);
    layer_span(added, p.removed_in_layer).unwrap_or_default()
}

/// A removed package's vulnerability's span.
pub(crate) fn finding_span(f: &Finding) -> String {
    layer_span(f.layer, f.removed_in_layer).unwrap_or_default()
}

/// The heading every text format gives the removed packages' section.
pub(crate) const HEADING: &str = "Removed by later layers";

/// `informational: …`: why the section is apart from the totals.
pub(crate) const WHY: &str = "informational: not in the final filesystem, but readable from \
     the earlier layers' blobs by anyone who can pull the image; not counted in the totals \
     above nor by the gate";

/// `2 packages, 1 vulnerability (CRITICAL: 0, HIGH: 1, …)`.
pub(crate) fn counts_line(r: &Report) -> String {
    let np = r.removed_packages.len();
    let nv = r.removed_vulnerabilities.len();
    format!(
        "{np} package{}, {nv} vulnerabilit{} ({})",
        if np == 1 { "" } else { "s" },
        if nv == 1 { "y" } else { "ies" },
        summary::by_severity(&summary::counts(&r.removed_vulnerabilities))
    )
}

/// Each removed package with its vulnerabilities (most severe first), packages in the
/// report's order.
pub(crate) fn grouped(r: &Report) -> Vec<(&Package, Vec<&Finding>)> {
    let mut by: HashMap<&str, Vec<&Finding>> = HashMap::new();
    for f in summary::sorted(&r.removed_vulnerabilities) {
        by.entry(f.package_id.as_str()).or_default().push(f);
    }
    r.removed_packages
        .iter()
        .map(|p| (p, by.remove(p.id.as_str()).unwrap_or_default()))
        .collect()
}

/// `CVE-2023-5678 LOW, fixed in 3.0.13-1~deb12u1`.
pub(crate) fn finding_text(f: &Finding) -> String {
    let mut s = format!("{} {}", f.id, f.severity);
    if !f.fixed_versions.is_empty() {
        let _ = write!(s, ", fixed in {}", f.fixed_versions.join(", "));
    }
    s
}

/// The terminal section: one row per removed package, its layers and its vulnerabilities.
pub(crate) fn table(r: &Report, (width, color): (u16, bool), out: &mut String) {
    if r.removed_packages.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{HEADING}: {}", counts_line(r));
    let _ = writeln!(out, "({WHY})");
    let mut t = new_table(
        (width, color),
        vec![
            "Package",
            "Version",
            "Ecosystem",
            "Layers",
            "Severity",
            "Vulnerabilities",
        ],
    );
    for (p, fs) in grouped(r) {
        let worst = fs.iter().map(|f| f.severity).max();
        let vulns: Vec<String> = fs.iter().map(|f| finding_text(f)).collect();
        t.add_row(vec![
            Cell::new(&p.name),
            Cell::new(&p.version),
            Cell::new(&p.ecosystem),
            Cell::new(package_span(p)),
            match worst {
                Some(s) => severity_cell(s, color),
                None => Cell::new(""),
            },
            Cell::new(vulns.join("\n")),
        ]);
    }
    for i in [0, 1, 3] {
        if let Some(c) = t.column_mut(i) {
            c.set_constraint(ColumnConstraint::ContentWidth);
        }
    }
    let _ = writeln!(out, "{t}");
}

/// The Markdown section (`escape` is the format's cell escaping).
pub(crate) fn markdown(r: &Report, escape: impl Fn(&str) -> String, out: &mut String) {
    if r.removed_packages.is_empty() {
        return;
    }
    let _ = writeln!(out, "### {HEADING}: {}\n", counts_line(r));
    let _ = writeln!(out, "_{}_\n", escape(WHY));
    out.push_str("| Package | Version | Ecosystem | Layers | Vulnerabilities |\n");
    out.push_str("| --- | --- | --- | --- | --- |\n");
    for (p, fs) in grouped(r) {
        let vulns: Vec<String> = fs.iter().map(|f| escape(&finding_text(f))).collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            escape(&p.name),
            escape(&p.version),
            escape(&p.ecosystem),
            escape(&package_span(p)),
            vulns.join("<br>")
        );
    }
    out.push('\n');
}

/// The JUnit suite `removed-layers`: one skipped test case per removed package (skipped,
/// not failed: informational), `file` the path that declared it.
pub(crate) fn junit(
    r: &Report,
    attr: impl Fn(&str) -> String,
    text: impl Fn(&str) -> String,
    out: &mut String,
) {
    let n = r.removed_packages.len();
    if n == 0 {
        return;
    }
    let _ = writeln!(
        out,
        "  <testsuite name=\"removed-layers\" tests=\"{n}\" failures=\"0\" errors=\"0\" skipped=\"{n}\">"
    );
    for (p, fs) in grouped(r) {
        let file = p
            .locations
            .first()
            .map(|l| format!(" file=\"{}\"", attr(&l.path)))
            .unwrap_or_default();
        let mut message = format!("informational: {}", package_span(p));
        match fs.len() {
            0 => {}
            1 => message.push_str(", 1 vulnerability"),
            k => {
                let _ = write!(message, ", {k} vulnerabilities");
            }
        }
        let details: Vec<String> = fs.iter().map(|f| finding_text(f)).collect();
        let _ = writeln!(
            out,
            "    <testcase classname=\"removed-layers\" name=\"{}\"{file}>\n      <skipped message=\"{}\">{}</skipped>\n    </testcase>",
            attr(&format!("{} {} ({})", p.name, p.version, p.ecosystem)),
            attr(&message),
            text(&details.join("\n"))
        );
    }
    out.push_str("  </testsuite>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_say_both_layers_or_only_the_removal() {
        assert_eq!(
            layer_span(Some(1), Some(2)).as_deref(),
            Some("added in layer 1, removed in layer 2")
        );
        assert_eq!(
            layer_span(None, Some(4)).as_deref(),
            Some("removed in layer 4")
        );
        assert_eq!(layer_span(Some(1), None), None);
        assert_eq!(layer_span(None, None), None);
    }
}
