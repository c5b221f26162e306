//! The hardening analyzer (`--scanners misconfig`): checks of an image's configuration,
//! history and final filesystem that say how exposed a container of it would be, each a
//! [`Misconfiguration`] with a stable id (`PLIM-IMG-…`, [`CHECKS`]; `docs/hardening.md`).
//!
//! Everything comes from the one walk: file modes, owners and kinds from the merged tree
//! (`WalkView::tree`), the OS package that owns a file from the package databases' file
//! lists, key and credential files from a streaming inspector that looks at names only
//! (one small exception: `.docker/config.json` is parsed to see whether it holds `auths`),
//! the config and history from the image. No layer is read a second time, and no check
//! reads a key or credential file's contents into the report.
//!
//! - [`config`]: runs as root, risky history (`EXPOSE 22`, `ADD` of a URL, `curl | sh`),
//!   image hygiene (HEALTHCHECK, age, base image by tag).
//! - [`files`]: setuid and setgid files no OS package ships, world-writable files and
//!   directories, a shell or package manager in a distroless image.
//! - [`keys`]: SSH host keys, `authorized_keys`, `.git` directories, `.env` files and cloud
//!   CLI credential files, in every layer (a file a later layer deleted is still in the
//!   earlier layer's blob, and the finding says so).

pub mod config;
pub mod files;
pub mod keys;

use crate::analyzer::{Analyzer, Input};
use plimsoll_image::{Inspector, Interest};
use plimsoll_model::{Misconfiguration, Report, Severity};
use std::collections::BTreeMap;
use std::sync::Arc;

/// One hardening check: its stable id (never reused), title, severity and remediation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Check {
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    /// The remediation line (`resolution` of each finding).
    pub remediation: &'static str,
}

macro_rules! checks {
    ($($name:ident = $id:literal, $sev:ident, $title:literal, $fix:literal;)*) => {
        $(pub const $name: &str = $id;)*
        /// Every check, in id order. Ids are never reused: a retired check keeps its number.
        pub const CHECKS: &[Check] = &[
            $(Check { id: $id, title: $title, severity: Severity::$sev, remediation: $fix },)*
        ];
    };
}

checks! {
    RUNS_AS_ROOT = "PLIM-IMG-001", High, "Image runs as root",
        "Create an unprivileged user and end the Dockerfile with `USER <uid>` (a numeric UID, not 0)";
    SETUID = "PLIM-IMG-002", High, "setuid file no OS package ships",
        "Remove the file or its setuid bit (`chmod u-s`), or install it from a package";
    SETGID = "PLIM-IMG-003", Medium, "setgid file no OS package ships",
        "Remove the file or its setgid bit (`chmod g-s`), or install it from a package";
    WORLD_WRITABLE_FILE = "PLIM-IMG-004", Medium, "World-writable file",
        "Remove write permission for others (`chmod o-w`)";
    WORLD_WRITABLE_DIR = "PLIM-IMG-005", Medium, "World-writable directory without the sticky bit",
        "Remove write permission for others (`chmod o-w`), or set the sticky bit (`chmod +t`) on a shared scratch directory";
    DISTROLESS_SHELL = "PLIM-IMG-006", Medium, "Shell or package manager in a distroless image",
        "Remove the shell or package manager from the final stage (copy only the application into the distroless base), or use the base's `:debug` variant only for debugging";
    SSH_HOST_KEY = "PLIM-IMG-007", High, "SSH host private key in the image",
        "Do not bake host keys into images: generate them when the container starts, or mount them as secrets; delete them in the same RUN that made them";
    AUTHORIZED_KEYS = "PLIM-IMG-008", Medium, "SSH authorized_keys in the image",
        "Do not ship login keys in images; mount them at run time if SSH access is really needed";
    GIT_DIRECTORY = "PLIM-IMG-009", Medium, "Git repository (.git directory) in the image",
        "Add `.git` to `.dockerignore`, or copy only the build output into the final stage";
    ENV_FILE = "PLIM-IMG-010", Medium, ".env file in the image",
        "Add `.env*` to `.dockerignore` and pass settings at run time (environment, secrets)";
    CLOUD_CREDENTIALS = "PLIM-IMG-011", High, "Cloud or registry CLI credential file in the image",
        "Use build secrets (`RUN --mount=type=secret`) instead of copying credentials; rotate the credentials this image holds";
    EXPOSE_SSH = "PLIM-IMG-012", Medium, "Port 22 (SSH) exposed",
        "Do not run SSH in containers: use `docker exec`/`kubectl exec`; remove `EXPOSE 22`";
    ADD_REMOTE_URL = "PLIM-IMG-013", Medium, "ADD of a remote URL without a checksum",
        "Download with a pinned checksum (`ADD --checksum=sha256:…`), or `RUN curl` and verify the digest before use";
    PIPE_TO_SHELL = "PLIM-IMG-014", Medium, "Downloaded script piped into a shell",
        "Download the script, verify its checksum or signature, then run it; or install from a package";
    NO_HEALTHCHECK = "PLIM-IMG-015", Low, "No HEALTHCHECK",
        "Add a `HEALTHCHECK` instruction (or define the probe in the orchestrator and say so in a policy exception)";
    IMAGE_TOO_OLD = "PLIM-IMG-016", Low, "Image older than the allowed age",
        "Rebuild the image regularly on a refreshed base image (`--max-image-age DAYS` sets the limit)";
    BASE_BY_TAG = "PLIM-IMG-017", Low, "Base image named by tag, without a digest",
        "Pin the base image by digest (`FROM image:tag@sha256:…`) and update it deliberately";
}

/// The check of `id` (any case).
pub fn check(id: &str) -> Option<&'static Check> {
    CHECKS.iter().find(|c| c.id.eq_ignore_ascii_case(id))
}

/// Findings kept per check; past that, one warning counts the rest (an image made
/// world-writable with `chmod -R 777` is one problem, not a million findings).
pub const MAX_PER_CHECK: usize = 100;

/// Default of `--max-image-age`, in days.
pub const DEFAULT_MAX_IMAGE_AGE_DAYS: u64 = 365;

/// The hardening checks' settings.
#[derive(Debug, Clone)]
pub struct HardeningSettings {
    /// `--max-image-age DAYS`: an image created longer ago is reported; 0 turns it off.
    pub max_image_age_days: u64,
    /// Today as days since 1970-01-01 (UTC); `None`: the system clock.
    pub today: Option<i64>,
}

impl Default for HardeningSettings {
    fn default() -> Self {
        HardeningSettings {
            max_image_age_days: DEFAULT_MAX_IMAGE_AGE_DAYS,
            today: None,
        }
    }
}

/// The hardening analyzer; see the module docs.
#[derive(Debug, Default)]
pub struct Hardening {
    settings: HardeningSettings,
}

impl Hardening {
    pub fn new(settings: HardeningSettings) -> Hardening {
        Hardening { settings }
    }
}

impl Analyzer for Hardening {
    fn name(&self) -> &'static str {
        "hardening"
    }

    fn interests(&self) -> Vec<Interest> {
        files::interests()
    }

    fn inspectors(&self) -> Vec<Arc<dyn Inspector>> {
        vec![Arc::new(keys::KeyFiles)]
    }

    fn analyze(&self, input: &Input<'_>, report: &mut Report) {
        let mut out = Findings::new(report);
        if let Some(img) = input.image {
            config::check_image(img, &self.settings, &mut out);
        }
        files::check(input, &InputOwners(input), &mut out);
        keys::check(input, &mut out);
        out.finish(report);
    }
}

/// The OS packages' file lists, as the packages analyzer read them.
struct InputOwners<'a, 'b>(&'a Input<'b>);

impl files::Owners for InputOwners<'_, '_> {
    fn owner(&self, path: &str) -> Option<String> {
        self.0.owner(path).map(str::to_string)
    }
    fn file_lists(&self) -> bool {
        self.0.package_file_lists()
    }
}

/// Where the analyzer's findings collect: each tagged with its check's title, severity and
/// remediation, the layer's `created_by`, and bounded per check.
pub struct Findings {
    found: Vec<Misconfiguration>,
    per_check: BTreeMap<&'static str, usize>,
    /// The report's layers' `created_by`, redacted already.
    created_by: BTreeMap<usize, String>,
    pub(crate) warnings: Vec<String>,
}

impl Findings {
    fn new(report: &Report) -> Findings {
        Findings {
            found: Vec::new(),
            per_check: BTreeMap::new(),
            created_by: report
                .artifact
                .layers
                .iter()
                .filter_map(|l| l.created_by.clone().map(|c| (l.index, c)))
                .collect(),
            warnings: Vec::new(),
        }
    }

    /// Records a finding of `id` about `path` (`config` for the image config), made by
    /// `layer` (its `created_by` from the report) or by the history entry `history` (its
    /// 1-based number and redacted text, for entries that made no layer).
    pub fn push(&mut self, id: &'static str, message: String, at: At) {
        let c = check(id).expect("a check of the table");
        let n = self.per_check.entry(c.id).or_default();
        *n += 1;
        if *n > MAX_PER_CHECK {
            return;
        }
        let layer_created_by = at
            .created_by
            .or_else(|| at.layer.and_then(|l| self.created_by.get(&l).cloned()));
        self.found.push(Misconfiguration {
            id: c.id.to_string(),
            title: c.title.to_string(),
            severity: c.severity,
            message,
            path: at.path,
            line: at.line,
            layer: at.layer,
            layer_created_by,
            resolution: Some(c.remediation.to_string()),
        });
    }

    /// How many findings of `id` were recorded so far (kept or not).
    pub fn count(&self, id: &str) -> usize {
        self.per_check.get(id).copied().unwrap_or(0)
    }

    fn finish(mut self, report: &mut Report) {
        for (id, n) in &self.per_check {
            if *n > MAX_PER_CHECK {
                self.warnings.push(format!(
                    "{id}: {n} findings, the first {MAX_PER_CHECK} listed (the rest are the same problem)"
                ));
            }
        }
        self.found.sort_by(|a, b| {
            (b.severity, &a.id, &a.path, a.line).cmp(&(a.severity, &b.id, &b.path, b.line))
        });
        report.misconfigurations.extend(self.found);
        report.warnings.extend(self.warnings);
    }
}

/// Where a finding is.
#[derive(Debug, Clone, Default)]
pub struct At {
    /// A root-relative path, or `config` for the image config and history.
    pub path: Option<String>,
    /// For history findings: the 1-based number of the history entry.
    pub line: Option<u64>,
    pub layer: Option<usize>,
    /// The history entry's `created_by`, redacted, when it made no layer (else the layer's
    /// is taken from the report).
    pub created_by: Option<String>,
}

impl At {
    pub fn file(path: &str, layer: usize) -> At {
        At {
            path: Some(path.to_string()),
            layer: Some(layer),
            ..At::default()
        }
    }

    pub fn config() -> At {
        At {
            path: Some("config".into()),
            ..At::default()
        }
    }
}
