//! `plimsoll db update|import|export|status`, and opening the database for scans (`--db`).

use crate::cli::{self, DbArgs, DbCommand, StatusFormat};
use crate::{EXIT_INPUT, input_err};
use anyhow::Context;
use plimsoll_image::BlobCache;
use plimsoll_vulndb::{self as vulndb, fetch};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

pub fn cache_dir(arg: &Option<PathBuf>) -> PathBuf {
    arg.clone().unwrap_or_else(BlobCache::default_dir)
}

/// The database file a command reads or writes: `--db`/`PLIMSOLL_DB`, else
/// `<cache dir>/db/plimsoll.db`.
pub fn db_path(args: &DbArgs) -> PathBuf {
    args.db
        .clone()
        .unwrap_or_else(|| cache_dir(&args.cache_dir).join("db").join("plimsoll.db"))
}

pub fn run(cmd: DbCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        DbCommand::Update(a) => update(a),
        DbCommand::Import(a) => import(a),
        DbCommand::Export(a) => export(a),
        DbCommand::Status(a) => status(a),
    }
}

fn print_summary(s: &vulndb::ImportSummary, quiet: bool) {
    if s.replaced_by_export {
        crate::diag::note("the database was replaced by the imported export or database file");
    }
    crate::diag::note(format_args!(
        "{} records imported, {} kept (already newer), {} removed, {} KEV entries, {} EPSS scores, {} skipped",
        s.records_imported,
        s.records_kept,
        s.records_removed,
        s.kev_entries,
        s.epss_scores,
        s.skipped_count
    ));
    if quiet {
        return;
    }
    for sk in &s.skipped {
        crate::diag::warning(format_args!("skipped {sk}"));
    }
    if s.skipped_count > s.skipped.len() as u64 {
        crate::diag::warning(format_args!(
            "… and {} more skipped",
            s.skipped_count - s.skipped.len() as u64
        ));
    }
    for w in &s.warnings {
        crate::diag::warning(w);
    }
    if s.warning_count > s.warnings.len() as u64 {
        crate::diag::warning(format_args!(
            "… and {} more warnings",
            s.warning_count - s.warnings.len() as u64
        ));
    }
}

fn import(a: cli::DbImportArgs) -> anyhow::Result<ExitCode> {
    let target = db_path(&a.db);
    // Importing the database into itself would replace it with a copy of itself, or worse.
    let mut inputs = crate::output::Inputs::default();
    inputs.extend(&a.paths);
    crate::output::refuse_same_file(&target, &inputs)?;
    if let Some(dir) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let existed = target.exists();
    let mut builder = vulndb::Builder::update(&target).map_err(input_err)?;
    // An input that yields nothing is an error, and the builder (a temporary copy) is
    // dropped: the database stays exactly as it was.
    let summary = vulndb::import_paths(&mut builder, &a.paths).map_err(|e| {
        input_err(format!(
            "{e}; nothing was imported, and {} {}",
            target.display(),
            if existed {
                "is unchanged"
            } else {
                "was not created"
            }
        ))
    })?;
    let path = builder
        .commit()
        .with_context(|| format!("writing {}", target.display()))?;
    print_summary(&summary, a.db.quiet);
    crate::diag::note(format_args!("database: {}", path.display()));
    Ok(ExitCode::SUCCESS)
}

fn export(a: cli::DbExportArgs) -> anyhow::Result<ExitCode> {
    let db = db_path(&a.db);
    let mut inputs = crate::output::Inputs::default();
    inputs.add(&db);
    crate::output::refuse_same_file(&a.file, &inputs)?;
    let size = vulndb::export(&db, &a.file).map_err(input_err)?;
    crate::diag::note(format_args!(
        "exported {} to {} ({size} bytes, zstd)",
        db.display(),
        a.file.display()
    ));
    Ok(ExitCode::SUCCESS)
}

/// Draws the download counters on a terminal.
fn start_bar(
    quiet: bool,
    no_progress: bool,
    progress: Arc<fetch::Progress>,
) -> Option<crate::progress::Running> {
    (!quiet && !no_progress && std::io::stderr().is_terminal())
        .then(|| crate::progress::start_download(progress))
}

fn update(a: cli::DbUpdateArgs) -> anyhow::Result<ExitCode> {
    let target = db_path(&a.db);
    let progress = Arc::new(fetch::Progress::default());
    let client = fetch::Client::new(fetch::FetchOptions {
        osv_base_url: a.feeds.osv_url.trim_end_matches('/').to_string(),
        insecure: a.insecure,
        timeout: Duration::from_secs(a.timeout.max(1)),
        attempts: a.retries.saturating_add(1),
        ..fetch::FetchOptions::default()
    })
    .with_progress(progress.clone());
    let opts = vulndb::update::UpdateOptions {
        ecosystems: a
            .ecosystems
            .iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        kev_url: (!a.no_kev).then(|| a.feeds.kev_url.clone()),
        epss_url: (!a.no_epss).then(|| a.feeds.epss_url.clone()),
    };
    let bar = start_bar(a.db.quiet, a.db.no_progress, progress);
    let result = vulndb::update::update(&target, &client, &opts);
    crate::progress::finish(bar);
    let report = result.map_err(input_err)?;
    for (source, how) in &report.sources {
        let line = match how {
            vulndb::update::Fetched::Full => "downloaded in full".to_string(),
            vulndb::update::Fetched::Incremental { records } => {
                format!("{records} changed records")
            }
            vulndb::update::Fetched::Unchanged => "unchanged".to_string(),
            vulndb::update::Fetched::Document => "downloaded".to_string(),
            vulndb::update::Fetched::Failed { error } => format!("FAILED: {error}"),
        };
        if !a.db.quiet || matches!(how, vulndb::update::Fetched::Failed { .. }) {
            crate::diag::note(format_args!("{source}: {line}"));
        }
    }
    print_summary(&report.summary, a.db.quiet);
    crate::diag::note(format_args!("database: {}", report.path.display()));
    let failed = report.failures().count();
    if failed > 0 {
        crate::diag::error(format_args!(
            "{failed} source(s) could not be updated; they keep their previous data and the next update retries them"
        ));
        return Ok(ExitCode::from(EXIT_INPUT));
    }
    Ok(ExitCode::SUCCESS)
}

fn status(a: cli::DbStatusArgs) -> anyhow::Result<ExitCode> {
    use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
    let path = db_path(&a.db);
    if !path.exists() {
        return Err(input_err(format!(
            "{}: no database (create one with `plimsoll db update`, or `plimsoll db import PATH…` offline)",
            path.display()
        )));
    }
    let db = vulndb::Db::open(&path).map_err(input_err)?;
    let st = db.status().map_err(input_err)?;
    if a.format == StatusFormat::Json {
        let mut v = serde_json::to_value(&st)?;
        if let Some(age) = st.built_at.as_deref().and_then(vulndb::age) {
            v["age_seconds"] = age.as_secs().into();
        }
        // Records per ecosystem as an object, the shape a `jq '.ecosystems["PyPI"]'` expects.
        v["ecosystems"] = st
            .ecosystems
            .iter()
            .map(|(e, n)| (e.clone(), serde_json::Value::from(*n)))
            .collect::<serde_json::Map<_, _>>()
            .into();
        crate::output::print(&format!("{}\n", serde_json::to_string_pretty(&v)?))?;
        return Ok(ExitCode::SUCCESS);
    }
    use std::fmt::Write;
    let mut o = String::new();
    writeln!(o, "Database        {}", st.path.display())?;
    writeln!(o, "Schema version  {}", st.schema_version)?;
    let built = st.built_at.clone().unwrap_or_else(|| "unknown".into());
    match st.built_at.as_deref().and_then(vulndb::age) {
        Some(age) => writeln!(
            o,
            "Built           {built} ({} ago)",
            vulndb::managed::human_age(age)
        )?,
        None => writeln!(o, "Built           {built}")?,
    }
    writeln!(
        o,
        "Records         {} ({} withdrawn); KEV {} entries; EPSS {} scores",
        st.records, st.withdrawn, st.kev_entries, st.epss_scores
    )?;
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    t.set_header(["Source", "Kind", "Records", "Fetched", "From"]);
    for s in &st.sources {
        t.add_row([
            s.name.clone(),
            s.kind.clone(),
            s.records.to_string(),
            s.fetched_at.clone().unwrap_or_default(),
            s.url.clone().unwrap_or_default(),
        ]);
    }
    writeln!(o, "\n{t}")?;
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    t.set_header(["Ecosystem", "Records"]);
    for (eco, n) in &st.ecosystems {
        t.add_row([eco.clone(), n.to_string()]);
    }
    writeln!(o, "\n{t}")?;
    crate::output::print(&o)?;
    Ok(ExitCode::SUCCESS)
}

/// `--db-max-age`: `120h`, `5d`, `90m`, or seconds.
pub fn parse_age(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let n: u64 = num
        .parse()
        .map_err(|_| format!("invalid age {s:?}: expected a number and s, m, h or d"))?;
    let mult = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("invalid age {s:?}: the unit must be s, m, h or d")),
    };
    Ok(Duration::from_secs(n.saturating_mul(mult)))
}
