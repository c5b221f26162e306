//! Every output format in one place: [`Format`] names them, [`Format::for_command`] says which
//! of them each command writes, and [`render`] writes a report in any of them.
//!
//! JSON formats (the native report, CycloneDX, SPDX, SARIF) are serialized straight to the
//! writer: a report of a million packages is never also held as one string. The text
//! formats (tables, Markdown, JUnit XML) are built whole, then written.

use crate::table::{GroupBy, TableOptions};
use plimsoll_model::Report;
use std::io::Write;

/// An output format (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// The terminal tables.
    Table,
    /// The native JSON report (`docs/report.md`).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// CycloneDX 1.6 JSON (a VDR when the report has findings).
    Cyclonedx,
    /// SPDX 2.3 JSON.
    SpdxJson,
    /// GitHub-flavoured Markdown, for pull-request comments.
    Markdown,
    /// JUnit XML, for CI systems that show test reports.
    Junit,
}

/// A command that writes a report, for [`Format::for_command`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    Image,
    Fs,
    Sbom,
    Inventory,
    Explain,
    Explore,
}

impl Command {
    pub fn name(self) -> &'static str {
        match self {
            Command::Image => "image",
            Command::Fs => "fs",
            Command::Sbom => "sbom",
            Command::Inventory => "inventory",
            Command::Explain => "explain",
            Command::Explore => "explore",
        }
    }

    /// Why the formats it does not take make no sense for it.
    fn why_not(self) -> &'static str {
        match self {
            Command::Inventory => {
                "inventory lists packages and looks for no findings (`image` and `fs` report \
                 findings)"
            }
            Command::Explain => "explain tells one finding in prose",
            Command::Explore => "the other formats describe one image",
            Command::Image | Command::Fs | Command::Sbom => "",
        }
    }
}

impl Format {
    /// Every format, in the order `--help` lists them.
    pub const ALL: [Format; 7] = [
        Format::Table,
        Format::Json,
        Format::Cyclonedx,
        Format::SpdxJson,
        Format::Sarif,
        Format::Markdown,
        Format::Junit,
    ];

    /// The name `--format` takes (`spdx-json`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Cyclonedx => "cyclonedx",
            Format::SpdxJson => "spdx-json",
            Format::Markdown => "markdown",
            Format::Junit => "junit",
        }
    }

    /// The format `--format NAME` names.
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Whether [`render`] streams it as JSON.
    pub fn is_json(self) -> bool {
        matches!(
            self,
            Format::Json | Format::Sarif | Format::Cyclonedx | Format::SpdxJson
        )
    }

    /// The formats `command` writes. A scan (`image`, `fs`, `sbom`) writes every one;
    /// `inventory` has no findings, so only the table, the native report and the SBOMs;
    /// `explain` prose only (the table format); `explore` its fleet table or JSON.
    pub fn for_command(command: Command) -> &'static [Format] {
        match command {
            Command::Image | Command::Fs | Command::Sbom => &Format::ALL,
            Command::Inventory => &[
                Format::Table,
                Format::Json,
                Format::Cyclonedx,
                Format::SpdxJson,
            ],
            Command::Explain => &[Format::Table],
            Command::Explore => &[Format::Table, Format::Json],
        }
    }

    /// `Ok` when `command` writes this format, else the message to refuse it with (exit
    /// 2): `inventory writes table, json, cyclonedx or spdx-json, not sarif: …`.
    pub fn check(self, command: Command) -> Result<(), String> {
        let takes = Format::for_command(command);
        if takes.contains(&self) {
            return Ok(());
        }
        let names: Vec<&str> = takes.iter().map(|f| f.name()).collect();
        let list = match names.split_last() {
            Some((last, [])) => last.to_string(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        };
        Err(format!(
            "{} writes {list}, not {}: {}",
            command.name(),
            self.name(),
            command.why_not()
        ))
    }
}

/// Which table a command prints (`--format table`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum View {
    /// The image's facts and layers (a scan without vulnerabilities).
    #[default]
    Image,
    /// One row per package (`inventory`, `sbom` without vulnerabilities).
    Inventory,
    /// The vulnerabilities, by package or by layer, all or the `top` N of highest risk.
    Vulnerabilities(GroupBy, Option<usize>),
}

/// What [`render`] needs besides the report and the format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderOptions {
    /// The table to print.
    pub view: View,
    /// ANSI colours in tables: the caller decides ([`crate::color_wanted`]).
    pub color: bool,
    /// The SBOMs' creation time (RFC 3339); `None` is now. Tests fix it.
    pub timestamp: Option<String>,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            view: View::Image,
            color: false,
            timestamp: None,
        }
    }
}

/// Writes `report` to `w` as `format`. JSON formats end with a newline, like every output.
/// The writer's errors are returned as they are (a closed pipe stays `BrokenPipe`).
pub fn render(
    report: &Report,
    format: Format,
    opts: &RenderOptions,
    w: &mut dyn Write,
) -> std::io::Result<()> {
    let now = || opts.timestamp.clone().unwrap_or_else(crate::now_rfc3339);
    match format {
        Format::Json => json(w, report),
        Format::Cyclonedx => json(w, &crate::to_cyclonedx_at(report, &now())),
        Format::SpdxJson => json(w, &crate::to_spdx_at(report, &now())),
        Format::Sarif => json(w, &crate::to_sarif(report)),
        Format::Markdown => w.write_all(crate::to_markdown(report).as_bytes()),
        Format::Junit => w.write_all(crate::to_junit(report).as_bytes()),
        Format::Table => w.write_all(table(report, opts).as_bytes()),
    }
}

/// The table `opts.view` of a report.
fn table(report: &Report, opts: &RenderOptions) -> String {
    match opts.view {
        View::Image => crate::image_table::image_table(report, opts.color),
        View::Inventory => crate::image_table::inventory_table(report, opts.color),
        View::Vulnerabilities(group_by, top) => crate::vulnerability_table(
            report,
            &TableOptions {
                color: opts.color,
                group_by,
                top,
                ..TableOptions::default()
            },
        ),
    }
}

fn json(w: &mut dyn Write, value: &impl serde::Serialize) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, value)?;
    w.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for f in Format::ALL {
            assert_eq!(Format::from_name(f.name()), Some(f));
        }
        assert_eq!(Format::from_name("xml"), None);
    }

    #[test]
    fn refusals_name_what_the_command_takes() {
        assert_eq!(
            Format::Sarif.check(Command::Inventory).unwrap_err(),
            "inventory writes table, json, cyclonedx or spdx-json, not sarif: inventory lists \
             packages and looks for no findings (`image` and `fs` report findings)"
        );
        assert_eq!(
            Format::Json.check(Command::Explain).unwrap_err(),
            "explain writes table, not json: explain tells one finding in prose"
        );
        assert_eq!(
            Format::Junit.check(Command::Explore).unwrap_err(),
            "explore writes table or json, not junit: the other formats describe one image"
        );
        for c in [Command::Image, Command::Fs, Command::Sbom] {
            for f in Format::ALL {
                assert_eq!(f.check(c), Ok(()));
            }
        }
    }
}
