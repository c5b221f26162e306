//! The fleet view's terminal table (`plimsoll explore`): the [`Fleet`] that
//! `plimsoll-explore` folds from many reports, drawn as "Top vulnerabilities across N images"
//! and "Images by risk". The aggregation itself (reading reports, merging ids, ranking) is in
//! `plimsoll-explore`; only the drawing is here, beside the other tables.

use crate::table::severity_cell;
use comfy_table::{Cell, CellAlignment, ColumnConstraint, Width};
use plimsoll_explore::{Fleet, FleetVulnerability, HIGH_RISK};
use plimsoll_model::FixStatus;
use std::fmt::Write;

/// Options of [`explore_table`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExploreTableOptions {
    /// ANSI colours for severities ([`crate::color_wanted`]).
    pub color: bool,
    /// Table width in columns.
    pub width: u16,
    /// Images named per vulnerability before `… and N more`.
    pub images_per_vulnerability: usize,
}

impl Default for ExploreTableOptions {
    fn default() -> Self {
        ExploreTableOptions {
            color: false,
            width: 100,
            images_per_vulnerability: 5,
        }
    }
}

/// The fleet as two terminal tables: "Top vulnerabilities across N images" and "Images by
/// risk", after a header with the counts, duplicates and unreadable files.
pub fn explore_table(fleet: &Fleet, opts: &ExploreTableOptions) -> String {
    // The reports explored are anyone's: their strings are escaped for the terminal.
    crate::terminal_text(fleet, opts.color, |f, color| {
        explore_table_text(f, &ExploreTableOptions { color, ..*opts })
    })
}

fn explore_table_text(fleet: &Fleet, opts: &ExploreTableOptions) -> String {
    let mut out = String::new();
    let s = &fleet.summary;
    let mut head = format!(
        "Fleet: {} image{} from {} report{}",
        s.images,
        plural(s.images),
        s.reports,
        plural(s.reports)
    );
    if s.duplicates > 0 {
        let _ = write!(
            head,
            ", {} of the same digest as another counted once",
            s.duplicates
        );
    }
    if s.unreadable > 0 {
        let _ = write!(head, ", {} unreadable", s.unreadable);
    }
    let _ = writeln!(out, "{head}");
    let _ = writeln!(
        out,
        "Findings: {}, distinct vulnerabilities: {} ({})",
        s.findings,
        s.vulnerabilities,
        crate::summary::by_severity(&s.by_severity.as_array())
    );
    if !s.severity_filter.is_empty() {
        let f: Vec<&str> = s.severity_filter.iter().map(|s| s.as_str()).collect();
        let _ = writeln!(out, "Counting only {}", f.join(", "));
    }
    for d in &fleet.duplicates {
        let _ = writeln!(
            out,
            "  {}: the same image as {} ({}), counted once",
            d.file,
            d.kept,
            short_digest(Some(&d.digest)),
        );
    }
    for u in &fleet.unreadable {
        let _ = writeln!(out, "  unreadable: {}", u.error);
    }

    let listed = if s.vulnerabilities_listed < s.vulnerabilities {
        format!(
            " (the {} of highest risk of {}; --top)",
            s.vulnerabilities_listed, s.vulnerabilities
        )
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "\nTop vulnerabilities across {} image{}{listed}",
        s.images,
        plural(s.images)
    );
    if fleet.vulnerabilities.is_empty() {
        let _ = writeln!(out, "  none");
    } else {
        let mut t = crate::table::new_table(
            (opts.width, opts.color),
            vec![
                "Vulnerability",
                "Severity",
                "Risk",
                "Images",
                "Packages → fixed in",
            ],
        );
        // Ids never wrap: 21 columns (and the padding) hold `UBUNTU-CVE-2024-12345`.
        if let Some(c) = t.column_mut(0) {
            c.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(23)));
        }
        // `#12 ` and a 23-column image label on one line, and the rest of 100 columns for
        // the packages: `requests 2.31.0 → 2.32.0` on one line.
        if let Some(c) = t.column_mut(3) {
            c.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(29)));
        }
        if let Some(c) = t.column_mut(4) {
            c.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(26)));
        }
        for v in &fleet.vulnerabilities {
            let mut id = v.id.clone();
            if v.kev {
                id.push_str("\nKEV");
            }
            if let Some(e) = &v.epss {
                let _ = write!(id, "\nEPSS {:.3}", e.score);
            }
            match v.aliases.len() {
                0 => {}
                1 => {
                    let _ = write!(id, "\n{}", v.aliases[0]);
                }
                n => {
                    let _ = write!(id, "\n{}\n+{} more", v.aliases[0], n - 1);
                }
            }
            let mut images = format!(
                "{} image{}{}",
                v.image_count,
                plural(v.image_count),
                fixed_in(v)
            );
            for im in v.images.iter().take(opts.images_per_vulnerability) {
                let base = match im.in_base_image {
                    Some(true) => " (base)",
                    _ => "",
                };
                let _ = write!(
                    images,
                    "\n#{} {}{base}",
                    im.rank,
                    label(&im.name, &im.reference, 23)
                );
            }
            if v.images.len() > opts.images_per_vulnerability {
                let _ = write!(
                    images,
                    "\n… and {} more",
                    v.images.len() - opts.images_per_vulnerability
                );
            }
            let packages: Vec<String> = v
                .packages
                .iter()
                .map(|p| {
                    let fixed = if p.fixed_versions.is_empty() {
                        "no fix".to_string()
                    } else {
                        format!("→ {}", p.fixed_versions.join(", "))
                    };
                    let n = if v.image_count > 1 {
                        format!(" ({} image{})", p.images, plural(p.images))
                    } else {
                        String::new()
                    };
                    format!("{} {} {fixed}{n}", p.name, p.installed_version)
                })
                .collect();
            t.add_row(vec![
                Cell::new(id),
                severity_cell(v.severity, opts.color),
                Cell::new(format!("{:.1}", v.risk)).set_alignment(CellAlignment::Right),
                Cell::new(images),
                Cell::new(packages.join("\n")),
            ]);
        }
        let _ = writeln!(out, "{t}");
    }

    let listed = if s.images_listed < s.images {
        format!(
            " (the {} of highest risk of {}; --top-images)",
            s.images_listed, s.images
        )
    } else {
        String::new()
    };
    let _ = writeln!(out, "\nImages by risk{listed}");
    // `≥7`: the column of the findings at or above HIGH_RISK.
    let high = format!("≥{HIGH_RISK}");
    let _ = writeln!(
        out,
        "  Risk: the highest risk of its findings; ties: the findings at or above {HIGH_RISK:.1} ({high}), then the sum"
    );
    let mut t = crate::table::new_table(
        (opts.width, opts.color),
        vec![
            "#",
            "Image",
            "Risk",
            &high,
            "Sum",
            "Findings",
            "C/H/M/L/U",
            "KEV",
            "Fixable",
        ],
    );
    for im in &fleet.images {
        let c = im.by_severity.as_array();
        let sev: Vec<String> = c.iter().map(|n| n.to_string()).collect();
        let mut image = format!(
            "{}\n{}",
            label(&im.name, &im.reference, 34),
            short_digest(im.digest.as_deref())
        );
        let mut notes = Vec::new();
        if let Some(b) = im.in_base_image {
            notes.push(format!("{b} in the base image"));
        }
        if im.suppressed > 0 {
            notes.push(format!("{} suppressed", im.suppressed));
        }
        if !notes.is_empty() {
            let _ = write!(image, "\n{}", notes.join(", "));
        }
        let right = |s: String| Cell::new(s).set_alignment(CellAlignment::Right);
        t.add_row(vec![
            right(im.rank.to_string()),
            Cell::new(image),
            right(format!("{:.1}", im.risk)),
            right(im.high_risk_findings.to_string()),
            right(format!("{:.1}", im.risk_sum)),
            right(im.findings.to_string()),
            Cell::new(sev.join("/")),
            right(im.kev.to_string()),
            right(im.fixable.to_string()),
        ]);
    }
    let _ = writeln!(out, "{t}");
    out
}

/// `, fixed in all`, `, fixed in 2`, or `, no fix`: in how many of its images every
/// affected package has a released fix.
fn fixed_in(v: &FleetVulnerability) -> String {
    let n = v
        .images
        .iter()
        .filter(|im| im.packages.iter().all(|p| p.status == FixStatus::Fixed))
        .count();
    match n {
        0 => ", no fix".into(),
        n if n == v.image_count => ", fixed in all".into(),
        n => format!(", fixed in {n}"),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The registry reference when there is one, else the name as given, cut at the front to
/// `max` characters (the end of a path or reference is what tells images apart).
fn label(name: &str, reference: &Option<String>, max: usize) -> String {
    let s = reference.as_deref().unwrap_or(name);
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    let tail: String = s.chars().skip(n - (max - 1)).collect();
    format!("…{tail}")
}

/// `sha256:0123456789ab`, or `no digest` for an artifact without one.
fn short_digest(d: Option<&str>) -> String {
    match d {
        None => "no digest".into(),
        Some(d) => {
            let (alg, hex) = d.split_once(':').unwrap_or(("", d));
            let hex: String = hex.chars().take(12).collect();
            if alg.is_empty() {
                hex
            } else {
                format!("{alg}:{hex}")
            }
        }
    }
}
