//! Which output formats each command writes: plimsoll-report's table
//! ([`plimsoll_report::Format::for_command`]), checked before anything is read, so that
//! `inventory -f sarif` or `explain -f json` is refused (exit 2) rather than answered with
//! an empty report or with text.

use crate::cli::{self, Command};
use plimsoll_report::{Command as Cmd, Format};

/// The report's format for the `--format` value.
pub fn of(f: cli::Format) -> Format {
    match f {
        cli::Format::Table => Format::Table,
        cli::Format::Json => Format::Json,
        cli::Format::Cyclonedx => Format::Cyclonedx,
        cli::Format::SpdxJson => Format::SpdxJson,
        cli::Format::Sarif => Format::Sarif,
        cli::Format::Markdown => Format::Markdown,
        cli::Format::Junit => Format::Junit,
    }
}

/// Refuses a `--format` that makes no sense for the command, naming the ones it takes.
pub fn check(command: &Command) -> anyhow::Result<()> {
    let (cmd, format) = match command {
        Command::Image(a) => (Cmd::Image, a.image.output.format),
        Command::Fs(a) => (Cmd::Fs, a.output.format),
        Command::Inventory(a) => (Cmd::Inventory, a.output.format),
        Command::Sbom(a) => (Cmd::Sbom, a.output.format),
        Command::Explain(a) => (Cmd::Explain, a.scan.image.output.format),
        Command::Explore(a) => (Cmd::Explore, a.output.format),
        Command::Vercmp(_) | Command::Db(_) | Command::Policy(_) => return Ok(()),
    };
    of(format).check(cmd).map_err(crate::input_err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    #[test]
    fn every_flag_value_is_the_report_format_of_its_name() {
        for f in cli::Format::value_variants() {
            let name = f.to_possible_value().unwrap().get_name().to_string();
            assert_eq!(of(*f).name(), name);
        }
        assert_eq!(cli::Format::value_variants().len(), Format::ALL.len());
    }
}
