//! The `plimsoll` binary: parses arguments, calls the libraries, prints reports. Anything a
//! library user would need lives in the libraries.

mod cleanup;
mod cli;
mod db;
mod diag;
mod output;
mod progress;
mod render;

use anyhow::Context;
use clap::{Parser, ValueEnum};
use cli::{Cli, Command, Format, LimitArgs, OutputArgs};
use plimsoll_catalog::Catalog;
use plimsoll_image::{self as image, Credential, ImageSource, Limits, OpenOptions, WalkOptions};
use plimsoll_model as model;
use std::process::ExitCode;
use std::time::Duration;

/// Exit code for bad usage and unreadable input (DESIGN.md).
const EXIT_INPUT: u8 = 2;
/// Exit code for internal errors.
const EXIT_INTERNAL: u8 = 3;

fn main() -> ExitCode {
    let cli = Cli::parse();
    cleanup::install(&cli);
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

fn limits(l: &LimitArgs) -> Limits {
    Limits {
        max_layer_size: l.max_layer_size,
        max_entries: l.max_entries,
        max_capture_total: l.max_capture,
        ..Limits::default()
    }
}

fn cmd_image(args: cli::ScanImageArgs) -> anyhow::Result<ExitCode> {
    // The output, then the database are settled first: a bad -o or --db, or --offline
    // without a database, fails before any download.
    let mut dest = image_dest(&args.image, &args.db)?;
    let prepared = prepare_db(&args.db, &args.image.cache_dir)?;
    let policy = load_policy(&args.db)?;
    let suppressions = load_suppressions(&args.db, prepared.is_some())?;
    let (mut report, scan) = scan_image_ref(&args.image)?;
    attach_db(
        &mut report,
        prepared,
        policy.as_ref(),
        suppressions,
        &args.db,
        &args.image.output,
    )?;
    let code = finish(
        &report,
        &scan,
        &mut dest,
        &args.image.output,
        view(&args.db),
    )?;
    Ok(gate_exit_unless(code, &report, &args.db))
}

fn cmd_fs(args: cli::FsArgs) -> anyhow::Result<ExitCode> {
    let mut dest = output::Dest::prepare(
        args.output.output.as_deref(),
        &scan_inputs(&args.db, &args.cache_dir, [&args.dir]),
    )?;
    let prepared = prepare_db(&args.db, &args.cache_dir)?;
    let policy = load_policy(&args.db)?;
    let suppressions = load_suppressions(&args.db, prepared.is_some())?;
    let (mut report, scan) = scan_directory(&args.dir, &args.limits)?;
    attach_db(
        &mut report,
        prepared,
        policy.as_ref(),
        suppressions,
        &args.db,
        &args.output,
    )?;
    let code = finish(&report, &scan, &mut dest, &args.output, view(&args.db))?;
    Ok(gate_exit_unless(code, &report, &args.db))
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

/// `--vex` and `--ignorefile` (or the default ignore files, when vulnerabilities are
/// scanned), read and checked before anything is scanned.
fn load_suppressions(
    args: &cli::ScanDbArgs,
    scans_vulns: bool,
) -> anyhow::Result<plimsoll_policy::Suppressions> {
    plimsoll_policy::Suppressions::load(&plimsoll_policy::SuppressOptions {
        ignorefiles: args.ignorefile.clone(),
        vex: args.vex.clone(),
        default_dir: scans_vulns.then(std::env::current_dir).and_then(Result::ok),
        ignore_unfixed: args.ignore_unfixed,
    })
    .map_err(input_err)
}

/// The scan's database, settled before anything is read; refuses a gate that would have
/// nothing to judge.
fn prepare_db(
    args: &cli::ScanDbArgs,
    cache_dir: &Option<std::path::PathBuf>,
) -> anyhow::Result<Option<db::ScanDb>> {
    let prepared = db::prepare_for_scan(args, cache_dir)?;
    if prepared.is_none()
        && (args.exit_code.is_some() || args.ignore_unfixed || args.policy.is_some())
    {
        return Err(input_err(NEEDS_DB));
    }
    Ok(prepared)
}

/// Downloads or refreshes the database when the scan needs it, matches the report's
/// packages against it, records which database it was, then suppresses and gates.
fn attach_db(
    report: &mut model::Report,
    prepared: Option<db::ScanDb>,
    policy: Option<&plimsoll_policy::policy::Policy>,
    suppressions: plimsoll_policy::Suppressions,
    args: &cli::ScanDbArgs,
    out: &OutputArgs,
) -> anyhow::Result<Option<plimsoll_vulndb::Db>> {
    let Some(prepared) = prepared else {
        return Ok(None);
    };
    let opened = db::open_prepared(prepared, &report.packages, args, out.quiet, out.no_progress)?;
    let mut db = None;
    if let Some(o) = opened {
        let opts = plimsoll_match::MatchOptions {
            comprehensive: args.detection_priority == "comprehensive",
        };
        let outcome = plimsoll_match::match_report(report, &o.db, &opts).map_err(input_err)?;
        report.vulnerabilities = outcome.findings;
        report.warnings.extend(o.warnings);
        report.warnings.extend(outcome.warnings);
        report.database = Some(o.info);
        report.mark_base_image();
        db = Some(o.db);
    } else {
        report.warnings.push(
            "no package belongs to an ecosystem with vulnerability data: nothing was matched, and no database was downloaded".into(),
        );
    }
    // VEX, then ignore files, then --ignore-unfixed, then --exclude-base-image (last, so an
    // ignore entry for a base-image finding still counts as used, not stale).
    let today = plimsoll_policy::today_utc();
    suppressions.apply(report, today);
    if args.exclude_base_image {
        if report.artifact.base_image.is_none() {
            report.warnings.push(
                "--exclude-base-image: no base image could be told apart (pass --base-image REF), so no finding was excluded".into(),
            );
        }
        report.exclude_base_image();
    }
    plimsoll_policy::risk::score_report(report);
    if let Some(p) = policy {
        report.gate = Some(p.evaluate(report, today));
    } else if args.exit_code.is_some() {
        report.gate = Some(plimsoll_policy::gate(report, &args.severity));
    }
    Ok(db)
}

/// `--policy FILE`, read and checked before anything is scanned (callers load it before the
/// scan and hand it to [`attach_db`]).
fn load_policy(args: &cli::ScanDbArgs) -> anyhow::Result<Option<plimsoll_policy::policy::Policy>> {
    args.policy
        .as_deref()
        .map(plimsoll_policy::policy::load)
        .transpose()
        .map_err(input_err)
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
    let a = &args.scan;
    let mut dest = image_dest(&a.image, &a.db)?;
    let prepared = prepare_db(&a.db, &a.image.cache_dir)?;
    if prepared.is_none() {
        return Err(input_err(
            "explain needs the vulnerability scanner: drop --scanners none",
        ));
    }
    let policy = load_policy(&a.db)?;
    let suppressions = load_suppressions(&a.db, true)?;
    let (mut report, _scan) = scan_image_ref(&a.image)?;
    let Some(db) = attach_db(
        &mut report,
        prepared,
        policy.as_ref(),
        suppressions,
        &a.db,
        &a.image.output,
    )?
    else {
        return Err(input_err(format!(
            "{}: no package belongs to an ecosystem with vulnerability data",
            a.image.reference
        )));
    };
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
    if hits.is_empty() {
        return Err(input_err(format!(
            "{wanted}: not a finding of {} ({} findings, {} suppressed; ids and aliases were compared)",
            a.image.reference,
            report.vulnerabilities.len(),
            report.suppressed.len()
        )));
    }
    let mut text = String::new();
    for (f, sup) in hits {
        let why = plimsoll_match::explain::explain(&db, f).map_err(input_err)?;
        text.push_str(&render::explain(&report, f, sup, &why));
        if let Some(p) = &policy {
            let traces = p.explain(&report, f, plimsoll_policy::today_utc());
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
    use plimsoll_report::explore;
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
        match read_capped(path, args.max_report_size)
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
            explore::explore_table(
                &fleet,
                &explore::ExploreTableOptions {
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

/// A file's bytes, or standard input's for `-`, refused past `max` bytes; errors name it.
fn read_capped(path: &std::path::Path, max: u64) -> Result<Vec<u8>, String> {
    let name = path.display().to_string();
    let bytes = read_limited(path, max.saturating_add(1)).map_err(|e| format!("{name}: {e}"))?;
    if bytes.len() as u64 > max {
        return Err(format!(
            "{name}: larger than {max} bytes (--max-report-size)"
        ));
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

/// A gate over a scan that looks for no vulnerabilities would pass every image: refuse it.
const NEEDS_DB: &str = "--exit-code, --policy and --ignore-unfixed judge vulnerabilities, \
     which --scanners none does not look for: drop --scanners none";

/// The exit code after the report is written: unreadable input (2) wins over the gate,
/// which wins over success.
fn gate_exit_unless(code: ExitCode, report: &model::Report, args: &cli::ScanDbArgs) -> ExitCode {
    if code != ExitCode::SUCCESS {
        return code;
    }
    gate_exit(report, args).unwrap_or(code)
}

fn view(args: &cli::ScanDbArgs) -> View {
    match (db::wants_vulns(args), args.group_by) {
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
    let (report, scan) = if path.is_dir() && !path.join("oci-layout").is_file() {
        scan_directory(path, &args.limits)?
    } else {
        scan_image_ref(&args)?
    };
    finish(&report, &scan, &mut dest, &args.output, View::Inventory)
}

/// The report of a walk: the artifact, plus inventory (OS and packages) and all warnings.
fn inventory_report(
    artifact: model::Artifact,
    scan: &image::ImageScan,
    catalog: &Catalog,
) -> model::Report {
    let inv = catalog.inventory(scan);
    let mut artifact = artifact;
    artifact.os = inv.os;
    let mut warnings = scan.warnings.clone();
    warnings.extend(inv.warnings);
    model::Report {
        packages: inv.packages,
        warnings,
        ..model::Report::new(artifact)
    }
}

fn scan_image_ref(args: &cli::ImageArgs) -> anyhow::Result<(model::Report, image::ImageScan)> {
    let source = ImageSource::parse(&args.reference).map_err(input_err)?;
    let mut opts = OpenOptions::default();
    if let Some(p) = &args.platform {
        opts.platform = Some(image::platform::parse(p).map_err(input_err)?);
    }
    if let Some(dir) = &args.cache_dir {
        opts.cache = image::BlobCache::new(dir);
    }
    opts.no_cache = args.no_cache;
    opts.max_archive_size = args.max_archive_size;
    opts.registry.insecure = args.insecure;
    opts.registry.timeout = Duration::from_secs(args.timeout.max(1));
    let password = if args.password_stdin {
        use std::io::{BufRead, Read};
        // One line; bounded, so that a stream without a newline cannot fill memory.
        let mut p = String::new();
        std::io::stdin()
            .lock()
            .take(64 << 10)
            .read_line(&mut p)
            .context("reading the password from standard input")?;
        Some(p.trim_end_matches(['\r', '\n']).to_string())
    } else {
        args.password.clone()
    };
    match (&args.username, password) {
        (Some(u), Some(p)) => {
            opts.registry.credential = Some(Credential::Basic {
                username: u.clone(),
                password: p,
            });
        }
        (Some(_), None) => {
            return Err(input_err(
                "--username needs --password, --password-stdin or PLIMSOLL_PASSWORD",
            ));
        }
        _ => {}
    }
    let img = image::open(&args.reference, source, &opts).map_err(input_err)?;
    let base = match &args.base_image {
        Some(r) => {
            // Manifest and config only, for the scanned image's platform.
            let source =
                ImageSource::parse(r).map_err(|e| input_err(format!("--base-image {r}: {e}")))?;
            let mut opts = opts.clone();
            opts.platform = Some(img.platform.clone());
            Some(
                image::open(r, source, &opts)
                    .map_err(|e| input_err(format!("--base-image {r}: {e}")))?,
            )
        }
        None => None,
    };
    let (base_image, base_warnings) = image::base_image(&img, base.as_ref());
    drop(base);
    let catalog = Catalog::default();
    let mut walk = WalkOptions {
        interests: catalog.interests(),
        limits: limits(&args.limits),
        progress: None,
    };
    let total: u64 = img.layers.iter().map(|l| l.size).sum();
    let bar = progress::start(&args.output, &mut walk, total, img.layers.len());
    let layers =
        (!args.no_cache && !args.no_layer_cache).then(|| image::LayerCache::new(opts.cache.dir()));
    let scan = image::scan_image_cached(&img, &walk, layers.as_ref());
    progress::finish(bar);
    let scan = scan.map_err(input_err)?;
    let mut report = inventory_report(image::artifact(&img, &scan), &scan, &catalog);
    report.artifact.base_image = base_image;
    report.warnings.extend(base_warnings);
    Ok((report, scan))
}

fn scan_directory(
    dir: &std::path::Path,
    limit_args: &LimitArgs,
) -> anyhow::Result<(model::Report, image::ImageScan)> {
    let catalog = Catalog::default();
    let walk = WalkOptions {
        interests: catalog.interests(),
        limits: limits(limit_args),
        progress: None,
    };
    let scan = image::scan_dir(dir, &walk).map_err(input_err)?;
    let l = scan.layers.first().cloned().unwrap_or_default();
    let artifact = model::Artifact {
        layers: vec![model::Layer {
            index: 0,
            uncompressed_size: l.uncompressed_size,
            entries: l.entries,
            files_in_final: l.files_in_final,
            error: l.error.clone(),
            ..model::Layer::default()
        }],
        files: scan.tree.len() as u64,
        ..model::Artifact::new(
            dir.display().to_string(),
            model::ArtifactKind::Filesystem,
            "directory",
        )
    };
    let report = inventory_report(artifact, &scan, &catalog);
    Ok((report, scan))
}

/// Which table a command prints.
#[derive(Clone, Copy)]
enum View {
    Image,
    Inventory,
    /// A scan with a database: the findings, by package or by layer, all or the top N.
    Vulnerabilities(plimsoll_report::GroupBy, Option<usize>),
}

/// Writes the report, prints warnings and layer errors, and picks the exit code: a layer
/// that could not be read (corrupt, digest mismatch) makes the input unreadable (2), after
/// the report of everything else has been written.
fn finish(
    report: &model::Report,
    scan: &image::ImageScan,
    dest: &mut output::Dest,
    out: &OutputArgs,
    view: View,
) -> anyhow::Result<ExitCode> {
    emit(report, dest, out, view)?;
    let mut failed = false;
    for (_, e) in scan.layer_errors() {
        diag::error(e);
        failed = true;
    }
    Ok(if failed {
        ExitCode::from(EXIT_INPUT)
    } else {
        ExitCode::SUCCESS
    })
}

/// Renders the report in the chosen format, writes it, and prints its warnings.
fn emit(
    report: &model::Report,
    dest: &mut output::Dest,
    out: &OutputArgs,
    view: View,
) -> anyhow::Result<()> {
    // JSON formats are serialized straight to the destination, never held as one string.
    match out.format {
        Format::Json => dest.write_json(report)?,
        Format::Cyclonedx => dest.write_json(&plimsoll_report::to_cyclonedx(report))?,
        Format::SpdxJson => dest.write_json(&plimsoll_report::to_spdx(report))?,
        Format::Sarif => dest.write_json(&plimsoll_report::to_sarif(report))?,
        Format::Markdown => dest.write(&plimsoll_report::to_markdown(report))?,
        Format::Junit => dest.write(&plimsoll_report::to_junit(report))?,
        Format::Table => dest.write(&table_text(report, dest.is_stdout(), view))?,
    }
    if !out.quiet {
        for w in &report.warnings {
            diag::warning(w);
        }
    }
    Ok(())
}

/// The table `view` of a report; coloured only on a terminal that wants colour.
fn table_text(report: &model::Report, to_stdout: bool, view: View) -> String {
    match view {
        View::Image => render::table(report),
        View::Inventory => render::inventory_table(report),
        View::Vulnerabilities(group_by, top) => {
            use std::io::IsTerminal;
            let to_terminal = to_stdout && std::io::stdout().is_terminal();
            plimsoll_report::vulnerability_table(
                report,
                &plimsoll_report::TableOptions {
                    color: plimsoll_report::color_wanted(to_terminal),
                    group_by,
                    top,
                    ..plimsoll_report::TableOptions::default()
                },
            )
        }
    }
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
    let prepared = prepare_db(&args.db, &args.cache_dir)?;
    let policy = load_policy(&args.db)?;
    let suppressions = load_suppressions(&args.db, prepared.is_some())?;
    let sbom =
        plimsoll_report::read_sbom_full(&bytes).map_err(|e| input_err(format!("{name}: {e}")))?;
    drop(bytes);
    let (format, os, packages) = (sbom.format, sbom.os, sbom.packages);
    let report = model::Report {
        packages,
        warnings: sbom.warnings,
        ..model::Report::new(model::Artifact {
            os,
            ..model::Artifact::new(name, model::ArtifactKind::Sbom, format.name())
        })
    };
    let mut report = report;
    let v = match view(&args.db) {
        View::Image => View::Inventory,
        v => v,
    };
    attach_db(
        &mut report,
        prepared,
        policy.as_ref(),
        suppressions,
        &args.db,
        &args.output,
    )?;
    emit(&report, &mut dest, &args.output, v)?;
    Ok(gate_exit(&report, &args.db).unwrap_or(ExitCode::SUCCESS))
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
