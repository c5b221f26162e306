//! The `plimsoll` binary: parses arguments, calls the libraries, prints reports. Anything a
//! library user would need lives in the libraries.

mod cleanup;
mod cli;
mod db;
mod diag;
mod formats;
mod output;
mod progress;
mod render;
mod settings;

use clap::{Parser, ValueEnum};
use cli::{Cli, Command, Format, OutputArgs};
use plimsoll_image::ImageSource;
use plimsoll_model as model;
use plimsoll_report::View;
use plimsoll_scan::{Scanned, Source};
use std::process::ExitCode;

/// Exit code for bad usage and unreadable input (DESIGN.md).
const EXIT_INPUT: u8 = 2;
/// Exit code for internal errors.
const EXIT_INTERNAL: u8 = 3;

fn main() -> ExitCode {
    let cli = Cli::parse();
    cleanup::install(&cli);
    if let Err(e) = formats::check(&cli.command) {
        diag::error(format_args!("{e:#}"));
        return ExitCode::from(EXIT_INPUT);
    }
    let result = match cli.command {
        Command::Image(args) => cmd_image(args),
        Command::Fs(args) => cmd_fs(args),
        Command::Inventory(args) => cmd_inventory(args),
        Command::Sbom(args) => cmd_sbom(args),
        Command::Vercmp(args) => cmd_vercmp(args),
        Command::Db(cmd) => db::run(cmd),
        Command::Explain(args) => cmd_explain(args),
        Command::Policy(cli::PolicyCommand::Init(args)) => cmd_policy_init(args),
        Command::Policy(cli::PolicyCommand::Check(args)) => cmd_policy_check(args),
        Command::Explore(args) => cmd_explore(args),
    };
    match result {
        Ok(code) => code,
        // The reader of standard output went away: end quietly (output.rs).
        Err(e) if e.downcast_ref::<output::BrokenPipe>().is_some() => {
            ExitCode::from(output::EXIT_BROKEN_PIPE)
        }
        Err(e) => {
            diag::error(format_args!("{e:#}"));
            if e.downcast_ref::<InputError>().is_some() {
                ExitCode::from(EXIT_INPUT)
            } else {
                ExitCode::from(EXIT_INTERNAL)
            }
        }
    }
}

/// An error caused by the input (unreadable, invalid, unreachable): exit code 2.
#[derive(Debug)]
struct InputError(String);

impl std::error::Error for InputError {}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn input_err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::Error::new(InputError(e.to_string()))
}

fn cmd_image(args: cli::ScanImageArgs) -> anyhow::Result<ExitCode> {
    // The output, then the settings (policy, VEX, ignore files) are settled first: a bad -o
    // or policy, or --offline without a database, fails before any download.
    let mut dest = image_dest(&args.image, &args.db)?;
    let settings = settings::image(&args.image, &args.db)?;
    let scanned = run_scan(
        &Source::Image(args.image.reference.clone()),
        &settings,
        &args.image.output,
    )?;
    let code = finish(
        &scanned,
        &mut dest,
        &args.image.output,
        view(&settings, &args.db),
    )?;
    Ok(gate_exit_unless(code, &scanned.report, &args.db))
}

fn cmd_fs(args: cli::FsArgs) -> anyhow::Result<ExitCode> {
    let mut dest = output::Dest::prepare(
        args.output.output.as_deref(),
        &scan_inputs(&args.db, &args.cache_dir, [&args.dir]),
    )?;
    let settings = settings::scan(&args.db, &args.cache_dir, Some(&args.limits))?;
    let scanned = run_scan(&Source::Dir(args.dir.clone()), &settings, &args.output)?;
    let code = finish(&scanned, &mut dest, &args.output, view(&settings, &args.db))?;
    Ok(gate_exit_unless(code, &scanned.report, &args.db))
}

/// Runs the engine, showing its notes and progress.
fn run_scan(
    source: &Source,
    settings: &plimsoll_scan::ScanSettings,
    out: &OutputArgs,
) -> anyhow::Result<Scanned> {
    let watcher = progress::Watcher::new(out);
    plimsoll_scan::scan(source, settings, &watcher).map_err(settings::scan_error)
}

/// The files a scan reads (`sources`, plus the database, policy, VEX and ignore files),
/// which its output must not replace.
fn scan_inputs<P: AsRef<std::path::Path>>(
    args: &cli::ScanDbArgs,
    cache_dir: &Option<std::path::PathBuf>,
    sources: impl IntoIterator<Item = P>,
) -> output::Inputs {
    let mut inputs = output::Inputs::default();
    inputs
        .extend(sources)
        .extend(&args.db)
        .extend(&args.policy)
        .extend(&args.vex)
        .extend(&args.ignorefile)
        .add(db::cache_dir(cache_dir).join("db").join("plimsoll.db"));
    if let Ok(cwd) = std::env::current_dir() {
        inputs.extend(
            plimsoll_policy::DEFAULT_IGNORE_FILES
                .iter()
                .map(|n| cwd.join(n)),
        );
    }
    inputs
}

/// The local file or directory an image reference names (`docker-archive:PATH`, a bare
/// path…), `None` for a registry reference.
fn image_path(reference: &str) -> Option<std::path::PathBuf> {
    match ImageSource::parse(reference).ok()? {
        ImageSource::Registry(_) => None,
        ImageSource::DockerArchive { path, .. } | ImageSource::OciArchive { path, .. } => {
            Some(path)
        }
        ImageSource::OciLayout { dir, .. } => Some(dir),
    }
}

/// The output of a command that reads an image, checked before anything is read.
fn image_dest(args: &cli::ImageArgs, db_args: &cli::ScanDbArgs) -> anyhow::Result<output::Dest> {
    let sources = [Some(&args.reference), args.base_image.as_ref()]
        .into_iter()
        .flatten()
        .filter_map(|r| image_path(r));
    output::Dest::prepare(
        args.output.output.as_deref(),
        &scan_inputs(db_args, &args.cache_dir, sources),
    )
}

/// `policy init [FILE]`: the commented starter policy; never overwrites without --force.
fn cmd_policy_init(args: cli::PolicyInitArgs) -> anyhow::Result<ExitCode> {
    let text = plimsoll_policy::policy::STARTER;
    if args.file.as_os_str() == "-" {
        output::print(text)?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.file.exists() && !args.force {
        return Err(input_err(format!(
            "{}: already exists (--force overwrites it)",
            args.file.display()
        )));
    }
    output::Dest::prepare(Some(&args.file), &output::Inputs::default())?.write(text)?;
    diag::note(format_args!(
        "wrote {} ({} rules); check it with `plimsoll policy check {}`",
        args.file.display(),
        plimsoll_policy::policy::parse("starter", text).map_or(0, |p| p.rule_count()),
        args.file.display()
    ));
    Ok(ExitCode::SUCCESS)
}

/// `policy check FILE`: exit 0 with a summary, or 2 with `FILE:LINE:COLUMN: message`.
fn cmd_policy_check(args: cli::PolicyCheckArgs) -> anyhow::Result<ExitCode> {
    let p = plimsoll_policy::policy::load(&args.file).map_err(input_err)?;
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    output::print(&format!(
        "{}: valid policy: {}, {}\n",
        args.file.display(),
        plural(p.rule_count(), "rule", "rules"),
        plural(p.exception_count(), "exception", "exceptions")
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// `explain VULN-ID REF`: scans the image as `image` would, then explains every finding
/// (one per package) whose id or alias is VULN-ID. Not found: exit 2, naming what was
/// scanned.
fn cmd_explain(args: cli::ExplainArgs) -> anyhow::Result<ExitCode> {
    use plimsoll_scan::Scanner;
    let a = &args.scan;
    let mut dest = image_dest(&a.image, &a.db)?;
    let settings = settings::image(&a.image, &a.db)?;
    if !settings.scanners.has(Scanner::Vuln) && !settings.scanners.has(Scanner::Secret) {
        return Err(input_err(
            "explain needs the vuln or the secret scanner: add it to --scanners",
        ));
    }
    let scanned = run_scan(
        &Source::Image(a.image.reference.clone()),
        &settings,
        &a.image.output,
    )?;
    let report = &scanned.report;
    let policy = settings.policy.as_ref();
    let today = plimsoll_policy::today_utc();
    let wanted = args.vuln_id.trim();
    let mut hits: Vec<(&model::Finding, Option<&model::Suppressed>)> = report
        .vulnerabilities
        .iter()
        .filter(|f| f.is_named(wanted))
        .map(|f| (f, None))
        .collect();
    hits.extend(
        report
            .suppressed
            .iter()
            .filter(|s| s.finding.is_named(wanted))
            .map(|s| (&s.finding, Some(s))),
    );
    // `--layers all`: the findings of packages later layers removed.
    hits.extend(
        report
            .removed_vulnerabilities
            .iter()
            .filter(|f| f.is_named(wanted))
            .map(|f| (f, None)),
    );
    // A secret is named by its rule id or its fingerprint.
    let names = |s: &model::SecretFinding| s.rule_id == wanted || s.fingerprint == wanted;
    let mut secrets: Vec<(&model::SecretFinding, Option<&model::SuppressedSecret>)> = report
        .secrets
        .iter()
        .filter(|s| names(s))
        .map(|s| (s, None))
        .collect();
    secrets.extend(
        report
            .suppressed_secrets
            .iter()
            .filter(|s| names(&s.secret))
            .map(|s| (&s.secret, Some(s))),
    );
    if hits.is_empty() && secrets.is_empty() {
        return Err(input_err(format!(
            "{wanted}: not a finding of {} ({} findings, {} suppressed, {} secrets; vulnerability ids and aliases, secret rule ids and fingerprints were compared)",
            a.image.reference,
            report.vulnerabilities.len(),
            report.suppressed.len(),
            report.secrets.len() + report.suppressed_secrets.len()
        )));
    }
    let mut text = String::new();
    if !hits.is_empty() {
        let Some(db) = &scanned.db else {
            return Err(input_err(format!(
                "{}: no package belongs to an ecosystem with vulnerability data",
                a.image.reference
            )));
        };
        for (f, sup) in hits {
            let why = plimsoll_match::explain::explain(db, f).map_err(input_err)?;
            text.push_str(&render::explain(report, f, sup, &why));
            if let Some(p) = policy {
                let traces = p.explain(report, f, today);
                text.push_str(&render::rule_traces(&p.file, &traces));
            }
            text.push('\n');
        }
    }
    for (s, sup) in secrets {
        text.push_str(&render::explain_secret(report, s, sup));
        if let Some(p) = policy {
            let traces = p.explain_secret(report, s, today);
            text.push_str(&render::rule_traces(&p.file, &traces));
        }
        text.push('\n');
    }
    dest.write(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// `explore REPORT.json…`: every report that can be read is explored; each one that cannot
/// is named in a warning (and in the output's `unreadable`), and makes the exit code 2 after
/// the output is written.
fn cmd_explore(args: cli::ExploreArgs) -> anyhow::Result<ExitCode> {
    use plimsoll_explore as explore;
    use plimsoll_report::explore::{ExploreTableOptions, explore_table};
    if !matches!(args.output.format, Format::Table | Format::Json) {
        return Err(input_err(format!(
            "explore writes table or json, not {}: the other formats describe one image",
            args.output
                .format
                .to_possible_value()
                .map(|v| v.get_name().to_string())
                .unwrap_or_default()
        )));
    }
    if args.reports.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
        return Err(input_err("`-` (standard input) can be given only once"));
    }
    let mut inputs = output::Inputs::default();
    inputs.extend(&args.reports);
    let mut dest = output::Dest::prepare(args.output.output.as_deref(), &inputs)?;
    let mut explorer = explore::Explorer::new(explore::ExploreOptions {
        severities: args.severity.clone(),
        top: (args.top > 0).then_some(args.top),
        top_images: args.top_images,
    });
    for path in &args.reports {
        let name = path.display().to_string();
        match read_capped(path, args.max_report_size, "--max-report-size")
            .and_then(|bytes| explore::read_report(&name, &bytes))
        {
            Ok(report) => explorer.add(&name, report),
            Err(e) => {
                if !args.output.quiet {
                    diag::warning(&e);
                }
                explorer.add_unreadable(&name, &e);
            }
        }
    }
    let fleet = explorer.finish();
    if fleet.summary.reports == 0 {
        return Err(input_err("no report could be read"));
    }
    let text = match args.output.format {
        Format::Json => json_text(&fleet)?,
        _ => {
            use std::io::IsTerminal;
            let to_terminal = dest.is_stdout() && std::io::stdout().is_terminal();
            explore_table(
                &fleet,
                &ExploreTableOptions {
                    color: plimsoll_report::color_wanted(to_terminal),
                    ..Default::default()
                },
            )
        }
    };
    dest.write(&text)?;
    Ok(if fleet.unreadable.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_INPUT)
    })
}

/// At most `limit` bytes of a file, or of standard input for `-`.
fn read_limited(path: &std::path::Path, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .lock()
            .take(limit)
            .read_to_end(&mut bytes)?;
    } else {
        std::fs::File::open(path)?
            .take(limit)
            .read_to_end(&mut bytes)?;
    }
    Ok(bytes)
}

/// A file's bytes, or standard input's for `-`, refused past `max` bytes; errors name it
/// and `limit`, what sets the bound (`--max-report-size`).
fn read_capped(path: &std::path::Path, max: u64, limit: &str) -> Result<Vec<u8>, String> {
    let name = path.display().to_string();
    let bytes = read_limited(path, max.saturating_add(1)).map_err(|e| format!("{name}: {e}"))?;
    if bytes.len() as u64 > max {
        return Err(format!("{name}: larger than {max} bytes ({limit})"));
    }
    Ok(bytes)
}

/// `--severity` values: `HIGH`, `critical`, GHSA's `MODERATE`.
fn parse_severity(s: &str) -> Result<model::Severity, String> {
    s.parse()
}

/// The gate's exit code when the gate failed: `--exit-code N`, else 1 (a policy's
/// `block`), else none.
fn gate_exit(report: &model::Report, args: &cli::ScanDbArgs) -> Option<ExitCode> {
    match &report.gate {
        Some(g) if g.result == model::GateResult::Fail => {
            Some(ExitCode::from(args.exit_code.unwrap_or(1)))
        }
        _ => None,
    }
}

/// The exit code after the report is written: unreadable input (2) wins over the gate,
/// which wins over success.
fn gate_exit_unless(code: ExitCode, report: &model::Report, args: &cli::ScanDbArgs) -> ExitCode {
    if code != ExitCode::SUCCESS {
        return code;
    }
    gate_exit(report, args).unwrap_or(code)
}

/// The table a scan prints: the findings when vulnerabilities were looked for, else the
/// image's summary.
fn view(settings: &plimsoll_scan::ScanSettings, args: &cli::ScanDbArgs) -> View {
    let vulns = settings.scanners.has(plimsoll_scan::Scanner::Vuln);
    match (vulns, args.group_by) {
        (false, _) => View::Image,
        (true, cli::GroupBy::Package) => {
            View::Vulnerabilities(plimsoll_report::GroupBy::Package, args.top)
        }
        (true, cli::GroupBy::Layer) => {
            View::Vulnerabilities(plimsoll_report::GroupBy::Layer, args.top)
        }
    }
}

/// `inventory REF|DIR`: a plain directory (no `oci-layout`) is scanned like `fs`.
fn cmd_inventory(args: cli::ImageArgs) -> anyhow::Result<ExitCode> {
    let path = std::path::Path::new(&args.reference);
    let mut inputs = output::Inputs::default();
    inputs
        .add(path)
        .extend(image_path(&args.reference))
        .extend(args.base_image.as_deref().and_then(image_path));
    let mut dest = output::Dest::prepare(args.output.output.as_deref(), &inputs)?;
    let settings = settings::inventory(&args)?;
    let source = if path.is_dir() && !path.join("oci-layout").is_file() {
        Source::Dir(path.to_path_buf())
    } else {
        Source::Image(args.reference.clone())
    };
    let scanned = run_scan(&source, &settings, &args.output)?;
    finish(&scanned, &mut dest, &args.output, View::Inventory)
}

/// Writes the report, prints warnings and layer errors, and picks the exit code: a layer
/// that could not be read (corrupt, digest mismatch) makes the input unreadable (2), after
/// the report of everything else has been written.
fn finish(
    scanned: &Scanned,
    dest: &mut output::Dest,
    out: &OutputArgs,
    view: View,
) -> anyhow::Result<ExitCode> {
    emit(&scanned.report, dest, out, view)?;
    for e in &scanned.layer_errors {
        diag::error(e);
    }
    Ok(if scanned.layer_errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_INPUT)
    })
}

/// Renders the report in the chosen format, writes it, and prints its warnings.
fn emit(
    report: &model::Report,
    dest: &mut output::Dest,
    out: &OutputArgs,
    view: View,
) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    let to_terminal = dest.is_stdout() && std::io::stdout().is_terminal();
    let opts = plimsoll_report::RenderOptions {
        view,
        color: plimsoll_report::color_wanted(to_terminal),
        timestamp: None,
    };
    // JSON formats are serialized straight to the destination, never held as one string.
    dest.write_with(|w| plimsoll_report::render(report, formats::of(out.format), &opts, w))?;
    if !out.quiet {
        for w in &report.warnings {
            diag::warning(w);
        }
    }
    Ok(())
}

/// Pretty JSON with a final newline, as every JSON output is written.
fn json_text(v: &impl serde::Serialize) -> anyhow::Result<String> {
    let mut s = serde_json::to_string_pretty(v)?;
    s.push('\n');
    Ok(s)
}

/// `sbom FILE`: the packages of a CycloneDX or SPDX JSON document, as a report.
fn cmd_sbom(args: cli::SbomArgs) -> anyhow::Result<ExitCode> {
    let mut dest = output::Dest::prepare(
        args.output.output.as_deref(),
        &scan_inputs(&args.db, &args.cache_dir, [&args.file]),
    )?;
    let name = args.file.display().to_string();
    let limit = plimsoll_report::MAX_SBOM_SIZE as u64 + 1;
    let bytes = read_limited(&args.file, limit).map_err(|e| {
        input_err(if name == "-" {
            format!("reading standard input: {e}")
        } else {
            format!("{name}: {e}")
        })
    })?;
    let settings = settings::scan(&args.db, &args.cache_dir, None)?;
    let source = Source::Sbom { name, bytes };
    let scanned = run_scan(&source, &settings, &args.output)?;
    let v = match view(&settings, &args.db) {
        View::Image => View::Inventory,
        v => v,
    };
    emit(&scanned.report, &mut dest, &args.output, v)?;
    Ok(gate_exit(&scanned.report, &args.db).unwrap_or(ExitCode::SUCCESS))
}

/// `vercmp ECOSYSTEM A B`: -1, 0 or 1; `--batch` reads `A<TAB>B` lines from standard input
/// and answers each on its own line. An unparsable version is an input error (exit 2); in
/// batch mode the line number is named and the lines before it have been answered.
fn cmd_vercmp(args: cli::VercmpArgs) -> anyhow::Result<ExitCode> {
    use std::io::BufRead;
    let scheme = plimsoll_version::Scheme::from_name(&args.ecosystem).map_err(|_| {
        input_err(format!(
            "unknown ecosystem {:?} (OSV names such as Debian, Alpine, PyPI, npm, Go, Maven, \
             crates.io, RubyGems, NuGet, Packagist, Hex, Pub, Red Hat, or deb, rpm, apk, pypi, \
             semver, go, maven, gem, nuget, composer)",
            args.ecosystem
        ))
    })?;
    let sign = |o: std::cmp::Ordering| o as i8;
    if !args.batch {
        let (a, b) = (args.a.unwrap_or_default(), args.b.unwrap_or_default());
        let o = plimsoll_version::compare(scheme, &a, &b).map_err(input_err)?;
        output::print(&format!("{}\n", sign(o)))?;
        return Ok(ExitCode::SUCCESS);
    }
    // A line holds two versions: each is read bounded, so that a stream without newlines
    // (`< /dev/zero`) cannot fill memory.
    const MAX_LINE: u64 = 64 << 10;
    let mut stdin = std::io::stdin().lock();
    let mut out = output::Stdout::open()?;
    let mut buf = Vec::new();
    for n in 0.. {
        buf.clear();
        let read = std::io::Read::take(&mut stdin, MAX_LINE + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| input_err(format!("reading standard input: {e}")))?;
        if read == 0 {
            break;
        }
        if buf.len() as u64 > MAX_LINE && !buf.ends_with(b"\n") {
            out.flush()?;
            return Err(input_err(format!(
                "standard input line {}: longer than {MAX_LINE} bytes",
                n + 1
            )));
        }
        let line = std::str::from_utf8(&buf).map_err(|e| {
            input_err(format!(
                "standard input line {}: not UTF-8 text (byte {})",
                n + 1,
                e.valid_up_to()
            ))
        })?;
        let line = line.trim_end_matches('\n').trim_end_matches('\r');
        if line.is_empty() {
            continue;
        }
        let Some((a, b)) = line.split_once('\t') else {
            out.flush()?;
            return Err(input_err(format!(
                "standard input line {}: expected A<TAB>B, got {line:?}",
                n + 1
            )));
        };
        match plimsoll_version::compare(scheme, a, b) {
            Ok(o) => out.write(&format!("{}\n", sign(o)))?,
            Err(e) => {
                out.flush()?;
                return Err(input_err(format!("standard input line {}: {e}", n + 1)));
            }
        }
    }
    out.finish()?;
    Ok(ExitCode::SUCCESS)
}
