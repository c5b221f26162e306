//! Human-readable table output.

use comfy_table::{Cell, ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use plimsoll_model::{self as model, text::escape_controls_keep_newlines};
use plimsoll_report::short_created_by;
use std::fmt::Write;

fn human(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// The image's facts and layers. Like every table, with the report's control characters
/// escaped ([`plimsoll_report::terminal_text`]).
pub fn table(r: &model::Report) -> String {
    plimsoll_report::terminal_text(r, false, |r, _| table_text(r))
}

fn table_text(r: &model::Report) -> String {
    let a = &r.artifact;
    let mut out = String::new();
    let _ = writeln!(out, "{} ({})", a.name, a.source);
    let mut facts: Vec<(&str, String)> = Vec::new();
    if let Some(x) = &a.reference {
        facts.push(("Reference", x.clone()));
    }
    if let Some(x) = &a.digest {
        facts.push(("Digest", x.clone()));
    }
    if let Some(x) = &a.index_digest {
        facts.push(("Index", x.clone()));
    }
    if let Some(x) = &a.platform {
        facts.push(("Platform", x.to_string()));
    }
    if let Some(os) = &a.os {
        facts.push(("OS", format!("{} {}", os.family, os.version)));
    }
    if let Some(x) = &a.created {
        facts.push(("Created", x.clone()));
    }
    if a.kind == model::ArtifactKind::ContainerImage {
        facts.push(("Base image", base_image_fact(a)));
    }
    if let Some(c) = &a.config {
        facts.push((
            "User",
            if c.user.is_empty() {
                "(root: not set)".into()
            } else {
                c.user.clone()
            },
        ));
        if !c.entrypoint.is_empty() {
            facts.push(("Entrypoint", c.entrypoint.join(" ")));
        }
        if !c.cmd.is_empty() {
            facts.push(("Cmd", c.cmd.join(" ")));
        }
        if !c.exposed_ports.is_empty() {
            facts.push(("Ports", c.exposed_ports.join(", ")));
        }
        if !c.env_names.is_empty() {
            facts.push(("Env", c.env_names.join(", ")));
        }
        for (k, v) in &c.labels {
            facts.push(("Label", format!("{k}={v}")));
        }
    }
    facts.push(("Files", a.files.to_string()));
    facts.push(("Packages", r.packages.len().to_string()));
    for (k, v) in facts {
        let _ = writeln!(out, "  {k:<11} {v}");
    }
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(120)
        .set_header(vec![
            "#",
            "Created by",
            "Size",
            "Unpacked",
            "Entries",
            "Deletes",
            "Pkgs",
            "Digest",
        ]);
    for l in &a.layers {
        let digest = l
            .digest
            .as_deref()
            .or(l.diff_id.as_deref())
            .map(|d| {
                d.trim_start_matches("sha256:")
                    .chars()
                    .take(12)
                    .collect::<String>()
            })
            .unwrap_or_default();
        let mut created = l
            .created_by
            .as_deref()
            .map(|c| short_created_by(c, 60))
            .unwrap_or_default();
        if let Some(e) = &l.error {
            created = format!("{created}\nERROR: {e}");
        }
        t.add_row(vec![
            Cell::new(l.index),
            Cell::new(created),
            Cell::new(human(l.size)),
            Cell::new(human(l.uncompressed_size)),
            Cell::new(l.entries),
            Cell::new(l.deletions.len() + l.opaque_dirs.len()),
            Cell::new(
                r.packages
                    .iter()
                    .filter(|p| p.locations.first().and_then(|x| x.layer) == Some(l.index))
                    .count(),
            ),
            Cell::new(digest),
        ]);
    }
    let _ = writeln!(out, "\n{t}");
    out
}

/// The base image decision in one line, or why there is none.
fn base_image_fact(a: &model::Artifact) -> String {
    match &a.base_image {
        Some(b) => plimsoll_report::base_image_line(b),
        None => "none told apart (no base annotation or label, no CMD/ENTRYPOINT in the history before the image's own layers; --base-image REF names it)".into(),
    }
}

/// Inventory: one row per package, with the layer that brought it and where it was found.
pub fn inventory_table(r: &model::Report) -> String {
    plimsoll_report::terminal_text(r, false, |r, _| inventory_table_text(r))
}

fn inventory_table_text(r: &model::Report) -> String {
    let a = &r.artifact;
    let mut out = String::new();
    let os =
        a.os.as_ref()
            .map(|o| format!(", {} {}", o.family, o.version))
            .unwrap_or_default();
    let _ = writeln!(
        out,
        "{} ({}{os}): {} packages",
        a.name,
        a.source,
        r.packages.len()
    );
    if a.kind == model::ArtifactKind::ContainerImage {
        let _ = writeln!(out, "Base image: {}", base_image_fact(a));
    }
    for l in plimsoll_report::failed_layer_lines(r) {
        let _ = writeln!(out, "ERROR: {l}");
    }
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(140)
        .set_header(vec!["Type", "Name", "Version", "Layer", "Path", "Owned by"]);
    for p in &r.packages {
        let loc = p.locations.first();
        let layer = loc.and_then(|l| l.layer).map(|l| {
            let created = a
                .layers
                .get(l)
                .and_then(|x| x.created_by.as_deref())
                .map(|c| format!(" {}", short_created_by(c, 30)))
                .unwrap_or_default();
            format!("{l}{created}")
        });
        t.add_row(vec![
            Cell::new(&p.kind),
            Cell::new(&p.name),
            Cell::new(&p.version),
            Cell::new(layer.unwrap_or_default()),
            Cell::new(loc.map(|l| l.path.as_str()).unwrap_or("")),
            Cell::new(p.owned_by.as_deref().unwrap_or("")),
        ]);
    }
    let _ = writeln!(out, "{t}");
    out
}

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
