//! The image and inventory tables (`--format table` of `image --scanners none`, `fs` without
//! vulnerabilities, and `inventory`): the artifact's facts and layers, or one row per
//! package. Any secrets, misconfigurations and malware follow in their own tables
//! ([`crate::kinds`]).

use crate::short_created_by;
use comfy_table::{Cell, ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use plimsoll_model as model;
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
/// escaped ([`crate::terminal_text`]).
pub fn image_table(r: &model::Report, color: bool) -> String {
    crate::terminal_text(r, color, table_text)
}

fn table_text(r: &model::Report, color: bool) -> String {
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
    crate::kinds::tables(r, (120, color), &mut out);
    out
}

/// The base image decision in one line, or why there is none.
fn base_image_fact(a: &model::Artifact) -> String {
    match &a.base_image {
        Some(b) => crate::base_image_line(b),
        None => "none told apart (no base annotation or label, no CMD/ENTRYPOINT in the history before the image's own layers; --base-image REF names it)".into(),
    }
}

/// Inventory: one row per package, with the layer that brought it and where it was found.
pub fn inventory_table(r: &model::Report, color: bool) -> String {
    crate::terminal_text(r, color, inventory_table_text)
}

fn inventory_table_text(r: &model::Report, color: bool) -> String {
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
    for l in crate::failed_layer_lines(r) {
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
    crate::kinds::tables(r, (140, color), &mut out);
    out
}
