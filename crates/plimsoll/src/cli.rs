//! Command-line arguments: clap structs only. Flags are named like Trivy's where the
//! meaning is the same, so users can switch without relearning.

use clap::{Args, Parser, Subcommand, ValueEnum};
use plimsoll_model::DetectionPriority;
use std::path::PathBuf;

/// `--detection-priority`'s parser: the model's names, listed in `--help`.
fn detection_priority() -> impl clap::builder::TypedValueParser<Value = DetectionPriority> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(DetectionPriority::NAMES)
        .try_map(|s| s.parse::<DetectionPriority>())
}

#[derive(Parser)]
#[command(
    name = "plimsoll",
    version,
    about = "Container image security scanner and supply-chain gate",
    long_about = "plimsoll reads container images from registries, archives, OCI layouts and \
directories, and tells what is inside them, layer by layer. Nothing is uploaded anywhere."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

// No Debug: ImageArgs holds the registry password.
#[derive(Subcommand)]
pub enum Command {
    /// Scan a container image: REF is a registry reference (debian:12, ghcr.io/o/r@sha256:…),
    /// docker-archive:PATH[:NAME:TAG], oci-archive:PATH[:TAG], oci:DIR[:TAG], or a bare path.
    Image(ScanImageArgs),
    /// Scan a directory or unpacked root filesystem (as one layer).
    Fs(FsArgs),
    /// List every package (SBOM generation); needs no vulnerability database. REF is an
    /// image reference as for `image`, or a directory.
    Inventory(ImageArgs),
    /// Read a CycloneDX (1.4–1.6) or SPDX (2.2/2.3) JSON SBOM — plimsoll's, Syft's or
    /// Trivy's — and report its packages.
    Sbom(SbomArgs),
    /// Build, update, import, export and inspect the vulnerability database.
    #[command(subcommand)]
    Db(DbCommand),
    /// Compare two versions under an ecosystem's ordering: prints -1, 0 or 1.
    Vercmp(VercmpArgs),
    /// Explain one finding of an image: the advisories, the range that matched and why,
    /// the layer and instruction that brought the package in, the risk factors, and any
    /// suppression.
    Explain(ExplainArgs),
    /// Write a starter policy file, or check one (docs/policy.md).
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// The fleet view: read native JSON reports (one per image, `-` for standard input) and
    /// list the vulnerabilities of highest risk across them, with the images each affects,
    /// and the images ranked by risk.
    Explore(ExploreArgs),
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Write a commented starter policy (every kind of rule, and an exception).
    Init(PolicyInitArgs),
    /// Validate a policy file: prints a summary, or the line and column of the first mistake
    /// (exit 2).
    Check(PolicyCheckArgs),
}

#[derive(Debug, Args)]
pub struct PolicyInitArgs {
    /// Where to write it; `-` for standard output.
    #[arg(value_name = "FILE", default_value = "plimsoll-policy.yaml")]
    pub file: PathBuf,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct PolicyCheckArgs {
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// `explore REPORT.json…`.
#[derive(Debug, Args)]
pub struct ExploreArgs {
    /// Native JSON reports (`plimsoll image REF -f json`); `-` reads one from standard input.
    #[arg(value_name = "REPORT.json", required = true)]
    pub reports: Vec<PathBuf>,
    /// Output format: `table` or `json` (the other report formats describe one image).
    #[command(flatten)]
    pub output: OutputArgs,
    /// List the N vulnerabilities of highest risk (0: all).
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub top: usize,
    /// List only the N images of highest risk (default: all).
    #[arg(long, value_name = "N")]
    pub top_images: Option<usize>,
    /// Count only findings of these severities, comma-separated (UNKNOWN, LOW, MEDIUM, HIGH,
    /// CRITICAL; default: all).
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = crate::parse_severity)]
    pub severity: Vec<plimsoll_model::Severity>,
    /// Largest report file read, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = plimsoll_explore::MAX_REPORT_SIZE)]
    pub max_report_size: u64,
}

/// `explain VULN-ID REF`: the scan arguments, plus the vulnerability.
#[derive(Args)]
pub struct ExplainArgs {
    /// The vulnerability (a CVE, GHSA or any other id or alias of the finding), or a
    /// secret's rule id (`github-pat`) or fingerprint (`PATH:RULE-ID:LINE`).
    #[arg(value_name = "VULN-ID")]
    pub vuln_id: String,
    #[command(flatten)]
    pub scan: ScanImageArgs,
}

#[derive(Debug, Args)]
pub struct DbArgs {
    /// The database file (default: `plimsoll.db` in the cache directory's `db/`).
    #[arg(long, value_name = "PATH", env = "PLIMSOLL_DB")]
    pub db: Option<PathBuf>,
    /// Directory of the caches (default: the user's cache directory, `plimsoll/`).
    #[arg(long, value_name = "DIR", env = "PLIMSOLL_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Print no warnings on standard error.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Do not show progress (plimsoll shows none when standard error is not a terminal).
    #[arg(long)]
    pub no_progress: bool,
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Download what changed since the last update from OSV (and CISA KEV, FIRST EPSS).
    Update(DbUpdateArgs),
    /// Import OSV JSON files, directories and all.zip archives, KEV JSON, EPSS CSV (gzip or
    /// not) and `db export` files, offline.
    Import(DbImportArgs),
    /// Write the database to one zstd-compressed file that `db import` accepts.
    Export(DbExportArgs),
    /// Show the schema version, build time, sources and record counts per ecosystem.
    Status(DbStatusArgs),
}

#[derive(Debug, Args)]
pub struct DbUpdateArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// OSV ecosystems to fetch, comma-separated (default: every ecosystem plimsoll matches;
    /// `all` for every ecosystem the bucket lists).
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub ecosystems: Vec<String>,
    #[command(flatten)]
    pub feeds: FeedArgs,
    /// Do not fetch CISA KEV.
    #[arg(long)]
    pub no_kev: bool,
    /// Do not fetch FIRST EPSS.
    #[arg(long)]
    pub no_epss: bool,
    /// Accept self-signed TLS certificates and plain HTTP.
    #[arg(long)]
    pub insecure: bool,
    /// Deadline of each request in seconds, retries and backoff included.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub timeout: u64,
    /// Times to retry a request after 429, 5xx or a dropped connection (with backoff).
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub retries: u32,
}

/// Where the vulnerability data comes from (`db update`, and scans refreshing their database).
#[derive(Debug, Args)]
pub struct FeedArgs {
    /// Base URL of the OSV bucket.
    #[arg(
        long,
        value_name = "URL",
        env = "PLIMSOLL_OSV_URL",
        default_value = "https://storage.googleapis.com/osv-vulnerabilities"
    )]
    pub osv_url: String,
    /// URL of the CISA Known Exploited Vulnerabilities JSON feed.
    #[arg(
        long,
        value_name = "URL",
        env = "PLIMSOLL_KEV_URL",
        default_value = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
    )]
    pub kev_url: String,
    /// URL of the FIRST EPSS scores (CSV, gzip).
    #[arg(
        long,
        value_name = "URL",
        env = "PLIMSOLL_EPSS_URL",
        default_value = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz"
    )]
    pub epss_url: String,
}

#[derive(Debug, Args)]
pub struct DbImportArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Files or directories to import.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DbExportArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// File to write.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct DbStatusArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Output format.
    #[arg(short = 'f', long, value_enum, default_value_t = StatusFormat::Table)]
    pub format: StatusFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct VercmpArgs {
    /// Ecosystem: an OSV name (`Debian`, `Alpine`, `PyPI`, `npm`, `Go`, `Maven`, `crates.io`,
    /// `RubyGems`, `NuGet`, `Packagist`, `Hex`, `Pub`, `Red Hat`…) or an alias (`deb`, `rpm`,
    /// `apk`, `pypi`, `semver`, `go`, `maven`, `gem`, `nuget`, `composer`…).
    #[arg(value_name = "ECOSYSTEM")]
    pub ecosystem: String,
    /// First version.
    #[arg(value_name = "A", required_unless_present = "batch")]
    pub a: Option<String>,
    /// Second version.
    #[arg(value_name = "B", required_unless_present = "batch")]
    pub b: Option<String>,
    /// Read `A<TAB>B` lines from standard input and print one result per line.
    #[arg(long, conflicts_with_all = ["a", "b"])]
    pub batch: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    /// CycloneDX 1.6 JSON.
    Cyclonedx,
    /// SPDX 2.3 JSON.
    SpdxJson,
    /// SARIF 2.1.0 (GitHub code scanning).
    Sarif,
    /// GitHub-flavoured Markdown, for pull-request comments.
    Markdown,
    /// JUnit XML, for CI systems that show test reports.
    Junit,
}

/// How the vulnerability table is grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GroupBy {
    /// By package (the default).
    Package,
    /// By layer: what each Dockerfile instruction brought in.
    Layer,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output format.
    #[arg(short = 'f', long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the report to FILE instead of standard output: whole or not at all (a
    /// temporary file renamed over FILE); a failed run removes an older report at FILE.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print no warnings on standard error.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Do not show progress (plimsoll shows none when standard error is not a terminal).
    #[arg(long)]
    pub no_progress: bool,
}

#[derive(Debug, Args)]
pub struct LimitArgs {
    /// Largest uncompressed layer, in bytes (guards against decompression bombs).
    #[arg(long, value_name = "BYTES", default_value_t = 64 << 30)]
    pub max_layer_size: u64,
    /// Most tar entries per layer.
    #[arg(long, value_name = "N", default_value_t = 10_000_000)]
    pub max_entries: u64,
    /// Most bytes of file contents kept for analysis over the whole image.
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 30)]
    pub max_capture: u64,
}

#[derive(Args)]
pub struct ImageArgs {
    /// Image reference or path.
    #[arg(value_name = "REF")]
    pub reference: String,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Platform to pick from a multi-platform image, os/arch[/variant] (default: this machine's).
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
    /// Directory of the blob cache (default: the user's cache directory, `plimsoll/`).
    #[arg(long, value_name = "DIR", env = "PLIMSOLL_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Do not read or write the cache directory (blob and layer caches); a gzip archive is
    /// decompressed in the system's temporary directory instead.
    #[arg(long)]
    pub no_cache: bool,
    /// Do not read or write the layer cache (each layer's walk, kept in `layers/` of the cache
    /// directory so a re-scan reads no layer); `--no-cache` implies it.
    #[arg(long)]
    pub no_layer_cache: bool,
    /// Accept registries with self-signed or invalid TLS certificates, and plain HTTP.
    #[arg(long)]
    pub insecure: bool,
    /// Registry username (else the Docker config and credential helpers are used).
    #[arg(long, env = "PLIMSOLL_USERNAME")]
    pub username: Option<String>,
    /// Registry password or token (prefer --password-stdin: arguments show in `ps`).
    #[arg(
        long,
        env = "PLIMSOLL_PASSWORD",
        hide_env_values = true,
        requires = "username"
    )]
    pub password: Option<String>,
    /// Read the registry password from standard input.
    #[arg(long, requires = "username", conflicts_with = "password")]
    pub password_stdin: bool,
    /// Largest decompressed size of a gzip-compressed archive (spooled to the cache dir).
    #[arg(long, value_name = "BYTES", default_value_t = 64 << 30)]
    pub max_archive_size: u64,
    /// Deadline of each registry request in seconds, retries and backoff included.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub timeout: u64,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// The image this one was built on (any image reference): its layers, found by
    /// `diff_id` at the start of this image's, are the base image's. Only its manifest and
    /// config are read. Without it, the base image is told from the manifest's
    /// `org.opencontainers.image.base.*` annotations, the same labels, or the history.
    #[arg(long, value_name = "REF")]
    pub base_image: Option<String>,
    /// `final`: the final filesystem, what a container started from the image sees. `all`:
    /// also the packages an earlier layer installed and a later one removed, still readable
    /// from the earlier layer's blob (`docker save`), with their vulnerabilities as
    /// informational findings that no gate counts unless a policy rule says `removed: true`
    /// (docs/layers.md). Secrets in deleted files are reported either way.
    #[arg(long, value_name = "WHICH", default_value = "final", value_parser = ["final", "all"], env = "PLIMSOLL_LAYERS")]
    pub layers: String,
}

/// `image`: the image arguments plus the vulnerability database.
#[derive(Args)]
pub struct ScanImageArgs {
    #[command(flatten)]
    pub image: ImageArgs,
    #[command(flatten)]
    pub db: ScanDbArgs,
}

#[derive(Debug, Args)]
pub struct ScanDbArgs {
    /// What to look for, comma-separated (Trivy's names): `vuln` (known vulnerabilities;
    /// needs the database), `secret` (keys, tokens and passwords in files, the config and the
    /// history), or `none` for the image summary and inventory alone, with no database.
    #[arg(long, value_name = "LIST", value_delimiter = ',', default_value = "vuln,secret", value_parser = ["vuln", "secret", "misconfig", "malware", "none"], env = "PLIMSOLL_SCANNERS")]
    pub scanners: Vec<String>,
    /// Secret rules (YAML, docs/secrets.md): disable built-in rules, add rules and allow
    /// rules; extends the built-in rules.
    #[arg(long, value_name = "FILE", env = "PLIMSOLL_SECRET_CONFIG")]
    pub secret_config: Option<PathBuf>,
    /// Bytes of each file read for secrets; the rest of a larger file is not looked at.
    #[arg(long, value_name = "BYTES", default_value_t = 10 << 20)]
    pub secret_max_file_size: u64,
    /// Vulnerability database to use as it is: a database file (`plimsoll db update` or
    /// `db import`), or an OSV directory, zip or JSON file, imported on the fly into the
    /// cache and reused while it is unchanged. Without it, plimsoll's own database in the
    /// cache directory is used, downloaded when missing and refreshed when a day old.
    #[arg(long, value_name = "PATH", env = "PLIMSOLL_DB")]
    pub db: Option<PathBuf>,
    /// Never download vulnerability data: scan with the cached database as it is (an error
    /// when there is none).
    #[arg(long, visible_alias = "skip-db-update", env = "PLIMSOLL_OFFLINE")]
    pub offline: bool,
    /// Warn when the database is older than this (`90m`, `120h`, `5d`).
    #[arg(long, value_name = "AGE", default_value = "5d", value_parser = crate::db::parse_age)]
    pub db_max_age: std::time::Duration,
    #[command(flatten)]
    pub feeds: FeedArgs,
    /// Also match language packages that an OS package installed against their upstream
    /// advisories (`comprehensive`); by default only the distribution's advisories apply.
    #[arg(long, value_name = "PRIORITY", default_value = "precise", value_parser = detection_priority())]
    pub detection_priority: DetectionPriority,
    /// Group the vulnerability table by package or by layer.
    #[arg(long, value_enum, default_value_t = GroupBy::Package)]
    pub group_by: GroupBy,
    /// Show only the N findings of highest risk in the table (the other formats keep all).
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
    /// Suppress findings without a released fix (listed under `suppressed` with the reason).
    #[arg(long)]
    pub ignore_unfixed: bool,
    /// Suppress findings in packages that came with the base image (listed under
    /// `suppressed` with the base image and how it was told apart): the findings a team
    /// owns are the rest.
    #[arg(long)]
    pub exclude_base_image: bool,
    /// Ignore file: ids one per line (`.trivyignore` form) or YAML with paths, purls,
    /// packages, expiry and statement (docs/ignore.md). Repeatable. Default: whichever of
    /// `.plimsollignore`, `.trivyignore` and `.trivyignore.yaml` exist in the current directory.
    #[arg(long, value_name = "FILE")]
    pub ignorefile: Vec<PathBuf>,
    /// VEX document (OpenVEX or CycloneDX JSON): `not_affected` and `fixed` statements
    /// suppress the findings they name. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub vex: Vec<PathBuf>,
    /// Severities that count for the gate, comma-separated (UNKNOWN, LOW, MEDIUM, HIGH,
    /// CRITICAL; default: all).
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = crate::parse_severity)]
    pub severity: Vec<plimsoll_model::Severity>,
    /// Exit with this code when a counted, unsuppressed finding remains (the CI gate; the
    /// report's `gate` object says why). Without it, findings do not change the exit code.
    #[arg(long, value_name = "N")]
    pub exit_code: Option<u8>,
    /// Gate by a policy file (docs/policy.md): `block` rules fail the scan with the exit code
    /// (1 unless --exit-code says otherwise), `alert` rules are reported.
    #[arg(
        long,
        value_name = "FILE",
        env = "PLIMSOLL_POLICY",
        conflicts_with = "severity"
    )]
    pub policy: Option<PathBuf>,
    /// Let a gate pass although the database has no advisories for an ecosystem the scanned
    /// packages need (their packages were not checked). Without it such a scan fails any
    /// gate; either way it is a warning and is named in the report's `database.missing_data`.
    #[arg(long, env = "PLIMSOLL_ALLOW_MISSING_DATA")]
    pub allow_missing_data: bool,
}

#[derive(Debug, Args)]
pub struct FsArgs {
    /// Directory to scan.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub db: ScanDbArgs,
    /// Directory of the caches (default: the user's cache directory, `plimsoll/`).
    #[arg(long, value_name = "DIR", env = "PLIMSOLL_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SbomArgs {
    /// CycloneDX or SPDX JSON file (`-` for standard input).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub db: ScanDbArgs,
    /// Directory of the caches (default: the user's cache directory, `plimsoll/`).
    #[arg(long, value_name = "DIR", env = "PLIMSOLL_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
}
