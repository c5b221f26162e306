//! `plimsoll db update|import|export|status`, and opening the database for scans (`--db`).

use crate::cli::{self, DbArgs, DbCommand, StatusFormat};
use crate::{EXIT_INPUT, input_err};
use anyhow::Context;
use plimsoll_image::BlobCache;
use plimsoll_vulndb::{self as vulndb, fetch};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
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
struct Bar {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

fn start_bar(quiet: bool, no_progress: bool, progress: Arc<fetch::Progress>) -> Option<Bar> {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    if quiet || no_progress || !std::io::stderr().is_terminal() {
        return None;
    }
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let thread = std::thread::spawn(move || {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} downloading {msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        while !flag.load(Ordering::Relaxed) {
            bar.set_length(progress.bytes_total());
            bar.set_position(progress.bytes_done());
            bar.set_message(format!("{} files", progress.files_done()));
            std::thread::sleep(Duration::from_millis(100));
        }
        bar.finish_and_clear();
    });
    Some(Bar { stop, thread })
}

fn stop_bar(bar: Option<Bar>) {
    if let Some(b) = bar {
        b.stop.store(true, Ordering::Relaxed);
        let _ = b.thread.join();
    }
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
    stop_bar(bar);
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

/// "3 h", "2 d 4 h": an age for people.
pub fn human_age(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min", s / 60),
        3600..86_400 => format!("{} h", s / 3600),
        _ => format!("{} d {} h", s / 86_400, (s % 86_400) / 3600),
    }
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
        Some(age) => writeln!(o, "Built           {built} ({} ago)", human_age(age))?,
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

/// What a scan says about the database it used.
pub struct Opened {
    pub db: vulndb::Db,
    pub info: plimsoll_model::DatabaseInfo,
    pub warnings: Vec<String>,
}

/// A managed database older than this is refreshed before a scan (unless `--offline`). OSV
/// changes many times a day, and an incremental update costs one small request per
/// ecosystem, so a day keeps scans fresh without a round of requests before every scan.
pub const REFRESH_AFTER: Duration = Duration::from_secs(24 * 3600);

/// The database a scan will read, settled before the image is read so that a bad `--db`
/// (or `--offline` without a database) fails before any download.
pub enum ScanDb {
    /// The database named with `--db` (a database file, or an OSV directory, zip or JSON
    /// file imported on the fly): the user's data, used as it is and never refreshed.
    Given(Box<Opened>),
    /// plimsoll's own database, `<cache>/db/plimsoll.db`: downloaded when missing,
    /// refreshed when a day old or lacking an ecosystem the scan needs, unless `--offline`.
    Managed {
        path: PathBuf,
        /// The database as it is, opened (and so checked) early; `None` when missing.
        db: Option<vulndb::Db>,
    },
}

/// Whether the scan looks for vulnerabilities (`--scanners`), and so needs a database.
pub fn wants_vulns(args: &cli::ScanDbArgs) -> bool {
    args.scanners.iter().any(|s| s == "vuln")
}

/// Settles the database of a scan. `None` when the scan looks for nothing that needs one
/// (`--scanners none`).
pub fn prepare_for_scan(
    args: &cli::ScanDbArgs,
    cache: &Option<PathBuf>,
) -> anyhow::Result<Option<ScanDb>> {
    if !wants_vulns(args) {
        return Ok(None);
    }
    // A database named with --db is the user's: used as it is, never downloaded into.
    if let Some(given) = &args.db {
        return Ok(Some(ScanDb::Given(Box::new(open_for_scan(
            given,
            cache,
            args.db_max_age,
        )?))));
    }
    let path = cache_dir(cache).join("db").join("plimsoll.db");
    if path.exists() {
        let db = vulndb::Db::open(&path).map_err(input_err)?;
        return Ok(Some(ScanDb::Managed { path, db: Some(db) }));
    }
    if args.offline {
        return Err(input_err(format!(
            "no vulnerability database at {}, and --offline forbids downloading one: run `plimsoll db update` first (or `plimsoll db import FILE…` on a machine without network), give --db PATH, or scan with --scanners none",
            path.display()
        )));
    }
    Ok(Some(ScanDb::Managed { path, db: None }))
}

/// Opens the database of a scan whose packages are known: a managed database is first
/// downloaded or refreshed as needed (see [`ScanDb::Managed`]). A refresh that fails leaves
/// the database as it was and becomes a warning; a first download that fails is an error
/// (exit 2), since a scan without data would look clean. `None` when there is no database
/// and nothing to fetch (no package of an ecosystem OSV publishes).
pub fn open_prepared(
    prepared: ScanDb,
    packages: &[plimsoll_model::Package],
    args: &cli::ScanDbArgs,
    quiet: bool,
    no_progress: bool,
) -> anyhow::Result<Option<Opened>> {
    let opts = match_options(args);
    let (path, mut db) = match prepared {
        ScanDb::Given(o) => return Ok(Some(check_coverage(*o, packages, args)?)),
        ScanDb::Managed { path, db } => (path, db),
    };
    let exists = db.is_some();
    let needed: Vec<String> = plimsoll_match::needed_ecosystems(packages, &opts)
        .into_iter()
        .filter(|e| vulndb::update::DEFAULT_ECOSYSTEMS.contains(&e.as_str()))
        .collect();
    let mut warnings = Vec::new();
    let plan = if let Some(d) = &db {
        let info = d.scan_info().map_err(input_err)?;
        let ecosystems = d.ecosystems().map_err(input_err)?;
        refresh_plan(&info, &ecosystems, &needed)
    } else {
        Some(Refresh {
            ecosystems: needed.clone(),
            why: "no vulnerability database yet".into(),
        })
    };
    match plan {
        // Nothing of OSV to fetch (no package of an ecosystem OSV publishes).
        Some(r) if r.ecosystems.is_empty() && !exists => {
            refuse_unchecked_gate(packages, args)?;
            return Ok(None);
        }
        Some(r) if r.ecosystems.is_empty() => {}
        Some(r) if args.offline => warnings.push(format!("{}; not refreshed (--offline)", r.why)),
        Some(r) => {
            if !quiet {
                crate::diag::note(format_args!(
                    "{}: fetching {} into {}",
                    r.why,
                    r.ecosystems.join(", "),
                    path.display()
                ));
            }
            let progress = Arc::new(fetch::Progress::default());
            let client = fetch::Client::new(fetch::FetchOptions {
                osv_base_url: args.feeds.osv_url.trim_end_matches('/').to_string(),
                // A scan should not wait long for a refresh it can do without.
                attempts: if exists { 2 } else { 3 },
                ..fetch::FetchOptions::default()
            })
            .with_progress(progress.clone());
            let uopts = vulndb::update::UpdateOptions {
                ecosystems: r.ecosystems.clone(),
                kev_url: Some(args.feeds.kev_url.clone()),
                epss_url: Some(args.feeds.epss_url.clone()),
            };
            let bar = start_bar(quiet, no_progress, progress);
            let result = vulndb::update::update(&path, &client, &uopts);
            stop_bar(bar);
            // The update renamed a new file into place (or left the old one): read that.
            db = None;
            match result {
                Ok(rep) => {
                    for (source, error) in rep.failures() {
                        warnings.push(format!(
                            "vulnerability data: {source} could not be updated ({error}); it keeps its previous data"
                        ));
                    }
                }
                Err(e) if exists => warnings.push(format!(
                    "the vulnerability database {} could not be refreshed ({e}); scanning with the data it has",
                    path.display()
                )),
                Err(e) => {
                    return Err(input_err(format!(
                        "could not download the vulnerability database into {}: {e} (on a machine without network: `plimsoll db import FILE…`, then scan with --offline)",
                        path.display()
                    )));
                }
            }
        }
        None => {}
    }
    let db = match db {
        Some(d) => d,
        None => vulndb::Db::open(&path).map_err(input_err)?,
    };
    let mut opened = describe(db, &path, args.db_max_age)?;
    warnings.append(&mut opened.warnings);
    opened.warnings = warnings;
    Ok(Some(check_coverage(opened, packages, args)?))
}

fn match_options(args: &cli::ScanDbArgs) -> plimsoll_match::MatchOptions {
    plimsoll_match::MatchOptions {
        comprehensive: args.detection_priority == plimsoll_model::DetectionPriority::Comprehensive,
    }
}

/// Whether the scan has a gate (`--exit-code`, `--policy`) that missing data fails.
fn has_gate(args: &cli::ScanDbArgs) -> bool {
    args.exit_code.is_some() || args.policy.is_some()
}

/// Records in the report which ecosystems the packages need that the database has no
/// advisories for (`plimsoll_match::coverage`), each with a warning: those packages were not
/// checked, and every gate fails for it unless `--allow-missing-data` accepts it.
fn check_coverage(
    mut o: Opened,
    packages: &[plimsoll_model::Package],
    args: &cli::ScanDbArgs,
) -> anyhow::Result<Opened> {
    let missing =
        plimsoll_match::missing_data(packages, &o.db, &match_options(args)).map_err(input_err)?;
    for m in &missing {
        let consequence = if args.allow_missing_data {
            "; accepted by --allow-missing-data"
        } else if has_gate(args) {
            "; the gate fails for it (--allow-missing-data accepts it)"
        } else {
            ""
        };
        o.warnings.push(format!(
            "NOT CHECKED: the vulnerability database {} has no advisories for {m}: those packages were not checked for vulnerabilities{consequence}",
            o.info.path
        ));
    }
    o.info.missing_data_allowed = args.allow_missing_data && !missing.is_empty();
    o.info.missing_data = missing;
    Ok(o)
}

/// With no database and nothing `db update` could fetch for these packages (Photon OS, say),
/// a gate would judge packages nobody checked: refused unless `--allow-missing-data`.
fn refuse_unchecked_gate(
    packages: &[plimsoll_model::Package],
    args: &cli::ScanDbArgs,
) -> anyhow::Result<()> {
    if !has_gate(args) || args.allow_missing_data {
        return Ok(());
    }
    let missing = plimsoll_match::coverage::missing_in(packages, &[], &match_options(args));
    if missing.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = missing.iter().map(ToString::to_string).collect();
    Err(input_err(format!(
        "no vulnerability data for {}, and `db update` fetches none for it: the gate cannot judge packages it could not check (import their advisories with `plimsoll db import`, or accept the gap with --allow-missing-data)",
        list.join(", ")
    )))
}

/// Why and what to fetch before a scan.
struct Refresh {
    /// Empty: every ecosystem the database already has.
    ecosystems: Vec<String>,
    why: String,
}

/// A refresh is due when the database is older than [`REFRESH_AFTER`] (then every ecosystem
/// it has, plus the needed ones), or lacks a needed ecosystem (then those alone).
fn refresh_plan(
    st: &vulndb::ScanInfo,
    ecosystems: &[(String, u64)],
    needed: &[String],
) -> Option<Refresh> {
    let mut have: std::collections::BTreeSet<String> = st
        .sources
        .iter()
        .filter_map(|s| s.name.strip_prefix("osv:").map(str::to_string))
        .collect();
    have.extend(
        ecosystems
            .iter()
            .map(|(e, _)| vulndb::base_ecosystem(e).to_string()),
    );
    let missing: Vec<String> = needed
        .iter()
        .filter(|e| !have.contains(*e))
        .cloned()
        .collect();
    let age = st.built_at.as_deref().and_then(vulndb::age);
    if age.is_none_or(|a| a > REFRESH_AFTER) {
        let mut all: Vec<String> = have
            .iter()
            .filter(|e| vulndb::update::DEFAULT_ECOSYSTEMS.contains(&e.as_str()))
            .cloned()
            .collect();
        all.extend(missing);
        all.sort();
        all.dedup();
        return Some(Refresh {
            ecosystems: all,
            why: match age {
                Some(a) => format!("the vulnerability database is {} old", human_age(a)),
                None => "the vulnerability database has no build time".into(),
            },
        });
    }
    (!missing.is_empty()).then(|| Refresh {
        why: format!(
            "the vulnerability database has no advisories for {}",
            missing.join(", ")
        ),
        ecosystems: missing,
    })
}

/// Opens the database given to a scan with `--db`: a database file, or an OSV directory,
/// zip or JSON file imported on the fly into `<cache dir>/db/osv/` (reused while unchanged).
/// Warns when it is older than `max_age`.
pub fn open_for_scan(
    path: &Path,
    cache: &Option<PathBuf>,
    max_age: Duration,
) -> anyhow::Result<Opened> {
    let cache_db = cache_dir(cache).join("db").join("osv");
    let (db_file, summary) = vulndb::cached_db_for(path, &cache_db).map_err(input_err)?;
    let mut warnings = Vec::new();
    if let Some(s) = summary {
        for sk in s.skipped.iter() {
            warnings.push(format!("vulnerability data: skipped {sk}"));
        }
        for w in s.warnings.iter() {
            warnings.push(format!("vulnerability data: {w}"));
        }
    }
    let db = vulndb::Db::open(&db_file).map_err(input_err)?;
    let mut opened = describe(db, path, max_age)?;
    if opened.info.records == 0 {
        return Err(input_err(format!(
            "{}: the vulnerability database holds no advisory record: a scan against it would check nothing",
            path.display()
        )));
    }
    warnings.append(&mut opened.warnings);
    opened.warnings = warnings;
    Ok(opened)
}

/// What a report says about an opened database (`path` as the user knows it), with a
/// warning when it is older than `max_age`.
fn describe(db: vulndb::Db, path: &Path, max_age: Duration) -> anyhow::Result<Opened> {
    let mut warnings = Vec::new();
    let st = db.scan_info().map_err(input_err)?;
    let age = st.built_at.as_deref().and_then(vulndb::age);
    if let Some(age) = age
        && age > max_age
    {
        warnings.push(format!(
            "the vulnerability database {} was built {} ago, more than --db-max-age {}: run `plimsoll db update`",
            path.display(),
            human_age(age),
            human_age(max_age)
        ));
    }
    Ok(Opened {
        db,
        info: plimsoll_model::DatabaseInfo {
            path: path.display().to_string(),
            schema_version: st.schema_version,
            built_at: st.built_at.clone(),
            age_seconds: age.map(|a| a.as_secs()),
            records: st.records,
            sources: st
                .sources
                .iter()
                .map(|s| plimsoll_model::DatabaseSource {
                    name: s.name.clone(),
                    fetched_at: s.fetched_at.clone(),
                })
                .collect(),
            ..Default::default()
        },
        warnings,
    })
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
