//! Risk score: what to fix first.
//!
//! Every finding gets a score from 0 to 10: the sum of a few terms, each listed with its
//! points and the fact behind it, so a reader can check the arithmetic and see why one CVE
//! ranks above another. The terms (docs/policy.md documents them with examples):
//!
//! | factor | points |
//! | --- | --- |
//! | `cvss` | the highest-version CVSS base score the data has |
//! | `severity` | instead of `cvss` when the distribution rated the finding itself, or there is no CVSS score: CRITICAL 9.0, HIGH 7.5, MEDIUM 5.0, LOW 2.5, UNKNOWN 4.0 |
//! | `kev` | +2.0 when CISA lists it as exploited in the wild |
//! | `epss` | +2.0 × the EPSS probability of exploitation in the next 30 days |
//! | `attack_vector` | from the CVSS vector: network +0.5, local −1.0, physical −2.0 (adjacent 0) |
//! | `fix_available` | +0.5 when a fixed version is released: the finding can be acted on now |
//! | `exposed_ports` | +0.5 when the attack vector is the network and the image exposes ports |
//! | `runs_as_root` | +0.5 when the image's user is root (empty, `root` or `0`) |
//!
//! The total is clamped to 0–10 and rounded to one decimal. Exploitation evidence (KEV,
//! EPSS) can lift a medium CVE over an unexploited critical one, which is the point: CVSS
//! alone says how bad it would be, not how likely.

use plimsoll_model::{Artifact, Finding, FixStatus, Report, Risk, RiskFactor, Severity};

/// The facts of the image that change a finding's risk.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageFacts {
    /// `ExposedPorts` of the config, as written (`8000/tcp`).
    pub exposed_ports: Vec<String>,
    /// The config's user is root. `None` when there is no image config (a directory, an
    /// SBOM): the factor is left out rather than guessed.
    pub runs_as_root: Option<bool>,
}

impl ImageFacts {
    pub fn of(artifact: &Artifact) -> ImageFacts {
        match &artifact.config {
            None => ImageFacts::default(),
            Some(c) => ImageFacts {
                exposed_ports: c.exposed_ports.clone(),
                runs_as_root: Some(is_root(&c.user)),
            },
        }
    }
}

/// Whether a config `User` (`name`, `uid`, `name:group`, `uid:gid`) runs as root.
pub fn is_root(user: &str) -> bool {
    let who = user.split(':').next().unwrap_or("").trim();
    who.is_empty() || who == "root" || who.trim_start_matches('0').is_empty()
}

/// Points for a severity when the data has no CVSS score.
fn severity_points(s: Severity) -> f64 {
    match s {
        Severity::Critical => 9.0,
        Severity::High => 7.5,
        Severity::Medium => 5.0,
        Severity::Low => 2.5,
        Severity::Unknown => 4.0,
    }
}

/// The attack vector letter of a CVSS vector (`AV:N` in v3/v4, `AV:N` in v2), if any.
fn attack_vector(vector: &str) -> Option<char> {
    vector
        .split('/')
        .find_map(|part| part.strip_prefix("AV:"))
        .and_then(|v| v.chars().next())
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn factor(factor: &str, points: f64, detail: String) -> RiskFactor {
    RiskFactor {
        factor: factor.into(),
        points: round1(points),
        detail,
    }
}

/// The risk of one finding in an image with `image`'s facts.
pub fn score(f: &Finding, image: &ImageFacts) -> Risk {
    let mut factors = Vec::new();
    // A distribution's own rating of its build wins over upstream's CVSS score: Debian's
    // "unimportant" for a CVE its build is not exposed to is the better judgement.
    let distro = f.severity_source.as_deref().filter(|src| {
        let base = f.matched_ecosystem.split(':').next().unwrap_or("");
        *src == base.to_ascii_lowercase().replace(' ', "-")
    });
    match (&f.cvss, distro) {
        (cvss, Some(src)) => factors.push(factor(
            "severity",
            severity_points(f.severity),
            match cvss {
                Some(c) => format!(
                    "{src} rates it {} for its build (upstream CVSS {} base score {})",
                    f.severity.as_str(),
                    c.version,
                    c.score
                ),
                None => format!("{src} rates it {}", f.severity.as_str()),
            },
        )),
        (Some(c), None) if c.score > 0.0 => factors.push(factor(
            "cvss",
            c.score,
            format!("CVSS {} base score {}", c.version, c.score),
        )),
        (_, None) => factors.push(factor(
            "severity",
            severity_points(f.severity),
            format!("no CVSS score; the default for {}", f.severity.as_str()),
        )),
    }
    if f.kev {
        factors.push(factor(
            "kev",
            2.0,
            "in CISA's Known Exploited Vulnerabilities catalog".into(),
        ));
    }
    if let Some(e) = &f.epss {
        let p = e.score.clamp(0.0, 1.0);
        factors.push(factor(
            "epss",
            2.0 * p,
            format!(
                "EPSS {p:.3} ({:.0}th percentile)",
                (e.percentile.clamp(0.0, 1.0) * 100.0).floor()
            ),
        ));
    }
    let av = f.cvss.as_ref().and_then(|c| attack_vector(&c.vector));
    match av {
        Some('N') => factors.push(factor(
            "attack_vector",
            0.5,
            "attack vector: network".into(),
        )),
        Some('L') => factors.push(factor("attack_vector", -1.0, "attack vector: local".into())),
        Some('P') => factors.push(factor(
            "attack_vector",
            -2.0,
            "attack vector: physical".into(),
        )),
        _ => {}
    }
    if f.status == FixStatus::Fixed {
        factors.push(factor(
            "fix_available",
            0.5,
            format!("fixed in {}", f.fixed_versions.join(", ")),
        ));
    }
    if av == Some('N') && !image.exposed_ports.is_empty() {
        factors.push(factor(
            "exposed_ports",
            0.5,
            format!("the image exposes {}", image.exposed_ports.join(", ")),
        ));
    }
    if image.runs_as_root == Some(true) {
        factors.push(factor("runs_as_root", 0.5, "the image runs as root".into()));
    }
    let total: f64 = factors.iter().map(|x| x.points).sum();
    Risk {
        score: round1(total.clamp(0.0, 10.0)),
        factors,
    }
}

/// Scores every finding of the report (suppressed ones too, so `explain` can say what an
/// exception hides) and orders the findings by risk, highest first; ties keep the
/// matcher's order (severity, then id).
pub fn score_report(report: &mut Report) {
    let image = ImageFacts::of(&report.artifact);
    let suppressed = report.suppressed.iter_mut().map(|s| &mut s.finding);
    score_each(report.vulnerabilities.iter_mut().chain(suppressed), &image);
    let key = |f: &Finding| f.risk.as_ref().map_or(0.0, |r| r.score);
    report
        .vulnerabilities
        .sort_by(|a, b| key(b).total_cmp(&key(a)));
}

/// Scores the unsuppressed findings a report left unscored (reports written before risk
/// scores existed), with the report's own image facts; scored findings and their order are
/// left as they are.
pub fn score_unscored(report: &mut Report) {
    if report.vulnerabilities.iter().all(|f| f.risk.is_some()) {
        return;
    }
    let image = ImageFacts::of(&report.artifact);
    let unscored = report
        .vulnerabilities
        .iter_mut()
        .filter(|f| f.risk.is_none());
    score_each(unscored, &image);
}

fn score_each<'a>(findings: impl Iterator<Item = &'a mut Finding>, image: &ImageFacts) {
    for f in findings {
        f.risk = Some(score(f, image));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plimsoll_model::{Cvss, EpssScore};

    fn finding(sev: Severity, cvss: Option<(&str, f64)>, status: FixStatus) -> Finding {
        Finding {
            id: "CVE-2024-0001".into(),
            aliases: vec![],
            package_id: "p".into(),
            package_name: "p".into(),
            matched_ecosystem: "PyPI".into(),
            matched_name: "p".into(),
            installed_version: "1.0".into(),
            fixed_versions: if status == FixStatus::Fixed {
                vec!["1.1".into()]
            } else {
                vec![]
            },
            status,
            severity: sev,
            severity_source: None,
            cvss: cvss.map(|(v, s)| Cvss {
                version: "3.1".into(),
                vector: v.into(),
                score: s,
            }),
            kev: false,
            epss: None,
            layer: None,
            layer_created_by: None,
            path: None,
            data_source: "GHSA-x".into(),
            title: None,
            upstream_match: false,
            risk: None,
            published: None,
            in_base_image: None,
            removed_in_layer: None,
        }
    }

    const NET: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
    const LOCAL: &str = "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N";

    fn points(r: &Risk) -> Vec<(&str, f64)> {
        r.factors
            .iter()
            .map(|f| (f.factor.as_str(), f.points))
            .collect()
    }

    #[test]
    fn known_inputs() {
        let web = ImageFacts {
            exposed_ports: vec!["8000/tcp".into()],
            runs_as_root: Some(true),
        };
        // Log4Shell-like: 10.0 network, KEV, EPSS 0.944, fixed, in a root web image: capped.
        let mut f = finding(Severity::Critical, Some((NET, 10.0)), FixStatus::Fixed);
        f.kev = true;
        f.epss = Some(EpssScore {
            score: 0.944,
            percentile: 0.9996,
        });
        let r = score(&f, &web);
        assert_eq!(
            points(&r),
            [
                ("cvss", 10.0),
                ("kev", 2.0),
                ("epss", 1.9),
                ("attack_vector", 0.5),
                ("fix_available", 0.5),
                ("exposed_ports", 0.5),
                ("runs_as_root", 0.5)
            ]
        );
        assert_eq!(r.score, 10.0);
        assert!(r.factors[2].detail.contains("99th percentile"), "{r:?}");

        // A local 5.5 with no fix, no exploitation data, non-root, no ports: 5.5 - 1.0.
        let f = finding(Severity::Medium, Some((LOCAL, 5.5)), FixStatus::Affected);
        let plain = ImageFacts {
            exposed_ports: vec![],
            runs_as_root: Some(false),
        };
        let r = score(&f, &plain);
        assert_eq!(points(&r), [("cvss", 5.5), ("attack_vector", -1.0)]);
        assert_eq!(r.score, 4.5);

        // No CVSS: the severity's default, no attack vector; a directory has no user.
        let f = finding(Severity::High, None, FixStatus::Fixed);
        let r = score(&f, &ImageFacts::default());
        assert_eq!(points(&r), [("severity", 7.5), ("fix_available", 0.5)]);
        assert_eq!(r.score, 8.0);
        assert!(r.factors[0].detail.contains("HIGH"));

        // Ports count only for network attacks.
        let f = finding(Severity::Medium, Some((LOCAL, 5.5)), FixStatus::Affected);
        assert!(
            !points(&score(&f, &web))
                .iter()
                .any(|(n, _)| *n == "exposed_ports")
        );
    }

    #[test]
    fn exploitation_lifts_a_medium_over_an_unexploited_critical() {
        let facts = ImageFacts::default();
        let critical = finding(Severity::Critical, Some((LOCAL, 7.8)), FixStatus::Affected);
        let mut medium = finding(Severity::Medium, Some((NET, 6.1)), FixStatus::Fixed);
        medium.kev = true;
        assert!(score(&medium, &facts).score > score(&critical, &facts).score);
    }

    #[test]
    fn a_distribution_rating_wins_over_upstream_cvss() {
        let mut f = finding(Severity::Low, Some((NET, 7.5)), FixStatus::WillNotFix);
        f.matched_ecosystem = "Debian:12".into();
        f.severity_source = Some("debian".into());
        let r = score(&f, &ImageFacts::default());
        assert_eq!(points(&r), [("severity", 2.5), ("attack_vector", 0.5)]);
        assert!(
            r.factors[0].detail.contains("debian rates it LOW")
                && r.factors[0].detail.contains("7.5"),
            "{r:?}"
        );
        // A CVSS-derived severity is not a distribution's rating.
        f.severity_source = Some("cvss_v3".into());
        assert_eq!(score(&f, &ImageFacts::default()).factors[0].factor, "cvss");
    }

    #[test]
    fn root_users() {
        for u in ["", "root", "0", "0:0", "root:root", "000"] {
            assert!(is_root(u), "{u:?}");
        }
        for u in ["app", "1000", "1000:0", "nobody", "10"] {
            assert!(!is_root(u), "{u:?}");
        }
    }

    #[test]
    fn v2_and_v4_vectors() {
        assert_eq!(attack_vector("AV:N/AC:L/Au:N/C:P/I:P/A:P"), Some('N'));
        assert_eq!(
            attack_vector("CVSS:4.0/AV:P/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"),
            Some('P')
        );
        assert_eq!(attack_vector("garbage"), None);
    }
}
