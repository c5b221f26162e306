//! What a scan does, resolved once (by the binary, from flags, environment and files)
//! before anything is read.

use plimsoll_image::{Limits, OpenOptions};
use plimsoll_model::Severity;
use std::path::PathBuf;
use std::time::Duration;

/// One kind of finding a scan looks for; the names are Trivy's (`--scanners`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scanner {
    /// Known vulnerabilities of the packages found (needs the vulnerability database).
    Vuln,
    /// Secrets in files, the image config and the history.
    Secret,
    /// Risky configuration (a later analyzer).
    Misconfig,
    /// Known-malicious files and packages (a later analyzer).
    Malware,
}

impl Scanner {
    pub const ALL: [Scanner; 4] = [
        Scanner::Vuln,
        Scanner::Secret,
        Scanner::Misconfig,
        Scanner::Malware,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scanner::Vuln => "vuln",
            Scanner::Secret => "secret",
            Scanner::Misconfig => "misconfig",
            Scanner::Malware => "malware",
        }
    }

    /// Whether this build has the analyzer.
    pub fn available(self) -> bool {
        matches!(self, Scanner::Vuln | Scanner::Secret)
    }
}

impl std::str::FromStr for Scanner {
    type Err = String;
    fn from_str(s: &str) -> Result<Scanner, String> {
        Scanner::ALL
            .into_iter()
            .find(|k| k.name() == s.trim())
            .ok_or_else(|| {
                format!("unknown scanner {s:?}: vuln, secret, misconfig, malware, or none")
            })
    }
}

/// The scanners a scan runs (`--scanners vuln,secret`; empty: `none`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scanners(Vec<Scanner>);

impl Scanners {
    /// Parses `--scanners` values: names, or `none` alone. A scanner this build lacks is
    /// refused rather than silently skipped (a gate would pass on what nobody looked at).
    pub fn parse<S: AsRef<str>>(list: &[S]) -> Result<Scanners, String> {
        let mut v = Vec::new();
        for s in list {
            let s = s.as_ref().trim();
            if s == "none" {
                if list.len() > 1 {
                    return Err("--scanners none cannot be combined with other scanners".into());
                }
                return Ok(Scanners(Vec::new()));
            }
            let k: Scanner = s.parse()?;
            if !k.available() {
                return Err(format!(
                    "the {} scanner is not in this version of plimsoll yet",
                    k.name()
                ));
            }
            if !v.contains(&k) {
                v.push(k);
            }
        }
        v.sort();
        Ok(Scanners(v))
    }

    pub fn of(list: &[Scanner]) -> Scanners {
        let mut v = list.to_vec();
        v.sort();
        v.dedup();
        Scanners(v)
    }

    pub fn has(&self, k: Scanner) -> bool {
        self.0.contains(&k)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = Scanner> + '_ {
        self.0.iter().copied()
    }
}

/// Which layers' contents a scan reports (`--layers`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layers {
    /// The final filesystem: what a container started from the image sees.
    #[default]
    Final,
    /// Also what earlier layers installed and later ones removed: still readable from the
    /// earlier layers' blobs by anyone who can pull the image. Informational: kept apart
    /// from the gate unless a policy rule says `removed: true`.
    All,
}

impl std::str::FromStr for Layers {
    type Err = String;
    fn from_str(s: &str) -> Result<Layers, String> {
        match s.trim() {
            "final" => Ok(Layers::Final),
            "all" => Ok(Layers::All),
            _ => Err(format!("unknown --layers {s:?}: final or all")),
        }
    }
}

/// Where the vulnerability database comes from and how fresh it must be.
#[derive(Debug, Clone)]
pub struct DbSettings {
    /// `--db`: the user's database (or OSV data imported on the fly), used as it is.
    pub given: Option<PathBuf>,
    /// Never download: use the managed database as it is.
    pub offline: bool,
    /// Warn when the database is older than this.
    pub max_age: Duration,
    pub osv_url: String,
    pub kev_url: String,
    pub epss_url: String,
    /// Let a gate pass although the database lacks an ecosystem the packages need.
    pub allow_missing_data: bool,
}

/// The gate: `--exit-code` with `--severity`, or a policy.
#[derive(Debug, Clone, Default)]
pub struct GateSettings {
    /// A gate was asked for (`--exit-code`); a policy is a gate by itself.
    pub enabled: bool,
    /// Severities that count (empty: all).
    pub severities: Vec<Severity>,
}

/// The secrets scanner's rules and limits.
#[derive(Clone)]
pub struct SecretSettings {
    /// The rules of `--secret-config` (which extends the built-in ones); `None`: the
    /// built-in rules, compiled only when the secret scanner runs.
    pub rules: Option<std::sync::Arc<plimsoll_secret::Scanner>>,
    /// Only the first this many bytes of a file are read for secrets.
    pub max_file_size: u64,
}

impl Default for SecretSettings {
    fn default() -> Self {
        SecretSettings {
            rules: None,
            max_file_size: 10 << 20,
        }
    }
}

/// Everything a scan needs to know, settled before anything is read.
pub struct ScanSettings {
    pub scanners: Scanners,
    /// How to open images: platform, registry, blob cache, archive limits.
    pub open: OpenOptions,
    /// Reuse and store each layer's walk in the cache directory.
    pub layer_cache: bool,
    /// The cache directory (blobs, layers, databases).
    pub cache_dir: PathBuf,
    pub limits: Limits,
    /// `--base-image REF`.
    pub base_image: Option<String>,
    pub db: DbSettings,
    /// `--detection-priority comprehensive`.
    pub comprehensive: bool,
    /// `--ignore-unfixed`, `--vex` and ignore files, loaded.
    pub suppressions: plimsoll_policy::Suppressions,
    pub exclude_base_image: bool,
    pub policy: Option<plimsoll_policy::policy::Policy>,
    pub gate: GateSettings,
    pub secrets: SecretSettings,
    /// `--layers`: the final filesystem, or every layer.
    pub layers: Layers,
}
