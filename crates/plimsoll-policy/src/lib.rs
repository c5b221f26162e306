//! Decisions over findings: which ones are suppressed before anything counts them, and
//! whether the image may ship (the CI gate).
//!
//! Suppression comes from VEX documents ([`vex`]), ignore files ([`ignore`]) and
//! `--ignore-unfixed`, applied in that order by [`Suppressions::apply`]; the gate is
//! `--severity`/`--exit-code`, as Trivy users know them. Policy files, risk scores and CVE
//! SLOs come with roadmap step 5. Findings are never dropped silently: a suppressed finding
//! moves to `Report::suppressed` with the reason, and the gate's `reasons` name the findings
//! that failed it.

pub mod ignore;
pub mod policy;
mod purl;
pub mod risk;
mod secret;
mod suppress;
pub mod vex;

pub use purl::Purl;
pub use suppress::{DEFAULT_IGNORE_FILES, SuppressOptions, Suppressions, today_utc};

use plimsoll_model::{FixStatus, Gate, GateResult, Report, Severity, Suppressed, SuppressedBy};

/// Moves every finding without a released fix (`affected`, `will_not_fix`, `unknown`) to
/// `report.suppressed`, as `--ignore-unfixed` asks.
pub fn suppress_unfixed(report: &mut Report) {
    let (kept, unfixed): (Vec<_>, Vec<_>) = std::mem::take(&mut report.vulnerabilities)
        .into_iter()
        .partition(|f| f.status == FixStatus::Fixed);
    report.vulnerabilities = kept;
    report
        .suppressed
        .extend(unfixed.into_iter().map(|f| Suppressed {
            reason: format!(
                "--ignore-unfixed: no fixed version of {} is released ({})",
                f.package_name,
                match f.status {
                    FixStatus::WillNotFix => "will not fix",
                    FixStatus::Affected => "affected",
                    _ => "status unknown",
                }
            ),
            suppressed_by: SuppressedBy::IgnoreUnfixed,
            finding: f,
        }));
}

/// An error in a file the user gave (an ignore file, a VEX document): the file, and where
/// in it when the problem is in its content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}", at.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default())]
pub struct FileError {
    /// The path as the user gave it (or the default file's name).
    pub file: String,
    /// 1-based line and column, when the error is in the content.
    pub at: Option<(u64, u64)>,
    pub message: String,
}

/// What every gate says about advisory data the scan lacked (`report.database.missing_data`:
/// ecosystems of the scanned packages with no record in the database): `fail` holds the
/// reasons the gate must fail for, `accepted` those `--allow-missing-data` let pass. A gate
/// that passed on packages nobody checked would be a rubber stamp, so both `--exit-code`
/// ([`gate`]) and policies ([`policy::Policy::evaluate`]) fail unless it was accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MissingDataVerdict {
    pub fail: Vec<String>,
    pub accepted: Vec<String>,
}

impl MissingDataVerdict {
    /// Puts its reasons first in a gate's `reasons` (failures, then accepted gaps); whether
    /// it fails the gate.
    pub fn lead(self, reasons: &mut Vec<String>) -> bool {
        let fails = !self.fail.is_empty();
        reasons.splice(0..0, self.fail.into_iter().chain(self.accepted));
        fails
    }
}

/// The [`MissingDataVerdict`] of a report (empty without a database).
pub fn missing_data_verdict(report: &Report) -> MissingDataVerdict {
    let mut v = MissingDataVerdict::default();
    let Some(db) = &report.database else {
        return v;
    };
    for m in &db.missing_data {
        if db.missing_data_allowed {
            v.accepted.push(format!(
                "no advisories for {m} in the vulnerability database; accepted by --allow-missing-data"
            ));
        } else {
            v.fail.push(format!(
                "no advisories for {m} in the vulnerability database: the gate cannot pass on packages it could not check (import or update that data, or accept the gap with --allow-missing-data)"
            ));
        }
    }
    v
}

/// The gate of `--exit-code`: it fails when any unsuppressed finding (vulnerability or
/// secret, as Trivy's) has a severity in `severities` (every severity when empty), or when
/// advisory data for the scanned packages was missing and not accepted
/// ([`missing_data_verdict`]).
pub fn gate(report: &Report, severities: &[Severity]) -> Gate {
    let mut g = findings_gate(report, severities);
    if missing_data_verdict(report).lead(&mut g.reasons) {
        g.result = GateResult::Fail;
    }
    g
}

fn findings_gate(report: &Report, severities: &[Severity]) -> Gate {
    let counts = |s: Severity| severities.is_empty() || severities.contains(&s);
    let failing: Vec<_> = report
        .vulnerabilities
        .iter()
        .filter(|f| counts(f.severity))
        .collect();
    let secrets: Vec<_> = report
        .secrets
        .iter()
        .filter(|s| counts(s.severity))
        .collect();
    let scope = if severities.is_empty() {
        "any severity".to_string()
    } else {
        let mut s: Vec<_> = severities.iter().map(|s| s.as_str()).collect();
        s.sort_unstable();
        s.dedup();
        s.join(", ")
    };
    if failing.is_empty() && secrets.is_empty() {
        // A report without secret findings reads as it always did.
        let reason = if report.secrets.is_empty() && report.suppressed_secrets.is_empty() {
            format!(
                "no unsuppressed vulnerability of {scope} ({} suppressed)",
                report.suppressed.len()
            )
        } else {
            format!(
                "no unsuppressed vulnerability or secret of {scope} ({} suppressed)",
                report.suppressed.len() + report.suppressed_secrets.len()
            )
        };
        return Gate {
            result: GateResult::Pass,
            reasons: vec![reason],
            ..Gate::default()
        };
    }
    let mut reasons = Vec::new();
    if !failing.is_empty() {
        reasons.push(format!(
            "{} unsuppressed {} of {scope}",
            failing.len(),
            if failing.len() == 1 {
                "vulnerability"
            } else {
                "vulnerabilities"
            }
        ));
    }
    reasons.extend(failing.iter().map(|f| {
        let fix = if f.fixed_versions.is_empty() {
            "no fix released".to_string()
        } else {
            format!("fixed in {}", f.fixed_versions.join(", "))
        };
        let layer = f.layer.map(|l| format!(", layer {l}")).unwrap_or_default();
        format!(
            "{} {} in {} {} ({fix}{layer})",
            f.severity, f.id, f.package_name, f.installed_version
        )
    }));
    if !secrets.is_empty() {
        reasons.push(format!(
            "{} unsuppressed {} of {scope}",
            secrets.len(),
            if secrets.len() == 1 {
                "secret"
            } else {
                "secrets"
            }
        ));
        reasons.extend(secrets.iter().map(|s| secret::line(s)));
    }
    Gate {
        result: GateResult::Fail,
        reasons,
        ..Gate::default()
    }
}

/// Largest policy file read, in bytes: a policy is a page of YAML.
pub const MAX_POLICY_SIZE: u64 = 4 << 20;
/// Largest ignore file read, in bytes (some 200,000 ids, one a line).
pub const MAX_IGNORE_SIZE: u64 = 4 << 20;
/// Largest VEX document read, in bytes: a supplier's CycloneDX VEX for a large product runs
/// to a few megabytes; parsing holds a few times the input.
pub const MAX_VEX_SIZE: u64 = 32 << 20;

/// Reads a file the user named, at most `limit` bytes: the read itself is bounded, so a
/// device (`/dev/zero`), a FIFO or a file that grows while read cannot exhaust memory.
/// `what` names the kind of file in the error (`a policy file`).
pub(crate) fn read_bounded(
    path: &std::path::Path,
    name: &str,
    what: &str,
    limit: u64,
) -> Result<Vec<u8>, FileError> {
    use std::io::Read;
    let too_large = || FileError {
        file: name.to_string(),
        at: None,
        message: format!("larger than {limit} bytes: too large for {what}"),
    };
    let file = std::fs::File::open(path).map_err(|e| FileError::io(name, &e))?;
    // Refuse a regular file that is too large before reading any of it.
    if file
        .metadata()
        .is_ok_and(|m| m.is_file() && m.len() > limit)
    {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| FileError::io(name, &e))?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

impl FileError {
    /// An error reading the file itself (not its content): `no such file`, `cannot read: …`.
    pub(crate) fn io(file: &str, e: &std::io::Error) -> FileError {
        FileError {
            file: file.to_string(),
            at: None,
            message: if e.kind() == std::io::ErrorKind::NotFound {
                "no such file".into()
            } else {
                format!("cannot read: {e}")
            },
        }
    }

    /// A YAML file that does not parse or does not have the expected shape: the position,
    /// and the first line of serde-saphyr's message without its `line L column C: ` (the
    /// rest of its rendering is a snippet of the file).
    pub(crate) fn yaml(file: &str, e: &serde_saphyr::Error) -> FileError {
        let at = e
            .location()
            .map(|l| (l.line(), l.column()))
            .unwrap_or((1, 1));
        let msg = e.to_string();
        let msg = msg.lines().next().unwrap_or("invalid YAML");
        let msg = msg.strip_prefix("error: ").unwrap_or(msg);
        let msg = match msg.strip_prefix("line ") {
            Some(rest) if rest.contains(" column ") => {
                rest.split_once(": ").map_or(msg, |(_, after)| after)
            }
            _ => msg,
        };
        FileError {
            file: file.to_string(),
            at: Some(at),
            message: msg.to_string(),
        }
    }
}

/// The UTC date of an RFC 3339 time, or a `YYYY-MM-DD` date: how this crate reads a date
/// from a report (`published`, `created`), a policy or an ignore file.
pub(crate) fn utc_date(s: &str) -> Result<jiff::civil::Date, String> {
    let s = s.trim();
    if s.len() > 10 {
        return s
            .parse::<jiff::Timestamp>()
            .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date())
            .map_err(|e| format!("not a date (YYYY-MM-DD) or RFC 3339 time: {e}"));
    }
    if !is_ymd(s) {
        return Err("not a date (YYYY-MM-DD)".into());
    }
    s.parse()
        .map_err(|e| format!("not a date (YYYY-MM-DD): {e}"))
}

/// Whether `s` has the shape `YYYY-MM-DD` (jiff also reads other forms; these files take
/// only this one).
pub(crate) fn is_ymd(s: &str) -> bool {
    s.len() == 10
        && s.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use plimsoll_model::{Artifact, ArtifactKind, Finding};

    #[test]
    fn reads_are_bounded_whatever_the_file_claims() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"12345").unwrap();
        assert_eq!(read_bounded(&p, "f", "a test file", 5).unwrap(), b"12345");
        let e = read_bounded(&p, "f", "a test file", 4).unwrap_err();
        assert_eq!(
            e.to_string(),
            "f: larger than 4 bytes: too large for a test file"
        );
        // A device reports no size: the read itself stops.
        let e = read_bounded(
            std::path::Path::new("/dev/zero"),
            "z",
            "a test file",
            1 << 10,
        )
        .unwrap_err();
        assert_eq!(e.file, "z");
        let e = read_bounded(&dir.path().join("nope"), "nope", "a test file", 4).unwrap_err();
        assert_eq!(e.to_string(), "nope: no such file");
    }

    #[test]
    fn a_policy_file_without_rules_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        for text in ["", "version: 1\n", "rules: []\n"] {
            let p = dir.path().join("p.yaml");
            std::fs::write(&p, text).unwrap();
            let e = policy::load(&p).unwrap_err();
            assert!(e.to_string().contains("p.yaml"), "{e}");
        }
        let e = policy::load(&dir.path().join("p.yaml")).unwrap_err();
        assert!(e.message.starts_with("no rules"), "{e}");
    }

    fn finding(id: &str, sev: Severity, status: FixStatus, fixed: &[&str]) -> Finding {
        Finding {
            id: id.into(),
            aliases: vec![],
            package_id: "pkg".into(),
            package_name: "openssl".into(),
            matched_ecosystem: "Debian:12".into(),
            matched_name: "openssl".into(),
            installed_version: "3.0.11-1~deb12u2".into(),
            fixed_versions: fixed.iter().map(|s| s.to_string()).collect(),
            status,
            severity: sev,
            severity_source: None,
            cvss: None,
            kev: false,
            epss: None,
            layer: Some(0),
            layer_created_by: None,
            path: None,
            data_source: id.into(),
            title: None,
            upstream_match: false,
            risk: None,
            published: None,
            in_base_image: None,
            removed_in_layer: None,
        }
    }

    fn report(findings: Vec<Finding>) -> Report {
        Report {
            vulnerabilities: findings,
            ..Report::new(Artifact {
                layers: vec![],
                files: 0,
                ..Artifact::new("x", ArtifactKind::Filesystem, "directory")
            })
        }
    }

    #[test]
    fn ignore_unfixed_moves_every_finding_without_a_fix_and_says_why() {
        let mut r = report(vec![
            finding(
                "CVE-2023-5678",
                Severity::Low,
                FixStatus::Fixed,
                &["3.0.13-1~deb12u1"],
            ),
            finding("CVE-2024-0727", Severity::Medium, FixStatus::Affected, &[]),
            finding("CVE-2010-4756", Severity::Low, FixStatus::WillNotFix, &[]),
            finding("CVE-2099-0001", Severity::High, FixStatus::Unknown, &[]),
        ]);
        suppress_unfixed(&mut r);
        let kept: Vec<_> = r.vulnerabilities.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(kept, ["CVE-2023-5678"]);
        let gone: Vec<_> = r
            .suppressed
            .iter()
            .map(|s| (s.finding.id.as_str(), s.suppressed_by.as_str()))
            .collect();
        assert_eq!(
            gone,
            [
                ("CVE-2024-0727", "ignore-unfixed"),
                ("CVE-2010-4756", "ignore-unfixed"),
                ("CVE-2099-0001", "ignore-unfixed")
            ]
        );
        assert!(r.suppressed[1].reason.contains("will not fix"));
    }

    #[test]
    fn gate_counts_only_the_severities_asked_for() {
        let r = report(vec![
            finding(
                "CVE-2023-5678",
                Severity::Low,
                FixStatus::Fixed,
                &["3.0.13-1~deb12u1"],
            ),
            finding("CVE-2024-0727", Severity::Medium, FixStatus::Affected, &[]),
        ]);
        let g = gate(&r, &[]);
        assert_eq!(g.result, GateResult::Fail);
        assert_eq!(g.reasons.len(), 3);
        assert!(
            g.reasons[2].contains("MEDIUM CVE-2024-0727 in openssl"),
            "{g:?}"
        );
        assert!(g.reasons[2].contains("no fix released"), "{g:?}");
        let g = gate(&r, &[Severity::High, Severity::Critical]);
        assert_eq!(g.result, GateResult::Pass, "{g:?}");
        assert!(g.reasons[0].contains("CRITICAL, HIGH"), "{g:?}");
        let g = gate(&r, &[Severity::Low]);
        assert_eq!(g.result, GateResult::Fail);
        assert!(
            g.reasons[1].contains("fixed in 3.0.13-1~deb12u1, layer 0"),
            "{g:?}"
        );
        assert_eq!(gate(&report(vec![]), &[]).result, GateResult::Pass);
    }

    #[test]
    fn gate_counts_secrets_at_the_severities_asked_for() {
        // An image whose vulnerabilities are all LOW, with an AWS key in the app's .env
        // (HIGH) and a JWT in a test fixture (MEDIUM), as the secret analyzer reports them.
        let mut r = report(vec![finding(
            "CVE-2023-5678",
            Severity::Low,
            FixStatus::Fixed,
            &["3.0.13-1~deb12u1"],
        )]);
        let mut key = secret::finding("aws-access-key-id", Severity::High, "app/.env", 3, 2);
        key.deleted_in_layer = Some(3);
        r.secrets = vec![
            key,
            secret::finding(
                "jwt",
                Severity::Medium,
                "app/tests/fixtures/token.txt",
                1,
                2,
            ),
        ];
        let g = gate(&r, &[Severity::High, Severity::Critical]);
        assert_eq!(g.result, GateResult::Fail, "{g:?}");
        assert_eq!(
            g.reasons,
            [
                "1 unsuppressed secret of CRITICAL, HIGH",
                "HIGH secret aws-access-key-id at app/.env:3 (layer 2, deleted in layer 3, still in the image)"
            ]
        );
        assert!(
            !g.reasons.iter().any(|x| x.contains("AKIA")),
            "no value, not even redacted"
        );
        let g = gate(&r, &[]);
        assert_eq!(g.result, GateResult::Fail);
        assert_eq!(g.reasons[0], "1 unsuppressed vulnerability of any severity");
        assert_eq!(g.reasons[2], "2 unsuppressed secrets of any severity");
        assert_eq!(g.reasons.len(), 5);
        // Only the MEDIUM secret at MEDIUM: one line.
        let g = gate(&r, &[Severity::Medium]);
        assert_eq!(
            g.reasons[1],
            "MEDIUM secret jwt at app/tests/fixtures/token.txt:1 (layer 2)"
        );
        // No secret at CRITICAL: the pass reason names secrets, since the report has some.
        let g = gate(&r, &[Severity::Critical]);
        assert_eq!(g.result, GateResult::Pass);
        assert_eq!(
            g.reasons,
            ["no unsuppressed vulnerability or secret of CRITICAL (0 suppressed)"]
        );
    }
}
