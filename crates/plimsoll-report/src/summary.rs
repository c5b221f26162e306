//! What every vulnerability format says the same way: counts by severity, the order findings
//! are listed in, the scanner and database line, and a shortened layer instruction.

use plimsoll_model::{BaseImage, Finding, Package, Report, Risk, Severity};
use std::collections::{BTreeMap, HashMap};

/// Severities from the most to the least severe, the order every summary lists them in.
pub(crate) const SEVERITIES: [Severity; 5] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
    Severity::Unknown,
];

/// Findings counted by severity, indexed like [`SEVERITIES`].
pub(crate) fn counts<'a>(fs: impl IntoIterator<Item = &'a Finding>) -> [usize; 5] {
    let mut c = [0; 5];
    for f in fs {
        c[rank(f.severity)] += 1;
    }
    c
}

fn rank(s: Severity) -> usize {
    SEVERITIES.iter().position(|x| *x == s).unwrap_or(4)
}

/// `Total: 6 (CRITICAL: 1, HIGH: 2, MEDIUM: 2, LOW: 1, UNKNOWN: 0)`, as Trivy writes it.
pub(crate) fn total_line<'a>(fs: impl IntoIterator<Item = &'a Finding>) -> String {
    let c = counts(fs);
    let total: usize = c.iter().sum();
    format!("Total: {total} ({})", by_severity(&c))
}

/// `CRITICAL: 1, HIGH: 2, MEDIUM: 2, LOW: 1, UNKNOWN: 0`.
pub(crate) fn by_severity(c: &[usize; 5]) -> String {
    SEVERITIES
        .iter()
        .zip(c)
        .map(|(s, n)| format!("{s}: {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `Suppressed: 2 (ignore-unfixed: 1, vex: 1)`, or `None` when nothing was suppressed.
pub(crate) fn suppressed_line(r: &Report) -> Option<String> {
    if r.suppressed.is_empty() {
        return None;
    }
    let mut by: BTreeMap<&str, usize> = BTreeMap::new();
    for s in &r.suppressed {
        *by.entry(s.suppressed_by.as_str()).or_default() += 1;
    }
    let parts: Vec<String> = by.iter().map(|(k, n)| format!("{k}: {n}")).collect();
    Some(format!(
        "Suppressed: {} ({})",
        r.suppressed.len(),
        parts.join(", ")
    ))
}

/// `plimsoll 0.1.0, DB built 2026-11-29T00:00:00Z (2d 3h old)`: the facts that decide how far
/// a clean result can be trusted.
pub(crate) fn provenance_line(r: &Report) -> String {
    let db = match &r.database {
        None => "no vulnerability database".to_string(),
        Some(d) => {
            let built = d.built_at.as_deref().unwrap_or("at an unknown time");
            match d.age_seconds {
                Some(a) => format!("DB built {built} ({} old)", age(a)),
                None => format!("DB built {built}"),
            }
        }
    };
    format!("plimsoll {}, {db}", crate::TOOL_VERSION)
}

/// A database age as a person reads it: `45m`, `5h 10m`, `3d 4h`.
pub fn age(secs: u64) -> String {
    let (d, h, m) = (secs / 86_400, (secs / 3600) % 24, (secs / 60) % 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else {
        format!("{m}m")
    }
}

/// Findings in the order reports list them: highest risk first (when scored), then most
/// severe, then by package and id.
pub(crate) fn sorted(fs: &[Finding]) -> Vec<&Finding> {
    let risk = |f: &Finding| f.risk.as_ref().map_or(-1.0, |r| r.score);
    let mut v: Vec<&Finding> = fs.iter().collect();
    v.sort_by(|a, b| {
        risk(b)
            .total_cmp(&risk(a))
            .then_with(|| b.severity.cmp(&a.severity))
            .then_with(|| a.package_name.cmp(&b.package_name))
            .then_with(|| a.id.cmp(&b.id))
            .then_with(|| a.package_id.cmp(&b.package_id))
    });
    v
}

/// `packages[]` by id, to find a finding's package.
pub(crate) fn packages_by_id(r: &Report) -> HashMap<&str, &Package> {
    let mut m = HashMap::new();
    for p in &r.packages {
        m.entry(p.id.as_str()).or_insert(p);
    }
    m
}

/// The package's own version (what `dpkg -l` shows), falling back to the version matched.
pub(crate) fn installed<'a>(f: &'a Finding, p: Option<&'a Package>) -> &'a str {
    match p {
        Some(p) if !p.version.is_empty() => &p.version,
        _ => &f.installed_version,
    }
}

/// Where the finding's package was found: the finding's path, else the package's first.
pub(crate) fn path<'a>(f: &'a Finding, p: Option<&'a Package>) -> Option<&'a str> {
    f.path
        .as_deref()
        .or_else(|| p.and_then(|p| p.locations.first()).map(|l| l.path.as_str()))
}

/// The layer that brought the package in, and its instruction (the finding's, else the
/// artifact's layer list).
pub(crate) fn layer<'a>(r: &'a Report, f: &'a Finding) -> Option<(usize, Option<&'a str>)> {
    let i = f.layer?;
    let created = f.layer_created_by.as_deref().or_else(|| {
        r.artifact
            .layers
            .iter()
            .find(|l| l.index == i)
            .and_then(|l| l.created_by.as_deref())
    });
    Some((i, created))
}

/// A history `created_by` shortened for one line: without the `/bin/sh -c #(nop) ` Docker
/// writes before metadata instructions, `RUN` for shell commands, the `# buildkit` marker
/// dropped, whitespace collapsed, and cut at `max` characters with an ellipsis.
pub fn short_created_by(s: &str, max: usize) -> String {
    let s = s.trim();
    let s = s.strip_suffix("# buildkit").unwrap_or(s).trim_end();
    let s = if let Some(r) = s.strip_prefix("/bin/sh -c #(nop) ") {
        r.trim_start().to_string()
    } else if let Some(r) = s
        .strip_prefix("/bin/sh -c ")
        .or_else(|| s.strip_prefix("RUN /bin/sh -c "))
    {
        format!("RUN {}", r.trim_start())
    } else {
        s.to_string()
    };
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() > max {
        let cut: String = s.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    } else {
        s
    }
}

/// The base image decision on one line: `docker.io/library/debian:12, layer 0 (label: …)`.
pub fn base_image_line(b: &BaseImage) -> String {
    let name = b
        .name
        .as_deref()
        .or(b.digest.as_deref())
        .unwrap_or("(unnamed)");
    format!("{name}, {} ({}: {})", span(0, b.layers), b.method, b.detail)
}

/// `layer 0`, `layers 1–3`, `no layers`: layers `from..to`.
pub(crate) fn span(from: usize, to: usize) -> String {
    match to.saturating_sub(from) {
        0 => "no layers".into(),
        1 => format!("layer {from}"),
        _ => format!("layers {from}–{}", to - 1),
    }
}

/// The report's findings split into those of the base image and the others (the
/// application's, and any not attributed to a layer); `None` without a base image.
pub(crate) fn split_base<'a>(
    r: &'a Report,
    fs: &'a [Finding],
) -> Option<(&'a BaseImage, Vec<Finding>, Vec<Finding>)> {
    let b = r.artifact.base_image.as_ref()?;
    let (base, app) = fs
        .iter()
        .cloned()
        .partition(|f| b.holds(f.layer) == Some(true));
    Some((b, base, app))
}

/// The OSV page of a vulnerability id.
pub(crate) fn osv_url(id: &str) -> String {
    format!(
        "https://osv.dev/vulnerability/{}",
        percent_encode(id, |c| c.is_ascii_alphanumeric() || "-._~:".contains(c))
    )
}

/// Percent-encodes every byte of `s` whose character `keep` rejects.
pub(crate) fn percent_encode(s: &str, keep: impl Fn(char) -> bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() && keep(c) {
            out.push(c);
        } else {
            let mut b = [0; 4];
            for x in c.encode_utf8(&mut b).bytes() {
                out.push_str(&format!("%{x:02X}"));
            }
        }
    }
    out
}

/// A risk score's factors in one line, in the order they were added:
/// `cvss +7.8, attack_vector +0.5, fix_available +0.5`.
pub fn risk_factors(r: &Risk) -> String {
    r.factors
        .iter()
        .map(|f| format!("{} {:+.1}", f.factor, f.points))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `risk 8.8 (cvss +7.8, attack_vector +0.5, …)`, or `None` for an unscored finding.
pub fn risk_line(f: &Finding) -> Option<String> {
    f.risk
        .as_ref()
        .map(|r| format!("risk {:.1} ({})", r.score, risk_factors(r)))
}

/// The table's footnote on the Risk column: what the score is made of.
pub const RISK_LEGEND: &str = "Risk 0-10 = CVSS base score (or a score per severity) + KEV + EPSS \
    +/- attack vector + fix available + exposed ports + runs as root; each finding's factors \
    are in the JSON report (risk.factors) and `plimsoll explain ID REF`";

/// One line per layer that could not be read and verified (digest or diff_id mismatch,
/// corrupt or truncated blob). Nothing from such a layer is in the report, and every format
/// says so: an inventory without it is incomplete.
pub fn failed_layer_lines(r: &Report) -> Vec<String> {
    r.artifact
        .layers
        .iter()
        .filter_map(|l| {
            l.error.as_ref().map(|e| {
                format!(
                    "layer {} failed and nothing from it is inventoried: {e}",
                    l.index
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortens_history() {
        assert_eq!(
            short_created_by("/bin/sh -c #(nop) ADD file:abc in / ", 60),
            "ADD file:abc in /"
        );
        assert_eq!(
            short_created_by("/bin/sh -c apt-get update &&   apt-get install -y curl", 60),
            "RUN apt-get update && apt-get install -y curl"
        );
        assert_eq!(
            short_created_by("RUN /bin/sh -c pip install x # buildkit", 60),
            "RUN pip install x"
        );
        assert_eq!(short_created_by("COPY app /app # buildkit", 8), "COPY ap…");
    }

    #[test]
    fn ages() {
        assert_eq!(age(59), "0m");
        assert_eq!(age(3 * 3600 + 120), "3h 2m");
        assert_eq!(age(2 * 86_400 + 5 * 3600), "2d 5h");
    }

    #[test]
    fn encodes() {
        assert_eq!(
            osv_url("CVE-2024-1 x/é"),
            "https://osv.dev/vulnerability/CVE-2024-1%20x%2F%C3%A9"
        );
    }
}
