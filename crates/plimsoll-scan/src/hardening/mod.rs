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

#[cfg(test)]
mod tests {
    //! Each check on a small image built here, through the engine's walk: the findings'
    //! ids, paths and layers.
    use super::*;
    use plimsoll_image::{ImageSource, OpenOptions};
    use plimsoll_testkit::{ImageBuilder, LayerBuilder};

    /// A finding as the tests compare it: id, path, layer.
    type Found = (String, String, Option<usize>);

    /// The hardening findings of `img`, and the report's warnings.
    pub(super) fn run(img: ImageBuilder) -> (Vec<Found>, Vec<String>) {
        let dir = tempfile::tempdir().unwrap();
        img.write_oci_layout(dir.path(), Some("t"));
        let input = format!("oci:{}:t", dir.path().display());
        let opts = OpenOptions {
            no_cache: true,
            ..OpenOptions::default()
        };
        let image =
            plimsoll_image::open(&input, ImageSource::parse(&input).unwrap(), &opts).unwrap();
        let h = Hardening::new(HardeningSettings {
            max_image_age_days: 365,
            today: Some(plimsoll_model::time::days_from_civil(2026, 12, 8)),
        });
        let walk = plimsoll_image::WalkOptions {
            interests: h.interests(),
            inspectors: h.inspectors(),
            ..Default::default()
        };
        let walked = plimsoll_image::scan_image(&image, &walk).unwrap();
        let mut report = Report::new(plimsoll_image::artifact(&image, &walked));
        let owners = std::sync::OnceLock::new();
        let input = Input {
            walk: walked.view(),
            image: Some(&image),
            owners: &owners,
        };
        h.analyze(&input, &mut report);
        let found = report
            .misconfigurations
            .iter()
            .map(|m| (m.id.clone(), m.path.clone().unwrap_or_default(), m.layer))
            .collect();
        (found, report.warnings)
    }

    fn ids(img: ImageBuilder) -> Vec<String> {
        let mut v: Vec<String> = run(img).0.into_iter().map(|(id, _, _)| id).collect();
        v.dedup();
        v
    }

    /// An image that passes every config check: a numeric user, a HEALTHCHECK, recent.
    fn clean() -> ImageBuilder {
        ImageBuilder::new()
            .created("2026-11-01T00:00:00Z")
            .user("10001")
            .config_field(
                "Healthcheck",
                serde_json::json!({"Test": ["CMD", "/bin/true"]}),
            )
    }

    fn with(f: impl FnOnce(LayerBuilder) -> LayerBuilder) -> ImageBuilder {
        clean().layer("COPY . / # buildkit", f)
    }

    #[test]
    fn users_that_are_root_and_users_that_are_not() {
        for root in ["", "root", "0", "0:0", "root:root", "00"] {
            let img = clean().user(root).layer("x", |l| l.file("a", "b"));
            assert_eq!(ids(img), [RUNS_AS_ROOT], "{root:?}");
        }
        for user in ["10001", "1000:1000", "app", "nobody:nogroup", "65532"] {
            let img = clean().user(user).layer("x", |l| l.file("a", "b"));
            assert!(ids(img).is_empty(), "{user:?}");
        }
        // USER set by a history entry: the finding points at it.
        let img = clean()
            .user("root")
            .layer("x", |l| l.file("a", "b"))
            .empty_step("USER root");
        let (found, _) = run(img);
        assert_eq!(found, [(RUNS_AS_ROOT.into(), "config".into(), None)]);
    }

    #[test]
    fn setuid_and_setgid_files_without_a_package_database() {
        let (found, warnings) = run(with(|l| {
            l.file_mode("usr/local/bin/su2", "x", 0o4755)
                .file_mode("usr/local/bin/g", "x", 0o2711)
                .file_mode("usr/local/bin/plain", "x", 0o755)
                .dir_mode("var/mail", 0o2775)
        }));
        assert_eq!(
            found,
            [
                (SETUID.into(), "usr/local/bin/su2".into(), Some(0)),
                (SETGID.into(), "usr/local/bin/g".into(), Some(0)),
            ]
        );
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn setuid_files_of_an_unreadable_package_database_are_not_judged() {
        // A dpkg database without file lists: nothing can be told apart, a warning says so
        // (here no owners were read at all: the packages analyzer did not run).
        let (found, warnings) = run(with(|l| {
            l.file("var/lib/dpkg/status", "Package: x\n\n")
                .file_mode("usr/bin/passwd", "x", 0o4755)
        }));
        assert!(found.is_empty(), "{found:?}");
        assert!(
            warnings[0].contains("1 setuid or setgid files not judged"),
            "{warnings:?}"
        );
    }

    #[test]
    fn world_writable_files_and_directories() {
        let (found, _) = run(with(|l| {
            l.file_mode("srv/a.log", "", 0o666)
                .file_mode("srv/b", "", 0o644)
                .dir_mode("srv/up", 0o777)
                .dir_mode("srv/drop", 0o773)
                .dir_mode("tmp", 0o1777)
                .dir_mode("srv/ok", 0o755)
                .symlink("srv/link", "a.log")
        }));
        assert_eq!(
            found,
            [
                (WORLD_WRITABLE_FILE.into(), "srv/a.log".into(), Some(0)),
                (WORLD_WRITABLE_DIR.into(), "srv/drop".into(), Some(0)),
                (WORLD_WRITABLE_DIR.into(), "srv/up".into(), Some(0)),
            ]
        );
    }

    #[test]
    fn findings_per_check_are_bounded() {
        let (found, warnings) = run(with(|mut l| {
            for i in 0..(MAX_PER_CHECK + 5) {
                l = l.file_mode(&format!("srv/f{i:04}"), "", 0o666);
            }
            l
        }));
        assert_eq!(found.len(), MAX_PER_CHECK);
        assert_eq!(
            warnings,
            [format!(
                "{WORLD_WRITABLE_FILE}: {} findings, the first {MAX_PER_CHECK} listed (the rest are the same problem)",
                MAX_PER_CHECK + 5
            )]
        );
    }

    #[test]
    fn distroless_declared_by_label_or_os_release() {
        let shell = |l: LayerBuilder| l.file_mode("bin/sh", "\x7fELF", 0o755);
        // Declared by the base-image annotation.
        let img = with(shell).annotation(
            "org.opencontainers.image.base.name",
            "gcr.io/distroless/static-debian12@sha256:0000",
        );
        assert_eq!(ids(img), [DISTROLESS_SHELL]);
        // Not declared: a shell is normal.
        assert!(ids(with(shell)).is_empty());
        // os-release through the etc -> usr/lib symlink.
        let img = with(|l| {
            shell(l)
                .file("usr/lib/os-release", "PRETTY_NAME=\"Distroless\"\n")
                .symlink("etc/os-release", "../usr/lib/os-release")
                .file_mode("usr/bin/apt-get", "\x7fELF", 0o755)
        });
        let (found, _) = run(img);
        assert_eq!(
            found,
            [
                (DISTROLESS_SHELL.into(), "bin/sh".into(), Some(0)),
                (DISTROLESS_SHELL.into(), "usr/bin/apt-get".into(), Some(0)),
            ]
        );
        // Debian's os-release is not distroless.
        let img =
            with(|l| shell(l).file("etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12\"\n"));
        assert!(ids(img).is_empty());
    }

    #[test]
    fn keys_and_credentials_in_every_layer() {
        let img = clean()
            .layer("COPY keys / # buildkit", |l| {
                l.file("etc/ssh/ssh_host_rsa_key", "k")
                    .file("home/u/.kube/config", "k")
                    .file("root/.docker/config.json", r#"{"credsStore":"pass"}"#)
            })
            .layer("RUN rm # buildkit", |l| l.whiteout("home/u/.kube/config"));
        let (found, _) = run(img);
        assert_eq!(
            found,
            [
                (
                    SSH_HOST_KEY.into(),
                    "etc/ssh/ssh_host_rsa_key".into(),
                    Some(0)
                ),
                (
                    CLOUD_CREDENTIALS.into(),
                    "home/u/.kube/config".into(),
                    Some(0)
                ),
            ]
        );
    }

    #[test]
    fn history_checks() {
        let img = clean()
            .layer("/bin/sh -c curl -sSL https://x.example/i | bash", |l| l.file("a", "b"))
            .empty_step("/bin/sh -c #(nop)  EXPOSE 22/tcp 80/tcp")
            .layer("ADD https://x.example/t.tgz /opt # buildkit", |l| l.file("opt/t.tgz", "b"))
            .layer(
                "ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://x.example/u /u # buildkit",
                |l| l.file("u", "b"),
            )
            .expose("22/tcp");
        let (found, _) = run(img);
        assert_eq!(
            found,
            [
                (EXPOSE_SSH.into(), "config".into(), None),
                (ADD_REMOTE_URL.into(), "config".into(), Some(1)),
                (PIPE_TO_SHELL.into(), "config".into(), Some(0)),
            ]
        );
        // The config alone exposing 22 is one finding of the config.
        let img = clean().layer("x", |l| l.file("a", "b")).expose("22/tcp");
        assert_eq!(run(img).0, [(EXPOSE_SSH.into(), "config".into(), None)]);
    }

    #[test]
    fn hygiene_healthcheck_age_and_base_by_tag() {
        let base = |img: ImageBuilder| img.layer("x", |l| l.file("a", "b"));
        let no_check = ImageBuilder::new()
            .created("2026-11-01T00:00:00Z")
            .user("1");
        assert_eq!(ids(base(no_check.clone())), [NO_HEALTHCHECK]);
        let disabled = no_check.config_field("Healthcheck", serde_json::json!({"Test": ["NONE"]}));
        assert_eq!(ids(base(disabled)), [NO_HEALTHCHECK]);
        // 2025-12-07 is 366 days before the tests' today (2026-12-08), 2025-12-08 365.
        assert_eq!(
            ids(base(clean().created("2025-12-07T23:59:59Z"))),
            [IMAGE_TOO_OLD]
        );
        assert!(ids(base(clean().created("2025-12-08T00:00:00Z"))).is_empty());
        // Placeholders of reproducible builds and unknown times are not ages.
        for t in ["1970-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "yesterday"] {
            assert!(ids(base(clean().created(t))).is_empty(), "{t}");
        }
        let tagged = clean()
            .annotation(
                "org.opencontainers.image.base.name",
                "docker.io/library/debian:12",
            )
            .annotation("org.opencontainers.image.base.digest", "sha256:1234");
        assert_eq!(ids(base(tagged)), [BASE_BY_TAG]);
        let pinned = clean().annotation(
            "org.opencontainers.image.base.name",
            "docker.io/library/debian:12@sha256:1234",
        );
        assert!(ids(base(pinned)).is_empty());
        let by_label = clean().label("org.opencontainers.image.base.name", "alpine:3.20");
        assert_eq!(ids(base(by_label)), [BASE_BY_TAG]);
    }

    #[test]
    fn every_check_has_an_id_a_title_and_a_remediation_once() {
        let mut seen = std::collections::BTreeSet::new();
        for (i, c) in CHECKS.iter().enumerate() {
            assert_eq!(c.id, format!("PLIM-IMG-{:03}", i + 1));
            assert!(seen.insert(c.id));
            assert!(!c.title.is_empty() && !c.remediation.is_empty());
        }
        let docs = include_str!("../../../../docs/hardening.md");
        for c in CHECKS {
            assert!(
                docs.contains(&format!("### {}", c.id)),
                "{} is not in docs/hardening.md",
                c.id
            );
            assert!(
                docs.contains(&format!(
                    "| [{}](#{}) | {} |",
                    c.id,
                    c.id.to_ascii_lowercase(),
                    c.severity
                )),
                "docs/hardening.md's table gives {} another severity",
                c.id
            );
        }
    }
}
