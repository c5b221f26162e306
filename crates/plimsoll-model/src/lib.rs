//! The shared vocabulary of plimsoll.
//!
//! Plain data handed from one stage to the next: what an artifact (an image or a directory)
//! is, its layers, and (in later stages) packages and findings. This crate does no I/O and
//! holds no logic beyond small conveniences and two text filters every stage shares:
//! [`redact`] (secret values out of what an image says about its build) and [`text`]
//! (control characters escaped for terminals); every field here is part of the native JSON
//! report contract documented in `docs/report.md`, so renaming one is a breaking change.

pub mod decision;
pub mod ecosystem;
pub mod findings;
pub mod redact;
pub mod text;
pub mod time;
pub mod vocab;
pub mod vuln_id;

pub use decision::{Action, GateResult, SuppressedBy};
pub use findings::{
    MalwareFinding, MalwareRef, MisconfigRef, Misconfiguration, SecretFinding, SecretRef,
    SecretSource, SuppressedMisconfiguration, SuppressedSecret,
};

pub use ecosystem::{Ecosystem, VersionScheme};
pub use vocab::{DetectionPriority, Origin};
pub use vuln_id::{IdKind, is_cve};

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of the native JSON report. Bumped only when a field changes meaning or what a
/// report holds changes: 2 added the finding kinds beside `vulnerabilities` (`secrets`,
/// `suppressed_secrets`, `misconfigurations`, `malware`).
pub const SCHEMA_VERSION: u32 = 2;

/// The oldest `schema_version` that readers of native reports (`explore`) still accept: a
/// version 1 report is a version 2 report without the later finding kinds.
pub const OLDEST_READABLE_SCHEMA_VERSION: u32 = 1;

/// The native JSON report. Later stages add `packages`, `vulnerabilities` and `gate`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Report {
    pub schema_version: u32,
    /// The program that wrote the report, and its version.
    #[serde(default)]
    pub scanner: Scanner,
    pub artifact: Artifact,
    /// Inventory: every package found (empty until inventory runs).
    #[serde(default)]
    pub packages: Vec<Package>,
    /// Known-malicious files and packages (`--scanners malware`): before the
    /// vulnerabilities, as every format lists them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub malware: Vec<MalwareFinding>,
    /// Known vulnerabilities of the packages, one per (vulnerability, package), after
    /// suppression. Empty when no database was used.
    #[serde(default)]
    pub vulnerabilities: Vec<Finding>,
    /// Findings that matched but were suppressed (`--ignore-unfixed`, an ignore file, VEX),
    /// each with the reason: counted and listed, never silently dropped.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suppressed: Vec<Suppressed>,
    /// Secrets that ship with the image (`--scanners secret`), redacted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<SecretFinding>,
    /// Secret findings an ignore file suppressed, each with the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suppressed_secrets: Vec<SuppressedSecret>,
    /// Risky configuration: the hardening checks (`--scanners misconfig`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub misconfigurations: Vec<Misconfiguration>,
    /// Misconfigurations an ignore file suppressed, each with the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suppressed_misconfigurations: Vec<SuppressedMisconfiguration>,
    /// `--layers all`: packages an earlier layer installed and a later layer removed (or
    /// upgraded), each with `removed_in_layer`. Not in the final filesystem, but readable
    /// from the earlier layer's blob (`docker save`). Apart from `packages`, which is the
    /// final filesystem's inventory.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed_packages: Vec<Package>,
    /// `--layers all`: the vulnerabilities of `removed_packages`, each with
    /// `removed_in_layer`. Informational: no summary total, `--exit-code` gate or policy
    /// rule counts them unless a rule says `removed: true`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed_vulnerabilities: Vec<Finding>,
    /// The CI gate's decision, when a gate was configured (`--exit-code`, a policy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate: Option<Gate>,
    /// The vulnerability database the scan used, when it used one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<DatabaseInfo>,
    /// Problems that did not stop the scan (a corrupt file in one layer, a file over a
    /// size limit…). Each names the layer and path concerned.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl Report {
    /// An empty report of `artifact`, at this schema version.
    pub fn new(artifact: Artifact) -> Report {
        Report {
            schema_version: SCHEMA_VERSION,
            scanner: Scanner::default(),
            artifact,
            packages: Vec::new(),
            vulnerabilities: Vec::new(),
            suppressed: Vec::new(),
            secrets: Vec::new(),
            suppressed_secrets: Vec::new(),
            misconfigurations: Vec::new(),
            suppressed_misconfigurations: Vec::new(),
            malware: Vec::new(),
            removed_packages: Vec::new(),
            removed_vulnerabilities: Vec::new(),
            gate: None,
            database: None,
            warnings: Vec::new(),
        }
    }

    /// Sets every finding's `in_base_image` (suppressed ones too) from the artifact's base
    /// image: `true` for packages found in its layers, `false` for the others, absent for
    /// findings without a layer or when no base image was told apart.
    pub fn mark_base_image(&mut self) {
        let base = self.artifact.base_image.clone();
        let holds = |f: &mut Finding| {
            f.in_base_image = base.as_ref().and_then(|b| b.holds(f.layer));
        };
        self.vulnerabilities.iter_mut().for_each(holds);
        self.removed_vulnerabilities.iter_mut().for_each(holds);
        self.suppressed
            .iter_mut()
            .map(|s| &mut s.finding)
            .for_each(holds);
    }

    /// `--exclude-base-image`: moves the findings that came with the base image to
    /// `suppressed` (`suppressed_by: "exclude-base-image"`), and such secrets to
    /// `suppressed_secrets`, with a reason naming the base and how it was decided. Returns
    /// how many moved. Runs after
    /// [`Report::mark_base_image`].
    pub fn exclude_base_image(&mut self) -> usize {
        let Some(base) = &self.artifact.base_image else {
            return 0;
        };
        let (moved, kept): (Vec<Finding>, Vec<Finding>) = std::mem::take(&mut self.vulnerabilities)
            .into_iter()
            .partition(|f| f.in_base_image == Some(true));
        self.vulnerabilities = kept;
        let n = moved.len();
        for f in moved {
            let reason = format!(
                "layer {} is from {}",
                f.layer.unwrap_or_default(),
                base.describe()
            );
            self.suppressed.push(Suppressed {
                finding: f,
                suppressed_by: SuppressedBy::ExcludeBaseImage,
                reason,
            });
        }
        // Secrets the base image shipped go the same way: the findings a team owns are
        // the rest.
        let (moved, kept): (Vec<SecretFinding>, Vec<SecretFinding>) =
            std::mem::take(&mut self.secrets)
                .into_iter()
                .partition(|s| s.in_base_image == Some(true));
        self.secrets = kept;
        let n = n + moved.len();
        for s in moved {
            let reason = format!(
                "layer {} is from {}",
                s.layer.unwrap_or_default(),
                base.describe()
            );
            self.suppressed_secrets.push(SuppressedSecret {
                secret: s,
                suppressed_by: SuppressedBy::ExcludeBaseImage,
                reason,
            });
        }
        n
    }
}

/// The program that wrote a report: with the database's age, what decides how far to trust
/// a clean result.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Scanner {
    pub name: String,
    pub version: String,
}

impl Default for Scanner {
    /// This build of plimsoll (all crates share the workspace version).
    fn default() -> Scanner {
        Scanner {
            name: "plimsoll".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// The vulnerability database a scan used: how old its data is decides how far to trust a
/// clean result.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct DatabaseInfo {
    /// `--db` as given (a database file, or an OSV directory or zip imported on the fly).
    pub path: String,
    pub schema_version: u32,
    /// When the database was last written (RFC 3339, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub built_at: Option<String>,
    /// Seconds between `built_at` and the scan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_seconds: Option<u64>,
    /// OSV records in the database (withdrawn ones included).
    pub records: u64,
    /// Each source (`osv:PyPI`, `kev`, `epss`, or a local import) and when it was fetched.
    #[serde(default)]
    pub sources: Vec<DatabaseSource>,
    /// Ecosystems the scanned packages need advisories for and the database has none of
    /// (an image of `Debian:12` against a database of PyPI alone): their packages were not
    /// checked. Any gate fails for it unless `missing_data_allowed`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_data: Vec<MissingData>,
    /// `--allow-missing-data` accepted `missing_data`: no gate failed for it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub missing_data_allowed: bool,
}

/// Packages of one ecosystem that a database had no advisories for.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct MissingData {
    /// The ecosystem as the matcher asks for it: `Debian:12`, `Alpine:v3.20`, `PyPI`.
    pub ecosystem: String,
    /// How many of the scanned packages belong to it (and so were not checked).
    pub packages: u64,
}

impl std::fmt::Display for MissingData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({} package{} not checked)",
            self.ecosystem,
            self.packages,
            if self.packages == 1 { "" } else { "s" }
        )
    }
}

/// One source of a [`DatabaseInfo`].
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DatabaseSource {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fetched_at: Option<String>,
}

/// Kind of artifact that was scanned.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ArtifactKind {
    ContainerImage,
    Filesystem,
    /// An SBOM read back in (`plimsoll sbom`): `source` is `cyclonedx` or `spdx`.
    Sbom,
}

/// What was scanned: an image (with layers) or a directory (one pseudo-layer).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Artifact {
    /// The reference or path as the user gave it.
    pub name: String,
    pub kind: ArtifactKind,
    /// Where it was read from: `registry`, `docker-archive`, `oci-archive`, `oci-layout`,
    /// `directory`, or for an SBOM `cyclonedx` or `spdx`.
    pub source: String,
    /// Fully qualified registry reference (`registry/repository:tag`), when it came from one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Manifest digest (`sha256:…`); absent for directories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Digest of the image index the manifest was selected from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_digest: Option<String>,
    /// Manifest media type (OCI or Docker v2 schema 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// Config blob digest, the image ID as `docker images` shows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_digest: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// Operating system detected from the image's files (filled in by inventory).
    pub os: Option<OsInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<ImageConfig>,
    /// RFC 3339 creation time from the image config.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    pub layers: Vec<Layer>,
    /// Which of `layers` came from the base image, and how that was decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_image: Option<BaseImage>,
    /// Number of files in the merged (final) filesystem view.
    #[serde(default)]
    pub files: u64,
}

impl Artifact {
    /// An artifact with only what every kind has; callers fill in the rest.
    pub fn new(name: impl Into<String>, kind: ArtifactKind, source: impl Into<String>) -> Artifact {
        Artifact {
            name: name.into(),
            kind,
            source: source.into(),
            reference: None,
            digest: None,
            index_digest: None,
            media_type: None,
            config_digest: None,
            platform: None,
            os: None,
            config: None,
            created: None,
            layers: Vec::new(),
            base_image: None,
            files: 0,
        }
    }
}

/// The base image an image was built on: its first `layers` layers came from it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct BaseImage {
    /// How it was decided: `annotation` (the manifest's `org.opencontainers.image.base.*`),
    /// `label` (the same keys as config labels), `base-image` (`--base-image`, layer
    /// diff_ids compared) or `history` (the layers up to the base's final CMD/ENTRYPOINT).
    pub method: String,
    /// The base image's reference, when known (`docker.io/library/debian:12`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The base image's manifest digest, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Layers 0..layers are the base image's.
    pub layers: usize,
    /// The evidence, for people: `history entry 3 "CMD [\"bash\"]" ends the base image`.
    pub detail: String,
}

impl BaseImage {
    /// Whether a package found in `layer` came with the base image (`None` without a layer).
    pub fn holds(&self, layer: Option<usize>) -> Option<bool> {
        layer.map(|l| l < self.layers)
    }

    /// `base image docker.io/library/debian:12 (layers 0–1, decided by label)`, or
    /// `the base image (layer 0, decided by history)` when it has no name.
    pub fn describe(&self) -> String {
        let span = match self.layers {
            1 => "layer 0".to_string(),
            n => format!("layers 0–{}", n.saturating_sub(1)),
        };
        let name = self.name.as_deref().or(self.digest.as_deref());
        match name {
            Some(n) => format!("base image {n} ({span}, decided by {})", self.method),
            None => format!("the base image ({span}, decided by {})", self.method),
        }
    }
}

/// An OS/architecture pair as OCI platforms spell it (`linux/arm64/v8`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// Operating system family and version, e.g. `debian` `12`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct OsInfo {
    pub family: String,
    pub version: String,
}

/// The parts of an image config a security reviewer reads. Environment variables are listed
/// by name only: their values routinely hold secrets.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct ImageConfig {
    /// `User` as written; empty means root.
    pub user: String,
    pub env_names: Vec<String>,
    pub exposed_ports: Vec<String>,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<String>,
}

/// One filesystem layer, in application order (index 0 is the base).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Layer {
    pub index: usize,
    /// Digest of the blob as stored (compressed), from the manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Digest of the uncompressed tar, from the config's `rootfs.diff_ids`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// Compressed size in bytes, as stored.
    pub size: u64,
    /// Uncompressed tar size in bytes, measured while walking.
    pub uncompressed_size: u64,
    /// `gzip`, `zstd` or `none`, detected from the blob's first bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compression: Option<String>,
    /// The history entry (Dockerfile instruction) that produced this layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Entries in this layer's tar (files, directories, links), whiteouts excluded.
    pub entries: u64,
    /// Paths this layer deletes from lower layers (`.wh.` whiteouts), and directories it
    /// makes opaque (`.wh..wh..opq`). Image paths are relative to the root, without a
    /// leading slash (`etc/passwd`), everywhere in the report.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deletions: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub opaque_dirs: Vec<String>,
    /// Files from this layer still visible in the final image.
    pub files_in_final: u64,
    /// Why this layer could not be read completely (digest mismatch, corrupt archive…).
    /// Nothing read from an image layer that failed is part of the scan (it was streamed
    /// before it could be verified); for a directory, what was read before the error is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A package found in the artifact: an OS package, a language package, or a binary.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct Package {
    /// Stable identifier within one report (derived from the purl and the first location).
    pub id: String,
    /// Kind of package database or artifact: `deb`, `apk`, `rpm`, `python`, `npm`, `go-module`,
    /// `cargo`, `maven`, `gem`, `composer`, `nuget`…
    #[serde(rename = "type")]
    pub kind: String,
    /// OSV ecosystem name, release-scoped for distributions (`Debian:12`, `Alpine:v3.19`, `PyPI`).
    pub ecosystem: String,
    pub name: String,
    pub version: String,
    /// Package URL (<https://github.com/package-url/purl-spec>).
    pub purl: String,
    /// Source package, where the format has one (dpkg `Source:`, apk origin, source RPM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourcePackage>,
    /// Declared licenses, as written (SPDX expressions where the format uses them).
    #[serde(default)]
    pub licenses: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// Where it was found: the layer that brought it in (first layer from which it is present
    /// unchanged up to the final image) and the path of the file that declares it.
    pub locations: Vec<Location>,
    /// `id` of the OS package that installed this package's files: a distribution build,
    /// matched only through the distribution's advisories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owned_by: Option<String>,
    /// `installed` (found installed in the filesystem or a binary) or `declared` (a lockfile).
    #[serde(default, skip_serializing_if = "Origin::is_unknown")]
    pub origin: Origin,
    /// Format-specific facts: epoch, release, modularity label, dependency scope…
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
    /// How the package was found when no package database or manifest lists it: `binary`
    /// (the version strings inside an executable or library no package owns,
    /// `docs/binaries.md`). Absent for packages a database or manifest declares.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub found_by: Option<String>,
    /// CPE 2.3 names (`cpe:2.3:a:openssl:openssl:3.0.11:*:*:*:*:*:*:*`): how NVD names the
    /// product, for packages that have no ecosystem (binaries found by classification).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cpes: Vec<String>,
    /// The later layer that removed (or upgraded) this package, for a package of
    /// `removed_packages` (`--layers all`); `locations[].layer` is the layer that added it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed_in_layer: Option<usize>,
}

/// [`Package::found_by`] of packages identified by the version strings of a binary.
pub const FOUND_BY_BINARY: &str = "binary";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct SourcePackage {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default, PartialOrd, Ord)]
pub struct Location {
    /// Layer index; absent for SBOM input and directories scanned as one layer have 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<usize>,
    pub path: String,
}

/// Severity label of a finding. Ordered: `Unknown < Low < Medium < High < Critical`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Severity {
    #[default]
    Unknown,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// The label as the report writes it (`HIGH`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "UNKNOWN",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }

    /// The CVSS v3/v4 qualitative rating of a base score (0.0 is `Unknown`: "none").
    pub fn from_cvss(score: f64) -> Severity {
        match score {
            s if s >= 9.0 => Severity::Critical,
            s if s >= 7.0 => Severity::High,
            s if s >= 4.0 => Severity::Medium,
            s if s > 0.0 => Severity::Low,
            _ => Severity::Unknown,
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    /// Case-insensitive; GHSA's `MODERATE` is `Medium`.
    fn from_str(s: &str) -> Result<Severity, String> {
        match s.trim().to_ascii_uppercase().as_str() {
            "UNKNOWN" => Ok(Severity::Unknown),
            "LOW" => Ok(Severity::Low),
            "MEDIUM" | "MODERATE" => Ok(Severity::Medium),
            "HIGH" => Ok(Severity::High),
            "CRITICAL" => Ok(Severity::Critical),
            _ => Err(format!(
                "unknown severity {s:?} (UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL)"
            )),
        }
    }
}

/// Whether a fix exists for a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum FixStatus {
    /// A fixed version is released (`fixed_versions` lists it).
    Fixed,
    /// Affected, and no fix is released.
    Affected,
    /// The distribution decided not to fix it (where the data says so).
    WillNotFix,
    #[default]
    Unknown,
}

impl FixStatus {
    /// Every status, in the order reports list them.
    pub const ALL: [FixStatus; 4] = [
        FixStatus::Fixed,
        FixStatus::Affected,
        FixStatus::WillNotFix,
        FixStatus::Unknown,
    ];

    /// The report's spelling (`fixed`, `affected`, `will_not_fix`, `unknown`), as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            FixStatus::Fixed => "fixed",
            FixStatus::Affected => "affected",
            FixStatus::WillNotFix => "will_not_fix",
            FixStatus::Unknown => "unknown",
        }
    }
}

/// A CVSS vector and its base score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cvss {
    /// `2.0`, `3.0`, `3.1` or `4.0`.
    pub version: String,
    pub vector: String,
    pub score: f64,
}

/// FIRST EPSS: probability of exploitation in the next 30 days, and its percentile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpssScore {
    pub score: f64,
    pub percentile: f64,
}

/// One known vulnerability of one package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The CVE id when there is one, else the advisory id (`GHSA-…`, `RUSTSEC-…`).
    pub id: String,
    /// Every other id of the same vulnerability (GHSA, DSA/DLA, USN, PYSEC…), sorted.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// `packages[].id` of the affected package.
    pub package_id: String,
    pub package_name: String,
    /// The ecosystem and name the advisory was matched under (`Debian:12` and the source
    /// package, `PyPI` and the normalized name).
    pub matched_ecosystem: String,
    pub matched_name: String,
    /// The version compared (the source package's version when the advisory names the
    /// source package).
    pub installed_version: String,
    #[serde(default)]
    pub fixed_versions: Vec<String>,
    pub status: FixStatus,
    pub severity: Severity,
    /// Where the severity came from: `debian`, `ubuntu`, `ghsa`, `cvss_v3`, `cvss_v4`…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss: Option<Cvss>,
    /// Listed in CISA's Known Exploited Vulnerabilities catalog.
    pub kev: bool,
    pub epss: Option<EpssScore>,
    /// The layer that brought the package in, its `created_by`, and the path where the
    /// package was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer_created_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The advisory records this finding merges (`DEBIAN-CVE-2023-4863`, `DSA-5497-1`).
    pub data_source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Matched upstream although a distribution package owns the files
    /// (`--detection-priority comprehensive`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub upstream_match: bool,
    /// How urgent it is, 0–10, with the factors that made it so (`docs/policy.md`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk: Option<Risk>,
    /// When the vulnerability was disclosed: the earliest OSV `published` among the records
    /// merged (RFC 3339). CVE SLOs count from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// Whether the package came with the base image (`artifact.base_image` says how that
    /// was decided); absent when no base image could be told apart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_base_image: Option<bool>,
    /// For a finding of `removed_vulnerabilities` (`--layers all`): the later layer that
    /// removed the package; `layer` is the layer that added it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed_in_layer: Option<usize>,
}

impl Finding {
    /// Whether `id` names this finding: its id or one of its aliases, in any case
    /// (`ghsa-9wx4-h78v-vm56` names the CVE-2024-35195 finding that merged it).
    pub fn is_named(&self, id: &str) -> bool {
        self.id.eq_ignore_ascii_case(id) || self.aliases.iter().any(|a| a.eq_ignore_ascii_case(id))
    }
}

/// A finding's risk score: the sum of its factors' points, clamped to 0–10.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Risk {
    pub score: f64,
    pub factors: Vec<RiskFactor>,
}

/// One term of a risk score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskFactor {
    /// `cvss`, `severity`, `kev`, `epss`, `attack_vector`, `fix_available`, `exposed_ports`,
    /// `runs_as_root`.
    pub factor: String,
    /// Points added (negative: taken away).
    pub points: f64,
    /// The fact behind it, for people: `CVSS 3.1 base score 9.8`, `EPSS 0.94 (99th percentile)`.
    pub detail: String,
}

/// A finding that was suppressed, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suppressed {
    #[serde(flatten)]
    pub finding: Finding,
    /// `ignore-unfixed`, `ignorefile`, `vex`, `exclude-base-image`.
    pub suppressed_by: SuppressedBy,
    /// The statement or rule: `.plimsollignore:3: CVE-2023-1234 (expires 2027-01-01)`.
    pub reason: String,
}

/// The CI gate's decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Gate {
    /// `pass` or `fail`.
    pub result: GateResult,
    /// Why it failed (or what it checked), one sentence each.
    #[serde(default)]
    pub reasons: Vec<String>,
    /// The policy file that decided, when `--policy` was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// Every policy rule that was violated, `block` and `alert` alike.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub violations: Vec<Violation>,
    /// Policy exceptions that excused something, and those that expired.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<ExceptionUse>,
    /// Deadlines coming up (a CVE SLO's warning window), stale or expired exceptions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// A policy rule and what violated it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Violation {
    /// The rule's `name`, and where it is written (`policy.yaml:12`).
    pub rule: String,
    pub at: String,
    /// `block` or `alert`.
    pub action: Action,
    /// The rule's conditions, for people: `severity >= HIGH and fix available`.
    pub condition: String,
    /// The findings that violated it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<FindingRef>,
    /// The packages that violated it (`packages[].id`), for package and license rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<String>,
    /// The secrets that violated it, for secret rules (`kind: secret`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<SecretRef>,
    /// The misconfigurations that violated it (`kind: misconfiguration`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub misconfigurations: Vec<MisconfigRef>,
    /// The malware findings that violated it, for malware rules (`kind: malware`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub malware: Vec<MalwareRef>,
    /// What the image itself violated, for image-fact rules (`runs as root`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image: Vec<String>,
}

/// A finding named in a violation or an exception.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingRef {
    pub id: String,
    pub package_id: String,
    pub package_name: String,
    pub installed_version: String,
    /// Why this finding violated the rule, when it needs saying (`fix available for 40
    /// days, SLO 30`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A policy exception that applied or expired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExceptionUse {
    /// Where it is written (`policy.yaml:40`).
    pub at: String,
    pub justification: String,
    /// `YYYY-MM-DD`.
    pub expires: String,
    /// True when it has expired and so excused nothing.
    pub expired: bool,
    /// Rules whose violations it excused (or would have, when expired).
    #[serde(default)]
    pub rules: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<FindingRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<SecretRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub misconfigurations: Vec<MisconfigRef>,
    /// True when it excused an image-fact violation.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub image: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(id: &str, layer: Option<usize>) -> Finding {
        let mut f: Finding = serde_json::from_value(serde_json::json!({
            "id": id, "package_id": "p", "package_name": "p", "matched_ecosystem": "Debian:12",
            "matched_name": "p", "installed_version": "1", "status": "fixed",
            "severity": "HIGH", "kev": false, "data_source": "DSA-1",
        }))
        .unwrap();
        f.layer = layer;
        f
    }

    #[test]
    fn base_image_findings_are_marked_and_excluded_with_a_reason() {
        let mut r: Report = serde_json::from_value(serde_json::json!({
            "schema_version": SCHEMA_VERSION,
            "artifact": {"name": "app", "kind": "container_image", "source": "oci-layout", "layers": []},
        }))
        .unwrap();
        r.vulnerabilities = vec![
            finding("CVE-1", Some(0)),
            finding("CVE-2", Some(1)),
            finding("CVE-3", Some(2)),
            finding("CVE-4", None),
        ];
        r.suppressed.push(Suppressed {
            finding: finding("CVE-5", Some(0)),
            suppressed_by: SuppressedBy::Vex,
            reason: "x".into(),
        });
        // No base image: nothing marked, nothing excluded.
        r.mark_base_image();
        assert!(r.vulnerabilities.iter().all(|f| f.in_base_image.is_none()));
        assert_eq!(r.exclude_base_image(), 0);

        r.artifact.base_image = Some(BaseImage {
            method: "label".into(),
            name: Some("docker.io/library/debian:12".into()),
            digest: None,
            layers: 2,
            detail: "…".into(),
        });
        r.mark_base_image();
        let marks: Vec<Option<bool>> = r.vulnerabilities.iter().map(|f| f.in_base_image).collect();
        assert_eq!(marks, [Some(true), Some(true), Some(false), None]);
        assert_eq!(r.suppressed[0].finding.in_base_image, Some(true));

        assert_eq!(r.exclude_base_image(), 2);
        let left: Vec<&str> = r.vulnerabilities.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(left, ["CVE-3", "CVE-4"]);
        let s = &r.suppressed[1];
        assert_eq!(
            (s.finding.id.as_str(), s.suppressed_by),
            ("CVE-1", SuppressedBy::ExcludeBaseImage)
        );
        assert_eq!(
            s.reason,
            "layer 0 is from base image docker.io/library/debian:12 (layers 0–1, decided by label)"
        );
        assert_eq!(r.suppressed.len(), 3);

        // Secrets the base image shipped are excluded too; the image's own stay.
        let secret = |layer: usize, base: Option<bool>| SecretFinding {
            rule_id: "github-pat".into(),
            category: "GitHub".into(),
            title: "GitHub personal access token (classic)".into(),
            severity: Severity::Critical,
            source: SecretSource::File,
            path: Some(format!("etc/l{layer}")),
            line: Some(1),
            layer: Some(layer),
            layer_created_by: None,
            deleted_in_layer: None,
            redacted: "ghp_****".into(),
            fingerprint: format!("etc/l{layer}:github-pat:1"),
            in_base_image: base,
        };
        r.secrets = vec![secret(0, Some(true)), secret(2, Some(false))];
        assert_eq!(r.exclude_base_image(), 1);
        assert_eq!(r.secrets.len(), 1);
        assert_eq!(r.secrets[0].layer, Some(2));
        let s = &r.suppressed_secrets[0];
        assert_eq!(s.suppressed_by, SuppressedBy::ExcludeBaseImage);
        assert!(s.reason.starts_with("layer 0 is from "), "{}", s.reason);
    }
}
