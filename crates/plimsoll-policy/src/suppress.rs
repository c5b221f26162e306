//! Applying suppression to a report: VEX first (the supplier's word on exploitability),
//! then ignore files (the user's accepted risks), then `--ignore-unfixed`. Each suppressed
//! finding moves to `Report::suppressed` once, with the first reason that applied.
//!
//! Ignore-file hygiene (FIELD.md §9, trivy#2312): an entry past its expiry date no longer
//! applies and the report says so; an entry that matched no finding is reported as stale.

use crate::ignore::{self, IgnoreFile, Subject};
use crate::purl::Purl;
use crate::vex::{self, Product, ProductId, VexDocument, VexStatement};
use crate::{FileError, suppress_unfixed};
use jiff::civil::Date;
use plimsoll_model::{
    Artifact, ArtifactKind, Finding, Report, Suppressed, SuppressedBy, SuppressedSecret,
};
use std::collections::HashMap;
use std::path::PathBuf;

/// Default ignore files, looked for in the working directory when no `--ignorefile` is
/// given: ours, and Trivy's two so that a Trivy user's files keep working.
pub const DEFAULT_IGNORE_FILES: [&str; 3] =
    [".plimsollignore", ".trivyignore", ".trivyignore.yaml"];

/// Where suppression rules come from.
#[derive(Debug, Default, Clone)]
pub struct SuppressOptions {
    /// `--ignorefile`: each must exist. When empty, the defaults in `default_dir` are read.
    pub ignorefiles: Vec<PathBuf>,
    /// `--vex`: OpenVEX or CycloneDX VEX documents.
    pub vex: Vec<PathBuf>,
    /// The directory holding the default ignore files (the working directory), or `None`
    /// to read no default.
    pub default_dir: Option<PathBuf>,
    /// `--ignore-unfixed`.
    pub ignore_unfixed: bool,
}

/// Parsed suppression rules, ready to apply to reports.
#[derive(Debug, Default, Clone)]
pub struct Suppressions {
    pub vex: Vec<VexDocument>,
    pub ignore: Vec<IgnoreFile>,
    pub ignore_unfixed: bool,
}

/// Today's date in UTC, the clock ignore-file expiry is read against.
pub fn today_utc() -> Date {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
}

fn utf8(bytes: Vec<u8>, name: &str) -> Result<String, FileError> {
    String::from_utf8(bytes).map_err(|e| FileError {
        file: name.to_string(),
        at: None,
        message: format!(
            "not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ),
    })
}

impl Suppressions {
    /// Reads and parses every file the options name (and the default ignore files that
    /// exist). A named file that is missing or invalid is an error naming it, with the line
    /// and column of the problem.
    pub fn load(opts: &SuppressOptions) -> Result<Suppressions, FileError> {
        let mut out = Suppressions {
            ignore_unfixed: opts.ignore_unfixed,
            ..Suppressions::default()
        };
        for path in &opts.vex {
            let name = path.display().to_string();
            let bytes = crate::read_bounded(path, &name, "a VEX document", crate::MAX_VEX_SIZE)?;
            out.vex.push(vex::parse(&name, &bytes)?);
        }
        let mut ignorefiles: Vec<(PathBuf, String)> = opts
            .ignorefiles
            .iter()
            .map(|p| (p.clone(), p.display().to_string()))
            .collect();
        if ignorefiles.is_empty()
            && let Some(dir) = &opts.default_dir
        {
            for name in DEFAULT_IGNORE_FILES {
                let path = dir.join(name);
                if path.is_file() {
                    ignorefiles.push((path, name.to_string()));
                }
            }
        }
        for (path, name) in ignorefiles {
            let bytes =
                crate::read_bounded(&path, &name, "an ignore file", crate::MAX_IGNORE_SIZE)?;
            let text = utf8(bytes, &name)?;
            out.ignore.push(ignore::parse(&name, &text)?);
        }
        Ok(out)
    }

    /// Moves suppressed findings from `report.vulnerabilities` to `report.suppressed` (VEX,
    /// then ignore files, then `--ignore-unfixed`), and secrets an ignore file names from
    /// `report.secrets` to `report.suppressed_secrets`, each with the reason; and adds warnings for expired and stale
    /// ignore entries and for VEX statements that can never apply. `today` decides expiry.
    pub fn apply(&self, report: &mut Report, today: Date) {
        let purls: HashMap<&str, (Option<Purl>, &str)> = report
            .packages
            .iter()
            .map(|p| {
                (
                    p.id.as_str(),
                    (Purl::parse(&p.purl).ok(), p.version.as_str()),
                )
            })
            .collect();
        let subject = |f: &'_ Finding| -> (Option<Purl>, String) {
            match purls.get(f.package_id.as_str()) {
                Some((p, v)) => (p.clone(), v.to_string()),
                None => (None, f.installed_version.clone()),
            }
        };
        let ctx = Context {
            image: ImageIds::of(&report.artifact),
            is_image: report.artifact.kind == ArtifactKind::ContainerImage,
            purls: purls.values().filter_map(|(p, _)| p.clone()).collect(),
        };
        let mut warnings = Vec::new();
        for d in &self.vex {
            warnings.extend(d.warnings.iter().cloned());
        }
        // Each ignore rule, whether it has matched a finding yet.
        let mut used: Vec<Vec<bool>> = self
            .ignore
            .iter()
            .map(|f| vec![false; f.rules.len()])
            .collect();
        let mut kept = Vec::new();
        let mut suppressed = Vec::new();
        for f in std::mem::take(&mut report.vulnerabilities) {
            let (purl, version) = subject(&f);
            let s = Subject {
                finding: &f,
                purl: purl.as_ref(),
                version: &version,
            };
            let vex = self.vex_reason(&s, &ctx);
            let ignored = self.ignore_reason(today, &mut used, |r| r.matches(&s));
            match vex.or(ignored) {
                Some((by, reason)) => suppressed.push(Suppressed {
                    finding: f,
                    suppressed_by: by,
                    reason,
                }),
                None => kept.push(f),
            }
        }
        // Findings suppressed before (by another pass) still count as matched: an entry
        // that repeats a VEX statement is redundant, not stale.
        for prior in &report.suppressed {
            let (purl, version) = subject(&prior.finding);
            let s = Subject {
                finding: &prior.finding,
                purl: purl.as_ref(),
                version: &version,
            };
            self.ignore_reason(today, &mut used, |r| r.matches(&s));
        }
        // Secrets: only ignore files apply (a VEX statement is about a vulnerability).
        for prior in &report.suppressed_secrets {
            self.ignore_reason(today, &mut used, |r| r.matches_secret(&prior.secret));
        }
        let mut kept_secrets = Vec::new();
        for secret in std::mem::take(&mut report.secrets) {
            match self.ignore_reason(today, &mut used, |r| r.matches_secret(&secret)) {
                Some((by, reason)) => report.suppressed_secrets.push(SuppressedSecret {
                    secret,
                    suppressed_by: by,
                    reason,
                }),
                None => kept_secrets.push(secret),
            }
        }
        report.secrets = kept_secrets;
        for (file, used) in self.ignore.iter().zip(&used) {
            for (rule, used) in file.rules.iter().zip(used) {
                if let Some(d) = rule.expires.filter(|_| rule.expired(today)) {
                    warnings.push(format!(
                        "{}:{}: ignore entry for {} expired on {d} and no longer applies",
                        file.name,
                        rule.line,
                        rule.describe()
                    ));
                } else if !used {
                    warnings.push(format!(
                        "{}:{}: ignore entry for {} matched no finding (stale: remove it?)",
                        file.name,
                        rule.line,
                        rule.describe()
                    ));
                }
            }
        }
        report.vulnerabilities = kept;
        report.suppressed.extend(suppressed);
        report.warnings.extend(warnings);
        if self.ignore_unfixed {
            suppress_unfixed(report);
        }
    }

    /// The reason the winning VEX statement gives, when it suppresses. Of the statements
    /// that apply to the finding, the latest wins: by timestamp when every one has one, else
    /// the last in document order (files in the order given).
    fn vex_reason(&self, s: &Subject, ctx: &Context) -> Option<(SuppressedBy, String)> {
        let applicable: Vec<(&VexDocument, &VexStatement)> = self
            .vex
            .iter()
            .flat_map(|d| d.statements.iter().map(move |st| (d, st)))
            .filter(|(_, st)| st.vulnerability.iter().any(|v| s.has_id(v)))
            .filter(|(_, st)| st.products.iter().any(|p| applies(p, s, ctx)))
            .collect();
        let by_time = applicable.iter().all(|(_, st)| st.timestamp.is_some());
        let (d, st) = applicable
            .iter()
            .enumerate()
            .max_by_key(|(i, (_, st))| (by_time.then_some(st.timestamp).flatten(), *i))
            .map(|(_, x)| *x)?;
        if !st.suppresses {
            return None;
        }
        let mut reason = format!("{}: {}", d.name, st.status);
        if let Some(j) = &st.justification {
            reason.push_str(&format!(" ({j})"));
        }
        if let Some(t) = &st.text {
            reason.push_str(&format!(": {t}"));
        }
        Some((SuppressedBy::Vex, reason))
    }

    /// The reason the first applicable ignore entry gives; marks every entry that matches.
    fn ignore_reason(
        &self,
        today: Date,
        used: &mut [Vec<bool>],
        matches: impl Fn(&ignore::IgnoreRule) -> bool,
    ) -> Option<(SuppressedBy, String)> {
        let mut first = None;
        for (file, used) in self.ignore.iter().zip(used.iter_mut()) {
            for (rule, used) in file.rules.iter().zip(used.iter_mut()) {
                if rule.expired(today) || !matches(rule) {
                    continue;
                }
                *used = true;
                if first.is_none() {
                    let mut reason = format!("{}:{}: {}", file.name, rule.line, rule.describe());
                    if let Some(d) = rule.expires {
                        reason.push_str(&format!(" (expires {d})"));
                    }
                    if let Some(t) = &rule.statement {
                        reason.push_str(&format!(": {t}"));
                    }
                    first = Some((SuppressedBy::Ignorefile, reason));
                }
            }
        }
        first
    }
}

/// How the scanned artifact can be named in a VEX product.
struct ImageIds {
    /// Manifest, index and config digests (`sha256:…`, lowercase).
    digests: Vec<String>,
    /// `registry/repository`, `repository`'s last component and the tag, from a registry
    /// reference.
    repository: Option<String>,
    name: Option<String>,
    tag: Option<String>,
}

impl ImageIds {
    fn of(a: &Artifact) -> ImageIds {
        let digests = [&a.digest, &a.index_digest, &a.config_digest]
            .into_iter()
            .flatten()
            .map(|d| d.to_ascii_lowercase())
            .collect();
        let (mut repository, mut tag) = (None, None);
        if let Some(r) = &a.reference {
            let r = r.split('@').next().unwrap_or(r);
            // A `:` after the last `/` starts the tag (a registry port comes before it).
            let slash = r.rfind('/').map_or(0, |i| i + 1);
            match r[slash..].find(':') {
                Some(i) => {
                    repository = Some(r[..slash + i].to_ascii_lowercase());
                    tag = Some(r[slash + i + 1..].to_string());
                }
                None => repository = Some(r.to_ascii_lowercase()),
            }
        }
        let name = repository
            .as_deref()
            .map(|r| r.rsplit('/').next().unwrap_or(r).to_string());
        ImageIds {
            digests,
            repository,
            name,
            tag,
        }
    }

    /// Whether `id` names this image: a `pkg:oci` purl whose digest is the image's (its
    /// `repository_url` and `tag` then do not matter), or, without a digest, whose name,
    /// `repository_url` and `tag` agree with the registry reference; or a bare digest or a
    /// `repo@sha256:…` reference with the image's digest.
    fn is(&self, id: &ProductId) -> bool {
        match id {
            ProductId::Purl(p) if p.ty() == "oci" => match p.version() {
                Some(d) => self.digests.iter().any(|x| x.eq_ignore_ascii_case(d)),
                None => {
                    self.name.as_deref() == Some(p.name())
                        && p.qualifier("repository_url").is_none_or(|u| {
                            self.repository.as_deref() == Some(&normalize_repository(u))
                        })
                        && p.qualifier("tag")
                            .is_none_or(|t| self.tag.as_deref() == Some(t))
                }
            },
            ProductId::Purl(_) => false,
            ProductId::Other(s) => {
                let digest = s.rsplit('@').next().unwrap_or(s);
                digest.starts_with("sha256:")
                    && self.digests.iter().any(|x| x.eq_ignore_ascii_case(digest))
            }
        }
    }
}

/// `https://ghcr.io/o/app/` → `ghcr.io/o/app`; Docker Hub's short forms → `docker.io/library/x`.
fn normalize_repository(u: &str) -> String {
    let u = u.trim().trim_end_matches('/').to_ascii_lowercase();
    let u = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"))
        .unwrap_or(&u)
        .to_string();
    let u = match u.strip_prefix("index.docker.io/") {
        Some(rest) => format!("docker.io/{rest}"),
        None => u,
    };
    match u.strip_prefix("docker.io/") {
        Some(rest) if !rest.contains('/') => format!("docker.io/library/{rest}"),
        _ => u,
    }
}

/// Whether a statement's product covers the finding's package: the product is the package;
/// or the product is the image and names no subcomponent (every package of the image); or
/// a subcomponent is the package and the product is the image, another package of the
/// report, or anything at all when the scanned artifact is not an image (a directory or an
/// SBOM has no identity a VEX author could have named).
fn applies(p: &Product, s: &Subject, ctx: &Context) -> bool {
    let is_pkg = |id: &ProductId| match (id, s.purl) {
        (ProductId::Purl(pat), Some(t)) => pat.matches(t),
        _ => false,
    };
    if p.ids.iter().any(is_pkg) {
        return true;
    }
    let is_image = p.ids.iter().any(|id| ctx.image.is(id));
    if p.subcomponents.is_empty() {
        return is_image;
    }
    if !p.subcomponents.iter().any(|ids| ids.iter().any(is_pkg)) {
        return false;
    }
    is_image
        || !ctx.is_image
        || p.ids.iter().any(|id| match id {
            ProductId::Purl(pat) => ctx.purls.iter().any(|t| pat.matches(t)),
            ProductId::Other(_) => false,
        })
}

/// What VEX products are compared with besides the finding's package.
struct Context {
    image: ImageIds,
    is_image: bool,
    /// Every package purl of the report.
    purls: Vec<Purl>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use plimsoll_model::{ArtifactKind, FixStatus, Package, Severity};

    const REQUESTS: &str = "pkg:pypi/requests@2.31.0";
    const LIBSSL: &str = "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12";
    const DIGEST: &str = "sha256:4d70a30a50b3ec0529ff7c3efa951fe00e0214276b37cedd73ed46a06b4c93ef";

    fn finding(id: &str, aliases: &[&str], purl: &str, name: &str, status: FixStatus) -> Finding {
        Finding {
            id: id.into(),
            aliases: aliases.iter().map(|s| s.to_string()).collect(),
            package_id: purl.into(),
            package_name: name.into(),
            matched_ecosystem: "x".into(),
            matched_name: name.into(),
            installed_version: "1".into(),
            fixed_versions: vec![],
            status,
            severity: Severity::Medium,
            severity_source: None,
            cvss: None,
            kev: false,
            epss: None,
            layer: Some(0),
            layer_created_by: None,
            path: Some("var/lib/dpkg/status".into()),
            data_source: id.into(),
            title: None,
            upstream_match: false,
            risk: None,
            published: None,
            in_base_image: None,
            removed_in_layer: None,
        }
    }

    /// The demo image's two findings, as `plimsoll image demo/demo-image.tar` reports them.
    fn report() -> Report {
        let pkg = |purl: &str, name: &str, version: &str| Package {
            id: purl.into(),
            purl: purl.into(),
            name: name.into(),
            version: version.into(),
            ..Package::default()
        };
        let mut artifact = Artifact::new(
            "demo/demo-image.tar",
            ArtifactKind::ContainerImage,
            "oci-archive",
        );
        artifact.digest = Some(DIGEST.into());
        Report {
            packages: vec![
                pkg(LIBSSL, "libssl3", "3.0.11-1~deb12u2"),
                pkg(REQUESTS, "requests", "2.31.0"),
            ],
            vulnerabilities: vec![
                finding(
                    "CVE-2023-5678",
                    &["DEBIAN-CVE-2023-5678"],
                    LIBSSL,
                    "libssl3",
                    FixStatus::Fixed,
                ),
                finding(
                    "CVE-2024-35195",
                    &["GHSA-9wx4-h78v-vm56"],
                    REQUESTS,
                    "requests",
                    FixStatus::Fixed,
                ),
            ],
            ..Report::new(artifact)
        }
    }

    fn date(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn with(ignore: &[(&str, &str)], vex: &[(&str, &str)]) -> Suppressions {
        Suppressions {
            vex: vex
                .iter()
                .map(|(n, t)| vex::parse(n, t.as_bytes()).unwrap())
                .collect(),
            ignore: ignore
                .iter()
                .map(|(n, t)| ignore::parse(n, t).unwrap())
                .collect(),
            ignore_unfixed: false,
        }
    }

    fn kept(r: &Report) -> Vec<&str> {
        r.vulnerabilities.iter().map(|f| f.id.as_str()).collect()
    }

    #[test]
    fn an_ignore_entry_by_alias_suppresses_and_says_where_it_is() {
        let mut r = report();
        let s = with(
            &[(
                ".plimsollignore",
                "# accepted\nGHSA-9wx4-h78v-vm56 exp:2027-01-01\n",
            )],
            &[],
        );
        s.apply(&mut r, date("2026-12-02"));
        assert_eq!(kept(&r), ["CVE-2023-5678"]);
        assert_eq!(r.suppressed.len(), 1);
        assert_eq!(r.suppressed[0].suppressed_by, SuppressedBy::Ignorefile);
        assert_eq!(
            r.suppressed[0].reason,
            ".plimsollignore:2: GHSA-9wx4-h78v-vm56 (expires 2027-01-01)"
        );
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    }

    #[test]
    fn an_expired_entry_no_longer_applies_and_the_report_says_so() {
        let text = "vulnerabilities:\n  - id: CVE-2024-35195\n    expired_at: 2026-12-02\n    statement: until the upgrade\n";
        let s = with(&[(".trivyignore.yaml", text)], &[]);
        let mut before = report();
        s.apply(&mut before, date("2026-12-01"));
        assert_eq!(kept(&before), ["CVE-2023-5678"]);
        assert_eq!(
            before.suppressed[0].reason,
            ".trivyignore.yaml:2: CVE-2024-35195 (expires 2026-12-02): until the upgrade"
        );
        assert!(before.warnings.is_empty());
        let mut after = report();
        s.apply(&mut after, date("2026-12-02"));
        assert_eq!(kept(&after), ["CVE-2023-5678", "CVE-2024-35195"]);
        assert_eq!(
            after.warnings,
            [
                ".trivyignore.yaml:2: ignore entry for CVE-2024-35195 expired on 2026-12-02 and no longer applies"
            ]
        );
    }

    /// The demo report with what the secret analyzer finds in a Node app image: an AWS key
    /// in the app's .env, a GitHub token in a CI script, and the example key of the AWS
    /// SDK's own test fixtures.
    fn report_with_secrets() -> Report {
        use crate::secret::finding as secret;
        let mut r = report();
        r.secrets = vec![
            secret("aws-access-key-id", Severity::Critical, "app/.env", 3, 2),
            secret("github-pat", Severity::Critical, "app/ci/publish.sh", 12, 2),
            secret(
                "aws-access-key-id",
                Severity::Critical,
                "app/node_modules/aws-sdk/test/fixtures/creds.json",
                4,
                1,
            ),
        ];
        r
    }

    fn secrets_kept(r: &Report) -> Vec<&str> {
        r.secrets.iter().map(|s| s.fingerprint.as_str()).collect()
    }

    #[test]
    fn ignore_files_suppress_secrets_by_rule_id_path_and_fingerprint() {
        // Trivy's YAML form: a rule id scoped to paths; our fingerprint for one finding.
        let yaml = "secrets:
  - id: aws-access-key-id
    paths: [\"app/node_modules/**/test/**\"]
    statement: SDK test fixtures, example keys
  - fingerprint: app/ci/publish.sh:github-pat:12
    expired_at: 2027-01-01
";
        let s = with(&[(".trivyignore.yaml", yaml)], &[]);
        let mut r = report_with_secrets();
        s.apply(&mut r, date("2026-12-02"));
        assert_eq!(secrets_kept(&r), ["app/.env:aws-access-key-id:3"]);
        let gone: Vec<_> = r
            .suppressed_secrets
            .iter()
            .map(|x| {
                (
                    x.secret.rule_id.as_str(),
                    x.suppressed_by,
                    x.reason.as_str(),
                )
            })
            .collect();
        assert_eq!(
            gone,
            [
                (
                    "github-pat",
                    SuppressedBy::Ignorefile,
                    ".trivyignore.yaml:5: secret app/ci/publish.sh:github-pat:12 (expires 2027-01-01)"
                ),
                (
                    "aws-access-key-id",
                    SuppressedBy::Ignorefile,
                    ".trivyignore.yaml:2: secret aws-access-key-id in app/node_modules/**/test/**: SDK test fixtures, example keys"
                ),
            ]
        );
        // Vulnerabilities are untouched, and every entry was used.
        assert_eq!(kept(&r), ["CVE-2023-5678", "CVE-2024-35195"]);
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);

        // Trivy's plain form: a rule id ignores that rule everywhere; a fingerprint one
        // finding. Vulnerability ids and secret ids share the file.
        let plain = "CVE-2023-5678\ngithub-pat\napp/.env:aws-access-key-id:3 exp:2027-01-01\n";
        let s = with(&[(".trivyignore", plain)], &[]);
        let mut r = report_with_secrets();
        s.apply(&mut r, date("2026-12-02"));
        assert_eq!(kept(&r), ["CVE-2024-35195"]);
        assert_eq!(
            secrets_kept(&r),
            ["app/node_modules/aws-sdk/test/fixtures/creds.json:aws-access-key-id:4"]
        );
        assert_eq!(r.suppressed_secrets.len(), 2);
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    }

    #[test]
    fn secret_entries_go_stale_and_expire_like_the_others() {
        let yaml = "vulnerabilities:
  - id: aws-access-key-id
secrets:
  - id: slack-webhook-url
  - id: github-pat
    expired_at: 2026-12-01
  - paths: [\"etc/**\"]
  - id: CVE-2023-5678
";
        let s = with(&[(".trivyignore.yaml", yaml)], &[]);
        let mut r = report_with_secrets();
        s.apply(&mut r, date("2026-12-02"));
        // A vulnerabilities entry never suppresses a secret, nor a secrets entry a
        // vulnerability; the expired entry no longer applies.
        assert_eq!(r.secrets.len(), 3);
        assert!(r.suppressed_secrets.is_empty());
        assert_eq!(kept(&r), ["CVE-2023-5678", "CVE-2024-35195"]);
        assert_eq!(
            r.warnings,
            [
                ".trivyignore.yaml:2: ignore entry for aws-access-key-id matched no finding (stale: remove it?)",
                ".trivyignore.yaml:4: ignore entry for secret slack-webhook-url matched no finding (stale: remove it?)",
                ".trivyignore.yaml:5: ignore entry for secret github-pat expired on 2026-12-01 and no longer applies",
                ".trivyignore.yaml:7: ignore entry for every secret in etc/** matched no finding (stale: remove it?)",
                ".trivyignore.yaml:8: ignore entry for secret CVE-2023-5678 matched no finding (stale: remove it?)",
            ]
        );
        // Secrets suppressed by an earlier pass keep their entries in use.
        let s = with(&[(".trivyignore", "github-pat\n")], &[]);
        let mut r = report_with_secrets();
        s.apply(&mut r, date("2026-12-02"));
        assert_eq!(r.suppressed_secrets.len(), 1);
        s.apply(&mut r, date("2026-12-02"));
        assert_eq!(r.suppressed_secrets.len(), 1);
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    }

    #[test]
    fn stale_entries_are_reported() {
        let s = with(&[(".trivyignore", "CVE-2019-0001\nCVE-2023-5678\n")], &[]);
        let mut r = report();
        s.apply(&mut r, date("2026-12-02"));
        assert_eq!(kept(&r), ["CVE-2024-35195"]);
        assert_eq!(
            r.warnings,
            [
                ".trivyignore:1: ignore entry for CVE-2019-0001 matched no finding (stale: remove it?)"
            ]
        );
    }

    fn openvex(statements: &str) -> String {
        format!(
            r#"{{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.invalid/vex-1",
                "author": "demo", "timestamp": "2026-01-01T00:00:00Z", "version": 1,
                "statements": [{statements}]}}"#
        )
    }

    #[test]
    fn vex_not_affected_for_the_package_suppresses() {
        let doc = openvex(
            r#"{"vulnerability": {"name": "GHSA-9wx4-h78v-vm56"},
                "products": [{"@id": "pkg:pypi/requests@2.31.0"}],
                "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path",
                "impact_statement": "verify=False is never used"}"#,
        );
        let mut r = report();
        with(&[], &[("vex.openvex.json", &doc)]).apply(&mut r, date("2026-12-02"));
        assert_eq!(kept(&r), ["CVE-2023-5678"]);
        assert_eq!(r.suppressed[0].suppressed_by, SuppressedBy::Vex);
        assert_eq!(
            r.suppressed[0].reason,
            "vex.openvex.json: not_affected (vulnerable_code_not_in_execute_path): verify=False is never used"
        );
    }

    #[test]
    fn vex_products_the_way_images_name_them() {
        let cases = [
            // The image by digest (with qualifiers that need not match), package as subcomponent.
            (format!(r#"{{"@id": "pkg:oci/demo@{}?repository_url=ghcr.io/acme/demo&tag=v9", "subcomponents": [{{"@id": "pkg:deb/debian/libssl3@3.0.11-1~deb12u2"}}]}}"#, DIGEST.replace(':', "%3A")), true),
            // The image by digest and no subcomponent: every package of it.
            (format!(r#"{{"@id": "pkg:oci/demo@{}"}}"#, DIGEST.replace(':', "%3A")), true),
            // A bare digest.
            (format!(r#"{{"@id": "{DIGEST}"}}"#), true),
            // The package purl without the scanner's qualifiers.
            (r#"{"@id": "pkg:deb/debian/libssl3"}"#.to_string(), true),
            (r#"{"identifiers": {"purl": "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64"}}"#.to_string(), true),
            // A package of the image as product, ours as its subcomponent.
            (r#"{"@id": "pkg:pypi/requests", "subcomponents": [{"@id": "pkg:deb/debian/libssl3"}]}"#.to_string(), true),
            // Another image, or another architecture, or another version.
            (r#"{"@id": "pkg:oci/demo@sha256%3A0000000000000000000000000000000000000000000000000000000000000000", "subcomponents": [{"@id": "pkg:deb/debian/libssl3"}]}"#.to_string(), false),
            (r#"{"@id": "pkg:maven/org.example/app", "subcomponents": [{"@id": "pkg:deb/debian/libssl3"}]}"#.to_string(), false),
            (r#"{"@id": "pkg:deb/debian/libssl3?arch=arm64"}"#.to_string(), false),
            (r#"{"@id": "pkg:deb/debian/libssl3@3.0.13-1~deb12u1"}"#.to_string(), false),
            (r#"{"@id": "pkg:oci/other@sha256%3A0000000000000000000000000000000000000000000000000000000000000000"}"#.to_string(), false),
        ];
        for (product, suppressed) in cases {
            let doc = openvex(&format!(
                r#"{{"vulnerability": {{"name": "CVE-2023-5678"}}, "products": [{product}], "status": "fixed"}}"#
            ));
            let mut r = report();
            with(&[], &[("v.json", &doc)]).apply(&mut r, date("2026-12-02"));
            let gone = r.suppressed.iter().any(|s| s.finding.id == "CVE-2023-5678");
            assert_eq!(gone, suppressed, "{product}");
            assert!(kept(&r).contains(&"CVE-2024-35195"));
        }
    }

    #[test]
    fn outside_an_image_any_product_with_the_package_as_subcomponent_applies() {
        let doc = openvex(
            r#"{"vulnerability": {"name": "CVE-2024-35195"}, "products": [{"@id": "pkg:github/acme/app@v1", "subcomponents": [{"@id": "pkg:pypi/requests"}]}], "status": "not_affected", "justification": "vulnerable_code_not_present"}"#,
        );
        let s = with(&[], &[("v.json", &doc)]);
        let mut image = report();
        s.apply(&mut image, date("2026-12-02"));
        assert!(image.suppressed.is_empty());
        let mut dir = report();
        dir.artifact.kind = ArtifactKind::Filesystem;
        dir.artifact.digest = None;
        s.apply(&mut dir, date("2026-12-02"));
        assert_eq!(kept(&dir), ["CVE-2023-5678"]);
    }

    #[test]
    fn an_oci_product_without_digest_matches_the_registry_reference() {
        let mut r = report();
        r.artifact.reference = Some("ghcr.io/acme/demo:1.4".into());
        r.artifact.digest = Some("sha256:1111".into());
        for (product, hit) in [
            ("pkg:oci/demo?repository_url=ghcr.io/acme/demo", true),
            (
                "pkg:oci/demo?repository_url=https://ghcr.io/acme/demo/&tag=1.4",
                true,
            ),
            ("pkg:oci/demo", true),
            ("pkg:oci/demo?tag=1.5", false),
            ("pkg:oci/demo?repository_url=docker.io/library/demo", false),
            ("pkg:oci/other", false),
        ] {
            let doc = openvex(&format!(
                r#"{{"vulnerability": {{"name": "CVE-2024-35195"}}, "products": [{{"@id": "{product}", "subcomponents": [{{"@id": "pkg:pypi/requests"}}]}}], "status": "not_affected", "justification": "component_not_present"}}"#
            ));
            let mut r = r.clone();
            with(&[], &[("v.json", &doc)]).apply(&mut r, date("2026-12-02"));
            assert_eq!(r.suppressed.len() == 1, hit, "{product}");
        }
        assert_eq!(
            normalize_repository("docker.io/debian"),
            "docker.io/library/debian"
        );
        assert_eq!(
            normalize_repository("index.docker.io/library/debian"),
            "docker.io/library/debian"
        );
    }

    #[test]
    fn affected_and_under_investigation_keep_the_finding() {
        for status in ["affected", "under_investigation"] {
            let doc = openvex(&format!(
                r#"{{"vulnerability": {{"name": "CVE-2024-35195"}}, "products": [{{"@id": "{REQUESTS}"}}], "status": "{status}", "action_statement": "upgrade"}}"#
            ));
            let mut r = report();
            with(&[], &[("v.json", &doc)]).apply(&mut r, date("2026-12-02"));
            assert_eq!(kept(&r).len(), 2, "{status}");
        }
    }

    #[test]
    fn later_openvex_statements_override_earlier_ones() {
        let st = |status: &str, ts: &str| {
            format!(
                r#"{{"vulnerability": {{"name": "CVE-2024-35195"}}, "products": [{{"@id": "{REQUESTS}"}}], "status": "{status}"{ts}}}"#
            )
        };
        let run = |statements: &[String]| {
            let mut r = report();
            with(&[], &[("v.json", &openvex(&statements.join(",")))])
                .apply(&mut r, date("2026-12-02"));
            r.suppressed.len()
        };
        // Document order, timestamps inherited equal.
        assert_eq!(run(&[st("affected", ""), st("fixed", "")]), 1);
        assert_eq!(run(&[st("fixed", ""), st("affected", "")]), 0);
        // By timestamp, whatever the order.
        let early = r#", "timestamp": "2026-02-01T00:00:00Z""#;
        let late = r#", "timestamp": "2026-03-01T00:00:00+01:00""#;
        assert_eq!(run(&[st("fixed", late), st("affected", early)]), 1);
        assert_eq!(run(&[st("affected", late), st("fixed", early)]), 0);
    }

    #[test]
    fn cyclonedx_states_decide() {
        for (state, suppressed) in [
            ("not_affected", true),
            ("false_positive", true),
            ("resolved", true),
            ("resolved_with_pedigree", true),
            ("exploitable", false),
            ("in_triage", false),
        ] {
            let doc = format!(
                r#"{{"bomFormat": "CycloneDX", "specVersion": "1.6",
                    "components": [{{"bom-ref": "r1", "purl": "{REQUESTS}"}}],
                    "vulnerabilities": [{{"id": "CVE-2024-35195", "analysis": {{"state": "{state}", "detail": "checked"}},
                                          "affects": [{{"ref": "r1"}}]}}]}}"#
            );
            let mut r = report();
            with(&[], &[("vex.cdx.json", &doc)]).apply(&mut r, date("2026-12-02"));
            assert_eq!(r.suppressed.len() == 1, suppressed, "{state}");
            if suppressed {
                assert_eq!(
                    r.suppressed[0].reason,
                    format!("vex.cdx.json: {state}: checked")
                );
            }
        }
    }

    #[test]
    fn vex_comes_first_then_ignore_files_then_unfixed_and_each_finding_once() {
        let doc = openvex(&format!(
            r#"{{"vulnerability": {{"name": "CVE-2024-35195"}}, "products": [{{"@id": "{REQUESTS}"}}], "status": "fixed"}}"#
        ));
        let mut s = with(
            &[(
                ".plimsollignore",
                "CVE-2024-35195\nCVE-2023-5678\nCVE-2023-5678 # twice\n",
            )],
            &[("v.json", &doc)],
        );
        s.ignore_unfixed = true;
        let mut r = report();
        r.vulnerabilities[0].status = FixStatus::Affected;
        s.apply(&mut r, date("2026-12-02"));
        assert!(r.vulnerabilities.is_empty());
        let by: Vec<_> = r
            .suppressed
            .iter()
            .map(|s| {
                (
                    s.finding.id.as_str(),
                    s.suppressed_by.as_str(),
                    s.reason.as_str(),
                )
            })
            .collect();
        assert_eq!(
            by,
            [
                (
                    "CVE-2023-5678",
                    "ignorefile",
                    ".plimsollignore:2: CVE-2023-5678"
                ),
                ("CVE-2024-35195", "vex", "v.json: fixed"),
            ]
        );
        // The entry that repeats the VEX statement, and the duplicate, are not stale.
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    }

    #[test]
    fn load_reads_defaults_only_when_present_and_refuses_missing_named_files() {
        let dir = tempfile::tempdir().unwrap();
        let opts = SuppressOptions {
            default_dir: Some(dir.path().into()),
            ..SuppressOptions::default()
        };
        assert!(Suppressions::load(&opts).unwrap().ignore.is_empty());
        std::fs::write(dir.path().join(".trivyignore"), "CVE-1\n").unwrap();
        std::fs::write(
            dir.path().join(".trivyignore.yaml"),
            "vulnerabilities:\n  - id: CVE-2\n",
        )
        .unwrap();
        let s = Suppressions::load(&opts).unwrap();
        let names: Vec<_> = s.ignore.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, [".trivyignore", ".trivyignore.yaml"]);
        // A named file replaces the defaults, and must exist.
        let missing = dir.path().join("nope");
        let e = Suppressions::load(&SuppressOptions {
            ignorefiles: vec![missing.clone()],
            ..opts.clone()
        })
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("{}: no such file", missing.display())
        );
        let e = Suppressions::load(&SuppressOptions {
            vex: vec![missing.clone()],
            ..opts.clone()
        })
        .unwrap_err();
        assert_eq!(e.file, missing.display().to_string());
        // A broken default is an error too: the user wrote it.
        std::fs::write(dir.path().join(".plimsollignore"), "CVE-3 exp:soon\n").unwrap();
        let e = Suppressions::load(&opts).unwrap_err();
        assert!(e.to_string().starts_with(".plimsollignore:1:11: "), "{e}");
    }
}
